#!/bin/sh
# tests/qemu/hook/run.sh: the kernel hook's smoke test. Boots Debian's kernel
# (mk/vmlinuz.sh) under QEMU TCG with an initramfs holding baton.ko and
# tests/qemu/hook/test.c as /init, and judges its lines: at least one PASS, no
# FAIL, and "hook-test: done N passed, 0 failed". Not part of make check yet.
# Usage: sh tests/qemu/hook/run.sh [-smp N]   (from the repository's top)
set -eu
smp=1
[ "${1:-}" = -smp ] && smp=$2
make -s --no-print-directory build/hook/initramfs.cpio
kernel=$(sh mk/vmlinuz.sh)
log=build/hook/serial.log
timeout 180 qemu-system-x86_64 -accel tcg -m 512M -smp "$smp" -nographic -no-reboot \
	-kernel "$kernel" -initrd build/hook/initramfs.cpio \
	-append "console=ttyS0 panic=-1 loglevel=7" >"$log" 2>&1 || true
grep -a -e '^hook-test:' -e 'baton: ' "$log" | tr -d '\r'
pass=$(grep -a -c '^hook-test: PASS' "$log" || true)
if grep -a -q '^hook-test: FAIL' "$log" || [ "$pass" -eq 0 ] ||
   ! grep -a -q "^hook-test: done $pass passed, 0 failed" "$log"; then
	echo "hook smoke test: FAILED (serial log: $log)"
	exit 1
fi
echo "hook smoke test: ok, $pass checks passed"
