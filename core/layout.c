/* SPDX-License-Identifier: MIT */
#include "core/layout.h"
#include "core/memmap.h"
#include "core/plan.h"

#define GIB		(1ull << 30)
#define PAGE		4096ull
#define KV		16ull	/* struct sort_kv */
#define LIMIT		(1ull << 40)

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int work_layout(const struct baton_handoff *h, const struct baton_mem_range *map,
		struct work_layout *l)
{
	uint64_t top = memmap_ram_top(map, h->mem_count), pds, pdpts, ndst, check, plan;

	if (top > (1ull << 52) || h->copy_runs > LIMIT || h->zero_runs > LIMIT ||
	    h->claim_runs > LIMIT || h->chain_pages > LIMIT || h->plan_pieces > LIMIT)
		return -1;
	/* Map at least [0, 4 GiB): the UART, the LAPIC and other MMIO live there. */
	top = round_up(top > 4 * GIB ? top : 4 * GIB, GIB);
	pds = top / GIB;				/* one PD per GiB */
	pdpts = round_up(pds, 512) / 512;		/* one PDPT per 512 GiB */

	l->map_top = top;
	l->pt_off = 0;
	l->pt_bytes = (1 + pdpts + pds + 1) * PAGE;	/* + a PML5 for 5-level callers */
	l->scratch_off = l->pt_off + l->pt_bytes;
	l->copy_off = l->scratch_off + PAGE;
	l->zero_off = l->copy_off + 24 * h->copy_runs;
	l->claim_off = l->zero_off + 16 * h->zero_runs;
	l->list_off = l->claim_off + 16 * h->claim_runs;
	l->mem_off = round_up(l->list_off + KV * h->chain_pages, 64);
	/* The validator: destinations, sources, and one sort buffer as large as the
	 * largest array it sorts. */
	ndst = h->copy_runs + h->zero_runs + h->claim_runs;
	check = KV * (ndst + h->copy_runs + (ndst > h->chain_pages ? ndst : h->chain_pages)) + 64;
	plan = plan_work_size(h->copy_runs, h->plan_pieces);	/* SIZE_MAX past its limits */
	if (plan > (1ull << 52))
		return -1;
	l->mem_bytes = round_up(check > plan ? check : plan, PAGE);
	l->size = round_up(l->mem_off + l->mem_bytes, PAGE);
	return 0;
}
