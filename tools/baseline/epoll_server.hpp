// SPDX-License-Identifier: MIT
// The epoll loop the two epoll baselines share: one thread, non-blocking sockets, level-triggered
// epoll, a per-connection input buffer. `on_data` turns what arrived into what to send back.
#pragma once

#include <fcntl.h>
#include <sys/epoll.h>

#include <string>
#include <unordered_map>

#include "common.hpp"

namespace baseline {

struct connection {
    std::string in, out;
};

/// Serves until killed. on_data(connection&) consumes c.in and appends to c.out.
template <class OnData>
[[noreturn]] void epoll_serve(int port, OnData on_data) {
    const int lfd = listen_on(port, SOCK_NONBLOCK);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) die("epoll_ctl");
    std::unordered_map<int, connection> conns;
    epoll_event events[256];
    char buf[65536];
    auto drop = [&](int fd) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
    };
    for (;;) {
        const int n = ::epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    const int c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    conns[c];
                }
                continue;
            }
            connection& c = conns[fd];
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
                if (got <= 0) {
                    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                    drop(fd);
                    continue;
                }
                c.in.append(buf, static_cast<std::size_t>(got));
                on_data(c);
            }
            if (!c.out.empty()) {
                const ssize_t sent = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
                if (sent < 0 && errno != EAGAIN) {
                    drop(fd);
                    continue;
                }
                if (sent > 0) c.out.erase(0, static_cast<std::size_t>(sent));
                // What the socket did not take waits for EPOLLOUT.
                epoll_event cev{};
                cev.events = c.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT);
                cev.data.fd = fd;
                ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
            }
        }
    }
}

} // namespace baseline
