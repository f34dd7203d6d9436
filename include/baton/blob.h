/* SPDX-License-Identifier: MIT */
/*
 * The loader blob's header: the first bytes of the flat binary build/loader.bin.
 * The outgoing side reads it to learn how much memory the loader needs and where
 * to jump. Fixed ABI: fields only grow at the tail, with a version bump.
 */
#ifndef BATON_BLOB_H
#define BATON_BLOB_H

#include <stdint.h>

/* "BATONLDR" read as a little-endian u64. */
#define BATON_BLOB_MAGIC	0x52444c4e4f544142ULL
#define BATON_BLOB_VERSION	1

struct baton_blob_header {
	uint8_t  jump[8];	/* 0x00 code: jmp to the 64-bit entry */
	uint64_t magic;		/* 0x08 BATON_BLOB_MAGIC */
	uint32_t version;	/* 0x10 BATON_BLOB_VERSION */
	uint32_t header_size;	/* 0x14 sizeof(struct baton_blob_header) */
	uint64_t image_size;	/* 0x18 bytes of the flat file */
	uint64_t mem_size;	/* 0x20 image plus bss (stack, GDT, IDT), 4 KiB multiple */
	uint64_t entry64;	/* 0x28 offset of the 64-bit entry (the jump goes there too) */
	uint64_t handoff;	/* 0x30 patch slot: handoff address, used when RDI is 0 */
	/* Early diagnostics, patched in by the stage: used before the handoff is trusted. */
	uint16_t con_port;	/* 0x38 UART I/O port, 0 = none */
	uint16_t exit_port;	/* 0x3a tests: isa-debug-exit port, 0 = reset on panic */
	uint32_t pad;		/* 0x3c zero */
};

_Static_assert(sizeof(struct baton_blob_header) == 0x40, "blob header size");
_Static_assert(__builtin_offsetof(struct baton_blob_header, handoff) == 0x30, "handoff slot");
_Static_assert(__builtin_offsetof(struct baton_blob_header, con_port) == 0x38, "con_port");

#endif
