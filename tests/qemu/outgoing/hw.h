/* SPDX-License-Identifier: MIT */
/*
 * Hardware and boot-protocol constants of the outgoing test kernel, defined once
 * for C and nasm: build.mk turns each `#define NAME value` line of this file into
 * `%define NAME value` (build/obj/tests/qemu/outgoing/hw.inc). Keep to that shape:
 * one define per line, integer expressions nasm also reads (no U/L suffixes), an
 * optional comment at the end of the line.
 */
#ifndef OUTGOING_HW_H
#define OUTGOING_HW_H

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

/* Control registers and MSRs (Intel SDM Vol. 3A, 2.5 and Vol. 4) */
#define CR0_PE			(1 << 0)	/* protected mode */
#define CR0_MP			(1 << 1)	/* monitor coprocessor: WAIT obeys TS */
#define CR0_EM			(1 << 2)	/* x87/SSE emulation: must be 0 for SSE */
#define CR0_TS			(1 << 3)	/* task switched: first FPU/SSE use faults */
#define CR0_PG			0x80000000	/* paging */
#define CR4_PAE			(1 << 5)	/* physical address extension */
#define CR4_OSFXSR		(1 << 9)	/* OS supports FXSAVE/FXRSTOR: enables SSE */
#define CR4_OSXMMEXCPT		(1 << 10)	/* OS handles #XM */
#define MSR_EFER		0xC0000080	/* extended feature enables */
#define EFER_LME		(1 << 8)	/* long mode enable */
#define MSR_FS_BASE		0xC0000100	/* IA32_FS_BASE */

/* Page tables: 4-level paging, 2 MiB pages (SDM Vol. 3A, 4.5) */
#define PTE_P			(1 << 0)	/* present */
#define PTE_W			(1 << 1)	/* writable */
#define PTE_PS			(1 << 7)	/* in a PDE: maps a 2 MiB page */
#define IDMAP_GIB		64		/* identity map [0, 64 GiB) */

/* Our GDT (entry.asm gdt64) */
#define SEL_CODE64		0x08
#define SEL_DATA		0x10
#define SEL_TSS			0x18		/* 16-byte descriptor, filled by trap_init() */
#define GDT_CODE64		0x00AF9A000000FFFF	/* P, DPL 0, code, L = 1 */
#define GDT_DATA		0x00CF92000000FFFF	/* P, DPL 0, data, writable, 4 GiB */
#define TSS_TYPE_AVAIL		0x89		/* P, 64-bit TSS (available) */
#define IDT_TYPE_INTR		0x8E		/* P, DPL 0, 64-bit interrupt gate */
#define IDT_EXCEPTIONS		32		/* vectors 0..31 */
#define IST_DOUBLE_FAULT	1		/* #DF runs on its own stack (TSS IST1) */

/* 16550 UART on COM1 */
#define COM1_PORT		0x3F8
#define UART_THR		0		/* transmit holding register */
#define UART_DLL		0		/* divisor latch low (DLAB = 1) */
#define UART_IER		1		/* interrupt enable */
#define UART_DLM		1		/* divisor latch high (DLAB = 1) */
#define UART_FCR		2		/* FIFO control */
#define UART_LCR		3		/* line control */
#define UART_MCR		4		/* modem control */
#define UART_LSR		5		/* line status */
#define UART_LCR_8N1		0x03
#define UART_LCR_DLAB		0x80
#define UART_FCR_ENABLE_CLEAR	0x07
#define UART_MCR_DTR_RTS	0x03
#define UART_LSR_THRE		(1 << 5)	/* transmitter holding register empty */
#define UART_SPIN_MAX		100000		/* bounded wait for THRE */

/* 8254 PIT channel 2, gated through port 0x61 (for the TSC calibration) */
#define PIT_HZ			1193182
#define PIT_CH2_DATA		0x42
#define PIT_COMMAND		0x43
#define PIT_CMD_CH2_ONESHOT	0xB0		/* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B			0x61		/* NMI status and control */
#define PORT_B_GATE2		(1 << 0)	/* PIT channel 2 gate */
#define PORT_B_SPEAKER		(1 << 1)	/* speaker data enable */
#define PORT_B_OUT2		(1 << 5)	/* PIT channel 2 output */

/* QEMU isa-debug-exit: writing v exits QEMU with status 2v+1 */
#define DEBUG_EXIT_PORT		0xF4
#define EXIT_TRAP		0x30		/* a CPU exception */
#define EXIT_CMDLINE		0x31		/* bad command line */
#define EXIT_STAGE		0x32		/* stage_build() refused */
#define EXIT_SETUP		0x33		/* anything else (modules, memory, faults) */

/* Stacks */
#define BOOT_STACK_SIZE		0x10000
#define DF_STACK_SIZE		0x4000

#endif
