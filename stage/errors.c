/* SPDX-License-Identifier: MIT */
/* One message for every baton error code, whichever component made it. */
#include <stdarg.h>
#include <stdio.h>
#include "fmt/fmt.h"
#include "core/plan.h"
#include "stage/stage_int.h"

const char *stage_strerror(int err)
{
	if (err <= -100 && err > -200)
		return fmt_strerror(err);
	if (err <= -200 && err > -300)
		return plan_strerror(err);
	switch (err) {
	case 0:				return "success";
	case STAGE_E_NOMEM:		return "the allocator is out of memory";
	case STAGE_E_OUTSIDE_RAM:	return "a destination is outside usable RAM";
	case STAGE_E_NEVER_TOUCH:	return "a destination covers a never-touch range";
	case STAGE_E_TOO_BIG:		return "the image is larger than usable RAM";
	case STAGE_E_BLOB:		return "the loader blob's header is not valid";
	case STAGE_E_MEMMAP:		return "the memory map is empty or malformed";
	case STAGE_E_CMDLINE:		return "the command line is too long";
	case STAGE_E_FDT:		return "building the boot info failed";
	case STAGE_E_ALLOC_BAD:		return "the allocator returned a bad page";
	case STAGE_E_SELF_CHECK:	return "the handoff failed the loader's own checks";
	case STAGE_E_INITRD:		return "an initrd or DTB was given for an image that takes none";
	case STAGE_E_MULTIBOOT:		return "the image is a Multiboot kernel, which baton does not launch yet";
	case STAGE_E_NO_WORK:		return "no free RAM is large enough for the loader's work area";
	case STAGE_E_RUNS:		return "laid-out runs are unsorted, overlapping, unaligned, empty or of no kind";
	default:			return "unknown error";
	}
}

/* core/check.c formats its messages through this. */
int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap)
{
	return vsnprintf(buf, len, fmt, ap);
}

int stage_format(char *buf, unsigned long len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}
