#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""baton.efi against systemd-boot and GRUB: same OVMF, same kernel, same
initrd, same command line, same run (issue 12, make bench).

Each run is tests/qemu/efi/cases.py's bench case for the loader
(efi-bench-<loader>): OVMF (OVMF_CODE_4M.fd, a fresh copy of OVMF_VARS_4M.fd)
on q35, TCG, -smp 1, 1 GiB, an ESP written by tests/qemu/efi/esp.py with the
loader as \\EFI\\BOOT\\BOOTX64.EFI and no menu delay (loader.conf timeout 0;
GRUB's grub.cfg timeout=0), Debian's kernel (mk/vmlinuz.sh) and
build/efitest/initrd.cpio. Serial lines are timestamped on the host as the
bytes arrive, runs interleaved:

  firmware    QEMU started -> OVMF's "BdsDxe: starting Boot0001 ..." line
              (its boot manager starts the boot option: the loader runs)
  Linux       that line -> the kernel's "Linux version" (earlycon: printed
              as it is written; the EFI stub and the decompressor come before)
  init        that line -> /init's "efi-init:" line

Medians (min-max) of BENCH_RUNS runs each (default 3), the loaders' sizes,
and baton / systemd-boot for starting -> Linux version. Goal (issue 12): at
most 0.8x. baton's column says "not built" until build/efi/baton.efi exists.
"""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
import serial_marks  # noqa: E402  (tests/bench/serial_marks.py)
import run  # noqa: E402  (the harness: the kernel, the EFI cases)

efi = run.efi
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TIMEOUT = 120
LOADERS = ["baton", "systemd-boot", "grub"]
MARKS = [
    ("start", efi.BDS_START.encode()),
    ("linux", rb"\[ *0\.000000\] Linux version"),
    ("init", rb"efi-init: .*\n"),
]


def timed_run(case):
    """One run: {mark: host seconds since QEMU started}, and the serial text."""
    return serial_marks.timed_run(efi.qemu_command(case, os.devnull, run.vmlinuz()), MARKS, "init", TIMEOUT)


def measure(loader, i):
    case = next(c for c in efi.ON_REQUEST if c["loader"] == loader)
    got, text = timed_run(case)
    missing = [n for n, _ in MARKS if n not in got]
    init = re.search(r"efi-init: .*", text)
    if missing or not init or "efi=yes" not in init.group(0):
        sys.exit("bench efi: %s run %d: no %s line\n%s" % (
            loader, i + 1, ", ".join(missing) or "efi-init with efi=yes",
            "\n".join(text.splitlines()[-12:])))
    r = dict(firmware=got["start"], linux=got["linux"] - got["start"], init=got["init"] - got["start"])
    print("bench efi: %-12s run %d/%d: firmware %.2f s, starting -> Linux version %.2f s, -> init %.2f s"
          % (loader, i + 1, RUNS, r["firmware"], r["linux"], r["init"]), flush=True)
    return r


def spread(xs):
    return "%.2f s (%.2f-%.2f)" % (statistics.median(xs), min(xs), max(xs))


def main():
    try:
        kernel = run.vmlinuz()
    except run.NoKernel as e:
        sys.exit("bench efi: " + str(e))
    for f in (efi.INITRD, efi.LOADERS["grub"]):
        if not os.path.exists(f):
            sys.exit("bench efi: %s is missing: run make first" % os.path.relpath(f, run.ROOT))
    if not os.path.exists(efi.LOADERS["systemd-boot"]):
        sys.exit("bench efi: %s is missing: apt-get install systemd-boot-efi (make deps)"
                 % efi.LOADERS["systemd-boot"])
    loaders = [l for l in LOADERS if os.path.exists(efi.LOADERS[l])]
    print(run.kernel_line(), flush=True)
    print("bench efi: OVMF (%s) on q35, -smp 1, 1 GiB, ESP with \\EFI\\BOOT\\BOOTX64.EFI = each loader, "
          "no menu delay; Debian's %s + build/efitest/initrd.cpio; %s interleaved, %d runs each"
          % (os.path.basename(efi.OVMF_CODE), os.path.basename(kernel), ", ".join(loaders), RUNS), flush=True)
    res = {l: [] for l in loaders}
    for i in range(RUNS):
        for l in loaders:
            res[l].append(measure(l, i))
    print("bench efi: medians (min-max) of %d runs; the same OVMF, kernel, initrd and options" % RUNS)
    print("  %-32s %-24s %-24s %-24s" % ("", "baton.efi", "systemd-boot", "GRUB"))
    for label, k in (("QEMU start -> BdsDxe starting", "firmware"),
                     ("starting -> Linux version", "linux"),
                     ("starting -> init", "init")):
        cols = [spread([r[k] for r in res[l]]) if l in res else "not built" for l in LOADERS]
        print("  %-32s %-24s %-24s %-24s" % (label, *cols))
    sizes = []
    for l in LOADERS:
        f = efi.LOADERS[l]
        sizes.append("%d KiB" % (os.path.getsize(f) >> 10) if os.path.exists(f) else "not built")
    print("  %-32s %-24s %-24s %-24s" % ("size of BOOTX64.EFI", *sizes))
    print("  (systemd-boot: %s; GRUB: %s, grub-mkstandalone with %d modules, tests/qemu/efi/build.mk)"
          % (efi.LOADERS["systemd-boot"], os.path.relpath(efi.LOADERS["grub"], run.ROOT),
             len(efi_grub_modules())))
    sd = statistics.median(r["linux"] for r in res["systemd-boot"])
    gr = statistics.median(r["linux"] for r in res["grub"])
    print("  GRUB / systemd-boot, starting -> Linux version: %.2fx" % (gr / sd))
    if "baton" in res:
        b = statistics.median(r["linux"] for r in res["baton"]) / sd
        print("  goal: baton.efi starting -> Linux version at most 0.8x systemd-boot's: %.2fx, %s"
              % (b, "met" if b <= 0.8 else "MISSED"))
    else:
        print("  goal: baton.efi starting -> Linux version at most 0.8x systemd-boot's: "
              "not measured (build/efi/baton.efi not built)")
    return 0


def efi_grub_modules():
    mk = open(os.path.join(run.ROOT, "tests", "qemu", "efi", "build.mk")).read()
    m = re.search(r"^EFITEST_GRUB_MODS := (.*)$", mk, re.M)
    return m.group(1).split() if m else []


if __name__ == "__main__":
    sys.exit(main())
