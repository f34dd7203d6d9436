; SPDX-License-Identifier: MIT
; arch/x86/launch.asm: the last instructions of the loader.

bits 64
default rel
%use ifunc				; ilog2e(): a bit's number from its mask
%include "asm-offsets.inc"
%include "hw.inc"
global arch_launch64

; arch_launch64(entry, regs, stack_top): start a 64-bit image.
;   In:  RDI = entry (physical, identity-mapped), RSI = pointer to the registers
;        (struct baton_entry.regs: RAX, RBX, RCX, RDX, RSI, RDI, RBP), RDX = top of
;        the stack to hand over (16-byte aligned).
;   Out: at entry: those seven registers from regs; RSP = stack_top - 8 with a
;        zero return address at [RSP] (as right after a call); R8-R15 zero;
;        RFLAGS = 0x2 (IF = 0, DF = 0). CR0/CR3/CR4/EFER, GDT and segments as the
;        loader set them (docs/entry.md).
arch_launch64:
	mov	rsp, rdx
	push	0				; the fake return address
	push	rdi				; entry, popped by the ret below
	push	2				; RFLAGS: only the always-one bit
	popfq
	xor	r8d, r8d
	xor	r9d, r9d
	xor	r10d, r10d
	xor	r11d, r11d
	xor	r12d, r12d
	xor	r13d, r13d
	xor	r14d, r14d
	xor	r15d, r15d
	mov	rax, [rsi + 8 * BATON_REG_RAX]
	mov	rbx, [rsi + 8 * BATON_REG_RBX]
	mov	rcx, [rsi + 8 * BATON_REG_RCX]
	mov	rdx, [rsi + 8 * BATON_REG_RDX]
	mov	rdi, [rsi + 8 * BATON_REG_RDI]
	mov	rbp, [rsi + 8 * BATON_REG_RBP]
	mov	rsi, [rsi + 8 * BATON_REG_RSI]
	ret					; to entry; RSP ends at the fake return address

; The 32-bit trampoline: copied by loader/launch.c to a page below 4 GiB that no
; run owns, then entered there (arch_jump) to leave long mode and start a 32-bit
; image with paging off. Position independent: it runs only as that copy.
;
;   In:  64-bit mode, CS = 0x10 (the loader's GDT), IF = 0; RDI = the page's
;        address (below 4 GiB, identity-mapped, so it survives paging off);
;        tramp32_regs in the page filled in (struct launch32, loader/launch.c).
;   Out: at regs.eip: protected mode, CR0.PG = 0, EFER.LME = 0, CR4.PAE = 0,
;        CR4.LA57 = 0, CR3 = 0; CS = 0x10 flat 32-bit code, DS = ES = SS = FS = GS = 0x18 flat
;        data, from the page's own GDT; the page's IDT (every exception vector on
;        tramp32_fault, built by loader/launch.c); EFLAGS = 0x2; every GPR from
;        regs (ESP = regs.esp after the jump).
global tramp32_start, tramp32_regs, tramp32_idtr, tramp32_fault, tramp32_end

section .rodata.tramp32 progbits alloc noexec nowrite align=16
tramp32_start:
bits 64
	lea	rax, [rel t_gdt]		; the GDT must stay reachable with paging off:
	mov	[rel t_gdtr + 2], rax		; use the page's own, not the loader's
	lgdt	[rel t_gdtr]
	mov	ebx, edi			; ebx = page base, for the 32-bit half
	push	BATON_BOOT_CS			; flat 32-bit code: compatibility mode
	lea	rax, [rel t_compat]
	push	rax
	o64 retf
bits 32
t_compat:
	mov	eax, BATON_BOOT_DS
	mov	ds, eax
	mov	es, eax
	mov	ss, eax
	mov	fs, eax
	mov	gs, eax
	mov	eax, cr0			; paging off: long mode deactivates (LMA = 0),
	btr	eax, ilog2e(CR0_PG)		; legal only from compatibility mode with
	mov	cr0, eax			; identity-mapped code (SDM 3A 9.8.5.4)
	mov	ecx, MSR_EFER
	rdmsr
	btr	eax, ilog2e(EFER_LME)		; EFER.LME off
	wrmsr
	mov	eax, cr4			; with paging off even LA57 may change
	and	eax, ~(CR4_PAE | CR4_PGE | CR4_LA57 | CR4_PCIDE)
	mov	cr4, eax
	xor	eax, eax
	mov	cr3, eax
	lidt	[ebx + (tramp32_idtr - tramp32_start)]
	mov	esp, [ebx + (tramp32_regs - tramp32_start) + R_ESP]
	push	dword [ebx + (tramp32_regs - tramp32_start) + R_EIP]
	push	dword 2				; EFLAGS: IF = 0, DF = 0
	popfd
	lea	eax, [ebx + (tramp32_regs - tramp32_start)]
	mov	ecx, [eax + R_ECX]
	mov	edx, [eax + R_EDX]
	mov	esi, [eax + R_ESI]
	mov	edi, [eax + R_EDI]
	mov	ebp, [eax + R_EBP]
	mov	ebx, [eax + R_EBX]
	mov	eax, [eax + R_EAX]
	ret					; to regs.eip

; tramp32_fault: every exception vector until the image loads its own IDT, in the
; trampoline or the image's first 32-bit instructions: one PANIC line on the
; console with the top of the stack (error code if any, EIP, CS, EFLAGS), then
; the exit port (tests) or a halt. Never a triple fault as the diagnostic.
tramp32_fault:
	cld
	mov	eax, BATON_BOOT_DS		; flat data, whatever the image loaded
	mov	ds, eax
	mov	es, eax
	call	.here				; ebx = the page, whatever the image did
.here:
	pop	ebx
	sub	ebx, .here - tramp32_start
	movzx	edx, word [ebx + (tramp32_regs - tramp32_start) + R_CON_PORT]
	lea	esi, [ebx + (t_msg - tramp32_start)]
	call	t_puts
	xor	esi, esi			; esi = which dword of the frame
.word:
	mov	al, ' '
	call	t_putc
	mov	eax, [esp + esi * 4]
	mov	ecx, 8
.nibble:
	rol	eax, 4
	push	eax
	and	eax, 0xf
	mov	al, [ebx + (t_hex - tramp32_start) + eax]
	call	t_putc
	pop	eax
	loop	.nibble
	inc	esi
	cmp	esi, 4
	jb	.word
	mov	al, 13
	call	t_putc
	mov	al, 10
	call	t_putc
	movzx	edx, word [ebx + (tramp32_regs - tramp32_start) + R_EXIT_PORT]
	test	edx, edx
	jz	.no_exit
	mov	al, BATON_EXIT_PANIC
	out	dx, al
	jmp	.halt
.no_exit:					; the handoff's reset, as loader/reset.c
	cmp	byte [ebx + (tramp32_regs - tramp32_start) + R_RESET_ACTION], BATON_PANIC_HALT
	je	.halt
	mov	ecx, [ebx + (tramp32_regs - tramp32_start) + R_RESET_WAIT]
	call	t_wait				; the delay: the line can be read
	mov	ecx, [ebx + (tramp32_regs - tramp32_start) + R_RESET_ACPI]
	jecxz	.cf9				; no register, or one paging off cannot reach
	lea	esi, [ebx + (t_acpi - tramp32_start)]
	call	t_say
	mov	al, [ebx + (tramp32_regs - tramp32_start) + R_RESET_VALUE]
	cmp	byte [ebx + (tramp32_regs - tramp32_start) + R_RESET_SPACE], BATON_RESET_SPACE_IO
	jne	.acpi_mem
	mov	edx, ecx
	out	dx, al
	jmp	.acpi_tried
.acpi_mem:
	mov	[ecx], al
.acpi_tried:
	call	t_try
.cf9:
	lea	esi, [ebx + (t_cf9 - tramp32_start)]
	call	t_say
	mov	edx, RST_CNT_PORT
	mov	al, RST_CNT_SYS_RST
	out	dx, al
	mov	al, RST_CNT_SYS_RST | RST_CNT_RST_CPU | RST_CNT_FULL_RST
	out	dx, al
	call	t_try
	lea	esi, [ebx + (t_kbc - tramp32_start)]
	call	t_say
	mov	ecx, UART_SPINS			; bounded: the controller may be gone
.ibf:
	in	al, KBC_STATUS
	test	al, KBC_STATUS_IBF
	loopnz	.ibf
	mov	al, KBC_CMD_RESET
	out	KBC_STATUS, al
	call	t_try
	lea	esi, [ebx + (t_triple - tramp32_start)]
	call	t_say
	lidt	[ebx + (t_null_idtr - tramp32_start)]
	int3					; no IDT: #GP, #DF, shutdown
.halt:
	cli
	hlt
	jmp	.halt

; t_say: "baton: [entry32] ", the string at ESI, CR LF, to the handoff's UART.
t_say:
	push	esi
	movzx	edx, word [ebx + (tramp32_regs - tramp32_start) + R_CON_PORT]
	lea	esi, [ebx + (t_prefix - tramp32_start)]
	call	t_puts
	pop	esi
	call	t_puts
	mov	al, 13
	call	t_putc
	mov	al, 10
	jmp	t_putc

; t_try: the time one method has to take effect; t_wait: ECX writes to the POST
; port, about a microsecond each on a PC (loader/reset.c's clock without a TSC).
t_try:
	mov	ecx, [ebx + (tramp32_regs - tramp32_start) + R_RESET_TRY]
t_wait:
	jecxz	.done
.post:
	out	POST_PORT, al
	loop	.post
.done:
	ret

; t_puts: the NUL-terminated string at ESI to the UART at DX (0: nowhere).
t_puts:
	lodsb
	test	al, al
	jz	.done
	call	t_putc
	jmp	t_puts
.done:
	ret

; t_putc: AL to the UART at DX, after a bounded wait for room. Keeps all but EFLAGS.
t_putc:
	test	edx, edx
	jz	.none
	push	ecx
	push	eax
	add	edx, UART_LSR
	mov	ecx, UART_SPINS
.wait:
	in	al, dx
	test	al, UART_LSR_THRE
	loopz	.wait
	sub	edx, UART_LSR
	pop	eax
	out	dx, al
	pop	ecx
.none:
	ret

t_msg:	db	"PANIC entry32: CPU exception before the image loaded its own IDT; stack [esp..esp+12]:", 0
t_hex:	db	"0123456789abcdef"
t_prefix: db	"baton: [entry32] ", 0
t_acpi:	db	"reset: ACPI reset register", 0
t_cf9:	db	"reset: port 0xcf9 <- 0x2, 0xe", 0
t_kbc:	db	"reset: keyboard controller, port 0x64 <- 0xfe", 0
t_triple: db	"reset: triple fault", 0
t_null_idtr:
	dw	0
	dd	0

align 8
t_gdt:
	dq	0, 0
	dq	GDT_CODE32			; BATON_BOOT_CS (0x10): flat 4 GiB 32-bit code
	dq	GDT_DATA			; BATON_BOOT_DS (0x18): flat 4 GiB data
t_gdtr:
	dw	t_gdtr - t_gdt - 1
	dq	0				; base, set above
tramp32_idtr:
	dw	0				; limit and base: loader/launch.c
	dd	0
align 4
tramp32_regs:
	times LAUNCH32_SIZE db 0			; struct launch32 (arch/x86/launch.h)
tramp32_end:
	; The build fails if the code would reach the IDT loader/launch.c puts at 0x800.
	times -((tramp32_end - tramp32_start) > TRAMP32_IDT_OFF) db 0
