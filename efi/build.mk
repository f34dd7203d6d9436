# efi/: baton.efi, the UEFI chainloader (efi/README.md), built with Debian's
# gnu-efi: its crt0, linker script and libraries, a PE32+ by objcopy as gnu-efi
# documents. The shared code (fmt/, stage/, core/, bls/) is compiled again for
# this target: position independent (-fpic) for gnu-efi's self-relocation,
# short wchar_t for UEFI's CHAR16, newlib's headers and libc.
#
#   $(B)/efi/baton.efi   the application (\EFI\BOOT\BOOTX64.EFI on an ESP)
#   $(B)/efi/baton.so    the ELF it is made from, with symbols

include stage/sources.mk
EFI_OBJ     := $(B)/obj/efi
GNUEFI_LIB  := /usr/lib
GNUEFI_INC  := /usr/include/efi
EFI_C       := efi/main.c efi/glob.c efi/libc.c bls/bls.c $(STAGE_C)
EFI_OBJS    := $(EFI_C:%.c=$(EFI_OBJ)/%.o) $(EFI_OBJ)/efi/blob.o
EFI_CFLAGS   = -std=gnu11 -Os -g $(WARN) -ffreestanding -fno-stack-protector -fpic \
	-fshort-wchar -mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fno-common -fcf-protection=none -DGNU_EFI_USE_MS_ABI -maccumulate-outgoing-args \
	-nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INC) -isystem $(B)/sysinc \
	-isystem $(GNUEFI_INC) -isystem $(GNUEFI_INC)/x86_64 -Iinclude -I. -MMD -MP
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc --no-undefined \
	-T $(GNUEFI_LIB)/elf_x86_64_efi.lds --build-id=none -z noexecstack

$(EFI_OBJ)/%.o: %.c $(B)/.deps efi/build.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(EFI_CFLAGS) -c -o $@ $<

$(EFI_OBJ)/efi/blob.o: efi/blob.S $(B)/loader.bin
	@mkdir -p $(@D)
	$(HOST_CC) -c -DBLOB_PATH='"$(B)/loader.bin"' -o $@ $<

$(B)/efi/baton.so: $(EFI_OBJS) $(B)/.deps
	@mkdir -p $(@D)
	ld $(EFI_LDFLAGS) -o $@ $(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) \
	  --start-group /usr/lib/x86_64-linux-gnu/libfdt.a $(NEWLIB)/lib/libc.a \
	  $(GNUEFI_LIB)/libefi.a $(GNUEFI_LIB)/libgnuefi.a $(LIBGCC) --end-group

# gnu-efi's README.gnuefi: the sections its linker script makes, a PE32+
# application (subsystem 10).
$(B)/efi/baton.efi: $(B)/efi/baton.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	  -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

.PHONY: efi
ALL += $(B)/efi/baton.efi
efi: $(B)/efi/baton.efi

-include $(EFI_OBJS:.o=.d)
