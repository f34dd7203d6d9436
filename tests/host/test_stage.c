/* SPDX-License-Identifier: MIT */
/*
 * stage/ and loader/check.c on the host, against a simulated machine
 * (tests/host/hostenv.c): the loader core runs as a host program.
 *
 *  1. End to end, per allocation strategy and seed: an ELF64 image built here is
 *     staged, then this program acts as the loader - check_header, check_runs, the
 *     move out of the destinations' way, plan_execute over the arena - and every
 *     destination byte, the boot info and every run's hash are compared with what
 *     the ELF says. Nothing else in the arena may change.
 *  2. stage_build() rejections, each with its exact one-line message; bad inputs are
 *     refused before the allocator is called.
 *  3. check_header() / check_runs() on forged handoffs: each CHECK_E_* with its line.
 *  4. check_find_spot() against a brute-force search over a page bitmap.
 *  5. Linux bzImages (a synthetic 2.15 one, and the kernel mk/vmlinuz.sh names:
 *     linux-image-amd64's default flavour) with an initrd, 64- and 32-bit entry, end to end as in 1: the
 *     kernel and its zero-filled init_size, the initrd, the zero page byte for
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

#include <baton/blob.h>
#include <baton/handoff.h>
#include "fmt/fmt.h"
#include "fmt/multiboot.h"
#include "loader/check.h"
#include "loader/crc32.h"
#include "loader/layout.h"
#include "loader/plan.h"
#include "stage/stage.h"
#include "stage/stage_int.h"
#include "tests/host/hostenv.h"
#include "tests/host/hostfile.h"
#include "tests/host/mbcraft.h"

#define PAGE		BATON_PAGE_SIZE
#define MIB		(1ull << 20)
#define ARENA		(64 * MIB)	/* physical [16 MiB, 80 MiB) */
#define ARENA_FILL	HOSTENV_FILL	/* every arena byte before staging */
#define RESV_FILL	0x5a		/* the reserved range */
#define NEVER_FILL	0xa5		/* the never-touch range */
#define BLOB_LEN	4096
#define BLOB_MEM	8192
#define BLOB_ENTRY	0x40
#define CON_PORT	0x3f8
#define EXIT_PORT	0xf4
#define TSC_KHZ		2400000
#define VIRT_OFF	0xffffffff00000000ull	/* p_vaddr = p_paddr + VIRT_OFF */
#define ENTRY_OFF	0x10			/* entry: seg 0 start + ENTRY_OFF */

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

static int fx_stage(struct fx *f)
{
	int rc = stage_build(&f->rq, &f->e.env, &f->res);

	assert_int_equal(f->e.tmp_live, 0);	/* every scratch block given back */
	return rc;
}

static void fx_stage_ok(struct fx *f)
{
	int rc = fx_stage(f);

	if (rc)
		fail_msg("stage_build: %d: %s", rc, f->res.msg);
}

/* ---- acting as the loader ---- */

/*
 * The loader's checks on a handoff: a struct check with the loader region the
 * handoff names, check_header(), then (if it passed) check_runs() with an exact
 * work area, malloc'ed into *work for the caller to free (NULL if never made).
 */
static int check_handoff(const struct baton_handoff *h, struct check *c, void **work)
{
	int rc;

	memset(c, 0, sizeof(*c));
	*work = NULL;
	c->h = h;
	c->self_base = h->loader_base;
	c->self_size = h->loader_size;
	rc = check_header(c);
	if (rc)
		return rc;
	c->work_bytes = check_work_size(h->copy_count, h->zero_count, h->mem_count);
	*work = malloc(c->work_bytes);
	c->work = *work;
	return check_runs(c);
}

struct loader_sim {
	struct baton_handoff *h;
	uint64_t h_pa, self_base, self_size;
	int moved;
	struct plan_stats st;
	uint64_t writes_bad;
	uint8_t *dst_page;	/* per arena page: 1 = some run's destination */
};

static void sim_check(struct loader_sim *ls, struct check *c, void *work, uint64_t work_bytes)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->h = ls->h;
	c->self_base = ls->self_base;
	c->self_size = ls->self_size;
	c->work = work;
	c->work_bytes = work_bytes;
	rc = check_header(c);
	if (rc)
		fail_msg("check_header: %d: %s", rc, c->msg);
	rc = check_runs(c);
	if (rc)
		fail_msg("check_runs: %d: %s", rc, c->msg);
}

/* The loader's steps 1-6 (loader/main.c), with the arena as memory. */
static void loader_run(struct hostenv *e, const struct stage_result *res, struct loader_sim *ls)
{
	struct work_layout wl;
	struct check c;
	struct plan_mem mem;
	struct hostenv_plan hp;
	struct plan_stats dry;
	uint64_t hsize;
	void *work;
	int rc;

	memset(ls, 0, sizeof(*ls));
	ls->h_pa = res->handoff;
	ls->h = hostenv_ptr(e, res->handoff, sizeof(*ls->h));
	ls->self_base = ls->h->loader_base;
	ls->self_size = ls->h->loader_size;
	assert_int_equal(ls->self_base, res->loader_base);
	assert_int_equal(ls->self_size, res->loader_size);

	/* the region the stage sized must hold what the loader carves from it */
	assert_int_equal(work_layout(handoff_mem(ls->h), ls->h->mem_count, ls->h->copy_count,
				     ls->h->zero_count, ls->h->plan_pieces, &wl), 0);
	assert_int_equal(ls->h->work_off, BLOB_MEM);
	assert_true(ls->h->loader_size - ls->h->work_off >= wl.size);
	work = malloc(wl.mem_bytes);
	assert_non_null(work);

	sim_check(ls, &c, work, wl.mem_bytes);
	hsize = pg_up(ls->h->total_size);
	if (check_hits_dst(&c, ls->self_base, ls->self_size) ||
	    check_hits_dst(&c, ls->h_pa, hsize)) {
		uint64_t spot;

		rc = check_find_spot(&c, ls->self_size + hsize, ls->h_pa, hsize, &spot);
		if (rc)
			fail_msg("check_find_spot: %d: %s", rc, c.msg);
		assert_int_equal(spot % PAGE, 0);
		memcpy(hostenv_ptr(e, spot, ls->self_size),
		       hostenv_ptr(e, ls->self_base, ls->self_size), ls->self_size);
		memcpy(hostenv_ptr(e, spot + ls->self_size, ls->h->total_size), ls->h,
		       ls->h->total_size);
		ls->self_base = spot;
		ls->h_pa = spot + ls->self_size;
		ls->h = hostenv_ptr(e, ls->h_pa, sizeof(*ls->h));
		ls->moved = 1;
		/* resumed: header and runs again, now clear of every destination */
		sim_check(ls, &c, work, wl.mem_bytes);
		assert_false(check_hits_dst(&c, ls->self_base, ls->self_size));
		assert_false(check_hits_dst(&c, ls->h_pa, hsize));
	}

	/* only destinations may be written, never the loader or its handoff */
	ls->dst_page = calloc(1, e->npages);
	assert_non_null(ls->dst_page);
	for (uint64_t i = 0; i < ls->h->copy_count; i++)
		for (uint64_t k = 0; k < handoff_copy(ls->h)[i].pages; k++)
			ls->dst_page[(handoff_copy(ls->h)[i].dst - e->base) / PAGE + k] = 1;
	for (uint64_t i = 0; i < ls->h->zero_count; i++)
		for (uint64_t k = 0; k < handoff_zero(ls->h)[i].pages; k++)
			ls->dst_page[(handoff_zero(ls->h)[i].dst - e->base) / PAGE + k] = 1;
	for (uint64_t a = ls->self_base; a < ls->self_base + ls->self_size; a += PAGE)
		assert_false(ls->dst_page[(a - e->base) / PAGE]);
	for (uint64_t a = ls->h_pa; a < ls->h_pa + hsize; a += PAGE)
		assert_false(ls->dst_page[(a - e->base) / PAGE]);

	rc = plan_execute(handoff_copy(ls->h), ls->h->copy_count, handoff_zero(ls->h),
			  ls->h->zero_count, work, wl.mem_bytes, NULL, &dry);
	if (rc)
		fail_msg("plan_execute (dry): %d %s", rc, plan_strerror(rc));
	hostenv_plan_init(&hp, e, &mem);
	hp.writable = ls->dst_page;
	rc = plan_execute(handoff_copy(ls->h), ls->h->copy_count, handoff_zero(ls->h),
			  ls->h->zero_count, work, wl.mem_bytes, &mem, &ls->st);
	if (rc)
		fail_msg("plan_execute: %d %s", rc, plan_strerror(rc));
	ls->writes_bad = hp.bad_write;
	hostenv_plan_fini(&hp);
	free(work);
	if (ls->writes_bad)
		fail_msg("plan wrote 0x%llx, not a destination", ULL(ls->writes_bad));
	/* the stage's dry run, the loader's dry run and the real run agree */
	assert_memory_equal(&dry, &ls->st, sizeof(dry));
	assert_memory_equal(&res->plan, &ls->st, sizeof(dry));
	assert_int_equal(ls->st.copies, ls->st.moved + ls->st.cycles);
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
	assert_int_equal(ls->h->entry.args[0], f->res.bootinfo);

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

/*
 * After the loader, what every image shares: each run's hash, the handoff's
 * request fields, the loader blob, and nothing else in the arena changed.
 */
static void verify_machine(struct fx *f, const struct loader_sim *ls)
{
	const struct hostenv *e = &f->e;
	const struct baton_handoff *h = ls->h;
	const struct baton_copy_run *cr = handoff_copy(h);
	const struct baton_zero_run *zr = handoff_zero(h);
	const struct baton_blob_header *bh;
	uint8_t *touched;

	/* each run's hash is XXH64 of its destination, as the loader's verify step does */
	for (uint64_t i = 0; i < h->copy_count; i++)
		assert_int_equal(stage_hash(hostenv_ptr(e, cr[i].dst, cr[i].pages * PAGE),
					    cr[i].pages * PAGE), cr[i].hash);
	for (uint64_t i = 0; i < h->zero_count; i++)	/* checked against zero, no hash */
		assert_true(!zr[i].reserved[0] && !zr[i].reserved[1]);
	assert_int_equal(h->flags, 0);

	/* the handoff says what the request asked for */
	assert_int_equal(h->console.port, CON_PORT);
	assert_int_equal(h->console.kind, BATON_CON_UART_IO);
	assert_int_equal(h->tsc_khz, TSC_KHZ);
	assert_int_equal(h->exit_port, EXIT_PORT);
	assert_int_equal(h->hash_alg, BATON_HASH_XXH64);
	assert_int_equal(h->flags, 0);
	/* a request that names no reset: no ACPI register, reset after the default wait */
	assert_int_equal(h->reset.acpi_addr, 0);
	assert_int_equal(h->reset.action, BATON_PANIC_RESET);
	assert_int_equal(h->reset.delay_ms, BATON_RESET_DELAY_MS);
	assert_int_equal(h->mem_count, e->nmem);
	assert_memory_equal(handoff_mem(h), e->mem, e->nmem * sizeof(e->mem[0]));
	assert_int_equal(f->res.entry, f->res.loader_base + BLOB_ENTRY);
	assert_int_equal(f->res.copy_runs, h->copy_count);
	assert_int_equal(f->res.zero_runs, h->zero_count);

	/* the loader blob, where the loader now runs: its bytes, early console patched */
	bh = hostenv_ptr(e, ls->self_base, BLOB_LEN);
	assert_memory_equal((const uint8_t *)bh, f->blob, offsetof(struct baton_blob_header, handoff));
	assert_int_equal(bh->handoff, f->res.handoff);
	assert_int_equal(bh->con_port, CON_PORT);
	assert_int_equal(bh->exit_port, EXIT_PORT);
	assert_memory_equal((const uint8_t *)bh + sizeof(*bh), f->blob + sizeof(*bh),
			    BLOB_LEN - sizeof(*bh));

	/* nothing else changed: reserved, never-touch, and pages nobody owned */
	for (uint64_t i = 0; i < e->nmem; i++)
		if (e->mem[i].type != BATON_MEM_USABLE && hostenv_contains(e, e->mem[i].base, e->mem[i].size))
			assert_filled(e, e->mem[i].base, e->mem[i].size,
				      e->mem[i].type == BATON_MEM_NEVER_TOUCH ? NEVER_FILL : RESV_FILL,
				      "reserved or never-touch range");
	touched = calloc(1, e->npages);
	assert_non_null(touched);
	for (uint64_t p = 0; p < e->npages; p++)
		touched[p] = e->state[p] != HOSTENV_FREE || ls->dst_page[p];
	if (ls->moved)
		memset(touched + (ls->self_base - e->base) / PAGE, 1,
		       (ls->self_size + pg_up(h->total_size)) / PAGE);
	for (uint64_t p = 0; p < e->npages; p++)
		if (!touched[p])
			assert_filled(e, e->base + p * PAGE, PAGE, ARENA_FILL, "unowned page");
	free(touched);
}

/* After the loader, an ELF world: every destination byte, the boot info, the entry. */
static void verify_world(struct fx *f, const struct loader_sim *ls)
{
	/* every destination byte as the ELF says: file bytes, zeros for bss and holes */
	assert_bytes(&f->e, f->im.lo, f->im.want, f->im.hi - f->im.lo, "image");
	verify_bootinfo(f, ls, f->rq.cmdline ? f->rq.cmdline : "");
	assert_int_equal(ls->h->entry.convention, BATON_ENTRY_ELF64);
	assert_int_equal(ls->h->entry.addr, f->im.entry);
	assert_int_equal(f->res.convention, BATON_ENTRY_ELF64);
	assert_int_equal(f->res.image_entry, f->im.entry);
	verify_machine(f, ls);
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

	if (s == HOSTENV_WORST) {
		const struct baton_handoff *h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));

		for (uint64_t i = 0; i < h->copy_count; i++) {
			const struct baton_copy_run *r = &handoff_copy(h)[i];

			assert_true(r->src >= f->im.lo && r->src + r->pages * PAGE <= dst_hi);
			assert_int_not_equal(r->src, r->dst);
		}
		assert_true(f->res.plan.cycles > 0);
		assert_true(f->res.plan.ordered > 0);
	}

	loader_run(&f->e, &f->res, &ls);
	if (s == HOSTENV_LOADER_IN_DST) {
		assert_true(f->res.loader_base >= f->im.lo && f->res.loader_base < dst_hi);
		assert_true(ls.moved);
	} else if (s != HOSTENV_SCATTERED) {
		assert_false(ls.moved);
	}
	verify_world(f, &ls);
	free(ls.dst_page);
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
	loader_run(&f->e, &f->res, &ls);
	verify_world(f, &ls);
	free(ls.dst_page);
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
	loader_run(&f->e, &f->res, &ls);
	verify_world(f, &ls);
	free(ls.dst_page);
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
	void *work;
	char *cmd = malloc(STAGE_CMDLINE_MAX);
	int rc;

	(void)state;
	fx_stage_ok(f);
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
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
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
	toff = h->timings_addr - f->res.bootinfo;
	assert_true(toff < PAGE && toff + 8 * BATON_TIMING_COUNT > PAGE);

	rc = check_handoff(h, &c, &work);
	free(work);
	free(cmd);
	fx_free(f);
	if (rc)
		REGRESSION("loader/check.c placed_by_copy: a valid staged handoff refused: %s", c.msg);
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
	b->version = 2;
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

/* A successful run's allocation counts, for aiming fault injection. */
static void counts(uint64_t *sources, uint64_t *loader_kib, uint64_t *handoff_kib)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	const struct baton_handoff *h;

	fx_stage_ok(f);
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
	*sources = f->e.calls_by[STAGE_FOR_SOURCE];
	*loader_kib = f->res.loader_size >> 10;
	*handoff_kib = pg_up(h->total_size) >> 10;
	assert_int_equal(f->e.alloc_calls, *sources + 2);
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

static void test_reject_allocator(void **state)
{
	uint64_t n, lk, hk, lo;
	struct fx *f;
	char want[WANT_LEN];

	(void)state;
	counts(&n, &lk, &hk);
	f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	lo = f->im.lo;
	fx_free(f);

	reject_alloc(FAIL_AT, 1, STAGE_E_NOMEM,
		     WANT("allocator: no source page for dst 0x%llx (-12)", ULL(lo)));
	reject_alloc(FAIL_AT, 5, STAGE_E_NOMEM,	/* the fifth page with bytes */
		     WANT("allocator: no source page for dst 0x%llx (-12)", ULL(lo + 4 * PAGE)));
	reject_alloc(FAIL_AT, n + 1, STAGE_E_NOMEM,
		     WANT("allocator: no %llu KiB for the loader region (-12)", ULL(lk)));
	reject_alloc(FAIL_AT, n + 2, STAGE_E_NOMEM,
		     WANT("allocator: no %llu KiB for the handoff (-12)", ULL(hk)));

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
	uint64_t n, lk, hk;
	char want[WANT_LEN];

	(void)state;
	counts(&n, &lk, &hk);
	reject_alloc(MISALIGN_AT, 1, STAGE_E_ALLOC_BAD,
		     WANT("allocator returned unaligned page 0x%llx", ULL(16 * MIB + 0x800)));
	reject_alloc(MISALIGN_AT, n + 1, STAGE_E_ALLOC_BAD,	/* the loader follows the sources */
		     WANT("allocator returned unaligned loader region 0x%llx",
			  ULL(16 * MIB + n * PAGE + 0x800)));
	reject_alloc(MISALIGN_AT, n + 2, STAGE_E_ALLOC_BAD,
		     WANT("allocator returned unaligned handoff 0x%llx",
			  ULL(16 * MIB + n * PAGE + (lk << 10) + 0x800)));
}

/*
 * stage.h: STAGE_E_ALLOC_BAD is "the allocator returned an unaligned or reused
 * page". A page handed out twice makes two sources overlap: the stage must not
 * seal a handoff the loader refuses.
 */
static void test_reject_allocator_reused(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	int rc;

	(void)state;
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
	fx_free(f);
}

/*
 * The request's reset reaches the handoff as it was asked for; a delay of 0 is
 * the default one; a reset the loader would refuse is refused here, after the
 * handoff is built (stage_self_check: one rule, loader/check.c's).
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
		      "loader check: reset: action 2, ACPI space 0, pad 0x0: not defined in v1", 0);
	fx_free(f);
}

/*
 * stage.h: STAGE_E_MEMMAP is "memory map empty, unaligned or overlapping itself".
 * Two usable ranges over the same RAM also count it twice in usable_bytes.
 */
static void test_reject_memmap_overlap(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 2, 24 * MIB);
	struct baton_mem_range m[HOSTENV_MAX_MEM];
	int rc;

	(void)state;
	memcpy(m, f->e.mem, sizeof(m));
	m[f->e.nmem] = (struct baton_mem_range){ .base = 20 * MIB, .size = 10 * MIB,
						 .type = BATON_MEM_USABLE };
	f->rq.mem = m;
	f->rq.mem_count = f->e.nmem + 1;
	rc = fx_stage(f);
	fx_free(f);
	if (rc != STAGE_E_MEMMAP)
		REGRESSION("stage/stage.c stage_check_memmap: a map overlapping itself is accepted (rc %d)", rc);
}

/*
 * Usable RAM described as two touching ranges (UEFI maps do this all the time): an
 * image across the seam is inside usable RAM; the loader merges touching ranges.
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
	fx_free(f);
}

/* ---- 3. check_* on forged handoffs ---- */

struct cfx {
	struct fx *f;
	struct baton_handoff *h;
	uint8_t *saved;
	uint64_t saved_len;
	struct check c;
	void *work;
	char want[WANT_LEN];
};

static int cfx_setup(void **state)
{
	struct cfx *x = calloc(1, sizeof(*x));

	x->f = fx_new(HOSTENV_CONTIGUOUS, 11, 24 * MIB);
	fx_stage_ok(x->f);
	x->h = hostenv_ptr(&x->f->e, x->f->res.handoff, sizeof(*x->h));
	x->saved_len = x->h->total_size;
	x->saved = malloc(x->saved_len);
	memcpy(x->saved, x->h, x->saved_len);
	*state = x;
	return 0;
}

static int cfx_teardown(void **state)
{
	struct cfx *x = *state;

	free(x->saved);
	free(x->work);
	fx_free(x->f);
	free(x);
	return 0;
}

static struct baton_copy_run *cr(struct cfx *x) { return (void *)((uint8_t *)x->h + x->h->copy_off); }
static struct baton_zero_run *zr(struct cfx *x) { return (void *)((uint8_t *)x->h + x->h->zero_off); }
static struct baton_mem_range *mr(struct cfx *x) { return (void *)((uint8_t *)x->h + x->h->mem_off); }

static void cfx_reset(struct cfx *x)
{
	memcpy(x->h, x->saved, x->saved_len);
}

/* check_header, then (if it passed) check_runs with an exact work area. */
static int cfx_check(struct cfx *x)
{
	free(x->work);
	return check_handoff(x->h, &x->c, &x->work);
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
	/* contiguous sources: seg 0 one run, the rest of the bytes one or two more */
	assert_true(x->h->copy_count >= 2 && x->h->copy_count <= 3);
	assert_true(x->h->zero_count >= 1);
	assert_int_equal(x->c.pages, x->f->res.image_pages);
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
}

static void test_check_header(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t total = x->h->total_size;
	uint8_t *copy;
	uint32_t crc;

	x->h->magic = 0x4141414141414141ull;
	expect_checked(x, CHECK_E_MAGIC, "bad magic 0x4141414141414141 (want 0x314f484e4f544142)");
	x->h->version = 2;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_VERSION, "handoff version 2, this loader reads 1");
	x->h->header_size = 0xff;
	expect_checked(x, CHECK_E_SIZE, WANT("bad sizes: header 255 total %llu", ULL(total)));
	x->h->total_size = 0x80;
	expect_checked(x, CHECK_E_SIZE, "bad sizes: header 256 total 128");

	/* one flipped bit, not resealed: the CRC is computed here independently */
	x->h->flags ^= 1;
	copy = malloc(total);
	memcpy(copy, x->h, total);
	memset(copy + offsetof(struct baton_handoff, crc32), 0, 4);
	crc = crc32_update(0, copy, total);
	free(copy);
	expect_checked(x, CHECK_E_CRC, WANT("bad CRC 0x%08x over %llu bytes (header says 0x%08x)",
					  crc, ULL(total), x->saved[0x18] | x->saved[0x19] << 8 |
					  x->saved[0x1a] << 16 | (uint32_t)x->saved[0x1b] << 24));
	/* a run edited, not resealed */
	cr(x)[0].hash ^= 1;
	assert_int_equal(cfx_check(x), CHECK_E_CRC);
	cfx_reset(x);
}

static void test_check_list_bounds(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t copy_off = x->h->copy_off;

	/* total size cut before the copy list, CRC made over what is left */
	x->h->total_size = copy_off;
	x->h->crc32 = crc32_handoff(x->h);
	expect_checked(x, CHECK_E_SIZE, WANT("a list lies outside the handoff's %llu bytes",
					   ULL(copy_off)));
	/* a list starting inside the header (the seal now ends at the copy list) */
	x->h->zero_off = 0x40;
	stage_seal(x->h);
	assert_true(x->h->total_size < x->saved_len);
	expect_checked(x, CHECK_E_SIZE, WANT("a list lies outside the handoff's %llu bytes",
					   ULL(x->h->total_size)));
	/* a list at an unaligned offset */
	x->h->mem_off += 4;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_SIZE, WANT("a list lies outside the handoff's %llu bytes",
					   ULL(x->h->total_size)));
	/* a count whose byte size overflows */
	x->h->copy_count = 1ull << 60;
	x->h->crc32 = crc32_handoff(x->h);
	expect_checked(x, CHECK_E_SIZE, WANT("a list lies outside the handoff's %llu bytes",
					   ULL(x->saved_len)));
}

static void test_check_memmap(void **state)
{
	struct cfx *x = *state;

	x->h->mem_count = 0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_MEMMAP, "empty memory map");
	mr(x)[2].size += 0x800;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 2 0x2900000+0x1300800 type 1 is invalid");
	mr(x)[3].type = 9;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_MEMMAP, "memory range 3 0x3c00000+0x100000 type 9 is invalid");
}

static void test_check_dst_ranges(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t p0 = cr(x)[0].pages, d0 = cr(x)[0].dst, z0 = zr(x)[0].dst;
	uint64_t zp = zr(x)[0].pages;

	cr(x)[0].dst = MIB;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OUTSIDE, WANT("copy run 0 dst 0x100000-0x%llx is outside usable RAM",
					      ULL(MIB + p0 * PAGE)));
	/* across the end of usable RAM into the reserved range: the reserved range
	 * is named (it is checked before usable RAM) */
	cr(x)[0].dst = 40 * MIB - PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FORBIDDEN,
		       WANT("copy run 0 dst 0x27ff000-0x%llx covers reserved or never-touch range 0x2800000-0x2900000",
			    ULL(40 * MIB - PAGE + p0 * PAGE)));
	zr(x)[0].dst = 80 * MIB;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OUTSIDE, WANT("zero run 0 dst 0x5000000-0x%llx is outside usable RAM",
					      ULL(80 * MIB + zp * PAGE)));

	/* a never-touch range inside usable RAM, under copy run 0's last page */
	mr(x)[3].base = d0 + (p0 - 1) * PAGE;
	mr(x)[3].size = PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FORBIDDEN,
		     WANT("copy run 0 dst 0x%llx-0x%llx covers reserved or never-touch range 0x%llx-0x%llx",
			  ULL(d0), ULL(d0 + p0 * PAGE), ULL(d0 + (p0 - 1) * PAGE), ULL(d0 + p0 * PAGE)));
	/* a reserved range inside usable RAM, under zero run 0's first page */
	mr(x)[1].base = z0;
	mr(x)[1].size = PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FORBIDDEN,
		     WANT("zero run 0 dst 0x%llx-0x%llx covers reserved or never-touch range 0x%llx-0x%llx",
			  ULL(z0), ULL(z0 + zp * PAGE), ULL(z0), ULL(z0 + PAGE)));
}

static void test_check_overlaps(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	struct baton_copy_run r0 = cr(x)[0], r1 = cr(x)[1];
	uint64_t z0 = zr(x)[0].dst, zp = zr(x)[0].pages;

	/* two copy destinations */
	cr(x)[1].dst = r0.dst + PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 0 dst 0x%llx-0x%llx overlaps copy run 1 dst 0x%llx-0x%llx",
			  ULL(r0.dst), ULL(r0.dst + r0.pages * PAGE), ULL(r0.dst + PAGE),
			  ULL(r0.dst + PAGE + r1.pages * PAGE)));
	/* a copy destination and a zero destination */
	zr(x)[0].dst = r0.dst + (r0.pages - 1) * PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 0 dst 0x%llx-0x%llx overlaps zero run 0 dst 0x%llx-0x%llx",
			  ULL(r0.dst), ULL(r0.dst + r0.pages * PAGE),
			  ULL(r0.dst + (r0.pages - 1) * PAGE),
			  ULL(r0.dst + (r0.pages - 1 + zp) * PAGE)));
	/* both at the same address: copy runs sort first */
	cr(x)[1].dst = z0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OVERLAP,
		     WANT("copy run 1 dst 0x%llx-0x%llx overlaps zero run 0 dst 0x%llx-0x%llx",
			  ULL(z0), ULL(z0 + r1.pages * PAGE), ULL(z0), ULL(z0 + zp * PAGE)));
	/* two sources */
	cr(x)[1].src = r0.src + PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OVERLAP, WANT("copy run 0 src 0x%llx overlaps copy run 1 src 0x%llx",
					      ULL(r0.src), ULL(r0.src + PAGE)));
	/* a source inside the loader region, as the handoff states it */
	cr(x)[1].src = x->h->loader_base + PAGE;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_SELF,
		     WANT("copy run 1 src 0x%llx-0x%llx lies in the loader region 0x%llx-0x%llx",
			  ULL(x->h->loader_base + PAGE),
			  ULL(x->h->loader_base + PAGE + r1.pages * PAGE), ULL(x->h->loader_base),
			  ULL(x->h->loader_base + x->h->loader_size)));
}

/* Found by fuzz_check: zero timing slots at an address no run places were refused
 * ("timing slots 0x... x0 are not inside a copied destination"), although the
 * loader writes nothing there. */
static void test_check_zero_timing_slots_refused(void **state)
{
	struct cfx *x = *state;

	x->h->timings_addr = 0xffff0000;
	x->h->timings_count = 0;
	stage_seal(x->h);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

/* A loader that moved: sources must avoid both where it is and where it was. */
static void test_check_self_moved(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t ls = x->h->loader_size, p1 = cr(x)[1].pages;
	uint64_t self = 50 * MIB;

	cr(x)[1].src = self;
	stage_seal(x->h);
	assert_int_equal(cfx_check(x), 0);	/* self_base is the handoff's: fine */
	x->c.self_base = self;
	x->c.self_size = ls;
	assert_int_equal(check_runs(&x->c), CHECK_E_SELF);
	assert_string_equal(x->c.msg,
			    WANT("copy run 1 src 0x%llx-0x%llx lies in the loader region 0x%llx-0x%llx",
				 ULL(self), ULL(self + p1 * PAGE), ULL(self), ULL(self + ls)));
	cfx_reset(x);
}

/* Every refusal of a bad source, with its exact message. */
static void test_check_sources(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	struct baton_copy_run r1 = cr(x)[1];
	uint64_t lb = x->h->loader_base, ls = x->h->loader_size, total = x->h->total_size;

	cr(x)[1].src = r1.src + 8;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, WANT("copy run 1 src 0x%llx is unaligned or wraps",
					  ULL(r1.src + 8)));
	cr(x)[1].src = 1ull << 40;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_OUTSIDE,
		       WANT("copy run 1 src 0x10000000000-0x%llx is outside usable RAM",
			    ULL((1ull << 40) + r1.pages * PAGE)));
	/* in the region the handoff states, the loader running elsewhere (moved) */
	cr(x)[1].src = lb;
	stage_seal(x->h);
	assert_int_equal(cfx_check(x), CHECK_E_SELF);
	x->c.self_base = 200 * MIB;
	assert_int_equal(check_runs(&x->c), CHECK_E_SELF);
	assert_string_equal(x->c.msg,
			    WANT("copy run 1 src 0x%llx-0x%llx lies in the loader region 0x%llx-0x%llx",
				 ULL(lb), ULL(lb + r1.pages * PAGE), ULL(lb), ULL(lb + ls)));
	cfx_reset(x);
	/* in the handoff itself, where the loader found it */
	assert_int_equal(cfx_check(x), 0);
	x->c.h_pa = r1.src;
	assert_int_equal(check_runs(&x->c), CHECK_E_SELF);
	assert_string_equal(x->c.msg,
			    WANT("copy run 1 src 0x%llx-0x%llx lies in the handoff 0x%llx-0x%llx",
				 ULL(r1.src), ULL(r1.src + r1.pages * PAGE), ULL(r1.src),
				 ULL(r1.src + total)));
	cfx_reset(x);
}

static void test_check_run_shape(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	struct baton_copy_run r0 = cr(x)[0];
	uint64_t z0 = zr(x)[0].dst;

	cr(x)[0].dst += 0x10;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, WANT("copy run 0 dst 0x%llx pages %llu is unaligned, empty or wraps",
					  ULL(r0.dst + 0x10), ULL(r0.pages)));
	cr(x)[0].src += 0x10;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, WANT("copy run 0 src 0x%llx is unaligned or wraps",
					  ULL(r0.src + 0x10)));
	zr(x)[0].pages = 0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, WANT("zero run 0 dst 0x%llx pages 0 is unaligned, empty or wraps",
					  ULL(z0)));
	cr(x)[0].pages = 0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, WANT("copy run 0 dst 0x%llx pages 0 is unaligned, empty or wraps",
					  ULL(r0.dst)));
	cr(x)[0].dst = 0xfffffffffffff000ull;
	cr(x)[0].pages = 2;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN,
		     "copy run 0 dst 0xfffffffffffff000 pages 2 is unaligned, empty or wraps");
	cr(x)[0].pages = 1ull << 60;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, WANT("copy run 0 dst 0x%llx pages 1152921504606846976 is unaligned, empty or wraps",
					  ULL(r0.dst)));
	assert_true(r0.pages >= 3);
	cr(x)[0].src = 0xffffffffffffe000ull;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_RUN, "copy run 0 src 0xffffffffffffe000 is unaligned or wraps");
}

/* Fields v1 defines as zero are refused otherwise: bit 0 of flags once skipped
 * the verify step, and a zero run's third word once held a hash nothing read. */
static void test_check_reserved_zero_fields(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;

	x->h->flags = 1;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD, "flags 0x1: handoff v1 defines none");
	x->h->flags = 0x80000000u;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD, "flags 0x80000000: handoff v1 defines none");
	zr(x)[0].reserved[0] = 0x1234;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD, "zero run 0: reserved 0x1234 0x0, must be zero");
	zr(x)[x->h->zero_count - 1].reserved[1] = 1;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD, WANT("zero run %llu: reserved 0x0 0x1, must be zero",
					    ULL(x->h->zero_count - 1)));
}

/* The reset after a panic: an action, an address space or a pad v1 does not
 * define is refused by the header check, so a panic never acts on it. */
static void test_check_reset_fields(void **state)
{
	struct cfx *x = *state;

	assert_int_equal(x->h->reset.delay_ms, BATON_RESET_DELAY_MS);
	x->h->reset.action = BATON_PANIC_HALT;
	x->h->reset.acpi_space = BATON_RESET_SPACE_IO;
	x->h->reset.acpi_addr = 0xcf9;
	x->h->reset.acpi_value = 0xff;
	x->h->reset.delay_ms = 0;
	stage_seal(x->h);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
	x->h->reset.action = 2;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD,
		       "reset: action 2, ACPI space 0, pad 0x0: not defined in v1");
	x->h->reset.acpi_space = 2;		/* PCI configuration space: not taken */
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD,
		       "reset: action 0, ACPI space 2, pad 0x0: not defined in v1");
	x->h->reset.pad = 0x80;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_FIELD,
		       "reset: action 0, ACPI space 0, pad 0x80: not defined in v1");
}

/* A CPU still running until the park step may have rewritten the handoff after
 * check_header() read it: check_unchanged() finds it, header or lists, even
 * resealed. */
static void test_check_unchanged_after_park(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint32_t crc;

	assert_int_equal(cfx_check(x), 0);
	assert_int_equal(check_unchanged(&x->c), 0);
	x->h->entry.addr ^= 0x1000;		/* header byte 0x59 */
	assert_int_equal(check_unchanged(&x->c), CHECK_E_CHANGED);
	assert_string_equal(x->c.msg, WANT("handoff header byte 0x59 changed from 0x%02x to 0x%02x after it was checked",
					   x->saved[0x59], x->saved[0x59] ^ 0x10));
	cfx_reset(x);
	assert_int_equal(check_unchanged(&x->c), 0);
	cr(x)[0].pages++;			/* a list, not resealed */
	crc = crc32_handoff(x->h);
	assert_int_equal(check_unchanged(&x->c), CHECK_E_CHANGED);
	assert_string_equal(x->c.msg, WANT("handoff lists changed after they were checked: CRC 0x%08x, was 0x%08x",
					   crc, x->h->crc32));
	stage_seal(x->h);			/* resealed: the header's CRC changed */
	assert_int_equal(check_unchanged(&x->c), CHECK_E_CHANGED);
	cfx_reset(x);
	assert_int_equal(check_unchanged(&x->c), 0);
}

static void test_check_entry(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t z0 = zr(x)[0].dst, t = x->h->timings_addr, entry = x->h->entry.addr;

	x->h->entry.addr = z0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, WANT("entry 0x%llx is not inside any copied destination", ULL(z0)));
	x->h->entry.addr = MIB;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, "entry 0x100000 is not inside any copied destination");
	x->h->entry.addr = ~0ull;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, "entry 0xffffffffffffffff is not inside any copied destination");
	x->h->entry.convention = 5;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, "entry convention 5 is not supported by this loader");
	x->h->entry.convention = 0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, "entry convention 0 is not supported by this loader");
	/* Linux: the zero page (args[1]) must be a placed page, whole */
	x->h->entry.addr = entry;
	x->h->entry.convention = BATON_ENTRY_LINUX64;
	x->h->entry.args[1] = z0;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, WANT("Linux zero page 0x%llx is not inside a copied destination",
					    ULL(z0)));
	x->h->entry.args[1] = pg_down(entry);
	stage_seal(x->h);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
	/* paging off: nothing the 32-bit registers hold may lie above 4 GiB */
	x->h->entry.convention = BATON_ENTRY_ELF32;
	x->h->entry.args[0] = 1ull << 32;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, WANT("32-bit entry 0x%llx or argument 0x100000000/0x0 lies above 4 GiB",
					    ULL(entry)));
	x->h->entry.convention = BATON_ENTRY_ELF64;
	x->h->entry.args[0] = 0;
	x->h->entry.args[1] = 0;
	/* the timing slot running off the end of the boot info's run */
	x->h->timings_addr = pg_up(t) - 8;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, WANT("timing slots 0x%llx x10 are not inside a copied destination",
					    ULL(pg_up(t) - 8)));
	x->h->hash_alg = 7;
	stage_seal(x->h);
	expect_checked(x, CHECK_E_ENTRY, "hash algorithm 7 is not supported");
	/* no timing slot at all is allowed */
	x->h->timings_addr = 0;
	stage_seal(x->h);
	assert_int_equal(cfx_check(x), 0);
	cfx_reset(x);
}

static void test_check_work_small(void **state)
{
	struct cfx *x = *state;
	char *want = x->want;
	uint64_t need, runs = x->h->copy_count + x->h->zero_count;

	assert_int_equal(cfx_check(x), 0);
	need = x->c.work_bytes;
	x->c.work_bytes = need - 1;
	assert_int_equal(check_runs(&x->c), CHECK_E_WORK);
	assert_string_equal(x->c.msg, WANT("work area of %llu bytes is too small for %llu runs",
					   ULL(need - 1), ULL(runs)));
	x->c.work_bytes = 0;
	assert_int_equal(check_runs(&x->c), CHECK_E_WORK);
	assert_string_equal(x->c.msg, WANT("work area of 0 bytes is too small for %llu runs", ULL(runs)));
}

/* ---- 4. check_find_spot ---- */

/* Lowest page-aligned x >= 1 MiB with [x, x + need) on free pages, else 0. */
static uint64_t spot_ref(const struct hostenv *e, const uint8_t *busy, uint64_t need)
{
	uint64_t np = pg_up(need) / PAGE, run = 0;

	for (uint64_t p = 0; p < e->npages; p++) {
		run = busy[p] ? 0 : run + 1;
		if (run == np)
			return e->base + (p + 1 - np) * PAGE;
	}
	return 0;
}

static void busy_mark(const struct hostenv *e, uint8_t *busy, uint64_t a, uint64_t len)
{
	for (uint64_t p = pg_down(a); p < a + len; p += PAGE)
		if (p >= e->base && p < e->base + e->size)
			busy[(p - e->base) / PAGE] = 1;
}

/* Busy pages as the loader sees them: not usable, forbidden, runs, self. */
static uint8_t *busy_map(const struct hostenv *e, const struct baton_handoff *h,
			 uint64_t self_base, uint64_t self_size)
{
	const struct baton_mem_range *m = handoff_mem(h);
	uint8_t *busy = malloc(e->npages);

	memset(busy, 1, e->npages);
	for (uint64_t i = 0; i < h->mem_count; i++)
		if (m[i].type == BATON_MEM_USABLE)
			for (uint64_t a = m[i].base; a < m[i].base + m[i].size; a += PAGE)
				if (a >= e->base && a < e->base + e->size)
					busy[(a - e->base) / PAGE] = 0;
	for (uint64_t i = 0; i < h->mem_count; i++)
		if (m[i].type != BATON_MEM_USABLE)
			busy_mark(e, busy, m[i].base, m[i].size);
	for (uint64_t i = 0; i < h->copy_count; i++) {
		busy_mark(e, busy, handoff_copy(h)[i].dst, handoff_copy(h)[i].pages * PAGE);
		busy_mark(e, busy, handoff_copy(h)[i].src, handoff_copy(h)[i].pages * PAGE);
	}
	for (uint64_t i = 0; i < h->zero_count; i++)
		busy_mark(e, busy, handoff_zero(h)[i].dst, handoff_zero(h)[i].pages * PAGE);
	busy_mark(e, busy, self_base, self_size);
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
		const struct baton_handoff *h;
		struct check c;
		uint64_t needs[] = { PAGE, 3 * PAGE, 17 * PAGE, 64 * PAGE, 0 }, spot, gap, want;
		uint8_t *busy, *busy2;
		char msg[256];
		void *work;

		fx_stage_ok(f);
		h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
		assert_int_equal(check_handoff(h, &c, &work), 0);
		busy = busy_map(&f->e, h, c.self_base, c.self_size);
		gap = largest_gap(&f->e, busy);
		needs[4] = gap;

		for (int i = 0; i < 5; i++) {
			/* no avoided range */
			assert_int_equal(check_find_spot(&c, needs[i], 0, 0, &spot), 0);
			assert_int_equal(spot, spot_ref(&f->e, busy, needs[i]));
			assert_false(check_hits_dst(&c, spot, needs[i]));
			/* avoid exactly that spot: the next one */
			busy2 = malloc(f->e.npages);
			memcpy(busy2, busy, f->e.npages);
			busy_mark(&f->e, busy2, spot, PAGE);
			want = spot_ref(&f->e, busy2, needs[i]);
			if (want) {
				uint64_t s2;

				assert_int_equal(check_find_spot(&c, needs[i], spot, PAGE, &s2), 0);
				assert_int_equal(s2, want);
			}
			free(busy2);
		}
		/* one page more than the largest gap: none */
		assert_int_equal(check_find_spot(&c, gap + PAGE, 0, 0, &spot), CHECK_E_NOSPOT);
		snprintf(msg, sizeof(msg), "no free 0x%llx bytes of usable RAM to move the loader to",
			 ULL(gap + PAGE));
		assert_string_equal(c.msg, msg);
		/* the arena full: everything avoided */
		assert_int_equal(check_find_spot(&c, PAGE, HOSTENV_PHYS_BASE, ARENA, &spot),
				 CHECK_E_NOSPOT);
		assert_string_equal(c.msg, "no free 0x1000 bytes of usable RAM to move the loader to");
		assert_int_equal(check_find_spot(&c, 64 * MIB, 0, 0, &spot), CHECK_E_NOSPOT);
		assert_string_equal(c.msg, "no free 0x4000000 bytes of usable RAM to move the loader to");

		free(busy);
		free(work);
		fx_free(f);
	}
}

/* The spot is 4 KiB aligned even when the avoided range is not. */
static void test_find_spot_unaligned_avoid(void **state)
{
	struct fx *f = fx_new(HOSTENV_CONTIGUOUS, 4, 24 * MIB);
	const struct baton_handoff *h;
	struct check c;
	uint64_t spot, first;
	void *work;

	(void)state;
	fx_stage_ok(f);
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
	assert_int_equal(check_handoff(h, &c, &work), 0);
	assert_int_equal(check_find_spot(&c, 4 * PAGE, 0, 0, &first), 0);
	assert_int_equal(check_find_spot(&c, 4 * PAGE, first + 0x10, 0x100, &spot), 0);
	free(work);
	fx_free(f);
	if (spot % PAGE)
		REGRESSION("loader/check.c check_find_spot: spot 0x%llx is not 4 KiB aligned", ULL(spot));
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
#define GIB		(1ull << 30)

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
	uint32_t conv;			/* BATON_ENTRY_LINUX64 or LINUX32 */
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
static struct lx_want lx_want_default(const struct fx *f, uint32_t conv)
{
	return (struct lx_want){ conv, BZ_PREF, BZ_PREF + lx_kernel_size(f),
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

/* After the loader, a Linux world: handoff, kernel, initrd, zero page, the rest. */
static void verify_linux(struct fx *f, const struct loader_sim *ls, const struct lx_want *w)
{
	const struct hostenv *e = &f->e;
	const struct baton_handoff *h = ls->h;
	const char *cmd = lx_cmdline(f);
	uint64_t koff = lx_kernel_off(f), klen = f->rq.image_len - koff, ksize = lx_kernel_size(f);
	uint64_t rd_len = lx_initrd_len(f), bsize = lx_boot_size(f);
	uint64_t entry = w->kernel + (w->conv == BATON_ENTRY_LINUX64 ? 0x200 : 0);
	const uint8_t *zp = hostenv_ptr(e, w->boot, PAGE);
	uint64_t cmd_pa = get_le(zp, 0x228, 4) | get_le(zp, 0x0c8, 4) << 32;
	uint8_t *want;

	/* the entry: convention, address, RSI = the zero page; no baton timing slots */
	assert_int_equal(f->res.convention, w->conv);
	assert_int_equal(h->entry.convention, w->conv);
	assert_int_equal(f->res.image_entry, entry);
	assert_int_equal(h->entry.addr, entry);
	assert_int_equal(h->entry.args[0], 0);
	assert_int_equal(h->entry.args[1], w->boot);
	assert_int_equal(f->res.bootinfo, w->boot);
	assert_int_equal(f->res.initrd, rd_len ? w->initrd : 0);
	assert_int_equal(h->timings_addr, 0);
	assert_int_equal(h->timings_count, 0);
	/* destinations: boot area, whole init_size, initrd; sources: pages with bytes */
	assert_int_equal(f->res.image_pages, (bsize + ksize + pg_up(rd_len)) / PAGE);
	assert_int_equal(f->e.calls_by[STAGE_FOR_SOURCE], (bsize + pg_up(klen) + pg_up(rd_len)) / PAGE);

	/* the kernel's bytes at the load address, then zeros to the end of init_size */
	assert_bytes(e, w->kernel, f->bz + koff, klen, "kernel");
	assert_filled(e, w->kernel + klen, ksize - klen, 0, "kernel init_size");
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
	verify_machine(f, ls);
}

/* Stage f, run the loader over it, check the world against w. */
static void lx_run(struct fx *f, const struct lx_want *w)
{
	struct loader_sim ls;

	fx_stage_ok(f);
	loader_run(&f->e, &f->res, &ls);
	if (f->e.strategy == HOSTENV_WORST)
		assert_true(f->res.plan.cycles > 0);
	if (f->e.strategy == HOSTENV_LOADER_IN_DST)
		assert_true(ls.moved);
	verify_linux(f, &ls, w);
	free(ls.dst_page);
}

/*
 * 64-bit entry, per strategy; worst and loader-in-dst aim at the kernel's
 * init_size: sources on its (mostly zero-filled) pages, or the loader there.
 */
static void test_linux64_e2e(void **state)
{
	(void)state;
	for (int s = 0; s < HOSTENV_STRATEGIES; s++) {
		struct fx *f = lx_new(s, 40 + s);
		struct lx_want w = lx_want_default(f, BATON_ENTRY_LINUX64);

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
	w = lx_want_default(f, BATON_ENTRY_LINUX64);
	lx_run(f, &w);
	fx_free(f);
}

/*
 * 32-bit entry on a machine with 1 GiB of RAM above 4 GiB (outside the arena:
 * nothing may land there). The 64-bit entry would put the initrd at its top.
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
	w = lx_want_default(f, BATON_ENTRY_LINUX32);
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
	w = (struct lx_want){ BATON_ENTRY_LINUX64, pref, 0, top - pg_up(f->rq.initrd_len) };
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
 * holds the file's bytes and zeros after them (verify_linux reads every byte up
 * to init_size's end), whatever the arena held there before; worst-case
 * sources put other pages' bytes on that page first. A whole paragraph more
 * is refused, with nothing allocated.
 */
static void test_linux_syssize_short(void **state)
{
	struct fx *f = lx_new(HOSTENV_WORST, 51);
	struct lx_want w = lx_want_default(f, BATON_ENTRY_LINUX64);

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

/* stage_image_layout() gives the three segments stage_build() then places. */
/* Found by the QEMU fault matrix (fault-work-huge): a handoff asking for 2^36 plan
 * pieces got a work area that wrapped to 0 bytes ("work area of 0 bytes is too
 * small for N runs") instead of being refused as larger than any memory. */
static void test_layout_huge_plan_wrapped_to_zero(void **state)
{
	struct baton_mem_range mem = { 0, 512 * MIB, BATON_MEM_USABLE, 0 };
	struct work_layout wl;
	(void)state;

	assert_int_equal(work_layout(&mem, 1, 2000, 2, 1ull << 36, &wl), -1);
	assert_int_equal(work_layout(&mem, 1, 2000, 2, 1ull << 40, &wl), -1);
	assert_int_equal(work_layout(&mem, 1, 2000, 2, 2000, &wl), 0);
	assert_true(wl.mem_bytes >= plan_work_size(2000, 2000) && wl.size > wl.mem_bytes);
}

/* Every error code any component returns has its own message in stage_strerror(),
 * the one table an outgoing side prints from: none falls through to the default. */
static void test_strerror_every_code(void **state)
{
	static const int codes[] = {
		STAGE_E_NOMEM, STAGE_E_OUTSIDE_RAM, STAGE_E_NEVER_TOUCH, STAGE_E_TOO_BIG,
		STAGE_E_BLOB, STAGE_E_MEMMAP, STAGE_E_CMDLINE, STAGE_E_FDT, STAGE_E_ALLOC_BAD,
		STAGE_E_SELF_CHECK, STAGE_E_INITRD, STAGE_E_MULTIBOOT, PLAN_E_NOSPACE, PLAN_E_INPUT,
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

static void test_linux_layout(void **state)
{
	struct fx *f = lx_new(HOSTENV_REVERSE, 50);
	struct lx_want w = lx_want_default(f, BATON_ENTRY_LINUX64);
	uint64_t bsize = lx_boot_size(f);
	const struct fmt_segment want[3] = {	/* by address, as every fmt_image */
		{ .paddr = w.kernel, .filesz = BZ_KLEN, .memsz = BZ_INIT, .source = FMT_SRC_IMAGE,
		  .offset = BZ_KOFF },
		{ .paddr = w.boot, .filesz = bsize, .memsz = bsize, .source = FMT_SRC_BOOT },
		{ .paddr = w.initrd, .filesz = RD_LEN, .memsz = pg_up(RD_LEN),
		  .source = FMT_SRC_INITRD },
	};
	const struct baton_handoff *h;
	struct fmt_image img;
	uint8_t *page;
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

	/* the handoff's destinations: exactly those segments' pages, each once */
	fx_stage_ok(f);
	h = hostenv_ptr(&f->e, f->res.handoff, sizeof(*h));
	page = calloc(1, f->e.npages);
	assert_non_null(page);
	for (uint64_t i = 0; i < h->copy_count; i++)
		for (uint64_t k = 0; k < handoff_copy(h)[i].pages; k++)
			page[(handoff_copy(h)[i].dst - f->e.base) / PAGE + k]++;
	for (uint64_t i = 0; i < h->zero_count; i++)
		for (uint64_t k = 0; k < handoff_zero(h)[i].pages; k++)
			page[(handoff_zero(h)[i].dst - f->e.base) / PAGE + k]++;
	for (int i = 0; i < 3; i++)
		for (uint64_t a = want[i].paddr; a < want[i].paddr + want[i].memsz; a += PAGE)
			page[(a - f->e.base) / PAGE] += 10;
	for (uint64_t p = 0; p < f->e.npages; p++)
		if (page[p] != 0 && page[p] != 11)
			fail_msg("page 0x%llx: %d destinations, %s a segment", ULL(f->e.base + p * PAGE),
				 page[p] % 10, page[p] >= 10 ? "in" : "not in");
	free(page);
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
		cmocka_unit_test(test_e2e_contiguous),
		cmocka_unit_test(test_e2e_scattered),
		cmocka_unit_test(test_e2e_reverse),
		cmocka_unit_test(test_e2e_worst),
		cmocka_unit_test(test_e2e_loader_in_dst),
		cmocka_unit_test(test_e2e_longest_cmdline),
		cmocka_unit_test(test_e2e_no_cmdline),
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
		cmocka_unit_test(test_reject_memmap_overlap),
		cmocka_unit_test(test_stage_touching_usable_ranges),
		cmocka_unit_test(test_stage_reset_fields),
		cmocka_unit_test_setup_teardown(test_check_valid, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_header, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_reserved_zero_fields, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_reset_fields, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_unchanged_after_park, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_list_bounds, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_memmap, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_dst_ranges, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_overlaps, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_self_moved, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_sources, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_run_shape, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_entry, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_zero_timing_slots_refused, cfx_setup, cfx_teardown),
		cmocka_unit_test_setup_teardown(test_check_work_small, cfx_setup, cfx_teardown),
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
