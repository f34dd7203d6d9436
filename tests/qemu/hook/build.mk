# tests/qemu/hook: the kernel hook's smoke test (README.md beside this file).
# Not in ALL or make check yet: run it with tests/qemu/hook/run.sh. (Included
# before tests/qemu/linux/build.mk: its variables only inside recipes.)
#
#   $(B)/hook/test             /init: static, freestanding, no libc
#   $(B)/hook/initramfs.cpio   /init, /baton.ko (and the usual /dev, /proc, /sys)

HOOK_TEST_SRC := tests/qemu/hook

$(HOOK_B)/test: $(HOOK_TEST_SRC)/test.c $(HOOK_TEST_SRC)/build.mk | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) $(LINUX_INIT_CFLAGS) -Iinclude $(LINUX_INIT_LDFLAGS) -MMD -MP -o $@ $<

$(HOOK_B)/initramfs.cpio: $(HOOK_B)/test $(HOOK_B)/baton.ko tests/qemu/linux/mkinitramfs.py
	$(PYTHON) tests/qemu/linux/mkinitramfs.py --init $(HOOK_B)/test --out $@ \
		--data-mib 0 --file baton.ko=$(HOOK_B)/baton.ko

-include $(HOOK_B)/test.d
