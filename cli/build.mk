# The `baton` command (cli/): a static program (glibc's libc.a, Debian's
# libfdt.a) linking the repository's fmt/, stage/ and core/ sources built for
# the host, and bls/. `make install` puts it and its manual under
# $(DESTDIR)$(PREFIX) (default /usr/local: sbin/baton, share/man/man8/baton.8).

CLI_SRCS := cli/main.c cli/args.c cli/parse.c cli/system.c cli/load.c cli/bootent.c bls/bls.c
# The stage library's sources: every C file of stage/, fmt/ and core/ (what
# stage/build.mk's STAGE_C lists; that file is read after this one, so its
# variable is still empty here).
CLI_STAGE_SRCS := $(sort $(wildcard stage/*.c fmt/*.c core/*.c))
# The version, one for the command and the module's dkms tree: VERSION.
CLI_CC   := $(HOST_CC) $(HOST_CFLAGS) -DBATON_VERSION_STRING='"$(shell cat VERSION)"'
CLI_BIN  := $(B)/cli/baton

ALL += $(CLI_BIN)

$(eval $(call prog,$(CLI_BIN),$(CLI_SRCS) $(CLI_STAGE_SRCS),CLI_CC,-static -lfdt,cli/build.mk VERSION))

PREFIX ?= /usr/local
.PHONY: install install-cli
install: install-cli
install-cli: $(CLI_BIN)
	install -D -m 0755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/sbin/baton
	install -D -m 0644 cli/baton.8 $(DESTDIR)$(PREFIX)/share/man/man8/baton.8
