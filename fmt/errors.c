/* SPDX-License-Identifier: MIT */
/* fmt/'s error names, in a file of their own: the kernel hook names every
 * baton error (stage/errors.c) but links no image parser. */
#include "fmt/bzimage.h"
#include "fmt/fmt.h"

const char *fmt_strerror(int err)
{
	switch (err) {
	case 0:			return "success";
	case FMT_E_UNSUPPORTED:	return "image format not recognised (not ELF32/ELF64)";
	case FMT_E_TRUNCATED:	return "ELF: image is shorter than its ELF header";
	case FMT_E_CLASS:	return "ELF: class, byte order or version not handled (need little-endian v1)";
	case FMT_E_MACHINE:	return "ELF: machine is not x86 (ELF32) / x86-64 (ELF64)";
	case FMT_E_TYPE:	return "ELF: not a static executable (ET_EXEC): PIE and .o files are refused";
	case FMT_E_PHDR:	return "ELF: program header table lies outside the image or has a bad entry size";
	case FMT_E_NO_SEGMENTS:	return "ELF: no PT_LOAD segment with memory size";
	case FMT_E_TOO_MANY:	return "ELF: more PT_LOAD segments than baton handles (64)";
	case FMT_E_FILESZ:	return "ELF: segment file size exceeds its memory size";
	case FMT_E_OFFSET:	return "ELF: segment file bytes lie outside the image";
	case FMT_E_OVERFLOW:	return "ELF: segment address + size wraps (or ends above 4 GiB for ELF32)";
	case FMT_E_OVERLAP:	return "ELF: two segments overlap in physical memory";
	case FMT_E_ENTRY:	return "ELF: entry point is not inside any PT_LOAD segment";
	case FMT_E_ALIGN:	return "ELF: segment offset and address disagree modulo 4 KiB";
	case FMT_E_BZ_TRUNCATED:	return "bzImage: image is shorter than its setup header, setup_sects or syssize say";
	case FMT_E_BZ_VERSION:		return "bzImage: boot protocol older than 2.10";
	case FMT_E_BZ_NOT_BZIMAGE:	return "bzImage: no boot signature, or a zImage (loadflags lacks LOADED_HIGH)";
	case FMT_E_BZ_NO_ENTRY64:	return "bzImage: no 64-bit entry (xloadflags lacks XLF_KERNEL_64)";
	case FMT_E_BZ_HEADER:		return "bzImage: inconsistent setup header (header end, kernel_alignment or init_size)";
	case FMT_E_BZ_CMDLINE:		return "bzImage: command line longer than the kernel's cmdline_size";
	case FMT_E_BZ_KERNEL_PLACE:	return "bzImage: no free usable RAM for the kernel's init_size";
	case FMT_E_BZ_INITRD_PLACE:	return "bzImage: no free usable RAM for the initrd within its limit";
	case FMT_E_BZ_BOOT_PLACE:	return "bzImage: no free usable RAM below 4 GiB for the zero page, command line and setup_data";
	default:		return "unknown fmt error";
	}
}
