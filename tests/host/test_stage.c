/* SPDX-License-Identifier: MIT */
/*
 * stage/ and the loader's core on the host, against a simulated machine
 * (tests/host/hostenv.c): the loader core runs as a host program.
 *
 *  1. End to end, per allocation strategy and seed: an ELF64 image built here is
 *     staged, then this program runs the loader's own steps over the arena in the
 *     loader's order (loader/main.c): check_header, check_chain, the page tables
 *     in the proposed work area, check_unchanged, check_collect, check_runs, the
 *     move out of the destinations' way, the 32-bit trampoline's page,
 *     plan_execute, and the verify walk (chain_walk, each list page's hash
 *     word against XXH64 of what its SRC entries placed). Every destination byte
 *     and the boot info are compared with what the ELF says; nothing else in the
 *     arena may change, claimed pages included.
 *  2. stage_build() rejections, each with its exact one-line message; bad inputs are
 *     refused before the allocator is called.
 *  3. The validator on forged handoffs: the handoff page's header and map, the
 *     list pages and their entries, the work area proposal, the runs; each
 *     CHECK_E_* with its line.
 *  4. check_find_spot() against a brute-force search over a page bitmap.
 *  5. Linux bzImages (a synthetic 2.15 one, and the kernel mk/vmlinuz.sh names:
 *     linux-image-amd64's default flavour) with an initrd, 64- and 32-bit entry, end to end as in 1: the
 *     kernel and its claimed init_size, the initrd, the zero page byte for
 *     byte; the Linux rejections; stage_image_layout() against what is placed.
 *
 * Expected values come from the image description and the memory map built here,
 * never from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <baton/blob.h>
#include <baton/handoff.h>
#include "fmt/fmt.h"
#include "fmt/multiboot.h"
#include "core/check.h"
#include "core/memmap.h"
#include "core/crc32.h"
#include "core/layout.h"
#include "core/plan.h"
#include "stage/stage.h"
#include "stage/stage_int.h"
#include "tests/host/hostenv.h"
#include "tests/host/hostfile.h"
#include "tests/host/mbcraft.h"

#define PAGE		BATON_PAGE_SIZE
#define MIB		(1ull << 20)
#define GIB		(1ull << 30)
#define ARENA		(64 * MIB)	/* physical [16 MiB, 80 MiB) */
#define ARENA_FILL	HOSTENV_FILL	/* every arena byte before staging */
#define RESV_FILL	0x5a		/* the reserved range */
#define NEVER_FILL	0xa5		/* the never-touch range */
#define PT_FILL		0x77		/* the loader's page tables, in its work area */
#define TRAMP_FILL	0x33		/* the 32-bit trampoline's page */
#define BLOB_LEN	4096
#define BLOB_MEM	8192
#define BLOB_ENTRY	0x40
#define CON_PORT	0x3f8
#define EXIT_PORT	0xf4
#define TSC_KHZ		2400000
#define VIRT_OFF	0xffffffff00000000ull	/* p_vaddr = p_paddr + VIRT_OFF */
#define ENTRY_OFF	0x10			/* entry: seg 0 start + ENTRY_OFF */
#define LIST_ENTRIES	(BATON_LIST_WORDS - BATON_LIST_FIRST)

/*
 * A regression of a bug these tests found: name the file and function it was in,
 * then fail (the test is named after the symptom).
 */
#define REGRESSION(...)	do { print_message("REGRESSION: " __VA_ARGS__); \
			     print_message("\n"); fail(); } while (0)
#define WANT_LEN	256
#define WANT(...)	(snprintf(want, WANT_LEN, __VA_ARGS__), want)
#define ULL(x)		((unsigned long long)(x))

static uint64_t rnd(uint64_t *s)	/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- the image: an ELF64 with two PT_LOADs, a hole, bss, unaligned ends ---- */

struct img {
	uint8_t *file;
	uint64_t len;
	uint64_t paddr[2], filesz[2], memsz[2], off[2];
	uint64_t entry;		/* physical */
	uint64_t lo, hi;	/* pages the segments touch, holes included */
	uint8_t *want;		/* [lo, hi) as the ELF says it must end up */
	uint64_t byte_pages;	/* pages of [lo, hi) holding file bytes */
};

/* Offsets from `base` depend only on the seed: callers can place a segment by
 * building once to learn the layout. */
static void img_build(struct img *im, uint64_t base, uint64_t seed, uint64_t extra_bss)
{
	uint64_t r = seed * 7919 + 17;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];

	memset(im, 0, sizeof(*im));
	im->paddr[0] = base + 0x40 * (1 + rnd(&r) % 60);
	im->filesz[0] = (8 + rnd(&r) % 8) * PAGE + 1 + rnd(&r) % 0xffe;
	im->memsz[0] = im->filesz[0] + PAGE + 1 + rnd(&r) % (2 * PAGE);
	im->paddr[1] = pg_up(im->paddr[0] + im->memsz[0]) + (1 + rnd(&r) % 3) * PAGE +
		       0x10 * (1 + rnd(&r) % 250);
	im->filesz[1] = (4 + rnd(&r) % 8) * PAGE + 3 + rnd(&r) % 0x7f0;
	im->memsz[1] = im->filesz[1] + 1 + rnd(&r) % 0x900 + extra_bss;
	im->off[0] = 0x103;
	im->off[1] = im->off[0] + im->filesz[0] + 5;
	im->len = im->off[1] + im->filesz[1] + 7;
	im->entry = im->paddr[0] + ENTRY_OFF;
	im->lo = pg_down(im->paddr[0]);
	im->hi = pg_up(im->paddr[1] + im->memsz[1]);

	im->file = malloc(im->len);
	assert_non_null(im->file);
	for (uint64_t i = 0; i < im->len; i++)
		im->file[i] = (uint8_t)(rnd(&r) >> 56);

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = im->entry + VIRT_OFF;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memset(ph, 0, sizeof(ph));
	/* out of order on purpose, with a PT_GNU_STACK between */
	for (int k = 0; k < 2; k++) {
		Elf64_Phdr *p = &ph[k == 0 ? 2 : 0];

		p->p_type = PT_LOAD;
		p->p_flags = k == 0 ? PF_R | PF_X : PF_R | PF_W;
		p->p_offset = im->off[k];
		p->p_vaddr = im->paddr[k] + VIRT_OFF;
		p->p_paddr = im->paddr[k];
		p->p_filesz = im->filesz[k];
		p->p_memsz = im->memsz[k];
		p->p_align = PAGE;
	}
	ph[1].p_type = PT_GNU_STACK;
	ph[1].p_flags = PF_R | PF_W;
	memcpy(im->file, &eh, sizeof(eh));
	memcpy(im->file + sizeof(eh), ph, sizeof(ph));

	im->want = calloc(1, im->hi - im->lo);
	assert_non_null(im->want);
	for (int k = 0; k < 2; k++)
		memcpy(im->want + (im->paddr[k] - im->lo), im->file + im->off[k], im->filesz[k]);
	for (uint64_t p = im->lo; p < im->hi; p += PAGE)
		for (int k = 0; k < 2; k++)
			if (im->paddr[k] < p + PAGE && im->paddr[k] + im->filesz[k] > p) {
				im->byte_pages++;
				break;
			}
}

static void img_free(struct img *im)
{
	free(im->file);
	free(im->want);
	memset(im, 0, sizeof(*im));
}

/* ---- a fixture: machine, image, blob, request ---- */

struct fx {
	struct hostenv e;
	struct img im;
	uint8_t blob[BLOB_LEN];
	char cmdline[128];
	struct stage_request rq;
	struct stage_result res;
	uint8_t *bz, *initrd;		/* Linux tests: the bzImage and initrd staged */
};

static void blob_make(uint8_t *b, uint64_t seed)
{
	struct baton_blob_header h;
	uint64_t r = seed ^ 0xb10b;

	for (int i = 0; i < BLOB_LEN; i++)
		b[i] = (uint8_t)(rnd(&r) >> 56);
	memset(&h, 0, sizeof(h));
	h.jump[0] = 0xeb;	/* jmp short +0x3e: to entry64 */
	h.jump[1] = BLOB_ENTRY - 2;
	h.magic = BATON_BLOB_MAGIC;
	h.version = BATON_BLOB_VERSION;
	h.header_size = sizeof(h);
	h.image_size = BLOB_LEN;
	h.mem_size = BLOB_MEM;
	h.entry64 = BLOB_ENTRY;
	memcpy(b, &h, sizeof(h));
}

static void arena_paint(struct hostenv *e)
{
	memset(hostenv_ptr(e, 40 * MIB, MIB), RESV_FILL, MIB);
	memset(hostenv_ptr(e, 60 * MIB, MIB), NEVER_FILL, MIB);
}

static struct fx *fx_new_sized(uint64_t arena, enum hostenv_strategy s, uint64_t seed,
				 uint64_t base)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	hostenv_init(&f->e, arena, s, seed);
	arena_paint(&f->e);
	img_build(&f->im, base, seed, 0);
	blob_make(f->blob, seed);
	snprintf(f->cmdline, sizeof(f->cmdline), "console=ttyS0,115200 baton.seed=%llu quiet",
		 ULL(seed));
	f->rq.image = f->im.file;
	f->rq.image_len = f->im.len;
	f->rq.cmdline = f->cmdline;
	f->rq.mem = f->e.mem;
	f->rq.mem_count = f->e.nmem;
	f->rq.blob = f->blob;
	f->rq.blob_len = BLOB_LEN;
	f->rq.console = (struct baton_console){ .port = CON_PORT, .kind = BATON_CON_UART_IO,
						.baud = 115200 };
	f->rq.tsc_khz = TSC_KHZ;
	f->rq.exit_port = EXIT_PORT;
	/* one page of boot info after the image (asserted after staging) */
	hostenv_set_dsts(&f->e, f->im.lo, f->im.hi + PAGE);
	return f;
}

static struct fx *fx_new(enum hostenv_strategy s, uint64_t seed, uint64_t base)
{
	return fx_new_sized(ARENA, s, seed, base);
}

static void fx_free(struct fx *f)
{
	if (!f)
		return;
	img_free(&f->im);
	free(f->bz);
	free(f->initrd);
	hostenv_fini(&f->e);
	free(f);
}

/*
 * What an outgoing side does before staging (stage.h, STAGE_FOR_LIST): learn the
 * destinations from stage_image_layout() and keep list pages off them. An ELF's
 * boot info follows its last segment: two pages at most here.
 */
static void fx_tell_dsts(struct fx *f)
{
	struct fmt_image img;
	char msg[200];

	hostenv_clear_dst(&f->e);
	if (stage_image_layout(&f->rq, &img, msg, sizeof(msg)))
		return;
	if (img.kind != FMT_KIND_BZIMAGE) {
		hostenv_add_dst(&f->e, pg_down(img.low), pg_up(img.high) + 2 * PAGE);
		return;
	}
	for (uint32_t i = 0; i < img.nseg; i++)
		hostenv_add_dst(&f->e, pg_down(img.seg[i].paddr),
				pg_up(img.seg[i].paddr + img.seg[i].memsz));
}

static int fx_stage(struct fx *f)
{
	int rc;

	fx_tell_dsts(f);
	rc = stage_build(&f->rq, &f->e.env, &f->res);

	assert_int_equal(f->e.tmp_live, 0);	/* every scratch block given back */
	return rc;
}

static void fx_stage_ok(struct fx *f)
{
	int rc = fx_stage(f);

	if (rc)
		fail_msg("stage_build: %d: %s", rc, f->res.msg);
}

static struct baton_handoff *fx_handoff(struct fx *f)
{
	return hostenv_ptr(&f->e, f->res.handoff, PAGE);
}

/* Pages of the arena. */
static uint64_t pg_index(const struct hostenv *e, uint64_t pa)
{
	return (pa - e->base) / PAGE;
}

static int in_range(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

/* ---- acting as the loader ---- */

/* The validator reads list pages from the arena (the loader: through its
 * identity map). */
static const uint64_t *arena_page(void *ctx, uint64_t pa)
{
	return hostenv_ptr(ctx, pa, PAGE);
}

static const void *arena_mem(void *ctx, uint64_t pa, uint64_t len)
{
	return hostenv_ptr(ctx, pa, len);
}

/* A struct check as loader/main.c sets one up: the handoff page at h_pa, the
 * loader running where the handoff says it is. */
static void check_setup(struct check *c, struct hostenv *e, uint64_t h_pa)
{
	const struct baton_handoff *h = hostenv_ptr(e, h_pa, PAGE);

	memset(c, 0, sizeof(*c));
	c->h = h;
	c->h_pa = h_pa;
	c->self_base = h->loader_base;
	c->self_size = h->loader_size;
	c->page_ptr = arena_page;
	c->mem_ptr = arena_mem;
	c->ctx = e;
}

/*
 * The loader's check steps on c, in its order (loader/main.c): check_header and
 * check_chain (its step 1), check_unchanged, check_collect and check_runs (step
 * 4). The work area is malloc'ed here into *work (the caller frees it, NULL if
 * never made): these callers test the validator, not where it writes.
 */
static int check_steps(struct check *c, uint8_t **work)
{
	int rc = check_header(c);

	*work = NULL;
	if (!rc)
		rc = check_chain(c);
	if (!rc)
		rc = check_unchanged(c);
	if (!rc) {
		*work = calloc(1, c->work.size);
		assert_non_null(*work);
		rc = check_collect(c, *work);
	}
	if (!rc)
		rc = check_runs(c);
	return rc;
}

/* Page states of a loader run, per arena page. */
#define LS_DST		1	/* a copy or zero run's destination: the plan writes it */
#define LS_CLAIM	2	/* a claim run's: never written */

struct loader_sim {
	struct check c;			/* the validator's state, as the loader keeps it */
	const struct baton_handoff *h;	/* the handoff page as checked (c.seen.h) */
	uint8_t *work;			/* the work area, in the arena */
	uint64_t self_base;		/* where the loader runs at the end */
	int moved;
	uint64_t tramp;			/* PROT32: the trampoline's page, else 0 */
	struct plan_stats st;
	uint8_t *dst_page;		/* per arena page: 0, LS_DST or LS_CLAIM */
	uint8_t *written;		/* per arena page: the loader may have written it */
	uint8_t *before;		/* the arena when the loader started */
};

static void ls_free(struct loader_sim *ls)
{
	free(ls->dst_page);
	free(ls->written);
	free(ls->before);
	memset(ls, 0, sizeof(*ls));
}

static void mark(const struct hostenv *e, uint8_t *map, uint64_t pa, uint64_t pages, uint8_t v)
{
	for (uint64_t k = 0; k < pages; k++)
		map[pg_index(e, pa) + k] = v;
}

/* Whether page pa lies in a range the outgoing side still uses (stage_request.keep). */
static int kept(const struct stage_request *rq, uint64_t pa)
{
	for (uint64_t i = 0; i < rq->keep_count; i++)
		if (pa < rq->keep[i].base + rq->keep[i].size && pa + PAGE > rq->keep[i].base)
			return 1;
	return 0;
}

/*
 * The loader's steps over the arena, in loader/main.c's order, each step the
 * loader's own code; only what main.c and launch.c do by hand between them is
 * done here by hand: the page tables written into the work area, the copy of
 * itself when it moves, the trampoline page written. Any refusal before the
 * verify step fails the test; the verify step's is returned.
 */
static int loader_run(struct fx *f, struct loader_sim *ls)
{
	struct hostenv *e = &f->e;
	struct check *c = &ls->c;
	struct plan_mem mem;
	struct hostenv_plan hp;
	struct plan_stats dry;
	const struct baton_handoff *live = fx_handoff(f);
	uint8_t *writable = calloc(1, e->npages);
	int rc;

	memset(ls, 0, sizeof(*ls));
	ls->before = malloc(e->size);
	ls->dst_page = calloc(1, e->npages);
	ls->written = calloc(1, e->npages);
	assert_true(ls->before && ls->dst_page && ls->written && writable);
	memcpy(ls->before, e->arena, e->size);

	/* 1. header: the loader runs where the handoff says (main.c checks it) */
	check_setup(c, e, f->res.handoff);
	assert_int_equal(live->loader_base, f->res.loader_base);
	assert_int_equal(live->loader_size, BLOB_MEM);
	rc = check_header(c);
	if (!rc)
		rc = check_chain(c);
	if (rc)
		fail_msg("loader step header: %d: %s", rc, c->msg);
	ls->h = &c->seen.h;
	ls->self_base = c->self_base;

	/* 2. paging: the work area is RAM nobody was handed, no destination, no
	 * range the outgoing side keeps; the page tables go at its start */
	assert_int_equal(ls->h->work_base, f->res.work_base);
	assert_int_equal(ls->h->work_size, f->res.work_size);
	assert_true(ls->h->work_size >= c->work.size);
	for (uint64_t a = ls->h->work_base; a < ls->h->work_base + ls->h->work_size; a += PAGE) {
		if (!hostenv_contains(e, a, PAGE) || e->state[pg_index(e, a)] != HOSTENV_FREE)
			fail_msg("work area page 0x%llx is not free RAM", ULL(a));
		if (kept(&f->rq, a))
			fail_msg("work area page 0x%llx is kept by the outgoing side", ULL(a));
	}
	ls->work = hostenv_ptr(e, ls->h->work_base, ls->h->work_size);
	mark(e, ls->written, ls->h->work_base, ls->h->work_size / PAGE, 1);
	memset(ls->work + c->work.pt_off, PT_FILL, c->work.pt_bytes);

	/* 3. park: nothing here. 4. check */
	rc = check_unchanged(c);
	if (!rc)
		rc = check_collect(c, ls->work);
	if (!rc)
		rc = check_runs(c);
	if (rc)
		fail_msg("loader step check: %d: %s", rc, c->msg);
	for (uint64_t i = 0; i < c->ncopy; i++)
		mark(e, ls->dst_page, c->copy[i].dst, c->copy[i].pages, LS_DST);
	for (uint64_t i = 0; i < c->nzero; i++)
		mark(e, ls->dst_page, c->zero[i].dst, c->zero[i].pages, LS_DST);
	for (uint64_t i = 0; i < c->nclaim; i++)
		mark(e, ls->dst_page, c->claim[i].dst, c->claim[i].pages, LS_CLAIM);
	for (uint64_t a = ls->h->work_base; a < ls->h->work_base + ls->h->work_size; a += PAGE)
		assert_int_equal(ls->dst_page[pg_index(e, a)], 0);

	/* 5. move, and the trampoline's page: where check_places() says, as the
	 * loader goes (loader/main.c), then the move carried out on the arena */
	{
		uint64_t spot;

		rc = check_places(c, &spot, &ls->tramp);
		if (rc)
			fail_msg("loader step check (places): %d: %s", rc, c->msg);
		assert_int_equal(!!spot, check_hits_dst(c, c->self_base, c->self_size));
		if (spot) {
			assert_int_equal(spot % PAGE, 0);
			memcpy(hostenv_ptr(e, spot, c->self_size),
			       hostenv_ptr(e, c->self_base, c->self_size), c->self_size);
			mark(e, ls->written, spot, c->self_size / PAGE, 1);
			c->self_base = spot;
			c->own[0].base = spot;
			c->own[0].end = spot + c->self_size;
			ls->self_base = spot;
			ls->moved = 1;
			assert_false(check_hits_dst(c, c->self_base, c->self_size));
		}
	}
	for (uint64_t a = ls->self_base; a < ls->self_base + c->self_size; a += PAGE)
		assert_int_equal(ls->dst_page[pg_index(e, a)], 0);
	assert_int_equal(!!ls->tramp, ls->h->entry.mode == BATON_MODE_PROT32);
	if (ls->tramp) {
		assert_true(ls->tramp + PAGE <= 4 * GIB);
		assert_int_equal(e->state[pg_index(e, ls->tramp)], HOSTENV_FREE);
		assert_int_equal(ls->dst_page[pg_index(e, ls->tramp)], 0);
		assert_false(ls->written[pg_index(e, ls->tramp)]);
		assert_false(kept(&f->rq, ls->tramp));
		assert_false(ls->tramp >= ls->self_base && ls->tramp < ls->self_base + c->self_size);
	}

	/* 6, 7. plan and copy, with the work area's check/plan memory and scratch
	 * page; only copy and zero destinations may be written */
	rc = plan_execute(c->copy, c->ncopy, c->zero, c->nzero, c->mem, c->work.mem_bytes,
			  NULL, &dry);
	if (rc)
		fail_msg("plan_execute (dry): %d %s", rc, plan_strerror(rc));
	for (uint64_t p = 0; p < e->npages; p++)
		writable[p] = ls->dst_page[p] == LS_DST;
	hostenv_plan_init(&hp, e, &mem, ls->h->work_base + c->work.scratch_off);
	hp.writable = writable;
	rc = plan_execute(c->copy, c->ncopy, c->zero, c->nzero, c->mem, c->work.mem_bytes,
			  &mem, &ls->st);
	hostenv_plan_fini(&hp);
	if (rc)
		fail_msg("plan_execute: %d %s", rc, plan_strerror(rc));
	if (hp.bad_write)
		fail_msg("plan wrote 0x%llx, not a copy or zero destination", ULL(hp.bad_write));
	for (uint64_t p = 0; p < e->npages; p++)
		ls->written[p] |= writable[p];
	free(writable);
	/* the stage's dry run, the loader's dry run and the real run agree */
	assert_memory_equal(&dry, &ls->st, sizeof(dry));
	assert_memory_equal(&f->res.plan, &ls->st, sizeof(dry));
	assert_int_equal(ls->st.copies, ls->st.moved + ls->st.cycles);

	/* 8. verify: its refusal returned (the loader's PANIC) */
	rc = check_verify(c);
	if (rc)
		return rc;

	/* 9. launch: the trampoline written (the timings are not: zero slots are
	 * what the boot info holds until then) */
	if (ls->tramp) {
		memset(hostenv_ptr(e, ls->tramp, PAGE), TRAMP_FILL, PAGE);
		ls->written[pg_index(e, ls->tramp)] = 1;
	}
	return 0;
}

static void loader_run_ok(struct fx *f, struct loader_sim *ls)
{
	int rc = loader_run(f, ls);

	if (rc)
		fail_msg("loader step verify: %d: %s", rc, ls->c.msg);
}

static void assert_bytes(const struct hostenv *e, uint64_t pa, const uint8_t *want, uint64_t len,
			 const char *what)
{
	const uint8_t *got = hostenv_ptr(e, pa, len);

	if (memcmp(got, want, len) == 0)
		return;
	for (uint64_t i = 0; i < len; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte at 0x%llx is 0x%02x, want 0x%02x", what, ULL(pa + i),
				 got[i], want[i]);
}

static void assert_filled(const struct hostenv *e, uint64_t pa, uint64_t len, uint8_t v,
			  const char *what)
{
	const uint8_t *got = hostenv_ptr(e, pa, len);
	uint8_t pat[PAGE];
	uint64_t i;

	memset(pat, v, sizeof(pat));
	for (i = 0; i < len; i += PAGE)
		if (memcmp(got + i, pat, len - i < PAGE ? len - i : PAGE))
			break;
	if (i >= len)
		return;
	for (i = 0; i < len; i++)
		if (got[i] != v)
			fail_msg("%s: byte at 0x%llx is 0x%02x, want 0x%02x", what, ULL(pa + i),
				 got[i], v);
}

static const void *fdt_prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	const void *p;

	if (node < 0)
		fail_msg("boot info: no node %s (%s)", path, fdt_strerror(node));
	p = fdt_getprop(fdt, node, name, len);
	if (!p)
		fail_msg("boot info: no property %s in %s", name, path);
	return p;
}

/* The boot info: the command line, usable RAM merged, timing slots, memreserve. */
static void verify_bootinfo(const struct fx *f, const struct loader_sim *ls,
			    const char *cmdline)
{
	const struct hostenv *e = &f->e;
	const void *fdt = hostenv_ptr(e, f->res.bootinfo, PAGE);
	static const char names[] = BATON_TIMING_NAMES;
	uint64_t want_reg[16], n = 0, a, s;
	const fdt64_t *reg;
	const fdt32_t *u32;
	const char *str;
	int len;

	assert_int_equal(fdt_check_header(fdt), 0);
	assert_int_equal(fdt_check_full(fdt, fdt_totalsize(fdt)), 0);
	assert_int_equal(f->res.bootinfo, f->im.hi);
	assert_int_equal(ls->h->entry.regs[BATON_REG_RDI], f->res.bootinfo);

	str = fdt_prop(fdt, "/chosen", "bootargs", &len);
	assert_int_equal(len, strlen(cmdline) + 1);
	assert_string_equal(str, cmdline);

	str = fdt_prop(fdt, "/", "compatible", &len);
	assert_string_equal(str, "baton,boot");
	u32 = fdt_prop(fdt, "/", "#address-cells", &len);
	assert_int_equal(fdt32_ld(u32), 2);
	u32 = fdt_prop(fdt, "/", "#size-cells", &len);
	assert_int_equal(fdt32_ld(u32), 2);

	/* /memory@1000000: every usable range of the map, in order (none touch) */
	for (uint64_t i = 0; i < e->nmem; i++)
		if (e->mem[i].type == BATON_MEM_USABLE) {
			want_reg[n++] = e->mem[i].base;
			want_reg[n++] = e->mem[i].size;
		}
	str = fdt_prop(fdt, "/memory@1000000", "device_type", &len);
	assert_string_equal(str, "memory");
	reg = fdt_prop(fdt, "/memory@1000000", "reg", &len);
	assert_int_equal(len, n * 8);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(fdt64_ld(&reg[i]), want_reg[i]);	/* 4-aligned */

	str = fdt_prop(fdt, "/baton", "compatible", &len);
	assert_string_equal(str, "baton,loader");
	u32 = fdt_prop(fdt, "/baton", "version", &len);
	assert_int_equal(fdt32_ld(u32), BATON_HANDOFF_VERSION);
	u32 = fdt_prop(fdt, "/baton", "tsc-khz", &len);
	assert_int_equal(fdt32_ld(u32), TSC_KHZ);
	str = fdt_prop(fdt, "/baton", "timing-names", &len);
	assert_int_equal(len, sizeof(names));
	assert_memory_equal(str, names, sizeof(names));
	str = fdt_prop(fdt, "/baton", "timings", &len);
	assert_int_equal(len, 8 * BATON_TIMING_COUNT);
	assert_int_equal(ls->h->timings_count, BATON_TIMING_COUNT);
	/* the handoff's timing slot is that property's value, in place */
	assert_ptr_equal(str, hostenv_ptr(e, ls->h->timings_addr, len));
	for (int i = 0; i < len; i++)
		assert_int_equal(str[i], 0);

	/* memreserve: the never-touch range */
	assert_int_equal(fdt_num_mem_rsv(fdt), 1);
	assert_int_equal(fdt_get_mem_rsv(fdt, 0, &a, &s), 0);
	assert_int_equal(a, 60 * MIB);
	assert_int_equal(s, MIB);
}

/* Destination ranges an image must have: the pages the loader places or claims. */
struct drange {
	uint64_t base, end;
};

/* The entry's registers: `reg` holds `val`, every other one zero. */
static void assert_regs(const struct baton_entry *en, int reg, uint64_t val)
{
	for (int r = 0; r < BATON_REG_COUNT; r++)
		assert_int_equal(en->regs[r], r == reg ? val : 0);
	assert_int_equal(en->flags, 0);
}

/*
 * After the loader, what every image shares: the handoff's request fields, the
 * stage's figures against the loader's, the destinations exactly the image's
 * pages, the loader blob, and nothing else in the arena changed.
 */
static void verify_machine(struct fx *f, const struct loader_sim *ls, const struct drange *dst,
			   int ndst)
{
	const struct hostenv *e = &f->e;
	const struct baton_handoff *h = ls->h;
	const struct check *c = &ls->c;
	const struct baton_mem_range *map = (const void *)(fx_handoff(f) + 1);
	const struct baton_blob_header *bh;
	struct stage_result *res = &f->res;

	/* the handoff says what the request asked for */
	assert_int_equal(h->console.port, CON_PORT);
	assert_int_equal(h->console.kind, BATON_CON_UART_IO);
	assert_int_equal(h->tsc_khz, TSC_KHZ);
	assert_int_equal(h->exit_port, EXIT_PORT);
	assert_int_equal(h->hash_alg, BATON_HASH_XXH64);
	assert_int_equal(h->flags, 0);
	assert_int_equal(h->test_flags, 0);
	/* a request that names no reset: no ACPI register, reset after the default wait */
	assert_int_equal(h->reset.acpi_addr, 0);
	assert_int_equal(h->reset.action, BATON_PANIC_RESET);
	assert_int_equal(h->reset.delay_ms, BATON_RESET_DELAY_MS);
	assert_int_equal(h->mem_count, e->nmem);
	assert_memory_equal(c->seen.map, e->mem, e->nmem * sizeof(e->mem[0]));
	if (!ls->dst_page[pg_index(e, res->handoff)])	/* else the image is there now */
		assert_memory_equal(map, e->mem, e->nmem * sizeof(e->mem[0]));
	assert_int_equal(res->entry, res->loader_base + BLOB_ENTRY);

	/* the stage's figures are the loader's */
	assert_int_equal(res->copy_runs, c->ncopy);
	assert_int_equal(res->zero_runs, c->nzero);
	assert_int_equal(res->claim_runs, c->nclaim);
	assert_int_equal(res->image_pages, c->pages);
	assert_int_equal(res->claim_pages, c->claim_pages);
	assert_int_equal(res->list_pages, c->nlist);
	assert_int_equal(h->chain_pages, res->list_pages);
	assert_int_equal(res->list_pages, (res->list_words + LIST_ENTRIES - 1) / LIST_ENTRIES);
	assert_int_equal(e->calls_by[STAGE_FOR_LIST], res->list_pages);
	/* whatever the destinations, at most two words a page (DST and SRC: 16
	 * bytes), besides the two header words of each list page */
	assert_true(res->list_words <= 2 * (res->image_pages + res->claim_pages));

	/* the destinations, placed or claimed, are exactly the image's pages */
	for (int i = 0; i < ndst; i++)
		assert_true(hostenv_contains(e, dst[i].base, dst[i].end - dst[i].base));
	for (uint64_t p = 0; p < e->npages; p++) {
		uint64_t a = e->base + p * PAGE;
		int in = 0;

		for (int i = 0; i < ndst; i++)
			in |= a >= dst[i].base && a < dst[i].end;
		if (in != !!ls->dst_page[p])
			fail_msg("page 0x%llx is %sa destination but %sthe image's", ULL(a),
				 in ? "not " : "", in ? "" : "not ");
	}

	/* the loader blob, where the loader now runs: its bytes, early console patched */
	bh = hostenv_ptr(e, ls->self_base, BLOB_LEN);
	assert_memory_equal((const uint8_t *)bh, f->blob, offsetof(struct baton_blob_header, handoff));
	assert_int_equal(bh->handoff, res->handoff);
	assert_int_equal(bh->con_port, CON_PORT);
	assert_int_equal(bh->exit_port, EXIT_PORT);
	assert_memory_equal((const uint8_t *)bh + sizeof(*bh), f->blob + sizeof(*bh),
			    BLOB_LEN - sizeof(*bh));

	/* nothing else changed: reserved and never-touch ranges as painted; every
	 * page the loader did not write as it found it, claimed pages included;
	 * every page nobody was handed as the arena was filled */
	for (uint64_t i = 0; i < e->nmem; i++)
		if (e->mem[i].type != BATON_MEM_USABLE && hostenv_contains(e, e->mem[i].base, e->mem[i].size))
			assert_filled(e, e->mem[i].base, e->mem[i].size,
				      e->mem[i].type == BATON_MEM_NEVER_TOUCH ? NEVER_FILL : RESV_FILL,
				      "reserved or never-touch range");
	for (uint64_t p = 0; p < e->npages; p++) {
		if (ls->written[p])
			continue;
		assert_bytes(e, e->base + p * PAGE, ls->before + p * PAGE, PAGE,
			     ls->dst_page[p] ? "claimed page" : "page the loader does not own");
		if (e->state[p] == HOSTENV_FREE)
			assert_filled(e, e->base + p * PAGE, PAGE, ARENA_FILL, "unowned page");
	}
}

/* After the loader, an ELF world: every destination byte, the boot info, the entry. */
static void verify_world(struct fx *f, const struct loader_sim *ls)
{
	const void *fdt = hostenv_ptr(&f->e, f->res.bootinfo, PAGE);
	struct drange dst = { f->im.lo, f->res.bootinfo + pg_up(fdt_totalsize(fdt)) };

	/* every destination byte as the ELF says: file bytes, zeros for bss and holes */
	assert_bytes(&f->e, f->im.lo, f->im.want, f->im.hi - f->im.lo, "image");
	verify_bootinfo(f, ls, f->rq.cmdline ? f->rq.cmdline : "");
	assert_int_equal(ls->h->entry.mode, BATON_MODE_LONG64);
	assert_int_equal(ls->h->entry.addr, f->im.entry);
	assert_regs(&ls->h->entry, BATON_REG_RDI, f->res.bootinfo);
	assert_int_equal(f->res.mode, BATON_MODE_LONG64);
	assert_int_equal(f->res.image_entry, f->im.entry);
	/* one destination, contiguous: at most one word (8 bytes) a page, the DST
	 * at its start paid for by the zero pages a ZERO entry covers at once */
	assert_true(f->res.list_words <= f->res.image_pages);
	assert_int_equal(f->res.claim_pages, 0);
	verify_machine(f, ls, &dst, 1);
}

/* Fragmented: no two pages handed out touch, but within the loader region. */
static void assert_apart(const struct fx *f)
{
	const struct hostenv *e = &f->e;

	for (uint64_t p = 0; p + 1 < e->npages; p++)
		if (e->state[p] == HOSTENV_USED && e->state[p + 1] == HOSTENV_USED &&
		    !(in_range(e->base + p * PAGE, f->res.loader_base, f->res.loader_size) &&
		      in_range(e->base + (p + 1) * PAGE, f->res.loader_base, f->res.loader_size)))
			fail_msg("fragmented: pages 0x%llx and 0x%llx were both handed out",
				 ULL(e->base + p * PAGE), ULL(e->base + (p + 1) * PAGE));
	assert_int_equal(e->pages_out, e->alloc_calls - 1 + BLOB_MEM / PAGE);
}

/* ---- 1. end to end, per strategy ---- */

static void e2e_one(enum hostenv_strategy s, uint64_t seed)
{
	uint64_t base = 20 * MIB + (seed % 8) * MIB + (seed % 3) * 0x11000;
	struct fx *f = fx_new(s, seed, base);
	struct loader_sim ls;
	uint64_t dst_hi = f->im.hi + PAGE;

	fx_stage_ok(f);
	/* one page of boot info right after the image; one source per page with bytes */
	assert_int_equal(f->res.image_pages, (dst_hi - f->im.lo) / PAGE);
	assert_int_equal(f->e.calls_by[STAGE_FOR_SOURCE], f->im.byte_pages + 1);
	assert_int_equal(f->e.calls_by[STAGE_FOR_LOADER], 1);
	assert_int_equal(f->e.calls_by[STAGE_FOR_HANDOFF], 1);
	assert_int_equal(f->e.calls_by[STAGE_FOR_LIST], f->res.list_pages);
	assert_int_equal(f->e.alloc_calls, f->im.byte_pages + 3 + f->res.list_pages);

	loader_run_ok(f, &ls);
	if (s == HOSTENV_WORST) {
		for (uint64_t i = 0; i < ls.c.ncopy; i++) {
			const struct plan_run *r = &ls.c.copy[i];

			assert_true(r->src >= f->im.lo && r->src + r->pages * PAGE <= dst_hi);
			assert_int_not_equal(r->src, r->dst);
		}
		assert_true(f->res.plan.cycles > 0);
		assert_true(f->res.plan.ordered > 0);
	}
	if (s == HOSTENV_LOADER_IN_DST) {
		assert_true(f->res.loader_base >= f->im.lo && f->res.loader_base < dst_hi);
		assert_true(f->res.handoff >= f->im.lo && f->res.handoff < dst_hi);
		assert_true(ls.moved);
	} else if (s != HOSTENV_SCATTERED && s != HOSTENV_FRAGMENTED) {
		assert_false(ls.moved);
	}
	if (s == HOSTENV_FRAGMENTED) {
		/* single-page sources, none touching: a copy run and a SRC word per
		 * page, one DST, one ZERO word per zero run */
		assert_apart(f);
		assert_int_equal(ls.c.ncopy, f->e.calls_by[STAGE_FOR_SOURCE]);
		assert_int_equal(f->res.list_words, 1 + ls.c.ncopy + ls.c.nzero);
	}
	verify_world(f, &ls);
	ls_free(&ls);
	fx_free(f);
}

static void e2e_strategy(enum hostenv_strategy s)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		e2e_one(s, seed);
}

static void test_e2e_contiguous(void **state) { (void)state; e2e_strategy(HOSTENV_CONTIGUOUS); }
static void test_e2e_scattered(void **state) { (void)state; e2e_strategy(HOSTENV_SCATTERED); }
static void test_e2e_reverse(void **state) { (void)state; e2e_strategy(HOSTENV_REVERSE); }
static void test_e2e_worst(void **state) { (void)state; e2e_strategy(HOSTENV_WORST); }
static void test_e2e_loader_in_dst(void **state) { (void)state; e2e_strategy(HOSTENV_LOADER_IN_DST); }
static void test_e2e_fragmented(void **state) { (void)state; e2e_strategy(HOSTENV_FRAGMENTED); }

/* ---- 1b. two processes: laid out by one (`baton load`), sealed by another (the hook) ---- */

struct two_proc {
	struct fx *f;
	struct stage_run *runs;
	uint64_t n, cap;
	uint64_t byte_pages;
};

/* What the kernel hook does with a pwrite(): a source page of its own per
 * destination page, runs merged where both sides touch. */
static int two_proc_emit(void *ctx, const struct stage_run *run, const void *bytes)
{
	struct two_proc *t = ctx;
	struct stage_run r = *run;
	struct stage_run *last = t->n ? &t->runs[t->n - 1] : NULL;

	assert_int_equal(run->pages, 1);
	assert_int_equal(run->dst % PAGE, 0);
	assert_true(!last || run->dst >= last->dst + last->pages * PAGE);	/* increasing */
	if (bytes) {
		assert_int_equal(r.kind, BATON_L_SRC);
		assert_int_equal(t->f->e.env.alloc(t->f->e.env.ctx, 1, STAGE_FOR_SOURCE, r.dst, &r.src), 0);
		memcpy(t->f->e.env.map(t->f->e.env.ctx, r.src, PAGE), bytes, PAGE);
		t->byte_pages++;
	} else {
		assert_true(r.kind == BATON_L_ZERO || r.kind == BATON_L_CLAIM);
	}
	if (last && last->kind == r.kind && last->dst + last->pages * PAGE == r.dst &&
	    (r.kind != BATON_L_SRC || last->src + last->pages * PAGE == r.src)) {
		last->pages++;
		return 0;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->runs = realloc(t->runs, t->cap * sizeof(*t->runs));
		assert_non_null(t->runs);
	}
	t->runs[t->n++] = r;
	return 0;
}

static void two_proc_one(enum hostenv_strategy s, uint64_t seed)
{
	uint64_t base = 20 * MIB + (seed % 8) * MIB + (seed % 3) * 0x11000;
	struct fx *f = fx_new(s, seed, base);
	struct two_proc t = { .f = f };
	struct stage_result lay;
	struct stage_request rq;
	struct loader_sim ls;
	int rc;

	fx_tell_dsts(f);
	rc = stage_layout_runs(&f->rq, &f->e.env, two_proc_emit, &t, &lay);
	if (rc)
		fail_msg("stage_layout_runs: %d: %s", rc, lay.msg);
	assert_int_equal(f->e.tmp_live, 0);
	assert_int_equal(t.byte_pages, f->im.byte_pages + 1);	/* the FDT's page too */
	assert_int_equal(lay.launch.mode, BATON_MODE_LONG64);
	assert_int_equal(lay.launch.addr, f->im.entry);
	assert_int_equal(lay.launch.regs[BATON_REG_RDI], lay.bootinfo);

	/* the other process: the runs and the entry, no image */
	rq = f->rq;
	rq.image = NULL;
	rq.image_len = 0;
	rq.cmdline = NULL;
	rq.runs = t.runs;
	rq.run_count = t.n;
	rq.run_entry = lay.launch;
	rq.run_timings = lay.timings;
	f->rq = rq;
	rc = stage_build(&f->rq, &f->e.env, &f->res);
	if (rc)
		fail_msg("stage_build (runs): %d: %s", rc, f->res.msg);
	assert_int_equal(f->e.tmp_live, 0);
	assert_int_equal(f->e.calls_by[STAGE_FOR_SOURCE], t.byte_pages);
	assert_int_equal(f->res.image_pages, (f->im.hi + PAGE - f->im.lo) / PAGE);
	f->res.bootinfo = lay.bootinfo;
	loader_run_ok(f, &ls);
	f->rq.cmdline = f->cmdline;	/* what verify_world compares the FDT with */
	verify_world(f, &ls);
	ls_free(&ls);
	free(t.runs);
	fx_free(f);
}

static void test_two_processes(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		two_proc_one(HOSTENV_SCATTERED, seed);
		two_proc_one(HOSTENV_FRAGMENTED, seed);
		two_proc_one(HOSTENV_WORST, seed);
	}
}

/* Runs that break the rules are refused with one line, before any allocation. */
static void test_runs_refused(void **state)
{
	static const struct { struct stage_run r[2]; uint64_t n; int err; const char *msg; } t[] = {
		{ { { 24 * MIB, 1, 0, 9, 0 } }, 1, STAGE_E_RUNS, "unknown kind" },
		{ { { 24 * MIB + 8, 1, 0, BATON_L_ZERO, 0 } }, 1, STAGE_E_RUNS, "unaligned" },
		{ { { 24 * MIB, 0, 0, BATON_L_ZERO, 0 } }, 1, STAGE_E_RUNS, "empty" },
		{ { { 24 * MIB, 1, 0, BATON_L_SRC, 0 } }, 1, STAGE_E_RUNS, "none for a copy" },
		{ { { 24 * MIB, 1, 30 * MIB, BATON_L_ZERO, 0 } }, 1, STAGE_E_RUNS, "a source for a run" },
		{ { { 24 * MIB, 2, 0, BATON_L_ZERO, 0 }, { 24 * MIB + PAGE, 1, 0, BATON_L_CLAIM, 0 } },
		  2, STAGE_E_RUNS, "overlaps or precedes" },
		{ { { 40 * MIB, 1, 0, BATON_L_ZERO, 0 } }, 1, STAGE_E_OUTSIDE_RAM, "covers reserved range" },
		{ { { 60 * MIB, 1, 0, BATON_L_CLAIM, 0 } }, 1, STAGE_E_NEVER_TOUCH, "covers never-touch range" },
		{ { { 0x100000000ull, 1, 0, BATON_L_ZERO, 0 } }, 1, STAGE_E_OUTSIDE_RAM, "outside usable RAM" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
		int rc;

		f->rq.image = NULL;
		f->rq.cmdline = NULL;
		f->rq.runs = t[i].r;
		f->rq.run_count = t[i].n;
		f->rq.run_entry.mode = BATON_MODE_LONG64;
		rc = stage_build(&f->rq, &f->e.env, &f->res);
		if (rc != t[i].err || !strstr(f->res.msg, t[i].msg))
			fail_msg("case %zu: %d %s (want %d, \"%s\")", i, rc, f->res.msg, t[i].err, t[i].msg);
		assert_int_equal(f->e.alloc_calls, 0);
		assert_int_equal(f->e.tmp_live, 0);
		fx_free(f);
	}
}

/* The longest command line accepted (4095 bytes): two pages of boot info. */
static void test_e2e_longest_cmdline(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 5, 24 * MIB);
	char *cmd = malloc(STAGE_CMDLINE_MAX);
	struct loader_sim ls;

	(void)state;
	memset(cmd, 'x', STAGE_CMDLINE_MAX - 1);
	cmd[STAGE_CMDLINE_MAX - 1] = 0;
	f->rq.cmdline = cmd;
	fx_stage_ok(f);
	assert_int_equal(f->res.image_pages, (f->im.hi + 2 * PAGE - f->im.lo) / PAGE);
	loader_run_ok(f, &ls);
	verify_world(f, &ls);
	ls_free(&ls);
	free(cmd);
	fx_free(f);
}

/* No command line at all: bootargs is the empty string. */
static void test_e2e_no_cmdline(void **state)
{
	struct fx *f = fx_new(HOSTENV_REVERSE, 6, 30 * MIB);
	struct loader_sim ls;

	(void)state;
	f->rq.cmdline = NULL;
	fx_stage_ok(f);
	loader_run_ok(f, &ls);
	verify_world(f, &ls);
	ls_free(&ls);
	fx_free(f);
}

/*
 * A source changed after staging (the loader's verify step must tell): the
 * checks pass, the copy carries the changed byte to its destination, and the
 * hash word of the list page that placed it differs.
 */
static void test_e2e_changed_source_fails_verify(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 7, 24 * MIB);
	struct loader_sim ls;
	const uint64_t *w;
	char want[WANT_LEN];
	uint64_t src = 0;
	int rc;

	(void)state;
	fx_stage_ok(f);
	w = hostenv_ptr(&f->e, fx_handoff(f)->chain, PAGE);
	for (uint32_t j = BATON_LIST_FIRST; !src && j < BATON_LIST_WORDS; j++)
		if (BATON_L_KIND(w[j]) == BATON_L_SRC)
			src = BATON_L_ADDR(w[j]);
	assert_int_equal(BATON_L_KIND(w[BATON_LIST_FIRST]), BATON_L_DST);
	*(uint8_t *)hostenv_ptr(&f->e, src + 0x10, 1) ^= 0xff;
	rc = loader_run(f, &ls);
	assert_int_equal(rc, CHECK_E_VERIFY);
	snprintf(want, sizeof(want), "list page 0 at 0x%llx: its copies from dst 0x%llx on hash to 0x",
		 ULL(fx_handoff(f)->chain), ULL(f->im.lo));
	assert_memory_equal(ls.c.msg, want, strlen(want));
	ls_free(&ls);
	fx_free(f);
}

/*
 * A zero run's page written after the copy (a device's DMA, say): the verify
 * step reads every zero run back and names the first word that is not zero.
 */
static void test_e2e_dirty_zero_run_fails_verify(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 7, 24 * MIB);
	struct loader_sim ls;
	char want[WANT_LEN];
	uint64_t at;

	(void)state;
	fx_stage_ok(f);
	loader_run_ok(f, &ls);
	assert_true(ls.c.nzero > 0);
	at = ls.c.zero[0].dst + ls.c.zero[0].pages * PAGE - 8;	/* its last word */
	*(uint64_t *)hostenv_ptr(&f->e, at, 8) = 0x5a;
	assert_int_equal(check_verify(&ls.c), CHECK_E_VERIFY);
	snprintf(want, sizeof(want), "zero run 0 dst 0x%llx pages %llu: 0x000000000000005a at 0x%llx is not zero",
		 ULL(ls.c.zero[0].dst), ULL(ls.c.zero[0].pages), ULL(at));
	assert_string_equal(ls.c.msg, want);
	ls_free(&ls);
	fx_free(f);
}

/*
 * The timing slot (72 bytes) straddling the boot info's page boundary, with the two
 * pages staged as separate copy runs (the reverse allocator never merges runs). The
 * loader must accept what the stage built.
 */
static void test_e2e_timings_across_pages(void **state)
{
	struct fx *f = fx_new(HOSTENV_REVERSE, 8, 24 * MIB);
	const struct baton_handoff *h;
	uint64_t toff, L;
	struct check c;
	uint8_t *work;
	char *cmd = malloc(STAGE_CMDLINE_MAX);
	int rc;

	(void)state;
	fx_stage_ok(f);
	h = fx_handoff(f);
	toff = h->timings_addr - f->res.bootinfo;
	/* bootargs precede /baton: the slot moves with the command line's length
	 * (rounded up to 4): aim at 40 bytes before the page end */
	L = strlen(f->cmdline) + (PAGE - 40 - toff);
	fx_free(f);

	f = fx_new(HOSTENV_REVERSE, 8, 24 * MIB);
	memset(cmd, 'y', L);
	cmd[L] = 0;
	f->rq.cmdline = cmd;
	fx_stage_ok(f);
	h = fx_handoff(f);
	toff = h->timings_addr - f->res.bootinfo;
	assert_true(toff < PAGE && toff + 8 * BATON_TIMING_COUNT > PAGE);

	check_setup(&c, &f->e, f->res.handoff);
	rc = check_steps(&c, &work);
	free(work);
	free(cmd);
	fx_free(f);
	if (rc)
		REGRESSION("core/check.c placed_by_copy: a valid staged handoff refused: %s", c.msg);
}
/* ---- 2. stage rejections ---- */

static void expect_reject(struct fx *f, int rc_want, const char *msg, int before_alloc)
{
	int rc = fx_stage(f);

	if (rc != rc_want)
		fail_msg("stage_build: %d (want %d): %s", rc, rc_want, f->res.msg);
	assert_string_equal(f->res.msg, msg);
	if (before_alloc)
		assert_int_equal(f->e.alloc_calls, 0);
}

static void test_reject_blob(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
	struct baton_blob_header *b = (void *)f->blob;
	struct baton_blob_header good = *b;
	static const char m4096[] = "loader blob: bad header (4096 bytes given)";

	(void)state;
	b->magic ^= 1;
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	b->version = BATON_BLOB_VERSION + 1;
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	b->header_size = 0x48;
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	b->mem_size = BLOB_MEM + 1;		/* not a page multiple */
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	b->mem_size = 0;			/* smaller than the image */
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	b->entry64 = BLOB_LEN;			/* past the image */
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	b->image_size = BLOB_LEN + 1;		/* longer than given */
	expect_reject(f, STAGE_E_BLOB, m4096, 1);
	*b = good;
	f->rq.blob_len = 0x3f;			/* shorter than the header */
	expect_reject(f, STAGE_E_BLOB, "loader blob: bad header (63 bytes given)", 1);
	f->rq.blob = NULL;
	f->rq.blob_len = 0;
	expect_reject(f, STAGE_E_BLOB, "loader blob: bad header (0 bytes given)", 1);
	fx_free(f);
}

static void test_reject_memmap(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
	struct baton_mem_range m[HOSTENV_MAX_MEM];

	(void)state;
	f->rq.mem_count = 0;
	expect_reject(f, STAGE_E_MEMMAP, "memory map is empty", 1);
	f->rq.mem = NULL;
	f->rq.mem_count = 5;
	expect_reject(f, STAGE_E_MEMMAP, "memory map is empty", 1);

	memcpy(m, f->e.mem, sizeof(m));
	f->rq.mem = m;
	f->rq.mem_count = f->e.nmem;
	m[2].size += 0x800;
	expect_reject(f, STAGE_E_MEMMAP,
		      "memory range 2 0x2900000+0x1300800 type 1 is unaligned, empty, wraps or has an unknown type", 1);
	memcpy(m, f->e.mem, sizeof(m));
	m[1].base += 0x10;
	expect_reject(f, STAGE_E_MEMMAP,
		      "memory range 1 0x2800010+0x100000 type 2 is unaligned, empty, wraps or has an unknown type", 1);
	memcpy(m, f->e.mem, sizeof(m));
	m[4].size = 0;
	expect_reject(f, STAGE_E_MEMMAP,
		      "memory range 4 0x3d00000+0x0 type 1 is unaligned, empty, wraps or has an unknown type", 1);
	memcpy(m, f->e.mem, sizeof(m));
	m[3].type = 4;
	expect_reject(f, STAGE_E_MEMMAP,
		      "memory range 3 0x3c00000+0x100000 type 4 is unaligned, empty, wraps or has an unknown type", 1);
	memcpy(m, f->e.mem, sizeof(m));
	m[0].type = 0;
	expect_reject(f, STAGE_E_MEMMAP,
		      "memory range 0 0x1000000+0x1800000 type 0 is unaligned, empty, wraps or has an unknown type", 1);
	memcpy(m, f->e.mem, sizeof(m));
	m[4].base = 0xfffffffffff00000ull;
	expect_reject(f, STAGE_E_MEMMAP,
		      "memory range 4 0xfffffffffff00000+0x1300000 type 1 is unaligned, empty, wraps or has an unknown type", 1);
	fx_free(f);
}

static void test_reject_cmdline(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
	char *cmd = malloc(STAGE_CMDLINE_MAX + 1);

	(void)state;
	memset(cmd, 'a', STAGE_CMDLINE_MAX);
	cmd[STAGE_CMDLINE_MAX] = 0;
	f->rq.cmdline = cmd;
	expect_reject(f, STAGE_E_CMDLINE, "command line of 4096 bytes is longer than 4095", 1);
	free(cmd);
	fx_free(f);
}

static void test_reject_image(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
	static const char text[] = "#!/bin/sh\necho not an image\n";
	Elf64_Ehdr *eh = (void *)f->im.file;

	(void)state;
	f->rq.image = text;
	f->rq.image_len = sizeof(text);
	expect_reject(f, FMT_E_UNSUPPORTED, "image: image format not recognised (not ELF32/ELF64)", 1);
	f->rq.image = f->im.file;
	f->rq.image_len = 40;
	expect_reject(f, FMT_E_TRUNCATED, "image: ELF: image is shorter than its ELF header", 1);
	f->rq.image_len = f->im.len;
	eh->e_type = ET_DYN;
	expect_reject(f, FMT_E_TYPE,
		      "image: ELF: not a static executable (ET_EXEC): PIE and .o files are refused", 1);
	eh->e_type = ET_EXEC;
	eh->e_entry = VIRT_OFF + f->im.paddr[0] - 1;
	expect_reject(f, FMT_E_ENTRY, "image: ELF: entry point is not inside any PT_LOAD segment", 1);
	fx_free(f);
}

/* A refusal from stage_build(), nothing allocated, and the same line from
 * stage_image_layout(). */
static void expect_reject_layout(struct fx *f, int rc_want, const char *msg)
{
	struct fmt_image img;
	char lmsg[sizeof(f->res.msg)];

	expect_reject(f, rc_want, msg, 1);
	assert_int_equal(stage_image_layout(&f->rq, &img, lmsg, sizeof(lmsg)), rc_want);
	assert_string_equal(lmsg, msg);
}

/*
 * An image with a Multiboot header asks for the Multiboot convention: refused,
 * never staged as the plain ELF it also is (before, this ELF64 was staged and
 * would have been launched with baton's ELF registers), whatever else was given;
 * a header with a bad checksum does not count.
 */
static void test_reject_multiboot(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
	static const uint8_t initrd[64];
	uint8_t *flat = calloc(1, 4096);

	(void)state;
	assert_non_null(flat);
	mbcraft_mb2(f->im.file, 0x1000, 0, 24);		/* inside the first segment's bytes */
	mbcraft_mb1(f->im.file, 0x1800, 0x10003);
	expect_reject_layout(f, STAGE_E_MULTIBOOT,
			     "image: a Multiboot2 header at offset 0x1000 (and Multiboot1 at 0x1800): baton does not launch Multiboot images yet");
	f->rq.initrd = initrd;				/* not the initrd's line */
	f->rq.initrd_len = sizeof(initrd);
	expect_reject_layout(f, STAGE_E_MULTIBOOT,
			     "image: a Multiboot2 header at offset 0x1000 (and Multiboot1 at 0x1800): baton does not launch Multiboot images yet");
	f->rq.initrd = NULL;
	f->im.file[0x100c] ^= 1;			/* Multiboot2's checksum broken */
	expect_reject_layout(f, STAGE_E_MULTIBOOT,
			     "image: a Multiboot1 header at offset 0x1800: baton does not launch Multiboot images yet");
	f->im.file[0x1808] ^= 1;			/* and Multiboot1's: a plain ELF again */
	fx_stage_ok(f);
	fx_free(f);

	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);	/* a flat image: Multiboot2 only */
	mbcraft_mb2(flat, 0x40, FMT_MB2_ARCH_I386, 24);
	f->rq.image = flat;
	f->rq.image_len = 4096;
	expect_reject_layout(f, STAGE_E_MULTIBOOT,
			     "image: a Multiboot2 header at offset 0x40: baton does not launch Multiboot images yet");
	fx_free(f);
	free(flat);
}

/* Rebuild f's image at `base`. */
static void fx_rebase(struct fx *f, uint64_t base, uint64_t seed, uint64_t extra_bss)
{
	img_free(&f->im);
	img_build(&f->im, base, seed, extra_bss);
	f->rq.image = f->im.file;
	f->rq.image_len = f->im.len;
}

static void test_reject_placement(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 3, 24 * MIB);
	uint64_t d2 = pg_down(f->im.paddr[1]) - 24 * MIB;	/* seg 1's page from base */
	char want[WANT_LEN];

	(void)state;
	/* below every range */
	fx_rebase(f, MIB, 3, 0);
	expect_reject(f, STAGE_E_OUTSIDE_RAM,
		      WANT("segment 0x%llx-0x%llx is outside usable RAM", ULL(MIB),
			   ULL(pg_up(f->im.paddr[0] + f->im.memsz[0]))), 1);
	/* above the top of the map */
	fx_rebase(f, 80 * MIB, 3, 0);
	expect_reject(f, STAGE_E_OUTSIDE_RAM,
		      WANT("segment 0x%llx-0x%llx is outside usable RAM", ULL(80 * MIB),
			   ULL(pg_up(f->im.paddr[0] + f->im.memsz[0]))), 1);
	/* segment 1 over the never-touch range at 60 MiB */
	fx_rebase(f, 60 * MIB - PAGE - d2, 3, 0);
	assert_int_equal(pg_down(f->im.paddr[1]), 60 * MIB - PAGE);
	expect_reject(f, STAGE_E_NEVER_TOUCH,
		      WANT("segment 0x%llx-0x%llx covers never-touch range 0x3c00000-0x3d00000",
			   ULL(60 * MIB - PAGE), ULL(pg_up(f->im.paddr[1] + f->im.memsz[1]))), 1);
	/* segment 1 over the reserved range at 40 MiB */
	fx_rebase(f, 40 * MIB - PAGE - d2, 3, 0);
	expect_reject(f, STAGE_E_OUTSIDE_RAM,
		      WANT("segment 0x%llx-0x%llx covers reserved range 0x2800000-0x2900000",
			   ULL(40 * MIB - PAGE), ULL(pg_up(f->im.paddr[1] + f->im.memsz[1]))), 1);
	/* segments fit, the boot info page after them falls on the reserved range */
	fx_rebase(f, 24 * MIB, 3, 0);
	fx_rebase(f, 40 * MIB - (f->im.hi - 24 * MIB), 3, 0);
	assert_int_equal(f->im.hi, 40 * MIB);
	expect_reject(f, STAGE_E_OUTSIDE_RAM,
		      WANT("image with boot info 0x%llx-0x%llx covers reserved range 0x2800000-0x2900000",
			   ULL(f->im.lo), ULL(40 * MIB + PAGE)), 1);
	/* the same at the end of the map */
	fx_rebase(f, 24 * MIB, 3, 0);
	fx_rebase(f, 80 * MIB - (f->im.hi - 24 * MIB), 3, 0);
	expect_reject(f, STAGE_E_OUTSIDE_RAM,
		      WANT("image with boot info 0x%llx-0x%llx is outside usable RAM",
			   ULL(f->im.lo), ULL(80 * MIB + PAGE)), 1);
	/* larger than all usable RAM (62 MiB) */
	fx_rebase(f, 24 * MIB, 3, 100 * MIB);
	expect_reject(f, STAGE_E_TOO_BIG,
		      WANT("image needs %llu KiB but usable RAM is 63488 KiB",
			   ULL((f->im.hi + PAGE - f->im.lo) >> 10)), 1);
	fx_free(f);
}

/* A successful run's allocation counts, for aiming fault injection: source pages,
 * and the first page after them (the contiguous allocator's next). */
static void counts(uint64_t *sources, uint64_t *list_pages)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);

	fx_stage_ok(f);
	*sources = f->e.calls_by[STAGE_FOR_SOURCE];
	*list_pages = f->res.list_pages;
	assert_int_equal(f->res.loader_size, BLOB_MEM);
	assert_int_equal(f->e.alloc_calls, *sources + 2 + *list_pages);
	fx_free(f);
}

/*
 * A contiguous fixture whose allocator goes wrong at its call number `at`: the
 * hostenv knob at `knob` (offsetof fail_at or misalign_at). The stage must refuse
 * with err and exactly `want`.
 */
static void reject_alloc(size_t knob, uint64_t at, int err, const char *want)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);

	*(uint64_t *)((char *)&f->e + knob) = at;
	expect_reject(f, err, want, 0);
	fx_free(f);
}

#define FAIL_AT		offsetof(struct hostenv, fail_at)
#define MISALIGN_AT	offsetof(struct hostenv, misalign_at)
#define REUSE_AT	offsetof(struct hostenv, reuse_at)

static void test_reject_allocator(void **state)
{
	uint64_t n, nl, lo;
	struct fx *f;
	char want[WANT_LEN];

	(void)state;
	counts(&n, &nl);
	assert_int_equal(nl, 1);
	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	lo = f->im.lo;
	fx_free(f);

	reject_alloc(FAIL_AT, 1, STAGE_E_NOMEM,
		     WANT("allocator: no source page for dst 0x%llx (-12)", ULL(lo)));
	reject_alloc(FAIL_AT, 5, STAGE_E_NOMEM,	/* the fifth page with bytes */
		     WANT("allocator: no source page for dst 0x%llx (-12)", ULL(lo + 4 * PAGE)));
	reject_alloc(FAIL_AT, n + 1, STAGE_E_NOMEM,
		     WANT("allocator: no %llu KiB for the loader region (-12)", ULL(BLOB_MEM >> 10)));
	reject_alloc(FAIL_AT, n + 2, STAGE_E_NOMEM, "allocator: no 4 KiB for the handoff page (-12)");
	reject_alloc(FAIL_AT, n + 3, STAGE_E_NOMEM, "allocator: no 4 KiB for the list page (-12)");

	/* a real shortage: usable RAM that the image fits in, but not with its sources */
	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	memset(f->e.state, HOSTENV_USED, f->e.npages);
	memset(f->e.state + (24 * MIB - f->e.base) / PAGE, HOSTENV_FREE, 3);
	expect_reject(f, STAGE_E_NOMEM,
		      WANT("allocator: no source page for dst 0x%llx (-12)", ULL(f->im.lo + 3 * PAGE)), 0);
	assert_int_equal(f->e.alloc_calls, 4);
	fx_free(f);
}

static void test_reject_allocator_unaligned(void **state)
{
	uint64_t n, nl;
	char want[WANT_LEN];

	(void)state;
	counts(&n, &nl);
	reject_alloc(MISALIGN_AT, 1, STAGE_E_ALLOC_BAD,
		     WANT("allocator returned unaligned page 0x%llx", ULL(16 * MIB + 0x800)));
	reject_alloc(MISALIGN_AT, n + 1, STAGE_E_ALLOC_BAD,	/* the loader follows the sources */
		     WANT("allocator returned unaligned loader region 0x%llx",
			  ULL(16 * MIB + n * PAGE + 0x800)));
	reject_alloc(MISALIGN_AT, n + 2, STAGE_E_ALLOC_BAD,
		     WANT("allocator returned unaligned handoff page 0x%llx",
			  ULL(16 * MIB + n * PAGE + BLOB_MEM + 0x800)));
	reject_alloc(MISALIGN_AT, n + 3, STAGE_E_ALLOC_BAD,
		     WANT("allocator returned unaligned list page 0x%llx",
			  ULL(16 * MIB + n * PAGE + BLOB_MEM + PAGE + 0x800)));
}

/*
 * stage.h: STAGE_E_ALLOC_BAD is "the allocator returned an unaligned or reused
 * page". A page handed out twice makes two sources overlap: the stage must not
 * seal a handoff the loader refuses. The handoff page handed out in the loader
 * region was once accepted (the blob overwritten), and a list page on the
 * handoff page made the stage read the map past the page: both refused before
 * the page is written.
 */
static void test_reject_allocator_reused(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	uint64_t n, nl, lb;
	char want[WANT_LEN];
	int rc;

	(void)state;
	counts(&n, &nl);
	lb = 16 * MIB + n * PAGE;
	reject_alloc(REUSE_AT, n + 2, STAGE_E_ALLOC_BAD,
		     WANT("allocator handed out a page twice: handoff page 0x%llx lies in the loader region 0x%llx-0x%llx",
			  ULL(lb), ULL(lb), ULL(lb + BLOB_MEM)));
	reject_alloc(REUSE_AT, n + 3, STAGE_E_ALLOC_BAD,
		     WANT("allocator handed out a page twice: list page 0x%llx is the handoff page",
			  ULL(lb + BLOB_MEM)));
	f->e.reuse_at = 2;
	rc = fx_stage(f);
	if (rc != STAGE_E_ALLOC_BAD) {
		char msg[sizeof(f->res.msg)];

		memcpy(msg, f->res.msg, sizeof(msg));
		fx_free(f);
		assert_int_not_equal(rc, 0);	/* at least never sealed */
		REGRESSION("stage/place.c stage_place_pages: a page handed out twice is not named (rc %d: %s)",
			  rc, msg);
	}
	/* pages 0 and 1 from 16 MiB, page 2 on from 16 MiB + 4 KiB: runs 0 and 1 */
	assert_string_equal(f->res.msg,
			    WANT("allocator handed out a page twice: copy run 0 src 0x%llx overlaps copy run 1 src 0x%llx",
				 ULL(16 * MIB), ULL(16 * MIB)));
	fx_free(f);
}

/* The allocator hands out list_bad for the next list_bad_n list pages (a page
 * it has not handed out before each time), else what hostenv picks. */
static uint64_t list_bad;
static int list_bad_n;

static int alloc_list_at(void *ctx, uint64_t pages, uint32_t purpose, uint64_t dst, uint64_t *pa)
{
	struct hostenv *e = ctx;

	if (purpose == STAGE_FOR_LIST && list_bad_n) {
		list_bad_n--;
		*pa = list_bad;
		list_bad += PAGE;
		return 0;
	}
	return e->env.alloc(ctx, pages, purpose, dst, pa);
}

/* stage.h: a list page must be no destination (it is read until the last walk,
 * after the copy): the stage sets one aside and asks again, as kexec does; 64
 * in a row, and it gives up with one line. */
static void test_reject_allocator_list_in_dst(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	struct stage_env env = f->e.env;
	const struct baton_handoff *h;
	char want[WANT_LEN];

	(void)state;
	env.alloc = alloc_list_at;
	list_bad = f->im.lo + 2 * PAGE;		/* two destination pages first */
	list_bad_n = 2;
	assert_int_equal(stage_build(&f->rq, &env, &f->res), 0);
	h = fx_handoff(f);
	assert_true(h->chain < f->im.lo || h->chain >= f->im.hi + 2 * PAGE);
	assert_int_equal(list_bad_n, 0);
	fx_free(f);

	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	fx_rebase(f, 24 * MIB, 2, MIB);		/* 1 MiB more bss: 64 destination pages */
	env = f->e.env;
	env.alloc = alloc_list_at;
	list_bad = f->im.lo;			/* destinations, and nothing else */
	list_bad_n = 64;
	assert_int_equal(stage_build(&f->rq, &env, &f->res), STAGE_E_ALLOC_BAD);
	assert_string_equal(f->res.msg, WANT("allocator returned 64 list pages in a row that are destinations (the last 0x%llx)",
					     ULL(f->im.lo + 63 * PAGE)));
	assert_int_equal(f->e.tmp_live, 0);
	list_bad_n = 0;
	fx_free(f);
}

/*
 * The request's reset reaches the handoff as it was asked for; a delay of 0 is
 * the default one; a reset the loader would refuse is refused here, after the
 * handoff is built (stage_self_check: one rule, core/check.c's).
 */
static void test_stage_reset_fields(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 3, 24 * MIB);
	const struct baton_handoff *h;
	struct baton_reset want = { .acpi_addr = 0xcf9, .acpi_space = BATON_RESET_SPACE_IO,
				    .acpi_value = 0x0f, .action = BATON_PANIC_HALT, .delay_ms = 1 };

	(void)state;
	f->rq.reset = want;
	fx_stage_ok(f);
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
	assert_memory_equal(&h->reset, &want, sizeof(want));
	fx_free(f);

	f = fx_new(HOSTENV_CONTIGUOUS, 3, 24 * MIB);
	f->rq.reset = (struct baton_reset){ .acpi_addr = 0xfed00000, .acpi_value = 6 };
	fx_stage_ok(f);
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
	assert_int_equal(h->reset.acpi_addr, 0xfed00000);
	assert_int_equal(h->reset.acpi_space, BATON_RESET_SPACE_MEM);
	assert_int_equal(h->reset.acpi_value, 6);
	assert_int_equal(h->reset.action, BATON_PANIC_RESET);
	assert_int_equal(h->reset.delay_ms, BATON_RESET_DELAY_MS);
	fx_free(f);

	f = fx_new(HOSTENV_CONTIGUOUS, 3, 24 * MIB);
	f->rq.reset.action = 2;
	expect_reject(f, STAGE_E_SELF_CHECK,
		      "loader check: reset: action 2, ACPI space 0, pad 0x0: not defined in v2", 0);
	fx_free(f);
}

/*
 * Overlapping ranges (core/memmap.h): of one type they are one range, usable
 * RAM counted once; of two types the most protective wins (a crash kernel
 * reservation inside System RAM). Either way the handoff's map is normal.
 */
static void test_reject_memmap_overlap(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	struct baton_mem_range m[HOSTENV_MAX_MEM];
	char want[WANT_LEN];

	(void)state;
	memcpy(m, f->e.mem, sizeof(m));
	m[f->e.nmem] = (struct baton_mem_range){ .base = 20 * MIB, .size = 10 * MIB,
						 .type = BATON_MEM_USABLE };
	f->rq.mem = m;
	f->rq.mem_count = f->e.nmem + 1;
	fx_stage_ok(f);
	assert_int_equal(fx_handoff(f)->mem_count, f->e.nmem);
	assert_memory_equal(fx_handoff(f) + 1, f->e.mem, f->e.nmem * sizeof(m[0]));
	fx_free(f);

	/* larger than usable RAM (62 MiB, the overlap not counted twice) */
	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	fx_rebase(f, 24 * MIB, 2, 100 * MIB);
	f->rq.mem = m;
	expect_reject(f, STAGE_E_TOO_BIG,
		      WANT("image needs %llu KiB but usable RAM is 63488 KiB",
			   ULL((f->im.hi + PAGE - f->im.lo) >> 10)), 1);
	fx_free(f);

	/* usable RAM over the reserved range: the reserved range wins (one rule for
	 * overlaps, core/memmap.c: the most protective type), so the handoff's map
	 * is the machine's own */
	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	m[5] = (struct baton_mem_range){ .base = 40 * MIB, .size = MIB / 2, .type = BATON_MEM_USABLE };
	f->rq.mem = m;
	f->rq.mem_count = 6;
	fx_stage_ok(f);
	assert_int_equal(fx_handoff(f)->mem_count, f->e.nmem);
	assert_memory_equal(fx_handoff(f) + 1, f->e.mem, f->e.nmem * sizeof(m[0]));
	fx_free(f);

	/* memmap_normalize() given less room than the map needs says so */
	{
		struct baton_mem_range out[2];
		uint64_t n = 0, bad = 0;

		assert_int_equal(memmap_normalize(m, 6, out, 2, &n, &bad), -3);
		assert_int_equal(memmap_normalize(m, 1, out, 2, &n, &bad), 0);
		assert_int_equal(n, 1);
	}
}

/*
 * Usable RAM described as two touching ranges (UEFI maps do this all the time): an
 * image across the seam is inside usable RAM; the stage merges touching ranges.
 */
static void test_stage_touching_usable_ranges(void **state)
{
	struct fx *f = fx_new(HOSTENV_SCATTERED, 9, 24 * MIB);
	struct baton_mem_range m[HOSTENV_MAX_MEM];
	uint64_t seam = f->im.lo + 3 * PAGE;
	int rc;

	(void)state;
	memcpy(m, f->e.mem, sizeof(m));
	m[0].size = seam - m[0].base;
	m[f->e.nmem] = (struct baton_mem_range){ .base = seam, .size = 40 * MIB - seam,
						 .type = BATON_MEM_USABLE };
	f->rq.mem = m;
	f->rq.mem_count = f->e.nmem + 1;
	rc = fx_stage(f);
	if (rc) {
		char msg[sizeof(f->res.msg)];

		memcpy(msg, f->res.msg, sizeof(msg));
		fx_free(f);
		REGRESSION("stage/stage.c stage_check_range: image across two touching usable ranges refused: %d: %s", rc, msg);
	}
	/* the handoff's map has them merged again */
	assert_int_equal(fx_handoff(f)->mem_count, f->e.nmem);
	assert_memory_equal(fx_handoff(f) + 1, f->e.mem, f->e.nmem * sizeof(m[0]));
	fx_free(f);
}

/*
 * No free block of RAM holds the work area: the outgoing side keeps one page in
 * every eight of usable RAM. The refusal names the size, found by staging without
 * the keep ranges, and the largest block: seven pages.
 */
static void test_reject_no_work_area(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 12, 24 * MIB);
	struct baton_mem_range *keep;
	struct loader_sim ls;
	uint64_t need, n;
	char want[WANT_LEN];

	(void)state;
	fx_stage_ok(f);
	need = f->res.work_size;
	assert_true(need > 7 * PAGE);
	fx_free(f);

	keep = calloc(ARENA / PAGE / 8, sizeof(*keep));
	assert_non_null(keep);
	for (int pass = 0; pass < 2; pass++) {
		f = fx_new(HOSTENV_CONTIGUOUS, 12, 24 * MIB);
		n = 0;
		for (uint64_t p = 0; p < f->e.npages; p += 8) {
			uint64_t pa = f->e.base + p * PAGE;

			/* the second time one block at 70 MiB is let free */
			if (f->e.state[p] != HOSTENV_FREE ||
			    (pass && pa >= 70 * MIB && pa < 70 * MIB + need))
				continue;
			keep[n++] = (struct baton_mem_range){ .base = pa, .size = PAGE,
							      .type = BATON_MEM_USABLE };
			f->e.state[p] = HOSTENV_USED;	/* the allocator's too */
		}
		f->rq.keep = keep;
		f->rq.keep_count = n;
		if (!pass) {
			expect_reject(f, STAGE_E_NO_WORK,
				      WANT("the loader's work area needs %llu KiB of free RAM in one block; the largest free block is 28 KiB",
					   ULL(need >> 10)), 0);
			fx_free(f);
			continue;
		}
		/* the work area goes there, clear of every kept page (loader_run) */
		fx_stage_ok(f);
		assert_int_equal(f->res.work_base, 70 * MIB - 7 * PAGE);
		loader_run_ok(f, &ls);
		verify_world(f, &ls);
		ls_free(&ls);
		fx_free(f);
	}
	free(keep);
}

/* ---- 3. the validator on forged handoffs ---- */

/*
 * One staged handoff (contiguous allocator, seed 11), edited by each test. Its
 * shape is pinned by cfx_setup: one list page holding
 *   word 2  DST lo
 *   word 3  SRC: copy run 0 (seg 0's bytes)
 *   word 4  ZERO: zero run 0 (seg 0's bss, the hole)
 *   word 5  SRC: copy run 1 (seg 1's bytes and the boot info)
 * and the loader region, the handoff page, the list page and the work area in
 * that order right after the sources.
 */
struct cfx {
	struct fx *f;
	struct baton_handoff *h;
	uint64_t *w;				/* list page 0 */
	uint8_t saved_h[PAGE], saved_w[PAGE];
	struct plan_run r0, r1;			/* copy runs 0 and 1 */
	struct plan_zero z0;			/* zero run 0 */
	uint64_t lb, hp, lp, wb, ws;		/* loader, handoff page, list page, work area */
	struct check c;
	uint8_t *work;
	char want[WANT_LEN];
};

static struct baton_mem_range *mr(struct cfx *x)
{
	return (struct baton_mem_range *)(x->h + 1);
}

static int cfx_check(struct cfx *x)
{
	free(x->work);
	check_setup(&x->c, &x->f->e, x->f->res.handoff);
	return check_steps(&x->c, &x->work);
}

static int cfx_setup(void **state)
{
	struct cfx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->f = fx_new(HOSTENV_CONTIGUOUS, 11, 24 * MIB);
	fx_stage_ok(x->f);
	x->h = fx_handoff(x->f);
	x->w = hostenv_ptr(&x->f->e, x->h->chain, PAGE);
	memcpy(x->saved_h, x->h, PAGE);
	memcpy(x->saved_w, x->w, PAGE);
	x->lb = x->h->loader_base;
	x->hp = x->f->res.handoff;
	x->lp = x->h->chain;
	x->wb = x->h->work_base;
	x->ws = x->h->work_size;
	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(x->c.nlist, 1);
	assert_int_equal(x->c.ncopy, 2);
	assert_int_equal(x->c.nzero, 1);
	assert_int_equal(x->c.nclaim, 0);
	x->r0 = x->c.copy[0];
	x->r1 = x->c.copy[1];
	x->z0 = x->c.zero[0];
	assert_int_equal(x->w[2], x->f->im.lo | BATON_L_DST);
	assert_int_equal(BATON_L_KIND(x->w[3]), BATON_L_SRC);
	assert_int_equal(BATON_L_KIND(x->w[4]), BATON_L_ZERO);
	assert_int_equal(BATON_L_KIND(x->w[5]), BATON_L_SRC);
	assert_int_equal(x->w[6], 0);
	assert_int_equal(x->r0.dst, x->f->im.lo);
	assert_int_equal(x->z0.dst, x->r0.dst + x->r0.pages * PAGE);
	assert_int_equal(x->r1.dst, x->z0.dst + x->z0.pages * PAGE);
	assert_true(x->r0.pages >= 3 && x->r1.pages >= 3);
	assert_int_equal(x->hp, x->lb + BLOB_MEM);
	assert_int_equal(x->lp, x->hp + PAGE);
	assert_int_equal(x->wb, x->lp + PAGE);
	*state = x;
	return 0;
}

static int cfx_teardown(void **state)
{
	struct cfx *x = *state;

	free(x->work);
	fx_free(x->f);
	free(x);
	return 0;
}

static void cfx_reset(struct cfx *x)
{
	memcpy(x->h, x->saved_h, PAGE);
	memcpy(x->w, x->saved_w, PAGE);
}

/* Both CRCs again, the list pages read through the stage's env. */
static void reseal(struct cfx *x)
{
	stage_seal(x->h, &x->f->e.env);
}

/* The header's CRC only: for chains that lead where the env may not map. */
static void reseal_header(struct cfx *x)
{
	x->h->crc32 = crc32_handoff(x->h);
}

/* After entries were added or removed: the header's run counts as the stage
 * counts them (a walk), a work area as large as they need, both CRCs. */
static void recount(struct cfx *x)
{
	struct chain_ops none = { 0 };
	struct work_layout wl;
	struct check c;

	reseal(x);
	check_setup(&c, &x->f->e, x->hp);
	c.no_work = 1;
	if (check_header(&c) || chain_walk(&c, &none))
		fail_msg("recount: the edited lists do not walk: %s", c.msg);
	x->h->copy_runs = c.ncopy;
	x->h->zero_runs = c.nzero;
	x->h->claim_runs = c.nclaim;
	assert_int_equal(work_layout(x->h, mr(x), &wl), 0);
	if (wl.size > x->h->work_size)
		x->h->work_size = wl.size;
	reseal(x);
}

/* List page 0's entries replaced by words[0..n), then recounted. */
static void list_set(struct cfx *x, const uint64_t *words, uint32_t n)
{
	memset(x->w + BATON_LIST_FIRST, 0, LIST_ENTRIES * 8);
	memcpy(x->w + BATON_LIST_FIRST, words, n * 8);
	recount(x);
}

static uint64_t src_word(uint64_t src, uint64_t pages)
{
	return src | (pages - 1) << 3 | BATON_L_SRC;
}

static uint64_t count_word(uint32_t kind, uint64_t pages)
{
	return pages << 12 | kind;
}

/* A page of the arena for the chain, which the env may then map. */
static uint64_t *page_take(struct cfx *x, uint64_t pa)
{
	x->f->e.state[pg_index(&x->f->e, pa)] = HOSTENV_USED;
	return hostenv_ptr(&x->f->e, pa, PAGE);
}

static void expect_checked(struct cfx *x, int rc_want, const char *msg)
{
	int rc = cfx_check(x);

	if (rc != rc_want)
		fail_msg("check: %d (want %d): %s", rc, rc_want, x->c.msg);
	assert_string_equal(x->c.msg, msg);
	cfx_reset(x);
}

static void test_check_valid(void **state)
{
	struct cfx *x = *state;

	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(x->c.pages, x->f->res.image_pages);
	assert_int_equal(x->c.src_entries, 2);
	assert_int_equal(x->c.claim_pages, 0);
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
	/* a proposal anywhere else in free RAM is as good */
	x->h->work_base = 70 * MIB;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

/* The CRC of the handoff page's header and map, computed here. */
static uint32_t crc_page(const struct baton_handoff *h)
{
	uint8_t buf[PAGE];
	uint64_t n = sizeof(*h) + h->mem_count * sizeof(struct baton_mem_range);

	memcpy(buf, h, n);
	memset(buf + offsetof(struct baton_handoff, crc32), 0, 4);
	return crc32_update(0, buf, n);
}

static void test_check_header(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint32_t crc;

	x->h->magic = 0x4141414141414141ull;
	expect_checked(x, CHECK_E_MAGIC, "bad magic 0x4141414141414141 (want 0x324f484e4f544142)");
	x->h->version = 99;
	reseal(x);
	expect_checked(x, CHECK_E_VERSION, "handoff version 99, this loader reads 2");
	x->h->header_size = 0xff;
	expect_checked(x, CHECK_E_SIZE, "bad sizes: header 255 bytes, 5 memory ranges (at most 160)");
	x->h->mem_count = BATON_MAP_MAX + 1;
	expect_checked(x, CHECK_E_SIZE, "bad sizes: header 256 bytes, 161 memory ranges (at most 160)");
	/* a handoff address that is not a page's: refused before anything else it says */
	check_setup(&x->c, &x->f->e, x->f->res.handoff);
	x->c.h_pa += 8;
	assert_int_equal(check_header(&x->c), CHECK_E_SIZE);
	assert_string_equal(x->c.msg, "the handoff page is not 4 KiB aligned");

	/* one flipped bit, not resealed: the CRC is computed here independently */
	x->h->flags ^= 1;
	expect_checked(x, CHECK_E_CRC, WANT("bad CRC 0x%08x over the handoff page (header says 0x%08x)",
					  crc_page(x->h), x->h->crc32));
	mr(x)[4].size += PAGE;			/* the map is covered too */
	expect_checked(x, CHECK_E_CRC, WANT("bad CRC 0x%08x over the handoff page (header says 0x%08x)",
					  crc_page(x->h), x->h->crc32));
	/* a list page edited, not resealed: its own CRC */
	x->w[1] ^= 1;
	crc = crc32_update(0, x->w, PAGE);
	expect_checked(x, CHECK_E_CRC, WANT("bad CRC 0x%08x over 1 list pages (header says 0x%08x)",
					  crc, x->h->chain_crc32));

	/* counts no machine could hold a work area for */
	x->h->copy_runs += 1ull << 41;
	reseal(x);
	expect_checked(x, CHECK_E_SIZE, "no memory holds a work area for 2199023255554 copy runs in 2 pieces and 1 list pages");
	x->h->plan_pieces = 1ull << 36;
	reseal(x);
	expect_checked(x, CHECK_E_SIZE, "no memory holds a work area for 2 copy runs in 68719476736 pieces and 1 list pages");

	/* a loader or handoff page its own identity map would not cover */
	check_setup(&x->c, &x->f->e, x->hp);
	x->c.self_base = 5 * GIB;
	assert_int_equal(check_header(&x->c), CHECK_E_SIZE);
	assert_string_equal(x->c.msg, WANT("loader 0x140000000+0x2000 or handoff page 0x%llx lies above the memory map's RAM (top 0x100000000)",
					   ULL(x->hp)));
}

/* Fields v2 defines as zero are refused otherwise (bit 0 of flags once skipped
 * the verify step), and so are values of no known meaning. */
static void test_check_reserved_zero_fields(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	static const char z[] = "flags 0x0 or a reserved field is not zero: handoff v2 defines none";

	x->h->flags = 1;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "flags 0x1 or a reserved field is not zero: handoff v2 defines none");
	x->h->flags = 0x80000000u;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "flags 0x80000000 or a reserved field is not zero: handoff v2 defines none");
	x->h->pad0 = 1;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, z);
	x->h->pad1 = 0x8000;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, z);
	x->h->reserved[1] = 1ull << 63;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, z);
	x->h->console.pad = 1;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, z);
	x->h->reset.pad = 1;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "reset: action 0, ACPI space 0, pad 0x1: not defined in v2");
	x->h->entry.flags = 4;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, z);

	x->h->hash_alg = 7;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "hash algorithm 7 is not supported");
	x->h->hash_alg = 0;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "hash algorithm 0 is not supported");
	x->h->reset.action = BATON_PANIC_HALT + 1;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "reset: action 2, ACPI space 0, pad 0x0: not defined in v2");
	x->h->reset.acpi_space = 2;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "reset: action 0, ACPI space 2, pad 0x0: not defined in v2");
	x->h->reset.acpi_space = BATON_RESET_SPACE_IO;
	x->h->reset.acpi_addr = 0x10000;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "reset: ACPI I/O port 0x10000 is past 0xffff");
	x->h->reset.acpi_addr = x->r0.dst + 0x10;	/* memory space: RAM is no register */
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, WANT("reset: ACPI register 0x%llx in memory space lies in usable RAM",
					       ULL(x->r0.dst + 0x10)));
	x->h->reset.acpi_addr = 0xfee00000;		/* past RAM, as MMIO is: taken */
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
	x->h->console.kind = 2;
	reseal(x);
	expect_checked(x, CHECK_E_FIELD, "console kind 2 is not known");
	mr(x)[2].pad = 1;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP,
		       "memory range 2 0x2900000+0x1300000 type 1 is invalid or not sorted and disjoint");
	/* what is defined is accepted */
	x->h->reset.action = BATON_PANIC_HALT;
	x->h->reset.acpi_space = 1;
	x->h->reset.delay_ms = 1000;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

/* The first byte of the handoff page's used part that differs from the staged one. */
static uint64_t first_change(struct cfx *x)
{
	const uint8_t *a = x->saved_h, *b = (const uint8_t *)x->h;
	uint64_t i = 0;

	while (a[i] == b[i])
		i++;
	return i;
}

/*
 * A CPU still running until the park step may have rewritten the handoff page
 * after check_header() copied it: check_unchanged() finds it, header or map, even
 * resealed. The list pages are walked again by check_collect(): a change there
 * that adds runs is named, any other fails their CRC.
 */
static void test_check_unchanged_after_park(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t i;

	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(check_unchanged(&x->c), 0);
	x->h->entry.addr ^= 0x1000;
	i = first_change(x);
	assert_int_equal(i, offsetof(struct baton_handoff, entry.addr) + 1);
	assert_int_equal(check_unchanged(&x->c), CHECK_E_CHANGED);
	assert_string_equal(x->c.msg, WANT("handoff page byte 0x%llx changed from 0x%02x to 0x%02x after it was checked",
					   ULL(i), x->saved_h[i], x->saved_h[i] ^ 0x10));
	reseal(x);				/* resealed: still changed */
	i = first_change(x);
	assert_int_equal(check_unchanged(&x->c), CHECK_E_CHANGED);
	assert_string_equal(x->c.msg, WANT("handoff page byte 0x%llx changed from 0x%02x to 0x%02x after it was checked",
					   ULL(i), x->saved_h[i], ((uint8_t *)x->h)[i]));
	cfx_reset(x);
	assert_int_equal(check_unchanged(&x->c), 0);
	mr(x)[4].size += PAGE;			/* the map */
	i = first_change(x);
	assert_int_equal(i, sizeof(*x->h) + 4 * sizeof(struct baton_mem_range) + 9);
	assert_int_equal(check_unchanged(&x->c), CHECK_E_CHANGED);
	assert_string_equal(x->c.msg, WANT("handoff page byte 0x%llx changed from 0x%02x to 0x%02x after it was checked",
					   ULL(i), x->saved_h[i], ((uint8_t *)x->h)[i]));
	cfx_reset(x);

	/* a list page that gained a run after check_chain */
	check_setup(&x->c, &x->f->e, x->hp);
	assert_int_equal(check_header(&x->c), 0);
	assert_int_equal(check_chain(&x->c), 0);
	assert_int_equal(check_unchanged(&x->c), 0);
	x->w[6] = (x->r1.dst + x->r1.pages * PAGE + PAGE) | BATON_L_DST;
	x->w[7] = count_word(BATON_L_ZERO, 1);
	assert_int_equal(check_collect(&x->c, x->work), CHECK_E_CHANGED);
	assert_string_equal(x->c.msg, "the lists make more runs than when they were checked");
	cfx_reset(x);
	/* one that changed otherwise */
	check_setup(&x->c, &x->f->e, x->hp);
	assert_int_equal(check_header(&x->c), 0);
	assert_int_equal(check_chain(&x->c), 0);
	x->w[1] ^= 1;
	assert_int_equal(check_collect(&x->c, x->work), CHECK_E_CRC);
	assert_string_equal(x->c.msg, WANT("bad CRC 0x%08x over 1 list pages (header says 0x%08x)",
					   crc32_update(0, x->w, PAGE), x->h->chain_crc32));
	cfx_reset(x);
}

/* The chain of list pages: where each page may be, how it ends, how many. */
static void test_check_chain(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t p1 = 30 * MIB, *w1;

	/* a loop of one page, and of two */
	x->w[0] = x->lp | BATON_LIST_MARK;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list chain goes on past its 1 pages (a loop?): page 1 at 0x%llx",
					   ULL(x->lp)));
	w1 = page_take(x, p1);
	memset(w1, 0, PAGE);
	w1[0] = BATON_LIST_MARK;		/* an empty last page: allowed */
	x->w[0] = p1 | BATON_LIST_MARK;
	x->h->chain_pages = 2;
	recount(x);
	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(x->c.nlist, 2);
	w1[0] = x->lp | BATON_LIST_MARK;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list chain goes on past its 2 pages (a loop?): page 2 at 0x%llx",
					   ULL(x->lp)));
	/* the same loop under a header claiming more pages (64: as many as the
	 * proposed work area holds): found at once (Brent), not after the count */
	x->w[0] = p1 | BATON_LIST_MARK;
	w1[0] = x->lp | BATON_LIST_MARK;
	x->h->chain_pages = 64;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list chain comes back to list page 0x%llx after 2 pages: a loop",
					   ULL(x->lp)));
	x->h->chain_pages = 2;
	reseal(x);

	/* truncated: the header counts more pages than the chain has */
	x->h->chain_pages = 2;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, "list chain ends after 1 pages, the header says 2");
	x->h->chain = 0;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, "list chain ends after 0 pages, the header says 1");

	/* outside RAM, unaligned, in reserved and never-touch memory */
	x->h->chain = 1ull << 40;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, "list page 0 at 0x10000000000 is unaligned or outside usable RAM");
	x->h->chain = x->lp + 0x800;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx is unaligned or outside usable RAM",
					   ULL(x->lp + 0x800)));
	x->h->chain = 40 * MIB;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, "list page 0 at 0x2800000 is in reserved or never-touch memory");
	x->w[0] = (60 * MIB + PAGE) | BATON_LIST_MARK;	/* the second page */
	x->h->chain_pages = 2;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, "list page 1 at 0x3c01000 is in reserved or never-touch memory");
	x->w[0] = 80 * MIB | BATON_LIST_MARK;
	x->h->chain_pages = 2;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, "list page 1 at 0x5000000 is unaligned or outside usable RAM");

	/* in what the loader owns: its region, the handoff page, the work area */
	x->h->chain = x->lb + PAGE;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx lies in the loader region 0x%llx-0x%llx",
					   ULL(x->lb + PAGE), ULL(x->lb), ULL(x->lb + BLOB_MEM)));
	x->h->chain = x->hp;
	reseal_header(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx lies in the handoff page 0x%llx-0x%llx",
					   ULL(x->hp), ULL(x->hp), ULL(x->hp + PAGE)));
	x->h->work_base = x->lp;		/* the work area proposed over it */
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx lies in the work area 0x%llx-0x%llx",
					   ULL(x->lp), ULL(x->lp), ULL(x->lp + x->ws)));

	/* without its mark */
	x->w[0] = 0;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx has no list mark (word 0 is 0x0)",
					   ULL(x->lp)));
	x->w[0] = 0xba6;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx has no list mark (word 0 is 0xba6)",
					   ULL(x->lp)));
}

/* A list page where the copy writes, or where it reads: the copy would overwrite
 * it, or the image would be placed over with list words. */
static void test_check_list_page_placed_or_read(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	const struct { uint64_t pa; const char *run; uint64_t base, end; } cases[] = {
		{ x->r0.dst + PAGE, "copy run 0's destination", x->r0.dst, x->r0.dst + x->r0.pages * PAGE },
		{ x->z0.dst, "zero run 0's destination", x->z0.dst, x->z0.dst + x->z0.pages * PAGE },
		{ x->r1.dst + (x->r1.pages - 1) * PAGE, "copy run 1's destination", x->r1.dst,
		  x->r1.dst + x->r1.pages * PAGE },
		{ x->r0.src + 5 * PAGE, "copy run 0's source", x->r0.src, x->r0.src + x->r0.pages * PAGE },
		{ x->r1.src, "copy run 1's source", x->r1.src, x->r1.src + x->r1.pages * PAGE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the same page, elsewhere: its CRC unchanged */
		memcpy(page_take(x, cases[i].pa), x->w, PAGE);
		x->h->chain = cases[i].pa;
		reseal_header(x);
		expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx lies in %s 0x%llx-0x%llx",
						   ULL(cases[i].pa), cases[i].run, ULL(cases[i].base),
						   ULL(cases[i].end)));
	}
	/* and a claimed destination: one more claim run over a copy of the list page */
	x->w[6] = 70 * MIB | BATON_L_DST;
	x->w[7] = count_word(BATON_L_CLAIM, 2);
	memcpy(page_take(x, 70 * MIB), x->w, PAGE);
	x->h->chain = 70 * MIB;
	recount(x);
	expect_checked(x, CHECK_E_LIST, "list page 0 at 0x4600000 lies in claim run 0's destination 0x4600000-0x4602000");
}

/* Every word of a list page: entries well formed, placed after a DST, nothing
 * after the zero that ends them. */
static void test_check_entries(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t e3 = x->w[3];
	const uint64_t bad[] = {
		0x1000,				/* kind 0 */
		0x4005, 0x6, 0x7,		/* kinds 5, 6, 7 */
		0x1800009,			/* DST with bits 3-11 */
		0x3,				/* ZERO of no pages */
		0x400b,				/* ZERO with bits 3-11 */
		0x4,				/* CLAIM of no pages */
		0x100c,				/* CLAIM with bits 3-11 */
		0xfffffffffffff00a,		/* SRC of 2 pages that wraps */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x->w[4] = bad[i];
		reseal(x);
		expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx word 4: entry 0x%llx is malformed or wraps",
						   ULL(x->lp), ULL(bad[i])));
	}
	/* the cursor wrapping */
	x->w[2] = 0xfffffffffffff000ull | BATON_L_DST;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx word 3: entry 0x%llx is malformed or wraps",
					   ULL(x->lp), ULL(x->w[3])));
	/* an entry before any DST: the cursor is nowhere yet */
	memmove(x->w + 2, x->w + 3, 3 * 8);
	x->w[5] = 0;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx word 2: 0x%llx places before any DST entry",
					   ULL(x->lp), ULL(e3)));
	/* words after the zero that ends the entries */
	x->w[7] = 0x1234;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx word 7: 0x1234 after the end of its entries",
					   ULL(x->lp)));
	x->w[BATON_LIST_WORDS - 1] = x->r0.dst | BATON_L_DST;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, WANT("list page 0 at 0x%llx word 511: 0x%llx after the end of its entries",
					   ULL(x->lp), ULL(x->r0.dst | BATON_L_DST)));
	/* a page full to its last word is fine: entries need no terminator */
	for (uint32_t j = 6; j < BATON_LIST_WORDS; j++)
		x->w[j] = x->r0.dst | BATON_L_DST;	/* DST words place nothing */
	x->w[BATON_LIST_WORDS - 1] = (x->r1.dst + x->r1.pages * PAGE) | BATON_L_DST;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

/* The cursor goes on from one list page to the next: the second page's entries
 * need no DST, and a run may go on across the seam. */
static void test_check_chain_cursor_carried(void **state)
{
	struct cfx *x = *state;
	uint64_t p1 = 30 * MIB, *w1 = page_take(x, p1);

	memset(w1, 0, PAGE);
	w1[0] = BATON_LIST_MARK;
	w1[2] = src_word(x->r1.src + PAGE, x->r1.pages - 1);	/* copy run 1 but its first page */
	x->w[5] = src_word(x->r1.src, 1);
	x->w[0] = p1 | BATON_LIST_MARK;
	x->h->chain_pages = 2;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(x->c.nlist, 2);
	assert_int_equal(x->c.ncopy, 2);			/* merged across the seam */
	assert_int_equal(x->c.src_entries, 3);
	assert_memory_equal(&x->c.copy[1], &x->r1, sizeof(x->r1));
	cfx_reset(x);
}

/* The header's run counts against what the lists make. */
static void test_check_counts(void **state)
{
	struct cfx *x = *state;
	struct work_layout wl;

	x->h->copy_runs = 3;
	assert_int_equal(work_layout(x->h, mr(x), &wl), 0);
	assert_true(wl.size <= x->ws);
	reseal(x);
	expect_checked(x, CHECK_E_LIST, "the lists make 2 copy, 1 zero and 0 claim runs; the header says 3, 1, 0");
	x->h->zero_runs = 0;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, "the lists make 2 copy, 1 zero and 0 claim runs; the header says 2, 0, 0");
	x->h->claim_runs = 1;
	reseal(x);
	expect_checked(x, CHECK_E_LIST, "the lists make 2 copy, 1 zero and 0 claim runs; the header says 2, 1, 1");
	/* two ZERO entries that continue each other are one run */
	x->w[4] = count_word(BATON_L_ZERO, 1);
	x->w[5] = count_word(BATON_L_ZERO, x->z0.pages - 1);
	x->w[6] = src_word(x->r1.src, x->r1.pages);
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(x->c.nzero, 1);
	cfx_reset(x);
}

/* The work area the stage proposes: large enough, aligned, usable RAM, off the
 * loader, the handoff page, every run and every list page. */
static void test_check_work_area(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t need;

	assert_int_equal(cfx_check(x), 0);
	need = x->c.work.size;
	assert_int_equal(need, x->ws);
	x->h->work_size = need - PAGE;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx+0x%llx: unaligned, or smaller than the 0x%llx bytes it needs",
					   ULL(x->wb), ULL(need - PAGE), ULL(need)));
	x->h->work_size = 0;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx+0x0: unaligned, or smaller than the 0x%llx bytes it needs",
					   ULL(x->wb), ULL(need)));
	x->h->work_base += 0x10;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx+0x%llx: unaligned, or smaller than the 0x%llx bytes it needs",
					   ULL(x->wb + 0x10), ULL(need), ULL(need)));
	x->h->work_base = 0xfffffffffffff000ull;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0xfffffffffffff000+0x%llx: unaligned, or smaller than the 0x%llx bytes it needs",
					   ULL(need), ULL(need)));

	/* not usable RAM: across the reserved range, in never-touch, past the top */
	x->h->work_base = 40 * MIB - PAGE;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x27ff000-0x%llx is not usable RAM",
					   ULL(40 * MIB - PAGE + need)));
	x->h->work_base = 60 * MIB;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x3c00000-0x%llx is not usable RAM",
					   ULL(60 * MIB + need)));
	x->h->work_base = 80 * MIB - PAGE;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x4fff000-0x%llx is not usable RAM",
					   ULL(80 * MIB - PAGE + need)));

	/* meeting the loader region, the handoff page */
	x->h->work_base = x->lb + PAGE;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx-0x%llx meets the loader region 0x%llx-0x%llx",
					   ULL(x->lb + PAGE), ULL(x->lb + PAGE + need), ULL(x->lb),
					   ULL(x->lb + BLOB_MEM)));
	x->h->work_base = x->hp;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx-0x%llx meets the handoff page 0x%llx-0x%llx",
					   ULL(x->hp), ULL(x->hp + need), ULL(x->hp), ULL(x->hp + PAGE)));

	/* meeting a run: a destination, a source */
	x->h->work_base = x->z0.dst + PAGE;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx-0x%llx meets a run: src 0x0 dst 0x%llx pages %llu",
					   ULL(x->z0.dst + PAGE), ULL(x->z0.dst + PAGE + need),
					   ULL(x->z0.dst), ULL(x->z0.pages)));
	x->h->work_base = x->r0.src + 5 * PAGE;
	reseal(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x%llx-0x%llx meets a run: src 0x%llx dst 0x%llx pages %llu",
					   ULL(x->r0.src + 5 * PAGE), ULL(x->r0.src + 5 * PAGE + need),
					   ULL(x->r0.src), ULL(x->r0.dst), ULL(x->r0.pages)));
	/* a claim run too: claimed pages must be free when the image starts */
	x->w[6] = (70 * MIB + need - PAGE) | BATON_L_DST;
	x->w[7] = count_word(BATON_L_CLAIM, 3);
	x->h->work_base = 70 * MIB;
	recount(x);
	expect_checked(x, CHECK_E_WORK, WANT("work area 0x4600000-0x%llx meets a run: src 0x0 dst 0x%llx pages 3",
					   ULL(70 * MIB + x->h->work_size), ULL(70 * MIB + need - PAGE)));
}

static void test_check_memmap(void **state)
{
	struct cfx *x = *state;
	struct baton_mem_range t;

	x->h->mem_count = 0;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "empty memory map");
	mr(x)[2].size += 0x800;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 2 0x2900000+0x1300800 type 1 is invalid or not sorted and disjoint");
	mr(x)[3].type = 9;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 3 0x3c00000+0x100000 type 9 is invalid or not sorted and disjoint");
	mr(x)[4].size = 0;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 4 0x3d00000+0x0 type 1 is invalid or not sorted and disjoint");
	t = mr(x)[0];
	mr(x)[0] = mr(x)[1];
	mr(x)[1] = t;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 1 0x1000000+0x1800000 type 1 is invalid or not sorted and disjoint");
	mr(x)[1].base = 39 * MIB;
	mr(x)[1].size = 2 * MIB;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 1 0x2700000+0x200000 type 2 is invalid or not sorted and disjoint");
	mr(x)[4].base = 0xfffffffffff00000ull;
	reseal(x);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 4 0xfffffffffff00000+0x1300000 type 1 is invalid or not sorted and disjoint");
}

/* The handoff page's map replaced by `n` ranges. */
static void map_set(struct cfx *x, const struct baton_mem_range *m, uint32_t n)
{
	memcpy(mr(x), m, n * sizeof(*m));
	x->h->mem_count = n;
	reseal(x);
}

static void test_check_dst_ranges(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t d0 = x->r0.dst, p0 = x->r0.pages, z0 = x->z0.dst, zp = x->z0.pages;
	uint64_t nt = d0 + (p0 - 1) * PAGE;
	const struct baton_mem_range nt_map[] = {
		{ 16 * MIB, nt - 16 * MIB, BATON_MEM_USABLE, 0 },
		{ nt, PAGE, BATON_MEM_NEVER_TOUCH, 0 },
		{ nt + PAGE, 40 * MIB - nt - PAGE, BATON_MEM_USABLE, 0 },
		{ 40 * MIB, MIB, BATON_MEM_RESERVED, 0 },
		{ 41 * MIB, 39 * MIB, BATON_MEM_USABLE, 0 },
	};
	const struct baton_mem_range resv_map[] = {
		{ 16 * MIB, z0 - 16 * MIB, BATON_MEM_USABLE, 0 },
		{ z0, PAGE, BATON_MEM_RESERVED, 0 },
		{ z0 + PAGE, 64 * MIB - (z0 - 16 * MIB) - PAGE, BATON_MEM_USABLE, 0 },
	};
	uint64_t words[8];

	x->w[2] = MIB | BATON_L_DST;
	reseal(x);
	expect_checked(x, CHECK_E_OUTSIDE, WANT("copy run 0 dst 0x100000-0x%llx is outside usable RAM",
					      ULL(MIB + p0 * PAGE)));
	/* across the end of usable RAM into the reserved range: the reserved range
	 * is named (it is checked before usable RAM) */
	x->w[2] = (40 * MIB - PAGE) | BATON_L_DST;
	reseal(x);
	expect_checked(x, CHECK_E_FORBIDDEN,
		       WANT("copy run 0 dst 0x27ff000-0x%llx covers reserved or never-touch range 0x2800000-0x2900000",
			    ULL(40 * MIB - PAGE + p0 * PAGE)));
	/* the zero run alone moved past the top */
	words[0] = d0 | BATON_L_DST;
	words[1] = x->w[3];
	words[2] = 80 * MIB | BATON_L_DST;
	words[3] = x->w[4];
	words[4] = x->r1.dst | BATON_L_DST;
	words[5] = x->w[5];
	list_set(x, words, 6);
	expect_checked(x, CHECK_E_OUTSIDE, WANT("zero run 0 dst 0x5000000-0x%llx is outside usable RAM",
					      ULL(80 * MIB + zp * PAGE)));
	/* a claim run past the top, and on the never-touch range */
	x->w[6] = 80 * MIB | BATON_L_DST;
	x->w[7] = count_word(BATON_L_CLAIM, 2);
	recount(x);
	expect_checked(x, CHECK_E_OUTSIDE, "claim run 0 dst 0x5000000-0x5002000 is outside usable RAM");
	x->w[6] = (60 * MIB - PAGE) | BATON_L_DST;
	x->w[7] = count_word(BATON_L_CLAIM, 2);
	recount(x);
	expect_checked(x, CHECK_E_FORBIDDEN,
		       "claim run 0 dst 0x3bff000-0x3c01000 covers reserved or never-touch range 0x3c00000-0x3d00000");

	/* a never-touch range inside usable RAM, under copy run 0's last page */
	map_set(x, nt_map, 5);
	expect_checked(x, CHECK_E_FORBIDDEN,
		     WANT("copy run 0 dst 0x%llx-0x%llx covers reserved or never-touch range 0x%llx-0x%llx",
			  ULL(d0), ULL(d0 + p0 * PAGE), ULL(nt), ULL(nt + PAGE)));
	/* a reserved range inside usable RAM, under zero run 0's first page */
	map_set(x, resv_map, 3);
	expect_checked(x, CHECK_E_FORBIDDEN,
		     WANT("zero run 0 dst 0x%llx-0x%llx covers reserved or never-touch range 0x%llx-0x%llx",
			  ULL(z0), ULL(z0 + zp * PAGE), ULL(z0), ULL(z0 + PAGE)));
}

static void test_check_overlaps(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	struct plan_run r0 = x->r0, r1 = x->r1;
	uint64_t z0 = x->z0.dst, zp = x->z0.pages;
	uint64_t words[8];

	/* two copy destinations */
	x->w[5] = (r0.dst + PAGE) | BATON_L_DST;
	x->w[6] = src_word(r1.src, r1.pages);
	reseal(x);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 0 dst 0x%llx-0x%llx overlaps copy run 1 dst 0x%llx-0x%llx",
			  ULL(r0.dst), ULL(r0.dst + r0.pages * PAGE), ULL(r0.dst + PAGE),
			  ULL(r0.dst + PAGE + r1.pages * PAGE)));
	/* a copy destination and a zero destination */
	words[0] = r0.dst | BATON_L_DST;
	words[1] = src_word(r0.src, r0.pages);
	words[2] = (r0.dst + (r0.pages - 1) * PAGE) | BATON_L_DST;
	words[3] = count_word(BATON_L_ZERO, zp);
	words[4] = r1.dst | BATON_L_DST;
	words[5] = src_word(r1.src, r1.pages);
	list_set(x, words, 6);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 0 dst 0x%llx-0x%llx overlaps zero run 0 dst 0x%llx-0x%llx",
			  ULL(r0.dst), ULL(r0.dst + r0.pages * PAGE),
			  ULL(r0.dst + (r0.pages - 1) * PAGE),
			  ULL(r0.dst + (r0.pages - 1 + zp) * PAGE)));
	/* both at the same address: copy runs sort first */
	x->w[5] = z0 | BATON_L_DST;
	x->w[6] = src_word(r1.src, r1.pages);
	reseal(x);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 1 dst 0x%llx-0x%llx overlaps zero run 0 dst 0x%llx-0x%llx",
			  ULL(z0), ULL(z0 + r1.pages * PAGE), ULL(z0), ULL(z0 + zp * PAGE)));
	/* two zero runs; a claim on a copy destination */
	x->w[6] = (z0 + PAGE) | BATON_L_DST;
	x->w[7] = count_word(BATON_L_ZERO, 1);
	recount(x);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("zero run 0 dst 0x%llx-0x%llx overlaps zero run 1 dst 0x%llx-0x%llx",
			  ULL(z0), ULL(z0 + zp * PAGE), ULL(z0 + PAGE), ULL(z0 + 2 * PAGE)));
	x->w[6] = r1.dst | BATON_L_DST;
	x->w[7] = count_word(BATON_L_CLAIM, 1);
	recount(x);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 1 dst 0x%llx-0x%llx overlaps claim run 0 dst 0x%llx-0x%llx",
			  ULL(r1.dst), ULL(r1.dst + r1.pages * PAGE), ULL(r1.dst), ULL(r1.dst + PAGE)));
	/* two sources */
	x->w[5] = src_word(r0.src + PAGE, r1.pages);
	reseal(x);
	expect_checked(x, CHECK_E_OVERLAP, WANT("copy run 0 src 0x%llx overlaps copy run 1 src 0x%llx",
					      ULL(r0.src), ULL(r0.src + PAGE)));
}

/* Every refusal of a bad source, with its exact message. */
static void test_check_sources(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	struct plan_run r1 = x->r1;

	x->w[5] = src_word(1ull << 40, r1.pages);
	reseal(x);
	expect_checked(x, CHECK_E_OUTSIDE,
		       WANT("copy run 1 src 0x10000000000-0x%llx is outside usable RAM",
			    ULL((1ull << 40) + r1.pages * PAGE)));
	x->w[5] = src_word(40 * MIB - PAGE, r1.pages);	/* reserved: not usable either */
	reseal(x);
	expect_checked(x, CHECK_E_OUTSIDE,
		       WANT("copy run 1 src 0x27ff000-0x%llx is outside usable RAM",
			    ULL(40 * MIB - PAGE + r1.pages * PAGE)));
	/* in the loader region, in the handoff page: one page each */
	x->w[5] = src_word(x->lb + PAGE, 1);
	reseal(x);
	expect_checked(x, CHECK_E_SELF,
		       WANT("copy run 1 src 0x%llx-0x%llx lies in the loader region 0x%llx-0x%llx",
			    ULL(x->lb + PAGE), ULL(x->lb + 2 * PAGE), ULL(x->lb), ULL(x->lb + BLOB_MEM)));
	x->w[5] = src_word(x->hp, 1);
	reseal(x);
	expect_checked(x, CHECK_E_SELF,
		       WANT("copy run 1 src 0x%llx-0x%llx lies in the handoff page 0x%llx-0x%llx",
			    ULL(x->hp), ULL(x->hp + PAGE), ULL(x->hp), ULL(x->hp + PAGE)));
	/* in the work area: refused by the first walk, before the loader writes there */
	x->w[5] = src_word(x->wb + PAGE, 1);
	reseal(x);
	expect_checked(x, CHECK_E_WORK,
		       WANT("work area 0x%llx-0x%llx meets a run: src 0x%llx dst 0x%llx pages 1",
			    ULL(x->wb), ULL(x->wb + x->ws), ULL(x->wb + PAGE), ULL(r1.dst)));
}

/* A loader that moved: sources must avoid where it runs. */
static void test_check_self_moved(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t self = 50 * MIB, p1 = x->r1.pages;

	x->w[5] = src_word(self, p1);
	reseal(x);
	assert_int_equal(cfx_check(x), 0);	/* the handoff's loader region: fine */
	free(x->work);
	check_setup(&x->c, &x->f->e, x->hp);
	x->c.self_base = self;
	assert_int_equal(check_steps(&x->c, &x->work), CHECK_E_SELF);
	assert_string_equal(x->c.msg,
			    WANT("copy run 1 src 0x%llx-0x%llx lies in the loader region 0x%llx-0x%llx",
				 ULL(self), ULL(self + p1 * PAGE), ULL(self), ULL(self + BLOB_MEM)));
	cfx_reset(x);
}

/*
 * check_places(): the loader's next places, as the loader and the stage's self
 * check decide them. The loader in the way (its region on a destination) gets a
 * free place; a 32-bit entry gets a trampoline page off it; with no free RAM
 * for either, one line says what was needed and the largest free block.
 */
static void test_check_places(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t move_to, tramp, top = 0;

	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(check_places(&x->c, &move_to, &tramp), 0);
	assert_int_equal(move_to, 0);			/* clear of destinations: stays */
	assert_int_equal(tramp, 0);			/* a 64-bit entry: none */

	/* the loader on the first destination page, a 32-bit entry */
	x->c.self_base = x->r0.dst;
	x->c.own[0] = (struct check_own){ x->r0.dst, x->r0.dst + BLOB_MEM, "loader region" };
	x->c.seen.h.entry.mode = BATON_MODE_PROT32;
	assert_int_equal(check_places(&x->c, &move_to, &tramp), 0);
	assert_true(move_to && tramp);
	assert_false(check_hits_dst(&x->c, move_to, BLOB_MEM));
	assert_false(check_hits_dst(&x->c, tramp, PAGE));
	assert_false(tramp >= move_to && tramp < move_to + BLOB_MEM);	/* off the new place */
	assert_true(x->c.own[0].base == x->r0.dst);			/* left as it was */

	/* no free RAM: the work area made to cover all of it */
	for (uint32_t i = 0; i < x->c.seen.h.mem_count; i++)
		if (x->c.seen.map[i].type == BATON_MEM_USABLE)
			top = x->c.seen.map[i].base + x->c.seen.map[i].size;
	x->c.own[2] = (struct check_own){ 0, top, "work area" };
	assert_int_equal(check_places(&x->c, &move_to, &tramp), CHECK_E_NOSPOT);
	assert_string_equal(x->c.msg, WANT("moving the loader needs %llu KiB of free RAM in one block; the largest free block is 0 KiB",
					   ULL(BLOB_MEM >> 10)));
	x->c.self_base = x->lb;
	x->c.own[0] = (struct check_own){ x->lb, x->lb + BLOB_MEM, "loader region" };
	assert_int_equal(check_places(&x->c, &move_to, &tramp), CHECK_E_NOSPOT);
	assert_string_equal(x->c.msg, "the 32-bit trampoline needs 4 KiB of free RAM in one block; the largest free block is 0 KiB");
	cfx_reset(x);
}

/* Found by fuzz_check: zero timing slots at an address no run places were refused
 * ("timing slots 0x... x0 are not inside a copied destination"), although the
 * loader writes nothing there. */
static void test_check_zero_timing_slots_refused(void **state)
{
	struct cfx *x = *state;

	x->h->timings_addr = 0xffff0000;
	x->h->timings_count = 0;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

static void test_check_entry(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t z0 = x->z0.dst, t = x->h->timings_addr, entry = x->h->entry.addr;
	uint64_t last = x->r1.dst + x->r1.pages * PAGE - 1;

	x->h->entry.addr = z0;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, WANT("entry 0x%llx is not inside any copied destination", ULL(z0)));
	x->h->entry.addr = MIB;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, "entry 0x100000 is not inside any copied destination");
	x->h->entry.addr = ~0ull;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, "entry 0xffffffffffffffff is not inside any copied destination");
	x->h->entry.addr = last;		/* the last byte copied: fine */
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
	x->h->entry.mode = 5;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, "entry mode 5 is not supported by this loader");
	x->h->entry.mode = 0;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, "entry mode 0 is not supported by this loader");
	/* paging off: nothing the 32-bit registers hold may lie above 4 GiB */
	x->h->entry.mode = BATON_MODE_PROT32;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	x->h->entry.regs[BATON_REG_RBP] = 1ull << 32;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, WANT("32-bit entry 0x%llx or a register 0x100000000 lies above 4 GiB",
					    ULL(entry)));
	x->h->entry.mode = BATON_MODE_PROT32;
	x->h->entry.addr = 5 * GIB;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, "32-bit entry 0x140000000 or a register 0x0 lies above 4 GiB");
	x->h->entry.regs[BATON_REG_RAX] = 1ull << 32;	/* 64-bit: any register */
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
	/* the timing slot running off the end of the boot info's run, or on zeros */
	x->h->timings_addr = pg_up(t) - 8;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, WANT("timing slots 0x%llx x10 are not inside a copied destination",
					    ULL(pg_up(t) - 8)));
	x->h->timings_addr = z0;
	reseal(x);
	expect_checked(x, CHECK_E_ENTRY, WANT("timing slots 0x%llx x10 are not inside a copied destination",
					    ULL(z0)));
	/* no timing slot at all is allowed */
	x->h->timings_addr = 0;
	reseal(x);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

/* ---- 4. check_find_spot ---- */

/* Lowest page-aligned x >= from with [x, x + need) on free pages, else 0. */
static uint64_t spot_ref(const struct hostenv *e, const uint8_t *busy, uint64_t need, uint64_t from)
{
	uint64_t np = pg_up(need) / PAGE, run = 0;

	for (uint64_t p = 0; p < e->npages; p++) {
		run = busy[p] || e->base + p * PAGE < from ? 0 : run + 1;
		if (run == np)
			return e->base + (p + 1 - np) * PAGE;
	}
	return 0;
}

static void busy_mark(const struct hostenv *e, uint8_t *busy, uint64_t a, uint64_t len)
{
	for (uint64_t p = pg_down(a); p < a + len; p += PAGE)
		if (p >= e->base && p < e->base + e->size)
			busy[pg_index(e, p)] = 1;
}

/*
 * Busy pages as the loader sees them, worked out here: not usable RAM; every
 * page the allocator handed out (sources, loader region, handoff page, list
 * pages); every destination, claims included (from the runs the walk
 * collected); the work area.
 */
static uint8_t *busy_map(const struct fx *f, const struct check *c)
{
	const struct hostenv *e = &f->e;
	const struct baton_handoff *h = &c->seen.h;
	uint8_t *busy = malloc(e->npages);

	assert_non_null(busy);
	memset(busy, 1, e->npages);
	for (uint64_t i = 0; i < e->nmem; i++)
		if (e->mem[i].type == BATON_MEM_USABLE)
			for (uint64_t a = e->mem[i].base; a < e->mem[i].base + e->mem[i].size; a += PAGE)
				if (hostenv_contains(e, a, PAGE))
					busy[pg_index(e, a)] = 0;
	for (uint64_t p = 0; p < e->npages; p++)
		if (e->state[p] != HOSTENV_FREE)
			busy[p] = 1;
	for (uint64_t i = 0; i < c->ncopy; i++)
		busy_mark(e, busy, c->copy[i].dst, c->copy[i].pages * PAGE);
	for (uint64_t i = 0; i < c->nzero; i++)
		busy_mark(e, busy, c->zero[i].dst, c->zero[i].pages * PAGE);
	for (uint64_t i = 0; i < c->nclaim; i++)
		busy_mark(e, busy, c->claim[i].dst, c->claim[i].pages * PAGE);
	busy_mark(e, busy, h->work_base, h->work_size);
	return busy;
}

static uint64_t largest_gap(const struct hostenv *e, const uint8_t *busy)
{
	uint64_t run = 0, best = 0;

	for (uint64_t p = 0; p < e->npages; p++) {
		run = busy[p] ? 0 : run + 1;
		if (run > best)
			best = run;
	}
	return best * PAGE;
}

static void test_find_spot(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct fx *f = fx_new(HOSTENV_SCATTERED, seed, 24 * MIB);
		struct baton_mem_range keep;
		struct check c;
		uint64_t needs[] = { PAGE, 3 * PAGE, 17 * PAGE, 64 * PAGE, 0 }, spot, gap, want;
		uint8_t *busy, *busy2, *work;
		char msg[256];

		fx_stage_ok(f);
		check_setup(&c, &f->e, f->res.handoff);
		assert_int_equal(check_steps(&c, &work), 0);
		busy = busy_map(f, &c);
		gap = largest_gap(&f->e, busy);
		needs[4] = gap;

		for (int i = 0; i < 5; i++) {
			assert_int_equal(check_find_spot(&c, needs[i], 0, "moving the loader", &spot), 0);
			assert_int_equal(spot, spot_ref(&f->e, busy, needs[i], 0));
			assert_false(check_hits_dst(&c, spot, needs[i]));
			/* from above that spot */
			want = spot_ref(&f->e, busy, needs[i], spot + PAGE);
			if (want) {
				uint64_t s2;

				assert_int_equal(check_find_spot(&c, needs[i], spot + PAGE, "x", &s2), 0);
				assert_int_equal(s2, want);
			}
			/* the outgoing side keeping that spot's first page: the next one */
			busy2 = malloc(f->e.npages);
			assert_non_null(busy2);
			memcpy(busy2, busy, f->e.npages);
			busy_mark(&f->e, busy2, spot, PAGE);
			want = spot_ref(&f->e, busy2, needs[i], 0);
			keep = (struct baton_mem_range){ spot, PAGE, BATON_MEM_USABLE, 0 };
			c.keep = &keep;
			c.nkeep = 1;
			if (want) {
				uint64_t s2;

				assert_int_equal(check_find_spot(&c, needs[i], 0, "x", &s2), 0);
				assert_int_equal(s2, want);
			}
			c.keep = NULL;
			c.nkeep = 0;
			free(busy2);
		}
		/* one page more than the largest gap: none */
		assert_int_equal(check_find_spot(&c, gap + PAGE, 0, "moving the loader", &spot),
				 CHECK_E_NOSPOT);
		snprintf(msg, sizeof(msg), "moving the loader needs %llu KiB of free RAM in one block; the largest free block is %llu KiB",
			 ULL((gap + PAGE) >> 10), ULL(gap >> 10));
		assert_string_equal(c.msg, msg);
		/* the arena kept whole: nothing free */
		keep = (struct baton_mem_range){ HOSTENV_PHYS_BASE, ARENA, BATON_MEM_USABLE, 0 };
		c.keep = &keep;
		c.nkeep = 1;
		assert_int_equal(check_find_spot(&c, PAGE, 0, "the 32-bit trampoline", &spot),
				 CHECK_E_NOSPOT);
		assert_string_equal(c.msg, "the 32-bit trampoline needs 4 KiB of free RAM in one block; the largest free block is 0 KiB");
		c.keep = NULL;
		c.nkeep = 0;
		assert_int_equal(check_find_spot(&c, 64 * MIB, 0, "moving the loader", &spot), CHECK_E_NOSPOT);
		snprintf(msg, sizeof(msg), "moving the loader needs 65536 KiB of free RAM in one block; the largest free block is %llu KiB",
			 ULL(gap >> 10));
		assert_string_equal(c.msg, msg);

		free(busy);
		free(work);
		fx_free(f);
	}
}

/*
 * The spot is 4 KiB aligned even when a range kept or where the search starts
 * is not. A kept range starting inside a page once made check_find_spot() loop
 * for ever (the search stopped short of it, on the page it had started from):
 * so did stage_build() with such a range where the work area would go.
 */
static void test_find_spot_unaligned_avoid(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 4, 24 * MIB);
	struct baton_mem_range keep;
	struct loader_sim ls;
	struct check c;
	uint64_t spot, first, from, work_base;
	uint8_t *work;

	(void)state;
	fx_stage_ok(f);
	work_base = f->res.work_base;
	check_setup(&c, &f->e, f->res.handoff);
	assert_int_equal(check_steps(&c, &work), 0);
	assert_int_equal(check_find_spot(&c, 4 * PAGE, 0, "x", &first), 0);
	keep = (struct baton_mem_range){ first + 0x10, 0x100, BATON_MEM_USABLE, 0 };
	c.keep = &keep;
	c.nkeep = 1;
	assert_int_equal(check_find_spot(&c, 4 * PAGE, 0, "x", &spot), 0);
	c.nkeep = 0;
	assert_int_equal(check_find_spot(&c, 4 * PAGE, first + 0x10, "x", &from), 0);
	free(work);
	fx_free(f);
	if (spot % PAGE || spot <= first)
		REGRESSION("core/check.c check_find_spot: spot 0x%llx is not 4 KiB aligned or meets a kept range", ULL(spot));
	if (from % PAGE || from <= first)
		REGRESSION("core/check.c check_find_spot: spot 0x%llx is not 4 KiB aligned or below where the search starts", ULL(from));

	/* the stage: the work area goes past the kept bytes, and the loader agrees */
	f = fx_new(HOSTENV_CONTIGUOUS, 4, 24 * MIB);
	keep = (struct baton_mem_range){ work_base + 0x10, 0x100, BATON_MEM_USABLE, 0 };
	f->rq.keep = &keep;
	f->rq.keep_count = 1;
	fx_stage_ok(f);
	assert_int_equal(f->res.work_base, work_base + PAGE);
	loader_run_ok(f, &ls);
	verify_world(f, &ls);
	ls_free(&ls);
	fx_free(f);
}
/* ---- 5. Linux bzImages ---- */

/*
 * A synthetic bzImage: boot protocol 2.15, relocatable, 64-bit entry, loadable
 * above 4 GiB; random setup bytes around the header fields written here (offsets
 * from boot.rst), a small random kernel, an init_size much larger than it. Placed
 * on the default map: the kernel at pref_address (16 MiB), the boot area right
 * after its init_size, the initrd at the top of RAM.
 */
#define BZ_KOFF		(5 * 512)		/* setup_sects 4 */
#define BZ_KLEN		(5 * PAGE + 0x123)	/* protected-mode kernel bytes */
#define BZ_INIT		(3 * MIB)		/* init_size */
#define BZ_PREF		(16 * MIB)		/* pref_address */
#define BZ_CMDLINE_MAX	0x7ff			/* cmdline_size */
#define RD_LEN		(7 * PAGE + 0x456)	/* initrd bytes */

static void put_le(uint8_t *p, uint64_t off, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, uint64_t off, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[off + i];
	return v;
}

static uint8_t *random_bytes(uint64_t len, uint64_t seed)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)(rnd(&seed) >> 56);
	return p;
}

/* f stages the bzImage `bz` (taken over). */
static void fx_set_linux(struct fx *f, uint8_t *bz, uint64_t len)
{
	free(f->bz);
	f->bz = bz;
	f->rq.image = bz;
	f->rq.image_len = len;
}

/* ... with an initrd of `len` random bytes. */
static void fx_set_initrd(struct fx *f, uint64_t len, uint64_t seed)
{
	free(f->initrd);
	f->initrd = random_bytes(len, seed ^ 0x1d);
	f->rq.initrd = f->initrd;
	f->rq.initrd_len = len;
}

static struct fx *lx_new(enum hostenv_strategy s, uint64_t seed)
{
	struct fx *f = fx_new(s, seed, 24 * MIB);
	uint8_t *p = random_bytes(BZ_KOFF + BZ_KLEN, seed ^ 0xb2);

	put_le(p, 0x1f1, 4, 1);			/* setup_sects */
	put_le(p, 0x1f4, BZ_KLEN / 16, 4);	/* syssize */
	put_le(p, 0x1fe, 0xaa55, 2);		/* boot_flag */
	put_le(p, 0x200, 0xeb, 1);		/* jump: header ends at 0x202 + 0x6a */
	put_le(p, 0x201, 0x6a, 1);
	memcpy(p + 0x202, "HdrS", 4);
	put_le(p, 0x206, 0x20f, 2);		/* version 2.15 */
	put_le(p, 0x210, 0, 1);			/* type_of_loader */
	put_le(p, 0x211, 0x81, 1);		/* loadflags: LOADED_HIGH | CAN_USE_HEAP */
	put_le(p, 0x214, 0x100000, 4);		/* code32_start */
	put_le(p, 0x218, 0, 8);			/* ramdisk_image, ramdisk_size */
	put_le(p, 0x228, 0, 4);			/* cmd_line_ptr */
	put_le(p, 0x22c, 0x7fffffff, 4);	/* initrd_addr_max */
	put_le(p, 0x230, 2 * MIB, 4);		/* kernel_alignment */
	put_le(p, 0x234, 1, 1);			/* relocatable_kernel */
	put_le(p, 0x235, 21, 1);		/* min_alignment */
	put_le(p, 0x236, 0x3, 2);		/* xloadflags: KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	put_le(p, 0x238, BZ_CMDLINE_MAX, 4);	/* cmdline_size */
	put_le(p, 0x250, 0, 8);			/* setup_data */
	put_le(p, 0x258, BZ_PREF, 8);		/* pref_address */
	put_le(p, 0x260, BZ_INIT, 4);		/* init_size */
	fx_set_linux(f, p, BZ_KOFF + BZ_KLEN);
	fx_set_initrd(f, RD_LEN, seed);
	return f;
}

/* Where the pieces must go, worked out here from the map. */
struct lx_want {
	uint32_t mode;			/* BATON_MODE_LONG64 or PROT32 */
	uint64_t kernel, boot, initrd;
};

static uint64_t lx_kernel_off(const struct fx *f)
{
	return (f->bz[0x1f1] + 1) * 512ull;
}

static uint64_t lx_kernel_size(const struct fx *f)	/* init_size, page rounded */
{
	return pg_up(get_le(f->bz, 0x260, 4));
}

static const char *lx_cmdline(const struct fx *f)
{
	return f->rq.cmdline ? f->rq.cmdline : "";
}

static uint64_t lx_boot_size(const struct fx *f)	/* zero page, command line */
{
	return PAGE + pg_up(strlen(lx_cmdline(f)) + 1);
}

static uint64_t lx_initrd_len(const struct fx *f)
{
	return f->rq.initrd ? f->rq.initrd_len : 0;
}

/* The default map: kernel at 16 MiB, boot area after its init_size, initrd at 80 MiB. */
static struct lx_want lx_want_default(const struct fx *f, uint32_t mode)
{
	return (struct lx_want){ mode, BZ_PREF, BZ_PREF + lx_kernel_size(f),
				 16 * MIB + ARENA - pg_up(lx_initrd_len(f)) };
}

/*
 * The boot area as boot.rst has a loader leave it: the image's setup header, the
 * fields a loader writes, the e820 table = the memory map, then the command line.
 */
static uint8_t *lx_boot_want(const struct fx *f, const struct lx_want *w)
{
	const char *cmd = lx_cmdline(f);
	uint64_t hdr_end = 0x202 + f->bz[0x201], rd = lx_initrd_len(f) ? w->initrd : 0;
	uint8_t *zp = calloc(1, lx_boot_size(f));

	assert_non_null(zp);
	memcpy(zp + 0x1f1, f->bz + 0x1f1, hdr_end - 0x1f1);
	zp[0x210] = 0xff;				/* type_of_loader: undefined */
	zp[0x211] &= ~0x80;				/* loadflags: no CAN_USE_HEAP */
	put_le(zp, 0x214, w->kernel, 4);		/* code32_start */
	put_le(zp, 0x218, rd, 4);			/* ramdisk_image */
	put_le(zp, 0x0c0, rd >> 32, 4);			/* ext_ramdisk_image */
	put_le(zp, 0x21c, lx_initrd_len(f), 4);		/* ramdisk_size */
	put_le(zp, 0x0c4, lx_initrd_len(f) >> 32, 4);	/* ext_ramdisk_size */
	put_le(zp, 0x228, w->boot + PAGE, 4);		/* cmd_line_ptr */
	put_le(zp, 0x0c8, (w->boot + PAGE) >> 32, 4);	/* ext_cmd_line_ptr */
	put_le(zp, 0x1e8, f->rq.mem_count, 1);		/* e820_entries */
	for (uint64_t i = 0; i < f->rq.mem_count; i++) {
		const struct baton_mem_range *m = &f->rq.mem[i];

		put_le(zp, 0x2d0 + 20 * i, m->base, 8);
		put_le(zp, 0x2d0 + 20 * i + 8, m->size, 8);
		put_le(zp, 0x2d0 + 20 * i + 16, m->type == BATON_MEM_USABLE ? 1 : 2, 4);
	}
	memcpy(zp + PAGE, cmd, strlen(cmd));
	return zp;
}

/* The destinations, by address: kernel with its init_size, boot area, initrd. */
static int lx_dsts(const struct fx *f, const struct lx_want *w, struct drange *d)
{
	int n = 0;

	d[n++] = (struct drange){ w->kernel, w->kernel + lx_kernel_size(f) };
	d[n++] = (struct drange){ w->boot, w->boot + lx_boot_size(f) };
	if (lx_initrd_len(f))
		d[n++] = (struct drange){ w->initrd, w->initrd + pg_up(lx_initrd_len(f)) };
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && d[j - 1].base > d[j].base; j--) {
			struct drange t = d[j];

			d[j] = d[j - 1];
			d[j - 1] = t;
		}
	return n;
}

/*
 * After the loader, a Linux world: handoff, kernel, initrd, zero page, the rest.
 * The kernel's pages past its file bytes are claimed: the loader leaves them as
 * it found them (verify_machine compares every page it did not write).
 */
static void verify_linux(struct fx *f, const struct loader_sim *ls, const struct lx_want *w)
{
	const struct hostenv *e = &f->e;
	const struct baton_handoff *h = ls->h;
	const char *cmd = lx_cmdline(f);
	uint64_t koff = lx_kernel_off(f), klen = f->rq.image_len - koff, ksize = lx_kernel_size(f);
	uint64_t rd_len = lx_initrd_len(f), bsize = lx_boot_size(f);
	uint64_t entry = w->kernel + (w->mode == BATON_MODE_LONG64 ? 0x200 : 0);
	const uint8_t *zp = hostenv_ptr(e, w->boot, PAGE);
	uint64_t cmd_pa = get_le(zp, 0x228, 4) | get_le(zp, 0x0c8, 4) << 32;
	struct drange dst[3];
	int ndst = lx_dsts(f, w, dst);
	uint8_t *want;

	/* the entry: mode, address, RSI = the zero page, the rest zero; no baton
	 * timing slots */
	assert_int_equal(f->res.mode, w->mode);
	assert_int_equal(h->entry.mode, w->mode);
	assert_int_equal(f->res.image_entry, entry);
	assert_int_equal(h->entry.addr, entry);
	assert_regs(&h->entry, BATON_REG_RSI, w->boot);
	assert_int_equal(f->res.bootinfo, w->boot);
	assert_int_equal(f->res.initrd, rd_len ? w->initrd : 0);
	assert_int_equal(h->timings_addr, 0);
	assert_int_equal(h->timings_count, 0);
	assert_int_equal(ls->tramp != 0, w->mode == BATON_MODE_PROT32);
	/* placed: boot area, the kernel's pages with bytes, initrd (one source
	 * each); claimed: the rest of init_size */
	assert_int_equal(f->res.image_pages, (bsize + pg_up(klen) + pg_up(rd_len)) / PAGE);
	assert_int_equal(f->res.claim_pages, (ksize - pg_up(klen)) / PAGE);
	assert_int_equal(f->res.claim_runs, 1);
	assert_int_equal(f->e.calls_by[STAGE_FOR_SOURCE], f->res.image_pages);

	/* the kernel's bytes at the load address, zeros to its last page's end */
	assert_bytes(e, w->kernel, f->bz + koff, klen, "kernel");
	assert_filled(e, w->kernel + klen, pg_up(klen) - klen, 0, "kernel's last page");
	for (uint64_t a = w->kernel + pg_up(klen); a < w->kernel + ksize; a += PAGE)
		assert_int_equal(ls->dst_page[pg_index(e, a)], LS_CLAIM);
	/* the initrd, zeros to its page end */
	if (rd_len) {
		assert_bytes(e, w->initrd, f->initrd, rd_len, "initrd");
		assert_filled(e, w->initrd + rd_len, pg_up(rd_len) - rd_len, 0, "initrd tail");
	}
	/* the zero page's pointers, followed */
	assert_int_equal(cmd_pa, w->boot + PAGE);
	assert_string_equal(hostenv_ptr(e, cmd_pa, strlen(cmd) + 1), cmd);
	assert_int_equal(get_le(zp, 0x218, 4) | get_le(zp, 0x0c0, 4) << 32, f->res.initrd);
	assert_int_equal(get_le(zp, 0x21c, 4) | get_le(zp, 0x0c4, 4) << 32, rd_len);
	assert_int_equal(get_le(zp, 0x214, 4), w->kernel);	/* code32_start */
	assert_int_equal(zp[0x1e8], e->nmem);			/* e820_entries */
	/* and every byte of the boot area */
	want = lx_boot_want(f, w);
	assert_bytes(e, w->boot, want, bsize, "boot area");
	free(want);
	verify_machine(f, ls, dst, ndst);
}

/* Stage f, run the loader over it, check the world against w. */
static void lx_run(struct fx *f, const struct lx_want *w)
{
	struct loader_sim ls;

	fx_stage_ok(f);
	loader_run_ok(f, &ls);
	if (f->e.strategy == HOSTENV_WORST)
		assert_true(f->res.plan.cycles > 0);
	if (f->e.strategy == HOSTENV_LOADER_IN_DST)
		assert_true(ls.moved);
	if (f->e.strategy == HOSTENV_FRAGMENTED) {
		/* one source page a copy run and a SRC word (8 bytes a page), one
		 * CLAIM word, a DST word where a segment does not start where the
		 * one before ended */
		struct drange d[3];
		int n = lx_dsts(f, w, d);
		uint64_t jumps = 1;

		for (int i = 1; i < n; i++)
			jumps += d[i].base != d[i - 1].end;
		assert_apart(f);
		assert_int_equal(ls.c.ncopy, f->res.image_pages);
		assert_int_equal(f->res.list_words, f->res.image_pages + 1 + jumps);
	}
	verify_linux(f, &ls, w);
	ls_free(&ls);
}

/*
 * 64-bit entry, per strategy; worst and loader-in-dst aim at the kernel's
 * init_size: sources on its (mostly claimed) pages, or the loader there.
 */
static void test_linux64_e2e(void **state)
{
	(void)state;
	for (int s = 0; s < HOSTENV_STRATEGIES; s++) {
		struct fx *f = lx_new(s, 40 + s);
		struct lx_want w = lx_want_default(f, BATON_MODE_LONG64);

		hostenv_set_dsts(&f->e, w.kernel, w.kernel + BZ_INIT);
		lx_run(f, &w);
		fx_free(f);
	}
}

/* No initrd, no command line: two segments, an empty string at cmd_line_ptr. */
static void test_linux64_e2e_bare(void **state)
{
	struct fx *f = lx_new(HOSTENV_SCATTERED, 47);
	struct lx_want w;

	(void)state;
	f->rq.initrd = NULL;
	f->rq.cmdline = NULL;
	w = lx_want_default(f, BATON_MODE_LONG64);
	lx_run(f, &w);
	fx_free(f);
}

/*
 * 32-bit entry on a machine with 1 GiB of RAM above 4 GiB (outside the arena:
 * nothing may land there). The 64-bit entry would put the initrd at its top.
 * The loader's trampoline page is found below 4 GiB.
 */
static void test_linux32_e2e(void **state)
{
	struct fx *f = lx_new(HOSTENV_SCATTERED, 48);
	struct fmt_image img;
	struct lx_want w;
	char msg[200];

	(void)state;
	f->e.mem[f->e.nmem++] = (struct baton_mem_range){ .base = 4 * GIB, .size = GIB,
							  .type = BATON_MEM_USABLE };
	f->rq.mem_count = f->e.nmem;
	assert_int_equal(stage_image_layout(&f->rq, &img, msg, sizeof(msg)), 0);
	assert_int_equal(img.seg[2].paddr, 5 * GIB - pg_up(RD_LEN));

	f->rq.linux_entry = STAGE_LINUX_32;
	w = lx_want_default(f, BATON_MODE_PROT32);
	lx_run(f, &w);
	assert_true(f->res.image_entry < 4 * GIB && f->res.bootinfo < 4 * GIB);
	assert_true(f->res.initrd + RD_LEN <= 4 * GIB);
	fx_free(f);
}

/*
 * The kernel mk/vmlinuz.sh names (the test fails without one): on one flat
 * 128 MiB range its whole init_size fits at its pref_address, read from its own
 * header; worst-case sources inside it.
 */
static void test_linux_real_kernel(void **state)
{
	uint8_t *p;
	uint64_t len = 0, pref, top = 16 * MIB + 128 * MIB;
	struct lx_want w;
	struct fx *f;
	char path[256];

	(void)state;
	p = host_read_kernel(path, sizeof(path), &len);
	f = fx_new_sized(128 * MIB, HOSTENV_WORST, 49, 24 * MIB);
	/* one usable range: the arena, unpainted */
	memset(f->e.arena, ARENA_FILL, f->e.size);
	memset(f->e.state, HOSTENV_FREE, f->e.npages);
	f->e.nmem = 1;
	f->e.mem[0] = (struct baton_mem_range){ .base = 16 * MIB, .size = 128 * MIB,
						.type = BATON_MEM_USABLE };
	f->rq.mem_count = 1;
	fx_set_linux(f, p, len);
	fx_set_initrd(f, 300 * 1024 + 17, 49);
	f->rq.cmdline = "console=ttyS0,115200 root=/dev/vda ro quiet";

	pref = get_le(p, 0x258, 8);
	w = (struct lx_want){ BATON_MODE_LONG64, pref, 0, top - pg_up(f->rq.initrd_len) };
	w.boot = pref >= 16 * MIB + lx_boot_size(f) ? 16 * MIB : pref + lx_kernel_size(f);
	hostenv_set_dsts(&f->e, pref, pref + lx_kernel_size(f));
	lx_run(f, &w);
	fx_free(f);
}
static void test_linux_reject(void **state)
{
	static const uint8_t extra[64];
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 1, 24 * MIB);
	char *cmd = malloc(BZ_CMDLINE_MAX + 2);
	struct fmt_image img;
	char msg[200];

	(void)state;
	/* an initrd or DTB with an ELF */
	f->rq.initrd = extra;
	f->rq.initrd_len = sizeof(extra);
	expect_reject_layout(f, STAGE_E_INITRD,
			    "image: an initrd or DTB was given, but only a Linux bzImage takes one");
	f->rq.initrd = NULL;
	f->rq.dtb = extra;
	f->rq.dtb_len = sizeof(extra);
	expect_reject_layout(f, STAGE_E_INITRD,
			    "image: an initrd or DTB was given, but only a Linux bzImage takes one");
	fx_free(f);

	f = lx_new(HOSTENV_CONTIGUOUS, 2);
	/* boot protocol 2.08 */
	put_le(f->bz, 0x206, 0x208, 2);
	expect_reject_layout(f, FMT_E_BZ_VERSION,
			    "image: bzImage: boot protocol 2.08 is too old (baton needs 2.10 or later)");
	put_le(f->bz, 0x206, 0x20f, 2);
	/* a command line one byte longer than cmdline_size; cmdline_size itself fits */
	memset(cmd, 'c', BZ_CMDLINE_MAX + 1);
	cmd[BZ_CMDLINE_MAX + 1] = 0;
	f->rq.cmdline = cmd;
	expect_reject_layout(f, FMT_E_BZ_CMDLINE,
			    "image: bzImage: command line of 2048 bytes is longer than cmdline_size 2047");
	cmd[BZ_CMDLINE_MAX] = 0;
	assert_int_equal(stage_image_layout(&f->rq, &img, msg, sizeof(msg)), 0);
	f->rq.cmdline = f->cmdline;
	/* an initrd larger than any usable range (24 MiB at most) */
	fx_set_initrd(f, 25 * MIB, 2);
	expect_reject_layout(f, FMT_E_BZ_INITRD_PLACE,
			    "image: bzImage: initrd of 25600 KiB fits nowhere below the top of RAM");
	/* 32-bit entry: below initrd_addr_max (24 MiB), where kernel and boot area are */
	fx_set_initrd(f, 8 * MIB, 2);
	put_le(f->bz, 0x22c, 24 * MIB - 1, 4);
	f->rq.linux_entry = STAGE_LINUX_32;
	expect_reject_layout(f, FMT_E_BZ_INITRD_PLACE,
			    "image: bzImage: initrd of 8192 KiB fits nowhere below initrd_addr_max 0x17fffff");
	free(cmd);
	fx_free(f);
}

/*
 * syssize rounded up, as Linux's build tool writes it: the file ends 13 bytes
 * short of syssize * 16 (BZ_KLEN is 0x5123). Staged, the kernel's last page
 * holds the file's bytes and zeros after them (verify_linux reads every byte of
 * it), whatever the arena held there before; worst-case
 * sources put other pages' bytes on that page first. A whole paragraph more
 * is refused, with nothing allocated.
 */
static void test_linux_syssize_short(void **state)
{
	struct fx *f = lx_new(HOSTENV_WORST, 51);
	struct lx_want w = lx_want_default(f, BATON_MODE_LONG64);

	(void)state;
	put_le(f->bz, 0x1f4, (BZ_KLEN + 15) / 16, 4);
	hostenv_set_dsts(&f->e, w.kernel, w.kernel + BZ_INIT);
	lx_run(f, &w);
	fx_free(f);

	f = lx_new(HOSTENV_CONTIGUOUS, 52);
	put_le(f->bz, 0x1f4, (BZ_KLEN + 15) / 16 + 1, 4);	/* 29 bytes short */
	expect_reject_layout(f, FMT_E_BZ_TRUNCATED,
			    "image: bzImage: syssize 0x514 (0x5140 bytes) is longer than the 0x5123 bytes after the setup sectors: truncated");
	fx_free(f);
}

/*
 * A bzImage with one signature damaged is still meant to be a bzImage: it goes to
 * the bzImage parser, which names the field and its value, with or without an
 * initrd (before, it went down the ELF path: "not ELF32/ELF64", or "an initrd or
 * DTB was given, but only a Linux bzImage takes one").
 */
static void test_linux_damaged_signature(void **state)
{
	static const char hdrs[] =
		"image: bzImage: header magic 0x5a726448 at 0x202 is not \"HdrS\" (0x53726448)";
	static const char flag[] = "image: bzImage: boot_flag 0xaa56 at 0x1fe is not 0xaa55";
	struct fx *f = lx_new(HOSTENV_SCATTERED, 53);

	(void)state;
	memcpy(f->bz + 0x202, "HdrZ", 4);
	expect_reject_layout(f, FMT_E_BZ_NOT_BZIMAGE, hdrs);
	f->rq.initrd = NULL;
	expect_reject_layout(f, FMT_E_BZ_NOT_BZIMAGE, hdrs);

	memcpy(f->bz + 0x202, "HdrS", 4);
	put_le(f->bz, 0x1fe, 0xaa56, 2);
	expect_reject_layout(f, FMT_E_BZ_NOT_BZIMAGE, flag);
	f->rq.initrd = f->initrd;
	expect_reject_layout(f, FMT_E_BZ_NOT_BZIMAGE, flag);
	fx_free(f);
}


/* Found by the QEMU fault matrix (fault-work-huge): a handoff asking for 2^36 plan
 * pieces got a work area that wrapped to 0 bytes ("work area of 0 bytes is too
 * small for N runs") instead of being refused as larger than any memory. */
static void test_layout_huge_plan_wrapped_to_zero(void **state)
{
	struct baton_mem_range mem = { 0, 512 * MIB, BATON_MEM_USABLE, 0 };
	struct baton_handoff h = { .mem_count = 1, .copy_runs = 2000, .zero_runs = 2,
				   .chain_pages = 8 };
	struct work_layout wl;
	(void)state;

	h.plan_pieces = 1ull << 36;
	assert_int_equal(work_layout(&h, &mem, &wl), -1);
	h.plan_pieces = 1ull << 40;
	assert_int_equal(work_layout(&h, &mem, &wl), -1);
	h.plan_pieces = 2000;
	assert_int_equal(work_layout(&h, &mem, &wl), 0);
	assert_true(wl.mem_bytes >= plan_work_size(2000, 2000) && wl.size > wl.mem_bytes);
	/* run counts past any machine: refused, not wrapped */
	h.copy_runs = 1ull << 60;
	assert_int_equal(work_layout(&h, &mem, &wl), -1);
	h.copy_runs = 2000;
	h.chain_pages = 1ull << 60;
	assert_int_equal(work_layout(&h, &mem, &wl), -1);
}

/* Every error code any component returns has its own message in stage_strerror(),
 * the one table an outgoing side prints from: none falls through to the default. */
static void test_strerror_every_code(void **state)
{
	static const int codes[] = {
		STAGE_E_NOMEM, STAGE_E_OUTSIDE_RAM, STAGE_E_NEVER_TOUCH, STAGE_E_TOO_BIG,
		STAGE_E_BLOB, STAGE_E_MEMMAP, STAGE_E_CMDLINE, STAGE_E_FDT, STAGE_E_ALLOC_BAD,
		STAGE_E_SELF_CHECK, STAGE_E_INITRD, STAGE_E_MULTIBOOT, STAGE_E_NO_WORK,
		PLAN_E_NOSPACE, PLAN_E_INPUT,
		FMT_E_UNSUPPORTED, FMT_E_TRUNCATED, FMT_E_OVERLAP, FMT_E_BZ_TRUNCATED,
		FMT_E_BZ_BOOT_PLACE,
	};
	const char *seen[sizeof(codes) / sizeof(codes[0])];
	(void)state;

	assert_string_equal(stage_strerror(0), "success");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		seen[i] = stage_strerror(codes[i]);
		assert_non_null(strstr(seen[i], " "));
		assert_null(strstr(seen[i], "unknown"));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(stage_strerror(-399), "unknown error");
}

/* check_hash is core/verify.c's XXH64 chaining step: the library's, for every length to 300
 * bytes (every tail of the 32-byte stripes), at every alignment, under many seeds,
 * and over a page. The stage and the loader share check_hash, so only this test
 * holds it to the spec. */
/*
 * stage_rehash (baton.efi's edit after ExitBootServices): a byte of a source
 * page changed after sealing fails the loader's verify step; the same edit
 * followed by stage_rehash passes it, every step before it included.
 */
static uint8_t *first_src_byte(struct fx *f, uint64_t **hash_word)
{
	uint64_t *w = hostenv_ptr(&f->e, fx_handoff(f)->chain, PAGE);
	uint64_t k = BATON_LIST_FIRST;

	while (BATON_L_KIND(w[k]) != BATON_L_SRC)
		k++;
	*hash_word = &w[1];
	return (uint8_t *)hostenv_ptr(&f->e, BATON_L_ADDR(w[k]), PAGE) + 100;
}

static void test_rehash_after_edit(void **state)
{
	struct loader_sim ls;
	uint64_t *hw, before;
	(void)state;

	for (int rehash = 0; rehash < 2; rehash++) {
		struct fx *f = fx_new(HOSTENV_SCATTERED, 71, 24 * MIB);

		fx_stage_ok(f);
		uint8_t *b = first_src_byte(f, &hw);

		before = *hw;
		*b ^= 0x5a;
		if (rehash) {
			stage_rehash(fx_handoff(f), &f->e.env);
			assert_true(*hw != before);
			assert_int_equal(loader_run(f, &ls), 0);
		} else {
			assert_int_not_equal(loader_run(f, &ls), 0);
		}
		ls_free(&ls);
		fx_free(f);
	}
}

static void test_hash_is_xxh64(void **state)
{
	static uint8_t buf[4096 + 8];
	uint64_t seed = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 7));
	for (size_t len = 0; len <= 300; len++)
		for (size_t at = 0; at < 8; at++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			assert_true(check_hash(seed, buf + at, len) == XXH64(buf + at, len, seed));
			assert_true(check_hash(0, buf + at, len) == XXH64(buf + at, len, 0));
		}
	assert_true(check_hash(~0ull, buf, 4096) == XXH64(buf, 4096, ~0ull));
}

static void test_linux_layout(void **state)
{
	struct fx *f = lx_new(HOSTENV_REVERSE, 50);
	struct lx_want w = lx_want_default(f, BATON_MODE_LONG64);
	uint64_t bsize = lx_boot_size(f);
	const struct fmt_segment want[3] = {	/* by address, as every fmt_image */
		{ .paddr = w.kernel, .filesz = BZ_KLEN, .memsz = BZ_INIT, .source = FMT_SRC_IMAGE,
		  .offset = BZ_KOFF },
		{ .paddr = w.boot, .filesz = bsize, .memsz = bsize, .source = FMT_SRC_BOOT },
		{ .paddr = w.initrd, .filesz = RD_LEN, .memsz = pg_up(RD_LEN),
		  .source = FMT_SRC_INITRD },
	};
	struct fmt_image img;
	struct check c;
	uint8_t *page, *work;
	char msg[200];

	(void)state;
	assert_int_equal(stage_image_layout(&f->rq, &img, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(img.kind, FMT_KIND_BZIMAGE);
	assert_int_equal(img.entry, w.kernel + 0x200);
	assert_int_equal(img.nseg, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(img.seg[i].paddr, want[i].paddr);
		assert_int_equal(img.seg[i].filesz, want[i].filesz);
		assert_int_equal(img.seg[i].memsz, want[i].memsz);
		assert_int_equal(img.seg[i].source, want[i].source);
		assert_int_equal(img.seg[i].offset, want[i].offset);
	}

	/* the handoff's destinations, placed or claimed, as the loader collects
	 * them: exactly those segments' pages, each once */
	fx_stage_ok(f);
	check_setup(&c, &f->e, f->res.handoff);
	assert_int_equal(check_steps(&c, &work), 0);
	page = calloc(1, f->e.npages);
	assert_non_null(page);
	for (uint64_t i = 0; i < c.ncopy; i++)
		for (uint64_t k = 0; k < c.copy[i].pages; k++)
			page[pg_index(&f->e, c.copy[i].dst) + k]++;
	for (uint64_t i = 0; i < c.nzero; i++)
		for (uint64_t k = 0; k < c.zero[i].pages; k++)
			page[pg_index(&f->e, c.zero[i].dst) + k]++;
	for (uint64_t i = 0; i < c.nclaim; i++)
		for (uint64_t k = 0; k < c.claim[i].pages; k++)
			page[pg_index(&f->e, c.claim[i].dst) + k]++;
	for (int i = 0; i < 3; i++)
		for (uint64_t a = want[i].paddr; a < want[i].paddr + want[i].memsz; a += PAGE)
			page[pg_index(&f->e, a)] += 10;
	for (uint64_t p = 0; p < f->e.npages; p++)
		if (page[p] != 0 && page[p] != 11)
			fail_msg("page 0x%llx: %d destinations, %s a segment", ULL(f->e.base + p * PAGE),
				 page[p] % 10, page[p] >= 10 ? "in" : "not in");
	free(page);
	free(work);
	assert_int_equal(f->res.bootinfo, img.seg[1].paddr);
	assert_int_equal(f->res.image_entry, img.entry);
	assert_int_equal(f->res.initrd, img.seg[2].paddr);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_huge_plan_wrapped_to_zero),
		cmocka_unit_test(test_strerror_every_code),
		cmocka_unit_test(test_hash_is_xxh64),
		cmocka_unit_test(test_rehash_after_edit),
		cmocka_unit_test(test_e2e_contiguous),
		cmocka_unit_test(test_e2e_scattered),
		cmocka_unit_test(test_e2e_reverse),
		cmocka_unit_test(test_e2e_worst),
		cmocka_unit_test(test_e2e_loader_in_dst),
		cmocka_unit_test(test_e2e_fragmented),
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_runs_refused),
		cmocka_unit_test(test_e2e_longest_cmdline),
		cmocka_unit_test(test_e2e_no_cmdline),
		cmocka_unit_test(test_e2e_changed_source_fails_verify),
		cmocka_unit_test(test_e2e_dirty_zero_run_fails_verify),
		cmocka_unit_test(test_e2e_timings_across_pages),
		cmocka_unit_test(test_reject_blob),
		cmocka_unit_test(test_reject_memmap),
		cmocka_unit_test(test_reject_cmdline),
		cmocka_unit_test(test_reject_image),
		cmocka_unit_test(test_reject_multiboot),
		cmocka_unit_test(test_reject_placement),
		cmocka_unit_test(test_reject_allocator),
		cmocka_unit_test(test_reject_allocator_unaligned),
		cmocka_unit_test(test_reject_allocator_reused),
		cmocka_unit_test(test_reject_allocator_list_in_dst),
		cmocka_unit_test(test_reject_memmap_overlap),
		cmocka_unit_test(test_stage_touching_usable_ranges),
		cmocka_unit_test(test_stage_reset_fields),
		cmocka_unit_test(test_reject_no_work_area),
		cmocka_unit_test_setup_teardown(test_check_valid, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_places, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_header, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_reserved_zero_fields, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_unchanged_after_park, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_chain, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_list_page_placed_or_read, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_entries, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_chain_cursor_carried, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_counts, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_work_area, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_memmap, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_dst_ranges, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_overlaps, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_self_moved, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_sources, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_entry, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_zero_timing_slots_refused, cfx_setup, cfx_teardown),
		cmocka_unit_test(test_find_spot),
		cmocka_unit_test(test_find_spot_unaligned_avoid),
		cmocka_unit_test(test_linux64_e2e),
		cmocka_unit_test(test_linux64_e2e_bare),
		cmocka_unit_test(test_linux32_e2e),
		cmocka_unit_test(test_linux_syssize_short),
		cmocka_unit_test(test_linux_real_kernel),
		cmocka_unit_test(test_linux_reject),
		cmocka_unit_test(test_linux_damaged_signature),
		cmocka_unit_test(test_linux_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
