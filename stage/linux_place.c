/* SPDX-License-Identifier: MIT */
/*
 * Where a Linux kernel, its boot area and its initrd go: the stage's placement
 * policy (fmt/bzimage.c says what the image asks; this decides where it fits).
 * "Fits" is core/memmap.c's rule, the one the loader checks: usable RAM,
 * touching ranges as one block, nothing reserved or never-touch; the map is the
 * stage's normal one (sorted, disjoint).
 *
 *   kernel      pref_address when it is aligned and free, else (relocatable) the
 *               lowest kernel_alignment multiple above 1 MiB where init_size fits
 *   boot area   the lowest free page above 1 MiB, below 4 GiB
 *   initrd      as high as it fits below initrd_addr_max, or anywhere in RAM for
 *               the 64-bit entry of a kernel with XLF_CAN_BE_LOADED_ABOVE_4G
 * The 32-bit entry keeps everything below 4 GiB.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fmt/bzimage.h"
#include "fmt/fmt.h"
#include "core/memmap.h"
#include "stage/linux_place.h"

#define LX_PAGE		0x1000ULL
#define LX_1M		0x100000ULL	/* nothing is placed below */
#define LX_4G		0x100000000ULL
#define LX_ENTRY64_OFFSET	0x200	/* 64-bit entry: load address + 0x200 */

static int lx_align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	if (__builtin_add_overflow(x, align - 1, out))
		return 0;
	*out &= ~(align - 1);
	return 1;
}

static uint64_t lx_page_up(uint64_t x)
{
	return (x + LX_PAGE - 1) & ~(LX_PAGE - 1);
}

static uint64_t lx_kib(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}


struct lx_span {
	uint64_t base, end;	/* [base, end) */
};

/* The memory map and what has been placed in it so far. */
struct lx_mem {
	const struct baton_mem_range *m;
	uint64_t n;
	struct lx_span taken[2];	/* kernel, then boot area */
	int ntaken;
};

static uint64_t lx_range_end(const struct baton_mem_range *r)
{
	uint64_t end;

	return __builtin_add_overflow(r->base, r->size, &end) ? UINT64_MAX : end;
}

/* [base, base + size): above 1 MiB, fitting the memory map (core/memmap.c's
 * rule, the one the loader checks), meeting nothing placed before. */
static int lx_is_free(const struct lx_mem *mm, uint64_t base, uint64_t size)
{
	uint64_t end;

	if (base < LX_1M || !size || __builtin_add_overflow(base, size, &end))
		return 0;
	for (int t = 0; t < mm->ntaken; t++)
		if (mm->taken[t].base < end && mm->taken[t].end > base)
			return 0;
	return memmap_fits(mm->m, mm->n, base, end, NULL) == MEMMAP_FITS;
}

/* [base, base + size) free and ending at or below limit (exclusive end). */
static int lx_fits(const struct lx_mem *mm, uint64_t base, uint64_t size, uint64_t limit)
{
	uint64_t end;

	return !__builtin_add_overflow(base, size, &end) && end <= limit &&
	       lx_is_free(mm, base, size);
}

struct lx_fit {
	uint64_t size, align, limit;	/* limit: lowest fit's end bound / highest fit's last byte */
	uint64_t best;
	int found;
};

/* Lowest fit, candidate: the first aligned base at or above `from`. */
static void lx_try_low(const struct lx_mem *mm, struct lx_fit *f, uint64_t from)
{
	uint64_t base;

	if (!lx_align_up(from < LX_1M ? LX_1M : from, f->align, &base))
		return;
	if ((!f->found || base < f->best) && lx_fits(mm, base, f->size, f->limit)) {
		f->best = base;
		f->found = 1;
	}
}

/* Highest fit, candidate: the last aligned base whose last byte is <= `last`. */
static void lx_try_high(const struct lx_mem *mm, struct lx_fit *f, uint64_t last)
{
	uint64_t base;

	if (last > f->limit)
		last = f->limit;
	if (last < f->size - 1)
		return;
	base = (last - (f->size - 1)) & ~(f->align - 1);
	if ((!f->found || base > f->best) && lx_is_free(mm, base, f->size)) {
		f->best = base;
		f->found = 1;
	}
}

/*
 * The lowest fit starts, aligned up, at 1 MiB or where something ends or RAM
 * begins; the highest fit ends, aligned down, at the limit or where something
 * begins or RAM ends. Trying every such edge finds either without a scan.
 */
static int lx_fit_low(const struct lx_mem *mm, uint64_t size, uint64_t align, uint64_t limit,
		      uint64_t *out)
{
	struct lx_fit f = { size, align, limit, 0, 0 };

	lx_try_low(mm, &f, LX_1M);
	for (uint64_t i = 0; i < mm->n; i++) {
		lx_try_low(mm, &f, mm->m[i].base);
		lx_try_low(mm, &f, lx_range_end(&mm->m[i]));
	}
	for (int t = 0; t < mm->ntaken; t++)
		lx_try_low(mm, &f, mm->taken[t].end);
	*out = f.best;
	return f.found;
}

static int lx_fit_high(const struct lx_mem *mm, uint64_t size, uint64_t last, uint64_t *out)
{
	struct lx_fit f = { size, LX_PAGE, last, 0, 0 };

	lx_try_high(mm, &f, last);
	for (uint64_t i = 0; i < mm->n; i++) {
		if (mm->m[i].base)
			lx_try_high(mm, &f, mm->m[i].base - 1);
		lx_try_high(mm, &f, lx_range_end(&mm->m[i]) - 1);
	}
	for (int t = 0; t < mm->ntaken; t++)
		lx_try_high(mm, &f, mm->taken[t].base - 1);
	*out = f.best;
	return f.found;
}

static void lx_take(struct lx_mem *mm, uint64_t base, uint64_t size)
{
	mm->taken[mm->ntaken].base = base;
	mm->taken[mm->ntaken].end = base + size;
	mm->ntaken++;
}

/* pref_address when it is aligned and free, else (relocatable) the lowest fit. */
static int lx_place_kernel(const struct fmt_bzimage *bz, const struct lx_mem *mm,
			   uint64_t limit, struct fmt_bz_layout *lay, char *msg, size_t msglen)
{
	uint64_t pref = bz->pref_address, size = lay->kernel_size;

	if (!bz->relocatable) {
		if (pref % LX_PAGE == 0 && lx_fits(mm, pref, size, limit)) {
			lay->kernel = pref;
			return 0;
		}
		return fmt_fail(msg, msglen, FMT_E_BZ_KERNEL_PLACE,
			       "bzImage: kernel is not relocatable and its pref_address 0x%lx-0x%lx is not free usable RAM",
			       (unsigned long)pref, (unsigned long)(pref + size - 1));
	}
	if (pref % bz->kernel_alignment == 0 && lx_fits(mm, pref, size, limit)) {
		lay->kernel = pref;
		return 0;
	}
	if (lx_fit_low(mm, size, bz->kernel_alignment, limit, &lay->kernel))
		return 0;
	return fmt_fail(msg, msglen, FMT_E_BZ_KERNEL_PLACE,
		       "bzImage: init_size 0x%x fits nowhere in usable RAM at kernel_alignment 0x%x%s",
		       (unsigned)bz->init_size, (unsigned)bz->kernel_alignment,
		       limit == LX_4G ? " below 4 GiB" : "");
}

/* Highest fit under initrd_addr_max, or under the top of RAM above 4 GiB. */
static int lx_place_initrd(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
			   const struct lx_mem *mm, int above_4g, struct fmt_bz_layout *lay,
			   char *msg, size_t msglen)
{
	uint64_t last = above_4g ? UINT64_MAX : bz->initrd_addr_max;

	if (last > LX_4G - 1 && !above_4g)
		last = LX_4G - 1;
	if (rq->initrd_len <= UINT64_MAX - LX_PAGE) {
		lay->initrd_size = lx_page_up(rq->initrd_len);
		if (lx_fit_high(mm, lay->initrd_size, last, &lay->initrd))
			return 0;
	}
	if (above_4g)
		return fmt_fail(msg, msglen, FMT_E_BZ_INITRD_PLACE,
			       "bzImage: initrd of %lu KiB fits nowhere below the top of RAM",
			       (unsigned long)lx_kib(rq->initrd_len));
	return fmt_fail(msg, msglen, FMT_E_BZ_INITRD_PLACE,
		       "bzImage: initrd of %lu KiB fits nowhere below initrd_addr_max 0x%x",
		       (unsigned long)lx_kib(rq->initrd_len), (unsigned)bz->initrd_addr_max);
}

/* The lowest fit below 4 GiB: the zero page and cmd_line_ptr need 32 bits. */
static int lx_place_boot(const struct fmt_bz_request *rq, const struct lx_mem *mm,
			 struct fmt_bz_layout *lay, char *msg, size_t msglen)
{
	struct fmt_bz_boot_shape bs;

	fmt_bzimage_boot_shape(rq, &bs);
	lay->boot_size = bs.size;
	if (!lx_fit_low(mm, bs.size, LX_PAGE, LX_4G, &lay->boot))
		return fmt_fail(msg, msglen, FMT_E_BZ_BOOT_PLACE,
			       "bzImage: boot area of %lu KiB (zero page, command line, setup_data) fits nowhere in usable RAM between 1 MiB and 4 GiB",
			       (unsigned long)(bs.size / 1024));
	lay->cmdline = lay->boot + LX_PAGE;
	lay->setup_data = bs.first_off ? lay->boot + bs.first_off : 0;
	return 0;
}

/* Kernel, then boot area, then initrd: each kept clear of those before it. */
int stage_linux_place(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
		      struct fmt_bz_layout *lay, char *msg, size_t msglen)
{
	struct lx_mem mm = { rq->mem, rq->mem_count, { { 0, 0 }, { 0, 0 } }, 0 };
	int above_4g, err;

	memset(lay, 0, sizeof(*lay));
	err = fmt_bzimage_check_request(bz, rq, msg, msglen);
	if (err)
		return err;
	above_4g = rq->entry == FMT_BZ_ENTRY64 && (bz->xloadflags & BZ_XLF_CAN_BE_LOADED_ABOVE_4G);

	lay->kernel_size = lx_page_up(bz->init_size > bz->kernel_len ? bz->init_size : bz->kernel_len);
	err = lx_place_kernel(bz, &mm, above_4g ? UINT64_MAX : LX_4G, lay, msg, msglen);
	if (!err) {
		lx_take(&mm, lay->kernel, lay->kernel_size);
		lay->entry = lay->kernel + (rq->entry == FMT_BZ_ENTRY64 ? LX_ENTRY64_OFFSET : 0);
		err = lx_place_boot(rq, &mm, lay, msg, msglen);
	}
	if (!err && rq->initrd_len) {
		lx_take(&mm, lay->boot, lay->boot_size);
		err = lx_place_initrd(bz, rq, &mm, above_4g, lay, msg, msglen);
	}
	if (err)
		memset(lay, 0, sizeof(*lay));
	return err;
}

