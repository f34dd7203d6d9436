; SPDX-License-Identifier: MIT
;
; The probe's entry. Records every register the loader hands over into
; probe_entry_state (tests/qemu/probe/probe.h: the offsets below must match it)
; before changing anything, then moves to the probe's own stack, GDT and IDT,
; enables SSE, points FS_BASE at the stack-protector canary block libfdt reads
; at %fs:0x28, and calls probe_main(&state), which never returns.

bits 64
default rel

; struct probe_entry_state offsets
%define S_RAX		0x00
%define S_RBX		0x08
%define S_RCX		0x10
%define S_RDX		0x18
%define S_RSI		0x20
%define S_RDI		0x28
%define S_RBP		0x30
%define S_RSP		0x38
%define S_R8		0x40
%define S_R9		0x48
%define S_R10		0x50
%define S_R11		0x58
%define S_R12		0x60
%define S_R13		0x68
%define S_R14		0x70
%define S_R15		0x78
%define S_RFLAGS	0x80
%define S_CS		0x88
%define S_DS		0x90
%define S_ES		0x98
%define S_SS		0xa0
%define S_FS		0xa8
%define S_GS		0xb0
%define S_CR0		0xb8
%define S_CR2		0xc0
%define S_CR3		0xc8
%define S_CR4		0xd0
%define S_EFER		0xd8
%define S_FS_BASE	0xe0
%define S_GS_BASE	0xe8
%define S_TSC		0xf0
%define S_RET		0xf8
%define S_GDTR		0x100
%define S_IDTR		0x110
%define S_ENTRIES	0x120
%define S_SIZE		0x128

%include "hw.inc"			; arch/x86/hw.h: MSR_*, CR0_*, CR4_*

%define SEL_CODE	0x10
%define SEL_DATA	0x18

%define STACK_SIZE	0x10000

extern probe_main
extern __bss_check_end
extern __bss_end
global _start
global probe_entry_state
global probe_canary_block
global probe_stack_bottom
global probe_stack_top

section .text.entry progbits alloc exec nowrite align=16
_start:
	; 1. General registers, exactly as handed over.
	mov	[probe_entry_state + S_RAX], rax
	mov	[probe_entry_state + S_RBX], rbx
	mov	[probe_entry_state + S_RCX], rcx
	mov	[probe_entry_state + S_RDX], rdx
	mov	[probe_entry_state + S_RSI], rsi
	mov	[probe_entry_state + S_RDI], rdi
	mov	[probe_entry_state + S_RBP], rbp
	mov	[probe_entry_state + S_RSP], rsp
	mov	[probe_entry_state + S_R8], r8
	mov	[probe_entry_state + S_R9], r9
	mov	[probe_entry_state + S_R10], r10
	mov	[probe_entry_state + S_R11], r11
	mov	[probe_entry_state + S_R12], r12
	mov	[probe_entry_state + S_R13], r13
	mov	[probe_entry_state + S_R14], r14
	mov	[probe_entry_state + S_R15], r15
	; 2. Flags: pushfq writes one word below the loader's RSP (it promises
	;    8 KiB there). Then the fake return address at [rsp].
	pushfq
	pop	rax
	mov	[probe_entry_state + S_RFLAGS], rax
	mov	rax, [rsp]
	mov	[probe_entry_state + S_RET], rax
	; 3. Selectors.
	xor	eax, eax
	mov	ax, cs
	mov	[probe_entry_state + S_CS], rax
	mov	ax, ds
	mov	[probe_entry_state + S_DS], rax
	mov	ax, es
	mov	[probe_entry_state + S_ES], rax
	mov	ax, ss
	mov	[probe_entry_state + S_SS], rax
	mov	ax, fs
	mov	[probe_entry_state + S_FS], rax
	mov	ax, gs
	mov	[probe_entry_state + S_GS], rax
	; 4. Control registers, MSRs, descriptor tables, TSC.
	mov	rax, cr0
	mov	[probe_entry_state + S_CR0], rax
	mov	rax, cr2
	mov	[probe_entry_state + S_CR2], rax
	mov	rax, cr3
	mov	[probe_entry_state + S_CR3], rax
	mov	rax, cr4
	mov	[probe_entry_state + S_CR4], rax
	mov	ecx, MSR_EFER
	rdmsr
	shl	rdx, 32
	or	rax, rdx
	mov	[probe_entry_state + S_EFER], rax
	mov	ecx, MSR_FS_BASE
	rdmsr
	shl	rdx, 32
	or	rax, rdx
	mov	[probe_entry_state + S_FS_BASE], rax
	mov	ecx, MSR_GS_BASE
	rdmsr
	shl	rdx, 32
	or	rax, rdx
	mov	[probe_entry_state + S_GS_BASE], rax
	sgdt	[probe_entry_state + S_GDTR]
	sidt	[probe_entry_state + S_IDTR]
	rdtsc
	shl	rdx, 32
	or	rax, rdx
	mov	[probe_entry_state + S_TSC], rax
	inc	qword [probe_entry_state + S_ENTRIES]

	; Recorded: from here on the probe runs on its own ground.
	cli
	cld
	; Zero the probe's working bss (stack, statics, newlib's) itself, so that
	; a loader that fails to zero the bss cannot derail the report: only the
	; checked area [__bss_check_start, __bss_check_end) is left as loaded.
	lea	rdi, [__bss_check_end]
	lea	rcx, [__bss_end]
	sub	rcx, rdi
	xor	eax, eax
	rep stosb
	lea	rsp, [probe_stack_top]
	xor	ebp, ebp

	; Own GDT (the loader's may be anywhere), reload every selector.
	lgdt	[gdt_ptr]
	push	SEL_CODE
	lea	rax, [.reloaded]
	push	rax
	o64 retf
.reloaded:
	mov	eax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	xor	eax, eax
	mov	fs, ax
	mov	gs, ax

	; SSE: CR0.EM = 0, CR0.TS = 0, CR0.MP = 1; CR4.OSFXSR | OSXMMEXCPT.
	mov	rax, cr0
	and	rax, ~(CR0_EM | CR0_TS)
	or	rax, CR0_MP
	mov	cr0, rax
	mov	rax, cr4
	or	rax, CR4_OSFXSR | CR4_OSXMMEXCPT
	mov	cr4, rax
	fninit
	ldmxcsr	[mxcsr_default]

	; FS_BASE -> the canary block (libfdt's stack protector reads %fs:0x28).
	; After the selector loads above: loading FS may reset the base.
	lea	rax, [probe_canary_block]
	mov	rdx, rax
	shr	rdx, 32
	mov	ecx, MSR_FS_BASE
	wrmsr

	lea	rdi, [probe_entry_state]
	call	probe_main
.hang:
	cli
	hlt
	jmp	.hang

section .rodata progbits alloc noexec nowrite align=16
gdt:
	dq	0				; 0x00 null
	dq	0				; 0x08 unused
	dq	GDT_CODE64 | DESC_A		; 0x10 64-bit code, accessed
	dq	GDT_DATA | DESC_A		; 0x18 data, accessed
gdt_end:

align 4
mxcsr_default:
	dd	0x1f80

section .data progbits alloc noexec write align=16
gdt_ptr:
	dw	gdt_end - gdt - 1
	dq	gdt

; Written by _start before anything else; in .data (not .bss) so that it is
; file-backed and lies outside the bss the probe checks.
align 64
probe_entry_state:
	times S_SIZE db 0

; %fs:0x28 is the stack-protector canary; libfdt compares it on return.
align 64
probe_canary_block:
	times 0x28 db 0
	dq	0x00ba7042ca4a3100
	times 64 - 0x30 db 0

section .bss.stack nobits alloc noexec write align=16
probe_stack_bottom:
	resb	STACK_SIZE
probe_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
