#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rawring's example programs against the plain ways of writing them, in one run.

usage: tools/example-bench.py BUILD_DIR [--runs N] [--only cat,http,stress,echo] [--dir DIR]

BUILD_DIR is a build with tools (buildtype debugoptimized or release for figures worth
reading). Each comparison starts both programs fresh for every run and alternates them (A B A B
...; the servers in an order that turns around every run: A B C, C B A, ...), so both see the
same load; each figure is the median over --runs runs (default 7), and each ratio is the
median of the per-run-pair ratios, rawring's over the baseline's:

  cat      examples/cat FILE > /dev/null against tools/baseline-cat (a read(2) loop with a
           128 KiB buffer), FILE a 100 MiB file on ext4 (--dir, default /var/tmp), read through
           once right before each run, since this machine's DAMON pageout evicts cold pages.
           Wall time and CPU time (user + system) of the program.
  http     100 sequential keep-alive requests by examples/http_client, against
           examples/http_server, tools/baseline-http-threads (a thread per connection) and
           tools/baseline-http-epoll (one thread, epoll).
  stress   1,000 requests over 50 connections by examples/http_stress, against the same servers.
  echo     examples/echo_bench (connections x message size, bounded) against examples/echo and
           tools/baseline-echo-epoll.

For the servers the figure is requests (or messages) per CPU-second of the server process
(user + system, from wait4 after it is stopped), and the client's wall time. The servers are
pinned to CPU 0 and the clients to CPU 1 when the machine has two CPUs or more.

Each run also starts and stops every server once with no client, right before its measured
run: that CPU is the server's fixed cost (exec, start-up, shutdown, exit). A second table
gives it, and requests per CPU-second of serving alone (the measured run's CPU less that fixed
cost, per run), which is what a long-running server spends per request.
"""
import argparse
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import time

MIB = 1024 * 1024


def die(msg):
    print(f"example-bench: {msg}", file=sys.stderr)
    sys.exit(1)


def pin(cpu):
    """A preexec_fn that pins the child to `cpu` (when there is such a CPU)."""
    def f():
        if os.cpu_count() and os.cpu_count() > cpu:
            os.sched_setaffinity(0, {cpu})
    return f


def run_timed(argv, stdout=subprocess.DEVNULL, cpu=1):
    """Runs argv to its end: (exit status, wall seconds, its stderr, its stdout or None)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=pin(cpu))
    out, err = p.communicate()
    wall = time.monotonic() - t0
    # communicate() reaped it; the rusage of children gives the CPU it used.
    return p.returncode, wall, err, out


def child_cpu(before):
    # getrusage, not os.times(): the latter counts in clock ticks (10 ms here), as coarse as a
    # whole cat run.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def one_run(argv, stdout=subprocess.DEVNULL, cpu=1):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc, wall, err, out = run_timed(argv, stdout, cpu)
    if rc != 0:
        die(f"{' '.join(argv)} exited {rc}: {err.decode(errors='replace')[-500:]}")
    return wall, child_cpu(before), out


class server:
    """A server started with `--serve 0`, its port read from its 'listening on' line."""

    def __init__(self, argv):
        self.argv = argv
        self.p = subprocess.Popen(argv + ["--serve", "0"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, preexec_fn=pin(0))
        line = self.p.stdout.readline().decode()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if not m:
            self.p.kill()
            die(f"{argv[0]} did not say where it listens: {line!r}")
        self.port = int(m.group(1))

    def stop(self):
        """Stops it; returns the CPU seconds it used."""
        self.p.send_signal(signal.SIGTERM)
        _, _, ru = os.wait4(self.p.pid, 0)
        self.p.returncode = 0
        return ru.ru_utime + ru.ru_stime


def median_ratio(a, b):
    return statistics.median(x / y for x, y in zip(a, b))


def table(rows, header):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def bench_cat(args, ex, tl):
    path = os.path.join(args.dir, "rawring-example-bench.dat")
    if not os.path.exists(path) or os.path.getsize(path) != 100 * MIB:
        with open(path, "wb") as f:
            block = os.urandom(MIB)
            for _ in range(100):
                f.write(block)
    fs = subprocess.run(["stat", "-f", "-c", "%T", args.dir], capture_output=True, text=True).stdout.strip()
    progs = {"examples/cat": [os.path.join(ex, "cat"), path],
             "read(2) loop": [os.path.join(tl, "baseline-cat"), path]}
    wall = {k: [] for k in progs}
    cpu = {k: [] for k in progs}
    for _ in range(args.runs):
        for name, argv in progs.items():
            with open(path, "rb") as f:  # re-warm the page cache
                while f.read(4 * MIB):
                    pass
            w, c, _ = one_run(argv)
            wall[name].append(w)
            cpu[name].append(c)
    a, b = "examples/cat", "read(2) loop"
    print(f"### cat of a 100 MiB file ({fs}, page cache warm) to /dev/null, medians of {args.runs}\n")
    table([[n, f"{statistics.median(wall[n]) * 1000:.1f} ms", f"{statistics.median(cpu[n]) * 1000:.1f} ms"]
           for n in progs] +
          [["ratio", f"{median_ratio(wall[a], wall[b]):.3f}", f"{median_ratio(cpu[a], cpu[b]):.3f}"]],
          ["program", "wall", "CPU (user+sys)"])


def bench_servers(args, title, servers, client, requests):
    """Each server in turn, fresh each run, driven by `client(port)` (an argv)."""
    per_cpu = {k: [] for k in servers}
    wall = {k: [] for k in servers}
    fixed = {k: [] for k in servers}
    per_serving = {k: [] for k in servers}
    for run in range(args.runs):
        # The order turns around every run (A B C, C B A, ...), so that no server always
        # follows the same one, nor always comes first after the client's previous run.
        order = list(servers.items())
        if run % 2 == 1:
            order.reverse()
        for name, argv in order:
            c0 = server(argv).stop()  # no client: the fixed cost
            s = server(argv)
            try:
                w, _, out = one_run(client(s.port), stdout=subprocess.PIPE)
            finally:
                c = s.stop()
            per_cpu[name].append(requests / max(c, 1e-6))
            wall[name].append(w)
            fixed[name].append(c0)
            per_serving[name].append(requests / max(c - c0, 1e-6))
    first = next(iter(servers))
    print(f"### {title}, medians of {args.runs}\n")
    rows = []
    for n in servers:
        r_cpu = median_ratio(per_cpu[first], per_cpu[n]) if n != first else 1.0
        r_wall = median_ratio(wall[first], wall[n]) if n != first else 1.0
        rows.append([n, f"{statistics.median(per_cpu[n]):,.0f}", f"{statistics.median(wall[n]) * 1000:.1f} ms",
                     "" if n == first else f"{r_cpu:.2f}", "" if n == first else f"{r_wall:.2f}"])
    # Both ratios are the first server's over this one's: its requests per CPU-second over
    # theirs (above 1: it does more per CPU-second) and its client wall time over theirs
    # (below 1: its client finished sooner).
    table(rows, ["server", "requests per server CPU-second", "client wall",
                 f"{first}: CPU-efficiency ratio (>1: better)", f"{first}: wall ratio (<1: faster)"])
    rows = []
    for n in servers:
        r_fixed = median_ratio(fixed[first], fixed[n]) if n != first else 1.0
        r_serving = median_ratio(per_serving[first], per_serving[n]) if n != first else 1.0
        rows.append([n, f"{statistics.median(fixed[n]) * 1e6:,.0f} µs", "" if n == first else f"{r_fixed:.2f}",
                     f"{statistics.median(per_serving[n]):,.0f}", "" if n == first else f"{r_serving:.2f}"])
    print("Fixed cost (started and stopped with no client) and serving alone (the run less it):\n")
    table(rows, ["server", "fixed CPU", f"{first}: fixed-CPU ratio (<1: less)",
                 "requests per serving CPU-second", f"{first}: serving-efficiency ratio (>1: better)"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", default="cat,http,stress,echo")
    ap.add_argument("--dir", default="/var/tmp")
    args = ap.parse_args()
    ex = os.path.join(args.build, "examples")
    tl = os.path.join(args.build, "tools")
    for d, names in ((ex, ["cat", "http_server", "http_client", "http_stress", "echo", "echo_bench"]),
                     (tl, ["baseline-cat", "baseline-http-threads", "baseline-http-epoll", "baseline-echo-epoll"])):
        for n in names:
            if not os.access(os.path.join(d, n), os.X_OK):
                die(f"no {os.path.join(d, n)}: build {args.build} with tools")
    only = set(args.only.split(","))
    http_servers = {"examples/http_server": [os.path.join(ex, "http_server")],
                    "thread per connection": [os.path.join(tl, "baseline-http-threads")],
                    "epoll": [os.path.join(tl, "baseline-http-epoll")]}
    if "cat" in only:
        bench_cat(args, ex, tl)
    if "http" in only:
        bench_servers(args, "100 sequential HTTP/1.1 keep-alive requests (examples/http_client)",
                      http_servers, lambda p: [os.path.join(ex, "http_client"), str(p), "100"], 100)
    if "stress" in only:
        bench_servers(args, "1,000 requests over 50 connections (examples/http_stress)",
                      http_servers, lambda p: [os.path.join(ex, "http_stress"), str(p), "1000", "50"], 1000)
    if "echo" in only:
        echo_servers = {"examples/echo": [os.path.join(ex, "echo")],
                        "epoll": [os.path.join(tl, "baseline-echo-epoll")]}
        bench_servers(args, "echo: examples/echo_bench, 16 connections x 64-byte messages, 20,000 round trips",
                      echo_servers,
                      # echo_bench's -n counts round trips per connection: 16 x 1250 = 20,000.
                      lambda p: [os.path.join(ex, "echo_bench"), "-p", str(p), "-c", "16",
                                 "-s", "64", "-n", "1250", "-t", "60"], 20000)


if __name__ == "__main__":
    main()
