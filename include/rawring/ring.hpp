// SPDX-License-Identifier: MIT
// class ring: one io_uring instance, its mapped SQ and CQ, and the submit/complete hot path.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rawring/abi.hpp"
#include "rawring/errno.hpp"
#include "rawring/sys.hpp"
#include "rawring/zig_queue.hpp"

namespace rawring {

/// How `ring::init` treats the SQ index array (IORING_SETUP_NO_SQARRAY, Linux 6.6).
enum class sq_array {
    /// Ask for NO_SQARRAY and, if the kernel refuses it with -EINVAL, set up again with the
    /// array (identity-mapped once at init, never written afterwards). What liburing does.
    automatic,
    /// Always map the array (only NO_SQARRAY in the caller's own flags removes it).
    keep,
};

/// The submission queue as mapped from the kernel, in the layout (and with the member names) of
/// liburing's `struct io_uring_sq`, so that one state serves rawring and its liburing face.
/// `khead`, `ktail`, `kflags` and `kdropped` point into shared memory and are only touched
/// through std::atomic_ref.
struct sq_ring {
    std::uint32_t* khead;
    std::uint32_t* ktail;
    std::uint32_t* kring_mask;     ///< the kernel's copy of ring_mask (liburing keeps it; rawring reads ring_mask)
    std::uint32_t* kring_entries;  ///< the kernel's copy of ring_entries
    std::uint32_t* kflags;
    std::uint32_t* kdropped;
    std::uint32_t* array;          ///< nullptr on a NO_SQARRAY ring
    abi::io_uring_sqe* sqes;       ///< 64-B slots; an SQE128 entry spans two
    std::uint32_t sqe_head;        ///< first SQE not yet published to the kernel
    std::uint32_t sqe_tail;        ///< one past the last SQE handed out by get_sqe
    std::size_t ring_sz;           ///< size of the SQ ring mapping (with SINGLE_MMAP, of both rings)
    void* ring_ptr;                ///< the SQ ring mapping
    std::uint32_t ring_mask;
    std::uint32_t ring_entries;
    std::uint32_t sqes_sz;         ///< bytes of the SQE array (liburing 2.15's sqes_sz)
    std::uint32_t shift;           ///< 1 on an SQE128 ring, else 0 (liburing's pad)
};

/// The completion queue as mapped from the kernel, in the layout of liburing's `struct io_uring_cq`.
struct cq_ring {
    std::uint32_t* khead;
    std::uint32_t* ktail;
    std::uint32_t* kring_mask;
    std::uint32_t* kring_entries;
    std::uint32_t* kflags;         ///< IORING_CQ_EVENTFD_DISABLED lives here; nullptr if unmapped
    std::uint32_t* koverflow;
    abi::io_uring_cqe* cqes;       ///< 16-B slots; a CQE32 entry spans two
    std::size_t ring_sz;           ///< size of the CQ ring mapping (== sq's with SINGLE_MMAP)
    void* ring_ptr;                ///< the CQ ring mapping (== sq.ring_ptr with SINGLE_MMAP)
    std::uint32_t ring_mask;
    std::uint32_t ring_entries;
    std::uint32_t shift;           ///< 1 on a CQE32 ring, else 0 (liburing's pad[0])
    /// Not the CQ's: the SQ's free-slot limit, kept here because this is the one spare word of
    /// liburing's layout (its pad[1]). get_sqe hands out slots below it without reading the
    /// kernel's SQ head; it is the head as last read plus ring_entries, and the head only moves
    /// forward, so slots below it are free. Recomputed from the head when the tail reaches it.
    std::uint32_t sq_limit;
};

namespace detail {
/// Whether a release store of a 32-bit word compiles to the same instruction as a relaxed one:
/// true on x86 (TSO), where flush_sq then stores the SQ tail without testing for SQPOLL.
inline constexpr bool release_store_is_plain =
#if defined(__x86_64__) || defined(__i386__)
    true;
#else
    false;
#endif

/// What a closed ring's head, tail and flag pointers lead to: [0] SQ head and tail, [1] SQ
/// flags and dropped count, [2] CQ head, tail and overflow count.
inline std::uint32_t closed_ring_words[3] = {};
} // namespace detail

struct ring_state;

namespace detail {
/// What an object set up on a ring and outliving it must know (a buffer_group): the ring it is
/// on, kept in one process-wide list (src/ring.cpp) so that a ring that exits or moves reaches
/// it. `ring` becomes nullptr when the ring exits, and follows the ring when it is moved.
/// Linking and unlinking take a lock; a ring whose exit or move finds the list empty does not.
struct ring_link {
    ring_state* ring = nullptr;
    ring_link* prev = nullptr;
    ring_link* next = nullptr;
};
/// Puts `l` in the list, on ring `r`.
void link_ring(ring_link& l, ring_state& r) noexcept;
/// Takes `l` out of the list: the ring it is on, or nullptr when that ring exited meanwhile.
ring_state* unlink_ring(ring_link& l) noexcept;
/// `to` takes `from`'s place in the list (an object moved); `from` is left unlinked.
void move_ring_link(ring_link& from, ring_link& to) noexcept;
/// Every link on `from` now names `to` (a ring moved), or nullptr (it exits).
void rebind_ring_links(const ring_state* from, ring_state* to) noexcept;
} // namespace detail

/// The 32-byte view of a CQE on a CQE32 ring (its `big_cqe` holds the op's extra 16 bytes).
inline const abi::io_uring_cqe32& big_cqe(const abi::io_uring_cqe& cqe) noexcept {
    return *reinterpret_cast<const abi::io_uring_cqe32*>(&cqe);
}

/// The state of one io_uring instance: its fds, flags and mapped SQ and CQ, laid out exactly
/// as liburing's `struct io_uring` (same members, same offsets), with the hot path and the cold
/// half (src/ring.cpp) as member functions. It is plain data: trivially copyable, no pointer
/// into itself, no destructor. Two faces use it: `ring` (below) adds ownership (RAII, moves)
/// and a safe closed state; rawring's liburing face (include/rawring/liburing) is this very
/// state seen as `struct io_uring`, so liburing programs read and write its members directly.
///
/// A closed state (after reset() or exit(); also what `ring` holds before init and after a
/// move) answers every call safely: get_sqe nullptr, peek -EAGAIN, enter -EBADF. Its head and
/// tail pointers lead to shared words of the library's (each queue's head and tail the same
/// word, so even a stray cq_advance keeps it empty), never into the state itself, so copies
/// and moves leave no pointer behind. Memory that was never reset (liburing's `struct io_uring`
/// on the stack) holds no state at all: reset() it before init(), which refuses a state that
/// looks open (the liburing face does so). Use `ring` unless you need the plain
/// state; every function here takes a `ring_state&`, so both work everywhere.
///
/// Errors: every call that can fail returns `-errno` (see rawring/errno.hpp). `-EINTR` from a
/// wait is always handed back to the caller, never retried inside rawring: a signal handler can
/// break a wait, and the caller decides whether to wait again. Nothing is lost by it: CQEs stay
/// in the ring, and SQEs already published stay published (the next submit passes them again).
///
/// Threading: like liburing, one thread submits and one thread reaps (they may be the same).
struct ring_state {
    // ---- the state (liburing's `struct io_uring`) ---------------------------------------------

    sq_ring sq;
    cq_ring cq;
    std::uint32_t flags;           ///< the IORING_SETUP_* flags the ring was created with
    int ring_fd;                   ///< the ring's fd; -1 when closed and after close_ring_fd
    std::uint32_t features;        ///< the IORING_FEAT_* flags the kernel reported
    int enter_ring_fd;             ///< what io_uring_enter receives: the fd or the registered index
    std::uint8_t int_flags;        ///< int_flag_* below
    std::uint8_t wait_clock;       ///< clock of timed waits: CLOCK_MONOTONIC, or what register_clock set
    std::uint8_t pad[2];
    int ring_fd_owner;             ///< the thread (tid) that registered the ring fd (liburing's pad2)

    /// int_flags bits. reg_ring and no_iowait have the values of the IORING_ENTER_* flags they
    /// stand for (as liburing's INT_FLAG_REG_RING and INT_FLAG_NO_IOWAIT), so that enter_flags()
    /// is one AND.
    static constexpr std::uint8_t int_flag_reg_ring = 16;  ///< the ring fd is registered
    static constexpr std::uint8_t int_flag_app_mem = 4;    ///< the rings live in caller memory (NO_MMAP)
    static constexpr std::uint8_t int_flag_no_iowait = 128; ///< enters pass IORING_ENTER_NO_IOWAIT
    static constexpr std::uint8_t int_flag_timeout_sqe = 32; ///< timed waits queued TIMEOUT requests
    /// An IORING_SETUP_CQE_MIXED ring: peeks take the slow path, which consumes the kernel's
    /// IORING_CQE_F_SKIP fillers, and a CQE with IORING_CQE_F_32 takes two CQ slots. Set from
    /// the ring's flags by point_into, so the hot path tests one byte it already reads.
    static constexpr std::uint8_t int_flag_cqe_mixed = 64;
    /// An IORING_SETUP_CQE32 ring (cq.shift 1), set by point_into beside cq.shift, so that
    /// for_each_cqe tells both kinds of CQ that need another walk apart from the common one
    /// with one test.
    static constexpr std::uint8_t int_flag_cqe32 = 8;

    /// Makes this a closed state: zeroes every count, sets both fds to -1 and points the
    /// shared-word pointers at the library's closed-ring words. Tears nothing down (see exit).
    void reset() noexcept;

    // ---- setup and teardown (src/ring.cpp) --------------------------------------------------

    /// Sets up a ring with at least `entries` SQEs and IORING_SETUP_* `flags`, maps it, and
    /// (by default) tries IORING_SETUP_NO_SQARRAY first. The kernel rounds `entries` up to a
    /// power of two, gives the CQ twice as many unless IORING_SETUP_CQSIZE says otherwise, and
    /// caps both at its limits (32768 SQ, 65536 CQ entries on 6.x) only with IORING_SETUP_CLAMP.
    /// IORING_SETUP_CQE_MIXED (Linux 6.18: 16- and 32-byte CQEs in one CQ; see peek_cqe,
    /// for_each_cqe, cqe_seen, copy_cqes) and IORING_SETUP_SQE_MIXED (Linux 6.19: 64- and
    /// 128-byte SQEs in one SQ; see get_sqe128) are driven like the kernel does.
    /// Returns 0, or -EINVAL (entries 0; entries above the kernel limit without CLAMP; flags the
    /// kernel rejects, such as SQE_MIXED before Linux 6.19, CQE_MIXED before 6.18, CQE32 with
    /// CQE_MIXED, SQE128 with SQE_MIXED; NO_MMAP or REGISTERED_FD_ONLY, which need init_mem),
    /// -EOVERFLOW (a CQE_MIXED CQ or SQE_MIXED SQ of one entry: no room for a big one), -EBUSY
    /// (this ring is already set up), -EOPNOTSUPP (SQ_REWIND, which rawring does not drive: its
    /// SQ restarts at slot 0 after every submit), -ENOMEM,
    /// -EMFILE, -EPERM (io_uring disabled by sysctl), -ENOSYS (no io_uring in this kernel).
    /// liburing: `io_uring_queue_init()`; Zig: `IoUring.init()`. Since Linux 5.1.
    [[nodiscard]] int init(unsigned entries, std::uint32_t flags = 0) noexcept;

    /// As above with full parameters (CQ size, SQPOLL idle time and CPU, ATTACH_WQ fd). On
    /// success the kernel's answer is in `p` (entries, features, offsets).
    /// liburing: `io_uring_queue_init_params()`; Zig: `IoUring.init_params()`.
    [[nodiscard]] int init(unsigned entries, abi::io_uring_params& p,
                           sq_array mode = sq_array::automatic) noexcept;

    /// Unregisters the ring fd if registered, unmaps everything and closes the fd. Safe to call
    /// twice and on a ring never set up. The ring is torn down whatever happens; the return says
    /// whether the registered ring fd could be dropped: 0, or the -errno of an unregistration that
    /// still failed after retries of -EINTR, -EAGAIN and -EBUSY (the kernel then keeps the task's
    /// slot, and the ring it holds, until the registering thread exits). Called from a thread
    /// other than the one that registered the ring fd (a forked child included), it leaves that
    /// thread's table alone, since the index is not this thread's: the kernel drops the entry when
    /// its thread exits. liburing: `io_uring_queue_exit()` (void); Zig: `deinit()`.
    int exit() noexcept;


    // ---- submission ---------------------------------------------------------------------------

    /// The next free SQE, every byte zeroed (64 B, or 128 B on an SQE128 ring), or nullptr when
    /// the SQ is full. On an SQE_MIXED ring this is a 64-byte SQE, one slot (get_sqe128 for the
    /// others). liburing: `io_uring_get_sqe()`; Zig: `get_sqe()` (error.SubmissionQueueFull).
    [[nodiscard]] abi::io_uring_sqe* get_sqe() noexcept {
        const std::uint32_t tail = sq.sqe_tail;
        // Below the cached limit a slot is free without a look at the kernel's head. Signed:
        // a tail at or past the limit (also one a caller moved by hand) refreshes it. (Written
        // as tail - limit >= 0, the sign of the subtraction is the test: no compare after it.)
        if (static_cast<std::int32_t>(tail - cq.sq_limit) >= 0) [[unlikely]] {
            if (!refresh_sq_limit_(tail)) return nullptr;
        }
        sq.sqe_tail = tail + 1;
        // One test of the SQE size picks both the slot's address and the size of its clear, so
        // that the common 64-byte case shifts by a constant. Constant sizes so the compiler
        // inlines the clear instead of calling memset.
        if (sq.shift == 0) [[likely]] {
            abi::io_uring_sqe* sqe = sq.sqes + (tail & sq.ring_mask);
            __builtin_memset(static_cast<void*>(sqe), 0, sizeof(abi::io_uring_sqe));
            return sqe;
        }
        abi::io_uring_sqe* sqe = sq.sqes + ((tail & sq.ring_mask) << 1);
        __builtin_memset(static_cast<void*>(sqe), 0, 2 * sizeof(abi::io_uring_sqe));
        return sqe;
    }

    /// An SQE with room for a 128-byte entry (NOP128, URING_CMD128), all 128 bytes zeroed, or
    /// nullptr when the SQ has no room for it, or on a ring that is neither SQE128 nor
    /// SQE_MIXED. On an SQE128 ring it is get_sqe. On an SQE_MIXED ring it takes two
    /// consecutive slots, which the kernel requires (a 128-byte SQE in the ring's last slot
    /// fails with -EINVAL): when the tail is at the last slot, that slot first gets a NOP with
    /// IOSQE_CQE_SKIP_SUCCESS (it posts no CQE, but counts as a submitted SQE, and after it
    /// the kernel refuses IOSQE_IO_DRAIN on this ring with -EOPNOTSUPP), so three slots are
    /// needed then. Only a 128-byte opcode may go in it: the kernel takes the second slot only
    /// for those. liburing: `io_uring_get_sqe128()`. SQE_MIXED since Linux 6.19.
    [[nodiscard]] abi::io_uring_sqe* get_sqe128() noexcept {
        if ((flags & abi::IORING_SETUP_SQE128) != 0) return get_sqe();
        if ((flags & abi::IORING_SETUP_SQE_MIXED) == 0) return nullptr;
        return get_sqe128_mixed_();
    }

    /// Publishes the SQEs handed out since the last flush (one tail store) and returns how many
    /// SQEs the kernel has yet to consume. liburing: `__io_uring_flush_sq()`; Zig: `flush_sq()`.
    unsigned flush_sq() noexcept {
        const std::uint32_t tail = sq.sqe_tail;
        // Stored whether or not SQEs were handed out since the last flush: the kernel never
        // writes the SQ tail, so a store of the value already there changes nothing, and it
        // costs fewer instructions than the test that would skip it.
        sq.sqe_head = tail;
        // The SQPOLL thread may read the tail at any moment: release makes the SQE contents
        // visible before the new tail. Without SQPOLL the kernel reads it only inside
        // io_uring_enter, which this thread calls afterwards, so relaxed would do; where a
        // release store is a plain store (x86's TSO) a test of SQPOLL to pick the order would
        // only cost instructions, so there the store is always release. Elsewhere each branch
        // names its order as a constant: an order chosen at run time makes g++ 12 emit a locked
        // xchg for both.
        std::atomic_ref<std::uint32_t> ktail(*sq.ktail);
        if (detail::release_store_is_plain || sqpoll_())
            ktail.store(tail, std::memory_order_release);
        else
            ktail.store(tail, std::memory_order_relaxed);
        return tail - std::atomic_ref<std::uint32_t>(*sq.khead).load(std::memory_order_relaxed);
    }

    /// Flushes and, when the kernel must be told (always without SQPOLL; with SQPOLL only if its
    /// thread sleeps, or to flush overflowed CQEs), enters it. Returns the number of SQEs
    /// submitted, or -errno from io_uring_enter (-EAGAIN, -EBUSY, -EBADF, -EBADFD, -EINTR...).
    /// liburing: `io_uring_submit()`; Zig: `submit()`.
    [[nodiscard]] int submit() noexcept { return submit_(flush_sq(), 0, false); }

    /// Submits and waits until at least `wait_nr` CQEs are ready. Returns the number submitted
    /// or -errno. liburing: `io_uring_submit_and_wait()`; Zig: `submit_and_wait()`.
    /// It is one io_uring_enter, and the kernel may end the wait sooner, as it does for
    /// liburing: on a signal, and whenever a TIMEOUT request fires, which wakes every waiter
    /// even before its CQE is posted (on DEFER_TASKRUN rings it can still be task work) or
    /// when it posts none (CQE_SKIP_SUCCESS). Check cq_ready(); wait_cqe and wait_cqe_nr enter
    /// again until a CQE is there.
    [[nodiscard]] int submit_and_wait(unsigned wait_nr) noexcept {
        return submit_(flush_sq(), wait_nr, false);
    }

    /// Submits, then waits at most `*ts` (relative; nullptr: no limit) for `wait_nr` CQEs, with
    /// `sigmask` (a kernel sigset of sys::sigset_size bytes, or nullptr) in force during the wait.
    /// The contract, as the kernel's and liburing's:
    /// - SQEs were submitted: returns their number (>= 0), whether or not the time ran out. Tell
    ///   the two apart by `*cqe_ptr`: the first ready CQE, or nullptr when none came in time.
    /// - nothing to submit: 0 with `*cqe_ptr` set, or -ETIME (with `*cqe_ptr` nullptr) when the
    ///   time ran out with no CQE.
    /// Like wait_cqe_timeout it never waits longer than `*ts` in all, and returns once an enter
    /// comes back with a CQE ready, even if fewer than `wait_nr` (see wait_cqe_nr).
    /// Without IORING_FEAT_EXT_ARG (Linux < 5.11) the time limit is a TIMEOUT request queued
    /// with them, as liburing does (see wait_cqes). -EBADF on a closed ring; other
    /// -errno from io_uring_enter when nothing was submitted (-EINTR, ...): once SQEs are
    /// submitted the kernel answers with their number, so a signal then reads as "no CQE".
    /// liburing: `io_uring_submit_and_wait_timeout()`. Since Linux 5.11.
    [[nodiscard]] int submit_and_wait_timeout(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                              const abi::kernel_timespec* ts,
                                              const void* sigmask = nullptr) noexcept;

    /// Raw io_uring_enter on this ring; the registered-ring flag is added when the fd is
    /// registered. Returns what the kernel returns. Zig: `enter()`.
    [[nodiscard]] int enter(unsigned to_submit, unsigned min_complete, unsigned flags) noexcept {
        return sys::enter(enter_ring_fd, to_submit, min_complete, flags | enter_flags(), nullptr);
    }

    /// The kernel's SQ head (acquire on an SQPOLL ring, whose thread moves it concurrently).
    /// liburing: `io_uring_load_sq_head()`.
    [[nodiscard]] std::uint32_t load_sq_head() const noexcept { return sq_head_(); }

    /// SQEs handed out by get_sqe and not yet consumed by the kernel, in SQ slots (a 128-byte
    /// SQE of an SQE_MIXED ring counts 2, as it does for the kernel).
    /// liburing: `io_uring_sq_ready()`; Zig: `sq_ready()`.
    [[nodiscard]] unsigned sq_ready() const noexcept { return sq.sqe_tail - sq_head_(); }

    /// Free SQ slots. liburing: `io_uring_sq_space_left()`.
    [[nodiscard]] unsigned sq_space_left() const noexcept { return sq.ring_entries - sq_ready(); }

    /// On an SQPOLL ring with a full SQ, waits until the kernel thread has consumed at least one
    /// SQE (IORING_ENTER_SQ_WAIT). Returns 0 at once without SQPOLL or with space left, else
    /// what the enter returns (0, or -errno: -EINVAL before Linux 5.10, -EBADF...). A kernel
    /// without the 2024 fix of its full-SQ test (in stable kernels from 5.10 on; Linux 6.1 in
    /// CI showed it) may return once its thread has taken SQEs but before it published the new
    /// head: sq_space_left() can then still be 0 for a moment (liburing's sqring_wait returns
    /// then too). Call it again until there is room: on such a kernel it returns at once until
    /// the thread has published the head, which it does when it has issued what it took.
    /// liburing: `io_uring_sqring_wait()` (and `__io_uring_sqring_wait()`). Since Linux 5.10.
    [[nodiscard]] int sqring_wait() noexcept {
        if (!sqpoll_() || sq_space_left() != 0) return 0;
        return enter(0, 0, abi::IORING_ENTER_SQ_WAIT);
    }

    /// Flushes and enters with GETEVENTS even when nothing is to be submitted, so deferred
    /// completion work runs and overflowed CQEs are flushed. Returns the number submitted or
    /// -errno. liburing: `io_uring_submit_and_get_events()`.
    [[nodiscard]] int submit_and_get_events() noexcept { return submit_(flush_sq(), 0, true); }

    /// One non-waiting GETEVENTS enter, submitting nothing: runs deferred completion work
    /// (DEFER_TASKRUN, TASKRUN) and flushes overflowed CQEs into the CQ. Returns 0 or -errno.
    /// liburing: `io_uring_get_events()`.
    [[nodiscard]] int get_events() noexcept { return flush_deferred_(); }

    /// Whether the kernel may count this ring's waits as iowait (the default) or not: with
    /// `enabled` false every later enter passes IORING_ENTER_NO_IOWAIT. Returns 0, or
    /// -EOPNOTSUPP without IORING_FEAT_NO_IOWAIT (Linux < 6.15).
    /// liburing: `io_uring_set_iowait()`. Since Linux 6.15.
    [[nodiscard]] int set_iowait(bool enabled) noexcept;

    // ---- completion ---------------------------------------------------------------------------

    /// CQEs ready to be reaped, in CQ slots: on a CQE_MIXED ring a 32-byte CQE counts 2 and a
    /// skip filler 1, as the kernel counts them for a wait's `min_complete`.
    /// liburing: `io_uring_cq_ready()`; Zig: `cq_ready()`.
    [[nodiscard]] unsigned cq_ready() const noexcept {
        return cq_tail_() - std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
    }

    /// True when the kernel holds completions that did not fit in the CQ (they are flushed into
    /// it on the next enter with GETEVENTS, which every wait/peek/copy here does).
    /// liburing: `io_uring_cq_has_overflow()`.
    [[nodiscard]] bool cq_has_overflow() const noexcept {
        return (sq_flags_() & abi::IORING_SQ_CQ_OVERFLOW) != 0;
    }

    /// The first ready CQE without waiting, entering or consuming it (nullptr if none), with
    /// the number ready in `*available` (slots, as cq_ready). On a CQE_MIXED ring the skip
    /// fillers (IORING_CQE_F_SKIP) before it are consumed here, as by every peek and wait.
    /// liburing: `__io_uring_peek_cqe()`.
    [[nodiscard]] abi::io_uring_cqe* first_cqe(unsigned* available) noexcept { return peek_(available); }

    /// Points `cqes[0..n)` at up to `count` ready CQEs, in order, without consuming them
    /// (cq_advance(n) when done), and returns n. When none is ready but the kernel holds
    /// overflowed or deferred completions, it enters once to flush them and looks again.
    /// On a CQE32 ring each pointer is a big CQE's first half (see big_cqe). On a CQE_MIXED
    /// ring the skip fillers at the head are consumed first, the batch stops before any later
    /// filler, and each 32-byte CQE (IORING_CQE_F_32) takes two slots: consume the batch with
    /// cqe_seen on each CQE, or cq_advance(the sum of cqe_slots).
    /// liburing: `io_uring_peek_batch_cqe()`.
    [[nodiscard]] unsigned peek_batch_cqe(abi::io_uring_cqe** cqes, unsigned count) noexcept {
        unsigned avail;
        if (peek_(&avail) == nullptr && cq_needs_enter_() && flush_deferred_() >= 0)
            (void)peek_(&avail);
        if ((int_flags & int_flag_cqe_mixed) != 0) [[unlikely]] return peek_batch_mixed_(cqes, count);
        const unsigned n = avail < count ? avail : count;
        const std::uint32_t head = std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
        for (unsigned i = 0; i < n; ++i) cqes[i] = &cq.cqes[((head + i) & cq.ring_mask) << cq.shift];
        return n;
    }

    /// Waits for `wait_nr` CQEs, at most `*ts` (relative; nullptr: no limit), with `sigmask`
    /// (a kernel sigset of sys::sigset_size bytes, or nullptr) in force during the wait, and
    /// points `*cqe_ptr` at the first. Returns 0 (also when the kernel ends the wait with fewer
    /// ready; see wait_cqe_nr), -ETIME when the time ran out with no CQE, or -errno (-EINTR...).
    /// Without IORING_FEAT_EXT_ARG (Linux < 5.11) a timeout is a TIMEOUT request (user_data
    /// LIBURING_UDATA_TIMEOUT, ~0) queued and submitted with the SQEs pending, as liburing
    /// does; its CQE is consumed here and never shown (peeks skip it), so do not use that
    /// user_data yourself on such kernels. liburing: `io_uring_wait_cqes()`.
    [[nodiscard]] int wait_cqes(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                const abi::kernel_timespec* ts, const void* sigmask) noexcept;

    /// As wait_cqes, but once a CQE is ready the kernel waits at most `min_wait_usec` more for
    /// the others (batching): -EINVAL without IORING_FEAT_MIN_TIMEOUT (Linux < 6.12).
    /// liburing: `io_uring_wait_cqes_min_timeout()`. Since Linux 6.12.
    [[nodiscard]] int wait_cqes_min_timeout(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                            const abi::kernel_timespec* ts, unsigned min_wait_usec,
                                            const void* sigmask) noexcept;

    /// submit_and_wait_timeout with a min-wait (see wait_cqes_min_timeout): -EINVAL without
    /// IORING_FEAT_MIN_TIMEOUT. liburing: `io_uring_submit_and_wait_min_timeout()`. Since 6.12.
    [[nodiscard]] int submit_and_wait_min_timeout(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                                  const abi::kernel_timespec* ts,
                                                  unsigned min_wait_usec,
                                                  const void* sigmask) noexcept;

    /// liburing's general wait, `__io_uring_get_cqe()`: submits `to_submit` SQEs already
    /// published (flush_sq) and waits for `wait_nr` CQEs with `sigmask` in force, by the rule of
    /// wait_cqe_nr. Returns the number submitted (0 when `to_submit` is 0) with `*cqe_ptr` at the
    /// first ready CQE, -EAGAIN (nothing to submit or wait for, and nothing ready), or -errno.
    [[nodiscard]] int get_cqe(abi::io_uring_cqe** cqe_ptr, unsigned to_submit, unsigned wait_nr,
                              const void* sigmask) noexcept {
        return get_cqe_(cqe_ptr, to_submit, wait_nr, sigmask);
    }

    /// Copies up to `cqes.size()` CQEs out of the ring, across its wrap, and consumes them with
    /// one head store. As Zig's: whatever is ready is copied and returned at once, even fewer
    /// than `wait_nr`; only when nothing is ready does it enter the kernel, once, to wait for
    /// `wait_nr` CQEs (with `wait_nr` 0 only if the kernel holds overflowed or deferred
    /// completions, to flush them), and copies what is there then. Returns the number copied
    /// (0 when nothing was ready and `wait_nr` is 0; 0 also when the kernel ended the wait with
    /// nothing to copy); -EINVAL for an empty span, or on a CQE32 or CQE_MIXED ring (use the
    /// io_uring_cqe32 overload, so no big CQE is cut in half); -errno from the wait (-EINTR,
    /// -EBADF, ...), which only a call that copied nothing can return.
    /// Zig: `copy_cqes()`; liburing: `io_uring_peek_batch_cqe()` + `io_uring_cq_advance()`.
    [[nodiscard]] int copy_cqes(std::span<abi::io_uring_cqe> cqes, unsigned wait_nr) noexcept {
        if ((cq.shift | (int_flags & int_flag_cqe_mixed)) != 0 || cqes.empty()) return -err::einval;
        return copy_cqes_(cqes.data(), clamp_(cqes.size()), wait_nr);
    }

    /// As above into 32-byte entries: on a CQE32 ring each big CQE is copied whole; on a plain
    /// ring `big_cqe` is zeroed. On a CQE_MIXED ring each entry holds one CQE: a 32-byte one
    /// (IORING_CQE_F_32 in its flags) whole, a 16-byte one with `big_cqe` zeroed; the skip
    /// fillers are consumed and not copied, and the count returned is of CQEs copied (the head
    /// moves by the slots they and the fillers took, in one store).
    [[nodiscard]] int copy_cqes(std::span<abi::io_uring_cqe32> cqes, unsigned wait_nr) noexcept {
        if (cqes.empty()) return -err::einval;
        return copy_cqes_(cqes.data(), clamp_(cqes.size()), wait_nr);
    }

    /// Waits for one CQE and copies it out, consuming it. Returns 0 or -errno (-EINVAL on a
    /// CQE32 or CQE_MIXED ring, as copy_cqes). Zig: `copy_cqe()`.
    [[nodiscard]] int copy_cqe(abi::io_uring_cqe& out) noexcept {
        for (;;) {
            const int n = copy_cqes(std::span<abi::io_uring_cqe>(&out, 1), 1);
            if (n != 0) return n < 0 ? n : 0;
        }
    }

    /// The next CQE without waiting or consuming it: 0 with `*cqe_ptr` set, or -EAGAIN if none
    /// is ready. Enters the kernel only when it holds overflowed or deferred completions (or the
    /// ring is IOPOLL). liburing: `io_uring_peek_cqe()`.
    [[nodiscard]] int peek_cqe(abi::io_uring_cqe** cqe_ptr) noexcept {
        unsigned avail;
        if (abi::io_uring_cqe* cqe = peek_(&avail)) {
            *cqe_ptr = cqe;
            return 0;
        }
        *cqe_ptr = nullptr;
        return cq_needs_enter_() ? get_cqe_(cqe_ptr, 0, 0, nullptr) : -err::eagain;
    }

    /// Waits for `wait_nr` CQEs to be ready and points `*cqe_ptr` at the first, not consuming
    /// it. Returns 0 once `wait_nr` are ready, or as soon as an io_uring_enter comes back with at
    /// least one ready, which can be fewer (check cq_ready()): the kernel ends a wait early when
    /// a signal arrives with a CQE ready (it answers 0 then, not -EINTR) and at once when
    /// `wait_nr` exceeds the CQ size (it caps the wait at a full CQ). So the call never spins
    /// and a signal always ends it. -errno (-EINTR with no CQE ready, -EBADF...).
    /// liburing: `io_uring_wait_cqe_nr()`, which differs in one case: when its first enter ends
    /// early (a TIMEOUT request completing wakes every waiter) it enters once more before it
    /// returns with fewer than `wait_nr`; rawring returns after that first enter.
    [[nodiscard]] int wait_cqe_nr(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr) noexcept {
        return get_cqe_(cqe_ptr, 0, wait_nr, nullptr);
    }

    /// Waits for one CQE. liburing: `io_uring_wait_cqe()`.
    [[nodiscard]] int wait_cqe(abi::io_uring_cqe** cqe_ptr) noexcept {
        unsigned avail;
        if (abi::io_uring_cqe* cqe = peek_(&avail)) {
            *cqe_ptr = cqe;
            return 0;
        }
        return get_cqe_(cqe_ptr, 0, 1, nullptr);
    }

    /// Waits at most `*ts` (relative; nullptr waits forever) for one CQE. Returns 0 with
    /// `*cqe_ptr` set, -ETIME when the time ran out with none ready, -EBADF on a closed ring,
    /// or -errno (-EINTR...). Without IORING_FEAT_EXT_ARG (Linux < 5.11) a TIMEOUT request
    /// times the wait, as in wait_cqes.
    /// The whole call never waits longer than `*ts`: when the kernel ends the wait early with no
    /// CQE (a TIMEOUT request firing without posting one wakes every waiter; on DEFER_TASKRUN
    /// rings a due completion can still be deferred work), rawring flushes deferred work and
    /// waits again for what is left of `*ts`, measured on the ring's wait clock
    /// (CLOCK_MONOTONIC, or CLOCK_BOOTTIME after register_clock). An IOPOLL ring without
    /// SQPOLL never sleeps: the kernel polls instead of waiting and ignores `*ts`, and it returns
    /// at once when nothing polled is in flight. The wait then enters again until a CQE comes
    /// (a non-polled request, a MSG_RING from another ring) or the time is up, using a CPU for
    /// all of `*ts`: on such a ring, wait only for what is in flight.
    /// liburing: `io_uring_wait_cqe_timeout()`.
    [[nodiscard]] int wait_cqe_timeout(abi::io_uring_cqe** cqe_ptr,
                                       const abi::kernel_timespec* ts) noexcept;

    /// Calls `f(const abi::io_uring_cqe&)` on each ready CQE in order, without copying or
    /// consuming them; returns how many CQ slots it went over (pass that to cq_advance). On a
    /// CQE32 ring, `big_cqe(cqe)` reaches the extra 16 bytes. On a CQE_MIXED ring `f` sees
    /// each CQE once, a 32-byte one (IORING_CQE_F_32; big_cqe reaches its payload) as one,
    /// and never a skip filler (IORING_CQE_F_SKIP); the slots returned count both halves of
    /// a big CQE and the fillers, so cq_advance of it consumes exactly what was walked.
    /// liburing: `io_uring_for_each_cqe` (which also shows the fillers).
    template <class F>
    unsigned for_each_cqe(F&& f) const noexcept(noexcept(f(*cq.cqes))) {
        const std::uint32_t head = std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
        const std::uint32_t tail = cq_tail_();
        if (head == tail) return 0;
        // One test per walk, not per CQE: the flags never change on an open ring. (Tested after
        // the empty check, so that both walks return the same nonzero count and the caller's
        // cq_advance needs no test of its own.) CQE32 and CQE_MIXED rings take the other walk,
        // so that the common one indexes by a constant, not by cq.shift on every CQE.
        if ((int_flags & (int_flag_cqe_mixed | int_flag_cqe32)) != 0) [[unlikely]] {
            for_each_wide_(f, head, tail);
            return tail - head;
        }
        for (std::uint32_t h = head; h != tail; ++h)
            f(static_cast<const abi::io_uring_cqe&>(cq.cqes[h & cq.ring_mask]));
        return tail - head;
    }

    /// The CQ slots `cqe` takes on this ring: 2 for a 32-byte CQE (IORING_CQE_F_32) on a
    /// CQE_MIXED ring, else 1 (on a CQE32 ring every entry is one slot of 32 bytes).
    /// liburing: `io_uring_cqe_nr()` (which reads the flag alone; see also rawring::cqe_nr).
    [[nodiscard]] unsigned cqe_slots(const abi::io_uring_cqe& cqe) const noexcept {
        // Branch-free: bit 6 of int_flags (CQE_MIXED) and bit 15 of the CQE's flags (F_32).
        static_assert(int_flag_cqe_mixed == 1u << 6 && abi::IORING_CQE_F_32 == 1u << 15);
        return 1u + ((static_cast<unsigned>(int_flags) >> 6) & (cqe.flags >> 15) & 1u);
    }

    /// Consumes `n` CQ slots (one head store): `n` CQEs, except on a CQE_MIXED ring, where a
    /// 32-byte CQE takes 2 (cqe_slots) and a skip filler 1, as for_each_cqe counts them.
    /// liburing: `io_uring_cq_advance()`; Zig: `cq_advance()`.
    void cq_advance(unsigned n) noexcept {
        if (n == 0) return;
        std::atomic_ref<std::uint32_t> head(*cq.khead);
        // Release: the kernel may overwrite the slots as soon as it sees the new head, so our
        // reads of them must be complete first.
        head.store(head.load(std::memory_order_relaxed) + n, std::memory_order_release);
    }

    /// Whether the kernel maps a CQ flags word (IORING_CQ_*; Linux 5.8+). False on a closed ring
    /// and on kernels without the word, where cq().kflags is nullptr (as liburing's `cq.kflags`).
    /// Used by cq_eventfd_toggle (register.hpp). rawring addition.
    [[nodiscard]] bool cq_flags_mapped() const noexcept { return cq.kflags != nullptr; }

    /// Consumes one CQE returned by peek/wait (a nullptr is ignored): its cqe_slots, so both
    /// halves of a 32-byte CQE on a CQE_MIXED ring.
    /// liburing: `io_uring_cqe_seen()`; Zig: `cqe_seen()`.
    void cqe_seen(const abi::io_uring_cqe* cqe) noexcept {
        if (cqe != nullptr) cq_advance(cqe_slots(*cqe));
    }

    /// Sets up a ring whose SQ, CQ and SQE array live in the caller's memory
    /// (IORING_SETUP_NO_MMAP): `buf` must be page aligned (4 KiB pages assumed) and at least
    /// memory_needed(entries, p) bytes; it must outlive the ring, and exit() leaves it alone.
    /// Returns the number of bytes of `buf` used (>= 0), or -EINVAL (buf misaligned, bad
    /// entries or flags, a kernel without NO_MMAP: Linux < 6.5), -ENOMEM (buf too small),
    /// -EBUSY (this state is open), or setup's -errno. IORING_SETUP_REGISTERED_FD_ONLY may be
    /// in p.flags: the ring then has no fd at all, only a registered index (ring_fd -1).
    /// liburing: `io_uring_queue_init_mem()`. Since Linux 6.5.
    [[nodiscard]] int init_mem(unsigned entries, abi::io_uring_params& p, void* buf,
                               std::size_t size) noexcept;

    /// Bytes of caller memory a NO_MMAP ring of `entries` with `p.flags` (CQSIZE, CLAMP,
    /// SQE128, CQE32, NO_SQARRAY) and `p.cq_entries` needs: the SQE array and the rings, each
    /// rounded up to whole pages. -EINVAL for sizes the kernel would refuse.
    /// liburing: `io_uring_memory_size_params()` (which rounds to powers of two of pages).
    [[nodiscard]] static long memory_needed(unsigned entries, const abi::io_uring_params& p) noexcept;

    /// Points the queue members into rings mapped at `ring_base` (SQ) and `cq_base` (CQ; the
    /// same with IORING_FEAT_SINGLE_MMAP) by the offsets, entries and flags in `p`, and takes
    /// sqe_head/sqe_tail from the kernel's SQ tail. Maps nothing. liburing:
    /// `io_uring_setup_ring_pointers()` (internal).
    void point_into(const abi::io_uring_params& p, void* ring_base, void* cq_base) noexcept;

    /// Takes over a ring set up elsewhere (io_uring_setup on `fd` with the answer in `p`) and
    /// maps it. Returns 0, -EBUSY if this state is open, or the mmap's -errno (the state then
    /// stays closed and `fd` open: it is still the caller's). liburing: `io_uring_queue_mmap()`.
    [[nodiscard]] int adopt(int fd, const abi::io_uring_params& p) noexcept;

    // ---- registered ring fd (src/ring.cpp) -----------------------------------------------------

    /// Registers the ring fd with the kernel (IORING_REGISTER_RING_FDS) so every later enter
    /// passes the small index and IORING_ENTER_REGISTERED_RING, skipping the fd lookup.
    /// Returns 1 (one fd registered), -EEXIST if already registered, -EBADF on a closed ring, or
    /// -errno (-EINVAL before Linux 5.18, -EBUSY if the task's 16 slots are taken).
    /// The kernel's table is per thread: the index means this ring only in the thread that
    /// registered it. rawring remembers that thread; register ops and unregister_ring_fd/exit
    /// from any other thread (a forked child included, whose table starts empty) never use the
    /// index. Enters do (no check on the hot path): submit and wait only from the registering
    /// thread, or switch the copy back to the fd first (unregister_ring_fd, see there).
    /// liburing: `io_uring_register_ring_fd()`.
    [[nodiscard]] int register_ring_fd() noexcept;

    /// Undoes register_ring_fd. Returns 1, -EINVAL if it is not registered, -EBADF after
    /// close_ring_fd (the index is then the ring's only handle; exit() drops it), or -errno.
    /// From a thread other than the registering one (e.g. in a forked child, with the ring
    /// inherited), the index is not this thread's: no task's table is touched, this object goes
    /// back to entering through its fd, and 1 is returned.
    /// liburing: `io_uring_unregister_ring_fd()`.
    [[nodiscard]] int unregister_ring_fd() noexcept;

    /// Closes the ring's fd once the ring fd is registered, so the ring holds no file descriptor:
    /// every later enter and register goes through the registered index (fd() is then -1).
    /// Returns 1, -EOPNOTSUPP without IORING_FEAT_REG_REG_RING (Linux < 6.3: registers would
    /// still need the fd), -EINVAL if the ring fd is not registered, -EBADF if already closed or
    /// on a closed ring. Afterwards unregister_ring_fd and resize_rings give -EBADF (nothing
    /// would be left to reach or map the ring with); exit() drops the index.
    /// liburing: `io_uring_close_ring_fd()`. Since Linux 6.3.
    [[nodiscard]] int close_ring_fd() noexcept;

    // ---- resizing and registered waits (src/ring.cpp) -------------------------------------------

    /// Resizes the SQ and CQ (IORING_REGISTER_RESIZE_RINGS) to `p.sq_entries` and (with
    /// IORING_SETUP_CQSIZE in `p.flags`) `p.cq_entries`; `p.flags` may hold only CQSIZE and CLAMP.
    /// SQEs handed out by get_sqe are published first (prepare them before calling): the kernel
    /// copies every unconsumed SQE and every unreaped CQE into the new rings, and rawring maps
    /// them in place of the old ones, so nothing in flight is lost. On success `p` holds the new
    /// sizes and offsets. Returns 0, or -EINVAL (the ring lacks IORING_SETUP_DEFER_TASKRUN, which
    /// the kernel requires; bad flags or sizes), -EOVERFLOW (the pending SQEs or CQEs do not fit
    /// the new sizes; the old rings stay in use), -EBADF (closed ring, or its fd was closed with
    /// close_ring_fd), -EOPNOTSUPP (the ring keeps an SQ index array, sq_array::keep, and its
    /// array is not where the kernel's layout rule puts it: the kernel does not report where
    /// the resized ring's array lives, so rawring works it out by that rule and fills it),
    /// -ENOMEM. If mapping the new rings fails the ring is torn down (exit) and the mmap error
    /// returned. liburing: `io_uring_resize_rings()`. Since Linux 6.13.
    [[nodiscard]] int resize_rings(abi::io_uring_params& p) noexcept;

    /// Submits, then waits for `wait_nr` CQEs with the wait parameters of entry `reg_index` of
    /// the wait region registered with register_wait_reg / register_region (its timeout when
    /// IORING_REG_WAIT_TS is set, min_wait_usec, sigmask). Returns the number submitted with
    /// `*cqe_ptr` at the first ready CQE (nullptr if none), -ETIME when the entry's timeout ran
    /// out, -EFAULT when `reg_index` lies outside the registered region (or none is registered),
    /// -EINVAL for bad flags in the entry, or other -errno from io_uring_enter.
    /// liburing: `io_uring_submit_and_wait_reg()`. Since Linux 6.13.
    [[nodiscard]] int submit_and_wait_reg(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                          unsigned reg_index) noexcept;

    /// Raw io_uring_register on this ring, for every register_* wrapper: through the registered
    /// index with IORING_REGISTER_USE_REGISTERED_RING when the ring fd is registered and the
    /// kernel has IORING_FEAT_REG_REG_RING (6.3), else through the fd. Returns the kernel's
    /// answer (>= 0, or -errno), -EBADF on a closed ring. liburing: `do_register()` (internal).
    [[nodiscard]] int register_op(unsigned opcode, const void* arg, unsigned nr_args) noexcept;

    /// True between a successful init and exit (also after close_ring_fd: the registered index
    /// still reaches the ring).
    [[nodiscard]] bool is_open() const noexcept { return enter_ring_fd >= 0; }
    /// The ring's fd (-1 when closed, and after close_ring_fd).
    [[nodiscard]] int fd() const noexcept { return ring_fd; }
    /// The fd (or registered index) that io_uring_enter receives.
    [[nodiscard]] int enter_fd() const noexcept { return enter_ring_fd; }
    /// True while the ring fd is registered (register_ring_fd): enter_fd() is then the index.
    /// rawring addition (liburing keeps this in a private flag).
    [[nodiscard]] bool ring_fd_registered() const noexcept {
        return (int_flags & int_flag_reg_ring) != 0;
    }

    /// The IORING_ENTER_* flags every enter adds: REGISTERED_RING while the ring fd is
    /// registered, NO_IOWAIT after set_iowait(false).
    [[nodiscard]] std::uint32_t enter_flags() const noexcept {
        static_assert(int_flag_reg_ring == abi::IORING_ENTER_REGISTERED_RING &&
                      int_flag_no_iowait == abi::IORING_ENTER_NO_IOWAIT);
        return int_flags & (int_flag_reg_ring | int_flag_no_iowait);
    }

protected:
    /// get_sqe128 on an SQE_MIXED ring.
    [[nodiscard]] abi::io_uring_sqe* get_sqe128_mixed_() noexcept {
        std::uint32_t tail = sq.sqe_tail;
        const bool pad = ((tail + 1) & sq.ring_mask) == 0;  // the tail is the ring's last slot
        if (tail + (pad ? 3u : 2u) - sq_head_() > sq.ring_entries) return nullptr;
        if (pad) {
            abi::io_uring_sqe* nop = &sq.sqes[tail & sq.ring_mask];
            __builtin_memset(static_cast<void*>(nop), 0, sizeof(abi::io_uring_sqe));
            nop->opcode = abi::IORING_OP_NOP;
            nop->fd = -1;
            nop->flags = abi::IOSQE_CQE_SKIP_SUCCESS;
            ++tail;
        }
        abi::io_uring_sqe* sqe = &sq.sqes[tail & sq.ring_mask];
        sq.sqe_tail = tail + 2;
        __builtin_memset(static_cast<void*>(sqe), 0, 2 * sizeof(abi::io_uring_sqe));
        return sqe;
    }

    /// Re-reads the kernel's SQ head into the free-slot limit; whether slot `tail` is free now.
    [[nodiscard]] bool refresh_sq_limit_(std::uint32_t tail) noexcept {
        cq.sq_limit = sq_head_() + sq.ring_entries;
        return static_cast<std::int32_t>(cq.sq_limit - tail) > 0;
    }

    [[nodiscard]] bool sqpoll_() const noexcept {
        return (flags & abi::IORING_SETUP_SQPOLL) != 0;
    }

    [[nodiscard]] std::uint32_t sq_head_() const noexcept {
        // The SQPOLL thread moves the head concurrently; acquire orders our reuse of a slot
        // after its read of the old contents. Otherwise the head only moves inside our own
        // io_uring_enter calls.
        return std::atomic_ref<std::uint32_t>(*sq.khead)
            .load(sqpoll_() ? std::memory_order_acquire : std::memory_order_relaxed);
    }

    [[nodiscard]] std::uint32_t sq_flags_() const noexcept {
        return std::atomic_ref<std::uint32_t>(*sq.kflags).load(std::memory_order_relaxed);
    }

    [[nodiscard]] std::uint32_t cq_tail_() const noexcept {
        // Acquire pairs with the kernel's release of the tail: the CQEs below it are written.
        return std::atomic_ref<std::uint32_t>(*cq.ktail).load(std::memory_order_acquire);
    }

    /// Whether `submitted` SQEs need an io_uring_enter; adds SQ_WAKEUP to `flags` for a
    /// sleeping SQPOLL thread.
    [[nodiscard]] bool sq_needs_enter_(unsigned submitted, unsigned& flags) const noexcept {
        if (submitted == 0) return false;
        if (!sqpoll_()) return true;
        // Full fence between our tail store and the flag load; the SQPOLL thread fences between
        // setting NEED_WAKEUP and its last look at the tail, so one of us sees the other.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if ((sq_flags_() & abi::IORING_SQ_NEED_WAKEUP) != 0) {
            flags |= abi::IORING_ENTER_SQ_WAKEUP;
            return true;
        }
        return false;
    }

    /// Whether the kernel holds completions not yet in the CQ: overflowed ones, deferred task
    /// work (TASKRUN), or an IOPOLL ring that only reaps when entered; with SQPOLL the kernel
    /// thread does the polling, so IOPOLL alone is no reason to enter.
    [[nodiscard]] bool cq_needs_enter_() const noexcept {
        return (flags & (abi::IORING_SETUP_IOPOLL | abi::IORING_SETUP_SQPOLL)) ==
                   abi::IORING_SETUP_IOPOLL ||
               (sq_flags_() & (abi::IORING_SQ_CQ_OVERFLOW | abi::IORING_SQ_TASKRUN)) != 0;
    }

    [[nodiscard]] int submit_(unsigned submitted, unsigned wait_nr, bool getevents) noexcept {
        const bool cq = getevents || wait_nr != 0 || cq_needs_enter_();
        unsigned flags = cq ? abi::IORING_ENTER_GETEVENTS : 0u;
        // Without SQPOLL every submission enters, so the SQ needs no look of its own when the
        // CQ already asks for an enter; only an SQPOLL ring asks whether its thread sleeps.
        if (sqpoll_()) [[unlikely]] {
            if (!sq_needs_enter_(submitted, flags) && !cq) return static_cast<int>(submitted);
        } else if (submitted == 0 && !cq) {
            return 0;
        }
        return enter(submitted, wait_nr, flags);
    }

    [[nodiscard]] abi::io_uring_cqe* peek_(unsigned* avail) noexcept {
        const std::uint32_t head = std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
        const std::uint32_t tail = cq_tail_();
        *avail = tail - head;
        if (tail == head) return nullptr;
        // A ring without EXT_ARG that timed a wait with a TIMEOUT request (its CQEs are ours),
        // or a CQE_MIXED ring (skip fillers): one test for both, as before either existed.
        if ((int_flags & (int_flag_timeout_sqe | int_flag_cqe_mixed)) != 0) [[unlikely]]
            return skip_internal_cqes_(avail);
        return &cq.cqes[(head & cq.ring_mask) << cq.shift];
    }

    /// Consumes the CQEs at the head of the CQ that are not the caller's (internal TIMEOUT
    /// CQEs; skip fillers of a CQE_MIXED ring); returns the first other CQE (or nullptr) with
    /// `*avail` updated.
    [[nodiscard]] abi::io_uring_cqe* skip_internal_cqes_(unsigned* avail) noexcept;

    /// peek_batch_cqe on a CQE_MIXED ring (see there), after the fillers at the head are gone.
    [[nodiscard]] unsigned peek_batch_mixed_(abi::io_uring_cqe** cqes, unsigned count) noexcept;

    /// for_each_cqe over the slots [head, tail) of a CQE32 or a CQE_MIXED ring (the two never
    /// go together): one walk for both, so that `f` is inlined twice in all, not three times.
    template <class F>
    void for_each_wide_(F& f, std::uint32_t h, std::uint32_t tail) const {
        // On a CQE_MIXED ring IORING_CQE_F_32 means two slots; the kernel publishes both halves
        // of a big CQE before its tail moves past them (a corrupt CQ at worst ends the walk).
        // Its fillers (IORING_CQE_F_SKIP) are not shown. On a CQE32 ring every entry is one
        // slot of 32 bytes (cq.shift 1) and its flags are the op's alone.
        const bool mixed = (int_flags & int_flag_cqe_mixed) != 0;
        while (static_cast<std::int32_t>(tail - h) > 0) {
            const abi::io_uring_cqe& cqe = cq.cqes[(h & cq.ring_mask) << cq.shift];
            if (!mixed || (cqe.flags & abi::IORING_CQE_F_SKIP) == 0) f(cqe);
            h += 1u + (mixed ? (cqe.flags >> 15) & 1u : 0u);
        }
    }

    /// copy_ready_ into 32-byte entries on a CQE_MIXED ring (see copy_cqes).
    [[nodiscard]] unsigned copy_ready_mixed_(abi::io_uring_cqe32* out, unsigned cap) noexcept;

    /// Submits `to_submit` (already flushed) and waits for `wait_nr` CQEs with `sigmask` (0: only
    /// flush what the kernel holds; a non-waiting call enters at most once). Returns the number
    /// submitted as soon as `wait_nr` are ready, or after an enter that came back >= 0 with at
    /// least one ready (the kernel returns early on a signal with a CQE ready and when `wait_nr`
    /// exceeds the CQ), so it never spins; -EAGAIN (nothing after a non-waiting enter) or the
    /// enter's -errno (after a submitting enter: the number submitted). An enter that shows
    /// nothing (a wake-up without a CQE, or a completion still deferred work) is followed by
    /// another, which runs that work.
    [[nodiscard]] int get_cqe_(abi::io_uring_cqe** cqe_ptr, unsigned to_submit, unsigned wait_nr,
                               const void* sigmask) noexcept {
        int submitted = 0;
        for (bool entered = false;; entered = true) {
            unsigned avail;
            abi::io_uring_cqe* cqe = peek_(&avail);
            *cqe_ptr = cqe;
            if (to_submit == 0) {
                if (cqe != nullptr && (avail >= wait_nr || entered)) return submitted;
                if (entered && wait_nr == 0) return submitted > 0 ? submitted : -err::eagain;
            }
            unsigned flags = abi::IORING_ENTER_GETEVENTS | enter_flags();
            (void)sq_needs_enter_(to_submit, flags);  // for the SQ_WAKEUP flag only
            const int ret = sys::enter(enter_ring_fd, to_submit, wait_nr, flags, sigmask);
            if (ret < 0) return submitted > 0 ? submitted : ret;
            if (to_submit != 0) {
                submitted = ret;
                to_submit = 0;
            }
        }
    }

    /// The timed wait behind wait_cqe_timeout and submit_and_wait_timeout: submits `to_submit`
    /// and waits for `wait_nr` with an EXT_ARG timeout (`ts` nullptr: none), never longer than
    /// `*ts` in all (see wait_cqe_timeout); with `wait_nr` 0 it enters once. Returns the number submitted once a CQE is ready or, having submitted
    /// some, when the time ran out; otherwise -ETIME or the enter's -errno.
    [[nodiscard]] int timed_wait_(abi::io_uring_cqe** cqe_ptr, unsigned to_submit, unsigned wait_nr,
                                  const abi::kernel_timespec* ts, const void* sigmask,
                                  unsigned min_wait_usec = 0) noexcept;

    /// The timed wait on a kernel without EXT_ARG: queues a TIMEOUT request for `*ts` (or
    /// `wait_nr` completions), submits it with the published SQEs and waits. Returns what
    /// timed_wait_ returns (the caller's SQEs only are counted).
    [[nodiscard]] int timeout_sqe_wait_(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                        const abi::kernel_timespec* ts, const void* sigmask) noexcept;

    /// One non-waiting GETEVENTS enter: runs deferred completion work and flushes overflow.
    [[nodiscard]] int flush_deferred_() noexcept {
        return sys::enter(enter_ring_fd, 0, 0, abi::IORING_ENTER_GETEVENTS | enter_flags(), nullptr);
    }

    template <class Out>
    // Inlined into copy_cqes_ (both places): a call would cost more than a small batch's copy.
    [[nodiscard, gnu::always_inline]] inline unsigned copy_ready_(Out* out, unsigned cap) noexcept;
    template <class Out>
    [[nodiscard]] int copy_cqes_(Out* out, unsigned cap, unsigned wait_nr) noexcept;

    static unsigned clamp_(std::size_t n) noexcept {
        return n > 0xffffffffu ? 0xffffffffu : static_cast<unsigned>(n);
    }

    int setup_(unsigned entries, abi::io_uring_params& p) noexcept;
    int unregister_ring_fd_() noexcept;
    [[nodiscard]] bool ring_fd_ours_() const noexcept;
    int map_(const abi::io_uring_params& p) noexcept;
    /// Where the kernel puts the SQ index array of rings whose CQEs start at `cqes_off`.
    [[nodiscard]] static std::uint32_t sq_array_offset_(std::uint32_t cqes_off, std::uint32_t cq_entries,
                                                        std::uint32_t setup_flags) noexcept;
    void unmap_() const noexcept;
    /// Bytes of the SQE array mapping.
    [[nodiscard]] std::size_t sqes_bytes_() const noexcept {
        return sq.sqes_sz;
    }

};

static_assert(sizeof(sq_ring) == 104 && offsetof(sq_ring, sqe_head) == 64 && offsetof(sq_ring, sqes_sz) == 96 &&
              offsetof(sq_ring, ring_sz) == 72 && offsetof(sq_ring, ring_mask) == 88,
              "sq_ring must keep liburing's struct io_uring_sq layout");
static_assert(sizeof(cq_ring) == 88 && offsetof(cq_ring, ring_sz) == 56 &&
              offsetof(cq_ring, ring_mask) == 72, "cq_ring must keep liburing's struct io_uring_cq layout");
static_assert(sizeof(ring_state) == 216 && offsetof(ring_state, flags) == 192 &&
              offsetof(ring_state, enter_ring_fd) == 204 && offsetof(ring_state, int_flags) == 208 &&
              offsetof(ring_state, ring_fd_owner) == 212,
              "ring_state must keep liburing's struct io_uring layout");
static_assert(__is_standard_layout(ring_state) && __is_trivially_copyable(ring_state));

/// One io_uring instance that owns its ring: the destructor tears it down (`exit`) and it is
/// move-only. Everything else is `ring_state`'s, so a `ring` goes wherever a `ring_state&` is
/// taken.
class ring : public ring_state, public zig_queue<ring> {
public:
    ring() noexcept { reset(); }
    ~ring() { (void)exit(); }
    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;
    ring(ring&& other) noexcept : ring_state(other) {
        detail::rebind_ring_links(&other, this);  // its buffer groups follow it
        other.reset();
    }
    ring& operator=(ring&& other) noexcept {
        if (this != &other) {
            (void)exit();
            static_cast<ring_state&>(*this) = other;
            detail::rebind_ring_links(&other, this);
            other.reset();  // ownership moved: reset without unmapping or closing
        }
        return *this;
    }

    /// The IORING_SETUP_* flags the ring was actually created with.
    [[nodiscard]] std::uint32_t flags() const noexcept { return ring_state::flags; }
    /// The IORING_FEAT_* flags the kernel reported.
    [[nodiscard]] std::uint32_t features() const noexcept { return ring_state::features; }
    [[nodiscard]] const sq_ring& sq() const noexcept { return ring_state::sq; }
    [[nodiscard]] const cq_ring& cq() const noexcept { return ring_state::cq; }
};

// ---- 128-byte SQEs -----------------------------------------------------------------------------

/// ring_state::get_sqe128 as a free function. liburing: `io_uring_get_sqe128()`.
[[nodiscard]] inline abi::io_uring_sqe* get_sqe128(ring_state& r) noexcept { return r.get_sqe128(); }


// ---- copy_cqes internals ------------------------------------------------------------------------

namespace detail {
/// Up to this many CQEs copy_cqes copies entry by entry; more go in block copies.
inline constexpr unsigned small_copy_cqes = 4;
} // namespace detail

template <class Out>
inline unsigned ring_state::copy_ready_(Out* out, unsigned cap) noexcept {
    if constexpr (sizeof(Out) == sizeof(abi::io_uring_cqe32)) {
        if ((int_flags & int_flag_cqe_mixed) != 0) [[unlikely]] return copy_ready_mixed_(out, cap);
    }
    std::atomic_ref<std::uint32_t> khead(*cq.khead);
    const std::uint32_t head = khead.load(std::memory_order_relaxed);
    const std::uint32_t ready = cq_tail_() - head;
    const unsigned n = ready < cap ? ready : cap;
    if (n == 0) return 0;
    constexpr std::size_t out_size = sizeof(Out);
    const std::size_t slot_size = sizeof(abi::io_uring_cqe) << cq.shift;
    const std::uint32_t first = head & cq.ring_mask;
    const unsigned to_end = cq.ring_entries - first < n ? cq.ring_entries - first : n;
    if (out_size == slot_size) {
        if (n <= detail::small_copy_cqes) {
            // A few CQEs: copied one by one, each a constant-size copy the compiler inlines
            // (one or two vector moves), rather than a call to memcpy for a few bytes. The
            // ring's fields are read once, into locals: `out` could alias them, as far as the
            // compiler knows, and they would be reloaded after every store.
            const abi::io_uring_cqe* const cqes = cq.cqes;
            const std::uint32_t mask = cq.ring_mask;
            constexpr unsigned shift = out_size == sizeof(abi::io_uring_cqe) ? 0 : 1;  // == cq.shift here
            for (unsigned i = 0; i < n; ++i)
                __builtin_memcpy(static_cast<void*>(out + i), &cqes[((head + i) & mask) << shift], out_size);
        } else {
            // Two block copies at most: up to the end of the ring, then from its start.
            __builtin_memcpy(static_cast<void*>(out), &cq.cqes[first << cq.shift], to_end * slot_size);
            if (n > to_end)
                __builtin_memcpy(static_cast<void*>(out + to_end), cq.cqes, (n - to_end) * slot_size);
        }
    } else {
        // Only reached for io_uring_cqe32 out of a 16-byte ring: widen each entry.
        for (unsigned i = 0; i < n; ++i) {
            __builtin_memset(static_cast<void*>(out + i), 0, out_size);
            __builtin_memcpy(static_cast<void*>(out + i), &cq.cqes[(head + i) & cq.ring_mask],
                             sizeof(abi::io_uring_cqe));
        }
    }
    // Release: the copies above must be done before the kernel may reuse the slots.
    khead.store(head + n, std::memory_order_release);
    return n;
}

template <class Out>
int ring_state::copy_cqes_(Out* out, unsigned cap, unsigned wait_nr) noexcept {
    if (const unsigned n = copy_ready_(out, cap); n != 0) return static_cast<int>(n);
    if (wait_nr == 0 && !cq_needs_enter_()) return 0;
    const int ret = enter(0, wait_nr, abi::IORING_ENTER_GETEVENTS);
    if (ret < 0) return ret;
    unsigned n = copy_ready_(out, cap);
    // A wait the kernel ended with its completions still deferred work: flush and look again.
    if (n == 0 && wait_nr != 0 && flush_deferred_() >= 0) n = copy_ready_(out, cap);
    return static_cast<int>(n);
}

} // namespace rawring
