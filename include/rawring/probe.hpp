// SPDX-License-Identifier: MIT
// The kernel's opcode probe (IORING_REGISTER_PROBE), held by value with no heap.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <cstdint>

#include "rawring/abi.hpp"

namespace rawring {

struct ring_state;

/// What the kernel said about each opcode. A probe that could not be taken has status() < 0
/// and reports every opcode unsupported.
class probe {
public:
    /// 0 if the kernel answered, else -errno (-EINVAL before Linux 5.6, -EBADF on a closed ring).
    [[nodiscard]] int status() const noexcept { return status_; }

    /// Whether the kernel supports opcode `op`. liburing: `io_uring_opcode_supported()`;
    /// Zig: `Probe.is_supported()`.
    [[nodiscard]] bool supported(unsigned op) const noexcept {
        return status_ == 0 && op <= hdr_.last_op && op < hdr_.ops_len && op < max_ops &&
               (ops_[op].flags & abi::IO_URING_OP_SUPPORTED) != 0;
    }

    /// The highest opcode this kernel knows (valid when status() == 0).
    [[nodiscard]] unsigned last_op() const noexcept { return hdr_.last_op; }

    /// Room for every opcode an 8-bit field can name.
    static constexpr unsigned max_ops = 256;

private:
    friend probe get_probe(ring_state& r) noexcept;
    friend probe get_probe() noexcept;
    int status_ = 0;
    abi::io_uring_probe hdr_{};
    abi::io_uring_probe_op ops_[max_ops]{};
};

/// Probes the opcodes through `r`. liburing: `io_uring_get_probe_ring()`; Zig: `get_probe()`.
/// Since Linux 5.6.
[[nodiscard]] probe get_probe(ring_state& r) noexcept;

/// Probes through a short-lived ring of its own. liburing: `io_uring_get_probe()`.
[[nodiscard]] probe get_probe() noexcept;

} // namespace rawring
