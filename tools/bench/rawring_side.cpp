// SPDX-License-Identifier: MIT
// rawring-bench: every workload written with rawring. Its twin, liburing_side.cpp, mirrors it
// step for step with liburing: the same loops, the same checks, the same system calls outside
// io_uring, so a difference in instructions or time is the libraries' difference.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include <rawring/buf_ring.hpp>
#include <rawring/rawring.hpp>
#include <rawring/register.hpp>

#include "bench.hpp"

namespace bench {
namespace {

namespace abi = rawring::abi;

/// Sets up `r` for `s`: flags and ring-fd registration; rawring's default ring layout (without
/// the SQ index array where the kernel allows it) unless `e` asks for liburing 2.3's.
int open_ring(rawring::ring& r, setup s, unsigned entries, const env& e) {
    const bool tuned = s == setup::tuned;
    abi::io_uring_params p{};
    p.flags = tuned ? abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN : 0;
    const rawring::sq_array mode = e.rawring_sq_array ? rawring::sq_array::keep : rawring::sq_array::automatic;
    if (const int ret = r.init(entries, p, mode); ret < 0) return ret;
    if (tuned) {
        if (const int ret = r.register_ring_fd(); ret < 0) return ret;
    }
    return 0;
}

class nop_runner final : public runner {
public:
    int init(const workload& w, const env& e) {
        batch_ = w.batch;
        style_ = w.style;
        out_.resize(batch_);
        return open_ring(r_, w.s, batch_ < 8 ? 8 : batch_, e);
    }

    int run(std::uint64_t ops) override {
        const std::uint64_t rounds = ops / batch_;
        switch (style_) {
        case reap::for_each: return run_for_each(rounds);
        case reap::wait_cqe: return run_wait_cqe(rounds);
        case reap::copy: return run_copy(rounds);
        }
        return -EINVAL;
    }

private:
    void queue() {
        for (unsigned i = 0; i < batch_; ++i) {
            abi::io_uring_sqe* sqe = r_.get_sqe();
            rawring::prep_nop(sqe);
            sqe->user_data = i;
        }
    }

    int run_for_each(std::uint64_t rounds) {
        for (std::uint64_t k = 0; k < rounds; ++k) {
            queue();
            if (const int ret = r_.submit_and_wait(batch_); ret < 0) return ret;
            int bad = 0;
            const unsigned n = r_.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
                if (cqe.res != 0) bad = -EIO;
            });
            r_.cq_advance(n);
            if (bad != 0 || n != batch_) return -EIO;
        }
        return 0;
    }

    int run_wait_cqe(std::uint64_t rounds) {
        for (std::uint64_t k = 0; k < rounds; ++k) {
            queue();
            if (const int ret = r_.submit(); ret < 0) return ret;
            for (unsigned i = 0; i < batch_; ++i) {
                abi::io_uring_cqe* cqe = nullptr;
                if (const int ret = r_.wait_cqe(&cqe); ret < 0) return ret;
                if (cqe->res != 0) return -EIO;
                r_.cqe_seen(cqe);
            }
        }
        return 0;
    }

    int run_copy(std::uint64_t rounds) {
        for (std::uint64_t k = 0; k < rounds; ++k) {
            queue();
            if (const int ret = r_.submit_and_wait(batch_); ret < 0) return ret;
            const int n = r_.copy_cqes(std::span<abi::io_uring_cqe>(out_.data(), batch_), 0);
            if (n != static_cast<int>(batch_)) return n < 0 ? n : -EIO;
            for (unsigned i = 0; i < batch_; ++i)
                if (out_[i].res != 0) return -EIO;
        }
        return 0;
    }

    rawring::ring r_;
    unsigned batch_ = 1;
    reap style_ = reap::for_each;
    std::vector<abi::io_uring_cqe> out_;
};

class read_runner final : public runner {
public:
    int init(const workload& w, const env& e) {
        depth_ = w.batch;
        fixed_ = w.fixed;
        fd_ = e.read_fd;
        file_size_ = e.file_size;
        if (const int ret = open_ring(r_, w.s, depth_, e); ret < 0) return ret;
        if (!memory_.allocate(std::size_t{depth_} * 4096)) return -ENOMEM;
        iovs_.resize(depth_);
        for (unsigned i = 0; i < depth_; ++i) iovs_[i] = {memory_.data() + std::size_t{i} * 4096, 4096};
        if (fixed_) {
            if (const int ret = rawring::register_files(r_, &fd_, 1); ret < 0) return ret;
            if (const int ret = rawring::register_buffers(r_, iovs_.data(), depth_); ret < 0) return ret;
        }
        return 0;
    }

    int run(std::uint64_t total) override {
        std::uint64_t issued = 0;
        std::uint64_t done = 0;
        for (unsigned i = 0; i < depth_ && issued < total; ++i, ++issued) queue(i);
        while (done < total) {
            if (const int ret = r_.submit_and_wait(1); ret < 0) return ret;
            int bad = 0;
            const unsigned n = r_.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
                if (cqe.res != 4096) bad = cqe.res < 0 ? cqe.res : -EIO;
                if (issued < total) {
                    queue(static_cast<unsigned>(cqe.user_data));
                    ++issued;
                }
            });
            r_.cq_advance(n);
            if (bad < 0) return bad;
            done += n;
        }
        return 0;
    }

private:
    void queue(unsigned slot) {
        abi::io_uring_sqe* sqe = r_.get_sqe();
        const std::uint64_t off = next_offset(state_, file_size_);
        if (fixed_) {
            rawring::prep_read_fixed(sqe, 0, iovs_[slot].iov_base, 4096, off, static_cast<int>(slot));
            sqe->flags |= abi::IOSQE_FIXED_FILE;
        } else {
            rawring::prep_read(sqe, fd_, iovs_[slot].iov_base, 4096, off);
        }
        sqe->user_data = slot;
    }

    rawring::ring r_;
    unsigned depth_ = 1;
    bool fixed_ = false;
    int fd_ = -1;
    std::uint64_t file_size_ = 0;
    std::uint64_t state_ = 0x9e3779b97f4a7c15ull;
    page_memory memory_;
    std::vector<iovec> iovs_;
};

class recv_runner final : public runner {
public:
    ~recv_runner() override {
        if (br_ != nullptr) (void)rawring::free_buf_ring(r_, br_, recv_buffers, group);
        if (fds_[0] >= 0) ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }

    int init(const workload& w, const env& e) {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) < 0) return -errno;
        if (const int ret = open_ring(r_, w.s, 8, e); ret < 0) return ret;
        int error = 0;
        br_ = rawring::setup_buf_ring(r_, recv_buffers, group, 0, &error);
        if (br_ == nullptr) return error;
        if (!memory_.allocate(std::size_t{recv_buffers} * recv_buffer_size)) return -ENOMEM;
        for (unsigned i = 0; i < recv_buffers; ++i)
            rawring::buf_ring_add(br_, buffer(i), recv_buffer_size, static_cast<unsigned short>(i), mask,
                                  static_cast<int>(i));
        rawring::buf_ring_advance(br_, recv_buffers);
        std::memset(msg_, 'r', sizeof(msg_));
        arm();
        if (const int ret = r_.submit(); ret < 0) return ret;
        return 0;
    }

    int run(std::uint64_t ops) override {
        for (std::uint64_t k = 0; k < ops; ++k) {
            if (::send(fds_[0], msg_, msg_size, MSG_DONTWAIT) != static_cast<ssize_t>(msg_size))
                return -EIO;
            unsigned got = 0;
            while (got < msg_size) {
                if (const int ret = r_.submit_and_wait(1); ret < 0) return ret;
                int bad = 0;
                int added = 0;
                bool rearm = false;
                const unsigned n = r_.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
                    if ((cqe.flags & abi::IORING_CQE_F_MORE) == 0) rearm = true;
                    if (cqe.res > 0 && (cqe.flags & abi::IORING_CQE_F_BUFFER) != 0) {
                        const auto bid = static_cast<unsigned short>(cqe.flags >> abi::IORING_CQE_BUFFER_SHIFT);
                        rawring::buf_ring_add(br_, buffer(bid), recv_buffer_size, bid, mask, added++);
                        got += static_cast<unsigned>(cqe.res);
                    } else if (cqe.res != -ENOBUFS) {
                        bad = cqe.res < 0 ? cqe.res : -EIO;
                    }
                });
                rawring::buf_ring_advance(br_, added);
                r_.cq_advance(n);
                if (bad < 0) return bad;
                if (rearm) arm();
            }
        }
        return 0;
    }

private:
    static constexpr int group = 0;
    static constexpr int mask = rawring::buf_ring_mask(recv_buffers);

    char* buffer(unsigned bid) { return memory_.data() + std::size_t{bid} * recv_buffer_size; }

    void arm() {
        abi::io_uring_sqe* sqe = r_.get_sqe();
        rawring::prep_recv_multishot(sqe, fds_[1], nullptr, 0, 0);
        sqe->flags |= abi::IOSQE_BUFFER_SELECT;
        sqe->buf_group = group;
        sqe->user_data = 1;
    }

    rawring::ring r_;
    int fds_[2] = {-1, -1};
    abi::io_uring_buf_ring* br_ = nullptr;
    page_memory memory_;
    alignas(64) char msg_[msg_size];
};

class pingpong_runner final : public runner {
public:
    ~pingpong_runner() override {
        if (fds_[0] >= 0) ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }

    int init(const workload& w, const env& e) {
        if (::pipe2(fds_, O_CLOEXEC) < 0) return -errno;
        std::memset(out_, 'p', sizeof(out_));
        return open_ring(r_, w.s, 8, e);
    }

    int run(std::uint64_t ops) override {
        for (std::uint64_t k = 0; k < ops; ++k) {
            abi::io_uring_sqe* w = r_.get_sqe();
            rawring::prep_write(w, fds_[1], out_, msg_size, 0);
            w->flags |= abi::IOSQE_IO_LINK;
            abi::io_uring_sqe* rd = r_.get_sqe();
            rawring::prep_read(rd, fds_[0], in_, msg_size, 0);
            if (const int ret = r_.submit_and_wait(2); ret < 0) return ret;
            int bad = 0;
            const unsigned n = r_.for_each_cqe([&](const abi::io_uring_cqe& cqe) {
                if (cqe.res != static_cast<int>(msg_size)) bad = cqe.res < 0 ? cqe.res : -EIO;
            });
            r_.cq_advance(n);
            if (bad < 0) return bad;
            if (n != 2) return -EIO;
        }
        return 0;
    }

private:
    rawring::ring r_;
    int fds_[2] = {-1, -1};
    alignas(64) char out_[msg_size];
    alignas(64) char in_[msg_size];
};

template <class R, class... Args>
std::unique_ptr<runner> build(int* error, Args&&... args) {
    auto r = std::make_unique<R>();
    *error = r->init(args...);
    if (*error < 0) return nullptr;
    return r;
}

std::unique_ptr<runner> make(const workload& w, const env& e, int* error) {
    switch (w.k) {
    case kind::nop: return build<nop_runner>(error, w, e);
    case kind::read: return build<read_runner>(error, w, e);
    case kind::recv: return build<recv_runner>(error, w, e);
    case kind::pingpong: return build<pingpong_runner>(error, w, e);
    }
    *error = -EINVAL;
    return nullptr;
}

} // namespace

const side rawring_side = {"rawring", make};

} // namespace bench
