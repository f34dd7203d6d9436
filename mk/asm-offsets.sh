#!/bin/sh
# Turn the "->NAME value" markers of a compiled asm-offsets.c (.s) into nasm %defines.
# Usage: mk/asm-offsets.sh in.s > out.inc
set -eu
echo "; Generated from arch/x86/asm-offsets.c by mk/asm-offsets.sh. Do not edit."
sed -n 's/.*->\([A-Za-z0-9_]*\) \$\{0,1\}\(-\{0,1\}[0-9][0-9a-fA-Fx]*\).*/%define \1 \2/p' "$1"
