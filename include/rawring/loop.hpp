// SPDX-License-Identifier: MIT
// rawring::loop: a callback event loop on one ring, with a fixed task pool, deadlines, threads over MSG_RING.
//
// An optional layer on top of `rawring::ring` (library `rawring-loop`, dependency('rawring-loop');
// the core never includes it). Each operation takes a `context` {callback, user pointer, small
// tag, optional deadline} and returns the `task` that carries it, or nullptr when the pool is
// empty (or the loop is shutting down). Tasks come from a pool sized at init: no operation and no
// completion allocates. The loop submits and reaps; callbacks run as their CQEs are reaped (the
// CQ is walked in place; its slots go back to the kernel after each batch) and may queue new
// work and cancel other work.
//
//     rawring::loop l;
//     if (l.init(64) < 0) ...;
//     l.timer(1'000'000, {[](rawring::loop&, rawring::task&, const rawring::abi::io_uring_cqe& c) {
//         // c.res == 0: the timer fired
//     }});
//     (void)l.run(rawring::run_mode::until_done);
//
// Threads: spawn_thread(n) starts n child loops, each on its own thread and ring (sharing the
// parent's io-wq, IORING_SETUP_ATTACH_WQ); loops post values, fds and tasks to each other with
// MSG_RING. exit() (also the destructor) cancels everything in flight on every loop and waits
// for every CQE, so no callback runs on freed memory.
//
// Backends: the loop has none of its own. With a rawring::mock::kernel installed (rawring/mock.hpp)
// the same loop code runs on the mock io_uring; `basic_loop_mock` (end of this file) adds
// handlers keyed by loop operation and the fd balance check.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "rawring/abi.hpp"
#include "rawring/buf_ring.hpp"
#include "rawring/errno.hpp"
#include "rawring/prep.hpp"
#include "rawring/ring.hpp"

struct sockaddr;
struct statx;
struct iovec;

namespace rawring {

class loop;
class task;
class task_ref;
namespace co::detail { struct loop_hooks; }  // rawring/task.hpp's way to the direct completions

namespace detail {
/// ECANCELED, ENOENT, EALREADY (errno.hpp lists only what the core returns).
inline constexpr int loop_ecanceled = 125;
inline constexpr int loop_enoent = 2;
inline constexpr int loop_ealready = 114;
} // namespace detail

/// A task's callback: runs on the loop's thread once the task's CQE is reaped, with that CQE,
/// valid for the call only (it may be the CQ's own slot, handed back to the kernel after the
/// batch; copy what you keep). `cqe.res` is the result, `cqe.flags` its flags
/// (IORING_CQE_F_MORE while a multishot task or a send_zc stays alive, IORING_CQE_F_NOTIF on
/// send_zc's notification, the buffer id of a recv from a buffer_group). `cqe.user_data` is the
/// loop's and means nothing to the caller.
/// When the CQE has no F_MORE, this is the task's last call: it goes back to the pool as soon as
/// the callback returns (or, when a cancel naming it is still in flight, once that cancel's CQE
/// has arrived: a later operation never gets a task that an earlier cancel could still hit).
using callback = void (*)(loop& l, task& t, const abi::io_uring_cqe& cqe);

namespace detail {
/// What a task without a callback calls (the loop never calls a null callback: see loop::alloc_).
inline void loop_ignore(loop&, task&, const abi::io_uring_cqe&) noexcept {}
/// `ns` nanoseconds as the kernel's timespec (timers, deadlines, timed waits).
inline abi::kernel_timespec to_ts(std::uint64_t ns) noexcept {
    return {static_cast<std::int64_t>(ns / 1000000000u), static_cast<std::int64_t>(ns % 1000000000u)};
}
} // namespace detail

/// What every operation takes. `fn` may be null (the result is dropped). `deadline_ns` (0: none)
/// links an IORING_OP_LINK_TIMEOUT of that many nanoseconds (CLOCK_MONOTONIC, relative) to the
/// operation: if it fires first the kernel cancels the operation, whose callback then sees
/// what the kernel posts for it, -ECANCELED (task::timed_out() is true; some operations, like a
/// connect, or a read that the kernel had passed to io-wq, report -ETIME or -EINTR), and if the
/// operation completes first its result is seen as usual. Either way the callback runs once both
/// CQEs arrived.
struct context {
    callback fn = nullptr;
    void* user = nullptr;
    std::uint32_t tag = 0;
    std::uint64_t deadline_ns = 0;
};

/// An operation that completes without a task (rawring/task.hpp's awaiters, through the loop's
/// private hooks): the loop writes its CQE's result into `res` and resumes the coroutine whose
/// frame's address is `frame`, from its CQ walk, with no callback and no pool slot. With bit 0
/// of `frame` set (the coroutine was cancelled meanwhile) it calls `divert` instead, which is
/// read only then. It must stay where it is until its CQE arrived (it lives in the awaiting
/// coroutine's frame). No member initializers: its owner sets the fields it needs for each
/// operation, and an awaiter is made for each co_await, where needless stores count.
struct direct_completion {
    std::uintptr_t frame;
    void (*divert)(direct_completion* d) noexcept;
    std::int32_t res;
};

/// The operation a task carries. Plain ones first: their completion needs no work of the loop
/// beyond the callback (kept in one range so the common path is one compare).
enum class loop_op : std::uint8_t {
    noop, read, write, readv, writev, fsync, statx, connect, send, recv, send_zc, poll, splice,
    msg_value, send_fd, close_fixed, read_fixed, write_fixed,
    // ---- completions the loop works on (first_special onwards) ----
    timer, open, close, socket, accept, accept_multishot, recv_multishot, install_fixed,
    tcp_connect, run_on, cancel,
    count_
};
inline constexpr std::uint8_t loop_op_count = static_cast<std::uint8_t>(loop_op::count_);
/// basic_loop_mock::on's key for the LINK_TIMEOUT of a context's deadline.
inline constexpr loop_op loop_deadline = loop_op::count_;

/// How init treats one setup flag (or flag group).
enum class setup_choice : std::uint8_t {
    automatic,  ///< use it if the kernel accepts it
    force,      ///< init fails if the kernel refuses it
    forbid,     ///< never use it
};

/// loop::init's options.
struct loop_options {
    /// Tasks in the pool (0: 4 * the SQ entries). Each costs sizeof(task) bytes, reserved at
    /// init; the loop makes them into tasks as the load first needs them, 64 or more at a time,
    /// so a large pool costs its pages only once that many operations were in flight.
    unsigned tasks = 0;
    /// CQ entries (0: the kernel's default, twice the SQ). The loop never loses a CQE to a full
    /// CQ (IORING_FEAT_NODROP), but a CQ of at least `tasks` entries avoids the overflow list.
    unsigned cq_entries = 0;
    /// IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (| TASKRUN_FLAG): the first choice. The loop
    /// must then be driven (and its ops queued) only from the thread that called init.
    setup_choice defer_taskrun = setup_choice::automatic;
    /// IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG: the second choice.
    setup_choice coop_taskrun = setup_choice::automatic;
    /// IORING_SETUP_SUBMIT_ALL: a failing SQE does not stop the rest of the batch.
    setup_choice submit_all = setup_choice::automatic;
    /// IORING_SETUP_CLAMP: entries above the kernel's limit are clamped rather than refused.
    setup_choice clamp = setup_choice::automatic;
    /// IORING_ACCEPT_POLL_FIRST (Linux 6.10) on accept and accept_multishot: the kernel waits for
    /// a connection before its first try. An accept that finds nothing pending otherwise makes a
    /// socket, fails, and frees it. automatic: the first accept finds out whether the kernel
    /// takes the flag (one SQE it rejects either way: an accept of fd -1), and later ones use it
    /// if so (an accept queued right behind a linked SQE leaves the asking to the next one);
    /// force: init finds out, and fails with -EINVAL if not; forbid: never. A single accept
    /// goes without it when the last accept on the same listener said more connections were
    /// waiting (IORING_CQE_F_SOCK_NONEMPTY): there the wait would find one at once and cost a
    /// poll arm and a task-work trip for nothing.
    setup_choice accept_poll_first = setup_choice::automatic;
    /// A sparse registered-file table of this many slots (0: none), for send_fd and the
    /// fixed-file operations. IORING_FILE_INDEX_ALLOC picks from the whole table.
    unsigned registered_files = 0;
    /// Track the fds (below this bound) that open, socket, accept, install_fixed and tcp_connect
    /// return and that close closes; fd_balance() reports what is open or was closed twice.
    unsigned track_fds = 0;
    /// An io_uring fd whose io-wq this loop's ring shares (IORING_SETUP_ATTACH_WQ), -1: none.
    int attach_wq_fd = -1;
};

/// How `run` runs.
enum class run_mode : std::uint8_t {
    once,        ///< submit, wait for at least one completion if a task is in flight, run what is ready
    until_done,  ///< until no task is in flight (or stop())
    forever,     ///< until stop() (or, for a child loop, until its parent shuts it down)
};

/// A message another loop posted to this one (see loop::on_message).
struct message {
    enum class kind : std::uint8_t { value, fd };
    kind what;
    std::uint64_t data;  ///< the sender's 61-bit value (msg_value, send_fd)
    std::int32_t res;    ///< value: the sender's 32-bit value; fd: the slot it landed in (or -errno)
};
using message_fn = void (*)(loop& l, const message& m, void* user);

/// What the fd tracking (loop_options::track_fds) saw.
struct fd_balance {
    unsigned open = 0;            ///< fds opened through the loop and not closed yet
    unsigned closed_twice = 0;    ///< closes of an fd already closed (or never opened) through the loop
    unsigned untracked = 0;       ///< fds at or above the bound (not tracked)
    [[nodiscard]] bool balanced() const noexcept { return open == 0 && closed_twice == 0; }
};

/// Child-loop options for spawn_thread: `on_start` runs on each child's thread, after every
/// child's ring is up and before it runs (set handlers there: on_message is not thread-safe).
struct thread_options {
    unsigned entries = 64;
    loop_options options{};
    void (*on_start)(loop& child, unsigned index, void* user) = nullptr;
    void* user = nullptr;
};

/// One operation in flight: the loop owns it from the op call until its callback has returned.
/// Its address is stable, so a caller may keep it to cancel the operation. After its last
/// callback the pool reuses it for a later operation: keep a `task_ref` (task::ref(), or a
/// task_ref initialised from the op's return value) to name this operation and no later one.
class task {
public:
    [[nodiscard]] void* user() const noexcept { return ctx_.user; }
    [[nodiscard]] std::uint32_t tag() const noexcept { return ctx_.tag; }
    [[nodiscard]] loop_op op() const noexcept { return op_; }
    /// The loop that owns the task (for run_on, the sender's; the callback's `loop&` is where it runs).
    [[nodiscard]] loop& owner() const noexcept { return *owner_; }
    /// True when the task's deadline fired (its LINK_TIMEOUT completed with -ETIME).
    [[nodiscard]] bool timed_out() const noexcept { return (bits_ & bit_timed_out) != 0; }
    /// In a recv_multishot callback: keep this CQE's buffer (give it back later with
    /// buffer_group::put_by_id) instead of having the loop return it when the callback ends.
    void keep_buffer() noexcept { bits_ |= bit_keep_buffer; }
    /// The fd an op works on: close's, and tcp_connect's new socket once made (else -1).
    [[nodiscard]] int fd() const noexcept {
        return op_ == loop_op::close || op_ == loop_op::tcp_connect ? fd_ : -1;
    }
    /// Replaces the task's callback and user pointer (its tag and deadline stay): for an owner
    /// that goes away before the task's last CQE, as a coroutine stream destroyed while its
    /// multishot is armed (rawring/task.hpp), which hands the remaining CQEs to a callback that
    /// needs no memory of the owner. Loop thread only, before the task's last callback.
    void set_callback(callback fn, void* user) noexcept {
        ctx_.fn = fn != nullptr ? fn : detail::loop_ignore;  // (never null: loop::step_)
        ctx_.user = user;
    }
    /// A handle on this operation (this task's current generation), for cancel(task_ref).
    [[nodiscard]] task_ref ref() noexcept;
    /// How many operations the task has carried (+1 each time the pool hands it out). A
    /// task_ref remembers it.
    [[nodiscard]] std::uint32_t generation() const noexcept { return gen_; }

private:
    friend class loop;
    friend class task_ref;
    template <class> friend class basic_loop_mock;

    static constexpr std::uint8_t bit_timed_out = 1;
    static constexpr std::uint8_t bit_keep_buffer = 2;
    static constexpr std::uint8_t bit_deadline = 4;
    static constexpr std::uint8_t bit_spilled = 8;
    static constexpr std::uint8_t bit_op_done = 16;
    static constexpr std::uint8_t bit_parked = 32;  // callback done; waits for cancel_refs_ to reach 0
    // slow_: beside outstanding_, so that step_'s fast path tests both with one compare.
    static constexpr std::uint8_t slow_special = 1;  // op_ >= loop::first_special
    static constexpr std::uint8_t slow_named = 2;    // cancel_refs_ != 0

    task* next_ = nullptr;     // free, pending or completed list
    loop* owner_ = nullptr;
    context ctx_{};
    std::int32_t res_ = 0;     // the final CQE, kept until every CQE of the task arrived
    std::uint32_t flags_ = 0;
    loop_op op_ = loop_op::noop;
    std::uint8_t bits_ = 0;
    std::uint8_t outstanding_ = 0;  // CQEs (or replies) still to come before the callback
    std::uint8_t slow_ = 0;         // slow_special | slow_named: not for step_'s fast path
    std::uint8_t cancel_refs_ = 0;  // cancels aimed at the task whose CQE has not arrived yet
    std::uint8_t step_ = 0;         // tcp_connect: 0 socket, 1 connect, 2 closing after failure
    int fd_ = -1;
    std::uint32_t handoff_ = 0;     // run_on: orders the task's memory between the two threads
    std::uint32_t gen_ = 0;         // +1 each time the pool hands the task out
    const void* arg_ = nullptr;     // tcp_connect: the address; recv_multishot: the buffer_group;
                                    // run_on: its `done` callback (std::bit_cast), or null
    std::uint32_t arg_len_ = 0;
    std::uint32_t arg_type_ = 0;
    abi::kernel_timespec ts_{};     // timer
    abi::kernel_timespec deadline_{};
    abi::io_uring_sqe spill_{};     // the SQE, when the SQ had no room for it
};

/// A task and the generation it had when the handle was made: it names one operation, not the
/// pool slot. Implicitly made from the task* an operation returns (`task_ref r = l.read(...)`),
/// or by task::ref(). cancel(task_ref) of an operation whose last callback has run reports
/// -ENOENT, as the kernel does for an unknown user_data, even when the task now carries another
/// operation. Copyable, trivially destructible; valid while the loop is set up. Like a task, it
/// belongs to its loop's thread.
class task_ref {
public:
    task_ref() noexcept = default;
    task_ref(task* t) noexcept : t_(t), gen_(t != nullptr ? t->gen_ : 0) {}  // NOLINT: implicit
    /// The task, whichever operation it carries now (nullptr for an empty handle).
    [[nodiscard]] task* get() const noexcept { return t_; }
    /// True while the operation named has not completed (its last callback has not started,
    /// and it was not completed locally, as a queued task cancelled before reaching the kernel).
    [[nodiscard]] bool live() const noexcept {
        // outstanding_ is 0 from the moment the last callback starts until the task is reused.
        return t_ != nullptr && t_->gen_ == gen_ && t_->outstanding_ != 0;
    }
    [[nodiscard]] std::uint32_t generation() const noexcept { return gen_; }
    explicit operator bool() const noexcept { return t_ != nullptr; }
    friend bool operator==(const task_ref&, const task_ref&) noexcept = default;

private:
    friend class loop;
    task* t_ = nullptr;
    std::uint32_t gen_ = 0;
};

inline task_ref task::ref() noexcept { return task_ref(this); }

/// The event loop. Not copyable or movable (tasks point to it). One thread drives it: the one
/// that called init (with SINGLE_ISSUER the kernel insists).
class loop {
public:
    loop() noexcept = default;
    ~loop() { (void)exit(); }
    loop(const loop&) = delete;
    loop& operator=(const loop&) = delete;

    // ---- setup and teardown (src/loop/loop.cpp) ---------------------------------------------

    /// Sets up the ring and the pool. Setup flags are chosen by trying them, never by the
    /// kernel's version: SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG, else COOP_TASKRUN|TASKRUN_FLAG,
    /// else neither; each with SUBMIT_ALL and CLAMP while the kernel accepts them. `options` may
    /// force or forbid each (setup_flags() says what was chosen). Returns 0, or -EBUSY (already
    /// set up), -EINVAL (entries 0, a forced flag refused, defer_taskrun and coop_taskrun both
    /// forced, accept_poll_first forced on a kernel without it), -ENOMEM (the pool), or the
    /// ring's or register_files_sparse's -errno.
    [[nodiscard]] int init(unsigned entries, const loop_options& options = {}) noexcept;

    /// Shuts down: stops and joins the child threads (each cancels its work and waits for its
    /// last CQE), cancels everything in flight here, waits for every CQE (callbacks of the
    /// cancelled tasks run, with -ECANCELED), and tears the ring down. Operations queued while
    /// shutting down return nullptr. Returns 0, or the first -errno a wait returned. Safe to call
    /// twice. Do not call it from a callback.
    int exit() noexcept;

    /// The IORING_SETUP_* flags init chose.
    [[nodiscard]] std::uint32_t setup_flags() const noexcept { return ring_.flags(); }
    /// The IORING_ACCEPT_* flags accept and accept_multishot add to their SQE's ioprio:
    /// IORING_ACCEPT_POLL_FIRST or 0 (loop_options::accept_poll_first; a single accept right
    /// after one whose CQE said more connections wait adds none). -1 while not known yet
    /// (automatic: before the first accept that follows no linked SQE, or while the kernel's
    /// answer is still in the CQ's overflow list).
    [[nodiscard]] int accept_flags() const noexcept { return accept_known_ ? accept_bits_ : -1; }
    [[nodiscard]] bool is_open() const noexcept { return ring_.is_open(); }
    /// The ring, for what the loop does not wrap (registering buffers, probing...). Do not reap
    /// its CQEs yourself.
    [[nodiscard]] ring& raw_ring() noexcept { return ring_; }
    /// The ring's fd (the target of MSG_RING).
    [[nodiscard]] int ring_fd() const noexcept { return ring_.fd(); }
    /// True while the loop's thread waits in the kernel for a completion (in run or run_for).
    /// Any thread may read it; it may be stale by the time it is read. A message to a waiting
    /// loop goes out at once where it can (see msg_value); where it is queued instead, its
    /// sender submits it before it waits itself (see step_ in loop.cpp).
    [[nodiscard]] bool waiting() const noexcept { return waiting_.load(std::memory_order_relaxed); }

    /// Tasks taken from the pool and not yet returned (queued, in flight, awaiting a reply, or
    /// done but named by a cancel still in flight), and the direct completions (rawring/task.hpp)
    /// whose CQE has not arrived: each of those counts against capacity() as a task does.
    [[nodiscard]] unsigned in_flight() const noexcept { return in_flight_; }
    /// Tasks in the pool.
    [[nodiscard]] unsigned capacity() const noexcept { return capacity_; }
    /// Tasks waiting for room in the SQ (queued while it was full).
    [[nodiscard]] unsigned queued() const noexcept { return queued_; }

    // ---- running ------------------------------------------------------------------------------

    /// Runs the loop (see run_mode). Returns the number of CQEs (and local completions)
    /// processed, or -errno from io_uring_enter other than -EINTR, -EAGAIN, -EBUSY and -ETIME,
    /// which the loop rides out (-EBADF, -EEXIST when called from a thread that is not the ring's
    /// single issuer...). Not from a callback.
    int run(run_mode mode) noexcept;

    /// Runs for `ns` nanoseconds (CLOCK_MONOTONIC), or until stop(); with `until_done`, also
    /// returns once no task is in flight (run(until_done) bounded in time). Returns as run.
    int run_for(std::uint64_t ns, bool until_done = false) noexcept;

    /// Makes the running run() return once the callbacks of the current batch are done (from a
    /// callback, or between runs: then the next run returns at once). Same thread only.
    void stop() noexcept { stop_ = true; }

    /// Submits what operations queued, without waiting. Returns the number submitted or -errno.
    int submit() noexcept;

    // ---- operations (each returns its task, or nullptr: the pool is empty, or shutting down) ----

    /// IORING_OP_NOP: res 0. liburing: `io_uring_prep_nop()`.
    task* noop(const context& c) noexcept {
        task* t = alloc_(loop_op::noop, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_nop(sqe);
        return commit_(t, sqe, slow);
    }

    /// A timer of `ns` nanoseconds from now (`absolute`: at `ns` on the clock), on CLOCK_MONOTONIC,
    /// or with `clock_flags` IORING_TIMEOUT_BOOTTIME / IORING_TIMEOUT_REALTIME. The callback sees
    /// res 0 when it fired (the kernel's -ETIME), -ECANCELED when cancelled.
    /// liburing: `io_uring_prep_timeout()`. Since Linux 5.4 (clocks 5.15).
    task* timer(std::uint64_t ns, const context& c, bool absolute = false,
                unsigned clock_flags = 0) noexcept {
        task* t = alloc_(loop_op::timer, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        t->ts_ = detail::to_ts(ns);
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_timeout(sqe, &t->ts_, 0, clock_flags | (absolute ? abi::IORING_TIMEOUT_ABS : 0u));
        return commit_(t, sqe, slow);
    }

    /// read(2)/pread(2) of `len` bytes at `offset` (-1: the file position). res: bytes read.
    task* read(int fd, void* buf, unsigned len, std::uint64_t offset, const context& c) noexcept {
        return rw_(loop_op::read, abi::IORING_OP_READ, fd, buf, len, offset, c);
    }
    /// write(2)/pwrite(2) of `len` bytes at `offset` (-1: the file position).
    task* write(int fd, const void* buf, unsigned len, std::uint64_t offset, const context& c) noexcept {
        return rw_(loop_op::write, abi::IORING_OP_WRITE, fd, buf, len, offset, c);
    }
    /// read into a registered buffer (IORING_OP_READ_FIXED): `buf`..`buf + len` must lie inside
    /// buffer `buf_index` of the ring's table (rawring::register_buffers on raw_ring()), which
    /// spares the kernel mapping the pages on every read. res: bytes read, -EFAULT when the range
    /// is outside the buffer, -EINVAL (or -EFAULT) for an index not registered.
    /// liburing: `io_uring_prep_read_fixed()`. Since Linux 5.1.
    task* read_fixed(int fd, void* buf, unsigned len, std::uint64_t offset, unsigned buf_index,
                     const context& c) noexcept {
        return prepared_(loop_op::read_fixed, [=](abi::io_uring_sqe* sqe) noexcept {
            prep_read_fixed(sqe, fd, buf, len, offset, static_cast<int>(buf_index));
        }, c);
    }
    /// write from a registered buffer (IORING_OP_WRITE_FIXED), as read_fixed.
    /// liburing: `io_uring_prep_write_fixed()`. Since Linux 5.1.
    task* write_fixed(int fd, const void* buf, unsigned len, std::uint64_t offset, unsigned buf_index,
                      const context& c) noexcept {
        return prepared_(loop_op::write_fixed, [=](abi::io_uring_sqe* sqe) noexcept {
            prep_write_fixed(sqe, fd, buf, len, offset, static_cast<int>(buf_index));
        }, c);
    }
    /// readv(2)/preadv(2); `iov` must stay valid until the callback.
    task* readv(int fd, const iovec* iov, unsigned n, std::uint64_t offset, const context& c) noexcept {
        return rw_(loop_op::readv, abi::IORING_OP_READV, fd, iov, n, offset, c);
    }
    /// writev(2)/pwritev(2); `iov` must stay valid until the callback.
    task* writev(int fd, const iovec* iov, unsigned n, std::uint64_t offset, const context& c) noexcept {
        return rw_(loop_op::writev, abi::IORING_OP_WRITEV, fd, iov, n, offset, c);
    }

    /// openat(2) relative to `dfd` (at_fdcwd for the current directory). res: the new fd.
    task* open(const char* path, int flags, unsigned mode, const context& c, int dfd = at_fdcwd) noexcept {
        task* t = alloc_(loop_op::open, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_openat(sqe, dfd, path, flags, mode);
        return commit_(t, sqe, slow);
    }
    /// close(2).
    task* close(int fd, const context& c) noexcept {
        return prepared_(loop_op::close, [fd](abi::io_uring_sqe* sqe) noexcept { prep_close(sqe, fd); }, c);
    }
    /// fsync(2) (IORING_FSYNC_DATASYNC in `flags`: fdatasync).
    task* fsync(int fd, unsigned flags, const context& c) noexcept {
        task* t = alloc_(loop_op::fsync, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_fsync(sqe, fd, flags);
        return commit_(t, sqe, slow);
    }
    /// statx(2) of `path` relative to `dfd` with AT_* `flags` and STATX_* `mask` into `*out`.
    task* statx(int dfd, const char* path, int flags, unsigned mask, struct statx* out,
                const context& c) noexcept {
        task* t = alloc_(loop_op::statx, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_statx(sqe, dfd, path, flags, mask, out);
        return commit_(t, sqe, slow);
    }
    /// stat(2) as statx (STATX_BASIC_STATS, following symlinks).
    task* stat(const char* path, struct statx* out, const context& c) noexcept {
        return statx(at_fdcwd, path, 0, 0x7ffu, out, c);
    }
    /// lstat(2) as statx (AT_SYMLINK_NOFOLLOW).
    task* lstat(const char* path, struct statx* out, const context& c) noexcept {
        return statx(at_fdcwd, path, 0x100, 0x7ffu, out, c);
    }

    /// socket(2). res: the new fd. Since Linux 5.19.
    task* socket(int domain, int type, int protocol, const context& c) noexcept {
        task* t = alloc_(loop_op::socket, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_socket(sqe, domain, type, protocol, 0);
        return commit_(t, sqe, slow);
    }
    /// connect(2); `addr` must stay valid until the callback.
    task* connect(int fd, const sockaddr* addr, unsigned len, const context& c) noexcept {
        task* t = alloc_(loop_op::connect, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_connect(sqe, fd, addr, len);
        return commit_(t, sqe, slow);
    }
    /// accept4(2) (`addr`, `len` may be null). res: the new fd.
    task* accept(int fd, sockaddr* addr, unsigned* len, int flags, const context& c) noexcept {
        task* t = alloc_(loop_op::accept, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        t->fd_ = fd;  // the listener, for accept_backlog_fd_
        // Before sqe_, which may submit: the probe may have to go first.
        const std::uint16_t io = fd != accept_backlog_fd_ ? accept_ioprio_() : 0;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_accept(sqe, fd, addr, len, flags);
        sqe->ioprio |= io;
        return commit_(t, sqe, slow);
    }
    /// Multishot accept: one callback per connection (F_MORE while armed). Since Linux 5.19.
    task* accept_multishot(int fd, int flags, const context& c) noexcept {
        task* t = alloc_(loop_op::accept_multishot, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        const std::uint16_t io = accept_ioprio_();
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_multishot_accept(sqe, fd, nullptr, nullptr, flags);
        sqe->ioprio |= io;
        return commit_(t, sqe, slow);
    }
    /// send(2).
    task* send(int fd, const void* buf, std::size_t len, int flags, const context& c) noexcept {
        task* t = alloc_(loop_op::send, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_send(sqe, fd, buf, len, flags);
        return commit_(t, sqe, slow);
    }
    /// recv(2).
    task* recv(int fd, void* buf, std::size_t len, int flags, const context& c) noexcept {
        return recv(fd, buf, len, flags, 0, c);
    }
    /// recv(2) with `recv_flags` in the SQE's ioprio: IORING_RECVSEND_POLL_FIRST (Linux 5.19)
    /// waits for data before the first try, for a socket known to be empty. A flag the kernel
    /// does not know completes the task with -EINVAL.
    task* recv(int fd, void* buf, std::size_t len, int flags, unsigned recv_flags, const context& c) noexcept {
        task* t = alloc_(loop_op::recv, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_recv(sqe, fd, buf, len, flags);
        sqe->ioprio |= static_cast<std::uint16_t>(recv_flags);  // prep_recv left it 0
        return commit_(t, sqe, slow);
    }
    /// Multishot recv into buffers of `group` (which must outlive the task): one callback per
    /// arrival, `group.get(cqe)` the bytes; the buffer goes back to the group when the callback
    /// returns, unless it called task::keep_buffer(). An empty group ends it with -ENOBUFS.
    /// Since Linux 6.0.
    task* recv_multishot(int fd, buffer_group& group, int flags, const context& c) noexcept {
        task* t = alloc_(loop_op::recv_multishot, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        t->arg_ = &group;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        group.recv_multishot(sqe, fd, flags);
        return commit_(t, sqe, slow);
    }
    /// Zero-copy send: the callback runs for the send's result (F_MORE set when a notification
    /// follows) and again for the notification (IORING_CQE_F_NOTIF; `buf` may be reused after
    /// it). Since Linux 6.0.
    task* send_zc(int fd, const void* buf, std::size_t len, int flags, unsigned zc_flags,
                  const context& c) noexcept {
        task* t = alloc_(loop_op::send_zc, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_send_zc(sqe, fd, buf, len, flags, zc_flags);
        return commit_(t, sqe, slow);
    }
    /// One-shot poll for POLL* `mask`. res: the events.
    task* poll(int fd, unsigned mask, const context& c) noexcept {
        task* t = alloc_(loop_op::poll, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_poll_add(sqe, fd, mask);
        return commit_(t, sqe, slow);
    }
    /// splice(2) of `len` bytes (offsets -1: none, as for pipes).
    task* splice(int fd_in, std::int64_t off_in, int fd_out, std::int64_t off_out, unsigned len,
                 unsigned flags, const context& c) noexcept {
        task* t = alloc_(loop_op::splice, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_splice(sqe, fd_in, off_in, fd_out, off_out, len, flags);
        return commit_(t, sqe, slow);
    }

    /// Cancels the operation `target` names (one of this loop's). A task still queued for SQ
    /// room completes with -ECANCELED without reaching the kernel. res: 0 (found), -ENOENT (its
    /// last callback has run or is running, it is not this loop's, or `target` is empty),
    /// -EALREADY (already running where it cannot be stopped; also when 255 cancels aim at one
    /// task at once). While the cancel is in flight its target's task is not reused, so the
    /// cancel can never reach a later operation. liburing: `io_uring_prep_cancel64()`.
    task* cancel(task_ref target, const context& c) noexcept;
    /// Cancels `target` as it is now: the operation it carries at this call (use a task_ref
    /// kept from the op call to be sure which one). Returns as cancel(task_ref).
    task* cancel(task* target, const context& c) noexcept { return cancel(task_ref(target), c); }
    /// Cancels every task in flight (IORING_ASYNC_CANCEL_ANY | ALL). res: how many the kernel found.
    task* cancel_all(const context& c) noexcept;
    /// Cancels every task on `fd` (IORING_ASYNC_CANCEL_FD | ALL). res: how many. Since Linux 5.19.
    task* cancel_fd(int fd, const context& c) noexcept;

    // ---- other loops (MSG_RING, Linux 5.18) -----------------------------------------------------

    /// Posts a message to `target`: its on_message handler sees kind::value, `data` (61 bits)
    /// and `value`. This task's callback sees the send's result (0, -EBADFD...). What this
    /// thread wrote before the call happens before the handler runs on `target`'s thread.
    ///
    /// Messages go out at once, within the call, by IORING_REGISTER_SEND_MSG_RING (Linux 6.13),
    /// when this loop has nothing else queued for the kernel (which they would overtake) and
    /// the message has no deadline: a post (post_value, run_on's answer) or a task's message
    /// (msg_value, run_on) to a loop whose thread is waiting in the kernel (waiting()), and the
    /// first task's message of a step of this loop to a busy one. That is one syscall, as cheap
    /// as an eventfd write, where an enter carrying the SQE costs more (and a task's SQE has a
    /// CQE, which ends the wait of that enter at once). A task sent so completes (res 0) at
    /// this loop's next step. Otherwise, and before 6.13, and while a loop_mock is attached,
    /// the SQE is queued and goes out with this loop's next enter.
    task* msg_value(loop& target, std::uint64_t data, std::int32_t value, const context& c) noexcept;
    /// Posts a message to `target` as msg_value does, fire-and-forget: no task and no callback,
    /// and the send completes with IORING_CQE_F_SKIP_SUCCESS, so a successful send posts no CQE
    /// here at all (nothing to reap, no wake-up of this loop). A send the kernel fails (the
    /// target's ring gone: -EBADFD, -EBADF...) is only counted, in post_failures(). Queued like
    /// an operation: it goes out at the next run or submit, in order with other posts (but ahead
    /// of operations still waiting for SQ room, queued()), or at once to a waiting loop (see
    /// msg_value). Costs no task: it works with the pool empty. Returns 0, -ECANCELED (this
    /// loop is shutting down, or not set up), or -EBUSY (no SQE even after submitting). liburing:
    /// `io_uring_prep_msg_ring()` with `IOSQE_CQE_SKIP_SUCCESS`. Since Linux 5.18.
    [[nodiscard]] int post_value(loop& target, std::uint64_t data, std::int32_t value) noexcept;
    /// Sends `len` bytes of `buf` on socket `fd` (MSG_* `flags`, with MSG_WAITALL added, so the
    /// kernel finishes a stream socket's short send itself), fire-and-forget as post_value: no
    /// task, no callback, and no CQE when the send succeeds (IOSQE_CQE_SKIP_SUCCESS), so a
    /// server's reply costs no completion to reap and no wake-up. A send that fails or ends
    /// short (the peer gone: -EPIPE, -ECONNRESET...) is only counted, in post_failures(): the
    /// connection's next recv sees the same trouble. The loop never learns when the kernel is
    /// done with `buf`, so it must stay valid until exit(): meant for bytes that outlive the
    /// loop (a static response); use send for anything else. Queued, and returns, as post_value.
    /// liburing: `io_uring_prep_send()` with `IOSQE_CQE_SKIP_SUCCESS`. Since Linux 5.17.
    [[nodiscard]] int post_send(int fd, const void* buf, unsigned len, int flags) noexcept;
    /// Posts (post_value, post_send) that the kernel failed.
    [[nodiscard]] unsigned post_failures() const noexcept { return post_failures_; }
    /// Runs `c.fn` on `target`'s thread (its `loop&` is `target`, res 0); the task returns to
    /// this loop's pool once `target` has run it. If the message cannot be sent the callback runs
    /// here with the error.
    task* run_on(loop& target, const context& c) noexcept;
    /// run_on with an answer: `done` runs here, on this loop's thread, once `target` has run
    /// `c.fn` (res 0; what `c.fn` wrote happens before it), or with the -errno of a send that
    /// failed (`c.fn` then never runs). Both see the same task (its user(), its tag).
    task* run_on(loop& target, const context& c, callback done) noexcept;
    /// Installs this loop's registered file `slot` into a free slot of `target`'s table
    /// (IORING_MSG_SEND_FD): `target`'s on_message sees kind::fd, `data` and the slot. Since 6.0.
    task* send_fd(loop& target, unsigned slot, std::uint64_t data, const context& c) noexcept;
    /// Sets the handler of messages from other loops (this loop's thread only).
    void on_message(message_fn fn, void* user) noexcept {
        msg_fn_ = fn;
        msg_user_ = user;
    }

    // ---- registered files ---------------------------------------------------------------------

    /// Puts `fd` into registered slot `slot` (-1 empties it), synchronously
    /// (IORING_REGISTER_FILES_UPDATE). Returns 0 or -errno (-ENXIO: no table, loop_options).
    [[nodiscard]] int set_file(unsigned slot, int fd) noexcept;
    /// IORING_OP_FIXED_FD_INSTALL: a regular fd (res) for registered slot `slot`. Since 6.8.
    task* install_fixed(unsigned slot, const context& c) noexcept;
    /// Closes registered slot `slot`. Since Linux 5.15.
    task* close_fixed(unsigned slot, const context& c) noexcept;

    // ---- TCP/UDP helpers (src/loop/net.cpp) -----------------------------------------------------

    /// socket -> connect -> callback with the connected fd as res (or -errno, the socket then
    /// closed). `type`: SOCK_STREAM or SOCK_DGRAM (flags such as SOCK_CLOEXEC may be or-ed in).
    /// `addr` must stay valid until the callback. `c.deadline_ns` bounds the connect step.
    task* tcp_connect(const sockaddr* addr, unsigned len, int type, const context& c) noexcept;
    /// A socket of `type` bound to `addr` (SO_REUSEADDR), listening with `backlog` if it is a
    /// stream socket: its fd, or -errno. Synchronous (plain system calls). Pair it with
    /// accept_multishot for a server of plain callbacks.
    [[nodiscard]] static int listen(const sockaddr* addr, unsigned len, int type, int backlog) noexcept;

    // ---- threads (src/loop/threads.cpp) ---------------------------------------------------------

    /// Starts `n` child loops, each on a thread of its own, with rings sharing this loop's io-wq
    /// (ATTACH_WQ). Returns 0 once every child's ring is up, or -errno (-EBUSY: children already
    /// spawned, -EINVAL: n 0 or this loop not set up, a child's init error; the children already
    /// started are then shut down). Allocates (threads, loops): part of setup.
    [[nodiscard]] int spawn_thread(unsigned n, const thread_options& opts = {}) noexcept;
    /// Child `i` (0 <= i < threads()).
    [[nodiscard]] loop& thread_loop(unsigned i) noexcept;
    [[nodiscard]] unsigned threads() const noexcept;

    // ---- fd tracking ----------------------------------------------------------------------------

    /// What loop_options::track_fds saw so far (all zero without it).
    [[nodiscard]] fd_balance fds() const noexcept;

private:
    template <class> friend class basic_loop_mock;
    friend struct detail_loop_access;
    friend struct co::detail::loop_hooks;

    // user_data: the task's address with these low bits (tasks are 8-aligned).
    static constexpr std::uint64_t tag_op = 0;        // the task's own CQE
    static constexpr std::uint64_t tag_deadline = 1;  // its LINK_TIMEOUT
    static constexpr std::uint64_t tag_value = 2;     // a value from another loop: data << 3
    static constexpr std::uint64_t tag_run = 3;       // a task of another loop to run here
    static constexpr std::uint64_t tag_done = 4;      // our run_on task, run and returned
    static constexpr std::uint64_t tag_fd = 5;        // an fd from another loop: data << 3
    // The loop's own SQEs, whose CQEs only the loop sees: (kind << 3) | tag_internal, kind 0 for
    // those it drops, 1 for post_value's send, 2 for the accept probe, control_base + k for
    // shutdown message k.
    static constexpr std::uint64_t tag_internal = 6;
    static constexpr std::uint64_t internal_post = (1u << 3) | tag_internal;
    static constexpr std::uint64_t internal_accept_probe = (2u << 3) | tag_internal;
    static constexpr std::uint64_t control_base = 3;
    static constexpr std::uint64_t tag_direct = 7;    // a direct_completion's address (8-aligned)
    static constexpr std::uint64_t tag_mask = 7;

    static constexpr loop_op first_special = loop_op::timer;

    task* alloc_(loop_op op, const context& c) noexcept {
        // One test for every refusal and for the pool's growth: limit_ is the number of tasks
        // made so far, or 0 while shutting down (in_flight_ below it means the free list is not
        // empty). grow_pool_ makes more of the storage reserved at init into tasks.
        if (in_flight_ >= limit_) [[unlikely]] {
            if (!grow_pool_()) return nullptr;
        }
        task* t = free_;
        free_ = t->next_;
        ++in_flight_;
        // Field by field: g++ copies the struct whole by way of a stack copy of it, 3 more
        // instructions per operation (loop-bench's nop at batch 32: +39.97 -> +36.9).
        t->ctx_.fn = c.fn;
        t->ctx_.user = c.user;
        t->ctx_.tag = c.tag;
        t->ctx_.deadline_ns = c.deadline_ns;
        // A null callback becomes one that does nothing, so that step_'s fast path calls without
        // a test (the test folds away here when, as usual, the context's callback is known).
        if (c.fn == nullptr) t->ctx_.fn = detail::loop_ignore;
        t->op_ = op;
        t->bits_ = c.deadline_ns != 0 ? task::bit_deadline : 0;
        t->outstanding_ = c.deadline_ns != 0 ? 2 : 1;
        t->slow_ = op >= first_special ? task::slow_special : 0;
        ++t->gen_;
        return t;
    }

    void free_task_(task* t) noexcept {
        t->next_ = free_;
        free_ = t;
        --in_flight_;
    }

    /// An SQE for `t` (and room for its LINK_TIMEOUT): from the ring, after one submit if the SQ
    /// is full, else the task's spill slot (queued for later). `slow`: commit_ has work to do
    /// (a deadline to link, or a spilled task). Returned in a register rather than re-read from
    /// t->bits_ in commit_, because the prep between the two may write through any byte.
    abi::io_uring_sqe* sqe_(task* t, bool& slow) noexcept {
        const bool deadline = (t->bits_ & task::bit_deadline) != 0;
        slow = deadline;
        if (pending_head_ == nullptr) [[likely]] {
            if (!deadline) {
                if (abi::io_uring_sqe* sqe = ring_.get_sqe()) [[likely]] return sqe;
            } else if (ring_.sq_space_left() >= 2) {
                return ring_.get_sqe();
            }
        }
        slow = true;
        return sqe_slow_(t, deadline ? 2u : 1u);
    }
    abi::io_uring_sqe* sqe_slow_(task* t, unsigned need) noexcept;

    task* commit_(task* t, abi::io_uring_sqe* sqe, bool slow) noexcept {
        sqe->user_data = reinterpret_cast<std::uintptr_t>(t) | tag_op;
        if (slow) [[unlikely]] commit_slow_(t, sqe);
        return t;
    }
    void commit_slow_(task* t, abi::io_uring_sqe* sqe) noexcept;

    task* rw_(loop_op op, unsigned opcode, int fd, const void* buf, unsigned len,
              std::uint64_t offset, const context& c) noexcept {
        task* t = alloc_(op, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep_rw(static_cast<int>(opcode), sqe, fd, buf, len, offset);
        return commit_(t, sqe, slow);
    }

    /// A task of plain kind `op` whose SQE `prep` fills: the loop's own operations, for callers
    /// that hold their arguments elsewhere (rawring/task.hpp's awaiters, when the direct path
    /// cannot take them), and the loop's operations that fill their SQE with a prep helper
    /// (close, read_fixed, write_fixed). A close's task keeps the SQE's fd, for the fd tracking.
    template <class Prep>
    task* prepared_(loop_op op, const Prep& prep, const context& c) noexcept {
        task* t = alloc_(op, c);
        if (t == nullptr) [[unlikely]] return nullptr;
        bool slow;
        abi::io_uring_sqe* sqe = sqe_(t, slow);
        prep(sqe);
        if (op == loop_op::close) t->fd_ = sqe->fd;
        return commit_(t, sqe, slow);
    }
    /// Whether loop_options::track_fds is on: a close must then go as a task (prepared_), whose
    /// completion the tracking sees.
    [[nodiscard]] bool tracks_fds_() const noexcept { return fd_state_ != nullptr; }

    /// An SQE for a direct completion, or nullptr: no room in the pool's count (a direct
    /// completion leaves the pool's last task free, since a cancel of it needs one; or shutting
    /// down, or a loop_mock attached, whose handlers need tasks), tasks queued for SQ room (which
    /// go first), or a full SQ. The caller then takes the task path, which handles each of them.
    abi::io_uring_sqe* direct_sqe_() noexcept {
        if (in_flight_ >= direct_limit_) [[unlikely]] return nullptr;
        return ring_.get_sqe();
    }
    /// direct_sqe_'s one compare stands for all its refusals: 0 while tasks wait for SQ room, a
    /// loop_mock is attached or the loop stops, else the pool less the task kept for cancels.
    /// Called wherever one of those changes.
    void bound_direct_() noexcept {
        direct_limit_ = direct_off_ || pending_head_ != nullptr || limit_ == 0 ? 0 : limit_ - 1;
    }
    /// After the prep of direct_sqe_'s SQE: names `d` in it and counts it in flight.
    void direct_commit_(abi::io_uring_sqe* sqe, direct_completion* d) noexcept {
        sqe->user_data = reinterpret_cast<std::uintptr_t>(d) | tag_direct;
        ++in_flight_;
    }
    /// ASYNC_CANCEL of the direct completion `d` (a task carries the cancel; `c` its callback).
    /// The caller keeps `d` in place until both that callback and d's CQE have come.
    task* cancel_direct_(direct_completion* d, const context& c) noexcept;

    // src/loop/loop.cpp
    int step_(bool wait, const abi::kernel_timespec* ts) noexcept;
    [[gnu::always_inline]] inline int wait_(const abi::kernel_timespec* ts) noexcept;
    /// Sends a data message (MSG_RING's user_data and res) to `target` at once, by
    /// IORING_REGISTER_SEND_MSG_RING (Linux 6.13), when that is as good as its SQE or better
    /// (`task`: the message is a task's, whose SQE would have a CQE): see there. true: sent;
    /// false: queue the SQE.
    bool send_now_(const loop& target, std::uint64_t user_data, std::int32_t value, bool task) noexcept;
    void note_message_to_(const loop& target) noexcept {
        wakes_waiter_ |= target.waiting_.load(std::memory_order_relaxed);
    }
    unsigned dispatch_(const abi::io_uring_cqe& cqe) noexcept;
    void op_cqe_(task* t, const abi::io_uring_cqe& cqe) noexcept;
    void finish_(task* t) noexcept;
    void release_(task* t) noexcept;
    void deliver_(task* t, const abi::io_uring_cqe& cqe) noexcept;
    bool special_before_(task* t, abi::io_uring_cqe& cqe) noexcept;
    void special_after_(task* t, const abi::io_uring_cqe& cqe) noexcept;
    void complete_locally_(task* t, std::int32_t res) noexcept;
    unsigned run_completed_() noexcept;
    void flush_pending_() noexcept;
    abi::io_uring_sqe* internal_sqe_() noexcept;
    /// What accept and accept_multishot add to ioprio; the first call on `automatic` asks the
    /// kernel (probe_accept_).
    std::uint16_t accept_ioprio_() noexcept {
        if (!accept_asked_) [[unlikely]] probe_accept_();
        return accept_bits_;
    }
    void probe_accept_() noexcept;
    void note_accept_probe_(std::int32_t res) noexcept;
    int post_sqe_(abi::io_uring_sqe*& sqe) noexcept;
    void begin_stop_() noexcept;
    void cancel_everything_() noexcept;
    unsigned cancel_pending_(bool (*match)(const task&, int), int arg) noexcept;
    void control_(std::uint64_t kind) noexcept;
    void after_batch_() noexcept;
    void run_remote_(task* t) noexcept;
    void ledger_open_(int fd) noexcept;
    void ledger_close_(int fd) noexcept;
    bool tcp_continue_(task* t) noexcept;  // src/loop/net.cpp
    void post_control_(loop& to, std::uint64_t kind) noexcept;
    void shutdown_children_() noexcept;  // src/loop/threads.cpp
    static void child_main_(void* group, loop* parent, unsigned index) noexcept;
    void release_pool_() noexcept;
    bool grow_pool_() noexcept;

    ring ring_;
    task* free_ = nullptr;
    task* pending_head_ = nullptr;  // waiting for SQ room, in order
    task* pending_tail_ = nullptr;
    task* completed_head_ = nullptr;  // completed without a CQE (cancelled while pending...)
    task* completed_tail_ = nullptr;
    unsigned in_flight_ = 0;
    unsigned capacity_ = 0;
    unsigned limit_ = 0;  // alloc_ hands out tasks while in_flight_ < limit_ (made_, 0 when stopping)
    unsigned made_ = 0;   // tasks constructed in pool_'s storage so far (grow_pool_), <= capacity_
    unsigned direct_limit_ = 0;  // direct_sqe_'s bound (bound_direct_)
    bool direct_off_ = false;    // a loop_mock is attached
    unsigned queued_ = 0;
    unsigned post_failures_ = 0;
    unsigned uncounted_ = 0;  // step_: CQEs of this walk that are not completions (control, internal)
    task* pool_ = nullptr;  // storage for capacity_ tasks, of which the first made_ are made
    message_fn msg_fn_ = nullptr;
    void* msg_user_ = nullptr;
    std::uint8_t* fd_state_ = nullptr;  // track_fds: 1 = open
    unsigned fd_bound_ = 0;
    fd_balance fd_counts_{};
    bool stop_ = false;
    // A message queued since the last submit goes to a loop that was waiting in the kernel: step_
    // submits before it waits (see there). waiting_ is true while this loop's thread waits in
    // io_uring_enter; other loops' threads read it (relaxed: it is a hint, never a guarantee).
    bool wakes_waiter_ = false;
    std::atomic<bool> waiting_{false};
    // Data messages may go out at once by IORING_REGISTER_SEND_MSG_RING (see msg_value), one
    // syscall that costs about what an eventfd write does (an enter with a MSG_RING costs some
    // 1.7 times that). false once the kernel has shown it lacks the register op (before 6.13).
    bool sync_msg_ = true;
    bool sent_now_ = false;  // a task's message to a busy loop went out at once in this step
    // accept_poll_first: the probe went out (or no probe is needed), its answer is in, and the
    // flags it gave (accept_bits_ stays 0 until the answer says otherwise).
    bool accept_asked_ = false;
    bool accept_known_ = false;
    std::uint16_t accept_bits_ = 0;
    // The listener whose last single accept completed with IORING_CQE_F_SOCK_NONEMPTY (more
    // connections pending), or -1: its next accept goes without POLL_FIRST.
    int accept_backlog_fd_ = -1;
    bool stopping_ = false;        // shutting down: no new tasks
    bool exit_requested_ = false;  // child: the parent said exit
    bool drained_sent_ = false;    // child: told the parent it has nothing in flight
    loop* parent_ = nullptr;       // child loops: the loop that spawned them
    std::atomic<unsigned>* drained_counter_ = nullptr;  // child loops: the parent's count of drained children
    void* threads_ = nullptr;      // detail::thread_group (src/loop/threads.cpp)
    // Senders of messages to this loop add to it (release) before they submit; the loop reads it
    // (acquire) before it handles one. The kernel already orders the two, but only through its
    // own memory: this makes what the sender wrote before sending visibly happen before the
    // handler (to the language's memory model, and so to ThreadSanitizer too).
    std::atomic<std::uint32_t> msg_sync_{0};
};

// =================================================================================================
// The loop on the mock io_uring
// =================================================================================================

namespace detail {
template <class F> struct handler_sig;
template <template <class> class Fn, class R, class A>
struct handler_sig<Fn<R(A)>> {
    using action = R;
    using request = std::remove_cvref_t<A>;
    template <class Sig> using function = Fn<Sig>;
};
template <class M> struct on_member;
template <class C, class A, class H>
struct on_member<void (C::*)(A, H)> {
    using handler = std::remove_cvref_t<H>;
};
} // namespace detail

/// What a loop adds to the mock io_uring (rawring/mock.hpp): result handlers keyed by loop
/// operation (several loop operations share an opcode: timer and deadline, stat and lstat...),
/// holding and completing a given task (so the test decides the order of completions; the
/// order among requests ready together is mock::options::completion_order), and the check that
/// every fd opened through the loop was closed exactly once.
///
/// Use it as `rawring::loop_mock` (include rawring/mock.hpp first, link rawring-mock); it is a
/// template on the mock kernel only so that this header needs none of the mock's. The loop
/// itself has no backend branch: the mock is chosen at the system-call seam.
///
///     rawring::mock::scope mock;
///     rawring::loop l;  REQUIRE(l.init(8, {.track_fds = 1024}) == 0);
///     rawring::loop_mock lm(*mock, l);
///     lm.on(rawring::loop_op::recv, [](rawring::task&, const rawring::mock::request&) {
///         return rawring::mock::action::now(5);
///     });
///
/// A handler runs under the mock's lock on the thread that entered the ring: it must not call
/// into the loop or rawring. One loop_mock per mock kernel: it owns the kernel's handlers of the
/// opcodes it is given.
template <class Kernel>
class basic_loop_mock {
    using handler_t = typename detail::on_member<decltype(&Kernel::on)>::handler;
    using sig = detail::handler_sig<handler_t>;

public:
    using action = typename sig::action;
    using request = typename sig::request;
    /// A loop handler: the loop's task behind the request (nullptr for the loop's own internal
    /// requests, which always get the mock's default) and the request itself.
    using op_handler = typename sig::template function<action(task&, const request&)>;

    // The handlers are keyed by the loop's tasks: while attached, the loop gives rawring::co's
    // awaiters tasks too (no direct completions), so that every operation reaches them.
    basic_loop_mock(Kernel& k, loop& l) : kernel_(k), loop_(l) {
        loop_.direct_off_ = true;
        loop_.bound_direct_();
    }
    ~basic_loop_mock() {
        for (unsigned op = 0; op < 256; ++op)
            if (installed_[op]) kernel_.reset(static_cast<std::uint8_t>(op));
        loop_.direct_off_ = false;
        loop_.bound_direct_();
    }
    basic_loop_mock(const basic_loop_mock&) = delete;
    basic_loop_mock& operator=(const basic_loop_mock&) = delete;

    /// Answers every later request of loop operation `op` (on this loop's ring) with `h`.
    void on(loop_op op, op_handler h) {
        handlers_[static_cast<unsigned>(op)] = static_cast<op_handler&&>(h);
        for (unsigned opc : opcodes_(op)) install_(opc);
    }
    /// Every later request of `op` stays pending until complete() names its task.
    void hold(loop_op op) {
        on(op, [](task&, const request&) { return action::held(); });
    }
    /// Completes a held request of task `t` with `res` and `flags` (`more`: F_MORE, the task
    /// stays alive). Returns 0 or -ENOENT (not held).
    int complete(task* t, std::int32_t res, std::uint32_t flags = 0, bool more = false) {
        typename std::remove_cvref_t<decltype(action{}.result)> c{};
        c.res = res;
        c.flags = flags;
        c.more = more;
        return kernel_.complete(loop_.ring_fd(), reinterpret_cast<std::uintptr_t>(t), c);
    }
    /// The fd check: every fd opened through the loop closed exactly once (needs
    /// loop_options::track_fds).
    [[nodiscard]] fd_balance fds() const noexcept { return loop_.fds(); }

private:
    // The opcodes a loop operation submits (its first SQE; deadlines are loop_op::count_).
    static constexpr unsigned none = 256;
    struct opcode_list {
        unsigned v[3] = {none, none, none};
        const unsigned* begin() const { return v; }
        const unsigned* end() const {
            unsigned n = 0;
            while (n < 3 && v[n] != none) ++n;
            return v + n;
        }
    };
    static opcode_list opcodes_(loop_op op) {
        switch (op) {
        case loop_op::noop: return {{abi::IORING_OP_NOP}};
        case loop_op::read: return {{abi::IORING_OP_READ}};
        case loop_op::write: return {{abi::IORING_OP_WRITE}};
        case loop_op::readv: return {{abi::IORING_OP_READV}};
        case loop_op::writev: return {{abi::IORING_OP_WRITEV}};
        case loop_op::read_fixed: return {{abi::IORING_OP_READ_FIXED}};
        case loop_op::write_fixed: return {{abi::IORING_OP_WRITE_FIXED}};
        case loop_op::fsync: return {{abi::IORING_OP_FSYNC}};
        case loop_op::statx: return {{abi::IORING_OP_STATX}};
        case loop_op::connect: return {{abi::IORING_OP_CONNECT}};
        case loop_op::send: return {{abi::IORING_OP_SEND}};
        case loop_op::recv: return {{abi::IORING_OP_RECV}};
        case loop_op::send_zc: return {{abi::IORING_OP_SEND_ZC}};
        case loop_op::poll: return {{abi::IORING_OP_POLL_ADD}};
        case loop_op::splice: return {{abi::IORING_OP_SPLICE}};
        case loop_op::cancel: return {{abi::IORING_OP_ASYNC_CANCEL}};
        case loop_op::msg_value:
        case loop_op::send_fd:
        case loop_op::run_on: return {{abi::IORING_OP_MSG_RING}};
        case loop_op::close_fixed:
        case loop_op::close: return {{abi::IORING_OP_CLOSE}};
        case loop_op::timer: return {{abi::IORING_OP_TIMEOUT}};
        case loop_op::open: return {{abi::IORING_OP_OPENAT}};
        case loop_op::socket: return {{abi::IORING_OP_SOCKET}};
        case loop_op::accept:
        case loop_op::accept_multishot: return {{abi::IORING_OP_ACCEPT}};
        case loop_op::recv_multishot: return {{abi::IORING_OP_RECV}};
        case loop_op::install_fixed: return {{abi::IORING_OP_FIXED_FD_INSTALL}};
        case loop_op::tcp_connect:
            return {{abi::IORING_OP_SOCKET, abi::IORING_OP_CONNECT, abi::IORING_OP_CLOSE}};
        case loop_op::count_: return {{abi::IORING_OP_LINK_TIMEOUT}};
        }
        return {};
    }

    void install_(unsigned opc) {
        if (installed_[opc]) return;
        installed_[opc] = true;
        kernel_.on(static_cast<std::uint8_t>(opc), [this](const request& rq) -> action {
            if (rq.ring_fd != loop_.ring_fd()) return action::by_default();
            const std::uint64_t bits = rq.user_data & loop::tag_mask;
            task* t = reinterpret_cast<task*>(static_cast<std::uintptr_t>(rq.user_data & ~loop::tag_mask));
            if (t == nullptr || (bits != loop::tag_op && bits != loop::tag_deadline))
                return action::by_default();
            const unsigned op = bits == loop::tag_deadline ? unsigned{loop_op_count}
                                                           : static_cast<unsigned>(t->op_);
            if (!handlers_[op]) return action::by_default();
            return handlers_[op](*t, rq);
        });
    }

    Kernel& kernel_;
    loop& loop_;
    op_handler handlers_[loop_op_count + 1];
    bool installed_[256] = {};
};

namespace mock { class kernel; }
/// The loop's mock glue on rawring's mock kernel (include rawring/mock.hpp before using it).
using loop_mock = basic_loop_mock<mock::kernel>;

} // namespace rawring
