/* SPDX-License-Identifier: MIT */
/*
 * Parking the application processors. Whatever the outgoing side left running on
 * the other CPUs (its own idle loops, a hook that forgot one, a hostile loop
 * writing memory) must stop before the first byte of the new world is written.
 * INIT does that: a CPU that takes INIT resets into wait-for-SIPI, where it
 * touches no memory until the next kernel starts it with INIT-SIPI-SIPI, the way
 * it starts APs at boot (SDM Vol. 3A 8.4.4, 10.6.1).
 *
 * INIT goes to "all excluding self", through whichever interface the local
 * APIC is in: MMIO for xAPIC, the ICR MSR for x2APIC, and the loader waits
 * 10 ms, the settle time the SDM's MP initialisation uses after INIT. It does
 * that twice: a start-up IPI the outgoing side sent while the AP was already
 * running (INIT-SIPI-SIPI sends two) can stay latched in an emulated APIC (QEMU
 * TCG) and restart the AP as soon as the first INIT puts it in wait-for-SIPI;
 * the second INIT stops it again, with no SIPI left to restart it.
 *
 * Only the BSP sends it: INIT makes a BSP restart at the reset vector, so a
 * loader running on an AP (a crash kexec from another CPU) leaves them running
 * and says so.
 */
#include "core/check.h"
#include "loader/loader.h"

#define PARK_SETTLE_US	10000
#define PARK_ROUNDS	2
_Static_assert(PARK_ROUNDS == 2, "the park step's log line says twice");
#define ICR_SPINS	100000

static void delay_us(uint64_t us)
{
	if (L.tsc_khz) {
		uint64_t end = rdtsc() + us * L.tsc_khz / 1000;

		while (rdtsc() < end)
			__asm__ volatile("pause");
		return;
	}
	for (uint64_t i = 0; i < us; i++)	/* an ISA port write takes about 1 us */
		outb(0x80, 0);
}

/* xAPIC: write the ICR, then wait (bounded) until the APIC has sent it. */
static int xapic_send(volatile uint32_t *apic, uint32_t icr_lo)
{
	apic[APIC_ICR_HI / 4] = 0;
	apic[APIC_ICR_LO / 4] = icr_lo;
	for (int i = 0; i < ICR_SPINS; i++)
		if (!(apic[APIC_ICR_LO / 4] & ICR_BUSY))
			return 0;
	return -1;
}

void smp_park(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t init = ICR_INIT | ICR_ASSERT | ICR_ALL_BUT_SELF;
	const char *how;

#ifdef BATON_TEST_BUILD
	if (L.c->seen.h.test_flags & BATON_TEST_NO_PARK) {
		step_log(STEP_PARK, "APs NOT parked: test switch BATON_TEST_NO_PARK");
		return;
	}
#endif
	if (!(base & APIC_BASE_EN)) {
		/* With its APIC off this CPU cannot have started others, nor stop them. */
		step_log(STEP_PARK, "local APIC disabled (APIC_BASE 0x%lx): no APs to park",
			 (unsigned long)base);
		return;
	}
	if (!(base & APIC_BASE_BSP)) {
		/* INIT restarts a BSP at the reset vector, into firmware: never send it. */
		step_log(STEP_PARK, "running on an AP, not the BSP: APs NOT parked (INIT would restart the BSP into firmware)");
		return;
	}
	for (int round = 0; round < PARK_ROUNDS; round++) {
		if (base & APIC_BASE_EXTD) {
			wrmsr(MSR_X2APIC_ICR, init);	/* x2APIC: no delivery status */
			how = "x2APIC";
		} else {
			volatile uint32_t *apic = (volatile uint32_t *)(base & APIC_BASE_ADDR);

			if (xapic_send(apic, init))
				panic("park", "xAPIC at 0x%lx: INIT still pending after %d polls",
				      (unsigned long)(base & APIC_BASE_ADDR), ICR_SPINS);
			how = "xAPIC";
		}
		delay_us(PARK_SETTLE_US);
	}
	step_log(STEP_PARK, "INIT sent to all other CPUs through the %s, twice, %u ms apart: APs wait for SIPI",
		 how, PARK_SETTLE_US / 1000);
}
