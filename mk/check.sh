#!/bin/sh
# make check: the citation check (mk/cites.py, one test), every host test suite,
# each fuzzer for FUZZ_SECONDS (the names in FUZZERS, each one test), then every
# QEMU case; one closing line that counts them all ("check: N passed, N failed").
# Exit status 1 on any failure.
# Usage: [FUZZERS="elf ..." FUZZ_SECONDS=N] mk/check.sh PYTHON HOST_TEST...
set -u
py=$1; shift
passed=0; failed=0; bad=""
count() {	# add cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" of a log
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
}
mkdir -p build/tests
# The one kernel the host tests and the Linux QEMU cases use (they fail without it).
if k=$(sh mk/vmlinuz.sh 2>&1); then
	echo "kernel: $k (linux-image-amd64's default flavour)"
else
	echo "$k"
fi
echo "== mk/cites.py"
if "$py" mk/cites.py; then
	passed=$((passed + 1))
else
	failed=$((failed + 1)); bad="$bad cites"
fi
for t in "$@"; do
	log=build/tests/$(basename "$t").log
	echo "== $t"
	if "$t" >"$log" 2>&1; then
		tail -n 3 "$log"
	else
		cat "$log"
		bad="$bad $(basename "$t")"
		# a crash before cmocka's summary still counts as a failure
		grep -q '^\[  FAILED  \]' "$log" || failed=$((failed + 1))
	fi
	count "$log"
done
if [ -n "${FUZZERS:-}" ]; then
	echo "== fuzzers, ${FUZZ_SECONDS:-10} s each (make fuzz: longer)"
	sh mk/fuzz.sh "${FUZZ_SECONDS:-10}" $FUZZERS | tee build/tests/fuzz.log
	ok=$(grep -c 'no finding$' build/tests/fuzz.log)
	n=$(echo $FUZZERS | wc -w)
	passed=$((passed + ok)); failed=$((failed + n - ok))
	[ "$ok" = "$n" ] || bad="$bad fuzz"
fi
echo "== tests/qemu/run.py"
"$py" tests/qemu/run.py | tee build/tests/qemu.log
q=$(sed -n 's/^qemu: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' build/tests/qemu.log)
if [ -n "$q" ]; then
	passed=$((passed + ${q% *})); failed=$((failed + ${q#* }))
	[ "${q#* }" = 0 ] || bad="$bad qemu"
else
	failed=$((failed + 1)); bad="$bad qemu(no summary)"
fi
[ -z "$bad" ] || echo "failing suites:$bad"
echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ -z "$bad" ]
