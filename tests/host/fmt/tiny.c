/* SPDX-License-Identifier: MIT */
/*
 * A real, linker-made ET_EXEC for tests/host/test_fmt.c: text, data and bss,
 * so ld lays out several PT_LOADs with a zero-filled tail. Never run.
 */
int tiny_data[4] = { 1, 2, 3, 4 };
int tiny_bss[1024];

void _start(void)
{
	tiny_bss[0] = tiny_data[1];
	for (;;)
		__asm__ volatile("hlt");
}
