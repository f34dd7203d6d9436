/* SPDX-License-Identifier: MIT */
/*
 * LSD radix sort, one byte of the key per pass. Sorted input costs one read; passes
 * over bytes equal in every key are skipped (page numbers of a 16 GiB machine vary
 * in three bytes only), and each scatter pass counts the next pass's byte on the
 * way so the array is read once per pass. Counts are 64-bit: n is not bounded
 * here. Short arrays take an insertion sort: clearing and summing 256 counters per
 * pass costs more.
 *
 * One body serves both record types: records of one or two u64 words, keyed by
 * the first (struct sort_kv's key); the passes only move whole records and read
 * the key. A mask leaves some of the key's bits out: they are data
 * (core/plan.c packs a page count beside each page number), so they cost no
 * pass and do not order.
 */
#include <string.h>
#include "core/sort.h"

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

/* Records of w words (1 or 2): the key is the first word & mask. */
static void sort_insert(uint64_t *a, uint64_t n, unsigned w, uint64_t mask)
{
	for (uint64_t i = 1; i < n; i++) {
		uint64_t x = a[i * w], y = a[i * w + w - 1], j = i;

		for (; j && (a[(j - 1) * w] & mask) > (x & mask); j--) {
			a[j * w] = a[(j - 1) * w];
			a[j * w + w - 1] = a[j * w - 1];
		}
		a[j * w] = x;
		a[j * w + w - 1] = y;
	}
}

/* Key bits that differ between records (bytes without any need no pass); 0 if sorted. */
static uint64_t sort_survey(const uint64_t *a, uint64_t n, unsigned w, uint64_t mask)
{
	uint64_t first = a[0] & mask, prev = first, diff = 0, unsorted = 0;

	for (uint64_t i = 1; i < n; i++) {
		uint64_t k = a[i * w] & mask;

		diff |= k ^ first;
		unsorted |= prev > k;
		prev = k;
	}
	return unsorted ? diff : 0;
}

/*
 * One stable pass by the key byte at shift, with count[] the starts; counts the
 * byte at next on the way into next_count[] (NULL: none). With from == to (and
 * count NULL) it only counts.
 */
static void sort_scatter(const uint64_t *from, uint64_t *to, uint64_t n, unsigned w,
			 uint64_t mask, unsigned shift, uint64_t *count, unsigned next,
			 uint64_t *next_count)
{
	if (next_count)
		memset(next_count, 0, SORT_RADIX * sizeof(*next_count));
	for (const uint64_t *r = from, *end = from + n * w; r < end; r += w) {
		uint64_t key = *r & mask;

		if (next_count)
			next_count[(key >> next) & 0xff]++;
		if (count) {
			uint64_t *t = to + count[(key >> shift) & 0xff]++ * w;

			t[0] = r[0];
			t[w - 1] = r[w - 1];
		}
	}
}

static void sort_records(uint64_t *a, uint64_t *tmp, uint64_t n, unsigned w, uint64_t mask)
{
	uint64_t count[2][SORT_RADIX];
	unsigned shifts[SORT_BYTES], passes;
	uint64_t *from = a, *to = tmp, *t;

	if (n <= SORT_SMALL) {
		sort_insert(a, n, w, mask);
		return;
	}
	passes = sort_pass_shifts(sort_survey(a, n, w, mask), shifts);
	if (!passes)
		return;
	sort_scatter(a, a, n, w, mask, 0, NULL, shifts[0], count[0]);
	for (unsigned p = 0; p < passes; p++) {
		uint64_t *cur = count[p & 1], *next = NULL;

		if (p + 1 < passes)
			next = count[(p + 1) & 1];
		sort_count_to_starts(cur);
		sort_scatter(from, to, n, w, mask, shifts[p], cur, next ? shifts[p + 1] : 0, next);
		t = from, from = to, to = t;
	}
	if (from != a)
		memcpy(a, from, n * w * sizeof(*a));
}

void sort_kv_masked(struct sort_kv *a, struct sort_kv *tmp, uint64_t n, uint64_t mask)
{
	sort_records((uint64_t *)a, (uint64_t *)tmp, n, 2, mask);
}

void sort_u64_masked(uint64_t *a, uint64_t *tmp, uint64_t n, uint64_t mask)
{
	sort_records(a, tmp, n, 1, mask);
}
