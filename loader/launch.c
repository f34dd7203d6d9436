/* SPDX-License-Identifier: MIT */
/*
 * Launch: store the step timings in the boot info, then enter the image with the
 * CPU state its convention promises (docs/entry.md). The loader's region stays
 * intact until the jump: the stack handed over lives there.
 */
#include "loader/loader.h"

static uint8_t launch_stack[8192] __attribute__((aligned(16)));

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

__attribute__((noreturn)) void launch(void)
{
	const struct baton_handoff *h = L.h;
	uint64_t args[4];

	for (int i = 0; i < 4; i++)
		args[i] = h->entry.args[i];
	step_log(STEP_LAUNCH, "ELF64 entry 0x%lx, rdi 0x%lx", (unsigned long)h->entry.addr,
		 (unsigned long)args[0]);
	launch_store_timings();
	arch_launch64(h->entry.addr, args, (uint64_t)(launch_stack + sizeof(launch_stack)));
}
