#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds the freestanding program: rawring's sources with the raw syscall backend, no libc.

usage: build.py --source-root DIR --out FILE [--app SOURCE] [--opt=-O2] [--werror] -- CXX...

Compiles the program (tests/freestanding/main.cpp, or SOURCE) and every library source in src/ except the libc backend
(so src/sys_raw.cpp and src/freestanding.cpp, which provides memset/memcpy/memmove/memcmp),
each with -ffreestanding -fno-exceptions -fno-rtti, and links them with -nostdlib -static. The
compiler may be a cross compiler: the target is whatever `CXX -dumpmachine` says. The same
script serves the Meson test `freestanding` (through check.py) and .ci/cross. It follows the
README's recipe: the program's objects go to FILE.p/ beside the program, and rawring's to
FILE.p/rawring-objs/, a directory of their own, so that no source of the program can share an
object file with one of rawring's (a program file named freestanding.cpp, say).
"""
import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys

# What the program is compiled with, and why each flag is there.
COMPILE = [
    "-std=c++20",
    "-ffreestanding",            # no hosted library assumed; __STDC_HOSTED__ is 0
    "-fno-exceptions",           # no unwinder, no __cxa_throw, no personality routine
    "-fno-rtti",                 # no typeinfo objects from the C++ runtime
    "-fno-stack-protector",      # no __stack_chk_fail / __stack_chk_guard (from libc)
    "-fno-threadsafe-statics",   # no __cxa_guard_acquire/release around local statics
    "-fno-pie",                  # a plain static executable: nothing to relocate at start-up
                                 # (-static links one even where the compiler defaults to PIE)
    "-Wall", "-Wextra", "-Wpedantic",
]
LINK = [
    "-nostdlib",                 # no crt1.o/crti.o, no libc, no libstdc++, no libgcc...
    "-static",
]
# ...except libgcc, linked back after the objects as GCC's manual asks of -nostdlib builds: the
# compiler's own helpers for what the target has no instruction for (riscv64 without Zbb calls
# __clzdi2 for std::countl_zero). libgcc.a is self-contained, knows no libc and makes no system
# call; only the helpers used are pulled in, and `nm -u` proves none of them needs more.
LIBS = ["-lgcc"]
# Per target: GCC on aarch64 turns atomic read-modify-writes into calls to libgcc's
# __aarch64_* helpers unless told to inline them.
TARGET_COMPILE = {
    "aarch64": ["-mno-outline-atomics"],
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--app", help="the program's source (default: tests/freestanding/main.cpp)")
    ap.add_argument("--opt", default="-O2")
    ap.add_argument("--werror", action="store_true")
    ap.add_argument("cxx", nargs="+")
    args = ap.parse_args()

    root = pathlib.Path(args.source_root).resolve()
    out = pathlib.Path(args.out).resolve()
    objdir = out.parent / (out.name + ".p")
    objdir.mkdir(parents=True, exist_ok=True)

    machine = subprocess.run(args.cxx + ["-dumpmachine"], check=True, capture_output=True,
                             text=True).stdout.strip()
    arch = machine.split("-")[0]
    flags = COMPILE + TARGET_COMPILE.get(arch, []) + [args.opt, "-I", str(root / "include")]
    if args.werror:
        flags.append("-Werror")

    app = [pathlib.Path(args.app).resolve() if args.app else
           root / "tests" / "freestanding" / "main.cpp"]
    rawring = sorted(p for p in (root / "src").glob("*.cpp") if p.name != "sys_libc.cpp")
    rawring_objdir = objdir / "rawring-objs"
    rawring_objdir.mkdir(exist_ok=True)

    sources = app + rawring
    objects = [objdir / (src.stem + ".o") for src in app]
    objects += [rawring_objdir / (src.stem + ".o") for src in rawring]
    commands = [args.cxx + flags + ["-c", str(s), "-o", str(o)] for s, o in zip(sources, objects)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda cmd: subprocess.run(cmd).returncode, commands))
    for cmd, ret in zip(commands, results):
        if ret != 0:
            print("build.py: failed:", " ".join(cmd), file=sys.stderr)
    if any(results):
        return 1

    cmd = args.cxx + [args.opt] + LINK + [str(o) for o in objects] + LIBS + ["-o", str(out)]
    if subprocess.run(cmd).returncode != 0:
        print("build.py: failed:", " ".join(cmd), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
