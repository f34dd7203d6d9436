; SPDX-License-Identifier: MIT
; arch/x86/isr.asm: the 32 exception vectors. Each stub pushes a dummy error code
; when the CPU pushes none, then its vector, and joins isr_common, which saves every
; general register and calls arch_exception() (each program implements it, with
; the helpers of arch/x86/cpu.c), which prints the dump and never returns. A triple
; fault is a bug, never the diagnostic. Shared by the loader and the outgoing
; test kernel.

bits 64
default rel
%include "asm-offsets.inc"		; ISR_STUB_SIZE, from arch/x86/cpu.h

extern arch_exception
global isr_stubs

; Each stub exactly ISR_STUB_SIZE bytes (push 0, push imm8, jmp rel32: 9 at most),
; padded with int3; a longer one makes the times count negative and fails the build.
%macro ISR 1
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
	; the CPU pushed an error code
%else
	push	0
%endif
	push	%1
	jmp	near isr_common
	times ISR_STUB_SIZE * (%1 + 1) - ($ - isr_stubs) int3
%endmacro

section .text
	align 16
isr_stubs:
%assign v 0
%rep 32
	ISR v
%assign v v+1
%endrep

; isr_common: In: [rsp] = vector, [rsp+8] = error code, then the CPU's frame
; (RIP, CS, RFLAGS, RSP, SS). Builds struct cpu_frame (arch/x86/cpu.h) below it
; and passes its address in RDI.
isr_common:
	push	rax
	push	rbx
	push	rcx
	push	rdx
	push	rsi
	push	rdi
	push	rbp
	push	r8
	push	r9
	push	r10
	push	r11
	push	r12
	push	r13
	push	r14
	push	r15
	cld					; the C handler may assume DF = 0 (SysV ABI)
	mov	rdi, rsp
	and	rsp, -16			; the SysV ABI wants a 16-byte aligned call
	call	arch_exception
.hang:
	cli
	hlt
	jmp	.hang
