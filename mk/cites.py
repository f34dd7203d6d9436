#!/usr/bin/env python3
"""Check that every file and function cited in comments and docs exists.

A citation is a path (`core/plan.c`, `probe32/entry.asm`, `hw.h` is too bare
to tell from a system header and is skipped) or `file:function`
(`main.c:loader_main`). A path is looked up from the top of the tree, then from
the citing file's folder and each folder above it; a bare file name anywhere in
the tree. The function must appear in the file as a word (`fmt_elfNN_load`: the
part after NN). Markdown is read whole, code only in its comments; paths under
build/ are generated and not checked, and neither are other projects' files,
written with their project in front (`linux:arch/x86/boot/tools/build.c`).

Usage: mk/cites.py   (from the top of the tree; exit 1 and one line per miss)
"""
import os
import re
import subprocess
import sys

SCANNED = re.compile(r"(\.(c|h|asm|ld|mk|md|py|sh)|(^|/)Makefile)$")
CITE = re.compile(r"(?<![\w./$*%<:-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:c|h|asm|ld|mk|md|py|sh))"
                  r"(?::([A-Za-z_]\w*))?(?![\w/])")
COMMENTS = {
    "c": re.compile(r"/\*.*?\*/|//[^\n]*", re.S),
    "asm": re.compile(r";[^\n]*"),
    "sh": re.compile(r"(?<![$\w{'\"])#[^\n]*"),
}
KIND = {".c": "c", ".h": "c", ".ld": "c", ".asm": "asm", ".py": "sh", ".sh": "sh", ".mk": "sh", "": "sh"}


def tree_files():
    try:
        out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout
        return [f for f in out.split("\n") if f and os.path.isfile(f)]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, subdirs, names in os.walk("."):
            subdirs[:] = [s for s in subdirs if s != "build" and not s.startswith(".")]
            found += [os.path.relpath(os.path.join(d, n)) for n in names]
        return found


def spans(path, text):
    """(line number, text) of the parts of a file that are prose."""
    if path.endswith(".md"):
        return [(1, text)]
    kind = KIND.get(os.path.splitext(path)[1], "sh")
    return [(text.count("\n", 0, m.start()) + 1, m.group(0)) for m in COMMENTS[kind].finditer(text)]


def main():
    files = tree_files()
    known = set(files)
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    texts = {}
    misses = cites = 0
    for f in files:
        if not SCANNED.search(f):
            continue
        text = open(f, encoding="utf-8", errors="replace").read()
        for first, chunk in spans(f, text):
            for i, line in enumerate(chunk.split("\n")):
                for m in CITE.finditer(line):
                    path, func = m.group(1), m.group(2)
                    if path.startswith("build/") or ("/" not in path and path.endswith(".h") and not func):
                        continue
                    cites += 1
                    cands, d = [path], os.path.dirname(f)
                    while True:
                        cands.append(os.path.normpath(os.path.join(d, path)))
                        if not d:
                            break
                        d = os.path.dirname(d)
                    if "/" not in path:
                        cands += by_name.get(path, [])
                    hits = [c for c in cands if c in known]
                    where = "%s:%d" % (f, first + i)
                    if not hits:
                        print("%s: cites %s: no such file" % (where, path))
                        misses += 1
                        continue
                    if func:
                        word = re.compile(r"\b%s\b" % re.escape(func.split("NN_")[-1]))
                        if not any(word.search(texts.setdefault(h, open(h, errors="replace").read()))
                                   for h in hits):
                            print("%s: cites %s:%s: no %s in %s" % (where, path, func, func, hits[0]))
                            misses += 1
    print("cites: %d files and functions cited in comments and docs, %d missing" % (cites, misses))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
