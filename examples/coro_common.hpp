// SPDX-License-Identifier: MIT
// What the coroutine examples (echo, cat, http_server ...) share: setup and plumbing only, so
// that each example's own file holds the io_uring feature it shows and nothing else.
//
// Every example follows one contract (tests/examples_coro.cpp, tools/example-bench.py): with no
// arguments it runs a bounded self-contained demo, checks every byte, prints a fixed summary
// and exits 0; on a failure it prints why on stderr and exits 1; where the feature cannot run
// here it prints "SKIP: <reason>" and exits 77.
#pragma once

#include <rawring/probe.hpp>
#include <rawring/task.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <initializer_list>
#include <utility>

namespace example {

namespace co = rawring::co;

inline constexpr int exit_skip = 77;

/// Prints "NAME: WHAT: strerror(-err)" on stderr and returns 1 (the failure exit status).
inline int fail(const char* name, const char* what, int err = 0) {
    if (err < 0) std::fprintf(stderr, "%s: %s: %s\n", name, what, std::strerror(-err));
    else std::fprintf(stderr, "%s: %s\n", name, what);
    return 1;
}

/// Sets up `l` with `entries` SQ entries: 0, or exit_skip having said why (io_uring missing or
/// disabled here).
inline int init_loop(rawring::loop& l, unsigned entries, const rawring::loop_options& o = {}) {
    if (int ret = l.init(entries, o); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return exit_skip;
    }
    return 0;
}

/// 0 if the kernel has every opcode in `ops`, else exit_skip having said which is missing.
inline int need_ops(rawring::loop& l, std::initializer_list<std::pair<unsigned, const char*>> ops) {
    const rawring::probe p = rawring::get_probe(l.raw_ring());
    for (const auto& [op, what] : ops)
        if (!p.supported(op)) {
            std::printf("SKIP: this kernel has no %s\n", what);
            return exit_skip;
        }
    return 0;
}

/// An fd closed when it goes out of scope: a coroutine that is cancelled is destroyed, and
/// its locals' destructors are what close what it owned.
struct unique_fd {
    int fd = -1;
    unique_fd() = default;
    explicit unique_fd(int f) : fd(f) {}
    unique_fd(unique_fd&& o) noexcept : fd(o.release()) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd = o.release();
        }
        return *this;
    }
    ~unique_fd() { reset(); }
    int release() { return std::exchange(fd, -1); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    explicit operator bool() const { return fd >= 0; }
};

/// A TCP socket listening on 127.0.0.1:`port` (0: any free port), with its address (the port
/// the kernel picked) in `addr`: the fd, or -errno. Synchronous: set-up, not I/O.
inline int listen_loopback(int port, sockaddr_in& addr, int backlog = 4096) {
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const int fd = rawring::loop::listen(reinterpret_cast<const sockaddr*>(&addr), sizeof addr,
                                         SOCK_STREAM | SOCK_CLOEXEC, backlog);
    if (fd < 0) return fd;
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int err = -errno;
        ::close(fd);
        return err;
    }
    return fd;
}

/// Prints the line a server started with `--serve PORT` owes its starter
/// ("listening on 127.0.0.1:PORT", see tools/example-bench.py), flushed.
inline void say_listening(const sockaddr_in& addr) {
    std::printf("listening on 127.0.0.1:%u\n", ntohs(addr.sin_port));
    std::fflush(stdout);
}

/// `--serve PORT` in argv: the port (0: any), -1 when absent, -2 when malformed.
inline int serve_port(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--serve") != 0) return -1;
    if (argc != 3) return -2;
    char* end = nullptr;
    const long p = std::strtol(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || p < 0 || p > 65535) return -2;
    return static_cast<int>(p);
}

/// co::run bounded in time, for the demos (a lost completion fails the program instead of
/// hanging it): the task's value, -ETIME after `limit` (the task then cancelled and stopped),
/// or the loop's -errno.
inline int run_bounded(rawring::loop& l, co::task<int> t, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const int r = co::run_for(l, t, limit);
    return r < 0 ? r : t.result();
}

/// A number argument in [lo, hi], or -1.
inline long number_arg(const char* s, long lo, long hi) {
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) return -1;
    return v;
}

/// A signalfd for SIGTERM and SIGINT, which it blocks: a coroutine reading it is how a server
/// learns it should stop. The fd, or -errno.
inline int stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return -errno;
    const int fd = ::signalfd(-1, &set, SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/// Waits for SIGTERM or SIGINT on `sfd` (stop_signals): the signal number, or -errno.
inline co::task<int> wait_stop_signal(rawring::loop& l, int sfd) {
    signalfd_siginfo si{};
    const int n = co_await co::read(l, sfd, &si, sizeof si);
    if (n < 0) co_return n;
    co_return static_cast<int>(si.ssi_signo);
}

/// Sends all `len` bytes of `buf` (a stream socket may take less per send): len, or -errno.
inline co::task<int> send_all(rawring::loop& l, int fd, const void* buf, std::size_t len) {
    const auto* p = static_cast<const char*>(buf);
    std::size_t done = 0;
    while (done < len) {
        const int n = co_await co::send(l, fd, p + done, len - done, MSG_NOSIGNAL);
        if (n < 0) co_return n;
        done += static_cast<std::size_t>(n);
    }
    co_return static_cast<int>(len);
}

/// Receives exactly `len` bytes: len, 0 (the peer closed first), or -errno.
inline co::task<int> recv_exact(rawring::loop& l, int fd, void* buf, std::size_t len) {
    auto* p = static_cast<char*>(buf);
    std::size_t done = 0;
    while (done < len) {
        const int n = co_await co::recv(l, fd, p + done, len - done);
        if (n <= 0) co_return n;
        done += static_cast<std::size_t>(n);
    }
    co_return static_cast<int>(len);
}

/// Writes all `len` bytes at `offset` (-1: the file position, advanced by each write).
inline co::task<int> write_all(rawring::loop& l, int fd, const void* buf, std::size_t len,
                               std::uint64_t offset = ~std::uint64_t{0}) {
    const auto* p = static_cast<const char*>(buf);
    std::size_t done = 0;
    while (done < len) {
        const std::uint64_t at = offset == ~std::uint64_t{0} ? offset : offset + done;
        const int n = co_await co::write(l, fd, p + done, static_cast<unsigned>(len - done), at);
        if (n < 0) co_return n;
        if (n == 0) co_return -EIO;
        done += static_cast<std::size_t>(n);
    }
    co_return static_cast<int>(len);
}

/// Byte i of test stream `seed`: a cheap pattern that differs at every offset and per seed, so
/// a byte in the wrong place or from the wrong stream shows.
inline unsigned char pattern_byte(std::uint64_t seed, std::uint64_t i) {
    std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull);
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    return static_cast<unsigned char>(x >> 56);
}
inline void fill_pattern(void* buf, std::size_t n, std::uint64_t seed, std::uint64_t from = 0) {
    auto* p = static_cast<unsigned char*>(buf);
    for (std::size_t i = 0; i < n; ++i) p[i] = pattern_byte(seed, from + i);
}

/// A temporary file (in $TMPDIR, else /var/tmp: on this machine / is ext4 and /tmp with it,
/// but not everywhere), removed with the object. `fd` is open read-write.
struct temp_file {
    std::string path;
    int fd = -1;
    temp_file() = default;
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
        if (fd >= 0) ::close(fd);
        if (!path.empty()) ::unlink(path.c_str());
    }
    /// Creates it: 0 or -errno.
    int create(const char* name) {
        const char* dir = std::getenv("TMPDIR");
        if (dir == nullptr || *dir == '\0') dir = "/var/tmp";
        std::string p = std::string(dir) + "/rawring-" + name + "-XXXXXX";
        fd = ::mkostemp(p.data(), O_CLOEXEC);
        if (fd < 0) return -errno;
        path = p;
        return 0;
    }
    /// Creates it holding `n` bytes of test stream `seed`: 0 or -errno.
    int create_with_pattern(const char* name, std::size_t n, std::uint64_t seed) {
        if (int ret = create(name); ret < 0) return ret;
        char buf[65536];
        for (std::size_t at = 0; at < n;) {
            const std::size_t k = n - at < sizeof buf ? n - at : sizeof buf;
            fill_pattern(buf, k, seed, at);
            if (::pwrite(fd, buf, k, static_cast<off_t>(at)) != static_cast<ssize_t>(k)) return -EIO;
            at += k;
        }
        return 0;
    }
};

/// Whether file `fd` holds exactly `n` bytes of test stream `seed` (read with pread(2): the
/// check is not what the example shows).
inline bool file_has_pattern(int fd, std::size_t n, std::uint64_t seed) {
    char buf[65536], want[65536];
    std::size_t at = 0;
    for (;;) {
        const ssize_t got = ::pread(fd, buf, sizeof buf, static_cast<off_t>(at));
        if (got < 0) return false;
        if (got == 0) break;
        fill_pattern(want, static_cast<std::size_t>(got), seed, at);
        if (at + static_cast<std::size_t>(got) > n || std::memcmp(buf, want, static_cast<std::size_t>(got)) != 0)
            return false;
        at += static_cast<std::size_t>(got);
    }
    return at == n;
}

// ---- HTTP (http_server, http_client, http_stress) --------------------------------------------------

/// The one static response of the HTTP examples: the same bytes as tools/baseline/common.hpp's
/// baseline::http_response, which the baseline servers send.
inline constexpr std::string_view http_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";

/// The request the HTTP clients send.
inline constexpr std::string_view http_request =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";

/// Where the head of an HTTP message in buf[0, n) ends (just past its "\r\n\r\n"), or 0.
inline std::size_t head_end(const char* buf, std::size_t n) {
    const std::size_t at = std::string_view(buf, n).find("\r\n\r\n");
    return at == std::string_view::npos ? 0 : at + 4;
}

/// The Content-Length of an HTTP head, or -1 when it has none.
inline long content_length(std::string_view head) {
    constexpr std::string_view key = "\r\ncontent-length:";
    for (std::size_t i = 0; i + key.size() <= head.size(); ++i) {
        bool match = true;
        for (std::size_t k = 0; k < key.size() && match; ++k) {
            char c = head[i + k];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            match = c == key[k];
        }
        if (!match) continue;
        std::size_t j = i + key.size();
        while (j < head.size() && head[j] == ' ') ++j;
        long v = 0;
        bool digits = false;
        while (j < head.size() && head[j] >= '0' && head[j] <= '9' && v < 1'000'000'000) {
            v = v * 10 + (head[j++] - '0');
            digits = true;
        }
        return digits ? v : -1;
    }
    return -1;
}

/// One HTTP/1.1 client connection: reads responses (head, then Content-Length bytes of body)
/// out of a buffer that keeps what came after the last one.
struct http_reader {
    char buf[16384];
    std::size_t have = 0;

    /// The next whole response, compared with `expected`: 1 when it is exactly those bytes,
    /// 0 when it is not (or the server closed), -errno.
    co::task<int> next(rawring::loop& l, int fd, std::string_view expected) {
        std::size_t total = 0;
        for (;;) {
            if (total == 0) {
                if (const std::size_t h = head_end(buf, have); h != 0) {
                    const long len = content_length(std::string_view(buf, h));
                    if (len < 0 || h + static_cast<std::size_t>(len) > sizeof buf) co_return 0;
                    total = h + static_cast<std::size_t>(len);
                }
            }
            if (total != 0 && have >= total) break;
            if (have == sizeof buf) co_return 0;
            const int n = co_await co::recv(l, fd, buf + have, sizeof buf - have);
            if (n < 0) co_return n;
            if (n == 0) co_return 0;
            have += static_cast<std::size_t>(n);
        }
        const bool same = std::string_view(buf, total) == expected;
        std::memmove(buf, buf + total, have - total);
        have -= total;
        co_return same ? 1 : 0;
    }
};

/// http_server's connection coroutine (the HTTP client examples run it too, for their demos):
/// HTTP/1.1 keep-alive: read until a request's head is complete (its "\r\n\r\n"; these
/// requests have no body), answer it with http_response, and go on with the bytes after it
/// (pipelined requests) until the client closes. Owns `fd`. Returns 0 or -errno.
inline co::task<int> http_connection(rawring::loop& l, int client) {
    unique_fd fd(client);  // closed by its destructor if this coroutine is cancelled
    char buf[8192];
    std::size_t have = 0;
    unsigned recv_flags = 0;
    for (;;) {
        const int n = co_await co::recv(l, fd.fd, buf + have, sizeof buf - have, 0, recv_flags);
        if (n <= 0) {  // 0: the client closed its end
            co_await co::close(l, fd.release());
            co_return n;
        }
        have += static_cast<std::size_t>(n);
        std::size_t used = 0;
        while (const std::size_t end = head_end(buf + used, have - used)) {
            // The response is static, so it goes fire-and-forget (loop::post_send): no CQE
            // when it succeeds, and so no trip through the loop before the next receive. A
            // failed send is only counted; the next receive sees the broken connection.
            const auto& r = http_response;
            used += end;
            if (l.post_send(fd.fd, r.data(), static_cast<unsigned>(r.size()), MSG_NOSIGNAL) == 0) continue;
            // No SQE for it: an awaited send. One send almost always takes it all; send_all (a
            // coroutine of its own, so a frame to allocate) only for the rest of a short one.
            int sent = co_await co::send(l, fd.fd, r.data(), r.size(), MSG_NOSIGNAL);
            if (sent >= 0 && static_cast<std::size_t>(sent) < r.size())
                sent = co_await send_all(l, fd.fd, r.data() + sent, r.size() - static_cast<std::size_t>(sent));
            if (sent < 0) co_return sent;
        }
        std::memmove(buf, buf + used, have - used);
        have -= used;
        // Everything received was answered: the client now waits for the answers, so the
        // socket is empty. The next recv waits for data before its first try (POLL_FIRST),
        // rather than try, fail with -EAGAIN, and then wait.
        recv_flags = have == 0 && used != 0 ? rawring::abi::IORING_RECVSEND_POLL_FIRST : 0;
        if (have == sizeof buf) co_return -E2BIG;  // a head larger than the buffer: give up
    }
}

/// A connection handler: a coroutine that owns the fd it is given.
using connection_fn = co::task<int> (*)(rawring::loop& l, int fd);

/// Accepts connections on `lfd` one after the other (IORING_OP_ACCEPT) and starts `handler` on
/// each, in `conns`, until cancelled (or an accept fails: its -errno).
inline co::task<int> accept_loop(rawring::loop& l, int lfd, co::scope& conns, connection_fn handler) {
    for (;;) {
        const int fd = co_await co::accept(l, lfd, SOCK_CLOEXEC);
        if (fd < 0) {
            if (fd == -ECONNABORTED || fd == -EINTR) continue;
            co_return fd;
        }
        if (conns.spawn(handler(l, fd)) < 0) ::close(fd);  // no memory for its frame
    }
}

/// A server until SIGTERM or SIGINT: accept_loop on `lfd` raced against the signal (when_any:
/// the loser is cancelled), then every connection is cancelled and awaited. 0 or -errno.
inline co::task<int> serve_until_signal(rawring::loop& l, int lfd, int sfd, connection_fn handler) {
    co::scope conns;
    auto r = co_await co::when_any(accept_loop(l, lfd, conns, handler), wait_stop_signal(l, sfd));
    conns.cancel();
    co_await conns.join();
    co_return r.index == 1 && r.value > 0 ? 0 : r.value;
}

} // namespace example
