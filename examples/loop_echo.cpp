// SPDX-License-Identifier: MIT
// loop_echo: an echo server and its clients on 127.0.0.1, in one loop, in one thread.
//
// The server: listen, one multishot accept, then per connection recv -> send the same bytes ->
// recv ... until the client closes. The clients: tcp_connect, then send a message, recv until
// all of its echo is back, next message, close. Everything is a callback on one loop.
#include <rawring/loop.hpp>
#include <rawring/probe.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

constexpr unsigned clients = 3;
constexpr unsigned messages = 5;  // per client
constexpr std::uint64_t ms = 1'000'000;
using cqe_t = rawring::abi::io_uring_cqe;

struct app;

// One accepted connection. Slots are fixed: a server in a loop gets its memory up front, as the
// loop gets its tasks.
struct server_conn {
    app* a = nullptr;
    int fd = -1;
    char buf[64] = {};
    int len = 0;
};

struct client {
    app* a = nullptr;
    unsigned id = 0;
    int fd = -1;
    unsigned sent = 0;   // messages sent
    char msg[32] = {};
    int msg_len = 0;
    char echo[32] = {};
    int got = 0;         // bytes of the current echo received so far
};

struct app {
    sockaddr_in addr{};
    rawring::task* acceptor = nullptr;
    server_conn conns[clients];
    client cl[clients];
    unsigned accepted = 0, echoed = 0, matched = 0;
    unsigned server_closed = 0, client_closed = 0;
    unsigned errors = 0;

    void check_done(rawring::loop& l) {
        // Both ends of every connection closed: end the accept too, so nothing is in flight and
        // run(until_done) returns.
        if (server_closed == clients && client_closed == clients && acceptor != nullptr) {
            if (l.cancel(acceptor, {}) == nullptr) ++errors;
            acceptor = nullptr;
        }
    }
};

// ---- server --------------------------------------------------------------------------------------

void server_recv(rawring::loop& l, server_conn& c);

void server_closed(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<server_conn*>(t.user());
    if (cqe.res != 0) ++c->a->errors;
    ++c->a->server_closed;
    c->a->check_done(l);
}

void server_close(rawring::loop& l, server_conn& c) {
    if (l.close(c.fd, {server_closed, &c}) == nullptr) ++c.a->errors;
}

void server_sent(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<server_conn*>(t.user());
    // On a stream socket a send may be short; these messages are tiny, so treat it as an error.
    if (cqe.res != c->len) {
        ++c->a->errors;
        return server_close(l, *c);
    }
    ++c->a->echoed;
    server_recv(l, *c);
}

void server_received(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<server_conn*>(t.user());
    if (cqe.res <= 0) {  // 0: the client closed; < 0: an error. Either way, this side closes.
        if (cqe.res < 0) ++c->a->errors;
        return server_close(l, *c);
    }
    c->len = cqe.res;
    if (l.send(c->fd, c->buf, static_cast<std::size_t>(c->len), MSG_NOSIGNAL, {server_sent, c}) == nullptr)
        ++c->a->errors;
}

void server_recv(rawring::loop& l, server_conn& c) {
    if (l.recv(c.fd, c.buf, sizeof c.buf, 0, {server_received, &c}) == nullptr) ++c.a->errors;
}

// One callback per connection while the accept stays armed (IORING_CQE_F_MORE), then a last
// one when it ends (here: cancelled once every connection is done).
void accepted(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* a = static_cast<app*>(t.user());
    if ((cqe.flags & rawring::abi::IORING_CQE_F_MORE) == 0) a->acceptor = nullptr;
    if (cqe.res < 0) {
        if (cqe.res != -ECANCELED) ++a->errors;
        return;
    }
    if (a->accepted == clients) {  // more connections than slots: refuse the extra one
        ++a->errors;
        if (l.close(cqe.res, {}) == nullptr) ++a->errors;
        return;
    }
    server_conn& c = a->conns[a->accepted++];
    c.a = a;
    c.fd = cqe.res;
    server_recv(l, c);
}

// ---- clients -------------------------------------------------------------------------------------

void client_send(rawring::loop& l, client& c);

void client_closed(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<client*>(t.user());
    if (cqe.res != 0) ++c->a->errors;
    ++c->a->client_closed;
    c->a->check_done(l);
}

void client_close(rawring::loop& l, client& c) {
    if (l.close(c.fd, {client_closed, &c}) == nullptr) ++c.a->errors;
}

void client_received(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<client*>(t.user());
    if (cqe.res <= 0) {
        ++c->a->errors;
        return client_close(l, *c);
    }
    c->got += cqe.res;
    if (c->got < c->msg_len) {  // TCP is a byte stream: the echo may come back in pieces
        if (l.recv(c->fd, c->echo + c->got, static_cast<std::size_t>(c->msg_len - c->got), 0,
                   {client_received, c}) == nullptr)
            ++c->a->errors;
        return;
    }
    if (std::memcmp(c->echo, c->msg, static_cast<std::size_t>(c->msg_len)) == 0) ++c->a->matched;
    if (c->sent == messages) return client_close(l, *c);
    client_send(l, *c);
}

void client_sent(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<client*>(t.user());
    if (cqe.res != c->msg_len) {
        ++c->a->errors;
        return client_close(l, *c);
    }
    c->got = 0;
    if (l.recv(c->fd, c->echo, static_cast<std::size_t>(c->msg_len), 0, {client_received, c}) == nullptr)
        ++c->a->errors;
}

void client_send(rawring::loop& l, client& c) {
    c.msg_len = std::snprintf(c.msg, sizeof c.msg, "client %u message %u", c.id, ++c.sent);
    if (l.send(c.fd, c.msg, static_cast<std::size_t>(c.msg_len), MSG_NOSIGNAL, {client_sent, &c}) == nullptr)
        ++c.a->errors;
}

void connected(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<client*>(t.user());
    if (cqe.res < 0) {  // the helper closed its socket already
        ++c->a->errors;
        ++c->a->client_closed;
        return c->a->check_done(l);
    }
    c->fd = cqe.res;
    client_send(l, *c);
}

} // namespace

int main() {
    // Declared before the loop: its destructor cancels what is still in flight and runs those
    // callbacks, so what they point to must outlive it.
    app a;
    rawring::loop loop;
    rawring::loop_options opts;
    opts.track_fds = 1024;  // every socket the loop made or accepted must be closed at the end
    if (int ret = loop.init(64, opts); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    // tcp_connect needs IORING_OP_SOCKET and the server a multishot accept (both Linux 5.19).
    const rawring::probe p = rawring::get_probe(loop.raw_ring());
    if (!p.supported(rawring::abi::IORING_OP_SOCKET) || !p.supported(rawring::abi::IORING_OP_ACCEPT)) {
        std::printf("SKIP: this kernel has no IORING_OP_SOCKET\n");
        return 77;
    }

    a.addr.sin_family = AF_INET;
    a.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.addr.sin_port = 0;  // the kernel picks a free port
    const int lfd = rawring::loop::listen(reinterpret_cast<const sockaddr*>(&a.addr), sizeof a.addr,
                                          SOCK_STREAM | SOCK_CLOEXEC, 16);
    if (lfd < 0) {
        std::fprintf(stderr, "listen: %s\n", std::strerror(-lfd));
        return 1;
    }
    socklen_t alen = sizeof a.addr;
    if (getsockname(lfd, reinterpret_cast<sockaddr*>(&a.addr), &alen) != 0) return 1;

    a.acceptor = loop.accept_multishot(lfd, SOCK_CLOEXEC, {accepted, &a});
    if (a.acceptor == nullptr) return 1;
    for (unsigned i = 0; i < clients; ++i) {
        a.cl[i].a = &a;
        a.cl[i].id = i + 1;
        if (loop.tcp_connect(reinterpret_cast<const sockaddr*>(&a.addr), sizeof a.addr,
                             SOCK_STREAM | SOCK_CLOEXEC, {connected, &a.cl[i]}) == nullptr)
            return 1;
    }
    // Until nothing is in flight, but never more than 15 s: a lost completion fails the program
    // instead of hanging it.
    const int r = loop.run_for(15'000 * ms, /*until_done=*/true);
    const unsigned left = loop.in_flight();
    const rawring::fd_balance fb = loop.fds();
    (void)loop.exit();  // cancels whatever is left (after a failure) and waits for it
    close(lfd);

    const unsigned want = clients * messages;
    if (r < 0 || left != 0 || a.errors != 0 || a.accepted != clients || a.echoed != want ||
        a.matched != want || !fb.balanced()) {
        std::fprintf(stderr, "run %d, in flight %u, errors %u, accepted %u, echoed %u, matched %u, fds open %u\n",
                     r, left, a.errors, a.accepted, a.echoed, a.matched, fb.open);
        return 1;
    }
    std::printf("loop_echo: %u clients, %u messages echoed byte for byte on 127.0.0.1, every socket closed\n",
                clients, a.matched);
    return 0;
}
