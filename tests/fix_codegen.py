#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fix-flush-sq-plain-store: ring::flush_sq publishes the SQ tail with a plain store.

usage: fix_codegen.py --include DIR -- CXX...

Compiles a function that calls ring::flush_sq with the build's compiler at -O2 and reads the
assembly. On x86_64 a relaxed or release store is a plain `mov`; g++ 12 emitted a locked
`xchg` when the memory order was picked at run time, so no `xchg` (and no `lock` prefix) may
appear. Elsewhere the check is only that the function compiles, and the test says SKIP.
"""
import argparse
import subprocess
import sys
import tempfile
import pathlib

SOURCE = """#include <rawring/ring.hpp>
unsigned rawring_flush(rawring::ring& r) { return r.flush_sq(); }
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--include", required=True)
    ap.add_argument("cxx", nargs="+")
    args = ap.parse_args()
    machine = subprocess.run(args.cxx + ["-dumpmachine"], capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp) / "flush.cpp"
        src.write_text(SOURCE)
        out = subprocess.run(args.cxx + ["-std=c++20", "-O2", "-S", "-I", args.include,
                                         str(src), "-o", "-"],
                             capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr)
        print("FAIL: the flush_sq function did not compile")
        return 1
    if not machine.startswith("x86_64"):
        print(f"SKIP: the plain-store check reads x86_64 assembly; this compiler targets {machine.strip()}")
        return 77
    bad = [line.strip() for line in out.stdout.splitlines()
           if line.strip().startswith(("xchg", "lock"))]
    if bad:
        print("FAIL: flush_sq's tail store is a locked read-modify-write:", *bad, sep="\n  ")
        return 1
    print("ok: flush_sq stores the tail with a plain mov")
    return 0


if __name__ == "__main__":
    sys.exit(main())
