// SPDX-License-Identifier: MIT
// rawring-bench: runs each workload through rawring and liburing in the same configurations,
// alternating the two (A B A B ...), and reports medians, min-max and the ratio.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"

namespace {

using bench::config;

struct options {
    bool short_run = false;
    bool json = false;
    int reps = 5;
    std::string only;          // "", "rawring" or "liburing"
    std::uint64_t ops = 0;     // 0: the workload's default
    int batch = -1;            // nop batch / read depth filter; -1: all
    std::string file = "/var/tmp/rawring-bench.dat";
    std::string config;        // "": every configuration; else default|single|regfd|recommended
    std::vector<std::string> workloads;
};

struct stats {
    double median = 0, min = 0, max = 0;
    int error = 0;
};

stats summarize(std::vector<double> v, int error) {
    stats s;
    s.error = error;
    if (v.empty() || error != 0) return s;
    std::sort(v.begin(), v.end());
    s.min = v.front();
    s.max = v.back();
    s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    return s;
}

/// One result row: `param_name`=`param` (batch, depth, connections...), lower_is_better for times.
struct row {
    std::string workload, config, param_name, variant;
    unsigned param = 0;
    std::string unit;
    bool lower_is_better = true;
    stats a, b;  // rawring, liburing
    bool have_b = false;
    double p50[2] = {0, 0}, p99[2] = {0, 0};
};

row make_row(const char* workload, const char* config, const char* param_name, const char* variant,
             unsigned param, const char* unit) {
    row r;
    r.workload = workload;
    r.config = config;
    r.param_name = param_name;
    r.variant = variant;
    r.param = param;
    r.unit = unit;
    return r;
}

std::vector<const bench::side*> sides(const options& o) {
    std::vector<const bench::side*> s;
    if (o.only.empty() || o.only == "rawring") s.push_back(&bench::rawring_side);
#ifdef RAWRING_BENCH_LIBURING
    if (o.only.empty() || o.only == "liburing") s.push_back(&bench::liburing_side);
#endif
    return s;
}

double ratio(const row& r) {
    if (!r.have_b || r.a.error || r.b.error || r.a.median <= 0 || r.b.median <= 0) return 0;
    return r.lower_is_better ? r.b.median / r.a.median : r.a.median / r.b.median;
}

void progress(const options& o, std::size_t i, std::size_t n, const std::string& what) {
    if (o.json && !isatty(2)) return;
    std::fprintf(stderr, "\r[%zu/%zu] %-60s", i, n, what.c_str());
    if (i == n) std::fprintf(stderr, "\r%80s\r", "");
    std::fflush(stderr);
}

/// Runs `measure(side, rep)` for every rep, alternating which library goes first.
template <class F>
void alternate(const options& o, row& r, F&& measure) {
    const auto ss = sides(o);
    std::vector<double> values[2];
    int errors[2] = {0, 0};
    for (int rep = 0; rep < o.reps; ++rep) {
        for (std::size_t k = 0; k < ss.size(); ++k) {
            const std::size_t i = (rep % 2 == 0) ? k : ss.size() - 1 - k;  // A B, then B A
            const bench::side* s = ss[i];
            const std::size_t slot = s == &bench::rawring_side ? 0 : 1;
            double p50 = 0, p99 = 0;
            int err = 0;
            const double v = measure(*s, err, p50, p99);
            if (err != 0) {
                errors[slot] = err;
            } else {
                values[slot].push_back(v);
                r.p50[slot] += p50 / o.reps;
                r.p99[slot] += p99 / o.reps;
            }
        }
    }
    r.a = summarize(values[0], errors[0]);
    r.b = summarize(values[1], errors[1]);
    r.have_b = !values[1].empty() || errors[1] != 0;
    if (o.only == "liburing") {  // report the only side in the rawring column's place
        r.a = r.b;
        r.have_b = false;
    }
}

int make_read_file(const options& o, std::uint64_t size) {
    const int fd = ::open(o.file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) != size) {
        std::vector<char> block(1 << 20);
        for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 131);
        if (::ftruncate(fd, 0) < 0) return -errno;
        for (std::uint64_t off = 0; off < size; off += block.size())
            if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(off)) < 0) return -errno;
        ::fsync(fd);
    }
    // Read it whole once so every timed read hits the page cache.
    std::vector<char> buf(1 << 20);
    for (std::uint64_t off = 0; off < size; off += buf.size())
        if (::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off)) < 0) return -errno;
    return fd;
}

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: rawring-bench [nop|read|pingpong|echo]... [options]\n"
                 "  --short          a quick run (a few seconds)\n"
                 "  --json           rows as a JSON list on stdout\n"
                 "  --reps N         repetitions per library (default 5; 3 with --short)\n"
                 "  --only LIB       run only rawring or only liburing (for callgrind)\n"
                 "  --ops N          operations per timed run\n"
                 "  --batch N        only this nop batch / read depth / echo connection count\n"
                 "  --config NAME    only this configuration: default, single (SINGLE_ISSUER|\n"
                 "                   DEFER_TASKRUN), regfd (registered ring fd), recommended (nop:\n"
                 "                   rawring single+regfd against liburing's defaults)\n"
                 "  --file PATH      the read workload's file (default /var/tmp/rawring-bench.dat;\n"
                 "                   keep it off tmpfs: io_uring reads tmpfs through worker threads)\n");
}

} // namespace

int main(int argc, char** argv) {
    options o;
    bool reps_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "rawring-bench: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--short") o.short_run = true;
        else if (a == "--json") o.json = true;
        else if (a == "--reps") { o.reps = std::atoi(value("--reps")); reps_given = true; }
        else if (a == "--only") o.only = value("--only");
        else if (a == "--ops") o.ops = std::strtoull(value("--ops"), nullptr, 10);
        else if (a == "--batch") o.batch = std::atoi(value("--batch"));
        else if (a == "--file") o.file = value("--file");
        else if (a == "--config") o.config = value("--config");
        else if (a == "--help" || a == "-h") { usage(stdout); return 0; }
        else if (a == "nop" || a == "read" || a == "pingpong" || a == "echo") o.workloads.push_back(a);
        else { usage(stderr); return 2; }
    }
    if (o.reps < 1 || (!o.only.empty() && o.only != "rawring" && o.only != "liburing")) {
        usage(stderr);
        return 2;
    }
#ifndef RAWRING_BENCH_LIBURING
    if (o.only == "liburing") {
        std::fprintf(stderr, "rawring-bench: built without liburing\n");
        return 2;
    }
#endif
    if (!o.config.empty() && o.config != "default" && o.config != "single" && o.config != "regfd" &&
        o.config != "recommended") {
        usage(stderr);
        return 2;
    }
    if (o.short_run && !reps_given) o.reps = 3;
    if (o.workloads.empty()) o.workloads = {"nop", "read", "pingpong", "echo"};
    const auto want = [&](const char* w) {
        return std::find(o.workloads.begin(), o.workloads.end(), w) != o.workloads.end();
    };
    const auto pick = [&](unsigned p) { return o.batch < 0 || static_cast<unsigned>(o.batch) == p; };
    const auto pick_config = [&](config c) {
        if (o.config.empty()) return true;
        switch (c) {
        case config::plain: return o.config == "default";
        case config::single: return o.config == "single";
        case config::regfd: return o.config == "regfd";
        case config::recommended: return o.config == "recommended";
        }
        return false;
    };
    const config configs[] = {config::plain, config::single, config::regfd};

    // Plan every row first, so the progress line can count them.
    struct job {
        row r;
        std::function<double(const bench::side&, int&, double&, double&)> run;
    };
    std::vector<job> jobs;
    int read_fd = -1;
    constexpr std::uint64_t file_size = 64ull << 20;

    if (want("nop")) {
        for (const unsigned batch : {1u, 8u, 32u, 128u}) {
            if (!pick(batch)) continue;
            std::vector<config> cs(std::begin(configs), std::end(configs));
            cs.push_back(config::recommended);
            for (const config c : cs) {
                if (!pick_config(c)) continue;
                const std::uint64_t ops = o.ops ? o.ops : (o.short_run ? 20000 : 200000) * (batch == 1 ? 1 : 2);
                row r = make_row("nop", bench::config_name(c), "batch", "", batch, "ns/op");
                jobs.push_back({r, [c, batch, ops](const bench::side& s, int& err, double&, double&) {
                                    const bench::timing t = s.nop(c, batch, ops);
                                    err = t.error;
                                    return t.ns_per_op;
                                }});
            }
        }
    }
    if (want("read")) {
        read_fd = make_read_file(o, file_size);
        if (read_fd < 0) {
            std::fprintf(stderr, "rawring-bench: %s: %s\n", o.file.c_str(), std::strerror(-read_fd));
            return 1;
        }
        for (const unsigned depth : {1u, 32u, 128u}) {
            if (!pick(depth)) continue;
            for (const bool fixed : {false, true}) {
                for (const config c : configs) {
                    if (!pick_config(c)) continue;
                    const std::uint64_t ops = o.ops ? o.ops : (o.short_run ? 20000 : 200000);
                    row r = make_row("read", bench::config_name(c), "depth", fixed ? "fixed" : "plain", depth, "ns/op");
                    jobs.push_back({r, [c, depth, fixed, ops, read_fd](const bench::side& s, int& err, double&, double&) {
                                        const bench::timing t = s.read(c, depth, fixed, read_fd, file_size, ops);
                                        err = t.error;
                                        return t.ns_per_op;
                                    }});
                }
            }
        }
    }
    if (want("pingpong")) {
        for (const bool socket : {false, true}) {
            for (const config c : configs) {
                if (!pick_config(c)) continue;
                const std::uint64_t ops = o.ops ? o.ops : (o.short_run ? 10000 : 100000);
                row r = make_row("pingpong", bench::config_name(c), "bytes", socket ? "socketpair" : "pipe", bench::msg_size, "ns/round trip");
                jobs.push_back({r, [c, socket, ops](const bench::side& s, int& err, double&, double&) {
                                    const bench::timing t = s.pingpong(c, socket, ops);
                                    err = t.error;
                                    return t.ns_per_op;
                                }});
            }
        }
    }
    if (want("echo")) {
        for (const unsigned conns : {1u, 8u}) {
            if (!pick(conns)) continue;
            for (const config c : configs) {
                if (!pick_config(c)) continue;
                const std::uint64_t msgs = o.ops ? o.ops : (o.short_run ? 4000 : 40000);
                row r = make_row("echo", bench::config_name(c), "connections", "tcp", conns, "msgs/s");
                r.lower_is_better = false;
                jobs.push_back({r, [c, conns, msgs](const bench::side& s, int& err, double& p50, double& p99) {
                                    const bench::echo_timing t = s.echo(c, conns, msgs);
                                    err = t.error;
                                    p50 = t.p50_us;
                                    p99 = t.p99_us;
                                    return t.msgs_per_s;
                                }});
            }
        }
    }

    for (std::size_t i = 0; i < jobs.size(); ++i) {
        row& r = jobs[i].r;
        progress(o, i, jobs.size(), r.workload + " " + r.config + " " + r.param_name + "=" + std::to_string(r.param) + " " + r.variant);
        alternate(o, r, jobs[i].run);
    }
    progress(o, jobs.size(), jobs.size(), "");
    if (read_fd >= 0) ::close(read_fd);

    const auto num = [](const stats& s) { return s.error ? std::string("null") : std::to_string(s.median); };
    if (o.json) {
        std::printf("[\n");
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const row& r = jobs[i].r;
            std::printf("  {\"workload\": \"%s\", \"config\": \"%s\", \"%s\": %u, \"variant\": \"%s\", \"unit\": \"%s\", "
                        "\"rawring\": %s, \"rawring_min\": %f, \"rawring_max\": %f, \"rawring_error\": %d, "
                        "\"liburing\": %s, \"liburing_min\": %f, \"liburing_max\": %f, \"liburing_error\": %d, \"ratio\": %s",
                        r.workload.c_str(), r.config.c_str(), r.param_name.c_str(), r.param, r.variant.c_str(), r.unit.c_str(),
                        num(r.a).c_str(), r.a.min, r.a.max, r.a.error,
                        r.have_b ? num(r.b).c_str() : "null", r.b.min, r.b.max, r.b.error,
                        ratio(r) > 0 ? std::to_string(ratio(r)).c_str() : "null");
            if (r.workload == "echo")
                std::printf(", \"rawring_p50_us\": %f, \"rawring_p99_us\": %f, \"liburing_p50_us\": %f, \"liburing_p99_us\": %f",
                            r.p50[0], r.p99[0], r.p50[1], r.p99[1]);
            std::printf("}%s\n", i + 1 < jobs.size() ? "," : "");
        }
        std::printf("]\n");
        return 0;
    }
    std::printf("%-9s %-28s %-16s %-11s %12s %21s %12s %21s %7s\n", "workload", "config", "param", "variant", "rawring",
                "(min-max)", "liburing", "(min-max)", "ratio");
    for (const job& j : jobs) {
        const row& r = j.r;
        const std::string param = r.param_name + "=" + std::to_string(r.param);
        const auto cell = [](const stats& s) {
            char buf[64];
            if (s.error) std::snprintf(buf, sizeof(buf), "err %d", s.error);
            else std::snprintf(buf, sizeof(buf), "%.1f", s.median);
            return std::string(buf);
        };
        const auto range = [](const stats& s) {
            char buf[64];
            std::snprintf(buf, sizeof(buf), "(%.1f-%.1f)", s.min, s.max);
            return std::string(buf);
        };
        std::printf("%-9s %-28s %-16s %-11s %12s %21s %12s %21s %7s\n", r.workload.c_str(), r.config.c_str(), param.c_str(),
                    r.variant.c_str(), cell(r.a).c_str(), range(r.a).c_str(), r.have_b ? cell(r.b).c_str() : "-",
                    r.have_b ? range(r.b).c_str() : "", ratio(r) > 0 ? std::to_string(ratio(r)).substr(0, 5).c_str() : "-");
        if (r.workload == "echo")
            std::printf("%-9s %-28s %-16s %-11s p50 %.1f us, p99 %.1f us %s p50 %.1f us, p99 %.1f us\n", "", "", "", "",
                        r.p50[0], r.p99[0], r.have_b ? "| liburing" : "", r.p50[1], r.p99[1]);
    }
    std::printf("units: ns per op (nop, read), ns per round trip (pingpong), messages/s (echo); "
                "ratio > 1 means rawring is faster\n");
    return 0;
}
