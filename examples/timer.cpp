// SPDX-License-Identifier: MIT
// timer: sleeping in coroutines: co::sleep (a relative IORING_OP_TIMEOUT) and co::sleep_until
// (an absolute one, IORING_TIMEOUT_ABS on CLOCK_MONOTONIC), many at once on one thread
// (rawring::co over rawring::loop).
//
// Usage: timer (no arguments; prints one line per part)
//
// What it shows:
// - three coroutines sleep 60, 20 and 40 ms, all at once (when_all): they wake in the order of
//   their deadlines, not of their start, and none before its time. One thread, no timer
//   thread: the kernel holds the three timers and posts a CQE as each fires;
// - a ticker: sleep_until(start + k * 10 ms) for k = 1..5. Absolute deadlines do not drift
//   however late a wake-up is: a tick that wakes late is followed by one that sleeps less;
// - co::timeout(op, d): the same timer linked to an operation (see timeout_race).
#include "coro_common.hpp"

#include <chrono>

namespace {

namespace co = rawring::co;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using example::fail;

struct wake_log {
    int order[3];
    unsigned n = 0;
    bool early = false;  // a sleep ended before its time
};

/// Sleeps `ms` milliseconds, then writes `ms` into the log: 0 or -errno.
co::task<int> sleeper(rawring::loop& l, int ms, wake_log* log) {
    const auto t0 = clock_type::now();
    const int r = co_await co::sleep(l, std::chrono::milliseconds(ms));
    if (r < 0) co_return r;
    if (clock_type::now() - t0 < std::chrono::milliseconds(ms)) log->early = true;
    log->order[log->n++] = ms;
    co_return 0;
}

/// `ticks` wake-ups at start + k * period: how many woke at or after their deadline (all of
/// them, if the clock is right), or -errno.
co::task<int> ticker(rawring::loop& l, std::chrono::milliseconds period, int ticks) {
    const auto start = clock_type::now();
    int on_time = 0;
    for (int k = 1; k <= ticks; ++k) {
        const auto deadline = start + k * period;
        if (int r = co_await co::sleep_until(l, deadline); r < 0) co_return r;
        if (clock_type::now() >= deadline) ++on_time;
    }
    co_return on_time;
}

co::task<int> demo(rawring::loop& l, wake_log* log) {
    auto [a, b, c] = co_await co::when_all(sleeper(l, 60, log), sleeper(l, 20, log), sleeper(l, 40, log));
    if (a < 0 || b < 0 || c < 0) co_return a < 0 ? a : b < 0 ? b : c;
    co_return co_await ticker(l, 10ms, 5);
}

} // namespace

int main(int argc, char**) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: timer\n");
        return 2;
    }
    wake_log log;
    rawring::loop l;
    if (int ret = example::init_loop(l, 16); ret != 0) return ret;
    const int r = example::run_bounded(l, demo(l, &log));
    if (r < 0) return fail("timer", "run", r);
    if (log.n != 3 || log.early) return fail("timer", "a sleep ended early, or not at all");
    if (r != 5) return fail("timer", "a tick of sleep_until came before its deadline");
    std::printf("timer: 3 sleeps started at once (60, 20, 40 ms) woke in order %d %d %d ms, none early\n",
                log.order[0], log.order[1], log.order[2]);
    std::printf("timer: 5 ticks of sleep_until every 10 ms on absolute deadlines, none early\n");
    return 0;
}
