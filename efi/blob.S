/* SPDX-License-Identifier: MIT */
/* The loader blob baton.efi carries (build/loader.bin), read-only data. */
	.section .rodata.baton_blob, "a"
	.balign 4096
	.globl baton_blob, baton_blob_end
baton_blob:
	.incbin BLOB_PATH
baton_blob_end:
	.section .note.GNU-stack, "", @progbits
