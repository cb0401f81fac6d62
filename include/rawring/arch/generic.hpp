// SPDX-License-Identifier: MIT
// The generic Linux system call numbers (include/uapi/asm-generic/unistd.h) rawring uses, shared
// by every architecture built on that table (aarch64, riscv64).
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

namespace rawring::arch {

inline constexpr long nr_unlinkat = 35;
inline constexpr long nr_openat = 56;
inline constexpr long nr_close = 57;
inline constexpr long nr_write = 64;
inline constexpr long nr_exit = 93;
inline constexpr long nr_exit_group = 94;
inline constexpr long nr_clock_gettime = 113;
inline constexpr long nr_sched_yield = 124;
inline constexpr long nr_getpid = 172;
inline constexpr long nr_gettid = 178;
inline constexpr long nr_munmap = 215;
inline constexpr long nr_prlimit64 = 261;
inline constexpr long nr_mmap = 222;
inline constexpr long nr_io_uring_setup = 425;
inline constexpr long nr_io_uring_enter = 426;
inline constexpr long nr_io_uring_register = 427;

} // namespace rawring::arch
