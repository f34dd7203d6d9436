# tests/qemu/probe32: the ELF32 payload for baton's paging-off entry (README.md).
#
#   $(B)/probe32.elf   ELF32 ET_EXEC at 48 MiB: the pattern, a bss, the state checks

PROBE32_SRC := tests/qemu/probe32
PROBE32_O   := $(B)/obj/probe32
# 32-bit, freestanding, general registers only: it runs with paging off and
# nothing set up for SSE. Only gcc's own headers (stdint.h).
PROBE32_CFLAGS  = -std=gnu11 -m32 -O2 -g $(WARN) -ffreestanding -fno-stack-protector \
	-fno-pie -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-common \
	-fcf-protection=none -nostdinc -isystem $(GCC_INC) -Iinclude -I. \
	-I$(PROBE_SRC) -MMD -MP
PROBE32_OBJS := $(PROBE32_O)/entry.o $(PROBE32_O)/probe32_main.o $(PROBE32_O)/data.o

$(PROBE32_O)/hw.inc: arch/x86/hw.h mk/h2inc.sh
	@mkdir -p $(@D)
	sh mk/h2inc.sh $< > $@

# The generated includes come first: on a fresh tree no .d file names them yet.
$(PROBE32_O)/entry.o: $(PROBE32_SRC)/entry.asm $(PROBE32_O)/hw.inc | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf32 -I$(PROBE32_O)/)

$(PROBE32_O)/data.o: $(PROBE32_SRC)/data.asm $(PROBE_O)/data_a.bin | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf32 -I$(PROBE_O)/)

$(PROBE32_O)/probe32_main.o: $(PROBE32_SRC)/probe32_main.c | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) $(PROBE32_CFLAGS) -c -o $@ $<

$(B)/probe32.elf: $(PROBE32_OBJS) $(PROBE32_SRC)/probe32.ld
	ld -m elf_i386 -static -nostdlib -z noexecstack -z max-page-size=4096 --build-id=none \
		-T $(PROBE32_SRC)/probe32.ld -o $@ $(PROBE32_OBJS)
	sh mk/no-sse.sh $@

-include $(PROBE32_OBJS:.o=.d)

ALL += $(B)/probe32.elf
