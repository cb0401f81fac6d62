// SPDX-License-Identifier: MIT
// rawring::inject: seeded fault injection behind the system-call seam (rawring/sys.hpp).
//
// An installed `injector` wraps whatever backend is in force (the kernel, or a mock kernel) and
// gives a share of the io_uring system calls a fault of the kind the kernel itself returns:
//   - enter: -EAGAIN or -EBUSY with nothing consumed; -EINTR as a signal during the wait gives
//     it (the SQEs are submitted, the wait is cut short: the submitted count, or -EINTR when
//     there was nothing to submit); a short submit (1..n-1 of n SQEs consumed, no wait, as the
//     kernel does when it stops early; only on rings set up while the injector was installed,
//     since it learns from setup which rings have an SQPOLL thread, which ignores the count);
//   - register: -ENOMEM, -EINTR or -EBUSY, nothing registered;
//   - setup: -ENOMEM or -EMFILE; ring mmap and anonymous mmap: -ENOMEM.
// rawring must turn each into its documented -errno with no SQE dropped or submitted twice and no
// CQE lost; tools/rawring-fuzz checks that. Part of the `rawring-mock` library.
#pragma once

#include "rawring/config.hpp"

#include <cstdint>

#include "rawring/sys.hpp"

namespace rawring::inject {

/// Which faults to give, and how often.
struct options {
    double rate = 0.02;        ///< the share of eligible calls given a fault, 0..1
    std::uint64_t seed = 1;    ///< the same seed and call sequence give the same faults
    bool enter_errors = true;  ///< -EAGAIN, -EBUSY, -EINTR on io_uring_enter
    bool short_submits = true; ///< io_uring_enter consuming fewer SQEs than asked
    bool register_errors = true; ///< io_uring_register failing (never the UNREGISTER_* ops)
    bool setup_errors = false;   ///< io_uring_setup failing
    bool mmap_errors = true;     ///< ring and anonymous mappings failing
};

/// How many calls the injector saw and what it did to them.
struct counts {
    std::uint64_t calls = 0;         ///< every call through the injector
    std::uint64_t faults = 0;        ///< the sum of the kinds below
    std::uint64_t eagain = 0, ebusy = 0, eintr = 0, short_submits = 0;
    std::uint64_t register_errors = 0, setup_errors = 0, mmap_errors = 0;
};

/// A seeded fault injector. One at a time; not for use from several threads at once (its draw
/// is a single sequence, so that a seed reproduces a run).
class injector {
public:
    explicit injector(const options& opts = {}) noexcept;
    ~injector();  ///< uninstalls if installed
    injector(const injector&) = delete;
    injector& operator=(const injector&) = delete;

    /// Wraps the backend in force now. Returns 0, or -EBUSY when an injector is installed.
    int install() noexcept;
    /// Restores the backend that install() wrapped.
    void uninstall() noexcept;

    /// While paused, every call passes through unchanged (e.g. around a test's own teardown).
    void pause(bool paused) noexcept;
    /// Changes the rate from now on.
    void set_rate(double rate) noexcept;

    [[nodiscard]] counts stats() const noexcept;

private:
    options opts_;
};

} // namespace rawring::inject
