# The copy planner's host tests: core/plan.c and core/sort.c, built for the host
# unchanged, against simulated memory (tests/host/sim.c).

PLAN_TEST_SRC := tests/host/test_plan.c tests/host/plancheck.c tests/host/sim.c core/plan.c core/sort.c
PLAN_TEST_CC  := $(HOST_CC) $(HOST_CFLAGS)

$(eval $(call prog,$(B)/tests/host/test_plan,$(PLAN_TEST_SRC),PLAN_TEST_CC,-lcmocka,tests/host/plan/build.mk))

HOST_TESTS += $(B)/tests/host/test_plan $(B)/tests/host/test_plan_san

# The same under AddressSanitizer + UBSan: make check runs both (the plain build is
# the one the loader's -O2/-Os code paths resemble; the sanitized one catches UB).
PLAN_SAN_CC   := $(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
$(eval $(call prog,$(B)/tests/host/test_plan_san,$(PLAN_TEST_SRC),PLAN_SAN_CC,-lcmocka,\
	tests/host/plan/build.mk))
