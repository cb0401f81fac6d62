#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Checks `rawring-probe --json`: valid JSON, every feature and setup flag, 65 opcodes, NOP supported.
import json
import subprocess
import sys

FEATURES = [
    "SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS", "CUR_PERSONALITY", "FAST_POLL",
    "POLL_32BITS", "SQPOLL_NONFIXED", "EXT_ARG", "NATIVE_WORKERS", "RSRC_TAGS", "CQE_SKIP",
    "LINKED_FILE", "REG_REG_RING", "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR", "NO_IOWAIT",
]
SETUP_FLAGS = [
    "IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ", "R_DISABLED", "SUBMIT_ALL",
    "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER", "DEFER_TASKRUN",
    "NO_MMAP", "REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL", "CQE_MIXED", "SQE_MIXED",
    "SQ_REWIND",
]
SKIP = 77


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        print("usage: check-probe-json.py PATH-TO-rawring-probe", file=sys.stderr)
        return 2
    exe = sys.argv[1]
    proc = subprocess.run([exe, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=False)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        fail("output is not valid JSON (%s): %r" % (e, proc.stdout[:200]))
    if not isinstance(doc, dict):
        fail("top level is not an object")
    if not isinstance(doc.get("kernel"), str):
        fail("'kernel' missing or not a string")

    if doc.get("available") is False:
        if proc.returncode != 1:
            fail("io_uring unavailable but exit status %d, not 1" % proc.returncode)
        if not isinstance(doc.get("error"), int) or doc["error"] >= 0:
            fail("unavailable without a negative 'error'")
        print("SKIP: io_uring unavailable here (error %d)" % doc["error"])
        return SKIP
    if doc.get("available") is not True:
        fail("'available' missing or not a bool")
    if proc.returncode != 0:
        fail("exit status %d with io_uring available" % proc.returncode)

    features = doc.get("features")
    if not isinstance(features, dict):
        fail("'features' missing or not an object")
    for name in FEATURES:
        if not isinstance(features.get(name), bool):
            fail("feature %s missing or not a bool" % name)
    if set(features) != set(FEATURES):
        fail("unexpected feature keys: %s" % sorted(set(features) - set(FEATURES)))

    setup = doc.get("setup_flags")
    if not isinstance(setup, dict):
        fail("'setup_flags' missing or not an object")
    for name in SETUP_FLAGS:
        entry = setup.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("accepted"), bool) \
                or not isinstance(entry.get("error"), int):
            fail("setup flag %s missing or malformed: %r" % (name, entry))
        if entry["accepted"] != (entry["error"] == 0) or entry["error"] > 0:
            fail("setup flag %s: accepted and error disagree: %r" % (name, entry))

    ops = doc.get("opcodes")
    if not isinstance(ops, list):
        fail("'opcodes' missing or not an array")
    if len(ops) != 65:
        fail("%d opcodes, expected 65" % len(ops))
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") != i or not isinstance(op.get("name"), str) \
                or not isinstance(op.get("since"), str) or not isinstance(op.get("supported"), bool):
            fail("opcode row %d malformed: %r" % (i, op))
    if ops[0]["name"] != "NOP" or ops[0]["supported"] is not True:
        fail("NOP not reported supported: %r" % ops[0])

    print("ok: kernel %s, %d/18 features, %d/21 setup flags, %d/65 opcodes supported" % (
        doc["kernel"], sum(features.values()), sum(e["accepted"] for e in setup.values()),
        sum(op["supported"] for op in ops)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
