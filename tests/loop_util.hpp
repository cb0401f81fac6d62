// SPDX-License-Identifier: MIT
// What the loop and coroutine tests share: setting a loop up.
#pragma once

#include <cstring>

#include "common.hpp"
#include "rawring/loop.hpp"

namespace rawring_test {

/// Sets `l` up and returns true, or returns false with a SKIP when this kernel cannot give what
/// `o` insists on. With nothing insisted on (no setup flag forced, no io-wq to attach, no files
/// to register) init has a plain ring to fall back to wherever the raw syscall sets one up, so
/// a failure there is the loop's own, and the case fails.
inline bool open_loop(rawring::loop& l, unsigned entries = 64, const rawring::loop_options& o = {}) {
    const int ret = l.init(entries, o);
    if (ret == 0) return true;
    using rawring::setup_choice;
    const bool insists = o.defer_taskrun == setup_choice::force || o.coop_taskrun == setup_choice::force ||
                         o.submit_all == setup_choice::force || o.clamp == setup_choice::force ||
                         o.accept_poll_first == setup_choice::force || o.attach_wq_fd >= 0 ||
                         o.registered_files != 0;
    if (insists || setup_accepts(0) != 0) {
        RAWRING_SKIP("loop init refused: " << std::strerror(-ret));
        return false;
    }
    std::ostringstream text;  // not doctest's stream: it prints a const char* as an address
    text << "loop init gave " << ret << " (" << std::strerror(-ret) << ") with nothing forced";
    FAIL_CHECK(text.str());
    return false;
}

} // namespace rawring_test
