// SPDX-License-Identifier: MIT
// The plain ring_state (liburing's struct io_uring layout) and the calls the liburing face
// needed from the core: wait_cqes, get_events, submit_and_get_events, peek_batch_cqe,
// sqring_wait, the min-timeout waits, set_iowait, init_mem (NO_MMAP, REGISTERED_FD_ONLY),
// adopt, and the TIMEOUT-request fallback for timed waits without IORING_FEAT_EXT_ARG.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <vector>

#include "common.hpp"
#include "rawring/prep.hpp"

namespace abi = rawring::abi;
using namespace rawring_test;

namespace {

/// Queues `n` NOPs with user_data 1..n.
void queue_nops(rawring::ring_state& r, unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
        abi::io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_nop(sqe);
        sqe->user_data = i + 1;
    }
}

/// A relative timeout of `ms` milliseconds.
abi::kernel_timespec ms_ts(long ms) {
    abi::kernel_timespec ts{};
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    return ts;
}

} // namespace

TEST_CASE("ring_state: a plain state is liburing's struct io_uring and copies by value") {
    rawring::ring_state st;
    st.reset();
    CHECK_FALSE(st.is_open());
    CHECK(st.ring_fd == -1);
    CHECK(st.get_sqe() == nullptr);  // closed: safe answers
    abi::io_uring_cqe* cqe = nullptr;
    CHECK(st.peek_cqe(&cqe) == -EAGAIN);
    st.cq_advance(3);  // a stray advance on a closed state keeps it empty
    CHECK(st.cq_ready() == 0);
    REQUIRE(st.init(8, 0) == 0);
    CHECK(st.sq.ring_entries == 8);
    CHECK(*st.sq.kring_entries == 8);
    CHECK(*st.cq.kring_mask == st.cq.ring_mask);
    CHECK(st.sq.ring_ptr != nullptr);
    CHECK(st.sq.ring_sz > 0);
    queue_nops(st, 2);
    // A copy by value is the same ring (liburing programs do this): submit through the copy.
    rawring::ring_state copy = st;
    CHECK(copy.submit_and_wait(2) == 2);
    CHECK(st.cq_ready() == 2);
    st.sq = copy.sq;  // the original's sqe_head/sqe_tail catch up, as a liburing program's would
    CHECK(st.sq_ready() == 0);
    st.cq_advance(2);
    CHECK(copy.cq_ready() == 0);
    CHECK(st.exit() == 0);
    CHECK_FALSE(st.is_open());
    CHECK(st.sq.ring_ptr == nullptr);
    CHECK(st.get_sqe() == nullptr);
}

TEST_CASE("ring_state: wait_cqes waits for wait_nr, times out with -ETIME, and takes a sigmask") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    abi::io_uring_cqe* cqe = nullptr;
    // Nothing in flight: -ETIME after the timeout.
    abi::kernel_timespec ts = ms_ts(20);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(r.wait_cqes(&cqe, 1, &ts, nullptr) == -ETIME);
    CHECK(cqe == nullptr);
    CHECK(ms_since(t0) >= 15);
    // Three NOPs submitted: wait_cqes(3) returns with all three ready.
    queue_nops(r, 3);
    CHECK(r.submit() == 3);
    ts = ms_ts(5000);
    CHECK(r.wait_cqes(&cqe, 3, &ts, nullptr) == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 1);
    CHECK(r.cq_ready() == 3);
    r.cq_advance(3);
    // A sigmask blocking SIGUSR1 during the wait: a pending SIGUSR1 does not end it early.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigset_t old;
    sigprocmask(SIG_BLOCK, &mask, &old);
    ::raise(SIGUSR1);  // pending, blocked
    sigset_t during = old;
    sigaddset(&during, SIGUSR1);
    ts = ms_ts(20);
    CHECK(r.wait_cqes(&cqe, 1, &ts, &during) == -ETIME);
    // And with no timeout at all, the untimed path with a sigmask: a NOP completes it.
    queue_nops(r, 1);
    CHECK(r.submit() == 1);
    CHECK(r.wait_cqes(&cqe, 1, nullptr, &during) == 0);
    REQUIRE(cqe != nullptr);
    r.cqe_seen(cqe);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    struct sigaction prev {};
    sigaction(SIGUSR1, &ign, &prev);  // drop the pending signal
    sigprocmask(SIG_SETMASK, &old, nullptr);
    sigaction(SIGUSR1, &prev, nullptr);
}

TEST_CASE("ring_state: get_events and submit_and_get_events run deferred completions") {
    rawring::ring r;
    if (!open_ring(r, 8, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"))
        return;
    // On DEFER_TASKRUN completions may wait as task work until an enter with GETEVENTS.
    queue_nops(r, 1);
    CHECK(r.submit() == 1);
    CHECK(r.get_events() >= 0);
    CHECK(r.cq_ready() == 1);
    r.cq_advance(1);
    queue_nops(r, 2);
    CHECK(r.submit_and_get_events() == 2);
    CHECK(r.sq_ready() == 0);
    CHECK(r.get_events() >= 0);
    CHECK(r.cq_ready() == 2);
    r.cq_advance(2);
}

TEST_CASE("ring_state: peek_batch_cqe points at ready CQEs in order without consuming them") {
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        abi::io_uring_cqe* cqes[8] = {};
        CHECK(r.peek_batch_cqe(cqes, 8) == 0);
        queue_nops(r, 5);
        REQUIRE(r.submit_and_wait(5) == 5);
        if (r.cq_ready() < 5) (void)r.get_events();
        REQUIRE(r.cq_ready() == 5);
        CHECK(r.peek_batch_cqe(cqes, 3) == 3);
        for (unsigned i = 0; i < 3; ++i) CHECK(cqes[i]->user_data == i + 1);
        CHECK(r.cq_ready() == 5);  // not consumed
        r.cq_advance(3);
        CHECK(r.peek_batch_cqe(cqes, 8) == 2);
        CHECK(cqes[0]->user_data == 4);
        CHECK(cqes[1]->user_data == 5);
        r.cq_advance(2);
    }
}

TEST_CASE("ring_state: sqring_wait returns at once without SQPOLL or with room") {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    queue_nops(r, 2);
    CHECK(r.sq_space_left() == 0);
    CHECK(r.sqring_wait() == 0);  // no SQPOLL: nothing to wait for
    CHECK(r.submit_and_wait(2) == 2);
    r.cq_advance(2);
    rawring::ring sq;
    if (!open_ring(sq, 2, abi::IORING_SETUP_SQPOLL, "SQPOLL")) return;
    CHECK(sq.sqring_wait() == 0);  // room left: no enter
    queue_nops(sq, 2);
    CHECK(sq.submit() >= 0);
    // Full until the SQPOLL thread takes them; the wait returns once it has taken one. A kernel
    // without the 2024 fix of io_sqring_full (stable 5.10+; liburing discussion 1267) judges
    // "taken" by its private head, so the wait can return while its thread has grabbed the
    // SQEs but not yet published the head: the SQ still looks full for a moment (seen on
    // Linux 6.1 in CI). liburing's sqring_wait returns then too; waiting again gives the room.
    wait_watchdog dog(10);
    int early = 0;
    int wret = sq.sqring_wait();
    CHECK(wret >= 0);
    while (wret >= 0 && sq.sq_space_left() == 0 && !wait_watchdog::fired()) {
        ++early;
        std::this_thread::yield();  // one CPU (QEMU): let the SQPOLL thread publish its head
        wret = sq.sqring_wait();
    }
    CHECK(wret >= 0);
    CHECK_FALSE(wait_watchdog::fired());
    CHECK(sq.sq_space_left() >= 1);
    if (early != 0) MESSAGE("sqring_wait returned " << early << " time(s) before the kernel published its SQ head");
    abi::io_uring_cqe* cqe = nullptr;
    CHECK(sq.wait_cqe_nr(&cqe, 2) == 0);
}

TEST_CASE("ring_state: min-timeout waits need IORING_FEAT_MIN_TIMEOUT and batch") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    abi::io_uring_cqe* cqe = nullptr;
    abi::kernel_timespec ts = ms_ts(2000);
    if ((r.features() & abi::IORING_FEAT_MIN_TIMEOUT) == 0) {
        CHECK(r.wait_cqes_min_timeout(&cqe, 1, &ts, 1000, nullptr) == -EINVAL);
        CHECK(r.submit_and_wait_min_timeout(&cqe, 1, &ts, 1000, nullptr) == -EINVAL);
        RAWRING_SKIP("no IORING_FEAT_MIN_TIMEOUT (Linux < 6.12)");
        return;
    }
    // One NOP completes, a second CQE never comes: after the first, the kernel waits at most
    // min_wait (10 ms) more, not the whole 2 s.
    queue_nops(r, 1);
    const auto t0 = std::chrono::steady_clock::now();
    const int ret = r.submit_and_wait_min_timeout(&cqe, 2, &ts, 10000, nullptr);
    CHECK(ret == 1);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 1);
    CHECK(ms_since(t0) < 1900);
    r.cqe_seen(cqe);
    ts = ms_ts(30);
    CHECK(r.wait_cqes_min_timeout(&cqe, 1, &ts, 5000, nullptr) == -ETIME);
}

TEST_CASE("ring_state: set_iowait adds IORING_ENTER_NO_IOWAIT to every enter") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    if ((r.features() & abi::IORING_FEAT_NO_IOWAIT) == 0) {
        CHECK(r.set_iowait(false) == -EOPNOTSUPP);
        CHECK((r.enter_flags() & abi::IORING_ENTER_NO_IOWAIT) == 0);
        RAWRING_SKIP("no IORING_FEAT_NO_IOWAIT (Linux < 6.15)");
        return;
    }
    CHECK((r.enter_flags() & abi::IORING_ENTER_NO_IOWAIT) == 0);
    CHECK(r.set_iowait(false) == 0);
    CHECK((r.enter_flags() & abi::IORING_ENTER_NO_IOWAIT) != 0);
    queue_nops(r, 1);
    CHECK(r.submit_and_wait(1) == 1);  // the kernel accepts the flag
    r.cq_advance(1);
    CHECK(r.set_iowait(true) == 0);
    CHECK((r.enter_flags() & abi::IORING_ENTER_NO_IOWAIT) == 0);
}

TEST_CASE("ring_state: init_mem sets a NO_MMAP ring up in the caller's memory") {
    abi::io_uring_params p{};
    const long need = rawring::ring_state::memory_needed(8, p);
    REQUIRE(need > 0);
    CHECK(need % 4096 == 0);
    mapping mem(static_cast<std::size_t>(need));
    rawring::ring r;
    CHECK(r.init_mem(8, p, static_cast<char*>(mem.p) + 64, mem.size) == -EINVAL);  // misaligned
    p = {};
    CHECK(r.init_mem(8, p, mem.p, mem.size - 4096) == -ENOMEM);
    p = {};
    const int used = r.init_mem(8, p, mem.p, mem.size);
    if (used == -EINVAL && setup_accepts(abi::IORING_SETUP_NO_MMAP) == -EINVAL) {
        RAWRING_SKIP("no IORING_SETUP_NO_MMAP (Linux < 6.5)");
        return;
    }
    REQUIRE(used == need);
    CHECK((r.flags() & abi::IORING_SETUP_NO_MMAP) != 0);
    // The SQEs and rings are in our memory.
    CHECK(static_cast<void*>(r.sq().sqes) == mem.p);
    CHECK(reinterpret_cast<char*>(r.sq().khead) >= static_cast<char*>(mem.p));
    CHECK(reinterpret_cast<char*>(r.cq().cqes) < static_cast<char*>(mem.p) + mem.size);
    const int maps = count_uring_maps();
    queue_nops(r, 4);
    CHECK(r.submit_and_wait(4) == 4);
    CHECK(r.cq_ready() == 4);
    r.cq_advance(4);
    CHECK(maps == 0);  // nothing of the ring was mmapped from its fd
    CHECK(r.exit() == 0);
    // exit() left the memory alone: still ours, still mapped and writable.
    static_cast<char*>(mem.p)[0] = 1;
}

TEST_CASE("ring_state: REGISTERED_FD_ONLY leaves the ring no fd, only its registered index") {
    abi::io_uring_params p{};
    const long need = rawring::ring_state::memory_needed(4, p);
    mapping mem(static_cast<std::size_t>(need));
    rawring::ring r;
    p.flags = abi::IORING_SETUP_REGISTERED_FD_ONLY;
    const int fds = count_fds();
    const int used = r.init_mem(4, p, mem.p, mem.size);
    if (used < 0 && setup_accepts(abi::IORING_SETUP_NO_MMAP) == -EINVAL) {
        RAWRING_SKIP("no IORING_SETUP_NO_MMAP / REGISTERED_FD_ONLY (Linux < 6.5)");
        return;
    }
    REQUIRE(used > 0);
    CHECK(r.fd() == -1);
    CHECK(r.ring_fd_registered());
    CHECK(r.enter_fd() >= 0);
    CHECK(count_fds() == fds);  // no fd was created
    queue_nops(r, 2);
    CHECK(r.submit_and_wait(2) == 2);
    r.cq_advance(2);
    CHECK(r.exit() == 0);
    CHECK_FALSE(r.is_open());
}

TEST_CASE("ring_state: adopt maps a ring set up by the caller and leaves the fd theirs on error") {
    abi::io_uring_params p{};
    const int fd = rawring::sys::setup(4, &p);
    REQUIRE(fd >= 0);
    rawring::ring r;
    REQUIRE(r.adopt(fd, p) == 0);
    CHECK(r.fd() == fd);
    CHECK(r.adopt(fd, p) == -EBUSY);
    queue_nops(r, 1);
    CHECK(r.submit_and_wait(1) == 1);
    r.cq_advance(1);
    CHECK(r.exit() == 0);
    CHECK(::fcntl(fd, F_GETFD) == -1);  // exit closed the adopted fd, as liburing's queue_exit
    // A bad fd: the mmap fails, the state stays closed.
    rawring::ring bad;
    CHECK(bad.adopt(-1, p) < 0);
    CHECK_FALSE(bad.is_open());
}

TEST_CASE("ring_state: timed waits without EXT_ARG fall back to a TIMEOUT request") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    // Act as a kernel older than 5.11: the waits must then time themselves with a TIMEOUT SQE,
    // which this kernel still runs.
    r.ring_state::features &= ~abi::IORING_FEAT_EXT_ARG;
    abi::io_uring_cqe* cqe = nullptr;
    abi::kernel_timespec ts = ms_ts(20);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(r.wait_cqe_timeout(&cqe, &ts) == -ETIME);
    CHECK(cqe == nullptr);
    CHECK(ms_since(t0) >= 15);
    CHECK((r.int_flags & rawring::ring_state::int_flag_timeout_sqe) != 0);  // it queued one
    CHECK(r.cq_ready() == 0);  // the TIMEOUT's own CQE was consumed
    // A NOP completes first: its CQE comes back, the TIMEOUT's CQE (count reached) never shows.
    queue_nops(r, 1);
    ts = ms_ts(5000);
    CHECK(r.submit_and_wait_timeout(&cqe, 1, &ts, nullptr) == 1);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 1);
    r.cqe_seen(cqe);
    // Whatever the TIMEOUT posted later is skipped by every peek.
    queue_nops(r, 1);
    CHECK(r.submit_and_wait(1) == 1);
    CHECK(r.wait_cqe(&cqe) == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 1);
    r.cqe_seen(cqe);
    ts = ms_ts(20);
    CHECK(r.wait_cqes(&cqe, 1, &ts, nullptr) == -ETIME);
    CHECK(r.peek_cqe(&cqe) == -EAGAIN);
}
