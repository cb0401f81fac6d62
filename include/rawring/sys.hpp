// SPDX-License-Identifier: MIT
// The system calls rawring makes, each returning >= 0 on success or -errno on failure.
//
// Two backends define these functions, and a build compiles exactly one (Meson option `syscall`):
// src/sys_libc.cpp (`libc`, the default) goes through libc's syscall(); src/sys_raw.cpp (`raw`)
// issues the instructions itself (rawring/arch/*.hpp) and needs no libc at all. This header is
// the same for both, so code built against rawring needs no flag saying which one it links.
// Library code makes every system call through here, never through libc directly, so that the
// raw backend leaves the library free of libc.
//
// The seam. The calls that make and drive a ring (setup, enter, register, the ring mappings,
// munmap, close and the clock timed waits read) go through one table of function pointers,
// `sys::calls`, which starts out holding the build's kernel backend. A program may replace it
// (set_backend) to run every ring on a user-space mock (rawring/mock.hpp) or on the kernel with
// injected faults (rawring/inject.hpp). Calling through the table costs the same instructions as
// calling the backend's function directly: one indirect call where there was one direct call.
// io_uring_enter, the one call on the hot path, is cheaper still: on x86_64, aarch64 and riscv64
// it is issued inline while the table holds the kernel backend (detail::enter), with either
// backend; libc's syscall() remains the libc backend's way on other architectures.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <cstddef>
#include <cstdint>

#include "rawring/abi.hpp"

// Where rawring has raw system calls (rawring/arch/*.hpp), io_uring_enter is issued inline with
// either backend while the seam holds the kernel backend: see detail::enter below.
#if (defined(__x86_64__) && !defined(__ILP32__)) || (defined(__aarch64__) && !defined(__ILP32__)) || \
    (defined(__riscv) && __riscv_xlen == 64)
#define RAWRING_INLINE_ENTER 1
#include "rawring/arch/syscall.hpp"
#else
#define RAWRING_INLINE_ENTER 0
#endif

namespace rawring::sys {

/// Signal-mask size the kernel expects with io_uring_enter (the kernel's _NSIG / 8).
inline constexpr std::size_t sigset_size = 8;

/// The replaceable system calls, one pointer each, with the semantics of the functions below
/// that call them. `enter` is io_uring_enter(2) with its last two arguments as the kernel has
/// them (a signal mask and sigset_size, or an argument block and its size).
struct backend {
    int (*setup)(unsigned entries, abi::io_uring_params* p) noexcept;
    int (*enter)(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                 const void* arg, std::size_t argsz) noexcept;
    int (*register_)(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept;
    void* (*mmap_ring)(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept;
    void* (*mmap_anon)(std::size_t len, int* err) noexcept;
    int (*munmap)(void* addr, std::size_t len) noexcept;
    int (*close)(int fd) noexcept;
    int (*clock_gettime)(int clock, abi::kernel_timespec* ts) noexcept;
};

/// The table every ring calls through. It starts as kernel_backend(). Replace it with
/// set_backend(), not by writing to it while another thread may be calling through it.
extern backend calls;

/// This build's kernel backend (libc or raw): what `calls` holds until set_backend() changes it,
/// and what a wrapping backend (the fault injector) forwards to.
[[nodiscard]] const backend& kernel_backend() noexcept;

/// Makes `b` the table every later call goes through and returns the table it replaces, so a
/// caller can restore it. Not synchronised: switch while no other thread is inside rawring.
/// Rings keep the fds and mappings of the backend that made them; close a ring on that backend.
backend set_backend(const backend& b) noexcept;

namespace detail {

/// The kernel backend's io_uring_enter (src/sys_libc.cpp or src/sys_raw.cpp): what `calls.enter`
/// holds until a program replaces the table.
int kernel_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                 const void* arg, std::size_t argsz) noexcept;

#if RAWRING_INLINE_ENTER
/// io_uring_enter(2) as the instruction itself. The kernel returns -errno (-4095..-1) on
/// failure, which is rawring's convention already, so nothing is converted: both backends'
/// kernel_enter and the inline path below are this one function.
inline int raw_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                     const void* arg, std::size_t argsz) noexcept {
    return static_cast<int>(arch::syscall6(arch::nr_io_uring_enter, fd, to_submit, min_complete,
                                           flags, static_cast<long>(reinterpret_cast<std::uintptr_t>(arg)),
                                           static_cast<long>(argsz)));
}
#endif

/// io_uring_enter through the seam. While the table holds the kernel backend (every program
/// that does not install a mock or an injector) the system call is made right here, inline:
/// one load and compare instead of a call into the backend and, with the libc backend, libc's
/// syscall() and its errno. Other backends are called through the table as before.
inline int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void* arg,
                 std::size_t argsz) noexcept {
#if RAWRING_INLINE_ENTER
    if (calls.enter == &kernel_enter) [[likely]]
        return raw_enter(fd, to_submit, min_complete, flags, arg, argsz);
#endif
    return calls.enter(fd, to_submit, min_complete, flags, arg, argsz);
}

} // namespace detail

/// io_uring_setup(2): creates a ring of `entries` and fills `p`. Returns the ring fd or -errno
/// (-EINVAL bad entries or flags, -EMFILE/-ENFILE out of fds, -ENOMEM, -EPERM io_uring disabled).
/// liburing: `io_uring_setup()`. Since Linux 5.1.
[[nodiscard]] inline int setup(unsigned entries, abi::io_uring_params* p) noexcept {
    return calls.setup(entries, p);
}

/// io_uring_enter(2) with an optional signal mask (`sig` may be null). Returns the number of
/// SQEs consumed or -errno (-EAGAIN, -EBADF, -EBUSY, -EINTR, -ETIME, -EBADFD, ...).
/// liburing: `io_uring_enter()`. Since Linux 5.1.
[[nodiscard]] inline int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                               const void* sig) noexcept {
    return detail::enter(fd, to_submit, min_complete, flags, sig, sigset_size);
}

/// io_uring_enter(2) with an argument block and its size: with IORING_ENTER_EXT_ARG `arg` is an
/// `abi::io_uring_getevents_arg` (or, with EXT_ARG_REG, an offset into the registered wait region).
/// liburing: `io_uring_enter2()`. EXT_ARG since Linux 5.11.
[[nodiscard]] inline int enter2(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                                const void* arg, std::size_t argsz) noexcept {
    return detail::enter(fd, to_submit, min_complete, flags, arg, argsz);
}

/// io_uring_register(2). Returns the op's result (often 0) or -errno.
/// liburing: `io_uring_register()`. Since Linux 5.1.
[[nodiscard]] inline int register_(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    return calls.register_(fd, opcode, arg, nr_args);
}

/// mmap(2) of a shared region of the ring fd at `offset` (one of IORING_OFF_*).
/// Returns the address, or writes -errno to `*err` and returns nullptr.
/// Without MAP_POPULATE (which liburing passes): io_uring's mmap handler maps every page of
/// the region itself (remap_pfn_range on older kernels, vm_insert_pages on newer ones), so
/// the pages are present when mmap returns. MAP_POPULATE would only add a walk over them and
/// a drain of the page LRU caches: 11-12 us per ring in a fresh process, measured on Linux
/// 6.18 (docs/performance.md).
[[nodiscard]] inline void* mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept {
    return calls.mmap_ring(fd, len, offset, err);
}

/// Anonymous private mmap (for application-owned ring memory). nullptr and `*err` = -errno on failure.
[[nodiscard]] inline void* mmap_anon(std::size_t len, int* err) noexcept {
    return calls.mmap_anon(len, err);
}

/// clock_gettime(2) of `clock` (CLOCK_MONOTONIC 1, CLOCK_BOOTTIME 7, ...) into `*ts`. Returns 0
/// or -errno (-EINVAL unknown clock). Timed waits use it to wait again for only what is left of
/// their timeout. The libc backend goes through libc (the vDSO, no system call).
[[nodiscard]] inline int clock_gettime(int clock, abi::kernel_timespec* ts) noexcept {
    return calls.clock_gettime(clock, ts);
}

// The calls below are not io_uring's and go straight to the kernel backend, whatever the table.

/// gettid(2): the calling thread's id (never fails). The kernel's registered ring fds belong to
/// a thread; ring remembers which one registered them.
[[nodiscard]] int gettid() noexcept;

/// sched_yield(2): lets another thread run on this CPU (never fails).
void yield() noexcept;

/// munmap(2). Returns 0 or -errno.
inline int munmap(void* addr, std::size_t len) noexcept { return calls.munmap(addr, len); }

/// close(2). Returns 0 or -errno.
inline int close(int fd) noexcept { return calls.close(fd); }

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
