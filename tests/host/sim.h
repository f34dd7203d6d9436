/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical memory for the planner's tests: one 32-bit tag per page
 * instead of 4 KiB, so a hundred thousand layouts run in seconds. Every page starts
 * with a tag of its own; the callbacks check, as they go, that no page is read after
 * it lost its original content, that only destinations are written, and each once.
 */
#ifndef BATON_TEST_SIM_H
#define BATON_TEST_SIM_H

#include <stdint.h>
#include <baton/handoff.h>
#include "core/plan.h"

/* What a page is to the layout. */
enum sim_role {
	SIM_KEEP,	/* untouched, or in place: must not be written */
	SIM_COPY,	/* out-of-place copy destination: written once */
	SIM_ZERO,	/* zero destination: zeroed once */
};

struct sim {
	uint64_t base;		/* pfn of page 0 */
	uint64_t npages;
	uint64_t room;		/* pages allocated */
	uint32_t *mem;		/* tag now; 0 = zero page */
	uint32_t *want;		/* tag expected at the end */
	uint32_t *writes;	/* writes seen per page */
	uint8_t *role;		/* enum sim_role */
	uint32_t scratch;
	int have_scratch;
	uint64_t moves, move_pages, saves, restores, zero_calls, zero_pages;
	const char *error;	/* first problem seen, NULL if none */
	uint64_t error_page;
};

/* Original tag of page i: unique, never 0. */
static inline uint32_t sim_tag(uint64_t i)
{
	return (uint32_t)i + 1;
}

void sim_alloc(struct sim *s, uint64_t room);
void sim_free(struct sim *s);
/* Fresh memory of npages pages at pfn base, roles and expected image from a layout. */
void sim_reset(struct sim *s, uint64_t base, uint64_t npages,
	       const struct plan_run *runs, uint64_t ncopy,
	       const struct plan_zero *zeros, uint64_t nzero);
void sim_plan_mem(struct sim *s, struct plan_mem *mem);
/* After the plan: the first problem (during or after), NULL if memory is right. */
const char *sim_verify(struct sim *s);

#endif
