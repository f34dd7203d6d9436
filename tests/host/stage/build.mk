# stage/ and loader/check.c host test: the whole outgoing side and the loader's
# validator and planner run as one host program against a simulated machine
# (tests/host/hostenv.c). Everything, the code under test included, is built with
# AddressSanitizer + UBSan: the stage's and the loader's sources get their own
# sanitized objects here (the generic $(B)/obj/host rule builds them without).

STAGE_TEST_SRCS := tests/host/test_stage.c tests/host/hostenv.c tests/host/hostfile.c
STAGE_TEST_HDRS := tests/host/hostenv.h tests/host/hostfile.h tests/host/mbcraft.h fmt/multiboot.h stage/stage.h stage/stage_int.h loader/check.h fmt/bzimage.h \
	loader/plan.h loader/layout.h loader/crc32.h fmt/fmt.h include/baton/handoff.h \
	include/baton/blob.h
STAGE_TEST_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
STAGE_SAN_OBJS  := $(STAGE_C:%.c=$(B)/obj/stage-san/%.o)

HOST_TESTS += $(B)/tests/host/test_stage

$(B)/obj/stage-san/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(STAGE_TEST_SAN) -MMD -MP -c $< -o $@

$(B)/tests/host/test_stage: $(STAGE_TEST_SRCS) $(STAGE_TEST_HDRS) $(STAGE_SAN_OBJS) \
		tests/host/stage/build.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(STAGE_TEST_SAN) $(HOSTFILE_DEFS) -o $@ $(STAGE_TEST_SRCS) $(STAGE_SAN_OBJS) \
		-lcmocka -lfdt

-include $(STAGE_SAN_OBJS:.o=.d)
