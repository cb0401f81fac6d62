// SPDX-License-Identifier: MIT
// Kernel tests of the core ring: setup, every submit/complete call under every configuration,
// SQ full, CQ overflow, timeouts, signals, registered ring fd, teardown, error returns.
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <thread>
#include <vector>

#include "common.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;

namespace {

/// get_sqe, and on a full SQ (an SQPOLL thread not yet caught up) submit and retry for a while.
io_uring_sqe* next_sqe(rawring::ring& r) {
    for (int i = 0; i < 100000; ++i) {
        if (io_uring_sqe* sqe = r.get_sqe()) return sqe;
        (void)r.submit();
        sched_yield();
    }
    return nullptr;
}

/// Submits `n` NOPs numbered from `first` and reaps them, checking order, user_data and res.
void nop_round_trip(rawring::ring& r, unsigned n, std::uint64_t first) {
    for (unsigned i = 0; i < n; ++i) {
        io_uring_sqe* sqe = next_sqe(r);
        REQUIRE(sqe != nullptr);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, first + i);
    }
    REQUIRE(r.submit_and_wait(n) >= 0);
    for (unsigned i = 0; i < n; ++i) {
        io_uring_cqe* cqe = nullptr;
        REQUIRE(r.wait_cqe(&cqe) == 0);
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == first + i);
        CHECK(cqe->res == 0);
        r.cqe_seen(cqe);
    }
    CHECK(r.cq_ready() == 0);
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("ring: init and exit under every configuration") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        CHECK(r.is_open());
        CHECK(r.fd() >= 0);
        CHECK(r.enter_fd() == r.fd());
        CHECK((r.flags() & c.flags) == c.flags);
        CHECK(r.sq().ring_entries == 8);
        CHECK(r.sq().ring_mask == 7);
        CHECK(r.cq().ring_entries == 16);
        CHECK(r.cq().ring_mask == 15);
        CHECK(r.sq().shift == ((c.flags & abi::IORING_SETUP_SQE128) ? 1u : 0u));
        CHECK(r.cq().shift == ((c.flags & abi::IORING_SETUP_CQE32) ? 1u : 0u));
        CHECK((r.features() & abi::IORING_FEAT_SINGLE_MMAP) != 0);
        if (c.array == rawring::sq_array::keep) {
            // The fallback path: the array is mapped and identity-filled once.
            REQUIRE(r.sq().array != nullptr);
            CHECK((r.flags() & abi::IORING_SETUP_NO_SQARRAY) == 0);
            for (std::uint32_t i = 0; i < r.sq().ring_entries; ++i) CHECK(r.sq().array[i] == i);
        } else if (setup_accepts(c.flags | abi::IORING_SETUP_NO_SQARRAY) == 0) {
            // 6.6+ takes NO_SQARRAY, so rawring asks for it by default.
            CHECK((r.flags() & abi::IORING_SETUP_NO_SQARRAY) != 0);
            CHECK(r.sq().array == nullptr);
        } else {
            // The kernel refuses NO_SQARRAY (before 6.6): rawring set up again with the array,
            // mapped and identity-filled once.
            CHECK((c.flags & abi::IORING_SETUP_NO_SQARRAY) == 0);  // else open_ring skipped
            CHECK((r.flags() & abi::IORING_SETUP_NO_SQARRAY) == 0);
            REQUIRE(r.sq().array != nullptr);
            for (std::uint32_t i = 0; i < r.sq().ring_entries; ++i) CHECK(r.sq().array[i] == i);
        }
        CHECK(r.sq_ready() == 0);
        CHECK(r.sq_space_left() == 8);
        CHECK(r.cq_ready() == 0);
        r.exit();
        CHECK_FALSE(r.is_open());
        CHECK(r.fd() == -1);
        r.exit();  // twice is fine
        CHECK(r.fd() == -1);
    }
}

TEST_CASE("ring: nop, submit and wait_cqe under every configuration") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 0x1234);
        CHECK(r.sq_ready() == 1);
        CHECK(r.sq_space_left() == 3);
        CHECK(r.sq().sqe_tail == 1);
        CHECK(r.sq().sqe_head == 0);
        CHECK(r.submit() == 1);
        CHECK(r.sq().sqe_head == 1);
        CHECK(*r.sq().ktail == 1);
        io_uring_cqe* cqe = nullptr;
        REQUIRE(r.wait_cqe(&cqe) == 0);
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 0x1234);
        CHECK(cqe->res == 0);
        CHECK(cqe->flags == 0);
        CHECK(r.cq_ready() == 1);
        r.cqe_seen(cqe);
        CHECK(r.cq_ready() == 0);
        CHECK(*r.cq().khead == 1);
        CHECK(await_sq_consumed(r));  // an SQPOLL thread publishes its head after the CQE
        CHECK(r.sq_ready() == 0);
        // Several rounds so the SQ and CQ wrap.
        for (int round = 0; round < 5; ++round) nop_round_trip(r, 4, 100 + 4 * round);
        CHECK(*r.cq().khead == 21);
    }
}

TEST_CASE("ring: submit_and_wait, flush_sq and enter under every configuration") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        for (std::uint64_t i = 0; i < 4; ++i) REQUIRE(queue_nop(r, i) != nullptr);
        CHECK(r.sq_ready() == 4);
        CHECK(r.submit_and_wait(4) == 4);
        CHECK(r.cq_ready() == 4);
        r.cq_advance(4);
        CHECK(r.cq_ready() == 0);

        // flush_sq publishes without entering; enter then submits what was published.
        for (std::uint64_t i = 0; i < 3; ++i) REQUIRE(queue_nop(r, 10 + i) != nullptr);
        const std::uint32_t tail_before = *r.sq().ktail;
        CHECK(r.flush_sq() == 3);
        CHECK(*r.sq().ktail == tail_before + 3);
        CHECK(r.sq().sqe_head == r.sq().sqe_tail);
        unsigned flags = abi::IORING_ENTER_GETEVENTS;
        if (r.flags() & abi::IORING_SETUP_SQPOLL) flags |= abi::IORING_ENTER_SQ_WAKEUP;
        CHECK(r.enter(3, 3, flags) == 3);
        CHECK(r.cq_ready() == 3);
        r.cq_advance(3);
        CHECK(await_sq_consumed(r));  // an SQPOLL thread publishes its head after the CQEs
        CHECK(r.sq_ready() == 0);
    }
}

TEST_CASE("ring: copy_cqes, copy_cqe, for_each_cqe and cq_advance under every configuration") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;  // CQ of 8
        const bool big = (r.flags() & abi::IORING_SETUP_CQE32) != 0;
        std::uint64_t next = 0;
        std::uint64_t expect = 0;
        for (int round = 0; round < 12; ++round) {  // 6 per round over a CQ of 8: wraps often
            for (int i = 0; i < 6; ++i) {  // more than the SQ holds: next_sqe submits when full
                io_uring_sqe* sqe = next_sqe(r);
                REQUIRE(sqe != nullptr);
                rawring::prep_nop(sqe);
                rawring::sqe_set_data64(sqe, next++);
            }
            REQUIRE(r.submit() >= 0);
            unsigned got = 0;
            if (big) {
                abi::io_uring_cqe32 out[16];
                abi::io_uring_cqe small[4];
                CHECK(r.copy_cqes(std::span<abi::io_uring_cqe>(small), 1) == -err::einval);
                while (got < 6) {
                    const int n = r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 6 - got);
                    REQUIRE(n > 0);
                    for (int i = 0; i < n; ++i) {
                        CHECK(out[i].user_data == expect++);
                        CHECK(out[i].res == 0);
                        CHECK(out[i].big_cqe[0] == 0);  // a NOP posts zeroes in the big half
                    }
                    got += static_cast<unsigned>(n);
                }
            } else {
                abi::io_uring_cqe out[16];
                while (got < 6) {
                    const int n = r.copy_cqes(std::span<abi::io_uring_cqe>(out), 6 - got);
                    REQUIRE(n > 0);
                    for (int i = 0; i < n; ++i) {
                        CHECK(out[i].user_data == expect++);
                        CHECK(out[i].res == 0);
                    }
                    got += static_cast<unsigned>(n);
                }
            }
            CHECK(got == 6);
            CHECK(*r.cq().khead == expect);
            CHECK(r.cq_ready() == 0);
        }

        // The 32-byte overload on any ring.
        REQUIRE(queue_nop(r, 500) != nullptr);
        REQUIRE(r.submit_and_wait(1) >= 0);
        abi::io_uring_cqe32 wide[2];
        __builtin_memset(static_cast<void*>(wide), 0xff, sizeof(wide));
        CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(wide), 1) == 1);
        CHECK(wide[0].user_data == 500);
        CHECK(wide[0].big_cqe[0] == 0);
        CHECK(wide[0].big_cqe[1] == 0);

        // copy_cqe waits for and consumes exactly one.
        if (!big) {
            REQUIRE(queue_nop(r, 600) != nullptr);
            REQUIRE(queue_nop(r, 601) != nullptr);
            REQUIRE(r.submit() >= 0);
            abi::io_uring_cqe one{};
            REQUIRE(r.copy_cqe(one) == 0);
            CHECK(one.user_data == 600);
            REQUIRE(r.copy_cqe(one) == 0);
            CHECK(one.user_data == 601);
        }

        // for_each_cqe visits without consuming; cq_advance consumes.
        // Move the CQ head to slot 5 of 8, so a visit of six CQEs crosses the ring's end.
        while ((*r.cq().khead & r.cq().ring_mask) != 5) {
            REQUIRE(queue_nop(r, 699) != nullptr);
            REQUIRE(r.submit_and_wait(1) == 1);
            r.cq_advance(1);
        }
        for (std::uint64_t i = 0; i < 4; ++i) REQUIRE(queue_nop(r, 700 + i) != nullptr);
        REQUIRE(r.submit_and_wait(4) >= 0);
        for (std::uint64_t i = 4; i < 6; ++i) REQUIRE(queue_nop(r, 700 + i) != nullptr);
        REQUIRE(r.submit_and_wait(6) >= 0);
        std::vector<std::uint64_t> seen;
        const unsigned visited = r.for_each_cqe([&](const io_uring_cqe& cqe) {
            seen.push_back(cqe.user_data);
            if (big) CHECK(rawring::big_cqe(cqe).big_cqe[1] == 0);
        });
        CHECK(visited == 6);
        CHECK(r.cq_ready() == 6);
        CHECK(seen == std::vector<std::uint64_t>{700, 701, 702, 703, 704, 705});
        r.cq_advance(visited);
        CHECK(r.cq_ready() == 0);
        CHECK(r.for_each_cqe([](const io_uring_cqe&) {}) == 0);
    }
}

TEST_CASE("ring: peek_cqe and wait_cqe_nr under every configuration") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        io_uring_cqe* cqe = reinterpret_cast<io_uring_cqe*>(1);
        CHECK(r.peek_cqe(&cqe) == -err::eagain);
        CHECK(cqe == nullptr);
        for (std::uint64_t i = 0; i < 3; ++i) REQUIRE(queue_nop(r, 40 + i) != nullptr);
        REQUIRE(r.submit() == 3);
        REQUIRE(r.wait_cqe_nr(&cqe, 3) == 0);
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 40);
        CHECK(r.cq_ready() == 3);
        for (std::uint64_t i = 0; i < 3; ++i) {
            REQUIRE(r.peek_cqe(&cqe) == 0);
            CHECK(cqe->user_data == 40 + i);
            r.cqe_seen(cqe);
        }
        CHECK(r.peek_cqe(&cqe) == -err::eagain);
        r.cqe_seen(nullptr);  // ignored
        CHECK(*r.cq().khead == 3);
    }
}

TEST_CASE("ring: wait_cqe_timeout and submit_and_wait_timeout under every configuration") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        REQUIRE((r.features() & abi::IORING_FEAT_EXT_ARG) != 0);
        io_uring_cqe* cqe = nullptr;
        const abi::kernel_timespec ts = ms(20);

        // Nothing in flight: the wait runs out.
        auto start = std::chrono::steady_clock::now();
        CHECK(r.wait_cqe_timeout(&cqe, &ts) == -err::etime);
        CHECK(cqe == nullptr);
        CHECK(ms_since(start) >= 15.0);  // it did wait, rather than fail at once

        start = std::chrono::steady_clock::now();
        CHECK(r.submit_and_wait_timeout(&cqe, 1, &ts) == -err::etime);
        CHECK(cqe == nullptr);
        CHECK(ms_since(start) >= 15.0);

        // Something completes: no timeout.
        REQUIRE(queue_nop(r, 77) != nullptr);
        CHECK(submitted(r, r.submit_and_wait_timeout(&cqe, 1, &ts), 1));
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 77);
        r.cqe_seen(cqe);

        REQUIRE(queue_nop(r, 78) != nullptr);
        submit_queued(r, 1);
        CHECK(r.wait_cqe_timeout(&cqe, &ts) == 0);
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 78);
        r.cqe_seen(cqe);

        // A null timeout waits like wait_cqe.
        REQUIRE(queue_nop(r, 79) != nullptr);
        submit_queued(r, 1);
        CHECK(r.wait_cqe_timeout(&cqe, nullptr) == 0);
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 79);
        r.cqe_seen(cqe);

        // A kernel timeout that fires inside a timed wait is a CQE, not -ETIME.
        const abi::kernel_timespec short_ts = ms(1);
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_timeout(sqe, &short_ts, 0, 0);
        rawring::sqe_set_data64(sqe, 80);
        const abi::kernel_timespec long_ts = ms(2000);
        CHECK(submitted(r, r.submit_and_wait_timeout(&cqe, 1, &long_ts), 1));
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 80);
        CHECK(cqe->res == -err::etime);
        r.cqe_seen(cqe);
        CHECK(r.cq_ready() == 0);
    }
}

TEST_CASE("ring: a timed wait on an IOPOLL ring lasts its time and returns a CQE that comes meanwhile") {
    // The kernel never sleeps in an IOPOLL ring's wait: it polls, ignores the timeout, and
    // returns at once when nothing polled is in flight. So the timed wait enters again until
    // the time is up, and a CQE that does not come from polling (here a MSG_RING from another
    // ring) must still end it.
    rawring::ring r;
    if (!open_ring(r, 4, abi::IORING_SETUP_IOPOLL, "IOPOLL")) return;
    io_uring_cqe* cqe = nullptr;
    const abi::kernel_timespec ts = ms(30);
    auto start = std::chrono::steady_clock::now();
    CHECK(r.wait_cqe_timeout(&cqe, &ts) == -err::etime);
    CHECK(cqe == nullptr);
    CHECK(ms_since(start) >= 25.0);  // the whole time, not one enter's worth

    rawring::ring sender;
    REQUIRE(sender.init(4) == 0);
    int send_res = 1;
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        io_uring_sqe* sqe = sender.get_sqe();
        rawring::prep_msg_ring(sqe, r.fd(), 0x55, 0x1d1e, 0);
        rawring::sqe_set_data64(sqe, 1);
        io_uring_cqe* own = nullptr;
        if (sender.submit_and_wait(1) == 1 && sender.wait_cqe(&own) == 0) {
            send_res = own->res;
            sender.cqe_seen(own);
        }
    });
    const abi::kernel_timespec patience = ms(20000);
    const int ret = r.wait_cqe_timeout(&cqe, &patience);
    t.join();
    CHECK(send_res == 0);
    REQUIRE(ret == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 0x1d1e);
    CHECK(cqe->res == 0x55);
    r.cqe_seen(cqe);
    CHECK(r.cq_ready() == 0);
}

TEST_CASE("ring: a timed wait reports no -ETIME while a due completion is still deferred work") {
    // On a DEFER_TASKRUN ring the kernel now and then ends a GETEVENTS wait at the moment a
    // timer's completion becomes due, with that completion still deferred work and no CQE in
    // the ring (seen on 6.18 on the first ticks of a fresh ring, more often under load).
    // rawring must flush it rather than report the wait as timed out.
    const abi::kernel_timespec tick = ms(2);
    const abi::kernel_timespec patience = ms(2000);
    {
        // Multishot timeouts arrived in 6.4: an older kernel fails the SQE with -EINVAL.
        rawring::ring probe;
        REQUIRE(probe.init(2) == 0);
        io_uring_sqe* sqe = probe.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_timeout(sqe, &tick, 1, abi::IORING_TIMEOUT_MULTISHOT);  // fires once
        REQUIRE(probe.submit() == 1);
        const io_uring_cqe cqe = reap(probe);
        if (cqe.res == -err::einval) {
            RAWRING_REQUIRE_KERNEL_REFUSES(timeout_by_hand(&tick, 1, abi::IORING_TIMEOUT_MULTISHOT, cqe.user_data));
            RAWRING_SKIP("the kernel refuses IORING_TIMEOUT_MULTISHOT (-EINVAL)");
            return;
        }
        REQUIRE(cqe.res == -err::etime);
    }
    int timed_out = 0;
    int waits = 0;
    for (int iter = 0; iter < 150; ++iter) {
        rawring::ring r;
        if (!open_ring(r, 8, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"))
            return;
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_timeout(sqe, &tick, 0, abi::IORING_TIMEOUT_MULTISHOT);
        rawring::sqe_set_data64(sqe, 42);
        REQUIRE(r.submit() == 1);
        for (int i = 0; i < 3; ++i, ++waits) {
            io_uring_cqe* cqe = nullptr;
            int ret = 0;
            if (i == 0) {
                ret = r.wait_cqe_timeout(&cqe, &patience);
            } else if (i == 1) {
                ret = r.submit_and_wait_timeout(&cqe, 1, &patience);
                ret = ret >= 0 && cqe != nullptr ? 0 : -err::etime;
            } else {
                abi::io_uring_cqe one{};
                const wait_watchdog watchdog(5);  // copy_cqes waits without a timeout
                ret = r.copy_cqes(std::span<abi::io_uring_cqe>(&one, 1), 1) == 1 ? 0 : -err::etime;
                CHECK_FALSE(wait_watchdog::fired());
                if (ret != 0) {
                    ++timed_out;
                    continue;
                }
                CHECK(one.user_data == 42);
                CHECK(one.res == -err::etime);
                CHECK((one.flags & abi::IORING_CQE_F_MORE) != 0);
                continue;
            }
            if (ret != 0) {
                ++timed_out;
                continue;
            }
            CHECK(cqe->user_data == 42);
            CHECK(cqe->res == -err::etime);
            CHECK((cqe->flags & abi::IORING_CQE_F_MORE) != 0);
            r.cqe_seen(cqe);
        }
    }
    CHECK(waits == 450);
    CHECK(timed_out == 0);
}

TEST_CASE("ring: a full SQ hands out no SQE and loses none") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        if (c.flags & abi::IORING_SETUP_SQPOLL) continue;  // the poller drains the SQ under us
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;
        for (std::uint64_t i = 0; i < 4; ++i) REQUIRE(queue_nop(r, i) != nullptr);
        CHECK(r.get_sqe() == nullptr);
        CHECK(r.get_sqe() == nullptr);
        CHECK(r.sq_ready() == 4);
        CHECK(r.sq_space_left() == 0);
        CHECK(r.sq().sqe_tail == 4);  // the refused calls took nothing
        CHECK(r.submit_and_wait(4) == 4);
        CHECK(r.sq_space_left() == 4);
        abi::io_uring_cqe32 out[8];
        CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 0) == 4);
        for (std::uint64_t i = 0; i < 4; ++i) CHECK(out[i].user_data == i);
        CHECK(r.get_sqe() != nullptr);
    }
}

TEST_CASE("ring: CQ overflow with four times more completions than CQ entries loses none") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;  // 4 SQ entries, 8 CQ entries
        REQUIRE((r.features() & abi::IORING_FEAT_NODROP) != 0);
        const unsigned total = 4 * r.cq().ring_entries;
        // Submit everything without reaping a single CQE.
        std::uint64_t next = 0;
        while (next < total) {
            while (next < total && r.sq_space_left() > 0) REQUIRE(queue_nop(r, next++) != nullptr);
            REQUIRE(r.submit() >= 0);
            for (int spin = 0; spin < 100000 && r.sq_space_left() == 0; ++spin) {
                (void)r.submit();
                sched_yield();
            }
        }
        // Let an SQPOLL thread finish the last batch before looking at the flags.
        CHECK(await_sq_consumed(r));
        CHECK(r.cq_ready() == r.cq().ring_entries);
        CHECK(r.cq_has_overflow());

        // Every completion comes back, in submission order, none dropped.
        std::vector<std::uint64_t> got;
        abi::io_uring_cqe32 out[5];  // not a divisor of anything above, to vary the batches
        for (int guard = 0; got.size() < total && guard < 1000; ++guard) {
            const int n = r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 1);
            REQUIRE(n > 0);
            for (int i = 0; i < n; ++i) {
                CHECK(out[i].res == 0);
                got.push_back(out[i].user_data);
            }
        }
        REQUIRE(got.size() == total);
        for (std::uint64_t i = 0; i < total; ++i) CHECK(got[i] == i);
        CHECK_FALSE(r.cq_has_overflow());
        CHECK(*r.cq().koverflow == 0);
        io_uring_cqe* cqe = nullptr;
        CHECK(r.peek_cqe(&cqe) == -err::eagain);
    }
}

TEST_CASE("ring: overflowed completions reach wait_cqe and peek_cqe") {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);  // CQ of 4
    const unsigned total = 16;
    for (std::uint64_t i = 0; i < total; i += 2) {
        REQUIRE(queue_nop(r, i) != nullptr);
        REQUIRE(queue_nop(r, i + 1) != nullptr);
        REQUIRE(r.submit() == 2);
    }
    CHECK(r.cq_ready() == 4);
    CHECK(r.cq_has_overflow());
    for (std::uint64_t i = 0; i < total; ++i) {
        io_uring_cqe* cqe = nullptr;
        REQUIRE(((i % 2) ? r.peek_cqe(&cqe) : r.wait_cqe(&cqe)) == 0);
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == i);
        r.cqe_seen(cqe);
    }
    CHECK_FALSE(r.cq_has_overflow());
    CHECK(r.cq_ready() == 0);
}

TEST_CASE("ring: deferred task work sets TASKRUN and the next peek enters the kernel") {
    rawring::ring r;
    const std::uint32_t flags = abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN |
                                abi::IORING_SETUP_TASKRUN_FLAG;
    if (!open_ring(r, 4, flags, "DEFER_TASKRUN|TASKRUN_FLAG")) return;
    const abi::kernel_timespec ts = ms(1);
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_timeout(sqe, &ts, 0, 0);
    rawring::sqe_set_data64(sqe, 5);
    REQUIRE(r.submit() == 1);
    // The timer fires, but its completion waits as deferred work until we enter with GETEVENTS.
    std::uint32_t sq_flags = 0;
    for (int i = 0; i < 500 && (sq_flags & abi::IORING_SQ_TASKRUN) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        sq_flags = std::atomic_ref<std::uint32_t>(*r.sq().kflags).load(std::memory_order_relaxed);
    }
    REQUIRE((sq_flags & abi::IORING_SQ_TASKRUN) != 0);
    CHECK(r.cq_ready() == 0);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.peek_cqe(&cqe) == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 5);
    CHECK(cqe->res == -err::etime);
    r.cqe_seen(cqe);
}

TEST_CASE("ring: SQPOLL wakes a sleeping poller through NEED_WAKEUP") {
    rawring::ring r;
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_SQPOLL;
    p.sq_thread_idle = 1;  // ms: the poller sleeps almost at once
    if (!open_ring(r, 4, p, "SQPOLL")) return;
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        std::uint32_t sq_flags = 0;
        for (int i = 0; i < 2000 && (sq_flags & abi::IORING_SQ_NEED_WAKEUP) == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            sq_flags = std::atomic_ref<std::uint32_t>(*r.sq().kflags).load(std::memory_order_relaxed);
        }
        REQUIRE((sq_flags & abi::IORING_SQ_NEED_WAKEUP) != 0);
        REQUIRE(queue_nop(r, 900 + round) != nullptr);
        CHECK(r.submit() == 1);  // enters with SQ_WAKEUP; without it the NOP would sit there
        io_uring_cqe* cqe = nullptr;
        const abi::kernel_timespec ts = ms(2000);
        REQUIRE(r.wait_cqe_timeout(&cqe, &ts) == 0);
        CHECK(cqe->user_data == static_cast<std::uint64_t>(900 + round));
        r.cqe_seen(cqe);
    }
}

TEST_CASE("ring: registered ring fd is used by every later enter") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;
        CHECK(r.unregister_ring_fd() == -err::einval);  // nothing registered yet
        const int ret = r.register_ring_fd();
        if (ret == -err::einval) {
            RAWRING_SKIP("IORING_REGISTER_RING_FDS needs Linux 5.18");
            continue;
        }
        REQUIRE(ret == 1);
        // The index is small (0..15) and no io_uring fd: an enter that passed it without
        // IORING_ENTER_REGISTERED_RING would fail, so the round trips below prove both are sent.
        CHECK(r.enter_fd() >= 0);
        CHECK(r.enter_fd() < 16);
        CHECK(r.enter_fd() != r.fd());
        CHECK(r.register_ring_fd() == -err::eexist);
        nop_round_trip(r, 3, 0);
        abi::io_uring_cqe32 out[4];
        REQUIRE(queue_nop(r, 9) != nullptr);
        submit_queued(r, 1);
        CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 1) == 1);
        CHECK(out[0].user_data == 9);
        const abi::kernel_timespec ts = ms(5);
        io_uring_cqe* cqe = nullptr;
        CHECK(r.wait_cqe_timeout(&cqe, &ts) == -err::etime);  // nothing in flight
        // Bounded by seconds, not milliseconds: an SQPOLL thread on a loaded machine may take
        // a while to pick the NOP up (fix: the registered ring fd round trip on SQPOLL ...).
        const abi::kernel_timespec patience = ms(10000);
        REQUIRE(queue_nop(r, 10) != nullptr);
        CHECK(submitted(r, r.submit_and_wait_timeout(&cqe, 1, &patience), 1));
        REQUIRE(cqe != nullptr);
        CHECK(cqe->user_data == 10);
        r.cqe_seen(cqe);
        CHECK(r.unregister_ring_fd() == 1);
        CHECK(r.enter_fd() == r.fd());
        CHECK(r.unregister_ring_fd() == -err::einval);
        nop_round_trip(r, 2, 50);
        // Registered again and left registered: exit() must drop it (checked by the leak test).
        CHECK(r.register_ring_fd() == 1);
    }
}

TEST_CASE("ring: with the ring fd registered, enters and registers need no fd at all") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    REQUIRE(r.register_ring_fd() == 1);
    if ((r.features() & abi::IORING_FEAT_REG_REG_RING) == 0) {
        RAWRING_SKIP("the kernel lacks IORING_FEAT_REG_REG_RING: register ops need the ring fd");
        return;
    }
    // Close the real fd behind the ring's back: the registered index keeps the ring alive, and
    // only calls that go through it (IORING_ENTER_REGISTERED_RING for enter,
    // IORING_REGISTER_USE_REGISTERED_RING for register) can still reach it.
    const int fd = r.fd();
    REQUIRE(::close(fd) == 0);
    nop_round_trip(r, 3, 0);
    const rawring::probe p = rawring::get_probe(r);
    CHECK(p.status() == 0);
    CHECK(p.supported(abi::IORING_OP_NOP));
    io_uring_cqe* cqe = nullptr;
    const abi::kernel_timespec ts = ms(1);
    CHECK(r.wait_cqe_timeout(&cqe, &ts) == -err::etime);
    r.exit();  // unregisters the index (through the index), then closes the stale fd number
    CHECK(::fcntl(fd, F_GETFD) == -1);  // nothing reopened it meanwhile
    // The slot was given back: all 16 of the task's ring-fd slots can be taken again.
    std::vector<rawring::ring> rings(16);
    for (rawring::ring& other : rings) {
        REQUIRE(other.init(2) == 0);
        CHECK(other.register_ring_fd() == 1);
    }
}

TEST_CASE("ring: register_ring_fd gives -EBUSY when the task's 16 slots are taken") {
    std::vector<rawring::ring> rings(17);
    int registered = 0;
    int last = 0;
    for (rawring::ring& r : rings) {
        REQUIRE(r.init(2) == 0);
        last = r.register_ring_fd();
        if (last != 1) break;
        ++registered;
    }
    CHECK(registered == 16);
    CHECK(last == -err::ebusy);
    // The refused ring still works through its plain fd; freeing a slot lets it register.
    CHECK(rings[16].enter_fd() == rings[16].fd());
    nop_round_trip(rings[16], 2, 0);
    CHECK(rings[0].unregister_ring_fd() == 1);
    CHECK(rings[16].register_ring_fd() == 1);
    nop_round_trip(rings[16], 2, 2);
}

TEST_CASE("ring: a moved ring keeps working and the moved-from ring is closed") {
    rawring::ring a;
    REQUIRE(a.init(4) == 0);
    const int fd = a.fd();
    REQUIRE(queue_nop(a, 1) != nullptr);  // pending state travels with the ring
    rawring::ring b(static_cast<rawring::ring&&>(a));
    CHECK(b.fd() == fd);
    CHECK_FALSE(a.is_open());
    CHECK(a.get_sqe() == nullptr);
    CHECK(a.sq_ready() == 0);
    CHECK(a.cq_ready() == 0);
    CHECK(a.submit() == 0);
    io_uring_cqe* cqe = nullptr;
    CHECK(a.peek_cqe(&cqe) == -err::eagain);
    CHECK(a.wait_cqe(&cqe) == -err::ebadf);
    CHECK(a.submit_and_wait(1) == -err::ebadf);
    CHECK(b.sq_ready() == 1);
    CHECK(b.submit_and_wait(1) == 1);
    REQUIRE(b.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 1);
    b.cqe_seen(cqe);

    rawring::ring c;
    REQUIRE(c.init(2) == 0);
    c = static_cast<rawring::ring&&>(b);  // c's old ring is torn down, b's taken over
    CHECK(c.fd() == fd);
    CHECK_FALSE(b.is_open());
    nop_round_trip(c, 2, 10);
    REQUIRE(a.init(2) == 0);  // a moved-from ring can be set up again
    nop_round_trip(a, 2, 20);
}

TEST_CASE("ring: 10,000 rings created and destroyed leave no fd or mapping behind") {
    const int fds_before = count_fds();
    const int maps_before = count_uring_maps();
    for (int i = 0; i < 10000; ++i) {
        rawring::ring r;
        REQUIRE(r.init(4) == 0);
        if (i % 1000 == 0) {
            // Now and then with traffic and a registered ring fd, which exit() must unregister.
            CHECK(r.register_ring_fd() == 1);
            nop_round_trip(r, 4, 0);
            CHECK(count_uring_maps() > maps_before);
        }
    }
    for (int i = 0; i < 100; ++i) {  // and a few of each configuration
        for (const config& c : configs) {
            rawring::ring r;
            rawring::abi::io_uring_params p{};
            p.flags = c.flags;
            (void)r.init(4, p, c.array);
        }
    }
    CHECK(count_fds() == fds_before);
    CHECK(count_uring_maps() == maps_before);
}

// init maps the rings without MAP_POPULATE, on the grounds that io_uring's mmap handler maps
// every page itself. This checks that claim on the running kernel: reading one byte of every
// page of every mapping, right after init, takes no page fault on this thread.
TEST_CASE("ring: every page of the ring mappings is mapped when init returns") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        // 1,024 entries: an SQE array of 16 pages (32 with SQE128), a CQ ring of 9 or more.
        if (!open_ring(r, c, 1024)) continue;
        const rawring::sq_ring& sq = r.sq();
        const rawring::cq_ring& cq = r.cq();
        std::size_t ring_pages = 0, cq_pages = 0, sqe_pages = 0;
        CHECK(faults_reading(sq.ring_ptr, sq.ring_sz, &ring_pages) == 0);
        CHECK(faults_reading(cq.ring_ptr, cq.ring_sz, &cq_pages) == 0);
        CHECK(faults_reading(sq.sqes, sq.sqes_sz, &sqe_pages) == 0);
        CHECK(ring_pages + cq_pages + sqe_pages >= 25);
    }
    // The same reads of a fresh anonymous mapping, whose pages the kernel maps on first touch,
    // do count: the check above can see a fault.
    const mapping anon(8 * page_size());
    std::size_t pages = 0;
    CHECK(faults_reading(anon.p, anon.size, &pages) >= 8);
    CHECK(pages == 8);
}

TEST_CASE("ring: setup errors") {
    rawring::ring r;
    CHECK(r.init(0) == -err::einval);
    CHECK_FALSE(r.is_open());
    CHECK(r.init(65536) == -err::einval);  // above IORING_MAX_ENTRIES (32768) without CLAMP
    CHECK(r.init(4, 1u << 30) == -err::einval);  // a setup flag no kernel knows
    CHECK(r.init(4, abi::IORING_SETUP_DEFER_TASKRUN) == -err::einval);  // needs SINGLE_ISSUER
    CHECK(r.init(4, abi::IORING_SETUP_SQ_AFF) == -err::einval);  // needs SQPOLL
    // SQ_REWIND rawring does not drive; the mixed-size modes it takes where the kernel does.
    CHECK(r.init(4, abi::IORING_SETUP_SQ_REWIND) == -err::eopnotsupp);
    CHECK(r.init(4, abi::IORING_SETUP_SQ_REWIND | abi::IORING_SETUP_NO_SQARRAY) == -err::eopnotsupp);
    for (const std::uint32_t mixed : {abi::IORING_SETUP_CQE_MIXED, abi::IORING_SETUP_SQE_MIXED}) {
        INFO("flag " << mixed);
        const int kernel_says = setup_accepts(mixed);
        CHECK(r.init(4, mixed) == kernel_says);
        CHECK(r.is_open() == (kernel_says == 0));
        CHECK(r.exit() == 0);
    }
    CHECK(r.init(4, abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQE32) == -err::einval);
    CHECK(r.init(4, abi::IORING_SETUP_SQE_MIXED | abi::IORING_SETUP_SQE128) == -err::einval);
    CHECK(r.init(4, abi::IORING_SETUP_NO_MMAP) == -err::einval);  // needs init_mem
    CHECK(r.init(4, abi::IORING_SETUP_REGISTERED_FD_ONLY) == -err::einval);
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 0;
    CHECK(r.init(4, p) == -err::einval);
    p = {};
    p.flags = abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 2;  // smaller than the SQ
    CHECK(r.init(8, p) == -err::einval);
    CHECK_FALSE(r.is_open());

    // CLAMP caps instead of failing; other counts are rounded up to a power of two.
    REQUIRE(r.init(65536, abi::IORING_SETUP_CLAMP) == 0);
    CHECK(r.sq().ring_entries == 32768);
    CHECK(r.cq().ring_entries == 65536);
    CHECK(r.init(4) == -err::ebusy);  // already set up, and still intact
    CHECK(r.is_open());
    r.exit();
    REQUIRE(r.init(3) == 0);
    CHECK(r.sq().ring_entries == 4);
    CHECK(r.cq().ring_entries == 8);
    r.exit();
    p = {};
    p.flags = abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 100;
    REQUIRE(r.init(5, p) == 0);
    CHECK(r.sq().ring_entries == 8);
    CHECK(r.cq().ring_entries == 128);
    CHECK(p.sq_entries == 8);
    CHECK(p.cq_entries == 128);
}

TEST_CASE("ring: out of file descriptors gives -EMFILE and leaks nothing") {
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
    // The lowest free fd: with the soft limit there, no fd at all can be opened.
    const int lowest_free = ::dup(0);
    REQUIRE(lowest_free >= 0);
    ::close(lowest_free);
    const int fds_before = count_fds();
    const int maps_before = count_uring_maps();
    rlimit low = old;
    low.rlim_cur = static_cast<rlim_t>(lowest_free);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);  // the soft limit only: no capability needed
    rawring::ring r;
    const int ret = r.init(4);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0);
    CHECK_FALSE(r.is_open());
    CHECK(count_fds() == fds_before);
    CHECK(count_uring_maps() == maps_before);
    CHECK(ret == -err::emfile);
}

TEST_CASE("ring: calls on a ring never set up fail cleanly") {
    rawring::ring r;
    CHECK(r.get_sqe() == nullptr);
    CHECK(r.sq_ready() == 0);
    CHECK(r.sq_space_left() == 0);
    CHECK(r.cq_ready() == 0);
    CHECK(r.flush_sq() == 0);
    CHECK(r.submit() == 0);  // nothing to submit, nothing entered
    CHECK(r.submit_and_wait(1) == -err::ebadf);
    CHECK(r.enter(0, 0, 0) == -err::ebadf);
    io_uring_cqe* cqe = nullptr;
    CHECK(r.peek_cqe(&cqe) == -err::eagain);
    CHECK(r.wait_cqe(&cqe) == -err::ebadf);
    CHECK(r.wait_cqe_nr(&cqe, 2) == -err::ebadf);
    abi::io_uring_cqe out[2];
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe>(out), 0) == 0);
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe>(out), 1) == -err::ebadf);
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe>(), 0) == -err::einval);
    CHECK(r.register_ring_fd() == -err::ebadf);
    CHECK(r.unregister_ring_fd() == -err::einval);
    const abi::kernel_timespec ts = ms(1);
    CHECK(r.wait_cqe_timeout(&cqe, &ts) == -err::ebadf);  // like every other call
    CHECK(rawring::get_probe(r).status() == -err::ebadf);
    CHECK_FALSE(rawring::get_probe(r).supported(abi::IORING_OP_NOP));
}

TEST_CASE("ring: a signal interrupts a wait with -EINTR and loses nothing") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sa.sa_flags = 0;  // no SA_RESTART: the wait must come back
    struct sigaction old {};
    REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
    // A timeout op that outlives the signal, so there is something in flight to lose.
    const abi::kernel_timespec op_ts = ms(1000);
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_timeout(sqe, &op_ts, 0, 0);
    rawring::sqe_set_data64(sqe, 31);
    REQUIRE(r.submit() == 1);
    // Every 20 ms, not once: a single signal could come before the wait has begun (a thread
    // held off its CPU), and the wait would then sleep until the op's own CQE.
    itimerval timer{};
    timer.it_value.tv_usec = 20000;
    timer.it_interval.tv_usec = 20000;
    REQUIRE(setitimer(ITIMER_REAL, &timer, nullptr) == 0);
    io_uring_cqe* cqe = nullptr;
    const int interrupted = r.wait_cqe(&cqe);
    const itimerval off{};
    REQUIRE(setitimer(ITIMER_REAL, &off, nullptr) == 0);  // a signal due now lands in our handler
    REQUIRE(sigaction(SIGALRM, &old, nullptr) == 0);
    CHECK(interrupted == -err::eintr);
    CHECK(r.cq_ready() == 0);  // the op is still in flight
    // The operation is still there and completes normally.
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 31);
    CHECK(cqe->res == -err::etime);
    r.cqe_seen(cqe);
    nop_round_trip(r, 2, 0);
}

TEST_CASE("ring: get_probe reports NOP and READ") {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    const rawring::probe p = rawring::get_probe(r);
    REQUIRE(p.status() == 0);
    CHECK(p.supported(abi::IORING_OP_NOP));
    CHECK(p.supported(abi::IORING_OP_READ));
    CHECK(p.last_op() >= abi::IORING_OP_READ);
    CHECK_FALSE(p.supported(255));
    CHECK_FALSE(p.supported(p.last_op() + 1));
    const rawring::probe q = rawring::get_probe();
    REQUIRE(q.status() == 0);
    CHECK(q.last_op() == p.last_op());
}

} // TEST_SUITE
