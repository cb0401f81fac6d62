// SPDX-License-Identifier: MIT
// Umbrella header: everything rawring offers.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

// Below C++20 the rest is skipped, so that config.hpp's #error is the build's only error.
#if RAWRING_CPLUSPLUS > 201703L
#include "rawring/abi.hpp"
#include "rawring/buf_ring.hpp"
#include "rawring/errno.hpp"
#include "rawring/opcodes.hpp"
#include "rawring/prep.hpp"
#include "rawring/probe.hpp"
#include "rawring/recvmsg.hpp"
#include "rawring/register.hpp"
#include "rawring/ring.hpp"
#include "rawring/sys.hpp"
#include "rawring/zig_queue.hpp"
#endif
