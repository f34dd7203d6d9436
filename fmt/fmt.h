/* SPDX-License-Identifier: MIT */
/*
 * fmt/: image formats to segments. One shape for every format:
 * fmt_<name>_probe() says whether a buffer is that format, fmt_<name>_load()
 * checks all of it and describes it as segments. fmt_load() tries each format
 * in fmt_formats order and ends in FMT_E_UNSUPPORTED.
 *
 * Nothing here writes memory outside the caller's struct fmt_image: the stage
 * copies segment bytes later, once every check has passed.
 */
#ifndef BATON_FMT_H
#define BATON_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_MAX_SEGMENTS	64

/* Errors: 0 or one of these; fmt_strerror() gives the one-line message. */
#define FMT_E_UNSUPPORTED	(-100)	/* no format recognises the image */
#define FMT_E_TRUNCATED		(-101)	/* image shorter than its ELF header */
#define FMT_E_CLASS		(-102)	/* ELF class / data encoding / version not handled */
#define FMT_E_MACHINE		(-103)	/* not x86 / x86-64 */
#define FMT_E_TYPE		(-104)	/* not an executable (ET_EXEC) */
#define FMT_E_PHDR		(-105)	/* program header table out of bounds or bad entsize */
#define FMT_E_NO_SEGMENTS	(-106)	/* no PT_LOAD segment */
#define FMT_E_TOO_MANY		(-107)	/* more than FMT_MAX_SEGMENTS PT_LOAD segments */
#define FMT_E_FILESZ		(-108)	/* p_filesz > p_memsz */
#define FMT_E_OFFSET		(-109)	/* segment file bytes outside the image */
#define FMT_E_OVERFLOW		(-110)	/* an address + size wraps (ELF32: ends above 4 GiB) */
#define FMT_E_OVERLAP		(-111)	/* two segments share memory */
#define FMT_E_ENTRY		(-112)	/* entry point not inside any PT_LOAD segment */
#define FMT_E_ALIGN		(-113)	/* unused: segments are copied, offsets need no alignment */

/* One loadable segment, in physical addresses (ELF p_paddr). */
struct fmt_segment {
	uint64_t paddr;		/* where its first byte goes */
	uint64_t filesz;	/* bytes taken from the image */
	uint64_t memsz;		/* bytes in memory: [filesz, memsz) are zero */
	uint64_t offset;	/* offset of the file bytes in the image */
	uint32_t flags;		/* ELF p_flags (PF_X = 1, PF_W = 2, PF_R = 4) */
	uint32_t source;	/* FMT_SRC_*: which buffer the file bytes come from */
};

/* struct fmt_segment.source */
#define FMT_SRC_IMAGE	0	/* the image itself, at offset */
#define FMT_SRC_INITRD	1	/* the initrd (Linux) */
#define FMT_SRC_BOOT	2	/* the boot area the stage builds (Linux zero page...) */

#define FMT_KIND_ELF32	1
#define FMT_KIND_ELF64	2
#define FMT_KIND_BZIMAGE 3	/* fmt/bzimage.h: segments come from the stage's layout */

struct fmt_image {
	uint32_t kind;		/* FMT_KIND_* */
	uint32_t nseg;		/* segments, sorted by paddr, non-overlapping */
	uint64_t entry;		/* physical entry address, inside a segment */
	uint64_t low, high;	/* [low, high): span of all segments */
	struct fmt_segment seg[FMT_MAX_SEGMENTS];
};

/* One format: both functions take the whole image and its length. */
struct fmt_format {
	const char *name;
	int (*probe)(const void *buf, uint64_t len);	/* 1 = mine, 0 = not */
	int (*load)(const void *buf, uint64_t len, struct fmt_image *img);
};

int fmt_elf32_probe(const void *buf, uint64_t len);
int fmt_elf32_load(const void *buf, uint64_t len, struct fmt_image *img);
int fmt_elf64_probe(const void *buf, uint64_t len);
int fmt_elf64_load(const void *buf, uint64_t len, struct fmt_image *img);

/* Try every format; FMT_E_UNSUPPORTED when none claims the image. On any error img->nseg is 0. */
int fmt_load(const void *buf, uint64_t len, struct fmt_image *img);
const char *fmt_strerror(int err);

/* One line naming what is wrong into msg (when given), and err back: every
 * refusal in fmt/ and the stage's Linux placement. */
int fmt_fail(char *msg, size_t msglen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
