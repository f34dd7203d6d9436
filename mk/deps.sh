#!/bin/sh
# Install what baton needs from Debian's packages (as root, when missing), then
# build newlib's libc for the freestanding target. Idempotent and quiet when done.
set -eu
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
for p in gcc make nasm qemu-system-x86 newlib-source libfdt-dev libcmocka-dev \
         libxxhash-dev device-tree-compiler python3 xz-utils binutils \
         libc6-dev linux-image-amd64 clang libclang-rt-14-dev; do
	have "$p" || need="$need $p"
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
sh "$(dirname "$0")/newlib.sh" "$1"
