/* SPDX-License-Identifier: MIT */
/*
 * The loader's work area: what it holds and how big it is. One function, used by
 * the stage (to propose a free block of that size) and by the loader (to check
 * the proposal and carve it up), so the two can never disagree.
 *
 *   work area:  [ page tables | scratch page | runs | list pages | check/plan memory ]
 *
 * runs: the copy runs (24 B), zero and claim runs (16 B) the list pages make;
 * list pages: 16 B each (sorted); check/plan memory: the validator's sorted arrays,
 * then, once they are done with, the planner's work.
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
	uint64_t copy_off, zero_off, claim_off, list_off;
	uint64_t mem_off;	/* the validator's and the planner's arrays */
	uint64_t mem_bytes;
	uint64_t size;		/* total bytes, 4 KiB multiple */
};

/*
 * From the header (run counts, list pages, plan pieces) and its normal memory
 * map. Returns 0, or -1 when no machine could hold the work area (more pieces
 * than the planner handles, sizes past 2^52): never a size that wrapped.
 */
int work_layout(const struct baton_handoff *h, const struct baton_mem_range *map,
		struct work_layout *l);

#endif
