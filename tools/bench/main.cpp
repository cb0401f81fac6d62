// SPDX-License-Identifier: MIT
// rawring-bench: every workload through rawring and liburing in one process, pinned to one
// CPU. Time mode lets the two libraries take turns in short chunks and reports, per row, the
// median of the paired time ratios (rawring / liburing) with its interquartile range. Count mode
// is what tools/bench-instructions.py runs under callgrind: it brackets two runs of different
// op counts with callgrind client requests, so their difference is the instructions of the ops.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define RAWRING_BENCH_CALLGRIND 1
#endif

#include "common.hpp"

namespace {

using bench::kind;
using bench::reap;
using bench::setup;
using bench::workload;

#ifdef RAWRING_BENCH_LIBURING
constexpr bool with_liburing = true;
#else
constexpr bool with_liburing = false;
#endif

struct options {
    enum class mode { time, count, list, enter_site } m = mode::time;
    bool json = false;
    int pairs = 41;
    int generations = 3;     // time mode: fresh rings and buffers this many times per row
    double chunk_ms = 30;
    int cpu = -1;            // -1: the highest allowed CPU; -2: do not pin
    std::string only;        // "", "rawring" or "liburing"
    std::string aa;          // A/A check: this library on both sides
    std::uint64_t low = 1024, high = 3072;  // count mode: the two op counts
    std::string file = "/var/tmp/rawring-bench.dat";
    bool sq_array = false;   // rawring keeps the SQ index array, as liburing 2.3
    std::vector<std::string> patterns;
};

/// Every row, in the order of the tables: the default set-up, then the tuned one.
std::vector<workload> all_rows() {
    std::vector<workload> rows;
    for (const setup s : {setup::plain, setup::tuned}) {
        for (const reap style : {reap::for_each, reap::wait_cqe, reap::copy})
            for (const unsigned batch : {1u, 8u, 32u, 128u}) rows.push_back({kind::nop, style, batch, false, s});
        for (const bool fixed : {false, true})
            for (const unsigned depth : {1u, 32u}) rows.push_back({kind::read, reap::for_each, depth, fixed, s});
        rows.push_back({kind::recv, reap::for_each, 1, false, s});
        rows.push_back({kind::pingpong, reap::for_each, 1, false, s});
    }
    return rows;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = s.find(sep, start);
        out.push_back(s.substr(start, end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

/// A pattern selects a row when every '-'-separated token of it is a token of the row's id:
/// "nop" all NOP rows, "nop-b1-tuned" NOP batch 1 with the tuned set-up, "read-d32" both
/// depth-32 read rows of each set-up.
bool selected(const options& o, const std::string& id) {
    if (o.patterns.empty()) return true;
    const auto tokens = split(id, '-');
    for (const std::string& p : o.patterns) {
        bool all = true;
        for (const std::string& t : split(p, '-'))
            if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) all = false;
        if (all || p == id) return true;
    }
    return false;
}

std::vector<const bench::side*> sides(const options& o) {
    std::vector<const bench::side*> s;
    if (!o.aa.empty()) {
#ifdef RAWRING_BENCH_LIBURING
        const bench::side* one = o.aa == "liburing" ? &bench::liburing_side : &bench::rawring_side;
#else
        const bench::side* one = &bench::rawring_side;
#endif
        return {one, one};
    }
    if (o.only.empty() || o.only == "rawring") s.push_back(&bench::rawring_side);
#ifdef RAWRING_BENCH_LIBURING
    if (o.only.empty() || o.only == "liburing") s.push_back(&bench::liburing_side);
#endif
    return s;
}

/// The unit a run's op count must be a multiple of.
unsigned unit(const workload& w) { return w.k == kind::nop ? w.batch : 1; }

std::uint64_t round_ops(const workload& w, double ops) {
    const std::uint64_t u = unit(w);
    std::uint64_t n = static_cast<std::uint64_t>(ops / static_cast<double>(u) + 0.5) * u;
    if (w.k == kind::read) n = std::max<std::uint64_t>(n, std::uint64_t{w.batch} * 8);
    return std::max<std::uint64_t>(n, u * 4);
}

struct context {
    bench::env e;
    std::string error;  // set when a row cannot be run at all
};

/// Before every timed or counted block of a read row: DAMON pageout evicts cold pages.
int before_block(const workload& w, const context& c) {
    return w.k == kind::read ? bench::rewarm(c.e.read_fd, c.e.file_size) : 0;
}

// ---- time mode --------------------------------------------------------------------------------

struct side_result {
    std::string name;
    int error = 0;
    std::vector<double> thread, process, wall;  // ns per op, one per chunk
    double enters_per_op = -1;                  // -1: unknown
};

struct time_row {
    workload w;
    std::string id;
    std::uint64_t chunk_ops = 0;
    side_result s[2];
    std::size_t nsides = 0;
    bench::summary thread, process, wall;  // of the paired ratios rawring / liburing
    bool offloaded = false;                // work seen in other threads (io-wq, SQPOLL)
};

double median(std::vector<double> v) { return bench::summarize(std::move(v)).median; }

const bench::summary& verdict_summary(const time_row& r) { return r.offloaded ? r.process : r.thread; }

const char* verdict(const time_row& r) {
    if (r.nsides < 2 || r.s[0].error || r.s[1].error) return "-";
    const bench::summary& s = verdict_summary(r);
    if (s.q1 <= 1.0 && s.q3 >= 1.0) return "within noise";
    return s.q3 < 1.0 ? "rawring faster" : "rawring slower";
}

time_row time_one(const options& o, const context& c, const workload& w) {
    time_row r;
    r.w = w;
    r.id = bench::row_id(w);
    const auto ss = sides(o);
    r.nsides = ss.size();
    std::unique_ptr<bench::runner> run[2];
    for (std::size_t i = 0; i < ss.size(); ++i) {
        r.s[i].name = ss[i]->name;
        run[i] = ss[i]->make(w, c.e, &r.s[i].error);
    }
    const auto ok = [&] {
        for (std::size_t i = 0; i < ss.size(); ++i)
            if (r.s[i].error != 0) return false;
        return true;
    };
    const auto block = [&](std::size_t i, std::uint64_t ops, bench::clocks* d) {
        if (const int ret = before_block(w, c); ret < 0) {
            r.s[i].error = ret;
            return;
        }
        const bench::clocks a = bench::read_clocks();
        if (const int ret = run[i]->run(ops); ret < 0) r.s[i].error = ret;
        const bench::clocks b = bench::read_clocks();
        if (d != nullptr) *d = {b.thread_ns - a.thread_ns, b.process_ns - a.process_ns, b.wall_ns - a.wall_ns};
    };
    if (!ok()) return r;

    // Warm up and size the chunk: the same op count for both sides, about chunk_ms of CPU.
    double per_op = 0;
    const std::uint64_t probe = round_ops(w, 2048);
    for (std::size_t i = 0; i < ss.size(); ++i) {
        bench::clocks d;
        block(i, probe, nullptr);
        block(i, probe, &d);
        per_op += d.thread_ns / static_cast<double>(probe) / static_cast<double>(ss.size());
    }
    if (!ok()) return r;
    r.chunk_ops = round_ops(w, o.chunk_ms * 1e6 / std::max(per_op, 1.0));

    // Enters per op, in a block of its own: the attached tracepoint would slow the timed ones.
    {
        bench::enter_counter counter;
        if (counter.open() == 0) {
            for (std::size_t i = 0; i < ss.size(); ++i) {
                if (before_block(w, c) < 0) break;
                const std::int64_t a = counter.read();
                if (const int ret = run[i]->run(r.chunk_ops); ret < 0) r.s[i].error = ret;
                const std::int64_t b = counter.read();
                if (a >= 0 && b >= 0)
                    r.s[i].enters_per_op = static_cast<double>(b - a) / static_cast<double>(r.chunk_ops);
            }
        }
    }
    if (!ok()) return r;

    // The pairs: A B, then B A, so neither library always runs just after the rewarm or the other.
    const double n = static_cast<double>(r.chunk_ops);
    std::vector<double> ratio_thread, ratio_process, ratio_wall;
    double other_threads[2] = {0, 0}, own_thread[2] = {0, 0};
    // The rings and buffers are made afresh --generations times in a row: where each side's
    // memory lands (the physical pages of its buffers, their cache sets) stays put for an
    // instance's life and would otherwise be a bias of one side, not noise of the pairs.
    const int per_generation = std::max(1, (o.pairs + o.generations - 1) / o.generations);
    for (int p = 0; p < o.pairs && ok(); ++p) {
        if (p > 0 && p % per_generation == 0) {
            for (std::size_t i = 0; i < ss.size(); ++i) run[i].reset();
            for (std::size_t i = 0; i < ss.size() && ok(); ++i) {
                run[i] = ss[i]->make(w, c.e, &r.s[i].error);
                if (run[i]) block(i, probe, nullptr);
            }
            if (!ok()) break;
        }
        bench::clocks d[2];
        for (std::size_t k = 0; k < ss.size(); ++k) {
            const std::size_t i = p % 2 == 0 ? k : ss.size() - 1 - k;
            block(i, r.chunk_ops, &d[i]);
        }
        for (std::size_t i = 0; i < ss.size(); ++i) {
            r.s[i].thread.push_back(d[i].thread_ns / n);
            r.s[i].process.push_back(d[i].process_ns / n);
            r.s[i].wall.push_back(d[i].wall_ns / n);
            other_threads[i] += d[i].process_ns - d[i].thread_ns;
            own_thread[i] += d[i].thread_ns;
        }
        if (ss.size() == 2) {
            ratio_thread.push_back(d[0].thread_ns / d[1].thread_ns);
            ratio_process.push_back(d[0].process_ns / d[1].process_ns);
            ratio_wall.push_back(d[0].wall_ns / d[1].wall_ns);
        }
    }
    // More than 1 % of the thread's own time spent by other threads of the process: the kernel
    // handed work to io-wq (or an SQPOLL thread), which thread CPU time does not see; the
    // verdict then uses process CPU time, which does.
    for (std::size_t i = 0; i < ss.size(); ++i)
        if (own_thread[i] > 0 && other_threads[i] > 0.01 * own_thread[i]) r.offloaded = true;
    r.thread = bench::summarize(ratio_thread);
    r.process = bench::summarize(ratio_process);
    r.wall = bench::summarize(ratio_wall);
    return r;
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), f, v);
    return buf;
}

std::string enters_cell(double v) { return v < 0 ? std::string("n/a") : fmt("%.3f", v); }

void print_time_text(const std::vector<time_row>& rows, bool two) {
    if (two)
        std::printf("%-26s %9s %9s  %-22s %-14s %-22s %-12s %s\n", "row", "rawring", "liburing",
                    "ratio cpu [IQR]", "verdict", "ratio wall [IQR]", "enters/op", "notes");
    else
        std::printf("%-26s %9s %9s %-12s\n", "row", "ns/op", "wall", "enters/op");
    for (const time_row& r : rows) {
        if (!two) {
            const side_result& s = r.s[0];
            if (s.error) std::printf("%-26s error %d (%s)\n", r.id.c_str(), s.error, std::strerror(-s.error));
            else
                std::printf("%-26s %9.1f %9.1f %-12s\n", r.id.c_str(), median(s.thread), median(s.wall),
                            enters_cell(s.enters_per_op).c_str());
            continue;
        }
        if (r.s[0].error || r.s[1].error) {
            std::printf("%-26s error: rawring %d, liburing %d\n", r.id.c_str(), r.s[0].error, r.s[1].error);
            continue;
        }
        const bench::summary& v = verdict_summary(r);
        const std::string cpu = fmt("%.3f", v.median) + " [" + fmt("%.3f", v.q1) + "-" + fmt("%.3f", v.q3) + "]";
        const std::string wall =
            fmt("%.3f", r.wall.median) + " [" + fmt("%.3f", r.wall.q1) + "-" + fmt("%.3f", r.wall.q3) + "]";
        const std::string enters = enters_cell(r.s[0].enters_per_op) + "/" + enters_cell(r.s[1].enters_per_op);
        std::string notes;
        if (r.offloaded) notes += "io threads: process cpu; ";
        if (r.s[0].enters_per_op >= 0 && r.s[1].enters_per_op >= 0 &&
            r.s[0].enters_per_op > r.s[1].enters_per_op + 1e-9)
            notes += "MORE ENTERS; ";
        std::printf("%-26s %9.1f %9.1f  %-22s %-14s %-22s %-12s %s\n", r.id.c_str(), median(r.s[0].thread),
                    median(r.s[1].thread), cpu.c_str(), verdict(r), wall.c_str(), enters.c_str(), notes.c_str());
    }
    if (two)
        std::printf("ns per op: median thread CPU time per chunk; ratio: rawring / liburing, median of the paired "
                    "chunks and its interquartile range (below 1: rawring faster)\n");
}

void print_summary_json(const char* name, const bench::summary& s) {
    std::printf("\"%s\": {\"n\": %zu, \"median\": %.5f, \"q1\": %.5f, \"q3\": %.5f, \"lo95\": %.5f, \"hi95\": %.5f}",
                name, s.n, s.median, s.q1, s.q3, s.lo95, s.hi95);
}

void print_time_json(const std::vector<time_row>& rows, const options& o, int cpu) {
    std::printf("{\"mode\": \"time\", \"pairs\": %d, \"chunk_ms\": %.1f, \"cpu\": %d, \"rows\": [\n", o.pairs,
                o.chunk_ms, cpu);
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const time_row& r = rows[k];
        std::printf("  {\"row\": \"%s\", \"chunk_ops\": %llu, \"offloaded\": %s, \"verdict\": \"%s\", \"sides\": {",
                    r.id.c_str(), static_cast<unsigned long long>(r.chunk_ops), r.offloaded ? "true" : "false",
                    verdict(r));
        for (std::size_t i = 0; i < r.nsides; ++i) {
            const side_result& s = r.s[i];
            std::printf("%s\"%s\": {\"error\": %d, \"thread_ns\": %.2f, \"process_ns\": %.2f, \"wall_ns\": %.2f, "
                        "\"enters_per_op\": %.4f}",
                        i ? ", " : "", s.name.c_str(), s.error, median(s.thread), median(s.process), median(s.wall),
                        s.enters_per_op);
        }
        std::printf("}");
        if (r.nsides == 2) {
            std::printf(", ");
            print_summary_json("thread", r.thread);
            std::printf(", ");
            print_summary_json("process", r.process);
            std::printf(", ");
            print_summary_json("wall", r.wall);
        }
        std::printf("}%s\n", k + 1 < rows.size() ? "," : "");
    }
    std::printf("]}\n");
}

// ---- count mode -------------------------------------------------------------------------------

/// For each row and side: set up and warm up, then a block of `low` ops and one of `high` ops,
/// each between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("rawring-bench <row> <side>
/// <ops>"), with this thread's enters counted around each. Prints one JSON line per row and side.
int count_mode(const options& o, const context& c, const std::vector<workload>& rows) {
    for (const workload& w : rows) {
        const std::string id = bench::row_id(w);
        const std::uint64_t low = round_ops(w, static_cast<double>(o.low));
        const std::uint64_t high = round_ops(w, static_cast<double>(o.high));
        for (const bench::side* s : sides(o)) {
            int error = 0;
            std::unique_ptr<bench::runner> run = s->make(w, c.e, &error);
            std::int64_t enters[2] = {-1, -1};
            if (run) error = run->run(round_ops(w, 256));
            bench::enter_counter counter;
            const bool counting = counter.open() == 0;
            for (int k = 0; k < 2 && error == 0; ++k) {
                const std::uint64_t ops = k == 0 ? low : high;
                const std::string label = "rawring-bench " + id + " " + s->name + " " + std::to_string(ops);
                if (const int ret = before_block(w, c); ret < 0) error = ret;
                const std::int64_t a = counting ? counter.read() : -1;
#ifdef RAWRING_BENCH_CALLGRIND
                CALLGRIND_ZERO_STATS;
#endif
                if (error == 0) error = run->run(ops);
#ifdef RAWRING_BENCH_CALLGRIND
                CALLGRIND_DUMP_STATS_AT(label.c_str());
#endif
                const std::int64_t b = counting ? counter.read() : -1;
                enters[k] = a >= 0 && b >= 0 ? b - a : -1;
            }
            std::printf("{\"row\": \"%s\", \"side\": \"%s\", \"error\": %d, \"low\": %llu, \"high\": %llu, "
                        "\"enters_low\": %lld, \"enters_high\": %lld}\n",
                        id.c_str(), s->name, error, static_cast<unsigned long long>(low),
                        static_cast<unsigned long long>(high), static_cast<long long>(enters[0]),
                        static_cast<long long>(enters[1]));
            std::fflush(stdout);
        }
    }
    return 0;
}

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: rawring-bench [options] [PATTERN]...\n"
                 "Runs each workload row through rawring and liburing in this one process, pinned to one CPU.\n"
                 "This binary was built %s.\n"
                 "This binary was built %s.\n"
                 "\n"
                 "PATTERN selects rows whose id has every '-'-separated token of it (--list shows the ids):\n"
                 "  nop, read, recv, pingpong, for_each, wait_cqe, copy, b1 b8 b32 b128, plain, fixed, d1 d32,\n"
                 "  default (flags 0), tuned (SINGLE_ISSUER|DEFER_TASKRUN + registered ring fd); e.g. nop-b1-tuned.\n"
                 "\n"
                 "modes:\n"
                 "  (none)           time mode: per row, both libraries take turns in chunks of about --chunk-ms\n"
                 "                   of CPU time (A B, then B A) for --pairs pairs; reported: the median of the\n"
                 "                   paired ratios rawring/liburing of thread CPU time, its interquartile range,\n"
                 "                   \"within noise\" when that range spans 1.00, the wall-clock ratio, and\n"
                 "                   io_uring_enter calls per op (tracepoint syscalls:sys_enter_io_uring_enter)\n"
                 "  --count          instruction mode's inner half, run under callgrind by\n"
                 "                   tools/bench-instructions.py: per row and library, a block of --low and one of\n"
                 "                   --high ops, each between callgrind client requests; JSON lines on stdout\n"
                 "  --list           print the row ids\n"
                 "  --enter-site     the same io_uring_enter issued inline, from a function, via libc's\n"
                 "                   syscall() and via liburing's io_uring_enter(): what the call site costs\n"
                 "                   in time on this CPU (x86_64, liburing side only; --pairs)\n"
                 "\n"
                 "options:\n"
                 "  --pairs N        chunk pairs per row (default 41)\n"
                 "  --chunk-ms MS    CPU time per chunk (default 30)\n"
                 "  --generations G  set each side's rings and buffers up afresh G times per row (default 3), so\n"
                 "                   where one instance's memory landed is not a bias of its side\n"
                 "  --short          --pairs 11 --chunk-ms 20\n"
                 "  --cpu N|none     the CPU to pin to (default: the highest allowed one)\n"
                 "  --only LIB       rawring or liburing alone\n"
                 "  --low N, --high N  count mode's op counts (default 1024 and 3072)\n"
                 "  --json           time mode's rows as JSON on stdout\n"
                 "  --aa LIB         A/A check of the method: LIB (rawring or liburing) on both sides; every\n"
                 "                   row should then read \"within noise\" around 1.000\n"
                 "  --sq-array       rawring keeps the SQ index array, as liburing 2.3 does (rawring's default\n"
                 "                   is IORING_SETUP_NO_SQARRAY, 6.6+): the same ring layout for both\n"
                 "  --file PATH      the read rows' 16 MiB file (default /var/tmp/rawring-bench.dat; keep it on\n"
                 "                   ext4 or another disk filesystem: io_uring reads tmpfs through io-wq workers)\n",
                 with_liburing ? "WITH the liburing side (static liburing, rawring/liburing ratios)"
                               : "WITHOUT the liburing side (liburing-dev was not found): rawring's figures alone",
#ifdef RAWRING_BENCH_CALLGRIND
                 "with callgrind client requests (--count works under valgrind --tool=callgrind)"
#else
                 "without valgrind/callgrind.h: --count prints enters but callgrind sees no block boundaries"
#endif
    );
}

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "rawring-bench: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--count") o.m = options::mode::count;
        else if (a == "--list") o.m = options::mode::list;
        else if (a == "--enter-site") o.m = options::mode::enter_site;
        else if (a == "--json") o.json = true;
        else if (a == "--pairs") o.pairs = std::atoi(value("--pairs"));
        else if (a == "--chunk-ms") o.chunk_ms = std::atof(value("--chunk-ms"));
        else if (a == "--generations") o.generations = std::atoi(value("--generations"));
        else if (a == "--short") { o.pairs = 11; o.chunk_ms = 20; }
        else if (a == "--cpu") {
            const std::string v = value("--cpu");
            o.cpu = v == "none" ? -2 : std::atoi(v.c_str());
        } else if (a == "--only") o.only = value("--only");
        else if (a == "--low") o.low = std::strtoull(value("--low"), nullptr, 10);
        else if (a == "--high") o.high = std::strtoull(value("--high"), nullptr, 10);
        else if (a == "--file") o.file = value("--file");
        else if (a == "--sq-array") o.sq_array = true;
        else if (a == "--aa") o.aa = value("--aa");
        else if (!a.empty() && a[0] != '-') o.patterns.push_back(a);
        else {
            usage(stderr);
            return 2;
        }
    }
    if (o.pairs < 1 || o.chunk_ms <= 0 || o.generations < 1 || o.low == 0 || o.high <= o.low ||
        (!o.only.empty() && o.only != "rawring" && o.only != "liburing")) {
        usage(stderr);
        return 2;
    }
    if (!o.aa.empty() && ((o.aa != "rawring" && o.aa != "liburing") || !o.only.empty())) {
        usage(stderr);
        return 2;
    }
    if (!with_liburing && (o.only == "liburing" || o.aa == "liburing")) {
        std::fprintf(stderr, "rawring-bench: built without the liburing side\n");
        return 2;
    }

    if (o.m == options::mode::enter_site) {
#ifdef RAWRING_BENCH_LIBURING
        if (o.cpu != -2 && bench::pin_to_cpu(o.cpu) < 0) return 1;
        const int ret = bench::enter_site(o.pairs);
        if (ret < 0) std::fprintf(stderr, "rawring-bench: --enter-site: %s\n", std::strerror(-ret));
        return ret < 0 ? 1 : 0;
#else
        std::fprintf(stderr, "rawring-bench: --enter-site needs the liburing side\n");
        return 2;
#endif
    }

    std::vector<workload> rows;
    for (const workload& w : all_rows())
        if (selected(o, bench::row_id(w))) rows.push_back(w);
    if (o.m == options::mode::list) {
        for (const workload& w : rows) std::printf("%s\n", bench::row_id(w).c_str());
        return 0;
    }
    if (rows.empty()) {
        std::fprintf(stderr, "rawring-bench: no row matches (see --list)\n");
        return 2;
    }

    int cpu = -2;
    if (o.cpu != -2) {
        cpu = bench::pin_to_cpu(o.cpu);
        if (cpu < 0) {
            std::fprintf(stderr, "rawring-bench: cannot pin to CPU %d: %s\n", o.cpu, std::strerror(-cpu));
            return 1;
        }
    }

    context c;
    c.e.rawring_sq_array = o.sq_array;
    if (std::any_of(rows.begin(), rows.end(), [](const workload& w) { return w.k == kind::read; })) {
        c.e.file_size = 16ull << 20;
        c.e.read_fd = bench::make_read_file(o.file, c.e.file_size);
        if (c.e.read_fd < 0) {
            std::fprintf(stderr, "rawring-bench: %s: %s\n", o.file.c_str(), std::strerror(-c.e.read_fd));
            return 1;
        }
        const std::string fs = bench::fs_type(o.file);
        if (fs == "tmpfs")
            std::fprintf(stderr, "rawring-bench: warning: %s is on tmpfs; io_uring reads it through io-wq\n",
                         o.file.c_str());
    }

    if (o.m == options::mode::count) return count_mode(o, c, rows);

    std::vector<time_row> results;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        if (isatty(2)) {
            std::fprintf(stderr, "\r[%zu/%zu] %-40s", k + 1, rows.size(), bench::row_id(rows[k]).c_str());
            std::fflush(stderr);
        }
        results.push_back(time_one(o, c, rows[k]));
    }
    if (isatty(2)) std::fprintf(stderr, "\r%60s\r", "");
    if (c.e.read_fd >= 0) ::close(c.e.read_fd);
    if (o.json) print_time_json(results, o, cpu);
    else {
        std::printf("pinned to CPU %d; %d pairs of chunks of about %.0f ms per row; liburing side: %s\n", cpu, o.pairs,
                    o.chunk_ms, with_liburing ? "yes" : "no");
        print_time_text(results, sides(o).size() == 2);
    }
    return 0;
}
