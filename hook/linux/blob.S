/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/* hook/linux/blob.S: the loader blob (build/loader.bin, copied beside this file
 * in the module's tree), read-only data of baton.ko. The stage copies it into
 * pages of its own at close(); it never runs from here. */
	.section .rodata, "a"
	.balign 4096
	.globl baton_blob
baton_blob:
	.incbin "loader.bin"
	.globl baton_blob_end
baton_blob_end:
	.section .note.GNU-stack, "", @progbits
