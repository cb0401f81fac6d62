#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""User-space instructions per operation of rawring::loop and of the bare ring, counted with callgrind.

This machine has no hardware counters, so valgrind's callgrind counts the instructions: exactly
and repeatably. Each side and workload runs at two op counts; the difference divided by the
difference in ops is the cost of one more operation, with set-up, warm-up and teardown cancelled.
Workloads: nop at each batch (default 1, 8, 32) and pipe (a 64-byte write + read per round).

With --attribute, the loop's and the ring's per-op cost is also split by function (the same
difference, taken per function from callgrind_annotate's exclusive counts), so what the loop adds
can be read off function by function.

usage: tools/loop-bench-instructions.py BUILD_DIR/tools/rawring-loop-bench
           [--batches 1,8,32] [--no-pipe] [--attribute] [--top N] [--json]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

LOW, HIGH = 2048, 6144
PIPE_LOW, PIPE_HIGH = 1024, 3072


def callgrind(bench, args, want_functions):
    """Total instructions of one run and, if asked, exclusive instructions per function."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", bench] + args
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stderr[-2000:]}")
        m = re.search(r"Collected\s*:\s*(\d+)", run.stderr) or re.search(r"refs:\s*([\d,]+)", run.stderr)
        if not m:
            raise SystemExit(f"no instruction count in callgrind's output:\n{run.stderr[-2000:]}")
        total = int(m.group(1).replace(",", ""))
        functions = {}
        if want_functions:
            ann = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", "--auto=no", out],
                                 capture_output=True, text=True)
            in_table = False
            for line in ann.stdout.splitlines():
                if re.search(r"\bfile:function\b", line):
                    in_table = True
                    continue
                if not in_table:
                    continue
                fm = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
                if not fm or ":" not in fm.group(2) or fm.group(2).startswith("=>"):
                    continue
                name = fm.group(2).split(":", 1)[1].strip()
                name = re.sub(r"\s*\[[^\]]*\]$", "", name)
                functions[name] = functions.get(name, 0) + int(fm.group(1).replace(",", ""))
        return total, functions


def per_op(bench, workload, side, batch, want_functions):
    low, high = (PIPE_LOW, PIPE_HIGH) if workload == "pipe" else (LOW, HIGH)
    base = [workload, "--only", side]
    if workload == "nop":
        base += ["--batch", str(batch)]
    t_low, f_low = callgrind(bench, base + ["--ops", str(low)], want_functions)
    t_high, f_high = callgrind(bench, base + ["--ops", str(high)], want_functions)
    funcs = {}
    for name in set(f_low) | set(f_high):
        d = (f_high.get(name, 0) - f_low.get(name, 0)) / (high - low)
        if abs(d) >= 0.05:
            funcs[name] = round(d, 2)
    return round((t_high - t_low) / (high - low), 1), funcs


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    bench = argv[0]
    batches = [1, 8, 32]
    as_json = "--json" in argv
    attribute = "--attribute" in argv
    top = 12
    if "--batches" in argv:
        batches = [int(b) for b in argv[argv.index("--batches") + 1].split(",")]
    if "--top" in argv:
        top = int(argv[argv.index("--top") + 1])
    cases = [("nop", b) for b in batches]
    if "--no-pipe" not in argv:
        cases.append(("pipe", 1))
    rows = []
    for workload, batch in cases:
        row = {"workload": workload, "batch": batch if workload == "nop" else None}
        funcs = {}
        for side in ("loop", "ring"):
            row[side], funcs[side] = per_op(bench, workload, side, batch, attribute)
        row["added"] = round(row["loop"] - row["ring"], 1)
        unit = "op" if workload == "nop" else "round"
        if attribute:
            names = set(funcs["loop"]) | set(funcs["ring"])
            diff = {n: round(funcs["loop"].get(n, 0) - funcs["ring"].get(n, 0), 2) for n in names}
            row["by_function"] = {
                n: {"loop": funcs["loop"].get(n, 0), "ring": funcs["ring"].get(n, 0), "added": diff[n]}
                for n in sorted(names, key=lambda n: -abs(diff[n]))}
        rows.append(row)
        if not as_json:
            what = f"nop batch {batch:3}" if workload == "nop" else "pipe         "
            print(f"{what}: loop {row['loop']:7.1f}  ring {row['ring']:7.1f}  "
                  f"instructions/{unit}  (loop adds {row['added']:.1f})", flush=True)
            if attribute:
                print(f"    {'loop':>8} {'ring':>8} {'added':>8}  function (exclusive instructions/{unit})")
                for n, v in list(row["by_function"].items())[:top]:
                    print(f"    {v['loop']:8.2f} {v['ring']:8.2f} {v['added']:8.2f}  {n}")
    if as_json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
