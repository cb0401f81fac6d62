// SPDX-License-Identifier: MIT
// connect_timeout: IORING_OP_CONNECT with a linked IORING_OP_LINK_TIMEOUT, both ways it can end.
//
// Usage:
//   connect_timeout                  the two cases below on 127.0.0.1, one line each
//   connect_timeout ADDR PORT [MS]   connect to ADDR:PORT (IPv4) within MS ms (default 1000)
//
// The connect SQE carries IOSQE_IO_LINK and the LINK_TIMEOUT SQE follows it: the pair is
// submitted together and always ends with two CQEs, whichever wins.
// - The connect wins: its CQE has res 0 and the timeout's CQE -ECANCELED (it was removed).
// - The timeout wins: its CQE has -ETIME, and the kernel cancels the connect, whose CQE then has
//   -ECANCELED (or -EINTR, should an io-wq worker have been running it).
// A connect that never completes is easy to make on 127.0.0.1 without any special network: a
// listener whose accept queue is full drops every new SYN (the kernel waits for the application
// to accept), so the client's SYN goes unanswered and its connect would hang until the SYN
// retransmissions give up, minutes later. (An unreachable address is no good here: in this
// sandbox every outbound connect succeeds, and elsewhere it fails at once with ENETUNREACH.)
#include <rawring/prep.hpp>
#include <rawring/ring.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

namespace abi = rawring::abi;

constexpr std::uint64_t ud_connect = 1, ud_timeout = 2;

const char* errno_name(int res) {
    switch (res) {
    case 0: return "0";
    case -ECANCELED: return "-ECANCELED";
    case -ETIME: return "-ETIME";
    case -EINTR: return "-EINTR";
    case -ECONNREFUSED: return "-ECONNREFUSED";
    case -ETIMEDOUT: return "-ETIMEDOUT";
    case -ENETUNREACH: return "-ENETUNREACH";
    case -EALREADY: return "-EALREADY";
    case -ENOENT: return "-ENOENT";
    default: return "another error";
    }
}

struct outcome {
    int connect_res = 1;
    int timeout_res = 1;
    std::chrono::nanoseconds took{};
    int error = 0;  // a failure of the ring itself
};

/// Connects `fd` to `addr` with a linked timeout of `timeout_ms` and waits (at most 30 s) for
/// both CQEs.
outcome connect_within(rawring::ring& r, int fd, const sockaddr_in& addr, std::uint64_t timeout_ms) {
    outcome o;
    abi::kernel_timespec ts{static_cast<std::int64_t>(timeout_ms / 1000),
                            static_cast<std::int64_t>(timeout_ms % 1000 * 1'000'000)};
    abi::io_uring_sqe* c = r.get_sqe();
    abi::io_uring_sqe* t = r.get_sqe();
    if (c == nullptr || t == nullptr) {
        o.error = -EBUSY;
        return o;
    }
    rawring::prep_connect(c, fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    c->flags |= abi::IOSQE_IO_LINK;  // the next SQE (the timeout) is linked to this one
    c->user_data = ud_connect;
    rawring::prep_link_timeout(t, &ts, 0);  // ts is read at submission, but kept alive anyway
    t->user_data = ud_timeout;

    const auto start = std::chrono::steady_clock::now();
    if (int ret = r.submit(); ret != 2) {
        o.error = ret < 0 ? ret : -EIO;
        return o;
    }
    for (int seen = 0; seen < 2;) {
        abi::io_uring_cqe* cqe = nullptr;
        abi::kernel_timespec limit{30, 0};
        if (int ret = r.wait_cqe_timeout(&cqe, &limit); ret < 0) {
            o.error = ret;
            return o;
        }
        if (cqe->user_data == ud_connect) o.connect_res = cqe->res;
        else if (cqe->user_data == ud_timeout) o.timeout_res = cqe->res;
        r.cqe_seen(cqe);
        ++seen;
    }
    o.took = std::chrono::steady_clock::now() - start;
    return o;
}

int listener(int backlog, sockaddr_in& addr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, backlog) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int e = -errno;
        ::close(fd);
        return e;
    }
    return fd;
}

int fail(const char* what, int err) {
    std::fprintf(stderr, "connect_timeout: %s: %s\n", what, std::strerror(err < 0 ? -err : err));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    rawring::ring r;
    if (int ret = r.init(8); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }

    if (argc > 1) {  // connect_timeout ADDR PORT [MS]
        if (argc < 3) {
            std::fprintf(stderr, "usage: connect_timeout [ADDR PORT [MS]]\n");
            return 2;
        }
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
        if (::inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) return fail("address", EINVAL);
        const std::uint64_t ms = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return fail("socket", errno);
        const outcome o = connect_within(r, fd, to, ms);
        ::close(fd);
        if (o.error != 0) return fail("ring", o.error);
        std::printf("connect_timeout: connect %s (%s), link timeout %s, after %lld ms\n",
                    errno_name(o.connect_res), std::strerror(o.connect_res < 0 ? -o.connect_res : 0),
                    errno_name(o.timeout_res),
                    static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(o.took).count()));
        return o.connect_res == 0 ? 0 : 1;
    }

    // 1. A listener with room: the connect completes at once, long before its 10 s timeout.
    sockaddr_in open_addr{};
    const int open_l = listener(16, open_addr);
    if (open_l < 0) return fail("listen", open_l);
    const int c1 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c1 < 0) return fail("socket", errno);
    const outcome won = connect_within(r, c1, open_addr, 10'000);
    if (won.error != 0) return fail("ring", won.error);

    // 2. A listener whose accept queue is full. With backlog 0 the queue holds one connection:
    // fill it with a plain connect that nobody accepts, and wait until the listener shows it
    // (readable), so the queue is surely full before the io_uring connect's SYN arrives.
    sockaddr_in full_addr{};
    const int full_l = listener(0, full_addr);
    if (full_l < 0) return fail("listen", full_l);
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (filler < 0 || ::connect(filler, reinterpret_cast<const sockaddr*>(&full_addr), sizeof full_addr) != 0)
        return fail("connect of the filler", errno);
    pollfd pfd{full_l, POLLIN, 0};
    if (::poll(&pfd, 1, 30'000) != 1) return fail("the filler's connection never reached the queue", ETIMEDOUT);
    const int c2 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c2 < 0) return fail("socket", errno);
    constexpr std::uint64_t short_ms = 200;
    const outcome lost = connect_within(r, c2, full_addr, short_ms);
    if (lost.error != 0) return fail("ring", lost.error);

    for (int fd : {c1, c2, filler, open_l, full_l}) ::close(fd);

    // Whatever the kernel answered is printed; only the expected pair counts as success. The
    // timeout can fire late on a busy machine, never early.
    std::printf("connect_timeout: listener with room: connect %s, link timeout %s: the connect won\n",
                errno_name(won.connect_res), errno_name(won.timeout_res));
    // The cancelled connect reports -ECANCELED, or -EINTR had an io-wq worker been running it.
    const bool cancelled = lost.connect_res == -ECANCELED || lost.connect_res == -EINTR;
    std::printf("connect_timeout: full accept queue: link timeout %s, connect %s: the timeout won\n",
                errno_name(lost.timeout_res), cancelled ? "cancelled" : errno_name(lost.connect_res));
    if (won.connect_res != 0 || won.timeout_res != -ECANCELED) return fail("the first case", EPROTO);
    if (!cancelled || lost.timeout_res != -ETIME) return fail("the second case", EPROTO);
    if (lost.took < std::chrono::milliseconds(short_ms)) return fail("the timeout fired early", EPROTO);
    return 0;
}
