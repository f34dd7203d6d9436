# tests/qemu/linux: a tiny initramfs to boot Debian's own kernel with (README.md
# beside this file). The kernel itself is Debian's: sh mk/vmlinuz.sh prints it.
#
#   $(B)/linux/init                   /init: static, freestanding, no libc
#   $(B)/linux/initramfs.cpio         newc cpio: /dev/console, /proc, /sys, /init, /data.bin
#   $(B)/linux/initramfs.cpio.expect  data_bytes=<N> data_crc32=<hex> of /data.bin
#   $(B)/linux/initramfs-64m.cpio     the same with 63 MiB of data: a 64 MiB initrd

LINUX_SRC := tests/qemu/linux
LINUX_B   := $(B)/linux
# A Linux user program: -fno-pie -no-pie for a plain static ET_EXEC, no SSE so
# that no libc helper can be wanted; the red zone is fine in user space.
LINUX_INIT_CFLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -fno-stack-protector \
	-mgeneral-regs-only -fno-pie -fno-asynchronous-unwind-tables -fno-common \
	-fcf-protection=none
LINUX_INIT_LDFLAGS := -static -nostdlib -no-pie -Wl,--build-id=none -Wl,-z,noexecstack

$(LINUX_B)/init: $(LINUX_SRC)/init.c $(LINUX_SRC)/build.mk | $(B)/.deps
	@mkdir -p $(@D)
	$(HOST_CC) $(LINUX_INIT_CFLAGS) $(LINUX_INIT_LDFLAGS) -MMD -MP -o $@ $<

$(LINUX_B)/initramfs.cpio $(LINUX_B)/initramfs.cpio.expect &: $(LINUX_B)/init \
		$(LINUX_SRC)/mkinitramfs.py
	$(PYTHON) $(LINUX_SRC)/mkinitramfs.py --init $(LINUX_B)/init --out $(LINUX_B)/initramfs.cpio

$(LINUX_B)/initramfs-64m.cpio $(LINUX_B)/initramfs-64m.cpio.expect &: $(LINUX_B)/init \
		$(LINUX_SRC)/mkinitramfs.py
	$(PYTHON) $(LINUX_SRC)/mkinitramfs.py --init $(LINUX_B)/init --out $(LINUX_B)/initramfs-64m.cpio \
		--data-mib 63

-include $(LINUX_B)/init.d

ALL += $(LINUX_B)/initramfs.cpio $(LINUX_B)/initramfs.cpio.expect \
       $(LINUX_B)/initramfs-64m.cpio $(LINUX_B)/initramfs-64m.cpio.expect
