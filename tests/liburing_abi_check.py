#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""liburing-abi-c: rawring's liburing face, compiled as C and as older C++, against rawring::abi.

usage: liburing_abi_check.py --exe LIBURING_ABI --face DIR --probe liburing_abi_c.c [-- CXX...]

LIBURING_ABI --print gives rawring::abi's facts (liburing_abi_list.h: sizes, alignments, member
offsets/sizes/signedness, constant values, which constants are macros). The probe
(liburing_abi_c.c, which is C and C++ at once) prints the same facts as a given compiler lays out
the face. It is built and run with gcc and clang for C99, C11, C17 and C23, and with g++, clang++
and the build's C++ compiler for C++11 to C++23, each with -Wall -Wextra -pedantic -Werror at -O2,
and every fact must equal rawring::abi's. Each face header must also compile on its own, and
liburing/io_uring.h must shut out a later <linux/io_uring.h> (they share the include guard).
A compiler missing from PATH, or a standard a compiler does not know, is skipped and said so.
"""
import argparse
import concurrent.futures
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

C_STDS = [["c99"], ["c11"], ["c17"], ["c23", "c2x"]]
CXX_STDS = [["c++11"], ["c++14"], ["c++17"], ["c++20"], ["c++23", "c++2b"]]
WARN = ["-Wall", "-Wextra", "-pedantic", "-Werror"]
HEADERS = ["liburing/io_uring.h", "liburing/barrier.h", "liburing/compat.h",
           "liburing/io_uring_version.h"]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def identity(cmd):
    """The real program behind a compiler command, to run each compiler once."""
    path = shutil.which(cmd[-1])
    return (tuple(cmd[:-1]), os.path.realpath(path)) if path else None


def compilers(lang, extra):
    """[(label, cmd)] for the compilers of one language that are here, each once."""
    wanted = [["gcc"], ["clang"]] if lang == "c" else [extra, ["g++"], ["clang++"]]
    seen, found = set(), []
    for cmd in wanted:
        if not cmd:
            continue
        ident = identity(cmd)
        if ident is None or ident in seen:
            continue
        seen.add(ident)
        found.append((" ".join(cmd), cmd))
    return found


def pick_std(cmd, lang, names, tmp):
    """The first spelling of a standard the compiler takes, or None."""
    src = pathlib.Path(tmp) / ("empty." + ("c" if lang == "c" else "cpp"))
    src.write_text("int main(void) { return 0; }\n")
    for name in names:
        if run(cmd + ["-x", lang, "-std=" + name, "-fsyntax-only", str(src)]).returncode == 0:
            return name
    return None


def parse_facts(text):
    facts = {}
    for line in text.splitlines():
        kind, name, value = line.split(" ")
        facts[kind + " " + name] = int(value)
    return facts


def check_probe(job, args, abi, tmp):
    label, cmd, lang, std = job
    exe = pathlib.Path(tmp) / ("probe-%s-%s" % (label.replace(" ", "_").replace("/", "_"), std))
    build = run(cmd + ["-x", lang, "-std=" + std, "-O2"] + WARN +
                ["-I", args.face, "-I", str(pathlib.Path(args.probe).parent), args.probe,
                 "-o", str(exe)])
    if build.returncode != 0:
        return False, "does not compile:\n" + build.stderr
    out = run([str(exe)])
    if out.returncode != 0:
        return False, "probe exited %d: %s" % (out.returncode, out.stderr.strip())
    face = parse_facts(out.stdout)
    problems = []
    for key in sorted(set(abi) | set(face)):
        if key not in face:
            problems.append("%s: missing from the probe" % key)
        elif key not in abi:
            problems.append("%s: not in rawring::abi's list" % key)
        elif abi[key] != face[key]:
            problems.append("%s: rawring::abi %d, face %d" % (key, abi[key], face[key]))
    if problems:
        shown = "\n".join("  " + p for p in problems[:20])
        more = "\n  ... and %d more" % (len(problems) - 20) if len(problems) > 20 else ""
        return False, "%d of %d facts differ:\n%s%s" % (len(problems), len(abi), shown, more)
    return True, "%d facts" % len(face)


def check_header(job, index, args, tmp):
    label, cmd, lang, std, source = job
    src = pathlib.Path(tmp) / ("header-%d.%s" % (index, "c" if lang == "c" else "cpp"))
    src.write_text(source + "int main(void) { return 0; }\n")
    build = run(cmd + ["-x", lang, "-std=" + std] + WARN + ["-I", args.face, "-fsyntax-only",
                                                             str(src)])
    if build.returncode != 0:
        return False, "does not compile:\n" + build.stderr
    return True, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--face", required=True)
    ap.add_argument("--probe", required=True)
    ap.add_argument("cxx", nargs="*", help="the build's C++ compiler command")
    args = ap.parse_args()

    printed = run([args.exe, "--print"])
    if printed.returncode != 0:
        print("FAIL: %s --print exited %d\n%s" % (args.exe, printed.returncode, printed.stderr))
        return 1
    abi = parse_facts(printed.stdout)

    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory() as tmp:
        probes, headers = [], []
        for lang, stds in (("c", C_STDS), ("c++", CXX_STDS)):
            found = compilers(lang, args.cxx)
            if not found:
                print("SKIP: no %s compiler on PATH" % ("C" if lang == "c" else "C++"))
                skipped += 1
            for label, cmd in found:
                for names in stds:
                    std = pick_std(cmd, lang, names, tmp)
                    if std is None:
                        print("SKIP: %s knows no -std=%s" % (label, "/".join(names)))
                        skipped += 1
                        continue
                    probes.append((label, cmd, lang, std))
                    if names[0] in ("c99", "c11", "c++11", "c++17"):
                        for h in HEADERS:
                            headers.append((label, cmd, lang, std, "#include <%s>\n" % h))
                        headers.append((label, cmd, lang, std,
                                        "#include <liburing/io_uring.h>\n"
                                        "#include <linux/io_uring.h>\n"))

        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
            results = [(("probe", j), pool.submit(check_probe, j, args, abi, tmp))
                       for j in probes]
            results += [(("header", j), pool.submit(check_header, j, i, args, tmp))
                        for i, j in enumerate(headers)]
            for (what, job), future in results:
                ok, detail = future.result()
                label, _, lang, std = job[:4]
                name = "%s -x %s -std=%s" % (label, lang, std)
                if what == "header":
                    name += ": " + job[4].strip().replace("\n", " then ")
                else:
                    name += ": probe"
                if ok:
                    passed += 1
                    print("ok   %s%s" % (name, " (%s)" % detail if detail else ""))
                else:
                    failed += 1
                    print("FAIL %s: %s" % (name, detail))

    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if failed:
        return 1
    return 0 if passed else 77


if __name__ == "__main__":
    sys.exit(main())
