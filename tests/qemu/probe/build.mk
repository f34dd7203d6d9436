# tests/qemu/probe: the payload baton's QEMU tests launch. See README.md here.
#
#   $(B)/probe.elf          the probe (ET_EXEC, two PT_LOADs, a hole, a bss)
#   $(B)/obj/probe/gen      host tool: the pattern files data_a.bin / data_b.bin
#   $(B)/tests/host/test_probe   host test of the checkers (cmocka)

PROBE_SRC := tests/qemu/probe
PROBE_O   := $(B)/obj/probe
PROBE_CC  := gcc
PROBE_LD  := ld

# The probe enables SSE in entry.asm before any C runs, so (unlike FS_CFLAGS)
# no -mgeneral-regs-only; it is linked at a fixed address below 2 GiB, so no PIE.
PROBE_CFLAGS  = -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-stack-protector \
	-mno-red-zone -fno-pie -fno-asynchronous-unwind-tables -fno-common \
	-fcf-protection=none -nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INC) \
	-I$(PROBE_O)/inc -I$(PROBE_SRC) -Iinclude -I. -MMD -MP

# libfdt's three headers, copied alone so that no other glibc header can leak in.
PROBE_FDT_HDRS := $(addprefix $(PROBE_O)/inc/,fdt.h libfdt.h libfdt_env.h)
PROBE_LIBFDT   := /usr/lib/x86_64-linux-gnu/libfdt.a

PROBE_COBJS := $(PROBE_O)/probe_main.o $(PROBE_O)/probe_check.o $(PROBE_O)/probe_shutdown.o
# The exception stubs and helpers are the loader's (arch/x86/isr.asm, cpu.c).
PROBE_OBJS  := $(PROBE_O)/entry.o $(PROBE_COBJS) $(PROBE_O)/data.o \
	$(B)/obj/fs/arch/x86/isr.o $(B)/obj/fs/arch/x86/cpu.o

$(PROBE_FDT_HDRS): $(PROBE_O)/inc/%: /usr/include/% | $(B)/.deps
	@mkdir -p $(@D)
	cp $< $@

$(PROBE_O)/gen: $(PROBE_SRC)/gen.c | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -o $@ $<

$(PROBE_O)/data_a.bin $(PROBE_O)/data_b.bin: $(PROBE_O)/data_%.bin: $(PROBE_O)/gen
	$(PROBE_O)/gen $* $@

# The generated includes come first: on a fresh tree no .d file names them yet.
$(PROBE_O)/data.o: $(PROBE_SRC)/data.asm $(PROBE_O)/data_a.bin $(PROBE_O)/data_b.bin | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf64 -I$(PROBE_O)/)

$(PROBE_O)/hw.inc: arch/x86/hw.h mk/h2inc.sh
	@mkdir -p $(@D)
	sh mk/h2inc.sh $< > $@

$(PROBE_O)/entry.o: $(PROBE_SRC)/entry.asm $(PROBE_O)/hw.inc | $(B)/.deps
	@mkdir -p $(@D)
	$(call assemble,-f elf64 -I$(PROBE_O)/)

$(PROBE_COBJS): $(PROBE_O)/%.o: $(PROBE_SRC)/%.c $(PROBE_FDT_HDRS) $(B)/.deps
	@mkdir -p $(@D)
	$(PROBE_CC) $(PROBE_CFLAGS) -c -o $@ $<

$(B)/probe.elf: $(PROBE_OBJS) $(PROBE_SRC)/probe.ld $(NEWLIB)/lib/libc.a
	$(PROBE_LD) -static -nostdlib -z noexecstack -z max-page-size=4096 --build-id=none \
		--orphan-handling=error -T $(PROBE_SRC)/probe.ld -o $@ $(PROBE_OBJS) \
		--start-group $(PROBE_LIBFDT) $(NEWLIB)/lib/libc.a $(LIBGCC) --end-group

-include $(PROBE_COBJS:.o=.d) $(PROBE_O)/gen.d $(PROBE_O)/data.d $(PROBE_O)/entry.d

ALL += $(B)/probe.elf

# Host test of the pure checkers against FDTs built with the host's libfdt.
PROBE_TEST_CC := $(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I$(PROBE_SRC)
$(eval $(call prog,$(B)/tests/host/test_probe,tests/host/test_probe.c $(PROBE_SRC)/probe_check.c $(PROBE_SRC)/probe_shutdown.c,\
	PROBE_TEST_CC,-lfdt -lcmocka,$(PROBE_SRC)/build.mk))

HOST_TESTS += $(B)/tests/host/test_probe
