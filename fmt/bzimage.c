/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 2.10 or later:
 * check a bzImage's setup header, say what a request asks of it, and build the
 * boot area the kernel reads at entry. See fmt/bzimage.h. Where the pieces go
 * is the stage's policy (stage/linux_place.c).
 *
 * The image is untrusted and may be unaligned: every field is read with
 * memcpy, little endian, and no offset is used before it is known to lie
 * inside the buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt/bzimage.h"
#include "fmt/fmt.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fmt/bzimage.c reads little-endian boot protocol fields natively"
#endif

#define BZ_PAGE			0x1000ULL
#define BZ_1M			0x100000ULL	/* nothing is placed below */
#define BZ_4G			0x100000000ULL
#define BZ_SECTOR		512
#define BZ_PARAGRAPH		16		/* syssize's unit */
#define BZ_SETUP_SECTS_DEFAULT	4		/* setup_sects 0 means 4 */
#define BZ_HEADER_END_210	0x264		/* a 2.10 header ends after init_size */
#define BZ_HEADER_END_MAX	0x290		/* boot_params.hdr ends here: edd_mbr_sig_buffer follows */
#define BZ_ENTRY64_OFFSET	0x200		/* 64-bit entry: load address + 0x200 */
#define BZ_LOADER_UNDEFINED	0xff		/* type_of_loader: no registered ID */
#define BZ_NODE_HDR		16		/* setup_data: u64 next, u32 type, u32 len */
#define BZ_E820_ENTRY		20		/* u64 addr, u64 size, u32 type, packed */

/* ---- little helpers ------------------------------------------------------ */

static uint16_t bz_get16(const uint8_t *p, uint64_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t bz_get32(const uint8_t *p, uint64_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t bz_get64(const uint8_t *p, uint64_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void bz_put32(uint8_t *p, uint64_t off, uint32_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

static void bz_put64(uint8_t *p, uint64_t off, uint64_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

/* x rounded up to a multiple of align (a power of two); 0 when that wraps. */
/* Page rounding of sizes already known to be far below 2^64. */
static uint64_t bz_page_up(uint64_t x)
{
	return (x + BZ_PAGE - 1) & ~(BZ_PAGE - 1);
}

static void bz_msg_clear(char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
}

/* ---- parse ---------------------------------------------------------------- */

static int bz_boot_flag_ok(const uint8_t *p)
{
	return bz_get16(p, BZ_BOOT_FLAG) == BZ_BOOT_FLAG_MAGIC;
}

static int bz_header_magic_ok(const uint8_t *p)
{
	return bz_get32(p, BZ_HEADER_MAGIC) == BZ_HDRS;
}

/*
 * Meant to be a bzImage: not an ELF, and at least one of the two Linux
 * signatures intact (boot_flag 0xaa55, "HdrS"). kexec-tools' bzImage_probe wants
 * both, but a file that carries one of them is a Linux kernel with a damaged
 * header far more often than anything else: GRUB's `linux` command checks
 * boot_flag, then "HdrS", and refuses with the one that is wrong rather than
 * trying another format. So does baton: this probe claims the file and
 * fmt_bzimage_parse() names the bad signature and its value, as
 * fmt_elf*_probe() claims on the magic alone and the ELF loader judges the rest.
 */
int fmt_bzimage_probe(const void *buf, uint64_t len)
{
	const uint8_t *p = buf;

	if (len < BZ_HEADER_MAGIC + 4 || memcmp(p, "\177ELF", 4) == 0)
		return 0;
	return bz_boot_flag_ok(p) || bz_header_magic_ok(p);
}

/* Both signatures, each named with its value when wrong. */
static int bz_parse_signatures(const uint8_t *p, char *msg, size_t msglen)
{
	unsigned flag = bz_get16(p, BZ_BOOT_FLAG), magic = bz_get32(p, BZ_HEADER_MAGIC);

	if (!bz_boot_flag_ok(p) && !bz_header_magic_ok(p))
		return fmt_fail(msg, msglen, FMT_E_BZ_NOT_BZIMAGE,
			       "bzImage: boot_flag 0x%04x at 0x1fe is not 0xaa55, header magic 0x%08x at 0x202 is not \"HdrS\" (0x%08x)",
			       flag, magic, BZ_HDRS);
	if (!bz_boot_flag_ok(p))
		return fmt_fail(msg, msglen, FMT_E_BZ_NOT_BZIMAGE,
			       "bzImage: boot_flag 0x%04x at 0x1fe is not 0xaa55", flag);
	if (!bz_header_magic_ok(p))
		return fmt_fail(msg, msglen, FMT_E_BZ_NOT_BZIMAGE,
			       "bzImage: header magic 0x%08x at 0x202 is not \"HdrS\" (0x%08x)",
			       magic, BZ_HDRS);
	return 0;
}

/*
 * Signature, setup_sects and version: after this the first kernel_off bytes
 * (at least 0x400) are known to be inside the buffer, so every setup header
 * field can be read.
 */
static int bz_parse_frame(const uint8_t *p, uint64_t len, struct fmt_bzimage *bz,
			  char *msg, size_t msglen)
{
	unsigned sects;
	int err;

	if (len < BZ_HEADER_MAGIC + 4)
		return fmt_fail(msg, msglen, FMT_E_BZ_TRUNCATED,
			       "bzImage: image of %lu bytes ends before the \"HdrS\" signature at 0x202-0x205",
			       (unsigned long)len);
	err = bz_parse_signatures(p, msg, msglen);
	if (err)
		return err;
	sects = p[BZ_SETUP_SECTS] ? p[BZ_SETUP_SECTS] : BZ_SETUP_SECTS_DEFAULT;
	bz->kernel_off = (uint64_t)(sects + 1) * BZ_SECTOR;
	if (bz->kernel_off >= len)
		return fmt_fail(msg, msglen, FMT_E_BZ_TRUNCATED,
			       "bzImage: setup_sects %u puts the kernel at 0x%lx, at or past the end of the 0x%lx-byte image",
			       (unsigned)p[BZ_SETUP_SECTS], (unsigned long)bz->kernel_off,
			       (unsigned long)len);
	bz->kernel_len = len - bz->kernel_off;
	bz->version = bz_get16(p, BZ_VERSION);
	if (bz->version < FMT_BZ_MIN_VERSION)
		return fmt_fail(msg, msglen, FMT_E_BZ_VERSION,
			       "bzImage: boot protocol %u.%02u is too old (baton needs %u.%02u or later)",
			       (unsigned)(bz->version >> 8), (unsigned)(bz->version & 0xff),
			       FMT_BZ_MIN_VERSION >> 8, FMT_BZ_MIN_VERSION & 0xff);
	/* At most 0x202 + 255 = 0x301 < 0x400 <= kernel_off < len: inside the image. */
	bz->header_end = BZ_HEADER_MAGIC + p[BZ_JUMP + 1];
	if (bz->header_end < BZ_HEADER_END_210 || bz->header_end > BZ_HEADER_END_MAX)
		return fmt_fail(msg, msglen, FMT_E_BZ_HEADER,
			       "bzImage: setup header end 0x%x (0x202 + byte 0x%02x at 0x201) is outside 0x%x-0x%x",
			       (unsigned)bz->header_end, (unsigned)p[BZ_JUMP + 1],
			       BZ_HEADER_END_210, BZ_HEADER_END_MAX);
	return 0;
}

/* The fields placement needs, then the flags and alignment they must have. */
static int bz_parse_fields(const uint8_t *p, struct fmt_bzimage *bz, char *msg, size_t msglen)
{
	uint32_t a;

	bz->loadflags = p[BZ_LOADFLAGS];
	bz->relocatable = p[BZ_RELOCATABLE];
	bz->min_alignment = p[BZ_MIN_ALIGNMENT];
	bz->xloadflags = bz->version >= FMT_BZ_MIN_VERSION64 ? bz_get16(p, BZ_XLOADFLAGS) : 0;
	bz->kernel_alignment = a = bz_get32(p, BZ_KERNEL_ALIGNMENT);
	bz->init_size = bz_get32(p, BZ_INIT_SIZE);
	bz->cmdline_size = bz_get32(p, BZ_CMDLINE_SIZE);
	bz->initrd_addr_max = bz_get32(p, BZ_INITRD_ADDR_MAX);
	bz->pref_address = bz_get64(p, BZ_PREF_ADDRESS);
	if (!(bz->loadflags & BZ_LOADED_HIGH))
		return fmt_fail(msg, msglen, FMT_E_BZ_NOT_BZIMAGE,
			       "bzImage: loadflags 0x%02x lacks LOADED_HIGH: a zImage, loaded at 0x10000, is not supported",
			       (unsigned)bz->loadflags);
	if (bz->relocatable && (a < BZ_PAGE || (a & (a - 1))))
		return fmt_fail(msg, msglen, FMT_E_BZ_HEADER,
			       "bzImage: kernel_alignment 0x%x is not a power of two of at least 4 KiB",
			       (unsigned)a);
	return 0;
}

/*
 * syssize against the file, init_size against the file's kernel bytes.
 *
 * boot.rst gives syssize as the protected-mode code's size "in units of 16-byte
 * paragraphs", and the kernel's linux:arch/x86/boot/tools/build.c rounds it up, so its last
 * paragraph may be partial: a good file can end up to 15 bytes short of
 * syssize * 16 (real kernels 8 bytes short boot under every other loader). Those
 * loaders do not check syssize at all: GRUB (grub_cmd_linux), QEMU
 * (x86_load_linux), kexec-tools (do_bzImage_load) and Linux's kexec_file
 * (bzImage64_load) load whatever follows the setup sectors. baton follows the
 * protocol's unit instead: it accepts a file missing part of the last
 * paragraph, whose bytes come out zero (the stage copies only the file's bytes,
 * into zeroed pages), and still refuses one that lacks a whole paragraph, which
 * no build tool writes.
 */
static int bz_parse_sizes(const uint8_t *p, struct fmt_bzimage *bz, char *msg, size_t msglen)
{
	uint32_t syssize = bz_get32(p, BZ_SYSSIZE);
	uint64_t sys_bytes = (uint64_t)syssize * BZ_PARAGRAPH;

	if (sys_bytes > bz->kernel_len && sys_bytes - bz->kernel_len >= BZ_PARAGRAPH)
		return fmt_fail(msg, msglen, FMT_E_BZ_TRUNCATED,
			       "bzImage: syssize 0x%x (0x%lx bytes) is longer than the 0x%lx bytes after the setup sectors: truncated",
			       (unsigned)syssize, (unsigned long)sys_bytes,
			       (unsigned long)bz->kernel_len);
	if (bz->init_size < bz->kernel_len)
		return fmt_fail(msg, msglen, FMT_E_BZ_HEADER,
			       "bzImage: init_size 0x%x is smaller than the 0x%lx-byte protected-mode kernel",
			       (unsigned)bz->init_size, (unsigned long)bz->kernel_len);
	return 0;
}

int fmt_bzimage_parse(const void *buf, uint64_t len, struct fmt_bzimage *bz,
		      char *msg, size_t msglen)
{
	const uint8_t *p = buf;
	int err;

	memset(bz, 0, sizeof(*bz));
	bz_msg_clear(msg, msglen);
	err = bz_parse_frame(p, len, bz, msg, msglen);
	if (!err)
		err = bz_parse_fields(p, bz, msg, msglen);
	if (!err)
		err = bz_parse_sizes(p, bz, msg, msglen);
	if (err)
		memset(bz, 0, sizeof(*bz));
	return err;
}

/* ---- the boot area's shape ------------------------------------------------ */

/* Entries the zero page's e820 lists: the raw table when given, else the map. */
static uint64_t bz_e820_count(const struct fmt_bz_request *rq)
{
	return rq->sys && rq->sys->e820 ? rq->sys->e820_count : rq->mem_count;
}

static uint64_t bz_node_end(uint64_t at, uint64_t payload)
{
	return (at + BZ_NODE_HDR + payload + 7) & ~7ULL;
}

/* Zero page, command line + NUL page rounded, setup_data nodes 8-byte aligned
 * (E820_EXT, DTB, EFI: the chain's order), then the EFI memory map. */
void fmt_bzimage_boot_shape(const struct fmt_bz_request *rq, struct fmt_bz_boot_shape *bs)
{
	uint64_t at = BZ_PAGE + bz_page_up(rq->cmdline_len + 1);
	uint64_t n = bz_e820_count(rq);
	const struct fmt_bz_system *sys = rq->sys;

	memset(bs, 0, sizeof(*bs));
	if (n > BP_E820_MAX) {
		bs->e820_off = at;
		bs->e820_len = (n - BP_E820_MAX) * BZ_E820_ENTRY;
		at = bz_node_end(at, bs->e820_len);
	}
	if (rq->dtb_len) {
		bs->dtb_off = at;
		at = bz_node_end(at, rq->dtb_len);
	}
	if (sys && sys->efi_setup && sys->efi_setup_len) {
		bs->efi_off = at;
		at = bz_node_end(at, sys->efi_setup_len);
	}
	if (sys && sys->efi_info && sys->efi_memmap && sys->efi_memmap_len) {
		bs->efi_memmap_off = at;
		at += sys->efi_memmap_len;
	}
	bs->first_off = bs->e820_off ? bs->e820_off : bs->dtb_off ? bs->dtb_off : bs->efi_off;
	bs->size = bz_page_up(at);
}

/* ---- what the request asks of the image ----------------------------------- */

/* The entry convention the image offers, and a command line it can take. */
int fmt_bzimage_check_request(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
			      char *msg, size_t msglen)
{
	bz_msg_clear(msg, msglen);
	if (rq->entry != FMT_BZ_ENTRY64 && rq->entry != FMT_BZ_ENTRY32)
		return fmt_fail(msg, msglen, FMT_E_BZ_NO_ENTRY64,
			       "bzImage: entry convention %d is neither 64-bit (%d) nor 32-bit (%d)",
			       rq->entry, FMT_BZ_ENTRY64, FMT_BZ_ENTRY32);
	if (rq->entry == FMT_BZ_ENTRY64 && bz->version < FMT_BZ_MIN_VERSION64)
		return fmt_fail(msg, msglen, FMT_E_BZ_NO_ENTRY64,
			       "bzImage: boot protocol %u.%02u has no 64-bit entry (xloadflags needs 2.12 or later)",
			       (unsigned)(bz->version >> 8), (unsigned)(bz->version & 0xff));
	if (rq->entry == FMT_BZ_ENTRY64 && !(bz->xloadflags & BZ_XLF_KERNEL_64))
		return fmt_fail(msg, msglen, FMT_E_BZ_NO_ENTRY64,
			       "bzImage: xloadflags 0x%04x lacks XLF_KERNEL_64: no 64-bit entry",
			       (unsigned)bz->xloadflags);
	if (rq->cmdline_len > bz->cmdline_size)
		return fmt_fail(msg, msglen, FMT_E_BZ_CMDLINE,
			       "bzImage: command line of %lu bytes is longer than cmdline_size %u",
			       (unsigned long)rq->cmdline_len, (unsigned)bz->cmdline_size);
	/* Bounds that keep the boot area's arithmetic far from wrapping. */
	if (rq->mem_count > UINT32_MAX / BZ_E820_ENTRY || rq->dtb_len > UINT32_MAX)
		return fmt_fail(msg, msglen, FMT_E_BZ_BOOT_PLACE,
			       "bzImage: %lu memory ranges and a %lu-byte DTB cannot fit a boot area below 4 GiB",
			       (unsigned long)rq->mem_count, (unsigned long)rq->dtb_len);
	if (rq->sys && (bz_e820_count(rq) > UINT32_MAX / BZ_E820_ENTRY ||
			rq->sys->efi_setup_len > UINT32_MAX || rq->sys->efi_memmap_len > UINT32_MAX))
		return fmt_fail(msg, msglen, FMT_E_BZ_BOOT_PLACE,
			       "bzImage: %lu e820 entries, a %lu-byte SETUP_EFI and a %lu-byte EFI memory map cannot fit a boot area below 4 GiB",
			       (unsigned long)bz_e820_count(rq), (unsigned long)rq->sys->efi_setup_len,
			       (unsigned long)rq->sys->efi_memmap_len);
	return 0;
}

/* ---- the boot area -------------------------------------------------------- */

/* Entry i of the zero page's e820: the raw table's, or the map's as RAM / reserved. */
static void bz_put_e820(uint8_t *p, const struct fmt_bz_request *rq, uint64_t i)
{
	const struct baton_mem_range *r = &rq->mem[i];

	if (rq->sys && rq->sys->e820) {
		bz_put64(p, 0, rq->sys->e820[i].addr);
		bz_put64(p, 8, rq->sys->e820[i].size);
		bz_put32(p, 16, rq->sys->e820[i].type);
		return;
	}
	bz_put64(p, 0, r->base);
	bz_put64(p, 8, r->size);
	bz_put32(p, 16, r->type == BATON_MEM_USABLE ? BZ_E820_RAM : BZ_E820_RESERVED);
}

/* A setup_data node at off: linked from the u64 at *link, which moves to its next. */
static void bz_put_node(uint8_t *area, uint64_t area_phys, uint64_t *link, uint64_t off,
			uint32_t type, uint64_t len)
{
	bz_put64(area, *link, area_phys + off);
	bz_put64(area, off, 0);
	bz_put32(area, off + 8, type);
	bz_put32(area, off + 12, (uint32_t)len);
	*link = off;
}

/* Setup header fields a loader must write (boot.rst, "Details of header fields"). */
static void bz_fill_header(uint8_t *zp, const struct fmt_bz_request *rq,
			   const struct fmt_bz_layout *lay)
{
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	zp[BZ_LOADFLAGS] &= (uint8_t)~BZ_CAN_USE_HEAP;
	bz_put32(zp, BZ_CODE32_START, (uint32_t)lay->kernel);
	bz_put32(zp, BZ_CMD_LINE_PTR, (uint32_t)lay->cmdline);
	bz_put32(zp, BP_EXT_CMD_LINE_PTR, (uint32_t)(lay->cmdline >> 32));
	bz_put32(zp, BZ_RAMDISK_IMAGE, (uint32_t)lay->initrd);
	bz_put32(zp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(lay->initrd >> 32));
	bz_put32(zp, BZ_RAMDISK_SIZE, (uint32_t)rq->initrd_len);
	bz_put32(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)(rq->initrd_len >> 32));
	bz_put64(zp, BZ_SETUP_DATA, 0);
}

/*
 * The running system's facts (struct fmt_bz_system) outside the e820: the
 * screen, the ACPI root pointer for kernels that read it, and on UEFI the
 * efi_info pointing at the runtime memory map the boot area holds, plus the
 * SETUP_EFI node: a kernel given both maps the runtime regions where the first
 * kernel's SetVirtualAddressMap put them instead of calling it again.
 */
static void bz_put_system(uint8_t *zp,
			  const struct fmt_bz_request *rq, const struct fmt_bz_layout *lay,
			  const struct fmt_bz_boot_shape *bs, uint64_t *link)
{
	const struct fmt_bz_system *sys = rq->sys;

	if (!sys)
		return;
	if (sys->screen_info)
		memcpy(zp + BP_SCREEN_INFO, sys->screen_info, BP_SCREEN_INFO_LEN);
	/* boot_params.acpi_rsdp_addr (0x070, padding to kernels before 5.0),
	 * always, as kexec-tools fills it */
	if (sys->acpi_rsdp)
		bz_put64(zp, BP_ACPI_RSDP_ADDR, sys->acpi_rsdp);
	if (bs->efi_memmap_off) {
		uint64_t pa = lay->boot + bs->efi_memmap_off;

		memcpy(zp + BP_EFI_INFO, sys->efi_info, BP_EFI_INFO_LEN);
		bz_put32(zp, BP_EFI_MEMDESC_SIZE, sys->efi_desc_size);
		bz_put32(zp, BP_EFI_MEMMAP, (uint32_t)pa);
		bz_put32(zp, BP_EFI_MEMMAP_HI, (uint32_t)(pa >> 32));
		bz_put32(zp, BP_EFI_MEMMAP_SIZE, (uint32_t)sys->efi_memmap_len);
		memcpy(zp + bs->efi_memmap_off, sys->efi_memmap, sys->efi_memmap_len);
	}
	if (bs->efi_off) {
		bz_put_node(zp, lay->boot, link, bs->efi_off, BZ_SETUP_EFI, sys->efi_setup_len);
		memcpy(zp + bs->efi_off + BZ_NODE_HDR, sys->efi_setup, sys->efi_setup_len);
	}
}

void fmt_bzimage_boot_area(const void *image, const struct fmt_bzimage *bz,
			   const struct fmt_bz_request *rq, const struct fmt_bz_layout *lay,
			   const char *cmdline, const void *dtb, void *out)
{
	uint8_t *zp = out;
	uint64_t n = bz_e820_count(rq), nzp = n < BP_E820_MAX ? n : BP_E820_MAX;
	uint64_t link = BZ_SETUP_DATA;
	struct fmt_bz_boot_shape bs;

	fmt_bzimage_boot_shape(rq, &bs);
	memset(zp, 0, lay->boot_size);
	memcpy(zp + BZ_SETUP_SECTS, (const uint8_t *)image + BZ_SETUP_SECTS,
	       bz->header_end - BZ_SETUP_SECTS);
	bz_fill_header(zp, rq, lay);

	zp[BP_E820_ENTRIES] = (uint8_t)nzp;
	for (uint64_t i = 0; i < nzp; i++)
		bz_put_e820(zp + BP_E820_TABLE + i * BZ_E820_ENTRY, rq, i);
	if (bs.e820_off) {
		bz_put_node(zp, lay->boot, &link, bs.e820_off, BZ_SETUP_E820_EXT, bs.e820_len);
		for (uint64_t i = nzp; i < n; i++)
			bz_put_e820(zp + bs.e820_off + BZ_NODE_HDR + (i - nzp) * BZ_E820_ENTRY,
				    rq, i);
	}
	if (bs.dtb_off) {
		bz_put_node(zp, lay->boot, &link, bs.dtb_off, BZ_SETUP_DTB, rq->dtb_len);
		memcpy(zp + bs.dtb_off + BZ_NODE_HDR, dtb, rq->dtb_len);
	}
	bz_put_system(zp, rq, lay, &bs, &link);
	if (rq->cmdline_len)
		memcpy(zp + BZ_PAGE, cmdline, rq->cmdline_len);
	zp[BZ_PAGE + rq->cmdline_len] = '\0';
}
