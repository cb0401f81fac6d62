// SPDX-License-Identifier: MIT
// echo_multishot: a TCP echo server on one rawring::ring: fixed files, one multishot accept, and
// one multishot recv per connection into a provided buffer ring (rawring::buffer_group).
//
// Usage:
//   echo_multishot              server and a client thread on 127.0.0.1 (port 0); the client
//                               sends a fixed set of messages, checks every echoed byte, and
//                               the program prints one summary line
//   echo_multishot PORT         a real server on 127.0.0.1:PORT until killed
//
// What it shows:
// - the listening socket lives only in the registered-file table (its plain fd is closed
//   right after registration), and every accepted connection goes straight into a free slot
//   (IORING_FILE_INDEX_ALLOC): no connection ever has a plain fd;
// - each connection has one multishot recv (IORING_RECV_MULTISHOT, IOSQE_BUFFER_SELECT): the
//   kernel picks a buffer of the group for every arrival and names it in the CQE;
// - the server echoes straight from that buffer and gives it back to the group only when the
//   send of its bytes has completed (buffer_group::put_by_id); one send in flight per
//   connection keeps the stream in order;
// - when every buffer is held by pending sends, the multishot recv ends with -ENOBUFS (no
//   IORING_CQE_F_MORE); the server re-arms it once a buffer is back.
#include <rawring/buf_ring.hpp>
#include <rawring/prep.hpp>
#include <rawring/probe.hpp>
#include <rawring/register.hpp>
#include <rawring/ring.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

namespace abi = rawring::abi;

constexpr unsigned slots = 64;          // registered-file table: slot 0 the listener
constexpr unsigned listener_slot = 0;
constexpr std::uint16_t group_id = 1;
constexpr unsigned buffers = 8;         // buffers in the group: fewer than a long message needs
constexpr unsigned buffer_size = 256;   // small, so a message spans several buffers
constexpr unsigned clients = 4;
constexpr unsigned rounds = 50;         // messages per client
constexpr unsigned max_message = 3000;

// user_data: what the CQE is for, and the connection's slot.
enum op : std::uint64_t { op_accept = 1, op_recv, op_send, op_close, op_cancel };
std::uint64_t ud(op o, unsigned slot) { return static_cast<std::uint64_t>(o) | (std::uint64_t{slot} << 8); }

struct connection {
    bool open = false;
    bool recv_armed = false;
    bool eof = false;
    bool sending = false;
    bool closing = false;
    // Buffers received and not yet echoed, in arrival order: (buffer id, length).
    std::uint16_t queue_bid[buffers] = {};
    std::uint32_t queue_len[buffers] = {};
    unsigned queue_head = 0, queue_count = 0;
    unsigned sent_of_head = 0;  // bytes of the head buffer already sent
};

struct server {
    // Declared first, so destroyed last: the kernel may write into the buffers until the ring
    // is gone. The group is unregistered before the ring is torn down.
    std::vector<std::byte> memory = std::vector<std::byte>(buffers * buffer_size);
    rawring::ring ring;
    rawring::buffer_group group;
    connection conns[slots];
    bool accept_armed = false;
    bool stopping = false;
    unsigned accepted = 0, closed = 0, enobufs = 0;
    std::uint64_t bytes = 0;
    int error = 0;  // the first failure, -errno
    const char* error_what = "";

    void fail(const char* what, int res) {
        if (error == 0) {
            error = res < 0 ? res : -EIO;
            error_what = what;
        }
    }

    abi::io_uring_sqe* sqe() {
        abi::io_uring_sqe* s = ring.get_sqe();
        if (s == nullptr) {  // SQ full: hand what is queued to the kernel, then there is room
            if (int r = ring.submit(); r < 0) fail("submit", r);
            s = ring.get_sqe();
        }
        if (s == nullptr) fail("get_sqe", -EBUSY);
        return s;
    }

    void arm_accept() {
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        // Accept into free slots of the table (the kernel picks one; res is the slot).
        rawring::prep_multishot_accept_direct(s, static_cast<int>(listener_slot), nullptr, nullptr, 0);
        s->flags |= abi::IOSQE_FIXED_FILE;  // the listener itself is a fixed file
        s->user_data = ud(op_accept, 0);
        accept_armed = true;
    }

    void arm_recv(unsigned slot) {
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        group.recv_multishot(s, static_cast<int>(slot), 0);
        s->flags |= abi::IOSQE_FIXED_FILE;
        s->user_data = ud(op_recv, slot);
        conns[slot].recv_armed = true;
    }

    void send_head(unsigned slot) {
        connection& c = conns[slot];
        const std::uint16_t bid = c.queue_bid[c.queue_head];
        const std::span<std::byte> b = group.get_by_id(bid);
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        rawring::prep_send(s, static_cast<int>(slot), b.data() + c.sent_of_head,
                           c.queue_len[c.queue_head] - c.sent_of_head, MSG_NOSIGNAL);
        s->flags |= abi::IOSQE_FIXED_FILE;
        s->user_data = ud(op_send, slot);
        c.sending = true;
    }

    void close_slot(unsigned slot) {
        connection& c = conns[slot];
        if (c.closing) return;
        c.closing = true;
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        rawring::prep_close_direct(s, slot);
        s->user_data = ud(op_close, slot);
    }

    // A buffer came back: a connection whose recv ran dry may go on.
    void rearm_stalled() {
        for (unsigned i = 1; i < slots; ++i) {
            connection& c = conns[i];
            if (c.open && !c.recv_armed && !c.eof && !c.closing) arm_recv(i);
        }
    }

    void on_accept(const abi::io_uring_cqe& cqe) {
        if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0) accept_armed = false;
        if (cqe.res < 0) {
            // Cancelled: -ECANCELED, or -EINTR for a request an io-wq worker was running.
            if (!stopping || (cqe.res != -ECANCELED && cqe.res != -EINTR)) fail("accept", cqe.res);
            return;
        }
        const auto slot = static_cast<unsigned>(cqe.res);
        if (slot == listener_slot || slot >= slots) return fail("accept slot", -ERANGE);
        conns[slot] = connection{};
        conns[slot].open = true;
        ++accepted;
        arm_recv(slot);
        if (!accept_armed && !stopping) arm_accept();  // the kernel ended it (CQ overflow...)
    }

    void on_recv(unsigned slot, const abi::io_uring_cqe& cqe) {
        connection& c = conns[slot];
        if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0) c.recv_armed = false;
        if (cqe.res == -ENOBUFS) {
            // Every buffer is waiting for its send; rearm_stalled() restarts this connection.
            ++enobufs;
            return;
        }
        if (cqe.res < 0) {
            fail("recv", cqe.res);
            return close_slot(slot);
        }
        if (cqe.res == 0) {  // the client closed its side
            c.eof = true;
            if (!c.sending) close_slot(slot);
            return;
        }
        const int bid = rawring::cqe_buffer_id(cqe);
        if (bid < 0) return fail("recv without a buffer", bid);
        if (c.queue_count == buffers) return fail("queue", -EOVERFLOW);
        const unsigned at = (c.queue_head + c.queue_count) % buffers;
        c.queue_bid[at] = static_cast<std::uint16_t>(bid);
        c.queue_len[at] = static_cast<std::uint32_t>(cqe.res);
        ++c.queue_count;
        if (!c.sending) send_head(slot);
        if (!c.recv_armed && !c.eof) arm_recv(slot);  // ended with data (e.g. CQ pressure)
    }

    void on_send(unsigned slot, const abi::io_uring_cqe& cqe) {
        connection& c = conns[slot];
        c.sending = false;
        if (cqe.res < 0) {
            fail("send", cqe.res);
            return close_slot(slot);
        }
        bytes += static_cast<unsigned>(cqe.res);
        c.sent_of_head += static_cast<unsigned>(cqe.res);
        if (c.sent_of_head < c.queue_len[c.queue_head]) return send_head(slot);  // short send
        // Every byte of this buffer is out: it may take new data now.
        if (int r = group.put_by_id(c.queue_bid[c.queue_head]); r < 0) fail("put_by_id", r);
        c.queue_head = (c.queue_head + 1) % buffers;
        --c.queue_count;
        c.sent_of_head = 0;
        if (c.queue_count != 0) send_head(slot);
        else if (c.eof) close_slot(slot);
        rearm_stalled();
    }

    void on_close(unsigned slot, const abi::io_uring_cqe& cqe) {
        if (cqe.res < 0) fail("close", cqe.res);
        conns[slot].open = false;
        ++closed;
    }

    void dispatch(const abi::io_uring_cqe& cqe) {
        const auto slot = static_cast<unsigned>(cqe.user_data >> 8);
        switch (static_cast<op>(cqe.user_data & 0xff)) {
        case op_accept: return on_accept(cqe);
        case op_recv: return on_recv(slot, cqe);
        case op_send: return on_send(slot, cqe);
        case op_close: return on_close(slot, cqe);
        case op_cancel:
            if (cqe.res < 0 && cqe.res != -ENOENT && cqe.res != -EALREADY) fail("cancel", cqe.res);
            return;
        }
        fail("unknown CQE", -EINVAL);
    }

    void cancel_accept() {
        stopping = true;
        if (!accept_armed) return;
        abi::io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        rawring::prep_cancel64(s, ud(op_accept, 0), 0);
        s->user_data = ud(op_cancel, 0);
    }

    // One round: submit, wait up to 100 ms for a CQE, handle every one ready.
    int step() {
        abi::io_uring_cqe* cqe = nullptr;
        abi::kernel_timespec ts{0, 100'000'000};
        const int r = ring.submit_and_wait_timeout(&cqe, 1, &ts);
        if (r < 0 && r != -ETIME && r != -EINTR) return r;
        abi::io_uring_cqe batch[64];
        for (;;) {
            const int n = ring.copy_cqes(std::span<abi::io_uring_cqe>(batch), 0);
            if (n < 0) return n;
            if (n == 0) break;
            for (int i = 0; i < n; ++i) dispatch(batch[i]);
        }
        return 0;
    }

    // Sets up ring, table, listener and buffers; returns 0, -errno, or 77 (skip).
    int init(const sockaddr_in& where, sockaddr_in& bound) {
        auto bad = [this](const char* what, int res) {
            fail(what, res);
            return res;
        };
        int r = ring.init(256, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN);
        if (r == -EINVAL) r = ring.init(256, 0);  // before Linux 6.1
        if (r < 0) {
            std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-r));
            return 77;
        }
        const rawring::probe p = rawring::get_probe(ring);
        if (!p.supported(abi::IORING_OP_SEND_ZC)) {  // stands for "Linux 6.0": multishot recv
            std::printf("SKIP: this kernel has no multishot recv (Linux 6.0)\n");
            return 77;
        }
        if (r = rawring::register_files_sparse(ring, slots); r < 0) return bad("register_files_sparse", r);
        // Slot 0 is the listener's: direct accepts allocate from 1 up.
        if (r = rawring::register_file_alloc_range(ring, 1, slots - 1); r < 0)
            return bad("register_file_alloc_range", r);
        r = group.init(ring, group_id, std::span<std::byte>(memory), buffer_size, buffers);
        if (r < 0) return bad("buffer_group.init", r);

        const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0) return bad("socket", -errno);
        const int one = 1;
        (void)::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        // Accepted sockets inherit TCP_NODELAY: an echo goes out in one send per buffer, and
        // Nagle would hold each small tail back until the client's delayed ACK.
        (void)::setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        socklen_t len = sizeof bound;
        if (::bind(lfd, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0 ||
            ::listen(lfd, 64) != 0 ||
            ::getsockname(lfd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
            r = -errno;
            ::close(lfd);
            return bad("bind/listen", r);
        }
        // The table takes its own reference: from here on the listener is slot 0 only.
        const int fds[1] = {lfd};
        r = rawring::register_files_update(ring, listener_slot, fds, 1);
        ::close(lfd);
        if (r < 0) return bad("register_files_update", r);
        arm_accept();
        return error;
    }
};

// ---- the client (plain blocking sockets, on its own thread) --------------------------------------

std::size_t message_size(unsigned client, unsigned round) {
    return 1 + (client * 7919u + round * 104729u) % max_message;
}
unsigned char message_byte(unsigned client, unsigned round, std::size_t i) {
    return static_cast<unsigned char>((client * 31u + round * 17u + i * 7u + (i >> 8)) & 0xffu);
}

bool write_all(int fd, const unsigned char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}
bool read_all(int fd, unsigned char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t r = ::recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

struct client_result {
    unsigned messages = 0;
    std::uint64_t bytes = 0;
    const char* error = nullptr;
};

// Each client sends a message, reads its echo back and compares it, `rounds` times; the
// connections take turns so all of them are open at once.
void run_clients(sockaddr_in server_addr, client_result* out) {
    int fds[clients];
    for (int& fd : fds) fd = -1;
    std::vector<unsigned char> msg(max_message), echo(max_message);
    const timeval tv{30, 0};  // a lost echo fails the client instead of hanging it
    for (unsigned c = 0; c < clients && out->error == nullptr; ++c) {
        fds[c] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[c] < 0 || ::setsockopt(fds[c], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
            ::connect(fds[c], reinterpret_cast<const sockaddr*>(&server_addr), sizeof server_addr) != 0)
            out->error = "connect";
    }
    for (unsigned r = 0; r < rounds && out->error == nullptr; ++r) {
        for (unsigned c = 0; c < clients && out->error == nullptr; ++c) {
            const std::size_t n = message_size(c, r);
            for (std::size_t i = 0; i < n; ++i) msg[i] = message_byte(c, r, i);
            if (!write_all(fds[c], msg.data(), n)) out->error = "send";
            else if (!read_all(fds[c], echo.data(), n)) out->error = "recv";
            else if (std::memcmp(msg.data(), echo.data(), n) != 0) out->error = "echo differs";
            else {
                ++out->messages;
                out->bytes += n;
            }
        }
    }
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool serve_forever = argc > 1;
    if (serve_forever) where.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));

    server s;
    sockaddr_in bound{};
    if (int r = s.init(where, bound); r != 0) {
        if (r == 77) return 77;
        std::fprintf(stderr, "echo_multishot: %s: %s\n", s.error_what, std::strerror(-s.error));
        return 1;
    }

    if (serve_forever) {
        std::printf("echo_multishot: serving on 127.0.0.1:%u\n", ntohs(bound.sin_port));
        std::fflush(stdout);
        for (;;) {
            if (int r = s.step(); r < 0) {
                std::fprintf(stderr, "echo_multishot: wait: %s\n", std::strerror(-r));
                return 1;
            }
            // A failed connection is only logged: a real server keeps serving the others.
            if (s.error != 0) {
                std::fprintf(stderr, "echo_multishot: %s: %s\n", s.error_what, std::strerror(-s.error));
                s.error = 0;
            }
            if (!s.accept_armed) s.arm_accept();
        }
    }

    client_result cr;
    std::thread client(run_clients, bound, &cr);
    // Serve until every client connection has come and gone, bounded by 30 s.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int r = 0;
    while (r == 0 && s.error == 0 && !(s.accepted == clients && s.closed == clients) &&
           std::chrono::steady_clock::now() < deadline)
        r = s.step();
    // Stop accepting and wait for the accept's last CQE, so nothing is left in flight.
    s.cancel_accept();
    while (r == 0 && s.accept_armed && std::chrono::steady_clock::now() < deadline) r = s.step();
    client.join();

    if (r < 0) s.fail("wait", r);
    if (s.error != 0 || cr.error != nullptr || s.accepted != clients || s.closed != clients ||
        cr.messages != clients * rounds || s.bytes != cr.bytes || s.accept_armed) {
        std::fprintf(stderr,
                     "echo_multishot: server %s %s, client %s; accepted %u, closed %u, messages %u, "
                     "bytes server %llu client %llu\n",
                     s.error_what, s.error != 0 ? std::strerror(-s.error) : "ok",
                     cr.error != nullptr ? cr.error : "ok", s.accepted, s.closed, cr.messages,
                     static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(cr.bytes));
        return 1;
    }
    std::printf("echo_multishot: %u connections, %u messages, %llu bytes echoed byte for byte from "
                "%u provided buffers of %u bytes, all fixed files\n",
                clients, cr.messages, static_cast<unsigned long long>(cr.bytes), buffers, buffer_size);
    return 0;
}
