/* SPDX-License-Identifier: MIT */
/*
 * What the libraries expect from an OS, as stops: the stack protector's
 * failure hook (Debian's libfdt.a), newlib's allocator (its string formatting
 * references it for buffers it grows; the stage formats into fixed buffers)
 * and newlib's system calls. None is reached in a good run; each prints what
 * was called and exits QEMU. Defining them keeps newlib's malloc out.
 */
#include "outgoing.h"

#define LIBC_STOP(name) \
	NORETURN void name(void); \
	NORETURN void name(void) { die(EXIT_SETUP, "PANIC libc: %s called", #name); }

LIBC_STOP(__stack_chk_fail)
LIBC_STOP(_malloc_r)
LIBC_STOP(_realloc_r)
LIBC_STOP(_calloc_r)
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

/* Freeing nothing is safe: nothing was ever allocated. */
void _free_r(void *reent, void *p);
void _free_r(void *reent, void *p)
{
	(void)reent;
	(void)p;
}
