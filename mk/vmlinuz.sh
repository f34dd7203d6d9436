#!/bin/sh
# Print the path of the Linux kernel every test boots or parses: the default
# flavour, i.e. the image package Debian's linux-image-amd64 metapackage depends
# on (linux-image-6.1.0-NN-amd64), and the /boot/vmlinuz-* that package installs.
# Not "the newest /boot/vmlinuz-*": with cloud-amd64 or rt-amd64 installed too,
# or an older ABI left behind, that would pick a different kernel per machine.
#
# The QEMU cases (tests/qemu/run.py), the host tests (tests/host/hostfile.c), the
# bench and the fuzz seeds all ask this script. On failure it prints one line on
# stderr saying what to install and exits 1.
#
# With --release it prints that kernel's release instead (6.1.0-57-amd64): the
# kernel hook is built against linux-headers-<release> (hook/linux/build.mk,
# mk/deps.sh).
set -eu
meta=linux-image-amd64
fail() {
	echo "no kernel: $1 (apt-get install $meta, or make deps)" >&2
	exit 1
}
dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) ||
	fail "$meta is not installed"
# "linux-image-6.1.0-57-amd64 (= 6.1.192-3)": the first package named.
pkg=$(printf '%s\n' "$dep" | sed -n 's/^ *\(linux-image-[^ ,|(]*\).*/\1/p')
[ -n "$pkg" ] || fail "$meta depends on no linux-image-* package ('$dep')"
[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
	fail "$pkg, which $meta depends on, is not installed"
k=$(dpkg-query -L "$pkg" | grep '^/boot/vmlinuz-' | head -n 1)
[ -n "$k" ] || fail "$pkg installs no /boot/vmlinuz-*"
[ -r "$k" ] || fail "$k (from $pkg) is not readable"
if [ "${1:-}" = --release ]; then
	echo "${k#/boot/vmlinuz-}"
else
	echo "$k"
fi
