/* SPDX-License-Identifier: MIT */
/*
 * Staging the image's pages: one source page per destination page that holds
 * file bytes or boot info, from the caller's allocator, in increasing destination
 * order, written as list entries (include/baton/handoff.h): a DST entry where
 * the destination jumps, a SRC entry per source (grown to 512 pages while the
 * sources touch), a ZERO entry for pages with nothing but zeros (bss, holes), a
 * CLAIM entry for what Linux only needs free (its init_size past the file).
 *
 * The destination is [low, end) for an ELF (holes between segments zero-filled,
 * the boot info FDT last) and each segment's own pages for Linux. A segment's
 * bytes come from the buffer its `source` names: the image, the initrd or the
 * boot area built in scratch memory.
 */
#include <string.h>
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

/* Linux's kernel segment past its file bytes is only claimed: the kernel clears
 * its own bss and decompresses into the rest. */
static int page_claimed(const struct stage *s, uint64_t dst)
{
	for (uint32_t j = 0; s->is_linux && j < s->img->nseg; j++) {
		const struct fmt_segment *g = &s->img->seg[j];

		if (g->source == FMT_SRC_IMAGE && dst >= g->paddr &&
		    dst < g->paddr + g->memsz)
			return 1;
	}
	return 0;
}

/* Where the pages go instead, for stage_layout_runs(): to the caller's emit. */
struct place_emit {
	int (*emit)(void *ctx, const struct stage_run *run, const void *bytes);
	void *ctx;
	uint8_t *page;		/* one page of scratch */
};

static int emit_page(struct stage *s, const struct place_emit *pe, uint64_t dst, uint32_t first)
{
	struct stage_run r = { .dst = dst, .pages = 1, .kind = BATON_L_SRC };

	if (!page_has_bytes(s, dst, &first)) {
		r.kind = page_claimed(s, dst) ? BATON_L_CLAIM : BATON_L_ZERO;
		return pe->emit(pe->ctx, &r, NULL);
	}
	page_fill(s, dst, first, pe->page);
	return pe->emit(pe->ctx, &r, pe->page);
}

static int place_range(struct stage *s, uint64_t lo, uint64_t hi, uint32_t *first,
		       const struct place_emit *pe)
{
	for (uint64_t dst = lo; dst < hi; dst += PAGE) {
		uint64_t src;
		int err;

		if (pe) {
			err = emit_page(s, pe, dst, *first);
			(void)page_has_bytes(s, dst, first);	/* advance past ended segments */
			if (err)
				return err;
			continue;
		}
		if (!page_has_bytes(s, dst, first)) {
			stage_list_count(&s->list, page_claimed(s, dst) ? BATON_L_CLAIM : BATON_L_ZERO, dst);
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
		stage_list_src(&s->list, src, dst);
	}
	return 0;
}

int stage_place_pages(struct stage *s,
		      int (*emit)(void *ctx, const struct stage_run *run, const void *bytes),
		      void *ctx)
{
	uint64_t pages = s->dst_pages;
	uint32_t first = 0;
	int err = 0;
	struct place_emit pe = { .emit = emit, .ctx = ctx };
	/* At most two words a page (DST and SRC), as kexec's IND_* list. */
	uint64_t *words = emit ? NULL : stage_tmp_keep(s, (2 * pages + 2) * sizeof(*words));

	if (emit && !(pe.page = stage_tmp_keep(s, PAGE)))
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for a page");
	if (!emit && !words)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for %lu pages of list entries",
				  (unsigned long)pages);
	if (!emit)
		stage_list_init(&s->list, words);
	if (!s->is_linux)
		return place_range(s, s->low, s->end, &first, emit ? &pe : NULL);
	for (uint32_t i = 0; !err && i < s->img->nseg; i++) {
		const struct fmt_segment *g = &s->img->seg[i];

		err = place_range(s, pg_down(g->paddr), pg_up(g->paddr + g->memsz), &first,
				  emit ? &pe : NULL);
	}
	return err;
}

/* Whether page pa is a destination: a list page there would be overwritten
 * before the loader's last walk. */
int stage_meets_dst(const struct stage *s, uint64_t pa)
{
	if (s->rq->runs)
		return stage_runs_meet(s, pa);
	if (!s->is_linux)
		return pa >= s->low && pa < s->end;
	for (uint32_t i = 0; i < s->img->nseg; i++) {
		const struct fmt_segment *g = &s->img->seg[i];

		if (pa >= pg_down(g->paddr) && pa < pg_up(g->paddr + g->memsz))
			return 1;
	}
	return 0;
}
