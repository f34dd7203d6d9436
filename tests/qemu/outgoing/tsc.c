/* SPDX-License-Identifier: MIT */
/* TSC frequency from PIT channel 2 counting down ~10 ms (the classic method). */
#include "cpu.h"
#include "outgoing.h"

#define CALIBRATE_MS	10
#define PIT_COUNT	(PIT_HZ * CALIBRATE_MS / 1000)
#define SPIN_MAX	100000000ULL	/* give up rather than hang: 0 = unknown */

uint32_t tsc_calibrate_khz(void)
{
	uint64_t t0, t1, spins = 0;

	/* Gate channel 2 on, speaker off; mode 0 raises OUT2 at the count's end. */
	outb(PORT_B, (uint8_t)((inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_COMMAND, PIT_CMD_CH2_ONESHOT);
	outb(PIT_CH2_DATA, PIT_COUNT & 0xff);
	outb(PIT_CH2_DATA, PIT_COUNT >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2))
		if (++spins == SPIN_MAX)
			return 0;
	t1 = rdtsc();
	return (uint32_t)((t1 - t0) / CALIBRATE_MS);
}
