#!/bin/sh
# Turn the `#define NAME value /* comment */` lines of C headers into nasm
# %defines, so that C and nasm share one definition (arch/x86/hw.h).
# Usage: mk/h2inc.sh header.h... > out.inc
set -eu
echo "; Generated from $* by mk/h2inc.sh. Do not edit."
sed -n -e 's|[[:space:]]*/\*.*\*/||' \
	-e 's/^#define[[:space:]]\{1,\}\([A-Z0-9_]\{1,\}\)[[:space:]]\{1,\}\(.*\)$/%define \1 \2/p' "$@"
