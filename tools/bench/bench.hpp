// SPDX-License-Identifier: MIT
// rawring-bench: the interface between the driver and the two library sides, which live in
// separate translation units (liburing's header defines as macros what rawring defines as
// constants, so the two never meet in one file).
#pragma once

#include <cstdint>

namespace bench {

/// Ring configurations, the same for both libraries.
enum class config {
    plain,        ///< flags 0
    single,       ///< SINGLE_ISSUER | DEFER_TASKRUN
    regfd,        ///< flags 0, ring fd registered
    recommended,  ///< rawring: SINGLE_ISSUER | DEFER_TASKRUN + registered fd; liburing: flags 0
};

const char* config_name(config c);

/// What one timed run measured: nanoseconds per operation, or a negative errno.
struct timing {
    double ns_per_op;
    int error;  // 0, or -errno when the run could not be made
};

/// The TCP echo workload's figures.
struct echo_timing {
    double msgs_per_s;
    double p50_us;
    double p99_us;
    int error;
};

/// One library's implementation of every workload. `ops` is how many operations to time
/// (after a warm-up); the side sets up and tears down its own ring around the timed loop.
struct side {
    const char* name;
    timing (*nop)(config c, unsigned batch, std::uint64_t ops);
    timing (*read)(config c, unsigned depth, bool fixed, int fd, std::uint64_t file_size, std::uint64_t ops);
    timing (*pingpong)(config c, bool socket, std::uint64_t ops);
    echo_timing (*echo)(config c, unsigned connections, std::uint64_t msgs);
};

extern const side rawring_side;
#ifdef RAWRING_BENCH_LIBURING
extern const side liburing_side;
#endif

/// A fixed pseudo-random 4 KiB-aligned offset sequence, the same for both libraries.
inline std::uint64_t next_offset(std::uint64_t& state, std::uint64_t file_size) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (state % (file_size / 4096)) * 4096;
}

double now_ns();

} // namespace bench
