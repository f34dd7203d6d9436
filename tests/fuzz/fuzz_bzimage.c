/* SPDX-License-Identifier: MIT */
/*
 * fmt/bzimage: parse any bytes as a Linux bzImage; when the header holds, place
 * it in a memory map read from the input and build its boot area.
 *
 * Input: a 16-byte request, up to 12 memory ranges of 6 bytes, then the image
 * (the seeds are real kernels' first pages, syssize cut to fit). The image and
 * the boot area each sit in a heap block of exactly their length (ASan: no read
 * or write past either).
 *
 * Invariants of a placement (fmt/bzimage.h), checked against the map naively:
 *  - kernel (its kernel_size), boot area and initrd: page aligned, pairwise
 *    disjoint, at or above 1 MiB, wholly in usable RAM, meeting no other range;
 *  - kernel_size covers init_size and the file's kernel; the kernel sits at
 *    pref_address, or (relocatable) on a kernel_alignment boundary;
 *  - the 32-bit entry keeps everything below 4 GiB, the boot area always is;
 *    the initrd ends within initrd_addr_max unless the 64-bit entry may go above;
 *  - the zero page carries the header bytes, cmd_line_ptr, ramdisk fields and
 *    the e820 table the request gave.
 */
#include "fmt/bzimage.h"
#include "stage/linux_place.h"
#include "fmt/fmt.h"
#include "tests/fuzz/fuzz.h"

#define PAGE	4096ULL
#define MIB	(1ULL << 20)
#define GIB4	(1ULL << 32)
#define NMEM	12
#define NMEM_MANY (BP_E820_MAX + 6)	/* past the zero page's table: SETUP_E820_EXT */

static uint32_t get32(const uint8_t *p, uint64_t off)
{
	return p[off] | p[off + 1] << 8 | p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static uint64_t get64(const uint8_t *p, uint64_t off)
{
	return get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

/* Whether [a, a + as) and [b, b + bs) share a byte. */
static int meets(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return fuzz_meets(a, a + as, b, b + bs);
}

/* [a, a + size) in usable RAM and meeting no other range. */
static int o_free(const struct baton_mem_range *m, uint64_t n, uint64_t a, uint64_t size)
{
	return a + size >= a && !fuzz_forbidden(m, n, a, a + size) && fuzz_usable(m, n, a, a + size);
}

static void check_region(const struct baton_mem_range *m, uint64_t n, const char *what,
			 uint64_t a, uint64_t size)
{
	FUZZ_ASSERT(a % PAGE == 0 && size % PAGE == 0 && size, "%s 0x%lx+0x%lx not page aligned",
		    what, a, size);
	FUZZ_ASSERT(a >= MIB, "%s 0x%lx below 1 MiB", what, a);
	FUZZ_ASSERT(o_free(m, n, a, size), "%s 0x%lx+0x%lx is not free usable RAM", what, a, size);
}

static void check_layout(const uint8_t *img, const struct fmt_bzimage *bz,
			 const struct fmt_bz_request *rq, const struct fmt_bz_layout *lay)
{
	const struct baton_mem_range *m = rq->mem;
	uint64_t n = rq->mem_count;
	int above = rq->entry == FMT_BZ_ENTRY64 && (bz->xloadflags & BZ_XLF_CAN_BE_LOADED_ABOVE_4G);

	check_region(m, n, "kernel", lay->kernel, lay->kernel_size);
	check_region(m, n, "boot area", lay->boot, lay->boot_size);
	FUZZ_ASSERT(lay->kernel_size >= bz->init_size && lay->kernel_size >= bz->kernel_len,
		    "kernel_size 0x%lx", lay->kernel_size);
	if (bz->relocatable)
		FUZZ_ASSERT(lay->kernel % bz->kernel_alignment == 0 || lay->kernel == bz->pref_address,
			    "kernel 0x%lx off alignment 0x%x", lay->kernel, bz->kernel_alignment);
	else
		FUZZ_ASSERT(lay->kernel == bz->pref_address, "kernel 0x%lx is not at pref_address",
			    lay->kernel);
	FUZZ_ASSERT(!meets(lay->kernel, lay->kernel_size, lay->boot, lay->boot_size),
		    "kernel and boot area overlap");
	FUZZ_ASSERT(lay->boot + lay->boot_size <= GIB4, "boot area above 4 GiB");
	FUZZ_ASSERT(lay->boot_size >= PAGE + rq->cmdline_len + 1, "boot area too small");
	FUZZ_ASSERT(lay->cmdline == lay->boot + PAGE, "cmdline 0x%lx", lay->cmdline);
	FUZZ_ASSERT(lay->entry == lay->kernel + (rq->entry == FMT_BZ_ENTRY64 ? 0x200 : 0),
		    "entry 0x%lx", lay->entry);
	if (!above)
		FUZZ_ASSERT(lay->kernel + lay->kernel_size <= GIB4, "kernel above 4 GiB");
	if (rq->initrd_len) {
		check_region(m, n, "initrd", lay->initrd, lay->initrd_size);
		FUZZ_ASSERT(lay->initrd_size >= rq->initrd_len, "initrd_size 0x%lx", lay->initrd_size);
		FUZZ_ASSERT(!meets(lay->initrd, lay->initrd_size, lay->kernel, lay->kernel_size) &&
			    !meets(lay->initrd, lay->initrd_size, lay->boot, lay->boot_size),
			    "initrd 0x%lx overlaps the kernel or boot area", lay->initrd);
		if (!above)
			FUZZ_ASSERT(lay->initrd + lay->initrd_size - 1 <= bz->initrd_addr_max &&
				    lay->initrd + lay->initrd_size <= GIB4,
				    "initrd 0x%lx+0x%lx past initrd_addr_max 0x%x", lay->initrd,
				    lay->initrd_size, bz->initrd_addr_max);
	} else {
		FUZZ_ASSERT(!lay->initrd, "initrd placed without one");
	}
	(void)img;
}

static void check_boot_area(const uint8_t *img, const struct fmt_bzimage *bz,
			    const struct fmt_bz_request *rq, const struct fmt_bz_layout *lay,
			    const uint8_t *zp, const char *cmdline)
{
	uint64_t ne = rq->mem_count < BP_E820_MAX ? rq->mem_count : BP_E820_MAX;

	FUZZ_ASSERT(!memcmp(zp + BZ_SETUP_SECTS, img + BZ_SETUP_SECTS, BZ_TYPE_OF_LOADER - BZ_SETUP_SECTS),
		    "setup header not copied");
	FUZZ_ASSERT(get32(zp, BZ_CODE32_START) == (uint32_t)lay->kernel, "code32_start");
	FUZZ_ASSERT((get32(zp, BZ_CMD_LINE_PTR) | (uint64_t)get32(zp, BP_EXT_CMD_LINE_PTR) << 32)
		    == lay->cmdline, "cmd_line_ptr");
	FUZZ_ASSERT((get32(zp, BZ_RAMDISK_IMAGE) | (uint64_t)get32(zp, BP_EXT_RAMDISK_IMAGE) << 32)
		    == lay->initrd, "ramdisk_image");
	FUZZ_ASSERT((get32(zp, BZ_RAMDISK_SIZE) | (uint64_t)get32(zp, BP_EXT_RAMDISK_SIZE) << 32)
		    == rq->initrd_len, "ramdisk_size");
	FUZZ_ASSERT(zp[BP_E820_ENTRIES] == ne, "e820_entries %u, want %lu", zp[BP_E820_ENTRIES], ne);
	for (uint64_t i = 0; i < ne; i++)
		FUZZ_ASSERT(get64(zp, BP_E820_TABLE + 20 * i) == rq->mem[i].base &&
			    get64(zp, BP_E820_TABLE + 20 * i + 8) == rq->mem[i].size,
			    "e820 entry %lu", i);
	FUZZ_ASSERT(!memcmp(zp + PAGE, cmdline, rq->cmdline_len) && !zp[PAGE + rq->cmdline_len],
		    "command line not copied");
	if (rq->mem_count > BP_E820_MAX || rq->dtb_len) {
		uint64_t sd = get64(zp, BZ_SETUP_DATA);

		FUZZ_ASSERT(sd == lay->setup_data && sd >= lay->cmdline &&
			    sd + 16 <= lay->boot + lay->boot_size, "setup_data 0x%lx", sd);
	}
	(void)bz;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct baton_mem_range mem[NMEM_MANY];
	static char cmdline[4096];
	static uint8_t dtb[512];
	struct fuzz_in in = { data, size };
	/* Read in order: initialiser order is unspecified in C. */
	uint8_t flags = fuzz_u8(&in), nmem = fuzz_u8(&in) % (NMEM + 1);
	uint64_t cmdline_len = fuzz_u16(&in) % sizeof(cmdline);
	uint64_t initrd_len = (uint64_t)fuzz_u32(&in) << (flags >> 6);
	uint64_t dtb_len = fuzz_u16(&in) % sizeof(dtb);
	struct fmt_bz_request rq = {
		.entry = flags & 1 ? FMT_BZ_ENTRY32 : FMT_BZ_ENTRY64,
		.mem = mem,
		.cmdline_len = cmdline_len,
		.initrd_len = flags & 2 ? initrd_len : 0,
		.dtb_len = flags & 4 ? dtb_len : 0,
	};
	uint64_t at = 0;
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;
	char msg[200];

	fuzz_u32(&in), fuzz_u16(&in);		/* spare: keeps the image at offset 16 */
	/* Ranges in address order, each after a gap: disjoint, as the stage demands. */
	for (uint64_t i = 0; i < NMEM; i++) {
		uint8_t t = fuzz_u8(&in), shift = fuzz_u8(&in) % 21;
		uint64_t gap = (uint64_t)fuzz_u16(&in) << (12 + shift);
		uint64_t len = ((uint64_t)fuzz_u16(&in) + 1) << (12 + shift);

		if (i >= nmem)
			continue;
		mem[i] = (struct baton_mem_range){ at + gap, len, t < 200 ? BATON_MEM_USABLE :
						   t < 230 ? BATON_MEM_RESERVED : BATON_MEM_NEVER_TOUCH, 0 };
		at += gap + len;
	}
	rq.mem_count = nmem;
	if (flags & 8)			/* many small reserved ranges above: e820 past 128 */
		for (; rq.mem_count < NMEM_MANY; rq.mem_count++, at += 2 * PAGE)
			mem[rq.mem_count] = (struct baton_mem_range){ at + PAGE, PAGE,
								 BATON_MEM_RESERVED, 0 };
	if (at > (1ULL << 52))		/* a map past 2^52 is no machine's: the stage's memmap check
					 * refuses ranges that wrap, not these; keep to real ones */
		return 0;
	memset(cmdline, 'c', rq.cmdline_len);
	cmdline[rq.cmdline_len] = 0;

	uint8_t *img = malloc(in.left ? in.left : 1);
	int err;

	memcpy(img, in.p, in.left);
	err = fmt_bzimage_parse(img, in.left, &bz, msg, sizeof(msg));
	if (err) {
		FUZZ_ASSERT(msg[0], "parse error %d without a message", err);
		free(img);
		return 0;
	}
	/* A parsed image carries both signatures; only an ELF's magic at 0 keeps the
	 * probe from claiming it (the stage takes such a file for an ELF). */
	FUZZ_ASSERT(fmt_bzimage_probe(img, in.left) || memcmp(img, "\177ELF", 4) == 0,
		    "parsed, but the probe says no");
	FUZZ_ASSERT(bz.kernel_off + bz.kernel_len == in.left && bz.header_end <= in.left &&
		    bz.header_end > BZ_HEADER_MAGIC, "parse: kernel 0x%lx+0x%lx header end 0x%x of %zu",
		    bz.kernel_off, bz.kernel_len, bz.header_end, in.left);
	err = stage_linux_place(&bz, &rq, &lay, msg, sizeof(msg));
	if (err) {
		FUZZ_ASSERT(msg[0], "place error %d without a message", err);
	} else {
		uint8_t *zp = malloc(lay.boot_size);

		check_layout(img, &bz, &rq, &lay);
		fmt_bzimage_boot_area(img, &bz, &rq, &lay, cmdline, dtb, zp);
		check_boot_area(img, &bz, &rq, &lay, zp, cmdline);
		free(zp);
	}
	free(img);
	return 0;
}
