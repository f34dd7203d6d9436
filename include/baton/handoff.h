/* SPDX-License-Identifier: MIT */
/*
 * baton handoff ABI: the one definition of what an outgoing side hands the loader.
 *
 * The outgoing side (a kernel hook, a UEFI chainloader, the QEMU test kernel) builds
 * one contiguous handoff in memory: this header, then the lists it points at by
 * offset. Every field has a fixed width and a fixed offset (in the comments, checked
 * by _Static_assert below). Assembly reads offsets generated from this file
 * (arch/x86/asm-offsets.c), never hand-written ones.
 *
 * Growth rule: new fields only at the tail of a struct, with a version bump and a
 * comment naming the version that added them. The loader accepts exactly the
 * versions it knows.
 *
 * Units: addresses are physical byte addresses; run sizes are in 4 KiB pages;
 * every run address is 4 KiB aligned. See docs/handoff.md for the picture.
 */
#ifndef BATON_HANDOFF_H
#define BATON_HANDOFF_H

#include <stdint.h>

#define BATON_PAGE_SHIFT	12
#define BATON_PAGE_SIZE		(1ULL << BATON_PAGE_SHIFT)

/* "BATONHO1" read as a little-endian u64. */
#define BATON_HANDOFF_MAGIC	0x314f484e4f544142ULL
#define BATON_HANDOFF_VERSION	1

/* struct baton_handoff.hash_alg: how baton_copy_run.hash is made */
#define BATON_HASH_XXH64	1	/* XXH64(seed 0) over the run's destination bytes */

/* struct baton_mem_range.type */
#define BATON_MEM_USABLE	1	/* RAM the new world may own */
#define BATON_MEM_RESERVED	2	/* firmware, ACPI, MMIO holes: mapped, never written */
#define BATON_MEM_NEVER_TOUCH	3	/* RAM that must survive (crash log, pstore, ...): never written */

/* struct baton_entry.convention: the CPU state the loader launches the image in */
#define BATON_ENTRY_ELF64	1	/* long mode, identity map of RAM, RDI = args[0] */
#define BATON_ENTRY_LINUX64	2	/* Linux boot protocol, 64-bit entry: RSI = args[1] = zero page */
#define BATON_ENTRY_LINUX32	3	/* Linux boot protocol, 32-bit entry, paging off: ESI = args[1] */
#define BATON_ENTRY_ELF32	4	/* protected mode, paging off, EDI = args[0] */

/* Segment selectors the loader's GDT gives an image (docs/entry.md): the values
 * the Linux boot protocol names __BOOT_CS and __BOOT_DS. */
#define BATON_BOOT_CS		0x10	/* flat code: 64-bit (ELF64, LINUX64) or 32-bit */
#define BATON_BOOT_DS		0x18	/* flat data */

/* struct baton_console.kind */
#define BATON_CON_NONE		0
#define BATON_CON_UART_IO	1	/* 16550 UART at an I/O port (COM1 = 0x3f8) */

/* struct baton_reset.action: what the loader does after a panic */
#define BATON_PANIC_RESET	0	/* reset the machine after delay_ms */
#define BATON_PANIC_HALT	1	/* halt: the machine stays as the panic left it */

/* struct baton_reset.acpi_space: the ACPI Generic Address Structure's space IDs */
#define BATON_RESET_SPACE_MEM	0	/* acpi_addr is a physical memory address */
#define BATON_RESET_SPACE_IO	1	/* acpi_addr is an I/O port */

/* The wait before a reset when the outgoing side names none (the stage's
 * default), and the loader's own before it trusts a handoff. */
#define BATON_RESET_DELAY_MS	5000

/* One range of the physical memory map. Ranges are 4 KiB aligned. */
struct baton_mem_range {
	uint64_t base;		/* 0x00 */
	uint64_t size;		/* 0x08 bytes */
	uint32_t type;		/* 0x10 BATON_MEM_* */
	uint32_t pad;		/* 0x14 zero */
};

/* Copy run: pages [src, src + pages*4K) must end up at [dst, dst + pages*4K). */
struct baton_copy_run {
	uint64_t src;		/* 0x00 */
	uint64_t dst;		/* 0x08 */
	uint64_t pages;		/* 0x10 */
	uint64_t hash;		/* 0x18 hash of the destination after placement */
};

/* Zero run: pages [dst, dst + pages*4K) must end up zero. The loader checks every
 * byte against zero, so a zero run carries no hash. */
struct baton_zero_run {
	uint64_t dst;		/* 0x00 */
	uint64_t pages;		/* 0x08 */
	uint64_t reserved[2];	/* 0x10 zero (the loader refuses anything else) */
};

/* Where and how the loader starts the image. */
struct baton_entry {
	uint32_t convention;	/* 0x00 BATON_ENTRY_* */
	uint32_t flags;		/* 0x04 zero */
	uint64_t addr;		/* 0x08 entry point, physical */
	uint64_t args[4];	/* 0x10 argument registers, per convention */
	uint64_t pad;		/* 0x30 zero */
};

/* The loader's diagnostics console. */
struct baton_console {
	uint16_t port;		/* 0x00 I/O port of the UART */
	uint8_t  kind;		/* 0x02 BATON_CON_* */
	uint8_t  pad;		/* 0x03 zero */
	uint32_t baud;		/* 0x04 0 = leave the UART as it is */
};

/* What the loader does after a panic (docs/entry.md). */
struct baton_reset {
	uint64_t acpi_addr;	/* 0x00 FADT RESET_REG address, 0 = not given */
	uint8_t  acpi_space;	/* 0x08 its ACPI address space: 0 memory, 1 I/O */
	uint8_t  acpi_value;	/* 0x09 FADT RESET_VALUE */
	uint8_t  action;	/* 0x0a BATON_PANIC_RESET (0) or BATON_PANIC_HALT (1) */
	uint8_t  pad;		/* 0x0b zero */
	uint32_t delay_ms;	/* 0x0c wait before resetting */
};

struct baton_handoff {
	uint64_t magic;		/* 0x00 BATON_HANDOFF_MAGIC */
	uint32_t version;	/* 0x08 BATON_HANDOFF_VERSION */
	uint32_t header_size;	/* 0x0c sizeof(struct baton_handoff) */
	uint64_t total_size;	/* 0x10 header and all lists, bytes */
	uint32_t crc32;		/* 0x18 CRC-32/IEEE of [0, total_size), this field zero */
	uint32_t flags;		/* 0x1c zero: v1 defines none (the loader refuses any);
				 * nothing ever makes a loader skip a safety step */

	uint64_t mem_off;	/* 0x20 lists: byte offsets from the header start */
	uint64_t mem_count;	/* 0x28 */
	uint64_t copy_off;	/* 0x30 */
	uint64_t copy_count;	/* 0x38 */
	uint64_t zero_off;	/* 0x40 */
	uint64_t zero_count;	/* 0x48 */

	struct baton_entry entry;	/* 0x50 */
	struct baton_console console;	/* 0x88 */

	uint64_t loader_base;	/* 0x90 the region the loader owns: blob, bss, work area */
	uint64_t loader_size;	/* 0x98 bytes, 4 KiB multiple */
	uint64_t work_off;	/* 0xa0 work area: offset in the loader region */
	uint64_t plan_pieces;	/* 0xa8 pieces the copy plan needs (stage's dry run) */

	uint64_t timings_addr;	/* 0xb0 where the loader stores its step timings, or 0 */
	uint32_t timings_count;	/* 0xb8 u64 slots there (big-endian, an FDT property) */
	uint32_t tsc_khz;	/* 0xbc TSC frequency for the log, 0 = unknown */

	uint32_t hash_alg;	/* 0xc0 BATON_HASH_* */
	uint16_t exit_port;	/* 0xc4 test only: isa-debug-exit port; 0: as `reset` says */
	uint16_t pad0;		/* 0xc6 zero */
	uint32_t test_flags;	/* 0xc8 test only: BATON_TEST_* switches */
	uint32_t pad1;		/* 0xcc zero */
	struct baton_reset reset;	/* 0xd0 after a panic (added within v1: docs/handoff.md) */
	uint64_t reserved[4];	/* 0xe0 zero */
};

/*
 * The loader's step timings, in slot order: TSC values it stores big-endian at
 * timings_addr just before the jump (the boot info's /baton/timings property).
 */
#define BATON_TIMING_COUNT	10
#define BATON_TIMING_NAMES	"entry\0header\0paging\0park\0check\0move\0plan\0copy\0verify\0launch"

/* struct baton_handoff.test_flags: honoured only when the loader is a test build */
#define BATON_TEST_NO_PARK	(1u << 0)	/* leave the APs running (proves parking) */
#define BATON_TEST_FAULT	(1u << 1)	/* take a page fault before placing (proves the dump) */
#define BATON_TEST_CHANGE	(1u << 2)	/* change the handoff before parking (proves the re-check) */
#define BATON_TEST_RESET_SKIP_SHIFT 3		/* bits 3-4: pass over the first n reset methods */
#define BATON_TEST_RESET_SKIP	(3u << 3)	/* (ACPI, 0xcf9, keyboard controller: proves each) */

/* isa-debug-exit values the loader writes to exit_port (QEMU exits with 2v+1). */
#define BATON_EXIT_PANIC	0x20

_Static_assert(sizeof(struct baton_mem_range) == 0x18, "mem_range size");
_Static_assert(sizeof(struct baton_copy_run) == 0x20, "copy_run size");
_Static_assert(sizeof(struct baton_zero_run) == 0x20, "zero_run size");
_Static_assert(sizeof(struct baton_entry) == 0x38, "entry size");
_Static_assert(sizeof(struct baton_console) == 0x08, "console size");
_Static_assert(sizeof(struct baton_reset) == 0x10, "reset size");
_Static_assert(__builtin_offsetof(struct baton_reset, acpi_space) == 0x08, "reset acpi_space");
_Static_assert(__builtin_offsetof(struct baton_reset, action) == 0x0a, "reset action");
_Static_assert(__builtin_offsetof(struct baton_reset, delay_ms) == 0x0c, "reset delay_ms");
_Static_assert(__builtin_offsetof(struct baton_handoff, entry) == 0x50, "entry offset");
_Static_assert(__builtin_offsetof(struct baton_handoff, console) == 0x88, "console offset");
_Static_assert(__builtin_offsetof(struct baton_handoff, loader_base) == 0x90, "loader_base");
_Static_assert(__builtin_offsetof(struct baton_handoff, timings_addr) == 0xb0, "timings_addr");
_Static_assert(__builtin_offsetof(struct baton_handoff, hash_alg) == 0xc0, "hash_alg");
_Static_assert(__builtin_offsetof(struct baton_handoff, reset) == 0xd0, "reset");
_Static_assert(__builtin_offsetof(struct baton_handoff, reserved) == 0xe0, "reserved");
_Static_assert(sizeof(struct baton_handoff) == 0x100, "handoff header size");

#endif
