#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds and runs one rawring consumer the way its users would, in a temporary directory.

usage: run.py --source-root DIR --meson MESON --cxx CXX [--cc CC] [--syscall libc|raw] [--werror]
              [--cmake CMAKE] [--pkg-config PKG_CONFIG] [--make MAKE] [--nm NM]
              [--stage-build DIR] KIND

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
  liburing-subproject, liburing-pkgconfig, liburing-cmake
              tests/consumers/liburing-<kind>: the same three ways, for rawring's liburing face
              (dependency('rawring-liburing'), `pkg-config rawring-liburing`, the CMake target
              rawring::liburing; the Meson and the CMake project (configured a second time with
              -DCONSUMER_C_ONLY=ON) are C projects), with CC for the C program.
The first three build tests/consumers/main.cpp (a NOP and a file read) and run it. The liburing
kinds build tests/consumers/liburing.c three times: as C11, as C++17 (librawring-liburing's
functions) and as C++20 (the face's inline definitions), run each and check it names the build
it expects (LIBURING_PROGRAMS). Exit status 0 when the consumers built, ran and printed their
results, 77 when io_uring is unavailable, else 1.
"""
import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

EXPECTED = re.compile(r"^consumer: nop ok, read 17 bytes ok$", re.M)

# The liburing consumers' programs, each with the first line it prints: its language and whether
# liburing.h gave it the library's functions or its own inline definitions.
LIBURING_PROGRAMS = {
    "consumer-c": "liburing consumer: c11, library",
    "consumer-cxx17": "liburing consumer: c++17, library",
    "consumer-cxx20": "liburing consumer: c++20, inline",
}
LIBURING_EXPECTED = re.compile(r"^liburing consumer: nop ok, write 19 bytes ok, probe ok$", re.M)
# One C source, copied under both names: the C++ programs are built from liburing.cpp.
LIBURING_SOURCES = {"liburing.c": ("tests", "consumers", "liburing.c"),
                    "liburing.cpp": ("tests", "consumers", "liburing.c")}
# Symbols of the C++ runtime (libstdc++/libc++abi, the unwinder), which a C program linked with
# the C compiler does not get.
CXX_RUNTIME = re.compile(r"^(_Z|__cxa_|__gxx_|_Unwind_)")


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


def copy_project(args, kind, tmp, main=("tests", "consumers", "main.cpp"), sources=None):
    """Copies the consumer project KIND to tmp/project with its sources (by default MAIN as
    main.cpp; else SOURCES, a name -> source path map). Returns the project directory."""
    proj = os.path.join(tmp, "project")
    here = os.path.join(args.source_root, "tests", "consumers")
    shutil.copytree(os.path.join(here, kind), proj, symlinks=True)
    for name, source in (sources or {"main.cpp": main}).items():
        shutil.copy(os.path.join(args.source_root, *source), os.path.join(proj, name))
    return proj


def build_env(args):
    env = dict(os.environ)
    env["CXX"] = " ".join(args.cxx)
    if args.cc:
        env["CC"] = " ".join(args.cc)
    # The build under test may be instrumented; the consumers are ordinary builds.
    for var in ("CFLAGS", "CXXFLAGS", "LDFLAGS", "CPPFLAGS", "PKG_CONFIG_PATH"):
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


def run_liburing_consumers(directory, tmp, programs=tuple(LIBURING_PROGRAMS)):
    """Runs the liburing consumers' PROGRAMS in DIRECTORY; each must print the first line
    LIBURING_PROGRAMS gives it and its result. Returns 0, or 77 when io_uring is unavailable."""
    env = dict(os.environ)
    env["TMPDIR"] = tmp
    for name in programs:
        first = LIBURING_PROGRAMS[name]
        exe = os.path.join(directory, name)
        if not os.path.exists(exe):
            raise Failed(f"{name} was not built")
        print("+", exe, flush=True)
        p = subprocess.run([exe], env=env, capture_output=True, text=True)
        sys.stdout.write(p.stdout)
        sys.stdout.write(p.stderr)
        if p.returncode == 77:
            return 77
        if p.returncode != 0:
            raise Failed(f"{name} exited with {p.returncode}")
        if p.stdout.splitlines()[:1] != [first]:
            raise Failed(f"{name} is not the build it should be: expected {first!r} first")
        if not LIBURING_EXPECTED.search(p.stdout):
            raise Failed(f"{name} did not print its result")
    return 0


def check_no_cxx_runtime(nm, archives):
    """The static libraries, linked into a C program with the C compiler, need nothing from the
    C++ runtime: no symbol they leave undefined among themselves is one of its."""
    defined, undefined = set(), set()
    for archive in archives:
        out = run([nm, "-g", "--defined-only", archive])
        defined |= {line.split()[-1] for line in out.splitlines() if len(line.split()) == 3}
        out = run([nm, "-u", archive])
        undefined |= {line.split()[-1] for line in out.splitlines() if len(line.split()) == 2}
    outside = sorted(undefined - defined)
    print("symbols from outside:", " ".join(outside))
    runtime = [s for s in outside if CXX_RUNTIME.match(s)]
    if runtime:
        raise Failed(f"the libraries need the C++ runtime: {' '.join(runtime)}")


def stage_install(args, tmp):
    """Configures, builds and installs rawring (prefix /usr) into tmp/stage, as a distribution
    package build would. Returns the stage directory.

    With --stage-build DIR the build directory is kept there (one per setup command and
    compilers) and shared, under a lock, by the consumers that install rawring: the first builds
    the library, the others rebuild only what changed since and install into their own stage."""
    stage = os.path.join(tmp, "stage")
    env = build_env(args)
    setup = ["--prefix=/usr", "-Dtests=disabled", "-Dtools=disabled", *meson_options(args)]
    if not args.stage_build:
        build = os.path.join(tmp, "rawring-build")
        run([*args.meson, "setup", build, args.source_root, *setup], env=env)
        run([*args.meson, "compile", "-C", build], env=env)
        run([*args.meson, "install", "-C", build, "--destdir", stage, "--quiet"], env=env)
        return stage
    key = hashlib.sha1(json.dumps([args.source_root, setup, env.get("CXX"), env.get("CC")]).encode()).hexdigest()[:12]
    build = f"{args.stage_build}-{key}"
    os.makedirs(os.path.dirname(build) or ".", exist_ok=True)
    with open(build + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(build, "build.ninja")):
            shutil.rmtree(build, ignore_errors=True)  # a setup that failed half way
            run([*args.meson, "setup", build, args.source_root, *setup], env=env)
        run([*args.meson, "compile", "-C", build], env=env)
        run([*args.meson, "install", "-C", build, "--destdir", stage, "--quiet"], env=env)
    return stage


def build_subproject(args, tmp, kind, syscall, main=("tests", "consumers", "main.cpp"),
                     sources=None, programs=("consumer",)):
    """Builds the consumer project KIND with rawring at subprojects/rawring; returns its build
    directory."""
    proj = copy_project(args, kind, tmp, main, sources)
    os.symlink(args.source_root, os.path.join(proj, "subprojects", "rawring"))
    build = os.path.join(tmp, "build")
    env = build_env(args)
    # --force-fallback-for: use the subproject even if a rawring is installed on this machine.
    opts = [f"-Drawring:syscall={syscall}"] + (["-Dwerror=true"] if args.werror else [])
    run([*args.meson, "setup", build, proj, "--force-fallback-for=rawring", *opts], env=env)
    run([*args.meson, "compile", "-C", build], env=env)
    # As a subproject, rawring builds its libraries and nothing else: its tests and tools are
    # off. There are rawring, rawring-liburing, rawring-mock and rawring-loop, and with the raw
    # backend rawring-freestanding.
    libraries = {"rawring", "rawring-liburing", "rawring-mock", "rawring-loop"} | (
        {"rawring-freestanding"} if syscall == "raw" else set())
    targets = json.loads(run([*args.meson, "introspect", "--targets", build], env=env))
    print("targets:", " ".join(sorted(t["name"] for t in targets)))
    sub = os.path.join(proj, "subprojects", "rawring") + os.sep
    names = {t["name"] for t in targets}
    extra = [t["name"] for t in targets
             if t["defined_in"].startswith(sub) and t["name"] not in libraries]
    if extra:
        raise Failed(f"rawring as a subproject built more than its libraries: {extra}")
    if not set(programs) | libraries <= names:
        raise Failed(f"one of {sorted(programs)} or {sorted(libraries)} is missing from the build")
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


def cmake_configure_build(args, stage, proj, build, languages=("CXX",), options=()):
    """Configures PROJ (whose languages are LANGUAGES) against the installed tree STAGE in
    BUILD, checks find_package(rawring) took the package from there, and builds it."""
    env = build_env(args)
    compiler = []
    for lang in languages:
        cmd = {"CXX": args.cxx, "C": args.cc}[lang]
        compiler.append(f"-DCMAKE_{lang}_COMPILER={cmd[-1]}")
        if len(cmd) > 1:  # a launcher such as ccache in front of the compiler
            compiler.append(f"-DCMAKE_{lang}_COMPILER_LAUNCHER={';'.join(cmd[:-1])}")
    run([args.cmake, "-S", proj, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_PREFIX_PATH={os.path.join(stage, 'usr')}", *compiler, *options], env=env)
    cache = open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8").read()
    found = re.search(r"^rawring_DIR:PATH=(.*)$", cache, re.M)
    if not found or not found.group(1).startswith(stage):
        raise Failed(f"find_package(rawring) did not use the installed tree: {found and found.group(1)}")
    print("rawring_DIR:", found.group(1))
    run([args.cmake, "--build", build], env=env)


def cmake(args, tmp):
    stage = stage_install(args, tmp)
    proj = copy_project(args, "cmake", tmp)
    build = os.path.join(tmp, "build")
    cmake_configure_build(args, stage, proj, build)
    return run_consumer(os.path.join(build, "consumer"), tmp)


def liburing_subproject(args, tmp):
    build = build_subproject(args, tmp, "liburing-subproject", args.syscall,
                             sources=LIBURING_SOURCES, programs=tuple(LIBURING_PROGRAMS))
    return run_liburing_consumers(build, tmp)


def liburing_pkgconfig(args, tmp):
    stage = stage_install(args, tmp)
    pcs = glob.glob(os.path.join(stage, "**", "pkgconfig", "rawring-liburing.pc"), recursive=True)
    if len(pcs) != 1:
        raise Failed(f"expected one rawring-liburing.pc in the installed tree, found {pcs}")
    proj = copy_project(args, "liburing-pkgconfig", tmp, sources=LIBURING_SOURCES)
    env = build_env(args)
    env["PKG_CONFIG_LIBDIR"] = os.path.dirname(pcs[0])
    env["PKG_CONFIG_SYSROOT_DIR"] = stage
    # The face's directory, then rawring's: <liburing.h> is rawring's, <rawring/...> found too.
    include = os.path.join(stage, "usr", "include")
    cflags = run([args.pkg_config, "--cflags", "rawring-liburing"], env=env).split()
    want = ["-I" + os.path.join(include, "rawring", "liburing"), "-I" + include]
    if [f for f in cflags if f in want] != want:
        raise Failed(f"pkg-config --cflags rawring-liburing: {' '.join(cflags)}")
    # rawring is a public requirement: even without --static both libraries come, in the order
    # a static link needs.
    libs = run([args.pkg_config, "--libs", "rawring-liburing"], env=env).split()
    if [f for f in libs if f in ("-lrawring-liburing", "-lrawring")] != \
            ["-lrawring-liburing", "-lrawring"]:
        raise Failed(f"pkg-config --libs rawring-liburing: {' '.join(libs)}")
    libdir = os.path.dirname(os.path.dirname(pcs[0]))
    archives = [os.path.join(libdir, f"lib{n}.a") for n in ("rawring-liburing", "rawring")]
    if args.nm and all(os.path.exists(a) for a in archives):
        check_no_cxx_runtime(args.nm, archives)
    make = [args.make, "-C", proj, f"PKG_CONFIG={args.pkg_config}", "CC=" + " ".join(args.cc),
            "CXX=" + " ".join(args.cxx)]
    if args.werror:
        make += ["CFLAGS=-O2 -Wall -Wextra -Wpedantic -Werror",
                 "CXXFLAGS=-O2 -Wall -Wextra -Wpedantic -Werror"]
    run(make, env=env)
    return run_liburing_consumers(proj, tmp)


def liburing_cmake(args, tmp):
    stage = stage_install(args, tmp)
    proj = copy_project(args, "liburing-cmake", tmp, sources=LIBURING_SOURCES)
    # A project with C and C++ (all three programs), then a C project (the C program alone,
    # linked by the C compiler).
    for name, languages, options, programs in (
            ("build", ("C", "CXX"), [], tuple(LIBURING_PROGRAMS)),
            ("build-c", ("C",), ["-DCONSUMER_C_ONLY=ON"], ("consumer-c",))):
        build = os.path.join(tmp, name)
        cmake_configure_build(args, stage, proj, build, languages, options)
        ret = run_liburing_consumers(build, tmp, programs)
        if ret != 0:
            return ret
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--meson", required=True, type=shlex.split)
    ap.add_argument("--cxx", required=True, type=shlex.split)
    ap.add_argument("--cc", type=shlex.split)
    ap.add_argument("--syscall", default="libc")
    ap.add_argument("--werror", action="store_true")
    ap.add_argument("--cmake")
    ap.add_argument("--pkg-config")
    ap.add_argument("--make")
    ap.add_argument("--nm")
    ap.add_argument("--stage-build", help="share the installing consumers' rawring build (see stage_install)")
    kinds = {"subproject": subproject, "pkgconfig": pkgconfig, "cmake": cmake,
             "freestanding": freestanding, "liburing-subproject": liburing_subproject,
             "liburing-pkgconfig": liburing_pkgconfig, "liburing-cmake": liburing_cmake}
    ap.add_argument("kind", choices=list(kinds))
    args = ap.parse_args()
    args.source_root = os.path.abspath(args.source_root)

    needs = {"pkgconfig": ["pkg_config", "make"], "cmake": ["cmake"],
             "freestanding": ["nm"], "liburing-subproject": ["cc"],
             "liburing-pkgconfig": ["cc", "pkg_config", "make"],
             "liburing-cmake": ["cc", "cmake"]}.get(args.kind, [])
    missing = [n.replace("_", "-") for n in needs if not getattr(args, n)]
    if missing:
        print(f"SKIP: {', '.join('a C compiler' if n == 'cc' else n for n in missing)} not found")
        return 77

    tmp = tempfile.mkdtemp(prefix=f"rawring-consumer-{args.kind}-")
    try:
        return kinds[args.kind](args, tmp)
    except Failed as e:
        print(f"consumer-{args.kind}: FAILED: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
