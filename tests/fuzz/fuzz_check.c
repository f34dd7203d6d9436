/* SPDX-License-Identifier: MIT */
/*
 * The loader's validator (core/check.c, core/chain.c) against a naive oracle
 * written from the rules of include/baton/handoff.h and core/check.h: whatever
 * the validator accepts, the oracle must accept too (no bad run reaches the copy),
 * and whatever it refuses must break a rule. The steps run in the loader's order
 * (check_header, check_chain, check_unchanged, check_collect into a work buffer
 * of the size the layout gives, check_runs). An accepted handoff then has its
 * runs compared with the oracle's, goes through the planner dry, and
 * check_find_spot()'s answer must be the lowest free place there is.
 *
 * Memory: the handoff page and the list pages live in a simulated physical arena,
 * each a heap block of one page (ASan: no read past it); every other page reads
 * as zeros. page_ptr() maps a physical address into it and checks that the
 * validator reads only list pages it has already found aligned, in usable RAM
 * and off the memory the loader owns.
 *
 * Input, first byte (the mode):
 *   bit 0 set: raw. The next bytes are the handoff page; the rest are list pages,
 *              laid where the chain goes. bit 1: the header CRC resealed, bit 2:
 *              the chain CRC resealed.
 *   bit 0 clear: structured (build()). The memory map, list pages and entries are
 *              read from the input in small units (so overlaps and edges are
 *              common), the header is made consistent and sealed; bit 1 then flips
 *              one byte of the handoff page or a list page (bit 2: and reseals), to
 *              reach every later check with damage.
 *   bit 3: the stage's first pass (no_work: no work area proposed yet); with
 *          bit 4 it skips check_chain, as stage_size_work() does.
 *   bit 5: a byte of the handoff page changes before check_unchanged (a CPU not
 *          yet parked); bit 6: a byte of a list page changes before check_collect.
 */
#include "core/check.h"
#include "core/crc32.h"
#include "core/layout.h"
#include "core/plan.h"
#include "tests/fuzz/fuzz.h"

#define PAGE		BATON_PAGE_SIZE
#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define LIST_MAX	8	/* list pages an input defines */
#define CHAIN_CAP	64	/* a header claiming more is not walked: a loop would
				 * take chain_pages steps, which the work area pays for */
#define RUNS_MAX	(LIST_MAX * BATON_LIST_WORDS)
#define KEEP_MAX	3
#define WORK_CAP	(64 * MIB)	/* work buffers past this are not allocated */
#define MODE_RAW	0x01
#define MODE_DAMAGE	0x02	/* raw: the header CRC resealed */
#define MODE_RESEAL	0x04	/* raw: the chain CRC resealed */
#define MODE_NO_WORK	0x08
#define MODE_NO_CHAIN	0x10
#define MODE_CHANGE_H	0x20
#define MODE_CHANGE_L	0x40

/* ------------------------------------------------------------------ the arena */

static struct {
	uint64_t h_pa;
	struct baton_handoff *h;		/* the handoff page */
	uint64_t pa[LIST_MAX];
	uint64_t *page[LIST_MAX];		/* list pages, by pa[] */
	uint32_t n;
	uint64_t *pool[LIST_MAX + 1];		/* allocated once: no page faults per run */
} A;
static const uint64_t zero_page[BATON_LIST_WORDS];

static uint64_t *pool_page(uint32_t i)
{
	if (!A.pool[i])
		A.pool[i] = malloc(PAGE);
	return memset(A.pool[i], 0, PAGE);
}

static const uint64_t *arena(uint64_t pa)
{
	if (pa == A.h_pa)
		return (const uint64_t *)A.h;
	for (uint32_t i = 0; i < A.n; i++)
		if (A.pa[i] == pa)
			return A.page[i];
	return zero_page;
}

static uint64_t *arena_add(uint64_t pa)
{
	uint64_t *p = pool_page(1 + A.n);

	A.pa[A.n] = pa;
	A.page[A.n++] = p;
	return p;
}

static void arena_reset(void)
{
	A.n = 0;
	A.h = (struct baton_handoff *)pool_page(0);
	A.h_pa = 1;		/* none yet: arena() is asked for aligned pages only */
}

/* What the loader and the stage give the validator besides the handoff page. */
struct world {
	uint64_t self_base, self_size, h_pa;
	int no_work;
	struct baton_mem_range keep[KEEP_MAX];
	uint64_t nkeep;
	uint64_t need, from;		/* a check_find_spot() question */
};

/* ---------------------------------------------------------------- the oracle */

struct o_run {
	uint32_t kind;			/* BATON_L_SRC, _ZERO, _CLAIM */
	uint64_t src, dst, pages;
};

struct oracle {
	const struct baton_handoff *h;	/* the live page */
	const struct baton_mem_range *m;
	uint64_t nm;
	const struct world *w;
	struct o_run run[RUNS_MAX];
	uint64_t nrun, n[5], pages, claim_pages;	/* n[kind]: runs of each kind */
	uint64_t list[CHAIN_CAP + 1], nlist;
	uint32_t crc;
};

static int o_meets(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && fuzz_meets(a, a + alen, b, b + blen);
}

/* Every byte usable RAM, none reserved or never-touch; len > 0, no wrap. */
static int o_ram(const struct oracle *o, uint64_t a, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(a, len, &end) && fuzz_usable(o->m, o->nm, a, end) &&
	       !fuzz_forbidden(o->m, o->nm, a, end);
}

static int o_work(const struct oracle *o)
{
	return !o->w->no_work;
}

/* The loader's own memory: its region, the handoff page, the work area. */
static int o_own(const struct oracle *o, uint64_t a, uint64_t len)
{
	const struct world *w = o->w;

	return o_meets(a, len, w->self_base, w->self_size) || o_meets(a, len, w->h_pa, PAGE) ||
	       (o_work(o) && o_meets(a, len, o->h->work_base, o->h->work_size));
}

static uint64_t o_end(const struct o_run *r)
{
	return r->dst + r->pages * PAGE;
}

/* Whether [a, a + len) meets no destination of any kind. */
static int o_free_dst(const struct oracle *o, uint64_t a, uint64_t len)
{
	for (uint64_t i = 0; i < o->nrun; i++)
		if (o_meets(a, len, o->run[i].dst, o->run[i].pages * PAGE))
			return 0;
	return 1;
}

/* The header and the memory map; NULL, or the rule broken. */
static const char *o_header(const struct oracle *o)
{
	const struct baton_handoff *h = o->h;
	const struct baton_mem_range *m = o->m;
	const struct world *w = o->w;
	struct baton_handoff copy = *h;
	struct work_layout l;
	uint64_t top = 4 * GIB, wend;
	uint32_t crc;

	if (h->magic != BATON_HANDOFF_MAGIC || h->version != BATON_HANDOFF_VERSION)
		return "magic or version";
	if (h->header_size != 0x100 || h->mem_count > BATON_MAP_MAX)
		return "header size or map length";
	copy.crc32 = 0;
	crc = crc32_update(crc32_update(0, &copy, sizeof(copy)), m, h->mem_count * 24ULL);
	if (crc != h->crc32)
		return "header CRC";
	if (h->flags || h->pad0 || h->pad1 || h->console.pad || h->reset.pad ||
	    h->entry.flags || h->reserved[0] || h->reserved[1])
		return "a field that must be zero";
	if (h->hash_alg != BATON_HASH_XXH64)
		return "hash algorithm";
	if (h->reset.action > BATON_PANIC_HALT || h->reset.acpi_space > 1)
		return "reset action or ACPI space";
	if (h->reset.acpi_space == 1 && h->reset.acpi_addr > 0xffff)
		return "reset I/O port past 0xffff";
	if (h->console.kind > BATON_CON_UART_IO)
		return "console kind";
	if (h->entry.mode != BATON_MODE_LONG64 && h->entry.mode != BATON_MODE_PROT32)
		return "entry mode";
	if (h->entry.mode == BATON_MODE_PROT32) {
		if (h->entry.addr >> 32)
			return "32-bit entry above 4 GiB";
		for (int r = 0; r < BATON_REG_COUNT; r++)
			if (h->entry.regs[r] >> 32)
				return "32-bit register above 4 GiB";
	}
	if (!h->mem_count)
		return "empty memory map";
	for (uint64_t i = 0; i < o->nm; i++) {
		uint64_t end;

		if (m[i].base % PAGE || m[i].size % PAGE || !m[i].size || m[i].pad ||
		    __builtin_add_overflow(m[i].base, m[i].size, &end) ||
		    m[i].type < BATON_MEM_USABLE || m[i].type > BATON_MEM_NEVER_TOUCH)
			return "bad memory range";
		for (uint64_t j = 0; j < i; j++)
			if (m[j].base >= m[i].base || o_meets(m[i].base, m[i].size, m[j].base, m[j].size))
				return "memory map not sorted and disjoint";
		if (i && m[i - 1].type == m[i].type && m[i - 1].base + m[i - 1].size == m[i].base)
			return "memory map has touching ranges of one type, not merged";
		if (m[i].type != BATON_MEM_RESERVED && end > top)
			top = end;
	}
	/* a reset register in memory space must be no usable RAM */
	if (h->reset.acpi_addr && h->reset.acpi_space == 0) {
		uint64_t pg = h->reset.acpi_addr & ~(PAGE - 1);

		for (uint64_t i = 0; i < o->nm; i++)
			if (m[i].type == BATON_MEM_USABLE && pg >= m[i].base && pg - m[i].base < m[i].size)
				return "reset register in usable RAM";
	}
	if (work_layout(h, m, &l))
		return "no work layout for the header's counts";
	top = (top + GIB - 1) & ~(GIB - 1);
	FUZZ_ASSERT(l.map_top == top, "work_layout maps to 0x%lx, the map's RAM ends at 0x%lx",
		    l.map_top, top);
	FUZZ_ASSERT(l.size % PAGE == 0 && l.mem_off + l.mem_bytes <= l.size &&
		    l.list_off + 16 * h->chain_pages <= l.mem_off, "work layout inconsistent");
	if (w->self_base + w->self_size > top || w->h_pa + PAGE > top)
		return "loader or handoff page above the identity map";
	if (!o_work(o))
		return NULL;
	if (h->work_base % PAGE || h->work_size % PAGE || h->work_size < l.size ||
	    __builtin_add_overflow(h->work_base, h->work_size, &wend))
		return "work area unaligned or too small";
	if (!o_ram(o, h->work_base, h->work_size))
		return "work area not usable RAM";
	if (o_meets(h->work_base, h->work_size, w->self_base, w->self_size) ||
	    o_meets(h->work_base, h->work_size, w->h_pa, PAGE))
		return "work area on the loader or the handoff page";
	return NULL;
}

/* One placement at the cursor; merged into the last run when it continues it. */
static void o_place(struct oracle *o, uint32_t kind, uint64_t src, uint64_t dst, uint64_t pages)
{
	struct o_run *r = o->nrun ? &o->run[o->nrun - 1] : NULL;

	if (kind == BATON_L_CLAIM)
		o->claim_pages += pages;
	else
		o->pages += pages;
	if (r && r->kind == kind && o_end(r) == dst &&
	    (kind != BATON_L_SRC || r->src + r->pages * PAGE == src)) {
		r->pages += pages;
		return;
	}
	FUZZ_ASSERT(o->nrun < RUNS_MAX, "oracle: too many runs");
	o->run[o->nrun++] = (struct o_run){ kind, src, dst, pages };
	o->n[kind]++;
}

/* The entries of one list page. */
static const char *o_entries(struct oracle *o, const uint64_t *w, uint64_t *cursor, int *have)
{
	int ended = 0;

	for (int j = BATON_LIST_FIRST; j < BATON_LIST_WORDS; j++) {
		uint64_t e = w[j], kind = e & 7, a = e & ~0xfffULL, n, end;

		if (ended || !e) {
			if (e)
				return "a word after the zero that ends a page";
			ended = 1;
			continue;
		}
		if (kind == BATON_L_DST) {
			if (e & 0xff8)
				return "DST with bits 3..11 set";
			*cursor = a;
			*have = 1;
			continue;
		}
		if (kind == BATON_L_SRC) {
			n = ((e >> 3) & 511) + 1;
			if (__builtin_add_overflow(a, n * PAGE, &end))
				return "SRC source wraps";
		} else if (kind == BATON_L_ZERO || kind == BATON_L_CLAIM) {
			n = e >> 12;
			if (e & 0xff8)
				return "ZERO or CLAIM with bits 3..11 set";
			if (!n)
				return "ZERO or CLAIM of no pages";
		} else {
			return "unknown entry kind";
		}
		if (!*have)
			return "an entry places before any DST";
		if (__builtin_add_overflow(*cursor, n * PAGE, &end))
			return "destination wraps";
		o_place(o, (uint32_t)kind, a, *cursor, n);
		*cursor = end;
	}
	return NULL;
}

/* The chain, page by page; the runs it makes. */
static const char *o_walk(struct oracle *o)
{
	const struct baton_handoff *h = o->h;
	uint64_t pa = h->chain, cursor = 0;
	int have = 0;

	o->nrun = o->pages = o->claim_pages = o->nlist = 0;
	memset(o->n, 0, sizeof(o->n));
	o->crc = 0;
	for (; pa; o->nlist++) {
		const uint64_t *w;
		const char *why;

		if (o->nlist >= h->chain_pages || o->nlist > CHAIN_CAP)
			return "chain longer than the header says";
		for (uint64_t k = 0; k < o->nlist; k++)
			if (o->list[k] == pa)
				return "list page twice in the chain";
		o->list[o->nlist] = pa;
		if (pa % PAGE || !o_ram(o, pa, PAGE))
			return "list page unaligned or not in usable RAM";
		if (o_own(o, pa, PAGE))
			return "list page in the loader, the handoff page or the work area";
		w = arena(pa);
		if ((w[0] & 0xfff) != BATON_LIST_MARK)
			return "list page without its mark";
		o->crc = crc32_update(o->crc, w, PAGE);
		why = o_entries(o, w, &cursor, &have);
		if (why)
			return why;
		pa = w[0] & ~0xfffULL;
	}
	if (o->nlist != h->chain_pages)
		return "chain shorter than the header says";
	return NULL;
}

/* [a, a + len) placed by copy runs (touching ones may chain). */
static int o_placed(const struct oracle *o, uint64_t a, uint64_t len)
{
	uint64_t b;

	if (__builtin_add_overflow(a, len, &b))
		return 0;
	while (a < b) {
		uint64_t i;

		for (i = 0; i < o->nrun; i++)
			if (o->run[i].kind == BATON_L_SRC && o->run[i].dst <= a && a < o_end(&o->run[i]))
				break;
		if (i == o->nrun)
			return 0;
		a = o_end(&o->run[i]);
	}
	return 1;
}

/* What the runs must obey, once the chain walked cleanly. */
static const char *o_runs(const struct oracle *o)
{
	const struct baton_handoff *h = o->h;

	if (o->n[BATON_L_SRC] != h->copy_runs || o->n[BATON_L_ZERO] != h->zero_runs ||
	    o->n[BATON_L_CLAIM] != h->claim_runs)
		return "run counts not as the header says";
	if (o->crc != h->chain_crc32)
		return "chain CRC";
	for (uint64_t i = 0; i < o->nrun; i++) {
		const struct o_run *r = &o->run[i];
		uint64_t len = r->pages * PAGE;

		if (!o_ram(o, r->dst, len))
			return "destination not in usable RAM or over a forbidden range";
		if (o_work(o) && o_meets(r->dst, len, h->work_base, h->work_size))
			return "destination in the work area";
		if (r->kind == BATON_L_SRC) {
			if (!o_ram(o, r->src, len))
				return "source not in usable RAM";
			if (o_own(o, r->src, len))
				return "source in the loader, the handoff page or the work area";
		}
		for (uint64_t k = 0; k < o->nlist; k++)
			if (o_meets(o->list[k], PAGE, r->dst, len) ||
			    (r->kind == BATON_L_SRC && o_meets(o->list[k], PAGE, r->src, len)))
				return "list page is a destination or a source";
		for (uint64_t j = 0; j < i; j++) {
			const struct o_run *q = &o->run[j];

			if (o_meets(r->dst, len, q->dst, q->pages * PAGE))
				return "destinations overlap";
			if (r->kind == BATON_L_SRC && q->kind == BATON_L_SRC &&
			    o_meets(r->src, len, q->src, q->pages * PAGE))
				return "sources overlap";
		}
	}
	if (!o_placed(o, h->entry.addr, 1))
		return "entry not placed by a copy run";
	if (h->timings_addr && h->timings_count && !o_placed(o, h->timings_addr, 8ULL * h->timings_count))
		return "timing slots not placed by copy runs";
	return NULL;
}

static void o_init(struct oracle *o, const struct world *w)
{
	o->h = A.h;
	o->m = (const struct baton_mem_range *)(A.h + 1);
	o->nm = A.h->mem_count < BATON_MAP_MAX ? A.h->mem_count : BATON_MAP_MAX;
	o->w = w;
}

/* NULL: the handoff obeys every rule; else the rule it breaks. */
static const char *oracle(struct oracle *o, const struct world *w)
{
	const char *why;

	o_init(o, w);
	why = o_header(o);
	if (!why)
		why = o_walk(o);
	return why ? why : o_runs(o);
}

/* Everything find_spot() must keep off: runs, list pages, own memory, keep. */
struct busy {
	uint64_t base, size;
};
static struct busy busy[2 * RUNS_MAX + CHAIN_CAP + 8];

static uint64_t o_busy(const struct oracle *o)
{
	const struct world *w = o->w;
	uint64_t n = 0;

	for (uint64_t i = 0; i < o->nrun; i++) {
		busy[n++] = (struct busy){ o->run[i].dst, o->run[i].pages * PAGE };
		if (o->run[i].kind == BATON_L_SRC)
			busy[n++] = (struct busy){ o->run[i].src, o->run[i].pages * PAGE };
	}
	for (uint64_t i = 0; i < o->nlist; i++)
		busy[n++] = (struct busy){ o->list[i], PAGE };
	busy[n++] = (struct busy){ w->self_base, w->self_size };
	busy[n++] = (struct busy){ w->h_pa, PAGE };
	if (o_work(o))
		busy[n++] = (struct busy){ o->h->work_base, o->h->work_size };
	for (uint64_t i = 0; i < w->nkeep; i++)
		busy[n++] = (struct busy){ w->keep[i].base, w->keep[i].size };
	return n;
}

static int o_free(uint64_t nb, uint64_t x, uint64_t need)
{
	for (uint64_t k = 0; k < nb; k++)
		if (o_meets(x, need, busy[k].base, busy[k].size))
			return 0;
	return 1;
}

/*
 * The lowest 4 KiB-aligned x >= from with [x, x + need) inside one usable range
 * and free of everything busy: x is where a range starts or a busy range ends.
 * Returns 0 when there is none.
 */
static int o_spot(const struct oracle *o, uint64_t need, uint64_t from, uint64_t *spot)
{
	uint64_t nb = o_busy(o), best = ~0ULL;

	for (uint64_t u = 0; u < o->nm; u++) {
		uint64_t lo = o->m[u].base > from ? o->m[u].base : from;
		uint64_t end = o->m[u].base + o->m[u].size;

		if (o->m[u].type != BATON_MEM_USABLE)
			continue;
		for (uint64_t k = 0; k <= nb; k++) {
			uint64_t x = k < nb ? busy[k].base + busy[k].size : lo;

			if (__builtin_add_overflow(x, PAGE - 1, &x))
				continue;
			x &= ~(PAGE - 1);
			if (x < lo || x >= end || x >= best || need > end - x)
				continue;
			if (o_free(nb, x, need))
				best = x;
		}
	}
	*spot = best;
	return best != ~0ULL;
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

/* An address inside a copy run's destination, mostly; else anywhere. */
static uint64_t pick_addr(struct fuzz_in *in, const struct oracle *o, uint64_t unit)
{
	uint8_t pick = fuzz_u8(in);
	uint64_t ncopy = o->n[BATON_L_SRC], off = fuzz_u16(in), k;

	if (!ncopy || pick >= 200)
		return addr_of(in, unit);
	k = pick % ncopy;
	for (uint64_t i = 0; i < o->nrun; i++)
		if (o->run[i].kind == BATON_L_SRC && !k--)
			return o->run[i].dst + off % (o->run[i].pages * PAGE | 1);
	return 0;
}

struct gen {
	uint64_t unit, src, dst[4];
	uint32_t ndst;
};

/* One list entry, in the kinds' proportions; 0 ends the page. */
static uint64_t entry_of(struct fuzz_in *in, struct gen *g)
{
	uint8_t sel = fuzz_u8(in), b;
	uint64_t a, e, n;

	switch (sel & 7) {
	case 0:		/* DST somewhere new */
		a = addr_of(in, g->unit);
		e = (a & ~0xfffULL) | (a & 0x800) | BATON_L_DST;
		g->dst[g->ndst++ % 4] = a & ~0xfffULL;
		break;
	case 1:		/* SRC from somewhere new */
		g->src = addr_of(in, g->unit) & ~0xfffULL;
		/* fallthrough */
	case 2:		/* SRC continuing the last source */
		b = fuzz_u8(in);
		n = b == 0xff ? BATON_L_SRC_MAX : 1 + (b & 7);
		e = g->src | (n - 1) << 3 | BATON_L_SRC;
		g->src += n * PAGE;
		break;
	case 3:
	case 4:		/* ZERO, CLAIM */
		b = fuzz_u8(in);
		n = b == 0xff ? ~0ULL >> 12 : b == 0xfe ? 1ULL << 40 : 1 + (b & 15);
		e = n << 12 | (sel & 7);
		break;
	case 5:		/* DST back to an earlier one: overlaps */
		e = g->dst[fuzz_u8(in) % 4] | BATON_L_DST;
		break;
	case 6:		/* any word */
		e = fuzz_u64(in);
		break;
	default:	/* the end */
		return 0;
	}
	/* Sometimes a bit that must be zero (3, 5, 7, 9 or 11): from sel itself, so
	 * that setting one does not shift the rest of the input. */
	if (sel >> 3 >= 27 && (e & 7) != BATON_L_SRC)
		e |= 8ULL << 2 * ((sel >> 3) - 27);
	return e;
}

/* The list pages: words from the input, linked in order. */
static void build_lists(struct fuzz_in *in, struct baton_handoff *h, uint64_t nlist, struct gen *g)
{
	for (uint64_t k = 0; k < nlist; k++) {
		uint64_t *w = arena_add(addr_of(in, g->unit) & ~0x7ffULL);
		uint8_t count = fuzz_u8(in);
		uint32_t n = (count & 0xc0) == 0xc0 ? BATON_LIST_WORDS - BATON_LIST_FIRST : count & 63;

		w[1] = 0x600d0000 + k;		/* the hash: the validator leaves it to verify */
		for (uint32_t j = 0; j < n; j++) {
			uint64_t e = entry_of(in, g);

			w[BATON_LIST_FIRST + j] = e;
			if (!e) {
				if (count & 0x80 && j + 1 < n)	/* rare: a word after the end */
					w[BATON_LIST_FIRST + j + 1] = 0x1001;
				break;
			}
		}
	}
	for (uint64_t k = 0; k < nlist; k++)
		A.page[k][0] = (k + 1 < nlist ? A.pa[k + 1] : 0) | BATON_LIST_MARK;
	h->chain = nlist ? A.pa[0] : 0;
	h->chain_pages = nlist;
}

static void seal_header(struct baton_handoff *h)
{
	if (h->mem_count <= BATON_MAP_MAX) {
		h->crc32 = 0;
		h->crc32 = crc32_handoff(h);
	}
}

/* The chain's CRC as the validator will walk it. */
static void seal_chain(struct baton_handoff *h)
{
	uint32_t crc = 0;
	uint64_t pa = h->chain;

	for (uint64_t i = 0; pa && i < h->chain_pages && i <= CHAIN_CAP; i++) {
		const uint64_t *w = arena(pa & ~(PAGE - 1));

		crc = crc32_update(crc, w, PAGE);
		pa = w[0] & ~0xfffULL;
	}
	h->chain_crc32 = crc;
}

/* A free place for the builder, else one from the input. */
static uint64_t spot_or(struct fuzz_in *in, const struct oracle *o, uint64_t need, uint8_t sel,
			uint64_t unit)
{
	uint64_t spot;

	if (sel < 200 && o_spot(o, need, MIB, &spot))
		return spot;
	return addr_of(in, unit) & ((1ULL << 52) - PAGE);	/* aligned, below 2^52: no wrap */
}

/* Header fields that must be zero or known: one of them set, rarely. */
static void build_misc(struct baton_handoff *h, uint8_t misc)
{
	if (misc < 0xf0)
		return;
	switch (misc & 15) {
	case 0: h->flags = 1; break;
	case 1: h->pad0 = 1; break;
	case 2: h->pad1 = 1; break;
	case 3: h->console.pad = 1; break;
	case 4: h->reset.pad = 1; break;
	case 5: h->entry.flags = 1; break;
	case 6: h->reserved[0] = 1; break;
	case 7: h->reserved[1] = 1; break;
	case 8: h->hash_alg = 7; break;
	case 9: h->reset.action = 2; break;
	case 10: h->reset.acpi_space = 2; break;
	case 11: h->reset.action = BATON_PANIC_HALT, h->reset.acpi_space = 1;
		 h->reset.acpi_addr = misc & 16 ? 0x10cf9 : 0xcf9; break;	/* past 0xffff, or a port */
	case 12: h->console = (struct baton_console){ 0x3f8, BATON_CON_UART_IO, 0, 115200 }; break;
	case 13: h->test_flags = 7, h->exit_port = 0xf4, h->tsc_khz = 1; break;
	case 14: h->header_size = 0x108; break;
	default: h->version = 1; break;
	}
}

static void build_map(struct fuzz_in *in, struct baton_handoff *h, uint64_t nmem, uint64_t unit)
{
	struct baton_mem_range *m = (struct baton_mem_range *)(h + 1);
	uint64_t end = 0;

	h->mem_count = (uint32_t)nmem;
	for (uint64_t i = 0; i < nmem; i++) {
		uint8_t t = fuzz_u8(in);
		uint64_t gap = fuzz_u16(in), size = fuzz_u16(in);

		m[i].base = end + gap * unit;
		m[i].size = size == 0xffff ? 1ULL << 52 : size * unit;	/* 0: empty */
		m[i].type = t < 150 ? BATON_MEM_USABLE : t < 190 ? BATON_MEM_RESERVED :
			    t < 250 ? BATON_MEM_NEVER_TOUCH : BATON_MEM_USABLE;
		if (t == 250 || t == 251)
			m[i].type = t == 250 ? 0 : 4;
		else if (t == 252)
			m[i].pad = 1;
		else if (t == 253 && i)		/* unsorted or overlapping */
			m[i].base = m[i - 1].base;
		else if (t == 254)
			m[i].base += 0x800;
		end = m[i].base + m[i].size;
	}
}

/* Input: shape, map, list pages, link, entry, registers, timings, misc, loader,
 * handoff page, plan pieces, work area, keep ranges, a find_spot question. */
static void build(struct fuzz_in *in, struct oracle *o, struct world *w)
{
	static const uint64_t units[4] = { PAGE, 16 * PAGE, MIB, GIB };
	uint8_t shape = fuzz_u8(in), link, b;
	int clean;
	struct gen g = { .unit = units[shape >> 6] };
	struct baton_handoff *h = A.h;
	struct work_layout l;
	uint64_t pieces = 0;

	h->magic = BATON_HANDOFF_MAGIC;
	h->version = BATON_HANDOFF_VERSION;
	h->header_size = sizeof(*h);
	h->hash_alg = BATON_HASH_XXH64;
	build_map(in, h, 1 + (shape & 7), g.unit);
	build_lists(in, h, shape >> 3 & 7, &g);
	link = fuzz_u8(in);
	if (link == 0xff && A.n)		/* a loop */
		A.page[A.n - 1][0] = A.pa[0] | BATON_LIST_MARK;
	else if (link == 0xfe || link == 0xfd)	/* the header's length off by one */
		h->chain_pages += link == 0xfe ? 1 : -1ULL;
	o_init(o, w);
	clean = !o_walk(o);		/* the runs as far as they go */

	b = fuzz_u8(in);
	h->entry.mode = b < 128 ? BATON_MODE_LONG64 : b < 250 ? BATON_MODE_PROT32 : b - 250u;
	h->entry.addr = pick_addr(in, o, g.unit);
	for (int r = 0; r < BATON_REG_COUNT; r++) {
		b = fuzz_u8(in);
		h->entry.regs[r] = b < 250 ? b * 0x10000ULL : (1ULL << 32) + b;
	}
	b = fuzz_u8(in);
	if (b & 1)
		h->timings_addr = pick_addr(in, o, g.unit) & ~7ULL, h->timings_count = (b >> 1) % 12;
	build_misc(h, fuzz_u8(in));

	/* The loader and the handoff page, mostly in free RAM. */
	b = fuzz_u8(in);
	w->self_size = (1 + (b & 31)) * PAGE;
	w->self_base = spot_or(in, o, w->self_size, b >> 5 < 6 ? 0 : 255, g.unit);
	w->h_pa = spot_or(in, o, PAGE, fuzz_u8(in), g.unit);
	A.h_pa = w->h_pa;
	h->loader_base = w->self_base;
	h->loader_size = w->self_size;

	h->copy_runs = o->n[BATON_L_SRC];
	h->zero_runs = o->n[BATON_L_ZERO];
	h->claim_runs = o->n[BATON_L_CLAIM];
	if (h->copy_runs) {	/* as the stage counts them; refused runs give any count */
		struct plan_run *runs = malloc(h->copy_runs * sizeof(*runs));
		size_t size = plan_count_work_size(h->copy_runs);
		void *work = malloc(size);
		uint64_t k = 0;

		for (uint64_t i = 0; i < o->nrun; i++)
			if (o->run[i].kind == BATON_L_SRC)
				runs[k++] = (struct plan_run){ o->run[i].src, o->run[i].dst, o->run[i].pages };
		if (plan_count(runs, k, work, size, &pieces))
			pieces = k;
		free(work);
		free(runs);
	}
	b = fuzz_u8(in);
	h->plan_pieces = b == 0xff && pieces ? pieces - 1 : b == 0xfe ? 1ULL << 41 : pieces;

	/* The work area: mostly a free place of the size it needs; sometimes one a
	 * page short or not a page multiple, on a run, on the loader, anywhere. */
	b = fuzz_u8(in);
	l.size = 16 * PAGE;
	work_layout(h, (const struct baton_mem_range *)(h + 1), &l);
	h->work_base = spot_or(in, o, l.size, b < 230 || (b < 240 && o->nrun) ? 0 : 255, g.unit);
	h->work_size = l.size;
	if (b >= 200 && b < 215)
		h->work_size -= PAGE;
	else if (b >= 215 && b < 230)
		h->work_size += 0x800;
	else if (b >= 230 && b < 240 && o->nrun)
		h->work_base = b & 1 ? o->run[(b - 230) / 2 % o->nrun].src :
			       o->run[(b - 230) / 2 % o->nrun].dst;
	else if (b == 0xff)
		h->work_base = w->self_base;

	w->nkeep = fuzz_u8(in) % (KEEP_MAX + 1);
	for (uint64_t i = 0; i < w->nkeep; i++) {
		uint64_t end;

		w->keep[i].base = addr_of(in, g.unit);	/* sometimes unaligned */
		w->keep[i].size = (1 + fuzz_u8(in) % 16) * PAGE;
		if (__builtin_add_overflow(w->keep[i].base, w->keep[i].size, &end))
			w->keep[i].base = 0;	/* the caller's memory does not wrap */
	}
	b = fuzz_u8(in);
	w->need = (1 + (b & 63)) * PAGE;
	w->from = b & 0x40 ? addr_of(in, g.unit) : MIB;
	if (clean)		/* the walk read every page */
		h->chain_crc32 = o->crc;
	else
		seal_chain(h);
	seal_header(h);		/* it covers chain_crc32 */
}

/* Random bytes as the handoff page; the rest as list pages along its chain. */
static void build_raw(struct fuzz_in *in, uint8_t mode, struct world *w)
{
	struct baton_handoff *h = A.h;
	uint64_t pa;

	A.h_pa = 0x8000;
	memcpy(h, in->p, in->left < PAGE ? in->left : PAGE);
	in->p += in->left < PAGE ? in->left : PAGE;
	in->left -= in->left < PAGE ? in->left : PAGE;
	pa = h->chain;
	while (in->left && pa && A.n < LIST_MAX && arena(pa) == zero_page) {
		uint64_t *p = arena_add(pa), n = in->left < PAGE ? in->left : PAGE;

		memcpy(p, in->p, n);
		in->p += n, in->left -= n;
		pa = p[0] & ~0xfffULL;
	}
	*w = (struct world){ .self_base = MIB, .self_size = 16 * PAGE, .h_pa = 0x8000,
			     .need = 17 * PAGE, .from = MIB };
	if (mode & MODE_RESEAL)
		seal_chain(h);
	if (mode & MODE_DAMAGE)
		seal_header(h);
}

/* ------------------------------------------------------------------ the run */

static const uint64_t *page_ptr(void *ctx, uint64_t pa)
{
	struct oracle *o = ctx;

	FUZZ_ASSERT(pa % PAGE == 0 && o_ram(o, pa, PAGE) && !o_own(o, pa, PAGE),
		    "the validator reads list page 0x%lx before it found it in free usable RAM", pa);
	return arena(pa);
}

struct change {
	uint8_t target, x;
	uint16_t off;
};

static void read_change(struct fuzz_in *in, struct change *ch)
{
	ch->target = fuzz_u8(in);
	ch->off = fuzz_u16(in) % PAGE;
	ch->x = fuzz_u8(in) | 1;
}

/* One byte of the handoff page (target 0) or of a list page changes. */
static uint64_t change_apply(const struct change *ch)
{
	uint32_t t = ch->target % (A.n + 1);

	if (t == 0) {
		((uint8_t *)A.h)[ch->off] ^= ch->x;
		return A.h_pa;
	}
	((uint8_t *)A.page[t - 1])[ch->off] ^= ch->x;
	return A.pa[t - 1];
}

/* An accepted handoff: its runs are the oracle's, its spots free, its plan runs. */
static void accepted(struct check *c, struct oracle *o, const struct world *w)
{
	uint64_t k[5] = { 0 }, spot, want, pieces = 0;
	struct plan_stats st;
	size_t size;
	void *work;
	int err, got, there;

	FUZZ_ASSERT(c->nlist == o->nlist && c->pages == o->pages && c->claim_pages == o->claim_pages,
		    "the validator counts %lu list pages, %lu + %lu claimed pages; the oracle %lu, %lu + %lu",
		    c->nlist, c->pages, c->claim_pages, o->nlist, o->pages, o->claim_pages);
	for (uint64_t i = 0; i < o->nrun; i++) {
		const struct o_run *r = &o->run[i];
		uint64_t j = k[r->kind]++;
		int same = r->kind == BATON_L_SRC ?
			   c->copy[j].src == r->src && c->copy[j].dst == r->dst && c->copy[j].pages == r->pages :
			   r->kind == BATON_L_ZERO ?
			   c->zero[j].dst == r->dst && c->zero[j].pages == r->pages :
			   c->claim[j].dst == r->dst && c->claim[j].pages == r->pages;

		FUZZ_ASSERT(same, "run %lu (kind %u, dst 0x%lx) collected differently", i, r->kind, r->dst);
	}
	FUZZ_ASSERT(check_hits_dst(c, w->self_base, w->self_size) ==
		    !o_free_dst(o, w->self_base, w->self_size), "check_hits_dst on the loader region");

	/* check_find_spot(): the lowest free place, as the loader moves itself. */
	for (int q = 0; q < 2; q++) {
		uint64_t need = q ? w->need : (w->self_size + PAGE - 1) & ~(PAGE - 1);
		uint64_t from = q ? w->from : MIB;

		there = o_spot(o, need, from, &want);
		got = !check_find_spot(c, need, from, "fuzz", &spot);
		FUZZ_ASSERT(got || c->msg[0], "no spot and no message");
		FUZZ_ASSERT(got == there && (!got || spot == want),
			    "check_find_spot(0x%lx from 0x%lx) gives %s0x%lx, the lowest free place is %s0x%lx",
			    need, from, got ? "" : "none ", got ? spot : 0, there ? "" : "none ",
			    there ? want : 0);
	}

	/* The planner, dry, in the work area's memory, as the loader runs it. */
	size = plan_count_work_size(c->ncopy);
	work = malloc(size ? size : 1);
	err = plan_count(c->copy, c->ncopy, work, size, &pieces);
	free(work);
	FUZZ_ASSERT(!err, "plan_count refused an accepted handoff: %s", plan_strerror(err));
	err = plan_execute(c->copy, c->ncopy, c->zero, c->nzero, c->mem, c->work.mem_bytes, NULL, &st);
	FUZZ_ASSERT(!err || (err == PLAN_E_NOSPACE && c->seen.h.plan_pieces < pieces),
		    "plan_execute refused an accepted handoff (%lu pieces, header says %lu): %s",
		    pieces, c->seen.h.plan_pieces, plan_strerror(err));
	FUZZ_ASSERT(err || st.pieces == pieces, "plan_execute made %lu pieces, plan_count %lu",
		    st.pieces, pieces);
}

/* FUZZ_VERBOSE=1 build/fuzz/fuzz_check FILE: what each side said. */
static void trace(const struct check *c, int err, const char *why)
{
	static int verbose = -1;
	const struct baton_handoff *h = A.h;

	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose)
		return;
	fprintf(stderr, "validator: %d %s\noracle: %s\n", err, err ? c->msg : "accepted",
		why ? why : "no rule broken");
	fprintf(stderr, "  handoff page 0x%lx, loader 0x%lx+0x%lx, work 0x%lx+0x%lx (needs 0x%lx)\n",
		c->h_pa, c->self_base, c->self_size, h->work_base, h->work_size, c->work.size);
	fprintf(stderr, "  chain 0x%lx x%lu, runs %lu copy %lu zero %lu claim, %lu pieces\n",
		h->chain, h->chain_pages, h->copy_runs, h->zero_runs, h->claim_runs, h->plan_pieces);
	for (uint32_t i = 0; i < h->mem_count && i < BATON_MAP_MAX; i++) {
		const struct baton_mem_range *m = (const void *)(h + 1);

		fprintf(stderr, "  map 0x%lx+0x%lx type %u\n", m[i].base, m[i].size, m[i].type);
	}
}

/*
 * check_unchanged(); with bit 5, after a byte of the handoff page changed: refused
 * exactly when the byte is one check_header() copied. Returns 1 when the run ends.
 */
static int unchanged(struct check *c, uint8_t mode, const struct change *ch, int *err)
{
	uint64_t used = sizeof(struct baton_handoff) + 24ULL * c->seen.h.mem_count;

	if (!(mode & MODE_CHANGE_H)) {
		*err = check_unchanged(c);
		FUZZ_ASSERT(!*err, "an untouched handoff counts as changed: %s", c->msg);
		return 0;
	}
	change_apply(&(struct change){ 0, ch->x, ch->off });
	*err = check_unchanged(c);
	trace(c, *err, "the handoff page changed");
	FUZZ_ASSERT(!*err == (ch->off >= used), "a change at byte 0x%x of the handoff page (0x%lx used) %s",
		    ch->off, used, *err ? "refused" : "not seen");
	return *err != 0;
}

/*
 * check_collect() into w; with bit 6, after a byte of a list page changed: a page
 * check_chain() walked must fail the walk again (its CRC at least). Returns 1
 * when the run ends.
 */
static int collect(struct check *c, struct oracle *o, const struct world *w, int change,
		   const struct change *ch, uint8_t *work, int *err)
{
	uint64_t pa;
	int walked = 0;

	if (!change || !A.n) {
		*err = check_collect(c, work);
		return 0;
	}
	o_init(o, w);
	o_walk(o);		/* the pages check_chain() walked */
	pa = change_apply(&(struct change){ 1 + ch->target % A.n, ch->x, ch->off });
	for (uint64_t i = 0; i < o->nlist; i++)
		walked |= pa == o->list[i];
	*err = check_collect(c, work);
	if (!walked)
		return 0;
	trace(c, *err, "a list page changed");
	FUZZ_ASSERT(*err, "list page 0x%lx changed after check_chain(), check_collect() did not see it", pa);
	return 1;
}

/* The loader's steps, then the verdicts. */
static void run(struct oracle *o, struct world *w, uint8_t mode, const struct change *hch,
		const struct change *lch)
{
	struct check c = { .h = A.h, .h_pa = w->h_pa, .self_base = w->self_base,
			   .self_size = w->self_size, .page_ptr = page_ptr, .ctx = o,
			   .no_work = w->no_work, .keep = w->keep, .nkeep = w->nkeep };
	int skip_chain = (mode & (MODE_NO_WORK | MODE_NO_CHAIN)) == (MODE_NO_WORK | MODE_NO_CHAIN);
	uint8_t *buf = NULL;
	const char *why;
	int err;

	o_init(o, w);
	err = check_header(&c);
	why = o_header(o);
	trace(&c, err, why);
	FUZZ_ASSERT(!err || c.msg[0], "header refusal %d without a message", err);
	FUZZ_ASSERT(!err || why, "check_header refused a header that breaks no rule: %s", c.msg);
	FUZZ_ASSERT(err || !why, "check_header accepted a header with %s", why);
	if (err || c.seen.h.chain_pages > CHAIN_CAP || c.work.size - c.work.copy_off > WORK_CAP)
		return;
	if (!skip_chain)
		err = check_chain(&c);
	if (!err && unchanged(&c, mode, hch, &err))
		return;
	if (!err) {
		/* The work area from copy_off on: the validator writes nothing below. */
		buf = malloc(c.work.size - c.work.copy_off);
		if (collect(&c, o, w, mode & MODE_CHANGE_L && !skip_chain, lch,
			    (uint8_t *)((uintptr_t)buf - c.work.copy_off), &err)) {
			free(buf);
			return;
		}
	}
	if (!err)
		err = check_runs(&c);
	why = oracle(o, w);
	trace(&c, err, why);
	if (err) {
		FUZZ_ASSERT(c.msg[0], "refusal %d without a message", err);
		FUZZ_ASSERT(why, "refused a handoff that breaks no rule: %s", c.msg);
	} else {
		FUZZ_ASSERT(!why, "accepted a handoff with %s", why);
		accepted(&c, o, w);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct oracle o;
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_u8(&in);
	struct change hch = { 0 }, lch = { 0 };
	struct world w = { 0 };

	if (mode & MODE_CHANGE_H)
		read_change(&in, &hch);
	if (mode & MODE_CHANGE_L)
		read_change(&in, &lch);
	arena_reset();
	if (mode & MODE_RAW) {
		build_raw(&in, mode, &w);
	} else {
		build(&in, &o, &w);
		if (mode & MODE_DAMAGE) {
			struct change d;

			read_change(&in, &d);
			change_apply(&d);
			if (mode & MODE_RESEAL) {
				seal_chain(A.h);
				seal_header(A.h);
			}
		}
	}
	w.no_work = !!(mode & MODE_NO_WORK);
	run(&o, &w, mode, &hch, &lch);
	return 0;
}
