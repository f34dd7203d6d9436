#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of both kernels of the case hook-uefi (tests/qemu/hook/README.md): a
# first kernel started by UEFI (OVMF's direct kernel boot) writes an EFI
# variable, loads the same kernel through `baton load` and `baton exec`s into
# it; the second kernel must find /sys/firmware/efi with working runtime
# services: the variable read back through efivarfs (GetVariable), one written
# (SetVariable), the runtime map the first kernel's SetVirtualAddressMap left.
# One "hook-test:" line per check, as guest.c beside it prints them (cases.py
# judges them); baton.uefi=first|second picks the run. build.mk puts it with
# busybox-static and efivarfs into build/hook/uefi1.cpio and uefi2.cpio.
/bin/busybox mkdir -p /bin /proc /sys /dev
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec >/dev/console 2>&1

passed=0 failed=0
pass() { echo "hook-test: PASS $*"; passed=$((passed + 1)); }
fail() { echo "hook-test: FAIL $*"; failed=$((failed + 1)); }
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
info() { echo "hook-test: info $*"; }
done_() {
	echo "hook-test: done uefi-$stage: $passed passed, $failed failed"
	sync
	poweroff -f
}

stage=$(sed -n 's/.*baton\.uefi=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "hook-test: start uefi-$stage on $(uname -r) cpus $(cat /sys/devices/system/cpu/online) cmdline $(cat /proc/cmdline)"
GUID=4c6f6164-6572-4261-746f-6e5465737421
VARS=/sys/firmware/efi/efivars
VAR=$VARS/BatonTest-$GUID
VAR2=$VARS/BatonSecond-$GUID
VALUE=baton-uefi-handoff-1

efi_setup() {
	check "booted by UEFI: /sys/firmware/efi" test -d /sys/firmware/efi
	check "EFI runtime services: /sys/firmware/efi/runtime" test -s /sys/firmware/efi/runtime
	n=$(ls /sys/firmware/efi/runtime-map 2>/dev/null | wc -l)
	info "runtime-map entries: $n"
	check "runtime map has entries" test "$n" -gt 0
	# the modules mkinitramfs.py added, in /kmod.list's order (efivarfs)
	[ -r /kmod.list ] && while read -r m; do insmod "$m"; done </kmod.list
	check "efivarfs mounted" mount -t efivarfs efivarfs $VARS
}

# efivarfs: 4 bytes of attributes (NV|BS|RT = 7), then the data
var_write() { printf '\007\000\000\000%s' "$2" > "$1"; }
var_read() { dd if="$1" bs=1 skip=4 2>/dev/null; }

case "$stage" in
first)
	efi_setup
	var_write "$VAR" "$VALUE"
	check "write EFI variable BatonTest" test "$(var_read "$VAR")" = "$VALUE"
	check "insmod baton.ko" insmod /baton.ko
	# the command's other paths first, each with its exit status (baton.8)
	exits() { want=$1; name=$2; shift 2; "$@" >/dev/null 2>&1; rc=$?
		check "$name (exit status $rc, want $want)" test $rc = "$want"; }
	exits 10 "baton exec with nothing armed" /baton exec
	exits 10 "baton status with nothing armed" /baton status
	exits 0 "baton load a kernel alone" /baton load /vmlinuz -q
	exits 0 "baton status armed" /baton status
	exits 4 "baton load of a refused image" /baton load /baton.ko
	exits 0 "still armed after a refused image" /baton status
	exits 3 "baton load of a missing file" /baton load /nonexistent
	exits 0 "baton unload" /baton unload
	exits 10 "nothing armed after unload" /baton status
	next="console=ttyS0 panic=-1 baton.uefi=second"
	info "next cmdline: $next"
	/baton load /vmlinuz --initrd /initrd2.cpio --no-progress --append "$next"
	rc=$?
	check "baton load (exit status $rc)" test $rc = 0
	/baton status
	if [ $failed = 0 ]; then
		echo "hook-test: trigger baton: baton exec"
		/baton exec
		fail "baton exec returned (exit status $?)"
	fi
	done_
	;;
second)
	efi_setup
	check "EFI variable BatonTest read back" test "$(var_read "$VAR")" = "$VALUE"
	var_write "$VAR2" second
	check "write EFI variable BatonSecond" test "$(var_read "$VAR2")" = second
	info "$(dmesg | grep -m 3 -i 'efi: \(EFI v\|ACPI\|SMBIOS\)' | tr '\n' ' ')"
	if dmesg | grep -qi 'efi.*\(fail\|error\|bad\)'; then
		fail "kernel log: an EFI error: $(dmesg | grep -i -m 1 'efi.*\(fail\|error\|bad\)')"
	else
		pass "kernel log: no EFI error"
	fi
	done_
	;;
*)
	fail "no baton.uefi=first|second on the command line"
	done_
	;;
esac
