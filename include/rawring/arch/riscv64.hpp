// SPDX-License-Identifier: MIT
// Raw Linux system calls on riscv64: `ecall`, no libc.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

// Numbers from the generic table, shared with the other architectures that use it.
#include "rawring/arch/generic.hpp"

namespace rawring::arch {

// The kernel's convention: number in a7, arguments in a0..a5, result in a0 (-4095..-1 is
// -errno); every other register is preserved. "memory": the kernel reads and writes the
// buffers the arguments point to. Each function uses as many registers as it has arguments.

/// A system call without arguments. Returns the kernel's result (-errno on failure).
inline long syscall0(long n) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0");
    asm volatile("ecall" : "=r"(r_a0) : "r"(r_a7) : "memory");
    return r_a0;
}

/// A system call with one argument.
inline long syscall1(long n, long a1) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0") = a1;
    asm volatile("ecall" : "+r"(r_a0) : "r"(r_a7) : "memory");
    return r_a0;
}

/// A system call with two arguments.
inline long syscall2(long n, long a1, long a2) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0") = a1;
    register long r_a1 asm("a1") = a2;
    asm volatile("ecall" : "+r"(r_a0) : "r"(r_a7), "r"(r_a1) : "memory");
    return r_a0;
}

/// A system call with three arguments.
inline long syscall3(long n, long a1, long a2, long a3) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0") = a1;
    register long r_a1 asm("a1") = a2;
    register long r_a2 asm("a2") = a3;
    asm volatile("ecall" : "+r"(r_a0) : "r"(r_a7), "r"(r_a1), "r"(r_a2) : "memory");
    return r_a0;
}

/// A system call with four arguments.
inline long syscall4(long n, long a1, long a2, long a3, long a4) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0") = a1;
    register long r_a1 asm("a1") = a2;
    register long r_a2 asm("a2") = a3;
    register long r_a3 asm("a3") = a4;
    asm volatile("ecall" : "+r"(r_a0) : "r"(r_a7), "r"(r_a1), "r"(r_a2), "r"(r_a3) : "memory");
    return r_a0;
}

/// A system call with five arguments.
inline long syscall5(long n, long a1, long a2, long a3, long a4, long a5) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0") = a1;
    register long r_a1 asm("a1") = a2;
    register long r_a2 asm("a2") = a3;
    register long r_a3 asm("a3") = a4;
    register long r_a4 asm("a4") = a5;
    asm volatile("ecall"
                 : "+r"(r_a0)
                 : "r"(r_a7), "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4)
                 : "memory");
    return r_a0;
}

/// A system call with six arguments.
inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) noexcept {
    register long r_a7 asm("a7") = n;
    register long r_a0 asm("a0") = a1;
    register long r_a1 asm("a1") = a2;
    register long r_a2 asm("a2") = a3;
    register long r_a3 asm("a3") = a4;
    register long r_a4 asm("a4") = a5;
    register long r_a5 asm("a5") = a6;
    asm volatile("ecall"
                 : "+r"(r_a0)
                 : "r"(r_a7), "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5)
                 : "memory");
    return r_a0;
}

} // namespace rawring::arch
