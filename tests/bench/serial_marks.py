# SPDX-License-Identifier: MIT
"""Host timestamps of serial lines, for the benches that time one QEMU run
from a mark to the next (hook_vs_kexec.py, efi_boot.py)."""
import os
import re
import subprocess
import time


def timed_run(cmd, marks, last, timeout):
    """Runs QEMU's cmd with its serial port on stdout (the -serial argument
    replaced). marks: [(name, bytes regex)], each looked for after the one
    before; stops once `last` is seen or at timeout. Returns {name: host
    seconds since QEMU started} for the marks seen, and the serial text."""
    cmd = list(cmd)
    cmd[cmd.index("-serial") + 1] = "stdio"
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    got, buf, pos, deadline = {}, b"", 0, t0 + timeout
    try:
        while time.monotonic() < deadline and last not in got:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            now = time.monotonic() - t0
            buf += chunk
            for name, pat in marks:     # in order: each after the one before
                if name in got:
                    continue
                m = re.compile(pat).search(buf, pos)
                if not m:
                    break               # it may arrive in pieces: looked for again
                got[name], pos = now, m.end()
    finally:
        proc.kill()
        proc.wait()
    return got, buf.replace(b"\r", b"").decode(errors="replace")
