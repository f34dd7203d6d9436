/* SPDX-License-Identifier: MIT */
/*
 * The loader's validator: every header, range and overlap is checked before the
 * loader writes one byte of the new world. Each failure leaves a one-line message
 * naming the run and the addresses in c->msg; the loader prints it as its PANIC.
 *
 * Runs on the host too (tests/host/test_stage.c, tests/fuzz/fuzz_check.c): plain
 * C, no machine access.
 */
#ifndef BATON_CHECK_H
#define BATON_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "loader/sort.h"

#define CHECK_E_MAGIC		(-400)
#define CHECK_E_VERSION		(-401)
#define CHECK_E_SIZE		(-402)	/* header_size / total_size / list bounds */
#define CHECK_E_CRC		(-403)
#define CHECK_E_MEMMAP		(-404)
#define CHECK_E_RUN		(-405)	/* unaligned, empty or wrapping run */
#define CHECK_E_OUTSIDE		(-406)	/* destination or source outside usable RAM */
#define CHECK_E_FORBIDDEN	(-407)	/* destination over a reserved / never-touch range */
#define CHECK_E_OVERLAP		(-408)	/* two destinations, or two sources, overlap */
#define CHECK_E_SELF		(-409)	/* a source inside the loader's own memory */
#define CHECK_E_ENTRY		(-410)	/* entry convention or address not usable */
#define CHECK_E_WORK		(-411)	/* the loader region is too small for its work area */
#define CHECK_E_NOSPOT		(-412)	/* no free place to move the loader to */
#define CHECK_E_FIELD		(-413)	/* a field that must be zero is not */
#define CHECK_E_CHANGED		(-414)	/* the handoff changed after it was checked */

/* Run references stored in the sorted destination array. */
#define CHECK_REF_ZERO		(1ull << 63)

struct check {
	/* in */
	const struct baton_handoff *h;
	uint64_t self_base, self_size;		/* the loader region, where it is now */
	uint64_t h_pa;				/* the handoff's physical address, 0: unknown */
	void *work;				/* check_work_size() bytes */
	uint64_t work_bytes;
	/* out, in work, sorted by key */
	struct sort_kv *dst;	uint64_t ndst;	/* key: dst, val: index | CHECK_REF_ZERO */
	struct sort_kv *src;	uint64_t nsrc;	/* key: src, val: copy index */
	struct sort_kv *usable;	uint64_t nusable;	/* key: start, val: end (merged) */
	struct sort_kv *forbid;	uint64_t nforbid;	/* reserved and never-touch, merged */
	uint64_t pages;		/* destination pages, copy and zero */
	struct baton_handoff seen;	/* the header check_header() accepted */
	char msg[200];
};

/* vsnprintf, provided by the environment: loader/console.c in the loader, the
 * C library on the host. */
int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap);

/* Lists of a handoff that passed check_header(). */
const struct baton_mem_range *handoff_mem(const struct baton_handoff *h);
const struct baton_copy_run *handoff_copy(const struct baton_handoff *h);
const struct baton_zero_run *handoff_zero(const struct baton_handoff *h);

/* Magic, version, sizes, CRC, flags and list bounds: only the handoff's own
 * bytes. Keeps a copy of the header and the CRC in c for check_unchanged(). */
int check_header(struct check *c);
/* After the other CPUs are parked: the handoff is still what check_header() read
 * (its header byte for byte, the rest by its CRC). */
int check_unchanged(struct check *c);
/* The memory map, every run, overlaps, the entry: after check_header(). */
int check_runs(struct check *c);
/* Sort ranges {key start, val end} (tmp: n more) and merge those that overlap or
 * touch; returns how many are left. The stage's boot info uses it too. */
uint64_t check_ranges_merge(struct sort_kv *a, struct sort_kv *tmp, uint64_t n);
/* Whether [base, base+size) meets any destination. */
int check_hits_dst(const struct check *c, uint64_t base, uint64_t size);
/* A free, 4 KiB-aligned place of `need` bytes: no run, no forbidden range, not
 * [avoid, avoid + avoid_size) and not the current loader region. */
int check_find_spot(struct check *c, uint64_t need, uint64_t avoid, uint64_t avoid_size,
		    uint64_t *spot);

#endif
