#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts test cases across Meson test logs and prints 'N passed, N failed' as the last line.

A doctest executable contributes its own case counts (from its summary line); any other Meson
test counts as one case. A doctest binary that died before its summary counts as one failed case.
Cases that printed a 'SKIP:' message are reported on a line of their own before the total.
"""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
CASE = re.compile(r"^TEST CASE:\s+(.*)$", re.M)


def main(paths):
    passed = failed = skipped_tests = 0
    skip_cases = []
    for path in paths:
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError as e:
            print(f"ci: cannot read {path}: {e}")
            failed += 1
            continue
        for line in lines:
            if not line.strip():
                continue
            t = json.loads(line)
            out = t.get("stdout") or ""
            m = SUMMARY.search(out)
            if t["result"] == "SKIP":
                skipped_tests += 1
            elif m:
                passed += int(m.group(2))
                failed += int(m.group(3))
                if t["result"] not in ("OK", "EXPECTEDFAIL") and int(m.group(3)) == 0:
                    failed += 1  # the binary failed after its cases passed (a sanitizer at exit)
            elif t["result"] == "OK":
                passed += 1
            else:
                failed += 1
            # Which cases said SKIP: a MESSAGE is printed under its case's header.
            current = None
            for row in out.splitlines():
                c = CASE.match(row)
                if c:
                    current = c.group(1).strip()
                elif "SKIP:" in row and current:
                    skip_cases.append(f"{t['name']}: {current}")
                    current = None
    if skip_cases:
        print(f"ci: {len(skip_cases)} case(s) skipped some or all of their work:")
        for c in skip_cases:
            print(f"ci:   {c}")
    if skipped_tests:
        print(f"ci: {skipped_tests} Meson test(s) skipped whole (exit 77)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
