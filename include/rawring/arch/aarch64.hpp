// SPDX-License-Identifier: MIT
// Raw Linux system calls on aarch64: `svc #0`, no libc.
#pragma once

namespace rawring::arch {

// The generic system call numbers (include/uapi/asm-generic/unistd.h), which arm64 uses.
inline constexpr long nr_unlinkat = 35;
inline constexpr long nr_openat = 56;
inline constexpr long nr_close = 57;
inline constexpr long nr_write = 64;
inline constexpr long nr_exit = 93;
inline constexpr long nr_exit_group = 94;
inline constexpr long nr_getpid = 172;
inline constexpr long nr_munmap = 215;
inline constexpr long nr_prlimit64 = 261;
inline constexpr long nr_mmap = 222;
inline constexpr long nr_io_uring_setup = 425;
inline constexpr long nr_io_uring_enter = 426;
inline constexpr long nr_io_uring_register = 427;

// mmap(2)'s protection and flag bits rawring uses (the same values on all three architectures).
inline constexpr long prot_read = 0x1;
inline constexpr long prot_write = 0x2;
inline constexpr long map_shared = 0x01;
inline constexpr long map_private = 0x02;
inline constexpr long map_anonymous = 0x20;
inline constexpr long map_populate = 0x8000;

// The kernel's convention: number in x8, arguments in x0..x5, result in x0 (-4095..-1 is
// -errno); every other register is preserved. "memory": the kernel reads and writes the
// buffers the arguments point to. Each function uses as many registers as it has arguments.

/// A system call without arguments. Returns the kernel's result (-errno on failure).
inline long syscall0(long n) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0");
    asm volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory", "cc");
    return x0;
}

/// A system call with one argument.
inline long syscall1(long n, long a1) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a1;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory", "cc");
    return x0;
}

/// A system call with two arguments.
inline long syscall2(long n, long a1, long a2) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a1;
    register long x1 asm("x1") = a2;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory", "cc");
    return x0;
}

/// A system call with three arguments.
inline long syscall3(long n, long a1, long a2, long a3) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a1;
    register long x1 asm("x1") = a2;
    register long x2 asm("x2") = a3;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory", "cc");
    return x0;
}

/// A system call with four arguments.
inline long syscall4(long n, long a1, long a2, long a3, long a4) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a1;
    register long x1 asm("x1") = a2;
    register long x2 asm("x2") = a3;
    register long x3 asm("x3") = a4;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory", "cc");
    return x0;
}

/// A system call with five arguments.
inline long syscall5(long n, long a1, long a2, long a3, long a4, long a5) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a1;
    register long x1 asm("x1") = a2;
    register long x2 asm("x2") = a3;
    register long x3 asm("x3") = a4;
    register long x4 asm("x4") = a5;
    asm volatile("svc #0"
                 : "+r"(x0)
                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
                 : "memory", "cc");
    return x0;
}

/// A system call with six arguments.
inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) noexcept {
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a1;
    register long x1 asm("x1") = a2;
    register long x2 asm("x2") = a3;
    register long x3 asm("x3") = a4;
    register long x4 asm("x4") = a5;
    register long x5 asm("x5") = a6;
    asm volatile("svc #0"
                 : "+r"(x0)
                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                 : "memory", "cc");
    return x0;
}

} // namespace rawring::arch
