#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts test cases across Meson test logs and prints 'N passed, N failed' as the last line.

A doctest executable contributes its own case counts (from its summary line); any other Meson
test counts as one case. A doctest binary that died before its summary counts as one failed case.
Cases that printed a 'SKIP:' message are reported on a line of their own before the total.

A results file of tools/kernel-test (one JSON object with "kernel_test": true: the suite on
another kernel in QEMU) adds its case counts the same way: a case that passed while saying SKIP
counts as passed and is listed, a failed or hung one as failed; a run that could not start or did
not finish counts as one failed case more.

A results file of tools/liburing-suite counts one case per liburing test program and example
(see liburing_suite below).
"""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
CASE = re.compile(r"^TEST CASE:\s+(.*)$", re.M)


def kernel_test(path, text):
    """(passed, failed, skip case names) of a tools/kernel-test results file, or None if not one."""
    try:
        r = json.loads(text)
    except ValueError:
        return None
    if not isinstance(r, dict) or not r.get("kernel_test"):
        return None
    kernel = r.get("kernel") or "another kernel"
    cases = r.get("cases", [])
    passed = sum(1 for c in cases if c.get("status") in ("pass", "skip"))
    failed = sum(1 for c in cases if c.get("status") == "fail")
    if (not r.get("ok") and failed == 0) or not r.get("finished", True):
        print(f"ci: {path}: {r.get('error') or 'the kernel run did not finish'}")
        failed += 1
    skips = [f"{kernel}: {c.get('exe')}: {c.get('name')}" for c in cases if c.get("status") == "skip"]
    return passed, failed, skips


def liburing_suite(path, text):
    """(passed, failed, skip names) of a tools/liburing-suite results file, or None if not one.

    Each liburing test program and example is one case: it fails when it is one of the run's
    regressions (real liburing passes it, rawring's face does not, and it is not a known
    difference), passes otherwise; one that neither side passes (skips, or fails with real
    liburing too) is listed as skipped. A run that could not compare counts one failure more.
    """
    try:
        r = json.loads(text)
    except ValueError:
        return None
    if not isinstance(r, dict) or "regressions" not in r or "programs" not in r:
        return None
    regressions = set(r.get("regressions") or [])
    passed = failed = 0
    skips = []
    for prog in r["programs"]:
        name = prog.get("name")
        if name in regressions:
            failed += 1
            continue
        passed += 1
        mine = (prog.get("rawring") or {}).get("result")
        if mine not in ("pass", "built"):
            skips.append(f"liburing-suite: {name}: {mine} (real liburing: "
                         f"{(prog.get('real') or {}).get('result')})")
    if r.get("exit_status") not in (0, 1):
        print(f"ci: {path}: the liburing suite did not compare both sides")
        failed += 1
    return passed, failed, skips


def main(paths):
    passed = failed = skipped_tests = 0
    skip_cases = []
    for path in paths:
        try:
            text = open(path, encoding="utf-8").read()
        except OSError as e:
            print(f"ci: cannot read {path}: {e}")
            failed += 1
            continue
        kt = kernel_test(path, text) or liburing_suite(path, text)
        if kt is not None:
            passed += kt[0]
            failed += kt[1]
            skip_cases += kt[2]
            continue
        lines = text.splitlines()
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
