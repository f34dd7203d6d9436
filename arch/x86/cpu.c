/* SPDX-License-Identifier: MIT */
/*
 * Filling the exception tables and printing a frame, for any program that links
 * arch/x86/isr.asm (arch/x86/cpu.h). Position independent: addresses are taken at
 * run time, names come from a switch, nothing in data holds a pointer.
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

const char *cpu_vector_name(uint64_t v)
{
	switch (v) {
	case 0:  return "#DE divide error";
	case 1:  return "#DB debug";
	case 2:  return "NMI";
	case 3:  return "#BP breakpoint";
	case 4:  return "#OF overflow";
	case 5:  return "#BR bound range";
	case 6:  return "#UD invalid opcode";
	case 7:  return "#NM device not available";
	case 8:  return "#DF double fault";
	case 10: return "#TS invalid TSS";
	case 11: return "#NP segment not present";
	case 12: return "#SS stack fault";
	case 13: return "#GP general protection";
	case 14: return "#PF page fault";
	case 16: return "#MF x87 error";
	case 17: return "#AC alignment check";
	case 18: return "#MC machine check";
	case 19: return "#XM SIMD error";
	case 20: return "#VE virtualization";
	case 21: return "#CP control protection";
	default: return "reserved vector";
	}
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
