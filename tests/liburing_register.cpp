// SPDX-License-Identifier: MIT
// The liburing face's probe, registration, buffer-ring, recvmsg and version functions on the real
// kernel: each called by its liburing name on a `struct io_uring`, and its effect checked.
//
// Built twice: test-liburing-register calls the extern "C" functions of librawring-liburing
// (src/liburing/*.cpp; RAWRING_LIBURING_NO_INLINE: what C and pre-C++20 programs get),
// test-liburing-register-inline the inline definitions a C++20 program gets.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

// rawring (through common.hpp) first: liburing/io_uring.h makes IORING_* macros, which rawring's
// headers must not see. No `abi::IORING_*` below this include.
#include "common.hpp"
#include "net.hpp"

#include <liburing.h>

using rawring_test::owned_fd;
using rawring_test::pipe_pair;
using rawring_test::temp_file;
using rawring_test::mapping;
using rawring_test::page_size;

namespace {


/// rawring's state behind a liburing ring (the same memory).
rawring::ring_state& state(io_uring* ring) {
    return *reinterpret_cast<rawring::ring_state*>(ring);
}

/// A `struct io_uring` in rawring's closed state (what every call meets after queue_exit).
struct closed_ring {
    io_uring ring;
    closed_ring() { state(&ring).reset(); }
    operator io_uring*() { return &ring; }
};

/// A liburing ring for one case, torn down with the object.
struct face_ring {
    io_uring ring{};
    bool open = false;
    face_ring() = default;
    explicit face_ring(unsigned entries, unsigned flags = 0) {
        REQUIRE(init(entries, flags) == 0);
    }
    ~face_ring() { exit(); }
    face_ring(const face_ring&) = delete;
    face_ring& operator=(const face_ring&) = delete;
    int init(unsigned entries, unsigned flags = 0) {
        const int ret = io_uring_queue_init(entries, &ring, flags);
        open = ret == 0;
        return ret;
    }
    void exit() {
        if (open) io_uring_queue_exit(&ring);
        open = false;
    }
    operator io_uring*() { return &ring; }
};

io_uring_sqe* next_sqe(io_uring* ring, __u64 data) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    REQUIRE(sqe != nullptr);
    io_uring_sqe_set_data64(sqe, data);
    return sqe;
}

/// Waits at most `timeout_ms` for a CQE without consuming it: 0 with `*cqe` set, or -errno
/// (-ETIME when none came). No assertion, so threads may call it.
int wait_cqe_ms(io_uring* ring, io_uring_cqe** cqe, long timeout_ms) {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (timeout_ms % 1000) * 1000000LL;
    *cqe = nullptr;
    return io_uring_wait_cqe_timeout(ring, cqe, &ts);
}

/// As wait_cqe_ms, and the case fails on any error but -ETIME; nullptr if no CQE came.
io_uring_cqe* wait_cqe_for(io_uring* ring, long timeout_ms) {
    io_uring_cqe* cqe = nullptr;
    const int ret = wait_cqe_ms(ring, &cqe, timeout_ms);
    if (ret == -ETIME) return nullptr;
    REQUIRE(ret == 0);
    return cqe;
}

/// Waits (5 s at most) for the next CQE, copies it out and consumes it.
io_uring_cqe reap(io_uring* ring) {
    io_uring_cqe* cqe = wait_cqe_for(ring, 5000);
    REQUIRE_MESSAGE(cqe != nullptr, "no CQE within 5 s");
    const io_uring_cqe out = *cqe;
    io_uring_cqe_seen(ring, cqe);
    return out;
}

io_uring_cqe submit_and_reap(io_uring* ring) {
    REQUIRE(io_uring_submit(ring) == 1);
    return reap(ring);
}

/// A NOP with `sqe_flags` and `personality`, submitted and reaped: its res.
int nop_res(io_uring* ring, __u64 data, unsigned sqe_flags = 0, int personality = 0) {
    io_uring_sqe* sqe = next_sqe(ring, data);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_flags(sqe, sqe_flags);
    sqe->personality = static_cast<__u16>(personality);
    const io_uring_cqe cqe = submit_and_reap(ring);
    CHECK(cqe.user_data == data);
    return cqe.res;
}

/// A write through fixed-file slot `slot`: its res.
int fixed_write(io_uring* ring, int slot, const char* text) {
    io_uring_sqe* sqe = next_sqe(ring, 0xf1);
    io_uring_prep_write(sqe, slot, text, static_cast<unsigned>(std::strlen(text)), ~__u64{0});
    io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
    return submit_and_reap(ring).res;
}

/// A READ_FIXED of `len` bytes at file offset 0 into `buf` through registered buffer `index`.
int read_fixed(io_uring* ring, int fd, void* buf, unsigned len, int index) {
    io_uring_sqe* sqe = next_sqe(ring, 0xb0);
    io_uring_prep_read_fixed(sqe, fd, buf, len, 0, index);
    return submit_and_reap(ring).res;
}

/// Whether the eventfd counter becomes readable within `ms`; if so its value (else 0).
std::uint64_t eventfd_count(int efd, int ms) {
    pollfd pfd{efd, POLLIN, 0};
    if (::poll(&pfd, 1, ms) != 1) return 0;
    std::uint64_t v = 0;
    REQUIRE(::read(efd, &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v)));
    return v;
}

bool has_reg_reg_ring(io_uring* ring) {
    return (ring->features & IORING_FEAT_REG_REG_RING) != 0;
}

/// Whether the -EINVAL that register op `op` gave is the kernel's not knowing it (asked by raw
/// system calls: kernel_knows_register_op). A case SKIPs on true and fails on any other error.
bool may_lack_register_op(unsigned op, int ret) {
    return ret == -EINVAL && !rawring_test::kernel_knows_register_op(op);
}

/// Checks a liburing probe against rawring's own answer for the same kernel.
void check_probe(const io_uring_probe* p, const rawring::probe& expected) {
    REQUIRE(p != nullptr);
    REQUIRE(expected.status() == 0);
    CHECK(p->last_op == expected.last_op());
    CHECK(p->ops_len == p->last_op + 1);  // min(256, the kernel's opcode count)
    for (int op = 0; op < 256; ++op) {
        INFO("opcode " << op);
        CHECK((io_uring_opcode_supported(p, op) == 1) == expected.supported(static_cast<unsigned>(op)));
        if (op < p->ops_len) CHECK(p->ops[op].op == op);
    }
    CHECK(io_uring_opcode_supported(p, IORING_OP_NOP) == 1);
    CHECK(io_uring_opcode_supported(p, IORING_OP_READ) == 1);
    CHECK(io_uring_opcode_supported(p, p->last_op + 1) == 0);
    CHECK(io_uring_opcode_supported(p, 255) == 0);
    CHECK(io_uring_opcode_supported(p, -1) == 0);
    CHECK(io_uring_opcode_supported(nullptr, IORING_OP_NOP) == 0);
}

} // namespace

TEST_SUITE("kernel") {

// ---- files ------------------------------------------------------------------------------------

TEST_CASE("liburing register: files") {
    face_ring r(8);
    pipe_pair p;
    char buf[16] = {};
    CHECK(io_uring_unregister_files(r) == -ENXIO);
    const int fds[2] = {p.read_end, p.write_end};
    REQUIRE(io_uring_register_files(r, fds, 2) == 0);
    CHECK(io_uring_register_files(r, fds, 2) == -EBUSY);
    CHECK(fixed_write(r, 1, "abc") == 3);  // slot 1 is the pipe's write end
    CHECK(::read(p.read_end, buf, sizeof(buf)) == 3);
    CHECK(std::string(buf, 3) == "abc");

    // Updates: empty slot 1, then put the write end back with a tag; replacing the tagged file
    // posts its tag.
    const int empty = -1;
    CHECK(io_uring_register_files_update(r, 1, &empty, 1) == 1);
    CHECK(fixed_write(r, 1, "x") == -EBADF);
    const int write_end = p.write_end;
    const __u64 tag = 0x77;
    CHECK(io_uring_register_files_update_tag(r, 1, &write_end, &tag, 1) == 1);
    CHECK(fixed_write(r, 1, "de") == 2);
    CHECK(io_uring_register_files_update(r, 1, &empty, 1) == 1);
    io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == 0x77);
    CHECK(cqe.res == 0);
    CHECK(io_uring_register_files_update(r, 5, &empty, 1) == -EINVAL);  // past the table
    CHECK(io_uring_unregister_files(r) == 0);
    CHECK(io_uring_unregister_files(r) == -ENXIO);
    CHECK(fixed_write(r, 1, "y") == -EBADF);

    // A tagged table.
    const __u64 tags[2] = {0x10, 0x11};
    REQUIRE(io_uring_register_files_tags(r, fds, tags, 2) == 0);
    CHECK(fixed_write(r, 1, "fg") == 2);
    CHECK(io_uring_register_files_update(r, 0, &empty, 1) == 1);
    cqe = reap(r);
    CHECK(cqe.user_data == 0x10);
    CHECK(io_uring_unregister_files(r) == 0);
    (void)wait_cqe_for(r, 200);  // 6.18 posts slot 1's tag now, 6.1 does not
    io_uring_cq_advance(r, io_uring_cq_ready(r));

    // A sparse table with an allocation range: a direct open lands in the range.
    REQUIRE(io_uring_register_files_sparse(r, 4) == 0);
    CHECK(io_uring_register_file_alloc_range(r, 2, 2) == 0);
    io_uring_sqe* sqe = next_sqe(r, 0xd1);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, "/dev/null", O_RDONLY, 0, IORING_FILE_INDEX_ALLOC);
    CHECK(submit_and_reap(r).res == 2);
    CHECK(io_uring_register_file_alloc_range(r, 3, 2) == -EINVAL);  // past the table
    CHECK(io_uring_unregister_files(r) == 0);

    closed_ring closed;
    CHECK(io_uring_register_files(closed, fds, 2) == -EBADF);
}

TEST_CASE("liburing register: files retry once after raising RLIMIT_NOFILE on -EMFILE") {
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    constexpr unsigned nr = 96;
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < nr) {
        MESSAGE("SKIP: the RLIMIT_NOFILE hard limit is below " << nr);
        return;
    }
    face_ring r(4);
    rlimit low = saved;
    low.rlim_cur = 32;  // below nr: the kernel refuses the table with -EMFILE at first
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    const int ret = io_uring_register_files_sparse(r, nr);
    rlimit now{};
    const int got = ::getrlimit(RLIMIT_NOFILE, &now);
    const int restored = ::setrlimit(RLIMIT_NOFILE, &saved);  // before any assertion can throw
    REQUIRE(restored == 0);
    REQUIRE(got == 0);
    CHECK(ret == 0);
    CHECK(now.rlim_cur >= nr);  // raised for the retry
    CHECK(now.rlim_max == saved.rlim_max);
    CHECK(io_uring_unregister_files(r) == 0);
}

// ---- buffers ----------------------------------------------------------------------------------

TEST_CASE("liburing register: buffers") {
    face_ring r(8);
    const std::size_t ps = page_size();
    mapping mem(2 * ps);
    iovec iov[2] = {{mem.bytes(), ps}, {mem.bytes() + ps, ps}};
    const std::string text = "read through a registered buffer";
    temp_file f(text);
    const auto len = static_cast<unsigned>(text.size());

    CHECK(io_uring_unregister_buffers(r) == -ENXIO);
    CHECK(io_uring_register_buffers(r, iov, 0) == -EINVAL);
    REQUIRE(io_uring_register_buffers(r, iov, 2) == 0);
    CHECK(io_uring_register_buffers(r, iov, 2) == -EBUSY);
    CHECK(read_fixed(r, f.fd, mem.bytes() + ps, len, 1) == static_cast<int>(len));
    CHECK(std::string(reinterpret_cast<char*>(mem.bytes() + ps), len) == text);
    CHECK(read_fixed(r, f.fd, mem.bytes() + ps, len, 0) == -EFAULT);  // not inside buffer 0
    CHECK(io_uring_unregister_buffers(r) == 0);
    CHECK(io_uring_unregister_buffers(r) == -ENXIO);

    // Sparse, then one slot filled with a tag; emptying it posts the tag.
    REQUIRE(io_uring_register_buffers_sparse(r, 4) == 0);
    CHECK(read_fixed(r, f.fd, mem.bytes(), len, 2) == -EFAULT);  // empty slot
    const __u64 tag = 0x99;
    CHECK(io_uring_register_buffers_update_tag(r, 2, &iov[0], &tag, 1) == 1);
    std::memset(mem.bytes(), 0, ps);
    CHECK(read_fixed(r, f.fd, mem.bytes(), len, 2) == static_cast<int>(len));
    CHECK(std::string(reinterpret_cast<char*>(mem.bytes()), len) == text);
    const iovec none{nullptr, 0};
    CHECK(io_uring_register_buffers_update_tag(r, 2, &none, nullptr, 1) == 1);
    const io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == 0x99);
    CHECK(cqe.res == 0);
    CHECK(io_uring_register_buffers_update_tag(r, 4, &iov[0], nullptr, 1) == -EINVAL);
    CHECK(io_uring_unregister_buffers(r) == 0);

    const __u64 tags[2] = {0, 0};
    REQUIRE(io_uring_register_buffers_tags(r, iov, tags, 2) == 0);
    CHECK(read_fixed(r, f.fd, mem.bytes(), 4, 0) == 4);
    CHECK(io_uring_unregister_buffers(r) == 0);

    closed_ring closed;
    CHECK(io_uring_register_buffers(closed, iov, 2) == -EBADF);
}

TEST_CASE("liburing register: clone buffers") {
    face_ring src(4);
    const std::size_t ps = page_size();
    mapping mem(2 * ps);
    iovec iov[2] = {{mem.bytes(), ps}, {mem.bytes() + ps, ps}};
    const std::string text = "cloned";
    temp_file f(text);
    const auto len = static_cast<unsigned>(text.size());
    REQUIRE(io_uring_register_buffers(src, iov, 2) == 0);

    face_ring dst(4);
    const int ret = io_uring_clone_buffers(dst, src);
    if (may_lack_register_op(IORING_REGISTER_CLONE_BUFFERS, ret)) {
        MESSAGE("SKIP: IORING_REGISTER_CLONE_BUFFERS needs Linux 6.12");
        return;
    }
    REQUIRE(ret == 0);
    CHECK(read_fixed(dst, f.fd, mem.bytes() + ps, len, 1) == static_cast<int>(len));
    CHECK(io_uring_clone_buffers(dst, src) == -EBUSY);
    CHECK(__io_uring_clone_buffers(dst, src, IORING_REGISTER_DST_REPLACE) == 0);
    CHECK(read_fixed(dst, f.fd, mem.bytes(), len, 0) == static_cast<int>(len));

    // One buffer from slot 1 of src into slot 0 of dst2.
    face_ring dst2(4);
    CHECK(io_uring_clone_buffers_offset(dst2, src, 0, 1, 1, 0) == 0);
    CHECK(read_fixed(dst2, f.fd, mem.bytes() + ps, len, 0) == static_cast<int>(len));
    CHECK(read_fixed(dst2, f.fd, mem.bytes(), len, 0) == -EFAULT);  // that is src's slot 0
    CHECK(read_fixed(dst2, f.fd, mem.bytes(), len, 1) == -EFAULT);  // dst2 has one slot
    CHECK(io_uring_clone_buffers_offset(dst2, src, 0, 2, 1, IORING_REGISTER_DST_REPLACE) ==
          -EOVERFLOW);
    CHECK(__io_uring_clone_buffers_offset(dst2, src, 0, 0, 2, IORING_REGISTER_DST_REPLACE) == 0);
    CHECK(read_fixed(dst2, f.fd, mem.bytes(), len, 0) == static_cast<int>(len));

    // With src's ring fd registered, src is named by its index.
    REQUIRE(io_uring_register_ring_fd(src) == 1);
    face_ring dst3(4);
    CHECK(io_uring_clone_buffers(dst3, src) == 0);
    CHECK(read_fixed(dst3, f.fd, mem.bytes() + ps, len, 1) == static_cast<int>(len));

    face_ring empty(4);
    face_ring dst4(4);
    CHECK(io_uring_clone_buffers(dst4, empty) == -ENXIO);
}

// ---- eventfd ----------------------------------------------------------------------------------

TEST_CASE("liburing register: eventfd") {
    face_ring r(8);
    owned_fd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    REQUIRE(efd >= 0);
    CHECK(io_uring_unregister_eventfd(r) == -ENXIO);
    CHECK(io_uring_register_eventfd(r, -1) == -EBADF);
    REQUIRE(io_uring_register_eventfd(r, efd) == 0);
    CHECK(io_uring_register_eventfd(r, efd) == -EBUSY);
    CHECK(io_uring_cq_eventfd_enabled(r));
    CHECK(nop_res(r, 1) == 0);
    CHECK(eventfd_count(efd, 1000) == 1);

    // Toggling flips IORING_CQ_EVENTFD_DISABLED in the CQ ring's flags word.
    REQUIRE(r.ring.cq.kflags != nullptr);
    CHECK(io_uring_cq_eventfd_toggle(r, false) == 0);
    CHECK_FALSE(io_uring_cq_eventfd_enabled(r));
    CHECK((*r.ring.cq.kflags & IORING_CQ_EVENTFD_DISABLED) != 0);
    CHECK(io_uring_cq_eventfd_toggle(r, false) == 0);
    CHECK(nop_res(r, 2) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    CHECK(io_uring_cq_eventfd_toggle(r, true) == 0);
    CHECK(io_uring_cq_eventfd_enabled(r));
    CHECK((*r.ring.cq.kflags & IORING_CQ_EVENTFD_DISABLED) == 0);
    CHECK(nop_res(r, 3) == 0);
    CHECK(eventfd_count(efd, 1000) == 1);
    CHECK(io_uring_unregister_eventfd(r) == 0);
    CHECK(nop_res(r, 4) == 0);
    CHECK(eventfd_count(efd, 50) == 0);

    // Async only: an inline NOP does not signal, one forced to io-wq does.
    REQUIRE(io_uring_register_eventfd_async(r, efd) == 0);
    CHECK(nop_res(r, 5) == 0);
    CHECK(eventfd_count(efd, 50) == 0);
    CHECK(nop_res(r, 6, IOSQE_ASYNC) == 0);
    CHECK(eventfd_count(efd, 1000) == 1);
    CHECK(io_uring_unregister_eventfd(r) == 0);
    CHECK(io_uring_unregister_eventfd(r) == -ENXIO);

    closed_ring closed;
    CHECK(io_uring_register_eventfd(closed, efd) == -EBADF);
}

// ---- probe ------------------------------------------------------------------------------------

TEST_CASE("liburing register: probe") {
    face_ring r(2);
    const rawring::probe expected = rawring::get_probe(state(r));

    io_uring_probe* p = io_uring_get_probe();
    check_probe(p, expected);
    io_uring_free_probe(p);

    p = io_uring_get_probe_ring(r);
    check_probe(p, expected);
    io_uring_free_probe(p);
    io_uring_free_probe(nullptr);

    closed_ring closed;
    CHECK(io_uring_get_probe_ring(closed) == nullptr);

    // The raw op into a caller's zeroed buffer, asking for 8 ops.
    alignas(io_uring_probe) unsigned char raw[sizeof(io_uring_probe) + 16 * sizeof(io_uring_probe_op)] = {};
    auto* small = reinterpret_cast<io_uring_probe*>(raw);
    REQUIRE(io_uring_register_probe(r, small, 8) == 0);
    CHECK(small->ops_len == 8);
    CHECK(small->last_op == expected.last_op());
    // (The entries through a pointer of their own: g++ takes the C++ face's ops[0] for a real
    // zero-length array and warns, -Warray-bounds, at writes through it into a known buffer.)
    auto* ops = reinterpret_cast<io_uring_probe_op*>(raw + sizeof(io_uring_probe));
    CHECK(ops[7].op == 7);
    CHECK(ops[8].op == 0);  // left alone
    CHECK(io_uring_opcode_supported(small, IORING_OP_NOP) == 1);
    // An entry past ops_len is not the kernel's answer, whatever it holds.
    ops[9].flags = IO_URING_OP_SUPPORTED;
    CHECK(io_uring_opcode_supported(small, 9) == 0);
    ops[9].flags = 0;
    CHECK(io_uring_register_probe(r, small, 8) == -EINVAL);  // not zeroed any more
    std::memset(raw, 0, sizeof(raw));
    CHECK(io_uring_register_probe(r, small, 257) == -EINVAL);
}

// ---- personality ------------------------------------------------------------------------------

TEST_CASE("liburing register: personality") {
    face_ring r(4);
    const int id = io_uring_register_personality(r);
    REQUIRE(id > 0);
    const int id2 = io_uring_register_personality(r);
    REQUIRE(id2 > 0);
    CHECK(id2 != id);
    CHECK(nop_res(r, 1, 0, id) == 0);
    CHECK(io_uring_unregister_personality(r, id) == 0);
    CHECK(io_uring_unregister_personality(r, id) == -EINVAL);
    CHECK(nop_res(r, 2, 0, id) == -EINVAL);  // an id no longer registered
    CHECK(nop_res(r, 3, 0, id2) == 0);
    CHECK(io_uring_unregister_personality(r, id2) == 0);
}

// ---- restrictions and enabling ----------------------------------------------------------------

TEST_CASE("liburing register: restrictions and enable_rings on an R_DISABLED ring") {
    face_ring r(8, IORING_SETUP_R_DISABLED);
    io_uring_restriction res[3] = {};
    res[0].opcode = IORING_RESTRICTION_SQE_OP;
    res[0].sqe_op = IORING_OP_NOP;
    res[1].opcode = IORING_RESTRICTION_REGISTER_OP;
    res[1].register_op = IORING_REGISTER_PROBE;
    res[2].opcode = IORING_RESTRICTION_REGISTER_OP;
    res[2].register_op = 200;  // no such register op: the whole set is refused
    CHECK(io_uring_register_restrictions(r, res, 3) == -EINVAL);
    REQUIRE(io_uring_register_restrictions(r, res, 2) == 0);
    CHECK(io_uring_register_restrictions(r, res, 2) == -EBUSY);

    // Disabled: the kernel refuses to be entered; the NOP stays queued.
    io_uring_sqe* sqe = next_sqe(r, 1);
    io_uring_prep_nop(sqe);
    CHECK(io_uring_submit(r) == -EBADFD);
    CHECK(io_uring_sq_ready(r) == 1);
    REQUIRE(io_uring_enable_rings(r) == 0);
    CHECK(io_uring_submit(r) == 1);
    const io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == 1);
    CHECK(cqe.res == 0);

    // Only NOP may be submitted, and only PROBE registered.
    pipe_pair p;
    char buf[4];
    sqe = next_sqe(r, 2);
    io_uring_prep_read(sqe, p.read_end, buf, sizeof(buf), 0);
    CHECK(submit_and_reap(r).res == -EACCES);
    io_uring_probe* probe = io_uring_get_probe_ring(r);
    CHECK(probe != nullptr);
    io_uring_free_probe(probe);
    CHECK(io_uring_register_personality(r) == -EACCES);
    CHECK(io_uring_enable_rings(r) == -EACCES);

    face_ring plain(2);
    CHECK(io_uring_register_restrictions(plain, res, 2) == -EBADFD);
    CHECK(io_uring_enable_rings(plain) == -EBADFD);
}

// ---- io-wq ------------------------------------------------------------------------------------

TEST_CASE("liburing register: iowq affinity and max workers") {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    REQUIRE(::sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
    int first = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE && first < 0; ++cpu)
        if (CPU_ISSET(cpu, &allowed)) first = cpu;
    REQUIRE(first >= 0);

    // io-wq belongs to the submitting task: a fresh thread, whose worker (iou-wrk-<tid>) is
    // created after the affinity is set.
    struct result {
        int init = 1, reg = 1, too_big = 1, unreg = 1, nop = 1;
        std::string worker_cpus;
    } res;
    std::thread t([&] {
        face_ring r;
        res.init = r.init(4);
        if (res.init != 0) return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        res.too_big = io_uring_register_iowq_aff(r, std::size_t{1} << 31, &one);
        res.reg = io_uring_register_iowq_aff(r, sizeof(one), &one);
        io_uring_sqe* sqe = io_uring_get_sqe(r);
        if (sqe == nullptr) return;
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);  // on an io-wq worker
        if (io_uring_submit(r) != 1) return;
        io_uring_cqe* cqe = nullptr;
        if (wait_cqe_ms(r, &cqe, 5000) != 0) return;
        res.nop = cqe->res;
        io_uring_cq_advance(r, 1);
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
        res.unreg = io_uring_unregister_iowq_aff(r);
    });
    t.join();
    REQUIRE(res.init == 0);
    CHECK(res.too_big == -EINVAL);
    CHECK(res.reg == 0);
    CHECK(res.nop == 0);
    CHECK(res.worker_cpus == std::to_string(first));
    CHECK(res.unreg == 0);

    face_ring r(4);
    CHECK(nop_res(r, 1) == 0);  // the task's io-wq exists after a submission
    unsigned old[2] = {0, 0};
    REQUIRE(io_uring_register_iowq_max_workers(r, old) == 0);  // {0, 0} only reads
    CHECK(old[0] > 0);
    CHECK(old[1] > 0);
    unsigned set[2] = {2, 3};
    REQUIRE(io_uring_register_iowq_max_workers(r, set) == 0);
    CHECK(set[0] == old[0]);  // the previous limits come back
    CHECK(set[1] == old[1]);
    unsigned now[2] = {0, 0};
    REQUIRE(io_uring_register_iowq_max_workers(r, now) == 0);
    CHECK(now[0] == 2);
    CHECK(now[1] == 3);
    CHECK(io_uring_register_iowq_max_workers(r, nullptr) == -EINVAL);
    unsigned back[2] = {old[0], old[1]};
    REQUIRE(io_uring_register_iowq_max_workers(r, back) == 0);
}

// ---- the registered ring fd -------------------------------------------------------------------

TEST_CASE("liburing register: ring fd register, unregister, close") {
    face_ring r(4);
    const int fd = r.ring.ring_fd;
    CHECK(r.ring.enter_ring_fd == fd);
    CHECK(io_uring_unregister_ring_fd(r) == -EINVAL);
    CHECK(io_uring_close_ring_fd(r) == (has_reg_reg_ring(r) ? -EINVAL : -EOPNOTSUPP));

    REQUIRE(io_uring_register_ring_fd(r) == 1);
    CHECK(r.ring.enter_ring_fd != fd);
    CHECK(r.ring.enter_ring_fd >= 0);
    CHECK(r.ring.enter_ring_fd < 16);  // the kernel's per-task table has 16 slots
    CHECK((r.ring.int_flags & rawring::ring_state::int_flag_reg_ring) != 0);
    CHECK(r.ring.ring_fd == fd);
    CHECK(io_uring_register_ring_fd(r) == -EEXIST);
    CHECK(nop_res(r, 1) == 0);  // entered through the index

    REQUIRE(io_uring_unregister_ring_fd(r) == 1);
    CHECK(r.ring.enter_ring_fd == fd);
    CHECK((r.ring.int_flags & rawring::ring_state::int_flag_reg_ring) == 0);
    CHECK(io_uring_unregister_ring_fd(r) == -EINVAL);
    CHECK(nop_res(r, 2) == 0);

    REQUIRE(io_uring_register_ring_fd(r) == 1);
    if (!has_reg_reg_ring(r)) {
        CHECK(io_uring_close_ring_fd(r) == -EOPNOTSUPP);
        CHECK(r.ring.ring_fd == fd);
        MESSAGE("SKIP: io_uring_close_ring_fd needs IORING_FEAT_REG_REG_RING (Linux 6.3); register "
                "and unregister were checked");
        return;
    }
    REQUIRE(io_uring_close_ring_fd(r) == 1);
    CHECK(r.ring.ring_fd == -1);
    CHECK(::fcntl(fd, F_GETFD) == -1);  // the fd is closed
    CHECK(io_uring_close_ring_fd(r) == -EBADF);
    CHECK(nop_res(r, 3) == 0);  // the index still reaches the ring, for enters and registers
    const int id = io_uring_register_personality(r);
    CHECK(id > 0);
    CHECK(io_uring_unregister_personality(r, id) == 0);
    // rawring keeps the index, the ring's last handle, until queue_exit (liburing would drop it).
    CHECK(io_uring_unregister_ring_fd(r) == -EBADF);
    CHECK(nop_res(r, 4) == 0);
    r.exit();

    closed_ring closed;
    CHECK(io_uring_register_ring_fd(closed) == -EBADF);
}

// ---- provided-buffer rings --------------------------------------------------------------------

TEST_CASE("liburing register: buf rings setup, add, advance, cq_advance, available, head, free") {
    face_ring r(8);
    pipe_pair p;
    constexpr int bgid = 3;
    int err = 1;
    io_uring_buf_ring* br = io_uring_setup_buf_ring(r, 8, bgid, 0, &err);
    REQUIRE(br != nullptr);
    CHECK(err == 0);
    CHECK(br->tail == 0);
    const int mask = io_uring_buf_ring_mask(8);
    CHECK(mask == 7);

    // Four buffers, ids 10..13, written past the tail and then published with one advance.
    unsigned char bufs[4][64] = {};
    for (int i = 0; i < 4; ++i)
        io_uring_buf_ring_add(br, bufs[i], sizeof(bufs[i]), static_cast<unsigned short>(10 + i), mask, i);
    CHECK(br->tail == 0);
    CHECK(br->bufs[2].addr == reinterpret_cast<std::uintptr_t>(bufs[2]));
    CHECK(br->bufs[2].len == 64);
    CHECK(br->bufs[2].bid == 12);
    io_uring_buf_ring_advance(br, 4);
    CHECK(br->tail == 4);
    std::uint16_t head = 99;
    // The kernel's head (IORING_REGISTER_PBUF_STATUS) exists since Linux 6.8; before, -EINVAL.
    const int status = io_uring_buf_ring_head(r, bgid, &head);
    const bool has_status = status == 0;
    if (!has_status) {
        CHECK(status == -EINVAL);
        MESSAGE("SKIP: io_uring_buf_ring_head/available need IORING_REGISTER_PBUF_STATUS (Linux 6.8)");
    }
    const auto check_head = [&](std::uint16_t want_head, int want_available) {
        if (!has_status) return;
        CHECK(io_uring_buf_ring_head(r, bgid, &head) == 0);
        CHECK(head == want_head);
        CHECK(io_uring_buf_ring_available(r, br, bgid) == want_available);
    };
    check_head(0, 4);

    // A read that selects a buffer takes the first one.
    const auto select_read = [&](const char* text, __u64 data, int group) {
        REQUIRE(::write(p.write_end, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text)));
        io_uring_sqe* sqe = next_sqe(r, data);
        io_uring_prep_read(sqe, p.read_end, nullptr, 64, 0);
        io_uring_sqe_set_flags(sqe, IOSQE_BUFFER_SELECT);
        io_uring_sqe_set_buf_group(sqe, group);
        REQUIRE(io_uring_submit(r) == 1);
        io_uring_cqe* cqe = wait_cqe_for(r, 5000);
        REQUIRE(cqe != nullptr);
        return cqe;
    };
    io_uring_cqe* cqe = select_read("hello", 1, bgid);
    CHECK(cqe->res == 5);
    REQUIRE((cqe->flags & IORING_CQE_F_BUFFER) != 0);
    CHECK((cqe->flags >> IORING_CQE_BUFFER_SHIFT) == 10);
    CHECK(std::memcmp(bufs[0], "hello", 5) == 0);
    check_head(1, 3);

    // Give the buffer back and consume its CQE with one call.
    io_uring_buf_ring_add(br, bufs[0], 64, 10, mask, 0);
    io_uring_buf_ring_cq_advance(r, br, 1);
    CHECK(io_uring_cq_ready(r) == 0);
    CHECK(br->tail == 5);
    if (has_status) CHECK(io_uring_buf_ring_available(r, br, bgid) == 4);

    // Two CQEs, one buffer given back: the CQ and the buffer ring advance by different counts.
    (void)select_read("ab", 2, bgid);
    REQUIRE(io_uring_cq_ready(r) == 1);
    cqe = select_read("cd", 3, bgid);  // returns at once: "ab"'s CQE is still there
    // On 6.18 the read completes inline, on 6.1 from the kernel's worker: wait for it.
    for (int i = 0; i < 500 && io_uring_cq_ready(r) < 2; ++i) ::usleep(10000);
    REQUIRE(io_uring_cq_ready(r) == 2);
    io_uring_buf_ring_add(br, bufs[1], 64, 11, mask, 0);
    __io_uring_buf_ring_cq_advance(r, br, 2, 1);
    CHECK(io_uring_cq_ready(r) == 0);
    CHECK(br->tail == 6);
    if (has_status) CHECK(io_uring_buf_ring_available(r, br, bgid) == 3);

    // Bad sizes and groups.
    err = 0;
    CHECK(io_uring_setup_buf_ring(r, 3, 4, 0, &err) == nullptr);
    CHECK(err == -EINVAL);
    CHECK(io_uring_setup_buf_ring(r, 8, bgid, 0, &err) == nullptr);
    CHECK(err == -EEXIST);
    // An unknown group: -ENOENT since Linux 6.8 (6.1 says -EINVAL).
    const auto unknown_group = [](int ret) { return ret == -ENOENT || ret == -EINVAL; };
    CHECK(unknown_group(io_uring_unregister_buf_ring(r, 5)));
    if (has_status) CHECK(io_uring_buf_ring_head(r, 5, &head) == -ENOENT);

    CHECK(io_uring_free_buf_ring(r, br, 8, bgid) == 0);
    if (has_status) CHECK(io_uring_buf_ring_head(r, bgid, &head) == -ENOENT);
    CHECK(unknown_group(io_uring_unregister_buf_ring(r, bgid)));

    // A ring the kernel allocates (IOU_PBUF_RING_MMAP), mapped by the face.
    br = io_uring_setup_buf_ring(r, 4, 6, IOU_PBUF_RING_MMAP, &err);
    if (br == nullptr) {
        CHECK(err == -EINVAL);
        MESSAGE("SKIP: IOU_PBUF_RING_MMAP needs Linux 6.4");
        return;
    }
    CHECK(err == 0);
    io_uring_buf_ring_add(br, bufs[3], 64, 7, io_uring_buf_ring_mask(4), 0);
    io_uring_buf_ring_advance(br, 1);
    CHECK(io_uring_buf_ring_available(r, br, 6) == 1);
    cqe = select_read("mm", 4, bgid);
    CHECK(cqe->res == -ENOBUFS);  // group 3 is gone
    io_uring_cq_advance(r, 1);
    cqe = select_read("", 5, 6);  // the "mm" still in the pipe
    CHECK(cqe->res == 2);
    CHECK((cqe->flags >> IORING_CQE_BUFFER_SHIFT) == 7);
    CHECK(std::memcmp(bufs[3], "mm", 2) == 0);
    io_uring_cq_advance(r, 1);
    CHECK(io_uring_buf_ring_available(r, br, 6) == 0);
    CHECK(io_uring_free_buf_ring(r, br, 4, 6) == 0);
}

TEST_CASE("liburing register: register_buf_ring takes IOU_PBUF_RING_* in its flags argument") {
    face_ring r(4);
    // liburing ORs the flags argument into reg->flags; rawring's own register_buf_ring keeps
    // that argument reserved (0), so the face moves it.
    int err = 0;
    io_uring_buf_ring* kernel_ring = io_uring_setup_buf_ring(r, 4, 5, IOU_PBUF_RING_MMAP, &err);
    if (kernel_ring == nullptr && err == -EINVAL) {
        MESSAGE("SKIP: IOU_PBUF_RING_MMAP needs Linux 6.4");
        return;
    }
    REQUIRE(kernel_ring != nullptr);
    REQUIRE(io_uring_free_buf_ring(r, kernel_ring, 4, 5) == 0);
    io_uring_buf_reg reg{};
    reg.ring_entries = 4;
    reg.bgid = 5;
    REQUIRE(io_uring_register_buf_ring(r, &reg, IOU_PBUF_RING_MMAP) == 0);
    CHECK(reg.flags == IOU_PBUF_RING_MMAP);
    const std::size_t bytes = 4 * sizeof(io_uring_buf);
    const auto off = static_cast<off_t>(IORING_OFF_PBUF_RING | (std::uint64_t{5} << IORING_OFF_PBUF_SHIFT));
    void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.ring.ring_fd, off);
    REQUIRE(m != MAP_FAILED);
    auto* br = static_cast<io_uring_buf_ring*>(m);
    br->tail = 3;
    io_uring_buf_ring_init(br);
    CHECK(br->tail == 0);
    CHECK(io_uring_buf_ring_available(r, br, 5) == 0);
    ::munmap(m, bytes);
    CHECK(io_uring_unregister_buf_ring(r, 5) == 0);

    // Application memory, flags 0.
    mapping mem(page_size());
    io_uring_buf_reg user{};
    user.ring_addr = reinterpret_cast<std::uintptr_t>(mem.p);
    user.ring_entries = 8;
    user.bgid = 6;
    CHECK(io_uring_register_buf_ring(r, &user, 0) == 0);
    CHECK(io_uring_register_buf_ring(r, &user, 0) == -EEXIST);
    CHECK(io_uring_unregister_buf_ring(r, 6) == 0);
    user.ring_entries = 3;
    CHECK(io_uring_register_buf_ring(r, &user, 0) == -EINVAL);
    CHECK(io_uring_register_buf_ring(r, nullptr, 0) == -EFAULT);
}

// ---- multishot recvmsg output -----------------------------------------------------------------

TEST_CASE("liburing register: recvmsg validate, name, cmsgs, payload on a hand-built buffer") {
    // The layout a multishot recvmsg writes: header, name slot, control slot, payload.
    alignas(16) unsigned char buf[256] = {};
    msghdr msg{};
    msg.msg_namelen = sizeof(sockaddr_in);
    msg.msg_controllen = 2 * CMSG_SPACE(sizeof(int));
    const std::size_t name_at = sizeof(io_uring_recvmsg_out);
    const std::size_t control_at = name_at + sizeof(sockaddr_in);
    const std::size_t payload_at = control_at + msg.msg_controllen;
    auto* out = reinterpret_cast<io_uring_recvmsg_out*>(buf);
    out->namelen = sizeof(sockaddr_in);
    out->controllen = static_cast<__u32>(msg.msg_controllen);
    out->payloadlen = 5;
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_port = htons(4321);
    std::memcpy(buf + name_at, &from, sizeof(from));
    const auto put_cmsg = [&](std::size_t at, int level, int type, int value) {
        cmsghdr h{};
        h.cmsg_len = CMSG_LEN(sizeof(int));
        h.cmsg_level = level;
        h.cmsg_type = type;
        std::memcpy(buf + at, &h, sizeof(h));
        std::memcpy(buf + at + CMSG_LEN(0), &value, sizeof(value));
    };
    put_cmsg(control_at, SOL_SOCKET, SCM_RIGHTS, 7);
    put_cmsg(control_at + CMSG_SPACE(sizeof(int)), IPPROTO_IP, IP_TTL, 64);
    std::memcpy(buf + payload_at, "hello", 5);
    const int buf_len = static_cast<int>(payload_at + 5);

    CHECK(io_uring_recvmsg_validate(buf, buf_len, &msg) == out);
    CHECK(io_uring_recvmsg_validate(buf, static_cast<int>(payload_at), &msg) == out);  // no payload
    CHECK(io_uring_recvmsg_validate(buf, static_cast<int>(payload_at) - 1, &msg) == nullptr);
    CHECK(io_uring_recvmsg_validate(buf, -1, &msg) == nullptr);

    CHECK(io_uring_recvmsg_name(out) == buf + name_at);
    sockaddr_in got{};
    std::memcpy(&got, io_uring_recvmsg_name(out), sizeof(got));
    CHECK(got.sin_port == htons(4321));

    cmsghdr* first = io_uring_recvmsg_cmsg_firsthdr(out, &msg);
    REQUIRE(first == reinterpret_cast<cmsghdr*>(buf + control_at));
    CHECK(first->cmsg_level == SOL_SOCKET);
    int value = 0;
    std::memcpy(&value, CMSG_DATA(first), sizeof(value));
    CHECK(value == 7);
    cmsghdr* second = io_uring_recvmsg_cmsg_nexthdr(out, &msg, first);
    REQUIRE(second == reinterpret_cast<cmsghdr*>(buf + control_at + CMSG_SPACE(sizeof(int))));
    CHECK(second->cmsg_type == IP_TTL);
    std::memcpy(&value, CMSG_DATA(second), sizeof(value));
    CHECK(value == 64);
    CHECK(io_uring_recvmsg_cmsg_nexthdr(out, &msg, second) == nullptr);

    CHECK(io_uring_recvmsg_payload(out, &msg) == buf + payload_at);
    CHECK(io_uring_recvmsg_payload_length(out, buf_len, &msg) == 5);
    CHECK(io_uring_recvmsg_payload_length(out, static_cast<int>(payload_at), &msg) == 0);
    CHECK(io_uring_recvmsg_payload_length(out, -1, &msg) == 0);

    // Less control data than one header: no control messages.
    out->controllen = 4;
    CHECK(io_uring_recvmsg_cmsg_firsthdr(out, &msg) == nullptr);
}

// ---- version ----------------------------------------------------------------------------------

TEST_CASE("liburing register: versions") {
    CHECK(io_uring_major_version() == 2);
    CHECK(io_uring_minor_version() == 15);
    CHECK(io_uring_major_version() == IO_URING_VERSION_MAJOR);
    CHECK(io_uring_minor_version() == IO_URING_VERSION_MINOR);
    // True means "this library is older than asked for".
    CHECK_FALSE(io_uring_check_version(2, 15));
    CHECK_FALSE(io_uring_check_version(2, 0));
    CHECK_FALSE(io_uring_check_version(1, 99));
    CHECK(io_uring_check_version(2, 16));
    CHECK(io_uring_check_version(3, 0));
    CHECK(io_uring_check_version(2, 15) == IO_URING_CHECK_VERSION(2, 15));
    CHECK(io_uring_check_version(2, 16) == IO_URING_CHECK_VERSION(2, 16));
#if IO_URING_CHECK_VERSION(2, 15)
    FAIL("IO_URING_CHECK_VERSION(2, 15) says the face is older than 2.15");
#endif
}

// ---- sync cancel, sync msg_ring ---------------------------------------------------------------

TEST_CASE("liburing register: sync cancel and sync msg_ring") {
    face_ring r(8);
    pipe_pair p;
    char buf[8];
    io_uring_sqe* sqe = next_sqe(r, 0x55);
    io_uring_prep_read(sqe, p.read_end, buf, sizeof(buf), 0);
    REQUIRE(io_uring_submit(r) == 1);
    CHECK(io_uring_cq_ready(r) == 0);  // an empty pipe: the read waits
    io_uring_sync_cancel_reg reg{};
    reg.addr = 0x55;
    reg.fd = -1;
    reg.timeout.tv_sec = -1;
    reg.timeout.tv_nsec = -1;
    CHECK(io_uring_register_sync_cancel(r, &reg) == 0);
    CHECK(io_uring_cq_ready(r) == 1);  // it waited for the cancellation
    const io_uring_cqe cqe = reap(r);
    CHECK(cqe.user_data == 0x55);
    CHECK(cqe.res == -ECANCELED);
    CHECK(io_uring_register_sync_cancel(r, &reg) == -ENOENT);

    face_ring target(4);
    io_uring_sqe msg{};
    io_uring_prep_msg_ring(&msg, target.ring.ring_fd, 0x42, 0xdead, 0);
    const int ret = io_uring_register_sync_msg(&msg);
    // (A kernel without ring-less register ops takes fd -1 for a bad fd: -EBADF.)
    if (may_lack_register_op(IORING_REGISTER_SEND_MSG_RING, ret == -EBADF ? -EINVAL : ret)) {
        MESSAGE("SKIP: IORING_REGISTER_SEND_MSG_RING needs Linux 6.13");
        return;
    }
    REQUIRE(ret == 0);
    const io_uring_cqe posted = reap(target);
    CHECK(posted.user_data == 0xdead);
    CHECK(posted.res == 0x42);
    msg.opcode = IORING_OP_NOP;
    CHECK(io_uring_register_sync_msg(&msg) == -EINVAL);
}

// ---- NAPI, clock, regions, query and the ops this kernel may not have -------------------------

TEST_CASE("liburing register: napi, clock, region, wait_reg, query, bpf, zcrx") {
    face_ring r(4);

    io_uring_query_opcode opcodes{};
    io_uring_query_hdr hdr{};
    hdr.query_data = reinterpret_cast<std::uintptr_t>(&opcodes);
    hdr.query_op = IO_URING_QUERY_OPCODES;
    hdr.size = sizeof(opcodes);
    int ret = io_uring_register_query(&hdr);
    if (ret == -EINVAL) {
        // Only the kernel's own refusal of a well-formed query excuses it (asked by the raw call).
        CHECK_FALSE(rawring_test::kernel_knows_register_op(IORING_REGISTER_QUERY));
        MESSAGE("SKIP: IORING_REGISTER_QUERY needs Linux 6.18");
    } else {
        CHECK(ret == 0);
        CHECK(hdr.result == 0);
        CHECK(opcodes.nr_request_opcodes == rawring::get_probe(state(r)).last_op() + 1u);
        CHECK(opcodes.nr_register_opcodes > static_cast<unsigned>(IORING_REGISTER_QUERY));
    }

    io_uring_napi napi{};
    napi.busy_poll_to = 100;
    napi.opcode = IO_URING_NAPI_REGISTER_OP;
    napi.op_param = IO_URING_NAPI_TRACKING_DYNAMIC;
    ret = io_uring_register_napi(r, &napi);
    if (may_lack_register_op(IORING_REGISTER_NAPI, ret)) {
        MESSAGE("SKIP: IORING_REGISTER_NAPI needs Linux 6.9");
    } else {
        CHECK(ret == 0);
        io_uring_napi out{};
        CHECK(io_uring_unregister_napi(r, &out) == 0);
        CHECK(out.busy_poll_to == 100);  // what was in force
    }

    io_uring_clock_register clock{};
    clock.clockid = CLOCK_BOOTTIME;
    ret = io_uring_register_clock(r, &clock);
    if (may_lack_register_op(IORING_REGISTER_CLOCK, ret)) {
        MESSAGE("SKIP: IORING_REGISTER_CLOCK needs Linux 6.12");
    } else {
        CHECK(ret == 0);
        CHECK(r.ring.pad[0] == CLOCK_BOOTTIME);  // rawring times what is left of a wait on it
        CHECK(wait_cqe_for(r, 10) == nullptr);
        clock.clockid = CLOCK_REALTIME;
        CHECK(io_uring_register_clock(r, &clock) == -EINVAL);
        clock.clockid = CLOCK_MONOTONIC;
        CHECK(io_uring_register_clock(r, &clock) == 0);
        CHECK(r.ring.pad[0] == CLOCK_MONOTONIC);
    }

    // liburing's io_uring_register_wait_reg always answers -EINVAL, so the ring's one region stays
    // free for io_uring_register_region, which takes wait entries only before the ring is enabled.
    const std::size_t ps = page_size();
    mapping waits(ps);
    face_ring disabled(4, IORING_SETUP_R_DISABLED);
    // (A page of entries, page-aligned, on a disabled ring: what the kernel would take.)
    const int nr_waits = static_cast<int>(ps / sizeof(io_uring_reg_wait));
    CHECK(io_uring_register_wait_reg(disabled, static_cast<io_uring_reg_wait*>(waits.p), nr_waits) ==
          -EINVAL);
    io_uring_region_desc desc{};
    desc.user_addr = reinterpret_cast<std::uintptr_t>(waits.p);
    desc.size = ps;
    desc.flags = IORING_MEM_REGION_TYPE_USER;
    io_uring_mem_region_reg mr{};
    mr.region_uptr = reinterpret_cast<std::uintptr_t>(&desc);
    mr.flags = IORING_MEM_REGION_REG_WAIT_ARG;
    ret = io_uring_register_region(disabled, &mr);
    if (may_lack_register_op(IORING_REGISTER_MEM_REGION, ret)) {
        MESSAGE("SKIP: IORING_REGISTER_MEM_REGION needs Linux 6.13");
    } else {
        CHECK(ret == 0);
        CHECK(io_uring_register_region(disabled, &mr) == -EBUSY);
        CHECK(io_uring_register_region(r, &mr) == -EINVAL);  // an enabled ring takes no wait region
    }

    // Zeroed arguments: refused by a kernel that has the op (bad command, ring flags, id) and by
    // one that does not know it; either way the call reached the kernel and came back -errno.
    io_uring_bpf bpf{};
    CHECK(io_uring_register_bpf_filter(r, &bpf) == -EINVAL);
    CHECK(io_uring_register_bpf_filter_task(&bpf) == -EINVAL);
    io_uring_zcrx_ifq_reg ifq{};
    ret = io_uring_register_ifq(r, &ifq);
    CHECK((ret == -EINVAL || ret == -EPERM));
    zcrx_ctrl ctrl{};
    ret = io_uring_register_zcrx_ctrl(r, &ctrl);
    CHECK((ret == -EINVAL || ret == -ENXIO));

    closed_ring closed;
    CHECK(io_uring_register_napi(closed, &napi) == -EBADF);
    CHECK(io_uring_register_clock(closed, &clock) == -EBADF);
}

} // TEST_SUITE
