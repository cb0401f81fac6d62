// SPDX-License-Identifier: MIT
// rawring-bench: what the driver needs and that involves neither library: clocks, statistics,
// the read workload's file, pinning, and counting io_uring_enter calls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench.hpp"

namespace bench {

/// The three clocks read around each chunk. `thread_ns` is the benchmark thread's CPU time
/// (user + system: the kernel's inline work for the thread's own io_uring_enter calls is in
/// it); `process_ns` adds every other thread of the process, which is where io-wq workers and
/// an SQPOLL thread run (they are threads of the ring's creator); `wall_ns` is CLOCK_MONOTONIC.
struct clocks {
    double thread_ns = 0;
    double process_ns = 0;
    double wall_ns = 0;
};
clocks read_clocks();

/// Order statistics of a sample: median, quartiles (linear interpolation) and a distribution-free
/// 95 % confidence interval of the median (binomial order statistics).
struct summary {
    std::size_t n = 0;
    double median = 0, q1 = 0, q3 = 0, lo95 = 0, hi95 = 0;
};
summary summarize(std::vector<double> v);

/// Creates (or re-uses, when it already has `size` bytes) the read workload's file and opens it.
/// Returns the fd or -errno.
int make_read_file(const std::string& path, std::uint64_t size);

/// Reads the whole file once so that every page is in the page cache and recently used: this
/// machine runs DAMON pageout, which evicts page-cache pages left cold. 0 or -errno.
int rewarm(int fd, std::uint64_t size);

/// The filesystem type of `path` ("ext4", "tmpfs", ...), or "?".
std::string fs_type(const std::string& path);

/// Pins the calling thread to `cpu`; -1 picks the highest CPU of the allowed set. Returns the
/// CPU pinned to, or -errno.
int pin_to_cpu(int cpu);

/// Counts this thread's io_uring_enter system calls exactly, through the
/// syscalls:sys_enter_io_uring_enter tracepoint (perf_event_open; needs tracefs and the
/// privilege to use tracepoints). Open it only around the chunks it counts: an attached
/// tracepoint adds kernel time to every enter, so the timed chunks run with it closed.
class enter_counter {
public:
    enter_counter() = default;
    enter_counter(const enter_counter&) = delete;
    enter_counter& operator=(const enter_counter&) = delete;
    ~enter_counter() { close(); }
    /// 0, or -errno when the tracepoint cannot be used (the count is then unknown).
    int open();
    void close();
    /// The count so far, or -1 when not open.
    std::int64_t read() const;

private:
    int fd_ = -1;
};

} // namespace bench
