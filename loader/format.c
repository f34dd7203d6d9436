/* SPDX-License-Identifier: MIT */
/*
 * The loader's printf: just the conversions its messages use, with snprintf's
 * contract (always terminated when len > 0; returns the length the whole output
 * would have had). It replaces newlib's formatter, about 3 KiB of the blob and
 * 2 KiB of state the loader never needed.
 *
 *   %[0][width][l|ll|z](d|i|u|x|X|c|s|%)
 *
 * Anything else is copied as it stands, so a bad format shows in the message
 * instead of reading an argument that is not there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "loader/format.h"

struct out {
	char *buf;
	size_t len, at;		/* at: characters produced, written or not */
};

static void put(struct out *o, char c)
{
	if (o->at + 1 < o->len)
		o->buf[o->at] = c;
	o->at++;
}

static void put_padded(struct out *o, const char *s, size_t n, unsigned width, char pad)
{
	for (; width > n; width--)
		put(o, pad);
	while (n--)
		put(o, *s++);
}

/* One number: digits backwards into a buffer long enough for 2^64 in base 10. */
static void put_number(struct out *o, uint64_t v, int neg, unsigned base, int upper,
		       unsigned width, char pad)
{
	char tmp[24];
	size_t n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		tmp[sizeof(tmp) - 1 - n++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
		v /= base;
	} while (v);
	if (neg) {
		if (pad == '0') {	/* the sign before the zeros: -0042 */
			put(o, '-');
			width = width ? width - 1 : 0;
		} else {
			tmp[sizeof(tmp) - 1 - n++] = '-';
		}
	}
	put_padded(o, tmp + sizeof(tmp) - n, n, width, pad);
}

int format_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct out o = { buf, len, 0 };

	while (*fmt) {
		const char *start = fmt;
		unsigned width = 0, longs = 0;
		char pad = ' ';

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs++, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, long) : va_arg(ap, int);

			put_number(&o, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10, 0,
				   width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);

			put_number(&o, v, 0, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, pad);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&o, &c, 1, width, ' ');
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n = 0;

			if (!s)
				s = "(null)";
			while (s[n])
				n++;
			put_padded(&o, s, n, width, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:	/* not ours: shown as written (a lone % at the end too) */
			while (start < fmt)
				put(&o, *start++);
			continue;
		}
		fmt++;
	}
	if (len)
		buf[o.at < len ? o.at : len - 1] = '\0';
	return (int)o.at;
}

int format_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}
