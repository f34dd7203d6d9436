; SPDX-License-Identifier: MIT
;
; Outgoing test kernel, assembly side: the Multiboot v1 header, the switch from
; 32-bit protected mode to long mode and the final jump to the loader. The
; exception stubs are the loader's (arch/x86/isr.asm); everything else is C
; (main.c:kmain).
;
; QEMU loads build/outgoing.bin, a flat image linked at 1 MiB (outgoing.ld), by
; the header's address fields: QEMU refuses ELF64 Multiboot images.

%include "hw.inc"

	extern	__load_start, __load_end, __bss_end
	extern	kmain, trap_init

	global	_start, outgoing_jump, gdt64

; ---------------------------------------------------------------------------
; Multiboot v1 header (Multiboot Specification 3.1.1): within the first 8 KiB,
; 4-byte aligned. outgoing.ld places this section first and checks it.
	section	.multiboot
	align	4
mb_header:
	dd	MB_HEADER_MAGIC
	dd	MB_HEADER_FLAGS
	dd	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)	; checksum: the three sum to 0
	dd	mb_header		; header_addr: where this header is loaded
	dd	__load_start		; load_addr: file offset 0 goes here (1 MiB)
	dd	__load_end		; load_end_addr: end of .text/.rodata/.data
	dd	__bss_end		; bss_end_addr: the loader zeroes up to here
	dd	_start			; entry_addr

; ---------------------------------------------------------------------------
	section	.text
	bits	32

; _start: the Multiboot entry.
; In:  32-bit protected mode, paging off, IF = 0 (Multiboot 3.2).
;      EAX = MB_BOOT_MAGIC, EBX = physical address of the multiboot info.
;      CS, DS, ES, SS flat 4 GiB; ESP, GDTR, IDTR undefined.
; Out: never returns; long_entry with EDI = multiboot info, ESI = magic.
; Uses the bss (zeroed by the boot loader up to bss_end_addr).
_start:
	cli
	mov	edi, ebx			; keep the multiboot info
	mov	esi, eax			; keep the magic
	mov	esp, boot_stack_top

	; Our own GDT: the boot loader's may be gone. CS keeps its cached
	; descriptor until the far jump below.
	lgdt	[gdt_ptr]
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax

	; Identity map [0, IDMAP_GIB GiB): PML4[0] -> PDPT, PDPT[i] -> PD i,
	; PD entry k maps 2 MiB page k (bits 63:32 of its address = k >> 11).
	mov	eax, pdpt
	or	eax, PTE_P | PTE_W
	mov	[pml4], eax
	xor	ecx, ecx
.Lpdpt:
	mov	eax, ecx
	shl	eax, 12
	add	eax, pd_tables
	or	eax, PTE_P | PTE_W
	mov	[pdpt + ecx * 8], eax
	inc	ecx
	cmp	ecx, IDMAP_GIB
	jb	.Lpdpt
	xor	ecx, ecx
.Lpd:
	mov	eax, ecx
	shl	eax, 21
	or	eax, PTE_P | PTE_W | PTE_PS
	mov	edx, ecx
	shr	edx, 11
	mov	[pd_tables + ecx * 8], eax
	mov	[pd_tables + ecx * 8 + 4], edx
	inc	ecx
	cmp	ecx, IDMAP_GIB * 512
	jb	.Lpd

	; The steps of SDM Vol. 3A "Initializing IA-32e Mode", in order:
	; CR4.PAE = 1: IA-32e paging is PAE paging with a fourth level.
	mov	eax, cr4
	or	eax, CR4_PAE
	mov	cr4, eax
	; 5-level paging when the CPU has it (CPUID.7.0:ECX.LA57), as Linux does:
	; the loader must then cope with a kernel that jumps with CR4.LA57 set.
	; PML5[0] -> the PML4, so the map is the same. CPUID clobbers EBX only.
	mov	ebp, pml4			; ebp = the root for CR3
	xor	eax, eax
	cpuid
	cmp	eax, 7
	jb	.Lroot
	mov	eax, 7
	xor	ecx, ecx
	cpuid
	test	ecx, CPUID7_ECX_LA57
	jz	.Lroot
	mov	eax, pml4
	or	eax, PTE_P | PTE_W
	mov	[pml5], eax
	mov	eax, cr4
	or	eax, CR4_LA57
	mov	cr4, eax
	mov	ebp, pml5
.Lroot:
	; CR3 = the root (below 4 GiB, as a 32-bit CR3 load requires).
	mov	cr3, ebp
	; EFER.LME = 1: long mode becomes active when paging is turned on.
	mov	ecx, MSR_EFER
	rdmsr
	or	eax, EFER_LME
	wrmsr
	; CR0.PG = 1: enables paging and activates IA-32e mode (sets EFER.LMA);
	; we run in compatibility mode until CS is reloaded.
	mov	eax, cr0
	or	eax, CR0_PG | CR0_PE
	mov	cr0, eax
	; Far jump to a code segment with L = 1: 64-bit mode.
	jmp	SEL_CODE64:long_entry

	bits	64

; long_entry: first 64-bit instructions.
; In:  64-bit mode, CS = SEL_CODE64, our page tables, EDI = multiboot info,
;      ESI = magic (bits 63:32 of both undefined after the mode switch).
; Out: never returns: kmain(mbi, magic) does not return either.
long_entry:
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	xor	eax, eax
	mov	fs, ax				; before the FS_BASE write: a selector
	mov	gs, ax				; load would reset the base
	mov	edi, edi			; zero-extend the two arguments
	mov	esi, esi
	mov	rsp, boot_stack_top

	; SSE (SDM Vol. 3A "Initialization of the SSE extensions"): CR0.EM = 0
	; and CR0.TS = 0 so SSE instructions run, CR0.MP = 1, CR4.OSFXSR = 1
	; to enable them, CR4.OSXMMEXCPT = 1 so SIMD errors raise #XM.
	mov	rax, cr0
	and	rax, ~(CR0_EM | CR0_TS)
	or	rax, CR0_MP
	mov	cr0, rax
	mov	rax, cr4
	or	rax, CR4_OSFXSR | CR4_OSXMMEXCPT
	mov	cr4, rax
	fninit

	; IA32_FS_BASE = fs_block: Debian's libfdt.a is built with the stack
	; protector and reads its canary at %fs:0x28.
	mov	ecx, MSR_FS_BASE
	mov	rax, fs_block
	mov	rdx, rax
	shr	rdx, 32
	wrmsr

	mov	r12, rdi			; callee-saved across trap_init
	mov	r13, rsi
	call	trap_init			; IDT and TSS before any C work
	mov	rdi, r12
	mov	rsi, r13
	call	kmain
	mov	al, EXIT_SETUP			; kmain returned: a bug
	out	DEBUG_EXIT_PORT, al
.Lhalt:
	cli
	hlt
	jmp	.Lhalt

; outgoing_jump(entry, handoff): hand the machine to the loader.
; In:  RDI = loader entry (physical), RSI = sealed handoff (physical).
; Out: never returns. The loader starts in 64-bit mode with IF = 0, RDI =
;      handoff, CR3 = our identity map of [0, IDMAP_GIB GiB) (2 MiB pages, in
;      our bss), our GDT and IDT, RSP on our boot stack. It must not keep any
;      of those: the payload's pages may cover them.
outgoing_jump:
	cli
	mov	rax, rdi
	mov	rdi, rsi
	jmp	rax

; ---------------------------------------------------------------------------
	section	.data
	align	16
gdt64:
	dq	0				; 0x00 null
	dq	GDT_CODE64			; SEL_CODE64
	dq	GDT_DATA			; SEL_DATA: valid in 32- and 64-bit mode
	dq	0, 0				; SEL_TSS: 16 bytes, set by trap_init()
gdt64_end:
gdt_ptr:
	dw	gdt64_end - gdt64 - 1
	dq	gdt64				; lgdt in 32-bit mode reads the low 4 bytes

	align	64
fs_block:					; IA32_FS_BASE points here
	times	5 dq 0
	dq	0x6f7574676f696e67		; %fs:0x28: the stack protector canary
	times	2 dq 0

; ---------------------------------------------------------------------------
	section	.bss
	alignb	4096
pml5:
	resb	4096
pml4:
	resb	4096
pdpt:
	resb	4096
pd_tables:
	resb	4096 * IDMAP_GIB
	alignb	16
boot_stack:
	resb	BOOT_STACK_SIZE
boot_stack_top:
