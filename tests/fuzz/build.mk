# libFuzzer fuzzers (tests/fuzz/README.md): clang -fsanitize=fuzzer,address,undefined
# over the real sources. `make fuzz` runs each for FUZZ_SECONDS (default 60);
# `make check` runs each for FUZZ_CHECK_SECONDS from the seed corpus in the repo.

FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-fsanitize-coverage-ignorelist=tests/fuzz/nocov.txt
FUZZ_DIR     := $(B)/fuzz
FUZZERS      := elf bzimage check plan
FUZZ_BINS    := $(FUZZERS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 10

FUZZ_SRC_elf     := fmt/fmt.c fmt/errors.c fmt/elf.c fmt/multiboot.c
FUZZ_SRC_bzimage := fmt/bzimage.c fmt/fmt.c fmt/errors.c fmt/elf.c stage/linux_place.c core/memmap.c
FUZZ_SRC_check   := core/check.c core/chain.c core/memmap.c core/verify.c core/crc32.c core/sort.c core/layout.c core/plan.c
FUZZ_SRC_plan    := loader/place.c core/check.c core/chain.c core/memmap.c core/verify.c core/crc32.c core/layout.c core/plan.c core/sort.c \
	tests/host/plancheck.c tests/host/sim.c

FUZZ_COMPILE := $(FUZZ_CC) $(FUZZ_CFLAGS)
$(foreach f,$(FUZZERS),$(eval $(call prog,$(FUZZ_DIR)/fuzz_$(f),tests/fuzz/fuzz_$(f).c $(FUZZ_SRC_$(f)),\
	FUZZ_COMPILE,,tests/fuzz/build.mk tests/fuzz/nocov.txt)))

# Each fuzzer's corpus: the seeds in the repo (read only) plus what it found in
# earlier runs here (build/fuzz/corpus/NAME, written by libFuzzer).
build-all: $(FUZZ_BINS)

fuzz: deps $(FUZZ_BINS)
	@sh mk/fuzz.sh $(FUZZ_SECONDS) $(FUZZERS)
