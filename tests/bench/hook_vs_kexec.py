#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The kernel hook against kexec-tools: same QEMU, same kernel, same initrd,
same run (issue 11, part 4).

Each run boots Debian's kernel (mk/vmlinuz.sh) with build/hook/initramfs.cpio
as the hook's QEMU cases do (tests/qemu/hook/cases.py:bench_case), -smp 2,
512 MiB, and hands over to the same kernel with build/hook/initrd2.cpio:
`baton load` + `baton exec`, or `kexec -l` + `kexec -e`, runs interleaved.
The next kernel gets earlyprintk=serial and nokaslr, so its decompressor prints
one line before it decompresses ("KASLR disabled: 'nokaslr' on cmdline."):
the new image's first line. Serial lines are timestamped on the host as the
bytes arrive; the trigger is the guest's "hook-test: trigger" line, printed
right before `baton exec` or `kexec -e`.

  load        `baton load` / `kexec -l`, as the guest measured it
  first line  trigger -> the decompressor's line (the new image runs)
  Linux       trigger -> "Linux version" (the kernel proper's first line)
  init        trigger -> the next /init's start line
  memory      MemFree before the load less MemFree after it (the guest's
              /proc/meminfo): what the loaded image and its list hold

Medians (min-max) of BENCH_RUNS runs each (default 5), and baton / kexec.
Goals (issue 11): trigger -> first line at most 0.3x kexec's; the load no
slower than kexec -l.
"""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
import serial_marks  # noqa: E402  (tests/bench/serial_marks.py)
import run  # noqa: E402  (the harness: the kernel, the hook's cases)

hook = run.hook
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TIMEOUT = 120
TOOLS = ["baton", "kexec"]
MARKS = [
    ("trigger", rb"hook-test: trigger "),
    ("first", rb"KASLR disabled: 'nokaslr' on cmdline"),
    ("linux", rb"\[ *0\.000000\] Linux version"),
    ("init", rb"hook-test: start second "),
    ("done", rb"hook-test: done second: "),
]


def timed_run(case):
    """One run: {mark: host seconds since QEMU started}, and the serial text."""
    return serial_marks.timed_run(hook.qemu_command(case, os.devnull, run.vmlinuz()), MARKS, "done", TIMEOUT)


def measure(tool, i):
    case = hook.bench_case(tool)
    got, text = timed_run(case)
    missing = [n for n, _ in MARKS if n not in got]
    fails = re.findall(r"hook-test: FAIL .*", text)
    if missing or fails:
        sys.exit("bench hook: %s run %d: no %s line%s\n%s" % (
            tool, i + 1, ", ".join(missing) or "-", "; " + "; ".join(fails) if fails else "",
            "\n".join(text.splitlines()[-12:])))
    load = float(re.search(r"hook-test: time load \S+ ([0-9.]+) ms", text).group(1))
    free = [int(x) for x in re.findall(r"hook-test: info meminfo (?:before|after) the load: MemFree (\d+) kB",
                                       text)]
    armed = re.search(r"baton: armed: .*?(\d+) list pages", text)
    r = dict(load=load / 1000, first=got["first"] - got["trigger"], linux=got["linux"] - got["trigger"],
             init=got["init"] - got["trigger"], mem_kb=free[0] - free[1] if len(free) == 2 else None,
             list_pages=int(armed.group(1)) if armed else None)
    print("bench hook: %s run %d/%d: load %.0f ms, trigger -> first line %.2f s, -> Linux %.2f s, -> init %.2f s"
          % (tool, i + 1, RUNS, r["load"] * 1000, r["first"], r["linux"], r["init"]), flush=True)
    return r


def spread(xs, scale=1.0, unit="s", fmt="%.2f"):
    return (fmt + " %s (" + fmt + "-" + fmt + ")") % (statistics.median(xs) * scale, unit,
                                                    min(xs) * scale, max(xs) * scale)


def main():
    try:
        run.vmlinuz()
    except run.NoKernel as e:
        sys.exit("bench hook: " + str(e))
    if not os.path.exists(hook.INITRAMFS):
        sys.exit("bench hook: %s is missing: run make first" % os.path.relpath(hook.INITRAMFS, run.ROOT))
    print(run.kernel_line(), flush=True)
    print("bench hook: Debian's %s -> itself with build/hook/initrd2.cpio, -smp 2, 512 MiB, "
          "baton and kexec-tools interleaved, %d runs each" % (os.path.basename(run.vmlinuz()), RUNS))
    res = {t: [] for t in TOOLS}
    for i in range(RUNS):
        for t in TOOLS:
            res[t].append(measure(t, i))
    med = {t: {k: statistics.median(r[k] for r in res[t]) for k in ("load", "first", "linux", "init")}
           for t in TOOLS}
    print("bench hook: medians (min-max) of %d runs; ratio baton / kexec" % RUNS)
    rows = [("load (guest)", "load", 1000, "ms", "%.0f"),
            ("trigger -> first line", "first", 1, "s", "%.2f"),
            ("trigger -> Linux version", "linux", 1, "s", "%.2f"),
            ("trigger -> init", "init", 1, "s", "%.2f")]
    for label, k, scale, unit, fmt in rows:
        b, x = [r[k] for r in res["baton"]], [r[k] for r in res["kexec"]]
        print("  %-26s baton %-24s kexec %-24s %.2fx" % (
            label, spread(b, scale, unit, fmt), spread(x, scale, unit, fmt), med["baton"][k] / med["kexec"][k]))
    for t in TOOLS:
        mem = [r["mem_kb"] for r in res[t] if r["mem_kb"] is not None]
        lists = [r["list_pages"] for r in res[t] if r["list_pages"] is not None]
        print("  memory held after the load, %-5s %s%s" % (
            t, spread(mem, 1 / 1024, "MiB", "%.1f") if mem else "?",
            ", %d list pages (the module's armed line)" % statistics.median(lists) if lists else ""))
    first = med["baton"]["first"] / med["kexec"]["first"]
    load = med["baton"]["load"] / med["kexec"]["load"]
    print("  goal: trigger -> first line at most 0.3x kexec's: %.2fx, %s" % (first, "met" if first <= 0.3 else "MISSED"))
    print("  goal: baton load no slower than kexec -l: %.2fx, %s" % (load, "met" if load <= 1.0 else "MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
