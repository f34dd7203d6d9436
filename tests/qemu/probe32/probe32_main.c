// SPDX-License-Identifier: MIT
/*
 * The ELF32 probe: proves baton's BATON_ENTRY_ELF32 convention (docs/entry.md)
 * from inside. entry.asm saved the CPU state before touching anything; this
 * checks it (protected mode, paging off, long mode off, flat 0x10/0x18
 * segments, IF = DF = 0, EDI = the boot info FDT, the fake return address),
 * then the placed bytes: the 4 MiB pattern regenerated and compared, and the
 * bss zero. It reports on COM1 and exits QEMU through isa-debug-exit with the
 * 64-bit probe's codes (0x10 pass, 0x11 fail).
 *
 * Built -m32 -mgeneral-regs-only: it runs with paging off and no SSE set up.
 */
#include <stdint.h>
#include "arch/x86/hw.h"
#include "arch/x86/io.h"
#include "baton/handoff.h"
#include "prng.h"

#define EXIT_PASS	0x10
#define EXIT_FAIL	0x11
#define BSS_CHECK	(0x40000 + 0x123)

struct state {			/* entry.asm's layout */
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp;	/* 0x00 */
	uint32_t eflags, ret;					/* 0x20 */
	uint32_t cs, ds, es, ss;				/* 0x28 */
	uint32_t cr0, cr3, cr4, efer;				/* 0x38 */
	uint32_t tsc_lo, tsc_hi;				/* 0x48 */
};
_Static_assert(sizeof(struct state) == 0x50, "entry.asm stores 0x50 bytes");

extern const uint8_t probe32_data[];
extern const uint8_t probe32_bss[];
extern char __image_end[];
void probe32_main(const struct state *s);

static int failures;

static void putc_(char c)
{
	for (int i = 0; i < UART_SPINS && !(inb(COM1_PORT + UART_LSR) & UART_LSR_THRE); i++)
		;
	outb(COM1_PORT + UART_THR, (uint8_t)c);
}

static void puts_(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_('\r');
		putc_(*s++);
	}
}

static void puthex(uint32_t v)
{
	char b[11] = "0x";

	for (int i = 0; i < 8; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
	b[10] = 0;
	puts_(b);
}

static void putdec(uint32_t v)
{
	char b[11];
	int i = 10;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + i);
}

/* One check: prints a FAIL line with the value when cond is false. */
static void expect(int cond, const char *what, uint32_t value)
{
	if (cond)
		return;
	failures++;
	puts_("probe32: FAIL ");
	puts_(what);
	puts_(": ");
	puthex(value);
	puts_("\n");
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t check_data(void)
{
	uint64_t st = PROBE_SEED_A;

	for (uint32_t off = 0; off < PROBE_DATA_A_SIZE; off += 8) {
		uint64_t want = prng_next(&st);
		uint32_t lo = (uint32_t)probe32_data[off] | (uint32_t)probe32_data[off + 1] << 8 |
			      (uint32_t)probe32_data[off + 2] << 16 |
			      (uint32_t)probe32_data[off + 3] << 24;
		uint32_t hi = (uint32_t)probe32_data[off + 4] | (uint32_t)probe32_data[off + 5] << 8 |
			      (uint32_t)probe32_data[off + 6] << 16 |
			      (uint32_t)probe32_data[off + 7] << 24;

		if (lo != (uint32_t)want || hi != (uint32_t)(want >> 32)) {
			expect(0, "data differs at offset", off);
			return off;
		}
	}
	return PROBE_DATA_A_SIZE;
}

static uint32_t check_bss(void)
{
	for (uint32_t i = 0; i < BSS_CHECK; i++)
		if (probe32_bss[i]) {
			expect(0, "bss not zero at offset", i);
			return i;
		}
	return BSS_CHECK;
}

void probe32_main(const struct state *s)
{
	const uint8_t *fdt = (const uint8_t *)s->edi;
	uint32_t data, bss;

	puts_("probe32: ELF32 probe entered at paging-off entry, image ");
	puthex(0x3000000);
	puts_("-");
	puthex((uint32_t)__image_end);
	puts_("\n");
	expect(s->cr0 & CR0_PE, "CR0.PE clear: not protected mode", s->cr0);
	expect(!(s->cr0 & CR0_PG), "CR0.PG set: paging is on", s->cr0);
	expect(!(s->efer & (EFER_LME | EFER_LMA)), "EFER.LME/LMA set: long mode", s->efer);
	expect(!(s->cr4 & CR4_PAE), "CR4.PAE set", s->cr4);
	expect(s->cs == BATON_BOOT_CS, "CS is not 0x10", s->cs);
	expect(s->ds == BATON_BOOT_DS, "DS is not 0x18", s->ds);
	expect(s->es == BATON_BOOT_DS, "ES is not 0x18", s->es);
	expect(s->ss == BATON_BOOT_DS, "SS is not 0x18", s->ss);
	expect(!(s->eflags & (RFLAGS_IF | RFLAGS_DF)), "EFLAGS has IF or DF", s->eflags);
	expect(s->ret == 0, "[ESP] is not the zero fake return address", s->ret);
	expect(s->esp % 16 == 0, "ESP is not 16-byte aligned", s->esp);
	expect(!s->eax && !s->ebx && !s->ebp, "EAX/EBX/EBP not zero", s->eax | s->ebx | s->ebp);
	expect(!s->ecx && !s->edx && !s->esi, "ECX/EDX/ESI (args 3, 2, 1) not zero",
	       s->ecx | s->edx | s->esi);
	expect(s->edi >= (uint32_t)__image_end, "EDI (boot info) inside the image", s->edi);
	if (s->edi >= (uint32_t)__image_end) {
		expect(be32(fdt) == 0xd00dfeed, "EDI does not point at an FDT (magic)", be32(fdt));
		expect(be32(fdt + 4) < 0x100000, "FDT totalsize implausible", be32(fdt + 4));
	}
	data = check_data();
	bss = check_bss();
	puts_(failures ? "PROBE FAIL elf32" : "PROBE PASS elf32");
	puts_(" cr0=");
	puthex(s->cr0);
	puts_(" efer=");
	puthex(s->efer);
	puts_(" cs=");
	puthex(s->cs);
	puts_(" edi=");
	puthex(s->edi);
	puts_(" data=");
	putdec(data);
	puts_(" bss=");
	putdec(bss);
	puts_(" failures=");
	putdec((uint32_t)failures);
	puts_("\n");
	outb(DEBUG_EXIT_PORT, failures ? EXIT_FAIL : EXIT_PASS);
}
