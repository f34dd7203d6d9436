/* SPDX-License-Identifier: MIT */
/*
 * The copy planner against simulated memory: hand-made layouts with exact
 * expectations, then 100,000 random layouts checked for the planner's guarantees.
 * The checks derive what should happen from the runs alone (page map, cycles);
 * the planner's statistics are compared against them, never used as the truth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/handoff.h>
#include "core/plan.h"
#include "core/sort.h"
#include "tests/host/sim.h"

#include "tests/host/plancheck.h"

#define GEN_PAGES	4096	/* random layouts: 64 .. GEN_PAGES pages */
#define PROPERTY_CASES	100000

static struct plan_stats run_ok(const struct layout *l)
{
	struct plan_stats st;
	const char *err = check_layout(l, 0, 1, &st);

	if (err)
		fail_msg("%s (page %llu, rc %d)", err, (unsigned long long)sim.error_page,
			 last_rc);
	return st;
}

static struct layout *layout_new(uint64_t base, uint64_t npages)
{
	static struct layout l;

	memset(&l, 0, sizeof(l));
	l.base = base;
	l.npages = npages;
	return &l;
}

/* ---------------------------------------------------------------- hand cases */

static void test_empty(void **state)
{
	struct plan_stats st;
	uint64_t pieces = 1;
	(void)state;

	assert_int_equal(plan_count_work_size(0), 0);
	assert_int_equal(plan_work_size(0, 0), 0);
	assert_int_equal(plan_count(NULL, 0, NULL, 0, &pieces), 0);
	assert_int_equal(pieces, 0);
	assert_int_equal(plan_execute(NULL, 0, NULL, 0, NULL, 0, NULL, &st), 0);
	assert_int_equal(st.ops + st.copies + st.pieces + st.zeroed, 0);
	st = run_ok(layout_new(0x100, 16));
	assert_int_equal(st.ops, 0);
}

static void test_in_place_only(void **state)
{
	struct layout *l = layout_new(0x100, 64);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 0, 8);
	add_run(l, 20, 20, 1);
	st = run_ok(l);
	assert_int_equal(st.in_place, 9);
	assert_int_equal(st.pieces, 0);
	assert_int_equal(st.copies, 0);
	assert_int_equal(st.ops, 0);
}

static void test_disjoint(void **state)
{
	struct layout *l = layout_new(0x100, 128);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 64, 10);
	add_run(l, 20, 90, 5);
	add_run(l, 30, 100, 20);
	st = run_ok(l);
	assert_int_equal(st.pieces, 3);
	assert_int_equal(st.ops, 3);
	assert_int_equal(st.ordered, 0);
	assert_int_equal(st.longest, 1);
	assert_int_equal(st.copies, 35);
}

/* One plain run with no interaction: one move. */
static void test_plain_run(void **state)
{
	struct layout *l = layout_new(0x100000, 8192);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 4096, 4096);
	st = run_ok(l);
	assert_int_equal(st.pieces, 1);
	assert_int_equal(st.ops, 1);
}

/* 16 MiB shifted up one page: 4096 one-page pieces, one move (memmove backwards). */
static void test_shift_up(void **state)
{
	struct layout *l = layout_new(0x100000, 4097);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 1, 4096);
	st = run_ok(l);
	assert_int_equal(st.pieces, 4096);
	assert_int_equal(st.ops, 1);
	assert_int_equal(st.copies, 4096);
	assert_int_equal(st.cycles, 0);
	assert_int_equal(st.longest, 4096);
	assert_int_equal(st.ordered, 4095);
}

static void test_shift_down(void **state)
{
	struct layout *l = layout_new(0x100000, 4097);
	struct plan_stats st;
	(void)state;

	add_run(l, 1, 0, 4096);
	st = run_ok(l);
	assert_int_equal(st.ops, 1);
	assert_int_equal(st.copies, 4096);
}

/* 10 pages shifted by 3: the source overlaps its own destination by 7 pages. */
static void test_self_overlap(void **state)
{
	struct layout *l = layout_new(0x200, 32);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 3, 10);
	st = run_ok(l);
	assert_int_equal(st.pieces, 4);
	assert_int_equal(st.ops, 1);
	add_run(l, 20, 13, 10);		/* and one shifted down by 7 */
	st = run_ok(l);
	assert_int_equal(st.ops, 2);
}

static void test_swap(void **state)
{
	struct layout *l = layout_new(0x300, 64);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 32, 8);
	add_run(l, 32, 0, 8);
	st = run_ok(l);
	assert_int_equal(st.cycles, 8);
	assert_int_equal(st.copies, 24);
	assert_int_equal(st.ops, 8);
	assert_int_equal(sim.saves, 8);
}

static void test_three_cycle(void **state)
{
	struct layout *l = layout_new(0x300, 64);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 10, 5);
	add_run(l, 10, 20, 5);
	add_run(l, 20, 0, 5);
	st = run_ok(l);
	assert_int_equal(st.cycles, 5);
	assert_int_equal(st.copies, 20);
	assert_int_equal(st.longest, 3);
}

/* 16 pages rotated by one within themselves: one page cycle of 16. */
static void test_rotate(void **state)
{
	struct layout *l = layout_new(0x300, 16);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 1, 15);
	add_run(l, 15, 0, 1);
	st = run_ok(l);
	assert_int_equal(st.cycles, 1);
	assert_int_equal(st.copies, 17);
	assert_true(st.ops <= 3);
}

/* Two runs of unequal size exchanging places, with a tail that moves too. */
static void test_unequal_swap(void **state)
{
	struct layout *l = layout_new(0x300, 64);
	(void)state;

	add_run(l, 0, 5, 7);		/* [0,7) -> [5,12) */
	add_run(l, 7, 0, 5);		/* [7,12) -> [0,5) */
	add_run(l, 12, 40, 3);
	run_ok(l);
}

static void test_chain(void **state)
{
	struct layout *l = layout_new(0x1000, 2002);
	struct plan_stats st;
	(void)state;

	for (uint64_t i = 0; i < 1000; i++)	/* page 2i -> 2i + 2 */
		add_run(l, 2 * i, 2 * i + 2, 1);
	st = run_ok(l);
	assert_int_equal(st.pieces, 1000);
	assert_int_equal(st.longest, 1000);
	assert_int_equal(st.ordered, 999);
	assert_int_equal(st.cycles, 0);
	assert_int_equal(st.copies, 1000);
}

/* Zero runs come last, over pages that are sources; adjacent ones merge. */
static void test_zero_over_source(void **state)
{
	struct layout *l = layout_new(0x400, 32);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 10, 4);
	add_zero(l, 2, 2);
	add_zero(l, 4, 3);
	add_zero(l, 20, 1);
	st = run_ok(l);
	assert_int_equal(st.zeroed, 6);
	assert_int_equal(sim.zero_calls, 2);
}

/* Runs in the top pages the planner takes (the last one ends at 2^52, plan.h). */
static void test_top_of_memory(void **state)
{
	struct layout *l = layout_new((PLAN_ADDR_END >> 12) - 64, 64);
	(void)state;

	add_run(l, 0, 60, 4);
	add_run(l, 60, 1, 4);
	add_zero(l, 0, 1);
	run_ok(l);
}

/*
 * 256 and 300 pieces read one destination: in-degrees too wide for a byte (the
 * planner once kept them in one). The reader-of-all comes first in source order,
 * so a count that wrapped would let it go first and overwrite what the others
 * still have to read.
 */
static void test_wide_indegree(void **state)
{
	static const uint64_t readers[] = { 253, 254, 255, 256, 300 };
	(void)state;

	for (unsigned t = 0; t < sizeof(readers) / sizeof(readers[0]); t++) {
		struct layout *l = layout_new(0x100, 8192);
		uint64_t k = readers[t];
		struct plan_stats st;

		add_run(l, 0, 1000, k);		/* its destination holds k sources */
		for (uint64_t i = 0; i < k; i++)
			add_run(l, 1000 + i, 2000 + 3 * i, 1);
		st = run_ok(l);
		assert_int_equal(st.pieces, k + 1);
		assert_int_equal(st.ordered, 1);
		assert_int_equal(st.longest, 2);
	}
}

/*
 * Runs of 2^33 pages (dry run): page counts too wide for the by-destination
 * entries, and destinations above 16 TiB (pfns past 32 bits) beside ones below.
 */
static void test_huge_run(void **state)
{
	const uint64_t G = 1ULL << 33, D = 1ULL << 39;
	struct plan_run runs[3] = {
		{ .src = 0, .dst = D << 12, .pages = G },
		{ .src = (3 * D / 2) << 12, .dst = 100 << 12, .pages = 5 },
		{ .src = (D + G - 7) << 12, .dst = 3000 << 12, .pages = 1 },
	};
	static uint64_t work[4096];
	struct plan_stats st;
	uint64_t pieces;
	(void)state;

	assert_int_equal(plan_count(runs, 3, work, sizeof(work), &pieces), 0);
	assert_int_equal(pieces, 7);
	assert_true(plan_work_size(3, pieces) <= sizeof(work));
	assert_int_equal(plan_execute(runs, 3, NULL, 0, work, plan_work_size(3, pieces),
				      NULL, &st), 0);
	assert_int_equal(st.pieces, 7);
	assert_int_equal(st.moved, G + 6);
	assert_int_equal(st.copies, G + 6);
	assert_int_equal(st.ordered, 3);	/* the second run, the third, the tail */
	assert_int_equal(st.longest, 3);
}

static void test_bad_input(void **state)
{
	struct layout *l;
	(void)state;

	l = layout_new(0x100, 64);
	add_run(l, 0, 20, 10);
	add_run(l, 30, 25, 10);		/* destinations overlap */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new(0x100, 64);
	add_run(l, 0, 20, 10);
	add_run(l, 5, 40, 10);		/* sources overlap */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new(0x100, 64);
	add_run(l, 0, 20, 0);		/* empty */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new(0x100, 64);
	add_run(l, 0, 20, 4);
	l->runs[0].src += 0x800;	/* misaligned */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new((1ULL << 52) - 4, 4);
	add_run(l, 0, 2, 3);		/* wraps past 2^64 */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new((PLAN_ADDR_END >> 12) - 4, 8);
	add_run(l, 0, 2, 3);		/* ends one page past 2^52 */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	assert_int_equal(last_rc, PLAN_E_INPUT);	/* plan_count() too */
	l->runs[0].pages = 2;		/* ends at 2^52: taken */
	assert_int_equal(execute_rc(l, NULL), 0);
	l = layout_new(PLAN_ADDR_END >> 12, 4);
	add_run(l, 0, 0, 1);		/* starts at 2^52, in place */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new(0x100, 64);
	add_run(l, 0, 20, 4);
	add_zero(l, 30, 1);
	l->zeros[0].dst = PLAN_ADDR_END;	/* a zero run at 2^52 */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new(0x100, 64);
	add_run(l, 0, 20, 4);
	add_zero(l, 23, 2);		/* zero run over a copy destination */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	l = layout_new(0x100, 64);
	add_zero(l, 23, 0);		/* empty zero run */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
	assert_non_null(plan_strerror(PLAN_E_INPUT));
	assert_non_null(plan_strerror(PLAN_E_NOSPACE));
	assert_non_null(plan_strerror(-1));
}

/* A work area that is not 8-byte aligned costs at most 7 bytes. */
/* Found by fuzz_plan: the planner does not compare zero runs with each other (that
 * would cost a sort in the loader); they end zeroed, and the validator refuses them. */
static void test_zero_runs_overlapping_each_other(void **state)
{
	struct layout *l = layout_new(0x100, 16);
	(void)state;

	add_run(l, 0, 8, 2);
	add_zero(l, 2, 4);
	add_zero(l, 4, 4);		/* pages 4 and 5 in both */
	assert_int_equal(execute_rc(l, NULL), 0);
	add_zero(l, 9, 1);		/* and over a copy destination: refused */
	assert_int_equal(execute_rc(l, NULL), PLAN_E_INPUT);
}

static void test_misaligned_work(void **state)
{
	struct layout *l = layout_new(0x100, 64);
	struct plan_stats st;
	(void)state;

	add_run(l, 0, 1, 30);
	add_run(l, 40, 32, 9);
	for (size_t skew = 1; skew < 8; skew++)
		assert_null(check_layout(l, skew, 1, &st));
}

/*
 * Both sorts, against sizes around the insertion-sort cut and keys of few bytes;
 * masked, the bits left out must not order (data under the key, as the planner
 * packs it).
 */
static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void test_sort(void **state)
{
	static struct sort_kv a[5000], tmp[5000], b[5000], tmpb[5000], b0[5000];
	static uint64_t c[5000], tmpc[5000], c0[5000];
	static uint8_t seen[5000];
	const uint64_t data = 0xff0000ffULL;	/* not in the masked key */
	uint64_t x = 12345;
	(void)state;

	for (int round = 0; round < 40; round++) {
		uint64_t n = (uint64_t)round * 125 + round % 3, mask = ~0ULL;

		if (round & 1)
			mask = 0xff00ffULL << 8;
		if (round % 5 == 0)
			mask = 0x3ULL << 40;
		for (uint64_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			a[i].key = x & mask;
			a[i].val = i;
			b[i].key = a[i].key | (x & data);	/* data below the key */
			b[i].val = i;
			c[i] = (a[i].key & ~data) | ((x >> 8) & data);
		}
		if (round % 7 == 0)		/* already sorted */
			sort_kv(a, tmp, n);
		memcpy(b0, b, n * sizeof(*b));
		memcpy(c0, c, n * sizeof(*c));
		sort_kv(a, tmp, n);
		sort_kv_masked(b, tmpb, n, ~data);
		sort_u64_masked(c, tmpc, n, ~data);
		/* the same records come out, data bits and all: a permutation */
		memset(seen, 0, n);
		for (uint64_t i = 0; i < n; i++) {
			assert_true(b[i].val < n && !seen[b[i].val]);
			seen[b[i].val] = 1;
			assert_int_equal(b[i].key, b0[b[i].val].key);
		}
		memcpy(tmpc, c, n * sizeof(*c));
		qsort(tmpc, n, sizeof(*tmpc), cmp_u64);
		qsort(c0, n, sizeof(*c0), cmp_u64);
		assert_memory_equal(tmpc, c0, n * sizeof(*c0));
		for (uint64_t i = 1; i < n; i++) {
			assert_true(a[i - 1].key <= a[i].key);
			if (a[i - 1].key == a[i].key)
				assert_true(a[i - 1].val < a[i].val);	/* stable */
			assert_true((b[i - 1].key & ~data) <= (b[i].key & ~data));
			if ((b[i - 1].key & ~data) == (b[i].key & ~data))
				assert_true(b[i - 1].val < b[i].val);	/* stable */
			assert_true((c[i - 1] & ~data) <= (c[i] & ~data));
		}
	}
}

/* 32 bytes of work area per piece or per run, whichever are more: all of it. */
static void test_work_sizes(void **state)
{
	(void)state;

	assert_int_equal(plan_count_work_size(1), 32);
	assert_int_equal(plan_count_work_size(1000), 32000);
	assert_int_equal(plan_work_size(1, 1), 32);
	assert_int_equal(plan_work_size(1000, 4000), 128000);
	assert_int_equal(plan_work_size(4000, 1000), 128000);
	assert_int_equal(plan_work_size(PLAN_MAX_PIECES, 1), PLAN_MAX_PIECES * 32);
	assert_true(plan_work_size(PLAN_MAX_PIECES + 1, 1) == SIZE_MAX);
	assert_true(plan_work_size(1, PLAN_MAX_PIECES + 1) == SIZE_MAX);
	assert_true(plan_count_work_size(PLAN_MAX_PIECES + 1) == SIZE_MAX);
}

/* ---------------------------------------------------------------- random layouts */

struct gen {
	uint64_t rng;
	uint64_t n;		/* pages */
	int64_t map[MAX_PAGES];	/* destination of a source page, -1: none */
	uint8_t dst[MAX_PAGES];	/* 1: copy destination, 2: zero destination */
};

static uint64_t rnd(struct gen *g, uint64_t bound)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return bound ? z % bound : 0;
}

static int free_both(const struct gen *g, uint64_t x)
{
	return g->map[x] < 0 && !g->dst[x];
}

static void gen_map(struct gen *g, uint64_t src, uint64_t dst)
{
	g->map[src] = (int64_t)dst;
	g->dst[dst] = 1;
}

/* A random page free as source and destination, or n when it takes too long. */
static uint64_t gen_free_page(struct gen *g)
{
	uint64_t x = rnd(g, g->n);

	for (int t = 0; t < 64; t++, x = x + 1 < g->n ? x + 1 : 0)
		if (free_both(g, x))
			return x;
	return g->n;
}

/* A block moved by an offset, small (overlapping itself) or anywhere. */
static void gen_shift(struct gen *g)
{
	uint64_t len = 1 + rnd(g, g->n / (rnd(g, 2) ? 2 : 16));
	uint64_t a = rnd(g, g->n - len + 1), b;

	if (rnd(g, 2)) {
		int64_t off = (int64_t)rnd(g, 2 * len + 6) - (int64_t)len - 3;

		if ((int64_t)a + off < 0 || a + off + len > g->n)
			return;
		b = a + off;
	} else {
		b = rnd(g, g->n - len + 1);
	}
	for (uint64_t i = 0; i < len; i++)
		if (g->map[a + i] >= 0 || g->dst[b + i])
			return;
	for (uint64_t i = 0; i < len; i++)
		gen_map(g, a + i, b + i);
}

/* A region cut into blocks of random sizes laid out again in a random order. */
static void gen_blocks(struct gen *g)
{
	uint64_t len = 2 + rnd(g, g->n < 256 ? g->n - 1 : 255), a, cut[9], order[8], k;
	uint64_t at;

	a = rnd(g, g->n - len + 1);
	for (uint64_t i = 0; i < len; i++)
		if (!free_both(g, a + i))
			return;
	k = 2 + rnd(g, 7);
	if (k > len)
		k = len;
	cut[0] = 0, cut[k] = len;
	for (uint64_t i = 1; i < k; i++)	/* increasing cuts, each block >= 1 */
		cut[i] = cut[i - 1] + 1 + rnd(g, len - cut[i - 1] - (k - i));
	for (uint64_t i = 0; i < k; i++)
		order[i] = i;
	for (uint64_t i = k - 1; i > 0; i--) {
		uint64_t j = rnd(g, i + 1), t = order[i];

		order[i] = order[j], order[j] = t;
	}
	at = a;
	for (uint64_t i = 0; i < k; i++) {
		uint64_t b = order[i];

		for (uint64_t p = cut[b]; p < cut[b + 1]; p++)
			gen_map(g, a + p, at++);
	}
}

/* A pool of free pages permuted at random: cycles, fixed points (in place). */
static void gen_pool(struct gen *g)
{
	static uint64_t pool[MAX_PAGES], to[MAX_PAGES];
	uint64_t want = 2 + rnd(g, rnd(g, 4) ? 64 : g->n), k = 0;

	for (uint64_t x = 0; x < g->n; x++)	/* every free page, then a random few */
		if (free_both(g, x))
			pool[k++] = x;
	for (uint64_t i = 0; i < k && i < want; i++) {
		uint64_t j = i + rnd(g, k - i), t = pool[j];

		pool[j] = pool[i], pool[i] = t;
	}
	if (k > want)
		k = want;
	for (uint64_t i = 0; i < k; i++)
		to[i] = pool[i];
	for (uint64_t i = k; i > 1; i--) {
		uint64_t j = rnd(g, i), t = to[i - 1];

		to[i - 1] = to[j], to[j] = t;
	}
	for (uint64_t i = 0; i < k; i++)
		gen_map(g, pool[i], to[i]);
}

/* x0 -> x1 -> ... -> xL over free pages; closed into a cycle if `cycle`. */
static void gen_chain(struct gen *g, uint64_t len, int cycle)
{
	uint64_t first = gen_free_page(g), x = first;

	if (first == g->n)
		return;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t y = gen_free_page(g);

		if (y == g->n || y == first)
			break;
		gen_map(g, x, y);
		x = y;
	}
	if (cycle && x != first)
		gen_map(g, x, first);
}

static void gen_in_place(struct gen *g)
{
	uint64_t len = 1 + rnd(g, 8), a = rnd(g, g->n - len + 1);

	for (uint64_t i = 0; i < len; i++)
		if (!free_both(g, a + i))
			return;
	for (uint64_t i = 0; i < len; i++)
		gen_map(g, a + i, a + i);
}

/* Zero pages: on free destinations, often where sources are. */
static void gen_zeros(struct gen *g)
{
	uint64_t len = 1 + rnd(g, 16), a = rnd(g, g->n - len + 1);

	for (uint64_t i = 0; i < len && a + i < g->n && !g->dst[a + i]; i++)
		g->dst[a + i] = 2;
}

/* A few small cycles (2 .. 5 pages). */
static void gen_cycles(struct gen *g)
{
	for (uint64_t i = 1 + rnd(g, 8); i > 0; i--)
		gen_chain(g, 1 + rnd(g, 4), 1);
}

/* One random ingredient of a layout. */
static void gen_step(struct gen *g)
{
	switch (rnd(g, 8)) {
	case 0:
		gen_shift(g);
		break;
	case 1:
		gen_blocks(g);
		break;
	case 2:
		gen_pool(g);
		break;
	case 3:
		gen_chain(g, 2 + rnd(g, 200), 0);
		break;
	case 4:
		gen_cycles(g);
		break;
	case 5:
		gen_in_place(g);
		break;
	case 6:					/* sources that zero runs then cover */
		gen_shift(g);
		gen_zeros(g);
		break;
	default:
		gen_blocks(g);
		gen_shift(g);
		break;
	}
}

/* Page map to runs: contiguous stretches with one offset, cut at random. */
static void gen_runs(struct gen *g, struct layout *l, uint64_t cut_one_in)
{
	for (uint64_t s = 0; s < g->n; s++) {
		uint64_t len = 1;

		if (g->map[s] < 0)
			continue;
		while (s + len < g->n && g->map[s + len] == g->map[s] + (int64_t)len &&
		       (!cut_one_in || rnd(g, cut_one_in)))
			len++;
		add_run(l, s, (uint64_t)g->map[s], len);
		s += len - 1;
	}
	for (uint64_t z = 0; z < g->n; z++) {
		uint64_t len = 1;

		if (g->dst[z] != 2)
			continue;
		while (z + len < g->n && g->dst[z + len] == 2 && rnd(g, 4))
			len++;
		add_zero(l, z, len);
		z += len - 1;
	}
}

static void shuffle_runs(struct gen *g, struct layout *l)
{
	for (uint64_t i = l->n; i > 1; i--) {
		uint64_t j = rnd(g, i);
		struct plan_run t = l->runs[i - 1];

		l->runs[i - 1] = l->runs[j], l->runs[j] = t;
	}
}

static struct layout *gen_layout(struct gen *g, uint64_t seed)
{
	static const uint64_t cuts[] = { 0, 2, 4, 16 };
	uint64_t pick, base, steps;
	struct layout *l;

	g->rng = seed;
	pick = rnd(g, 100);
	if (pick < 70)				/* pages: mostly small, some large */
		g->n = 64 + rnd(g, 449);
	else if (pick < 95)
		g->n = 512 + rnd(g, 1537);
	else
		g->n = 2048 + rnd(g, GEN_PAGES - 2047);
	pick = rnd(g, 10);
	/* Low, at 0, at the planner's top (2^52 bytes), or across pfn 2^32, where
	 * by-destination entries change group (core/plan.c). */
	base = pick < 7 ? rnd(g, 1 << 20) : pick < 9 ? 0 :
	       rnd(g, 2) ? (PLAN_ADDR_END >> 12) - g->n : (1ULL << 32) - g->n / 2;
	for (uint64_t i = 0; i < g->n; i++)
		g->map[i] = -1, g->dst[i] = 0;
	steps = 1 + rnd(g, 12);
	for (uint64_t i = 0; i < steps; i++)
		gen_step(g);
	if (rnd(g, 2))
		for (int i = rnd(g, 4); i >= 0; i--)
			gen_zeros(g);
	l = layout_new(base, g->n);
	gen_runs(g, l, cuts[rnd(g, 4)]);
	if (rnd(g, 4))
		shuffle_runs(g, l);
	return l;
}

/* How many layouts showed each feature: the generator must keep making them. */
struct coverage {
	uint64_t cycles, chains, cuts, multi_page, in_place, zero_on_source, high, wide;
	uint64_t groups;
};

static void coverage_add(struct coverage *cv, const struct layout *l,
			 const struct plan_stats *st)
{
	int multi = 0, zsrc = 0;

	for (uint64_t r = 0; r < l->n; r++)
		multi |= l->runs[r].pages > 1;
	for (uint64_t z = 0; z < l->nz && !zsrc; z++)	/* page_map: this layout's */
		for (uint64_t i = 0; i < l->zeros[z].pages; i++)
			zsrc |= page_map[zero_dst_page(l, z) + i] >= 0;
	cv->cycles += st->cycles > 0;
	cv->chains += st->longest >= 10;
	cv->cuts += st->pieces > st->runs;
	cv->multi_page += multi;
	cv->in_place += st->in_place > 0;
	cv->zero_on_source += zsrc;
	cv->high += l->base + l->npages == PLAN_ADDR_END >> 12;
	cv->groups += l->base < 1ULL << 32 && l->base + l->npages > 1ULL << 32;
	cv->wide += l->npages > 2048;
}

static void test_property(void **state)
{
	static struct gen g;
	struct coverage cv = { 0 };
	uint64_t cycles = 0, pieces = 0, runs = 0;
	(void)state;

	for (uint64_t c = 0; c < PROPERTY_CASES; c++) {
		uint64_t seed = 0x6261746f6e000000ULL + c;
		struct layout *l = gen_layout(&g, seed);
		struct plan_stats st;
		/* The one-byte-short runs on a quarter of the layouts: they cost a third. */
		const char *err = check_layout(l, c % 97 == 0 ? 1 + c % 7 : 0, c % 4 == 0, &st);

		if (err)
			fail_msg("case %llu (seed %#llx, %llu pages, %llu runs): %s (page %llu, rc %d)",
				 (unsigned long long)c, (unsigned long long)seed,
				 (unsigned long long)l->npages, (unsigned long long)l->n, err,
				 (unsigned long long)sim.error_page, last_rc);
		cycles += st.cycles, pieces += st.pieces, runs += st.runs;
		coverage_add(&cv, l, &st);
	}
	print_message("%d layouts: %llu runs, %llu pieces, %llu page cycles; layouts with "
		      "cycles %llu, chains >= 10 %llu, cut runs %llu, multi-page runs %llu, "
		      "in place %llu, zeros on sources %llu, at 2^52 %llu, across pfn 2^32 %llu, "
		      "> 2048 pages %llu\n",
		      PROPERTY_CASES, (unsigned long long)runs, (unsigned long long)pieces,
		      (unsigned long long)cycles, (unsigned long long)cv.cycles,
		      (unsigned long long)cv.chains, (unsigned long long)cv.cuts,
		      (unsigned long long)cv.multi_page, (unsigned long long)cv.in_place,
		      (unsigned long long)cv.zero_on_source, (unsigned long long)cv.high,
		      (unsigned long long)cv.groups, (unsigned long long)cv.wide);
	/* Each feature in at least 2% of the layouts. */
	assert_true(cv.cycles > PROPERTY_CASES / 50 && cv.chains > PROPERTY_CASES / 50);
	assert_true(cv.cuts > PROPERTY_CASES / 50 && cv.multi_page > PROPERTY_CASES / 50);
	assert_true(cv.in_place > PROPERTY_CASES / 50 && cv.wide > PROPERTY_CASES / 50);
	assert_true(cv.zero_on_source > PROPERTY_CASES / 50 && cv.high > PROPERTY_CASES / 50);
	assert_true(cv.groups > PROPERTY_CASES / 50);
}

static int setup(void **state)
{
	(void)state;
	sim_alloc(&sim, MAX_PAGES + 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sim_free(&sim);
	work_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_work_sizes),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_in_place_only),
		cmocka_unit_test(test_disjoint),
		cmocka_unit_test(test_plain_run),
		cmocka_unit_test(test_shift_up),
		cmocka_unit_test(test_shift_down),
		cmocka_unit_test(test_self_overlap),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_three_cycle),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_unequal_swap),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_zero_over_source),
		cmocka_unit_test(test_top_of_memory),
		cmocka_unit_test(test_wide_indegree),
		cmocka_unit_test(test_huge_run),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_zero_runs_overlapping_each_other),
		cmocka_unit_test(test_misaligned_work),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
