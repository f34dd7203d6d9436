#!/usr/bin/env python3
"""Write the tiny initramfs the QEMU tests boot Debian's kernel with.

An uncompressed newc cpio ("070701") holding /dev, /dev/console (char 5:1),
/proc, /sys, /init (the built tests/qemu/linux/init.c) and /data.bin (N bytes of
pseudo-random data from a constant seed). Beside it, <out>.expect holds
`data_bytes=<N> data_crc32=<hex>`, what /init must report for /data.bin.

    mkinitramfs.py --init build/linux/init --out build/linux/initramfs.cpio [--data-mib 23]
                   [--file NAME=PATH ...]

--file adds a file at /NAME (the hook's smoke test adds /baton.ko).

Standard library only.
"""

import argparse
import os
import random
import stat
import sys
import zlib

SEED = 0xBA7017  # constant: the same data.bin on every build
MTIME = 0        # constant: the same cpio bytes on every build


def pad4(n):
    return (4 - n % 4) % 4


class Cpio:
    def __init__(self, f):
        self.f = f
        self.ino = 1

    def entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        fields = [
            self.ino, mode, 0, 0, nlink, MTIME, len(data),
            0, 0,                 # devmajor, devminor (of the filesystem)
            rdev[0], rdev[1],     # rdevmajor, rdevminor
            len(name_b), 0,       # namesize, check
        ]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        assert len(hdr) == 110
        self.f.write(hdr + name_b + b"\0" * pad4(len(hdr) + len(name_b)))
        self.f.write(data)
        self.f.write(b"\0" * pad4(len(data)))

    def dir(self, name, perm=0o755):
        self.entry(name, stat.S_IFDIR | perm, nlink=2)

    def chardev(self, name, major, minor, perm=0o600):
        self.entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def file(self, name, data, perm=0o644):
        self.entry(name, stat.S_IFREG | perm, data)

    def trailer(self):
        self.ino = 0
        self.entry("TRAILER!!!", 0, nlink=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", required=True, help="the built /init binary")
    ap.add_argument("--out", required=True, help="the cpio to write")
    ap.add_argument("--data-mib", type=float, default=23.0,
                    help="size of /data.bin in MiB (default 23)")
    ap.add_argument("--file", action="append", default=[], metavar="NAME=PATH",
                    help="also put the file PATH at /NAME")
    args = ap.parse_args()
    extra = []
    for spec in args.file:
        name, sep, path = spec.partition("=")
        if not sep or not name or "/" in name:
            sys.exit("mkinitramfs: --file wants NAME=PATH, NAME without '/'")
        with open(path, "rb") as f:
            extra.append((name, f.read()))

    nbytes = int(args.data_mib * 1024 * 1024)
    if nbytes < 0:
        sys.exit("mkinitramfs: --data-mib must not be negative")
    with open(args.init, "rb") as f:
        init = f.read()
    data = random.Random(SEED).randbytes(nbytes)
    crc = zlib.crc32(data) & 0xFFFFFFFF

    # The sidecar first: a cpio present means its .expect is current.
    with open(args.out + ".expect", "w") as f:
        f.write("data_bytes=%d data_crc32=%08x\n" % (nbytes, crc))
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        c = Cpio(f)
        c.dir("dev")
        c.chardev("dev/console", 5, 1)
        c.dir("proc")
        c.dir("sys")
        c.file("init", init, 0o755)
        c.file("data.bin", data)
        for name, blob in extra:
            c.file(name, blob)
        c.trailer()
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
