/* SPDX-License-Identifier: MIT */
/*
 * Validate a handoff before anything is written (coreboot's
 * check_payload_segments() before load_payload_segments()). core/check.h lists
 * the steps; core/chain.c walks the list pages for them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include "core/check.h"
#include "core/crc32.h"
#include "core/memmap.h"
#include "core/size.h"

#define PAGE		BATON_PAGE_SIZE
#define MAP_BYTES(n)	((uint64_t)(n) * sizeof(struct baton_mem_range))

int check_fail(struct check *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vformat(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return err;
}

#define fail check_fail

/* Whether [a, b) meets [base, end). */
static int meets(uint64_t a, uint64_t b, uint64_t base, uint64_t end)
{
	return a < end && b > base;
}

/* The range the loader owns that [a, b) meets, or NULL. */
static const struct check_own *own_hit(const struct check *c, uint64_t a, uint64_t b)
{
	for (uint32_t i = 0; i < c->nown; i++)
		if (meets(a, b, c->own[i].base, c->own[i].end))
			return &c->own[i];
	return NULL;
}

SIZE_NOINLINE static void own_add(struct check *c, uint64_t base, uint64_t size, const char *name)
{
	c->own[c->nown++] = (struct check_own){ base, base + size, name };
}

static int any_nonzero(const void *p, uint64_t n)
{
	const uint8_t *b = p;

	for (uint64_t i = 0; i < n; i++)
		if (b[i])
			return 1;
	return 0;
}

/* What check_header() reads besides magic, sizes and CRC: fields in range. */
SIZE_NOINLINE static int check_fields(struct check *c)
{
	const struct baton_handoff *h = &c->seen.h;
	const struct baton_entry *e = &h->entry;
	int64_t bad;

	if (h->flags || h->pad0 || h->pad1 || h->console.pad || e->flags ||
	    any_nonzero(h->reserved, sizeof(h->reserved)))
		return fail(c, CHECK_E_FIELD, "flags 0x%x or a reserved field is not zero: handoff v2 defines none",
			    (unsigned)h->flags);
	if (h->hash_alg != BATON_HASH_XXH64)
		return fail(c, CHECK_E_FIELD, "hash algorithm %u is not supported", (unsigned)h->hash_alg);
	if (h->reset.action > BATON_PANIC_HALT || h->reset.acpi_space > BATON_RESET_SPACE_IO ||
	    h->reset.pad)
		return fail(c, CHECK_E_FIELD, "reset: action %u, ACPI space %u, pad 0x%x: not defined in v2",
			    (unsigned)h->reset.action, (unsigned)h->reset.acpi_space,
			    (unsigned)h->reset.pad);
	if (h->reset.acpi_space == BATON_RESET_SPACE_IO && h->reset.acpi_addr > 0xffff)
		return fail(c, CHECK_E_FIELD, "reset: ACPI I/O port 0x%lx is past 0xffff",
			    (unsigned long)h->reset.acpi_addr);
	if (h->console.kind > BATON_CON_UART_IO)
		return fail(c, CHECK_E_FIELD, "console kind %u is not known", (unsigned)h->console.kind);
	if (e->mode != BATON_MODE_LONG64 && e->mode != BATON_MODE_PROT32)
		return fail(c, CHECK_E_ENTRY, "entry mode %u is not supported by this loader",
			    (unsigned)e->mode);
	/* Paging off: 32-bit registers reach only the first 4 GiB. */
	if (e->mode == BATON_MODE_PROT32)
		for (int r = -1; r < BATON_REG_COUNT; r++)
			if ((r < 0 ? e->addr : e->regs[r]) >> 32)
				return fail(c, CHECK_E_ENTRY, "32-bit entry 0x%lx or a register 0x%lx lies above 4 GiB",
					    (unsigned long)e->addr,
					    (unsigned long)(r < 0 ? 0 : e->regs[r]));
	bad = memmap_bad(c->seen.map, h->mem_count);
	if (h->mem_count == 0)
		return fail(c, CHECK_E_MEMMAP, "empty memory map");
	if (bad >= 0)
		return fail(c, CHECK_E_MEMMAP, "memory range %ld 0x%lx+0x%lx type %u is invalid or not sorted and disjoint",
			    (long)bad, (unsigned long)c->seen.map[bad].base,
			    (unsigned long)c->seen.map[bad].size, (unsigned)c->seen.map[bad].type);
	/* A panic writes the reset register: in memory space it is a device's,
	 * never RAM the new world (or the loader) may hold. */
	if (h->reset.acpi_addr && h->reset.acpi_space == BATON_RESET_SPACE_MEM &&
	    memmap_fits(c->seen.map, h->mem_count, h->reset.acpi_addr & ~(PAGE - 1),
			(h->reset.acpi_addr & ~(PAGE - 1)) + PAGE, NULL) == MEMMAP_FITS)
		return fail(c, CHECK_E_FIELD, "reset: ACPI register 0x%lx in memory space lies in usable RAM",
			    (unsigned long)h->reset.acpi_addr);
	return 0;
}

/* The work area the stage proposes: big enough, in usable RAM, off the loader. */
static int check_work_proposal(struct check *c)
{
	const struct baton_handoff *h = &c->seen.h;
	const struct check_own *o;
	uint64_t end;

	if (h->work_base % PAGE || h->work_size % PAGE || h->work_size < c->work.size ||
	    __builtin_add_overflow(h->work_base, h->work_size, &end))
		return fail(c, CHECK_E_WORK, "work area 0x%lx+0x%lx: unaligned, or smaller than the 0x%lx bytes it needs",
			    (unsigned long)h->work_base, (unsigned long)h->work_size,
			    (unsigned long)c->work.size);
	if (memmap_fits(c->seen.map, h->mem_count, h->work_base, end, NULL) != MEMMAP_FITS)
		return fail(c, CHECK_E_WORK, "work area 0x%lx-0x%lx is not usable RAM",
			    (unsigned long)h->work_base, (unsigned long)end);
	o = own_hit(c, h->work_base, end);
	if (o)
		return fail(c, CHECK_E_WORK, "work area 0x%lx-0x%lx meets the %s 0x%lx-0x%lx",
			    (unsigned long)h->work_base, (unsigned long)end, o->name,
			    (unsigned long)o->base, (unsigned long)o->end);
	own_add(c, h->work_base, h->work_size, "work area");
	return 0;
}

int check_header(struct check *c)
{
	const struct baton_handoff *h = c->h;
	struct baton_handoff *s = &c->seen.h;
	uint32_t crc;
	int err;

	*s = *h;	/* from here on, only the copy is read */
	if (s->magic != BATON_HANDOFF_MAGIC)
		return fail(c, CHECK_E_MAGIC, "bad magic 0x%016lx (want 0x%016lx)",
			    (unsigned long)s->magic, (unsigned long)BATON_HANDOFF_MAGIC);
	if (s->version != BATON_HANDOFF_VERSION)
		return fail(c, CHECK_E_VERSION, "handoff version %u, this loader reads %u",
			    (unsigned)s->version, (unsigned)BATON_HANDOFF_VERSION);
	if (c->h_pa % PAGE)
		return fail(c, CHECK_E_SIZE, "the handoff page is not 4 KiB aligned");
	if (s->header_size != sizeof(*s) || s->mem_count > BATON_MAP_MAX)
		return fail(c, CHECK_E_SIZE, "bad sizes: header %u bytes, %u memory ranges (at most %u)",
			    (unsigned)s->header_size, (unsigned)s->mem_count, BATON_MAP_MAX);
	memcpy(c->seen.map, h + 1, MAP_BYTES(s->mem_count));
	crc = crc32_handoff(&c->seen.h);
	if (crc != s->crc32)
		return fail(c, CHECK_E_CRC, "bad CRC 0x%08x over the handoff page (header says 0x%08x)",
			    (unsigned)crc, (unsigned)s->crc32);
	err = check_fields(c);
	if (err)
		return err;
	if (work_layout(s, c->seen.map, &c->work))
		return fail(c, CHECK_E_SIZE, "no memory holds a work area for %lu copy runs in %lu pieces and %lu list pages",
			    (unsigned long)s->copy_runs, (unsigned long)s->plan_pieces,
			    (unsigned long)s->chain_pages);
	/* Our own code, stack and tables must stay mapped once CR3 points at the new map. */
	if (c->self_base + c->self_size > c->work.map_top || c->h_pa + PAGE > c->work.map_top)
		return fail(c, CHECK_E_SIZE, "loader 0x%lx+0x%lx or handoff page 0x%lx lies above the memory map's RAM (top 0x%lx)",
			    (unsigned long)c->self_base, (unsigned long)c->self_size,
			    (unsigned long)c->h_pa, (unsigned long)c->work.map_top);
	c->nown = 0;
	own_add(c, c->self_base, c->self_size, "loader region");
	own_add(c, c->h_pa, PAGE, "handoff page");
	return c->no_work ? 0 : check_work_proposal(c);
}

/* Walk 1: a list page must not be memory the loader owns. */
static int chain_page_own(struct check *c, uint64_t i, uint64_t pa)
{
	const struct check_own *o = own_hit(c, pa, pa + PAGE);

	if (o)
		return fail(c, CHECK_E_LIST, "list page %lu at 0x%lx lies in the %s 0x%lx-0x%lx",
			    (unsigned long)i, (unsigned long)pa, o->name, (unsigned long)o->base,
			    (unsigned long)o->end);
	return 0;
}

/* Walk 1: nothing the lists place or read may lie in the work area, which the
 * loader writes before it has sorted them. */
static int chain_run_work(struct check *c, uint32_t kind, uint64_t src, uint64_t dst,
			  uint64_t pages)
{
	const struct baton_handoff *h = &c->seen.h;
	uint64_t b = h->work_base, e = h->work_base + h->work_size;

	if (c->no_work)
		return 0;
	if (meets(dst, dst + pages * PAGE, b, e) ||
	    (kind == BATON_L_SRC && meets(src, src + pages * PAGE, b, e)))
		return fail(c, CHECK_E_WORK, "work area 0x%lx-0x%lx meets a run: src 0x%lx dst 0x%lx pages %lu",
			    (unsigned long)b, (unsigned long)e,
			    (unsigned long)(kind == BATON_L_SRC ? src : 0), (unsigned long)dst,
			    (unsigned long)pages);
	return 0;
}

/* The walk's totals against the header's. */
static int chain_totals(struct check *c)
{
	const struct baton_handoff *h = &c->seen.h;

	if (c->ncopy != h->copy_runs || c->nzero != h->zero_runs || c->nclaim != h->claim_runs)
		return fail(c, CHECK_E_LIST, "the lists make %lu copy, %lu zero and %lu claim runs; the header says %lu, %lu, %lu",
			    (unsigned long)c->ncopy, (unsigned long)c->nzero,
			    (unsigned long)c->nclaim, (unsigned long)h->copy_runs,
			    (unsigned long)h->zero_runs, (unsigned long)h->claim_runs);
	if (c->chain_crc != h->chain_crc32)
		return fail(c, CHECK_E_CRC, "bad CRC 0x%08x over %lu list pages (header says 0x%08x)",
			    (unsigned)c->chain_crc, (unsigned long)c->nlist, (unsigned)h->chain_crc32);
	return 0;
}

int check_chain(struct check *c)
{
	struct chain_ops ops = { .crc = 1, .page = chain_page_own, .run = chain_run_work };

	int err = chain_walk(c, &ops);

	return err ? err : chain_totals(c);
}

/*
 * A CPU that was still running until the park step could have written the handoff
 * page after check_header() copied it: the copy is what the loader goes by, so
 * the page must still say the same.
 */
int check_unchanged(struct check *c)
{
	const uint8_t *a = (const uint8_t *)c->h, *b = (const uint8_t *)&c->seen;
	uint64_t n = sizeof(c->seen.h) + MAP_BYTES(c->seen.h.mem_count);

	for (uint64_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return fail(c, CHECK_E_CHANGED, "handoff page byte 0x%lx changed from 0x%02x to 0x%02x after it was checked",
				    (unsigned long)i, (unsigned)b[i], (unsigned)a[i]);
	return 0;
}

/* Walk 2: the runs and list pages into the work area, bounded by the header. */
static int collect_page(struct check *c, uint64_t i, uint64_t pa)
{
	/* i < chain_pages: chain_walk stops a longer chain before asking */
	c->list[i] = (struct sort_kv){ pa, i };
	return chain_page_own(c, i, pa);
}

static int collect_run(struct check *c, uint32_t kind, uint64_t src, uint64_t dst,
		       uint64_t pages)
{
	const struct baton_handoff *h = &c->seen.h;

	if (kind == BATON_L_SRC && c->ncopy < h->copy_runs)
		c->copy[c->ncopy] = (struct plan_run){ src, dst, pages };
	else if (kind == BATON_L_ZERO && c->nzero < h->zero_runs)
		c->zero[c->nzero] = (struct plan_zero){ dst, pages };
	else if (kind == BATON_L_CLAIM && c->nclaim < h->claim_runs)
		c->claim[c->nclaim] = (struct plan_zero){ dst, pages };
	else
		return fail(c, CHECK_E_CHANGED, "the lists make more runs than when they were checked");
	return chain_run_work(c, kind, src, dst, pages);
}

int check_collect(struct check *c, uint8_t *w)
{
	struct chain_ops ops = { .crc = 1, .page = collect_page, .run = collect_run };
	int err;

	c->mem = w + c->work.mem_off;
	c->copy = (struct plan_run *)(w + c->work.copy_off);
	c->zero = (struct plan_zero *)(w + c->work.zero_off);
	c->claim = (struct plan_zero *)(w + c->work.claim_off);
	c->list = (struct sort_kv *)(w + c->work.list_off);
	err = chain_walk(c, &ops);
	return err ? err : chain_totals(c);
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

static const char *ref_kind(uint64_t ref)
{
	return (ref & CHECK_REF_CLAIM) ? "claim" : (ref & CHECK_REF_ZERO) ? "zero" : "copy";
}

static uint64_t ref_end(const struct check *c, uint64_t ref)
{
	uint64_t i = ref & CHECK_REF_INDEX;

	if (ref & CHECK_REF_CLAIM)
		return c->claim[i].dst + c->claim[i].pages * PAGE;
	if (ref & CHECK_REF_ZERO)
		return c->zero[i].dst + c->zero[i].pages * PAGE;
	return c->copy[i].dst + c->copy[i].pages * PAGE;
}

static int check_dst(struct check *c, uint64_t ref, uint64_t dst, uint64_t pages)
{
	const struct baton_mem_range *hit = 0;
	uint64_t end = dst + pages * PAGE;	/* the walker refused wrapping runs */
	int fit = memmap_fits(c->seen.map, c->seen.h.mem_count, dst, end, &hit);

	if (fit == MEMMAP_FORBIDDEN)
		return fail(c, CHECK_E_FORBIDDEN, "%s run %lu dst 0x%lx-0x%lx covers reserved or never-touch range 0x%lx-0x%lx",
			    ref_kind(ref), (unsigned long)(ref & CHECK_REF_INDEX),
			    (unsigned long)dst, (unsigned long)end, (unsigned long)hit->base,
			    (unsigned long)(hit->base + hit->size));
	if (fit != MEMMAP_FITS)
		return fail(c, CHECK_E_OUTSIDE, "%s run %lu dst 0x%lx-0x%lx is outside usable RAM",
			    ref_kind(ref), (unsigned long)(ref & CHECK_REF_INDEX),
			    (unsigned long)dst, (unsigned long)end);
	c->dst[c->ndst++] = (struct sort_kv){ dst, ref };
	return 0;
}

static int check_src(struct check *c, uint64_t i, uint64_t src, uint64_t pages)
{
	uint64_t end = src + pages * PAGE;
	const struct check_own *o;

	if (memmap_fits(c->seen.map, c->seen.h.mem_count, src, end, NULL) != MEMMAP_FITS)
		return fail(c, CHECK_E_OUTSIDE, "copy run %lu src 0x%lx-0x%lx is outside usable RAM",
			    (unsigned long)i, (unsigned long)src, (unsigned long)end);
	o = own_hit(c, src, end);
	if (o)
		return fail(c, CHECK_E_SELF, "copy run %lu src 0x%lx-0x%lx lies in the %s 0x%lx-0x%lx",
			    (unsigned long)i, (unsigned long)src, (unsigned long)end, o->name,
			    (unsigned long)o->base, (unsigned long)o->end);
	c->src[c->nsrc++] = (struct sort_kv){ src, i };
	return 0;
}

static int check_overlaps(struct check *c, struct sort_kv *tmp)
{
	sort_kv(c->dst, tmp, c->ndst);
	for (uint64_t i = 1; i < c->ndst; i++) {
		uint64_t a = c->dst[i - 1].val, b = c->dst[i].val;

		if (ref_end(c, a) > c->dst[i].key)
			return fail(c, CHECK_E_OVERLAP, "%s run %lu dst 0x%lx-0x%lx overlaps %s run %lu dst 0x%lx-0x%lx",
				    ref_kind(a), (unsigned long)(a & CHECK_REF_INDEX),
				    (unsigned long)c->dst[i - 1].key, (unsigned long)ref_end(c, a),
				    ref_kind(b), (unsigned long)(b & CHECK_REF_INDEX),
				    (unsigned long)c->dst[i].key, (unsigned long)ref_end(c, b));
	}
	sort_kv(c->src, tmp, c->nsrc);
	for (uint64_t i = 1; i < c->nsrc; i++) {
		const struct plan_run *a = &c->copy[c->src[i - 1].val], *b = &c->copy[c->src[i].val];

		if (a->src + a->pages * PAGE > b->src)
			return fail(c, CHECK_E_OVERLAP, "copy run %lu src 0x%lx overlaps copy run %lu src 0x%lx",
				    (unsigned long)c->src[i - 1].val, (unsigned long)a->src,
				    (unsigned long)c->src[i].val, (unsigned long)b->src);
	}
	return 0;
}

static uint64_t src_end(const struct check *c, uint64_t i)
{
	return c->copy[i].src + c->copy[i].pages * PAGE;
}

/* List pages are read until the last verify: none may be placed over or be a
 * source (the stage asks its allocator for pages that are neither). None is in
 * the chain twice: a chain that comes back to a page goes on past chain_pages,
 * which chain_walk refuses. */
static int check_list_pages(struct check *c, struct sort_kv *tmp)
{
	sort_kv(c->list, tmp, c->nlist);
	for (uint64_t i = 0; i < c->nlist; i++) {
		uint64_t pa = c->list[i].key;
		int64_t d = find_le(c->dst, c->ndst, pa), s = find_le(c->src, c->nsrc, pa);

		if (d >= 0 && ref_end(c, c->dst[d].val) > pa)
			return fail(c, CHECK_E_LIST, "list page %lu at 0x%lx lies in %s run %lu's destination 0x%lx-0x%lx",
				    (unsigned long)c->list[i].val, (unsigned long)pa,
				    ref_kind(c->dst[d].val), (unsigned long)(c->dst[d].val & CHECK_REF_INDEX),
				    (unsigned long)c->dst[d].key, (unsigned long)ref_end(c, c->dst[d].val));
		if (s >= 0 && src_end(c, c->src[s].val) > pa)
			return fail(c, CHECK_E_LIST, "list page %lu at 0x%lx lies in copy run %lu's source 0x%lx-0x%lx",
				    (unsigned long)c->list[i].val, (unsigned long)pa,
				    (unsigned long)c->src[s].val, (unsigned long)c->src[s].key,
				    (unsigned long)src_end(c, c->src[s].val));
	}
	return 0;
}

/* Whether [addr, addr + len) is placed by copy runs: it may run across several
 * runs whose destinations touch (a slot on a page boundary, sources apart). */
static int placed_by_copy(const struct check *c, uint64_t addr, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(addr, len, &end))
		return 0;
	do {
		int64_t i = find_le(c->dst, c->ndst, addr);

		if (i < 0 || (c->dst[i].val & ~CHECK_REF_INDEX) || ref_end(c, c->dst[i].val) <= addr)
			return 0;
		addr = ref_end(c, c->dst[i].val);
	} while (addr < end);
	return 1;
}

static int check_entry(struct check *c)
{
	const struct baton_handoff *h = &c->seen.h;

	if (!placed_by_copy(c, h->entry.addr, 1))
		return fail(c, CHECK_E_ENTRY, "entry 0x%lx is not inside any copied destination",
			    (unsigned long)h->entry.addr);
	if (h->timings_addr && h->timings_count &&
	    !placed_by_copy(c, h->timings_addr, 8ull * h->timings_count))
		return fail(c, CHECK_E_ENTRY, "timing slots 0x%lx x%u are not inside a copied destination",
			    (unsigned long)h->timings_addr, (unsigned)h->timings_count);
	return 0;
}

int check_runs(struct check *c)
{
	uint64_t ndst = c->ncopy + c->nzero + c->nclaim;
	struct sort_kv *tmp;
	int err = 0;

	c->dst = (struct sort_kv *)c->mem;
	c->src = c->dst + ndst;
	tmp = c->src + c->ncopy;		/* max(ndst, nlist) entries */
	c->ndst = c->nsrc = 0;
	for (uint64_t i = 0; !err && i < c->ncopy; i++) {
		err = check_dst(c, i, c->copy[i].dst, c->copy[i].pages);
		if (!err)
			err = check_src(c, i, c->copy[i].src, c->copy[i].pages);
	}
	for (uint64_t i = 0; !err && i < c->nzero; i++)
		err = check_dst(c, i | CHECK_REF_ZERO, c->zero[i].dst, c->zero[i].pages);
	for (uint64_t i = 0; !err && i < c->nclaim; i++)
		err = check_dst(c, i | CHECK_REF_CLAIM, c->claim[i].dst, c->claim[i].pages);
	if (!err)
		err = check_overlaps(c, tmp);
	if (!err)
		err = check_list_pages(c, tmp);
	if (!err)
		err = check_entry(c);
	return err;
}

int check_hits_dst(const struct check *c, uint64_t base, uint64_t size)
{
	int64_t i = find_le(c->dst, c->ndst, base + size - 1);

	return i >= 0 && ref_end(c, c->dst[i].val) > base;
}

/* The end of the busy range of a sorted array that holds x, or 0. */
static uint64_t busy_at(const struct check *c, const struct sort_kv *a, uint64_t n, uint64_t x,
			int which)
{
	int64_t i = find_le(a, n, x);
	uint64_t end;

	if (i < 0)
		return 0;
	end = which == 0 ? ref_end(c, a[i].val) : which == 1 ? src_end(c, a[i].val) : a[i].key + PAGE;
	return end > x ? end : 0;
}

/* The start of the first busy range of a sorted array above x, or ~0. */
static uint64_t busy_after(const struct sort_kv *a, uint64_t n, uint64_t x)
{
	int64_t i = find_le(a, n, x);

	return (uint64_t)(i + 1) < n ? a[i + 1].key : ~0ull;
}

/*
 * The free stretch of usable range [x, limit) that starts at x, or where the busy
 * range holding x ends (*skip). Every array is sorted and disjoint, so each step
 * is two binary searches per array.
 */
static uint64_t free_until(const struct check *c, uint64_t x, uint64_t limit, uint64_t *skip)
{
	const struct sort_kv *arr[3] = { c->dst, c->src, c->list };
	const uint64_t cnt[3] = { c->ndst, c->nsrc, c->nlist };
	uint64_t to = limit;

	*skip = 0;
	for (int k = 0; k < 3; k++) {
		uint64_t e = busy_at(c, arr[k], cnt[k], x, k), b = busy_after(arr[k], cnt[k], x);

		if (e > *skip)
			*skip = e;
		if (b < to)
			to = b;
	}
	for (uint64_t i = 0; i < c->nown + c->nkeep; i++) {
		uint64_t b = i < c->nown ? c->own[i].base : c->keep[i - c->nown].base;
		uint64_t e = i < c->nown ? c->own[i].end : b + c->keep[i - c->nown].size;

		b &= ~(PAGE - 1);	/* a busy byte makes its page busy: x stays aligned */
		if (b <= x && e > x && e > *skip)
			*skip = e;
		if (b > x && b < to)
			to = b;
	}
	return to;
}

int check_find_spot(struct check *c, uint64_t need, uint64_t from, const char *what,
		    uint64_t *spot)
{
	const struct baton_mem_range *m = c->seen.map;
	uint64_t largest = 0;

	for (uint64_t u = 0; u < c->seen.h.mem_count; u++) {
		uint64_t x = m[u].base < from ? from : m[u].base, limit = m[u].base + m[u].size;

		if (m[u].type != BATON_MEM_USABLE)
			continue;
		x = (x + PAGE - 1) & ~(PAGE - 1);
		while (x < limit) {
			uint64_t skip, to = free_until(c, x, limit, &skip);

			if (skip) {
				x = (skip + PAGE - 1) & ~(PAGE - 1);
				continue;
			}
			to &= ~(PAGE - 1);
			if (to - x >= need) {
				*spot = x;
				return 0;
			}
			if (to - x > largest)
				largest = to - x;
			x = to;
		}
	}
	return fail(c, CHECK_E_NOSPOT, "%s needs %lu KiB of free RAM in one block; the largest free block is %lu KiB",
		    what, (unsigned long)(need >> 10), (unsigned long)(largest >> 10));
}

int check_places(struct check *c, uint64_t *move_to, uint64_t *tramp)
{
	struct check_own self = c->own[0];
	uint64_t nkeep = c->nkeep;
	int err = 0;

	/* the caller's keep ranges matter to the work area only: gone by now */
	c->nkeep = 0;
	*move_to = *tramp = 0;
	if (check_hits_dst(c, c->self_base, c->self_size))
		err = check_find_spot(c, c->self_size, 1ull << 20, "moving the loader", move_to);
	if (err || c->seen.h.entry.mode != BATON_MODE_PROT32) {
		c->nkeep = nkeep;
		return err;
	}
	/* the trampoline keeps off where the loader will run */
	if (*move_to)
		c->own[0] = (struct check_own){ *move_to, *move_to + c->self_size, self.name };
	err = check_find_spot(c, PAGE, 1ull << 20, "the 32-bit trampoline", tramp);
	c->own[0] = self;
	c->nkeep = nkeep;
	if (!err && *tramp + PAGE > (1ull << 32))
		err = fail(c, CHECK_E_NOSPOT, "the 32-bit trampoline needs a free page below 4 GiB; the lowest free one is 0x%lx",
			   (unsigned long)*tramp);
	return err;
}
