// SPDX-License-Identifier: MIT
// The definitions behind liburing/rawring_prep.h: each helper once, on top of rawring::prep_*.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

// RAWRING_LIBURING_DEF starts every definition: `inline` (liburing.h, for C++20 programs, and
// the default) or `extern "C"` (src/liburing_prep.cpp: the exported symbols for C and older C++).
// liburing/io_uring.h makes IORING_* / IOSQE_* macros, so no `abi::IORING_...` is spelled here,
// and rawring/prep.hpp must be compiled before that header: liburing.h includes it first (the
// include below is then a no-op); included on its own, this file includes both in that order.
#ifndef RAWRING_LIBURING_DEF
#define RAWRING_LIBURING_DEF inline
#endif

#include <cstddef>
#include <cstdint>

#include "rawring/prep.hpp"

// Included on its own, the prototypes are declared as the definitions below are (inline or not).
#ifndef RAWRING_LIBURING_FN
#define RAWRING_LIBURING_FN RAWRING_LIBURING_DEF
#endif
#include "rawring_prep.h"  // this directory's, whichever include path found this file

namespace rawring::liburing_detail {

// The uapi structs liburing programs use and rawring's own are the same bytes; the casts below
// rely on it.
static_assert(sizeof(::io_uring_sqe) == sizeof(abi::io_uring_sqe));
static_assert(offsetof(::io_uring_sqe, opcode) == offsetof(abi::io_uring_sqe, opcode));
static_assert(offsetof(::io_uring_sqe, flags) == offsetof(abi::io_uring_sqe, flags));
static_assert(offsetof(::io_uring_sqe, ioprio) == offsetof(abi::io_uring_sqe, ioprio));
static_assert(offsetof(::io_uring_sqe, fd) == offsetof(abi::io_uring_sqe, fd));
static_assert(offsetof(::io_uring_sqe, off) == offsetof(abi::io_uring_sqe, off));
static_assert(offsetof(::io_uring_sqe, addr) == offsetof(abi::io_uring_sqe, addr));
static_assert(offsetof(::io_uring_sqe, len) == offsetof(abi::io_uring_sqe, len));
static_assert(offsetof(::io_uring_sqe, rw_flags) == offsetof(abi::io_uring_sqe, rw_flags));
static_assert(offsetof(::io_uring_sqe, user_data) == offsetof(abi::io_uring_sqe, user_data));
static_assert(offsetof(::io_uring_sqe, buf_index) == offsetof(abi::io_uring_sqe, buf_index));
static_assert(offsetof(::io_uring_sqe, personality) == offsetof(abi::io_uring_sqe, personality));
static_assert(offsetof(::io_uring_sqe, file_index) == offsetof(abi::io_uring_sqe, file_index));
static_assert(offsetof(::io_uring_sqe, addr3) == offsetof(abi::io_uring_sqe, addr3));
static_assert(sizeof(::io_uring_cqe) == sizeof(abi::io_uring_cqe));
static_assert(offsetof(::io_uring_cqe, user_data) == offsetof(abi::io_uring_cqe, user_data));
static_assert(offsetof(::io_uring_cqe, res) == offsetof(abi::io_uring_cqe, res));
static_assert(offsetof(::io_uring_cqe, flags) == offsetof(abi::io_uring_cqe, flags));
static_assert(sizeof(::__kernel_timespec) == sizeof(abi::kernel_timespec));
static_assert(offsetof(::__kernel_timespec, tv_nsec) == offsetof(abi::kernel_timespec, tv_nsec));

/// A liburing program's SQE as rawring's.
inline abi::io_uring_sqe* sqe(::io_uring_sqe* s) noexcept {
    return reinterpret_cast<abi::io_uring_sqe*>(s);
}

/// A liburing program's CQE as rawring's.
inline const abi::io_uring_cqe* cqe(const ::io_uring_cqe* c) noexcept {
    return reinterpret_cast<const abi::io_uring_cqe*>(c);
}

/// linux/time_types.h's timespec as rawring's.
inline const abi::kernel_timespec* ts(const ::__kernel_timespec* t) noexcept {
    return reinterpret_cast<const abi::kernel_timespec*>(t);
}

// Every other argument passes through unchanged: struct iovec, msghdr, sockaddr, statx and
// epoll_event are the libc types prep.hpp takes; socklen_t*, mode_t, off_t, loff_t, idtype_t,
// id_t and siginfo_t* convert implicitly to the unsigned*, unsigned, std::int64_t, int,
// unsigned and void* it takes; struct open_how and futex_waitv pick prep.hpp's overloads for
// the linux/*.h structs.

} // namespace rawring::liburing_detail

// =================================================================================================
// SQE setters and CQE accessors
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_sqe_set_data(struct io_uring_sqe* sqe,
                                                void* data) LIBURING_NOEXCEPT {
    rawring::sqe_set_data(rawring::liburing_detail::sqe(sqe), data);
}

RAWRING_LIBURING_DEF void io_uring_sqe_set_data64(struct io_uring_sqe* sqe,
                                                  __u64 data) LIBURING_NOEXCEPT {
    rawring::sqe_set_data64(rawring::liburing_detail::sqe(sqe), data);
}

RAWRING_LIBURING_DEF void io_uring_sqe_set_flags(struct io_uring_sqe* sqe,
                                                 unsigned flags) LIBURING_NOEXCEPT {
    rawring::sqe_set_flags(rawring::liburing_detail::sqe(sqe), flags);
}

RAWRING_LIBURING_DEF void io_uring_sqe_set_buf_group(struct io_uring_sqe* sqe,
                                                     int bgid) LIBURING_NOEXCEPT {
    rawring::sqe_set_buf_group(rawring::liburing_detail::sqe(sqe), bgid);
}

RAWRING_LIBURING_DEF void __io_uring_set_target_fixed_file(struct io_uring_sqe* sqe,
                                                          unsigned int file_index) LIBURING_NOEXCEPT {
    rawring::detail::set_target_fixed_file(rawring::liburing_detail::sqe(sqe), file_index);
}

// No rawring twin: rawring's get_sqe clears the whole SQE instead. liburing's get_sqe calls this
// to clear exactly the fields its prep_rw core does not set (opcode, fd, off, addr, len, and
// user_data, which the caller sets), so this is liburing 2.15's list, written out.
RAWRING_LIBURING_DEF void io_uring_initialize_sqe(struct io_uring_sqe* sqe)
    LIBURING_NOEXCEPT {
    rawring::abi::io_uring_sqe* s = rawring::liburing_detail::sqe(sqe);
    s->flags = 0;
    s->ioprio = 0;
    s->rw_flags = 0;
    s->buf_index = 0;
    s->personality = 0;
    s->file_index = 0;
    s->addr3 = 0;
    s->pad2 = 0;
}

RAWRING_LIBURING_DEF void* io_uring_cqe_get_data(const struct io_uring_cqe* cqe)
    LIBURING_NOEXCEPT {
    return rawring::cqe_get_data(rawring::liburing_detail::cqe(cqe));
}

RAWRING_LIBURING_DEF __u64 io_uring_cqe_get_data64(const struct io_uring_cqe* cqe)
    LIBURING_NOEXCEPT {
    return rawring::cqe_get_data64(rawring::liburing_detail::cqe(cqe));
}

// =================================================================================================
// The core
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_rw(int op, struct io_uring_sqe* sqe, int fd,
                                           const void* addr, unsigned len,
                                           __u64 offset) LIBURING_NOEXCEPT {
    rawring::prep_rw(op, rawring::liburing_detail::sqe(sqe), fd, addr, len, offset);
}

// =================================================================================================
// Pipes: splice, tee, pipe
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_splice(struct io_uring_sqe* sqe, int fd_in,
                                               int64_t off_in, int fd_out, int64_t off_out,
                                               unsigned int nbytes,
                                               unsigned int splice_flags)
    LIBURING_NOEXCEPT {
    rawring::prep_splice(rawring::liburing_detail::sqe(sqe), fd_in, off_in, fd_out, off_out,
                         nbytes, splice_flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_tee(struct io_uring_sqe* sqe, int fd_in, int fd_out,
                                            unsigned int nbytes,
                                            unsigned int splice_flags) LIBURING_NOEXCEPT {
    rawring::prep_tee(rawring::liburing_detail::sqe(sqe), fd_in, fd_out, nbytes, splice_flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_pipe(struct io_uring_sqe* sqe, int* fds,
                                             int pipe_flags) LIBURING_NOEXCEPT {
    rawring::prep_pipe(rawring::liburing_detail::sqe(sqe), fds, pipe_flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_pipe_direct(struct io_uring_sqe* sqe, int* fds,
                                                    int pipe_flags,
                                                    unsigned int file_index)
    LIBURING_NOEXCEPT {
    rawring::prep_pipe_direct(rawring::liburing_detail::sqe(sqe), fds, pipe_flags, file_index);
}

// =================================================================================================
// Read and write
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_readv(struct io_uring_sqe* sqe, int fd,
                                              const struct iovec* iovecs, unsigned nr_vecs,
                                              __u64 offset) LIBURING_NOEXCEPT {
    rawring::prep_readv(rawring::liburing_detail::sqe(sqe), fd, iovecs, nr_vecs, offset);
}

RAWRING_LIBURING_DEF void io_uring_prep_readv2(struct io_uring_sqe* sqe, int fd,
                                               const struct iovec* iovecs, unsigned nr_vecs,
                                               __u64 offset, int flags) LIBURING_NOEXCEPT {
    rawring::prep_readv2(rawring::liburing_detail::sqe(sqe), fd, iovecs, nr_vecs, offset, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_read_fixed(struct io_uring_sqe* sqe, int fd, void* buf,
                                                   unsigned nbytes, __u64 offset,
                                                   int buf_index) LIBURING_NOEXCEPT {
    rawring::prep_read_fixed(rawring::liburing_detail::sqe(sqe), fd, buf, nbytes, offset,
                             buf_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_readv_fixed(struct io_uring_sqe* sqe, int fd,
                                                    const struct iovec* iovecs, unsigned nr_vecs,
                                                    __u64 offset, int flags,
                                                    int buf_index) LIBURING_NOEXCEPT {
    rawring::prep_readv_fixed(rawring::liburing_detail::sqe(sqe), fd, iovecs, nr_vecs, offset,
                              flags, buf_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_writev(struct io_uring_sqe* sqe, int fd,
                                               const struct iovec* iovecs, unsigned nr_vecs,
                                               __u64 offset) LIBURING_NOEXCEPT {
    rawring::prep_writev(rawring::liburing_detail::sqe(sqe), fd, iovecs, nr_vecs, offset);
}

RAWRING_LIBURING_DEF void io_uring_prep_writev2(struct io_uring_sqe* sqe, int fd,
                                                const struct iovec* iovecs, unsigned nr_vecs,
                                                __u64 offset, int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_writev2(rawring::liburing_detail::sqe(sqe), fd, iovecs, nr_vecs, offset, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_write_fixed(struct io_uring_sqe* sqe, int fd,
                                                    const void* buf, unsigned nbytes,
                                                    __u64 offset,
                                                    int buf_index) LIBURING_NOEXCEPT {
    rawring::prep_write_fixed(rawring::liburing_detail::sqe(sqe), fd, buf, nbytes, offset,
                              buf_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_writev_fixed(struct io_uring_sqe* sqe, int fd,
                                                     const struct iovec* iovecs,
                                                     unsigned nr_vecs, __u64 offset, int flags,
                                                     int buf_index) LIBURING_NOEXCEPT {
    rawring::prep_writev_fixed(rawring::liburing_detail::sqe(sqe), fd, iovecs, nr_vecs, offset,
                               flags, buf_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_read(struct io_uring_sqe* sqe, int fd, void* buf,
                                             unsigned nbytes,
                                             __u64 offset) LIBURING_NOEXCEPT {
    rawring::prep_read(rawring::liburing_detail::sqe(sqe), fd, buf, nbytes, offset);
}

RAWRING_LIBURING_DEF void io_uring_prep_read_multishot(struct io_uring_sqe* sqe, int fd,
                                                       unsigned nbytes, __u64 offset,
                                                       int buf_group) LIBURING_NOEXCEPT {
    rawring::prep_read_multishot(rawring::liburing_detail::sqe(sqe), fd, nbytes, offset,
                                 buf_group);
}

RAWRING_LIBURING_DEF void io_uring_prep_write(struct io_uring_sqe* sqe, int fd, const void* buf,
                                              unsigned nbytes,
                                              __u64 offset) LIBURING_NOEXCEPT {
    rawring::prep_write(rawring::liburing_detail::sqe(sqe), fd, buf, nbytes, offset);
}

// =================================================================================================
// Sync, allocate, truncate, advise
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_fsync(struct io_uring_sqe* sqe, int fd,
                                              unsigned fsync_flags) LIBURING_NOEXCEPT {
    rawring::prep_fsync(rawring::liburing_detail::sqe(sqe), fd, fsync_flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_sync_file_range(struct io_uring_sqe* sqe, int fd,
                                                        unsigned len, __u64 offset,
                                                        int flags) LIBURING_NOEXCEPT {
    rawring::prep_sync_file_range(rawring::liburing_detail::sqe(sqe), fd, len, offset, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_fallocate(struct io_uring_sqe* sqe, int fd, int mode,
                                                  __u64 offset,
                                                  __u64 len) LIBURING_NOEXCEPT {
    rawring::prep_fallocate(rawring::liburing_detail::sqe(sqe), fd, mode, offset, len);
}

#ifdef _GNU_SOURCE
RAWRING_LIBURING_DEF void io_uring_prep_ftruncate(struct io_uring_sqe* sqe, int fd,
                                                  loff_t len) LIBURING_NOEXCEPT {
    rawring::prep_ftruncate(rawring::liburing_detail::sqe(sqe), fd, len);
}
#endif

RAWRING_LIBURING_DEF void io_uring_prep_fadvise(struct io_uring_sqe* sqe, int fd, __u64 offset,
                                                __u32 len, int advice) LIBURING_NOEXCEPT {
    rawring::prep_fadvise(rawring::liburing_detail::sqe(sqe), fd, offset, len, advice);
}

RAWRING_LIBURING_DEF void io_uring_prep_madvise(struct io_uring_sqe* sqe, void* addr,
                                                __u32 length,
                                                int advice) LIBURING_NOEXCEPT {
    rawring::prep_madvise(rawring::liburing_detail::sqe(sqe), addr, length, advice);
}

RAWRING_LIBURING_DEF void io_uring_prep_fadvise64(struct io_uring_sqe* sqe, int fd,
                                                  __u64 offset, off_t len,
                                                  int advice) LIBURING_NOEXCEPT {
    rawring::prep_fadvise64(rawring::liburing_detail::sqe(sqe), fd, offset, len, advice);
}

RAWRING_LIBURING_DEF void io_uring_prep_madvise64(struct io_uring_sqe* sqe, void* addr,
                                                  off_t length, int advice)
    LIBURING_NOEXCEPT {
    rawring::prep_madvise64(rawring::liburing_detail::sqe(sqe), addr, length, advice);
}

// =================================================================================================
// No-ops
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_nop(struct io_uring_sqe* sqe) LIBURING_NOEXCEPT {
    rawring::prep_nop(rawring::liburing_detail::sqe(sqe));
}

RAWRING_LIBURING_DEF void io_uring_prep_nop128(struct io_uring_sqe* sqe)
    LIBURING_NOEXCEPT {
    rawring::prep_nop128(rawring::liburing_detail::sqe(sqe));
}

// =================================================================================================
// Poll and epoll
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_poll_add(struct io_uring_sqe* sqe, int fd,
                                                 unsigned poll_mask) LIBURING_NOEXCEPT {
    rawring::prep_poll_add(rawring::liburing_detail::sqe(sqe), fd, poll_mask);
}

RAWRING_LIBURING_DEF void io_uring_prep_poll_multishot(struct io_uring_sqe* sqe, int fd,
                                                       unsigned poll_mask)
    LIBURING_NOEXCEPT {
    rawring::prep_poll_multishot(rawring::liburing_detail::sqe(sqe), fd, poll_mask);
}

RAWRING_LIBURING_DEF void io_uring_prep_poll_remove(struct io_uring_sqe* sqe,
                                                    __u64 user_data) LIBURING_NOEXCEPT {
    rawring::prep_poll_remove(rawring::liburing_detail::sqe(sqe), user_data);
}

RAWRING_LIBURING_DEF void io_uring_prep_poll_update(struct io_uring_sqe* sqe,
                                                    __u64 old_user_data, __u64 new_user_data,
                                                    unsigned poll_mask,
                                                    unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_poll_update(rawring::liburing_detail::sqe(sqe), old_user_data, new_user_data,
                              poll_mask, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_epoll_ctl(struct io_uring_sqe* sqe, int epfd, int fd,
                                                  int op, const struct epoll_event* ev)
    LIBURING_NOEXCEPT {
    rawring::prep_epoll_ctl(rawring::liburing_detail::sqe(sqe), epfd, fd, op, ev);
}

RAWRING_LIBURING_DEF void io_uring_prep_epoll_wait(struct io_uring_sqe* sqe, int fd,
                                                   struct epoll_event* events, int maxevents,
                                                   unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_epoll_wait(rawring::liburing_detail::sqe(sqe), fd, events, maxevents, flags);
}

// =================================================================================================
// Timeouts and cancellation
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_timeout(struct io_uring_sqe* sqe,
                                                const struct __kernel_timespec* ts,
                                                unsigned count,
                                                unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_timeout(rawring::liburing_detail::sqe(sqe), rawring::liburing_detail::ts(ts),
                          count, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_timeout_remove(struct io_uring_sqe* sqe,
                                                       __u64 user_data,
                                                       unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_timeout_remove(rawring::liburing_detail::sqe(sqe), user_data, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_timeout_update(struct io_uring_sqe* sqe,
                                                       const struct __kernel_timespec* ts,
                                                       __u64 user_data,
                                                       unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_timeout_update(rawring::liburing_detail::sqe(sqe),
                                 rawring::liburing_detail::ts(ts), user_data, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_link_timeout(struct io_uring_sqe* sqe,
                                                     const struct __kernel_timespec* ts,
                                                     unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_link_timeout(rawring::liburing_detail::sqe(sqe),
                               rawring::liburing_detail::ts(ts), flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_cancel64(struct io_uring_sqe* sqe, __u64 user_data,
                                                 int flags) LIBURING_NOEXCEPT {
    rawring::prep_cancel64(rawring::liburing_detail::sqe(sqe), user_data, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_cancel(struct io_uring_sqe* sqe, const void* user_data,
                                               int flags) LIBURING_NOEXCEPT {
    rawring::prep_cancel(rawring::liburing_detail::sqe(sqe), user_data, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_cancel_fd(struct io_uring_sqe* sqe, int fd,
                                                  unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_cancel_fd(rawring::liburing_detail::sqe(sqe), fd, flags);
}

// =================================================================================================
// Sockets
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_accept(struct io_uring_sqe* sqe, int fd,
                                               struct sockaddr* addr, socklen_t* addrlen,
                                               int flags) LIBURING_NOEXCEPT {
    rawring::prep_accept(rawring::liburing_detail::sqe(sqe), fd, addr, addrlen, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_accept_direct(struct io_uring_sqe* sqe, int fd,
                                                      struct sockaddr* addr, socklen_t* addrlen,
                                                      int flags, unsigned int file_index)
    LIBURING_NOEXCEPT {
    rawring::prep_accept_direct(rawring::liburing_detail::sqe(sqe), fd, addr, addrlen, flags,
                                file_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_multishot_accept(struct io_uring_sqe* sqe, int fd,
                                                         struct sockaddr* addr,
                                                         socklen_t* addrlen,
                                                         int flags) LIBURING_NOEXCEPT {
    rawring::prep_multishot_accept(rawring::liburing_detail::sqe(sqe), fd, addr, addrlen, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_multishot_accept_direct(struct io_uring_sqe* sqe, int fd,
                                                                struct sockaddr* addr,
                                                                socklen_t* addrlen, int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_multishot_accept_direct(rawring::liburing_detail::sqe(sqe), fd, addr, addrlen,
                                          flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_connect(struct io_uring_sqe* sqe, int fd,
                                                const struct sockaddr* addr,
                                                socklen_t addrlen) LIBURING_NOEXCEPT {
    rawring::prep_connect(rawring::liburing_detail::sqe(sqe), fd, addr, addrlen);
}

RAWRING_LIBURING_DEF void io_uring_prep_bind(struct io_uring_sqe* sqe, int fd,
                                             const struct sockaddr* addr,
                                             socklen_t addrlen) LIBURING_NOEXCEPT {
    rawring::prep_bind(rawring::liburing_detail::sqe(sqe), fd, addr, addrlen);
}

RAWRING_LIBURING_DEF void io_uring_prep_listen(struct io_uring_sqe* sqe, int fd,
                                               int backlog) LIBURING_NOEXCEPT {
    rawring::prep_listen(rawring::liburing_detail::sqe(sqe), fd, backlog);
}

RAWRING_LIBURING_DEF void io_uring_prep_shutdown(struct io_uring_sqe* sqe, int fd,
                                                 int how) LIBURING_NOEXCEPT {
    rawring::prep_shutdown(rawring::liburing_detail::sqe(sqe), fd, how);
}

RAWRING_LIBURING_DEF void io_uring_prep_socket(struct io_uring_sqe* sqe, int domain, int type,
                                               int protocol,
                                               unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_socket(rawring::liburing_detail::sqe(sqe), domain, type, protocol, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_socket_direct(struct io_uring_sqe* sqe, int domain,
                                                      int type, int protocol,
                                                      unsigned file_index,
                                                      unsigned int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_socket_direct(rawring::liburing_detail::sqe(sqe), domain, type, protocol,
                                file_index, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_socket_direct_alloc(struct io_uring_sqe* sqe, int domain,
                                                            int type, int protocol,
                                                            unsigned int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_socket_direct_alloc(rawring::liburing_detail::sqe(sqe), domain, type, protocol,
                                      flags);
}

// =================================================================================================
// Send and receive
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_send(struct io_uring_sqe* sqe, int sockfd,
                                             const void* buf, size_t len,
                                             int flags) LIBURING_NOEXCEPT {
    rawring::prep_send(rawring::liburing_detail::sqe(sqe), sockfd, buf, len, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_send_bundle(struct io_uring_sqe* sqe, int sockfd,
                                                    size_t len, int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_send_bundle(rawring::liburing_detail::sqe(sqe), sockfd, len, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_send_set_addr(struct io_uring_sqe* sqe,
                                                      const struct sockaddr* dest_addr,
                                                      __u16 addr_len) LIBURING_NOEXCEPT {
    rawring::prep_send_set_addr(rawring::liburing_detail::sqe(sqe), dest_addr, addr_len);
}

RAWRING_LIBURING_DEF void io_uring_prep_sendto(struct io_uring_sqe* sqe, int sockfd,
                                               const void* buf, size_t len, int flags,
                                               const struct sockaddr* addr,
                                               socklen_t addrlen) LIBURING_NOEXCEPT {
    rawring::prep_sendto(rawring::liburing_detail::sqe(sqe), sockfd, buf, len, flags, addr,
                         addrlen);
}

RAWRING_LIBURING_DEF void io_uring_prep_send_zc(struct io_uring_sqe* sqe, int sockfd,
                                                const void* buf, size_t len, int flags,
                                                unsigned zc_flags) LIBURING_NOEXCEPT {
    rawring::prep_send_zc(rawring::liburing_detail::sqe(sqe), sockfd, buf, len, flags, zc_flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_send_zc_fixed(struct io_uring_sqe* sqe, int sockfd,
                                                      const void* buf, size_t len, int flags,
                                                      unsigned zc_flags,
                                                      unsigned buf_index)
    LIBURING_NOEXCEPT {
    rawring::prep_send_zc_fixed(rawring::liburing_detail::sqe(sqe), sockfd, buf, len, flags,
                                zc_flags, buf_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_sendmsg(struct io_uring_sqe* sqe, int fd,
                                                const struct msghdr* msg,
                                                unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_sendmsg(rawring::liburing_detail::sqe(sqe), fd, msg, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_sendmsg_zc(struct io_uring_sqe* sqe, int fd,
                                                   const struct msghdr* msg,
                                                   unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_sendmsg_zc(rawring::liburing_detail::sqe(sqe), fd, msg, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_sendmsg_zc_fixed(struct io_uring_sqe* sqe, int fd,
                                                         const struct msghdr* msg,
                                                         unsigned flags,
                                                         unsigned buf_index)
    LIBURING_NOEXCEPT {
    rawring::prep_sendmsg_zc_fixed(rawring::liburing_detail::sqe(sqe), fd, msg, flags, buf_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_recv(struct io_uring_sqe* sqe, int sockfd, void* buf,
                                             size_t len, int flags) LIBURING_NOEXCEPT {
    rawring::prep_recv(rawring::liburing_detail::sqe(sqe), sockfd, buf, len, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_recv_multishot(struct io_uring_sqe* sqe, int sockfd,
                                                       void* buf, size_t len,
                                                       int flags) LIBURING_NOEXCEPT {
    rawring::prep_recv_multishot(rawring::liburing_detail::sqe(sqe), sockfd, buf, len, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_recvmsg(struct io_uring_sqe* sqe, int fd,
                                                struct msghdr* msg,
                                                unsigned flags) LIBURING_NOEXCEPT {
    rawring::prep_recvmsg(rawring::liburing_detail::sqe(sqe), fd, msg, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_recvmsg_multishot(struct io_uring_sqe* sqe, int fd,
                                                          struct msghdr* msg,
                                                          unsigned flags)
    LIBURING_NOEXCEPT {
    rawring::prep_recvmsg_multishot(rawring::liburing_detail::sqe(sqe), fd, msg, flags);
}

// =================================================================================================
// Files and paths
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_openat(struct io_uring_sqe* sqe, int dfd,
                                               const char* path, int flags,
                                               mode_t mode) LIBURING_NOEXCEPT {
    rawring::prep_openat(rawring::liburing_detail::sqe(sqe), dfd, path, flags, mode);
}

RAWRING_LIBURING_DEF void io_uring_prep_openat_direct(struct io_uring_sqe* sqe, int dfd,
                                                      const char* path, int flags, mode_t mode,
                                                      unsigned file_index)
    LIBURING_NOEXCEPT {
    rawring::prep_openat_direct(rawring::liburing_detail::sqe(sqe), dfd, path, flags, mode,
                                file_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_open(struct io_uring_sqe* sqe, const char* path,
                                             int flags, mode_t mode) LIBURING_NOEXCEPT {
    rawring::prep_open(rawring::liburing_detail::sqe(sqe), path, flags, mode);
}

RAWRING_LIBURING_DEF void io_uring_prep_open_direct(struct io_uring_sqe* sqe, const char* path,
                                                    int flags, mode_t mode,
                                                    unsigned file_index)
    LIBURING_NOEXCEPT {
    rawring::prep_open_direct(rawring::liburing_detail::sqe(sqe), path, flags, mode, file_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_openat2(struct io_uring_sqe* sqe, int dfd,
                                                const char* path,
                                                const struct open_how* how)
    LIBURING_NOEXCEPT {
    rawring::prep_openat2(rawring::liburing_detail::sqe(sqe), dfd, path, how);
}

RAWRING_LIBURING_DEF void io_uring_prep_openat2_direct(struct io_uring_sqe* sqe, int dfd,
                                                       const char* path,
                                                       const struct open_how* how,
                                                       unsigned file_index)
    LIBURING_NOEXCEPT {
    rawring::prep_openat2_direct(rawring::liburing_detail::sqe(sqe), dfd, path, how, file_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_close(struct io_uring_sqe* sqe,
                                              int fd) LIBURING_NOEXCEPT {
    rawring::prep_close(rawring::liburing_detail::sqe(sqe), fd);
}

RAWRING_LIBURING_DEF void io_uring_prep_close_direct(struct io_uring_sqe* sqe,
                                                     unsigned file_index)
    LIBURING_NOEXCEPT {
    rawring::prep_close_direct(rawring::liburing_detail::sqe(sqe), file_index);
}

RAWRING_LIBURING_DEF void io_uring_prep_files_update(struct io_uring_sqe* sqe, int* fds,
                                                     unsigned nr_fds,
                                                     int offset) LIBURING_NOEXCEPT {
    rawring::prep_files_update(rawring::liburing_detail::sqe(sqe), fds, nr_fds, offset);
}

RAWRING_LIBURING_DEF void io_uring_prep_fixed_fd_install(struct io_uring_sqe* sqe, int fd,
                                                         unsigned int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_fixed_fd_install(rawring::liburing_detail::sqe(sqe), fd, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_statx(struct io_uring_sqe* sqe, int dfd,
                                              const char* path, int flags, unsigned mask,
                                              struct statx* statxbuf) LIBURING_NOEXCEPT {
    rawring::prep_statx(rawring::liburing_detail::sqe(sqe), dfd, path, flags, mask, statxbuf);
}

RAWRING_LIBURING_DEF void io_uring_prep_unlinkat(struct io_uring_sqe* sqe, int dfd,
                                                 const char* path,
                                                 int flags) LIBURING_NOEXCEPT {
    rawring::prep_unlinkat(rawring::liburing_detail::sqe(sqe), dfd, path, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_unlink(struct io_uring_sqe* sqe, const char* path,
                                               int flags) LIBURING_NOEXCEPT {
    rawring::prep_unlink(rawring::liburing_detail::sqe(sqe), path, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_renameat(struct io_uring_sqe* sqe, int olddfd,
                                                 const char* oldpath, int newdfd,
                                                 const char* newpath,
                                                 unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_renameat(rawring::liburing_detail::sqe(sqe), olddfd, oldpath, newdfd, newpath,
                           flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_rename(struct io_uring_sqe* sqe, const char* oldpath,
                                               const char* newpath) LIBURING_NOEXCEPT {
    rawring::prep_rename(rawring::liburing_detail::sqe(sqe), oldpath, newpath);
}

RAWRING_LIBURING_DEF void io_uring_prep_mkdirat(struct io_uring_sqe* sqe, int dfd,
                                                const char* path,
                                                mode_t mode) LIBURING_NOEXCEPT {
    rawring::prep_mkdirat(rawring::liburing_detail::sqe(sqe), dfd, path, mode);
}

RAWRING_LIBURING_DEF void io_uring_prep_mkdir(struct io_uring_sqe* sqe, const char* path,
                                              mode_t mode) LIBURING_NOEXCEPT {
    rawring::prep_mkdir(rawring::liburing_detail::sqe(sqe), path, mode);
}

RAWRING_LIBURING_DEF void io_uring_prep_symlinkat(struct io_uring_sqe* sqe, const char* target,
                                                  int newdirfd,
                                                  const char* linkpath) LIBURING_NOEXCEPT {
    rawring::prep_symlinkat(rawring::liburing_detail::sqe(sqe), target, newdirfd, linkpath);
}

RAWRING_LIBURING_DEF void io_uring_prep_symlink(struct io_uring_sqe* sqe, const char* target,
                                                const char* linkpath) LIBURING_NOEXCEPT {
    rawring::prep_symlink(rawring::liburing_detail::sqe(sqe), target, linkpath);
}

RAWRING_LIBURING_DEF void io_uring_prep_linkat(struct io_uring_sqe* sqe, int olddfd,
                                               const char* oldpath, int newdfd,
                                               const char* newpath,
                                               int flags) LIBURING_NOEXCEPT {
    rawring::prep_linkat(rawring::liburing_detail::sqe(sqe), olddfd, oldpath, newdfd, newpath,
                         flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_link(struct io_uring_sqe* sqe, const char* oldpath,
                                             const char* newpath,
                                             int flags) LIBURING_NOEXCEPT {
    rawring::prep_link(rawring::liburing_detail::sqe(sqe), oldpath, newpath, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_getxattr(struct io_uring_sqe* sqe, const char* name,
                                                 char* value, const char* path,
                                                 unsigned int len) LIBURING_NOEXCEPT {
    rawring::prep_getxattr(rawring::liburing_detail::sqe(sqe), name, value, path, len);
}

RAWRING_LIBURING_DEF void io_uring_prep_setxattr(struct io_uring_sqe* sqe, const char* name,
                                                 const char* value, const char* path, int flags,
                                                 unsigned int len) LIBURING_NOEXCEPT {
    rawring::prep_setxattr(rawring::liburing_detail::sqe(sqe), name, value, path, flags, len);
}

RAWRING_LIBURING_DEF void io_uring_prep_fgetxattr(struct io_uring_sqe* sqe, int fd,
                                                  const char* name, char* value,
                                                  unsigned int len) LIBURING_NOEXCEPT {
    rawring::prep_fgetxattr(rawring::liburing_detail::sqe(sqe), fd, name, value, len);
}

RAWRING_LIBURING_DEF void io_uring_prep_fsetxattr(struct io_uring_sqe* sqe, int fd,
                                                  const char* name, const char* value,
                                                  int flags,
                                                  unsigned int len) LIBURING_NOEXCEPT {
    rawring::prep_fsetxattr(rawring::liburing_detail::sqe(sqe), fd, name, value, flags, len);
}

// =================================================================================================
// Provided buffers (legacy groups)
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_provide_buffers(struct io_uring_sqe* sqe, void* addr,
                                                        int len, int nr, int bgid,
                                                        int bid) LIBURING_NOEXCEPT {
    rawring::prep_provide_buffers(rawring::liburing_detail::sqe(sqe), addr, len, nr, bgid, bid);
}

RAWRING_LIBURING_DEF void io_uring_prep_remove_buffers(struct io_uring_sqe* sqe, int nr,
                                                       int bgid) LIBURING_NOEXCEPT {
    rawring::prep_remove_buffers(rawring::liburing_detail::sqe(sqe), nr, bgid);
}

// =================================================================================================
// Ring-to-ring messages
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_msg_ring_cqe_flags(struct io_uring_sqe* sqe, int fd,
                                                           unsigned int len, __u64 data,
                                                           unsigned int flags,
                                                           unsigned int cqe_flags)
    LIBURING_NOEXCEPT {
    rawring::prep_msg_ring_cqe_flags(rawring::liburing_detail::sqe(sqe), fd, len, data, flags,
                                     cqe_flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_msg_ring(struct io_uring_sqe* sqe, int fd,
                                                 unsigned int len, __u64 data,
                                                 unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_msg_ring(rawring::liburing_detail::sqe(sqe), fd, len, data, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_msg_ring_fd(struct io_uring_sqe* sqe, int fd,
                                                    int source_fd, int target_fd, __u64 data,
                                                    unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_msg_ring_fd(rawring::liburing_detail::sqe(sqe), fd, source_fd, target_fd, data,
                              flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_msg_ring_fd_alloc(struct io_uring_sqe* sqe, int fd,
                                                          int source_fd, __u64 data,
                                                          unsigned int flags)
    LIBURING_NOEXCEPT {
    rawring::prep_msg_ring_fd_alloc(rawring::liburing_detail::sqe(sqe), fd, source_fd, data,
                                    flags);
}

// =================================================================================================
// Processes and futexes
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_waitid(struct io_uring_sqe* sqe, idtype_t idtype,
                                               id_t id, siginfo_t* infop, int options,
                                               unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_waitid(rawring::liburing_detail::sqe(sqe), idtype, id, infop, options, flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_futex_wake(struct io_uring_sqe* sqe,
                                                   const uint32_t* futex, uint64_t val,
                                                   uint64_t mask, uint32_t futex_flags,
                                                   unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_futex_wake(rawring::liburing_detail::sqe(sqe), futex, val, mask, futex_flags,
                             flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_futex_wait(struct io_uring_sqe* sqe,
                                                   const uint32_t* futex, uint64_t val,
                                                   uint64_t mask, uint32_t futex_flags,
                                                   unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_futex_wait(rawring::liburing_detail::sqe(sqe), futex, val, mask, futex_flags,
                             flags);
}

RAWRING_LIBURING_DEF void io_uring_prep_futex_waitv(struct io_uring_sqe* sqe,
                                                    const struct futex_waitv* futex,
                                                    uint32_t nr_futex,
                                                    unsigned int flags) LIBURING_NOEXCEPT {
    rawring::prep_futex_waitv(rawring::liburing_detail::sqe(sqe), futex, nr_futex, flags);
}

// =================================================================================================
// Driver commands (URING_CMD)
// =================================================================================================

RAWRING_LIBURING_DEF void io_uring_prep_uring_cmd(struct io_uring_sqe* sqe, int cmd_op,
                                                  int fd) LIBURING_NOEXCEPT {
    rawring::prep_uring_cmd(rawring::liburing_detail::sqe(sqe), cmd_op, fd);
}

RAWRING_LIBURING_DEF void io_uring_prep_uring_cmd128(struct io_uring_sqe* sqe, int cmd_op,
                                                     int fd) LIBURING_NOEXCEPT {
    rawring::prep_uring_cmd128(rawring::liburing_detail::sqe(sqe), cmd_op, fd);
}

RAWRING_LIBURING_DEF void io_uring_prep_cmd_sock(struct io_uring_sqe* sqe, int cmd_op, int fd,
                                                 int level, int optname, void* optval,
                                                 int optlen) LIBURING_NOEXCEPT {
    rawring::prep_cmd_sock(rawring::liburing_detail::sqe(sqe), cmd_op, fd, level, optname, optval,
                           optlen);
}

RAWRING_LIBURING_DEF void io_uring_prep_cmd_getsockname(struct io_uring_sqe* sqe, int fd,
                                                        struct sockaddr* addr,
                                                        socklen_t* sockaddr_len,
                                                        int peer) LIBURING_NOEXCEPT {
    rawring::prep_cmd_getsockname(rawring::liburing_detail::sqe(sqe), fd, addr, sockaddr_len,
                                  peer);
}

RAWRING_LIBURING_DEF void io_uring_prep_cmd_discard(struct io_uring_sqe* sqe, int fd,
                                                    uint64_t offset,
                                                    uint64_t nbytes) LIBURING_NOEXCEPT {
    rawring::prep_cmd_discard(rawring::liburing_detail::sqe(sqe), fd, offset, nbytes);
}

RAWRING_LIBURING_DEF void io_uring_prep_cmd_zone_reset_all(struct io_uring_sqe* sqe,
                                                           int fd) LIBURING_NOEXCEPT {
    rawring::prep_cmd_zone_reset_all(rawring::liburing_detail::sqe(sqe), fd);
}
