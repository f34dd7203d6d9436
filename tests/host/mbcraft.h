/* SPDX-License-Identifier: MIT */
/*
 * Multiboot headers written byte by byte for the host tests, from the
 * specifications (Multiboot 0.6.96 and Multiboot2 2.0, section 3.1), not from
 * fmt/multiboot.c: magic, fields, and a checksum that makes the sum 0 mod 2^32.
 */
#ifndef BATON_MBCRAFT_H
#define BATON_MBCRAFT_H

#include <stdint.h>

static inline void mbcraft_put32(uint8_t *p, uint64_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* Multiboot1: magic 0x1BADB002, flags, checksum (12 bytes). */
static inline void mbcraft_mb1(uint8_t *p, uint64_t off, uint32_t flags)
{
	mbcraft_put32(p, off, 0x1BADB002u);
	mbcraft_put32(p, off + 4, flags);
	mbcraft_put32(p, off + 8, 0u - 0x1BADB002u - flags);
}

/* Multiboot2: magic 0xE85250D6, architecture, header_length, checksum, then an
 * end tag (type 0, flags 0, size 8): 24 bytes, whatever hlen claims. */
static inline void mbcraft_mb2(uint8_t *p, uint64_t off, uint32_t arch, uint32_t hlen)
{
	mbcraft_put32(p, off, 0xE85250D6u);
	mbcraft_put32(p, off + 4, arch);
	mbcraft_put32(p, off + 8, hlen);
	mbcraft_put32(p, off + 12, 0u - 0xE85250D6u - arch - hlen);
	mbcraft_put32(p, off + 16, 0);		/* end tag: type 0, flags 0 */
	mbcraft_put32(p, off + 20, 8);		/* size 8 */
}

#endif
