// SPDX-License-Identifier: MIT
// file_server: serves a file over HTTP/1.1 with splice(2), the bytes never copied through user
// space (rawring::co over rawring::loop).
//
// Usage:
//   file_server                      a demo: a temporary file of 1000003 bytes, the server
//                                    and 3 client coroutines on 127.0.0.1 in one loop, 2
//                                    keep-alive requests per client, every byte checked
//   file_server --serve PORT FILE    serves FILE to every request on 127.0.0.1:PORT (0: any)
//                                    until SIGTERM or SIGINT
//
// What it shows: IORING_OP_SPLICE. splice(2) moves data between two fds when one of them is a
// pipe, so each connection has a pipe of its own and the body goes file -> pipe -> socket:
//     int n = co_await co::splice(l, file, offset, pipe_w, -1, chunk);   // page refs into the pipe
//     co_await co::splice(l, pipe_r, -1, socket, -1, n);                 // and out to the socket
// (until all n are out: a socket may take part of them). The file offset is given with each
// splice, so any number of connections share the one file fd. The response head is a plain
// co::send.
#include "coro_common.hpp"

#include <sys/stat.h>

#include <array>
#include <span>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned pipe_chunk = 65536;  // a pipe's default capacity

struct served_file {
    int fd = -1;
    std::size_t size = 0;
};
served_file file;  // what every connection sends (set once, before the loop runs)

/// Sends bytes [0, file.size) of the file to `sock` through `p`: 0 or -errno.
co::task<int> splice_body(rawring::loop& l, int sock, const int (&p)[2]) {
    for (std::size_t offset = 0; offset < file.size;) {
        const std::size_t want = file.size - offset < pipe_chunk ? file.size - offset : pipe_chunk;
        const int n = co_await co::splice(l, file.fd, static_cast<std::int64_t>(offset), p[1], -1,
                                          static_cast<unsigned>(want));
        if (n < 0) co_return n;
        if (n == 0) co_return -EIO;  // the file shrank
        for (int out = 0; out < n;) {
            const int m = co_await co::splice(l, p[0], -1, sock, -1, static_cast<unsigned>(n - out));
            if (m <= 0) co_return m < 0 ? m : -EIO;
            out += m;
        }
        offset += static_cast<std::size_t>(n);
    }
    co_return 0;
}

/// One connection: for each request (its head up to "\r\n\r\n"), a head and the file. Owns
/// `client`. 0 or -errno.
co::task<int> file_connection(rawring::loop& l, int client) {
    example::unique_fd fd(client);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) co_return -errno;
    example::unique_fd pipe_r(p[0]), pipe_w(p[1]);
    char head[128];
    const int head_len = std::snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                                          "Content-Length: %zu\r\n\r\n", file.size);
    char buf[4096];
    std::size_t have = 0;
    for (;;) {
        const int n = co_await co::recv(l, fd.fd, buf + have, sizeof buf - have);
        if (n <= 0) co_return n;
        have += static_cast<std::size_t>(n);
        std::size_t used = 0;
        while (const std::size_t end = example::head_end(buf + used, have - used)) {
            if (int r = co_await example::send_all(l, fd.fd, head, static_cast<std::size_t>(head_len)); r < 0)
                co_return r;
            if (int r = co_await splice_body(l, fd.fd, p); r < 0) co_return r;
            used += end;
        }
        std::memmove(buf, buf + used, have - used);
        have -= used;
        if (have == sizeof buf) co_return -E2BIG;
    }
}

// ---- the demo's clients ----------------------------------------------------------------------

constexpr unsigned clients = 3;
constexpr unsigned requests = 2;  // per client
constexpr std::size_t demo_size = 1'000'003;
constexpr std::uint64_t demo_seed = 9;

/// Requests the file `requests` times over one connection and checks every byte: the bytes of
/// body received, or -errno (-EPROTO: wrong bytes).
co::task<int> client(rawring::loop& l, const sockaddr_in* addr) {
    const int fd = co_await co::tcp_connect(l, reinterpret_cast<const sockaddr*>(addr), sizeof *addr,
                                            SOCK_STREAM | SOCK_CLOEXEC);
    if (fd < 0) co_return fd;
    example::unique_fd guard(fd);
    char buf[65536], want[65536];  // in the coroutine frame (on the heap), one pair per client
    int total = 0;
    std::size_t have = 0;  // bytes in buf not yet looked at
    for (unsigned r = 0; r < requests; ++r) {
        const auto& rq = example::http_request;
        if (int s = co_await example::send_all(l, fd, rq.data(), rq.size()); s < 0) co_return s;
        std::size_t h = 0;
        while ((h = example::head_end(buf, have)) == 0) {
            const int n = co_await co::recv(l, fd, buf + have, sizeof buf - have);
            if (n <= 0) co_return n < 0 ? n : -EPROTO;
            have += static_cast<std::size_t>(n);
        }
        if (example::content_length(std::string_view(buf, h)) != static_cast<long>(demo_size)) co_return -EPROTO;
        std::memmove(buf, buf + h, have - h);
        have -= h;
        for (std::size_t at = 0; at < demo_size;) {  // the body, checked as it comes
            if (have == 0) {
                const int n = co_await co::recv(l, fd, buf, sizeof buf);
                if (n <= 0) co_return n < 0 ? n : -EPROTO;
                have = static_cast<std::size_t>(n);
            }
            const std::size_t k = have < demo_size - at ? have : demo_size - at;
            example::fill_pattern(want, k, demo_seed, at);
            if (std::memcmp(buf, want, k) != 0) co_return -EPROTO;
            std::memmove(buf, buf + k, have - k);
            have -= k;
            at += k;
            total += static_cast<int>(k);
        }
    }
    co_await co::close(l, guard.release());
    co_return total;
}

co::task<int> all_clients(rawring::loop& l, const sockaddr_in* addr) {
    std::array<co::task<int>, clients> tasks;
    for (auto& t : tasks) t = client(l, addr);
    co_await co::when_all(std::span<co::task<int>>(tasks));
    int total = 0;
    for (auto& t : tasks) {
        if (t.result() < 0) co_return t.result();
        total += t.result();
    }
    co_return total;
}

co::task<int> demo(rawring::loop& l, int lfd, const sockaddr_in* addr) {
    co::scope conns;
    auto r = co_await co::when_any(example::accept_loop(l, lfd, conns, file_connection), all_clients(l, addr));
    co_await conns.join();
    if (r.index != 1) co_return r.value < 0 ? r.value : -EPROTO;
    co_return r.value;
}

} // namespace

int main(int argc, char** argv) {
    int port = -1;
    if (argc == 4 && std::strcmp(argv[1], "--serve") == 0) port = static_cast<int>(example::number_arg(argv[2], 0, 65535));
    if (argc != 1 && port < 0) {
        std::fprintf(stderr, "usage: file_server [--serve PORT FILE]\n");
        return 2;
    }
    example::temp_file demo_file;
    sockaddr_in addr{};
    example::unique_fd listener, signals, served;
    rawring::loop l;
    rawring::loop_options o;
    o.tasks = 4096;
    o.cq_entries = 4096;
    if (int ret = example::init_loop(l, 256, o); ret != 0) return ret;
    if (int ret = example::need_ops(l, {{rawring::abi::IORING_OP_SOCKET, "IORING_OP_SOCKET (Linux 5.19)"},
                                        {rawring::abi::IORING_OP_SPLICE, "IORING_OP_SPLICE (Linux 5.7)"}});
        ret != 0)
        return ret;

    if (port >= 0) {
        served = example::unique_fd(::open(argv[3], O_RDONLY | O_CLOEXEC));
        struct stat st{};
        if (!served || ::fstat(served.fd, &st) != 0) return fail("file_server", argv[3], -errno);
        file = {served.fd, static_cast<std::size_t>(st.st_size)};
    } else {
        if (int ret = demo_file.create_with_pattern("file-server", demo_size, demo_seed); ret < 0)
            return fail("file_server", "temp file", ret);
        file = {demo_file.fd, demo_size};
    }
    const int lfd = example::listen_loopback(port < 0 ? 0 : port, addr);
    if (lfd < 0) return fail("file_server", "listen", lfd);
    listener = example::unique_fd(lfd);

    if (port >= 0) {
        const int sfd = example::stop_signals();
        if (sfd < 0) return fail("file_server", "signalfd", sfd);
        signals = example::unique_fd(sfd);
        example::say_listening(addr);
        const int r = co::run(l, example::serve_until_signal(l, lfd, sfd, file_connection));
        return r < 0 ? fail("file_server", "serving", r) : 0;
    }
    const int r = example::run_bounded(l, demo(l, lfd, &addr));
    if (r < 0) return fail("file_server", "demo", r);
    if (r != static_cast<int>(clients * requests * demo_size)) return fail("file_server", "bytes missing");
    std::printf("file_server: %u clients x %u keep-alive requests, each got the %zu-byte file through splice "
                "(file -> pipe -> socket), every byte checked\n",
                clients, requests, demo_size);
    return 0;
}
