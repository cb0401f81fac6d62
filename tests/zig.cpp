// SPDX-License-Identifier: MIT
// Ports of the tests of Zig's std.os.linux.IoUring, named "zig: <name>" after the originals.
// Where rawring deliberately differs from Zig, the port asserts rawring's behaviour and says so.
#include "common.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;

TEST_SUITE("kernel") {

TEST_CASE("zig: structs/offsets/entries") {
    CHECK(sizeof(abi::io_uring_params) == 120);
    CHECK(sizeof(abi::io_uring_sqe) == 64);
    CHECK(sizeof(abi::io_uring_cqe) == 16);
    CHECK(abi::IORING_OFF_SQ_RING == 0);
    CHECK(abi::IORING_OFF_CQ_RING == 0x8000000);
    CHECK(abi::IORING_OFF_SQES == 0x10000000);

    rawring::ring r;
    CHECK(r.init(0) == -err::einval);  // Zig: error.EntriesZero
    // Zig refuses 3 (error.EntriesNotPowerOfTwo); rawring passes it on and the kernel rounds
    // up to a power of two, as liburing does.
    if (!io_uring_available()) {
        RAWRING_SKIP("io_uring cannot be set up here");
        return;
    }
    REQUIRE(r.init(3) == 0);
    CHECK(r.sq().ring_entries == 4);
}

TEST_CASE("zig: nop") {
    rawring::ring r;
    if (const int ret = r.init(1); ret < 0) {
        RAWRING_SKIP("io_uring cannot be set up here: " << std::strerror(-ret));
        return;
    }
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop(sqe);
    rawring::sqe_set_data64(sqe, 0xaaaaaaaa);
    abi::io_uring_sqe want{};
    want.opcode = abi::IORING_OP_NOP;
    want.fd = -1;  // liburing's NOP; Zig leaves 0 (the kernel ignores it)
    want.user_data = 0xaaaaaaaa;
    CHECK(std::memcmp(sqe, &want, sizeof(want)) == 0);

    CHECK(r.sq().sqe_head == 0);
    CHECK(r.sq().sqe_tail == 1);
    CHECK(*r.sq().ktail == 0);
    CHECK(*r.cq().khead == 0);
    CHECK(r.sq_ready() == 1);
    CHECK(r.cq_ready() == 0);

    CHECK(r.submit() == 1);
    CHECK(r.sq().sqe_head == 1);
    CHECK(r.sq().sqe_tail == 1);
    CHECK(*r.sq().ktail == 1);
    CHECK(*r.cq().khead == 0);
    CHECK(r.sq_ready() == 0);

    abi::io_uring_cqe cqe{};
    REQUIRE(r.copy_cqe(cqe) == 0);
    CHECK(cqe.user_data == 0xaaaaaaaa);
    CHECK(cqe.res == 0);
    CHECK(cqe.flags == 0);
    CHECK(*r.cq().khead == 1);
    CHECK(r.cq_ready() == 0);

    sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop(sqe);
    rawring::sqe_set_data64(sqe, 0xbbbbbbbb);
    sqe->flags |= abi::IOSQE_IO_DRAIN;
    CHECK(r.submit() == 1);
    REQUIRE(r.copy_cqe(cqe) == 0);
    CHECK(cqe.user_data == 0xbbbbbbbb);
    CHECK(cqe.res == 0);
    CHECK(cqe.flags == 0);
    CHECK(r.sq().sqe_head == 2);
    CHECK(r.sq().sqe_tail == 2);
    CHECK(*r.sq().ktail == 2);
    CHECK(*r.cq().khead == 2);

    r.exit();
    CHECK(r.fd() == -1);
}

TEST_CASE("zig: copy_cqes with wrapping sq.cqes buffer") {
    rawring::ring r;
    if (const int ret = r.init(2); ret < 0) {
        RAWRING_SKIP("io_uring cannot be set up here: " << std::strerror(-ret));
        return;
    }
    CHECK(r.sq().ring_entries == 2);
    CHECK(r.cq().ring_entries == 4);

    const abi::kernel_timespec ts{0, 10000};
    abi::io_uring_cqe cqes[8];
    for (int i = 0; i < 2; ++i) {
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_timeout(sqe, &ts, 0, 0);
        REQUIRE(r.submit() == 1);
    }
    unsigned count = 0;
    while (count < 2) {
        const int n = r.copy_cqes(cqes, 2 - count);
        REQUIRE(n >= 0);
        count += static_cast<unsigned>(n);
    }
    CHECK(*r.cq().khead == 2);

    // The CQ has 4 slots and starts at 2: every batch of 4 is read at slots 2, 3, 0, 1.
    for (unsigned i = 1; i < 1024; ++i) {
        for (int j = 0; j < 4; ++j) {
            io_uring_sqe* sqe = r.get_sqe();
            REQUIRE(sqe != nullptr);
            rawring::prep_timeout(sqe, &ts, 0, 0);
            REQUIRE(r.submit() == 1);
        }
        count = 0;
        while (count < 4) {
            const int n = r.copy_cqes(cqes, 4 - count);
            REQUIRE(n >= 0);
            count += static_cast<unsigned>(n);
        }
        REQUIRE(count == 4);
        REQUIRE(*r.cq().khead == 2 + 4 * i);
    }
    CHECK(*r.cq().khead == 2 + 4 * 1023);
}

} // TEST_SUITE
