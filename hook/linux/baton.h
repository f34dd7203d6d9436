/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * hook/linux/baton.h: the state the three parts of baton.ko share.
 *
 *   dev.c   /dev/baton: the slot, the writes, the commit record, sysfs
 *   arm.c   at close: the kernel's memory map, the runs, the stage's seal
 *           (the same stage/ and core/ code as every outgoing side), the
 *           identity page tables the jump needs, the devices found for it
 *   jump.c  at reboot: what machine_shutdown() would do, then the jump
 */
#ifndef BATON_HOOK_INT_H
#define BATON_HOOK_INT_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include "baton/hook.h"
#include "baton/handoff.h"
#include "stage/stage.h"

enum baton_state { BATON_EMPTY, BATON_LOADING, BATON_ARMED };

/* A destination page written with zeros only: no source page, a mark. */
#define BATON_ZERO_MARK xa_mk_value(0)

/* Pages the hook holds besides the sources: loader, handoff, list pages,
 * page tables (order 0, or the blob's exact run, or an order-1 top level). */
struct baton_own {
	u64 pa;
	u64 pages;
	u8 how;			/* BATON_OWN_* */
	u8 list;		/* asked for as a list page (STAGE_FOR_LIST) */
};
#define BATON_OWN_PAGE	0	/* alloc_page */
#define BATON_OWN_EXACT	1	/* alloc_pages_exact */
#define BATON_OWN_ORDER1 2	/* alloc_pages(order 1) */

#define BATON_IOAPIC_MAX 128	/* the kernel's MAX_IO_APICS */

struct baton {
	struct mutex lock;		/* everything below */
	enum baton_state state;
	bool writer;			/* a file is open for writing */
	bool disabled;			/* one way, as kernel.kexec_load_disabled */
	struct xarray dst;		/* destination pfn -> struct page * or BATON_ZERO_MARK */
	u64 bytes;			/* accepted by write(), overwrites counted again */
	u64 pages;			/* source pages held */
	u64 zero_pages;			/* destinations marked zero */
	struct baton_hook_commit rec;	/* valid when has_rec */
	struct baton_hook_range *ranges;
	bool has_rec;
	/* the kernel's memory map, made normal (core/memmap.h), from open on */
	struct baton_mem_range *map;
	u64 nmap;
	/* armed: the handoff and what the jump needs */
	struct stage_result res;
	struct baton_own *own;
	u64 nown, own_cap;
	u64 *top;			/* identity page tables' top level (virtual) */
	u64 top_pa;
	void __iomem *ioapic[BATON_IOAPIC_MAX];
	unsigned int nioapic;
	void __iomem *hpet;
};

extern struct baton b;

int baton_map_build(void);					/* arm.c */
int baton_fits(u64 addr, u64 len, const char *what);
int baton_seal(void);
void baton_unseal(void);
int baton_jump_init(void);					/* jump.c */
void baton_jump_exit(void);

#endif
