/* SPDX-License-Identifier: MIT */
/*
 * What the fuzzers share: an invariant check that stops the run with one line
 * (libFuzzer then saves the input as a crash-* file), and a reader that turns the
 * fuzzer's bytes into numbers, giving zeros once the input runs out.
 */
#ifndef BATON_FUZZ_H
#define BATON_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/handoff.h>

#define FUZZ_ASSERT(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz invariant broken: %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
			abort();						\
		}								\
	} while (0)

/* core/check.c formats its messages through this (the loader's own console
 * or the stage's vsnprintf elsewhere); each fuzzer is one file, so one copy. */
int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap);
int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap)
{
	return vsnprintf(buf, len, fmt, ap);
}

/* Whether [a, a_end) and [b, b_end) share a byte. */
static inline int fuzz_meets(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/* The memory-map oracles, written the naive way on purpose (the code under test
 * sorts and merges): whether every byte of [a, b) lies in some usable range, and
 * whether any reserved or never-touch range meets it. */
/* Not inlined: tests/fuzz/nocov.txt leaves them out of the coverage feedback. */
__attribute__((noinline, unused))
static int fuzz_usable(const struct baton_mem_range *m, uint64_t n, uint64_t a, uint64_t b)
{
	while (a < b) {
		uint64_t next = a;

		for (uint64_t i = 0; i < n; i++)
			if (m[i].type == BATON_MEM_USABLE && m[i].base <= a &&
			    m[i].base + m[i].size > next)
				next = m[i].base + m[i].size;
		if (next == a)
			return 0;
		a = next;
	}
	return 1;
}

__attribute__((noinline, unused))
static int fuzz_forbidden(const struct baton_mem_range *m, uint64_t n, uint64_t a, uint64_t b)
{
	for (uint64_t i = 0; i < n; i++)
		if (m[i].type != BATON_MEM_USABLE && fuzz_meets(a, b, m[i].base, m[i].base + m[i].size))
			return 1;
	return 0;
}

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint64_t fuzz_bytes(struct fuzz_in *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b = 0;

		if (in->left) {
			b = *in->p++;
			in->left--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in) { return (uint8_t)fuzz_bytes(in, 1); }
static inline uint16_t fuzz_u16(struct fuzz_in *in) { return (uint16_t)fuzz_bytes(in, 2); }
static inline uint32_t fuzz_u32(struct fuzz_in *in) { return (uint32_t)fuzz_bytes(in, 4); }
static inline uint64_t fuzz_u64(struct fuzz_in *in) { return fuzz_bytes(in, 8); }

#endif
