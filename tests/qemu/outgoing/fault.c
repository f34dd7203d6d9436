/* SPDX-License-Identifier: MIT */
/*
 * Deliberate damage after staging, before the jump: each fault is one thing
 * the loader must refuse (README.md, "Faults"). The handoff page and the list
 * pages are reached through the identity map.
 */
#include <string.h>
#include "core/check.h"
#include "core/crc32.h"
#include "outgoing.h"

#define OUTSIDE_MIN	(1ULL << 40)	/* 1 TiB */

static void *identity(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	(void)len;
	return (void *)(uintptr_t)pa;
}

static const struct stage_env ident = { .map = identity };

static uint64_t *page(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)pa;
}

/* A 4 KiB aligned address above every range of the map, at least 1 TiB. */
static uint64_t outside_addr(const struct memmap *m)
{
	uint64_t top = align_up(memmap_top(m), 1ULL << 30);

	return top > OUTSIDE_MIN ? top : OUTSIDE_MIN;
}

/* The first range of the handoff's map of that type above 1 MiB. */
static uint64_t map_range(const struct baton_handoff *h, uint32_t type, const char *fault)
{
	const struct baton_mem_range *m = (const void *)(h + 1);

	for (uint64_t i = 0; i < h->mem_count; i++)
		if (m[i].type == type && m[i].base >= 1ULL << 20)
			return m[i].base;
	die(EXIT_SETUP, "fault %s: the handoff's memory map has no such range", fault);
}

/* The list page before the last, and the last. */
static uint64_t last_list(const struct baton_handoff *h, uint64_t *before)
{
	uint64_t pa = h->chain;

	*before = 0;
	while (BATON_L_ADDR(page(pa)[0])) {
		*before = pa;
		pa = BATON_L_ADDR(page(pa)[0]);
	}
	return pa;
}

/* The first entry of list page 0 (a DST: the first destination). */
static uint64_t first_dst(const struct baton_handoff *h)
{
	return BATON_L_ADDR(page(h->chain)[BATON_LIST_FIRST]);
}

static const uint64_t *page_ptr(void *ctx, uint64_t pa)
{
	(void)ctx;
	return page(pa);
}

/* After entries were added: the header's run counts and work area as the stage
 * would have made them (its own walk), and the CRCs sealed again. */
static void recount(struct baton_handoff *h, const struct stage_result *res)
{
	static struct check c;
	struct chain_ops none = { 0 };
	struct work_layout wl;

	stage_seal(h, &ident);
	c = (struct check){ .h = h, .h_pa = res->handoff, .self_base = res->loader_base,
			    .self_size = res->loader_size, .page_ptr = page_ptr, .no_work = 1 };
	if (check_header(&c) || chain_walk(&c, &none))
		die(EXIT_SETUP, "fault: the changed lists do not walk: %s", c.msg);
	h->copy_runs = c.ncopy;
	h->zero_runs = c.nzero;
	h->claim_runs = c.nclaim;
	if (work_layout(h, (const struct baton_mem_range *)(h + 1), &wl))
		die(EXIT_SETUP, "fault: no work area for the changed lists");
	h->work_size = wl.size;
	stage_seal(h, &ident);
}

/* Where the entries of a list page leave the cursor. */
static uint64_t page_cursor(const uint64_t *w, uint64_t cursor)
{
	for (uint32_t j = BATON_LIST_FIRST; j < BATON_LIST_WORDS && w[j]; j++) {
		uint64_t e = w[j];

		if (BATON_L_KIND(e) == BATON_L_DST)
			cursor = BATON_L_ADDR(e);
		else if (BATON_L_KIND(e) == BATON_L_SRC)
			cursor += BATON_L_SRC_PAGES(e) << PAGE_SHIFT;
		else
			cursor += BATON_L_COUNT(e) << PAGE_SHIFT;
	}
	return cursor;
}

/*
 * One more zero run at dst, in the first list page with room for three words
 * (DST dst, ZERO 1, DST back where the page had left the cursor): the header
 * counts it and the CRCs are sealed again, so only the validator's rule can
 * refuse it.
 */
static void add_zero_run(struct baton_handoff *h, const struct stage_result *res,
			 uint64_t dst, const char *fault)
{
	uint64_t cursor = 0, last = 0, pfn, *w;

	for (uint64_t pa = h->chain; pa; pa = BATON_L_ADDR(page(pa)[0])) {
		uint32_t j = BATON_LIST_FIRST;

		w = page(pa);
		last = pa;
		cursor = page_cursor(w, cursor);
		while (j < BATON_LIST_WORDS && w[j])
			j++;
		if (j + 3 > BATON_LIST_WORDS)
			continue;
		w[j] = dst | BATON_L_DST;
		w[j + 1] = 1ull << 12 | BATON_L_ZERO;
		w[j + 2] = cursor | BATON_L_DST;
		recount(h, res);
		return;
	}
	/* Every list page is full: one more, linked after the last. */
	pfn = pages_find(1, LOW_PAGES, pages_top(), LOW_PAGES, 0, 0);
	if (pfn == PFN_NONE)
		die(EXIT_SETUP, "fault %s: no free page for one more list page", fault);
	pages_take(pfn, 1);
	w = page(pfn << PAGE_SHIFT);
	memset(w, 0, PAGE_SIZE);
	w[0] = BATON_LIST_MARK;
	w[BATON_LIST_FIRST] = dst | BATON_L_DST;
	w[BATON_LIST_FIRST + 1] = 1ull << 12 | BATON_L_ZERO;
	page(last)[0] = pfn << PAGE_SHIFT | BATON_LIST_MARK;
	h->chain_pages++;
	recount(h, res);
}

/* The first SRC entry's source page. */
static uint64_t first_src(const struct baton_handoff *h)
{
	const uint64_t *w = page(h->chain);

	for (uint32_t j = BATON_LIST_FIRST; j < BATON_LIST_WORDS; j++)
		if (BATON_L_KIND(w[j]) == BATON_L_SRC)
			return BATON_L_ADDR(w[j]);
	die(EXIT_SETUP, "fault corrupt: list page 0 has no SRC entry");
}

void fault_inject(enum fault_kind f, const struct stage_result *res,
		  const struct memmap *m)
{
	struct baton_handoff *h;
	uint64_t last, before;

	if (f == FAULT_NONE)
		return;
	say("fault %s", fault_names[f]);
	if (f == FAULT_TRAP) {		/* test of our own exception path */
		*(volatile uint8_t *)(uintptr_t)outside_addr(m) = 1;
		die(EXIT_SETUP, "fault trap: no exception");
	}
	h = (struct baton_handoff *)(uintptr_t)res->handoff;
	switch (f) {
	case FAULT_MAGIC:		/* no reseal: the magic is checked first */
		h->magic ^= 1ULL << 7;
		break;
	case FAULT_VERSION:
		h->version = 99;
		stage_seal(h, &ident);
		break;
	case FAULT_CRC:			/* no reseal: only the chain's CRC can tell */
		((uint8_t *)&page(h->chain)[1])[3] ^= 0xff;
		break;
	case FAULT_OVERLAP:		/* a zero run on the first destination page */
		add_zero_run(h, res, first_dst(h), "overlap");
		break;
	case FAULT_OUTSIDE:
		add_zero_run(h, res, outside_addr(m), "outside");
		break;
	case FAULT_ENTRY_UD2:		/* probe32's _start + 2 is a ud2 (probe32/entry.asm) */
		h->entry.addr += 2;
		stage_seal(h, &ident);
		break;
	case FAULT_NEVER_TOUCH:		/* onto the map's never-touch range */
	case FAULT_RESERVED:		/* onto the first reserved range above 1 MiB */
		add_zero_run(h, res, map_range(h, f == FAULT_NEVER_TOUCH ? BATON_MEM_NEVER_TOUCH :
					  BATON_MEM_RESERVED, fault_names[f]), fault_names[f]);
		break;
	case FAULT_RUNS_HUGE:		/* 2^41 copy runs: no work area could hold them */
		h->copy_runs += 1ULL << 41;
		stage_seal(h, &ident);
		break;
	case FAULT_WORK_HUGE:		/* a plan whose work area the proposal cannot hold */
		h->plan_pieces = 1ULL << 30;
		stage_seal(h, &ident);
		break;
	case FAULT_FLAGS:		/* bit 0 once told the loader to skip verify */
		h->flags = 1;
		stage_seal(h, &ident);
		break;
	case FAULT_CORRUPT:		/* the source, not the handoff: the hash must tell */
		*(volatile uint8_t *)(uintptr_t)(first_src(h) + 0x10) ^= 0xff;
		break;
	case FAULT_LIST_LOOP:		/* the last list page points back at the first */
		last = last_list(h, &before);
		page(last)[0] = h->chain | BATON_LIST_MARK;
		stage_seal(h, &ident);
		break;
	case FAULT_LIST_OUTSIDE:	/* the chain starts past all RAM */
		h->chain = outside_addr(m);
		h->crc32 = crc32_handoff(h);
		break;
	case FAULT_LIST_IN_DST:		/* list page 0 copied onto the first destination */
		memcpy(page(first_dst(h)), page(h->chain), PAGE_SIZE);
		h->chain = first_dst(h);
		h->crc32 = crc32_handoff(h);
		break;
	case FAULT_LIST_TRUNCATED:	/* the header counts one list page more */
		h->chain_pages++;
		stage_seal(h, &ident);
		break;
	default:
		break;
	}
}
