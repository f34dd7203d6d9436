/* SPDX-License-Identifier: MIT */
/*
 * baton.efi: a UEFI application that boots a Boot Loader Specification entry
 * from the ESP it was loaded from through baton's stage and loader. README.md
 * beside this file walks the flow:
 *
 *   1. the ESP: \loader\loader.conf (default, timeout), \loader\entries\*.conf
 *   2. bls/ parses and sorts them; the list is printed, the default marked
 *   3. the default entry (then the next ones) is read and staged under boot
 *      services (stage_build, pages from AllocatePages)
 *   4. ExitBootServices with the map-key retry, the final EFI memory map
 *      written into the staged Linux boot area, the handoff sealed again
 *   5. interrupts off, jump into the loader on the firmware's identity map
 */
#include <efi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/handoff.h>
#include "bls/bls.h"
#include "fmt/bzimage.h"
#include "stage/stage.h"
#include "efi/baton_efi.h"

#define PAGE		4096ULL
#define ENTRIES_MAX	256
#define KEEP_MAX	512
#define BOOT_SRC_MAX	64	/* pages of the Linux boot area whose sources we note */
#define MAP_SLACK	64	/* descriptors the map may grow by between staging and exit */
#define COM1		0x3f8
#define EFI_PERSISTENT_MEMORY	14	/* EfiPersistentMemory (UEFI 2.5): gnu-efi 3.0.15 lacks it */

extern const char baton_blob[], baton_blob_end[];

static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;
static EFI_HANDLE self;
static EFI_FILE_HANDLE root;
static int booting;	/* boot services are gone: no more console */

/* ---- console and memory ---- */

void say(const char *fmt, ...)
{
	char buf[600];
	CHAR16 out[1300];
	va_list ap;
	size_t j = 0;

	if (booting)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (const char *p = "baton.efi: "; *p; p++)
		out[j++] = (CHAR16)*p;
	for (size_t i = 0; buf[i] && j + 3 < sizeof(out) / sizeof(out[0]); i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			out[j++] = '\r';
		out[j++] = c < 0x80 ? c : '?';
	}
	out[j++] = '\r';
	out[j++] = '\n';
	out[j] = 0;
	st->ConOut->OutputString(st->ConOut, out);
}

void efi_stop(const char *why)
{
	say("PANIC %s", why);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void *efi_pool_alloc(size_t n)
{
	void *p = NULL;

	if (booting || bs->AllocatePool(EfiLoaderData, n ? n : 1, &p) != EFI_SUCCESS)
		return NULL;
	return p;
}

void efi_pool_free(void *p)
{
	if (p && !booting)
		bs->FreePool(p);
}

/* ---- files on the ESP ---- */

static void to_path16(const char *path, CHAR16 *out, size_t max)
{
	size_t i = 0;

	for (; path[i] && i + 1 < max; i++)
		out[i] = path[i] == '/' ? '\\' : (CHAR16)(unsigned char)path[i];
	out[i] = 0;
}

static EFI_FILE_INFO *file_info(EFI_FILE_HANDLE fh)
{
	EFI_GUID id = EFI_FILE_INFO_ID;
	UINTN size = 0;
	EFI_FILE_INFO *info = NULL;

	if (fh->GetInfo(fh, &id, &size, NULL) != EFI_BUFFER_TOO_SMALL)
		return NULL;
	info = efi_pool_alloc(size);
	if (info && fh->GetInfo(fh, &id, &size, info) != EFI_SUCCESS) {
		efi_pool_free(info);
		info = NULL;
	}
	return info;
}

/* The whole file at `path` (relative to the ESP's root, '/' or '\'), in pool
 * memory with a NUL after it. 0, or -1 with why. */
static int read_file(const char *path, char **buf, uint64_t *len, char *why, size_t whylen)
{
	CHAR16 p16[512];
	EFI_FILE_HANDLE fh;
	EFI_STATUS s;

	to_path16(path, p16, 512);
	s = root->Open(root, &fh, p16, EFI_FILE_MODE_READ, 0);
	if (s != EFI_SUCCESS) {
		snprintf(why, whylen, "%s: cannot open (EFI status 0x%lx)", path, (unsigned long)s);
		return -1;
	}
	EFI_FILE_INFO *info = file_info(fh);

	if (!info || (info->Attribute & EFI_FILE_DIRECTORY)) {
		snprintf(why, whylen, "%s: %s", path, info ? "a directory" : "no file info");
		efi_pool_free(info);
		fh->Close(fh);
		return -1;
	}
	uint64_t size = info->FileSize;

	efi_pool_free(info);
	*buf = efi_pool_alloc(size + 1);
	if (!*buf) {
		snprintf(why, whylen, "%s: no memory for %lu bytes", path, (unsigned long)size);
		fh->Close(fh);
		return -1;
	}
	UINTN n = size;

	s = fh->Read(fh, &n, *buf);
	fh->Close(fh);
	if (s != EFI_SUCCESS || n != size) {
		snprintf(why, whylen, "%s: read %lu of %lu bytes (EFI status 0x%lx)", path,
			 (unsigned long)n, (unsigned long)size, (unsigned long)s);
		efi_pool_free(*buf);
		return -1;
	}
	(*buf)[size] = 0;
	*len = size;
	return 0;
}

static int open_esp(void)
{
	EFI_GUID li_id = LOADED_IMAGE_PROTOCOL, fs_id = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS s;

	s = bs->HandleProtocol(self, &li_id, (void **)&li);
	if (s != EFI_SUCCESS) {
		say("no loaded image protocol (0x%lx)", (unsigned long)s);
		return -1;
	}
	s = bs->HandleProtocol(li->DeviceHandle, &fs_id, (void **)&fs);
	if (s != EFI_SUCCESS) {
		say("the device baton.efi came from has no file system (0x%lx)", (unsigned long)s);
		return -1;
	}
	s = fs->OpenVolume(fs, &root);
	if (s != EFI_SUCCESS) {
		say("cannot open the ESP's root (0x%lx)", (unsigned long)s);
		return -1;
	}
	return 0;
}

/* ---- entries ---- */

struct entry {
	struct bls_entry e;
	char *text;
};

static struct bls_entry *sorted[ENTRIES_MAX];
static size_t nsorted;
static char conf_default[BLS_NAME_MAX + 1];
static long conf_timeout = -1;

static void read_loader_conf(void)
{
	char *text, why[200];
	uint64_t len;

	if (read_file("\\loader\\loader.conf", &text, &len, why, sizeof(why)))
		return;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *k = line, *v;

		while (*k == ' ' || *k == '\t')
			k++;
		v = k;
		while (*v && *v != ' ' && *v != '\t')
			v++;
		if (*v)
			*v++ = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		for (char *e = v + strlen(v); e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t');)
			*--e = 0;
		if (!strcmp(k, "default"))
			snprintf(conf_default, sizeof(conf_default), "%s", v);
		else if (!strcmp(k, "timeout"))
			conf_timeout = strtol(v, NULL, 10);
	}
	efi_pool_free(text);
}

static void read_entries(void)
{
	CHAR16 p16[64];
	EFI_FILE_HANDLE dir;
	UINTN cap = 1024;
	EFI_FILE_INFO *info = efi_pool_alloc(cap);

	to_path16("\\loader\\entries", p16, 64);
	if (!info || root->Open(root, &dir, p16, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS) {
		say("no \\loader\\entries directory");
		return;
	}
	for (;;) {
		UINTN n = cap;
		EFI_STATUS s = dir->Read(dir, &n, info);

		if (s == EFI_BUFFER_TOO_SMALL) {
			efi_pool_free(info);
			cap = n;
			info = efi_pool_alloc(cap);
			if (!info)
				break;
			continue;
		}
		if (s != EFI_SUCCESS || n == 0)
			break;
		if (info->Attribute & EFI_FILE_DIRECTORY)
			continue;
		char name[BLS_NAME_MAX + 1], path[BLS_NAME_MAX + 32], why[200];
		size_t i = 0;

		for (; info->FileName[i] && i < BLS_NAME_MAX; i++)
			name[i] = info->FileName[i] < 0x80 ? (char)info->FileName[i] : '?';
		name[i] = 0;
		if (i < 5 || strcmp(name + i - 5, ".conf"))
			continue;
		if (nsorted == ENTRIES_MAX) {
			say("%s: skipped, more than %d entries", name, ENTRIES_MAX);
			continue;
		}
		struct entry *en = efi_pool_alloc(sizeof(*en));
		uint64_t len;

		snprintf(path, sizeof(path), "\\loader\\entries\\%s", name);
		if (!en || read_file(path, &en->text, &len, why, sizeof(why))) {
			say("%s", en ? why : "no memory for an entry");
			efi_pool_free(en);
			continue;
		}
		if (bls_parse(&en->e, name, en->text, len, why, sizeof(why))) {
			say("%s", why);
			efi_pool_free(en->text);
			efi_pool_free(en);
			continue;
		}
		if (!bls_arch_matches(&en->e, "x64")) {
			say("%s: architecture %s, not x64: skipped", name, en->e.architecture);
			continue;
		}
		sorted[nsorted++] = &en->e;
	}
	efi_pool_free(info);
	dir->Close(dir);
	bls_sort(sorted, nsorted);
}

/* The first entry in order whose id (or file name) matches loader.conf's
 * `default` glob; the first entry when none does or no default is set. */
static size_t pick_default(void)
{
	if (conf_default[0])
		for (size_t i = 0; i < nsorted; i++) {
			char file[BLS_NAME_MAX + 8];

			snprintf(file, sizeof(file), "%s.conf", sorted[i]->name);
			if (efi_glob(conf_default, sorted[i]->id) ||
			    efi_glob(conf_default, sorted[i]->name) || efi_glob(conf_default, file))
				return i;
		}
	return 0;
}

/* ---- staging ---- */

struct alloc_rec {
	uint64_t pa, pages;
};

struct env_ctx {
	struct alloc_rec *rec;
	size_t nrec, caprec;
	uint64_t boot_lo, boot_hi;		/* the Linux boot area's destination */
	uint64_t boot_src[BOOT_SRC_MAX];	/* its pages' sources, by page */
};

static int env_alloc(void *ctx, uint64_t pages, uint32_t purpose, uint64_t dst, uint64_t *pa)
{
	struct env_ctx *c = ctx;
	EFI_PHYSICAL_ADDRESS a = 0;

	if (c->nrec == c->caprec) {
		size_t cap = c->caprec ? c->caprec * 2 : 1024;
		struct alloc_rec *r = efi_pool_alloc(cap * sizeof(*r));

		if (!r)
			return -1;
		if (c->nrec)
			memcpy(r, c->rec, c->nrec * sizeof(*r));
		efi_pool_free(c->rec);
		c->rec = r;
		c->caprec = cap;
	}
	/* The loader runs from these pages on the firmware's page tables, which
	 * may map loader data no-execute. */
	if (bs->AllocatePages(AllocateAnyPages,
			      purpose == STAGE_FOR_LOADER ? EfiLoaderCode : EfiLoaderData,
			      pages, &a) != EFI_SUCCESS)
		return -1;
	c->rec[c->nrec++] = (struct alloc_rec){ a, pages };
	if (purpose == STAGE_FOR_SOURCE && dst >= c->boot_lo && dst < c->boot_hi &&
	    (dst - c->boot_lo) / PAGE < BOOT_SRC_MAX)
		c->boot_src[(dst - c->boot_lo) / PAGE] = a;
	*pa = a;
	return 0;
}

static void *env_map(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	(void)len;
	return (void *)(uintptr_t)pa;	/* UEFI: all memory identity-mapped */
}

static void *env_tmp_alloc(void *ctx, uint64_t bytes)
{
	(void)ctx;
	return efi_pool_alloc(bytes);
}

static void env_tmp_free(void *ctx, void *p, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	efi_pool_free(p);
}

static void env_release(struct env_ctx *c)
{
	for (size_t i = 0; i < c->nrec; i++)
		bs->FreePages(c->rec[i].pa, c->rec[i].pages);
	efi_pool_free(c->rec);
	memset(c, 0, sizeof(*c));
}

struct efimap {
	EFI_MEMORY_DESCRIPTOR *d;
	UINTN size, cap, key, desc_size;
	UINT32 version;
};

#define DESC(m, i) ((EFI_MEMORY_DESCRIPTOR *)((char *)(m)->d + (i) * (m)->desc_size))

/* The current map into m->d (cap bytes), allocating it when m->d is NULL. */
static EFI_STATUS efimap_get(struct efimap *m)
{
	if (!m->d) {
		m->size = 0;
		if (bs->GetMemoryMap(&m->size, NULL, &m->key, &m->desc_size, &m->version) !=
		    EFI_BUFFER_TOO_SMALL)
			return EFI_LOAD_ERROR;
		m->cap = m->size + MAP_SLACK * m->desc_size;
		m->d = efi_pool_alloc(m->cap);
		if (!m->d)
			return EFI_OUT_OF_RESOURCES;
	}
	m->size = m->cap;
	return bs->GetMemoryMap(&m->size, m->d, &m->key, &m->desc_size, &m->version);
}

/*
 * The placement map. Boot services memory is free once they exit, but for a
 * Linux payload it still holds what the kernel reads after the jump and
 * frees only then ("efi: Freeing EFI boot services memory"): configuration
 * tables such as the BGRT image, the memory attributes table, the ESRT. A
 * first run that placed the kernel's init_size over it lost both (dmesg:
 * "memattr: Unexpected ... version", "BGRT: Incorrect BMP magic"). So for
 * Linux it is reserved here, where the EFI stub would never allocate either;
 * the e820 Linux gets still says RAM.
 */
static uint32_t baton_type(UINT32 t, int for_linux)
{
	switch (t) {
	case EfiBootServicesCode: case EfiBootServicesData:
		return for_linux ? BATON_MEM_RESERVED : BATON_MEM_USABLE;
	case EfiConventionalMemory: case EfiLoaderCode: case EfiLoaderData:
		return BATON_MEM_USABLE;
	case EFI_PERSISTENT_MEMORY:
		return BATON_MEM_NEVER_TOUCH;
	default:	/* runtime services, ACPI, MMIO, reserved, unusable, unaccepted */
		return BATON_MEM_RESERVED;
	}
}

static uint32_t e820_type(UINT32 t)
{
	switch (t) {
	case EfiConventionalMemory: case EfiLoaderCode: case EfiLoaderData:
	case EfiBootServicesCode: case EfiBootServicesData:
		return 1;
	case EfiACPIReclaimMemory:
		return 3;
	case EfiACPIMemoryNVS:
		return 4;
	case EfiUnusableMemory:
		return 5;
	case EFI_PERSISTENT_MEMORY:
		return 7;
	default:
		return 2;
	}
}

static struct baton_mem_range mem[1024];
static struct fmt_e820 e820[1024];
static size_t nmem, ne820;

static void maps_from_efi(const struct efimap *m, int for_linux)
{
	size_t n = m->size / m->desc_size;

	nmem = ne820 = 0;
	for (size_t i = 0; i < n && nmem < 1024; i++) {
		EFI_MEMORY_DESCRIPTOR *d = DESC(m, i);
		uint64_t base = d->PhysicalStart, size = d->NumberOfPages * PAGE;
		uint32_t bt = baton_type(d->Type, for_linux), et = e820_type(d->Type);

		if (!size)
			continue;
		if (nmem && mem[nmem - 1].type == bt && mem[nmem - 1].base + mem[nmem - 1].size == base)
			mem[nmem - 1].size += size;
		else
			mem[nmem++] = (struct baton_mem_range){ .base = base, .size = size, .type = bt };
		if (ne820 && e820[ne820 - 1].type == et && e820[ne820 - 1].addr + e820[ne820 - 1].size == base)
			e820[ne820 - 1].size += size;
		else
			e820[ne820++] = (struct fmt_e820){ .addr = base, .size = size, .type = et };
	}
}

/* The firmware's page tables, which the loader runs on until it has its own:
 * every table page reachable from CR3 (not the pages they map), as keep
 * ranges, adjacent pages merged. */
static struct baton_mem_range keep[KEEP_MAX];
static size_t nkeep;
static int keep_overflow;

static void keep_page(uint64_t pa)
{
	for (size_t i = 0; i < nkeep; i++) {
		if (pa >= keep[i].base && pa < keep[i].base + keep[i].size)
			return;
		if (keep[i].base + keep[i].size == pa) {
			keep[i].size += PAGE;
			return;
		}
		if (pa + PAGE == keep[i].base) {
			keep[i].base = pa;
			keep[i].size += PAGE;
			return;
		}
	}
	if (nkeep == KEEP_MAX) {
		keep_overflow = 1;
		return;
	}
	keep[nkeep++] = (struct baton_mem_range){ .base = pa, .size = PAGE, .type = BATON_MEM_USABLE };
}

#define PTE_P		1ULL
#define PTE_PS		0x80ULL
#define PTE_ADDR	0x000ffffffffff000ULL

static void keep_tables(uint64_t table, int level)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)table;

	keep_page(table);
	if (level == 1)
		return;
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P) || ((level == 2 || level == 3) && (t[i] & PTE_PS)))
			continue;
		keep_tables(t[i] & PTE_ADDR, level - 1);
	}
}

static void keep_firmware_tables(const struct efimap *m)
{
	uint64_t cr3, cr4;

	__asm__ volatile("mov %%cr3, %0; mov %%cr4, %1" : "=r"(cr3), "=r"(cr4));
	nkeep = 0;
	keep_overflow = 0;
	keep_tables(cr3 & PTE_ADDR, cr4 & (1ULL << 12) ? 5 : 4);
	if (!keep_overflow) {
		say("keep: firmware page tables from CR3 0x%lx: %lu ranges", (unsigned long)cr3, (unsigned long)nkeep);
		return;
	}
	/* Too scattered to list: every page the firmware itself allocated. */
	nkeep = 0;
	for (size_t i = 0; i < m->size / m->desc_size && nkeep < KEEP_MAX; i++) {
		EFI_MEMORY_DESCRIPTOR *d = DESC(m, i);

		if (d->Type == EfiBootServicesData)
			keep[nkeep++] = (struct baton_mem_range){ d->PhysicalStart,
				d->NumberOfPages * PAGE, BATON_MEM_USABLE, 0 };
	}
	say("keep: firmware page tables scattered: all boot services data, %lu ranges", (unsigned long)nkeep);
}

static uint8_t screen[BP_SCREEN_INFO_LEN];
static uint8_t efi_info[BP_EFI_INFO_LEN];

static void put16(uint8_t *p, unsigned off, uint32_t v) { p[off] = v; p[off + 1] = v >> 8; }
static void put32(uint8_t *p, unsigned off, uint32_t v) { put16(p, off, v); put16(p, off + 2, v >> 16); }

static void mask_bits(uint32_t mask, uint8_t *size, uint8_t *pos)
{
	*pos = mask ? __builtin_ctz(mask) : 0;
	*size = mask ? __builtin_popcount(mask) : 0;
}

/* struct screen_info (linux:include/uapi/linux/screen_info.h) from GOP. */
static int screen_from_gop(void)
{
	EFI_GUID id = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;

	memset(screen, 0, sizeof(screen));
	if (bs->LocateProtocol(&id, NULL, (void **)&gop) != EFI_SUCCESS || !gop->Mode ||
	    !gop->Mode->Info)
		return 0;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	uint8_t rs, rp, gs, gp, bsz, bp, xs, xp;

	switch (mi->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		rs = gs = bsz = xs = 8; rp = 0; gp = 8; bp = 16; xp = 24;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		rs = gs = bsz = xs = 8; bp = 0; gp = 8; rp = 16; xp = 24;
		break;
	case PixelBitMask:
		mask_bits(mi->PixelInformation.RedMask, &rs, &rp);
		mask_bits(mi->PixelInformation.GreenMask, &gs, &gp);
		mask_bits(mi->PixelInformation.BlueMask, &bsz, &bp);
		mask_bits(mi->PixelInformation.ReservedMask, &xs, &xp);
		break;
	default:	/* BltOnly: no framebuffer to hand on */
		return 0;
	}
	uint64_t base = gop->Mode->FrameBufferBase;

	screen[0x0f] = 0x70;				/* orig_video_isVGA: VIDEO_TYPE_EFI */
	put16(screen, 0x12, mi->HorizontalResolution);	/* lfb_width */
	put16(screen, 0x14, mi->VerticalResolution);	/* lfb_height */
	put16(screen, 0x16, 32);			/* lfb_depth */
	put32(screen, 0x18, (uint32_t)base);		/* lfb_base */
	put32(screen, 0x1c, (uint32_t)gop->Mode->FrameBufferSize);	/* lfb_size */
	put16(screen, 0x24, mi->PixelsPerScanLine * 4);	/* lfb_linelength */
	screen[0x26] = rs; screen[0x27] = rp; screen[0x28] = gs; screen[0x29] = gp;
	screen[0x2a] = bsz; screen[0x2b] = bp; screen[0x2c] = xs; screen[0x2d] = xp;
	if (base >> 32) {
		put32(screen, 0x36, 2);			/* capabilities: VIDEO_CAPABILITY_64BIT_BASE */
		put32(screen, 0x3a, (uint32_t)(base >> 32));	/* ext_lfb_base */
	}
	say("screen: GOP %ux%u at 0x%lx, %u bytes a line", mi->HorizontalResolution,
	    mi->VerticalResolution, (unsigned long)base, mi->PixelsPerScanLine * 4);
	return 1;
}

static uint64_t acpi_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t v1 = 0;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];

		if (!memcmp(&t->VendorGuid, &acpi20, sizeof(acpi20)))
			return (uint64_t)(uintptr_t)t->VendorTable;
		if (!memcmp(&t->VendorGuid, &acpi10, sizeof(acpi10)))
			v1 = (uint64_t)(uintptr_t)t->VendorTable;
	}
	return v1;
}

static uint32_t tsc_khz(void)
{
	uint32_t lo, hi;
	uint64_t a, b;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	a = (uint64_t)hi << 32 | lo;
	bs->Stall(10000);
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	b = (uint64_t)hi << 32 | lo;
	return (uint32_t)((b - a) / 10);
}

__attribute__((noreturn)) static void jump(uint64_t entry, uint64_t handoff)
{
	__asm__ volatile("cli; jmp *%0" : : "r"(entry), "D"(handoff) : "memory");
	__builtin_unreachable();
}

static void copy_to_boot(const struct env_ctx *c, uint64_t off, const void *src, uint64_t len)
{
	const char *s = src;

	while (len) {
		uint64_t in = off % PAGE, n = PAGE - in < len ? PAGE - in : len;

		memcpy((char *)(uintptr_t)c->boot_src[off / PAGE] + in, s, n);
		s += n;
		off += n;
		len -= n;
	}
}

/* Stage one image and, if that works, leave boot services and jump: returns
 * only before ExitBootServices, with the reason in why. */
static void stage_and_go(const void *image, uint64_t image_len, const void *initrd,
			 uint64_t initrd_len, const char *cmdline, char *why, size_t whylen)
{
	static struct env_ctx ctx;
	struct efimap m = { 0 };
	struct stage_request rq;
	struct stage_result res;
	struct fmt_image img;
	struct fmt_bz_system sys;
	EFI_STATUS s;

	memset(&ctx, 0, sizeof(ctx));
	s = efimap_get(&m);
	if (s != EFI_SUCCESS) {
		snprintf(why, whylen, "GetMemoryMap: 0x%lx", (unsigned long)s);
		return;
	}
	int is_linux = fmt_bzimage_probe(image, image_len);

	maps_from_efi(&m, is_linux);
	keep_firmware_tables(&m);
	rq = (struct stage_request){
		.image = image, .image_len = image_len, .cmdline = cmdline,
		.initrd = initrd, .initrd_len = initrd_len,
		.linux_entry = STAGE_LINUX_64,
		.mem = mem, .mem_count = nmem, .keep = keep, .keep_count = nkeep,
		.blob = baton_blob, .blob_len = (uint64_t)(baton_blob_end - baton_blob),
		.console = { .port = COM1, .kind = BATON_CON_UART_IO, .baud = 0 },
		.tsc_khz = tsc_khz(),
	};
	if (is_linux) {
		memset(&sys, 0, sizeof(sys));
		memset(efi_info, 0, sizeof(efi_info));
		memcpy(efi_info, "EL64", 4);				/* efi_loader_signature */
		put32(efi_info, 0x04, (uint32_t)(uintptr_t)st);		/* efi_systab */
		put32(efi_info, 0x08, (uint32_t)m.desc_size);		/* efi_memdesc_size */
		put32(efi_info, 0x0c, m.version);			/* efi_memdesc_version */
		put32(efi_info, 0x18, (uint32_t)((uintptr_t)st >> 32));	/* efi_systab_hi */
		sys.e820 = e820;
		sys.e820_count = ne820;
		sys.acpi_rsdp = acpi_rsdp();
		sys.screen_info = screen_from_gop() ? screen : NULL;
		sys.efi_info = efi_info;
		/* Room for the final map: the boot area holds m.cap bytes, the map
		 * as it is now until ExitBootServices gives the last one. */
		memset((char *)m.d + m.size, 0, m.cap - m.size);
		sys.efi_memmap = m.d;
		sys.efi_memmap_len = m.cap;
		sys.efi_desc_size = (uint32_t)m.desc_size;
		rq.linux_system = &sys;
		say("linux: e820 %lu entries, ACPI RSDP 0x%lx, EFI map %lu descriptors of %lu bytes",
		    (unsigned long)ne820, (unsigned long)sys.acpi_rsdp, (unsigned long)(m.size / m.desc_size),
		    (unsigned long)m.desc_size);
		int err = stage_image_layout(&rq, &img, why, whylen);

		if (err)
			goto fail;
		ctx.boot_lo = img.seg[0].paddr;
		ctx.boot_hi = img.seg[0].paddr + img.seg[0].memsz;
	}
	struct stage_env env = {
		.ctx = &ctx, .alloc = env_alloc, .map = env_map,
		.tmp_alloc = env_tmp_alloc, .tmp_free = env_tmp_free,
	};

	memset(&res, 0, sizeof(res));
	int err = stage_build(&rq, &env, &res);

	if (err) {
		snprintf(why, whylen, "stage: %s: %s", stage_strerror(err),
			 res.msg[0] ? res.msg : "(no detail)");
		goto fail;
	}
	say("staged: %lu pages in %lu copy runs, %lu list pages, loader 0x%lx, handoff 0x%lx, work 0x%lx+0x%lx, entry 0x%lx",
	    (unsigned long)res.image_pages, (unsigned long)res.copy_runs,
	    (unsigned long)res.list_pages, (unsigned long)res.loader_base,
	    (unsigned long)res.handoff, (unsigned long)res.work_base,
	    (unsigned long)res.work_size, (unsigned long)res.image_entry);

	uint64_t map_off = 0;

	if (is_linux) {
		uint8_t *zp = (uint8_t *)(uintptr_t)ctx.boot_src[0];
		uint64_t map_pa;

		if (res.bootinfo != ctx.boot_lo || !zp) {
			snprintf(why, whylen, "boot area at 0x%lx, expected 0x%lx",
				 (unsigned long)res.bootinfo, (unsigned long)ctx.boot_lo);
			goto fail;
		}
		map_pa = (uint64_t)*(uint32_t *)(zp + BP_EFI_MEMMAP) |
			 (uint64_t)*(uint32_t *)(zp + BP_EFI_MEMMAP_HI) << 32;
		map_off = map_pa - ctx.boot_lo;
		for (uint64_t p = 0; p <= (map_off + m.cap - 1) / PAGE; p++)
			if (p >= BOOT_SRC_MAX || !ctx.boot_src[p]) {
				snprintf(why, whylen, "boot area page %lu: no source noted",
					 (unsigned long)p);
				goto fail;
			}
	}
	say("exiting boot services, jumping to the loader at 0x%lx (handoff 0x%lx)",
	    (unsigned long)res.entry, (unsigned long)res.handoff);

	for (int tries = 0;; tries++) {
		s = efimap_get(&m);
		if (s != EFI_SUCCESS) {
			if (!tries) {
				snprintf(why, whylen, "GetMemoryMap before exit: 0x%lx (map %lu bytes, room %lu)",
					 (unsigned long)s, (unsigned long)m.size, (unsigned long)m.cap);
				goto fail;
			}
			efi_stop("GetMemoryMap failed after a failed ExitBootServices");
		}
		s = bs->ExitBootServices(self, m.key);
		if (s == EFI_SUCCESS)
			break;
		if (s != EFI_INVALID_PARAMETER || tries == 8)
			efi_stop("ExitBootServices failed");
	}
	booting = 1;
	if (is_linux) {
		/* the final map into the boot area, its size into efi_info */
		copy_to_boot(&ctx, map_off, m.d, m.size);
		uint32_t sz = (uint32_t)m.size;

		copy_to_boot(&ctx, BP_EFI_MEMMAP_SIZE, &sz, 4);
		stage_rehash((struct baton_handoff *)(uintptr_t)res.handoff, &env);
	}
	jump(res.entry, res.handoff);
fail:
	env_release(&ctx);
	efi_pool_free(m.d);
}

static const char *kind_of(const struct bls_entry *e)
{
	return e->efi && !e->kernel ? "efi" : "linux";
}

/* One entry: its files read, staged; returns only when it cannot boot. */
static void try_entry(const struct bls_entry *e, char *why, size_t whylen)
{
	char *image = NULL, *initrd = NULL;
	uint64_t image_len = 0, initrd_len = 0;

	if (!e->kernel) {
		snprintf(why, whylen, "an efi entry (chainloading %s is not done yet)", e->efi);
		return;
	}
	if (read_file(e->kernel, &image, &image_len, why, whylen))
		return;
	/* several initrds: one buffer, each 4-byte aligned, as the kernel takes
	 * concatenated cpio archives */
	uint64_t total = 0, at = 0;
	char *part[BLS_INITRD_MAX] = { 0 };
	uint64_t plen[BLS_INITRD_MAX] = { 0 };

	for (unsigned i = 0; i < e->n_initrd; i++) {
		if (read_file(e->initrd[i], &part[i], &plen[i], why, whylen))
			goto out;
		total += (plen[i] + 3) & ~3ULL;
	}
	if (e->n_initrd == 1) {
		initrd = part[0];
		initrd_len = plen[0];
		part[0] = NULL;
	} else if (e->n_initrd) {
		initrd = efi_pool_alloc(total);
		if (!initrd) {
			snprintf(why, whylen, "no memory for %lu bytes of initrds", (unsigned long)total);
			goto out;
		}
		memset(initrd, 0, total);
		for (unsigned i = 0; i < e->n_initrd; i++) {
			memcpy(initrd + at, part[i], plen[i]);
			at += (plen[i] + 3) & ~3ULL;
		}
		initrd_len = total;
	}
	say("%s: %s %lu bytes, %u initrd(s) %lu bytes, options '%s'", e->id, e->kernel,
	    (unsigned long)image_len, e->n_initrd, (unsigned long)initrd_len, e->options);
	stage_and_go(image, image_len, initrd, initrd_len, e->options, why, whylen);
out:
	for (unsigned i = 0; i < e->n_initrd; i++)
		efi_pool_free(part[i]);
	efi_pool_free(initrd);
	efi_pool_free(image);
}

/*
 * Secure Boot is never silently broken: until baton.efi verifies each image
 * through the firmware (issue 12), it refuses to boot anything while the
 * firmware says Secure Boot is on (the global variable SecureBoot = 1).
 */
static int secure_boot_on(void)
{
	EFI_GUID global = EFI_GLOBAL_VARIABLE;
	UINT8 on = 0;
	UINTN size = sizeof(on);

	return st->RuntimeServices->GetVariable(L"SecureBoot", &global, NULL, &size, &on) ==
	       EFI_SUCCESS && size == 1 && on == 1;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	self = image;
	st = systab;
	bs = systab->BootServices;
	bs->SetWatchdogTimer(0, 0, 0, NULL);
	say("baton.efi starting");
	if (secure_boot_on()) {
		say("Secure Boot is on, and baton.efi does not verify images yet: refusing to boot any");
		return EFI_SECURITY_VIOLATION;
	}
	if (open_esp())
		return EFI_LOAD_ERROR;
	read_loader_conf();
	read_entries();
	if (!nsorted) {
		say("no bootable entry in \\loader\\entries");
		return EFI_NOT_FOUND;
	}
	size_t def = pick_default();

	say("loader.conf: default '%s', timeout %ld (no menu yet: booting the default)",
	    conf_default, conf_timeout);
	for (size_t i = 0; i < nsorted; i++)
		say("%c %-24s %-8s %s%s%s", i == def ? '*' : ' ', sorted[i]->id,
		    kind_of(sorted[i]), sorted[i]->title ? sorted[i]->title : sorted[i]->id,
		    sorted[i]->version ? " " : "", sorted[i]->version ? sorted[i]->version : "");
	for (size_t k = 0; k < nsorted; k++) {
		const struct bls_entry *e = sorted[(def + k) % nsorted];
		char why[300];

		say("booting %s", e->id);
		why[0] = 0;
		try_entry(e, why, sizeof(why));
		say("%s: cannot boot: %s", e->id, why[0] ? why : "(no reason given)");
	}
	say("no entry could boot");
	return EFI_LOAD_ERROR;
}
