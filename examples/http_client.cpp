// SPDX-License-Identifier: MIT
// http_client: N sequential HTTP/1.1 GET requests over one keep-alive connection, each
// response checked byte for byte (rawring::co over rawring::loop).
//
// Usage:
//   http_client                 its own server (http_server's connection coroutine) in the
//                               same loop on 127.0.0.1, and 100 requests to it
//   http_client PORT N          N requests to the server on 127.0.0.1:PORT
// Prints "http_client: N responses ok".
//
// What it shows: a client is a coroutine that reads as the protocol does. co::tcp_connect
// (IORING_OP_SOCKET then IORING_OP_CONNECT, one loop task), then per request a send and as
// many recvs as the response takes (example::http_reader: the head up to "\r\n\r\n", then
// Content-Length bytes of body). With its own server the demo is two coroutines racing in one
// thread: when_any(accept loop, client); the client ends first and the accept loop is
// cancelled.
#include "coro_common.hpp"

namespace {

namespace co = rawring::co;
using example::fail;

/// `n` requests over one connection to `addr`: how many responses were exactly http_response
/// (n when all were), or -errno.
co::task<int> client(rawring::loop& l, const sockaddr_in* addr, long n) {
    const int fd = co_await co::tcp_connect(l, reinterpret_cast<const sockaddr*>(addr), sizeof *addr,
                                            SOCK_STREAM | SOCK_CLOEXEC);
    if (fd < 0) co_return fd;
    example::unique_fd guard(fd);
    example::http_reader reader;
    int ok = 0;
    for (long i = 0; i < n; ++i) {
        const auto& rq = example::http_request;
        if (int r = co_await example::send_all(l, fd, rq.data(), rq.size()); r < 0) co_return r;
        const int r = co_await reader.next(l, fd, example::http_response);
        if (r < 0) co_return r;
        if (r == 0) break;  // not the expected bytes, or the server closed
        ++ok;
    }
    co_await co::close(l, guard.release());
    co_return ok;
}

/// The demo: a server in the same loop, raced against the client.
co::task<int> demo(rawring::loop& l, int lfd, const sockaddr_in* addr, long n) {
    co::scope conns;
    auto r = co_await co::when_any(example::accept_loop(l, lfd, conns, example::http_connection),
                                   client(l, addr, n));
    co_await conns.join();
    if (r.index != 1) co_return r.value < 0 ? r.value : -EPROTO;
    co_return r.value;
}

} // namespace

int main(int argc, char** argv) {
    long port = 0, n = 100;
    if (argc == 3) {
        port = example::number_arg(argv[1], 1, 65535);
        n = example::number_arg(argv[2], 1, 1'000'000'000);
    }
    if ((argc != 1 && argc != 3) || port < 0 || n < 0) {
        std::fprintf(stderr, "usage: http_client [PORT N]\n");
        return 2;
    }
    sockaddr_in addr{};
    example::unique_fd listener;
    rawring::loop l;
    if (int ret = example::init_loop(l, 64); ret != 0) return ret;
    if (int ret = example::need_ops(l, {{rawring::abi::IORING_OP_SOCKET, "IORING_OP_SOCKET (Linux 5.19)"}}); ret != 0)
        return ret;

    int r;
    if (argc == 3) {
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        r = co::run(l, client(l, &addr, n));
    } else {
        const int lfd = example::listen_loopback(0, addr);
        if (lfd < 0) return fail("http_client", "listen", lfd);
        listener = example::unique_fd(lfd);
        r = example::run_bounded(l, demo(l, lfd, &addr, n));
    }
    if (r < 0) return fail("http_client", "run", r);
    if (r != n) {
        std::fprintf(stderr, "http_client: %d of %ld responses ok, then a wrong one or none\n", r, n);
        return 1;
    }
    std::printf("http_client: %d responses ok\n", r);
    return 0;
}
