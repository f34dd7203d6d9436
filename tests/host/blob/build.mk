# Host tests of the loader's freestanding objects as the blob links them
# (build/obj/fs: -Oz, no SSE), not of a host build of the same source:
#  - test_string: arch/x86/string.c, with memmove, memcpy and memset renamed
#    blob_* (in it and in every object that calls them) so that they live beside
#    glibc's. The bench (tests/bench/) times the same objects with the planner.
#  - test_format: loader/format.c, against glibc's vsnprintf.

BLOB_STRING_SYMS := memmove memcpy memset

$(B)/obj/blob-host/%.o: $(B)/obj/fs/%.o
	@mkdir -p $(dir $@)
	objcopy $(foreach s,$(BLOB_STRING_SYMS),--redefine-sym $(s)=blob_$(s)) $< $@

BLOB_TEST_CC := $(HOST_CC) $(HOST_CFLAGS)

HOST_TESTS += $(B)/tests/host/test_string $(B)/tests/host/test_format
$(eval $(call prog,$(B)/tests/host/test_string,tests/host/test_string.c,BLOB_TEST_CC,-lcmocka,\
	$(B)/obj/blob-host/arch/x86/string.o tests/host/blob/build.mk))
$(eval $(call prog,$(B)/tests/host/test_format,tests/host/test_format.c,BLOB_TEST_CC,-lcmocka,\
	$(B)/obj/blob-host/loader/format.o tests/host/blob/build.mk))
