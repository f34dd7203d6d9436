/* SPDX-License-Identifier: MIT */
/*
 * Placing the image: the planner (core/plan.c) decides the order, these
 * callbacks touch real memory (identity-mapped, so a physical address is a
 * pointer), and place_verify() runs core/verify.c: the list pages walked once
 * more, each page's hash over what its SRC entries placed.
 */
#include <string.h>
#include "core/check.h"
#include "loader/loader.h"
#include "core/plan.h"

#define PAGE	BATON_PAGE_SIZE

static void mem_move(void *ctx, uint64_t dst, uint64_t src, uint64_t pages)
{
	(void)ctx;
	memmove((void *)dst, (const void *)src, pages * PAGE);
}

static void mem_zero(void *ctx, uint64_t dst, uint64_t pages)
{
	(void)ctx;
	memset((void *)dst, 0, pages * PAGE);
}

static void mem_save(void *ctx, uint64_t src)
{
	memcpy(ctx, (const void *)src, PAGE);
}

static void mem_restore(void *ctx, uint64_t dst)
{
	memcpy((void *)dst, ctx, PAGE);
}

/* The plan step: the order is known, nothing written yet. */
static void place_planned(void *ctx, const struct plan_stats *st)
{
	(void)ctx;
	step_log(STEP_PLAN, "%lu runs -> %lu pieces, %lu ordered, %lu pages to move, %lu in place",
		 (unsigned long)st->runs, (unsigned long)st->pieces, (unsigned long)st->ordered,
		 (unsigned long)st->moved, (unsigned long)st->in_place);
}

/* Plan and copy in one pass of the planner: it reports the plan step before its
 * first write, so the log still times planning and copying apart. */
void place_all(struct check *c)
{
	struct plan_mem mem = {
		.ctx = L.work_mem + c->work.scratch_off,
		.move = mem_move, .zero = mem_zero, .save = mem_save, .restore = mem_restore,
		.planned = place_planned,
	};
	struct plan_stats st;
	int err;

	err = plan_execute(c->copy, c->ncopy, c->zero, c->nzero, c->mem, c->work.mem_bytes,
			   &mem, &st);
	if (err)
		panic("plan", "%s (%lu copy runs, %lu pieces expected, work area %lu bytes)",
		      plan_strerror(err), (unsigned long)c->ncopy,
		      (unsigned long)c->seen.h.plan_pieces, (unsigned long)c->work.mem_bytes);
	step_log(STEP_COPY, "%lu page copies in %lu moves (%lu moved + %lu cycles, longest chain %lu), %lu pages zeroed",
		 (unsigned long)st.copies, (unsigned long)st.ops, (unsigned long)st.moved,
		 (unsigned long)st.cycles, (unsigned long)st.longest, (unsigned long)st.zeroed);
}

void place_verify(struct check *c)
{
	uint64_t zbytes = 0;

	if (check_verify(c))
		panic("verify", "%s", c->msg);
	for (uint64_t i = 0; i < c->nzero; i++)
		zbytes += c->zero[i].pages * PAGE;
	step_log(STEP_VERIFY, "%lu list pages: %lu KiB hashed, %lu KiB checked zero, all match; %lu KiB claimed, left as found",
		 (unsigned long)c->nlist, (unsigned long)(c->pages * PAGE - zbytes) >> 10,
		 (unsigned long)(zbytes >> 10), (unsigned long)(c->claim_pages * PAGE) >> 10);
}
