// SPDX-License-Identifier: MIT
// The mock io_uring's insides, shared by kernel.cpp (rings, enter, waits, the backend table),
// ops.cpp (what each opcode does by default) and register.cpp (io_uring_register).
#pragma once

#include "rawring/mock.hpp"

#include <sys/types.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rawring::mock {

namespace detail {

inline constexpr std::uint64_t ns_per_s = 1000000000ull;
inline constexpr unsigned ring_slots = 16;  // a task's registered ring fds (the kernel's)
inline constexpr unsigned max_sq_entries = 32768;
inline constexpr unsigned max_cq_entries = 2 * max_sq_entries;

/// The SQ and CQ sizes the kernel gives `entries` SQ entries with `p`'s CQSIZE and CLAMP (both
/// rounded up to powers of two, the CQ twice the SQ unless CQSIZE says otherwise): setup and
/// resize_rings size rings by the same rule. Returns 0, or -EINVAL as the kernel does.
int ring_sizes(unsigned entries, const abi::io_uring_params& p, unsigned* sq, unsigned* cq) noexcept;
inline constexpr std::size_t page = 4096;

constexpr std::size_t page_round(std::size_t n) noexcept { return (n + page - 1) & ~(page - 1); }

/// A shared ring word, read and written only through atomic_ref.
inline std::uint32_t load(const std::uint32_t* w, std::memory_order o = std::memory_order_relaxed) noexcept {
    return std::atomic_ref<std::uint32_t>(*const_cast<std::uint32_t*>(w)).load(o);
}
inline void store(std::uint32_t* w, std::uint32_t v, std::memory_order o = std::memory_order_relaxed) noexcept {
    std::atomic_ref<std::uint32_t>(*w).store(v, o);
}
inline void set_bits(std::uint32_t* w, std::uint32_t bits) noexcept {
    std::atomic_ref<std::uint32_t>(*w).fetch_or(bits, std::memory_order_relaxed);
}
inline void clear_bits(std::uint32_t* w, std::uint32_t bits) noexcept {
    std::atomic_ref<std::uint32_t>(*w).fetch_and(~bits, std::memory_order_relaxed);
}

struct ring;

/// Where a request is in its life.
enum class stage : std::uint8_t {
    linked,   ///< behind an earlier member of its link chain, not started
    drained,  ///< its chain waits in the ring's drain queue
    pending,  ///< started, waiting for something (see wait_for)
    ready,    ///< its next CQE is decided and waits in ring::ready to be posted
};

/// What a pending request waits for.
enum class wait_for : std::uint8_t {
    nothing,  ///< a link timeout whose target has not started yet
    timer,    ///< TIMEOUT, LINK_TIMEOUT: the virtual clock reaching `deadline`
    count,    ///< TIMEOUT with only a completion count
    fd,       ///< read, write or poll: the fd becoming ready
    held,     ///< a handler's hold: kernel::complete()
    enters,   ///< a handler's after(n): `countdown` more enters
    handler,  ///< a handler's retry, or a multishot handler: ask it again
};

/// One consumed SQE.
struct req {
    std::uint64_t seq = 0;  ///< consumption order across the whole mock
    ring* owner = nullptr;
    abi::io_uring_sqe sqe{};
    abi::io_uring_sqe tail{};  ///< the second 64 bytes on an SQE128 ring
    bool big = false;
    unsigned enters = 0;       ///< enters on the ring since consumption
    stage st = stage::linked;
    wait_for waiting = wait_for::nothing;
    bool by_handler = false;   ///< a test handler decides its results
    bool chain_drain = false;  ///< (chain heads) some member has IOSQE_IO_DRAIN
    bool init_error = false;   ///< failed its checks at consumption; `result` holds the error
    bool deferred = false;     ///< decided outside the ring's enter, on a ring that defers task work
    bool timed_out = false;    ///< a TIMEOUT whose time ran out (its CQE does not count for others)
    bool silent = false;       ///< cancelled by a failed CQE_SKIP_SUCCESS request: posts no CQE
    std::uint64_t chain = 0;   ///< seq of its chain's head
    req* next = nullptr;       ///< the chain member after this one
    req* timeout = nullptr;    ///< the LINK_TIMEOUT guarding this request
    req* target = nullptr;     ///< (LINK_TIMEOUT) the request it guards
    // Timers.
    std::uint64_t deadline = 0;
    std::uint64_t period = 0;     ///< multishot TIMEOUT
    std::uint64_t count_at = 0;   ///< count-based TIMEOUT: fires when ring::counted reaches it
    bool counting = false;
    unsigned shots = 0;           ///< multishot TIMEOUT: CQEs left, 0 for no end
    // Waiting for an fd.
    int fd = -1;
    short events = 0;
    bool multishot = false;
    bool was_ready = false;  ///< multishot poll: the fd was ready at the last look
    unsigned countdown = 0;
    // What the kernel copies at prep time (FEAT_SUBMIT_STABLE).
    std::vector<iovec> iov;
    std::string path;
    completion result{};  ///< the CQE to post when stage::ready (or held for enters)
    std::list<req>::iterator self;
};

/// A provided-buffer ring (IORING_REGISTER_PBUF_RING).
struct pbuf_ring {
    abi::io_uring_buf_ring* br = nullptr;
    std::uint32_t entries = 0;
    std::uint16_t head = 0;
    bool mmapped = false;     ///< IOU_PBUF_RING_MMAP: lives in the ring's memfd at `off`
    std::uint64_t off = 0;
    std::size_t len = 0;
};

/// A CQE waiting in the overflow list.
struct overflowed {
    std::uint64_t user_data;
    completion c;
};

/// One mock ring. The user maps its memfd; the mock has its own view of the same pages.
struct ring {
    int fd = -1;        ///< the memfd the user holds; -1 once closed (or REGISTERED_FD_ONLY)
    int first_fd = -1;  ///< the fd (or registered index) setup returned, for the report
    dev_t dev = 0;      ///< the memfd's identity, to tell it from a reused fd number
    ino_t ino = 0;
    int memfd = -1;     ///< kept open while the ring lives (== fd until the user closes it)
    int wake_fd = -1;   ///< eventfd a blocked waiter polls
    std::uint32_t flags = 0;
    std::uint32_t sq_entries = 0, cq_entries = 0;
    abi::io_sqring_offsets sq_off{};
    abi::io_cqring_offsets cq_off{};
    bool user_mem = false;  ///< IORING_SETUP_NO_MMAP: the rings are the caller's memory
    bool disabled = false;  ///< IORING_SETUP_R_DISABLED until REGISTER_ENABLE_RINGS
    int submitter = 0;      ///< SINGLE_ISSUER: the task allowed to submit
    bool dead = false;
    unsigned slots = 0;     ///< registered ring fds naming it
    // Layout in the memfd.
    std::uint64_t mem_size = 0;
    std::uint64_t rings_off = 0, sqes_off = 0;
    std::size_t rings_len = 0, sqes_len = 0;
    unsigned char* rings = nullptr;    ///< the mock's view (or the caller's memory)
    unsigned char* sqes = nullptr;
    std::vector<std::pair<void*, std::size_t>> views;  ///< the mock's own mappings, unmapped at the end
    // Words in the rings.
    std::uint32_t *sq_head{}, *sq_tail{}, *sq_flags{}, *sq_dropped{}, *sq_array{};
    std::uint32_t *cq_head{}, *cq_tail{}, *cq_overflow{}, *cq_flags{};
    unsigned char* cqes = nullptr;
    // Requests.
    std::list<req> reqs;        ///< every consumed request not yet finished
    std::vector<req*> ready;    ///< decided CQEs not yet posted
    std::deque<req*> drain_q;   ///< chain heads held back by IOSQE_IO_DRAIN
    unsigned active = 0;        ///< requests started (not in drain_q) and not finished
    bool drain_disabled = false;  ///< a CQE_SKIP_SUCCESS request was seen (the kernel's rule)
    std::deque<overflowed> overflow;
    std::vector<overflowed> aux;  ///< CQEs from elsewhere (MSG_RING) deferred to the task
    unsigned enters = 0;
    std::uint64_t counted = 0;    ///< CQEs posted
    std::uint64_t uncounted = 0;  ///< of those, timed-out TIMEOUTs' (count-based timeouts skip them)
    std::uint64_t timeouts_fired = 0;
    unsigned blocked = 0;       ///< waiters inside ppoll
    int clock = 1;              ///< CLOCK_MONOTONIC, or what REGISTER_CLOCK set
    // Registered resources.
    bool files_registered = false;
    std::vector<int> files;     ///< dup()s of the registered fds, -1 for an empty slot
    std::uint32_t alloc_off = 0, alloc_len = 0;
    bool buffers_registered = false;
    std::vector<iovec> buffers;
    std::map<std::uint16_t, pbuf_ring> pbufs;
    std::map<std::uint16_t, std::deque<abi::io_uring_buf>> provided;  ///< PROVIDE_BUFFERS
    int eventfd = -1;
    bool eventfd_async = false;

    ~ring();
    [[nodiscard]] bool defers() const noexcept {
        return (flags & (abi::IORING_SETUP_DEFER_TASKRUN | abi::IORING_SETUP_COOP_TASKRUN)) != 0;
    }
    [[nodiscard]] unsigned cq_ready() const noexcept {
        return load(cq_tail) - load(cq_head, std::memory_order_acquire);
    }
    /// Points the words above into `rings` by sq_off/cq_off.
    void point() noexcept;
};

/// A file the mock opened (OPENAT, SOCKET...), known by identity so a closed-and-reused number
/// is not taken for it.
struct opened_fd {
    int fd;
    dev_t dev;
    ino_t ino;
};

} // namespace detail

struct kernel::impl {
    using ring = detail::ring;
    using req = detail::req;

    explicit impl(const options& o);
    ~impl();

    options opts;
    mutable std::mutex lock;
    sys::backend prev{};
    bool installed_ = false;
    std::array<handler, 256> handlers{};
    std::unordered_map<int, std::shared_ptr<ring>> by_fd;
    std::unordered_map<int, std::array<std::shared_ptr<ring>, detail::ring_slots>> slots;  // by tid
    std::vector<std::shared_ptr<ring>> orphans;  ///< fd gone, still named by a registered slot
    std::uint64_t vclock = detail::ns_per_s;     ///< virtual ns (real_time: offset added to it)
    std::uint64_t real_base = 0;
    std::uint64_t seq = 0;
    std::mt19937_64 rng;
    std::atomic<std::uint64_t> ncalls{0};
    std::vector<report::pending_request> lost;   ///< requests of rings torn down unfinished
    std::vector<detail::opened_fd> opened;
    /// What a thread that called into the mock is doing, for auto_advance_clock: a wait that
    /// only the virtual clock (at `until`) or another thread can end, or anything else.
    struct thread_state {
        bool idle = false;
        std::uint64_t until = ~std::uint64_t{0};
        const detail::ring* on = nullptr;  ///< the ring an idle thread waits on
    };
    std::unordered_map<int, thread_state> threads;  ///< by tid
    std::uint64_t serial = 0;  ///< this mock among those made (1, 2, ...)
    // real_time: a thread fires timers as CLOCK_MONOTONIC passes them.
    std::thread timer_thread;
    std::condition_variable timer_cv;
    bool stopping = false;

    // ---- kernel.cpp -------------------------------------------------------------------------
    [[nodiscard]] std::uint64_t now() const noexcept;
    void start_timer_thread();
    void timer_loop();
    void advance(std::uint64_t ns);
    /// Where the virtual clock may jump for a wait of thread `me` that only time can end at
    /// `until`: the earliest end among the waits of every thread using the mock, or none while
    /// one of them is not in such a wait (it may yet post to this ring, as MSG_RING does).
    std::uint64_t idle_jump(int me, std::uint64_t until);
    /// Takes thread `tid` off `threads` (it ended, or forgot itself) and wakes the waits it
    /// may have held back.
    void drop_thread(int tid);
    void fire_timers(std::uint64_t at);
    /// The ring `fd` names (a registered index with `registered`), or null: not the mock's.
    std::shared_ptr<ring> find(int fd, bool registered);
    int setup(unsigned entries, abi::io_uring_params* p);
    int layout(ring& r, unsigned sq, unsigned cq, std::uint32_t flags, abi::io_uring_params* p,
               std::uint64_t at);
    int enter(ring& r, unsigned to_submit, unsigned min_complete, unsigned flags, const void* arg,
              std::size_t argsz, std::unique_lock<std::mutex>& lk);
    int wait(ring& r, unsigned min_complete, const abi::kernel_timespec* ts, bool abs,
             unsigned min_wait_usec, const void* sigmask, std::unique_lock<std::mutex>& lk);
    unsigned consume(ring& r, unsigned n);
    int close_fd(int fd);
    void teardown(ring& r);
    void release(const std::shared_ptr<ring>& r);
    void wake(ring& r);
    /// Kept when a ring's last reference goes: what the report needs.
    void note_lost(ring& r);

    // Requests: starting, deciding, posting.
    void submit_chain(ring& r, std::vector<req*>& chain);
    void run_drain_queue(ring& r);
    void start(ring& r, req& q);
    void apply(ring& r, req& q, const action& a);
    void decide(ring& r, req& q, std::int32_t res, std::uint32_t flags = 0, bool more = false);
    void decide(ring& r, req& q, const completion& c);
    /// Posts every decided CQE (in options::completion_order) and starts what they free.
    void settle(ring& r, bool all);
    /// Posts or, on a ring that defers task work, leaves for the next enter: for completions
    /// that happen outside the ring's own enter (timers, other threads, the test).
    void settle_async(ring& r);
    /// options::completion_order applied to one round of CQEs.
    void reorder(std::vector<req*>& batch);
    void finish(ring& r, req& q);
    void cancel_chain(ring& r, req* from, bool silent);
    void post(ring& r, const req* q, std::uint64_t user_data, const completion& c);
    /// Writes one CQE if the CQ has room for it (a 32-byte one on a CQE_MIXED ring needs two
    /// slots, after a skip filler in the last slot); false: none, it belongs in the overflow list.
    bool write_cqe(ring& r, std::uint64_t user_data, const completion& c);
    void for_each_ring(const std::function<void(ring&)>& f);
    void flush_overflow(ring& r);
    void retire(ring& r, req& q);
    void check_counts(ring& r);
    /// One pass over what the ring's pending requests wait for (fds, handlers, enters).
    void poll_pending(ring& r, bool is_enter);
    [[nodiscard]] static bool failed(const req& q, std::int32_t res) noexcept;

    // ---- ops.cpp ------------------------------------------------------------------------------
    /// Checks at consumption (what the kernel's prep rejects): 0 or -errno.
    int prep(ring& r, req& q);
    void perform(ring& r, req& q);
    /// One try of a request waiting for its fd: true when it completed (or posted a CQE).
    bool retry_fd(ring& r, req& q);
    void timer_fired(ring& r, req& q);
    [[nodiscard]] bool performs(std::uint8_t op) const noexcept;
    /// Cancels matching requests on `r` (ASYNC_CANCEL, SYNC_CANCEL): the number cancelled, or
    /// -ENOENT when none matched.
    int cancel(ring& r, std::uint64_t user_data, int fd, std::uint32_t cancel_flags, std::uint8_t op,
               const req* self);
    /// The fd a request's sqe.fd names: its own, or with IOSQE_FIXED_FILE the registered file.
    int file_of(ring& r, const req& q, int* fd);
    void track_opened(int fd);

    // ---- register.cpp -------------------------------------------------------------------------
    int register_op(ring* r, unsigned opcode, const void* arg, unsigned nr_args);
    int register_ring_fds(ring& r, const void* arg, unsigned nr);
    int unregister_ring_fds(const void* arg, unsigned nr);
    int resize(ring& r, abi::io_uring_params* p);
    int msg_ring_sync(const abi::io_uring_sqe* sqe);
    void* map(ring& r, std::size_t len, std::uint64_t offset, int* err);
};

} // namespace rawring::mock
