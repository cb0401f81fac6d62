// SPDX-License-Identifier: MIT
// baseline-http-threads --serve PORT: an HTTP/1.1 keep-alive server written the ordinary
// blocking way, one thread per connection. Answers every request with baseline::http_response
// until killed. tools/example-bench.py holds examples/http_server against it.
#include <thread>

#include "common.hpp"

namespace {

void serve_connection(int fd) {
    char buf[8192];
    std::size_t have = 0;
    for (;;) {
        const ssize_t n = ::recv(fd, buf + have, sizeof buf - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += static_cast<std::size_t>(n);
        std::size_t end;
        bool failed = false;
        while ((end = baseline::request_end(buf, have)) != 0) {
            const auto& r = baseline::http_response;
            if (::send(fd, r.data(), r.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(r.size())) {
                failed = true;
                break;
            }
            std::memmove(buf, buf + end, have - end);
            have -= end;
        }
        if (failed || have == sizeof buf) break;
    }
    ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
    const int port = baseline::serve_port(argc, argv);
    if (port < 0) {
        std::fprintf(stderr, "usage: baseline-http-threads --serve PORT\n");
        return 2;
    }
    const int lfd = baseline::listen_on(port);
    for (;;) {
        const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            baseline::die("accept4");
        }
        std::thread(serve_connection, fd).detach();
    }
}
