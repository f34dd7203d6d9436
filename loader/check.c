/* SPDX-License-Identifier: MIT */
/*
 * Validate a handoff before anything is written (coreboot's
 * check_payload_segments() before load_payload_segments()).
 *
 *  check_header: magic, version, header and total size, CRC, list bounds.
 *  check_runs:   memory map -> merged usable / forbidden ranges; every run aligned,
 *                non-empty, not wrapping; destinations inside usable RAM and off
 *                forbidden ranges; sources inside usable RAM and off the loader's own
 *                memory; no two destinations and no two sources overlapping; entry
 *                and timing slot inside what will be placed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include "loader/check.h"
#include "loader/crc32.h"
#include "loader/layout.h"

#define PAGE		BATON_PAGE_SIZE
#define MAX_TOTAL	(1ull << 32)	/* 4 GiB of lists is far past any real image */

const struct baton_mem_range *handoff_mem(const struct baton_handoff *h)
{
	return (const void *)((const uint8_t *)h + h->mem_off);
}

const struct baton_copy_run *handoff_copy(const struct baton_handoff *h)
{
	return (const void *)((const uint8_t *)h + h->copy_off);
}

const struct baton_zero_run *handoff_zero(const struct baton_handoff *h)
{
	return (const void *)((const uint8_t *)h + h->zero_off);
}

static int fail(struct check *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct check *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vformat(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* A list of `count` entries of `size` bytes at `off` must lie inside the handoff. */
static int list_in_bounds(const struct baton_handoff *h, uint64_t off, uint64_t count,
			  uint64_t size)
{
	uint64_t bytes, end;

	if (count == 0)
		return 1;
	if (off % 8 || off < h->header_size || count > MAX_TOTAL / size)
		return 0;
	bytes = count * size;
	return !__builtin_add_overflow(off, bytes, &end) && end <= h->total_size;
}

int check_header(struct check *c)
{
	const struct baton_handoff *h = c->h;
	uint32_t crc;

	if (h->magic != BATON_HANDOFF_MAGIC)
		return fail(c, CHECK_E_MAGIC, "bad magic 0x%016lx (want 0x%016lx)",
			    (unsigned long)h->magic, (unsigned long)BATON_HANDOFF_MAGIC);
	if (h->version != BATON_HANDOFF_VERSION)
		return fail(c, CHECK_E_VERSION, "handoff version %u, this loader reads %u",
			    (unsigned)h->version, (unsigned)BATON_HANDOFF_VERSION);
	if (h->header_size != sizeof(*h) || h->total_size < sizeof(*h) ||
	    h->total_size > MAX_TOTAL)
		return fail(c, CHECK_E_SIZE, "bad sizes: header %u total %lu",
			    (unsigned)h->header_size, (unsigned long)h->total_size);
	crc = crc32_handoff(h);
	if (crc != h->crc32)
		return fail(c, CHECK_E_CRC, "bad CRC 0x%08x over %lu bytes (header says 0x%08x)",
			    (unsigned)crc, (unsigned long)h->total_size, (unsigned)h->crc32);
	if (h->flags)
		return fail(c, CHECK_E_FIELD, "flags 0x%x: handoff v1 defines none",
			    (unsigned)h->flags);
	if (h->reset.action > BATON_PANIC_HALT || h->reset.acpi_space > BATON_RESET_SPACE_IO ||
	    h->reset.pad)
		return fail(c, CHECK_E_FIELD, "reset: action %u, ACPI space %u, pad 0x%x: not defined in v1",
			    (unsigned)h->reset.action, (unsigned)h->reset.acpi_space,
			    (unsigned)h->reset.pad);
	if (!list_in_bounds(h, h->mem_off, h->mem_count, sizeof(struct baton_mem_range)) ||
	    !list_in_bounds(h, h->copy_off, h->copy_count, sizeof(struct baton_copy_run)) ||
	    !list_in_bounds(h, h->zero_off, h->zero_count, sizeof(struct baton_zero_run)))
		return fail(c, CHECK_E_SIZE, "a list lies outside the handoff's %lu bytes",
			    (unsigned long)h->total_size);
	c->seen = *h;
	return 0;
}

/*
 * A CPU that was still running until the park step could have written the handoff
 * after check_header() read it: everything read so far (the work area's size, the
 * page tables' reach) came from that header and the map under its CRC.
 */
int check_unchanged(struct check *c)
{
	const struct baton_handoff *h = c->h;
	const uint8_t *a = (const uint8_t *)h, *b = (const uint8_t *)&c->seen;
	uint32_t crc;

	for (uint64_t i = 0; i < sizeof(*h); i++)
		if (a[i] != b[i])
			return fail(c, CHECK_E_CHANGED, "handoff header byte 0x%lx changed from 0x%02x to 0x%02x after it was checked",
				    (unsigned long)i, (unsigned)b[i], (unsigned)a[i]);
	crc = crc32_handoff(h);
	if (crc != c->seen.crc32)
		return fail(c, CHECK_E_CHANGED, "handoff lists changed after they were checked: CRC 0x%08x, was 0x%08x",
			    (unsigned)crc, (unsigned)c->seen.crc32);
	return 0;
}

/* Index of the last entry with key <= x, or -1. */
static int64_t find_le(const struct sort_kv *a, uint64_t n, uint64_t x)
{
	uint64_t lo = 0, hi = n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (a[mid].key <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo - 1;
}

uint64_t check_ranges_merge(struct sort_kv *a, struct sort_kv *tmp, uint64_t n)
{
	uint64_t out = 0;

	sort_kv(a, tmp, n);
	for (uint64_t i = 0; i < n; i++) {
		if (out && a[i].key <= a[out - 1].val) {
			if (a[i].val > a[out - 1].val)
				a[out - 1].val = a[i].val;
		} else {
			a[out++] = a[i];
		}
	}
	return out;
}

static int inside_usable(const struct check *c, uint64_t base, uint64_t end)
{
	int64_t i = find_le(c->usable, c->nusable, base);

	return i >= 0 && c->usable[i].val >= end;
}

/* The forbidden range [*fb, *fe) that [base, end) meets, if any. */
static int hits_forbidden(const struct check *c, uint64_t base, uint64_t end,
			  uint64_t *fb, uint64_t *fe)
{
	int64_t i = find_le(c->forbid, c->nforbid, end - 1);

	if (i < 0 || c->forbid[i].val <= base)
		return 0;
	*fb = c->forbid[i].key;
	*fe = c->forbid[i].val;
	return 1;
}

static int check_memmap(struct check *c, struct sort_kv *tmp)
{
	const struct baton_mem_range *m = handoff_mem(c->h);
	uint64_t nu = 0, nf = 0;

	if (c->h->mem_count == 0)
		return fail(c, CHECK_E_MEMMAP, "empty memory map");
	for (uint64_t i = 0; i < c->h->mem_count; i++) {
		uint64_t end;

		if (m[i].base % PAGE || m[i].size % PAGE || m[i].size == 0 ||
		    __builtin_add_overflow(m[i].base, m[i].size, &end) ||
		    m[i].type < BATON_MEM_USABLE || m[i].type > BATON_MEM_NEVER_TOUCH)
			return fail(c, CHECK_E_MEMMAP, "memory range %lu 0x%lx+0x%lx type %u is invalid",
				    (unsigned long)i, (unsigned long)m[i].base,
				    (unsigned long)m[i].size, (unsigned)m[i].type);
		if (m[i].type == BATON_MEM_USABLE)
			c->usable[nu++] = (struct sort_kv){ m[i].base, end };
		else
			c->forbid[nf++] = (struct sort_kv){ m[i].base, end };
	}
	c->nusable = check_ranges_merge(c->usable, tmp, nu);
	c->nforbid = check_ranges_merge(c->forbid, tmp, nf);
	return 0;
}

/* [addr, addr + pages*4K): aligned, non-empty, not wrapping. */
static int range_ok(uint64_t addr, uint64_t pages, uint64_t *end)
{
	return pages && addr % PAGE == 0 && pages <= (~0ull >> 12) &&
	       !__builtin_add_overflow(addr, pages * PAGE, end);
}

static int check_dst(struct check *c, const char *kind, uint64_t i, uint64_t dst,
		     uint64_t pages)
{
	uint64_t end, fb, fe;

	if (!range_ok(dst, pages, &end))
		return fail(c, CHECK_E_RUN, "%s run %lu dst 0x%lx pages %lu is unaligned, empty or wraps",
			    kind, (unsigned long)i, (unsigned long)dst,
			    (unsigned long)pages);
	/* Forbidden first: in a disjoint map a never-touch range is outside usable
	 * RAM too, and naming it says more. */
	if (hits_forbidden(c, dst, end, &fb, &fe))
		return fail(c, CHECK_E_FORBIDDEN, "%s run %lu dst 0x%lx-0x%lx covers reserved or never-touch range 0x%lx-0x%lx",
			    kind, (unsigned long)i, (unsigned long)dst,
			    (unsigned long)end, (unsigned long)fb,
			    (unsigned long)fe);
	if (!inside_usable(c, dst, end))
		return fail(c, CHECK_E_OUTSIDE, "%s run %lu dst 0x%lx-0x%lx is outside usable RAM",
			    kind, (unsigned long)i, (unsigned long)dst,
			    (unsigned long)end);
	c->pages += pages;
	return 0;
}

/* Whether [a, b) meets [base, base + size). */
static int meets(uint64_t a, uint64_t b, uint64_t base, uint64_t size)
{
	return a < base + size && b > base;
}

static int check_src(struct check *c, uint64_t i, uint64_t src, uint64_t pages)
{
	const struct baton_handoff *h = c->h;
	uint64_t end, ob = 0, os = 0;

	if (src % PAGE || __builtin_add_overflow(src, pages * PAGE, &end))
		return fail(c, CHECK_E_RUN, "copy run %lu src 0x%lx is unaligned or wraps",
			    (unsigned long)i, (unsigned long)src);
	if (!inside_usable(c, src, end))
		return fail(c, CHECK_E_OUTSIDE, "copy run %lu src 0x%lx-0x%lx is outside usable RAM",
			    (unsigned long)i, (unsigned long)src, (unsigned long)end);
	if (meets(src, end, c->self_base, c->self_size))
		ob = c->self_base, os = c->self_size;
	else if (meets(src, end, h->loader_base, h->loader_size))
		ob = h->loader_base, os = h->loader_size;
	if (os)
		return fail(c, CHECK_E_SELF, "copy run %lu src 0x%lx-0x%lx lies in the loader region 0x%lx-0x%lx",
			    (unsigned long)i, (unsigned long)src, (unsigned long)end,
			    (unsigned long)ob, (unsigned long)(ob + os));
	if (c->h_pa && meets(src, end, c->h_pa, h->total_size))
		return fail(c, CHECK_E_SELF, "copy run %lu src 0x%lx-0x%lx lies in the handoff 0x%lx-0x%lx",
			    (unsigned long)i, (unsigned long)src, (unsigned long)end,
			    (unsigned long)c->h_pa, (unsigned long)(c->h_pa + h->total_size));
	return 0;
}

static uint64_t ref_end(const struct check *c, uint64_t ref)
{
	if (ref & CHECK_REF_ZERO) {
		const struct baton_zero_run *z = &handoff_zero(c->h)[ref & ~CHECK_REF_ZERO];

		return z->dst + z->pages * PAGE;
	}
	return handoff_copy(c->h)[ref].dst + handoff_copy(c->h)[ref].pages * PAGE;
}

static const char *ref_kind(uint64_t ref)
{
	return (ref & CHECK_REF_ZERO) ? "zero" : "copy";
}

static int check_overlaps(struct check *c, struct sort_kv *tmp)
{
	const struct baton_copy_run *cr = handoff_copy(c->h);

	sort_kv(c->dst, tmp, c->ndst);
	for (uint64_t i = 1; i < c->ndst; i++) {
		uint64_t a = c->dst[i - 1].val, b = c->dst[i].val;

		if (ref_end(c, a) > c->dst[i].key)
			return fail(c, CHECK_E_OVERLAP, "%s run %lu dst 0x%lx-0x%lx overlaps %s run %lu dst 0x%lx-0x%lx",
				    ref_kind(a), (unsigned long)(a & ~CHECK_REF_ZERO),
				    (unsigned long)c->dst[i - 1].key,
				    (unsigned long)ref_end(c, a), ref_kind(b),
				    (unsigned long)(b & ~CHECK_REF_ZERO),
				    (unsigned long)c->dst[i].key,
				    (unsigned long)ref_end(c, b));
	}
	sort_kv(c->src, tmp, c->nsrc);
	for (uint64_t i = 1; i < c->nsrc; i++) {
		const struct baton_copy_run *a = &cr[c->src[i - 1].val], *b = &cr[c->src[i].val];

		if (a->src + a->pages * PAGE > b->src)
			return fail(c, CHECK_E_OVERLAP, "copy run %lu src 0x%lx overlaps copy run %lu src 0x%lx",
				    (unsigned long)c->src[i - 1].val,
				    (unsigned long)a->src,
				    (unsigned long)c->src[i].val,
				    (unsigned long)b->src);
	}
	return 0;
}

/*
 * Whether [addr, addr + len) is placed by copy runs: it may run across several
 * runs whose destinations touch (a slot on a page boundary, sources apart).
 */
static int placed_by_copy(const struct check *c, uint64_t addr, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(addr, len, &end))
		return 0;
	do {
		int64_t i = find_le(c->dst, c->ndst, addr);

		if (i < 0 || (c->dst[i].val & CHECK_REF_ZERO) || ref_end(c, c->dst[i].val) <= addr)
			return 0;
		addr = ref_end(c, c->dst[i].val);
	} while (addr < end);
	return 1;
}

static int check_entry(struct check *c)
{
	const struct baton_handoff *h = c->h;

	uint32_t conv = h->entry.convention;
	int is_linux = conv == BATON_ENTRY_LINUX64 || conv == BATON_ENTRY_LINUX32;
	int paging_off = conv == BATON_ENTRY_LINUX32 || conv == BATON_ENTRY_ELF32;

	if (conv < BATON_ENTRY_ELF64 || conv > BATON_ENTRY_ELF32)
		return fail(c, CHECK_E_ENTRY, "entry convention %u is not supported by this loader",
			    (unsigned)conv);
	if (!placed_by_copy(c, h->entry.addr, 1))
		return fail(c, CHECK_E_ENTRY, "entry 0x%lx is not inside any copied destination",
			    (unsigned long)h->entry.addr);
	/* The zero page must be placed whole: the kernel reads all of it. */
	if (is_linux && !placed_by_copy(c, h->entry.args[1], PAGE))
		return fail(c, CHECK_E_ENTRY, "Linux zero page 0x%lx is not inside a copied destination",
			    (unsigned long)h->entry.args[1]);
	/* Paging off: 32-bit registers reach only the first 4 GiB. */
	if (paging_off && (h->entry.addr >= (1ull << 32) || h->entry.args[0] >= (1ull << 32) ||
			   h->entry.args[1] >= (1ull << 32)))
		return fail(c, CHECK_E_ENTRY, "32-bit entry 0x%lx or argument 0x%lx/0x%lx lies above 4 GiB",
			    (unsigned long)h->entry.addr, (unsigned long)h->entry.args[0],
			    (unsigned long)h->entry.args[1]);
	if (h->timings_addr && h->timings_count &&
	    !placed_by_copy(c, h->timings_addr, 8ull * h->timings_count))
		return fail(c, CHECK_E_ENTRY, "timing slots 0x%lx x%u are not inside a copied destination",
			    (unsigned long)h->timings_addr, (unsigned)h->timings_count);
	if (h->hash_alg != BATON_HASH_XXH64)
		return fail(c, CHECK_E_ENTRY, "hash algorithm %u is not supported", (unsigned)h->hash_alg);
	return 0;
}

int check_runs(struct check *c)
{
	const struct baton_handoff *h = c->h;
	const struct baton_copy_run *cr = handoff_copy(h);
	const struct baton_zero_run *zr = handoff_zero(h);
	uint64_t ndst = h->copy_count + h->zero_count;
	struct sort_kv *tmp;
	int err;

	if (c->work_bytes < check_work_size(h->copy_count, h->zero_count, h->mem_count))
		return fail(c, CHECK_E_WORK, "work area of %lu bytes is too small for %lu runs",
			    (unsigned long)c->work_bytes, (unsigned long)ndst);
	c->dst = c->work;
	c->src = c->dst + ndst;
	c->usable = c->src + h->copy_count;
	c->forbid = c->usable + h->mem_count;
	tmp = c->forbid + h->mem_count;		/* max(ndst, mem_count) entries */

	err = check_memmap(c, tmp);
	if (err)
		return err;
	c->pages = 0;
	c->ndst = c->nsrc = 0;
	for (uint64_t i = 0; i < h->copy_count; i++) {
		err = check_dst(c, "copy", i, cr[i].dst, cr[i].pages);
		if (!err)
			err = check_src(c, i, cr[i].src, cr[i].pages);
		if (err)
			return err;
		c->dst[c->ndst++] = (struct sort_kv){ cr[i].dst, i };
		c->src[c->nsrc++] = (struct sort_kv){ cr[i].src, i };
	}
	for (uint64_t i = 0; i < h->zero_count; i++) {
		if (zr[i].reserved[0] || zr[i].reserved[1])
			return fail(c, CHECK_E_FIELD, "zero run %lu: reserved 0x%lx 0x%lx, must be zero",
				    (unsigned long)i, (unsigned long)zr[i].reserved[0],
				    (unsigned long)zr[i].reserved[1]);
		err = check_dst(c, "zero", i, zr[i].dst, zr[i].pages);
		if (err)
			return err;
		c->dst[c->ndst++] = (struct sort_kv){ zr[i].dst, i | CHECK_REF_ZERO };
	}
	err = check_overlaps(c, tmp);
	if (!err)
		err = check_entry(c);
	return err;
}

int check_hits_dst(const struct check *c, uint64_t base, uint64_t size)
{
	int64_t i = find_le(c->dst, c->ndst, base + size - 1);

	return i >= 0 && ref_end(c, c->dst[i].val) > base;
}

/* The first busy range of a sorted array that ends after x and starts before x + need. */
static int busy_in(const struct sort_kv *a, uint64_t n, uint64_t x, uint64_t need,
		   uint64_t (*end)(const struct check *, const struct sort_kv *),
		   const struct check *c, uint64_t *next)
{
	int64_t i = find_le(a, n, x + need - 1);

	if (i < 0 || end(c, &a[i]) <= x)
		return 0;
	*next = end(c, &a[i]);
	return 1;
}

static uint64_t end_dst(const struct check *c, const struct sort_kv *e)
{
	return ref_end(c, e->val);
}

static uint64_t end_src(const struct check *c, const struct sort_kv *e)
{
	const struct baton_copy_run *r = &handoff_copy(c->h)[e->val];

	return r->src + r->pages * PAGE;
}

static uint64_t end_range(const struct check *c, const struct sort_kv *e)
{
	(void)c;
	return e->val;
}

/*
 * Walk usable RAM upwards from 1 MiB; at each candidate x, if anything busy meets
 * [x, x + need), jump past its end. Each jump passes one busy range, so the walk
 * is O(n log n) at most.
 */
int check_find_spot(struct check *c, uint64_t need, uint64_t avoid, uint64_t avoid_size,
		    uint64_t *spot)
{
	for (uint64_t u = 0; u < c->nusable; u++) {
		uint64_t x = c->usable[u].key < (1ull << 20) ? (1ull << 20) : c->usable[u].key;

		while (x + need <= c->usable[u].val) {
			uint64_t next = 0;

			if (busy_in(c->dst, c->ndst, x, need, end_dst, c, &next) ||
			    busy_in(c->src, c->nsrc, x, need, end_src, c, &next) ||
			    busy_in(c->forbid, c->nforbid, x, need, end_range, c, &next)) {
				x = (next + PAGE - 1) & ~(PAGE - 1);
				continue;
			}
			if (x < avoid + avoid_size && x + need > avoid) {
				x = (avoid + avoid_size + PAGE - 1) & ~(PAGE - 1);
				continue;
			}
			if (x < c->self_base + c->self_size && x + need > c->self_base) {
				x = (c->self_base + c->self_size + PAGE - 1) & ~(PAGE - 1);
				continue;
			}
			*spot = x;
			return 0;
		}
	}
	return fail(c, CHECK_E_NOSPOT, "no free 0x%lx bytes of usable RAM to move the loader to",
		    (unsigned long)need);
}
