// SPDX-License-Identifier: MIT
// loop_timer: relative and absolute timers on one loop; callbacks run in the order they fire.
#include <rawring/loop.hpp>

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

constexpr std::uint64_t ms = 1'000'000;  // timers take nanoseconds

struct order {
    unsigned fired[8] = {};
    unsigned n = 0;
    unsigned bad = 0;
};

// The tag says which timer this is, so one callback serves them all.
void on_timer(rawring::loop&, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    auto* o = static_cast<order*>(t.user());
    // The kernel ends a timeout with -ETIME; the loop reports a timer that fired as 0 (and one
    // that was cancelled as -ECANCELED).
    if (cqe.res != 0) ++o->bad;
    if (o->n < 8) o->fired[o->n++] = t.tag();
}

std::uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 * ms + static_cast<std::uint64_t>(ts.tv_nsec);
}

} // namespace

int main() {
    // Declared before the loop: its destructor cancels what is still in flight and runs those
    // callbacks, so what they point to must outlive it.
    order o;
    rawring::loop loop;
    if (int ret = loop.init(16); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    const std::uint64_t start = monotonic_ns();
    // Queued out of order on purpose. The gaps are tens of milliseconds so the order holds on
    // a busy machine: the timers fire in the kernel, not in this thread.
    for (unsigned after : {150u, 50u, 100u}) {
        if (loop.timer(after * ms, {on_timer, &o, after}) == nullptr) return 1;
    }
    // An absolute timer: a point on CLOCK_MONOTONIC, not a delay. It does not drift if the
    // program is late in queueing it.
    if (loop.timer(start + 125 * ms, {on_timer, &o, 125}, /*absolute=*/true) == nullptr) return 1;

    if (int r = loop.run(rawring::run_mode::until_done); r < 0) {
        std::fprintf(stderr, "run: %s\n", std::strerror(-r));
        return 1;
    }
    const std::uint64_t took = monotonic_ns() - start;
    const unsigned want[] = {50, 100, 125, 150};
    bool in_order = o.n == 4;
    for (unsigned i = 0; in_order && i < 4; ++i) in_order = o.fired[i] == want[i];
    if (!in_order || o.bad != 0 || took < 150 * ms) {
        std::fprintf(stderr, "fired %u timers (bad %u) in %llu ns:", o.n, o.bad,
                     static_cast<unsigned long long>(took));
        for (unsigned i = 0; i < o.n; ++i) std::fprintf(stderr, " %u", o.fired[i]);
        std::fprintf(stderr, "\n");
        return 1;
    }
    std::printf("loop_timer: fired in order 50 100 125 150 ms\n");
    return 0;
}
