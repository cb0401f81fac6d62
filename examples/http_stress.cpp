// SPDX-License-Identifier: MIT
// http_stress: a bounded HTTP/1.1 stress client: TOTAL requests spread over CONCURRENCY
// keep-alive connections, one coroutine each, every response checked byte for byte.
//
// Usage:
//   http_stress                          its own server (http_server's connection coroutine)
//                                        in the same loop, 1000 requests over 50 connections
//   http_stress PORT TOTAL CONCURRENCY   against the server on 127.0.0.1:PORT
// Prints "http_stress: TOTAL responses ok", then the request rate and the wall time.
//
// What it shows: concurrency is a number of coroutines. CONCURRENCY connection coroutines
// run at once (when_all over a range of tasks); each takes requests from a shared budget
// until it is spent (one thread: a plain counter is enough), one request in flight per
// connection. The loop keeps all their recvs and sends in flight on one ring.
#include "coro_common.hpp"

#include <chrono>
#include <span>
#include <vector>

namespace {

namespace co = rawring::co;
using example::fail;

struct budget {
    long left;   // requests not yet taken
    long ok = 0; // responses that were exactly http_response
};

/// One connection: requests while the budget lasts. 0, or -errno (-EPROTO: a wrong response).
co::task<int> connection(rawring::loop& l, const sockaddr_in* addr, budget* b) {
    const int fd = co_await co::tcp_connect(l, reinterpret_cast<const sockaddr*>(addr), sizeof *addr,
                                            SOCK_STREAM | SOCK_CLOEXEC);
    if (fd < 0) co_return fd;
    example::unique_fd guard(fd);
    example::http_reader reader;
    while (b->left > 0) {
        --b->left;
        const auto& rq = example::http_request;
        if (int r = co_await example::send_all(l, fd, rq.data(), rq.size()); r < 0) co_return r;
        const int r = co_await reader.next(l, fd, example::http_response);
        if (r < 0) co_return r;
        if (r == 0) co_return -EPROTO;
        ++b->ok;
    }
    co_await co::close(l, guard.release());
    co_return 0;
}

/// Every connection at once: 0 or the first -errno.
co::task<int> stress(rawring::loop& l, const sockaddr_in* addr, budget* b, long concurrency) {
    std::vector<co::task<int>> tasks;
    tasks.reserve(static_cast<std::size_t>(concurrency));
    for (long i = 0; i < concurrency; ++i) tasks.push_back(connection(l, addr, b));
    co_await co::when_all(std::span<co::task<int>>(tasks));
    for (auto& t : tasks)
        if (const int r = t.result(); r < 0) co_return r;
    co_return 0;
}

/// The demo: a server in the same loop, raced against the stress run.
co::task<int> demo(rawring::loop& l, int lfd, const sockaddr_in* addr, budget* b, long concurrency) {
    co::scope conns;
    auto r = co_await co::when_any(example::accept_loop(l, lfd, conns, example::http_connection),
                                   stress(l, addr, b, concurrency));
    co_await conns.join();
    if (r.index != 1) co_return r.value < 0 ? r.value : -EPROTO;
    co_return r.value;
}

} // namespace

int main(int argc, char** argv) {
    long port = 0, total = 1000, concurrency = 50;
    if (argc == 4) {
        port = example::number_arg(argv[1], 1, 65535);
        total = example::number_arg(argv[2], 1, 1'000'000'000);
        concurrency = example::number_arg(argv[3], 1, 10000);
    }
    if ((argc != 1 && argc != 4) || port < 0 || total < 0 || concurrency < 0) {
        std::fprintf(stderr, "usage: http_stress [PORT TOTAL CONCURRENCY]\n");
        return 2;
    }
    if (concurrency > total) concurrency = total;
    sockaddr_in addr{};
    example::unique_fd listener;
    budget b{total};
    rawring::loop l;
    rawring::loop_options o;
    // Two connection ends per connection in the demo, a task in flight on each (and a tcp_connect
    // is one task throughout): a pool and a CQ with room for all.
    o.tasks = static_cast<unsigned>(4 * concurrency + 64 > 1024 ? 4 * concurrency + 64 : 1024);
    o.cq_entries = o.tasks;
    if (int ret = example::init_loop(l, 256, o); ret != 0) return ret;
    if (int ret = example::need_ops(l, {{rawring::abi::IORING_OP_SOCKET, "IORING_OP_SOCKET (Linux 5.19)"}}); ret != 0)
        return ret;

    const auto t0 = std::chrono::steady_clock::now();
    int r;
    if (argc == 4) {
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        r = co::run(l, stress(l, &addr, &b, concurrency));
    } else {
        const int lfd = example::listen_loopback(0, addr);
        if (lfd < 0) return fail("http_stress", "listen", lfd);
        listener = example::unique_fd(lfd);
        r = example::run_bounded(l, demo(l, lfd, &addr, &b, concurrency));
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r < 0) return fail("http_stress", "run", r);
    if (b.ok != total) {
        std::fprintf(stderr, "http_stress: %ld of %ld responses ok\n", b.ok, total);
        return 1;
    }
    std::printf("http_stress: %ld responses ok\n", b.ok);
    std::printf("http_stress: %.0f requests/s over %ld connections (%.3f s)\n", static_cast<double>(b.ok) / secs,
                concurrency, secs);
    return 0;
}
