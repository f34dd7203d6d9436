/* SPDX-License-Identifier: MIT */
/*
 * fmt/bzimage host tests: bzImages crafted byte by byte here (the offsets are
 * written out again, not taken from the implementation), the kernel
 * mk/vmlinuz.sh names (every expectation read from its own setup header),
 * memory maps with holes, reserved ranges and RAM above 4 GiB. Every parse runs
 * on a heap copy of exactly the image's length and every boot area is built in
 * a heap block of exactly boot_size, so under ASan a read or write past either
 * end is a crash, not luck.
 * Every refusal is checked against its exact message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/bzimage.h"
#include "fmt/fmt.h"
#include "core/memmap.h"
#include "stage/linux_place.h"
#include "tests/host/hostfile.h"

#define KiB		0x400ULL
#define MiB		0x100000ULL
#define GiB		0x40000000ULL
#define PAGE		0x1000ULL

#define USABLE		BATON_MEM_USABLE
#define RESERVED	BATON_MEM_RESERVED
#define NEVER		BATON_MEM_NEVER_TOUCH

#define XLF_64		0x01
#define XLF_ABOVE_4G	0x02

/* ---- crafting images ------------------------------------------------------ */

struct bzspec {
	uint16_t version;
	uint8_t setup_sects;		/* 0 means 4 */
	uint8_t jump;			/* byte at 0x201: header end - 0x202 */
	uint8_t loadflags, relocatable;
	uint16_t xloadflags;
	uint32_t kernel_alignment, init_size, cmdline_size, initrd_addr_max, syssize;
	uint64_t pref_address, setup_data;
	uint64_t kernel_len;		/* bytes after the setup sectors */
};

/* A 2.15 relocatable 64-bit kernel: 12 KiB of code, 8 MiB of init_size. */
static struct bzspec spec_base(void)
{
	return (struct bzspec){
		.version = 0x20f, .setup_sects = 4, .jump = 0x6a, .loadflags = 0x01,
		.relocatable = 1, .xloadflags = XLF_64 | XLF_ABOVE_4G,
		.kernel_alignment = 0x200000, .init_size = 0x800000, .cmdline_size = 0x7ff,
		.initrd_addr_max = 0x7fffffff, .syssize = 0x300, .pref_address = 0x1000000,
		.kernel_len = 0x3000,
	};
}

static void put(uint8_t *p, uint64_t off, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, uint64_t off, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[off + i];
	return v;
}

static uint64_t spec_kernel_off(const struct bzspec *s)
{
	return ((s->setup_sects ? s->setup_sects : 4) + 1) * 512ULL;
}

/*
 * The image in a heap block of exactly its length. Setup bytes carry a
 * pattern (so the header copy can be checked byte for byte), the kernel 0xcc.
 */
static uint8_t *spec_build(const struct bzspec *s, uint64_t *len)
{
	uint64_t off = spec_kernel_off(s);
	uint8_t *p;

	*len = off + s->kernel_len;
	p = malloc(*len);
	assert_non_null(p);
	for (uint64_t i = 0; i < off; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	memset(p + off, 0xcc, s->kernel_len);
	put(p, 0x1f1, s->setup_sects, 1);
	put(p, 0x1f4, s->syssize, 4);
	put(p, 0x1fe, 0xaa55, 2);
	put(p, 0x200, 0xeb, 1);
	put(p, 0x201, s->jump, 1);
	memcpy(p + 0x202, "HdrS", 4);
	put(p, 0x206, s->version, 2);
	put(p, 0x210, 0, 1);			/* type_of_loader */
	put(p, 0x211, s->loadflags, 1);
	put(p, 0x214, 0x100000, 4);		/* code32_start */
	put(p, 0x218, 0, 8);			/* ramdisk_image, ramdisk_size */
	put(p, 0x228, 0, 4);			/* cmd_line_ptr */
	put(p, 0x22c, s->initrd_addr_max, 4);
	put(p, 0x230, s->kernel_alignment, 4);
	put(p, 0x234, s->relocatable, 1);
	put(p, 0x235, 21, 1);			/* min_alignment */
	put(p, 0x236, s->xloadflags, 2);
	put(p, 0x238, s->cmdline_size, 4);
	put(p, 0x250, s->setup_data, 8);
	put(p, 0x258, s->pref_address, 8);
	put(p, 0x260, s->init_size, 4);
	return p;
}

static char g_msg[256];

/* Parse from a heap block of exactly len bytes. */
static int parse_exact(const uint8_t *p, uint64_t len, struct fmt_bzimage *bz)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, p, len);
	memset(g_msg, 0x5a, sizeof(g_msg));
	err = fmt_bzimage_parse(copy, len, bz, g_msg, sizeof(g_msg));
	free(copy);
	return err;
}

static int parse_spec(const struct bzspec *s, struct fmt_bzimage *bz)
{
	uint64_t len;
	uint8_t *p = spec_build(s, &len);
	int err = parse_exact(p, len, bz);

	free(p);
	return err;
}

static void expect_parse_error(const struct bzspec *s, int err, const char *msg)
{
	struct fmt_bzimage bz;

	assert_int_equal(parse_spec(s, &bz), err);
	assert_string_equal(g_msg, msg);
	assert_int_equal(bz.version, 0);	/* cleared on error */
	assert_int_equal(bz.kernel_off, 0);
}

static struct fmt_bzimage parsed(const struct bzspec *s)
{
	struct fmt_bzimage bz;

	assert_int_equal(parse_spec(s, &bz), 0);
	assert_string_equal(g_msg, "");
	return bz;
}

/* ---- memory maps and layouts ---------------------------------------------- */

#define MAXMEM 256

struct map {
	struct baton_mem_range r[MAXMEM];
	uint64_t n;
};

static void map_add(struct map *m, uint64_t base, uint64_t size, uint32_t type)
{
	assert_true(m->n < MAXMEM);
	m->r[m->n++] = (struct baton_mem_range){ base, size, type, 0 };
}

/* A PC with 2 GiB below the PCI hole and, when high, 4 GiB above 4 GiB. */
static struct map map_pc(uint64_t high)
{
	struct map m = { .n = 0 };

	map_add(&m, 0, 0x9f000, USABLE);
	map_add(&m, 0x9f000, 0x61000, RESERVED);
	map_add(&m, MiB, 2 * GiB - MiB, USABLE);
	map_add(&m, 0xfec00000, 0x1400000, RESERVED);
	if (high)
		map_add(&m, 4 * GiB, high, USABLE);
	return m;
}

static struct fmt_bz_request request(const struct map *m, int entry)
{
	return (struct fmt_bz_request){
		.entry = entry, .mem = m->r, .mem_count = m->n, .cmdline_len = 20,
	};
}

/* The stage's placement on the request's map made normal, as the stage makes it. */
static int place(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
		 struct fmt_bz_layout *lay)
{
	struct fmt_bz_request normal = *rq;
	struct baton_mem_range *map = malloc((2 * rq->mem_count + 1) * sizeof(*map));
	uint64_t bad;
	int err;

	assert_non_null(map);
	normal.mem = map;
	err = memmap_normalize(rq->mem, rq->mem_count, map, 2 * rq->mem_count + 1,
			       &normal.mem_count, &bad);
	if (err)
		free(map);
	assert_int_equal(err, 0);
	memset(g_msg, 0x5a, sizeof(g_msg));
	err = stage_linux_place(bz, &normal, lay, g_msg, sizeof(g_msg));
	free(map);
	return err;
}

static void expect_place_error(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
			       int err, const char *msg)
{
	struct fmt_bz_layout lay;

	assert_int_equal(place(bz, rq, &lay), err);
	assert_string_equal(g_msg, msg);
	assert_int_equal(lay.kernel, 0);	/* cleared on error */
	assert_int_equal(lay.boot, 0);
	assert_int_equal(lay.initrd, 0);
}

static uint64_t round_page(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

/* Usable: covered by usable ranges (touching ones join), meeting no other range. */
static int in_ram(const struct map *m, uint64_t base, uint64_t end)
{
	for (uint64_t i = 0; i < m->n; i++)
		if (m->r[i].type != USABLE && m->r[i].base < end &&
		    m->r[i].base + m->r[i].size > base)
			return 0;
	while (base < end) {
		uint64_t next = base;

		for (uint64_t i = 0; i < m->n; i++)
			if (m->r[i].type == USABLE && m->r[i].base <= base &&
			    m->r[i].base + m->r[i].size > next)
				next = m->r[i].base + m->r[i].size;
		if (next == base)
			return 0;
		base = next;
	}
	return 1;
}

static int disjoint(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a + as <= b || b + bs <= a;
}

/* What every successful placement promises. */
static void check_layout(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
			 const struct map *m, const struct fmt_bz_layout *lay)
{
	int above = rq->entry == FMT_BZ_ENTRY64 && (bz->xloadflags & XLF_ABOVE_4G);
	uint64_t init = bz->init_size > bz->kernel_len ? bz->init_size : bz->kernel_len;

	assert_int_equal(lay->kernel_size, round_page(init));
	assert_int_equal(lay->kernel % (bz->relocatable ? bz->kernel_alignment : PAGE), 0);
	assert_true(lay->kernel >= MiB);
	assert_true(in_ram(m, lay->kernel, lay->kernel + lay->kernel_size));
	assert_int_equal(lay->entry, lay->kernel + (rq->entry == FMT_BZ_ENTRY64 ? 0x200 : 0));
	if (!above)
		assert_true(lay->kernel + lay->kernel_size <= 4 * GiB);

	assert_int_equal(lay->boot % PAGE, 0);
	assert_int_equal(lay->boot_size % PAGE, 0);
	assert_true(lay->boot_size >= PAGE + round_page(rq->cmdline_len + 1));
	assert_true(lay->boot >= MiB && lay->boot + lay->boot_size <= 4 * GiB);
	assert_true(in_ram(m, lay->boot, lay->boot + lay->boot_size));
	assert_true(disjoint(lay->kernel, lay->kernel_size, lay->boot, lay->boot_size));
	assert_int_equal(lay->cmdline, lay->boot + PAGE);

	if (!rq->initrd_len) {
		assert_int_equal(lay->initrd, 0);
		assert_int_equal(lay->initrd_size, 0);
		return;
	}
	assert_int_equal(lay->initrd_size, round_page(rq->initrd_len));
	assert_int_equal(lay->initrd % PAGE, 0);
	assert_true(lay->initrd >= MiB);
	assert_true(in_ram(m, lay->initrd, lay->initrd + lay->initrd_size));
	assert_true(disjoint(lay->kernel, lay->kernel_size, lay->initrd, lay->initrd_size));
	assert_true(disjoint(lay->boot, lay->boot_size, lay->initrd, lay->initrd_size));
	if (!above)
		assert_true(lay->initrd + lay->initrd_size - 1 <= bz->initrd_addr_max);
}

static struct fmt_bz_layout placed(const struct fmt_bzimage *bz,
				   const struct fmt_bz_request *rq, const struct map *m)
{
	struct fmt_bz_layout lay;

	assert_int_equal(place(bz, rq, &lay), 0);
	assert_string_equal(g_msg, "");
	check_layout(bz, rq, m, &lay);
	return lay;
}

/* Build the boot area in a heap block of exactly boot_size bytes (poisoned first). */
static uint8_t *boot_area(const uint8_t *image, uint64_t len, const struct fmt_bzimage *bz,
			  const struct fmt_bz_request *rq, const struct fmt_bz_layout *lay,
			  const char *cmdline, const void *dtb)
{
	uint8_t *copy = malloc(len);
	uint8_t *out = malloc(lay->boot_size);

	assert_non_null(copy);
	assert_non_null(out);
	memcpy(copy, image, len);
	memset(out, 0xa5, lay->boot_size);
	fmt_bzimage_boot_area(copy, bz, rq, lay, cmdline, dtb, out);
	free(copy);
	return out;
}

static void check_e820(const uint8_t *e, const struct baton_mem_range *r)
{
	assert_int_equal(get(e, 0, 8), r->base);
	assert_int_equal(get(e, 8, 8), r->size);
	assert_int_equal(get(e, 16, 4), r->type == USABLE ? 1 : 2);
}

/* ---- parse ---------------------------------------------------------------- */

static void test_probe(void **state)
{
	struct bzspec s = spec_base();
	uint64_t len;
	uint8_t *p = spec_build(&s, &len);

	(void)state;
	assert_int_equal(fmt_bzimage_probe(p, len), 1);
	assert_int_equal(fmt_bzimage_probe(p, 0x206), 1);
	assert_int_equal(fmt_bzimage_probe(p, 0x205), 0);
	/* Either signature alone still claims it: a damaged bzImage, for the parser
	 * to name what is wrong. */
	p[0x1fe] = 0x56;
	assert_int_equal(fmt_bzimage_probe(p, len), 1);
	p[0x1fe] = 0x55;
	p[0x205] = 's';
	assert_int_equal(fmt_bzimage_probe(p, len), 1);
	p[0x1ff] = 0xab;			/* neither: not a bzImage */
	assert_int_equal(fmt_bzimage_probe(p, len), 0);
	p[0x1ff] = 0xaa;
	p[0x205] = 'S';
	memcpy(p, "\177ELF", 4);			/* an ELF is never a bzImage */
	assert_int_equal(fmt_bzimage_probe(p, len), 0);
	free(p);
}

static void test_parse_fields(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);

	(void)state;
	assert_int_equal(bz.version, 0x20f);
	assert_int_equal(bz.loadflags, 0x01);
	assert_int_equal(bz.relocatable, 1);
	assert_int_equal(bz.xloadflags, XLF_64 | XLF_ABOVE_4G);
	assert_int_equal(bz.min_alignment, 21);
	assert_int_equal(bz.kernel_alignment, 0x200000);
	assert_int_equal(bz.init_size, 0x800000);
	assert_int_equal(bz.cmdline_size, 0x7ff);
	assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bz.pref_address, 0x1000000);
	assert_int_equal(bz.kernel_off, 0xa00);
	assert_int_equal(bz.kernel_len, 0x3000);
	assert_int_equal(bz.header_end, 0x26c);

	s.setup_sects = 0;			/* means 4 */
	bz = parsed(&s);
	assert_int_equal(bz.kernel_off, 0xa00);
	s.setup_sects = 39;			/* Debian's */
	bz = parsed(&s);
	assert_int_equal(bz.kernel_off, 0x5000);
	assert_int_equal(bz.kernel_len, 0x3000);
}

/* Before 2.12 the bytes at 0x236 are padding: xloadflags reads as 0. */
static void test_parse_xloadflags_before_212(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;

	(void)state;
	s.version = 0x20b;
	bz = parsed(&s);
	assert_int_equal(bz.xloadflags, 0);
	s.version = 0x20c;
	bz = parsed(&s);
	assert_int_equal(bz.xloadflags, XLF_64 | XLF_ABOVE_4G);
	s.version = 0x20a;			/* the oldest accepted */
	s.jump = 0x62;				/* a 2.10 header ends at 0x264 */
	bz = parsed(&s);
	assert_int_equal(bz.header_end, 0x264);
}

/*
 * The setup header of a real file, read here with the boot protocol's offsets
 * (boot.rst, "The real-mode kernel header"), independently of fmt/bzimage.c:
 * what fmt_bzimage_parse() must report for it.
 */
static struct fmt_bzimage header_of(const uint8_t *p, uint64_t len)
{
	uint64_t koff = ((p[0x1f1] ? p[0x1f1] : 4) + 1) * 512ULL;	/* setup_sects 0 means 4 */
	uint16_t version = (uint16_t)get(p, 0x206, 2);

	assert_true(len > koff);
	return (struct fmt_bzimage){
		.version = version,
		.loadflags = p[0x211],
		.relocatable = p[0x234],
		.xloadflags = version >= 0x20c ? (uint16_t)get(p, 0x236, 2) : 0,
		.min_alignment = p[0x235],
		.kernel_alignment = (uint32_t)get(p, 0x230, 4),
		.init_size = (uint32_t)get(p, 0x260, 4),
		.cmdline_size = (uint32_t)get(p, 0x238, 4),
		.initrd_addr_max = (uint32_t)get(p, 0x22c, 4),
		.pref_address = get(p, 0x258, 8),
		.kernel_off = koff,
		.kernel_len = len - koff,
		.header_end = 0x202 + p[0x201],
	};
}

static void assert_header(const struct fmt_bzimage *bz, const struct fmt_bzimage *w)
{
	assert_int_equal(bz->version, w->version);
	assert_int_equal(bz->loadflags, w->loadflags);
	assert_int_equal(bz->relocatable, w->relocatable);
	assert_int_equal(bz->xloadflags, w->xloadflags);
	assert_int_equal(bz->min_alignment, w->min_alignment);
	assert_int_equal(bz->kernel_alignment, w->kernel_alignment);
	assert_int_equal(bz->init_size, w->init_size);
	assert_int_equal(bz->cmdline_size, w->cmdline_size);
	assert_int_equal(bz->initrd_addr_max, w->initrd_addr_max);
	assert_int_equal(bz->pref_address, w->pref_address);
	assert_int_equal(bz->kernel_off, w->kernel_off);
	assert_int_equal(bz->kernel_len, w->kernel_len);
	assert_int_equal(bz->header_end, w->header_end);
}

/* The highest page-aligned initrd of `size` bytes whose last byte is <= last. */
static uint64_t initrd_top(uint64_t last, uint64_t size)
{
	return (last + 1 - round_page(size)) & ~(PAGE - 1);
}

/*
 * The kernel the tests use (mk/vmlinuz.sh: linux-image-amd64's default flavour),
 * every expectation taken from its own setup header: parsed field by field,
 * placed at its pref_address on a PC with 2 GiB below 4 GiB and 2 GiB above, its
 * initrd at the top of RAM or of initrd_addr_max as its xloadflags allow.
 */
static void test_parse_real_kernel(void **state)
{
	struct fmt_bz_request rq;
	struct fmt_bzimage bz, want;
	struct fmt_bz_layout lay;
	struct map m = map_pc(2 * GiB);
	const char *cmdline = "console=ttyS0 root=/dev/vda ro";
	char path[256];
	uint64_t len = 0, rd = 30 * MiB + 123, below4g, ksize;
	uint8_t *p = host_read_kernel(path, sizeof(path), &len), *zp;

	(void)state;
	want = header_of(p, len);
	assert_int_equal(get(p, 0x1fe, 2), 0xaa55);
	assert_memory_equal(p + 0x202, "HdrS", 4);
	/* syssize: 16-byte paragraphs, the last one possibly partial */
	assert_true(get(p, 0x1f4, 4) * 16 <= want.kernel_len + 15);
	assert_int_equal(parse_exact(p, len, &bz), 0);
	assert_string_equal(g_msg, "");
	assert_header(&bz, &want);

	/* An x86-64 kernel at its pref_address, which this map has free. */
	ksize = round_page(want.init_size > want.kernel_len ? want.init_size : want.kernel_len);
	assert_true(want.xloadflags & XLF_64);
	assert_true(want.pref_address >= MiB + 2 * PAGE && want.pref_address + ksize <= 2 * GiB);
	assert_true(!want.relocatable || want.pref_address % want.kernel_alignment == 0);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.cmdline_len = strlen(cmdline);
	rq.initrd_len = rd;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, want.pref_address);
	assert_int_equal(lay.kernel_size, ksize);
	assert_int_equal(lay.entry, want.pref_address + 0x200);
	assert_int_equal(lay.boot, MiB);
	below4g = initrd_top(want.initrd_addr_max < 2 * GiB ? want.initrd_addr_max : 2 * GiB - 1, rd);
	assert_int_equal(lay.initrd, want.xloadflags & XLF_ABOVE_4G ? initrd_top(6 * GiB - 1, rd) : below4g);
	zp = boot_area(p, len, &bz, &rq, &lay, cmdline, NULL);
	assert_memory_equal(zp + 0x1f1, p + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(get(zp, 0x214, 4), lay.kernel);
	assert_int_equal(get(zp, 0x218, 4) | get(zp, 0xc0, 4) << 32, lay.initrd);
	assert_string_equal((const char *)zp + 4096, cmdline);
	free(zp);

	rq.entry = FMT_BZ_ENTRY32;		/* the initrd comes below initrd_addr_max */
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, want.pref_address);
	assert_int_equal(lay.entry, want.pref_address);
	assert_int_equal(lay.initrd, below4g);
	free(p);
}

static void test_parse_too_old(void **state)
{
	struct bzspec s = spec_base();

	(void)state;
	s.version = 0x208;
	expect_parse_error(&s, FMT_E_BZ_VERSION,
			   "bzImage: boot protocol 2.08 is too old (baton needs 2.10 or later)");
	s.version = 0x209;
	expect_parse_error(&s, FMT_E_BZ_VERSION,
			   "bzImage: boot protocol 2.09 is too old (baton needs 2.10 or later)");
}

static void test_parse_zimage(void **state)
{
	struct bzspec s = spec_base();

	(void)state;
	s.loadflags = 0;
	expect_parse_error(&s, FMT_E_BZ_NOT_BZIMAGE,
			   "bzImage: loadflags 0x00 lacks LOADED_HIGH: a zImage, loaded at 0x10000, is not supported");
	s.loadflags = 0x80;
	expect_parse_error(&s, FMT_E_BZ_NOT_BZIMAGE,
			   "bzImage: loadflags 0x80 lacks LOADED_HIGH: a zImage, loaded at 0x10000, is not supported");
}

static void test_parse_no_signature(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;
	uint64_t len;
	uint8_t *p = spec_build(&s, &len);

	(void)state;
	memcpy(p + 0x202, "HdrZ", 4);
	assert_int_equal(parse_exact(p, len, &bz), FMT_E_BZ_NOT_BZIMAGE);
	assert_string_equal(g_msg,
			    "bzImage: header magic 0x5a726448 at 0x202 is not \"HdrS\" (0x53726448)");
	memcpy(p + 0x202, "HdrS", 4);
	put(p, 0x1fe, 0xaa56, 2);
	assert_int_equal(parse_exact(p, len, &bz), FMT_E_BZ_NOT_BZIMAGE);
	assert_string_equal(g_msg, "bzImage: boot_flag 0xaa56 at 0x1fe is not 0xaa55");
	memcpy(p + 0x202, "Hdr\0", 4);
	assert_int_equal(parse_exact(p, len, &bz), FMT_E_BZ_NOT_BZIMAGE);
	assert_string_equal(g_msg,
			    "bzImage: boot_flag 0xaa56 at 0x1fe is not 0xaa55, header magic 0x00726448 at 0x202 is not \"HdrS\" (0x53726448)");
	free(p);
}

static void test_parse_truncated(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;
	uint64_t len;
	uint8_t *p = spec_build(&s, &len);

	(void)state;
	assert_int_equal(parse_exact(p, 0x205, &bz), FMT_E_BZ_TRUNCATED);
	assert_string_equal(g_msg,
			    "bzImage: image of 517 bytes ends before the \"HdrS\" signature at 0x202-0x205");
	assert_int_equal(parse_exact(p, 0xa00, &bz), FMT_E_BZ_TRUNCATED);
	assert_string_equal(g_msg,
			    "bzImage: setup_sects 4 puts the kernel at 0xa00, at or past the end of the 0xa00-byte image");
	p[0x1f1] = 0;				/* 0 means 4: the same place */
	assert_int_equal(parse_exact(p, 0x800, &bz), FMT_E_BZ_TRUNCATED);
	assert_string_equal(g_msg,
			    "bzImage: setup_sects 0 puts the kernel at 0xa00, at or past the end of the 0x800-byte image");
	free(p);

	s.syssize = 0x301;			/* 16 bytes more than the file holds */
	expect_parse_error(&s, FMT_E_BZ_TRUNCATED,
			   "bzImage: syssize 0x301 (0x3010 bytes) is longer than the 0x3000 bytes after the setup sectors: truncated");
	s.syssize = 0x300;
	s.kernel_len = 0x2ff0;			/* a file cut short */
	expect_parse_error(&s, FMT_E_BZ_TRUNCATED,
			   "bzImage: syssize 0x300 (0x3000 bytes) is longer than the 0x2ff0 bytes after the setup sectors: truncated");
}

/*
 * Every prefix of a valid image (syssize * 16 bytes after the setup sectors) is
 * refused but the last 15, which only lack part of syssize's last paragraph;
 * nothing reads past the end.
 */
static void test_parse_every_prefix(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;
	uint64_t len;
	uint8_t *p = spec_build(&s, &len);

	(void)state;
	assert_int_equal(parse_exact(p, len, &bz), 0);
	for (uint64_t n = 0; n < len; n++) {
		int err = parse_exact(p, n, &bz);

		if (n >= len - 15) {
			assert_int_equal(err, 0);
			assert_int_equal(bz.kernel_len, n - spec_kernel_off(&s));
			continue;
		}
		assert_true(err == FMT_E_BZ_TRUNCATED);
		assert_memory_equal(g_msg, "bzImage: ", 9);
	}
	free(p);
}

/*
 * syssize counts 16-byte paragraphs, the last one possibly partial: a file up
 * to 15 bytes short of syssize * 16 is whole (two real signed kernels end 8 bytes
 * short and boot); 16 bytes short lacks a paragraph and is truncated.
 */
static void test_parse_syssize_last_paragraph_partial(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;

	(void)state;
	for (uint64_t short_by = 1; short_by <= 15; short_by++) {
		s.kernel_len = 0x3000 - short_by;	/* syssize 0x300: 0x3000 bytes */
		bz = parsed(&s);
		assert_int_equal(bz.kernel_len, 0x3000 - short_by);
	}
	s.kernel_len = 0x3000 - 16;
	expect_parse_error(&s, FMT_E_BZ_TRUNCATED,
			   "bzImage: syssize 0x300 (0x3000 bytes) is longer than the 0x2ff0 bytes after the setup sectors: truncated");
	s.kernel_len = 0x3000 - 8;		/* init_size still counts the file */
	s.init_size = 0x2ff7;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: init_size 0x2ff7 is smaller than the 0x2ff8-byte protected-mode kernel");
	s.syssize = 0xffffffff;			/* 64 GiB: no wrap in the arithmetic */
	s.init_size = 0x800000;
	expect_parse_error(&s, FMT_E_BZ_TRUNCATED,
			   "bzImage: syssize 0xffffffff (0xffffffff0 bytes) is longer than the 0x2ff8 bytes after the setup sectors: truncated");
}

static void test_parse_bad_alignment(void **state)
{
	struct bzspec s = spec_base();

	(void)state;
	s.kernel_alignment = 0x300000;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: kernel_alignment 0x300000 is not a power of two of at least 4 KiB");
	s.kernel_alignment = 0x800;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: kernel_alignment 0x800 is not a power of two of at least 4 KiB");
	s.kernel_alignment = 0;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: kernel_alignment 0x0 is not a power of two of at least 4 KiB");
	s.relocatable = 0;			/* not relocatable: alignment unused */
	parsed(&s);
	s.relocatable = 1;
	s.kernel_alignment = 0x1000;
	parsed(&s);
}

static void test_parse_init_size_small(void **state)
{
	struct bzspec s = spec_base();

	(void)state;
	s.init_size = 0x2fff;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: init_size 0x2fff is smaller than the 0x3000-byte protected-mode kernel");
	s.init_size = 0x3000;
	parsed(&s);
}

static void test_parse_header_end(void **state)
{
	struct bzspec s = spec_base();

	(void)state;
	s.jump = 0x50;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: setup header end 0x252 (0x202 + byte 0x50 at 0x201) is outside 0x264-0x290");
	s.jump = 0x8f;
	expect_parse_error(&s, FMT_E_BZ_HEADER,
			   "bzImage: setup header end 0x291 (0x202 + byte 0x8f at 0x201) is outside 0x264-0x290");
	s.jump = 0x8e;
	parsed(&s);
}

/* ---- place ---------------------------------------------------------------- */

static void test_place_at_pref(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = map_pc(0);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);
	struct fmt_bz_layout lay;

	(void)state;
	rq.initrd_len = 5000;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 0x1000000);
	assert_int_equal(lay.kernel_size, 0x800000);
	assert_int_equal(lay.entry, 0x1000200);
	assert_int_equal(lay.boot, MiB);
	assert_int_equal(lay.boot_size, 2 * PAGE);
	assert_int_equal(lay.cmdline, MiB + PAGE);
	assert_int_equal(lay.setup_data, 0);
	assert_int_equal(lay.initrd, 2 * GiB - 2 * PAGE);	/* highest below initrd_addr_max */
	assert_int_equal(lay.initrd_size, 2 * PAGE);

	rq.entry = FMT_BZ_ENTRY32;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 0x1000000);
	assert_int_equal(lay.entry, 0x1000000);

	s.relocatable = 0;			/* pref free: a fixed kernel goes there too */
	bz = parsed(&s);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 0x1000000);
}

/* pref reserved, never-touch, unaligned or off RAM: the lowest aligned fit instead. */
static void test_place_pref_fallback(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = map_pc(0);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);
	struct fmt_bz_layout lay;

	(void)state;
	map_add(&m, 0x1400000, PAGE, RESERVED);	/* inside [pref, pref + 8 MiB) */
	rq = request(&m, FMT_BZ_ENTRY64);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 2 * MiB);
	assert_int_equal(lay.boot, MiB);

	m.r[m.n - 1].type = NEVER;
	map_add(&m, 2 * MiB, PAGE, NEVER);	/* 2 MiB taken too: next is 4 MiB */
	rq = request(&m, FMT_BZ_ENTRY64);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 4 * MiB);

	m = map_pc(0);
	rq = request(&m, FMT_BZ_ENTRY64);
	s.pref_address = 0x1001000;		/* not kernel_alignment aligned */
	bz = parsed(&s);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 2 * MiB);

	s.pref_address = 3 * GiB;		/* in the hole */
	bz = parsed(&s);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 2 * MiB);
}

/* Usable RAM split into touching ranges is one block; firmware holes are not. */
static void test_place_touching_ranges(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;
	struct map m = { .n = 0 };
	struct fmt_bz_request rq;
	struct fmt_bz_layout lay;

	(void)state;
	s.relocatable = 0;
	bz = parsed(&s);
	map_add(&m, 20 * MiB, 44 * MiB, USABLE);	/* listed out of order */
	map_add(&m, MiB, 3 * MiB, USABLE);
	map_add(&m, 4 * MiB, 16 * MiB, USABLE);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.initrd_len = 10 * MiB;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 16 * MiB);	/* spans the 20 MiB seam */
	assert_int_equal(lay.boot, MiB);
	assert_int_equal(lay.initrd, 54 * MiB);
}

static void test_place_not_relocatable_pref_taken(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;
	struct map m = map_pc(0);
	struct fmt_bz_request rq;

	(void)state;
	s.relocatable = 0;
	bz = parsed(&s);
	map_add(&m, 0x17ff000, PAGE, RESERVED);	/* the last page of [pref, pref + 8 MiB) */
	rq = request(&m, FMT_BZ_ENTRY64);
	expect_place_error(&bz, &rq, FMT_E_BZ_KERNEL_PLACE,
			   "bzImage: kernel is not relocatable and its pref_address 0x1000000-0x17fffff is not free usable RAM");
	m.r[m.n - 1].type = NEVER;
	expect_place_error(&bz, &rq, FMT_E_BZ_KERNEL_PLACE,
			   "bzImage: kernel is not relocatable and its pref_address 0x1000000-0x17fffff is not free usable RAM");
	m.n--;
	m.r[2].size = 0x17ff000 - MiB;		/* RAM ends a page short */
	rq = request(&m, FMT_BZ_ENTRY64);
	expect_place_error(&bz, &rq, FMT_E_BZ_KERNEL_PLACE,
			   "bzImage: kernel is not relocatable and its pref_address 0x1000000-0x17fffff is not free usable RAM");
}

static void test_place_kernel_nowhere(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = { .n = 0 };
	struct fmt_bz_request rq;

	(void)state;
	map_add(&m, MiB, 8 * MiB, USABLE);	/* 8 MiB fit only at 1 MiB: not 2 MiB aligned */
	map_add(&m, 9 * MiB, PAGE, RESERVED);
	map_add(&m, 9 * MiB + PAGE, 8 * MiB, USABLE);	/* from 10 MiB: 7 MiB + 4 KiB */
	rq = request(&m, FMT_BZ_ENTRY64);
	expect_place_error(&bz, &rq, FMT_E_BZ_KERNEL_PLACE,
			   "bzImage: init_size 0x800000 fits nowhere in usable RAM at kernel_alignment 0x200000");

	m.n = 0;				/* RAM only above 4 GiB, 32-bit entry */
	map_add(&m, 4 * GiB, GiB, USABLE);
	rq = request(&m, FMT_BZ_ENTRY32);
	expect_place_error(&bz, &rq, FMT_E_BZ_KERNEL_PLACE,
			   "bzImage: init_size 0x800000 fits nowhere in usable RAM at kernel_alignment 0x200000 below 4 GiB");
}

static void test_place_cmdline_too_long(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = map_pc(0);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);
	struct fmt_bz_layout lay;

	(void)state;
	rq.cmdline_len = 2048;
	expect_place_error(&bz, &rq, FMT_E_BZ_CMDLINE,
			   "bzImage: command line of 2048 bytes is longer than cmdline_size 2047");
	rq.cmdline_len = 2047;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.boot_size, 2 * PAGE);
	rq.cmdline_len = 4096;			/* cmdline + NUL takes two pages */
	s.cmdline_size = 8192;
	bz = parsed(&s);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.boot_size, 3 * PAGE);
}

static void test_place_no_entry64(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz;
	struct map m = map_pc(0);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);

	(void)state;
	s.version = 0x20b;
	bz = parsed(&s);
	expect_place_error(&bz, &rq, FMT_E_BZ_NO_ENTRY64,
			   "bzImage: boot protocol 2.11 has no 64-bit entry (xloadflags needs 2.12 or later)");
	rq.entry = FMT_BZ_ENTRY32;		/* the 32-bit entry is fine */
	placed(&bz, &rq, &m);

	s.version = 0x20f;
	s.xloadflags = XLF_ABOVE_4G;
	bz = parsed(&s);
	rq.entry = FMT_BZ_ENTRY64;
	expect_place_error(&bz, &rq, FMT_E_BZ_NO_ENTRY64,
			   "bzImage: xloadflags 0x0002 lacks XLF_KERNEL_64: no 64-bit entry");
	rq.entry = 7;
	expect_place_error(&bz, &rq, FMT_E_BZ_NO_ENTRY64,
			   "bzImage: entry convention 7 is neither 64-bit (1) nor 32-bit (2)");
}

/* 64-bit entry + XLF_CAN_BE_LOADED_ABOVE_4G: initrd at the top of RAM; else below. */
static void test_place_initrd_above_4g(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = map_pc(4 * GiB);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);
	struct fmt_bz_layout lay;

	(void)state;
	rq.initrd_len = 16 * MiB;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.initrd, 8 * GiB - 16 * MiB);
	assert_true(lay.boot + lay.boot_size <= 4 * GiB);

	rq.entry = FMT_BZ_ENTRY32;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.initrd, 2 * GiB - 16 * MiB);

	s.xloadflags = XLF_64;			/* 64-bit but not above 4 GiB */
	bz = parsed(&s);
	rq.entry = FMT_BZ_ENTRY64;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.initrd, 2 * GiB - 16 * MiB);

	s.initrd_addr_max = 0x37ffffff;		/* an older kernel's limit */
	bz = parsed(&s);
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.initrd, 0x38000000 - 16 * MiB);
}

/* The kernel may go above 4 GiB too, when it allows it and RAM below is short. */
static void test_place_kernel_above_4g(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = { .n = 0 };
	struct fmt_bz_request rq;
	struct fmt_bz_layout lay;

	(void)state;
	map_add(&m, MiB, 4 * MiB, USABLE);
	map_add(&m, 4 * GiB, GiB, USABLE);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.initrd_len = MiB;
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.kernel, 4 * GiB);
	assert_int_equal(lay.boot, MiB);
	assert_int_equal(lay.initrd, 5 * GiB - MiB);
}

static void test_place_initrd_nowhere(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = map_pc(0);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);

	(void)state;
	/* Not above 4 GiB capable: 2 GiB of RAM cannot hold a 2 GiB initrd. */
	s.xloadflags = XLF_64;
	bz = parsed(&s);
	rq.initrd_len = 2 * GiB - MiB;
	expect_place_error(&bz, &rq, FMT_E_BZ_INITRD_PLACE,
			   "bzImage: initrd of 2096128 KiB fits nowhere below initrd_addr_max 0x7fffffff");

	/* 64 MiB below 4 GiB, plenty above: only a 32-bit entry is stuck. */
	s.xloadflags = XLF_64 | XLF_ABOVE_4G;
	bz = parsed(&s);
	m.n = 0;
	map_add(&m, MiB, 63 * MiB, USABLE);
	map_add(&m, 4 * GiB, 8 * GiB, USABLE);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.initrd_len = 128 * MiB + 1;
	placed(&bz, &rq, &m);
	rq.entry = FMT_BZ_ENTRY32;
	expect_place_error(&bz, &rq, FMT_E_BZ_INITRD_PLACE,
			   "bzImage: initrd of 131073 KiB fits nowhere below initrd_addr_max 0x7fffffff");

	/* Above 4 GiB allowed, still too big. */
	rq.entry = FMT_BZ_ENTRY64;
	rq.initrd_len = 9 * GiB;
	expect_place_error(&bz, &rq, FMT_E_BZ_INITRD_PLACE,
			   "bzImage: initrd of 9437184 KiB fits nowhere below the top of RAM");
	rq.initrd_len = UINT64_MAX - 5;		/* page rounding would wrap */
	expect_place_error(&bz, &rq, FMT_E_BZ_INITRD_PLACE,
			   "bzImage: initrd of 18014398509481984 KiB fits nowhere below the top of RAM");
}

static void test_place_boot_nowhere(void **state)
{
	struct bzspec s = spec_base();
	struct fmt_bzimage bz = parsed(&s);
	struct map m = { .n = 0 };
	struct fmt_bz_request rq;

	(void)state;
	map_add(&m, 4 * GiB, GiB, USABLE);	/* the kernel fits above 4 GiB, the zero page not */
	rq = request(&m, FMT_BZ_ENTRY64);
	expect_place_error(&bz, &rq, FMT_E_BZ_BOOT_PLACE,
			   "bzImage: boot area of 8 KiB (zero page, command line, setup_data) fits nowhere in usable RAM between 1 MiB and 4 GiB");

	m.n = 0;				/* below 1 MiB does not count; the kernel fills the rest */
	map_add(&m, 0, 0x9f000, USABLE);
	map_add(&m, 16 * MiB, 8 * MiB, USABLE);
	rq = request(&m, FMT_BZ_ENTRY32);
	expect_place_error(&bz, &rq, FMT_E_BZ_BOOT_PLACE,
			   "bzImage: boot area of 8 KiB (zero page, command line, setup_data) fits nowhere in usable RAM between 1 MiB and 4 GiB");

	map_add(&m, 24 * MiB, 2 * PAGE, USABLE);	/* two more pages: enough */
	rq = request(&m, FMT_BZ_ENTRY32);
	assert_int_equal(placed(&bz, &rq, &m).boot, 24 * MiB);

	rq.dtb_len = 1ULL << 32;		/* a setup_data len is a u32 */
	expect_place_error(&bz, &rq, FMT_E_BZ_BOOT_PLACE,	/* the last two touch: one range */
			   "bzImage: 2 memory ranges and a 4294967296-byte DTB cannot fit a boot area below 4 GiB");
}

/* Random maps: whatever succeeds keeps every promise. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_place_random(void **state)
{
	int ok = 0;

	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		struct bzspec s = spec_base();
		struct map m = { .n = 0 };
		struct fmt_bz_request rq;
		struct fmt_bzimage bz;
		struct fmt_bz_layout lay;
		int n = 1 + (int)(rng_next() % 12);

		s.relocatable = rng_next() % 4 != 0;
		s.xloadflags = (uint16_t)(rng_next() % 4);
		s.kernel_alignment = 0x1000u << (rng_next() % 12);
		s.init_size = (uint32_t)(0x3000 + rng_next() % (32 * MiB));
		s.pref_address = (rng_next() % 64) * MiB;
		bz = parsed(&s);
		for (int i = 0; i < n; i++) {
			uint64_t base = (rng_next() % (6 * GiB / PAGE)) * PAGE;
			uint64_t size = (1 + rng_next() % (256 * MiB / PAGE)) * PAGE;
			uint32_t type = rng_next() % 3 ? USABLE : (uint32_t)(2 + rng_next() % 2);

			map_add(&m, base, size, type);
		}
		rq = request(&m, rng_next() % 2 ? FMT_BZ_ENTRY64 : FMT_BZ_ENTRY32);
		rq.initrd_len = rng_next() % 2 ? rng_next() % (64 * MiB) : 0;
		rq.dtb_len = rng_next() % 2 ? rng_next() % 10000 : 0;
		if (place(&bz, &rq, &lay) == 0) {
			check_layout(&bz, &rq, &m, &lay);
			ok++;
		} else {
			assert_memory_equal(g_msg, "bzImage: ", 9);
		}
	}
	assert_true(ok > 100);
}

/* ---- the boot area -------------------------------------------------------- */

static void test_boot_area_fields(void **state)
{
	struct bzspec s = spec_base();
	struct map m = map_pc(16 * GiB);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);
	const char *cmdline = "console=ttyS0 quiet";
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;
	uint64_t len;
	uint8_t *p, *zp;

	(void)state;
	s.loadflags = 0x81;			/* LOADED_HIGH | CAN_USE_HEAP */
	s.setup_data = 0x123456789;		/* stale: must not reach the kernel */
	p = spec_build(&s, &len);
	assert_int_equal(parse_exact(p, len, &bz), 0);
	rq.cmdline_len = strlen(cmdline);
	rq.initrd_len = 5 * GiB + 123;		/* above 4 GiB, and longer than a u32 */
	lay = placed(&bz, &rq, &m);
	assert_int_equal(lay.initrd, 20 * GiB - 5 * GiB - PAGE);
	zp = boot_area(p, len, &bz, &rq, &lay, cmdline, NULL);

	for (uint64_t i = 0; i < 0x1f1; i++)	/* outside the header: zero but for our fields */
		if (!(i >= 0xc0 && i < 0xcc) && i != 0x1e8)
			assert_int_equal(zp[i], 0);
	for (uint64_t i = 0x1f1; i < bz.header_end; i++)
		if (!(i >= 0x210 && i < 0x220) && !(i >= 0x228 && i < 0x22c) &&
		    !(i >= 0x250 && i < 0x258))
			assert_int_equal(zp[i], p[i]);
	for (uint64_t i = bz.header_end; i < 0x2d0; i++)
		assert_int_equal(zp[i], 0);
	assert_int_equal(zp[0x1ef], 0);		/* sentinel */
	assert_int_equal(zp[0x210], 0xff);	/* type_of_loader */
	assert_int_equal(zp[0x211], 0x01);	/* CAN_USE_HEAP cleared */
	assert_int_equal(get(zp, 0x212, 2), get(p, 0x212, 2));
	assert_int_equal(get(zp, 0x214, 4), lay.kernel);
	assert_int_equal(get(zp, 0x218, 4), (uint32_t)lay.initrd);
	assert_int_equal(get(zp, 0xc0, 4), lay.initrd >> 32);
	assert_int_equal(get(zp, 0x21c, 4), (uint32_t)(5 * GiB + 123));
	assert_int_equal(get(zp, 0xc4, 4), 1);
	assert_int_equal(get(zp, 0x228, 4), lay.cmdline);
	assert_int_equal(get(zp, 0xc8, 4), 0);
	assert_int_equal(get(zp, 0x250, 8), 0);	/* no setup_data */
	assert_int_equal(zp[0x1e8], m.n);
	for (uint64_t i = 0; i < m.n; i++)
		check_e820(zp + 0x2d0 + 20 * i, &m.r[i]);
	for (uint64_t i = 0x2d0 + 20 * m.n; i < PAGE; i++)
		assert_int_equal(zp[i], 0);
	assert_string_equal((const char *)zp + PAGE, cmdline);
	for (uint64_t i = PAGE + rq.cmdline_len; i < lay.boot_size; i++)
		assert_int_equal(zp[i], 0);
	free(zp);

	rq.initrd_len = 0;			/* no initrd: the ramdisk fields stay 0 */
	rq.cmdline_len = 0;
	lay = placed(&bz, &rq, &m);
	zp = boot_area(p, len, &bz, &rq, &lay, NULL, NULL);
	assert_int_equal(get(zp, 0x218, 8), 0);
	assert_int_equal(get(zp, 0xc0, 8), 0);
	assert_int_equal(zp[PAGE], 0);
	free(zp);
	free(p);
}

/* A map with n entries: low RAM, n - 2 one-page ranges of every type, [1 GiB, 3 GiB) usable. */
static struct map map_many(uint64_t n)
{
	struct map m = { .n = 0 };

	map_add(&m, 0, 0x9f000, USABLE);
	for (uint64_t i = 1; i + 1 < n; i++)
		map_add(&m, MiB + (i - 1) * 2 * PAGE, PAGE, (uint32_t)(1 + i % 3));
	map_add(&m, GiB, 2 * GiB, USABLE);
	return m;
}

static void test_boot_area_e820_ext_and_dtb(void **state)
{
	struct bzspec s = spec_base();
	struct map m = map_many(200);
	struct fmt_bz_request rq = request(&m, FMT_BZ_ENTRY64);
	const char *cmdline = "root=/dev/sda1";
	uint8_t dtb[1001];
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;
	uint64_t len, n1, n2;
	uint8_t *p, *zp;

	(void)state;
	for (size_t i = 0; i < sizeof(dtb); i++)
		dtb[i] = (uint8_t)(i * 13 + 1);
	p = spec_build(&s, &len);
	assert_int_equal(parse_exact(p, len, &bz), 0);
	rq.cmdline_len = strlen(cmdline);
	rq.dtb_len = sizeof(dtb);
	lay = placed(&bz, &rq, &m);
	n1 = lay.boot + 2 * PAGE;		/* after the zero page and one cmdline page */
	n2 = n1 + 16 + 72 * 20;			/* 1456: already 8-byte aligned */
	assert_int_equal(lay.kernel, GiB);	/* no 8 MiB of one-page ranges */
	assert_int_equal(lay.setup_data, n1);
	assert_int_equal(lay.boot_size, round_page(n2 + 16 + sizeof(dtb) - lay.boot));
	zp = boot_area(p, len, &bz, &rq, &lay, cmdline, dtb);

	assert_int_equal(zp[0x1e8], 128);
	for (uint64_t i = 0; i < 128; i++)
		check_e820(zp + 0x2d0 + 20 * i, &m.r[i]);
	assert_int_equal(get(zp, 0x250, 8), n1);
	assert_int_equal(get(zp, n1 - lay.boot, 8), n2);		/* next */
	assert_int_equal(get(zp, n1 - lay.boot + 8, 4), 1);	/* SETUP_E820_EXT */
	assert_int_equal(get(zp, n1 - lay.boot + 12, 4), 72 * 20);
	for (uint64_t i = 0; i < 72; i++)
		check_e820(zp + n1 - lay.boot + 16 + 20 * i, &m.r[128 + i]);
	assert_int_equal(get(zp, n2 - lay.boot, 8), 0);		/* last node */
	assert_int_equal(get(zp, n2 - lay.boot + 8, 4), 2);	/* SETUP_DTB */
	assert_int_equal(get(zp, n2 - lay.boot + 12, 4), sizeof(dtb));
	assert_memory_equal(zp + n2 - lay.boot + 16, dtb, sizeof(dtb));
	for (uint64_t i = n2 - lay.boot + 16 + sizeof(dtb); i < lay.boot_size; i++)
		assert_int_equal(zp[i], 0);
	assert_string_equal((const char *)zp + PAGE, cmdline);
	free(zp);

	/* 129 entries: a 36-byte node, so the DTB node starts 8-byte aligned at +40. */
	m = map_many(129);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.cmdline_len = 0;
	rq.dtb_len = sizeof(dtb);
	lay = placed(&bz, &rq, &m);
	zp = boot_area(p, len, &bz, &rq, &lay, "", dtb);
	n1 = lay.boot + 2 * PAGE;
	assert_int_equal(get(zp, 0x250, 8), n1);
	assert_int_equal(get(zp, n1 - lay.boot, 8), n1 + 40);
	assert_int_equal(get(zp, n1 - lay.boot + 12, 4), 20);
	check_e820(zp + n1 - lay.boot + 16, &m.r[128]);
	assert_int_equal(get(zp, n1 + 40 - lay.boot + 8, 4), 2);
	free(zp);

	/* 128 entries exactly: no extension node, the DTB node comes first. */
	m = map_many(128);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.cmdline_len = 0;
	rq.dtb_len = sizeof(dtb);
	lay = placed(&bz, &rq, &m);
	zp = boot_area(p, len, &bz, &rq, &lay, "", dtb);
	assert_int_equal(zp[0x1e8], 128);
	assert_int_equal(lay.setup_data, lay.boot + 2 * PAGE);
	assert_int_equal(get(zp, 0x250, 8), lay.setup_data);
	assert_int_equal(get(zp, 2 * PAGE, 8), 0);
	assert_int_equal(get(zp, 2 * PAGE + 8, 4), 2);
	free(zp);

	/* 200 entries, no DTB: the extension node is the last. */
	m = map_many(200);
	rq = request(&m, FMT_BZ_ENTRY64);
	rq.cmdline_len = 0;
	lay = placed(&bz, &rq, &m);
	zp = boot_area(p, len, &bz, &rq, &lay, "", NULL);
	assert_int_equal(get(zp, 0x250, 8), lay.boot + 2 * PAGE);
	assert_int_equal(get(zp, 2 * PAGE, 8), 0);
	assert_int_equal(lay.boot_size, 3 * PAGE);
	free(zp);
	free(p);
}

/* ---- messages ------------------------------------------------------------- */

static void test_strerror(void **state)
{
	const char *unknown = "unknown fmt error";

	(void)state;
	for (int e = FMT_E_BZ_BOOT_PLACE; e <= FMT_E_BZ_TRUNCATED; e++) {
		const char *m = fmt_strerror(e);

		assert_string_not_equal(m, unknown);
		assert_memory_equal(m, "bzImage: ", 9);
		assert_null(strchr(m, '\n'));
		for (int o = FMT_E_BZ_BOOT_PLACE; o < e; o++)
			assert_string_not_equal(m, fmt_strerror(o));
	}
	assert_string_equal(fmt_strerror(FMT_E_BZ_TRUNCATED + 1), unknown);	/* -119 */
	assert_string_equal(fmt_strerror(FMT_E_BZ_BOOT_PLACE - 1), unknown);	/* -129 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_xloadflags_before_212),
		cmocka_unit_test(test_parse_real_kernel),
		cmocka_unit_test(test_parse_too_old),
		cmocka_unit_test(test_parse_zimage),
		cmocka_unit_test(test_parse_no_signature),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_every_prefix),
		cmocka_unit_test(test_parse_syssize_last_paragraph_partial),
		cmocka_unit_test(test_parse_bad_alignment),
		cmocka_unit_test(test_parse_init_size_small),
		cmocka_unit_test(test_parse_header_end),
		cmocka_unit_test(test_place_at_pref),
		cmocka_unit_test(test_place_pref_fallback),
		cmocka_unit_test(test_place_touching_ranges),
		cmocka_unit_test(test_place_not_relocatable_pref_taken),
		cmocka_unit_test(test_place_kernel_nowhere),
		cmocka_unit_test(test_place_cmdline_too_long),
		cmocka_unit_test(test_place_no_entry64),
		cmocka_unit_test(test_place_initrd_above_4g),
		cmocka_unit_test(test_place_kernel_above_4g),
		cmocka_unit_test(test_place_initrd_nowhere),
		cmocka_unit_test(test_place_boot_nowhere),
		cmocka_unit_test(test_place_random),
		cmocka_unit_test(test_boot_area_fields),
		cmocka_unit_test(test_boot_area_e820_ext_and_dtb),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
