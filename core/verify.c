/* SPDX-License-Identifier: MIT */
/*
 * The verify step, and the hash it checks: one rule for the stage that writes
 * each list page's hash word, the loader that checks it after copying, and the
 * tests that run the loader's steps on simulated memory.
 *
 * A list page's hash (BATON_HASH_XXH64, include/baton/handoff.h): h = 0, then for
 * each SRC entry of the page, in order, h = XXH64(the bytes it places, seed h).
 */
#ifdef __KERNEL__
/* In baton.ko: the kernel's own XXH64 (linux:lib/xxhash.c), the same function. */
#include <linux/xxhash.h>
#define XXH64(bytes, len, seed)	xxh64(bytes, len, seed)
#else
/* Debian's xxhash.h, header-only (the library whole, not a copy of it). */
#define XXH_INLINE_ALL
#define XXH_VECTOR 0		/* scalar: the loader runs without SSE */
#include <xxhash.h>
#endif
#include "core/check.h"

#define PAGE	BATON_PAGE_SIZE

uint64_t check_hash(uint64_t h, const void *bytes, uint64_t len)
{
	return XXH64(bytes, len, h);
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
