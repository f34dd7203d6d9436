/* SPDX-License-Identifier: MIT */
/*
 * What every staging shares, whoever laid the image out: errors, scratch
 * memory, the blob header, the memory map made normal and its one "does this
 * range fit" (core/memmap.c), and the sealing steps after the image's pages are
 * listed:
 *
 *   stage_place_loader   the blob in its own few pages, early console patched in
 *   stage_write_handoff  the handoff page: header, entry, memory map
 *   stage_write_lists    the list pages, single pages, linked, hashed
 *   stage_size_work      run counts, plan pieces, and the work area proposed in
 *                        RAM that is free at the jump
 *   stage_self_check     the loader's own steps on the finished handoff
 *
 * No image format here: the kernel hook links this file, stage/runs.c,
 * stage/handoff.c, stage/place.c, stage/list.c, stage/errors.c and core/,
 * not fmt/ (hook/linux/Kbuild).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <baton/blob.h>
#include "core/check.h"
#include "core/crc32.h"
#include "core/memmap.h"
#include "stage/stage_int.h"

#define PAGE		BATON_PAGE_SIZE

int stage_fail(struct stage *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->res->msg, sizeof(s->res->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Scratch memory from the caller, given back by stage_release(). */
void *stage_tmp_keep(struct stage *s, uint64_t bytes)
{
	void *p;

	if (s->ntmp == (int)(sizeof(s->tmp) / sizeof(s->tmp[0])))
		return NULL;
	p = s->env->tmp_alloc(s->env->ctx, bytes ? bytes : 1);
	if (p) {
		s->tmp[s->ntmp].p = p;
		s->tmp[s->ntmp++].bytes = bytes ? bytes : 1;
	}
	return p;
}

void stage_release(struct stage *s)
{
	while (s->ntmp > 0) {
		s->ntmp--;
		s->env->tmp_free(s->env->ctx, s->tmp[s->ntmp].p, s->tmp[s->ntmp].bytes);
	}
}

int stage_check_blob(struct stage *s)
{
	const struct baton_blob_header *b = s->rq->blob;

	if (!b || s->rq->blob_len < sizeof(*b) || b->magic != BATON_BLOB_MAGIC ||
	    b->version != BATON_BLOB_VERSION || b->header_size != sizeof(*b) ||
	    b->image_size > s->rq->blob_len || b->image_size < sizeof(*b) ||
	    b->mem_size < b->image_size || b->mem_size % PAGE ||
	    b->entry64 >= b->image_size)
		return stage_fail(s, STAGE_E_BLOB, "loader blob: bad header (%lu bytes given)",
				  (unsigned long)s->rq->blob_len);
	s->blob = b;
	return 0;
}

/* The request's map made normal in map[] (room for 2n + 1 ranges); 0 or an
 * error with the stage's message. Shared by stage_build(),
 * stage_build_runs() and stage_image_layout(). */
int stage_normal_map(const struct stage_request *rq, struct baton_mem_range *map, uint64_t *n,
		      char *msg, unsigned long msglen)
{
	uint64_t a = 0;
	int err;

	if (!rq->mem || rq->mem_count == 0) {
		stage_format(msg, msglen, "memory map is empty");
		return STAGE_E_MEMMAP;
	}
	err = memmap_normalize(rq->mem, rq->mem_count, map, 2 * rq->mem_count + 1, n, &a);
	if (err) {
		stage_format(msg, msglen,
			     "memory range %lu 0x%lx+0x%lx type %u is unaligned, empty, wraps or has an unknown type",
			     (unsigned long)a, (unsigned long)rq->mem[a].base,
			     (unsigned long)rq->mem[a].size, (unsigned)rq->mem[a].type);
		return STAGE_E_MEMMAP;
	}
	if (*n > BATON_MAP_MAX) {
		stage_format(msg, msglen, "memory map of %lu ranges (after merging) is longer than the handoff page's %u",
			     (unsigned long)*n, BATON_MAP_MAX);
		return STAGE_E_MEMMAP;
	}
	return 0;
}

/* The request's map made normal (core/memmap.h) in scratch memory: what the
 * stage, fmt and the handoff page all go by. */
int stage_check_memmap(struct stage *s)
{
	int err;

	s->map = stage_tmp_keep(s, (2 * s->rq->mem_count + 1) * sizeof(*s->map));
	if (!s->map)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the memory map");
	err = stage_normal_map(s->rq, s->map, &s->nmap, s->res->msg, sizeof(s->res->msg));
	if (!err)
		s->usable_bytes = memmap_usable_bytes(s->map, s->nmap);
	return err;
}

/* [base, end) inside usable RAM and off forbidden ranges: core/memmap.c's rule. */
int stage_check_range(struct stage *s, const char *what, uint64_t base, uint64_t end)
{
	const struct baton_mem_range *hit = NULL;
	int fit = memmap_fits(s->map, s->nmap, base, end, &hit);

	if (fit == MEMMAP_FORBIDDEN)
		return stage_fail(s, hit->type == BATON_MEM_NEVER_TOUCH ?
				  STAGE_E_NEVER_TOUCH : STAGE_E_OUTSIDE_RAM,
				  "%s 0x%lx-0x%lx covers %s range 0x%lx-0x%lx", what,
				  (unsigned long)base, (unsigned long)end,
				  hit->type == BATON_MEM_NEVER_TOUCH ? "never-touch" : "reserved",
				  (unsigned long)hit->base, (unsigned long)(hit->base + hit->size));
	if (fit != MEMMAP_FITS)
		return stage_fail(s, STAGE_E_OUTSIDE_RAM, "%s 0x%lx-0x%lx is outside usable RAM",
				  what, (unsigned long)base, (unsigned long)end);
	return 0;
}

int stage_too_big(struct stage *s, uint64_t need)
{
	return stage_fail(s, STAGE_E_TOO_BIG, "image needs %lu KiB but usable RAM is %lu KiB",
			  (unsigned long)(need >> 10), (unsigned long)(s->usable_bytes >> 10));
}

int stage_seal_steps(struct stage *s)
{
	int err = stage_place_loader(s);

	if (!err)
		err = stage_write_handoff(s);
	if (!err)
		err = stage_write_lists(s);
	if (!err)
		err = stage_size_work(s);
	if (!err)
		err = stage_self_check(s);
	return err;
}

void stage_seal(struct baton_handoff *h, const struct stage_env *env)
{
	uint64_t pa = h->chain;
	uint32_t crc = 0;

	for (uint64_t i = 0; pa && i < h->chain_pages; i++) {
		const uint64_t *w = env->map(env->ctx, pa, BATON_PAGE_SIZE);

		crc = crc32_update(crc, w, BATON_PAGE_SIZE);
		pa = BATON_L_ADDR(w[0]);
	}
	h->chain_crc32 = crc;
	h->crc32 = crc32_handoff(h);
}

void stage_rehash(struct baton_handoff *h, const struct stage_env *env)
{
	uint64_t pa = h->chain;

	for (uint64_t i = 0; pa && i < h->chain_pages; i++) {
		uint64_t *w = env->map(env->ctx, pa, BATON_PAGE_SIZE);
		uint64_t hash = 0;

		/* as handoff.c:list_hash: the SRC entries in order; unused words are 0 */
		for (uint64_t k = BATON_LIST_FIRST; k < BATON_LIST_WORDS; k++)
			if (BATON_L_KIND(w[k]) == BATON_L_SRC) {
				uint64_t bytes = BATON_L_SRC_PAGES(w[k]) * BATON_PAGE_SIZE;

				hash = check_hash(hash, env->map(env->ctx, BATON_L_ADDR(w[k]), bytes),
						  bytes);
			}
		w[1] = hash;
		pa = BATON_L_ADDR(w[0]);
	}
	stage_seal(h, env);
}
