// SPDX-License-Identifier: MIT
// What the per-opcode kernel tests share: their ring configurations, round trips with a deadline, probe gates.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common.hpp"
#include "net.hpp"
#include "rawring/buf_ring.hpp"

namespace rawring_test::ops {

namespace abi = rawring::abi;

/// Every `op:` case runs on each of these: the default ring and a ring whose completions
/// only arrive when the submitting task waits (DEFER_TASKRUN).
inline constexpr config op_configs[] = {
    {"default", 0},
    {"SINGLE_ISSUER|DEFER_TASKRUN",
     abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN},
};

/// The next SQE; the case fails if the SQ is full.
inline io_uring_sqe* sqe_of(rawring::ring& r) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    return sqe;
}

/// Reaps `n` CQEs and returns them sorted by user_data (for batches whose order is not defined).
inline std::vector<io_uring_cqe> reap_sorted(rawring::ring& r, unsigned n) {
    std::vector<io_uring_cqe> out;
    for (unsigned i = 0; i < n; ++i) out.push_back(reap(r));
    std::sort(out.begin(), out.end(),
              [](const io_uring_cqe& a, const io_uring_cqe& b) { return a.user_data < b.user_data; });
    return out;
}

/// True when no CQE arrives within `timeout_ms` (the wait enters the kernel, so deferred task
/// work runs and would post anything that is ready).
inline bool no_cqe_within(rawring::ring& r, long timeout_ms) {
    const abi::kernel_timespec ts = ms(timeout_ms);
    io_uring_cqe* cqe = nullptr;
    return r.wait_cqe_timeout(&cqe, &ts) == -rawring::err::etime && r.cq_ready() == 0;
}

/// Submits what is queued, checks the kernel took exactly `n` SQEs.
inline void submit_n(rawring::ring& r, unsigned n) {
    REQUIRE(r.submit() == static_cast<int>(n));
    CHECK(r.sq_ready() == 0);
}

/// Preps one SQE with `prep`, tags it with `data`, submits it alone and returns its CQE.
template <class Prep>
io_uring_cqe run_one(rawring::ring& r, std::uint64_t data, Prep&& prep) {
    io_uring_sqe* sqe = sqe_of(r);
    prep(sqe);
    rawring::sqe_set_data64(sqe, data);
    submit_n(r, 1);
    const io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == data);
    return cqe;
}

/// The ring is idle and still works: nothing queued or pending, a NOP makes the round trip,
/// and the kernel consumed every SQE it was given.
inline void check_usable(rawring::ring& r) {
    CHECK(r.sq_ready() == 0);
    CHECK(r.cq_ready() == 0);
    CHECK_FALSE(r.cq_has_overflow());
    const io_uring_cqe cqe = run_one(r, 0xfeedf00d, [](io_uring_sqe* sqe) { rawring::prep_nop(sqe); });
    CHECK(cqe.res == 0);
    CHECK(cqe.flags == 0);
    CHECK(r.cq_ready() == 0);
    CHECK(*r.sq().khead == *r.sq().ktail);
    CHECK(*r.cq().khead == *r.cq().ktail);
}

/// Whether this kernel's probe lists `op`; if not, the case says SKIP with the reason.
inline bool op_supported(abi::io_uring_op op) {
    const rawring::probe p = rawring::get_probe();
    if (p.status() < 0) {
        RAWRING_SKIP("no opcode probe on this kernel (" << std::string(std::strerror(-p.status())) << ")");
        return false;
    }
    if (!p.supported(op)) {
        RAWRING_SKIP("this kernel's probe does not list IORING_OP_" << std::string(rawring::opcodes[op].name));
        return false;
    }
    return true;
}

/// Runs `body(ring&, const config&)` on a fresh ring of each op configuration, then checks
/// the ring is still consistent and usable.
template <class Body>
void each_ring(unsigned entries, Body&& body) {
    for (const config& c : op_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, entries)) continue;
        body(r, c);
        check_usable(r);
    }
}

/// Whole contents of the file at `path` ("" if it cannot be read).
inline std::string slurp(const std::string& path) {
    std::string out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

/// pread of `n` bytes at `off` as a string.
inline std::string pread_str(int fd, std::size_t n, off_t off) {
    std::string out(n, '\0');
    const ssize_t got = ::pread(fd, out.data(), n, off);
    out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return out;
}

inline bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace rawring_test::ops
