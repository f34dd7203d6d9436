; SPDX-License-Identifier: MIT
; arch/x86/reset.asm: the last way loader/reset.c has to reset the machine.

bits 64
default rel
global arch_triple_fault

section .text

; arch_triple_fault: shut the CPU down, which a PC turns into a reset.
;   In:  anything; IF = 0.
;   Out: never returns. With an IDT of limit 0 no vector can be delivered: the
;        ud2 raises #UD, delivering it raises #GP, delivering that raises #DF,
;        and a fault while delivering #DF is a triple fault: the CPU enters
;        shutdown (SDM Vol. 3A 6.15, "Interrupt 8 - Double Fault Exception"),
;        and the chipset resets the machine.
arch_triple_fault:
	lidt	[rel empty_idt]			; limit 0: every vector is out of bounds
	ud2
.hang:						; not reached: shutdown does not come back
	cli
	hlt
	jmp	.hang

section .rodata
empty_idt:
	dw	0				; limit
	dq	0				; base
