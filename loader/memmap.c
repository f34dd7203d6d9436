/* SPDX-License-Identifier: MIT */
#include "loader/memmap.h"

#define PAGE	BATON_PAGE_SIZE

static int range_shape_ok(const struct baton_mem_range *r)
{
	uint64_t end;

	return r->base % PAGE == 0 && r->size % PAGE == 0 && r->size &&
	       !__builtin_add_overflow(r->base, r->size, &end) && !r->pad &&
	       r->type >= BATON_MEM_USABLE && r->type <= BATON_MEM_NEVER_TOUCH;
}

int64_t memmap_bad(const struct baton_mem_range *m, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (!range_shape_ok(&m[i]) || (i && m[i].base < m[i - 1].base + m[i - 1].size))
			return (int64_t)i;
	return -1;
}

int memmap_normalize(struct baton_mem_range *m, uint64_t *n, uint64_t *a, uint64_t *b)
{
	uint64_t out = 0;

	for (uint64_t i = 0; i < *n; i++) {
		if (!range_shape_ok(&m[i])) {
			*a = i;
			return -2;
		}
		/* Remember where each range came from in pad, for the message. */
		m[i].pad = (uint32_t)i;
	}
	for (uint64_t i = 1; i < *n; i++) {
		struct baton_mem_range r = m[i];
		uint64_t j = i;

		for (; j && m[j - 1].base > r.base; j--)
			m[j] = m[j - 1];
		m[j] = r;
	}
	for (uint64_t i = 0; i < *n; i++) {
		struct baton_mem_range *p = out ? &m[out - 1] : 0;
		uint64_t end = m[i].base + m[i].size;

		if (p && m[i].base <= p->base + p->size) {
			if (p->type != m[i].type && m[i].base < p->base + p->size) {
				*a = p->pad;
				*b = m[i].pad;
				return -1;
			}
			if (p->type == m[i].type) {
				if (end > p->base + p->size)
					p->size = end - p->base;
				continue;
			}
		}
		m[out++] = m[i];
	}
	for (uint64_t i = 0; i < out; i++)
		m[i].pad = 0;
	*n = out;
	return 0;
}

/* The first range that ends after x, or n. */
static uint64_t first_ending_after(const struct baton_mem_range *m, uint64_t n, uint64_t x)
{
	uint64_t lo = 0, hi = n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (m[mid].base + m[mid].size <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int memmap_fits(const struct baton_mem_range *m, uint64_t n, uint64_t base, uint64_t end,
		const struct baton_mem_range **hit)
{
	uint64_t i = first_ending_after(m, n, base), covered = base;

	for (; i < n && m[i].base < end; i++)
		if (m[i].type != BATON_MEM_USABLE) {
			if (hit)
				*hit = &m[i];
			return MEMMAP_FORBIDDEN;
		}
	for (i = first_ending_after(m, n, base); i < n && covered < end; i++) {
		if (m[i].base > covered)
			break;
		covered = m[i].base + m[i].size;
	}
	return covered >= end ? MEMMAP_FITS : MEMMAP_OUTSIDE;
}

uint64_t memmap_ram_top(const struct baton_mem_range *m, uint64_t n)
{
	uint64_t top = 0;

	for (uint64_t i = 0; i < n; i++)
		if (m[i].type != BATON_MEM_RESERVED && m[i].base + m[i].size > top)
			top = m[i].base + m[i].size;
	return top;
}

uint64_t memmap_usable_bytes(const struct baton_mem_range *m, uint64_t n)
{
	uint64_t bytes = 0;

	for (uint64_t i = 0; i < n; i++)
		if (m[i].type == BATON_MEM_USABLE)
			bytes += m[i].size;
	return bytes;
}
