// SPDX-License-Identifier: MIT
// The system calls rawring makes, each returning >= 0 on success or -errno on failure.
//
// Two backends define these functions, and a build compiles exactly one (Meson option `syscall`):
// src/sys_libc.cpp (`libc`, the default) goes through libc's syscall(); src/sys_raw.cpp (`raw`)
// issues the instructions itself (rawring/arch/*.hpp) and needs no libc at all. This header is
// the same for both, so code built against rawring needs no flag saying which one it links.
// Library code makes every system call through here, never through libc directly, so that the
// raw backend leaves the library free of libc.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

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

/// clock_gettime(2) of `clock` (CLOCK_MONOTONIC 1, CLOCK_BOOTTIME 7, ...) into `*ts`. Returns 0
/// or -errno (-EINVAL unknown clock). Timed waits use it to wait again for only what is left of
/// their timeout. The libc backend goes through libc (the vDSO, no system call).
[[nodiscard]] int clock_gettime(int clock, abi::kernel_timespec* ts) noexcept;

/// gettid(2): the calling thread's id (never fails). The kernel's registered ring fds belong to
/// a thread; ring remembers which one registered them.
[[nodiscard]] int gettid() noexcept;

/// munmap(2). Returns 0 or -errno.
int munmap(void* addr, std::size_t len) noexcept;

/// close(2). Returns 0 or -errno.
int close(int fd) noexcept;

/// RLIMIT_NOFILE: the resource number (7 on x86_64, aarch64 and riscv64) of the fd limit, which
/// also caps a registered files table.
inline constexpr int rlimit_nofile = 7;

/// RLIM_INFINITY as prlimit64(2) reads and writes it.
inline constexpr std::uint64_t rlim_infinity = ~std::uint64_t{0};

/// A resource limit in prlimit64(2)'s layout (libc's `struct rlimit64`).
struct resource_limit {
    std::uint64_t cur;  ///< the soft limit
    std::uint64_t max;  ///< the hard limit
};

/// prlimit64(2) on the calling process: stores the current limit of `resource` in `*old_limit`
/// (unless null), then sets `*new_limit` (unless null). Returns 0 or -errno (-EINVAL bad
/// resource or soft above hard, -EPERM raising the hard limit without CAP_SYS_RESOURCE,
/// -EFAULT). The libc-free way to read or raise RLIMIT_NOFILE. Since Linux 2.6.36.
/// liburing: none (it calls libc's getrlimit/setrlimit).
[[nodiscard]] int prlimit(int resource, const resource_limit* new_limit,
                          resource_limit* old_limit) noexcept;

} // namespace rawring::sys
