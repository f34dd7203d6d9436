/* SPDX-License-Identifier: MIT */
/*
 * The loader's formatter, loader/format.c, as the blob links it (its freestanding
 * object), against glibc's vsnprintf: every conversion the loader's messages
 * use, with edge values, widths, zero padding and every buffer length from 0 up,
 * so truncation and the return value follow snprintf's contract exactly.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "loader/format.h"

#define blob	format_snprintf		/* the blob's, with the blob's format_vsnprintf */

/* The same call to both, at every buffer length up to the whole output + 2. */
#define SAME(fmt, ...)	do {							\
	char want[256], got[256];						\
	int nw = snprintf(want, sizeof(want), fmt, __VA_ARGS__);		\
	for (size_t len = 0; len <= (size_t)nw + 2; len++) {			\
		memset(want, 'W', sizeof(want));				\
		memset(got, 'W', sizeof(got));					\
		assert_int_equal(snprintf(want, len, fmt, __VA_ARGS__),	\
				 blob(got, len, fmt, __VA_ARGS__));		\
		assert_memory_equal(want, got, sizeof(want));			\
	}									\
} while (0)

static void test_unsigned(void **state)
{
	static const unsigned long v[] = { 0, 1, 9, 10, 255, 4096, 0xdeadbeef,
					   0xffffffffUL, 0x100000000UL, ULONG_MAX };
	(void)state;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		SAME("%lu|%lx|%016lx|%5lu|%03lu|%12lu", v[i], v[i], v[i], v[i], v[i], v[i]);
		SAME("%u %x %08x %02x %X", (unsigned)v[i], (unsigned)v[i], (unsigned)v[i],
		     (unsigned)v[i], (unsigned)v[i]);
		SAME("%zu %llx %lX", (size_t)v[i], (unsigned long long)v[i], v[i]);
	}
}

static void test_signed(void **state)
{
	static const long v[] = { 0, 1, -1, 42, -42, INT_MAX, INT_MIN, LONG_MAX, LONG_MIN };
	(void)state;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		SAME("%ld|%5ld|%05ld|%li", v[i], v[i], v[i], v[i]);
		SAME("%d|%8d|%08d|%i", (int)v[i], (int)v[i], (int)v[i], (int)v[i]);
	}
}

static void test_strings_and_chars(void **state)
{
	(void)state;
	SAME("%s", "");
	SAME("PANIC %s: %s", "check", "bad magic");
	SAME("[%8s] [%1s] %c%c %%", "abc", "abc", 'x', '\n');
	SAME("%s: copy run %lu dst 0x%lx", "verify", 7UL, 0x2000000UL);
	SAME("%s", "a string longer than some of the buffers it is cut to, to see the cut");
}

static void test_not_a_conversion(void **state)
{
	/* Through a pointer without the format attribute: these are formats the
	 * compiler would refuse. */
	int (*blob_raw)(char *, size_t, const char *, ...) = blob;
	char got[32];
	(void)state;

	/* Conversions the loader does not use are shown as written, reading no argument. */
	assert_int_equal(blob_raw(got, sizeof(got), "a %q b", 0), 6);
	assert_string_equal(got, "a %q b");
	assert_int_equal(blob_raw(got, sizeof(got), "%5.2f", 0), 5);
	assert_string_equal(got, "%5.2f");
	assert_int_equal(blob_raw(got, sizeof(got), "end %", 0), 5);
	assert_string_equal(got, "end %");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_strings_and_chars),
		cmocka_unit_test(test_not_a_conversion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
