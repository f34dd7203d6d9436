; SPDX-License-Identifier: MIT
; arch/x86/launch.asm: the last instructions of the loader.

bits 64
default rel
global arch_launch64

; arch_launch64(entry, args, stack_top): start a 64-bit image.
;   In:  RDI = entry (physical, identity-mapped), RSI = pointer to 4 u64 arguments,
;        RDX = top of the stack to hand over (16-byte aligned).
;   Out: at entry: RDI, RSI, RDX, RCX = args[0..3]; RSP = stack_top - 8 with a zero
;        return address at [RSP] (as right after a call); every other general
;        register zero; RFLAGS = 0x2 (IF = 0, DF = 0). CR0/CR3/CR4/EFER, GDT and
;        segments as the loader set them (docs/entry.md).
arch_launch64:
	mov	rax, rdi			; rax = entry
	mov	rsp, rdx
	push	0				; the fake return address
	mov	rdi, [rsi]
	mov	rdx, [rsi + 16]
	mov	rcx, [rsi + 24]
	mov	rsi, [rsi + 8]
	push	rax				; entry, popped by the ret below
	push	2				; RFLAGS: only the always-one bit
	popfq
	xor	eax, eax
	xor	ebx, ebx
	xor	ebp, ebp
	xor	r8d, r8d
	xor	r9d, r9d
	xor	r10d, r10d
	xor	r11d, r11d
	xor	r12d, r12d
	xor	r13d, r13d
	xor	r14d, r14d
	xor	r15d, r15d
	ret					; to entry; RSP ends at the fake return address
