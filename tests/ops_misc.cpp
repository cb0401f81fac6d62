// SPDX-License-Identifier: MIT
// Kernel tests, one per opcode: NOP, timeouts, cancel, links, MSG_RING, WAITID, futexes, the 128-byte
// opcodes; and what a bad fd, buffer or flag does to a read, an accept and a timeout.
#include <linux/futex.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ops_util.hpp"

using namespace rawring_test;
using namespace rawring_test::ops;
namespace err = rawring::err;

namespace {

// linux/futex.h of older distributions lacks the futex2 flags io_uring's futex ops take.
constexpr std::uint32_t futex2_size_u32 = 0x02;
constexpr std::uint32_t futex2_private = 128;
constexpr std::uint64_t futex_match_any = 0xffffffffu;

long futex_syscall(std::uint32_t* word, int op, std::uint32_t val, const timespec* ts) {
    return ::syscall(SYS_futex, word, op, val, ts, nullptr, 0);
}

abi::kernel_timespec monotonic_now_plus(long add_ms) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = now.tv_nsec + add_ms * 1000000LL;
    return abi::kernel_timespec{now.tv_sec + ns / 1000000000LL, ns % 1000000000LL};
}

/// A thread started at once that runs `fn` when go_and_join() is called. The futex cases start
/// their other thread this way, before the ring arms its wait: since Linux 6.16 (seen on 6.18) a
/// process gets a private futex hash when it creates its first thread, and a FUTEX2_PRIVATE wait
/// queued through io_uring while the process was single-threaded stays in the global hash, where
/// no later private wake looks (the wake reports 0 woken and the CQE never comes).
class deferred_thread {
public:
    template <class F>
    explicit deferred_thread(F fn)
        : thread_([this, fn] {
              char ch;
              if (::read(go_.read_end, &ch, 1) == 1) fn();
          }) {}
    ~deferred_thread() {
        if (thread_.joinable()) {
            go_.write_end.reset();  // read() sees EOF and fn never runs
            thread_.join();
        }
    }
    deferred_thread(const deferred_thread&) = delete;
    deferred_thread& operator=(const deferred_thread&) = delete;
    void go_and_join() {
        REQUIRE(::write(go_.write_end, "g", 1) == 1);
        thread_.join();
    }

private:
    pipe_pair go_;
    std::thread thread_;
};

/// An address no access may touch: a page mapped PROT_NONE for the life of the process (an
/// unmapped address could be handed out again by the next mmap).
void* inaccessible_address() {
    static void* const page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(page != MAP_FAILED);
    return page;
}

/// After `n` single-SQE round trips on a fresh ring: the kernel consumed exactly `n` SQEs and
/// posted exactly `n` CQEs (none lost, none doubled), all of them reaped.
void check_counters(const rawring::ring& r, std::uint32_t n) {
    CHECK(r.sq_ready() == 0);
    CHECK(r.cq_ready() == 0);
    CHECK(*r.sq().khead == n);
    CHECK(*r.sq().ktail == n);
    CHECK(*r.cq().ktail == n);
    CHECK(*r.cq().khead == n);
    CHECK(*r.sq().kdropped == 0);
    CHECK(*r.cq().koverflow == 0);
}

/// A NOP that completes with `res` (IORING_NOP_INJECT_RESULT, Linux 6.11).
void prep_nop_result(io_uring_sqe* sqe, int res) {
    rawring::prep_nop(sqe);
    sqe->nop_flags = abi::IORING_NOP_INJECT_RESULT;
    sqe->len = static_cast<unsigned>(res);
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("op: NOP") {
    if (!op_supported(abi::IORING_OP_NOP)) return;
    each_ring(16, [](rawring::ring& r, const config&) {
        io_uring_cqe cqe = run_one(r, 1, [](io_uring_sqe* sqe) { rawring::prep_nop(sqe); });
        CHECK(cqe.res == 0);
        CHECK(cqe.flags == 0);
        CHECK(rawring::cqe_get_data64(&cqe) == 1);

        // IORING_NOP_INJECT_RESULT: the NOP completes with sqe.len as its result. A kernel
        // without it (before 6.11) refuses the NOP's flags with -EINVAL.
        cqe = run_one(r, 2, [](io_uring_sqe* sqe) { prep_nop_result(sqe, -ENOSPC); });
        const bool inject = cqe.res != -EINVAL;
        if (inject) {
            CHECK(cqe.res == -ENOSPC);
        } else {
            io_uring_sqe ref{};
            ref.opcode = abi::IORING_OP_NOP;
            ref.nop_flags = abi::IORING_NOP_INJECT_RESULT;
            ref.len = static_cast<std::uint32_t>(-ENOSPC);
            ref.user_data = 2;
            RAWRING_REQUIRE_KERNEL_REFUSES(ref);
            RAWRING_SKIP("the kernel refuses IORING_NOP_INJECT_RESULT (-EINVAL): the link cases "
                         "fail a read of fd -1 (-EBADF) instead");
        }
        // What fails in the link cases below: an injected -EIO, or a read of fd -1, which fails
        // when issued as any real failure would.
        char scratch[1];
        auto prep_fail = [&](io_uring_sqe* sqe) {
            if (inject) {
                prep_nop_result(sqe, -EIO);
            } else {
                rawring::prep_read(sqe, -1, scratch, 1, 0);
            }
        };
        const int fail_res = inject ? -EIO : -EBADF;

        // IO_DRAIN: the drained NOP (and everything after it) waits for the earlier timeout.
        const abi::kernel_timespec ts = ms(20);
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &ts, 0, 0);
        rawring::sqe_set_data64(sqe, 40);
        sqe = sqe_of(r);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 41);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_DRAIN);
        sqe = sqe_of(r);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 42);
        submit_n(r, 3);
        cqe = reap(r);
        CHECK(cqe.user_data == 40);
        CHECK(cqe.res == -ETIME);
        // Both NOPs were held back until the timeout (its CQE came first). Released together,
        // they may complete in either order: 6.18 keeps submission order, 6.1 without
        // DEFER_TASKRUN runs the task work newest first (42 before 41).
        const std::uint64_t second = reap(r).user_data;
        const std::uint64_t third = reap(r).user_data;
        CHECK(((second == 41 && third == 42) || (second == 42 && third == 41)));

        // IO_LINK: a failure cancels the rest of the chain with -ECANCELED.
        for (std::uint64_t i = 0; i < 4; ++i) {
            sqe = sqe_of(r);
            if (i == 1) {
                prep_fail(sqe);
            } else {
                rawring::prep_nop(sqe);
            }
            rawring::sqe_set_data64(sqe, 20 + i);
            if (i < 3) rawring::sqe_set_flags(sqe, abi::IOSQE_IO_LINK);
        }
        submit_n(r, 4);
        const int want_link[] = {0, fail_res, -ECANCELED, -ECANCELED};
        for (std::uint64_t i = 0; i < 4; ++i) {
            cqe = reap(r);
            CHECK(cqe.user_data == 20 + i);  // a chain completes in order
            CHECK(cqe.res == want_link[i]);
        }

        // IO_HARDLINK: the chain goes on past a failure.
        for (std::uint64_t i = 0; i < 3; ++i) {
            sqe = sqe_of(r);
            if (i == 0) {
                prep_fail(sqe);
            } else {
                rawring::prep_nop(sqe);
            }
            rawring::sqe_set_data64(sqe, 30 + i);
            if (i < 2) rawring::sqe_set_flags(sqe, abi::IOSQE_IO_HARDLINK);
        }
        submit_n(r, 3);
        const int want_hard[] = {fail_res, 0, 0};
        for (std::uint64_t i = 0; i < 3; ++i) {
            cqe = reap(r);
            CHECK(cqe.user_data == 30 + i);
            CHECK(cqe.res == want_hard[i]);
        }

        // CQE_SKIP_SUCCESS: no CQE when it succeeds, one when it fails.
        sqe = sqe_of(r);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 10);
        rawring::sqe_set_flags(sqe, abi::IOSQE_CQE_SKIP_SUCCESS);
        sqe = sqe_of(r);
        prep_fail(sqe);
        rawring::sqe_set_data64(sqe, 11);
        rawring::sqe_set_flags(sqe, abi::IOSQE_CQE_SKIP_SUCCESS);
        sqe = sqe_of(r);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 12);
        submit_n(r, 3);
        cqe = reap(r);
        CHECK(cqe.user_data == 11);
        CHECK(cqe.res == fail_res);
        cqe = reap(r);
        CHECK(cqe.user_data == 12);
        CHECK(cqe.res == 0);
        CHECK(no_cqe_within(r, 5));


        // Once a ring has seen CQE_SKIP_SUCCESS, it refuses IO_DRAIN (-EOPNOTSUPP): submission
        // stops at the refused SQE, and what follows it stays queued for the next submit.
        (void)queue_nop(r, 50);
        sqe = sqe_of(r);
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 51);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_DRAIN);
        (void)queue_nop(r, 52);
        CHECK(r.submit() == 2);
        CHECK(r.sq_ready() == 1);
        // In either order: 6.1 posts the refusal while the NOP before it is still in flight.
        const std::vector<io_uring_cqe> refused = reap_sorted(r, 2);
        CHECK(refused[0].user_data == 50);
        CHECK(refused[0].res == 0);
        CHECK(refused[1].user_data == 51);
        CHECK(refused[1].res == -EOPNOTSUPP);
        submit_n(r, 1);
        cqe = reap(r);
        CHECK(cqe.user_data == 52);
        CHECK(cqe.res == 0);
    });
}

TEST_CASE("op: TIMEOUT") {
    if (!op_supported(abi::IORING_OP_TIMEOUT)) return;
    each_ring(16, [](rawring::ring& r, const config&) {
        // Relative: -ETIME once the time has passed, not before.
        abi::kernel_timespec ts = ms(10);
        auto t0 = std::chrono::steady_clock::now();
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* sqe) { rawring::prep_timeout(sqe, &ts, 0, 0); });
        CHECK(cqe.res == -ETIME);
        CHECK(ms_since(t0) >= 9.0);

        // Absolute on CLOCK_MONOTONIC.
        ts = monotonic_now_plus(10);
        cqe = run_one(r, 2, [&](io_uring_sqe* sqe) {
            rawring::prep_timeout(sqe, &ts, 0, abi::IORING_TIMEOUT_ABS);
        });
        CHECK(cqe.res == -ETIME);
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        CHECK((now.tv_sec > ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec)));

        // Count: completes with 0 once two other CQEs are posted, long before its time.
        ts = ms(5000);
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &ts, 2, 0);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        (void)queue_nop(r, 4);
        (void)queue_nop(r, 5);
        submit_n(r, 2);
        std::vector<io_uring_cqe> got = reap_sorted(r, 3);
        CHECK(got[0].user_data == 3);
        CHECK(got[0].res == 0);
        CHECK(got[1].res == 0);
        CHECK(got[2].res == 0);

        // ETIME_SUCCESS: an expiry counts as success (res -ETIME, but a link goes on).
        ts = ms(1);
        sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &ts, 0, abi::IORING_TIMEOUT_ETIME_SUCCESS);
        rawring::sqe_set_data64(sqe, 6);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_LINK);
        (void)queue_nop(r, 7);
        submit_n(r, 2);
        cqe = reap(r);
        CHECK(cqe.user_data == 6);
        CHECK(cqe.res == -ETIME);
        cqe = reap(r);
        CHECK(cqe.user_data == 7);
        CHECK(cqe.res == 0);

        // Multishot: three expiries, the first two flagged MORE, the last not.
        ts = ms(2);
        sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &ts, 3, abi::IORING_TIMEOUT_MULTISHOT);
        rawring::sqe_set_data64(sqe, 8);
        submit_n(r, 1);
        cqe = reap(r);
        CHECK(cqe.user_data == 8);
        if (cqe.res == -EINVAL && !rawring::cqe_has_more(&cqe)) {
            RAWRING_REQUIRE_KERNEL_REFUSES(timeout_by_hand(&ts, 3, abi::IORING_TIMEOUT_MULTISHOT, 8));
            RAWRING_SKIP("the kernel refuses IORING_TIMEOUT_MULTISHOT (-EINVAL)");
            CHECK(no_cqe_within(r, 10));
            return;
        }
        for (int i = 0; i < 3; ++i) {
            if (i > 0) cqe = reap(r);
            CHECK(cqe.user_data == 8);
            CHECK(cqe.res == -ETIME);
            CHECK(rawring::cqe_has_more(&cqe) == (i < 2));
        }
        CHECK(no_cqe_within(r, 10));
    });
}

TEST_CASE("op: TIMEOUT_REMOVE") {
    if (!op_supported(abi::IORING_OP_TIMEOUT_REMOVE)) return;
    each_ring(16, [](rawring::ring& r, const config&) {
        std::string phase = "remove";
        INFO("phase: " << phase);
        // Remove: the timeout ends with -ECANCELED, the remove with 0.
        const abi::kernel_timespec long_ts = ms(10000);
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &long_ts, 0, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        sqe = sqe_of(r);
        rawring::prep_timeout_remove(sqe, 1, 0);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 1);
        std::vector<io_uring_cqe> got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 1);
        CHECK(got[0].res == -ECANCELED);
        CHECK(got[1].user_data == 2);
        CHECK(got[1].res == 0);

        phase = "nothing to remove";
        // Nothing to remove.
        io_uring_cqe cqe = run_one(r, 3, [](io_uring_sqe* s) { rawring::prep_timeout_remove(s, 12345, 0); });
        CHECK(cqe.res == -ENOENT);

        phase = "update";
        // Update: a 10 s timeout moved to 1 ms fires at once.
        sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &long_ts, 0, 0);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        const abi::kernel_timespec short_ts = ms(1);
        sqe = sqe_of(r);
        rawring::prep_timeout_update(sqe, &short_ts, 4, 0);
        rawring::sqe_set_data64(sqe, 5);
        submit_n(r, 1);
        got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 4);
        CHECK(got[0].res == -ETIME);
        CHECK(got[1].user_data == 5);
        CHECK(got[1].res == 0);

        phase = "multishot ticks";
        // A multishot timeout without a count runs until removed; its last CQE has MORE clear.
        const abi::kernel_timespec tick = ms(2);
        sqe = sqe_of(r);
        rawring::prep_timeout(sqe, &tick, 0, abi::IORING_TIMEOUT_MULTISHOT);
        rawring::sqe_set_data64(sqe, 6);
        submit_n(r, 1);
        for (int i = 0; i < 2; ++i) {
            cqe = reap(r);
            if (i == 0 && cqe.res == -EINVAL && !rawring::cqe_has_more(&cqe)) {
                CHECK(cqe.user_data == 6);
                RAWRING_REQUIRE_KERNEL_REFUSES(timeout_by_hand(&tick, 0, abi::IORING_TIMEOUT_MULTISHOT, 6));
                RAWRING_SKIP("the kernel refuses IORING_TIMEOUT_MULTISHOT (-EINVAL)");
                CHECK(no_cqe_within(r, 10));
                return;
            }
            CHECK(cqe.user_data == 6);
            CHECK(cqe.res == -ETIME);
            CHECK(rawring::cqe_has_more(&cqe));
        }
        sqe = sqe_of(r);
        rawring::prep_timeout_remove(sqe, 6, 0);
        rawring::sqe_set_data64(sqe, 7);
        submit_n(r, 1);
        phase = "multishot remove";
        bool removed = false;
        bool ended = false;
        for (int i = 0; i < 100 && !(removed && ended); ++i) {
            cqe = reap(r);
            if (cqe.user_data == 7) {
                if (cqe.res == -ENOENT && !ended) {
                    // The timer had fired and its re-arm was still pending task work (which a
                    // DEFER_TASKRUN ring runs only when we wait): off the timeout list in
                    // between, so the remove found nothing. Ask again.
                    sqe = sqe_of(r);
                    rawring::prep_timeout_remove(sqe, 6, 0);
                    rawring::sqe_set_data64(sqe, 7);
                    submit_n(r, 1);
                    continue;
                }
                CHECK(cqe.res == 0);
                removed = true;
            } else {
                REQUIRE(cqe.user_data == 6);
                if (!rawring::cqe_has_more(&cqe)) {
                    CHECK(cqe.res == -ECANCELED);
                    ended = true;
                } else {
                    CHECK(cqe.res == -ETIME);  // expiries that raced with the remove
                }
            }
        }
        CHECK(removed);
        CHECK(ended);
    });
}

TEST_CASE("op: ASYNC_CANCEL") {
    if (!op_supported(abi::IORING_OP_ASYNC_CANCEL)) return;
    each_ring(16, [](rawring::ring& r, const config&) {
        pipe_pair p1, p2, p3;
        char b1[8], b2[8], b3[8], b4[8];

        // By user_data.
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_read(sqe, p1.read_end, b1, sizeof(b1), 0);
        rawring::sqe_set_data64(sqe, 10);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        sqe = sqe_of(r);
        rawring::prep_cancel64(sqe, 10, 0);
        rawring::sqe_set_data64(sqe, 11);
        submit_n(r, 1);
        std::vector<io_uring_cqe> got = reap_sorted(r, 2);
        CHECK(got[0].res == -ECANCELED);
        CHECK(got[1].res == 0);

        // The pointer form names the same user_data.
        sqe = sqe_of(r);
        rawring::prep_read(sqe, p1.read_end, b1, sizeof(b1), 0);
        rawring::sqe_set_data(sqe, b1);
        submit_n(r, 1);
        sqe = sqe_of(r);
        rawring::prep_cancel(sqe, b1, 0);
        rawring::sqe_set_data64(sqe, 12);
        submit_n(r, 1);
        got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 12);
        CHECK(got[0].res == 0);
        CHECK(got[1].user_data == reinterpret_cast<std::uintptr_t>(b1));
        CHECK(got[1].res == -ECANCELED);

        // By fd, ALL: both reads on p2 end, the one on p3 stays.
        char* bufs[] = {b2, b3, b4};
        for (int i = 0; i < 3; ++i) {
            sqe = sqe_of(r);
            rawring::prep_read(sqe, i < 2 ? p2.read_end.fd : p3.read_end.fd, bufs[i], 8, 0);
            rawring::sqe_set_data64(sqe, 20 + static_cast<std::uint64_t>(i));
        }
        submit_n(r, 3);
        io_uring_cqe cqe = run_one(r, 23, [&](io_uring_sqe* s) {
            rawring::prep_cancel_fd(s, p2.read_end, abi::IORING_ASYNC_CANCEL_ALL);
        });
        CHECK(cqe.res == 2);  // with ALL, the number cancelled
        got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 20);
        CHECK(got[0].res == -ECANCELED);
        CHECK(got[1].user_data == 21);
        CHECK(got[1].res == -ECANCELED);
        CHECK(no_cqe_within(r, 5));  // 22 still pending
        // The survivor still reads; the cancelled reads took nothing.
        REQUIRE(::write(p3.write_end, "xyz", 3) == 3);
        cqe = reap(r);
        CHECK(cqe.user_data == 22);
        CHECK(cqe.res == 3);
        CHECK(std::memcmp(b4, "xyz", 3) == 0);

        // By fd without ALL: exactly one of two.
        for (std::uint64_t d = 30; d < 32; ++d) {
            sqe = sqe_of(r);
            rawring::prep_read(sqe, p2.read_end, d == 30 ? b2 : b3, 8, 0);
            rawring::sqe_set_data64(sqe, d);
        }
        submit_n(r, 2);
        cqe = run_one(r, 32, [&](io_uring_sqe* s) { rawring::prep_cancel_fd(s, p2.read_end, 0); });
        CHECK(cqe.res == 0);
        cqe = reap(r);
        CHECK(cqe.res == -ECANCELED);
        const std::uint64_t first = cqe.user_data;
        CHECK(no_cqe_within(r, 5));

        // ANY (with ALL): every request on the ring, whatever its fd or data.
        sqe = sqe_of(r);
        rawring::prep_read(sqe, p1.read_end, b1, 8, 0);
        rawring::sqe_set_data64(sqe, 33);
        submit_n(r, 1);
        cqe = run_one(r, 34, [&](io_uring_sqe* s) {
            rawring::prep_cancel64(s, 0, abi::IORING_ASYNC_CANCEL_ANY | abi::IORING_ASYNC_CANCEL_ALL);
        });
        CHECK(cqe.res == 2);  // the read left on p2 and the one on p1
        got = reap_sorted(r, 2);
        CHECK(got[0].user_data == (first == 30 ? 31u : 30u));
        CHECK(got[0].res == -ECANCELED);
        CHECK(got[1].user_data == 33);
        CHECK(got[1].res == -ECANCELED);

        // Nothing matches.
        cqe = run_one(r, 35, [](io_uring_sqe* s) { rawring::prep_cancel64(s, 999, 0); });
        CHECK(cqe.res == -ENOENT);
        // ANY always counts, as ALL does: nothing left is 0, not -ENOENT.
        cqe = run_one(r, 36, [](io_uring_sqe* s) {
            rawring::prep_cancel64(s, 0, abi::IORING_ASYNC_CANCEL_ANY);
        });
        CHECK(cqe.res == 0);
    });
}

TEST_CASE("op: LINK_TIMEOUT") {
    if (!op_supported(abi::IORING_OP_LINK_TIMEOUT)) return;
    each_ring(16, [](rawring::ring& r, const config&) {
        pipe_pair p;
        char buf[16];

        // Firing: the read never gets data, so the timeout cancels it.
        const abi::kernel_timespec ts = ms(10);
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), 0);
        rawring::sqe_set_data64(sqe, 1);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_LINK);
        sqe = sqe_of(r);
        rawring::prep_link_timeout(sqe, &ts, 0);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 2);
        std::vector<io_uring_cqe> got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 1);
        CHECK(got[0].res == -ECANCELED);
        CHECK(got[1].user_data == 2);
        CHECK(got[1].res == -ETIME);

        // Not firing: the read completes first and the timeout is cancelled.
        const abi::kernel_timespec long_ts = ms(10000);
        REQUIRE(::write(p.write_end, "abc", 3) == 3);
        sqe = sqe_of(r);
        rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), 0);
        rawring::sqe_set_data64(sqe, 3);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_LINK);
        sqe = sqe_of(r);
        rawring::prep_link_timeout(sqe, &long_ts, 0);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 2);
        got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 3);
        CHECK(got[0].res == 3);
        CHECK(std::memcmp(buf, "abc", 3) == 0);
        CHECK(got[1].user_data == 4);
        CHECK(got[1].res == -ECANCELED);

        // Data arriving while armed: the read completes, the timeout is cancelled.
        sqe = sqe_of(r);
        rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), 0);
        rawring::sqe_set_data64(sqe, 5);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_LINK);
        sqe = sqe_of(r);
        rawring::prep_link_timeout(sqe, &long_ts, 0);
        rawring::sqe_set_data64(sqe, 6);
        submit_n(r, 2);
        CHECK(no_cqe_within(r, 5));
        REQUIRE(::write(p.write_end, "defg", 4) == 4);
        got = reap_sorted(r, 2);
        CHECK(got[0].res == 4);
        CHECK(std::memcmp(buf, "defg", 4) == 0);
        CHECK(got[1].res == -ECANCELED);

        // A link timeout with nothing before it is refused.
        io_uring_cqe cqe = run_one(r, 7, [&](io_uring_sqe* s) { rawring::prep_link_timeout(s, &ts, 0); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: MSG_RING") {
    if (!op_supported(abi::IORING_OP_MSG_RING)) return;
    each_ring(8, [](rawring::ring& src, const config& c) {
        rawring::ring dst;
        REQUIRE(open_ring(dst, c, 8));

        // Data: the target gets a CQE with our user_data and len as its res.
        io_uring_cqe cqe = run_one(src, 1, [&](io_uring_sqe* s) {
            rawring::prep_msg_ring(s, dst.fd(), 0x1234, 0xdeadbeef, 0);
        });
        CHECK(cqe.res == 0);
        io_uring_cqe got = reap(dst);
        CHECK(got.user_data == 0xdeadbeef);
        CHECK(got.res == 0x1234);
        CHECK(got.flags == 0);

        // FLAGS_PASS: the target CQE carries the flags we chose.
        cqe = run_one(src, 2, [&](io_uring_sqe* s) {
            rawring::prep_msg_ring_cqe_flags(s, dst.fd(), 9, 0xabc, 0, 0x5a0000);
        });
        if (cqe.res == -EINVAL) {
            // IORING_MSG_RING_FLAGS_PASS is a flag this kernel does not know: nothing is sent.
            io_uring_sqe ref{};
            ref.opcode = abi::IORING_OP_MSG_RING;
            ref.fd = -2;  // the reference ring itself
            ref.addr = abi::IORING_MSG_DATA;
            ref.len = 9;
            ref.off = 0xabc;
            ref.msg_ring_flags = abi::IORING_MSG_RING_FLAGS_PASS;
            ref.file_index = 0x5a0000;
            ref.user_data = 2;
            RAWRING_REQUIRE_KERNEL_REFUSES(ref);
            RAWRING_SKIP("the kernel refuses IORING_MSG_RING_FLAGS_PASS (-EINVAL)");
            CHECK(no_cqe_within(dst, 5));
        } else {
            CHECK(cqe.res == 0);
            got = reap(dst);
            CHECK(got.user_data == 0xabc);
            CHECK(got.res == 9);
            CHECK(got.flags == 0x5a0000);
        }

        // An fd: slot 0 of our table lands in slot 2 of the target's, usable there.
        temp_file f("message in a ring");
        const int fds[] = {f.fd};
        REQUIRE(rawring::register_files(src, fds, 1) == 0);
        REQUIRE(rawring::register_files_sparse(dst, 4) == 0);
        cqe = run_one(src, 3, [&](io_uring_sqe* s) { rawring::prep_msg_ring_fd(s, dst.fd(), 0, 2, 0x77, 0); });
        CHECK(cqe.res == 0);
        got = reap(dst);
        CHECK(got.user_data == 0x77);
        CHECK(got.res == 0);
        char buf[32] = {};
        cqe = run_one(dst, 4, [&](io_uring_sqe* s) {
            rawring::prep_read(s, 2, buf, sizeof(buf), 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 17);
        CHECK(std::string(buf, 17) == "message in a ring");

        // The same fd into a slot the target picks: its CQE names the slot.
        cqe = run_one(src, 5, [&](io_uring_sqe* s) { rawring::prep_msg_ring_fd_alloc(s, dst.fd(), 0, 0x78, 0); });
        got = reap(dst);
        CHECK(got.user_data == 0x78);
        CHECK(got.res >= 0);
        CHECK(got.res < 4);
        CHECK(got.res != 2);  // slot 2 is taken
        CHECK(cqe.res == got.res);  // both sides learn the slot
        std::memset(buf, 0, sizeof(buf));
        cqe = run_one(dst, 6, [&](io_uring_sqe* s) {
            rawring::prep_read(s, got.res, buf, 7, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 7);
        CHECK(std::string(buf, 7) == "message");

        // Not a ring.
        cqe = run_one(src, 7, [&](io_uring_sqe* s) { rawring::prep_msg_ring(s, f.fd, 0, 0, 0); });
        CHECK(cqe.res == -EBADFD);
        CHECK(dst.cq_ready() == 0);
        check_usable(dst);
    });
}

TEST_CASE("op: WAITID") {
    if (!op_supported(abi::IORING_OP_WAITID)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        pipe_pair go;
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            char ch;
            (void)!::read(go.read_end, &ch, 1);
            ::_exit(7);
        }
        siginfo_t info{};
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_waitid(sqe, P_PID, static_cast<id_t>(pid), &info, WEXITED, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 10));  // the child is still blocked on the pipe
        REQUIRE(::write(go.write_end, "x", 1) == 1);
        const io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK(cqe.res == 0);
        CHECK(info.si_pid == pid);
        CHECK(info.si_signo == SIGCHLD);
        CHECK(info.si_code == CLD_EXITED);
        CHECK(info.si_status == 7);
        // Reaped: nothing left to wait for.
        CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
        CHECK(errno == ECHILD);

        const io_uring_cqe none = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_waitid(s, P_PID, static_cast<id_t>(pid), &info, WEXITED, 0);
        });
        CHECK(none.res == -ECHILD);
    });
}

TEST_CASE("op: FUTEX_WAIT") {
    if (!op_supported(abi::IORING_OP_FUTEX_WAIT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        alignas(4) std::uint32_t word = 1;
        const std::uint32_t flags = futex2_size_u32 | futex2_private;

        // The word no longer holds the expected value: -EAGAIN at once.
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_futex_wait(s, &word, 0, futex_match_any, flags, 0);
        });
        CHECK(cqe.res == -EAGAIN);

        // Armed on the ring, woken by another thread's futex(FUTEX_WAKE).
        word = 0;
        long woken = -1;
        deferred_thread waker([&] {
            std::atomic_ref<std::uint32_t>(word).store(1);
            woken = futex_syscall(&word, FUTEX_WAKE_PRIVATE, 1, nullptr);
        });
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_futex_wait(sqe, &word, 0, futex_match_any, flags, 0);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        waker.go_and_join();
        CHECK(woken == 1);  // the ring's wait was the waiter it found
        cqe = reap(r);
        CHECK(cqe.user_data == 2);
        CHECK(cqe.res == 0);

        // A bitset that does not match the waker's is not woken; cancel ends it.
        word = 0;
        sqe = sqe_of(r);
        rawring::prep_futex_wait(sqe, &word, 0, 0x1, flags, 0);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        CHECK(::syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 1, nullptr, nullptr, 0x2) == 0);
        CHECK(no_cqe_within(r, 5));
        cqe = run_one(r, 4, [](io_uring_sqe* s) { rawring::prep_cancel64(s, 3, 0); });
        CHECK(cqe.res == 1);  // futex (and waitid) cancels answer how many they removed
        cqe = reap(r);
        CHECK(cqe.user_data == 3);
        CHECK(cqe.res == -ECANCELED);
    });
}

TEST_CASE("op: FUTEX_WAKE") {
    if (!op_supported(abi::IORING_OP_FUTEX_WAKE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        alignas(4) std::uint32_t word = 0;
        const std::uint32_t flags = futex2_size_u32 | futex2_private;

        // No waiter: nobody woken.
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_futex_wake(s, &word, 1, futex_match_any, flags, 0);
        });
        CHECK(cqe.res == 0);

        // A thread blocked in futex(FUTEX_WAIT) is woken by the ring.
        std::atomic<long> wait_ret{1};
        std::thread waiter([&] {
            const timespec limit{5, 0};
            wait_ret = futex_syscall(&word, FUTEX_WAIT_PRIVATE, 0, &limit);
        });
        int woken = 0;
        for (int attempt = 0; attempt < 2000 && woken == 0; ++attempt) {
            cqe = run_one(r, 2, [&](io_uring_sqe* s) {
                rawring::prep_futex_wake(s, &word, 1, futex_match_any, flags, 0);
            });
            REQUIRE(cqe.res >= 0);
            woken = cqe.res;
            if (woken == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        waiter.join();
        CHECK(woken == 1);
        CHECK(wait_ret == 0);  // woken, not timed out

        // A wait and a wake on the same ring.
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_futex_wait(sqe, &word, 0, futex_match_any, flags, 0);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        sqe = sqe_of(r);
        rawring::prep_futex_wake(sqe, &word, 5, futex_match_any, flags, 0);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 1);
        const std::vector<io_uring_cqe> got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 3);
        CHECK(got[0].res == 0);
        CHECK(got[1].user_data == 4);
        CHECK(got[1].res == 1);
    });
}

TEST_CASE("op: FUTEX_WAITV") {
    if (!op_supported(abi::IORING_OP_FUTEX_WAITV)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        alignas(4) std::uint32_t words[2] = {0, 0};
        abi::futex_waitv v[2]{};
        for (int i = 0; i < 2; ++i) {
            v[i].val = 0;
            v[i].uaddr = reinterpret_cast<std::uintptr_t>(&words[i]);
            v[i].flags = futex2_size_u32 | futex2_private;
        }

        // Woken on the second futex by another thread: res is its index.
        long woken = -1;
        deferred_thread waker([&] {
            std::atomic_ref<std::uint32_t>(words[1]).store(1);
            woken = futex_syscall(&words[1], FUTEX_WAKE_PRIVATE, 1, nullptr);
        });
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_futex_waitv(sqe, v, 2, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        waker.go_and_join();
        CHECK(woken == 1);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK(cqe.res == 1);

        // One value already differs: -EAGAIN at once.
        words[0] = 3;
        words[1] = 0;
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_futex_waitv(s, v, 2, 0); });
        CHECK(cqe.res == -EAGAIN);

        // Woken on the first.
        words[0] = 0;
        deferred_thread waker0([&] { woken = futex_syscall(&words[0], FUTEX_WAKE_PRIVATE, 1, nullptr); });
        sqe = sqe_of(r);
        rawring::prep_futex_waitv(sqe, v, 2, 0);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        waker0.go_and_join();
        CHECK(woken == 1);
        cqe = reap(r);
        CHECK(cqe.res == 0);
    });
}

TEST_CASE("op: NOP128") {
    // What the helper prepares, whatever the kernel: a NOP128 in a 128-byte slot.
    for (const config& c : op_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;
        CHECK(rawring::get_sqe128(r) == nullptr);  // a 64-byte ring has no room for it
        CHECK(r.sq_ready() == 0);
        CHECK(r.sq_space_left() == 4);
    }
    rawring::ring big;
    REQUIRE(big.init(4, abi::IORING_SETUP_SQE128) == 0);
    io_uring_sqe* sqe = rawring::get_sqe128(big);
    REQUIRE(sqe != nullptr);
    rawring::prep_nop128(sqe);
    rawring::sqe_set_data64(sqe, 0x128);
    CHECK(sqe->opcode == abi::IORING_OP_NOP128);
    CHECK(sqe->fd == -1);
    CHECK(sqe->user_data == 0x128);
    CHECK(sqe->len == 0);
    CHECK(sqe->addr == 0);
    CHECK(sqe->off == 0);
    CHECK(sqe->flags == 0);
    CHECK(big.sq_ready() == 1);

    if (!op_supported(abi::IORING_OP_NOP128)) {
        big.exit();  // drop the prepared SQE unsubmitted
        return;
    }
    // A kernel with NOP128: it completes on an SQE128 ring like a NOP.
    submit_n(big, 1);
    const io_uring_cqe cqe = reap(big);
    CHECK(cqe.user_data == 0x128);
    CHECK(cqe.res == 0);
}

TEST_CASE("op: URING_CMD128") {
    tcp_pair tcp;
    for (const config& c : op_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 4)) continue;
        CHECK(rawring::get_sqe128(r) == nullptr);
        CHECK(r.sq_ready() == 0);
    }
    rawring::ring big;
    REQUIRE(big.init(4, abi::IORING_SETUP_SQE128) == 0);
    io_uring_sqe* sqe = rawring::get_sqe128(big);
    REQUIRE(sqe != nullptr);
    rawring::prep_uring_cmd128(sqe, abi::SOCKET_URING_OP_SIOCINQ, tcp.server);
    rawring::sqe_set_data64(sqe, 0x80);
    CHECK(sqe->opcode == abi::IORING_OP_URING_CMD128);
    CHECK(sqe->fd == tcp.server.fd);
    CHECK(sqe->cmd_op == abi::SOCKET_URING_OP_SIOCINQ);
    CHECK(sqe->user_data == 0x80);
    CHECK(sqe->len == 0);
    CHECK(sqe->addr == 0);
    for (std::size_t i = 0; i < abi::IORING_SQE128_CMD_BYTES; ++i) CHECK(sqe->cmd()[i] == 0);

    if (!op_supported(abi::IORING_OP_URING_CMD128)) {
        big.exit();
        return;
    }
    // A kernel with URING_CMD128: the socket command answers as through URING_CMD.
    REQUIRE(::send(tcp.client, "12345", 5, 0) == 5);
    int inq = 0;
    for (int i = 0; i < 1000 && inq != 5; ++i) {
        REQUIRE(::ioctl(tcp.server, SIOCINQ, &inq) == 0);
        if (inq != 5) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    submit_n(big, 1);
    const io_uring_cqe cqe = reap(big);
    CHECK(cqe.user_data == 0x80);
    CHECK(cqe.res == 5);
}

TEST_CASE("bad input: read") {
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("0123456789");
        char buf[16];
        // A bad fd: one not open, and a fixed-file index with no table registered.
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_read(s, 100000, buf, 4, 0); });
        CHECK(cqe.res == -EBADF);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_read(s, 0, buf, 4, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == -EBADF);
        // An fd not open for reading.
        const int wronly = ::open(f.path.c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(wronly >= 0);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_read(s, wronly, buf, 4, 0); });
        CHECK(cqe.res == -EBADF);
        ::close(wronly);
        // A buffer that is not mapped.
        void* hole = inaccessible_address();
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_read(s, f.fd, hole, 4, 0); });
        CHECK(cqe.res == -EFAULT);
        // An RWF_* flag the kernel does not know.
        cqe = run_one(r, 5, [&](io_uring_sqe* s) {
            rawring::prep_read(s, f.fd, buf, 4, 0);
            s->rw_flags = 0x80000000u;
        });
        CHECK(cqe.res == -EOPNOTSUPP);
        // An IOSQE_* bit that does not exist: refused at submission, still one CQE.
        cqe = run_one(r, 6, [&](io_uring_sqe* s) {
            rawring::prep_read(s, f.fd, buf, 4, 0);
            s->flags = 0x80;
        });
        CHECK(cqe.res == -EINVAL);
        // None of it touched the file, and a good read still works.
        cqe = run_one(r, 7, [&](io_uring_sqe* s) { rawring::prep_read(s, f.fd, buf, 10, 0); });
        CHECK(cqe.res == 10);
        CHECK(std::string(buf, 10) == "0123456789");
        check_counters(r, 7);  // (each_ring then sends a NOP round trip through it)
    });
}

TEST_CASE("bad input: accept") {
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_listener listener;
        pipe_pair p;
        sockaddr_in addr{};
        socklen_t len = sizeof(addr);
        auto* sa = reinterpret_cast<sockaddr*>(&addr);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_accept(s, 100000, sa, &len, 0); });
        CHECK(cqe.res == -EBADF);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_accept(s, p.read_end, sa, &len, 0); });
        CHECK(cqe.res == -ENOTSOCK);
        // Unknown accept4 flags, and an unknown IORING_ACCEPT_* bit in ioprio.
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_accept(s, listener.fd, sa, &len, 0x1); });
        CHECK(cqe.res == -EINVAL);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_accept(s, listener.fd, sa, &len, 0);
            s->ioprio = 0x80;
        });
        CHECK(cqe.res == -EINVAL);
        // A connection is waiting, but the address length cannot be read.
        owned_fd client = listener.connect_client();
        auto* bad_len = static_cast<socklen_t*>(inaccessible_address());
        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_accept(s, listener.fd, sa, bad_len, 0); });
        CHECK(cqe.res == -EFAULT);
        // The listener still accepts.
        owned_fd client2 = listener.connect_client();
        len = sizeof(addr);
        cqe = run_one(r, 6, [&](io_uring_sqe* s) {
            rawring::prep_accept(s, listener.fd, sa, &len, SOCK_CLOEXEC);
        });
        REQUIRE(cqe.res >= 0);
        owned_fd accepted(cqe.res);
        CHECK(addr.sin_family == AF_INET);
        check_counters(r, 6);
    });
}

TEST_CASE("bad input: timeout") {
    each_ring(8, [](rawring::ring& r, const config&) {
        auto* hole = static_cast<abi::kernel_timespec*>(inaccessible_address());
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_timeout(s, hole, 0, 0); });
        CHECK(cqe.res == -EFAULT);
        const abi::kernel_timespec ts = ms(1);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_timeout(s, &ts, 0, 1u << 31); });
        CHECK(cqe.res == -EINVAL);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_timeout(s, &ts, 0, abi::IORING_TIMEOUT_BOOTTIME | abi::IORING_TIMEOUT_REALTIME);
        });
        CHECK(cqe.res == -EINVAL);
        const abi::kernel_timespec negative{0, -1};
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_timeout(s, &negative, 0, 0); });
        CHECK(cqe.res == -EINVAL);
        cqe = run_one(r, 5, [&](io_uring_sqe* s) {
            rawring::prep_timeout(s, &ts, 0, 0);
            s->len = 2;  // the kernel takes exactly one timespec
        });
        CHECK(cqe.res == -EINVAL);
        // MULTISHOT only repeats a relative time.
        const abi::kernel_timespec later = monotonic_now_plus(1);
        cqe = run_one(r, 6, [&](io_uring_sqe* s) {
            rawring::prep_timeout(s, &later, 0, abi::IORING_TIMEOUT_MULTISHOT | abi::IORING_TIMEOUT_ABS);
        });
        CHECK(cqe.res == -EINVAL);
        // A good one still fires.
        cqe = run_one(r, 7, [&](io_uring_sqe* s) { rawring::prep_timeout(s, &ts, 0, 0); });
        CHECK(cqe.res == -ETIME);
        check_counters(r, 7);
    });
}

} // TEST_SUITE
