/* SPDX-License-Identifier: MIT */
/*
 * The loader's own GDT, TSS and IDT, filled for whatever address the blob runs at
 * (loader/entry.asm loads them), and its exception report. Exceptions run on
 * their own stack (IST1), so even a bad RSP gives a dump instead of a triple
 * fault. The formats and the dump are arch/x86/cpu.c's.
 */
#include <stdint.h>
#include "arch/x86/cpu.h"
#include "loader/gdt.h"
#include "loader/loader.h"

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[CPU_EXCEPTIONS] __attribute__((aligned(16)));
static uint8_t exception_stack[4096] __attribute__((aligned(16)));
struct desc_ptr gdt_ptr, idt_ptr;

void cpu_tables_init(void);
void cpu_tables_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BATON_BOOT_CS / 8] = GDT_CODE64;
	gdt[BATON_BOOT_DS / 8] = GDT_DATA;
	tss.ist[0] = (uint64_t)(exception_stack + sizeof(exception_stack));
	tss.iomap_base = sizeof(tss);
	cpu_tss_descriptor(&tss, &gdt[SEL_TSS / 8]);
	gdt_ptr = (struct desc_ptr){ sizeof(gdt) - 1, (uint64_t)gdt };
	cpu_idt_fill(idt, BATON_BOOT_CS, 0xffffffffu);	/* every vector on IST1 */
	idt_ptr = (struct desc_ptr){ sizeof(idt) - 1, (uint64_t)idt };
}

static void cpu_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_printf("\n");
}

__attribute__((noreturn)) void arch_exception(const struct cpu_frame *f)
{
	cpu_frame_print(f, "PANIC cpu: ", cpu_line);
	con_printf("  loader base 0x%lx\n", (unsigned long)L.base);
	loader_halt(BATON_EXIT_PANIC);
}
