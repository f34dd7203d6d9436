/* SPDX-License-Identifier: MIT */
/* cli/system.c: reading the running system (under --root when given). */
#ifndef BATON_CLI_SYSTEM_H
#define BATON_CLI_SYSTEM_H

#include <stddef.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "fmt/bzimage.h"

struct sys_ctx {
	const char *root;	/* prefix of every path, or NULL */
};

/* An EFI memory descriptor, version 1 (40 bytes, as kexec-tools passes them). */
struct sys_efi_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys;
	uint64_t virt;
	uint64_t pages;
	uint64_t attr;
};

/* SETUP_EFI's payload: struct efi_setup_data of the Linux boot protocol. */
struct sys_efi_setup {
	uint64_t fw_vendor;
	uint64_t runtime;
	uint64_t tables;
	uint64_t smbios;
	uint64_t reserved[8];
};

/* What a Linux image gets of the running system, and the storage behind it. */
struct sys_linux {
	struct fmt_bz_system sys;
	uint8_t screen[BP_SCREEN_INFO_LEN];
	uint8_t efi_info[BP_EFI_INFO_LEN];
	struct sys_efi_desc *efi_map;
	size_t efi_map_count;
	struct sys_efi_setup efi_setup;
	struct fmt_e820 *e820;
	size_t e820_count;
	int uefi;		/* the EFI handoff is in sys */
};

void sys_path(const struct sys_ctx *s, const char *path, char *out, size_t outlen);
char *sys_read(const struct sys_ctx *s, const char *path, size_t *len);
int sys_exists(const struct sys_ctx *s, const char *path);

/* /proc/iomem as the placement map (malloc'd); 0 or -1 with err. */
int sys_placement_map(const struct sys_ctx *s, struct baton_mem_range **m, uint64_t *n,
		      char *err, size_t errlen);
/* /sys/firmware/memmap sorted (malloc'd), or *n = 0 when there is none; -1 with err. */
int sys_firmware_e820(const struct sys_ctx *s, struct fmt_e820 **e, size_t *n,
		      char *err, size_t errlen);
/* acpi_rsdp_addr, screen_info and, when booted by UEFI, the EFI handoff into
 * l->sys; -1 with a warning line when booted by UEFI but the handoff cannot be
 * built (the rest is filled all the same). */
int sys_linux_facts(const struct sys_ctx *s, struct sys_linux *l, char *warn, size_t wlen);
void sys_linux_free(struct sys_linux *l);

#endif
