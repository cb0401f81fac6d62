// SPDX-License-Identifier: MIT
// echo: a TCP echo server, accept -> read -> write, a coroutine per connection (rawring::co
// over rawring::loop).
//
// Usage:
//   echo                  the server and 4 client coroutines on 127.0.0.1 in one loop: 40
//                         messages of 1 to 64 KiB, every echoed byte checked
//   echo --serve PORT     an echo server on 127.0.0.1:PORT (0: any) until SIGTERM or SIGINT;
//                         prints "listening on 127.0.0.1:PORT" first
//
// What it shows: the three steps of a server, each one co_await.
//   int fd = co_await co::accept(l, listen_fd);        // IORING_OP_ACCEPT
//   int n  = co_await co::read(l, fd, buf, size);      // IORING_OP_READ on the socket
//   co_await co::write(l, fd, buf, n);                 // IORING_OP_WRITE (until all n written)
// The accept loop hands each connection to a coroutine of its own (co::scope::spawn), so one
// slow client never holds up another. The clients are coroutines too, in the same loop:
// when_all runs them at once, and when_any races them against the accept loop, which is
// cancelled (ASYNC_CANCEL of its pending accept) when they are done.
#include "coro_common.hpp"

#include <array>
#include <span>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned clients = 4;
constexpr unsigned messages = 10;  // per client

/// The server's side of one connection: read what comes, write it back, until the client
/// closes. Owns `client`. 0 or -errno.
co::task<int> echo_connection(rawring::loop& l, int client) {
    example::unique_fd fd(client);  // closed by its destructor if this coroutine is cancelled
    char buf[16384];
    for (;;) {
        const int n = co_await co::read(l, fd.fd, buf, sizeof buf);
        if (n <= 0) {  // 0: the client closed its end
            co_await co::close(l, fd.release());
            co_return n;
        }
        for (int done = 0; done < n;) {  // a write to a socket may take part of it
            const int w = co_await co::write(l, fd.fd, buf + done, static_cast<unsigned>(n - done));
            if (w <= 0) co_return w < 0 ? w : -EIO;
            done += w;
        }
    }
}

/// Message `m` of client `c`: its size (1 byte up to 64 KiB, different for every message) and
/// its bytes (a pattern of its own).
std::size_t message_size(unsigned c, unsigned m) { return 1 + (c * 7919u + m * 104729u) % 65536u; }
std::uint64_t message_seed(unsigned c, unsigned m) { return c * 1000u + m; }

/// One client: `messages` messages, each written whole and read back whole, and compared.
/// Returns the bytes echoed, or -errno (-EPROTO: an echo differed).
co::task<int> client(rawring::loop& l, const sockaddr_in* addr, unsigned id) {
    const int fd = co_await co::tcp_connect(l, reinterpret_cast<const sockaddr*>(addr), sizeof *addr,
                                            SOCK_STREAM | SOCK_CLOEXEC);
    if (fd < 0) co_return fd;
    example::unique_fd guard(fd);
    static thread_local unsigned char out[clients][65536], in[clients][65536];
    int total = 0;
    for (unsigned m = 0; m < messages; ++m) {
        const std::size_t size = message_size(id, m);
        example::fill_pattern(out[id], size, message_seed(id, m));
        // Sent and received at once (when_all): 64 KiB may not fit in the socket buffers, so
        // waiting for the whole send before reading could leave both sides blocked.
        auto [w, r] = co_await co::when_all(example::send_all(l, fd, out[id], size),
                                            example::recv_exact(l, fd, in[id], size));
        if (w < 0) co_return w;
        if (r < 0) co_return r;
        if (r == 0 || std::memcmp(in[id], out[id], size) != 0) co_return -EPROTO;
        total += static_cast<int>(size);
    }
    co_await co::close(l, guard.release());
    co_return total;
}

co::task<int> all_clients(rawring::loop& l, const sockaddr_in* addr) {
    std::array<co::task<int>, clients> tasks;
    for (unsigned i = 0; i < clients; ++i) tasks[i] = client(l, addr, i);
    co_await co::when_all(std::span<co::task<int>>(tasks));
    int total = 0;
    for (auto& t : tasks) {
        const int r = t.result();
        if (r < 0) co_return r;
        total += r;
    }
    co_return total;
}

co::task<int> demo(rawring::loop& l, int lfd, const sockaddr_in* addr) {
    co::scope conns;
    auto r = co_await co::when_any(example::accept_loop(l, lfd, conns, echo_connection), all_clients(l, addr));
    co_await conns.join();  // each connection ends when its client closes
    if (r.index != 1) co_return r.value < 0 ? r.value : -EPROTO;
    co_return r.value;
}

} // namespace

int main(int argc, char** argv) {
    const int port = example::serve_port(argc, argv);
    if (port == -2 || (port == -1 && argc > 1)) {
        std::fprintf(stderr, "usage: echo [--serve PORT]\n");
        return 2;
    }
    sockaddr_in addr{};
    example::unique_fd listener, signals;
    rawring::loop l;
    rawring::loop_options o;
    o.tasks = 2048;  // a read or write in flight per connection: room for 2000 of them
    o.cq_entries = 2048;
    if (int ret = example::init_loop(l, 256, o); ret != 0) return ret;
    if (int ret = example::need_ops(l, {{rawring::abi::IORING_OP_SOCKET, "IORING_OP_SOCKET (Linux 5.19)"}}); ret != 0)
        return ret;
    const int lfd = example::listen_loopback(port < 0 ? 0 : port, addr);
    if (lfd < 0) return fail("echo", "listen", lfd);
    listener = example::unique_fd(lfd);

    if (port >= 0) {
        const int sfd = example::stop_signals();
        if (sfd < 0) return fail("echo", "signalfd", sfd);
        signals = example::unique_fd(sfd);
        example::say_listening(addr);
        const int r = co::run(l, example::serve_until_signal(l, lfd, sfd, echo_connection));
        if (r < 0) return fail("echo", "serving", r);
        return 0;
    }

    std::size_t want = 0;
    for (unsigned c = 0; c < clients; ++c)
        for (unsigned m = 0; m < messages; ++m) want += message_size(c, m);
    const int r = example::run_bounded(l, demo(l, lfd, &addr));
    if (r < 0) return fail("echo", "demo", r);
    if (static_cast<std::size_t>(r) != want) return fail("echo", "bytes missing");
    std::printf("echo: %u clients, %u messages, %d bytes echoed byte for byte (accept -> read -> write, a "
                "coroutine per connection)\n",
                clients, clients * messages, r);
    return 0;
}
