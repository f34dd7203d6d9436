/* SPDX-License-Identifier: MIT */
/*
 * A simulated machine for host tests: malloc'ed memory standing for physical
 * [HOSTENV_PHYS_BASE, HOSTENV_PHYS_BASE + size), a memory map describing it, and a
 * struct stage_env whose allocator hands out its pages by a chosen strategy.
 *
 * Physical 0 is not in the arena, so a physical address used as a pointer (or a
 * pointer used as a physical address) fails loudly instead of working by luck.
 *
 * The allocator keeps one byte per page: free, handed out, or not usable RAM.
 * map() refuses (aborts) on any page the allocator did not hand out, which checks
 * stage/'s promise that it writes only pages it was given.
 */
#ifndef BATON_TEST_HOSTENV_H
#define BATON_TEST_HOSTENV_H

#include <stdarg.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "stage/stage.h"

#define HOSTENV_PHYS_BASE	(16ull << 20)
#define HOSTENV_PAGE		BATON_PAGE_SIZE
#define HOSTENV_MAX_MEM		16
#define HOSTENV_MAX_DST		4
#define HOSTENV_FILL		0xcc	/* every arena byte after hostenv_init(): RAM
					 * holds garbage, nothing is zero by luck */

enum hostenv_strategy {
	HOSTENV_CONTIGUOUS,	/* lowest free pages first */
	HOSTENV_SCATTERED,	/* a random free page (seeded), anywhere in usable RAM */
	HOSTENV_REVERSE,	/* highest free pages first */
	HOSTENV_WORST,		/* every source on another page's destination: a derangement
				 * of the destination pages, pages 0 and 1 swapped (a cycle) */
	HOSTENV_LOADER_IN_DST,	/* sources and list pages outside the destinations, the
				 * loader region and the handoff page at their start */
	HOSTENV_FRAGMENTED,	/* a random free page (seeded) with no handed-out page
				 * beside it: every allocation but the loader's is one
				 * page, and no two pages handed out touch */
	HOSTENV_STRATEGIES
};

/* Page states. */
#define HOSTENV_FREE	0
#define HOSTENV_USED	1
#define HOSTENV_NOT_RAM	2
#define HOSTENV_HIDDEN	3	/* free, but a destination: hidden from a list page's pick */

struct hostenv {
	uint8_t *arena;			/* physical base .. base + size */
	uint64_t base, size, npages;
	uint8_t *state;			/* per page: HOSTENV_* */
	struct baton_mem_range mem[HOSTENV_MAX_MEM];
	uint64_t nmem;

	enum hostenv_strategy strategy;
	uint64_t rng;
	/* the image's destination pages [dst_lo, dst_hi): worst and loader-in-dst */
	uint64_t dst_lo, dst_hi;
	/* every destination of the image: no list page is handed out there (stage.h,
	 * STAGE_FOR_LIST), whatever the strategy */
	struct { uint64_t base, end; } dst[HOSTENV_MAX_DST];
	uint32_t ndst;
	uint64_t *perm;			/* worst: source page index per destination index */

	/* fault injection: the n-th call (1-based) to alloc fails / returns pa + 0x800 /
	 * returns the page of the call before; 0 = never */
	uint64_t fail_at, misalign_at, reuse_at;
	uint64_t last_pa;

	/* counters */
	uint64_t alloc_calls, calls_by[5], pages_out;	/* calls_by[STAGE_FOR_*] */
	uint64_t tmp_live, tmp_calls;

	struct stage_env env;
};

/* An arena of `size` bytes (4 KiB multiple), filled with HOSTENV_FILL, with the
 * default memory map:
 *   USABLE [16, 40) MiB, RESERVED [40, 41), USABLE [41, 60), NEVER_TOUCH [60, 61),
 *   USABLE [61, 16 + size/1MiB).   */
void hostenv_init(struct hostenv *e, uint64_t size, enum hostenv_strategy s, uint64_t seed);
void hostenv_fini(struct hostenv *e);
/* Tell worst / loader-in-dst where the image goes; call before stage_build(). */
void hostenv_set_dsts(struct hostenv *e, uint64_t lo, uint64_t hi);
/* Where the image's destinations are (stage_image_layout() tells an outgoing side):
 * list pages are taken elsewhere. hostenv_clear_dst() forgets them. */
void hostenv_add_dst(struct hostenv *e, uint64_t base, uint64_t end);
void hostenv_clear_dst(struct hostenv *e);

/* The arena pointer for physical [pa, pa + len); aborts if outside the arena. */
void *hostenv_ptr(const struct hostenv *e, uint64_t pa, uint64_t len);
/* Whether [pa, pa + len) lies inside the arena. */
int hostenv_contains(const struct hostenv *e, uint64_t pa, uint64_t len);

/* core/check.c's formatter: vsnprintf on the host. */
int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap);

/* A plan_mem acting on the arena (memmove semantics). The scratch page is the
 * arena's page at scratch_pa (the loader's: in its work area), or a malloc'ed page
 * when scratch_pa is 0. Every write must land on a page flagged in `writable` (per
 * arena page; NULL: no check); the first write elsewhere is recorded in bad_write. */
struct hostenv_plan {
	struct hostenv *e;
	uint8_t *scratch;
	int own_scratch;		/* scratch was malloc'ed */
	const uint8_t *writable;	/* per arena page: 1 = may be written */
	uint64_t bad_write;		/* first physical address written out of bounds */
	uint64_t moves, zeros, saves, restores;
};
void hostenv_plan_init(struct hostenv_plan *p, struct hostenv *e, struct plan_mem *mem,
		       uint64_t scratch_pa);
void hostenv_plan_fini(struct hostenv_plan *p);

#endif
