/* SPDX-License-Identifier: MIT */
/*
 * Planner and copy-engine figures (`make bench`), medians over RUNS runs:
 *  - planner time (plan_execute dry and with a no-op plan_mem; plan_count apart) for
 *    1M single-page runs whose sources sit on other runs' destinations, in long
 *    chains and many cycles (the worst case), a 64 MiB image scattered in 4 KiB
 *    pieces, and a 4 GiB image in one run (apart, and shifted up by one page);
 *    and the work area it takes per piece, plan_work_size() / pieces. Goals
 *    (issue 10): under 100 ms for the worst case, at most 32 bytes per piece for
 *    every layout; each line says "goal met" or "goal missed";
 *  - list bytes a page (stage/list.c, the stage's own encoder) for 1 GiB in single
 *    source pages, none adjacent, with contiguous and with scattered destinations,
 *    entries alone and with each list page's two header words, against kexec's
 *    IND_* list for the same pages (one word a page, a destination word where
 *    destinations jump, one indirection word per 511);
 *  - copy engine: a plan placing 256 MiB of real memory against glibc's memmove
 *    of the same runs at the same addresses (no order, no cycles), as a
 *    throughput ratio, for a scattered layout and a hostile mix.
 *
 * Everything timed is the code the blob ships: the loader's freestanding objects
 * (build/obj/fs: -Oz, no SSE) of core/plan.c, core/sort.c and
 * arch/x86/string.c, with memmove, memcpy and memset renamed blob_* so that they
 * do not meet glibc's (tests/host/blob/build.mk). Only the baseline is glibc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <baton/handoff.h>
#include "core/plan.h"
#include "stage/list.h"

/* The blob's copy engine, arch/x86/string.c as built for the blob. */
void *blob_memmove(void *dst, const void *src, size_t n);
void *blob_memcpy(void *dst, const void *src, size_t n);
void *blob_memset(void *dst, int c, size_t n);

#define RUNS		7
#define PAGE		4096ULL
#define WORST_PAGES	(1ULL << 20)
#define BASE_PFN	0x100000ULL	/* 4 GiB: planner layouts are not backed */
#define GOAL_MS		100.0		/* the worst case, median */
#define GOAL_BYTES	32.0		/* work area per piece, every layout */

static uint64_t rng = 0x62656e6368ULL;

static uint64_t rnd(uint64_t bound)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % bound;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "bench: out of memory (%zu bytes)\n", size);
		exit(1);
	}
	return p;
}

static void shuffle(uint64_t *v, uint64_t n)
{
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = rnd(i), t = v[i - 1];

		v[i - 1] = v[j], v[j] = t;
	}
}

static void run_set(struct plan_run *r, uint64_t src, uint64_t dst, uint64_t pages)
{
	r->src = src * PAGE;
	r->dst = dst * PAGE;
	r->pages = pages;
}

struct layout {
	struct plan_run *runs;
	uint64_t n;
};

/* ------------------------------------------------------------------ layouts */

/*
 * 1M single-page runs over 1M + chains pages, in random list order: half the pages
 * in cycles of 2..16 pages, half in chains of ~1000 pages, every page at a random
 * place so nothing merges.
 */
static struct layout layout_worst(void)
{
	uint64_t total = WORST_PAGES + WORST_PAGES / 500 + 1, k = 0, at = 0;
	uint64_t *page = xmalloc(total * sizeof(*page));
	struct layout l = { xmalloc(WORST_PAGES * sizeof(*l.runs)), 0 };

	for (uint64_t i = 0; i < total; i++)
		page[i] = BASE_PFN + i;
	shuffle(page, total);
	while (l.n < WORST_PAGES / 2) {		/* cycles */
		uint64_t len = 2 + rnd(15), first = at;

		if (l.n + len + 2 > WORST_PAGES / 2)	/* no cycle of one at the end */
			len = WORST_PAGES / 2 - l.n;
		for (k = 0; k < len; k++, at++)
			run_set(&l.runs[l.n++], page[at], page[k + 1 < len ? at + 1 : first], 1);
	}
	while (l.n < WORST_PAGES) {		/* chains: page[at] -> page[at + 1] ... */
		uint64_t len = 500 + rnd(1000);

		if (l.n + len > WORST_PAGES)
			len = WORST_PAGES - l.n;
		for (k = 0; k < len; k++, at++)
			run_set(&l.runs[l.n++], page[at], page[at + 1], 1);
		at++;				/* the chain's end, a fresh page */
	}
	free(page);
	for (uint64_t i = l.n; i > 1; i--) {
		uint64_t j = rnd(i);
		struct plan_run t = l.runs[i - 1];

		l.runs[i - 1] = l.runs[j], l.runs[j] = t;
	}
	return l;
}

/* 64 MiB placed contiguously from 4 KiB pages scattered over 1 GiB around it. */
static struct layout layout_scattered(void)
{
	uint64_t pages = 16384, span = 262144, dst = BASE_PFN + span / 2;
	uint64_t *page = xmalloc(span * sizeof(*page));
	struct layout l = { xmalloc(pages * sizeof(*l.runs)), pages };

	for (uint64_t i = 0; i < span; i++)
		page[i] = BASE_PFN + i;
	shuffle(page, span);
	for (uint64_t i = 0; i < pages; i++)
		run_set(&l.runs[i], page[i], dst + i, 1);
	free(page);
	return l;
}

/* One 4 GiB run, away from its destination or shifted up by one page. */
static struct layout layout_one_run(uint64_t shift)
{
	struct layout l = { xmalloc(sizeof(*l.runs)), 1 };

	run_set(&l.runs[0], BASE_PFN, BASE_PFN + shift, WORST_PAGES);
	return l;
}

/* ------------------------------------------------------------------ planner */

/* A plan_mem that does nothing: the cost of the calls alone. */
static void noop_move(void *c, uint64_t d, uint64_t s, uint64_t p)
{
	(void)c, (void)d, (void)s, (void)p;
}

static void noop_zero(void *c, uint64_t d, uint64_t p)
{
	(void)c, (void)d, (void)p;
}

static void noop_page(void *c, uint64_t a)
{
	(void)c, (void)a;
}

/* plan_count + plan_execute once, with fresh work areas; fills *st. */
static void plan_once(const struct layout *l, const struct plan_mem *mem,
		      struct plan_stats *st)
{
	size_t csize = plan_count_work_size(l->n), size;
	void *cw = xmalloc(csize ? csize : 1), *w;
	uint64_t pieces;
	int err = plan_count(l->runs, l->n, cw, csize, &pieces);

	free(cw);
	size = plan_work_size(l->n, pieces);
	w = xmalloc(size ? size : 1);
	if (!err)
		err = plan_execute(l->runs, l->n, NULL, 0, w, size, mem, st);
	free(w);
	if (err) {
		fprintf(stderr, "bench: planner failed: %s\n", plan_strerror(err));
		exit(1);
	}
}

/* Times plan_count() and plan_execute() apart; work areas allocated and touched. */
static void plan_timed(const struct layout *l, const struct plan_mem *mem,
		       struct plan_stats *st, void *w, size_t size, void *cw, size_t csize,
		       double *count_ms, double *exec_ms)
{
	uint64_t pieces;
	double t0 = now_ms(), t1;
	int err = plan_count(l->runs, l->n, cw, csize, &pieces);

	t1 = now_ms();
	if (!err)
		err = plan_execute(l->runs, l->n, NULL, 0, w, size, mem, st);
	if (err) {
		fprintf(stderr, "bench: planner failed: %s\n", plan_strerror(err));
		exit(1);
	}
	*count_ms = t1 - t0;
	*exec_ms = now_ms() - t1;
}

/* Whether the goals hold: time (when the layout has a target) and bytes per piece. */
static const char *goal_met(double ms, double target, double per_piece)
{
	return (!target || ms < target) && per_piece <= GOAL_BYTES ? "goal met" : "goal missed";
}

static void bench_planner(const char *name, struct layout l, double target)
{
	struct plan_mem noop = { NULL, noop_move, noop_zero, noop_page, noop_page, NULL };
	struct plan_stats st;
	double count[2 * RUNS], dry[RUNS], wet[RUNS], med, per_piece;
	size_t csize = plan_count_work_size(l.n), size;
	void *cw, *w;

	plan_once(&l, NULL, &st);
	size = plan_work_size(l.n, st.pieces);
	cw = xmalloc(csize ? csize : 1);
	w = xmalloc(size ? size : 1);
	memset(cw, 1, csize);		/* touched: no page faults in the timings */
	memset(w, 1, size);
	for (int i = 0; i < RUNS; i++) {
		plan_timed(&l, NULL, &st, w, size, cw, csize, &count[2 * i], &dry[i]);
		plan_timed(&l, &noop, &st, w, size, cw, csize, &count[2 * i + 1], &wet[i]);
	}
	med = median(dry, RUNS);		/* sorts dry[]: dry[0] is the best */
	per_piece = st.pieces ? (double)size / st.pieces : 0;
	printf("planner %s: median %.1f ms, %.1f bytes of work area per piece (", name, med,
	       per_piece);
	if (target)
		printf("< %.0f ms, ", target);
	printf("<= %.0f B per piece): %s", GOAL_BYTES, goal_met(med, target, per_piece));
	printf("\n  plan_execute: %.1f ms dry (best %.1f), %.1f ms with a no-op plan_mem; "
	       "plan_count: %.1f ms\n", med, dry[0], median(wet, RUNS),
	       median(count, 2 * RUNS));
	printf("  %llu runs, %llu pieces, %llu ops, %llu page cycles, longest chain %llu, "
	       "work %.1f MiB (plan_count %.1f MiB)\n",
	       (unsigned long long)st.runs, (unsigned long long)st.pieces,
	       (unsigned long long)st.ops, (unsigned long long)st.cycles,
	       (unsigned long long)st.longest, size / 1048576.0, csize / 1048576.0);
	free(cw);
	free(w);
	free(l.runs);
}

/* ------------------------------------------------------------------ copy engine */

#define ARENA_PAGES	163840ULL	/* 640 MiB: room for a fully scattered image */
#define IMAGE_PAGES	65536ULL	/* 256 MiB */

struct arena {
	unsigned char *mem;
	unsigned char scratch[PAGE];
};

static void real_move(void *c, uint64_t d, uint64_t s, uint64_t p)
{
	struct arena *a = c;

	blob_memmove(a->mem + d, a->mem + s, p * PAGE);
}

static void real_zero(void *c, uint64_t d, uint64_t p)
{
	struct arena *a = c;

	blob_memset(a->mem + d, 0, p * PAGE);
}

static void real_save(void *c, uint64_t s)
{
	struct arena *a = c;

	blob_memcpy(a->scratch, a->mem + s, PAGE);
}

static void real_restore(void *c, uint64_t d)
{
	struct arena *a = c;

	blob_memcpy(a->mem + d, a->scratch, PAGE);
}

/*
 * A 256 MiB image placed at a quarter of a 640 MiB arena, cut into chunks of
 * 64 KiB .. 4 MiB. The first 16 MiB of chunks come from the same place in another
 * order (page cycles after refinement), the next 64 MiB from three pages higher
 * (one overlapping memmove), the rest from random places below and above the image,
 * in random order with random gaps. Addresses are offsets into the arena. That is
 * the hostile mix; the scattered layout has no cycles and no shift: every chunk
 * comes from a random place.
 */
#define ENGINE_DST	(ARENA_PAGES / 4)
#define ENGINE_CYCLES	4096ULL		/* hostile mix: pages of chunks permuted in place */
#define ENGINE_SHIFTED	16384ULL	/* hostile mix: pages moved down by ENGINE_SHIFT */
#define ENGINE_SHIFT	3ULL

/* Outer space (outside the image and the shift's tail) to arena pages. */
static uint64_t engine_outer(uint64_t u)
{
	return u < ENGINE_DST ? u : u + IMAGE_PAGES + ENGINE_SHIFT;
}

static struct layout layout_engine(uint64_t cycles, uint64_t shifted)
{
	uint64_t chunk[IMAGE_PAGES / 16], start[IMAGE_PAGES / 16], order[IMAGE_PAGES / 16];
	uint64_t n = 0, at = 0, first_outer = 0, perm_end = 0, k, u = 0, gap;
	struct layout l;

	while (at < IMAGE_PAGES) {
		uint64_t len = 16 + rnd(1009);

		if (at + len > IMAGE_PAGES)
			len = IMAGE_PAGES - at;
		chunk[n] = len, start[n] = at;
		if (at < cycles)
			perm_end = n + 1;
		if (at < cycles + shifted)
			first_outer = n + 1;
		n++, at += len;
	}
	l.runs = xmalloc(n * sizeof(*l.runs));
	l.n = n;
	for (k = 0; k < perm_end; k++)		/* permuted in place */
		order[k] = k;
	shuffle(order, perm_end);
	for (k = 0, at = 0; k < perm_end; at += chunk[order[k]], k++)
		run_set(&l.runs[order[k]], ENGINE_DST + at, ENGINE_DST + start[order[k]],
			chunk[order[k]]);
	for (; k < first_outer; k++)		/* shifted */
		run_set(&l.runs[k], ENGINE_DST + start[k] + ENGINE_SHIFT,
			ENGINE_DST + start[k], chunk[k]);
	for (uint64_t i = first_outer; i < n; i++)
		order[i - first_outer] = i;
	shuffle(order, n - first_outer);
	gap = ARENA_PAGES - IMAGE_PAGES - ENGINE_SHIFT - (IMAGE_PAGES - start[first_outer]);
	for (uint64_t i = 0; i < n - first_outer; i++) {
		uint64_t c = order[i], g = rnd(2 * gap / (n - first_outer - i) + 1);

		if (g > gap)
			g = gap;
		gap -= g, u += g;
		if (u < ENGINE_DST && u + chunk[c] > ENGINE_DST) {	/* no straddling */
			g = ENGINE_DST - u < gap ? ENGINE_DST - u : gap;
			gap -= g, u += g;
		}
		run_set(&l.runs[c], engine_outer(u), ENGINE_DST + start[c], chunk[c]);
		u += chunk[c];
	}
	return l;
}

/* Tags every page with its number, runs the plan once, checks the destinations. */
static void engine_verify(const struct layout *l, struct arena *a, const struct plan_mem *mem)
{
	struct plan_stats st;

	for (uint64_t i = 0; i < ARENA_PAGES; i++)
		memcpy(a->mem + i * PAGE, &i, sizeof(i));
	plan_once(l, mem, &st);
	for (uint64_t r = 0; r < l->n; r++)
		for (uint64_t i = 0; i < l->runs[r].pages; i++) {
			uint64_t got, want = l->runs[r].src / PAGE + i;

			memcpy(&got, a->mem + l->runs[r].dst + i * PAGE, sizeof(got));
			if (got != want) {
				fprintf(stderr, "bench: copy engine misplaced page %llu\n",
					(unsigned long long)want);
				exit(1);
			}
		}
	printf("  %llu runs, %llu pieces, %llu move calls, %llu page cycles\n",
	       (unsigned long long)st.runs, (unsigned long long)st.pieces,
	       (unsigned long long)st.ops, (unsigned long long)st.cycles);
}

/* The baseline: every run copied once by glibc's memmove at the same addresses,
 * in list order, with no planning, no ordering and no cycles (the result is
 * wrong; the time is not). */
static void engine_baseline(const struct layout *l, struct arena *a)
{
	for (uint64_t i = 0; i < l->n; i++) {
		const struct plan_run *r = &l->runs[i];

		memmove(a->mem + r->dst, a->mem + r->src, r->pages * PAGE);
	}
}

static void bench_engine(const char *name, uint64_t cycles, uint64_t shifted)
{
	static struct arena a;
	struct plan_mem mem = { &a, real_move, real_zero, real_save, real_restore, NULL };
	struct layout l = layout_engine(cycles, shifted);
	double plan[RUNS], copy[RUNS], dry[RUNS], mib = IMAGE_PAGES * PAGE / 1048576.0;
	double tp, tc;
	struct plan_stats st;
	uint64_t pieces;
	size_t size;
	void *w;

	a.mem = xmalloc(ARENA_PAGES * PAGE);
	memset(a.mem, 1, ARENA_PAGES * PAGE);
	engine_verify(&l, &a, &mem);
	plan_once(&l, NULL, &st);
	pieces = st.pieces;
	size = plan_work_size(l.n, pieces);
	w = xmalloc(size);
	memset(w, 1, size);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ms(), t1, t2;

		engine_baseline(&l, &a);
		t1 = now_ms();
		plan_execute(l.runs, l.n, NULL, 0, w, size, &mem, &st);
		t2 = now_ms();
		plan_execute(l.runs, l.n, NULL, 0, w, size, NULL, &st);
		dry[i] = now_ms() - t2;
		copy[i] = t1 - t0;
		plan[i] = t2 - t1;
	}
	tp = median(plan, RUNS), tc = median(copy, RUNS);
	printf("copy engine %.0f MiB %s: the blob's plan_execute and string functions %.1f ms "
	       "(%.0f MiB/s, planning %.1f ms of it), glibc memmove of the same runs %.1f ms "
	       "(%.0f MiB/s): %.2fx glibc (target >= 0.90x)\n",
	       mib, name, tp, mib * 1e3 / tp, median(dry, RUNS), tc, mib * 1e3 / tc, tc / tp);
	free(w);
	free(a.mem);
	free(l.runs);
}

#define LIST_PAGES	(1ULL << 18)	/* 1 GiB */
#define LIST_ENTRIES	(BATON_LIST_WORDS - BATON_LIST_FIRST)

/*
 * Destination page i: contiguous, or every other page (none follows another).
 * The goal (issue 10): no more entry words than kexec's IND_SOURCE and
 * IND_DESTINATION words for the same pages (8 and 16 bytes a page); the list
 * pages' own words (ours: next and hash, 2 per 510 entries; kexec's:
 * IND_INDIRECTION, 1 per 511, and IND_DONE) are shown apart.
 */
static void bench_list(const char *what, uint64_t dst_stride)
{
	uint64_t *words = malloc((2 * LIST_PAGES + 2) * sizeof(*words));
	struct stage_list l;
	uint64_t kexec = 0, kexec_pages, lists, prev = ~0ULL;
	double ours, theirs;

	if (!words) {
		perror("bench: list");
		exit(1);
	}
	stage_list_init(&l, words);
	for (uint64_t i = 0; i < LIST_PAGES; i++) {
		uint64_t dst = (BASE_PFN + i * dst_stride) * PAGE;

		stage_list_src(&l, (BASE_PFN + 4 * LIST_PAGES + 2 * i) * PAGE, dst);
		kexec += 1 + (dst != prev + PAGE);	/* IND_SOURCE, IND_DESTINATION */
		prev = dst;
	}
	lists = (l.n + LIST_ENTRIES - 1) / LIST_ENTRIES;
	kexec_pages = (kexec + 1 + 510) / 511;		/* + IND_DONE; 511 a page + IND_INDIRECTION */
	ours = 8.0 * (double)l.n / LIST_PAGES;
	theirs = 8.0 * (double)kexec / LIST_PAGES;
	printf("bench list: 1 GiB in single source pages, none adjacent, %s destinations:\n"
	       "  entries %.3f bytes a page, kexec's IND_SOURCE/IND_DESTINATION %.3f (goal: no more: %s);\n"
	       "  whole list pages %.3f bytes a page (%llu pages), kexec's %.3f (%llu pages): %.4fx\n",
	       what, ours, theirs, l.n <= kexec ? "goal met" : "goal MISSED",
	       (double)lists * BATON_PAGE_SIZE / LIST_PAGES, (unsigned long long)lists,
	       (double)kexec_pages * BATON_PAGE_SIZE / LIST_PAGES, (unsigned long long)kexec_pages,
	       (double)lists / (double)kexec_pages);
	free(words);
}

int main(void)
{
	bench_list("contiguous", 1);
	bench_list("scattered (every other page)", 2);
	bench_planner("worst-case 1048576 pages", layout_worst(), GOAL_MS);
	bench_planner("64 MiB scattered in 4 KiB pieces", layout_scattered(), 0);
	bench_planner("4 GiB in one run", layout_one_run(2 * WORST_PAGES), 0);
	bench_planner("4 GiB in one run shifted up one page", layout_one_run(1), 0);
	bench_engine("scattered", 0, 0);
	bench_engine("hostile mix", ENGINE_CYCLES, ENGINE_SHIFTED);
	return 0;
}
