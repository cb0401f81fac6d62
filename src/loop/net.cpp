// SPDX-License-Identifier: MIT
// rawring::loop's TCP/UDP helpers: socket -> connect -> deliver the fd, and a listening socket.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "rawring/loop.hpp"

namespace rawring {

task* loop::tcp_connect(const sockaddr* addr, unsigned len, int type, const context& c) noexcept {
    if (addr == nullptr) return nullptr;
    task* t = alloc_(loop_op::tcp_connect, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    // The deadline bounds the connect step, not the socket.
    t->bits_ &= static_cast<std::uint8_t>(~task::bit_deadline);
    t->outstanding_ = 1;
    t->step_ = 0;
    t->fd_ = -1;
    t->arg_ = addr;
    t->arg_len_ = len;
    t->arg_type_ = static_cast<std::uint32_t>(type);
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_socket(sqe, addr->sa_family, type, 0, 0);
    return commit_(t, sqe, slow);
}

bool loop::tcp_continue_(task* t) noexcept {
    bool slow = false;
    auto rearm = [&](bool deadline) {
        t->bits_ &= static_cast<std::uint8_t>(~(task::bit_deadline | task::bit_timed_out));
        if (deadline && t->ctx_.deadline_ns != 0) t->bits_ |= task::bit_deadline;
        t->outstanding_ = (t->bits_ & task::bit_deadline) != 0 ? 2 : 1;
        return sqe_(t, slow);
    };
    switch (t->step_) {
    case 0:  // the socket
        if (t->res_ < 0) return false;
        t->fd_ = t->res_;
        ledger_open_(t->fd_);
        if (stopping_) {
            t->arg_type_ = static_cast<std::uint32_t>(-detail::loop_ecanceled);
            t->step_ = 2;
            abi::io_uring_sqe* sqe = rearm(false);
            prep_close(sqe, t->fd_);
            (void)commit_(t, sqe, slow);
            return true;
        }
        {
            t->step_ = 1;
            abi::io_uring_sqe* sqe = rearm(true);
            prep_connect(sqe, t->fd_, static_cast<const sockaddr*>(t->arg_), t->arg_len_);
            (void)commit_(t, sqe, slow);
        }
        return true;
    case 1: {  // the connect
        if (t->res_ == 0 && !stopping_) {
            t->res_ = t->fd_;
            return false;
        }
        t->arg_type_ = static_cast<std::uint32_t>(t->res_ == 0 ? -detail::loop_ecanceled : t->res_);
        t->step_ = 2;
        abi::io_uring_sqe* sqe = rearm(false);
        prep_close(sqe, t->fd_);
        (void)commit_(t, sqe, slow);
        return true;
    }
    default:  // the socket closed after a failed connect
        if (t->res_ == 0) ledger_close_(t->fd_);
        t->res_ = static_cast<std::int32_t>(t->arg_type_);
        t->fd_ = -1;
        return false;
    }
}

int loop::listen(const sockaddr* addr, unsigned len, int type, int backlog) noexcept {
    if (addr == nullptr) return -EINVAL;
    const int fd = ::socket(addr->sa_family, type, 0);
    if (fd < 0) return -errno;
    const int one = 1;
    int ret = ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ret == 0) ret = ::bind(fd, addr, len);
    if (ret == 0 && (type & 0xf) == SOCK_STREAM) ret = ::listen(fd, backlog);
    if (ret != 0) {
        const int e = errno;
        ::close(fd);
        return -e;
    }
    return fd;
}

} // namespace rawring
