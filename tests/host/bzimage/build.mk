# fmt/bzimage.c host test: the real source, linked against cmocka, run under
# AddressSanitizer + UBSan (as test_fmt): images are crafted in memory, each in
# a heap block of exactly its length, plus the host's own /boot/vmlinuz-* when
# there is one (the test skips that case cleanly when there is none).

BZ_TEST_SRCS := tests/host/test_bzimage.c tests/host/hostfile.c fmt/bzimage.c fmt/fmt.c fmt/elf.c
BZ_TEST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
BZ_TEST_CC   := $(HOST_CC) $(HOST_CFLAGS) $(BZ_TEST_SAN)

HOST_TESTS += $(B)/tests/host/test_bzimage

$(eval $(call prog,$(B)/tests/host/test_bzimage,$(BZ_TEST_SRCS),BZ_TEST_CC,-lcmocka,\
	tests/host/bzimage/build.mk))
