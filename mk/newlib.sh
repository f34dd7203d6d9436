#!/bin/sh
# Build newlib's libc for a freestanding x86-64 target from Debian's newlib-source,
# keeping only the objects that build without SSE (-mgeneral-regs-only), as PIE.
# OUTDIR/lib/libc.a.stamp records the source, compiler, flags and options it was
# built from; while they are unchanged, the script does nothing.
# Usage: mk/newlib.sh OUTDIR   ->  OUTDIR/lib/libc.a, OUTDIR/include/
set -eu
out=$(realpath -m "$1")
src_tar=$(ls /usr/src/newlib/newlib-*.tar.xz | head -n 1)
# Built for speed: the loader links none of it (it has its own string functions
# and formatter); the outgoing test kernel and the probes do. newlib tests
# defined(PREFER_SIZE_OVER_SPEED), so that macro is not passed at all (it once was,
# as =0, which turned newlib's memmove into a byte loop).
flags="-O2 -g -fPIE -ffreestanding -mgeneral-regs-only -mno-red-zone -fno-stack-protector \
-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
options="--target=x86_64-elf --disable-multilib --disable-newlib-supplied-syscalls \
--enable-newlib-nano-formatted-io --disable-newlib-io-float --disable-newlib-multithread"
stamp="source $(basename "$src_tar") $(sha256sum "$src_tar" | cut -c1-16)
gcc $(gcc -dumpfullversion)
flags $flags
options $options"
if [ -f "$out/lib/libc.a" ] && [ "$(cat "$out/lib/libc.a.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
work="$out/work"
rm -rf "$work" "$out/lib/libc.a.stamp"; mkdir -p "$work" "$out/lib"
echo "newlib: unpacking $(basename "$src_tar")"
tar -C "$work" -xf "$src_tar"
srcdir=$(ls -d "$work"/newlib-*/)
mkdir -p "$work/build"
cd "$work/build"
echo "newlib: configuring"
# shellcheck disable=SC2086 # $options is a list of words
"$srcdir/configure" $options --prefix="$out/prefix" \
  CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
  RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
  CFLAGS_FOR_TARGET="$flags" >"$work/configure.log" 2>&1
echo "newlib: building libc (about 2 minutes; log in $work/make.log)"
# Some libc files (strtod, dtoa, ...) need SSE registers; keep going past them.
make -k -j"$(nproc)" all-target-newlib >"$work/make.log" 2>&1 || true
objs=$(find x86_64-elf/newlib/libc -name 'lib_a-*.o' | sort)
[ -n "$objs" ] || { echo "newlib: no objects built, see $work/make.log" >&2; exit 1; }
rm -f "$out/lib/libc.a"
# shellcheck disable=SC2086 # one word per object
ar rcs "$out/lib/libc.a" $objs
rm -rf "$out/include"; cp -r "$srcdir/newlib/libc/include" "$out/include"
cp x86_64-elf/newlib/newlib.h x86_64-elf/newlib/_newlib_version.h "$out/include/" 2>/dev/null || \
  cp x86_64-elf/newlib/targ-include/newlib.h "$out/include/" 2>/dev/null || true
echo "$stamp" > "$out/lib/libc.a.stamp"
echo "newlib: $(echo "$objs" | wc -l) objects in $out/lib/libc.a"
