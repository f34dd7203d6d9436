# The stage library, freestanding: linked into outgoing sides (the QEMU test
# kernel today; a kernel hook and a UEFI chainloader later). STAGE_FS_OBJS is
# everything an outgoing side links besides libfdt and a libc.

include stage/sources.mk
STAGE_FS_OBJS := $(STAGE_C:%.c=$(B)/obj/fs/%.o)

# The same sources built for the host, for tests and benchmarks.
STAGE_HOST_OBJS := $(STAGE_C:%.c=$(B)/obj/host/%.o)

$(B)/obj/host/%.o: %.c | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

-include $(STAGE_FS_OBJS:.o=.d) $(STAGE_HOST_OBJS:.o=.d)
