/* SPDX-License-Identifier: MIT */
#include "core/memmap.h"

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
	for (uint64_t i = 0; i < n; i++) {
		uint64_t end = i ? m[i - 1].base + m[i - 1].size : 0;

		/* sorted, disjoint, and ranges of one type that touch merged */
		if (!range_shape_ok(&m[i]) ||
		    (i && (m[i].base < end || (m[i].base == end && m[i].type == m[i - 1].type))))
			return (int64_t)i;
	}
	return -1;
}

int memmap_normalize(const struct baton_mem_range *in, uint64_t n,
		     struct baton_mem_range *out, uint64_t cap, uint64_t *nout, uint64_t *bad)
{
	uint64_t x = ~0ull, k = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (!range_shape_ok(&in[i])) {
			*bad = i;
			return -2;
		}
		if (in[i].base < x)
			x = in[i].base;
	}
	/* Sweep the boundaries upwards: [x, next) has one type, the highest of the
	 * ranges that cover it (never-touch over reserved over usable). */
	while (n && x != ~0ull) {
		uint64_t next = ~0ull;
		uint32_t type = 0;

		for (uint64_t i = 0; i < n; i++) {
			uint64_t end = in[i].base + in[i].size;

			if (in[i].base <= x && end > x && in[i].type > type)
				type = in[i].type;
			if (in[i].base > x && in[i].base < next)
				next = in[i].base;
			if (end > x && end < next)
				next = end;
		}
		if (type && k && out[k - 1].type == type && out[k - 1].base + out[k - 1].size == x) {
			out[k - 1].size += next - x;
		} else if (type) {
			if (k == cap)
				return -3;
			out[k++] = (struct baton_mem_range){ x, next - x, type, 0 };
		}
		x = next;
	}
	*nout = k;
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
