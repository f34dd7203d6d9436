# fmt/bzimage.c host test: the real source, linked against cmocka, run under
# AddressSanitizer + UBSan (as test_fmt): images are crafted in memory, each in
# a heap block of exactly its length, plus the kernel mk/vmlinuz.sh names (the
# test fails, with the script's reason, when there is none).

BZ_TEST_SRCS := tests/host/test_bzimage.c tests/host/hostfile.c fmt/bzimage.c fmt/fmt.c fmt/elf.c
BZ_TEST_DEPS := $(BZ_TEST_SRCS) tests/host/hostfile.h fmt/bzimage.h fmt/fmt.h fmt/elf_impl.h \
	include/baton/handoff.h tests/host/bzimage/build.mk
BZ_TEST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

HOST_TESTS += $(B)/tests/host/test_bzimage

$(B)/tests/host/test_bzimage: $(BZ_TEST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(BZ_TEST_SAN) $(HOSTFILE_DEFS) -o $@ $(BZ_TEST_SRCS) -lcmocka
