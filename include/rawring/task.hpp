// SPDX-License-Identifier: MIT
// rawring::co: C++20 coroutines over rawring::loop: task<T>, spawn, run, an awaitable per loop operation.
//
// An optional layer on top of `rawring::loop` (header-only; link `rawring-loop`). There is one
// scheduler, the loop: every `co_await` of an operation queues a loop task whose callback resumes
// the coroutine, on the loop's thread, from inside loop::run. Results are `int` as everywhere in
// rawring (>= 0 success, -errno failure). No exceptions (unhandled_exception terminates), no RTTI.
//
//     rawring::co::task<int> copy(rawring::loop& l, int in, int out) {
//         char buf[4096];
//         for (;;) {
//             int n = co_await rawring::co::read(l, in, buf, sizeof buf);
//             if (n <= 0) co_return n;
//             n = co_await rawring::co::timeout(rawring::co::write(l, out, buf, unsigned(n)),
//                                               std::chrono::seconds(1));
//             if (n < 0) co_return n;  // -ETIME when the deadline fired
//         }
//     }
//     ... int r = rawring::co::run(l, copy(l, 0, 1));
//
// Cancellation is safe by construction: a coroutine is never destroyed while an operation it
// awaits is in flight. Cancelling it (scope::cancel, a when_any child that lost, a task<T>
// destroyed while it runs) marks it and sends IORING_OP_ASYNC_CANCEL for what it awaits; the
// frame, with every buffer in it, stays alive until that operation's last CQE (a send_zc's
// notification included) has arrived, and, for a direct completion (below), until the cancel's
// own CQE too, since the cancel names the frame's address. Then the coroutine is not resumed but
// stopped: its frame, and those of the coroutines awaiting it up to where the cancellation came
// from, are destroyed (locals' destructors run). An fd an operation produced just as it was cancelled (open, accept,
// socket, tcp_connect) is closed. Streams (accept_stream, recv_stream) hand their multishot,
// when destroyed while it is armed, to a callback that needs nothing of the frame.
//
// Cost: no allocation per operation. The awaiter of each operation lives in the coroutine frame
// (72 bytes for a noop, 104 for a read; g++ 12, x86_64). The plain operations with one CQE
// (noop, sleep, sleep_until, read, write, read_fixed, write_fixed, readv, writev, fsync, statx,
// stat, lstat, connect, send, recv, poll, splice, close, close_fixed) are direct completions: the SQE's user_data
// names the awaiter, and the loop's CQ walk writes the result into it and resumes the coroutine,
// with no task of the pool, no context and no callback (they still count in in_flight(), against
// the pool's capacity). They go as a loop task, which points to the awaiter, when the SQ is full
// or tasks wait for SQ room, while a loop_mock is attached, with a deadline (co::timeout), and,
// for close, when the loop tracks fds (loop_options::track_fds reads a close's completion); the
// other operations always do. Each task<T> call allocates its frame: the promise (80 bytes, 88 for task<int>),
// the coroutine's locals and awaiters, the compiler's state, plus a 16-byte header naming the
// allocator: 216 bytes (g++ 12 -O2) for a coroutine awaiting one noop, about 312 with a 64-byte
// buffer and a read. Frames come from operator new (nothrow: a task whose frame cannot be had
// is empty, valid() false) or from a frame_allocator (set_frame_allocator; frame_cache recycles
// them). An awaited NOP costs about 98 user-space instructions at a batch of 32, 58 over the
// bare ring's (tools/coro-bench.cpp, callgrind, g++ -O2).
//
// The loop's pool: an operation awaited while only one task is left in the loop's pool does
// not start and gives -EBUSY at once; that last task is kept for cancelling. A cancel that still
// finds no task is retried by co::run, co::run_for, co::drive, co::drive_for and after each
// cancel completes.
//
// Drivers: co::run / co::run_for (a task to its end), co::drive / co::drive_for (until nothing
// is in flight). A program may also run the loop itself (loop::run): coroutines are resumed from
// its callbacks; only the retry of deferred cancels needs one of co's drivers.
//
// Declare what coroutines use (buffers, buffer groups, fds) before the loop: loop::exit (the
// loop's destructor) resumes every coroutine still awaiting with -ECANCELED.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "rawring/loop.hpp"

namespace rawring::co {

template <class T = void> class task;
class scope;
/// What when_all gives in the place of a task<void>.
struct nothing {};

namespace detail {

// errnos beyond errno.hpp's list.
inline constexpr int enoent = 2;
inline constexpr int edeadlk = 35;
inline constexpr int ecanceled = 125;

/// Something a coroutine is suspended on, and how to cancel it.
struct waitable {
    void (*cancel_fn)(waitable*) noexcept = nullptr;
};

struct promise_base;
/// How a coroutine not awaited by another one tells its owner it ended (`stopped`: cancelled
/// and not resumed). Returns the coroutine to resume next (noop_coroutine() for none).
using end_fn = std::coroutine_handle<> (*)(promise_base* p, bool stopped) noexcept;

inline constexpr std::uint8_t st_started = 1;
inline constexpr std::uint8_t st_cancel = 2;   // cancellation asked for
inline constexpr std::uint8_t st_stopped = 4;  // ended by cancellation: never resumed again
inline constexpr std::uint8_t st_done = 8;     // ran to co_return

inline void request_cancel(promise_base* p) noexcept;

} // namespace detail

// ---- frame allocation ---------------------------------------------------------------------------

/// Where coroutine frames come from (set_frame_allocator). `alloc` returns null when it cannot.
struct frame_allocator {
    void* (*alloc)(void* ctx, std::size_t n) noexcept = nullptr;
    void (*free)(void* ctx, void* p, std::size_t n) noexcept = nullptr;
    void* ctx = nullptr;
};

namespace detail {
inline thread_local const frame_allocator* current_frame_allocator = nullptr;
// Each frame starts with the allocator that made it, so a frame may outlive a change of allocator.
inline constexpr std::size_t frame_header = 16;
inline void* frame_alloc(std::size_t n) noexcept {
    const frame_allocator* a = current_frame_allocator;
    void* p = a != nullptr ? a->alloc(a->ctx, n + frame_header)
                           : ::operator new(n + frame_header, std::nothrow);
    if (p == nullptr) return nullptr;
    *static_cast<const frame_allocator**>(p) = a;
    return static_cast<unsigned char*>(p) + frame_header;
}
inline void frame_free(void* q, std::size_t n) noexcept {
    void* p = static_cast<unsigned char*>(q) - frame_header;
    const frame_allocator* a = *static_cast<const frame_allocator**>(p);
    if (a != nullptr) a->free(a->ctx, p, n + frame_header);
    else ::operator delete(p);
}
} // namespace detail

/// Makes this thread's later coroutine frames come from `a` (null: operator new). `*a` must
/// outlive every frame it allocates. Returns the previous one.
inline const frame_allocator* set_frame_allocator(const frame_allocator* a) noexcept {
    const frame_allocator* old = detail::current_frame_allocator;
    detail::current_frame_allocator = a;
    return old;
}

/// A frame_allocator that keeps freed frames for reuse, in classes of 64 bytes up to 4 KiB
/// (bigger frames go to operator new): after a warm-up, coroutines of a steady workload
/// allocate nothing. Not thread-safe: one per thread. Frees what it keeps when destroyed
/// (every frame it made must be gone by then).
class frame_cache {
public:
    frame_cache() noexcept {
        alloc_.alloc = [](void* c, std::size_t n) noexcept { return static_cast<frame_cache*>(c)->get_(n); };
        alloc_.free = [](void* c, void* p, std::size_t n) noexcept { static_cast<frame_cache*>(c)->put_(p, n); };
        alloc_.ctx = this;
    }
    ~frame_cache() {
        for (node*& head : free_)
            while (head != nullptr) {
                node* n = head;
                head = n->next;
                ::operator delete(n);
            }
    }
    frame_cache(const frame_cache&) = delete;
    frame_cache& operator=(const frame_cache&) = delete;
    /// The allocator to pass to set_frame_allocator.
    [[nodiscard]] const frame_allocator* allocator() const noexcept { return &alloc_; }
    /// Frames handed out and not yet given back.
    [[nodiscard]] unsigned live() const noexcept { return live_; }

private:
    struct node { node* next; };
    static constexpr std::size_t granule = 64;
    static constexpr std::size_t classes = 64;  // up to 4 KiB
    void* get_(std::size_t n) noexcept {
        const std::size_t c = (n + granule - 1) / granule;
        void* p = nullptr;
        if (c < classes && free_[c] != nullptr) {
            p = free_[c];
            free_[c] = free_[c]->next;
        } else {
            p = ::operator new(c < classes ? c * granule : n, std::nothrow);
        }
        if (p != nullptr) ++live_;
        return p;
    }
    void put_(void* p, std::size_t n) noexcept {
        --live_;
        const std::size_t c = (n + granule - 1) / granule;
        if (c >= classes) {
            ::operator delete(p);
            return;
        }
        node* q = static_cast<node*>(p);
        q->next = free_[c];
        free_[c] = q;
    }
    frame_allocator alloc_{};
    node* free_[classes] = {};
    unsigned live_ = 0;
};

namespace detail {

// ---- the promise every rawring::co coroutine shares -------------------------------------------------

struct promise_base : waitable {
    std::coroutine_handle<> cont_{};   // the coroutine awaiting this one (resumed when it returns)
    promise_base* parent_ = nullptr;   // its promise
    waitable* awaiting_ = nullptr;     // what this coroutine is suspended on (cancel goes there)
    end_fn on_end_ = nullptr;          // no parent: who is told it ended (combinator, spawn, run)
    void* end_ctx_ = nullptr;
    void* self_ = nullptr;             // this coroutine's handle address
    promise_base* scope_prev_ = nullptr;  // scope membership
    promise_base* scope_next_ = nullptr;
    std::uint32_t index_ = 0;          // child index in a combinator
    std::uint8_t state_ = 0;

    promise_base() noexcept { cancel_fn = [](waitable* w) noexcept { request_cancel(static_cast<promise_base*>(w)); }; }

    static void* operator new(std::size_t n) noexcept { return frame_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

    std::suspend_always initial_suspend() noexcept { return {}; }
    [[noreturn]] void unhandled_exception() noexcept { std::terminate(); }

    [[nodiscard]] bool cancelled() const noexcept { return (state_ & st_cancel) != 0; }

    /// Ended by cancellation: suspended with nothing in flight any more. Never resumed again.
    /// The coroutine awaiting it stops too if it is being cancelled (the usual case: cancelling
    /// it is what cancelled this one); else (this one alone was cancelled, task<T>::cancel) it
    /// resumes, the co_await giving -ECANCELED. Without a parent, the owner is told.
    void stop() noexcept {
        state_ |= st_stopped;
        awaiting_ = nullptr;
        if (parent_ != nullptr) {
            promise_base* p = parent_;
            p->awaiting_ = nullptr;
            if (p->cancelled()) p->stop();
            else cont_.resume();
            return;
        }
        if (on_end_ != nullptr) on_end_(this, true).resume();
    }

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            promise_base& p = h.promise();
            p.state_ |= st_done;
            if (promise_base* parent = p.parent_) {
                parent->awaiting_ = nullptr;
                // A parent cancelled while this one finished anyway stops where it awaited.
                if ((parent->state_ & st_cancel) != 0) [[unlikely]] {
                    parent->stop();
                    return std::noop_coroutine();
                }
                return p.cont_;
            }
            if (p.on_end_ != nullptr) return p.on_end_(&p, false);
            return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
};

inline void request_cancel(promise_base* p) noexcept {
    if ((p->state_ & (st_cancel | st_stopped | st_done)) != 0) return;
    p->state_ |= st_cancel;
    // Running or not started: its next operation is cancelled as soon as it is queued.
    if (waitable* w = p->awaiting_) w->cancel_fn(w);
}

/// What a co_await of a task with no value gives: -ENOMEM (no frame) or -ECANCELED (stopped)
/// for int, T{} otherwise.
template <class T>
inline T failed_value(bool stopped = false) noexcept {
    if constexpr (std::is_same_v<T, int>) return stopped ? -ecanceled : -err::enomem;
    else {
        (void)stopped;
        return T{};
    }
}

template <class T>
struct promise final : promise_base {
    alignas(T) unsigned char storage_[sizeof(T)];
    bool has_ = false;
    task<T> get_return_object() noexcept;
    static task<T> get_return_object_on_allocation_failure() noexcept;
    template <class U>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(storage_)) T(static_cast<U&&>(v));
        has_ = true;
    }
    T& value() noexcept { return *std::launder(reinterpret_cast<T*>(storage_)); }
    T take() noexcept {
        if (!has_) return failed_value<T>((state_ & st_stopped) != 0);
        return static_cast<T&&>(value());
    }
    ~promise() {
        if (has_) value().~T();
    }
};

template <>
struct promise<void> final : promise_base {
    task<void> get_return_object() noexcept;
    static task<void> get_return_object_on_allocation_failure() noexcept;
    void return_void() noexcept {}
    void take() noexcept {}
};

/// A spawned coroutine with no scope: it destroys itself when it ends.
inline std::coroutine_handle<> detached_end(promise_base* p, bool) noexcept {
    std::coroutine_handle<>::from_address(p->self_).destroy();
    return std::noop_coroutine();
}

// ---- cancels that found no free task in the loop's pool ------------------------------------------

/// A waitable whose cancel may have to wait for a free task in the loop's pool: it is then put
/// on this thread's list, and co::run, co::drive and every completed cancel try again.
struct deferrable : waitable {
    deferrable* next_deferred_;
    bool deferred_;
    void defer_() noexcept;
    void undefer_() noexcept;
};
inline thread_local deferrable* deferred_cancels = nullptr;
/// Coroutines of this thread waiting on a message_stream: they need no task of the loop's, yet
/// something (a message) can still come for them.
inline thread_local unsigned message_waiters = 0;
inline void deferrable::defer_() noexcept {
    if (deferred_) return;
    deferred_ = true;
    next_deferred_ = deferred_cancels;
    deferred_cancels = this;
}
inline void deferrable::undefer_() noexcept {
    for (deferrable** pp = &deferred_cancels; *pp != nullptr; pp = &(*pp)->next_deferred_)
        if (*pp == this) {
            *pp = next_deferred_;
            break;
        }
    deferred_ = false;
}
inline void retry_cancels() noexcept {
    deferrable* list = std::exchange(deferred_cancels, nullptr);
    while (list != nullptr) {
        deferrable* w = list;
        list = w->next_deferred_;
        w->deferred_ = false;
        w->cancel_fn(w);
    }
}
inline void on_cancel_done(loop&, rawring::task&, const abi::io_uring_cqe&) noexcept {
    if (deferred_cancels != nullptr) retry_cancels();
}

} // namespace detail

// =================================================================================================
// task<T>
// =================================================================================================

/// A lazy coroutine returning T (int by convention: >= 0 or -errno). It starts when awaited (or
/// given to spawn, scope::spawn, run, when_all, when_any). Move-only. Destroying a task<T> whose
/// coroutine is in the middle of an operation cancels it: the frame is freed once the
/// operation's last CQE arrived (see the top of this file). A task whose frame could not be
/// allocated is empty (valid() false); awaiting it gives -ENOMEM (for int; T{} otherwise).
template <class T>
class [[nodiscard]] task {
public:
    using promise_type = detail::promise<T>;
    using value_type = T;

    task() noexcept = default;
    explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    task& operator=(task&& o) noexcept {
        if (this != &o) {
            reset_();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { reset_(); }

    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }
    /// True once the coroutine ran to its co_return.
    [[nodiscard]] bool done() const noexcept { return h_ && (h_.promise().state_ & detail::st_done) != 0; }
    /// True once it ended by cancellation.
    [[nodiscard]] bool stopped() const noexcept { return h_ && (h_.promise().state_ & detail::st_stopped) != 0; }
    /// Asks the coroutine to stop (see the top of this file); it ends after its pending CQEs.
    void cancel() noexcept {
        if (h_) detail::request_cancel(&h_.promise());
    }
    /// The value it returned (once, after done()); -ENOMEM / T{} if there is none.
    T result() noexcept { return h_ ? h_.promise().take() : detail::failed_value<T>(); }

    struct awaiter {
        std::coroutine_handle<promise_type> h;
        bool await_ready() const noexcept { return !h; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
            detail::promise_base& pp = parent.promise();
            promise_type& c = h.promise();
            c.cont_ = parent;
            c.parent_ = &pp;
            c.state_ |= detail::st_started;
            if (pp.cancelled()) [[unlikely]] c.state_ |= detail::st_cancel;
            pp.awaiting_ = &c;
            return h;  // start it (symmetric transfer)
        }
        T await_resume() noexcept {
            if (!h) return detail::failed_value<T>();
            return h.promise().take();
        }
    };
    awaiter operator co_await() && noexcept { return {h_}; }

    /// The coroutine's handle, for the layer's own use (spawn, combinators).
    [[nodiscard]] std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
    std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

private:
    void reset_() noexcept {
        if (!h_) return;
        promise_type& p = h_.promise();
        const std::uint8_t s = p.state_;
        if ((s & detail::st_started) == 0 || (s & (detail::st_done | detail::st_stopped)) != 0) {
            h_.destroy();
        } else {
            // Abandoned in flight: it frees itself once stopped (or finished).
            p.parent_ = nullptr;
            p.cont_ = {};
            p.on_end_ = &detail::detached_end;
            detail::request_cancel(&p);
        }
        h_ = {};
    }
    std::coroutine_handle<promise_type> h_{};
};

namespace detail {
template <class T>
task<T> promise<T>::get_return_object() noexcept {
    auto h = std::coroutine_handle<promise<T>>::from_promise(*this);
    self_ = h.address();
    return task<T>(h);
}
template <class T>
task<T> promise<T>::get_return_object_on_allocation_failure() noexcept { return task<T>(); }
inline task<void> promise<void>::get_return_object() noexcept {
    auto h = std::coroutine_handle<promise<void>>::from_promise(*this);
    self_ = h.address();
    return task<void>(h);
}
inline task<void> promise<void>::get_return_object_on_allocation_failure() noexcept { return task<void>(); }

template <class H> inline void start_owned(H h, end_fn fn, void* ctx) noexcept {
    auto& p = h.promise();
    p.on_end_ = fn;
    p.end_ctx_ = ctx;
    p.state_ |= st_started;
    h.resume();
}
} // namespace detail

// =================================================================================================
// Operations
// =================================================================================================

namespace detail {

/// The loop's private hooks that rawring::co uses: direct completions and prepared tasks
/// (see rawring::direct_completion).
struct loop_hooks {
    static abi::io_uring_sqe* direct_sqe(loop& l) noexcept { return l.direct_sqe_(); }
    static void direct_commit(loop& l, abi::io_uring_sqe* sqe, direct_completion* d) noexcept {
        l.direct_commit_(sqe, d);
    }
    static rawring::task* cancel_direct(loop& l, direct_completion* d, const context& c) noexcept {
        return l.cancel_direct_(d, c);
    }
    template <class Prep>
    static rawring::task* prepared(loop& l, loop_op op, const Prep& prep, const context& c) noexcept {
        return l.prepared_(op, prep, c);
    }
    static bool tracks_fds(const loop& l) noexcept { return l.tracks_fds_(); }
};

/// What every awaited operation keeps in the frame; the loop's task points to it (context::user),
/// or, on the direct path (task_ null), the SQE's user_data names its direct_completion, whose
/// `res` holds the result on both paths. Only what the common path needs is initialized at
/// construction.
// (direct_completion first, so that the two flags fit in deferrable's tail padding.)
struct op_base : direct_completion, deferrable {
    bool cancel_sent_;     // direct: a cancel went out and its CQE has not come yet
    bool done_;            // direct, cancelled: the operation's CQE came
    loop* loop_;
    rawring::task* task_;  // the loop's task that carries it (not set on the direct path)
    // (Not beside loop_: g++ makes the two stores of a co_await one vector store, which costs more.)
    promise_base* promise_;

    explicit op_base(loop& l) noexcept : loop_(&l) { cancel_fn = &cancel_op; }

    /// ASYNC_CANCEL of the task; if the pool has no task for it, retried later.
    /// Called once per operation (cancellation is asked for once), and again from the deferred
    /// list (deferred_ cleared first): deferred_ is set here, not at construction.
    static void cancel_op(waitable* w) noexcept {
        auto* s = static_cast<op_base*>(w);
        s->deferred_ = false;
        if (s->loop_->cancel(s->task_, {&on_cancel_done}) == nullptr) [[unlikely]] s->defer_();
    }
    /// cancel_op of a direct completion (direct_op's cancel_fn until it takes the task path).
    static void cancel_direct(waitable* w) noexcept {
        auto* s = static_cast<op_base*>(w);
        s->deferred_ = false;
        // Its CQE must not resume the coroutine now, whether or not the cancel goes out. (Here
        // the first time: done_ and cancel_sent_ are set up now, not for every operation.)
        if ((s->frame & 1) == 0) {
            s->frame |= 1;
            s->divert = &direct_cqe;
            s->done_ = false;
        }
        s->cancel_sent_ =
            loop_hooks::cancel_direct(*s->loop_, s, {&direct_cancel_done, static_cast<op_base*>(s)}) != nullptr;
        if (!s->cancel_sent_) [[unlikely]] s->defer_();
    }

    /// The direct path's rule of the loop's task_ref: the cancel names the frame's address, so
    /// the frame stays until the cancel's CQE too (a later operation at the same address must
    /// never be hit). Whichever of the two CQEs comes last stops the coroutine.
    static void direct_cqe(direct_completion* d) noexcept {
        auto* s = static_cast<op_base*>(d);
        s->done_ = true;
        if (s->deferred_) s->undefer_();
        if (!s->cancel_sent_) s->stop_();
    }
    static void direct_cancel_done(loop&, rawring::task& t, const abi::io_uring_cqe&) noexcept {
        auto* s = static_cast<op_base*>(t.user());
        s->cancel_sent_ = false;
        const bool last = s->done_;
        if (deferred_cancels != nullptr) retry_cancels();
        if (last) s->stop_();  // (nothing of *s is touched after: the frame may go)
    }
    void stop_() noexcept {
        promise_base* p = promise_;
        p->awaiting_ = nullptr;
        p->stop();
    }
};

/// The kinds of completion: the result alone; an fd (closed if it arrives for a cancelled
/// coroutine); a zero-copy send (result, then the notification).
enum class op_kind : std::uint8_t { plain, fd, zc };

/// Closes an fd nobody will see (through the loop, so its fd tracking stays right).
inline void close_orphan_fd(loop& l, int fd) noexcept {
    if (l.close(fd, {}) == nullptr) (void)sys::close(fd);
}

/// The callback of every awaited operation: the result into the frame, then the coroutine
/// resumed (or, cancelled, stopped), from inside loop::run.
template <op_kind K, bool Deadline>
inline void on_cqe(loop&, rawring::task& t, const abi::io_uring_cqe& c) noexcept {
    auto* s = static_cast<op_base*>(t.user());
    if constexpr (K == op_kind::zc) {
        if ((c.flags & abi::IORING_CQE_F_NOTIF) == 0) {
            s->res = c.res;
            if ((c.flags & abi::IORING_CQE_F_MORE) != 0) return;  // the notification follows
        }
    } else {
        s->res = c.res;
    }
    if constexpr (Deadline) {
        if (t.timed_out() && s->res < 0) s->res = -err::etime;
    }
    promise_base* p = s->promise_;
    p->awaiting_ = nullptr;
    if ((p->state_ & st_cancel) == 0) [[likely]] {
        std::coroutine_handle<>::from_address(p->self_).resume();
        return;
    }
    // Cancelled: this was the operation's last CQE; the coroutine stops here.
    if (s->deferred_) s->undefer_();
    if constexpr (K == op_kind::fd) {
        if (s->res >= 0) close_orphan_fd(*s->loop_, s->res);
    }
    p->stop();
}

template <loop_op Op, class Prep> class direct_op;
template <class F> struct run_on_issue;

/// Whether an op's Issue can carry a deadline (co::timeout): run_on cannot, since its answer
/// comes from another thread's loop, not from a request a LINK_TIMEOUT could cancel.
template <class Issue> inline constexpr bool takes_deadline = true;
template <class F> inline constexpr bool takes_deadline<run_on_issue<F>> = false;

template <bool Deadline> struct op_deadline {};
template <> struct op_deadline<true> { std::uint64_t ns = 0; };

/// The awaitable of one loop operation: `Issue(loop&, const context&)` queues it. With
/// `Deadline` (co::timeout), a linked timeout goes with it.
template <op_kind K, class Issue, bool Deadline = false>
class [[nodiscard]] op final : op_base, op_deadline<Deadline> {
public:
    op(loop& l, Issue issue) noexcept : op_base(l), issue_(issue) {}
    op(const op& o) noexcept : op_base(*o.loop_), op_deadline<Deadline>(o), issue_(o.issue_) {}
    op& operator=(const op&) = delete;

    bool await_ready() const noexcept { return false; }
    // flatten: the loop's op call (alloc, SQE, prep, commit) inlined here, as callback code gets it.
    template <class P>
    [[gnu::flatten]] bool await_suspend(std::coroutine_handle<P> h) noexcept {
        promise_base& p = h.promise();
        loop& l = *loop_;
        if constexpr (requires { issue_.refused(); }) {  // co::with_flags' flags, under co::timeout
            if (issue_.refused()) {
                res = -err::einval;
                return false;
            }
        }
        // The pool's last task stays free, for a cancel.
        if (l.in_flight() + 1 >= l.capacity()) [[unlikely]] {
            res = -err::ebusy;
            return false;
        }
        promise_ = &p;
        context c{&on_cqe<K, Deadline>, static_cast<op_base*>(this), 0, 0};
        if constexpr (Deadline) c.deadline_ns = this->ns;
        rawring::task* t = issue_(l, c);
        if (t == nullptr) [[unlikely]] {
            res = -err::ebusy;
            return false;
        }
        task_ = t;
        p.awaiting_ = this;
        if ((p.state_ & st_cancel) != 0) [[unlikely]] cancel_op(this);
        return true;
    }
    int await_resume() const noexcept { return res; }

    /// This operation with a deadline of `ns` nanoseconds (see co::timeout).
    [[nodiscard]] op<K, Issue, true> with_deadline(std::uint64_t ns) const noexcept {
        static_assert(takes_deadline<Issue>, "co::timeout: this operation cannot have a deadline");
        op<K, Issue, true> o(*loop_, issue_);
        o.ns = ns;
        return o;
    }

private:
    template <op_kind, class, bool> friend class op;
    template <loop_op, class> friend class direct_op;
    template <class> friend struct run_on_issue;
    Issue issue_;
};

template <op_kind K = op_kind::plain, class F>
inline op<K, F> make_op(loop& l, F f) noexcept { return op<K, F>(l, f); }

/// The SQE flags co::with_flags passes on. The others would lose the operation's completion
/// (IOSQE_CQE_SKIP_SUCCESS: no CQE to resume the coroutine) or its meaning (IOSQE_BUFFER_SELECT:
/// a buffer id the awaiter does not report).
inline constexpr unsigned sqe_flags_allowed = abi::IOSQE_FIXED_FILE | abi::IOSQE_IO_DRAIN | abi::IOSQE_IO_LINK |
                                              abi::IOSQE_IO_HARDLINK | abi::IOSQE_ASYNC;
inline constexpr unsigned sqe_flags_link = abi::IOSQE_IO_LINK | abi::IOSQE_IO_HARDLINK;

/// A Prep with SQE flags or-ed in after it (co::with_flags).
template <class Prep>
struct flagged_prep {
    Prep prep;
    unsigned flags;
    void operator()(abi::io_uring_sqe* sqe) const noexcept {
        prep(sqe);
        sqe->flags |= static_cast<std::uint8_t>(flags);
    }
    /// A flag co::with_flags does not pass on: the co_await gives -EINVAL, nothing queued.
    [[nodiscard]] bool refused() const noexcept { return (flags & ~sqe_flags_allowed) != 0; }
};
template <class Prep>
inline flagged_prep<Prep> add_sqe_flags(const Prep& p, unsigned flags) noexcept { return {p, flags}; }
template <class Prep>
inline flagged_prep<Prep> add_sqe_flags(const flagged_prep<Prep>& p, unsigned flags) noexcept {
    return {p.prep, p.flags | flags};
}

/// A loop task of plain kind `Op` whose SQE `prep` fills: direct_op's way through the task path.
template <loop_op Op, class Prep>
struct prepared_issue {
    Prep prep;
    rawring::task* operator()(loop& l, const context& c) const noexcept {
        return loop_hooks::prepared(l, Op, prep, c);
    }
    bool refused() const noexcept requires requires { prep.refused(); } { return prep.refused(); }
};

/// The awaitable of a plain operation with a single CQE, whose SQE `Prep(sqe)` fills: a direct
/// completion, the loop's CQ walk writing the result into this awaiter and resuming the
/// coroutine, with no task from the pool, no context and no callback. When the loop cannot take
/// it so (the SQ full, tasks queued for SQ room, a loop_mock attached), or with a deadline
/// (co::timeout), it goes as a task of loop operation `Op`, as op does.
template <loop_op Op, class Prep>
class [[nodiscard]] direct_op final : op_base {
public:
    direct_op(loop& l, Prep prep) noexcept : op_base(l), prep_(prep) { cancel_fn = &cancel_direct; }
    direct_op(const direct_op& o) noexcept : op_base(*o.loop_), prep_(o.prep_) { cancel_fn = &cancel_direct; }
    direct_op& operator=(const direct_op&) = delete;

    bool await_ready() const noexcept { return false; }
    // The direct path alone inline, so that it needs no saved registers; the task path, with the
    // loop's op call flattened into it, out of line.
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        promise_base& p = h.promise();
        promise_ = &p;  // (await_resume reads it on every path)
        if constexpr (requires { prep_.refused(); }) {  // co::with_flags
            if (prep_.refused()) {
                res = -err::einval;  // nothing queued
                return false;
            }
            // A link reaches the SQE queued next only within one submission: make room for
            // both now, so that the next operation's SQE cannot need a submit of its own.
            if ((prep_.flags & sqe_flags_link) != 0 && loop_->raw_ring().sq_space_left() < 2) (void)loop_->submit();
        }
        // A close the loop's fd tracking must see goes as a task (the tracking reads its CQE).
        if constexpr (Op == loop_op::close) {
            if (loop_hooks::tracks_fds(*loop_)) return by_task_(p);
        }
        // Null also while in_flight() + 1 >= capacity(): the pool's last task stays free, for a
        // cancel, and a direct completion counts as a task.
        if (abi::io_uring_sqe* sqe = loop_hooks::direct_sqe(*loop_)) [[likely]] {
            prep_(sqe);
            frame = reinterpret_cast<std::uintptr_t>(h.address());
            loop_hooks::direct_commit(*loop_, sqe, this);
            p.awaiting_ = this;
            if ((p.state_ & st_cancel) != 0) [[unlikely]] cancel_direct(this);
            return true;
        }
        return by_task_(p);
    }
    int await_resume() const noexcept {
        // The loop resumed it directly: nothing to cancel any more (on_cqe does it for a task).
        promise_->awaiting_ = nullptr;
        // A timer that fired is a success (on the task path the loop says so already).
        if constexpr (Op == loop_op::timer) return res == -err::etime ? 0 : res;
        return res;
    }

    /// This operation with SQE flags `flags` or-ed in (see co::with_flags).
    [[nodiscard]] auto with_sqe_flags(unsigned flags) const noexcept {
        using F = decltype(add_sqe_flags(prep_, flags));
        return direct_op<Op, F>(*loop_, add_sqe_flags(prep_, flags));
    }

    /// This operation with a deadline of `ns` nanoseconds (see co::timeout): a task.
    [[nodiscard]] op<op_kind::plain, prepared_issue<Op, Prep>, true> with_deadline(std::uint64_t ns) const noexcept {
        op<op_kind::plain, prepared_issue<Op, Prep>, true> o(*loop_, prepared_issue<Op, Prep>{prep_});
        o.ns = ns;
        return o;
    }

private:
    template <loop_op, class> friend class direct_op;
    [[gnu::noinline, gnu::flatten]] bool by_task_(promise_base& p) noexcept {
        loop& l = *loop_;
        if (l.in_flight() + 1 >= l.capacity()) [[unlikely]] {
            res = -err::ebusy;
            return false;
        }
        task_ = loop_hooks::prepared(l, Op, prep_, {&on_cqe<op_kind::plain, false>, static_cast<op_base*>(this), 0, 0});
        if (task_ == nullptr) [[unlikely]] {
            res = -err::ebusy;
            return false;
        }
        cancel_fn = &cancel_op;
        p.awaiting_ = this;
        if ((p.state_ & st_cancel) != 0) [[unlikely]] cancel_op(this);
        return true;
    }
    [[no_unique_address]] Prep prep_;  // (noop's is empty)
};

template <loop_op Op, class F>
inline direct_op<Op, F> make_direct_op(loop& l, F f) noexcept { return direct_op<Op, F>(l, f); }

inline std::uint64_t to_ns(std::chrono::nanoseconds d) noexcept {
    return d.count() <= 0 ? 1 : static_cast<std::uint64_t>(d.count());
}

} // namespace detail

/// `op` with a deadline (IORING_OP_LINK_TIMEOUT linked to it): if it fires first the kernel
/// cancels the operation and the co_await gives -ETIME (or the result, if the operation
/// completed first). A duration of 0 or less fires at once. Since Linux 5.5.
template <detail::op_kind K, class F, bool D>
inline auto timeout(const detail::op<K, F, D>& op, std::chrono::nanoseconds d) noexcept {
    return op.with_deadline(detail::to_ns(d));
}
template <loop_op Op, class F>
inline auto timeout(const detail::direct_op<Op, F>& op, std::chrono::nanoseconds d) noexcept {
    return op.with_deadline(detail::to_ns(d));
}

/// `op` with SQE flags (IOSQE_*) or-ed into its SQE: IOSQE_ASYNC (issue it in io-wq at once,
/// without the inline attempt), IOSQE_FIXED_FILE (its fd is a registered slot), IOSQE_IO_DRAIN,
/// and IOSQE_IO_LINK / IOSQE_IO_HARDLINK, which make the operation queued next on the loop
/// wait for this one (an IO_LINK chain is cut by this one's failure or short transfer, and the
/// next operation then gives -ECANCELED). A link holds within one submission: start both in
/// one when_all, in order (when_all starts its children in argument order); rawring::co makes
/// room in the SQ for the two before queueing the first, and the second must have no
/// deadline (co::timeout), which would need a third SQE. Any other flag, or one that would lose
/// the completion (IOSQE_CQE_SKIP_SUCCESS, IOSQE_BUFFER_SELECT), gives -EINVAL with nothing
/// queued. For the operations that complete with one CQE (noop, sleep, sleep_until, read,
/// write, read_fixed, write_fixed, readv, writev, fsync, statx, stat, lstat, connect, send, recv,
/// poll, splice, close, close_fixed). liburing: setting
/// `sqe->flags` (`io_uring_sqe_set_flags()`).
template <loop_op Op, class F>
inline auto with_flags(const detail::direct_op<Op, F>& op, unsigned flags) noexcept {
    return op.with_sqe_flags(flags);
}

/// IORING_OP_NOP: 0. liburing: `io_uring_prep_nop()`.
inline auto noop(loop& l) noexcept {
    return detail::make_direct_op<loop_op::noop>(l, [](abi::io_uring_sqe* sqe) noexcept { prep_nop(sqe); });
}
namespace detail {
/// A timer's SQE (IORING_OP_TIMEOUT, no completion count). The kernel reads the timespec while it
/// takes the SQE in, at the next submit: it lives here, in the awaiter, which is still there.
struct timer_prep {
    abi::kernel_timespec ts;
    unsigned flags;
    void operator()(abi::io_uring_sqe* sqe) const noexcept { prep_timeout(sqe, &ts, 0, flags); }
};
inline timer_prep make_timer(std::uint64_t ns, unsigned flags) noexcept {
    return {rawring::detail::to_ts(ns), flags};
}
} // namespace detail

/// Resumes after `d` (CLOCK_MONOTONIC): 0. liburing: `io_uring_prep_timeout()`.
inline auto sleep(loop& l, std::chrono::nanoseconds d) noexcept {
    return detail::make_direct_op<loop_op::timer>(l, detail::make_timer(detail::to_ns(d), 0));
}
/// Resumes at `when` (std::chrono::steady_clock is CLOCK_MONOTONIC on Linux): 0.
inline auto sleep_until(loop& l, std::chrono::steady_clock::time_point when) noexcept {
    const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    const std::uint64_t ns = since <= 0 ? 1 : static_cast<std::uint64_t>(since);
    return detail::make_direct_op<loop_op::timer>(l, detail::make_timer(ns, abi::IORING_TIMEOUT_ABS));
}
/// read(2)/pread(2) (`offset` -1: the file position): bytes read.
inline auto read(loop& l, int fd, void* buf, unsigned len, std::uint64_t offset = ~std::uint64_t{0}) noexcept {
    return detail::make_direct_op<loop_op::read>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_rw(abi::IORING_OP_READ, sqe, fd, buf, len, offset); });
}
/// write(2)/pwrite(2): bytes written.
inline auto write(loop& l, int fd, const void* buf, unsigned len, std::uint64_t offset = ~std::uint64_t{0}) noexcept {
    return detail::make_direct_op<loop_op::write>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_rw(abi::IORING_OP_WRITE, sqe, fd, buf, len, offset); });
}
/// A read into registered buffer `buf_index` (IORING_OP_READ_FIXED; see loop::read_fixed):
/// bytes read.
inline auto read_fixed(loop& l, int fd, void* buf, unsigned len, std::uint64_t offset, unsigned buf_index) noexcept {
    return detail::make_direct_op<loop_op::read_fixed>(l, [=](abi::io_uring_sqe* sqe) noexcept {
        prep_read_fixed(sqe, fd, buf, len, offset, static_cast<int>(buf_index));
    });
}
/// A write from registered buffer `buf_index` (IORING_OP_WRITE_FIXED): bytes written.
inline auto write_fixed(loop& l, int fd, const void* buf, unsigned len, std::uint64_t offset,
                        unsigned buf_index) noexcept {
    return detail::make_direct_op<loop_op::write_fixed>(l, [=](abi::io_uring_sqe* sqe) noexcept {
        prep_write_fixed(sqe, fd, buf, len, offset, static_cast<int>(buf_index));
    });
}
/// readv(2)/preadv(2); `iov` lives in the caller's frame.
inline auto readv(loop& l, int fd, const iovec* iov, unsigned n, std::uint64_t offset = ~std::uint64_t{0}) noexcept {
    return detail::make_direct_op<loop_op::readv>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_rw(abi::IORING_OP_READV, sqe, fd, iov, n, offset); });
}
/// writev(2)/pwritev(2).
inline auto writev(loop& l, int fd, const iovec* iov, unsigned n, std::uint64_t offset = ~std::uint64_t{0}) noexcept {
    return detail::make_direct_op<loop_op::writev>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_rw(abi::IORING_OP_WRITEV, sqe, fd, iov, n, offset); });
}
/// openat(2): the new fd.
inline auto open(loop& l, const char* path, int flags, unsigned mode = 0, int dfd = at_fdcwd) noexcept {
    return detail::make_op<detail::op_kind::fd>(
        l, [=](loop& lp, const context& c) noexcept { return lp.open(path, flags, mode, c, dfd); });
}
/// close(2): 0.
inline auto close(loop& l, int fd) noexcept {
    return detail::make_direct_op<loop_op::close>(l, [=](abi::io_uring_sqe* sqe) noexcept { prep_close(sqe, fd); });
}
/// fsync(2) (IORING_FSYNC_DATASYNC: fdatasync): 0.
inline auto fsync(loop& l, int fd, unsigned flags = 0) noexcept {
    return detail::make_direct_op<loop_op::fsync>(l, [=](abi::io_uring_sqe* sqe) noexcept { prep_fsync(sqe, fd, flags); });
}
/// statx(2) into `*out`: 0.
inline auto statx(loop& l, int dfd, const char* path, int flags, unsigned mask, struct ::statx* out) noexcept {
    return detail::make_direct_op<loop_op::statx>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_statx(sqe, dfd, path, flags, mask, out); });
}
/// stat(2) as statx: 0.
inline auto stat(loop& l, const char* path, struct ::statx* out) noexcept {
    return statx(l, at_fdcwd, path, 0, 0x7ffu, out);  // as loop::stat
}
/// lstat(2) as statx: 0.
inline auto lstat(loop& l, const char* path, struct ::statx* out) noexcept {
    return statx(l, at_fdcwd, path, 0x100, 0x7ffu, out);  // as loop::lstat
}
/// socket(2): the new fd. Since Linux 5.19.
inline auto socket(loop& l, int domain, int type, int protocol = 0) noexcept {
    return detail::make_op<detail::op_kind::fd>(
        l, [=](loop& lp, const context& c) noexcept { return lp.socket(domain, type, protocol, c); });
}
/// connect(2): 0.
inline auto connect(loop& l, int fd, const sockaddr* addr, unsigned len) noexcept {
    return detail::make_direct_op<loop_op::connect>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_connect(sqe, fd, addr, len); });
}
/// accept4(2): the new fd.
inline auto accept(loop& l, int fd, int flags = 0, sockaddr* addr = nullptr, unsigned* len = nullptr) noexcept {
    return detail::make_op<detail::op_kind::fd>(
        l, [=](loop& lp, const context& c) noexcept { return lp.accept(fd, addr, len, flags, c); });
}
/// send(2): bytes sent.
inline auto send(loop& l, int fd, const void* buf, std::size_t len, int flags = 0) noexcept {
    return detail::make_direct_op<loop_op::send>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_send(sqe, fd, buf, len, flags); });
}
/// recv(2): bytes received, 0 at end of stream. `recv_flags` go in the SQE's ioprio:
/// IORING_RECVSEND_POLL_FIRST (Linux 5.19) waits for data before the first try, for a socket
/// known to be empty (a server that has just answered a client that waits for the answer).
inline auto recv(loop& l, int fd, void* buf, std::size_t len, int flags = 0, unsigned recv_flags = 0) noexcept {
    return detail::make_direct_op<loop_op::recv>(l, [=](abi::io_uring_sqe* sqe) noexcept {
        prep_recv(sqe, fd, buf, len, flags);
        sqe->ioprio |= static_cast<std::uint16_t>(recv_flags);  // prep_recv left it 0
    });
}
/// Zero-copy send: resumes once the send's result and its notification (IORING_CQE_F_NOTIF)
/// both arrived, so `buf` may be reused at once: bytes sent. Since Linux 6.0.
inline auto send_zc(loop& l, int fd, const void* buf, std::size_t len, int flags = 0, unsigned zc_flags = 0) noexcept {
    return detail::make_op<detail::op_kind::zc>(
        l, [=](loop& lp, const context& c) noexcept { return lp.send_zc(fd, buf, len, flags, zc_flags, c); });
}
/// One-shot poll for POLL* `mask`: the events.
inline auto poll(loop& l, int fd, unsigned mask) noexcept {
    return detail::make_direct_op<loop_op::poll>(l, [=](abi::io_uring_sqe* sqe) noexcept { prep_poll_add(sqe, fd, mask); });
}
/// splice(2): bytes moved.
inline auto splice(loop& l, int fd_in, std::int64_t off_in, int fd_out, std::int64_t off_out, unsigned len,
                   unsigned flags = 0) noexcept {
    return detail::make_direct_op<loop_op::splice>(l, [=](abi::io_uring_sqe* sqe) noexcept {
        prep_splice(sqe, fd_in, off_in, fd_out, off_out, len, flags);
    });
}
/// Cancels a loop task (callback code's): 0, -ENOENT, -EALREADY.
inline auto cancel(loop& l, rawring::task* target) noexcept {
    return detail::make_op(l, [=](loop& lp, const context& c) noexcept { return lp.cancel(target, c); });
}
/// Cancels everything in flight on the loop (IORING_ASYNC_CANCEL_ANY): coroutines awaiting
/// those operations are resumed with -ECANCELED (they were not cancelled as coroutines). Result:
/// how many the kernel found.
inline auto cancel_all(loop& l) noexcept {
    return detail::make_op(l, [](loop& lp, const context& c) noexcept { return lp.cancel_all(c); });
}
/// Cancels every operation on `fd` (their co_awaits give -ECANCELED): how many. Since 5.19.
inline auto cancel_fd(loop& l, int fd) noexcept {
    return detail::make_op(l, [=](loop& lp, const context& c) noexcept { return lp.cancel_fd(fd, c); });
}
/// MSG_RING a value to `target`'s on_message handler: 0 or -errno. Since Linux 5.18.
inline auto msg_value(loop& l, loop& target, std::uint64_t data, std::int32_t value) noexcept {
    loop* tp = &target;
    return detail::make_op(l, [=](loop& lp, const context& c) noexcept { return lp.msg_value(*tp, data, value, c); });
}
/// MSG_RING registered file `slot` into a free slot of `target` (its on_message sees kind::fd).
inline auto send_fd(loop& l, loop& target, unsigned slot, std::uint64_t data) noexcept {
    loop* tp = &target;
    return detail::make_op(l, [=](loop& lp, const context& c) noexcept { return lp.send_fd(*tp, slot, data, c); });
}
/// A regular fd for registered slot `slot`. Since Linux 6.8.
inline auto install_fixed(loop& l, unsigned slot) noexcept {
    return detail::make_op<detail::op_kind::fd>(
        l, [=](loop& lp, const context& c) noexcept { return lp.install_fixed(slot, c); });
}
/// Closes registered slot `slot`: 0.
inline auto close_fixed(loop& l, unsigned slot) noexcept {
    return detail::make_direct_op<loop_op::close_fixed>(
        l, [=](abi::io_uring_sqe* sqe) noexcept { prep_close_direct(sqe, slot); });
}
namespace detail {
/// run_on's Issue: the loop's run_on with an answer; `f` lives in the awaiter (the frame),
/// which outlives the answer.
template <class F>
struct run_on_issue {
    loop* target;
    F f;
    rawring::task* operator()(loop& l, const context& c) const noexcept {
        // c.fn (on_cqe) is the answer here; the target runs `remote`, which finds `f` in the
        // awaiter that c.user names.
        return l.run_on(*target, {&remote, c.user, c.tag, 0}, c.fn);
    }
    static void remote(loop& target, rawring::task& t, const abi::io_uring_cqe&) noexcept {
        using awaiter = op<op_kind::plain, run_on_issue>;
        static_cast<awaiter*>(static_cast<op_base*>(t.user()))->issue_.f(target);
    }
};
} // namespace detail

/// Runs `f(target)` on `target`'s thread (a loop of spawn_thread, or one another thread runs)
/// and resumes here once it has run: 0, or the -errno of a send that failed (`f` then never
/// ran). What this coroutine wrote before happens before `f` runs, and what `f` wrote happens
/// before the coroutine resumes. `f` is a noexcept callable of `loop&`, kept in the awaiter; it
/// runs inside the target's run, so it must not block, and it may queue work on the target.
/// Cancelling the awaiting coroutine cannot take the message back: `f` may still run, and the
/// coroutine stops once the answer came. No co::timeout (the answer is not a request a
/// deadline could cancel). One pool task (loop::run_on). Since Linux 5.18.
template <class F>
inline auto run_on(loop& l, loop& target, F f) noexcept {
    return detail::op<detail::op_kind::plain, detail::run_on_issue<F>>(l, detail::run_on_issue<F>{&target, f});
}

/// socket -> connect: the connected fd (`addr` lives in the caller's frame). With
/// co::timeout, the deadline bounds the connect step.
inline auto tcp_connect(loop& l, const sockaddr* addr, unsigned len, int type) noexcept {
    return detail::make_op<detail::op_kind::fd>(
        l, [=](loop& lp, const context& c) noexcept { return lp.tcp_connect(addr, len, type, c); });
}

// =================================================================================================
// spawn, scope, run
// =================================================================================================

/// Starts `t` detached, at once (it runs until its first suspension): it frees itself when it
/// ends. Returns 0, or -ENOMEM (t has no frame). `l` is the loop its operations run on (unused
/// otherwise: a coroutine names the loop of each operation).
template <class T>
inline int spawn(loop& l, task<T>&& t) noexcept {
    (void)l;
    auto h = t.release();
    if (!h) return -err::enomem;
    detail::start_owned(h, &detail::detached_end, nullptr);
    return 0;
}

/// A group of spawned coroutines: counted, cancelled together, awaited together. No
/// allocation (an intrusive list through the frames). Destroying the scope cancels what is
/// left; those coroutines then free themselves once stopped.
class scope {
public:
    scope() noexcept = default;
    ~scope() {
        cancel();
        while (head_ != nullptr) {  // forget them: they are detached now
            detail::promise_base* p = head_;
            head_ = p->scope_next_;
            p->scope_prev_ = p->scope_next_ = nullptr;
            p->on_end_ = &detail::detached_end;
            p->end_ctx_ = nullptr;
        }
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

    /// Starts `t` in this scope (at once, as co::spawn). Returns 0 or -ENOMEM.
    template <class T>
    int spawn(task<T>&& t) noexcept {
        auto h = t.release();
        if (!h) return -err::enomem;
        detail::promise_base& p = h.promise();
        p.scope_next_ = head_;
        if (head_ != nullptr) head_->scope_prev_ = &p;
        head_ = &p;
        ++size_;
        ++spawned_;
        if (cancelled_) p.state_ |= detail::st_cancel;
        detail::start_owned(h, &end_, this);
        return 0;
    }
    /// Coroutines of this scope still alive.
    [[nodiscard]] unsigned size() const noexcept { return size_; }
    /// Coroutines this scope ever started, and how many of them ended by cancellation.
    [[nodiscard]] unsigned spawned() const noexcept { return spawned_; }
    [[nodiscard]] unsigned stopped() const noexcept { return stopped_; }
    /// Cancels every coroutine of this scope (and, while it stays cancelled, each spawned later).
    void cancel() noexcept {
        cancelled_ = true;
        for (detail::promise_base* p = head_; p != nullptr; p = p->scope_next_) detail::request_cancel(p);
    }
    /// Takes back cancel() for coroutines spawned from now on.
    void reset_cancel() noexcept { cancelled_ = false; }

    /// co_await scope.join(): resumes once size() is 0.
    struct join_awaiter : detail::waitable {
        scope* s;
        std::coroutine_handle<> h{};
        detail::promise_base* p = nullptr;
        explicit join_awaiter(scope* sc) noexcept : s(sc) {
            cancel_fn = [](detail::waitable* w) noexcept {
                // The coroutine awaiting the join is cancelled: cancel what it waits for.
                static_cast<join_awaiter*>(w)->s->cancel();
            };
        }
        bool await_ready() const noexcept { return s->size_ == 0; }
        template <class P>
        void await_suspend(std::coroutine_handle<P> hh) noexcept {
            h = hh;
            p = &hh.promise();
            p->awaiting_ = this;
            s->joiner_ = this;
            if (p->cancelled()) s->cancel();
        }
        void await_resume() const noexcept {}
    };
    [[nodiscard]] join_awaiter join() noexcept { return join_awaiter(this); }

private:
    static std::coroutine_handle<> end_(detail::promise_base* p, bool stopped) noexcept {
        auto* s = static_cast<scope*>(p->end_ctx_);
        if (p->scope_prev_ != nullptr) p->scope_prev_->scope_next_ = p->scope_next_;
        else s->head_ = p->scope_next_;
        if (p->scope_next_ != nullptr) p->scope_next_->scope_prev_ = p->scope_prev_;
        --s->size_;
        if (stopped) ++s->stopped_;
        std::coroutine_handle<>::from_address(p->self_).destroy();
        if (s->size_ == 0 && s->joiner_ != nullptr) {
            join_awaiter* j = std::exchange(s->joiner_, nullptr);
            j->p->awaiting_ = nullptr;
            if (j->p->cancelled()) {
                j->p->stop();
                return std::noop_coroutine();
            }
            return j->h;
        }
        return std::noop_coroutine();
    }

    detail::promise_base* head_ = nullptr;
    join_awaiter* joiner_ = nullptr;
    unsigned size_ = 0;
    unsigned spawned_ = 0;
    unsigned stopped_ = 0;
    bool cancelled_ = false;
};

namespace detail {
struct run_state {
    loop* in_run = nullptr;  // set while loop::run_for runs for it: stopped when the task ends
    bool ended = false;
    bool stopped = false;
};
inline std::coroutine_handle<> run_end(promise_base* p, bool stopped) noexcept {
    auto* r = static_cast<run_state*>(p->end_ctx_);
    r->ended = true;
    r->stopped = stopped;
    if (r->in_run != nullptr) r->in_run->stop();
    return std::noop_coroutine();
}
/// Drives `l` until `*r` ended: 0, the loop's -errno, or -EDEADLK (nothing in flight that could
/// ever end it).
inline int drive_until(loop& l, run_state& r) noexcept {
    while (!r.ended) {
        retry_cancels();
        int ret;
        if (l.in_flight() != 0) {
            ret = l.run(run_mode::once);
        } else if (deferred_cancels != nullptr || message_waiters != 0) {
            // Nothing of the loop's in flight, but a message may come: wait for it (bounded, so
            // that deferred cancels are tried again).
            r.in_run = &l;
            ret = l.run_for(100'000'000);
            r.in_run = nullptr;
        } else {
            return -edeadlk;
        }
        if (ret < 0) return ret;
    }
    return 0;
}
} // namespace detail

/// Runs `t` on `l` to its end (not from inside a coroutine or a callback of `l`): 0, or the
/// loop's -errno, or -ECANCELED (it was cancelled), -ENOMEM (no frame), -EDEADLK (it awaits
/// something that can never happen). Its value is then t.result(). If the loop fails, t is
/// cancelled and left to free itself once the loop runs again (or exits).
template <class T>
inline int run(loop& l, task<T>& t) noexcept {
    auto h = t.handle();
    if (!h) return -err::enomem;
    detail::run_state r;
    detail::start_owned(h, &detail::run_end, &r);
    const int ret = detail::drive_until(l, r);
    if (ret < 0) {
        h.promise().on_end_ = nullptr;  // r goes away; t's destructor takes over
        t.cancel();
        return ret;
    }
    return r.stopped ? -detail::ecanceled : 0;
}

/// Runs `t` to its end and gives its value: for task<int>, the value or (if it could not run to
/// its end) the -errno run(l, t) gave.
inline int run(loop& l, task<int>&& t) noexcept {
    task<int> tt(static_cast<task<int>&&>(t));
    const int ret = run(l, tt);
    return ret < 0 ? ret : tt.result();
}
inline int run(loop& l, task<void>&& t) noexcept {
    task<void> tt(static_cast<task<void>&&>(t));
    return run(l, tt);
}

/// As run(l, t), bounded by `limit`: if t has not ended by then it is cancelled, the loop runs
/// until it has stopped, and the result is -ETIME. Returns 0 (t.result() its value), -ETIME,
/// -ECANCELED, -ENOMEM, -EDEADLK or the loop's -errno.
template <class T>
inline int run_for(loop& l, task<T>& t, std::chrono::nanoseconds limit) noexcept {
    auto h = t.handle();
    if (!h) return -err::enomem;
    detail::run_state r;
    detail::start_owned(h, &detail::run_end, &r);
    const auto end = std::chrono::steady_clock::now() + limit;
    int ret = 0;
    bool late = false;
    while (!r.ended) {
        detail::retry_cancels();
        if (l.in_flight() == 0 && detail::deferred_cancels == nullptr && detail::message_waiters == 0) {
            ret = -detail::edeadlk;
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= end) {
            late = true;
            t.cancel();
            ret = detail::drive_until(l, r);
            break;
        }
        r.in_run = &l;
        ret = l.run_for(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - now).count()),
                        detail::message_waiters == 0);
        r.in_run = nullptr;
        if (ret < 0) break;
        ret = 0;
    }
    if (!r.ended) {
        h.promise().on_end_ = nullptr;  // r goes away; t's destructor takes over
        t.cancel();
        return ret < 0 ? ret : -detail::edeadlk;
    }
    if (ret < 0) return ret;
    if (late) return -err::etime;
    return r.stopped ? -detail::ecanceled : 0;
}

/// Runs the loop until nothing is in flight (spawned coroutines ended, or only wait for
/// something that cannot come), retrying deferred cancels: what loop::run(until_done) does, for
/// coroutines. Returns 0 or the loop's -errno.
inline int drive(loop& l) noexcept {
    for (;;) {
        detail::retry_cancels();
        if (l.in_flight() == 0 && detail::deferred_cancels == nullptr) return 0;
        const int ret = l.run(run_mode::once);
        if (ret < 0) return ret;
    }
}

/// As drive, bounded by `limit`: 0 once nothing is in flight, -ETIME if something still is
/// then, or the loop's -errno.
inline int drive_for(loop& l, std::chrono::nanoseconds limit) noexcept {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        detail::retry_cancels();
        if (l.in_flight() == 0 && detail::deferred_cancels == nullptr) return 0;
        const auto now = std::chrono::steady_clock::now();
        if (now >= end) return -err::etime;
        // Deferred cancels wait for a task to come back: come back for them often.
        auto slice = std::chrono::duration_cast<std::chrono::nanoseconds>(end - now);
        if (detail::deferred_cancels != nullptr && slice > std::chrono::milliseconds(1)) slice = std::chrono::milliseconds(1);
        const int ret = l.run_for(static_cast<std::uint64_t>(slice.count()), true);
        if (ret < 0) return ret;
    }
}

// =================================================================================================
// when_all, when_any, timeout of a task
// =================================================================================================

namespace detail {

/// What when_all and when_any share: N children started at once, the parent resumed once every
/// one of them ended; cancelling the parent cancels every child; in when_any the first child to
/// return cancels the others.
struct join_base : waitable {
    promise_base* parent_ = nullptr;
    std::coroutine_handle<> parent_h_{};
    promise_base* (*child_)(join_base*, std::size_t) noexcept = nullptr;  // child i, or null
    std::size_t n_ = 0;
    std::size_t winner_ = ~std::size_t{0};
    unsigned remaining_ = 0;
    bool any_ = false;

    join_base() noexcept {
        cancel_fn = [](waitable* w) noexcept { static_cast<join_base*>(w)->cancel_children_(~std::size_t{0}); };
    }

    void cancel_children_(std::size_t except) noexcept {
        for (std::size_t i = 0; i < n_; ++i)
            if (i != except)
                if (promise_base* c = child_(this, i)) request_cancel(c);
    }

    static std::coroutine_handle<> child_end(promise_base* p, bool stopped) noexcept {
        auto* j = static_cast<join_base*>(p->end_ctx_);
        if (!stopped && j->any_ && j->winner_ == ~std::size_t{0}) {
            j->winner_ = p->index_;
            // The others lose. The extra count keeps a loser that ended at once from resuming
            // the parent from in here.
            ++j->remaining_;
            j->cancel_children_(p->index_);
            --j->remaining_;
        }
        return j->one_ended_();
    }

    std::coroutine_handle<> one_ended_() noexcept {
        if (--remaining_ != 0) return std::noop_coroutine();
        parent_->awaiting_ = nullptr;
        if (parent_->cancelled()) {
            parent_->stop();
            return std::noop_coroutine();
        }
        return parent_h_;
    }

    template <class P>
    std::coroutine_handle<> suspend_(std::coroutine_handle<P> h) noexcept {
        parent_ = &h.promise();
        parent_h_ = h;
        parent_->awaiting_ = this;
        remaining_ = static_cast<unsigned>(n_) + 1;  // + 1 while they start
        for (std::size_t i = 0; i < n_; ++i) {
            promise_base* c = child_(this, i);
            if (c == nullptr) {  // no frame: it ended before it began
                --remaining_;
                continue;
            }
            c->index_ = static_cast<std::uint32_t>(i);
            if (parent_->cancelled() || (any_ && winner_ != ~std::size_t{0})) c->state_ |= st_cancel;
            start_owned(std::coroutine_handle<>::from_address(c->self_), c, &child_end, this);
        }
        if (--remaining_ != 0) return std::noop_coroutine();
        // Every child ended while starting.
        parent_->awaiting_ = nullptr;
        if (parent_->cancelled()) {
            parent_->stop();
            return std::noop_coroutine();
        }
        return h;
    }

    static void start_owned(std::coroutine_handle<> h, promise_base* p, end_fn fn, void* ctx) noexcept {
        p->on_end_ = fn;
        p->end_ctx_ = ctx;
        p->state_ |= st_started;
        h.resume();
    }
};

template <class... T>
struct tuple_join : join_base {
    std::tuple<task<T>...> tasks_;

    explicit tuple_join(task<T>&&... t) noexcept : tasks_(static_cast<task<T>&&>(t)...) { child_ = &child_at_; }
    tuple_join(tuple_join&& o) noexcept : join_base(), tasks_(static_cast<std::tuple<task<T>...>&&>(o.tasks_)) {
        child_ = &child_at_;
        any_ = o.any_;
    }

    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
        n_ = sizeof...(T);
        return suspend_(h);
    }

    template <std::size_t... I>
    promise_base* at_(std::size_t i, std::index_sequence<I...>) noexcept {
        promise_base* r = nullptr;
        ((I == i && std::get<I>(tasks_).valid() ? (void)(r = &std::get<I>(tasks_).handle().promise()) : (void)0), ...);
        return r;
    }
    static promise_base* child_at_(join_base* j, std::size_t i) noexcept {
        return static_cast<tuple_join*>(j)->at_(i, std::index_sequence_for<T...>{});
    }
};

template <class T>
struct span_join : join_base {
    std::span<task<T>> tasks_;
    span_join(std::span<task<T>> t, bool any) noexcept : tasks_(t) {
        child_ = &child_at_;
        any_ = any;
    }
    span_join(const span_join& o) noexcept : join_base(), tasks_(o.tasks_) {
        child_ = &child_at_;
        any_ = o.any_;
    }
    bool await_ready() const noexcept { return tasks_.empty(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
        n_ = tasks_.size();
        return suspend_(h);
    }
    static promise_base* child_at_(join_base* j, std::size_t i) noexcept {
        task<T>& t = static_cast<span_join*>(j)->tasks_[i];
        return t.valid() ? &t.handle().promise() : nullptr;
    }
};

template <class T> struct value_of { using type = T; };
template <> struct value_of<void> { using type = nothing; };
template <class T>
typename value_of<T>::type take(task<T>& t) noexcept {
    if constexpr (std::is_void_v<T>) return nothing{};
    else return t.result();
}

template <class... T>
struct when_all_awaiter : tuple_join<T...> {
    using tuple_join<T...>::tuple_join;
    std::tuple<typename value_of<T>::type...> await_resume() noexcept {
        return std::apply([](task<T>&... x) { return std::tuple<typename value_of<T>::type...>(take(x)...); },
                          this->tasks_);
    }
};

template <class T>
struct span_all_awaiter : span_join<T> {
    using span_join<T>::span_join;
    void await_resume() const noexcept {}
};

template <class T>
struct span_any_awaiter : span_join<T> {
    using span_join<T>::span_join;
    std::size_t await_resume() const noexcept { return this->winner_; }
};

} // namespace detail

/// when_any's result: which task returned first, and its value.
template <class T>
struct any_result {
    std::size_t index;
    T value;
};
template <>
struct any_result<void> {
    std::size_t index;
};

namespace detail {
template <class T, class... U>
struct when_any_awaiter : tuple_join<T, U...> {
    explicit when_any_awaiter(task<T>&& a, task<U>&&... b) noexcept
        : tuple_join<T, U...>(static_cast<task<T>&&>(a), static_cast<task<U>&&>(b)...) {
        this->any_ = true;
    }
    any_result<T> await_resume() noexcept {
        const std::size_t w = this->winner_;
        if constexpr (std::is_void_v<T>) {
            return {w};
        } else {
            T v = failed_value<T>();
            pick_(w, v, std::index_sequence_for<T, U...>{});
            return {w, static_cast<T&&>(v)};
        }
    }
    template <class V, std::size_t... I>
    void pick_(std::size_t w, V& v, std::index_sequence<I...>) noexcept {
        ((I == w ? (void)(v = std::get<I>(this->tasks_).result()) : (void)0), ...);
    }
};
} // namespace detail

/// Runs every task at once; resumes when all of them ended, with their values (a tuple; a
/// task<void>'s place holds a co::nothing). Cancelling the awaiting coroutine cancels them all;
/// it stops once they all did.
template <class... T>
inline detail::when_all_awaiter<T...> when_all(task<T>&&... t) noexcept {
    return detail::when_all_awaiter<T...>(static_cast<task<T>&&>(t)...);
}

/// when_all over a range of tasks, which the caller keeps: each holds its value
/// (tasks[i].result()) after the co_await.
template <class T>
inline detail::span_all_awaiter<T> when_all(std::span<task<T>> tasks) noexcept {
    return detail::span_all_awaiter<T>(tasks, false);
}

/// Runs every task at once; the first to return wins and the others are cancelled. The awaiting
/// coroutine resumes once every loser has stopped (the CQEs of their operations all in), with
/// the winner's index and value. The losers' values are dropped.
template <class T, class... U>
inline detail::when_any_awaiter<T, U...> when_any(task<T>&& first, task<U>&&... rest) noexcept {
    static_assert((std::is_same_v<T, U> && ...), "when_any: every task returns the same type");
    return detail::when_any_awaiter<T, U...>(static_cast<task<T>&&>(first), static_cast<task<U>&&>(rest)...);
}

/// when_any over a range of tasks, which the caller keeps: the winner's index (its value:
/// tasks[index].result()).
template <class T>
inline detail::span_any_awaiter<T> when_any(std::span<task<T>> tasks) noexcept {
    return detail::span_any_awaiter<T>(tasks, true);
}

// The two coroutines of this header are static templates, not inline functions: clang 14 with
// -fsanitize=function (part of -fsanitize=undefined) cannot assemble a coroutine placed in a
// COMDAT section ("Cannot represent a difference across sections"); internal linkage avoids it.
// The same holds for a program's own coroutines (lambdas, templates, inline functions) under
// that sanitizer: build them with -fno-sanitize=function, or give them internal linkage.

/// An operation as a task (for when_any, when_all): its result.
template <class Op>
static task<int> as_task(Op op) {
    co_return co_await op;
}

/// `t` bounded by `d`: its value if it returns first; else it is cancelled and, once it has
/// stopped (its operations' CQEs all in), -ETIME.
template <class T>
static task<T> timeout(loop& l, task<T> t, std::chrono::nanoseconds d) {
    static_assert(std::is_same_v<T, int>, "co::timeout of a task: task<int> only");
    auto r = co_await when_any(static_cast<task<T>&&>(t), as_task(co::sleep(l, d)));
    co_return r.index == 0 ? r.value : -err::etime;
}

// =================================================================================================
// Streams of multishot operations
// =================================================================================================

namespace detail {

/// A bounded queue of CQE results.
template <class Item, unsigned N>
struct ring_queue {
    static_assert(N > 0);
    Item items[N];
    unsigned head = 0, count = 0;
    bool push(const Item& i) noexcept {
        if (count == N) return false;
        items[(head + count++) % N] = i;
        return true;
    }
    Item pop() noexcept {
        Item i = items[head];
        head = (head + 1) % N;
        --count;
        return i;
    }
};

/// What the streams share: the multishot's loop task and the one coroutine waiting on it.
struct stream_base : deferrable {
    loop* loop_;
    // (deferred_ is set at construction here: a stream's cancel may be asked for more than once.)
    rawring::task* task_ = nullptr;  // the armed multishot, or null
    promise_base* waiter_ = nullptr;
    std::int32_t end_ = 0;           // the -errno that ended the stream for good (0: none)
    bool cancel_sent_ = false;

    explicit stream_base(loop& l) noexcept : loop_(&l) {
        deferred_ = false;
        // The waiting coroutine is cancelled: cancel the multishot; it stops at the last CQE.
        cancel_fn = [](waitable* w) noexcept { static_cast<stream_base*>(w)->send_cancel_(); };
    }
    void send_cancel_() noexcept {
        if (task_ == nullptr || cancel_sent_ || deferred_) return;
        if (loop_->cancel(task_, {&on_cancel_done}) != nullptr) cancel_sent_ = true;
        else defer_();
    }
    /// The multishot ended (its last CQE): nothing left to cancel.
    void ended_() noexcept {
        task_ = nullptr;
        if (deferred_) undefer_();
    }
    [[nodiscard]] bool can_arm_() const noexcept { return loop_->in_flight() + 1 < loop_->capacity(); }
    /// After a CQE: resumes (or stops) the waiting coroutine, if any. Touches nothing of this
    /// object after that (the coroutine may destroy it).
    void wake_() noexcept {
        promise_base* p = waiter_;
        if (p == nullptr) return;
        if (p->cancelled()) [[unlikely]] {
            if (task_ != nullptr) {  // still armed: stop at its last CQE
                send_cancel_();
                return;
            }
            waiter_ = nullptr;
            p->awaiting_ = nullptr;
            p->stop();
            return;
        }
        waiter_ = nullptr;
        p->awaiting_ = nullptr;
        std::coroutine_handle<>::from_address(p->self_).resume();
    }
    template <class P>
    void wait_(std::coroutine_handle<P> h) noexcept {
        waiter_ = &h.promise();
        waiter_->awaiting_ = this;
        if (waiter_->cancelled()) send_cancel_();
    }
    /// Destroyed while armed: the rest of the multishot's CQEs go to `orphan` (which needs
    /// nothing of this object), and the multishot is cancelled.
    /// If even that cancel finds no free task, the multishot stays armed (harmlessly) until the
    /// loop exits.
    void orphan_(callback orphan) noexcept {
        if (deferred_) undefer_();
        if (task_ == nullptr) return;
        task_->set_callback(orphan, nullptr);
        if (!cancel_sent_) (void)loop_->cancel(task_, {});
        task_ = nullptr;
    }
};

} // namespace detail

/// Multishot accept as a stream: `int fd = co_await s.next()` gives each connection's fd, or a
/// -errno (one that ended the stream stays: every later next() gives it). Fds accepted while
/// the coroutine is busy wait in a queue of N; beyond that they are closed (dropped() counts
/// them). One coroutine awaits next() at a time. Destroying the stream while it is armed
/// cancels the multishot and closes fds that still come (through the loop), with no memory of
/// the stream. The multishot is armed by the first next(). Since Linux 5.19.
template <unsigned N = 64>
class basic_accept_stream : detail::stream_base {
public:
    basic_accept_stream(loop& l, int listen_fd, int flags = 0) noexcept
        : stream_base(l), fd_(listen_fd), flags_(flags) {}
    ~basic_accept_stream() {
        orphan_(&orphan_cqe_);
        while (q_.count != 0) {
            const int fd = q_.pop();
            if (fd >= 0) detail::close_orphan_fd(*loop_, fd);
        }
    }
    basic_accept_stream(const basic_accept_stream&) = delete;
    basic_accept_stream& operator=(const basic_accept_stream&) = delete;

    struct next_awaiter {
        basic_accept_stream* s;
        int res = 0;
        bool await_ready() noexcept {
            if (s->q_.count != 0 || s->end_ != 0) return true;
            if (s->task_ == nullptr) {
                if (s->can_arm_()) s->task_ = s->loop_->accept_multishot(s->fd_, s->flags_, {&on_cqe_, s});
                if (s->task_ == nullptr) {
                    res = -err::ebusy;
                    return true;
                }
                s->cancel_sent_ = false;
            }
            return false;
        }
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept { s->wait_(h); }
        int await_resume() noexcept {
            if (res != 0) return res;
            if (s->q_.count != 0) return s->q_.pop();
            return s->end_;
        }
    };
    /// The next connection's fd, or -errno.
    [[nodiscard]] next_awaiter next() noexcept { return {this}; }
    /// Cancels the multishot: next() then gives -ECANCELED, for good, once the fds queued so far
    /// were taken.
    void close() noexcept { send_cancel_(); }
    [[nodiscard]] bool armed() const noexcept { return task_ != nullptr; }
    [[nodiscard]] unsigned dropped() const noexcept { return dropped_; }
    [[nodiscard]] unsigned queued() const noexcept { return q_.count; }

private:
    static void on_cqe_(loop& l, rawring::task& t, const abi::io_uring_cqe& c) noexcept {
        auto* s = static_cast<basic_accept_stream*>(t.user());
        const bool more = (c.flags & abi::IORING_CQE_F_MORE) != 0;
        if (!more) s->ended_();
        if (c.res >= 0 || more) {
            if (!s->q_.push(c.res)) {
                if (c.res >= 0) detail::close_orphan_fd(l, c.res);
                ++s->dropped_;
            }
        } else {
            s->end_ = c.res;  // ended (-ECANCELED after close(), or an error): for good
        }
        s->wake_();
    }
    static void orphan_cqe_(loop& l, rawring::task&, const abi::io_uring_cqe& c) noexcept {
        if (c.res >= 0) detail::close_orphan_fd(l, c.res);
    }
    int fd_;
    int flags_;
    unsigned dropped_ = 0;
    detail::ring_queue<int, N> q_{};
};
using accept_stream = basic_accept_stream<>;

/// One receive of a recv_stream: the bytes (in a buffer of the group), 0 at end of stream, or
/// -errno. Move-only; it gives its buffer back to the group when destroyed (or release()d).
class recv_buffer {
public:
    recv_buffer() noexcept = default;
    recv_buffer(buffer_group* g, std::int32_t res, std::uint32_t flags) noexcept : g_(g), res_(res), flags_(flags) {}
    recv_buffer(recv_buffer&& o) noexcept : g_(std::exchange(o.g_, nullptr)), res_(o.res_), flags_(o.flags_) {}
    recv_buffer& operator=(recv_buffer&& o) noexcept {
        if (this != &o) {
            release();
            g_ = std::exchange(o.g_, nullptr);
            res_ = o.res_;
            flags_ = o.flags_;
        }
        return *this;
    }
    ~recv_buffer() { release(); }

    /// Bytes received (> 0), 0 at end of stream, or -errno.
    [[nodiscard]] int result() const noexcept { return res_; }
    [[nodiscard]] std::span<std::byte> bytes() const noexcept {
        return g_ != nullptr ? g_->get(cqe_()) : std::span<std::byte>{};
    }
    /// The buffer's id in its group (-ENOBUFS: none).
    [[nodiscard]] int buffer_id() const noexcept { return cqe_buffer_id(cqe_()); }
    /// Gives the buffer back to the group now (nothing if it has none).
    void release() noexcept {
        if (g_ != nullptr && (flags_ & abi::IORING_CQE_F_BUFFER) != 0) (void)g_->put(cqe_());
        g_ = nullptr;
    }

private:
    [[nodiscard]] abi::io_uring_cqe cqe_() const noexcept {
        abi::io_uring_cqe c{};
        c.res = res_;
        c.flags = flags_;
        return c;
    }
    buffer_group* g_ = nullptr;
    std::int32_t res_ = 0;
    std::uint32_t flags_ = 0;
};

/// Multishot recv into buffers of `group` as a stream: `recv_buffer b = co_await s.next()`.
/// Received buffers are the consumer's until it lets go of the recv_buffer. Receives that arrive
/// while the coroutine is busy wait in a queue of N (more than the group has buffers: no
/// receive is ever dropped then). When the group runs dry the kernel ends the multishot with
/// -ENOBUFS: next() gives that once the queue is empty (not for good), and the next next()
/// arms it again. End of stream (0) and other errors end it for good. `group` must outlive the
/// stream's loop task (declare it before the loop). Since Linux 6.0.
template <unsigned N = 64>
class basic_recv_stream : detail::stream_base {
public:
    basic_recv_stream(loop& l, int fd, buffer_group& group, int flags = 0) noexcept
        : stream_base(l), group_(&group), fd_(fd), flags_(flags) {}
    ~basic_recv_stream() {
        orphan_(nullptr);  // no callback: the loop gives each later buffer back itself
        while (q_.count != 0) {
            const item i = q_.pop();
            recv_buffer(group_, i.res, i.flags).release();
        }
    }
    basic_recv_stream(const basic_recv_stream&) = delete;
    basic_recv_stream& operator=(const basic_recv_stream&) = delete;

    struct next_awaiter {
        basic_recv_stream* s;
        int res = 0;
        bool await_ready() noexcept {
            if (s->q_.count != 0 || s->end_ != 0) return true;
            if (s->task_ == nullptr) {
                if (s->can_arm_()) s->task_ = s->loop_->recv_multishot(s->fd_, *s->group_, s->flags_, {&on_cqe_, s});
                if (s->task_ == nullptr) {
                    res = -err::ebusy;
                    return true;
                }
                s->cancel_sent_ = false;
            }
            return false;
        }
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept { s->wait_(h); }
        recv_buffer await_resume() noexcept {
            if (res != 0) return recv_buffer(nullptr, res, 0);
            if (s->q_.count != 0) {
                const item i = s->q_.pop();
                return recv_buffer(s->group_, i.res, i.flags);
            }
            return recv_buffer(nullptr, s->end_ == 1 ? 0 : s->end_, 0);
        }
    };
    /// The next receive.
    [[nodiscard]] next_awaiter next() noexcept { return {this}; }
    /// Cancels the multishot: next() then gives -ECANCELED, for good, once the queue is empty.
    void close() noexcept { send_cancel_(); }
    [[nodiscard]] bool armed() const noexcept { return task_ != nullptr; }
    [[nodiscard]] unsigned dropped() const noexcept { return dropped_; }
    [[nodiscard]] unsigned queued() const noexcept { return q_.count; }

private:
    struct item {
        std::int32_t res;
        std::uint32_t flags;
    };
    static void on_cqe_(loop&, rawring::task& t, const abi::io_uring_cqe& c) noexcept {
        auto* s = static_cast<basic_recv_stream*>(t.user());
        const bool more = (c.flags & abi::IORING_CQE_F_MORE) != 0;
        if (!more) s->ended_();
        if (c.res > 0 || (more && c.res < 0)) {
            if (s->q_.push({c.res, c.flags})) {
                if ((c.flags & abi::IORING_CQE_F_BUFFER) != 0) t.keep_buffer();
            } else {
                ++s->dropped_;  // the loop gives the buffer back
            }
        } else if (c.res == -err::enobufs) {
            // Not for good: the consumer gives buffers back, and next() arms it again.
            if (s->q_.count == 0) (void)s->q_.push({c.res, 0});
        } else {
            s->end_ = c.res == 0 ? 1 : c.res;  // end of stream (1 stands for it), or an error
        }
        s->wake_();
    }
    buffer_group* group_;
    int fd_;
    int flags_;
    unsigned dropped_ = 0;
    detail::ring_queue<item, N> q_{};
};
using recv_stream = basic_recv_stream<>;

/// Messages other loops post to this one (msg_value, post_value, send_fd: loop::on_message) as
/// a stream: `rawring::message m = co_await s.next()`. The stream is the loop's on_message
/// handler while it lives (one per loop; it takes the handler over, and clears it when
/// destroyed). Messages that arrive while nobody waits queue up to N; beyond that they are
/// dropped (dropped() counts them; a dropped fd message's slot is closed). A waiting coroutine
/// that is cancelled stops after a NOP of the loop, so that it never stops from inside the code
/// that cancelled it.
template <unsigned N = 64>
class basic_message_stream : detail::deferrable {
public:
    explicit basic_message_stream(loop& l) noexcept : loop_(&l) {
        deferred_ = false;
        cancel_fn = &cancel_;
        l.on_message(&on_message_, this);
    }
    ~basic_message_stream() {
        loop_->on_message(nullptr, nullptr);
        if (deferred_) undefer_();
    }
    basic_message_stream(const basic_message_stream&) = delete;
    basic_message_stream& operator=(const basic_message_stream&) = delete;

    struct next_awaiter {
        basic_message_stream* s;
        bool await_ready() const noexcept { return s->q_.count != 0; }
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept {
            s->waiter_ = &h.promise();
            s->waiter_->awaiting_ = s;
            ++detail::message_waiters;
            if (s->waiter_->cancelled()) cancel_(s);
        }
        message await_resume() noexcept { return s->q_.pop(); }
    };
    /// The next message.
    [[nodiscard]] next_awaiter next() noexcept { return {this}; }
    [[nodiscard]] unsigned queued() const noexcept { return q_.count; }
    [[nodiscard]] unsigned dropped() const noexcept { return dropped_; }

private:
    static void on_message_(loop& l, const message& m, void* user) noexcept {
        auto* s = static_cast<basic_message_stream*>(user);
        if (!s->q_.push(m)) {
            ++s->dropped_;
            if (m.what == message::kind::fd && m.res >= 0) (void)l.close_fixed(static_cast<unsigned>(m.res), {});
            return;
        }
        detail::promise_base* p = s->waiter_;
        if (p == nullptr || p->cancelled()) return;  // a cancelled waiter stops at its NOP
        s->waiter_ = nullptr;
        p->awaiting_ = nullptr;
        --detail::message_waiters;
        std::coroutine_handle<>::from_address(p->self_).resume();
    }
    static void cancel_(detail::waitable* w) noexcept {
        auto* s = static_cast<basic_message_stream*>(w);
        s->deferred_ = false;
        if (s->loop_->noop({&stop_waiter_, s}) == nullptr) s->defer_();
    }
    static void stop_waiter_(loop&, rawring::task& t, const abi::io_uring_cqe&) noexcept {
        auto* s = static_cast<basic_message_stream*>(t.user());
        detail::promise_base* p = s->waiter_;
        if (p == nullptr) return;
        s->waiter_ = nullptr;
        p->awaiting_ = nullptr;
        --detail::message_waiters;
        p->stop();
    }
    loop* loop_;
    detail::promise_base* waiter_ = nullptr;
    unsigned dropped_ = 0;
    detail::ring_queue<message, N> q_{};
};
using message_stream = basic_message_stream<>;

} // namespace rawring::co
