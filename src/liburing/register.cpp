// SPDX-License-Identifier: MIT
// The liburing face's probe, registration, buffer-ring, recvmsg and version functions, exported
// extern "C" for C programs and C++ below C++20 (the definitions: rawring_register_impl.hpp).

// cpu_set_t, and so io_uring_register_iowq_aff, exist only with _GNU_SOURCE (g++ defines it).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

// rawring's headers first: liburing/io_uring.h turns IORING_* into macros, which would break
// their `abi::IORING_*` spellings.
#include <rawring/rawring.hpp>

// liburing.h's extern "C" declarations, not its C++20 inline definitions.
#define RAWRING_LIBURING_NO_INLINE
#include <liburing.h>

// Empty: the definitions take their C linkage from the declarations in liburing.h.
#define RAWRING_LIBURING_DEF
#include "liburing/rawring_register_impl.hpp"
