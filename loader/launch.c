/* SPDX-License-Identifier: MIT */
/*
 * Launch: store the step timings in the boot info, then enter the image with the
 * CPU state its convention promises (docs/entry.md). The loader's region stays
 * intact until the jump: the stack handed over lives there.
 *
 *   ELF64, LINUX64   stay in long mode: arch_launch64, RDI/RSI = args[0]/args[1]
 *   ELF32, LINUX32   leave long mode through the 32-bit trampoline, copied to
 *                    L.tramp: a page below 4 GiB that no run, source, forbidden
 *                    range, loader or handoff owns (found by launch_reserve())
 */
#include <string.h>
#include "arch/x86/cpu.h"
#include "arch/x86/launch.h"
#include "loader/check.h"
#include "loader/loader.h"

#define PAGE	BATON_PAGE_SIZE

static uint8_t launch_stack[8192] __attribute__((aligned(16)));

static int conv_is_32(uint32_t conv)
{
	return conv == BATON_ENTRY_LINUX32 || conv == BATON_ENTRY_ELF32;
}

/*
 * Before the plan overwrites the validator's sorted lists: choose the
 * trampoline's page. Nothing the copy writes can land there, and with paging
 * off only the first 4 GiB are reachable.
 */
void launch_reserve(struct check *c)
{
	const struct baton_handoff *h = L.h;
	uint64_t hsize = (h->total_size + PAGE - 1) & ~(PAGE - 1);

	if (!conv_is_32(h->entry.convention) || L.tramp)
		return;
	if (check_find_spot(c, PAGE, (uint64_t)h, hsize, &L.tramp) ||
	    L.tramp + PAGE > (1ull << 32))
		panic("launch", "no free page below 4 GiB for the 32-bit trampoline (lowest free 0x%lx)",
		      (unsigned long)L.tramp);
}

/* The boot info's timing slots: big-endian u64, as an FDT property holds them. */
static void launch_store_timings(void)
{
	const struct baton_handoff *h = L.h;
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
	uint8_t *page = (uint8_t *)L.tramp;
	uint32_t top = (uint32_t)(L.tramp + PAGE - 16);
	struct launch32 r = { .eip = (uint32_t)h->entry.addr, .esp = top };

	if (h->entry.convention == BATON_ENTRY_LINUX32) {
		r.esi = (uint32_t)h->entry.args[1];	/* boot_params; EBP = EDI = EBX = 0 */
	} else {
		r.edi = (uint32_t)h->entry.args[0];
		r.esi = (uint32_t)h->entry.args[1];
		r.edx = (uint32_t)h->entry.args[2];
		r.ecx = (uint32_t)h->entry.args[3];
	}
	r.con_port = h->console.kind == BATON_CON_UART_IO ? h->console.port : 0;
	r.exit_port = h->exit_port;
	memcpy(page, tramp32_start, (size_t)(tramp32_end - tramp32_start));
	memcpy(page + (tramp32_regs - tramp32_start), &r, sizeof(r));
	launch32_idt(page);
	memset(page + PAGE - 16, 0, 16);			/* [ESP] = 0: a fake return address */
	arch_jump(L.tramp, L.tramp);
}

__attribute__((noreturn)) void launch(void)
{
	const struct baton_handoff *h = L.h;
	uint64_t a0 = h->entry.args[0], a1 = h->entry.args[1];

	switch (h->entry.convention) {
	case BATON_ENTRY_LINUX64:
		step_log(STEP_LAUNCH, "Linux 64-bit entry 0x%lx, zero page 0x%lx in RSI",
			 (unsigned long)h->entry.addr, (unsigned long)a1);
		break;
	case BATON_ENTRY_LINUX32:
		step_log(STEP_LAUNCH, "Linux 32-bit entry 0x%lx, zero page 0x%lx in ESI, paging off through the trampoline at 0x%lx",
			 (unsigned long)h->entry.addr, (unsigned long)a1, (unsigned long)L.tramp);
		break;
	case BATON_ENTRY_ELF32:
		step_log(STEP_LAUNCH, "ELF32 entry 0x%lx, edi 0x%lx, paging off through the trampoline at 0x%lx",
			 (unsigned long)h->entry.addr, (unsigned long)a0, (unsigned long)L.tramp);
		break;
	default:
		step_log(STEP_LAUNCH, "ELF64 entry 0x%lx, rdi 0x%lx", (unsigned long)h->entry.addr,
			 (unsigned long)a0);
		break;
	}
	launch_store_timings();
	if (conv_is_32(h->entry.convention))
		launch32(h);
	arch_launch64(h->entry.addr, h->entry.args,
		      (uint64_t)(launch_stack + sizeof(launch_stack)));
}
