// SPDX-License-Identifier: MIT
// Raw Linux system calls on aarch64: `svc #0`, no libc.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

// Numbers from the generic table, shared with the other architectures that use it.
#include "rawring/arch/generic.hpp"

namespace rawring::arch {

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
