/* SPDX-License-Identifier: MIT */
/*
 * The loader's own identity map: [0, map_top) with 2 MiB pages, writable,
 * executable, in the page-table pages of its work area (loader/layout.h gives the
 * count: one PML4, one PDPT per 512 GiB, one PD per GiB). C builds the tables;
 * the CR3 write is the only instruction that needs assembly.
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

	memset(tables, 0, PAGE * (1 + pdpts + pds));
	for (uint64_t i = 0; i < pdpts; i++)
		pml4[i] = (uint64_t)&pdpt[i * 512] | PTE_P | PTE_W;
	for (uint64_t i = 0; i < pds; i++)
		pdpt[i] = (uint64_t)&pd[i * 512] | PTE_P | PTE_W;
	for (uint64_t i = 0; i < pds * 512; i++)
		pd[i] = (i * MIB2) | PTE_P | PTE_W | PTE_PS;
	/* Clearing CR4.PGE flushes the caller's global TLB entries, then loading CR3
	 * flushes every other one (SDM 3A 4.10.4.1). */
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~(uint64_t)CR4_PGE) : "memory");
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)pml4) : "memory");
}
