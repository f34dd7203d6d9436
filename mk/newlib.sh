#!/bin/sh
# Build newlib's libc for a freestanding x86-64 target from Debian's newlib-source,
# keeping only the objects that build without SSE (-mgeneral-regs-only), as PIE.
# Usage: mk/newlib.sh OUTDIR   ->  OUTDIR/lib/libc.a, OUTDIR/include/
set -eu
out=$(realpath -m "$1")
src_tar=$(ls /usr/src/newlib/newlib-*.tar.xz | head -n 1)
[ -f "$out/lib/libc.a" ] && exit 0
work="$out/work"
rm -rf "$work"; mkdir -p "$work" "$out/lib"
tar -C "$work" -xf "$src_tar"
srcdir=$(ls -d "$work"/newlib-*/)
mkdir -p "$work/build"
cd "$work/build"
flags="-O2 -g -fPIE -ffreestanding -mgeneral-regs-only -mno-red-zone -fno-stack-protector \
-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -DPREFER_SIZE_OVER_SPEED=0"
"$srcdir/configure" --target=x86_64-elf --prefix="$out/prefix" --disable-multilib \
  --disable-newlib-supplied-syscalls --enable-newlib-nano-formatted-io \
  --disable-newlib-io-float --disable-newlib-multithread \
  CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
  RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
  CFLAGS_FOR_TARGET="$flags" >"$work/configure.log" 2>&1
# Some libc files (strtod, dtoa, ...) need SSE registers; keep going past them.
make -k -j"$(nproc)" all-target-newlib >"$work/make.log" 2>&1 || true
objs=$(find x86_64-elf/newlib/libc -name 'lib_a-*.o' | sort)
[ -n "$objs" ] || { echo "newlib: no objects built, see $work/make.log" >&2; exit 1; }
rm -f "$out/lib/libc.a"
ar rcs "$out/lib/libc.a" $objs
rm -rf "$out/include"; cp -r "$srcdir/newlib/libc/include" "$out/include"
cp x86_64-elf/newlib/newlib.h x86_64-elf/newlib/_newlib_version.h "$out/include/" 2>/dev/null || \
  cp x86_64-elf/newlib/targ-include/newlib.h "$out/include/" 2>/dev/null || true
echo "newlib: $(echo "$objs" | wc -l) objects in $out/lib/libc.a"
