/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include "tests/host/sim.h"

void sim_alloc(struct sim *s, uint64_t room)
{
	memset(s, 0, sizeof(*s));
	s->room = room;
	s->mem = calloc(room, sizeof(*s->mem));
	s->want = calloc(room, sizeof(*s->want));
	s->writes = calloc(room, sizeof(*s->writes));
	s->role = calloc(room, 1);
	if (!s->mem || !s->want || !s->writes || !s->role)
		abort();
}

void sim_free(struct sim *s)
{
	free(s->mem);
	free(s->want);
	free(s->writes);
	free(s->role);
	memset(s, 0, sizeof(*s));
}

static void sim_fail(struct sim *s, const char *what, uint64_t page)
{
	if (!s->error) {
		s->error = what;
		s->error_page = page;
	}
}

void sim_reset(struct sim *s, uint64_t base, uint64_t npages,
	       const struct plan_run *runs, uint64_t ncopy,
	       const struct plan_zero *zeros, uint64_t nzero)
{
	uint64_t room = s->room;
	uint32_t *mem = s->mem, *want = s->want, *writes = s->writes;
	uint8_t *role = s->role;

	if (npages > room)
		abort();
	memset(s, 0, sizeof(*s));
	s->room = room, s->mem = mem, s->want = want, s->writes = writes, s->role = role;
	s->base = base;
	s->npages = npages;
	for (uint64_t i = 0; i < npages; i++) {
		mem[i] = want[i] = sim_tag(i);
		writes[i] = 0;
		role[i] = SIM_KEEP;
	}
	for (uint64_t r = 0; r < ncopy; r++) {
		uint64_t src = (runs[r].src >> 12) - base, dst = (runs[r].dst >> 12) - base;

		for (uint64_t i = 0; i < runs[r].pages && src != dst; i++) {
			want[dst + i] = sim_tag(src + i);
			role[dst + i] = SIM_COPY;
		}
	}
	for (uint64_t z = 0; z < nzero; z++) {
		uint64_t dst = (zeros[z].dst >> 12) - base;

		for (uint64_t i = 0; i < zeros[z].pages; i++) {
			want[dst + i] = 0;
			role[dst + i] = SIM_ZERO;
		}
	}
}

/* Page index of an address, or npages (and an error) when it is not one of ours. */
static uint64_t sim_page(struct sim *s, uint64_t addr)
{
	uint64_t pfn = addr >> 12;

	if ((addr & 0xfff) || pfn < s->base || pfn - s->base >= s->npages) {
		sim_fail(s, "address outside the simulated memory", addr);
		return s->npages;
	}
	return pfn - s->base;
}

/* Reads page i: it must still hold its original content. */
static uint32_t sim_read(struct sim *s, uint64_t i)
{
	if (s->mem[i] != sim_tag(i))
		sim_fail(s, "page read after it was overwritten", i);
	return s->mem[i];
}

static void sim_write(struct sim *s, uint64_t i, uint32_t tag, enum sim_role as)
{
	if (s->role[i] != as)
		sim_fail(s, as == SIM_ZERO ? "zeroed a page that is not a zero destination"
			 : "wrote a page that is not an out-of-place destination", i);
	if (s->writes[i]++)
		sim_fail(s, "page written twice", i);
	s->mem[i] = tag;
}

/* memmove semantics, one page at a time, in the direction that reads before writing. */
static void sim_move(void *ctx, uint64_t dst, uint64_t src, uint64_t pages)
{
	struct sim *s = ctx;
	uint64_t d = sim_page(s, dst), r = sim_page(s, src);

	s->moves++;
	s->move_pages += pages;
	if (d == s->npages || r == s->npages || !pages ||
	    d + pages > s->npages || r + pages > s->npages) {
		sim_fail(s, "move outside the simulated memory", dst);
		return;
	}
	for (uint64_t k = 0; k < pages; k++) {
		uint64_t i = d > r ? pages - 1 - k : k;

		sim_write(s, d + i, sim_read(s, r + i), SIM_COPY);
	}
}

static void sim_zero(void *ctx, uint64_t dst, uint64_t pages)
{
	struct sim *s = ctx;
	uint64_t d = sim_page(s, dst);

	s->zero_calls++;
	s->zero_pages += pages;
	if (d == s->npages || !pages || d + pages > s->npages) {
		sim_fail(s, "zero outside the simulated memory", dst);
		return;
	}
	for (uint64_t i = 0; i < pages; i++)
		sim_write(s, d + i, 0, SIM_ZERO);
}

static void sim_save(void *ctx, uint64_t src)
{
	struct sim *s = ctx;
	uint64_t r = sim_page(s, src);

	s->saves++;
	if (r == s->npages)
		return;
	if (s->have_scratch)
		sim_fail(s, "scratch page saved over before it was restored", r);
	s->scratch = sim_read(s, r);
	s->have_scratch = 1;
}

static void sim_restore(void *ctx, uint64_t dst)
{
	struct sim *s = ctx;
	uint64_t d = sim_page(s, dst);

	s->restores++;
	if (d == s->npages)
		return;
	if (!s->have_scratch)
		sim_fail(s, "restore without a saved page", d);
	sim_write(s, d, s->scratch, SIM_COPY);
	s->have_scratch = 0;
}

void sim_plan_mem(struct sim *s, struct plan_mem *mem)
{
	mem->ctx = s;
	mem->move = sim_move;
	mem->zero = sim_zero;
	mem->save = sim_save;
	mem->restore = sim_restore;
	mem->planned = NULL;
}

const char *sim_verify(struct sim *s)
{
	for (uint64_t i = 0; i < s->npages && !s->error; i++) {
		if (s->mem[i] != s->want[i])
			sim_fail(s, "page holds the wrong content at the end", i);
		else if (s->role[i] != SIM_KEEP && s->writes[i] != 1)
			sim_fail(s, "destination page never written", i);
	}
	if (!s->error && s->have_scratch)
		sim_fail(s, "a saved page was never restored", 0);
	return s->error;
}
