/* SPDX-License-Identifier: MIT */
/*
 * The x86 exception machinery every program in the tree shares (the loader and
 * the outgoing test kernel): the descriptor-table formats, the frame that
 * arch/x86/isr.asm builds, and the helpers that fill the tables and print a
 * frame. Each program owns its tables and implements arch_exception().
 */
#ifndef BATON_X86_CPU_H
#define BATON_X86_CPU_H

#include <stdint.h>

#define CPU_EXCEPTIONS	32	/* vectors 0..31 */
#define ISR_STUB_SIZE	9	/* isr.asm's stubs, each this long (asm-offsets.inc) */
#define GATE_INTR	0x8e	/* present, DPL 0, interrupt gate (64-bit in long mode) */
#define TSS_AVAILABLE	0x89	/* present, 64-bit TSS, not busy */

/* The operand of lgdt / lidt: limit, then linear base. */
struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* 64-bit TSS (SDM Vol. 3A 8.7). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* 64-bit IDT gate (SDM Vol. 3A 6.14.1). */
struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
};

/* What arch/x86/isr.asm builds: its pushes in reverse, then the CPU's frame. */
struct cpu_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct tss64) == 104, "TSS size");
_Static_assert(sizeof(struct idt_gate) == 16, "gate size");

/* arch/x86/isr.asm: one stub per vector, ISR_STUB_SIZE bytes apart. */
extern char isr_stubs[];

/* Implemented by each program: report the exception and never return. */
__attribute__((noreturn)) void arch_exception(const struct cpu_frame *f);

/* The gates for vectors 0..31 to the stubs, in code segment cs; vectors whose bit
 * is set in ist_mask run on TSS stack IST1. */
void cpu_idt_fill(struct idt_gate *idt, uint16_t cs, uint32_t ist_mask);

/* The 16-byte GDT descriptor of a TSS (SDM Vol. 3A 8.2.3). */
void cpu_tss_descriptor(const struct tss64 *tss, uint64_t desc[2]);

/* "#PF page fault" and the like. */
const char *cpu_vector_name(uint64_t v);

/* Prints a frame as five lines through `line` (one line per call, ending added
 * by `line`): vector, error code, RIP, RSP, CR2 after `first`, then every register. */
void cpu_frame_print(const struct cpu_frame *f, const char *first,
		     void (*line)(const char *fmt, ...));

#endif
