/* SPDX-License-Identifier: MIT */
/* One-instruction helpers: descriptor tables, halt (port I/O and MSRs: arch/x86/io.h). */
#ifndef OUTGOING_CPU_H
#define OUTGOING_CPU_H

#include <stdint.h>
#include "arch/x86/cpu.h"	/* struct desc_ptr */
#include "arch/x86/io.h"	/* port I/O, TSC, MSRs */

static inline void load_idt(const struct desc_ptr *p)
{
	__asm__ volatile("lidt %0" : : "m"(*p));
}

static inline void load_tr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

static inline void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
