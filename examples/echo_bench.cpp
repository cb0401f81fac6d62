// SPDX-License-Identifier: MIT
// echo_bench: an echo load generator on rawring::ring: N connections, each with one message of
// S bytes in flight at a time (closed loop), for a bounded number of round trips or seconds;
// prints round trips per second and the p50/p99/p999 round-trip latency.
//
// Usage:
//   echo_bench [-c CONNECTIONS] [-s SIZE] [-n ROUND_TRIPS_PER_CONNECTION] [-t MAX_SECONDS] [-p PORT]
//     defaults: -c 8 -s 64 -n 2000 -t 10
//     without -p it starts its own echo server (rawring::loop on a thread of its own) on
//     127.0.0.1, port 0; with -p it drives the echo server already listening on 127.0.0.1:PORT
//     (echo_multishot PORT, echo_send_zc PORT, tpc_echo PORT ...)
//
// Every echo is checked byte for byte (each message carries its connection and sequence
// number). The run ends after -n round trips on every connection or after -t seconds,
// whichever comes first; then the messages in flight are finished and counted.
#include <rawring/loop.hpp>
#include <rawring/prep.hpp>
#include <rawring/probe.hpp>
#include <rawring/ring.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <thread>
#include <vector>

namespace {

namespace abi = rawring::abi;
using clock_type = std::chrono::steady_clock;
using cqe_t = abi::io_uring_cqe;

struct options {
    unsigned connections = 8;
    unsigned size = 64;
    unsigned round_trips = 2000;
    unsigned seconds = 10;
    unsigned port = 0;  // 0: start our own server
};

// ---- the built-in echo server (rawring::loop, on its own thread) ---------------------------------

constexpr unsigned server_buffer = 16384;

struct server;
struct server_conn {
    server* s = nullptr;
    int fd = -1;
    unsigned len = 0, sent = 0;
    char buf[server_buffer];
};

struct server {
    unsigned expected = 0;  // connections to serve before stopping
    std::atomic<int> port{0};   // published once listening (or -errno)
    std::atomic<bool> abort{false};  // set by the client when it gives up: stop at once
    rawring::task* acceptor = nullptr;
    std::vector<server_conn> conns;
    unsigned accepted = 0, closed = 0, errors = 0;

    void done_check(rawring::loop& l) {
        if (closed == expected && acceptor != nullptr) {
            if (l.cancel(acceptor, {}) == nullptr) ++errors;
            acceptor = nullptr;
        }
    }
    void run();
};

void srv_recv(rawring::loop& l, server_conn& c);

void srv_closed(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<server_conn*>(t.user());
    if (cqe.res != 0) ++c->s->errors;
    ++c->s->closed;
    c->s->done_check(l);
}
void srv_close(rawring::loop& l, server_conn& c) {
    if (l.close(c.fd, {srv_closed, &c}) == nullptr) ++c.s->errors;
}
void srv_sent(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<server_conn*>(t.user());
    if (cqe.res < 0) {
        ++c->s->errors;
        return srv_close(l, *c);
    }
    c->sent += static_cast<unsigned>(cqe.res);
    if (c->sent < c->len) {  // short send: the rest
        if (l.send(c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL, {srv_sent, c}) == nullptr)
            ++c->s->errors;
        return;
    }
    srv_recv(l, *c);
}
void srv_received(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* c = static_cast<server_conn*>(t.user());
    if (cqe.res <= 0) {
        if (cqe.res < 0) ++c->s->errors;
        return srv_close(l, *c);
    }
    c->len = static_cast<unsigned>(cqe.res);
    c->sent = 0;
    if (l.send(c->fd, c->buf, c->len, MSG_NOSIGNAL, {srv_sent, c}) == nullptr) ++c->s->errors;
}
void srv_recv(rawring::loop& l, server_conn& c) {
    if (l.recv(c.fd, c.buf, sizeof c.buf, 0, {srv_received, &c}) == nullptr) ++c.s->errors;
}
void srv_accepted(rawring::loop& l, rawring::task& t, const cqe_t& cqe) {
    auto* s = static_cast<server*>(t.user());
    if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0) s->acceptor = nullptr;
    if (cqe.res < 0) {
        // Cancelled: -ECANCELED, or -EINTR for a request an io-wq worker was running.
        if (cqe.res != -ECANCELED && cqe.res != -EINTR) ++s->errors;
        return;
    }
    if (s->accepted == s->conns.size()) {
        ++s->errors;
        if (l.close(cqe.res, {}) == nullptr) ++s->errors;
        return;
    }
    server_conn& c = s->conns[s->accepted++];
    c.s = s;
    c.fd = cqe.res;
    srv_recv(l, c);
}

void server::run() {
    conns.resize(expected);
    rawring::loop l;
    rawring::loop_options o;
    o.tasks = 4 * expected + 16;
    if (int ret = l.init(2 * expected + 16, o); ret < 0) {
        port.store(ret);
        port.notify_all();
        return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int lfd = rawring::loop::listen(reinterpret_cast<const sockaddr*>(&addr), sizeof addr,
                                          SOCK_STREAM | SOCK_CLOEXEC, 1024);
    socklen_t alen = sizeof addr;
    const int one = 1;
    if (lfd < 0 || ::setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
        port.store(lfd < 0 ? lfd : -errno);
        port.notify_all();
        return;
    }
    acceptor = l.accept_multishot(lfd, SOCK_CLOEXEC, {srv_accepted, this});
    port.store(acceptor != nullptr ? ntohs(addr.sin_port) : -ENOMEM);
    port.notify_all();
    // Until every client connection is closed again, or the client gives up; bounded, so a
    // lost client cannot hang it. exit() cancels whatever is left.
    for (int slice = 0; slice < 1200 && l.in_flight() != 0 && !abort.load(std::memory_order_relaxed); ++slice)
        if (l.run_for(100'000'000, /*until_done=*/true) < 0) {
            ++errors;
            break;
        }
    (void)l.exit();
    ::close(lfd);
}

// ---- the load generator (rawring::ring) ------------------------------------------------------------

enum kind : std::uint64_t { k_send = 1, k_recv };
std::uint64_t ud(kind k, unsigned conn) { return k | (std::uint64_t{conn} << 8); }

struct client_conn {
    int fd = -1;
    std::uint32_t seq = 0;          // round trips completed
    unsigned sent = 0, got = 0;     // of the current message
    bool active = false;            // a message in flight
    clock_type::time_point start;
    std::vector<unsigned char> out, in;
};

void fill(std::vector<unsigned char>& m, unsigned conn, std::uint32_t seq) {
    for (std::size_t i = 0; i < m.size(); ++i)
        m[i] = static_cast<unsigned char>((conn * 131u + seq * 7u + i) & 0xffu);
    // The first bytes name the message, so an echo for the wrong one is caught.
    if (m.size() >= 8) {
        std::memcpy(m.data(), &conn, 4);
        std::memcpy(m.data() + 4, &seq, 4);
    }
}

struct bench {
    options opt;
    rawring::ring ring;
    std::vector<client_conn> conns;
    std::vector<std::uint32_t> latency_ns;  // one per round trip, saturating
    bool stopping = false;
    const char* error = nullptr;
    int error_res = 0;

    void fail(const char* what, int res) {
        if (error == nullptr) {
            error = what;
            error_res = res;
        }
    }
    abi::io_uring_sqe* sqe() {
        abi::io_uring_sqe* s = ring.get_sqe();
        if (s == nullptr && ring.submit() >= 0) s = ring.get_sqe();
        if (s == nullptr) fail("get_sqe", -EBUSY);
        return s;
    }
    void post_send(unsigned i) {
        client_conn& c = conns[i];
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        rawring::prep_send(s, c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        s->user_data = ud(k_send, i);
    }
    void post_recv(unsigned i) {
        client_conn& c = conns[i];
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        rawring::prep_recv(s, c.fd, c.in.data() + c.got, c.in.size() - c.got, 0);
        s->user_data = ud(k_recv, i);
    }
    void start_message(unsigned i) {
        client_conn& c = conns[i];
        if (stopping || c.seq == opt.round_trips) {
            c.active = false;
            return;
        }
        fill(c.out, i, c.seq);
        c.sent = c.got = 0;
        c.active = true;
        c.start = clock_type::now();
        // The recv is queued with the send: it waits in the kernel for the echo.
        post_send(i);
        post_recv(i);
    }
    void on_cqe(const cqe_t& cqe) {
        const auto i = static_cast<unsigned>(cqe.user_data >> 8);
        client_conn& c = conns[i];
        if (cqe.res < 0) return fail((cqe.user_data & 0xff) == k_send ? "send" : "recv", cqe.res);
        if ((cqe.user_data & 0xff) == k_send) {
            c.sent += static_cast<unsigned>(cqe.res);
            if (c.sent < c.out.size()) post_send(i);
            return;
        }
        if (cqe.res == 0) return fail("recv: the server closed the connection", -ECONNRESET);
        c.got += static_cast<unsigned>(cqe.res);
        if (c.got < c.in.size()) return post_recv(i);
        // The whole echo is back (and so, on TCP, every byte of the send went out first).
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - c.start).count();
        latency_ns.push_back(ns > 0xffffffffll ? 0xffffffffu : static_cast<std::uint32_t>(ns));
        if (c.in != c.out) return fail("echo differs from the message", -EPROTO);
        ++c.seq;
        start_message(i);
    }
    [[nodiscard]] bool any_active() const {
        for (const client_conn& c : conns)
            if (c.active) return true;
        return false;
    }
};

int usage() {
    std::fprintf(stderr, "usage: echo_bench [-c CONNECTIONS] [-s SIZE] [-n ROUND_TRIPS] [-t SECONDS] [-p PORT]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    options opt;
    for (int i = 1; i < argc; ++i) {
        if (i + 1 >= argc || std::strlen(argv[i]) != 2 || argv[i][0] != '-') return usage();
        const unsigned long v = std::strtoul(argv[++i], nullptr, 10);
        switch (argv[i - 1][1]) {
        case 'c': opt.connections = static_cast<unsigned>(v); break;
        case 's': opt.size = static_cast<unsigned>(v); break;
        case 'n': opt.round_trips = static_cast<unsigned>(v); break;
        case 't': opt.seconds = static_cast<unsigned>(v); break;
        case 'p': opt.port = static_cast<unsigned>(v); break;
        default: return usage();
        }
    }
    if (opt.connections == 0 || opt.connections > 4096 || opt.size == 0 || opt.size > server_buffer ||
        opt.round_trips == 0 || opt.seconds == 0 || opt.port > 65535)
        return usage();

    static bench b;
    b.opt = opt;
    if (int ret = b.ring.init(2 * opt.connections + 8 > 4096 ? 4096 : 2 * opt.connections + 8); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    if (opt.port == 0 && !rawring::get_probe(b.ring).supported(abi::IORING_OP_SOCKET)) {
        std::printf("SKIP: this kernel has no multishot accept (Linux 5.19)\n");
        return 77;
    }

    // The server, unless one was named.
    server srv;
    std::thread server_thread;
    int port = static_cast<int>(opt.port);
    if (port == 0) {
        srv.expected = opt.connections;
        server_thread = std::thread([&srv] { srv.run(); });
        srv.port.wait(0);
        port = srv.port.load();
        if (port < 0) {
            server_thread.join();
            std::fprintf(stderr, "echo_bench: server: %s\n", std::strerror(-port));
            return 1;
        }
    }

    // Connections (plain blocking connects: setting up is not what is measured).
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    b.conns.resize(opt.connections);
    b.latency_ns.reserve(std::size_t{opt.connections} * opt.round_trips);
    for (client_conn& c : b.conns) {
        c.out.resize(opt.size);
        c.in.resize(opt.size);
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        if (c.fd < 0 || ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
            ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            b.fail("connect", -errno);
            break;
        }
    }

    const auto t0 = clock_type::now();
    const auto deadline = t0 + std::chrono::seconds(opt.seconds);
    if (b.error == nullptr)
        for (unsigned i = 0; i < opt.connections; ++i) b.start_message(i);
    cqe_t batch[256];
    while (b.error == nullptr && b.any_active()) {
        if (!b.stopping && clock_type::now() >= deadline) b.stopping = true;  // finish what is in flight
        if (b.stopping && clock_type::now() >= deadline + std::chrono::seconds(30)) {
            b.fail("round trips still unanswered 30 s after the end", -ETIMEDOUT);
            break;
        }
        abi::io_uring_cqe* first = nullptr;
        abi::kernel_timespec ts{0, 100'000'000};
        const int ret = b.ring.submit_and_wait_timeout(&first, 1, &ts);
        if (ret < 0 && ret != -ETIME && ret != -EINTR) {
            b.fail("wait", ret);
            break;
        }
        const int n = b.ring.copy_cqes(std::span<cqe_t>(batch), 0);
        if (n < 0) {
            b.fail("copy_cqes", n);
            break;
        }
        for (int i = 0; i < n; ++i) b.on_cqe(batch[i]);
    }
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();

    for (client_conn& c : b.conns)
        if (c.fd >= 0) ::close(c.fd);  // the built-in server stops once it has seen them all close
    if (b.error != nullptr) srv.abort.store(true, std::memory_order_relaxed);  // or now, after a failure
    // After a failure (CQEs still due for the sockets just closed) tear the ring down before
    // anything it points into goes away.
    (void)b.ring.exit();
    if (server_thread.joinable()) server_thread.join();

    if (b.error != nullptr || srv.errors != 0) {
        std::fprintf(stderr, "echo_bench: %s: %s (server errors %u)\n", b.error != nullptr ? b.error : "server",
                     std::strerror(b.error_res < 0 ? -b.error_res : 0), srv.errors);
        return 1;
    }
    std::vector<std::uint32_t>& v = b.latency_ns;
    if (v.empty()) {
        std::fprintf(stderr, "echo_bench: no round trip completed\n");
        return 1;
    }
    std::sort(v.begin(), v.end());
    auto pct = [&](double q) {
        std::size_t at = static_cast<std::size_t>(q * static_cast<double>(v.size()));
        if (at >= v.size()) at = v.size() - 1;
        return static_cast<double>(v[at]) / 1000.0;
    };
    std::printf("echo_bench: %u connections x %u bytes, %zu round trips in %.3f s, every echo checked: "
                "%.0f ops/s, latency p50 %.1f us, p99 %.1f us, p999 %.1f us\n",
                opt.connections, opt.size, v.size(), secs, static_cast<double>(v.size()) / secs, pct(0.50),
                pct(0.99), pct(0.999));
    return 0;
}
