// SPDX-License-Identifier: MIT
// Unit tests of SQE contents: what get_sqe hands out, and each prep helper's whole SQE.
#include <sys/uio.h>

#include "common.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;

namespace {


/// An SQE full of garbage, as a reused slot could be.
io_uring_sqe dirty() {
    io_uring_sqe sqe;
    std::memset(static_cast<void*>(&sqe), 0xa5, sizeof(sqe));
    return sqe;
}

} // namespace

TEST_SUITE("unit") {

TEST_CASE("sqe: get_sqe clears every byte of a reused slot") {
    for (const std::uint32_t flags : {0u, abi::IORING_SETUP_SQE128}) {
        CAPTURE(flags);
        rawring::ring r;
        if (const int ret = r.init(1, flags); ret < 0) {
            RAWRING_SKIP("io_uring cannot be set up here: " << std::strerror(-ret));
            return;
        }
        const std::size_t size = flags ? 128 : 64;
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        std::memset(static_cast<void*>(sqe), 0xff, size);  // every field, user_data included
        sqe->opcode = abi::IORING_OP_NOP;
        sqe->flags = 0;
        sqe->fd = -1;
        sqe->rw_flags = 0;
        sqe->ioprio = 0;
        sqe->buf_index = 0;
        sqe->personality = 0;
        sqe->file_index = 0;
        sqe->off = sqe->addr = sqe->len = 0;
        sqe->addr3 = sqe->pad2 = 0;
        CHECK(r.submit_and_wait(1) == 1);
        io_uring_cqe* cqe = nullptr;
        REQUIRE(r.wait_cqe(&cqe) == 0);
        CHECK(cqe->user_data == ~std::uint64_t{0});
        r.cqe_seen(cqe);
        if (flags) {  // the command area beyond 64 B was dirty too
            const unsigned char* big = reinterpret_cast<const unsigned char*>(sqe) + 64;
            CHECK(big[0] == 0xff);
        }
        io_uring_sqe* again = r.get_sqe();
        REQUIRE(again == sqe);  // a ring of one entry hands out the same slot
        const unsigned char* bytes = reinterpret_cast<const unsigned char*>(again);
        std::size_t nonzero = 0;
        for (std::size_t i = 0; i < size; ++i) nonzero += bytes[i] != 0;
        CHECK(nonzero == 0);
        CHECK(again->user_data == 0);
    }
}

TEST_CASE("sqe: prep_rw sets the common fields and nothing else") {
    io_uring_sqe sqe{};
    int buf = 0;
    rawring::prep_rw(abi::IORING_OP_READ, &sqe, 7, &buf, 4, 99);
    io_uring_sqe want{};
    want.opcode = abi::IORING_OP_READ;
    want.fd = 7;
    want.addr = reinterpret_cast<std::uintptr_t>(&buf);
    want.len = 4;
    want.off = 99;
    check_sqe(sqe, want);
}

TEST_CASE("sqe: prep_nop, prep_read, prep_write, prep_readv, prep_writev, prep_fsync, prep_timeout") {
    char buf[16];
    iovec iov[2] = {{buf, 8}, {buf + 8, 8}};
    const abi::kernel_timespec ts{1, 2};

    io_uring_sqe sqe{};
    rawring::prep_nop(&sqe);
    io_uring_sqe want{};
    want.opcode = abi::IORING_OP_NOP;
    want.fd = -1;
    check_sqe(sqe, want);

    sqe = {};
    rawring::prep_read(&sqe, 3, buf, sizeof(buf), 5);
    want = {};
    want.opcode = abi::IORING_OP_READ;
    want.fd = 3;
    want.addr = reinterpret_cast<std::uintptr_t>(buf);
    want.len = sizeof(buf);
    want.off = 5;
    check_sqe(sqe, want);

    sqe = {};
    rawring::prep_write(&sqe, 4, buf, 3, ~std::uint64_t{0});
    want.opcode = abi::IORING_OP_WRITE;
    want.fd = 4;
    want.len = 3;
    want.off = ~std::uint64_t{0};
    check_sqe(sqe, want);

    sqe = {};
    rawring::prep_readv(&sqe, 5, iov, 2, 6);
    want = {};
    want.opcode = abi::IORING_OP_READV;
    want.fd = 5;
    want.addr = reinterpret_cast<std::uintptr_t>(iov);
    want.len = 2;
    want.off = 6;
    check_sqe(sqe, want);

    sqe = {};
    rawring::prep_writev(&sqe, 5, iov, 2, 6);
    want.opcode = abi::IORING_OP_WRITEV;
    check_sqe(sqe, want);

    sqe = {};
    rawring::prep_fsync(&sqe, 8, abi::IORING_FSYNC_DATASYNC);
    want = {};
    want.opcode = abi::IORING_OP_FSYNC;
    want.fd = 8;
    want.fsync_flags = abi::IORING_FSYNC_DATASYNC;
    check_sqe(sqe, want);

    sqe = {};
    rawring::prep_timeout(&sqe, &ts, 3, abi::IORING_TIMEOUT_ABS);
    want = {};
    want.opcode = abi::IORING_OP_TIMEOUT;
    want.fd = -1;
    want.addr = reinterpret_cast<std::uintptr_t>(&ts);
    want.len = 1;
    want.off = 3;
    want.timeout_flags = abi::IORING_TIMEOUT_ABS;
    check_sqe(sqe, want);
}

TEST_CASE("sqe: prep helpers overwrite a dirty SQE's common fields only") {
    // The helpers rely on get_sqe's zeroing; on a dirty SQE they set exactly their own fields.
    io_uring_sqe sqe = dirty();
    rawring::prep_nop(&sqe);
    CHECK(sqe.opcode == abi::IORING_OP_NOP);
    CHECK(sqe.fd == -1);
    CHECK(sqe.addr == 0);
    CHECK(sqe.len == 0);
    CHECK(sqe.off == 0);
    CHECK(sqe.user_data == 0xa5a5a5a5a5a5a5a5ull);  // untouched: get_sqe is what clears it
}

TEST_CASE("sqe: set_data, set_data64 and set_flags") {
    io_uring_sqe sqe{};
    rawring::sqe_set_data64(&sqe, 0x1122334455667788ull);
    CHECK(sqe.user_data == 0x1122334455667788ull);
    int object = 0;
    rawring::sqe_set_data(&sqe, &object);
    CHECK(sqe.user_data == reinterpret_cast<std::uintptr_t>(&object));
    rawring::sqe_set_flags(&sqe, abi::IOSQE_IO_LINK | abi::IOSQE_ASYNC);
    CHECK(sqe.flags == (abi::IOSQE_IO_LINK | abi::IOSQE_ASYNC));
    io_uring_sqe want{};
    want.user_data = reinterpret_cast<std::uintptr_t>(&object);
    want.flags = abi::IOSQE_IO_LINK | abi::IOSQE_ASYNC;
    check_sqe(sqe, want);
}

} // TEST_SUITE
