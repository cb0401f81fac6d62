// SPDX-License-Identifier: MIT
// rawring-bench: every workload written with liburing, step for step as in rawring_side.cpp.
// Only built when liburing is found (Debian's liburing-dev, linked statically, as the issue's
// targets are stated against); it never reaches the library.
#include <fcntl.h>
#include <liburing.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/syscall.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench.hpp"

namespace bench {
namespace {

/// The ring and its teardown (liburing's io_uring has no destructor).
class ring_owner {
public:
    ~ring_owner() {
        if (open_) io_uring_queue_exit(&r_);
    }
    /// Sets up the ring for `s`: flags and ring-fd registration.
    int open(setup s, unsigned entries) {
        const bool tuned = s == setup::tuned;
        const unsigned flags = tuned ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN : 0;
        if (const int ret = io_uring_queue_init(entries, &r_, flags); ret < 0) return ret;
        open_ = true;
        if (tuned) {
            if (const int ret = io_uring_register_ring_fd(&r_); ret < 0) return ret;
        }
        return 0;
    }

protected:
    io_uring r_{};
    bool open_ = false;
};

class nop_runner final : public runner, ring_owner {
public:
    int init(const workload& w) {
        batch_ = w.batch;
        style_ = w.style;
        out_.resize(batch_);
        return open(w.s, batch_ < 8 ? 8 : batch_);
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
            io_uring_sqe* sqe = io_uring_get_sqe(&r_);
            io_uring_prep_nop(sqe);
            sqe->user_data = i;
        }
    }

    int run_for_each(std::uint64_t rounds) {
        for (std::uint64_t k = 0; k < rounds; ++k) {
            queue();
            if (const int ret = io_uring_submit_and_wait(&r_, batch_); ret < 0) return ret;
            int bad = 0;
            unsigned n = 0;
            unsigned head;
            io_uring_cqe* cqe;
            io_uring_for_each_cqe(&r_, head, cqe) {
                if (cqe->res != 0) bad = -EIO;
                ++n;
            }
            io_uring_cq_advance(&r_, n);
            if (bad != 0 || n != batch_) return -EIO;
        }
        return 0;
    }

    int run_wait_cqe(std::uint64_t rounds) {
        for (std::uint64_t k = 0; k < rounds; ++k) {
            queue();
            if (const int ret = io_uring_submit(&r_); ret < 0) return ret;
            for (unsigned i = 0; i < batch_; ++i) {
                io_uring_cqe* cqe = nullptr;
                if (const int ret = io_uring_wait_cqe(&r_, &cqe); ret < 0) return ret;
                if (cqe->res != 0) return -EIO;
                io_uring_cqe_seen(&r_, cqe);
            }
        }
        return 0;
    }

    int run_copy(std::uint64_t rounds) {
        for (std::uint64_t k = 0; k < rounds; ++k) {
            queue();
            if (const int ret = io_uring_submit_and_wait(&r_, batch_); ret < 0) return ret;
            const unsigned n = io_uring_peek_batch_cqe(&r_, out_.data(), batch_);
            if (n != batch_) return -EIO;
            for (unsigned i = 0; i < batch_; ++i)
                if (out_[i]->res != 0) return -EIO;
            io_uring_cq_advance(&r_, n);
        }
        return 0;
    }

    unsigned batch_ = 1;
    reap style_ = reap::for_each;
    std::vector<io_uring_cqe*> out_;
};

class read_runner final : public runner, ring_owner {
public:
    int init(const workload& w, const env& e) {
        depth_ = w.batch;
        fixed_ = w.fixed;
        fd_ = e.read_fd;
        file_size_ = e.file_size;
        if (const int ret = open(w.s, depth_); ret < 0) return ret;
        if (!memory_.allocate(std::size_t{depth_} * 4096)) return -ENOMEM;
        iovs_.resize(depth_);
        for (unsigned i = 0; i < depth_; ++i) iovs_[i] = {memory_.data() + std::size_t{i} * 4096, 4096};
        if (fixed_) {
            if (const int ret = io_uring_register_files(&r_, &fd_, 1); ret < 0) return ret;
            if (const int ret = io_uring_register_buffers(&r_, iovs_.data(), depth_); ret < 0) return ret;
        }
        return 0;
    }

    int run(std::uint64_t total) override {
        std::uint64_t issued = 0;
        std::uint64_t done = 0;
        for (unsigned i = 0; i < depth_ && issued < total; ++i, ++issued) queue(i);
        while (done < total) {
            if (const int ret = io_uring_submit_and_wait(&r_, 1); ret < 0) return ret;
            int bad = 0;
            unsigned n = 0;
            unsigned head;
            io_uring_cqe* cqe;
            io_uring_for_each_cqe(&r_, head, cqe) {
                if (cqe->res != 4096) bad = cqe->res < 0 ? cqe->res : -EIO;
                if (issued < total) {
                    queue(static_cast<unsigned>(cqe->user_data));
                    ++issued;
                }
                ++n;
            }
            io_uring_cq_advance(&r_, n);
            if (bad < 0) return bad;
            done += n;
        }
        return 0;
    }

private:
    void queue(unsigned slot) {
        io_uring_sqe* sqe = io_uring_get_sqe(&r_);
        const std::uint64_t off = next_offset(state_, file_size_);
        if (fixed_) {
            io_uring_prep_read_fixed(sqe, 0, iovs_[slot].iov_base, 4096, off, static_cast<int>(slot));
            sqe->flags |= IOSQE_FIXED_FILE;
        } else {
            io_uring_prep_read(sqe, fd_, iovs_[slot].iov_base, 4096, off);
        }
        sqe->user_data = slot;
    }

    unsigned depth_ = 1;
    bool fixed_ = false;
    int fd_ = -1;
    std::uint64_t file_size_ = 0;
    std::uint64_t state_ = 0x9e3779b97f4a7c15ull;
    page_memory memory_;
    std::vector<iovec> iovs_;
};

class recv_runner final : public runner, ring_owner {
public:
    ~recv_runner() override {
        if (registered_) (void)io_uring_unregister_buf_ring(&r_, group);
        if (br_mem_ != MAP_FAILED) ::munmap(br_mem_, br_size);
        if (fds_[0] >= 0) ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }

    int init(const workload& w) {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) < 0) return -errno;
        if (const int ret = open(w.s, 8); ret < 0) return ret;
        // liburing 2.3 has no io_uring_setup_buf_ring: map and register the ring by hand, as
        // rawring's setup_buf_ring does inside.
        br_mem_ = ::mmap(nullptr, br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (br_mem_ == MAP_FAILED) return -errno;
        br_ = static_cast<io_uring_buf_ring*>(br_mem_);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(br_);
        reg.ring_entries = recv_buffers;
        reg.bgid = group;
        if (const int ret = io_uring_register_buf_ring(&r_, &reg, 0); ret < 0) return ret;
        registered_ = true;
        io_uring_buf_ring_init(br_);
        if (!memory_.allocate(std::size_t{recv_buffers} * recv_buffer_size)) return -ENOMEM;
        for (unsigned i = 0; i < recv_buffers; ++i)
            io_uring_buf_ring_add(br_, buffer(i), recv_buffer_size, static_cast<unsigned short>(i), mask,
                                  static_cast<int>(i));
        io_uring_buf_ring_advance(br_, recv_buffers);
        std::memset(msg_, 'r', sizeof(msg_));
        arm();
        if (const int ret = io_uring_submit(&r_); ret < 0) return ret;
        return 0;
    }

    int run(std::uint64_t ops) override {
        for (std::uint64_t k = 0; k < ops; ++k) {
            if (::send(fds_[0], msg_, msg_size, MSG_DONTWAIT) != static_cast<ssize_t>(msg_size))
                return -EIO;
            unsigned got = 0;
            while (got < msg_size) {
                if (const int ret = io_uring_submit_and_wait(&r_, 1); ret < 0) return ret;
                int bad = 0;
                int added = 0;
                bool rearm = false;
                unsigned n = 0;
                unsigned head;
                io_uring_cqe* cqe;
                io_uring_for_each_cqe(&r_, head, cqe) {
                    if ((cqe->flags & IORING_CQE_F_MORE) == 0) rearm = true;
                    if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER) != 0) {
                        const auto bid = static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                        io_uring_buf_ring_add(br_, buffer(bid), recv_buffer_size, bid, mask, added++);
                        got += static_cast<unsigned>(cqe->res);
                    } else if (cqe->res != -ENOBUFS) {
                        bad = cqe->res < 0 ? cqe->res : -EIO;
                    }
                    ++n;
                }
                io_uring_buf_ring_advance(br_, added);
                io_uring_cq_advance(&r_, n);
                if (bad < 0) return bad;
                if (rearm) arm();
            }
        }
        return 0;
    }

private:
    static constexpr int group = 0;
    static constexpr int mask = static_cast<int>(recv_buffers - 1);
    static constexpr std::size_t br_size = recv_buffers * sizeof(io_uring_buf);

    char* buffer(unsigned bid) { return memory_.data() + std::size_t{bid} * recv_buffer_size; }

    void arm() {
        io_uring_sqe* sqe = io_uring_get_sqe(&r_);
        io_uring_prep_recv_multishot(sqe, fds_[1], nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = group;
        sqe->user_data = 1;
    }

    int fds_[2] = {-1, -1};
    void* br_mem_ = MAP_FAILED;
    io_uring_buf_ring* br_ = nullptr;
    bool registered_ = false;
    page_memory memory_;
    alignas(64) char msg_[msg_size];
};

class pingpong_runner final : public runner, ring_owner {
public:
    ~pingpong_runner() override {
        if (fds_[0] >= 0) ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }

    int init(const workload& w) {
        if (::pipe2(fds_, O_CLOEXEC) < 0) return -errno;
        std::memset(out_, 'p', sizeof(out_));
        return open(w.s, 8);
    }

    int run(std::uint64_t ops) override {
        for (std::uint64_t k = 0; k < ops; ++k) {
            io_uring_sqe* w = io_uring_get_sqe(&r_);
            io_uring_prep_write(w, fds_[1], out_, msg_size, 0);
            w->flags |= IOSQE_IO_LINK;
            io_uring_sqe* rd = io_uring_get_sqe(&r_);
            io_uring_prep_read(rd, fds_[0], in_, msg_size, 0);
            if (const int ret = io_uring_submit_and_wait(&r_, 2); ret < 0) return ret;
            int bad = 0;
            unsigned n = 0;
            unsigned head;
            io_uring_cqe* cqe;
            io_uring_for_each_cqe(&r_, head, cqe) {
                if (cqe->res != static_cast<int>(msg_size)) bad = cqe->res < 0 ? cqe->res : -EIO;
                ++n;
            }
            io_uring_cq_advance(&r_, n);
            if (bad < 0) return bad;
            if (n != 2) return -EIO;
        }
        return 0;
    }

private:
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
    case kind::nop: return build<nop_runner>(error, w);
    case kind::read: return build<read_runner>(error, w, e);
    case kind::recv: return build<recv_runner>(error, w);
    case kind::pingpong: return build<pingpong_runner>(error, w);
    }
    *error = -EINVAL;
    return nullptr;
}

#if defined(__x86_64__)
// ---- where the enter is issued from (--enter-site) ----------------------------------------------

/// io_uring_enter(fd, 1, 1, GETEVENTS, NULL, 8) as one inline syscall instruction.
[[gnu::always_inline]] inline long enter_inline(int fd) {
    register long r10 asm("r10") = IORING_ENTER_GETEVENTS;
    register long r8 asm("r8") = 0;
    register long r9 asm("r9") = 8;
    long ret;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(long{__NR_io_uring_enter}), "D"(long{fd}), "S"(1L), "d"(1L), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return ret;
}

/// The same instruction in a function of its own, so a `ret` follows the syscall.
[[gnu::noinline]] long enter_call(int fd) { return enter_inline(fd); }

double thread_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}
#endif

} // namespace

#if defined(__x86_64__)
int enter_site(int pairs) {
    // One liburing ring, one NOP per enter; only the way the enter is issued changes. The
    // user-space instructions differ by a call and a ret; the time differs by what the CPU
    // and the kernel's mitigations make of a return right after a system call.
    io_uring r;
    if (const int ret = io_uring_queue_init(8, &r, 0); ret < 0) return ret;
    constexpr int n = 20000;
    constexpr int modes = 4;
    const char* const names[modes] = {"inline syscall instruction in the loop",
                                      "the same instruction in a noinline function",
                                      "libc syscall(__NR_io_uring_enter, ...)",
                                      "liburing io_uring_enter()"};
    std::vector<double> ratios[modes];
    int error = 0;
    for (int p = 0; p < pairs && error == 0; ++p) {
        double t[modes];
        for (int k = 0; k < modes; ++k) {
            const int m = p % 2 == 0 ? k : modes - 1 - k;
            const double start = thread_ns();
            for (int i = 0; i < n; ++i) {
                io_uring_prep_nop(io_uring_get_sqe(&r));
                // __io_uring_flush_sq by hand: one tail store.
                r.sq.sqe_head = r.sq.sqe_tail;
                io_uring_smp_store_release(r.sq.ktail, r.sq.sqe_tail);
                long ret = 0;
                switch (m) {
                case 0: ret = enter_inline(r.ring_fd); break;
                case 1: ret = enter_call(r.ring_fd); break;
                case 2: ret = ::syscall(__NR_io_uring_enter, r.ring_fd, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 8); break;
                default: ret = io_uring_enter(r.ring_fd, 1, 1, IORING_ENTER_GETEVENTS, nullptr); break;
                }
                io_uring_cqe* cqe = nullptr;
                if (ret != 1 || io_uring_peek_cqe(&r, &cqe) != 0) {
                    error = -EIO;
                    break;
                }
                io_uring_cqe_seen(&r, cqe);
            }
            t[m] = (thread_ns() - start) / n;
        }
        for (int m = 0; m < modes; ++m) ratios[m].push_back(t[m] / t[0]);
    }
    io_uring_queue_exit(&r);
    if (error != 0) return error;
    std::printf("one NOP per io_uring_enter, thread CPU time relative to the inline syscall (%d pairs)\n", pairs);
    for (int m = 1; m < modes; ++m) {
        std::vector<double>& v = ratios[m];
        std::sort(v.begin(), v.end());
        std::printf("  %-46s median %.3f  IQR %.3f-%.3f\n", names[m], v[v.size() / 2], v[v.size() / 4],
                    v[3 * v.size() / 4]);
    }
    return 0;
}
#else
int enter_site(int) { return -ENOSYS; }
#endif

const side liburing_side = {"liburing", make};

} // namespace bench
