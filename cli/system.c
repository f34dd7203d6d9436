/* SPDX-License-Identifier: MIT */
/*
 * What `baton load` reads of the running system (every path under --root when
 * given, for tests): the placement map from /proc/iomem, the firmware's e820
 * from /sys/firmware/memmap, and for a Linux image what kexec-tools hands on in
 * the zero page: acpi_rsdp_addr, screen_info, and on UEFI the runtime handoff
 * (efi_info and the runtime map from /sys/firmware/efi/runtime-map, SETUP_EFI
 * from fw_vendor, runtime, config_table and systab's SMBIOS). The rules
 * themselves are in parse.c; docs/hook.md says why each.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>
#include <linux/fb.h>

#include "cli/cli.h"
#include "cli/system.h"

_Static_assert(offsetof(struct boot_params, screen_info) == BP_SCREEN_INFO, "screen_info");
_Static_assert(sizeof(struct screen_info) == BP_SCREEN_INFO_LEN, "screen_info size");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == BP_ACPI_RSDP_ADDR, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, efi_info) == BP_EFI_INFO, "efi_info");
_Static_assert(sizeof(struct efi_info) == BP_EFI_INFO_LEN, "efi_info size");
_Static_assert(offsetof(struct boot_params, efi_info.efi_memmap) == BP_EFI_MEMMAP, "efi_memmap");
_Static_assert(sizeof(struct sys_efi_desc) == 40, "EFI memory descriptor (version 1)");
_Static_assert(sizeof(struct sys_efi_setup) == 96, "struct efi_setup_data");

void sys_path(const struct sys_ctx *s, const char *path, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s", s->root ? s->root : "", path);
}

/* The whole file, NUL-terminated, in a malloc'd block; NULL with errno set. */
char *sys_read(const struct sys_ctx *s, const char *path, size_t *lenp)
{
	char full[4096];
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	int fd, e;

	sys_path(s, path, full, sizeof(full));
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		e = fd < 0 ? errno : ENOMEM;
		free(buf);
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				e = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
fail:
	close(fd);
	free(buf);
	errno = e;
	return NULL;
}

int sys_exists(const struct sys_ctx *s, const char *path)
{
	char full[4096];
	struct stat st;

	sys_path(s, path, full, sizeof(full));
	return stat(full, &st) == 0;
}

static int sys_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sys_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the placement map ------------------------------------------------------ */

int sys_placement_map(const struct sys_ctx *s, struct baton_mem_range **out, uint64_t *n,
		      char *err, size_t errlen)
{
	char *text = sys_read(s, "/proc/iomem", NULL);
	size_t cap = 64;
	struct baton_mem_range *m = NULL;
	unsigned bad;
	long got = -1;

	if (!text)
		return sys_err(err, errlen, "open /proc/iomem: %s", strerror(errno));
	while (got == -1) {
		struct baton_mem_range *nm = realloc(m, cap * sizeof(*m));

		if (!nm) {
			free(m);
			free(text);
			return sys_err(err, errlen, "/proc/iomem: out of memory");
		}
		m = nm;
		got = cli_parse_iomem(text, m, cap, &bad);
		cap *= 2;
	}
	free(text);
	if (got < 0) {
		free(m);
		return sys_err(err, errlen, got == -2 ?
			       "/proc/iomem shows no addresses: run as root" :
			       "/proc/iomem has no System RAM");
	}
	*out = m;
	*n = (uint64_t)got;
	return 0;
}

/* ---- the firmware's e820 ------------------------------------------------------ */

static int numeric_name(const char *name)
{
	if (!*name)
		return 0;
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return 0;
	return 1;
}

/* The numbered directories under dir, sorted by number; malloc'd array of numbers. */
static long numbered_dirs(const struct sys_ctx *s, const char *dir, unsigned long **out)
{
	char full[4096];
	DIR *d;
	struct dirent *de;
	unsigned long *v = NULL;
	long n = 0, cap = 0;

	sys_path(s, dir, full, sizeof(full));
	d = opendir(full);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!numeric_name(de->d_name))
			continue;
		if (n == cap) {
			unsigned long *nv = realloc(v, (size_t)(cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		v[n++] = strtoul(de->d_name, NULL, 10);
	}
	closedir(d);
	for (long i = 1; i < n; i++)
		for (long j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	return n;
}

static char *read_in(const struct sys_ctx *s, const char *dir, unsigned long i, const char *f)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%lu/%s", dir, i, f);
	return sys_read(s, path, NULL);
}

int sys_firmware_e820(const struct sys_ctx *s, struct fmt_e820 **out, size_t *n,
		      char *err, size_t errlen)
{
	static const char dir[] = "/sys/firmware/memmap";
	unsigned long *idx = NULL;
	long nd = numbered_dirs(s, dir, &idx);
	struct fmt_e820 *e;

	*out = NULL;
	*n = 0;
	if (nd <= 0) {
		free(idx);
		return 0;	/* no firmware map: the placement map's types */
	}
	e = calloc((size_t)nd, sizeof(*e));
	if (!e) {
		free(idx);
		return sys_err(err, errlen, "%s: out of memory", dir);
	}
	for (long i = 0; i < nd; i++) {
		char *a = read_in(s, dir, idx[i], "start"), *b = read_in(s, dir, idx[i], "end");
		char *t = read_in(s, dir, idx[i], "type");
		int bad = !a || !b || !t || cli_parse_memmap_entry(a, b, t, &e[i]);

		free(a);
		free(b);
		free(t);
		if (bad) {
			unsigned long k = idx[i];

			free(idx);
			free(e);
			return sys_err(err, errlen, "%s/%lu: unreadable or malformed start, end or type",
				       dir, k);
		}
	}
	free(idx);
	cli_e820_sort(e, (size_t)nd);
	*out = e;
	*n = (size_t)nd;
	return 0;
}

/* ---- the zero page's other facts -------------------------------------------- */

/* A "0x..." value alone in a sysfs file; 0 when absent or malformed. */
static int read_hex_file(const struct sys_ctx *s, const char *path, uint64_t *v)
{
	char *t = sys_read(s, path, NULL);
	int ok = t && (*v = cli_find_hex(t, "0x")) != 0;

	free(t);
	return ok ? 0 : -1;
}

/* screen_info for a framebuffer console, as kexec-tools fills it: /dev/fb0 when
 * it is the firmware's (VESA or EFI) framebuffer, else what the running kernel
 * was booted with. */
/* 0: fb0 is the firmware's framebuffer (VESA or EFI), *si filled; 1: fb0 belongs
 * to a native driver; -1: no fb0. */
static int screen_from_fb(const struct sys_ctx *s, struct screen_info *si)
{
	struct fb_fix_screeninfo fix;
	struct fb_var_screeninfo var;
	char path[4096];
	int fd, ok;

	sys_path(s, "/dev/fb0", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = ioctl(fd, FBIOGET_FSCREENINFO, &fix) == 0 && ioctl(fd, FBIOGET_VSCREENINFO, &var) == 0;
	close(fd);
	if (!ok)
		return -1;
	memset(si, 0, sizeof(*si));
	if (strcmp(fix.id, "VESA VGA") == 0)
		si->orig_video_isVGA = VIDEO_TYPE_VLFB;
	else if (strcmp(fix.id, "EFI VGA") == 0)
		si->orig_video_isVGA = VIDEO_TYPE_EFI;
	else
		return 1;	/* a native driver's framebuffer: its memory is not the boot one */
	si->lfb_width = (uint16_t)var.xres;
	si->lfb_height = (uint16_t)var.yres;
	si->lfb_depth = (uint16_t)var.bits_per_pixel;
	si->lfb_base = (uint32_t)fix.smem_start;
	si->ext_lfb_base = (uint32_t)((uint64_t)fix.smem_start >> 32);
	if (fix.smem_start >> 32)
		si->capabilities |= VIDEO_CAPABILITY_64BIT_BASE;
	si->lfb_linelength = (uint16_t)fix.line_length;
	si->lfb_size = (fix.smem_len + 65535) / 65536;
	si->pages = (uint16_t)((fix.smem_len + 4095) / 4096);
	if (var.bits_per_pixel > 8) {
		si->red_pos = (uint8_t)var.red.offset;
		si->red_size = (uint8_t)var.red.length;
		si->green_pos = (uint8_t)var.green.offset;
		si->green_size = (uint8_t)var.green.length;
		si->blue_pos = (uint8_t)var.blue.offset;
		si->blue_size = (uint8_t)var.blue.length;
		si->rsvd_pos = (uint8_t)var.transp.offset;
		si->rsvd_size = (uint8_t)var.transp.length;
	}
	return 0;
}

/* The runtime regions as the first kernel mapped them, in directory order. */
static int efi_runtime_map(const struct sys_ctx *s, struct sys_linux *l, char *warn, size_t wlen)
{
	static const char dir[] = "/sys/firmware/efi/runtime-map";
	unsigned long *idx = NULL;
	long nd = numbered_dirs(s, dir, &idx);

	if (nd <= 0) {
		free(idx);
		return sys_err(warn, wlen, "%s is missing or empty (CONFIG_EFI_RUNTIME_MAP)", dir);
	}
	l->efi_map = calloc((size_t)nd, sizeof(*l->efi_map));
	if (!l->efi_map) {
		free(idx);
		return sys_err(warn, wlen, "%s: out of memory", dir);
	}
	for (long i = 0; i < nd; i++) {
		static const char *const f[] = { "type", "phys_addr", "virt_addr", "num_pages", "attribute" };
		uint64_t v[5];

		for (int k = 0; k < 5; k++) {
			char *t = read_in(s, dir, idx[i], f[k]);
			char *end = NULL;

			v[k] = t ? strtoull(t, &end, 16) : 0;
			if (!t || end == t) {
				unsigned long d = idx[i];

				free(t);
				free(idx);
				return sys_err(warn, wlen, "%s/%lu/%s: unreadable", dir, d, f[k]);
			}
			free(t);
		}
		l->efi_map[i] = (struct sys_efi_desc){ .type = (uint32_t)v[0], .phys = v[1],
						       .virt = v[2], .pages = v[3], .attr = v[4] };
	}
	free(idx);
	l->efi_map_count = (size_t)nd;
	return 0;
}

/* UEFI: efi_info from the running kernel's boot_params, the runtime map, SETUP_EFI. */
static int efi_handoff(const struct sys_ctx *s, struct sys_linux *l, const uint8_t *bp,
		       char *warn, size_t wlen)
{
	struct efi_info ei;
	char *systab;

	if (!bp)
		return sys_err(warn, wlen, "/sys/kernel/boot_params/data unreadable: the new kernel gets no EFI handoff");
	memcpy(&ei, bp + BP_EFI_INFO, sizeof(ei));
	if (ei.efi_memmap_size == 0)
		return sys_err(warn, wlen, "the running kernel's efi_info is empty: no EFI handoff");
	if (ei.efi_memdesc_version != 1)
		return sys_err(warn, wlen, "EFI memory descriptor version %u is not 1: no EFI handoff",
			       ei.efi_memdesc_version);
	if (read_hex_file(s, "/sys/firmware/efi/fw_vendor", &l->efi_setup.fw_vendor) ||
	    read_hex_file(s, "/sys/firmware/efi/runtime", &l->efi_setup.runtime) ||
	    read_hex_file(s, "/sys/firmware/efi/config_table", &l->efi_setup.tables))
		return sys_err(warn, wlen, "/sys/firmware/efi/{fw_vendor,runtime,config_table} unreadable: no EFI handoff");
	systab = sys_read(s, "/sys/firmware/efi/systab", NULL);
	l->efi_setup.smbios = systab ? cli_find_hex(systab, "SMBIOS=") : 0;
	free(systab);
	if (efi_runtime_map(s, l, warn, wlen))
		return -1;
	memcpy(l->efi_info, &ei, sizeof(ei));
	l->sys.efi_info = l->efi_info;
	l->sys.efi_memmap = l->efi_map;
	l->sys.efi_memmap_len = l->efi_map_count * sizeof(*l->efi_map);
	l->sys.efi_desc_size = sizeof(*l->efi_map);
	l->sys.efi_setup = &l->efi_setup;
	l->sys.efi_setup_len = sizeof(l->efi_setup);
	return 0;
}

int sys_linux_facts(const struct sys_ctx *s, struct sys_linux *l, char *warn, size_t wlen)
{
	size_t bplen = 0;
	uint8_t *bp = (uint8_t *)sys_read(s, "/sys/kernel/boot_params/data", &bplen);
	struct screen_info si;
	char *systab;
	int rc = 0;

	warn[0] = '\0';
	if (bp && bplen < 4096) {
		free(bp);
		bp = NULL;
	}
	/* acpi_rsdp_addr: what the running kernel was given, else EFI's tables */
	if (bp)
		memcpy(&l->sys.acpi_rsdp, bp + BP_ACPI_RSDP_ADDR, 8);
	systab = sys_read(s, "/sys/firmware/efi/systab", NULL);
	if (!l->sys.acpi_rsdp && systab) {
		l->sys.acpi_rsdp = cli_find_hex(systab, "ACPI20=");
		if (!l->sys.acpi_rsdp)
			l->sys.acpi_rsdp = cli_find_hex(systab, "ACPI=");
	}
	free(systab);
	/* the screen: the firmware's framebuffer as fb0 shows it now; none when a
	 * native driver owns fb0 (its scanout may have moved: kexec-tools passes
	 * none either); the boot-time one (a text console) when there is no fb0 */
	rc = screen_from_fb(s, &si);
	if (rc == 0) {
		memcpy(l->screen, &si, sizeof(si));
		l->sys.screen_info = l->screen;
	} else if (rc < 0 && bp) {
		memcpy(&si, bp + BP_SCREEN_INFO, sizeof(si));
		si.cl_magic = si.cl_offset = 0;	/* the old command line protocol: not ours */
		memcpy(l->screen, &si, sizeof(si));
		l->sys.screen_info = l->screen;
	}
	rc = 0;
	if (sys_exists(s, "/sys/firmware/efi"))
		rc = efi_handoff(s, l, bp, warn, wlen);
	l->uefi = rc == 0 && l->sys.efi_info;
	free(bp);
	return rc;
}

void sys_linux_free(struct sys_linux *l)
{
	free(l->efi_map);
	free(l->e820);
	memset(l, 0, sizeof(*l));
}
