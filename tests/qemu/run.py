#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""QEMU regression harness: every layout a hostile outgoing side can produce.

Each case boots build/outgoing.bin (the outgoing test kernel) under
qemu-system-x86_64 -accel tcg with the loader blob and the probe payload as
Multiboot modules. The outgoing kernel stages the probe with the case's strategy,
optionally breaks something, and jumps to the loader. The case passes when QEMU's
exit code and the serial log show exactly the designed outcome.

  tests/qemu/run.py                 every case, in parallel, summary table
  tests/qemu/run.py worst-1 high    only these cases
  tests/qemu/run.py --demo          the demo: worst-case layout, then the hook, logs shown live
  tests/qemu/run.py --list          the case table
  tests/qemu/run.py --gdb worst-1   one case frozen, gdb stub on :1234
"""
import argparse
import concurrent.futures
import functools
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hook"))
import cases as hook  # noqa: E402  (the kernel hook's cases: tests/qemu/hook/cases.py)
import importlib.util  # noqa: E402


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The UEFI boot loaders' cases (tests/qemu/efi/cases.py: systemd-boot, GRUB, baton.efi).
efi = _load("efi_cases", os.path.join(os.path.dirname(os.path.abspath(__file__)), "efi", "cases.py"))
# Cases that wait for a fix or a part elsewhere: name -> (why, the file saying so).
WAITING = dict([(n, (w, "tests/qemu/hook/cases.py")) for n, w in hook.WAITING.items()] +
               [(n, (w, "tests/qemu/efi/cases.py")) for n, w in efi.WAITING.items()])

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(BUILD, "tests", "qemu")

# isa-debug-exit: QEMU exits with 2*v+1 for a byte v written to port 0xf4.
EXIT_PROBE_PASS = 2 * 0x10 + 1   # probe: every check passed
EXIT_PROBE_FAIL = 2 * 0x11 + 1   # probe: a check failed
EXIT_PANIC = 2 * 0x20 + 1        # loader: PANIC (BATON_EXIT_PANIC)
EXIT_STAGE = 2 * 0x32 + 1        # outgoing: the stage refused the input

EXIT_LINUX = 0                   # Linux: init powered the machine off
EXIT_RESET = 0                   # -no-reboot: the guest reset the machine
HALTED = "still running"         # reset-halt: QEMU had not exited when it was killed
HALT_WATCH = 3                   # seconds a halted machine must stay up

BOOTARGS = "console=ttyS0 baton.case={name} quiet"
# Linux: not quiet, so the kernel's e820 map shows; earlycon for the first line.
LINUX_BOOTARGS = "console=ttyS0 earlycon=uart8250,io,0x3f8 panic=-1 baton.case={name}"
INITRAMFS = os.path.join(BUILD, "linux", "initramfs.cpio")
# The same init with /data.bin of about 64 MiB: a 64 MiB initrd.
INITRAMFS_64 = os.path.join(BUILD, "linux", "initramfs-64m.cpio")

# The loader's step lines, in order: every passing case must show all of them.
STEPS = ["header", "paging", "park", "check", "move", "plan", "copy", "verify", "launch"]


def case(name, strategy, seed=1, fault="none", mem="512M", exit=EXIT_PROBE_PASS,
         expect=(), summary=None, handoff="rdi", payload="probe.elf", smp=1,
         entry=64, aps="none", blob="loader.bin", test=None, cpu="qemu64",
         nevertouch=None, what=None, shows=None, by=None, machine="pc", more="",
         last=None, panics=1, delay_ms=None, min_secs=None, initrd_mib=23, args=""):
    """One QEMU run. payload "vmlinuz" is the kernel mk/vmlinuz.sh names
    (linux-image-amd64's default flavour); it and every copy of it ("vmlinuz-*" in
    DERIVED) come with our initramfs and Linux's command line. A name in DERIVED
    is a changed copy of a real payload. what/shows: the fault matrix's columns
    (docs/faults.md), for the cases in FAULT_MATRIX; by names who catches it when
    the line's prefix does not say. more: further words for the outgoing
    kernel's command line. After a panic with no exit port (exit EXIT_RESET or
    HALTED): last is the loader's last "reset:" line, panics the PANIC lines,
    delay_ms the least time between "reset: in" and the next line (TSC
    stamps), min_secs the least wall-clock time of the run. args: further
    words for the payload's command line (the probe's baton.expect=)."""
    linux = payload.startswith("vmlinuz")
    return dict(name=name, strategy=strategy, seed=seed, fault=fault, mem=mem,
                exit=EXIT_LINUX if linux and exit == EXIT_PROBE_PASS else exit,
                expect=list(expect), summary=summary or {}, handoff=handoff,
                payload=payload, smp=smp, entry=entry, aps=aps, blob=blob, test=test,
                linux=linux, cpu=cpu, nevertouch=nevertouch, what=what, shows=shows,
                by=by, machine=machine, more=more, last=last, panics=panics,
                delay_ms=delay_ms, min_secs=min_secs, args=args,
                initrd=INITRAMFS_64 if initrd_mib == 64 else INITRAMFS)


def linux_case(name, strategy, entry, smp, mem="512M", seed=1, expect=(), summary=None,
               exit=EXIT_LINUX, aps="none", cpu="qemu64", what=None, shows=None,
               payload="vmlinuz", initrd_mib=23):
    return case(name, strategy, seed=seed, mem=mem, payload=payload, smp=smp, entry=entry,
                expect=expect, summary=summary, exit=exit, aps=aps, cpu=cpu, what=what,
                shows=shows, initrd_mib=initrd_mib)


# What the old kernel leaves (docs/entry.md, "What the kernel hook leaves"): the
# probe checks it when its command line says baton.expect=shutdown. Without the
# kernel hook, the outgoing test kernel plays that kernel (devices=, devices.c):
# it makes the 8259, IO-APIC, local APIC, HPET and bus masters live, and with
# devices=shutdown quiesces them just before the jump. On q35, whose firmware
# leaves AHCI bus mastering on; -smp 2, so the loader's INIT IPIs go somewhere.
EXPECT_SHUTDOWN = "baton.expect=shutdown"
SHUTDOWN_LIVE_FAILS = [
    r"^probe: FAIL 8259: masks 0x21 = 0xf8, 0xa1 = 0xfe, want 0xff 0xff",
    r"^probe: FAIL ioapic: IO-APIC id 0 at 0xfec00000: 6 of 24 pins unmasked \(1 2 4 8 9 12; ",
    r"^probe: FAIL lapic: SVR 0x1ff, want 0x10f",
    r"^probe: FAIL lapic: LVT LINT0 0x10700, want ExtINT, not masked",
    r"^probe: FAIL lapic: LVT LINT1 0x10400, want NMI, not masked",
    r"^probe: FAIL lapic: LVT timer 0xec: not masked",
    r"^probe: FAIL lapic: LVT error 0xfe: not masked",
    r"^probe: FAIL lapic: LVT perf 0x400: not masked",
    r"^probe: FAIL lapic: LVT thermal 0xfa: not masked",
    r"^probe: FAIL hpet: HPET at 0xfed00000: general configuration 0x3: ENABLE_CNF 1, LEG_RT_CNF 1",
    r"^probe: FAIL hpet: HPET at 0xfed00000: Tn_INT_ENB_CNF set on 2 of 3 timers \(0 1; ",
    r"^probe: FAIL pci-master: bus mastering on in 4 of 4 functions ",
    r"^PROBE FAIL 8259: .* \[failures=12\]$",
]
SHUTDOWN_CASES = [
    case("shutdown-state", "scattered", seed=16, machine="q35", smp=2, more="devices=shutdown",
         args=EXPECT_SHUTDOWN,
         expect=[r"^outgoing: devices: live: bus mastering on in 4 PCI functions",
                 r"^outgoing: devices: shutdown: bus mastering off in 4 PCI functions",
                 r"^probe: shutdown 8259: masks 0xff 0xff$",
                 r"^probe: shutdown ioapic: id 0 at 0xfec00000, GSI 0-23: 24 pins, 0 unmasked$",
                 r"^probe: shutdown lapic: xAPIC at 0xfee00000, SVR 0x10f, LINT0 0x700, LINT1 0x400, "
                 r"timer 0x100ec error 0x100fe perf 0x10400 thermal 0x100fa \(last LVT 5\)$",
                 r"^probe: shutdown hpet: at 0xfed00000, general configuration 0, 3 timers: 0x30 0x30 0x30$",
                 r"^PROBE PASS .* shutdown=ok pci=4$"]),
    # The same without the quiesce step: every check must fail, each with its line.
    case("shutdown-state-live", "scattered", seed=16, machine="q35", smp=2, more="devices=live",
         args=EXPECT_SHUTDOWN, exit=EXIT_PROBE_FAIL, expect=SHUTDOWN_LIVE_FAILS),
    # What QEMU's reset and SeaBIOS leave, untouched: the IO-APIC, the LVTs but
    # LINT0/LINT1 and the HPET are already as the hook leaves them; the 8259, the
    # spurious vector and AHCI's bus mastering are not (docs/entry.md).
    case("shutdown-state-firmware", "scattered", seed=16, machine="q35", smp=2,
         args=EXPECT_SHUTDOWN, exit=EXIT_PROBE_FAIL,
         expect=[r"^probe: FAIL 8259: masks 0x21 = 0xb8, 0xa1 = 0x8e, want 0xff 0xff",
                 r"^probe: FAIL lapic: SVR 0x1ff, want 0x10f",
                 r"^probe: FAIL pci-master: bus mastering on in 1 of 4 functions \(00:1f.2 8086:2922 command 0x0107\)",
                 r"^probe: shutdown ioapic: id 0 at 0xfec00000, GSI 0-23: 24 pins, 0 unmasked$",
                 r"^probe: shutdown lapic: xAPIC at 0xfee00000, SVR 0x1ff, LINT0 0x8700, LINT1 0x8400, "
                 r"timer 0x10000 error 0x10000 perf 0x10000 thermal 0x10000 \(last LVT 5\)$",
                 r"^probe: shutdown hpet: at 0xfed00000, general configuration 0, 3 timers: 0x30 0x30 0x30$",
                 r"^PROBE FAIL 8259: .* \[failures=3\]$"]),
]

# One table: what each case builds and the outcome it must end in.
CASES = [
    case("inplace", "inplace", summary={"copies": "0"}),
    case("scattered-1", "scattered", seed=1),
    case("scattered-2", "scattered", seed=2),
    case("reverse", "reverse"),
    case("worst-1", "worst", seed=1, summary={"cycles": "[1-9][0-9]*", "ordered": "[1-9][0-9]*"}),
    case("worst-7", "worst", seed=7, summary={"cycles": "[1-9][0-9]*", "ordered": "[1-9][0-9]*"}),
    case("loader-in-dst", "loader-in-dst", seed=3,
         expect=[r"baton: \[.*\] move: moved from 0x[0-9a-f]+ to 0x[0-9a-f]+"]),
    case("handoff-slot", "scattered", seed=4, handoff="slot",
         expect=[r"jumping to loader at 0x[0-9a-f]+ handoff (0x[0-9a-f]+) \(RDI = 0",
                 r"baton: loader at 0x[0-9a-f]+, handoff at 0x[0-9a-f]+$"]),
    case("high", "high", seed=5, mem="6G",
         expect=[r"baton: loader at 0x1[0-9a-f]{8}, handoff at 0x1[0-9a-f]{8}"]),
    # A long-running kernel's memory: every page the stage asks for (sources, list
    # pages, the handoff page) a single page, no two adjacent.
    case("fragmented", "fragmented", seed=11, summary={"list_pages": "[1-9][0-9]*"}),
    # The ELF32 probe: protected mode, paging off, through the 32-bit trampoline.
    case("elf32", "scattered", seed=6, payload="probe32.elf",
         expect=[r"launch: 32-bit protected mode, paging off, entry 0x3000000, rdi 0x[0-9a-f]+; through the trampoline at 0x[0-9a-f]+$"]),
    case("elf32-worst", "worst", seed=2, payload="probe32.elf",
         summary={"cycles": "[1-9][0-9]*"}),
    # The loader (and its GDT) above 4 GiB: the trampoline must bring its own.
    case("elf32-high", "high", seed=4, mem="6G", payload="probe32.elf",
         expect=[r"baton: loader at 0x1[0-9a-f]{8}, handoff at 0x1[0-9a-f]{8}",
                 r"; through the trampoline at 0x[0-9a-f]{1,8}$"]),
    # 5-level paging: with LA57 on the CPU the outgoing kernel runs 5-level, as Linux
    # does, and jumps with CR4.LA57 set, which long mode cannot clear: the loader's
    # own map must be 5-level too, and the 32-bit trampoline must drop it.
    case("la57", "worst", seed=3, cpu="qemu64,+la57",
         expect=[r"^outgoing: kernel .* 5-level paging", r"^probe: paging: 5-level"]),
    case("elf32-la57", "scattered", seed=3, cpu="qemu64,+la57", payload="probe32.elf",
         expect=[r"^outgoing: kernel .* 5-level paging"]),
    # Hostile APs: the outgoing kernel leaves three CPUs writing into the probe's
    # pages. Parked by the loader's INIT the probe passes (FAULT_MATRIX: a test
    # loader told not to park must fail the same case, or parking proves nothing).
    case("aps-parked", "scattered", seed=8, smp=4, aps="hostile",
         expect=[r"^outgoing: aps: 3 of 4 started", r"park: INIT sent to all other CPUs through the xAPIC, twice"]),
    # Hostile APs with Linux: they scribble on the initrd's pages until parked; Linux
    # then starts all of them again from wait-for-SIPI (cpus=4/4).
    linux_case("linux64-aps-parked", "scattered", 64, smp=4, seed=12, aps="hostile",
               expect=[r"^outgoing: aps: 3 of 4 started", r"park: INIT sent to all other CPUs through the xAPIC, twice"]),
    linux_case("linux64-la57", "scattered", 64, smp=2, seed=13, cpu="qemu64,+la57",
               expect=[r"^outgoing: kernel .* 5-level paging"]),
    # Debian's own kernel with our initramfs, through both entries of the boot protocol.
    linux_case("linux64", "scattered", 64, smp=1),
    linux_case("linux64-worst-smp4", "worst", 64, smp=4,
               summary={"cycles": "[1-9][0-9]*"}),
    linux_case("linux32-smp4", "scattered", 32, smp=4, seed=3,
               expect=[r"launch: 32-bit protected mode, paging off, entry 0x[0-9a-f]+, rsi 0x[0-9a-f]+; through the trampoline"]),
    linux_case("linux32-worst", "worst", 32, smp=1, seed=5,
               summary={"cycles": "[1-9][0-9]*"}),
    linux_case("linux64-initrd-high", "high", 64, smp=2, mem="6G", seed=9,
               summary={"initrd": "0x1[0-9a-f]{8}"}),
    # 32-bit entry on a 6 GiB machine: loader and sources above 4 GiB, but the
    # kernel, zero page and initrd must stay below.
    linux_case("linux32-high", "high", 32, smp=2, mem="6G", seed=10,
               expect=[r"baton: loader at 0x1[0-9a-f]{8}"],
               summary={"initrd": "0x[0-9a-f]{1,8}"}),
    # Debian's kernel and a 64 MiB initrd from single pages, no two adjacent.
    linux_case("linux64-fragmented", "fragmented", 64, smp=1, mem="1G", seed=15,
               initrd_mib=64, summary={"list_pages": "[1-9][0-9]*", "claimed": "[1-9][0-9]*"}),
    # The kernel as some signed images ship: 8 bytes short of syssize * 16 (the
    # last paragraph partial). The missing bytes are zeros in memory.
    linux_case("linux64-syssize-short", "scattered", 64, smp=1, seed=14,
               payload="vmlinuz-syssize-short"),
] + SHUTDOWN_CASES


# The fault matrix: every bad input or fault, and the one outcome it is designed
# to end in (docs/faults.md is this table; run.py --matrix prints it). "what" is
# the input, "shows" the line the user gets; expect holds that line exactly.
# Refused by the stage: nothing allocated, no jump (judge() checks). Caught by the
# loader: exactly one PANIC line, the payload never runs.
FAULT_MATRIX = [
    # Damaged images, refused by the stage before it allocates a page.
    case("stage-not-elf", "scattered", payload="loader.bin", exit=EXIT_STAGE,
         what="not an image at all (the loader blob as the payload)",
         shows="outgoing: stage: image: image format not recognised (not ELF32/ELF64)",
         expect=[r"^outgoing: stage: image: image format not recognised \(not ELF32/ELF64\)$"]),
    case("stage-elf-truncated", "scattered", payload="probe-truncated.elf", exit=EXIT_STAGE,
         what="ELF cut in half: a segment's file bytes past the end",
         shows="outgoing: stage: image: ELF: segment file bytes lie outside the image",
         expect=[r"^outgoing: stage: image: ELF: segment file bytes lie outside the image$"]),
    case("stage-elf-corrupt", "scattered", payload="probe-arm.elf", exit=EXIT_STAGE,
         what="ELF header corrupted: e_machine says ARM",
         shows="outgoing: stage: image: ELF: machine is not x86 (ELF32) / x86-64 (ELF64)",
         expect=[r"^outgoing: stage: image: ELF: machine is not x86 \(ELF32\) / x86-64 \(ELF64\)$"]),
    case("stage-elf-overlap", "scattered", payload="probe-overlap.elf", exit=EXIT_STAGE,
         what="ELF whose two segments overlap in physical memory",
         shows="outgoing: stage: image: ELF: two segments overlap in physical memory",
         expect=[r"^outgoing: stage: image: ELF: two segments overlap in physical memory$"]),
    case("stage-bzimage-truncated", "scattered", payload="vmlinuz-truncated", exit=EXIT_STAGE,
         what="Debian's vmlinuz cut to 2 MiB",
         shows="outgoing: stage: image: bzImage: syssize 0x... is longer than the 0x... bytes after the setup sectors: truncated",
         expect=[r"^outgoing: stage: image: bzImage: syssize 0x[0-9a-f]+ \(0x[0-9a-f]+ bytes\) is longer than the 0x[0-9a-f]+ bytes after the setup sectors: truncated$"]),
    case("stage-bzimage-corrupt", "scattered", payload="vmlinuz-2.08", exit=EXIT_STAGE,
         what="Debian's vmlinuz with its boot protocol version set to 2.08",
         shows="outgoing: stage: image: bzImage: boot protocol 2.08 is too old (baton needs 2.10 or later)",
         expect=[r"^outgoing: stage: image: bzImage: boot protocol 2\.08 is too old \(baton needs 2\.10 or later\)$"]),
    # A damaged signature still makes a bzImage (fmt_bzimage_probe): its parser names
    # the field, although an initrd comes with it (before: "only a Linux bzImage
    # takes one", or "not ELF32/ELF64" without one).
    case("stage-bzimage-no-hdrs", "scattered", payload="vmlinuz-hdrz", exit=EXIT_STAGE,
         what="Debian's vmlinuz and initrd, its \"HdrS\" changed to \"HdrZ\"",
         shows="outgoing: stage: image: bzImage: header magic 0x5a726448 at 0x202 is not \"HdrS\" (0x53726448)",
         expect=[r'^outgoing: stage: image: bzImage: header magic 0x5a726448 at 0x202 is not "HdrS" \(0x53726448\)$']),
    case("stage-bzimage-boot-flag", "scattered", payload="vmlinuz-aa56", exit=EXIT_STAGE,
         what="Debian's vmlinuz and initrd, its boot_flag changed to 0xaa56",
         shows="outgoing: stage: image: bzImage: boot_flag 0xaa56 at 0x1fe is not 0xaa55",
         expect=[r"^outgoing: stage: image: bzImage: boot_flag 0xaa56 at 0x1fe is not 0xaa55$"]),
    # An image asking for the Multiboot convention is refused, not launched as the
    # plain ELF32 it also is (it was, with baton's ELF32 registers).
    case("stage-multiboot", "scattered", seed=6, payload="probe32-multiboot.elf", exit=EXIT_STAGE,
         what="the ELF32 probe with a Multiboot2 and a Multiboot1 header in its first page, as a hypervisor carries them",
         shows="outgoing: stage: image: a Multiboot2 header at offset 0x400 (and Multiboot1 at 0x800): baton does not launch Multiboot images yet",
         expect=[r"^outgoing: stage: image: a Multiboot2 header at offset 0x400 \(and Multiboot1 at 0x800\): baton does not launch Multiboot images yet$"]),
    # Destinations the machine cannot take, refused by the stage.
    case("stage-outside", "scattered", payload="probe-outside.elf", exit=EXIT_STAGE,
         what="ELF linked at 256 GiB, on a 512 MiB machine",
         shows="outgoing: stage: segment 0x4002000000-0x... is outside usable RAM",
         expect=[r"^outgoing: stage: segment 0x4002000000-0x4002[0-9a-f]{6} is outside usable RAM$"]),
    case("stage-too-big", "scattered", payload="probe-huge.elf", exit=EXIT_STAGE,
         what="ELF whose bss is 1 GiB, on a 512 MiB machine",
         shows="outgoing: stage: image needs ... KiB but usable RAM is ... KiB",
         expect=[r"^outgoing: stage: image needs \d+ KiB but usable RAM is \d+ KiB$"]),
    case("stage-no-room", "scattered", mem="40M", exit=EXIT_STAGE,
         what="ELF over the end of RAM (40 MiB machine)",
         shows="outgoing: stage: segment 0x...-0x... covers reserved range 0x...-0x...",
         expect=[r"^outgoing: stage: segment 0x[0-9a-f]+-0x[0-9a-f]+ covers reserved range 0x[0-9a-f]+-0x[0-9a-f]+$"]),
    case("stage-never-touch", "scattered", nevertouch=0x2100000, exit=EXIT_STAGE,
         what="a never-touch range (64 KiB at 0x2100000) under the ELF's first segment",
         shows="outgoing: stage: segment 0x2000000-0x... covers never-touch range 0x2100000-0x2110000",
         expect=[r"^outgoing: stage: segment 0x2000000-0x2[0-9a-f]{6} covers never-touch range 0x2100000-0x2110000$"]),
    linux_case("stage-linux-no-room", "scattered", 64, smp=1, mem="64M", exit=EXIT_STAGE,
               what="Debian's kernel on a 64 MiB machine (its init_size is 64 MiB)",
               shows="outgoing: stage: image: bzImage: init_size 0x... fits nowhere in usable RAM at kernel_alignment 0x200000",
               expect=[r"^outgoing: stage: image: bzImage: init_size 0x[0-9a-f]+ fits nowhere in usable RAM at kernel_alignment 0x200000$"]),
    # A handoff damaged after staging: the loader's header check and validator.
    case("fault-magic", "scattered", fault="magic", exit=EXIT_PANIC,
         what="handoff magic changed",
         shows="PANIC check: handoff at 0x...: bad magic 0x... (want 0x324f484e4f544142)",
         expect=[r"^PANIC check: handoff at 0x[0-9a-f]+: bad magic 0x[0-9a-f]+ \(want 0x324f484e4f544142\)"]),
    case("fault-version", "scattered", fault="version", exit=EXIT_PANIC,
         what="handoff version 99, CRC resealed",
         shows="PANIC check: handoff at 0x...: handoff version 99, this loader reads 2",
         expect=[r"^PANIC check: handoff at 0x[0-9a-f]+: handoff version 99, this loader reads 2"]),
    case("fault-crc", "scattered", fault="crc", exit=EXIT_PANIC,
         what="one byte of a list page's hash word changed, CRC not resealed",
         shows="PANIC check: bad CRC 0x... over N list pages (header says 0x...)",
         expect=[r"^PANIC check: bad CRC 0x[0-9a-f]{8} over \d+ list pages \(header says 0x[0-9a-f]{8}\)$"]),
    case("fault-flags", "scattered", fault="flags", exit=EXIT_PANIC,
         what="handoff flags 0x1 (once: skip verify), CRC resealed",
         shows="PANIC check: handoff at 0x...: flags 0x1 or a reserved field is not zero: handoff v2 defines none",
         expect=[r"^PANIC check: handoff at 0x[0-9a-f]+: flags 0x1 or a reserved field is not zero: handoff v2 defines none$"]),
    case("fault-overlap", "scattered", fault="overlap", exit=EXIT_PANIC,
         what="a zero run added on the first destination page",
         shows="PANIC check: copy run 0 dst 0x...-0x... overlaps zero run N dst 0x...-0x...",
         expect=[r"^PANIC check: copy run 0 dst 0x([0-9a-f]+)-0x[0-9a-f]+ overlaps zero run \d+ dst 0x\1-0x[0-9a-f]+$"]),
    case("fault-outside", "scattered", fault="outside", exit=EXIT_PANIC,
         what="a destination at 1 TiB, past all RAM",
         shows="PANIC check: zero run N dst 0x10000000000-0x... is outside usable RAM",
         expect=[r"^PANIC check: zero run \d+ dst 0x10000000000-0x[0-9a-f]+ is outside usable RAM"]),
    case("fault-reserved", "scattered", fault="reserved", exit=EXIT_PANIC,
         what="a destination on a reserved range (firmware)",
         shows="PANIC check: zero run N dst 0x...-0x... covers reserved or never-touch range 0x...-0x...",
         expect=[r"^PANIC check: zero run \d+ dst 0x([0-9a-f]+)-0x[0-9a-f]+ covers reserved or never-touch range 0x\1-0x[0-9a-f]+$"]),
    case("fault-never-touch", "scattered", fault="nevertouch", nevertouch=0x10000000, exit=EXIT_PANIC,
         what="a destination on a never-touch range (64 KiB at 256 MiB)",
         shows="PANIC check: zero run N dst 0x10000000-0x... covers reserved or never-touch range 0x10000000-0x10010000",
         expect=[r"^outgoing: mem 0x0000000010000000-0x0000000010010000 never-touch$",
                 r"^PANIC check: zero run \d+ dst 0x10000000-0x[0-9a-f]+ covers reserved or never-touch range 0x10000000-0x10010000$"]),
    case("fault-runs-huge", "scattered", fault="runs-huge", exit=EXIT_PANIC,
         what="a header counting 2^41 more copy runs than the lists make",
         shows="PANIC check: handoff at 0x...: no memory holds a work area for N copy runs in N pieces and N list pages",
         expect=[r"^PANIC check: handoff at 0x[0-9a-f]+: no memory holds a work area for \d+ copy runs in \d+ pieces and \d+ list pages$"]),
    case("fault-work-huge", "scattered", fault="work-huge", exit=EXIT_PANIC,
         what="a plan of 2^30 pieces: more work area than the stage proposed",
         shows="PANIC check: handoff at 0x...: work area 0x...+0x...: unaligned, or smaller than the 0x... bytes it needs",
         expect=[r"^PANIC check: handoff at 0x[0-9a-f]+: work area 0x[0-9a-f]+\+0x[0-9a-f]+: unaligned, or smaller than the 0x[0-9a-f]+ bytes it needs$"]),
    # The list pages' chain: each broken link named before anything is written.
    case("fault-list-loop", "scattered", fault="list-loop", exit=EXIT_PANIC,
         what="the last list page points back at the first, CRCs resealed",
         shows="PANIC check: list chain goes on past its N pages (a loop?): page N at 0x...",
         expect=[r"^PANIC check: list chain goes on past its (\d+) pages \(a loop\?\): page \1 at 0x[0-9a-f]+$"]),
    case("fault-list-outside", "scattered", fault="list-outside", exit=EXIT_PANIC,
         what="the first list page at 1 TiB, past all RAM",
         shows="PANIC check: list page 0 at 0x10000000000 is unaligned or outside usable RAM",
         expect=[r"^PANIC check: list page 0 at 0x10000000000 is unaligned or outside usable RAM$"]),
    case("fault-list-in-dst", "scattered", fault="list-in-dst", exit=EXIT_PANIC,
         what="list page 0 moved onto the first destination page",
         shows="PANIC check: list page 0 at 0x2000000 lies in copy run 0's destination 0x2000000-0x...",
         expect=[r"^PANIC check: list page 0 at 0x2000000 lies in copy run 0's destination 0x2000000-0x[0-9a-f]+$"]),
    case("fault-list-truncated", "scattered", fault="list-truncated", exit=EXIT_PANIC,
         what="a header counting one list page more than the chain has",
         shows="PANIC check: list chain ends after N pages, the header says N+1",
         expect=[r"^PANIC check: list chain ends after \d+ pages, the header says \d+$"]),
    # Pages changed after staging: the hashes.
    case("fault-corrupt", "scattered", fault="corrupt", exit=EXIT_PANIC,
         what="a source page changed after staging",
         shows="PANIC verify: list page 0 at 0x...: its copies from dst 0x... on hash to 0x..., expected 0x...",
         expect=[r"^PANIC verify: list page 0 at 0x[0-9a-f]+: its copies from dst 0x[0-9a-f]+ on hash to 0x[0-9a-f]{16}, expected 0x[0-9a-f]{16}$"]),
    # Hostile CPUs: APs left writing the payload's pages. A test loader told not to
    # park (test=no-park) must fail the case its production twin passes.
    case("aps-unparked", "scattered", seed=8, smp=4, aps="hostile", blob="loader-test.bin",
         test="no-park", exit=(EXIT_PANIC, EXIT_PROBE_FAIL),
         what="3 APs writing the payload's pages, parking switched off (test loader)",
         shows="PANIC verify: ... hash to 0x..., expected 0x... (or the probe's FAIL)",
         expect=[r"^outgoing: aps: 3 of 4 started", r"park: APs NOT parked: test switch",
                 r"^(PANIC verify: .* hash to 0x[0-9a-f]{16}, expected|PROBE FAIL )"]),
    case("linux64-aps-unparked", "scattered", seed=12, smp=4, aps="hostile", payload="vmlinuz",
         blob="loader-test.bin", test="no-park", exit=EXIT_PANIC,
         what="the same with Debian's kernel: APs writing its initrd",
         shows="PANIC verify: list page N at 0x...: its copies from dst 0x... on hash to 0x..., expected 0x...",
         expect=[r"park: APs NOT parked: test switch",
                 r"^PANIC verify: list page \d+ at 0x[0-9a-f]+: its copies from dst 0x[0-9a-f]+ on hash to 0x[0-9a-f]{16}, expected"]),
    # Exceptions: in the loader (test switch), and in 32-bit code before an IDT.
    case("fault-changed", "scattered", seed=3, blob="loader-test.bin", test="change",
         exit=EXIT_PANIC,
         what="a list page changed after the lists were checked, before parking, as a CPU still running could (test switch BATON_TEST_CHANGE)",
         shows="PANIC check: bad CRC 0x... over N list pages (header says 0x...)",
         expect=[r"^baton: test switch BATON_TEST_CHANGE: one byte of list page 0's hash changed after the lists were checked$",
                 r"^PANIC check: bad CRC 0x[0-9a-f]{8} over \d+ list pages \(header says 0x[0-9a-f]{8}\)$"]),
    case("loader-exception", "scattered", seed=2, blob="loader-test.bin", test="fault",
         exit=EXIT_PANIC,
         what="a page fault inside the loader (test switch BATON_TEST_FAULT)",
         shows="PANIC cpu: exception 14 #PF page fault err=0x0 rip=0x... rsp=0x... cr2=0x100000000, then every register",
         expect=[r"^baton: test switch BATON_TEST_FAULT: reading 0x100000000",
                 r"^PANIC cpu: exception 14 #PF page fault err=0x0 rip=0x[0-9a-f]+ rsp=0x[0-9a-f]+ cr2=0x100000000$",
                 r"^  rax=[0-9a-f]{16} rbx=[0-9a-f]{16} rcx=[0-9a-f]{16} rdx=[0-9a-f]{16}$",
                 r"^  r13=[0-9a-f]{16} r14=[0-9a-f]{16} r15=[0-9a-f]{16} rflags=[0-9a-f]+ cs=10$"]),
    case("elf32-fault", "scattered", seed=6, payload="probe32.elf", fault="entry-ud2",
         exit=EXIT_PANIC,
         what="a 32-bit image faulting (ud2) before it has loaded an IDT",
         shows="PANIC entry32: CPU exception before the image loaded its own IDT; stack [esp..esp+12]: ...",
         expect=[r"^PANIC entry32: CPU exception before the image loaded its own IDT; "
                 r"stack \[esp..esp\+12\]: 03000002 00000010 00000002 [0-9a-f]{8}$"]),
] + [
    # After the PANIC line, with no exit port, as on a real machine: QEMU runs with
    # -no-reboot, so the loader's reset must end it by itself (exit 0), and the
    # method named last must be the one that did (loader/reset.c). q35's FADT has
    # a reset register (port 0xcf9, 0xf); pc's (revision 1) has none.
    case("reset-acpi", "scattered", fault="corrupt", machine="q35", more="exit=0 delay=100",
         exit=EXIT_RESET, by="loader: hashes, then a reset through the FADT's register",
         what="a source page changed, no exit port, on q35 (its FADT has a reset register)",
         shows="reset: ACPI reset register, I/O 0xcf9 <- 0xf",
         expect=[r"^outgoing: acpi: FADT revision 3 at 0x[0-9a-f]+: reset register I/O 0xcf9 <- 0xf$",
                 r"^PANIC verify: list page 0 at 0x[0-9a-f]+: its copies from dst 0x[0-9a-f]+ on hash to 0x[0-9a-f]{16}, expected",
                 r"^baton: \[.*\] reset: in 100 ms$"],
         last=r"reset: ACPI reset register, I/O 0xcf9 <- 0xf"),
    case("reset-cf9", "scattered", fault="corrupt", more="exit=0 delay=100", exit=EXIT_RESET,
         by="loader: hashes, then a reset through port 0xcf9",
         what="a source page changed, no exit port, on pc (its FADT has no reset register)",
         shows="reset: port 0xcf9 <- 0x2, 0xe",
         expect=[r"^outgoing: acpi: FADT revision 1 at 0x[0-9a-f]+, 116 bytes, flags 0x[0-9a-f]+: no reset register$"],
         last=r"reset: port 0xcf9 <- 0x2, 0xe"),
    case("reset-kbc", "scattered", fault="corrupt", machine="q35", more="exit=0 delay=100",
         blob="loader-test.bin", test="reset-skip-2", exit=EXIT_RESET,
         by="loader: hashes, then a reset through the keyboard controller",
         what="the same on q35, the first two methods passed over (test switch BATON_TEST_RESET_SKIP)",
         shows="reset: keyboard controller, port 0x64 <- 0xfe",
         expect=[r"^baton: \[.*\] reset: method 1 skipped \(test switch\)$",
                 r"^baton: \[.*\] reset: method 2 skipped \(test switch\)$"],
         last=r"reset: keyboard controller, port 0x64 <- 0xfe"),
    case("reset-triple", "scattered", fault="corrupt", machine="q35", more="exit=0 delay=100",
         blob="loader-test.bin", test="reset-skip-3", exit=EXIT_RESET,
         by="loader: hashes, then a triple fault",
         what="the same, all three methods passed over (test switch BATON_TEST_RESET_SKIP)",
         shows="reset: triple fault",
         expect=[r"^baton: \[.*\] reset: method 3 skipped \(test switch\)$"],
         last=r"reset: triple fault"),
    case("reset-acpi-dead", "scattered", fault="corrupt", more="exit=0 delay=100 acpi=dead",
         exit=EXIT_RESET, by="loader: hashes, then 100 ms for the register, then port 0xcf9",
         what="a source page changed, no exit port, and an ACPI reset register that resets nothing (port 0x80)",
         shows="reset: still running after 100 ms, then reset: port 0xcf9 <- 0x2, 0xe",
         expect=[r"^baton: \[.*\] reset: ACPI reset register, I/O 0x80 <- 0x0\n"
                 r"baton: \[.*\] reset: still running after 100 ms$"],
         last=r"reset: port 0xcf9 <- 0x2, 0xe"),
    case("reset-acpi-unmapped", "scattered", fault="corrupt", more="exit=0 delay=100 acpi=unmapped",
         exit=EXIT_RESET, panics=2, by="loader: hashes, a page fault in the reset, then port 0xcf9",
         what="the same with a memory-mapped ACPI reset register at 64 TiB, outside the loader's map",
         shows="PANIC cpu: exception 14 #PF ... cr2=0x400000000000, its dump, then reset: port 0xcf9 <- 0x2, 0xe",
         expect=[r"^baton: \[.*\] reset: ACPI reset register, memory 0x400000000000 <- 0x0\n"
                 r"PANIC cpu: exception 14 #PF page fault err=0x2 rip=0x[0-9a-f]+ rsp=0x[0-9a-f]+ cr2=0x400000000000$"],
         last=r"reset: port 0xcf9 <- 0x2, 0xe"),
    case("reset-untrusted", "scattered", fault="magic", machine="q35", more="exit=0 delay=100",
         exit=EXIT_RESET, by="loader: header check, then a reset with the defaults",
         what="handoff magic changed, no exit port, on q35: its reset (register, 100 ms) is not trusted",
         shows="reset: in 5000 ms, then reset: port 0xcf9 <- 0x2, 0xe",
         expect=[r"^outgoing: acpi: FADT revision 3 at 0x[0-9a-f]+: reset register I/O 0xcf9 <- 0xf$",
                 r"^PANIC check: handoff at 0x[0-9a-f]+: bad magic",
                 r"^baton: \[ *\d+ tsc\] reset: in 5000 ms$"],
         last=r"reset: port 0xcf9 <- 0x2, 0xe"),
    case("reset-default-delay", "scattered", fault="corrupt", more="exit=0", exit=EXIT_RESET,
         by="loader: hashes, then a reset after the default delay",
         what="a source page changed, no exit port, no delay asked for: the stage's default",
         shows="reset: in 5000 ms, then 5000 ms later reset: port 0xcf9 <- 0x2, 0xe",
         expect=[r"^baton: \[.*\] reset: in 5000 ms$"],
         last=r"reset: port 0xcf9 <- 0x2, 0xe", delay_ms=5000, min_secs=5),
    case("reset-halt", "scattered", fault="corrupt", more="exit=0 delay=100 panic=halt",
         exit=HALTED, by="loader: hashes, then a halt",
         what="a source page changed, no exit port, the handoff's panic action halt",
         shows="halt: as the handoff asks (and the machine stays up)",
         expect=[r"^baton: \[.*\] halt: as the handoff asks$"]),
    # After the launch, in the 32-bit trampoline's IDT: the image faulted before it
    # loaded its own, and with no exit port the machine comes back the same way.
    case("elf32-fault-reset", "scattered", seed=6, payload="probe32.elf", fault="entry-ud2",
         more="exit=0 delay=100", exit=EXIT_RESET,
         by="32-bit trampoline's IDT, then a reset through port 0xcf9",
         what="a 32-bit image faulting before it has loaded an IDT, no exit port",
         shows="PANIC entry32: ..., then baton: [entry32] reset: port 0xcf9 <- 0x2, 0xe",
         expect=[r"^PANIC entry32: CPU exception before the image loaded its own IDT; "
                 r"stack \[esp..esp\+12\]: 03000002 00000010 00000002 [0-9a-f]{8}$"],
         last=r"reset: port 0xcf9 <- 0x2, 0xe"),
    case("elf32-fault-reset-acpi", "scattered", seed=6, payload="probe32.elf", fault="entry-ud2",
         machine="q35", more="exit=0 delay=100", exit=EXIT_RESET,
         by="32-bit trampoline's IDT, then a reset through the FADT's register",
         what="the same on q35, whose FADT has a reset register",
         shows="PANIC entry32: ..., then baton: [entry32] reset: ACPI reset register",
         expect=[r"^PANIC entry32: CPU exception before the image loaded its own IDT; "],
         last=r"reset: ACPI reset register"),
]
CASES += FAULT_MATRIX
# Debian's kernel with baton.ko, loading through the hook (and kexec's baseline):
# tests/qemu/hook/cases.py judges them; those in hook.WAITING run only when named.
CASES += hook.CASES
# Debian's kernel (or the probe) from an ESP through a UEFI boot loader under
# OVMF: tests/qemu/efi/cases.py judges them; those in efi.WAITING run only when named.
CASES += efi.CASES
# Run only when named: the hook bench's kernel -> kernel runs, the EFI bench's runs.
ON_REQUEST = hook.ON_REQUEST + efi.ON_REQUEST


def refused_by(c):
    """Which part of baton gives the matrix case's line."""
    if c["by"]:
        return c["by"]
    shows = c["shows"]
    for prefix, who in [("outgoing: stage:", "stage, before any page is allocated"),
                        ("PANIC check:", "loader: header and validator, before any write"),
                        ("PANIC verify:", "loader: hashes after placing, before the jump"),
                        ("PANIC cpu:", "loader: exception handler (register dump)"),
                        ("PANIC entry32:", "32-bit trampoline's IDT")]:
        if shows.startswith(prefix):
            return who
    raise SystemExit("run.py: no owner for %r" % shows)


def matrix_markdown():
    """The table docs/faults.md carries, between its two marker lines."""
    rows = ["| case | bad input or fault | caught by | the one line the user gets |",
            "|---|---|---|---|"]
    for c in FAULT_MATRIX:
        rows.append("| `%s` | %s | %s | `%s` |" % (c["name"], c["what"], refused_by(c), c["shows"]))
    return "\n".join(rows) + "\n"


MATRIX_DOC = os.path.join(ROOT, "docs", "faults.md")
MATRIX_BEGIN, MATRIX_END = "<!-- matrix: run.py --matrix -->\n", "<!-- end of matrix -->\n"


def matrix_doc_check():
    """docs/faults.md must list exactly this table (make check keeps the docs true)."""
    text = open(MATRIX_DOC).read() if os.path.exists(MATRIX_DOC) else ""
    a, b = text.find(MATRIX_BEGIN), text.find(MATRIX_END)
    ok = a >= 0 and b > a and text[a + len(MATRIX_BEGIN):b] == matrix_markdown()
    return ok, "matrix-doc: docs/faults.md lists the %d fault cases as run.py has them: %s" % (
        len(FAULT_MATRIX), "pass" if ok else "FAIL (regenerate: tests/qemu/run.py --matrix)")


# Damaged copies of real payloads (build/tests/qemu/payloads/), for the matrix.
def get(d, fmt, off):
    return struct.unpack_from(fmt, d, off)[0]


def put(d, fmt, off, value):
    d = bytearray(d)
    struct.pack_into(fmt, d, off, value)
    return bytes(d)


def elf_loads(d):
    """Offsets of probe.elf's PT_LOAD program headers (ELF64)."""
    phoff, size, n = get(d, "<Q", 0x20), get(d, "<H", 0x36), get(d, "<H", 0x38)
    return [phoff + i * size for i in range(n) if get(d, "<I", phoff + i * size) == 1]


def elf_add(d, off, delta):
    """The u64 at off, plus delta."""
    return put(d, "<Q", off, get(d, "<Q", off) + delta)


def elf_overlap(d):
    a, b = elf_loads(d)[:2]
    return put(d, "<Q", b + 24, get(d, "<Q", a + 24) + 0x1000)


def elf_outside(d):
    for ph in elf_loads(d):
        d = elf_add(elf_add(d, ph + 16, 256 << 30), ph + 24, 256 << 30)   # p_vaddr, p_paddr
    return elf_add(d, 0x18, 256 << 30)                                     # e_entry


def multiboot_headers(d, mb2_off=0x400, mb1_off=0x800):
    """An ELF with a Multiboot2 header (i386, end tag) and a Multiboot1 header
    written into the zeros between its program headers and its first segment."""
    if any(d[mb2_off:mb2_off + 24]) or any(d[mb1_off:mb1_off + 12]):
        raise SystemExit("run.py: no free bytes at 0x%x/0x%x for the Multiboot headers" % (mb2_off, mb1_off))
    d = bytearray(d)
    struct.pack_into("<IIIIHHI", d, mb2_off, 0xE85250D6, 0, 24, -(0xE85250D6 + 24) & 0xffffffff, 0, 0, 8)
    struct.pack_into("<III", d, mb1_off, 0x1BADB002, 3, -(0x1BADB002 + 3) & 0xffffffff)
    return bytes(d)


def syssize_end(d):
    """Where syssize says a bzImage's protected-mode kernel ends in the file."""
    return ((d[0x1f1] or 4) + 1) * 512 + get(d, "<I", 0x1f4) * 16


DERIVED = {
    "probe-truncated.elf": ("probe.elf", lambda d: d[:len(d) // 2]),
    "probe-arm.elf": ("probe.elf", lambda d: put(d, "<H", 0x12, 40)),
    "probe-overlap.elf": ("probe.elf", elf_overlap),
    "probe-outside.elf": ("probe.elf", elf_outside),
    "probe-huge.elf": ("probe.elf", lambda d: put(d, "<Q", elf_loads(d)[-1] + 40, 1 << 30)),
    "probe32-multiboot.elf": ("probe32.elf", multiboot_headers),
    "vmlinuz-truncated": ("vmlinuz", lambda d: d[:2 << 20]),
    "vmlinuz-2.08": ("vmlinuz", lambda d: put(d, "<H", 0x206, 0x0208)),
    "vmlinuz-syssize-short": ("vmlinuz", lambda d: d[:syssize_end(d) - 8]),
    "vmlinuz-hdrz": ("vmlinuz", lambda d: put(d, "4s", 0x202, b"HdrZ")),
    "vmlinuz-aa56": ("vmlinuz", lambda d: put(d, "<H", 0x1fe, 0xaa56)),
}


@functools.lru_cache(maxsize=None)
def payload_path(name):
    """A payload file: Debian's kernel, a build product, or a damaged copy (made
    afresh once per run, so it always matches its base and DERIVED)."""
    if name == "vmlinuz":
        return vmlinuz()
    if name not in DERIVED:
        return os.path.join(BUILD, name)
    base, damage = DERIVED[name]
    out = os.path.join(OUT, "payloads", name)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(payload_path(base), "rb") as f:
        data = damage(f.read())
    with open(out + ".tmp", "wb") as f:
        f.write(data)
    os.replace(out + ".tmp", out)
    return out


KERNEL_RULE = "linux-image-amd64's default flavour"


class NoKernel(Exception):
    """mk/vmlinuz.sh found no kernel; the message is its one-line reason."""


@functools.lru_cache(maxsize=None)
def kernel_lookup():
    """(path, "") or ("", why): mk/vmlinuz.sh asked once per run."""
    out = subprocess.run(["sh", os.path.join(ROOT, "mk", "vmlinuz.sh")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = out.stdout.strip() if out.returncode == 0 else ""
    return path, "" if path else (out.stderr.strip() or "no kernel: mk/vmlinuz.sh printed nothing")


def vmlinuz():
    """The kernel every Linux case boots: the image package linux-image-amd64
    depends on (mk/vmlinuz.sh). Raises NoKernel: the cases that need it fail."""
    path, why = kernel_lookup()
    if not path:
        raise NoKernel(why)
    return path


def kernel_line():
    """The log's line naming the kernel, or why there is none."""
    path, why = kernel_lookup()
    return "kernel: %s (%s)" % (path, KERNEL_RULE) if path else why


def bootargs(c):
    args = (LINUX_BOOTARGS if c["linux"] else BOOTARGS).format(name=c["name"])
    return args + " " + c["args"] if c["args"] else args


def qemu_command(c, log):
    if c.get("hook"):
        return hook.qemu_command(c, log, vmlinuz())
    if c.get("efi"):
        return efi.qemu_command(c, log, vmlinuz())
    args = bootargs(c)
    append = "strategy={strategy} seed={seed} fault={fault} handoff={handoff} entry={entry} aps={aps}".format(**c)
    if c["more"]:
        append += " " + c["more"]
    if c["test"]:
        append += " test=" + c["test"]
    if c["nevertouch"]:
        append += " nevertouch=0x%x" % c["nevertouch"]
    append += " -- " + args
    modules = [os.path.join(BUILD, c["blob"]), payload_path(c["payload"])]
    if c["linux"]:
        modules.append(c["initrd"])
    return [
        "qemu-system-x86_64", "-accel", "tcg", "-machine", c["machine"], "-cpu", c["cpu"],
        "-m", c["mem"], "-smp", str(c["smp"]),
        "-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
        "-serial", "file:" + log,
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-fw_cfg", "name=opt/baton/bootargs,string=" + args.replace(",", ",,"),
        "-kernel", os.path.join(BUILD, "outgoing.bin"),
        "-initrd", ",".join(modules),
        "-append", append,
    ]


def exits_of(c):
    """The exit codes a case may end in (most have one)."""
    return c["exit"] if isinstance(c["exit"], tuple) else (c["exit"],)


def judge(c, code, text):
    """Every way the case's outcome differs from its design, as short strings."""
    if c.get("hook"):
        return hook.judge(c, code, text)
    if c.get("efi"):
        return efi.judge(c, code, text)
    why = []
    exits = exits_of(c)
    if code not in exits:
        why.append("exit %s, want %s" % (code, " or ".join(str(e) for e in exits)))
    for pat in c["expect"]:
        if not re.search(pat, text, re.M):
            why.append("no line /%s/" % pat)
    if c["linux"] and c["exit"] == EXIT_LINUX:
        why += judge_linux(c, text)
    elif c["exit"] == EXIT_PROBE_PASS:
        if not re.search(r"^PROBE PASS ", text, re.M):
            why.append("no PROBE PASS")
        for step in STEPS:
            if not re.search(r"^baton: \[.*\] %s: " % step, text, re.M):
                why.append("no loader step '%s'" % step)
    elif c["exit"] == EXIT_PROBE_FAIL:
        # The handoff went through and the probe ran: its checks must fail (expect
        # names the lines), the loader must not have.
        if not re.search(r"^PROBE FAIL ", text, re.M):
            why.append("no PROBE FAIL")
        if re.search(r"^PANIC ", text, re.M):
            why.append("a PANIC line: the loader must hand over")
        for step in STEPS:
            if not re.search(r"^baton: \[.*\] %s: " % step, text, re.M):
                why.append("no loader step '%s'" % step)
    elif c["exit"] in (EXIT_RESET, HALTED):
        why += judge_after_panic(c, text)
    elif EXIT_PANIC in exits and len(exits) > 1:
        pass            # either outcome proves the point; expect names both
    elif c["exit"] == EXIT_PANIC:
        if re.search(r"^PROBE", text, re.M):
            why.append("the probe ran although the case must stop in the loader")
        panics = re.findall(r"^PANIC ", text, re.M)
        if len(panics) != 1:
            why.append("%d PANIC lines, want 1" % len(panics))
    else:
        # Refused on the stage side: nothing allocated, no jump, no loader.
        if not re.search(r"^outgoing: sources: 0 pages", text, re.M):
            why.append("pages were allocated before the refusal")
        if re.search(r"^(baton:|PANIC|PROBE)", text, re.M):
            why.append("the loader or probe ran although the stage must refuse")
        return why
    m = re.search(r"^outgoing: staged (.*)$", text, re.M)
    if not m:
        why.append("no 'outgoing: staged' summary")
    else:
        fields = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
        for key, pat in c["summary"].items():
            if not re.fullmatch(pat, fields.get(key, "")):
                why.append("summary %s=%s, want /%s/" % (key, fields.get(key), pat))
    return why


STAMP = r"^baton: \[ *(\d+)\.(\d{3}) ms\] "


def judge_after_panic(c, text):
    """With no exit port: the PANIC lines, then the reset the loader says it did
    (its last reset line, nothing after it) or the halt."""
    why = []
    if re.search(r"^PROBE", text, re.M):
        why.append("the probe ran although the case must stop in the loader")
    panics = len(re.findall(r"^PANIC ", text, re.M))
    if panics != c["panics"]:
        why.append("%d PANIC lines, want %d" % (panics, c["panics"]))
    resets = re.findall(r"^baton: \[.*\] (reset: .*)$", text, re.M)
    if c["exit"] == HALTED:
        if resets:
            why.append("halted, but the loader logged '%s'" % resets[0])
        return why
    if not resets or not re.fullmatch(c["last"], resets[-1]):
        why.append("last reset line '%s', want /%s/" % (resets[-1] if resets else "", c["last"]))
    if c["delay_ms"]:
        m = re.search(STAMP + r"reset: in \d+ ms\n" + STAMP[1:] + r"reset: ", text, re.M)
        if not m:
            why.append("no 'reset: in' line followed by a reset line, both stamped in ms")
        else:
            t0, t1 = int(m.group(1) + m.group(2)), int(m.group(3) + m.group(4))
            if (t1 - t0) / 1000 < c["delay_ms"]:
                why.append("reset %.3f ms after 'reset: in', want at least %d" % ((t1 - t0) / 1000, c["delay_ms"]))
    return why


def e820_usable(lines):
    """(base, end) of each usable range in "[mem 0x..-0x..] usable" lines."""
    return [(int(a, 16), int(b, 16) + 1) for a, b in lines]


def judge_linux(c, text):
    """Debian's kernel reached our init, and init saw what baton handed over."""
    why = []
    for step in STEPS:
        if not re.search(r"^baton: \[.*\] %s: " % step, text, re.M):
            why.append("no loader step '%s'" % step)
    m = re.search(r"baton-init: cpus=(\d+)/(\d+) memtotal_kb=(\d+) (data_bytes=\d+ data_crc32=[0-9a-f]{8}) cmdline=(.*)$",
                  text, re.M)
    if not m:
        fail = re.search(r"baton-init: FAIL.*$", text, re.M)
        return why + [fail.group(0) if fail else "init never reached (no baton-init line)"]
    online, present, memtotal, data, cmdline = m.groups()
    if (int(online), int(present)) != (c["smp"], c["smp"]):
        why.append("cpus %s/%s online, want %d/%d" % (online, present, c["smp"], c["smp"]))
    if cmdline.strip() != bootargs(c):
        why.append("cmdline '%s', want '%s'" % (cmdline.strip(), bootargs(c)))
    want = open(c["initrd"] + ".expect").read().strip()
    if data != want:
        why.append("initrd file: %s, want %s" % (data, want))
    # The kernel's e820 must be the memory map the stage passed, range for range.
    stage = re.findall(r"^outgoing: mem 0x([0-9a-f]+)-0x([0-9a-f]+) usable", text, re.M)
    kernel = re.findall(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] usable", text, re.M)
    if not kernel:
        why.append("no BIOS-e820 lines from the kernel")
    elif stage and merged(e820_usable(kernel)) != merged([(int(a, 16), int(b, 16)) for a, b in stage]):
        why.append("kernel e820 usable %s differs from the stage's %s" % (kernel, stage))
    usable_kb = sum(b - a for a, b in e820_usable(kernel)) >> 10
    if not (usable_kb * 0.8 <= int(memtotal) <= usable_kb):
        why.append("MemTotal %s kB is not within 80-100%% of the e820's usable %d kB" % (memtotal, usable_kb))
    return why


def merged(ranges):
    out = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def run_case(c, timeout):
    os.makedirs(OUT, exist_ok=True)
    log = os.path.join(OUT, c["name"] + ".log")
    if os.path.exists(log):
        os.unlink(log)
    start = time.monotonic()
    try:
        cmd = qemu_command(c, log)
    except (NoKernel, hook.Missing, efi.Missing) as e:   # a case without its kernel fails, never skips
        return dict(case=c, ok=False, why=[str(e)], secs=0.0, log=log, base="-")
    if c["exit"] == HALTED:
        code, qemu_out = watch_halt(cmd, log, timeout, c.get("halt_on") or r"\] halt: .*\n")
    else:
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=timeout)
            code, qemu_out = proc.returncode, proc.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            code, qemu_out = "timeout", ""
    secs = time.monotonic() - start
    text = open(log, errors="replace").read().replace("\r", "") if os.path.exists(log) else ""
    why = judge(c, code, text)
    if c["min_secs"] and secs < c["min_secs"]:
        why.append("QEMU ran %.1f s, want at least %d" % (secs, c["min_secs"]))
    if why and qemu_out.strip():
        why.append("qemu: " + qemu_out.strip().splitlines()[-1])
    base = re.search(r"^baton: loader at (0x[0-9a-f]+)", text, re.M)
    return dict(case=c, ok=not why, why=why, secs=secs, log=log,
                base=base.group(1) if base else "-")


def watch_halt(cmd, log, timeout, pattern):
    """A machine that must halt (or wait) and stay up: once the log matches
    pattern (the loader's halt line), QEMU must still run HALT_WATCH seconds
    later; then it is killed."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        if re.search(pattern, text):
            time.sleep(HALT_WATCH)
            break
        time.sleep(0.1)
    code = proc.poll()
    if code is None:
        proc.kill()
        code = HALTED if time.monotonic() < deadline else "timeout"
    out = proc.communicate()[0]
    return code, out.decode(errors="replace")


def positions(results):
    """The blob is position independent: the same file ran from every address the
    cases put it at. Demand at least four different ones, one above 4 GiB, and one
    that the loader chose itself when it moved out of the destinations' way."""
    bases = {int(r["base"], 16) for r in results if r["ok"] and r["base"] != "-"}
    moved = any(re.search(r"move: moved from", open(r["log"]).read())
                for r in results if r["ok"] and os.path.exists(r["log"]))
    ok = len(bases) >= 4 and any(b >= 1 << 32 for b in bases) and moved
    line = "positions: loader ran from %d addresses (%s), above 4 GiB: %s, moved itself: %s: %s" % (
        len(bases), " ".join("0x%x" % b for b in sorted(bases)),
        "yes" if any(b >= 1 << 32 for b in bases) else "no", "yes" if moved else "no",
        "pass" if ok else "FAIL")
    return ok, line


def gdb(name):
    """Start one case frozen, with QEMU's gdb stub on :1234 (make qemu-gdb)."""
    c = next(x for x in CASES if x["name"] == name)
    log = os.path.join(OUT, c["name"] + ".log")
    os.makedirs(OUT, exist_ok=True)
    try:
        cmd = qemu_command(c, log) + ["-s", "-S"]
    except (NoKernel, hook.Missing, efi.Missing) as e:
        print("qemu-gdb: " + str(e))
        return 1
    print("qemu-gdb: %s frozen at reset; serial -> %s" % (name, os.path.relpath(log, ROOT)))
    print("qemu-gdb: gdb build/outgoing.elf -ex 'target remote :1234'   "
          "(loader symbols: add-symbol-file build/loader.elf -o <loader base>)")
    return subprocess.call(cmd)


DEMO_KERNEL_LINES = 3       # each kernel's first lines shown; the rest is counted
DEMO = [
    ("linux64-worst-smp4", [
        "the outgoing test kernel stages Debian's own kernel (%(kernel)s) and a small",
        "initramfs in the worst-case layout (every source page on another page's",
        "destination: chains and cycles) and jumps to baton's loader, which parks the",
        "other 3 CPUs, orders and copies the pages, verifies them and starts Linux at its",
        "64-bit entry. Where the new kernel's pages cover the loader itself, the loader",
        "first moves out of their way and runs its checks again there (the second",
        "header..check lines, then \"move\"). QEMU TCG, -smp 4; serial log follows."]),
    ("hook-linux", [
        "now a running Debian kernel hands itself to the next through baton.ko: it loads",
        "the module, writes a block to its virtio disk, keeps a reader busy on it, runs",
        "`baton load /vmlinuz --initrd ...` (the module arms: `baton: armed`) and `baton",
        "exec`. Linux shuts its devices down, the hook quiets the interrupt controllers",
        "and jumps; the loader places the kernel; the second kernel finds both CPUs, the",
        "block's CRC, and a DHCP lease on the NIC that was busy at the reboot. -smp 2."]),
]


class DemoFilter:
    """Shows the outgoing side's summary, every loader and hook line, each
    kernel's first lines and init's line; counts the rest (all in the log)."""

    KEEP = re.compile(r"^(outgoing: (payload|module|staged|jumping|aps)|baton|PANIC|PROBE|.*baton-init"
                      r"|hook-test: (start|info run|time|trigger|done|FAIL)|udhcpc: lease"
                      r"|\[ *[0-9.]+\] (smp: Brought up|Run /init|reboot: |baton: ))")

    def __init__(self, log):
        self.log, self.kernel, self.hidden = log, 0, 0

    def line(self, line):
        if re.match(r"baton: \[ *[0-9.]+ ms\] launch:", line):
            self.kernel = 0                 # a new kernel starts: show its first lines too
        if self.KEEP.match(line):
            self.flush()
            return line
        if line.startswith("["):            # a kernel log line
            self.kernel += 1
            if self.kernel <= DEMO_KERNEL_LINES:
                return line
        self.hidden += 1
        return None

    def flush(self):
        if self.hidden:
            print("   ... %d more line%s (all in %s)" % (self.hidden, "" if self.hidden == 1 else "s",
                                                     os.path.relpath(self.log, ROOT)))
            self.hidden = 0


def demo_one(name, intro, timeout, kernel):
    c = dict(next(x for x in CASES if x["name"] == name))
    log = os.path.join(OUT, "demo-%s.log" % name)
    open(log, "w").close()
    for line in intro:
        print("demo: " + line % {"kernel": kernel})
    print()
    proc = subprocess.Popen(qemu_command(c, log), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    shown, deadline, filt = 0, time.monotonic() + timeout, DemoFilter(log)
    start = time.monotonic()
    while True:
        done = proc.poll() is not None
        text = open(log, errors="replace").read().replace("\r", "")
        end = len(text) if done else text.rfind("\n") + 1
        for line in text[shown:end].splitlines():
            out = filt.line(line)
            if out is not None:
                print(out)
        sys.stdout.flush()
        shown = max(shown, end)
        if done:
            filt.flush()
            break
        if time.monotonic() > deadline:
            proc.kill()
            print("\ndemo: timed out after %d s" % timeout)
            return 1
        time.sleep(0.1)
    why = judge(c, proc.returncode, text)
    print("\ndemo: %s: %s in %.1f s\n" % (name, "PASS" if not why else "FAIL: " + "; ".join(why),
                                        time.monotonic() - start))
    return 0 if not why else 1


def demo(timeout):
    os.makedirs(OUT, exist_ok=True)
    try:
        kernel = vmlinuz()
    except NoKernel as e:
        print("demo: " + str(e))
        return 1
    failed = 0
    for name, intro in DEMO:
        try:
            failed += demo_one(name, intro, timeout, kernel)
        except hook.Missing as e:
            print("demo: " + str(e))
            failed += 1
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--demo", action="store_true", help="run the demo cases (worst-case layout, then the hook), logs shown live")
    ap.add_argument("--list", action="store_true", help="print the case table and exit")
    ap.add_argument("--matrix", action="store_true",
                    help="print the fault matrix as docs/faults.md carries it, and exit")
    ap.add_argument("--gdb", metavar="CASE", help="start CASE frozen with a gdb stub on :1234")
    ap.add_argument("--waiting", action="store_true",
                    help="also run the cases that wait for a fix elsewhere (WAITING: hook/cases.py, efi/cases.py)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per case")
    args = ap.parse_args()

    if args.matrix:
        sys.stdout.write(matrix_markdown())
        return 0
    if args.list:
        for c in CASES:
            print("%-16s strategy=%-13s seed=%-3s fault=%-8s handoff=%-4s mem=%-5s payload=%-10s exit=%s" % (
                c["name"], c["strategy"], c["seed"], c["fault"], c["handoff"], c["mem"],
                c["payload"], "|".join(str(e) for e in exits_of(c))))
        return 0
    for f in ("outgoing.bin", "loader.bin", "probe.elf"):
        if not os.path.exists(os.path.join(BUILD, f)):
            sys.exit("run.py: build/%s is missing: run make first" % f)
    if args.demo:
        return demo(args.timeout)
    if args.gdb:
        return gdb(args.gdb)
    if args.cases:
        chosen = [c for c in CASES + ON_REQUEST if c["name"] in args.cases]
    else:
        chosen = [c for c in CASES if args.waiting or c["name"] not in WAITING]
    unknown = set(args.cases) - {c["name"] for c in CASES + ON_REQUEST}
    if unknown:
        sys.exit("run.py: unknown case(s): " + ", ".join(sorted(unknown)))
    if not args.cases:
        for name, (why, where) in WAITING.items():
            if name not in {c["name"] for c in chosen}:
                print("waiting, not run (%s WAITING; --waiting runs it): %s: %s"
                      % (where, name, why), flush=True)
    if any(c["linux"] for c in chosen):
        print(kernel_line(), flush=True)

    # Hostile-AP cases run alone, after the rest: under TCG an AP takes INIT only
    # when its host thread runs, and with other QEMUs competing for the cores
    # that can be later than any settle time real hardware needs (docs/testing.md).
    shared = [c for c in chosen if c["aps"] != "hostile"]
    alone = [c for c in chosen if c["aps"] == "hostile"]
    width = max(len(c["name"]) for c in chosen)
    row = "%%-%ds %%-6s %%7s  %%-12s %%s" % width

    def finished(r):
        """A row as each case ends (in the order they end), so a long run shows progress."""
        print(row % (r["case"]["name"], "pass" if r["ok"] else "FAIL", "%.1f" % r["secs"], r["base"],
                     "" if r["ok"] else "; ".join(r["why"]) + " (" + os.path.relpath(r["log"], ROOT) + ")"),
              flush=True)
        return r

    print("%d cases, %d at a time, then the %d with hostile APs one by one:" % (
        len(chosen), args.jobs, len(alone)), flush=True)
    print(row % ("case", "result", "seconds", "loader at", "why it failed"), flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = dict(zip((c["name"] for c in shared),
                        pool.map(lambda c: finished(run_case(c, args.timeout)), shared)))
    done.update((c["name"], finished(run_case(c, args.timeout))) for c in alone)
    results = [done[c["name"]] for c in chosen]
    passed = sum(r["ok"] for r in results)
    failed = len(results) - passed
    if not args.cases:
        for ok, line in (positions(results), matrix_doc_check()):
            print(line)
            passed, failed = passed + ok, failed + (not ok)
    print("qemu: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
