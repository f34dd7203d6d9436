/* SPDX-License-Identifier: MIT */
/*
 * CPU exceptions: an IDT for vectors 0..31 pointing at entry.asm's stubs, a TSS
 * whose IST1 stack catches #DF even with a broken RSP, and one handler that
 * prints vector, error code, RIP, RSP, CR2 and the registers, then exits QEMU
 * with EXIT_TRAP. Never a triple fault.
 */
#include "cpu.h"
#include "outgoing.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
};

struct tss64 {
	uint32_t rsv0;
	uint64_t rsp[3];
	uint64_t rsv1;
	uint64_t ist[7];
	uint64_t rsv2;
	uint16_t rsv3;
	uint16_t iomap;
} __attribute__((packed));

/* Pushed by entry.asm trap_common (rax last, lowest) and by the CPU. */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct idt_gate) == 16, "idt gate");
_Static_assert(sizeof(struct tss64) == 104, "tss");

extern const uint64_t trap_stubs[IDT_EXCEPTIONS];	/* entry.asm */
extern uint64_t gdt64[];				/* entry.asm */

static struct idt_gate idt[IDT_EXCEPTIONS] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t df_stack[DF_STACK_SIZE] __attribute__((aligned(16)));

static const char *const trap_names[IDT_EXCEPTIONS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

/* The 16-byte TSS descriptor at SEL_TSS (SDM Vol. 3A, 8.2.3). */
static void tss_install(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;

	tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(uintptr_t)(df_stack + sizeof(df_stack));
	tss.iomap = sizeof(tss);			/* no I/O permission bitmap */
	gdt64[SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			     (uint64_t)TSS_TYPE_AVAIL << 40 | ((limit >> 16) & 0xf) << 48 |
			     ((base >> 24) & 0xff) << 56;
	gdt64[SEL_TSS / 8 + 1] = base >> 32;
	load_tr(SEL_TSS);
}

void trap_init(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	tss_install();
	for (int v = 0; v < IDT_EXCEPTIONS; v++) {
		uint64_t a = trap_stubs[v];

		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)a, .sel = SEL_CODE64,
			.ist = v == 8 ? IST_DOUBLE_FAULT : 0, .type = IDT_TYPE_INTR,
			.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
		};
	}
	load_idt(&p);
}

NORETURN void trap_handle(const struct trap_frame *f);

NORETURN void trap_handle(const struct trap_frame *f)
{
	say("exception %lu (%s) error=0x%lx rip=0x%lx rsp=0x%lx cr2=0x%lx",
	    f->vector, f->vector < IDT_EXCEPTIONS ? trap_names[f->vector] : "?",
	    f->error, f->rip, f->rsp, read_cr2());
	say("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", f->rax, f->rbx, f->rcx,
	    f->rdx);
	say("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx", f->rsi, f->rdi, f->rbp,
	    f->r8);
	say("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx", f->r9, f->r10, f->r11,
	    f->r12);
	say("  r13=%016lx r14=%016lx r15=%016lx rflags=%08lx", f->r13, f->r14, f->r15,
	    f->rflags);
	qemu_exit(EXIT_TRAP);
}
