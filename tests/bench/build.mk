# Host benchmark of the copy planner and the copy engine: `make bench`. It links
# the blob's own objects (build/obj/fs, renamed as tests/host/blob/build.mk
# does), so the figures are those of the code that ships.

BENCH_OBJS := $(addprefix $(B)/obj/blob-host/,core/plan.o core/sort.o arch/x86/string.o)

BENCH_CC := $(HOST_CC) $(HOST_CFLAGS)

BENCHES += $(B)/tests/bench/bench
$(eval $(call prog,$(B)/tests/bench/bench,tests/bench/bench.c stage/list.c,BENCH_CC,,\
	$(BENCH_OBJS) tests/bench/build.mk))
