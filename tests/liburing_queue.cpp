// SPDX-License-Identifier: MIT
// The liburing face's setup, submission and completion functions on the real kernel: each called
// by its liburing name on a `struct io_uring`, with liburing's return conventions, and its effect
// checked (ring counters, the bytes moved, the flags the kernel sets).
//
// Built twice: test-liburing-queue calls the extern "C" functions of librawring-liburing
// (src/liburing/queue.cpp; RAWRING_LIBURING_NO_INLINE: what C and pre-C++20 programs get),
// test-liburing-queue-inline the inline definitions a C++20 program gets.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

// rawring (through common.hpp) first: liburing/io_uring.h makes IORING_* macros, which rawring's
// headers must not see. No `abi::IORING_*` below this include.
#include "common.hpp"
#include "net.hpp"

#include <liburing.h>

using rawring_test::ms_since;
using rawring_test::owned_fd;
using rawring_test::pipe_pair;
using rawring_test::temp_file;
using rawring_test::wait_watchdog;
using rawring_test::mapping;
using rawring_test::page_size;
using steady = std::chrono::steady_clock;

namespace {


/// A liburing ring for one case, torn down with the object unless `open` is cleared.
struct face_ring {
    io_uring ring{};
    bool open = false;
    face_ring() = default;
    explicit face_ring(unsigned entries, unsigned flags = 0) { REQUIRE(init(entries, flags) == 0); }
    ~face_ring() { exit(); }
    face_ring(const face_ring&) = delete;
    face_ring& operator=(const face_ring&) = delete;
    int init(unsigned entries, unsigned flags = 0) {
        const int ret = io_uring_queue_init(entries, &ring, flags);
        open = ret == 0;
        return ret;
    }
    int init_params(unsigned entries, io_uring_params* p) {
        const int ret = io_uring_queue_init_params(entries, &ring, p);
        open = ret == 0;
        return ret;
    }
    void exit() {
        if (open) io_uring_queue_exit(&ring);
        open = false;
    }
    operator io_uring*() { return &ring; }
};

__kernel_timespec ts_ms(long n) {
    __kernel_timespec ts{};
    ts.tv_sec = n / 1000;
    ts.tv_nsec = (n % 1000) * 1000000LL;
    return ts;
}

io_uring_sqe* next_sqe(io_uring* ring, __u64 data) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    REQUIRE(sqe != nullptr);
    io_uring_sqe_set_data64(sqe, data);
    return sqe;
}

void queue_nop(io_uring* ring, __u64 data) {
    io_uring_prep_nop(next_sqe(ring, data));
}

/// Waits at most `timeout_ms` for the next CQE, copies it out and consumes it.
io_uring_cqe reap(io_uring* ring, long timeout_ms = 10000) {
    __kernel_timespec ts = ts_ms(timeout_ms);
    io_uring_cqe* cqe = nullptr;
    const int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
    REQUIRE_MESSAGE(ret == 0, "no CQE within " << timeout_ms << " ms: " << ret);
    REQUIRE(cqe != nullptr);
    const io_uring_cqe out = *cqe;
    io_uring_cqe_seen(ring, cqe);
    return out;
}

/// Queues a NOP, submits it and reaps its CQE: the ring works end to end.
void nop_round_trip(io_uring* ring, __u64 data) {
    queue_nop(ring, data);
    REQUIRE(io_uring_submit(ring) == 1);
    const io_uring_cqe cqe = reap(ring);
    CHECK(cqe.user_data == data);
    CHECK(cqe.res == 0);
}

bool fd_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

/// Whether the -EINVAL that register op `op` gave is the kernel's not knowing it (asked by raw
/// system calls: kernel_knows_register_op).
bool may_lack_register_op(unsigned op, int ret) {
    return ret == -EINVAL && !rawring_test::kernel_knows_register_op(op);
}

/// Forks a child that runs `f` and exits with its value (0..255); returns that exit status.
template <class F>
int in_child(F f) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) ::_exit(f());
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

volatile sig_atomic_t usr1_seen = 0;

/// SIGUSR1 with a counting handler and no SA_RESTART, blocked in this thread; all restored with
/// the object.
struct usr1_blocked {
    struct sigaction old_action {};
    sigset_t old_mask{};
    usr1_blocked() {
        usr1_seen = 0;
        struct sigaction sa {};
        sa.sa_handler = [](int) { usr1_seen = usr1_seen + 1; };
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        REQUIRE(::sigaction(SIGUSR1, &sa, &old_action) == 0);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        REQUIRE(::pthread_sigmask(SIG_BLOCK, &block, &old_mask) == 0);
    }
    ~usr1_blocked() {
        // Drain a SIGUSR1 still pending, so restoring the mask does not deliver it.
        sigset_t pending;
        sigemptyset(&pending);
        if (::sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1) == 1) {
            sigset_t only;
            sigemptyset(&only);
            sigaddset(&only, SIGUSR1);
            int sig = 0;
            (void)::sigwait(&only, &sig);
        }
        ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
        ::sigaction(SIGUSR1, &old_action, nullptr);
    }
    usr1_blocked(const usr1_blocked&) = delete;
    usr1_blocked& operator=(const usr1_blocked&) = delete;
};

bool usr1_pending() {
    sigset_t pending;
    sigemptyset(&pending);
    REQUIRE(::sigpending(&pending) == 0);
    return sigismember(&pending, SIGUSR1) == 1;
}

} // namespace

TEST_SUITE("kernel") {

// ---- setup and teardown -----------------------------------------------------------------------

TEST_CASE("liburing queue: io_uring_queue_init and _params fill in the params and the ring") {
    SUBCASE("defaults: entries rounded up, a CQ twice the SQ, the SQ index array mapped") {
        face_ring r;
        io_uring_params p{};
        REQUIRE(r.init_params(5, &p) == 0);  // 0, not the fd
        CHECK(p.sq_entries == 8u);
        CHECK(p.cq_entries == 16u);
        CHECK((p.features & IORING_FEAT_SINGLE_MMAP) != 0);
        CHECK((p.features & IORING_FEAT_NODROP) != 0);
        CHECK((p.features & IORING_FEAT_EXT_ARG) != 0);
        CHECK(r.ring.features == p.features);
        CHECK(r.ring.flags == p.flags);
        CHECK((r.ring.flags & IORING_SETUP_NO_SQARRAY) == 0);
        REQUIRE(r.ring.ring_fd >= 0);
        CHECK(fd_open(r.ring.ring_fd));
        CHECK(r.ring.enter_ring_fd == r.ring.ring_fd);
        CHECK(r.ring.sq.ring_entries == 8u);
        CHECK(r.ring.sq.ring_mask == 7u);
        REQUIRE(r.ring.sq.kring_entries != nullptr);
        CHECK(*r.ring.sq.kring_entries == 8u);
        CHECK(*r.ring.sq.kring_mask == 7u);
        CHECK(r.ring.cq.ring_entries == 16u);
        CHECK(r.ring.cq.ring_mask == 15u);
        CHECK(*r.ring.cq.kring_entries == 16u);
        CHECK(*r.ring.cq.kring_mask == 15u);
        CHECK(*r.ring.sq.khead == 0u);
        CHECK(*r.ring.sq.ktail == 0u);
        CHECK(*r.ring.cq.khead == 0u);
        CHECK(*r.ring.cq.ktail == 0u);
        CHECK(r.ring.sq.sqe_head == 0u);
        CHECK(r.ring.sq.sqe_tail == 0u);
        CHECK(r.ring.sq.sqes != nullptr);
        CHECK(r.ring.cq.cqes != nullptr);
        CHECK(r.ring.sq.ring_ptr != nullptr);
        CHECK(r.ring.sq.ring_sz > 0u);
        REQUIRE(r.ring.sq.array != nullptr);
        for (unsigned i = 0; i < 8; ++i) CHECK(r.ring.sq.array[i] == i);  // identity-mapped
        nop_round_trip(r, 0x51);
    }
    SUBCASE("IORING_SETUP_CQSIZE sets the CQ size") {
        face_ring r;
        io_uring_params p{};
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 64;
        REQUIRE(r.init_params(4, &p) == 0);
        CHECK(p.sq_entries == 4u);
        CHECK(p.cq_entries == 64u);
        CHECK(r.ring.cq.ring_entries == 64u);
        CHECK(*r.ring.cq.kring_entries == 64u);
        CHECK((r.ring.flags & IORING_SETUP_CQSIZE) != 0);
        nop_round_trip(r, 0x52);
    }
    SUBCASE("IORING_SETUP_NO_SQARRAY leaves ring.sq.array NULL") {
        face_ring r;
        const int ret = r.init(8, IORING_SETUP_NO_SQARRAY);
        if (ret == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_NO_SQARRAY) != 0) {
            RAWRING_SKIP("IORING_SETUP_NO_SQARRAY needs Linux 6.6");
            return;
        }
        REQUIRE(ret == 0);
        CHECK(r.ring.sq.array == nullptr);
        CHECK((r.ring.flags & IORING_SETUP_NO_SQARRAY) != 0);
        CHECK(r.ring.sq.ring_entries == 8u);
        for (__u64 i = 0; i < 20; ++i) nop_round_trip(r, 0x100 + i);  // across the SQ's wrap
    }
    SUBCASE("errors are -errno") {
        io_uring ring{};
        CHECK(io_uring_queue_init(0, &ring, 0) == -EINVAL);
        CHECK(io_uring_queue_init(8, &ring, 1u << 31) == -EINVAL);
        io_uring_params p{};
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 0;
        CHECK(io_uring_queue_init_params(8, &ring, &p) == -EINVAL);
    }
}

TEST_CASE("liburing queue: io_uring_queue_mmap maps a ring set up by a raw io_uring_setup") {
    io_uring_params p{};
    const int fd = io_uring_setup(4, &p);
    REQUIRE(fd >= 0);
    CHECK(p.sq_entries == 4u);
    CHECK(p.cq_entries == 8u);
    io_uring ring;  // uninitialised on purpose, as liburing's callers hand it in
    std::memset(static_cast<void*>(&ring), 0xa5, sizeof(ring));
    REQUIRE(io_uring_queue_mmap(fd, &p, &ring) == 0);
    CHECK(ring.ring_fd == fd);
    CHECK(ring.enter_ring_fd == fd);
    CHECK(ring.flags == p.flags);
    CHECK(ring.features == p.features);  // the face records them too: its timed waits read them
    CHECK(ring.sq.ring_entries == 4u);
    CHECK(*ring.sq.kring_entries == 4u);
    CHECK(ring.cq.ring_entries == 8u);
    CHECK(ring.sq.sqe_head == 0u);
    CHECK(ring.sq.sqe_tail == 0u);
    REQUIRE(ring.sq.array != nullptr);  // a raw setup without NO_SQARRAY has one
    for (__u64 i = 0; i < 10; ++i) nop_round_trip(&ring, 0x200 + i);
    io_uring_queue_exit(&ring);
    CHECK_FALSE(fd_open(fd));  // queue_exit closed the adopted fd
}

TEST_CASE("liburing queue: io_uring_queue_exit unmaps the rings and closes the fd") {
    const int maps_before = rawring_test::count_uring_maps();
    const int fds_before = rawring_test::count_fds();
    io_uring ring{};
    REQUIRE(io_uring_queue_init(8, &ring, 0) == 0);
    const int fd = ring.ring_fd;
    CHECK(fd_open(fd));
    CHECK(rawring_test::count_uring_maps() > maps_before);
    CHECK(rawring_test::count_fds() == fds_before + 1);
    queue_nop(&ring, 1);
    REQUIRE(io_uring_submit(&ring) == 1);  // with a CQE left unreaped
    io_uring_queue_exit(&ring);
    errno = 0;
    CHECK(::fcntl(fd, F_GETFD) == -1);
    CHECK(errno == EBADF);
    CHECK(rawring_test::count_uring_maps() == maps_before);
    CHECK(rawring_test::count_fds() == fds_before);
}

TEST_CASE("liburing queue: io_uring_ring_dontfork keeps the rings out of a forked child") {
    face_ring r(8);
    const int parent_maps = rawring_test::count_uring_maps();
    REQUIRE(parent_maps > 0);
    // Without it a child inherits the mappings...
    const int before = in_child([] { return rawring_test::count_uring_maps(); });
    CHECK(before == parent_maps);

    REQUIRE(io_uring_ring_dontfork(r) == 0);
    // ...with it the child has none,
    CHECK(in_child([] { return rawring_test::count_uring_maps(); }) == 0);
    // and the parent's ring is untouched, before and after the child is gone.
    CHECK(rawring_test::count_uring_maps() == parent_maps);
    for (__u64 i = 0; i < 20; ++i) nop_round_trip(r, 0x300 + i);

    io_uring zeroed;
    std::memset(static_cast<void*>(&zeroed), 0, sizeof(zeroed));
    CHECK(io_uring_ring_dontfork(&zeroed) == -EINVAL);  // nothing mapped
}

// ---- submission -------------------------------------------------------------------------------

TEST_CASE("liburing queue: get_sqe until NULL, sq_ready, sq_space_left, __io_uring_flush_sq, submit") {
    face_ring r(8);
    io_uring* ring = r;
    CHECK(io_uring_sq_ready(ring) == 0u);
    CHECK(io_uring_sq_space_left(ring) == 8u);
    for (unsigned i = 0; i < 8; ++i) {
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        REQUIRE(sqe != nullptr);
        CHECK(sqe == ring->sq.sqes + i);
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, 0x400 + i);
        CHECK(io_uring_sq_ready(ring) == i + 1);
        CHECK(io_uring_sq_space_left(ring) == 7 - i);
    }
    CHECK(io_uring_get_sqe(ring) == nullptr);  // full
    CHECK(io_uring_get_sqe(ring) == nullptr);
    CHECK(ring->sq.sqe_tail == 8u);
    CHECK(io_uring_sq_ready(ring) == 8u);
    CHECK(io_uring_sq_space_left(ring) == 0u);
    CHECK(*ring->sq.ktail == 0u);  // nothing published yet

    // Publishing moves the kernel's tail, not its head: the SQEs are still the kernel's to take.
    CHECK(__io_uring_flush_sq(ring) == 8u);
    CHECK(*ring->sq.ktail == 8u);
    CHECK(ring->sq.sqe_head == 8u);
    CHECK(*ring->sq.khead == 0u);
    CHECK(io_uring_sq_ready(ring) == 8u);
    CHECK(io_uring_get_sqe(ring) == nullptr);
    CHECK(io_uring_cq_ready(ring) == 0u);

    CHECK(io_uring_submit(ring) == 8);
    CHECK(*ring->sq.khead == 8u);
    CHECK(io_uring_sq_ready(ring) == 0u);
    CHECK(io_uring_sq_space_left(ring) == 8u);
    CHECK(io_uring_cq_ready(ring) == 8u);
    for (unsigned i = 0; i < 8; ++i) CHECK(reap(ring).user_data == 0x400 + i);
    CHECK(io_uring_submit(ring) == 0);  // nothing queued

    // The next SQE reuses slot 0.
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    CHECK(sqe == ring->sq.sqes);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 0x4ff);
    CHECK(io_uring_submit(ring) == 1);
    CHECK(reap(ring).user_data == 0x4ffu);
}

TEST_CASE("liburing queue: io_uring_submit_and_wait returns the number submitted once CQEs are in") {
    face_ring r(8);
    wait_watchdog dog(30);
    // A 50 ms timeout and two NOPs: wait for all three.
    __kernel_timespec ts = ts_ms(50);
    io_uring_prep_timeout(next_sqe(r, 0x501), &ts, 0, 0);
    queue_nop(r, 0x502);
    queue_nop(r, 0x503);
    const auto t0 = steady::now();
    CHECK(io_uring_submit_and_wait(r, 3) == 3);
    CHECK(ms_since(t0) >= 45);
    CHECK_FALSE(dog.fired());
    CHECK(io_uring_cq_ready(r) == 3u);
    std::set<__u64> seen;
    for (int i = 0; i < 3; ++i) {
        const io_uring_cqe cqe = reap(r);
        seen.insert(cqe.user_data);
        if (cqe.user_data == 0x501) {
            CHECK(cqe.res == -ETIME);
        } else {
            CHECK(cqe.res == 0);
        }
    }
    CHECK(seen == std::set<__u64>{0x501, 0x502, 0x503});
    // Nothing queued: submits 0, still waits for what is asked.
    queue_nop(r, 0x504);
    REQUIRE(__io_uring_flush_sq(r) == 1u);
    CHECK(io_uring_submit_and_wait(r, 1) == 1);  // published earlier, submitted now
    CHECK(reap(r).user_data == 0x504u);
}

// ---- completion -------------------------------------------------------------------------------

TEST_CASE("liburing queue: io_uring_peek_cqe, io_uring_wait_cqe, io_uring_cqe_seen, io_uring_cq_ready") {
    face_ring r(8);
    io_uring_cqe* cqe = reinterpret_cast<io_uring_cqe*>(&r);  // a stale value to be overwritten
    CHECK(io_uring_peek_cqe(r, &cqe) == -EAGAIN);
    CHECK(cqe == nullptr);
    CHECK(io_uring_cq_ready(r) == 0u);

    queue_nop(r, 0x601);
    queue_nop(r, 0x602);
    REQUIRE(io_uring_submit(r) == 2);
    CHECK(io_uring_cq_ready(r) == 2u);
    REQUIRE(io_uring_peek_cqe(r, &cqe) == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 0x601u);
    io_uring_cqe* again = nullptr;
    REQUIRE(io_uring_peek_cqe(r, &again) == 0);
    CHECK(again == cqe);  // peeking consumes nothing
    CHECK(io_uring_cq_ready(r) == 2u);
    const unsigned head = *r.ring.cq.khead;
    io_uring_cqe_seen(r, cqe);
    CHECK(*r.ring.cq.khead == head + 1);
    CHECK(io_uring_cq_ready(r) == 1u);
    REQUIRE(io_uring_wait_cqe(r, &cqe) == 0);  // ready: no wait
    CHECK(cqe->user_data == 0x602u);
    io_uring_cqe_seen(r, cqe);
    CHECK(io_uring_cq_ready(r) == 0u);
    CHECK(io_uring_peek_cqe(r, &cqe) == -EAGAIN);
    io_uring_cqe_seen(r, nullptr);  // ignored
    CHECK(*r.ring.cq.khead == head + 2);

    // wait_cqe waits for a completion still to come.
    wait_watchdog dog(30);
    __kernel_timespec ts = ts_ms(40);
    io_uring_prep_timeout(next_sqe(r, 0x603), &ts, 0, 0);
    const auto t0 = steady::now();
    REQUIRE(io_uring_submit(r) == 1);
    REQUIRE(io_uring_wait_cqe(r, &cqe) == 0);
    CHECK(ms_since(t0) >= 35);
    CHECK_FALSE(dog.fired());
    CHECK(cqe->user_data == 0x603u);
    CHECK(cqe->res == -ETIME);
    io_uring_cqe_seen(r, cqe);
    CHECK(io_uring_cq_ready(r) == 0u);
}

TEST_CASE("liburing queue: io_uring_wait_cqe_nr waits for that many CQEs") {
    face_ring r(8);
    wait_watchdog dog(60);
    // Three reads of empty pipes, completed one by one by another thread: the wait ends only
    // when all three are in (however late that thread runs).
    pipe_pair pipes[3];
    char bufs[3][4] = {};
    for (int i = 0; i < 3; ++i)
        io_uring_prep_read(next_sqe(r, 0x701 + static_cast<unsigned>(i)), pipes[i].read_end, bufs[i], 4, 0);
    REQUIRE(io_uring_submit(r) == 3);
    const auto t0 = steady::now();
    std::thread writer([&pipes] {
        for (int i = 0; i < 3; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (::write(pipes[i].write_end, "abc", 3) != 3) std::abort();
        }
    });
    io_uring_cqe* cqe = nullptr;
    const int ret = io_uring_wait_cqe_nr(r, &cqe, 3);
    const double waited = ms_since(t0);
    writer.join();
    REQUIRE(ret == 0);
    CHECK(waited >= 55);  // the third write comes 60 ms after the start at the earliest
    CHECK_FALSE(dog.fired());
    CHECK(cqe != nullptr);
    CHECK(io_uring_cq_ready(r) == 3u);
    std::set<__u64> seen;
    for (int i = 0; i < 3; ++i) {
        const io_uring_cqe c = reap(r);
        CHECK(c.res == 3);
        seen.insert(c.user_data);
    }
    CHECK(seen == std::set<__u64>{0x701, 0x702, 0x703});
    for (int i = 0; i < 3; ++i) CHECK(std::string(bufs[i], 3) == "abc");

    // A TIMEOUT request's completion wakes every waiter (the kernel's rule): the wait ends with
    // fewer than asked, 0 and the first CQE, as with liburing.
    __kernel_timespec ts[2] = {ts_ms(20), ts_ms(60)};
    io_uring_prep_timeout(next_sqe(r, 0x711), &ts[0], 0, 0);
    io_uring_prep_timeout(next_sqe(r, 0x712), &ts[1], 0, 0);
    REQUIRE(io_uring_submit(r) == 2);
    REQUIRE(io_uring_wait_cqe_nr(r, &cqe, 2) == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 0x711u);
    CHECK(io_uring_cq_ready(r) >= 1u);
    CHECK(reap(r).user_data == 0x711u);
    CHECK(reap(r).user_data == 0x712u);
    CHECK_FALSE(dog.fired());

    // With enough ready already it returns at once and points at the first.
    queue_nop(r, 0x704);
    queue_nop(r, 0x705);
    REQUIRE(io_uring_submit(r) == 2);
    REQUIRE(io_uring_wait_cqe_nr(r, &cqe, 2) == 0);
    CHECK(cqe->user_data == 0x704u);
    io_uring_cq_advance(r, 2);
    CHECK(io_uring_cq_ready(r) == 0u);
}

TEST_CASE("liburing queue: io_uring_wait_cqe_timeout gives -ETIME within bounds, a CQE at once") {
    face_ring r(8);
    io_uring_cqe* cqe = reinterpret_cast<io_uring_cqe*>(&r);
    __kernel_timespec ts = ts_ms(100);
    auto t0 = steady::now();
    CHECK(io_uring_wait_cqe_timeout(r, &cqe, &ts) == -ETIME);
    const double waited = ms_since(t0);
    CHECK(waited >= 90);
    CHECK(waited < 20000);  // generous: the machine may be loaded
    CHECK(cqe == nullptr);
    CHECK(io_uring_cq_ready(r) == 0u);

    // A CQE ready: 0 without waiting out the (long) limit.
    queue_nop(r, 0x801);
    REQUIRE(io_uring_submit(r) == 1);
    __kernel_timespec long_ts = ts_ms(30000);
    t0 = steady::now();
    REQUIRE(io_uring_wait_cqe_timeout(r, &cqe, &long_ts) == 0);
    CHECK(ms_since(t0) < 20000);
    CHECK(cqe->user_data == 0x801u);
    io_uring_cqe_seen(r, cqe);

    // A CQE that comes during the wait ends it.
    __kernel_timespec fire = ts_ms(50);
    io_uring_prep_timeout(next_sqe(r, 0x802), &fire, 0, 0);
    t0 = steady::now();
    REQUIRE(io_uring_submit(r) == 1);
    REQUIRE(io_uring_wait_cqe_timeout(r, &cqe, &long_ts) == 0);
    const double until_cqe = ms_since(t0);
    CHECK(until_cqe >= 45);
    CHECK(until_cqe < 20000);
    CHECK(cqe->user_data == 0x802u);
    CHECK(cqe->res == -ETIME);  // the request's own result, not the wait's
    io_uring_cqe_seen(r, cqe);
}

TEST_CASE("liburing queue: io_uring_wait_cqes applies the sigmask during the wait") {
    face_ring r(8);
    usr1_blocked guard;
    wait_watchdog dog(30);
    REQUIRE(::raise(SIGUSR1) == 0);  // pending: blocked in this thread
    CHECK(usr1_pending());
    CHECK(usr1_seen == 0);

    // A sigmask that keeps SIGUSR1 blocked: the wait runs to its time limit.
    sigset_t keep;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &keep) == 0);
    REQUIRE(sigismember(&keep, SIGUSR1) == 1);
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts = ts_ms(100);
    auto t0 = steady::now();
    CHECK(io_uring_wait_cqes(r, &cqe, 1, &ts, &keep) == -ETIME);
    CHECK(ms_since(t0) >= 90);
    CHECK(usr1_seen == 0);
    CHECK(usr1_pending());

    // A sigmask without it: delivered during the wait, which ends with -EINTR at once.
    sigset_t open = keep;
    sigdelset(&open, SIGUSR1);
    __kernel_timespec long_ts = ts_ms(20000);
    t0 = steady::now();
    CHECK(io_uring_wait_cqes(r, &cqe, 1, &long_ts, &open) == -EINTR);
    CHECK(ms_since(t0) < 15000);
    CHECK(usr1_seen == 1);
    CHECK_FALSE(usr1_pending());
    // Blocked again in this thread once the call is back.
    sigset_t now;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &now) == 0);
    CHECK(sigismember(&now, SIGUSR1) == 1);

    // The same without a time limit (liburing's __io_uring_get_cqe path).
    REQUIRE(::raise(SIGUSR1) == 0);
    CHECK(io_uring_wait_cqes(r, &cqe, 1, nullptr, &open) == -EINTR);
    CHECK(usr1_seen == 2);
    CHECK_FALSE(dog.fired());

    // CQEs ready: 0 at once, whatever the mask.
    queue_nop(r, 0x901);
    queue_nop(r, 0x902);
    REQUIRE(io_uring_submit(r) == 2);
    REQUIRE(io_uring_wait_cqes(r, &cqe, 2, &long_ts, &open) == 0);
    CHECK(cqe->user_data == 0x901u);
    CHECK(io_uring_cq_ready(r) == 2u);
    io_uring_cq_advance(r, 2);
}

TEST_CASE("liburing queue: io_uring_submit_and_wait_timeout returns the number submitted") {
    face_ring r(8);
    // Two NOPs: both submitted, both in.
    queue_nop(r, 0xa01);
    queue_nop(r, 0xa02);
    __kernel_timespec ts = ts_ms(10000);
    io_uring_cqe* cqe = nullptr;
    CHECK(io_uring_submit_and_wait_timeout(r, &cqe, 2, &ts, nullptr) == 2);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 0xa01u);
    CHECK(io_uring_cq_ready(r) == 2u);
    io_uring_cq_advance(r, 2);

    // A read of an empty pipe: submitted (1) although the time runs out with no CQE.
    pipe_pair pipe;
    char buf[16] = {};
    io_uring_prep_read(next_sqe(r, 0xa03), pipe.read_end, buf, sizeof(buf), 0);
    __kernel_timespec short_ts = ts_ms(100);
    sigset_t mask;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &mask) == 0);
    cqe = reinterpret_cast<io_uring_cqe*>(&r);
    auto t0 = steady::now();
    CHECK(io_uring_submit_and_wait_timeout(r, &cqe, 1, &short_ts, &mask) == 1);
    CHECK(ms_since(t0) >= 90);
    CHECK(cqe == nullptr);
    CHECK(*r.ring.sq.khead == 3u);  // the kernel took it
    CHECK(io_uring_sq_ready(r) == 0u);
    CHECK(io_uring_cq_ready(r) == 0u);

    // Nothing to submit: -ETIME.
    t0 = steady::now();
    CHECK(io_uring_submit_and_wait_timeout(r, &cqe, 1, &short_ts, nullptr) == -ETIME);
    CHECK(ms_since(t0) >= 90);
    CHECK(cqe == nullptr);

    // The read completes once the pipe has data.
    REQUIRE(::write(pipe.write_end, "pipe data", 9) == 9);
    CHECK(io_uring_submit_and_wait_timeout(r, &cqe, 1, &ts, nullptr) == 0);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 0xa03u);
    CHECK(cqe->res == 9);
    CHECK(std::string(buf, 9) == "pipe data");
    io_uring_cqe_seen(r, cqe);
}

TEST_CASE("liburing queue: io_uring_peek_batch_cqe points at ready CQEs without consuming them") {
    face_ring r(8);
    io_uring_cqe* cqes[16] = {};
    CHECK(io_uring_peek_batch_cqe(r, cqes, 16) == 0u);
    for (int round = 0; round < 5; ++round) {  // 25 CQEs through a 16-entry CQ: it wraps
        for (__u64 i = 0; i < 5; ++i) queue_nop(r, 0xb00 + i);
        REQUIRE(io_uring_submit(r) == 5);
        const unsigned head = *r.ring.cq.khead;
        REQUIRE(io_uring_peek_batch_cqe(r, cqes, 3) == 3u);
        for (unsigned i = 0; i < 3; ++i) {
            CHECK(cqes[i]->user_data == 0xb00 + i);
            CHECK(cqes[i] == &r.ring.cq.cqes[(head + i) & r.ring.cq.ring_mask]);
        }
        CHECK(io_uring_cq_ready(r) == 5u);
        REQUIRE(io_uring_peek_batch_cqe(r, cqes, 16) == 5u);
        for (unsigned i = 0; i < 5; ++i) CHECK(cqes[i]->user_data == 0xb00 + i);
        io_uring_cq_advance(r, 5);
        CHECK(*r.ring.cq.khead == head + 5);
        CHECK(io_uring_peek_batch_cqe(r, cqes, 16) == 0u);
    }
}

TEST_CASE("liburing queue: io_uring_for_each_cqe and io_uring_cq_advance, across the CQ's wrap") {
    face_ring r(4);  // an 8-entry CQ
    REQUIRE(r.ring.cq.ring_entries == 8u);
    __u64 next = 0;
    for (int round = 0; round < 6; ++round) {
        const __u64 first = next;
        for (int i = 0; i < 3; ++i) queue_nop(r, next++);
        REQUIRE(io_uring_submit(r) == 3);
        const unsigned khead = *r.ring.cq.khead;
        unsigned head = 0;
        io_uring_cqe* cqe = nullptr;
        unsigned count = 0;
        std::vector<__u64> seen;
        io_uring_for_each_cqe(&r.ring, head, cqe) {
            CHECK(head == khead + count);
            CHECK(cqe == &r.ring.cq.cqes[head & r.ring.cq.ring_mask]);
            seen.push_back(cqe->user_data);
            ++count;
        }
        CHECK(count == 3u);
        CHECK(seen == std::vector<__u64>{first, first + 1, first + 2});
        CHECK(io_uring_cq_ready(r) == 3u);  // the walk consumed nothing
        io_uring_cq_advance(r, count);
        CHECK(*r.ring.cq.khead == khead + 3);
        CHECK(io_uring_cq_ready(r) == 0u);
    }
    CHECK(*r.ring.cq.khead == 18u);  // past the 8-entry ring twice
    io_uring_cq_advance(r, 0);       // a no-op
    CHECK(*r.ring.cq.khead == 18u);
}

TEST_CASE("liburing queue: io_uring_cqe_iter_init and io_uring_cqe_iter_next") {
    face_ring r(4);
    io_uring_cqe* cqe = nullptr;
    io_uring_cqe_iter empty = io_uring_cqe_iter_init(r);
    CHECK(empty.head == empty.tail);
    CHECK_FALSE(io_uring_cqe_iter_next(&empty, &cqe));

    for (int round = 0; round < 4; ++round) {
        for (__u64 i = 0; i < 4; ++i) queue_nop(r, 0xc00 + i);
        REQUIRE(io_uring_submit(r) == 4);
        io_uring_cqe_iter it = io_uring_cqe_iter_init(r);
        CHECK(it.head == *r.ring.cq.khead);
        CHECK(it.tail == *r.ring.cq.ktail);
        CHECK(it.tail - it.head == 4u);
        CHECK(it.mask == r.ring.cq.ring_mask);
        CHECK(it.shift == 0u);
        CHECK(it.cqes == r.ring.cq.cqes);
        unsigned n = 0;
        while (io_uring_cqe_iter_next(&it, &cqe)) {
            CHECK(cqe->user_data == 0xc00 + n);
            ++n;
        }
        CHECK(n == 4u);
        CHECK(it.head == it.tail);
        CHECK_FALSE(io_uring_cqe_iter_next(&it, &cqe));
        CHECK(io_uring_cq_ready(r) == 4u);
        io_uring_cq_advance(r, n);
    }
    CHECK(io_uring_cq_ready(r) == 0u);
}

TEST_CASE("liburing queue: io_uring_cq_has_overflow on an overflowed CQ, and no CQE lost") {
    face_ring r;
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = 4;
    REQUIRE(r.init_params(4, &p) == 0);
    REQUIRE(r.ring.cq.ring_entries == 4u);
    if ((r.ring.features & IORING_FEAT_NODROP) == 0) {
        RAWRING_SKIP("the kernel drops overflowed CQEs (no IORING_FEAT_NODROP)");
        return;
    }
    CHECK_FALSE(io_uring_cq_has_overflow(r));
    for (__u64 i = 0; i < 4; ++i) queue_nop(r, 0xd00 + i);
    REQUIRE(io_uring_submit(r) == 4);
    CHECK(io_uring_cq_ready(r) == 4u);  // full
    CHECK_FALSE(io_uring_cq_has_overflow(r));
    // Six more than the CQ holds, in two submits (the SQ holds 4).
    for (__u64 i = 4; i < 8; ++i) queue_nop(r, 0xd00 + i);
    REQUIRE(io_uring_submit(r) == 4);
    CHECK(io_uring_cq_has_overflow(r));
    for (__u64 i = 8; i < 10; ++i) queue_nop(r, 0xd00 + i);
    REQUIRE(io_uring_submit(r) == 2);
    CHECK(io_uring_sq_ready(r) == 0u);
    CHECK(io_uring_cq_ready(r) == 4u);  // the CQ stays full
    CHECK(io_uring_cq_has_overflow(r));
    CHECK((*r.ring.sq.kflags & IORING_SQ_CQ_OVERFLOW) != 0);
    CHECK(*r.ring.cq.koverflow == 0u);  // kept, not dropped

    std::vector<__u64> seen;
    for (int i = 0; i < 10; ++i) {
        const io_uring_cqe cqe = reap(r);
        CHECK(cqe.res == 0);
        seen.push_back(cqe.user_data);
    }
    std::vector<__u64> want;
    for (__u64 i = 0; i < 10; ++i) want.push_back(0xd00 + i);
    CHECK(seen == want);  // every one, in order
    CHECK_FALSE(io_uring_cq_has_overflow(r));
    io_uring_cqe* cqe = nullptr;
    CHECK(io_uring_peek_cqe(r, &cqe) == -EAGAIN);
    CHECK(*r.ring.cq.koverflow == 0u);
}

TEST_CASE("liburing queue: io_uring_get_events and io_uring_submit_and_get_events on a DEFER_TASKRUN ring") {
    face_ring r;
    const int ret = r.init(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    if (ret == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) != 0) {
        RAWRING_SKIP("IORING_SETUP_DEFER_TASKRUN needs Linux 6.1");
        return;
    }
    REQUIRE(ret == 0);
    pipe_pair pipe;
    char buf[16] = {};

    // A read parked on an empty pipe; the write completes it as deferred task work, which only
    // runs when this task enters the kernel to get events.
    io_uring_prep_read(next_sqe(r, 0xe01), pipe.read_end, buf, sizeof(buf), 0);
    REQUIRE(io_uring_submit(r) == 1);
    REQUIRE(::write(pipe.write_end, "deferred", 8) == 8);
    CHECK(io_uring_cq_ready(r) == 0u);
    // Non-waiting enters only: the completion is there once the task work the write queued has
    // been run by one of them (at once on 6.18; on an older kernel it may take a later one).
    for (int i = 0; i < 500 && io_uring_cq_ready(r) == 0; ++i) {
        CHECK(io_uring_get_events(r) == 0);
        if (io_uring_cq_ready(r) == 0) ::usleep(10000);
    }
    REQUIRE(io_uring_cq_ready(r) == 1u);
    io_uring_cqe c = reap(r);
    CHECK(c.user_data == 0xe01u);
    CHECK(c.res == 8);
    CHECK(std::string(buf, 8) == "deferred");
    CHECK(io_uring_get_events(r) == 0);  // nothing left: still 0
    CHECK(io_uring_cq_ready(r) == 0u);

    // submit_and_get_events: submits the NOP and runs the read's deferred completion too.
    std::memset(buf, 0, sizeof(buf));
    io_uring_prep_read(next_sqe(r, 0xe02), pipe.read_end, buf, sizeof(buf), 0);
    REQUIRE(io_uring_submit(r) == 1);
    REQUIRE(::write(pipe.write_end, "again", 5) == 5);
    CHECK(io_uring_cq_ready(r) == 0u);
    queue_nop(r, 0xe03);
    CHECK(io_uring_submit_and_get_events(r) == 1);
    for (int i = 0; i < 500 && io_uring_cq_ready(r) < 2; ++i) {
        ::usleep(10000);
        CHECK(io_uring_get_events(r) == 0);
    }
    CHECK(io_uring_cq_ready(r) == 2u);
    std::set<__u64> seen;
    for (int i = 0; i < 2; ++i) {
        c = reap(r);
        seen.insert(c.user_data);
        if (c.user_data == 0xe02) CHECK(c.res == 5);
    }
    CHECK(seen == std::set<__u64>{0xe02, 0xe03});
    CHECK(std::string(buf, 5) == "again");
    CHECK(io_uring_submit_and_get_events(r) == 0);  // nothing to submit
}

TEST_CASE("liburing queue: io_uring_sqring_wait") {
    SUBCASE("without SQPOLL: 0 at once, even with a full SQ") {
        face_ring r(4);
        for (__u64 i = 0; i < 4; ++i) queue_nop(r, 0xf00 + i);
        REQUIRE(io_uring_sq_space_left(r) == 0u);
        CHECK(io_uring_sqring_wait(r) == 0);
        CHECK(io_uring_sq_space_left(r) == 0u);  // nothing consumed
        REQUIRE(io_uring_submit(r) == 4);
        for (__u64 i = 0; i < 4; ++i) CHECK(reap(r).user_data == 0xf00 + i);
    }
    SUBCASE("with SQPOLL: returns once the kernel thread has taken an SQE") {
        face_ring r;
        const int ret = r.init(4, IORING_SETUP_SQPOLL);
        if (ret < 0 && rawring_test::setup_accepts(IORING_SETUP_SQPOLL) != 0) {
            RAWRING_SKIP("IORING_SETUP_SQPOLL refused: " << ret);
            return;
        }
        REQUIRE(ret == 0);
        for (__u64 i = 0; i < 4; ++i) queue_nop(r, 0xf10 + i);
        REQUIRE(io_uring_sq_space_left(r) == 0u);
        wait_watchdog dog(60);
        // Published; the count is what the poller had not taken yet when submit looked.
        const int submitted = io_uring_submit(r);
        CHECK(submitted >= 0);
        CHECK(submitted <= 4);
        CHECK(io_uring_sqring_wait(r) == 0);
        CHECK_FALSE(dog.fired());
        CHECK(io_uring_sq_space_left(r) > 0u);
        std::set<__u64> seen;
        for (int i = 0; i < 4; ++i) seen.insert(reap(r, 30000).user_data);
        CHECK(seen == std::set<__u64>{0xf10, 0xf11, 0xf12, 0xf13});
    }
}

TEST_CASE("liburing queue: io_uring_set_iowait") {
    face_ring r(4);
    if ((r.ring.features & IORING_FEAT_NO_IOWAIT) == 0) {
        CHECK(io_uring_set_iowait(r, false) == -EOPNOTSUPP);
        RAWRING_SKIP("IORING_FEAT_NO_IOWAIT needs Linux 6.15");
        return;
    }
    wait_watchdog dog(30);
    CHECK(io_uring_set_iowait(r, false) == 0);
    // Every enter now carries IORING_ENTER_NO_IOWAIT, which this kernel takes.
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts = ts_ms(30);
    CHECK(io_uring_wait_cqe_timeout(r, &cqe, &ts) == -ETIME);
    queue_nop(r, 0x1001);
    CHECK(io_uring_submit_and_wait(r, 1) == 1);
    CHECK(reap(r).user_data == 0x1001u);
    __kernel_timespec fire = ts_ms(20);
    io_uring_prep_timeout(next_sqe(r, 0x1002), &fire, 0, 0);
    CHECK(io_uring_submit_and_wait(r, 1) == 1);
    CHECK(reap(r).user_data == 0x1002u);
    CHECK(io_uring_set_iowait(r, true) == 0);
    CHECK(io_uring_set_iowait(r, true) == 0);
    nop_round_trip(r, 0x1003);
    CHECK_FALSE(dog.fired());

    // liburing decides from ring->features alone.
    io_uring copy = r.ring;
    copy.features &= ~IORING_FEAT_NO_IOWAIT;
    CHECK(io_uring_set_iowait(&copy, false) == -EOPNOTSUPP);
}

// ---- caller memory, sizes, resizing -----------------------------------------------------------

TEST_CASE("liburing queue: io_uring_queue_init_mem puts the ring in the caller's buffer") {
    io_uring_params p{};
    const ssize_t size = io_uring_memory_size_params(8, &p);
    REQUIRE(size > 0);
    CHECK(size % static_cast<ssize_t>(page_size()) == 0);
    CHECK(io_uring_memory_size(8, 0) == size);
    mapping mem(static_cast<std::size_t>(size));
    const int maps_before = rawring_test::count_uring_maps();

    SUBCASE("a ring that works, and maps nothing of the kernel's") {
        io_uring ring{};
        const int used = io_uring_queue_init_mem(8, &ring, &p, mem.p, static_cast<std::size_t>(size));
        if (used == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_NO_MMAP) == -EINVAL) {
            RAWRING_SKIP("IORING_SETUP_NO_MMAP needs Linux 6.5");
            return;
        }
        REQUIRE(used > 0);
        CHECK(used <= size);
        CHECK((ring.flags & IORING_SETUP_NO_MMAP) != 0);
        CHECK((p.flags & IORING_SETUP_NO_MMAP) != 0);
        CHECK(ring.ring_fd >= 0);
        CHECK(ring.sq.ring_entries == 8u);
        const auto inside = [&](const void* q) {
            const auto* b = static_cast<const unsigned char*>(q);
            return b >= mem.bytes() && b < mem.bytes() + used;
        };
        CHECK(inside(ring.sq.sqes));
        CHECK(inside(ring.sq.khead));
        CHECK(inside(ring.cq.ktail));
        CHECK(inside(ring.cq.cqes));
        CHECK(rawring_test::count_uring_maps() == maps_before);
        for (__u64 i = 0; i < 20; ++i) nop_round_trip(&ring, 0x1100 + i);
        // The CQEs were written into our buffer.
        CHECK(ring.cq.cqes[19 & ring.cq.ring_mask].user_data == 0x1100u + 19);
        const int fd = ring.ring_fd;
        io_uring_queue_exit(&ring);
        CHECK_FALSE(fd_open(fd));
        mem.bytes()[0] = 1;  // still ours, still mapped
    }
    SUBCASE("a buffer too small: -ENOMEM") {
        io_uring ring{};
        const int ret = io_uring_queue_init_mem(8, &ring, &p, mem.p, page_size());
        if (ret == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_NO_MMAP) == -EINVAL) {
            RAWRING_SKIP("IORING_SETUP_NO_MMAP needs Linux 6.5");
            return;
        }
        CHECK(ret == -ENOMEM);
    }
    SUBCASE("with IORING_SETUP_REGISTERED_FD_ONLY: no fd, only the registered index") {
        const int fds_before = rawring_test::count_fds();
        for (int i = 0; i < 20; ++i) {  // more than the task's 16 registered-ring slots
            io_uring ring{};
            io_uring_params rp{};
            rp.flags = IORING_SETUP_REGISTERED_FD_ONLY;
            const int used = io_uring_queue_init_mem(8, &ring, &rp, mem.p, static_cast<std::size_t>(size));
            if (used == -EINVAL && i == 0 &&
                rawring_test::setup_accepts(IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY) == -EINVAL) {
                RAWRING_SKIP("IORING_SETUP_REGISTERED_FD_ONLY needs Linux 6.5");
                return;
            }
            REQUIRE(used > 0);
            CHECK(ring.ring_fd == -1);
            CHECK(ring.enter_ring_fd >= 0);
            CHECK(ring.enter_ring_fd < 16);
            CHECK((ring.flags & IORING_SETUP_REGISTERED_FD_ONLY) != 0);
            CHECK(rawring_test::count_fds() == fds_before);
            nop_round_trip(&ring, 0x1200 + static_cast<__u64>(i));
            io_uring_queue_exit(&ring);  // drops the index, so the next round gets a slot
        }
    }
}

TEST_CASE("liburing queue: io_uring_mlock_size is 0 on a kernel that charges rings to memcg") {
    face_ring r(1);
    if ((r.ring.features & IORING_FEAT_NATIVE_WORKERS) == 0) {
        CHECK(io_uring_mlock_size(8, 0) > 0);
        RAWRING_SKIP("the kernel charges ring memory to RLIMIT_MEMLOCK (before Linux 5.12)");
        return;
    }
    CHECK(io_uring_mlock_size(8, 0) == 0);
    CHECK(io_uring_mlock_size(4096, IORING_SETUP_SQE128) == 0);
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = 256;
    CHECK(io_uring_mlock_size_params(8, &p) == 0);
}

TEST_CASE("liburing queue: io_uring_resize_rings on a NO_SQARRAY DEFER_TASKRUN ring") {
    face_ring r;
    const unsigned flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_NO_SQARRAY;
    const int ret = r.init(8, flags);
    if (ret == -EINVAL && rawring_test::setup_accepts(flags) != 0) {
        RAWRING_SKIP("NO_SQARRAY with DEFER_TASKRUN needs Linux 6.6");
        return;
    }
    REQUIRE(ret == 0);
    REQUIRE(r.ring.sq.array == nullptr);
    // Two CQEs left unreaped and one SQE published but not submitted: both carried over.
    queue_nop(r, 0x1301);
    queue_nop(r, 0x1302);
    REQUIRE(io_uring_submit(r) == 2);
    REQUIRE(io_uring_cq_ready(r) == 2u);
    queue_nop(r, 0x1303);
    REQUIRE(__io_uring_flush_sq(r) == 1u);

    io_uring_params p{};
    p.sq_entries = 32;
    p.cq_entries = 128;
    p.flags = IORING_SETUP_CQSIZE;
    const int rret = io_uring_resize_rings(r, &p);
    if (may_lack_register_op(IORING_REGISTER_RESIZE_RINGS, rret)) {
        RAWRING_SKIP("IORING_REGISTER_RESIZE_RINGS needs Linux 6.13");
        return;
    }
    REQUIRE(rret == 0);
    CHECK(p.sq_entries == 32u);
    CHECK(p.cq_entries == 128u);
    CHECK(r.ring.sq.ring_entries == 32u);
    CHECK(r.ring.sq.ring_mask == 31u);
    CHECK(*r.ring.sq.kring_entries == 32u);
    CHECK(r.ring.cq.ring_entries == 128u);
    CHECK(*r.ring.cq.kring_entries == 128u);
    CHECK(r.ring.sq.array == nullptr);
    CHECK(r.ring.flags == flags);
    CHECK(io_uring_cq_ready(r) == 2u);
    CHECK(io_uring_sq_ready(r) == 1u);
    CHECK(io_uring_sq_space_left(r) == 31u);

    // The pending SQE goes in with 31 more: more than the old SQ (8) and CQ (16) could hold.
    for (__u64 i = 0; i < 31; ++i) queue_nop(r, 0x1400 + i);
    CHECK(io_uring_get_sqe(r) == nullptr);
    CHECK(io_uring_submit(r) == 32);
    CHECK(io_uring_cq_ready(r) == 34u);
    CHECK_FALSE(io_uring_cq_has_overflow(r));
    std::vector<__u64> seen;
    for (int i = 0; i < 34; ++i) seen.push_back(reap(r).user_data);
    std::vector<__u64> want = {0x1301, 0x1302, 0x1303};
    for (__u64 i = 0; i < 31; ++i) want.push_back(0x1400 + i);
    CHECK(seen == want);
    for (__u64 i = 0; i < 70; ++i) nop_round_trip(r, 0x1500 + i);  // across both new rings' wraps
}

TEST_CASE("liburing queue: io_uring_resize_rings on other rings") {
    SUBCASE("a DEFER_TASKRUN ring that keeps the SQ array (liburing resizes it too)") {
        face_ring r;
        const int ret = r.init(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
        if (ret == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) != 0) {
            RAWRING_SKIP("IORING_SETUP_DEFER_TASKRUN needs Linux 6.1");
            return;
        }
        REQUIRE(ret == 0);
        REQUIRE(r.ring.sq.array != nullptr);
        queue_nop(r, 0x1601);
        REQUIRE(io_uring_submit(r) == 1);  // a CQE left unreaped
        queue_nop(r, 0x1602);
        REQUIRE(__io_uring_flush_sq(r) == 1u);  // an SQE published, not submitted
        io_uring_params p{};
        p.sq_entries = 16;
        p.cq_entries = 64;
        p.flags = IORING_SETUP_CQSIZE;
        const int rret = io_uring_resize_rings(r, &p);
        if (may_lack_register_op(IORING_REGISTER_RESIZE_RINGS, rret)) {
            RAWRING_SKIP("IORING_REGISTER_RESIZE_RINGS needs Linux 6.13");
            return;
        }
        if (rret == -EOPNOTSUPP) {  // the face's documented limit: an SQ array it cannot place
            RAWRING_SKIP("the face cannot place this kernel's resized SQ array");
            return;
        }
        REQUIRE(rret == 0);
        CHECK(r.ring.sq.ring_entries == 16u);
        CHECK(*r.ring.sq.kring_entries == 16u);
        CHECK(r.ring.cq.ring_entries == 64u);
        CHECK(*r.ring.cq.kring_entries == 64u);
        REQUIRE(r.ring.sq.array != nullptr);  // mapped again, identity again
        for (unsigned i = 0; i < 16; ++i) CHECK(r.ring.sq.array[i] == i);
        CHECK(io_uring_cq_ready(r) == 1u);
        CHECK(io_uring_sq_ready(r) == 1u);
        for (__u64 i = 0; i < 15; ++i) queue_nop(r, 0x1610 + i);  // 16 in all: twice the old SQ
        CHECK(io_uring_get_sqe(r) == nullptr);
        CHECK(io_uring_submit(r) == 16);
        CHECK(io_uring_cq_ready(r) == 17u);  // more than the old CQ (16) holds
        CHECK_FALSE(io_uring_cq_has_overflow(r));
        std::vector<__u64> seen;
        for (int i = 0; i < 17; ++i) seen.push_back(reap(r).user_data);
        std::vector<__u64> want = {0x1601, 0x1602};
        for (__u64 i = 0; i < 15; ++i) want.push_back(0x1610 + i);
        CHECK(seen == want);
        for (__u64 i = 0; i < 40; ++i) nop_round_trip(r, 0x1700 + i);
    }
    SUBCASE("a ring without DEFER_TASKRUN: -EINVAL, left as it was") {
        face_ring r;
        const int ret = r.init(8, IORING_SETUP_NO_SQARRAY);
        if (ret == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_NO_SQARRAY) != 0) {
            RAWRING_SKIP("IORING_SETUP_NO_SQARRAY needs Linux 6.6");
            return;
        }
        REQUIRE(ret == 0);
        io_uring_params p{};
        p.sq_entries = 16;
        p.cq_entries = 64;
        p.flags = IORING_SETUP_CQSIZE;
        CHECK(io_uring_resize_rings(r, &p) == -EINVAL);
        CHECK(r.ring.sq.ring_entries == 8u);
        nop_round_trip(r, 0x1801);
    }
}

// ---- the raw system calls ---------------------------------------------------------------------

TEST_CASE("liburing queue: io_uring_setup, io_uring_enter, io_uring_enter2, io_uring_register") {
    io_uring_params p{};
    CHECK(io_uring_setup(0, &p) == -EINVAL);
    p = io_uring_params{};
    p.flags = 1u << 31;
    CHECK(io_uring_setup(4, &p) == -EINVAL);
    p = io_uring_params{};
    const int fd = io_uring_setup(4, &p);
    REQUIRE(fd >= 0);
    io_uring ring{};
    REQUIRE(io_uring_queue_mmap(fd, &p, &ring) == 0);

    // io_uring_enter: submit one published SQE and wait for it.
    queue_nop(&ring, 0x1901);
    REQUIRE(__io_uring_flush_sq(&ring) == 1u);
    CHECK(io_uring_enter(static_cast<unsigned>(fd), 1, 1, IORING_ENTER_GETEVENTS, nullptr) == 1);
    CHECK(*ring.sq.khead == 1u);
    CHECK(io_uring_cq_ready(&ring) == 1u);
    CHECK(reap(&ring).user_data == 0x1901u);
    CHECK(io_uring_enter(static_cast<unsigned>(fd), 0, 0, 0, nullptr) == 0);

    // io_uring_enter2 with an EXT_ARG timeout: nothing comes, -ETIME after it.
    __kernel_timespec ts = ts_ms(60);
    io_uring_getevents_arg arg{};
    arg.ts = reinterpret_cast<std::uintptr_t>(&ts);
    auto t0 = steady::now();
    CHECK(io_uring_enter2(static_cast<unsigned>(fd), 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                          &arg, sizeof(arg)) == -ETIME);
    CHECK(ms_since(t0) >= 50);
    // ... and with a NOP to submit: 1, its CQE in.
    queue_nop(&ring, 0x1902);
    REQUIRE(__io_uring_flush_sq(&ring) == 1u);
    ts = ts_ms(10000);
    CHECK(io_uring_enter2(static_cast<unsigned>(fd), 1, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                          &arg, sizeof(arg)) == 1);
    CHECK(io_uring_cq_ready(&ring) == 1u);
    CHECK(reap(&ring).user_data == 0x1902u);
    CHECK(io_uring_enter2(static_cast<unsigned>(fd), 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                          &arg, 1) == -EINVAL);  // a wrong argument size

    // Errors are -errno.
    pipe_pair pipe;
    CHECK(io_uring_enter(static_cast<unsigned>(-1), 0, 0, 0, nullptr) == -EBADF);
    CHECK(io_uring_enter(static_cast<unsigned>(static_cast<int>(pipe.read_end)), 0, 0, 0, nullptr) ==
          -EOPNOTSUPP);

    // io_uring_register: a probe, then a file table used by a fixed-file write.
    std::vector<unsigned char> mem(sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op));
    auto* probe = reinterpret_cast<io_uring_probe*>(mem.data());
    CHECK(io_uring_register(static_cast<unsigned>(fd), IORING_REGISTER_PROBE, probe, 256) == 0);
    CHECK(probe->last_op >= IORING_OP_READ);
    CHECK((probe->ops[IORING_OP_NOP].flags & IO_URING_OP_SUPPORTED) != 0);
    const int files[1] = {pipe.write_end};
    CHECK(io_uring_register(static_cast<unsigned>(fd), IORING_REGISTER_FILES, files, 1) == 0);
    io_uring_sqe* sqe = next_sqe(&ring, 0x1903);
    io_uring_prep_write(sqe, 0, "fixed", 5, 0);
    io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
    REQUIRE(io_uring_submit(&ring) == 1);
    CHECK(reap(&ring).res == 5);
    char buf[8] = {};
    CHECK(::read(pipe.read_end, buf, sizeof(buf)) == 5);
    CHECK(std::string(buf, 5) == "fixed");
    CHECK(io_uring_register(static_cast<unsigned>(fd), IORING_UNREGISTER_FILES, nullptr, 0) == 0);
    CHECK(io_uring_register(static_cast<unsigned>(fd), IORING_UNREGISTER_FILES, nullptr, 0) == -ENXIO);
    int closed_fd = -1;
    {
        pipe_pair gone;
        closed_fd = gone.read_end;
    }
    CHECK(io_uring_register(static_cast<unsigned>(closed_fd), IORING_REGISTER_PROBE, probe, 256) == -EBADF);
    CHECK(io_uring_register(static_cast<unsigned>(static_cast<int>(pipe.read_end)), IORING_REGISTER_PROBE, probe,
                            256) == -EOPNOTSUPP);
    io_uring_queue_exit(&ring);
    CHECK_FALSE(fd_open(fd));
}

// ---- SQE128, copies, I/O ----------------------------------------------------------------------

TEST_CASE("liburing queue: io_uring_get_sqe128 on an SQE128 ring and on a plain one") {
    SUBCASE("SQE128: two 64-byte slots per entry") {
        face_ring r;
        const int ret = r.init(4, IORING_SETUP_SQE128);
        if (ret == -EINVAL && rawring_test::setup_accepts(IORING_SETUP_SQE128) != 0) {
            RAWRING_SKIP("IORING_SETUP_SQE128 needs Linux 5.19");
            return;
        }
        REQUIRE(ret == 0);
        CHECK(io_uring_sqe_shift(r) == 1u);
        auto* base = reinterpret_cast<unsigned char*>(r.ring.sq.sqes);
        for (int round = 0; round < 3; ++round) {  // across the SQ's wrap
            for (unsigned i = 0; i < 4; ++i) {
                io_uring_sqe* sqe = io_uring_get_sqe128(r);
                REQUIRE(sqe != nullptr);
                CHECK(reinterpret_cast<unsigned char*>(sqe) == base + 128 * i);
                io_uring_prep_nop(sqe);
                io_uring_sqe_set_data64(sqe, 0x2000 + i);
                CHECK(io_uring_sq_space_left(r) == 3 - i);
            }
            CHECK(io_uring_get_sqe128(r) == nullptr);  // full
            CHECK(io_uring_get_sqe(r) == nullptr);
            REQUIRE(io_uring_submit(r) == 4);
            for (unsigned i = 0; i < 4; ++i) CHECK(reap(r).user_data == 0x2000 + i);
        }
    }
    SUBCASE("a plain ring: NULL, and no slot taken") {
        face_ring r(4);
        CHECK(io_uring_sqe_shift(r) == 0u);
        CHECK(io_uring_get_sqe128(r) == nullptr);
        CHECK(io_uring_sq_space_left(r) == 4u);
        CHECK(r.ring.sq.sqe_tail == 0u);
        nop_round_trip(r, 0x2101);
    }
}

TEST_CASE("liburing queue: a struct io_uring copied by value drives the same ring") {
    face_ring orig(8);
    // As liburing programs do: the ring set up in one place, copied into another's state.
    struct context {
        int other = 7;
        io_uring ring;
    };
    context ctx{};
    ctx.ring = orig.ring;
    orig.open = false;  // the copy owns it now
    for (__u64 i = 0; i < 20; ++i) nop_round_trip(&ctx.ring, 0x2200 + i);
    // The kernel's counters the original points at are the copy's.
    CHECK(*orig.ring.cq.khead == 20u);
    CHECK(*orig.ring.sq.khead == 20u);
    CHECK(io_uring_cq_ready(&orig.ring) == 0u);
    queue_nop(&ctx.ring, 0x2300);
    REQUIRE(io_uring_submit(&ctx.ring) == 1);
    CHECK(io_uring_cq_ready(&orig.ring) == 1u);  // seen through either

    // And back again (a second copy by value, through memcpy this time).
    io_uring back;
    std::memcpy(static_cast<void*>(&back), &ctx.ring, sizeof(back));
    CHECK(reap(&back).user_data == 0x2300u);
    nop_round_trip(&back, 0x2301);
    CHECK(ctx.other == 7);
    const int fd = back.ring_fd;
    io_uring_queue_exit(&back);
    CHECK_FALSE(fd_open(fd));
}

TEST_CASE("liburing queue: a read/write round trip through a file and a pipe") {
    face_ring r(8);
    SUBCASE("a temporary file: linked write then read of 4 KiB") {
        temp_file f;
        std::string data(4096, '\0');
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i * 7 % 26);
        std::string back(data.size(), '\0');
        io_uring_sqe* w = next_sqe(r, 0x2401);
        io_uring_prep_write(w, f.fd, data.data(), static_cast<unsigned>(data.size()), 0);
        io_uring_sqe_set_flags(w, IOSQE_IO_LINK);
        io_uring_prep_read(next_sqe(r, 0x2402), f.fd, back.data(), static_cast<unsigned>(back.size()), 0);
        REQUIRE(io_uring_submit(r) == 2);
        io_uring_cqe c = reap(r);
        CHECK(c.user_data == 0x2401u);
        CHECK(c.res == 4096);
        c = reap(r);
        CHECK(c.user_data == 0x2402u);
        CHECK(c.res == 4096);
        CHECK(back == data);
        // The bytes are in the file, too.
        std::string on_disk(data.size(), '\0');
        CHECK(::pread(f.fd, on_disk.data(), on_disk.size(), 0) == 4096);
        CHECK(on_disk == data);

        // A write at an offset, read back with readv.
        io_uring_prep_write(next_sqe(r, 0x2403), f.fd, "XYZ", 3, 100);
        REQUIRE(io_uring_submit(r) == 1);
        CHECK(reap(r).res == 3);
        char part1[2], part2[3];
        iovec iov[2] = {{part1, sizeof(part1)}, {part2, sizeof(part2)}};
        io_uring_prep_readv(next_sqe(r, 0x2404), f.fd, iov, 2, 99);
        REQUIRE(io_uring_submit(r) == 1);
        CHECK(reap(r).res == 5);
        CHECK(std::string(part1, 2) + std::string(part2, 3) == std::string(1, data[99]) + "XYZ" + data[103]);
    }
    SUBCASE("a pipe: a read waiting for a writev") {
        pipe_pair pipe;
        char buf[32] = {};
        io_uring_prep_read(next_sqe(r, 0x2501), pipe.read_end, buf, sizeof(buf), 0);
        REQUIRE(io_uring_submit(r) == 1);
        io_uring_cqe* cqe = nullptr;
        CHECK(io_uring_peek_cqe(r, &cqe) == -EAGAIN);  // nothing to read yet
        char a[] = "hello ", b[] = "pipe";
        iovec iov[2] = {{a, 6}, {b, 4}};
        io_uring_prep_writev(next_sqe(r, 0x2502), pipe.write_end, iov, 2, 0);
        REQUIRE(io_uring_submit(r) == 1);
        std::set<__u64> seen;
        for (int i = 0; i < 2; ++i) {
            const io_uring_cqe c = reap(r);
            seen.insert(c.user_data);
            CHECK(c.res == 10);
        }
        CHECK(seen == std::set<__u64>{0x2501, 0x2502});
        CHECK(std::string(buf, 10) == "hello pipe");
    }
}

} // TEST_SUITE("kernel")
