/* SPDX-License-Identifier: MIT */
/*
 * x86 architectural names, as the Intel SDM spells them, defined once. nasm gets
 * the same values through the generated asm-offsets.inc (arch/x86/asm-offsets.c).
 */
#ifndef BATON_X86_HW_H
#define BATON_X86_HW_H

#define CR0_PE		(1u << 0)	/* protected mode */
#define CR0_MP		(1u << 1)
#define CR0_EM		(1u << 2)
#define CR0_ET		(1u << 4)
#define CR0_NE		(1u << 5)
#define CR0_WP		(1u << 16)
#define CR0_PG		(1u << 31)	/* paging */

#define CR4_PAE		(1u << 5)
#define CR4_PGE		(1u << 7)
#define CR4_OSFXSR	(1u << 9)

#define MSR_EFER	0xc0000080u
#define EFER_SCE	(1u << 0)
#define EFER_LME	(1u << 8)	/* long mode enable */
#define EFER_LMA	(1u << 10)	/* long mode active (read only) */
#define EFER_NXE	(1u << 11)
#define MSR_FS_BASE	0xc0000100u
#define MSR_GS_BASE	0xc0000101u

#define RFLAGS_IF	(1u << 9)
#define RFLAGS_DF	(1u << 10)

/* Page table entries (SDM Vol. 3A 4.5). */
#define PTE_P		(1ull << 0)
#define PTE_W		(1ull << 1)
#define PTE_PS		(1ull << 7)	/* large page in a PDPTE / PDE */
#define PTE_ADDR_MASK	0x000ffffffffff000ull

/* The loader's GDT. Linux's boot protocol wants __BOOT_CS 0x10 and __BOOT_DS 0x18. */
#define SEL_CODE64	0x10
#define SEL_DATA	0x18
#define SEL_CODE32	0x20

/* 16550 UART registers, offsets from the base port. */
#define UART_THR	0	/* transmit holding register */
#define UART_LSR	5	/* line status register */
#define UART_LSR_THRE	0x20	/* transmit holding register empty */

#endif
