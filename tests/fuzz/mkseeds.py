#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the fuzzers' seed corpora (tests/fuzz/corpus/NAME/) from real inputs.

  tests/fuzz/mkseeds.py            needs build/ (make) and the kernel mk/vmlinuz.sh names

The seeds are committed; this script says where each came from and makes them
again after a format change. Sources:
  elf      the probes' and tiny test ELFs' headers with their segments cut down to
           fit a small file (addresses, sizes, entry kept), plus crafted edge cases
           (one an ELF32 with Multiboot2 and Multiboot1 headers, for fmt/multiboot)
  bzimage  Debian's vmlinuz (linux-image-amd64's default flavour, as every test
           uses): its real setup sectors and first kernel page, syssize
           cut to match, behind request blocks (QEMU's e820 map, both entries,
           initrd, DTB, more than 128 e820 entries); plus a crafted 2.10 image
  check    handoffs in the fuzzer's structured form (a QEMU-like map; an ELF with
           zero and claim runs, a swap, a chain of list pages, a full list page, a
           loop, overlaps, damage, changes between steps, the stage's pass) and one
           raw handoff page with its list page, both CRCs resealed
  plan     layouts: swap, 3-cycle, overlapping shift, chain, zero over a source,
           the top of the 52-bit page space, and one with overlapping destinations
"""
import os
import struct
import subprocess
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(kind, name, data):
    d = os.path.join(CORPUS, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------- ELF

def elf_cut(data, keep=512):
    """The ELF and program headers of a real file, PT_LOAD file bytes cut to
    `keep` bytes each and moved behind the headers."""
    is64 = data[4] == 2
    if is64:
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    else:
        phoff, = struct.unpack_from("<I", data, 0x1c)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x2a)
    head = bytearray(data[:phoff + phentsize * phnum])
    body = bytearray()
    for i in range(phnum):
        o = phoff + i * phentsize
        if is64:
            ptype, flags, off, va, pa, filesz, memsz, align = struct.unpack_from("<IIQQQQQQ", head, o)
        else:
            ptype, off, va, pa, filesz, memsz, flags, align = struct.unpack_from("<IIIIIIII", head, o)
        if ptype != 1:
            continue
        n = min(filesz, keep)
        new_off = len(head) + len(body)
        body += data[off:off + n]
        if is64:
            struct.pack_into("<QQQQQQ", head, o + 8, new_off, va, pa, n, memsz, align)
        else:
            struct.pack_into("<IIIII", head, o + 4, new_off, va, pa, n, memsz)
    return bytes(head + body)


def elf64(segs, entry, etype=2, machine=62):
    """A minimal ELF64: segs = [(paddr, filesz, memsz)]."""
    phoff, n = 64, len(segs)
    data_off = phoff + 56 * n
    hdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    hdr += struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, 0, 0, 64, 56, n, 0, 0, 0)
    ph, body = b"", b""
    for pa, fs, ms in segs:
        ph += struct.pack("<IIQQQQQQ", 1, 7, data_off + len(body), pa, pa, fs, ms, 0x1000)
        body += bytes((i * 7) & 0xff for i in range(fs))
    return hdr + ph + body


def elf32(segs, entry):
    phoff, n = 52, len(segs)
    data_off = phoff + 32 * n
    hdr = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    hdr += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, phoff, 0, 0, 52, 32, n, 0, 0, 0)
    ph, body = b"", b""
    for pa, fs, ms in segs:
        ph += struct.pack("<IIIIIIII", 1, data_off + len(body), pa, pa, fs, ms, 7, 0x1000)
        body += bytes(fs)
    return hdr + ph + body


def multiboot(elf, mb2_off, mb1_off):
    """elf with a Multiboot2 header (arch i386, end tag) and a Multiboot1 header
    written in, as a hypervisor's ELF32 carries both."""
    d = bytearray(elf) + bytes(max(0, mb1_off + 12 - len(elf)))
    struct.pack_into("<IIIIHHI", d, mb2_off, 0xE85250D6, 0, 24, (-(0xE85250D6 + 24)) & 0xffffffff,
                     0, 0, 8)
    struct.pack_into("<III", d, mb1_off, 0x1BADB002, 3, (-(0x1BADB002 + 3)) & 0xffffffff)
    return bytes(d)


def elf_seeds():
    for path, name in [("build/probe.elf", "probe64"), ("build/probe32.elf", "probe32"),
                       ("build/outgoing.elf", "outgoing"),
                       ("build/tests/host/fmt/tiny64.elf", "tiny64"),
                       ("build/tests/host/fmt/tiny32.elf", "tiny32")]:
        write("elf", name, elf_cut(open(os.path.join(ROOT, path), "rb").read()))
    write("elf", "two-segments", elf64([(0x100000, 64, 4096), (0x200000, 16, 16)], 0x100000))
    write("elf", "touching", elf64([(0x100000, 64, 4096), (0x101000, 16, 16)], 0x101008))
    write("elf", "overlap", elf64([(0x100000, 64, 8192), (0x101000, 16, 16)], 0x100000))
    write("elf", "entry-outside", elf64([(0x100000, 64, 4096)], 0x300000))
    write("elf", "wraps", elf64([(0xfffffffffffff000, 16, 0x2000)], 0xfffffffffffff000))
    write("elf", "many", elf64([(0x100000 + i * 0x1000, 8, 8) for i in range(64)], 0x100000))
    write("elf", "too-many", elf64([(0x100000 + i * 0x1000, 8, 8) for i in range(65)], 0x100000))
    write("elf", "pie", elf64([(0x100000, 64, 4096)], 0x100000, etype=3))
    write("elf", "elf32-at-4g", elf32([(0xfffff000, 16, 0x1000)], 0xfffff000))
    write("elf", "elf32-past-4g", elf32([(0xfffff000, 16, 0x2000)], 0xfffff000))
    write("elf", "elf32-multiboot", multiboot(elf32([(0x100000, 256, 0x1000)], 0x100000), 0x58, 0x70))


# ------------------------------------------------------------------ bzImage

def bz_request(flags, ranges, cmdline_len=60, initrd_len=0x200000, dtb_len=0):
    """The fuzzer's 16-byte request and 12 ranges of (type, shift, gap, len-1)."""
    req = struct.pack("<BBHIH", flags, len(ranges), cmdline_len, initrd_len, dtb_len) + bytes(6)
    rs = b""
    for i in range(12):
        t, shift, gap, n = ranges[i] if i < len(ranges) else (0, 0, 0, 0)
        rs += struct.pack("<BBHH", t, shift, gap, n)
    return req + rs


# Like QEMU -m 512M (unit 4 KiB << shift): usable 0-0x9f000, reserved to 1 MiB,
# usable to 0x1ffe0000, reserved 0xfeff0000 (64 KiB) and 0xfffc0000 (256 KiB).
QEMU_512M = [(0, 0, 0, 0x9e), (210, 0, 0, 0x60), (0, 4, 0, 0x1fed), (210, 4, 0xdf01, 0),
             (210, 4, 0xfc, 3)]
# 6 GiB with RAM above 4 GiB, in 1 MiB units (shift 8): 0-3 GiB usable, hole, 4-6 GiB.
QEMU_6G = [(0, 8, 1, 3070), (210, 8, 1024, 0), (0, 8, 0, 2047)]


def bz_seeds():
    out = subprocess.run(["sh", os.path.join(ROOT, "mk", "vmlinuz.sh")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if out.returncode:
        raise SystemExit("mkseeds: " + out.stderr.strip())
    d = open(out.stdout.strip(), "rb").read()
    setup = (d[0x1f1] + 1) * 512
    img = bytearray(d[:setup + 4096])
    struct.pack_into("<I", img, 0x1f4, 4096 // 16)          # syssize: the one page kept
    img = bytes(img)
    write("bzimage", "debian-64-initrd", bz_request(0x02, QEMU_512M) + img)
    write("bzimage", "debian-32", bz_request(0x01, QEMU_512M, initrd_len=0) + img)
    write("bzimage", "debian-64-high", bz_request(0x02, QEMU_6G, initrd_len=0x1000000) + img)
    write("bzimage", "debian-32-high", bz_request(0x03, QEMU_6G, initrd_len=0x1000000) + img)
    write("bzimage", "debian-dtb-e820ext", bz_request(0x0e, QEMU_512M, dtb_len=300) + img)
    write("bzimage", "debian-no-room", bz_request(0x02, [(0, 0, 0x100, 0x3000)]) + img)
    # A crafted 2.10 kernel: 32-bit only, not relocatable, pref_address 16 MiB.
    c = bytearray(2 * 512 + 1024)
    c[0x1f1] = 1
    struct.pack_into("<I", c, 0x1f4, 1024 // 16)
    struct.pack_into("<H", c, 0x1fe, 0xaa55)
    c[0x200], c[0x201] = 0xeb, 0x66                          # header end 0x268
    c[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", c, 0x206, 0x020a)
    c[0x211] = 0x01                                          # LOADED_HIGH
    struct.pack_into("<I", c, 0x22c, 0x37ffffff)             # initrd_addr_max
    struct.pack_into("<I", c, 0x230, 0x200000)
    struct.pack_into("<I", c, 0x238, 255)
    struct.pack_into("<Q", c, 0x258, 0x1000000)
    struct.pack_into("<I", c, 0x260, 0x400000)
    write("bzimage", "crafted-2.10", bz_request(0x03, QEMU_512M, initrd_len=0x100000) + bytes(c))


# ------------------------------------------------------------------- handoff
# fuzz_check.c's structured form (build()), field by field.

def addr(u16, odd=0):
    return struct.pack("<HB", u16, odd)


def dst(a):                     # DST at unit a
    return bytes([0]) + addr(a)


def src(a, pages):              # SRC from unit a, 1..8 pages
    return bytes([1]) + addr(a) + bytes([pages - 1])


def src_on(pages):              # SRC continuing the last source
    return bytes([2, pages - 1])


def zero(pages):
    return bytes([3, pages - 1])


def claim(pages):
    return bytes([4, pages - 1])


END = bytes([7])


def check_structured(mem, lists, mode=0, unit_sel=1, link=0, entry_mode=0, entry=(0, 0x10),
                     regs=(0,) * 7, timings=None, misc=0, self_pages=4, work=0, keep=(), spot=0,
                     changes=(), damage=None):
    """mem: (type byte, gap, size) in units; lists: (unit or (unit, odd), [entries])
    per list page; entry / timings: (copy run, offset) picks; work: the work area's
    selector (0 free, 215..229 size + 0x800, 230 + 2k on run k's destination);
    keep: (unit, odd, pages) ranges."""
    out = bytes([mode])
    for target, off, x in changes:                           # bits 5 and 6
        out += struct.pack("<BHB", target, off, x)
    out += bytes([(len(mem) - 1) | len(lists) << 3 | unit_sel << 6])
    for t, gap, size in mem:
        out += struct.pack("<BHH", t, gap, size)
    for at, entries in lists:
        n = sum(1 for e in entries)
        out += (addr(*at) if isinstance(at, tuple) else addr(at))
        out += bytes([0xc0 if n > 63 else n]) + b"".join(entries)
    out += bytes([link, entry_mode]) + struct.pack("<BH", *entry)
    out += bytes(regs)
    if timings:
        out += bytes([1 | 10 << 1]) + struct.pack("<BH", *timings)
    else:
        out += bytes([0])
    out += bytes([misc, self_pages - 1, 0, 0, work])         # loader, handoff page,
    out += bytes([len(keep)])                                 # pieces, work area
    for at, odd, pages in keep:
        out += addr(at, odd) + bytes([pages - 1])
    out += bytes([spot])
    if damage:
        out += struct.pack("<BHB", *damage)
    return out


# 64 KiB units: usable 1 MiB-0x4f0000, reserved 64 KiB, usable to 9 MiB, never-touch
# 256 KiB, like the stage's normal maps (merged, sorted). RAM tops out below 4 GiB.
MEM = [(1, 16, 63), (170, 0, 1), (1, 0, 64), (220, 0, 4)]
# An ELF: two segments, a zero tail and a claimed bss; the list page at 2.5 MiB.
ELF = [(40, [dst(48), src(32, 4), src_on(4), zero(2), claim(8), dst(96), src(112, 1), END])]
# Two runs that trade places: the planner needs its scratch page.
SWAP = [(40, [dst(48), src(64, 8), dst(64), src(48, 8), END])]


def full_page():
    """510 one-page SRCs that merge into one run; a second page goes on."""
    return [(130, [dst(80)] + [src(32, 1)] + [src_on(1)] * 508),
            (131, [src_on(1), zero(1), END])]


def raw_handoff():
    """Mode 7: a handoff page and its list page as bytes, both CRCs resealed."""
    h = bytearray(4096)
    mem = [(0x100000, 0x800000, 1), (0x900000, 0x1000, 2)]
    struct.pack_into("<QIIIIII", h, 0, 0x324f484e4f544142, 2, 256, 0, 0, len(mem), 1)
    struct.pack_into("<QQ", h, 0x20, 0x200000, 1)            # chain, chain_pages
    struct.pack_into("<QQQQ", h, 0x38, 1, 0, 0, 1)           # runs, plan pieces
    struct.pack_into("<QQQQ", h, 0x58, 0x100000, 0x10000, 0x600000, 0x100000)
    struct.pack_into("<IIQ", h, 0x78, 1, 0, 0x300010)       # LONG64 entry in the run
    for i, (b, s, t) in enumerate(mem):
        struct.pack_into("<QQI", h, 256 + 24 * i, b, s, t)
    lp = bytearray(4096)
    struct.pack_into("<QQQQ", lp, 0, 0xba7, 0, 0x300000 | 1, 0x400000 | 3 << 3 | 2)
    return bytes([0x07]) + bytes(h) + bytes(lp[:32])         # the rest reads as zeros


def check_seeds():
    write("check", "elf64", check_structured(MEM, ELF, regs=(0, 0, 0, 0, 0, 0x30, 0),
                                             timings=(1, 0x100)))
    write("check", "linux32-swap", check_structured(MEM, SWAP, entry_mode=128, entry=(1, 0x200),
                                                    regs=(0, 0, 0, 0, 0x40, 0, 0)))
    write("check", "chain", check_structured(MEM, [(40, [dst(48), src(32, 2)]),
                                                   (41, [src_on(2), zero(1)]),
                                                   (42, [claim(3), END])]))
    write("check", "full-page", check_structured(MEM, full_page()))
    write("check", "loop", check_structured(MEM, ELF + [(41, [END])], link=0xff))
    write("check", "overlap",
          check_structured(MEM, [(40, [dst(48), src(32, 4), dst(48), zero(1)])]))
    write("check", "forbidden", check_structured(MEM, [(40, [dst(79), src(32, 1), src_on(8)])]))
    write("check", "find-spot-unaligned-keep-hangs",
          check_structured(MEM, ELF, keep=[(17, 0xff, 1)]))
    write("check", "damaged", check_structured(MEM, ELF, mode=0x06, damage=(1, 0x10, 0x01)))
    write("check", "stage-pass", check_structured(MEM, ELF, mode=0x18))
    write("check", "work-on-claim", check_structured(MEM, ELF, work=234))   # run 2: the claim
    write("check", "changed-header", check_structured(MEM, ELF, mode=0x20, changes=[(0, 0x38, 1)]))
    write("check", "changed-list", check_structured(MEM, ELF, mode=0x40, changes=[(0, 0x08, 1)]))
    write("check", "raw", raw_handoff())
    # Found by this fuzzer; refused or answered since.
    write("check", "list-page-at-top-wraps", check_structured(MEM, ELF + [((0, 0xfe), [END])]))
    write("check", "work-size-unaligned", check_structured(MEM, ELF, work=215))


# --------------------------------------------------------------------- plan

def plan(npages, runs, flags=1, top=False):
    """fuzz_plan.c: flags, npages-4, runs of (kind|length, src, dst)."""
    out = bytes([flags, npages - 4])
    for kind, src, dst, pages in runs:
        out += bytes([kind << 0 | (pages - 1) << 1, src, dst])
    return out + (b"\xee" if top else b"")


def plan_seeds():
    write("plan", "swap", plan(16, [(0, 2, 5, 1), (0, 5, 2, 1)]))
    write("plan", "three-cycle", plan(16, [(0, 1, 2, 1), (0, 2, 3, 1), (0, 3, 1, 1)]))
    write("plan", "shift-up", plan(32, [(0, 4, 6, 8)]))
    write("plan", "shift-down", plan(32, [(0, 6, 4, 8)]))
    write("plan", "chain", plan(32, [(0, i, i + 1, 1) for i in range(10, 1, -1)]))
    write("plan", "zero-over-source", plan(32, [(0, 4, 12, 4), (1, 0, 4, 2)]))
    write("plan", "rotate-top", plan(24, [(0, 0, 8, 8), (0, 8, 16, 8), (0, 16, 0, 8)], top=True))
    write("plan", "overlapping-dst", plan(24, [(0, 0, 8, 4), (0, 10, 10, 4)], flags=0))


if __name__ == "__main__":
    os.chdir(ROOT)
    elf_seeds()
    bz_seeds()
    check_seeds()
    plan_seeds()
    for k in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, k))
        print("mkseeds: %-8s %2d seeds, %6d bytes" % (k, len(files),
              sum(os.path.getsize(os.path.join(CORPUS, k, f)) for f in files)))
