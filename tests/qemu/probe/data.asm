; SPDX-License-Identifier: MIT
;
; The probe's pattern data, made at build time by gen.c (seeds and sizes in
; prng.h). .data_a closes segment 1, .data_b opens segment 2 (see probe.ld).
; Also the checked bss area.

section .data_a progbits alloc noexec nowrite align=4096
	incbin	"data_a.bin"

section .data_b progbits alloc noexec write align=4096
	incbin	"data_b.bin"

; The bss the probe checks: first in .bss, so it starts right where segment 2's
; file bytes end (not on a page boundary), and is never written by the probe.
section .bss.check nobits alloc noexec write align=8
	resb	0x100000 + 0xd48

section .note.GNU-stack noalloc noexec nowrite progbits
