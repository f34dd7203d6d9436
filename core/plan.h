/* SPDX-License-Identifier: MIT */
/*
 * The copy planner: from a validated list of copy runs (src -> dst) and zero runs,
 * place every page at its destination without ever reading a page after it was
 * overwritten, using one scratch page to break cycles.
 *
 * Shared, unchanged, by the loader (real memory), the stage (dry run, to size the
 * loader's work area and report the layout) and the host tests (simulated memory).
 *
 * Preconditions (the loader's validator checks them first): every address 4 KiB
 * aligned, pages > 0, every range ends at or below PLAN_ADDR_END (so none wraps),
 * destinations pairwise disjoint (copy and zero runs together), sources pairwise
 * disjoint.
 * plan_execute() refuses every broken precondition with PLAN_E_INPUT, before its
 * first write (and before planned()), except one: zero runs that overlap only each
 * other are zeroed (twice), which is harmless to the plan; the validator refuses
 * them (tests/fuzz/fuzz_plan.c found the gap; test_plan: zero runs overlapping each
 * other). The checks that guard the planner against its own bugs (a cycle that is
 * not clean, a graph that is not one) run before the first write too; every
 * refusal is driven in tests/host/test_plan_refusals.c.
 *
 * Guarantees:
 *  - page copies == out-of-place pages + page cycles, never more;
 *  - pages already in place (src == dst) cost nothing;
 *  - contiguous runs move as runs: one move() call with memmove semantics;
 *  - zero runs are zeroed after every move that reads their pages;
 *  - O(p log p) time in the number of pieces p, memory: the caller's work area
 *    only, 32 bytes per piece or per copy run, whichever are more.
 */
#ifndef BATON_PLAN_H
#define BATON_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <baton/handoff.h>

/*
 * Limits. Ranges end at or below 2^52, x86-64's widest physical address
 * (MAXPHYADDR <= 52): page numbers are packed in 40 bits. Past it: PLAN_E_INPUT.
 * At most PLAN_MAX_PIECES copy runs, and pieces (31-bit indices): past it,
 * PLAN_E_NOSPACE, and the work sizes are SIZE_MAX.
 */
#define PLAN_ADDR_END	(1ULL << 52)
#define PLAN_MAX_PIECES	0x7ffffffeULL

/* Errors: 0 or one of these; plan_strerror() names them. */
#define PLAN_E_NOSPACE	(-200)	/* work area smaller than plan_work_size() */
#define PLAN_E_INPUT	(-201)	/* a precondition above does not hold */

struct plan_stats;

/* The planner's input, made from the handoff's list pages (core/check.c):
 * pages at src must end up at dst; pages at dst must end up zero. */
struct plan_run {
	uint64_t src, dst, pages;
};
struct plan_zero {
	uint64_t dst, pages;
};

/*
 * How the plan touches memory. Addresses are physical, 4 KiB aligned. Filled at
 * run time (no static initialisers: the loader has no run-time relocation).
 * A NULL plan_mem runs the plan dry: no memory is touched, stats are filled.
 */
struct plan_mem {
	void *ctx;
	/* Copy pages [src, src+pages*4K) to [dst, ...), memmove semantics. */
	void (*move)(void *ctx, uint64_t dst, uint64_t src, uint64_t pages);
	/* Zero pages [dst, dst+pages*4K). */
	void (*zero)(void *ctx, uint64_t dst, uint64_t pages);
	/* Copy one page to the scratch page / the scratch page to one page. */
	void (*save)(void *ctx, uint64_t src);
	void (*restore)(void *ctx, uint64_t dst);
	/* Optional (may be NULL): called once the order is known, after every error
	 * check and before the first write. stats then hold runs, pieces, in_place,
	 * moved and ordered; the rest fill in as the plan is carried out. */
	void (*planned)(void *ctx, const struct plan_stats *stats);
};

struct plan_stats {
	uint64_t runs;		/* copy runs given */
	uint64_t pieces;	/* after splitting runs where other runs' boundaries cut them */
	uint64_t in_place;	/* pages already at their destination */
	uint64_t moved;		/* out-of-place pages */
	uint64_t ordered;	/* pieces that had to wait for another piece */
	uint64_t longest;	/* longest dependency chain, in pieces */
	uint64_t cycles;	/* page cycles broken with the scratch page */
	uint64_t copies;	/* page copies done: moved + cycles */
	uint64_t ops;		/* move() calls after merging adjacent moves */
	uint64_t zeroed;	/* pages zeroed */
};

/* Work bytes plan_count() needs for n copy runs. */
size_t plan_count_work_size(uint64_t ncopy);

/* Dry analysis: how many pieces plan_execute() will need. */
int plan_count(const struct plan_run *runs, uint64_t ncopy,
	       void *work, size_t work_size, uint64_t *pieces);

/* Work bytes plan_execute() needs for n copy runs that split into `pieces`. */
size_t plan_work_size(uint64_t ncopy, uint64_t pieces);

/*
 * Place everything. runs[] is read only. Returns 0, PLAN_E_NOSPACE (also when the
 * runs split into more pieces than the work area holds) or PLAN_E_INPUT.
 */
int plan_execute(const struct plan_run *runs, uint64_t ncopy,
		 const struct plan_zero *zeros, uint64_t nzero,
		 void *work, size_t work_size,
		 const struct plan_mem *mem, struct plan_stats *stats);

const char *plan_strerror(int err);

#endif
