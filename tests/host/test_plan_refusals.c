/* SPDX-License-Identifier: MIT */
/*
 * Every refusal of the copy planner comes before its first write (loader/plan.h).
 *
 * 1. Through plan_execute(), with a plan_mem whose every callback fails the test
 *    (planned() included: it is called after the last check): each precondition
 *    broken on its own, and each way the work area can be too small.
 * 2. The checks that a valid refinement makes unreachable (they guard against a
 *    bug in the planner itself), driven on hand-made internal state: plan.c is
 *    included whole. Each of them runs in plan_prepare() or plan_cycles_find(),
 *    which plan_execute() calls before planned() and before any move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "loader/plan.c"

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
	one[0] = (struct plan_run)RUN(0x100, PLAN_PFN_END - 2, 4);	/* wraps */
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
	z = (struct plan_zero){ (PLAN_PFN_END - 1) * PG, 2 };	/* wraps */
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

	assert_int_equal(refuse(swap, 2, NULL, 0, 0), PLAN_E_NOSPACE);	/* no arena */
	assert_int_equal(refuse(swap, 2, NULL, 0, plan_arena_runs(2) - 1), PLAN_E_NOSPACE);
	assert_int_equal(refuse(NULL, PLAN_MAX_PIECES + 1, NULL, 0, sizeof(work)),
			 PLAN_E_NOSPACE);				/* too many runs */
	/* Room for the runs but not for one piece each. */
	assert_int_equal(refuse(swap, 2, NULL, 0, plan_arena_runs(2)), PLAN_E_NOSPACE);
	/* Room for the runs' pieces but not for the cuts. */
	assert_int_equal(plan_count(shift, 1, work, sizeof(work), &pieces), 0);
	assert_true(pieces > 1);
	assert_int_equal(refuse(shift, 1, NULL, 0, plan_work_size(1, pieces) - 1),
			 PLAN_E_NOSPACE);
	assert_int_equal(plan_count(NULL, PLAN_MAX_PIECES + 1, work, sizeof(work), &pieces),
			 PLAN_E_NOSPACE);
}

/* ---- the checks valid refinement makes unreachable ----------------------- */

static void test_cut_limit(void **state)
{
	struct plan_refine r = { .limit = 2, .nsplit = 2 };
	(void)state;

	/* More cuts than valid runs can have: a chain that loops. */
	assert_int_equal(plan_split_add(&r, 7), PLAN_E_INPUT);
	r.nsplit = 1;
	r.split = (struct sort_kv *)work;
	r.cap = 1;
	assert_int_equal(plan_split_add(&r, 7), PLAN_E_NOSPACE);	/* no room for it */
}

static void test_chain_into_run_in_place(void **state)
{
	struct sort_kv3 runs[1] = { { 0x100, 0x100, 4 } };		/* src == dst */
	struct plan_refine r = { .run = runs, .n = 1, .limit = 8 };
	(void)state;

	assert_int_equal(plan_refine_chain(&r, 0, 0x102), PLAN_E_INPUT);
}

/* Pieces in source order with their graph arrays, for the steps after refinement. */
struct graph {
	struct plan_piece pc[4];
	uint32_t out[4], wide[4], dense[3 * 4], queue[4];
	uint8_t indeg[4];
	struct plan_stats st;
	struct plan_exec x;
};

static struct plan_exec *graph(struct graph *g, uint64_t p)
{
	memset(g, 0, sizeof(*g));
	g->x = (struct plan_exec){ .st = &g->st, .p = p, .pc = g->pc, .out = g->out,
				   .indeg = g->indeg, .wide = g->wide, .dense = g->dense,
				   .queue = g->queue };
	return &g->x;
}

static void test_edge_refused(void **state)
{
	struct graph g;
	struct plan_exec *x = graph(&g, 2);
	(void)state;

	g.pc[0] = (struct plan_piece){ 0x100, 0x200, 4 };
	g.pc[1] = (struct plan_piece){ 0x200, 0x300, 4 };
	assert_int_equal(plan_edge_add(x, 0, 0, 0x204), PLAN_E_INPUT);	/* onto itself */
	/* Source 0x100-0x104 starts in a destination that ends at 0x102. */
	assert_int_equal(plan_edge_add(x, 0, 1, 0x102), PLAN_E_INPUT);
}

static void test_boundary_inside_a_piece(void **state)
{
	struct graph g;
	struct plan_exec *x = graph(&g, 2);
	struct sort_kv by_dst[2];
	(void)state;

	/* Piece 0 reads 0x100-0x104; piece 1's destination starts at 0x102, inside
	 * it: refinement would have cut piece 0 there. */
	g.pc[0] = (struct plan_piece){ 0x100, 0x200, 4 };
	g.pc[1] = (struct plan_piece){ 0x300, 0x102, 4 };
	by_dst[0] = (struct sort_kv){ 0x102, plan_dst_val(1, 4, 0) };
	by_dst[1] = (struct sort_kv){ 0x200, plan_dst_val(0, 4, 0) };
	assert_int_equal(plan_graph_build(x, by_dst), PLAN_E_INPUT);
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
}

static void test_successors_not_a_permutation(void **state)
{
	uint32_t orig[3] = { 0, 1, 2 }, next[3] = { 1, 1, 0 }, list[3];
	(void)state;

	assert_int_equal(plan_cycles_walk(orig, next, 3, list), PLAN_E_INPUT);
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
	g.pc[0] = (struct plan_piece){ 0x100, 0x200, 4 };
	g.pc[1] = (struct plan_piece){ 0x200, 0x100, 5 };
	g.out[0] = 1, g.out[1] = 0;
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* The same sizes, but 1 reads from a page inside 0's destination. */
	g.pc[1] = (struct plan_piece){ 0x201, 0x100, 4 };
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), PLAN_E_INPUT);
	/* Clean: found, listed, no refusal. */
	g.pc[1] = (struct plan_piece){ 0x200, 0x100, 4 };
	g.indeg[0] = 1, g.indeg[1] = 1;
	assert_int_equal(plan_cycles_find(x, &c), 0);
	assert_int_equal(c, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_runs),
		cmocka_unit_test(test_refused_zero_runs),
		cmocka_unit_test(test_refused_work_area),
		cmocka_unit_test(test_cut_limit),
		cmocka_unit_test(test_chain_into_run_in_place),
		cmocka_unit_test(test_edge_refused),
		cmocka_unit_test(test_boundary_inside_a_piece),
		cmocka_unit_test(test_cycles_not_cycles),
		cmocka_unit_test(test_successors_not_a_permutation),
		cmocka_unit_test(test_cycle_not_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
