// SPDX-License-Identifier: MIT
// librawring-liburing's setup, submission and completion functions: the exported extern "C"
// symbols behind liburing.h for C programs and C++ before C++20 (C++20 inlines the same
// definitions, liburing/rawring_queue_impl.hpp).
#include "rawring/rawring.hpp"  // first: liburing.h's IORING_* macros would rewrite its names

#define RAWRING_LIBURING_NO_INLINE
#include <liburing.h>

#define RAWRING_LIBURING_DEF
#include "liburing/rawring_queue_impl.hpp"
