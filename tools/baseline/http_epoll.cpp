// SPDX-License-Identifier: MIT
// baseline-http-epoll --serve PORT: an HTTP/1.1 keep-alive server on one thread with epoll,
// written the ordinary way. Answers every request with baseline::http_response until killed.
#include "epoll_server.hpp"

int main(int argc, char** argv) {
    const int port = baseline::serve_port(argc, argv);
    if (port < 0) {
        std::fprintf(stderr, "usage: baseline-http-epoll --serve PORT\n");
        return 2;
    }
    baseline::epoll_serve(port, [](baseline::connection& c) {
        std::size_t end;
        while ((end = baseline::request_end(c.in.data(), c.in.size())) != 0) {
            c.out.append(baseline::http_response);
            c.in.erase(0, end);
        }
    });
}
