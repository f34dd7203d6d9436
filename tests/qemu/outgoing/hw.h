/* SPDX-License-Identifier: MIT */
/*
 * The outgoing test kernel's own constants (Multiboot, its GDT, exit values),
 * defined once for C and nasm; architectural names are arch/x86/hw.h's. build.mk
 * turns both into nasm %defines (mk/h2inc.sh -> hw.inc). Keep to that shape:
 * one define per line, integer expressions nasm also reads (no U/L suffixes), an
 * optional comment at the end of the line.
 */
#ifndef OUTGOING_HW_H
#define OUTGOING_HW_H

#include "arch/x86/hw.h"

/* Multiboot v1 (Multiboot Specification 0.6.96, section 3) */
#define MB_HEADER_MAGIC		0x1BADB002	/* in the kernel's header */
#define MB_BOOT_MAGIC		0x2BADB002	/* in EAX at entry */
#define MB_HF_PAGE_ALIGN	(1 << 0)	/* modules on 4 KiB boundaries */
#define MB_HF_MEMINFO		(1 << 1)	/* mem_* and mmap_* fields wanted */
#define MB_HF_ADDRESS		(1 << 16)	/* "a.out kludge": load by the address fields */
#define MB_HEADER_FLAGS		(MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_ADDRESS)
#define MB_INFO_CMDLINE		(1 << 2)	/* mbi.cmdline valid */
#define MB_INFO_MODS		(1 << 3)	/* mbi.mods_* valid */
#define MB_INFO_MMAP		(1 << 6)	/* mbi.mmap_* valid */
#define MB_MMAP_AVAILABLE	1		/* mmap entry type: usable RAM */

/* Our identity map: 2 MiB pages */
#define IDMAP_GIB		64		/* identity map [0, 64 GiB) */

/* Our GDT (entry.asm gdt64: GDT_CODE64, GDT_DATA from arch/x86/hw.h) */
#define SEL_CODE64		0x08
#define SEL_DATA		0x10
#define SEL_TSS			0x18		/* 16-byte descriptor, filled by trap_init() */

/* aps=hostile (ap.c, ap.asm): the APs' trampoline page and their own GDT
 * (GDT_CODE32, GDT_DATA from arch/x86/hw.h) */
#define AP_TRAMPOLINE		0x8000		/* below 1 MiB: SIPI vector = page number */
#define AP_PATTERN		0xdeadbeef	/* written as AP_PATTERN ^ APIC ID */
#define AP_MAX_CPUS		32		/* APIC IDs 0..31: one bit each in ap_seen */
#define AP_SEL_CODE32		0x08
#define AP_SEL_DATA		0x10

/* 16550 UART on COM1: line settings (registers in arch/x86/hw.h) */
#define UART_LCR_8N1		0x03
#define UART_LCR_DLAB		0x80
#define UART_FCR_ENABLE_CLEAR	0x07
#define UART_MCR_DTR_RTS	0x03

/* 8254 PIT channel 2, gated through port 0x61 (for the TSC calibration) */
#define PIT_HZ			1193182
#define PIT_CH2_DATA		0x42
#define PIT_COMMAND		0x43
#define PIT_CMD_CH2_ONESHOT	0xB0		/* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B			0x61		/* NMI status and control */
#define PORT_B_GATE2		(1 << 0)	/* PIT channel 2 gate */
#define PORT_B_SPEAKER		(1 << 1)	/* speaker data enable */
#define PORT_B_OUT2		(1 << 5)	/* PIT channel 2 output */

/* QEMU isa-debug-exit values (the port is DEBUG_EXIT_PORT, arch/x86/hw.h) */
#define EXIT_TRAP		0x30		/* a CPU exception */
#define EXIT_CMDLINE		0x31		/* bad command line */
#define EXIT_STAGE		0x32		/* stage_build() refused */
#define EXIT_SETUP		0x33		/* anything else (modules, memory, faults) */

/* Stacks */
#define BOOT_STACK_SIZE		0x10000
#define DF_STACK_SIZE		0x4000

#endif
