#!/bin/sh
# One line on a loader blob's size: against its hard cap (BLOB_MAX in
# linker/loader.ld, read from the linked ELF's __blob_max, so the two cannot
# disagree; the link already failed if the blob is over it) and, for what ships,
# against the size target.
# Usage: mk/blob-size.sh BLOB.bin BLOB.elf [TARGET_KIB]
set -eu
size=$(stat -c %s "$1")
cap=$(nm "$2" | awk '$3 == "__blob_max" { print $1 }')
[ -n "$cap" ] || { echo "$2: no __blob_max symbol (linker/loader.ld)" >&2; exit 1; }
cap=$((0x$cap))
line="$(basename "$1"): $size bytes, within its $cap-byte cap (linker/loader.ld)"
if [ -n "${3:-}" ]; then
	target=$(($3 * 1024))
	if [ "$size" -gt "$target" ]; then
		line="$line; not yet at its $3 KiB goal ($((size - target)) bytes to go, loader/README.md)"
	else
		line="$line and its $3 KiB target"
	fi
fi
echo "$line"
