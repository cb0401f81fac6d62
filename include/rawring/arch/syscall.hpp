// SPDX-License-Identifier: MIT
// Picks the raw system-call header for the architecture being compiled for.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

// Each header defines, in rawring::arch, syscall0..syscall6 (inline asm, no libc, the kernel's
// result returned as is: -errno on failure) and the nr_* numbers of the calls rawring makes.
#if defined(__x86_64__) && !defined(__ILP32__)
#include "rawring/arch/x86_64.hpp"
#elif defined(__aarch64__) && !defined(__ILP32__)
#include "rawring/arch/aarch64.hpp"
#elif defined(__riscv) && __riscv_xlen == 64
#include "rawring/arch/riscv64.hpp"
#else
#error "rawring: the raw syscall backend supports x86_64, aarch64 and riscv64 only; build with -Dsyscall=libc"
#endif

namespace rawring::arch {

// mmap(2)'s protection and flag bits rawring uses: the same values on all three architectures.
inline constexpr long prot_read = 0x1;
inline constexpr long prot_write = 0x2;
inline constexpr long map_shared = 0x01;
inline constexpr long map_private = 0x02;
inline constexpr long map_anonymous = 0x20;

} // namespace rawring::arch
