/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * include/baton/hook.h: the user interface of the kernel hook, /dev/baton
 * (hook/linux/dev.c, docs/hook.md). Shared by the module and by every program
 * that loads through it; <linux/types.h> only, as a kernel uapi header.
 *
 *   fd = open("/dev/baton", O_WRONLY)      CAP_SYS_BOOT, one writer (EBUSY)
 *   pwrite(fd, buf, len, dst)              bytes for physical address dst
 *   ioctl(fd, BATON_IOC_COMMIT, &rec)      entry, zero and claim ranges
 *   close(fd)                              seals and arms: its return is the verdict
 *
 * Values shared with the handoff (include/baton/handoff.h) keep its numbers:
 * entry_mode is BATON_MODE_LONG64 (1) or BATON_MODE_PROT32 (2), regs[] are in
 * BATON_REG_* order, a range's kind is BATON_L_ZERO (3) or BATON_L_CLAIM (4).
 * They are repeated here because userspace programs need not include the
 * handoff's header; the module (hook/linux/dev.c) asserts that both agree.
 */
#ifndef BATON_HOOK_H
#define BATON_HOOK_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define BATON_HOOK_VERSION	1

#define BATON_HOOK_MODE_LONG64	1	/* = BATON_MODE_LONG64 */
#define BATON_HOOK_MODE_PROT32	2	/* = BATON_MODE_PROT32 */
#define BATON_HOOK_REGS		7	/* = BATON_REG_COUNT: rax rbx rcx rdx rsi rdi rbp */
#define BATON_HOOK_ZERO		3	/* = BATON_L_ZERO: the pages must end up zero */
#define BATON_HOOK_CLAIM	4	/* = BATON_L_CLAIM: the pages must only be free */
#define BATON_HOOK_RANGES_MAX	1024

/* One zero or claim range: 24 bytes. */
struct baton_hook_range {
	__u64 addr;		/* 0x00: physical, 4 KiB aligned */
	__u64 pages;		/* 0x08: at least 1 */
	__u32 kind;		/* 0x10: BATON_HOOK_ZERO or BATON_HOOK_CLAIM */
	__u32 pad;		/* 0x14: zero */
};

/* The commit record: 128 bytes. Grows only at the tail, with a version bump. */
struct baton_hook_commit {
	__u32 version;		/* 0x00: BATON_HOOK_VERSION */
	__u32 size;		/* 0x04: sizeof(struct baton_hook_commit) */
	__u32 entry_mode;	/* 0x08: BATON_HOOK_MODE_* */
	__u32 range_count;	/* 0x0c: entries at ranges, at most BATON_HOOK_RANGES_MAX */
	__u64 entry_addr;	/* 0x10: physical, inside a written destination page */
	__u64 regs[BATON_HOOK_REGS]; /* 0x18: rax rbx rcx rdx rsi rdi rbp */
	__u64 ranges;		/* 0x50: user pointer to struct baton_hook_range[range_count] */
	__u64 timings;		/* 0x58: physical address of the payload's timing slot
				 * (the ELF boot info's /baton/timings), or 0 */
	__u16 console_port;	/* 0x60: the loader's serial console, an I/O port
				 * (0x3f8 for ttyS0), or 0: no console */
	__u16 pad16;		/* 0x62: zero */
	__u32 pad32;		/* 0x64: zero */
	__u64 reserved[3];	/* 0x68: zero */
};

#define BATON_IOC_COMMIT	_IOW('B', 1, struct baton_hook_commit)

#endif
