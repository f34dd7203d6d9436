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
 *    touches none. In the first case the piece must be copied before Q: an edge to
 *    Q. Out-degree <= 1.
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
 * miss. Sorting (radix) and merging run in streams; the walks that follow edges
 * touch only 5 bytes per piece (successor, one-byte in-degree); Kahn's queue holds
 * pieces of different chains, so its loads overlap (and are prefetched); the moves
 * are issued afterwards from the recorded order, with loads that do not depend on
 * each other; the pieces left for step 4 are renumbered densely before their
 * cycles are walked, then placed from a list.
 *
 * Work area (aligned to 8 bytes; plan_work_size() is exact for an aligned area):
 *   [pieces: 32 B each][arena: max(64 B per run, 32 B per piece)]
 * A piece is 24 B, its successor 4 B, its in-degree 1 B. The arena holds in turn:
 * the runs by source (24 B), the runs by destination (16 B) and a sort buffer
 * (24 B); then the pieces by destination and a sort buffer (16 + 16 B); then the
 * order (8 B), the queue (4 B; then the list of cycles), the chain depths, the
 * in-degrees too wide for a byte, and for step 4 the dense numbers both ways and
 * the dense successors (4 B each). Cut points are gathered and sorted in the pieces' room, then
 * moved to the top of the piece array, from where the pieces are written below
 * them: the writer never catches up with the reader (each run adds one piece more
 * than its cuts).
 */
#include <string.h>
#include <baton/handoff.h>
#include "loader/plan.h"
#include "loader/sort.h"

#define PLAN_SHIFT	BATON_PAGE_SHIFT
#define PLAN_PFN_END	(1ULL << (64 - PLAN_SHIFT))	/* one past the last pfn */
#define PLAN_MAX_PIECES	0x7ffffffeULL	/* 31-bit indices, one value spare */
#define PLAN_NONE	0x7fffffffu	/* out[]: no successor */
#define PLAN_JOIN	0x80000000u	/* out[]: the successor continues our move */
#define PLAN_WIDE	0xfeu		/* indeg[]: the count is in wide[] */
#define PLAN_DONE	0xffu		/* indeg[]: placed */
#define PLAN_IN_PLACE	(1ULL << 31)	/* by-destination value: src == dst */
#define PLAN_RANK	(PLAN_IN_PLACE - 1)	/* by-destination value: rank by source */
#define PLAN_SAT	0xffffffffULL	/* by-destination value >> 32: pages, saturated */
#define PLAN_PREFETCH	8		/* entries looked up ahead in the queue and lists */

/*
 * Runs by source are struct sort_kv3: key src pfn, val dst pfn, aux pages.
 * Runs and pieces by destination are struct sort_kv: key dst pfn, val the rank or
 * index (31 bits) | PLAN_IN_PLACE | pages << 32 (PLAN_SAT: look them up).
 */

/* Part of one run, pfns. */
struct plan_piece {
	uint64_t src, dst, pages;
};

/* One step of the order: a piece, and the piece it releases (or PLAN_NONE). */
struct plan_step {
	uint32_t piece, next;
};

/* Refinement state, shared by plan_count() and plan_execute(). */
struct plan_refine {
	struct sort_kv3 *run;		/* n runs by source */
	struct sort_kv *by_dst;		/* n runs by destination */
	uint64_t n;
	uint64_t moving;		/* runs not in place */
	uint64_t moved, in_place;	/* pages */
	struct sort_kv *split;		/* cut points (key: source pfn); NULL: count only */
	uint64_t nsplit;
	uint64_t cap;			/* room in split[] */
	uint64_t limit;			/* cuts that valid runs can have at most */
};

/* Execution state: the pieces, their graph, the pending move, the memory. */
struct plan_exec {
	const struct plan_mem *mem;	/* NULL: dry run */
	struct plan_stats *st;
	uint64_t p;			/* pieces */
	struct plan_piece *pc;		/* in source order */
	uint32_t *out;			/* successor | PLAN_JOIN, or PLAN_NONE */
	uint8_t *indeg;			/* pieces still to read our destination */
	uint32_t *wide;			/* the count when indeg[] is PLAN_WIDE */
	struct plan_step *order;
	uint32_t *queue, *depth;
	uint32_t *dense;		/* step 4: piece -> dense number, and back */
	uint64_t placed, queued;	/* entries in order[], queue[] */
	uint64_t pdst, psrc, ppages;	/* pending move; ppages == 0: none */
};

static uint64_t plan_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Arena bytes for n runs: by source, by destination, sort buffer. */
static uint64_t plan_arena_runs(uint64_t n)
{
	return n * (2 * sizeof(struct sort_kv3) + sizeof(struct sort_kv));
}

/* Bytes per piece: the piece, successor, in-degree, padding; arena: sorting. */
#define PLAN_PIECE_BYTES	32
#define PLAN_ARENA_PIECE	(2 * sizeof(struct sort_kv))
_Static_assert(sizeof(struct plan_piece) + 4 + 1 <= PLAN_PIECE_BYTES, "piece bytes");
_Static_assert(sizeof(struct plan_step) + 4 * 6 <= PLAN_ARENA_PIECE, "arena");

size_t plan_count_work_size(uint64_t ncopy)
{
	if (ncopy > PLAN_MAX_PIECES)
		return SIZE_MAX;
	return plan_arena_runs(ncopy);
}

size_t plan_work_size(uint64_t ncopy, uint64_t pieces)
{
	if (ncopy > PLAN_MAX_PIECES || pieces > PLAN_MAX_PIECES)
		return SIZE_MAX;
	return pieces * PLAN_PIECE_BYTES +
	       plan_max(plan_arena_runs(ncopy), pieces * PLAN_ARENA_PIECE);
}

/*
 * The most pieces that fit in w bytes with n runs: the inverse of plan_work_size(),
 * which grows by 32 B per piece while the runs' arena is the larger part, by 64 B
 * after. w >= plan_arena_runs(n).
 */
static uint64_t plan_pieces_fit(uint64_t n, uint64_t w)
{
	uint64_t ar = plan_arena_runs(n), ps = PLAN_PIECE_BYTES;
	uint64_t best = (w - ar) / ps, big = w / (ps + PLAN_ARENA_PIECE);

	if (best > ar / PLAN_ARENA_PIECE)
		best = ar / PLAN_ARENA_PIECE;
	if (big * PLAN_ARENA_PIECE >= ar && big > best)
		best = big;
	return best < PLAN_MAX_PIECES ? best : PLAN_MAX_PIECES;
}

/* Aligns the work area to 8 bytes; *w: the bytes left. */
static char *plan_work_align(void *work, size_t size, uint64_t *w)
{
	uintptr_t a = ((uintptr_t)work + 7) & ~(uintptr_t)7;
	uintptr_t skip = a - (uintptr_t)work;

	*w = skip > size ? 0 : size - skip;
	return (char *)a;
}

/* One run's own preconditions: aligned, not empty, no wrap. */
static int plan_range_check(uint64_t addr, uint64_t pages)
{
	if ((addr & (BATON_PAGE_SIZE - 1)) || !pages)
		return PLAN_E_INPUT;
	if (pages > PLAN_PFN_END - (addr >> PLAN_SHIFT))
		return PLAN_E_INPUT;
	return 0;
}

/* Checks the runs, fills the records to sort by source, counts pages and cuts. */
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
		r->run[i].key = c->src >> PLAN_SHIFT;
		r->run[i].val = c->dst >> PLAN_SHIFT;
		r->run[i].aux = c->pages;
	}
	return 0;
}

/* A by-destination value: index (or rank), in-place flag, pages saturated. */
static uint64_t plan_dst_val(uint64_t index, uint64_t pages, int in_place)
{
	return index | (in_place ? PLAN_IN_PLACE : 0) |
	       (pages < PLAN_SAT ? pages : PLAN_SAT) << 32;
}

/* The runs by destination, from the runs by source: the value holds the rank. */
static void plan_runs_by_dst(struct plan_refine *r)
{
	for (uint64_t k = 0; k < r->n; k++) {
		const struct sort_kv3 *run = &r->run[k];

		r->by_dst[k].key = run->val;
		r->by_dst[k].val = plan_dst_val(k, run->aux, run->key == run->val);
	}
}

/* Pages of a run by destination (saturated ones from the run by source). */
static uint64_t plan_run_pages(const struct plan_refine *r, const struct sort_kv *d)
{
	uint64_t pages = d->val >> 32;

	return pages < PLAN_SAT ? pages : r->run[d->val & PLAN_RANK].aux;
}

static int plan_runs_disjoint(const struct plan_refine *r)
{
	for (uint64_t k = 1; k < r->n; k++) {
		const struct sort_kv *d = &r->by_dst[k - 1];

		if (r->run[k - 1].key + r->run[k - 1].aux > r->run[k].key)
			return PLAN_E_INPUT;
		if (d->key + plan_run_pages(r, d) > d[1].key)
			return PLAN_E_INPUT;
	}
	return 0;
}

/*
 * Lays out the arena for n runs, sorts them by source and by destination, and
 * checks the preconditions.
 */
static int plan_refine_init(struct plan_refine *r, const struct plan_run *runs,
			    uint64_t n, char *arena)
{
	struct sort_kv3 *tmp;
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->run = (struct sort_kv3 *)arena;
	r->by_dst = (struct sort_kv *)(r->run + n);
	tmp = (struct sort_kv3 *)(r->by_dst + n);
	err = plan_runs_read(r, runs);
	if (err)
		return err;
	sort_kv3(r->run, tmp, n);
	plan_runs_by_dst(r);
	sort_kv(r->by_dst, (struct sort_kv *)tmp, n);
	return plan_runs_disjoint(r);
}

/* Entries of a[0..n) with key < x (a sorted). */
static uint64_t plan_kv_below(const struct sort_kv *a, uint64_t n, uint64_t x)
{
	uint64_t lo = 0, hi = n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (a[mid].key < x)
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
		uint64_t start = zeros[i].dst >> PLAN_SHIFT, end, k;

		if (plan_range_check(zeros[i].dst, zeros[i].pages))
			return PLAN_E_INPUT;
		end = start + zeros[i].pages;
		k = plan_kv_below(r->by_dst, r->n, end);
		if (k && r->by_dst[k - 1].key + plan_run_pages(r, &r->by_dst[k - 1]) > start)
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

		if (r->run[mid].key < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && x < r->run[lo - 1].key + r->run[lo - 1].aux)
		return lo - 1;
	return r->n;
}

static int plan_split_add(struct plan_refine *r, uint64_t pfn)
{
	/* More cuts than valid runs allow means a chain loops: the input is bad. */
	if (r->nsplit >= r->limit)
		return PLAN_E_INPUT;
	if (r->split) {
		if (r->nsplit >= r->cap)
			return PLAN_E_NOSPACE;
		r->split[r->nsplit].key = pfn;
		r->split[r->nsplit].val = 0;
	}
	r->nsplit++;
	return 0;
}

/* x lies strictly inside run k's source: cut there and follow the chain of cuts. */
static int plan_refine_chain(struct plan_refine *r, uint64_t k, uint64_t x)
{
	for (;;) {
		const struct sort_kv3 *run = &r->run[k];
		int err;

		if (run->key == run->val)	/* only with overlapping input */
			return PLAN_E_INPUT;
		err = plan_split_add(r, x);
		if (err)
			return err;
		x = x - run->key + run->val;
		k = plan_run_find(r, x);
		if (k == r->n)
			return 0;
	}
}

/* Destination boundary x, visited in ascending order: *k is the source cursor. */
static int plan_refine_point(struct plan_refine *r, uint64_t *k, uint64_t x)
{
	while (*k < r->n && r->run[*k].key + r->run[*k].aux <= x)
		(*k)++;
	if (*k == r->n || r->run[*k].key >= x)
		return 0;
	return plan_refine_chain(r, *k, x);
}

/*
 * Walks the chain from every destination boundary of a moving run. In-place runs
 * are skipped: their boundaries cannot lie inside a source (sources are disjoint)
 * and no chain enters them (destinations are).
 */
static int plan_refine_runs(struct plan_refine *r)
{
	uint64_t k = 0, prev_end = PLAN_PFN_END + 1;

	for (uint64_t i = 0; i < r->n; i++) {
		const struct sort_kv *d = &r->by_dst[i];
		uint64_t e;
		int err = 0;

		if (d->val & PLAN_IN_PLACE)
			continue;
		e = d->key + plan_run_pages(r, d);
		if (d->key != prev_end)
			err = plan_refine_point(r, &k, d->key);
		if (!err)
			err = plan_refine_point(r, &k, e);
		if (err)
			return err;
		prev_end = e;
	}
	return 0;
}

static void plan_piece_set(struct plan_piece *pc, const struct sort_kv3 *run,
			   uint64_t src, uint64_t end)
{
	pc->src = src;
	pc->dst = run->val + (src - run->key);
	pc->pages = end - src;
}

/* Cuts the moving runs at the sorted cut points: pieces in source order. */
static uint64_t plan_pieces_make(const struct plan_refine *r, struct plan_piece *pc,
				 const struct sort_kv *split)
{
	uint64_t p = 0, j = 0;

	for (uint64_t k = 0; k < r->n; k++) {
		const struct sort_kv3 *run = &r->run[k];
		uint64_t src = run->key, end = run->key + run->aux;

		if (run->key == run->val)
			continue;
		while (j < r->nsplit && split[j].key < end) {
			uint64_t cut = split[j++].key;

			plan_piece_set(&pc[p++], run, src, cut);
			src = cut;
		}
		plan_piece_set(&pc[p++], run, src, end);
	}
	return p;
}

/* Sorts the cuts, moves them to the top of the piece array and makes the pieces. */
static uint64_t plan_pieces_cut(const struct plan_refine *r, struct plan_piece *pc)
{
	uint64_t s = r->nsplit, p = r->moving + s;
	struct sort_kv *top = (struct sort_kv *)(pc + p) - s;

	if (s) {
		sort_kv(r->split, r->split + s, s);
		memmove(top, r->split, s * sizeof(*top));
	}
	return plan_pieces_make(r, pc, top);
}

/*
 * The pieces by destination. When no run was cut or is in place, pieces are the
 * runs in source order, so the runs by destination already are that list.
 */
static const struct sort_kv *plan_pieces_by_dst(const struct plan_refine *r,
						const struct plan_exec *x,
						struct sort_kv *kv)
{
	if (!r->nsplit && r->moving == r->n)
		return r->by_dst;
	for (uint64_t i = 0; i < x->p; i++) {
		kv[i].key = x->pc[i].dst;
		kv[i].val = plan_dst_val(i, x->pc[i].pages, 0);
	}
	sort_kv(kv, kv + x->p, x->p);
	return kv;
}

/* The end of a piece's destination from its record by destination. */
static uint64_t plan_piece_dst_end(const struct plan_exec *x, const struct sort_kv *d)
{
	uint64_t pages = d->val >> 32;

	if (pages == PLAN_SAT)
		pages = x->pc[d->val & PLAN_RANK].pages;
	return d->key + pages;
}

/* Whether pieces a and a + 1 form one contiguous memmove. */
static int plan_pieces_contiguous(const struct plan_piece *pc, uint64_t a)
{
	return pc[a].src + pc[a].pages == pc[a + 1].src &&
	       pc[a].dst + pc[a].pages == pc[a + 1].dst;
}

/* One more piece must read q's destination before q is written. */
static void plan_indeg_add(struct plan_exec *x, uint32_t q)
{
	if (x->indeg[q] < PLAN_WIDE - 1) {
		x->indeg[q]++;
	} else if (x->indeg[q] == PLAN_WIDE - 1) {
		x->indeg[q] = PLAN_WIDE;
		x->wide[q] = PLAN_WIDE;
	} else {
		x->wide[q]++;
	}
}

/* One reader of q's destination is done: whether q is free to go now. */
static int plan_indeg_drop(struct plan_exec *x, uint32_t q)
{
	if (x->indeg[q] != PLAN_WIDE)
		return --x->indeg[q] == 0;
	if (--x->wide[q])
		return 0;
	x->indeg[q] = 0;
	return 1;
}

/* Edge i -> q: i's source starts inside q's destination, so must end inside too. */
static int plan_edge_add(struct plan_exec *x, uint64_t i, uint64_t q, uint64_t qend)
{
	const struct plan_piece *pc = x->pc;
	uint32_t join = 0;

	if (pc[i].src + pc[i].pages > qend || q == i)
		return PLAN_E_INPUT;
	if ((q == i + 1 && plan_pieces_contiguous(pc, i)) ||
	    (q + 1 == i && plan_pieces_contiguous(pc, q)))
		join = PLAN_JOIN;
	x->out[i] = (uint32_t)q | join;
	plan_indeg_add(x, (uint32_t)q);
	return 0;
}

/*
 * Links every piece to the piece whose destination holds its source, by merging
 * the pieces (in source order) with the pieces by destination.
 */
static int plan_graph_build(struct plan_exec *x, const struct sort_kv *by_dst)
{
	uint64_t j = 0, p = x->p;

	if (!p)
		return 0;	/* and work may be NULL */
	memset(x->indeg, 0, p);
	for (uint64_t i = 0; i < p; i++) {
		uint64_t s = x->pc[i].src, next, end;
		int err;

		x->out[i] = PLAN_NONE;
		while (j + 1 < p && by_dst[j + 1].key <= s)
			j++;
		next = by_dst[j].key <= s ? j + 1 : j;
		if (next < p && by_dst[next].key < s + x->pc[i].pages)
			return PLAN_E_INPUT;	/* a boundary inside: refinement missed it */
		if (by_dst[j].key > s || s >= (end = plan_piece_dst_end(x, &by_dst[j])))
			continue;		/* touches no destination */
		err = plan_edge_add(x, i, by_dst[j].val & PLAN_RANK, end);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Records piece i and the chain it releases while each next piece continues the
 * same memmove; a released piece that does not joins the queue: pieces that are
 * ready and adjacent get placed (and merged) first.
 */
static void plan_order_follow(struct plan_exec *x, uint32_t i)
{
	for (;;) {
		uint32_t out = x->out[i], q = out & ~PLAN_JOIN;
		struct plan_step *step = &x->order[x->placed++];

		step->piece = i;
		step->next = q;
		x->indeg[i] = PLAN_DONE;
		if (q == PLAN_NONE || !plan_indeg_drop(x, q))
			return;
		if (!(out & PLAN_JOIN)) {
			x->queue[x->queued++] = q;
			return;
		}
		i = q;
	}
}

/*
 * Asks for what queue entry h will touch: its successor, then that one's in-degree.
 * Successive entries belong to different chains, so the loads overlap.
 */
static void plan_order_prefetch(const struct plan_exec *x, uint64_t h)
{
	uint32_t q;

	if (h + 2 * PLAN_PREFETCH < x->queued)
		__builtin_prefetch(&x->out[x->queue[h + 2 * PLAN_PREFETCH]]);
	if (h + PLAN_PREFETCH < x->queued) {
		q = x->out[x->queue[h + PLAN_PREFETCH]] & ~PLAN_JOIN;
		if (q != PLAN_NONE)
			__builtin_prefetch(&x->indeg[q]);
	}
}

/*
 * Kahn's order of every piece not on a cycle, into x->order: a scan in source
 * order, then the queue first in, first out.
 */
static void plan_order_run(struct plan_exec *x)
{
	for (uint64_t i = 0; i < x->p; i++) {
		if (!x->indeg[i])
			plan_order_follow(x, (uint32_t)i);
	}
	for (uint64_t h = 0; h < x->queued; h++) {
		uint32_t i = x->queue[h];

		plan_order_prefetch(x, h);
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
	uint32_t *depth = x->depth;

	for (uint64_t i = 0; i < x->p; i++)
		depth[i] = 1;
	for (uint64_t k = 0; k < x->placed; k++) {
		const struct plan_step *step = &x->order[k];
		const struct plan_piece *pc = &x->pc[step->piece];
		uint32_t d = depth[step->piece];

		if (k + PLAN_PREFETCH < x->placed) {
			__builtin_prefetch(&x->pc[step[PLAN_PREFETCH].piece]);
			__builtin_prefetch(&depth[step[PLAN_PREFETCH].piece]);
			if (step[PLAN_PREFETCH].next != PLAN_NONE)
				__builtin_prefetch(&depth[step[PLAN_PREFETCH].next]);
		}
		plan_move(x, pc->dst, pc->src, pc->pages);
		if (d > x->st->longest)
			x->st->longest = d;
		if (step->next != PLAN_NONE && depth[step->next] <= d)
			depth[step->next] = d + 1;
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

static int plan_indeg_is_one(const struct plan_exec *x, uint32_t i)
{
	return x->indeg[i] == 1 || (x->indeg[i] == PLAN_WIDE && x->wide[i] == 1);
}

#define PLAN_MARK	0x80000000u	/* step 4: successor walked / end of a cycle */

/*
 * Numbers the pieces left densely: orig[] maps back, x->dense[] forward. Once Kahn
 * is stuck each piece left has in-degree 1 and a successor left (their in-degrees
 * sum to the edges among them), so they form cycles.
 */
static int plan_cycles_number(struct plan_exec *x, uint32_t *orig, uint64_t *c)
{
	uint64_t n = 0;
	int bad = 0;

	for (uint64_t i = 0; i < x->p; i++) {	/* no branch: half the pieces may be left */
		uint64_t left = x->indeg[i] != PLAN_DONE;

		bad |= left & (!plan_indeg_is_one(x, (uint32_t)i) | (x->out[i] == PLAN_NONE));
		x->dense[i] = (uint32_t)n;
		orig[n] = (uint32_t)i;
		n += left;
	}
	*c = n;
	return bad ? PLAN_E_INPUT : 0;	/* only with input that broke refinement */
}

/* Successors in dense numbers: the cycle walks then touch 4 bytes per piece left. */
static int plan_cycles_link(const struct plan_exec *x, const uint32_t *orig,
			    uint64_t c, uint32_t *next)
{
	for (uint64_t k = 0; k < c; k++) {
		uint32_t q = x->out[orig[k]] & ~PLAN_JOIN;

		if (x->indeg[q] == PLAN_DONE)
			return PLAN_E_INPUT;
		next[k] = x->dense[q];
	}
	return 0;
}

/* Lists every cycle in order into list[], the last piece of each with PLAN_MARK. */
static int plan_cycles_walk(const uint32_t *orig, uint32_t *next, uint64_t c,
			    uint32_t *list)
{
	uint64_t n = 0;

	for (uint32_t first = 0; first < c; first++) {
		uint32_t k = first;

		if (next[first] & PLAN_MARK)
			continue;
		do {
			uint32_t q = next[k];

			if (q & PLAN_MARK)
				return PLAN_E_INPUT;	/* not a permutation */
			next[k] = q | PLAN_MARK;
			list[n++] = orig[k];
			k = q;
		} while (k != first);
		list[n - 1] |= PLAN_MARK;
	}
	return 0;
}

/* Checks a cycle is clean: each source is exactly the next destination, one size. */
static int plan_cycle_clean(const struct plan_exec *x, const uint32_t *cyc, uint64_t k)
{
	for (uint64_t t = 0; t < k; t++) {
		const struct plan_piece *a = &x->pc[cyc[t] & ~PLAN_MARK];
		const struct plan_piece *b = &x->pc[cyc[t + 1 < k ? t + 1 : 0] & ~PLAN_MARK];

		if (b->dst != a->src || b->pages != a->pages)
			return 0;
	}
	return 1;
}

/* Every listed cycle clean: refinement makes them so, checked all the same. */
static int plan_cycles_clean(const struct plan_exec *x, const uint32_t *list, uint64_t n)
{
	for (uint64_t t = 0, e; t < n; t = e) {
		for (e = t; !(list[e] & PLAN_MARK); e++)
			;
		e++;
		if (!plan_cycle_clean(x, list + t, e - t))
			return PLAN_E_INPUT;
	}
	return 0;
}

/*
 * Step 4, before anything is written: the pieces left are numbered densely, so
 * that walking their cycles (one dependent load per piece) stays in a small array,
 * the cycles are listed into x->queue, and each is checked to be clean. Every
 * refusal of the planner comes from here or before: placing cannot fail.
 */
static int plan_cycles_find(struct plan_exec *x, uint64_t *c)
{
	uint32_t *orig = x->dense + x->p, *next = orig + x->p;
	int err = plan_cycles_number(x, orig, c);

	if (!err)
		err = plan_cycles_link(x, orig, *c, next);
	if (!err)
		err = plan_cycles_walk(orig, next, *c, x->queue);
	if (!err)
		err = plan_cycles_clean(x, x->queue, *c);
	return err;
}

/* Places a clean cycle of k pieces page by page through the scratch page. */
static void plan_cycle_place(struct plan_exec *x, const uint32_t *cyc, uint64_t k)
{
	const struct plan_piece *first = &x->pc[cyc[0] & ~PLAN_MARK];
	const struct plan_piece *last = &x->pc[cyc[k - 1] & ~PLAN_MARK];
	uint64_t d = 0;

	for (uint64_t j = 0; j < first->pages; j++) {
		plan_save(x, first->dst + j);	/* = the last piece's source */
		for (uint64_t t = 0; t + 1 < k; t++) {
			const struct plan_piece *pc = &x->pc[cyc[t] & ~PLAN_MARK];

			plan_move(x, pc->dst + j, pc->src + j, 1);
		}
		plan_restore(x, last->dst + j);
	}
	for (uint64_t t = 0; t < k; t++)
		d = plan_max(d, x->depth[cyc[t] & ~PLAN_MARK]);
	x->st->longest = plan_max(x->st->longest, d + k - 1);
	x->st->cycles += first->pages;
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
			__builtin_prefetch(&x->depth[list[ahead] & ~PLAN_MARK]);
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
	char *arena = plan_work_align(work, work_size, &w);
	int err;

	*pieces = 0;
	if (ncopy > PLAN_MAX_PIECES || w < plan_arena_runs(ncopy))
		return PLAN_E_NOSPACE;
	err = plan_refine_init(&r, runs, ncopy, arena);
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
 */
static int plan_prepare(struct plan_refine *r, struct plan_exec *x,
			const struct plan_run *runs, uint64_t ncopy,
			const struct plan_zero *zeros, uint64_t nzero,
			void *work, size_t work_size)
{
	uint64_t w, cap;
	char *base = plan_work_align(work, work_size, &w), *arena;
	const struct sort_kv *by_dst;
	int err;

	if (ncopy > PLAN_MAX_PIECES || w < plan_arena_runs(ncopy))
		return PLAN_E_NOSPACE;
	cap = plan_pieces_fit(ncopy, w);
	arena = base + cap * PLAN_PIECE_BYTES;
	err = plan_refine_init(r, runs, ncopy, arena);
	if (!err)
		err = plan_zeros_check(r, zeros, nzero);
	if (err)
		return err;
	if (r->moving > cap)
		return PLAN_E_NOSPACE;
	r->split = (struct sort_kv *)base;
	r->cap = cap - r->moving;
	err = plan_refine_runs(r);
	if (err)
		return err;
	x->pc = (struct plan_piece *)base;
	x->p = plan_pieces_cut(r, x->pc);
	x->out = (uint32_t *)(x->pc + x->p);
	x->indeg = (uint8_t *)(x->out + x->p);
	by_dst = plan_pieces_by_dst(r, x, (struct sort_kv *)arena);
	x->order = (struct plan_step *)arena;
	x->queue = (uint32_t *)(x->order + x->p);
	x->depth = x->queue + x->p;
	x->wide = x->depth + x->p;
	x->dense = x->wide + x->p;
	return plan_graph_build(x, by_dst);
}

static void plan_stats_fill(struct plan_stats *st, const struct plan_refine *r,
			    const struct plan_exec *x)
{
	st->pieces = x->p;
	st->moved = r->moved;
	st->in_place = r->in_place;
	for (uint64_t i = 0; i < x->p; i++)
		st->ordered += x->indeg[i] != 0;
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
	plan_stats_fill(stats, &r, &x);
	plan_order_run(&x);
	err = plan_cycles_find(&x, &cycled);
	if (err)
		return err;
	if (mem && mem->planned)
		mem->planned(mem->ctx, stats);
	plan_order_issue(&x);
	plan_cycles_place(&x, x.queue, cycled);
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
