// SPDX-License-Identifier: MIT
// echo_send_zc: a TCP echo server on rawring::loop that answers with zero-copy sends
// (IORING_OP_SEND_ZC) and reuses a buffer only after the kernel's notification.
//
// Usage:
//   echo_send_zc          server and a client thread on 127.0.0.1 (port 0), a fixed set of
//                         messages, every echoed byte checked, one summary line
//   echo_send_zc PORT     a real server on 127.0.0.1:PORT until killed
//
// A zero-copy send completes twice. The first CQE is the send's result (bytes sent, or -errno);
// IORING_CQE_F_MORE on it says a second one follows. That second CQE (IORING_CQE_F_NOTIF) is the
// notification: only now has the network stack let go of the pages, and only now may the
// buffer be written again. Each connection here has one buffer, so the next recv into it is
// queued from the notification's callback, never from the result's. On loopback the kernel
// copies the data anyway (the notification then has IORING_NOTIF_USAGE_ZC_COPIED in res,
// asked for with IORING_SEND_ZC_REPORT_USAGE); the protocol is the same on a real NIC.
#include <rawring/loop.hpp>
#include <rawring/probe.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

namespace abi = rawring::abi;
using cqe_t = abi::io_uring_cqe;

constexpr unsigned clients = 2;
constexpr unsigned rounds = 100;          // messages per client
constexpr unsigned max_message = 20000;   // bigger than the server's buffer: echoed in pieces
constexpr unsigned buffer_size = 8192;
constexpr unsigned buffers_per_conn = 4;
constexpr unsigned max_conns = 16;
constexpr std::uint64_t ms = 1'000'000;

struct app;

// A connection's buffers go round: free -> receiving -> queued for sending -> sending ->
// waiting for notifications -> free. Only a free buffer is ever received into.
struct buffer {
    unsigned len = 0;            // bytes received into it
    unsigned sent = 0;           // of them, sent (their send results came back)
    unsigned notifs_due = 0;     // sends from it whose notification has not come yet
    bool busy = false;           // not free: receiving, queued or sending
    char data[buffer_size];
};

struct conn {
    app* a = nullptr;
    int fd = -1;
    bool in_use = false;
    bool recv_in_flight = false;
    bool send_in_flight = false;
    bool eof = false;
    bool closing = false;
    buffer bufs[buffers_per_conn];
    unsigned queue[buffers_per_conn] = {};  // received buffers in arrival order
    unsigned queue_head = 0, queue_count = 0;
    unsigned receiving = 0;                 // the buffer the recv in flight fills
};

struct app {
    bool serve_forever = false;
    rawring::task* acceptor = nullptr;
    conn conns[max_conns];
    unsigned accepted = 0, closed = 0;
    std::uint64_t bytes = 0, sends = 0, notifications = 0, copied = 0;
    unsigned errors = 0;
    unsigned reuse_before_notification = 0;  // must stay 0

    void error(const char* what, int res) {
        ++errors;
        std::fprintf(stderr, "echo_send_zc: %s: %s\n", what, std::strerror(res < 0 ? -res : EIO));
    }
    void check_done(rawring::loop& l) {
        if (serve_forever || closed != clients || accepted != clients || acceptor == nullptr) return;
        if (l.cancel(acceptor, {}) == nullptr) error("cancel", -ENOMEM);
        acceptor = nullptr;
    }
};

void progress(rawring::loop& l, conn& c);

void closed_cb(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<conn*>(t.user());
    if (cqe.res != 0) c->a->error("close", cqe.res);
    c->in_use = false;
    ++c->a->closed;
    c->a->check_done(l);
}

// Called twice per send: its result, then (if the result had F_MORE) its notification. The
// task's tag is the buffer's index.
void send_zc_cb(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<conn*>(t.user());
    app& a = *c->a;
    buffer& b = c->bufs[t.tag()];
    if ((cqe.flags & abi::IORING_CQE_F_NOTIF) != 0) {
        // The kernel is done with the pages: once every send from b is notified, b is free.
        ++a.notifications;
        if ((static_cast<std::uint32_t>(cqe.res) & abi::IORING_NOTIF_USAGE_ZC_COPIED) != 0) ++a.copied;
        --b.notifs_due;
        return progress(l, *c);
    }
    // The result: the bytes are in the socket, so the next send may go (TCP keeps the order
    // of sends one after the other), but b stays untouched until its notification.
    ++a.sends;
    c->send_in_flight = false;
    if ((cqe.flags & abi::IORING_CQE_F_MORE) != 0) ++b.notifs_due;
    if (cqe.res < 0) {
        a.error("send_zc", cqe.res);
        b.sent = b.len;  // give this data up; the connection closes below
        c->eof = true;
    } else {
        b.sent += static_cast<unsigned>(cqe.res);
        a.bytes += static_cast<unsigned>(cqe.res);
    }
    if (b.sent == b.len) {  // all of b is out: next buffer in the queue
        c->queue_head = (c->queue_head + 1) % buffers_per_conn;
        --c->queue_count;
    }
    progress(l, *c);
}

void received(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<conn*>(t.user());
    c->recv_in_flight = false;
    buffer& b = c->bufs[c->receiving];
    if (cqe.res <= 0) {  // 0: the client is done; < 0: an error. Either way, close when idle.
        if (cqe.res < 0) c->a->error("recv", cqe.res);
        b.busy = false;
        c->eof = true;
        return progress(l, *c);
    }
    b.len = static_cast<unsigned>(cqe.res);
    b.sent = 0;
    c->queue[(c->queue_head + c->queue_count) % buffers_per_conn] = c->receiving;
    ++c->queue_count;
    progress(l, *c);
}

// Starts whatever the connection can do now: a send of the first queued buffer, a recv into a
// free buffer, or, at the end, the close.
void progress(rawring::loop& l, conn& c) {
    app& a = *c.a;
    for (buffer& b : c.bufs)  // a buffer whose bytes are all sent and notified is free again
        if (b.busy && b.len != 0 && b.sent == b.len && b.notifs_due == 0) {
            b.busy = false;
            b.len = 0;
        }
    if (!c.send_in_flight && c.queue_count != 0) {
        const unsigned i = c.queue[c.queue_head];
        buffer& b = c.bufs[i];
        c.send_in_flight = true;
        if (l.send_zc(c.fd, b.data + b.sent, b.len - b.sent, MSG_NOSIGNAL,
                      abi::IORING_SEND_ZC_REPORT_USAGE, {send_zc_cb, &c, i}) == nullptr)
            a.error("send_zc", -ENOMEM);
    }
    if (!c.recv_in_flight && !c.eof) {
        for (unsigned i = 0; i < buffers_per_conn; ++i) {
            buffer& b = c.bufs[i];
            if (b.busy) continue;
            // The kernel writes into b: never while a zero-copy send may still read from it.
            if (b.notifs_due != 0) ++a.reuse_before_notification;
            b.busy = true;
            b.len = b.sent = 0;
            c.receiving = i;
            c.recv_in_flight = true;
            if (l.recv(c.fd, b.data, sizeof b.data, 0, {received, &c}) == nullptr)
                a.error("recv", -ENOMEM);
            break;
        }
    }
    if (c.eof && !c.closing && !c.recv_in_flight && !c.send_in_flight) {
        for (const buffer& b : c.bufs)
            if (b.busy || b.notifs_due != 0) return;  // wait for the last notification
        c.closing = true;
        if (l.close(c.fd, {closed_cb, &c}) == nullptr) a.error("close", -ENOMEM);
    }
}

void accepted_cb(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* a = static_cast<app*>(t.user());
    if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0) a->acceptor = nullptr;
    if (cqe.res < 0) {
        // Cancelled: -ECANCELED, or -EINTR for a request an io-wq worker was running.
        if (cqe.res != -ECANCELED && cqe.res != -EINTR) a->error("accept", cqe.res);
        return;
    }
    conn* c = nullptr;
    for (conn& x : a->conns)
        if (!x.in_use) {
            c = &x;
            break;
        }
    if (c == nullptr) {  // full: refuse the connection
        if (l.close(cqe.res, {}) == nullptr) a->error("close", -ENOMEM);
        return;
    }
    *c = conn{};
    c->a = a;
    c->fd = cqe.res;
    c->in_use = true;
    ++a->accepted;
    progress(l, *c);
}

// ---- the client (plain blocking sockets, on its own thread) --------------------------------------

std::size_t message_size(unsigned client, unsigned round) {
    return 1 + (client * 7919u + round * 104729u) % max_message;
}
unsigned char message_byte(unsigned client, unsigned round, std::size_t i) {
    return static_cast<unsigned char>((client * 131u + round * 7u + i * 13u + (i >> 9)) & 0xffu);
}

struct client_result {
    unsigned messages = 0;
    std::uint64_t bytes = 0;
    const char* error = nullptr;
};

// Sends each message whole, then reads its echo whole, and compares.
void run_clients(sockaddr_in server_addr, client_result* out) {
    int fds[clients];
    for (int& fd : fds) fd = -1;
    std::vector<unsigned char> msg(max_message), echo(max_message);
    const timeval tv{30, 0};  // a lost echo fails the client instead of hanging it
    for (unsigned c = 0; c < clients && out->error == nullptr; ++c) {
        fds[c] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[c] < 0 || ::setsockopt(fds[c], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
            ::setsockopt(fds[c], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
            ::connect(fds[c], reinterpret_cast<const sockaddr*>(&server_addr), sizeof server_addr) != 0)
            out->error = "connect";
    }
    for (unsigned r = 0; r < rounds && out->error == nullptr; ++r) {
        for (unsigned c = 0; c < clients && out->error == nullptr; ++c) {
            const std::size_t n = message_size(c, r);
            for (std::size_t i = 0; i < n; ++i) msg[i] = message_byte(c, r, i);
            // The echo of a 20 kB message can fill the socket buffers both ways if the client
            // wrote everything first; socket buffers on loopback are far larger than that.
            std::size_t done = 0;
            while (done < n && out->error == nullptr) {
                const ssize_t w = ::send(fds[c], msg.data() + done, n - done, MSG_NOSIGNAL);
                if (w > 0) done += static_cast<std::size_t>(w);
                else if (w < 0 && errno == EINTR) continue;
                else out->error = "send";
            }
            done = 0;
            while (done < n && out->error == nullptr) {
                const ssize_t g = ::recv(fds[c], echo.data() + done, n - done, 0);
                if (g > 0) done += static_cast<std::size_t>(g);
                else if (g < 0 && errno == EINTR) continue;
                else out->error = "recv";
            }
            if (out->error != nullptr) break;
            if (std::memcmp(msg.data(), echo.data(), n) != 0) {
                out->error = "echo differs";
                break;
            }
            ++out->messages;
            out->bytes += n;
        }
    }
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
    // Declared before the loop: its destructor runs the callbacks of what is still in flight.
    static app a;  // static: 16 connections of 8 KiB are too much for the stack
    rawring::loop loop;
    if (int ret = loop.init(64); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    const rawring::probe p = rawring::get_probe(loop.raw_ring());
    if (!p.supported(abi::IORING_OP_SEND_ZC)) {
        std::printf("SKIP: this kernel has no IORING_OP_SEND_ZC (Linux 6.0)\n");
        return 77;
    }

    a.serve_forever = argc > 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (a.serve_forever) addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
    const int lfd = rawring::loop::listen(reinterpret_cast<const sockaddr*>(&addr), sizeof addr,
                                          SOCK_STREAM | SOCK_CLOEXEC, 64);
    if (lfd < 0) {
        std::fprintf(stderr, "echo_send_zc: listen: %s\n", std::strerror(-lfd));
        return 1;
    }
    // Accepted sockets inherit TCP_NODELAY: each piece of an echo leaves at once.
    const int one = 1;
    socklen_t alen = sizeof addr;
    if (::setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
        std::fprintf(stderr, "echo_send_zc: getsockname: %s\n", std::strerror(errno));
        return 1;
    }
    a.acceptor = loop.accept_multishot(lfd, SOCK_CLOEXEC, {accepted_cb, &a});
    if (a.acceptor == nullptr) return 1;

    if (a.serve_forever) {
        std::printf("echo_send_zc: serving on 127.0.0.1:%u\n", ntohs(addr.sin_port));
        std::fflush(stdout);
        const int r = loop.run(rawring::run_mode::forever);
        std::fprintf(stderr, "echo_send_zc: run: %s\n", std::strerror(r < 0 ? -r : 0));
        return 1;
    }

    client_result cr;
    std::thread client(run_clients, addr, &cr);
    // Until every connection is closed and the accept cancelled (nothing in flight), at most 30 s.
    const int r = loop.run_for(30'000 * ms, /*until_done=*/true);
    client.join();
    const unsigned left = loop.in_flight();
    (void)loop.exit();
    ::close(lfd);

    if (r < 0 || left != 0 || a.errors != 0 || cr.error != nullptr || a.accepted != clients ||
        a.closed != clients || cr.messages != clients * rounds || a.bytes != cr.bytes ||
        a.notifications != a.sends || a.reuse_before_notification != 0) {
        std::fprintf(stderr,
                     "echo_send_zc: run %d, in flight %u, errors %u, client %s, accepted %u, closed %u, "
                     "messages %u, bytes %llu/%llu, sends %llu, notifications %llu, early reuse %u\n",
                     r, left, a.errors, cr.error != nullptr ? cr.error : "ok", a.accepted, a.closed,
                     cr.messages, static_cast<unsigned long long>(a.bytes),
                     static_cast<unsigned long long>(cr.bytes), static_cast<unsigned long long>(a.sends),
                     static_cast<unsigned long long>(a.notifications), a.reuse_before_notification);
        return 1;
    }
    std::printf("echo_send_zc: %u connections, %u messages, %llu bytes echoed byte for byte with "
                "send_zc; every send had its notification, and no buffer was reused before it\n",
                clients, cr.messages, static_cast<unsigned long long>(cr.bytes));
    return 0;
}
