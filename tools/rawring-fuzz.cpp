// SPDX-License-Identifier: MIT
// rawring-fuzz: seeded random io_uring operation sequences on the kernel, the mock, or the kernel
// with injected faults, checked against rawring's and the kernel's documented behaviour.
//
//   rawring-fuzz [--ops N] [--seed S] [--backend kernel|mock|all] [--inject RATE]
//                [--flavour NAME] [--skip-flavour NAME]... [--slack-ms MS] [--shrink-seconds S] [--verbose]
//
// Each flavour runs a sequence generated from the seed and the flavour's name. On a violation it
// prints the seed, flavour, backend and invariant, then replays shortened copies of the sequence
// (a prefix found by bisection, then with steps and single requests dropped) and prints the
// shortest one that still shows the same violation. Exit status: 0 no violation, 1 a violation,
// 2 bad usage, 77 io_uring unavailable on the kernel backend (skipped).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz/fuzz.hpp"
#include "rawring/rawring.hpp"

namespace {

struct cli {
    std::uint64_t ops = 1000000;
    std::uint64_t seed = 1;
    std::string backend = "kernel";
    double inject = -1;  // < 0: not given
    std::string flavour;
    std::vector<std::string> skip;  // --skip-flavour
    unsigned slack_ms = 1000;
    unsigned hang_seconds = 60;
    double shrink_seconds = 120;
    bool verbose = false;
};

void usage(FILE* out) {
    std::fprintf(out,
        "usage: rawring-fuzz [options]\n"
        "  --ops N             requests to issue in all (split among the flavours; default 1000000)\n"
        "  --seed S            seed of the sequences (default 1)\n"
        "  --backend B         kernel (default), mock, or all (kernel, mock, then the kernel with\n"
        "                      injected faults at --inject's rate, 0.02 unless given)\n"
        "  --inject RATE       install rawring::inject::injector with this share of faulty calls\n"
        "  --flavour NAME      one ring flavour (default: every one in turn):\n"
        "                     ");
    for (const fuzz::flavour& f : fuzz::flavours()) std::fprintf(out, " %s", f.name);
    std::fprintf(out,
        "\n"
        "  --skip-flavour NAME leave this flavour out (may be repeated)\n"
        "  --slack-ms MS       how far a kernel timed wait may overrun its bound (default 1000)\n"
        "  --hang-seconds S    a call that does not return for this long is a violation (default 60)\n"
        "  --shrink-seconds S  time allowed for shrinking a violation's sequence (default 120; 0: none)\n"
        "  --verbose           more detail\n"
        "  --help              this text\n"
        "exit status: 0 no violation, 1 violation, 2 usage, 77 io_uring unavailable (kernel backend)\n");
}

bool parse(int argc, char** argv, cli& c) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "rawring-fuzz: %s needs a value\n", what);
                return nullptr;
            }
            return argv[++i];
        };
        auto number = [&](const char* v, double lo, double hi, double* out) {
            char* end = nullptr;
            errno = 0;
            const double d = std::strtod(v, &end);
            if (errno != 0 || end == v || *end != 0 || d < lo || d > hi) {
                std::fprintf(stderr, "rawring-fuzz: bad value '%s' for %s\n", v, a.c_str());
                return false;
            }
            *out = d;
            return true;
        };
        const char* v = nullptr;
        double d = 0;
        if (a == "--help" || a == "-h") {
            usage(stdout);
            std::exit(0);
        } else if (a == "--verbose") {
            c.verbose = true;
        } else if (a == "--ops") {
            if ((v = value("--ops")) == nullptr || !number(v, 1, 1e12, &d)) return false;
            c.ops = static_cast<std::uint64_t>(d);
        } else if (a == "--seed") {
            if ((v = value("--seed")) == nullptr) return false;
            char* end = nullptr;
            c.seed = std::strtoull(v, &end, 0);
            if (end == v || *end != 0) {
                std::fprintf(stderr, "rawring-fuzz: bad seed '%s'\n", v);
                return false;
            }
        } else if (a == "--backend") {
            if ((v = value("--backend")) == nullptr) return false;
            c.backend = v;
            if (c.backend != "kernel" && c.backend != "mock" && c.backend != "all") {
                std::fprintf(stderr, "rawring-fuzz: unknown backend '%s' (kernel, mock, all)\n", v);
                return false;
            }
        } else if (a == "--inject") {
            if ((v = value("--inject")) == nullptr || !number(v, 0, 1, &c.inject)) return false;
        } else if (a == "--flavour" || a == "--flavor") {
            if ((v = value("--flavour")) == nullptr) return false;
            c.flavour = v;
            bool known = false;
            for (const fuzz::flavour& f : fuzz::flavours()) known = known || c.flavour == f.name;
            if (!known) {
                std::fprintf(stderr, "rawring-fuzz: unknown flavour '%s'; see --help\n", v);
                return false;
            }
        } else if (a == "--skip-flavour" || a == "--skip-flavor") {
            if ((v = value("--skip-flavour")) == nullptr) return false;
            bool known = false;
            for (const fuzz::flavour& f : fuzz::flavours()) known = known || std::string(v) == f.name;
            if (!known) {
                std::fprintf(stderr, "rawring-fuzz: unknown flavour '%s'; see --help\n", v);
                return false;
            }
            c.skip.emplace_back(v);
        } else if (a == "--slack-ms") {
            if ((v = value("--slack-ms")) == nullptr || !number(v, 0, 3.6e6, &d)) return false;
            c.slack_ms = static_cast<unsigned>(d);
        } else if (a == "--hang-seconds") {
            if ((v = value("--hang-seconds")) == nullptr || !number(v, 2, 3600, &d)) return false;
            c.hang_seconds = static_cast<unsigned>(d);
        } else if (a == "--shrink-seconds") {
            if ((v = value("--shrink-seconds")) == nullptr || !number(v, 0, 1e6, &c.shrink_seconds)) return false;
        } else {
            std::fprintf(stderr, "rawring-fuzz: unknown option '%s'; see --help\n", a.c_str());
            return false;
        }
    }
    return true;
}

std::uint64_t flavour_seed(std::uint64_t seed, const char* name) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the name, mixed with the seed
    for (const char* p = name; *p != 0; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 1099511628211ull;
    fuzz::rng r(seed ^ h);
    return r.next();
}

/// Every operation on every backend: the mock implements each one the fuzzer issues.
fuzz::gen_options gen_for(const fuzz::flavour& f, std::uint64_t ops) {
    fuzz::gen_options g;
    g.ops = ops;
    for (bool& k : g.kinds) k = true;
    g.tiny = (f.flags & rawring::abi::IORING_SETUP_CQSIZE) != 0;
    return g;
}

struct target {
    fuzz::backend_kind backend;
    double inject;
    const char* label;
};

/// Replays shortened copies of `seq` while they show the same violation; returns the shortest.
fuzz::sequence shrink(const fuzz::sequence& seq, const fuzz::violation& v, const fuzz::flavour& f,
                      const fuzz::run_options& ro, double seconds, unsigned* runs) {
    if (seconds <= 0) return seq;  // --shrink-seconds 0: report the sequence as it ran
    const auto t0 = std::chrono::steady_clock::now();
    auto out_of_time = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds;
    };
    fuzz::run_options quiet = ro;
    quiet.quiet = true;
    // A replay that hangs costs its whole hang limit: replays get a short one, so that shrinking
    // a hang stays within (about) its time.
    if (quiet.hang_seconds > 15) quiet.hang_seconds = 15;
    auto reproduces = [&](const fuzz::sequence& s, std::size_t* at) {
        ++*runs;
        fuzz::run_stats st;
        const fuzz::violation w = fuzz::run(s, f, quiet, &st);
        if (!w.found || w.invariant != v.invariant) return false;
        if (at != nullptr) *at = w.step;
        return true;
    };
    auto prefix = [&](std::size_t n) {
        fuzz::sequence s;
        s.steps.assign(seq.steps.begin(), seq.steps.begin() + static_cast<std::ptrdiff_t>(n));
        return s;
    };
    // 1. The prefix up to the step where it showed (a violation seen in the final drain needs
    //    every step), then the shortest prefix bisection finds.
    std::size_t hi = v.step < seq.steps.size() ? v.step + 1 : seq.steps.size();
    fuzz::sequence best = prefix(hi);
    std::size_t at = 0;
    if (!reproduces(best, &at)) {
        best = seq;
        if (!reproduces(best, &at)) return seq;  // does not reproduce at all (timing)
        hi = seq.steps.size();
    }
    std::size_t lo = 1;
    while (lo < hi && !out_of_time()) {
        const std::size_t mid = lo + (hi - lo) / 2;
        fuzz::sequence s = prefix(mid);
        if (reproduces(s, &at)) {
            hi = mid;
            best = std::move(s);
        } else {
            lo = mid + 1;
        }
    }
    // 2. Drop runs of steps, halving the run length down to single steps.
    for (std::size_t chunk = best.steps.size() / 2; chunk >= 1 && !out_of_time(); chunk /= 2) {
        for (std::size_t i = 0; i + chunk <= best.steps.size() && !out_of_time();) {
            fuzz::sequence s = best;
            s.steps.erase(s.steps.begin() + static_cast<std::ptrdiff_t>(i),
                          s.steps.begin() + static_cast<std::ptrdiff_t>(i + chunk));
            if (!s.steps.empty() && reproduces(s, nullptr))
                best = std::move(s);
            else
                i += chunk;
        }
        if (chunk == 1) break;
    }
    // 3. Drop single requests from the batches that are left.
    for (std::size_t i = 0; i < best.steps.size() && !out_of_time(); ++i) {
        for (std::size_t k = 0; k < best.steps[i].ops.size() && !out_of_time();) {
            fuzz::sequence s = best;
            s.steps[i].ops.erase(s.steps[i].ops.begin() + static_cast<std::ptrdiff_t>(k));
            if (reproduces(s, nullptr))
                best = std::move(s);
            else
                ++k;
        }
    }
    return best;
}

bool kernel_has_io_uring() {
    rawring::ring r;
    const int ret = r.init(4);
    if (ret == -ENOSYS || ret == -EPERM) {
        std::printf("rawring-fuzz: io_uring is unavailable here (%s): kernel backend skipped\n", std::strerror(-ret));
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    cli c;
    if (!parse(argc, argv, c)) {
        usage(stderr);
        return 2;
    }
    std::vector<target> targets;
    const double rate = c.inject >= 0 ? c.inject : 0;
    if (c.backend == "kernel") targets.push_back({fuzz::backend_kind::kernel, rate, "kernel"});
    if (c.backend == "mock") targets.push_back({fuzz::backend_kind::mock, rate, "mock"});
    if (c.backend == "all") {
        targets.push_back({fuzz::backend_kind::kernel, 0, "kernel"});
        targets.push_back({fuzz::backend_kind::mock, 0, "mock"});
        targets.push_back({fuzz::backend_kind::kernel, c.inject >= 0 ? c.inject : 0.02, "kernel"});
    }
    std::vector<const fuzz::flavour*> fl;
    for (const fuzz::flavour& f : fuzz::flavours())
        if ((c.flavour.empty() || c.flavour == f.name) &&
            std::find(c.skip.begin(), c.skip.end(), f.name) == c.skip.end())
            fl.push_back(&f);

    bool kernel_ok = true;
    bool kernel_checked = false;
    unsigned violations = 0, skipped = 0;
    std::uint64_t total_ops = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const target& t : targets) {
        if (t.backend == fuzz::backend_kind::kernel) {
            if (!kernel_checked) {
                kernel_ok = kernel_has_io_uring();
                kernel_checked = true;
            }
            if (!kernel_ok) {
                ++skipped;
                continue;
            }
        }
        const std::uint64_t per = (c.ops + fl.size() - 1) / fl.size();
        char label[64];
        if (t.inject > 0)
            std::snprintf(label, sizeof label, "%s+inject %g", t.label, t.inject);
        else
            std::snprintf(label, sizeof label, "%s", t.label);
        for (const fuzz::flavour* f : fl) {
            fuzz::run_options ro;
            ro.backend = t.backend;
            ro.inject_rate = t.inject;
            ro.seed = flavour_seed(c.seed, f->name);
            ro.slack_ms = c.slack_ms;
            ro.hang_seconds = c.hang_seconds;
            ro.verbose = c.verbose;
            const fuzz::sequence seq = fuzz::generate(ro.seed, *f, gen_for(*f, per));
            fuzz::run_stats st;
            const fuzz::violation v = fuzz::run(seq, *f, ro, &st);
            total_ops += st.ops;
            std::printf("%-15s %-20s %9llu ops %9llu CQEs %7llu msgs %6llu faults %6llu errors %6.2f s %8.0f ops/s  "
                        "rings %llu resizes %llu abandoned %llu overflows %llu splits %llu waits %llu (max overrun %.2f ms)%s\n",
                        f->name, label, static_cast<unsigned long long>(st.ops),
                        static_cast<unsigned long long>(st.cqes), static_cast<unsigned long long>(st.target_cqes),
                        static_cast<unsigned long long>(st.faults), static_cast<unsigned long long>(st.surfaced),
                        st.seconds,
                        st.seconds > 0 ? static_cast<double>(st.ops) / st.seconds : 0.0,
                        static_cast<unsigned long long>(st.rings), static_cast<unsigned long long>(st.resizes),
                        static_cast<unsigned long long>(st.abandoned),
                        static_cast<unsigned long long>(st.overflows),
                        static_cast<unsigned long long>(st.chain_splits),
                        static_cast<unsigned long long>(st.waits_timed), st.max_overrun_ms,
                        v.found ? "  VIOLATION" : "");
            std::fflush(stdout);
            if (!v.found) continue;
            ++violations;
            std::printf("\nrawring-fuzz: VIOLATION\n  seed %llu, flavour %s, backend %s\n  invariant: %s\n"
                        "  detail: %s\n  seen at step %zu of %zu\n",
                        static_cast<unsigned long long>(c.seed), f->name, label, v.invariant.c_str(),
                        v.detail.c_str(), v.step, seq.steps.size());
            std::printf("  re-run: rawring-fuzz --seed %llu --flavour %s --backend %s%s%s --ops %llu\n",
                        static_cast<unsigned long long>(c.seed), f->name,
                        t.backend == fuzz::backend_kind::mock ? "mock" : "kernel", t.inject > 0 ? " --inject " : "",
                        t.inject > 0 ? std::to_string(t.inject).c_str() : "", static_cast<unsigned long long>(per));
            std::fflush(stdout);
            unsigned runs = 0;
            const fuzz::sequence small = shrink(seq, v, *f, ro, c.shrink_seconds, &runs);
            std::printf("  shortest reproducing sequence found (%zu steps, %zu requests; %u replays):\n",
                        small.steps.size(), small.op_count(), runs);
            // A sequence that could not be shortened is shown up to the step where the violation
            // showed; the steps before the last 40 are listed by number only (--verbose: all).
            const bool unshrunk = small.steps.size() == seq.steps.size();
            const std::size_t end = unshrunk && v.step < seq.steps.size() ? v.step + 1 : small.steps.size();
            const std::size_t shown = c.verbose || end <= 40 ? 0 : end - 40;
            if (shown != 0) std::printf("    (%zu earlier steps, shown with --verbose)\n", shown);
            for (std::size_t i = shown; i < end; ++i)
                std::printf("    %s\n", fuzz::describe(small.steps[i]).c_str());
            if (end < small.steps.size())
                std::printf("    (the violation showed here; %zu later steps not shown)\n\n", small.steps.size() - end);
            else
                std::printf("    (then the final drain)\n\n");
            std::fflush(stdout);
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("rawring-fuzz: %llu ops, %zu flavours, backend %s, seed %llu: %u violation%s in %.1f s%s\n",
                static_cast<unsigned long long>(total_ops), fl.size(), c.backend.c_str(),
                static_cast<unsigned long long>(c.seed), violations, violations == 1 ? "" : "s", secs,
                skipped != 0 ? " (kernel backend skipped)" : "");
    if (violations != 0) return 1;
    if (skipped != 0 && skipped == targets.size()) return 77;
    return 0;
}
