#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Wall time from the outgoing kernel's jump to Linux's first output line.

Boots Debian's kernel with the project's initramfs (7.9 MiB kernel + 23 MiB
initrd: about 31 MiB in ~7,700 runs) through baton, RUNS times in each of two
layouts: scattered on one CPU, and the demo's case (worst-case layout, 4 CPUs
to park); and the same kernel, initramfs and command line RUNS times through
QEMU's own direct boot (SeaBIOS's linuxboot option ROM) with the same CPU count,
interleaved so all see the same machine load. Serial lines are timestamped on
the host as they arrive.

  baton:   "outgoing: jumping to loader" -> "[    0.000000] Linux version"
           plus the loader's own step times (its TSC log, ms since its entry)
  direct:  the kernel's setup code's first line ("Probing EDD") -> "Linux version":
           the same kernel's decompression and early boot without baton

Medians, with min-max, and the ratio of the two medians.
"""
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
import run  # noqa: E402  (the harness's case table and QEMU command)

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TIMEOUT = 60
FIRST_LINUX = rb"\[ *0\.000000\] Linux version"
STEP = re.compile(rb"^baton: \[ *([0-9.]+) ms\] ([a-z]+):")


def timed_lines(cmd, start_pat, stop_pat):
    """Run QEMU with the serial console on stdout; return (t_start, t_stop, lines)
    with the host times at which each pattern first arrived. Reads raw chunks, not
    lines: the kernel's setup code does not end its line before Linux starts.
    Kills QEMU once the stop pattern arrived."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    t_start = t_stop = None
    buf = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            now = time.monotonic()
            buf += chunk
            if t_start is None and re.search(start_pat, buf, re.M):
                t_start = now
            if t_start is not None and re.search(stop_pat, buf, re.M):
                t_stop = now
                break
    finally:
        proc.kill()
        proc.wait()
    return t_start, t_stop, buf.replace(b"\r", b"").split(b"\n")


def serial_to_stdout(cmd):
    i = cmd.index("-serial")
    return cmd[:i + 1] + ["stdio"] + cmd[i + 2:]


def baton_run(case):
    cmd = serial_to_stdout(run.qemu_command(case, os.devnull))
    t0, t1, lines = timed_lines(cmd, rb"^outgoing: jumping to loader", FIRST_LINUX)
    if t0 is None or t1 is None:
        sys.exit("bench: baton boot did not reach Linux:\n" +
                 b"\n".join(lines[-15:]).decode(errors="replace"))
    steps, prev = {}, 0.0
    for line in lines:
        m = STEP.match(line)
        if m:
            ms, name = float(m.group(1)), m.group(2).decode()
            steps[name] = steps.get(name, 0.0) + ms - prev
            prev = ms
    staged = next((l.decode() for l in lines if l.startswith(b"outgoing: staged")), "")
    return t1 - t0, prev, steps, staged


def direct_run(case):
    # -nographic: SeaBIOS then copies the setup code's BIOS text to the serial port.
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", case["mem"], "-smp", str(case["smp"]),
           "-nographic", "-monitor", "none", "-no-reboot", "-net", "none",
           "-serial", "stdio", "-kernel", run.vmlinuz(), "-initrd", case["initrd"],
           "-append", run.bootargs(case)]
    t0, t1, lines = timed_lines(cmd, rb"Probing EDD", FIRST_LINUX)
    if t0 is None or t1 is None:
        sys.exit("bench: direct boot did not reach Linux:\n" +
                 b"\n".join(lines[-15:]).decode(errors="replace"))
    return t1 - t0


def spread(xs, unit="s", scale=1.0):
    return "%.2f %s (%.2f-%.2f)" % (statistics.median(xs) * scale, unit,
                                   min(xs) * scale, max(xs) * scale)


def layout(label, case):
    """One baton layout and its direct-boot baseline with the same -smp."""
    return dict(label=label, case=case, baton=[], loader=[], direct=[], steps={}, staged="")


def measure(lay, i):
    t, total_ms, st, lay["staged"] = baton_run(lay["case"])
    lay["baton"].append(t)
    lay["loader"].append(total_ms / 1000)
    for k, v in st.items():
        lay["steps"].setdefault(k, []).append(v)
    lay["direct"].append(direct_run(lay["case"]))
    print("bench linux: %s run %d/%d: baton jump->Linux %.2f s (loader %.0f ms), direct %.2f s"
          % (lay["label"], i + 1, RUNS, t, total_ms, lay["direct"][-1]), flush=True)


def goal(value, limit):
    return "goal <= %.2fx: %s" % (limit, "met" if value <= limit else "MISSED")


def report(lay):
    f = dict(kv.split("=", 1) for kv in lay["staged"].split() if "=" in kv)
    c = lay["case"]
    pages = int(f.get("pages", "0") or 0)
    print("bench linux: %s: %s, -smp %d, %s pages in %s copy runs (%s claimed), %d runs, medians (min-max):"
          % (lay["label"], c["strategy"], c["smp"], f.get("pages", "?"), f.get("copy_runs", "?"),
             f.get("claimed", "?"), RUNS))
    if pages:
        words, lists = int(f.get("list_words", 0)), int(f.get("list_pages", 0))
        print("  lists:  %d entries in %d list pages: %.2f bytes a page of entries, %.2f with"
              " the list pages whole (kexec: 8 a page for contiguous destinations, 16 scattered)"
              % (words, lists, 8.0 * words / pages, 4096.0 * lists / pages))
    loader = statistics.median(lay["loader"])
    direct = statistics.median(lay["direct"])
    baton = statistics.median(lay["baton"])
    # The kernel's own time from its entry to its first line: what is left of
    # each baton run once the loader's entry -> launch is taken out.
    kernel = statistics.median(b - l for b, l in zip(lay["baton"], lay["loader"]))
    print("  baton:  outgoing jump -> first Linux line   %s" % spread(lay["baton"]))
    print("          loader entry -> launch (its log)    %s" % spread(lay["loader"], "ms", 1000))
    print("          steps: " + ", ".join("%s %.1f ms" % (k, statistics.median(v))
                                         for k, v in lay["steps"].items()))
    print("  direct: setup code -> first Linux line      %s   (QEMU -kernel, no baton)"
          % spread(lay["direct"]))
    print("  kernel: its entry -> first Linux line       %.2f s (baton's jump -> first line less the loader's time)"
          % kernel)
    print("  ratio:  loader / kernel's own time          %.3fx (%s)" % (loader / kernel, goal(loader / kernel, 0.05)))
    print("  ratio:  baton / direct                      %.2fx (%s)" % (baton / direct, goal(baton / direct, 1.03)))


def main():
    try:
        run.vmlinuz()
    except run.NoKernel as e:
        sys.exit("bench: " + str(e))
    print(run.kernel_line(), flush=True)
    demo = dict(next(x for x in run.CASES if x["name"] == run.DEMO_CASE))
    frag = dict(next(x for x in run.CASES if x["name"] == "linux64-fragmented"))
    lays = [layout("scattered", run.linux_case("bench-linux", "scattered", 64, smp=1, seed=11)),
            layout("demo (%s)" % run.DEMO_CASE, demo),
            layout("fragmented, 64 MiB initrd", frag)]
    print("bench linux: Debian's %s with the project's initramfs, 64-bit entry"
          % os.path.basename(run.vmlinuz()))
    for i in range(RUNS):
        for lay in lays:
            measure(lay, i)
    for lay in lays:
        report(lay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
