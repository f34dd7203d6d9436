/* SPDX-License-Identifier: MIT */
/*
 * The memory map, one rule in one place: fmt (where a kernel may go), the stage
 * (where anything may go) and the loader (what it accepts) ask the same
 * questions of the same code.
 *
 * A map here is normal: sorted by base, disjoint, every range 4 KiB aligned,
 * non-empty, not wrapping, of a known type, and no two ranges of one type
 * touching (they are one range). memmap_normalize() makes one from
 * what a platform reports (the stage), one rule for overlaps: the most
 * protective type wins; memmap_bad() tells whether a map is normal (the loader,
 * which reads it from the handoff page).
 */
#ifndef BATON_MEMMAP_H
#define BATON_MEMMAP_H

#include <stdint.h>
#include <baton/handoff.h>

#define MEMMAP_FITS		0	/* every byte usable RAM, none forbidden */
#define MEMMAP_OUTSIDE		1	/* some byte is in no usable range */
#define MEMMAP_FORBIDDEN	2	/* some byte is reserved or never-touch */

/* Index of the first range that makes the map not normal, or -1. */
int64_t memmap_bad(const struct baton_mem_range *m, uint64_t n);

/*
 * The normal map of what a platform reports, in any order and overlapping (a
 * crash kernel reservation inside System RAM): where ranges overlap the most
 * protective type wins (never-touch over reserved over usable), and ranges of
 * one type that touch become one. Writes at most cap ranges to out; 2n + 1 is
 * always enough. Returns 0 with *nout set, -2 with *bad the index of a range
 * that is unaligned, empty, wraps or has an unknown type, or -3 when cap is
 * too small. O(n^2): maps are short.
 */
int memmap_normalize(const struct baton_mem_range *in, uint64_t n,
		     struct baton_mem_range *out, uint64_t cap, uint64_t *nout, uint64_t *bad);

/*
 * Whether [base, end) may hold the new world: MEMMAP_FITS, or why not. Forbidden
 * ranges are named first (*hit: the first one met), as they say more: in a map
 * with holes a never-touch range is outside usable RAM too. end > base.
 */
int memmap_fits(const struct baton_mem_range *m, uint64_t n, uint64_t base, uint64_t end,
		const struct baton_mem_range **hit);

/* The end of the highest RAM range, usable or never-touch (not reserved). */
uint64_t memmap_ram_top(const struct baton_mem_range *m, uint64_t n);

/* Bytes of usable RAM. */
uint64_t memmap_usable_bytes(const struct baton_mem_range *m, uint64_t n);

#endif
