#!/bin/sh
# Fail if an ELF holds any SSE/AVX instruction: code that runs before (or
# without) an image enabling SSE must use general registers only. The loader and
# the probes are built with -mgeneral-regs-only; this proves the link result
# (newlib and libgcc included) kept to it.
# Usage: mk/no-sse.sh file.elf
set -eu
bad=$(objdump -d --no-show-raw-insn "$1" | grep -E '%[xyz]mm[0-9]|\b(ldmxcsr|stmxcsr|fxsave|fxrstor|xsave|xrstor|emms)\b' | head -5 || true)
if [ -n "$bad" ]; then
	echo "$1: SSE/AVX instructions in code that must run with SSE disabled:" >&2
	echo "$bad" >&2
	exit 1
fi
