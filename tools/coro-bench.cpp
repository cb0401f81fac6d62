// SPDX-License-Identifier: MIT
// rawring-coro-bench: what an awaited NOP costs through rawring::co (include/rawring/task.hpp),
// through rawring::loop's callbacks, and on the bare ring, at a given batch.
//
//   rawring-coro-bench nop --only coro|loop|ring [--batch N] [--ops N]
//
// coro: `--batch` coroutines, each awaiting co::noop in a loop, all driven by one
// loop::run(until_done): every step reaps `--batch` CQEs and each resumed coroutine queues its
// next NOP, so the batch stays `--batch` deep. loop: `--batch` noop calls with a counting
// callback, then run(until_done), as rawring-loop-bench. ring: `--batch` prep_nop, one
// submit_and_wait(batch), for_each_cqe, cq_advance, as rawring-loop-bench. All three use the
// setup flags loop::init picks. Instructions per op: callgrind at two op counts, the difference
// over the difference in ops (set-up and teardown cancel out):
//
//   for n in 2048 6144; do
//     valgrind --tool=callgrind --callgrind-out-file=/dev/null rawring-coro-bench nop --only coro --batch 32 --ops $n
//   done
//
// Prints ns per op (wall) too. Exit status 0, or 1 when a side failed.
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <rawring/loop.hpp>
#include <rawring/rawring.hpp>
#include <rawring/task.hpp>

namespace {

namespace abi = rawring::abi;
namespace co = rawring::co;
using rawring::loop;
using cqe_t = abi::io_uring_cqe;

double now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// ---- coro ------------------------------------------------------------------------------------------

struct coro_counts {
    std::uint64_t done = 0;
    int bad = 0;
};

co::task<void> nop_worker(loop& l, std::uint64_t n, coro_counts& c) {
    for (std::uint64_t i = 0; i < n; ++i) {
        const int r = co_await co::noop(l);
        if (r != 0) [[unlikely]] {
            c.bad = r < 0 ? r : -EIO;
            co_return;
        }
        ++c.done;
    }
}

int run_coro(unsigned batch, std::uint64_t ops) {
    loop l;
    // Room for the batch and the one task co:: keeps free for cancels.
    if (const int ret = l.init(batch * 2 + 2); ret < 0) return ret;
    coro_counts c;
    co::scope s;
    const std::uint64_t per = ops / batch;
    for (unsigned i = 0; i < batch; ++i)
        if (s.spawn(nop_worker(l, per, c)) < 0) return -ENOMEM;
    if (const int ret = l.run(rawring::run_mode::until_done); ret < 0) return ret;
    if (c.bad != 0) return c.bad;
    if (s.size() != 0 || c.done != per * batch) return -EIO;
    return 0;
}

// ---- loop ------------------------------------------------------------------------------------------

struct loop_counts {
    std::uint64_t done = 0;
    int bad = 0;
};

void on_nop(loop&, rawring::task& t, const cqe_t& c) {
    auto* k = static_cast<loop_counts*>(t.user());
    if (c.res != 0) k->bad = c.res < 0 ? c.res : -EIO;
    ++k->done;
}

int run_loop(unsigned batch, std::uint64_t ops) {
    loop l;
    if (const int ret = l.init(batch * 2 + 2); ret < 0) return ret;
    loop_counts k;
    const rawring::context ctx{on_nop, &k};
    for (std::uint64_t r = 0; r < ops / batch; ++r) {
        for (unsigned i = 0; i < batch; ++i)
            if (l.noop(ctx) == nullptr) return -EBUSY;
        if (const int ret = l.run(rawring::run_mode::until_done); ret < 0) return ret;
    }
    if (k.bad != 0) return k.bad;
    return k.done == (ops / batch) * batch ? 0 : -EIO;
}

// ---- ring ------------------------------------------------------------------------------------------

int run_ring(unsigned batch, std::uint64_t ops) {
    std::uint32_t flags = 0;
    {
        loop l;
        if (const int ret = l.init(batch * 2 + 2); ret < 0) return ret;
        flags = l.setup_flags();
    }
    rawring::ring r;
    if (const int ret = r.init(batch * 2 + 2, flags); ret < 0) return ret;
    for (std::uint64_t k = 0; k < ops / batch; ++k) {
        for (unsigned i = 0; i < batch; ++i) {
            abi::io_uring_sqe* sqe = r.get_sqe();
            rawring::prep_nop(sqe);
            sqe->user_data = i;
        }
        if (const int ret = r.submit_and_wait(batch); ret < 0) return ret;
        int bad = 0;
        const unsigned got = r.for_each_cqe([&](const cqe_t& c) {
            if (c.res != 0) bad = c.res < 0 ? c.res : -EIO;
        });
        r.cq_advance(got);
        if (bad != 0) return bad;
        if (got != batch) return -EIO;
    }
    return 0;
}

int usage() {
    std::fprintf(stderr, "usage: rawring-coro-bench nop --only coro|loop|ring [--batch N] [--ops N]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "nop") != 0) return usage();
    unsigned batch = 32;
    std::uint64_t ops = 100000;
    std::string only = "coro";
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        if (a == "--batch") batch = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        else if (a == "--ops") ops = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--only") only = argv[++i];
        else return usage();
    }
    if (batch == 0 || ops < batch) return usage();
    // A warm-up run, then the measured one.
    int (*fn)(unsigned, std::uint64_t) = only == "coro" ? run_coro : only == "loop" ? run_loop
                                       : only == "ring" ? run_ring : nullptr;
    if (fn == nullptr) return usage();
    const double t0 = now_ns();
    const int ret = fn(batch, ops);
    const double t1 = now_ns();
    if (ret < 0) {
        std::fprintf(stderr, "%s: %s\n", only.c_str(), std::strerror(-ret));
        return 1;
    }
    std::printf("%s nop batch %u: %.1f ns/op over %llu ops\n", only.c_str(), batch,
                (t1 - t0) / static_cast<double>(ops), static_cast<unsigned long long>(ops));
    return 0;
}
