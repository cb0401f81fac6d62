// SPDX-License-Identifier: MIT
// Zig's queueing calls (`ring.nop(user_data)`, `ring.read(...)`, ...) as a mixin of class ring.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "rawring/abi.hpp"
#include "rawring/prep.hpp"

namespace rawring {

/// "Let the kernel pick a buffer from provided-buffer group `group_id`" for read() and recv():
/// at most `len` bytes are read into it, and the CQE names the buffer (cqe_buffer_id). Zig:
/// `ReadBuffer.buffer_selection` / `RecvBuffer.buffer_selection` (`.{ .group_id, .len }`).
struct buffer_selection {
    std::uint16_t group_id = 0;
    unsigned len = 0;
};

namespace detail {

/// A span's length for a length field of type T: the SQE's fields are 32-bit (optlen an int),
/// so a longer span is clamped to the largest value (the operation then does a short transfer)
/// rather than cut modulo 2^32.
template <class T>
constexpr T clamp_len(std::size_t n) noexcept {
    constexpr auto max = static_cast<std::size_t>(std::numeric_limits<T>::max());
    return static_cast<T>(n < max ? n : max);
}

/// libc's `struct iovec`, or any type with its two members.
template <class T>
concept iovec_like = requires(T v) {
    v.iov_base;
    v.iov_len;
};

} // namespace detail

/// Zig's queueing calls: each takes the next SQE (get_sqe), prepares it with the prep helper
/// named in its comment, sets its user_data and returns it, or returns nullptr with nothing
/// touched when the SQ is full (Zig: error.SubmissionQueueFull). Nothing is submitted. The
/// arguments are Zig's, in Zig's order, user_data first; Zig's slices are std::span (bytes as
/// std::byte: `std::as_bytes(std::span(buf))`), its ReadBuffer and RecvBuffer unions are
/// overloads. The returned SQE can be changed further (flags, links) before submit().
///
/// class ring inherits this (an empty base: it adds no storage), so `r.nop(1)` works on any
/// ring (ring.hpp includes this header, and this header the prep helpers it calls). Taken from Zig's lib/std/os/linux/IoUring.zig (master @000761df;
/// 0.15.x has the same calls), all 51 of its queueing calls.
template <class Ring>
class zig_queue {
public:
    /// fsync(2) of `fd` (IORING_FSYNC_DATASYNC in `flags` for fdatasync). Since Linux 5.1.
    /// Zig: `IoUring.fsync()`; prep_fsync (liburing: `io_uring_prep_fsync()`).
    [[nodiscard]] abi::io_uring_sqe* fsync(std::uint64_t user_data, int fd, unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_fsync(sqe, fd, flags);
        return done_(sqe, user_data);
    }

    /// A no-op (res 0). Since Linux 5.1.
    /// Zig: `IoUring.nop()`; prep_nop (liburing: `io_uring_prep_nop()`).
    [[nodiscard]] abi::io_uring_sqe* nop(std::uint64_t user_data) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_nop(sqe);
        return done_(sqe, user_data);
    }

    /// read(2)/pread(2) into `buffer` at `offset` (-1: the file position). Since Linux 5.6.
    /// Zig: `IoUring.read()` with `.buffer`; prep_read (liburing: `io_uring_prep_read()`).
    [[nodiscard]] abi::io_uring_sqe* read(std::uint64_t user_data, int fd, std::span<std::byte> buffer,
                                          std::uint64_t offset) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_read(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()), offset);
        return done_(sqe, user_data);
    }

    /// preadv(2) into `iovecs` (set rw_flags on the SQE for preadv2). Since Linux 5.1.
    /// Zig: `IoUring.read()` with `.iovecs`; prep_readv (liburing: `io_uring_prep_readv()`).
    [[nodiscard]] abi::io_uring_sqe* read(std::uint64_t user_data, int fd,
                                          std::span<const iovec> iovecs,
                                          std::uint64_t offset) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_readv(sqe, fd, iovecs.data(), detail::clamp_len<unsigned>(iovecs.size()), offset);
        return done_(sqe, user_data);
    }

    /// A read of up to `selection.len` bytes into a buffer the kernel picks from group
    /// `selection.group_id` (IOSQE_BUFFER_SELECT). Since Linux 5.7.
    /// Zig: `IoUring.read()` with `.buffer_selection`; prep_read with a null buffer, then
    /// sqe_set_flags(IOSQE_BUFFER_SELECT) and sqe_set_buf_group (liburing: the same calls).
    [[nodiscard]] abi::io_uring_sqe* read(std::uint64_t user_data, int fd, buffer_selection selection,
                                          std::uint64_t offset) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_read(sqe, fd, nullptr, selection.len, offset);
        sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
        sqe_set_buf_group(sqe, selection.group_id);
        return done_(sqe, user_data);
    }

    /// write(2)/pwrite(2) of `buffer` at `offset` (-1: the file position). Since Linux 5.6.
    /// Zig: `IoUring.write()`; prep_write (liburing: `io_uring_prep_write()`).
    [[nodiscard]] abi::io_uring_sqe* write(std::uint64_t user_data, int fd,
                                           std::span<const std::byte> buffer,
                                           std::uint64_t offset) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_write(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()), offset);
        return done_(sqe, user_data);
    }

    /// splice(2) of `len` bytes from `fd_in` at `off_in` to `fd_out` at `off_out`, one of them a
    /// pipe. An offset of all ones (-1) means none: required for the pipe's side, the file
    /// position for the other. No splice_flags. Since Linux 5.7.
    /// Zig: `IoUring.splice()`; prep_splice (liburing: `io_uring_prep_splice()`).
    [[nodiscard]] abi::io_uring_sqe* splice(std::uint64_t user_data, int fd_in, std::uint64_t off_in,
                                            int fd_out, std::uint64_t off_out,
                                            std::size_t len) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_splice(sqe, fd_in, static_cast<std::int64_t>(off_in), fd_out,
                    static_cast<std::int64_t>(off_out), detail::clamp_len<unsigned>(len), 0);
        return done_(sqe, user_data);
    }

    /// A read into `buffer`, which lies in registered buffer `buffer_index`. Since Linux 5.1.
    /// Zig: `IoUring.read_fixed()`; prep_read_fixed (liburing: `io_uring_prep_read_fixed()`).
    [[nodiscard]] abi::io_uring_sqe* read_fixed(std::uint64_t user_data, int fd,
                                                std::span<std::byte> buffer, std::uint64_t offset,
                                                std::uint16_t buffer_index) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_read_fixed(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()), offset,
                        buffer_index);
        return done_(sqe, user_data);
    }

    /// The same with the buffer as Zig passes it: a pointer to its `struct iovec`.
    template <detail::iovec_like Iovec>
    [[nodiscard]] abi::io_uring_sqe* read_fixed(std::uint64_t user_data, int fd, const Iovec* buffer,
                                                std::uint64_t offset,
                                                std::uint16_t buffer_index) noexcept {
        return read_fixed(user_data, fd,
                          std::span<std::byte>(static_cast<std::byte*>(buffer->iov_base),
                                               buffer->iov_len),
                          offset, buffer_index);
    }

    /// pwritev(2) of `iovecs` (set rw_flags on the SQE for pwritev2). Since Linux 5.1.
    /// Zig: `IoUring.writev()`; prep_writev (liburing: `io_uring_prep_writev()`).
    [[nodiscard]] abi::io_uring_sqe* writev(std::uint64_t user_data, int fd,
                                            std::span<const iovec> iovecs,
                                            std::uint64_t offset) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_writev(sqe, fd, iovecs.data(), detail::clamp_len<unsigned>(iovecs.size()), offset);
        return done_(sqe, user_data);
    }

    /// A write from `buffer`, which lies in registered buffer `buffer_index`. Since Linux 5.1.
    /// Zig: `IoUring.write_fixed()`; prep_write_fixed (liburing: `io_uring_prep_write_fixed()`).
    [[nodiscard]] abi::io_uring_sqe* write_fixed(std::uint64_t user_data, int fd,
                                                 std::span<const std::byte> buffer,
                                                 std::uint64_t offset,
                                                 std::uint16_t buffer_index) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_write_fixed(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()),
                         offset, buffer_index);
        return done_(sqe, user_data);
    }

    /// The same with the buffer as Zig passes it: a pointer to its `struct iovec`.
    template <detail::iovec_like Iovec>
    [[nodiscard]] abi::io_uring_sqe* write_fixed(std::uint64_t user_data, int fd, const Iovec* buffer,
                                                 std::uint64_t offset,
                                                 std::uint16_t buffer_index) noexcept {
        return write_fixed(user_data, fd,
                           std::span<const std::byte>(static_cast<const std::byte*>(buffer->iov_base),
                                                      buffer->iov_len),
                           offset, buffer_index);
    }

    /// accept4(2) on listening socket `fd` (SOCK_* `flags`; addr and addrlen may be null).
    /// Since Linux 5.5. Zig: `IoUring.accept()`; prep_accept (liburing: `io_uring_prep_accept()`).
    [[nodiscard]] abi::io_uring_sqe* accept(std::uint64_t user_data, int fd, sockaddr* addr,
                                            unsigned* addrlen, int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_accept(sqe, fd, addr, addrlen, flags);
        return done_(sqe, user_data);
    }

    /// A multishot accept: one CQE per connection while IORING_CQE_F_MORE is set.
    /// Since Linux 5.19. Zig: `IoUring.accept_multishot()`; prep_multishot_accept
    /// (liburing: `io_uring_prep_multishot_accept()`).
    [[nodiscard]] abi::io_uring_sqe* accept_multishot(std::uint64_t user_data, int fd, sockaddr* addr,
                                                      unsigned* addrlen, int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_multishot_accept(sqe, fd, addr, addrlen, flags);
        return done_(sqe, user_data);
    }

    /// An accept into a free slot of the registered file table (IORING_FILE_INDEX_ALLOC); res is
    /// the slot. Since Linux 5.19. Zig: `IoUring.accept_direct()`; prep_accept_direct with
    /// IORING_FILE_INDEX_ALLOC (liburing: `io_uring_prep_accept_direct()`).
    [[nodiscard]] abi::io_uring_sqe* accept_direct(std::uint64_t user_data, int fd, sockaddr* addr,
                                                   unsigned* addrlen, int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_accept_direct(sqe, fd, addr, addrlen, flags, abi::IORING_FILE_INDEX_ALLOC);
        return done_(sqe, user_data);
    }

    /// A multishot accept into free registered-file slots. Since Linux 5.19.
    /// Zig: `IoUring.accept_multishot_direct()`; prep_multishot_accept_direct
    /// (liburing: `io_uring_prep_multishot_accept_direct()`).
    [[nodiscard]] abi::io_uring_sqe* accept_multishot_direct(std::uint64_t user_data, int fd,
                                                             sockaddr* addr, unsigned* addrlen,
                                                             int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_multishot_accept_direct(sqe, fd, addr, addrlen, flags);
        return done_(sqe, user_data);
    }

    /// connect(2) of socket `fd` to `addr`. Since Linux 5.5.
    /// Zig: `IoUring.connect()`; prep_connect (liburing: `io_uring_prep_connect()`).
    [[nodiscard]] abi::io_uring_sqe* connect(std::uint64_t user_data, int fd, const sockaddr* addr,
                                             unsigned addrlen) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_connect(sqe, fd, addr, addrlen);
        return done_(sqe, user_data);
    }

    /// epoll_ctl(2) `op` on `fd` in epoll instance `epfd`. Since Linux 5.6.
    /// Zig: `IoUring.epoll_ctl()`; prep_epoll_ctl (liburing: `io_uring_prep_epoll_ctl()`).
    [[nodiscard]] abi::io_uring_sqe* epoll_ctl(std::uint64_t user_data, int epfd, int fd, int op,
                                               const epoll_event* ev) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_epoll_ctl(sqe, epfd, fd, op, ev);
        return done_(sqe, user_data);
    }

    /// recv(2) into `buffer` (MSG_* `flags`). Since Linux 5.6.
    /// Zig: `IoUring.recv()` with `.buffer`; prep_recv (liburing: `io_uring_prep_recv()`).
    [[nodiscard]] abi::io_uring_sqe* recv(std::uint64_t user_data, int fd, std::span<std::byte> buffer,
                                          int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_recv(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()), flags);
        return done_(sqe, user_data);
    }

    /// recv(2) of up to `selection.len` bytes into a buffer the kernel picks from group
    /// `selection.group_id` (IOSQE_BUFFER_SELECT). Since Linux 5.7.
    /// Zig: `IoUring.recv()` with `.buffer_selection`; prep_recv with a null buffer, then
    /// sqe_set_flags(IOSQE_BUFFER_SELECT) and sqe_set_buf_group (liburing: the same calls).
    [[nodiscard]] abi::io_uring_sqe* recv(std::uint64_t user_data, int fd, buffer_selection selection,
                                          int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_recv(sqe, fd, nullptr, selection.len, flags);
        sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
        sqe_set_buf_group(sqe, selection.group_id);
        return done_(sqe, user_data);
    }

    /// send(2) of `buffer` (MSG_* `flags`). Since Linux 5.6.
    /// Zig: `IoUring.send()`; prep_send (liburing: `io_uring_prep_send()`).
    [[nodiscard]] abi::io_uring_sqe* send(std::uint64_t user_data, int fd,
                                          std::span<const std::byte> buffer, int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_send(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()), flags);
        return done_(sqe, user_data);
    }

    /// A zero-copy send: a CQE with the result (IORING_CQE_F_MORE set), then a notification CQE
    /// (IORING_CQE_F_NOTIF) once `buffer` may be reused. `zc_flags`: IORING_RECVSEND_POLL_FIRST,
    /// IORING_SEND_ZC_REPORT_USAGE. Since Linux 6.0.
    /// Zig: `IoUring.send_zc()`; prep_send_zc (liburing: `io_uring_prep_send_zc()`).
    [[nodiscard]] abi::io_uring_sqe* send_zc(std::uint64_t user_data, int fd,
                                             std::span<const std::byte> buffer, int send_flags,
                                             unsigned zc_flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_send_zc(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()),
                     send_flags, zc_flags);
        return done_(sqe, user_data);
    }

    /// A zero-copy send from registered buffer `buf_index`. Since Linux 6.0.
    /// Zig: `IoUring.send_zc_fixed()`; prep_send_zc_fixed (liburing: `io_uring_prep_send_zc_fixed()`).
    [[nodiscard]] abi::io_uring_sqe* send_zc_fixed(std::uint64_t user_data, int fd,
                                                   std::span<const std::byte> buffer,
                                                   int send_flags, unsigned zc_flags,
                                                   std::uint16_t buf_index) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_send_zc_fixed(sqe, fd, buffer.data(), detail::clamp_len<unsigned>(buffer.size()),
                           send_flags, zc_flags, buf_index);
        return done_(sqe, user_data);
    }

    /// recvmsg(2) into `*msg` (MSG_* `flags`). Since Linux 5.3.
    /// Zig: `IoUring.recvmsg()`; prep_recvmsg (liburing: `io_uring_prep_recvmsg()`).
    [[nodiscard]] abi::io_uring_sqe* recvmsg(std::uint64_t user_data, int fd, msghdr* msg,
                                             unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_recvmsg(sqe, fd, msg, flags);
        return done_(sqe, user_data);
    }

    /// sendmsg(2) of `*msg` (MSG_* `flags`). Since Linux 5.3.
    /// Zig: `IoUring.sendmsg()`; prep_sendmsg (liburing: `io_uring_prep_sendmsg()`).
    [[nodiscard]] abi::io_uring_sqe* sendmsg(std::uint64_t user_data, int fd, const msghdr* msg,
                                             unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_sendmsg(sqe, fd, msg, flags);
        return done_(sqe, user_data);
    }

    /// A zero-copy sendmsg(2) (a result CQE, then a notification CQE). Since Linux 6.1.
    /// Zig: `IoUring.sendmsg_zc()`; prep_sendmsg_zc (liburing: `io_uring_prep_sendmsg_zc()`).
    [[nodiscard]] abi::io_uring_sqe* sendmsg_zc(std::uint64_t user_data, int fd, const msghdr* msg,
                                                unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_sendmsg_zc(sqe, fd, msg, flags);
        return done_(sqe, user_data);
    }

    /// openat(2) of `path` relative to `dfd` (at_fdcwd: the current directory). Since Linux 5.6.
    /// Zig: `IoUring.openat()`; prep_openat (liburing: `io_uring_prep_openat()`).
    [[nodiscard]] abi::io_uring_sqe* openat(std::uint64_t user_data, int dfd, const char* path,
                                            int flags, unsigned mode) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_openat(sqe, dfd, path, flags, mode);
        return done_(sqe, user_data);
    }

    /// openat(2) into registered-file slot `file_index` (IORING_FILE_INDEX_ALLOC: a free slot,
    /// named by res). Since Linux 5.15. Zig: `IoUring.openat_direct()`; prep_openat_direct
    /// (liburing: `io_uring_prep_openat_direct()`).
    [[nodiscard]] abi::io_uring_sqe* openat_direct(std::uint64_t user_data, int dfd, const char* path,
                                                   int flags, unsigned mode,
                                                   unsigned file_index) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_openat_direct(sqe, dfd, path, flags, mode, file_index);
        return done_(sqe, user_data);
    }

    /// close(2) of `fd`. Since Linux 5.6.
    /// Zig: `IoUring.close()`; prep_close (liburing: `io_uring_prep_close()`).
    [[nodiscard]] abi::io_uring_sqe* close(std::uint64_t user_data, int fd) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_close(sqe, fd);
        return done_(sqe, user_data);
    }

    /// Closes registered-file slot `file_index`. Since Linux 5.15.
    /// Zig: `IoUring.close_direct()`; prep_close_direct (liburing: `io_uring_prep_close_direct()`).
    [[nodiscard]] abi::io_uring_sqe* close_direct(std::uint64_t user_data, unsigned file_index) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_close_direct(sqe, file_index);
        return done_(sqe, user_data);
    }

    /// A timeout: completes with -ETIME when `*ts` passes, or with 0 once `count` other CQEs
    /// have arrived (count > 0). `flags`: IORING_TIMEOUT_ABS and the clock flags. Since Linux 5.4.
    /// Zig: `IoUring.timeout()`; prep_timeout (liburing: `io_uring_prep_timeout()`).
    [[nodiscard]] abi::io_uring_sqe* timeout(std::uint64_t user_data, const abi::kernel_timespec* ts,
                                             unsigned count, unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_timeout(sqe, ts, count, flags);
        return done_(sqe, user_data);
    }

    /// Removes the timeout whose user_data is `timeout_user_data` (res 0, -EBUSY or -ENOENT).
    /// Since Linux 5.5. Zig: `IoUring.timeout_remove()`; prep_timeout_remove
    /// (liburing: `io_uring_prep_timeout_remove()`).
    [[nodiscard]] abi::io_uring_sqe* timeout_remove(std::uint64_t user_data,
                                                    std::uint64_t timeout_user_data,
                                                    unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_timeout_remove(sqe, timeout_user_data, flags);
        return done_(sqe, user_data);
    }

    /// A timeout for the SQE queued just before it (which needs IOSQE_IO_LINK). Since Linux 5.5.
    /// Zig: `IoUring.link_timeout()`; prep_link_timeout (liburing: `io_uring_prep_link_timeout()`).
    [[nodiscard]] abi::io_uring_sqe* link_timeout(std::uint64_t user_data,
                                                  const abi::kernel_timespec* ts,
                                                  unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_link_timeout(sqe, ts, flags);
        return done_(sqe, user_data);
    }

    /// A one-shot poll of `fd` for POLL* `poll_mask`. Since Linux 5.1.
    /// Zig: `IoUring.poll_add()`; prep_poll_add (liburing: `io_uring_prep_poll_add()`).
    [[nodiscard]] abi::io_uring_sqe* poll_add(std::uint64_t user_data, int fd,
                                              unsigned poll_mask) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_poll_add(sqe, fd, poll_mask);
        return done_(sqe, user_data);
    }

    /// Removes the poll whose user_data is `target_user_data`. Since Linux 5.1.
    /// Zig: `IoUring.poll_remove()`; prep_poll_remove (liburing: `io_uring_prep_poll_remove()`).
    [[nodiscard]] abi::io_uring_sqe* poll_remove(std::uint64_t user_data,
                                                 std::uint64_t target_user_data) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_poll_remove(sqe, target_user_data);
        return done_(sqe, user_data);
    }

    /// Updates the poll whose user_data is `old_user_data` (IORING_POLL_UPDATE_* in `flags`).
    /// Since Linux 5.13. Zig: `IoUring.poll_update()`; prep_poll_update
    /// (liburing: `io_uring_prep_poll_update()`).
    [[nodiscard]] abi::io_uring_sqe* poll_update(std::uint64_t user_data, std::uint64_t old_user_data,
                                                 std::uint64_t new_user_data, unsigned poll_mask,
                                                 unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_poll_update(sqe, old_user_data, new_user_data, poll_mask, flags);
        return done_(sqe, user_data);
    }

    /// fallocate(2) of `len` bytes at `offset`. Since Linux 5.6.
    /// Zig: `IoUring.fallocate()`; prep_fallocate (liburing: `io_uring_prep_fallocate()`).
    [[nodiscard]] abi::io_uring_sqe* fallocate(std::uint64_t user_data, int fd, int mode,
                                               std::uint64_t offset, std::uint64_t len) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_fallocate(sqe, fd, mode, offset, len);
        return done_(sqe, user_data);
    }

    /// statx(2) of `path` relative to `dfd` into `*buf`. Since Linux 5.6.
    /// Zig: `IoUring.statx()`; prep_statx (liburing: `io_uring_prep_statx()`).
    [[nodiscard]] abi::io_uring_sqe* statx(std::uint64_t user_data, int dfd, const char* path,
                                           int flags, unsigned mask, struct statx* buf) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_statx(sqe, dfd, path, flags, mask, buf);
        return done_(sqe, user_data);
    }

    /// Cancels the request whose user_data is `cancel_user_data` (IORING_ASYNC_CANCEL_* in
    /// `flags`). Since Linux 5.5.
    /// Zig: `IoUring.cancel()`; prep_cancel64 (liburing: `io_uring_prep_cancel64()`).
    [[nodiscard]] abi::io_uring_sqe* cancel(std::uint64_t user_data, std::uint64_t cancel_user_data,
                                            int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_cancel64(sqe, cancel_user_data, flags);
        return done_(sqe, user_data);
    }

    /// shutdown(2) of socket `sockfd` (SHUT_*). Since Linux 5.11.
    /// Zig: `IoUring.shutdown()`; prep_shutdown (liburing: `io_uring_prep_shutdown()`).
    [[nodiscard]] abi::io_uring_sqe* shutdown(std::uint64_t user_data, int sockfd, int how) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_shutdown(sqe, sockfd, how);
        return done_(sqe, user_data);
    }

    /// renameat2(2). Since Linux 5.11.
    /// Zig: `IoUring.renameat()`; prep_renameat (liburing: `io_uring_prep_renameat()`).
    [[nodiscard]] abi::io_uring_sqe* renameat(std::uint64_t user_data, int old_dir_fd,
                                              const char* old_path, int new_dir_fd,
                                              const char* new_path, unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_renameat(sqe, old_dir_fd, old_path, new_dir_fd, new_path, flags);
        return done_(sqe, user_data);
    }

    /// unlinkat(2) (AT_REMOVEDIR in `flags` for a directory). Since Linux 5.11.
    /// Zig: `IoUring.unlinkat()`; prep_unlinkat (liburing: `io_uring_prep_unlinkat()`).
    [[nodiscard]] abi::io_uring_sqe* unlinkat(std::uint64_t user_data, int dir_fd, const char* path,
                                              int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_unlinkat(sqe, dir_fd, path, flags);
        return done_(sqe, user_data);
    }

    /// mkdirat(2). Since Linux 5.15.
    /// Zig: `IoUring.mkdirat()`; prep_mkdirat (liburing: `io_uring_prep_mkdirat()`).
    [[nodiscard]] abi::io_uring_sqe* mkdirat(std::uint64_t user_data, int dir_fd, const char* path,
                                             unsigned mode) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_mkdirat(sqe, dir_fd, path, mode);
        return done_(sqe, user_data);
    }

    /// symlinkat(2): a link at `link_path` (relative to `new_dir_fd`) to `target`.
    /// Since Linux 5.15.
    /// Zig: `IoUring.symlinkat()`; prep_symlinkat (liburing: `io_uring_prep_symlinkat()`).
    [[nodiscard]] abi::io_uring_sqe* symlinkat(std::uint64_t user_data, const char* target,
                                               int new_dir_fd, const char* link_path) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_symlinkat(sqe, target, new_dir_fd, link_path);
        return done_(sqe, user_data);
    }

    /// linkat(2). Since Linux 5.15.
    /// Zig: `IoUring.linkat()`; prep_linkat (liburing: `io_uring_prep_linkat()`).
    [[nodiscard]] abi::io_uring_sqe* linkat(std::uint64_t user_data, int old_dir_fd,
                                            const char* old_path, int new_dir_fd,
                                            const char* new_path, int flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_linkat(sqe, old_dir_fd, old_path, new_dir_fd, new_path, flags);
        return done_(sqe, user_data);
    }

    /// Hands `buffers_count` buffers of `buffer_size` bytes, contiguous from `buffers`, to
    /// provided-buffer group `group_id` with ids from `buffer_id` (legacy provided buffers, not
    /// a buffer ring). Since Linux 5.7. Zig: `IoUring.provide_buffers()`; prep_provide_buffers
    /// (liburing: `io_uring_prep_provide_buffers()`).
    [[nodiscard]] abi::io_uring_sqe* provide_buffers(std::uint64_t user_data, void* buffers,
                                                     int buffer_size, int buffers_count,
                                                     int group_id, int buffer_id) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_provide_buffers(sqe, buffers, buffer_size, buffers_count, group_id, buffer_id);
        return done_(sqe, user_data);
    }

    /// Takes up to `buffers_count` buffers back from group `group_id`; res is how many.
    /// Since Linux 5.7. Zig: `IoUring.remove_buffers()`; prep_remove_buffers
    /// (liburing: `io_uring_prep_remove_buffers()`).
    [[nodiscard]] abi::io_uring_sqe* remove_buffers(std::uint64_t user_data, int buffers_count,
                                                    int group_id) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_remove_buffers(sqe, buffers_count, group_id);
        return done_(sqe, user_data);
    }

    /// waitid(2) (P_* `id_type`, WEXITED... `options`; `flags` must be 0); `infop` is a
    /// siginfo_t*. Since Linux 6.7.
    /// Zig: `IoUring.waitid()`; prep_waitid (liburing: `io_uring_prep_waitid()`).
    [[nodiscard]] abi::io_uring_sqe* waitid(std::uint64_t user_data, int id_type, unsigned id,
                                            void* infop, int options, unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_waitid(sqe, id_type, id, infop, options, flags);
        return done_(sqe, user_data);
    }

    /// socket(2); res is the new fd (`flags` must be 0). Since Linux 5.19.
    /// Zig: `IoUring.socket()`; prep_socket (liburing: `io_uring_prep_socket()`).
    [[nodiscard]] abi::io_uring_sqe* socket(std::uint64_t user_data, int domain, int socket_type,
                                            int protocol, unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_socket(sqe, domain, socket_type, protocol, flags);
        return done_(sqe, user_data);
    }

    /// socket(2) into registered-file slot `file_index`. Zig's order (flags before file_index),
    /// which is not liburing's. Since Linux 5.19.
    /// Zig: `IoUring.socket_direct()`; prep_socket_direct (liburing: `io_uring_prep_socket_direct()`).
    [[nodiscard]] abi::io_uring_sqe* socket_direct(std::uint64_t user_data, int domain,
                                                   int socket_type, int protocol, unsigned flags,
                                                   unsigned file_index) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_socket_direct(sqe, domain, socket_type, protocol, file_index, flags);
        return done_(sqe, user_data);
    }

    /// socket(2) into a free registered-file slot; res is the slot. Since Linux 5.19.
    /// Zig: `IoUring.socket_direct_alloc()`; prep_socket_direct_alloc
    /// (liburing: `io_uring_prep_socket_direct_alloc()`).
    [[nodiscard]] abi::io_uring_sqe* socket_direct_alloc(std::uint64_t user_data, int domain,
                                                         int socket_type, int protocol,
                                                         unsigned flags) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_socket_direct_alloc(sqe, domain, socket_type, protocol, flags);
        return done_(sqe, user_data);
    }

    /// bind(2). `flags` is ignored: Zig's call has it, but BIND takes no flags (Zig writes it to
    /// rw_flags, where the kernel refuses anything but 0). Since Linux 6.11.
    /// Zig: `IoUring.bind()`; prep_bind (liburing: `io_uring_prep_bind()`).
    [[nodiscard]] abi::io_uring_sqe* bind(std::uint64_t user_data, int fd, const sockaddr* addr,
                                          unsigned addrlen, unsigned flags) noexcept {
        (void)flags;
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_bind(sqe, fd, addr, addrlen);
        return done_(sqe, user_data);
    }

    /// listen(2). `flags` is ignored, as for bind(). Since Linux 6.11.
    /// Zig: `IoUring.listen()`; prep_listen (liburing: `io_uring_prep_listen()`).
    [[nodiscard]] abi::io_uring_sqe* listen(std::uint64_t user_data, int fd, int backlog,
                                            unsigned flags) noexcept {
        (void)flags;
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_listen(sqe, fd, backlog);
        return done_(sqe, user_data);
    }

    /// A socket command (abi::SOCKET_URING_OP_*) on `fd` with `optlen` bytes at `optval`.
    /// Since Linux 6.7. Zig: `IoUring.cmd_sock()` (which takes optval as an integer);
    /// prep_cmd_sock (liburing: `io_uring_prep_cmd_sock()`).
    [[nodiscard]] abi::io_uring_sqe* cmd_sock(std::uint64_t user_data, std::uint32_t cmd_op, int fd,
                                              int level, int optname, void* optval,
                                              int optlen) noexcept {
        const auto sqe = next_();
        if (sqe == nullptr) return nullptr;
        prep_cmd_sock(sqe, static_cast<int>(cmd_op), fd, level, optname, optval, optlen);
        return done_(sqe, user_data);
    }

    /// setsockopt(2) of `opt` (SOCKET_URING_OP_SETSOCKOPT). Since Linux 6.7.
    /// Zig: `IoUring.setsockopt()`; prep_cmd_sock (liburing: `io_uring_prep_cmd_sock()`).
    [[nodiscard]] abi::io_uring_sqe* setsockopt(std::uint64_t user_data, int fd, int level,
                                                int optname,
                                                std::span<const std::byte> opt) noexcept {
        // The kernel only reads the option for SETSOCKOPT; prep_cmd_sock takes it non-const.
        return cmd_sock(user_data, abi::SOCKET_URING_OP_SETSOCKOPT, fd, level, optname,
                        const_cast<std::byte*>(opt.data()), detail::clamp_len<int>(opt.size()));
    }

    /// getsockopt(2) into `opt` (SOCKET_URING_OP_GETSOCKOPT); res is the option's length.
    /// Since Linux 6.7.
    /// Zig: `IoUring.getsockopt()`; prep_cmd_sock (liburing: `io_uring_prep_cmd_sock()`).
    [[nodiscard]] abi::io_uring_sqe* getsockopt(std::uint64_t user_data, int fd, int level,
                                                int optname, std::span<std::byte> opt) noexcept {
        return cmd_sock(user_data, abi::SOCKET_URING_OP_GETSOCKOPT, fd, level, optname, opt.data(),
                        detail::clamp_len<int>(opt.size()));
    }

private:
    /// The next SQE of the ring (null when the SQ is full).
    [[nodiscard]] abi::io_uring_sqe* next_() noexcept {
        return static_cast<Ring&>(*this).get_sqe();
    }

    /// Sets the user_data (after the prep helper, which leaves it alone) and returns the SQE.
    static abi::io_uring_sqe* done_(abi::io_uring_sqe* sqe, std::uint64_t user_data) noexcept {
        sqe_set_data64(sqe, user_data);
        return sqe;
    }
};

} // namespace rawring
