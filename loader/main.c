/* SPDX-License-Identifier: MIT */
/*
 * loader_main(): the loader's steps, in order. loader/entry.asm gets here on the
 * blob's own stack with its GDT, TSS and IDT loaded, on the caller's page tables
 * (docs/entry.md: they identity-map all RAM). Every step checks before it writes,
 * logs one line with a TSC stamp, and ends in panic() when it cannot go on.
 *
 *   1. header   the handoff page copied and checked; the list  check_header,
 *               pages walked, nothing written: the work area     check_chain
 *               the stage proposed is free of everything
 *   2. paging   own identity map of all RAM, in the work area   loader/paging.c
 *   3. park     INIT to every other CPU                         loader/smp.c
 *   4. check    the handoff page unchanged; the lists walked    check_unchanged,
 *               again into the work area; every run, range and  check_collect,
 *               overlap                                         check_runs
 *   5. move     out of the destinations' way                    loader_move() below
 *   6. plan     copy order, chains and cycles                   core/plan.c
 *   7. copy     moves and zero fills                            loader/place.c
 *   8. verify   each list page's hash over what it placed       loader/place.c
 *   9. launch   the entry's CPU mode and registers              loader/launch.c
 */
#include <string.h>
#include <baton/blob.h>
#include "core/check.h"
#include "loader/loader.h"
#include "core/plan.h"

#define PAGE	BATON_PAGE_SIZE

struct loader L;
static struct check C;

extern char blob_header[], loader_resume[];

static const uint64_t *phys_page(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (const uint64_t *)pa;
}

static const void *phys_mem(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	(void)len;
	return (const void *)pa;
}

static void loader_check_header(uint64_t handoff, const struct baton_blob_header *bh)
{
	const struct baton_handoff *h;
	int err;

	C.h = (const struct baton_handoff *)handoff;
	C.h_pa = handoff;
	C.self_base = L.base;
	C.self_size = L.region;
	C.page_ptr = phys_page;
	C.mem_ptr = phys_mem;
	L.c = &C;
	err = check_header(&C);
	if (err)
		panic("check", "handoff at 0x%lx: %s", (unsigned long)handoff, C.msg);
	/* Trusted from here, as checked: the header and map are read from the copy
	 * check_header() kept, which no other CPU can write. The handoff's console
	 * replaces the blob header's early one. */
	h = &C.seen.h;
	if (h->console.kind == BATON_CON_UART_IO)
		con_init(h->console.port, h->exit_port);
	L.tsc_khz = h->tsc_khz;
	reset_init(h);
	if (h->loader_base != L.base || h->loader_size != bh->mem_size)
		panic("check", "handoff says the loader is 0x%lx+0x%lx but it runs at 0x%lx+0x%lx",
		      (unsigned long)h->loader_base, (unsigned long)h->loader_size,
		      (unsigned long)L.base, (unsigned long)bh->mem_size);
	err = check_chain(&C);
	if (err)
		panic("check", "%s", C.msg);
	step_log(STEP_HEADER, "handoff page 0x%lx v%u, CRC ok; %lu list pages: %lu copy, %lu zero, %lu claim runs; %u memory ranges; work area 0x%lx+0x%lx free",
		 (unsigned long)handoff, (unsigned)h->version, (unsigned long)C.nlist,
		 (unsigned long)C.ncopy, (unsigned long)C.nzero, (unsigned long)C.nclaim,
		 (unsigned)h->mem_count, (unsigned long)h->work_base, (unsigned long)h->work_size);
}

static void loader_paging(void)
{
	L.work_mem = (uint8_t *)C.seen.h.work_base;
	paging_build_and_load(L.work_mem + C.work.pt_off, C.work.map_top);
	step_log(STEP_PAGING, "identity map 0-0x%lx in 2 MiB pages, tables at 0x%lx",
		 (unsigned long)C.work.map_top, (unsigned long)(L.work_mem + C.work.pt_off));
}

static void loader_check_runs(void)
{
	int err = check_unchanged(&C);

	if (!err)
		err = check_collect(&C, L.work_mem);
	if (!err)
		err = check_runs(&C);
	if (!err)
		err = check_places(&C, &L.move_to, &L.tramp);
	if (err)
		panic("check", "%s", C.msg);
	step_log(STEP_CHECK, "handoff page unchanged, lists walked again; %lu pages to place, %lu claimed; destinations in usable RAM, no overlaps",
		 (unsigned long)C.pages, (unsigned long)C.claim_pages);
}

/*
 * If a destination covers the loader's own memory (code, stack, GDT), copy it
 * to the free place check_places() chose and continue there: the copy re-enters at loader_resume with
 * the same bss (this validator's state, the work area's address) and goes on
 * from here. The handoff page needs no move: the loader reads only its copy.
 */
static void loader_move(void)
{
	uint64_t spot = L.move_to;

	if (!spot || L.moved_from) {
		if (L.moved_from)
			step_log(STEP_MOVE, "moved from 0x%lx to 0x%lx, out of the destinations' way",
				 (unsigned long)L.moved_from, (unsigned long)L.base);
		else
			step_log(STEP_MOVE, "loader 0x%lx+0x%lx clear of destinations, staying",
				 (unsigned long)L.base, (unsigned long)L.region);
		return;
	}
	memcpy((void *)spot, (const void *)L.base, L.region);
	/* The copy's bss is this bss: record the move there before jumping. */
	((struct loader *)((uint8_t *)&L - L.base + spot))->moved_from = L.base;
	arch_jump(spot + (uint64_t)(loader_resume - blob_header), C.h_pa);
}

void loader_main(uint64_t handoff, uint64_t base, int resumed);
void loader_main(uint64_t handoff, uint64_t base, int resumed)
{
	const struct baton_blob_header *bh = (const void *)base;

	L.base = base;
	L.region = bh->mem_size;
	if (!resumed) {
		L.tsc[STEP_ENTRY] = rdtsc();
		con_init(bh->con_port, bh->exit_port);
		con_printf("baton: loader at 0x%lx, handoff at 0x%lx\n", (unsigned long)base,
			   (unsigned long)handoff);
		loader_check_header(handoff, bh);
		loader_paging();
		test_change_point();
		smp_park();
		loader_check_runs();
	} else {
		/* The moved copy: the same state, at a new base; pointers into the
		 * old copy's bss or code are set again. */
		L.c = &C;
		C.page_ptr = phys_page;
		C.mem_ptr = phys_mem;
		C.self_base = base;
		C.own[0].base = base;
		C.own[0].end = base + L.region;
		if (C.seen.h.console.kind == BATON_CON_UART_IO)
			con_init(C.seen.h.console.port, C.seen.h.exit_port);
		else
			con_init(bh->con_port, bh->exit_port);
	}
	loader_move();
	test_fault_point();
	place_all(&C);
	place_verify(&C);
	launch(&C);
}
