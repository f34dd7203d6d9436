# tests/qemu/outgoing: the QEMU test kernel that stages a payload through the
# stage library and jumps to the loader (README.md beside this file).
#
#   $(B)/outgoing.elf   static ELF64 at 1 MiB, with symbols
#   $(B)/outgoing.bin   the same, flat, for qemu -kernel (Multiboot v1)
#   $(B)/outgoing.lst   objdump -S listing
#   $(B)/tests/outgoing-worst   host self-check of the worst-case permutation

OUTGOING_DIR    := tests/qemu/outgoing
OUTGOING_OBJ    := $(B)/obj/$(OUTGOING_DIR)
OUTGOING_SRCS   := main.c cmdline.c console.c memmap.c pages.c strategy.c worst.c \
                   fault.c tsc.c trap.c libc.c ap.c acpi.c devices.c
# The exception stubs and helpers are the loader's (arch/x86/isr.asm, cpu.c).
OUTGOING_OBJS   := $(OUTGOING_OBJ)/entry.o $(OUTGOING_OBJ)/ap_asm.o $(addprefix $(OUTGOING_OBJ)/,$(OUTGOING_SRCS:.c=.o)) \
                   $(B)/obj/fs/arch/x86/isr.o $(B)/obj/fs/arch/x86/cpu.o
# Static at 1 MiB: -fno-pie overrides FS_CFLAGS' -fPIE.
OUTGOING_CFLAGS  = $(FS_CFLAGS) -fno-pie -MMD -MP
OUTGOING_LIBS    = /usr/lib/x86_64-linux-gnu/libfdt.a $(NEWLIB)/lib/libc.a $(LIBGCC)
OUTGOING_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(OUTGOING_DIR)/outgoing.ld \
                   -Wl,--gc-sections -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
                   -Wl,-z,max-page-size=4096 -Wl,-Map,$(B)/outgoing.map

ALL        += $(B)/outgoing.bin $(B)/outgoing.lst
HOST_TESTS += $(B)/tests/outgoing-worst

# arch/x86/hw.h and hw.h are the one definition of the constants; nasm reads this copy.
$(OUTGOING_OBJ)/hw.inc: arch/x86/hw.h $(OUTGOING_DIR)/hw.h mk/h2inc.sh
	@mkdir -p $(@D)
	sh mk/h2inc.sh arch/x86/hw.h $(OUTGOING_DIR)/hw.h > $@

# No nasm debug info (-g), as for the loader's own assembly: nasm 2.16.01's DWARF
# pads its compile unit with zero bytes after the last DIE, which binutils 2.40
# reports ("Bogus end-of-siblings marker") when it writes the listing, and its
# file name, joined to its comp_dir, names no file, so no source line ever
# showed. The listing keeps every label from the symbol table.
$(OUTGOING_OBJ)/entry.o: $(OUTGOING_DIR)/entry.asm $(OUTGOING_OBJ)/hw.inc | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf64 -I$(OUTGOING_OBJ)/)

# ap.asm: the APs' trampoline template (aps=hostile); ap_asm.o beside ap.c's ap.o.
$(OUTGOING_OBJ)/ap_asm.o: $(OUTGOING_DIR)/ap.asm $(OUTGOING_OBJ)/hw.inc | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf64 -I$(OUTGOING_OBJ)/)

$(OUTGOING_OBJ)/%.o: $(OUTGOING_DIR)/%.c $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) $(OUTGOING_CFLAGS) -c -o $@ $<

$(B)/outgoing.elf: $(OUTGOING_OBJS) $(STAGE_FS_OBJS) $(OUTGOING_DIR)/outgoing.ld $(NEWLIB)/lib/libc.a
	$(HOST_CC) $(OUTGOING_LDFLAGS) -o $@ $(OUTGOING_OBJS) $(STAGE_FS_OBJS) \
	  -Wl,--start-group $(OUTGOING_LIBS) -Wl,--end-group

# The flat file must end exactly at the header's load_end_addr (__load_end).
$(B)/outgoing.bin: $(B)/outgoing.elf
	objcopy -O binary $< $@
	@want=$$(( 0x$$(nm $< | awk '$$3 == "__load_end" { print $$1 }') - 0x100000 )); \
	 have=$$(stat -c %s $@); \
	 [ "$$want" = "$$have" ] || { echo "outgoing.bin: $$have bytes, header says $$want" >&2; \
	   rm -f $@; exit 1; }

$(B)/outgoing.lst: $(B)/outgoing.elf
	objdump -d -S -M intel $< > $@

WORST_TEST_CC := $(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all
$(eval $(call prog,$(B)/tests/outgoing-worst,$(OUTGOING_DIR)/worst_test.c $(OUTGOING_DIR)/worst.c,\
	WORST_TEST_CC,-lcmocka,$(OUTGOING_DIR)/build.mk))

-include $(OUTGOING_OBJS:.o=.d)
