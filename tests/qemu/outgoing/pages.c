/* SPDX-License-Identifier: MIT */
/*
 * Which RAM pages the stage may have: one bit per page below the top of usable
 * RAM (at most IDMAP_GIB GiB, all our page tables map), 1 = not free.
 *
 * Never free: anything not usable in the memory map, [0, 1 MiB), and the byte
 * ranges given to pages_reserve() before pages_init() (the kernel image and
 * bss, the multiboot info, its strings and the modules). The bitmap itself
 * and the scratch area are carved from free RAM outside the payload's
 * destination span and marked taken.
 */
#include <string.h>
#include "outgoing.h"

#define BUSY_MAX	64

static struct { uint64_t lo, hi; } busy[BUSY_MAX];	/* pfns, before pages_init() */
static unsigned nbusy;
static uint64_t *bitmap;
static uint64_t top_pfn;

static uint8_t *scratch_base;
static uint64_t scratch_size, scratch_used;

void pages_reserve(uint64_t lo, uint64_t hi)
{
	if (nbusy == BUSY_MAX)
		die(EXIT_SETUP, "pages: more than %u reserved ranges", BUSY_MAX);
	busy[nbusy].lo = lo >> PAGE_SHIFT;
	busy[nbusy].hi = align_up(hi, PAGE_SIZE) >> PAGE_SHIFT;
	nbusy++;
}

static int overlaps(uint64_t lo, uint64_t hi, uint64_t alo, uint64_t ahi)
{
	return lo < ahi && alo < hi;
}

/* 1 if bytes [lo, hi) touch a page given to pages_reserve(). */
int pages_is_reserved(uint64_t lo, uint64_t hi)
{
	uint64_t plo = lo >> PAGE_SHIFT, phi = align_up(hi, PAGE_SIZE) >> PAGE_SHIFT;

	for (unsigned b = 0; b < nbusy; b++)
		if (overlaps(plo, phi, busy[b].lo, busy[b].hi))
			return 1;
	return 0;
}

/* Before the bitmap exists: the highest n usable pages clear of every reserved
 * range and of [alo, ahi), below 4 GiB if possible. */
static uint64_t pages_place_early(const struct memmap *m, uint64_t n,
				  uint64_t alo, uint64_t ahi)
{
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = m->n; i--;) {
			const struct baton_mem_range *r = &m->r[i];
			uint64_t lo = r->base >> PAGE_SHIFT;
			uint64_t hi = (r->base + r->size) >> PAGE_SHIFT;

			if (r->type != BATON_MEM_USABLE)
				continue;
			if (hi > top_pfn)
				hi = top_pfn;
			if (pass == 0 && hi > PFN_4G)
				hi = PFN_4G;
			for (uint64_t end = hi; end >= lo + n;) {
				uint64_t start = end - n, moved = end;

				if (overlaps(start, end, alo, ahi))
					moved = alo;
				for (unsigned b = 0; b < nbusy; b++)
					if (overlaps(start, end, busy[b].lo, busy[b].hi) &&
					    busy[b].lo < moved)
						moved = busy[b].lo;
				if (moved == end)
					return start;
				end = moved;
			}
		}
	return PFN_NONE;
}

static void bit_set(uint64_t pfn) { bitmap[pfn / 64] |= 1ULL << (pfn % 64); }
static void bit_clear(uint64_t pfn) { bitmap[pfn / 64] &= ~(1ULL << (pfn % 64)); }

static void bits_set(uint64_t lo, uint64_t hi)
{
	for (uint64_t p = lo; p < hi && p < top_pfn; p++)
		bit_set(p);
}

void pages_init(const struct memmap *m, uint64_t avoid_lo, uint64_t avoid_hi)
{
	top_pfn = 0;
	for (uint64_t i = 0; i < m->n; i++)
		if (m->r[i].type == BATON_MEM_USABLE)
			top_pfn = (m->r[i].base + m->r[i].size) >> PAGE_SHIFT;
	if (top_pfn > (uint64_t)IDMAP_GIB << (30 - PAGE_SHIFT)) {
		say("pages: RAM above %u GiB is not used", IDMAP_GIB);
		top_pfn = (uint64_t)IDMAP_GIB << (30 - PAGE_SHIFT);
	}
	uint64_t words = align_up(top_pfn, 64) / 64;
	uint64_t npages = align_up(words * 8, PAGE_SIZE) >> PAGE_SHIFT;
	uint64_t at = pages_place_early(m, npages, avoid_lo, avoid_hi);

	if (at == PFN_NONE)
		die(EXIT_SETUP, "pages: no room for a %lu-page bitmap", npages);
	bitmap = (uint64_t *)(uintptr_t)(at << PAGE_SHIFT);
	memset(bitmap, 0xff, words * 8);
	for (uint64_t i = 0; i < m->n; i++) {
		const struct baton_mem_range *r = &m->r[i];
		uint64_t hi = (r->base + r->size) >> PAGE_SHIFT;

		if (r->type == BATON_MEM_USABLE)
			for (uint64_t p = r->base >> PAGE_SHIFT; p < hi && p < top_pfn; p++)
				bit_clear(p);
	}
	bits_set(0, LOW_PAGES);
	for (unsigned b = 0; b < nbusy; b++)
		bits_set(busy[b].lo, busy[b].hi);
	bits_set(at, at + npages);
	say("pages: bitmap 0x%lx (%lu pages) for %lu MiB, %lu pages free",
	    at << PAGE_SHIFT, npages, top_pfn >> (20 - PAGE_SHIFT), pages_free_count());
}

uint64_t pages_top(void)
{
	return top_pfn;
}

int pages_is_free(uint64_t pfn)
{
	return pfn < top_pfn && !(bitmap[pfn / 64] & (1ULL << (pfn % 64)));
}

uint64_t pages_free_count(void)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < align_up(top_pfn, 64) / 64; w++)
		n += (uint64_t)__builtin_popcountll(~bitmap[w]);
	return n;
}

void pages_take(uint64_t pfn, uint64_t n)
{
	for (uint64_t p = pfn; p < pfn + n; p++) {
		if (!pages_is_free(p))
			die(EXIT_SETUP, "pages: page 0x%lx taken twice", p << PAGE_SHIFT);
		bit_set(p);
	}
}

/* First free run of n pages starting in [from, hi), or PFN_NONE. */
static uint64_t pages_scan(uint64_t n, uint64_t from, uint64_t hi,
			   uint64_t alo, uint64_t ahi)
{
	uint64_t p = from;

	while (p + n <= hi) {
		uint64_t q;

		if (overlaps(p, p + n, alo, ahi)) {
			p = ahi;
			continue;
		}
		for (q = p; q < p + n && pages_is_free(q); q++)
			;
		if (q == p + n)
			return p;
		p = q + 1;
	}
	return PFN_NONE;
}

uint64_t pages_find(uint64_t n, uint64_t lo, uint64_t hi, uint64_t from,
		    uint64_t avoid_lo, uint64_t avoid_hi)
{
	if (hi > top_pfn)
		hi = top_pfn;
	if (from < lo || from >= hi)
		from = lo;
	uint64_t p = pages_scan(n, from, hi, avoid_lo, avoid_hi);

	if (p == PFN_NONE && from > lo)
		p = pages_scan(n, lo, from + n - 1 < hi ? from + n - 1 : hi,
			       avoid_lo, avoid_hi);
	return p;
}

uint64_t pages_find_top(uint64_t n, uint64_t lo, uint64_t hi,
			uint64_t avoid_lo, uint64_t avoid_hi)
{
	if (hi > top_pfn)
		hi = top_pfn;
	uint64_t end = hi, count = 0;

	while (end >= lo + n) {			/* count free pages below `end` */
		uint64_t p = end - count - 1;

		if (pages_is_free(p) && !overlaps(p, p + 1, avoid_lo, avoid_hi)) {
			if (++count == n)
				return p;
		} else {
			end = p;
			count = 0;
		}
	}
	return PFN_NONE;
}

void scratch_init(uint64_t bytes, uint64_t min, uint64_t avoid_lo, uint64_t avoid_hi)
{
	uint64_t n = align_up(bytes, PAGE_SIZE) >> PAGE_SHIFT, at;

	/* Halved until it fits, down to min: a payload whose span covers most of
	 * RAM must still reach the stage, which then says why it is refused. */
	for (;; n /= 2) {
		at = pages_find_top(n, LOW_PAGES, PFN_4G, avoid_lo, avoid_hi);
		if (at == PFN_NONE)
			at = pages_find_top(n, LOW_PAGES, top_pfn, avoid_lo, avoid_hi);
		if (at != PFN_NONE)
			break;
		if (n / 2 < min >> PAGE_SHIFT)
			die(EXIT_SETUP, "pages: no room for %lu KiB of scratch", (n << PAGE_SHIFT) >> 10);
	}
	pages_take(at, n);
	scratch_base = (uint8_t *)(uintptr_t)(at << PAGE_SHIFT);
	scratch_size = n << PAGE_SHIFT;
	scratch_used = 0;
	say("pages: scratch 0x%lx-0x%lx", at << PAGE_SHIFT, (at + n) << PAGE_SHIFT);
}

void *scratch_alloc(uint64_t bytes)
{
	uint64_t size = align_up(bytes ? bytes : 1, 64);

	if (size > scratch_size - scratch_used) {
		say("scratch: %lu bytes asked, %lu left", bytes,
		    scratch_size - scratch_used);
		return 0;
	}
	void *p = scratch_base + scratch_used;

	scratch_used += size;
	return p;
}

/* LIFO: the last block given back is released, others wait for their turn. */
void scratch_free(void *p, uint64_t bytes)
{
	uint64_t size = align_up(bytes ? bytes : 1, 64);

	if ((uint8_t *)p + size == scratch_base + scratch_used)
		scratch_used -= size;
}
