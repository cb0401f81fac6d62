// SPDX-License-Identifier: MIT
// concurrent_reads: 100 reads of one file in flight at once, one coroutine each
// (rawring::co over rawring::loop).
//
// Usage: concurrent_reads (no arguments)
//
// What it shows: with io_uring, concurrency costs no threads. A temporary file of 100 blocks
// of 4 KiB is read by 100 coroutines, each its own block at its own offset
// (IORING_OP_READ with an offset, like pread(2)). when_all over the 100 tasks starts them
// all before the loop runs, so all 100 reads are queued and submitted in one batch: the loop
// has 100 operations in flight at once, which the example counts. Each coroutine checks the
// bytes of its block.
#include "coro_common.hpp"

#include <array>
#include <span>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned readers = 100;
constexpr unsigned block = 4096;
constexpr std::uint64_t seed = 42;

struct counters {
    unsigned waiting = 0, most_waiting = 0;  // coroutines suspended on their read
    unsigned most_in_flight = 0;             // the loop's own count of operations in flight
};

/// Reads block `i` and checks it: 1 when its bytes are right, 0 when not, or -errno.
co::task<int> read_block(rawring::loop& l, int fd, unsigned i, counters* c) {
    alignas(64) unsigned char buf[block], want[block];
    if (++c->waiting > c->most_waiting) c->most_waiting = c->waiting;
    const int n = co_await co::read(l, fd, buf, block, std::uint64_t{i} * block);
    --c->waiting;
    // Resumed from the read's completion callback, whose task the loop still counts: the
    // first coroutine to get here sees every read that was in flight with its own.
    if (l.in_flight() > c->most_in_flight) c->most_in_flight = l.in_flight();
    if (n < 0) co_return n;
    example::fill_pattern(want, block, seed, std::uint64_t{i} * block);
    co_return n == static_cast<int>(block) && std::memcmp(buf, want, block) == 0 ? 1 : 0;
}

/// All blocks at once: how many were right, or the first -errno.
co::task<int> read_all(rawring::loop& l, int fd, counters* c) {
    std::array<co::task<int>, readers> tasks;
    for (unsigned i = 0; i < readers; ++i) tasks[i] = read_block(l, fd, i, c);
    co_await co::when_all(std::span<co::task<int>>(tasks));
    int ok = 0;
    for (auto& t : tasks) {
        const int r = t.result();
        if (r < 0) co_return r;
        ok += r;
    }
    co_return ok;
}

} // namespace

int main(int argc, char**) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: concurrent_reads\n");
        return 2;
    }
    example::temp_file file;
    if (int ret = file.create_with_pattern("concurrent-reads", std::size_t{readers} * block, seed); ret < 0)
        return fail("concurrent_reads", "temp file", ret);
    counters c;
    rawring::loop l;
    if (int ret = example::init_loop(l, 128); ret != 0) return ret;  // 128 SQEs: one batch of 100
    const int r = example::run_bounded(l, read_all(l, file.fd, &c));
    if (r < 0) return fail("concurrent_reads", "read", r);
    if (r != static_cast<int>(readers)) return fail("concurrent_reads", "a block came back wrong");
    if (c.most_waiting != readers || c.most_in_flight != readers)
        return fail("concurrent_reads", "the reads were not all in flight at once");
    std::printf("concurrent_reads: %u reads in flight at once (when_all over %u coroutines), %u bytes, every "
                "block checked\n",
                c.most_in_flight, readers, readers * block);
    return 0;
}
