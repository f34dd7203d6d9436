/* SPDX-License-Identifier: MIT */
/*
 * The loader's work area: what it holds and how big it is. One function, used by
 * the stage (to allocate the loader region) and by the loader (to carve it up),
 * so the two can never disagree.
 *
 *   loader region:  [ blob image | blob bss (stack, GDT, IDT) | work area ]
 *   work area:      [ page tables | scratch page | check/plan memory ]
 */
#ifndef BATON_LAYOUT_H
#define BATON_LAYOUT_H

#include <stdint.h>
#include <baton/handoff.h>

struct work_layout {
	uint64_t map_top;	/* the identity map covers [0, map_top) */
	uint64_t pt_off;	/* page tables: PML4, PDPTs, PDs (2 MiB pages) */
	uint64_t pt_bytes;
	uint64_t scratch_off;	/* one page for breaking copy cycles */
	uint64_t mem_off;	/* the validator's and the planner's arrays */
	uint64_t mem_bytes;
	uint64_t size;		/* total bytes, 4 KiB multiple */
};

/*
 * mem, nmem: the memory map (the identity map covers its RAM and the first 4 GiB);
 * ncopy, nzero: run counts; pieces: what plan_count() said. Returns 0, or -1 when
 * no machine could hold the work area (more pieces than the planner handles,
 * sizes past 2^52): never a size that wrapped.
 */
int work_layout(const struct baton_mem_range *mem, uint64_t nmem, uint64_t ncopy,
		uint64_t nzero, uint64_t pieces, struct work_layout *l);

/* Bytes of sort_kv arrays the validator needs (loader/check.c). */
uint64_t check_work_size(uint64_t ncopy, uint64_t nzero, uint64_t nmem);

#endif
