// SPDX-License-Identifier: MIT
// Taking the opcode probe.
#include "rawring/probe.hpp"

#include "rawring/ring.hpp"

namespace rawring {

probe get_probe(ring_state& r) noexcept {
    probe p;
    // The kernel reads the header and ops as one buffer and wants it zeroed; hdr_ and ops_ are
    // adjacent in probe (checked below), so pass the header's address and the ops count.
    static_assert(offsetof(probe, ops_) == offsetof(probe, hdr_) + sizeof(abi::io_uring_probe));
    const int ret = r.register_op(abi::IORING_REGISTER_PROBE, &p.hdr_, probe::max_ops);
    p.status_ = ret < 0 ? ret : 0;
    return p;
}

probe get_probe() noexcept {
    ring r;
    if (const int ret = r.init(2); ret < 0) {
        probe p;
        p.status_ = ret;
        return p;
    }
    return get_probe(r);
}

} // namespace rawring
