/* SPDX-License-Identifier: MIT */
/*
 * The loader's copy engine, arch/x86/string.c, as linked into the blob: the
 * freestanding object with its symbols renamed blob_* (tests/host/blob/build.mk).
 * Every result is compared with a byte-by-byte model over a guarded buffer, for
 * every small size, alignment and overlap distance in both directions, and for
 * page runs moved by whole pages as loader/place.c moves them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

void *blob_memmove(void *dst, const void *src, size_t n);
void *blob_memcpy(void *dst, const void *src, size_t n);
void *blob_memset(void *dst, int c, size_t n);

#define PAGE	4096
#define ARENA	(64 * PAGE)

static uint8_t got[ARENA], want[ARENA];

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + 1);
}

/* The window [lo, hi) a case may touch, with GUARD bytes either side that it must
 * not: both arrays get the pattern there, and only there is compared. */
#define GUARD	64
static size_t lo, hi;

static void fill(size_t a, size_t b)
{
	lo = a - GUARD;
	hi = b + GUARD;
	for (size_t i = lo; i < hi; i++)
		got[i] = want[i] = pattern(i);
}

static void compare(const char *what, size_t dst, size_t src, size_t n)
{
	if (memcmp(got + lo, want + lo, hi - lo)) {
		print_error("%s(dst +%zu, src +%zu, %zu) differs\n", what, dst, src, n);
		fail();
	}
}

/* The model: memmove through a copy, so overlap cannot matter. */
static void model_move(size_t dst, size_t src, size_t n)
{
	uint8_t *tmp = malloc(n ? n : 1);

	assert_non_null(tmp);
	for (size_t i = 0; i < n; i++)
		tmp[i] = want[src + i];
	for (size_t i = 0; i < n; i++)
		want[dst + i] = tmp[i];
	free(tmp);
}

static void check_move(size_t dst, size_t src, size_t n)
{
	fill(dst < src ? dst : src, (dst > src ? dst : src) + n);
	model_move(dst, src, n);
	assert_ptr_equal(blob_memmove(got + dst, got + src, n), got + dst);
	compare("memmove", dst, src, n);
}

static void test_memmove_small_every_overlap(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 80; n++)
		for (size_t gap = 0; gap <= 80; gap++)
			for (size_t align = 0; align < 8; align++) {
				check_move(PAGE + align + gap, PAGE + align, n);	/* upwards */
				check_move(PAGE + align, PAGE + align + gap, n);	/* downwards */
			}
}

static void test_memmove_chunked_upwards(void **state)
{
	(void)state;
	/* Distances at and around the chunking threshold, and odd sizes. */
	for (size_t gap = 60; gap <= 200; gap++)
		check_move(PAGE + gap, PAGE, 1000 + gap % 13);
	for (size_t n = 4090; n <= 4100; n++)
		check_move(PAGE + 3, PAGE, n);
}

static void test_memmove_page_runs(void **state)
{
	(void)state;
	/* loader/place.c's moves: whole pages, shifted by whole pages, both ways. */
	for (size_t pages = 1; pages <= 20; pages++)
		for (size_t shift = 1; shift <= 21; shift++) {
			check_move((2 + shift) * PAGE, 2 * PAGE, pages * PAGE);
			check_move(2 * PAGE, (2 + shift) * PAGE, pages * PAGE);
		}
	check_move(PAGE, 32 * PAGE, 31 * PAGE);	/* apart, the largest */
}

static void test_memcpy_apart(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 300; n++)
		for (size_t a = 0; a < 8; a++)
			for (size_t b = 0; b < 8; b++) {
				fill(PAGE, 8 * PAGE + 8 + n);
				model_move(PAGE + a, 8 * PAGE + b, n);
				assert_ptr_equal(blob_memcpy(got + PAGE + a, got + 8 * PAGE + b, n),
						 got + PAGE + a);
				compare("memcpy", PAGE + a, 8 * PAGE + b, n);
			}
}

static void test_memset_every_size(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 300; n++)
		for (size_t a = 0; a < 8; a++)
			for (int c = 0; c < 0x300; c += 0xa5) {	/* c beyond a byte: its low byte */
				fill(PAGE, PAGE + 8 + n);
				for (size_t i = 0; i < n; i++)
					want[PAGE + a + i] = (uint8_t)c;
				assert_ptr_equal(blob_memset(got + PAGE + a, c, n), got + PAGE + a);
				compare("memset", PAGE + a, (size_t)c, n);
			}
	fill(PAGE, 17 * PAGE);
	memset(want + PAGE, 0, 16 * PAGE);
	blob_memset(got + PAGE, 0, 16 * PAGE);
	compare("memset", PAGE, 0, 16 * PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memmove_small_every_overlap),
		cmocka_unit_test(test_memmove_chunked_upwards),
		cmocka_unit_test(test_memmove_page_runs),
		cmocka_unit_test(test_memcpy_apart),
		cmocka_unit_test(test_memset_every_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
