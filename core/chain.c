/* SPDX-License-Identifier: MIT */
/*
 * Walking the list pages (include/baton/handoff.h has their format). One walker,
 * three passes in the loader (check, collect, verify) and the same in the stage:
 * the rules of what a list may say live only here.
 *
 * A walk stops at the first thing wrong, with one line naming the list page, its
 * address and the entry: a page outside usable RAM or in reserved memory, a page
 * without the list mark, a chain longer than the header says or one that comes
 * back to a page (a loop), or shorter (truncated), an entry of no known kind, an entry that places before any DST,
 * a range that wraps, a word after the zero that ends a page. Neighbouring
 * entries of one kind that continue each other become one run.
 */
#include "core/check.h"
#include "core/crc32.h"
#include "core/memmap.h"

#define PAGE	BATON_PAGE_SIZE

struct pending {
	uint32_t kind;		/* 0: none */
	uint64_t src, dst, pages;
};

static int flush(struct check *c, const struct chain_ops *ops, struct pending *p)
{
	int err = 0;

	if (!p->kind)
		return 0;
	if (ops->run)	/* before the count: it is the run's index */
		err = ops->run(c, p->kind, p->src, p->dst, p->pages);
	if (p->kind == BATON_L_SRC)
		c->ncopy++;
	else if (p->kind == BATON_L_ZERO)
		c->nzero++;
	else
		c->nclaim++;
	p->kind = 0;
	return err;
}

/* Add one entry's run; merge it into the pending one when it continues it. */
static int add(struct check *c, const struct chain_ops *ops, struct pending *p,
	       uint32_t kind, uint64_t src, uint64_t dst, uint64_t pages)
{
	if (p->kind == kind && p->dst + p->pages * PAGE == dst &&
	    (kind != BATON_L_SRC || p->src + p->pages * PAGE == src)) {
		p->pages += pages;
		return 0;
	}
	int err = flush(c, ops, p);

	*p = (struct pending){ kind, src, dst, pages };
	return err;
}

static int list_page_ok(struct check *c, uint64_t i, uint64_t pa)
{
	const struct baton_mem_range *hit = 0;
	int fit;

	if (i >= c->seen.h.chain_pages)
		return check_fail(c, CHECK_E_LIST, "list chain goes on past its %lu pages (a loop?): page %lu at 0x%lx",
				  (unsigned long)c->seen.h.chain_pages, (unsigned long)i,
				  (unsigned long)pa);
	fit = pa % PAGE || pa + PAGE < pa ? MEMMAP_OUTSIDE :
	      memmap_fits(c->seen.map, c->seen.h.mem_count, pa, pa + PAGE, &hit);
	if (fit != MEMMAP_FITS)
		return check_fail(c, CHECK_E_LIST, "list page %lu at 0x%lx is %s", (unsigned long)i,
				  (unsigned long)pa,
				  fit == MEMMAP_FORBIDDEN ? "in reserved or never-touch memory" :
				  "unaligned or outside usable RAM");
	return 0;
}

int chain_walk(struct check *c, const struct chain_ops *ops)
{
	const struct baton_handoff *h = &c->seen.h;
	struct pending p = { 0 };
	uint64_t pa = h->chain, i = 0, cursor = 0;
	uint64_t seen = 0, power = 1, since = 0;	/* Brent's cycle finding */
	int have_cursor = 0;

	c->ncopy = c->nzero = c->nclaim = c->pages = c->claim_pages = c->src_entries = 0;
	c->chain_crc = 0;
	for (; pa; i++) {
		const uint64_t *w;
		int ended = 0, err = list_page_ok(c, i, pa);

		if (!err && ops->page)
			err = ops->page(c, i, pa);
		if (err)
			return err;
		/* A chain that comes back to a page loops, whatever chain_pages says
		 * (a header claiming millions of pages would walk for hours): one page
		 * remembered at each power of two finds it within twice the loop. */
		if (pa == seen)
			return check_fail(c, CHECK_E_LIST, "list chain comes back to list page 0x%lx after %lu pages: a loop",
					  (unsigned long)pa, (unsigned long)i);
		if (++since == power) {
			seen = pa;
			power <<= 1;
			since = 0;
		}
		w = c->page_ptr(c->ctx, pa);
		if ((w[0] & 0xfff) != BATON_LIST_MARK)
			return check_fail(c, CHECK_E_LIST, "list page %lu at 0x%lx has no list mark (word 0 is 0x%lx)",
					  (unsigned long)i, (unsigned long)pa, (unsigned long)w[0]);
		if (ops->crc)
			c->chain_crc = crc32_update(c->chain_crc, w, PAGE);
		for (uint32_t j = BATON_LIST_FIRST; j < BATON_LIST_WORDS; j++) {
			uint64_t e = w[j], a = BATON_L_ADDR(e), n = 0, end;
			uint32_t kind = BATON_L_KIND(e);

			if (ended || !e) {
				if (e)
					return check_fail(c, CHECK_E_LIST, "list page %lu at 0x%lx word %u: 0x%lx after the end of its entries",
							  (unsigned long)i, (unsigned long)pa, j, (unsigned long)e);
				ended = 1;
				continue;
			}
			if (kind == BATON_L_DST) {
				if (e & 0xff8)
					goto bad;
				cursor = a;
				have_cursor = 1;
				continue;
			}
			if (kind == BATON_L_SRC) {
				n = BATON_L_SRC_PAGES(e);
				if (__builtin_add_overflow(a, n * PAGE, &end))
					goto bad;
				c->src_entries++;
			} else if (kind == BATON_L_ZERO || kind == BATON_L_CLAIM) {
				n = BATON_L_COUNT(e);
				if ((e & 0xff8) || !n || n > (~0ull >> 12))
					goto bad;
			} else {
				goto bad;
			}
			if (!have_cursor)
				return check_fail(c, CHECK_E_LIST, "list page %lu at 0x%lx word %u: 0x%lx places before any DST entry",
						  (unsigned long)i, (unsigned long)pa, j, (unsigned long)e);
			if (__builtin_add_overflow(cursor, n * PAGE, &end))
				goto bad;
			if (kind == BATON_L_CLAIM)
				c->claim_pages += n;
			else
				c->pages += n;
			if (kind == BATON_L_SRC && ops->src)
				ops->src(c, cursor, n);
			err = add(c, ops, &p, kind, a, cursor, n);
			if (err)
				return err;
			cursor = end;
			continue;
bad:
			return check_fail(c, CHECK_E_LIST, "list page %lu at 0x%lx word %u: entry 0x%lx is malformed or wraps",
					  (unsigned long)i, (unsigned long)pa, j, (unsigned long)e);
		}
		if (ops->page_end) {
			err = ops->page_end(c, i, pa, w[1]);
			if (err)
				return err;
		}
		pa = BATON_L_ADDR(w[0]);
	}
	if (i != h->chain_pages)
		return check_fail(c, CHECK_E_LIST, "list chain ends after %lu pages, the header says %lu",
				  (unsigned long)i, (unsigned long)h->chain_pages);
	c->nlist = i;
	return flush(c, ops, &p);
}
