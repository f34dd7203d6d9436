# The loader's own string functions (arch/x86/string.c), tested as the blob links
# them: the freestanding object itself, with memmove, memcpy and memset renamed
# blob_* (in it and in every object that calls them) so that they live beside
# glibc's. The bench (tests/bench/) times the same objects with the blob's planner.

BLOB_STRING_SYMS := memmove memcpy memset

$(B)/obj/blob-host/%.o: $(B)/obj/fs/%.o
	@mkdir -p $(dir $@)
	objcopy $(foreach s,$(BLOB_STRING_SYMS),--redefine-sym $(s)=blob_$(s)) $< $@

STRING_TEST_OBJS := $(B)/obj/blob-host/arch/x86/string.o

$(B)/tests/host/test_string: tests/host/test_string.c $(STRING_TEST_OBJS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -o $@ $< $(STRING_TEST_OBJS) -lcmocka

HOST_TESTS += $(B)/tests/host/test_string
-include $(B)/tests/host/test_string.d
