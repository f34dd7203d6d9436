# bls/ host test: the Boot Loader Specification parser, version comparison and
# sort (tests/host/test_bls.c), the real source under AddressSanitizer + UBSan.

BLS_TEST_SRCS := tests/host/test_bls.c bls/bls.c
BLS_TEST_CC   := $(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer

HOST_TESTS += $(B)/tests/host/test_bls

$(eval $(call prog,$(B)/tests/host/test_bls,$(BLS_TEST_SRCS),BLS_TEST_CC,-lcmocka,\
	tests/host/bls/build.mk))
