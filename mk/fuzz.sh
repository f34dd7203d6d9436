#!/bin/sh
# Run each named libFuzzer fuzzer (build/fuzz/fuzz_NAME) for SECONDS: from the seeds
# in the repo (tests/fuzz/corpus/NAME, read only) and what earlier runs here kept
# (build/fuzz/corpus/NAME). One line each:
#   fuzz: NAME: 1234567 executions in 10 s (123456/s), corpus 96 inputs, no finding
# A finding (crash, sanitizer report, broken invariant, hang) is saved as
# build/fuzz/findings/NAME-* with the fuzzer's report in build/fuzz/NAME.log, and
# the script exits 1 after running the rest. Reproduce: build/fuzz/fuzz_NAME FILE
# Usage: mk/fuzz.sh SECONDS NAME...
set -u
secs=$1; shift
status=0
mkdir -p build/fuzz/findings
for name in "$@"; do
	bin=build/fuzz/fuzz_$name log=build/fuzz/$name.log
	mkdir -p build/fuzz/corpus/$name
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/findings/$name- \
		build/fuzz/corpus/$name tests/fuzz/corpus/$name >"$log" 2>&1; then
		result="no finding"
	else
		result="FINDING: $(grep -m1 -E 'invariant broken|ERROR: |runtime error|PANIC' "$log" | sed 's/^==[0-9]*==//') (saved: $(ls -t build/fuzz/findings/$name-* 2>/dev/null | head -n 1); log: $log)"
		status=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	inputs=$(ls build/fuzz/corpus/$name tests/fuzz/corpus/$name | grep -vc ':$')
	echo "fuzz: $name: ${execs:-?} executions in $secs s ($(( ${execs:-0} / secs ))/s), corpus $inputs inputs, $result"
done
exit $status
