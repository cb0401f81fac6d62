// SPDX-License-Identifier: MIT
// The libc system-call backend: every call goes through libc (syscall(2), or libc's own mmap,
// munmap, close and clock_gettime), and libc's -1/errno convention is turned into -errno in
// exactly one function, result(). The exception is io_uring_enter on x86_64, aarch64 and
// riscv64, which sys.hpp issues inline (the hot path's one system call). It also checks the raw
// backend's numbers (rawring/arch/*.hpp) against libc's headers for the same architecture.
#include "rawring/sys.hpp"

#include <cerrno>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if (defined(__x86_64__) && !defined(__ILP32__)) || (defined(__aarch64__) && !defined(__ILP32__)) || \
    (defined(__riscv) && __riscv_xlen == 64)
#include "rawring/arch/syscall.hpp"
// The raw backend's system-call numbers, checked against libc's wherever both exist.
namespace raw = rawring::arch;
static_assert(raw::nr_io_uring_setup == __NR_io_uring_setup &&
              raw::nr_io_uring_enter == __NR_io_uring_enter &&
              raw::nr_io_uring_register == __NR_io_uring_register && raw::nr_mmap == SYS_mmap &&
              raw::nr_munmap == SYS_munmap && raw::nr_close == SYS_close &&
              raw::nr_prlimit64 == SYS_prlimit64 && raw::nr_write == SYS_write &&
              raw::nr_openat == SYS_openat && raw::nr_unlinkat == SYS_unlinkat &&
              raw::nr_getpid == SYS_getpid && raw::nr_exit == SYS_exit &&
              raw::nr_gettid == SYS_gettid && raw::nr_clock_gettime == SYS_clock_gettime &&
              raw::nr_exit_group == SYS_exit_group && raw::nr_sched_yield == SYS_sched_yield,
              "rawring/arch/*.hpp does not match this architecture's system-call numbers");
static_assert(raw::prot_read == PROT_READ && raw::prot_write == PROT_WRITE &&
              raw::map_shared == MAP_SHARED && raw::map_private == MAP_PRIVATE &&
              raw::map_anonymous == MAP_ANONYMOUS,
              "rawring/arch/*.hpp does not match this architecture's mmap flags");
#endif

namespace rawring::sys {

static_assert(rlimit_nofile == RLIMIT_NOFILE && rlim_infinity == RLIM64_INFINITY,
              "rawring/sys.hpp does not match this architecture's resource limits");
static_assert(sizeof(resource_limit) == sizeof(::rlimit64));

namespace {

// The one place where libc's "-1 and errno" becomes rawring's "-errno".
long result(long ret) noexcept {
    return ret == -1 ? -static_cast<long>(errno) : ret;
}

int kernel_setup(unsigned entries, abi::io_uring_params* p) noexcept {
    return static_cast<int>(result(::syscall(__NR_io_uring_setup, entries, p)));
}

int kernel_register(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    return static_cast<int>(result(::syscall(__NR_io_uring_register, fd, opcode, arg, nr_args)));
}

// Mappings and close go through libc's own functions, not syscall(), so that the tools that
// intercept them (ThreadSanitizer, AddressSanitizer, valgrind) see ring memory come and go.
void* mapping(void* p, int* err) noexcept {
    if (p == MAP_FAILED) {
        *err = -errno;
        return nullptr;
    }
    return p;
}

// The ring offsets (IORING_OFF_PBUF_RING is 2 GiB and up) need a 64-bit off_t.
static_assert(sizeof(off_t) == 8, "rawring needs a 64-bit off_t (-D_FILE_OFFSET_BITS=64)");

void* kernel_mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept {
    // No MAP_POPULATE: see sys.hpp's mmap_ring.
    return mapping(::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                          static_cast<off_t>(offset)),
                   err);
}

void* kernel_mmap_anon(std::size_t len, int* err) noexcept {
    return mapping(::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                   err);
}

int kernel_clock_gettime(int clock, abi::kernel_timespec* ts) noexcept {
    // Through libc, which reads the vDSO rather than entering the kernel.
    ::timespec t{};
    if (::clock_gettime(clock, &t) != 0) return -errno;
    ts->tv_sec = t.tv_sec;
    ts->tv_nsec = t.tv_nsec;
    return 0;
}

int kernel_munmap(void* addr, std::size_t len) noexcept {
    return static_cast<int>(result(::munmap(addr, len)));
}

int kernel_close(int fd) noexcept {
    return static_cast<int>(result(::close(fd)));
}

constexpr backend kernel{kernel_setup,     detail::kernel_enter, kernel_register,
                         kernel_mmap_ring, kernel_mmap_anon, kernel_munmap,
                         kernel_close,     kernel_clock_gettime};

} // namespace

constinit backend calls = kernel;

// io_uring_enter. Where sys.hpp issues it inline (x86_64, aarch64, riscv64), this is the same
// instruction, so a call through the table (a fault injector forwarding to this backend) does
// exactly what the inline path does; elsewhere it goes through libc's syscall().
int detail::kernel_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                         const void* arg, std::size_t argsz) noexcept {
#if RAWRING_INLINE_ENTER
    return raw_enter(fd, to_submit, min_complete, flags, arg, argsz);
#else
    return static_cast<int>(result(
        ::syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz)));
#endif
}

const backend& kernel_backend() noexcept { return kernel; }

int gettid() noexcept {
    return static_cast<int>(::syscall(SYS_gettid));
}

void yield() noexcept { (void)::sched_yield(); }

int prlimit(int resource, const resource_limit* new_limit, resource_limit* old_limit) noexcept {
    return static_cast<int>(result(::syscall(SYS_prlimit64, 0, resource, new_limit, old_limit)));
}

} // namespace rawring::sys
