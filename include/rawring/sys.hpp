// SPDX-License-Identifier: MIT
// The system calls rawring makes, each returning >= 0 on success or -errno on failure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rawring/abi.hpp"

namespace rawring::sys {

/// Signal-mask size the kernel expects with io_uring_enter (the kernel's _NSIG / 8).
inline constexpr std::size_t sigset_size = 8;

/// io_uring_setup(2): creates a ring of `entries` and fills `p`. Returns the ring fd or -errno
/// (-EINVAL bad entries or flags, -EMFILE/-ENFILE out of fds, -ENOMEM, -EPERM io_uring disabled).
/// liburing: `io_uring_setup()`. Since Linux 5.1.
[[nodiscard]] int setup(unsigned entries, abi::io_uring_params* p) noexcept;

/// io_uring_enter(2) with an optional signal mask (`sig` may be null). Returns the number of
/// SQEs consumed or -errno (-EAGAIN, -EBADF, -EBUSY, -EINTR, -ETIME, -EBADFD, ...).
/// liburing: `io_uring_enter()`. Since Linux 5.1.
[[nodiscard]] int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                        const void* sig) noexcept;

/// io_uring_enter(2) with an argument block and its size: with IORING_ENTER_EXT_ARG `arg` is an
/// `abi::io_uring_getevents_arg` (or, with EXT_ARG_REG, an offset into the registered wait region).
/// liburing: `io_uring_enter2()`. EXT_ARG since Linux 5.11.
[[nodiscard]] int enter2(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                         const void* arg, std::size_t argsz) noexcept;

/// io_uring_register(2). Returns the op's result (often 0) or -errno.
/// liburing: `io_uring_register()`. Since Linux 5.1.
[[nodiscard]] int register_(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept;

/// mmap(2) of a shared, populated region of the ring fd at `offset` (one of IORING_OFF_*).
/// Returns the address, or writes -errno to `*err` and returns nullptr.
[[nodiscard]] void* mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept;

/// Anonymous private mmap (for application-owned ring memory). nullptr and `*err` = -errno on failure.
[[nodiscard]] void* mmap_anon(std::size_t len, int* err) noexcept;

/// munmap(2). Returns 0 or -errno.
int munmap(void* addr, std::size_t len) noexcept;

/// close(2). Returns 0 or -errno.
int close(int fd) noexcept;

} // namespace rawring::sys
