/* SPDX-License-Identifier: MIT */
/*
 * loader_main(): the loader's steps, in order. arch/x86/entry.asm gets here on the
 * blob's own stack with its GDT, TSS and IDT loaded. Every step checks before it
 * writes, logs one line with a TSC stamp, and ends in panic() when it cannot go on.
 *
 *   1. header   magic, version, sizes, CRC            loader/check.c:check_header
 *   2. paging   own identity map of all RAM           loader/paging.c
 *   3. park     INIT to every other CPU               loader/smp.c
 *   4. check    the handoff unchanged since step 1,   loader/check.c:check_unchanged
 *               every run, range and overlap          loader/check.c:check_runs
 *   5. move     out of the destinations' way          loader_move() below
 *   6. plan     copy order, chains and cycles         loader/plan.c, via place_all
 *   7. copy     moves and zero fills                  loader/place.c:place_all
 *   8. verify   each run's hash at its destination    loader/place.c:place_verify
 *   9. launch   the image's entry convention          loader/launch.c
 */
#include <string.h>
#include <baton/blob.h>
#include "loader/check.h"
#include "loader/loader.h"
#include "loader/plan.h"

#define PAGE	BATON_PAGE_SIZE

struct loader L;
static struct check C;

extern char blob_header[], loader_resume[];

static void loader_check_header(uint64_t handoff)
{
	struct baton_handoff *h = (struct baton_handoff *)handoff;
	int err;

	L.h = h;
	C.h = h;
	err = check_header(&C);
	if (err)
		panic("check", "handoff at 0x%lx: %s", (unsigned long)handoff, C.msg);
	/* Trusted from here, as checked: the header is read from the copy check_header()
	 * kept (C.seen), which no other CPU can write. The handoff's console replaces
	 * the header's early one. */
	h = &C.seen;
	if (h->console.kind == BATON_CON_UART_IO)
		con_init(h->console.port, h->exit_port);
	L.tsc_khz = h->tsc_khz;
	reset_init(h);
	step_log(STEP_HEADER, "handoff 0x%lx v%u, %lu bytes, CRC ok; %lu copy runs, %lu zero runs, %lu memory ranges",
		 (unsigned long)handoff, (unsigned)h->version, (unsigned long)h->total_size,
		 (unsigned long)h->copy_count, (unsigned long)h->zero_count,
		 (unsigned long)h->mem_count);
}

/*
 * The work area is sized by the stage; the loader recomputes what it needs, from
 * the header as checked and the memory map in the handoff (which the other CPUs,
 * not parked yet, could still write: loader_check_unchanged() redoes this).
 */
static void loader_layout_and_paging(void)
{
	const struct baton_handoff *h = &C.seen;

	if (work_layout(handoff_mem(L.h), h->mem_count, h->copy_count, h->zero_count,
			h->plan_pieces, &L.work))
		panic("check", "no memory holds a work area for %lu copy runs in %lu pieces",
		      (unsigned long)h->copy_count, (unsigned long)h->plan_pieces);
	if (h->work_off % PAGE || h->work_off > h->loader_size ||
	    h->loader_size - h->work_off < L.work.size)
		panic("check", "loader region 0x%lx bytes (work at +0x%lx) is too small: the work area needs 0x%lx",
		      (unsigned long)h->loader_size, (unsigned long)h->work_off,
		      (unsigned long)L.work.size);
	/* Our own code, stack and tables must stay mapped once CR3 points at the new map. */
	if (L.base + h->loader_size > L.work.map_top ||
	    (uint64_t)L.h + h->total_size > L.work.map_top)
		panic("check", "loader 0x%lx+0x%lx or handoff 0x%lx+0x%lx lies above the memory map's RAM (top 0x%lx)",
		      (unsigned long)L.base, (unsigned long)h->loader_size, (unsigned long)L.h,
		      (unsigned long)h->total_size, (unsigned long)L.work.map_top);
	L.region = h->loader_size;
	L.work_mem = (uint8_t *)(L.base + h->work_off);
	paging_build_and_load(L.work_mem + L.work.pt_off, L.work.map_top);
	step_log(STEP_PAGING, "identity map 0-0x%lx in 2 MiB pages, tables at 0x%lx",
		 (unsigned long)L.work.map_top, (unsigned long)(L.work_mem + L.work.pt_off));
}

/*
 * Once the other CPUs are parked, the handoff must still be the one checked, and
 * the work area and page tables built before must be the ones its memory map
 * gives: a map written and put back while they were built would pass the first
 * test and not the second.
 */
static void loader_check_unchanged(void)
{
	struct work_layout again;

	if (check_unchanged(&C))
		panic("check", "%s", C.msg);
	if (work_layout(handoff_mem(L.h), C.seen.mem_count, C.seen.copy_count,
			C.seen.zero_count, C.seen.plan_pieces, &again) ||
	    again.map_top != L.work.map_top || again.size != L.work.size ||
	    again.pt_bytes != L.work.pt_bytes || again.mem_bytes != L.work.mem_bytes)
		panic("check", "the memory map changed while the work area was laid out (identity map top 0x%lx, now 0x%lx)",
		      (unsigned long)L.work.map_top, (unsigned long)again.map_top);
}

static void loader_check_runs(int resumed)
{
	int err;

	C.self_base = L.base;
	C.self_size = L.region;
	C.h_pa = (uint64_t)L.h;
	C.work = L.work_mem + L.work.mem_off;
	C.work_bytes = L.work.mem_bytes;
	err = check_runs(&C);
	if (err)
		panic("check", "%s", C.msg);
	step_log(STEP_CHECK, "%s; %lu pages to place, destinations in usable RAM, no overlaps",
		 resumed ? "handoff copied after parking" : "handoff unchanged since its header check",
		 (unsigned long)C.pages);
}

/*
 * If a destination covers the loader's own memory (code, stack, page tables, work
 * area) or the handoff, copy both to a free place and continue there: the copy
 * re-enters at loader_resume with the same bss, rebuilds its tables and checks
 * again (cheap), and this time finds nothing in its way.
 */
static void loader_move(void)
{
	const struct baton_handoff *h = L.h;
	uint64_t hsize = (h->total_size + PAGE - 1) & ~(PAGE - 1), spot;
	uint8_t *to;

	if (!check_hits_dst(&C, L.base, L.region) && !check_hits_dst(&C, (uint64_t)h, hsize)) {
		if (L.moved_from)
			step_log(STEP_MOVE, "moved from 0x%lx to 0x%lx, out of the destinations' way",
				 (unsigned long)L.moved_from, (unsigned long)L.base);
		else
			step_log(STEP_MOVE, "loader 0x%lx+0x%lx and handoff clear of destinations, staying",
				 (unsigned long)L.base, (unsigned long)L.region);
		return;
	}
	if (L.moved_from)
		panic("move", "still in the destinations' way after moving to 0x%lx",
		      (unsigned long)L.base);
	if (check_find_spot(&C, L.region + hsize, (uint64_t)h, hsize, &spot))
		panic("move", "%s", C.msg);
	to = (uint8_t *)spot;
	memcpy(to, (const void *)L.base, L.region);
	memcpy(to + L.region, h, h->total_size);
	/* The copy's bss is this bss: record the move there before jumping. */
	((struct loader *)((uint8_t *)&L - L.base + spot))->moved_from = L.base;
	arch_jump(spot + (uint64_t)(loader_resume - blob_header), spot + L.region);
}

void loader_main(uint64_t handoff, uint64_t base, int resumed);
void loader_main(uint64_t handoff, uint64_t base, int resumed)
{
	const struct baton_blob_header *bh = (const void *)base;

	L.base = base;
	if (!resumed) {
		L.tsc[STEP_ENTRY] = rdtsc();
		con_init(bh->con_port, bh->exit_port);
		con_printf("baton: loader at 0x%lx, handoff at 0x%lx\n", (unsigned long)base,
			   (unsigned long)handoff);
	} else {
		con_init(bh->con_port, bh->exit_port);
	}
	loader_check_header(handoff);
	if (!resumed && L.h->loader_base != base)
		panic("check", "handoff says the loader is at 0x%lx but it runs at 0x%lx",
		      (unsigned long)L.h->loader_base, (unsigned long)base);
	loader_layout_and_paging();
	test_change_point();
	smp_park();
	if (!resumed)	/* else this copy was made by this loader after parking */
		loader_check_unchanged();
	loader_check_runs(resumed);
	loader_move();
	launch_reserve(&C);
	test_fault_point();
	place_all();
	place_verify();
	launch();
}
