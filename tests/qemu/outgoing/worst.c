/* SPDX-License-Identifier: MIT */
/*
 * The worst-case permutation (worst.h). Copy pages are shuffled, then cut into
 * groups in the shuffled order: first cycles (one of 1000..1399 pages when the
 * image has enough copy pages, then a seeded mix of 2..8, 9..64 and 65..400),
 * then, if the image has zero pages, a quarter of the copy pages as chains,
 * each ending on its own zero page, the first chain the longest.
 */
#include "rng.h"
#include "worst.h"

static void shuffle(uint32_t *a, uint32_t n, uint64_t *rng)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = (uint32_t)rng_below(rng, i), t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

static uint32_t cycle_length(int first, uint32_t left, uint64_t *rng)
{
	uint32_t r = (uint32_t)rng_below(rng, 100);

	if (first)		/* one 1000+ cycle, leaving >= 300 pages for the rest */
		return left >= 1400 ? 1000 + (uint32_t)rng_below(rng, left - 1300 < 400 ?
								 left - 1300 : 400) :
		       left / 3 > 2 ? left / 3 : 2;
	uint32_t len = r < 75 ? 2 + (uint32_t)rng_below(rng, 7) :
		       r < 97 ? 9 + (uint32_t)rng_below(rng, 56) :
				65 + (uint32_t)rng_below(rng, 336);
	uint32_t cap = left / 3 > 8 ? left / 3 : 8;	/* many cycles to the end */

	return len < cap ? len : cap;
}

/* a[0] <- a[1] <- ... <- a[len-1] <- then: a[0] (cycle) or `end` (chain). */
static void link_pages(uint32_t *src_of, const uint32_t *a, uint32_t len,
		       uint32_t end)
{
	for (uint32_t k = 0; k + 1 < len; k++)
		src_of[a[k]] = a[k + 1] + 1;
	src_of[a[len - 1]] = end + 1;
}

/* Cycles over c[0..), never leaving a single page over; returns pages used. */
static uint32_t build_cycles(uint32_t *src_of, const uint32_t *c, uint32_t budget,
			     int have_zero, uint64_t *rng)
{
	uint32_t pos = 0;

	for (int first = 1; budget - pos >= 2; first = 0) {
		uint32_t left = budget - pos, len = cycle_length(first, left, rng);

		if (len > left)
			len = left;
		if (left - len == 1 && !have_zero)
			len++;			/* no chain to take the last page */
		link_pages(src_of, c + pos, len, c[pos]);
		pos += len;
	}
	return pos;
}

/* Chains over c[0..left), one per zero page z[j]; the first is the longest. */
static void build_chains(uint32_t *src_of, const uint32_t *c, uint32_t left,
			 const uint32_t *z, uint32_t nz, uint64_t *rng)
{
	uint32_t nchains = 1 + left / 256, pos = 0;

	if (nchains > nz)
		nchains = nz;
	for (uint32_t j = 0; j < nchains; j++) {
		uint32_t rest = left - pos, others = nchains - j - 1, len;

		if (!others)
			len = rest;
		else if (j == 0)
			len = rest / 2;
		else
			len = 1 + (uint32_t)rng_below(rng, 2 * rest / (others + 1));
		if (len > rest - others)
			len = rest - others;
		if (len < 1)
			len = 1;
		link_pages(src_of, c + pos, len, z[j]);
		pos += len;
	}
}

int worst_build(const uint8_t *cls, uint32_t n, uint32_t *src_of,
		uint32_t *work, uint64_t *rng)
{
	uint32_t nc = 0, nz = 0;

	for (uint32_t i = 0; i < n; i++) {
		src_of[i] = 0;
		nc += cls[i] == WORST_COPY;
	}
	uint32_t *c = work, *z = work + nc, ic = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (cls[i] == WORST_COPY)
			c[ic++] = i;
		else if (cls[i] == WORST_ZERO)
			z[nz++] = i;
	}
	if (nc == 0)
		return 0;
	if (nc == 1 && nz == 0)
		return -1;
	shuffle(c, nc, rng);
	shuffle(z, nz, rng);
	uint32_t chain_pages = nz ? (nc / 4 ? nc / 4 : 1) : 0;
	uint32_t used = build_cycles(src_of, c, nc - chain_pages, nz > 0, rng);

	if (used < nc)
		build_chains(src_of, c + used, nc - used, z, nz, rng);
	return 0;
}

/* Follow page i; returns pages walked through copy pages, marking them. */
static uint32_t walk(const uint8_t *cls, uint32_t n, const uint32_t *src_of,
		     uint32_t *work, uint32_t i, uint32_t *end)
{
	uint32_t len = 0, p = i;

	do {
		work[p] |= 2;
		len++;
		p = src_of[p] - 1;
	} while (cls[p] == WORST_COPY && !(work[p] & 2) && len <= n);
	*end = p;
	return len;
}

static int check_sources(const uint8_t *cls, uint32_t n, const uint32_t *src_of,
			 uint32_t *work, struct worst_stats *st)
{
	for (uint32_t i = 0; i < n; i++)
		work[i] = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = src_of[i] - 1;

		st->zero += cls[i] == WORST_ZERO;
		if (cls[i] != WORST_COPY) {
			if (src_of[i])
				return st->error = "a page that is not copied has a source", -1;
			continue;
		}
		st->copy++;
		if (!src_of[i] || t >= n)
			return st->error = "a copy page has no source in the span", -1;
		if (t == i)
			return st->error = "a copy page is its own source (fixed point)", -1;
		if (cls[t] == WORST_SKIP)
			return st->error = "a source lies on an unusable page", -1;
		if (work[t])
			return st->error = "two sources on one page", -1;
		work[t] = 1;
	}
	return 0;
}

int worst_check(const uint8_t *cls, uint32_t n, const uint32_t *src_of,
		uint32_t *work, struct worst_stats *st)
{
	uint32_t end, len;

	*st = (struct worst_stats){ 0 };
	if (check_sources(cls, n, src_of, work, st))
		return -1;
	for (uint32_t i = 0; i < n; i++) {	/* chain heads: nobody's source on them */
		if (cls[i] != WORST_COPY || work[i])
			continue;
		len = walk(cls, n, src_of, work, i, &end);
		if (cls[end] != WORST_ZERO)
			return st->error = "a chain does not end on a zero page", -1;
		st->chains++;
		st->chain_pages += len;
		st->longest_chain = len > st->longest_chain ? len : st->longest_chain;
	}
	for (uint32_t i = 0; i < n; i++) {	/* what is left lies on cycles */
		if (cls[i] != WORST_COPY || (work[i] & 2))
			continue;
		len = walk(cls, n, src_of, work, i, &end);
		if (end != i || len < 2)
			return st->error = "a page is neither on a chain nor on a cycle", -1;
		st->cycles++;
		st->cycle_pages += len;
		st->longest_cycle = len > st->longest_cycle ? len : st->longest_cycle;
	}
	if (st->chain_pages + st->cycle_pages != st->copy)
		return st->error = "pages counted twice", -1;
	return 0;
}
