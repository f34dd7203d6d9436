# The baton command's host test (tests/host/test_cli.c): cli/'s pure parts and
# fmt/bzimage.c's zero page facts under AddressSanitizer + UBSan, and the built
# command (build/cli/baton, its absolute path compiled in) run against sample
# system trees. fmt/*.c: whatever fmt/ is made of.

CLI_TEST_SRCS := tests/host/test_cli.c tests/host/hostfile.c cli/args.c cli/parse.c \
		 $(sort $(wildcard fmt/*.c)) stage/linux_place.c core/memmap.c
CLI_TEST_CC   := $(HOST_CC) $(HOST_CFLAGS) -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer $(HOSTFILE_DEFS) \
	-DCLI_BATON='"$(abspath $(CLI_BIN))"' -DBATON_VERSION_STRING='"$(shell cat VERSION)"'

HOST_TESTS += $(B)/tests/host/test_cli

$(eval $(call prog,$(B)/tests/host/test_cli,$(CLI_TEST_SRCS),CLI_TEST_CC,-lcmocka,\
	$(CLI_BIN) tests/host/cli/build.mk VERSION))
