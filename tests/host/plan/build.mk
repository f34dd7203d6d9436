# The copy planner's host tests: loader/plan.c and loader/sort.c, built for the host
# unchanged, against simulated memory (tests/host/sim.c).

PLAN_TEST_SRC := tests/host/test_plan.c tests/host/plancheck.c tests/host/sim.c loader/plan.c loader/sort.c
PLAN_TEST_HDR := loader/plan.h loader/sort.h tests/host/sim.h tests/host/plancheck.h include/baton/handoff.h

$(B)/tests/host/test_plan: $(PLAN_TEST_SRC) $(PLAN_TEST_HDR)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(PLAN_TEST_SRC) -lcmocka

HOST_TESTS += $(B)/tests/host/test_plan $(B)/tests/host/test_plan_san

# The same under AddressSanitizer + UBSan: make check runs both (the plain build is
# the one the loader's -O2/-Os code paths resemble; the sanitized one catches UB).
$(B)/tests/host/test_plan_san: $(PLAN_TEST_SRC) $(PLAN_TEST_HDR)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ $(PLAN_TEST_SRC) -lcmocka
