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
  check    handoffs in the fuzzer's structured form (a QEMU-like map, a swap, a
           chain, zero runs, each convention) and one raw handoff with its CRC
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

def addr(u16, odd=0):
    return struct.pack("<HB", u16, odd)


def check_structured(conv, mem, copies, zeros, picks, unit_sel=1, self_pages=20, h_pa=None,
                     mode=0, damage=None):
    """The fuzzer's structured form (fuzz_check.c: build())."""
    out = bytes([mode, (len(mem) - 1) | len(copies) << 3, len(zeros) | unit_sel << 3, 0, conv - 1])
    out += addr(20) + bytes([3])                             # loader_base, 4 pages
    for t, base, size in mem:
        out += bytes([t]) + addr(base) + struct.pack("<H", size)
    for src, dst, pages in copies:
        out += addr(src) + addr(dst) + struct.pack("<H", pages)
    for dst, pages in zeros:
        out += addr(dst) + struct.pack("<H", pages)
    for k, (pick, off) in enumerate(picks):
        out += bytes([pick]) + struct.pack("<H", off)
        if k == 2 and pick & 1:
            out += bytes([10])                               # timing slots
    out += addr(self_pages) + bytes([7])                     # self (unused: next byte even)
    out += bytes([1]) + addr(h_pa) if h_pa is not None else bytes([0])
    out += bytes([0])
    if damage:
        out += struct.pack("<HB", *damage)
    return out


# 64 KiB units: usable 1-5 MiB, reserved 64 KiB, usable to ~9 MiB, never-touch above.
MEM = [(1, 16, 63), (170, 80, 1), (1, 81, 63), (220, 150, 4)]
SWAP = [(40, 30, 1), (30, 40, 1), (90, 100, 2), (50, 60, 1)]


def raw_handoff():
    mem = [(0x100000, 0x400000, 1), (0x500000, 0x1000, 2)]
    copies = [(0x200000, 0x300000, 4), (0x300000, 0x200000, 4)]
    zeros = [(0x380000, 2)]
    off_mem = 256
    off_copy = off_mem + 24 * len(mem)
    off_zero = off_copy + 32 * len(copies)
    total = off_zero + 32 * len(zeros)
    h = bytearray(total)
    struct.pack_into("<QIIQII", h, 0, 0x314f484e4f544142, 1, 256, total, 0, 0)
    struct.pack_into("<QQQQQQ", h, 0x20, off_mem, len(mem), off_copy, len(copies), off_zero, len(zeros))
    struct.pack_into("<IIQ", h, 0x50, 1, 0, 0x300010)        # ELF64 entry in copy run 0
    struct.pack_into("<QQQQ", h, 0x90, 0x110000, 0x10000, 0x8000, 1)
    struct.pack_into("<I", h, 0xc0, 1)
    for i, (b, s, t) in enumerate(mem):
        struct.pack_into("<QQI", h, off_mem + 24 * i, b, s, t)
    for i, (s, d, p) in enumerate(copies):
        struct.pack_into("<QQQ", h, off_copy + 32 * i, s, d, p)
    for i, (d, p) in enumerate(zeros):
        struct.pack_into("<QQ", h, off_zero + 32 * i, d, p)
    struct.pack_into("<I", h, 0x18, zlib.crc32(bytes(h)))
    return bytes([0x01]) + bytes(h)


def check_seeds():
    write("check", "elf64-swap", check_structured(1, MEM, SWAP, [(70, 1)], [(0, 0x10), (1, 0), (3, 0x100)]))
    write("check", "linux64", check_structured(2, MEM, SWAP, [(70, 1), (110, 2)], [(2, 0x200), (3, 0), (1, 0)]))
    write("check", "linux32", check_structured(3, MEM, SWAP, [], [(0, 0), (1, 0), (0, 0)]))
    write("check", "elf32-handoff-placed", check_structured(4, MEM, SWAP, [(70, 1)], [(0, 0), (1, 0), (0, 0)], h_pa=0x120))
    write("check", "overlap", check_structured(1, MEM, SWAP + [(120, 100, 1)], [], [(0, 0), (1, 0), (0, 0)]))
    write("check", "forbidden", check_structured(1, MEM, [(40, 80, 1)], [], [(0, 0), (0, 0), (0, 0)]))
    write("check", "damaged", check_structured(1, MEM, SWAP, [(70, 1)], [(0, 0), (1, 0), (0, 0)], mode=6, damage=(0x38, 0x80)))
    write("check", "raw", raw_handoff())


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
