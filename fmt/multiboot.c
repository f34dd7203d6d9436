/* SPDX-License-Identifier: MIT */
/*
 * Multiboot1 and Multiboot2 headers: where the specifications put them, with a
 * valid checksum (see fmt/multiboot.h). The image is untrusted and may be
 * unaligned: fields are read with memcpy, and each scan is bounded by both the
 * specification's window and the buffer's length.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fmt/multiboot.h"

static uint32_t mb_get32(const uint8_t *p, uint64_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* The bytes a header must lie in: the window, or less when the file is shorter. */
static uint64_t mb_window(uint64_t len, uint64_t search)
{
	return len < search ? len : search;
}

static int mb1_at(const uint8_t *p, uint64_t off, struct fmt_multiboot *mb)
{
	uint32_t magic = mb_get32(p, off), flags = mb_get32(p, off + 4);

	if (magic != FMT_MB1_MAGIC || (uint32_t)(magic + flags + mb_get32(p, off + 8)) != 0)
		return 0;
	mb->mb1 = 1;
	mb->mb1_off = (uint32_t)off;
	mb->mb1_flags = flags;
	return 1;
}

/* Magic and checksum over the fixed fields, as GRUB finds it: header_length and
 * the tags are the launcher's to judge, a refusal needs no more. */
static int mb2_at(const uint8_t *p, uint64_t off, struct fmt_multiboot *mb)
{
	uint32_t magic = mb_get32(p, off), arch = mb_get32(p, off + 4);
	uint32_t hlen = mb_get32(p, off + 8), sum = mb_get32(p, off + 12);

	if (magic != FMT_MB2_MAGIC || (uint32_t)(magic + arch + hlen + sum) != 0)
		return 0;
	mb->mb2 = 1;
	mb->mb2_off = (uint32_t)off;
	mb->mb2_arch = arch;
	mb->mb2_len = hlen;
	return 1;
}

int fmt_multiboot_find(const void *buf, uint64_t len, struct fmt_multiboot *mb)
{
	const uint8_t *p = buf;
	uint64_t end1 = mb_window(len, FMT_MB1_SEARCH), end2 = mb_window(len, FMT_MB2_SEARCH);

	memset(mb, 0, sizeof(*mb));
	for (uint64_t off = 0; off + FMT_MB1_HEADER <= end1; off += FMT_MB1_ALIGN)
		if (mb1_at(p, off, mb))
			break;
	for (uint64_t off = 0; off + FMT_MB2_FIXED <= end2; off += FMT_MB2_ALIGN)
		if (mb2_at(p, off, mb))
			break;
	return mb->mb1 || mb->mb2;
}

int fmt_multiboot_probe(const void *buf, uint64_t len)
{
	struct fmt_multiboot mb;

	return fmt_multiboot_find(buf, len, &mb);
}
