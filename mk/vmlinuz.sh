#!/bin/sh
# Print the path of Debian's installed kernel image (the newest /boot/vmlinuz-*,
# by version), for the QEMU tests that boot a real Linux. Exits 1 when none is.
set -eu
k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$k" ] || [ ! -r "$k" ]; then
	echo "no Debian kernel: apt-get install linux-image-amd64 (make deps does)" >&2
	exit 1
fi
echo "$k"
