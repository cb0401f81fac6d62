// SPDX-License-Identifier: MIT
// sqpoll: an IORING_SETUP_SQPOLL ring: a kernel thread polls the submission queue, so queuing
// work is a store to shared memory, not a system call.
//
// Usage: sqpoll (no arguments; a temporary file written, read back, checked and removed)
//
// On rawring::ring directly, not on the coroutine layer: rawring::loop (and so rawring::co)
// has no option to set up an SQPOLL ring. What it shows:
// - setup: IORING_SETUP_SQPOLL with sq_thread_idle (how long the kernel thread keeps polling
//   an empty queue before it sleeps). Refused here (-EPERM, -EINVAL) means SKIP;
// - submission: get_sqe + prep + flush_sq publish the SQEs (one store of the SQ tail); the
//   thread sees them without any io_uring_enter. Only when it has gone to sleep
//   (IORING_SQ_NEED_WAKEUP in the SQ flags) does ring.submit() enter, to wake it;
// - the example waits (bounded, 30 s: the thread may be slow to run on a busy machine) until
//   the kernel's SQ head shows every SQE consumed, then reaps the CQEs: 64 writes of 4 KiB at
//   their offsets, then 64 reads of them, every byte checked.
#include <rawring/prep.hpp>
#include <rawring/ring.hpp>

#include <chrono>
#include <thread>

#include "coro_common.hpp"  // temp files and the byte pattern only

namespace {

namespace abi = rawring::abi;
using example::fail;

constexpr unsigned blocks = 64;
constexpr unsigned block = 4096;
alignas(4096) unsigned char out[blocks][block], in[blocks][block];

/// Publishes what was prepared and makes sure the SQPOLL thread takes it: submit() enters only
/// to wake a sleeping thread. Then waits, bounded, until the kernel consumed every SQE.
int hand_over(rawring::ring& ring) {
    if (int r = ring.submit(); r < 0) return r;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (ring.sq_ready() != 0) {  // the kernel's SQ head catches up with our tail
        if (std::chrono::steady_clock::now() > give_up) return -ETIME;
        if (int r = ring.submit(); r < 0) return r;  // wakes it if it fell asleep meanwhile
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return 0;
}

/// Reaps `n` CQEs, each of which must be a full block: 0 or -errno.
int reap(rawring::ring& ring, unsigned n) {
    const abi::kernel_timespec limit{30, 0};
    for (unsigned got = 0; got < n;) {
        abi::io_uring_cqe* cqe = nullptr;
        if (int r = ring.wait_cqe_timeout(&cqe, &limit); r < 0) return r;
        const int res = cqe->res;
        ring.cqe_seen(cqe);
        if (res < 0) return res;
        if (res != static_cast<int>(block)) return -EIO;
        ++got;
    }
    return 0;
}

} // namespace

int main(int argc, char**) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: sqpoll\n");
        return 2;
    }
    rawring::ring ring;
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_SQPOLL;
    p.sq_thread_idle = 100;  // ms of polling an empty queue before the thread sleeps
    if (int ret = ring.init(blocks, p); ret < 0) {
        std::printf("SKIP: an IORING_SETUP_SQPOLL ring cannot be set up here (%s)\n", std::strerror(-ret));
        return example::exit_skip;
    }
    if ((ring.flags() & abi::IORING_SETUP_SQPOLL) == 0) return fail("sqpoll", "the ring has no SQPOLL thread");
    example::temp_file file;
    if (int ret = file.create("sqpoll"); ret < 0) return fail("sqpoll", "temp file", ret);

    for (unsigned i = 0; i < blocks; ++i) {
        example::fill_pattern(out[i], block, 11, std::uint64_t{i} * block);
        abi::io_uring_sqe* sqe = ring.get_sqe();
        if (sqe == nullptr) return fail("sqpoll", "SQ full");
        rawring::prep_write(sqe, file.fd, out[i], block, std::uint64_t{i} * block);
        sqe->user_data = i;
    }
    if (int r = hand_over(ring); r < 0) return fail("sqpoll", "submitting the writes", r);
    if (int r = reap(ring, blocks); r < 0) return fail("sqpoll", "a write", r);

    for (unsigned i = 0; i < blocks; ++i) {
        abi::io_uring_sqe* sqe = ring.get_sqe();
        if (sqe == nullptr) return fail("sqpoll", "SQ full");
        rawring::prep_read(sqe, file.fd, in[i], block, std::uint64_t{i} * block);
        sqe->user_data = blocks + i;
    }
    if (int r = hand_over(ring); r < 0) return fail("sqpoll", "submitting the reads", r);
    if (int r = reap(ring, blocks); r < 0) return fail("sqpoll", "a read", r);
    if (std::memcmp(in, out, sizeof in) != 0) return fail("sqpoll", "the blocks read back differ");
    std::printf("sqpoll: %u writes and %u reads of %u bytes queued in the SQ ring and taken by the kernel's "
                "SQPOLL thread, every byte checked\n",
                blocks, blocks, block);
    return 0;
}
