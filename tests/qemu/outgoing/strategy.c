/* SPDX-License-Identifier: MIT */
/*
 * Allocation strategies: the stage's env->alloc. STAGE_FOR_SOURCE asks for one
 * page per image page, with the page's destination; the loader region and the
 * handoff ask for contiguous runs. Each strategy places them differently to
 * give the loader a different job (README.md, "Strategies").
 *
 * The destination span is [low, high + 64 KiB) of the payload, in pages: the
 * stage puts the boot-info FDT right after the image's last page.
 */
#include <string.h>
#include "outgoing.h"
#include "rng.h"
#include "worst.h"

#define FDT_SLACK_PAGES	(0x10000 >> PAGE_SHIFT)
#define POOL_MAX_PAGES	((32ULL << 20) >> PAGE_SHIFT)

struct strategy {
	enum strategy_kind kind;
	uint64_t rng;
	uint64_t lo, img_hi, hi;	/* pfns: span [lo, hi), the image ends at img_hi */
	uint32_t *src_of;		/* worst: per span page, source index + 1 */
	uint64_t rev_lo, rev_next;	/* reverse: the area, handed out downwards */
	uint64_t pool_lo, pool_hi;	/* scattered, high: room kept for the regions */
	uint64_t sources, fallbacks, lists;
	int bzimage;			/* the span has gaps that are no destination */
	const struct fmt_image *img;
};

static struct strategy strat;

/*
 * A bzImage's span is nearly all RAM (boot area at 1 MiB, initrd at the top):
 * what must stay free of the outgoing kernel's own bookkeeping, and what the
 * hostile APs write, is its segment with the most file bytes, the initrd (or the
 * kernel without one). NULL for an ELF: there the whole span counts.
 */
const struct fmt_segment *strategy_bulk(const struct fmt_image *img)
{
	const struct fmt_segment *big = NULL;

	if (!img || img->kind != FMT_KIND_BZIMAGE)
		return NULL;
	for (uint32_t i = 0; i < img->nseg; i++)
		if (!big || img->seg[i].filesz > big->filesz)
			big = &img->seg[i];
	return big;
}

uint64_t strategy_span_hi(const struct fmt_image *img)
{
	return align_up(img->high, PAGE_SIZE) + (FDT_SLACK_PAGES << PAGE_SHIFT);
}

/* A free run of n pages in [lo, hi) outside [alo, ahi), from a random start. */
static uint64_t take_random(struct strategy *s, uint64_t n, uint64_t lo, uint64_t hi,
			    uint64_t alo, uint64_t ahi)
{
	uint64_t top = hi < pages_top() ? hi : pages_top();
	uint64_t from = lo < top ? lo + rng_below(&s->rng, top - lo) : lo;
	uint64_t p = pages_find(n, lo, hi, from, alo, ahi);

	if (p != PFN_NONE)
		pages_take(p, n);
	return p;
}

/* The lowest free run of n pages in [lo, hi) outside [alo, ahi). */
static uint64_t take_first(uint64_t n, uint64_t lo, uint64_t hi, uint64_t alo,
			   uint64_t ahi)
{
	uint64_t p = pages_find(n, lo, hi, lo, alo, ahi);

	if (p != PFN_NONE)
		pages_take(p, n);
	return p;
}

/* Pages holding file bytes, an upper bound (segments may share a page). */
static uint64_t image_copy_pages(const struct fmt_image *img)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < img->nseg; i++)
		if (img->seg[i].filesz)
			n += (align_up(img->seg[i].paddr + img->seg[i].filesz, PAGE_SIZE) -
			      align_down(img->seg[i].paddr, PAGE_SIZE)) >> PAGE_SHIFT;
	return n;
}

/* reverse: one free area outside the span, taken now, handed out top down. */
static void reverse_init(struct strategy *s, const struct fmt_image *img)
{
	uint64_t n = image_copy_pages(img) + FDT_SLACK_PAGES;
	uint64_t p = pages_find_top(n, LOW_PAGES, pages_top(), s->lo, s->hi);

	if (p == PFN_NONE)
		die(EXIT_SETUP, "strategy reverse: no free area of %lu pages", n);
	pages_take(p, n);
	s->rev_lo = p;
	s->rev_next = p + n;
	say("reverse: sources from 0x%lx down to 0x%lx", (p + n) << PAGE_SHIFT,
	    p << PAGE_SHIFT);
}

/*
 * Span page classes for worst_build(): copy, zero (bss, holes) or unusable. An
 * ELF's holes are zero-filled by the stage; a bzImage's gaps between its boot
 * area, kernel and initrd are not destinations at all.
 */
static void worst_classify(const struct strategy *s, const struct fmt_image *img,
			   uint8_t *cls, uint64_t n)
{
	if (img->kind == FMT_KIND_BZIMAGE) {
		memset(cls, WORST_SKIP, n);
		for (uint32_t i = 0; i < img->nseg; i++) {
			uint64_t a = img->seg[i].paddr >> PAGE_SHIFT;
			uint64_t b = align_up(img->seg[i].paddr + img->seg[i].memsz,
					      PAGE_SIZE) >> PAGE_SHIFT;

			memset(cls + (a - s->lo), WORST_ZERO, b - a);
		}
	} else {
		memset(cls, WORST_ZERO, s->img_hi - s->lo);
		memset(cls + (s->img_hi - s->lo), WORST_SKIP, n - (s->img_hi - s->lo));
	}
	for (uint32_t i = 0; i < img->nseg; i++) {
		const struct fmt_segment *g = &img->seg[i];
		uint64_t a = g->paddr >> PAGE_SHIFT;
		uint64_t b = align_up(g->paddr + g->filesz, PAGE_SIZE) >> PAGE_SHIFT;

		for (uint64_t p = a; g->filesz && p < b; p++)
			cls[p - s->lo] = WORST_COPY;
	}
	for (uint64_t i = 0; i < n; i++)
		if (!pages_is_free(s->lo + i))
			cls[i] = WORST_SKIP;
}

static void worst_init(struct strategy *s, const struct fmt_image *img)
{
	uint64_t n = s->hi - s->lo;
	struct worst_stats st;

	if (n >= UINT32_MAX)
		die(EXIT_SETUP, "strategy worst: span of %lu pages is too large", n);
	s->src_of = scratch_alloc(n * 4);
	uint8_t *cls = scratch_alloc(n);
	uint32_t *work = scratch_alloc(n * 4);

	if (!s->src_of || !cls || !work)
		die(EXIT_SETUP, "strategy worst: no scratch for a %lu-page span", n);
	worst_classify(s, img, cls, n);
	if (worst_build(cls, (uint32_t)n, s->src_of, work, &s->rng))
		die(EXIT_SETUP, "strategy worst: one copy page and no zero page: "
		    "nothing to permute");
	if (worst_check(cls, (uint32_t)n, s->src_of, work, &st))
		die(EXIT_SETUP, "strategy worst: self-check: %s", st.error);
	say("worst: copy_pages=%u zero_pages=%u cycles=%u longest_cycle=%u chains=%u "
	    "longest_chain=%u", st.copy, st.zero, st.cycles, st.longest_cycle,
	    st.chains, st.longest_chain);
	scratch_free(work, n * 4);
	scratch_free(cls, n);
}

/*
 * scattered, high: random source pages leave no long free run behind, so a
 * random area is kept free of sources first; the loader region and the handoff
 * take random runs inside it.
 */
static void pool_init(struct strategy *s, uint64_t lo)
{
	uint64_t n = pages_free_count() / 8;
	uint64_t top = pages_top();

	if (n > POOL_MAX_PAGES)
		n = POOL_MAX_PAGES;
	uint64_t p = pages_find(n, lo, top, lo + rng_below(&s->rng, top - lo), 0, 0);

	if (p == PFN_NONE)
		die(EXIT_SETUP, "strategy %s: no free area of %lu pages for the loader",
		    strategy_names[s->kind], n);
	s->pool_lo = p;
	s->pool_hi = p + n;
	say("%s: loader and handoff inside 0x%lx-0x%lx", strategy_names[s->kind],
	    p << PAGE_SHIFT, (p + n) << PAGE_SHIFT);
}

/*
 * aps=hostile: the APs write every page of ap_target() until the loader stops
 * them, so no source, loader region or handoff may be there. Strategies that
 * put them there by design are refused; for the others the range is taken
 * now, before any of their choices.
 */
static void hostile_init(const struct strategy *s, const struct fmt_image *img)
{
	uint64_t lo, hi, n = 0;

	if (s->kind == STRAT_INPLACE || s->kind == STRAT_WORST ||
	    s->kind == STRAT_LOADER_IN_DST)
		die(EXIT_SETUP, "aps: strategy=%s puts %s on the payload's pages, which "
		    "the hostile APs write (use scattered, reverse or high)",
		    strategy_names[s->kind],
		    s->kind == STRAT_LOADER_IN_DST ? "the loader" : "sources");
	ap_target(img, &lo, &hi);
	for (uint64_t p = lo >> PAGE_SHIFT; p < hi >> PAGE_SHIFT; p++)
		if (pages_is_free(p)) {
			pages_take(p, 1);
			n++;
		}
	say("aps: 0x%lx-0x%lx kept free of sources, loader and handoff (%lu pages)",
	    lo, hi, n);
}

struct strategy *strategy_init(const struct config *cfg, const struct fmt_image *img)
{
	struct strategy *s = &strat;

	s->kind = cfg->strategy;
	s->rng = rng_seed(cfg->seed);
	s->img = img;
	if (img) {
		s->bzimage = img->kind == FMT_KIND_BZIMAGE;
		s->lo = img->low >> PAGE_SHIFT;
		s->img_hi = align_up(img->high, PAGE_SIZE) >> PAGE_SHIFT;
		s->hi = strategy_span_hi(img) >> PAGE_SHIFT;
	}
	if (s->kind == STRAT_HIGH && pages_top() <= PFN_4G)
		die(EXIT_SETUP, "strategy high: no RAM above 4 GiB (run QEMU with -m 6G)");
	if (img && cfg->aps == APS_HOSTILE)
		hostile_init(s, img);
	if (s->kind == STRAT_SCATTERED || s->kind == STRAT_HIGH)
		pool_init(s, s->kind == STRAT_HIGH ? PFN_4G : LOW_PAGES);
	if (img && s->kind == STRAT_REVERSE)
		reverse_init(s, img);
	if (img && s->kind == STRAT_WORST)
		worst_init(s, img);
	return s;
}

/*
 * fragmented: a long-running kernel's memory, where only single pages can be had.
 * The middle page of a free run of three, from a random start: no two pages
 * this strategy hands out are ever adjacent.
 */
static uint64_t take_lonely(struct strategy *s)
{
	uint64_t top = pages_top();
	uint64_t p = pages_find(3, LOW_PAGES, top, LOW_PAGES + rng_below(&s->rng, top - LOW_PAGES),
				0, 0);

	if (p == PFN_NONE)
		return PFN_NONE;
	pages_take(p + 1, 1);
	return p + 1;
}

/* Whether pfn p is a destination page of the image. */
static int is_dst(const struct strategy *s, uint64_t p)
{
	if (!s->img)
		return 0;
	if (!s->bzimage)
		return p >= s->lo && p < s->hi;
	for (uint32_t i = 0; i < s->img->nseg; i++) {
		const struct fmt_segment *g = &s->img->seg[i];

		if (p >= g->paddr >> PAGE_SHIFT &&
		    p < align_up(g->paddr + g->memsz, PAGE_SIZE) >> PAGE_SHIFT)
			return 1;
	}
	return 0;
}

/* A list page: never a destination (pages that are stay taken, as kexec keeps
 * them aside). */
static uint64_t list_pick(struct strategy *s)
{
	for (int tries = 0; tries < 256; tries++) {
		uint64_t p = s->kind == STRAT_FRAGMENTED ? take_lonely(s) :
			     take_random(s, 1, LOW_PAGES, pages_top(), 0, 0);

		if (p == PFN_NONE || !is_dst(s, p))
			return p;
	}
	return PFN_NONE;
}

/* Where the source of the image page at pfn d goes. */
static uint64_t source_pick(struct strategy *s, uint64_t d)
{
	uint64_t top = pages_top();

	switch (s->kind) {
	case STRAT_INPLACE:
		if (pages_is_free(d)) {
			pages_take(d, 1);
			return d;
		}
		say("inplace: destination 0x%lx is not free RAM", d << PAGE_SHIFT);
		return PFN_NONE;
	case STRAT_SCATTERED:
		return take_random(s, 1, LOW_PAGES, top, s->pool_lo, s->pool_hi);
	case STRAT_REVERSE:
		if (s->rev_next > s->rev_lo)
			return --s->rev_next;		/* taken by reverse_init() */
		break;
	case STRAT_WORST:
		if (d >= s->lo && d < s->hi && s->src_of[d - s->lo]) {
			uint64_t t = s->lo + s->src_of[d - s->lo] - 1;

			if (pages_is_free(t)) {
				pages_take(t, 1);
				return t;
			}
		}
		break;
	case STRAT_LOADER_IN_DST:
		return take_random(s, 1, LOW_PAGES, top, s->lo, s->hi);
	case STRAT_HIGH:
		return take_random(s, 1, PFN_4G, top, s->pool_lo, s->pool_hi);
	case STRAT_FRAGMENTED:
		return take_lonely(s);
	default:
		break;
	}
	s->fallbacks++;
	/* A bzImage's span is nearly all RAM: any free page will do. */
	if (s->bzimage)
		return take_random(s, 1, LOW_PAGES, top, 0, 0);
	return take_random(s, 1, LOW_PAGES, top, s->lo, s->hi);
}

/* Where a contiguous run (loader region, handoff) goes. */
static uint64_t region_pick(struct strategy *s, uint64_t n)
{
	uint64_t top = pages_top(), p;

	switch (s->kind) {
	case STRAT_SCATTERED:
	case STRAT_HIGH:
		p = take_random(s, n, s->pool_lo, s->pool_hi, 0, 0);
		return p != PFN_NONE ? p :
		       take_random(s, n, s->kind == STRAT_HIGH ? PFN_4G : LOW_PAGES, top, 0, 0);
	case STRAT_LOADER_IN_DST:
		p = pages_find(n, s->lo, top, s->lo, 0, 0);
		if (p == PFN_NONE || p >= s->img_hi) {
			say("loader-in-dst: no %lu free pages starting inside 0x%lx-0x%lx",
			    n, s->lo << PAGE_SHIFT, s->img_hi << PAGE_SHIFT);
			return PFN_NONE;
		}
		pages_take(p, n);
		return p;
	default:
		return s->bzimage ? take_first(n, LOW_PAGES, top, 0, 0) :
		       take_first(n, LOW_PAGES, top, s->lo, s->hi);
	}
}

static const char *purpose_name(uint32_t purpose)
{
	return purpose == STAGE_FOR_SOURCE ? "source" :
	       purpose == STAGE_FOR_LOADER ? "loader" :
	       purpose == STAGE_FOR_HANDOFF ? "handoff" :
	       purpose == STAGE_FOR_LIST ? "list page" : "unknown";
}

int strategy_alloc(void *ctx, uint64_t pages, uint32_t purpose, uint64_t dst,
		   uint64_t *pa)
{
	struct strategy *s = ctx;
	uint64_t pfn;

	if (!pages)
		return -1;
	if (purpose == STAGE_FOR_SOURCE && pages == 1) {
		pfn = source_pick(s, dst >> PAGE_SHIFT);
		s->sources++;
	} else if (purpose == STAGE_FOR_LIST && pages == 1) {
		pfn = list_pick(s);
		s->lists++;
	} else if (purpose == STAGE_FOR_HANDOFF && s->kind == STRAT_FRAGMENTED) {
		pfn = take_lonely(s);
	} else {
		pfn = region_pick(s, pages);
	}
	if (pfn == PFN_NONE) {
		say("alloc: no %lu free pages for the %s", pages, purpose_name(purpose));
		return -1;
	}
	*pa = pfn << PAGE_SHIFT;
	if (purpose != STAGE_FOR_SOURCE && purpose != STAGE_FOR_LIST)
		say("alloc: %s at 0x%lx, %lu pages", purpose_name(purpose), *pa, pages);
	return 0;
}

void strategy_report(const struct strategy *s)
{
	say("sources: %lu pages, %lu outside the strategy's plan; %lu list pages", s->sources,
	    s->fallbacks, s->lists);
}
