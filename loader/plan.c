/* SPDX-License-Identifier: MIT */
/*
 * The copy planner (plan.h has the contract). Everything is in page numbers (pfn).
 *
 * 1. Refine. Cut runs into pieces so that no piece's source holds a destination
 *    boundary strictly inside it. A boundary b strictly inside run R's source cuts R
 *    at b, which makes a new destination boundary g(b) = b - R.src + R.dst, which may
 *    cut another source, and so on. g is injective and its values lie strictly
 *    inside destinations, so a chain never meets another chain nor itself: walking
 *    the chain of every run's destination start and end makes each cut exactly once.
 * 2. Graph. A piece's source now lies inside exactly one piece Q's destination, or
 *    touches none. In the first case the piece must be copied before Q: edge to Q.
 *    Out-degree <= 1.
 * 3. Order (Kahn). Place pieces nobody waits on; placing one releases its successor.
 *    A released piece that extends the pending move is placed at once, so a chain
 *    (a run shifted by a page) becomes one move.
 * 4. Cycles. What is left has in- and out-degree 1: cycles P1 -> ... -> Pk -> P1 of
 *    equal-size pieces with S(Pi) == D(Pi+1). For each page j: save D(P1)[j] (Pk's
 *    source), copy P1 .. Pk-1 page j, restore the saved page into D(Pk)[j].
 * 5. Merge. Moves pass through a one-entry pending buffer that absorbs the next move
 *    when it continues the same memmove (same offset, adjacent). Any two moves
 *    consecutive in a valid order can merge: the later one's source is not written by
 *    the earlier one (else it would have had to go first).
 * 6. Zero runs last: their pages may be sources.
 *
 * Work area (aligned to 8 bytes; plan_work_size() is exact for an aligned area):
 *   [pieces: 32 B each][arena: max(56 B per run, 32 B per piece)]
 * The arena holds in turn: the runs by source (24 B), the runs by destination (16 B)
 * and a sort buffer (16 B); the pieces by destination and a sort buffer; the ready
 * stack and chain depths. Split points are gathered and sorted in the pieces area,
 * then moved to its top, from where the pieces are written below them: the writer
 * never catches up with the reader (each run adds one piece more than its cuts).
 */
#include <string.h>
#include <baton/handoff.h>
#include "loader/plan.h"
#include "loader/sort.h"

#define PLAN_SHIFT	BATON_PAGE_SHIFT
#define PLAN_PFN_END	(1ULL << (64 - PLAN_SHIFT))	/* one past the last pfn */
#define PLAN_MAX_PIECES	0xfffffffeULL	/* indices are 32-bit with a value spare */
#define PLAN_NONE	0xffffffffu	/* no successor */
#define PLAN_DONE	0xffffffffu	/* in-degree of a piece already placed */
#define PLAN_IN_PLACE	(1ULL << 63)	/* by-destination value flag: src == dst */
#define PLAN_PAGES	(PLAN_IN_PLACE - 1)

/* A copy run, pfns; end is one past the last source pfn. */
struct plan_run {
	uint64_t src, end, dst;
};

/* Part of one run. out: the piece whose destination holds our source. */
struct plan_piece {
	uint64_t src, dst, pages;
	uint32_t out;		/* or PLAN_NONE */
	uint32_t indeg;		/* pieces still to read our destination, or PLAN_DONE */
};

/* Refinement state, shared by plan_count() and plan_execute(). */
struct plan_refine {
	struct plan_run *run;		/* n runs by source */
	struct sort_kv *by_dst;		/* n: key dst pfn, val pages | PLAN_IN_PLACE */
	uint64_t n;
	uint64_t moving;		/* runs not in place */
	uint64_t moved, in_place;	/* pages */
	struct sort_kv *split;		/* cut points (key: source pfn); NULL: count only */
	uint64_t nsplit;
	uint64_t cap;			/* room in split[] */
	uint64_t limit;			/* cuts that valid runs can have at most */
};

/* Execution state: the pieces, the pending move, what the plan does to memory. */
struct plan_exec {
	const struct plan_mem *mem;	/* NULL: dry run */
	struct plan_stats *st;
	struct plan_piece *pc;
	uint32_t *stack, *depth;
	uint64_t sp;
	uint64_t pdst, psrc, ppages;	/* pending move; ppages == 0: none */
};

static uint64_t plan_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Arena bytes for n runs: by source, by destination, sort buffer. */
static uint64_t plan_arena_runs(uint64_t n)
{
	return n * (sizeof(struct plan_run) + 2 * sizeof(struct sort_kv));
}

/* Arena bytes per piece: by destination and sort buffer (the stack needs less). */
#define PLAN_ARENA_PIECE	(2 * sizeof(struct sort_kv))

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
	return pieces * sizeof(struct plan_piece) +
	       plan_max(plan_arena_runs(ncopy), pieces * PLAN_ARENA_PIECE);
}

/*
 * The most pieces that fit in w bytes with n runs: the inverse of plan_work_size(),
 * which grows by 32 B per piece while the runs' arena is the larger part, by 64 B
 * after. w >= plan_arena_runs(n).
 */
static uint64_t plan_pieces_fit(uint64_t n, uint64_t w)
{
	uint64_t ar = plan_arena_runs(n), ps = sizeof(struct plan_piece);
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

/* Checks the runs, fills the keys to sort, counts pages and possible cuts. */
static int plan_runs_read(struct plan_refine *r, const struct baton_copy_run *runs,
			  struct sort_kv *by_src)
{
	for (uint64_t i = 0; i < r->n; i++) {
		const struct baton_copy_run *c = &runs[i];
		uint64_t flag = 0;

		if (plan_range_check(c->src, c->pages) || plan_range_check(c->dst, c->pages))
			return PLAN_E_INPUT;
		if (c->src == c->dst) {
			flag = PLAN_IN_PLACE;
			r->in_place += c->pages;
		} else {
			r->moving++;
			r->moved += c->pages;
			r->limit += c->pages - 1;
		}
		by_src[i].key = c->src >> PLAN_SHIFT;
		by_src[i].val = i;
		r->by_dst[i].key = c->dst >> PLAN_SHIFT;
		r->by_dst[i].val = c->pages | flag;
	}
	return 0;
}

/*
 * Gathers the runs in source order into r->run. The sorted keys sit in the upper
 * two thirds of r->run; entry k is written below key k + 1, so none is lost.
 */
static void plan_runs_gather(struct plan_refine *r, const struct baton_copy_run *runs,
			     const struct sort_kv *by_src)
{
	for (uint64_t k = 0; k < r->n; k++) {
		uint64_t src = by_src[k].key;
		const struct baton_copy_run *c = &runs[by_src[k].val];

		r->run[k].src = src;
		r->run[k].end = src + c->pages;
		r->run[k].dst = c->dst >> PLAN_SHIFT;
	}
}

static int plan_runs_disjoint(const struct plan_refine *r)
{
	for (uint64_t k = 1; k < r->n; k++) {
		const struct sort_kv *d = &r->by_dst[k - 1];

		if (r->run[k - 1].end > r->run[k].src)
			return PLAN_E_INPUT;
		if (d->key + (d->val & PLAN_PAGES) > d[1].key)
			return PLAN_E_INPUT;
	}
	return 0;
}

/* Sorts the runs by source and by destination and checks the preconditions. */
static int plan_runs_sort(struct plan_refine *r, const struct baton_copy_run *runs,
			  struct sort_kv *tmp)
{
	struct sort_kv *by_src = (struct sort_kv *)((char *)r->run + 8 * r->n);
	int err = plan_runs_read(r, runs, by_src);

	if (err)
		return err;
	sort_kv(by_src, tmp, r->n);
	sort_kv(r->by_dst, tmp, r->n);
	plan_runs_gather(r, runs, by_src);
	return plan_runs_disjoint(r);
}

/* Lays out the arena for n runs, sorts and checks them. */
static int plan_refine_init(struct plan_refine *r, const struct baton_copy_run *runs,
			    uint64_t n, char *arena)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->run = (struct plan_run *)arena;
	r->by_dst = (struct sort_kv *)(arena + n * sizeof(struct plan_run));
	return plan_runs_sort(r, runs, r->by_dst + n);
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
			    const struct baton_zero_run *zeros, uint64_t nzero)
{
	for (uint64_t i = 0; i < nzero; i++) {
		uint64_t start = zeros[i].dst >> PLAN_SHIFT, end, k;

		if (plan_range_check(zeros[i].dst, zeros[i].pages))
			return PLAN_E_INPUT;
		end = start + zeros[i].pages;
		k = plan_kv_below(r->by_dst, r->n, end);
		if (k && r->by_dst[k - 1].key + (r->by_dst[k - 1].val & PLAN_PAGES) > start)
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

		if (r->run[mid].src < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && x < r->run[lo - 1].end)
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
		const struct plan_run *run = &r->run[k];
		int err;

		if (run->src == run->dst)	/* only with overlapping input */
			return PLAN_E_INPUT;
		err = plan_split_add(r, x);
		if (err)
			return err;
		x = x - run->src + run->dst;
		k = plan_run_find(r, x);
		if (k == r->n)
			return 0;
	}
}

/* Destination boundary x, visited in ascending order: *k is the source cursor. */
static int plan_refine_point(struct plan_refine *r, uint64_t *k, uint64_t x)
{
	while (*k < r->n && r->run[*k].end <= x)
		(*k)++;
	if (*k == r->n || r->run[*k].src >= x)
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
		uint64_t d = r->by_dst[i].key, val = r->by_dst[i].val, e;
		int err = 0;

		if (val & PLAN_IN_PLACE)
			continue;
		e = d + (val & PLAN_PAGES);
		if (d != prev_end)
			err = plan_refine_point(r, &k, d);
		if (!err)
			err = plan_refine_point(r, &k, e);
		if (err)
			return err;
		prev_end = e;
	}
	return 0;
}

static void plan_piece_set(struct plan_piece *pc, const struct plan_run *run,
			   uint64_t src, uint64_t end)
{
	pc->src = src;
	pc->dst = run->dst + (src - run->src);
	pc->pages = end - src;
	pc->out = PLAN_NONE;
	pc->indeg = 0;
}

/* Cuts the moving runs at the sorted split points: pieces in source order. */
static uint64_t plan_pieces_make(const struct plan_refine *r, struct plan_piece *pc,
				 const struct sort_kv *split)
{
	uint64_t p = 0, j = 0;

	for (uint64_t k = 0; k < r->n; k++) {
		const struct plan_run *run = &r->run[k];
		uint64_t src = run->src;

		if (run->src == run->dst)
			continue;
		while (j < r->nsplit && split[j].key < run->end) {
			uint64_t cut = split[j++].key;

			plan_piece_set(&pc[p++], run, src, cut);
			src = cut;
		}
		plan_piece_set(&pc[p++], run, src, run->end);
	}
	return p;
}

/* Sorts the cuts, moves them to the top of the pieces' room and makes the pieces. */
static uint64_t plan_pieces_cut(const struct plan_refine *r, struct plan_piece *pc)
{
	uint64_t s = r->nsplit, p = r->moving + s;
	struct sort_kv *top = (struct sort_kv *)((char *)pc + p * sizeof(*pc)) - s;

	if (s) {
		sort_kv(r->split, r->split + s, s);
		memmove(top, r->split, s * sizeof(*top));
	}
	return plan_pieces_make(r, pc, top);
}

/* A source that starts inside destination q must end inside it too. */
static int plan_edge_add(struct plan_piece *pc, uint64_t i, uint64_t q)
{
	if (pc[i].src + pc[i].pages > pc[q].dst + pc[q].pages || q == i)
		return PLAN_E_INPUT;
	pc[i].out = (uint32_t)q;
	pc[q].indeg++;
	return 0;
}

/*
 * Links every piece to the piece whose destination holds its source, by merging
 * the pieces (in source order) with the pieces sorted by destination.
 */
static int plan_graph_build(struct plan_piece *pc, uint64_t p, struct sort_kv *by_dst)
{
	uint64_t j = 0;

	for (uint64_t i = 0; i < p; i++) {
		by_dst[i].key = pc[i].dst;
		by_dst[i].val = i;
	}
	sort_kv(by_dst, by_dst + p, p);
	for (uint64_t i = 0; i < p; i++) {
		uint64_t s = pc[i].src, q, next;
		int err;

		while (j + 1 < p && by_dst[j + 1].key <= s)
			j++;
		next = by_dst[j].key <= s ? j + 1 : j;
		if (next < p && by_dst[next].key < s + pc[i].pages)
			return PLAN_E_INPUT;	/* a boundary inside: refinement missed it */
		q = by_dst[j].val;
		if (by_dst[j].key > s || s >= pc[q].dst + pc[q].pages)
			continue;		/* touches no destination */
		err = plan_edge_add(pc, i, q);
		if (err)
			return err;
	}
	return 0;
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

/* Whether a move continues the pending one: same offset, adjacent either side. */
static int plan_move_joins(const struct plan_exec *x, uint64_t dst, uint64_t src,
			   uint64_t pages)
{
	if (!x->ppages || dst - src != x->pdst - x->psrc)
		return 0;
	return dst == x->pdst + x->ppages || dst + pages == x->pdst;
}

static void plan_move(struct plan_exec *x, uint64_t dst, uint64_t src, uint64_t pages)
{
	if (plan_move_joins(x, dst, src, pages)) {
		if (dst < x->pdst) {
			x->pdst = dst;
			x->psrc = src;
		}
		x->ppages += pages;
		return;
	}
	plan_flush(x);
	x->pdst = dst;
	x->psrc = src;
	x->ppages = pages;
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
 * Places piece i and the chain it releases while each next piece extends the
 * pending move; a released piece that would not waits on the stack, so pieces
 * that are ready and adjacent get placed (and merged) first.
 */
static void plan_order_follow(struct plan_exec *x, uint32_t i)
{
	for (;;) {
		struct plan_piece *pc = &x->pc[i], *qc;
		uint32_t q = pc->out;

		plan_move(x, pc->dst, pc->src, pc->pages);
		pc->indeg = PLAN_DONE;
		if (x->depth[i] > x->st->longest)
			x->st->longest = x->depth[i];
		if (q == PLAN_NONE)
			return;
		if (x->depth[q] < x->depth[i] + 1)
			x->depth[q] = x->depth[i] + 1;
		qc = &x->pc[q];
		if (--qc->indeg)
			return;
		if (!plan_move_joins(x, qc->dst, qc->src, qc->pages)) {
			x->stack[x->sp++] = q;
			return;
		}
		i = q;
	}
}

/* Kahn's order: every piece not on a cycle, in source order where free to choose. */
static void plan_order_run(struct plan_exec *x, uint64_t p)
{
	for (uint64_t i = 0; i < p; i++)
		x->depth[i] = 1;
	for (uint64_t i = 0; i < p; i++) {
		if (!x->pc[i].indeg)
			plan_order_follow(x, (uint32_t)i);
	}
	while (x->sp) {
		uint32_t i = x->stack[--x->sp];

		if (x->pc[i].indeg != PLAN_DONE)	/* else the scan got there first */
			plan_order_follow(x, i);
	}
}

/*
 * Checks that first lies on a clean cycle: every piece's source is exactly the next
 * one's destination, all of one size (true once Kahn is stuck: each left piece has
 * in-degree 1 and a successor left, and sizes can only grow along edges).
 * Returns the longest chain through the cycle, 0 if it is not clean.
 */
static uint64_t plan_cycle_check(const struct plan_exec *x, uint32_t first, uint64_t p)
{
	uint64_t k = 0, d = 0;
	uint32_t i = first;

	do {
		const struct plan_piece *a = &x->pc[i], *b;

		if (a->out == PLAN_NONE || ++k > p)
			return 0;
		b = &x->pc[a->out];
		if (b->indeg != 1 || b->pages != a->pages || b->dst != a->src)
			return 0;
		d = plan_max(d, x->depth[i]);
		i = a->out;
	} while (i != first);
	return d + k - 1;
}

/* Places a clean cycle page by page through the scratch page. */
static void plan_cycle_place(struct plan_exec *x, uint32_t first)
{
	const struct plan_piece *pc = x->pc;
	uint32_t i = first;

	for (uint64_t j = 0; j < pc[first].pages; j++) {
		plan_save(x, pc[first].dst + j);	/* = the last piece's source */
		for (i = first; pc[i].out != first; i = pc[i].out)
			plan_move(x, pc[i].dst + j, pc[i].src + j, 1);
		plan_restore(x, pc[i].dst + j);
	}
	x->st->cycles += pc[first].pages;
	i = first;
	do {
		uint32_t next = x->pc[i].out;

		x->pc[i].indeg = PLAN_DONE;
		i = next;
	} while (i != first);
}

static int plan_cycles_break(struct plan_exec *x, uint64_t p)
{
	for (uint64_t i = 0; i < p; i++) {
		uint64_t d;

		if (x->pc[i].indeg == PLAN_DONE)
			continue;
		d = plan_cycle_check(x, (uint32_t)i, p);
		if (!d)
			return PLAN_E_INPUT;	/* only with input that broke refinement */
		x->st->longest = plan_max(x->st->longest, d);
		plan_cycle_place(x, (uint32_t)i);
	}
	return 0;
}

static void plan_zero_flush(struct plan_exec *x, uint64_t dst, uint64_t pages)
{
	if (pages && x->mem)
		x->mem->zero(x->mem->ctx, dst << PLAN_SHIFT, pages);
	x->st->zeroed += pages;
}

/* Zero runs in list order, adjacent ones in one call. */
static void plan_zeros_run(struct plan_exec *x, const struct baton_zero_run *zeros,
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

int plan_count(const struct baton_copy_run *runs, uint64_t ncopy,
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
			const struct baton_copy_run *runs, uint64_t ncopy,
			const struct baton_zero_run *zeros, uint64_t nzero,
			void *work, size_t work_size, uint64_t *p)
{
	uint64_t w, cap;
	char *base = plan_work_align(work, work_size, &w), *arena;
	int err;

	if (ncopy > PLAN_MAX_PIECES || w < plan_arena_runs(ncopy))
		return PLAN_E_NOSPACE;
	cap = plan_pieces_fit(ncopy, w);
	arena = base + cap * sizeof(struct plan_piece);
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
	*p = plan_pieces_cut(r, x->pc);
	x->stack = (uint32_t *)arena;
	x->depth = x->stack + *p;
	return plan_graph_build(x->pc, *p, (struct sort_kv *)arena);
}

static void plan_stats_fill(struct plan_stats *st, const struct plan_refine *r,
			    const struct plan_piece *pc, uint64_t p)
{
	st->pieces = p;
	st->moved = r->moved;
	st->in_place = r->in_place;
	for (uint64_t i = 0; i < p; i++)
		st->ordered += pc[i].indeg != 0;
}

int plan_execute(const struct baton_copy_run *runs, uint64_t ncopy,
		 const struct baton_zero_run *zeros, uint64_t nzero,
		 void *work, size_t work_size,
		 const struct plan_mem *mem, struct plan_stats *stats)
{
	struct plan_stats local;
	struct plan_refine r;
	struct plan_exec x;
	uint64_t p = 0;
	int err;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	memset(&x, 0, sizeof(x));
	x.mem = mem;
	x.st = stats;
	stats->runs = ncopy;
	err = plan_prepare(&r, &x, runs, ncopy, zeros, nzero, work, work_size, &p);
	if (err)
		return err;
	plan_stats_fill(stats, &r, x.pc, p);
	plan_order_run(&x, p);
	err = plan_cycles_break(&x, p);
	plan_flush(&x);
	if (err)
		return err;
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
