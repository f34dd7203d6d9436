/* SPDX-License-Identifier: MIT */
/*
 * Linux bzImages in the stage: fmt/bzimage decides where the kernel (its whole
 * init_size), the boot area and the initrd go; here that layout becomes the
 * three segments every later step places like any image's, and the boot area
 * (zero page, command line, setup_data) is built in scratch memory.
 */
#include <string.h>
#include "stage/linux_place.h"
#include "stage/stage_int.h"

static void seg_set(struct fmt_segment *g, uint64_t paddr, uint64_t filesz, uint64_t memsz,
		    uint64_t offset, uint32_t source)
{
	*g = (struct fmt_segment){ .paddr = paddr, .filesz = filesz, .memsz = memsz,
				   .offset = offset, .flags = 7, .source = source };
}

/* What fmt/bzimage needs to know of the request; map: the normal one. */
static struct fmt_bz_request linux_request(const struct stage_request *rq,
					   const struct baton_mem_range *map, uint64_t nmap)
{
	return (struct fmt_bz_request){
		.entry = rq->linux_entry == STAGE_LINUX_32 ? FMT_BZ_ENTRY32 : FMT_BZ_ENTRY64,
		.mem = map, .mem_count = nmap,
		.cmdline_len = rq->cmdline ? strlen(rq->cmdline) : 0,
		.initrd_len = rq->initrd ? rq->initrd_len : 0,
		.dtb_len = rq->dtb ? rq->dtb_len : 0,
		.sys = rq->linux_system,
	};
}

int stage_linux_layout(const struct stage_request *rq, const struct baton_mem_range *map,
		       uint64_t nmap, struct fmt_bzimage *bz, struct fmt_bz_layout *lay,
		       struct fmt_image *img, char *msg, unsigned long msglen)
{
	struct fmt_bz_request br = linux_request(rq, map, nmap);
	int err;

	memset(img, 0, sizeof(*img));
	err = fmt_bzimage_parse(rq->image, rq->image_len, bz, msg, msglen);
	if (!err)
		err = stage_linux_place(bz, &br, lay, msg, msglen);
	if (err)
		return err;
	img->kind = FMT_KIND_BZIMAGE;
	img->entry = lay->entry;
	/* Sorted by address, as every fmt_image is: the three never overlap. */
	struct fmt_segment g[3];
	uint32_t n = 0;

	seg_set(&g[n++], lay->boot, lay->boot_size, lay->boot_size, 0, FMT_SRC_BOOT);
	seg_set(&g[n++], lay->kernel, bz->kernel_len, lay->kernel_size, bz->kernel_off,
		FMT_SRC_IMAGE);
	if (lay->initrd)
		seg_set(&g[n++], lay->initrd, br.initrd_len, lay->initrd_size, 0, FMT_SRC_INITRD);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = img->nseg++;

		while (j > 0 && img->seg[j - 1].paddr > g[i].paddr) {
			img->seg[j] = img->seg[j - 1];
			j--;
		}
		img->seg[j] = g[i];
	}
	img->low = img->seg[0].paddr;
	img->high = img->seg[n - 1].paddr + img->seg[n - 1].memsz;
	return 0;
}

int stage_linux_boot_area(struct stage *s)
{
	const struct stage_request *rq = s->rq;
	struct fmt_bz_request br = linux_request(rq, s->map, s->nmap);

	s->boot = stage_tmp_keep(s, s->lay.boot_size);
	if (!s->boot)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the %lu-byte boot area",
				  (unsigned long)s->lay.boot_size);
	fmt_bzimage_boot_area(rq->image, &s->bz, &br, &s->lay, rq->cmdline ? rq->cmdline : "",
			      rq->dtb, s->boot);
	return 0;
}
