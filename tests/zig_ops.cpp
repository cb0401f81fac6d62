// SPDX-License-Identifier: MIT
// Ports of Zig's IoUring.zig tests of files, timeouts, provided buffers and waitid ("zig: <name>").
// Each Zig test queues an op with `ring.<op>(user_data, ...)`; these ports spell that out as
// get_sqe + prep_* + sqe_set_data64, which is what rawring's own twins of those calls
// (zig_queue.hpp: `r.nop(ud)`, `r.read(ud, ...)`) do; tests/zig_queue.cpp ports some with them.
// Each runs on a default ring and on a
// SINGLE_ISSUER|DEFER_TASKRUN ring. Where rawring deliberately differs from Zig the port asserts
// rawring's behaviour and says so. The socket tests are in zig_net.cpp.
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "common.hpp"
#include "net.hpp"
#include "zig_util.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;

namespace {


/// The buffer id of a CQE that carries one.
unsigned buffer_id(const io_uring_cqe& cqe) {
    REQUIRE((cqe.flags & abi::IORING_CQE_F_BUFFER) != 0);
    const int bid = rawring::cqe_buffer_id(cqe);
    REQUIRE(bid >= 0);
    return static_cast<unsigned>(bid);
}

owned_fd open_dev_zero() {
    owned_fd f(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
    REQUIRE(f >= 0);
    return f;
}

/// Size of the file behind `fd`.
off_t file_size(int fd) {
    struct stat st{};
    REQUIRE(::fstat(fd, &st) == 0);
    return st.st_size;
}

/// Provides `nr` buffers of `len` bytes at `base` to group `bgid`, ids from `bid`, and reaps the
/// CQE: Zig's `ring.provide_buffers(...)` + submit + copy_cqe.
void provide(rawring::ring& r, std::uint64_t data, void* base, int len, int nr, int bgid, int bid) {
    io_uring_sqe* sqe = next_sqe(r);
    rawring::prep_provide_buffers(sqe, base, len, nr, bgid, bid);
    rawring::sqe_set_data64(sqe, data);
    CHECK(sqe->opcode == abi::IORING_OP_PROVIDE_BUFFERS);
    CHECK(sqe->fd == nr);
    CHECK(sqe->len == static_cast<unsigned>(len));
    CHECK(sqe->buf_group == bgid);
    CHECK(sqe->off == static_cast<unsigned>(bid));
    REQUIRE(r.submit() == 1);
    const io_uring_cqe cqe = take_cqe(r);
    CHECK(cqe.user_data == data);
    CHECK(cqe.res == 0);
}

/// Prepares a read of `len` bytes at offset 0 of `fd` into a buffer the kernel picks from group
/// `bgid`: Zig's `ring.read(..., .{ .buffer_selection = ... }, 0)`.
io_uring_sqe* read_selected(rawring::ring& r, std::uint64_t data, int fd, unsigned len, int bgid) {
    io_uring_sqe* sqe = next_sqe(r);
    rawring::prep_read(sqe, fd, nullptr, len, 0);
    rawring::sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
    rawring::sqe_set_buf_group(sqe, bgid);
    rawring::sqe_set_data64(sqe, data);
    return sqe;
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("zig: readv") {
    on_zig_rings(1, [](rawring::ring& r) {
        owned_fd zero = open_dev_zero();
        // Zig registers one real fd (no sparse entry), then reads through index 0.
        const int fds[1] = {zero.fd};
        REQUIRE(rawring::register_files(r, fds, 1) == 0);

        unsigned char buffer[128];
        std::memset(buffer, 42, sizeof(buffer));
        iovec iov{buffer, sizeof(buffer)};
        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_readv(sqe, 0, &iov, 1, 0);
        rawring::sqe_set_data64(sqe, 0xcccccccc);
        CHECK(sqe->opcode == abi::IORING_OP_READV);
        sqe->flags |= abi::IOSQE_FIXED_FILE;

        // Zig: error.SubmissionQueueFull; rawring's get_sqe returns nullptr, like liburing.
        CHECK(r.get_sqe() == nullptr);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 0xccccccccu, 128, 0);
        CHECK(all_bytes(buffer, sizeof(buffer), 0));

        CHECK(rawring::unregister_files(r) == 0);
    });
}

TEST_CASE("zig: writev/fsync/readv") {
    on_zig_rings(4, [](rawring::ring& r) {
        temp_dir tmp;
        owned_fd fd = tmp.create("test_io_uring_writev_fsync_readv");

        unsigned char buffer_write[128];
        std::memset(buffer_write, 42, sizeof(buffer_write));
        const iovec iov_write{buffer_write, sizeof(buffer_write)};
        unsigned char buffer_read[128] = {};
        iovec iov_read{buffer_read, sizeof(buffer_read)};

        io_uring_sqe* sqe_writev = next_sqe(r);
        rawring::prep_writev(sqe_writev, fd, &iov_write, 1, 17);
        rawring::sqe_set_data64(sqe_writev, 0xdddddddd);
        CHECK(sqe_writev->opcode == abi::IORING_OP_WRITEV);
        CHECK(sqe_writev->off == 17);
        sqe_writev->flags |= abi::IOSQE_IO_LINK;

        io_uring_sqe* sqe_fsync = next_sqe(r);
        rawring::prep_fsync(sqe_fsync, fd, 0);
        rawring::sqe_set_data64(sqe_fsync, 0xeeeeeeee);
        CHECK(sqe_fsync->opcode == abi::IORING_OP_FSYNC);
        CHECK(sqe_fsync->fd == fd.fd);
        sqe_fsync->flags |= abi::IOSQE_IO_LINK;

        io_uring_sqe* sqe_readv = next_sqe(r);
        rawring::prep_readv(sqe_readv, fd, &iov_read, 1, 17);
        rawring::sqe_set_data64(sqe_readv, 0xffffffff);
        CHECK(sqe_readv->opcode == abi::IORING_OP_READV);
        CHECK(sqe_readv->off == 17);

        CHECK(r.sq_ready() == 3);
        CHECK(r.submit_and_wait(3) == 3);
        CHECK(r.sq_ready() == 0);
        CHECK(r.cq_ready() == 3);

        CHECK_CQE(take_cqe(r), 0xddddddddu, 128, 0);
        CHECK(r.cq_ready() == 2);
        CHECK_CQE(take_cqe(r), 0xeeeeeeeeu, 0, 0);
        CHECK(r.cq_ready() == 1);
        CHECK_CQE(take_cqe(r), 0xffffffffu, 128, 0);
        CHECK(r.cq_ready() == 0);

        CHECK(std::memcmp(buffer_write, buffer_read, sizeof(buffer_read)) == 0);
        CHECK(file_size(fd) == 17 + 128);
    });
}

TEST_CASE("zig: write/read") {
    on_zig_rings(2, [](rawring::ring& r) {
        temp_dir tmp;
        owned_fd fd = tmp.create("test_io_uring_write_read");

        unsigned char buffer_write[20];
        std::memset(buffer_write, 97, sizeof(buffer_write));
        unsigned char buffer_read[20];
        std::memset(buffer_read, 98, sizeof(buffer_read));

        io_uring_sqe* sqe_write = next_sqe(r);
        rawring::prep_write(sqe_write, fd, buffer_write, sizeof(buffer_write), 10);
        rawring::sqe_set_data64(sqe_write, 0x11111111);
        CHECK(sqe_write->opcode == abi::IORING_OP_WRITE);
        CHECK(sqe_write->off == 10);
        sqe_write->flags |= abi::IOSQE_IO_LINK;

        io_uring_sqe* sqe_read = next_sqe(r);
        rawring::prep_read(sqe_read, fd, buffer_read, sizeof(buffer_read), 10);
        rawring::sqe_set_data64(sqe_read, 0x22222222);
        CHECK(sqe_read->opcode == abi::IORING_OP_READ);
        CHECK(sqe_read->off == 10);
        CHECK(r.submit() == 2);

        const io_uring_cqe cqe_write = take_cqe(r);
        const io_uring_cqe cqe_read = take_cqe(r);
        CHECK_CQE(cqe_write, 0x11111111u, 20, 0);
        CHECK_CQE(cqe_read, 0x22222222u, 20, 0);
        CHECK(std::memcmp(buffer_write, buffer_read, sizeof(buffer_read)) == 0);
    });
}

TEST_CASE("zig: splice/read") {
    on_zig_rings(4, [](rawring::ring& r) {
        temp_dir tmp;
        unsigned char buffer_write[20];
        std::memset(buffer_write, 97, sizeof(buffer_write));
        unsigned char buffer_read[20];
        std::memset(buffer_read, 98, sizeof(buffer_read));
        owned_fd fd_src = tmp.create("test_io_uring_splice_src",
                                     std::string(reinterpret_cast<const char*>(buffer_write),
                                                 sizeof(buffer_write)));
        owned_fd fd_dst = tmp.create("test_io_uring_splice_dst");
        pipe_pair pipe;
        // -1: "no offset" for the pipe end, which liburing takes as int64_t and the SQE holds
        // as the all-ones u64, what Zig passes as maxInt(u64).
        constexpr std::uint64_t pipe_offset = ~std::uint64_t{0};

        io_uring_sqe* sqe_to_pipe = next_sqe(r);
        rawring::prep_splice(sqe_to_pipe, fd_src, 0, pipe.write_end, -1, sizeof(buffer_write), 0);
        rawring::sqe_set_data64(sqe_to_pipe, 0x11111111);
        CHECK(sqe_to_pipe->opcode == abi::IORING_OP_SPLICE);
        CHECK(sqe_to_pipe->splice_off_in == 0);
        CHECK(sqe_to_pipe->off == pipe_offset);
        CHECK(sqe_to_pipe->splice_fd_in == fd_src.fd);
        CHECK(sqe_to_pipe->fd == pipe.write_end.fd);
        sqe_to_pipe->flags |= abi::IOSQE_IO_LINK;

        io_uring_sqe* sqe_from_pipe = next_sqe(r);
        rawring::prep_splice(sqe_from_pipe, pipe.read_end, -1, fd_dst, 10, sizeof(buffer_write), 0);
        rawring::sqe_set_data64(sqe_from_pipe, 0x22222222);
        CHECK(sqe_from_pipe->opcode == abi::IORING_OP_SPLICE);
        CHECK(sqe_from_pipe->splice_off_in == pipe_offset);
        CHECK(sqe_from_pipe->off == 10);
        sqe_from_pipe->flags |= abi::IOSQE_IO_LINK;

        io_uring_sqe* sqe_read = next_sqe(r);
        rawring::prep_read(sqe_read, fd_dst, buffer_read, sizeof(buffer_read), 10);
        rawring::sqe_set_data64(sqe_read, 0x33333333);
        CHECK(sqe_read->opcode == abi::IORING_OP_READ);
        CHECK(sqe_read->off == 10);
        CHECK(r.submit() == 3);

        const io_uring_cqe cqe_to_pipe = take_cqe(r);
        const io_uring_cqe cqe_from_pipe = take_cqe(r);
        const io_uring_cqe cqe_read = take_cqe(r);
        CHECK_CQE(cqe_to_pipe, 0x11111111u, 20, 0);
        CHECK_CQE(cqe_from_pipe, 0x22222222u, 20, 0);
        CHECK_CQE(cqe_read, 0x33333333u, 20, 0);
        CHECK(std::memcmp(buffer_write, buffer_read, sizeof(buffer_read)) == 0);
        CHECK(file_size(fd_dst) == 10 + 20);
    });
}

TEST_CASE("zig: write_fixed/read_fixed") {
    on_zig_rings(2, [](rawring::ring& r) {
        temp_dir tmp;
        owned_fd fd = tmp.create("test_io_uring_write_read_fixed");

        unsigned char raw_buffers[2][11];
        // The first buffer is written to the file; the second is overwritten by the read.
        std::memset(raw_buffers[0], 'z', sizeof(raw_buffers[0]));
        std::memcpy(raw_buffers[0], "foobar", 6);
        std::memset(raw_buffers[1], 1, sizeof(raw_buffers[1]));
        iovec buffers[2] = {{raw_buffers[0], sizeof(raw_buffers[0])},
                            {raw_buffers[1], sizeof(raw_buffers[1])}};
        const int reg = rawring::register_buffers(r, buffers, 2);
        if (reg == -ENOMEM) {
            // Zig skips on error.SystemResources (RLIMIT_MEMLOCK too small).
            RAWRING_SKIP("register_buffers: -ENOMEM (locked-memory limit)");
            return;
        }
        REQUIRE(reg == 0);

        io_uring_sqe* sqe_write = next_sqe(r);
        rawring::prep_write_fixed(sqe_write, fd, buffers[0].iov_base,
                                  static_cast<unsigned>(buffers[0].iov_len), 3, 0);
        rawring::sqe_set_data64(sqe_write, 0x45454545);
        CHECK(sqe_write->opcode == abi::IORING_OP_WRITE_FIXED);
        CHECK(sqe_write->off == 3);
        CHECK(sqe_write->buf_index == 0);
        sqe_write->flags |= abi::IOSQE_IO_LINK;

        io_uring_sqe* sqe_read = next_sqe(r);
        rawring::prep_read_fixed(sqe_read, fd, buffers[1].iov_base,
                                 static_cast<unsigned>(buffers[1].iov_len), 0, 1);
        rawring::sqe_set_data64(sqe_read, 0x12121212);
        CHECK(sqe_read->opcode == abi::IORING_OP_READ_FIXED);
        CHECK(sqe_read->off == 0);
        CHECK(sqe_read->buf_index == 1);

        CHECK(r.submit() == 2);
        const io_uring_cqe cqe_write = take_cqe(r);
        const io_uring_cqe cqe_read = take_cqe(r);
        CHECK_CQE(cqe_write, 0x45454545u, 11, 0);
        CHECK_CQE(cqe_read, 0x12121212u, 11, 0);

        CHECK(std::memcmp(raw_buffers[1], "\0\0\0", 3) == 0);
        CHECK(std::memcmp(raw_buffers[1] + 3, "foobar", 6) == 0);
        CHECK(std::memcmp(raw_buffers[1] + 9, "zz", 2) == 0);
        CHECK(rawring::unregister_buffers(r) == 0);
    });
}

TEST_CASE("zig: openat") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* path = "test_io_uring_openat";
        const int flags = O_CLOEXEC | O_RDWR | O_CREAT;
        const unsigned mode = 0666;

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_openat(sqe, tmp.fd, path, flags, mode);
        rawring::sqe_set_data64(sqe, 0x33333333);
        // Zig compares the whole SQE: every field not named here is 0.
        abi::io_uring_sqe want{};
        want.opcode = abi::IORING_OP_OPENAT;
        want.fd = tmp.fd;
        want.addr = reinterpret_cast<std::uintptr_t>(path);
        want.len = mode;
        want.open_flags = static_cast<std::uint32_t>(flags);
        want.user_data = 0x33333333;
        CHECK(sqe->opcode == want.opcode);
        CHECK(sqe->flags == 0);
        CHECK(sqe->ioprio == 0);
        CHECK(sqe->fd == want.fd);
        CHECK(sqe->off == 0);
        CHECK(sqe->addr == want.addr);
        CHECK(sqe->len == want.len);
        CHECK(sqe->open_flags == want.open_flags);
        CHECK(sqe->user_data == want.user_data);
        CHECK(sqe->buf_index == 0);
        CHECK(sqe->personality == 0);
        CHECK(sqe->splice_fd_in == 0);
        CHECK(sqe->addr3 == 0);
        CHECK(sqe->pad2 == 0);
        CHECK(std::memcmp(sqe, &want, sizeof(want)) == 0);
        CHECK(r.submit() == 1);

        const io_uring_cqe cqe = take_cqe(r);
        CHECK(cqe.user_data == 0x33333333);
        CHECK(cqe.res > 0);
        CHECK(cqe.flags == 0);
        if (cqe.res > 0) {
            owned_fd opened(cqe.res);
            // The file exists now, and the fd is read-write and close-on-exec.
            struct stat st{};
            CHECK(tmp.stat(path, &st) == 0);
            CHECK(S_ISREG(st.st_mode));
            CHECK((::fcntl(opened, F_GETFL) & O_ACCMODE) == O_RDWR);
            CHECK((::fcntl(opened, F_GETFD) & FD_CLOEXEC) != 0);
        }
    });
}

TEST_CASE("zig: close") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        owned_fd file = tmp.create("test_io_uring_close");

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_close(sqe, file);
        rawring::sqe_set_data64(sqe, 0x44444444);
        CHECK(sqe->opcode == abi::IORING_OP_CLOSE);
        CHECK(sqe->fd == file.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0x44444444u, 0, 0);
        // The fd is gone from the table.
        CHECK(fd_is_closed(file.fd));
        file.release();
    });
}

TEST_CASE("zig: timeout (after a relative time)") {
    on_zig_rings(1, [](rawring::ring& r) {
        constexpr long ms = 10;
        const abi::kernel_timespec ts{0, ms * 1000000};

        const auto started = std::chrono::steady_clock::now();
        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_timeout(sqe, &ts, 0, 0);
        rawring::sqe_set_data64(sqe, 0x55555555);
        CHECK(sqe->opcode == abi::IORING_OP_TIMEOUT);
        CHECK(r.submit() == 1);
        const io_uring_cqe cqe = take_cqe(r);
        const auto stopped = std::chrono::steady_clock::now();

        CHECK_CQE(cqe, 0x55555555u, -ETIME, 0);
        // Zig skips when the elapsed time is more than 5 ms off. Here it is a lenient correctness
        // check, not a speed test: the timer (CLOCK_MONOTONIC, like steady_clock) must not fire
        // before the time asked, and must not take seconds (a unit error would).
        const double elapsed = std::chrono::duration<double, std::milli>(stopped - started).count();
        INFO("elapsed ms: " << elapsed);
        CHECK(elapsed >= ms - 0.5);
        CHECK(elapsed < 2000.0);
    });
}

TEST_CASE("zig: timeout (after a number of completions)") {
    on_zig_rings(2, [](rawring::ring& r) {
        const abi::kernel_timespec ts{3, 0};
        constexpr unsigned count_completions = 1;

        io_uring_sqe* sqe_timeout = next_sqe(r);
        rawring::prep_timeout(sqe_timeout, &ts, count_completions, 0);
        rawring::sqe_set_data64(sqe_timeout, 0x66666666);
        CHECK(sqe_timeout->opcode == abi::IORING_OP_TIMEOUT);
        CHECK(sqe_timeout->off == count_completions);
        REQUIRE(queue_nop(r, 0x77777777) != nullptr);
        CHECK(r.submit() == 2);

        CHECK_CQE(take_cqe(r), 0x77777777u, 0, 0);
        // 0, not -ETIME: the NOP's completion, not the 3 s, ended the timeout.
        CHECK_CQE(take_cqe(r), 0x66666666u, 0, 0);
    });
}

TEST_CASE("zig: timeout_remove") {
    on_zig_rings(2, [](rawring::ring& r) {
        const abi::kernel_timespec ts{3, 0};

        io_uring_sqe* sqe_timeout = next_sqe(r);
        rawring::prep_timeout(sqe_timeout, &ts, 0, 0);
        rawring::sqe_set_data64(sqe_timeout, 0x88888888);
        CHECK(sqe_timeout->opcode == abi::IORING_OP_TIMEOUT);
        CHECK(sqe_timeout->user_data == 0x88888888);

        io_uring_sqe* sqe_remove = next_sqe(r);
        rawring::prep_timeout_remove(sqe_remove, 0x88888888, 0);
        rawring::sqe_set_data64(sqe_remove, 0x99999999);
        CHECK(sqe_remove->opcode == abi::IORING_OP_TIMEOUT_REMOVE);
        CHECK(sqe_remove->addr == 0x88888888);
        CHECK(sqe_remove->user_data == 0x99999999);
        CHECK(r.submit() == 2);

        // The order of the two CQEs changed between kernels (5.10: timeout first; 5.18: remove
        // first), so each is matched by its user_data.
        int seen_timeout = 0;
        int seen_remove = 0;
        for (int i = 0; i < 2; ++i) {
            const io_uring_cqe cqe = take_cqe(r);
            if (cqe.user_data == 0x88888888) {
                ++seen_timeout;
                CHECK_CQE(cqe, 0x88888888u, -ECANCELED, 0);
            } else {
                ++seen_remove;
                CHECK_CQE(cqe, 0x99999999u, 0, 0);
            }
        }
        CHECK(seen_timeout == 1);
        CHECK(seen_remove == 1);
        CHECK(r.cq_ready() == 0);
    });
}

TEST_CASE("zig: fallocate") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        owned_fd file = tmp.create("test_io_uring_fallocate");
        CHECK(file_size(file) == 0);

        constexpr std::uint64_t len = 65536;
        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_fallocate(sqe, file, 0, 0, len);
        rawring::sqe_set_data64(sqe, 0xaaaaaaaa);
        CHECK(sqe->opcode == abi::IORING_OP_FALLOCATE);
        CHECK(sqe->fd == file.fd);
        CHECK(r.submit() == 1);

        const io_uring_cqe cqe = take_cqe(r);
        if (cqe.res == -EOPNOTSUPP) {
            // Zig skips the same way: the filesystem of /tmp does not do fallocate mode 0.
            RAWRING_SKIP("fallocate: the filesystem of /tmp answers -EOPNOTSUPP");
            return;
        }
        CHECK_CQE(cqe, 0xaaaaaaaau, 0, 0);
        CHECK(file_size(file) == static_cast<off_t>(len));
    });
}

TEST_CASE("zig: statx") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* path = "test_io_uring_statx";
        owned_fd file = tmp.create(path);
        CHECK(file_size(file) == 0);
        REQUIRE(::write(file, "foobar", 6) == 6);

        struct statx buf;
        std::memset(&buf, 0xff, sizeof(buf));
        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_statx(sqe, tmp.fd, path, 0, STATX_SIZE, &buf);
        rawring::sqe_set_data64(sqe, 0xaaaaaaaa);
        CHECK(sqe->opcode == abi::IORING_OP_STATX);
        CHECK(sqe->fd == tmp.fd.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0xaaaaaaaau, 0, 0);
        CHECK((buf.stx_mask & STATX_SIZE) != 0);
        CHECK(buf.stx_size == 6);
    });
}

TEST_CASE("zig: register_files_update") {
    on_zig_rings(1, [](rawring::ring& r) {
        owned_fd fd = open_dev_zero();
        int registered_fds[2] = {fd.fd, -1};  // index 0 real, index 1 sparse
        REQUIRE(rawring::register_files(r, registered_fds, 2) == 0);

        // IORING_REGISTER_FILES_UPDATE (Linux 5.5): replace index 0, leave index 1 sparse. The
        // kernel answers with the number of entries it went through.
        owned_fd fd2 = open_dev_zero();
        registered_fds[0] = fd2.fd;
        registered_fds[1] = -1;
        CHECK(rawring::register_files_update(r, 0, registered_fds, 2) == 2);

        unsigned char buffer[128];
        const auto read_index0 = [&](std::uint64_t data) {
            std::memset(buffer, 42, sizeof(buffer));
            io_uring_sqe* sqe = next_sqe(r);
            rawring::prep_read(sqe, 0, buffer, sizeof(buffer), 0);
            rawring::sqe_set_data64(sqe, data);
            CHECK(sqe->opcode == abi::IORING_OP_READ);
            sqe->flags |= abi::IOSQE_FIXED_FILE;
            CHECK(r.submit() == 1);
            return take_cqe(r);
        };

        CHECK_CQE(read_index0(0xcccccccc), 0xccccccccu, 128, 0);
        CHECK(all_bytes(buffer, sizeof(buffer), 0));

        // A non-zero offset: clear index 1 only; index 0 still reads.
        registered_fds[0] = -1;
        registered_fds[1] = -1;
        CHECK(rawring::register_files_update(r, 1, &registered_fds[1], 1) == 1);
        CHECK_CQE(read_index0(0xcccccccc), 0xccccccccu, 128, 0);
        CHECK(all_bytes(buffer, sizeof(buffer), 0));

        // Both sparse now: the fixed read fails with -EBADF.
        CHECK(rawring::register_files_update(r, 0, registered_fds, 2) == 2);
        const io_uring_cqe cqe = read_index0(0xcccccccc);
        CHECK(cqe.user_data == 0xcccccccc);
        CHECK(cqe.res == -EBADF);
        CHECK(all_bytes(buffer, sizeof(buffer), 42));

        CHECK(rawring::unregister_files(r) == 0);
    });
}

TEST_CASE("zig: renameat") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* old_path = "test_io_uring_renameat_old";
        const char* new_path = "test_io_uring_renameat_new";
        (void)tmp.create(old_path, "hello");

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_renameat(sqe, tmp.fd, old_path, tmp.fd, new_path, 0);
        rawring::sqe_set_data64(sqe, 0x12121212);
        CHECK(sqe->opcode == abi::IORING_OP_RENAMEAT);
        CHECK(sqe->fd == tmp.fd.fd);
        CHECK(static_cast<int>(sqe->len) == tmp.fd.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0x12121212u, 0, 0);
        struct stat st{};
        CHECK(tmp.stat(old_path, &st) == -ENOENT);
        CHECK(tmp.read(new_path) == "hello");
    });
}

TEST_CASE("zig: unlinkat") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* path = "test_io_uring_unlinkat";
        (void)tmp.create(path);

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_unlinkat(sqe, tmp.fd, path, 0);
        rawring::sqe_set_data64(sqe, 0x12121212);
        CHECK(sqe->opcode == abi::IORING_OP_UNLINKAT);
        CHECK(sqe->fd == tmp.fd.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0x12121212u, 0, 0);
        struct stat st{};
        CHECK(tmp.stat(path, &st) == -ENOENT);
    });
}

TEST_CASE("zig: mkdirat") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* path = "test_io_uring_mkdirat";

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_mkdirat(sqe, tmp.fd, path, 0755);
        rawring::sqe_set_data64(sqe, 0x12121212);
        CHECK(sqe->opcode == abi::IORING_OP_MKDIRAT);
        CHECK(sqe->fd == tmp.fd.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0x12121212u, 0, 0);
        struct stat st{};
        REQUIRE(tmp.stat(path, &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        owned_fd dir(::openat(tmp.fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        CHECK(dir >= 0);
    });
}

TEST_CASE("zig: symlinkat") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* path = "test_io_uring_symlinkat";
        const char* link_path = "test_io_uring_symlinkat_link";
        (void)tmp.create(path, "target");

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_symlinkat(sqe, path, tmp.fd, link_path);
        rawring::sqe_set_data64(sqe, 0x12121212);
        CHECK(sqe->opcode == abi::IORING_OP_SYMLINKAT);
        CHECK(sqe->fd == tmp.fd.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0x12121212u, 0, 0);
        struct stat st{};
        REQUIRE(tmp.stat(link_path, &st) == 0);
        CHECK(S_ISLNK(st.st_mode));
        char target[64] = {};
        CHECK(::readlinkat(tmp.fd, link_path, target, sizeof(target) - 1) ==
              static_cast<ssize_t>(std::strlen(path)));
        CHECK(std::string(target) == path);
        CHECK(tmp.read(link_path) == "target");  // it opens, through the link
    });
}

TEST_CASE("zig: linkat") {
    on_zig_rings(1, [](rawring::ring& r) {
        temp_dir tmp;
        const char* first_path = "test_io_uring_linkat_first";
        const char* second_path = "test_io_uring_linkat_second";
        (void)tmp.create(first_path, "hello");

        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_linkat(sqe, tmp.fd, first_path, tmp.fd, second_path, 0);
        rawring::sqe_set_data64(sqe, 0x12121212);
        CHECK(sqe->opcode == abi::IORING_OP_LINKAT);
        CHECK(sqe->fd == tmp.fd.fd);
        CHECK(static_cast<int>(sqe->len) == tmp.fd.fd);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0x12121212u, 0, 0);
        CHECK(tmp.read(second_path) == "hello");
        struct stat st{};
        REQUIRE(tmp.stat(first_path, &st) == 0);
        CHECK(st.st_nlink == 2);
    });
}

TEST_CASE("zig: provide_buffers: read") {
    on_zig_rings(1, [](rawring::ring& r) {
        owned_fd fd = open_dev_zero();
        constexpr int group_id = 1337;
        constexpr int first_buffer_id = 0;
        constexpr unsigned buffer_len = 128;
        unsigned char buffers[4][buffer_len];
        std::memset(buffers, 42, sizeof(buffers));

        provide(r, 0xcccccccc, buffers, buffer_len, 4, group_id, first_buffer_id);

        // Four reads take the four buffers, in some order, each once.
        bool used[4] = {};
        for (int i = 0; i < 4; ++i) {
            io_uring_sqe* sqe = read_selected(r, 0xdededede, fd, buffer_len, group_id);
            CHECK(sqe->opcode == abi::IORING_OP_READ);
            CHECK(sqe->fd == fd.fd);
            CHECK(sqe->addr == 0);
            CHECK(sqe->len == buffer_len);
            CHECK(sqe->buf_group == group_id);
            CHECK(sqe->flags == abi::IOSQE_BUFFER_SELECT);
            CHECK(r.submit() == 1);

            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 0xdededede);
            CHECK(cqe.res == static_cast<int>(buffer_len));
            const unsigned bid = buffer_id(cqe);
            REQUIRE(bid <= 3);
            CHECK_FALSE(used[bid]);
            used[bid] = true;
            CHECK(all_bytes(buffers[bid], buffer_len, 0));
        }

        // The group is empty: the next read fails.
        {
            io_uring_sqe* sqe = read_selected(r, 0xdfdfdfdf, fd, buffer_len, group_id);
            CHECK(sqe->opcode == abi::IORING_OP_READ);
            CHECK(sqe->fd == fd.fd);
            CHECK(sqe->addr == 0);
            CHECK(sqe->len == buffer_len);
            CHECK(sqe->buf_group == group_id);
            CHECK(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 0xdfdfdfdf);
            CHECK(cqe.res == -ENOBUFS);
            CHECK((cqe.flags & abi::IORING_CQE_F_BUFFER) == 0);
            CHECK(rawring::cqe_buffer_id(cqe) == -ENOBUFS);  // Zig: error.NoBufferSelected
        }

        // Provide buffer 2 again (filled with what a read must overwrite); the read takes it.
        std::memset(buffers, 42, sizeof(buffers));
        constexpr int reprovided_buffer_id = 2;
        provide(r, 0xabababab, buffers[reprovided_buffer_id], buffer_len, 1, group_id,
                reprovided_buffer_id);
        {
            io_uring_sqe* sqe = read_selected(r, 0xdfdfdfdf, fd, buffer_len, group_id);
            CHECK(sqe->opcode == abi::IORING_OP_READ);
            CHECK(sqe->buf_group == group_id);
            CHECK(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 0xdfdfdfdf);
            CHECK(cqe.res == static_cast<int>(buffer_len));
            CHECK(buffer_id(cqe) == static_cast<unsigned>(reprovided_buffer_id));
            CHECK(all_bytes(buffers[reprovided_buffer_id], buffer_len, 0));
            CHECK(all_bytes(buffers[0], buffer_len, 42));
        }
    });
}

TEST_CASE("zig: remove_buffers") {
    on_zig_rings(1, [](rawring::ring& r) {
        owned_fd fd = open_dev_zero();
        constexpr int group_id = 1337;
        constexpr unsigned buffer_len = 128;
        unsigned char buffers[4][buffer_len];
        std::memset(buffers, 42, sizeof(buffers));

        provide(r, 0xcccccccc, buffers, buffer_len, 4, group_id, 0);

        // Remove 3 of the 4; the kernel answers with how many it removed.
        {
            io_uring_sqe* sqe = next_sqe(r);
            rawring::prep_remove_buffers(sqe, 3, group_id);
            rawring::sqe_set_data64(sqe, 0xbababababa);
            CHECK(sqe->opcode == abi::IORING_OP_REMOVE_BUFFERS);
            CHECK(sqe->fd == 3);
            CHECK(sqe->addr == 0);
            CHECK(sqe->buf_group == group_id);
            CHECK(r.submit() == 1);
            CHECK_CQE(take_cqe(r), 0xbababababau, 3, 0);
        }

        // One read still gets a buffer...
        {
            (void)read_selected(r, 0xdfdfdfdf, fd, buffer_len, group_id);
            CHECK(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 0xdfdfdfdf);
            CHECK(cqe.res == static_cast<int>(buffer_len));
            const unsigned bid = buffer_id(cqe);
            REQUIRE(bid < 4);
            CHECK(all_bytes(buffers[bid], buffer_len, 0));
        }

        // ...and the next finds the group empty.
        {
            (void)read_selected(r, 0xdfdfdfdf, fd, buffer_len, group_id);
            CHECK(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 0xdfdfdfdf);
            CHECK(cqe.res == -ENOBUFS);
        }
    });
}

TEST_CASE("zig: openat_direct/close_direct") {
    on_zig_rings(2, [](rawring::ring& r) {
        if (!rawring::get_probe(r).supported(abi::IORING_OP_OPENAT)) {
            RAWRING_SKIP("the probe lacks IORING_OP_OPENAT");
            return;
        }
        const int registered_fds[3] = {-1, -1, -1};
        REQUIRE(rawring::register_files(r, registered_fds, 3) == 0);

        temp_dir tmp;
        const char* path = "test_io_uring_close_direct";
        const int flags = O_RDWR | O_CREAT;
        const unsigned mode = 0666;
        constexpr std::uint64_t user_data = 0;

        const auto open_direct = [&](unsigned file_index) {
            io_uring_sqe* sqe = next_sqe(r);
            rawring::prep_openat_direct(sqe, tmp.fd, path, flags, mode, file_index);
            rawring::sqe_set_data64(sqe, user_data);
            CHECK(sqe->opcode == abi::IORING_OP_OPENAT);
            CHECK(sqe->file_index ==
                  (file_index == abi::IORING_FILE_INDEX_ALLOC ? file_index : file_index + 1));
            CHECK(r.submit() == 1);
            return take_cqe(r);
        };

        // Into slot 0, then slot 1: res is 0 when the slot is named.
        CHECK_CQE(open_direct(0), user_data, 0, 0);
        CHECK_CQE(open_direct(1), user_data, 0, 0);
        // The kernel picks the free slot (2) and answers with it.
        CHECK_CQE(open_direct(abi::IORING_FILE_INDEX_ALLOC), user_data, 2, 0);
        struct stat st{};
        CHECK(tmp.stat(path, &st) == 0);

        for (unsigned fd_index = 0; fd_index < 3; ++fd_index) {
            io_uring_sqe* sqe = next_sqe(r);
            rawring::prep_close_direct(sqe, fd_index);
            rawring::sqe_set_data64(sqe, user_data);
            CHECK(sqe->opcode == abi::IORING_OP_CLOSE);
            CHECK(sqe->file_index == fd_index + 1);
            CHECK(r.submit() == 1);
            CHECK_CQE(take_cqe(r), user_data, 0, 0);
        }
        // The slots are empty again: closing one more time fails.
        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_close_direct(sqe, 0);
        CHECK(r.submit() == 1);
        CHECK(take_cqe(r).res == -EBADF);

        CHECK(rawring::unregister_files(r) == 0);
    });
}

TEST_CASE("zig: waitid") {
    on_zig_rings(16, [](rawring::ring& r) {
        if (!rawring::get_probe(r).supported(abi::IORING_OP_WAITID)) {
            RAWRING_SKIP("the probe lacks IORING_OP_WAITID (Linux 6.7)");
            return;
        }
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) ::_exit(7);

        siginfo_t info;
        std::memset(&info, 0, sizeof(info));
        io_uring_sqe* sqe = next_sqe(r);
        rawring::prep_waitid(sqe, P_PID, static_cast<id_t>(pid), &info, WEXITED, 0);
        rawring::sqe_set_data64(sqe, 0);
        CHECK(sqe->opcode == abi::IORING_OP_WAITID);
        CHECK(r.submit() == 1);

        CHECK_CQE(take_cqe(r), 0u, 0, 0);
        CHECK(info.si_pid == pid);
        CHECK(info.si_code == CLD_EXITED);
        CHECK(info.si_status == 7);
        // The child is reaped: nothing is left to wait for.
        CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
    });
}

} // TEST_SUITE
