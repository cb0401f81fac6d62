// SPDX-License-Identifier: MIT
// The mock io_uring: its backend table, ring setup and layout, io_uring_enter (consuming SQEs,
// links, drain, posting CQEs, overflow), waits, the virtual clock, teardown and the report.
#include "internal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rawring::mock {

using detail::load;
using detail::store;
using detail::ns_per_s;
using ring = detail::ring;
using req = detail::req;
using detail::stage;
using detail::wait_for;

namespace {

constexpr int clock_monotonic = CLOCK_MONOTONIC;
constexpr int clock_boottime = CLOCK_BOOTTIME;
static_assert(clock_monotonic == 1 && clock_boottime == 7);

// The one installed mock. Install and uninstall are not synchronised with the system calls (as
// sys::set_backend): a call into a mock that another thread uninstalls is the caller's race.
kernel::impl* installed_mock = nullptr;
// Held while installed_mock changes and while a thread's exit hook uses it, so a thread that
// ends while another destroys the mock never touches a freed one. Taken before impl::lock.
std::mutex installed_lock;

std::uint64_t mono_ns() noexcept {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<std::uint64_t>(t.tv_sec) * ns_per_s + static_cast<std::uint64_t>(t.tv_nsec);
}

std::uint64_t ts_ns(const abi::kernel_timespec& ts) noexcept {
    if (ts.tv_sec < 0 || ts.tv_nsec < 0) return 0;
    return static_cast<std::uint64_t>(ts.tv_sec) * ns_per_s + static_cast<std::uint64_t>(ts.tv_nsec);
}


// The setup flags the mock knows, those of Linux 6.18 (SQE_MIXED too with options::linux_6_19).
constexpr std::uint32_t known_setup_flags = abi::IORING_SETUP_CQE_MIXED |
    abi::IORING_SETUP_IOPOLL | abi::IORING_SETUP_SQPOLL | abi::IORING_SETUP_SQ_AFF |
    abi::IORING_SETUP_CQSIZE | abi::IORING_SETUP_CLAMP | abi::IORING_SETUP_ATTACH_WQ |
    abi::IORING_SETUP_R_DISABLED | abi::IORING_SETUP_SUBMIT_ALL | abi::IORING_SETUP_COOP_TASKRUN |
    abi::IORING_SETUP_TASKRUN_FLAG | abi::IORING_SETUP_SQE128 | abi::IORING_SETUP_CQE32 |
    abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN | abi::IORING_SETUP_NO_MMAP |
    abi::IORING_SETUP_REGISTERED_FD_ONLY | abi::IORING_SETUP_NO_SQARRAY |
    abi::IORING_SETUP_HYBRID_IOPOLL;

constexpr std::uint32_t known_enter_flags =
    abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_SQ_WAKEUP | abi::IORING_ENTER_SQ_WAIT |
    abi::IORING_ENTER_EXT_ARG | abi::IORING_ENTER_REGISTERED_RING | abi::IORING_ENTER_ABS_TIMER |
    abi::IORING_ENTER_EXT_ARG_REG | abi::IORING_ENTER_NO_IOWAIT;

bool same_file(int fd, dev_t dev, ino_t ino) noexcept {
    struct stat st {};
    return fd >= 0 && ::fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

// ---- the backend table --------------------------------------------------------------------------

// A thread that entered a mock ring is taken off kernel::impl::threads when it ends, so that
// the waits of the others no longer wait for it (idle_jump).
struct thread_exit_hook {
    std::uint64_t mock = 0;  ///< kernel::impl::serial of the mock it entered, 0: none
    thread_exit_hook() = default;
    thread_exit_hook(const thread_exit_hook&) = delete;
    thread_exit_hook& operator=(const thread_exit_hook&) = delete;
    ~thread_exit_hook() {
        if (mock == 0) return;
        std::lock_guard<std::mutex> g(installed_lock);
        kernel::impl* m = installed_mock;
        if (m == nullptr || m->serial != mock) return;
        std::lock_guard<std::mutex> lk(m->lock);
        m->drop_thread(sys::gettid());
    }
};
thread_local thread_exit_hook exit_hook;

// The calling thread is one that may post to other rings (idle_jump). Under the lock.
void note_thread(kernel::impl& m) {
    if (exit_hook.mock == m.serial) [[likely]] return;
    (void)m.threads[sys::gettid()];
    exit_hook.mock = m.serial;
}

int m_setup(unsigned entries, abi::io_uring_params* p) noexcept {
    kernel::impl* m = installed_mock;
    std::lock_guard<std::mutex> lk(m->lock);
    ++m->ncalls;
    note_thread(*m);
    return m->setup(entries, p);
}

int m_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void* arg,
            std::size_t argsz) noexcept {
    kernel::impl* m = installed_mock;
    const bool registered = (flags & abi::IORING_ENTER_REGISTERED_RING) != 0;
    if (!registered && fd < 0) return -EBADF;  // what the kernel's fd lookup says
    std::unique_lock<std::mutex> lk(m->lock);
    const std::shared_ptr<ring> r = m->find(fd, registered);
    if (!r) {
        lk.unlock();
        return m->prev.enter(fd, to_submit, min_complete, flags, arg, argsz);
    }
    ++m->ncalls;
    note_thread(*m);
    return m->enter(*r, to_submit, min_complete, flags, arg, argsz, lk);
}

int m_register(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    kernel::impl* m = installed_mock;
    const bool registered = (opcode & abi::IORING_REGISTER_USE_REGISTERED_RING) != 0;
    const unsigned op = opcode & ~static_cast<unsigned>(abi::IORING_REGISTER_USE_REGISTERED_RING);
    std::unique_lock<std::mutex> lk(m->lock);
    note_thread(*m);
    if (fd == -1 && !registered) {
        // The ring-less ops; a synchronous MSG_RING to a mock ring is the mock's.
        if (op == abi::IORING_REGISTER_SEND_MSG_RING && arg != nullptr && nr_args == 1) {
            const int ret = m->msg_ring_sync(static_cast<const abi::io_uring_sqe*>(arg));
            if (ret != -ENOTTY) {
                ++m->ncalls;
                return ret;
            }
        }
        if (op == abi::IORING_REGISTER_SEND_MSG_RING || op == abi::IORING_REGISTER_QUERY ||
            op == abi::IORING_REGISTER_BPF_FILTER) {
            lk.unlock();
            return m->prev.register_(fd, opcode, arg, nr_args);
        }
        return -EBADF;
    }
    if (!registered && fd < 0) return -EBADF;
    const std::shared_ptr<ring> r = m->find(fd, registered);
    if (!r) {
        lk.unlock();
        return m->prev.register_(fd, opcode, arg, nr_args);
    }
    ++m->ncalls;
    return m->register_op(r.get(), op, arg, nr_args);
}

void* m_mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept {
    kernel::impl* m = installed_mock;
    std::unique_lock<std::mutex> lk(m->lock);
    const std::shared_ptr<ring> r = m->find(fd, false);
    if (!r) {
        lk.unlock();
        return m->prev.mmap_ring(fd, len, offset, err);
    }
    return m->map(*r, len, offset, err);
}

void* m_mmap_anon(std::size_t len, int* err) noexcept { return installed_mock->prev.mmap_anon(len, err); }

int m_munmap(void* addr, std::size_t len) noexcept { return installed_mock->prev.munmap(addr, len); }

int m_close(int fd) noexcept {
    kernel::impl* m = installed_mock;
    std::unique_lock<std::mutex> lk(m->lock);
    if (m->by_fd.count(fd) != 0) return m->close_fd(fd);
    // A file the mock opened (OPENAT) is no longer the mock's to report.
    std::erase_if(m->opened, [fd](const detail::opened_fd& o) { return o.fd == fd; });
    lk.unlock();
    return m->prev.close(fd);
}

int m_clock_gettime(int clock, abi::kernel_timespec* ts) noexcept {
    kernel::impl* m = installed_mock;
    if (clock != clock_monotonic && clock != clock_boottime) return m->prev.clock_gettime(clock, ts);
    std::lock_guard<std::mutex> lk(m->lock);
    const std::uint64_t t = m->now();
    ts->tv_sec = static_cast<std::int64_t>(t / ns_per_s);
    ts->tv_nsec = static_cast<std::int64_t>(t % ns_per_s);
    return 0;
}

constexpr sys::backend mock_backend{m_setup, m_enter, m_register, m_mmap_ring,
                                    m_mmap_anon, m_munmap, m_close, m_clock_gettime};

} // namespace

// ---- rings ----------------------------------------------------------------------------------------

detail::ring::~ring() {
    for (const auto& v : views) ::munmap(v.first, v.second);
    if (wake_fd >= 0) ::close(wake_fd);
    // A memfd handed out is the user's to close (rawring closes it through whatever backend is
    // in force then, even after the mock is gone); only one never handed out is ours.
    if (memfd >= 0 && fd < 0 && same_file(memfd, dev, ino)) ::close(memfd);
    for (const int f : files)
        if (f >= 0) ::close(f);
    if (eventfd >= 0) ::close(eventfd);
}

void detail::ring::point() noexcept {
    const auto word = [this](std::uint32_t off) { return reinterpret_cast<std::uint32_t*>(rings + off); };
    sq_head = word(sq_off.head);
    sq_tail = word(sq_off.tail);
    sq_flags = word(sq_off.flags);
    sq_dropped = word(sq_off.dropped);
    sq_array = (flags & abi::IORING_SETUP_NO_SQARRAY) != 0 ? nullptr : word(sq_off.array);
    cq_head = word(cq_off.head);
    cq_tail = word(cq_off.tail);
    cq_overflow = word(cq_off.overflow);
    cq_flags = word(cq_off.flags);
    cqes = rings + cq_off.cqes;
}

kernel::impl::impl(const options& o) : opts(o), real_base(mono_ns()), rng(o.seed) {
    static std::atomic<std::uint64_t> made{0};
    serial = ++made;
}

kernel::impl::~impl() = default;

std::uint64_t kernel::impl::now() const noexcept {
    return opts.real_time ? mono_ns() - real_base + vclock : vclock;
}

std::shared_ptr<ring> kernel::impl::find(int fd, bool registered) {
    if (registered) {
        if (fd < 0 || fd >= static_cast<int>(detail::ring_slots)) return nullptr;
        const auto t = slots.find(sys::gettid());
        if (t == slots.end()) return nullptr;
        return t->second[static_cast<unsigned>(fd)];
    }
    const auto it = by_fd.find(fd);
    return it == by_fd.end() ? nullptr : it->second;
}

int kernel::impl::layout(ring& r, unsigned sq, unsigned cq, std::uint32_t flags,
                         abi::io_uring_params* p, std::uint64_t at) {
    // The kernel's struct io_rings: SQ and CQ head/tail, masks, entries, dropped, SQ flags, CQ
    // flags, overflow, then the CQEs at 64 and the SQ array after them at a cache line.
    abi::io_sqring_offsets so{};
    abi::io_cqring_offsets co{};
    so.head = 0;
    so.tail = 4;
    so.ring_mask = 16;
    so.ring_entries = 24;
    so.dropped = 32;
    so.flags = 36;
    co.head = 8;
    co.tail = 12;
    co.ring_mask = 20;
    co.ring_entries = 28;
    co.flags = 40;
    co.overflow = 44;
    co.cqes = 64;
    std::size_t off = 64 + std::size_t{cq} * sizeof(abi::io_uring_cqe);
    if ((flags & abi::IORING_SETUP_CQE32) != 0) off <<= 1;
    off = (off + 63) & ~std::size_t{63};
    std::size_t rings_size = off;
    if ((flags & abi::IORING_SETUP_NO_SQARRAY) == 0) {
        so.array = static_cast<std::uint32_t>(off);
        rings_size += std::size_t{sq} * 4;
    }
    const std::size_t sqes_size = std::size_t{sq} * ((flags & abi::IORING_SETUP_SQE128) != 0 ? 128 : 64);
    if (r.user_mem) {
        // NO_MMAP: the SQEs at sq_off.user_addr, the rings at cq_off.user_addr, as given.
        so.user_addr = p->sq_off.user_addr;
        co.user_addr = p->cq_off.user_addr;
        r.sqes = reinterpret_cast<unsigned char*>(static_cast<std::uintptr_t>(so.user_addr));
        r.rings = reinterpret_cast<unsigned char*>(static_cast<std::uintptr_t>(co.user_addr));
        std::memset(r.rings, 0, rings_size);
        r.rings_len = rings_size;
        r.sqes_len = sqes_size;
    } else {
        const std::size_t rl = detail::page_round(rings_size);
        const std::size_t sl = detail::page_round(sqes_size);
        if (::ftruncate(r.memfd, static_cast<off_t>(at + rl + sl)) != 0) return -errno;
        void* rv = ::mmap(nullptr, rl, PROT_READ | PROT_WRITE, MAP_SHARED, r.memfd, static_cast<off_t>(at));
        if (rv == MAP_FAILED) return -errno;
        r.views.emplace_back(rv, rl);
        void* sv = ::mmap(nullptr, sl, PROT_READ | PROT_WRITE, MAP_SHARED, r.memfd,
                          static_cast<off_t>(at + rl));
        if (sv == MAP_FAILED) return -errno;
        r.views.emplace_back(sv, sl);
        r.rings = static_cast<unsigned char*>(rv);
        r.sqes = static_cast<unsigned char*>(sv);
        r.rings_off = at;
        r.rings_len = rl;
        r.sqes_off = at + rl;
        r.sqes_len = sl;
        r.mem_size = at + rl + sl;
    }
    r.sq_off = so;
    r.cq_off = co;
    r.point();
    *reinterpret_cast<std::uint32_t*>(r.rings + so.ring_mask) = sq - 1;
    *reinterpret_cast<std::uint32_t*>(r.rings + so.ring_entries) = sq;
    *reinterpret_cast<std::uint32_t*>(r.rings + co.ring_mask) = cq - 1;
    *reinterpret_cast<std::uint32_t*>(r.rings + co.ring_entries) = cq;
    r.sq_entries = sq;
    r.cq_entries = cq;
    p->sq_entries = sq;
    p->cq_entries = cq;
    p->sq_off = so;
    p->cq_off = co;
    return 0;
}

namespace detail {

int ring_sizes(unsigned entries, const abi::io_uring_params& p, unsigned* sq, unsigned* cq) noexcept {
    const auto pow2_at_least = [](unsigned n) {
        unsigned v = 1;
        while (v < n) v <<= 1;
        return v;
    };
    const bool clamp = (p.flags & abi::IORING_SETUP_CLAMP) != 0;
    if (entries == 0) return -EINVAL;
    if (entries > max_sq_entries) {
        if (!clamp) return -EINVAL;
        entries = max_sq_entries;
    }
    *sq = pow2_at_least(entries);
    *cq = 2 * *sq;
    if ((p.flags & abi::IORING_SETUP_CQSIZE) != 0) {
        unsigned want = p.cq_entries;
        if (want == 0) return -EINVAL;
        if (want > max_cq_entries) {
            if (!clamp) return -EINVAL;
            want = max_cq_entries;
        }
        *cq = pow2_at_least(want);
        if (*cq < *sq) return -EINVAL;
    }
    return 0;
}

} // namespace detail

int kernel::impl::setup(unsigned entries, abi::io_uring_params* p) {
    if (p == nullptr) return -EFAULT;
    const std::uint32_t flags = p->flags;
    // The kernel's checks, in its order where it matters for the errno.
    if (entries == 0) return -EINVAL;
    const std::uint32_t known = known_setup_flags | (opts.linux_6_19 ? abi::IORING_SETUP_SQE_MIXED : 0u);
    if ((flags & ~known) != 0) return -EINVAL;
    if (p->resv[0] != 0 || p->resv[1] != 0 || p->resv[2] != 0) return -EINVAL;
    if ((flags & abi::IORING_SETUP_SQ_AFF) != 0 && (flags & abi::IORING_SETUP_SQPOLL) == 0) return -EINVAL;
    if ((flags & abi::IORING_SETUP_SQPOLL) != 0 &&
        (flags & (abi::IORING_SETUP_COOP_TASKRUN | abi::IORING_SETUP_TASKRUN_FLAG |
                  abi::IORING_SETUP_DEFER_TASKRUN)) != 0)
        return -EINVAL;
    if ((flags & abi::IORING_SETUP_TASKRUN_FLAG) != 0 &&
        (flags & (abi::IORING_SETUP_COOP_TASKRUN | abi::IORING_SETUP_DEFER_TASKRUN)) == 0)
        return -EINVAL;
    if ((flags & abi::IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & abi::IORING_SETUP_SINGLE_ISSUER) == 0)
        return -EINVAL;
    if ((flags & abi::IORING_SETUP_REGISTERED_FD_ONLY) != 0 && (flags & abi::IORING_SETUP_NO_MMAP) == 0)
        return -EINVAL;
    if ((flags & abi::IORING_SETUP_HYBRID_IOPOLL) != 0 && (flags & abi::IORING_SETUP_IOPOLL) == 0)
        return -EINVAL;
    // Mixed sizes make no sense on a ring whose every entry is already the big one.
    if ((flags & abi::IORING_SETUP_CQE32) != 0 && (flags & abi::IORING_SETUP_CQE_MIXED) != 0) return -EINVAL;
    if ((flags & abi::IORING_SETUP_SQE128) != 0 && (flags & abi::IORING_SETUP_SQE_MIXED) != 0) return -EINVAL;
    unsigned sq = 0, cq = 0;
    if (const int ret = detail::ring_sizes(entries, *p, &sq, &cq); ret != 0) return ret;
    // A big entry takes two slots, so a mixed queue needs at least two: the kernel's rings_size
    // finds no layout for fewer, which setup reports as -EOVERFLOW.
    if ((flags & abi::IORING_SETUP_CQE_MIXED) != 0 && cq < 2) return -EOVERFLOW;
    if ((flags & abi::IORING_SETUP_SQE_MIXED) != 0 && sq < 2) return -EOVERFLOW;
    if ((flags & abi::IORING_SETUP_NO_MMAP) != 0 && (p->sq_off.user_addr == 0 || p->cq_off.user_addr == 0))
        return -EFAULT;
    if ((flags & abi::IORING_SETUP_ATTACH_WQ) != 0 && by_fd.count(static_cast<int>(p->wq_fd)) == 0)
        return ::fcntl(static_cast<int>(p->wq_fd), F_GETFD) < 0 ? -EBADF : -EINVAL;

    auto r = std::make_shared<ring>();
    // The fd the user gets is a memfd holding the rings: a real fd (so fd limits and numbers
    // behave as the kernel's do) whose pages live until both it is closed and they are unmapped.
    // Its name puts "io_uring" in /proc/self/maps, as the kernel's anon inode does.
    r->memfd = ::memfd_create("rawring-mock:io_uring", MFD_CLOEXEC);
    if (r->memfd < 0) return -errno;
    r->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->wake_fd < 0) return -errno;  // ~ring closes the memfd
    struct stat st {};
    if (::fstat(r->memfd, &st) != 0) return -errno;
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->flags = flags;
    r->user_mem = (flags & abi::IORING_SETUP_NO_MMAP) != 0;
    if (const int ret = layout(*r, sq, cq, flags, p, 0); ret < 0) return ret;
    p->features = opts.features;
    r->disabled = (flags & abi::IORING_SETUP_R_DISABLED) != 0;
    if ((flags & abi::IORING_SETUP_SINGLE_ISSUER) != 0 && !r->disabled) r->submitter = sys::gettid();
    // The simulated poller starts asleep: only an enter wakes it.
    if ((flags & abi::IORING_SETUP_SQPOLL) != 0 && opts.sqpoll_sleeps)
        detail::set_bits(r->sq_flags, abi::IORING_SQ_NEED_WAKEUP);
    if ((flags & abi::IORING_SETUP_REGISTERED_FD_ONLY) != 0) {
        // No fd at all: the answer is this task's registered index of the ring.
        auto& table = slots[sys::gettid()];
        for (int i = static_cast<int>(detail::ring_slots) - 1; i >= 0; --i) {
            if (table[static_cast<unsigned>(i)]) continue;
            table[static_cast<unsigned>(i)] = r;
            r->slots = 1;
            r->first_fd = i;
            ::close(r->memfd);
            r->memfd = -1;
            return i;
        }
        return -EBUSY;
    }
    r->fd = r->first_fd = r->memfd;
    if (const auto it = by_fd.find(r->fd); it != by_fd.end()) {
        // An earlier ring's fd was closed behind the mock's back and its number reused.
        const std::shared_ptr<ring> old = it->second;
        by_fd.erase(it);
        old->fd = -1;
        old->memfd = -1;
        release(old);
    }
    by_fd[r->fd] = r;
    return r->fd;
}

void* kernel::impl::map(ring& r, std::size_t len, std::uint64_t offset, int* err) {
    std::uint64_t file_off = 0;
    std::size_t region = 0;
    if (r.user_mem || r.memfd < 0) {
        *err = -EINVAL;
        return nullptr;
    }
    if (offset == abi::IORING_OFF_SQ_RING || offset == abi::IORING_OFF_CQ_RING) {
        file_off = r.rings_off;
        region = r.rings_len;
    } else if (offset == abi::IORING_OFF_SQES) {
        file_off = r.sqes_off;
        region = r.sqes_len;
    } else if ((offset & abi::IORING_OFF_MMAP_MASK) == abi::IORING_OFF_PBUF_RING) {
        const auto bgid = static_cast<std::uint16_t>((offset - abi::IORING_OFF_PBUF_RING) >> abi::IORING_OFF_PBUF_SHIFT);
        const auto it = r.pbufs.find(bgid);
        if (it == r.pbufs.end() || !it->second.mmapped) {
            *err = -EINVAL;
            return nullptr;
        }
        file_off = it->second.off;
        region = it->second.len;
    } else {
        *err = -EINVAL;
        return nullptr;
    }
    if (len == 0 || len > region) {
        *err = -EINVAL;
        return nullptr;
    }
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.memfd,
                     static_cast<off_t>(file_off));
    if (p == MAP_FAILED) {
        *err = -errno;
        return nullptr;
    }
    return p;
}

// ---- enter --------------------------------------------------------------------------------------

int kernel::impl::enter(ring& r, unsigned to_submit, unsigned min_complete, unsigned flags,
                        const void* arg, std::size_t argsz, std::unique_lock<std::mutex>& lk) {
    if ((flags & ~known_enter_flags) != 0) return -EINVAL;
    if (r.dead) return -EBADF;
    if (r.disabled) return -EBADFD;
    if ((r.flags & abi::IORING_SETUP_DEFER_TASKRUN) != 0 && r.submitter != sys::gettid()) return -EEXIST;
    const void* sigmask = nullptr;
    const abi::kernel_timespec* ts = nullptr;
    unsigned min_wait = 0;
    if ((flags & abi::IORING_ENTER_EXT_ARG) != 0) {
        if ((opts.features & abi::IORING_FEAT_EXT_ARG) == 0) return -EINVAL;
        // No wait region can be registered with the mock (REGISTER_MEM_REGION is not modelled).
        if ((flags & abi::IORING_ENTER_EXT_ARG_REG) != 0) return -EFAULT;
        if (argsz != sizeof(abi::io_uring_getevents_arg)) return -EINVAL;
        if (arg != nullptr) {
            abi::io_uring_getevents_arg ea{};
            std::memcpy(&ea, arg, sizeof(ea));
            if (ea.sigmask != 0 && ea.sigmask_sz != sys::sigset_size) return -EINVAL;
            if (ea.min_wait_usec != 0 && (opts.features & abi::IORING_FEAT_MIN_TIMEOUT) == 0) return -EINVAL;
            sigmask = reinterpret_cast<const void*>(static_cast<std::uintptr_t>(ea.sigmask));
            ts = reinterpret_cast<const abi::kernel_timespec*>(static_cast<std::uintptr_t>(ea.ts));
            min_wait = ea.min_wait_usec;
        }
    } else {
        if ((flags & (abi::IORING_ENTER_ABS_TIMER | abi::IORING_ENTER_EXT_ARG_REG)) != 0) return -EINVAL;
        if (arg != nullptr && argsz != sys::sigset_size) return -EINVAL;
        sigmask = arg;
    }
    if ((flags & abi::IORING_ENTER_ABS_TIMER) != 0 && ts == nullptr) return -EINVAL;

    // This enter is one more for every request counting enters (handlers' after(n)).
    ++r.enters;
    for (req& q : r.reqs) ++q.enters;
    poll_pending(r, true);

    int ret = 0;
    bool stopped_short = false;
    if ((r.flags & abi::IORING_SETUP_SQPOLL) != 0) {
        // No thread: the simulated poller runs here, when woken (or always, if it never sleeps),
        // and sleeps again once the SQ is empty. The kernel answers an SQPOLL enter with
        // to_submit whatever the poller takes.
        if (!opts.sqpoll_sleeps ||
            (flags & (abi::IORING_ENTER_SQ_WAKEUP | abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_SQ_WAIT)) != 0)
            (void)consume(r, ~0u);
        ret = static_cast<int>(to_submit);
    } else if (to_submit != 0) {
        const unsigned n = consume(r, to_submit);
        ret = static_cast<int>(n);
        stopped_short = n != to_submit;
    }
    fire_timers(now());
    // Inline completions are posted before the enter returns; work deferred to the task
    // (DEFER_TASKRUN) only runs when it asks for events, COOP_TASKRUN work at any enter.
    const bool getevents = (flags & abi::IORING_ENTER_GETEVENTS) != 0;
    settle(r, getevents || (r.flags & abi::IORING_SETUP_DEFER_TASKRUN) == 0);
    if (getevents) flush_overflow(r);
    if (stopped_short || !getevents || min_complete == 0) return ret;
    const unsigned want = std::min(min_complete, r.cq_entries);
    const int waited = wait(r, want, ts, (flags & abi::IORING_ENTER_ABS_TIMER) != 0, min_wait, sigmask, lk);
    return ret != 0 ? ret : waited;
}

unsigned kernel::impl::consume(ring& r, unsigned n) {
    std::uint32_t head = load(r.sq_head);
    // Acquire pairs with the user's release of the tail (SQPOLL) so the SQEs below it are written.
    const std::uint32_t tail = load(r.sq_tail, std::memory_order_acquire);
    const unsigned avail = tail - head;
    if (n > avail) n = avail;
    const unsigned shift = (r.flags & abi::IORING_SETUP_SQE128) != 0 ? 1 : 0;
    std::vector<req*> chain;
    unsigned taken = 0;
    for (unsigned i = 0; i < n; ++i) {
        const std::uint32_t slot = head & (r.sq_entries - 1);
        const std::uint32_t idx = r.sq_array != nullptr ? r.sq_array[slot] : slot;
        ++head;
        if (idx >= r.sq_entries) {
            // The kernel drops an SQE whose array entry is out of range and stops there.
            store(r.sq_dropped, load(r.sq_dropped) + 1);
            break;
        }
        r.reqs.emplace_back();
        req& q = r.reqs.back();
        q.self = std::prev(r.reqs.end());
        q.seq = ++seq;
        q.owner = &r;
        const unsigned char* src = r.sqes + (std::size_t{idx} << shift) * sizeof(abi::io_uring_sqe);
        std::memcpy(&q.sqe, src, sizeof(q.sqe));
        if (shift != 0) {
            std::memcpy(&q.tail, src + sizeof(abi::io_uring_sqe), sizeof(q.tail));
            q.big = true;
        }
        ++taken;
        int err = 0;
        if (shift == 0 && opts.linux_6_19 &&
            (q.sqe.opcode == abi::IORING_OP_NOP128 || q.sqe.opcode == abi::IORING_OP_URING_CMD128)) {
            // A 128-byte opcode on a 64-byte SQ (Linux 6.19): only on an SQE_MIXED ring, and only
            // as two contiguous slots of this batch. It is refused in the ring's last slot (by
            // its position in the SQ and by the SQE it names), or as the batch's last entry.
            if ((r.flags & abi::IORING_SETUP_SQE_MIXED) == 0 || n - i < 2 ||
                (head & (r.sq_entries - 1)) == 0 || idx == r.sq_entries - 1) {
                err = -EINVAL;
            } else {
                std::memcpy(&q.tail, src + sizeof(abi::io_uring_sqe), sizeof(q.tail));
                q.big = true;
                ++head;  // the second slot is the SQE's, not another request's
                ++i;
                ++taken;
            }
        }
        if (err == 0) err = prep(r, q);
        if (err < 0) {
            q.init_error = true;
            q.result = completion{err, 0, {0, 0}, false};
        }
        chain.push_back(&q);
        const bool linked = (q.sqe.flags & (abi::IOSQE_IO_LINK | abi::IOSQE_IO_HARDLINK)) != 0;
        if (!linked) {
            submit_chain(r, chain);
            chain.clear();
        }
        // Without SUBMIT_ALL the kernel stops at the first SQE that fails its checks.
        if (err < 0 && (r.flags & abi::IORING_SETUP_SUBMIT_ALL) == 0) break;
    }
    // Release: our reads of the SQEs are done before the user may reuse their slots.
    store(r.sq_head, head, std::memory_order_release);
    // A chain still open at the end of the batch is submitted as it is (the kernel's rule).
    if (!chain.empty()) submit_chain(r, chain);
    return taken;
}

void kernel::impl::submit_chain(ring& r, std::vector<req*>& chain) {
    bool drain = false;
    bool broken = false;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        req& q = *chain[i];
        q.next = i + 1 < chain.size() ? chain[i + 1] : nullptr;
        q.st = stage::linked;
        q.chain = chain.front()->seq;
        drain |= (q.sqe.flags & abi::IOSQE_IO_DRAIN) != 0;
        if (q.sqe.opcode == abi::IORING_OP_LINK_TIMEOUT && !q.init_error && !q.by_handler) {
            // It guards the request just before it, which must exist and link to it.
            if (i == 0) {
                q.init_error = true;
                q.result = completion{-EINVAL, 0, {0, 0}, false};
            } else {
                chain[i - 1]->timeout = &q;
                q.target = chain[i - 1];
            }
        }
        broken |= q.init_error;
    }
    r.active += static_cast<unsigned>(chain.size());
    if (broken) {
        // A chain with a member that failed its checks is never started: that member posts its
        // error and the others -ECANCELED.
        for (req* q : chain) {
            q->next = q->timeout = q->target = nullptr;
            decide(r, *q, q->init_error ? q->result.res : -ECANCELED);
        }
        return;
    }
    req* head = chain.front();
    head->chain_drain = drain;
    if (!drain && r.drain_q.empty()) {
        start(r, *head);
        return;
    }
    r.active -= static_cast<unsigned>(chain.size());
    for (req* q : chain) q->st = stage::drained;
    r.drain_q.push_back(head);
    run_drain_queue(r);
}

void kernel::impl::run_drain_queue(ring& r) {
    // The kernel's rule: a queued chain starts once everything started before it has finished,
    // and after the first, later chains follow at once until the next drain among them.
    bool first = true;
    bool drain_seen = false;
    while (!r.drain_q.empty()) {
        req* head = r.drain_q.front();
        drain_seen |= head->chain_drain;
        if ((drain_seen || first) && r.active != 0) return;
        r.drain_q.pop_front();
        for (req* q = head; q != nullptr; q = q->next) {
            q->st = stage::linked;
            ++r.active;
        }
        start(r, *head);
        first = false;
    }
}

void kernel::impl::start(ring& r, req& q) {
    q.st = stage::pending;
    q.waiting = wait_for::nothing;
    if (const handler& h = handlers[q.sqe.opcode]) {
        const request view{r.fd, q.sqe.user_data, q.sqe.opcode, q.enters, q.sqe, q.big ? &q.tail : nullptr};
        apply(r, q, h(view));
    } else {
        perform(r, q);
    }
    // A linked timeout starts counting when the request it guards has started and not finished.
    if (req* lt = q.timeout; lt != nullptr && q.st == stage::pending) {
        lt->st = stage::pending;
        lt->waiting = wait_for::timer;
        lt->deadline = (lt->sqe.timeout_flags & abi::IORING_TIMEOUT_ABS) != 0 ? lt->period : now() + lt->period;
        timer_cv.notify_all();
    }
}

void kernel::impl::apply(ring& r, req& q, const action& a) {
    q.by_handler = true;
    switch (a.what) {
    case action::kind::complete:
        if (a.enters == 0) {
            decide(r, q, a.result);
        } else {
            q.st = stage::pending;
            q.waiting = wait_for::enters;
            q.countdown = a.enters;
            q.result = a.result;
        }
        break;
    case action::kind::hold:
        q.st = stage::pending;
        q.waiting = wait_for::held;
        break;
    case action::kind::again:
        q.st = stage::pending;
        q.waiting = wait_for::handler;
        break;
    case action::kind::perform:
        q.by_handler = false;
        perform(r, q);
        break;
    }
}

void kernel::impl::decide(ring& r, req& q, std::int32_t res, std::uint32_t flags, bool more) {
    decide(r, q, completion{res, flags, {0, 0}, more});
}

void kernel::impl::decide(ring& r, req& q, const completion& c) {
    if (q.st == stage::ready) return;  // already decided (a race of a timer and a cancel)
    q.result = c;
    q.st = stage::ready;
    q.deferred = false;
    r.ready.push_back(&q);
}

bool kernel::impl::failed(const req& q, std::int32_t res) noexcept {
    const abi::io_uring_sqe& s = q.sqe;
    if (res < 0)
        return !(s.opcode == abi::IORING_OP_TIMEOUT && res == -ETIME &&
                 (s.timeout_flags & abi::IORING_TIMEOUT_ETIME_SUCCESS) != 0);
    // A short read or write breaks a link as a failure does.
    std::uint64_t want = 0;
    switch (s.opcode) {
    case abi::IORING_OP_READ:
    case abi::IORING_OP_WRITE:
    case abi::IORING_OP_READ_FIXED:
    case abi::IORING_OP_WRITE_FIXED:
        if ((s.flags & abi::IOSQE_BUFFER_SELECT) != 0) return false;
        want = s.len;
        break;
    case abi::IORING_OP_READV:
    case abi::IORING_OP_WRITEV:
        for (const iovec& v : q.iov) want += v.iov_len;
        break;
    default:
        return false;
    }
    return static_cast<std::uint64_t>(res) < want;
}

void kernel::impl::settle(ring& r, bool all) {
    // Each round posts what is decided now; what that starts (the next link) is the next round,
    // so the completion order never reorders the members of one chain.
    while (!r.ready.empty()) {
        std::vector<req*> batch;
        std::vector<req*> keep;
        for (req* q : r.ready) (!all && q->deferred ? keep : batch).push_back(q);
        if (batch.empty()) break;
        r.ready.swap(keep);
        if (opts.completion_order != order::fifo) reorder(batch);
        for (req* q : batch) finish(r, *q);
    }
    if (all && !r.aux.empty()) {
        for (const detail::overflowed& o : r.aux) post(r, nullptr, o.user_data, o.c);
        r.aux.clear();
    }
    const bool deferred_left = !r.aux.empty() ||
                               std::any_of(r.ready.begin(), r.ready.end(), [](const req* q) { return q->deferred; });
    if (!deferred_left) detail::clear_bits(r.sq_flags, abi::IORING_SQ_TASKRUN);
}

void kernel::impl::reorder(std::vector<req*>& batch) {
    // Whole chains move; within a chain (a cancelled rest, say) the order stays the kernel's.
    std::vector<std::vector<req*>> groups;
    for (req* q : batch) {
        auto g = std::find_if(groups.begin(), groups.end(),
                              [q](const std::vector<req*>& v) { return v.front()->chain == q->chain; });
        if (g == groups.end())
            groups.push_back({q});
        else
            g->push_back(q);
    }
    if (opts.completion_order == order::reversed)
        std::reverse(groups.begin(), groups.end());
    else
        std::shuffle(groups.begin(), groups.end(), rng);
    batch.clear();
    for (const auto& g : groups) batch.insert(batch.end(), g.begin(), g.end());
}

void kernel::impl::settle_async(ring& r) {
    if (r.defers()) {
        for (req* q : r.ready) q->deferred = true;
        if (!r.ready.empty() || !r.aux.empty()) {
            if ((r.flags & abi::IORING_SETUP_TASKRUN_FLAG) != 0) detail::set_bits(r.sq_flags, abi::IORING_SQ_TASKRUN);
            wake(r);
        }
        return;
    }
    settle(r, true);
    wake(r);
}

void kernel::impl::finish(ring& r, req& q) {
    completion c = q.result;
    const bool fail = failed(q, c.res);
    const bool skip = !c.more && !fail && (q.sqe.flags & abi::IOSQE_CQE_SKIP_SUCCESS) != 0;
    if (c.more) c.flags |= abi::IORING_CQE_F_MORE;
    if (!skip && !q.silent) post(r, &q, q.sqe.user_data, c);
    if (c.more) {
        // A multishot request lives on: a handler's is asked again, the mock's own keeps waiting.
        q.st = stage::pending;
        if (q.by_handler && q.waiting != wait_for::held) q.waiting = wait_for::handler;
        return;
    }
    req* next = q.next;
    if (req* lt = q.timeout; lt != nullptr) {
        // It finished before its linked timeout fired: that timeout is cancelled, and the chain
        // goes on after it.
        next = lt->next;
        lt->next = nullptr;
        lt->target = nullptr;
        lt->waiting = wait_for::nothing;
        decide(r, *lt, -ECANCELED);
    }
    const bool hard = (q.sqe.flags & abi::IOSQE_IO_HARDLINK) != 0;
    const bool skip_success = (q.sqe.flags & abi::IOSQE_CQE_SKIP_SUCCESS) != 0;
    retire(r, q);  // q is gone from here on
    if (next == nullptr) return;
    // A failed skip-success request posts its own CQE (the failure is news) but the members its
    // failure cancels post none, as in the kernel (REQ_F_SKIP_LINK_CQES).
    if (fail && !hard)
        cancel_chain(r, next, skip_success);
    else
        start(r, *next);
}

void kernel::impl::cancel_chain(ring& r, req* from, bool silent) {
    for (req* m = from; m != nullptr;) {
        req* const after = m->next;
        m->silent = silent;
        m->next = nullptr;
        m->timeout = nullptr;
        m->target = nullptr;
        decide(r, *m, -ECANCELED);
        m = after;
    }
}

void kernel::impl::retire(ring& r, req& q) {
    --r.active;
    r.reqs.erase(q.self);
    run_drain_queue(r);
}

void kernel::impl::post(ring& r, const req* q, std::uint64_t user_data, const completion& c) {
    if (!r.overflow.empty() || !write_cqe(r, user_data, c)) {
        // No drop (IORING_FEAT_NODROP): kept in order and flushed when the CQ has room.
        r.overflow.push_back({user_data, c});
        detail::set_bits(r.sq_flags, abi::IORING_SQ_CQ_OVERFLOW);
    }
    ++r.counted;
    if (q != nullptr && q->timed_out) ++r.uncounted;
    if (r.eventfd >= 0 && (load(r.cq_flags) & abi::IORING_CQ_EVENTFD_DISABLED) == 0) {
        const std::uint64_t one = 1;
        (void)!::write(r.eventfd, &one, sizeof(one));
    }
    wake(r);
    check_counts(r);
}

bool kernel::impl::write_cqe(ring& r, std::uint64_t user_data, const completion& c) {
    std::uint32_t tail = load(r.cq_tail);
    const std::uint32_t mask = r.cq_entries - 1;
    const bool cqe32 = (r.flags & abi::IORING_SETUP_CQE32) != 0;
    // On a CQE_MIXED ring the flag itself makes a CQE big: two slots, never split by the wrap.
    const bool big = !cqe32 && (r.flags & abi::IORING_SETUP_CQE_MIXED) != 0 &&
                     (c.flags & abi::IORING_CQE_F_32) != 0;
    if (r.cq_ready() >= r.cq_entries) return false;
    if (big && (tail & mask) == mask) {
        // The kernel's io_fill_nop_cqe: one slot left before the wrap gets a filler, posted even
        // when the big CQE then finds no room (it goes to the overflow list after the filler).
        abi::io_uring_cqe filler{};
        filler.flags = abi::IORING_CQE_F_SKIP;
        std::memcpy(r.cqes + std::size_t{tail & mask} * sizeof(abi::io_uring_cqe), &filler, sizeof(filler));
        ++tail;
        // Release: the filler is written before the user can see the new tail.
        store(r.cq_tail, tail, std::memory_order_release);
    }
    if (big && r.cq_entries - r.cq_ready() < 2) return false;
    unsigned char* dst = r.cqes + (std::size_t{tail & mask} << (cqe32 ? 1 : 0)) * sizeof(abi::io_uring_cqe);
    abi::io_uring_cqe32 cqe{};
    cqe.user_data = user_data;
    cqe.res = c.res;
    cqe.flags = c.flags;
    cqe.big_cqe[0] = c.big_cqe[0];
    cqe.big_cqe[1] = c.big_cqe[1];
    std::memcpy(dst, &cqe, cqe32 || big ? sizeof(abi::io_uring_cqe32) : sizeof(abi::io_uring_cqe));
    // Release: the CQE is written before the user can see the new tail.
    store(r.cq_tail, tail + (big ? 2 : 1), std::memory_order_release);
    return true;
}

void kernel::impl::flush_overflow(ring& r) {
    while (!r.overflow.empty() && write_cqe(r, r.overflow.front().user_data, r.overflow.front().c))
        r.overflow.pop_front();
    if (r.overflow.empty()) detail::clear_bits(r.sq_flags, abi::IORING_SQ_CQ_OVERFLOW);
}

void kernel::impl::check_counts(ring& r) {
    const std::uint64_t seen = r.counted - r.uncounted;
    for (req& q : r.reqs)
        if (q.st == stage::pending && q.counting && seen >= q.count_at) {
            q.waiting = wait_for::nothing;
            q.counting = false;
            decide(r, q, 0);
        }
}

void kernel::impl::poll_pending(ring& r, bool is_enter) {
    for (req& q : r.reqs) {
        if (q.st != stage::pending) continue;
        switch (q.waiting) {
        case wait_for::enters:
            if (is_enter && --q.countdown == 0) decide(r, q, q.result);
            break;
        case wait_for::handler:
            if (const handler& h = handlers[q.sqe.opcode]) {
                const request view{r.fd, q.sqe.user_data, q.sqe.opcode, q.enters, q.sqe, q.big ? &q.tail : nullptr};
                const action a = h(view);
                if (a.what != action::kind::again) apply(r, q, a);
            } else {
                q.by_handler = false;
                perform(r, q);
            }
            break;
        case wait_for::fd:
            (void)retry_fd(r, q);
            break;
        default:
            break;
        }
    }
    if ((r.flags & abi::IORING_SETUP_SQPOLL) != 0 && !opts.sqpoll_sleeps) (void)consume(r, ~0u);
}

void kernel::impl::wake(ring& r) {
    if (r.blocked != 0) {
        const std::uint64_t one = 1;
        (void)!::write(r.wake_fd, &one, sizeof(one));
        // Its waiters are at work from now on, though not yet scheduled: a CQE or a wake-up
        // came, so the clock must not jump past them (idle_jump) before they have looked.
        for (auto& [tid, st] : threads)
            if (st.idle && st.on == &r) st.idle = false;
    }
}

// ---- waits and the clock --------------------------------------------------------------------------

int kernel::impl::wait(ring& r, unsigned min_complete, const abi::kernel_timespec* ts, bool abs,
                       unsigned min_wait_usec, const void* sigmask, std::unique_lock<std::mutex>& lk) {
    constexpr std::uint64_t none = ~std::uint64_t{0};
    const std::uint64_t start_at = now();
    std::uint64_t deadline = none;
    if (ts != nullptr) {
        abi::kernel_timespec t{};
        std::memcpy(&t, ts, sizeof(t));
        deadline = abs ? ts_ns(t) : start_at + ts_ns(t);
    }
    const std::uint64_t min_deadline = min_wait_usec != 0 ? start_at + std::uint64_t{min_wait_usec} * 1000 : none;
    const std::uint64_t fired_before = r.timeouts_fired;
    const int me = sys::gettid();
    std::vector<pollfd> fds;
    for (;;) {
        fire_timers(now());
        poll_pending(r, false);
        settle(r, true);
        flush_overflow(r);
        if (r.dead) return -EBADF;
        const unsigned ready = r.cq_ready();
        if (ready >= min_complete) return 0;
        // A TIMEOUT request firing ends every wait on its ring, as in the kernel.
        if (r.timeouts_fired != fired_before) return 0;
        const std::uint64_t t = now();
        if (t >= deadline) return ready != 0 ? 0 : -ETIME;
        if (ready != 0 && t >= min_deadline) return 0;

        // What could end the wait: the fds of pending requests, this ring's timers, the end of
        // the wait itself, another thread (the wake eventfd) and signals.
        fds.clear();
        std::uint64_t wake_at = std::min(deadline, ready != 0 ? min_deadline : none);
        for (const req& q : r.reqs) {
            if (q.st != stage::pending) continue;
            if (q.waiting == wait_for::fd) fds.push_back(pollfd{q.fd, q.events, 0});
            if (q.waiting == wait_for::timer) wake_at = std::min(wake_at, q.deadline);
        }
        // Only the virtual clock or another thread can end this wait.
        const bool idle = !opts.real_time && opts.auto_advance_clock && fds.empty();
        if (idle) {
            // With no other thread at work, nobody will post: move the clock to the first end
            // of a wait at once, taking no real time, and wake the threads it ends.
            const std::uint64_t to = idle_jump(me, wake_at);
            if (to != none) {
                vclock = to;
                for_each_ring([this](ring& o) { wake(o); });
                continue;
            }
            // Else wait for the other thread, in real time as long as the wait has left.
        }
        fds.push_back(pollfd{r.wake_fd, POLLIN, 0});
        timespec rel{};
        timespec* timeout = nullptr;
        if (wake_at != none && (opts.real_time || opts.auto_advance_clock)) {
            // Real time, or a wait on fds that virtual time runs alongside at real speed.
            const std::uint64_t left = wake_at > t ? wake_at - t : 0;
            rel.tv_sec = static_cast<time_t>(left / ns_per_s);
            rel.tv_nsec = static_cast<long>(left % ns_per_s);
            timeout = &rel;
        }
        const std::uint64_t real_before = mono_ns(), virtual_before = vclock;
        ++r.blocked;
        if (idle) threads[me] = {true, wake_at, &r};
        lk.unlock();
        // The raw ppoll takes the caller's kernel sigset as it is (8 bytes), as io_uring_enter does.
        const long rc = ::syscall(SYS_ppoll, fds.data(), static_cast<unsigned long>(fds.size()), timeout,
                                  sigmask, sys::sigset_size);
        const int saved = errno;
        lk.lock();
        threads[me].idle = false;
        if (--r.blocked == 0) {
            std::uint64_t drained = 0;
            (void)!::read(r.wake_fd, &drained, sizeof(drained));
        }
        if (!opts.real_time && opts.auto_advance_clock && timeout != nullptr) {
            // Virtual time went along with the real wait, from where it stood when the wait
            // began (so waits on several threads at once do not add up their time).
            const std::uint64_t spent = mono_ns() - real_before;
            vclock = std::max(vclock, rc == 0 ? wake_at : virtual_before + spent);
        }
        if (rc < 0 && saved == EINTR) {
            settle(r, true);
            flush_overflow(r);
            return r.cq_ready() != 0 ? 0 : -EINTR;
        }
    }
}

void kernel::impl::for_each_ring(const std::function<void(ring&)>& f) {
    std::vector<std::shared_ptr<ring>> all;
    all.reserve(by_fd.size() + orphans.size());
    for (auto& [fd, r] : by_fd) all.push_back(r);
    for (auto& r : orphans) all.push_back(r);
    for (auto& t : slots)
        for (auto& r : t.second)
            if (r && std::find(all.begin(), all.end(), r) == all.end()) all.push_back(r);
    for (auto& r : all)
        if (!r->dead) f(*r);
}

void kernel::impl::fire_timers(std::uint64_t at) {
    for_each_ring([this, at](ring& r) {
        // Multishot timers fire once per period passed; bounded so a huge jump cannot spin.
        for (int round = 0; round < 100000; ++round) {
            bool fired = false;
            for (req& q : r.reqs)
                if (q.st == stage::pending && q.waiting == wait_for::timer && q.deadline <= at) {
                    timer_fired(r, q);
                    fired = true;
                }
            if (!fired) break;
            settle_async(r);
            if (r.defers()) break;  // their CQEs wait for the task; one shot until it runs them
        }
    });
}

void kernel::impl::drop_thread(int tid) {
    if (threads.erase(tid) == 0) return;
    // The waits that this thread held back may move the clock now.
    for_each_ring([this](ring& r) { wake(r); });
}

std::uint64_t kernel::impl::idle_jump(int me, std::uint64_t until) {
    constexpr std::uint64_t none = ~std::uint64_t{0};
    std::uint64_t to = until;
    for (auto it = threads.begin(); it != threads.end();) {
        if (it->first == me) {
            ++it;
            continue;
        }
        if (!it->second.idle) {
            // At work, unless it has ended (tgkill's signal 0 only asks whether it lives).
            if (::syscall(SYS_tgkill, ::getpid(), it->first, 0) == 0) return none;
            it = threads.erase(it);
            continue;
        }
        // A wait the clock has already ended is about to return: its thread is at work.
        if (it->second.until <= vclock) return none;
        to = std::min(to, it->second.until);
        ++it;
    }
    return to != none && to > vclock ? to : none;
}

void kernel::impl::advance(std::uint64_t ns) {
    vclock += ns;
    fire_timers(now());
    for_each_ring([this](ring& r) { wake(r); });
}

void kernel::impl::start_timer_thread() {
    // Signals are for the test's threads: blocked here so none lands on the timer thread.
    sigset_t all{}, old{};
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    timer_thread = std::thread([this] { timer_loop(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void kernel::impl::timer_loop() {
    std::unique_lock<std::mutex> lk(lock);
    while (!stopping) {
        fire_timers(now());
        std::uint64_t next = ~std::uint64_t{0};
        for_each_ring([&next](ring& r) {
            for (const req& q : r.reqs)
                if (q.st == stage::pending && q.waiting == wait_for::timer) next = std::min(next, q.deadline);
        });
        if (next == ~std::uint64_t{0}) {
            timer_cv.wait(lk);
        } else {
            const std::uint64_t t = now();
            if (next > t) timer_cv.wait_for(lk, std::chrono::nanoseconds(next - t));
        }
    }
}

// ---- teardown -----------------------------------------------------------------------------------

int kernel::impl::close_fd(int fd) {
    const auto it = by_fd.find(fd);
    const std::shared_ptr<ring> r = it->second;
    by_fd.erase(it);
    // Closed for real, so the number is free again at once, as with a kernel ring fd. (If the
    // program closed it behind rawring's back and the number was reused, this closes what the
    // number is now, as close(2) on a kernel ring's stale number would.)
    const int ret = prev.close(fd);
    r->fd = -1;
    r->memfd = -1;
    release(r);
    return ret;
}

void kernel::impl::release(const std::shared_ptr<ring>& r) {
    if (r->fd >= 0) return;
    if (r->slots != 0) {
        if (std::find(orphans.begin(), orphans.end(), r) == orphans.end()) orphans.push_back(r);
        return;
    }
    std::erase(orphans, r);
    teardown(*r);
}

void kernel::impl::note_lost(ring& r) {
    for (const req& q : r.reqs) lost.push_back({r.first_fd, q.sqe.user_data, q.sqe.opcode});
}

void kernel::impl::teardown(ring& r) {
    // The kernel cancels what is in flight when a ring goes; nobody sees those CQEs, so they
    // count as never completed.
    note_lost(r);
    r.dead = true;
    r.ready.clear();
    r.drain_q.clear();
    r.reqs.clear();
    r.active = 0;
    wake(r);
}

// ---- class kernel ---------------------------------------------------------------------------------

kernel::kernel(const options& opts) : impl_(new impl(opts)) {}

kernel::~kernel() {
    uninstall();
    {
        std::unique_lock<std::mutex> lk(impl_->lock);
        impl_->stopping = true;
        impl_->timer_cv.notify_all();
    }
    if (impl_->timer_thread.joinable()) impl_->timer_thread.join();
    if (impl_->opts.report_at_exit) {
        const report rep = leftovers();
        if (!rep.empty()) std::fprintf(stderr, "rawring::mock: at exit:\n%s", rep.text().c_str());
    }
    delete impl_;
}

int kernel::install() noexcept {
    std::lock_guard<std::mutex> g(installed_lock);
    if (installed_mock != nullptr) return -EBUSY;
    installed_mock = impl_;
    impl_->installed_ = true;
    impl_->prev = sys::set_backend(mock_backend);
    if (impl_->opts.real_time && !impl_->timer_thread.joinable()) impl_->start_timer_thread();
    return 0;
}

void kernel::uninstall() noexcept {
    std::lock_guard<std::mutex> g(installed_lock);
    if (!impl_->installed_) return;
    (void)sys::set_backend(impl_->prev);
    impl_->installed_ = false;
    installed_mock = nullptr;
}

void kernel::forget_thread() {
    std::lock_guard<std::mutex> lk(impl_->lock);
    if (exit_hook.mock == impl_->serial) exit_hook.mock = 0;
    impl_->drop_thread(sys::gettid());
}

bool kernel::installed() const noexcept { return impl_->installed_; }

void kernel::on(std::uint8_t opcode, handler h) {
    std::lock_guard<std::mutex> lk(impl_->lock);
    impl_->handlers[opcode] = std::move(h);
}

void kernel::reset(std::uint8_t opcode) {
    std::lock_guard<std::mutex> lk(impl_->lock);
    impl_->handlers[opcode] = nullptr;
}

int kernel::complete(int ring_fd, std::uint64_t user_data, const completion& c) {
    std::lock_guard<std::mutex> lk(impl_->lock);
    const std::shared_ptr<ring> r = impl_->find(ring_fd, false);
    if (!r) return -ENOENT;
    for (req& q : r->reqs)
        if (q.st == stage::pending && q.waiting == wait_for::held && q.sqe.user_data == user_data) {
            impl_->decide(*r, q, c);
            impl_->settle_async(*r);
            return 0;
        }
    return -ENOENT;
}

std::uint64_t kernel::now() const noexcept {
    std::lock_guard<std::mutex> lk(impl_->lock);
    return impl_->now();
}

void kernel::advance_clock(std::uint64_t ns) {
    std::lock_guard<std::mutex> lk(impl_->lock);
    impl_->advance(ns);
}

unsigned kernel::in_flight(int ring_fd) const {
    std::lock_guard<std::mutex> lk(impl_->lock);
    const std::shared_ptr<ring> r = impl_->find(ring_fd, false);
    return r ? static_cast<unsigned>(r->reqs.size()) : 0;
}

bool kernel::owns(int fd) const {
    std::lock_guard<std::mutex> lk(impl_->lock);
    return impl_->by_fd.count(fd) != 0;
}

std::uint64_t kernel::calls() const noexcept { return impl_->ncalls.load(std::memory_order_relaxed); }

report kernel::leftovers() const {
    std::lock_guard<std::mutex> lk(impl_->lock);
    report rep;
    rep.never_completed = impl_->lost;
    impl_->for_each_ring([&rep](ring& r) {
        for (const req& q : r.reqs) rep.never_completed.push_back({r.first_fd, q.sqe.user_data, q.sqe.opcode});
        if (r.fd >= 0 && same_file(r.fd, r.dev, r.ino)) rep.never_closed.push_back(r.fd);
    });
    for (const detail::opened_fd& o : impl_->opened)
        if (same_file(o.fd, o.dev, o.ino)) rep.never_closed.push_back(o.fd);
    return rep;
}

std::string report::text() const {
    std::string out;
    char line[160];
    for (const pending_request& p : never_completed) {
        std::snprintf(line, sizeof(line), "  request user_data=0x%llx opcode=%u on ring fd %d never completed\n",
                      static_cast<unsigned long long>(p.user_data), unsigned{p.opcode}, p.ring_fd);
        out += line;
    }
    for (const int fd : never_closed) {
        std::snprintf(line, sizeof(line), "  fd %d opened through the mock never closed\n", fd);
        out += line;
    }
    return out;
}

} // namespace rawring::mock
