/* SPDX-License-Identifier: MIT */
/*
 * A stable LSD radix sort of (key, value) pairs: O(n) per key byte that varies,
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

/*
 * Sort a[0..n) by key, ascending; equal keys keep their order. tmp holds n entries
 * of scratch and must not overlap a. The result is in a.
 */
void sort_kv(struct sort_kv *a, struct sort_kv *tmp, uint64_t n);

#endif
