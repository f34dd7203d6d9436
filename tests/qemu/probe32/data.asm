; SPDX-License-Identifier: MIT
; The ELF32 probe's pattern: the probe's data_a.bin (tests/qemu/probe/prng.h,
; seed A), then a bss area that must arrive zeroed.

section .data_a progbits alloc noexec nowrite align=4096
global probe32_data
probe32_data:
	incbin	"data_a.bin"

section .bss.check nobits alloc noexec write align=8
global probe32_bss
probe32_bss:
	resb	0x40000 + 0x123

section .note.GNU-stack noalloc noexec nowrite progbits
