/* SPDX-License-Identifier: MIT */
/*
 * Stable LSD radix sorts of records keyed by a u64: O(n) per key byte that varies,
 * so sorting page numbers of a few GiB of memory costs three passes. Freestanding:
 * no allocation (the caller passes the scratch array), 4 KiB of stack.
 */
#ifndef BATON_SORT_H
#define BATON_SORT_H

#include <stdint.h>

struct sort_kv {
	uint64_t key;
	uint64_t val;
};

/* The same with a second value: 24-byte records sort without a gather afterwards. */
struct sort_kv3 {
	uint64_t key;
	uint64_t val;
	uint64_t aux;
};

/*
 * Sort a[0..n) by key, ascending; equal keys keep their order. tmp holds n entries
 * of scratch and must not overlap a. The result is in a.
 */
void sort_kv(struct sort_kv *a, struct sort_kv *tmp, uint64_t n);
void sort_kv3(struct sort_kv3 *a, struct sort_kv3 *tmp, uint64_t n);

#endif
