// SPDX-License-Identifier: MIT
// The definitions behind liburing.h's setup, submission and completion functions: each a call
// onto rawring::ring_state, which *is* liburing's struct io_uring (same layout, checked below).
#pragma once

// The includer defines RAWRING_LIBURING_DEF: `inline` (liburing.h, for C++20 programs) or
// empty (src/liburing/queue.cpp: the library's exported extern "C" symbols). liburing/io_uring.h
// has made IORING_* macros by now, so nothing here spells `abi::IORING_...`.
#ifndef RAWRING_LIBURING_DEF
#error "define RAWRING_LIBURING_DEF (inline, or empty) before this file"
#endif

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "rawring/prep.hpp"
#include "rawring/ring.hpp"
#include "rawring/sys.hpp"

#include "rawring_face.hpp"

namespace rawring::liburing_detail {

static_assert(sizeof(::io_uring_params) == sizeof(abi::io_uring_params));

inline abi::io_uring_params& params(::io_uring_params* p) noexcept {
    return *reinterpret_cast<abi::io_uring_params*>(p);
}
inline ::io_uring_sqe* face(abi::io_uring_sqe* sqe) noexcept {
    return reinterpret_cast<::io_uring_sqe*>(sqe);
}
inline abi::io_uring_cqe** core(::io_uring_cqe** cqe_ptr) noexcept {
    return reinterpret_cast<abi::io_uring_cqe**>(cqe_ptr);
}
inline const abi::kernel_timespec* core(const ::__kernel_timespec* ts) noexcept {
    return reinterpret_cast<const abi::kernel_timespec*>(ts);
}

/// liburing's rule for the ring memory a setup costs: each of the SQE array and the SQ+CQ
/// rings is a power-of-two number of pages. -EINVAL for sizes the kernel would refuse.
inline long ring_memory(unsigned entries, const ::io_uring_params* p) noexcept {
    constexpr unsigned max_sq = 32768, max_cq = 2 * max_sq;
    if (entries == 0) return -EINVAL;
    if (entries > max_sq) {
        if ((p->flags & IORING_SETUP_CLAMP) == 0) return -EINVAL;
        entries = max_sq;
    }
    unsigned sq = 1;
    while (sq < entries) sq <<= 1;
    unsigned cq = 2 * sq;
    if ((p->flags & IORING_SETUP_CQSIZE) != 0) {
        if (p->cq_entries == 0) return -EINVAL;
        unsigned want = p->cq_entries;
        if (want > max_cq) {
            if ((p->flags & IORING_SETUP_CLAMP) == 0) return -EINVAL;
            want = max_cq;
        }
        cq = 1;
        while (cq < want) cq <<= 1;
        if (cq < sq) return -EINVAL;
    }
    const long page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
    auto pages = [page](std::size_t bytes) {
        long n = 1;
        while (static_cast<std::size_t>(n * page) < bytes) n <<= 1;
        return n * page;
    };
    const std::size_t cqe_size = (p->flags & IORING_SETUP_CQE32) != 0 ? 32 : 16;
    const std::size_t sqe_size = (p->flags & IORING_SETUP_SQE128) != 0 ? 128 : 64;
    const std::size_t ring_header = 64 * 5;  // heads, tails, masks, flags: a few cache lines
    return pages(ring_header + cq * cqe_size + sq * sizeof(std::uint32_t)) + pages(sq * sqe_size);
}

} // namespace rawring::liburing_detail

// ---- setup and teardown ------------------------------------------------------------------------

RAWRING_LIBURING_DEF int io_uring_queue_init_params(unsigned entries, struct io_uring* ring,
                                                    struct io_uring_params* p) LIBURING_NOEXCEPT {
    rawring::ring_state& r = rawring::liburing_detail::state(ring);
    r.reset();  // liburing's caller hands in uninitialised memory
    // The SQ index array is kept (mapped identity once), as liburing did before it tried
    // NO_SQARRAY: programs written for it index ring->sq.array themselves. NO_SQARRAY in
    // p->flags still removes it.
    return r.init(entries, rawring::liburing_detail::params(p), rawring::sq_array::keep);
}

RAWRING_LIBURING_DEF int io_uring_queue_init(unsigned entries, struct io_uring* ring,
                                             unsigned flags) LIBURING_NOEXCEPT {
    struct io_uring_params p {};
    p.flags = flags;
    return io_uring_queue_init_params(entries, ring, &p);
}

RAWRING_LIBURING_DEF int io_uring_queue_init_mem(unsigned entries, struct io_uring* ring,
                                                 struct io_uring_params* p, void* buf,
                                                 size_t buf_size) LIBURING_NOEXCEPT {
    rawring::ring_state& r = rawring::liburing_detail::state(ring);
    r.reset();
    return r.init_mem(entries, rawring::liburing_detail::params(p), buf, buf_size);
}

RAWRING_LIBURING_DEF int __io_uring_queue_init_params(unsigned entries, struct io_uring* ring,
                                                      struct io_uring_params* p, void* buf,
                                                      size_t buf_size) LIBURING_NOEXCEPT {
    // liburing's tests call this for a ring with the SQ index array, which the face keeps anyway.
    if (buf != nullptr) return io_uring_queue_init_mem(entries, ring, p, buf, buf_size);
    return io_uring_queue_init_params(entries, ring, p);
}

RAWRING_LIBURING_DEF int io_uring_queue_mmap(int fd, struct io_uring_params* p,
                                             struct io_uring* ring) LIBURING_NOEXCEPT {
    rawring::ring_state& r = rawring::liburing_detail::state(ring);
    r.reset();
    return r.adopt(fd, rawring::liburing_detail::params(p));
}

RAWRING_LIBURING_DEF void io_uring_queue_exit(struct io_uring* ring) LIBURING_NOEXCEPT {
    (void)rawring::liburing_detail::state(ring).exit();
}

RAWRING_LIBURING_DEF int io_uring_ring_dontfork(struct io_uring* ring) LIBURING_NOEXCEPT {
    // Keeps the mappings out of a forked child (MADV_DONTFORK on each), as liburing does.
    const rawring::ring_state& r = rawring::liburing_detail::state(ring);
    if (r.sq.ring_ptr == nullptr || r.sq.sqes == nullptr) return -EINVAL;
    if (madvise(r.sq.sqes, r.sq.sqes_sz, MADV_DONTFORK) != 0) return -errno;
    if (madvise(r.sq.ring_ptr, r.sq.ring_sz, MADV_DONTFORK) != 0) return -errno;
    if (r.cq.ring_ptr != r.sq.ring_ptr && madvise(r.cq.ring_ptr, r.cq.ring_sz, MADV_DONTFORK) != 0)
        return -errno;
    return 0;
}

RAWRING_LIBURING_DEF int io_uring_resize_rings(struct io_uring* ring,
                                               struct io_uring_params* p) LIBURING_NOEXCEPT {
    if (p == nullptr) return -EINVAL;
    return rawring::liburing_detail::state(ring).resize_rings(rawring::liburing_detail::params(p));
}

RAWRING_LIBURING_DEF ssize_t io_uring_memory_size_params(unsigned entries,
                                                         struct io_uring_params* p) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::ring_memory(entries, p);
}

RAWRING_LIBURING_DEF ssize_t io_uring_memory_size(unsigned entries, unsigned flags) LIBURING_NOEXCEPT {
    struct io_uring_params p {};
    p.flags = flags;
    return io_uring_memory_size_params(entries, &p);
}

RAWRING_LIBURING_DEF ssize_t io_uring_mlock_size_params(unsigned entries,
                                                        struct io_uring_params* p) LIBURING_NOEXCEPT {
    // Since Linux 5.12 (IORING_FEAT_NATIVE_WORKERS) ring memory is charged to the memory cgroup,
    // not to RLIMIT_MEMLOCK: 0, as liburing answers. Ask the kernel which it is.
    struct io_uring_params probe {};
    const int fd = rawring::sys::setup(1, &rawring::liburing_detail::params(&probe));
    if (fd >= 0) {
        (void)rawring::sys::close(fd);
        if ((probe.features & IORING_FEAT_NATIVE_WORKERS) != 0) return 0;
    }
    return io_uring_memory_size_params(entries, p);
}

RAWRING_LIBURING_DEF ssize_t io_uring_mlock_size(unsigned entries, unsigned flags) LIBURING_NOEXCEPT {
    struct io_uring_params p {};
    p.flags = flags;
    return io_uring_mlock_size_params(entries, &p);
}

// ---- the system calls --------------------------------------------------------------------------

RAWRING_LIBURING_DEF int io_uring_enter(unsigned int fd, unsigned int to_submit,
                                        unsigned int min_complete, unsigned int flags,
                                        sigset_t* sig) LIBURING_NOEXCEPT {
    return rawring::sys::enter(static_cast<int>(fd), to_submit, min_complete, flags, sig);
}

RAWRING_LIBURING_DEF int io_uring_enter2(unsigned int fd, unsigned int to_submit,
                                         unsigned int min_complete, unsigned int flags, void* arg,
                                         size_t sz) LIBURING_NOEXCEPT {
    return rawring::sys::enter2(static_cast<int>(fd), to_submit, min_complete, flags, arg, sz);
}

RAWRING_LIBURING_DEF int io_uring_setup(unsigned int entries, struct io_uring_params* p) LIBURING_NOEXCEPT {
    return rawring::sys::setup(entries, &rawring::liburing_detail::params(p));
}

RAWRING_LIBURING_DEF int io_uring_register(unsigned int fd, unsigned int opcode, const void* arg,
                                           unsigned int nr_args) LIBURING_NOEXCEPT {
    return rawring::sys::register_(static_cast<int>(fd), opcode, arg, nr_args);
}

// ---- submission --------------------------------------------------------------------------------

RAWRING_LIBURING_DEF struct io_uring_sqe* _io_uring_get_sqe(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::face(rawring::liburing_detail::state(ring).get_sqe());
}

RAWRING_LIBURING_DEF struct io_uring_sqe* io_uring_get_sqe(struct io_uring* ring) LIBURING_NOEXCEPT {
    return _io_uring_get_sqe(ring);
}

RAWRING_LIBURING_DEF struct io_uring_sqe* io_uring_get_sqe128(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::face(rawring::liburing_detail::state(ring).get_sqe128());
}

RAWRING_LIBURING_DEF unsigned __io_uring_flush_sq(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).flush_sq();
}

RAWRING_LIBURING_DEF int io_uring_submit(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).submit();
}

RAWRING_LIBURING_DEF int io_uring_submit_and_wait(struct io_uring* ring, unsigned wait_nr) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).submit_and_wait(wait_nr);
}

RAWRING_LIBURING_DEF int io_uring_submit_and_wait_timeout(struct io_uring* ring,
                                                          struct io_uring_cqe** cqe_ptr,
                                                          unsigned wait_nr,
                                                          struct __kernel_timespec* ts,
                                                          sigset_t* sigmask) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).submit_and_wait_timeout(
        rawring::liburing_detail::core(cqe_ptr), wait_nr, rawring::liburing_detail::core(ts), sigmask);
}

RAWRING_LIBURING_DEF int io_uring_submit_and_wait_min_timeout(struct io_uring* ring,
                                                              struct io_uring_cqe** cqe_ptr,
                                                              unsigned wait_nr,
                                                              struct __kernel_timespec* ts,
                                                              unsigned min_wait,
                                                              sigset_t* sigmask) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).submit_and_wait_min_timeout(
        rawring::liburing_detail::core(cqe_ptr), wait_nr, rawring::liburing_detail::core(ts),
        min_wait, sigmask);
}

RAWRING_LIBURING_DEF int io_uring_submit_and_wait_reg(struct io_uring* ring,
                                                      struct io_uring_cqe** cqe_ptr,
                                                      unsigned wait_nr, int reg_index) LIBURING_NOEXCEPT {
    if (reg_index < 0) return -EINVAL;
    return rawring::liburing_detail::state(ring).submit_and_wait_reg(
        rawring::liburing_detail::core(cqe_ptr), wait_nr, static_cast<unsigned>(reg_index));
}

RAWRING_LIBURING_DEF int io_uring_submit_and_get_events(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).submit_and_get_events();
}

RAWRING_LIBURING_DEF int io_uring_get_events(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).get_events();
}

RAWRING_LIBURING_DEF int io_uring_set_iowait(struct io_uring* ring, bool enable_iowait) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).set_iowait(enable_iowait);
}

RAWRING_LIBURING_DEF unsigned io_uring_load_sq_head(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).load_sq_head();
}

RAWRING_LIBURING_DEF unsigned io_uring_sq_ready(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).sq_ready();
}

RAWRING_LIBURING_DEF unsigned io_uring_sq_space_left(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).sq_space_left();
}

RAWRING_LIBURING_DEF unsigned io_uring_sqe_shift_from_flags(unsigned flags) LIBURING_NOEXCEPT {
    return (flags & IORING_SETUP_SQE128) != 0 ? 1 : 0;
}

RAWRING_LIBURING_DEF unsigned io_uring_sqe_shift(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return io_uring_sqe_shift_from_flags(ring->flags);
}

RAWRING_LIBURING_DEF int io_uring_sqring_wait(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).sqring_wait();
}

RAWRING_LIBURING_DEF int __io_uring_sqring_wait(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).enter(0, 0, IORING_ENTER_SQ_WAIT);
}

// ---- completion --------------------------------------------------------------------------------

RAWRING_LIBURING_DEF int __io_uring_get_cqe(struct io_uring* ring, struct io_uring_cqe** cqe_ptr,
                                            unsigned submit, unsigned wait_nr,
                                            sigset_t* sigmask) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).get_cqe(rawring::liburing_detail::core(cqe_ptr),
                                                         submit, wait_nr, sigmask);
}

RAWRING_LIBURING_DEF int __io_uring_peek_cqe(struct io_uring* ring, struct io_uring_cqe** cqe_ptr,
                                             unsigned* nr_available) LIBURING_NOEXCEPT {
    unsigned available;
    *rawring::liburing_detail::core(cqe_ptr) = rawring::liburing_detail::state(ring).first_cqe(&available);
    if (nr_available != nullptr) *nr_available = available;
    return 0;
}

RAWRING_LIBURING_DEF int io_uring_peek_cqe(struct io_uring* ring,
                                           struct io_uring_cqe** cqe_ptr) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).peek_cqe(rawring::liburing_detail::core(cqe_ptr));
}

RAWRING_LIBURING_DEF unsigned io_uring_peek_batch_cqe(struct io_uring* ring, struct io_uring_cqe** cqes,
                                                      unsigned count) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).peek_batch_cqe(rawring::liburing_detail::core(cqes), count);
}

RAWRING_LIBURING_DEF int io_uring_wait_cqe(struct io_uring* ring,
                                           struct io_uring_cqe** cqe_ptr) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).wait_cqe(rawring::liburing_detail::core(cqe_ptr));
}

RAWRING_LIBURING_DEF int io_uring_wait_cqe_nr(struct io_uring* ring, struct io_uring_cqe** cqe_ptr,
                                              unsigned wait_nr) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).wait_cqe_nr(rawring::liburing_detail::core(cqe_ptr), wait_nr);
}

RAWRING_LIBURING_DEF int io_uring_wait_cqe_timeout(struct io_uring* ring, struct io_uring_cqe** cqe_ptr,
                                                   struct __kernel_timespec* ts) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).wait_cqe_timeout(rawring::liburing_detail::core(cqe_ptr),
                                                                  rawring::liburing_detail::core(ts));
}

RAWRING_LIBURING_DEF int io_uring_wait_cqes(struct io_uring* ring, struct io_uring_cqe** cqe_ptr,
                                            unsigned wait_nr, struct __kernel_timespec* ts,
                                            sigset_t* sigmask) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).wait_cqes(rawring::liburing_detail::core(cqe_ptr), wait_nr,
                                                           rawring::liburing_detail::core(ts), sigmask);
}

RAWRING_LIBURING_DEF int io_uring_wait_cqes_min_timeout(struct io_uring* ring,
                                                        struct io_uring_cqe** cqe_ptr,
                                                        unsigned wait_nr,
                                                        struct __kernel_timespec* ts,
                                                        unsigned int min_ts_usec,
                                                        sigset_t* sigmask) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).wait_cqes_min_timeout(
        rawring::liburing_detail::core(cqe_ptr), wait_nr, rawring::liburing_detail::core(ts),
        min_ts_usec, sigmask);
}

RAWRING_LIBURING_DEF void io_uring_cq_advance(struct io_uring* ring, unsigned nr) LIBURING_NOEXCEPT {
    rawring::liburing_detail::state(ring).cq_advance(nr);
}

RAWRING_LIBURING_DEF unsigned io_uring_cqe_nr(const struct io_uring_cqe* cqe) LIBURING_NOEXCEPT {
    return rawring::cqe_nr(*reinterpret_cast<const rawring::abi::io_uring_cqe*>(cqe));
}

RAWRING_LIBURING_DEF void io_uring_cqe_seen(struct io_uring* ring, struct io_uring_cqe* cqe) LIBURING_NOEXCEPT {
    rawring::liburing_detail::state(ring).cqe_seen(reinterpret_cast<const rawring::abi::io_uring_cqe*>(cqe));
}

RAWRING_LIBURING_DEF unsigned io_uring_cq_ready(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).cq_ready();
}

RAWRING_LIBURING_DEF bool io_uring_cq_has_overflow(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).cq_has_overflow();
}

RAWRING_LIBURING_DEF unsigned io_uring_cqe_shift_from_flags(unsigned flags) LIBURING_NOEXCEPT {
    return (flags & IORING_SETUP_CQE32) != 0 ? 1 : 0;
}

RAWRING_LIBURING_DEF unsigned io_uring_cqe_shift(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return io_uring_cqe_shift_from_flags(ring->flags);
}

RAWRING_LIBURING_DEF struct io_uring_cqe_iter io_uring_cqe_iter_init(const struct io_uring* ring) LIBURING_NOEXCEPT {
    const rawring::ring_state& r = rawring::liburing_detail::state(ring);
    struct io_uring_cqe_iter it {};
    it.cqes = reinterpret_cast<struct io_uring_cqe*>(r.cq.cqes);
    it.mask = r.cq.ring_mask;
    it.shift = r.cq.shift;
    it.head = std::atomic_ref<std::uint32_t>(*r.cq.khead).load(std::memory_order_relaxed);
    // Acquire pairs with the kernel's release of the tail: the CQEs below it are written.
    it.tail = std::atomic_ref<std::uint32_t>(*r.cq.ktail).load(std::memory_order_acquire);
    return it;
}

RAWRING_LIBURING_DEF bool io_uring_cqe_iter_next(struct io_uring_cqe_iter* iter,
                                                 struct io_uring_cqe** cqe) LIBURING_NOEXCEPT {
    if (iter->head == iter->tail) return false;
    // As liburing 2.15's walk: every entry, skip fillers included, a big CQE of a CQE_MIXED
    // ring stepping over both its slots.
    *cqe = &iter->cqes[(iter->head & iter->mask) << iter->shift];
    iter->head += io_uring_cqe_nr(*cqe);
    return true;
}
