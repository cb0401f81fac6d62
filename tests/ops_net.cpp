// SPDX-License-Identifier: MIT
// Kernel tests, one per opcode: sockets, polling and epoll over loopback, checked by the bytes that
// arrive, the addresses the kernel reports, the fds installed and the CQE flags.
#include <linux/sockios.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <chrono>
#include <thread>

#include "ops_util.hpp"

using namespace rawring_test;
using namespace rawring_test::ops;
namespace err = rawring::err;

namespace {

sockaddr* sa(sockaddr_in& a) { return reinterpret_cast<sockaddr*>(&a); }
const sockaddr* sa(const sockaddr_in& a) { return reinterpret_cast<const sockaddr*>(&a); }

sockaddr_in local_addr(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    REQUIRE(::getsockname(fd, sa(a), &len) == 0);
    return a;
}

sockaddr_in peer_addr(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    REQUIRE(::getpeername(fd, sa(a), &len) == 0);
    return a;
}

bool same_addr(const sockaddr_in& a, const sockaddr_in& b) {
    return a.sin_family == b.sin_family && a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
}

int sockopt_int(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof(v);
    REQUIRE(::getsockopt(fd, level, name, &v, &len) == 0);
    return v;
}

/// Waits at most 5 s for `fd` to be readable, so a lost datagram fails the case, not hangs it.
void wait_readable(int fd) {
    pollfd pfd{fd, POLLIN, 0};
    REQUIRE_MESSAGE(::poll(&pfd, 1, 5000) == 1, "nothing to read within 5 s");
}

/// Receives exactly `n` bytes with plain recv (the test's side of the wire).
std::string recv_exactly(int fd, std::size_t n) {
    std::string out;
    char buf[8192];
    while (out.size() < n) {
        wait_readable(fd);
        const ssize_t got = ::recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
        REQUIRE(got > 0);
        out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
}

/// Waits until `fd` has at least `n` bytes queued to read (loopback delivery is asynchronous).
void wait_inq(int fd, int n) {
    int inq = 0;
    for (int i = 0; i < 2000; ++i) {
        REQUIRE(::ioctl(fd, SIOCINQ, &inq) == 0);
        if (inq >= n) return;
        std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    FAIL("only " << inq << " of " << n << " bytes arrived");
}

/// One datagram with plain recvfrom; the sender's address in `*from` if given.
std::string recv_datagram(int fd, sockaddr_in* from = nullptr) {
    wait_readable(fd);
    char buf[8192];
    sockaddr_in src{};
    socklen_t len = sizeof(src);
    const ssize_t got = ::recvfrom(fd, buf, sizeof(buf), 0, sa(src), &len);
    REQUIRE(got >= 0);
    if (from != nullptr) *from = src;
    return std::string(buf, static_cast<std::size_t>(got));
}

/// An unconnected UDP socket bound to a loopback port (takes datagrams from anyone).
struct udp_socket {
    owned_fd fd;
    sockaddr_in addr{};
    udp_socket() {
        fd = owned_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd >= 0);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
        socklen_t len = sizeof(addr);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    }
};

owned_fd tcp_socket() {
    owned_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd >= 0);
    return fd;
}

sockaddr_in loopback_any_port() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/// A pattern that makes misplaced bytes visible.
std::string pattern(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 23));
    return s;
}

/// A provided-buffer ring of `entries` buffers of `size` bytes, all handed to the kernel.
struct pbuf_ring {
    rawring::ring& r;
    abi::io_uring_buf_ring* br = nullptr;
    unsigned entries;
    unsigned size;
    int bgid;
    std::vector<char> storage;
    pbuf_ring(rawring::ring& ring, unsigned n, unsigned sz, int group)
        : r(ring), entries(n), size(sz), bgid(group), storage(static_cast<std::size_t>(n) * sz) {
        int ret = 0;
        br = rawring::setup_buf_ring(r, entries, bgid, 0, &ret);
        REQUIRE_MESSAGE(br != nullptr, "setup_buf_ring: " << std::string(std::strerror(-ret)));
        for (unsigned i = 0; i < entries; ++i)
            rawring::buf_ring_add(br, buf(i), size, static_cast<unsigned short>(i),
                                  rawring::buf_ring_mask(entries), static_cast<int>(i));
        rawring::buf_ring_advance(br, static_cast<int>(entries));
    }
    ~pbuf_ring() { CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0); }
    pbuf_ring(const pbuf_ring&) = delete;
    pbuf_ring& operator=(const pbuf_ring&) = delete;
    char* buf(unsigned bid) { return storage.data() + static_cast<std::size_t>(bid) * size; }
    /// Gives buffer `bid` back to the kernel.
    void recycle(unsigned bid) {
        rawring::buf_ring_add(br, buf(bid), size, static_cast<unsigned short>(bid),
                              rawring::buf_ring_mask(entries), 0);
        rawring::buf_ring_advance(br, 1);
    }
};

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("op: POLL_ADD") {
    if (!op_supported(abi::IORING_OP_POLL_ADD)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        pipe_pair p;
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_poll_add(sqe, p.read_end, POLLIN);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        REQUIRE(::write(p.write_end, "x", 1) == 1);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK((cqe.res & POLLIN) != 0);
        CHECK_FALSE(rawring::cqe_has_more(&cqe));  // single shot
        // Already ready: completes at once.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_poll_add(s, p.write_end, POLLOUT); });
        CHECK((cqe.res & POLLOUT) != 0);
        char ch;
        REQUIRE(::read(p.read_end, &ch, 1) == 1);

        // Multishot: a CQE with MORE per wake-up, until removed.
        sqe = sqe_of(r);
        rawring::prep_poll_multishot(sqe, p.read_end, POLLIN);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        for (int i = 0; i < 3; ++i) {
            REQUIRE(::write(p.write_end, "y", 1) == 1);
            cqe = reap(r);
            CHECK(cqe.user_data == 3);
            CHECK((cqe.res & POLLIN) != 0);
            CHECK(rawring::cqe_has_more(&cqe));
            REQUIRE(::read(p.read_end, &ch, 1) == 1);
        }
        sqe = sqe_of(r);
        rawring::prep_poll_remove(sqe, 3);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 1);
        const std::vector<io_uring_cqe> got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 3);
        CHECK(got[0].res == -ECANCELED);
        CHECK_FALSE(rawring::cqe_has_more(&got[0]));
        CHECK(got[1].user_data == 4);
        CHECK(got[1].res == 0);
        CHECK(no_cqe_within(r, 5));
    });
}

TEST_CASE("op: POLL_REMOVE") {
    if (!op_supported(abi::IORING_OP_POLL_REMOVE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        pipe_pair p;
        // Remove: the poll ends with -ECANCELED.
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_poll_add(sqe, p.read_end, POLLIN);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        // The two CQEs come in either order (6.18 posts the remove's first, 6.1 the poll's).
        sqe = sqe_of(r);
        rawring::prep_poll_remove(sqe, 1);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 1);
        std::vector<io_uring_cqe> got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 1);
        CHECK(got[0].res == -ECANCELED);
        CHECK(got[1].user_data == 2);
        CHECK(got[1].res == 0);
        io_uring_cqe cqe = run_one(r, 3, [](io_uring_sqe* s) { rawring::prep_poll_remove(s, 1); });
        CHECK(cqe.res == -ENOENT);

        // Update: a poll for POLLPRI (never on a pipe) becomes one for POLLIN with new user_data.
        sqe = sqe_of(r);
        rawring::prep_poll_add(sqe, p.read_end, POLLPRI);
        rawring::sqe_set_data64(sqe, 10);
        submit_n(r, 1);
        REQUIRE(::write(p.write_end, "z", 1) == 1);
        CHECK(no_cqe_within(r, 5));  // POLLPRI does not fire
        // The update's CQE and the updated poll's (it fires at once) come in either order.
        sqe = sqe_of(r);
        rawring::prep_poll_update(sqe, 10, 12, POLLIN,
                                  abi::IORING_POLL_UPDATE_EVENTS | abi::IORING_POLL_UPDATE_USER_DATA);
        rawring::sqe_set_data64(sqe, 11);
        submit_n(r, 1);
        got = reap_sorted(r, 2);
        CHECK(got[0].user_data == 11);
        CHECK(got[0].res == 0);
        CHECK(got[1].user_data == 12);
        CHECK((got[1].res & POLLIN) != 0);
        cqe = run_one(r, 13, [](io_uring_sqe* s) {
            rawring::prep_poll_update(s, 10, 14, 0, abi::IORING_POLL_UPDATE_USER_DATA);
        });
        CHECK(cqe.res == -ENOENT);  // it already completed
        // A mask without UPDATE_EVENTS, or new user_data without UPDATE_USER_DATA, is refused.
        cqe = run_one(r, 15, [](io_uring_sqe* s) {
            rawring::prep_poll_update(s, 10, 14, POLLIN, abi::IORING_POLL_UPDATE_USER_DATA);
        });
        CHECK(cqe.res == -EINVAL);
        cqe = run_one(r, 16, [](io_uring_sqe* s) { rawring::prep_poll_update(s, 10, 14, 0, 0); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: SENDMSG") {
    if (!op_supported(abi::IORING_OP_SENDMSG)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        // UDP: two pieces gathered into one datagram.
        udp_pair u;
        char a[] = "hello ", b[] = "world";
        iovec iov[2] = {{a, 6}, {b, 5}};
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_sendmsg(s, u.a, &msg, 0); });
        CHECK(cqe.res == 11);
        CHECK(recv_datagram(u.b) == "hello world");

        // To an address named in the message, from an unconnected socket.
        udp_socket lone, dest;
        msghdr to{};
        to.msg_name = &dest.addr;
        to.msg_namelen = sizeof(dest.addr);
        to.msg_iov = iov;
        to.msg_iovlen = 1;
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_sendmsg(s, lone.fd, &to, 0); });
        CHECK(cqe.res == 6);
        sockaddr_in from{};
        CHECK(recv_datagram(dest.fd, &from) == "hello ");
        CHECK(same_addr(from, lone.addr));

        // TCP.
        tcp_pair t;
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_sendmsg(s, t.client, &msg, 0); });
        CHECK(cqe.res == 11);
        CHECK(recv_exactly(t.server, 11) == "hello world");

        // No address on an unconnected socket.
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_sendmsg(s, lone.fd, &msg, 0); });
        CHECK(cqe.res == -EDESTADDRREQ);
    });
}

TEST_CASE("op: RECVMSG") {
    if (!op_supported(abi::IORING_OP_RECVMSG)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        udp_pair u;
        char a[4], b[8];
        iovec iov[2] = {{a, 4}, {b, 8}};
        sockaddr_in from{};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof(from);
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_recvmsg(sqe, u.b, &msg, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        REQUIRE(::send(u.a, "datagram", 8, 0) == 8);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.res == 8);
        CHECK(std::string(a, 4) == "data");
        CHECK(std::string(b, 4) == "gram");
        CHECK(msg.msg_namelen == sizeof(sockaddr_in));
        CHECK(same_addr(from, u.addr_a));

        // A datagram longer than the buffers: cut, and MSG_TRUNC says so.
        REQUIRE(::send(u.a, "0123456789abcdefghij", 20, 0) == 20);
        msg.msg_namelen = sizeof(from);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_recvmsg(s, u.b, &msg, 0); });
        CHECK(cqe.res == 12);
        CHECK((msg.msg_flags & MSG_TRUNC) != 0);

        // Multishot with a buffer ring: each datagram in a buffer of its own, laid out as
        // io_uring_recvmsg_out, name, payload; cancel ends it with MORE clear.
        pbuf_ring bufs(r, 4, 256, 5);
        msghdr tmpl{};
        tmpl.msg_namelen = sizeof(sockaddr_in);
        sqe = sqe_of(r);
        rawring::prep_recvmsg_multishot(sqe, u.b, &tmpl, 0);
        rawring::sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
        rawring::sqe_set_buf_group(sqe, 5);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        const char* msgs[] = {"one", "two!", "three"};
        for (const char* m : msgs) {
            const std::size_t n = std::strlen(m);
            REQUIRE(::send(u.a, m, n, 0) == static_cast<ssize_t>(n));
            cqe = reap(r);
            CHECK(cqe.user_data == 3);
            CHECK(rawring::cqe_has_more(&cqe));
            const int bid = rawring::cqe_buffer_id(&cqe);
            REQUIRE(bid >= 0);
            REQUIRE(bid < 4);
            abi::io_uring_recvmsg_out out{};
            const char* base = bufs.buf(static_cast<unsigned>(bid));
            std::memcpy(&out, base, sizeof(out));
            CHECK(out.payloadlen == n);
            CHECK(out.namelen == sizeof(sockaddr_in));
            CHECK(cqe.res == static_cast<int>(sizeof(out) + sizeof(sockaddr_in) + n));
            sockaddr_in name{};
            std::memcpy(&name, base + sizeof(out), sizeof(name));
            CHECK(same_addr(name, u.addr_a));
            CHECK(std::string(base + sizeof(out) + sizeof(sockaddr_in), n) == m);
            bufs.recycle(static_cast<unsigned>(bid));
        }
        cqe = run_one(r, 4, [](io_uring_sqe* s) { rawring::prep_cancel64(s, 3, 0); });
        CHECK(cqe.res == 0);
        cqe = reap(r);
        CHECK(cqe.user_data == 3);
        CHECK(cqe.res == -ECANCELED);
        CHECK_FALSE(rawring::cqe_has_more(&cqe));
    });
}

TEST_CASE("op: ACCEPT") {
    if (!op_supported(abi::IORING_OP_ACCEPT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_listener listener;
        // Armed first, then a client arrives.
        sockaddr_in peer{};
        socklen_t len = sizeof(peer);
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_accept(sqe, listener.fd, sa(peer), &len, SOCK_CLOEXEC);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        owned_fd client = listener.connect_client();
        io_uring_cqe cqe = reap(r);
        REQUIRE(cqe.res >= 0);
        owned_fd accepted(cqe.res);
        CHECK(len == sizeof(sockaddr_in));
        CHECK(same_addr(peer, local_addr(client)));
        CHECK(same_addr(peer_addr(accepted), local_addr(client)));
        CHECK((::fcntl(accepted, F_GETFD) & FD_CLOEXEC) != 0);
        REQUIRE(::send(accepted, "welcome", 7, 0) == 7);
        CHECK(recv_exactly(client, 7) == "welcome");

        // Straight into the registered-file table.
        REQUIRE(rawring::register_files_sparse(r, 4) == 0);
        owned_fd client2 = listener.connect_client();
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_accept_direct(s, listener.fd, nullptr, nullptr, 0, 2);
        });
        CHECK(cqe.res == 0);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_send(s, 2, "direct", 6, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 6);
        CHECK(recv_exactly(client2, 6) == "direct");

        // Multishot: one CQE with MORE per connection; cancel ends it with MORE clear.
        sqe = sqe_of(r);
        rawring::prep_multishot_accept(sqe, listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 1);
        std::vector<owned_fd> clients, servers;
        for (int i = 0; i < 3; ++i) {
            clients.push_back(listener.connect_client());
            cqe = reap(r);
            CHECK(cqe.user_data == 4);
            REQUIRE(cqe.res >= 0);
            servers.emplace_back(cqe.res);
            CHECK(rawring::cqe_has_more(&cqe));
            CHECK(same_addr(peer_addr(servers.back()), local_addr(clients.back())));
        }
        cqe = run_one(r, 5, [](io_uring_sqe* s) { rawring::prep_cancel64(s, 4, 0); });
        CHECK(cqe.res == 0);
        cqe = reap(r);
        CHECK(cqe.user_data == 4);
        CHECK(cqe.res == -ECANCELED);
        CHECK_FALSE(rawring::cqe_has_more(&cqe));

        // Multishot into kernel-picked slots: res is the slot.
        sqe = sqe_of(r);
        rawring::prep_multishot_accept_direct(sqe, listener.fd, nullptr, nullptr, 0);
        rawring::sqe_set_data64(sqe, 6);
        submit_n(r, 1);
        owned_fd client3 = listener.connect_client();
        cqe = reap(r);
        REQUIRE(cqe.res >= 0);
        CHECK(cqe.res != 2);
        CHECK(cqe.res < 4);
        CHECK(rawring::cqe_has_more(&cqe));
        const int slot = cqe.res;
        cqe = run_one(r, 7, [&](io_uring_sqe* s) {
            rawring::prep_send(s, slot, "slot", 4, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 4);
        CHECK(recv_exactly(client3, 4) == "slot");
        cqe = run_one(r, 8, [&](io_uring_sqe* s) { rawring::prep_cancel_fd(s, listener.fd, 0); });
        CHECK(cqe.res == 0);
        cqe = reap(r);
        CHECK(cqe.user_data == 6);
        CHECK(cqe.res == -ECANCELED);
        CHECK_FALSE(rawring::cqe_has_more(&cqe));
    });
}

TEST_CASE("op: CONNECT") {
    if (!op_supported(abi::IORING_OP_CONNECT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_listener listener;
        owned_fd fd = tcp_socket();
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_connect(s, fd, sa(listener.addr), sizeof(listener.addr));
        });
        CHECK(cqe.res == 0);
        CHECK(same_addr(peer_addr(fd), listener.addr));
        owned_fd server(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
        REQUIRE(server >= 0);
        CHECK(same_addr(peer_addr(server), local_addr(fd)));
        REQUIRE(::send(fd, "connected", 9, 0) == 9);
        CHECK(recv_exactly(server, 9) == "connected");

        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_connect(s, fd, sa(listener.addr), sizeof(listener.addr));
        });
        CHECK(cqe.res == -EISCONN);

        // A loopback port nobody listens on.
        sockaddr_in closed{};
        {
            tcp_listener gone;
            closed = gone.addr;
        }
        owned_fd fd2 = tcp_socket();
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_connect(s, fd2, sa(closed), sizeof(closed)); });
        CHECK(cqe.res == -ECONNREFUSED);
    });
}

TEST_CASE("op: SEND") {
    if (!op_supported(abi::IORING_OP_SEND)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        const std::string data = pattern(3000, 'a');
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_send(s, t.client, data.data(), data.size(), 0);
        });
        CHECK(cqe.res == 3000);
        CHECK(recv_exactly(t.server, 3000) == data);

        // sendto: an unconnected UDP socket names the destination.
        udp_socket lone, dest;
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_sendto(s, lone.fd, "to b", 4, 0, sa(dest.addr), sizeof(dest.addr));
        });
        CHECK(cqe.res == 4);
        sockaddr_in from{};
        CHECK(recv_datagram(dest.fd, &from) == "to b");
        CHECK(same_addr(from, lone.addr));

        // Not connected.
        owned_fd fresh = tcp_socket();
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_send(s, fresh, "x", 1, MSG_NOSIGNAL); });
        CHECK(cqe.res == -EPIPE);
    });
}

TEST_CASE("op: RECV") {
    if (!op_supported(abi::IORING_OP_RECV)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        char buf[128];
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_recv(sqe, t.server, buf, sizeof(buf), 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        REQUIRE(::send(t.client, "pong", 4, 0) == 4);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.res == 4);
        CHECK(std::string(buf, 4) == "pong");

        // Part of what is queued: SOCK_NONEMPTY says more is waiting.
        const std::string data = pattern(100, 'k');
        REQUIRE(::send(t.client, data.data(), data.size(), 0) == 100);
        wait_inq(t.server, 100);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_recv(s, t.server, buf, 10, 0); });
        CHECK(cqe.res == 10);
        CHECK(rawring::cqe_sock_nonempty(&cqe));
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_recv(s, t.server, buf + 10, 90, 0); });
        CHECK(cqe.res == 90);
        CHECK_FALSE(rawring::cqe_sock_nonempty(&cqe));
        CHECK(std::string(buf, 100) == data);

        // Multishot with a buffer ring; the peer's shutdown ends it: res 0, MORE clear.
        pbuf_ring bufs(r, 4, 64, 6);
        sqe = sqe_of(r);
        rawring::prep_recv_multishot(sqe, t.server, nullptr, 0, 0);
        rawring::sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
        rawring::sqe_set_buf_group(sqe, 6);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 1);
        const char* msgs[] = {"alpha", "beta", "gamma!"};
        for (const char* m : msgs) {
            const std::size_t n = std::strlen(m);
            REQUIRE(::send(t.client, m, n, 0) == static_cast<ssize_t>(n));
            cqe = reap(r);
            CHECK(cqe.user_data == 4);
            CHECK(cqe.res == static_cast<int>(n));
            CHECK(rawring::cqe_has_more(&cqe));
            const int bid = rawring::cqe_buffer_id(&cqe);
            REQUIRE(bid >= 0);
            REQUIRE(bid < 4);
            CHECK(std::string(bufs.buf(static_cast<unsigned>(bid)), n) == m);
            bufs.recycle(static_cast<unsigned>(bid));
        }
        REQUIRE(::shutdown(t.client, SHUT_WR) == 0);
        cqe = reap(r);
        CHECK(cqe.user_data == 4);
        CHECK(cqe.res == 0);
        CHECK_FALSE(rawring::cqe_has_more(&cqe));
    });
}

TEST_CASE("op: EPOLL_CTL") {
    if (!op_supported(abi::IORING_OP_EPOLL_CTL)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        owned_fd ep(::epoll_create1(EPOLL_CLOEXEC));
        REQUIRE(ep >= 0);
        pipe_pair p;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = 0x55;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_epoll_ctl(s, ep, p.read_end, EPOLL_CTL_ADD, &ev);
        });
        CHECK(cqe.res == 0);
        epoll_event out[2]{};
        CHECK(::epoll_wait(ep, out, 2, 0) == 0);
        REQUIRE(::write(p.write_end, "e", 1) == 1);
        REQUIRE(::epoll_wait(ep, out, 2, 1000) == 1);
        CHECK(std::uint64_t{out[0].data.u64} == 0x55);
        CHECK((out[0].events & EPOLLIN) != 0);

        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_epoll_ctl(s, ep, p.read_end, EPOLL_CTL_ADD, &ev);
        });
        CHECK(cqe.res == -EEXIST);

        // MOD: a new cookie.
        ev.data.u64 = 0x66;
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_epoll_ctl(s, ep, p.read_end, EPOLL_CTL_MOD, &ev);
        });
        CHECK(cqe.res == 0);
        REQUIRE(::epoll_wait(ep, out, 2, 1000) == 1);
        CHECK(std::uint64_t{out[0].data.u64} == 0x66);

        // DEL: no more events though the pipe is still readable.
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_epoll_ctl(s, ep, p.read_end, EPOLL_CTL_DEL, nullptr);
        });
        CHECK(cqe.res == 0);
        CHECK(::epoll_wait(ep, out, 2, 0) == 0);
        cqe = run_one(r, 5, [&](io_uring_sqe* s) {
            rawring::prep_epoll_ctl(s, ep, p.read_end, EPOLL_CTL_DEL, nullptr);
        });
        CHECK(cqe.res == -ENOENT);
    });
}

TEST_CASE("op: SHUTDOWN") {
    if (!op_supported(abi::IORING_OP_SHUTDOWN)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_shutdown(s, t.client, SHUT_WR); });
        CHECK(cqe.res == 0);
        // The peer sees end of file; the other direction still works.
        char buf[8];
        wait_readable(t.server);
        CHECK(::recv(t.server, buf, sizeof(buf), 0) == 0);
        REQUIRE(::send(t.server, "back", 4, 0) == 4);
        CHECK(recv_exactly(t.client, 4) == "back");
        CHECK(::send(t.client, "x", 1, MSG_NOSIGNAL) == -1);
        CHECK(errno == EPIPE);

        pipe_pair p;
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_shutdown(s, p.read_end, SHUT_RDWR); });
        CHECK(cqe.res == -ENOTSOCK);
        owned_fd fresh = tcp_socket();
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_shutdown(s, fresh, SHUT_RDWR); });
        CHECK(cqe.res == -ENOTCONN);
    });
}

TEST_CASE("op: SOCKET") {
    if (!op_supported(abi::IORING_OP_SOCKET)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        io_uring_cqe cqe = run_one(r, 1, [](io_uring_sqe* s) { rawring::prep_socket(s, AF_INET, SOCK_STREAM, 0, 0); });
        REQUIRE(cqe.res >= 0);
        owned_fd fd(cqe.res);
        CHECK(sockopt_int(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM);
        CHECK(sockopt_int(fd, SOL_SOCKET, SO_DOMAIN) == AF_INET);
        CHECK(sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP);
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);
        tcp_listener listener;
        CHECK(::connect(fd, sa(listener.addr), sizeof(listener.addr)) == 0);

        cqe = run_one(r, 2, [](io_uring_sqe* s) {
            rawring::prep_socket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, 0);
        });
        REQUIRE(cqe.res >= 0);
        owned_fd udp(cqe.res);
        CHECK(sockopt_int(udp, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
        CHECK((::fcntl(udp, F_GETFD) & FD_CLOEXEC) != 0);
        CHECK((::fcntl(udp, F_GETFL) & O_NONBLOCK) != 0);

        // Into registered slots, then used from there: connect through the slot.
        REQUIRE(rawring::register_files_sparse(r, 4) == 0);
        cqe = run_one(r, 3, [](io_uring_sqe* s) {
            rawring::prep_socket_direct(s, AF_INET, SOCK_STREAM, 0, 1, 0);
        });
        CHECK(cqe.res == 0);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_connect(s, 1, sa(listener.addr), sizeof(listener.addr));
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 0);
        cqe = run_one(r, 5, [](io_uring_sqe* s) { rawring::prep_socket_direct_alloc(s, AF_INET, SOCK_DGRAM, 0, 0); });
        REQUIRE(cqe.res >= 0);
        CHECK(cqe.res != 1);
        CHECK(cqe.res < 4);

        cqe = run_one(r, 6, [](io_uring_sqe* s) { rawring::prep_socket(s, 1000, SOCK_STREAM, 0, 0); });
        CHECK(cqe.res == -EAFNOSUPPORT);
    });
}

TEST_CASE("op: URING_CMD") {
    if (!op_supported(abi::IORING_OP_URING_CMD)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        // SIOCINQ: unread bytes on the receiving side, as ioctl(SIOCINQ) says.
        REQUIRE(::send(t.client, "12345", 5, 0) == 5);
        wait_inq(t.server, 5);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_uring_cmd(s, static_cast<int>(abi::SOCKET_URING_OP_SIOCINQ), t.server);
        });
        if (cqe.res == -EOPNOTSUPP) {
            // The kernel's sockets have no uring_cmd at all (socket commands arrived in 6.7).
            RAWRING_SKIP("the kernel answers -EOPNOTSUPP to a socket URING_CMD (SIOCINQ)");
            return;
        }
        int inq = -1;
        REQUIRE(::ioctl(t.server, SIOCINQ, &inq) == 0);
        CHECK(cqe.res == 5);
        CHECK(cqe.res == inq);

        // SIOCOUTQ: fill the path until the sender's queue holds data that cannot move.
        const std::string chunk(65536, 'q');
        while (::send(t.client, chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {}
        int outq = -1, before = -2;
        for (int i = 0; i < 200 && outq != before; ++i) {
            before = outq;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            REQUIRE(::ioctl(t.client, SIOCOUTQ, &outq) == 0);
        }
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_uring_cmd(s, static_cast<int>(abi::SOCKET_URING_OP_SIOCOUTQ), t.client);
        });
        REQUIRE(::ioctl(t.client, SIOCOUTQ, &outq) == 0);
        CHECK(cqe.res > 0);
        CHECK(cqe.res == outq);

        // setsockopt, checked with getsockopt(2); getsockopt, checked against it.
        int one = 1;
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_cmd_sock(s, static_cast<int>(abi::SOCKET_URING_OP_SETSOCKOPT), t.server, SOL_SOCKET,
                                   SO_KEEPALIVE, &one, sizeof(one));
        });
        CHECK(cqe.res == 0);
        CHECK(sockopt_int(t.server, SOL_SOCKET, SO_KEEPALIVE) == 1);
        int prio = 5;
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_cmd_sock(s, static_cast<int>(abi::SOCKET_URING_OP_SETSOCKOPT), t.server, SOL_SOCKET,
                                   SO_PRIORITY, &prio, sizeof(prio));
        });
        CHECK(cqe.res == 0);
        CHECK(sockopt_int(t.server, SOL_SOCKET, SO_PRIORITY) == 5);
        int got = -1;
        cqe = run_one(r, 5, [&](io_uring_sqe* s) {
            rawring::prep_cmd_sock(s, static_cast<int>(abi::SOCKET_URING_OP_GETSOCKOPT), t.server, SOL_SOCKET,
                                   SO_RCVBUF, &got, sizeof(got));
        });
        CHECK(cqe.res == static_cast<int>(sizeof(int)));  // the option's length
        CHECK(got == sockopt_int(t.server, SOL_SOCKET, SO_RCVBUF));
        got = -1;
        cqe = run_one(r, 6, [&](io_uring_sqe* s) {
            rawring::prep_cmd_sock(s, static_cast<int>(abi::SOCKET_URING_OP_GETSOCKOPT), t.server, SOL_SOCKET,
                                   SO_PRIORITY, &got, sizeof(got));
        });
        CHECK(cqe.res == static_cast<int>(sizeof(int)));
        CHECK(got == 5);

        // getsockname / getpeername, against the syscalls. The sub-command is newer than the
        // others (the kernel answers -EOPNOTSUPP for a socket command it does not know).
        sockaddr_in name{};
        unsigned len = sizeof(name);
        cqe = run_one(r, 7, [&](io_uring_sqe* s) {
            rawring::prep_cmd_getsockname(s, t.client, sa(name), &len, 0);
        });
        if (cqe.res == -EOPNOTSUPP) {
            MESSAGE("SKIP (part): this kernel has no SOCKET_URING_OP_GETSOCKNAME (-EOPNOTSUPP)");
        } else {
            CHECK(cqe.res == 0);
            CHECK(len == sizeof(sockaddr_in));
            CHECK(same_addr(name, local_addr(t.client)));
            len = sizeof(name);
            cqe = run_one(r, 8, [&](io_uring_sqe* s) {
                rawring::prep_cmd_getsockname(s, t.client, sa(name), &len, 1);
            });
            CHECK(cqe.res == 0);
            CHECK(same_addr(name, peer_addr(t.client)));
        }

        // A command the socket layer does not know, and a file that takes no commands.
        cqe = run_one(r, 9, [&](io_uring_sqe* s) { rawring::prep_uring_cmd(s, 0x7777, t.server); });
        CHECK(cqe.res == -EOPNOTSUPP);
        pipe_pair p;
        cqe = run_one(r, 10, [&](io_uring_sqe* s) {
            rawring::prep_uring_cmd(s, static_cast<int>(abi::SOCKET_URING_OP_SIOCINQ), p.read_end);
        });
        CHECK(cqe.res == -EOPNOTSUPP);
    });
}

TEST_CASE("op: SEND_ZC") {
    if (!op_supported(abi::IORING_OP_SEND_ZC)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        const std::string data = pattern(8192, 'Z');
        // Two CQEs: the result (MORE set), then the notification that the buffer is free.
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_send_zc(sqe, t.client, data.data(), data.size(), 0, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK(cqe.res == 8192);
        CHECK(rawring::cqe_has_more(&cqe));
        CHECK_FALSE(rawring::cqe_is_notif(&cqe));
        io_uring_cqe notif = reap(r);
        CHECK(notif.user_data == 1);
        CHECK(rawring::cqe_is_notif(&notif));
        CHECK_FALSE(rawring::cqe_has_more(&notif));
        CHECK(notif.res == 0);
        CHECK(recv_exactly(t.server, 8192) == data);

        // REPORT_USAGE: the notification says whether the kernel had to copy after all (it
        // does over loopback).
        sqe = sqe_of(r);
        rawring::prep_send_zc(sqe, t.client, data.data(), 100, 0, abi::IORING_SEND_ZC_REPORT_USAGE);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 1);
        cqe = reap(r);
        CHECK(cqe.res == 100);
        notif = reap(r);
        CHECK(rawring::cqe_is_notif(&notif));
        CHECK((static_cast<std::uint32_t>(notif.res) & abi::IORING_NOTIF_USAGE_ZC_COPIED) != 0);
        CHECK(recv_exactly(t.server, 100) == data.substr(0, 100));

        // From a registered buffer.
        void* mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(mem != MAP_FAILED);
        std::memcpy(mem, "registered zero copy", 20);
        const iovec reg{mem, 4096};
        REQUIRE(rawring::register_buffers(r, &reg, 1) == 0);
        sqe = sqe_of(r);
        rawring::prep_send_zc_fixed(sqe, t.client, mem, 20, 0, 0, 0);
        rawring::sqe_set_data64(sqe, 3);
        submit_n(r, 1);
        cqe = reap(r);
        CHECK(cqe.res == 20);
        CHECK(rawring::cqe_has_more(&cqe));
        notif = reap(r);
        CHECK(rawring::cqe_is_notif(&notif));
        CHECK(recv_exactly(t.server, 20) == "registered zero copy");
        REQUIRE(rawring::unregister_buffers(r) == 0);
        ::munmap(mem, 4096);

        // A send that fails once issued still owes its notification: MORE, then NOTIF.
        pipe_pair p;
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_send_zc(s, p.write_end, "x", 1, 0, 0); });
        CHECK(cqe.res == -ENOTSOCK);
        CHECK(rawring::cqe_has_more(&cqe));
        notif = reap(r);
        CHECK(notif.user_data == 4);
        CHECK(rawring::cqe_is_notif(&notif));
        CHECK_FALSE(rawring::cqe_has_more(&notif));
    });
}

TEST_CASE("op: SENDMSG_ZC") {
    if (!op_supported(abi::IORING_OP_SENDMSG_ZC)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        const std::string a = pattern(3000, 'A'), b = pattern(5000, 'b');
        iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_sendmsg_zc(sqe, t.client, &msg, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK(cqe.res == 8000);
        CHECK(rawring::cqe_has_more(&cqe));
        CHECK_FALSE(rawring::cqe_is_notif(&cqe));
        const io_uring_cqe notif = reap(r);
        CHECK(notif.user_data == 1);
        CHECK(rawring::cqe_is_notif(&notif));
        CHECK_FALSE(rawring::cqe_has_more(&notif));
        CHECK(recv_exactly(t.server, 8000) == a + b);

        // UDP with a destination in the message.
        udp_socket lone, dest;
        msghdr to{};
        to.msg_name = &dest.addr;
        to.msg_namelen = sizeof(dest.addr);
        to.msg_iov = iov;
        to.msg_iovlen = 1;
        sqe = sqe_of(r);
        rawring::prep_sendmsg_zc(sqe, lone.fd, &to, 0);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 1);
        cqe = reap(r);
        CHECK(cqe.res == 3000);
        const io_uring_cqe udp_notif = reap(r);
        CHECK(rawring::cqe_is_notif(&udp_notif));
        sockaddr_in from{};
        CHECK(recv_datagram(dest.fd, &from) == a);
        CHECK(same_addr(from, lone.addr));
    });
}

TEST_CASE("op: BIND") {
    if (!op_supported(abi::IORING_OP_BIND)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        owned_fd fd = tcp_socket();
        const sockaddr_in want = loopback_any_port();
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_bind(s, fd, sa(want), sizeof(want)); });
        CHECK(cqe.res == 0);
        const sockaddr_in bound = local_addr(fd);
        CHECK(bound.sin_family == AF_INET);
        CHECK(bound.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
        CHECK(bound.sin_port != 0);  // the kernel picked a port

        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_bind(s, fd, sa(want), sizeof(want)); });
        CHECK(cqe.res == -EINVAL);  // already bound
        owned_fd fd2 = tcp_socket();
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_bind(s, fd2, sa(bound), sizeof(bound)); });
        CHECK(cqe.res == -EADDRINUSE);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_bind(s, fd2, sa(want), 4); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: LISTEN") {
    if (!op_supported(abi::IORING_OP_LISTEN)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        owned_fd fd = tcp_socket();
        sockaddr_in addr = loopback_any_port();
        REQUIRE(::bind(fd, sa(addr), sizeof(addr)) == 0);
        addr = local_addr(fd);
        CHECK(sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN) == 0);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_listen(s, fd, 8); });
        CHECK(cqe.res == 0);
        CHECK(sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1);
        owned_fd client = tcp_socket();
        CHECK(::connect(client, sa(addr), sizeof(addr)) == 0);
        owned_fd server(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
        CHECK(server >= 0);

        owned_fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(udp >= 0);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_listen(s, udp, 8); });
        CHECK(cqe.res == -EOPNOTSUPP);
    });
}

TEST_CASE("op: RECV_ZC") {
    // What the helper prepares.
    abi::io_uring_sqe sqe{};
    rawring::prep_recv_zc(&sqe, 7, 4096, 3, abi::IORING_RECV_MULTISHOT);
    CHECK(sqe.opcode == abi::IORING_OP_RECV_ZC);
    CHECK(sqe.fd == 7);
    CHECK(sqe.len == 4096);
    CHECK(sqe.zcrx_ifq_idx == 3);
    CHECK(sqe.ioprio == abi::IORING_RECV_MULTISHOT);
    CHECK(sqe.addr == 0);
    CHECK(sqe.off == 0);
    CHECK(sqe.addr3 == 0);
    if (!op_supported(abi::IORING_OP_RECV_ZC)) return;
    // Without a zero-copy receive queue registered on the ring (IORING_REGISTER_ZCRX_IFQ), the
    // kernel finds no interface queue at the index and refuses the request with -EINVAL
    // (io_recvzc_prep in io_uring/net.c).
    each_ring(8, [](rawring::ring& r, const config&) {
        tcp_pair t;
        const io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_recv_zc(s, t.server, 0, 0, abi::IORING_RECV_MULTISHOT);
        });
        CHECK(cqe.res == -EINVAL);
        CHECK_FALSE(rawring::cqe_has_more(&cqe));
    });
    RAWRING_SKIP("RECV_ZC needs a NIC with zero-copy receive (header split, flow steering) to "
                 "register an interface queue on; this machine has none");
}

TEST_CASE("op: EPOLL_WAIT") {
    if (!op_supported(abi::IORING_OP_EPOLL_WAIT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        owned_fd ep(::epoll_create1(EPOLL_CLOEXEC));
        REQUIRE(ep >= 0);
        pipe_pair p1, p2;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = 0x99;
        REQUIRE(::epoll_ctl(ep, EPOLL_CTL_ADD, p1.read_end, &ev) == 0);
        ev.data.u64 = 0xaa;
        REQUIRE(::epoll_ctl(ep, EPOLL_CTL_ADD, p2.read_end, &ev) == 0);

        epoll_event out[4]{};
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_epoll_wait(sqe, ep, out, 4, 0);
        rawring::sqe_set_data64(sqe, 1);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        REQUIRE(::write(p2.write_end, "w", 1) == 1);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK(cqe.res == 1);
        CHECK(std::uint64_t{out[0].data.u64} == 0xaa);
        CHECK((out[0].events & EPOLLIN) != 0);

        // Both ready: both reported at once.
        REQUIRE(::write(p1.write_end, "w", 1) == 1);
        std::memset(out, 0, sizeof(out));
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_epoll_wait(s, ep, out, 4, 0); });
        CHECK(cqe.res == 2);
        CHECK(std::uint64_t{out[0].data.u64} + std::uint64_t{out[1].data.u64} == 0x99 + 0xaa);

        // Not an epoll fd.
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_epoll_wait(s, p1.read_end, out, 4, 0); });
        CHECK(cqe.res == -EINVAL);
    });
}

} // TEST_SUITE
