/* SPDX-License-Identifier: MIT */
/*
 * The loader's validator: every header, list page, range and overlap is checked
 * before the loader writes one byte of the new world. Each failure leaves a
 * one-line message naming the list page or run and the addresses in c->msg; the
 * loader prints it as its PANIC, the stage as its refusal.
 *
 * The steps, in the loader's order (loader/main.c); the stage runs the same ones
 * on what it built (stage/handoff.c), the host tests on simulated memory:
 *   check_header     the handoff page, copied into c->seen: magic, version, CRC,
 *                    fields that must be zero, the memory map normal
 *   check_chain      walk the list pages without writing anything: each page in
 *                    usable RAM and off the loader, the handoff page and the work
 *                    area; every entry well formed; the run counts and the chain's
 *                    CRC as the header says; the work area off every source and
 *                    destination
 *   check_unchanged  after the other CPUs are parked: the handoff page as copied
 *   check_collect    walk again (CRC again) and write the runs into the work area
 *   check_runs       destinations in usable RAM off forbidden ranges, sources in
 *                    usable RAM off the loader, no overlaps, list pages off every
 *                    source and destination, the entry inside what is copied
 *
 * Plain C, no machine access: list pages are read through c->page_ptr.
 */
#ifndef BATON_CHECK_H
#define BATON_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "core/layout.h"
#include "core/plan.h"
#include "core/sort.h"

#define CHECK_E_MAGIC		(-400)
#define CHECK_E_VERSION		(-401)
#define CHECK_E_SIZE		(-402)	/* header_size, mem_count, counts past any machine */
#define CHECK_E_CRC		(-403)
#define CHECK_E_MEMMAP		(-404)
#define CHECK_E_RUN		(-405)	/* unaligned, empty or wrapping run */
#define CHECK_E_OUTSIDE		(-406)	/* destination or source outside usable RAM */
#define CHECK_E_FORBIDDEN	(-407)	/* destination over a reserved / never-touch range */
#define CHECK_E_OVERLAP		(-408)	/* two destinations, or two sources, overlap */
#define CHECK_E_SELF		(-409)	/* a source inside the loader's own memory */
#define CHECK_E_ENTRY		(-410)	/* entry mode, address or registers not usable */
#define CHECK_E_WORK		(-411)	/* the proposed work area is too small or not free */
#define CHECK_E_NOSPOT		(-412)	/* no free place of the size needed */
#define CHECK_E_FIELD		(-413)	/* a field that must be zero is not */
#define CHECK_E_CHANGED		(-414)	/* the handoff changed after it was checked */
#define CHECK_E_LIST		(-415)	/* a list page: outside RAM, loop, truncated, bad entry */
#define CHECK_E_VERIFY		(-416)	/* after copying: a list page's hash, a zero run not zero */

/* Run references stored in the sorted destination array. */
#define CHECK_REF_ZERO		(1ull << 62)
#define CHECK_REF_CLAIM		(1ull << 63)
#define CHECK_REF_INDEX		(CHECK_REF_ZERO - 1)

/* A range [base, end) the loader owns besides the lists: loader region, handoff
 * page, work area. */
struct check_own {
	uint64_t base, end;
	const char *name;
};
#define CHECK_OWN_MAX	4

struct check {
	/* in */
	const struct baton_handoff *h;		/* the live handoff page */
	uint64_t h_pa;				/* its physical address */
	uint64_t self_base, self_size;		/* the loader region, where it is now */
	/* A pointer through which list page pa is read (the loader: pa itself). */
	const uint64_t *(*page_ptr)(void *ctx, uint64_t pa);
	/* A pointer through which [pa, pa + len) of the new world is read (verify). */
	const void *(*mem_ptr)(void *ctx, uint64_t pa, uint64_t len);
	void *ctx;
	int no_work;			/* the stage, before it proposes a work area */
	/* The stage: memory the caller still uses at the jump (stage_request.keep),
	 * for check_find_spot(). The loader has none. */
	const struct baton_mem_range *keep;
	uint64_t nkeep;

	/* out of check_header: the accepted handoff page, read only from here on */
	struct {
		struct baton_handoff h;
		struct baton_mem_range map[BATON_MAP_MAX];
	} seen;
	struct work_layout work;	/* laid out from seen */
	struct check_own own[CHECK_OWN_MAX];
	uint32_t nown;

	/* out of check_chain / check_collect */
	uint64_t ncopy, nzero, nclaim, nlist;	/* runs after merging, list pages */
	uint64_t pages;				/* destination pages: copy and zero */
	uint64_t claim_pages;
	uint64_t src_entries;			/* SRC entries (before merging) */
	uint32_t chain_crc;
	uint64_t hash, hash_dst;		/* verify: the list page's hash so far */

	/* in the work area (check_collect): runs, list pages, sorted arrays */
	uint8_t *mem;				/* the work area's check/plan memory */
	struct plan_run *copy;
	struct plan_zero *zero, *claim;
	struct sort_kv *list;		/* key: list page, val: its index; sorted */
	struct sort_kv *dst;	uint64_t ndst;	/* key: dst, val: index | CHECK_REF_* */
	struct sort_kv *src;	uint64_t nsrc;	/* key: src, val: copy index */
	char msg[200];
};

/* vsnprintf, provided by the environment: loader/format.c in the loader, the
 * C library on the host. */
int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap);
int check_fail(struct check *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int check_header(struct check *c);
int check_chain(struct check *c);
int check_unchanged(struct check *c);
int check_collect(struct check *c, uint8_t *work_mem);
int check_runs(struct check *c);

/* core/verify.c: after the copy, each list page's hash over what its SRC entries
 * placed (read through c->mem_ptr) and every zero run read back as zero. */
int check_verify(struct check *c);
/* One step of a list page's hash: XXH64(bytes, seed h) (BATON_HASH_XXH64). */
uint64_t check_hash(uint64_t h, const void *bytes, uint64_t len);

/* Whether [base, base+size) meets any destination (copy, zero or claim). */
int check_hits_dst(const struct check *c, uint64_t base, uint64_t size);
/*
 * A free, 4 KiB-aligned place of `need` bytes at or above `from`: in usable RAM,
 * no source, destination, list page or range the loader owns. On failure the
 * message names the largest free block.
 */
int check_find_spot(struct check *c, uint64_t need, uint64_t from, const char *what,
		    uint64_t *spot);

/*
 * After check_runs(): where the loader goes next, decided once, as the loader
 * uses it and as the stage checks there is room for it. *move_to: a free place
 * for the loader region when a destination covers it, else 0. *tramp: for
 * BATON_MODE_PROT32, a free page below 4 GiB for the 32-bit trampoline, off the
 * loader's new place, else 0. CHECK_E_NOSPOT with one line when there is none.
 */
int check_places(struct check *c, uint64_t *move_to, uint64_t *tramp);

/* Chain walker (core/chain.c), shared by check_chain, check_collect, verify. */
struct chain_ops {
	int crc;	/* compute c->chain_crc (the checking walks; verify and counting need not) */
	/* Each list page, before its entries are read. */
	int (*page)(struct check *c, uint64_t index, uint64_t pa);
	/* Each merged run: kind BATON_L_SRC / ZERO / CLAIM, src only for SRC. */
	int (*run)(struct check *c, uint32_t kind, uint64_t src, uint64_t dst, uint64_t pages);
	/* Each SRC entry as written, and the page's hash word after its entries. */
	void (*src)(struct check *c, uint64_t dst, uint64_t pages);
	int (*page_end)(struct check *c, uint64_t index, uint64_t pa, uint64_t hash);
};
int chain_walk(struct check *c, const struct chain_ops *ops);

#endif
