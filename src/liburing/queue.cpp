// SPDX-License-Identifier: MIT
// librawring-liburing's setup, submission and completion functions: the exported extern "C"
// symbols behind liburing.h for C programs and C++ before C++20 (C++20 inlines the same
// definitions, liburing/rawring_queue_impl.hpp).
#include "rawring/rawring.hpp"  // first: liburing.h's IORING_* macros would rewrite its names

#define RAWRING_LIBURING_NO_INLINE
#include <liburing.h>

#define RAWRING_LIBURING_DEF
#include "liburing/rawring_queue_impl.hpp"

// ---- liburing internals that liburing's own test suite links against ---------------------------
// liburing's src/setup.h declares these (its tests include that header from liburing's tree); they
// are not in liburing.h, so they exist here, for C, only.

extern "C" {

void io_uring_setup_ring_pointers(struct io_uring_params* p, struct io_uring_sq* sq,
                                  struct io_uring_cq* cq) LIBURING_NOEXCEPT;
int io_uring_mmap(int fd, struct io_uring_params* p, struct io_uring_sq* sq,
                  struct io_uring_cq* cq) LIBURING_NOEXCEPT;
void io_uring_unmap_rings(struct io_uring_sq* sq, struct io_uring_cq* cq) LIBURING_NOEXCEPT;

// Points the queues' members into their mapped rings (sq->ring_ptr, cq->ring_ptr) by the offsets
// in *p: rawring's ring_state::point_into, on a state of its own.
void io_uring_setup_ring_pointers(struct io_uring_params* p, struct io_uring_sq* sq,
                                  struct io_uring_cq* cq) LIBURING_NOEXCEPT {
    struct io_uring tmp;
    rawring::ring_state& st = rawring::liburing_detail::state(&tmp);
    st.reset();
    st.point_into(rawring::liburing_detail::params(p), sq->ring_ptr, cq->ring_ptr);
    tmp.sq.sqes = sq->sqes;
    tmp.sq.sqes_sz = sq->sqes_sz;
    tmp.sq.ring_sz = sq->ring_sz;
    tmp.sq.ring_ptr = sq->ring_ptr;
    tmp.cq.ring_sz = cq->ring_sz;
    tmp.cq.ring_ptr = cq->ring_ptr;
    *sq = tmp.sq;
    *cq = tmp.cq;
}

// Maps the rings of the ring `fd` into *sq and *cq: rawring's own mapping, on a state of its own.
int io_uring_mmap(int fd, struct io_uring_params* p, struct io_uring_sq* sq,
                  struct io_uring_cq* cq) LIBURING_NOEXCEPT {
    struct io_uring tmp;
    rawring::ring_state& st = rawring::liburing_detail::state(&tmp);
    st.reset();
    const int ret = st.adopt(fd, rawring::liburing_detail::params(p));
    if (ret < 0) return ret;
    *sq = tmp.sq;
    *cq = tmp.cq;
    return 0;
}

// Unmaps what io_uring_mmap mapped for the SQ and CQ rings (not the SQE array).
void io_uring_unmap_rings(struct io_uring_sq* sq, struct io_uring_cq* cq) LIBURING_NOEXCEPT {
    if (sq->ring_sz != 0) (void)rawring::sys::munmap(sq->ring_ptr, sq->ring_sz);
    if (cq->ring_ptr != nullptr && cq->ring_sz != 0 && cq->ring_ptr != sq->ring_ptr)
        (void)rawring::sys::munmap(cq->ring_ptr, cq->ring_sz);
}

} // extern "C"
