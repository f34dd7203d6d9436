/* SPDX-License-Identifier: MIT */
/*
 * Placing the image: the planner (core/plan.c) decides the order, these
 * callbacks touch real memory (identity-mapped, so a physical address is a
 * pointer), and place_verify() walks the list pages once more and hashes what
 * each page's SRC entries placed.
 */
#include <string.h>
#define XXH_INLINE_ALL
#define XXH_VECTOR 0		/* scalar: the loader runs without SSE */
#include <xxhash.h>
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

/* Index of the first nonzero word of p[0..n), or n. Eight words a round. */
static uint64_t nonzero_word(const uint64_t *p, uint64_t n)
{
	uint64_t i = 0;

	for (; i + 8 <= n; i += 8)
		if (p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] | p[i + 7])
			break;
	for (; i < n; i++)
		if (p[i])
			break;
	return i;
}

static void verify_src(struct check *c, uint64_t dst, uint64_t pages)
{
	if (!c->hash_dst)
		c->hash_dst = dst;
	c->hash = XXH64((const void *)dst, pages * PAGE, c->hash);
}

static int verify_page(struct check *c, uint64_t i, uint64_t pa, uint64_t want)
{
	if (c->hash != want)
		panic("verify", "list page %lu at 0x%lx: its copies from dst 0x%lx on hash to 0x%016lx, expected 0x%016lx",
		      (unsigned long)i, (unsigned long)pa, (unsigned long)c->hash_dst,
		      (unsigned long)c->hash, (unsigned long)want);
	c->hash = 0;
	c->hash_dst = 0;
	return 0;
}

void place_verify(struct check *c)
{
	struct chain_ops ops = { .src = verify_src, .page_end = verify_page };
	uint64_t zbytes = 0;

	c->hash = c->hash_dst = 0;
	if (chain_walk(c, &ops))
		panic("verify", "%s", c->msg);
	/* Zero runs: every byte compared with zero, which is exact and, under
	 * emulation, about twice as fast as hashing. */
	for (uint64_t i = 0; i < c->nzero; i++) {
		const uint64_t *p = (const uint64_t *)c->zero[i].dst;
		uint64_t n = c->zero[i].pages * PAGE / 8, j = nonzero_word(p, n);

		if (j < n)
			panic("verify", "zero run %lu dst 0x%lx pages %lu: 0x%016lx at 0x%lx is not zero",
			      (unsigned long)i, (unsigned long)c->zero[i].dst,
			      (unsigned long)c->zero[i].pages, (unsigned long)p[j],
			      (unsigned long)(p + j));
		zbytes += c->zero[i].pages * PAGE;
	}
	step_log(STEP_VERIFY, "%lu list pages: %lu KiB hashed, %lu KiB checked zero, all match; %lu KiB claimed, left as found",
		 (unsigned long)c->nlist, (unsigned long)(c->pages * PAGE - zbytes) >> 10,
		 (unsigned long)(zbytes >> 10), (unsigned long)(c->claim_pages * PAGE) >> 10);
}
