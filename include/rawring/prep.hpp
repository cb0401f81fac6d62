// SPDX-License-Identifier: MIT
// Prep helpers: fill an SQE from get_sqe() for one operation; SQE setters and CQE accessors.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>

#include "rawring/abi.hpp"
#include "rawring/errno.hpp"

// libc's (and linux/*.h's) types, declared but not defined: a helper only passes their address
// to the kernel, so rawring's headers need none of <sys/uio.h>, <sys/socket.h>, <sys/stat.h>,
// <sys/epoll.h>, <linux/openat2.h>, <linux/futex.h>.
struct iovec;
struct msghdr;
struct sockaddr;
struct statx;
struct epoll_event;
struct open_how;
struct futex_waitv;

// How the helpers take libc's scalar types (each call compiles unchanged with libc's types):
//   socklen_t  -> unsigned (socklen_t is unsigned int on Linux, so socklen_t* is unsigned*)
//   mode_t     -> unsigned (unsigned int on Linux)
//   off_t, loff_t -> std::int64_t
//   idtype_t   -> int (an unscoped enum converts to it), id_t -> unsigned
//   siginfo_t* -> void* (siginfo_t is a typedef of an unnamed struct and cannot be declared
//                 without <signal.h>; any siginfo_t* converts to void*)
//   struct open_how / struct futex_waitv -> rawring::abi::open_how / abi::futex_waitv, or the
//                 linux/*.h struct of the same name (a template overload accepts those)

namespace rawring {

/// AT_FDCWD (fcntl.h): a `dfd` meaning "relative to the current directory".
inline constexpr int at_fdcwd = -100;

namespace detail {

/// The direct-descriptor slot a helper writes to sqe.file_index: 0 means "not direct", so a
/// slot is stored as index + 1. liburing: `__io_uring_set_target_fixed_file()`.
inline void set_target_fixed_file(abi::io_uring_sqe* sqe, unsigned file_index) noexcept {
    sqe->file_index = file_index + 1;
}

/// As set_target_fixed_file, except that IORING_FILE_INDEX_ALLOC ("kernel, pick a free slot")
/// is stored as itself rather than wrapped to 0.
inline void set_direct_slot(abi::io_uring_sqe* sqe, unsigned file_index) noexcept {
    if (file_index == abi::IORING_FILE_INDEX_ALLOC) --file_index;
    set_target_fixed_file(sqe, file_index);
}

/// The poll mask as sqe.poll32_events carries it: the kernel reads the field as two 16-bit
/// halves in little-endian order, so big-endian machines swap the halves.
constexpr std::uint32_t poll_mask(unsigned mask) noexcept {
    if constexpr (std::endian::native == std::endian::big)
        return (mask << 16) | (mask >> 16);
    else
        return mask;
}

/// An SQE's addr-style field from a pointer.
inline std::uint64_t ptr_u64(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
}

/// The core of URING_CMD / URING_CMD128: opcode, fd and the 32-bit cmd_op, with the rest of
/// the off/addr/len words cleared; the command area (addr3 onwards) is the caller's.
inline void prep_uring_cmd(abi::io_uring_sqe* sqe, int op, std::uint32_t cmd_op,
                           int fd) noexcept {
    sqe->opcode = static_cast<std::uint8_t>(op);
    sqe->fd = fd;
    sqe->off = 0;  // clears the pad half of the word first, then cmd_op takes its low half
    sqe->cmd_op = cmd_op;
    sqe->addr = 0;
    sqe->len = 0;
}

} // namespace detail

// =================================================================================================
// The core
// =================================================================================================

/// The core every helper builds on: sets opcode, fd, addr, len and off; every other field keeps
/// the zero get_sqe() left in it. liburing: `io_uring_prep_rw()`; Zig: `Sqe.prep_rw()`.
inline void prep_rw(int op, abi::io_uring_sqe* sqe, int fd, const void* addr, unsigned len,
                    std::uint64_t offset) noexcept {
    sqe->opcode = static_cast<std::uint8_t>(op);
    sqe->fd = fd;
    sqe->off = offset;
    sqe->addr = detail::ptr_u64(addr);
    sqe->len = len;
}

// =================================================================================================
// No-ops
// =================================================================================================

/// IORING_OP_NOP: completes with res 0. Since Linux 5.1.
/// liburing: `io_uring_prep_nop()`; Zig: `Sqe.prep_nop()`.
inline void prep_nop(abi::io_uring_sqe* sqe) noexcept {
    prep_rw(abi::IORING_OP_NOP, sqe, -1, nullptr, 0, 0);
}

/// IORING_OP_NOP128: a NOP in a 128-byte SQE; needs an SQE128 or SQE_MIXED ring (get the SQE
/// with ring_state::get_sqe128, ring.hpp). Since Linux 6.19. liburing: `io_uring_prep_nop128()`.
inline void prep_nop128(abi::io_uring_sqe* sqe) noexcept {
    prep_rw(abi::IORING_OP_NOP128, sqe, -1, nullptr, 0, 0);
}

// =================================================================================================
// Read and write
// =================================================================================================

/// IORING_OP_READ: read `nbytes` at `offset` (-1: the file position). Res is the byte count.
/// Since Linux 5.6. liburing: `io_uring_prep_read()`; Zig: `Sqe.prep_read()`.
inline void prep_read(abi::io_uring_sqe* sqe, int fd, void* buf, unsigned nbytes,
                      std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/// IORING_OP_WRITE. Since Linux 5.6. liburing: `io_uring_prep_write()`; Zig: `Sqe.prep_write()`.
inline void prep_write(abi::io_uring_sqe* sqe, int fd, const void* buf, unsigned nbytes,
                       std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/// IORING_OP_READV: scatter read into `nr_vecs` iovecs. Since Linux 5.1.
/// liburing: `io_uring_prep_readv()`; Zig: `Sqe.prep_readv()`.
inline void prep_readv(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs, unsigned nr_vecs,
                       std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_READV, sqe, fd, iovecs, nr_vecs, offset);
}

/// IORING_OP_READV with preadv2 RWF_* `flags` in sqe.rw_flags. Since Linux 5.1.
/// liburing: `io_uring_prep_readv2()`.
inline void prep_readv2(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs, unsigned nr_vecs,
                        std::uint64_t offset, int flags) noexcept {
    prep_readv(sqe, fd, iovecs, nr_vecs, offset);
    sqe->rw_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_WRITEV: gather write from `nr_vecs` iovecs. Since Linux 5.1.
/// liburing: `io_uring_prep_writev()`; Zig: `Sqe.prep_writev()`.
inline void prep_writev(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs, unsigned nr_vecs,
                        std::uint64_t offset) noexcept {
    prep_rw(abi::IORING_OP_WRITEV, sqe, fd, iovecs, nr_vecs, offset);
}

/// IORING_OP_WRITEV with pwritev2 RWF_* `flags`. Since Linux 5.1.
/// liburing: `io_uring_prep_writev2()`.
inline void prep_writev2(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs, unsigned nr_vecs,
                         std::uint64_t offset, int flags) noexcept {
    prep_writev(sqe, fd, iovecs, nr_vecs, offset);
    sqe->rw_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_READ_FIXED: read into registered buffer `buf_index` (`buf` must lie inside it).
/// Since Linux 5.1. liburing: `io_uring_prep_read_fixed()`; Zig: `Sqe.prep_read_fixed()`.
inline void prep_read_fixed(abi::io_uring_sqe* sqe, int fd, void* buf, unsigned nbytes,
                            std::uint64_t offset, int buf_index) noexcept {
    prep_rw(abi::IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
    sqe->buf_index = static_cast<std::uint16_t>(buf_index);
}

/// IORING_OP_WRITE_FIXED: write from registered buffer `buf_index`. Since Linux 5.1.
/// liburing: `io_uring_prep_write_fixed()`; Zig: `Sqe.prep_write_fixed()`.
inline void prep_write_fixed(abi::io_uring_sqe* sqe, int fd, const void* buf, unsigned nbytes,
                             std::uint64_t offset, int buf_index) noexcept {
    prep_rw(abi::IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
    sqe->buf_index = static_cast<std::uint16_t>(buf_index);
}

/// IORING_OP_READV_FIXED: vectored read whose iovecs all lie in registered buffer `buf_index`.
/// Since Linux 6.15. liburing: `io_uring_prep_readv_fixed()`.
inline void prep_readv_fixed(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs,
                             unsigned nr_vecs, std::uint64_t offset, int flags,
                             int buf_index) noexcept {
    prep_readv2(sqe, fd, iovecs, nr_vecs, offset, flags);
    sqe->opcode = abi::IORING_OP_READV_FIXED;
    sqe->buf_index = static_cast<std::uint16_t>(buf_index);
}

/// IORING_OP_WRITEV_FIXED: vectored write from registered buffer `buf_index`.
/// Since Linux 6.15. liburing: `io_uring_prep_writev_fixed()`.
inline void prep_writev_fixed(abi::io_uring_sqe* sqe, int fd, const iovec* iovecs,
                              unsigned nr_vecs, std::uint64_t offset, int flags,
                              int buf_index) noexcept {
    prep_writev2(sqe, fd, iovecs, nr_vecs, offset, flags);
    sqe->opcode = abi::IORING_OP_WRITEV_FIXED;
    sqe->buf_index = static_cast<std::uint16_t>(buf_index);
}

/// IORING_OP_READ_MULTISHOT: read from a pipe/socket/eventfd into buffers of provided-buffer
/// group `buf_group` (sets IOSQE_BUFFER_SELECT), one CQE per read, IORING_CQE_F_MORE while it
/// goes on. Since Linux 6.7. liburing: `io_uring_prep_read_multishot()`.
inline void prep_read_multishot(abi::io_uring_sqe* sqe, int fd, unsigned nbytes,
                                std::uint64_t offset, int buf_group) noexcept {
    prep_rw(abi::IORING_OP_READ_MULTISHOT, sqe, fd, nullptr, nbytes, offset);
    sqe->buf_group = static_cast<std::uint16_t>(buf_group);
    sqe->flags = abi::IOSQE_BUFFER_SELECT;
}

/// IORING_OP_FSYNC (`fsync_flags`: 0 or IORING_FSYNC_DATASYNC). Since Linux 5.1.
/// liburing: `io_uring_prep_fsync()`; Zig: `Sqe.prep_fsync()`.
inline void prep_fsync(abi::io_uring_sqe* sqe, int fd, unsigned fsync_flags) noexcept {
    prep_rw(abi::IORING_OP_FSYNC, sqe, fd, nullptr, 0, 0);
    sqe->fsync_flags = fsync_flags;
}

/// IORING_OP_SYNC_FILE_RANGE: sync_file_range(2) of `len` bytes at `offset`. Since Linux 5.2.
/// liburing: `io_uring_prep_sync_file_range()`.
inline void prep_sync_file_range(abi::io_uring_sqe* sqe, int fd, unsigned len,
                                 std::uint64_t offset, int flags) noexcept {
    prep_rw(abi::IORING_OP_SYNC_FILE_RANGE, sqe, fd, nullptr, len, offset);
    sqe->sync_range_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_FALLOCATE: fallocate(2) `mode` for `len` bytes at `offset`. Since Linux 5.6.
/// liburing: `io_uring_prep_fallocate()`; Zig: `Sqe.prep_fallocate()`.
inline void prep_fallocate(abi::io_uring_sqe* sqe, int fd, int mode, std::uint64_t offset,
                           std::uint64_t len) noexcept {
    prep_rw(abi::IORING_OP_FALLOCATE, sqe, fd, nullptr, static_cast<unsigned>(mode), offset);
    sqe->addr = len;
}

/// IORING_OP_FTRUNCATE: ftruncate(2) to `len` bytes. Since Linux 6.9.
/// liburing: `io_uring_prep_ftruncate()`.
inline void prep_ftruncate(abi::io_uring_sqe* sqe, int fd, std::int64_t len) noexcept {
    prep_rw(abi::IORING_OP_FTRUNCATE, sqe, fd, nullptr, 0, static_cast<std::uint64_t>(len));
}

/// IORING_OP_FADVISE: posix_fadvise(2) of `len` bytes at `offset`. Since Linux 5.6.
/// liburing: `io_uring_prep_fadvise()`.
inline void prep_fadvise(abi::io_uring_sqe* sqe, int fd, std::uint64_t offset, std::uint32_t len,
                         int advice) noexcept {
    prep_rw(abi::IORING_OP_FADVISE, sqe, fd, nullptr, len, offset);
    sqe->fadvise_advice = static_cast<std::uint32_t>(advice);
}

/// IORING_OP_FADVISE with a 64-bit length, carried in sqe.addr (sqe.len stays 0). Kernels that
/// predate 64-bit lengths (6.11~) refuse a nonzero sqe.addr: the CQE's res is -EINVAL (seen on
/// 6.1); use prep_fadvise there. Since Linux 5.6. liburing: `io_uring_prep_fadvise64()`.
inline void prep_fadvise64(abi::io_uring_sqe* sqe, int fd, std::uint64_t offset,
                           std::int64_t len, int advice) noexcept {
    prep_rw(abi::IORING_OP_FADVISE, sqe, fd, nullptr, 0, offset);
    sqe->addr = static_cast<std::uint64_t>(len);
    sqe->fadvise_advice = static_cast<std::uint32_t>(advice);
}

/// IORING_OP_MADVISE: madvise(2) of `length` bytes at `addr`. Since Linux 5.6.
/// liburing: `io_uring_prep_madvise()`.
inline void prep_madvise(abi::io_uring_sqe* sqe, void* addr, std::uint32_t length,
                         int advice) noexcept {
    prep_rw(abi::IORING_OP_MADVISE, sqe, -1, addr, length, 0);
    sqe->fadvise_advice = static_cast<std::uint32_t>(advice);
}

/// IORING_OP_MADVISE with a 64-bit length, carried in sqe.off (sqe.len stays 0). Kernels that
/// predate 64-bit lengths refuse a nonzero sqe.off with -EINVAL (seen on 6.1); use
/// prep_madvise there. Since Linux 5.6. liburing: `io_uring_prep_madvise64()`.
inline void prep_madvise64(abi::io_uring_sqe* sqe, void* addr, std::int64_t length,
                           int advice) noexcept {
    prep_rw(abi::IORING_OP_MADVISE, sqe, -1, addr, 0, static_cast<std::uint64_t>(length));
    sqe->fadvise_advice = static_cast<std::uint32_t>(advice);
}

// =================================================================================================
// Pipes: splice, tee, pipe
// =================================================================================================

/// IORING_OP_SPLICE: move `nbytes` from `fd_in` at `off_in` to `fd_out` at `off_out` (-1 for a
/// pipe end or the file position); one of the two must be a pipe. SPLICE_F_FD_IN_FIXED in
/// `splice_flags` makes `fd_in` a registered-file index (IOSQE_FIXED_FILE covers `fd_out`).
/// Since Linux 5.7. liburing: `io_uring_prep_splice()`; Zig: `Sqe.prep_splice()`.
inline void prep_splice(abi::io_uring_sqe* sqe, int fd_in, std::int64_t off_in, int fd_out,
                        std::int64_t off_out, unsigned nbytes, unsigned splice_flags) noexcept {
    prep_rw(abi::IORING_OP_SPLICE, sqe, fd_out, nullptr, nbytes,
            static_cast<std::uint64_t>(off_out));
    sqe->splice_off_in = static_cast<std::uint64_t>(off_in);
    sqe->splice_fd_in = fd_in;
    sqe->splice_flags = splice_flags;
}

/// IORING_OP_TEE: duplicate `nbytes` from pipe `fd_in` into pipe `fd_out` (tee(2)).
/// SPLICE_F_FD_IN_FIXED as for splice. Since Linux 5.8. liburing: `io_uring_prep_tee()`.
inline void prep_tee(abi::io_uring_sqe* sqe, int fd_in, int fd_out, unsigned nbytes,
                     unsigned splice_flags) noexcept {
    prep_rw(abi::IORING_OP_TEE, sqe, fd_out, nullptr, nbytes, 0);
    sqe->splice_off_in = 0;
    sqe->splice_fd_in = fd_in;
    sqe->splice_flags = splice_flags;
}

/// IORING_OP_PIPE: pipe2(2) with O_* `pipe_flags`; the kernel stores both fds in `fds[2]`.
/// Since Linux 6.16. liburing: `io_uring_prep_pipe()`.
inline void prep_pipe(abi::io_uring_sqe* sqe, int* fds, int pipe_flags) noexcept {
    prep_rw(abi::IORING_OP_PIPE, sqe, 0, fds, 0, 0);
    sqe->pipe_flags = static_cast<std::uint32_t>(pipe_flags);
}

/// IORING_OP_PIPE into the registered-file table: both ends become direct descriptors, at
/// `file_index` and `file_index + 1`, or in free slots with IORING_FILE_INDEX_ALLOC; the slots
/// used are stored in `fds[2]`. Since Linux 6.16. liburing: `io_uring_prep_pipe_direct()`.
inline void prep_pipe_direct(abi::io_uring_sqe* sqe, int* fds, int pipe_flags,
                             unsigned file_index) noexcept {
    prep_pipe(sqe, fds, pipe_flags);
    detail::set_direct_slot(sqe, file_index);
}

// =================================================================================================
// Poll
// =================================================================================================

/// IORING_OP_POLL_ADD: one-shot poll for `poll_mask` (POLLIN...); res is the ready mask.
/// Since Linux 5.1. liburing: `io_uring_prep_poll_add()`; Zig: `Sqe.prep_poll_add()`.
inline void prep_poll_add(abi::io_uring_sqe* sqe, int fd, unsigned poll_mask) noexcept {
    prep_rw(abi::IORING_OP_POLL_ADD, sqe, fd, nullptr, 0, 0);
    sqe->poll32_events = detail::poll_mask(poll_mask);
}

/// IORING_OP_POLL_ADD with IORING_POLL_ADD_MULTI: a CQE (with IORING_CQE_F_MORE) each time
/// the fd becomes ready, until cancelled. Since Linux 5.13.
/// liburing: `io_uring_prep_poll_multishot()`.
inline void prep_poll_multishot(abi::io_uring_sqe* sqe, int fd, unsigned poll_mask) noexcept {
    prep_poll_add(sqe, fd, poll_mask);
    sqe->len = abi::IORING_POLL_ADD_MULTI;
}

/// IORING_OP_POLL_REMOVE: cancel the poll whose user_data is `user_data`. Since Linux 5.1.
/// liburing: `io_uring_prep_poll_remove()`; Zig: `Sqe.prep_poll_remove()`.
inline void prep_poll_remove(abi::io_uring_sqe* sqe, std::uint64_t user_data) noexcept {
    prep_rw(abi::IORING_OP_POLL_REMOVE, sqe, -1, nullptr, 0, 0);
    sqe->addr = user_data;
}

/// IORING_OP_POLL_REMOVE as an update of the poll `old_user_data`: IORING_POLL_UPDATE_EVENTS
/// in `flags` replaces its mask with `poll_mask`, IORING_POLL_UPDATE_USER_DATA its user_data
/// with `new_user_data` (IORING_POLL_ADD_MULTI keeps or makes it multishot). Since Linux 5.13.
/// liburing: `io_uring_prep_poll_update()`; Zig: `Sqe.prep_poll_update()`.
inline void prep_poll_update(abi::io_uring_sqe* sqe, std::uint64_t old_user_data,
                             std::uint64_t new_user_data, unsigned poll_mask,
                             unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_POLL_REMOVE, sqe, -1, nullptr, flags, new_user_data);
    sqe->addr = old_user_data;
    sqe->poll32_events = detail::poll_mask(poll_mask);
}

/// IORING_OP_EPOLL_CTL: epoll_ctl(2) `op` on `fd` in epoll instance `epfd`. Since Linux 5.6.
/// liburing: `io_uring_prep_epoll_ctl()`; Zig: `Sqe.prep_epoll_ctl()`.
inline void prep_epoll_ctl(abi::io_uring_sqe* sqe, int epfd, int fd, int op,
                           const epoll_event* ev) noexcept {
    prep_rw(abi::IORING_OP_EPOLL_CTL, sqe, epfd, ev, static_cast<unsigned>(op),
            static_cast<std::uint32_t>(fd));
}

/// IORING_OP_EPOLL_WAIT: epoll_wait(2) for up to `maxevents` events (`flags` must be 0).
/// Since Linux 6.15. liburing: `io_uring_prep_epoll_wait()`.
inline void prep_epoll_wait(abi::io_uring_sqe* sqe, int fd, epoll_event* events, int maxevents,
                            unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_EPOLL_WAIT, sqe, fd, events, static_cast<unsigned>(maxevents), 0);
    sqe->rw_flags = flags;
}

// =================================================================================================
// Timeouts and cancellation
// =================================================================================================

/// IORING_OP_TIMEOUT: completes with -ETIME after `*ts`, or with 0 once `count` other CQEs
/// have been posted (0: time only). `flags`: IORING_TIMEOUT_ABS, _BOOTTIME, _REALTIME,
/// _ETIME_SUCCESS, _MULTISHOT. `ts` must stay valid until the SQE is submitted.
/// Since Linux 5.4. liburing: `io_uring_prep_timeout()`; Zig: `Sqe.prep_timeout()`.
inline void prep_timeout(abi::io_uring_sqe* sqe, const abi::kernel_timespec* ts, unsigned count,
                         unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_TIMEOUT, sqe, -1, ts, 1, count);
    sqe->timeout_flags = flags;
}

/// IORING_OP_TIMEOUT_REMOVE: cancel the timeout whose user_data is `user_data`; res 0, or
/// -ENOENT / -EALREADY. Since Linux 5.5.
/// liburing: `io_uring_prep_timeout_remove()`; Zig: `Sqe.prep_timeout_remove()`.
inline void prep_timeout_remove(abi::io_uring_sqe* sqe, std::uint64_t user_data,
                                unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_TIMEOUT_REMOVE, sqe, -1, nullptr, 0, 0);
    sqe->addr = user_data;
    sqe->timeout_flags = flags;
}

/// IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE: give timeout `user_data` the new
/// expiry `*ts` (IORING_LINK_TIMEOUT_UPDATE in `flags` for a linked timeout). Since Linux 5.11.
/// liburing: `io_uring_prep_timeout_update()`.
inline void prep_timeout_update(abi::io_uring_sqe* sqe, const abi::kernel_timespec* ts,
                                std::uint64_t user_data, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_TIMEOUT_REMOVE, sqe, -1, nullptr, 0, detail::ptr_u64(ts));
    sqe->addr = user_data;
    sqe->timeout_flags = flags | abi::IORING_TIMEOUT_UPDATE;
}

/// IORING_OP_LINK_TIMEOUT: a timeout for the SQE linked (IOSQE_IO_LINK) just before this one;
/// if it fires first the linked request is cancelled. Since Linux 5.5.
/// liburing: `io_uring_prep_link_timeout()`; Zig: `Sqe.prep_link_timeout()`.
inline void prep_link_timeout(abi::io_uring_sqe* sqe, const abi::kernel_timespec* ts,
                              unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_LINK_TIMEOUT, sqe, -1, ts, 1, 0);
    sqe->timeout_flags = flags;
}

/// IORING_OP_ASYNC_CANCEL of the request whose user_data is `user_data` (IORING_ASYNC_CANCEL_*
/// `flags`: ALL, ANY, USERDATA, OP...). Res 0 or a count with ALL/ANY, -ENOENT, -EALREADY.
/// Since Linux 5.5. liburing: `io_uring_prep_cancel64()`; Zig: `Sqe.prep_cancel()`.
inline void prep_cancel64(abi::io_uring_sqe* sqe, std::uint64_t user_data, int flags) noexcept {
    prep_rw(abi::IORING_OP_ASYNC_CANCEL, sqe, -1, nullptr, 0, 0);
    sqe->addr = user_data;
    sqe->cancel_flags = static_cast<std::uint32_t>(flags);
}

/// As prep_cancel64 with a pointer user_data (as set by sqe_set_data). Since Linux 5.5.
/// liburing: `io_uring_prep_cancel()`.
inline void prep_cancel(abi::io_uring_sqe* sqe, const void* user_data, int flags) noexcept {
    prep_cancel64(sqe, detail::ptr_u64(user_data), flags);
}

/// IORING_OP_ASYNC_CANCEL of requests on `fd` (adds IORING_ASYNC_CANCEL_FD; FD_FIXED in `flags`
/// for a registered-file index, ALL for every match). Since Linux 5.19.
/// liburing: `io_uring_prep_cancel_fd()`; Zig: `Sqe.prep_cancel_fd()`.
inline void prep_cancel_fd(abi::io_uring_sqe* sqe, int fd, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_ASYNC_CANCEL, sqe, fd, nullptr, 0, 0);
    sqe->cancel_flags = flags | abi::IORING_ASYNC_CANCEL_FD;
}

// =================================================================================================
// Sockets
// =================================================================================================

/// IORING_OP_ACCEPT: accept4(2) on listening socket `fd`; `addr`/`addrlen` may be null.
/// Res is the new fd. Since Linux 5.5.
/// liburing: `io_uring_prep_accept()`; Zig: `Sqe.prep_accept()`.
inline void prep_accept(abi::io_uring_sqe* sqe, int fd, sockaddr* addr, unsigned* addrlen,
                        int flags) noexcept {
    prep_rw(abi::IORING_OP_ACCEPT, sqe, fd, addr, 0, detail::ptr_u64(addrlen));
    sqe->accept_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_ACCEPT into the registered-file table at slot `file_index`, or a free slot with
/// IORING_FILE_INDEX_ALLOC (5.19; res is then the slot). Since Linux 5.15.
/// liburing: `io_uring_prep_accept_direct()`; Zig: `Sqe.prep_accept_direct()`.
inline void prep_accept_direct(abi::io_uring_sqe* sqe, int fd, sockaddr* addr, unsigned* addrlen,
                               int flags, unsigned file_index) noexcept {
    prep_accept(sqe, fd, addr, addrlen, flags);
    detail::set_direct_slot(sqe, file_index);
}

/// IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT: one CQE per connection, IORING_CQE_F_MORE
/// while it stays armed. Since Linux 5.19.
/// liburing: `io_uring_prep_multishot_accept()`; Zig: `Sqe.prep_multishot_accept()`.
inline void prep_multishot_accept(abi::io_uring_sqe* sqe, int fd, sockaddr* addr,
                                  unsigned* addrlen, int flags) noexcept {
    prep_accept(sqe, fd, addr, addrlen, flags);
    sqe->ioprio |= abi::IORING_ACCEPT_MULTISHOT;
}

/// Multishot accept into free registered-file slots (each CQE's res is the slot).
/// Since Linux 5.19. liburing: `io_uring_prep_multishot_accept_direct()`;
/// Zig: `Sqe.prep_multishot_accept_direct()`.
inline void prep_multishot_accept_direct(abi::io_uring_sqe* sqe, int fd, sockaddr* addr,
                                         unsigned* addrlen, int flags) noexcept {
    prep_multishot_accept(sqe, fd, addr, addrlen, flags);
    detail::set_direct_slot(sqe, abi::IORING_FILE_INDEX_ALLOC);
}

/// IORING_OP_CONNECT: connect(2). Since Linux 5.5.
/// liburing: `io_uring_prep_connect()`; Zig: `Sqe.prep_connect()`.
inline void prep_connect(abi::io_uring_sqe* sqe, int fd, const sockaddr* addr,
                         unsigned addrlen) noexcept {
    prep_rw(abi::IORING_OP_CONNECT, sqe, fd, addr, 0, addrlen);
}

/// IORING_OP_BIND: bind(2). Since Linux 6.11.
/// liburing: `io_uring_prep_bind()`; Zig: `Sqe.prep_bind()`.
inline void prep_bind(abi::io_uring_sqe* sqe, int fd, const sockaddr* addr,
                      unsigned addrlen) noexcept {
    prep_rw(abi::IORING_OP_BIND, sqe, fd, addr, 0, addrlen);
}

/// IORING_OP_LISTEN: listen(2). Since Linux 6.11.
/// liburing: `io_uring_prep_listen()`; Zig: `Sqe.prep_listen()`.
inline void prep_listen(abi::io_uring_sqe* sqe, int fd, int backlog) noexcept {
    prep_rw(abi::IORING_OP_LISTEN, sqe, fd, nullptr, static_cast<unsigned>(backlog), 0);
}

/// IORING_OP_SHUTDOWN: shutdown(2) with SHUT_* `how`. Since Linux 5.11.
/// liburing: `io_uring_prep_shutdown()`; Zig: `Sqe.prep_shutdown()`.
inline void prep_shutdown(abi::io_uring_sqe* sqe, int fd, int how) noexcept {
    prep_rw(abi::IORING_OP_SHUTDOWN, sqe, fd, nullptr, static_cast<unsigned>(how), 0);
}

/// IORING_OP_SOCKET: socket(2); `flags` must be 0. Res is the new fd. Since Linux 5.19.
/// liburing: `io_uring_prep_socket()`; Zig: `Sqe.prep_socket()`.
inline void prep_socket(abi::io_uring_sqe* sqe, int domain, int type, int protocol,
                        unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_SOCKET, sqe, domain, nullptr, static_cast<unsigned>(protocol),
            static_cast<std::uint32_t>(type));
    sqe->rw_flags = flags;
}

/// IORING_OP_SOCKET into registered-file slot `file_index` (or IORING_FILE_INDEX_ALLOC).
/// Since Linux 5.19. liburing: `io_uring_prep_socket_direct()`; Zig: `Sqe.prep_socket_direct()`.
inline void prep_socket_direct(abi::io_uring_sqe* sqe, int domain, int type, int protocol,
                               unsigned file_index, unsigned flags) noexcept {
    prep_socket(sqe, domain, type, protocol, flags);
    detail::set_direct_slot(sqe, file_index);
}

/// IORING_OP_SOCKET into a free registered-file slot (res is the slot). Since Linux 5.19.
/// liburing: `io_uring_prep_socket_direct_alloc()`; Zig: `Sqe.prep_socket_direct_alloc()`.
inline void prep_socket_direct_alloc(abi::io_uring_sqe* sqe, int domain, int type, int protocol,
                                     unsigned flags) noexcept {
    prep_socket_direct(sqe, domain, type, protocol, abi::IORING_FILE_INDEX_ALLOC, flags);
}

/// IORING_OP_SEND: send(2) of `len` bytes with MSG_* `flags`. Since Linux 5.6.
/// liburing: `io_uring_prep_send()`; Zig: `Sqe.prep_send()`.
inline void prep_send(abi::io_uring_sqe* sqe, int sockfd, const void* buf, std::size_t len,
                      int flags) noexcept {
    prep_rw(abi::IORING_OP_SEND, sqe, sockfd, buf, static_cast<std::uint32_t>(len), 0);
    sqe->msg_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_SEND with IORING_RECVSEND_BUNDLE: send up to `len` bytes from as many buffers of
/// the provided-buffer group as fit (set the group with sqe_set_buf_group and
/// IOSQE_BUFFER_SELECT). Since Linux 6.10. liburing: `io_uring_prep_send_bundle()`.
inline void prep_send_bundle(abi::io_uring_sqe* sqe, int sockfd, std::size_t len,
                             int flags) noexcept {
    prep_send(sqe, sockfd, nullptr, len, flags);
    sqe->ioprio |= abi::IORING_RECVSEND_BUNDLE;
}

/// Adds a destination address to a SEND or SEND_ZC SQE (sendto(2) semantics). Since Linux
/// 6.0 for SEND_ZC, 6.1~ for SEND. liburing: `io_uring_prep_send_set_addr()`.
inline void prep_send_set_addr(abi::io_uring_sqe* sqe, const sockaddr* dest_addr,
                               std::uint16_t addr_len) noexcept {
    sqe->addr2 = detail::ptr_u64(dest_addr);
    sqe->addr_len = addr_len;
}

/// IORING_OP_SEND to `addr` (sendto(2)). Since Linux 6.1~. liburing: `io_uring_prep_sendto()`.
inline void prep_sendto(abi::io_uring_sqe* sqe, int sockfd, const void* buf, std::size_t len,
                        int flags, const sockaddr* addr, unsigned addrlen) noexcept {
    prep_send(sqe, sockfd, buf, len, flags);
    prep_send_set_addr(sqe, addr, static_cast<std::uint16_t>(addrlen));
}

/// IORING_OP_SEND_ZC: zero-copy send; IORING_RECVSEND_* / IORING_SEND_ZC_REPORT_USAGE
/// `zc_flags` go in sqe.ioprio. Two CQEs: the result (IORING_CQE_F_MORE set), then a NOTIF CQE
/// once the buffer may be reused. Since Linux 6.0.
/// liburing: `io_uring_prep_send_zc()`; Zig: `Sqe.prep_send_zc()`.
inline void prep_send_zc(abi::io_uring_sqe* sqe, int sockfd, const void* buf, std::size_t len,
                         int flags, unsigned zc_flags) noexcept {
    prep_rw(abi::IORING_OP_SEND_ZC, sqe, sockfd, buf, static_cast<std::uint32_t>(len), 0);
    sqe->msg_flags = static_cast<std::uint32_t>(flags);
    sqe->ioprio = static_cast<std::uint16_t>(zc_flags);
}

/// IORING_OP_SEND_ZC from registered buffer `buf_index` (adds IORING_RECVSEND_FIXED_BUF).
/// Since Linux 6.0. liburing: `io_uring_prep_send_zc_fixed()`; Zig: `Sqe.prep_send_zc_fixed()`.
inline void prep_send_zc_fixed(abi::io_uring_sqe* sqe, int sockfd, const void* buf,
                               std::size_t len, int flags, unsigned zc_flags,
                               unsigned buf_index) noexcept {
    prep_send_zc(sqe, sockfd, buf, len, flags, zc_flags);
    sqe->ioprio |= abi::IORING_RECVSEND_FIXED_BUF;
    sqe->buf_index = static_cast<std::uint16_t>(buf_index);
}

/// IORING_OP_SENDMSG: sendmsg(2). Since Linux 5.3.
/// liburing: `io_uring_prep_sendmsg()`; Zig: `Sqe.prep_sendmsg()`.
inline void prep_sendmsg(abi::io_uring_sqe* sqe, int fd, const msghdr* msg,
                         unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_SENDMSG, sqe, fd, msg, 1, 0);
    sqe->msg_flags = flags;
}

/// IORING_OP_SENDMSG_ZC: zero-copy sendmsg(2), with a NOTIF CQE as for send_zc.
/// Since Linux 6.1. liburing: `io_uring_prep_sendmsg_zc()`; Zig: `Sqe.prep_sendmsg_zc()`.
inline void prep_sendmsg_zc(abi::io_uring_sqe* sqe, int fd, const msghdr* msg,
                            unsigned flags) noexcept {
    prep_sendmsg(sqe, fd, msg, flags);
    sqe->opcode = abi::IORING_OP_SENDMSG_ZC;
}

/// IORING_OP_SENDMSG_ZC whose iovecs lie in registered buffer `buf_index`.
/// Since Linux 6.15~. liburing: `io_uring_prep_sendmsg_zc_fixed()`.
inline void prep_sendmsg_zc_fixed(abi::io_uring_sqe* sqe, int fd, const msghdr* msg,
                                  unsigned flags, unsigned buf_index) noexcept {
    prep_sendmsg_zc(sqe, fd, msg, flags);
    sqe->ioprio |= abi::IORING_RECVSEND_FIXED_BUF;
    sqe->buf_index = static_cast<std::uint16_t>(buf_index);
}

/// IORING_OP_RECV: recv(2) of up to `len` bytes (with IOSQE_BUFFER_SELECT, `buf` null and the
/// group from sqe_set_buf_group). Since Linux 5.6.
/// liburing: `io_uring_prep_recv()`; Zig: `Sqe.prep_recv()`.
inline void prep_recv(abi::io_uring_sqe* sqe, int sockfd, void* buf, std::size_t len,
                      int flags) noexcept {
    prep_rw(abi::IORING_OP_RECV, sqe, sockfd, buf, static_cast<std::uint32_t>(len), 0);
    sqe->msg_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_RECV with IORING_RECV_MULTISHOT: one CQE per receive into provided buffers,
/// IORING_CQE_F_MORE while armed. Since Linux 6.0.
/// liburing: `io_uring_prep_recv_multishot()`; Zig: `Sqe.prep_recv_multishot()`.
inline void prep_recv_multishot(abi::io_uring_sqe* sqe, int sockfd, void* buf, std::size_t len,
                                int flags) noexcept {
    prep_recv(sqe, sockfd, buf, len, flags);
    sqe->ioprio |= abi::IORING_RECV_MULTISHOT;
}

/// IORING_OP_RECVMSG: recvmsg(2). Since Linux 5.3.
/// liburing: `io_uring_prep_recvmsg()`; Zig: `Sqe.prep_recvmsg()`.
inline void prep_recvmsg(abi::io_uring_sqe* sqe, int fd, msghdr* msg, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_RECVMSG, sqe, fd, msg, 1, 0);
    sqe->msg_flags = flags;
}

/// IORING_OP_RECVMSG with IORING_RECV_MULTISHOT: each provided buffer starts with an
/// io_uring_recvmsg_out header. Since Linux 6.0.
/// liburing: `io_uring_prep_recvmsg_multishot()`; Zig: `Sqe.prep_recvmsg_multishot()`.
inline void prep_recvmsg_multishot(abi::io_uring_sqe* sqe, int fd, msghdr* msg,
                                   unsigned flags) noexcept {
    prep_recvmsg(sqe, fd, msg, flags);
    sqe->ioprio |= abi::IORING_RECV_MULTISHOT;
}

/// IORING_OP_RECV_ZC: zero-copy receive of up to `len` bytes (0: no limit) on `fd` through
/// zcrx interface queue `zcrx_ifq_idx` (the id IORING_REGISTER_ZCRX_IFQ returned); `flags`
/// (IORING_RECV_MULTISHOT, IORING_RECVSEND_POLL_FIRST) go in sqe.ioprio. Completions need a
/// CQE32 ring: each big CQE's io_uring_zcrx_cqe says where the data lies. Since Linux 6.15.
/// liburing: none (its tests use prep_rw); tokio-rs: `opcode::RecvZc`.
inline void prep_recv_zc(abi::io_uring_sqe* sqe, int fd, unsigned len, unsigned zcrx_ifq_idx,
                         unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_RECV_ZC, sqe, fd, nullptr, len, 0);
    sqe->ioprio = static_cast<std::uint16_t>(flags);
    sqe->zcrx_ifq_idx = zcrx_ifq_idx;
}

// =================================================================================================
// Files and paths
// =================================================================================================

/// IORING_OP_OPENAT: openat(2). Res is the new fd. Since Linux 5.6.
/// liburing: `io_uring_prep_openat()`; Zig: `Sqe.prep_openat()`.
inline void prep_openat(abi::io_uring_sqe* sqe, int dfd, const char* path, int flags,
                        unsigned mode) noexcept {
    prep_rw(abi::IORING_OP_OPENAT, sqe, dfd, path, mode, 0);
    sqe->open_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_OPENAT into registered-file slot `file_index` (or IORING_FILE_INDEX_ALLOC, 5.19).
/// Since Linux 5.15. liburing: `io_uring_prep_openat_direct()`; Zig: `Sqe.prep_openat_direct()`.
inline void prep_openat_direct(abi::io_uring_sqe* sqe, int dfd, const char* path, int flags,
                               unsigned mode, unsigned file_index) noexcept {
    prep_openat(sqe, dfd, path, flags, mode);
    detail::set_direct_slot(sqe, file_index);
}

/// IORING_OP_OPENAT relative to the current directory. Since Linux 5.6.
/// liburing: `io_uring_prep_open()`.
inline void prep_open(abi::io_uring_sqe* sqe, const char* path, int flags,
                      unsigned mode) noexcept {
    prep_openat(sqe, at_fdcwd, path, flags, mode);
}

/// prep_open into a registered-file slot. Since Linux 5.15.
/// liburing: `io_uring_prep_open_direct()`.
inline void prep_open_direct(abi::io_uring_sqe* sqe, const char* path, int flags, unsigned mode,
                             unsigned file_index) noexcept {
    prep_openat_direct(sqe, at_fdcwd, path, flags, mode, file_index);
}

/// IORING_OP_OPENAT2: openat2(2) with `*how` (sqe.len = sizeof(open_how), 24). Since Linux 5.6.
/// liburing: `io_uring_prep_openat2()`.
inline void prep_openat2(abi::io_uring_sqe* sqe, int dfd, const char* path,
                         const abi::open_how* how) noexcept {
    prep_rw(abi::IORING_OP_OPENAT2, sqe, dfd, path, sizeof(abi::open_how), detail::ptr_u64(how));
}

/// The same for linux/openat2.h's `struct open_how`.
template <class How>
    requires std::same_as<How, ::open_how>
inline void prep_openat2(abi::io_uring_sqe* sqe, int dfd, const char* path,
                         const How* how) noexcept {
    prep_openat2(sqe, dfd, path, reinterpret_cast<const abi::open_how*>(how));
}

/// IORING_OP_OPENAT2 into registered-file slot `file_index` (or IORING_FILE_INDEX_ALLOC).
/// Since Linux 5.15. liburing: `io_uring_prep_openat2_direct()`.
inline void prep_openat2_direct(abi::io_uring_sqe* sqe, int dfd, const char* path,
                                const abi::open_how* how, unsigned file_index) noexcept {
    prep_openat2(sqe, dfd, path, how);
    detail::set_direct_slot(sqe, file_index);
}

/// The same for linux/openat2.h's `struct open_how`.
template <class How>
    requires std::same_as<How, ::open_how>
inline void prep_openat2_direct(abi::io_uring_sqe* sqe, int dfd, const char* path,
                                const How* how, unsigned file_index) noexcept {
    prep_openat2_direct(sqe, dfd, path, reinterpret_cast<const abi::open_how*>(how), file_index);
}

/// IORING_OP_CLOSE: close(2). Since Linux 5.6.
/// liburing: `io_uring_prep_close()`; Zig: `Sqe.prep_close()`.
inline void prep_close(abi::io_uring_sqe* sqe, int fd) noexcept {
    prep_rw(abi::IORING_OP_CLOSE, sqe, fd, nullptr, 0, 0);
}

/// IORING_OP_CLOSE of registered-file slot `file_index`. Since Linux 5.15.
/// liburing: `io_uring_prep_close_direct()`; Zig: `Sqe.prep_close_direct()`.
inline void prep_close_direct(abi::io_uring_sqe* sqe, unsigned file_index) noexcept {
    prep_close(sqe, 0);
    detail::set_target_fixed_file(sqe, file_index);
}

/// IORING_OP_FILES_UPDATE: replace `nr_fds` registered files from slot `offset` with `fds`
/// (-1 clears a slot; IORING_FILE_INDEX_ALLOC as `offset` picks free slots and writes them back
/// into `fds`). Res is the number updated. Since Linux 5.6.
/// liburing: `io_uring_prep_files_update()`; Zig: `Sqe.prep_files_update()`.
inline void prep_files_update(abi::io_uring_sqe* sqe, int* fds, unsigned nr_fds,
                              int offset) noexcept {
    prep_rw(abi::IORING_OP_FILES_UPDATE, sqe, -1, fds, nr_fds,
            static_cast<std::uint64_t>(static_cast<std::int64_t>(offset)));
}

/// IORING_OP_FIXED_FD_INSTALL: turn registered file `fd` into a regular fd (res), O_CLOEXEC
/// unless `flags` has IORING_FIXED_FD_NO_CLOEXEC; sets IOSQE_FIXED_FILE. Since Linux 6.8.
/// liburing: `io_uring_prep_fixed_fd_install()`.
inline void prep_fixed_fd_install(abi::io_uring_sqe* sqe, int fd, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_FIXED_FD_INSTALL, sqe, fd, nullptr, 0, 0);
    sqe->flags = abi::IOSQE_FIXED_FILE;
    sqe->install_fd_flags = flags;
}

/// IORING_OP_STATX: statx(2) into `*statxbuf`. Since Linux 5.6.
/// liburing: `io_uring_prep_statx()`; Zig: `Sqe.prep_statx()`.
inline void prep_statx(abi::io_uring_sqe* sqe, int dfd, const char* path, int flags,
                       unsigned mask, struct statx* statxbuf) noexcept {
    prep_rw(abi::IORING_OP_STATX, sqe, dfd, path, mask, detail::ptr_u64(statxbuf));
    sqe->statx_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_UNLINKAT: unlinkat(2) (AT_REMOVEDIR in `flags` for a directory). Since Linux 5.11.
/// liburing: `io_uring_prep_unlinkat()`; Zig: `Sqe.prep_unlinkat()`.
inline void prep_unlinkat(abi::io_uring_sqe* sqe, int dfd, const char* path, int flags) noexcept {
    prep_rw(abi::IORING_OP_UNLINKAT, sqe, dfd, path, 0, 0);
    sqe->unlink_flags = static_cast<std::uint32_t>(flags);
}

/// prep_unlinkat relative to the current directory. Since Linux 5.11.
/// liburing: `io_uring_prep_unlink()`.
inline void prep_unlink(abi::io_uring_sqe* sqe, const char* path, int flags) noexcept {
    prep_unlinkat(sqe, at_fdcwd, path, flags);
}

/// IORING_OP_RENAMEAT: renameat2(2). Since Linux 5.11.
/// liburing: `io_uring_prep_renameat()`; Zig: `Sqe.prep_renameat()`.
inline void prep_renameat(abi::io_uring_sqe* sqe, int olddfd, const char* oldpath, int newdfd,
                          const char* newpath, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_RENAMEAT, sqe, olddfd, oldpath, static_cast<unsigned>(newdfd),
            detail::ptr_u64(newpath));
    sqe->rename_flags = flags;
}

/// rename(2) through IORING_OP_RENAMEAT. Since Linux 5.11. liburing: `io_uring_prep_rename()`.
inline void prep_rename(abi::io_uring_sqe* sqe, const char* oldpath,
                        const char* newpath) noexcept {
    prep_renameat(sqe, at_fdcwd, oldpath, at_fdcwd, newpath, 0);
}

/// IORING_OP_MKDIRAT: mkdirat(2). Since Linux 5.15.
/// liburing: `io_uring_prep_mkdirat()`; Zig: `Sqe.prep_mkdirat()`.
inline void prep_mkdirat(abi::io_uring_sqe* sqe, int dfd, const char* path,
                         unsigned mode) noexcept {
    prep_rw(abi::IORING_OP_MKDIRAT, sqe, dfd, path, mode, 0);
}

/// mkdir(2) through IORING_OP_MKDIRAT. Since Linux 5.15. liburing: `io_uring_prep_mkdir()`.
inline void prep_mkdir(abi::io_uring_sqe* sqe, const char* path, unsigned mode) noexcept {
    prep_mkdirat(sqe, at_fdcwd, path, mode);
}

/// IORING_OP_SYMLINKAT: symlinkat(2). Since Linux 5.15.
/// liburing: `io_uring_prep_symlinkat()`; Zig: `Sqe.prep_symlinkat()`.
inline void prep_symlinkat(abi::io_uring_sqe* sqe, const char* target, int newdirfd,
                           const char* linkpath) noexcept {
    prep_rw(abi::IORING_OP_SYMLINKAT, sqe, newdirfd, target, 0, detail::ptr_u64(linkpath));
}

/// symlink(2) through IORING_OP_SYMLINKAT. Since Linux 5.15. liburing: `io_uring_prep_symlink()`.
inline void prep_symlink(abi::io_uring_sqe* sqe, const char* target,
                         const char* linkpath) noexcept {
    prep_symlinkat(sqe, target, at_fdcwd, linkpath);
}

/// IORING_OP_LINKAT: linkat(2). Since Linux 5.15.
/// liburing: `io_uring_prep_linkat()`; Zig: `Sqe.prep_linkat()`.
inline void prep_linkat(abi::io_uring_sqe* sqe, int olddfd, const char* oldpath, int newdfd,
                        const char* newpath, int flags) noexcept {
    prep_rw(abi::IORING_OP_LINKAT, sqe, olddfd, oldpath, static_cast<unsigned>(newdfd),
            detail::ptr_u64(newpath));
    sqe->hardlink_flags = static_cast<std::uint32_t>(flags);
}

/// link(2) (with linkat `flags`) through IORING_OP_LINKAT. Since Linux 5.15.
/// liburing: `io_uring_prep_link()`.
inline void prep_link(abi::io_uring_sqe* sqe, const char* oldpath, const char* newpath,
                      int flags) noexcept {
    prep_linkat(sqe, at_fdcwd, oldpath, at_fdcwd, newpath, flags);
}

/// IORING_OP_GETXATTR: getxattr(2) of `name` on `path` into `len` bytes at `value`.
/// Since Linux 5.19. liburing: `io_uring_prep_getxattr()`.
inline void prep_getxattr(abi::io_uring_sqe* sqe, const char* name, char* value,
                          const char* path, unsigned len) noexcept {
    prep_rw(abi::IORING_OP_GETXATTR, sqe, 0, name, len, detail::ptr_u64(value));
    sqe->addr3 = detail::ptr_u64(path);
    sqe->xattr_flags = 0;
}

/// IORING_OP_SETXATTR: setxattr(2) (XATTR_CREATE / XATTR_REPLACE `flags`). Since Linux 5.19.
/// liburing: `io_uring_prep_setxattr()`.
inline void prep_setxattr(abi::io_uring_sqe* sqe, const char* name, const char* value,
                          const char* path, int flags, unsigned len) noexcept {
    prep_rw(abi::IORING_OP_SETXATTR, sqe, 0, name, len, detail::ptr_u64(value));
    sqe->addr3 = detail::ptr_u64(path);
    sqe->xattr_flags = static_cast<std::uint32_t>(flags);
}

/// IORING_OP_FGETXATTR: fgetxattr(2). Since Linux 5.19. liburing: `io_uring_prep_fgetxattr()`.
inline void prep_fgetxattr(abi::io_uring_sqe* sqe, int fd, const char* name, char* value,
                           unsigned len) noexcept {
    prep_rw(abi::IORING_OP_FGETXATTR, sqe, fd, name, len, detail::ptr_u64(value));
    sqe->xattr_flags = 0;
}

/// IORING_OP_FSETXATTR: fsetxattr(2). Since Linux 5.19. liburing: `io_uring_prep_fsetxattr()`.
inline void prep_fsetxattr(abi::io_uring_sqe* sqe, int fd, const char* name, const char* value,
                           int flags, unsigned len) noexcept {
    prep_rw(abi::IORING_OP_FSETXATTR, sqe, fd, name, len, detail::ptr_u64(value));
    sqe->xattr_flags = static_cast<std::uint32_t>(flags);
}

// =================================================================================================
// Provided buffers (legacy groups)
// =================================================================================================

/// IORING_OP_PROVIDE_BUFFERS: give group `bgid` `nr` buffers of `len` bytes each, laid out from
/// `addr`, with ids from `bid`. Since Linux 5.7.
/// liburing: `io_uring_prep_provide_buffers()`; Zig: `Sqe.prep_provide_buffers()`.
inline void prep_provide_buffers(abi::io_uring_sqe* sqe, void* addr, int len, int nr, int bgid,
                                 int bid) noexcept {
    prep_rw(abi::IORING_OP_PROVIDE_BUFFERS, sqe, nr, addr, static_cast<unsigned>(len),
            static_cast<std::uint64_t>(static_cast<std::int64_t>(bid)));
    sqe->buf_group = static_cast<std::uint16_t>(bgid);
}

/// IORING_OP_REMOVE_BUFFERS: take back up to `nr` buffers of group `bgid`. Since Linux 5.7.
/// liburing: `io_uring_prep_remove_buffers()`; Zig: `Sqe.prep_remove_buffers()`.
inline void prep_remove_buffers(abi::io_uring_sqe* sqe, int nr, int bgid) noexcept {
    prep_rw(abi::IORING_OP_REMOVE_BUFFERS, sqe, nr, nullptr, 0, 0);
    sqe->buf_group = static_cast<std::uint16_t>(bgid);
}

// =================================================================================================
// Ring-to-ring messages
// =================================================================================================

/// IORING_OP_MSG_RING: post a CQE with res `len` and user_data `data` on the ring whose fd is
/// `fd`; this ring gets a CQE of its own with the result. `flags`: IORING_MSG_RING_FLAGS_PASS
/// only (see prep_msg_ring_cqe_flags). IORING_MSG_RING_CQE_SKIP is for fd passing
/// (prep_msg_ring_fd): on a data message the kernel fails the SQE with -EINVAL and posts
/// nothing on the target. Since Linux 5.18. liburing: `io_uring_prep_msg_ring()`.
inline void prep_msg_ring(abi::io_uring_sqe* sqe, int fd, unsigned len, std::uint64_t data,
                          unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_MSG_RING, sqe, fd, nullptr, len, data);
    sqe->msg_ring_flags = flags;
}

/// prep_msg_ring whose target CQE carries `cqe_flags` (adds IORING_MSG_RING_FLAGS_PASS; the
/// flags travel in sqe.file_index). Since Linux 6.3.
/// liburing: `io_uring_prep_msg_ring_cqe_flags()`.
inline void prep_msg_ring_cqe_flags(abi::io_uring_sqe* sqe, int fd, unsigned len,
                                    std::uint64_t data, unsigned flags,
                                    unsigned cqe_flags) noexcept {
    prep_rw(abi::IORING_OP_MSG_RING, sqe, fd, nullptr, len, data);
    sqe->msg_ring_flags = abi::IORING_MSG_RING_FLAGS_PASS | flags;
    sqe->file_index = cqe_flags;
}

/// IORING_OP_MSG_RING with IORING_MSG_SEND_FD: install this ring's registered file
/// `source_fd` into slot `target_fd` (or IORING_FILE_INDEX_ALLOC) of the ring `fd`, which gets
/// a CQE with user_data `data` unless `flags` has IORING_MSG_RING_CQE_SKIP: the
/// skip silences the *target's* CQE; this ring still gets its own. Since Linux 6.0.
/// liburing: `io_uring_prep_msg_ring_fd()`.
inline void prep_msg_ring_fd(abi::io_uring_sqe* sqe, int fd, int source_fd, int target_fd,
                             std::uint64_t data, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_MSG_RING, sqe, fd, nullptr, 0, data);
    sqe->addr = abi::IORING_MSG_SEND_FD;
    sqe->addr3 = static_cast<std::uint64_t>(static_cast<std::int64_t>(source_fd));
    detail::set_direct_slot(sqe, static_cast<unsigned>(target_fd));
    sqe->msg_ring_flags = flags;
}

/// prep_msg_ring_fd into a free slot of the target ring. Since Linux 6.0.
/// liburing: `io_uring_prep_msg_ring_fd_alloc()`.
inline void prep_msg_ring_fd_alloc(abi::io_uring_sqe* sqe, int fd, int source_fd,
                                   std::uint64_t data, unsigned flags) noexcept {
    prep_msg_ring_fd(sqe, fd, source_fd, static_cast<int>(abi::IORING_FILE_INDEX_ALLOC), data,
                     flags);
}

// =================================================================================================
// Processes and futexes
// =================================================================================================

/// IORING_OP_WAITID: waitid(2) for `idtype` (P_ALL, P_PID, P_PGID, P_PIDFD) `id` with WEXITED...
/// `options`; `infop` is a siginfo_t* (or null); `flags` must be 0. Since Linux 6.7.
/// liburing: `io_uring_prep_waitid()`; Zig: `Sqe.prep_waitid()`.
inline void prep_waitid(abi::io_uring_sqe* sqe, int idtype, unsigned id, void* infop,
                        int options, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_WAITID, sqe, static_cast<int>(id), nullptr,
            static_cast<unsigned>(idtype), 0);
    sqe->waitid_flags = flags;
    sqe->file_index = static_cast<std::uint32_t>(options);
    sqe->addr2 = detail::ptr_u64(infop);
}

/// IORING_OP_FUTEX_WAKE: wake up to `val` waiters on `*futex` whose bitset meets `mask`
/// (FUTEX2_* `futex_flags`, e.g. FUTEX2_SIZE_U32 | FUTEX2_PRIVATE; `flags` must be 0).
/// Res is the number woken. Since Linux 6.7. liburing: `io_uring_prep_futex_wake()`.
inline void prep_futex_wake(abi::io_uring_sqe* sqe, const std::uint32_t* futex, std::uint64_t val,
                            std::uint64_t mask, std::uint32_t futex_flags,
                            unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_FUTEX_WAKE, sqe, static_cast<int>(futex_flags), futex, 0, val);
    sqe->futex_flags = flags;
    sqe->addr3 = mask;
}

/// IORING_OP_FUTEX_WAIT: wait while `*futex == val` until woken with a bitset meeting `mask`.
/// Since Linux 6.7. liburing: `io_uring_prep_futex_wait()`.
inline void prep_futex_wait(abi::io_uring_sqe* sqe, const std::uint32_t* futex, std::uint64_t val,
                            std::uint64_t mask, std::uint32_t futex_flags,
                            unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_FUTEX_WAIT, sqe, static_cast<int>(futex_flags), futex, 0, val);
    sqe->futex_flags = flags;
    sqe->addr3 = mask;
}

/// IORING_OP_FUTEX_WAITV: wait on `nr_futex` futexes at once (`flags` must be 0); res is the
/// index of the one woken. Since Linux 6.7. liburing: `io_uring_prep_futex_waitv()`.
inline void prep_futex_waitv(abi::io_uring_sqe* sqe, const abi::futex_waitv* futex,
                             std::uint32_t nr_futex, unsigned flags) noexcept {
    prep_rw(abi::IORING_OP_FUTEX_WAITV, sqe, 0, futex, nr_futex, 0);
    sqe->futex_flags = flags;
}

/// The same for linux/futex.h's `struct futex_waitv`.
template <class Waitv>
    requires std::same_as<Waitv, ::futex_waitv>
inline void prep_futex_waitv(abi::io_uring_sqe* sqe, const Waitv* futex, std::uint32_t nr_futex,
                             unsigned flags) noexcept {
    prep_futex_waitv(sqe, reinterpret_cast<const abi::futex_waitv*>(futex), nr_futex, flags);
}

// =================================================================================================
// Driver commands (URING_CMD)
// =================================================================================================

/// IORING_OP_URING_CMD: command `cmd_op` to the driver behind `fd`; the 16-byte command area
/// (sqe.cmd(), from byte 48) is the caller's to fill. Since Linux 5.19.
/// liburing: `io_uring_prep_uring_cmd()`.
inline void prep_uring_cmd(abi::io_uring_sqe* sqe, int cmd_op, int fd) noexcept {
    detail::prep_uring_cmd(sqe, abi::IORING_OP_URING_CMD, static_cast<std::uint32_t>(cmd_op), fd);
}

/// IORING_OP_URING_CMD128: as prep_uring_cmd with the 80-byte command area of a 128-byte SQE;
/// needs an SQE128 or SQE_MIXED ring (get the SQE with ring_state::get_sqe128). Since Linux 6.19.
/// liburing: `io_uring_prep_uring_cmd128()`.
inline void prep_uring_cmd128(abi::io_uring_sqe* sqe, int cmd_op, int fd) noexcept {
    detail::prep_uring_cmd(sqe, abi::IORING_OP_URING_CMD128, static_cast<std::uint32_t>(cmd_op),
                           fd);
}

/// A socket command (SOCKET_URING_OP_SIOCINQ, _SIOCOUTQ: res is the byte count;
/// _GETSOCKOPT, _SETSOCKOPT on `level`/`optname` with `optlen` bytes at `optval`).
/// Since Linux 6.7 (sockets). liburing: `io_uring_prep_cmd_sock()`; Zig: `Sqe.prep_cmd_sock()`.
inline void prep_cmd_sock(abi::io_uring_sqe* sqe, int cmd_op, int fd, int level, int optname,
                          void* optval, int optlen) noexcept {
    prep_uring_cmd(sqe, cmd_op, fd);
    sqe->optval = detail::ptr_u64(optval);
    sqe->sockopt.optname = static_cast<std::uint32_t>(optname);
    sqe->optlen = static_cast<std::uint32_t>(optlen);
    sqe->sockopt.level = static_cast<std::uint32_t>(level);
}

/// SOCKET_URING_OP_GETSOCKNAME: getsockname(2), or getpeername(2) when `peer` is 1; the
/// kernel updates `*sockaddr_len`. Since Linux 6.19. liburing: `io_uring_prep_cmd_getsockname()`.
inline void prep_cmd_getsockname(abi::io_uring_sqe* sqe, int fd, sockaddr* addr,
                                 unsigned* sockaddr_len, int peer) noexcept {
    prep_uring_cmd(sqe, static_cast<int>(abi::SOCKET_URING_OP_GETSOCKNAME), fd);
    sqe->addr = detail::ptr_u64(addr);
    sqe->addr3 = detail::ptr_u64(sockaddr_len);
    sqe->optlen = static_cast<std::uint32_t>(peer);
}

/// BLOCK_URING_CMD_DISCARD: discard `nbytes` at `offset` of block device `fd`.
/// Since Linux 6.12. liburing: `io_uring_prep_cmd_discard()`.
inline void prep_cmd_discard(abi::io_uring_sqe* sqe, int fd, std::uint64_t offset,
                             std::uint64_t nbytes) noexcept {
    prep_uring_cmd(sqe, static_cast<int>(abi::BLOCK_URING_CMD_DISCARD), fd);
    sqe->addr = offset;
    sqe->addr3 = nbytes;
}

/// BLOCK_URING_CMD_ZONE_RESET_ALL: reset every sequential zone of zoned block device `fd`.
/// Newest kernels (after 7.0~). liburing: `io_uring_prep_cmd_zone_reset_all()`.
inline void prep_cmd_zone_reset_all(abi::io_uring_sqe* sqe, int fd) noexcept {
    prep_uring_cmd(sqe, static_cast<int>(abi::BLOCK_URING_CMD_ZONE_RESET_ALL), fd);
}

// =================================================================================================
// SQE setters
// =================================================================================================

/// Sets the value the CQE carries back. liburing: `io_uring_sqe_set_data64()`.
inline void sqe_set_data64(abi::io_uring_sqe* sqe, std::uint64_t data) noexcept {
    sqe->user_data = data;
}

/// Sets a pointer the CQE carries back (read it with cqe_get_data).
/// liburing: `io_uring_sqe_set_data()`.
inline void sqe_set_data(abi::io_uring_sqe* sqe, const void* data) noexcept {
    sqe->user_data = detail::ptr_u64(data);
}

/// Sets IOSQE_* flags (replacing those set before). liburing: `io_uring_sqe_set_flags()`;
/// Zig: `Sqe.set_flags()` (which ORs them in).
inline void sqe_set_flags(abi::io_uring_sqe* sqe, unsigned flags) noexcept {
    sqe->flags = static_cast<std::uint8_t>(flags);
}

/// Sets the provided-buffer group a buffer-select request draws from (with
/// IOSQE_BUFFER_SELECT). liburing: `io_uring_sqe_set_buf_group()`.
inline void sqe_set_buf_group(abi::io_uring_sqe* sqe, int bgid) noexcept {
    sqe->buf_group = static_cast<std::uint16_t>(bgid);
}

/// Links the next SQE to this one (adds IOSQE_IO_LINK): it starts only after this one
/// succeeds. Zig: `Sqe.link_next()`; liburing: none (`sqe->flags |= IOSQE_IO_LINK`).
inline void sqe_link_next(abi::io_uring_sqe* sqe) noexcept {
    sqe->flags |= abi::IOSQE_IO_LINK;
}

// =================================================================================================
// CQE accessors
// =================================================================================================

/// The pointer sqe_set_data stored. liburing: `io_uring_cqe_get_data()`.
[[nodiscard]] inline void* cqe_get_data(const abi::io_uring_cqe& cqe) noexcept {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(cqe.user_data));
}

/// The value sqe_set_data64 stored. liburing: `io_uring_cqe_get_data64()`.
[[nodiscard]] inline std::uint64_t cqe_get_data64(const abi::io_uring_cqe& cqe) noexcept {
    return cqe.user_data;
}

/// The id of the provided buffer the request used (0..65535), or -ENOBUFS when the CQE carries
/// none (IORING_CQE_F_BUFFER clear). Zig: `Cqe.buffer_id()` (error.NoBufferSelected);
/// liburing: none (`cqe->flags >> IORING_CQE_BUFFER_SHIFT`).
[[nodiscard]] inline int cqe_buffer_id(const abi::io_uring_cqe& cqe) noexcept {
    if ((cqe.flags & abi::IORING_CQE_F_BUFFER) == 0) return -err::enobufs;
    return static_cast<int>(cqe.flags >> abi::IORING_CQE_BUFFER_SHIFT);
}

/// IORING_CQE_F_MORE: a multishot request stays armed (more CQEs follow), or a zero-copy send
/// will post its NOTIF CQE. Since Linux 5.13.
[[nodiscard]] inline bool cqe_has_more(const abi::io_uring_cqe& cqe) noexcept {
    return (cqe.flags & abi::IORING_CQE_F_MORE) != 0;
}

/// IORING_CQE_F_SOCK_NONEMPTY: the socket had more data queued after this receive.
/// Since Linux 5.19.
[[nodiscard]] inline bool cqe_sock_nonempty(const abi::io_uring_cqe& cqe) noexcept {
    return (cqe.flags & abi::IORING_CQE_F_SOCK_NONEMPTY) != 0;
}

/// IORING_CQE_F_NOTIF: this is a zero-copy send's notification (the buffer may be reused).
/// Since Linux 6.0.
[[nodiscard]] inline bool cqe_is_notif(const abi::io_uring_cqe& cqe) noexcept {
    return (cqe.flags & abi::IORING_CQE_F_NOTIF) != 0;
}

/// IORING_CQE_F_BUF_MORE: an incrementally consumed provided buffer (IOU_PBUF_RING_INC) still
/// has room; the kernel keeps using it. Since Linux 6.12~.
[[nodiscard]] inline bool cqe_buf_more(const abi::io_uring_cqe& cqe) noexcept {
    return (cqe.flags & abi::IORING_CQE_F_BUF_MORE) != 0;
}

/// IORING_CQE_F_SKIP: a filler CQE that answers no request; ignore it. Since Linux 6.18.
[[nodiscard]] inline bool cqe_skip(const abi::io_uring_cqe& cqe) noexcept {
    return (cqe.flags & abi::IORING_CQE_F_SKIP) != 0;
}

/// The CQ slots this CQE takes by its flags alone: 2 with IORING_CQE_F_32 (a 32-byte CQE on a
/// CQE_MIXED ring), else 1. ring_state::cqe_slots also checks that the ring is CQE_MIXED.
/// liburing: `io_uring_cqe_nr()`.
[[nodiscard]] inline unsigned cqe_nr(const abi::io_uring_cqe& cqe) noexcept {
    return (cqe.flags & abi::IORING_CQE_F_32) != 0 ? 2u : 1u;
}

/// cqe_get_data for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline void* cqe_get_data(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_get_data(*cqe);
}
/// cqe_get_data64 for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline std::uint64_t cqe_get_data64(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_get_data64(*cqe);
}
/// cqe_buffer_id for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline int cqe_buffer_id(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_buffer_id(*cqe);
}
/// cqe_has_more for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline bool cqe_has_more(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_has_more(*cqe);
}
/// cqe_sock_nonempty for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline bool cqe_sock_nonempty(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_sock_nonempty(*cqe);
}
/// cqe_is_notif for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline bool cqe_is_notif(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_is_notif(*cqe);
}
/// cqe_buf_more for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline bool cqe_buf_more(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_buf_more(*cqe);
}
/// cqe_skip for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline bool cqe_skip(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_skip(*cqe);
}
/// cqe_nr for a `const io_uring_cqe*`, as liburing takes it.
[[nodiscard]] inline unsigned cqe_nr(const abi::io_uring_cqe* cqe) noexcept {
    return cqe_nr(*cqe);
}

} // namespace rawring
