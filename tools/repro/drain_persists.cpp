// SPDX-License-Identifier: MIT
// rawring-repro-drain: with plain system calls (no rawring ring, only rawring/abi.hpp's layouts),
// shows how long the kernel's drain mode lasts after an IOSQE_IO_DRAIN request.
//
// The sequence, on a fresh ring of each kind asked for (default, DEFER_TASKRUN):
//   A  READ of pipe 1 (nothing written yet: it waits)
//   B  NOP with IOSQE_IO_DRAIN (held until A completes)
//   C  READ of pipe 2 (held behind B; starts once B has completed, then waits for data)
//   write(2) to pipe 1: A completes, then B, then C starts
//   D  NOP, submitted once A and B have posted their CQEs
// The documentation of IOSQE_IO_DRAIN holds back only what comes after the drain request until
// that request completes, so D should complete at once. From Linux 6.16 (the drain rework that
// counts allocated requests), the ring stays in drain mode until a submission finds nothing in
// flight: D waits for C, an unrelated read. A read that only a later SQE would feed (a write to
// pipe 2 queued after D) then never completes, and neither does anything submitted after it:
// the ring is stuck although no request is in error. rawring-fuzz met this as "a wait outlived
// its bound" (issue 11); the fuzzer now treats a ring that has seen IO_DRAIN as in drain mode
// for good.
//
// Prints one line per ring kind ("D completed while C was in flight" or "D was held behind C"),
// then feeds pipe 2 and checks that C and D both complete. Exit status 0 when every CQE arrived,
// 1 when one did not (a CQE lost, which would be a different bug), 77 without io_uring.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "rawring/abi.hpp"

namespace {

namespace abi = rawring::abi;

struct raw_ring {
    int fd = -1;
    abi::io_uring_params p{};
    unsigned char* sq_ring = nullptr;
    unsigned char* cq_ring = nullptr;
    abi::io_uring_sqe* sqes = nullptr;
    std::size_t sq_len = 0, cq_len = 0, sqes_len = 0;

    std::uint32_t* u32(unsigned char* base, std::uint32_t off) { return reinterpret_cast<std::uint32_t*>(base + off); }

    int setup(std::uint32_t flags) {
        p = abi::io_uring_params{};
        p.flags = flags;
        fd = static_cast<int>(::syscall(__NR_io_uring_setup, 8, &p));
        if (fd < 0) return -errno;
        sq_len = p.sq_off.array + p.sq_entries * sizeof(std::uint32_t);
        cq_len = p.cq_off.cqes + p.cq_entries * sizeof(abi::io_uring_cqe);
        if ((p.features & abi::IORING_FEAT_SINGLE_MMAP) != 0) sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
        sqes_len = p.sq_entries * sizeof(abi::io_uring_sqe);
        void* sq = ::mmap(nullptr, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, abi::IORING_OFF_SQ_RING);
        if (sq == MAP_FAILED) return -errno;
        sq_ring = static_cast<unsigned char*>(sq);
        cq_ring = sq_ring;
        if ((p.features & abi::IORING_FEAT_SINGLE_MMAP) == 0) {
            void* cq = ::mmap(nullptr, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, abi::IORING_OFF_CQ_RING);
            if (cq == MAP_FAILED) return -errno;
            cq_ring = static_cast<unsigned char*>(cq);
        }
        void* s = ::mmap(nullptr, sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, abi::IORING_OFF_SQES);
        if (s == MAP_FAILED) return -errno;
        sqes = static_cast<abi::io_uring_sqe*>(s);
        return 0;
    }

    ~raw_ring() {
        if (sqes != nullptr) ::munmap(sqes, sqes_len);
        if (cq_ring != nullptr && cq_ring != sq_ring) ::munmap(cq_ring, cq_len);
        if (sq_ring != nullptr) ::munmap(sq_ring, sq_len);
        if (fd >= 0) ::close(fd);
    }

    /// Queues one SQE and submits it alone.
    int submit(std::uint8_t opcode, std::uint8_t flags, int sfd, void* buf, unsigned len, std::uint64_t ud) {
        std::atomic_ref<std::uint32_t> tail(*u32(sq_ring, p.sq_off.tail));
        const std::uint32_t t = tail.load(std::memory_order_relaxed);
        const std::uint32_t idx = t & *u32(sq_ring, p.sq_off.ring_mask);
        abi::io_uring_sqe* sqe = &sqes[idx];
        std::memset(sqe, 0, sizeof *sqe);
        sqe->opcode = opcode;
        sqe->flags = flags;
        sqe->fd = sfd;
        sqe->addr = reinterpret_cast<std::uintptr_t>(buf);
        sqe->len = len;
        sqe->off = ~std::uint64_t{0};  // pipes: the current position
        sqe->user_data = ud;
        u32(sq_ring, p.sq_off.array)[idx] = idx;
        tail.store(t + 1, std::memory_order_release);
        const long ret = ::syscall(__NR_io_uring_enter, fd, 1, 0, 0, nullptr, 0);
        return ret < 0 ? -errno : static_cast<int>(ret);
    }

    /// Waits up to `ms` for the CQE of `ud`, consuming every CQE seen; true when it came.
    /// `seen` collects the user_data of everything reaped.
    bool wait_for(std::uint64_t ud, int ms, std::uint64_t* seen, unsigned* nseen) {
        for (int waited = 0;; waited += 10) {
            abi::io_uring_getevents_arg arg{};
            abi::kernel_timespec ts{0, 10 * 1000 * 1000};
            arg.ts = reinterpret_cast<std::uintptr_t>(&ts);
            (void)::syscall(__NR_io_uring_enter, fd, 0, 1, abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_EXT_ARG, &arg,
                            sizeof arg);
            std::atomic_ref<std::uint32_t> head(*u32(cq_ring, p.cq_off.head));
            std::atomic_ref<std::uint32_t> tail(*u32(cq_ring, p.cq_off.tail));
            std::uint32_t h = head.load(std::memory_order_relaxed);
            const std::uint32_t t = tail.load(std::memory_order_acquire);
            bool found = false;
            const auto* cqes = reinterpret_cast<const abi::io_uring_cqe*>(cq_ring + p.cq_off.cqes);
            for (; h != t; ++h) {
                const abi::io_uring_cqe& c = cqes[h & *u32(cq_ring, p.cq_off.ring_mask)];
                if (*nseen < 8) seen[(*nseen)++] = c.user_data;
                if (c.user_data == ud) found = true;
            }
            head.store(h, std::memory_order_release);
            for (unsigned i = 0; i < *nseen; ++i)
                if (seen[i] == ud) found = true;
            if (found) return true;
            if (waited >= ms) return false;
        }
    }
};

/// 1: D held behind C; 0: D completed at once; -1: a CQE never arrived; 77: no io_uring.
int run(std::uint32_t flags, const char* label) {
    raw_ring r;
    const int sret = r.setup(flags);
    if (sret == -ENOSYS || sret == -EPERM) return 77;
    if (sret < 0) {
        std::printf("%s: setup failed: %s\n", label, std::strerror(-sret));
        return -1;
    }
    int p1[2], p2[2];
    if (::pipe2(p1, O_CLOEXEC) != 0 || ::pipe2(p2, O_CLOEXEC) != 0) return -1;
    char a[8], c[8], data[8] = {'d', 'r', 'a', 'i', 'n', '!', '!', '\n'};
    std::uint64_t seen[8];
    unsigned nseen = 0;
    int held = -1;
    if (r.submit(abi::IORING_OP_READ, 0, p1[0], a, sizeof a, 1) != 1 ||
        r.submit(abi::IORING_OP_NOP, abi::IOSQE_IO_DRAIN, -1, nullptr, 0, 2) != 1 ||
        r.submit(abi::IORING_OP_READ, 0, p2[0], c, sizeof c, 3) != 1) {
        std::printf("%s: a submission failed\n", label);
    } else if (::write(p1[1], data, sizeof data) != static_cast<ssize_t>(sizeof data) ||
               !r.wait_for(1, 5000, seen, &nseen) || !r.wait_for(2, 5000, seen, &nseen)) {
        std::printf("%s: A or B never completed\n", label);
    } else if (r.submit(abi::IORING_OP_NOP, 0, -1, nullptr, 0, 4) != 1) {
        std::printf("%s: D was not submitted\n", label);
    } else {
        held = r.wait_for(4, 300, seen, &nseen) ? 0 : 1;
        std::printf("%s: %s\n", label,
                    held == 0 ? "D completed while C was in flight (drain mode ended with B)"
                              : "D was held behind C, an unrelated read (drain mode outlived B)");
        // Feed C: both it and D must now complete.
        if (::write(p2[1], data, sizeof data) != static_cast<ssize_t>(sizeof data) ||
            !r.wait_for(3, 5000, seen, &nseen) || !r.wait_for(4, 5000, seen, &nseen)) {
            std::printf("%s: C or D never completed after pipe 2 was written\n", label);
            held = -1;
        }
    }
    ::close(p1[0]), ::close(p1[1]), ::close(p2[0]), ::close(p2[1]);
    return held;
}

} // namespace

int main() {
    utsname u{};
    (void)::uname(&u);
    std::printf("rawring-repro-drain: Linux %s\n", u.release);
    const int plain = run(0, "default ring");
    if (plain == 77) {
        std::printf("rawring-repro-drain: io_uring is unavailable here\n");
        return 77;
    }
    const int defer = run(abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN ring");
    if (plain < 0 || defer < 0) return 1;
    return 0;
}
