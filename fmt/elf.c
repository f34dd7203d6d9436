/* SPDX-License-Identifier: MIT */
/*
 * ELF32 and ELF64 executables to fmt_image segments.
 *
 * The checks are written once, in elf_impl.h, and instantiated for each class
 * (FreeBSD's trick): a fix to one class cannot miss the other. What does not
 * depend on the class - the ELF structs, the segment list, sorting and the
 * overlap check - lives here, above the two instantiations.
 *
 * The image comes from a file or a network buffer: it may be unaligned and it
 * is untrusted. Headers are therefore memcpy'd into aligned locals before any
 * field is read, and every offset and address sum is checked before use.
 */
#include <stdint.h>
#include <string.h>

#include "fmt/fmt.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fmt/elf.c reads little-endian ELF fields natively"
#endif

/* e_ident */
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define EI_NIDENT	16
#define ELFCLASS32	1
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1

#define ET_EXEC		2
#define EM_386		3
#define EM_X86_64	62
#define PT_LOAD		1
/* e_phnum == PN_XNUM: the real count sits in section 0 - not worth handling */
#define PN_XNUM		0xffff


struct elf32_ehdr {
	uint8_t  e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint32_t e_entry;
	uint32_t e_phoff;
	uint32_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_ehdr {
	uint8_t  e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

/* The two classes order the phdr fields differently (p_flags moves). */
struct elf32_phdr {
	uint32_t p_type;
	uint32_t p_offset;
	uint32_t p_vaddr;
	uint32_t p_paddr;
	uint32_t p_filesz;
	uint32_t p_memsz;
	uint32_t p_flags;
	uint32_t p_align;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* The on-disk sizes: e_phentsize is compared against these. */
_Static_assert(sizeof(struct elf32_ehdr) == 52, "elf32 ehdr");
_Static_assert(sizeof(struct elf64_ehdr) == 64, "elf64 ehdr");
_Static_assert(sizeof(struct elf32_phdr) == 32, "elf32 phdr");
_Static_assert(sizeof(struct elf64_phdr) == 56, "elf64 phdr");

/* "\177ELF", byte by byte: memcpy and memset are all this file asks of libc. */
static int elf_has_magic(const uint8_t *p, uint64_t len)
{
	return len >= 4 && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F';
}

/* Magic and class: enough to say which instantiation owns the buffer. */
static int elf_probe(const void *buf, uint64_t len, uint8_t class)
{
	const uint8_t *p = buf;

	return len > EI_CLASS && elf_has_magic(p, len) && p[EI_CLASS] == class;
}

/*
 * [base, base + size) must end at or below limit, the top of the class's
 * address space (2^32 for ELF32). An end equal to 2^64 is refused too: it
 * does not fit the u64 that every later consumer computes it in.
 */
static int elf_range_ok(uint64_t base, uint64_t size, uint64_t limit)
{
	uint64_t end;

	if (__builtin_add_overflow(base, size, &end))
		return 0;
	return end <= limit;
}

/* [off, off + size) inside a buffer of len bytes. */
static int elf_in_buffer(uint64_t off, uint64_t size, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(off, size, &end))
		return 0;
	return end <= len;
}

static int elf_add_segment(struct fmt_image *img, const struct fmt_segment *s)
{
	if (img->nseg >= FMT_MAX_SEGMENTS)
		return FMT_E_TOO_MANY;
	img->seg[img->nseg++] = *s;
	return 0;
}

/* Insertion sort: at most FMT_MAX_SEGMENTS entries, usually already sorted. */
static void elf_sort_segments(struct fmt_image *img)
{
	for (uint32_t i = 1; i < img->nseg; i++) {
		struct fmt_segment s = img->seg[i];
		uint32_t j = i;

		while (j > 0 && img->seg[j - 1].paddr > s.paddr) {
			img->seg[j] = img->seg[j - 1];
			j--;
		}
		img->seg[j] = s;
	}
}

/*
 * Sort, refuse overlaps and record the span. Ends cannot wrap: each segment
 * passed elf_range_ok(). Touching segments (end == next paddr) are fine.
 */
static int elf_finish(struct fmt_image *img)
{
	if (img->nseg == 0)
		return FMT_E_NO_SEGMENTS;
	elf_sort_segments(img);
	for (uint32_t i = 1; i < img->nseg; i++) {
		const struct fmt_segment *prev = &img->seg[i - 1];

		if (img->seg[i].paddr < prev->paddr + prev->memsz)
			return FMT_E_OVERLAP;
	}
	img->low = img->seg[0].paddr;
	img->high = img->seg[img->nseg - 1].paddr + img->seg[img->nseg - 1].memsz;
	return 0;
}

#define ELF_BITS 64
#include "elf_impl.h"
#undef ELF_BITS

#define ELF_BITS 32
#include "elf_impl.h"
#undef ELF_BITS
