// SPDX-License-Identifier: MIT
// Sockets for kernel tests: a connected TCP pair over loopback, a listener, a UDP pair, a pipe.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "common.hpp"

namespace rawring_test {

/// A TCP socket listening on 127.0.0.1 at a port the kernel picked; `addr` holds that address.
struct tcp_listener {
    owned_fd fd;
    sockaddr_in addr{};

    explicit tcp_listener(int backlog = 16) {
        fd = owned_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd >= 0);
        const int one = 1;
        REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(::listen(fd, backlog) == 0);
        socklen_t len = sizeof(addr);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    }

    /// A new client socket connected (blocking connect) to this listener.
    owned_fd connect_client() const {
        owned_fd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(c >= 0);
        REQUIRE(::connect(c, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
        return c;
    }
};

/// A connected TCP pair over loopback: `client` connected, `server` accepted (plain syscalls).
struct tcp_pair {
    tcp_listener listener;
    owned_fd client;
    owned_fd server;

    tcp_pair() {
        client = listener.connect_client();
        server = owned_fd(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
        REQUIRE(server >= 0);
        const int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
};

/// Two UDP sockets on 127.0.0.1, each bound, each connected to the other.
struct udp_pair {
    owned_fd a;
    owned_fd b;
    sockaddr_in addr_a{};
    sockaddr_in addr_b{};

    udp_pair() {
        a = owned_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        b = owned_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(a >= 0);
        REQUIRE(b >= 0);
        bind_loopback(a, addr_a);
        bind_loopback(b, addr_b);
        REQUIRE(::connect(a, reinterpret_cast<const sockaddr*>(&addr_b), sizeof(addr_b)) == 0);
        REQUIRE(::connect(b, reinterpret_cast<const sockaddr*>(&addr_a), sizeof(addr_a)) == 0);
    }

private:
    static void bind_loopback(int fd, sockaddr_in& addr) {
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
        socklen_t len = sizeof(addr);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    }
};

/// A pipe: `read_end`, `write_end`.
struct pipe_pair {
    owned_fd read_end;
    owned_fd write_end;
    pipe_pair() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read_end = owned_fd(fds[0]);
        write_end = owned_fd(fds[1]);
    }
};

} // namespace rawring_test
