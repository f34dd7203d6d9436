/* SPDX-License-Identifier: MIT */
/* Seeded xorshift64 (Marsaglia), shared by the kernel and the host self-check. */
#ifndef OUTGOING_RNG_H
#define OUTGOING_RNG_H

#include <stdint.h>

/* splitmix64 of the seed: any seed, 0 included, gives a non-zero state. */
static inline uint64_t rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Uniform enough in [0, n) for placement; 0 when n is 0. */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

#endif
