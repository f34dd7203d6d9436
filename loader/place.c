/* SPDX-License-Identifier: MIT */
/*
 * Placing the image: the planner (loader/plan.c) decides the order, these
 * callbacks touch real memory (identity-mapped, so a physical address is a
 * pointer), and place_verify() hashes every run at its destination.
 */
#include <string.h>
#define XXH_INLINE_ALL
#define XXH_VECTOR 0		/* scalar: the loader runs without SSE */
#include <xxhash.h>
#include "loader/check.h"
#include "loader/loader.h"
#include "loader/plan.h"

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

static void place_fail(const char *what, int err)
{
	panic("plan", "%s: %s (%lu copy runs, %lu pieces expected, work area %lu bytes)", what,
	      plan_strerror(err), (unsigned long)L.h->copy_count,
	      (unsigned long)L.h->plan_pieces, (unsigned long)L.work.mem_bytes);
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
void place_all(void)
{
	const struct baton_handoff *h = L.h;
	struct plan_mem mem = {
		.ctx = L.work_mem + L.work.scratch_off,
		.move = mem_move, .zero = mem_zero, .save = mem_save, .restore = mem_restore,
		.planned = place_planned,
	};
	struct plan_stats st;
	int err;

	err = plan_execute(handoff_copy(h), h->copy_count, handoff_zero(h), h->zero_count,
			   L.work_mem + L.work.mem_off, L.work.mem_bytes, &mem, &st);
	if (err)
		place_fail("planning", err);
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

void place_verify(void)
{
	const struct baton_handoff *h = L.h;
	const struct baton_copy_run *cr = handoff_copy(h);
	const struct baton_zero_run *zr = handoff_zero(h);
	uint64_t bytes = 0, zbytes = 0;

	for (uint64_t i = 0; i < h->copy_count; i++) {
		uint64_t got = XXH64((const void *)cr[i].dst, cr[i].pages * PAGE, 0);

		if (got != cr[i].hash)
			panic("verify", "copy run %lu dst 0x%lx pages %lu: hash 0x%016lx, expected 0x%016lx",
			      (unsigned long)i, (unsigned long)cr[i].dst, (unsigned long)cr[i].pages,
			      (unsigned long)got, (unsigned long)cr[i].hash);
		bytes += cr[i].pages * PAGE;
	}
	/* Zero runs: every byte compared with zero, which is exact and, under
	 * emulation, about twice as fast as hashing (a kernel's init_size tail is
	 * tens of MiB). */
	for (uint64_t i = 0; i < h->zero_count; i++) {
		const uint64_t *p = (const uint64_t *)zr[i].dst;
		uint64_t n = zr[i].pages * PAGE / 8, j = nonzero_word(p, n);

		if (j < n)
			panic("verify", "zero run %lu dst 0x%lx pages %lu: 0x%016lx at 0x%lx is not zero",
			      (unsigned long)i, (unsigned long)zr[i].dst, (unsigned long)zr[i].pages,
			      (unsigned long)p[j], (unsigned long)(p + j));
		zbytes += zr[i].pages * PAGE;
	}
	step_log(STEP_VERIFY, "%lu runs: %lu KiB hashed, %lu KiB checked zero, all match",
		 (unsigned long)(h->copy_count + h->zero_count), (unsigned long)(bytes >> 10),
		 (unsigned long)(zbytes >> 10));
}
