// SPDX-License-Identifier: MIT
// The raw system-call backend (-Dsyscall=raw): inline-asm syscalls, no libc at all. The kernel
// already returns -errno, so results pass through unchanged.
#include "rawring/sys.hpp"

#include "rawring/arch/syscall.hpp"

namespace rawring::sys {

// io_uring_enter: the same instruction as the inline path of sys.hpp, so the two cannot differ.
int detail::kernel_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                         const void* arg, std::size_t argsz) noexcept {
    return raw_enter(fd, to_submit, min_complete, flags, arg, argsz);
}

namespace {

// A pointer as a system-call argument word.
long word(const void* p) noexcept { return static_cast<long>(reinterpret_cast<std::uintptr_t>(p)); }

// A mapping's address, or nullptr and *err = -errno: the kernel's errors are -4095..-1, and no
// valid address falls in that range.
void* mapping(long ret, int* err) noexcept {
    if (ret < 0 && ret > -4096) {
        *err = static_cast<int>(ret);
        return nullptr;
    }
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(ret));
}

int kernel_setup(unsigned entries, abi::io_uring_params* p) noexcept {
    return static_cast<int>(arch::syscall2(arch::nr_io_uring_setup, entries, word(p)));
}

int kernel_register(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    return static_cast<int>(
        arch::syscall4(arch::nr_io_uring_register, fd, opcode, word(arg), nr_args));
}

void* kernel_mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept {
    return mapping(arch::syscall6(arch::nr_mmap, 0, static_cast<long>(len),
                                  arch::prot_read | arch::prot_write,
                                  arch::map_shared, fd,  // no MAP_POPULATE: see sys.hpp
                                  static_cast<long>(offset)),
                   err);
}

void* kernel_mmap_anon(std::size_t len, int* err) noexcept {
    return mapping(arch::syscall6(arch::nr_mmap, 0, static_cast<long>(len),
                                  arch::prot_read | arch::prot_write,
                                  arch::map_private | arch::map_anonymous, -1, 0),
                   err);
}

int kernel_clock_gettime(int clock, abi::kernel_timespec* ts) noexcept {
    return static_cast<int>(arch::syscall2(arch::nr_clock_gettime, clock, word(ts)));
}

int kernel_munmap(void* addr, std::size_t len) noexcept {
    return static_cast<int>(arch::syscall2(arch::nr_munmap, word(addr), static_cast<long>(len)));
}

int kernel_close(int fd) noexcept {
    return static_cast<int>(arch::syscall1(arch::nr_close, fd));
}

constexpr backend kernel{kernel_setup,     detail::kernel_enter, kernel_register,
                         kernel_mmap_ring, kernel_mmap_anon, kernel_munmap,
                         kernel_close,     kernel_clock_gettime};

} // namespace

constinit backend calls = kernel;

const backend& kernel_backend() noexcept { return kernel; }

int gettid() noexcept {
    return static_cast<int>(arch::syscall0(arch::nr_gettid));
}

void yield() noexcept { (void)arch::syscall0(arch::nr_sched_yield); }

int prlimit(int resource, const resource_limit* new_limit, resource_limit* old_limit) noexcept {
    return static_cast<int>(
        arch::syscall4(arch::nr_prlimit64, 0, resource, word(new_limit), word(old_limit)));
}

} // namespace rawring::sys
