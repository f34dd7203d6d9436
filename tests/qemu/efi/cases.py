# SPDX-License-Identifier: MIT
"""The UEFI boot loader cases: OVMF (Debian's ovmf, pflash code + a writable
copy of the variable store) on q35 boots an ESP image that esp.py writes
afresh per case, with one boot loader as \\EFI\\BOOT\\BOOTX64.EFI:

  systemd-boot  /usr/lib/systemd/boot/efi/systemd-bootx64.efi (systemd-boot-efi),
                loader/loader.conf (timeout 0) and one Type #1 entry
  grub          build/efitest/grubx64.efi (build.mk: grub-mkstandalone), its
                entry in \\EFI\\BOOT\\grub.cfg (timeout 0)
  baton         build/efi/baton.efi (issue 12, efi/), the same loader.conf and
                entries as systemd-boot

The entry boots Debian's kernel (mk/vmlinuz.sh) with build/efitest/initrd.cpio,
whose /init (init.sh) prints one "efi-init:" line: /sys/firmware/efi, its
runtime services, an EFI variable written and read back, BootCurrent,
LoaderInfo, the release and the command line. Or, for baton, the probe ELF64.
run.py takes CASES into its table and hands each such case's QEMU command
and judging here (the "efi" key marks them), as it does tests/qemu/hook/cases.py's.

WAITING names the cases that wait for something elsewhere, with the reason
(today none); run.py
leaves them out unless they are named or --waiting is given, and says so.
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import esp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(BUILD, "tests", "qemu")
INITRD = os.path.join(BUILD, "efitest", "initrd.cpio")
PROBE = os.path.join(BUILD, "probe.elf")

# Debian 12's ovmf: the 4 MiB flash layout as two pflash drives, the code
# read-only and a copy of the variable store per case (written: OVMF keeps its
# boot options and our /init's test variable there). /usr/share/ovmf/OVMF.fd
# (code and variables in one, -bios) is what hook-uefi uses.
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# Secure Boot on: Debian's test-key firmware (the snakeoil key enrolled), which
# needs SMM; baton.efi signed with that key (build.mk).
OVMF_SB_CODE = "/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd"
OVMF_SB_VARS = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"

LOADERS = {
    "systemd-boot": "/usr/lib/systemd/boot/efi/systemd-bootx64.efi",
    "grub": os.path.join(BUILD, "efitest", "grubx64.efi"),
    "baton": os.path.join(BUILD, "efi", "baton.efi"),
    "baton-signed": os.path.join(BUILD, "efitest", "baton-signed.efi"),
}
PACKAGES = {"systemd-boot": "systemd-boot-efi (make deps)", "grub": "run make first",
            "baton": "run make first (efi/, issue 12)",
            "baton-signed": "run make first (tests/qemu/efi/build.mk signs build/efi/baton.efi)"}
# What the machine must still be doing HALT_WATCH seconds after the secure
# case's refusal: the firmware goes on to its next boot option (run.py kills it).
SB_REFUSED = r"BdsDxe: failed to start Boot[0-9A-F]{4} .*Security Violation"
STILL_RUNNING = "still running"  # run.py's HALTED: killed after HALT_WATCH seconds

# The kernel's command line, in every loader's entry. earlycon: the kernel's
# first line ("Linux version") goes out as it is written (the bench's mark).
OPTIONS = "console=ttyS0 earlycon=uart8250,io,0x3f8 panic=-1 baton.case={name}"
# The probe's: it finds the same string in QEMU's fw_cfg (opt/baton/bootargs);
# baton.expect=uefi: the firmware's own RAM is missing from its /memory (probe_check.c).
PROBE_OPTIONS = "baton.expect=uefi baton.case={name}"
# Words a loader puts in front of the entry's options: systemd-boot
# initrd=\path (for the EFI stub's own initrd loading), GRUB BOOT_IMAGE=.
PREFIX_WORDS = re.compile(r"^(initrd=\S*|BOOT_IMAGE=\S*)$")

EXIT_OFF = 0                    # init powered off
EXIT_PROBE_PASS = 2 * 0x10 + 1  # the probe's isa-debug-exit: every check passed

# OVMF's boot manager, on the serial console, as it starts the boot option
# (edk2:MdeModulePkg/Universal/BdsDxe/BdsEntry.c): the bench's start mark.
BDS_START = r"BdsDxe: starting Boot[0-9A-F]{4} "


class Missing(Exception):
    """Something a case needs is not there; the message says what."""


def efi_case(name, loader, payload="vmlinuz", smp=1, mem="1G", expect=(), default=None,
             entries=None, exit=None, broken=False, secure=False):
    """One OVMF run. entries: {name: bytes of a Type #1 entry} (None: one
    entry booting the payload); default: loader.conf's default."""
    probe = payload == "probe.elf"
    return dict(name=name, efi=True, loader=loader, payload=payload, smp=smp, mem=mem,
                expect=list(expect), default=default, entries=entries, broken=broken,
                secure=secure, halt_on=SB_REFUSED if secure else None,
                exit=exit if exit is not None else (EXIT_PROBE_PASS if probe else EXIT_OFF),
                linux=not probe, probe=probe, strategy="efi:" + loader, seed="-", fault="none",
                handoff="-", aps="none", min_secs=None, machine="q35,smm=on" if secure else "q35",
                cpu="qemu64")


def options(c):
    return (PROBE_OPTIONS if c["probe"] else OPTIONS).format(**c)


CASES = [
    # The baselines, which pass today: systemd-boot and GRUB boot Debian's
    # kernel from the ESP through its EFI stub.
    efi_case("efi-systemd-boot", "systemd-boot",
             expect=[r"efi-init: .* loader_info=systemd-boot_"]),
    efi_case("efi-grub", "grub", expect=[r"Welcome to GRUB!"]),
    # baton.efi (issue 12): the default entry boots Debian's kernel; the probe
    # ELF64 through an entry of its own (its CPU, page-table and memory checks).
    efi_case("efi-baton-linux", "baton"),
    efi_case("efi-baton-probe", "baton", payload="probe.elf"),
    # Entries that cannot boot, the default first: each prints its one-line
    # reason (a kernel cut short, which the stage refuses; an initrd missing
    # from the ESP) and baton.efi goes on to the next in the specification's
    # order (no sort-key: file names, descending: debian, b-truncated,
    # a-broken), coming round to the one that boots.
    # Secure Boot on (the snakeoil firmware, baton.efi signed with its key): the
    # firmware starts baton.efi, which verifies no image yet and so refuses to
    # boot any, in one line, and hands back EFI_SECURITY_VIOLATION.
    efi_case("efi-baton-secureboot", "baton-signed", secure=True, exit=STILL_RUNNING,
             expect=[r"^baton\.efi: Secure Boot is on, and baton\.efi does not verify images yet: "
                     r"refusing to boot any", SB_REFUSED]),
    efi_case("efi-baton-broken", "baton", default="b-truncated.conf", broken=True,
             expect=[r"baton\.efi: a-broken: cannot boot: .*/nope\.cpio",
                     r"baton\.efi: b-truncated: cannot boot: .*bzImage",
                     r"baton\.efi: booting debian"]),
]

BATON_CASES = [c["name"] for c in CASES if c["loader"] == "baton"]
# Cases left out of make check until what they wait for is there: name -> why.
# baton.efi is in ALL (efi/build.mk): its cases run, and fail when it is missing.
WAITING = {}

# Run only when named: the bench's runs (tests/bench/efi_boot.py), one per loader.
ON_REQUEST = [efi_case("efi-bench-" + l, l) for l in LOADERS]


def grub_cfg(c, kernel="/vmlinuz", initrd="/initrd.cpio"):
    return ("set timeout=0\nlinux %s %s\ninitrd %s\nboot\n" % (kernel, options(c), initrd)).encode()


def esp_files(c, kernel):
    """{ESP path: host path or bytes} for the case."""
    loader = LOADERS[c["loader"]]
    if not os.path.exists(loader):
        raise Missing("%s is missing: %s" % (os.path.relpath(loader, ROOT) if loader.startswith(ROOT)
                                             else loader, PACKAGES[c["loader"]]))
    files = {"EFI/BOOT/BOOTX64.EFI": loader}
    if c["probe"]:
        if not os.path.exists(PROBE):
            raise Missing("build/probe.elf is missing: run make first")
        files["probe.elf"] = PROBE
    else:
        if not os.path.exists(INITRD):
            raise Missing("%s is missing: run make first" % os.path.relpath(INITRD, ROOT))
        files["vmlinuz"] = kernel
        files["initrd.cpio"] = INITRD
    if c["loader"] == "grub":
        files["EFI/BOOT/grub.cfg"] = grub_cfg(c)
        return files
    entries = c["entries"]
    if entries is None:
        if c["probe"]:
            entries = {"probe": esp.bls_entry("baton probe", "/probe.elf", options=options(c))}
        else:
            entries = {"debian": esp.bls_entry("Debian", "/vmlinuz", ["/initrd.cpio"], options(c))}
    if c.get("broken"):
        with open(kernel, "rb") as f:
            files["vmlinuz-cut"] = f.read()[:64 << 10]	# the setup header, not the kernel
        entries = dict(entries)
        entries["a-broken"] = esp.bls_entry("Broken: no initrd", "/vmlinuz", ["/nope.cpio"],
                                            options(c))
        entries["b-truncated"] = esp.bls_entry("Broken: kernel cut short", "/vmlinuz-cut",
                                               ["/initrd.cpio"], options(c))
    for n, text in entries.items():
        files["loader/entries/%s.conf" % n] = text
    files["loader/loader.conf"] = esp.loader_conf(c["default"] or sorted(entries)[0] + ".conf")
    return files


def paths(c):
    base = os.path.join(OUT, c["name"])
    return base + ".esp.img", base + ".vars.fd"


def qemu_command(c, log, kernel):
    """The QEMU command line; writes the case's ESP and variable store afresh."""
    code_fd, vars_fd = (OVMF_SB_CODE, OVMF_SB_VARS) if c.get("secure") else (OVMF_CODE, OVMF_VARS)
    for f, pkg in ((code_fd, "ovmf"), (vars_fd, "ovmf")):
        if not os.path.exists(f):
            raise Missing("%s is missing: apt-get install %s (make deps)" % (f, pkg))
    os.makedirs(OUT, exist_ok=True)
    img, vars_ = paths(c)
    try:
        esp.build(img, esp_files(c, kernel))
    except esp.EspError as e:
        raise Missing("ESP image: %s" % e)
    shutil.copyfile(vars_fd, vars_)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", c["machine"], "-cpu", c["cpu"],
           "-m", c["mem"], "-smp", str(c["smp"]),
           "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code_fd,
           *(["-global", "driver=cfi.pflash01,property=secure,value=on"] if c.get("secure") else []),
           "-drive", "if=pflash,format=raw,unit=1,file=" + vars_.replace(",", ",,"),
           "-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
           "-serial", "file:" + log,
           "-drive", "file=%s,format=raw,if=none,id=esp" % img.replace(",", ",,"),
           "-device", "virtio-blk-pci,drive=esp"]
    if c["probe"]:
        cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-fw_cfg", "name=opt/baton/bootargs,string=" + options(c).replace(",", ",,")]
    return cmd


def release():
    out = subprocess.run(["sh", os.path.join(ROOT, "mk", "vmlinuz.sh"), "--release"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


INIT_LINE = re.compile(r"efi-init: efi=(\S+) runtime=(\S+) runtime_map=(\d+) efivarfs=(\S+) var=(\S+) "
                       r"boot_current=(\S+) loader_info=(\S+) release=(\S+) cpus=(\S*) cmdline=(.*)$", re.M)


def judge(c, code, text):
    """Every way the run differs from its design, as short strings."""
    why = []
    if code != c["exit"]:
        why.append("exit %s, want %s" % (code, c["exit"]))
    start = re.search(BDS_START, text)
    if not start:
        return why + ["no '%s' line from OVMF" % BDS_START]
    after = text[start.end():]
    for pat in c["expect"]:
        if not re.search(pat, text, re.M):
            why.append("no line matching %r" % pat)
    if c.get("secure"):
        if re.search(r"^baton: ", after, re.M) or "Linux version" in after:
            why.append("an image started under Secure Boot")
        return why
    if c["probe"]:
        m = re.search(r"^PROBE PASS .*$", after, re.M)
        if not m:
            f = re.search(r"^PROBE FAIL .*$", after, re.M)
            return why + [f.group(0) if f else "no PROBE PASS after OVMF started the boot option"]
        if 'bootargs="%s"' % options(c) not in m.group(0):
            why.append('PROBE PASS line without bootargs="%s"' % options(c))
        return why
    rel = release()
    if not re.search(r"\] Linux version %s " % re.escape(rel or "?"), after):
        why.append("no 'Linux version %s' line" % rel)
    # The kernel took the EFI system table and ACPI from the firmware.
    for pat, what in ((r"\] efi: EFI v[0-9.]+ by EDK II", "the kernel's 'efi: EFI v... by EDK II' line"),
                      (r"\] ACPI: RSDP 0x", "the kernel's 'ACPI: RSDP' line")):
        if not re.search(pat, after):
            why.append("no " + what)
    m = INIT_LINE.search(after)
    if not m:
        return why + ["init never reached (no efi-init line)"]
    efi, runtime, rmap, efivarfs, var, boot_current, _, got_rel, cpus, cmdline = m.groups()
    for name, got in (("efi (/sys/firmware/efi)", efi), ("runtime", runtime), ("efivarfs", efivarfs)):
        if got != "yes":
            why.append("init: %s=%s, want yes" % (name, got))
    if var != "ok":
        why.append("init: EFI variable written and read back: %s" % var)
    if int(rmap) == 0:
        why.append("init: no runtime map entries")
    if boot_current == "-":
        why.append("init: no BootCurrent variable")
    if got_rel != rel:
        why.append("init ran on %s, want %s" % (got_rel, rel))
    if cpus != ("0" if c["smp"] == 1 else "0-%d" % (c["smp"] - 1)):
        why.append("init: cpus %s online, want %d" % (cpus, c["smp"]))
    words = cmdline.split()
    while words and PREFIX_WORDS.match(words[0]):
        words.pop(0)
    if " ".join(words) != options(c):
        why.append("cmdline '%s', want '%s' (after initrd=/BOOT_IMAGE=)" % (cmdline.strip(), options(c)))
    return why
