/* SPDX-License-Identifier: MIT */
#ifndef BATON_CRC32_H
#define BATON_CRC32_H

#include <stdint.h>

/* CRC-32/IEEE (zlib's crc32): crc32_update(0, buf, len) for a whole buffer. */
uint32_t crc32_update(uint32_t crc, const void *buf, uint64_t len);

/* The handoff's CRC: over [0, total_size) with the crc32 field taken as zero. */
struct baton_handoff;
uint32_t crc32_handoff(const struct baton_handoff *h);

#endif
