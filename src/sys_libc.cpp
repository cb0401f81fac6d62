// SPDX-License-Identifier: MIT
// The libc system-call backend: every call goes through syscall(2), and libc's -1/errno
// convention is turned into -errno in exactly one function, result().
#include "rawring/sys.hpp"

#include <cerrno>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>


namespace rawring::sys {
namespace {

// The one place where libc's "-1 and errno" becomes rawring's "-errno".
long result(long ret) noexcept {
    return ret == -1 ? -static_cast<long>(errno) : ret;
}

} // namespace

int setup(unsigned entries, abi::io_uring_params* p) noexcept {
    return static_cast<int>(result(::syscall(__NR_io_uring_setup, entries, p)));
}

int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
          const void* sig) noexcept {
    return static_cast<int>(result(
        ::syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, sig, sigset_size)));
}

int enter2(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void* arg,
           std::size_t argsz) noexcept {
    return static_cast<int>(result(
        ::syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz)));
}

int register_(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    return static_cast<int>(result(::syscall(__NR_io_uring_register, fd, opcode, arg, nr_args)));
}

void* mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept {
    long ret = result(::syscall(SYS_mmap, nullptr, len, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_POPULATE, fd, offset));
    // mmap's error range is the top 4095 values; a valid address is never negative there.
    if (ret < 0 && ret > -4096) {
        *err = static_cast<int>(ret);
        return nullptr;
    }
    return reinterpret_cast<void*>(ret);
}

void* mmap_anon(std::size_t len, int* err) noexcept {
    long ret = result(::syscall(SYS_mmap, nullptr, len, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (ret < 0 && ret > -4096) {
        *err = static_cast<int>(ret);
        return nullptr;
    }
    return reinterpret_cast<void*>(ret);
}

int munmap(void* addr, std::size_t len) noexcept {
    return static_cast<int>(result(::syscall(SYS_munmap, addr, len)));
}

int close(int fd) noexcept {
    return static_cast<int>(result(::syscall(SYS_close, fd)));
}

} // namespace rawring::sys
