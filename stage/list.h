/* SPDX-License-Identifier: MIT */
/*
 * Writing list entries (include/baton/handoff.h): one page at a time, in any
 * destination order, each the fewest words the format allows. A page whose
 * destination follows the previous one's costs one word, a page elsewhere two
 * (a DST first): kexec's IND_SOURCE and IND_DESTINATION. A source that follows
 * the previous one's grows its SRC entry (to 512 pages), and zero or claim
 * pages that follow each other share one entry.
 */
#ifndef BATON_STAGE_LIST_H
#define BATON_STAGE_LIST_H

#include <stdint.h>
#include <baton/handoff.h>

struct stage_list {
	uint64_t *words;	/* room for two words a page, plus one */
	uint64_t n;		/* words written */
	uint64_t cursor;	/* where the next entry places */
	uint64_t last;		/* the entry that may still grow, or ~0 */
	int have_cursor;
};

void stage_list_init(struct stage_list *l, uint64_t *words);
/* The page at src must end up at dst. */
void stage_list_src(struct stage_list *l, uint64_t src, uint64_t dst);
/* The page at dst must end up zero (BATON_L_ZERO) or only free (BATON_L_CLAIM). */
void stage_list_count(struct stage_list *l, uint32_t kind, uint64_t dst);

#endif
