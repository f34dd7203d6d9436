# baton: top-level build. `make help` lists the targets.
#
# Each folder adds its own rules in a build.mk fragment included below; this file
# holds the toolchain flags every fragment shares.

B        := build
NEWLIB   := $(B)/newlib
GCC_INC  := $(shell gcc -print-file-name=include)
WARN     := -Wall -Wextra -Werror
JOBS     ?= $(shell nproc)

# Host programs (tests, benchmarks, tools): the real sources, linked against glibc.
HOST_CC     := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -I.

# Freestanding x86-64 code (loader, test kernels, probes): no SSE, no red zone,
# position independent, newlib's headers instead of the host's.
FS_CFLAGS := -std=gnu11 -Os -g $(WARN) -ffreestanding -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -fPIE -fno-asynchronous-unwind-tables \
	-fno-common -ffunction-sections -fdata-sections -fcf-protection=none \
	-nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INC) -isystem $(B)/sysinc \
	-Iinclude -I.
NASM      := nasm
# Header-only or freestanding libraries from Debian's packages, seen through
# $(B)/sysinc so that no other host header leaks into freestanding code.
SYSINC_HEADERS := xxhash.h libfdt.h fdt.h libfdt_env.h

# Debian's python3 (installed by make deps), looked up when a recipe runs.
PYTHON      = $(shell command -v /usr/bin/python3 || command -v python3)

HOST_TESTS :=
BENCHES    :=
ALL        :=

.PHONY: all help deps check demo bench clean qemu-gdb build-all fuzz coverage
all: deps build-all

include $(sort $(wildcard */build.mk */*/build.mk */*/*/build.mk))
# After every build.mk: it rebuilds the host tests from their source lists.
include tests/coverage/coverage.mk

help:
	@echo "make            build everything (installs what is missing first)"
	@echo "make demo       boot Debian's kernel through baton (worst-case layout, 4 CPUs) in QEMU"
	@echo "make check      host tests (sanitized), each fuzzer briefly, then every QEMU case"
	@echo "make fuzz       each fuzzer for FUZZ_SECONDS (default 60), corpus kept in build/fuzz"
	@echo "make bench      planner and copy-engine figures, jump-to-Linux time in QEMU"
	@echo "make coverage   line coverage of fmt/, stage/ and the loader core under the host tests"
	@echo "make qemu-gdb   one QEMU case frozen with a gdb stub on :1234 (CASE=name)"
	@echo "make deps       install Debian packages and build newlib (run by the others)"
	@echo "make clean      remove build/"

deps: $(B)/.deps
$(B)/.deps: mk/deps.sh mk/newlib.sh
	sh mk/deps.sh $(NEWLIB)
	@mkdir -p $(B)/sysinc
	@for h in $(SYSINC_HEADERS); do ln -sf /usr/include/$$h $(B)/sysinc/$$h; done
	@touch $@

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
	@for b in $(BENCHES); do $$b || exit 1; done
	@$(PYTHON) tests/bench/linux_boot.py

clean:
	rm -rf $(B)/obj $(B)/tests $(B)/linux $(B)/coverage $(B)/fuzz/fuzz_* $(B)/*.bin $(B)/*.elf
