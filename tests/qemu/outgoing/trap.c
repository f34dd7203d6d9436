/* SPDX-License-Identifier: MIT */
/*
 * CPU exceptions: an IDT for vectors 0..31 pointing at the stubs of
 * arch/x86/isr.asm (the loader's own), a TSS whose IST1 stack catches #DF even
 * with a broken RSP, and arch_exception(), which prints vector, error code, RIP,
 * RSP, CR2 and the registers (arch/x86/cpu.c) and exits QEMU with EXIT_TRAP.
 * Never a triple fault.
 */
#include "arch/x86/cpu.h"
#include "cpu.h"
#include "outgoing.h"

extern uint64_t gdt64[];				/* entry.asm */

static struct idt_gate idt[CPU_EXCEPTIONS] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t df_stack[DF_STACK_SIZE] __attribute__((aligned(16)));

void trap_init(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	tss.ist[0] = (uint64_t)(uintptr_t)(df_stack + sizeof(df_stack));
	tss.iomap_base = sizeof(tss);			/* no I/O permission bitmap */
	cpu_tss_descriptor(&tss, &gdt64[SEL_TSS / 8]);
	load_tr(SEL_TSS);
	cpu_idt_fill(idt, SEL_CODE64, 1u << 8);		/* #DF on IST1, the rest in place */
	load_idt(&p);
}

NORETURN void arch_exception(const struct cpu_frame *f)
{
	cpu_frame_print(f, "", say);
	qemu_exit(EXIT_TRAP);
}
