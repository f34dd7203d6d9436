# tests/qemu/hook: the kernel hook's QEMU cases (README.md beside this file),
# run by tests/qemu/run.py with the rest (the case table: cases.py here).
# Included before tests/qemu/linux/build.mk: its variables only inside recipes.
#
#   $(B)/hook/guest            /init of both kernels: static (glibc), baton.test=NAME
#   $(B)/hook/initrd2.cpio     the second kernel's initramfs: /init, virtio modules,
#                              busybox (udhcpc)
#   $(B)/hook/initramfs.cpio   the first kernel's: /init, /baton.ko, /baton,
#                              kexec and its libraries, the virtio modules,
#                              /vmlinuz (mk/vmlinuz.sh), /initrd2.cpio, /probe.elf
#   $(B)/hook/uefi2.cpio       hook-uefi's second kernel: /init = uefi-init.sh
#                              (busybox sh), busybox-static, efivarfs
#   $(B)/hook/uefi1.cpio       hook-uefi's first kernel: the same and /baton.ko,
#                              /baton, /vmlinuz, /initrd2.cpio = uefi2.cpio
#   $(B)/hook/vmlinuz.path     which kernel that is: rewritten only when it changes

HOOK_TEST_SRC := tests/qemu/hook
HOOK_GUEST_CC  = $(HOST_CC) -std=gnu11 -O2 $(WARN) -Iinclude -I.
# The virtio drivers the cases use; mkinitramfs.py adds what they depend on.
HOOK_KMODS := virtio_pci virtio_blk virtio_net
# The baton command (cli/build.mk).
HOOK_CLI := $(B)/cli/baton

$(eval $(call prog,$(HOOK_B)/guest,$(HOOK_TEST_SRC)/guest.c core/crc32.c,HOOK_GUEST_CC,-static,\
	$(HOOK_TEST_SRC)/build.mk))

$(HOOK_B)/vmlinuz.path: FORCE | $(B)/.deps
	@mkdir -p $(@D)
	@k=$$(sh mk/vmlinuz.sh) && r=$$(sh mk/vmlinuz.sh --release) && \
	if [ "$$(cat $@ 2>/dev/null)" != "$$k $$r" ]; then echo "$$k $$r" >$@; fi

# A program of a Debian package, by the package's own file list.
hook_pkg_file = $$(dpkg -L $(1) | grep -m 1 '$(2)$$')

$(HOOK_B)/initrd2.cpio: $(HOOK_B)/guest $(HOOK_B)/vmlinuz.path tests/qemu/linux/mkinitramfs.py
	set -e; rel=$$(cut -d' ' -f2 $(HOOK_B)/vmlinuz.path); \
	$(PYTHON) tests/qemu/linux/mkinitramfs.py --init $(HOOK_B)/guest --out $@ --data-mib 0 \
		--bin $(call hook_pkg_file,busybox-static,/bin/busybox) \
		--kmod-dir /lib/modules/$$rel $(addprefix --kmod ,$(HOOK_KMODS))

$(HOOK_B)/initramfs.cpio: $(HOOK_B)/guest $(HOOK_B)/baton.ko $(HOOK_B)/initrd2.cpio $(HOOK_CLI) \
		$(B)/probe.elf $(HOOK_B)/vmlinuz.path tests/qemu/linux/mkinitramfs.py
	set -e; k=$$(cut -d' ' -f1 $(HOOK_B)/vmlinuz.path); rel=$$(cut -d' ' -f2 $(HOOK_B)/vmlinuz.path); \
	$(PYTHON) tests/qemu/linux/mkinitramfs.py --init $(HOOK_B)/guest --out $@ --data-mib 0 \
		--file baton.ko=$(HOOK_B)/baton.ko --file baton=$(HOOK_CLI) \
		--file vmlinuz=$$k --file initrd2.cpio=$(HOOK_B)/initrd2.cpio \
		--file probe.elf=$(B)/probe.elf \
		--bin $(call hook_pkg_file,kexec-tools,/sbin/kexec) \
		--kmod-dir /lib/modules/$$rel $(addprefix --kmod ,$(HOOK_KMODS))

ALL += $(HOOK_B)/initramfs.cpio

# hook-uefi (cases.py): OVMF boots the first kernel, which hands over through
# baton to the second; both run uefi-init.sh under busybox, efivarfs beside it.
HOOK_UEFI_INIT := $(HOOK_TEST_SRC)/uefi-init.sh
HOOK_UEFI_ARGS  = --init $(HOOK_UEFI_INIT) --data-mib 0 \
	--bin $(call hook_pkg_file,busybox-static,/bin/busybox) \
	--kmod-dir /lib/modules/$$rel --kmod efivarfs

$(HOOK_B)/uefi2.cpio: $(HOOK_UEFI_INIT) $(HOOK_B)/vmlinuz.path tests/qemu/linux/mkinitramfs.py
	set -e; rel=$$(cut -d' ' -f2 $(HOOK_B)/vmlinuz.path); \
	$(PYTHON) tests/qemu/linux/mkinitramfs.py --out $@ $(HOOK_UEFI_ARGS)

$(HOOK_B)/uefi1.cpio: $(HOOK_UEFI_INIT) $(HOOK_B)/baton.ko $(HOOK_B)/uefi2.cpio $(HOOK_CLI) \
		$(HOOK_B)/vmlinuz.path tests/qemu/linux/mkinitramfs.py
	set -e; k=$$(cut -d' ' -f1 $(HOOK_B)/vmlinuz.path); rel=$$(cut -d' ' -f2 $(HOOK_B)/vmlinuz.path); \
	$(PYTHON) tests/qemu/linux/mkinitramfs.py --out $@ $(HOOK_UEFI_ARGS) \
		--file baton.ko=$(HOOK_B)/baton.ko --file baton=$(HOOK_CLI) \
		--file vmlinuz=$$k --file initrd2.cpio=$(HOOK_B)/uefi2.cpio

ALL += $(HOOK_B)/uefi1.cpio
