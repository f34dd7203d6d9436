/* SPDX-License-Identifier: MIT */
/*
 * What the libraries expect from an OS, as stops: the stack protector's
 * failure hook (Debian's libfdt.a) and newlib's system calls, none of which
 * this kernel may need. Each prints what was called and exits QEMU.
 */
#include "outgoing.h"

#define LIBC_STOP(name) \
	NORETURN void name(void); \
	NORETURN void name(void) { die(EXIT_SETUP, "PANIC libc: %s called", #name); }

LIBC_STOP(__stack_chk_fail)
LIBC_STOP(abort)
LIBC_STOP(_exit)
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
LIBC_STOP(_gettimeofday)
LIBC_STOP(_times)
LIBC_STOP(_link)
LIBC_STOP(_unlink)
