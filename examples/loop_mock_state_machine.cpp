// SPDX-License-Identifier: MIT
// loop_mock_state_machine: a connect -> send -> recv -> close state machine, tested on the mock io_uring.
//
// The state machine is ordinary loop code. The test half decides, per loop operation, what the
// "kernel" answers (a reply, a reset, silence), so every path runs the same way on every run,
// with no network and no kernel io_uring: this program runs where io_uring_setup fails.
#include <rawring/mock.hpp>  // before loop.hpp's loop_mock is used
#include <rawring/loop.hpp>

#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

// ---- the code under test: one request/reply exchange -------------------------------------------

constexpr std::uint64_t reply_deadline_ns = 2'000'000'000;  // 2 s for the peer to answer

struct exchange {
    enum class state { connecting, sending, receiving, closing, done } st = state::connecting;
    sockaddr_in peer{};
    int fd = -1;
    char reply[16] = {};
    int reply_len = 0;
    int error = 0;           // the first failure, -errno; 0: none
    bool timed_out = false;  // the peer did not answer within the deadline
    int close_res = 1;

    using cqe_t = rawring::abi::io_uring_cqe;

    bool start(rawring::loop& l) {
        // socket -> connect in one helper: the callback gets the connected fd, or the error
        // (the helper has then closed its socket itself).
        return l.tcp_connect(reinterpret_cast<const sockaddr*>(&peer), sizeof peer, SOCK_STREAM,
                             {on_connected, this}) != nullptr;
    }
    static void on_connected(rawring::loop& l, rawring::task& t, const cqe_t& c) {
        auto* x = static_cast<exchange*>(t.user());
        if (c.res < 0) return x->fail(c.res);
        x->fd = c.res;
        x->st = state::sending;
        if (l.send(x->fd, "ping", 4, 0, {on_sent, x}) == nullptr) x->close(l, -EBUSY);
    }
    static void on_sent(rawring::loop& l, rawring::task& t, const cqe_t& c) {
        auto* x = static_cast<exchange*>(t.user());
        if (c.res != 4) return x->close(l, c.res < 0 ? c.res : -EIO);
        x->st = state::receiving;
        // A deadline on the recv only: a silent peer must not hold the socket forever.
        if (l.recv(x->fd, x->reply, sizeof x->reply, 0, {on_reply, x, 0, reply_deadline_ns}) == nullptr)
            x->close(l, -EBUSY);
    }
    static void on_reply(rawring::loop& l, rawring::task& t, const cqe_t& c) {
        auto* x = static_cast<exchange*>(t.user());
        x->timed_out = t.timed_out();
        if (c.res <= 0) return x->close(l, c.res < 0 ? c.res : -ECONNRESET);
        x->reply_len = c.res;
        x->close(l, 0);
    }
    // Every path after the connect ends here, so the socket is closed exactly once.
    void close(rawring::loop& l, int err) {
        if (error == 0) error = err;
        st = state::closing;
        if (l.close(fd, {on_closed, this}) == nullptr) fail(-EBUSY);
    }
    static void on_closed(rawring::loop&, rawring::task& t, const cqe_t& c) {
        auto* x = static_cast<exchange*>(t.user());
        x->close_res = c.res;
        x->st = state::done;
    }
    void fail(int err) {
        if (error == 0) error = err;
        st = state::done;
    }
};

// ---- the test half ---------------------------------------------------------------------------

enum class peer { replies, resets, silent };

// What the handlers read and write. It outlives the loop_mock that holds the handlers.
struct script {
    int sock = -1;
    int sends = 0;
};

const char* errname(int e) {
    switch (e) {
    case 0: return "0";
    case -ECONNRESET: return "-ECONNRESET";
    case -ECANCELED: return "-ECANCELED";
    default: return "another error";
    }
}

// One exchange against a scripted peer. Returns whether it went as `how` says it should.
bool scenario(rawring::mock::kernel& mock, rawring::loop& l, rawring::loop_mock& lm, script& sc, peer how) {
    using rawring::loop_op;
    using rawring::mock::action;
    using rq_t = rawring::mock::request;

    // The "socket" the mock hands out is an eventfd: a real fd, so the close really closes it.
    const int sock = eventfd(0, EFD_CLOEXEC);
    if (sock < 0) return false;
    sc.sock = sock;
    sc.sends = 0;
    // tcp_connect submits a SOCKET, then a CONNECT: answer each. Handlers run under the mock's
    // lock; they must not call into the loop.
    lm.on(loop_op::tcp_connect, [&sc](rawring::task&, const rq_t& rq) {
        if (rq.opcode == rawring::abi::IORING_OP_SOCKET) return action::now(sc.sock);
        if (rq.opcode == rawring::abi::IORING_OP_CONNECT) return action::now(0);
        return action::by_default();
    });
    lm.on(loop_op::send, [&sc](rawring::task&, const rq_t& rq) {
        ++sc.sends;
        return action::now(static_cast<std::int32_t>(rq.sqe.len));  // all of it sent
    });
    switch (how) {
    case peer::replies:
        lm.on(loop_op::recv, [](rawring::task&, const rq_t& rq) {
            // The handler sees the SQE: write the reply into the recv's buffer, as the kernel would.
            std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(rq.sqe.addr)), "pong", 4);
            return action::now(4);
        });
        break;
    case peer::resets:
        lm.on(loop_op::recv, [](rawring::task&, const rq_t&) { return action::now(-ECONNRESET); });
        break;
    case peer::silent:
        lm.hold(loop_op::recv);  // never answers: only the deadline can end it
        break;
    }

    exchange x;
    x.peer.sin_family = AF_INET;
    x.peer.sin_port = htons(7);
    const std::uint64_t t0 = mock.now();
    if (!x.start(l)) return false;
    // The mock's virtual clock jumps to the next timer when nothing else can happen, so the
    // 2 s deadline costs no real time.
    const int r = l.run(rawring::run_mode::until_done);
    const std::uint64_t virtual_ns = mock.now() - t0;
    const bool closed = fcntl(sock, F_GETFD) == -1;
    if (!closed) ::close(sock);

    bool ok = r >= 0 && x.st == exchange::state::done && x.fd == sock && sc.sends == 1 &&
              x.close_res == 0 && closed;
    switch (how) {
    case peer::replies:
        ok = ok && x.error == 0 && x.reply_len == 4 && std::memcmp(x.reply, "pong", 4) == 0;
        std::printf("loop_mock_state_machine: peer replies: done, reply \"%.*s\", socket %s\n",
                    x.reply_len, x.reply, closed ? "closed" : "open");
        break;
    case peer::resets:
        ok = ok && x.error == -ECONNRESET && !x.timed_out;
        std::printf("loop_mock_state_machine: peer resets: failed with %s, socket %s\n",
                    errname(x.error), closed ? "closed" : "open");
        break;
    case peer::silent:
        ok = ok && x.error == -ECANCELED && x.timed_out && virtual_ns >= reply_deadline_ns;
        std::printf("loop_mock_state_machine: peer silent: %s after %llu s of virtual time, socket %s\n",
                    x.timed_out ? "timed out" : "did not time out",
                    static_cast<unsigned long long>(virtual_ns / 1'000'000'000), closed ? "closed" : "open");
        break;
    }
    if (!ok)
        std::fprintf(stderr, "run %d, error %d, fd %d (sock %d), sends %d, close %d\n", r, x.error,
                     x.fd, sock, sc.sends, x.close_res);
    return ok;
}

} // namespace

int main() {
    // From here on every ring is a mock ring: the loop below never reaches the kernel's io_uring.
    rawring::mock::scope mock;
    bool ok = true;
    script sc;
    {
        rawring::loop l;
        rawring::loop_options opts;
        opts.track_fds = 1024;  // the fd check below
        if (int ret = l.init(16, opts); ret < 0) {
            std::fprintf(stderr, "init on the mock: %s\n", std::strerror(-ret));
            return 1;
        }
        rawring::loop_mock lm(*mock, l);
        for (peer how : {peer::replies, peer::resets, peer::silent}) ok = scenario(*mock, l, lm, sc, how) && ok;
        // Each fd the loop opened (the sockets) was closed exactly once, on every path.
        const rawring::fd_balance fb = lm.fds();
        ok = ok && fb.balanced();
        if (l.exit() != 0) ok = false;
        const bool clean = mock->leftovers().empty();  // no request pending, no fd of the mock's open
        ok = ok && clean;
        std::printf("loop_mock_state_machine: fds %s, %s\n", fb.balanced() ? "balanced" : "unbalanced",
                    clean ? "nothing left in the mock" : "leftovers in the mock");
    }
    return ok ? 0 : 1;
}
