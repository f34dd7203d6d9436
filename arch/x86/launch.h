/* SPDX-License-Identifier: MIT */
/* arch/x86/launch.asm's interface: the last instructions of the loader. */
#ifndef BATON_X86_LAUNCH_H
#define BATON_X86_LAUNCH_H

#include <stdint.h>

/* Every register a 32-bit image starts with (paging off, loader/launch.c). */
struct launch32 {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eip;
};

/* The 32-bit trampoline: [tramp32_start, tramp32_end) is copied to a free page
 * below 4 GiB; tramp32_regs, at the same offset in the copy, takes a launch32. */
extern const char tramp32_start[], tramp32_regs[], tramp32_end[];

void arch_launch64(uint64_t entry, const uint64_t *args, uint64_t stack_top)
	__attribute__((noreturn));

#endif
