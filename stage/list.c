/* SPDX-License-Identifier: MIT */
#include "stage/list.h"

#define PAGE	BATON_PAGE_SIZE
#define NONE	(~0ull)

void stage_list_init(struct stage_list *l, uint64_t *words)
{
	*l = (struct stage_list){ .words = words, .last = NONE };
}

/* Entries place at the cursor: a DST entry first when it is elsewhere. */
static void list_at(struct stage_list *l, uint64_t dst)
{
	if (l->have_cursor && l->cursor == dst)
		return;
	l->words[l->n++] = dst | BATON_L_DST;
	l->cursor = dst;
	l->have_cursor = 1;
	l->last = NONE;
}

void stage_list_src(struct stage_list *l, uint64_t src, uint64_t dst)
{
	list_at(l, dst);
	l->cursor += PAGE;
	if (l->last != NONE) {
		uint64_t w = l->words[l->last];

		if (BATON_L_KIND(w) == BATON_L_SRC && BATON_L_SRC_PAGES(w) < BATON_L_SRC_MAX &&
		    BATON_L_ADDR(w) + BATON_L_SRC_PAGES(w) * PAGE == src) {
			l->words[l->last] = w + (1 << 3);
			return;
		}
	}
	l->last = l->n;
	l->words[l->n++] = src | BATON_L_SRC;
}

void stage_list_count(struct stage_list *l, uint32_t kind, uint64_t dst)
{
	list_at(l, dst);
	l->cursor += PAGE;
	if (l->last != NONE && BATON_L_KIND(l->words[l->last]) == kind) {
		l->words[l->last] += 1ull << 12;
		return;
	}
	l->last = l->n;
	l->words[l->n++] = 1ull << 12 | kind;
}
