#!/usr/bin/env python3
"""Write the tiny initramfs the QEMU tests boot Debian's kernel with.

An uncompressed newc cpio ("070701") holding /dev, /dev/console (char 5:1),
/proc, /sys, /init (the built tests/qemu/linux/init.c) and /data.bin (N bytes of
pseudo-random data from a constant seed). Beside it, <out>.expect holds
`data_bytes=<N> data_crc32=<hex>`, what /init must report for /data.bin.

    mkinitramfs.py --init build/linux/init --out build/linux/initramfs.cpio [--data-mib 23]
                   [--file NAME=PATH ...] [--bin PATH ...]
                   [--kmod-dir /lib/modules/REL --kmod NAME ...]

--file adds a file at /NAME (NAME may name folders: they are made). --bin adds
a program at its own path with every shared library ldd names and the ELF
interpreter, each at the path the program's loader looks for it (the hook's
initramfs adds /sbin/kexec so). --kmod adds the module NAME (as modules.dep
spells it, without .ko) from --kmod-dir and the modules it depends on, each at
/lib/modules/<its path in modules.dep>, and /kmod.list: their paths in an order
to load them (every module after those it depends on), one a line.

Standard library only.
"""

import argparse
import os
import random
import re
import stat
import subprocess
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
        self.dirs = set()

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
        self.dirs.add(name)
        self.entry(name, stat.S_IFDIR | perm, nlink=2)

    def parents(self, name):
        """The folders above NAME, each once, outermost first."""
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dir(d)

    def chardev(self, name, major, minor, perm=0o600):
        self.entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def file(self, name, data, perm=0o644):
        self.entry(name, stat.S_IFREG | perm, data)

    def trailer(self):
        self.ino = 0
        self.entry("TRAILER!!!", 0, nlink=1)


def check_name(name):
    if not name or name.startswith("/") or ".." in name.split("/") or name.endswith("/"):
        sys.exit("mkinitramfs: %r: a path inside the archive, relative, without '..'" % name)
    return name


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        sys.exit("mkinitramfs: %s: %s" % (path, e.strerror))


def program_files(path):
    """(name in the archive, bytes) of a program and of everything its ELF loader
    must find: the libraries ldd resolves and the interpreter, each at the path
    ldd prints (the loader's default folders; no ld.so.cache is needed)."""
    out = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    files = [path]
    if out.returncode == 0:                 # "not a dynamic executable": exit 1
        for line in out.stdout.splitlines():
            m = re.match(r"\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$", line)
            if m:
                files.append(m.group(1))
            elif "=>" in line and "not found" in line:
                sys.exit("mkinitramfs: %s: ldd: %s" % (path, line.strip()))
    elif "not a dynamic executable" not in out.stdout:
        sys.exit("mkinitramfs: ldd %s: %s" % (path, out.stdout.strip()))
    return [(check_name(f.lstrip("/")), read(f)) for f in files]


def module_files(kdir, names):
    """The modules NAMES and their dependencies from KDIR/modules.dep, in an
    order to load them: (archive name, bytes) each, and the /kmod.list text."""
    deps = {}
    for line in read(os.path.join(kdir, "modules.dep")).decode().splitlines():
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
    by_name = {re.sub(r"\.ko(\.[a-z]+)?$", "", os.path.basename(m)).replace("-", "_"): m
               for m in deps}
    order = []

    def visit(mod, chain):
        if mod in order:
            return
        if mod in chain:
            sys.exit("mkinitramfs: modules.dep: a loop through %s" % mod)
        for d in deps.get(mod, []):
            visit(d, chain + [mod])
        order.append(mod)
    for name in names:
        mod = by_name.get(name.replace("-", "_"))
        if not mod:
            sys.exit("mkinitramfs: module %s is not in %s/modules.dep" % (name, kdir))
        visit(mod, [])
    for mod in order:
        if not mod.endswith(".ko"):
            sys.exit("mkinitramfs: %s is compressed: /init loads plain .ko files" % mod)
    files = [("lib/modules/" + mod, read(os.path.join(kdir, mod))) for mod in order]
    return files, "".join("/lib/modules/%s\n" % m for m in order)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", required=True, help="the built /init binary")
    ap.add_argument("--out", required=True, help="the cpio to write")
    ap.add_argument("--data-mib", type=float, default=23.0,
                    help="size of /data.bin in MiB (default 23)")
    ap.add_argument("--file", action="append", default=[], metavar="NAME=PATH",
                    help="also put the file PATH at /NAME")
    ap.add_argument("--bin", action="append", default=[], metavar="PATH",
                    help="also put the program PATH at its path, with its libraries")
    ap.add_argument("--kmod-dir", metavar="DIR", help="/lib/modules/<release> for --kmod")
    ap.add_argument("--kmod", action="append", default=[], metavar="NAME",
                    help="also put module NAME and its dependencies, and /kmod.list")
    args = ap.parse_args()
    extra = []
    for spec in args.file:
        name, sep, path = spec.partition("=")
        if not sep:
            sys.exit("mkinitramfs: --file wants NAME=PATH")
        extra.append((check_name(name), read(path)))
    for path in args.bin:
        extra += program_files(path)
    if args.kmod:
        if not args.kmod_dir:
            sys.exit("mkinitramfs: --kmod needs --kmod-dir")
        mods, order = module_files(args.kmod_dir, args.kmod)
        extra += mods + [("kmod.list", order.encode())]
    seen = set()
    for name, _ in extra:
        if name in seen:
            sys.exit("mkinitramfs: /%s given twice" % name)
        seen.add(name)

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
            c.parents(name)
            c.file(name, blob, 0o755 if blob[:4] == b"\x7fELF" and not name.endswith(".ko")
                   else 0o644)
        c.trailer()
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
