/* SPDX-License-Identifier: MIT */
/*
 * stage_build(): from an image to a sealed handoff, checking before allocating.
 *
 *   1. stage_check_inputs  blob header, memory map (made normal), command line,
 *                          image format
 *   2. stage_check_dsts    every destination page inside usable RAM, off forbidden
 *                          ranges, and the whole image smaller than usable RAM
 *   3. bootinfo_build      the FDT for the payload (stage/bootinfo.c), in scratch
 *   4. stage_place_pages   a source page per destination page from the caller's
 *                          allocator, file bytes copied in, list entries written
 *   5. stage_place_loader  the blob in its own few pages, early console patched in
 *   6. stage_write_handoff the handoff page: header, entry, memory map
 *   7. stage_write_lists   the list pages, single pages, linked, hashed
 *   8. stage_size_work     run counts, plan pieces, and the work area proposed in
 *                          RAM that is free at the jump
 *   9. stage_self_check    the loader's own steps on the finished handoff
 * Steps 5 to 9 are stage/seal.c:stage_seal_steps(), which laid-out runs
 * (stage/runs.c:stage_build_runs(), the kernel hook's) go through too.
 * Nothing the caller owns is written before step 4, and only pages the
 * allocator handed out are ever written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <baton/blob.h>
#include "fmt/fmt.h"
#include "fmt/multiboot.h"
#include "core/memmap.h"
#include "stage/stage_int.h"

#define PAGE		BATON_PAGE_SIZE

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
static int image_layout(const struct stage_request *rq, const struct baton_mem_range *map,
			uint64_t nmap, struct fmt_image *img, struct fmt_bzimage *bz,
			struct fmt_bz_layout *lay, char *msg, unsigned long msglen)
{
	struct fmt_multiboot mb;
	char why[160];
	int err;

	memset(img, 0, sizeof(*img));
	if (fmt_multiboot_find(rq->image, rq->image_len, &mb))
		return multiboot_refuse(&mb, msg, msglen);
	if (fmt_bzimage_probe(rq->image, rq->image_len)) {
		err = stage_linux_layout(rq, map, nmap, bz, lay, img, why, sizeof(why));
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

/* The map a platform reports may be longer before merging than the handoff's. */
#define LAYOUT_MAP_MAX	(2 * BATON_MAP_MAX)

int stage_image_layout(const struct stage_request *rq, struct fmt_image *img,
		       char *msg, unsigned long msglen)
{
	static struct baton_mem_range map[2 * LAYOUT_MAP_MAX + 1];
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;
	uint64_t n = 0;
	int err;

	msg[0] = 0;
	if (rq->mem_count > LAYOUT_MAP_MAX) {
		stage_format(msg, msglen, "memory map of %lu ranges is longer than %u",
			     (unsigned long)rq->mem_count, LAYOUT_MAP_MAX);
		return STAGE_E_MEMMAP;
	}
	err = stage_normal_map(rq, map, &n, msg, msglen);
	return err ? err : image_layout(rq, map, n, img, &bz, &lay, msg, msglen);
}

static int stage_check_inputs(struct stage *s)
{
	int err = s->layout_only ? 0 : stage_check_blob(s);

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
	err = image_layout(s->rq, s->map, s->nmap, s->img, &s->bz, &s->lay, s->res->msg,
			   sizeof(s->res->msg));
	s->is_linux = !err && s->img->kind == FMT_KIND_BZIMAGE;
	return err;
}

/*
 * Linux: the three segments are far apart (the initrd may sit at the top of RAM,
 * across the PCI hole from the kernel): only the segments themselves are
 * destinations, and fmt/bzimage already placed them in usable RAM. Checked
 * again here all the same, with the stage's messages.
 */

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

/* Steps 3 and 2 of an image stage_build() lays out itself: the boot info and
 * the destinations checked (Linux: then its boot area built). */
static int stage_lay_out(struct stage *s)
{
	int err = s->is_linux ? 0 : bootinfo_build(s);

	if (!err)
		err = stage_check_dsts(s);
	if (!err && s->is_linux)
		err = stage_linux_boot_area(s);
	return err;
}

int stage_layout_runs(const struct stage_request *rq, const struct stage_env *env,
		      int (*emit)(void *ctx, const struct stage_run *run, const void *bytes),
		      void *ctx, struct stage_result *res)
{
	struct stage st = { .rq = rq, .env = env, .res = res, .layout_only = 1 };
	struct stage *s = &st;
	int err;

	memset(res, 0, sizeof(*res));
	if (rq->runs)
		err = stage_fail(s, STAGE_E_RUNS, "runs given to lay out: they are laid out already");
	else
		err = stage_check_inputs(s);
	if (!err)
		err = stage_lay_out(s);
	if (!err)
		err = stage_place_pages(s, emit, ctx);
	if (!err)
		stage_entry(s, &res->launch, NULL);
	stage_release(s);
	return err;
}

int stage_build(const struct stage_request *rq, const struct stage_env *env,
		struct stage_result *res)
{
	struct stage st = { .rq = rq, .env = env, .res = res };
	struct stage *s = &st;
	int err;

	if (rq->runs)
		return stage_build_runs(rq, env, res);
	memset(res, 0, sizeof(*res));
	err = stage_check_inputs(s);
	if (!err)
		err = stage_lay_out(s);
	if (!err)
		err = stage_place_pages(s, NULL, NULL);
	if (!err)
		err = stage_seal_steps(s);
	stage_release(s);
	return err;
}

