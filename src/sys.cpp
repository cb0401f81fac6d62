// SPDX-License-Identifier: MIT
// The seam's one mutable part, common to both backends: replacing the table of system calls.
// Each backend (sys_libc.cpp, sys_raw.cpp) defines `calls`, starting as its own table.
#include "rawring/sys.hpp"

namespace rawring::sys {

backend set_backend(const backend& b) noexcept {
    const backend previous = calls;
    calls = b;
    return previous;
}

} // namespace rawring::sys
