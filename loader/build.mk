# The loader blob: loader/ C core + arch/x86 nasm, linked by linker/loader.ld into
# build/loader.bin (flat) and build/loader.elf (symbols), with listings.

LOADER_C    := loader/main.c loader/check.c loader/console.c loader/cpu.c arch/x86/cpu.c \
	       loader/paging.c loader/place.c loader/launch.c loader/layout.c \
	       loader/crc32.c loader/plan.c loader/sort.c loader/libc_stubs.c
LOADER_ASM  := arch/x86/entry.asm arch/x86/isr.asm arch/x86/launch.asm
LOADER_OBJS := $(LOADER_C:%.c=$(B)/obj/fs/%.o) $(LOADER_ASM:%.asm=$(B)/obj/fs/%.o)
ASM_OFFSETS := $(B)/include/asm-offsets.inc
LOADER_TARGET_KIB := 16

ALL += $(B)/loader.bin

$(B)/obj/fs/%.o: %.c $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(FS_CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/fs/%.o: %.asm $(ASM_OFFSETS)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -w+error -I$(B)/include/ -Iarch/x86/ -MD $(@:.o=.d) $< -o $@

$(ASM_OFFSETS): arch/x86/asm-offsets.c include/baton/blob.h include/baton/handoff.h arch/x86/hw.h mk/asm-offsets.sh
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Iinclude -I. -S $< -o $(B)/obj/asm-offsets.s
	sh mk/asm-offsets.sh $(B)/obj/asm-offsets.s > $@

$(B)/loader.elf: $(LOADER_OBJS) linker/loader.ld $(NEWLIB)/lib/libc.a
	ld -pie --no-dynamic-linker -z norelro -z noexecstack --no-warn-rwx-segments --gc-sections --build-id=none \
		-T linker/loader.ld -o $@ $(LOADER_OBJS) $(NEWLIB)/lib/libc.a \
		$(shell $(CC) -print-libgcc-file-name) -Map $(B)/loader.map
	objdump -dS $@ > $(B)/loader.lst

$(B)/loader.bin: $(B)/loader.elf
	objcopy -O binary -j .head -j .text -j .rodata -j .data $< $@
	@size=$$(stat -c %s $@); \
	 echo "loader.bin: $$size bytes (target $(LOADER_TARGET_KIB) KiB, hard cap in linker/loader.ld)"

-include $(LOADER_OBJS:.o=.d)
