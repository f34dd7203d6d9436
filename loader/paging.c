/* SPDX-License-Identifier: MIT */
/*
 * The loader's own identity map: [0, map_top) with 2 MiB pages, writable,
 * executable, in the page-table pages of its work area (core/layout.h gives the
 * count: one PML4, one PDPT per 512 GiB, one PD per GiB, one PML5). C builds the
 * tables; the CR3 write is the only instruction that needs assembly.
 *
 * The paging depth is the caller's: CR4.LA57 cannot change in long mode. A
 * kernel running 5-level paging (Linux on a CPU with LA57) gets a PML5 whose
 * entry 0 is the same PML4; the map is far below 128 PiB.
 */
#include <string.h>
#include "arch/x86/hw.h"
#include "loader/loader.h"

#define PAGE	4096ull
#define GIB	(1ull << 30)
#define MIB2	(1ull << 21)

void paging_build_and_load(uint8_t *tables, uint64_t map_top)
{
	uint64_t pds = map_top / GIB, pdpts = (pds + 511) / 512;
	uint64_t *pml4 = (uint64_t *)tables;
	uint64_t *pdpt = (uint64_t *)(tables + PAGE);
	uint64_t *pd = (uint64_t *)(tables + PAGE * (1 + pdpts));
	uint64_t *pml5 = (uint64_t *)(tables + PAGE * (1 + pdpts + pds));
	uint64_t cr4, root = (uint64_t)pml4;

	memset(tables, 0, PAGE * (1 + pdpts + pds + 1));
	for (uint64_t i = 0; i < pdpts; i++)
		pml4[i] = (uint64_t)&pdpt[i * 512] | PTE_P | PTE_W;
	for (uint64_t i = 0; i < pds; i++)
		pdpt[i] = (uint64_t)&pd[i * 512] | PTE_P | PTE_W;
	for (uint64_t i = 0; i < pds * 512; i++)
		pd[i] = (i * MIB2) | PTE_P | PTE_W | PTE_PS;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cr4 & CR4_LA57) {
		pml5[0] = (uint64_t)pml4 | PTE_P | PTE_W;
		root = (uint64_t)pml5;
	}
	/* Clearing CR4.PGE flushes the caller's global TLB entries, then loading CR3
	 * flushes every other one (SDM 3A 4.10.4.1). PCIDE goes too: the new world
	 * starts with PCID 0 only, and the 32-bit trampoline could not clear CR0.PG
	 * with it set. */
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~(uint64_t)(CR4_PGE | CR4_PCIDE)) : "memory");
	__asm__ volatile("mov %0, %%cr3" : : "r"(root) : "memory");
}
