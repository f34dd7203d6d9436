# hook/linux: baton.ko for the guest kernel (mk/vmlinuz.sh), with kbuild against
# the matching linux-headers-<release> (mk/deps.sh installs it), in the tree
# hook/linux/mktree.sh lays out ($(B)/hook/src, the same shape as the dkms
# tree), so the source folder stays clean.
#
#   $(B)/hook/baton.ko

HOOK_B := $(B)/hook
HOOK_SRC := $(wildcard hook/linux/*.c hook/linux/*.h hook/linux/*.S hook/linux/shim/*.h) \
	hook/linux/Kbuild hook/linux/mktree.sh hook/linux/dkms.conf hook/linux/Makefile VERSION include/baton/hook.h include/baton/handoff.h \
	include/baton/blob.h $(wildcard core/*.c core/*.h stage/*.c stage/*.h) fmt/fmt.h fmt/bzimage.h fmt/errors.c

ALL += $(HOOK_B)/baton.ko

$(HOOK_B)/baton.ko: $(HOOK_SRC) $(B)/loader.bin hook/linux/build.mk mk/vmlinuz.sh | $(B)/.deps
	@sh hook/linux/mktree.sh $(HOOK_B)/src $(B)/loader.bin
	+@rel=$$(sh mk/vmlinuz.sh --release) && \
		$(MAKE) --no-print-directory -C /lib/modules/$$rel/build M=$(abspath $(HOOK_B)/src) modules \
		>$(HOOK_B)/build.log 2>&1 || { cat $(HOOK_B)/build.log; exit 1; }
	@grep -E 'warning|error' $(HOOK_B)/build.log || true
	cp $(HOOK_B)/src/baton.ko $@

# install-hook: baton.ko through dkms, so it follows kernel upgrades: every
# version dkms knows removed, the tree in /usr/src/baton-<version> (dkms reads
# /usr/src: DESTDIR does not apply), then dkms add, build and install for the
# running kernel (KVER=... another; every later one: AUTOINSTALL).
BATON_VERSION := $(shell cat VERSION)
KVER ?= $(shell uname -r)

install-hook: $(B)/loader.bin
	@command -v dkms >/dev/null || { echo "install-hook: dkms is missing: apt-get install dkms linux-headers-$$(uname -r)"; exit 1; }
	-@for v in $$(dkms status baton 2>/dev/null | sed -n 's|^baton/\([^,:]*\).*|\1|p' | sort -u); do \
		dkms remove baton/$$v --all >/dev/null 2>&1; done
	sh hook/linux/mktree.sh /usr/src/baton-$(BATON_VERSION) $(B)/loader.bin
	dkms add baton/$(BATON_VERSION)
	dkms install baton/$(BATON_VERSION) -k $(KVER)

.PHONY: install-hook
install: install-hook
