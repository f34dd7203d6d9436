/* SPDX-License-Identifier: MIT */
/*
 * Host self-check of the worst-case permutation (worst.c): for many seeds and
 * span layouts, every copy page gets a source on another usable page, no page
 * twice, and the layout mixes long chains with many cycles of 2..1000+ pages.
 * Exit status 0 = all good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rng.h"
#include "worst.h"

#define EXPECT(cond, ...) do { if (!(cond)) fail_msg(__VA_ARGS__); } while (0)

/* A span of n pages: copy, zero and unusable pages mixed by percentages. */
static void layout(uint8_t *cls, uint32_t n, unsigned copy_pct, unsigned zero_pct,
		   uint64_t *rng)
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned r = (unsigned)rng_below(rng, 100);

		cls[i] = r < copy_pct ? WORST_COPY :
			 r < copy_pct + zero_pct ? WORST_ZERO : WORST_SKIP;
	}
}

static int run(const uint8_t *cls, uint32_t n, uint64_t seed, struct worst_stats *st,
	       uint32_t *src_of)
{
	uint32_t *work = malloc((n + 1) * sizeof(*work));
	uint64_t rng = rng_seed(seed);
	int rc = worst_build(cls, n, src_of, work, &rng);

	if (rc == 0 && worst_check(cls, n, src_of, work, st))
		rc = -2;
	free(work);
	return rc;
}

/* Many small random spans: the invariants hold or the build says "impossible". */
static void test_random_spans(void **state)
{
	(void)state;
	uint64_t rng = rng_seed(42);

	for (uint64_t seed = 1; seed <= 3000; seed++) {
		uint32_t n = 1 + (uint32_t)rng_below(&rng, seed < 1000 ? 16 : 3000);
		uint8_t *cls = malloc(n);
		uint32_t *src_of = malloc(n * sizeof(*src_of));
		struct worst_stats st = { 0 };

		layout(cls, n, (unsigned)rng_below(&rng, 101), (unsigned)rng_below(&rng, 50),
		       &rng);
		uint32_t nc = 0, nz = 0;

		for (uint32_t i = 0; i < n; i++)
			nc += cls[i] == WORST_COPY, nz += cls[i] == WORST_ZERO;
		int rc = run(cls, n, seed, &st, src_of);

		if (nc == 1 && nz == 0)
			EXPECT(rc == -1, "seed %llu: one page, no zero page must fail",
			       (unsigned long long)seed);
		else
			EXPECT(rc == 0, "seed %llu n %u: rc %d: %s", (unsigned long long)seed,
			       n, rc, st.error ? st.error : "build failed");
		if (rc == 0 && nz == 0)
			EXPECT(st.chains == 0, "seed %llu: chains without zero pages",
			       (unsigned long long)seed);
		free(cls);
		free(src_of);
	}
}

/* A probe-sized image: 8000 copy pages, a bss and a hole. */
static void test_big_image(void **state)
{
	(void)state;
	uint32_t n = 12000;
	uint8_t *cls = malloc(n);
	uint32_t *src_of = malloc(n * sizeof(*src_of)), *again = malloc(n * sizeof(*again));

	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct worst_stats st;

		for (uint32_t i = 0; i < n; i++)
			cls[i] = i < 8000 ? WORST_COPY : i < 9000 ? WORST_ZERO :
				 i < 9500 ? WORST_SKIP : i < 11000 ? WORST_COPY : WORST_ZERO;
		EXPECT(run(cls, n, seed, &st, src_of) == 0, "seed %llu: %s",
		       (unsigned long long)seed, st.error);
		EXPECT(st.longest_cycle >= 1000, "seed %llu: longest cycle %u",
		       (unsigned long long)seed, st.longest_cycle);
		EXPECT(st.cycles >= 50, "seed %llu: %u cycles", (unsigned long long)seed,
		       st.cycles);
		EXPECT(st.chains >= 2 && st.longest_chain >= 100,
		       "seed %llu: %u chains, longest %u", (unsigned long long)seed,
		       st.chains, st.longest_chain);
		EXPECT(run(cls, n, seed, &st, again) == 0 &&
		       !memcmp(src_of, again, n * sizeof(*src_of)),
		       "seed %llu: not reproducible", (unsigned long long)seed);
		if (seed == 1)
			printf("worst_test: 9500 copy pages: %u cycles (longest %u), "
			       "%u chains (longest %u)\n", st.cycles, st.longest_cycle,
			       st.chains, st.longest_chain);
	}
	free(cls);
	free(src_of);
	free(again);
}

/* The probe's shape (tests/qemu/probe): 4 MiB, a 1 MiB hole, 4 MiB, a bss. */
static void test_probe_shape(void **state)
{
	(void)state;
	uint32_t n = 1030 + 256 + 1030 + 300;
	uint8_t *cls = malloc(n);
	uint32_t *src_of = malloc(n * sizeof(*src_of));

	for (uint32_t i = 0; i < n; i++)
		cls[i] = i < 1030 || (i >= 1286 && i < 2316) ? WORST_COPY : WORST_ZERO;
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct worst_stats st;

		EXPECT(run(cls, n, seed, &st, src_of) == 0, "seed %llu: %s",
		       (unsigned long long)seed, st.error);
		EXPECT(st.longest_cycle >= 1000 && st.cycles >= 5 && st.chains >= 2,
		       "seed %llu: %u cycles (longest %u), %u chains",
		       (unsigned long long)seed, st.cycles, st.longest_cycle, st.chains);
		if (seed == 1)
			printf("worst_test: probe shape: %u cycles (longest %u), "
			       "%u chains (longest %u)\n", st.cycles, st.longest_cycle,
			       st.chains, st.longest_chain);
	}
	free(cls);
	free(src_of);
}

/* The checker itself must catch a fixed point and a shared source. */
static void test_checker(void **state)
{
	(void)state;
	uint8_t cls[4] = { WORST_COPY, WORST_COPY, WORST_COPY, WORST_ZERO };
	uint32_t work[4], fixed[4] = { 3, 2, 4, 0 }, shared[4] = { 2, 3, 2, 0 };
	uint32_t good[4] = { 2, 3, 4, 0 };
	struct worst_stats st;

	EXPECT(worst_check(cls, 4, fixed, work, &st) == -1, "fixed point not caught");
	EXPECT(worst_check(cls, 4, shared, work, &st) == -1, "shared source not caught");
	EXPECT(worst_check(cls, 4, good, work, &st) == 0 && st.chains == 1 &&
	       st.longest_chain == 3 && st.cycles == 0, "chain of 3 miscounted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker),
		cmocka_unit_test(test_random_spans),
		cmocka_unit_test(test_big_image),
		cmocka_unit_test(test_probe_shape),
	};

	return cmocka_run_group_tests_name("outgoing worst-case permutation", tests,
					   NULL, NULL);
}
