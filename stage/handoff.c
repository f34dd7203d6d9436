/* SPDX-License-Identifier: MIT */
/*
 * The last steps: the loader blob in a region of its own, the handoff page, the
 * list pages (single pages from the allocator, none a destination), the work
 * area proposed in RAM that will be free at the jump, and the loader's own
 * validator run on the result, step by step as the loader runs it.
 */
#include <string.h>
#include "core/check.h"
#include "core/crc32.h"
#include "core/layout.h"
#include "core/memmap.h"
#include "stage/stage_int.h"

#define PAGE		BATON_PAGE_SIZE
#define LIST_ENTRIES	(BATON_LIST_WORDS - BATON_LIST_FIRST)

static int alloc_page(struct stage *s, uint64_t pages, uint32_t purpose, const char *what,
		      uint64_t *pa)
{
	int err = s->env->alloc(s->env->ctx, pages, purpose, 0, pa);

	if (err)
		return stage_fail(s, STAGE_E_NOMEM, "allocator: no %lu KiB for the %s (%d)",
				  (unsigned long)(pages * PAGE >> 10), what, err);
	if (*pa % PAGE)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator returned unaligned %s 0x%lx",
				  what, (unsigned long)*pa);
	return 0;
}

/*
 * A page the stage already wrote for the loader, handed out again: refused before
 * it is written over (a list page on the handoff page would leave a header whose
 * memory range count is a list word).
 */
static int stage_reused(struct stage *s, const char *what, uint64_t pa)
{
	const struct stage_result *res = s->res;

	if (pa - res->loader_base < res->loader_size)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator handed out a page twice: %s 0x%lx lies in the loader region 0x%lx-0x%lx",
				  what, (unsigned long)pa, (unsigned long)res->loader_base,
				  (unsigned long)(res->loader_base + res->loader_size));
	if (s->h && pa == res->handoff)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator handed out a page twice: %s 0x%lx is the handoff page",
				  what, (unsigned long)pa);
	return 0;
}

int stage_place_loader(struct stage *s)
{
	struct stage_result *res = s->res;
	struct baton_blob_header *copy;
	uint64_t base;
	int err;

	res->loader_size = s->blob->mem_size;
	err = alloc_page(s, res->loader_size / PAGE, STAGE_FOR_LOADER, "loader region", &base);
	if (err)
		return err;
	copy = s->env->map(s->env->ctx, base, s->blob->image_size);
	memcpy(copy, s->blob, s->blob->image_size);
	copy->con_port = s->rq->console.kind == BATON_CON_UART_IO ? s->rq->console.port : 0;
	copy->exit_port = s->rq->exit_port;
	res->loader_base = base;
	res->entry = base + s->blob->entry64;
	return 0;
}

/* The entry: CPU mode and registers (docs/entry.md has each convention); with
 * h, the handoff's timings slot too. Laid-out runs bring their own. */
void stage_entry(struct stage *s, struct baton_entry *e, struct baton_handoff *h)
{
	struct stage_result *res = s->res;
	uint64_t *r = e->regs;

	if (s->rq->runs) {
		*e = s->rq->run_entry;
		res->timings = s->rq->run_timings;
	} else if (s->is_linux) {
		/* Linux boot protocol: RSI / ESI = the zero page; the rest zero. */
		e->addr = s->img->entry;
		e->mode = s->rq->linux_entry == STAGE_LINUX_32 ? BATON_MODE_PROT32 :
			  BATON_MODE_LONG64;
		r[BATON_REG_RSI] = s->lay.boot;
		res->bootinfo = s->lay.boot;
		res->initrd = s->lay.initrd;
	} else {
		/* baton's ELF convention: RDI / EDI = the boot info FDT. */
		e->addr = s->img->entry;
		e->mode = s->img->kind == FMT_KIND_ELF32 ? BATON_MODE_PROT32 : BATON_MODE_LONG64;
		r[BATON_REG_RDI] = s->fdt_dst;
		res->timings = s->fdt_dst + s->fdt_timings_off;
		res->bootinfo = s->fdt_dst;
	}
	if (h && res->timings) {
		h->timings_addr = res->timings;
		h->timings_count = BATON_TIMING_COUNT;
	}
	res->launch = *e;
	res->mode = e->mode;
	res->image_entry = e->addr;
}

int stage_write_handoff(struct stage *s)
{
	const struct stage_request *rq = s->rq;
	struct stage_result *res = s->res;
	struct baton_handoff *h;
	struct baton_blob_header *bh;
	uint64_t pa;
	int err = alloc_page(s, 1, STAGE_FOR_HANDOFF, "handoff page", &pa);

	if (!err)
		err = stage_reused(s, "handoff page", pa);
	if (err)
		return err;
	h = s->env->map(s->env->ctx, pa, PAGE);
	memset(h, 0, PAGE);
	h->magic = BATON_HANDOFF_MAGIC;
	h->version = BATON_HANDOFF_VERSION;
	h->header_size = sizeof(*h);
	h->mem_count = (uint32_t)s->nmap;
	memcpy(h + 1, s->map, s->nmap * sizeof(*s->map));
	h->hash_alg = BATON_HASH_XXH64;
	stage_entry(s, &h->entry, h);
	h->console = rq->console;
	h->reset = rq->reset;
	if (!h->reset.delay_ms)
		h->reset.delay_ms = BATON_RESET_DELAY_MS;
	h->loader_base = res->loader_base;
	h->loader_size = res->loader_size;
	h->tsc_khz = rq->tsc_khz;
	h->exit_port = rq->exit_port;
	h->test_flags = rq->test_flags;
	s->h = h;

	/* Hooks that cannot pass RDI find the handoff in the blob's header. */
	bh = s->env->map(s->env->ctx, res->loader_base, sizeof(*bh));
	bh->handoff = pa;
	res->handoff = pa;
	return 0;
}

/* The list page's hash word (core/verify.c), from the sources: the bytes the
 * loader must find at the destinations. */
static uint64_t list_hash(struct stage *s, const uint64_t *w, uint64_t n)
{
	uint64_t h = 0;

	for (uint64_t i = 0; i < n; i++)
		if (BATON_L_KIND(w[i]) == BATON_L_SRC) {
			uint64_t bytes = BATON_L_SRC_PAGES(w[i]) * PAGE;

			h = check_hash(h, s->env->map(s->env->ctx, BATON_L_ADDR(w[i]), bytes), bytes);
		}
	return h;
}

/* Single pages from the allocator, none a destination; then linked and filled. */
int stage_write_lists(struct stage *s)
{
	uint64_t n = (s->list.n + LIST_ENTRIES - 1) / LIST_ENTRIES;

	s->list_pa = stage_tmp_keep(s, n * sizeof(*s->list_pa));
	if (!s->list_pa)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for %lu list pages",
				  (unsigned long)n);
	uint32_t most = s->rq->list_tries ? s->rq->list_tries : STAGE_LIST_TRIES;

	for (s->nlist = 0; s->nlist < n; s->nlist++) {
		uint64_t *pa = &s->list_pa[s->nlist];
		int err = 0;

		/* A page that is a destination would be overwritten before the last
		 * walk: set it aside (the caller still owns it) and ask again, as
		 * kexec's kimage_alloc_page() does. */
		for (uint32_t tries = 0; !err; tries++) {
			err = alloc_page(s, 1, STAGE_FOR_LIST, "list page", pa);
			if (!err)
				err = stage_reused(s, "list page", *pa);
			if (!err && !stage_meets_dst(s, *pa))
				break;
			if (!err && tries + 1 == most)
				return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator returned %u list pages in a row that are destinations (the last 0x%lx)",
						  most, (unsigned long)*pa);
		}
		if (err)
			return err;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *w = s->env->map(s->env->ctx, s->list_pa[i], PAGE);
		uint64_t at = i * LIST_ENTRIES;
		uint64_t k = s->list.n - at < LIST_ENTRIES ? s->list.n - at : LIST_ENTRIES;

		memset(w, 0, PAGE);
		w[0] = (i + 1 < n ? s->list_pa[i + 1] : 0) | BATON_LIST_MARK;
		memcpy(w + BATON_LIST_FIRST, s->list.words + at, k * sizeof(*w));
		w[1] = list_hash(s, w + BATON_LIST_FIRST, k);
	}
	s->h->chain = n ? s->list_pa[0] : 0;
	s->h->chain_pages = n;
	stage_seal(s->h, s->env);			/* the chain's CRC */
	s->res->list_pages = n;
	s->res->list_words = s->list.n;
	return 0;
}

static const uint64_t *stage_page(void *ctx, uint64_t pa)
{
	const struct stage_env *env = ctx;

	return env->map(env->ctx, pa, PAGE);
}

/* The loader's validator, set up as the loader sets it up. */
static struct check *check_new(struct stage *s, int no_work)
{
	struct check *c = stage_tmp_keep(s, sizeof(*c));

	if (c) {
		memset(c, 0, sizeof(*c));
		c->h = s->h;
		c->h_pa = s->res->handoff;
		c->self_base = s->res->loader_base;
		c->self_size = s->res->loader_size;
		c->page_ptr = stage_page;
		c->ctx = (void *)s->env;
		c->keep = s->rq->keep;
		c->nkeep = s->rq->keep_count;
		c->no_work = no_work;
	}
	return c;
}

/* A refusal of the validator as the stage reports it. */
static int check_refused(struct stage *s, const struct check *c, int err)
{
	if (err == CHECK_E_OVERLAP || err == CHECK_E_SELF)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator handed out a page twice: %s", c->msg);
	if (err == CHECK_E_NOSPOT)
		return stage_fail(s, STAGE_E_NO_WORK, "%s", c->msg);
	return stage_fail(s, STAGE_E_SELF_CHECK, "loader check: %s", c->msg);
}

/*
 * What the loader will need, and where: the run counts from a walk of the lists,
 * the plan's pieces from the planner's own count, the work area's size from
 * core/layout.c and its place from the validator's free-space search over
 * everything the lists, the loader and the caller's keep ranges hold.
 */
int stage_size_work(struct stage *s)
{
	struct baton_handoff *h = s->h;
	struct chain_ops none = { 0 };
	struct check *c = check_new(s, 1);
	uint64_t pieces, base;
	void *work;
	int err;

	if (!c)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the loader's checks");
	h->crc32 = crc32_handoff(h);
	err = check_header(c);
	if (!err)
		err = chain_walk(c, &none);
	if (err)
		return check_refused(s, c, err);
	h->copy_runs = c->ncopy;
	h->zero_runs = c->nzero;
	h->claim_runs = c->nclaim;
	h->crc32 = crc32_handoff(h);
	err = check_header(c);
	work = err ? NULL : stage_tmp_keep(s, c->work.size);
	if (!err && !work)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for a %lu KiB work area",
				  (unsigned long)(c->work.size >> 10));
	if (!err)
		err = check_collect(c, work);
	if (!err)
		err = check_runs(c);
	if (err)
		return check_refused(s, c, err);
	work = stage_tmp_keep(s, plan_count_work_size(c->ncopy));
	if (!work)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for planning");
	err = plan_count(c->copy, c->ncopy, work, plan_count_work_size(c->ncopy), &pieces);
	if (err)
		return stage_fail(s, err, "planner: %s", plan_strerror(err));
	h->plan_pieces = pieces;
	if (work_layout(h, s->map, &c->work))
		return stage_fail(s, STAGE_E_TOO_BIG, "the loader's work area would overflow");
	err = check_find_spot(c, c->work.size, 1ull << 20, "the loader's work area", &base);
	if (err)
		return check_refused(s, c, err);
	h->work_base = base;
	h->work_size = c->work.size;
	h->crc32 = crc32_handoff(h);
	s->res->work_base = base;
	s->res->work_size = c->work.size;
	return 0;
}

/*
 * The finished handoff through the loader's own steps (loader/main.c), on
 * simulated memory: whatever the loader would refuse is refused here, before
 * any jump. It also catches an allocator that handed out a page twice.
 */
int stage_self_check(struct stage *s)
{
	struct stage_result *res = s->res;
	struct check *c = check_new(s, 0);
	uint64_t move_to, tramp;
	void *work = NULL;
	int err;

	if (!c)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the self check");
	err = check_header(c);
	if (!err)
		err = check_chain(c);
	if (!err)
		err = check_unchanged(c);
	if (!err) {
		work = stage_tmp_keep(s, c->work.size);
		if (!work)
			return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the self check");
		err = check_collect(c, work);
	}
	if (!err)
		err = check_runs(c);
	if (!err)
		err = check_places(c, &move_to, &tramp);
	if (err)
		return check_refused(s, c, err);
	err = plan_execute(c->copy, c->ncopy, c->zero, c->nzero, c->mem, c->work.mem_bytes,
			   NULL, &res->plan);
	if (err)
		return stage_fail(s, err, "planner: %s", plan_strerror(err));
	res->copy_runs = c->ncopy;
	res->zero_runs = c->nzero;
	res->claim_runs = c->nclaim;
	res->image_pages = c->pages;
	res->claim_pages = c->claim_pages;
	return 0;
}
