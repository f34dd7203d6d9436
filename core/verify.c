/* SPDX-License-Identifier: MIT */
/*
 * The verify step, and the hash it checks: one rule for the stage that writes
 * each list page's hash word, the loader that checks it after copying, and the
 * tests that run the loader's steps on simulated memory.
 *
 * A list page's hash (BATON_HASH_XXH64, include/baton/handoff.h): h = 0, then for
 * each SRC entry of the page, in order, h = XXH64(the bytes it places, seed h).
 */
#include "core/check.h"

#define PAGE	BATON_PAGE_SIZE

/*
 * XXH64 (xxHash's spec: xxhash:doc/xxhash_spec.md), written once for
 * size: xxhash.h's inlined copy was 0.8 KiB of the blob. tests/host/test_stage.c
 * holds it to the library's XXH64 for every length up to 300 bytes and many seeds.
 */
#define P1	0x9e3779b185ebca87ull
#define P2	0xc2b2ae3d27d4eb4full
#define P3	0x165667b19e3779f9ull
#define P4	0x85ebca77c2b2ae63ull
#define P5	0x27d4eb2f165667c5ull

static uint64_t rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static uint64_t read64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);	/* little-endian, any alignment */
	return v;
}

static uint64_t xxh_round(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * P2, 31) * P1;
}

uint64_t check_hash(uint64_t seed, const void *bytes, uint64_t len)
{
	const uint8_t *p = bytes, *end = p + len;
	uint64_t h = seed + P5;

	if (len >= 32) {
		/* four lanes in registers: this loop is the verify step's time */
		uint64_t a = seed + P1 + P2, b = seed + P2, c = seed, d = seed - P1;

		for (; end - p >= 32; p += 32) {
			a = xxh_round(a, read64(p));
			b = xxh_round(b, read64(p + 8));
			c = xxh_round(c, read64(p + 16));
			d = xxh_round(d, read64(p + 24));
		}
		h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
		for (int i = 0; i < 4; i++) {
			uint64_t v = i == 0 ? a : i == 1 ? b : i == 2 ? c : d;

			h = (h ^ xxh_round(0, v)) * P1 + P4;
		}
	}
	h += len;
	for (; end - p >= 8; p += 8)
		h = rotl(h ^ xxh_round(0, read64(p)), 27) * P1 + P4;
	if (end - p >= 4) {
		uint32_t w;

		__builtin_memcpy(&w, p, 4);
		h = rotl(h ^ w * P1, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl(h ^ *p * P5, 11) * P1;
	h = (h ^ h >> 33) * P2;
	h = (h ^ h >> 29) * P3;
	return h ^ h >> 32;
}

static void verify_src(struct check *c, uint64_t dst, uint64_t pages)
{
	if (!c->hash_dst)
		c->hash_dst = dst;
	c->hash = check_hash(c->hash, c->mem_ptr(c->ctx, dst, pages * PAGE), pages * PAGE);
}

static int verify_page(struct check *c, uint64_t i, uint64_t pa, uint64_t want)
{
	if (c->hash != want)
		return check_fail(c, CHECK_E_VERIFY, "list page %lu at 0x%lx: its copies from dst 0x%lx on hash to 0x%016lx, expected 0x%016lx",
				  (unsigned long)i, (unsigned long)pa, (unsigned long)c->hash_dst,
				  (unsigned long)c->hash, (unsigned long)want);
	c->hash = 0;
	c->hash_dst = 0;
	return 0;
}

/* Index of the first nonzero word of p[0..n), or n. Eight words a round: under
 * emulation about twice as fast as hashing the same bytes. */
static uint64_t nonzero_word(const uint64_t *p, uint64_t n)
{
	uint64_t i = 0;

	for (; i + 8 <= n; i += 8)
		if (p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] | p[i + 7])
			break;
	for (; i < n; i++)
		if (p[i])
			break;
	return i;
}

int check_verify(struct check *c)
{
	struct chain_ops ops = { .src = verify_src, .page_end = verify_page };
	int err;

	c->hash = c->hash_dst = 0;
	err = chain_walk(c, &ops);
	for (uint64_t i = 0; !err && i < c->nzero; i++) {
		uint64_t bytes = c->zero[i].pages * PAGE;
		const uint64_t *p = c->mem_ptr(c->ctx, c->zero[i].dst, bytes);
		uint64_t j = nonzero_word(p, bytes / 8);

		if (j < bytes / 8)
			return check_fail(c, CHECK_E_VERIFY, "zero run %lu dst 0x%lx pages %lu: 0x%016lx at 0x%lx is not zero",
					  (unsigned long)i, (unsigned long)c->zero[i].dst,
					  (unsigned long)c->zero[i].pages, (unsigned long)p[j],
					  (unsigned long)(c->zero[i].dst + 8 * j));
	}
	return err;
}
