/* SPDX-License-Identifier: MIT */
/*
 * LSD radix sort, one byte of the key per pass. Passes over bytes that are equal in
 * every key are skipped (page numbers of a 16 GiB machine vary in three bytes only),
 * and each scatter pass counts the next pass's byte on the way so the array is read
 * once per pass. Counts are 64-bit: n is not bounded here.
 */
#include <string.h>
#include "loader/sort.h"

#define SORT_RADIX	256
#define SORT_BYTES	8

/* Bits that differ between the keys: a byte with none of them needs no pass. */
static uint64_t sort_varying_bits(const struct sort_kv *a, uint64_t n)
{
	uint64_t first = a[0].key, diff = 0;

	for (uint64_t i = 1; i < n; i++)
		diff |= a[i].key ^ first;
	return diff;
}

static void sort_count_byte(const struct sort_kv *a, uint64_t n, unsigned shift,
			    uint64_t *count)
{
	memset(count, 0, SORT_RADIX * sizeof(*count));
	for (uint64_t i = 0; i < n; i++)
		count[(a[i].key >> shift) & 0xff]++;
}

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

/*
 * One stable pass: from[] to to[] by the byte at `shift` (count[] holds its start
 * positions), counting the byte at `next` into next_count unless next_count is NULL.
 */
static void sort_scatter(const struct sort_kv *from, struct sort_kv *to, uint64_t n,
			 unsigned shift, uint64_t *count, unsigned next, uint64_t *next_count)
{
	if (!next_count) {
		for (uint64_t i = 0; i < n; i++)
			to[count[(from[i].key >> shift) & 0xff]++] = from[i];
		return;
	}
	memset(next_count, 0, SORT_RADIX * sizeof(*next_count));
	for (uint64_t i = 0; i < n; i++) {
		uint64_t key = from[i].key;

		next_count[(key >> next) & 0xff]++;
		to[count[(key >> shift) & 0xff]++] = from[i];
	}
}

/* Few entries: insertion sort beats clearing and summing 256 counters per pass. */
#define SORT_SMALL	48

static void sort_insert(struct sort_kv *a, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++) {
		struct sort_kv x = a[i];
		uint64_t j = i;

		for (; j && a[j - 1].key > x.key; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

void sort_kv(struct sort_kv *a, struct sort_kv *tmp, uint64_t n)
{
	uint64_t count[2][SORT_RADIX];
	unsigned shifts[SORT_BYTES], passes = 0;
	struct sort_kv *from = a, *to = tmp, *t;
	uint64_t diff;

	if (n <= SORT_SMALL) {
		sort_insert(a, n);
		return;
	}
	diff = sort_varying_bits(a, n);
	for (unsigned b = 0; b < SORT_BYTES; b++)
		if ((diff >> (8 * b)) & 0xff)
			shifts[passes++] = 8 * b;
	if (!passes)
		return;
	sort_count_byte(a, n, shifts[0], count[0]);
	for (unsigned p = 0; p < passes; p++) {
		uint64_t *cur = count[p & 1], *next = NULL;

		if (p + 1 < passes)
			next = count[(p + 1) & 1];
		sort_count_to_starts(cur);
		sort_scatter(from, to, n, shifts[p], cur, next ? shifts[p + 1] : 0, next);
		t = from, from = to, to = t;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}
