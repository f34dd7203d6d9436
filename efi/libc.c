/* SPDX-License-Identifier: MIT */
/*
 * What newlib and libfdt expect from an OS, for baton.efi: the allocator on
 * boot services' pool (used before ExitBootServices only), and stops for the
 * system calls nothing here makes.
 */
#include <stddef.h>
#include <string.h>
#include "efi/baton_efi.h"

void *_malloc_r(void *reent, size_t n);
void *_malloc_r(void *reent, size_t n)
{
	(void)reent;
	return efi_pool_alloc(n);
}

void _free_r(void *reent, void *p);
void _free_r(void *reent, void *p)
{
	(void)reent;
	efi_pool_free(p);
}

void *_calloc_r(void *reent, size_t a, size_t b);
void *_calloc_r(void *reent, size_t a, size_t b)
{
	void *p;

	(void)reent;
	if (b && a > (size_t)-1 / b)
		return NULL;
	p = efi_pool_alloc(a * b);
	if (p)
		memset(p, 0, a * b);
	return p;
}

#define LIBC_STOP(name) \
	void name(void); \
	void name(void) { efi_stop("libc: " #name " called"); }

LIBC_STOP(__stack_chk_fail)
LIBC_STOP(_realloc_r)
LIBC_STOP(abort)
LIBC_STOP(_exit)
LIBC_STOP(sbrk)
LIBC_STOP(_sbrk)
LIBC_STOP(_write)
LIBC_STOP(_read)
LIBC_STOP(_open)
LIBC_STOP(_close)
LIBC_STOP(_lseek)
LIBC_STOP(_fstat)
LIBC_STOP(_isatty)
LIBC_STOP(_kill)
LIBC_STOP(_getpid)
