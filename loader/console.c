/* SPDX-License-Identifier: MIT */
/*
 * The loader's serial console: a 16550 at an I/O port, polled with a bounded wait
 * so that a missing UART can never hang the error path. Formatting is the
 * loader's own (loader/format.c).
 *
 * With a 16550A's FIFO on, one poll of the line status frees 16 bytes, not one:
 * under emulation every port access is slow, and the log's lines were a quarter
 * of the loader's time. The FIFO is switched on once what the outgoing side
 * wrote has left (TEMT), so none of its last line is lost; an 8250 or 16450,
 * which has none, says so in IIR and is written a byte a poll.
 */
#include "arch/x86/hw.h"
#include "core/check.h"
#include "loader/format.h"
#include "loader/loader.h"

static uint16_t con_port, con_exit_port;
static uint8_t con_fifo, con_room;	/* bytes a poll frees; bytes free now */

/* A bounded wait for a line status bit. */
static void con_wait(uint8_t bit)
{
	for (int i = 0; i < UART_SPINS; i++)
		if (inb(con_port + UART_LSR) & bit)
			break;
}

void con_init(uint16_t port, uint16_t exit_port)
{
	con_port = port;
	con_exit_port = exit_port;
	con_fifo = con_room = 1;
	if (!port)
		return;
	con_wait(UART_LSR_TEMT);
	outb(port + UART_FCR, UART_FCR_ENABLE);
	if ((inb(port + UART_IIR) & UART_IIR_FIFO) == UART_IIR_FIFO)
		con_fifo = UART_FIFO_BYTES;
}

static void con_putc(char ch)
{
	if (!con_port)
		return;
	if (!--con_room) {
		con_wait(UART_LSR_THRE);
		con_room = con_fifo;
	}
	outb(con_port + UART_THR, (uint8_t)ch);
}

int check_vformat(char *buf, unsigned long len, const char *fmt, va_list ap)
{
	return format_vsnprintf(buf, len, fmt, ap);
}

void con_vprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = check_vformat(buf, sizeof(buf), fmt, ap);

	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	for (int i = 0; i < n; i++) {
		if (buf[i] == '\n')
			con_putc('\r');
		con_putc(buf[i]);
	}
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}

/* A line's start: the time since the loader was entered, in ms when the TSC
 * rate is known. Returns the TSC it stamped. */
uint64_t con_stamp(void)
{
	uint64_t tsc = rdtsc(), d = tsc - L.tsc[STEP_ENTRY];

	if (L.tsc_khz) {
		uint64_t us = d * 1000 / L.tsc_khz;

		con_printf("baton: [%5lu.%03lu ms] ", (unsigned long)(us / 1000),
			   (unsigned long)(us % 1000));
	} else {
		con_printf("baton: [%12lu tsc] ", (unsigned long)d);
	}
	return tsc;
}

/* A step's name: its timing slot's, from BATON_TIMING_NAMES (one string, the
 * names in step order, each ended by a NUL). */
static const char *step_name(enum step s)
{
	const char *n = BATON_TIMING_NAMES;

	for (; s; s--)
		while (*n++)
			;
	return n;
}

void step_log(enum step s, const char *fmt, ...)
{
	va_list ap;

	L.tsc[s] = con_stamp();
	con_printf("%s: ", step_name(s));
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_printf("\n");
}

/* After a PANIC line (and a register dump): exit QEMU through the exit port in
 * tests, else reset or halt as the handoff says (reset.c). */
__attribute__((noreturn)) void loader_halt(uint8_t exit_code)
{
	if (!con_exit_port)
		reset_after_panic();
	outb(con_exit_port, exit_code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void panic(const char *component, const char *fmt, ...)
{
	va_list ap;

	con_printf("PANIC %s: ", component);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_printf("\n");
	loader_halt(BATON_EXIT_PANIC);
}
