#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test `fix-cxx20-required`: a program built below C++20 gets one clear error from rawring.

usage: cxx_standard.py --source-root DIR -- CXX...

For every public header (include/rawring/**/*.hpp), compiles a program that includes it and
nothing else, with -fsyntax-only:
  - with -std=c++17, the first error must be include/rawring/config.hpp's
    "rawring needs C++20 (-std=c++20)", ahead of anything about std::span or concepts;
  - through <rawring/rawring.hpp>, the header users are told to include, that error must be the
    only one, with -std=c++17, gnu++17, c++14, c++11 and c++98 alike;
  - with -std=c++20 (-Wall -Wextra -Wpedantic -Werror), every header compiles without a
    diagnostic, so the check never fires where it must not (arch/*.hpp of another architecture
    than the compiler's excepted: their asm names that architecture's registers).
Exit status 0 when all hold, else 1.
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

MESSAGE = "rawring needs C++20 (-std=c++20)"
# GCC: 'file:line:col: error: #error "..."'; Clang: 'file:line:col: error: "..."'.
ERROR = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<text>.*)$")
OLD_STANDARDS = ["c++17", "gnu++17", "c++14", "c++11", "c++98"]
ARCH_HEADERS = {"x86_64", "aarch64", "riscv64"}


def compile_one(cxx, include, header, std, tmp, extra=()):
    src = pathlib.Path(tmp) / "prog.cpp"
    src.write_text(f"#include <rawring/{header}>\nint main() {{}}\n", encoding="utf-8")
    p = subprocess.run(cxx + [f"-std={std}", "-fsyntax-only", "-I", str(include), *extra,
                              str(src)], capture_output=True, text=True)
    errors = [m for m in map(ERROR.match, p.stderr.splitlines()) if m]
    return p.returncode, errors, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("cxx", nargs="+")
    args = ap.parse_args()
    include = pathlib.Path(args.source_root).resolve() / "include"
    # include/rawring/liburing is the liburing face (C and C++11 on): its own tests check it.
    headers = sorted(str(p.relative_to(include / "rawring")) for p in
                     (include / "rawring").rglob("*.hpp")
                     if "liburing" not in p.relative_to(include / "rawring").parts)
    machine = subprocess.run(args.cxx + ["-dumpmachine"], capture_output=True, text=True,
                             check=True).stdout.strip().split("-")[0]
    failures = []

    def expect_ours_first(header, std, only):
        ret, errors, stderr = compile_one(args.cxx, include, header, std, tmp)
        what = f"<rawring/{header}> with -std={std}"
        if ret == 0:
            failures.append(f"{what} compiled")
        elif not errors:
            failures.append(f"{what}: no error in the output:\n{stderr}")
        elif not (errors[0]["file"].endswith("rawring/config.hpp") and MESSAGE in errors[0]["text"]):
            failures.append(f"{what}: the first error is not rawring's: {errors[0].group(0)}")
        elif only and len(errors) != 1:
            failures.append(f"{what}: {len(errors)} errors, not 1:\n{stderr}")
        else:
            print(f"ok: {what}: {'only' if only else 'first'} error: {errors[0]['text']}"
                  + ("" if only else f" ({len(errors)} in all)"))

    with tempfile.TemporaryDirectory(prefix="rawring-cxx-standard-") as tmp:
        for std in OLD_STANDARDS:
            expect_ours_first("rawring.hpp", std, only=True)
        for header in headers:
            if header != "rawring.hpp":
                expect_ours_first(header, "c++17", only=False)
        for header in headers:
            arch = pathlib.PurePath(header).stem
            if header.startswith("arch/") and arch in ARCH_HEADERS and arch != machine:
                continue
            ret, _, stderr = compile_one(args.cxx, include, header, "c++20", tmp,
                                         ["-Wall", "-Wextra", "-Wpedantic", "-Werror"])
            if ret != 0 or stderr.strip():
                failures.append(f"<rawring/{header}> with -std=c++20 did not compile cleanly:\n"
                                f"{stderr}")
            else:
                print(f"ok: <rawring/{header}> with -std=c++20: no diagnostic")

    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
