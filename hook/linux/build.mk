# hook/linux: baton.ko for the guest kernel (mk/vmlinuz.sh), with kbuild against
# the matching linux-headers-<release> (mk/deps.sh installs it). Built in a copy,
# $(B)/hook/src, laid out as a dkms tree, so the source folder stays clean.
# Not in ALL yet: the prototype is reviewed first (hook/linux/README.md).
#
#   $(B)/hook/baton.ko

HOOK_B := $(B)/hook
HOOK_SRC := hook/linux/baton.c hook/linux/Kbuild include/baton/hook.h

$(HOOK_B)/baton.ko: $(HOOK_SRC) hook/linux/build.mk mk/vmlinuz.sh | $(B)/.deps
	@rm -rf $(HOOK_B)/src && mkdir -p $(HOOK_B)/src/include/baton
	@cp hook/linux/baton.c hook/linux/Kbuild $(HOOK_B)/src/
	@cp include/baton/hook.h $(HOOK_B)/src/include/baton/
	+@rel=$$(sh mk/vmlinuz.sh --release) && \
		$(MAKE) --no-print-directory -C /lib/modules/$$rel/build M=$(abspath $(HOOK_B)/src) modules
	cp $(HOOK_B)/src/baton.ko $@
