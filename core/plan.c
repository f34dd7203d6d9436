/* SPDX-License-Identifier: MIT */
/*
 * The copy planner (plan.h has the contract). Everything is in page numbers (pfn).
 *
 * 1. Refine. Cut runs into pieces so that no piece's source holds a destination
 *    boundary strictly inside it. A boundary b strictly inside run R's source cuts R
 *    at b, which makes a new destination boundary g(b) = b - R.src + R.dst, which may
 *    cut another source, and so on. g is injective and its values lie strictly
 *    inside destinations, never on a run's own boundary, so a chain never meets
 *    another chain nor itself: walking the chain from every run's destination start
 *    and end makes each cut exactly once, without remembering the points seen.
 * 2. Graph. A piece's source now lies inside exactly one piece Q's destination, or
 *    touches none (the walk of step 1 marks which: PLAN_COVERED). In the first case
 *    the piece must be copied before Q: an edge to Q. Out-degree <= 1.
 * 3. Order (Kahn). Pieces nobody waits on go first, in source order; placing one
 *    releases its successor, which follows at once when it continues the same
 *    memmove (a run shifted by a page is one chain, and becomes one move), and
 *    otherwise waits in a queue until the scan is over.
 * 4. Cycles. What is left has in- and out-degree 1: cycles P1 -> ... -> Pk -> P1 of
 *    equal-size pieces with S(Pi) == D(Pi+1). For each page j: save D(P1)[j] (Pk's
 *    source), copy P1 .. Pk-1 page j, restore the saved page into D(Pk)[j].
 * 5. Merge. Moves pass through a one-entry pending buffer that absorbs the next move
 *    when it continues the same memmove (same offset, adjacent). Any two moves
 *    consecutive in a valid order can merge: the later one's source is not written by
 *    the earlier one (else it would have had to go first).
 * 6. Zero runs last: their pages may be sources.
 *
 * Speed: a million single-page runs scattered at random make every step a cache
 * miss, and a TLB miss. Sorting (radix) and merging run in streams: every entry
 * sorted by destination carries what its walk needs (a run's pages, a piece's
 * index), and which pieces read a destination is known from step 1, so the walks
 * of steps 1 and 2 stream, but for the chains' searches and the in-degrees'
 * stores; Kahn's queue holds pieces of different chains, so its loads overlap
 * (and are prefetched); the moves are issued afterwards from the recorded order,
 * with loads that do not depend on each other; the cycles are listed once,
 * checked and placed from the list, with their pieces looked up well ahead.
 *
 * Memory: 32 bytes per piece or per run, whichever are more, and nothing else.
 * Runs and pieces are 16-byte spans (struct sort_kv: key = src pfn << 24 | pages
 * bits 0-23, val = dst pfn << 24 | pages bits 24-46, PLAN_COVERED; pfns have 40
 * bits, plan.h). Entries sorted by destination are u64: dst pfn bits 0-31 << 32 |
 * a payload, the runs' pages (or index | PLAN_BIG past 31 bits), the pieces'
 * index; bits 32-39 group them (plan_dsts_sort()). For n runs that become p
 * pieces, the work area of W bytes (aligned to 8; plan_work_size() is exact for
 * an aligned area) holds in turn:
 *   [0, 16n) runs by source, [16n, 32n) the sort's scratch; then [W - 8n, W) runs
 *     by destination, [W - 16n, W - 8n) their scratch; cut points (~(pfn << 24 |
 *     PLAN_COVERED), 8 B) gathered from W - 8n down;
 *   the moving runs close up at 0; the cut points are sorted with their scratch
 *     after those; [0, 16p) pieces in source order, written from the last down
 *     over the runs (a run gives at least one piece, so the writer never passes
 *     the reader), below the cut points they read;
 *   [16p, 24p) pieces by destination, [24p, 32p) scratch; then [24p, 28p) each
 *     piece's successor, [28p, 32p) its in-degree (then the chain depth);
 *   [16p, 20p) the order, the list of cycles behind it; [20p, 24p) Kahn's queue.
 * plan_prepare() checks that the pieces fit (32 B each); every other bound above
 * follows from that and from 32 B per run (see there).
 */
#include <string.h>
#include <baton/handoff.h>
#include "core/plan.h"
#include "core/size.h"
#include "core/sort.h"

#define PLAN_SHIFT	BATON_PAGE_SHIFT
#define PLAN_PFN_BITS	40
#define PLAN_PFN_END	(PLAN_ADDR_END >> PLAN_SHIFT)	/* one past the last pfn */
#define PLAN_PAGES_LO	24		/* span: page-count bits under the pfn in key */
#define PLAN_LOW24	0xffffffULL	/* span: key and val's bits under the pfn */
#define PLAN_PAGES_HI	0x7fffffULL	/* span: page-count bits under the pfn in val */
#define PLAN_COVERED	0x800000ULL	/* span val: the source lies in a destination */
#define PLAN_BYTES	32		/* work bytes per piece, and per run */
#define PLAN_LOW	0xffffffffULL	/* by-destination entry: the payload */
#define PLAN_KEY	(~PLAN_LOW)	/* by-destination entry: dst pfn bits 0-31 */
#define PLAN_BIG	0x80000000u	/* runs' payload: an index, not the pages */
#define PLAN_NONE	0x7fffffffu	/* out[]: no successor */
#define PLAN_JOIN	0x80000000u	/* out[]: the successor continues our move */
#define PLAN_DONE	0xffffffffu	/* indeg[]: placed */
#define PLAN_MARK	0x80000000u	/* list of cycles: the last piece of one */
#define PLAN_PREFETCH	32		/* entries looked up ahead in streams of indices */

_Static_assert(PLAN_PFN_END == 1ULL << PLAN_PFN_BITS, "40-bit pfns");
_Static_assert(PLAN_PFN_BITS + PLAN_PAGES_LO == 64, "a span's key is full");
_Static_assert(PLAN_LOW24 == (1ULL << PLAN_PAGES_LO) - 1, "24 bits under the pfn");
_Static_assert((PLAN_PAGES_HI + 1) << PLAN_PAGES_LO > PLAN_PFN_END, "pages up to 2^40");
_Static_assert(PLAN_MAX_PIECES < PLAN_NONE, "indices leave PLAN_NONE and a flag bit");

/*
 * Entries sorted by destination: dst pfn bits 0-31 << 32 | a 32-bit payload.
 * Bits 32-39 are the group the entry is in: group g ends before entry end[g].
 */
struct plan_dsts {
	uint64_t *e;
	uint32_t end[256];
};

/* Refinement state, shared by plan_count() and plan_execute(). */
struct plan_refine {
	struct sort_kv *run;		/* n runs by source, spans */
	uint64_t n;
	uint64_t moving;		/* runs not in place */
	uint64_t moved, in_place;	/* pages */
	uint64_t *split;		/* cut points go below it, downwards; NULL: count */
	uint64_t nsplit;
	uint64_t cap;			/* room for cuts */
	uint64_t limit;			/* cuts that valid runs can have at most */
	struct plan_dsts by_dst;	/* n runs: payload pages, or index | PLAN_BIG */
};

/* Execution state: the pieces, their graph, the pending move, the memory. */
struct plan_exec {
	const struct plan_mem *mem;	/* NULL: dry run */
	struct plan_stats *st;
	uint64_t p;			/* pieces */
	struct sort_kv *pc;		/* in source order, spans */
	uint32_t *out;			/* successor | PLAN_JOIN, or PLAN_NONE */
	uint32_t *indeg;		/* readers of our destination still to go,
					 * PLAN_DONE, 0 once on a cycle listed; depths */
	uint32_t *order;		/* pieces placed, in order; then the cycles */
	uint32_t *queue;		/* Kahn's */
	uint64_t placed, queued;	/* entries in order[], queue[] */
	uint64_t pdst, psrc, ppages;	/* pending move; ppages == 0: none */
	struct plan_dsts *by_dst;	/* payload: index (the runs' table, reused) */
};

static uint64_t plan_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t plan_span_src(const struct sort_kv *s)
{
	return s->key >> PLAN_PAGES_LO;
}

static uint64_t plan_span_dst(const struct sort_kv *s)
{
	return s->val >> PLAN_PAGES_LO;
}

static uint64_t plan_span_pages(const struct sort_kv *s)
{
	return (s->key & PLAN_LOW24) | (s->val & PLAN_PAGES_HI) << PLAN_PAGES_LO;
}

/* pfns < 2^40, pages <= 2^40 (plan_range_check()); not covered. */
static void plan_span_set(struct sort_kv *s, uint64_t src, uint64_t dst, uint64_t pages)
{
	s->key = src << PLAN_PAGES_LO | (pages & PLAN_LOW24);
	s->val = dst << PLAN_PAGES_LO | pages >> PLAN_PAGES_LO;
}

size_t plan_count_work_size(uint64_t ncopy)
{
	if (ncopy > PLAN_MAX_PIECES)
		return SIZE_MAX;
	return ncopy * PLAN_BYTES;
}

size_t plan_work_size(uint64_t ncopy, uint64_t pieces)
{
	if (ncopy > PLAN_MAX_PIECES || pieces > PLAN_MAX_PIECES)
		return SIZE_MAX;
	return plan_max(ncopy, pieces) * PLAN_BYTES;
}

/* Aligns the work area to 8 bytes; *w: the bytes left. */
static char *plan_work_align(void *work, size_t size, uint64_t *w)
{
	uintptr_t a = ((uintptr_t)work + 7) & ~(uintptr_t)7;
	uintptr_t skip = a - (uintptr_t)work;

	*w = skip > size ? 0 : size - skip;
	return (char *)a;
}

/* One run's own preconditions: aligned, not empty, ends at or below 2^52. */
static int plan_range_check(uint64_t addr, uint64_t pages)
{
	if ((addr & (BATON_PAGE_SIZE - 1)) || !pages || pages > PLAN_PFN_END ||
	    (addr >> PLAN_SHIFT) > PLAN_PFN_END - pages)
		return PLAN_E_INPUT;
	return 0;
}

/* Checks the runs, packs them into spans to sort by source, counts pages and cuts. */
static int plan_runs_read(struct plan_refine *r, const struct plan_run *runs)
{
	for (uint64_t i = 0; i < r->n; i++) {
		const struct plan_run *c = &runs[i];

		if (plan_range_check(c->src, c->pages) || plan_range_check(c->dst, c->pages))
			return PLAN_E_INPUT;
		if (c->src == c->dst) {
			r->in_place += c->pages;
		} else {
			r->moving++;
			r->moved += c->pages;
			r->limit += c->pages - 1;
		}
		plan_span_set(&r->run[i], c->src >> PLAN_SHIFT, c->dst >> PLAN_SHIFT, c->pages);
	}
	return 0;
}

/* Span i's by-destination entry: its pages (runs: pieces == 0) or its index. */
static uint64_t plan_dsts_entry(const struct sort_kv *s, uint64_t i, int pieces)
{
	uint64_t pages = plan_span_pages(&s[i]), low = i;

	if (!pieces)
		low = pages < PLAN_BIG ? pages : i | PLAN_BIG;
	return plan_span_dst(&s[i]) << 32 | low;
}

/*
 * Sorts the n spans s[] by destination into d->e, with scratch tmp[n]. The
 * entries have no room for dst pfn bits 32-39 (16 TiB and up): they go into
 * groups by those bits first, and each group is sorted apart.
 */
static void plan_dsts_sort(struct plan_dsts *d, const struct sort_kv *s, uint64_t n,
			   uint64_t *tmp, int pieces)
{
	uint32_t *end = d->end, at = 0;

	memset(end, 0, sizeof(d->end));
	for (uint64_t i = 0; i < n; i++)
		end[plan_span_dst(&s[i]) >> 32]++;
	for (unsigned g = 0; g < 256; g++) {	/* counts to starts */
		uint32_t c = end[g];

		end[g] = at;
		at += c;
	}
	for (uint64_t i = 0; i < n; i++)	/* starts to ends */
		d->e[end[plan_span_dst(&s[i]) >> 32]++] = plan_dsts_entry(s, i, pieces);
	at = 0;
	for (unsigned g = 0; g < 256; at = end[g++])
		sort_u64_masked(d->e + at, tmp, end[g] - at, PLAN_KEY);
}

/* Entry k's destination; *g: its group, from entries visited in ascending order. */
static uint64_t plan_dsts_key(const struct plan_dsts *d, uint64_t k, unsigned *g)
{
	while (k >= d->end[*g])
		(*g)++;
	return (uint64_t)*g << 32 | d->e[k] >> 32;
}

/* The pages of entry k of the runs by destination (until the runs close up). */
static uint64_t plan_run_dst_pages(const struct plan_refine *r, uint64_t k)
{
	uint32_t low = (uint32_t)r->by_dst.e[k];

	return low & PLAN_BIG ? plan_span_pages(&r->run[low & ~PLAN_BIG]) : low;
}

static int plan_runs_disjoint(const struct plan_refine *r)
{
	uint64_t src_end = 0, dst_end = 0;
	unsigned g = 0;

	for (uint64_t k = 0; k < r->n; k++) {
		const struct sort_kv *s = &r->run[k];
		uint64_t dst = plan_dsts_key(&r->by_dst, k, &g);

		if (plan_span_src(s) < src_end || dst < dst_end)
			return PLAN_E_INPUT;
		src_end = plan_span_src(s) + plan_span_pages(s);
		dst_end = dst + plan_run_dst_pages(r, k);
	}
	return 0;
}

/*
 * Lays out the runs in the work area of w >= 32 n bytes at base: by source at the
 * start, by destination at the end. Sorts them and checks the preconditions.
 */
static int plan_refine_init(struct plan_refine *r, const struct plan_run *runs,
			    uint64_t n, char *base, uint64_t w)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->run = (struct sort_kv *)base;
	r->by_dst.e = (uint64_t *)(base + (w & ~7ULL)) - n;
	err = plan_runs_read(r, runs);
	if (err)
		return err;
	sort_kv_masked(r->run, (struct sort_kv *)(r->run + n), n, ~PLAN_LOW24);
	plan_dsts_sort(&r->by_dst, r->run, n, r->by_dst.e - n, 0);
	return plan_runs_disjoint(r);
}

/* The first run by destination that ends after pfn x, or r->n (each probe finds
 * its group from 0: at most 256 steps). */
static uint64_t plan_runs_after(const struct plan_refine *r, uint64_t x)
{
	uint64_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		unsigned g = 0;

		if (plan_dsts_key(&r->by_dst, mid, &g) + plan_run_dst_pages(r, mid) <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Zero runs are written last, so none may overlap a copy destination. */
static int plan_zeros_check(const struct plan_refine *r,
			    const struct plan_zero *zeros, uint64_t nzero)
{
	for (uint64_t i = 0; i < nzero; i++) {
		uint64_t start = zeros[i].dst >> PLAN_SHIFT, k;
		unsigned g = 0;

		if (plan_range_check(zeros[i].dst, zeros[i].pages))
			return PLAN_E_INPUT;
		k = plan_runs_after(r, start);
		if (k < r->n && plan_dsts_key(&r->by_dst, k, &g) < start + zeros[i].pages)
			return PLAN_E_INPUT;
	}
	return 0;
}

/* The run whose source holds x strictly inside (src < x < end), or r->n. */
static uint64_t plan_run_find(const struct plan_refine *r, uint64_t x)
{
	uint64_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (plan_span_src(&r->run[mid]) < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && x < plan_span_src(&r->run[lo - 1]) + plan_span_pages(&r->run[lo - 1]))
		return lo - 1;
	return r->n;
}

/*
 * Cut point pfn; cov: PLAN_COVERED if a destination holds the source from it on.
 * Stored complemented, downwards: a chain (ascending) is then stored ascending,
 * and the sort finds it sorted; the sort is descending by pfn.
 */
static int plan_split_add(struct plan_refine *r, uint64_t pfn, uint64_t cov)
{
	/* More cuts than valid runs allow means a chain loops: the input is bad. */
	if (r->nsplit >= r->limit)
		return PLAN_E_INPUT;
	if (r->split) {
		if (r->nsplit >= r->cap)
			return PLAN_E_NOSPACE;
		*(r->split - 1 - r->nsplit) = ~(pfn << PLAN_PAGES_LO | cov);
	}
	r->nsplit++;
	return 0;
}

/*
 * x lies strictly inside run k's source: cut there (cov: as for plan_split_add())
 * and follow the chain of cuts. The next ones lie strictly inside destinations.
 */
static int plan_refine_chain(struct plan_refine *r, uint64_t k, uint64_t x, uint64_t cov)
{
	for (;;) {
		const struct sort_kv *run = &r->run[k];
		uint64_t src = plan_span_src(run), dst = plan_span_dst(run);
		int err;

		if (src == dst)			/* only with overlapping input */
			return PLAN_E_INPUT;
		err = plan_split_add(r, x, cov);
		if (err)
			return err;
		cov = PLAN_COVERED;
		x = x - src + dst;
		k = plan_run_find(r, x);
		if (k == r->n)
			return 0;
	}
}

/*
 * Destination boundary x, visited in ascending order: *k is the source cursor,
 * cov as for plan_split_add(). Runs whose source starts in [lo, x) start inside a
 * destination: they get PLAN_COVERED.
 */
static int plan_refine_point(struct plan_refine *r, uint64_t *k, uint64_t x, uint64_t lo,
			     uint64_t cov)
{
	uint64_t src = 0;

	for (; *k < r->n; (*k)++) {
		struct sort_kv *run = &r->run[*k];

		src = plan_span_src(run);
		if (src >= lo && src < x)
			run->val |= PLAN_COVERED;
		if (src + plan_span_pages(run) > x)
			break;
	}
	if (*k == r->n || src >= x)
		return 0;
	return plan_refine_chain(r, *k, x, cov);
}

/*
 * Walks the chain from every destination boundary, and marks which pieces will
 * start inside a destination: the runs that do, and the cuts at a destination's
 * start, at its end when the next one begins there, and those of the chains.
 * Those of runs in place cut nothing: they are boundaries of their sources too,
 * which others' do not overlap.
 */
static int plan_refine_runs(struct plan_refine *r)
{
	uint64_t k = 0, prev_end = PLAN_PFN_END + 1, next = 0;
	unsigned g = 0;

	if (r->n)
		next = plan_dsts_key(&r->by_dst, 0, &g);
	for (uint64_t i = 0; i < r->n; i++) {
		uint64_t start = next, e = start + plan_run_dst_pages(r, i);
		int err = 0;

		next = i + 1 < r->n ? plan_dsts_key(&r->by_dst, i + 1, &g) : 0;
		if (start != prev_end)
			err = plan_refine_point(r, &k, start, start, PLAN_COVERED);
		if (!err)
			err = plan_refine_point(r, &k, e, start, next == e ? PLAN_COVERED : 0);
		if (err)
			return err;
		prev_end = e;
	}
	return 0;
}

/*
 * Cuts the moving runs run[0..m) at the s cut points (complemented, sorted: the
 * highest first): the pieces, in source order, into pc[0..m + s). Written from
 * the last piece down, pc may start where run does: a run gives at least one
 * piece, so none lands below its own run.
 */
static void plan_pieces_make(const struct sort_kv *run, uint64_t m, const uint64_t *cut,
			     uint64_t s, struct sort_kv *pc)
{
	uint64_t p = m + s, j = 0;

	for (uint64_t k = m; k--;) {
		const struct sort_kv r = run[k];	/* pc may overwrite it */
		uint64_t src = plan_span_src(&r), end = src + plan_span_pages(&r);
		uint64_t off = plan_span_dst(&r) - src;

		do {	/* a cut point, or the run's start: pfn << 24 | PLAN_COVERED */
			uint64_t pt = j < s && ~cut[j] >> PLAN_PAGES_LO > src ? ~cut[j++] :
				      src << PLAN_PAGES_LO | (r.val & PLAN_COVERED);
			uint64_t at = pt >> PLAN_PAGES_LO;

			plan_span_set(&pc[--p], at, at + off, end - at);
			pc[p].val |= pt & PLAN_COVERED;
			end = at;
		} while (end > src);
	}
}

/*
 * The pieces, from the runs and the cut points, at the start of the work area;
 * returns how many. When no run is cut or in place, the runs are the pieces.
 * Else the moving runs close up, and the cut points are sorted with their
 * scratch after them.
 */
static uint64_t plan_pieces_cut(struct plan_refine *r)
{
	uint64_t s = r->nsplit, *cut = r->split - s, m = 0;

	if (!s && r->moving == r->n)
		return r->n;
	for (uint64_t k = 0; k < r->n; k++)
		if (plan_span_src(&r->run[k]) != plan_span_dst(&r->run[k]))
			r->run[m++] = r->run[k];
	sort_u64_masked(cut, (uint64_t *)(r->run + m), s, ~PLAN_LOW24);
	plan_pieces_make(r->run, m, cut, s, r->run);
	return m + s;
}

/* Whether pieces a and a + 1 form one contiguous memmove. */
static int plan_pieces_contiguous(const struct sort_kv *pc, uint64_t a)
{
	uint64_t pages = plan_span_pages(&pc[a]);

	return plan_span_src(&pc[a]) + pages == plan_span_src(&pc[a + 1]) &&
	       plan_span_dst(&pc[a]) + pages == plan_span_dst(&pc[a + 1]);
}

/* Edge i -> q: i's source lies in q's destination. */
static int plan_edge_add(struct plan_exec *x, uint64_t i, uint32_t q)
{
	const struct sort_kv *pc = x->pc;
	uint32_t join = 0;

	if (q == i)
		return PLAN_E_INPUT;
	if ((q == i + 1 && plan_pieces_contiguous(pc, i)) ||
	    (q + 1 == i && plan_pieces_contiguous(pc, q)))
		join = PLAN_JOIN;
	x->out[i] = q | join;
	return 0;
}

/* Entry j's piece has that many readers: its in-degree, stored once. */
static void plan_indeg_set(struct plan_exec *x, uint64_t j, uint32_t readers)
{
	x->indeg[x->by_dst->e[j] & PLAN_LOW] = readers;
	x->st->ordered += readers != 0;
}

/* The destination of by-destination entry k (in order); PLAN_PFN_END past the last. */
SIZE_NOINLINE static uint64_t plan_piece_dst_at(const struct plan_exec *x, uint64_t k, unsigned *g)
{
	return k < x->p ? plan_dsts_key(x->by_dst, k, g) : PLAN_PFN_END;
}

/*
 * Links every covered piece (plan_refine_runs()) to the piece whose destination
 * holds its source, by merging the pieces (in source order) with the pieces by
 * destination: qd, nd are the destinations of entries j and j + 1. Destinations
 * tile what they cover, so the last one to start at or below a covered source
 * holds it. The readers of entry j come one after another: its in-degree is
 * counted, then stored once.
 */
static int plan_graph_build(struct plan_exec *x)
{
	uint64_t j = 0, p = x->p, qd, nd;
	uint32_t readers = 0;
	unsigned g = 0;

	if (!p)
		return 0;	/* and work may be NULL */
	qd = plan_piece_dst_at(x, 0, &g);
	nd = plan_piece_dst_at(x, 1, &g);
	for (uint64_t i = 0; i < p; i++) {
		const struct sort_kv *pc = &x->pc[i];
		uint64_t s = plan_span_src(pc);
		int err;

		x->out[i] = PLAN_NONE;
		while (nd <= s) {
			plan_indeg_set(x, j, readers);
			readers = 0;
			qd = nd;
			nd = plan_piece_dst_at(x, ++j + 1, &g);
		}
		if ((qd <= s ? nd : qd) < s + plan_span_pages(pc))
			return PLAN_E_INPUT;	/* a boundary inside: refinement missed it */
		if (!(pc->val & PLAN_COVERED))
			continue;
		if (qd > s)
			return PLAN_E_INPUT;	/* covered, yet no destination holds it */
		err = plan_edge_add(x, i, (uint32_t)(x->by_dst->e[j] & PLAN_LOW));
		if (err)
			return err;
		readers++;
	}
	for (; j < p; j++, readers = 0)
		plan_indeg_set(x, j, readers);
	return 0;
}

/*
 * Records piece i and the chain it releases while each next piece continues the
 * same memmove; a released piece that does not joins the queue: pieces that are
 * ready and adjacent get placed (and merged) first.
 */
static void plan_order_follow(struct plan_exec *x, uint32_t i)
{
	uint32_t *restrict indeg = x->indeg, out;

	do {
		out = x->out[i];
		x->order[x->placed++] = i;
		indeg[i] = PLAN_DONE;
		i = out & ~PLAN_JOIN;
		if (i == PLAN_NONE || --indeg[i])
			return;
	} while (out & PLAN_JOIN);
	x->queue[x->queued++] = i;
}

/*
 * Kahn's order of every piece not on a cycle, into x->order: a scan in source
 * order, then the queue first in, first out. Queue entry h + PLAN_PREFETCH asks
 * for what it will touch: its successor, then that one's in-degree; successive
 * entries belong to different chains, so the loads overlap.
 */
static void plan_order_run(struct plan_exec *x)
{
	for (uint64_t i = 0; i < x->p; i++) {
		if (!x->indeg[i])
			plan_order_follow(x, (uint32_t)i);
	}
	for (uint64_t h = 0; h < x->queued; h++) {
		uint32_t i = x->queue[h], q;

		if (h + 2 * PLAN_PREFETCH < x->queued)
			__builtin_prefetch(&x->out[x->queue[h + 2 * PLAN_PREFETCH]]);
		if (h + PLAN_PREFETCH < x->queued) {
			q = x->out[x->queue[h + PLAN_PREFETCH]] & ~PLAN_JOIN;
			if (q != PLAN_NONE)
				__builtin_prefetch(&x->indeg[q]);
		}
		if (x->indeg[i] != PLAN_DONE)	/* else the scan got there first */
			plan_order_follow(x, i);
	}
}

static void plan_flush(struct plan_exec *x)
{
	if (!x->ppages)
		return;
	if (x->mem)
		x->mem->move(x->mem->ctx, x->pdst << PLAN_SHIFT, x->psrc << PLAN_SHIFT,
			     x->ppages);
	x->st->ops++;
	x->st->copies += x->ppages;
	x->ppages = 0;
}

/* Queues a move; one that continues the pending memmove joins it. */
static void plan_move(struct plan_exec *x, uint64_t dst, uint64_t src, uint64_t pages)
{
	if (x->ppages && dst - src == x->pdst - x->psrc) {
		if (dst == x->pdst + x->ppages) {
			x->ppages += pages;
			return;
		}
		if (dst + pages == x->pdst) {
			x->pdst = dst;
			x->psrc = src;
			x->ppages += pages;
			return;
		}
	}
	plan_flush(x);
	x->pdst = dst;
	x->psrc = src;
	x->ppages = pages;
}

/* Issues the recorded order; tracks chain depths (their loads are independent). */
static void plan_order_issue(struct plan_exec *x)
{
	uint32_t *depth = x->indeg;

	for (uint64_t i = 0; i < x->p; i++)
		depth[i] = 1;
	for (uint64_t k = 0; k < x->placed; k++) {
		uint32_t i = x->order[k], q = x->out[i] & ~PLAN_JOIN, d = depth[i];
		const struct sort_kv *pc = &x->pc[i];

		if (k + 2 * PLAN_PREFETCH < x->placed) {
			uint32_t a = x->order[k + 2 * PLAN_PREFETCH];

			__builtin_prefetch(&x->pc[a]);
			__builtin_prefetch(&x->out[a]);
			__builtin_prefetch(&depth[a]);
		}
		if (k + PLAN_PREFETCH < x->placed) {
			uint32_t n = x->out[x->order[k + PLAN_PREFETCH]] & ~PLAN_JOIN;

			if (n != PLAN_NONE)
				__builtin_prefetch(&depth[n]);
		}
		plan_move(x, plan_span_dst(pc), plan_span_src(pc), plan_span_pages(pc));
		if (d > x->st->longest)
			x->st->longest = d;
		if (q != PLAN_NONE && depth[q] <= d)
			depth[q] = d + 1;
	}
}

static void plan_save(struct plan_exec *x, uint64_t src)
{
	plan_flush(x);
	if (x->mem)
		x->mem->save(x->mem->ctx, src << PLAN_SHIFT);
	x->st->copies++;
}

static void plan_restore(struct plan_exec *x, uint64_t dst)
{
	plan_flush(x);
	if (x->mem)
		x->mem->restore(x->mem->ctx, dst << PLAN_SHIFT);
	x->st->copies++;
}

/*
 * Whether edge i -> q is clean: i's source is exactly q's destination, in size
 * too. Refinement makes the edges of a cycle so; checked all the same.
 */
static int plan_edge_clean(const struct plan_exec *x, uint32_t i, uint32_t q)
{
	const struct sort_kv *a = &x->pc[i], *b = &x->pc[q];

	return !((b->val ^ a->key) >> PLAN_PAGES_LO | ((b->key ^ a->key) & PLAN_LOW24) |
		 ((b->val ^ a->val) & PLAN_PAGES_HI));
}

/*
 * Every edge of the listed cycles clean. The pieces are looked up well ahead: in
 * list order they lie anywhere.
 */
static int plan_cycles_clean(const struct plan_exec *x, const uint32_t *list, uint64_t n)
{
	for (uint64_t t = 0, first = 0; t < n; t++) {
		uint32_t q = list[list[t] & PLAN_MARK ? first : t + 1] & ~PLAN_MARK;

		if (t + 2 * PLAN_PREFETCH < n)
			__builtin_prefetch(&x->pc[list[t + 2 * PLAN_PREFETCH] & ~PLAN_MARK]);
		if (!plan_edge_clean(x, list[t] & ~PLAN_MARK, q))
			return PLAN_E_INPUT;
		if (list[t] & PLAN_MARK)
			first = t + 1;
	}
	return 0;
}

/*
 * Step 4, before anything is written: lists every cycle into list[] (the last
 * piece of each with PLAN_MARK), walking successors from each piece left in
 * source order, and checks each clean. Once Kahn is stuck each piece left has
 * in-degree 1 and a successor left (their in-degrees sum to the edges among
 * them), so they form cycles; a walk that meets anything else, or leaves a piece
 * out, refuses. A walked piece's in-degree becomes 0. Every refusal of the
 * planner comes from here or before: placing cannot fail.
 */
static int plan_cycles_find(struct plan_exec *x, uint64_t *c)
{
	uint32_t *list = x->order + x->placed;
	uint64_t n = 0;

	for (uint64_t first = 0; first < x->p; first++) {
		uint32_t i = (uint32_t)first, q;

		if (x->indeg[first] != 1)
			continue;	/* placed, or walked */
		do {
			q = x->out[i] & ~PLAN_JOIN;
			if (q == PLAN_NONE || (x->indeg[q] != 1 && q != first))
				return PLAN_E_INPUT;
			x->indeg[i] = 0;
			list[n++] = i;
			i = q;
		} while (i != first);
		list[n - 1] |= PLAN_MARK;
	}
	*c = n;
	if (x->placed + n != x->p)
		return PLAN_E_INPUT;	/* a piece left out */
	return plan_cycles_clean(x, list, n);
}

/* Places a clean cycle of k pieces page by page through the scratch page. */
SIZE_NOINLINE static void plan_cycle_place(struct plan_exec *x, const uint32_t *cyc, uint64_t k)
{
	const struct sort_kv *first = &x->pc[cyc[0] & ~PLAN_MARK];
	const struct sort_kv *last = &x->pc[cyc[k - 1] & ~PLAN_MARK];
	uint64_t d = 0, pages = plan_span_pages(first);

	for (uint64_t j = 0; j < pages; j++) {
		plan_save(x, plan_span_dst(first) + j);	/* = the last piece's source */
		for (uint64_t t = 0; t + 1 < k; t++) {
			const struct sort_kv *pc = &x->pc[cyc[t] & ~PLAN_MARK];

			plan_move(x, plan_span_dst(pc) + j, plan_span_src(pc) + j, 1);
		}
		plan_restore(x, plan_span_dst(last) + j);
	}
	for (uint64_t t = 0; t < k; t++)
		d = plan_max(d, x->indeg[cyc[t] & ~PLAN_MARK]);	/* depths */
	x->st->longest = plan_max(x->st->longest, d + k - 1);
	x->st->cycles += pages;
}

/* Step 4, after the moves: places the listed (clean) cycles, looking pieces up ahead. */
static void plan_cycles_place(struct plan_exec *x, const uint32_t *list, uint64_t n)
{
	uint64_t ahead = 0;

	for (uint64_t t = 0, e; t < n; t = e) {
		for (e = t; !(list[e] & PLAN_MARK); e++)
			;
		e++;
		for (; ahead < e + 2 * PLAN_PREFETCH && ahead < n; ahead++) {
			__builtin_prefetch(&x->pc[list[ahead] & ~PLAN_MARK]);
			__builtin_prefetch(&x->indeg[list[ahead] & ~PLAN_MARK]);
		}
		plan_cycle_place(x, list + t, e - t);
	}
}

static void plan_zero_flush(struct plan_exec *x, uint64_t dst, uint64_t pages)
{
	if (pages && x->mem)
		x->mem->zero(x->mem->ctx, dst << PLAN_SHIFT, pages);
	x->st->zeroed += pages;
}

/* Zero runs in list order, adjacent ones in one call. */
static void plan_zeros_run(struct plan_exec *x, const struct plan_zero *zeros,
			   uint64_t nzero)
{
	uint64_t dst = 0, pages = 0;

	for (uint64_t i = 0; i < nzero; i++) {
		uint64_t d = zeros[i].dst >> PLAN_SHIFT;

		if (pages && d == dst + pages) {
			pages += zeros[i].pages;
			continue;
		}
		plan_zero_flush(x, dst, pages);
		dst = d;
		pages = zeros[i].pages;
	}
	plan_zero_flush(x, dst, pages);
}

int plan_count(const struct plan_run *runs, uint64_t ncopy,
	       void *work, size_t work_size, uint64_t *pieces)
{
	struct plan_refine r;
	uint64_t w;
	char *base = plan_work_align(work, work_size, &w);
	int err;

	*pieces = 0;
	if (ncopy > PLAN_MAX_PIECES || w < ncopy * PLAN_BYTES)
		return PLAN_E_NOSPACE;
	err = plan_refine_init(&r, runs, ncopy, base, w);
	if (!err)
		err = plan_refine_runs(&r);
	if (err)
		return err;
	if (r.moving + r.nsplit > PLAN_MAX_PIECES)
		return PLAN_E_NOSPACE;
	*pieces = r.moving + r.nsplit;
	return 0;
}

/*
 * Steps 1 and 2: sorts and checks the input, cuts the runs into pieces and links
 * them. Nothing in memory is touched yet, so every error is returned from here.
 *
 * The room: w >= 32 n, and every cut counts against cap = w / 32 pieces, so
 * n, p, s <= w / 32 for p = moving + s pieces from s cuts. Each phase of the
 * layout at the top of this file holds at most 32 bytes per one of them: the cuts
 * below the runs by destination and above the runs by source, 16 n + 8 s + 8 n;
 * the cuts' sort scratch above the moving runs, 16 moving + 8 s + 8 s + 8 n; the
 * pieces below the cuts, 16 p + 8 s + 8 n.
 */
static int plan_prepare(struct plan_refine *r, struct plan_exec *x,
			const struct plan_run *runs, uint64_t ncopy,
			const struct plan_zero *zeros, uint64_t nzero,
			void *work, size_t work_size)
{
	uint64_t w;
	char *base = plan_work_align(work, work_size, &w);
	int err;

	if (ncopy > PLAN_MAX_PIECES || w < ncopy * PLAN_BYTES)
		return PLAN_E_NOSPACE;
	err = plan_refine_init(r, runs, ncopy, base, w);
	if (!err)
		err = plan_zeros_check(r, zeros, nzero);
	if (err)
		return err;
	r->split = r->by_dst.e;
	r->cap = (w / PLAN_BYTES < PLAN_MAX_PIECES ? w / PLAN_BYTES : PLAN_MAX_PIECES) -
		 r->moving;
	err = plan_refine_runs(r);
	if (err)
		return err;
	x->pc = r->run;
	x->p = plan_pieces_cut(r);
	x->by_dst = &r->by_dst;
	x->by_dst->e = (uint64_t *)(x->pc + x->p);
	plan_dsts_sort(x->by_dst, x->pc, x->p, x->by_dst->e + x->p, 1);
	x->order = (uint32_t *)x->by_dst->e;
	x->queue = x->order + x->p;
	x->out = x->queue + x->p;
	x->indeg = x->out + x->p;
	return plan_graph_build(x);
}

int plan_execute(const struct plan_run *runs, uint64_t ncopy,
		 const struct plan_zero *zeros, uint64_t nzero,
		 void *work, size_t work_size,
		 const struct plan_mem *mem, struct plan_stats *stats)
{
	struct plan_stats local;
	struct plan_refine r;
	struct plan_exec x;
	uint64_t cycled;
	int err;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	memset(&x, 0, sizeof(x));
	x.mem = mem;
	x.st = stats;
	stats->runs = ncopy;
	err = plan_prepare(&r, &x, runs, ncopy, zeros, nzero, work, work_size);
	if (err)
		return err;
	stats->pieces = x.p;
	stats->moved = r.moved;
	stats->in_place = r.in_place;
	plan_order_run(&x);
	err = plan_cycles_find(&x, &cycled);
	if (err)
		return err;
	if (mem && mem->planned)
		mem->planned(mem->ctx, stats);
	plan_order_issue(&x);
	plan_cycles_place(&x, x.order + x.placed, cycled);
	plan_flush(&x);
	plan_zeros_run(&x, zeros, nzero);
	return 0;
}

const char *plan_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case PLAN_E_NOSPACE:
		return "plan: work area too small";
	case PLAN_E_INPUT:
		return "plan: copy runs break a precondition";
	default:
		return "plan: unknown error";
	}
}
