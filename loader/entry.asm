; SPDX-License-Identifier: MIT
; loader/entry.asm: the loader blob's header and its 64-bit entries.
;
; The blob is a flat binary that runs from any 4 KiB-aligned physical address:
; every address below is RIP-relative, and the linker script (linker/loader.ld)
; fails the build if anything would need a run-time relocation.

bits 64
default rel
%include "asm-offsets.inc"

extern loader_main, cpu_tables_init
extern gdt_ptr, idt_ptr
extern __bss_start, __bss_end, __stack_top
global blob_header, loader_entry, loader_resume, arch_jump

; The header layout is struct baton_blob_header (include/baton/blob.h); the padding
; below puts each field at its generated offset.
section .head.start progbits alloc exec nowrite align=16
blob_header:
	jmp	loader_entry				; 0x00: the blob's first bytes jump to the entry
	times BLOB_MAGIC - ($ - blob_header) db 0xcc
	dd	BATON_BLOB_MAGIC_LO, BATON_BLOB_MAGIC_HI	; magic
	dd	BATON_BLOB_VERSION			; version
	dd	BLOB_HEADER_BYTES			; header_size
; image_size, mem_size, entry64: written by linker/loader.ld (link-time constants,
; so no relocation), between .head.start and .head.end.
section .head.end progbits alloc exec nowrite align=8
	dq	0					; handoff slot, patched by hooks
	dw	0, 0					; con_port, exit_port, patched by the stage
	dd	0

section .text

; loader_entry: the blob's entry, reached from the outgoing side.
;   In:  64-bit long mode, paging on, IF=0, any stack (not used).
;        The caller's page tables identity-map at least the blob and the handoff.
;        RDI = physical address of the handoff, or 0: then the header's handoff slot.
;   Out: never returns. Zeroes the blob's bss, then continues at entry_common.
loader_entry:
	cli
	cld
	lea	rbx, [rel blob_header]		; rbx = where the blob runs
	test	rdi, rdi
	jnz	.have_handoff
	mov	rdi, [rbx + BLOB_HANDOFF]
.have_handoff:
	mov	r12, rdi			; r12 = handoff, kept across the calls below
	lea	rdi, [rel __bss_start]		; the stage copied the image only: clear bss
	lea	rcx, [rel __bss_end]
	sub	rcx, rdi
	xor	eax, eax
	rep stosb
	xor	r13d, r13d			; r13 = 0: first entry
	jmp	entry_common

; loader_resume: entry of a copy of the loader that moved itself
; (loader/main.c:loader_move).
;   In:  as loader_entry, the blob's own page tables active; RDI = the moved handoff.
;        The bss came along with the copy and is kept (step timings live there).
loader_resume:
	cli
	cld
	lea	rbx, [rel blob_header]
	mov	r12, rdi
	mov	r13d, 1				; r13 = 1: resumed after a move

; Own stack, GDT, TSS and IDT, then C. rbx = blob base, r12 = handoff, r13 = resumed.
entry_common:
	lea	rsp, [rel __stack_top]
	call	cpu_tables_init			; fills gdt, tss, idt and their pointers for this address
	lgdt	[rel gdt_ptr]
	push	BATON_BOOT_CS			; reload CS through a far return (SDM 3A 5.8.6)
	lea	rax, [rel .cs_loaded]
	push	rax
	o64 retf
.cs_loaded:
	mov	eax, BATON_BOOT_DS			; flat data segments
	mov	ds, eax
	mov	es, eax
	mov	ss, eax
	xor	eax, eax
	mov	fs, eax
	mov	gs, eax
	mov	eax, SEL_TSS			; the TSS gives exceptions a known-good stack (IST1)
	ltr	ax
	lidt	[rel idt_ptr]			; from here on every exception prints a dump
	mov	rdi, r12
	mov	rsi, rbx
	mov	edx, r13d
	call	loader_main			; never returns
	ud2

; arch_jump(addr, arg): jump to addr with RDI = arg. Used to enter a moved copy.
arch_jump:
	mov	rax, rdi
	mov	rdi, rsi
	jmp	rax
