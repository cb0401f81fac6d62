// SPDX-License-Identifier: MIT
// multishot_accept: one accept request, many connections: the multishot accept as a stream of
// fds (rawring::co::accept_stream over rawring::loop).
//
// Usage: multishot_accept (no arguments)
//
// What it shows: IORING_ACCEPT_MULTISHOT (Linux 5.19). One SQE stays armed in the kernel and
// posts a CQE per connection (IORING_CQE_F_MORE while it stays armed); co::accept_stream turns
// those CQEs into a stream:
//     co::accept_stream s(l, listen_fd);
//     for (;;) { int fd = co_await s.next(); ... spawn a coroutine for fd ... }
// Connections that arrive while the server coroutine is busy wait in the stream's queue.
// s.close() cancels the multishot; the next next() then gives -ECANCELED. 8 client coroutines
// connect at once; each sends its name and must get "hello, <name>" back from its own
// server coroutine.
#include "coro_common.hpp"

#include <array>
#include <span>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned clients = 8;

struct stream_report {
    int accepted = 0;
    bool stayed_armed = true;  // one multishot SQE served every connection
    int end = 0;               // what next() gave after close()
};

/// A server coroutine per connection: reads a name (up to "\n"), answers "hello, <name>".
co::task<int> greet(rawring::loop& l, int client) {
    example::unique_fd fd(client);
    char name[64];
    std::size_t have = 0;
    while (have == 0 || name[have - 1] != '\n') {
        if (have == sizeof name) co_return -E2BIG;
        const int n = co_await co::recv(l, fd.fd, name + have, sizeof name - have);
        if (n <= 0) co_return n < 0 ? n : -EPROTO;
        have += static_cast<std::size_t>(n);
    }
    char reply[96];
    const int len = std::snprintf(reply, sizeof reply, "hello, %.*s", static_cast<int>(have), name);
    if (int r = co_await example::send_all(l, fd.fd, reply, static_cast<std::size_t>(len)); r < 0) co_return r;
    co_await co::close(l, fd.release());
    co_return 0;
}

/// Takes `expect` connections from one multishot accept, then closes the stream.
co::task<int> server(rawring::loop& l, int lfd, co::scope* conns, stream_report* rep) {
    co::accept_stream s(l, lfd, SOCK_CLOEXEC);
    for (unsigned i = 0; i < clients; ++i) {
        if (i > 0 && !s.armed()) rep->stayed_armed = false;  // it would be armed again: a second SQE
        const int fd = co_await s.next();
        if (fd < 0) co_return fd;
        ++rep->accepted;
        if (conns->spawn(greet(l, fd)) < 0) ::close(fd);
    }
    s.close();
    rep->end = co_await s.next();
    co_return 0;
}

/// A client: connect, send "client-N\n", expect "hello, client-N\n". 1 when right, -errno.
co::task<int> client(rawring::loop& l, const sockaddr_in* addr, unsigned id) {
    const int fd = co_await co::tcp_connect(l, reinterpret_cast<const sockaddr*>(addr), sizeof *addr,
                                            SOCK_STREAM | SOCK_CLOEXEC);
    if (fd < 0) co_return fd;
    example::unique_fd guard(fd);
    char msg[32], want[48], got[48];
    const int len = std::snprintf(msg, sizeof msg, "client-%u\n", id);
    const int want_len = std::snprintf(want, sizeof want, "hello, %s", msg);
    if (int r = co_await example::send_all(l, fd, msg, static_cast<std::size_t>(len)); r < 0) co_return r;
    const int r = co_await example::recv_exact(l, fd, got, static_cast<std::size_t>(want_len));
    if (r <= 0) co_return r < 0 ? r : -EPROTO;
    if (std::memcmp(got, want, static_cast<std::size_t>(want_len)) != 0) co_return -EPROTO;
    co_await co::close(l, guard.release());
    co_return 1;
}

co::task<int> demo(rawring::loop& l, int lfd, const sockaddr_in* addr, stream_report* rep) {
    co::scope conns;
    std::array<co::task<int>, clients + 1> tasks;  // the server, then the clients
    tasks[0] = server(l, lfd, &conns, rep);
    for (unsigned i = 0; i < clients; ++i) tasks[i + 1] = client(l, addr, i + 1);
    co_await co::when_all(std::span<co::task<int>>(tasks));
    co_await conns.join();
    int ok = 0;
    for (auto& t : tasks) {
        const int r = t.result();
        if (r < 0) co_return r;
        ok += r;
    }
    co_return ok;
}

} // namespace

int main(int argc, char**) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: multishot_accept\n");
        return 2;
    }
    sockaddr_in addr{};
    example::unique_fd listener;
    stream_report rep;
    rawring::loop l;
    if (int ret = example::init_loop(l, 64); ret != 0) return ret;
    if (int ret = example::need_ops(l, {{rawring::abi::IORING_OP_SOCKET, "IORING_OP_SOCKET (Linux 5.19)"}}); ret != 0)
        return ret;
    const int lfd = example::listen_loopback(0, addr);
    if (lfd < 0) return fail("multishot_accept", "listen", lfd);
    listener = example::unique_fd(lfd);
    const int r = example::run_bounded(l, demo(l, lfd, &addr, &rep));
    if (r == -EINVAL && rep.accepted == 0) {
        std::printf("SKIP: this kernel has no multishot accept (Linux 5.19)\n");
        return example::exit_skip;
    }
    if (r < 0) return fail("multishot_accept", "demo", r);
    if (r != static_cast<int>(clients) || rep.accepted != static_cast<int>(clients))
        return fail("multishot_accept", "a client was not greeted");
    if (!rep.stayed_armed) return fail("multishot_accept", "the multishot accept ended early");
    if (rep.end != -ECANCELED) return fail("multishot_accept", "after close(), next() gave", rep.end);
    std::printf("multishot_accept: one multishot accept gave %d connections (co::accept_stream), each greeted by "
                "a coroutine of its own; close() ended the stream: -ECANCELED\n",
                rep.accepted);
    return 0;
}
