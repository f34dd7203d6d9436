/* SPDX-License-Identifier: MIT */
/*
 * Source of build/include/asm-offsets.inc: compiled with -S, each DEFINE becomes a
 * marker line that mk/asm-offsets.sh turns into a nasm %define. Assembly never
 * writes a struct offset by hand (architectural names come from arch/x86/hw.h
 * through mk/h2inc.sh).
 */
#include <stddef.h>
#include <baton/blob.h>
#include <baton/handoff.h>
#include "arch/x86/cpu.h"
#include "arch/x86/launch.h"
#include "loader/gdt.h"

#define DEFINE(sym, val) asm volatile("\n.ascii \"->" #sym " %0\"" : : "i"(val))
#define OFFSET(sym, str, mem) DEFINE(sym, offsetof(struct str, mem))

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(BLOB_MAGIC, baton_blob_header, magic);
	OFFSET(BLOB_VERSION, baton_blob_header, version);
	OFFSET(BLOB_HEADER_SIZE, baton_blob_header, header_size);
	OFFSET(BLOB_IMAGE_SIZE, baton_blob_header, image_size);
	OFFSET(BLOB_MEM_SIZE, baton_blob_header, mem_size);
	OFFSET(BLOB_ENTRY64, baton_blob_header, entry64);
	OFFSET(BLOB_HANDOFF, baton_blob_header, handoff);
	OFFSET(BLOB_CON_PORT, baton_blob_header, con_port);
	OFFSET(BLOB_EXIT_PORT, baton_blob_header, exit_port);
	DEFINE(BLOB_HEADER_BYTES, sizeof(struct baton_blob_header));
	DEFINE(BATON_BLOB_MAGIC_LO, (unsigned)(BATON_BLOB_MAGIC & 0xffffffffu));
	DEFINE(BATON_BLOB_MAGIC_HI, (unsigned)(BATON_BLOB_MAGIC >> 32));
	DEFINE(BATON_BLOB_VERSION, BATON_BLOB_VERSION);

	DEFINE(BATON_REG_RAX, BATON_REG_RAX);
	DEFINE(BATON_REG_RBX, BATON_REG_RBX);
	DEFINE(BATON_REG_RCX, BATON_REG_RCX);
	DEFINE(BATON_REG_RDX, BATON_REG_RDX);
	DEFINE(BATON_REG_RSI, BATON_REG_RSI);
	DEFINE(BATON_REG_RDI, BATON_REG_RDI);
	DEFINE(BATON_REG_RBP, BATON_REG_RBP);
	DEFINE(BATON_BOOT_CS, BATON_BOOT_CS);
	DEFINE(BATON_BOOT_DS, BATON_BOOT_DS);
	DEFINE(SEL_TSS, SEL_TSS);
	DEFINE(ISR_STUB_SIZE, ISR_STUB_SIZE);

	OFFSET(R_EAX, launch32, eax);
	OFFSET(R_EBX, launch32, ebx);
	OFFSET(R_ECX, launch32, ecx);
	OFFSET(R_EDX, launch32, edx);
	OFFSET(R_ESI, launch32, esi);
	OFFSET(R_EDI, launch32, edi);
	OFFSET(R_EBP, launch32, ebp);
	OFFSET(R_ESP, launch32, esp);
	OFFSET(R_EIP, launch32, eip);
	OFFSET(R_CON_PORT, launch32, con_port);
	OFFSET(R_EXIT_PORT, launch32, exit_port);
	OFFSET(R_RESET_ACTION, launch32, reset_action);
	OFFSET(R_RESET_SPACE, launch32, reset_space);
	OFFSET(R_RESET_VALUE, launch32, reset_value);
	OFFSET(R_RESET_ACPI, launch32, reset_acpi);
	OFFSET(R_RESET_WAIT, launch32, reset_wait);
	OFFSET(R_RESET_TRY, launch32, reset_try);
	DEFINE(BATON_PANIC_HALT, BATON_PANIC_HALT);
	DEFINE(BATON_RESET_SPACE_IO, BATON_RESET_SPACE_IO);
	DEFINE(BATON_EXIT_PANIC, BATON_EXIT_PANIC);
	DEFINE(TRAMP32_IDT_OFF, TRAMP32_IDT_OFF);
	DEFINE(LAUNCH32_SIZE, sizeof(struct launch32));
}
