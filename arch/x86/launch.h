/* SPDX-License-Identifier: MIT */
/* arch/x86/launch.asm's interface: the last instructions of the loader. */
#ifndef BATON_X86_LAUNCH_H
#define BATON_X86_LAUNCH_H

#include <stdint.h>

/* Every register a 32-bit image starts with (paging off, loader/launch.c), and
 * where the trampoline's exception handler reports. */
struct launch32 {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eip;
	uint16_t con_port, exit_port;	/* UART for the PANIC line; isa-debug-exit or 0 */
	/* After that line, with no exit port: the handoff's reset (loader/reset.c's
	 * order, the clock in POST-port writes: paging is off, no TSC rate here). */
	uint8_t  reset_action;		/* BATON_PANIC_RESET or BATON_PANIC_HALT */
	uint8_t  reset_space, reset_value;	/* the ACPI register's */
	uint8_t  pad;
	uint32_t reset_acpi;		/* its address, 0: none or past 4 GiB */
	uint32_t reset_wait;		/* the delay, in POST-port writes */
	uint32_t reset_try;		/* each method's time to take effect, likewise */
};

/* The 32-bit trampoline: [tramp32_start, tramp32_end) is copied to a free page
 * below 4 GiB; at the same offsets in the copy tramp32_regs takes a launch32 and
 * tramp32_idtr the IDT pointer; tramp32_fault is every vector's handler. */
extern const char tramp32_start[], tramp32_regs[], tramp32_idtr[], tramp32_fault[],
	tramp32_end[];

#define TRAMP32_IDT_OFF	0x800	/* the IDT's place in the trampoline page */
#define TRAMP32_VECTORS	32	/* the exception vectors */

void arch_launch64(uint64_t entry, const uint64_t *regs, uint64_t stack_top)
	__attribute__((noreturn));

#endif
