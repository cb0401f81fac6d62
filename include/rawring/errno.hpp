// SPDX-License-Identifier: MIT
// The errno values rawring's calls return (negated), without <cerrno> in a public header.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

namespace rawring::err {

// Linux's generic errno numbers (x86, arm, arm64, riscv, and most others; src/ checks them
// against <cerrno> at build time). Lower-case names so they never collide with errno macros.
inline constexpr int eintr = 4;
inline constexpr int enxio = 6;
inline constexpr int ebadf = 9;
inline constexpr int eagain = 11;
inline constexpr int enomem = 12;
inline constexpr int efault = 14;
inline constexpr int ebusy = 16;
inline constexpr int eexist = 17;
inline constexpr int einval = 22;
inline constexpr int emfile = 24;
inline constexpr int erange = 34;
inline constexpr int etime = 62;
inline constexpr int eopnotsupp = 95;
inline constexpr int enobufs = 105;

} // namespace rawring::err
