/* SPDX-License-Identifier: MIT */
#ifndef BATON_CRC32_H
#define BATON_CRC32_H

#include <stdint.h>

/* CRC-32/IEEE (zlib's crc32): crc32_update(0, buf, len) for a whole buffer. */
uint32_t crc32_update(uint32_t crc, const void *buf, uint64_t len);

/* The handoff page's CRC: its header (the crc32 field taken as zero) and the
 * memory map after it. */
struct baton_handoff;
uint32_t crc32_handoff(const struct baton_handoff *h);

#endif
