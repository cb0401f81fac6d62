// SPDX-License-Identifier: MIT
// Zig's queueing calls on ring (include/rawring/zig_queue.hpp), issue 9 item 15: each call's whole
// SQE against get_sqe + prep_* + sqe_set_data64, a full SQ, the mixin's effect on ring, and four
// of Zig's IoUring.zig tests written with the calls ("fix: zig queueing calls: <zig test name>").
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <climits>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

#include "common.hpp"
#include "net.hpp"
#include "zig_util.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;

namespace {

/// What the calls point at: the SQEs only carry these addresses, nothing is ever submitted.
struct arguments {
    unsigned char buf[64] = {};
    iovec iovs[2] = {{buf, 16}, {buf + 16, 48}};
    sockaddr_in addr{};
    socklen_t addrlen = sizeof(sockaddr_in);
    epoll_event ev{};
    msghdr msg{};
    abi::kernel_timespec ts{1, 2};
    struct statx stx{};
    siginfo_t si{};
    int optval = 1;
};
arguments args;

std::span<std::byte> bytes() { return std::as_writable_bytes(std::span(args.buf)); }
std::span<const std::byte> cbytes() { return std::as_bytes(std::span(args.buf)); }
sockaddr* sa() { return reinterpret_cast<sockaddr*>(&args.addr); }

/// One queueing call (`queue`) and what it must equal (`prep`, on a fresh SQE from get_sqe,
/// followed by sqe_set_data64(ud)).
struct queue_case {
    const char* name;
    io_uring_sqe* (*queue)(rawring::ring&, std::uint64_t ud);
    void (*prep)(io_uring_sqe*);
};

constexpr unsigned dirfd = 3;
constexpr int fd = 7;

// clang-format off
const queue_case cases[] = {
    {"fsync", [](rawring::ring& r, std::uint64_t ud) { return r.fsync(ud, fd, abi::IORING_FSYNC_DATASYNC); },
     [](io_uring_sqe* s) { rawring::prep_fsync(s, fd, abi::IORING_FSYNC_DATASYNC); }},
    {"nop", [](rawring::ring& r, std::uint64_t ud) { return r.nop(ud); },
     [](io_uring_sqe* s) { rawring::prep_nop(s); }},
    {"read (buffer)", [](rawring::ring& r, std::uint64_t ud) { return r.read(ud, fd, bytes(), 0x1234); },
     [](io_uring_sqe* s) { rawring::prep_read(s, fd, args.buf, sizeof(args.buf), 0x1234); }},
    {"read (iovecs)", [](rawring::ring& r, std::uint64_t ud) { return r.read(ud, fd, std::span<const iovec>(args.iovs), 99); },
     [](io_uring_sqe* s) { rawring::prep_readv(s, fd, args.iovs, 2, 99); }},
    {"read (buffer_selection)",
     [](rawring::ring& r, std::uint64_t ud) { return r.read(ud, fd, rawring::buffer_selection{.group_id = 0x1337, .len = 300}, 5); },
     [](io_uring_sqe* s) {
         rawring::prep_read(s, fd, nullptr, 300, 5);
         rawring::sqe_set_flags(s, abi::IOSQE_BUFFER_SELECT);
         rawring::sqe_set_buf_group(s, 0x1337);
     }},
    {"write", [](rawring::ring& r, std::uint64_t ud) { return r.write(ud, fd, cbytes().first(20), 17); },
     [](io_uring_sqe* s) { rawring::prep_write(s, fd, args.buf, 20, 17); }},
    {"splice", [](rawring::ring& r, std::uint64_t ud) { return r.splice(ud, 3, ~std::uint64_t{0}, 4, 100, 4096); },
     [](io_uring_sqe* s) { rawring::prep_splice(s, 3, -1, 4, 100, 4096, 0); }},
    {"read_fixed (span)", [](rawring::ring& r, std::uint64_t ud) { return r.read_fixed(ud, fd, bytes().subspan(8, 32), 64, 3); },
     [](io_uring_sqe* s) { rawring::prep_read_fixed(s, fd, args.buf + 8, 32, 64, 3); }},
    {"read_fixed (iovec*)", [](rawring::ring& r, std::uint64_t ud) { return r.read_fixed(ud, fd, &args.iovs[1], 64, 3); },
     [](io_uring_sqe* s) { rawring::prep_read_fixed(s, fd, args.buf + 16, 48, 64, 3); }},
    {"writev", [](rawring::ring& r, std::uint64_t ud) { return r.writev(ud, fd, std::span<const iovec>(args.iovs), 17); },
     [](io_uring_sqe* s) { rawring::prep_writev(s, fd, args.iovs, 2, 17); }},
    {"write_fixed (span)", [](rawring::ring& r, std::uint64_t ud) { return r.write_fixed(ud, fd, cbytes().subspan(4, 8), 9, 2); },
     [](io_uring_sqe* s) { rawring::prep_write_fixed(s, fd, args.buf + 4, 8, 9, 2); }},
    {"write_fixed (iovec*)", [](rawring::ring& r, std::uint64_t ud) { return r.write_fixed(ud, fd, &args.iovs[0], 9, 2); },
     [](io_uring_sqe* s) { rawring::prep_write_fixed(s, fd, args.buf, 16, 9, 2); }},
    {"accept", [](rawring::ring& r, std::uint64_t ud) { return r.accept(ud, 5, sa(), &args.addrlen, SOCK_CLOEXEC); },
     [](io_uring_sqe* s) { rawring::prep_accept(s, 5, sa(), &args.addrlen, SOCK_CLOEXEC); }},
    {"accept_multishot", [](rawring::ring& r, std::uint64_t ud) { return r.accept_multishot(ud, 5, sa(), &args.addrlen, SOCK_NONBLOCK); },
     [](io_uring_sqe* s) { rawring::prep_multishot_accept(s, 5, sa(), &args.addrlen, SOCK_NONBLOCK); }},
    {"accept_direct", [](rawring::ring& r, std::uint64_t ud) { return r.accept_direct(ud, 5, sa(), &args.addrlen, SOCK_CLOEXEC); },
     [](io_uring_sqe* s) { rawring::prep_accept_direct(s, 5, sa(), &args.addrlen, SOCK_CLOEXEC, abi::IORING_FILE_INDEX_ALLOC); }},
    {"accept_multishot_direct", [](rawring::ring& r, std::uint64_t ud) { return r.accept_multishot_direct(ud, 5, nullptr, nullptr, 0); },
     [](io_uring_sqe* s) { rawring::prep_multishot_accept_direct(s, 5, nullptr, nullptr, 0); }},
    {"connect", [](rawring::ring& r, std::uint64_t ud) { return r.connect(ud, 5, sa(), sizeof(sockaddr_in)); },
     [](io_uring_sqe* s) { rawring::prep_connect(s, 5, sa(), sizeof(sockaddr_in)); }},
    {"epoll_ctl", [](rawring::ring& r, std::uint64_t ud) { return r.epoll_ctl(ud, 9, 5, EPOLL_CTL_MOD, &args.ev); },
     [](io_uring_sqe* s) { rawring::prep_epoll_ctl(s, 9, 5, EPOLL_CTL_MOD, &args.ev); }},
    {"recv (buffer)", [](rawring::ring& r, std::uint64_t ud) { return r.recv(ud, 5, bytes(), MSG_WAITALL); },
     [](io_uring_sqe* s) { rawring::prep_recv(s, 5, args.buf, sizeof(args.buf), MSG_WAITALL); }},
    {"recv (buffer_selection)",
     [](rawring::ring& r, std::uint64_t ud) { return r.recv(ud, 5, rawring::buffer_selection{.group_id = 42, .len = 0}, MSG_DONTWAIT); },
     [](io_uring_sqe* s) {
         rawring::prep_recv(s, 5, nullptr, 0, MSG_DONTWAIT);
         rawring::sqe_set_flags(s, abi::IOSQE_BUFFER_SELECT);
         rawring::sqe_set_buf_group(s, 42);
     }},
    {"send", [](rawring::ring& r, std::uint64_t ud) { return r.send(ud, 5, cbytes().first(10), MSG_NOSIGNAL); },
     [](io_uring_sqe* s) { rawring::prep_send(s, 5, args.buf, 10, MSG_NOSIGNAL); }},
    {"send_zc", [](rawring::ring& r, std::uint64_t ud) { return r.send_zc(ud, 5, cbytes(), MSG_NOSIGNAL, abi::IORING_RECVSEND_POLL_FIRST); },
     [](io_uring_sqe* s) { rawring::prep_send_zc(s, 5, args.buf, sizeof(args.buf), MSG_NOSIGNAL, abi::IORING_RECVSEND_POLL_FIRST); }},
    {"send_zc_fixed", [](rawring::ring& r, std::uint64_t ud) { return r.send_zc_fixed(ud, 5, cbytes(), MSG_MORE, 0, 4); },
     [](io_uring_sqe* s) { rawring::prep_send_zc_fixed(s, 5, args.buf, sizeof(args.buf), MSG_MORE, 0, 4); }},
    {"recvmsg", [](rawring::ring& r, std::uint64_t ud) { return r.recvmsg(ud, 5, &args.msg, MSG_TRUNC); },
     [](io_uring_sqe* s) { rawring::prep_recvmsg(s, 5, &args.msg, MSG_TRUNC); }},
    {"sendmsg", [](rawring::ring& r, std::uint64_t ud) { return r.sendmsg(ud, 5, &args.msg, MSG_NOSIGNAL); },
     [](io_uring_sqe* s) { rawring::prep_sendmsg(s, 5, &args.msg, MSG_NOSIGNAL); }},
    {"sendmsg_zc", [](rawring::ring& r, std::uint64_t ud) { return r.sendmsg_zc(ud, 5, &args.msg, MSG_NOSIGNAL); },
     [](io_uring_sqe* s) { rawring::prep_sendmsg_zc(s, 5, &args.msg, MSG_NOSIGNAL); }},
    {"openat", [](rawring::ring& r, std::uint64_t ud) { return r.openat(ud, rawring::at_fdcwd, "/x", O_RDWR | O_CREAT, 0640); },
     [](io_uring_sqe* s) { rawring::prep_openat(s, rawring::at_fdcwd, "/x", O_RDWR | O_CREAT, 0640); }},
    {"openat_direct", [](rawring::ring& r, std::uint64_t ud) { return r.openat_direct(ud, dirfd, "x", O_RDONLY, 0, 11); },
     [](io_uring_sqe* s) { rawring::prep_openat_direct(s, dirfd, "x", O_RDONLY, 0, 11); }},
    {"close", [](rawring::ring& r, std::uint64_t ud) { return r.close(ud, 8); },
     [](io_uring_sqe* s) { rawring::prep_close(s, 8); }},
    {"close_direct", [](rawring::ring& r, std::uint64_t ud) { return r.close_direct(ud, 12); },
     [](io_uring_sqe* s) { rawring::prep_close_direct(s, 12); }},
    {"timeout", [](rawring::ring& r, std::uint64_t ud) { return r.timeout(ud, &args.ts, 3, abi::IORING_TIMEOUT_ABS); },
     [](io_uring_sqe* s) { rawring::prep_timeout(s, &args.ts, 3, abi::IORING_TIMEOUT_ABS); }},
    {"timeout_remove", [](rawring::ring& r, std::uint64_t ud) { return r.timeout_remove(ud, 0x77, 0); },
     [](io_uring_sqe* s) { rawring::prep_timeout_remove(s, 0x77, 0); }},
    {"link_timeout", [](rawring::ring& r, std::uint64_t ud) { return r.link_timeout(ud, &args.ts, 0); },
     [](io_uring_sqe* s) { rawring::prep_link_timeout(s, &args.ts, 0); }},
    {"poll_add", [](rawring::ring& r, std::uint64_t ud) { return r.poll_add(ud, 5, POLLIN | POLLPRI); },
     [](io_uring_sqe* s) { rawring::prep_poll_add(s, 5, POLLIN | POLLPRI); }},
    {"poll_remove", [](rawring::ring& r, std::uint64_t ud) { return r.poll_remove(ud, 0x88); },
     [](io_uring_sqe* s) { rawring::prep_poll_remove(s, 0x88); }},
    {"poll_update",
     [](rawring::ring& r, std::uint64_t ud) { return r.poll_update(ud, 0x88, 0x99, POLLOUT, abi::IORING_POLL_UPDATE_EVENTS); },
     [](io_uring_sqe* s) { rawring::prep_poll_update(s, 0x88, 0x99, POLLOUT, abi::IORING_POLL_UPDATE_EVENTS); }},
    {"fallocate", [](rawring::ring& r, std::uint64_t ud) { return r.fallocate(ud, fd, 1, 4096, 8192); },
     [](io_uring_sqe* s) { rawring::prep_fallocate(s, fd, 1, 4096, 8192); }},
    {"statx", [](rawring::ring& r, std::uint64_t ud) { return r.statx(ud, dirfd, "x", AT_SYMLINK_NOFOLLOW, STATX_SIZE, &args.stx); },
     [](io_uring_sqe* s) { rawring::prep_statx(s, dirfd, "x", AT_SYMLINK_NOFOLLOW, STATX_SIZE, &args.stx); }},
    {"cancel", [](rawring::ring& r, std::uint64_t ud) { return r.cancel(ud, 0xabc, abi::IORING_ASYNC_CANCEL_ALL); },
     [](io_uring_sqe* s) { rawring::prep_cancel64(s, 0xabc, abi::IORING_ASYNC_CANCEL_ALL); }},
    {"shutdown", [](rawring::ring& r, std::uint64_t ud) { return r.shutdown(ud, 5, SHUT_WR); },
     [](io_uring_sqe* s) { rawring::prep_shutdown(s, 5, SHUT_WR); }},
    {"renameat", [](rawring::ring& r, std::uint64_t ud) { return r.renameat(ud, 3, "a", 4, "b", 1); },
     [](io_uring_sqe* s) { rawring::prep_renameat(s, 3, "a", 4, "b", 1); }},
    {"unlinkat", [](rawring::ring& r, std::uint64_t ud) { return r.unlinkat(ud, 3, "a", AT_REMOVEDIR); },
     [](io_uring_sqe* s) { rawring::prep_unlinkat(s, 3, "a", AT_REMOVEDIR); }},
    {"mkdirat", [](rawring::ring& r, std::uint64_t ud) { return r.mkdirat(ud, 3, "d", 0755); },
     [](io_uring_sqe* s) { rawring::prep_mkdirat(s, 3, "d", 0755); }},
    {"symlinkat", [](rawring::ring& r, std::uint64_t ud) { return r.symlinkat(ud, "t", 3, "l"); },
     [](io_uring_sqe* s) { rawring::prep_symlinkat(s, "t", 3, "l"); }},
    {"linkat", [](rawring::ring& r, std::uint64_t ud) { return r.linkat(ud, 3, "a", 4, "b", AT_SYMLINK_FOLLOW); },
     [](io_uring_sqe* s) { rawring::prep_linkat(s, 3, "a", 4, "b", AT_SYMLINK_FOLLOW); }},
    {"provide_buffers", [](rawring::ring& r, std::uint64_t ud) { return r.provide_buffers(ud, args.buf, 16, 4, 1337, 2); },
     [](io_uring_sqe* s) { rawring::prep_provide_buffers(s, args.buf, 16, 4, 1337, 2); }},
    {"remove_buffers", [](rawring::ring& r, std::uint64_t ud) { return r.remove_buffers(ud, 3, 1337); },
     [](io_uring_sqe* s) { rawring::prep_remove_buffers(s, 3, 1337); }},
    {"waitid", [](rawring::ring& r, std::uint64_t ud) { return r.waitid(ud, P_PID, 1234, &args.si, WEXITED, 0); },
     [](io_uring_sqe* s) { rawring::prep_waitid(s, P_PID, 1234, &args.si, WEXITED, 0); }},
    {"socket", [](rawring::ring& r, std::uint64_t ud) { return r.socket(ud, AF_INET, SOCK_STREAM, IPPROTO_TCP, 0); },
     [](io_uring_sqe* s) { rawring::prep_socket(s, AF_INET, SOCK_STREAM, IPPROTO_TCP, 0); }},
    // Zig's order is (flags, file_index); liburing's and prep_socket_direct's (file_index, flags).
    {"socket_direct", [](rawring::ring& r, std::uint64_t ud) { return r.socket_direct(ud, AF_INET, SOCK_DGRAM, 0, 5, 21); },
     [](io_uring_sqe* s) { rawring::prep_socket_direct(s, AF_INET, SOCK_DGRAM, 0, 21, 5); }},
    {"socket_direct_alloc", [](rawring::ring& r, std::uint64_t ud) { return r.socket_direct_alloc(ud, AF_UNIX, SOCK_STREAM, 0, 0); },
     [](io_uring_sqe* s) { rawring::prep_socket_direct_alloc(s, AF_UNIX, SOCK_STREAM, 0, 0); }},
    // Zig's bind and listen take flags the kernel has no use for; rawring ignores them.
    {"bind", [](rawring::ring& r, std::uint64_t ud) { return r.bind(ud, 5, sa(), sizeof(sockaddr_in), 0x10); },
     [](io_uring_sqe* s) { rawring::prep_bind(s, 5, sa(), sizeof(sockaddr_in)); }},
    {"listen", [](rawring::ring& r, std::uint64_t ud) { return r.listen(ud, 5, 128, 0x10); },
     [](io_uring_sqe* s) { rawring::prep_listen(s, 5, 128); }},
    {"cmd_sock",
     [](rawring::ring& r, std::uint64_t ud) { return r.cmd_sock(ud, abi::SOCKET_URING_OP_SIOCINQ, 5, SOL_SOCKET, SO_RCVBUF, &args.optval, 4); },
     [](io_uring_sqe* s) { rawring::prep_cmd_sock(s, abi::SOCKET_URING_OP_SIOCINQ, 5, SOL_SOCKET, SO_RCVBUF, &args.optval, 4); }},
    {"setsockopt",
     [](rawring::ring& r, std::uint64_t ud) { return r.setsockopt(ud, 5, SOL_SOCKET, SO_REUSEADDR, std::as_bytes(std::span(&args.optval, 1))); },
     [](io_uring_sqe* s) { rawring::prep_cmd_sock(s, abi::SOCKET_URING_OP_SETSOCKOPT, 5, SOL_SOCKET, SO_REUSEADDR, &args.optval, sizeof(int)); }},
    {"getsockopt",
     [](rawring::ring& r, std::uint64_t ud) { return r.getsockopt(ud, 5, SOL_SOCKET, SO_RCVBUF, std::as_writable_bytes(std::span(&args.optval, 1))); },
     [](io_uring_sqe* s) { rawring::prep_cmd_sock(s, abi::SOCKET_URING_OP_GETSOCKOPT, 5, SOL_SOCKET, SO_RCVBUF, &args.optval, sizeof(int)); }},
};
// clang-format on

/// A ring for SQE-level checks, or false (with a SKIP) where io_uring cannot be set up.
bool open_plain(rawring::ring& r, unsigned entries, std::uint32_t flags = 0) {
    if (const int ret = r.init(entries, flags); ret < 0) {
        RAWRING_SKIP("io_uring cannot be set up here: " << std::strerror(-ret));
        return false;
    }
    return true;
}

/// The slot get_sqe handed out last.
const io_uring_sqe* last_slot(const rawring::ring& r) {
    return r.sq().sqes + (((r.sq().sqe_tail - 1) & r.sq().ring_mask) << r.sq().shift);
}

} // namespace

// The mixin: ring gets the calls and stays what it was. An empty base takes no storage in ring
// (only a first member of the same type could stop that), so sizeof(ring) does not change.
static_assert(std::is_base_of_v<rawring::zig_queue<rawring::ring>, rawring::ring>);
static_assert(std::is_empty_v<rawring::zig_queue<rawring::ring>>);
static_assert(!std::is_polymorphic_v<rawring::ring>);
static_assert(!std::is_copy_constructible_v<rawring::ring>);
static_assert(!std::is_copy_assignable_v<rawring::ring>);
static_assert(std::is_nothrow_move_constructible_v<rawring::ring>);
static_assert(std::is_nothrow_move_assignable_v<rawring::ring>);

TEST_SUITE("unit") {

TEST_CASE("fix: zig queueing calls: each gives the SQE of get_sqe + prep_* + sqe_set_data64") {
    // Default and 128-byte entries; the queued SQE is the next slot, and nothing else is taken.
    for (const std::uint32_t flags : {0u, abi::IORING_SETUP_SQE128}) {
        CAPTURE(flags);
        rawring::ring r;
        if (!open_plain(r, 128, flags)) return;
        std::uint64_t ud = 0x0123456789ab0000;
        for (const queue_case& c : cases) {
            INFO("call: " << std::string(c.name));
            ++ud;
            const unsigned ready = r.sq_ready();
            io_uring_sqe* got = c.queue(r, ud);
            REQUIRE(got != nullptr);
            CHECK(r.sq_ready() == ready + 1);
            CHECK(got == last_slot(r));
            io_uring_sqe* want = r.get_sqe();
            REQUIRE(want != nullptr);
            c.prep(want);
            rawring::sqe_set_data64(want, ud);
            check_sqe(*got, *want);
        }
    }
}

TEST_CASE("fix: zig queueing calls: the union overloads encode what Zig's do") {
    rawring::ring r;
    if (!open_plain(r, 8)) return;
    // ReadBuffer.buffer_selection: READ with no address, len and offset, BUFFER_SELECT, group.
    io_uring_sqe* sqe = r.read(0x1111, 4, rawring::buffer_selection{.group_id = 1337, .len = 128}, 9);
    REQUIRE(sqe != nullptr);
    io_uring_sqe want{};
    want.opcode = abi::IORING_OP_READ;
    want.flags = abi::IOSQE_BUFFER_SELECT;
    want.fd = 4;
    want.len = 128;
    want.off = 9;
    want.buf_group = 1337;
    want.user_data = 0x1111;
    check_sqe(*sqe, want);
    // ReadBuffer.iovecs: READV of the vector.
    sqe = r.read(0x2222, 4, std::span<const iovec>(args.iovs), 0);
    REQUIRE(sqe != nullptr);
    want = {};
    want.opcode = abi::IORING_OP_READV;
    want.fd = 4;
    want.addr = reinterpret_cast<std::uintptr_t>(args.iovs);
    want.len = 2;
    want.user_data = 0x2222;
    check_sqe(*sqe, want);
    // RecvBuffer.buffer_selection: RECV with MSG_* flags, BUFFER_SELECT, group.
    sqe = r.recv(0x3333, 6, rawring::buffer_selection{.group_id = 7, .len = 64}, MSG_WAITALL);
    REQUIRE(sqe != nullptr);
    want = {};
    want.opcode = abi::IORING_OP_RECV;
    want.flags = abi::IOSQE_BUFFER_SELECT;
    want.fd = 6;
    want.len = 64;
    want.msg_flags = MSG_WAITALL;
    want.buf_group = 7;
    want.user_data = 0x3333;
    check_sqe(*sqe, want);
}

TEST_CASE("fix: zig queueing calls: a full SQ gives nullptr and touches nothing") {
    rawring::ring r;
    if (!open_plain(r, 1)) return;
    REQUIRE(r.sq().ring_entries == 1);
    io_uring_sqe* only = r.nop(0x5a5a);
    REQUIRE(only != nullptr);
    std::memset(static_cast<void*>(only), 0xc3, sizeof(*only));  // any change would show
    io_uring_sqe before;
    std::memcpy(static_cast<void*>(&before), only, sizeof(before));
    unsigned char args_before[sizeof(args)];
    std::memcpy(args_before, &args, sizeof(args));
    const std::uint32_t tail = r.sq().sqe_tail;
    const std::uint32_t ktail = *r.sq().ktail;
    for (const queue_case& c : cases) {
        INFO("call: " << std::string(c.name));
        CHECK(c.queue(r, 0x77) == nullptr);  // Zig: error.SubmissionQueueFull
        CHECK(r.sq_ready() == 1);
        CHECK(r.sq().sqe_tail == tail);
        CHECK(*r.sq().ktail == ktail);
        CHECK(std::memcmp(only, &before, sizeof(before)) == 0);
    }
    CHECK(std::memcmp(&args, args_before, sizeof(args)) == 0);  // no argument written through
    // A closed (or moved-from) ring has no SQ: every call gives nullptr.
    r.exit();
    CHECK(r.nop(1) == nullptr);
    CHECK(r.read(1, 0, bytes(), 0) == nullptr);
}

TEST_CASE("fix: zig queueing calls: lengths longer than the SQE's fields are clamped, not cut") {
    if constexpr (sizeof(std::size_t) > 4) {
        rawring::ring r;
        if (!open_plain(r, 8)) return;
        // 4 GiB + 2 pages of address space that is never touched (PROT_NONE, no reserve).
        const std::size_t huge = (std::size_t{1} << 32) + 8192;
        void* p = ::mmap(nullptr, huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            RAWRING_SKIP("cannot reserve 4 GiB of address space: " << std::strerror(errno));
            return;
        }
        const std::span<std::byte> big(static_cast<std::byte*>(p), huge);
        io_uring_sqe* sqe = r.read(1, 3, big, 0);
        REQUIRE(sqe != nullptr);
        CHECK(sqe->len == 0xffffffffu);  // cut modulo 2^32 it would be 8192
        sqe = r.send(2, 3, big, 0);
        REQUIRE(sqe != nullptr);
        CHECK(sqe->len == 0xffffffffu);
        sqe = r.setsockopt(3, 3, SOL_SOCKET, SO_RCVBUF, big);
        REQUIRE(sqe != nullptr);
        CHECK(sqe->optlen == static_cast<std::uint32_t>(INT_MAX));
        // At the limit itself, nothing changes.
        sqe = r.write(4, 3, big.first(0xffffffffu), 0);
        REQUIRE(sqe != nullptr);
        CHECK(sqe->len == 0xffffffffu);
        REQUIRE(::munmap(p, huge) == 0);
    } else {
        MESSAGE("a 32-bit size_t cannot exceed the SQE's length fields");
    }
}

TEST_CASE("fix: zig queueing calls: a moved ring's calls queue on the new owner") {
    rawring::ring a;
    if (!open_plain(a, 4)) return;
    REQUIRE(a.nop(1) != nullptr);
    rawring::ring b = std::move(a);
    CHECK(a.nop(2) == nullptr);  // moved from: no SQ
    io_uring_sqe* sqe = b.nop(3);
    REQUIRE(sqe != nullptr);
    CHECK(sqe == last_slot(b));
    CHECK(b.sq_ready() == 2);
    CHECK(b.submit_and_wait(2) == 2);
    CHECK_CQE(take_cqe(b), 1u, 0, 0);
    CHECK_CQE(take_cqe(b), 3u, 0, 0);
}

} // TEST_SUITE("unit")

TEST_SUITE("kernel") {

// Zig's test "nop", with ring.nop() as Zig writes it.
TEST_CASE("fix: zig queueing calls: nop") {
    on_zig_rings(1, [](rawring::ring& r) {
        io_uring_sqe* sqe = r.nop(0xaaaaaaaa);
        REQUIRE(sqe != nullptr);
        io_uring_sqe want{};
        want.opcode = abi::IORING_OP_NOP;
        want.fd = -1;  // liburing's NOP; Zig leaves 0 (the kernel ignores it)
        want.user_data = 0xaaaaaaaa;
        check_sqe(*sqe, want);

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

        CHECK_CQE(take_cqe(r), 0xaaaaaaaau, 0, 0);
        CHECK(*r.cq().khead == 1);
        CHECK(r.cq_ready() == 0);

        io_uring_sqe* sqe_barrier = r.nop(0xbbbbbbbb);
        REQUIRE(sqe_barrier != nullptr);
        sqe_barrier->flags |= abi::IOSQE_IO_DRAIN;
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 0xbbbbbbbbu, 0, 0);
        CHECK(r.sq().sqe_head == 2);
        CHECK(r.sq().sqe_tail == 2);
        CHECK(*r.sq().ktail == 2);
        CHECK(*r.cq().khead == 2);
    });
}

// Zig's test "readv": ring.read() with .iovecs through a registered file, and ring.nop() on the
// full SQ of a ring of one.
TEST_CASE("fix: zig queueing calls: readv") {
    on_zig_rings(1, [](rawring::ring& r) {
        owned_fd zero(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
        REQUIRE(zero >= 0);
        const int fds[1] = {zero.fd};
        REQUIRE(rawring::register_files(r, fds, 1) == 0);

        unsigned char buffer[128];
        std::memset(buffer, 42, sizeof(buffer));
        const iovec iovecs[1] = {{buffer, sizeof(buffer)}};
        io_uring_sqe* sqe = r.read(0xcccccccc, 0, std::span(iovecs), 0);
        REQUIRE(sqe != nullptr);
        CHECK(sqe->opcode == abi::IORING_OP_READV);
        sqe->flags |= abi::IOSQE_FIXED_FILE;

        CHECK(r.nop(0) == nullptr);  // Zig: error.SubmissionQueueFull
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 0xccccccccu, 128, 0);
        CHECK(all_bytes(buffer, sizeof(buffer), 0));

        CHECK(rawring::unregister_files(r) == 0);
    });
}

// Zig's test "accept/connect/send/recv", its harness too: ring.accept(), ring.connect(),
// ring.send() linked to ring.recv().
TEST_CASE("fix: zig queueing calls: accept/connect/send/recv") {
    on_zig_rings(16, [](rawring::ring& r) {
        tcp_listener listener(1);
        sockaddr_in accept_addr{};
        socklen_t accept_addr_len = sizeof(accept_addr);
        REQUIRE(r.accept(0xaaaaaaaa, listener.fd, reinterpret_cast<sockaddr*>(&accept_addr),
                         &accept_addr_len, 0) != nullptr);
        owned_fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(client >= 0);
        REQUIRE(r.connect(0xcccccccc, client, reinterpret_cast<const sockaddr*>(&listener.addr),
                          sizeof(listener.addr)) != nullptr);
        CHECK(r.sq_ready() == 2);
        REQUIRE(r.submit() == 2);
        io_uring_cqe cqe_accept = take_cqe(r);
        io_uring_cqe cqe_connect = take_cqe(r);
        if (cqe_accept.user_data != 0xaaaaaaaa) std::swap(cqe_accept, cqe_connect);  // either order
        CHECK(cqe_accept.user_data == 0xaaaaaaaa);
        CHECK(cqe_accept.flags == 0);
        REQUIRE(cqe_accept.res > 0);
        owned_fd server(cqe_accept.res);
        CHECK_CQE(cqe_connect, 0xccccccccu, 0, 0);
        CHECK(accept_addr_len == sizeof(sockaddr_in));
        CHECK(accept_addr.sin_family == AF_INET);

        const unsigned char buffer_send[10] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
        unsigned char buffer_recv[5] = {0, 1, 0, 1, 0};
        io_uring_sqe* sqe_send = r.send(0xeeeeeeee, client, std::as_bytes(std::span(buffer_send)), 0);
        REQUIRE(sqe_send != nullptr);
        sqe_send->flags |= abi::IOSQE_IO_LINK;
        REQUIRE(r.recv(0xffffffff, server, std::as_writable_bytes(std::span(buffer_recv)), 0) != nullptr);
        CHECK(r.submit() == 2);

        CHECK_CQE(take_cqe(r), 0xeeeeeeeeu, 10, 0);
        const io_uring_cqe cqe_recv = take_cqe(r);
        // SOCK_NONEMPTY (5 bytes are left) is set on some kernels only: ignored, as in Zig.
        CHECK_CQE(cqe_recv, 0xffffffffu, 5, cqe_recv.flags & abi::IORING_CQE_F_SOCK_NONEMPTY);
        CHECK(std::memcmp(buffer_send, buffer_recv, sizeof(buffer_recv)) == 0);
    });
}

// Zig's test "provide_buffers: read": ring.provide_buffers() and ring.read() with
// .buffer_selection, on the kernel.
TEST_CASE("fix: zig queueing calls: provide_buffers: read") {
    on_zig_rings(1, [](rawring::ring& r) {
        owned_fd fd(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
        REQUIRE(fd >= 0);
        constexpr std::uint16_t group_id = 1337;
        constexpr unsigned buffer_len = 128;
        unsigned char buffers[4][buffer_len];
        std::memset(buffers, 42, sizeof(buffers));

        io_uring_sqe* sqe = r.provide_buffers(0xcccccccc, buffers, buffer_len, 4, group_id, 0);
        REQUIRE(sqe != nullptr);
        CHECK(sqe->opcode == abi::IORING_OP_PROVIDE_BUFFERS);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 0xccccccccu, 0, 0);

        const rawring::buffer_selection selection{.group_id = group_id, .len = buffer_len};
        bool used[4] = {};
        for (int i = 0; i < 4; ++i) {
            sqe = r.read(0xdededede, fd, selection, 0);
            REQUIRE(sqe != nullptr);
            CHECK(sqe->opcode == abi::IORING_OP_READ);
            CHECK(sqe->flags == abi::IOSQE_BUFFER_SELECT);
            CHECK(sqe->buf_group == group_id);
            CHECK(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 0xdededede);
            CHECK(cqe.res == static_cast<int>(buffer_len));
            const int bid = rawring::cqe_buffer_id(cqe);
            REQUIRE(bid >= 0);
            REQUIRE(bid <= 3);
            CHECK_FALSE(used[bid]);
            used[bid] = true;
            CHECK(all_bytes(buffers[bid], buffer_len, 0));
        }

        REQUIRE(r.read(0xdfdfdfdf, fd, selection, 0) != nullptr);
        CHECK(r.submit() == 1);
        io_uring_cqe cqe = take_cqe(r);
        CHECK(cqe.user_data == 0xdfdfdfdf);
        CHECK(cqe.res == -ENOBUFS);
        CHECK(rawring::cqe_buffer_id(cqe) == -ENOBUFS);  // Zig: error.NoBufferSelected

        std::memset(buffers, 42, sizeof(buffers));
        REQUIRE(r.provide_buffers(0xabababab, buffers[2], buffer_len, 1, group_id, 2) != nullptr);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 0xababababu, 0, 0);
        REQUIRE(r.read(0xdfdfdfdf, fd, selection, 0) != nullptr);
        CHECK(r.submit() == 1);
        cqe = take_cqe(r);
        CHECK(cqe.user_data == 0xdfdfdfdf);
        CHECK(cqe.res == static_cast<int>(buffer_len));
        CHECK(rawring::cqe_buffer_id(cqe) == 2);
        CHECK(all_bytes(buffers[2], buffer_len, 0));
        CHECK(all_bytes(buffers[0], buffer_len, 42));
    });
}

// Zig's bind() and listen() take a `flags` the kernel has no field for; Zig puts it in rw_flags,
// where the kernel refuses anything but 0. rawring takes it (so a port compiles) and ignores it.
// With socket(), setsockopt() and getsockopt() on the way, as Zig's test "bind/listen/connect".
TEST_CASE("fix: zig queueing calls: bind and listen take Zig's flags and ignore them") {
    on_zig_rings(4, [](rawring::ring& r) {
        if (!rawring::get_probe(r).supported(abi::IORING_OP_LISTEN)) {
            RAWRING_SKIP("the probe lacks IORING_OP_LISTEN (Linux 6.11)");
            return;
        }
        REQUIRE(r.socket(1, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP, 0) != nullptr);
        CHECK(r.submit() == 1);
        io_uring_cqe cqe = take_cqe(r);
        CHECK(cqe.user_data == 1);
        REQUIRE(cqe.res >= 0);
        owned_fd sock(cqe.res);

        int one = 1;
        REQUIRE(r.setsockopt(2, sock, SOL_SOCKET, SO_REUSEADDR, std::as_bytes(std::span(&one, 1))) != nullptr);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 2u, 0, 0);
        int got = 0;
        REQUIRE(r.getsockopt(3, sock, SOL_SOCKET, SO_REUSEADDR, std::as_writable_bytes(std::span(&got, 1))) != nullptr);
        CHECK(r.submit() == 1);
        cqe = take_cqe(r);
        CHECK(cqe.user_data == 3);
        CHECK(cqe.res == int(sizeof(got)));  // the option's length
        CHECK(got == 1);

        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const auto* a = reinterpret_cast<const sockaddr*>(&addr);
        // Zig's encoding of the same bind: the flags in rw_flags. The kernel refuses it.
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        rawring::prep_bind(sqe, sock, a, sizeof(addr));
        sqe->rw_flags = 0x10;
        rawring::sqe_set_data64(sqe, 4);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 4u, -EINVAL, 0);
        // rawring's: the flags are dropped, and bind and listen succeed.
        REQUIRE(r.bind(5, sock, a, sizeof(addr), 0x10) != nullptr);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 5u, 0, 0);
        REQUIRE(r.listen(6, sock, 1, 0x10) != nullptr);
        CHECK(r.submit() == 1);
        CHECK_CQE(take_cqe(r), 6u, 0, 0);
        socklen_t len = sizeof(addr);
        REQUIRE(::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        CHECK(addr.sin_port != 0);
        owned_fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(client >= 0);
        CHECK(::connect(client, a, sizeof(addr)) == 0);  // it listens
    });
}

} // TEST_SUITE("kernel")
