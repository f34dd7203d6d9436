#!/bin/sh
# hook/linux/mktree.sh DEST LOADER_BIN: lay out baton.ko's source tree in DEST,
# the shape both the repository's build (build/hook/src) and dkms
# (/usr/src/baton-<version>) build from: the hook's files, the shared core/
# and stage/ sources it links, the headers they include, and the loader blob.
set -eu
dest=$1 blob=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$dest"
mkdir -p "$dest/shim" "$dest/include/baton" "$dest/core" "$dest/stage" "$dest/fmt"
cd "$top"
cp hook/linux/dev.c hook/linux/arm.c hook/linux/jump.c hook/linux/baton.h hook/linux/blob.S \
   hook/linux/Kbuild hook/linux/Makefile hook/linux/dkms.conf "$dest/"
cp hook/linux/shim/*.h "$dest/shim/"
cp include/baton/hook.h include/baton/handoff.h include/baton/blob.h "$dest/include/baton/"
cp core/*.c core/*.h "$dest/core/"
cp stage/seal.c stage/runs.c stage/handoff.c stage/place.c stage/list.c stage/errors.c \
   stage/stage.h stage/stage_int.h stage/list.h "$dest/stage/"
cp fmt/fmt.h fmt/bzimage.h fmt/errors.c "$dest/fmt/"
cp LICENSE "$dest/" 2>/dev/null || true
cp "$blob" "$dest/loader.bin"
sed -i "s/@VERSION@/$(cat VERSION)/" "$dest/dkms.conf"
