/* SPDX-License-Identifier: MIT */
#include "loader/layout.h"
#include "loader/plan.h"

#define GIB		(1ull << 30)
#define PAGE		4096ull
#define KV_BYTES	16ull	/* struct sort_kv */

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * The validator keeps, sorted: every destination (copy and zero runs), every
 * source, and the memory map split into usable and forbidden ranges; plus one
 * temporary array as large as the largest of those for the radix sort.
 */
uint64_t check_work_size(uint64_t ncopy, uint64_t nzero, uint64_t nmem)
{
	uint64_t ndst = ncopy + nzero;
	uint64_t biggest = ndst > nmem ? ndst : nmem;

	return KV_BYTES * (ndst + ncopy + 2 * nmem + biggest) + 4 * 64;
}

/*
 * The top of what the loader maps: the end of the highest RAM range, usable or
 * never-touch. Reserved ranges (firmware, 64-bit PCI windows far above RAM) are
 * never touched, so never mapped: QEMU reserves 0xfd00000000-1 TiB, for one.
 */
static uint64_t work_ram_top(const struct baton_mem_range *mem, uint64_t nmem)
{
	uint64_t top = 0;

	for (uint64_t i = 0; i < nmem; i++) {
		uint64_t end = mem[i].base + mem[i].size;

		if (mem[i].type != BATON_MEM_RESERVED && end > top && end > mem[i].base)
			top = end;
	}
	return top;
}

int work_layout(const struct baton_mem_range *mem, uint64_t nmem, uint64_t ncopy,
		uint64_t nzero, uint64_t pieces, struct work_layout *l)
{
	uint64_t mem_top = work_ram_top(mem, nmem), top, pds, pdpts, check, plan;

	if (mem_top > (1ull << 52) || ncopy > (1ull << 40) || nzero > (1ull << 40) ||
	    pieces > (1ull << 40) || nmem > (1ull << 32))
		return -1;
	/* Map at least [0, 4 GiB): the UART, the LAPIC and other MMIO live there. */
	top = round_up(mem_top > 4 * GIB ? mem_top : 4 * GIB, GIB);
	pds = top / GIB;				/* one PD per GiB */
	pdpts = round_up(pds, 512) / 512;		/* one PDPT per 512 GiB */

	l->map_top = top;
	l->pt_off = 0;
	l->pt_bytes = (1 + pdpts + pds + 1) * PAGE;	/* + a PML5 for 5-level callers */
	l->scratch_off = l->pt_off + l->pt_bytes;
	l->mem_off = l->scratch_off + PAGE;
	check = check_work_size(ncopy, nzero, nmem);
	plan = plan_work_size(ncopy, pieces);	/* SIZE_MAX past the planner's limits */
	if (plan > (1ull << 52) || check > (1ull << 52))
		return -1;
	l->mem_bytes = round_up(check > plan ? check : plan, PAGE);
	l->size = l->mem_off + l->mem_bytes;
	return 0;
}
