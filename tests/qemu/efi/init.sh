#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the EFI chainloader cases (tests/qemu/efi/README.md): Debian's kernel
# started by a UEFI boot loader (systemd-boot, GRUB, baton.efi) from the ESP
# that tests/qemu/efi/esp.py wrote. It reports what UEFI left the kernel, in ONE
# line that cases.py judges:
#
#   efi-init: efi=yes runtime=yes runtime_map=N efivarfs=yes var=ok
#             boot_current=XXXX loader_info=<LoaderInfo or -> release=R cpus=C
#             cmdline=<the kernel's command line>
#
# efi: /sys/firmware/efi exists (the kernel took the EFI system table);
# runtime: /sys/firmware/efi/runtime is not empty; var=ok: an EFI variable
# written through efivarfs (SetVariable) read back (GetVariable);
# boot_current: the firmware's BootCurrent (which boot option started the
# loader); loader_info: the Boot Loader Interface's LoaderInfo variable, set
# by systemd-boot (and by any loader following that interface). Then it powers
# off. build.mk packs it with busybox-static and efivarfs into
# build/efitest/initrd.cpio.
/bin/busybox mkdir -p /bin /proc /sys /dev
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec >/dev/console 2>&1

yes_no() { if "$@"; then echo yes; else echo no; fi; }
efi=$(yes_no test -d /sys/firmware/efi)
runtime=$(yes_no test -s /sys/firmware/efi/runtime)
rmap=$(ls /sys/firmware/efi/runtime-map 2>/dev/null | wc -l)
[ -r /kmod.list ] && while read -r m; do insmod "$m" 2>/dev/null; done </kmod.list
VARS=/sys/firmware/efi/efivars
efivarfs=no var=none boot_current=- loader_info=-
if [ "$efi" = yes ] && mount -t efivarfs efivarfs $VARS 2>/dev/null; then
	efivarfs=yes
	# efivarfs: 4 bytes of attributes, then the data
	GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
	LOADER=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
	VAR=$VARS/BatonEfiTest-4c6f6164-6572-4261-746f-6e5465737421
	VALUE=baton-efi-test-1
	printf '\007\000\000\000%s' "$VALUE" >"$VAR" 2>/dev/null
	if [ "$(dd if="$VAR" bs=1 skip=4 2>/dev/null)" = "$VALUE" ]; then var=ok; else var=FAIL; fi
	# (left in the store: efivarfs makes it immutable and busybox has no
	# chattr; each case starts from a fresh copy of OVMF_VARS_4M.fd)
	# BootCurrent: a UINT16, little endian
	if [ -r $VARS/BootCurrent-$GLOBAL ]; then
		boot_current=$(dd if=$VARS/BootCurrent-$GLOBAL bs=1 skip=4 count=2 2>/dev/null |
			od -An -tx1 | awk '{ printf "%s%s", $2, $1 }')
	fi
	# LoaderInfo: UCS-2, NUL-terminated; keep the ASCII
	if [ -r $VARS/LoaderInfo-$LOADER ]; then
		loader_info=$(dd if=$VARS/LoaderInfo-$LOADER bs=1 skip=4 2>/dev/null | tr -d '\000' | tr ' ' '_')
	fi
fi
echo "efi-init: efi=$efi runtime=$runtime runtime_map=$rmap efivarfs=$efivarfs var=$var" \
	"boot_current=$boot_current loader_info=${loader_info:--} release=$(uname -r)" \
	"cpus=$(cat /sys/devices/system/cpu/online) cmdline=$(cat /proc/cmdline)"
sync
poweroff -f
