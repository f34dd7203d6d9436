; SPDX-License-Identifier: MIT
; arch/x86/isr.asm: the 32 exception vectors. Each stub pushes a dummy error code
; when the CPU pushes none, then its vector, and joins isr_common, which saves every
; general register and calls loader_exception() (loader/cpu.c), which prints the
; dump and never returns. A triple fault is a bug, never the diagnostic.

bits 64
default rel

extern loader_exception
global isr_stubs

ISR_STUB_SIZE equ 16			; fixed: loader/cpu.c computes stub addresses with it

%macro ISR 1
	align ISR_STUB_SIZE
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
	; the CPU pushed an error code
%else
	push	0
%endif
	push	%1
	jmp	isr_common
%endmacro

section .text
	align ISR_STUB_SIZE
isr_stubs:
%assign v 0
%rep 32
	ISR v
%assign v v+1
%endrep

; isr_common: In: [rsp] = vector, [rsp+8] = error code, then the CPU's frame
; (RIP, CS, RFLAGS, RSP, SS), on the IST1 stack. Builds struct cpu_frame
; (loader/cpu.h) below it and passes its address in RDI.
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
	mov	rdi, rsp
	and	rsp, -16			; the SysV ABI wants a 16-byte aligned call
	call	loader_exception
.hang:
	cli
	hlt
	jmp	.hang
