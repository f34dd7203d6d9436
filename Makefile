# baton: top-level build. `make help` lists the targets.
#
# Each folder adds its own rules in a build.mk fragment included below; this file
# holds the toolchain flags every fragment shares.

B        := build
NEWLIB   := $(B)/newlib
WARN     := -Wall -Wextra -Werror
# gcc's own headers and libgcc, asked of gcc only when a recipe needs them (`=`):
# on a fresh machine gcc arrives with `make deps`, after make has read this file.
GCC_INC   = $(shell gcc -print-file-name=include)
LIBGCC    = $(shell gcc -print-libgcc-file-name)

# Host programs (tests, benchmarks, tools): the real sources, linked against glibc.
HOST_CC     := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -I.

# Freestanding x86-64 code (loader, test kernels, probes): no SSE, no red zone,
# position independent, newlib's headers instead of the host's.
FS_CFLAGS  = -std=gnu11 -Os -g $(WARN) -ffreestanding -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -fPIE -fno-asynchronous-unwind-tables \
	-fno-common -ffunction-sections -fdata-sections -fcf-protection=none \
	-nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INC) -isystem $(B)/sysinc \
	-Iinclude -I.
NASM      := nasm
# $(call assemble,FLAGS) in a recipe: nasm FLAGS $< -> $@, and $@'s dependency list
# in $(@:.o=.d) from a pass of its own: Debian 12's nasm 2.16.01 leaves %include
# files out of -MD's list (NASM bug 3392832, fixed in 2.16.02).
assemble = $(NASM) $(1) -M -MP -MT $@ -MF $(@:.o=.d) $< && $(NASM) $(1) -o $@ $<
# Header-only or freestanding libraries from Debian's packages, seen through
# $(B)/sysinc so that no other host header leaks into freestanding code.
SYSINC_HEADERS := xxhash.h libfdt.h fdt.h libfdt_env.h

# Debian's python3 (installed by make deps), looked up when a recipe runs.
PYTHON      = $(shell command -v /usr/bin/python3 || command -v python3)

HOST_TESTS :=
BENCHES    :=
ALL        :=

# $(call prog,PROGRAM,SOURCES,COMPILE,LIBS,MORE PREREQUISITES): PROGRAM linked from
# SOURCES, each compiled alone into obj/ beside it by the command in the variable
# named COMPILE (compiler and flags, expanded when the recipe runs), with its
# header dependencies from the compiler (-MMD -MP). Host tests, fuzzers, coverage.
define prog
$(dir $(1))obj/$(notdir $(1))/%.o: %.c $(5) | $(B)/.deps
	@mkdir -p $$(@D)
	$$($(strip $(3))) -MMD -MP -c $$< -o $$@

$(1): $(patsubst %.c,$(dir $(1))obj/$(notdir $(1))/%.o,$(2)) $(5) | $(B)/.deps
	@mkdir -p $$(@D)
	$$($(strip $(3))) -o $$@ $$(filter %.o,$$^) $(4)

-include $(patsubst %.c,$(dir $(1))obj/$(notdir $(1))/%.d,$(2))
endef

.PHONY: all help deps check demo bench clean qemu-gdb build-all fuzz coverage
all: deps build-all

include $(sort $(wildcard */build.mk */*/build.mk */*/*/build.mk))
# After every build.mk: it rebuilds the host tests from their source lists.
include tests/coverage/coverage.mk

help:
	@echo "make            build everything (installs what is missing first)"
	@echo "make demo       in QEMU: Debian's kernel through baton (worst case, 4 CPUs), then a running kernel to the next through baton.ko"
	@echo "make check      host tests (sanitized), each fuzzer briefly, then every QEMU case"
	@echo "make fuzz       each fuzzer for FUZZ_SECONDS (default 60), corpus kept in build/fuzz"
	@echo "make bench      planner and copy-engine figures, jump-to-Linux time in QEMU"
	@echo "make coverage   line coverage of fmt/, stage/ and the loader core under the host tests"
	@echo "make qemu-gdb   one QEMU case frozen with a gdb stub on :1234 (CASE=name)"
	@echo "make deps       install Debian packages and build newlib (run by the others)"
	@echo "make install    baton(8) and the baton command (PREFIX, DESTDIR), baton.ko through dkms (KVER)"
	@echo "make clean      remove what the build made (keeps build/newlib: make deps made it)"

# $(B)/.deps: the packages are installed, newlib is built for the current flags,
# gcc and source, $(B)/sysinc is filled. Everything built depends on it: order-only
# where it needs the tools, a plain prerequisite where it reads newlib or
# $(B)/sysinc. Its recipe runs on every make and touches it only when something
# changed (mk/deps.sh), so the objects rebuild only then.
deps: $(B)/.deps
$(B)/.deps: FORCE
	@mkdir -p $(B)/sysinc
	@sh mk/deps.sh $(NEWLIB) $@
	@for h in $(SYSINC_HEADERS); do ln -sf /usr/include/$$h $(B)/sysinc/$$h; done
FORCE:
$(NEWLIB)/lib/libc.a: $(B)/.deps ;

build-all: $(ALL) $(HOST_TESTS)

check: deps
	@$(MAKE) -s --no-print-directory build-all
	@FUZZERS="$(FUZZERS)" FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) sh mk/check.sh $(PYTHON) $(HOST_TESTS)

demo: deps
	@$(MAKE) -s --no-print-directory $(ALL)
	@$(PYTHON) tests/qemu/run.py --demo

qemu-gdb: deps
	@$(MAKE) --no-print-directory $(ALL)
	@$(PYTHON) tests/qemu/run.py --gdb $(or $(CASE),worst-1)

bench: deps
	@$(MAKE) -s --no-print-directory $(BENCHES) $(ALL)
	@printf 'bench blob: '; sh mk/blob-size.sh $(B)/loader.bin $(B)/loader.elf $(LOADER_TARGET_KIB)
	@for b in $(BENCHES); do $$b || exit 1; done
	@$(PYTHON) tests/bench/linux_boot.py
	@$(PYTHON) tests/bench/hook_vs_kexec.py
	@$(PYTHON) tests/bench/efi_boot.py

clean:
	rm -rf $(B)/obj $(B)/efi $(B)/tests $(B)/linux $(B)/hook $(B)/efitest $(B)/coverage $(B)/fuzz/fuzz_* $(B)/fuzz/obj $(B)/*.bin $(B)/*.elf \
		$(B)/*.lst $(B)/*.map $(B)/include
