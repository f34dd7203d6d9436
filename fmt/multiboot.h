/* SPDX-License-Identifier: MIT */
/*
 * fmt/multiboot: finding a Multiboot header (Multiboot 0.6.96, section 3.1;
 * Multiboot2 2.0, section 3.1). An image that carries one asks its loader for the
 * Multiboot convention (EAX = the magic, EBX = the info structure); baton does
 * not launch that yet, so the stage refuses such an image rather than start it
 * with baton's ELF registers. fmt_multiboot_find() reports each header with its
 * offset and fields, for the loader that will launch them.
 *
 * A header counts only where the specification puts it and with a valid
 * checksum:
 *   Multiboot1: magic 0x1BADB002, 4-byte aligned, its 12 bytes (magic, flags,
 *               checksum) inside the first 8192 bytes, magic + flags + checksum
 *               == 0 (mod 2^32);
 *   Multiboot2: magic 0xE85250D6, 8-byte aligned, its 16 fixed bytes (magic,
 *               architecture, header_length, checksum) inside the first 32768
 *               bytes, magic + architecture + header_length + checksum == 0
 *               (mod 2^32), as GRUB finds it. header_length and the tags are not
 *               judged here: for a refusal, a header whose tags are broken is
 *               still a Multiboot2 image, never an ELF to launch as one.
 * Every scan stops at the end of the buffer as well as at the window's end.
 */
#ifndef BATON_FMT_MULTIBOOT_H
#define BATON_FMT_MULTIBOOT_H

#include <stdint.h>

#define FMT_MB1_MAGIC		0x1BADB002u
#define FMT_MB1_ALIGN		4
#define FMT_MB1_SEARCH		8192	/* the header lies in the first 8 KiB */
#define FMT_MB1_HEADER		12	/* magic, flags, checksum */

#define FMT_MB2_MAGIC		0xE85250D6u
#define FMT_MB2_ALIGN		8
#define FMT_MB2_SEARCH		32768	/* the header lies in the first 32 KiB */
#define FMT_MB2_FIXED		16	/* magic, architecture, header_length, checksum */
#define FMT_MB2_ARCH_I386	0	/* 32-bit protected mode */
#define FMT_MB2_ARCH_MIPS32	4

struct fmt_multiboot {
	int mb1, mb2;			/* which headers were found */
	uint32_t mb1_off, mb1_flags;	/* Multiboot1: offset in the image, flags */
	uint32_t mb2_off, mb2_arch;	/* Multiboot2: offset, architecture */
	uint32_t mb2_len;		/* header_length, tags included */
};

/* 1 when the image carries a Multiboot1 or Multiboot2 header, else 0. */
int fmt_multiboot_probe(const void *buf, uint64_t len);

/* Fills mb with the first valid header of each kind (mb->mb1/mb2 0 when none);
 * returns 1 when it found either. */
int fmt_multiboot_find(const void *buf, uint64_t len, struct fmt_multiboot *mb);

#endif
