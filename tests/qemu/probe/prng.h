/* SPDX-License-Identifier: MIT */
/*
 * The probe's test pattern: splitmix64, one stream per segment. The host tool
 * gen.c writes the stream into the files the probe includes (data_a.bin,
 * data_b.bin); the probe regenerates the same stream at run time and compares
 * every byte. Each 64-bit output is stored little-endian.
 *
 * Shared, unchanged, by gen.c (host), the probe (freestanding) and
 * tests/host/test_probe.c.
 */
#ifndef PROBE_PRNG_H
#define PROBE_PRNG_H

#include <stdint.h>

/* Seeds: "baton-pA" / "baton-pB" read as little-endian u64. */
#define PROBE_SEED_A	0x41702d6e6f746162ULL
#define PROBE_SEED_B	0x42702d6e6f746162ULL

/*
 * Sizes in bytes (multiples of 8). data_a fills the end of segment 1; data_b
 * opens segment 2 and is deliberately not a 4 KiB multiple, so .data and the
 * start of .bss do not fall on a page boundary: the loader must zero the tail
 * of the last file-backed page itself.
 */
#define PROBE_DATA_A_SIZE	(4ULL << 20)
#define PROBE_DATA_B_SIZE	((4ULL << 20) + 0x1238)

static inline uint64_t prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
