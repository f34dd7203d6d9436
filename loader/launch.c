/* SPDX-License-Identifier: MIT */
/*
 * Launch: store the step timings in the boot info, then enter the image in the
 * CPU mode and with the registers the handoff's entry says (docs/entry.md). The
 * loader knows no image format: Linux, ELF and Multiboot differ only in the
 * entry the stage wrote. The loader's region stays intact until the jump: the
 * stack handed over lives there.
 *
 *   LONG64   stay in long mode: arch_launch64
 *   PROT32   leave long mode through the 32-bit trampoline, copied to L.tramp:
 *            a page below 4 GiB that no run, source, list page, forbidden range
 *            or range the loader owns holds (core/check.c:check_places, while
 *            the validator's sorted lists still exist)
 */
#include <string.h>
#include "arch/x86/cpu.h"
#include "arch/x86/launch.h"
#include "core/check.h"
#include "loader/format.h"
#include "loader/loader.h"

#define PAGE	BATON_PAGE_SIZE

static uint8_t launch_stack[8192] __attribute__((aligned(16)));

/* The boot info's timing slots: big-endian u64, as an FDT property holds them. */
static void launch_store_timings(const struct baton_handoff *h)
{
	uint64_t *slot = (uint64_t *)h->timings_addr;

	if (!slot)
		return;
	for (uint32_t i = 0; i < h->timings_count && i < STEP_COUNT; i++)
		slot[i] = __builtin_bswap64(L.tsc[i]);
}

/*
 * The page's IDT: every exception vector an interrupt gate to tramp32_fault, so a
 * fault in the trampoline, or in the image before it loads its own IDT, prints a
 * PANIC line instead of triple-faulting.
 */
static void launch32_idt(uint8_t *page)
{
	uint32_t *idt = (uint32_t *)(page + TRAMP32_IDT_OFF);
	uint32_t handler = (uint32_t)(L.tramp + (uint64_t)(tramp32_fault - tramp32_start));
	uint16_t limit = TRAMP32_VECTORS * 8 - 1;
	uint32_t base = (uint32_t)L.tramp + TRAMP32_IDT_OFF;
	uint8_t *idtr = page + (tramp32_idtr - tramp32_start);

	_Static_assert(TRAMP32_IDT_OFF + TRAMP32_VECTORS * 8 <= PAGE - 16, "IDT below the stack");
	for (int v = 0; v < TRAMP32_VECTORS; v++) {
		idt[2 * v] = (uint32_t)BATON_BOOT_CS << 16 | (handler & 0xffff);
		idt[2 * v + 1] = (handler & 0xffff0000u) | GATE_INTR << 8;	/* in a 32-bit IDT: 32-bit gate */
	}
	memcpy(idtr, &limit, 2);
	memcpy(idtr + 2, &base, 4);
}

__attribute__((noreturn)) static void launch32(const struct baton_handoff *h)
{
	const uint64_t *g = h->entry.regs;
	uint8_t *page = (uint8_t *)L.tramp;
	struct launch32 r = {
		.eax = (uint32_t)g[BATON_REG_RAX], .ebx = (uint32_t)g[BATON_REG_RBX],
		.ecx = (uint32_t)g[BATON_REG_RCX], .edx = (uint32_t)g[BATON_REG_RDX],
		.esi = (uint32_t)g[BATON_REG_RSI], .edi = (uint32_t)g[BATON_REG_RDI],
		.ebp = (uint32_t)g[BATON_REG_RBP],
		.esp = (uint32_t)(L.tramp + PAGE - 16), .eip = (uint32_t)h->entry.addr,
	};

	r.con_port = h->console.kind == BATON_CON_UART_IO ? h->console.port : 0;
	r.exit_port = h->exit_port;
	r.reset_action = h->reset.action;
	r.reset_space = h->reset.acpi_space;
	r.reset_value = h->reset.acpi_value;
	if (h->reset.acpi_space == BATON_RESET_SPACE_IO || !(h->reset.acpi_addr >> 32))
		r.reset_acpi = (uint32_t)h->reset.acpi_addr;
	r.reset_wait = h->reset.delay_ms * 1000;	/* ~1 us a write */
	r.reset_try = RESET_TRY_MS * 1000;
	memcpy(page, tramp32_start, (size_t)(tramp32_end - tramp32_start));
	memcpy(page + (tramp32_regs - tramp32_start), &r, sizeof(r));
	launch32_idt(page);
	memset(page + PAGE - 16, 0, 16);			/* [ESP] = 0: a fake return address */
	arch_jump(L.tramp, L.tramp);
}

/* "rsi 0x1000 rdi 0x2000": the registers that are not zero. */
static void launch_regs(char *buf, unsigned long len, const uint64_t *regs)
{
	const char *name = BATON_REG_NAMES;
	unsigned long at = 0;

	buf[0] = 0;
	for (int r = 0; r < BATON_REG_COUNT; r++, name += 4)
		if (regs[r] && at < len)
			at += (unsigned long)format_snprintf(buf + at, len - at, " %s 0x%lx", name,
							  (unsigned long)regs[r]);
}

__attribute__((noreturn)) void launch(struct check *c)
{
	const struct baton_handoff *h = &c->seen.h;
	char regs[BATON_REG_COUNT * 24];

	launch_regs(regs, sizeof(regs), h->entry.regs);
	if (h->entry.mode == BATON_MODE_PROT32)
		step_log(STEP_LAUNCH, "32-bit protected mode, paging off, entry 0x%lx,%s; through the trampoline at 0x%lx",
			 (unsigned long)h->entry.addr, regs, (unsigned long)L.tramp);
	else
		step_log(STEP_LAUNCH, "64-bit long mode, entry 0x%lx,%s", (unsigned long)h->entry.addr,
			 regs);
	launch_store_timings(h);
	if (h->entry.mode == BATON_MODE_PROT32)
		launch32(h);
	arch_launch64(h->entry.addr, h->entry.regs,
		      (uint64_t)(launch_stack + sizeof(launch_stack)));
}
