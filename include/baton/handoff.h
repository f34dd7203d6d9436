/* SPDX-License-Identifier: MIT */
/*
 * baton handoff ABI, version 2: the one definition of what an outgoing side hands
 * the loader. docs/handoff.md has the picture and what happened to version 1.
 *
 * Nothing here needs a contiguous block larger than one page:
 *   - the handoff page: this header, then the memory map (BATON_MAP_MAX ranges);
 *   - the list pages: a chain of single pages, each 512 little-endian words, that
 *     say where every page of the new world comes from (struct baton_list_page);
 *   - the loader's work area is not allocated at all: it is RAM that is free at
 *     jump time, which the stage proposes (work_base, work_size) and the loader
 *     checks against every source, destination, list page and forbidden range.
 *
 * Every field has a fixed width and a fixed offset (in the comments, checked by
 * _Static_assert below). Assembly reads offsets generated from this file
 * (arch/x86/asm-offsets.c), never hand-written ones.
 *
 * Growth rule: new fields only at the tail of a struct or in reserved words, with
 * a version bump. The loader accepts exactly the version it knows.
 *
 * Units: addresses are physical byte addresses, 4 KiB aligned where they name a
 * page; counts of pages are of 4 KiB pages.
 */
#ifndef BATON_HANDOFF_H
#define BATON_HANDOFF_H

#include <stdint.h>

#define BATON_PAGE_SHIFT	12
#define BATON_PAGE_SIZE		(1ULL << BATON_PAGE_SHIFT)

/* "BATONHO2" read as a little-endian u64. */
#define BATON_HANDOFF_MAGIC	0x324f484e4f544142ULL
#define BATON_HANDOFF_VERSION	2

/* struct baton_handoff.hash_alg: how a list page's hash word is made */
#define BATON_HASH_XXH64	1	/* h = 0; for each SRC entry: h = XXH64(its destination bytes, seed h) */

/* struct baton_mem_range.type */
#define BATON_MEM_USABLE	1	/* RAM the new world may own */
#define BATON_MEM_RESERVED	2	/* firmware, ACPI, MMIO holes: mapped, never written */
#define BATON_MEM_NEVER_TOUCH	3	/* RAM that must survive (crash log, pstore, ...): never written */

/* The memory map lives in the handoff page, after the header: sorted by base,
 * disjoint, 4 KiB aligned (the stage merges touching ranges of one type). */
#define BATON_MAP_MAX		160

/* struct baton_entry.mode: the CPU mode the loader starts the image in */
#define BATON_MODE_LONG64	1	/* 64-bit long mode, the loader's identity map of RAM */
#define BATON_MODE_PROT32	2	/* 32-bit protected mode, paging off */

/* struct baton_entry.regs[]: the general registers at the image's first instruction */
#define BATON_REG_RAX		0
#define BATON_REG_RBX		1
#define BATON_REG_RCX		2
#define BATON_REG_RDX		3
#define BATON_REG_RSI		4
#define BATON_REG_RDI		5
#define BATON_REG_RBP		6
#define BATON_REG_COUNT		7
#define BATON_REG_NAMES		"rax\0rbx\0rcx\0rdx\0rsi\0rdi\0rbp"

/* Segment selectors the loader's GDT gives an image (docs/entry.md): the values
 * the Linux boot protocol names __BOOT_CS and __BOOT_DS. */
#define BATON_BOOT_CS		0x10	/* flat code: 64-bit (LONG64) or 32-bit (PROT32) */
#define BATON_BOOT_DS		0x18	/* flat data */

/* struct baton_console.kind */
#define BATON_CON_NONE		0
#define BATON_CON_UART_IO	1	/* 16550 UART at an I/O port (COM1 = 0x3f8) */

/* One range of the physical memory map. */
struct baton_mem_range {
	uint64_t base;		/* 0x00 */
	uint64_t size;		/* 0x08 bytes */
	uint32_t type;		/* 0x10 BATON_MEM_* */
	uint32_t pad;		/* 0x14 zero */
};

/*
 * Where and how the loader starts the image: a CPU mode and the value of every
 * general register (RSP is the loader's: a stack with a zero return address on
 * it). Registers not named are zero. PROT32 needs addr and every register below
 * 4 GiB. The stage fills this for each format (docs/entry.md).
 */
struct baton_entry {
	uint32_t mode;		/* 0x00 BATON_MODE_* */
	uint32_t flags;		/* 0x04 zero */
	uint64_t addr;		/* 0x08 entry point, physical */
	uint64_t regs[BATON_REG_COUNT];	/* 0x10 BATON_REG_* */
};

/* The loader's diagnostics console. */
struct baton_console {
	uint16_t port;		/* 0x00 I/O port of the UART */
	uint8_t  kind;		/* 0x02 BATON_CON_* */
	uint8_t  pad;		/* 0x03 zero */
	uint32_t baud;		/* 0x04 0 = leave the UART as it is */
};

/* What the loader does after a panic (docs/entry.md). */
#define BATON_PANIC_RESET	0	/* reset the machine after delay_ms */
#define BATON_PANIC_HALT	1	/* halt: the machine stays as the panic left it */

/* struct baton_reset.acpi_space: the ACPI Generic Address Structure's space IDs */
#define BATON_RESET_SPACE_MEM	0	/* acpi_addr is a physical memory address */
#define BATON_RESET_SPACE_IO	1	/* acpi_addr is an I/O port */

/* The wait before a reset when the outgoing side names none (the stage's
 * default), and the loader's own before it trusts a handoff. */
#define BATON_RESET_DELAY_MS	5000
struct baton_reset {
	uint64_t acpi_addr;	/* 0x00 FADT RESET_REG address, 0 = not given */
	uint8_t  acpi_space;	/* 0x08 its ACPI address space: 0 memory, 1 I/O */
	uint8_t  acpi_value;	/* 0x09 FADT RESET_VALUE */
	uint8_t  action;	/* 0x0a BATON_PANIC_RESET or BATON_PANIC_HALT */
	uint8_t  pad;		/* 0x0b zero */
	uint32_t delay_ms;	/* 0x0c wait before resetting */
};

/*
 * The handoff page's header. The memory map follows it at header_size; the CRC
 * covers both. The list pages have their own CRC (chain_crc32) because the loader
 * must know the header before it may walk them.
 */
struct baton_handoff {
	uint64_t magic;		/* 0x00 BATON_HANDOFF_MAGIC */
	uint32_t version;	/* 0x08 BATON_HANDOFF_VERSION */
	uint32_t header_size;	/* 0x0c sizeof(struct baton_handoff) */
	uint32_t crc32;		/* 0x10 CRC-32/IEEE of header and map, this field zero */
	uint32_t flags;		/* 0x14 zero: nothing ever makes a loader skip a step */
	uint32_t mem_count;	/* 0x18 memory ranges after the header, <= BATON_MAP_MAX */
	uint32_t hash_alg;	/* 0x1c BATON_HASH_* */

	uint64_t chain;		/* 0x20 first list page, 0 = none */
	uint64_t chain_pages;	/* 0x28 list pages in the chain */
	uint32_t chain_crc32;	/* 0x30 CRC-32 of every list page, in chain order */
	uint32_t pad0;		/* 0x34 zero */
	/* What the lists make once neighbours merge (the loader counts them again):
	 * they size the work area before the loader may write anything. */
	uint64_t copy_runs;	/* 0x38 */
	uint64_t zero_runs;	/* 0x40 */
	uint64_t claim_runs;	/* 0x48 */
	uint64_t plan_pieces;	/* 0x50 what the copy plan needs (the stage's dry run) */

	uint64_t loader_base;	/* 0x58 the blob and its bss, where the stage put them */
	uint64_t loader_size;	/* 0x60 bytes, 4 KiB multiple */
	uint64_t work_base;	/* 0x68 the work area the stage proposes: free at jump time */
	uint64_t work_size;	/* 0x70 bytes, 4 KiB multiple */

	struct baton_entry entry;	/* 0x78 */
	struct baton_console console;	/* 0xc0 */
	struct baton_reset reset;	/* 0xc8 */

	uint64_t timings_addr;	/* 0xd8 where the loader stores its step timings, or 0 */
	uint32_t timings_count;	/* 0xe0 u64 slots there (big-endian, an FDT property) */
	uint32_t tsc_khz;	/* 0xe4 TSC frequency for the log, 0 = unknown */
	uint16_t exit_port;	/* 0xe8 test only: isa-debug-exit port, 0 = none */
	uint16_t pad1;		/* 0xea zero */
	uint32_t test_flags;	/* 0xec test only: BATON_TEST_* switches */
	uint64_t reserved[2];	/* 0xf0 zero */
};

/*
 * A list page: one 4 KiB page of 512 little-endian u64 words.
 *
 *   word 0   next list page | BATON_LIST_MARK   (next = 0 on the last page)
 *   word 1   hash of the bytes this page's SRC entries place (hash_alg)
 *   word 2.. entries, until the page ends or a zero word; after a zero word
 *            every word is zero
 *
 * An entry's low 3 bits are its kind. Entries place at a cursor, a destination
 * address that DST sets and every other entry advances by the pages it places.
 *
 *   DST    addr | 1                 the cursor moves to addr
 *   SRC    addr | (pages-1) << 3 | 2  copy pages (1..512) from addr to the cursor
 *   ZERO   pages << 12 | 3          the cursor's pages must end up zero
 *   CLAIM  pages << 12 | 4          the cursor's pages must only be free: never
 *                                   written, never hashed (Linux's init_size)
 *
 * So a page whose destination follows the previous one costs one word (8 bytes),
 * a page on its own costs two (16 bytes): kexec's IND_SOURCE / IND_DESTINATION.
 */
#define BATON_LIST_WORDS	512
#define BATON_LIST_FIRST	2	/* the first entry word */
#define BATON_LIST_MARK		0xba7	/* low 12 bits of word 0 */
#define BATON_L_KIND(w)		((w) & 7)
#define BATON_L_DST		1
#define BATON_L_SRC		2
#define BATON_L_ZERO		3
#define BATON_L_CLAIM		4
#define BATON_L_ADDR(w)		((w) & ~0xfffULL)
#define BATON_L_SRC_PAGES(w)	((((w) >> 3) & 0x1ff) + 1)
#define BATON_L_SRC_MAX		512
#define BATON_L_COUNT(w)	((w) >> 12)

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
_Static_assert(sizeof(struct baton_entry) == 0x48, "entry size");
_Static_assert(sizeof(struct baton_console) == 0x08, "console size");
_Static_assert(sizeof(struct baton_reset) == 0x10, "reset size");
_Static_assert(__builtin_offsetof(struct baton_handoff, chain) == 0x20, "chain");
_Static_assert(__builtin_offsetof(struct baton_handoff, copy_runs) == 0x38, "copy_runs");
_Static_assert(__builtin_offsetof(struct baton_handoff, loader_base) == 0x58, "loader_base");
_Static_assert(__builtin_offsetof(struct baton_handoff, entry) == 0x78, "entry");
_Static_assert(__builtin_offsetof(struct baton_handoff, console) == 0xc0, "console");
_Static_assert(__builtin_offsetof(struct baton_handoff, reset) == 0xc8, "reset");
_Static_assert(__builtin_offsetof(struct baton_handoff, timings_addr) == 0xd8, "timings_addr");
_Static_assert(__builtin_offsetof(struct baton_handoff, reserved) == 0xf0, "reserved");
_Static_assert(sizeof(struct baton_handoff) == 0x100, "handoff header size");
_Static_assert(sizeof(struct baton_handoff) + BATON_MAP_MAX * sizeof(struct baton_mem_range) <=
	       BATON_PAGE_SIZE, "the map fits the handoff page");

#endif
