// SPDX-License-Identifier: MIT
// tpc_echo: a thread-per-core TCP echo server: N worker threads, each with its own
// rawring::ring, and an acceptor ring that hands every accepted connection to a worker over
// MSG_RING (IORING_MSG_SEND_FD), round robin.
//
// Usage:
//   tpc_echo                 2 workers, the acceptor and a client thread on 127.0.0.1 (port 0);
//                            the client's connections exchange a fixed set of messages, every
//                            echoed byte is checked, one summary line is printed
//   tpc_echo PORT [WORKERS]  a real server on 127.0.0.1:PORT until killed
//
// The path of a connection:
// 1. the acceptor's multishot accept puts it straight into a free slot of the acceptor's
//    registered-file table (IORING_FILE_INDEX_ALLOC), so it never has a plain fd;
// 2. an IORING_OP_MSG_RING with IORING_MSG_SEND_FD installs that file into a free slot of the
//    chosen worker's table, and a close of the acceptor's slot is linked after it (IOSQE_IO_LINK):
//    the acceptor keeps nothing;
// 3. the worker's ring gets a CQE whose user_data the acceptor chose ("new connection") and
//    whose res is the worker's slot, and serves it with recv/send on that fixed file.
// No lock and no shared queue: the kernel moves the file between the rings. A last MSG_RING
// data message (IORING_MSG_DATA) tells each worker to finish.
#include <rawring/prep.hpp>
#include <rawring/probe.hpp>
#include <rawring/register.hpp>
#include <rawring/ring.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <thread>
#include <vector>

namespace {

namespace abi = rawring::abi;

constexpr unsigned default_workers = 2;
constexpr unsigned max_workers = 64;
constexpr unsigned slots = 256;            // each worker's registered-file table
constexpr unsigned acceptor_slots = 16;
constexpr unsigned clients = 6;            // connections of the self-test
constexpr unsigned rounds = 30;            // messages per connection
constexpr unsigned max_message = 4000;
constexpr unsigned buffer_size = 4096;

// user_data: kind in the low byte, slot above it.
enum kind : std::uint64_t {
    k_new_conn = 1,  // posted by the acceptor on a worker's ring (MSG_RING)
    k_stop,          // likewise: finish once every connection is closed
    k_recv, k_send, k_close,
    k_accept, k_msg, k_close_acceptor_slot, k_cancel,  // the acceptor's own
};
std::uint64_t ud(kind k, unsigned slot = 0) { return k | (std::uint64_t{slot} << 8); }

bool now_deadline_passed(std::chrono::steady_clock::time_point d) {
    return std::chrono::steady_clock::now() >= d;
}

/// Sets up `r` for one thread's use: SINGLE_ISSUER|DEFER_TASKRUN where the kernel has it.
int init_ring(rawring::ring& r, unsigned entries) {
    int ret = r.init(entries, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN);
    if (ret == -EINVAL) ret = r.init(entries, 0);
    return ret;
}

/// An SQE, submitting first if the SQ is full; nullptr only if the kernel takes nothing.
abi::io_uring_sqe* get_sqe(rawring::ring& r) {
    abi::io_uring_sqe* s = r.get_sqe();
    if (s == nullptr && r.submit() >= 0) s = r.get_sqe();
    return s;
}

// ---- workers ---------------------------------------------------------------------------------------

struct connection {
    bool open = false;
    unsigned len = 0, sent = 0;
    char buf[buffer_size];
};

struct worker {
    unsigned index = 0;
    std::atomic<int> ring_fd{-1};   // published once the ring is up (or -errno)
    std::atomic<bool> ready{false};
    // Results, read by main after join.
    unsigned connections = 0;
    std::uint64_t bytes = 0;
    int error = 0;
    const char* error_what = "";

    void fail(const char* what, int res) {
        if (error == 0) {
            error = res < 0 ? res : -EIO;
            error_what = what;
        }
    }

    void run(bool forever);
};

void worker::run(bool forever) {
    // The buffers first, so they outlive the ring (a recv in flight after a failure may still
    // land in them until the ring is torn down).
    auto conns = std::make_unique<connection[]>(slots);
    rawring::ring r;
    int ret = init_ring(r, 256);
    if (ret >= 0) ret = rawring::register_files_sparse(r, slots);
    // Publish the fd (or the error) for the acceptor; release orders the ring setup before it.
    ring_fd.store(ret < 0 ? ret : r.fd(), std::memory_order_release);
    ready.store(true, std::memory_order_release);
    ready.notify_all();
    if (ret < 0) return fail("worker ring", ret);

    unsigned open = 0;
    bool stop = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);

    auto post_recv = [&](unsigned slot) {
        abi::io_uring_sqe* s = get_sqe(r);
        if (s == nullptr) return fail("get_sqe", -EBUSY);
        rawring::prep_recv(s, static_cast<int>(slot), conns[slot].buf, buffer_size, 0);
        s->flags |= abi::IOSQE_FIXED_FILE;
        s->user_data = ud(k_recv, slot);
    };
    auto post_send = [&](unsigned slot) {
        connection& c = conns[slot];
        abi::io_uring_sqe* s = get_sqe(r);
        if (s == nullptr) return fail("get_sqe", -EBUSY);
        rawring::prep_send(s, static_cast<int>(slot), c.buf + c.sent, c.len - c.sent, MSG_NOSIGNAL);
        s->flags |= abi::IOSQE_FIXED_FILE;
        s->user_data = ud(k_send, slot);
    };
    auto post_close = [&](unsigned slot) {
        abi::io_uring_sqe* s = get_sqe(r);
        if (s == nullptr) return fail("get_sqe", -EBUSY);
        rawring::prep_close_direct(s, slot);
        s->user_data = ud(k_close, slot);
    };

    while (!(stop && open == 0)) {
        if (!forever && now_deadline_passed(deadline)) return fail("worker: timed out", -ETIMEDOUT);
        abi::io_uring_cqe* first = nullptr;
        abi::kernel_timespec ts{0, 100'000'000};
        ret = r.submit_and_wait_timeout(&first, 1, &ts);
        if (ret < 0 && ret != -ETIME && ret != -EINTR) return fail("wait", ret);
        abi::io_uring_cqe batch[32];
        const int n = r.copy_cqes(std::span<abi::io_uring_cqe>(batch), 0);
        if (n < 0) return fail("copy_cqes", n);
        for (int i = 0; i < n; ++i) {
            const abi::io_uring_cqe& cqe = batch[i];
            const auto slot = static_cast<unsigned>(cqe.user_data >> 8);
            switch (static_cast<kind>(cqe.user_data & 0xff)) {
            case k_new_conn:  // res: the slot the kernel installed the connection in
                if (cqe.res < 0) {
                    fail("fd from the acceptor", cqe.res);
                    break;
                }
                if (static_cast<unsigned>(cqe.res) >= slots) {
                    fail("slot", -ERANGE);
                    break;
                }
                conns[static_cast<unsigned>(cqe.res)].open = true;
                ++open;
                ++connections;
                post_recv(static_cast<unsigned>(cqe.res));
                break;
            case k_stop:
                stop = true;
                break;
            case k_recv:
                if (cqe.res <= 0) {  // 0: the peer closed
                    if (cqe.res < 0) fail("recv", cqe.res);
                    post_close(slot);
                } else {
                    conns[slot].len = static_cast<unsigned>(cqe.res);
                    conns[slot].sent = 0;
                    post_send(slot);
                }
                break;
            case k_send:
                if (cqe.res < 0) {
                    fail("send", cqe.res);
                    post_close(slot);
                    break;
                }
                bytes += static_cast<unsigned>(cqe.res);
                conns[slot].sent += static_cast<unsigned>(cqe.res);
                if (conns[slot].sent < conns[slot].len) post_send(slot);  // short send
                else post_recv(slot);
                break;
            case k_close:
                if (cqe.res < 0) fail("close", cqe.res);
                conns[slot].open = false;
                --open;
                break;
            default:
                fail("unexpected CQE", -EINVAL);
            }
        }
        if (forever && error != 0) {  // a real server logs and goes on
            std::fprintf(stderr, "tpc_echo: worker %u: %s: %s\n", index, error_what, std::strerror(-error));
            error = 0;
        }
    }
}

// ---- the acceptor ------------------------------------------------------------------------------------

struct acceptor {
    rawring::ring r;
    std::vector<worker*> workers;
    unsigned next = 0;       // round robin
    unsigned accepted = 0, handed_out = 0, stops_sent = 0;
    unsigned limit = 0;      // stop accepting after this many (0: never)
    bool accept_armed = false;
    int error = 0;
    const char* error_what = "";

    void fail(const char* what, int res) {
        if (error == 0) {
            error = res < 0 ? res : -EIO;
            error_what = what;
        }
    }

    void arm_accept(int lfd) {
        abi::io_uring_sqe* s = get_sqe(r);
        if (s == nullptr) return fail("get_sqe", -EBUSY);
        rawring::prep_multishot_accept_direct(s, lfd, nullptr, nullptr, 0);
        s->user_data = ud(k_accept);
        accept_armed = true;
    }

    // Moves the connection in acceptor slot `slot` to the next worker.
    void hand_out(unsigned slot) {
        worker& w = *workers[next];
        next = (next + 1) % static_cast<unsigned>(workers.size());
        abi::io_uring_sqe* msg = get_sqe(r);
        if (msg == nullptr) return fail("get_sqe", -EBUSY);
        abi::io_uring_sqe* cl = get_sqe(r);
        if (cl == nullptr) return fail("get_sqe", -EBUSY);  // (SQ of 64: never after one free)
        // Install our slot into a free slot of the worker's table; the worker's CQE carries
        // user_data "new connection" and res its slot.
        rawring::prep_msg_ring_fd_alloc(msg, w.ring_fd.load(std::memory_order_acquire),
                                        static_cast<int>(slot), ud(k_new_conn), 0);
        msg->user_data = ud(k_msg, slot);
        msg->flags |= abi::IOSQE_IO_LINK;  // the close runs after the send, whatever its result
        rawring::prep_close_direct(cl, slot);
        cl->user_data = ud(k_close_acceptor_slot, slot);
    }

    void stop_workers() {
        for (worker* w : workers) {
            abi::io_uring_sqe* s = get_sqe(r);
            if (s == nullptr) return fail("get_sqe", -EBUSY);
            rawring::prep_msg_ring(s, w->ring_fd.load(std::memory_order_acquire), 0, ud(k_stop), 0);
            s->user_data = ud(k_msg, acceptor_slots);  // not a slot: nothing to release
        }
    }

    int step(int lfd) {
        abi::io_uring_cqe* first = nullptr;
        abi::kernel_timespec ts{0, 100'000'000};
        int ret = r.submit_and_wait_timeout(&first, 1, &ts);
        if (ret < 0 && ret != -ETIME && ret != -EINTR) return ret;
        abi::io_uring_cqe batch[32];
        const int n = r.copy_cqes(std::span<abi::io_uring_cqe>(batch), 0);
        if (n < 0) return n;
        for (int i = 0; i < n; ++i) {
            const abi::io_uring_cqe& cqe = batch[i];
            switch (static_cast<kind>(cqe.user_data & 0xff)) {
            case k_accept:
                if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0) accept_armed = false;
                if (cqe.res < 0) {
                    // Cancelled: -ECANCELED, or -EINTR for a request an io-wq worker was running.
                    if (cqe.res != -ECANCELED && cqe.res != -EINTR) fail("accept", cqe.res);
                    break;
                }
                ++accepted;
                hand_out(static_cast<unsigned>(cqe.res));
                if (limit != 0 && accepted == limit && accept_armed) {
                    abi::io_uring_sqe* s = get_sqe(r);
                    if (s == nullptr) return -EBUSY;
                    rawring::prep_cancel64(s, ud(k_accept), 0);
                    s->user_data = ud(k_cancel);
                } else if (!accept_armed && (limit == 0 || accepted < limit)) {
                    arm_accept(lfd);
                }
                break;
            case k_msg:
                if (cqe.res < 0) fail("msg_ring", cqe.res);
                else if ((cqe.user_data >> 8) < acceptor_slots) ++handed_out;
                else ++stops_sent;
                break;
            case k_close_acceptor_slot:
                if (cqe.res < 0) fail("close of the acceptor's slot", cqe.res);
                break;
            case k_cancel:
                if (cqe.res < 0 && cqe.res != -ENOENT && cqe.res != -EALREADY) fail("cancel", cqe.res);
                break;
            default:
                fail("unexpected CQE", -EINVAL);
            }
        }
        return 0;
    }
};

// ---- the client (plain blocking sockets, on its own thread) --------------------------------------

std::size_t message_size(unsigned client, unsigned round) {
    return 1 + (client * 7919u + round * 104729u) % max_message;
}
unsigned char message_byte(unsigned client, unsigned round, std::size_t i) {
    return static_cast<unsigned char>((client * 59u + round * 3u + i * 11u + (i >> 7)) & 0xffu);
}

struct client_result {
    unsigned messages = 0;
    std::uint64_t bytes = 0;
    const char* error = nullptr;
};

void run_clients(sockaddr_in server_addr, client_result* out) {
    int fds[clients];
    for (int& fd : fds) fd = -1;
    std::vector<unsigned char> msg(max_message), echo(max_message);
    const timeval tv{30, 0};  // a lost echo fails the client instead of hanging it
    for (unsigned c = 0; c < clients && out->error == nullptr; ++c) {
        fds[c] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        if (fds[c] < 0 || ::setsockopt(fds[c], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
            ::setsockopt(fds[c], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
            ::connect(fds[c], reinterpret_cast<const sockaddr*>(&server_addr), sizeof server_addr) != 0)
            out->error = "connect";
    }
    for (unsigned r = 0; r < rounds && out->error == nullptr; ++r) {
        for (unsigned c = 0; c < clients && out->error == nullptr; ++c) {
            const std::size_t n = message_size(c, r);
            for (std::size_t i = 0; i < n; ++i) msg[i] = message_byte(c, r, i);
            if (::send(fds[c], msg.data(), n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) {
                out->error = "send";
                break;
            }
            std::size_t got = 0;
            while (got < n) {
                const ssize_t g = ::recv(fds[c], echo.data() + got, n - got, 0);
                if (g < 0 && errno == EINTR) continue;
                if (g <= 0) break;
                got += static_cast<std::size_t>(g);
            }
            if (got != n) out->error = "recv";
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

int listen_on(sockaddr_in& addr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    const int one = 1;
    socklen_t len = sizeof addr;
    // Accepted sockets inherit TCP_NODELAY.
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int e = -errno;
        ::close(fd);
        return e;
    }
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    const bool forever = argc > 1;
    unsigned nworkers = default_workers;
    if (argc > 2) nworkers = static_cast<unsigned>(std::atoi(argv[2]));
    if (nworkers == 0 || nworkers > max_workers) {
        std::fprintf(stderr, "usage: tpc_echo [PORT [WORKERS (1..%u)]]\n", max_workers);
        return 2;
    }

    acceptor acc;
    if (int ret = init_ring(acc.r, 64); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    // Passing fixed files over MSG_RING is Linux 6.0; the probe lists MSG_RING from 5.18, so
    // take SEND_ZC (6.0) as the mark.
    const rawring::probe p = rawring::get_probe(acc.r);
    if (!p.supported(abi::IORING_OP_MSG_RING) || !p.supported(abi::IORING_OP_SEND_ZC)) {
        std::printf("SKIP: this kernel cannot pass files over MSG_RING (Linux 6.0)\n");
        return 77;
    }
    if (int ret = rawring::register_files_sparse(acc.r, acceptor_slots); ret < 0) {
        std::fprintf(stderr, "tpc_echo: register_files_sparse: %s\n", std::strerror(-ret));
        return 1;
    }

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (forever) addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
    const int lfd = listen_on(addr);
    if (lfd < 0) {
        std::fprintf(stderr, "tpc_echo: listen: %s\n", std::strerror(-lfd));
        return 1;
    }

    // Start the workers; each sets up its own ring on its own thread (SINGLE_ISSUER wants the
    // thread that submits to be the one that created it) and publishes its fd.
    std::vector<std::unique_ptr<worker>> ws;
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < nworkers; ++i) {
        ws.push_back(std::make_unique<worker>());
        ws.back()->index = i;
        threads.emplace_back([w = ws.back().get(), forever] { w->run(forever); });
    }
    int worker_error = 0;
    for (auto& w : ws) {
        w->ready.wait(false, std::memory_order_acquire);
        if (const int fd = w->ring_fd.load(std::memory_order_acquire); fd < 0) worker_error = fd;
        acc.workers.push_back(w.get());
    }
    if (worker_error < 0) {
        std::fprintf(stderr, "tpc_echo: worker ring: %s\n", std::strerror(-worker_error));
        std::_Exit(1);  // workers that did start wait for a stop that will not come
    }

    acc.limit = forever ? 0 : clients;
    acc.arm_accept(lfd);
    if (forever) {
        std::printf("tpc_echo: %u workers serving on 127.0.0.1:%u\n", nworkers, ntohs(addr.sin_port));
        std::fflush(stdout);
        for (;;) {
            if (int ret = acc.step(lfd); ret < 0) {
                std::fprintf(stderr, "tpc_echo: acceptor: %s\n", std::strerror(-ret));
                std::_Exit(1);
            }
            if (acc.error != 0) {
                std::fprintf(stderr, "tpc_echo: acceptor: %s: %s\n", acc.error_what, std::strerror(-acc.error));
                acc.error = 0;
            }
        }
    }

    client_result cr;
    std::thread client(run_clients, addr, &cr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int ret = 0;
    // Until every connection is handed out and the multishot accept has ended.
    while (ret == 0 && acc.error == 0 && (acc.handed_out < clients || acc.accept_armed) &&
           !now_deadline_passed(deadline))
        ret = acc.step(lfd);
    client.join();  // the client closes its sockets when done: the workers see EOF
    acc.stop_workers();
    while (ret == 0 && acc.error == 0 && acc.stops_sent < nworkers && !now_deadline_passed(deadline))
        ret = acc.step(lfd);  // the stop messages' own CQEs
    for (std::thread& t : threads) t.join();
    ::close(lfd);

    unsigned served = 0;
    std::uint64_t bytes = 0;
    bool even = true;
    int werr = 0;
    const char* wwhat = "";
    for (auto& w : ws) {
        served += w->connections;
        bytes += w->bytes;
        if (w->connections != clients / nworkers) even = false;
        if (w->error != 0 && werr == 0) {
            werr = w->error;
            wwhat = w->error_what;
        }
    }
    if (ret < 0 || acc.error != 0 || werr != 0 || cr.error != nullptr || served != clients ||
        acc.handed_out != clients || !even || cr.messages != clients * rounds || bytes != cr.bytes) {
        std::fprintf(stderr,
                     "tpc_echo: acceptor %d %s %s, worker %s %s, client %s; handed out %u, served %u, "
                     "messages %u, bytes %llu/%llu\n",
                     ret, acc.error_what, std::strerror(-acc.error), wwhat, std::strerror(-werr),
                     cr.error != nullptr ? cr.error : "ok", acc.handed_out, served, cr.messages,
                     static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(cr.bytes));
        return 1;
    }
    std::printf("tpc_echo: %u workers, each with its own ring; %u connections handed out over MSG_RING "
                "(%u per worker), %u messages, %llu bytes echoed byte for byte\n",
                nworkers, clients, clients / nworkers, cr.messages, static_cast<unsigned long long>(cr.bytes));
    return 0;
}
