// SPDX-License-Identifier: MIT
// http_server: an HTTP/1.1 keep-alive server with static responses, a coroutine per connection
// (rawring::co over rawring::loop).
//
// Usage:
//   http_server                 the server and 4 client coroutines on 127.0.0.1 in one loop:
//                               100 requests over 4 keep-alive connections (some pipelined),
//                               every response checked byte for byte
//   http_server --serve PORT    a server on 127.0.0.1:PORT (0: any) until SIGTERM or SIGINT;
//                               prints "listening on 127.0.0.1:PORT" first
//
// What it shows:
// - accept -> spawn: one coroutine accepts (co::accept), and each connection is a coroutine of
//   its own in a co::scope (example::http_connection in coro_common.hpp): recv until a
//   request's "\r\n\r\n", send the response, again, until the client closes. Straight-line
//   code; the loop runs every connection at once on one thread and one ring;
// - shutdown as a race: when_any(accept loop, read of a signalfd). The signal wins, the accept
//   loop is cancelled (its pending accept gets IORING_OP_ASYNC_CANCEL), then the scope cancels
//   every connection; each frame, with its buffer, lives until its recv's last CQE is in, and
//   its unique_fd closes the socket when it is destroyed.
#include "coro_common.hpp"

#include <array>
#include <span>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned clients = 4;
constexpr unsigned sequential = 20;  // per client, one request at a time
constexpr unsigned pipelined = 5;    // per client, then this many in one send

/// One client: `sequential` requests one after the other, then `pipelined` requests sent at
/// once; every response must be http_response exactly. Returns the responses checked, or -errno
/// (-EPROTO: a response was not the expected bytes).
co::task<int> client(rawring::loop& l, const sockaddr_in* addr) {
    const int fd = co_await co::tcp_connect(l, reinterpret_cast<const sockaddr*>(addr), sizeof *addr,
                                            SOCK_STREAM | SOCK_CLOEXEC);
    if (fd < 0) co_return fd;
    example::unique_fd guard(fd);
    example::http_reader reader;
    int ok = 0;
    for (unsigned i = 0; i < sequential; ++i) {
        const auto& rq = example::http_request;
        if (int r = co_await example::send_all(l, fd, rq.data(), rq.size()); r < 0) co_return r;
        const int r = co_await reader.next(l, fd, example::http_response);
        if (r != 1) co_return r < 0 ? r : -EPROTO;
        ++ok;
    }
    char batch[pipelined * example::http_request.size()];
    for (unsigned i = 0; i < pipelined; ++i)
        std::memcpy(batch + i * example::http_request.size(), example::http_request.data(),
                    example::http_request.size());
    if (int r = co_await example::send_all(l, fd, batch, sizeof batch); r < 0) co_return r;
    for (unsigned i = 0; i < pipelined; ++i) {
        const int r = co_await reader.next(l, fd, example::http_response);
        if (r != 1) co_return r < 0 ? r : -EPROTO;
        ++ok;
    }
    co_await co::close(l, guard.release());
    co_return ok;
}

/// Every client at once (when_all over a range): the total of responses checked, or the first
/// -errno.
co::task<int> all_clients(rawring::loop& l, const sockaddr_in* addr) {
    std::array<co::task<int>, clients> tasks;
    for (auto& t : tasks) t = client(l, addr);
    co_await co::when_all(std::span<co::task<int>>(tasks));
    int total = 0;
    for (auto& t : tasks) {
        const int r = t.result();
        if (r < 0) co_return r;
        total += r;
    }
    co_return total;
}

/// The demo: the server's accept loop raced against the clients. The clients end first; the
/// accept loop is then cancelled, and the connections end by themselves (each client closed).
co::task<int> demo(rawring::loop& l, int lfd, const sockaddr_in* addr) {
    co::scope conns;
    auto r = co_await co::when_any(example::accept_loop(l, lfd, conns, example::http_connection),
                                   all_clients(l, addr));
    co_await conns.join();
    if (r.index != 1) co_return r.value < 0 ? r.value : -EPROTO;  // the server stopped first
    co_return r.value;
}

} // namespace

int main(int argc, char** argv) {
    const int port = example::serve_port(argc, argv);
    if (port == -2 || (port == -1 && argc > 1)) {
        std::fprintf(stderr, "usage: http_server [--serve PORT]\n");
        return 2;
    }
    // What the coroutines use is declared before the loop, which outlives it: the loop's
    // destructor, after a failure, runs what is still in flight to its end.
    sockaddr_in addr{};
    example::unique_fd listener, signals;
    rawring::loop l;
    rawring::loop_options o;
    o.tasks = 2048;  // a recv or send in flight per connection: room for 2000 of them
    o.cq_entries = 2048;
    if (int ret = example::init_loop(l, 256, o); ret != 0) return ret;

    const int lfd = example::listen_loopback(port < 0 ? 0 : port, addr);
    if (lfd < 0) return fail("http_server", "listen", lfd);
    listener = example::unique_fd(lfd);

    if (port >= 0) {
        const int sfd = example::stop_signals();
        if (sfd < 0) return fail("http_server", "signalfd", sfd);
        signals = example::unique_fd(sfd);
        example::say_listening(addr);
        const int r = co::run(l, example::serve_until_signal(l, lfd, sfd, example::http_connection));
        if (r < 0) return fail("http_server", "serving", r);
        return 0;
    }

    // The demo's clients connect with IORING_OP_SOCKET; the server alone does not need it.
    if (int ret = example::need_ops(l, {{rawring::abi::IORING_OP_SOCKET, "IORING_OP_SOCKET (Linux 5.19)"}}); ret != 0)
        return ret;
    const int r = example::run_bounded(l, demo(l, lfd, &addr));
    if (r < 0) return fail("http_server", "demo", r);
    if (r != static_cast<int>(clients * (sequential + pipelined))) return fail("http_server", "responses missing");
    std::printf("http_server: %u keep-alive connections, %d requests (%u of them pipelined), every response "
                "checked byte for byte\n",
                clients, r, clients * pipelined);
    return 0;
}
