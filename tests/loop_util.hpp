// SPDX-License-Identifier: MIT
// What the loop and coroutine tests share: setting a loop up.
#pragma once

#include <cstring>

#include "common.hpp"
#include "rawring/loop.hpp"

namespace rawring_test {

/// Whether the kernel takes a sparse file table of `nr` slots (IORING_REGISTER_FILES2 with
/// IORING_RSRC_REGISTER_SPARSE, Linux 5.19) on a ring of its own: 0 or the kernel's -errno,
/// asked by raw system calls only.
inline int kernel_takes_sparse_files(unsigned nr) {
    rawring::abi::io_uring_params p{};
    const int fd = rawring::sys::setup(2, &p);
    if (fd < 0) return fd;
    rawring::abi::io_uring_rsrc_register reg{};
    reg.nr = nr;
    reg.flags = rawring::abi::IORING_RSRC_REGISTER_SPARSE;
    const int ret = rawring::sys::register_(fd, rawring::abi::IORING_REGISTER_FILES2, &reg, sizeof(reg));
    (void)rawring::sys::close(fd);
    return ret < 0 ? ret : 0;
}

/// Sets `l` up and returns true, or returns false with a SKIP when this kernel cannot give what
/// `o` insists on. With nothing insisted on (no setup flag forced, no io-wq to attach, no files
/// to register) init has a plain ring to fall back to wherever the raw syscall sets one up, so
/// a failure there is the loop's own, and the case fails. A file table is a skip only where
/// the loop sets up without it and the raw syscall refuses the table too.
inline bool open_loop(rawring::loop& l, unsigned entries = 64, const rawring::loop_options& o = {}) {
    const int ret = l.init(entries, o);
    if (ret == 0) return true;
    if (o.registered_files != 0) {
        // Is it the file table? If the loop sets up without one, the kernel must refuse the
        // table itself for this to be a skip.
        rawring::loop_options without = o;
        without.registered_files = 0;
        rawring::loop probe;
        if (probe.init(entries, without) == 0) {
            const int kernel = kernel_takes_sparse_files(o.registered_files);
            if (kernel != 0) {
                RAWRING_SKIP("loop init refused: a file table of " << o.registered_files << " ("
                                                                   << std::strerror(-kernel) << ")");
                return false;
            }
            std::ostringstream text;  // not doctest's stream: it prints a const char* as an address
            text << "loop init gave " << ret << " (" << std::strerror(-ret) << ") with a file table of "
                 << o.registered_files << ", which this kernel registers";
            FAIL_CHECK(text.str());
            return false;
        }
    }
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
