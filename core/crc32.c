/* SPDX-License-Identifier: MIT */
/*
 * CRC-32/IEEE, table driven. The table is built on first use (256 words of bss):
 * a const table would be as good, but this keeps the blob small.
 */
#include <stddef.h>
#include <baton/handoff.h>
#include "core/crc32.h"

static uint32_t crc_table[256];

static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t crc32_update(uint32_t crc, const void *buf, uint64_t len)
{
	const uint8_t *p = buf;

	if (!crc_table[1])
		crc32_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t crc32_handoff(const struct baton_handoff *h)
{
	static const uint32_t zero;
	const uint8_t *p = (const uint8_t *)h;
	const size_t at = offsetof(struct baton_handoff, crc32);
	uint32_t crc;

	crc = crc32_update(0, p, at);
	crc = crc32_update(crc, &zero, sizeof(zero));
	return crc32_update(crc, p + at + 4, sizeof(*h) - at - 4 +
			    (uint64_t)h->mem_count * sizeof(struct baton_mem_range));
}
