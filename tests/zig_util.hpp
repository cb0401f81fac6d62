// SPDX-License-Identifier: MIT
// What the ports of Zig's IoUring.zig tests share: their ring configurations and CQE checks.
#pragma once

#include <fcntl.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "common.hpp"

namespace rawring_test {

/// The ring configurations every port runs under: Zig's (flags 0) and the one that defers
/// completion work to the waiting task.
inline constexpr config zig_configs[] = {
    {"default", 0},
    {"SINGLE_ISSUER|DEFER_TASKRUN",
     rawring::abi::IORING_SETUP_SINGLE_ISSUER | rawring::abi::IORING_SETUP_DEFER_TASKRUN},
};

/// Runs `body(ring&)` on a fresh ring of `entries` entries under each configuration.
template <class F>
void on_zig_rings(unsigned entries, F&& body) {
    for (const config& c : zig_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, entries)) continue;
        body(r);
    }
}

/// The next free SQE; the SQ must not be full.
inline io_uring_sqe* next_sqe(rawring::ring& r) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    return sqe;
}

/// Waits for the next CQE and takes it out of the ring. Zig: `ring.copy_cqe()`.
inline io_uring_cqe take_cqe(rawring::ring& r) {
    io_uring_cqe cqe{};
    REQUIRE(r.copy_cqe(cqe) == 0);
    return cqe;
}

/// Zig's `expectEqual(Cqe{...}, cqe)`, field by field so a failure names the field.
#define CHECK_CQE(cqe_expr, data, result, cqe_flags)        \
    do {                                                    \
        const io_uring_cqe& c_ = (cqe_expr);                \
        CHECK(c_.user_data == (data));                      \
        CHECK(c_.res == (result));                          \
        CHECK(c_.flags == static_cast<std::uint32_t>(cqe_flags)); \
    } while (0)

/// True when the `n` bytes at `p` all equal `value`.
inline bool all_bytes(const unsigned char* p, std::size_t n, unsigned char value) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] != value) return false;
    return true;
}

/// True when `fd` is no longer open in this process.
inline bool fd_is_closed(int fd) {
    errno = 0;
    const int ret = ::fcntl(fd, F_GETFD);
    return ret == -1 && errno == EBADF;  // errno read before any doctest output can change it
}

} // namespace rawring_test
