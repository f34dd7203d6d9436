/* SPDX-License-Identifier: MIT */
/*
 * Host test of the probe's checkers (tests/qemu/probe/probe_check.c): the
 * pattern, zero, register, FDT, timing and page-table checks, each on good
 * input and on the faults they exist to catch. FDTs are built with the host's
 * libfdt; page tables live in a small simulated physical memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "probe.h"
#include "prng.h"

/* ---- report hooks ------------------------------------------------------- */

static int fails;
static char last_check[64], last_msg[512], last_info[1024];

void probe_fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	fails++;
	snprintf(last_check, sizeof(last_check), "%s", check);
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
}

void probe_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_info, sizeof(last_info), fmt, ap);
	va_end(ap);
}

static int setup(void **state)
{
	(void)state;
	fails = 0;
	last_check[0] = last_msg[0] = last_info[0] = '\0';
	return 0;
}

/* ---- pattern and zero --------------------------------------------------- */

static void fill(unsigned char *b, size_t len, uint64_t seed)
{
	uint64_t s = seed, v;
	size_t i;
	int k;

	for (i = 0; i < len; i += 8) {
		v = prng_next(&s);
		for (k = 0; k < 8; k++)
			b[i + k] = (unsigned char)(v >> (8 * k));
	}
}

static void test_pattern(void **state)
{
	size_t len = 64 * 1024;
	unsigned char *b = malloc(len);

	(void)state;
	assert_non_null(b);
	fill(b, len, PROBE_SEED_A);
	assert_int_equal(probe_check_pattern("data-a", b, len, PROBE_SEED_A), 0);
	assert_int_equal(fails, 0);
	/* The other segment's seed is a different stream. */
	assert_int_equal(probe_check_pattern("data-a", b, len, PROBE_SEED_B), 1);
	b[4097] ^= 0x40;
	fails = 0;
	assert_int_equal(probe_check_pattern("data-a", b, len, PROBE_SEED_A), 1);
	assert_string_equal(last_check, "data-a");
	assert_non_null(strstr(last_msg, "1 of 8192 words differ"));
	assert_non_null(strstr(last_msg, "offsets 0x1000-0x1008"));
	free(b);
}

/* gen.c's first words, fixed here: the stream may never change silently. */
static void test_pattern_stream(void **state)
{
	uint64_t s = PROBE_SEED_A, first = prng_next(&s), second = prng_next(&s);
	uint64_t t = PROBE_SEED_A;

	(void)state;
	assert_true(first != second);
	assert_true(prng_next(&t) == first);
	assert_true(PROBE_DATA_A_SIZE % 8 == 0 && PROBE_DATA_B_SIZE % 8 == 0);
	assert_true(PROBE_DATA_A_SIZE + PROBE_DATA_B_SIZE >= 8ULL << 20);
	assert_true(PROBE_DATA_B_SIZE % 4096 != 0);
}

static void test_zero(void **state)
{
	unsigned char b[5000] = { 0 };

	(void)state;
	assert_int_equal(probe_check_zero("bss", b, sizeof(b)), 0);
	b[4999] = 7;
	assert_int_equal(probe_check_zero("bss", b, sizeof(b)), 1);
	assert_string_equal(last_check, "bss");
	assert_non_null(strstr(last_msg, "1 of 5000 bytes nonzero"));
}

/* ---- registers ---------------------------------------------------------- */

static struct probe_entry_state good_cpu(void)
{
	struct probe_entry_state s;

	memset(&s, 0, sizeof(s));
	s.cs = 0x10;
	s.ds = s.es = s.ss = 0x18;
	s.rflags = 0x2;
	s.cr0 = 0x80000011;
	s.cr4 = 0x20;
	s.efer = 0x500;
	s.rdi = 0x1000000;
	s.rsp = 0x7ff8;
	s.entries = 1;
	return s;
}

static void test_cpu(void **state)
{
	struct probe_entry_state s = good_cpu();

	(void)state;
	assert_int_equal(probe_check_cpu(&s), 0);
	s.cr4 |= CR4_LA57;		/* 5-level paging: the caller's depth, kept */
	assert_int_equal(probe_check_cpu(&s), 0);

#define BAD(field, value, check) do {						\
		s = good_cpu();							\
		s.field = value;						\
		fails = 0;							\
		assert_int_equal(probe_check_cpu(&s), 1);			\
		assert_string_equal(last_check, check);				\
	} while (0)
	BAD(efer, 0x100, "efer");
	BAD(cr0, 0x11, "cr0");
	BAD(cr4, 0, "cr4");
	BAD(cs, 0x08, "segments");
	BAD(ss, 0x10, "segments");
	BAD(fs, 0x18, "segments");
	BAD(rflags, 0x202, "rflags");
	BAD(rflags, 0x402, "rflags");
	BAD(rdi, 0, "rdi");
	BAD(rax, 1, "gpr");
	BAD(rsi, 1, "gpr");
	BAD(r15, 1, "gpr");
	BAD(rbp, 1, "gpr");
	BAD(rsp, 0x8000, "rsp");
	BAD(ret, 0x1234, "rsp");
	BAD(entries, 2, "entry");
#undef BAD
	assert_non_null(strstr(last_msg, "2 times"));
}

/* ---- FDT ---------------------------------------------------------------- */

#define BOOTARGS "console=ttyS0 baton.test=1"

struct fdt_opts {
	const char *bootargs;
	uint32_t size_cells;
	uint64_t mem[8];	/* base, size pairs */
	int nmem;
	const char *compatible;
	uint64_t timings[8];
	int ntimings;
	const char *names;	/* NUL-separated */
	int names_len;
};

static struct fdt_opts good_opts(void)
{
	static const char names[] = "stage\0loader-entry\0plan\0copy\0jump";
	struct fdt_opts o = {
		.bootargs = BOOTARGS,
		.size_cells = 2,
		.mem = { 0, 0x9f000, 0x100000, 0x7ee0000 },
		.nmem = 2,
		.compatible = "baton,loader",
		.timings = { 1000, 2000, 2000, 5000, 9000 },
		.ntimings = 5,
		.names = names,
		.names_len = sizeof(names),
	};
	return o;
}

static void *make_fdt(const struct fdt_opts *o)
{
	static char buf[8192];
	uint64_t be[16];
	int i;

	assert_int_equal(fdt_create(buf, sizeof(buf)), 0);
	assert_int_equal(fdt_finish_reservemap(buf), 0);
	assert_int_equal(fdt_begin_node(buf, ""), 0);
	assert_int_equal(fdt_property_u32(buf, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(buf, "#size-cells", o->size_cells), 0);
	assert_int_equal(fdt_begin_node(buf, "chosen"), 0);
	if (o->bootargs)
		assert_int_equal(fdt_property_string(buf, "bootargs", o->bootargs), 0);
	assert_int_equal(fdt_end_node(buf), 0);
	if (o->nmem) {
		for (i = 0; i < 2 * o->nmem; i++)
			be[i] = cpu_to_fdt64(o->mem[i]);
		assert_int_equal(fdt_begin_node(buf, "memory@0"), 0);
		assert_int_equal(fdt_property_string(buf, "device_type", "memory"), 0);
		assert_int_equal(fdt_property(buf, "reg", be, o->nmem * 16), 0);
		assert_int_equal(fdt_end_node(buf), 0);
	}
	assert_int_equal(fdt_begin_node(buf, "baton"), 0);
	if (o->compatible)
		assert_int_equal(fdt_property_string(buf, "compatible", o->compatible), 0);
	for (i = 0; i < o->ntimings; i++)
		be[i] = cpu_to_fdt64(o->timings[i]);
	assert_int_equal(fdt_property(buf, "timings", be, o->ntimings * 8), 0);
	assert_int_equal(fdt_property(buf, "timing-names", o->names, o->names_len), 0);
	assert_int_equal(fdt_end_node(buf), 0);
	assert_int_equal(fdt_end_node(buf), 0);
	assert_int_equal(fdt_finish(buf), 0);
	return buf;
}

/* What QEMU's etc/e820 looks like for -m 128M: one RAM entry from 0. */
static const struct probe_e820 e820_128m[] = {
	{ 0, 0x8000000, PROBE_E820_RAM },
	{ 0xfffc0000, 0x40000, 2 },
};

static int run_fdt(const struct fdt_opts *o, const char *want)
{
	struct probe_range mem[PROBE_MEM_MAX];
	int nmem;

	fails = 0;
	return probe_check_fdt(make_fdt(o), want, strlen(want), e820_128m, 2, mem,
			       PROBE_MEM_MAX, &nmem);
}

static void test_fdt_good(void **state)
{
	struct fdt_opts o = good_opts();
	struct probe_range mem[PROBE_MEM_MAX];
	int nmem;

	(void)state;
	assert_int_equal(probe_check_fdt(make_fdt(&o), BOOTARGS, strlen(BOOTARGS),
					 e820_128m, 2, mem, PROBE_MEM_MAX, &nmem), 0);
	assert_int_equal(fails, 0);
	assert_int_equal(nmem, 2);
	assert_true(mem[1].base == 0x100000 && mem[1].size == 0x7ee0000);
}

static void test_fdt_bad(void **state)
{
	struct fdt_opts o;
	char junk[64] = { 0 };
	int nmem;

	(void)state;
	o = good_opts();
	assert_int_equal(run_fdt(&o, "console=ttyS0 baton.test=2"), 1);
	assert_string_equal(last_check, "bootargs");
	assert_int_equal(run_fdt(&o, "console=ttyS0"), 1);
	assert_string_equal(last_check, "bootargs");

	o = good_opts();
	o.bootargs = NULL;
	assert_int_equal(run_fdt(&o, BOOTARGS), 1);
	assert_non_null(strstr(last_msg, "no /chosen/bootargs"));

	o = good_opts();
	o.size_cells = 1;
	assert_int_equal(run_fdt(&o, BOOTARGS), 1);
	assert_string_equal(last_check, "fdt-cells");

	/* A range 64 KiB past the end of RAM. */
	o = good_opts();
	o.mem[3] = 0x7f10000;
	assert_int_equal(run_fdt(&o, BOOTARGS), 1);
	assert_non_null(strstr(last_msg, "not inside e820 RAM"));

	/* Inside RAM but 8 MiB short of it. */
	o = good_opts();
	o.mem[3] = 0x7700000;
	assert_int_equal(run_fdt(&o, BOOTARGS), 1);
	assert_non_null(strstr(last_msg, "> 4 MiB"));

	o = good_opts();
	o.mem[2] = 0x80000;
	assert_true(run_fdt(&o, BOOTARGS) >= 1);
	assert_non_null(strstr(last_msg, "overlaps"));

	o = good_opts();
	o.nmem = 0;
	assert_true(run_fdt(&o, BOOTARGS) >= 1);
	assert_non_null(strstr(last_msg, "no node with device_type"));

	o = good_opts();
	o.compatible = "baton,other";
	assert_int_equal(run_fdt(&o, BOOTARGS), 1);
	assert_string_equal(last_check, "baton-node");

	fails = 0;
	assert_int_equal(probe_check_fdt(junk, "", 0, e820_128m, 2, NULL, 0, &nmem), 1);
	assert_string_equal(last_check, "fdt");
	assert_non_null(strstr(last_msg, "want 0xd00dfeed"));
}

static void test_e820(void **state)
{
	unsigned char raw[40] = { 0 };
	struct probe_e820 e[4];

	(void)state;
	raw[8 + 3] = 0x08;			/* len 0x8000000 */
	raw[16] = 1;				/* RAM */
	raw[20 + 3] = 0x10;			/* addr 0x10000000 */
	raw[20 + 8 + 2] = 0x01;			/* len 0x10000 */
	raw[20 + 16] = 2;
	assert_int_equal(probe_parse_e820(raw, 40, e, 4), 2);
	assert_true(e[0].addr == 0 && e[0].len == 0x8000000 && e[0].type == 1);
	assert_true(e[1].addr == 0x10000000 && e[1].len == 0x10000 && e[1].type == 2);
	assert_int_equal(probe_parse_e820(raw, 39, e, 4), -1);
	assert_int_equal(probe_parse_e820(raw, 40, e, 1), -1);
}

/* ---- timings ------------------------------------------------------------ */

static void test_timings(void **state)
{
	struct fdt_opts o = good_opts();
	int n;

	(void)state;
	fails = 0;
	assert_int_equal(probe_check_timings(make_fdt(&o), 10000, &n), 0);
	assert_int_equal(n, 5);
	assert_non_null(strstr(last_info, "stage=1000 loader-entry=+1000 plan=+0 copy=+3000 "
				"jump=+4000 probe-entry=+1000"));

	o = good_opts();
	o.timings[2] = 1500;
	fails = 0;
	assert_int_equal(probe_check_timings(make_fdt(&o), 10000, &n), 1);
	assert_non_null(strstr(last_msg, "before the previous"));

	o = good_opts();
	o.timings[0] = 0;
	fails = 0;
	assert_int_equal(probe_check_timings(make_fdt(&o), 10000, &n), 1);
	assert_non_null(strstr(last_msg, "is zero"));

	o = good_opts();
	fails = 0;
	assert_int_equal(probe_check_timings(make_fdt(&o), 8000, &n), 1);
	assert_non_null(strstr(last_msg, "after the probe's entry"));

	o = good_opts();
	o.ntimings = 3;
	o.names_len = (int)strlen("stage") + (int)strlen("loader-entry") + (int)strlen("plan") + 3;
	fails = 0;
	assert_int_equal(probe_check_timings(make_fdt(&o), 10000, &n), 1);
	assert_non_null(strstr(last_msg, "want at least 4"));

	o = good_opts();
	o.ntimings = 4;
	fails = 0;
	assert_int_equal(probe_check_timings(make_fdt(&o), 10000, &n), 1);
	assert_non_null(strstr(last_msg, "timing-names has 5 strings"));
}

/* ---- page tables -------------------------------------------------------- */

/* Simulated physical memory: table pages at SIM_BASE + 4 KiB * i. */
#define SIM_BASE	0x40000000ULL
#define SIM_PAGES	64
static uint64_t sim[SIM_PAGES][512];
static int sim_next;

static uint64_t sim_read(void *ctx, uint64_t pa)
{
	(void)ctx;
	assert_true(pa >= SIM_BASE && pa < SIM_BASE + SIM_PAGES * 4096ULL && pa % 8 == 0);
	return sim[(pa - SIM_BASE) / 4096][(pa % 4096) / 8];
}

static uint64_t sim_alloc(void)
{
	assert_true(sim_next < SIM_PAGES);
	memset(sim[sim_next], 0, 4096);
	return SIM_BASE + 4096ULL * sim_next++;
}

static uint64_t *sim_table(uint64_t pa)
{
	return sim[(pa - SIM_BASE) / 4096];
}

/* Identity map [0, 4 GiB): 2 MiB pages, or 1 GiB pages; returns CR3. */
static uint64_t sim_map_4g(int gb)
{
	uint64_t pml4, pdpt, pd;
	int i, j;

	sim_next = 0;
	pml4 = sim_alloc();
	pdpt = sim_alloc();
	sim_table(pml4)[0] = pdpt | 3;
	for (i = 0; i < 4; i++) {
		if (gb) {
			sim_table(pdpt)[i] = ((uint64_t)i << 30) | 0x83;
			continue;
		}
		pd = sim_alloc();
		sim_table(pdpt)[i] = pd | 3;
		for (j = 0; j < 512; j++)
			sim_table(pd)[j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) + 0x83;
	}
	return pml4;
}

static int run_map(uint64_t cr3, uint64_t efer, int gb)
{
	struct probe_range r[2] = { { 0, 1ULL << 32 }, { 0x100000, 0x7f00000 } };
	struct probe_range image = { 0x2000000, 0xa20000 };

	fails = 0;
	return probe_check_map(cr3, efer, gb, sim_read, NULL, r, 2, image);
}

static void test_map(void **state)
{
	uint64_t cr3, pd, pt, *e;
	int i;

	(void)state;
	cr3 = sim_map_4g(0);
	assert_int_equal(run_map(cr3, 0x500, 0), 0);
	assert_true(probe_mapped(cr3, 0x500, 0, sim_read, NULL, 0x1000000, 0x28));
	assert_false(probe_mapped(cr3, 0x500, 0, sim_read, NULL, 0x100000000ULL, 8));

	/* 1 GiB pages: fine only where the CPU has them. */
	cr3 = sim_map_4g(1);
	assert_int_equal(run_map(cr3, 0x500, 1), 0);
	assert_int_equal(run_map(cr3, 0x500, 0), 2);
	assert_non_null(strstr(last_msg, "pdpe1gb"));

	/* 4 KiB pages for [32 MiB, 34 MiB), one of them off by a page. */
	cr3 = sim_map_4g(0);
	pd = sim_table(sim_table(cr3)[0] & ~0xfffULL)[0] & ~0xfffULL;
	pt = sim_alloc();
	for (i = 0; i < 512; i++)
		sim_table(pt)[i] = 0x2000000 + 4096ULL * i + 3;
	sim_table(pd)[16] = pt | 3;
	assert_int_equal(run_map(cr3, 0x500, 0), 0);
	sim_table(pt)[5] += 4096;
	assert_int_equal(run_map(cr3, 0x500, 0), 2);
	assert_non_null(strstr(last_msg, "first at 0x2005000: not identity"));
	assert_non_null(strstr(last_msg, "0x1000 bytes bad"));
	sim_table(pt)[5] -= 4096;

	/* Read-only, not present, NX without EFER.NXE, table inside the image. */
	e = &sim_table(pt)[7];
	*e &= ~2ULL;
	assert_int_equal(run_map(cr3, 0x500, 0), 2);
	assert_non_null(strstr(last_msg, "not writable"));
	*e &= ~3ULL;
	assert_int_equal(run_map(cr3, 0x500, 0), 2);
	assert_non_null(strstr(last_msg, "not present"));
	*e |= 3 | (1ULL << 63);
	assert_int_equal(run_map(cr3, 0x500, 0), 2);
	assert_non_null(strstr(last_msg, "NX bit"));
	assert_int_equal(run_map(cr3, 0xd00, 0), 0);
	*e &= ~(1ULL << 63);

	/* A whole GiB missing: one failure per range, bytes counted. */
	sim_table(sim_table(cr3)[0] & ~0xfffULL)[3] = 0;
	assert_int_equal(run_map(cr3, 0x500, 0), 1);
	assert_non_null(strstr(last_msg, "0x40000000 bytes bad; first at 0xc0000000"));

	/* Tables inside the probe's image. */
	{
		struct probe_range r = { 0, 1 << 21 }, image = { SIM_BASE, 4096 };

		fails = 0;
		assert_int_equal(probe_check_map(cr3, 0x500, 0, sim_read, NULL, &r, 1, image), 1);
		assert_non_null(strstr(last_msg, "inside the probe image"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pattern, setup),
		cmocka_unit_test_setup(test_pattern_stream, setup),
		cmocka_unit_test_setup(test_zero, setup),
		cmocka_unit_test_setup(test_cpu, setup),
		cmocka_unit_test_setup(test_fdt_good, setup),
		cmocka_unit_test_setup(test_fdt_bad, setup),
		cmocka_unit_test_setup(test_e820, setup),
		cmocka_unit_test_setup(test_timings, setup),
		cmocka_unit_test_setup(test_map, setup),
	};

	return cmocka_run_group_tests_name("probe checkers", tests, NULL, NULL);
}
