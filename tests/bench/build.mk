# Host benchmark of the copy planner and the copy engine: `make bench`.

BENCH_SRC := tests/bench/bench.c loader/plan.c loader/sort.c
BENCH_HDR := loader/plan.h loader/sort.h include/baton/handoff.h

$(B)/tests/bench/bench: $(BENCH_SRC) $(BENCH_HDR)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(BENCH_SRC)

BENCHES += $(B)/tests/bench/bench
