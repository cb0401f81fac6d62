// SPDX-License-Identifier: MIT
// Rings on several threads at once: MSG_RING among eight threads, each with its own ring, and
// rings made and destroyed concurrently. CI runs this executable under ThreadSanitizer as well.
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "common.hpp"
#include "ops_util.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;

namespace {

constexpr unsigned threads = 8;

// A message's user_data: who sent it and its sequence number, so a lost, duplicated or
// reordered-per-sender message is seen.
constexpr std::uint64_t message(unsigned from, unsigned seq) noexcept {
    return (std::uint64_t{from} << 32) | seq;
}

// What one thread saw, checked on the main thread (doctest's assertions are not thread-safe).
struct tally {
    std::vector<unsigned> next_seq;  // per sender: the next sequence number expected
    unsigned own_cqes = 0;    // completions of this thread's own MSG_RING SQEs with res 0
    unsigned bad = 0;         // anything unexpected: a failed send, a gap, a timeout
};

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("threads: MSG_RING among eight threads loses and duplicates nothing") {
    if (!rawring_test::ops::op_supported(abi::IORING_OP_MSG_RING)) return;
    constexpr unsigned per_peer = 500;  // messages each thread sends to each other thread
    constexpr std::uint64_t own_tag = ~std::uint64_t{0} >> 1;  // user_data of our own SQEs
    std::vector<rawring::ring> rings(threads);
    for (rawring::ring& r : rings) {
        abi::io_uring_params p{};
        p.flags = abi::IORING_SETUP_CQSIZE;
        p.cq_entries = 256;  // messages arrive while the receiver is busy sending: room for them
        REQUIRE(r.init(64, p) == 0);
    }
    std::vector<tally> seen(threads);
    std::barrier start(threads);
    std::vector<std::thread> pool;
    for (unsigned me = 0; me < threads; ++me) {
        pool.emplace_back([&, me] {
            tally& t = seen[me];
            t.next_seq.assign(threads, 0);
            rawring::ring& r = rings[me];
            unsigned received = 0;
            const unsigned want_received = per_peer * (threads - 1);
            const unsigned want_own = per_peer * (threads - 1);
            auto consume = [&](const io_uring_cqe& cqe) {
                if (cqe.user_data == own_tag) {
                    if (cqe.res == 0) ++t.own_cqes; else ++t.bad;
                    return;
                }
                const unsigned from = static_cast<unsigned>(cqe.user_data >> 32);
                const unsigned seq = static_cast<unsigned>(cqe.user_data);
                // MSG_RING posts in the order the sender's SQEs ran, which is submission order
                // for one sender's inline sends; a gap or a repeat is a lost or doubled message.
                if (from >= threads || from == me || static_cast<unsigned>(cqe.res) != seq ||
                    seq != t.next_seq[from]) {
                    ++t.bad;
                } else {
                    ++t.next_seq[from];
                    ++received;
                }
            };
            auto drain = [&] {
                io_uring_cqe* batch[64];
                const unsigned n = r.peek_batch_cqe(batch, 64);
                for (unsigned i = 0; i < n; ++i) consume(*batch[i]);
                r.cq_advance(n);
            };
            start.arrive_and_wait();  // every ring exists before anyone sends
            for (unsigned seq = 0; seq < per_peer; ++seq) {
                for (unsigned peer = 0; peer < threads; ++peer) {
                    if (peer == me) continue;
                    io_uring_sqe* sqe = r.get_sqe();
                    while (sqe == nullptr) {
                        (void)r.submit();
                        drain();
                        sqe = r.get_sqe();
                    }
                    rawring::prep_msg_ring(sqe, rings[peer].fd(), seq, message(me, seq), 0);
                    rawring::sqe_set_data64(sqe, own_tag);
                }
                (void)r.submit();
                drain();
            }
            while (r.sq_ready() > 0) (void)r.submit();
            // Everything sent to us arrives; wait for it with a bound, never for ever.
            while (received < want_received || t.own_cqes + t.bad < want_own) {
                io_uring_cqe* cqe = nullptr;
                const abi::kernel_timespec ts = ms(20000);
                const int ret = r.wait_cqe_timeout(&cqe, &ts);
                if (ret == -err::eintr) continue;
                if (ret != 0) {
                    ++t.bad;
                    break;
                }
                drain();
            }
            start.arrive_and_wait();  // no ring is closed while a peer may still send to it
        });
    }
    for (std::thread& th : pool) th.join();
    for (unsigned me = 0; me < threads; ++me) {
        INFO("thread " << me);
        CHECK(seen[me].bad == 0);
        CHECK(seen[me].own_cqes == per_peer * (threads - 1));
        for (unsigned from = 0; from < threads; ++from)
            CHECK(seen[me].next_seq[from] == (from == me ? 0 : per_peer));
        CHECK(rings[me].cq_ready() == 0);
    }
}

TEST_CASE("threads: rings made, used and destroyed on eight threads at once leak nothing") {
    const int fds = count_fds();
    std::atomic<unsigned> failures{0};
    std::vector<std::thread> pool;
    for (unsigned me = 0; me < threads; ++me) {
        pool.emplace_back([&, me] {
            for (unsigned i = 0; i < 200; ++i) {
                rawring::ring r;
                if (r.init(4) != 0) { ++failures; return; }
                io_uring_sqe* sqe = r.get_sqe();
                rawring::prep_nop(sqe);
                rawring::sqe_set_data64(sqe, message(me, i));
                if (r.submit_and_wait(1) != 1) { ++failures; return; }
                io_uring_cqe* cqe = nullptr;
                if (r.peek_cqe(&cqe) != 0 || cqe->user_data != message(me, i) || cqe->res != 0) {
                    ++failures;
                    return;
                }
                r.cqe_seen(cqe);
            }
        });
    }
    for (std::thread& th : pool) th.join();
    CHECK(failures == 0);
    CHECK(count_fds() == fds);
}

} // TEST_SUITE
