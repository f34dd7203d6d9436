# make coverage: line coverage of fmt/, stage/ and core/ under test_fmt,
# test_bzimage, test_stage and test_plan. Each is built again into $(COV) with
# --coverage -O0 and no sanitizer, from the same sources, -D defines and libraries
# as its rule in tests/host/*/build.mk; the .gcno/.gcda files stay next to the
# objects in $(COV)/obj/<test>/. Then the old .gcda files go, each test runs (all
# must pass), and mk/coverage.py reads gcc's gcov JSON and prints per file, per
# folder and overall (also $(COV)/report.txt; uncovered lines in uncovered.txt).
#
# The Makefile includes this file after every build.mk: its prerequisite lists
# are the host tests' source lists, which must be defined by then.

COV        := $(B)/coverage
COV_PROGS  := test_fmt test_bzimage test_stage test_plan
COV_BINS   := $(COV_PROGS:%=$(COV)/%)
COV_CFLAGS := $(filter-out -O%,$(HOST_CFLAGS)) -O0 -g --coverage

COV_CC     := $(HOST_CC) $(COV_CFLAGS)
COV_FMT_CC := $(COV_CC) $(FMT_TEST_DEFS)
COV_HF_CC  := $(COV_CC) $(HOSTFILE_DEFS)

$(eval $(call prog,$(COV)/test_fmt,$(FMT_TEST_SRCS),COV_FMT_CC,-lcmocka,$(FMT_TINY_ELFS) tests/coverage/coverage.mk))
$(eval $(call prog,$(COV)/test_bzimage,$(BZ_TEST_SRCS),COV_HF_CC,-lcmocka,tests/coverage/coverage.mk))
$(eval $(call prog,$(COV)/test_stage,$(STAGE_TEST_SRCS) $(STAGE_C),COV_HF_CC,-lcmocka -lfdt,tests/coverage/coverage.mk))
$(eval $(call prog,$(COV)/test_plan,$(PLAN_TEST_SRC),COV_CC,-lcmocka,tests/coverage/coverage.mk))

coverage: deps
	@$(MAKE) -s --no-print-directory $(COV_BINS)
	@find $(COV) -name '*.gcda' -delete
	@bad=""; for t in $(COV_PROGS); do \
		$(COV)/$$t >$(COV)/$$t.log 2>&1 & eval "pid_$$t=$$!"; \
	done; \
	for t in $(COV_PROGS); do \
		if eval "wait \$$pid_$$t"; then tail -n 1 $(COV)/$$t.log | sed "s|^|$$t: |"; \
		else cat $(COV)/$$t.log; bad="$$bad $$t"; fi; \
	done; \
	if [ -n "$$bad" ]; then echo "coverage: failing tests:$$bad"; exit 1; fi
	@$(PYTHON) mk/coverage.py $(COV)
