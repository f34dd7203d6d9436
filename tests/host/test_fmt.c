/* SPDX-License-Identifier: MIT */
/*
 * fmt/ host tests: crafted ELF32/ELF64 images built byte by byte here (so the
 * test does not share the implementation's structs), real files from ld, and
 * /bin/true (a PIE, refused); Multiboot headers crafted from the specifications
 * (tests/host/mbcraft.h) at the edges of their windows. Every load and scan runs
 * on a heap copy of exactly the image's length, so under ASan a read past the
 * end is a crash, not luck.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/fmt.h"
#include "fmt/multiboot.h"
#include "tests/host/hostfile.h"
#include "tests/host/mbcraft.h"

#define PT_LOAD		1
#define PT_GNU_STACK	0x6474e551
#define ET_REL		1
#define ET_EXEC		2
#define ET_DYN		3
#define EM_386		3
#define EM_X86_64	62
#define PF_X		1
#define PF_W		2
#define PF_R		4

#define KVA64		0xffffffff80000000ULL	/* vaddr - paddr of the crafted ELF64 */
#define KVA32		0xc0000000ULL		/* same for ELF32 */

/* ---- crafting images ---------------------------------------------------- */

struct ph {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct spec {
	int bits;			/* 32 or 64: the layout written */
	uint8_t ident[16];
	uint16_t type, machine, phentsize, phnum;
	uint32_t version;
	uint64_t entry, phoff;
	uint64_t len;			/* 0: just past the last byte written */
	int nph;
	struct ph ph[FMT_MAX_SEGMENTS + 16];
};

static uint8_t g_buf[1 << 16];

static void put(uint8_t *p, uint64_t off, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static void spec_add(struct spec *s, struct ph ph)
{
	assert_true(s->nph < (int)(sizeof(s->ph) / sizeof(s->ph[0])));
	s->ph[s->nph++] = ph;
	s->phnum = (uint16_t)s->nph;
}

static struct spec spec_base(int bits)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.bits = bits;
	memcpy(s.ident, "\177ELF", 4);
	s.ident[4] = bits == 64 ? 2 : 1;	/* class */
	s.ident[5] = 1;				/* little endian */
	s.ident[6] = 1;				/* version */
	s.type = ET_EXEC;
	s.machine = bits == 64 ? EM_X86_64 : EM_386;
	s.version = 1;
	s.phoff = bits == 64 ? 64 : 52;
	s.phentsize = bits == 64 ? 56 : 32;
	return s;
}

/*
 * The reference image: segment B listed before A (the loader must sort),
 * a hole between them, a bss tail on B, a non-load phdr and an empty PT_LOAD
 * with a bogus offset (both must be ignored), vaddr != paddr.
 */
static struct spec spec_valid(int bits)
{
	uint64_t kva = bits == 64 ? KVA64 : KVA32;
	struct spec s = spec_base(bits);

	spec_add(&s, (struct ph){ PT_LOAD, PF_R | PF_W, 0x2000, kva + 0x200000,
				  0x200000, 0x100, 0x3000 });
	spec_add(&s, (struct ph){ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0 });
	spec_add(&s, (struct ph){ PT_LOAD, PF_R | PF_X, 0x1000, kva + 0x100000,
				  0x100000, 0x200, 0x200 });
	spec_add(&s, (struct ph){ PT_LOAD, PF_R, 0xdeadbeef, kva + 0x100100,
				  0x100100, 0, 0 });
	s.entry = kva + 0x100010;
	return s;
}

static void write_ehdr(uint8_t *p, const struct spec *s)
{
	int w = s->bits == 64 ? 8 : 4;		/* width of entry/phoff/shoff */
	int o = s->bits == 64 ? 48 : 36;	/* offset of e_flags */

	memcpy(p, s->ident, 16);
	put(p, 16, s->type, 2);
	put(p, 18, s->machine, 2);
	put(p, 20, s->version, 4);
	put(p, 24, s->entry, w);
	put(p, 24 + w, s->phoff, w);
	put(p, o + 4, s->bits == 64 ? 64 : 52, 2);	/* e_ehsize */
	put(p, o + 6, s->phentsize, 2);
	put(p, o + 8, s->phnum, 2);
}

static void write_phdr(uint8_t *p, int bits, const struct ph *ph)
{
	put(p, 0, ph->type, 4);
	if (bits == 64) {
		put(p, 4, ph->flags, 4);
		put(p, 8, ph->offset, 8);
		put(p, 16, ph->vaddr, 8);
		put(p, 24, ph->paddr, 8);
		put(p, 32, ph->filesz, 8);
		put(p, 40, ph->memsz, 8);
		put(p, 48, 0x1000, 8);
	} else {
		put(p, 4, ph->offset, 4);
		put(p, 8, ph->vaddr, 4);
		put(p, 12, ph->paddr, 4);
		put(p, 16, ph->filesz, 4);
		put(p, 20, ph->memsz, 4);
		put(p, 24, ph->flags, 4);
		put(p, 28, 0x1000, 4);
	}
}

/* Fill segment bytes that fit the buffer; returns the end of the last one. */
static uint64_t write_segments(const struct spec *s)
{
	uint64_t end = 0;

	for (int i = 0; i < s->nph; i++) {
		const struct ph *ph = &s->ph[i];

		if (ph->type != PT_LOAD || ph->filesz == 0 ||
		    ph->offset > sizeof(g_buf) || ph->filesz > sizeof(g_buf) - ph->offset)
			continue;
		memset(g_buf + ph->offset, 0xa0 + i, ph->filesz);
		if (ph->offset + ph->filesz > end)
			end = ph->offset + ph->filesz;
	}
	return end;
}

/* Lay the spec out in g_buf; returns the image length. */
static uint64_t build(const struct spec *s)
{
	uint64_t esz = s->bits == 64 ? 56 : 32, end = s->bits == 64 ? 64 : 52;
	uint64_t seg_end;

	memset(g_buf, 0, sizeof(g_buf));
	seg_end = write_segments(s);
	if (seg_end > end)
		end = seg_end;
	if (s->phoff <= sizeof(g_buf) && (uint64_t)s->nph * esz <= sizeof(g_buf) - s->phoff) {
		for (int i = 0; i < s->nph; i++)
			write_phdr(g_buf + s->phoff + i * esz, s->bits, &s->ph[i]);
		if (s->phoff + s->nph * esz > end)
			end = s->phoff + s->nph * esz;
	}
	write_ehdr(g_buf, s);	/* last: a segment at offset 0 must not erase it */
	if (s->len)
		end = s->len;
	assert_true(end <= sizeof(g_buf));
	return end;
}

typedef int (*load_fn)(const void *buf, uint64_t len, struct fmt_image *img);

/* Load `len` bytes of p from a heap block of exactly that size. */
static int load_exact(load_fn fn, const void *p, uint64_t len, struct fmt_image *img)
{
	void *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, p, len);
	err = fn(copy, len, img);
	free(copy);
	return err;
}

static int load_with(load_fn fn, const struct spec *s, struct fmt_image *img)
{
	return load_exact(fn, g_buf, build(s), img);
}

static int load_spec(const struct spec *s)
{
	static struct fmt_image img;

	return load_with(fmt_load, s, &img);
}

/* What every successful load promises, whatever the input was. */
static void check_invariants(const struct fmt_image *img, uint64_t len)
{
	int entry_ok = 0;

	assert_true(img->kind == FMT_KIND_ELF32 || img->kind == FMT_KIND_ELF64);
	assert_true(img->nseg >= 1 && img->nseg <= FMT_MAX_SEGMENTS);
	for (uint32_t i = 0; i < img->nseg; i++) {
		const struct fmt_segment *g = &img->seg[i];
		uint64_t end;

		assert_true(g->memsz > 0 && g->filesz <= g->memsz);
		assert_false(__builtin_add_overflow(g->offset, g->filesz, &end));
		assert_true(end <= len);
		assert_false(__builtin_add_overflow(g->paddr, g->memsz, &end));
		if (img->kind == FMT_KIND_ELF32)
			assert_true(end <= (1ULL << 32));
		if (i > 0)
			assert_true(g->paddr >= img->seg[i - 1].paddr + img->seg[i - 1].memsz);
		if (img->entry >= g->paddr && img->entry - g->paddr < g->memsz)
			entry_ok = 1;
	}
	assert_true(entry_ok);
	assert_int_equal(img->low, img->seg[0].paddr);
	assert_int_equal(img->high, img->seg[img->nseg - 1].paddr +
			 img->seg[img->nseg - 1].memsz);
}

/* ---- valid images --------------------------------------------------------- */

static void check_reference(const struct fmt_image *img, uint32_t kind)
{
	assert_int_equal(img->kind, kind);
	assert_int_equal(img->nseg, 2);
	assert_int_equal(img->seg[0].paddr, 0x100000);
	assert_int_equal(img->seg[0].filesz, 0x200);
	assert_int_equal(img->seg[0].memsz, 0x200);
	assert_int_equal(img->seg[0].offset, 0x1000);
	assert_int_equal(img->seg[0].flags, PF_R | PF_X);
	assert_int_equal(img->seg[1].paddr, 0x200000);
	assert_int_equal(img->seg[1].filesz, 0x100);
	assert_int_equal(img->seg[1].memsz, 0x3000);
	assert_int_equal(img->seg[1].offset, 0x2000);
	assert_int_equal(img->seg[1].flags, PF_R | PF_W);
	assert_int_equal(img->entry, 0x100010);
	assert_int_equal(img->low, 0x100000);
	assert_int_equal(img->high, 0x203000);
}

static void test_valid_elf64(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;
	uint64_t len = build(&s);

	(void)state;
	assert_int_equal(load_with(fmt_elf64_load, &s, &img), 0);
	check_reference(&img, FMT_KIND_ELF64);
	check_invariants(&img, len);
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	check_reference(&img, FMT_KIND_ELF64);
}

static void test_valid_elf32(void **state)
{
	struct spec s = spec_valid(32);
	struct fmt_image img;
	uint64_t len = build(&s);

	(void)state;
	assert_int_equal(load_with(fmt_elf32_load, &s, &img), 0);
	check_reference(&img, FMT_KIND_ELF32);
	check_invariants(&img, len);
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	check_reference(&img, FMT_KIND_ELF32);
}

/* Headers at odd addresses: the loader must not read fields in place. */
static void test_unaligned_buffer(void **state)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct spec s = spec_valid(bits);
		uint64_t len = build(&s);
		uint8_t *p = malloc(len + 3);
		struct fmt_image img;

		assert_non_null(p);
		for (int shift = 1; shift <= 3; shift++) {
			memcpy(p + shift, g_buf, len);
			assert_int_equal(fmt_load(p + shift, len, &img), 0);
			check_reference(&img, bits == 64 ? FMT_KIND_ELF64 : FMT_KIND_ELF32);
		}
		free(p);
	}
}

static void test_bss_only_segment(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	/* filesz 0: no file bytes, so any offset is fine and reported as 0 */
	s.ph[0].filesz = 0;
	s.ph[0].offset = 0xffffffffffff0000ULL;
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	assert_int_equal(img.seg[1].filesz, 0);
	assert_int_equal(img.seg[1].offset, 0);
	assert_int_equal(img.seg[1].memsz, 0x3000);
}

static void test_entry_in_bss(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	s.entry = KVA64 + 0x202ffc;	/* past B's file bytes, inside its memsz */
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	assert_int_equal(img.entry, 0x202ffc);
}

static void test_touching_segments_pass(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	s.ph[0].paddr = 0x100200;	/* B starts exactly where A ends */
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.seg[1].paddr, 0x100200);
	assert_int_equal(img.high, 0x103200);
}

/* ELF32: a segment whose end is exactly 4 GiB is still addressable. */
static void test_elf32_ends_at_4g(void **state)
{
	struct spec s = spec_valid(32);
	struct fmt_image img;

	(void)state;
	s.ph[0].paddr = 0xffffd000;
	s.ph[0].vaddr = 0xffffd000;
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	assert_int_equal(img.high, 0x100000000ULL);
}

static void test_max_segments_pass(void **state)
{
	struct spec s = spec_base(64);
	struct fmt_image img;

	(void)state;
	for (int i = 0; i < FMT_MAX_SEGMENTS; i++)
		spec_add(&s, (struct ph){ PT_LOAD, PF_R, 0, 0x100000 + i * 0x1000ULL,
					  0x100000 + i * 0x1000ULL, 0, 0x1000 });
	/* neither empty PT_LOADs nor other types count against the limit */
	for (int i = 0; i < 8; i++)
		spec_add(&s, (struct ph){ i & 1 ? PT_LOAD : PT_GNU_STACK, 0, 0, 0, 0, 0, 0 });
	s.entry = 0x100000;
	assert_int_equal(load_with(fmt_load, &s, &img), 0);
	assert_int_equal(img.nseg, FMT_MAX_SEGMENTS);
	assert_int_equal(img.high, 0x100000 + FMT_MAX_SEGMENTS * 0x1000ULL);
}

static void test_probe(void **state)
{
	struct spec s64 = spec_valid(64), s32 = spec_valid(32);

	(void)state;
	build(&s64);
	assert_int_equal(fmt_elf64_probe(g_buf, 64), 1);
	assert_int_equal(fmt_elf32_probe(g_buf, 64), 0);
	assert_int_equal(fmt_elf64_probe(g_buf, 5), 1);
	assert_int_equal(fmt_elf64_probe(g_buf, 4), 0);
	build(&s32);
	assert_int_equal(fmt_elf32_probe(g_buf, 52), 1);
	assert_int_equal(fmt_elf64_probe(g_buf, 52), 0);
}

/* ---- real files ----------------------------------------------------------- */

static uint64_t needed_len(const struct fmt_image *img, uint64_t table_end)
{
	uint64_t need = table_end;

	for (uint32_t i = 0; i < img->nseg; i++)
		if (img->seg[i].offset + img->seg[i].filesz > need)
			need = img->seg[i].offset + img->seg[i].filesz;
	return need;
}

/*
 * ld's output at 1 MiB: loads, entry 0x100000, a bss tail. Every prefix then
 * fails exactly when it cuts the headers or segment bytes, and otherwise
 * gives the same result as the whole file.
 */
static void check_real(const char *path, uint32_t kind, uint64_t table_end_of_hdr)
{
	struct fmt_image full, img;
	uint64_t len, need;
	uint8_t *p = host_read_file(path, &len);
	int bss = 0;

	if (!p)
		fail_msg("cannot read %s (built by tests/host/fmt/build.mk)", path);
	assert_int_equal(load_exact(fmt_load, p, len, &full), 0);
	assert_int_equal(full.kind, kind);
	assert_int_equal(full.entry, 0x100000);
	assert_true(full.nseg >= 2);
	check_invariants(&full, len);
	for (uint32_t i = 0; i < full.nseg; i++)
		bss |= full.seg[i].memsz > full.seg[i].filesz;
	assert_true(bss);

	need = needed_len(&full, table_end_of_hdr);
	for (uint64_t n = 0; n < len; n++) {
		int err = load_exact(fmt_load, p, n, &img);

		if (n < need) {
			assert_int_not_equal(err, 0);
			continue;
		}
		assert_int_equal(err, 0);
		assert_memory_equal(&img, &full, sizeof(img));
	}
	free(p);
}

static uint64_t phtab_end(const char *path, int bits)
{
	uint64_t len, phoff, end;
	uint8_t *p = host_read_file(path, &len);
	uint16_t phnum;

	if (!p)
		fail_msg("cannot read %s", path);
	if (bits == 64) {
		memcpy(&phoff, p + 32, 8);
		memcpy(&phnum, p + 56, 2);
		end = phoff + phnum * 56ULL;
	} else {
		uint32_t off32;

		memcpy(&off32, p + 28, 4);
		memcpy(&phnum, p + 44, 2);
		end = off32 + phnum * 32ULL;
	}
	free(p);
	return end;
}

static void test_real_elf64(void **state)
{
	(void)state;
	check_real(FMT_TINY64, FMT_KIND_ELF64, phtab_end(FMT_TINY64, 64));
}

static void test_real_elf32(void **state)
{
	(void)state;
	check_real(FMT_TINY32, FMT_KIND_ELF32, phtab_end(FMT_TINY32, 32));
}

/* /bin/true on Debian is a PIE (ET_DYN): it needs relocating, so it is refused. */
static void test_real_pie_refused(void **state)
{
	struct fmt_image img;
	uint64_t len;
	uint8_t *p = host_read_file("/bin/true", &len);

	(void)state;
	assert_non_null(p);		/* coreutils is essential on Debian */
	assert_int_equal(load_exact(fmt_load, p, len, &img), FMT_E_TYPE);
	assert_int_equal(img.nseg, 0);
	free(p);
}

/* ---- errors: header ------------------------------------------------------- */

/* Every prefix of the crafted images fails, with the cheap codes at the front. */
static void test_truncated_prefixes(void **state)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct spec s = spec_valid(bits);
		uint64_t len = build(&s);
		uint64_t ehdr = bits == 64 ? 64 : 52;
		struct fmt_image img;

		for (uint64_t n = 0; n < len; n++) {
			int err = load_exact(fmt_load, g_buf, n, &img);

			if (n < 5)
				assert_int_equal(err, FMT_E_UNSUPPORTED);
			else if (n < ehdr)
				assert_int_equal(err, FMT_E_TRUNCATED);
			else
				assert_int_not_equal(err, 0);
			assert_int_equal(img.nseg, 0);
		}
	}
}

static void test_truncated_direct(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	build(&s);
	assert_int_equal(load_exact(fmt_elf64_load, g_buf, 63, &img), FMT_E_TRUNCATED);
	assert_int_equal(load_exact(fmt_elf64_load, g_buf, 4, &img), FMT_E_TRUNCATED);
	assert_int_equal(load_exact(fmt_elf64_load, g_buf, 3, &img), FMT_E_UNSUPPORTED);
	assert_int_equal(load_exact(fmt_elf32_load, g_buf, 51, &img), FMT_E_TRUNCATED);
}

static void test_bad_magic(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	s.ident[1] = 'e';
	assert_int_equal(load_spec(&s), FMT_E_UNSUPPORTED);
	assert_int_equal(load_with(fmt_elf64_load, &s, &img), FMT_E_UNSUPPORTED);
	assert_int_equal(load_with(fmt_elf32_load, &s, &img), FMT_E_UNSUPPORTED);
}

/* Not ELF at all: nothing claims it. */
static void test_unsupported(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not an ELF image\n";
	struct fmt_image img;

	(void)state;
	assert_int_equal(load_exact(fmt_load, text, sizeof(text), &img), FMT_E_UNSUPPORTED);
	assert_int_equal(load_exact(fmt_load, text, 0, &img), FMT_E_UNSUPPORTED);
	memset(g_buf, 0, 4096);
	assert_int_equal(load_exact(fmt_load, g_buf, 4096, &img), FMT_E_UNSUPPORTED);
}

static void test_bad_class(void **state)
{
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	s.ident[4] = 3;		/* neither class: no probe claims it */
	assert_int_equal(load_spec(&s), FMT_E_UNSUPPORTED);
	assert_int_equal(load_with(fmt_elf64_load, &s, &img), FMT_E_CLASS);
	s = spec_valid(32);	/* right image, wrong loader */
	assert_int_equal(load_with(fmt_elf64_load, &s, &img), FMT_E_CLASS);
	s = spec_valid(64);
	assert_int_equal(load_with(fmt_elf32_load, &s, &img), FMT_E_CLASS);
}

static void test_bad_data_and_version(void **state)
{
	(void)state;
	for (int bits = 32; bits <= 64; bits += 32) {
		struct spec s = spec_valid(bits);

		s.ident[5] = 2;		/* big endian */
		assert_int_equal(load_spec(&s), FMT_E_CLASS);
		s = spec_valid(bits);
		s.ident[6] = 0;
		assert_int_equal(load_spec(&s), FMT_E_CLASS);
		s = spec_valid(bits);
		s.version = 2;
		assert_int_equal(load_spec(&s), FMT_E_CLASS);
	}
}

static void test_bad_machine(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.machine = EM_386;
	assert_int_equal(load_spec(&s), FMT_E_MACHINE);
	s = spec_valid(32);
	s.machine = EM_X86_64;
	assert_int_equal(load_spec(&s), FMT_E_MACHINE);
	s.machine = 183;	/* AArch64 */
	assert_int_equal(load_spec(&s), FMT_E_MACHINE);
}

static void test_bad_type(void **state)
{
	static const uint16_t types[] = { 0, ET_REL, ET_DYN, 4, 0xfe00 };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct spec s = spec_valid(i & 1 ? 32 : 64);

		s.type = types[i];
		assert_int_equal(load_spec(&s), FMT_E_TYPE);
	}
}

/* ---- errors: program header table ----------------------------------------- */

static void test_bad_phentsize(void **state)
{
	static const uint16_t sizes[] = { 0, 32, 55, 57, 64, 0xffff };
	struct spec s;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s = spec_valid(64);
		s.phentsize = sizes[i];
		assert_int_equal(load_spec(&s), FMT_E_PHDR);
	}
	s = spec_valid(32);
	s.phentsize = 56;
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
}

static void test_phoff_past_end(void **state)
{
	struct spec s = spec_valid(64);
	uint64_t len = build(&s);

	(void)state;
	s.len = len;
	s.phoff = len;			/* starts at the end */
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
	s.phoff = len - 56 * 4 + 1;	/* straddles the end by one byte */
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
	s = spec_valid(32);
	s.phoff = 0xfffffff0;
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
}

/* e_phoff + e_phnum * e_phentsize must not wrap back into the buffer. */
static void test_phtab_overflow(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.phoff = UINT64_MAX - 56 * 2;		/* + 4 entries wraps to a small value */
	s.len = 0x2100;
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
	s.phoff = 64;
	s.phnum = 0xfffe;			/* 3.6 MB table in an 8 KB image */
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
	s.phnum = 0xffff;			/* PN_XNUM: count lives elsewhere */
	assert_int_equal(load_spec(&s), FMT_E_PHDR);
}

/*
 * PN_XNUM is refused even when the buffer really holds 0xffff entries (one
 * PT_LOAD, the rest PT_NULL): the count it stands for is somewhere else.
 */
static void test_pn_xnum(void **state)
{
	struct spec s = spec_valid(64);
	uint64_t len = 0x3000 + 0xffffULL * 56;
	uint8_t *p = calloc(1, len);
	struct fmt_image img;

	(void)state;
	assert_non_null(p);
	memcpy(p, g_buf, build(&s));
	put(p, 32, 0x3000, 8);				/* e_phoff past the segments */
	write_phdr(p + 0x3000, 64, &s.ph[2]);		/* A; the rest stay PT_NULL */
	put(p, 56, 0xfffe, 2);
	assert_int_equal(load_exact(fmt_load, p, len, &img), 0);	/* control */
	assert_int_equal(img.nseg, 1);
	put(p, 56, 0xffff, 2);
	assert_int_equal(load_exact(fmt_load, p, len, &img), FMT_E_PHDR);
	free(p);
}

static void test_no_segments(void **state)
{
	struct spec s = spec_base(64);

	(void)state;
	s.entry = 0x100000;
	assert_int_equal(load_spec(&s), FMT_E_NO_SEGMENTS);	/* phnum 0 */
	s.phentsize = 0;	/* irrelevant with no entries */
	assert_int_equal(load_spec(&s), FMT_E_NO_SEGMENTS);
	s = spec_base(32);
	spec_add(&s, (struct ph){ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0 });
	spec_add(&s, (struct ph){ PT_LOAD, PF_R, 0, 0x100000, 0x100000, 0, 0 });
	assert_int_equal(load_spec(&s), FMT_E_NO_SEGMENTS);
}

static void test_too_many(void **state)
{
	struct spec s = spec_base(64);

	(void)state;
	for (int i = 0; i <= FMT_MAX_SEGMENTS; i++)
		spec_add(&s, (struct ph){ PT_LOAD, PF_R, 0, 0x100000 + i * 0x1000ULL,
					  0x100000 + i * 0x1000ULL, 0, 0x1000 });
	s.entry = 0x100000;
	assert_int_equal(load_spec(&s), FMT_E_TOO_MANY);
}

/* ---- errors: segments ----------------------------------------------------- */

static void test_filesz_gt_memsz(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.ph[2].filesz = 0x201;
	assert_int_equal(load_spec(&s), FMT_E_FILESZ);
	s = spec_valid(32);
	s.ph[3].offset = 0;	/* an empty PT_LOAD is skipped, but not with file bytes */
	s.ph[3].filesz = 1;
	assert_int_equal(load_spec(&s), FMT_E_FILESZ);
}

static void test_offset_past_end(void **state)
{
	struct spec s = spec_valid(64);
	uint64_t len = build(&s);

	(void)state;
	s.len = len - 1;		/* B's last file byte is missing */
	assert_int_equal(load_spec(&s), FMT_E_OFFSET);
	s = spec_valid(32);
	s.ph[2].offset = 0xffffff00;	/* fits u32, far past the image */
	s.len = len;
	assert_int_equal(load_spec(&s), FMT_E_OFFSET);
}

static void test_offset_overflow(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.ph[2].offset = UINT64_MAX - 0xff;	/* + 0x200 wraps to 0x100 */
	s.len = 0x2100;
	assert_int_equal(load_spec(&s), FMT_E_OFFSET);
}

static void test_paddr_wrap(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.ph[0].paddr = UINT64_MAX - 0xfff;		/* + 0x3000 wraps */
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
	s = spec_valid(64);
	s.ph[0].paddr = 0 - 0x3000ULL;		/* would end exactly at 2^64 */
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
}

static void test_vaddr_wrap(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.ph[0].vaddr = UINT64_MAX - 0xff;
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
	s = spec_valid(32);
	s.ph[0].vaddr = 0xffffff00;
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
}

static void test_huge_memsz(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.ph[0].memsz = UINT64_MAX;
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
	s = spec_valid(32);
	s.ph[0].memsz = 0xffffffff;
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
}

static void test_elf32_above_4g(void **state)
{
	struct spec s = spec_valid(32);

	(void)state;
	s.ph[0].paddr = 0xffffe000;	/* + 0x3000 ends 4 KiB past 4 GiB */
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
	s = spec_valid(32);
	s.ph[2].paddr = 0xffffffff;	/* + 0x200 */
	assert_int_equal(load_spec(&s), FMT_E_OVERFLOW);
}

static void test_overlap(void **state)
{
	struct spec s = spec_valid(64);

	(void)state;
	s.ph[0].paddr = 0x1001ff;	/* B's first byte on A's last */
	assert_int_equal(load_spec(&s), FMT_E_OVERLAP);
	s.ph[0].paddr = 0x100000;	/* same start */
	assert_int_equal(load_spec(&s), FMT_E_OVERLAP);
	s.ph[0].paddr = 0xff000;	/* B (0x3000 long) covers all of A */
	assert_int_equal(load_spec(&s), FMT_E_OVERLAP);
}

/* A failed load leaves no segment list behind, even one collected before the error. */
static void test_error_clears_image(void **state)
{
	static const char text[] = "not an image";
	struct spec s = spec_valid(64);
	struct fmt_image img;

	(void)state;
	s.ph[0].paddr = 0x100100;
	memset(&img, 0xff, sizeof(img));
	assert_int_equal(load_with(fmt_load, &s, &img), FMT_E_OVERLAP);
	assert_int_equal(img.nseg, 0);
	s = spec_valid(32);
	s.entry = 0;
	memset(&img, 0xff, sizeof(img));
	assert_int_equal(load_with(fmt_load, &s, &img), FMT_E_ENTRY);
	assert_int_equal(img.nseg, 0);
	memset(&img, 0xff, sizeof(img));
	assert_int_equal(load_exact(fmt_load, text, sizeof(text), &img), FMT_E_UNSUPPORTED);
	assert_int_equal(img.nseg, 0);
}

static void test_entry_outside(void **state)
{
	static const uint64_t bad[] = {
		KVA64 + 0x100200,	/* one past A: the hole */
		KVA64 + 0x203000,	/* one past B */
		KVA64 + 0xfffff,	/* one before A */
		0x100010,		/* the physical address, not the virtual one */
		0,
	};
	struct spec s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = spec_valid(64);
		s.entry = bad[i];
		assert_int_equal(load_spec(&s), FMT_E_ENTRY);
	}
	s = spec_valid(32);
	s.entry = KVA32 + 0x100200;
	assert_int_equal(load_spec(&s), FMT_E_ENTRY);
}

/* ---- random damage -------------------------------------------------------- */

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Flip bytes in the headers and cut the length at random: whatever comes out,
 * a success must honour every promise of struct fmt_image, and nothing may be
 * read outside the image (ASan watches).
 */
static void test_random_damage(void **state)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	struct fmt_image img;
	int ok = 0;

	(void)state;
	for (int iter = 0; iter < 40000; iter++) {
		struct spec s = spec_valid(iter & 1 ? 64 : 32);
		uint64_t len = build(&s);
		int flips = 1 + (int)(rng_next(&rng) % 4);

		for (int f = 0; f < flips; f++)
			g_buf[rng_next(&rng) % 0x120] ^= (uint8_t)(1u << (rng_next(&rng) % 8));
		if (rng_next(&rng) % 8 == 0)
			len = rng_next(&rng) % (len + 1);
		if (load_exact(fmt_load, g_buf, len, &img) == 0) {
			check_invariants(&img, len);
			ok++;
		}
	}
	assert_true(ok > 0);	/* some flips are harmless: the success path ran too */
}

/* ---- Multiboot headers (fmt/multiboot.c) ----------------------------------- */

#define MB_BUF	40000		/* longer than both windows */

/* fmt_multiboot_find() on a heap copy of exactly len bytes; the probe agrees. */
static int mb_find_exact(const uint8_t *p, uint64_t len, struct fmt_multiboot *mb)
{
	uint8_t *copy = malloc(len ? len : 1);
	int found;

	assert_non_null(copy);
	memcpy(copy, p, len);
	memset(mb, 0xa5, sizeof(*mb));
	found = fmt_multiboot_find(copy, len, mb);
	assert_int_equal(fmt_multiboot_probe(copy, len), found);
	assert_int_equal(found, mb->mb1 || mb->mb2);
	free(copy);
	return found;
}

static void expect_mb_none(const uint8_t *p, uint64_t len)
{
	struct fmt_multiboot mb;

	assert_int_equal(mb_find_exact(p, len, &mb), 0);
	assert_int_equal(mb.mb1, 0);
	assert_int_equal(mb.mb2, 0);
}

static void expect_mb1(const uint8_t *p, uint64_t len, uint32_t off, uint32_t flags)
{
	struct fmt_multiboot mb;

	assert_int_equal(mb_find_exact(p, len, &mb), 1);
	assert_int_equal(mb.mb1, 1);
	assert_int_equal(mb.mb1_off, off);
	assert_int_equal(mb.mb1_flags, flags);
	assert_int_equal(mb.mb2, 0);
}

static void expect_mb2(const uint8_t *p, uint64_t len, uint32_t off, uint32_t arch, uint32_t hlen)
{
	struct fmt_multiboot mb;

	assert_int_equal(mb_find_exact(p, len, &mb), 1);
	assert_int_equal(mb.mb2, 1);
	assert_int_equal(mb.mb2_off, off);
	assert_int_equal(mb.mb2_arch, arch);
	assert_int_equal(mb.mb2_len, hlen);
	assert_int_equal(mb.mb1, 0);
}

/* 4-byte aligned, all 12 bytes in the first 8 KiB and in the file, checksum 0. */
static void test_multiboot1(void **state)
{
	uint8_t *p = calloc(1, MB_BUF);

	(void)state;
	assert_non_null(p);
	expect_mb_none(p, MB_BUF);
	mbcraft_mb1(p, 8180, 0x10003);		/* the last place it fits */
	expect_mb1(p, MB_BUF, 8180, 0x10003);
	expect_mb1(p, 8192, 8180, 0x10003);
	expect_mb_none(p, 8191);		/* the file ends inside it */
	memset(p + 8180, 0, 12);
	mbcraft_mb1(p, 8184, 3);		/* ends at 8196: outside the window */
	expect_mb_none(p, MB_BUF);
	memset(p + 8184, 0, 12);
	mbcraft_mb1(p, 0x102, 3);		/* not 4-byte aligned */
	expect_mb_none(p, MB_BUF);
	memset(p + 0x102, 0, 12);
	mbcraft_mb1(p, 0x100, 3);
	p[0x108] ^= 1;				/* checksum off by one */
	expect_mb_none(p, MB_BUF);
	p[0x108] ^= 1;
	mbcraft_mb1(p, 0x200, 5);		/* the first valid one is reported */
	expect_mb1(p, MB_BUF, 0x100, 3);
	mbcraft_mb1(p, 0, 0);
	expect_mb1(p, 12, 0, 0);
	free(p);
}

/* 8-byte aligned, checksum 0, the 16 fixed bytes in the first 32 KiB and in the
 * file; header_length is reported, not judged (GRUB finds headers the same way). */
static void test_multiboot2(void **state)
{
	uint8_t *p = calloc(1, MB_BUF);

	(void)state;
	assert_non_null(p);
	mbcraft_mb2(p, 32752, FMT_MB2_ARCH_I386, 24);	/* fixed fields end at 32768 */
	expect_mb2(p, MB_BUF, 32752, 0, 24);
	expect_mb2(p, 32768, 32752, 0, 24);
	expect_mb_none(p, 32767);			/* the file ends inside them */
	mbcraft_mb2(p, 32752, FMT_MB2_ARCH_I386, 32);	/* says it ends past 32 KiB */
	expect_mb2(p, MB_BUF, 32752, 0, 32);
	memset(p + 32752, 0, 24);
	mbcraft_mb2(p, 32760, FMT_MB2_ARCH_I386, 24);	/* fixed fields cross 32768 */
	expect_mb_none(p, MB_BUF);
	memset(p + 32760, 0, 24);
	mbcraft_mb2(p, 0x104, FMT_MB2_ARCH_I386, 24);	/* 4- but not 8-byte aligned */
	expect_mb_none(p, MB_BUF);
	memset(p + 0x104, 0, 24);
	for (uint32_t hlen = 0; hlen < 24; hlen++) {	/* too short for its tags: still one */
		mbcraft_mb2(p, 0x100, FMT_MB2_ARCH_I386, hlen);
		expect_mb2(p, MB_BUF, 0x100, 0, hlen);
	}
	mbcraft_mb2(p, 0x100, FMT_MB2_ARCH_I386, 0xfffffff8);	/* absurd length: still one */
	expect_mb2(p, MB_BUF, 0x100, 0, 0xfffffff8);
	mbcraft_mb2(p, 0x100, FMT_MB2_ARCH_I386, 24);
	p[0x10c] ^= 0x80;				/* checksum off */
	expect_mb_none(p, MB_BUF);
	mbcraft_mb2(p, 0x100, FMT_MB2_ARCH_MIPS32, 48);	/* any architecture is reported */
	expect_mb2(p, MB_BUF, 0x100, FMT_MB2_ARCH_MIPS32, 48);
	mbcraft_mb2(p, 0x200, FMT_MB2_ARCH_I386, 24);	/* the first valid one */
	expect_mb2(p, MB_BUF, 0x100, FMT_MB2_ARCH_MIPS32, 48);
	free(p);
}

/*
 * Both, as a hypervisor's ELF32 carries them (Xen: Multiboot2 first, Multiboot1
 * after it), over every file length around them; the real ELFs carry none.
 */
static void test_multiboot_both_and_real(void **state)
{
	uint8_t *p = calloc(1, 0x2000);
	struct fmt_multiboot mb;
	uint64_t len;

	(void)state;
	assert_non_null(p);
	mbcraft_mb2(p, 0x1000, FMT_MB2_ARCH_I386, 24);
	mbcraft_mb1(p, 0x1018, 3);
	for (len = 0x1000; len <= 0x1040; len++) {
		int found = mb_find_exact(p, len, &mb);

		assert_int_equal(mb.mb2, len >= 0x1010);	/* its 16 fixed bytes */
		assert_int_equal(mb.mb1, len >= 0x1024);
		assert_int_equal(found, len >= 0x1010);
	}
	assert_int_equal(mb.mb2_off, 0x1000);
	assert_int_equal(mb.mb1_off, 0x1018);
	assert_int_equal(mb.mb1_flags, 3);
	free(p);

	for (int i = 0; i < 3; i++) {
		const char *path = i == 0 ? FMT_TINY64 : i == 1 ? FMT_TINY32 : "/bin/true";

		p = host_read_file(path, &len);
		if (!p)
			fail_msg("cannot read %s", path);
		expect_mb_none(p, len);
		free(p);
	}
}

/* ---- messages ------------------------------------------------------------- */

static void test_strerror(void **state)
{
	const char *unknown = "unknown fmt error";

	(void)state;
	for (int e = FMT_E_ALIGN; e <= FMT_E_UNSUPPORTED; e++) {
		const char *m = fmt_strerror(e);

		assert_non_null(m);
		assert_string_not_equal(m, unknown);
		assert_null(strchr(m, '\n'));
		for (int o = FMT_E_ALIGN; o < e; o++)
			assert_string_not_equal(m, fmt_strerror(o));
	}
	assert_string_equal(fmt_strerror(FMT_E_OFFSET),
			    "ELF: segment file bytes lie outside the image");
	assert_string_equal(fmt_strerror(-99), unknown);
	assert_string_equal(fmt_strerror(FMT_E_ALIGN - 1), unknown);
	assert_string_equal(fmt_strerror(1), unknown);
	assert_string_equal(fmt_strerror(-300), unknown);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_elf64),
		cmocka_unit_test(test_valid_elf32),
		cmocka_unit_test(test_unaligned_buffer),
		cmocka_unit_test(test_bss_only_segment),
		cmocka_unit_test(test_entry_in_bss),
		cmocka_unit_test(test_touching_segments_pass),
		cmocka_unit_test(test_elf32_ends_at_4g),
		cmocka_unit_test(test_max_segments_pass),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_real_elf64),
		cmocka_unit_test(test_real_elf32),
		cmocka_unit_test(test_real_pie_refused),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_truncated_direct),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_bad_class),
		cmocka_unit_test(test_bad_data_and_version),
		cmocka_unit_test(test_bad_machine),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_bad_phentsize),
		cmocka_unit_test(test_phoff_past_end),
		cmocka_unit_test(test_phtab_overflow),
		cmocka_unit_test(test_pn_xnum),
		cmocka_unit_test(test_no_segments),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_filesz_gt_memsz),
		cmocka_unit_test(test_offset_past_end),
		cmocka_unit_test(test_offset_overflow),
		cmocka_unit_test(test_paddr_wrap),
		cmocka_unit_test(test_vaddr_wrap),
		cmocka_unit_test(test_huge_memsz),
		cmocka_unit_test(test_elf32_above_4g),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_error_clears_image),
		cmocka_unit_test(test_entry_outside),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_multiboot1),
		cmocka_unit_test(test_multiboot2),
		cmocka_unit_test(test_multiboot_both_and_real),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
