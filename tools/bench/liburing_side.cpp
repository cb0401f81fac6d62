// SPDX-License-Identifier: MIT
// rawring-bench: every workload written with liburing, step for step as in rawring_side.cpp.
// Only built when liburing is found (Debian's liburing-dev); it never reaches the library.
#include <liburing.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common.hpp"

namespace bench {
namespace {

int open_ring(io_uring& r, config c, unsigned entries) {
    // liburing's defaults for "recommended": what a liburing user gets without tuning.
    const bool single = c == config::single;
    const bool regfd = c == config::regfd;
    const unsigned flags = single ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN : 0;
    if (const int ret = io_uring_queue_init(entries, &r, flags); ret < 0) return ret;
    if (regfd) {
        if (const int ret = io_uring_register_ring_fd(&r); ret < 0) {
            io_uring_queue_exit(&r);
            return ret;
        }
    }
    return 0;
}

int reap(io_uring& r, int expect_res, unsigned* count) {
    int bad = 0;
    unsigned n = 0;
    unsigned head;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&r, head, cqe) {
        if (cqe->res != expect_res) bad = cqe->res < 0 ? cqe->res : -EIO;
        ++n;
    }
    io_uring_cq_advance(&r, n);
    *count = n;
    return bad;
}

timing nop(config c, unsigned batch, std::uint64_t ops) {
    io_uring r;
    if (const int ret = open_ring(r, c, batch < 8 ? 8 : batch); ret < 0) return {0, ret};
    const auto round = [&]() -> int {
        for (unsigned i = 0; i < batch; ++i) {
            io_uring_sqe* sqe = io_uring_get_sqe(&r);
            io_uring_prep_nop(sqe);
            sqe->user_data = i;
        }
        if (const int ret = io_uring_submit_and_wait(&r, batch); ret < 0) return ret;
        unsigned n = 0;
        if (const int ret = reap(r, 0, &n); ret < 0) return ret;
        return n == batch ? 0 : -EIO;
    };
    timing t{0, 0};
    for (int i = 0; i < 64 && t.error == 0; ++i) t.error = round();
    const std::uint64_t rounds = ops / batch;
    const double start = now_ns();
    for (std::uint64_t i = 0; i < rounds && t.error == 0; ++i) t.error = round();
    t.ns_per_op = (now_ns() - start) / static_cast<double>(rounds * batch);
    io_uring_queue_exit(&r);
    return t;
}

timing read(config c, unsigned depth, bool fixed, int fd, std::uint64_t file_size, std::uint64_t ops) {
    io_uring r;
    if (const int ret = open_ring(r, c, depth); ret < 0) return {0, ret};
    std::vector<char> memory(std::size_t{depth} * 4096);
    std::vector<iovec> iovs(depth);
    for (unsigned i = 0; i < depth; ++i) iovs[i] = {memory.data() + std::size_t{i} * 4096, 4096};
    timing t{0, 0};
    if (fixed) {
        if (const int ret = io_uring_register_files(&r, &fd, 1); ret < 0) t.error = ret;
        if (t.error == 0)
            if (const int ret = io_uring_register_buffers(&r, iovs.data(), depth); ret < 0) t.error = ret;
    }
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    const auto queue = [&](unsigned slot) {
        io_uring_sqe* sqe = io_uring_get_sqe(&r);
        const std::uint64_t off = next_offset(state, file_size);
        if (fixed) {
            io_uring_prep_read_fixed(sqe, 0, iovs[slot].iov_base, 4096, off, static_cast<int>(slot));
            sqe->flags |= IOSQE_FIXED_FILE;
        } else {
            io_uring_prep_read(sqe, fd, iovs[slot].iov_base, 4096, off);
        }
        sqe->user_data = slot;
    };
    const auto run = [&](std::uint64_t total) -> int {
        std::uint64_t issued = 0;
        std::uint64_t done = 0;
        for (unsigned i = 0; i < depth && issued < total; ++i, ++issued) queue(i);
        while (done < total) {
            if (const int ret = io_uring_submit_and_wait(&r, 1); ret < 0) return ret;
            int bad = 0;
            unsigned n = 0;
            unsigned head;
            io_uring_cqe* cqe;
            io_uring_for_each_cqe(&r, head, cqe) {
                if (cqe->res != 4096) bad = cqe->res < 0 ? cqe->res : -EIO;
                if (issued < total) {
                    queue(static_cast<unsigned>(cqe->user_data));
                    ++issued;
                }
                ++n;
            }
            io_uring_cq_advance(&r, n);
            if (bad < 0) return bad;
            done += n;
        }
        return 0;
    };
    if (t.error == 0) t.error = run(depth * 8ull);
    const double start = now_ns();
    if (t.error == 0) t.error = run(ops);
    t.ns_per_op = (now_ns() - start) / static_cast<double>(ops);
    io_uring_queue_exit(&r);
    return t;
}

timing pingpong(config c, bool socket, std::uint64_t ops) {
    int fds[2];
    const int made = socket ? ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) : ::pipe2(fds, O_CLOEXEC);
    if (made < 0) return {0, -errno};
    const int wfd = socket ? fds[0] : fds[1];
    const int rfd = socket ? fds[1] : fds[0];
    io_uring r;
    timing result{0, 0};
    char out[msg_size];
    char in[msg_size];
    std::memset(out, 'p', sizeof(out));
    const auto round = [&]() -> int {
        io_uring_sqe* w = io_uring_get_sqe(&r);
        io_uring_prep_write(w, wfd, out, msg_size, 0);
        w->flags |= IOSQE_IO_LINK;
        io_uring_sqe* rd = io_uring_get_sqe(&r);
        io_uring_prep_read(rd, rfd, in, msg_size, 0);
        if (const int ret = io_uring_submit_and_wait(&r, 2); ret < 0) return ret;
        unsigned n = 0;
        if (const int ret = reap(r, msg_size, &n); ret < 0) return ret;
        return n == 2 ? 0 : -EIO;
    };
    if (const int ret = open_ring(r, c, 8); ret < 0) {
        result.error = ret;
    } else {
        for (int i = 0; i < 64 && result.error == 0; ++i) result.error = round();
        const double start = now_ns();
        for (std::uint64_t i = 0; i < ops && result.error == 0; ++i) result.error = round();
        result.ns_per_op = (now_ns() - start) / static_cast<double>(ops);
        io_uring_queue_exit(&r);
    }
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
}

echo_timing echo(config c, unsigned connections, std::uint64_t msgs) {
    constexpr unsigned buffers = 256;
    constexpr int group = 0;
    std::uint16_t port = 0;
    const int listener = make_listener(&port);
    if (listener < 0) return {0, 0, 0, listener};
    std::vector<double> latencies;
    std::thread client = start_echo_client(port, connections, msgs, latencies);
    std::vector<int> fds;
    io_uring r;
    bool ring_open = false;
    int error = accept_all(listener, connections, fds);
    std::vector<char> memory(std::size_t{buffers} * msg_size);
    const std::size_t br_size = buffers * sizeof(io_uring_buf);
    void* br_mem = MAP_FAILED;
    io_uring_buf_ring* br = nullptr;
    const int mask = io_uring_buf_ring_mask(buffers);
    if (error == 0) {
        error = open_ring(r, c, 2 * connections < 64 ? 64 : 2 * connections);
        ring_open = error == 0;
    }
    if (error == 0) {
        // liburing 2.3 has no io_uring_setup_buf_ring: map and register the ring by hand.
        br_mem = mmap(nullptr, br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (br_mem == MAP_FAILED) error = -errno;
    }
    if (error == 0) {
        br = static_cast<io_uring_buf_ring*>(br_mem);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(br);
        reg.ring_entries = buffers;
        reg.bgid = group;
        error = io_uring_register_buf_ring(&r, &reg, 0);
    }
    double start = 0;
    if (error == 0) {
        io_uring_buf_ring_init(br);
        for (unsigned i = 0; i < buffers; ++i)
            io_uring_buf_ring_add(br, memory.data() + std::size_t{i} * msg_size, msg_size,
                                  static_cast<unsigned short>(i), mask, static_cast<int>(i));
        io_uring_buf_ring_advance(br, buffers);
        const auto arm = [&](unsigned conn) {
            io_uring_sqe* sqe = io_uring_get_sqe(&r);
            io_uring_prep_recv_multishot(sqe, fds[conn], nullptr, 0, 0);
            sqe->flags |= IOSQE_BUFFER_SELECT;
            sqe->buf_group = group;
            sqe->user_data = conn;
        };
        for (unsigned i = 0; i < connections; ++i) arm(i);
        start = now_ns();
        std::uint64_t echoed = 0;  // bytes: a recv may carry parts of messages
        while (echoed < msgs * msg_size && error == 0) {
            if (const int ret = io_uring_submit_and_wait(&r, 1); ret < 0) {
                error = ret;
                break;
            }
            unsigned n = 0;
            unsigned head;
            io_uring_cqe* cqe;
            io_uring_for_each_cqe(&r, head, cqe) {
                ++n;
                const unsigned conn = static_cast<unsigned>(cqe->user_data & 0xffffffffu);
                if ((cqe->user_data >> 32) & 1) {
                    const auto bid = static_cast<unsigned short>(cqe->user_data >> 40);
                    io_uring_buf_ring_add(br, memory.data() + std::size_t{bid} * msg_size, msg_size, bid, mask, 0);
                    io_uring_buf_ring_advance(br, 1);
                    if (cqe->res < 0) error = cqe->res;
                    continue;
                }
                if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER) != 0) {
                    const auto bid = static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                    io_uring_sqe* sqe = io_uring_get_sqe(&r);
                    io_uring_prep_send(sqe, fds[conn], memory.data() + std::size_t{bid} * msg_size,
                                       static_cast<std::size_t>(cqe->res), MSG_NOSIGNAL);
                    sqe->user_data = conn | (1ull << 32) | (std::uint64_t{bid} << 40);
                    echoed += static_cast<unsigned>(cqe->res);
                } else if (cqe->res == 0) {
                    error = -ECONNRESET;  // the client went away early
                } else if (cqe->res < 0 && cqe->res != -ENOBUFS) {
                    error = cqe->res;
                }
                if ((cqe->flags & IORING_CQE_F_MORE) == 0 && cqe->res != 0) arm(conn);
            }
            io_uring_cq_advance(&r, n);
        }
        (void)io_uring_submit(&r);
    }
    const double elapsed = now_ns() - start;
    if (error < 0) shutdown_all(fds, listener);  // or the client waits for echoes forever
    client.join();
    if (br != nullptr) (void)io_uring_unregister_buf_ring(&r, group);
    if (br_mem != MAP_FAILED) munmap(br_mem, br_size);
    if (ring_open) io_uring_queue_exit(&r);
    close_all(fds, listener);
    if (error < 0) return {0, 0, 0, error};
    return summarize_echo(latencies, elapsed);
}

} // namespace

const side liburing_side = {"liburing", nop, read, pingpong, echo};

} // namespace bench
