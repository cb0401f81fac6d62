// SPDX-License-Identifier: MIT
// timeout_race: an operation raced against a timeout, and what cancellation does to it
// (rawring::co over rawring::loop).
//
// Usage: timeout_race (no arguments; prints one line per race)
//
// What it shows, on a socketpair (one end read, the other written by the example):
// 1. co::timeout(co::recv(...), 50 ms): the recv with an IORING_OP_LINK_TIMEOUT linked to it.
//    Nothing to read: the timeout fires, the kernel cancels the recv, the co_await gives -ETIME.
// 2. The same with data waiting: the recv completes first and the timeout is cancelled.
// 3. when_any(recv, sleep 50 ms) as two tasks: the sleep wins and the loser, the recv, is
//    cancelled (IORING_OP_ASYNC_CANCEL). when_any resumes only after the recv's own CQE
//    (-ECANCELED) is in: its coroutine frame, with the buffer the kernel was given, stays
//    alive until then. The cancelled recv took nothing: bytes sent afterwards all arrive.
// 4. co::timeout(loop, task, 100 ms) around a task of several operations (a recv_exact of 10
//    bytes when only 4 come): cancelled in the middle, -ETIME.
#include "coro_common.hpp"

#include <chrono>

namespace {

namespace co = rawring::co;
using namespace std::chrono_literals;
using example::fail;

struct results {
    int linked_empty = 0, linked_ready = 0;
    std::size_t race_winner = 0;
    int after_race = 0;
    char after[8] = {};
    int task_bounded = 0;
};

co::task<int> races(rawring::loop& l, int rd, int wr, results* out) {
    char buf[64];
    // 1. Nothing to read: the linked timeout wins.
    out->linked_empty = co_await co::timeout(co::recv(l, rd, buf, sizeof buf), 50ms);
    // 2. Data waiting: the recv wins.
    if (int r = co_await co::send(l, wr, "hello", 5); r != 5) co_return r < 0 ? r : -EIO;
    out->linked_ready = co_await co::timeout(co::recv(l, rd, buf, sizeof buf), 5s);
    // 3. Two tasks, first one wins; the other is cancelled and awaited.
    auto race = co_await co::when_any(co::as_task(co::recv(l, rd, buf, sizeof buf)), co::as_task(co::sleep(l, 50ms)));
    out->race_winner = race.index;
    if (int r = co_await co::send(l, wr, "world", 5); r != 5) co_return r < 0 ? r : -EIO;
    out->after_race = co_await co::recv(l, rd, out->after, sizeof out->after);
    // 4. A whole task bounded in time.
    if (int r = co_await co::send(l, wr, "part", 4); r != 4) co_return r < 0 ? r : -EIO;
    out->task_bounded = co_await co::timeout(l, example::recv_exact(l, rd, buf, 10), 100ms);
    co_return 0;
}

} // namespace

int main(int argc, char**) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: timeout_race\n");
        return 2;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail("timeout_race", "socketpair", -errno);
    example::unique_fd a(sv[0]), b(sv[1]);
    results res;
    rawring::loop l;
    if (int ret = example::init_loop(l, 16); ret != 0) return ret;
    const int r = example::run_bounded(l, races(l, sv[0], sv[1], &res));
    if (r < 0) return fail("timeout_race", "run", r);
    if (res.linked_empty != -ETIME) return fail("timeout_race", "recv with nothing to read", res.linked_empty);
    if (res.linked_ready != 5) return fail("timeout_race", "recv with data waiting", res.linked_ready);
    if (res.race_winner != 1) return fail("timeout_race", "the recv won a race it could not win");
    if (res.after_race != 5 || std::memcmp(res.after, "world", 5) != 0)
        return fail("timeout_race", "the cancelled recv took bytes");
    if (res.task_bounded != -ETIME) return fail("timeout_race", "the bounded task", res.task_bounded);
    if (l.in_flight() != 0) return fail("timeout_race", "operations left in flight");
    std::printf("timeout_race: recv with nothing to read, linked timeout 50 ms: -ETIME\n");
    std::printf("timeout_race: recv with 5 bytes waiting, linked timeout 5 s: 5 bytes\n");
    std::printf("timeout_race: when_any(recv, sleep 50 ms): the sleep won; the recv was cancelled, its frame "
                "kept until its CQE\n");
    std::printf("timeout_race: the 5 bytes sent after the race all arrived: the cancelled recv took none\n");
    std::printf("timeout_race: a task of several recvs (10 bytes wanted, 4 sent) bounded by 100 ms: -ETIME\n");
    return 0;
}
