/* SPDX-License-Identifier: MIT */
/*
 * The loader's validator (loader/check.c) against a naive oracle written from
 * docs/handoff.md's rules: whatever check_runs() accepts, the oracle must accept
 * too (no bad run reaches the copy), and whatever it refuses must break a rule.
 * An accepted handoff then goes through the planner dry, which must not find a
 * precondition broken, and check_find_spot()'s answer must really be free.
 *
 * Input, first byte:
 *   bit 0 set: raw. The rest is a handoff, in a heap block of exactly its length
 *              (ASan: no read past it). bit 1: total_size := length, CRC resealed.
 *   bit 0 clear: structured. Counts, ranges and runs are read from the input in
 *              small units (so overlaps and edges are common), the header is
 *              made consistent and sealed; bit 1 then flips one byte afterwards
 *              (bit 2: and reseals), to reach every later check with damage.
 */
#include "loader/check.h"
#include "loader/crc32.h"
#include "loader/layout.h"
#include "loader/plan.h"
#include "tests/fuzz/fuzz.h"

#define PAGE	BATON_PAGE_SIZE
#define GIB	(1ULL << 30)

/* ---------------------------------------------------------------- the oracle */

static int range_end(uint64_t addr, uint64_t pages, uint64_t *end)
{
	return pages && addr % PAGE == 0 && pages <= (~0ULL >> 12) &&
	       !__builtin_add_overflow(addr, pages * PAGE, end);
}

static int o_usable(const struct baton_handoff *h, uint64_t a, uint64_t b)
{
	return fuzz_usable(handoff_mem(h), h->mem_count, a, b);
}

static int o_forbidden(const struct baton_handoff *h, uint64_t a, uint64_t b)
{
	return fuzz_forbidden(handoff_mem(h), h->mem_count, a, b);
}

struct o_run {
	uint64_t dst, end, src, send;
	int copy;
};

/* [a, a + len) covered by copy destinations (touching ones may chain). */
static int o_placed(const struct o_run *r, uint64_t n, uint64_t a, uint64_t len)
{
	uint64_t b;

	if (__builtin_add_overflow(a, len, &b))
		return 0;
	while (a < b) {
		uint64_t i;

		for (i = 0; i < n; i++)
			if (r[i].copy && r[i].dst <= a && a < r[i].end)
				break;
		if (i == n)
			return 0;
		a = r[i].end;
	}
	return 1;
}

/* NULL: the handoff obeys every rule; else the rule it breaks. */
static const char *oracle(const struct baton_handoff *h, const struct check *c,
			  struct o_run *r)
{
	const struct baton_mem_range *m = handoff_mem(h);
	const struct baton_copy_run *cr = handoff_copy(h);
	const struct baton_zero_run *zr = handoff_zero(h);
	uint64_t n = 0;
	uint32_t conv = h->entry.convention;

	if (!h->mem_count)
		return "empty memory map";
	for (uint64_t i = 0; i < h->mem_count; i++) {
		uint64_t end;

		if (m[i].base % PAGE || m[i].size % PAGE || !m[i].size ||
		    __builtin_add_overflow(m[i].base, m[i].size, &end) ||
		    m[i].type < BATON_MEM_USABLE || m[i].type > BATON_MEM_NEVER_TOUCH)
			return "bad memory range";
	}
	for (uint64_t i = 0; i < h->copy_count + h->zero_count; i++, n++) {
		int copy = i < h->copy_count;
		uint64_t dst = copy ? cr[i].dst : zr[i - h->copy_count].dst;
		uint64_t pages = copy ? cr[i].pages : zr[i - h->copy_count].pages;

		r[n].copy = copy;
		if (!range_end(dst, pages, &r[n].end))
			return "bad destination range";
		r[n].dst = dst;
		if (!copy && (zr[i - h->copy_count].reserved[0] || zr[i - h->copy_count].reserved[1]))
			return "zero run reserved words not zero";
		if (!o_usable(h, dst, r[n].end))
			return "destination outside usable RAM";
		if (o_forbidden(h, dst, r[n].end))
			return "destination over a forbidden range";
		if (!copy)
			continue;
		r[n].src = cr[i].src;
		if (cr[i].src % PAGE ||
		    __builtin_add_overflow(cr[i].src, pages * PAGE, &r[n].send))
			return "bad source range";
		if (!o_usable(h, r[n].src, r[n].send))
			return "source outside usable RAM";
		if (fuzz_meets(r[n].src, r[n].send, c->self_base, c->self_base + c->self_size) ||
		    fuzz_meets(r[n].src, r[n].send, h->loader_base, h->loader_base + h->loader_size) ||
		    (c->h_pa && fuzz_meets(r[n].src, r[n].send, c->h_pa, c->h_pa + h->total_size)))
			return "source in the loader or the handoff";
	}
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = i + 1; j < n; j++) {
			if (fuzz_meets(r[i].dst, r[i].end, r[j].dst, r[j].end))
				return "destinations overlap";
			if (r[i].copy && r[j].copy &&
			    fuzz_meets(r[i].src, r[i].send, r[j].src, r[j].send))
				return "sources overlap";
		}
	if (conv < BATON_ENTRY_ELF64 || conv > BATON_ENTRY_ELF32)
		return "unknown convention";
	if (!o_placed(r, n, h->entry.addr, 1))
		return "entry not copied";
	if ((conv == BATON_ENTRY_LINUX64 || conv == BATON_ENTRY_LINUX32) &&
	    !o_placed(r, n, h->entry.args[1], PAGE))
		return "zero page not copied";
	if ((conv == BATON_ENTRY_LINUX32 || conv == BATON_ENTRY_ELF32) &&
	    (h->entry.addr >> 32 || h->entry.args[0] >> 32 || h->entry.args[1] >> 32))
		return "32-bit entry above 4 GiB";
	if (h->timings_addr && !o_placed(r, n, h->timings_addr, 8ULL * h->timings_count))
		return "timing slots not copied";
	if (h->hash_alg != BATON_HASH_XXH64)
		return "hash algorithm";
	return NULL;
}

/* ------------------------------------------------------- building a handoff */

static uint64_t addr_of(struct fuzz_in *in, uint64_t unit)
{
	uint64_t a = (uint64_t)fuzz_u16(in) * unit;
	uint8_t odd = fuzz_u8(in);

	if (odd == 0xff)		/* rare: unaligned */
		a += 0x800;
	else if (odd == 0xfe)		/* rare: at the very top */
		a = ~0ULL - PAGE + 1;
	return a;
}

static uint64_t pages_of(struct fuzz_in *in, uint64_t unit)
{
	uint16_t p = fuzz_u16(in);

	if (p == 0xffff)
		return 1ULL << 52;	/* wraps from almost anywhere */
	return (uint64_t)(p & 63) * (unit / PAGE);	/* 0: an empty run */
}

static struct baton_handoff *build(struct fuzz_in *in, uint64_t *len)
{
	static const uint64_t units[4] = { PAGE, 16 * PAGE, 1ULL << 20, GIB };
	uint8_t counts = fuzz_u8(in), counts2 = fuzz_u8(in);
	uint64_t nmem = 1 + (counts & 7), ncopy = counts >> 3 & 31, nzero = counts2 & 7;
	uint64_t unit = units[counts2 >> 3 & 3];
	uint64_t mem_off = sizeof(struct baton_handoff);
	uint64_t copy_off = mem_off + nmem * sizeof(struct baton_mem_range);
	uint64_t zero_off = copy_off + ncopy * sizeof(struct baton_copy_run);
	uint64_t total = zero_off + nzero * sizeof(struct baton_zero_run);
	struct baton_handoff *h = calloc(1, total);
	struct baton_mem_range *m = (void *)((uint8_t *)h + mem_off);
	struct baton_copy_run *cr = (void *)((uint8_t *)h + copy_off);
	struct baton_zero_run *zr = (void *)((uint8_t *)h + zero_off);

	h->magic = BATON_HANDOFF_MAGIC;
	h->version = BATON_HANDOFF_VERSION;
	h->header_size = sizeof(*h);
	h->total_size = total;
	h->mem_off = mem_off, h->mem_count = nmem;
	h->copy_off = copy_off, h->copy_count = ncopy;
	h->zero_off = zero_off, h->zero_count = nzero;
	h->hash_alg = fuzz_u8(in) == 0x5a ? 7 : BATON_HASH_XXH64;
	h->entry.convention = 1 + fuzz_u8(in) % 5;	/* 5: unknown */
	h->loader_base = addr_of(in, unit);
	h->loader_size = (1 + fuzz_u8(in) % 16) * PAGE;
	for (uint64_t i = 0; i < nmem; i++) {
		uint8_t t = fuzz_u8(in);

		m[i].base = addr_of(in, unit);
		m[i].size = pages_of(in, unit) * PAGE;
		m[i].type = t < 160 ? BATON_MEM_USABLE : t < 200 ? BATON_MEM_RESERVED :
			    t < 250 ? BATON_MEM_NEVER_TOUCH : t;
	}
	for (uint64_t i = 0; i < ncopy; i++) {
		cr[i].src = addr_of(in, unit);
		cr[i].dst = addr_of(in, unit);
		cr[i].pages = pages_of(in, unit);
	}
	for (uint64_t i = 0; i < nzero; i++) {
		zr[i].dst = addr_of(in, unit);
		zr[i].pages = pages_of(in, unit);
		if (fuzz_u8(in) == 0x5b)	/* rare: a reserved word set */
			zr[i].reserved[fuzz_u8(in) & 1] = 1;
	}
	/* Entry, zero page and timing slots mostly inside a copy run, sometimes not. */
	for (int k = 0; k < 3; k++) {
		uint8_t pick = fuzz_u8(in);
		uint64_t at = ncopy && pick < 200 ? cr[pick % ncopy].dst +
			      fuzz_u16(in) % (cr[pick % ncopy].pages * PAGE | 1) : addr_of(in, unit);

		if (k == 0)
			h->entry.addr = at;
		else if (k == 1)
			h->entry.args[1] = at & ~(PAGE - 1), h->entry.args[0] = at;
		else if (pick & 1)
			h->timings_addr = at & ~7ULL, h->timings_count = fuzz_u8(in) % 12;
	}
	*len = total;
	return h;
}

static void seal(struct baton_handoff *h)
{
	h->crc32 = 0;
	h->crc32 = crc32_handoff(h);
}

/* ------------------------------------------------------------------ the run */

static void check_spot(struct check *c, const struct o_run *r, uint64_t n, uint64_t need,
		       uint64_t avoid, uint64_t avoid_size)
{
	uint64_t spot = 0;

	if (check_find_spot(c, need, avoid, avoid_size, &spot))
		return;
	FUZZ_ASSERT(spot % PAGE == 0 && spot >= 1ULL << 20, "spot 0x%lx", spot);
	FUZZ_ASSERT(o_usable(c->h, spot, spot + need) && !o_forbidden(c->h, spot, spot + need),
		    "spot 0x%lx+0x%lx is not free usable RAM", spot, need);
	FUZZ_ASSERT(!fuzz_meets(spot, spot + need, avoid, avoid + avoid_size) &&
		    !fuzz_meets(spot, spot + need, c->self_base, c->self_base + c->self_size),
		    "spot 0x%lx meets the handoff or the loader", spot);
	for (uint64_t i = 0; i < n; i++) {
		FUZZ_ASSERT(!fuzz_meets(spot, spot + need, r[i].dst, r[i].end),
			    "spot 0x%lx meets destination 0x%lx", spot, r[i].dst);
		FUZZ_ASSERT(!r[i].copy || !fuzz_meets(spot, spot + need, r[i].src, r[i].send),
			    "spot 0x%lx meets source 0x%lx", spot, r[i].src);
	}
}

/* Accepted runs meet every precondition of the planner: it must not say otherwise. */
static void check_plan_dry(const struct baton_handoff *h)
{
	uint64_t pieces = 0;
	size_t size = plan_count_work_size(h->copy_count);
	void *w = malloc(size ? size : 1);
	int err = plan_count(handoff_copy(h), h->copy_count, w, size, &pieces);

	free(w);
	FUZZ_ASSERT(!err, "plan_count refused an accepted handoff: %s", plan_strerror(err));
	if (pieces > (1u << 16))	/* huge runs cut into many pieces: enough said */
		return;
	size = plan_work_size(h->copy_count, pieces);
	w = malloc(size ? size : 1);
	err = plan_execute(handoff_copy(h), h->copy_count, handoff_zero(h), h->zero_count,
			   w, size, NULL, NULL);
	free(w);
	FUZZ_ASSERT(!err, "plan_execute refused an accepted handoff: %s", plan_strerror(err));
}

static void run(struct baton_handoff *h, uint64_t len, uint64_t self_base, uint64_t self_size,
		uint64_t h_pa)
{
	struct check c = { .h = h, .self_base = self_base, .self_size = self_size, .h_pa = h_pa };
	static struct o_run r[256];
	const char *why;
	int err;

	if (h->total_size > len)	/* the loader has nothing to bound it with */
		return;
	err = check_header(&c);
	if (err) {
		FUZZ_ASSERT(c.msg[0], "header refusal %d without a message", err);
		return;
	}
	FUZZ_ASSERT(!h->flags, "accepted flags 0x%x", h->flags);
	err = check_unchanged(&c);
	FUZZ_ASSERT(!err, "an untouched handoff counts as changed: %s", c.msg);
	if (h->copy_count + h->zero_count > 256)
		return;
	c.work_bytes = check_work_size(h->copy_count, h->zero_count, h->mem_count);
	c.work = malloc(c.work_bytes);
	err = check_runs(&c);
	why = oracle(h, &c, r);
	if (err) {
		FUZZ_ASSERT(c.msg[0], "refusal %d without a message", err);
		FUZZ_ASSERT(why, "refused a handoff that breaks no rule: %s", c.msg);
	} else {
		uint64_t n = h->copy_count + h->zero_count;

		FUZZ_ASSERT(!why, "accepted a handoff with %s", why);
		check_plan_dry(h);
		check_spot(&c, r, n, self_size + PAGE, h_pa, (h->total_size + PAGE - 1) & ~(PAGE - 1));
		check_spot(&c, r, n, 16 * PAGE, 0, 0);
	}
	free(c.work);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_u8(&in);
	struct baton_handoff *h;
	uint64_t len;

	if (mode & 1) {
		len = in.left < sizeof(*h) ? sizeof(*h) : in.left;
		h = calloc(1, len);
		memcpy(h, in.p, in.left);
		if (mode & 2) {
			h->total_size = len;
			seal(h);
		}
		run(h, len, 0x100000, 0x10000, 0);
		free(h);
		return 0;
	}
	h = build(&in, &len);
	uint64_t self_base = addr_of(&in, PAGE) & ~(PAGE - 1), self_size = (1 + fuzz_u8(&in)) * PAGE;
	uint64_t h_pa = fuzz_u8(&in) & 1 ? addr_of(&in, PAGE) & ~(PAGE - 1) : 0;

	if (!(fuzz_u8(&in) & 1))	/* mostly: the loader is where the handoff says */
		self_base = h->loader_base, self_size = h->loader_size;
	seal(h);
	if (mode & 2) {
		uint16_t at = fuzz_u16(&in);

		((uint8_t *)h)[at % len] ^= fuzz_u8(&in) | 1;
		/* Damage may have changed total_size: crc32_handoff() trusts it (the
		 * loader calls it only once check_header() has bounded it). */
		if (mode & 4 && h->total_size >= sizeof(*h) && h->total_size <= len)
			seal(h);
	}
	run(h, len, self_base, self_size, h_pa);
	free(h);
	return 0;
}
