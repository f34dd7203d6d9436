/* SPDX-License-Identifier: MIT */
/* stage/linux_place.c: where a Linux kernel, its boot area and its initrd go. */
#ifndef BATON_STAGE_LINUX_PLACE_H
#define BATON_STAGE_LINUX_PLACE_H

#include <stddef.h>
#include "fmt/bzimage.h"

/*
 * The layout of a parsed bzImage for the request, whose memory map must be
 * normal (core/memmap.h). 0, or a FMT_E_BZ_* code with one line in msg
 * (`bzImage: ...`); the layout is zero then.
 */
int stage_linux_place(const struct fmt_bzimage *bz, const struct fmt_bz_request *rq,
		      struct fmt_bz_layout *lay, char *msg, size_t msglen);

#endif
