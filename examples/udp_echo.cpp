// SPDX-License-Identifier: MIT
// udp_echo: a UDP echo server on one rawring::ring, with IORING_OP_RECVMSG and IORING_OP_SENDMSG.
//
// Usage:
//   udp_echo          server and a client thread on 127.0.0.1 (port 0); the client's sockets
//                     send a fixed set of datagrams, every echoed byte is checked, and each echo
//                     must come back to the socket that sent it; one summary line
//   udp_echo PORT     a real server on 127.0.0.1:PORT until killed
//
// Several recvmsg requests stay in flight at once, each with its own msghdr, iovec, buffer and
// address. When one completes, the kernel has filled in the sender's address (msg_name,
// msg_namelen) and the datagram's flags (msg_flags: MSG_TRUNC if it did not fit); the server
// answers with a sendmsg of the same msghdr, so the reply goes to that sender, and re-arms the
// slot once the send is done. The msghdr must stay put until its request completes: slots
// live in a fixed array.
#include <rawring/prep.hpp>
#include <rawring/ring.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

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

constexpr unsigned slots = 4;             // recvmsg requests in flight
constexpr unsigned max_datagram = 9000;   // what the server takes; bigger ones are truncated
constexpr unsigned client_sockets = 3;
constexpr unsigned rounds = 100;          // datagrams per client socket

enum kind : std::uint64_t { k_recv = 1, k_send, k_cancel };
std::uint64_t ud(kind k, unsigned slot) { return k | (std::uint64_t{slot} << 8); }

struct slot {
    sockaddr_storage peer{};
    iovec iov{};
    msghdr msg{};
    bool busy = false;  // a recvmsg or sendmsg in flight
    char buf[max_datagram];
};

struct server {
    rawring::ring ring;
    int fd = -1;
    slot s[slots];
    bool stopping = false;
    std::uint64_t datagrams = 0, bytes = 0, truncated = 0;
    int error = 0;
    const char* error_what = "";

    void fail(const char* what, int res) {
        if (error == 0) {
            error = res < 0 ? res : -EIO;
            error_what = what;
        }
    }
    abi::io_uring_sqe* sqe() {
        abi::io_uring_sqe* q = ring.get_sqe();
        if (q == nullptr && ring.submit() >= 0) q = ring.get_sqe();
        if (q == nullptr) fail("get_sqe", -EBUSY);
        return q;
    }

    void post_recv(unsigned i) {
        slot& x = s[i];
        // The kernel writes the sender's address and its length back into msg: reset both.
        x.iov = {x.buf, sizeof x.buf};
        x.msg = {};
        x.msg.msg_name = &x.peer;
        x.msg.msg_namelen = sizeof x.peer;
        x.msg.msg_iov = &x.iov;
        x.msg.msg_iovlen = 1;
        abi::io_uring_sqe* q = sqe();
        if (q == nullptr) return;
        rawring::prep_recvmsg(q, fd, &x.msg, 0);
        q->user_data = ud(k_recv, i);
        x.busy = true;
    }

    void on_recv(unsigned i, int res) {
        slot& x = s[i];
        if (res < 0) {
            x.busy = false;
            // Cancelled: -ECANCELED, or -EINTR for a request an io-wq worker was running.
            if (!stopping || (res != -ECANCELED && res != -EINTR)) fail("recvmsg", res);
            return;
        }
        ++datagrams;
        if ((x.msg.msg_flags & MSG_TRUNC) != 0) ++truncated;
        // Echo what arrived, to whoever sent it: msg_name and msg_namelen as the kernel left them.
        x.iov.iov_len = static_cast<std::size_t>(res);
        abi::io_uring_sqe* q = sqe();
        if (q == nullptr) return;
        rawring::prep_sendmsg(q, fd, &x.msg, 0);
        q->user_data = ud(k_send, i);
    }

    void on_send(unsigned i, int res) {
        if (res < 0) fail("sendmsg", res);
        else bytes += static_cast<unsigned>(res);
        s[i].busy = false;
        if (!stopping) post_recv(i);
    }

    int step() {
        abi::io_uring_cqe* first = nullptr;
        abi::kernel_timespec ts{0, 50'000'000};
        const int r = ring.submit_and_wait_timeout(&first, 1, &ts);
        if (r < 0 && r != -ETIME && r != -EINTR) return r;
        abi::io_uring_cqe batch[16];
        const int n = ring.copy_cqes(std::span<abi::io_uring_cqe>(batch), 0);
        if (n < 0) return n;
        for (int k = 0; k < n; ++k) {
            const auto i = static_cast<unsigned>(batch[k].user_data >> 8);
            switch (static_cast<kind>(batch[k].user_data & 0xff)) {
            case k_recv: on_recv(i, batch[k].res); break;
            case k_send: on_send(i, batch[k].res); break;
            case k_cancel:
                if (batch[k].res < 0 && batch[k].res != -ENOENT) fail("cancel", batch[k].res);
                break;
            default: fail("unexpected CQE", -EINVAL);
            }
        }
        return 0;
    }

    // Cancels every request on the socket (IORING_ASYNC_CANCEL_FD | ALL).
    void cancel_all() {
        stopping = true;
        abi::io_uring_sqe* q = sqe();
        if (q == nullptr) return;
        rawring::prep_cancel_fd(q, fd, abi::IORING_ASYNC_CANCEL_ALL);
        q->user_data = ud(k_cancel, 0);
    }
    [[nodiscard]] bool idle() const {
        for (const slot& x : s)
            if (x.busy) return false;
        return true;
    }
};

// ---- the client (plain blocking sockets, on its own thread) --------------------------------------

std::size_t datagram_size(unsigned sock, unsigned round) {
    return 1 + (sock * 7919u + round * 104729u) % 8000u;
}
unsigned char datagram_byte(unsigned sock, unsigned round, std::size_t i) {
    return static_cast<unsigned char>((sock * 101u + round * 37u + i * 5u + (i >> 8)) & 0xffu);
}

struct client_result {
    unsigned datagrams = 0;
    std::uint64_t bytes = 0;
    const char* error = nullptr;
    std::atomic<bool> done{false};
};

// Each round, every client socket sends one datagram, then each reads its echo: the server has
// three senders' datagrams in hand at once and must answer each to its own address.
void run_clients(sockaddr_in server_addr, client_result* out) {
    int fds[client_sockets];
    for (int& fd : fds) fd = -1;
    std::vector<unsigned char> msg(max_datagram), echo(max_datagram + 1);
    const timeval tv{30, 0};  // loopback does not lose datagrams; 30 s bounds a bug
    for (unsigned c = 0; c < client_sockets && out->error == nullptr; ++c) {
        fds[c] = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fds[c] < 0 || ::setsockopt(fds[c], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
            ::connect(fds[c], reinterpret_cast<const sockaddr*>(&server_addr), sizeof server_addr) != 0)
            out->error = "socket";
    }
    for (unsigned r = 0; r < rounds && out->error == nullptr; ++r) {
        for (unsigned c = 0; c < client_sockets && out->error == nullptr; ++c) {
            const std::size_t n = datagram_size(c, r);
            for (std::size_t i = 0; i < n; ++i) msg[i] = datagram_byte(c, r, i);
            if (::send(fds[c], msg.data(), n, 0) != static_cast<ssize_t>(n)) out->error = "send";
        }
        for (unsigned c = 0; c < client_sockets && out->error == nullptr; ++c) {
            const std::size_t n = datagram_size(c, r);
            for (std::size_t i = 0; i < n; ++i) msg[i] = datagram_byte(c, r, i);
            const ssize_t got = ::recv(fds[c], echo.data(), echo.size(), 0);
            if (got != static_cast<ssize_t>(n)) out->error = "recv (lost, or another socket's echo)";
            else if (std::memcmp(msg.data(), echo.data(), n) != 0) out->error = "echo differs";
            else {
                ++out->datagrams;
                out->bytes += n;
            }
        }
    }
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
    out->done.store(true, std::memory_order_release);
}

} // namespace

int main(int argc, char** argv) {
    static server srv;  // static: the slots' buffers are too big for the stack
    if (int r = srv.ring.init(32); r < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-r));
        return 77;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool forever = argc > 1;
    if (forever) addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
    srv.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t alen = sizeof addr;
    if (srv.fd < 0 || ::bind(srv.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(srv.fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
        std::fprintf(stderr, "udp_echo: socket/bind: %s\n", std::strerror(errno));
        return 1;
    }
    for (unsigned i = 0; i < slots; ++i) srv.post_recv(i);

    if (forever) {
        std::printf("udp_echo: serving on 127.0.0.1:%u\n", ntohs(addr.sin_port));
        std::fflush(stdout);
        for (;;) {
            if (int r = srv.step(); r < 0) {
                std::fprintf(stderr, "udp_echo: wait: %s\n", std::strerror(-r));
                return 1;
            }
            if (srv.error != 0) {  // log, and keep serving
                std::fprintf(stderr, "udp_echo: %s: %s\n", srv.error_what, std::strerror(-srv.error));
                srv.error = 0;
                for (unsigned i = 0; i < slots; ++i)
                    if (!srv.s[i].busy) srv.post_recv(i);
            }
        }
    }

    client_result cr;
    std::thread client(run_clients, addr, &cr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int r = 0;
    while (r == 0 && srv.error == 0 && !cr.done.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < deadline)
        r = srv.step();
    client.join();
    // Every datagram is answered (the client got them all): cancel the idle receives and wait
    // until every slot is free, so no request points into memory that goes away.
    srv.cancel_all();
    while (r == 0 && !srv.idle() && std::chrono::steady_clock::now() < deadline) r = srv.step();
    if (r < 0) srv.fail("wait", r);
    ::close(srv.fd);

    const unsigned want = client_sockets * rounds;
    if (srv.error != 0 || cr.error != nullptr || !srv.idle() || cr.datagrams != want ||
        srv.datagrams != want || srv.bytes != cr.bytes || srv.truncated != 0) {
        std::fprintf(stderr,
                     "udp_echo: server %s %s, client %s; datagrams %u/%llu, bytes %llu/%llu, truncated %llu\n",
                     srv.error_what, std::strerror(-srv.error), cr.error != nullptr ? cr.error : "ok",
                     cr.datagrams, static_cast<unsigned long long>(srv.datagrams),
                     static_cast<unsigned long long>(srv.bytes), static_cast<unsigned long long>(cr.bytes),
                     static_cast<unsigned long long>(srv.truncated));
        return 1;
    }
    std::printf("udp_echo: %u client sockets, %u datagrams, %llu bytes echoed byte for byte, each to "
                "its sender (recvmsg/sendmsg, %u receives in flight)\n",
                client_sockets, cr.datagrams, static_cast<unsigned long long>(cr.bytes), slots);
    return 0;
}
