#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""User-space instructions per NOP for rawring and liburing, counted with callgrind.

This machine has no hardware counters (perf stat -e instructions:u says <not supported>), so
valgrind's callgrind counts the instructions instead: exactly and repeatably. Each library and
batch size is run at two op counts; the difference divided by the difference in ops is the cost of
one more NOP, with set-up, warm-up and teardown cancelled out.

usage: tools/bench-instructions.py BUILD_DIR/tools/rawring-bench [--batches 1,8,32,128] [--json]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

LOW, HIGH = 2048, 6144


def instructions(bench, library, batch, ops, config):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", bench, "nop",
               "--only", library, "--batch", str(batch), "--ops", str(ops), "--reps", "1",
               "--config", config]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stderr[-2000:]}")
        m = re.search(r"Collected\s*:\s*(\d+)", run.stderr) or re.search(r"refs:\s*([\d,]+)", run.stderr)
        if not m:
            raise SystemExit(f"no instruction count in callgrind's output:\n{run.stderr[-2000:]}")
        return int(m.group(1).replace(",", ""))


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    bench = argv[0]
    batches = [1, 8, 32, 128]
    as_json = "--json" in argv
    if "--batches" in argv:
        batches = [int(b) for b in argv[argv.index("--batches") + 1].split(",")]
    rows = []
    for config in ("default", "recommended"):
        for batch in batches:
            row = {"workload": "nop", "config": config, "batch": batch}
            for library in ("rawring", "liburing"):
                low = instructions(bench, library, batch, LOW, config)
                high = instructions(bench, library, batch, HIGH, config)
                row[library] = round((high - low) / (HIGH - LOW), 1)
            row["ratio"] = round(row["liburing"] / row["rawring"], 3) if row["rawring"] else None
            rows.append(row)
            if not as_json:
                print(f"nop {config:12} batch {batch:4}: rawring {row['rawring']:7.1f}  "
                      f"liburing {row['liburing']:7.1f}  instructions/op  (liburing/rawring {row['ratio']})",
                      flush=True)
    if as_json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
