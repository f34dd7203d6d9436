/* SPDX-License-Identifier: MIT */
/* Multiboot v1 boot information (Multiboot Specification 0.6.96, 3.3). */
#ifndef OUTGOING_MULTIBOOT_H
#define OUTGOING_MULTIBOOT_H

#include <stdint.h>

struct mb_info {
	uint32_t flags;		/* 0x00 MB_INFO_* */
	uint32_t mem_lower;	/* 0x04 */
	uint32_t mem_upper;	/* 0x08 */
	uint32_t boot_device;	/* 0x0c */
	uint32_t cmdline;	/* 0x10 physical address of a NUL-terminated string */
	uint32_t mods_count;	/* 0x14 */
	uint32_t mods_addr;	/* 0x18 array of struct mb_module */
	uint32_t syms[4];	/* 0x1c */
	uint32_t mmap_length;	/* 0x2c bytes */
	uint32_t mmap_addr;	/* 0x30 entries of struct mb_mmap_entry */
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start;	/* 0x00 first byte */
	uint32_t mod_end;	/* 0x04 one past the last byte */
	uint32_t string;	/* 0x08 NUL-terminated string */
	uint32_t reserved;	/* 0x0c */
};

/* `size` does not count itself: the next entry is at entry + size + 4. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base;
	uint64_t len;
	uint32_t type;		/* MB_MMAP_AVAILABLE or anything else */
} __attribute__((packed));

_Static_assert(sizeof(struct mb_info) == 0x34, "mb_info size");
_Static_assert(sizeof(struct mb_module) == 0x10, "mb_module size");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "mb_mmap_entry size");

#endif
