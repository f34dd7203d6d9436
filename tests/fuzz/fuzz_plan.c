/* SPDX-License-Identifier: MIT */
/*
 * The planner plus the copier, twice over:
 *  1. core/plan.c against the tag-per-page simulated memory, through the very
 *     checks of the property test (tests/host/plancheck.c: no page read after it
 *     was overwritten, each destination written once, exact statistics, work
 *     sizes exact, planned() once before the first write, dry run == real run);
 *  2. the loader's own placing code, loader/place.c (place_all, place_verify),
 *     on real host memory: every page filled with its own pattern, every run
 *     hashed as the stage would, then placed; afterwards every destination must
 *     hold its source's old bytes, every zero run zeros, every other page must
 *     be untouched. place_verify()'s PANIC is a finding.
 * Layouts that break the planner's preconditions (overlapping destinations or
 * sources) must be refused with PLAN_E_INPUT before any write.
 *
 * Input: flags, page count, then runs of 4 bytes (kind|length, source, destination,
 * length). Flag bit 0 repairs: a run that overlaps an earlier one is dropped, so
 * most inputs are valid layouts; without it they are taken as they come.
 */
#include <stdarg.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "core/check.h"
#include "loader/loader.h"
#include "tests/fuzz/fuzz.h"
#include "tests/host/plancheck.h"

#define PAGE		BATON_PAGE_SIZE
#define NPAGES_MAX	64
#define RUNS_MAX	64

/* ------------------------------------------- what loader/place.c runs on */

struct loader L;

void step_log(enum step s, const char *fmt, ...)
{
	(void)s, (void)fmt;
}

void panic(const char *component, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "PANIC %s: ", component);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ----------------------------------------------------------------- layouts */

/* Whether [dst, +pages) or [src, +pages) meets a run of l (pages in l's indices):
 * 1, or 2 when a zero run meets only zero runs, which the planner leaves to the
 * validator (core/plan.h). */
static int conflicts(const struct layout *l, int copy, uint64_t src, uint64_t dst, uint64_t pages)
{
	for (uint64_t i = 0; i < l->n; i++) {
		uint64_t s = run_src_page(l, i), d = run_dst_page(l, i);

		if (fuzz_meets(dst, dst + pages, d, d + l->runs[i].pages) ||
		    (copy && fuzz_meets(src, src + pages, s, s + l->runs[i].pages)))
			return 1;
	}
	for (uint64_t i = 0; i < l->nz; i++)
		if (fuzz_meets(dst, dst + pages, zero_dst_page(l, i), zero_dst_page(l, i) + l->zeros[i].pages))
			return copy ? 1 : 2;
	return 0;
}

/* Decodes the input: 1 if the layout meets the preconditions, 0 if it breaks one
 * the planner must refuse, -1 if it only has zero runs overlapping each other. */
static int decode(struct fuzz_in *in, struct layout *l)
{
	uint8_t flags = fuzz_u8(in);
	int valid = 1;

	memset(l, 0, offsetof(struct layout, runs));	/* base 0 */
	l->n = l->nz = 0;
	l->npages = 4 + fuzz_u8(in) % (NPAGES_MAX - 3);
	for (int k = 0; k < RUNS_MAX && in->left; k++) {
		uint8_t kind = fuzz_u8(in);
		uint64_t src = fuzz_u8(in) % l->npages, dst = fuzz_u8(in) % l->npages;
		uint64_t pages = 1 + (kind >> 1 & 7) + (kind & 0x80 ? fuzz_u8(in) % l->npages : 0);
		int copy = !(kind & 1);

		if (dst + pages > l->npages || (copy && src + pages > l->npages))
			continue;
		int c = conflicts(l, copy, src, dst, pages);

		if (c && flags & 1)
			continue;
		if (c == 1)
			valid = 0;
		else if (c == 2 && valid)
			valid = -1;
		if (copy)
			add_run(l, src, dst, pages);
		else
			add_zero(l, dst, pages);
	}
	return valid;
}

/* ---------------------------------------------------- 1. simulated memory */

static void refused_untouched(const struct layout *l)
{
	struct plan_mem mem;
	int rc;

	sim_reset(&sim, l->base, l->npages, l->runs, l->n, l->zeros, l->nz);
	sim_plan_mem(&sim, &mem);
	rc = execute_rc(l, &mem);
	FUZZ_ASSERT(last_rc == 0 || last_rc == PLAN_E_INPUT, "plan_count: %s",
		    plan_strerror(last_rc));
	FUZZ_ASSERT(rc == PLAN_E_INPUT, "overlapping layout: plan_execute said %s",
		    plan_strerror(rc));
	FUZZ_ASSERT(!sim.moves && !sim.saves && !sim.restores && !sim.zero_calls,
		    "plan_execute wrote before refusing a layout");
}

/* ---------------------------------------------------------- 2. real memory */

static uint8_t *arena, *before;
static uint8_t work_area[256 << 10] __attribute__((aligned(4096)));
static struct plan_run copy_buf[RUNS_MAX];
static struct plan_zero zero_buf[RUNS_MAX];

/* Not inlined: tests/fuzz/nocov.txt leaves it out of the coverage feedback. */
__attribute__((noinline)) static void fill(uint64_t npages, uint64_t seed)
{
	uint64_t *w = (uint64_t *)arena;

	for (uint64_t i = 0; i < npages * PAGE / 8; i++)
		w[i] = (seed + i) * 0x9e3779b97f4a7c15ULL;
	memcpy(before, arena, npages * PAGE);
}

/* Every byte of every page where it must be. */
__attribute__((noinline)) static void compare_pages(const struct layout *l)
{
	static const uint8_t zero[PAGE];

	for (uint64_t p = 0; p < l->npages; p++) {
		const uint8_t *want = before + p * PAGE;

		for (uint64_t i = 0; i < l->n; i++) {
			uint64_t d = run_dst_page(l, i), s = run_src_page(l, i);

			if (p >= d && p < d + l->runs[i].pages)
				want = before + (s + p - d) * PAGE;
		}
		for (uint64_t i = 0; i < l->nz; i++) {
			uint64_t d = zero_dst_page(l, i);

			if (p >= d && p < d + l->zeros[i].pages)
				want = zero;
		}
		FUZZ_ASSERT(!memcmp(arena + p * PAGE, want, PAGE),
			    "page %lu holds the wrong bytes after placing", p);
	}
}

/* The loader's own copy step (loader/place.c) on real memory. */
static void real_memory(const struct layout *l, uint64_t seed)
{
	static struct check c;
	uint64_t a = (uint64_t)(uintptr_t)arena, pieces = 0;
	size_t size = plan_count_work_size(l->n);

	fill(l->npages, seed);
	for (uint64_t i = 0; i < l->n; i++) {
		uint64_t s = run_src_page(l, i), d = run_dst_page(l, i);

		copy_buf[i] = (struct plan_run){ a + s * PAGE, a + d * PAGE, l->runs[i].pages };
	}
	for (uint64_t i = 0; i < l->nz; i++)
		zero_buf[i] = (struct plan_zero){ a + zero_dst_page(l, i) * PAGE, l->zeros[i].pages };
	FUZZ_ASSERT(!plan_count(copy_buf, l->n, work_area, size, &pieces), "plan_count (real)");
	memset(&L, 0, sizeof(L));
	memset(&c, 0, sizeof(c));
	L.c = &c;
	L.work_mem = work_area;
	c.copy = copy_buf;
	c.ncopy = l->n;
	c.zero = zero_buf;
	c.nzero = l->nz;
	c.work.scratch_off = 0;
	c.mem = work_area + PAGE;
	c.work.mem_bytes = plan_work_size(l->n, pieces);
	FUZZ_ASSERT(c.work.mem_bytes <= sizeof(work_area) - PAGE, "work area");
	place_all(&c);
	compare_pages(l);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	sim_alloc(&sim, MAX_PAGES + 2);
	arena = aligned_alloc(PAGE, NPAGES_MAX * PAGE);
	before = malloc(NPAGES_MAX * PAGE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct layout l;
	struct fuzz_in in = { data, size };
	struct plan_stats st;
	const char *err;

	int valid = decode(&in, &l);

	if (valid < 0)
		return 0;
	if (!valid)
		return refused_untouched(&l), 0;
	/* Move the layout from pfn 0 to low memory, to the very top of the planner's
	 * page space (2^52 bytes, plan.h) when the input ends in 0xee, or across pfn
	 * 2^32 (where by-destination entries change group) when it ends in 0xef. */
	l.base = 0x100;
	if (size && data[size - 1] == 0xee)
		l.base = (PLAN_ADDR_END >> 12) - l.npages;
	if (size && data[size - 1] == 0xef)
		l.base = (1ULL << 32) - l.npages / 2;
	for (uint64_t i = 0; i < l.n; i++)
		l.runs[i].src += l.base << 12, l.runs[i].dst += l.base << 12;
	for (uint64_t i = 0; i < l.nz; i++)
		l.zeros[i].dst += l.base << 12;
	err = check_layout(&l, size % 8, size % 3 == 0, &st);
	FUZZ_ASSERT(!err, "%s (page %lu, rc %d)", err, sim.error_page, last_rc);
	real_memory(&l, size);
	return 0;
}
