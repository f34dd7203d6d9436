/* SPDX-License-Identifier: MIT */
/*
 * Stable LSD radix sorts of records keyed by a u64, or by some of its bits: O(n)
 * per key byte that varies, so sorting page numbers of a few GiB of memory costs
 * three passes. Freestanding: no allocation (the caller passes the scratch array),
 * 4 KiB of stack.
 */
#ifndef BATON_SORT_H
#define BATON_SORT_H

#include <stdint.h>

struct sort_kv {
	uint64_t key;
	uint64_t val;
};

/*
 * Sort a[0..n) by key & mask, ascending; equal keys keep their order (the bits
 * outside mask are data, and cost no pass). tmp holds n entries of scratch and
 * must not overlap a. The result is in a.
 */
void sort_kv_masked(struct sort_kv *a, struct sort_kv *tmp, uint64_t n, uint64_t mask);
/* The same for plain u64 records, the record being its own key. */
void sort_u64_masked(uint64_t *a, uint64_t *tmp, uint64_t n, uint64_t mask);

/* Sort a[0..n) by the whole key. */
static inline void sort_kv(struct sort_kv *a, struct sort_kv *tmp, uint64_t n)
{
	sort_kv_masked(a, tmp, n, ~0ULL);
}

#endif
