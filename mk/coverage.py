#!/usr/bin/python3
"""make coverage: line coverage of fmt/, stage/ and core/ from gcc's gcov.

Usage: mk/coverage.py [COVERAGE_DIR]   (default build/coverage; run from the top)

Reads every .gcno under COVERAGE_DIR (an object never run counts as not executed)
with `gcov --json-format --stdout` (GCOV overrides the command), merges the line
counts of a source compiled into several test programs (a line is covered if any
program executed it), and prints one line per source file under fmt/, stage/ and
core/ (headers with inline code included), one per folder and a total. The same
report goes to COVERAGE_DIR/report.txt, the uncovered lines to uncovered.txt.
Exit status 1 if gcov fails or reports nothing.
"""
import json
import os
import subprocess
import sys

DIRS = ("fmt/", "stage/", "core/")


def gcov_json(gcov, notes):
    """One JSON document per .gcno, as gcov prints them (one per line)."""
    r = subprocess.run([gcov, "--json-format", "--stdout"] + notes,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("coverage: %s failed (exit %d):\n%s" % (gcov, r.returncode, r.stderr))
    for err in r.stderr.splitlines():
        if "assuming not executed" not in err:
            print("coverage: gcov: " + err, file=sys.stderr)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def ranges(nums):
    """[1, 2, 3, 7, 9, 10] -> '1-3,7,9-10'"""
    out, start, prev = [], None, None
    for n in nums:
        if start is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(str(start) if start == prev else "%d-%d" % (start, prev))
        start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else "%d-%d" % (start, prev))
    return ",".join(out)


def main():
    covdir = sys.argv[1] if len(sys.argv) > 1 else "build/coverage"
    gcov = os.environ.get("GCOV", "gcov")
    root = os.getcwd()
    notes = sorted(os.path.join(d, f) for d, _, fs in os.walk(covdir)
                   for f in fs if f.endswith(".gcno"))
    if not notes:
        sys.exit("coverage: no .gcno files under %s (build first)" % covdir)

    counts = {}	# "fmt/elf.c" -> {line number: execution count, summed}
    for doc in gcov_json(gcov, notes):
        cwd = doc.get("current_working_directory", root)
        for f in doc["files"]:
            rel = os.path.relpath(os.path.normpath(os.path.join(cwd, f["file"])), root)
            if not rel.startswith(DIRS):
                continue	# tests/host/*, system headers, xxhash, libfdt
            lines = counts.setdefault(rel, {})
            for ln in f["lines"]:
                n = ln["line_number"]
                lines[n] = lines.get(n, 0) + ln["count"]

    report, uncovered = [], []
    width = max(len(p) for p in list(counts) + list(DIRS)) if counts else 10

    def line(name, hit, total):
        pct = 100.0 * hit / total if total else 0.0
        return "coverage: %-*s %5.1f%% (%d/%d lines)" % (width, name, pct, hit, total)

    totals = {}
    for path in sorted(counts):
        lines = counts[path]
        if not lines:
            continue
        hit = sum(1 for c in lines.values() if c > 0)
        report.append(line(path, hit, len(lines)))
        d = path.split("/", 1)[0] + "/"
        h, t = totals.get(d, (0, 0))
        totals[d] = (h + hit, t + len(lines))
        missed = sorted(n for n, c in lines.items() if c == 0)
        if missed:
            uncovered.append("%s: %s" % (path, ranges(missed)))
    if not totals:
        sys.exit("coverage: gcov reported no line under %s" % " ".join(DIRS))
    for d in DIRS:
        if d in totals:
            report.append(line(d, *totals[d]))
    hit = sum(h for h, _ in totals.values())
    total = sum(t for _, t in totals.values())
    report.append(line("total", hit, total))

    text = "\n".join(report) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(covdir, "report.txt"), "w") as out:
        out.write(text)
    with open(os.path.join(covdir, "uncovered.txt"), "w") as out:
        out.write("\n".join(uncovered) + ("\n" if uncovered else ""))


if __name__ == "__main__":
    main()
