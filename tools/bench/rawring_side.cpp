// SPDX-License-Identifier: MIT
// rawring-bench: every workload written with rawring (its twin, liburing_side.cpp, mirrors it
// step for step with liburing).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include <rawring/buf_ring.hpp>
#include <rawring/rawring.hpp>
#include <rawring/register.hpp>

#include "common.hpp"

namespace bench {
namespace {

namespace abi = rawring::abi;

/// Sets up `r` for `c`: rawring's flags and ring-fd registration for each configuration.
int open_ring(rawring::ring& r, config c, unsigned entries) {
    const bool single = c == config::single || c == config::recommended;
    const bool regfd = c == config::regfd || c == config::recommended;
    const std::uint32_t flags =
        single ? abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN : 0;
    if (const int ret = r.init(entries, flags); ret < 0) return ret;
    if (regfd) {
        if (const int ret = r.register_ring_fd(); ret < 0) return ret;
    }
    return 0;
}

/// Reaps every ready CQE; returns how many, or -errno if one carries an unexpected result.
int reap(rawring::ring& r, int expect_res, unsigned* count) {
    int bad = 0;
    const unsigned n = r.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
        if (cqe.res != expect_res) bad = cqe.res < 0 ? cqe.res : -EIO;
    });
    r.cq_advance(n);
    *count = n;
    return bad;
}

timing nop(config c, unsigned batch, std::uint64_t ops) {
    rawring::ring r;
    if (const int ret = open_ring(r, c, batch < 8 ? 8 : batch); ret < 0) return {0, ret};
    const auto round = [&]() -> int {
        for (unsigned i = 0; i < batch; ++i) {
            abi::io_uring_sqe* sqe = r.get_sqe();
            rawring::prep_nop(sqe);
            sqe->user_data = i;
        }
        if (const int ret = r.submit_and_wait(batch); ret < 0) return ret;
        unsigned n = 0;
        if (const int ret = reap(r, 0, &n); ret < 0) return ret;
        return n == batch ? 0 : -EIO;
    };
    for (int i = 0; i < 64; ++i)
        if (const int ret = round(); ret < 0) return {0, ret};
    const std::uint64_t rounds = ops / batch;
    const double start = now_ns();
    for (std::uint64_t i = 0; i < rounds; ++i)
        if (const int ret = round(); ret < 0) return {0, ret};
    return {(now_ns() - start) / static_cast<double>(rounds * batch), 0};
}

timing read(config c, unsigned depth, bool fixed, int fd, std::uint64_t file_size, std::uint64_t ops) {
    rawring::ring r;
    if (const int ret = open_ring(r, c, depth); ret < 0) return {0, ret};
    std::vector<char> memory(std::size_t{depth} * 4096);
    std::vector<iovec> iovs(depth);
    for (unsigned i = 0; i < depth; ++i) iovs[i] = {memory.data() + std::size_t{i} * 4096, 4096};
    if (fixed) {
        if (const int ret = rawring::register_files(r, &fd, 1); ret < 0) return {0, ret};
        if (const int ret = rawring::register_buffers(r, iovs.data(), depth); ret < 0) return {0, ret};
    }
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    const auto queue = [&](unsigned slot) {
        abi::io_uring_sqe* sqe = r.get_sqe();
        const std::uint64_t off = next_offset(state, file_size);
        if (fixed) {
            rawring::prep_read_fixed(sqe, 0, iovs[slot].iov_base, 4096, off, static_cast<int>(slot));
            sqe->flags |= abi::IOSQE_FIXED_FILE;
        } else {
            rawring::prep_read(sqe, fd, iovs[slot].iov_base, 4096, off);
        }
        sqe->user_data = slot;
    };
    const auto run = [&](std::uint64_t total) -> int {
        std::uint64_t issued = 0;
        std::uint64_t done = 0;
        for (unsigned i = 0; i < depth && issued < total; ++i, ++issued) queue(i);
        while (done < total) {
            if (const int ret = r.submit_and_wait(1); ret < 0) return ret;
            int bad = 0;
            const unsigned n = r.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
                if (cqe.res != 4096) bad = cqe.res < 0 ? cqe.res : -EIO;
                if (issued < total) {
                    queue(static_cast<unsigned>(cqe.user_data));
                    ++issued;
                }
            });
            r.cq_advance(n);
            if (bad < 0) return bad;
            done += n;
        }
        return 0;
    };
    if (const int ret = run(depth * 8ull); ret < 0) return {0, ret};
    const double start = now_ns();
    if (const int ret = run(ops); ret < 0) return {0, ret};
    return {(now_ns() - start) / static_cast<double>(ops), 0};
}

timing pingpong(config c, bool socket, std::uint64_t ops) {
    int fds[2];
    const int made = socket ? ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) : ::pipe2(fds, O_CLOEXEC);
    if (made < 0) return {0, -errno};
    // A pipe writes into fds[1] and reads fds[0]; a socketpair writes into one end, reads the other.
    const int wfd = socket ? fds[0] : fds[1];
    const int rfd = socket ? fds[1] : fds[0];
    rawring::ring r;
    timing result{0, 0};
    char out[msg_size];
    char in[msg_size];
    std::memset(out, 'p', sizeof(out));
    const auto round = [&]() -> int {
        abi::io_uring_sqe* w = r.get_sqe();
        rawring::prep_write(w, wfd, out, msg_size, 0);
        w->flags |= abi::IOSQE_IO_LINK;
        abi::io_uring_sqe* rd = r.get_sqe();
        rawring::prep_read(rd, rfd, in, msg_size, 0);
        if (const int ret = r.submit_and_wait(2); ret < 0) return ret;
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
    }
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
}

echo_timing echo(config c, unsigned connections, std::uint64_t msgs) {
    constexpr unsigned buffers = 256;  // provided buffers, msg_size each
    constexpr int group = 0;
    std::uint16_t port = 0;
    const int listener = make_listener(&port);
    if (listener < 0) return {0, 0, 0, listener};
    std::vector<double> latencies;
    std::thread client = start_echo_client(port, connections, msgs, latencies);
    std::vector<int> fds;
    rawring::ring r;
    int error = accept_all(listener, connections, fds);
    abi::io_uring_buf_ring* br = nullptr;
    std::vector<char> memory(std::size_t{buffers} * msg_size);
    const unsigned mask = rawring::buf_ring_mask(buffers);
    if (error == 0) error = open_ring(r, c, 2 * connections < 64 ? 64 : 2 * connections);
    if (error == 0) br = rawring::setup_buf_ring(r, buffers, group, 0, &error);
    double start = 0;
    if (error == 0) {
        rawring::buf_ring_init(br);
        for (unsigned i = 0; i < buffers; ++i)
            rawring::buf_ring_add(br, memory.data() + std::size_t{i} * msg_size, msg_size,
                                  static_cast<std::uint16_t>(i), static_cast<int>(mask), static_cast<int>(i));
        rawring::buf_ring_advance(br, buffers);
        // user_data: connection index in the low 32 bits; bit 32 set on a send (bits 40.. the bid).
        const auto arm = [&](unsigned conn) {
            abi::io_uring_sqe* sqe = r.get_sqe();
            rawring::prep_recv_multishot(sqe, fds[conn], nullptr, 0, 0);
            sqe->flags |= abi::IOSQE_BUFFER_SELECT;
            sqe->buf_group = group;
            sqe->user_data = conn;
        };
        for (unsigned i = 0; i < connections; ++i) arm(i);
        start = now_ns();
        std::uint64_t echoed = 0;  // bytes: a recv may carry parts of messages
        while (echoed < msgs * msg_size && error == 0) {
            if (const int ret = r.submit_and_wait(1); ret < 0) {
                error = ret;
                break;
            }
            const unsigned n = r.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
                const unsigned conn = static_cast<unsigned>(cqe.user_data & 0xffffffffu);
                if ((cqe.user_data >> 32) & 1) {  // a send finished: its buffer goes back
                    const auto bid = static_cast<std::uint16_t>(cqe.user_data >> 40);
                    rawring::buf_ring_add(br, memory.data() + std::size_t{bid} * msg_size, msg_size,
                                          bid, static_cast<int>(mask), 0);
                    rawring::buf_ring_advance(br, 1);
                    if (cqe.res < 0) error = cqe.res;
                    return;
                }
                if (cqe.res > 0 && (cqe.flags & abi::IORING_CQE_F_BUFFER) != 0) {
                    const auto bid = static_cast<std::uint16_t>(cqe.flags >> abi::IORING_CQE_BUFFER_SHIFT);
                    abi::io_uring_sqe* sqe = r.get_sqe();
                    rawring::prep_send(sqe, fds[conn], memory.data() + std::size_t{bid} * msg_size,
                                       static_cast<std::size_t>(cqe.res), MSG_NOSIGNAL);
                    sqe->user_data = conn | (1ull << 32) | (std::uint64_t{bid} << 40);
                    echoed += static_cast<unsigned>(cqe.res);
                } else if (cqe.res == 0) {
                    error = -ECONNRESET;  // the client went away early
                } else if (cqe.res < 0 && cqe.res != -ENOBUFS) {
                    error = cqe.res;
                }
                if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0 && cqe.res != 0) arm(conn);
            });
            r.cq_advance(n);
        }
        (void)r.submit();  // the last echoes
    }
    const double elapsed = now_ns() - start;
    if (error < 0) shutdown_all(fds, listener);  // or the client waits for echoes forever
    client.join();
    if (br != nullptr) (void)rawring::free_buf_ring(r, br, buffers, group);
    close_all(fds, listener);
    if (error < 0) return {0, 0, 0, error};
    return summarize_echo(latencies, elapsed);
}

} // namespace

const side rawring_side = {"rawring", nop, read, pingpong, echo};

} // namespace bench
