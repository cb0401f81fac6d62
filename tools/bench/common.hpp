// SPDX-License-Identifier: MIT
// rawring-bench: what both library sides share and that involves no io_uring (sockets, the
// echo client, statistics).
#pragma once

#include <cstdint>
#include <thread>
#include <vector>

#include "bench.hpp"

namespace bench {

/// Message size of the ping-pong and echo workloads.
inline constexpr unsigned msg_size = 64;

/// A TCP listener on 127.0.0.1 (port picked by the kernel, written to *port). -errno on failure.
int make_listener(std::uint16_t* port);

/// The echo client, identical for both libraries: `connections` blocking sockets to `port`;
/// each round sends one message on every socket, then reads every echo, recording each
/// message's round-trip time in `latencies_ns`. Runs until `msgs` messages came back.
std::thread start_echo_client(std::uint16_t port, unsigned connections, std::uint64_t msgs,
                              std::vector<double>& latencies_ns);

/// Accepts `n` connections on `listener` into `fds` (plain accept4: not timed). -errno on failure.
int accept_all(int listener, unsigned n, std::vector<int>& fds);

/// Throughput and percentiles of an echo run.
echo_timing summarize_echo(std::vector<double>& latencies_ns, double elapsed_ns);

/// Shuts down every connection and the listener so a waiting echo client gives up.
void shutdown_all(const std::vector<int>& fds, int listener);

/// Closes every fd in `fds` and `listener`.
void close_all(std::vector<int>& fds, int listener);

} // namespace bench
