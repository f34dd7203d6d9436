/* SPDX-License-Identifier: MIT */
/* The loader's vsnprintf (loader/format.c): %[0][width][l|ll|z](d|i|u|x|X|c|s|%). */
#ifndef BATON_LOADER_FORMAT_H
#define BATON_LOADER_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int format_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int format_snprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
