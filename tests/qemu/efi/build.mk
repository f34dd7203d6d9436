# tests/qemu/efi: the UEFI boot loader cases (README.md beside this file), run
# by tests/qemu/run.py with the rest (the case table: cases.py here). The ESP
# images themselves are written per case at run time (esp.py).
#
#   $(B)/efitest/initrd.cpio   /init = init.sh (busybox sh), busybox-static, efivarfs

EFITEST_SRC := tests/qemu/efi
EFITEST_B   := $(B)/efitest

$(EFITEST_B)/initrd.cpio: $(EFITEST_SRC)/init.sh $(HOOK_B)/vmlinuz.path tests/qemu/linux/mkinitramfs.py
	@mkdir -p $(@D)
	set -e; rel=$$(cut -d' ' -f2 $(HOOK_B)/vmlinuz.path); \
	$(PYTHON) tests/qemu/linux/mkinitramfs.py --out $@ --init $(EFITEST_SRC)/init.sh --data-mib 0 \
		--bin $$(dpkg -L busybox-static | grep -m 1 '/bin/busybox$$') \
		--kmod-dir /lib/modules/$$rel --kmod efivarfs

ALL += $(EFITEST_B)/initrd.cpio

# GRUB as a single EFI binary (grub-efi-amd64-bin's modules, grub-common's
# grub-mkstandalone): only the modules a Linux entry needs, and an embedded
# config that finds the ESP's \EFI\BOOT\grub.cfg (the case's entry, esp.py
# writes it) and reads it, as a distribution's signed grubx64.efi does.
EFITEST_GRUB_MODS := linux normal configfile search search_fs_file fat part_msdos part_gpt echo

$(EFITEST_B)/grubx64.efi: $(EFITEST_SRC)/grub-embed.cfg $(EFITEST_SRC)/build.mk | $(B)/.deps
	@mkdir -p $(@D)
	grub-mkstandalone -O x86_64-efi -o $@ --install-modules="$(EFITEST_GRUB_MODS)" \
		--modules="fat part_msdos part_gpt" --locales= --fonts= --themes= \
		"boot/grub/grub.cfg=$(EFITEST_SRC)/grub-embed.cfg"

ALL += $(EFITEST_B)/grubx64.efi

# baton.efi signed with the test key Debian's ovmf ships (PkKek-1-snakeoil,
# enrolled in OVMF_VARS_4M.snakeoil.fd; its private key's passphrase is
# "snakeoil"), for the Secure Boot case: sbsigntool's sbsign.
$(EFITEST_B)/baton-signed.efi: $(B)/efi/baton.efi | $(B)/.deps
	@mkdir -p $(@D)
	openssl rsa -in /usr/share/ovmf/PkKek-1-snakeoil.key -passin pass:snakeoil \
		-out $(EFITEST_B)/snakeoil.key 2>/dev/null
	sbsign --key $(EFITEST_B)/snakeoil.key --cert /usr/share/ovmf/PkKek-1-snakeoil.pem \
		--output $@ $< 2>/dev/null

ALL += $(EFITEST_B)/baton-signed.efi
