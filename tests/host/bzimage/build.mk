# fmt/bzimage.c host test: the real source, linked against cmocka, run under
# AddressSanitizer + UBSan (as test_fmt): images are crafted in memory, each in
# a heap block of exactly its length, plus the kernel mk/vmlinuz.sh names (the
# test fails, with the script's reason, when there is none).

BZ_TEST_SRCS := tests/host/test_bzimage.c tests/host/hostfile.c fmt/bzimage.c fmt/fmt.c fmt/errors.c fmt/elf.c \
		stage/linux_place.c core/memmap.c
BZ_TEST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
BZ_TEST_CC   := $(HOST_CC) $(HOST_CFLAGS) $(BZ_TEST_SAN) $(HOSTFILE_DEFS)

HOST_TESTS += $(B)/tests/host/test_bzimage

$(eval $(call prog,$(B)/tests/host/test_bzimage,$(BZ_TEST_SRCS),BZ_TEST_CC,-lcmocka,\
	tests/host/bzimage/build.mk))
