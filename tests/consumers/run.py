#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds and runs one rawring consumer the way its users would, in a temporary directory.

usage: run.py --source-root DIR --meson MESON --cxx CXX [--syscall libc|raw] [--werror]
              [--cmake CMAKE] [--pkg-config PKG_CONFIG] [--make MAKE] [--nm NM] KIND

KIND is one of
  subproject  tests/consumers/subproject: a Meson project with subprojects/rawring.wrap and
              dependency('rawring'); rawring's source tree is put at subprojects/rawring, as a
              git submodule or an earlier download would have put it, so nothing is fetched.
  pkgconfig   tests/consumers/pkgconfig: a Makefile using `pkg-config rawring`, against a
              `meson install --destdir` tree of rawring (PKG_CONFIG_SYSROOT_DIR pointing there).
  cmake       tests/consumers/cmake: a CMake project using find_package(rawring), against the
              same kind of tree (CMAKE_PREFIX_PATH pointing there).
  freestanding
              tests/consumers/freestanding: a program with no libc and no C++ runtime (it is
              tests/freestanding/main.cpp, which calls copy_cqes), in a Meson project taking
              dependency('rawring') and dependency('rawring-freestanding') from the subproject
              configured with -Drawring:syscall=raw (whatever --syscall says), linked
              -nostdlib -static; tests/freestanding/check.py (with NM) then checks and runs it.
The first three build tests/consumers/main.cpp (a NOP and a file read) and run it. Exit status 0
when the consumer built, ran and printed its result, 77 when io_uring is unavailable, else 1.
"""
import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

EXPECTED = re.compile(r"^consumer: nop ok, read 17 bytes ok$", re.M)


class Failed(Exception):
    pass


def run(cmd, env=None, cwd=None):
    """Runs cmd, echoing it; its output is shown only when it fails. Returns its stdout."""
    print("+", " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    p = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout)
        sys.stdout.write(p.stderr)
        raise Failed(f"exit status {p.returncode}: {cmd[0]}")
    return p.stdout


def copy_project(args, kind, tmp, main=("tests", "consumers", "main.cpp")):
    proj = os.path.join(tmp, "project")
    here = os.path.join(args.source_root, "tests", "consumers")
    shutil.copytree(os.path.join(here, kind), proj, symlinks=True)
    shutil.copy(os.path.join(args.source_root, *main), os.path.join(proj, "main.cpp"))
    return proj


def build_env(args):
    env = dict(os.environ)
    env["CXX"] = " ".join(args.cxx)
    # The build under test may be instrumented; the consumers are ordinary builds.
    for var in ("CXXFLAGS", "LDFLAGS", "CPPFLAGS", "PKG_CONFIG_PATH"):
        env.pop(var, None)
    return env


def meson_options(args):
    opts = [f"-Dsyscall={args.syscall}"]
    if args.werror:
        opts.append("-Dwerror=true")
    return opts


def run_consumer(exe, tmp):
    env = dict(os.environ)
    env["TMPDIR"] = tmp
    print("+", exe, flush=True)
    p = subprocess.run([exe], env=env, capture_output=True, text=True)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    if p.returncode == 77:
        return 77
    if p.returncode != 0:
        raise Failed(f"the consumer exited with {p.returncode}")
    if not EXPECTED.search(p.stdout):
        raise Failed("the consumer did not print its result")
    return 0


def stage_install(args, tmp):
    """Configures, builds and installs rawring (prefix /usr) into tmp/stage, as a distribution
    package build would. Returns the stage directory."""
    build = os.path.join(tmp, "rawring-build")
    stage = os.path.join(tmp, "stage")
    env = build_env(args)
    run([*args.meson, "setup", build, args.source_root, "--prefix=/usr", "-Dtests=disabled",
         "-Dtools=disabled", *meson_options(args)], env=env)
    run([*args.meson, "compile", "-C", build], env=env)
    run([*args.meson, "install", "-C", build, "--destdir", stage, "--quiet"], env=env)
    return stage


def build_subproject(args, tmp, kind, syscall, main=("tests", "consumers", "main.cpp")):
    """Builds the consumer project KIND with rawring at subprojects/rawring; returns its build
    directory."""
    proj = copy_project(args, kind, tmp, main)
    os.symlink(args.source_root, os.path.join(proj, "subprojects", "rawring"))
    build = os.path.join(tmp, "build")
    env = build_env(args)
    # --force-fallback-for: use the subproject even if a rawring is installed on this machine.
    opts = [f"-Drawring:syscall={syscall}"] + (["-Dwerror=true"] if args.werror else [])
    run([*args.meson, "setup", build, proj, "--force-fallback-for=rawring", *opts], env=env)
    run([*args.meson, "compile", "-C", build], env=env)
    # As a subproject, rawring builds its libraries and nothing else: its tests and tools are
    # off. With the raw backend there are two: rawring and rawring-freestanding.
    libraries = {"rawring"} | ({"rawring-freestanding"} if syscall == "raw" else set())
    targets = json.loads(run([*args.meson, "introspect", "--targets", build], env=env))
    print("targets:", " ".join(sorted(t["name"] for t in targets)))
    sub = os.path.join(proj, "subprojects", "rawring") + os.sep
    names = {t["name"] for t in targets}
    extra = [t["name"] for t in targets
             if t["defined_in"].startswith(sub) and t["name"] not in libraries]
    if extra:
        raise Failed(f"rawring as a subproject built more than its libraries: {extra}")
    if not {"consumer"} | libraries <= names:
        raise Failed(f"the consumer or one of {sorted(libraries)} is missing from the build")
    return build


def subproject(args, tmp):
    build = build_subproject(args, tmp, "subproject", args.syscall)
    return run_consumer(os.path.join(build, "consumer"), tmp)


def freestanding(args, tmp):
    build = build_subproject(args, tmp, "freestanding", "raw",
                             main=("tests", "freestanding", "main.cpp"))
    check = os.path.join(args.source_root, "tests", "freestanding", "check.py")
    print("+ check.py", os.path.join(build, "consumer"), flush=True)
    return subprocess.run([sys.executable, check, "--nm", args.nm,
                           os.path.join(build, "consumer")]).returncode


def pkgconfig(args, tmp):
    stage = stage_install(args, tmp)
    pcs = glob.glob(os.path.join(stage, "**", "pkgconfig", "rawring.pc"), recursive=True)
    if len(pcs) != 1:
        raise Failed(f"expected one rawring.pc in the installed tree, found {pcs}")
    proj = copy_project(args, "pkgconfig", tmp)
    env = build_env(args)
    # Search only the staged tree, and prefix its paths with the stage (its .pc says /usr).
    env["PKG_CONFIG_LIBDIR"] = os.path.dirname(pcs[0])
    env["PKG_CONFIG_SYSROOT_DIR"] = stage
    cflags = run([args.pkg_config, "--cflags", "rawring"], env=env)
    if stage not in cflags:
        raise Failed(f"pkg-config's --cflags do not point into the installed tree: {cflags}")
    if args.syscall == "raw":
        # The raw backend also installs rawring-freestanding.pc (memset and friends, libgcc),
        # and the two, asked for in the README's order, come in the order a static link needs.
        libs = run([args.pkg_config, "--libs", "rawring", "rawring-freestanding"], env=env).split()
        order = [libs.index(f) if f in libs else -1
                 for f in ("-lrawring", "-lrawring-freestanding", "-lgcc")]
        if -1 in order or order != sorted(order):
            raise Failed(f"pkg-config --libs rawring rawring-freestanding: {' '.join(libs)}")
    run([args.make, "-C", proj, f"PKG_CONFIG={args.pkg_config}", "CXX=" + " ".join(args.cxx)],
        env=env)
    return run_consumer(os.path.join(proj, "consumer"), tmp)


def cmake(args, tmp):
    stage = stage_install(args, tmp)
    proj = copy_project(args, "cmake", tmp)
    build = os.path.join(tmp, "build")
    env = build_env(args)
    compiler = [f"-DCMAKE_CXX_COMPILER={args.cxx[-1]}"]
    if len(args.cxx) > 1:  # a launcher such as ccache in front of the compiler
        compiler.append(f"-DCMAKE_CXX_COMPILER_LAUNCHER={';'.join(args.cxx[:-1])}")
    run([args.cmake, "-S", proj, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_PREFIX_PATH={os.path.join(stage, 'usr')}", *compiler], env=env)
    cache = open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8").read()
    found = re.search(r"^rawring_DIR:PATH=(.*)$", cache, re.M)
    if not found or not found.group(1).startswith(stage):
        raise Failed(f"find_package(rawring) did not use the installed tree: {found and found.group(1)}")
    print("rawring_DIR:", found.group(1))
    run([args.cmake, "--build", build], env=env)
    return run_consumer(os.path.join(build, "consumer"), tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--meson", required=True, type=shlex.split)
    ap.add_argument("--cxx", required=True, type=shlex.split)
    ap.add_argument("--syscall", default="libc")
    ap.add_argument("--werror", action="store_true")
    ap.add_argument("--cmake")
    ap.add_argument("--pkg-config")
    ap.add_argument("--make")
    ap.add_argument("--nm")
    ap.add_argument("kind", choices=["subproject", "pkgconfig", "cmake", "freestanding"])
    args = ap.parse_args()
    args.source_root = os.path.abspath(args.source_root)

    needs = {"pkgconfig": ["pkg_config", "make"], "cmake": ["cmake"],
             "freestanding": ["nm"]}.get(args.kind, [])
    missing = [n.replace("_", "-") for n in needs if not getattr(args, n)]
    if missing:
        print(f"SKIP: {', '.join(missing)} not found")
        return 77

    tmp = tempfile.mkdtemp(prefix=f"rawring-consumer-{args.kind}-")
    try:
        kinds = {"subproject": subproject, "pkgconfig": pkgconfig, "cmake": cmake,
                 "freestanding": freestanding}
        return kinds[args.kind](args, tmp)
    except Failed as e:
        print(f"consumer-{args.kind}: FAILED: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
