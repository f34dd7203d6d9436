/* SPDX-License-Identifier: MIT */
/* The planner's invariants on one layout: plancheck.h says which. */
#include <stdlib.h>
#include <string.h>
#include "tests/host/plancheck.h"

#define CANARY		64

struct sim sim;
int last_rc;		/* the planner's last unexpected return value */
static unsigned char *work_buf;
static size_t work_room;

void add_run(struct layout *l, uint64_t src, uint64_t dst, uint64_t pages)
{
	struct plan_run *r = &l->runs[l->n++];

	r->src = (l->base + src) << 12;
	r->dst = (l->base + dst) << 12;
	r->pages = pages;
}

void add_zero(struct layout *l, uint64_t dst, uint64_t pages)
{
	struct plan_zero *z = &l->zeros[l->nz++];

	memset(z, 0, sizeof(*z));
	z->dst = (l->base + dst) << 12;
	z->pages = pages;
}

/* ---------------------------------------------------------------- expectations */

/* What the runs alone say: pages out of place, in place, and page cycles. */
struct expect {
	uint64_t moved, in_place, cycles, zeroed;
};

int64_t page_map[MAX_PAGES];
static uint8_t page_seen[MAX_PAGES];

static void expect_from_runs(const struct layout *l, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	for (uint64_t i = 0; i < l->npages; i++)
		page_map[i] = -1, page_seen[i] = 0;
	for (uint64_t r = 0; r < l->n; r++) {
		uint64_t s = run_src_page(l, r), d = run_dst_page(l, r);

		for (uint64_t i = 0; i < l->runs[r].pages; i++) {
			if (s == d)
				e->in_place++;
			else
				e->moved++, page_map[s + i] = (int64_t)(d + i);
		}
	}
	for (uint64_t z = 0; z < l->nz; z++)
		e->zeroed += l->zeros[z].pages;
	/* In- and out-degree <= 1: a walk either comes back to its start or ends. */
	for (uint64_t i = 0; i < l->npages; i++) {
		int64_t x = page_map[i];

		if (page_seen[i] || x < 0)
			continue;
		page_seen[i] = 1;
		while (x >= 0 && (uint64_t)x != i && !page_seen[x]) {
			page_seen[x] = 1;
			x = page_map[x];
		}
		e->cycles += (uint64_t)x == i;
	}
}

/* ---------------------------------------------------------------- the check */

/* Work area of `size` bytes at offset `skew` with a canary after it. */
void *work_prepare(size_t size, size_t skew)
{
	if (size + skew + CANARY > work_room) {
		free(work_buf);
		work_room = 2 * (size + skew + CANARY);
		work_buf = malloc(work_room);
		if (!work_buf)
			abort();
	}
	memset(work_buf + skew + size, 0xa5, CANARY);
	return work_buf + skew;
}

/* The same, filled with garbage: the planner must not expect it zeroed. */
static void *work_prepare_dirty(size_t size, size_t skew)
{
	void *w = work_prepare(size, skew);

	memset(w, 0xcd, size);
	return w;
}

static int work_canary_ok(const void *work, size_t size)
{
	const unsigned char *c = (const unsigned char *)work + size;

	for (int i = 0; i < CANARY; i++)
		if (c[i] != 0xa5)
			return 0;
	return 1;
}

static int sim_untouched(const struct sim *s)
{
	return !s->moves && !s->saves && !s->restores && !s->zero_calls;
}

/* plan_count(): exact with its work size, NOSPACE one byte short, no overrun. */
static const char *check_count(const struct layout *l, int short_too, uint64_t *pieces)
{
	size_t size = plan_count_work_size(l->n);
	void *w = work_prepare(size, 0);
	uint64_t dummy;

	last_rc = plan_count(l->runs, l->n, w, size, pieces);
	if (last_rc)
		return "plan_count failed";
	if (!work_canary_ok(w, size))
		return "plan_count wrote past its work area";
	if (short_too && size &&
	    plan_count(l->runs, l->n, work_prepare(size - 1, 0), size - 1, &dummy)
	    != PLAN_E_NOSPACE)
		return "plan_count one byte short did not fail with NOSPACE";
	return NULL;
}

/* plan_execute() one byte short: NOSPACE, memory and the area's end untouched. */
static const char *check_short(const struct layout *l, size_t size)
{
	struct plan_mem mem;
	struct plan_stats st;
	void *w = work_prepare(size - 1, 0);

	sim_reset(&sim, l->base, l->npages, l->runs, l->n, l->zeros, l->nz);
	sim_plan_mem(&sim, &mem);
	if (plan_execute(l->runs, l->n, l->zeros, l->nz, w, size - 1, &mem, &st)
	    != PLAN_E_NOSPACE)
		return "plan_execute one byte short did not fail with NOSPACE";
	if (!sim_untouched(&sim))
		return "plan_execute touched memory before failing with NOSPACE";
	if (!work_canary_ok(w, size - 1))
		return "plan_execute wrote past a short work area";
	return NULL;
}

static const char *check_stats(const struct plan_stats *st, const struct expect *e,
			       const struct layout *l, uint64_t pieces)
{
	if (st->runs != l->n || st->pieces != pieces)
		return "stats: runs or pieces differ from the input / plan_count";
	if (st->moved != e->moved || st->in_place != e->in_place || st->zeroed != e->zeroed)
		return "stats: moved, in_place or zeroed differ from the runs";
	if (st->cycles != e->cycles)
		return "stats: cycles differ from the page permutation's cycles";
	if (st->copies != e->moved + e->cycles)
		return "stats: copies != out-of-place pages + page cycles";
	if (sim.move_pages + sim.saves + sim.restores != st->copies)
		return "copies done differ from stats.copies";
	if (sim.moves != st->ops || sim.saves != e->cycles || sim.restores != e->cycles)
		return "move calls or scratch uses differ from the stats";
	if (sim.zero_pages != e->zeroed)
		return "pages zeroed differ from the zero runs";
	if (st->ordered > st->pieces || st->longest > st->pieces ||
	    (st->pieces && !st->longest))
		return "stats: ordered or longest out of range";
	return NULL;
}

/* The planned() callback: how often it came, and what had been written by then. */
static uint64_t planned_calls, planned_writes_before;

static void on_planned(void *ctx, const struct plan_stats *st)
{
	struct sim *sm = ctx;

	(void)st;
	planned_calls++;
	planned_writes_before = sm->moves + sm->saves + sm->restores + sm->zero_calls;
}

/* Runs the layout through every check; *out gets the stats. NULL: all good. */
const char *check_layout(const struct layout *l, size_t skew, int short_too,
				struct plan_stats *out)
{
	struct plan_stats dry, st;
	struct plan_mem mem;
	struct expect e;
	uint64_t pieces = 0;
	const char *err = check_count(l, short_too, &pieces);
	size_t size = plan_work_size(l->n, pieces);
	void *w;

	if (err || (short_too && size && (err = check_short(l, size))))
		return err;
	expect_from_runs(l, &e);
	w = work_prepare(size, 0);
	last_rc = plan_execute(l->runs, l->n, l->zeros, l->nz, w, size, NULL, &dry);
	if (last_rc)
		return "dry run failed";
	sim_reset(&sim, l->base, l->npages, l->runs, l->n, l->zeros, l->nz);
	sim_plan_mem(&sim, &mem);
	mem.planned = on_planned;
	planned_calls = 0;
	planned_writes_before = ~0ull;
	w = work_prepare_dirty(size + (skew ? 8 - skew : 0), skew);
	last_rc = plan_execute(l->runs, l->n, l->zeros, l->nz, w,
			       size + (skew ? 8 - skew : 0), &mem, &st);
	if (last_rc)
		return "plan_execute failed";
	if (planned_calls != 1 || planned_writes_before != 0)
		return "planned() not called exactly once, before the first write";
	if (!work_canary_ok(w, size + (skew ? 8 - skew : 0)))
		return "plan_execute wrote past its work area";
	if ((err = sim_verify(&sim)))
		return err;
	if (memcmp(&dry, &st, sizeof(st)))
		return "dry run stats differ from the real run's";
	*out = st;
	return check_stats(&st, &e, l, pieces);
}

int execute_rc(const struct layout *l, const struct plan_mem *mem)
{
	uint64_t pieces;
	size_t size = plan_count_work_size(l->n);

	last_rc = plan_count(l->runs, l->n, work_prepare(size, 0), size, &pieces);
	if (last_rc)
		pieces = 4 * MAX_PAGES;
	size = plan_work_size(l->n, pieces);
	return plan_execute(l->runs, l->n, l->zeros, l->nz, work_prepare(size, 0), size,
			    mem, NULL);
}

void work_release(void)
{
	free(work_buf);
	work_buf = NULL;
	work_room = 0;
}
