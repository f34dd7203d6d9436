#!/bin/sh
# Install what baton needs from Debian's packages (as root, when missing), then
# build newlib's libc for the freestanding target. Idempotent and quiet when done.
# Usage: mk/deps.sh NEWLIB_DIR STAMP
# make runs it every time (one dpkg-query, a fraction of a second); it touches
# STAMP ($(B)/.deps) only when something changed: packages installed, libc.a
# rebuilt (mk/newlib.sh: its flags, gcc or the newlib source changed), or these
# scripts edited. Everything built depends on STAMP, so only then does it rebuild.
set -eu
# kexec-tools and busybox-static: copied into the kernel hook's QEMU initramfs
# (tests/qemu/hook/: the kexec baseline, busybox's udhcpc in the second kernel,
# busybox's sh as hook-uefi's /init); ovmf: the UEFI firmware hook-uefi boots
# Debian's kernel with (/usr/share/ovmf/OVMF.fd). mtools, systemd-boot-efi,
# grub-efi-amd64-bin: the UEFI boot loader cases (tests/qemu/efi/): ESP images
# written without mounting, and the two loaders baton.efi is measured against;
# sbsigntool and openssl sign baton.efi with ovmf's test key for the Secure Boot
# case.
pkgs="gcc make nasm qemu-system-x86 newlib-source libfdt-dev libcmocka-dev
      libxxhash-dev device-tree-compiler python3 xz-utils binutils
      libc6-dev linux-image-amd64 clang libclang-rt-14-dev
      kexec-tools busybox-static ovmf gnu-efi mtools systemd-boot-efi grub-efi-amd64-bin
      sbsigntool openssl"
# shellcheck disable=SC2086 # $pkgs is a list of words
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
	    sed -n 's/^\([^ ]*\) install ok installed$/\1/p' | sed 's/:.*//')
need=""
for p in $pkgs; do
	echo "$installed" | grep -qx "$p" || need="$need $p"
done
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages:$need (run make as root, or apt-get install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# apt's and dpkg's chatter (debconf notes, initrd generation) goes to a log,
	# shown only if a step fails.
	log=$(dirname "$1")/deps.log
	mkdir -p "$(dirname "$log")"
	echo "deps: apt-get update"
	apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	n=$(echo $need | wc -w)
	case " $need " in
	*" linux-image-amd64 "*) why=" (about 3 minutes: linux-image-amd64 generates its initrd)" ;;
	*) why="" ;;
	esac
	echo "deps: installing $n packages:$need$why"
	apt-get install -y -qq --no-install-recommends $need >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
# The headers of the guest kernel (not the host's running one), for baton.ko:
# named by the exact image package mk/vmlinuz.sh finds, so they always match.
rel=$(sh "$(dirname "$0")/vmlinuz.sh" --release)
hdr="linux-headers-$rel"
if [ "$(dpkg-query -W -f='${Status}' "$hdr" 2>/dev/null)" != "install ok installed" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing package: $hdr (run make as root, or apt-get install it)" >&2
		exit 1
	fi
	log=$(dirname "$1")/deps.log
	mkdir -p "$(dirname "$log")"
	echo "deps: installing $hdr (the guest kernel's headers, for the hook)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$hdr" \
		>>"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	need="$need $hdr"
fi
libc="$1/lib/libc.a"
before=$(stat -c %Y "$libc" 2>/dev/null || echo none)
sh "$(dirname "$0")/newlib.sh" "$1"
if [ ! -e "$2" ] || [ -n "$need" ] || [ "$(stat -c %Y "$libc")" != "$before" ] ||
   [ "$0" -nt "$2" ] || [ "$(dirname "$0")/newlib.sh" -nt "$2" ]; then
	touch "$2"
fi
