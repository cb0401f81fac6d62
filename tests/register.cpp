// SPDX-License-Identifier: MIT
// Kernel tests of every io_uring_register op rawring wraps (one `register: <NAME>` case per op,
// each with its unregister twin), except the provided-buffer-ring ops (tests/buf_ring.cpp).
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"
#include "net.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;

namespace {

/// Submits what is queued and returns the next CQE.
io_uring_cqe submit_and_reap(rawring::ring& r) {
    REQUIRE(r.submit() >= 0);
    return reap(r);
}

/// The next SQE (the case fails on a full SQ), with `data` as user_data.
io_uring_sqe* sqe_with(rawring::ring& r, std::uint64_t data) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::sqe_set_data64(sqe, data);
    return sqe;
}

/// A NOP carrying `data`, submitted and reaped: its res.
int nop_res(rawring::ring& r, std::uint64_t data, unsigned sqe_flags = 0,
            std::uint16_t personality = 0) {
    io_uring_sqe* sqe = sqe_with(r, data);
    rawring::prep_nop(sqe);
    rawring::sqe_set_data64(sqe, data);
    rawring::sqe_set_flags(sqe, sqe_flags);
    sqe->personality = personality;
    const io_uring_cqe cqe = submit_and_reap(r);
    CHECK(cqe.user_data == data);
    return cqe.res;
}

/// Reaps `n` CQEs and returns their user_data values, sorted.
std::vector<std::uint64_t> reap_user_data(rawring::ring& r, unsigned n) {
    std::vector<std::uint64_t> out;
    for (unsigned i = 0; i < n; ++i) {
        const io_uring_cqe cqe = reap(r);
        CHECK(cqe.res == 0);
        out.push_back(cqe.user_data);
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// The tag CQEs (sorted user_data) a whole tagged table posts when it is unregistered; empty if
/// none arrives within 2 s, which is how a kernel that posts tags only for the slots an update
/// replaces (6.1 does; 6.18 posts them on unregister too) answers. The caller then checks the
/// registered tags through updates instead and says SKIP.
std::vector<std::uint64_t> unregister_tags(rawring::ring& r, unsigned n) {
    const abi::kernel_timespec patience = ms(2000);
    io_uring_cqe* cqe = nullptr;
    const int ret = r.wait_cqe_timeout(&cqe, &patience);
    if (ret == -ETIME) return {};
    REQUIRE(ret == 0);
    return reap_user_data(r, n);
}

/// A write of `len` bytes through fixed-file slot `slot`; returns res.
int fixed_write(rawring::ring& r, int slot, const void* buf, unsigned len) {
    io_uring_sqe* sqe = sqe_with(r, 0);
    rawring::prep_write(sqe, slot, buf, len, ~std::uint64_t{0});
    rawring::sqe_set_flags(sqe, abi::IOSQE_FIXED_FILE);
    rawring::sqe_set_data64(sqe, 0xf1);
    return submit_and_reap(r).res;
}

/// A read of up to `len` bytes through fixed-file slot `slot`; returns res.
int fixed_read(rawring::ring& r, int slot, void* buf, unsigned len) {
    io_uring_sqe* sqe = sqe_with(r, 0);
    rawring::prep_read(sqe, slot, buf, len, ~std::uint64_t{0});
    rawring::sqe_set_flags(sqe, abi::IOSQE_FIXED_FILE);
    rawring::sqe_set_data64(sqe, 0xf2);
    return submit_and_reap(r).res;
}

/// A READ_FIXED / WRITE_FIXED at file offset `off`; returns res.
int rw_fixed(rawring::ring& r, bool write, int fd, void* buf, unsigned len, std::uint64_t off,
             int buf_index) {
    io_uring_sqe* sqe = sqe_with(r, 0);
    if (write)
        rawring::prep_write_fixed(sqe, fd, buf, len, off, buf_index);
    else
        rawring::prep_read_fixed(sqe, fd, buf, len, off, buf_index);
    rawring::sqe_set_data64(sqe, 0xb0);
    return submit_and_reap(r).res;
}

void fill_pattern(unsigned char* p, std::size_t n, unsigned seed) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>('A' + (i + seed) % 26);
}

/// The file's bytes [off, off + n).
std::string file_bytes(int fd, std::size_t n, off_t off) {
    std::string s(n, '\0');
    const ssize_t got = ::pread(fd, s.data(), n, off);
    REQUIRE(got >= 0);
    s.resize(static_cast<std::size_t>(got));
    return s;
}


/// Whether the eventfd counter becomes readable within `ms`; if so returns its value (else 0).
std::uint64_t eventfd_count(int efd, int ms) {
    pollfd pfd{efd, POLLIN, 0};
    if (::poll(&pfd, 1, ms) != 1) return 0;
    std::uint64_t v = 0;
    REQUIRE(::read(efd, &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v)));
    return v;
}

/// Lowers the RLIMIT_NOFILE soft limit for a scope, then puts it back.
struct nofile_soft_limit {
    rlimit saved{};
    bool ok = false;
    explicit nofile_soft_limit(rlim_t soft) {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
        rlimit lim = saved;
        lim.rlim_cur = soft;
        ok = ::setrlimit(RLIMIT_NOFILE, &lim) == 0;
    }
    ~nofile_soft_limit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
    static rlimit now() {
        rlimit lim{};
        ::getrlimit(RLIMIT_NOFILE, &lim);
        return lim;
    }
};

} // namespace

TEST_SUITE("kernel") {

// ---- buffers -------------------------------------------------------------------------------------

TEST_CASE("register: BUFFERS") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    const std::size_t ps = page_size();
    mapping mem(2 * ps);
    iovec iov[2] = {{mem.bytes(), ps}, {mem.bytes() + ps, ps}};

    // Nothing registered yet, and bad tables.
    CHECK(rawring::unregister_buffers(r) == -ENXIO);
    CHECK(rawring::register_buffers(r, nullptr, 1) == -EFAULT);  // the kernel checks arg first
    CHECK(rawring::register_buffers(r, iov, 0) == -EINVAL);
    iovec too_long{mem.bytes(), (std::size_t{1} << 30) + 1};  // above the kernel's 1 GiB cap
    CHECK(rawring::register_buffers(r, &too_long, 1) == -EFAULT);
    rawring::ring closed;
    CHECK(rawring::register_buffers(closed, iov, 2) == -EBADF);

    REQUIRE(rawring::register_buffers(r, iov, 2) == 0);
    CHECK(rawring::register_buffers(r, iov, 2) == -EBUSY);

    // WRITE_FIXED from buffer 0, READ_FIXED back into buffer 1.
    temp_file f;
    fill_pattern(mem.bytes(), ps, 0);
    CHECK(rw_fixed(r, true, f.fd, mem.bytes(), static_cast<unsigned>(ps), 0, 0) == static_cast<int>(ps));
    CHECK(file_bytes(f.fd, ps, 0) == std::string(reinterpret_cast<char*>(mem.bytes()), ps));
    std::memset(mem.bytes() + ps, 0, ps);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes() + ps, static_cast<unsigned>(ps), 0, 1) == static_cast<int>(ps));
    CHECK(std::memcmp(mem.bytes(), mem.bytes() + ps, ps) == 0);
    // A partial read at an offset inside the buffer.
    CHECK(rw_fixed(r, false, f.fd, mem.bytes() + ps + 100, 50, 10, 1) == 50);
    CHECK(std::memcmp(mem.bytes() + ps + 100, mem.bytes() + 10, 50) == 0);

    // The address must lie inside the named buffer, and the index must exist.
    CHECK(rw_fixed(r, false, f.fd, mem.bytes() + ps, 16, 0, 0) == -EFAULT);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes(), 16, 0, 5) == -EFAULT);

    // READV_FIXED: iovecs that all lie inside registered buffer 1.
    if (rawring::get_probe(r).supported(abi::IORING_OP_READV_FIXED)) {
        std::memset(mem.bytes() + ps, 0, ps);
        iovec parts[2] = {{mem.bytes() + ps + 1000, 300}, {mem.bytes() + ps, 200}};
        io_uring_sqe* sqe = sqe_with(r, 0);
        rawring::prep_readv_fixed(sqe, f.fd, parts, 2, 0, 0, 1);
        rawring::sqe_set_data64(sqe, 0x77);
        const io_uring_cqe cqe = submit_and_reap(r);
        CHECK(cqe.user_data == 0x77);
        CHECK(cqe.res == 500);
        CHECK(std::memcmp(mem.bytes() + ps + 1000, mem.bytes(), 300) == 0);
        CHECK(std::memcmp(mem.bytes() + ps, mem.bytes() + 300, 200) == 0);
        // An iovec outside the buffer.
        iovec outside[1] = {{mem.bytes(), 10}};
        sqe = sqe_with(r, 0);
        rawring::prep_readv_fixed(sqe, f.fd, outside, 1, 0, 0, 1);
        CHECK(submit_and_reap(r).res == -EFAULT);
    } else {
        MESSAGE("SKIP: READV_FIXED (Linux 6.15) is not in this kernel's probe; READ_FIXED and WRITE_FIXED were checked");
    }

    CHECK(rawring::unregister_buffers(r) == 0);
    CHECK(rawring::unregister_buffers(r) == -ENXIO);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes(), 16, 0, 0) == -EFAULT);  // no buffers any more
    // A fresh table can be registered again.
    CHECK(rawring::register_buffers(r, iov, 1) == 0);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes(), 16, 0, 0) == 16);
}

TEST_CASE("register: BUFFERS2") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    const std::size_t ps = page_size();
    mapping mem(2 * ps);
    iovec iov[2] = {{mem.bytes(), ps}, {mem.bytes() + ps, ps}};
    temp_file f(std::string(64, 'x'));

    // Sparse: the slots exist but hold nothing.
    CHECK(rawring::register_buffers_sparse(r, 0) == -EINVAL);
    REQUIRE(rawring::register_buffers_sparse(r, 4) == 0);
    CHECK(rawring::register_buffers_sparse(r, 4) == -EBUSY);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes(), 16, 0, 0) == -EFAULT);
    CHECK(rawring::unregister_buffers(r) == 0);

    // Tagged: each tag comes back as a CQE (res 0) once its buffer is unregistered.
    const std::uint64_t tags[2] = {0x100, 0x200};
    iovec with_empty[2] = {{mem.bytes(), ps}, {nullptr, 0}};
    const std::uint64_t tag_on_empty[2] = {0, 7};
    CHECK(rawring::register_buffers_tags(r, with_empty, tag_on_empty, 2) == -EINVAL);
    REQUIRE(rawring::register_buffers_tags(r, iov, tags, 2) == 0);
    CHECK(rawring::register_buffers_tags(r, iov, tags, 2) == -EBUSY);
    CHECK(r.cq_ready() == 0);  // nothing released yet
    CHECK(rw_fixed(r, false, f.fd, mem.bytes() + ps, 64, 0, 1) == 64);
    CHECK(std::string(reinterpret_cast<char*>(mem.bytes() + ps), 64) == std::string(64, 'x'));
    REQUIRE(rawring::unregister_buffers(r) == 0);
    if (const std::vector<std::uint64_t> released = unregister_tags(r, 2); !released.empty()) {
        CHECK(released == std::vector<std::uint64_t>{0x100, 0x200});
    } else {
        // Emptying both slots by an update releases them, and so posts the registered tags.
        REQUIRE(rawring::register_buffers_tags(r, iov, tags, 2) == 0);
        iovec none[2] = {{nullptr, 0}, {nullptr, 0}};
        CHECK(rawring::register_buffers_update_tag(r, 0, none, nullptr, 2) == 2);
        CHECK(reap_user_data(r, 2) == std::vector<std::uint64_t>{0x100, 0x200});
        REQUIRE(rawring::unregister_buffers(r) == 0);
        RAWRING_SKIP("the kernel posts no tag CQE for a buffer table unregistered whole; the "
                     "registered tags were checked through an update instead");
    }

    // Untagged (tags nullptr) posts nothing on unregister; an empty slot is allowed untagged.
    REQUIRE(rawring::register_buffers_tags(r, with_empty, nullptr, 2) == 0);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes(), 8, 0, 0) == 8);
    CHECK(rw_fixed(r, false, f.fd, mem.bytes(), 8, 0, 1) == -EFAULT);
    REQUIRE(rawring::unregister_buffers(r) == 0);
    CHECK(nop_res(r, 1) == 0);  // the only CQE is the NOP's
    CHECK(r.cq_ready() == 0);
}

TEST_CASE("register: BUFFERS_UPDATE") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    const std::size_t ps = page_size();
    mapping mem(2 * ps);
    iovec a{mem.bytes(), ps};
    iovec b{mem.bytes() + ps, ps};
    iovec none{nullptr, 0};
    temp_file f(std::string(32, 'u'));

    CHECK(rawring::register_buffers_update_tag(r, 0, &a, nullptr, 1) == -ENXIO);  // no table
    REQUIRE(rawring::register_buffers_sparse(r, 4) == 0);

    const std::uint64_t tag1 = 0x11;
    const std::uint64_t tag2 = 0x22;
    CHECK(rawring::register_buffers_update_tag(r, 1, &a, &tag1, 1) == 1);
    CHECK(rw_fixed(r, false, f.fd, a.iov_base, 32, 0, 1) == 32);
    CHECK(std::memcmp(a.iov_base, std::string(32, 'u').data(), 32) == 0);
    // Replacing slot 1 releases buffer a: its tag arrives.
    CHECK(rawring::register_buffers_update_tag(r, 1, &b, &tag2, 1) == 1);
    CHECK(reap_user_data(r, 1) == std::vector<std::uint64_t>{tag1});
    CHECK(rw_fixed(r, false, f.fd, a.iov_base, 16, 0, 1) == -EFAULT);  // a is no longer slot 1
    CHECK(rw_fixed(r, false, f.fd, b.iov_base, 16, 0, 1) == 16);
    // Emptying the slot releases b.
    CHECK(rawring::register_buffers_update_tag(r, 1, &none, nullptr, 1) == 1);
    CHECK(reap_user_data(r, 1) == std::vector<std::uint64_t>{tag2});
    CHECK(rw_fixed(r, false, f.fd, b.iov_base, 16, 0, 1) == -EFAULT);

    // Several slots at once, and the errors.
    iovec both[2] = {a, b};
    const std::uint64_t tags[2] = {0x31, 0x32};
    CHECK(rawring::register_buffers_update_tag(r, 2, both, tags, 2) == 2);
    CHECK(rawring::register_buffers_update_tag(r, 3, both, nullptr, 2) == -EINVAL);  // past slot 3
    CHECK(rawring::register_buffers_update_tag(r, 0, both, nullptr, 0) == -EINVAL);  // nr 0
    CHECK(rawring::register_buffers_update_tag(r, 0, &none, &tag1, 1) == -EINVAL);   // tag, no buffer
    CHECK(rawring::unregister_buffers(r) == 0);
    if (const std::vector<std::uint64_t> released = unregister_tags(r, 2); !released.empty()) {
        CHECK(released == std::vector<std::uint64_t>{0x31, 0x32});
    } else {
        // The same table again, and its tags released by emptying the slots.
        REQUIRE(rawring::register_buffers_sparse(r, 4) == 0);
        CHECK(rawring::register_buffers_update_tag(r, 2, both, tags, 2) == 2);
        iovec empty[2] = {none, none};
        CHECK(rawring::register_buffers_update_tag(r, 2, empty, nullptr, 2) == 2);
        CHECK(reap_user_data(r, 2) == std::vector<std::uint64_t>{0x31, 0x32});
        CHECK(rawring::unregister_buffers(r) == 0);
        RAWRING_SKIP("the kernel posts no tag CQE for a buffer table unregistered whole; the "
                     "updated slots' tags were checked by emptying them instead");
    }
}

TEST_CASE("register: CLONE_BUFFERS") {
    const std::size_t ps = page_size();
    mapping mem(2 * ps);
    iovec iov[2] = {{mem.bytes(), ps}, {mem.bytes() + ps, ps}};
    temp_file f(std::string(ps, 'c'));
    rawring::ring src, dst;
    REQUIRE(src.init(4) == 0);
    REQUIRE(dst.init(4) == 0);

    if (!kernel_knows_register_op(abi::IORING_REGISTER_CLONE_BUFFERS)) {
        CHECK(rawring::clone_buffers(dst, src) == -EINVAL);  // the kernel's answer to an unknown op
        RAWRING_SKIP("the kernel does not know IORING_REGISTER_CLONE_BUFFERS (Linux 6.12)");
        return;
    }
    CHECK(rawring::clone_buffers(dst, src) == -ENXIO);  // src has no buffers
    REQUIRE(rawring::register_buffers(src, iov, 2) == 0);
    const int ret = rawring::clone_buffers(dst, src);
    if (ret == -EINVAL && !kernel_knows_register_op(abi::IORING_REGISTER_CLONE_BUFFERS)) {
        RAWRING_SKIP("IORING_REGISTER_CLONE_BUFFERS needs Linux 6.12");
        return;
    }
    REQUIRE(ret == 0);
    // dst reads through the cloned buffers without registering anything itself.
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes() + ps, 64, 0, 1) == 64);
    CHECK(std::string(reinterpret_cast<char*>(mem.bytes() + ps), 64) == std::string(64, 'c'));
    CHECK(rawring::clone_buffers(dst, src) == -EBUSY);  // dst has buffers now
    CHECK(rawring::clone_buffers_flags(dst, src, abi::IORING_REGISTER_DST_REPLACE) == 0);
    CHECK(rawring::clone_buffers_flags(dst, src, 1u << 7) == -EINVAL);  // unknown flag

    // The buffers are shared: dropping them from src leaves dst's copy working.
    CHECK(rawring::unregister_buffers(src) == 0);
    std::memset(mem.bytes(), 0, 64);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes(), 64, 0, 0) == 64);
    CHECK(mem.bytes()[63] == 'c');
    CHECK(rw_fixed(src, false, f.fd, mem.bytes(), 64, 0, 0) == -EFAULT);
    CHECK(rawring::unregister_buffers(dst) == 0);
    CHECK(rawring::unregister_buffers(dst) == -ENXIO);

    // Offsets: src slot 1 into dst slot 2 (dst grows to 3 slots; 0 and 1 stay empty).
    REQUIRE(rawring::register_buffers(src, iov, 2) == 0);
    CHECK(rawring::clone_buffers_offset(dst, src, 2, 0, 0, 0) == -EINVAL);  // offsets without nr
    CHECK(rawring::clone_buffers_offset(dst, src, 0, 0, 3, 0) == -EINVAL);  // more than src has
    CHECK(rawring::clone_buffers_offset(dst, src, 0, 2, 1, 0) == -EOVERFLOW);  // past src's end
    REQUIRE(rawring::clone_buffers_offset(dst, src, 2, 1, 1, 0) == 0);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes() + ps, 32, 0, 2) == 32);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes(), 32, 0, 0) == -EFAULT);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes() + ps, 32, 0, 1) == -EFAULT);
    // Replace only slot 0 with src's buffer 0; slot 2 is kept.
    CHECK(rawring::clone_buffers_offset_flags(dst, src, 0, 0, 1, abi::IORING_REGISTER_DST_REPLACE) == 0);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes(), 32, 0, 0) == 32);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes() + ps, 32, 0, 2) == 32);
    CHECK(rawring::unregister_buffers(dst) == 0);

    // A src reached only through its registered index (its fd closed): SRC_REGISTERED is used.
    REQUIRE(src.register_ring_fd() == 1);
    REQUIRE(src.close_ring_fd() == 1);
    REQUIRE(src.fd() == -1);
    CHECK(rawring::clone_buffers(dst, src) == 0);
    CHECK(rw_fixed(dst, false, f.fd, mem.bytes(), 16, 0, 0) == 16);
    // Without SRC_REGISTERED there is no fd to name src by: the kernel gets -1.
    CHECK(rawring::clone_buffers_offset_flags(dst, src, 0, 0, 0, abi::IORING_REGISTER_DST_REPLACE) == -EBADF);
    rawring::ring closed;
    CHECK(rawring::clone_buffers(dst, closed) == -EBADF);
}

// ---- files ---------------------------------------------------------------------------------------

TEST_CASE("register: FILES") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    CHECK(rawring::unregister_files(r) == -ENXIO);
    CHECK(rawring::register_files(r, nullptr, 1) == -EFAULT);
    int one = -1;
    CHECK(rawring::register_files(r, &one, 0) == -EINVAL);
    const int ring_fd = r.fd();
    CHECK(rawring::register_files(r, &ring_fd, 1) == -EBADF);  // io_uring fds are refused
    const int bad = 1 << 20;
    CHECK(rawring::register_files(r, &bad, 1) == -EBADF);

    pipe_pair p;
    const int fds[3] = {p.read_end, p.write_end, -1};
    REQUIRE(rawring::register_files(r, fds, 3) == 0);
    CHECK(rawring::register_files(r, fds, 3) == -EBUSY);
    // The table holds its own references: close our fds and go through the slots only.
    p.read_end.reset();
    p.write_end.reset();
    CHECK(fixed_write(r, 1, "through slot 1", 14) == 14);
    char buf[32] = {};
    CHECK(fixed_read(r, 0, buf, sizeof(buf)) == 14);
    CHECK(std::string(buf, 14) == "through slot 1");
    CHECK(fixed_write(r, 2, "x", 1) == -EBADF);   // empty slot
    CHECK(fixed_write(r, 9, "x", 1) == -EBADF);   // past the table

    CHECK(rawring::unregister_files(r) == 0);
    CHECK(rawring::unregister_files(r) == -ENXIO);
    CHECK(fixed_write(r, 1, "x", 1) == -EBADF);

    // -EMFILE retry: a table larger than the RLIMIT_NOFILE soft limit gets the soft limit raised.
    {
        nofile_soft_limit low(64);
        if (!low.ok || low.saved.rlim_max < 256) {
            MESSAGE("SKIP: cannot set RLIMIT_NOFILE's soft limit to 64 under a hard limit of 256+");
        } else {
            std::vector<int> empty(128, -1);
            CHECK(rawring::register_files(r, empty.data(), 128) == 0);
            CHECK(nofile_soft_limit::now().rlim_cur >= 128);
            CHECK(nofile_soft_limit::now().rlim_max == low.saved.rlim_max);
            CHECK(rawring::unregister_files(r) == 0);
            // Above the hard limit (or the kernel's 1 << 20 cap) no raise helps: -EMFILE stays.
            const rlim_t hard = low.saved.rlim_max;
            const unsigned too_many =
                hard < (rlim_t{1} << 20) ? static_cast<unsigned>(hard) + 1 : (1u << 20) + 1;
            std::vector<int> many(too_many, -1);
            CHECK(rawring::register_files(r, many.data(), too_many) == -EMFILE);
        }
    }
}

TEST_CASE("register: FILES_UPDATE") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_pair p;
    const int wfd = p.write_end;
    CHECK(rawring::register_files_update(r, 0, &wfd, 1) == -ENXIO);  // no table
    const int empty[3] = {-1, -1, -1};
    REQUIRE(rawring::register_files(r, empty, 3) == 0);

    CHECK(rawring::register_files_update(r, 1, &wfd, 1) == 1);
    CHECK(fixed_write(r, 1, "upd", 3) == 3);
    char buf[8] = {};
    CHECK(::read(p.read_end, buf, sizeof(buf)) == 3);
    CHECK(std::string(buf, 3) == "upd");

    // SKIP leaves slot 0 alone, -1 empties slot 1.
    const int skip_clear[2] = {abi::IORING_REGISTER_FILES_SKIP, -1};
    CHECK(rawring::register_files_update(r, 0, skip_clear, 2) == 2);
    CHECK(fixed_write(r, 1, "x", 1) == -EBADF);
    CHECK(fixed_write(r, 0, "x", 1) == -EBADF);

    const int two[2] = {p.read_end, p.write_end};
    CHECK(rawring::register_files_update(r, 2, two, 2) == -EINVAL);  // runs past slot 2
    CHECK(rawring::register_files_update(r, 0, two, 0) == -EINVAL);  // nr 0
    const int bad = 1 << 20;
    CHECK(rawring::register_files_update(r, 0, &bad, 1) == -EBADF);
    CHECK(rawring::register_files_update(r, 0, two, 2) == 2);
    CHECK(fixed_write(r, 1, "ab", 2) == 2);
    CHECK(fixed_read(r, 0, buf, sizeof(buf)) == 2);
    CHECK(std::string(buf, 2) == "ab");
    CHECK(rawring::unregister_files(r) == 0);
    CHECK(rawring::register_files_update(r, 0, two, 1) == -ENXIO);
}

TEST_CASE("register: FILES2") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_pair p;
    const int fds[2] = {p.read_end, p.write_end};
    const std::uint64_t tags[2] = {0xa1, 0xa2};

    const int with_empty[2] = {p.read_end, -1};
    const std::uint64_t tag_on_empty[2] = {0, 5};
    CHECK(rawring::register_files_tags(r, with_empty, tag_on_empty, 2) == -EINVAL);
    CHECK(rawring::register_files_tags(r, fds, tags, 0) == -EINVAL);
    REQUIRE(rawring::register_files_tags(r, fds, tags, 2) == 0);
    CHECK(rawring::register_files_tags(r, fds, tags, 2) == -EBUSY);
    CHECK(fixed_write(r, 1, "tagged", 6) == 6);
    char buf[8] = {};
    CHECK(fixed_read(r, 0, buf, sizeof(buf)) == 6);
    CHECK(std::string(buf, 6) == "tagged");
    CHECK(r.cq_ready() == 0);
    REQUIRE(rawring::unregister_files(r) == 0);
    if (const std::vector<std::uint64_t> released = unregister_tags(r, 2); !released.empty()) {
        CHECK(released == std::vector<std::uint64_t>{0xa1, 0xa2});
    } else {
        // Emptying both slots (fd -1) by an update releases them, and posts the tags.
        REQUIRE(rawring::register_files_tags(r, fds, tags, 2) == 0);
        const int none[2] = {-1, -1};
        CHECK(rawring::register_files_update(r, 0, none, 2) == 2);
        CHECK(reap_user_data(r, 2) == std::vector<std::uint64_t>{0xa1, 0xa2});
        REQUIRE(rawring::unregister_files(r) == 0);
        RAWRING_SKIP("the kernel posts no tag CQE for a file table unregistered whole; the "
                     "registered tags were checked through an update instead");
    }

    // Sparse: empty slots to be filled by updates.
    CHECK(rawring::register_files_sparse(r, 0) == -EINVAL);
    REQUIRE(rawring::register_files_sparse(r, 8) == 0);
    CHECK(rawring::register_files_sparse(r, 8) == -EBUSY);
    CHECK(fixed_write(r, 7, "x", 1) == -EBADF);
    CHECK(rawring::register_files_update(r, 7, &fds[1], 1) == 1);
    CHECK(fixed_write(r, 7, "s", 1) == 1);
    CHECK(::read(p.read_end, buf, sizeof(buf)) == 1);
    CHECK(rawring::unregister_files(r) == 0);

    // The -EMFILE retry applies to sparse tables too.
    nofile_soft_limit low(64);
    if (!low.ok || low.saved.rlim_max < 256) {
        MESSAGE("SKIP: cannot set RLIMIT_NOFILE's soft limit to 64 under a hard limit of 256+");
    } else {
        CHECK(rawring::register_files_sparse(r, 200) == 0);
        CHECK(nofile_soft_limit::now().rlim_cur >= 200);
        CHECK(rawring::unregister_files(r) == 0);
    }
}

TEST_CASE("register: FILES_UPDATE2") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_pair p, q;
    const int pw = p.write_end;
    const int qw = q.write_end;
    const std::uint64_t tag_p = 0xb1;
    const std::uint64_t tag_q = 0xb2;
    CHECK(rawring::register_files_update_tag(r, 0, &pw, &tag_p, 1) == -ENXIO);
    REQUIRE(rawring::register_files_sparse(r, 4) == 0);

    CHECK(rawring::register_files_update_tag(r, 0, &pw, &tag_p, 1) == 1);
    CHECK(r.cq_ready() == 0);
    CHECK(fixed_write(r, 0, "to p", 4) == 4);
    char buf[8] = {};
    CHECK(::read(p.read_end, buf, sizeof(buf)) == 4);
    // Replace: p's file is released and its tag arrives; writes now go to q.
    CHECK(rawring::register_files_update_tag(r, 0, &qw, &tag_q, 1) == 1);
    CHECK(reap_user_data(r, 1) == std::vector<std::uint64_t>{tag_p});
    CHECK(fixed_write(r, 0, "to q", 4) == 4);
    CHECK(::read(q.read_end, buf, sizeof(buf)) == 4);
    CHECK(std::string(buf, 4) == "to q");

    // A tag needs a file: -1 and SKIP with a tag are refused.
    const int clear = -1;
    const int skip = abi::IORING_REGISTER_FILES_SKIP;
    CHECK(rawring::register_files_update_tag(r, 1, &clear, &tag_p, 1) == -EINVAL);
    CHECK(rawring::register_files_update_tag(r, 1, &skip, &tag_p, 1) == -EINVAL);
    CHECK(rawring::register_files_update_tag(r, 4, &pw, nullptr, 1) == -EINVAL);  // past the end
    // Untagged clear of slot 0 releases q: its tag arrives.
    CHECK(rawring::register_files_update_tag(r, 0, &clear, nullptr, 1) == 1);
    CHECK(reap_user_data(r, 1) == std::vector<std::uint64_t>{tag_q});
    CHECK(fixed_write(r, 0, "x", 1) == -EBADF);
    CHECK(rawring::unregister_files(r) == 0);
    CHECK(r.cq_ready() == 0);
}

TEST_CASE("register: FILE_ALLOC_RANGE") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    temp_file f("alloc range");
    CHECK(rawring::register_file_alloc_range(r, 0, 1) == -EINVAL);  // no table: every range is past it
    REQUIRE(rawring::register_files_sparse(r, 8) == 0);
    CHECK(rawring::register_file_alloc_range(r, 6, 4) == -EINVAL);  // runs past slot 7
    CHECK(rawring::register_file_alloc_range(r, 0xffffffffu, 2) == -EOVERFLOW);
    REQUIRE(rawring::register_file_alloc_range(r, 2, 3) == 0);

    // Direct opens with IORING_FILE_INDEX_ALLOC land in slots 2..4 and nowhere else.
    std::vector<int> slots;
    for (int i = 0; i < 3; ++i) {
        io_uring_sqe* sqe = sqe_with(r, 0);
        rawring::prep_openat_direct(sqe, AT_FDCWD, f.path.c_str(), O_RDONLY, 0,
                                    abi::IORING_FILE_INDEX_ALLOC);
        rawring::sqe_set_data64(sqe, 0x0a);
        slots.push_back(submit_and_reap(r).res);
    }
    std::sort(slots.begin(), slots.end());
    CHECK(slots == std::vector<int>{2, 3, 4});
    io_uring_sqe* sqe = sqe_with(r, 0);
    rawring::prep_openat_direct(sqe, AT_FDCWD, f.path.c_str(), O_RDONLY, 0, abi::IORING_FILE_INDEX_ALLOC);
    CHECK(submit_and_reap(r).res == -ENFILE);  // the range is full, though slots 0, 1, 5..7 are free
    // The allocated slot really holds the file.
    char buf[16] = {};
    sqe = sqe_with(r, 0);
    rawring::prep_read(sqe, 3, buf, sizeof(buf), 0);
    rawring::sqe_set_flags(sqe, abi::IOSQE_FIXED_FILE);
    CHECK(submit_and_reap(r).res == 11);
    CHECK(std::string(buf, 11) == "alloc range");
    // Unregistering the table resets the range with it.
    CHECK(rawring::unregister_files(r) == 0);
    REQUIRE(rawring::register_files_sparse(r, 2) == 0);
    sqe = sqe_with(r, 0);
    rawring::prep_openat_direct(sqe, AT_FDCWD, f.path.c_str(), O_RDONLY, 0, abi::IORING_FILE_INDEX_ALLOC);
    CHECK(submit_and_reap(r).res == 0);
}

// ---- eventfd -------------------------------------------------------------------------------------

TEST_CASE("register: EVENTFD") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    owned_fd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    REQUIRE(efd >= 0);
    pipe_pair p;
    CHECK(rawring::unregister_eventfd(r) == -ENXIO);
    CHECK(rawring::register_eventfd(r, -1) == -EBADF);
    CHECK(rawring::register_eventfd(r, p.read_end) == -EINVAL);  // not an eventfd

    REQUIRE(rawring::register_eventfd(r, efd) == 0);
    CHECK(rawring::register_eventfd(r, efd) == -EBUSY);
    CHECK(rawring::cq_eventfd_enabled(r));
    CHECK(nop_res(r, 1) == 0);
    CHECK(eventfd_count(efd, 1000) == 1);

    // Disabled through the CQ ring flag: completions no longer signal.
    CHECK(rawring::cq_eventfd_toggle(r, false) == 0);
    CHECK_FALSE(rawring::cq_eventfd_enabled(r));
    CHECK((*r.cq().kflags & abi::IORING_CQ_EVENTFD_DISABLED) != 0);
    CHECK(rawring::cq_eventfd_toggle(r, false) == 0);  // no change asked: fine
    CHECK(nop_res(r, 2) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    CHECK(rawring::cq_eventfd_toggle(r, true) == 0);
    CHECK(rawring::cq_eventfd_enabled(r));
    CHECK((*r.cq().kflags & abi::IORING_CQ_EVENTFD_DISABLED) == 0);
    CHECK(nop_res(r, 3) == 0);
    CHECK(eventfd_count(efd, 1000) == 1);

    CHECK(rawring::unregister_eventfd(r) == 0);
    CHECK(rawring::unregister_eventfd(r) == -ENXIO);
    CHECK(nop_res(r, 4) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    rawring::ring closed;
    CHECK(rawring::cq_eventfd_toggle(closed, false) == -EBADF);
    CHECK(rawring::register_eventfd(closed, efd) == -EBADF);
}

TEST_CASE("register: EVENTFD_ASYNC") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    owned_fd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    REQUIRE(efd >= 0);
    CHECK(rawring::register_eventfd_async(r, -1) == -EBADF);
    REQUIRE(rawring::register_eventfd_async(r, efd) == 0);
    CHECK(rawring::register_eventfd_async(r, efd) == -EBUSY);
    CHECK(rawring::register_eventfd(r, efd) == -EBUSY);  // one eventfd per ring, either kind

    // A NOP completes inline at submission: no signal for an async-only eventfd.
    CHECK(nop_res(r, 1) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    // Forced to an io-wq worker, its completion is asynchronous: signalled.
    CHECK(nop_res(r, 2, abi::IOSQE_ASYNC) == 0);
    CHECK(eventfd_count(efd, 1000) == 1);
    // The CQ flag gates the async eventfd too.
    CHECK(rawring::cq_eventfd_toggle(r, false) == 0);
    CHECK(nop_res(r, 3, abi::IOSQE_ASYNC) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    CHECK(rawring::cq_eventfd_toggle(r, true) == 0);

    CHECK(rawring::unregister_eventfd(r) == 0);
    CHECK(nop_res(r, 4, abi::IOSQE_ASYNC) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    CHECK(rawring::unregister_eventfd(r) == -ENXIO);
}

// ---- probe, personality, restrictions, enable ------------------------------------------------------

TEST_CASE("register: PROBE") {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    const rawring::probe expected = rawring::get_probe(r);
    REQUIRE(expected.status() == 0);

    struct {
        abi::io_uring_probe hdr;
        abi::io_uring_probe_op ops[256];
    } buf{};
    REQUIRE(rawring::register_probe(r, &buf.hdr, 256) == 0);
    CHECK(buf.hdr.last_op == expected.last_op());
    CHECK(buf.hdr.ops_len == expected.last_op() + 1);  // min(256, the kernel's opcode count)
    for (unsigned op = 0; op < buf.hdr.ops_len; ++op) {
        INFO("opcode " << op);
        CHECK(buf.ops[op].op == op);
        CHECK(((buf.ops[op].flags & abi::IO_URING_OP_SUPPORTED) != 0) == expected.supported(op));
    }
    CHECK((buf.ops[abi::IORING_OP_NOP].flags & abi::IO_URING_OP_SUPPORTED) != 0);

    // A short buffer: the kernel fills only what it was given room for.
    struct {
        abi::io_uring_probe hdr;
        abi::io_uring_probe_op ops[4];
    } small{};
    REQUIRE(rawring::register_probe(r, &small.hdr, 4) == 0);
    CHECK(small.hdr.ops_len == 4);
    CHECK(small.hdr.last_op == expected.last_op());
    CHECK(small.ops[3].op == 3);

    // The buffer must come zeroed, nr must not pass 256, and there must be a buffer.
    CHECK(rawring::register_probe(r, &small.hdr, 4) == -EINVAL);  // it holds last run's answer
    buf = {};
    CHECK(rawring::register_probe(r, &buf.hdr, 257) == -EINVAL);
    CHECK(rawring::register_probe(r, nullptr, 4) == -EINVAL);
}

TEST_CASE("register: PERSONALITY") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    const int id = rawring::register_personality(r);
    REQUIRE(id > 0);
    const int id2 = rawring::register_personality(r);
    REQUIRE(id2 > 0);
    CHECK(id2 != id);
    CHECK(nop_res(r, 1, 0, static_cast<std::uint16_t>(id)) == 0);

    // The credentials travel with the id: drop our effective uid, and an open of a 0600 root
    // file fails without the personality and succeeds with it.
    temp_file secret("root only");
    REQUIRE(::fchmod(secret.fd, 0600) == 0);
    if (::geteuid() != 0 || ::seteuid(65534) != 0) {
        MESSAGE("SKIP: the credential check needs root and CAP_SETUID (a NOP with the id was checked)");
    } else {
        struct restore_euid {
            ~restore_euid() { REQUIRE(::seteuid(0) == 0); }
        } restore;
        io_uring_sqe* sqe = sqe_with(r, 0);
        rawring::prep_openat(sqe, AT_FDCWD, secret.path.c_str(), O_RDONLY | O_CLOEXEC, 0);
        CHECK(submit_and_reap(r).res == -EACCES);
        sqe = sqe_with(r, 0);
        rawring::prep_openat(sqe, AT_FDCWD, secret.path.c_str(), O_RDONLY | O_CLOEXEC, 0);
        sqe->personality = static_cast<std::uint16_t>(id);
        const int fd = submit_and_reap(r).res;
        CHECK(fd >= 0);
        if (fd >= 0) {
            char buf[16] = {};
            CHECK(::read(fd, buf, sizeof(buf)) == 9);
            ::close(fd);
        }
    }

    CHECK(rawring::unregister_personality(r, id2) == 0);
    CHECK(rawring::unregister_personality(r, id2) == -EINVAL);
    CHECK(nop_res(r, 2, 0, static_cast<std::uint16_t>(id2)) == -EINVAL);  // unknown id
    CHECK(rawring::unregister_personality(r, id) == 0);
    CHECK(nop_res(r, 3, 0, static_cast<std::uint16_t>(id)) == -EINVAL);
    CHECK(rawring::unregister_personality(r, 0) == -EINVAL);
}

TEST_CASE("register: RESTRICTIONS") {
    abi::io_uring_params params{};
    params.flags = abi::IORING_SETUP_R_DISABLED;
    rawring::ring r;
    REQUIRE(r.init(8, params) == 0);

    // The restrictions must be valid as a whole; a bad one resets them all.
    abi::io_uring_restriction bad[2]{};
    bad[0].opcode = abi::IORING_RESTRICTION_SQE_OP;
    bad[0].sqe_op = abi::IORING_OP_NOP;
    bad[1].opcode = abi::IORING_RESTRICTION_REGISTER_OP;
    bad[1].register_op = 200;  // no such register op
    CHECK(rawring::register_restrictions(r, bad, 2) == -EINVAL);
    CHECK(rawring::register_restrictions(r, nullptr, 1) == -EINVAL);

    abi::io_uring_restriction res[4]{};
    res[0].opcode = abi::IORING_RESTRICTION_SQE_OP;
    res[0].sqe_op = abi::IORING_OP_NOP;
    res[1].opcode = abi::IORING_RESTRICTION_SQE_OP;
    res[1].sqe_op = abi::IORING_OP_READ;
    res[2].opcode = abi::IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
    res[2].sqe_flags = abi::IOSQE_IO_LINK;
    res[3].opcode = abi::IORING_RESTRICTION_REGISTER_OP;
    res[3].register_op = abi::IORING_REGISTER_PROBE;
    REQUIRE(rawring::register_restrictions(r, res, 4) == 0);
    CHECK(rawring::register_restrictions(r, res, 4) == -EBUSY);  // only one registration

    // Disabled: io_uring_enter refuses until enable_rings.
    REQUIRE(queue_nop(r, 1) != nullptr);
    CHECK(r.submit() == -EBADFD);
    CHECK(r.sq_ready() == 1);  // still queued, nothing lost
    REQUIRE(rawring::enable_rings(r) == 0);
    CHECK(r.submit() == 1);
    io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == 1);
    CHECK(cqe.res == 0);

    // Allowed: NOP, READ, IOSQE_IO_LINK; anything else completes with -EACCES.
    pipe_pair p;
    REQUIRE(::write(p.write_end, "ok", 2) == 2);
    char buf[4] = {};
    io_uring_sqe* sqe = sqe_with(r, 0);
    rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), ~std::uint64_t{0});
    CHECK(submit_and_reap(r).res == 2);
    CHECK(std::string(buf, 2) == "ok");
    sqe = sqe_with(r, 0);
    rawring::prep_write(sqe, p.write_end, "no", 2, ~std::uint64_t{0});
    CHECK(submit_and_reap(r).res == -EACCES);
    CHECK(nop_res(r, 2, abi::IOSQE_IO_DRAIN) == -EACCES);  // a flag not allowed
    CHECK(nop_res(r, 3, abi::IOSQE_IO_LINK) == 0);
    pollfd pfd{p.read_end, POLLIN, 0};
    CHECK(::poll(&pfd, 1, 0) == 0);  // the refused write wrote nothing

    // Register ops: only PROBE was allowed.
    CHECK(rawring::get_probe(r).status() == 0);
    CHECK(rawring::register_personality(r) == -EACCES);
    CHECK(rawring::enable_rings(r) == -EACCES);
    CHECK(rawring::register_restrictions(r, res, 4) == -EACCES);

    // Restrictions need a ring set up disabled.
    rawring::ring plain;
    REQUIRE(plain.init(2) == 0);
    CHECK(rawring::register_restrictions(plain, res, 4) == -EBADFD);
}

TEST_CASE("register: ENABLE_RINGS") {
    abi::io_uring_params params{};
    params.flags = abi::IORING_SETUP_R_DISABLED;
    rawring::ring r;
    REQUIRE(r.init(4, params) == 0);
    REQUIRE(queue_nop(r, 7) != nullptr);
    CHECK(r.submit() == -EBADFD);
    io_uring_cqe* none = nullptr;
    CHECK(r.peek_cqe(&none) == -EAGAIN);
    REQUIRE(rawring::enable_rings(r) == 0);
    CHECK(rawring::enable_rings(r) == -EBADFD);  // not disabled any more
    CHECK(r.submit() == 1);
    CHECK(reap(r).user_data == 7);

    rawring::ring plain;
    REQUIRE(plain.init(2) == 0);
    CHECK(rawring::enable_rings(plain) == -EBADFD);

    // With SINGLE_ISSUER, the task that enables the ring becomes its only submitter.
    abi::io_uring_params single{};
    single.flags = abi::IORING_SETUP_R_DISABLED | abi::IORING_SETUP_SINGLE_ISSUER;
    rawring::ring s;
    REQUIRE(s.init(4, single) == 0);
    int enabled = 1;
    std::thread([&] { enabled = rawring::enable_rings(s); }).join();
    CHECK(enabled == 0);
    REQUIRE(queue_nop(s, 1) != nullptr);
    CHECK(s.submit() == -EEXIST);
    CHECK(rawring::register_personality(s) == -EEXIST);
}

// ---- io-wq -----------------------------------------------------------------------------------------

TEST_CASE("register: IOWQ_AFF") {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    REQUIRE(::sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
    int first = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE && first < 0; ++cpu)
        if (CPU_ISSET(cpu, &allowed)) first = cpu;
    REQUIRE(first >= 0);

    // io-wq belongs to the submitting task: use a fresh thread, so the worker we look at is
    // created after the affinity is set, and find it by its name, iou-wrk-<tid>.
    struct result {
        int reg = 1, reg_zero = 1, reg_null = 1, unreg = 1, nop = 1;
        std::string worker_cpus;
    } res;
    std::thread t([&] {
        rawring::ring r;
        if (r.init(4) != 0) return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        res.reg_zero = rawring::register_iowq_aff(r, 0, &one);
        res.reg_null = rawring::register_iowq_aff(r, sizeof(one), nullptr);
        // (A mask outside the task's cpuset gives -EINVAL, but without a cpuset cgroup the
        // kernel compares with every possible CPU and ignores bits past nr_cpu_ids: no mask
        // can be outside here.)
        res.reg = rawring::register_iowq_aff(r, sizeof(one), &one);
        io_uring_sqe* sqe = r.get_sqe();
        if (sqe == nullptr) return;
        rawring::prep_nop(sqe);
        rawring::sqe_set_flags(sqe, abi::IOSQE_ASYNC);  // run it on an io-wq worker
        abi::io_uring_cqe cqe{};
        if (r.submit() != 1 || r.copy_cqe(cqe) != 0) return;
        res.nop = cqe.res;
        // The worker idles for a few seconds after its work: read its affinity now.
        const std::string name = "iou-wrk-" + std::to_string(::gettid());
        for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
            std::ifstream comm(entry.path() / "comm");
            std::string c;
            std::getline(comm, c);
            if (c != name) continue;
            std::ifstream status(entry.path() / "status");
            std::string line;
            while (std::getline(status, line))
                if (line.rfind("Cpus_allowed_list:", 0) == 0)
                    res.worker_cpus = line.substr(line.find_first_not_of(" \t", 18));
        }
        res.unreg = rawring::unregister_iowq_aff(r);
    });
    t.join();
    CHECK(res.reg_zero == -EINVAL);
    CHECK(res.reg_null == -EINVAL);
    CHECK(res.reg == 0);
    CHECK(res.nop == 0);
    CHECK(res.worker_cpus == std::to_string(first));
    CHECK(res.unreg == 0);

    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    CHECK(rawring::register_iowq_aff(r, std::size_t{1} << 31, &allowed) == -EINVAL);  // rawring's own check
}

TEST_CASE("register: IOWQ_MAX_WORKERS") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    CHECK(nop_res(r, 1) == 0);  // the task's io-wq exists after a submission
    unsigned old[2] = {0, 0};
    REQUIRE(rawring::register_iowq_max_workers(r, old) == 0);  // {0, 0} only reads
    CHECK(old[abi::IO_WQ_BOUND] > 0);
    CHECK(old[abi::IO_WQ_UNBOUND] > 0);

    unsigned set[2] = {2, 3};
    REQUIRE(rawring::register_iowq_max_workers(r, set) == 0);
    CHECK(set[0] == old[0]);  // the previous limits come back
    CHECK(set[1] == old[1]);
    unsigned now[2] = {0, 0};
    REQUIRE(rawring::register_iowq_max_workers(r, now) == 0);
    CHECK(now[0] == 2);
    CHECK(now[1] == 3);
    unsigned only_bound[2] = {5, 0};  // 0 keeps the unbound limit
    REQUIRE(rawring::register_iowq_max_workers(r, only_bound) == 0);
    unsigned after[2] = {0, 0};
    REQUIRE(rawring::register_iowq_max_workers(r, after) == 0);
    CHECK(after[0] == 5);
    CHECK(after[1] == 3);

    unsigned too_big[2] = {0x80000000u, 0};
    CHECK(rawring::register_iowq_max_workers(r, too_big) == -EINVAL);
    CHECK(rawring::register_iowq_max_workers(r, nullptr) == -EINVAL);
    // Put the task's limits back (the call overwrites its argument with the limits it replaced).
    unsigned back[2] = {old[0], old[1]};
    REQUIRE(rawring::register_iowq_max_workers(r, back) == 0);
    CHECK(back[0] == 5);
    CHECK(back[1] == 3);
    unsigned restored[2] = {0, 0};
    REQUIRE(rawring::register_iowq_max_workers(r, restored) == 0);
    CHECK(restored[0] == old[0]);
    CHECK(restored[1] == old[1]);
}

// ---- ring fds, sync cancel, sync msg_ring ----------------------------------------------------------

TEST_CASE("register: RING_FDS") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    CHECK(r.unregister_ring_fd() == -EINVAL);
    // Only a registered ring may drop its fd. Registering through the ring's index (and so a
    // ring with no fd) needs IORING_FEAT_REG_REG_RING (6.3); without it close_ring_fd refuses
    // before anything else.
    const bool reg_reg_ring = (r.features() & abi::IORING_FEAT_REG_REG_RING) != 0;
    CHECK(r.close_ring_fd() == (reg_reg_ring ? -EINVAL : -EOPNOTSUPP));
    REQUIRE(r.register_ring_fd() == 1);
    CHECK(r.register_ring_fd() == -EEXIST);
    CHECK(r.ring_fd_registered());
    CHECK(r.enter_fd() < 16);
    CHECK(nop_res(r, 1) == 0);
    CHECK(r.unregister_ring_fd() == 1);
    CHECK_FALSE(r.ring_fd_registered());
    CHECK(r.enter_fd() == r.fd());
    CHECK(r.unregister_ring_fd() == -EINVAL);
    CHECK(nop_res(r, 2) == 0);
    REQUIRE(r.register_ring_fd() == 1);

    pipe_pair p;
    const int fds[2] = {p.read_end, p.write_end};
    // Register ops that must reach the ring however the kernel lets them (fd or index).
    const auto check_registers = [&] {
        CHECK(rawring::register_files(r, fds, 2) == 0);
        CHECK(fixed_write(r, 1, "idx", 3) == 3);
        const int id = rawring::register_personality(r);
        CHECK(id > 0);
        CHECK(rawring::unregister_personality(r, id) == 0);
        CHECK(rawring::get_probe(r).status() == 0);
    };
    if (!reg_reg_ring) {
        // Register ops then go through the fd, even with the ring fd registered.
        CHECK(r.close_ring_fd() == -EOPNOTSUPP);
        CHECK(r.fd() >= 0);
        CHECK(r.ring_fd_registered());
        check_registers();
        CHECK(r.unregister_ring_fd() == 1);
        RAWRING_SKIP("close_ring_fd: the kernel lacks IORING_FEAT_REG_REG_RING (registers through "
                     "the ring index); registers with the ring fd registered were checked");
    } else {
        // Register ops go through the index: with the fd closed, nothing else could reach the ring.
        const int old_fd = r.fd();
        REQUIRE(r.close_ring_fd() == 1);
        CHECK(r.fd() == -1);
        CHECK(r.is_open());
        CHECK(::fcntl(old_fd, F_GETFD) == -1);
        CHECK(r.close_ring_fd() == -EBADF);
        CHECK(nop_res(r, 1) == 0);
        check_registers();
        abi::io_uring_params rp{};
        rp.sq_entries = 8;
        CHECK(r.resize_rings(rp) == -EBADF);      // no fd to map new rings through
        CHECK(r.unregister_ring_fd() == -EBADF);  // the index is the ring's only handle
    }
    r.exit();
    CHECK_FALSE(r.is_open());

    // The kernel's own checks, straight through sys::register_.
    rawring::ring k;
    REQUIRE(k.init(2) == 0);
    abi::io_uring_rsrc_update up{};
    up.offset = 16;  // slots are 0..15
    up.data = static_cast<std::uint64_t>(k.fd());
    CHECK(rawring::sys::register_(k.fd(), abi::IORING_REGISTER_RING_FDS, &up, 1) == -EINVAL);
    CHECK(rawring::sys::register_(k.fd(), abi::IORING_UNREGISTER_RING_FDS, &up, 1) == -EINVAL);
    up.offset = ~0u;
    up.data = static_cast<std::uint64_t>(static_cast<int>(p.read_end));
    CHECK(rawring::sys::register_(k.fd(), abi::IORING_REGISTER_RING_FDS, &up, 1) == -EOPNOTSUPP);

    // exit() gave r's slot back: all 16 slots of this task can be taken again.
    std::vector<rawring::ring> rings(16);
    for (rawring::ring& other : rings) {
        REQUIRE(other.init(2) == 0);
        CHECK(other.register_ring_fd() == 1);
    }
}

TEST_CASE("register: SYNC_CANCEL") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_pair p;
    char buf[8];
    // A read on an empty pipe stays pending.
    io_uring_sqe* sqe = sqe_with(r, 0);
    rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), ~std::uint64_t{0});
    rawring::sqe_set_data64(sqe, 0x55);
    REQUIRE(r.submit() == 1);
    CHECK(r.cq_ready() == 0);

    abi::io_uring_sync_cancel_reg reg{};
    reg.addr = 0x55;
    reg.fd = -1;
    reg.timeout = {-1, -1};  // no time limit
    CHECK(rawring::register_sync_cancel(r, &reg) == 0);
    // It waited: the cancelled read's CQE is already there.
    CHECK(r.cq_ready() == 1);
    io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == 0x55);
    CHECK(cqe.res == -ECANCELED);
    CHECK(rawring::register_sync_cancel(r, &reg) == -ENOENT);  // nothing left to match

    // By fd, two pending reads.
    for (std::uint64_t d : {0x61, 0x62}) {
        sqe = sqe_with(r, 0);
        rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), ~std::uint64_t{0});
        rawring::sqe_set_data64(sqe, d);
    }
    REQUIRE(r.submit() == 2);
    abi::io_uring_sync_cancel_reg by_fd{};
    by_fd.fd = p.read_end;
    by_fd.flags = abi::IORING_ASYNC_CANCEL_FD | abi::IORING_ASYNC_CANCEL_ALL;
    by_fd.timeout = {-1, -1};
    CHECK(rawring::register_sync_cancel(r, &by_fd) == 2);  // ALL returns the count
    for (int i = 0; i < 2; ++i) CHECK(reap(r).res == -ECANCELED);

    abi::io_uring_sync_cancel_reg bad = reg;
    bad.flags = 1u << 30;  // no such flag
    CHECK(rawring::register_sync_cancel(r, &bad) == -EINVAL);
    bad = reg;
    bad.pad[0] = 1;
    CHECK(rawring::register_sync_cancel(r, &bad) == -EINVAL);
    CHECK(rawring::register_sync_cancel(r, nullptr) == -EINVAL);
    CHECK(r.cq_ready() == 0);
}

TEST_CASE("register: SEND_MSG_RING") {
    rawring::ring target;
    REQUIRE(target.init(4) == 0);
    abi::io_uring_sqe sqe{};
    rawring::prep_msg_ring(&sqe, target.fd(), 0x42, 0xdead, 0);
    const int ret = rawring::register_sync_msg(&sqe);
    if (ret < 0 && !kernel_knows_register_op(abi::IORING_REGISTER_SEND_MSG_RING)) {
        // A kernel without ring-less register ops takes fd -1 for a bad fd: -EBADF.
        CHECK((ret == -EINVAL || ret == -EBADF));
        RAWRING_SKIP("the kernel does not know IORING_REGISTER_SEND_MSG_RING (Linux 6.13): "
                     << std::strerror(-ret));
        return;
    }
    REQUIRE(ret == 0);
    io_uring_cqe cqe = reap(target);
    CHECK(cqe.user_data == 0xdead);
    CHECK(cqe.res == 0x42);
    CHECK(target.cq_ready() == 0);

    abi::io_uring_sqe bad = sqe;
    bad.opcode = abi::IORING_OP_NOP;
    CHECK(rawring::register_sync_msg(&bad) == -EINVAL);
    bad = sqe;
    bad.flags = abi::IOSQE_ASYNC;
    CHECK(rawring::register_sync_msg(&bad) == -EINVAL);
    bad = sqe;
    bad.addr = abi::IORING_MSG_SEND_FD;  // needs a source ring
    CHECK(rawring::register_sync_msg(&bad) == -EINVAL);
    pipe_pair p;
    bad = sqe;
    bad.fd = p.read_end;
    CHECK(rawring::register_sync_msg(&bad) == -EBADFD);  // not an io_uring fd
    bad.fd = 1 << 20;
    CHECK(rawring::register_sync_msg(&bad) == -EBADF);
    CHECK(rawring::register_sync_msg(nullptr) == -EINVAL);
    abi::io_uring_params params{};
    params.flags = abi::IORING_SETUP_R_DISABLED;
    rawring::ring disabled;
    REQUIRE(disabled.init(2, params) == 0);
    bad = sqe;
    bad.fd = disabled.fd();
    CHECK(rawring::register_sync_msg(&bad) == -EBADFD);
    CHECK(target.cq_ready() == 0);
}

// ---- NAPI, clock ---------------------------------------------------------------------------------

TEST_CASE("register: NAPI") {
    // Busy polling needs a NIC's NAPI context, which this machine does not have; the settings
    // themselves are kept by the ring, and the kernel reports the previous ones back.
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    abi::io_uring_napi napi{};
    napi.busy_poll_to = 100;
    napi.prefer_busy_poll = 1;
    napi.opcode = abi::IO_URING_NAPI_REGISTER_OP;
    napi.op_param = abi::IO_URING_NAPI_TRACKING_DYNAMIC;
    const int ret = rawring::register_napi(r, &napi);
    if (ret == -EINVAL && !kernel_knows_register_op(abi::IORING_REGISTER_NAPI)) {
        RAWRING_SKIP("IORING_REGISTER_NAPI needs Linux 6.9");
        return;
    }
    REQUIRE(ret == 0);
    // io_register_napi copies the settings in force before the call back into the argument:
    // a fresh ring has NAPI tracking inactive and no prefer_busy_poll.
    CHECK(napi.prefer_busy_poll == 0);
    CHECK(napi.op_param == abi::IO_URING_NAPI_TRACKING_INACTIVE);

    abi::io_uring_napi stat{};
    stat.busy_poll_to = 50;
    stat.opcode = abi::IO_URING_NAPI_REGISTER_OP;
    stat.op_param = abi::IO_URING_NAPI_TRACKING_STATIC;
    REQUIRE(rawring::register_napi(r, &stat) == 0);
    CHECK(stat.busy_poll_to == 100);  // what the first call set
    CHECK(stat.prefer_busy_poll == 1);
    CHECK(stat.op_param == abi::IO_URING_NAPI_TRACKING_DYNAMIC);

    // Static tracking: ids are added and removed by hand. Ids below MIN_NAPI_ID (NR_CPUS + 1)
    // are not NAPI ids (-EINVAL); the kernel does not check that a valid-range id exists.
    const std::uint32_t id = 0x7fff0000u;
    abi::io_uring_napi add{};
    add.opcode = abi::IO_URING_NAPI_STATIC_ADD_ID;
    add.op_param = id;
    CHECK(rawring::register_napi(r, &add) == 0);
    add = {};
    add.opcode = abi::IO_URING_NAPI_STATIC_ADD_ID;
    add.op_param = id;
    CHECK(rawring::register_napi(r, &add) == -EEXIST);
    add = {};
    add.opcode = abi::IO_URING_NAPI_STATIC_ADD_ID;
    add.op_param = 1;
    CHECK(rawring::register_napi(r, &add) == -EINVAL);
    abi::io_uring_napi del{};
    del.opcode = abi::IO_URING_NAPI_STATIC_DEL_ID;
    del.op_param = id;
    CHECK(rawring::register_napi(r, &del) == 0);
    del = {};
    del.opcode = abi::IO_URING_NAPI_STATIC_DEL_ID;
    del.op_param = id;
    CHECK(rawring::register_napi(r, &del) == -ENOENT);

    abi::io_uring_napi bad{};
    bad.opcode = abi::IO_URING_NAPI_REGISTER_OP;
    bad.op_param = 7;  // no such tracking strategy
    CHECK(rawring::register_napi(r, &bad) == -EINVAL);
    bad = {};
    bad.pad[0] = 1;
    CHECK(rawring::register_napi(r, &bad) == -EINVAL);
    bad = {};
    bad.opcode = 9;  // no such NAPI op
    CHECK(rawring::register_napi(r, &bad) == -EINVAL);
    CHECK(rawring::register_napi(r, nullptr) == -EINVAL);

    // Unregister reports what was in force and turns NAPI off.
    abi::io_uring_napi out{};
    CHECK(rawring::unregister_napi(r, &out) == 0);
    CHECK(out.busy_poll_to == 50);
    CHECK(out.prefer_busy_poll == 0);
    CHECK(rawring::unregister_napi(r, nullptr) == 0);
    add = {};
    add.opcode = abi::IO_URING_NAPI_STATIC_ADD_ID;
    add.op_param = id;
    CHECK(rawring::register_napi(r, &add) == -EINVAL);  // tracking is inactive now
    CHECK(rawring::unregister_napi(r, reinterpret_cast<abi::io_uring_napi*>(8)) == -EFAULT);

    // IOPOLL rings cannot busy-poll NAPI.
    rawring::ring iopoll;
    if (iopoll.init(2, abi::IORING_SETUP_IOPOLL) == 0) {
        abi::io_uring_napi n{};
        CHECK(rawring::register_napi(iopoll, &n) == -EINVAL);
    }
}

TEST_CASE("register: CLOCK") {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    abi::io_uring_clock_register reg{};
    reg.clockid = CLOCK_BOOTTIME;
    const int ret = rawring::register_clock(r, &reg);
    if (ret == -EINVAL && !kernel_knows_register_op(abi::IORING_REGISTER_CLOCK)) {
        RAWRING_SKIP("IORING_REGISTER_CLOCK needs Linux 6.12");
        return;
    }
    CHECK(ret == 0);
    // Waits keep working on the new clock: a relative 10 ms wait runs out.
    io_uring_cqe* cqe = nullptr;
    const abi::kernel_timespec ts{0, 10'000'000};
    CHECK(r.wait_cqe_timeout(&cqe, &ts) == -ETIME);
    CHECK(nop_res(r, 1) == 0);

    reg.clockid = CLOCK_REALTIME;
    CHECK(rawring::register_clock(r, &reg) == -EINVAL);  // only MONOTONIC and BOOTTIME
    reg.clockid = CLOCK_MONOTONIC;
    reg.resv[0] = 1;
    CHECK(rawring::register_clock(r, &reg) == -EINVAL);
    reg.resv[0] = 0;
    CHECK(rawring::register_clock(r, &reg) == 0);  // back to the default
    CHECK(r.wait_cqe_timeout(&cqe, &ts) == -ETIME);
}

// ---- resize, regions -------------------------------------------------------------------------------

TEST_CASE("register: RESIZE_RINGS") {
    // The kernel resizes only DEFER_TASKRUN rings (io_register_resize_rings: "limited to
    // DEFER_TASKRUN for now").
    if (!kernel_knows_register_op(abi::IORING_REGISTER_RESIZE_RINGS)) {
        // The kernel says -EINVAL for an op it does not know.
        rawring::ring plain;
        REQUIRE(plain.init(4) == 0);
        abi::io_uring_params p{};
        p.sq_entries = 8;
        CHECK(rawring::resize_rings(plain, &p) == -EINVAL);
        CHECK(plain.sq().ring_entries == 4);
        CHECK(nop_res(plain, 1) == 0);
        RAWRING_SKIP("the kernel does not know IORING_REGISTER_RESIZE_RINGS (Linux 6.13)");
        return;
    }
    {
        rawring::ring plain;
        REQUIRE(plain.init(4) == 0);
        abi::io_uring_params p{};
        p.sq_entries = 8;
        CHECK(rawring::resize_rings(plain, &p) == -EINVAL);
        CHECK(rawring::resize_rings(plain, nullptr) == -EINVAL);
    }
    const int maps_before = count_uring_maps();
    constexpr std::uint32_t base = abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN;
    const config resizable[] = {
        {"SINGLE_ISSUER|DEFER_TASKRUN", base},
        {"SINGLE_ISSUER|DEFER_TASKRUN|CQE32", base | abi::IORING_SETUP_CQE32},
        {"SINGLE_ISSUER|DEFER_TASKRUN|SQE128", base | abi::IORING_SETUP_SQE128},
        // With the SQ index array: rawring places and fills the resized ring's array itself.
        {"SINGLE_ISSUER|DEFER_TASKRUN, SQ array", base, rawring::sq_array::keep},
        {"SINGLE_ISSUER|DEFER_TASKRUN|CQE32, SQ array", base | abi::IORING_SETUP_CQE32,
         rawring::sq_array::keep},
    };
    for (const config& c : resizable) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        REQUIRE(r.sq().ring_entries == 8);
        REQUIRE(r.cq().ring_entries == 16);

        // In flight: 6 completed NOPs not reaped, a read pending on a pipe, 3 SQEs handed out
        // and not submitted.
        pipe_pair p;
        char buf[16] = {};
        for (std::uint64_t i = 1; i <= 6; ++i) REQUIRE(queue_nop(r, i) != nullptr);
        io_uring_sqe* sqe = sqe_with(r, 0);
        rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), ~std::uint64_t{0});
        rawring::sqe_set_data64(sqe, 100);
        REQUIRE(r.submit() == 7);
        abi::kernel_timespec tiny{0, 1'000'000};
        io_uring_cqe* first = nullptr;
        (void)r.wait_cqe_timeout(&first, &tiny);  // run deferred completions into the CQ
        REQUIRE(r.cq_ready() == 6);
        for (std::uint64_t i = 7; i <= 9; ++i) REQUIRE(queue_nop(r, i) != nullptr);
        REQUIRE(r.sq_ready() == 3);

        abi::io_uring_params bad{};
        bad.sq_entries = 16;
        bad.flags = abi::IORING_SETUP_SQPOLL;  // only CQSIZE and CLAMP may be asked for
        CHECK(rawring::resize_rings(r, &bad) == -EINVAL);

        abi::io_uring_params grow{};
        grow.sq_entries = 32;
        grow.cq_entries = 64;
        grow.flags = abi::IORING_SETUP_CQSIZE;
        const int ret = rawring::resize_rings(r, &grow);
        if (ret == -EINVAL && !kernel_knows_register_op(abi::IORING_REGISTER_RESIZE_RINGS)) {
            RAWRING_SKIP("IORING_REGISTER_RESIZE_RINGS needs Linux 6.13");
            return;
        }
        REQUIRE(ret == 0);
        CHECK(grow.sq_entries == 32);
        CHECK(grow.cq_entries == 64);
        CHECK(r.sq().ring_entries == 32);
        CHECK(r.sq().ring_mask == 31);
        CHECK(r.cq().ring_entries == 64);
        CHECK(r.cq().ring_mask == 63);
        if (c.array == rawring::sq_array::keep) {
            REQUIRE(r.sq().array != nullptr);
            for (std::uint32_t i = 0; i < r.sq().ring_entries; ++i) CHECK(r.sq().array[i] == i);
        } else {
            CHECK(r.sq().array == nullptr);
        }
        CHECK(r.sq().shift == ((c.flags & abi::IORING_SETUP_SQE128) != 0 ? 1u : 0u));
        CHECK(r.cq().shift == ((c.flags & abi::IORING_SETUP_CQE32) != 0 ? 1u : 0u));
        // Nothing lost: the 6 CQEs are still ready, the 3 SQEs still to submit.
        CHECK(r.cq_ready() == 6);
        CHECK(r.sq_ready() == 3);
        for (std::uint64_t i = 1; i <= 6; ++i) {
            const io_uring_cqe cqe = reap(r);
            CHECK(cqe.user_data == i);
            CHECK(cqe.res == 0);
        }
        CHECK(r.submit() == 3);
        for (std::uint64_t i = 7; i <= 9; ++i) CHECK(reap(r).user_data == i);
        // The read submitted before the resize completes into the new CQ.
        REQUIRE(::write(p.write_end, "resized", 7) == 7);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 100);
        CHECK(cqe.res == 7);
        CHECK(std::string(buf, 7) == "resized");

        // The new rings wrap like any other.
        for (std::uint64_t round = 0; round < 5; ++round) {
            for (std::uint64_t i = 0; i < 20; ++i) REQUIRE(queue_nop(r, 1000 + i) != nullptr);
            REQUIRE(r.submit() == 20);
            for (std::uint64_t i = 0; i < 20; ++i) CHECK(reap(r).user_data == 1000 + i);
        }

        // Shrinking below what is pending fails and keeps everything.
        for (std::uint64_t i = 0; i < 20; ++i) REQUIRE(queue_nop(r, 2000 + i) != nullptr);
        REQUIRE(r.submit() == 20);
        (void)r.wait_cqe_timeout(&first, &tiny);
        REQUIRE(r.cq_ready() == 20);
        abi::io_uring_params shrink{};
        shrink.sq_entries = 4;
        shrink.cq_entries = 8;
        shrink.flags = abi::IORING_SETUP_CQSIZE;
        CHECK(rawring::resize_rings(r, &shrink) == -EOVERFLOW);
        CHECK(r.cq().ring_entries == 64);
        for (std::uint64_t i = 0; i < 20; ++i) CHECK(reap(r).user_data == 2000 + i);
        // With nothing pending it shrinks.
        shrink = {};
        shrink.sq_entries = 4;
        shrink.cq_entries = 8;
        shrink.flags = abi::IORING_SETUP_CQSIZE;
        REQUIRE(rawring::resize_rings(r, &shrink) == 0);
        CHECK(r.sq().ring_entries == 4);
        CHECK(r.cq().ring_entries == 8);
        for (std::uint64_t round = 0; round < 6; ++round) {
            for (std::uint64_t i = 0; i < 4; ++i) REQUIRE(queue_nop(r, 3000 + i) != nullptr);
            CHECK(r.get_sqe() == nullptr);  // 4 entries now
            REQUIRE(r.submit() == 4);
            for (std::uint64_t i = 0; i < 4; ++i) CHECK(reap(r).user_data == 3000 + i);
        }
    }
    // A ring that keeps the SQ index array whose array is not where the kernel's layout rule
    // puts it (as if the kernel had placed it elsewhere): rawring refuses before asking, and
    // everything stays as it was.
    {
        rawring::ring r;
        abi::io_uring_params setup{};
        setup.flags = base;
        REQUIRE(r.init(8, setup, rawring::sq_array::keep) == 0);
        REQUIRE(r.sq().array != nullptr);
        REQUIRE(queue_nop(r, 1) != nullptr);
        std::uint32_t* const real_array = r.ring_state::sq.array;
        r.ring_state::sq.array = real_array + 16;  // only looked at, never written, on refusal
        abi::io_uring_params grow{};
        grow.sq_entries = 32;
        CHECK(rawring::resize_rings(r, &grow) == -EOPNOTSUPP);
        r.ring_state::sq.array = real_array;
        CHECK(r.sq().ring_entries == 8);
        CHECK(r.sq_ready() == 1);
        CHECK(r.submit() == 1);
        CHECK(reap(r).user_data == 1);
    }
    // Every old mapping was dropped after each resize, and the rings' own at exit.
    CHECK(count_uring_maps() == maps_before);
}

TEST_CASE("register: MEM_REGION") {
    const std::size_t ps = page_size();
    // A registered wait region is accepted only before the ring is enabled.
    {
        rawring::ring plain;
        REQUIRE(plain.init(2) == 0);
        mapping m(ps);
        CHECK(rawring::register_wait_reg(plain, static_cast<abi::io_uring_reg_wait*>(m.p),
                                         static_cast<unsigned>(ps / 64)) == -EINVAL);
        CHECK(rawring::register_wait_reg(plain, static_cast<abi::io_uring_reg_wait*>(m.p), 0) == -EINVAL);
    }
    abi::io_uring_params params{};
    params.flags = abi::IORING_SETUP_R_DISABLED;
    rawring::ring r;
    REQUIRE(r.init(4, params) == 0);
    mapping mem(ps);
    auto* waits = static_cast<abi::io_uring_reg_wait*>(mem.p);
    const unsigned nr = static_cast<unsigned>(ps / sizeof(abi::io_uring_reg_wait));
    CHECK(rawring::register_wait_reg(r, waits + 1, nr - 1) == -EINVAL);  // not page-aligned
    CHECK(rawring::register_wait_reg(r, waits, 1) == -EINVAL);            // 64 bytes: not a page
    const int ret = rawring::register_wait_reg(r, waits, nr);
    if (ret == -EINVAL && !kernel_knows_register_op(abi::IORING_REGISTER_MEM_REGION)) {
        RAWRING_SKIP("IORING_REGISTER_MEM_REGION needs Linux 6.13");
        return;
    }
    REQUIRE(ret == 0);
    CHECK(rawring::register_wait_reg(r, waits, nr) == -EBUSY);  // one region per ring
    REQUIRE(rawring::enable_rings(r) == 0);

    // A guard timeout, so a wait that ignored the registered entry could not hang the test.
    const abi::kernel_timespec guard_ts{5, 0};
    io_uring_sqe* sqe = sqe_with(r, 0);
    rawring::prep_timeout(sqe, &guard_ts, 0, 0);
    rawring::sqe_set_data64(sqe, 0x9a);
    REQUIRE(r.submit() == 1);

    // Entry 3 says: wait at most 20 ms.
    waits[3].ts = {0, 20'000'000};
    waits[3].flags = abi::IORING_REG_WAIT_TS;
    io_uring_cqe* cqe = nullptr;
    CHECK(r.submit_and_wait_reg(&cqe, 1, 3) == -ETIME);
    CHECK(cqe == nullptr);
    // With a completion to wait for, it returns it (and the number submitted).
    REQUIRE(queue_nop(r, 0x9b) != nullptr);
    CHECK(r.submit_and_wait_reg(&cqe, 1, 3) == 1);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 0x9b);
    r.cqe_seen(cqe);
    // Entries outside the region, and bad entry flags.
    CHECK(r.submit_and_wait_reg(&cqe, 1, nr) == -EFAULT);
    waits[5].flags = 1u << 7;
    CHECK(r.submit_and_wait_reg(&cqe, 1, 5) == -EINVAL);
    // Cancel the guard.
    sqe = sqe_with(r, 0);
    rawring::prep_timeout_remove(sqe, 0x9a, 0);
    rawring::sqe_set_data64(sqe, 0x9c);
    REQUIRE(r.submit() == 1);
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < 2; ++i) seen.push_back(reap(r).user_data);
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::uint64_t>{0x9a, 0x9c});

    // register_region with kernel memory: the kernel says where to mmap it.
    rawring::ring k;
    REQUIRE(k.init(2, params) == 0);
    abi::io_uring_region_desc desc{};
    desc.size = ps;
    abi::io_uring_mem_region_reg reg{};
    reg.region_uptr = reinterpret_cast<std::uintptr_t>(&desc);
    reg.flags = abi::IORING_MEM_REGION_REG_WAIT_ARG;
    abi::io_uring_mem_region_reg bad = reg;
    bad.flags = 1u << 5;
    CHECK(rawring::register_region(k, &bad) == -EINVAL);
    bad = reg;
    bad.resv[0] = 1;
    CHECK(rawring::register_region(k, &bad) == -EINVAL);
    REQUIRE(rawring::register_region(k, &reg) == 0);
    CHECK(desc.mmap_offset != 0);
    int err = 0;
    void* area = rawring::sys::mmap_ring(k.fd(), ps, desc.mmap_offset, &err);
    REQUIRE(area != nullptr);
    auto* kwaits = static_cast<abi::io_uring_reg_wait*>(area);
    kwaits[0].ts = {0, 10'000'000};
    kwaits[0].flags = abi::IORING_REG_WAIT_TS;
    REQUIRE(rawring::enable_rings(k) == 0);
    CHECK(k.submit_and_wait_reg(&cqe, 1, 0) == -ETIME);
    CHECK(rawring::sys::munmap(area, ps) == 0);
    CHECK(rawring::register_region(k, &reg) == -EBUSY);
}

// ---- query, zcrx, BPF filters --------------------------------------------------------------------

TEST_CASE("register: QUERY") {
    abi::io_uring_query_opcode op{};
    abi::io_uring_query_hdr hdr{};
    hdr.query_data = reinterpret_cast<std::uintptr_t>(&op);
    hdr.query_op = abi::IO_URING_QUERY_OPCODES;
    hdr.size = sizeof(op);
    // nr_args must be 0 (rawring passes 0; the raw call shows the kernel's check).
    const int raw = rawring::sys::register_(-1, abi::IORING_REGISTER_QUERY, &hdr, 1);
    const int ret = rawring::register_query(&hdr);
    // Only the kernel's own refusal of a well-formed query (kernel_knows_register_op asks it
    // by the raw call) excuses an -EINVAL.
    if (ret == -EINVAL && raw == -EINVAL && hdr.result == 0 && op.nr_request_opcodes == 0 &&
        !kernel_knows_register_op(abi::IORING_REGISTER_QUERY)) {
        RAWRING_SKIP("IORING_REGISTER_QUERY needs Linux 6.18");
        return;
    }
    CHECK(raw == -EINVAL);
    REQUIRE(ret == 0);
    CHECK(hdr.result == 0);
    CHECK(hdr.size > 0);
    CHECK(hdr.size <= sizeof(op));
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    const rawring::probe pr = rawring::get_probe(r);
    CHECK(op.nr_request_opcodes == pr.last_op() + 1);
    CHECK(op.nr_register_opcodes > abi::IORING_REGISTER_QUERY);
    CHECK((op.feature_flags & r.features()) == r.features());
    CHECK((op.ring_setup_flags & abi::IORING_SETUP_DEFER_TASKRUN) != 0);
    CHECK((op.enter_flags & abi::IORING_ENTER_GETEVENTS) != 0);
    CHECK((op.sqe_flags & abi::IOSQE_FIXED_FILE) != 0);

    // A chain: each entry gets its own result.
    abi::io_uring_query_opcode op2{};
    abi::io_uring_query_opcode unknown_data{};
    abi::io_uring_query_hdr h[3]{};
    h[0].query_data = reinterpret_cast<std::uintptr_t>(&op2);
    h[0].query_op = abi::IO_URING_QUERY_OPCODES;
    h[0].size = sizeof(op2);
    h[0].next_entry = reinterpret_cast<std::uintptr_t>(&h[1]);
    h[1].query_data = reinterpret_cast<std::uintptr_t>(&unknown_data);
    h[1].query_op = 200;  // no such query
    h[1].size = sizeof(unknown_data);
    h[1].next_entry = reinterpret_cast<std::uintptr_t>(&h[2]);
    h[2].query_data = reinterpret_cast<std::uintptr_t>(&unknown_data);
    h[2].query_op = abi::IO_URING_QUERY_OPCODES;
    h[2].size = 0;  // no room
    REQUIRE(rawring::register_query(h) == 0);
    CHECK(h[0].result == 0);
    CHECK(op2.nr_request_opcodes == op.nr_request_opcodes);
    CHECK(h[1].result == -EOPNOTSUPP);
    CHECK(h[1].size == 0);
    CHECK(h[2].result == -EINVAL);

    // A cycle ends after the kernel's 1000-entry limit.
    abi::io_uring_query_hdr loop{};
    loop.query_data = reinterpret_cast<std::uintptr_t>(&op2);
    loop.query_op = abi::IO_URING_QUERY_OPCODES;
    loop.size = sizeof(op2);
    loop.next_entry = reinterpret_cast<std::uintptr_t>(&loop);
    CHECK(rawring::register_query(&loop) == -ERANGE);
    CHECK(rawring::register_query(reinterpret_cast<abi::io_uring_query_hdr*>(8)) == -EFAULT);
}

TEST_CASE("register: ZCRX_IFQ") {
    // Zero-copy receive needs a NIC with header split and flow steering; here only the argument
    // path can be proven: a complete, valid registration for an interface that cannot host it.
    const std::size_t ps = page_size();
    abi::io_uring_params params{};
    params.flags = abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN |
                   abi::IORING_SETUP_CQE32;
    rawring::ring r;
    REQUIRE(r.init(4, params) == 0);
    mapping area_mem(4 * ps);
    abi::io_uring_zcrx_area_reg area{};
    area.addr = reinterpret_cast<std::uintptr_t>(area_mem.p);
    area.len = 4 * ps;
    abi::io_uring_region_desc region{};
    region.size = ps;
    abi::io_uring_zcrx_ifq_reg reg{};
    reg.if_idx = 0x7ffffff0u;  // no such interface
    reg.if_rxq = 0;
    reg.rq_entries = 4;
    reg.area_ptr = reinterpret_cast<std::uintptr_t>(&area);
    reg.region_ptr = reinterpret_cast<std::uintptr_t>(&region);

    const int ret = rawring::register_ifq(r, &reg);
    if (ret == -EINVAL && !kernel_knows_register_op(abi::IORING_REGISTER_ZCRX_IFQ)) {
        RAWRING_SKIP("IORING_REGISTER_ZCRX_IFQ needs Linux 6.15");
        return;
    }
    if (ret == -EPERM || ret == -EOPNOTSUPP) {
        // -EPERM: no CAP_NET_ADMIN; -EOPNOTSUPP for a missing interface: CONFIG_IO_URING_ZCRX=n.
        RAWRING_SKIP("IORING_REGISTER_ZCRX_IFQ needs CAP_NET_ADMIN and CONFIG_IO_URING_ZCRX");
        return;
    }
    // io_register_zcrx_ifq checks the ring, the padding, the sizes, sets up the refill region,
    // then looks the interface up: netdev_get_by_index() finds nothing -> -ENODEV.
    CHECK(ret == -ENODEV);
    // Loopback exists but has no device underneath (netdev->dev.parent is NULL) -> -EOPNOTSUPP.
    reg.if_idx = ::if_nametoindex("lo");
    REQUIRE(reg.if_idx != 0);
    CHECK(rawring::register_ifq(r, &reg) == -EOPNOTSUPP);
    // Earlier checks: flags are reserved (-EINVAL), and the ring must be DEFER_TASKRUN + CQE32.
    abi::io_uring_zcrx_ifq_reg bad = reg;
    bad.flags = 1u << 7;
    CHECK(rawring::register_ifq(r, &bad) == -EINVAL);
    bad = reg;
    bad.rq_entries = 0;
    CHECK(rawring::register_ifq(r, &bad) == -EINVAL);
    rawring::ring plain;
    REQUIRE(plain.init(2) == 0);
    CHECK(rawring::register_ifq(plain, &reg) == -EINVAL);
    CHECK(rawring::register_ifq(r, nullptr) == -EINVAL);
}

TEST_CASE("register: ZCRX_CTRL") {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    abi::zcrx_ctrl ctrl{};
    ctrl.zcrx_id = 12345;
    ctrl.op = abi::ZCRX_CTRL_FLUSH_RQ;
    const abi::zcrx_ctrl sent = ctrl;
    const int ret = rawring::register_zcrx_ctrl(r, &ctrl);
    if (!kernel_knows_register_op(abi::IORING_REGISTER_ZCRX_CTRL)) {
        // The syscall rejects opcodes at or past IORING_REGISTER_LAST before anything else
        // (io_uring_register: "if (opcode >= IORING_REGISTER_LAST) return -EINVAL").
        CHECK(ret == -EINVAL);
        MESSAGE("this kernel has no IORING_REGISTER_ZCRX_CTRL (6.19+): checked the unknown-op path");
    } else {
        // io_zcrx_ctrl: no zcrx instance registered under that id -> -ENXIO.
        CHECK(ret == -ENXIO);
    }
    CHECK(std::memcmp(&ctrl, &sent, sizeof(ctrl)) == 0);  // the kernel wrote nothing back
    rawring::ring closed;
    CHECK(rawring::register_zcrx_ctrl(closed, &ctrl) == -EBADF);
}

TEST_CASE("register: BPF_FILTER") {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    // A one-instruction filter ("return 1": allow) for NOP, but with a payload size larger than
    // NOP's (0): a kernel that knows the op refuses it after parsing every field.
    struct {
        std::uint16_t code;
        std::uint8_t jt, jf;
        std::uint32_t k;
    } allow[1] = {{0x06 /* BPF_RET | BPF_K */, 0, 0, 1}};
    abi::io_uring_bpf bpf{};
    bpf.cmd_type = abi::IO_URING_BPF_CMD_FILTER;
    bpf.filter.opcode = abi::IORING_OP_NOP;
    bpf.filter.filter_len = 1;
    bpf.filter.pdu_size = 200;
    bpf.filter.filter_ptr = reinterpret_cast<std::uintptr_t>(allow);
    abi::io_uring_bpf task = bpf;
    const int ret = rawring::register_bpf_filter(r, &bpf);
    const int task_ret = rawring::register_bpf_filter_task(&task);
    if (!kernel_knows_register_op(abi::IORING_REGISTER_BPF_FILTER)) {
        // io_uring_register rejects opcodes at or past IORING_REGISTER_LAST first, ring or not.
        CHECK(ret == -EINVAL);
        CHECK(task_ret == -EINVAL);
        CHECK(bpf.filter.pdu_size == 200);  // untouched
        MESSAGE("this kernel has no IORING_REGISTER_BPF_FILTER (7.0+): checked the unknown-op path");
    } else {
        // io_bpf_filter_import: a payload larger than the opcode's -> -EMSGSIZE, and the kernel
        // writes its own payload size back.
        CHECK(ret == -EMSGSIZE);
        CHECK(bpf.filter.pdu_size == 0);
        CHECK(task_ret == -EMSGSIZE);
    }
    CHECK(nop_res(r, 1) == 0);  // nothing was installed
    rawring::ring closed;
    CHECK(rawring::register_bpf_filter(closed, &bpf) == -EBADF);
}

} // TEST_SUITE
