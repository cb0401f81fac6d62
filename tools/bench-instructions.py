#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""User-space instructions and io_uring_enter calls per op, rawring beside liburing, for every
rawring-bench row, counted with callgrind.

This machine has no hardware counters (perf stat -e instructions:u says <not supported>), so
valgrind's callgrind counts the instructions instead: exactly and repeatably. The script runs
`rawring-bench --count` once under callgrind. For each row and library the bench sets up and warms
up the ring, then runs a block of LOW ops and one of HIGH ops, each between CALLGRIND_ZERO_STATS and
CALLGRIND_DUMP_STATS_AT; (instructions of the HIGH block - those of the LOW block) / (HIGH - LOW)
is the cost of one more op, with set-up, the filling and draining of a queue and the client
requests themselves cancelled out. Every user-space instruction of the process counts: the
library, libc's wrappers, the benchmark's own loop (the same for both libraries). Enters are
counted by the bench through the syscalls:sys_enter_io_uring_enter tracepoint around the same blocks.

usage: tools/bench-instructions.py BUILD_DIR/tools/rawring-bench [PATTERN...] [--low N] [--high N]
                                   [--json]
PATTERN selects rows as rawring-bench does (nop, read-d32, nop-b1-tuned, ...; --list shows them).
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile


def measure(bench, patterns=(), low=1024, high=3072):
    """Returns one dict per row: row, rawring, liburing (instructions per op), ratio
    (rawring / liburing), enters_rawring, enters_liburing (per op; None if unknown)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
               bench, "--count", "--low", str(low), "--high", str(high), *patterns]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stderr[-3000:]}")
        blocks = {}  # (row, side, ops) -> instructions
        for path in glob.glob(out + ".*"):
            desc = total = None
            with open(path) as f:
                for line in f:
                    if line.startswith("desc: Trigger: Client Request: rawring-bench "):
                        desc = line.split("rawring-bench ", 1)[1].split()
                    elif line.startswith("summary:") or (total is None and line.startswith("totals:")):
                        total = int(line.split()[1])
            if desc and total is not None:
                blocks[(desc[0], desc[1], int(desc[2]))] = total
        lines = [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit(f"{' '.join(cmd)} printed no rows:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    rows = {}
    for l in lines:
        r = rows.setdefault(l["row"], {"row": l["row"]})
        side = l["side"]
        if l["error"] != 0:
            r[side] = None
            r[f"error_{side}"] = l["error"]
            continue
        lo, hi = blocks.get((l["row"], side, l["low"])), blocks.get((l["row"], side, l["high"]))
        if lo is None or hi is None:
            raise SystemExit(f"no callgrind dump for {l['row']} {side}: was rawring-bench built "
                             "with valgrind/callgrind.h (see its --help)?")
        r[side] = round((hi - lo) / (l["high"] - l["low"]), 2)
        e = l["enters_high"] - l["enters_low"] if l["enters_low"] >= 0 <= l["enters_high"] else None
        r[f"enters_{side}"] = None if e is None else round(e / (l["high"] - l["low"]), 4)
    result = []
    for r in rows.values():
        a, b = r.get("rawring"), r.get("liburing")
        r["ratio"] = round(a / b, 4) if a and b else None
        result.append(r)
    return result


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    bench, rest = argv[0], argv[1:]
    low, high, as_json, patterns = 1024, 3072, False, []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--json":
            as_json = True
        elif a in ("--low", "--high") and i + 1 < len(rest):
            i += 1
            if a == "--low":
                low = int(rest[i])
            else:
                high = int(rest[i])
        elif not a.startswith("-"):
            patterns.append(a)
        else:
            print(__doc__, file=sys.stderr)
            return 2
        i += 1
    rows = measure(bench, patterns, low, high)
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    fmt = lambda v, f: "-" if v is None else f.format(v)
    print(f"{'row':26} {'rawring':>9} {'liburing':>9} {'ratio':>7}  enters/op rawring/liburing")
    for r in rows:
        print(f"{r['row']:26} {fmt(r.get('rawring'), '{:9.1f}')} {fmt(r.get('liburing'), '{:9.1f}')} "
              f"{fmt(r['ratio'], '{:7.3f}')}  {fmt(r.get('enters_rawring'), '{:.3f}')}/"
              f"{fmt(r.get('enters_liburing'), '{:.3f}')}")
    print("user-space instructions per op (callgrind, HIGH - LOW blocks); ratio: rawring / liburing")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
