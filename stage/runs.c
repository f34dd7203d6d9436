/* SPDX-License-Identifier: MIT */
/*
 * A destination image laid out by another process: runs of pages whose sources
 * the caller already holds (the kernel hook's pages, written to /dev/baton by
 * `baton load`, which laid them out with stage_layout_runs()). Sealing them is
 * every later step of stage_build(); only these three differ: the runs are
 * checked as the image's segments would be, they become list entries one page
 * at a time (so sources that touch still merge), and a page is a destination
 * when a run holds it.
 */
#include <string.h>
#include "core/memmap.h"
#include "stage/stage_int.h"

#define PAGE	BATON_PAGE_SIZE

static int bad_run(struct stage *s, uint64_t i, const char *why)
{
	const struct stage_run *r = &s->rq->runs[i];

	return stage_fail(s, STAGE_E_RUNS, "run %lu dst 0x%lx pages %lu kind %u src 0x%lx: %s",
			  (unsigned long)i, (unsigned long)r->dst, (unsigned long)r->pages,
			  (unsigned)r->kind, (unsigned long)r->src, why);
}

/* Sorted, disjoint, aligned, of a known kind, each inside usable RAM and off
 * every forbidden range (core/memmap.c's rule, as any image's segment). */
int stage_runs_check(struct stage *s)
{
	const struct stage_request *rq = s->rq;
	uint64_t end = 0;

	if (rq->cmdline || rq->initrd || rq->dtb || rq->image)
		return stage_fail(s, STAGE_E_RUNS, "laid-out runs come with no image, command line, initrd or DTB");
	if (!rq->run_count)
		return stage_fail(s, STAGE_E_RUNS, "no runs: nothing to place");
	s->dst_pages = 0;
	for (uint64_t i = 0; i < rq->run_count; i++) {
		const struct stage_run *r = &rq->runs[i];
		int err;

		if (r->kind != BATON_L_SRC && r->kind != BATON_L_ZERO && r->kind != BATON_L_CLAIM)
			return bad_run(s, i, "unknown kind");
		if (r->dst % PAGE || r->src % PAGE || !r->pages || r->pages > (UINT64_MAX - r->dst) / PAGE)
			return bad_run(s, i, "unaligned, empty or wrapping");
		if ((r->kind == BATON_L_SRC) != (r->src != 0))
			return bad_run(s, i, "a source for a run of this kind, or none for a copy");
		if (i && r->dst < end)
			return bad_run(s, i, "overlaps or precedes the run before it");
		end = r->dst + r->pages * PAGE;
		err = stage_check_range(s, "destination", r->dst, end);
		if (err)
			return err;
		s->dst_pages += r->pages;
	}
	s->low = rq->runs[0].dst;
	s->high = s->end = end;
	s->fdt_dst = UINT64_MAX;
	return s->dst_pages * PAGE > s->usable_bytes ? stage_too_big(s, s->dst_pages * PAGE) : 0;
}

int stage_runs_place(struct stage *s)
{
	uint64_t *words = stage_tmp_keep(s, (2 * s->dst_pages + 2) * sizeof(*words));

	if (!words)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for %lu pages of list entries",
				  (unsigned long)s->dst_pages);
	stage_list_init(&s->list, words);
	for (uint64_t i = 0; i < s->rq->run_count; i++) {
		const struct stage_run *r = &s->rq->runs[i];

		for (uint64_t p = 0; p < r->pages; p++) {
			if (r->kind == BATON_L_SRC)
				stage_list_src(&s->list, r->src + p * PAGE, r->dst + p * PAGE);
			else
				stage_list_count(&s->list, r->kind, r->dst + p * PAGE);
		}
	}
	return 0;
}

/* Whether a run holds page pa: binary search, the runs are sorted. */
int stage_runs_meet(const struct stage *s, uint64_t pa)
{
	const struct stage_run *r = s->rq->runs;
	uint64_t lo = 0, hi = s->rq->run_count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (pa < r[mid].dst)
			hi = mid;
		else if (pa - r[mid].dst >= r[mid].pages * PAGE)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int stage_build_runs(const struct stage_request *rq, const struct stage_env *env,
		     struct stage_result *res)
{
	struct stage st = { .rq = rq, .env = env, .res = res };
	struct stage *s = &st;
	int err;

	memset(res, 0, sizeof(*res));
	err = rq->runs ? stage_check_blob(s) :
	      stage_fail(s, STAGE_E_RUNS, "no runs: nothing to place");
	if (!err)
		err = stage_check_memmap(s);
	if (!err)
		err = stage_runs_check(s);
	if (!err)
		err = stage_runs_place(s);
	if (!err)
		err = stage_seal_steps(s);
	stage_release(s);
	return err;
}
