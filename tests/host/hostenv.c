/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine of hostenv.h: an arena, a memory map, an allocator with
 * strategies and fault injection, and plan_mem callbacks over the arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/hostenv.h"

#define PAGE	HOSTENV_PAGE
#define MIB	(1ull << 20)

static uint64_t pg_floor(uint64_t a)
{
	return a & ~(PAGE - 1);
}

/* One arena kept for the next hostenv_init() (see there). */
static uint8_t *spare;
static uint64_t spare_size;

static void hostenv_die(const char *what, uint64_t pa, uint64_t len)
{
	fprintf(stderr, "hostenv: %s: physical 0x%llx+0x%llx\n", what,
		(unsigned long long)pa, (unsigned long long)len);
	abort();
}

/* xorshift64*: small, seeded, the same on every host. */
static uint64_t hostenv_rand(struct hostenv *e)
{
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 0x2545f4914f6cdd1dull;
}

int hostenv_contains(const struct hostenv *e, uint64_t pa, uint64_t len)
{
	return pa >= e->base && len <= e->size && pa - e->base <= e->size - len;
}

void *hostenv_ptr(const struct hostenv *e, uint64_t pa, uint64_t len)
{
	if (!hostenv_contains(e, pa, len))
		hostenv_die("address outside the arena", pa, len);
	return e->arena + (pa - e->base);
}

static void hostenv_add_range(struct hostenv *e, uint64_t base, uint64_t end, uint32_t type)
{
	if (end <= base)
		return;
	e->mem[e->nmem++] = (struct baton_mem_range){ .base = base, .size = end - base,
						      .type = type };
}

static int run_free(const struct hostenv *e, uint64_t i, uint64_t n)
{
	if (i + n > e->npages)
		return 0;
	for (uint64_t k = 0; k < n; k++)
		if (e->state[i + k] != HOSTENV_FREE)
			return 0;
	return 1;
}

/* First (or, reverse, last) free run of n pages in page indices [lo, hi) that does
 * not meet [skip_lo, skip_hi). Returns the index or UINT64_MAX. */
static uint64_t find_run(const struct hostenv *e, uint64_t n, uint64_t lo, uint64_t hi,
			 uint64_t skip_lo, uint64_t skip_hi, int reverse)
{
	if (hi > e->npages)
		hi = e->npages;
	if (n == 0 || hi < n || lo > hi - n)
		return UINT64_MAX;
	for (uint64_t k = 0; k <= hi - n - lo; k++) {
		uint64_t i = reverse ? hi - n - k : lo + k;

		if (i < skip_hi && i + n > skip_lo)
			continue;
		if (run_free(e, i, n))
			return i;
	}
	return UINT64_MAX;
}

static uint64_t pick_random(struct hostenv *e, uint64_t n)
{
	for (int tries = 0; tries < 10000; tries++) {
		uint64_t i = hostenv_rand(e) % e->npages;

		if (run_free(e, i, n))
			return i;
	}
	return find_run(e, n, 0, e->npages, 0, 0, 0);
}

/* A free run of n pages whose neighbours were not handed out either. */
static int run_apart(const struct hostenv *e, uint64_t i, uint64_t n)
{
	return run_free(e, i, n) && (i == 0 || e->state[i - 1] != HOSTENV_USED) &&
	       (i + n == e->npages || e->state[i + n] != HOSTENV_USED);
}

static uint64_t pick_apart(struct hostenv *e, uint64_t n)
{
	for (int tries = 0; tries < 10000; tries++) {
		uint64_t i = hostenv_rand(e) % e->npages;

		if (run_apart(e, i, n))
			return i;
	}
	for (uint64_t i = 0; i + n <= e->npages; i++)
		if (run_apart(e, i, n))
			return i;
	return UINT64_MAX;
}

static uint64_t pick(struct hostenv *e, uint64_t pages, uint32_t purpose, uint64_t dst)
{
	uint64_t lo = (e->dst_lo - e->base) / PAGE, hi = (e->dst_hi - e->base) / PAGE;

	if (!e->dst_hi)
		lo = hi = 0;
	switch (e->strategy) {
	case HOSTENV_CONTIGUOUS:
		return find_run(e, pages, 0, e->npages, 0, 0, 0);
	case HOSTENV_REVERSE:
		return find_run(e, pages, 0, e->npages, 0, 0, 1);
	case HOSTENV_SCATTERED:
		return pick_random(e, pages);
	case HOSTENV_WORST:
		if (purpose == STAGE_FOR_SOURCE && pages == 1 && e->perm &&
		    dst >= e->dst_lo && dst < e->dst_hi) {
			uint64_t i = lo + e->perm[(dst - e->dst_lo) / PAGE];

			return run_free(e, i, 1) ? i : UINT64_MAX;
		}
		return find_run(e, pages, 0, e->npages, lo, hi, 0);
	case HOSTENV_LOADER_IN_DST:
		if (purpose == STAGE_FOR_SOURCE || purpose == STAGE_FOR_LIST)
			return find_run(e, pages, 0, e->npages, lo, hi, 0);
		return find_run(e, pages, lo, hi, 0, 0, 0);
	case HOSTENV_FRAGMENTED:
		return pick_apart(e, pages);
	default:
		return UINT64_MAX;
	}
}

/* Free destination pages as `to` (from `from`): HOSTENV_HIDDEN while a list page
 * is picked, so that no strategy picks one. */
static void dst_pages_set(struct hostenv *e, uint8_t from, uint8_t to)
{
	for (uint32_t r = 0; r < e->ndst; r++)
		for (uint64_t a = pg_floor(e->dst[r].base); a < e->dst[r].end; a += PAGE)
			if (hostenv_contains(e, a, PAGE) && e->state[(a - e->base) / PAGE] == from)
				e->state[(a - e->base) / PAGE] = to;
}

static int hostenv_alloc(void *ctx, uint64_t pages, uint32_t purpose, uint64_t dst,
			 uint64_t *pa)
{
	struct hostenv *e = ctx;
	uint64_t i;

	e->alloc_calls++;
	if (purpose < sizeof(e->calls_by) / sizeof(e->calls_by[0]))
		e->calls_by[purpose]++;
	if (e->fail_at == e->alloc_calls)
		return -12;
	if (e->reuse_at == e->alloc_calls && e->last_pa) {
		*pa = e->last_pa;
		return 0;
	}
	if (purpose == STAGE_FOR_LIST)
		dst_pages_set(e, HOSTENV_FREE, HOSTENV_HIDDEN);
	i = pick(e, pages, purpose, dst);
	if (purpose == STAGE_FOR_LIST)
		dst_pages_set(e, HOSTENV_HIDDEN, HOSTENV_FREE);
	if (i == UINT64_MAX)
		return -12;
	memset(e->state + i, HOSTENV_USED, pages);
	e->pages_out += pages;
	*pa = e->base + i * PAGE;
	e->last_pa = *pa;
	if (e->misalign_at == e->alloc_calls)
		*pa += 0x800;
	return 0;
}

/* Only pages the allocator handed out may be mapped. */
static void *hostenv_map(void *ctx, uint64_t pa, uint64_t len)
{
	struct hostenv *e = ctx;
	uint8_t *p = hostenv_ptr(e, pa, len ? len : 1);

	for (uint64_t a = pa & ~(PAGE - 1); a < pa + len; a += PAGE)
		if (e->state[(a - e->base) / PAGE] != HOSTENV_USED)
			hostenv_die("stage mapped a page the allocator did not hand out", pa, len);
	return p;
}

static void *hostenv_tmp_alloc(void *ctx, uint64_t bytes)
{
	struct hostenv *e = ctx;
	void *p = malloc(bytes);

	if (p) {
		e->tmp_live++;
		e->tmp_calls++;
	}
	return p;
}

static void hostenv_tmp_free(void *ctx, void *p, uint64_t bytes)
{
	struct hostenv *e = ctx;

	(void)bytes;
	if (p)
		e->tmp_live--;
	free(p);
}

void hostenv_init(struct hostenv *e, uint64_t size, enum hostenv_strategy s, uint64_t seed)
{
	uint64_t top = HOSTENV_PHYS_BASE + size;

	memset(e, 0, sizeof(*e));
	e->base = HOSTENV_PHYS_BASE;
	e->size = size;
	e->npages = size / PAGE;
	/* reuse the last arena: fresh 64 MiB mappings cost page faults every time */
	if (spare && spare_size == size) {
		e->arena = spare;
		spare = NULL;
	} else {
		e->arena = malloc(size);
	}
	e->state = malloc(e->npages);
	if (!e->arena || !e->state)
		hostenv_die("out of host memory", 0, size);
	memset(e->arena, HOSTENV_FILL, size);
	e->strategy = s;
	e->rng = seed * 0x9e3779b97f4a7c15ull + 1;

	hostenv_add_range(e, 16 * MIB, 40 * MIB, BATON_MEM_USABLE);
	hostenv_add_range(e, 40 * MIB, 41 * MIB, BATON_MEM_RESERVED);
	hostenv_add_range(e, 41 * MIB, 60 * MIB, BATON_MEM_USABLE);
	hostenv_add_range(e, 60 * MIB, 61 * MIB, BATON_MEM_NEVER_TOUCH);
	hostenv_add_range(e, 61 * MIB, top, BATON_MEM_USABLE);

	memset(e->state, HOSTENV_NOT_RAM, e->npages);
	for (uint64_t r = 0; r < e->nmem; r++)
		if (e->mem[r].type == BATON_MEM_USABLE)
			for (uint64_t a = e->mem[r].base; a < e->mem[r].base + e->mem[r].size &&
			     a < top; a += PAGE)
				e->state[(a - e->base) / PAGE] = HOSTENV_FREE;
	for (uint64_t r = 0; r < e->nmem; r++)
		if (e->mem[r].type != BATON_MEM_USABLE)
			for (uint64_t a = e->mem[r].base; a < e->mem[r].base + e->mem[r].size &&
			     a < top; a += PAGE)
				e->state[(a - e->base) / PAGE] = HOSTENV_NOT_RAM;

	e->env.ctx = e;
	e->env.alloc = hostenv_alloc;
	e->env.map = hostenv_map;
	e->env.tmp_alloc = hostenv_tmp_alloc;
	e->env.tmp_free = hostenv_tmp_free;
}

void hostenv_fini(struct hostenv *e)
{
	free(spare);
	spare = e->arena;
	spare_size = e->size;
	free(e->state);
	free(e->perm);
	memset(e, 0, sizeof(*e));
}

/*
 * Worst case: the source of destination page i is destination page perm[i], with
 * perm a derangement: pages 0 and 1 swap (a 2-cycle when both hold bytes), the
 * rest a random derangement (chains through zero pages, longer cycles).
 */
void hostenv_set_dsts(struct hostenv *e, uint64_t lo, uint64_t hi)
{
	uint64_t n = (hi - lo) / PAGE;

	e->dst_lo = lo;
	e->dst_hi = hi;
	if (e->strategy != HOSTENV_WORST)
		return;
	if (n < 4)
		hostenv_die("worst case needs at least 4 destination pages", lo, hi - lo);
	free(e->perm);
	e->perm = malloc(n * sizeof(*e->perm));
	if (!e->perm)
		hostenv_die("out of host memory", 0, n);
	e->perm[0] = 1;
	e->perm[1] = 0;
	for (uint64_t i = 2; i < n; i++)
		e->perm[i] = i;
	for (uint64_t i = n - 1; i > 2; i--) {
		uint64_t j = 2 + hostenv_rand(e) % (i - 1);
		uint64_t t = e->perm[i];

		e->perm[i] = e->perm[j];
		e->perm[j] = t;
	}
	/* no fixed points: swap each with its neighbour in 2..n-1, cyclically */
	for (uint64_t i = 2; i < n; i++) {
		if (e->perm[i] == i) {
			uint64_t j = i + 1 < n ? i + 1 : 2;
			uint64_t t = e->perm[i];

			e->perm[i] = e->perm[j];
			e->perm[j] = t;
		}
	}
}

void hostenv_add_dst(struct hostenv *e, uint64_t base, uint64_t end)
{
	if (e->ndst == HOSTENV_MAX_DST)
		hostenv_die("more destinations than HOSTENV_MAX_DST", base, end - base);
	e->dst[e->ndst].base = base;
	e->dst[e->ndst++].end = end;
}

void hostenv_clear_dst(struct hostenv *e)
{
	e->ndst = 0;
}

static void plan_check_write(struct hostenv_plan *p, uint64_t dst, uint64_t pages)
{
	struct hostenv *e = p->e;

	hostenv_ptr(e, dst, pages * PAGE);
	if (!p->writable)
		return;
	for (uint64_t k = 0; k < pages; k++)
		if (!p->writable[(dst - e->base) / PAGE + k] && !p->bad_write)
			p->bad_write = dst + k * PAGE;
}

static void plan_move(void *ctx, uint64_t dst, uint64_t src, uint64_t pages)
{
	struct hostenv_plan *p = ctx;

	plan_check_write(p, dst, pages);
	memmove(hostenv_ptr(p->e, dst, pages * PAGE), hostenv_ptr(p->e, src, pages * PAGE),
		pages * PAGE);
	p->moves++;
}

static void plan_zero(void *ctx, uint64_t dst, uint64_t pages)
{
	struct hostenv_plan *p = ctx;

	plan_check_write(p, dst, pages);
	memset(hostenv_ptr(p->e, dst, pages * PAGE), 0, pages * PAGE);
	p->zeros++;
}

static void plan_save(void *ctx, uint64_t src)
{
	struct hostenv_plan *p = ctx;

	memcpy(p->scratch, hostenv_ptr(p->e, src, PAGE), PAGE);
	p->saves++;
}

static void plan_restore(void *ctx, uint64_t dst)
{
	struct hostenv_plan *p = ctx;

	plan_check_write(p, dst, 1);
	memcpy(hostenv_ptr(p->e, dst, PAGE), p->scratch, PAGE);
	p->restores++;
}

void hostenv_plan_init(struct hostenv_plan *p, struct hostenv *e, struct plan_mem *mem,
		       uint64_t scratch_pa)
{
	memset(p, 0, sizeof(*p));
	p->e = e;
	p->own_scratch = !scratch_pa;
	p->scratch = scratch_pa ? hostenv_ptr(e, scratch_pa, PAGE) : malloc(PAGE);
	if (!p->scratch)
		hostenv_die("out of host memory", 0, PAGE);
	mem->ctx = p;
	mem->move = plan_move;
	mem->zero = plan_zero;
	mem->save = plan_save;
	mem->restore = plan_restore;
	mem->planned = NULL;
}

void hostenv_plan_fini(struct hostenv_plan *p)
{
	if (p->own_scratch)
		free(p->scratch);
	p->scratch = NULL;
}
