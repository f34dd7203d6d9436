# SPDX-License-Identifier: MIT
"""An EFI system partition image written without mounting anything (mtools).

  esp.build(path, {"EFI/BOOT/BOOTX64.EFI": "/usr/lib/.../systemd-bootx64.efi",
                   "loader/loader.conf": b"timeout 0\\n", ...})

writes path as a FAT32 file system over the whole image, no partition table
(a "superfloppy": OVMF's FAT driver takes the whole block device, and its boot
manager finds \\EFI\\BOOT\\BOOTX64.EFI there as on any removable or fixed
disk). Each value is a host file's path or the bytes themselves. Folders are
made as needed. The image is sized to the files (at least 64 MiB, FAT32).

  python3 tests/qemu/efi/esp.py OUT.img ESP/PATH=HOST/PATH ...   (the same from a shell)

Helpers for the Boot Loader Specification's Type #1 entries and
systemd-boot's loader.conf: bls_entry(), loader_conf().
"""
import os
import subprocess
import sys
import tempfile

MIN_MIB = 64


class EspError(Exception):
    """mtools failed or is missing; the message says which step."""


def _run(cmd):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError:
        raise EspError("%s not found: apt-get install mtools (make deps)" % cmd[0])
    if p.returncode != 0:
        raise EspError("%s: %s" % (" ".join(cmd), p.stdout.strip()))


def bls_entry(title, linux, initrd=(), options="", version=None, sort_key=None, efi=None):
    """A Boot Loader Specification Type #1 entry (loader/entries/NAME.conf)."""
    lines = ["title %s" % title]
    if version:
        lines.append("version %s" % version)
    if sort_key:
        lines.append("sort-key %s" % sort_key)
    if linux:
        lines.append("linux %s" % linux)
    for i in ([initrd] if isinstance(initrd, str) else initrd):
        lines.append("initrd %s" % i)
    if options:
        lines.append("options %s" % options)
    if efi:
        lines.append("efi %s" % efi)
    return ("\n".join(lines) + "\n").encode()


def loader_conf(default=None, timeout=0, more=()):
    """loader/loader.conf: timeout 0 boots the default at once, no menu."""
    lines = ["timeout %s" % timeout]
    if default:
        lines.append("default %s" % default)
    lines += list(more)
    return ("\n".join(lines) + "\n").encode()


def build(path, files, min_mib=MIN_MIB, label="ESP"):
    """Write the FAT32 image path holding files ({ESP path: host path or bytes})."""
    total = 0
    for v in files.values():
        total += len(v) if isinstance(v, (bytes, bytearray)) else os.path.getsize(v)
    mib = max(min_mib, (total * 5 // 4 >> 20) + 16)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(mib << 20)
    # -F: FAT32; -T: sectors; -h/-s: a geometry mformat accepts for any size
    _run(["mformat", "-i", tmp, "-F", "-T", str(mib << 11), "-h", "64", "-s", "32",
          "-v", label, "::"])
    made = set()
    with tempfile.TemporaryDirectory() as td:
        for i, (dst, src) in enumerate(sorted(files.items())):
            dst = dst.strip("/")
            parts = dst.split("/")[:-1]
            for n in range(1, len(parts) + 1):
                d = "/".join(parts[:n])
                if d not in made:
                    _run(["mmd", "-i", tmp, "::/" + d])
                    made.add(d)
            if isinstance(src, (bytes, bytearray)):
                host = os.path.join(td, "f%d" % i)
                with open(host, "wb") as f:
                    f.write(src)
                src = host
            if not os.path.exists(src):
                raise EspError("%s (for %s) is missing" % (src, dst))
            _run(["mcopy", "-i", tmp, "-o", src, "::/" + dst])
    os.replace(tmp, path)
    return path


def listing(path):
    """mdir -/ of the image, for a log."""
    p = subprocess.run(["mdir", "-i", path, "-/", "-b", "::"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.stdout


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: esp.py OUT.img ESP/PATH=HOST/PATH ...")
    build(sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:]))
    sys.stdout.write(listing(sys.argv[1]))
