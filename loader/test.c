/* SPDX-License-Identifier: MIT */
/*
 * Test switches of the test build (build/loader-test.bin only; loader/build.mk).
 *
 * BATON_TEST_FAULT: read the first byte above the loader's identity map, just
 * before the copy step. The page fault must end in the exception handler's
 * register dump ("PANIC cpu: exception 14 #PF page fault ... cr2=<map top>"), the
 * one diagnostic a loader bug would leave; the QEMU case loader-exception holds
 * it to that.
 *
 * BATON_TEST_CHANGE: change one byte of the first list page's hash word, as a CPU
 * still running could, after the lists were checked and before the park step.
 * The walk after parking must end it: "PANIC check: bad CRC ... over N list
 * pages" (QEMU case fault-changed).
 *
 * BATON_TEST_RESET_SKIP (2 bits): after a panic with no exit port, pass over the
 * first n reset methods (loader/reset.c: ACPI register, port 0xcf9, keyboard
 * controller), logging each, so that each later one is proven to reset the
 * machine by itself (QEMU cases reset-kbc, reset-triple).
 */
#include "core/check.h"
#include "loader/loader.h"

void test_fault_point(void)
{
	if (!(L.c->seen.h.test_flags & BATON_TEST_FAULT))
		return;
	con_printf("baton: test switch BATON_TEST_FAULT: reading 0x%lx, above the identity map\n",
		   (unsigned long)L.c->work.map_top);
	(void)*(volatile uint8_t *)L.c->work.map_top;
}

void test_change_point(void)
{
	const struct baton_handoff *h = &L.c->seen.h;

	if (!(h->test_flags & BATON_TEST_CHANGE) || !h->chain)
		return;
	con_printf("baton: test switch BATON_TEST_CHANGE: one byte of list page 0's hash changed after the lists were checked\n");
	((volatile uint8_t *)(uintptr_t)h->chain)[8] ^= 0x5a;
}

unsigned test_reset_skip(uint32_t test_flags)
{
	return (test_flags & BATON_TEST_RESET_SKIP) >> BATON_TEST_RESET_SKIP_SHIFT;
}
