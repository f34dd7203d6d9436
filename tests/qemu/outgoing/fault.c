/* SPDX-License-Identifier: MIT */
/*
 * Deliberate damage after staging, before the jump: each fault is one thing
 * the loader must refuse (README.md, "Faults"). The handoff is reached through
 * the identity map.
 */
#include "loader/check.h"
#include "loader/crc32.h"
#include "outgoing.h"

#define OUTSIDE_MIN	(1ULL << 40)	/* 1 TiB */

static struct baton_copy_run *copy_runs(struct baton_handoff *h, uint64_t need,
					const char *fault)
{
	if (h->copy_count < need)
		die(EXIT_SETUP, "fault %s: needs %lu copy runs, the handoff has %lu",
		    fault, need, h->copy_count);
	return (struct baton_copy_run *)((uint8_t *)h + h->copy_off);
}

/* A 4 KiB aligned address above every range of the map, at least 1 TiB. */
static uint64_t outside_addr(const struct memmap *m)
{
	uint64_t top = align_up(memmap_top(m), 1ULL << 30);

	return top > OUTSIDE_MIN ? top : OUTSIDE_MIN;
}

/* The first range of the handoff's map of that type above 1 MiB. */
static uint64_t map_range(const struct baton_handoff *h, uint32_t type, const char *fault)
{
	const struct baton_mem_range *m = handoff_mem(h);

	for (uint64_t i = 0; i < h->mem_count; i++)
		if (m[i].type == type && m[i].base >= 1ULL << 20)
			return m[i].base;
	die(EXIT_SETUP, "fault %s: the handoff's memory map has no such range", fault);
}

void fault_inject(enum fault_kind f, const struct stage_result *res,
		  const struct memmap *m)
{
	struct baton_handoff *h;
	struct baton_copy_run *run;

	if (f == FAULT_NONE)
		return;
	say("fault %s", fault_names[f]);
	if (f == FAULT_TRAP) {		/* test of our own exception path */
		*(volatile uint8_t *)(uintptr_t)outside_addr(m) = 1;
		die(EXIT_SETUP, "fault trap: no exception");
	}
	h = (struct baton_handoff *)(uintptr_t)res->handoff;
	switch (f) {
	case FAULT_MAGIC:		/* no reseal: the magic is checked first */
		h->magic ^= 1ULL << 7;
		break;
	case FAULT_VERSION:
		h->version = 99;
		stage_seal(h);
		break;
	case FAULT_CRC:			/* no reseal: only the CRC can tell */
		run = copy_runs(h, 1, "crc");
		((uint8_t *)&run[0].hash)[3] ^= 0xff;
		break;
	case FAULT_OVERLAP:		/* run 1 lands on run 0's first page */
		run = copy_runs(h, 2, "overlap");
		run[1].dst = run[0].dst;
		stage_seal(h);
		break;
	case FAULT_OUTSIDE:
		run = copy_runs(h, 1, "outside");
		run[0].dst = outside_addr(m);
		stage_seal(h);
		break;
	case FAULT_ENTRY_UD2:		/* probe32's _start + 2 is a ud2 (probe32/entry.asm) */
		h->entry.addr += 2;
		stage_seal(h);
		break;
	case FAULT_NEVER_TOUCH:		/* run 0 onto the map's never-touch range */
	case FAULT_RESERVED:		/* run 0 onto the first reserved range above 1 MiB */
		run = copy_runs(h, 1, fault_names[f]);
		run[0].dst = map_range(h, f == FAULT_NEVER_TOUCH ? BATON_MEM_NEVER_TOUCH :
				       BATON_MEM_RESERVED, fault_names[f]);
		stage_seal(h);
		break;
	case FAULT_RUNS_HUGE:		/* a run list far larger than memory: 2^40 runs */
		h->copy_count += 1ULL << 40;
		h->crc32 = crc32_handoff(h);	/* not stage_seal(): total_size stays */
		break;
	case FAULT_WORK_HUGE:		/* a plan whose work area no memory holds */
		h->plan_pieces = 1ULL << 36;
		stage_seal(h);
		break;
	case FAULT_FLAGS:		/* bit 0 once told the loader to skip verify */
		h->flags = 1;
		stage_seal(h);
		break;
	case FAULT_CORRUPT:		/* the source, not the handoff: the hash must tell */
		run = copy_runs(h, 1, "corrupt");
		*(volatile uint8_t *)(uintptr_t)(run[0].src + 0x10) ^= 0xff;
		break;
	default:
		break;
	}
}
