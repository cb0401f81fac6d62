#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test `fix-freestanding-name-collision`: a freestanding program whose own source is named
freestanding.cpp, like rawring's src/freestanding.cpp, built both ways the project offers.

usage: collision.py --source-root DIR --nm NM [--werror] -- CXX...

1. README.md's recipe, the ```sh block after '<!-- freestanding-recipe -->', run with sh -e in
   an empty directory as it stands: only its RAWRING= and CXX= lines get this tree and CXX, and
   the program's file is freestanding.cpp (the recipe's app.cpp, app.o and app renamed).
2. tests/freestanding/build.py --app freestanding.cpp.
Each program (tests/freestanding/main.cpp under that name) is then checked and run by
tests/freestanding/check.py. A recipe that names objects by source basename in one directory
lets one freestanding.o replace the other, and the link fails (no _start, or no memcpy).
Exit status 0 when both built and passed, 77 when io_uring is unavailable, else 1.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

MARKER = "<!-- freestanding-recipe -->"


def readme_recipe(readme):
    """The shell block after MARKER in README.md, or raises ValueError."""
    lines = open(readme, encoding="utf-8").read().splitlines()
    if MARKER not in lines:
        raise ValueError(f"{readme}: no '{MARKER}' marker")
    start = lines.index(MARKER)
    if start + 1 >= len(lines) or lines[start + 1].strip() != "```sh":
        raise ValueError(f"{readme}: the marker must be followed by a ```sh block")
    body = []
    for line in lines[start + 2:]:
        if line.strip() == "```":
            return "\n".join(body) + "\n"
        body.append(line)
    raise ValueError(f"{readme}: the recipe block is not closed")


def adapt(recipe, root, cxx):
    """The recipe with this tree, this compiler and the program in freestanding.cpp."""
    for var, value in (("RAWRING", root), ("CXX", cxx)):
        recipe, n = re.subn(rf"^{var}=.*$", f"{var}={shlex.quote(value)}", recipe, flags=re.M)
        if n != 1:
            raise ValueError(f"the recipe must set {var}= on a line of its own, once")
    recipe, n = re.subn(r"\bapp\b", "freestanding", recipe)
    if n == 0:
        raise ValueError("the recipe does not name the program app.cpp")
    return recipe


def check(args, prog):
    cmd = [sys.executable, os.path.join(args.source_root, "tests", "freestanding", "check.py"),
           "--nm", args.nm, prog]
    return subprocess.run(cmd).returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--werror", action="store_true")
    ap.add_argument("cxx", nargs="+")
    args = ap.parse_args()
    args.source_root = os.path.abspath(args.source_root)
    main_cpp = os.path.join(args.source_root, "tests", "freestanding", "main.cpp")

    results = []
    with tempfile.TemporaryDirectory(prefix="rawring-freestanding-collision-") as tmp:
        # 1. The README's recipe.
        work = os.path.join(tmp, "recipe")
        os.mkdir(work)
        shutil.copy(main_cpp, os.path.join(work, "freestanding.cpp"))
        try:
            recipe = adapt(readme_recipe(os.path.join(args.source_root, "README.md")),
                           args.source_root, " ".join(args.cxx))
        except ValueError as e:
            print("FAILED:", e)
            return 1
        print("README recipe, the program in freestanding.cpp:\n" + recipe, flush=True)
        if subprocess.run(["sh", "-e", "-x", "-c", recipe], cwd=work).returncode != 0:
            print("FAILED: the README's recipe did not build the program")
            results.append(1)
        else:
            results.append(check(args, os.path.join(work, "freestanding")))

        # 2. build.py, which the tests `freestanding` and .ci/cross use.
        src = os.path.join(tmp, "freestanding.cpp")
        shutil.copy(main_cpp, src)
        prog = os.path.join(tmp, "build-py", "freestanding")
        cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "build.py"),
               "--source-root", args.source_root, "--out", prog, "--app", src]
        if args.werror:
            cmd.append("--werror")
        print("+", " ".join(cmd + ["--"] + args.cxx), flush=True)
        if subprocess.run(cmd + ["--"] + args.cxx).returncode != 0:
            print("FAILED: build.py --app freestanding.cpp did not build the program")
            results.append(1)
        else:
            results.append(check(args, prog))

    if any(r not in (0, 77) for r in results):
        return 1
    return 77 if 77 in results else 0


if __name__ == "__main__":
    sys.exit(main())
