/* SPDX-License-Identifier: MIT */
/*
 * LSD radix sort, one byte of the key per pass. Sorted input costs one read; passes
 * over bytes equal in every key are skipped (page numbers of a 16 GiB machine vary
 * in three bytes only), and each scatter pass counts the next pass's byte on the
 * way so the array is read once per pass. Counts are 64-bit: n is not bounded
 * here. Short arrays take an insertion sort: clearing and summing 256 counters per
 * pass costs more.
 *
 * One body serves both record types (SORT_DEFINE below): the passes only move
 * whole records and read .key.
 */
#include <string.h>
#include "loader/sort.h"

#define SORT_RADIX	256
#define SORT_BYTES	8
#define SORT_SMALL	48

/* Counts to start positions, in place. */
static void sort_count_to_starts(uint64_t *count)
{
	uint64_t sum = 0;

	for (unsigned d = 0; d < SORT_RADIX; d++) {
		uint64_t c = count[d];

		count[d] = sum;
		sum += c;
	}
}

/* Key bytes that differ between keys (bit b: byte b), given OR of key ^ first. */
static unsigned sort_pass_shifts(uint64_t diff, unsigned *shifts)
{
	unsigned passes = 0;

	for (unsigned b = 0; b < SORT_BYTES; b++)
		if ((diff >> (8 * b)) & 0xff)
			shifts[passes++] = 8 * b;
	return passes;
}

#define SORT_DEFINE(NAME, T)							\
static void NAME##_insert(T *a, uint64_t n)					\
{										\
	for (uint64_t i = 1; i < n; i++) {					\
		T x = a[i];							\
		uint64_t j = i;							\
										\
		for (; j && a[j - 1].key > x.key; j--)				\
			a[j] = a[j - 1];					\
		a[j] = x;							\
	}									\
}										\
										\
/* Bits that differ between keys (bytes without any need no pass); 0 if sorted. */ \
static uint64_t NAME##_survey(const T *a, uint64_t n)				\
{										\
	uint64_t first = a[0].key, diff = 0, unsorted = 0;			\
										\
	for (uint64_t i = 1; i < n; i++) {					\
		diff |= a[i].key ^ first;					\
		unsorted |= a[i - 1].key > a[i].key;				\
	}									\
	return unsorted ? diff : 0;						\
}										\
										\
static void NAME##_count(const T *a, uint64_t n, unsigned shift, uint64_t *count) \
{										\
	memset(count, 0, SORT_RADIX * sizeof(*count));				\
	for (uint64_t i = 0; i < n; i++)					\
		count[(a[i].key >> shift) & 0xff]++;				\
}										\
										\
/* One stable pass by the byte at shift; counts the byte at next unless last. */ \
static void NAME##_scatter(const T *from, T *to, uint64_t n, unsigned shift,	\
			   uint64_t *count, unsigned next, uint64_t *next_count) \
{										\
	if (!next_count) {							\
		for (uint64_t i = 0; i < n; i++)				\
			to[count[(from[i].key >> shift) & 0xff]++] = from[i];	\
		return;								\
	}									\
	memset(next_count, 0, SORT_RADIX * sizeof(*next_count));		\
	for (uint64_t i = 0; i < n; i++) {					\
		uint64_t key = from[i].key;					\
										\
		next_count[(key >> next) & 0xff]++;				\
		to[count[(key >> shift) & 0xff]++] = from[i];			\
	}									\
}										\
										\
void NAME(T *a, T *tmp, uint64_t n)						\
{										\
	uint64_t count[2][SORT_RADIX];						\
	unsigned shifts[SORT_BYTES], passes;					\
	T *from = a, *to = tmp, *t;						\
										\
	if (n <= SORT_SMALL) {							\
		NAME##_insert(a, n);						\
		return;								\
	}									\
	passes = sort_pass_shifts(NAME##_survey(a, n), shifts);			\
	if (!passes)								\
		return;								\
	NAME##_count(a, n, shifts[0], count[0]);				\
	for (unsigned p = 0; p < passes; p++) {					\
		uint64_t *cur = count[p & 1], *next = NULL;			\
										\
		if (p + 1 < passes)						\
			next = count[(p + 1) & 1];				\
		sort_count_to_starts(cur);					\
		NAME##_scatter(from, to, n, shifts[p], cur,			\
			       next ? shifts[p + 1] : 0, next);			\
		t = from, from = to, to = t;					\
	}									\
	if (from != a)								\
		memcpy(a, from, n * sizeof(*a));				\
}

SORT_DEFINE(sort_kv, struct sort_kv)
SORT_DEFINE(sort_kv3, struct sort_kv3)
