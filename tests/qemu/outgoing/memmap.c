/* SPDX-License-Identifier: MIT */
/*
 * The multiboot memory map as the handoff wants it: sorted, disjoint, 4 KiB
 * aligned struct baton_mem_range. Usable RAM shrinks to whole pages, anything
 * else grows to whole pages, and where two entries overlap the reserved one
 * wins, then never-touch (nevertouch= on the command line: RAM that must
 * survive, as a crash log would), then usable. Low memory stays as the firmware
 * reported it: Linux needs its usable part for the real-mode trampoline that
 * starts its APs. (The page allocator
 * never hands out [0, 1 MiB), and nothing baton places goes there.)
 */
#include "outgoing.h"

#define RAW_MAX		(MEMMAP_MAX / 2 - 1)

struct raw_range {
	uint64_t lo, hi;
	uint32_t type;
};

static struct raw_range raw[RAW_MAX];
static uint64_t points[2 * RAW_MAX];

static uint64_t raw_read(const struct mb_info *mbi)
{
	uint64_t n = 0, off = 0;

	while (off + sizeof(struct mb_mmap_entry) <= mbi->mmap_length) {
		const struct mb_mmap_entry *e =
			(const void *)(uintptr_t)(mbi->mmap_addr + off);
		uint64_t end = e->base + e->len < e->base ? UINT64_MAX : e->base + e->len;

		off += e->size + 4;
		if (n == RAW_MAX - 1)	/* the last slot: memmap_build's never-touch range */
			die(EXIT_SETUP, "memmap: more than %u entries", RAW_MAX - 1);
		if (e->type == MB_MMAP_AVAILABLE)
			raw[n] = (struct raw_range){ align_up(e->base, PAGE_SIZE),
				align_down(end, PAGE_SIZE), BATON_MEM_USABLE };
		else
			raw[n] = (struct raw_range){ align_down(e->base, PAGE_SIZE),
				align_up(end, PAGE_SIZE), BATON_MEM_RESERVED };
		if (raw[n].lo < raw[n].hi)
			n++;
	}
	return n;
}

/* Every range boundary, sorted, without repeats. */
static uint64_t points_collect(uint64_t nraw)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < nraw; i++) {
		points[n++] = raw[i].lo;
		points[n++] = raw[i].hi;
	}
	for (uint64_t i = 1; i < n; i++)		/* insertion sort: n is small */
		for (uint64_t j = i; j && points[j - 1] > points[j]; j--) {
			uint64_t t = points[j];

			points[j] = points[j - 1];
			points[j - 1] = t;
		}
	uint64_t u = 0;

	for (uint64_t i = 0; i < n; i++)
		if (!u || points[u - 1] != points[i])
			points[u++] = points[i];
	return u;
}

static int raw_rank(uint32_t type)
{
	return type == BATON_MEM_RESERVED ? 3 : type == BATON_MEM_NEVER_TOUCH ? 2 : 1;
}

/* Type of [lo, hi) between two neighbouring points: the highest rank, 0 = none. */
static uint32_t raw_type(uint64_t nraw, uint64_t lo, uint64_t hi)
{
	uint32_t t = 0;

	for (uint64_t i = 0; i < nraw; i++)
		if (raw[i].lo <= lo && hi <= raw[i].hi && (!t || raw_rank(raw[i].type) > raw_rank(t)))
			t = raw[i].type;
	return t;
}

void memmap_build(const struct mb_info *mbi, uint64_t never_touch, struct memmap *m)
{
	if (!(mbi->flags & MB_INFO_MMAP))
		die(EXIT_SETUP, "memmap: the boot loader gave no memory map");
	uint64_t nraw = raw_read(mbi);

	if (never_touch) {
		uint64_t lo = align_down(never_touch, PAGE_SIZE);

		raw[nraw++] = (struct raw_range){ lo, lo + NEVER_TOUCH_SIZE, BATON_MEM_NEVER_TOUCH };
	}
	uint64_t npts = points_collect(nraw);

	m->n = 0;
	for (uint64_t i = 0; i + 1 < npts; i++) {
		uint64_t lo = points[i], hi = points[i + 1];
		uint32_t t = raw_type(nraw, lo, hi);
		struct baton_mem_range *last = m->n ? &m->r[m->n - 1] : 0;

		if (!t)
			continue;
		if (last && last->type == t && last->base + last->size == lo) {
			last->size += hi - lo;
			continue;
		}
		m->r[m->n++] = (struct baton_mem_range){ .base = lo, .size = hi - lo,
							 .type = t };
	}
}

void memmap_print(const struct memmap *m)
{
	uint64_t usable = 0;

	for (uint64_t i = 0; i < m->n; i++) {
		const struct baton_mem_range *r = &m->r[i];

		say("mem 0x%016lx-0x%016lx %s", r->base, r->base + r->size,
		    r->type == BATON_MEM_USABLE ? "usable" :
		    r->type == BATON_MEM_NEVER_TOUCH ? "never-touch" : "reserved");
		if (r->type == BATON_MEM_USABLE)
			usable += r->size;
	}
	say("mem %lu ranges, %lu MiB usable", m->n, usable >> 20);
}

uint64_t memmap_top(const struct memmap *m)
{
	return m->n ? m->r[m->n - 1].base + m->r[m->n - 1].size : 0;
}
