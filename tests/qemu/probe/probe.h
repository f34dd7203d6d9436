/* SPDX-License-Identifier: MIT */
/*
 * The probe: what entry.asm records, and the checkers (probe_check.c).
 *
 * The checkers are plain C over plain data (the recorded entry state, a byte
 * range, an FDT, a page-table reader), so tests/host/test_probe.c runs them on
 * the host too. They report through two hooks the environment supplies:
 * probe_fail() for a failed check (one line each), probe_info() for an info line.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stdint.h>
#include <stddef.h>
#include <baton/handoff.h>
#include "arch/x86/hw.h"

/*
 * Everything entry.asm saves before it touches anything. The offsets are fixed:
 * entry.asm writes them by number (checked by the asserts below).
 */
struct probe_entry_state {
	uint64_t rax, rbx, rcx, rdx;		/* 0x00 */
	uint64_t rsi, rdi, rbp, rsp;		/* 0x20 */
	uint64_t r8, r9, r10, r11;		/* 0x40 */
	uint64_t r12, r13, r14, r15;		/* 0x60 */
	uint64_t rflags;			/* 0x80 */
	uint64_t cs, ds, es, ss, fs, gs;	/* 0x88 selectors, zero-extended */
	uint64_t cr0, cr2, cr3, cr4;		/* 0xb8 */
	uint64_t efer;				/* 0xd8 MSR 0xC0000080 */
	uint64_t fs_base, gs_base;		/* 0xe0 MSRs 0xC0000100/0xC0000101 */
	uint64_t tsc;				/* 0xf0 rdtsc, right after the above */
	uint64_t ret;				/* 0xf8 [rsp] at entry: the fake return address */
	uint8_t  gdtr[16];			/* 0x100 sgdt: limit(2) base(8) */
	uint8_t  idtr[16];			/* 0x110 sidt */
	uint64_t entries;			/* 0x120 times _start ran (1) */
};
_Static_assert(__builtin_offsetof(struct probe_entry_state, rsp) == 0x38, "rsp");
_Static_assert(__builtin_offsetof(struct probe_entry_state, r8) == 0x40, "r8");
_Static_assert(__builtin_offsetof(struct probe_entry_state, rflags) == 0x80, "rflags");
_Static_assert(__builtin_offsetof(struct probe_entry_state, cs) == 0x88, "cs");
_Static_assert(__builtin_offsetof(struct probe_entry_state, gs) == 0xb0, "gs");
_Static_assert(__builtin_offsetof(struct probe_entry_state, cr0) == 0xb8, "cr0");
_Static_assert(__builtin_offsetof(struct probe_entry_state, efer) == 0xd8, "efer");
_Static_assert(__builtin_offsetof(struct probe_entry_state, fs_base) == 0xe0, "fs_base");
_Static_assert(__builtin_offsetof(struct probe_entry_state, tsc) == 0xf0, "tsc");
_Static_assert(__builtin_offsetof(struct probe_entry_state, ret) == 0xf8, "ret");
_Static_assert(__builtin_offsetof(struct probe_entry_state, gdtr) == 0x100, "gdtr");
_Static_assert(__builtin_offsetof(struct probe_entry_state, entries) == 0x120, "entries");
_Static_assert(sizeof(struct probe_entry_state) == 0x128, "state size");

/* What the ELF64 entry convention promises (docs/entry.md). */
#define PROBE_CS		BATON_BOOT_CS
#define PROBE_DS		BATON_BOOT_DS


/* Report hooks: supplied by probe_main.c (serial) or the host test. */
void probe_fail(const char *check, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void probe_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A physical range [base, base + size). */
struct probe_range {
	uint64_t base, size;
};

/* One fw_cfg etc/e820 entry (20 bytes on the wire: le64 addr, le64 len, le32 type). */
struct probe_e820 {
	uint64_t addr, len;
	uint32_t type;
};
#define PROBE_E820_RAM		1
#define PROBE_E820_MAX		128
#define PROBE_MEM_MAX		64
#define PROBE_TIMINGS_MAX	64

/* Each checker returns the number of failures it reported (0 = all good). */

/* Registers, control registers and flags at entry. */
int probe_check_cpu(const struct probe_entry_state *s);

/* [p, p + len) holds the splitmix64 stream from seed (len a multiple of 8). */
int probe_check_pattern(const char *what, const void *p, uint64_t len, uint64_t seed);

/* [p, p + len) is all zero. */
int probe_check_zero(const char *what, const void *p, uint64_t len);

/* Parse etc/e820 bytes into e[] (at most max); returns entries, -1 if malformed. */
int probe_parse_e820(const void *buf, size_t len, struct probe_e820 *e, int max);

/*
 * The FDT: header, root cells, /chosen/bootargs == want (want_len bytes, no NUL),
 * the /memory ranges against the e820 RAM, /baton compatible. The /memory ranges
 * go to mem[] (at most max), their count to *nmem.
 */
int probe_check_fdt(const void *fdt, const char *want, size_t want_len,
		    const struct probe_e820 *e820, int ne,
		    struct probe_range *mem, int max, int *nmem);

/*
 * /baton timings and timing-names: N >= 4, nonzero, non-decreasing, none after
 * entry_tsc. Prints a `probe: timings` line; *count gets N.
 */
int probe_check_timings(const void *fdt, uint64_t entry_tsc, int *count);

/*
 * Page tables from cr3 map every byte of each range in r[] identity, present and
 * writable. read64(ctx, pa) reads the u64 at physical pa. No table may lie
 * inside [avoid.base, avoid.base + avoid.size) (the probe's own image). efer
 * tells whether NX bits are legal, gb_pages whether the CPU has 1 GiB pages.
 */
typedef uint64_t (*probe_read64_fn)(void *ctx, uint64_t pa);
int probe_check_map(uint64_t cr3, uint64_t efer, int gb_pages, probe_read64_fn read64,
		    void *ctx, const struct probe_range *r, int n,
		    struct probe_range avoid);

/* Quietly: is [base, base + size) mapped identity, present and writable? */
int probe_mapped(uint64_t cr3, uint64_t efer, int gb_pages, probe_read64_fn read64,
		 void *ctx, uint64_t base, uint64_t size);

/*
 * What the old kernel left behind (probe_shutdown.c; docs/entry.md, "What the
 * kernel hook leaves"). The checker reaches the machine only through these
 * callbacks: probe_main.c gives it port I/O, MSRs, MMIO and PCI configuration
 * mechanism #1, the host test a simulated machine.
 */
struct probe_hw {
	void *ctx;
	uint8_t (*inb)(void *ctx, uint16_t port);
	uint64_t (*rdmsr)(void *ctx, uint32_t msr);
	uint32_t (*read32)(void *ctx, uint64_t pa);			/* MMIO */
	void (*write32)(void *ctx, uint64_t pa, uint32_t v);		/* MMIO */
	uint32_t (*pci_read32)(void *ctx, uint32_t bus, uint32_t dev, uint32_t fn,
			       uint32_t off);				/* 0xffffffff: none */
	const void *(*map)(void *ctx, uint64_t pa, uint64_t len);	/* firmware tables; NULL: unreadable */
};

#define PROBE_IOAPIC_MAX	16
#define PROBE_HPET_MAX		8
/* What the ACPI tables name: MADT type-1 entries, HPET tables' blocks. */
struct probe_acpi {
	uint64_t rsdp, root;		/* addresses; root is the XSDT or the RSDT */
	int xsdt;			/* 1: root is the XSDT */
	int madt;			/* an "APIC" table was found */
	int nioapic, nhpet;
	struct { uint64_t addr; uint32_t id, gsi; } ioapic[PROBE_IOAPIC_MAX];
	uint64_t hpet[PROBE_HPET_MAX];
};

/*
 * The `baton.expect=` words of a command line (len bytes, no NUL needed):
 * PROBE_EXPECT_SHUTDOWN when one says `shutdown`, PROBE_EXPECT_UEFI for `uefi`;
 * a value it does not know is a failure ("expect").
 */
#define PROBE_EXPECT_SHUTDOWN	1
#define PROBE_EXPECT_UEFI	2	/* started through UEFI: firmware RAM is not in /memory */
int probe_expectations(const char *args, size_t len);

/* RSDP (EBDA's first KiB, then 0xe0000-0xfffff), XSDT or RSDT, MADT, HPET tables. */
int probe_acpi_find(const struct probe_hw *hw, struct probe_acpi *a);

/*
 * The 8259 masks, every IO-APIC pin, the local APIC's SVR and LVTs, every
 * HPET's configuration and every PCI function's bus-master bit, against the
 * state docs/entry.md documents. One FAIL line per finding, one info line per
 * device; *functions gets the PCI functions found.
 */
int probe_check_shutdown(const struct probe_hw *hw, int *functions);

/* [a, a + alen) and [b, b + blen) overlap. */
static inline int probe_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

#endif
