/* SPDX-License-Identifier: MIT */
/*
 * x86 architectural names, as the Intel SDM spells them, defined once for every
 * program in the tree: the loader, the outgoing test kernel and the probe, in C
 * and in nasm. mk/h2inc.sh turns each `#define NAME value` line into a nasm
 * `%define`, so keep to that shape: one define per line, values that both C and
 * nasm read (no U/L suffixes; bit 31 and up as hex), a comment at the end.
 */
#ifndef BATON_X86_HW_H
#define BATON_X86_HW_H

/* Control registers (SDM Vol. 3A 2.5) */
#define CR0_PE		(1 << 0)	/* protected mode */
#define CR0_MP		(1 << 1)	/* monitor coprocessor: WAIT obeys TS */
#define CR0_EM		(1 << 2)	/* x87/SSE emulation: must be 0 for SSE */
#define CR0_TS		(1 << 3)	/* task switched: first FPU/SSE use faults */
#define CR0_ET		(1 << 4)
#define CR0_NE		(1 << 5)
#define CR0_WP		(1 << 16)
#define CR0_PG		0x80000000	/* paging */
#define CR4_PAE		(1 << 5)	/* physical address extension */
#define CR4_PGE		(1 << 7)	/* global pages */
#define CR4_OSFXSR	(1 << 9)	/* OS supports FXSAVE/FXRSTOR: enables SSE */
#define CR4_OSXMMEXCPT	(1 << 10)	/* OS handles #XM */
#define CR4_LA57	(1 << 12)	/* 5-level paging: changes only with paging off */
#define CR4_PCIDE	(1 << 17)	/* PCIDs: clearing CR0.PG with it set faults */
#define CPUID7_ECX_LA57	(1 << 16)	/* CPUID.(EAX=7,ECX=0):ECX: 5-level paging */

/* MSRs (SDM Vol. 4) */
#define MSR_EFER	0xc0000080	/* extended feature enables */
#define EFER_SCE	(1 << 0)
#define EFER_LME	(1 << 8)	/* long mode enable */
#define EFER_LMA	(1 << 10)	/* long mode active (read only) */
#define EFER_NXE	(1 << 11)	/* no-execute enable */
#define MSR_FS_BASE	0xc0000100	/* IA32_FS_BASE */
#define MSR_GS_BASE	0xc0000101	/* IA32_GS_BASE */

/* Segment descriptors (SDM Vol. 3A 3.4.5, 5.2.1): bits of the 8-byte entry */
#define DESC_LIMIT_MAX	0x000f00000000ffff	/* limit 0xfffff: 4 GiB with DESC_G */
#define DESC_A		0x0000010000000000	/* accessed (set: the CPU need not write it) */
#define DESC_W		0x0000020000000000	/* data: writable */
#define DESC_R		0x0000020000000000	/* code: readable */
#define DESC_CODE	0x0000080000000000	/* type: code, not data */
#define DESC_S		0x0000100000000000	/* code or data, not a system descriptor */
#define DESC_P		0x0000800000000000	/* present */
#define DESC_L		0x0020000000000000	/* 64-bit code */
#define DESC_DB		0x0040000000000000	/* 32-bit operands and stack */
#define DESC_G		0x0080000000000000	/* limit in 4 KiB units */
/* The flat DPL 0 descriptors every program here uses */
#define GDT_CODE64	(DESC_P | DESC_S | DESC_CODE | DESC_R | DESC_L | DESC_G | DESC_LIMIT_MAX)
#define GDT_CODE32	(DESC_P | DESC_S | DESC_CODE | DESC_R | DESC_DB | DESC_G | DESC_LIMIT_MAX)
#define GDT_DATA	(DESC_P | DESC_S | DESC_W | DESC_DB | DESC_G | DESC_LIMIT_MAX)	/* also 64-bit */

#define RFLAGS_IF	(1 << 9)	/* interrupts enabled */
#define RFLAGS_DF	(1 << 10)	/* string direction */

/* Page table entries (SDM Vol. 3A 4.5) */
#define PTE_P		(1 << 0)	/* present */
#define PTE_W		(1 << 1)	/* writable */
#define PTE_PS		(1 << 7)	/* in a PDPTE / PDE: a 1 GiB / 2 MiB page */
#define PTE_NX		0x8000000000000000	/* no execute (with EFER.NXE) */
#define PTE_ADDR_MASK	0x000ffffffffff000	/* physical address bits */

/* 16550 UART registers, offsets from the base port */
#define UART_THR	0		/* transmit holding register */
#define UART_DLL	0		/* divisor latch low (DLAB = 1) */
#define UART_IER	1		/* interrupt enable */
#define UART_DLM	1		/* divisor latch high (DLAB = 1) */
#define UART_FCR	2		/* FIFO control (write) */
#define UART_IIR	2		/* interrupt identification (read) */
#define UART_FCR_ENABLE	0x01		/* FIFOs on (a 16550A's 16 bytes) */
#define UART_IIR_FIFO	0xc0		/* both bits: the FIFOs are on */
#define UART_FIFO_BYTES	16
#define UART_LCR	3		/* line control */
#define UART_MCR	4		/* modem control */
#define UART_LSR	5		/* line status */
#define UART_LSR_THRE	(1 << 5)	/* transmit holding register (or FIFO) empty */
#define UART_LSR_TEMT	(1 << 6)	/* transmitter empty: nothing left to send */
#define UART_SPINS	100000		/* bounded wait for THRE: a missing UART costs time, no hang */
#define COM1_PORT	0x3f8

/* Local APIC (SDM Vol. 3A 10.4, 10.6, 10.12) */
#define MSR_APIC_BASE	0x1b		/* IA32_APIC_BASE */
#define APIC_BASE_BSP	(1 << 8)	/* this CPU is the bootstrap processor */
#define APIC_BASE_EXTD	(1 << 10)	/* x2APIC mode */
#define APIC_BASE_EN	(1 << 11)	/* local APIC enabled */
#define APIC_BASE_ADDR	0xfffff000	/* xAPIC MMIO base (bits 12-31; higher bits unused here) */
#define APIC_ID		0x20		/* xAPIC register offsets */
#define APIC_ICR_LO	0x300		/* interrupt command, low: writing it sends */
#define APIC_ICR_HI	0x310		/* interrupt command, high: destination in 31:24 */
#define MSR_X2APIC_ICR	0x830		/* x2APIC: the whole ICR in one MSR write */
#define ICR_INIT	(5 << 8)	/* delivery mode INIT */
#define ICR_STARTUP	(6 << 8)	/* delivery mode start-up (SIPI) */
#define ICR_BUSY	(1 << 12)	/* xAPIC delivery status: send pending */
#define ICR_ASSERT	(1 << 14)	/* level: assert */
#define ICR_LEVEL	(1 << 15)	/* trigger mode: level */
#define ICR_ALL_BUT_SELF (3 << 18)	/* destination shorthand: all excluding self */

/* Local APIC registers and LVT bits beyond parking (SDM Vol. 3A 10.4.8, 10.5.1,
 * 10.9): the virtual-wire state the kernel hook leaves (docs/entry.md). x2APIC
 * reaches register R at MSR 0x800 + R / 16 */
#define APIC_VERSION	0x30		/* bits 16-23: index of the last LVT */
#define APIC_SVR	0xf0		/* spurious-interrupt vector */
#define APIC_SVR_ENABLE	(1 << 8)	/* APIC software enable */
#define APIC_SVR_VECTOR	0xff
#define APIC_LVT_CMCI	0x2f0		/* there if the last LVT index >= 6 */
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_THERMAL 0x330		/* there if the last LVT index >= 5 */
#define APIC_LVT_PERF	0x340		/* there if the last LVT index >= 4 */
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_INIT	0x380		/* timer initial count: 0 stops it */
#define APIC_LVT_MODE	(7 << 8)	/* delivery mode */
#define APIC_LVT_NMI	(4 << 8)
#define APIC_LVT_EXTINT	(7 << 8)
#define APIC_LVT_MASKED	(1 << 16)
#define MSR_X2APIC_BASE	0x800

/* 8259A PICs: the data ports read and write the interrupt mask (OCW1) */
#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1

/* IO-APIC (82093AA datasheet 3.0, 3.2.4): index and data windows, registers */
#define IOAPIC_REGSEL	0x00
#define IOAPIC_WIN	0x10
#define IOAPIC_VER	0x01		/* bits 16-23: index of the last redirection entry */
#define IOAPIC_REDTBL	0x10		/* entry n: registers 0x10 + 2n (low), + 1 (high) */
#define IOAPIC_MASKED	(1 << 16)

/* HPET (IA-PC HPET specification 1.0a, 2.3): 32-bit access to each half */
#define HPET_CAP	0x000		/* bits 8-12: index of the last timer */
#define HPET_CFG	0x010		/* general configuration */
#define HPET_CFG_ENABLE	(1 << 0)	/* ENABLE_CNF: the main counter runs, timers may interrupt */
#define HPET_CFG_LEGACY	(1 << 1)	/* LEG_RT_CNF: timers 0 and 1 replace the PIT and RTC IRQs */
#define HPET_TN_CFG(n)	(0x100 + 0x20 * (n))	/* timer n configuration */
#define HPET_TN_INT_ENB	(1 << 2)	/* Tn_INT_ENB_CNF */
#define HPET_TN_PERIODIC (1 << 3)	/* Tn_TYPE_CNF */

/* PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) */
#define PCI_CONF_ADDR	0xcf8		/* 0x80000000 | bus << 16 | dev << 11 | fn << 8 | offset */
#define PCI_CONF_DATA	0xcfc
#define PCI_CONF_ENABLE	0x80000000
#define PCI_COMMAND	0x04		/* 16 bits; the status register above it is write-1-to-clear */
#define PCI_CMD_MASTER	(1 << 2)	/* bus master enable */
#define PCI_HEADER	0x0c		/* dword: bits 16-23 the header type, bit 23 multi-function */
#define PCI_MULTIFUNC	0x00800000

/* QEMU fw_cfg, legacy I/O interface (QEMU docs/specs/fw_cfg.rst) */
#define FW_CFG_PORT_SEL	0x510		/* 16-bit write: select an item, rewind its data */
#define FW_CFG_PORT_DATA 0x511		/* 8-bit reads: the selected item's bytes */
#define FW_CFG_SIGNATURE 0x0000		/* item: 4 bytes "QEMU" */
#define FW_CFG_NB_CPUS	0x0005		/* item: CPUs at boot, little-endian u16 */
#define FW_CFG_QEMU	0x554d4551	/* "QEMU" read as a little-endian u32 */

/* Resetting a PC (loader/reset.c): the chipset's reset control register (Intel
 * ICH/PCH RST_CNT, PIIX3/4 RC), the 8042 keyboard controller, and port 0x80 as
 * a clock when there is no other */
#define RST_CNT_PORT	0xcf9
#define RST_CNT_SYS_RST	(1 << 1)	/* reset the platform, not only the CPU */
#define RST_CNT_RST_CPU	(1 << 2)	/* 0 -> 1 starts the reset */
#define RST_CNT_FULL_RST (1 << 3)	/* with SYS_RST: a full (cold) reset, power cycled */
#define KBC_STATUS	0x64		/* status (read), command (write) */
#define KBC_STATUS_IBF	(1 << 1)	/* input buffer full: a command now would be lost */
#define KBC_CMD_RESET	0xfe		/* pulse output port bit 0: the CPU's reset line */
#define POST_PORT	0x80		/* POST codes: a write does nothing but take ~1 us (a delay) */

/* QEMU isa-debug-exit: writing v to the port exits QEMU with status 2v+1 */
#define DEBUG_EXIT_PORT	0xf4

#endif
