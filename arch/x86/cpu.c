/* SPDX-License-Identifier: MIT */
/*
 * Filling the exception tables and printing a frame, for any program that links
 * arch/x86/isr.asm (arch/x86/cpu.h). Position independent: addresses are taken at
 * run time, names come from one string, nothing in data holds a pointer.
 */
#include "arch/x86/cpu.h"

void cpu_idt_fill(struct idt_gate *idt, uint16_t cs, uint32_t ist_mask)
{
	for (int v = 0; v < CPU_EXCEPTIONS; v++) {
		uint64_t h = (uint64_t)(isr_stubs + v * ISR_STUB_SIZE);

		idt[v] = (struct idt_gate){
			.off_lo = h & 0xffff, .sel = cs, .ist = (ist_mask >> v) & 1,
			.attr = GATE_INTR, .off_mid = (h >> 16) & 0xffff, .off_hi = h >> 32,
		};
	}
}

void cpu_tss_descriptor(const struct tss64 *tss, uint64_t desc[2])
{
	uint64_t t = (uint64_t)tss, lim = sizeof(*tss) - 1;

	desc[0] = (lim & 0xffff) | ((t & 0xffffff) << 16) | ((uint64_t)TSS_AVAILABLE << 40) |
		  (((lim >> 16) & 0xf) << 48) | (((t >> 24) & 0xff) << 56);
	desc[1] = t >> 32;
}

/* Vectors 0-21, in order, each name ended by a NUL; an empty one is reserved. */
static const char cpu_vector_names[] =
	"#DE divide error\0#DB debug\0NMI\0#BP breakpoint\0#OF overflow\0#BR bound range\0"
	"#UD invalid opcode\0#NM device not available\0#DF double fault\0\0#TS invalid TSS\0"
	"#NP segment not present\0#SS stack fault\0#GP general protection\0#PF page fault\0\0"
	"#MF x87 error\0#AC alignment check\0#MC machine check\0#XM SIMD error\0"
	"#VE virtualization\0#CP control protection";

const char *cpu_vector_name(uint64_t v)
{
	const char *s = cpu_vector_names;

	if (v > 21)
		return "reserved vector";
	for (; v; v--)
		while (*s++)
			;
	return *s ? s : "reserved vector";
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void cpu_frame_print(const struct cpu_frame *f, const char *first,
		     void (*line)(const char *fmt, ...))
{
	line("%sexception %lu %s err=0x%lx rip=0x%lx rsp=0x%lx cr2=0x%lx", first,
	     (unsigned long)f->vector, cpu_vector_name(f->vector), (unsigned long)f->error,
	     (unsigned long)f->rip, (unsigned long)f->rsp, (unsigned long)read_cr2());
	line("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", (unsigned long)f->rax,
	     (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
	line("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx", (unsigned long)f->rsi,
	     (unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
	line("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx", (unsigned long)f->r9,
	     (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
	line("  r13=%016lx r14=%016lx r15=%016lx rflags=%lx cs=%lx", (unsigned long)f->r13,
	     (unsigned long)f->r14, (unsigned long)f->r15, (unsigned long)f->rflags,
	     (unsigned long)f->cs);
}
