// SPDX-License-Identifier: MIT
// librawring-liburing's prep helpers, SQE setters and CQE accessors: the exported extern "C"
// symbols for C programs and C++ before C++20 (C++20 inlines the same definitions,
// liburing/rawring_prep_impl.hpp).
#include "rawring/rawring.hpp"  // first: liburing.h's IORING_* macros would rewrite its names

#define RAWRING_LIBURING_NO_INLINE
#include <liburing.h>

// Empty: the definitions take their C linkage from the declarations in liburing.h.
#define RAWRING_LIBURING_DEF
#include "liburing/rawring_prep_impl.hpp"
