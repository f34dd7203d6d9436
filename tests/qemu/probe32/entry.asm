; SPDX-License-Identifier: MIT
; tests/qemu/probe32/entry.asm: the ELF32 probe's first instructions. They save
; the CPU state exactly as the loader left it, before anything changes it, then
; switch to the probe's own stack and call probe32_main(&state).

bits 32
%include "hw.inc"

extern probe32_main
global _start, probe32_state

section .text.entry progbits alloc exec nowrite align=16
_start:
	jmp	short .start
	ud2					; _start + 2: the outgoing kernel's fault=entry-ud2
.start:						; enters here, to prove the trampoline's IDT
	mov	[probe32_state + 0x00], eax
	mov	[probe32_state + 0x04], ebx
	mov	[probe32_state + 0x08], ecx
	mov	[probe32_state + 0x0c], edx
	mov	[probe32_state + 0x10], esi
	mov	[probe32_state + 0x14], edi
	mov	[probe32_state + 0x18], ebp
	mov	[probe32_state + 0x1c], esp
	pushfd
	pop	dword [probe32_state + 0x20]
	mov	eax, [esp]			; the fake return address
	mov	[probe32_state + 0x24], eax
	mov	eax, cs
	mov	[probe32_state + 0x28], eax
	mov	eax, ds
	mov	[probe32_state + 0x2c], eax
	mov	eax, es
	mov	[probe32_state + 0x30], eax
	mov	eax, ss
	mov	[probe32_state + 0x34], eax
	mov	eax, cr0
	mov	[probe32_state + 0x38], eax
	mov	eax, cr3
	mov	[probe32_state + 0x3c], eax
	mov	eax, cr4
	mov	[probe32_state + 0x40], eax
	mov	ecx, MSR_EFER
	rdmsr
	mov	[probe32_state + 0x44], eax
	rdtsc
	mov	[probe32_state + 0x48], eax
	mov	[probe32_state + 0x4c], edx
	mov	esp, stack_top
	push	probe32_state
	call	probe32_main
.halt:
	cli
	hlt
	jmp	.halt

section .bss
align 16
probe32_state:
	resb	0x50
stack:
	resb	16384
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
