# fmt/ host test: the real fmt sources, linked against cmocka, run under
# AddressSanitizer + UBSan so an out-of-bounds read of a crafted or truncated
# image fails the test instead of passing silently.
#
# Two real ET_EXEC files come from ld (tests/host/fmt/tiny.c, linked at 1 MiB
# for x86-64 and i386); the test finds them through absolute paths compiled in.

FMT_TDIR        := $(B)/tests/host/fmt
FMT_TEST_SRCS   := tests/host/test_fmt.c tests/host/hostfile.c fmt/fmt.c fmt/errors.c fmt/elf.c fmt/multiboot.c
FMT_SAN         := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FMT_TINY_CFLAGS := -O2 -ffreestanding -fno-pic -fno-asynchronous-unwind-tables \
	-fno-stack-protector

HOST_TESTS += $(B)/tests/host/test_fmt

$(FMT_TDIR)/tiny64.elf: tests/host/fmt/tiny.c | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) -m64 $(FMT_TINY_CFLAGS) -MMD -MP -c $< -o $(@:.elf=.o)
	ld -m elf_x86_64 -static -nostdlib -e _start -Ttext=0x100000 -o $@ $(@:.elf=.o)

$(FMT_TDIR)/tiny32.elf: tests/host/fmt/tiny.c | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) -m32 $(FMT_TINY_CFLAGS) -MMD -MP -c $< -o $(@:.elf=.o)
	ld -m elf_i386 -static -nostdlib -e _start -Ttext=0x100000 -o $@ $(@:.elf=.o)

FMT_TINY_ELFS := $(FMT_TDIR)/tiny64.elf $(FMT_TDIR)/tiny32.elf
-include $(FMT_TINY_ELFS:.elf=.d)
FMT_TEST_DEFS := -DFMT_TINY64='"$(abspath $(FMT_TDIR)/tiny64.elf)"' \
	-DFMT_TINY32='"$(abspath $(FMT_TDIR)/tiny32.elf)"' $(HOSTFILE_DEFS)

FMT_TEST_CC   := $(HOST_CC) $(HOST_CFLAGS) $(FMT_SAN) $(FMT_TEST_DEFS)
$(eval $(call prog,$(B)/tests/host/test_fmt,$(FMT_TEST_SRCS),FMT_TEST_CC,-lcmocka,\
	$(FMT_TINY_ELFS) tests/host/fmt/build.mk))
