// SPDX-License-Identifier: MIT
// What the baseline servers share: a listening socket on 127.0.0.1 and the one static HTTP
// response. The baselines are the ordinary way of writing each program (blocking calls, a
// thread per connection, or epoll), the yardsticks tools/example-bench.py holds rawring's
// examples against. They use libc only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace baseline {

/// The response every HTTP server of the comparison sends (rawring's http_server sends the same
/// bytes), to a GET of any path.
inline constexpr std::string_view http_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";

[[noreturn]] inline void die(const char* what) {
    std::fprintf(stderr, "%s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

/// A listening TCP socket on 127.0.0.1:port (0: any free port); prints the line
/// "listening on 127.0.0.1:PORT" that tools/example-bench.py waits for.
inline int listen_on(int port, int flags = 0) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    if (fd < 0) die("socket");
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    if (::listen(fd, 4096) != 0) die("listen");
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
    std::printf("listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
    std::fflush(stdout);
    return fd;
}

/// `--serve PORT` from argv, or -1 when it is not there.
inline int serve_port(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--serve") == 0) return std::atoi(argv[i + 1]);
    return -1;
}

/// Where a complete request ends in buf[0, n) (just past its "\r\n\r\n"), or 0.
inline std::size_t request_end(const char* buf, std::size_t n) {
    const std::string_view s(buf, n);
    const std::size_t at = s.find("\r\n\r\n");
    return at == std::string_view::npos ? 0 : at + 4;
}

} // namespace baseline
