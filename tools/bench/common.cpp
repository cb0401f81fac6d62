// SPDX-License-Identifier: MIT
// rawring-bench: sockets, the echo client and statistics, shared by both library sides.
#include "common.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bench {

double now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

const char* config_name(config c) {
    switch (c) {
    case config::plain: return "default";
    case config::single: return "single_issuer+defer_taskrun";
    case config::regfd: return "registered_fd";
    case config::recommended: return "recommended_vs_default";
    }
    return "?";
}

int make_listener(std::uint16_t* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 || ::listen(fd, 128) < 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
        const int e = -errno;
        ::close(fd);
        return e;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

int accept_all(int listener, unsigned n, std::vector<int>& fds) {
    for (unsigned i = 0; i < n; ++i) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return -errno;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fds.push_back(fd);
    }
    return 0;
}

std::thread start_echo_client(std::uint16_t port, unsigned connections, std::uint64_t msgs,
                              std::vector<double>& latencies_ns) {
    latencies_ns.clear();
    latencies_ns.reserve(msgs);
    return std::thread([port, connections, msgs, &latencies_ns] {
        // Closing on every way out: a server waiting for this client then sees EOF, not silence.
        struct sockets {
            std::vector<int> fds;
            ~sockets() {
                for (const int fd : fds) ::close(fd);
            }
        } socks;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        for (unsigned i = 0; i < connections; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) return;
            socks.fds.push_back(fd);
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) return;
        }
        char out[msg_size];
        char in[msg_size];
        std::memset(out, 'e', sizeof(out));
        std::vector<double> sent(connections);
        std::uint64_t done = 0;
        while (done < msgs) {
            for (unsigned i = 0; i < connections; ++i) {
                sent[i] = now_ns();
                if (::send(socks.fds[i], out, sizeof(out), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(out))) return;
            }
            for (unsigned i = 0; i < connections; ++i) {
                std::size_t got = 0;
                while (got < sizeof(in)) {
                    const ssize_t n = ::recv(socks.fds[i], in + got, sizeof(in) - got, 0);
                    if (n <= 0) return;
                    got += static_cast<std::size_t>(n);
                }
                latencies_ns.push_back(now_ns() - sent[i]);
                ++done;
            }
        }
    });
}

echo_timing summarize_echo(std::vector<double>& latencies_ns, double elapsed_ns) {
    if (latencies_ns.empty() || elapsed_ns <= 0) return {0, 0, 0, -EIO};
    std::sort(latencies_ns.begin(), latencies_ns.end());
    const auto pct = [&](double p) {
        const std::size_t i = static_cast<std::size_t>(p * static_cast<double>(latencies_ns.size() - 1));
        return latencies_ns[i] / 1000.0;
    };
    return {static_cast<double>(latencies_ns.size()) * 1e9 / elapsed_ns, pct(0.50), pct(0.99), 0};
}

void shutdown_all(const std::vector<int>& fds, int listener) {
    for (const int fd : fds) ::shutdown(fd, SHUT_RDWR);
    if (listener >= 0) ::shutdown(listener, SHUT_RDWR);
}

void close_all(std::vector<int>& fds, int listener) {
    for (const int fd : fds) ::close(fd);
    fds.clear();
    if (listener >= 0) ::close(listener);
}

} // namespace bench
