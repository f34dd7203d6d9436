/* SPDX-License-Identifier: MIT */
/*
 * The loader's GDT: loader/tables.c fills it, loader/entry.asm loads it (nasm
 * reads SEL_TSS through asm-offsets.inc). The code and data selectors are the
 * ones the images are promised, BATON_BOOT_CS and BATON_BOOT_DS
 * (include/baton/handoff.h); the 32-bit trampoline brings a GDT of its own
 * (arch/x86/launch.asm).
 *
 *   0x00 null, 0x08 unused, 0x10 BATON_BOOT_CS (64-bit code),
 *   0x18 BATON_BOOT_DS (flat data), 0x20 the TSS (a 16-byte descriptor)
 */
#ifndef BATON_LOADER_GDT_H
#define BATON_LOADER_GDT_H

#include <baton/handoff.h>

#define SEL_TSS		0x20
#define GDT_ENTRIES	(SEL_TSS / 8 + 2)

#endif
