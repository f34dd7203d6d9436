/* SPDX-License-Identifier: MIT */
/*
 * stage_build(): from an image to a sealed handoff, checking before allocating.
 *
 *   1. stage_check_inputs  blob header, memory map, command line, image format
 *   2. stage_check_dsts    every destination page inside usable RAM, off forbidden
 *                          ranges, and the whole image smaller than usable RAM
 *   3. bootinfo_build      the FDT for the payload (stage/bootinfo.c), in scratch
 *   4. stage_place_pages   a source page per destination page from the caller's
 *                          allocator, file bytes copied in, runs merged
 *   5. stage_hash_runs     each copy run's XXH64 as the loader must find it, after
 *                          stage_check_sources named any page handed out twice
 *   6. stage_plan          the loader's own planner, dry: pieces for the work area
 *   7. stage_place_loader  the blob plus its work area, early console patched in
 *   8. stage_write_handoff header and lists, sealed with a CRC
 *   9. stage_self_check    the loader's own validator on the finished handoff
 * Nothing the caller owns is written before step 4, and only pages the
 * allocator handed out are ever written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#define XXH_INLINE_ALL
#define XXH_VECTOR 0
#include <xxhash.h>
#include <baton/blob.h>
#include "fmt/fmt.h"
#include "fmt/multiboot.h"
#include "loader/crc32.h"
#include "loader/layout.h"
#include "stage/stage_int.h"

#define PAGE		BATON_PAGE_SIZE


int stage_fail(struct stage *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->res->msg, sizeof(s->res->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Scratch memory from the caller, given back by stage_release(). */
void *stage_tmp_keep(struct stage *s, uint64_t bytes)
{
	void *p;

	if (s->ntmp == (int)(sizeof(s->tmp) / sizeof(s->tmp[0])))
		return NULL;
	p = s->env->tmp_alloc(s->env->ctx, bytes ? bytes : 1);
	if (p) {
		s->tmp[s->ntmp].p = p;
		s->tmp[s->ntmp++].bytes = bytes ? bytes : 1;
	}
	return p;
}

void stage_release(struct stage *s)
{
	while (s->ntmp > 0) {
		s->ntmp--;
		s->env->tmp_free(s->env->ctx, s->tmp[s->ntmp].p, s->tmp[s->ntmp].bytes);
	}
}

static int stage_check_blob(struct stage *s)
{
	const struct baton_blob_header *b = s->rq->blob;

	if (!b || s->rq->blob_len < sizeof(*b) || b->magic != BATON_BLOB_MAGIC ||
	    b->version != BATON_BLOB_VERSION || b->header_size != sizeof(*b) ||
	    b->image_size > s->rq->blob_len || b->image_size < sizeof(*b) ||
	    b->mem_size < b->image_size || b->mem_size % PAGE ||
	    b->entry64 >= b->image_size)
		return stage_fail(s, STAGE_E_BLOB, "loader blob: bad header (%lu bytes given)",
				  (unsigned long)s->rq->blob_len);
	s->blob = b;
	return 0;
}

static int stage_check_memmap(struct stage *s)
{
	const struct baton_mem_range *m = s->rq->mem;

	if (!m || s->rq->mem_count == 0)
		return stage_fail(s, STAGE_E_MEMMAP, "memory map is empty");
	s->usable_bytes = 0;
	for (uint64_t i = 0; i < s->rq->mem_count; i++) {
		uint64_t end;

		if (m[i].base % PAGE || m[i].size % PAGE || !m[i].size ||
		    __builtin_add_overflow(m[i].base, m[i].size, &end) ||
		    m[i].type < BATON_MEM_USABLE || m[i].type > BATON_MEM_NEVER_TOUCH)
			return stage_fail(s, STAGE_E_MEMMAP,
					  "memory range %lu 0x%lx+0x%lx type %u is unaligned, empty, wraps or has an unknown type",
					  (unsigned long)i, (unsigned long)m[i].base,
					  (unsigned long)m[i].size, (unsigned)m[i].type);
		for (uint64_t j = 0; j < i; j++)
			if (m[j].base < end && m[i].base < m[j].base + m[j].size)
				return stage_fail(s, STAGE_E_MEMMAP,
						  "memory ranges %lu 0x%lx+0x%lx and %lu 0x%lx+0x%lx overlap",
						  (unsigned long)j, (unsigned long)m[j].base,
						  (unsigned long)m[j].size, (unsigned long)i,
						  (unsigned long)m[i].base, (unsigned long)m[i].size);
		if (m[i].type == BATON_MEM_USABLE)
			s->usable_bytes += m[i].size;
	}
	return 0;
}

/* An image with a Multiboot header: one line naming each header found. */
static int multiboot_refuse(const struct fmt_multiboot *mb, char *msg, unsigned long msglen)
{
	char also[40] = "";

	if (mb->mb2 && mb->mb1)
		stage_format(also, sizeof(also), " (and Multiboot1 at 0x%x)", (unsigned)mb->mb1_off);
	stage_format(msg, msglen,
		     "image: a Multiboot%d header at offset 0x%x%s: baton does not launch Multiboot images yet",
		     mb->mb2 ? 2 : 1, (unsigned)(mb->mb2 ? mb->mb2_off : mb->mb1_off), also);
	return STAGE_E_MULTIBOOT;
}

/*
 * The one place that decides what an image is and where it goes
 * (stage_image_layout()). A Multiboot header with a valid checksum comes first:
 * it is the image asking for the Multiboot convention (EAX magic, EBX info), which
 * baton does not launch yet, so neither the ELF it may also be (a hypervisor) nor
 * a boot sector's 0xaa55 may send it down another path. No Linux bzImage carries
 * one. Then a bzImage, intact or damaged; then ELF.
 */
static int image_layout(const struct stage_request *rq, struct fmt_image *img,
			struct fmt_bzimage *bz, struct fmt_bz_layout *lay,
			char *msg, unsigned long msglen)
{
	struct fmt_multiboot mb;
	char why[160];
	int err;

	memset(img, 0, sizeof(*img));
	if (fmt_multiboot_find(rq->image, rq->image_len, &mb))
		return multiboot_refuse(&mb, msg, msglen);
	if (fmt_bzimage_probe(rq->image, rq->image_len)) {
		err = stage_linux_layout(rq, bz, lay, img, why, sizeof(why));
		if (err)
			stage_format(msg, msglen, "image: %s", why);
		return err;
	}
	if (rq->initrd || rq->dtb) {
		stage_format(msg, msglen, "image: an initrd or DTB was given, but only a Linux bzImage takes one");
		return STAGE_E_INITRD;
	}
	err = fmt_load(rq->image, rq->image_len, img);
	if (err)
		stage_format(msg, msglen, "image: %s", stage_strerror(err));
	return err;
}

int stage_image_layout(const struct stage_request *rq, struct fmt_image *img,
		       char *msg, unsigned long msglen)
{
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;

	msg[0] = 0;
	return image_layout(rq, img, &bz, &lay, msg, msglen);
}

static int stage_check_inputs(struct stage *s)
{
	int err = stage_check_blob(s);

	if (!err)
		err = stage_check_memmap(s);
	if (err)
		return err;
	if (s->rq->cmdline && strlen(s->rq->cmdline) >= STAGE_CMDLINE_MAX)
		return stage_fail(s, STAGE_E_CMDLINE, "command line of %lu bytes is longer than %u",
				  (unsigned long)strlen(s->rq->cmdline), STAGE_CMDLINE_MAX - 1);
	s->img = stage_tmp_keep(s, sizeof(*s->img));
	if (!s->img)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the image description");
	err = image_layout(s->rq, s->img, &s->bz, &s->lay, s->res->msg, sizeof(s->res->msg));
	s->is_linux = !err && s->img->kind == FMT_KIND_BZIMAGE;
	return err;
}

/* The usable range that contains addr, or NULL. */
static const struct baton_mem_range *usable_at(const struct stage *s, uint64_t addr)
{
	const struct baton_mem_range *m = s->rq->mem;

	for (uint64_t i = 0; i < s->rq->mem_count; i++)
		if (m[i].type == BATON_MEM_USABLE && addr >= m[i].base &&
		    addr - m[i].base < m[i].size)
			return &m[i];
	return NULL;
}

/*
 * [base, end) must be covered by usable ranges (touching ones count as one, as
 * UEFI maps often split RAM) and meet no reserved or never-touch range.
 */
static int stage_check_range(struct stage *s, const char *what, uint64_t base, uint64_t end)
{
	const struct baton_mem_range *m = s->rq->mem;

	for (uint64_t i = 0; i < s->rq->mem_count; i++) {
		uint64_t me = m[i].base + m[i].size;

		if (m[i].type != BATON_MEM_USABLE && base < me && end > m[i].base)
			return stage_fail(s, m[i].type == BATON_MEM_NEVER_TOUCH ?
					  STAGE_E_NEVER_TOUCH : STAGE_E_OUTSIDE_RAM,
					  "%s 0x%lx-0x%lx covers %s range 0x%lx-0x%lx", what,
					  (unsigned long)base, (unsigned long)end,
					  m[i].type == BATON_MEM_NEVER_TOUCH ? "never-touch" : "reserved",
					  (unsigned long)m[i].base, (unsigned long)me);
	}
	for (uint64_t at = base; at < end;) {
		const struct baton_mem_range *u = usable_at(s, at);

		if (!u)
			return stage_fail(s, STAGE_E_OUTSIDE_RAM, "%s 0x%lx-0x%lx is outside usable RAM",
					  what, (unsigned long)base, (unsigned long)end);
		at = u->base + u->size;
	}
	return 0;
}

/*
 * Linux: the three segments are far apart (the initrd may sit at the top of RAM,
 * across the PCI hole from the kernel): only the segments themselves are
 * destinations, and fmt/bzimage already placed them in usable RAM. Checked
 * again here all the same, with the stage's messages.
 */
static int stage_too_big(struct stage *s, uint64_t need)
{
	return stage_fail(s, STAGE_E_TOO_BIG, "image needs %lu KiB but usable RAM is %lu KiB",
			  (unsigned long)(need >> 10), (unsigned long)(s->usable_bytes >> 10));
}

/* Every segment's pages inside usable RAM and off forbidden ranges; *pages
 * counts them (segments never share a page but an ELF's may: an upper bound). */
static int stage_check_segments(struct stage *s, uint64_t *pages)
{
	const struct fmt_image *img = s->img;

	*pages = 0;
	for (uint32_t i = 0; i < img->nseg; i++) {
		const struct fmt_segment *g = &img->seg[i];
		int err = stage_check_range(s, "segment", pg_down(g->paddr),
					    pg_up(g->paddr + g->memsz));
		if (err)
			return err;
		*pages += (pg_up(g->paddr + g->memsz) - pg_down(g->paddr)) / PAGE;
	}
	return 0;
}

static int stage_check_linux_dsts(struct stage *s)
{
	int err;

	s->fdt_dst = UINT64_MAX;	/* no baton boot info: the zero page is it */
	s->end = s->high;
	err = stage_check_segments(s, &s->dst_pages);
	if (!err && s->dst_pages * PAGE > s->usable_bytes)
		err = stage_too_big(s, s->dst_pages * PAGE);
	return err;
}

/*
 * The image's destination is [low, high) rounded out to pages, holes included
 * (they are zero-filled), then the boot info right after it.
 */
static int stage_check_dsts(struct stage *s)
{
	const struct fmt_image *img = s->img;
	uint64_t need, seg_pages;
	int err;

	s->low = pg_down(img->low);
	s->high = pg_up(img->high);
	if (s->is_linux)
		return stage_check_linux_dsts(s);
	s->fdt_dst = s->high;
	s->fdt_pages = pg_up(s->fdt_size) / PAGE;
	s->end = s->fdt_dst + s->fdt_pages * PAGE;
	need = s->end - s->low;
	s->dst_pages = need / PAGE;
	if (s->end < s->low || need > s->usable_bytes)
		return stage_too_big(s, need);
	err = stage_check_segments(s, &seg_pages);
	return err ? err : stage_check_range(s, "image with boot info", s->low, s->end);
}

int stage_build(const struct stage_request *rq, const struct stage_env *env,
		struct stage_result *res)
{
	struct stage st = { .rq = rq, .env = env, .res = res };
	struct stage *s = &st;
	int err;

	memset(res, 0, sizeof(*res));
	err = stage_check_inputs(s);
	if (!err && !s->is_linux)
		err = bootinfo_build(s);
	if (!err)
		err = stage_check_dsts(s);
	if (!err && s->is_linux)
		err = stage_linux_boot_area(s);
	if (!err)
		err = stage_place_pages(s);
	if (!err)
		err = stage_check_sources(s);
	if (!err)
		err = stage_hash_runs(s);
	if (!err)
		err = stage_plan(s);
	if (!err)
		err = stage_place_loader(s);
	if (!err)
		err = stage_write_handoff(s);
	if (!err)
		err = stage_self_check(s);
	stage_release(s);
	return err;
}

void stage_seal(struct baton_handoff *h)
{
	uint64_t end = h->header_size;

	if (h->mem_count && h->mem_off + h->mem_count * sizeof(struct baton_mem_range) > end)
		end = h->mem_off + h->mem_count * sizeof(struct baton_mem_range);
	if (h->copy_count && h->copy_off + h->copy_count * sizeof(struct baton_copy_run) > end)
		end = h->copy_off + h->copy_count * sizeof(struct baton_copy_run);
	if (h->zero_count && h->zero_off + h->zero_count * sizeof(struct baton_zero_run) > end)
		end = h->zero_off + h->zero_count * sizeof(struct baton_zero_run);
	h->total_size = end;
	h->crc32 = crc32_handoff(h);
}

uint64_t stage_hash(const void *p, uint64_t bytes)
{
	return XXH64(p, bytes, 0);
}
