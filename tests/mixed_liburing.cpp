// SPDX-License-Identifier: MIT
// The liburing face on mixed-size rings, as liburing 2.15 behaves: io_uring_peek_cqe and
// io_uring_wait_cqe skip the CQE_MIXED fillers, io_uring_cqe_seen and io_uring_cqe_nr take two
// slots for a 32-byte CQE, io_uring_for_each_cqe steps over both halves (and shows the fillers,
// as liburing's does), io_uring_get_sqe128 takes two SQ slots on an SQE_MIXED ring (the mock as
// Linux 6.19). All of it is rawring's core behind liburing's names.
//
// Built twice, as the other face tests: test-mixed-liburing against librawring-liburing's
// extern "C" symbols, test-mixed-liburing-inline with the C++20 inline definitions.
#include <cerrno>
#include <cstdint>
#include <vector>

// rawring (through common.hpp, and the mock) first: liburing/io_uring.h makes IORING_* macros,
// which rawring's headers must not see. No `abi::IORING_*` below these includes.
#include "common.hpp"

#include "rawring/mock.hpp"

#include <liburing.h>

namespace {

struct face_ring {
    io_uring ring{};
    bool open = false;
    face_ring() = default;
    face_ring(const face_ring&) = delete;
    face_ring& operator=(const face_ring&) = delete;
    ~face_ring() {
        if (open) io_uring_queue_exit(&ring);
    }
    int init(unsigned entries, unsigned flags, unsigned cq_entries = 0) {
        io_uring_params p{};
        p.flags = flags;
        if (cq_entries != 0) {
            p.flags |= IORING_SETUP_CQSIZE;
            p.cq_entries = cq_entries;
        }
        const int ret = io_uring_queue_init_params(entries, &ring, &p);
        open = ret == 0;
        return ret;
    }
    operator io_uring*() { return &ring; }
};

void nop(io_uring* ring, __u64 data, bool big = false, __u64 extra1 = 0, __u64 extra2 = 0) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    REQUIRE(sqe != nullptr);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, data);
    if (big) {
        sqe->nop_flags = IORING_NOP_CQE32;
        sqe->off = extra1;
        sqe->addr = extra2;
    }
}

/// Submits and reaps `n` small NOPs: the CQ head and tail move on by `n`.
void move_on(io_uring* ring, unsigned n) {
    for (unsigned i = 0; i < n; ++i) nop(ring, 1000 + i);
    REQUIRE(io_uring_submit_and_wait(ring, n) == static_cast<int>(n));
    io_uring_cq_advance(ring, n);
    REQUIRE(io_uring_cq_ready(ring) == 0);
}

/// A CQE_MIXED ring of 8 SQ and 8 CQ entries with 32-byte NOP CQEs, or false (SKIP said).
bool open_mixed(face_ring& r) {
    const int ret = r.init(8, IORING_SETUP_CQE_MIXED, 8);
    if (ret == -EINVAL) {
        RAWRING_SKIP("this kernel has no IORING_SETUP_CQE_MIXED (Linux 6.18)");
        return false;
    }
    REQUIRE(ret == 0);
    nop(r, 1, true, 7, 8);
    REQUIRE(io_uring_submit_and_wait(r, 1) == 1);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(io_uring_wait_cqe(r, &cqe) == 0);
    if (cqe->res == -EINVAL) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, Linux 6.18)");
        return false;
    }
    REQUIRE((cqe->flags & IORING_CQE_F_32) != 0);
    io_uring_cqe_seen(r, cqe);
    REQUIRE(*r.ring.cq.khead == 2);
    return true;
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("liburing mixed: peek, wait and cqe_seen on a CQE_MIXED ring across the wrap") {
    face_ring r;
    if (!open_mixed(r)) return;
    move_on(r, 5);  // head and tail at 7, the last slot
    nop(r, 10, true, 0x1111, 0x2222);  // a filler in slot 7, the CQE in slots 0-1
    nop(r, 11);
    REQUIRE(io_uring_submit_and_wait(r, 4) == 2);
    CHECK(io_uring_cq_ready(r) == 4u);
    CHECK(r.ring.cq.cqes[7].flags == IORING_CQE_F_SKIP);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(io_uring_peek_cqe(r, &cqe) == 0);  // the filler is consumed, never shown
    CHECK(*r.ring.cq.khead == 8u);
    CHECK(cqe->user_data == 10u);
    CHECK(cqe->flags == IORING_CQE_F_32);
    CHECK(cqe->big_cqe[0] == 0x1111u);
    CHECK(cqe->big_cqe[1] == 0x2222u);
    CHECK(io_uring_cqe_nr(cqe) == 2u);
    io_uring_cqe_seen(r, cqe);
    CHECK(*r.ring.cq.khead == 10u);
    REQUIRE(io_uring_wait_cqe(r, &cqe) == 0);
    CHECK(cqe->user_data == 11u);
    CHECK(io_uring_cqe_nr(cqe) == 1u);
    io_uring_cqe_seen(r, cqe);
    CHECK(*r.ring.cq.khead == *r.ring.cq.ktail);
    CHECK(io_uring_peek_cqe(r, &cqe) == -EAGAIN);
    // __io_uring_peek_cqe too: a lone filler is consumed and nothing is available.
    move_on(r, 4);  // head and tail at 15: slot 7 again
    nop(r, 12, true, 1, 2);
    REQUIRE(io_uring_submit_and_wait(r, 3) == 1);
    unsigned avail = 0;
    REQUIRE(__io_uring_peek_cqe(r, &cqe, &avail) == 0);
    CHECK(cqe->user_data == 12u);
    CHECK(avail == 2u);
    io_uring_cqe_seen(r, cqe);
    CHECK(io_uring_cq_ready(r) == 0u);
}

TEST_CASE("liburing mixed: io_uring_for_each_cqe steps over both halves and shows the fillers") {
    face_ring r;
    if (!open_mixed(r)) return;
    move_on(r, 4);  // head and tail at 6
    nop(r, 20);
    nop(r, 21, true, 0x10, 0x20);  // filler in 7, slots 0-1
    nop(r, 22, true, 0x30, 0x40);  // slots 2-3
    REQUIRE(io_uring_submit_and_wait(r, 6) == 3);
    unsigned head = 0;
    io_uring_cqe* cqe = nullptr;
    std::vector<__u64> seen;
    std::vector<unsigned> heads;
    unsigned slots = 0;
    io_uring_for_each_cqe(r, head, cqe) {
        heads.push_back(head);
        // liburing 2.15 shows the filler: the program skips it, and counts its slot.
        seen.push_back((cqe->flags & IORING_CQE_F_SKIP) != 0 ? 0xffff : cqe->user_data);
        slots += io_uring_cqe_nr(cqe);
    }
    CHECK(seen == std::vector<__u64>{20, 0xffff, 21, 22});
    CHECK(heads == std::vector<unsigned>{6, 7, 8, 10});
    CHECK(slots == 6u);
    CHECK(*r.ring.cq.khead == 6u);
    io_uring_cq_advance(r, slots);
    CHECK(*r.ring.cq.khead == *r.ring.cq.ktail);
    // io_uring_peek_batch_cqe: the core's rule (the batch stops before a filler).
    move_on(r, 4);  // head and tail at 16 (slot 0)
    nop(r, 23, true, 5, 6);
    nop(r, 24);
    REQUIRE(io_uring_submit_and_wait(r, 3) == 2);
    io_uring_cqe* batch[4]{};
    REQUIRE(io_uring_peek_batch_cqe(r, batch, 4) == 2u);
    CHECK(batch[0]->user_data == 23u);
    CHECK(batch[1]->user_data == 24u);
    io_uring_cqe_seen(r, batch[0]);
    io_uring_cqe_seen(r, batch[1]);
    CHECK(io_uring_cq_ready(r) == 0u);
}

TEST_CASE("liburing mixed: io_uring_get_sqe128 on an SQE_MIXED ring (the mock as Linux 6.19)") {
    rawring::mock::options o;
    o.report_at_exit = false;
    o.linux_6_19 = true;
    rawring::mock::scope m(o);
    face_ring r;
    REQUIRE(r.init(4, IORING_SETUP_SQE_MIXED) == 0);
    CHECK(io_uring_sqe_shift(r) == 0u);
    nop(r, 1);
    nop(r, 2);
    io_uring_sqe* big = io_uring_get_sqe128(r);  // slots 2-3
    REQUIRE(big != nullptr);
    CHECK(big == &r.ring.sq.sqes[2]);
    io_uring_prep_nop128(big);
    io_uring_sqe_set_data64(big, 3);
    CHECK(io_uring_sq_space_left(r) == 0u);
    CHECK(io_uring_get_sqe128(r) == nullptr);
    REQUIRE(io_uring_submit_and_wait(r, 3) == 4);
    for (__u64 want = 1; want <= 3; ++want) {
        io_uring_cqe* cqe = nullptr;
        REQUIRE(io_uring_wait_cqe(r, &cqe) == 0);
        CHECK(cqe->user_data == want);
        CHECK(cqe->res == 0);
        io_uring_cqe_seen(r, cqe);
    }
    // The tail at slot 3, the last: a skip-success NOP goes there, the pair to slots 0-1.
    nop(r, 4);
    nop(r, 5);
    nop(r, 6);
    REQUIRE(io_uring_submit_and_wait(r, 3) == 3);
    io_uring_cq_advance(r, 3);
    big = io_uring_get_sqe128(r);
    REQUIRE(big != nullptr);
    CHECK(big == &r.ring.sq.sqes[0]);
    CHECK(r.ring.sq.sqes[3].opcode == IORING_OP_NOP);
    CHECK(r.ring.sq.sqes[3].flags == IOSQE_CQE_SKIP_SUCCESS);
    CHECK(r.ring.sq.sqe_tail == 10u);
    io_uring_prep_nop128(big);
    io_uring_sqe_set_data64(big, 7);
    REQUIRE(io_uring_submit_and_wait(r, 1) == 3);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(io_uring_wait_cqe(r, &cqe) == 0);
    CHECK(cqe->user_data == 7u);
    io_uring_cqe_seen(r, cqe);
    CHECK(io_uring_cq_ready(r) == 0u);
    // A plain ring: NULL.
    face_ring plain;
    REQUIRE(plain.init(4, 0) == 0);
    CHECK(io_uring_get_sqe128(plain) == nullptr);
}

} // TEST_SUITE("kernel")
