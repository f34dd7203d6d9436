/* SPDX-License-Identifier: MIT */
/*
 * The last two steps: the loader region (blob image, then room for its bss and
 * work area, sized by loader/layout.c exactly as the loader will carve it), and
 * the handoff itself, filled and sealed.
 */
#include <string.h>
#include "loader/check.h"
#include "loader/layout.h"
#include "stage/stage_int.h"

#define PAGE	BATON_PAGE_SIZE


int stage_place_loader(struct stage *s)
{
	struct stage_result *res = s->res;
	struct work_layout wl;
	struct baton_blob_header *copy;
	uint64_t base;
	int err;

	if (work_layout(s->rq->mem, s->rq->mem_count, s->ncopy, s->nzero, s->pieces, &wl))
		return stage_fail(s, STAGE_E_TOO_BIG, "loader work area would overflow");
	res->loader_size = s->blob->mem_size + wl.size;
	err = s->env->alloc(s->env->ctx, res->loader_size / PAGE, STAGE_FOR_LOADER, 0, &base);
	if (err)
		return stage_fail(s, STAGE_E_NOMEM, "allocator: no %lu KiB for the loader region (%d)",
				  (unsigned long)(res->loader_size >> 10), err);
	if (base % PAGE)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator returned unaligned loader region 0x%lx",
				  (unsigned long)base);
	copy = s->env->map(s->env->ctx, base, s->blob->image_size);
	memcpy(copy, s->blob, s->blob->image_size);
	copy->con_port = s->rq->console.kind == BATON_CON_UART_IO ? s->rq->console.port : 0;
	copy->exit_port = s->rq->exit_port;
	res->loader_base = base;
	res->entry = base + s->blob->entry64;
	return 0;
}

/* The entry convention and its arguments (docs/entry.md). */
static void stage_entry(struct stage *s, struct baton_handoff *h)
{
	struct stage_result *res = s->res;

	h->entry.addr = s->img->entry;
	if (s->is_linux) {
		h->entry.convention = s->rq->linux_entry == STAGE_LINUX_32 ?
				      BATON_ENTRY_LINUX32 : BATON_ENTRY_LINUX64;
		h->entry.args[1] = s->lay.boot;		/* the zero page: RSI / ESI */
		res->bootinfo = s->lay.boot;
		res->initrd = s->lay.initrd;
	} else {
		h->entry.convention = s->img->kind == FMT_KIND_ELF32 ? BATON_ENTRY_ELF32 :
				      BATON_ENTRY_ELF64;
		h->entry.args[0] = s->fdt_dst;		/* the boot info: RDI / EDI */
		h->timings_addr = s->fdt_dst + s->fdt_timings_off;
		h->timings_count = BATON_TIMING_COUNT;
		res->bootinfo = s->fdt_dst;
	}
	res->convention = h->entry.convention;
	res->image_entry = h->entry.addr;
}

int stage_write_handoff(struct stage *s)
{
	const struct stage_request *rq = s->rq;
	struct stage_result *res = s->res;
	uint64_t mem_off = sizeof(struct baton_handoff);
	uint64_t copy_off = mem_off + rq->mem_count * sizeof(struct baton_mem_range);
	uint64_t zero_off = copy_off + s->ncopy * sizeof(struct baton_copy_run);
	uint64_t total = zero_off + s->nzero * sizeof(struct baton_zero_run);
	struct baton_handoff *h;
	struct baton_blob_header *bh;
	uint64_t pa;
	int err;

	err = s->env->alloc(s->env->ctx, pg_up(total) / PAGE, STAGE_FOR_HANDOFF, 0, &pa);
	if (err)
		return stage_fail(s, STAGE_E_NOMEM, "allocator: no %lu KiB for the handoff (%d)",
				  (unsigned long)(pg_up(total) >> 10), err);
	if (pa % PAGE)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator returned unaligned handoff 0x%lx",
				  (unsigned long)pa);
	h = s->env->map(s->env->ctx, pa, total);
	memset(h, 0, sizeof(*h));
	h->magic = BATON_HANDOFF_MAGIC;
	h->version = BATON_HANDOFF_VERSION;
	h->header_size = sizeof(*h);
	h->mem_off = mem_off;
	h->mem_count = rq->mem_count;
	h->copy_off = copy_off;
	h->copy_count = s->ncopy;
	h->zero_off = zero_off;
	h->zero_count = s->nzero;
	memcpy((uint8_t *)h + mem_off, rq->mem, rq->mem_count * sizeof(struct baton_mem_range));
	memcpy((uint8_t *)h + copy_off, s->copy, s->ncopy * sizeof(struct baton_copy_run));
	memcpy((uint8_t *)h + zero_off, s->zero, s->nzero * sizeof(struct baton_zero_run));
	stage_entry(s, h);
	h->console = rq->console;
	h->loader_base = res->loader_base;
	h->loader_size = res->loader_size;
	h->work_off = s->blob->mem_size;
	h->plan_pieces = s->pieces;
	h->tsc_khz = rq->tsc_khz;
	h->hash_alg = BATON_HASH_XXH64;
	h->exit_port = rq->exit_port;
	h->test_flags = rq->test_flags;
	h->reset = rq->reset;
	if (!h->reset.delay_ms)
		h->reset.delay_ms = BATON_RESET_DELAY_MS;
	stage_seal(h);
	s->h = h;

	/* Hooks that cannot pass RDI find the handoff in the blob's header. */
	bh = s->env->map(s->env->ctx, res->loader_base, sizeof(*bh));
	bh->handoff = pa;

	res->handoff = pa;
	res->copy_runs = s->ncopy;
	res->zero_runs = s->nzero;
	res->image_pages = s->dst_pages;
	return 0;
}

/*
 * The finished handoff through the loader's own validator (loader/check.c), so
 * whatever the loader would refuse is refused here, before any jump. It also
 * catches an allocator that handed out a page twice: two sources overlap, or a
 * source lies in the loader region.
 */
int stage_self_check(struct stage *s)
{
	struct check *c = stage_tmp_keep(s, sizeof(*c));
	int err;

	if (!c)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the self check");
	memset(c, 0, sizeof(*c));
	c->h = s->h;
	c->self_base = s->res->loader_base;
	c->self_size = s->res->loader_size;
	c->h_pa = s->res->handoff;
	c->work_bytes = check_work_size(s->ncopy, s->nzero, s->rq->mem_count);
	c->work = stage_tmp_keep(s, c->work_bytes);
	if (!c->work)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the self check");
	err = check_header(c);
	if (!err)
		err = check_runs(c);
	if (err == CHECK_E_OVERLAP || err == CHECK_E_SELF)
		return stage_fail(s, STAGE_E_ALLOC_BAD, "allocator handed out a page twice: %s", c->msg);
	if (err)
		return stage_fail(s, STAGE_E_SELF_CHECK, "loader check: %s", c->msg);
	return 0;
}
