// SPDX-License-Identifier: MIT
// loop_cancel: three ways to end an operation early: cancel(task), a deadline, cancel_all.
#include <rawring/loop.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

constexpr std::uint64_t ms = 1'000'000;
constexpr std::uint64_t no_offset = static_cast<std::uint64_t>(-1);

struct result {
    int calls = 0;
    int res = 1;
    bool timed_out = false;
};

// Every cancelled task still gets its callback, exactly once: that is where its resources go
// back. Cancelling only asks; the callback says how it ended.
void record(rawring::loop&, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    auto* r = static_cast<result*>(t.user());
    ++r->calls;
    r->res = cqe.res;
    r->timed_out = t.timed_out();
}

const char* name(int res) {
    switch (res) {
    case 0: return "0";
    case -ECANCELED: return "-ECANCELED";
    case -ETIME: return "-ETIME";
    case -ENOENT: return "-ENOENT";
    case -EALREADY: return "-EALREADY";
    default: return "something else";
    }
}

bool run(rawring::loop& l) {
    const int r = l.run(rawring::run_mode::until_done);
    if (r < 0) std::fprintf(stderr, "run: %s\n", std::strerror(-r));
    return r >= 0;
}

} // namespace

int main() {
    // Declared before the loop: its destructor cancels what is still in flight and runs those
    // callbacks, so what they point to must outlive it.
    result timer, cancel, late, a, b, all;
    char buf[8];
    rawring::loop loop;
    if (int ret = loop.init(16); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    // An empty pipe: a read on it waits until cancelled.
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return 1;
    bool ok = true;

    // 1. cancel(task): keep the task an operation returned, and cancel that one.
    rawring::task* t = loop.timer(60'000 * ms, {record, &timer});
    if (t == nullptr || loop.cancel(t, {record, &cancel}) == nullptr || !run(loop)) return 1;
    ok = ok && timer.calls == 1 && timer.res == -ECANCELED && cancel.res == 0;
    std::printf("loop_cancel: cancel(task): the 60 s timer ended with %s, the cancel with %s\n",
                name(timer.res), name(cancel.res));

    // 2. A deadline: context.deadline_ns links a timeout to the read. When it fires first the
    // kernel cancels the read, and task::timed_out() tells the two causes apart.
    if (loop.read(fds[0], buf, sizeof buf, no_offset, {record, &late, 0, 50 * ms}) == nullptr ||
        !run(loop))
        return 1;
    ok = ok && late.calls == 1 && late.res == -ECANCELED && late.timed_out;
    std::printf("loop_cancel: deadline: the read ended with %s, timed out: %s\n", name(late.res),
                late.timed_out ? "yes" : "no");

    // 3. cancel_all: everything in flight on this loop, as at shutdown. Submit the reads first,
    // so the kernel has them when the cancel arrives.
    if (loop.read(fds[0], buf, 1, no_offset, {record, &a}) == nullptr ||
        loop.read(fds[0], buf, 1, no_offset, {record, &b}) == nullptr || loop.submit() < 0 ||
        loop.cancel_all({record, &all}) == nullptr || !run(loop))
        return 1;
    ok = ok && a.res == -ECANCELED && b.res == -ECANCELED && all.res == 2;
    std::printf("loop_cancel: cancel_all: both reads ended with %s, the cancel found %d\n",
                a.res == b.res ? name(a.res) : "different results", all.res);

    close(fds[0]);
    close(fds[1]);
    if (!ok || loop.in_flight() != 0) return 1;
    return 0;
}
