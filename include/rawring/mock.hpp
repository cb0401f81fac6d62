// SPDX-License-Identifier: MIT
// rawring::mock: a user-space io_uring behind the system-call seam (rawring/sys.hpp).
//
// A `mock::kernel`, once installed, answers every io_uring_setup, io_uring_enter,
// io_uring_register, ring mmap, munmap and close that rawring makes. `ring::init` on it maps
// ordinary memory laid out exactly as the kernel lays it out, and `enter` consumes SQEs and
// posts CQEs as the kernel does (links, drain, skip-success, multishot, CQ overflow without
// drops, timed waits against a virtual clock, a simulated SQPOLL). What each request returns is
// the test's to decide through per-opcode handlers; by default the mock performs what can be
// performed in user space (NOP, READ/WRITE/READV/WRITEV on ordinary fds, TIMEOUT against the
// virtual clock, ...). It needs no kernel io_uring at all: it runs where io_uring_setup fails
// with -EPERM or -ENOSYS. Calls on fds that are not the mock's pass through to the backend that
// was installed before it, so kernel rings made earlier keep working.
//
// Built as the separate library `rawring-mock` (dependency('rawring-mock')); it uses libc and
// the C++ standard library, and like the core it needs no exceptions and no RTTI.
//
// What the mock implements, and where it differs from Linux 6.18:
//   - Setup: the kernel's checks and -EINVAL cases, its offsets (struct io_rings: the CQEs at
//     64, the SQ array after them at a cache line, CQE32 doubling), power-of-two rounding,
//     CQSIZE, CLAMP, SQE128, CQE32, NO_SQARRAY, NO_MMAP (with REGISTERED_FD_ONLY), R_DISABLED,
//     SUBMIT_ALL, SINGLE_ISSUER, DEFER_TASKRUN, COOP_TASKRUN, TASKRUN_FLAG, ATTACH_WQ (of a
//     mock ring), IOPOLL (completions as on any ring), CQE_MIXED (32-byte CQEs with
//     IORING_CQE_F_32 taking two slots, an IORING_CQE_F_SKIP filler in the last slot when a
//     big CQE would wrap, as the kernel's io_cqe_cache_refill). SQE_MIXED only with
//     options::linux_6_19 (NOP128 and URING_CMD128 taking two slots, -EINVAL for one in the
//     last slot or as the batch's last entry); SQ_REWIND and later flags: -EINVAL.
//     The ring fd is a memfd (a real fd: fd limits and numbers behave as the kernel's, and its
//     pages live until it is closed and unmapped). Closing it through sys::close tears the ring
//     down unless a registered ring fd still names it; what was in flight then is reported.
//   - SQPOLL has no thread: the simulated poller consumes the SQ when an enter wakes it
//     (SQ_WAKEUP, GETEVENTS, SQ_WAIT) and goes back to sleep (options::sqpoll_sleeps).
//   - Enter: links, hard links, IO_DRAIN, CQE_SKIP_SUCCESS (and the kernel's refusal of IO_DRAIN
//     after it, -EOPNOTSUPP), short reads and writes breaking links, multishot, overflow without
//     drops (IORING_SQ_CQ_OVERFLOW; cq overflow stays 0, as the kernel counts only drops), the
//     first bad SQE ending the batch, EXT_ARG (sigmask, relative or ABS_TIMER timeout,
//     min_wait_usec), REGISTERED_RING, NO_IOWAIT (accepted), -EEXIST from a task other than a
//     DEFER_TASKRUN ring's. EXT_ARG_REG gives -EFAULT (no wait region can be registered).
//   - Performed opcodes: NOP (IORING_NOP_INJECT_RESULT; IORING_NOP_CQE32 on CQE32 and
//     CQE_MIXED rings, big_cqe = {off, addr}), NOP128 (with linux_6_19), READ, WRITE, READV, WRITEV,
//     READ_FIXED, WRITE_FIXED (ordinary fds; offset -1 uses the file position; IOSQE_FIXED_FILE;
//     IOSQE_BUFFER_SELECT from buffer rings or PROVIDE_BUFFERS), FSYNC, POLL_ADD (multishot
//     posts each time the fd turns ready after having been seen not ready), POLL_REMOVE (and
//     updates), TIMEOUT (relative, ABS, count, multishot, ETIME_SUCCESS), TIMEOUT_REMOVE and
//     updates, LINK_TIMEOUT, ASYNC_CANCEL (user_data, FD, FD_FIXED, OP, ANY, ALL), MSG_RING
//     (data, FLAGS_PASS, CQE_SKIP, SEND_FD between registered tables), OPENAT (direct too),
//     CLOSE, FILES_UPDATE, PROVIDE_BUFFERS, REMOVE_BUFFERS. Every other opcode completes with
//     -EOPNOTSUPP unless the test gives it a handler; opcodes past IORING_OP_PIPE, -EINVAL.
//     A read or write that would block (pipes, sockets) waits: it is tried again at each enter
//     and wait of its ring, and a wait polls its fd; its CQE never appears without one.
//   - Register ops: PROBE (what the mock performs or has handlers for), RING_FDS and
//     UNREGISTER_RING_FDS (per thread, 16 slots, handed out from 15 down so they rarely meet
//     the kernel's, which start at 0; an index the mock does not hold goes to the backend
//     behind it), FILES, FILES2, UNREGISTER_FILES, FILES_UPDATE(2), FILE_ALLOC_RANGE, BUFFERS,
//     BUFFERS2, UNREGISTER_BUFFERS, PBUF_RING (user memory and IOU_PBUF_RING_MMAP; not
//     IOU_PBUF_RING_INC: -EINVAL), UNREGISTER_PBUF_RING, PBUF_STATUS, ENABLE_RINGS,
//     RESIZE_RINGS (DEFER_TASKRUN rings; pending SQEs and CQEs carried over; sq_off.array
//     reported 0 as by the kernel), CLOCK, SYNC_CANCEL, EVENTFD(_ASYNC), UNREGISTER_EVENTFD,
//     and SEND_MSG_RING (fd -1) to a mock ring. Any other: -EINVAL, as from a kernel without it.
//   - Waits block as the kernel's do (ppoll with the caller's signal mask, so a signal gives
//     -EINTR), and a TIMEOUT request firing ends them early, as in the kernel. sys::clock_gettime
//     reads the virtual clock for CLOCK_MONOTONIC and CLOCK_BOOTTIME.
#pragma once

#include "rawring/config.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rawring/abi.hpp"
#include "rawring/sys.hpp"

namespace rawring::mock {

/// The order in which requests that are ready in the same enter post their CQEs.
enum class order : std::uint8_t {
    fifo,     ///< submission order, as the kernel does for inline completions
    reversed, ///< last ready first
    shuffled, ///< a permutation drawn from options::seed
};

/// What setup reports in io_uring_params.features unless options::features says otherwise:
/// the features of Linux 6.18 that the mock implements.
inline constexpr std::uint32_t default_features =
    abi::IORING_FEAT_SINGLE_MMAP | abi::IORING_FEAT_NODROP | abi::IORING_FEAT_SUBMIT_STABLE |
    abi::IORING_FEAT_RW_CUR_POS | abi::IORING_FEAT_CUR_PERSONALITY | abi::IORING_FEAT_FAST_POLL |
    abi::IORING_FEAT_POLL_32BITS | abi::IORING_FEAT_SQPOLL_NONFIXED | abi::IORING_FEAT_EXT_ARG |
    abi::IORING_FEAT_NATIVE_WORKERS | abi::IORING_FEAT_RSRC_TAGS | abi::IORING_FEAT_CQE_SKIP |
    abi::IORING_FEAT_LINKED_FILE | abi::IORING_FEAT_REG_REG_RING | abi::IORING_FEAT_MIN_TIMEOUT |
    abi::IORING_FEAT_NO_IOWAIT;

/// How a mock kernel behaves. Every field has the kernel's behaviour as its default.
struct options {
    std::uint32_t features = default_features; ///< reported by setup (EXT_ARG off: no timed enters)
    order completion_order = order::fifo;      ///< among requests ready in the same enter
    std::uint64_t seed = 1;                    ///< for order::shuffled
    /// A wait that only a virtual timer can end moves the virtual clock to that timer at once
    /// (waits take no real time). Off: the clock moves only by advance_clock().
    /// With several threads calling into the mock, a thread at work may still post to the ring
    /// (MSG_RING): the clock then jumps only when every such thread is in a wait that only time
    /// can end, to the earliest end among them; until then the wait takes real time. (A thread
    /// that called into the mock counts until it ends or calls kernel::forget_thread(), so one
    /// that stays away, e.g. blocked in a join, makes the others' timed waits real ones.)
    bool auto_advance_clock = true;
    /// SQPOLL rings: the simulated poller goes to sleep (IORING_SQ_NEED_WAKEUP) once it has
    /// consumed what the SQ holds, and consumes SQEs only when woken by an enter or a wait.
    bool sqpoll_sleeps = true;
    /// Print the exit report (report()) to stderr when the mock is destroyed with something in it.
    bool report_at_exit = true;
    /// The virtual clock follows CLOCK_MONOTONIC (from 1 s when the mock is made, plus whatever
    /// advance_clock() adds): waits and timers take real time, as on the kernel, and a thread of
    /// the mock's fires timers while nobody enters (so a DEFER_TASKRUN ring's TASKRUN flag comes
    /// up on its own). auto_advance_clock is then ignored. For code whose tests measure real
    /// time, such as rawring's own tests/ring.cpp run on the mock.
    bool real_time = false;
    /// Behave as Linux 6.19 rather than 6.18: setup takes IORING_SETUP_SQE_MIXED, and NOP128
    /// (performed as NOP) and URING_CMD128 (-EOPNOTSUPP unless a handler decides it) are known
    /// opcodes, the probe's last_op then being URING_CMD128.
    bool linux_6_19 = false;
};

/// One SQE as a handler sees it: a copy taken when the mock consumed it.
struct request {
    int ring_fd;                ///< the mock ring it was submitted to
    std::uint64_t user_data;    ///< sqe.user_data
    std::uint8_t opcode;        ///< sqe.opcode
    unsigned enters;            ///< enters on this ring since it was consumed (0 on the first call)
    abi::io_uring_sqe sqe;      ///< the first 64 bytes
    const abi::io_uring_sqe* sqe128_tail; ///< the second 64 bytes of a 128-byte SQE (SQE128 ring,
                                          ///< or a 128-byte opcode on an SQE_MIXED ring), else nullptr
};

/// A CQE to post: result, flags (IORING_CQE_F_BUFFER with the buffer id in the top 16 bits,
/// IORING_CQE_F_SOCK_NONEMPTY, ...) and, on a CQE32 ring, the two extra words. On a CQE_MIXED
/// ring a completion with IORING_CQE_F_32 in `flags` is posted as a 32-byte CQE with them.
struct completion {
    std::int32_t res = 0;
    std::uint32_t flags = 0;
    std::uint64_t big_cqe[2] = {0, 0};
    /// Post with IORING_CQE_F_MORE and keep the request alive (a multishot request's next CQE);
    /// the request ends with the first completion that has `more` false.
    bool more = false;
};

/// A handler's answer for one request.
struct action {
    enum class kind : std::uint8_t {
        complete,  ///< post `result` now (or after `enters` more enters, when nonzero)
        hold,      ///< stay pending until kernel::complete() names this request
        again,     ///< not ready: call the handler again at the next enter or wait
        perform,   ///< do what the mock does by default for this opcode
    };
    kind what = kind::perform;
    completion result{};
    unsigned enters = 0;

    static action now(std::int32_t res, std::uint32_t flags = 0) noexcept {
        return {kind::complete, {res, flags, {0, 0}, false}, 0};
    }
    static action after(unsigned n, std::int32_t res, std::uint32_t flags = 0) noexcept {
        return {kind::complete, {res, flags, {0, 0}, false}, n};
    }
    static action post(const completion& c) noexcept { return {kind::complete, c, 0}; }
    static action held() noexcept { return {kind::hold, {}, 0}; }
    static action retry() noexcept { return {kind::again, {}, 0}; }
    static action by_default() noexcept { return {kind::perform, {}, 0}; }
};

/// A per-opcode handler. It runs under the mock's lock: it must not call into rawring.
using handler = std::function<action(const request&)>;

/// What the mock found left over: requests consumed and never completed, and fds that the mock
/// opened (OPENAT, SOCKET, ACCEPT performed by it, and its own ring fds) and nobody closed.
struct report {
    struct pending_request {
        int ring_fd;
        std::uint64_t user_data;
        std::uint8_t opcode;
    };
    std::vector<pending_request> never_completed;
    std::vector<int> never_closed;
    [[nodiscard]] bool empty() const noexcept { return never_completed.empty() && never_closed.empty(); }
    [[nodiscard]] std::string text() const;  ///< one line per leftover, for a test's message
};

/// A user-space io_uring. Thread-safe: rings on it may be driven from several threads, and a
/// MSG_RING or a wake-up from one thread reaches a ring waiting on another.
class kernel {
public:
    explicit kernel(const options& opts = {});
    ~kernel();  ///< uninstalls (if installed); prints the report when options::report_at_exit
    kernel(const kernel&) = delete;
    kernel& operator=(const kernel&) = delete;

    /// Makes this mock the system-call backend (sys::set_backend) until uninstall(). One mock at
    /// a time. Returns 0, or -EBUSY when another mock is installed.
    int install() noexcept;
    /// Restores the backend that install() replaced.
    void uninstall() noexcept;
    [[nodiscard]] bool installed() const noexcept;

    /// Handles every later request of `opcode` with `h` (replacing the default).
    void on(std::uint8_t opcode, handler h);
    /// Back to the mock's default for `opcode`.
    void reset(std::uint8_t opcode);

    /// Completes a request that a handler held: `user_data` on the mock ring `ring_fd`. The CQE
    /// is posted at once (waking a waiter). Returns 0, or -ENOENT when no such request is held.
    int complete(int ring_fd, std::uint64_t user_data, const completion& c);

    /// The virtual clock (CLOCK_MONOTONIC and CLOCK_BOOTTIME as rawring reads them on the mock),
    /// in nanoseconds. It starts at 1 s.
    [[nodiscard]] std::uint64_t now() const noexcept;
    /// Moves the virtual clock forward by `ns`, firing the timers that come due.
    void advance_clock(std::uint64_t ns);

    /// Requests consumed on `ring_fd` and not yet completed.
    [[nodiscard]] unsigned in_flight(int ring_fd) const;
    /// Whether `fd` is one of this mock's ring fds.
    [[nodiscard]] bool owns(int fd) const;
    /// The io_uring system calls the mock has answered (setup, enter and register together).
    [[nodiscard]] std::uint64_t calls() const noexcept;

    /// The calling thread will not post to mock rings for a while (it is about to join the
    /// others, say): it stops counting for options::auto_advance_clock, so the other threads'
    /// waits that only time can end move the virtual clock again. Its next call into the mock
    /// makes it count again.
    void forget_thread();

    /// What is left over now (see struct report). Also what the destructor prints.
    [[nodiscard]] report leftovers() const;

    struct impl;
private:
    impl* impl_;
};

/// Installs a mock kernel for the lifetime of a scope. A test's usual entry point:
///     rawring::mock::scope mock;           // every ring made below is a mock ring
///     rawring::ring r; REQUIRE(r.init(8) == 0);
class scope {
public:
    explicit scope(const options& opts = {}) : kernel_(opts) { (void)kernel_.install(); }
    ~scope() { kernel_.uninstall(); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    kernel& operator*() noexcept { return kernel_; }
    kernel* operator->() noexcept { return &kernel_; }
private:
    kernel kernel_;
};

} // namespace rawring::mock
