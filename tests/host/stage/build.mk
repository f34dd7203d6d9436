# stage/ and core/check.c host test: the whole outgoing side and the loader's
# validator and planner run as one host program against a simulated machine
# (tests/host/hostenv.c). Everything, the code under test included, is built with
# AddressSanitizer + UBSan.

STAGE_TEST_SRCS := tests/host/test_stage.c tests/host/hostenv.c tests/host/hostfile.c
STAGE_TEST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
STAGE_TEST_CC   := $(HOST_CC) $(HOST_CFLAGS) $(STAGE_TEST_SAN) $(HOSTFILE_DEFS)

HOST_TESTS += $(B)/tests/host/test_stage

$(eval $(call prog,$(B)/tests/host/test_stage,$(STAGE_TEST_SRCS) $(STAGE_C),STAGE_TEST_CC,\
	-lcmocka -lfdt,tests/host/stage/build.mk))
