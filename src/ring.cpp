// SPDX-License-Identifier: MIT
// The cold half of class ring: setup and mapping, teardown, moves, timed waits, ring-fd registration.
#include "rawring/ring.hpp"

#include "rawring/prep.hpp"

#include <cerrno>
#include <ctime>

namespace rawring {

static_assert(err::eintr == EINTR && err::enxio == ENXIO && err::ebadf == EBADF &&
              err::eagain == EAGAIN && err::enomem == ENOMEM && err::efault == EFAULT &&
              err::ebusy == EBUSY && err::eexist == EEXIST && err::einval == EINVAL && err::emfile == EMFILE &&
              err::erange == ERANGE && err::etime == ETIME && err::eopnotsupp == EOPNOTSUPP &&
              err::enobufs == ENOBUFS,
              "rawring/errno.hpp does not match this architecture's errno numbers");

namespace {

// Setup flags whose ring discipline rawring does not drive: SQ_REWIND restarts the SQ at slot
// 0 after every submit, which get_sqe and flush_sq do not model.
constexpr std::uint32_t unsupported_setup_flags = abi::IORING_SETUP_SQ_REWIND;

// The page size NO_MMAP memory is laid out for (the kernel pins whole pages of it).
constexpr std::size_t ring_page = 4096;

constexpr std::size_t page_round(std::size_t n) noexcept { return (n + ring_page - 1) & ~(ring_page - 1); }

// The kernel's limits (without IORING_SETUP_CLAMP, larger sizes are -EINVAL).
constexpr unsigned max_sq_entries = 32768;
constexpr unsigned max_cq_entries = 2 * max_sq_entries;

constexpr unsigned pow2_at_least(unsigned n) noexcept {
    unsigned v = 1;
    while (v < n) v <<= 1;
    return v;
}

/// The SQ and CQ sizes the kernel will give `entries` with `p`, or false where it refuses.
constexpr bool ring_sizes(unsigned entries, const abi::io_uring_params& p, unsigned* sq, unsigned* cq) noexcept {
    if (entries == 0) return false;
    const bool clamp = (p.flags & abi::IORING_SETUP_CLAMP) != 0;
    if (entries > max_sq_entries) {
        if (!clamp) return false;
        entries = max_sq_entries;
    }
    *sq = pow2_at_least(entries);
    *cq = 2 * *sq;
    if ((p.flags & abi::IORING_SETUP_CQSIZE) != 0) {
        unsigned want = p.cq_entries;
        if (want == 0) return false;
        if (want > max_cq_entries) {
            if (!clamp) return false;
            want = max_cq_entries;
        }
        *cq = pow2_at_least(want);
        if (*cq < *sq) return false;
    }
    return true;
}

/// Bytes of the SQE array and of the rings (the kernel's struct io_rings: a 64-byte header,
/// the CQEs, then the SQ index array at a cache-line boundary) of a NO_MMAP ring, page-rounded.
constexpr void ring_parts(unsigned sq, unsigned cq, std::uint32_t flags, std::size_t* sqes,
                          std::size_t* rings) noexcept {
    const std::size_t sqe = (flags & abi::IORING_SETUP_SQE128) != 0 ? 128 : 64;
    const std::size_t cqe = (flags & abi::IORING_SETUP_CQE32) != 0 ? 32 : 16;
    std::size_t r = 64 + std::size_t{cq} * cqe;
    if ((flags & abi::IORING_SETUP_NO_SQARRAY) == 0) r = ((r + 63) & ~std::size_t{63}) + std::size_t{sq} * 4;
    *sqes = page_round(std::size_t{sq} * sqe);
    *rings = page_round(r);
}

constexpr int clock_monotonic = 1;  // the kernel's default clock for wait timeouts
static_assert(clock_monotonic == CLOCK_MONOTONIC);

// The user_data of the TIMEOUT requests that time waits on kernels without EXT_ARG (liburing's
// LIBURING_UDATA_TIMEOUT).
constexpr std::uint64_t timeout_user_data = ~std::uint64_t{0};

// Retries of a ring-fd unregistration that failed for a passing reason.
constexpr int unregister_tries = 3;

/// Whether `ret` is a failure that may pass on a second try.
constexpr bool transient(int ret) noexcept {
    return ret == -err::eintr || ret == -err::eagain || ret == -err::ebusy;
}

/// `a - b` in nanoseconds (both normalised).
constexpr std::int64_t ns_between(const abi::kernel_timespec& a, const abi::kernel_timespec& b) noexcept {
    return (a.tv_sec - b.tv_sec) * 1000000000LL + (a.tv_nsec - b.tv_nsec);
}

template <class T>
T* at(void* base, std::uint32_t offset) noexcept {
    return reinterpret_cast<T*>(static_cast<unsigned char*>(base) + offset);
}

} // namespace

void ring_state::reset() noexcept {
    *this = ring_state{};
    ring_fd = enter_ring_fd = -1;
    wait_clock = clock_monotonic;
    std::uint32_t* const words = detail::closed_ring_words;
    sq.khead = sq.ktail = &words[0];
    sq.kflags = sq.kdropped = &words[1];
    cq.khead = cq.ktail = cq.koverflow = &words[2];
}

int ring_state::init(unsigned entries, std::uint32_t flags) noexcept {
    abi::io_uring_params p{};
    p.flags = flags;
    return init(entries, p, sq_array::automatic);
}

int ring_state::init(unsigned entries, abi::io_uring_params& p, sq_array mode) noexcept {
    if (is_open()) return -err::ebusy;
    if (entries == 0) return -err::einval;  // the kernel says the same; save the syscall
    if ((p.flags & unsupported_setup_flags) != 0) return -err::eopnotsupp;
    // NO_MMAP needs the caller's memory (init_mem); REGISTERED_FD_ONLY comes only with it.
    if ((p.flags & (abi::IORING_SETUP_NO_MMAP | abi::IORING_SETUP_REGISTERED_FD_ONLY)) != 0) return -err::einval;
    if (mode == sq_array::keep || (p.flags & abi::IORING_SETUP_NO_SQARRAY) != 0)
        return setup_(entries, p);
    // Try without the index array first (6.6+); an older kernel rejects the flag with -EINVAL
    // and gets the same request again with the array.
    const abi::io_uring_params asked = p;
    p.flags |= abi::IORING_SETUP_NO_SQARRAY;
    const int ret = setup_(entries, p);
    if (ret != -err::einval) return ret;
    p = asked;
    return setup_(entries, p);
}

int ring_state::setup_(unsigned entries, abi::io_uring_params& p) noexcept {
    const std::uint8_t app_mem = int_flags & int_flag_app_mem;
    const int fd = sys::setup(entries, &p);
    if (fd < 0) {
        int_flags &= static_cast<std::uint8_t>(~app_mem);
        return fd;
    }
    ring_fd = enter_ring_fd = fd;
    if ((p.flags & abi::IORING_SETUP_REGISTERED_FD_ONLY) != 0) {
        // No fd: what setup returned is this thread's registered index of the ring.
        ring_fd = -1;
        int_flags |= int_flag_reg_ring;
        ring_fd_owner = sys::gettid();
    }
    flags = p.flags;
    features = p.features;
    const int ret = map_(p);
    if (ret < 0) exit();
    return ret;
}

std::uint32_t ring_state::sq_array_offset_(std::uint32_t cqes_off, std::uint32_t cq_entries,
                                           std::uint32_t setup_flags) noexcept {
    // The kernel's rule (rings_size): the rings' header and CQEs, doubled on a CQE32 ring, then
    // rounded up to a cache line (64 bytes on x86_64, aarch64 and riscv64).
    std::uint64_t off = cqes_off + std::uint64_t{cq_entries} * sizeof(abi::io_uring_cqe);
    if ((setup_flags & abi::IORING_SETUP_CQE32) != 0) off <<= 1;
    return static_cast<std::uint32_t>((off + 63) & ~std::uint64_t{63});
}

long ring_state::memory_needed(unsigned entries, const abi::io_uring_params& p) noexcept {
    unsigned sq = 0, cq = 0;
    if (!ring_sizes(entries, p, &sq, &cq)) return -err::einval;
    std::size_t sqes = 0, rings = 0;
    ring_parts(sq, cq, p.flags, &sqes, &rings);
    return static_cast<long>(sqes + rings);
}

int ring_state::init_mem(unsigned entries, abi::io_uring_params& p, void* buf, std::size_t size) noexcept {
    if (is_open()) return -err::ebusy;
    unsigned sq = 0, cq = 0;
    if (!ring_sizes(entries, p, &sq, &cq)) return -err::einval;
    if ((p.flags & unsupported_setup_flags) != 0) return -err::eopnotsupp;
    if (buf == nullptr || (reinterpret_cast<std::uintptr_t>(buf) & (ring_page - 1)) != 0) return -err::einval;
    std::size_t sqes = 0, rings = 0;
    ring_parts(sq, cq, p.flags, &sqes, &rings);
    if (size < sqes + rings) return -err::enomem;
    // The SQE array first, the rings after it: both page aligned.
    p.flags |= abi::IORING_SETUP_NO_MMAP;
    p.sq_off = abi::io_sqring_offsets{};
    p.cq_off = abi::io_cqring_offsets{};
    p.sq_off.user_addr = reinterpret_cast<std::uintptr_t>(buf);
    p.cq_off.user_addr = reinterpret_cast<std::uintptr_t>(buf) + sqes;
    int_flags |= int_flag_app_mem;
    const int ret = setup_(entries, p);
    if (ret < 0) return ret;
    return static_cast<int>(sqes + rings);
}

int ring_state::adopt(int fd, const abi::io_uring_params& p) noexcept {
    if (is_open()) return -err::ebusy;
    ring_fd = enter_ring_fd = fd;
    flags = p.flags;
    features = p.features;
    const int ret = map_(p);
    if (ret < 0) {
        unmap_();
        reset();  // the fd stays the caller's
    }
    return ret;
}

void ring_state::point_into(const abi::io_uring_params& p, void* ring_base, void* cq_base) noexcept {
    sq.khead = at<std::uint32_t>(ring_base, p.sq_off.head);
    sq.ktail = at<std::uint32_t>(ring_base, p.sq_off.tail);
    sq.kflags = at<std::uint32_t>(ring_base, p.sq_off.flags);
    sq.kdropped = at<std::uint32_t>(ring_base, p.sq_off.dropped);
    sq.array = (p.flags & abi::IORING_SETUP_NO_SQARRAY) == 0 ? at<std::uint32_t>(ring_base, p.sq_off.array) : nullptr;
    sq.kring_mask = at<std::uint32_t>(ring_base, p.sq_off.ring_mask);
    sq.kring_entries = at<std::uint32_t>(ring_base, p.sq_off.ring_entries);
    sq.ring_mask = *sq.kring_mask;
    sq.ring_entries = *sq.kring_entries;
    sq.sqe_head = sq.sqe_tail = *sq.ktail;
    cq.sq_limit = *sq.khead + sq.ring_entries;
    sq.shift = (p.flags & abi::IORING_SETUP_SQE128) != 0 ? 1 : 0;

    cq.khead = at<std::uint32_t>(cq_base, p.cq_off.head);
    cq.ktail = at<std::uint32_t>(cq_base, p.cq_off.tail);
    cq.kflags = p.cq_off.flags != 0 ? at<std::uint32_t>(cq_base, p.cq_off.flags) : nullptr;
    cq.koverflow = at<std::uint32_t>(cq_base, p.cq_off.overflow);
    cq.cqes = at<abi::io_uring_cqe>(cq_base, p.cq_off.cqes);
    cq.kring_mask = at<std::uint32_t>(cq_base, p.cq_off.ring_mask);
    cq.kring_entries = at<std::uint32_t>(cq_base, p.cq_off.ring_entries);
    cq.ring_mask = *cq.kring_mask;
    cq.ring_entries = *cq.kring_entries;
    cq.shift = (p.flags & abi::IORING_SETUP_CQE32) != 0 ? 1 : 0;
    if ((p.flags & abi::IORING_SETUP_CQE_MIXED) != 0)
        int_flags |= int_flag_cqe_mixed;
    else
        int_flags &= static_cast<std::uint8_t>(~int_flag_cqe_mixed);
    if (cq.shift != 0)
        int_flags |= int_flag_cqe32;
    else
        int_flags &= static_cast<std::uint8_t>(~int_flag_cqe32);
}

int ring_state::map_(const abi::io_uring_params& p) noexcept {
    const std::uint32_t sqe_shift = (p.flags & abi::IORING_SETUP_SQE128) != 0 ? 1 : 0;
    const std::uint32_t cqe_shift = (p.flags & abi::IORING_SETUP_CQE32) != 0 ? 1 : 0;
    const bool has_array = (p.flags & abi::IORING_SETUP_NO_SQARRAY) == 0;

    // With NO_SQARRAY sq_off.array is 0 and the SQ part ends at the CQ part anyway.
    std::size_t sq_size = p.sq_off.array + (has_array ? p.sq_entries * sizeof(std::uint32_t) : 0);
    std::size_t cq_size = p.cq_off.cqes + (std::size_t{p.cq_entries} * sizeof(abi::io_uring_cqe) << cqe_shift);
    const bool single = (p.features & abi::IORING_FEAT_SINGLE_MMAP) != 0;
    if (single && cq_size > sq_size) sq_size = cq_size;

    // Each mapping is recorded as soon as it exists, so that exit() unmaps exactly those.
    // A NO_MMAP ring lives in the memory the caller gave (init_mem): nothing to map.
    const bool app_mem = (p.flags & abi::IORING_SETUP_NO_MMAP) != 0;
    int error = 0;
    void* const ring_base = app_mem ? reinterpret_cast<void*>(static_cast<std::uintptr_t>(p.cq_off.user_addr))
                                    : sys::mmap_ring(ring_fd, sq_size, abi::IORING_OFF_SQ_RING, &error);
    if (ring_base == nullptr) return error;
    sq.ring_ptr = cq.ring_ptr = ring_base;
    sq.ring_sz = cq.ring_sz = sq_size;
    if (!single && !app_mem) {
        cq.ring_ptr = nullptr;  // not ours to unmap until the CQ's own mapping exists
        void* const cq_base = sys::mmap_ring(ring_fd, cq_size, abi::IORING_OFF_CQ_RING, &error);
        if (cq_base == nullptr) return error;
        cq.ring_ptr = cq_base;
        cq.ring_sz = cq_size;
    }
    void* const cq_base = cq.ring_ptr;
    sq.shift = sqe_shift;
    sq.ring_entries = p.sq_entries;
    sq.sqes_sz = static_cast<std::uint32_t>(std::size_t{p.sq_entries} * (sizeof(abi::io_uring_sqe) << sqe_shift));
    void* const sqes = app_mem ? reinterpret_cast<void*>(static_cast<std::uintptr_t>(p.sq_off.user_addr))
                               : sys::mmap_ring(ring_fd, sqes_bytes_(), abi::IORING_OFF_SQES, &error);
    if (sqes == nullptr) return error;
    sq.sqes = static_cast<abi::io_uring_sqe*>(sqes);

    point_into(p, ring_base, cq_base);

    // What the kernel promised in p must be what it mapped.
    if (sq.ring_entries != p.sq_entries || sq.ring_mask != p.sq_entries - 1 ||
        cq.ring_entries != p.cq_entries || cq.ring_mask != p.cq_entries - 1)
        return -err::einval;

    // The array maps ring slot i to SQE i once and for all, so flush_sq never writes it.
    if (sq.array != nullptr)
        for (std::uint32_t i = 0; i < sq.ring_entries; ++i) sq.array[i] = i;
    return 0;
}

void ring_state::unmap_() const noexcept {
    if ((int_flags & int_flag_app_mem) != 0) return;  // the caller's memory: not ours to unmap
    if (sq.sqes != nullptr) (void)sys::munmap(sq.sqes, sqes_bytes_());
    if (cq.ring_ptr != nullptr && cq.ring_ptr != sq.ring_ptr) (void)sys::munmap(cq.ring_ptr, cq.ring_sz);
    if (sq.ring_ptr != nullptr) (void)sys::munmap(sq.ring_ptr, sq.ring_sz);
}

int ring_state::exit() noexcept {
    if (!is_open()) return 0;
    // Buffer groups on this ring learn that it is gone (the kernel drops their registrations
    // with the ring), so the ones that outlive it never read it again.
    detail::rebind_ring_links(this, nullptr);
    int ret = 0;
    // A registered ring fd holds its own reference to the ring: drop it or the ring outlives
    // us. Only the registering thread's table has it; elsewhere the index means nothing of ours.
    if ((int_flags & int_flag_reg_ring) != 0 && ring_fd_ours_()) {
        for (int i = 0; i < unregister_tries; ++i) {
            ret = unregister_ring_fd_();
            if (ret >= 0 || !transient(ret)) break;
        }
        if (ret > 0) ret = 0;
    }
    unmap_();
    if (ring_fd >= 0) (void)sys::close(ring_fd);  // -1 after close_ring_fd
    reset();
    return ret;
}

int ring_state::submit_and_wait_timeout(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                  const abi::kernel_timespec* ts, const void* sigmask) noexcept {
    *cqe_ptr = nullptr;
    if (!is_open()) return -err::ebadf;
    if (ts != nullptr && (features & abi::IORING_FEAT_EXT_ARG) == 0)
        return timeout_sqe_wait_(cqe_ptr, wait_nr, ts, sigmask);
    return timed_wait_(cqe_ptr, flush_sq(), wait_nr, ts, sigmask);
}

int ring_state::submit_and_wait_min_timeout(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                            const abi::kernel_timespec* ts, unsigned min_wait_usec,
                                            const void* sigmask) noexcept {
    *cqe_ptr = nullptr;
    if (!is_open()) return -err::ebadf;
    if ((features & abi::IORING_FEAT_MIN_TIMEOUT) == 0) return -err::einval;
    return timed_wait_(cqe_ptr, flush_sq(), wait_nr, ts, sigmask, min_wait_usec);
}

int ring_state::wait_cqe_timeout(abi::io_uring_cqe** cqe_ptr, const abi::kernel_timespec* ts) noexcept {
    return wait_cqes(cqe_ptr, 1, ts, nullptr);
}

int ring_state::wait_cqes(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                          const abi::kernel_timespec* ts, const void* sigmask) noexcept {
    unsigned avail;
    if ((*cqe_ptr = peek_(&avail)) != nullptr && avail >= wait_nr) return 0;
    if (ts == nullptr) return get_cqe_(cqe_ptr, 0, wait_nr, sigmask);
    if (!is_open()) return -err::ebadf;
    if ((features & abi::IORING_FEAT_EXT_ARG) == 0) {
        const int ret = timeout_sqe_wait_(cqe_ptr, wait_nr, ts, sigmask);
        return ret < 0 ? ret : 0;
    }
    return timed_wait_(cqe_ptr, 0, wait_nr, ts, sigmask);
}

int ring_state::wait_cqes_min_timeout(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                      const abi::kernel_timespec* ts, unsigned min_wait_usec,
                                      const void* sigmask) noexcept {
    *cqe_ptr = nullptr;
    if (!is_open()) return -err::ebadf;
    if ((features & abi::IORING_FEAT_MIN_TIMEOUT) == 0) return -err::einval;
    unsigned avail;
    if ((*cqe_ptr = peek_(&avail)) != nullptr && avail >= wait_nr) return 0;
    return timed_wait_(cqe_ptr, 0, wait_nr, ts, sigmask, min_wait_usec);
}

int ring_state::set_iowait(bool enabled) noexcept {
    if ((features & abi::IORING_FEAT_NO_IOWAIT) == 0) return -err::eopnotsupp;
    if (enabled)
        int_flags &= static_cast<std::uint8_t>(~int_flag_no_iowait);
    else
        int_flags |= int_flag_no_iowait;
    return 0;
}

abi::io_uring_cqe* ring_state::skip_internal_cqes_(unsigned* avail) noexcept {
    std::atomic_ref<std::uint32_t> khead(*cq.khead);
    const std::uint32_t first = khead.load(std::memory_order_relaxed);
    const std::uint32_t tail = cq_tail_();
    const bool mixed = (int_flags & int_flag_cqe_mixed) != 0;
    const bool timeouts = (int_flags & int_flag_timeout_sqe) != 0;
    std::uint32_t head = first;
    abi::io_uring_cqe* found = nullptr;
    while (head != tail) {
        abi::io_uring_cqe* cqe = &cq.cqes[(head & cq.ring_mask) << cq.shift];
        // A skip filler means something only on a CQE_MIXED ring (elsewhere the bit could come
        // from a MSG_RING that passed its flags).
        if (mixed && (cqe->flags & abi::IORING_CQE_F_SKIP) != 0) {
            ++head;
            continue;
        }
        if (timeouts && cqe->user_data == timeout_user_data) {
            head += cqe_slots(*cqe);
            continue;
        }
        found = cqe;
        break;
    }
    // Release: our reads of the consumed entries are done before the kernel may reuse them.
    if (head != first) khead.store(head, std::memory_order_release);
    *avail = tail - head;
    return found;
}

unsigned ring_state::peek_batch_mixed_(abi::io_uring_cqe** cqes, unsigned count) noexcept {
    // peek_ has consumed the fillers at the head; a later one ends the batch, so that the
    // batch's slots are exactly the sum of its CQEs' cqe_slots.
    const std::uint32_t head = std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
    const std::uint32_t ready = cq_tail_() - head;
    std::uint32_t done = 0;
    unsigned n = 0;
    while (n < count && done < ready) {
        abi::io_uring_cqe* cqe = &cq.cqes[(head + done) & cq.ring_mask];
        if ((cqe->flags & abi::IORING_CQE_F_SKIP) != 0) break;
        const std::uint32_t slots = cqe_slots(*cqe);
        if (slots > ready - done) break;
        cqes[n++] = cqe;
        done += slots;
    }
    return n;
}

unsigned ring_state::copy_ready_mixed_(abi::io_uring_cqe32* out, unsigned cap) noexcept {
    std::atomic_ref<std::uint32_t> khead(*cq.khead);
    const std::uint32_t head = khead.load(std::memory_order_relaxed);
    const std::uint32_t ready = cq_tail_() - head;
    std::uint32_t done = 0;
    unsigned n = 0;
    while (n < cap && done < ready) {
        const abi::io_uring_cqe* cqe = &cq.cqes[(head + done) & cq.ring_mask];
        if ((cqe->flags & abi::IORING_CQE_F_SKIP) != 0) {
            ++done;
            continue;
        }
        const std::uint32_t slots = cqe_slots(*cqe);
        if (slots > ready - done) break;  // never: the kernel publishes both halves at once
        // A big CQE never wraps (the kernel puts a filler in the last slot instead), so its
        // 32 bytes are contiguous.
        if (slots == 2) {
            __builtin_memcpy(static_cast<void*>(out + n), cqe, sizeof(abi::io_uring_cqe32));
        } else {
            __builtin_memset(static_cast<void*>(out + n), 0, sizeof(abi::io_uring_cqe32));
            __builtin_memcpy(static_cast<void*>(out + n), cqe, sizeof(abi::io_uring_cqe));
        }
        ++n;
        done += slots;
    }
    // Release: the copies above must be done before the kernel may reuse the slots.
    if (done != 0) khead.store(head + done, std::memory_order_release);
    return n;
}

int ring_state::timeout_sqe_wait_(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                                  const abi::kernel_timespec* ts, const void* sigmask) noexcept {
    abi::io_uring_sqe* sqe = get_sqe();
    if (sqe == nullptr) {
        // A full SQ: submit what is there to make room, as liburing does.
        const int ret = submit();
        if (ret < 0) return ret;
        if ((sqe = get_sqe()) == nullptr) return -err::eagain;
    }
    // Fires after *ts, or once wait_nr other completions have been posted.
    prep_timeout(sqe, ts, wait_nr, 0);
    sqe->user_data = timeout_user_data;
    int_flags |= int_flag_timeout_sqe;
    unsigned to_submit = flush_sq();
    int submitted = 0;
    for (bool entered = false;; entered = true) {
        // Our TIMEOUT fired (-ETIME) before the CQEs the caller waits for: the time is up.
        // Its other outcome (0: the count was reached) is dropped by peek_ like every one of ours.
        const std::uint32_t head = std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
        if (head != cq_tail_()) {
            const abi::io_uring_cqe* first = &cq.cqes[(head & cq.ring_mask) << cq.shift];
            if (first->user_data == timeout_user_data && first->res < 0) {
                cq_advance(1);
                *cqe_ptr = nullptr;
                return submitted > 0 ? submitted : -err::etime;
            }
        }
        unsigned avail;
        *cqe_ptr = peek_(&avail);
        if (to_submit == 0 && *cqe_ptr != nullptr && (avail >= wait_nr || entered)) return submitted;
        unsigned flags = abi::IORING_ENTER_GETEVENTS | enter_flags();
        (void)sq_needs_enter_(to_submit, flags);
        const int ret = sys::enter(enter_ring_fd, to_submit, wait_nr, flags, sigmask);
        if (ret < 0) return submitted > 0 ? submitted : ret;
        if (to_submit != 0) {
            submitted = ret > 0 ? ret - 1 : 0;  // the caller's SQEs, not our TIMEOUT
            to_submit = 0;
        }
    }
}

int ring_state::timed_wait_(abi::io_uring_cqe** cqe_ptr, unsigned to_submit, unsigned wait_nr,
                      const abi::kernel_timespec* ts, const void* sigmask,
                      unsigned min_wait_usec) noexcept {
    // Where the wait started, on the clock the kernel times it with: a re-wait gets only what
    // is left. Read before the first enter, since that enter may already be the whole wait.
    abi::kernel_timespec start{};
    const bool clocked = ts != nullptr && sys::clock_gettime(wait_clock, &start) == 0;
    abi::kernel_timespec left = ts != nullptr ? *ts : abi::kernel_timespec{};
    abi::io_uring_getevents_arg arg{};
    arg.sigmask = reinterpret_cast<std::uintptr_t>(sigmask);
    arg.sigmask_sz = static_cast<std::uint32_t>(sys::sigset_size);
    arg.ts = ts != nullptr ? reinterpret_cast<std::uintptr_t>(&left) : 0;
    arg.min_wait_usec = min_wait_usec;
    unsigned flags = abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_EXT_ARG | enter_flags();
    (void)sq_needs_enter_(to_submit, flags);  // for the SQ_WAKEUP flag only; we enter anyway
    int submitted = 0;
    for (;;) {
        const int ret = sys::enter2(enter_ring_fd, to_submit, wait_nr, flags, &arg, sizeof(arg));
        unsigned avail;
        *cqe_ptr = peek_(&avail);
        if (ret < 0) return submitted > 0 ? submitted : ret;
        if (to_submit != 0) {
            // The kernel answers a submitting enter with the number it took, even when the wait
            // that followed timed out. Later rounds only wait.
            submitted = ret;
            to_submit = 0;
            flags &= ~abi::IORING_ENTER_SQ_WAKEUP;
        }
        if (*cqe_ptr != nullptr || wait_nr == 0) return submitted;
        // The kernel ended the wait with nothing in the CQ. The completion may still be
        // deferred work (DEFER_TASKRUN): one non-waiting enter runs it.
        if (flush_deferred_() >= 0 && (*cqe_ptr = peek_(&avail)) != nullptr) return submitted;
        // Or a TIMEOUT request fired without posting a CQE (each one wakes every waiter): wait
        // again, for what is left of the timeout.
        if (ts == nullptr) continue;
        abi::kernel_timespec now{};
        if (!clocked || sys::clock_gettime(wait_clock, &now) != 0)
            return submitted > 0 ? submitted : -err::etime;
        const std::int64_t remaining =
            ns_between(*ts, abi::kernel_timespec{}) - ns_between(now, start);
        if (remaining <= 0) return submitted > 0 ? submitted : -err::etime;
        left.tv_sec = remaining / 1000000000LL;
        left.tv_nsec = remaining % 1000000000LL;
    }
}

int ring_state::register_op(unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    if ((int_flags & int_flag_reg_ring) != 0 &&
        (features & abi::IORING_FEAT_REG_REG_RING) != 0 && ring_fd_ours_())
        return sys::register_(enter_ring_fd, opcode | abi::IORING_REGISTER_USE_REGISTERED_RING, arg,
                              nr_args);
    if (ring_fd < 0) return -err::ebadf;  // fd -1 would reach the kernel's ring-less register path
    return sys::register_(ring_fd, opcode, arg, nr_args);
}

int ring_state::register_ring_fd() noexcept {
    if (!is_open()) return -err::ebadf;
    if ((int_flags & int_flag_reg_ring) != 0) return -err::eexist;
    abi::io_uring_rsrc_update update{};
    update.offset = ~0u;  // let the kernel pick a free slot
    update.data = static_cast<std::uint64_t>(ring_fd);
    const int ret = sys::register_(ring_fd, abi::IORING_REGISTER_RING_FDS, &update, 1);
    if (ret != 1) return ret < 0 ? ret : -err::einval;
    enter_ring_fd = static_cast<int>(update.offset);
    int_flags |= int_flag_reg_ring;
    ring_fd_owner = sys::gettid();
    return ret;
}

bool ring_state::ring_fd_ours_() const noexcept {
    return sys::gettid() == ring_fd_owner;
}

int ring_state::unregister_ring_fd() noexcept {
    if ((int_flags & int_flag_reg_ring) == 0) return -err::einval;
    if (ring_fd < 0) return -err::ebadf;  // closed by close_ring_fd: the index is all that is left
    if (!ring_fd_ours_()) {
        // Another thread's index (a forked child's inherited copy, say): leave every table
        // alone and enter through the fd from now on.
        enter_ring_fd = ring_fd;
        int_flags &= static_cast<std::uint8_t>(~int_flag_reg_ring);
        return 1;
    }
    return unregister_ring_fd_();
}

int ring_state::unregister_ring_fd_() noexcept {
    abi::io_uring_rsrc_update update{};
    update.offset = static_cast<std::uint32_t>(enter_ring_fd);
    // Through the index itself where the kernel allows it: the fd may be gone already.
    const int ret = register_op(abi::IORING_UNREGISTER_RING_FDS, &update, 1);
    if (ret != 1) return ret < 0 ? ret : -err::einval;
    enter_ring_fd = ring_fd;
    int_flags &= static_cast<std::uint8_t>(~int_flag_reg_ring);
    return ret;
}

int ring_state::close_ring_fd() noexcept {
    if (!is_open()) return -err::ebadf;
    if ((features & abi::IORING_FEAT_REG_REG_RING) == 0) return -err::eopnotsupp;
    if ((int_flags & int_flag_reg_ring) == 0) return -err::einval;
    if (ring_fd < 0) return -err::ebadf;
    (void)sys::close(ring_fd);
    ring_fd = -1;
    return 1;
}

int ring_state::resize_rings(abi::io_uring_params& p) noexcept {
    if (!is_open() || ring_fd < 0) return -err::ebadf;  // the new rings are mapped through the fd
    // The kernel (6.13..6.18 at least) does not report where the resized ring keeps its SQ
    // array (sq_off.array comes back 0), and an array left unfilled would send every pending
    // SQE to slot 0. It puts it where setup does: past the CQEs, at a cache line. Work that
    // place out, and only if the same rule gives this ring's array at setup.
    const auto* const base = static_cast<const unsigned char*>(sq.ring_ptr);
    const std::uint32_t cqes_off =
        static_cast<std::uint32_t>(reinterpret_cast<const unsigned char*>(cq.cqes) - base);
    if (sq.array != nullptr &&
        (cq.ring_ptr != sq.ring_ptr ||
         reinterpret_cast<const unsigned char*>(sq.array) - base !=
             static_cast<std::ptrdiff_t>(sq_array_offset_(cqes_off, cq.ring_entries, flags))))
        return -err::eopnotsupp;
    // The kernel carries over only what it can see: publish every SQE handed out so far.
    (void)flush_sq();
    p.sq_off = abi::io_sqring_offsets{};
    p.cq_off = abi::io_cqring_offsets{};
    const int ret = register_op(abi::IORING_REGISTER_RESIZE_RINGS, &p, 1);
    if (ret < 0) return ret;

    // The kernel now uses the new rings. The old mappings still pin the old pages, so map the
    // new rings first and drop the old mappings after.
    const ring_state old = *this;
    sq.ring_ptr = cq.ring_ptr = nullptr;
    sq.sqes = nullptr;
    abi::io_uring_params mapped = p;
    mapped.features = features;  // the kernel does not fill features in on a resize
    mapped.flags = flags;  // the layout flags (SQE128, CQE32, NO_SQARRAY) stay the ring's
    if (old.sq.array != nullptr) mapped.sq_off.array = sq_array_offset_(p.cq_off.cqes, p.cq_entries, flags);
    const int mret = map_(mapped);
    old.unmap_();
    if (mret < 0) {
        exit();  // the kernel has no old rings left to fall back on
        return mret;
    }
    return 0;
}

int ring_state::submit_and_wait_reg(abi::io_uring_cqe** cqe_ptr, unsigned wait_nr,
                              unsigned reg_index) noexcept {
    *cqe_ptr = nullptr;
    const unsigned submitted = flush_sq();
    unsigned flags = abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_EXT_ARG |
                     abi::IORING_ENTER_EXT_ARG_REG | enter_flags();
    (void)sq_needs_enter_(submitted, flags);  // for the SQ_WAKEUP flag only; we enter anyway
    // With EXT_ARG_REG the argument is not a pointer but a byte offset into the wait region.
    const std::uintptr_t offset = std::uintptr_t{reg_index} * sizeof(abi::io_uring_reg_wait);
    const int ret = sys::enter2(enter_ring_fd, submitted, wait_nr, flags,
                                reinterpret_cast<const void*>(offset),
                                sizeof(abi::io_uring_reg_wait));
    unsigned avail;
    *cqe_ptr = peek_(&avail);
    return ret;
}

// ---- objects that outlive their ring (buffer_group) -------------------------------------------

namespace detail {
namespace {
// One list for the process: a ring has no spare word of its own (its layout is liburing's).
// The lock is held for a few pointer stores; `linked` lets a ring that has none skip it. A
// 32-bit word, not a bool: riscv64 has no byte-wide atomic swap, and a freestanding build has
// no libatomic to call instead. A holder keeps it for a few stores, or a walk of the list in a
// rebind, and only groups' init and exit and rings' exit and moves take it, never the hot
// paths. A thread that finds it taken spins a little, then yields its CPU between looks, so a
// holder preempted on the same CPU gets to run and let go.
std::atomic<std::uint32_t> links_locked{0};
std::atomic<unsigned> linked{0};
ring_link* links = nullptr;

struct links_guard {
    links_guard() noexcept {
        while (links_locked.exchange(1, std::memory_order_acquire) != 0)
            for (unsigned looks = 0; links_locked.load(std::memory_order_relaxed) != 0; ++looks)
                if (looks >= 64) sys::yield();
    }
    ~links_guard() { links_locked.store(0, std::memory_order_release); }
    links_guard(const links_guard&) = delete;
    links_guard& operator=(const links_guard&) = delete;
};

void unlink_locked(ring_link& l) noexcept {
    if (l.prev != nullptr) l.prev->next = l.next;
    else links = l.next;
    if (l.next != nullptr) l.next->prev = l.prev;
    l.prev = l.next = nullptr;
}
} // namespace

void link_ring(ring_link& l, ring_state& r) noexcept {
    const links_guard g;
    l.ring = &r;
    l.prev = nullptr;
    l.next = links;
    if (links != nullptr) links->prev = &l;
    links = &l;
    linked.fetch_add(1, std::memory_order_relaxed);
}

ring_state* unlink_ring(ring_link& l) noexcept {
    const links_guard g;
    ring_state* r = l.ring;
    unlink_locked(l);
    l.ring = nullptr;
    linked.fetch_sub(1, std::memory_order_relaxed);
    return r;
}

void move_ring_link(ring_link& from, ring_link& to) noexcept {
    const links_guard g;
    to = from;
    if (to.prev != nullptr) to.prev->next = &to;
    else links = &to;
    if (to.next != nullptr) to.next->prev = &to;
    from = ring_link{};
}

void rebind_ring_links(const ring_state* from, ring_state* to) noexcept {
    // Relaxed: the links of this ring were made on the thread that uses it, or handed over
    // with it; others' links do not concern it.
    if (linked.load(std::memory_order_relaxed) == 0) return;
    const links_guard g;
    for (ring_link* l = links; l != nullptr; l = l->next)
        if (l->ring == from) l->ring = to;
}
} // namespace detail

} // namespace rawring
