# The loader blob: loader/ C core + arch/x86 nasm, linked by linker/loader.ld into
# build/loader.bin (flat) and build/loader.elf (symbols), with listings.
#
# build/loader-test.bin is the same loader with BATON_TEST_BUILD defined in the
# files listed in LOADER_TEST_C, plus LOADER_TEST_ONLY: only it honours the
# handoff's test_flags (BATON_TEST_*), so a production blob can never be told to
# skip a safety step or to fault.

LOADER_C    := loader/main.c core/chain.c core/memmap.c core/verify.c loader/smp.c core/check.c loader/console.c loader/tables.c arch/x86/cpu.c \
	       loader/paging.c loader/place.c loader/launch.c core/layout.c \
	       core/crc32.c core/plan.c core/sort.c loader/format.c arch/x86/string.c \
	       loader/reset.c
LOADER_ASM  := loader/entry.asm arch/x86/isr.asm arch/x86/launch.asm arch/x86/reset.asm
LOADER_OBJS := $(LOADER_C:%.c=$(B)/obj/fs/%.o) $(LOADER_ASM:%.asm=$(B)/obj/fs/%.o)
ASM_OFFSETS := $(B)/include/asm-offsets.inc
LOADER_TARGET_KIB := 16
# Every freestanding object built here (the blob's, the outgoing kernel's stage),
# for the blob's size (issue 10, measured on loader.bin): -Oz, gcc's smallest code,
# and the stack kept 8-byte aligned (no SSE, so nothing needs 16): -288 bytes
# against FS_CFLAGS' -Os; make bench's planner and copy figures did not change.
LOADER_CFLAGS := -Oz -mpreferred-stack-boundary=3
# But the verify step's hashing, the loader's longest step under emulation: at
# -Oz XXH64's rounds are calls, at -O3 they are inline. Measured on the demo
# (linux64-worst-smp4, 31 MiB hashed): 97-164 ms -> 65-66 ms, and the blob 160
# bytes smaller.
$(B)/obj/fs/core/verify.o $(B)/obj/fs-test/core/verify.o: \
	LOADER_CFLAGS := -O3 -mpreferred-stack-boundary=3

LOADER_TEST_C    := loader/smp.c loader/main.c loader/reset.c
LOADER_TEST_ONLY := loader/test.c
LOADER_TEST_OBJS := $(filter-out $(LOADER_TEST_C:%.c=$(B)/obj/fs/%.o),$(LOADER_OBJS)) \
		    $(LOADER_TEST_C:%.c=$(B)/obj/fs-test/%.o) $(LOADER_TEST_ONLY:%.c=$(B)/obj/fs-test/%.o)

ALL += $(B)/loader.bin $(B)/loader-test.bin

# Each object names this file too: a change of LOADER_CFLAGS rebuilds it.
$(B)/obj/fs-test/%.o: %.c $(B)/.deps loader/build.mk
	@mkdir -p $(@D)
	$(CC) $(FS_CFLAGS) $(LOADER_CFLAGS) -DBATON_TEST_BUILD -MMD -MP -c $< -o $@

$(B)/obj/fs/%.o: %.c $(B)/.deps loader/build.mk
	@mkdir -p $(@D)
	$(CC) $(FS_CFLAGS) $(LOADER_CFLAGS) -MMD -MP -c $< -o $@

# The generated includes come first: on a fresh tree no .d file names them yet.
$(B)/obj/fs/%.o: %.asm $(ASM_OFFSETS) $(B)/include/hw.inc | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf64 -w+error -I$(B)/include/ -Iarch/x86/)

$(B)/include/hw.inc: arch/x86/hw.h mk/h2inc.sh
	@mkdir -p $(@D)
	sh mk/h2inc.sh arch/x86/hw.h > $@

$(B)/obj/asm-offsets.s: arch/x86/asm-offsets.c | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Iinclude -I. -MMD -MP -S $< -o $@

$(ASM_OFFSETS): $(B)/obj/asm-offsets.s mk/asm-offsets.sh
	@mkdir -p $(@D)
	sh mk/asm-offsets.sh $< > $@

LOADER_LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack --no-warn-rwx-segments \
		  --gc-sections --build-id=none -T linker/loader.ld
# No library: the loader carries its own string functions and formatter, so the
# link fails if anything would pull in newlib's or libgcc's code.

$(B)/loader.elf: $(LOADER_OBJS) linker/loader.ld
	ld $(LOADER_LDFLAGS) -o $@ $(LOADER_OBJS) -Map $(B)/loader.map
	objdump -dS $@ > $(B)/loader.lst
	sh mk/no-sse.sh $@

$(B)/loader-test.elf: $(LOADER_TEST_OBJS) linker/loader.ld
	ld --defsym=BLOB_TEST_BUILD=1 $(LOADER_LDFLAGS) -o $@ $(LOADER_TEST_OBJS)
	sh mk/no-sse.sh $@

# The size line: the shipped blob against its cap and LOADER_TARGET_KIB, the test
# blob against its own cap.
$(B)/loader.bin $(B)/loader-test.bin: $(B)/%.bin: $(B)/%.elf mk/blob-size.sh
	objcopy -O binary -j .head -j .text -j .rodata -j .data $< $@
	@sh mk/blob-size.sh $@ $< $(if $(filter loader.bin,$(@F)),$(LOADER_TARGET_KIB))

-include $(LOADER_OBJS:.o=.d) $(LOADER_TEST_OBJS:.o=.d) $(B)/obj/asm-offsets.d
