/* SPDX-License-Identifier: MIT */
/*
 * fmt/bzimage: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst).
 *
 *   fmt_bzimage_parse()      checks the setup header and describes the image
 *   fmt_bzimage_check_request()  what a request asks of it (entry, command line)
 *   fmt_bzimage_boot_area()  builds the boot area: zero page (boot_params),
 *                            command line, setup_data chain (SETUP_E820_EXT for
 *                            e820 entries past 128, SETUP_DTB when given one,
 *                            SETUP_EFI when handing on a UEFI system), and the
 *                            EFI runtime memory map when given one
 *
 * Pure functions over caller buffers: nothing here allocates or writes outside
 * the buffers passed in. Every refusal returns a FMT_E_BZ_* code and writes one
 * line naming the field and its value into msg. Where the kernel, the boot
 * area and the initrd go is the stage's policy (stage/linux_place.c).
 */
#ifndef BATON_FMT_BZIMAGE_H
#define BATON_FMT_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <baton/handoff.h>

/* Errors (fmt_strerror() gives the generic line, msg the specific one). */
#define FMT_E_BZ_TRUNCATED	(-120)	/* shorter than its setup header / setup_sects / syssize */
#define FMT_E_BZ_VERSION	(-121)	/* boot protocol too old */
#define FMT_E_BZ_NOT_BZIMAGE	(-122)	/* boot_flag not 0xaa55 or no "HdrS", or loadflags lacks LOADED_HIGH: a zImage */
#define FMT_E_BZ_NO_ENTRY64	(-123)	/* 64-bit entry asked, xloadflags lacks XLF_KERNEL_64 */
#define FMT_E_BZ_HEADER		(-124)	/* a header field is inconsistent (header end, alignment, init_size) */
#define FMT_E_BZ_CMDLINE	(-125)	/* command line longer than cmdline_size */
#define FMT_E_BZ_KERNEL_PLACE	(-126)	/* no room for the kernel's init_size (or pref taken) */
#define FMT_E_BZ_INITRD_PLACE	(-127)	/* the initrd fits nowhere within its limit */
#define FMT_E_BZ_BOOT_PLACE	(-128)	/* no room below 4 GiB for zero page + cmdline + setup_data */

/* Setup header fields (offsets in the file and in boot_params). */
#define BZ_SETUP_SECTS		0x1f1
#define BZ_SYSSIZE		0x1f4	/* u32, 16-byte units of protected-mode kernel */
#define BZ_BOOT_FLAG		0x1fe	/* 0xaa55 */
#define BZ_JUMP			0x200	/* jmp short: its byte at 0x201 + 0x202 = header end */
#define BZ_HEADER_MAGIC		0x202	/* "HdrS" */
#define BZ_VERSION		0x206
#define BZ_TYPE_OF_LOADER	0x210
#define BZ_LOADFLAGS		0x211
#define BZ_CODE32_START		0x214
#define BZ_RAMDISK_IMAGE	0x218
#define BZ_RAMDISK_SIZE		0x21c
#define BZ_HEAP_END_PTR		0x224
#define BZ_CMD_LINE_PTR		0x228
#define BZ_INITRD_ADDR_MAX	0x22c
#define BZ_KERNEL_ALIGNMENT	0x230
#define BZ_RELOCATABLE		0x234
#define BZ_MIN_ALIGNMENT	0x235
#define BZ_XLOADFLAGS		0x236
#define BZ_CMDLINE_SIZE		0x238
#define BZ_SETUP_DATA		0x250
#define BZ_PREF_ADDRESS		0x258
#define BZ_INIT_SIZE		0x260
/* boot_params outside the setup header */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_SCREEN_INFO		0x000	/* struct screen_info, BP_SCREEN_INFO_LEN bytes */
#define BP_SCREEN_INFO_LEN	0x040
#define BP_ACPI_RSDP_ADDR	0x070	/* u64 acpi_rsdp_addr (kernels 5.0+; padding before) */
#define BP_EFI_INFO		0x1c0	/* struct efi_info, BP_EFI_INFO_LEN bytes */
#define BP_EFI_INFO_LEN		0x020
#define BP_EFI_MEMDESC_SIZE	0x1c8	/* u32 */
#define BP_EFI_MEMMAP		0x1d0	/* u32: low half of the EFI memory map's address */
#define BP_EFI_MEMMAP_SIZE	0x1d4	/* u32: bytes */
#define BP_EFI_MEMMAP_HI	0x1dc	/* u32: high half */
#define BP_E820_ENTRIES		0x1e8
#define BP_SENTINEL		0x1ef
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128

#define BZ_BOOT_FLAG_MAGIC	0xaa55
#define BZ_HDRS			0x53726448	/* "HdrS", little endian */

#define BZ_LOADED_HIGH		0x01	/* loadflags */
#define BZ_CAN_USE_HEAP		0x80
#define BZ_XLF_KERNEL_64	0x01	/* xloadflags */
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G 0x02

#define BZ_SETUP_E820_EXT	1	/* setup_data types */
#define BZ_SETUP_DTB		2
#define BZ_SETUP_EFI		4	/* struct efi_setup_data: the kexec handoff of a UEFI system */

#define BZ_E820_RAM		1
#define BZ_E820_RESERVED	2

#define FMT_BZ_MIN_VERSION	0x020a	/* 2.10: init_size and pref_address */
#define FMT_BZ_MIN_VERSION64	0x020c	/* 2.12: xloadflags, ext_* fields */

struct fmt_bzimage {
	uint16_t version;		/* 0x20f = 2.15 */
	uint8_t loadflags;
	uint8_t relocatable;
	uint16_t xloadflags;		/* 0 before 2.12 */
	uint8_t min_alignment;		/* log2, 0 before 2.10 */
	uint8_t pad;
	uint32_t kernel_alignment;
	uint32_t init_size;		/* bytes the kernel needs from its load address */
	uint32_t cmdline_size;		/* longest command line, without the NUL */
	uint32_t initrd_addr_max;	/* highest address the initrd's last byte may have */
	uint64_t pref_address;
	uint64_t kernel_off;		/* the protected-mode kernel: (setup_sects + 1) * 512 */
	uint64_t kernel_len;		/* to the end of the file */
	uint32_t header_end;		/* 0x202 + byte at 0x201: end of the setup header */
};

#define FMT_BZ_ENTRY64	1	/* long mode at load address + 0x200 */
#define FMT_BZ_ENTRY32	2	/* protected mode, paging off, at code32_start */

/* One entry of a raw e820 table, with the firmware's own type (1 RAM, 2 reserved,
 * 3 ACPI tables, 4 ACPI NVS, 5 unusable, 7 persistent, 12 legacy persistent...). */
struct fmt_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t pad;
};

/*
 * What a running system hands on to the kernel it loads, as kexec-tools does
 * (`baton load`); every part optional (NULL or 0: left zero).
 */
struct fmt_bz_system {
	/* The firmware's map with its real types (/sys/firmware/memmap) for the
	 * zero page's e820 (and SETUP_E820_EXT past 128 entries), instead of the
	 * placement map's three types. */
	const struct fmt_e820 *e820;
	uint64_t e820_count;
	uint64_t acpi_rsdp;		/* acpi_rsdp_addr, written always (as kexec-tools) */
	const void *screen_info;	/* BP_SCREEN_INFO_LEN bytes for offset 0 */
	/* UEFI: efi_info (loader signature, system table, descriptor version) and
	 * the runtime regions' memory map (descriptors of efi_desc_size bytes with
	 * the virtual addresses SetVirtualAddressMap gave them), which the boot
	 * area holds and efi_info points at; the SETUP_EFI payload (struct
	 * efi_setup_data: fw_vendor, runtime, tables, smbios, reserved). */
	const void *efi_info;		/* BP_EFI_INFO_LEN bytes, or NULL */
	const void *efi_memmap;
	uint64_t efi_memmap_len;
	uint32_t efi_desc_size;
	uint32_t pad;
	const void *efi_setup;
	uint64_t efi_setup_len;
};

struct fmt_bz_request {
	int entry;				/* FMT_BZ_ENTRY64 or FMT_BZ_ENTRY32 */
	const struct baton_mem_range *mem;	/* the machine's memory map */
	uint64_t mem_count;
	uint64_t cmdline_len;			/* strlen(cmdline) */
	uint64_t initrd_len;			/* 0: no initrd */
	uint64_t dtb_len;			/* 0: no SETUP_DTB */
	const struct fmt_bz_system *sys;	/* the running system's facts, or NULL */
};

/* All addresses physical; every region page aligned, disjoint, in usable RAM. */
struct fmt_bz_layout {
	uint64_t kernel;	/* load address = code32_start */
	uint64_t kernel_size;	/* max(init_size, kernel_len), page rounded: kept free */
	uint64_t entry;		/* kernel + 0x200 (64-bit) or kernel (32-bit) */
	uint64_t boot;		/* boot area: zero page, then command line, then setup_data */
	uint64_t boot_size;	/* bytes, page multiple */
	uint64_t cmdline;	/* boot + 4096 */
	uint64_t setup_data;	/* first setup_data node, 0 when none */
	uint64_t initrd;	/* 0 when no initrd */
	uint64_t initrd_size;	/* initrd_len page rounded */
};

/* 1 when the buffer is meant to be a bzImage: not an ELF, and boot_flag 0xaa55
 * or "HdrS" in place (a damaged one too: fmt_bzimage_parse() names the field). */
int fmt_bzimage_probe(const void *buf, uint64_t len);
int fmt_bzimage_parse(const void *buf, uint64_t len, struct fmt_bzimage *bz,
		      char *msg, size_t msglen);
/* What the request asks of the image: an entry it has, a command line it takes,
 * bounds that keep the boot area's arithmetic far from wrapping. Where things go
 * is the stage's policy (stage/linux_place.c). */
int fmt_bzimage_check_request(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
			      char *msg, size_t msglen);

/* The boot area's shape: zero page, command line + NUL page rounded, setup_data
 * nodes 8-byte aligned (linked in this order), then the EFI memory map; an
 * offset of 0 means no such part. */
struct fmt_bz_boot_shape {
	uint64_t e820_off, e820_len;	/* SETUP_E820_EXT node, payload bytes */
	uint64_t dtb_off;		/* SETUP_DTB node */
	uint64_t size;			/* page multiple */
	uint64_t efi_off;		/* SETUP_EFI node */
	uint64_t efi_memmap_off;	/* the EFI runtime memory map (no node header) */
	uint64_t first_off;		/* the first setup_data node: boot_params.hdr.setup_data */
};
void fmt_bzimage_boot_shape(const struct fmt_bz_request *rq, struct fmt_bz_boot_shape *bs);
/* Writes lay->boot_size bytes at out (zeroed first). */
void fmt_bzimage_boot_area(const void *image, const struct fmt_bzimage *bz,
			   const struct fmt_bz_request *rq, const struct fmt_bz_layout *lay,
			   const char *cmdline, const void *dtb, void *out);

#endif
