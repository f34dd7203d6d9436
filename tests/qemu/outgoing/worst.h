/* SPDX-License-Identifier: MIT */
/*
 * The worst-case layout: a seeded assignment of source pages to the destination
 * span's own pages so that every image page's source lies on ANOTHER page's
 * destination. Pure C (no kernel calls): the host self-check builds it too.
 *
 * Indices are span pages 0..n-1. src_of[i] = j + 1 puts the source of page i
 * on page j; 0 = no source chosen here. Following i -> j from page to page
 * gives the loader's dependencies:
 *  - cycles: closed loops of copy pages, lengths 2..1000+ (the planner breaks
 *    each with its scratch page);
 *  - chains: paths of copy pages that end on a zero page (bss or a hole between
 *    segments), which is free once its old contents moved on.
 */
#ifndef OUTGOING_WORST_H
#define OUTGOING_WORST_H

#include <stdint.h>

#define WORST_SKIP	0	/* not free or not a destination: never used */
#define WORST_COPY	1	/* a free page the image's bytes go to */
#define WORST_ZERO	2	/* a free page of a zero run */

struct worst_stats {
	uint32_t copy, zero;		/* pages of each class */
	uint32_t cycles, cycle_pages, longest_cycle;
	uint32_t chains, chain_pages, longest_chain;
	const char *error;		/* worst_check(): what is wrong, or 0 */
};

/* Fill src_of[0..n) from cls[0..n); work holds n entries. 0, or -1 when no
 * assignment without a fixed point exists (one copy page, no zero page). */
int worst_build(const uint8_t *cls, uint32_t n, uint32_t *src_of,
		uint32_t *work, uint64_t *rng);

/* Check src_of (every copy page has a source, on another usable page, no page
 * used twice, non-copy pages have none) and count cycles and chains. 0 / -1. */
int worst_check(const uint8_t *cls, uint32_t n, const uint32_t *src_of,
		uint32_t *work, struct worst_stats *st);

#endif
