// SPDX-License-Identifier: MIT
// Raw Linux system calls on x86_64: the `syscall` instruction, no libc.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

namespace rawring::arch {

// x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
inline constexpr long nr_write = 1;
inline constexpr long nr_close = 3;
inline constexpr long nr_mmap = 9;
inline constexpr long nr_munmap = 11;
inline constexpr long nr_sched_yield = 24;
inline constexpr long nr_getpid = 39;
inline constexpr long nr_gettid = 186;
inline constexpr long nr_clock_gettime = 228;
inline constexpr long nr_exit = 60;
inline constexpr long nr_exit_group = 231;
inline constexpr long nr_prlimit64 = 302;
inline constexpr long nr_openat = 257;
inline constexpr long nr_unlinkat = 263;
inline constexpr long nr_io_uring_setup = 425;
inline constexpr long nr_io_uring_enter = 426;
inline constexpr long nr_io_uring_register = 427;

// The kernel's convention: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in
// rax (-4095..-1 is -errno). The instruction itself overwrites rcx (return address) and r11
// (saved rflags). "memory": the kernel reads and writes the buffers the arguments point to.

/// A system call without arguments. Returns the kernel's result (-errno on failure).
inline long syscall0(long n) noexcept {
    long ret;
    asm volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
    return ret;
}

/// A system call with one argument.
inline long syscall1(long n, long a1) noexcept {
    long ret;
    asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a1) : "rcx", "r11", "memory");
    return ret;
}

/// A system call with two arguments.
inline long syscall2(long n, long a1, long a2) noexcept {
    long ret;
    asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a1), "S"(a2) : "rcx", "r11", "memory");
    return ret;
}

/// A system call with three arguments.
inline long syscall3(long n, long a1, long a2, long a3) noexcept {
    long ret;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(n), "D"(a1), "S"(a2), "d"(a3)
                 : "rcx", "r11", "memory");
    return ret;
}

/// A system call with four arguments (the fourth goes in r10, not rcx as in the C ABI).
inline long syscall4(long n, long a1, long a2, long a3, long a4) noexcept {
    long ret;
    register long r10 asm("r10") = a4;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                 : "rcx", "r11", "memory");
    return ret;
}

/// A system call with five arguments.
inline long syscall5(long n, long a1, long a2, long a3, long a4, long a5) noexcept {
    long ret;
    register long r10 asm("r10") = a4;
    register long r8 asm("r8") = a5;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                 : "rcx", "r11", "memory");
    return ret;
}

/// A system call with six arguments.
inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) noexcept {
    long ret;
    register long r10 asm("r10") = a4;
    register long r8 asm("r8") = a5;
    register long r9 asm("r9") = a6;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return ret;
}

} // namespace rawring::arch
