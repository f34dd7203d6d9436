/* SPDX-License-Identifier: MIT */
/*
 * The serial console (COM1) and the ways out: a small printf, one-line
 * messages prefixed "outgoing: ", and exits through QEMU's isa-debug-exit.
 */
#include <stddef.h>
#include "cpu.h"
#include "outgoing.h"

void con_init(void)
{
	outb(COM1_PORT + UART_IER, 0);			/* no interrupts */
	outb(COM1_PORT + UART_LCR, UART_LCR_DLAB);
	outb(COM1_PORT + UART_DLL, 1);			/* 115200 baud */
	outb(COM1_PORT + UART_DLM, 0);
	outb(COM1_PORT + UART_LCR, UART_LCR_8N1);
	outb(COM1_PORT + UART_FCR, UART_FCR_ENABLE_CLEAR);
	outb(COM1_PORT + UART_MCR, UART_MCR_DTR_RTS);
}

/* Bounded wait: a missing UART costs time, never a hang. */
static void con_putc(char c)
{
	for (unsigned i = 0; i < UART_SPINS; i++)
		if (inb(COM1_PORT + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1_PORT + UART_THR, (uint8_t)c);
}

static void con_pad(char c, int n)
{
	while (n-- > 0)
		con_putc(c);
}

static void con_number(uint64_t v, unsigned base, int neg, int width, char fill)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	con_pad(fill, width - n);
	while (n)
		con_putc(buf[--n]);
}

static void con_string(const char *s, int prec, int width)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while ((prec < 0 || n < prec) && s[n])
		n++;
	con_pad(' ', width - n);
	for (int i = 0; i < n; i++)
		con_putc(s[i]);
}

/* One conversion: %[0][width][.prec|.*][l|ll|z](d|u|x|s|c). */
static const char *con_conversion(const char *f, va_list *ap)
{
	char fill = ' ';
	int width = 0, prec = -1, lng = 0;

	if (*f == '0')
		fill = *f++;
	while (*f >= '0' && *f <= '9')
		width = width * 10 + (*f++ - '0');
	if (*f == '.' && f[1] == '*') {
		prec = va_arg(*ap, int);
		f += 2;
	}
	while (*f == 'l' || *f == 'z') {
		lng = 1;
		f++;
	}
	switch (*f) {
	case 'd': {
		int64_t v = lng ? va_arg(*ap, int64_t) : va_arg(*ap, int);

		con_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, fill);
		break;
	}
	case 'u':
		con_number(lng ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned), 10, 0,
			   width, fill);
		break;
	case 'x':
		con_number(lng ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned), 16, 0,
			   width, fill);
		break;
	case 's':
		con_string(va_arg(*ap, const char *), prec, width);
		break;
	case 'c':
		con_putc((char)va_arg(*ap, int));
		break;
	default:
		con_putc(*f ? *f : '%');
		break;
	}
	return *f ? f + 1 : f;
}

void con_vprintf(const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%')
			con_putc(*fmt++);
		else
			fmt = con_conversion(fmt + 1, &aq);
	}
	va_end(aq);
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}

void say(const char *fmt, ...)
{
	va_list ap;

	con_printf("outgoing: ");
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_putc('\n');
}

NORETURN void qemu_exit(int code)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)code);
	cpu_halt_forever();		/* no isa-debug-exit device: stop here */
	__builtin_unreachable();
}

NORETURN void die(int code, const char *fmt, ...)
{
	va_list ap;

	con_printf("outgoing: ");
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_putc('\n');
	qemu_exit(code);
}
