/* SPDX-License-Identifier: MIT */
/*
 * fmt/elf through fmt_load(), the stage's only way in: any bytes, any length.
 * ASan catches a read past the image (the input is copied into a heap block of
 * exactly its length); the checks below catch a description that lies about it.
 *
 * Invariants of a successful load (fmt/fmt.h):
 *  - 1..FMT_MAX_SEGMENTS segments, sorted by paddr, pairwise disjoint;
 *  - each segment's file bytes lie inside the image, filesz <= memsz, memsz > 0,
 *    no address wraps, and an ELF32 segment ends at or below 4 GiB;
 *  - [low, high) is exactly the span of the segments; the entry lies inside one.
 * A failed load leaves nseg 0 and has a message of its own.
 *
 * The same bytes through fmt_multiboot_find(), the stage's other probe before
 * fmt_load(): a header it reports lies where its specification puts it (aligned,
 * inside its window and the file) and its checksum holds.
 */
#include "fmt/fmt.h"
#include "fmt/multiboot.h"
#include "tests/fuzz/fuzz.h"

static void check_image(const struct fmt_image *img, uint64_t len)
{
	int entry_in = 0;

	FUZZ_ASSERT(img->kind == FMT_KIND_ELF32 || img->kind == FMT_KIND_ELF64,
		    "kind %u", img->kind);
	FUZZ_ASSERT(img->nseg >= 1 && img->nseg <= FMT_MAX_SEGMENTS, "nseg %u", img->nseg);
	for (uint32_t i = 0; i < img->nseg; i++) {
		const struct fmt_segment *s = &img->seg[i];
		uint64_t end;

		FUZZ_ASSERT(s->source == FMT_SRC_IMAGE, "segment %u source %u", i, s->source);
		FUZZ_ASSERT(s->memsz > 0 && s->filesz <= s->memsz,
			    "segment %u filesz 0x%lx memsz 0x%lx", i, s->filesz, s->memsz);
		FUZZ_ASSERT(s->offset <= len && s->filesz <= len - s->offset,
			    "segment %u file bytes 0x%lx+0x%lx outside %lu bytes", i, s->offset,
			    s->filesz, len);
		FUZZ_ASSERT(!__builtin_add_overflow(s->paddr, s->memsz, &end),
			    "segment %u wraps", i);
		if (img->kind == FMT_KIND_ELF32)
			FUZZ_ASSERT(end <= 1ULL << 32, "ELF32 segment %u ends at 0x%lx", i, end);
		if (i)
			FUZZ_ASSERT(img->seg[i - 1].paddr + img->seg[i - 1].memsz <= s->paddr,
				    "segments %u and %u unsorted or overlapping", i - 1, i);
		if (img->entry >= s->paddr && img->entry < end)
			entry_in = 1;
	}
	FUZZ_ASSERT(img->low == img->seg[0].paddr, "low 0x%lx", img->low);
	FUZZ_ASSERT(img->high == img->seg[img->nseg - 1].paddr + img->seg[img->nseg - 1].memsz,
		    "high 0x%lx", img->high);
	FUZZ_ASSERT(entry_in, "entry 0x%lx outside every segment", img->entry);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_multiboot(const uint8_t *p, uint64_t len)
{
	struct fmt_multiboot mb;
	int found = fmt_multiboot_find(p, len, &mb);

	FUZZ_ASSERT(found == (mb.mb1 || mb.mb2) && found == fmt_multiboot_probe(p, len),
		    "multiboot: found %d, mb1 %d, mb2 %d", found, mb.mb1, mb.mb2);
	if (mb.mb1) {
		const uint8_t *h = p + mb.mb1_off;

		FUZZ_ASSERT(mb.mb1_off % 4 == 0 && mb.mb1_off + 12 <= 8192 && mb.mb1_off + 12 <= len,
			    "multiboot1 at 0x%x of %lu bytes", mb.mb1_off, len);
		FUZZ_ASSERT(le32(h) == 0x1BADB002u && le32(h + 4) == mb.mb1_flags &&
			    (uint32_t)(le32(h) + le32(h + 4) + le32(h + 8)) == 0,
			    "multiboot1 at 0x%x: bad magic or checksum", mb.mb1_off);
	}
	if (mb.mb2) {
		const uint8_t *h = p + mb.mb2_off;

		FUZZ_ASSERT(mb.mb2_off % 8 == 0 && mb.mb2_off + 16 <= 32768 &&
			    mb.mb2_off + 16 <= len,
			    "multiboot2 at 0x%x+0x%x of %lu bytes", mb.mb2_off, mb.mb2_len, len);
		FUZZ_ASSERT(le32(h) == 0xE85250D6u && le32(h + 4) == mb.mb2_arch &&
			    le32(h + 8) == mb.mb2_len &&
			    (uint32_t)(le32(h) + le32(h + 4) + le32(h + 8) + le32(h + 12)) == 0,
			    "multiboot2 at 0x%x: bad magic, fields or checksum", mb.mb2_off);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fmt_image img;
	uint8_t *copy = malloc(size ? size : 1);
	int err;

	memcpy(copy, data, size);
	memset(&img, 0xa5, sizeof(img));
	err = fmt_load(copy, size, &img);
	if (err) {
		FUZZ_ASSERT(img.nseg == 0, "error %d left nseg %u", err, img.nseg);
		FUZZ_ASSERT(err < 0 && fmt_strerror(err)[0] && strcmp(fmt_strerror(err),
			    "unknown fmt error"), "error %d has no message", err);
	} else {
		check_image(&img, size);
	}
	/* Each class directly too, whatever its probe says: a loader called on the
	 * wrong class must refuse cleanly, never read past the image. */
	if (!fmt_elf64_load(copy, size, &img))
		check_image(&img, size);
	if (!fmt_elf32_load(copy, size, &img))
		check_image(&img, size);
	check_multiboot(copy, size);
	free(copy);
	return 0;
}
