// SPDX-License-Identifier: MIT
// What every definition of rawring's liburing face shares: struct io_uring *is* rawring's
// ring_state (checked here, member by member), and the casts between the face's uapi structs
// and their rawring::abi twins (the same bytes; tests/liburing_abi checks every member).
#pragma once

#ifndef LIB_URING_H
#error "include <liburing.h> (rawring's face) before the face's definitions"
#endif

#include <cstddef>

#include "rawring/ring.hpp"

namespace rawring::liburing_detail {

// ---- struct io_uring is rawring's ring_state ------------------------------------------------------

static_assert(sizeof(::io_uring) == sizeof(ring_state) && alignof(::io_uring) == alignof(ring_state));
static_assert(offsetof(::io_uring, sq) == offsetof(ring_state, sq));
static_assert(offsetof(::io_uring, cq) == offsetof(ring_state, cq));
static_assert(offsetof(::io_uring, flags) == offsetof(ring_state, flags));
static_assert(offsetof(::io_uring, ring_fd) == offsetof(ring_state, ring_fd));
static_assert(offsetof(::io_uring, features) == offsetof(ring_state, features));
static_assert(offsetof(::io_uring, enter_ring_fd) == offsetof(ring_state, enter_ring_fd));
static_assert(offsetof(::io_uring, int_flags) == offsetof(ring_state, int_flags));
static_assert(offsetof(::io_uring, pad) == offsetof(ring_state, wait_clock));
static_assert(offsetof(::io_uring, pad2) == offsetof(ring_state, ring_fd_owner));
static_assert(sizeof(::io_uring_sq) == sizeof(sq_ring));
static_assert(offsetof(::io_uring_sq, khead) == offsetof(sq_ring, khead));
static_assert(offsetof(::io_uring_sq, kflags) == offsetof(sq_ring, kflags));
static_assert(offsetof(::io_uring_sq, sqes) == offsetof(sq_ring, sqes));
static_assert(offsetof(::io_uring_sq, sqe_head) == offsetof(sq_ring, sqe_head));
static_assert(offsetof(::io_uring_sq, ring_sz) == offsetof(sq_ring, ring_sz));
static_assert(offsetof(::io_uring_sq, ring_mask) == offsetof(sq_ring, ring_mask));
static_assert(offsetof(::io_uring_sq, sqes_sz) == offsetof(sq_ring, sqes_sz));
static_assert(offsetof(::io_uring_sq, pad) == offsetof(sq_ring, shift));
static_assert(sizeof(::io_uring_cq) == sizeof(cq_ring));
static_assert(offsetof(::io_uring_cq, khead) == offsetof(cq_ring, khead));
static_assert(offsetof(::io_uring_cq, kflags) == offsetof(cq_ring, kflags));
static_assert(offsetof(::io_uring_cq, cqes) == offsetof(cq_ring, cqes));
static_assert(offsetof(::io_uring_cq, ring_mask) == offsetof(cq_ring, ring_mask));
static_assert(offsetof(::io_uring_cq, pad) == offsetof(cq_ring, shift));

/// A liburing program's ring as rawring's state (the same memory, see liburing.h).
inline ring_state& state(::io_uring* ring) noexcept {
    return *reinterpret_cast<ring_state*>(ring);
}
inline const ring_state& state(const ::io_uring* ring) noexcept {
    return *reinterpret_cast<const ring_state*>(ring);
}

/// A uapi struct of liburing/io_uring.h as its rawring::abi twin (`Abi` spelled const for a const
/// pointer). tests/liburing_abi checks every member of every pair; the size and alignment are
/// checked here again, where the cast is made.
template <class Abi, class Face>
inline Abi* twin(Face* p) noexcept {
    static_assert(sizeof(Abi) == sizeof(Face) && alignof(Abi) == alignof(Face),
                  "the face's uapi struct and its rawring::abi twin must be the same bytes");
    return reinterpret_cast<Abi*>(p);
}

} // namespace rawring::liburing_detail
