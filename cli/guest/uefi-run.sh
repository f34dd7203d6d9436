#!/bin/sh
# SPDX-License-Identifier: MIT
# The UEFI case by hand (cli/guest/README.md): OVMF starts Debian's kernel
# directly (-kernel/-initrd), its /init (uefi-init.sh) loads the same kernel
# through `baton load` and `baton exec`s; the second kernel checks EFI runtime
# services. Needs: make (build/cli/baton, build/hook/baton.ko), Debian's ovmf,
# busybox-static. Usage, from the repository's top: sh cli/guest/uefi-run.sh
# Exit status 0 when both kernels' checks passed; the log in build/cli/uefi.log.
set -eu
py=$(command -v /usr/bin/python3 || command -v python3)
ovmf=/usr/share/ovmf/OVMF.fd
out=build/cli
k=$(sh mk/vmlinuz.sh)
rel=$(sh mk/vmlinuz.sh --release)
[ -r "$ovmf" ] || { echo "uefi: $ovmf missing: apt-get install ovmf" >&2; exit 1; }
make -s --no-print-directory build/cli/baton build/hook/baton.ko
mkdir -p $out
"$py" tests/qemu/linux/mkinitramfs.py --init cli/guest/uefi-init.sh --out $out/uefi2.cpio \
	--data-mib 0 --bin /bin/busybox --kmod-dir /lib/modules/$rel --kmod efivarfs
"$py" tests/qemu/linux/mkinitramfs.py --init cli/guest/uefi-init.sh --out $out/uefi1.cpio \
	--data-mib 0 --bin /bin/busybox --kmod-dir /lib/modules/$rel --kmod efivarfs \
	--file baton.ko=build/hook/baton.ko --file baton=build/cli/baton \
	--file vmlinuz="$k" --file initrd2.cpio=$out/uefi2.cpio
rm -f $out/uefi.log
timeout 600 qemu-system-x86_64 -accel tcg -machine q35 -cpu qemu64 -m 1G -smp 2 \
	-bios "$ovmf" -display none -monitor none -no-reboot -nodefaults \
	-serial file:$out/uefi.log -kernel "$k" -initrd $out/uefi1.cpio \
	-append "console=ttyS0 panic=-1 baton.uefi=first" || true
grep -a 'hook-test:\|^baton\|loader' $out/uefi.log || true
first=$(grep -ac 'hook-test: start uefi-first' $out/uefi.log || true)
second=$(grep -a 'hook-test: done uefi-second' $out/uefi.log || true)
fails=$(grep -ac 'hook-test: FAIL' $out/uefi.log || true)
if [ "$first" = 1 ] && [ -n "$second" ] && [ "$fails" = 0 ] && \
   echo "$second" | grep -q ' 0 failed'; then
	echo "uefi: pass"
else
	echo "uefi: FAIL (first runs $first, second: ${second:-none}, FAIL lines $fails; $out/uefi.log)"
	exit 1
fi
