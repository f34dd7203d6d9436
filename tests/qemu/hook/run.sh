#!/bin/sh
# tests/qemu/hook/run.sh: the kernel hook's QEMU cases alone (they also run in
# make check, through tests/qemu/run.py, which judges them: cases.py here).
# Usage: sh tests/qemu/hook/run.sh [CASE...]   (from the repository's top)
#   no CASE: every hook case that is not waiting (cases.py: WAITING)
set -eu
make -s --no-print-directory build-all
py=$(command -v /usr/bin/python3 || command -v python3)
if [ $# -eq 0 ]; then
	set -- $("$py" -c 'import sys; sys.path.insert(0, "tests/qemu/hook"); import cases
print(" ".join(c["name"] for c in cases.CASES if c["name"] not in cases.WAITING))')
fi
exec "$py" tests/qemu/run.py "$@"
