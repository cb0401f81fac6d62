// SPDX-License-Identifier: MIT
// Umbrella header: everything rawring offers.
#pragma once

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
