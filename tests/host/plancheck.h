/* SPDX-License-Identifier: MIT */
/*
 * The planner's invariants, checked on one layout against simulated memory
 * (tests/host/sim.c): shared by the property test (test_plan.c) and the planner
 * fuzzer (tests/fuzz/fuzz_plan.c), so both hold the planner to the same rules.
 *
 * check_layout() derives from the runs alone what must happen (pages moved, in
 * place, page cycles, zeroed) and runs plan_count() and plan_execute(): exact
 * work sizes (and NOSPACE one byte short), no write past the work area, planned()
 * once before the first write, a dry run with the same statistics, and memory
 * that ends exactly as the runs say, no page read after it was overwritten.
 */
#ifndef BATON_TEST_PLANCHECK_H
#define BATON_TEST_PLANCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "core/plan.h"
#include "tests/host/sim.h"

#define MAX_PAGES	8200	/* simulated memory, hand cases included */
#define MAX_RUNS	MAX_PAGES

/* A layout in page indices of a simulated memory at pfn base. */
struct layout {
	uint64_t base, npages;
	struct plan_run runs[MAX_RUNS];
	uint64_t n;
	struct plan_zero zeros[MAX_PAGES];
	uint64_t nz;
};

/* Page indices in the layout's memory: run i's source and destination, zero run
 * i's destination. */
static inline uint64_t run_src_page(const struct layout *l, uint64_t i)
{
	return (l->runs[i].src >> 12) - l->base;
}

static inline uint64_t run_dst_page(const struct layout *l, uint64_t i)
{
	return (l->runs[i].dst >> 12) - l->base;
}

static inline uint64_t zero_dst_page(const struct layout *l, uint64_t i)
{
	return (l->zeros[i].dst >> 12) - l->base;
}

extern struct sim sim;		/* sim_alloc(&sim, MAX_PAGES + 2) before use */
extern int last_rc;		/* the planner's last unexpected return value */
extern int64_t page_map[MAX_PAGES];	/* the last layout's: source page -> destination, -1 */

void add_run(struct layout *l, uint64_t src, uint64_t dst, uint64_t pages);
void add_zero(struct layout *l, uint64_t dst, uint64_t pages);
/* A work area of `size` bytes at offset `skew`, with a canary after it. */
void *work_prepare(size_t size, size_t skew);
void work_release(void);
/* plan_execute()'s return value with a work area as plan_count() sizes it, or,
 * when plan_count() refuses the layout (its code in last_rc), one for the most
 * pieces MAX_PAGES allow. mem: NULL runs it dry. */
int execute_rc(const struct layout *l, const struct plan_mem *mem);
/* Every check on one layout: NULL when all hold, else what broke (sim.error_page,
 * last_rc tell more). skew: misalign the work area; short_too: also the
 * one-byte-short runs. *out: the real run's statistics. */
const char *check_layout(const struct layout *l, size_t skew, int short_too,
			 struct plan_stats *out);

#endif
