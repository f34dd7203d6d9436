# fmt/bzimage.c host test: the real source, linked against cmocka, run under
# AddressSanitizer + UBSan (as test_fmt): images are crafted in memory, each in
# a heap block of exactly its length, plus the host's own /boot/vmlinuz-* when
# there is one (the test skips that case cleanly when there is none).

BZ_TEST_SRCS := tests/host/test_bzimage.c tests/host/hostfile.c fmt/bzimage.c fmt/fmt.c fmt/elf.c
BZ_TEST_DEPS := $(BZ_TEST_SRCS) tests/host/hostfile.h fmt/bzimage.h fmt/fmt.h fmt/elf_impl.h \
	include/baton/handoff.h tests/host/bzimage/build.mk
BZ_TEST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

HOST_TESTS += $(B)/tests/host/test_bzimage

$(B)/tests/host/test_bzimage: $(BZ_TEST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(BZ_TEST_SAN) -o $@ $(BZ_TEST_SRCS) -lcmocka
