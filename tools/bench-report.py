#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerates the measured tables of docs/performance.md: builds rawring-bench in four
configurations (gcc -O2 and -O3, libc and raw system-call backends), counts user-space
instructions and enters per op for every row with tools/bench-instructions.py, runs the time mode
on the chosen builds, and writes the tables as markdown.

usage: tools/bench-report.py [--prefix /tmp/bench] [--variants o2-libc,o2-raw,o3-libc,o3-raw]
                             [--time o2-libc] [--aa o2-libc] [--pairs 41] [--save results.json]
                             [--from results.json] [--update docs/performance.md]

  --prefix P     build directories are P-<variant>; a missing one is set up with meson (CXX from
                 the environment, default g++); each is compiled (target tools/rawring-bench) first
  --variants L   which builds to count instructions in (default all four)
  --time L       which builds to run the time mode in (default o2-libc; "none" for none)
  --aa L         which builds to run the A/A check in (the time mode with one library on both
                 sides, for liburing and for rawring: the method's noise floor; default none)
  --pairs N      time mode's chunk pairs per row (default 41)
  --save F       also write the raw results as JSON to F
  --from F       no measuring: regenerate the markdown from results saved with --save
  --update F     replace the text between <!-- bench-report:begin --> and <!-- bench-report:end -->
                 in F with the tables (default: print them on stdout)
Run from the source tree's top directory.
"""
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys

VARIANTS = {
    "o2-libc": ("debugoptimized", "libc", "gcc -O2 (buildtype=debugoptimized), libc backend"),
    "o2-raw": ("debugoptimized", "raw", "gcc -O2, raw backend (-Dsyscall=raw)"),
    "o3-libc": ("release", "libc", "gcc -O3 (buildtype=release), libc backend"),
    "o3-raw": ("release", "raw", "gcc -O3, raw backend"),
}

# The targets: (path, row filter, bound on rawring / liburing instructions per op).
TARGETS = [
    ("nop batch 1 (submit_and_wait + for_each)", lambda r: r.startswith("nop-for_each-b1-"), 0.85),
    ("nop batch 32 and 128 (submit_and_wait + for_each)",
     lambda r: r.startswith(("nop-for_each-b32-", "nop-for_each-b128-")), 0.80),
    ("copy_cqes vs peek_batch, batch 1", lambda r: r.startswith("nop-copy-b1-"), 1.00),
    ("4 KiB read, depth 1 and 32 (plain and fixed)", lambda r: r.startswith("read-"), 0.90),
    ("multishot recv over a buffer ring", lambda r: r.startswith("recv-"), 0.95),
]

BEGIN, END = "<!-- bench-report:begin -->", "<!-- bench-report:end -->"


def load_instructions_module():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("bench_instructions", os.path.join(here, "bench-instructions.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build(prefix, variant):
    d = f"{prefix}-{variant}"
    buildtype, syscall, _ = VARIANTS[variant]
    if not os.path.isdir(d):
        env = dict(os.environ)
        env.setdefault("CXX", "g++")
        subprocess.run(["meson", "setup", d, f"-Dbuildtype={buildtype}", f"-Dsyscall={syscall}",
                        "-Dtests=disabled", "-Dwerror=true"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["meson", "compile", "-C", d, "tools/rawring-bench"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(d, "tools", "rawring-bench")


def machine():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": platform.release(), "cpu": cpu, "cpus": os.cpu_count(),
        "gcc": out(["g++", "--version"]), "liburing": out(["pkg-config", "--modversion", "liburing"]),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def measure(args):
    inst = load_instructions_module()
    results = {"machine": machine(), "instructions": {}, "time": {}, "aa": {}, "pairs": args["pairs"]}
    needed = list(dict.fromkeys(args["variants"] + args["time"] + args["aa"]))
    benches = {v: build(args["prefix"], v) for v in needed}
    for v in args["variants"]:
        print(f"bench-report: instructions, {v}", file=sys.stderr, flush=True)
        results["instructions"][v] = inst.measure(benches[v])
    for v in args["time"]:
        print(f"bench-report: time, {v} (a few minutes)", file=sys.stderr, flush=True)
        run = subprocess.run([benches[v], "--json", "--pairs", str(args["pairs"])], capture_output=True,
                             text=True, check=True)
        results["time"][v] = json.loads(run.stdout)
    for v in args["aa"]:
        results["aa"][v] = {}
        for lib in ("liburing", "rawring"):
            print(f"bench-report: A/A check, {lib} against itself, {v} (a few minutes)", file=sys.stderr, flush=True)
            run = subprocess.run([benches[v], "--json", "--aa", lib, "--pairs", str(args["pairs"])],
                                 capture_output=True, text=True, check=True)
            results["aa"][v][lib] = json.loads(run.stdout)
    return results


def f3(x):
    return "-" if x is None else f"{x:.3f}"


def time_cell(t):
    if t is None:
        return "-"
    s = t["process"] if t["offloaded"] else t["thread"]
    core = f"{s['median']:.3f} [{s['q1']:.3f}-{s['q3']:.3f}]"
    if t["verdict"] == "within noise":
        return f"within noise ({core})"
    return core + (" (process CPU)" if t["offloaded"] else "")


def markdown(res):
    m = res["machine"]
    inst = res["instructions"]
    tim = res["time"]
    variants = [v for v in VARIANTS if v in inst]
    rows = [r["row"] for r in inst[variants[0]]] if variants else []
    by = {v: {r["row"]: r for r in inst[v]} for v in variants}
    tby = {v: {r["row"]: r for r in tim[v]["rows"]} for v in tim}
    out = [BEGIN,
           f"<!-- generated by tools/bench-report.py; regenerate, do not edit by hand -->",
           "",
           f"Measured {m['date']} on Linux {m['kernel']}, {m['cpu']}, {m['cpus']} CPUs (load average "
           f"{m['load']} at the start), {m['gcc']}, liburing {m['liburing']} (static). Time mode: "
           f"{res['pairs']} pairs of ~30 ms chunks per row, pinned to one CPU.",
           ""]

    out += ["### Issue 14's targets (user-space instructions per op, rawring / liburing, worst row)", "",
            "| path | target | " + " | ".join(variants) + " |",
            "|---|---|" + "---|" * len(variants)]
    for name, pick, bound in TARGETS:
        cells = []
        for v in variants:
            rs = [r for r in inst[v] if pick(r["row"]) and r["ratio"] is not None]
            if not rs:
                cells.append("-")
                continue
            worst = max(r["ratio"] for r in rs)
            cells.append(f"{worst:.3f} " + ("met" if worst <= bound else "**not met**"))
        out.append(f"| {name} | <= {bound:.2f} | " + " | ".join(cells) + " |")
    cells = []
    for v in variants:
        more = [r["row"] for r in inst[v] if r.get("enters_rawring") is not None
                and r.get("enters_liburing") is not None and r["enters_rawring"] > r["enters_liburing"] + 1e-9]
        cells.append("met" if not more else "**not met**: " + ", ".join(more))
    out.append("| enters per op never above liburing's | - | " + " | ".join(cells) + " |")
    for v in tim:
        worse = [r["row"] for r in tim[v]["rows"] if r["verdict"] == "rawring slower"]
        out.append(f"| time: no row worse than liburing beyond noise ({v}) | - | "
                   + ("met" if not worse else "**not met**: " + ", ".join(worse))
                   + " |" + " |" * (len(variants) - 1))
    out.append("")

    out += ["### Every row: instructions per op (rawring / liburing = ratio), enters per op, time ratio", "",
            "| row | " + " | ".join(f"instructions {v}" for v in variants)
            + " | enters/op rawring / liburing | " + " | ".join(f"time {v}" for v in tim) + " |",
            "|---|" + "---|" * (len(variants) + 1 + len(tim))]
    for row in rows:
        cells = []
        for v in variants:
            r = by[v].get(row)
            if r is None or r["ratio"] is None:
                cells.append("-")
            else:
                cells.append(f"{r['rawring']:.1f} / {r['liburing']:.1f} = {r['ratio']:.3f}")
        r0 = by[variants[0]][row]
        ent = f"{f3(r0.get('enters_rawring'))} / {f3(r0.get('enters_liburing'))}"
        tcells = [time_cell(tby[v].get(row)) for v in tim]
        out.append(f"| {row} | " + " | ".join(cells) + f" | {ent} | " + " | ".join(tcells) + " |")
    out.append("")

    for v in tim:
        out += [f"### Time, {VARIANTS[v][2]}", "",
                "| row | rawring ns/op | liburing ns/op | ratio thread CPU [IQR] | verdict | 95 % CI of the median "
                "| ratio wall [IQR] | enters/op (native) | chunk ops |",
                "|---|---|---|---|---|---|---|---|---|"]
        for r in tim[v]["rows"]:
            s = r["sides"]
            a, b = s.get("rawring", {}), s.get("liburing", {})
            if "thread" not in r or a.get("error") or b.get("error"):
                out.append(f"| {r['row']} | error {a.get('error')} | error {b.get('error')} | | | | | | |")
                continue
            t, w = (r["process"] if r["offloaded"] else r["thread"]), r["wall"]
            out.append(f"| {r['row']} | {a['thread_ns']:.1f} | {b['thread_ns']:.1f} | "
                       f"{t['median']:.3f} [{t['q1']:.3f}-{t['q3']:.3f}]{' (process CPU)' if r['offloaded'] else ''} | "
                       f"{r['verdict']} | {t['lo95']:.3f}-{t['hi95']:.3f} | "
                       f"{w['median']:.3f} [{w['q1']:.3f}-{w['q3']:.3f}] | "
                       f"{a['enters_per_op']:.3f} / {b['enters_per_op']:.3f} | {r['chunk_ops']} |")
        out.append("")
    for v, libs in res.get("aa", {}).items():
        names = [lib for lib in ("liburing", "rawring") if lib in libs]
        rows_aa = {lib: {r["row"]: r for r in libs[lib]["rows"]} for lib in names}
        out += [f"### A/A check, {VARIANTS[v][2]}: one library on both sides", ""]
        for lib in names:
            rs = [r for r in libs[lib]["rows"] if "thread" in r]
            within = sum(r["verdict"] == "within noise" for r in rs)
            drift = max(abs(r["thread"]["median"] - 1) for r in rs) if rs else 0
            ci_off = sum(not (r["thread"]["lo95"] <= 1 <= r["thread"]["hi95"]) for r in rs)
            out.append(f"- {lib} against {lib}: {within} of {len(rs)} rows within noise; medians at most "
                       f"{100 * drift:.1f} % from 1.000; the 95 % interval of the median misses 1.000 in "
                       f"{ci_off} rows.")
        out += ["", "| row | " + " | ".join(f"{lib} / {lib} [IQR]" for lib in names) + " |",
                "|---|" + "---|" * len(names)]
        for row in rows_aa[names[0]] if names else []:
            cells = []
            for lib in names:
                r = rows_aa[lib].get(row)
                t = r and r.get("thread")
                cells.append("-" if not t else f"{t['median']:.3f} [{t['q1']:.3f}-{t['q3']:.3f}] {r['verdict']}")
            out.append(f"| {row} | " + " | ".join(cells) + " |")
        out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def main(argv):
    args = {"prefix": "/tmp/bench", "variants": list(VARIANTS), "time": ["o2-libc"], "aa": [], "pairs": 41,
            "save": None, "from": None, "update": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__)
            return 0
        if i + 1 >= len(argv) or a[2:] not in args:
            print(__doc__, file=sys.stderr)
            return 2
        key, val = a[2:], argv[i + 1]
        if key in ("variants", "time", "aa"):
            args[key] = [] if val == "none" else val.split(",")
            if any(v not in VARIANTS for v in args[key]):
                print(f"bench-report: unknown variant in {val}", file=sys.stderr)
                return 2
        elif key == "pairs":
            args[key] = int(val)
        else:
            args[key] = val
        i += 2
    if args["from"]:
        with open(args["from"]) as f:
            res = json.load(f)
    else:
        res = measure(args)
    if args["save"]:
        with open(args["save"], "w") as f:
            json.dump(res, f, indent=1)
    text = markdown(res)
    if args["update"]:
        with open(args["update"]) as f:
            doc = f.read()
        if BEGIN not in doc or END not in doc:
            print(f"bench-report: {args['update']} has no {BEGIN} ... {END} block", file=sys.stderr)
            return 1
        start, end = doc.index(BEGIN), doc.index(END) + len(END)
        with open(args["update"], "w") as f:
            f.write(doc[:start] + text.rstrip("\n") + doc[end:])
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
