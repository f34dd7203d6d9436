/* SPDX-License-Identifier: MIT */
/*
 * Every refusal of the copy planner comes before its first write (core/plan.h).
 *
 * 1. Through plan_execute(), with a plan_mem whose every callback fails the test
 *    (planned() included: it is called after the last check): each precondition
 *    broken on its own, and each way the work area can be too small.
 * 2. The checks that a valid refinement makes unreachable (they guard against a
 *    bug in the planner itself), driven on hand-made internal state: plan.c is
 *    included whole. Each of them runs in plan_prepare() or plan_cycles_find(),
 *    which plan_execute() calls before planned() and before any move.
 * The planner's own limits (plan.h) are refused like broken preconditions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/plan.c"

#define PG	BATON_PAGE_SIZE

static void trap_move(void *c, uint64_t d, uint64_t s, uint64_t p)
{
	(void)c, (void)d, (void)s, (void)p;
	fail_msg("move() called by a plan that is refused");
}

static void trap_zero(void *c, uint64_t d, uint64_t p)
{
	(void)c, (void)d, (void)p;
	fail_msg("zero() called by a plan that is refused");
}

static void trap_page(void *c, uint64_t a)
{
	(void)c, (void)a;
	fail_msg("save() or restore() called by a plan that is refused");
}

static void trap_planned(void *c, const struct plan_stats *st)
{
	(void)c, (void)st;
	fail_msg("planned() called by a plan that is refused");
}

static const struct plan_mem trap = {
	NULL, trap_move, trap_zero, trap_page, trap_page, trap_planned,
};

static uint64_t work[1 << 14];

static int refuse(const struct plan_run *runs, uint64_t n,
		  const struct plan_zero *zeros, uint64_t nz, size_t work_bytes)
{
	return plan_execute(runs, n, zeros, nz, work, work_bytes, &trap, NULL);
}

#define RUN(s, d, p)	{ (s) * PG, (d) * PG, (p) }

static void test_refused_runs(void **state)
{
	struct plan_run one[1] = { RUN(0x100, 0x200, 4) };
	struct plan_run two[2];
	(void)state;

	one[0].src += 0x800;						/* unaligned source */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	one[0] = (struct plan_run)RUN(0x100, 0x200, 4);
	one[0].dst += 8;						/* unaligned destination */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	one[0] = (struct plan_run)RUN(0x100, 0x200, 0);		/* empty */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	one[0] = (struct plan_run)RUN(0x100, PLAN_PFN_END - 2, 4);	/* past 2^52 */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	one[0] = (struct plan_run)RUN(PLAN_PFN_END, 0x200, 1);	/* at 2^52 */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	one[0] = (struct plan_run)RUN(0x100, (1ULL << 52) - 2, 4);	/* wraps 2^64 */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	one[0] = (struct plan_run)RUN(0, 0x200, PLAN_PFN_END + 1);	/* too long */
	assert_int_equal(refuse(one, 1, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	two[0] = (struct plan_run)RUN(0x100, 0x200, 4);
	two[1] = (struct plan_run)RUN(0x102, 0x300, 4);		/* sources overlap */
	assert_int_equal(refuse(two, 2, NULL, 0, sizeof(work)), PLAN_E_INPUT);
	two[1] = (struct plan_run)RUN(0x400, 0x203, 4);		/* destinations overlap */
	assert_int_equal(refuse(two, 2, NULL, 0, sizeof(work)), PLAN_E_INPUT);
}

static void test_refused_zero_runs(void **state)
{
	struct plan_run one[1] = { RUN(0x100, 0x200, 4) };
	struct plan_zero z = { 0x300 * PG + 16, 1 };
	(void)state;

	assert_int_equal(refuse(one, 1, &z, 1, sizeof(work)), PLAN_E_INPUT);	/* unaligned */
	z = (struct plan_zero){ 0x300 * PG, 0 };			/* empty */
	assert_int_equal(refuse(one, 1, &z, 1, sizeof(work)), PLAN_E_INPUT);
	z = (struct plan_zero){ (PLAN_PFN_END - 1) * PG, 2 };	/* past 2^52 */
	assert_int_equal(refuse(one, 1, &z, 1, sizeof(work)), PLAN_E_INPUT);
	z = (struct plan_zero){ 0x203 * PG, 2 };		/* on a destination */
	assert_int_equal(refuse(one, 1, &z, 1, sizeof(work)), PLAN_E_INPUT);
}

static void test_refused_work_area(void **state)
{
	/* Two runs swapping halves: after refinement, 2 pieces... */
	struct plan_run swap[2] = { RUN(0x100, 0x104, 4), RUN(0x104, 0x100, 4) };
	/* ...and a run shifted into itself by one page: 4 pieces from 1 run. */
	struct plan_run shift[1] = { RUN(0x100, 0x101, 4) };
	uint64_t pieces;
	(void)state;

	assert_int_equal(refuse(swap, 2, NULL, 0, 0), PLAN_E_NOSPACE);	/* no room */
	/* Not 32 bytes per run. */
	assert_int_equal(refuse(swap, 2, NULL, 0, plan_count_work_size(2) - 1),
			 PLAN_E_NOSPACE);
	assert_int_equal(refuse(NULL, PLAN_MAX_PIECES + 1, NULL, 0, sizeof(work)),
			 PLAN_E_NOSPACE);				/* too many runs */
	/* Room for the run, not for its pieces: the cuts run out of room. */
	assert_int_equal(plan_count(shift, 1, work, sizeof(work), &pieces), 0);
	assert_int_equal(pieces, 4);
	assert_int_equal(refuse(shift, 1, NULL, 0, plan_work_size(1, pieces) - 1),
			 PLAN_E_NOSPACE);
	assert_int_equal(refuse(shift, 1, NULL, 0, plan_count_work_size(1)), PLAN_E_NOSPACE);
	assert_int_equal(plan_count(NULL, PLAN_MAX_PIECES + 1, work, sizeof(work), &pieces),
			 PLAN_E_NOSPACE);
	assert_int_equal(plan_count(swap, 2, work, plan_count_work_size(2) - 1, &pieces),
			 PLAN_E_NOSPACE);
}

/* ---- the checks valid refinement makes unreachable ----------------------- */

static void test_cut_limit(void **state)
{
	struct plan_refine r = { .limit = 2, .nsplit = 2 };
	(void)state;

	/* More cuts than valid runs can have: a chain that loops. */
	assert_int_equal(plan_split_add(&r, 7, 0), PLAN_E_INPUT);
	r.nsplit = 1;
	r.split = (uint64_t *)work + 4;		/* cuts go below it */
	r.cap = 1;
	assert_int_equal(plan_split_add(&r, 7, 0), PLAN_E_NOSPACE);	/* no room for it */
}

static void test_chain_into_run_in_place(void **state)
{
	struct sort_kv runs[1];
	struct plan_refine r = { .run = runs, .n = 1, .limit = 8 };
	(void)state;

	plan_span_set(&runs[0], 0x100, 0x100, 4);		/* src == dst */
	assert_int_equal(plan_refine_chain(&r, 0, 0x102, 0), PLAN_E_INPUT);
}

/* Pieces in source order with their graph arrays, for the steps after refinement. */
struct graph {
	struct sort_kv pc[4];
	uint32_t out[4], indeg[4], order[4];
	uint64_t e[4];
	struct plan_dsts by_dst;
	struct plan_stats st;
	struct plan_exec x;
};

static struct plan_exec *graph(struct graph *g, uint64_t p)
{
	memset(g, 0, sizeof(*g));
	g->by_dst.e = g->e;
	for (unsigned i = 0; i < 256; i++)
		g->by_dst.end[i] = (uint32_t)p;		/* one group: pfns below 2^32 */
	g->x = (struct plan_exec){ .st = &g->st, .p = p, .pc = g->pc, .out = g->out,
				   .indeg = g->indeg, .order = g->order,
				   .by_dst = &g->by_dst };
	return &g->x;
}

/* A piece in the hand-made graph: src, dst, pages; covered: its source lies in a
 * destination (plan_refine_runs() would have marked it). */
static void piece(struct graph *g, unsigned i, uint64_t src, uint64_t dst, uint64_t pages,
		  int covered)
{
	plan_span_set(&g->pc[i], src, dst, pages);
	if (covered)
		g->pc[i].val |= PLAN_COVERED;
}

static void test_edge_onto_itself(void **state)
{
	struct graph g;
	struct plan_exec *x = graph(&g, 2);
	(void)state;

	piece(&g, 0, 0x100, 0x200, 4, 0);
	piece(&g, 1, 0x200, 0x300, 4, 0);
	assert_int_equal(plan_edge_add(x, 0, 0), PLAN_E_INPUT);
	assert_int_equal(plan_edge_add(x, 1, 0), 0);
}

static void test_boundary_inside_a_piece(void **state)
{
	struct graph g;
	struct plan_exec *x = graph(&g, 2);
	(void)state;

	/* Piece 0 reads 0x100-0x104; piece 1's destination starts at 0x102, inside
	 * it: refinement would have cut piece 0 there. */
	piece(&g, 0, 0x100, 0x200, 4, 0);
	piece(&g, 1, 0x300, 0x102, 4, 0);
	g.e[0] = 0x102ULL << 32 | 1;
	g.e[1] = 0x200ULL << 32 | 0;
	assert_int_equal(plan_graph_build(x), PLAN_E_INPUT);
	/* Cut there, and the graph holds. */
	x = graph(&g, 3);
	piece(&g, 0, 0x100, 0x200, 2, 0);
	piece(&g, 1, 0x102, 0x202, 2, 1);
	piece(&g, 2, 0x300, 0x102, 4, 0);
	g.e[0] = 0x102ULL << 32 | 2;
	g.e[1] = 0x200ULL << 32 | 0;
	g.e[2] = 0x202ULL << 32 | 1;
	assert_int_equal(plan_graph_build(x), 0);
	assert_int_equal(g.out[1], 2);
	assert_int_equal(g.indeg[2], 1);
}

static void test_covered_by_nothing(void **state)
{
	struct graph g;
	struct plan_exec *x = graph(&g, 2);
	(void)state;

	/* Piece 0 is marked as reading a destination, yet none starts at or below
	 * its source. */
	piece(&g, 0, 0x100, 0x200, 4, 1);
	piece(&g, 1, 0x300, 0x400, 4, 0);
	g.e[0] = 0x200ULL << 32 | 0;
	g.e[1] = 0x400ULL << 32 | 1;
	assert_int_equal(plan_graph_build(x), PLAN_E_INPUT);
}

static void test_cycles_not_cycles(void **state)
{
	struct graph g;
	struct plan_exec *x;
	uint64_t c;
	(void)state;

	/* A piece left with two readers is no cycle. */
	x = graph(&g, 3);
	g.out[0] = 1, g.out[1] = 2, g.out[2] = 0;
	g.indeg[0] = 1, g.indeg[1] = 1, g.indeg[2] = 2;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* A piece left without a successor. */
	x = graph(&g, 2);
	g.out[0] = 1, g.out[1] = PLAN_NONE;
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* A successor already placed. */
	x = graph(&g, 3);
	g.out[0] = 1, g.out[1] = 2, g.out[2] = 0;
	g.indeg[0] = 1, g.indeg[1] = 1, g.indeg[2] = PLAN_DONE;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* A piece left that no walk reaches: two readers, one of them itself. */
	x = graph(&g, 3);
	g.out[0] = 1, g.out[1] = 0, g.out[2] = 2;
	g.indeg[0] = 1, g.indeg[1] = 1, g.indeg[2] = 2;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* The cycle 0 -> 1 -> 0 alone: found. */
	g.indeg[0] = 1, g.indeg[1] = 1, g.indeg[2] = PLAN_DONE;
	x->placed = 1;
	x->order = g.order + 1;		/* the list goes behind the order */
	assert_int_equal(plan_cycles_find(x, &c), 0);
	assert_int_equal(c, 2);
	assert_int_equal(g.order[2], 0);
	assert_int_equal(g.order[3], 1 | PLAN_MARK);
}

static void test_successors_not_a_permutation(void **state)
{
	struct graph g;
	struct plan_exec *x = graph(&g, 3);
	uint64_t c;
	(void)state;

	/* 0 -> 1 -> 2 -> 1: two pieces read 1's destination. */
	g.out[0] = 1, g.out[1] = 2, g.out[2] = 1;
	g.indeg[0] = 1, g.indeg[1] = 1, g.indeg[2] = 1;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
}

static void test_cycle_not_clean(void **state)
{
	struct graph g;
	struct plan_exec *x;
	uint64_t c;
	(void)state;

	/* A two-cycle whose pieces differ in size: 0 reads 1's destination, 1 reads
	 * 0's, but 1 is one page longer. Refinement would have cut it. */
	x = graph(&g, 2);
	piece(&g, 0, 0x100, 0x200, 4, 1);
	piece(&g, 1, 0x200, 0x100, 5, 1);
	g.out[0] = 1, g.out[1] = 0;
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* The same sizes, but 1 reads from a page inside 0's destination. */
	piece(&g, 1, 0x201, 0x100, 4, 1);
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* Clean: found, listed, no refusal. */
	piece(&g, 1, 0x200, 0x100, 4, 1);
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), 0);
	assert_int_equal(c, 2);
}

/* By-destination entries above pfn 2^32: grouped, each group sorted, keys whole. */
static void test_dsts_groups(void **state)
{
	static const uint64_t dst[6] = {
		0x5ULL << 32 | 7, 3, 0xffULL << 32, 0x5ULL << 32 | 2, 0xffffffff, 1ULL << 32,
	};
	struct sort_kv s[6];
	uint64_t e[6], tmp[6], prev = 0;
	struct plan_dsts d = { .e = e };
	unsigned g = 0;
	(void)state;

	for (unsigned i = 0; i < 6; i++)
		plan_span_set(&s[i], 0x1000 + i, dst[i], 1);
	plan_dsts_sort(&d, s, 6, tmp, 1);
	for (unsigned k = 0; k < 6; k++) {
		uint64_t key = plan_dsts_key(&d, k, &g);

		assert_true(k == 0 || key > prev);
		assert_int_equal(key, dst[e[k] & PLAN_LOW]);
		prev = key;
	}
	assert_int_equal(prev, 0xffULL << 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_runs),
		cmocka_unit_test(test_refused_zero_runs),
		cmocka_unit_test(test_refused_work_area),
		cmocka_unit_test(test_cut_limit),
		cmocka_unit_test(test_chain_into_run_in_place),
		cmocka_unit_test(test_edge_onto_itself),
		cmocka_unit_test(test_boundary_inside_a_piece),
		cmocka_unit_test(test_covered_by_nothing),
		cmocka_unit_test(test_cycles_not_cycles),
		cmocka_unit_test(test_successors_not_a_permutation),
		cmocka_unit_test(test_cycle_not_clean),
		cmocka_unit_test(test_dsts_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
