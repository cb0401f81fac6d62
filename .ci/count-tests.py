#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts test cases across Meson test logs and prints 'N passed, N failed' as the last line.

A doctest executable contributes its own case counts (from its summary line); any other Meson
test counts as one case. A doctest binary that died before its summary counts as one failed case.
Cases that printed a 'SKIP:' message are listed first; then, with --times FILE, the lines of that
file (CI's stage times); then every failed case by name; and last the total. Whoever sees only the
end of CI's output sees what failed and where the time went.

A results file of tools/kernel-test (one JSON object with "kernel_test": true: the suite on
another kernel in QEMU) adds its case counts the same way: a case that passed while saying SKIP
counts as passed and is listed (apart: those that asserted nothing, and those that ran the rest
of their work), a failed or hung one as failed; a run that could not start or did not finish
counts as one failed case more. In Meson's logs the console reporter does not say how much a
case asserted, so their SKIP cases are listed as having skipped "some or all" of their work.

A results file of tools/liburing-suite counts one case per liburing test program and example
(see liburing_suite below).
"""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
CASE = re.compile(r"^TEST CASE:\s+(.*)$", re.M)


def kernel_test(path, text):
    """(passed, failed, skip names, failure names, part-skip names) of a tools/kernel-test
    results file, or None if not one."""
    try:
        r = json.loads(text)
    except ValueError:
        return None
    if not isinstance(r, dict) or not r.get("kernel_test"):
        return None
    kernel = r.get("kernel") or "another kernel"
    cases = r.get("cases", [])
    passed = sum(1 for c in cases if c.get("status") in ("pass", "part", "skip"))
    failed = sum(1 for c in cases if c.get("status") == "fail")
    skips = [f"{kernel}: {c.get('exe')}: {c.get('name')}" for c in cases if c.get("status") == "skip"]
    fails = [f"{kernel}: {c.get('exe')}: {c.get('name')}" for c in cases if c.get("status") == "fail"]
    parts = [f"{kernel}: {c.get('exe')}: {c.get('name')}" for c in cases if c.get("status") == "part"]
    if (not r.get("ok") and failed == 0) or not r.get("finished", True):
        print(f"ci: {path}: {r.get('error') or 'the kernel run did not finish'}")
        failed += 1
        fails.append(f"{kernel}: {r.get('error') or 'the kernel run did not finish'}")
    return passed, failed, skips, fails, parts


def liburing_suite(path, text):
    """(passed, failed, skip names, failure names, []) of a tools/liburing-suite results file,
    or None if not one.

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
    fails = []
    for prog in r["programs"]:
        name = prog.get("name")
        if name in regressions:
            failed += 1
            fails.append(f"liburing-suite: {name}: {(prog.get('rawring') or {}).get('result')} "
                         f"(real liburing: {(prog.get('real') or {}).get('result')})")
            continue
        passed += 1
        mine = (prog.get("rawring") or {}).get("result")
        if mine not in ("pass", "built"):
            skips.append(f"liburing-suite: {name}: {mine} (real liburing: "
                         f"{(prog.get('real') or {}).get('result')})")
    if r.get("exit_status") not in (0, 1):
        print(f"ci: {path}: the liburing suite did not compare both sides")
        failed += 1
        fails.append("liburing-suite: the run did not compare both sides")
    return passed, failed, skips, fails, []


def failed_cases(out):
    """The doctest cases whose block in `out` reports an error (doctest prints a case's header
    only for a failure or a message)."""
    names = []
    current = None
    for row in out.splitlines():
        c = CASE.match(row)
        if c:
            current = c.group(1).strip()
        elif current and re.search(r": (FATAL )?ERROR: ", row) and current not in names:
            names.append(current)
    return names


def failure_detail(out):
    """What a failed test that is not a finished doctest run said: its failed or last-reported
    case, a fuzzer violation's flavour, invariant and detail, or its last line."""
    names = failed_cases(out)
    cases = CASE.findall(out)
    if names or cases:
        return f" in {(names or cases)[-1].strip()}"
    rows = [r.strip() for r in out.splitlines() if r.strip()]
    picked = [r for r in rows if r.startswith(("seed ", "invariant:", "detail:"))]
    text = "; ".join(picked) if picked else (rows[-1] if rows else "")
    return f" ({text[:400]})" if text else ""


def main(argv):
    times = None
    if len(argv) >= 2 and argv[0] == "--times":
        times, argv = argv[1], argv[2:]
    paths = argv
    passed = failed = skipped_tests = 0
    skip_cases = []   # Meson's doctest logs: some or all of the case skipped
    whole_skips = []  # kernel-test and liburing-suite: nothing of it ran
    part_skips = []   # kernel-test: it asserted something, and skipped the rest
    fail_cases = []
    for path in paths:
        try:
            text = open(path, encoding="utf-8").read()
        except OSError as e:
            print(f"ci: cannot read {path}: {e}")
            failed += 1
            fail_cases.append(f"{path}: not written")
            continue
        kt = kernel_test(path, text) or liburing_suite(path, text)
        if kt is not None:
            passed += kt[0]
            failed += kt[1]
            whole_skips += kt[2]
            fail_cases += kt[3]
            part_skips += kt[4]
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
                names = failed_cases(out)
                fail_cases += [f"{t['name']}: {n}" for n in names]
                if int(m.group(3)) > len(names):
                    fail_cases.append(f"{t['name']}: {int(m.group(3)) - len(names)} case(s) more")
                if t["result"] not in ("OK", "EXPECTEDFAIL") and int(m.group(3)) == 0:
                    failed += 1  # the binary failed after its cases passed (a sanitizer at exit)
                    fail_cases.append(f"{t['name']}: {t['result']} after its cases passed")
            elif t["result"] == "OK":
                passed += 1
            else:
                failed += 1
                fail_cases.append(f"{t['name']}: {t['result']}" + failure_detail(out))
            # Which cases said SKIP: a MESSAGE is printed under its case's header.
            current = None
            for row in out.splitlines():
                c = CASE.match(row)
                if c:
                    current = c.group(1).strip()
                elif "SKIP:" in row and current:
                    skip_cases.append(f"{t['name']}: {current}")
                    current = None
    for cases, what in ((skip_cases, "some or all"), (whole_skips, "all"), (part_skips, "part")):
        if cases:
            print(f"ci: {len(cases)} case(s) skipped {what} of their work:")
            for c in cases:
                print(f"ci:   {c}")
    if skipped_tests:
        print(f"ci: {skipped_tests} Meson test(s) skipped whole (exit 77)")
    if times:
        try:
            for row in open(times, encoding="utf-8").read().splitlines():
                print(row)
        except OSError:
            pass
    if fail_cases:
        print(f"ci: {len(fail_cases)} failure(s):")
        for c in fail_cases:
            print(f"ci:   FAILED {c}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
