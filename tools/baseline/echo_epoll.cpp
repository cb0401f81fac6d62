// SPDX-License-Identifier: MIT
// baseline-echo-epoll --serve PORT: a TCP echo server on one thread with epoll, written the
// ordinary way. tools/example-bench.py drives it and rawring's echo with examples/echo_bench.
#include "epoll_server.hpp"

int main(int argc, char** argv) {
    const int port = baseline::serve_port(argc, argv);
    if (port < 0) {
        std::fprintf(stderr, "usage: baseline-echo-epoll --serve PORT\n");
        return 2;
    }
    baseline::epoll_serve(port, [](baseline::connection& c) {
        c.out.append(c.in);
        c.in.clear();
    });
}
