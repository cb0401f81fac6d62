#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test `freestanding`: builds the freestanding program and checks it.

usage: check.py --nm NM --build SOURCE_ROOT [--werror] -- CXX...   (the Meson test)
       check.py --nm NM [--machine ARCH] [--no-run] PROGRAM         (.ci/cross)

With --build, first builds the program with tests/freestanding/build.py and CXX into a temporary
directory, so that a library that no longer links without libc fails this test alone, with the
linker's message, instead of the whole build. Then checks that PROGRAM is a static executable
with no interpreter and no dynamic section (for ARCH: x86_64, aarch64 or riscv64, if given),
that `NM -u PROGRAM` lists nothing (every symbol it uses, it defines), that it prints exactly
"hello from io_uring" on stdout and exits 0 (77: io_uring unavailable, skipped), and that
without its argument it exits 2 having written nothing to stdout. With --no-run (a cross
build), only the checks of the file.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

PT_DYNAMIC, PT_INTERP = 2, 3
ET_EXEC = 2
MACHINES = {"x86_64": 62, "aarch64": 183, "riscv64": 243}  # ELF e_machine


def elf_header(path):
    """(e_type, e_machine, [p_type of each program header]) of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a 64-bit little-endian ELF file")
    e_type, e_machine = struct.unpack_from("<HH", data, 0x10)
    e_phoff, = struct.unpack_from("<Q", data, 0x20)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 0x36)
    types = [struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
    return e_type, e_machine, types


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm", required=True)
    ap.add_argument("--machine", choices=sorted(MACHINES))
    ap.add_argument("--no-run", action="store_true")
    ap.add_argument("--build", metavar="SOURCE_ROOT")
    ap.add_argument("--werror", action="store_true")
    ap.add_argument("rest", nargs="+", help="PROGRAM, or with --build the compiler command")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rawring-freestanding-build-") as tmp:
        if args.build:
            prog = os.path.join(tmp, "freestanding")
            build = [sys.executable, os.path.join(os.path.dirname(__file__), "build.py"),
                     "--source-root", args.build, "--out", prog]
            if args.werror:
                build.append("--werror")
            if subprocess.run(build + ["--"] + args.rest).returncode != 0:
                print("FAILED: the freestanding program did not build")
                return 1
        else:
            prog = args.rest[0]
        return check(args, prog, args.nm)


def check(args, prog, nm):
    failures = []

    e_type, e_machine, types = elf_header(prog)
    if e_type != ET_EXEC or PT_INTERP in types or PT_DYNAMIC in types:
        failures.append("not a static executable (ELF type, PT_INTERP or PT_DYNAMIC)")
    if args.machine and e_machine != MACHINES[args.machine]:
        failures.append(f"built for ELF machine {e_machine}, not {args.machine}")

    # nm must see the symbol table (a stripped file would list nothing for -u either).
    defined = subprocess.run([nm, "--defined-only", prog], capture_output=True, text=True).stdout
    if not any(line.split()[-1:] == ["_start"] for line in defined.splitlines()):
        failures.append("nm does not list _start: no symbol table to check")
    undefined = subprocess.run([nm, "-u", prog], capture_output=True, text=True, check=True).stdout
    if undefined.strip():
        failures.append("nm -u lists undefined symbols:\n" + undefined)
    else:
        print("nm -u: nothing")
    if args.no_run:
        for f in failures:
            print("FAILED:", f)
        return 1 if failures else 0

    with tempfile.TemporaryDirectory(prefix="rawring-freestanding-") as tmp:
        path = os.path.join(tmp, "file")
        p = subprocess.run([prog, path], capture_output=True)
        sys.stderr.write(p.stderr.decode(errors="replace"))
        if p.returncode == 77:
            print("SKIP: the program says io_uring or an opcode it needs is unavailable")
            return 77
        if p.returncode != 0:
            failures.append(f"the program exited with {p.returncode}")
        if p.stdout != b"hello from io_uring\n":
            failures.append(f"stdout was {p.stdout!r}, not b'hello from io_uring\\n'")
        else:
            print("stdout: hello from io_uring")

        # Without the path argument: argc is read from the initial stack, so this exits 2.
        p = subprocess.run([prog], capture_output=True)
        if p.returncode != 2 or p.stdout != b"":
            failures.append(f"without an argument: status {p.returncode}, stdout {p.stdout!r}")

    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
