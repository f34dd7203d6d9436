/* SPDX-License-Identifier: MIT */
/*
 * Host test of the probe's checkers (tests/qemu/probe/probe_check.c,
 * probe_shutdown.c): the pattern, zero, register, FDT, timing, page-table and
 * shutdown-state checks, each on good input and on the faults they exist to
 * catch. FDTs are built with the host's libfdt; page tables live in a small
 * simulated physical memory, the shutdown checks' devices in a simulated PC.
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
static char last_check[64], last_msg[512], last_info[1024], all_checks[512], all_msgs[4096];

void probe_fail(const char *check, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(all_checks);

	fails++;
	snprintf(last_check, sizeof(last_check), "%s", check);
	snprintf(all_checks + used, sizeof(all_checks) - used, "%s%s", used ? " " : "", check);
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	used = strlen(all_msgs);
	snprintf(all_msgs + used, sizeof(all_msgs) - used, "%s%s", used ? " | " : "", last_msg);
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
	last_check[0] = last_msg[0] = last_info[0] = all_checks[0] = all_msgs[0] = '\0';
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

/* Under UEFI the firmware keeps RAM of its own out of /memory: 6 MiB short
 * fails as a rule, passes with baton.expect=uefi (64 MiB), 70 MiB never. */
static void test_fdt_memory_uefi(void **state)
{
	static const char uefi[] = "console=ttyS0 baton.expect=uefi";
	struct fdt_opts o = good_opts();

	(void)state;
	o.bootargs = uefi;
	o.mem[3] = 0x7ee0000 - 0x600000;
	assert_int_equal(run_fdt(&o, uefi), 0);
	o.bootargs = BOOTARGS;
	assert_int_equal(run_fdt(&o, BOOTARGS), 1);
	assert_string_equal(last_check, "memory");
	assert_non_null(strstr(last_msg, "> 4 MiB"));
	o.bootargs = uefi;
	o.mem[3] = 0x7ee0000 - 0x4600000;
	assert_int_equal(run_fdt(&o, uefi), 1);
	assert_non_null(strstr(last_msg, "> 64 MiB"));
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

/* ---- what the old kernel left (probe_shutdown.c) ------------------------ */

/* A simulated PC: the first 2 MiB of memory (BDA, EBDA, BIOS area, ACPI
 * tables), two IO-APICs, a local APIC (xAPIC or x2APIC), an HPET, the 8259
 * masks and PCI functions, all in the state docs/entry.md documents. */
#define PC_MEM		(2u << 20)
#define PC_IOAPIC0	0xfec00000ULL
#define PC_IOAPIC1	0xfec01000ULL
#define PC_LAPIC	0xfee00000ULL
#define PC_HPET		0xfed00000ULL
#define PC_RSDT		0x100000
#define PC_XSDT		0x100100
#define PC_MADT		0x100200
#define PC_HPET_TBL	0x100300
#define PC_FNS		8

static struct pc {
	uint8_t mem[PC_MEM];
	uint8_t pic[2];
	struct { uint32_t sel, pins, lo[24]; } ioapic[2];
	uint64_t apic_base;
	uint32_t lapic[0x400 / 4];
	uint32_t hpet_cfg, hpet_tn[3];
	struct { uint32_t bus, dev, fn, id, header; uint16_t cmd; } pci[PC_FNS];
	int npci;
	unsigned pci_reads;
} pc;

static uint8_t pc_inb(void *ctx, uint16_t port)
{
	(void)ctx;
	return port == PIC1_DATA ? pc.pic[0] : port == PIC2_DATA ? pc.pic[1] : 0xff;
}

static uint64_t pc_rdmsr(void *ctx, uint32_t msr)
{
	(void)ctx;
	if (msr == MSR_APIC_BASE)
		return pc.apic_base;
	assert_true(pc.apic_base & APIC_BASE_EXTD);	/* x2APIC registers only in x2APIC mode */
	assert_true(msr >= MSR_X2APIC_BASE && msr < MSR_X2APIC_BASE + 0x40);
	return pc.lapic[(msr - MSR_X2APIC_BASE) * 4];
}

static int pc_ioapic(uint64_t pa)
{
	return pa >= PC_IOAPIC0 && pa < PC_IOAPIC0 + 0x20 ? 0 :
	       pa >= PC_IOAPIC1 && pa < PC_IOAPIC1 + 0x20 ? 1 : -1;
}

static uint32_t pc_read32(void *ctx, uint64_t pa)
{
	int i = pc_ioapic(pa);

	(void)ctx;
	if (i >= 0) {
		uint32_t sel = pc.ioapic[i].sel;

		assert_int_equal(pa & 0xff, IOAPIC_WIN);
		if (!pc.ioapic[i].pins)			/* nothing there */
			return 0xffffffff;
		if (sel == IOAPIC_VER)
			return (pc.ioapic[i].pins - 1) << 16 | 0x20;
		if (sel >= IOAPIC_REDTBL && sel < IOAPIC_REDTBL + 2 * pc.ioapic[i].pins)
			return (sel & 1) ? 0 : pc.ioapic[i].lo[(sel - IOAPIC_REDTBL) / 2];
		return 0;
	}
	if (pa >= PC_LAPIC && pa < PC_LAPIC + 0x400) {
		assert_false(pc.apic_base & APIC_BASE_EXTD);	/* no MMIO in x2APIC mode */
		return pc.lapic[(pa - PC_LAPIC) / 4];
	}
	if (pa == PC_HPET + HPET_CAP)
		return 0x8086a201;			/* timers 0-2 */
	if (pa == PC_HPET + HPET_CFG)
		return pc.hpet_cfg;
	if (pa >= PC_HPET + HPET_TN_CFG(0) && pa < PC_HPET + HPET_TN_CFG(3) && !(pa & 0x1f))
		return pc.hpet_tn[(pa - PC_HPET - HPET_TN_CFG(0)) / 0x20];
	fail_msg("read32 of %#llx", (unsigned long long)pa);
	return 0;
}

static void pc_write32(void *ctx, uint64_t pa, uint32_t v)
{
	int i = pc_ioapic(pa);

	(void)ctx;
	assert_true(i >= 0);			/* the checks write only IOREGSEL */
	assert_int_equal(pa & 0xff, IOAPIC_REGSEL);
	pc.ioapic[i].sel = v;
}

static uint32_t pc_pci_read32(void *ctx, uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
	int i;

	(void)ctx;
	pc.pci_reads++;
	for (i = 0; i < pc.npci; i++) {
		/* A single-function device answers for every function number. */
		int single = !(pc.pci[i].header & PCI_MULTIFUNC);

		if (pc.pci[i].bus != bus || pc.pci[i].dev != dev ||
		    (pc.pci[i].fn != fn && !(single && pc.pci[i].fn == 0)))
			continue;
		return off == 0 ? pc.pci[i].id : off == PCI_HEADER ? pc.pci[i].header :
		       off == PCI_COMMAND ? pc.pci[i].cmd | 0x02100000u : 0;
	}
	return 0xffffffff;
}

static const void *pc_map(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	return pa < PC_MEM && len <= PC_MEM - pa ? pc.mem + pa : NULL;
}

static const struct probe_hw pc_hw = {
	NULL, pc_inb, pc_rdmsr, pc_read32, pc_write32, pc_pci_read32, pc_map,
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void fix_sum(uint8_t *p, uint32_t len, uint32_t at)
{
	uint8_t s = 0;
	uint32_t i;

	p[at] = 0;
	for (i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

static void sdt(uint32_t pa, const char *sig, uint32_t len)
{
	memset(pc.mem + pa, 0, len);
	memcpy(pc.mem + pa, sig, 4);
	put32(pc.mem + pa + 4, len);
	pc.mem[pa + 8] = 1;
}

/* The RSDP at rsdp (revision 0 or 2), RSDT and XSDT naming the MADT and the HPET table. */
static void pc_acpi(uint32_t rsdp, int rev)
{
	uint8_t *r = pc.mem + rsdp, *m = pc.mem + PC_MADT;

	memcpy(r, "RSD PTR ", 8);
	r[15] = (uint8_t)rev;
	put32(r + 16, PC_RSDT);
	put32(r + 20, 36);
	put64(r + 24, rev >= 2 ? PC_XSDT : 0);
	fix_sum(r, 20, 8);
	fix_sum(r, 36, 32);
	sdt(PC_RSDT, "RSDT", 36 + 8);
	put32(pc.mem + PC_RSDT + 36, PC_MADT);
	put32(pc.mem + PC_RSDT + 40, PC_HPET_TBL);
	fix_sum(pc.mem + PC_RSDT, 44, 9);
	sdt(PC_XSDT, "XSDT", 36 + 16);
	put64(pc.mem + PC_XSDT + 36, PC_MADT);
	put64(pc.mem + PC_XSDT + 44, PC_HPET_TBL);
	fix_sum(pc.mem + PC_XSDT, 52, 9);
	/* MADT: a local APIC entry (type 0), two IO-APICs (type 1), an override (type 2). */
	sdt(PC_MADT, "APIC", 44 + 8 + 12 + 10 + 12);
	put32(m + 36, (uint32_t)PC_LAPIC);
	m[44] = 0, m[45] = 8, m[47] = 0, put32(m + 48, 1);
	m[52] = 1, m[53] = 12, m[54] = 2, put32(m + 56, (uint32_t)PC_IOAPIC0), put32(m + 60, 0);
	m[64] = 2, m[65] = 10;
	m[74] = 1, m[75] = 12, m[76] = 3, put32(m + 78, (uint32_t)PC_IOAPIC1), put32(m + 82, 24);
	fix_sum(m, 86, 9);
	sdt(PC_HPET_TBL, "HPET", 56);
	put64(pc.mem + PC_HPET_TBL + 44, PC_HPET);
	fix_sum(pc.mem + PC_HPET_TBL, 56, 9);
}

static void pc_add(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t id, int multi, uint16_t cmd)
{
	pc.pci[pc.npci++] = (typeof(pc.pci[0])){ bus, dev, fn, id, multi ? PCI_MULTIFUNC : 0, cmd };
}

/* Everything as docs/entry.md documents it, the RSDP in the BIOS area. */
static void pc_good(void)
{
	int i, p;

	memset(&pc, 0, sizeof(pc));
	pc_acpi(0xf5a10, 0);
	pc.pic[0] = pc.pic[1] = 0xff;
	for (i = 0; i < 2; i++) {
		pc.ioapic[i].pins = i ? 8 : 24;
		for (p = 0; p < 24; p++)
			pc.ioapic[i].lo[p] = IOAPIC_MASKED | (0x30 + p);
	}
	pc.apic_base = PC_LAPIC | APIC_BASE_EN | APIC_BASE_BSP;
	pc.lapic[APIC_VERSION / 4] = 5 << 16 | 0x14;
	pc.lapic[APIC_SVR / 4] = 0x10f;
	pc.lapic[APIC_LVT_LINT0 / 4] = 0x5700;		/* what Linux writes, read back as QEMU does */
	pc.lapic[APIC_LVT_LINT1 / 4] = 0x5400;
	pc.lapic[APIC_LVT_TIMER / 4] = APIC_LVT_MASKED | 0xec;
	pc.lapic[APIC_LVT_ERROR / 4] = APIC_LVT_MASKED | 0xfe;
	pc.lapic[APIC_LVT_PERF / 4] = APIC_LVT_MASKED | APIC_LVT_NMI;
	pc.lapic[APIC_LVT_THERMAL / 4] = APIC_LVT_MASKED | 0xfa;
	pc.lapic[APIC_LVT_CMCI / 4] = 0xf9;		/* unmasked, but absent: last LVT 5 */
	pc.hpet_cfg = 0;
	for (i = 0; i < 3; i++)
		pc.hpet_tn[i] = 0x30;
	pc_add(0, 0, 0, 0x12378086, 0, 0x0002);
	pc_add(0, 1, 0, 0x70008086, 1, 0x0003);
	pc_add(0, 1, 1, 0x70108086, 1, 0x0001);
	pc_add(0, 1, 3, 0x71138086, 1, 0x0000);
	pc_add(0, 30, 0, 0x244e8086, 0, 0x0003);			/* a bridge */
	pc_add(3, 0, 0, 0x10001af4, 1, 0x0003);			/* behind it */
	pc_add(3, 0, 5, 0x10421af4, 1, 0x0003);
}

static int run_shutdown(int *functions)
{
	fails = 0;
	all_checks[0] = '\0';
	return probe_check_shutdown(&pc_hw, functions);
}

static void test_expect(void **state)
{
	static const char ok[] = "console=ttyS0 baton.case=x\tbaton.expect=shutdown quiet";

	(void)state;
	assert_int_equal(probe_expectations(ok, sizeof(ok) - 1), PROBE_EXPECT_SHUTDOWN);
	/* Cut short: "baton.expect=shut" is no expectation it knows. */
	assert_int_equal(probe_expectations(ok, 44), 0);
	assert_string_equal(last_check, "expect");
	assert_non_null(strstr(last_msg, "'baton.expect=shut'"));
	fails = 0;
	assert_int_equal(probe_expectations("console=ttyS0 quiet", 19), 0);
	assert_int_equal(probe_expectations("xbaton.expect=shutdown", 22), 0);
	assert_int_equal(probe_expectations("", 0), 0);
	assert_int_equal(fails, 0);
	assert_int_equal(probe_expectations("baton.expect= baton.expect=shutdown", 35),
			 PROBE_EXPECT_SHUTDOWN);
	assert_int_equal(fails, 1);
}

static void test_shutdown_good(void **state)
{
	struct probe_acpi a;
	int fns;

	(void)state;
	pc_good();
	assert_int_equal(run_shutdown(&fns), 0);
	assert_int_equal(fns, 7);
	/* Every bus, every device, function 0 (plus the header and the functions
	 * of multi-function devices): the whole space, once. */
	assert_true(pc.pci_reads >= 256 * 32 && pc.pci_reads < 256 * 32 + 64);
	assert_int_equal(probe_acpi_find(&pc_hw, &a), 0);
	assert_int_equal(a.rsdp, 0xf5a10);
	assert_int_equal(a.xsdt, 0);
	assert_int_equal(a.nioapic, 2);
	assert_true(a.ioapic[1].addr == PC_IOAPIC1 && a.ioapic[1].id == 3 && a.ioapic[1].gsi == 24);
	assert_int_equal(a.nhpet, 1);
	assert_true(a.hpet[0] == PC_HPET);

	/* Revision 2 in the EBDA's first KiB: found there, through the XSDT. */
	memset(pc.mem + 0xf5a10, 0, 36);
	pc.mem[0x40e] = 0xc0, pc.mem[0x40f] = 0x9f;		/* segment 0x9fc0 */
	pc_acpi(0x9fc00 + 0x100, 2);
	assert_int_equal(probe_acpi_find(&pc_hw, &a), 0);
	assert_int_equal(a.rsdp, 0x9fd00);
	assert_int_equal(a.xsdt, 1);
	assert_true(a.root == PC_XSDT);
	assert_int_equal(a.nioapic, 2);

	/* x2APIC: the same registers through MSRs 0x800 + reg / 16. */
	pc.apic_base |= APIC_BASE_EXTD;
	assert_int_equal(run_shutdown(&fns), 0);
	pc.lapic[APIC_LVT_TIMER / 4] &= ~APIC_LVT_MASKED;
	assert_int_equal(run_shutdown(&fns), 1);
	assert_string_equal(all_checks, "lapic");
	assert_non_null(strstr(last_msg, "LVT timer 0xec: not masked"));
}

/* Each way out of the documented state: exactly the checks it belongs to. */
static const struct {
	const char *checks, *msg;
} bad_cases[] = {
	{ "8259", "0xa1 = 0xfe" },
	{ "ioapic", "IO-APIC id 3 at 0xfec01000: 2 of 8 pins unmasked (0 7; pin 0 = 0x0000000000000030)" },
	{ "ioapic", "IO-APIC id 2 at 0xfec00000: no answer" },
	{ "lapic", "SVR 0x1ff, want 0x10f" },
	{ "lapic", "SVR 0xf, want 0x10f" },
	{ "lapic", "LVT LINT0 0x10700, want ExtINT" },
	{ "lapic", "LVT LINT0 0x400, want ExtINT" },
	{ "lapic", "LVT LINT1 0x700, want NMI" },
	{ "lapic", "LVT error 0xfe: not masked" },
	{ "lapic", "LVT perf 0x400: not masked" },
	{ "lapic", "LVT thermal 0xfa: not masked" },
	{ "lapic", "LVT CMCI 0xf9: not masked" },
	{ "lapic", "the local APIC is disabled" },
	{ "lapic", "the probe runs on an AP" },
	{ "hpet", "general configuration 0x1: ENABLE_CNF 1, LEG_RT_CNF 0" },
	{ "hpet", "general configuration 0x2: ENABLE_CNF 0, LEG_RT_CNF 1" },
	{ "hpet", "Tn_INT_ENB_CNF set on 1 of 3 timers (2; timer 2 = 0x34)" },
	{ "pci-master", "bus mastering on in 1 of 7 functions (03:00.5 1af4:1042 command 0x0007)" },
	{ "pci-master", "(00:00.0 8086:1237 command 0x0006 00:01.1 8086:7010 command 0x0005)" },
	{ "acpi ioapic", "no RSDP" },
	{ "acpi ioapic", "table APIC at 0x100200: length 86 or checksum wrong" },
	{ "acpi", "MADT at 0x100200: entry at offset 64 has length 0" },
	{ "acpi", "HPET table at 0x100300: too short, or its block is not in memory space" },
};

static void spoil(size_t i)
{
	switch (i) {
	case 0: pc.pic[1] = 0xfe; break;
	case 1: pc.ioapic[1].lo[0] = 0x30, pc.ioapic[1].lo[7] = 0x37; break;
	case 2: pc.ioapic[0].pins = 0; break;
	case 3: pc.lapic[APIC_SVR / 4] = 0x1ff; break;
	case 4: pc.lapic[APIC_SVR / 4] = 0x0f; break;
	case 5: pc.lapic[APIC_LVT_LINT0 / 4] = 0x10700; break;
	case 6: pc.lapic[APIC_LVT_LINT0 / 4] = 0x400; break;
	case 7: pc.lapic[APIC_LVT_LINT1 / 4] = 0x700; break;
	case 8: pc.lapic[APIC_LVT_ERROR / 4] = 0xfe; break;
	case 9: pc.lapic[APIC_LVT_PERF / 4] = 0x400; break;
	case 10: pc.lapic[APIC_LVT_THERMAL / 4] = 0xfa; break;
	case 11: pc.lapic[APIC_VERSION / 4] = 6 << 16 | 0x14; break;	/* CMCI there now */
	case 12: pc.apic_base &= ~(uint64_t)APIC_BASE_EN; break;
	case 13: pc.apic_base &= ~(uint64_t)APIC_BASE_BSP; break;
	case 14: pc.hpet_cfg = HPET_CFG_ENABLE; break;
	case 15: pc.hpet_cfg = HPET_CFG_LEGACY; break;
	case 16: pc.hpet_tn[2] = 0x34; break;
	case 17: pc.pci[6].cmd = 0x0007; break;
	case 18: pc.pci[0].cmd |= PCI_CMD_MASTER, pc.pci[2].cmd |= PCI_CMD_MASTER; break;
	case 19: memset(pc.mem + 0xf5a10, 0, 8); break;
	case 20: pc.mem[PC_MADT + 60]++; break;
	case 21: pc.mem[PC_MADT + 65] = 0, fix_sum(pc.mem + PC_MADT, 86, 9); break;
	case 22: pc.mem[PC_HPET_TBL + 40] = 1, fix_sum(pc.mem + PC_HPET_TBL, 56, 9); break;
	default: fail_msg("no case %zu", i);
	}
}

static void test_shutdown_bad(void **state)
{
	size_t i;
	int fns;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		pc_good();
		spoil(i);
		all_msgs[0] = '\0';
		run_shutdown(&fns);
		if (strcmp(all_checks, bad_cases[i].checks) || !strstr(all_msgs, bad_cases[i].msg))
			fail_msg("case %zu: checks '%s' (%s), want '%s' with ...%s...", i, all_checks,
				 all_msgs, bad_cases[i].checks, bad_cases[i].msg);
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
		cmocka_unit_test_setup(test_fdt_memory_uefi, setup),
		cmocka_unit_test_setup(test_e820, setup),
		cmocka_unit_test_setup(test_timings, setup),
		cmocka_unit_test_setup(test_map, setup),
		cmocka_unit_test_setup(test_expect, setup),
		cmocka_unit_test_setup(test_shutdown_good, setup),
		cmocka_unit_test_setup(test_shutdown_bad, setup),
	};

	return cmocka_run_group_tests_name("probe checkers", tests, NULL, NULL);
}
