/* SPDX-License-Identifier: MIT */
/*
 * Staging the image's pages: one source page per destination page that holds
 * file bytes or boot info, from the caller's allocator, in increasing destination
 * order; pages with nothing but zeros (bss, holes) become zero runs. Neighbouring
 * pages merge into one run when both their sources and destinations touch.
 *
 * The destination is [low, end) for an ELF (holes between segments zero-filled,
 * the boot info FDT last) and each segment's own pages for Linux. A segment's
 * bytes come from the buffer its `source` names: the image, the initrd or the
 * boot area built in scratch memory.
 */
#include <string.h>
#include "loader/plan.h"
#include "loader/sort.h"
#include "stage/stage_int.h"

#define PAGE	BATON_PAGE_SIZE

static int page_has_bytes(const struct stage *s, uint64_t dst, uint32_t *first)
{
	const struct fmt_image *img = s->img;

	if (dst >= s->fdt_dst)
		return 1;
	/* Segments are sorted and disjoint: skip those whose file bytes end before dst. */
	while (*first < img->nseg && img->seg[*first].paddr + img->seg[*first].filesz <= dst)
		(*first)++;
	for (uint32_t j = *first; j < img->nseg && img->seg[j].paddr < dst + PAGE; j++)
		if (img->seg[j].filesz && img->seg[j].paddr + img->seg[j].filesz > dst)
			return 1;
	return 0;
}

static const uint8_t *seg_bytes(const struct stage *s, const struct fmt_segment *g)
{
	switch (g->source) {
	case FMT_SRC_INITRD:	return s->rq->initrd;
	case FMT_SRC_BOOT:	return s->boot;
	default:		return (const uint8_t *)s->rq->image + g->offset;
	}
}

/* The page's final bytes: zeros, then every segment's file bytes that land in it. */
static void page_fill(const struct stage *s, uint64_t dst, uint32_t first, uint8_t *p)
{
	const struct fmt_image *img = s->img;

	memset(p, 0, PAGE);
	if (dst >= s->fdt_dst) {
		uint64_t off = dst - s->fdt_dst;
		uint64_t n = s->fdt_size - off < PAGE ? s->fdt_size - off : PAGE;

		memcpy(p, (const uint8_t *)s->fdt + off, n);
		return;
	}
	for (uint32_t j = first; j < img->nseg && img->seg[j].paddr < dst + PAGE; j++) {
		const struct fmt_segment *g = &img->seg[j];
		uint64_t a = g->paddr > dst ? g->paddr : dst;
		uint64_t b = g->paddr + g->filesz < dst + PAGE ? g->paddr + g->filesz : dst + PAGE;

		if (a < b)
			memcpy(p + (a - dst), seg_bytes(s, g) + (a - g->paddr), b - a);
	}
}

static void run_add_copy(struct stage *s, uint64_t src, uint64_t dst)
{
	struct baton_copy_run *r = s->ncopy ? &s->copy[s->ncopy - 1] : NULL;

	if (r && r->src + r->pages * PAGE == src && r->dst + r->pages * PAGE == dst) {
		r->pages++;
		return;
	}
	s->copy[s->ncopy++] = (struct baton_copy_run){ .src = src, .dst = dst, .pages = 1 };
}

static void run_add_zero(struct stage *s, uint64_t dst)
{
	struct baton_zero_run *r = s->nzero ? &s->zero[s->nzero - 1] : NULL;

	if (r && r->dst + r->pages * PAGE == dst) {
		r->pages++;
		return;
	}
	s->zero[s->nzero++] = (struct baton_zero_run){ .dst = dst, .pages = 1 };
}

static int place_range(struct stage *s, uint64_t lo, uint64_t hi, uint32_t *first)
{
	for (uint64_t dst = lo; dst < hi; dst += PAGE) {
		uint64_t src;
		int err;

		if (!page_has_bytes(s, dst, first)) {
			run_add_zero(s, dst);
			continue;
		}
		err = s->env->alloc(s->env->ctx, 1, STAGE_FOR_SOURCE, dst, &src);
		if (err)
			return stage_fail(s, STAGE_E_NOMEM, "allocator: no source page for dst 0x%lx (%d)",
					  (unsigned long)dst, err);
		if (src % PAGE)
			return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator returned unaligned page 0x%lx",
					  (unsigned long)src);
		page_fill(s, dst, *first, s->env->map(s->env->ctx, src, PAGE));
		run_add_copy(s, src, dst);
	}
	return 0;
}

int stage_place_pages(struct stage *s)
{
	uint64_t pages = s->dst_pages;
	uint32_t first = 0;
	int err = 0;

	s->copy = stage_tmp_keep(s, pages * sizeof(*s->copy));
	s->zero = stage_tmp_keep(s, (pages / 2 + 1) * sizeof(*s->zero));
	if (!s->copy || !s->zero)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for %lu pages of runs",
				  (unsigned long)pages);
	if (!s->is_linux)
		return place_range(s, s->low, s->end, &first);
	for (uint32_t i = 0; !err && i < s->img->nseg; i++) {
		const struct fmt_segment *g = &s->img->seg[i];

		err = place_range(s, pg_down(g->paddr), pg_up(g->paddr + g->memsz), &first);
	}
	return err;
}

int stage_hash_runs(struct stage *s)
{
	for (uint64_t i = 0; i < s->ncopy; i++) {
		uint64_t bytes = s->copy[i].pages * PAGE;

		s->copy[i].hash = stage_hash(s->env->map(s->env->ctx, s->copy[i].src, bytes), bytes);
	}
	return 0;
}

/*
 * An allocator that hands out a page twice would have the second page's bytes
 * overwrite the first's: find it before the planner (which needs disjoint
 * sources) and name it.
 */
int stage_check_sources(struct stage *s)
{
	struct sort_kv *kv = stage_tmp_keep(s, 2 * s->ncopy * sizeof(*kv));

	if (!kv)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory to check the sources");
	for (uint64_t i = 0; i < s->ncopy; i++)
		kv[i] = (struct sort_kv){ s->copy[i].src, i };
	sort_kv(kv, kv + s->ncopy, s->ncopy);
	for (uint64_t i = 1; i < s->ncopy; i++) {
		const struct baton_copy_run *a = &s->copy[kv[i - 1].val];

		if (a->src + a->pages * PAGE > kv[i].key)
			return stage_fail(s, STAGE_E_ALLOC_BAD,
					  "allocator handed out page 0x%lx twice (copy runs %lu and %lu)",
					  (unsigned long)kv[i].key, (unsigned long)kv[i - 1].val,
					  (unsigned long)kv[i].val);
	}
	return 0;
}

/* The loader's planner, dry: how many pieces its work area must hold, and stats. */
int stage_plan(struct stage *s)
{
	uint64_t bytes = plan_count_work_size(s->ncopy);
	void *work = stage_tmp_keep(s, bytes);
	int err;

	if (!work)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for planning");
	err = plan_count(s->copy, s->ncopy, work, bytes, &s->pieces);
	if (err)
		return stage_fail(s, err, "planner: %s", plan_strerror(err));
	bytes = plan_work_size(s->ncopy, s->pieces);
	work = stage_tmp_keep(s, bytes);
	if (!work)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for planning");
	err = plan_execute(s->copy, s->ncopy, s->zero, s->nzero, work, bytes, NULL, &s->res->plan);
	if (err)
		return stage_fail(s, err, "planner: %s", plan_strerror(err));
	return 0;
}
