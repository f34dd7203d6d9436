/* SPDX-License-Identifier: MIT */
/*
 * The loader's own GDT, TSS and IDT, filled for whatever address the blob runs at
 * (arch/x86/entry.asm loads them), and the exception report: vector, error code,
 * RIP, RSP, CR2 and every register, then a halt. Exceptions run on their own stack
 * (IST1), so even a bad RSP gives a dump instead of a triple fault.
 */
#include <stdint.h>
#include "arch/x86/hw.h"
#include "loader/loader.h"

#define SEL_CODE32	0x20	/* flat 32-bit code, for 32-bit entry conventions */
#define SEL_TSS		0x28	/* fixed: arch/x86/entry.asm loads it */
#define ISR_STUB_SIZE	16	/* fixed: arch/x86/isr.asm aligns its stubs so */
#define GATE_INTR	0x8e	/* present, DPL 0, 64-bit interrupt gate */

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
};

/* The frame arch/x86/isr.asm builds: its pushes in reverse, then the CPU's. */
struct cpu_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct tss64) == 104, "TSS size");
_Static_assert(sizeof(struct idt_gate) == 16, "gate size");

extern char isr_stubs[];

static uint64_t gdt[7] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[32] __attribute__((aligned(16)));
static uint8_t exception_stack[4096] __attribute__((aligned(16)));
struct desc_ptr gdt_ptr, idt_ptr;

void cpu_tables_init(void);
void cpu_tables_init(void)
{
	uint64_t t = (uint64_t)&tss, lim = sizeof(tss) - 1;

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BATON_BOOT_CS / 8] = 0x00af9a000000ffffull;	/* 64-bit code, L=1 */
	gdt[BATON_BOOT_DS / 8] = 0x00cf92000000ffffull;	/* flat 4 GiB data */
	gdt[SEL_CODE32 / 8] = 0x00cf9a000000ffffull;	/* flat 4 GiB 32-bit code */
	/* 64-bit TSS descriptor: 16 bytes, type 9 (available), present. */
	gdt[SEL_TSS / 8] = (lim & 0xffff) | ((t & 0xffffff) << 16) | (0x89ull << 40) |
			   (((lim >> 16) & 0xf) << 48) | (((t >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = t >> 32;
	tss.ist[0] = (uint64_t)(exception_stack + sizeof(exception_stack));
	tss.iomap_base = sizeof(tss);
	gdt_ptr = (struct desc_ptr){ sizeof(gdt) - 1, (uint64_t)gdt };

	for (int v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)(isr_stubs + v * ISR_STUB_SIZE);

		idt[v] = (struct idt_gate){
			.off_lo = h & 0xffff, .sel = BATON_BOOT_CS, .ist = 1, .attr = GATE_INTR,
			.off_mid = (h >> 16) & 0xffff, .off_hi = h >> 32,
		};
	}
	idt_ptr = (struct desc_ptr){ sizeof(idt) - 1, (uint64_t)idt };
}

static const char *vector_name(uint64_t v)
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
	default: return "reserved vector";
	}
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void loader_exception(const struct cpu_frame *f);
void loader_exception(const struct cpu_frame *f)
{
	con_printf("PANIC cpu: exception %lu %s err=0x%lx rip=0x%lx rsp=0x%lx cr2=0x%lx (loader base 0x%lx)\n",
		   (unsigned long)f->vector, vector_name(f->vector), (unsigned long)f->error,
		   (unsigned long)f->rip, (unsigned long)f->rsp, (unsigned long)read_cr2(),
		   (unsigned long)L.base);
	con_printf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", (unsigned long)f->rax,
		   (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
	con_printf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", (unsigned long)f->rsi,
		   (unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
	con_printf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", (unsigned long)f->r9,
		   (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
	con_printf("  r13=%016lx r14=%016lx r15=%016lx rflags=%lx cs=%lx\n",
		   (unsigned long)f->r13, (unsigned long)f->r14, (unsigned long)f->r15,
		   (unsigned long)f->rflags, (unsigned long)f->cs);
	loader_halt(BATON_EXIT_PANIC);
}
