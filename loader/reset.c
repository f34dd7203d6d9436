/* SPDX-License-Identifier: MIT */
/*
 * After a panic, when no exit port is set: reset the machine once the handoff's
 * delay has passed, so that the PANIC line can be read first, or halt if the
 * handoff asks for that (docs/entry.md, "After a panic").
 *
 * The methods, in order; each is logged as it is tried, and one that has not
 * reset the machine after RESET_TRY_MS is logged as such and the next follows:
 *   1. the FADT's reset register, when the outgoing side passed it
 *   2. port 0xcf9, the chipset's reset control register: SYS_RST, then
 *      SYS_RST | RST_CPU | FULL_RST (the 0 -> 1 edge of RST_CPU resets)
 *   3. the keyboard controller: 0xfe (pulse the reset line) to port 0x64
 *   4. a triple fault (arch/x86/reset.asm), which cannot fail to stop the CPU
 * A fault inside a method (a memory-mapped reset register the page tables do not
 * reach) ends in the exception handler's dump and comes back here, where the
 * next method follows without a second delay.
 *
 * Until the handoff's header is checked, its reset is not trusted: the loader
 * acts as for a handoff that names none (no ACPI register, BATON_RESET_DELAY_MS).
 *
 * The clock is the TSC at the handoff's tsc_khz. Without a rate (0, or before
 * the header check; the log's stamps are then in TSC ticks, not ms) the wait is
 * counted in writes to port 0x80, the POST code port: about a microsecond each
 * on a PC's LPC bus (Linux's io_delay), so bounded, but only roughly a
 * millisecond per thousand (under emulation, shorter).
 */
#include "loader/loader.h"

#define KBC_SPINS	100000		/* status reads before the command goes anyway */

enum { RESET_ACPI, RESET_CF9, RESET_KBC, RESET_METHODS };

static struct baton_reset cfg = { .delay_ms = BATON_RESET_DELAY_MS };
static uint32_t flags;		/* test_flags: test_reset_skip() reads them in the test build */
static unsigned tried;		/* methods begun: a fault in one comes back for the next */

void reset_init(const struct baton_handoff *h)
{
	cfg = h->reset;
	flags = h->test_flags;
}

static void reset_wait(uint32_t ms)
{
	uint64_t end = rdtsc() + (uint64_t)ms * L.tsc_khz;

	if (!L.tsc_khz)
		for (uint64_t i = (uint64_t)ms * 1000; i; i--)
			outb(POST_PORT, 0);
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

static void reset_try(unsigned m)
{
	con_stamp();
	if (m == RESET_ACPI) {
		int io = cfg.acpi_space == BATON_RESET_SPACE_IO;

		con_printf("reset: ACPI reset register, %s 0x%lx <- 0x%x\n", io ? "I/O" : "memory",
			   (unsigned long)cfg.acpi_addr, (unsigned)cfg.acpi_value);
		if (io)
			outb((uint16_t)cfg.acpi_addr, cfg.acpi_value);
		else
			*(volatile uint8_t *)cfg.acpi_addr = cfg.acpi_value;
	} else if (m == RESET_CF9) {
		con_printf("reset: port 0xcf9 <- 0x%x, 0x%x\n", RST_CNT_SYS_RST,
			   RST_CNT_SYS_RST | RST_CNT_RST_CPU | RST_CNT_FULL_RST);
		outb(RST_CNT_PORT, RST_CNT_SYS_RST);
		outb(RST_CNT_PORT, RST_CNT_SYS_RST | RST_CNT_RST_CPU | RST_CNT_FULL_RST);
	} else {
		con_printf("reset: keyboard controller, port 0x64 <- 0x%x\n", KBC_CMD_RESET);
		for (int i = 0; i < KBC_SPINS && (inb(KBC_STATUS) & KBC_STATUS_IBF); i++)
			;
		outb(KBC_STATUS, KBC_CMD_RESET);
	}
}

__attribute__((noreturn)) void reset_after_panic(void)
{
	if (cfg.action == BATON_PANIC_HALT) {
		con_stamp();
		con_printf("halt: as the handoff asks\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	if (!tried) {
		con_stamp();
		con_printf("reset: in %u ms\n", (unsigned)cfg.delay_ms);
		reset_wait(cfg.delay_ms);
	}
	while (tried < RESET_METHODS) {
		unsigned m = tried++;

		if (m == RESET_ACPI && !cfg.acpi_addr)
			continue;
		if (m < test_reset_skip(flags)) {
			con_stamp();
			con_printf("reset: method %u skipped (test switch)\n", m + 1);
			continue;
		}
		reset_try(m);
		reset_wait(RESET_TRY_MS);
		con_stamp();
		con_printf("reset: still running after %u ms\n", RESET_TRY_MS);
	}
	con_stamp();
	con_printf("reset: triple fault\n");
	arch_triple_fault();
}
