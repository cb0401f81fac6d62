// SPDX-License-Identifier: MIT
// Prep helpers: fill an SQE from get_sqe() for one operation. Header-only, no syscalls.
#pragma once

#include <cstdint>

#include "rawring/abi.hpp"

// libc's types, declared but not defined: a helper only passes their address to the kernel, so
// rawring's headers need none of <sys/uio.h>, <sys/socket.h>, ...
struct iovec;

namespace rawring {

/// The core every helper builds on: sets opcode, fd, addr, len and off; every other field keeps
/// the zero get_sqe() left in it. liburing: `io_uring_prep_rw()`; Zig: `Sqe.prep_rw()`.
inline void prep_rw(int op, abi::io_uring_sqe* sqe, int fd, const void* addr, unsigned len,
                    std::uint64_t offset) noexcept {
    sqe->opcode = static_cast<std::uint8_t>(op);
    sqe->fd = fd;
    sqe->off = offset;
    sqe->addr = reinterpret_cast<std::uintptr_t>(addr);
    sqe->len = len;
}

/// IORING_OP_NOP: completes with res 0. liburing: `io_uring_prep_nop()`. Since Linux 5.1.
inline void prep_nop(abi::io_uring_sqe* sqe) noexcept {
    prep_rw(abi::IORING_OP_NOP, sqe, -1, nullptr, 0, 0);
}

/// IORING_OP_READ: read `nbytes` at `offset` (-1: the file position). Res is the byte count.
/// liburing: `io_uring_prep_read()`. Since Linux 5.6.
inline void prep_read(abi::io_uring_sqe* sqe, int fd, void* buf, unsigned nbytes,
                      std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/// IORING_OP_WRITE. liburing: `io_uring_prep_write()`. Since Linux 5.6.
inline void prep_write(abi::io_uring_sqe* sqe, int fd, const void* buf, unsigned nbytes,
                       std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/// IORING_OP_READV. liburing: `io_uring_prep_readv()`. Since Linux 5.1.
inline void prep_readv(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs, unsigned nr_vecs,
                       std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_READV, sqe, fd, iovecs, nr_vecs, offset);
}

/// IORING_OP_WRITEV. liburing: `io_uring_prep_writev()`. Since Linux 5.1.
inline void prep_writev(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs, unsigned nr_vecs,
                        std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_WRITEV, sqe, fd, iovecs, nr_vecs, offset);
}

/// IORING_OP_FSYNC (`fsync_flags`: 0 or IORING_FSYNC_DATASYNC).
/// liburing: `io_uring_prep_fsync()`. Since Linux 5.1.
inline void prep_fsync(abi::io_uring_sqe* sqe, int fd, unsigned fsync_flags) noexcept {
    prep_rw(abi::IORING_OP_FSYNC, sqe, fd, nullptr, 0, 0);
    sqe->fsync_flags = fsync_flags;
}

/// IORING_OP_TIMEOUT: completes with -ETIME after `*ts`, or with 0 once `count` other CQEs
/// have been posted (0: time only). `ts` must stay valid until the SQE is submitted.
/// liburing: `io_uring_prep_timeout()`. Since Linux 5.4.
inline void prep_timeout(abi::io_uring_sqe* sqe, const abi::kernel_timespec* ts, unsigned count,
                         unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_TIMEOUT, sqe, -1, ts, 1, count);
    sqe->timeout_flags = flags;
}

/// Sets the value the CQE carries back. liburing: `io_uring_sqe_set_data64()`.
inline void sqe_set_data64(abi::io_uring_sqe* sqe, std::uint64_t data) noexcept {
    sqe->user_data = data;
}

/// Sets a pointer the CQE carries back. liburing: `io_uring_sqe_set_data()`.
inline void sqe_set_data(abi::io_uring_sqe* sqe, const void* data) noexcept {
    sqe->user_data = reinterpret_cast<std::uintptr_t>(data);
}

/// Sets IOSQE_* flags. liburing: `io_uring_sqe_set_flags()`.
inline void sqe_set_flags(abi::io_uring_sqe* sqe, unsigned flags) noexcept {
    sqe->flags = static_cast<std::uint8_t>(flags);
}

} // namespace rawring
