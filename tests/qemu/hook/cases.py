# SPDX-License-Identifier: MIT
"""The kernel hook's QEMU cases: Debian's own kernel (mk/vmlinuz.sh) boots
build/hook/initramfs.cpio, whose /init (guest.c) does what the command line's
baton.test names and prints one "hook-test:" line per check; handovers go on
in the next kernel (baton.test=second, build/hook/initrd2.cpio). run.py takes
CASES into its table and hands each such case's QEMU command and judging here.

WAITING names the cases that wait for a fix elsewhere, with the reason.
run.py leaves them out unless they are named or --waiting is given, and says
so; take a name out of WAITING when its case passes.
"""
import functools
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(BUILD, "tests", "qemu")
INITRAMFS = os.path.join(BUILD, "hook", "initramfs.cpio")
# hook-uefi's first kernel's initramfs (build.mk: uefi-init.sh under busybox).
UEFI_INITRAMFS = os.path.join(BUILD, "hook", "uefi1.cpio")
# Debian's ovmf (mk/deps.sh): code and variable store in one image, which QEMU
# maps read-only with -bios, so OVMF keeps its variables in RAM (its emulated
# store). baton's handover does not reset the machine: the second kernel's
# GetVariable finds what the first kernel's SetVariable wrote there.
OVMF = "/usr/share/ovmf/OVMF.fd"
UEFI_BOOTARGS = "console=ttyS0 panic=-1 baton.uefi=first"

EXIT_PROBE_PASS = 2 * 0x10 + 1  # the probe's isa-debug-exit: every check passed
EXIT_OFF = 0                    # the last kernel powered off, or a reset with -no-reboot

# The probe's command line, which it also finds in QEMU's fw_cfg: guest.c
# (test_probe) builds the same string. baton.expect=shutdown asks the probe for
# its checks of what the old kernel's shutdown left (8259, IO-APIC, LAPIC,
# HPET, PCI bus masters).
PROBE_APPEND = "baton.expect=shutdown baton.case={name}"
BOOTARGS = "console=ttyS0 panic=-1 baton.test={test} baton.tool={tool} baton.case={name}"
DISK_MIB = 8
# The loader's step lines, in order (run.py's STEPS).
STEPS = ["header", "paging", "park", "check", "move", "plan", "copy", "verify", "launch"]

# What each test must have passed, by name, beyond "no FAIL line".
FIRST = {
    "refusals": [
        "insmod baton.ko", "a second writer gets EBUSY",
        "pwrite above the top of RAM gets EADDRNOTAVAIL", "kernel log names the write above RAM",
        "pwrite at the local APIC gets EADDRNOTAVAIL",
        "pwrite over a Reserved range gets EADDRNOTAVAIL",
        "kernel log names the write over the Reserved range",
        "a writer that is not root gets EACCES or EPERM", "root without CAP_SYS_BOOT gets EPERM",
        "commit with a range outside RAM gets EADDRNOTAVAIL", "kernel log names the range outside RAM",
        "close refuses the bad entry with EINVAL", "kernel log names the bad entry",
        "close refuses a zero range over a written page",
        "a writer killed after its commit dies of SIGKILL",
        "empty after the writer killed after its commit",
        "a writer killed mid-way dies of SIGKILL", "empty after the writer killed mid-way",
        "no pages after the writer killed mid-way", "a writer under lockdown gets EPERM",
        "kernel log: lockdown refused it", "nothing armed at the end", "no pages held at the end"],
    "jump": ["insmod baton.ko", "pwrite the payload page", "commit", "close arms", "armed"],
    "probe": ["insmod baton.ko", "load virtio modules", "eth0 up", "baton load probe.elf",
              "armed after baton load"],
    "kernel": [],
    "linux": ["load virtio modules", "write the block (O_DIRECT)", "fsync the disk",
              "reader loop on /dev/vda running", "reader still running after the load"],
    "fragmented": ["insmod baton.ko", "the initrd is 256 MiB", "memory fragmented"],
    # uefi-init.sh's first run (the checks with an exit status name the one seen).
    "uefi": ["booted by UEFI: /sys/firmware/efi", "EFI runtime services: /sys/firmware/efi/runtime",
             "runtime map has entries", "efivarfs mounted", "write EFI variable BatonTest",
             "insmod baton.ko",
             "baton exec with nothing armed (exit status 10, want 10)",
             "baton status with nothing armed (exit status 10, want 10)",
             "baton load a kernel alone (exit status 0, want 0)",
             "baton status armed (exit status 0, want 0)",
             "baton load of a refused image (exit status 4, want 4)",
             "still armed after a refused image (exit status 0, want 0)",
             "baton load of a missing file (exit status 3, want 3)",
             "baton unload (exit status 0, want 0)",
             "nothing armed after unload (exit status 10, want 10)",
             "baton load (exit status 0)"],
}
LOADED = {"baton": ["baton load", "armed after baton load"], "kexec": ["kexec -l", "kexec_loaded is 1"]}
SECOND = {
    "kernel": ["all CPUs online"],
    "linux": ["all CPUs online", "load virtio modules", "read the block back (O_DIRECT)",
              "block header: magic, length and CRC as written", "block CRC-32 matches",
              "eth0 up", "DHCP lease on eth0"],
    "fragmented": ["all CPUs online", "read /pad.bin", "/pad.bin size", "/pad.bin CRC-32 matches"],
    "uefi": ["booted by UEFI: /sys/firmware/efi", "EFI runtime services: /sys/firmware/efi/runtime",
             "runtime map has entries", "efivarfs mounted", "EFI variable BatonTest read back",
             "write EFI variable BatonSecond", "kernel log: no EFI error"],
}
# What each run's "start" line calls it, where that is not the test's name and
# "second" (uefi-init.sh: baton.uefi=first|second).
RUNS = {"uefi": ("uefi-first", "uefi-second")}


class Missing(Exception):
    """Something a case needs is not there; the message says what."""


def hook_case(name, test, tool="baton", smp=1, mem="512M", disk=False, net=False, machine="pc",
              bios=None, initrd=INITRAMFS, cpu="qemu64", append="", expect=(), expect_before=()):
    """One QEMU run of the hook's /init. The keys run.py's table and --list read
    are filled in; "hook" marks the case as this module's. bios: the firmware
    image for -bios (None: QEMU's SeaBIOS); initrd: the first kernel's."""
    exit = EXIT_PROBE_PASS if test in ("probe", "jump") else EXIT_OFF
    return dict(name=name, hook=True, test=test, tool=tool, smp=smp, mem=mem, disk=disk, net=net,
                strategy="hook:" + test, seed="-", fault="none", handoff="-", payload="vmlinuz",
                exit=exit, aps="none", linux=True, expect=list(expect),
                expect_before=list(expect_before), min_secs=None, machine=machine,
                cpu=cpu, more="", early=False, bios=bios, initrd=initrd, append=append)


CASES = [
    # /dev/baton's refusals, then a plain reboot: nothing armed, nothing jumps.
    hook_case("hook-refusals", "refusals"),
    # The hook's jump with no baton command: one page of code written to
    # /dev/baton by hand; the loader runs it after the reboot.
    hook_case("hook-jump", "jump"),
    # kernel -> probe through the hook: the probe's checks, and the hardware the
    # old kernel's shutdown left (virtio disk and NIC driven until the reboot).
    hook_case("hook-probe-smp1", "probe", smp=1, disk=True, net=True),
    hook_case("hook-probe-smp4", "probe", smp=4, disk=True, net=True),
    # The same on TCG's richest CPU with Linux's page-table isolation forced:
    # 5-level paging, SMEP, SMAP, PKU; the hook's PML5 and order-1 top level.
    hook_case("hook-probe-la57", "probe", smp=2, disk=True, net=True, cpu="max", append="pti=on",
              expect=[r"^probe: paging: 5-level \(CR4\.LA57\)"],
              expect_before=[r"Kernel/User page tables isolation: enabled"]),
    # kernel -> Debian's kernel: a block written and synced, a reader still busy
    # at the reboot; the next kernel reads the block back and gets a DHCP lease.
    hook_case("hook-linux", "linux", smp=2, disk=True, net=True),
    hook_case("kexec-linux", "linux", tool="kexec", smp=2, disk=True, net=True),
    # Free memory fragmented on purpose, a 256 MiB initrd built in the guest.
    hook_case("hook-fragmented", "fragmented", smp=1, mem="1G"),
    # UEFI: OVMF starts the first kernel (direct kernel boot, q35); it writes an
    # EFI variable and hands over through baton load + baton exec; the second
    # finds /sys/firmware/efi, its runtime map, and reads the variable back.
    hook_case("hook-uefi", "uefi", smp=2, mem="1G", machine="q35", bios=OVMF,
              initrd=UEFI_INITRAMFS),
]

# Cases left out of make check until what they wait for is fixed: name -> why
# (hook-probe-smp1 waited here for baton.ko's list pages in fragmented memory).
WAITING = {}


def bench_case(tool, early=True):
    """kernel -> kernel with Debian's kernel and initrd2.cpio and nothing else
    (tests/bench/hook_vs_kexec.py): the same run for baton and kexec. The
    next kernel gets earlyprintk=serial and nokaslr (guest.c: next_cmdline)."""
    c = hook_case("%s-kernel" % ("hook" if tool == "baton" else tool), "kernel", tool=tool, smp=2)
    c["early"] = early
    return c


# Run only when named (run.py hook-kernel kexec-kernel): the bench's runs,
# which hook-linux and kexec-linux cover in make check.
ON_REQUEST = [bench_case("baton"), bench_case("kexec")]


def bootargs(c):
    if c["test"] == "uefi":
        return UEFI_BOOTARGS
    args = BOOTARGS.format(**c) + (" " + c["append"] if c.get("append") else "")
    # The next kernel gets earlyprintk=serial too (guest.c: next_cmdline).
    return args + " baton.early=1" if c["early"] else args


def disk_path(c):
    return os.path.join(OUT, c["name"] + ".disk")


def qemu_command(c, log, kernel):
    """The QEMU command line; makes the case's disk afresh (zeros)."""
    if not os.path.exists(c["initrd"]):
        raise Missing("%s is missing: run make first" % os.path.relpath(c["initrd"], ROOT))
    if c["bios"] and not os.path.exists(c["bios"]):
        raise Missing("%s is missing: apt-get install ovmf (make deps)" % c["bios"])
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", c["machine"], "-cpu", c["cpu"],
           "-m", c["mem"], "-smp", str(c["smp"])]
    if c["bios"]:
        cmd += ["-bios", c["bios"]]
    cmd += ["-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
            "-serial", "file:" + log,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", kernel, "-initrd", c["initrd"], "-append", bootargs(c)]
    if c["test"] == "probe":
        cmd += ["-fw_cfg", "name=opt/baton/bootargs,string=" +
                PROBE_APPEND.format(**c).replace(",", ",,")]
    if c["disk"]:
        os.makedirs(OUT, exist_ok=True)
        with open(disk_path(c), "wb") as f:
            f.truncate(DISK_MIB << 20)
        cmd += ["-drive", "file=%s,format=raw,if=none,id=d0" % disk_path(c).replace(",", ",,"),
                "-device", "virtio-blk-pci,drive=d0"]
    if c["net"]:
        cmd += ["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0,romfile="]
    return cmd


@functools.lru_cache(maxsize=None)
def release():
    """The kernel's release as mk/vmlinuz.sh names it (never a constant)."""
    out = subprocess.run(["sh", os.path.join(ROOT, "mk", "vmlinuz.sh"), "--release"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


KREC = r"\[ *\d+\.\d{6}\] "          # the start of a kernel log record
# What begins a line of its own on the guest's console (not the rest of ours).
OWN_LINE = re.compile(r"(hook-test:|baton|probe:|PROBE|udhcpc|efi-init|\s*$)")


def hook_lines(text):
    """Every "hook-test:" line's rest, in order (found anywhere in a line: SeaBIOS
    and the kernel's own output may share a line with ours). The kernel's
    records may land behind ours (cut off) or in its middle: then the rest of
    our line comes after them, on a line of its own, and is joined back."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        m = re.search(r"hook-test: (.*)$", lines[i])
        i += 1
        if not m:
            continue
        rest = m.group(1)
        k = re.search(r"\s*" + KREC, rest)
        if k:
            rest = rest[:k.start()]
            while i < len(lines) and re.match(KREC, lines[i]):
                i += 1
            if i < len(lines) and not OWN_LINE.match(lines[i]):
                rest += lines[i]
                i += 1
        out.append(rest.rstrip())
    return out


def stages(c):
    """The /init runs the case must see, in order: [(test, checks)]."""
    first = list(FIRST[c["test"]])
    if c["test"] in RUNS:
        one, two = RUNS[c["test"]]
        return [(one, first), (two, SECOND[c["test"]])]
    if c["test"] in ("kernel", "linux", "fragmented"):
        first += LOADED[c["tool"]]
        return [(c["test"], first), ("second", SECOND[c["test"]])]
    return [(c["test"], first)]


def judge(c, code, text):
    """Every way the run differs from its design, as short strings."""
    why = []
    if code != c["exit"]:
        why.append("exit %s, want %s" % (code, c["exit"]))
    lines = hook_lines(text)
    fails = [l for l in lines if l.startswith("FAIL ")]
    why += fails[:4] + (["... %d more FAIL lines" % (len(fails) - 4)] if len(fails) > 4 else [])
    rel = release()
    if not rel:
        why.append("mk/vmlinuz.sh --release printed nothing")
    # The runs: a "start" line each, split the lines there.
    runs, cur = [], None
    for l in lines:
        m = re.match(r"start (\S+) on (\S+) cpus (\S*) cmdline (.*)$", l)
        if m:
            cur = dict(test=m.group(1), release=m.group(2), cpus=m.group(3), cmdline=m.group(4).strip(),
                       lines=[])
            runs.append(cur)
        elif cur is not None:
            cur["lines"].append(l)
    want = stages(c)
    got = [r["test"] for r in runs]
    if got != [t for t, _ in want]:
        return why + ["runs of /init: %s, want %s" % (got or "none", [t for t, _ in want])]
    for (test, checks), r in zip(want, runs):
        if r["release"] != rel:
            why.append("%s ran on %s, want %s (mk/vmlinuz.sh)" % (test, r["release"], rel))
        passes = {l[5:] for l in r["lines"] if l.startswith("PASS ")}
        for name in checks:
            if name not in passes:
                why.append("%s: no PASS %s" % (test, name))
    first, last = runs[0], runs[-1]
    if cpu_count(first["cpus"]) != c["smp"]:
        why.append("first kernel: cpus %s, want %d" % (first["cpus"], c["smp"]))
    trig = [i for i, l in enumerate(first["lines"]) if l.startswith("trigger ")]
    if len(trig) != 1:
        return why + ["%d trigger lines in the first kernel, want 1" % len(trig)]
    after = text[text.find("hook-test: " + first["lines"][trig[0]]):]
    if c["test"] == "refusals":
        why += judge_plain_reboot(first, after)
    elif c["test"] == "probe":
        why += judge_probe(c, after)
        for line in c.get("expect_before", []):     # the first kernel's own lines
            if not re.search(line, text[:len(text) - len(after)], re.M):
                why.append("no line matching %r before the trigger" % line)
    elif c["test"] == "jump":
        why += loader_steps(after)
        if not re.search(r"^hook-jump: payload ran$", after, re.M):
            why.append("no 'hook-jump: payload ran' line from the payload")
    else:
        why += judge_handover(c, first, last, after)
    return why


def judge_plain_reboot(run, after):
    """All checks counted in the done line, then the kernel's own restart and
    nothing of baton's loader (-no-reboot: QEMU exits at the reset)."""
    why = []
    n = sum(l.startswith("PASS ") for l in run["lines"])
    if "done refusals: %d passed, 0 failed" % n not in run["lines"]:
        why.append("no 'done refusals: %d passed, 0 failed' line" % n)
    if not re.search(r"reboot: Restarting system", after):
        why.append("no 'reboot: Restarting system' after the trigger")
    loader = re.search(r"^(baton: .*|PANIC .*)$", after, re.M)
    if loader:
        why.append("the loader ran after a plain reboot: '%s'" % loader.group(1))
    return why


def loader_steps(after):
    return ["no loader step '%s' after the trigger" % s for s in STEPS
            if not re.search(r"^baton: \[.*\] %s: " % s, after, re.M)]


def judge_probe(c, after):
    why = loader_steps(after)
    m = re.search(r"^PROBE PASS .*$", after, re.M)
    if not m:
        f = re.search(r"^PROBE FAIL .*$", after, re.M)
        return why + [f.group(0) if f else "no PROBE PASS after the trigger"]
    want = 'bootargs="%s"' % PROBE_APPEND.format(**c)
    if want not in m.group(0):
        why.append("PROBE PASS line without %s" % want)
    for line in c.get("expect", []):
        if not re.search(line, after, re.M):
            why.append("no line matching %r after the trigger" % line)
    return why


def judge_handover(c, first, last, after):
    why = []
    if c["tool"] == "kexec":
        loader = re.search(r"^(baton: .*|PANIC .*)$", after, re.M)
        if loader:
            why.append("a baton loader line in a kexec run: '%s'" % loader.group(1))
    else:
        # between the trigger and the next kernel's /init
        nxt_start = after.find("hook-test: start ")
        why += loader_steps(after if nxt_start < 0 else after[:nxt_start])
    nxt = [l[len("info next cmdline: "):] for l in first["lines"] if l.startswith("info next cmdline: ")]
    if not nxt or last["cmdline"] != nxt[0]:
        why.append("second kernel's cmdline '%s', want '%s'" % (last["cmdline"], nxt[0] if nxt else "?"))
    if cpu_count(last["cpus"]) != c["smp"]:
        why.append("second kernel: cpus %s, want %d" % (last["cpus"], c["smp"]))
    n = sum(l.startswith("PASS ") for l in last["lines"])
    if "done %s: %d passed, 0 failed" % (last["test"], n) not in last["lines"]:
        why.append("no 'done %s: %d passed, 0 failed' line" % (last["test"], n))
    if c["net"]:
        lease = [l for l in last["lines"] if l.startswith("info dhcp: ")]
        # QEMU's user network: 10.0.2.0/24, its DHCP server at 10.0.2.2.
        if not lease or not re.match(r"info dhcp: ip=10\.0\.2\.\d+ .*serverid=10\.0\.2\.2\b", lease[0]):
            why.append("lease %s, want ip=10.0.2.x from serverid=10.0.2.2" % (lease[0] if lease else "none"))
    if c["test"] == "fragmented" and not any(l.startswith("info buddyinfo after fragmenting: ")
                                             for l in first["lines"]):
        why.append("no buddyinfo after fragmenting")
    return why


def cpu_count(spec):
    """CPUs in a range list such as 0-3 or 0,2-3; -1 if it is not one."""
    n = 0
    for part in spec.split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            return -1
        n += int(m.group(2) or m.group(1)) - int(m.group(1)) + 1
    return n
