# Every refusal of the copy planner, driven one by one: core/plan.c included
# whole into the test (tests/host/test_plan_refusals.c), so that the checks no
# valid input can reach are driven too, on hand-made internal state.

PLAN_REFUSALS_CC := $(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer

HOST_TESTS += $(B)/tests/host/test_plan_refusals
$(eval $(call prog,$(B)/tests/host/test_plan_refusals,tests/host/test_plan_refusals.c core/sort.c,\
	PLAN_REFUSALS_CC,-lcmocka,tests/host/plan_refusals/build.mk))
