; SPDX-License-Identifier: MIT
;
; aps=hostile: the application processors' trampoline (ap.c starts them).
; A template, never run in place: ap.c copies [ap_trampoline, ap_trampoline_end)
; to the page AP_TRAMPOLINE below 1 MiB, fills ap_lo / ap_hi and zeroes ap_alive,
; then sends INIT-SIPI-SIPI with vector AP_TRAMPOLINE >> 12. Position
; independent: real-mode addresses are offsets from CS's base (the page), and
; the 32-bit code reaches the variables through EBX = the page's address. ap.c
; finds each variable at the same offset from ap_trampoline in the copy.

%include "hw.inc"

	global	ap_trampoline, ap_trampoline_end, ap_alive, ap_seen, ap_beat, ap_lo, ap_hi

	section	.rodata.ap_trampoline progbits alloc noexec nowrite align=16

	bits	16

; ap_trampoline: each AP's first instruction after the start-up IPI.
; In:  real mode, CS = page >> 4 (base = the page), IP = 0, paging off, the
;      other registers as INIT left them (SDM Vol. 3A 9.1.1); no stack needed.
; Out: never returns, never stops. Counts itself once in ap_alive (lock inc)
;      and sets bit APIC ID of ap_seen (lock bts), then writes AP_PATTERN ^ its
;      APIC ID to the dword at 4 * APIC ID in every page of [ap_lo, ap_hi), over
;      and over, in 32-bit protected mode with flat segments and paging off,
;      counting each pass over the range in its ap_beat slot.
ap_trampoline:
	cli
	cld
	mov	ax, cs
	mov	ds, ax				; DS = CS: the variables below
	xor	ebx, ebx
	mov	bx, ax
	shl	ebx, 4				; EBX = linear address of this page

	; The GDT's base and the far pointer to ap_pm32 are linear addresses:
	; every AP stores the same two values, so their race is harmless.
	lea	eax, [ebx + ap_gdt - ap_trampoline]
	mov	[ap_gdt_base - ap_trampoline], eax
	lea	eax, [ebx + ap_pm32 - ap_trampoline]
	mov	[ap_pm32_ptr - ap_trampoline], eax

	; GDTR = our GDT; the 32-bit operand size loads all 32 bits of the base.
	o32 lgdt [ap_gdtr - ap_trampoline]
	; CR0.PE = 1: protected mode (SDM Vol. 3A 9.9.1). Paging stays off (INIT
	; cleared CR0.PG); the segment caches keep their real-mode values.
	mov	eax, cr0
	or	eax, CR0_PE
	mov	cr0, eax
	; A far jump right after the MOV CR0, as 9.9.1 requires: loads CS =
	; AP_SEL_CODE32 (32-bit, flat) and runs ap_pm32 at its linear address.
	jmp	far dword [ap_pm32_ptr - ap_trampoline]

	bits	32

ap_pm32:
	; Flat 4 GiB data segments; no stack is used.
	mov	ax, AP_SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax

	mov	esi, ebx			; CPUID overwrites EBX
	mov	eax, 1
	cpuid					; EBX[31:24] = initial APIC ID
	shr	ebx, 24
	and	ebx, AP_MAX_CPUS - 1		; ap.c checks the IDs fit, no write strays
	lock bts dword [esi + ap_seen - ap_trampoline], ebx	; "I, APIC ID ebx, am up"
	lock inc dword [esi + ap_alive - ap_trampoline]
	lea	edx, [ebx * 4]			; this AP's dword in each page
	xor	ebx, AP_PATTERN			; the value it writes
.Lpass:
	inc	dword [esi + ap_beat - ap_trampoline + edx]	; one more pass begins
	mov	edi, [esi + ap_lo - ap_trampoline]
	add	edi, edx
	mov	ecx, [esi + ap_hi - ap_trampoline]
.Lpage:
	cmp	edi, ecx
	jae	.Lpass				; end of the range: start again
	mov	[edi], ebx
	add	edi, 0x1000			; next page
	jmp	.Lpage

	align	8
ap_gdt:
	dq	0				; null
	dq	GDT_CODE32			; AP_SEL_CODE32
	dq	GDT_DATA			; AP_SEL_DATA
ap_gdtr:
	dw	ap_gdtr - ap_gdt - 1		; limit
ap_gdt_base:
	dd	0				; base: set by each AP
ap_pm32_ptr:
	dd	0				; far pointer: offset, set by each AP,
	dw	AP_SEL_CODE32			; and selector

; Set by ap.c in the copy before the start-up IPIs.
	align	4
ap_alive:
	dd	0				; APs up (lock inc by each)
ap_seen:
	dd	0				; bit n: APIC ID n is up (lock bts)
ap_beat:
	times AP_MAX_CPUS dd 0			; passes over the range, per APIC ID
ap_lo:
	dd	0				; the range they write: first page,
ap_hi:
	dd	0				; and its end (exclusive), below 4 GiB
ap_trampoline_end:

; The copy must fit its page: a TIMES count of -1 fails the build.
	times	-((ap_trampoline_end - ap_trampoline) > 0x1000) db 0
