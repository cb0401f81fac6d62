// SPDX-License-Identifier: MIT
// The liburing face's prep helpers: each one's whole SQE against what its rawring twin builds.
//
// Built twice: test-liburing-prep calls the extern "C" symbols of src/liburing_prep.cpp (what C
// and pre-C++20 programs get), test-liburing-prep-inline (RAWRING_TEST_LIBURING_INLINE) the
// inline definitions a C++20 program gets from rawring_prep_impl.hpp.
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include <doctest/doctest.h>

// rawring first: liburing/io_uring.h makes IORING_* macros, which rawring's headers must not see.
#include "rawring/rawring.hpp"

#include "liburing/io_uring.h"

#ifdef RAWRING_TEST_LIBURING_INLINE
#define RAWRING_LIBURING_FN inline
#define RAWRING_LIBURING_DEF inline
#include "liburing/rawring_prep.h"
#include "liburing/rawring_prep_impl.hpp"
#else
#define RAWRING_LIBURING_FN
#include "liburing/rawring_prep.h"
#endif

namespace abi = rawring::abi;

namespace {

/// The helpers that have a case below, by their liburing name.
std::set<std::string>& covered() {
    static std::set<std::string> names;
    return names;
}

struct cover {
    explicit cover(const char* name) { covered().insert(name); }
};

/// liburing 2.15's 104 io_uring_prep_* helpers and its 7 SQE setters / CQE data accessors.
const char* const liburing_names[] = {
    "io_uring_prep_accept", "io_uring_prep_accept_direct", "io_uring_prep_bind",
    "io_uring_prep_cancel", "io_uring_prep_cancel64", "io_uring_prep_cancel_fd",
    "io_uring_prep_close", "io_uring_prep_close_direct", "io_uring_prep_cmd_discard",
    "io_uring_prep_cmd_getsockname", "io_uring_prep_cmd_sock", "io_uring_prep_cmd_zone_reset_all",
    "io_uring_prep_connect", "io_uring_prep_epoll_ctl", "io_uring_prep_epoll_wait",
    "io_uring_prep_fadvise", "io_uring_prep_fadvise64", "io_uring_prep_fallocate",
    "io_uring_prep_fgetxattr", "io_uring_prep_files_update", "io_uring_prep_fixed_fd_install",
    "io_uring_prep_fsetxattr", "io_uring_prep_fsync", "io_uring_prep_ftruncate",
    "io_uring_prep_futex_wait", "io_uring_prep_futex_waitv", "io_uring_prep_futex_wake",
    "io_uring_prep_getxattr", "io_uring_prep_link", "io_uring_prep_link_timeout",
    "io_uring_prep_linkat", "io_uring_prep_listen", "io_uring_prep_madvise",
    "io_uring_prep_madvise64", "io_uring_prep_mkdir", "io_uring_prep_mkdirat",
    "io_uring_prep_msg_ring", "io_uring_prep_msg_ring_cqe_flags", "io_uring_prep_msg_ring_fd",
    "io_uring_prep_msg_ring_fd_alloc", "io_uring_prep_multishot_accept",
    "io_uring_prep_multishot_accept_direct", "io_uring_prep_nop", "io_uring_prep_nop128",
    "io_uring_prep_open", "io_uring_prep_open_direct", "io_uring_prep_openat",
    "io_uring_prep_openat2", "io_uring_prep_openat2_direct", "io_uring_prep_openat_direct",
    "io_uring_prep_pipe", "io_uring_prep_pipe_direct", "io_uring_prep_poll_add",
    "io_uring_prep_poll_multishot", "io_uring_prep_poll_remove", "io_uring_prep_poll_update",
    "io_uring_prep_provide_buffers", "io_uring_prep_read", "io_uring_prep_read_fixed",
    "io_uring_prep_read_multishot", "io_uring_prep_readv", "io_uring_prep_readv2",
    "io_uring_prep_readv_fixed", "io_uring_prep_recv", "io_uring_prep_recv_multishot",
    "io_uring_prep_recvmsg", "io_uring_prep_recvmsg_multishot", "io_uring_prep_remove_buffers",
    "io_uring_prep_rename", "io_uring_prep_renameat", "io_uring_prep_rw", "io_uring_prep_send",
    "io_uring_prep_send_bundle", "io_uring_prep_send_set_addr", "io_uring_prep_send_zc",
    "io_uring_prep_send_zc_fixed", "io_uring_prep_sendmsg", "io_uring_prep_sendmsg_zc",
    "io_uring_prep_sendmsg_zc_fixed", "io_uring_prep_sendto", "io_uring_prep_setxattr",
    "io_uring_prep_shutdown", "io_uring_prep_socket", "io_uring_prep_socket_direct",
    "io_uring_prep_socket_direct_alloc", "io_uring_prep_splice", "io_uring_prep_statx",
    "io_uring_prep_symlink", "io_uring_prep_symlinkat", "io_uring_prep_sync_file_range",
    "io_uring_prep_tee", "io_uring_prep_timeout", "io_uring_prep_timeout_remove",
    "io_uring_prep_timeout_update", "io_uring_prep_unlink", "io_uring_prep_unlinkat",
    "io_uring_prep_uring_cmd", "io_uring_prep_uring_cmd128", "io_uring_prep_waitid",
    "io_uring_prep_write", "io_uring_prep_write_fixed", "io_uring_prep_writev",
    "io_uring_prep_writev2", "io_uring_prep_writev_fixed",
    // setters and accessors
    "io_uring_sqe_set_data", "io_uring_sqe_set_data64", "io_uring_sqe_set_flags",
    "io_uring_sqe_set_buf_group", "io_uring_initialize_sqe", "io_uring_cqe_get_data",
    "io_uring_cqe_get_data64",
};

/// The offsets at which two 64-byte SQEs differ, with both bytes, for the failure message.
std::string byte_diff(const void* got, const void* want) {
    const auto* g = static_cast<const unsigned char*>(got);
    const auto* w = static_cast<const unsigned char*>(want);
    std::string out;
    for (std::size_t i = 0; i < sizeof(::io_uring_sqe); ++i) {
        if (g[i] == w[i]) continue;
        char text[48];
        std::snprintf(text, sizeof text, " [%zu] face %02x, rawring %02x;", i, g[i], w[i]);
        out += text;
    }
    return out;
}

/// Preps one SQE through the liburing face and one through rawring, both starting from the
/// same bytes (all zero, then all 0xa5 as a reused slot holds), and compares all 64 bytes. The
/// face must also have written something over the 0xa5 bytes: a stub that leaves the SQE alone
/// would match a twin that does the same.
template <class Face, class Twin>
void same_sqe(Face face, Twin twin) {
    static_assert(sizeof(::io_uring_sqe) == 64 && sizeof(abi::io_uring_sqe) == 64);
    for (const int fill : {0x00, 0xa5}) {
        CAPTURE(fill);
        ::io_uring_sqe got;
        abi::io_uring_sqe want;
        std::memset(static_cast<void*>(&got), fill, sizeof got);
        std::memset(static_cast<void*>(&want), fill, sizeof want);
        ::io_uring_sqe untouched = got;
        face(&got);
        twin(&want);
        CHECK_MESSAGE(std::memcmp(&got, &want, sizeof got) == 0, byte_diff(&got, &want));
        if (fill != 0) CHECK(std::memcmp(&got, &untouched, sizeof got) != 0);
    }
}

// Distinctive arguments: no two alike, so a swapped or dropped argument shows.
char buf[64];
char buf2[32];
iovec iov[2] = {{buf, 32}, {buf + 32, 32}};
sockaddr_storage sa{};
socklen_t sa_len = sizeof(sa);
msghdr msg{};
__kernel_timespec kts{1, 500};
const char* const path = "/tmp/rawring-a";
const char* const path2 = "/tmp/rawring-b";
const char* const xname = "user.rawring";
struct statx stx;
epoll_event events[4];
open_how how{};
futex_waitv waitv[2]{};
std::uint32_t futex_word = 0;
siginfo_t info;
int fds[4] = {-1, -1, -1, -1};
int object;

sockaddr* sa_ptr() { return reinterpret_cast<sockaddr*>(&sa); }
const abi::kernel_timespec* abi_ts() {
    return reinterpret_cast<const abi::kernel_timespec*>(&kts);
}

} // namespace

/// One case per helper, registered by liburing name for the completeness check at the end.
#define FACE_CASE(name)                                                                            \
    static const cover DOCTEST_ANONYMOUS(face_case_)(#name);                                       \
    TEST_CASE("liburing prep: " #name)

/// same_sqe for io_uring_prep_X and rawring::prep_X called with the same arguments.
#define SAME_ARGS(helper, ...)                                                                     \
    same_sqe([](::io_uring_sqe* s) { io_uring_prep_##helper(s __VA_OPT__(, ) __VA_ARGS__); },      \
             [](abi::io_uring_sqe* s) { rawring::prep_##helper(s __VA_OPT__(, ) __VA_ARGS__); })

/// The case of a helper whose rawring twin takes the same arguments.
#define SAME_AS_TWIN(helper, ...)                                                                  \
    FACE_CASE(io_uring_prep_##helper) { SAME_ARGS(helper __VA_OPT__(, ) __VA_ARGS__); }

TEST_SUITE("unit") {

// ---- SQE setters and CQE accessors ------------------------------------------------------------

FACE_CASE(io_uring_sqe_set_data) {
    same_sqe([](::io_uring_sqe* s) { io_uring_sqe_set_data(s, &object); },
             [](abi::io_uring_sqe* s) { rawring::sqe_set_data(s, &object); });
}
FACE_CASE(io_uring_sqe_set_data64) {
    same_sqe([](::io_uring_sqe* s) { io_uring_sqe_set_data64(s, 0x0123456789abcdefull); },
             [](abi::io_uring_sqe* s) { rawring::sqe_set_data64(s, 0x0123456789abcdefull); });
}
FACE_CASE(io_uring_sqe_set_flags) {
    same_sqe([](::io_uring_sqe* s) { io_uring_sqe_set_flags(s, IOSQE_IO_LINK | IOSQE_ASYNC); },
             [](abi::io_uring_sqe* s) { rawring::sqe_set_flags(s, IOSQE_IO_LINK | IOSQE_ASYNC); });
}
FACE_CASE(io_uring_sqe_set_buf_group) {
    same_sqe([](::io_uring_sqe* s) { io_uring_sqe_set_buf_group(s, 0x1234); },
             [](abi::io_uring_sqe* s) { rawring::sqe_set_buf_group(s, 0x1234); });
}

// No rawring twin: the expected SQE is liburing 2.15's io_uring_initialize_sqe, spelled with
// the uapi member names.
FACE_CASE(io_uring_initialize_sqe) {
    same_sqe([](::io_uring_sqe* s) { io_uring_initialize_sqe(s); },
             [](abi::io_uring_sqe* s) {
                 ::io_uring_sqe want;
                 std::memcpy(&want, s, sizeof want);
                 want.flags = 0;
                 want.ioprio = 0;
                 want.rw_flags = 0;
                 want.buf_index = 0;
                 want.personality = 0;
                 want.file_index = 0;
                 want.addr3 = 0;
                 want.__pad2[0] = 0;
                 std::memcpy(static_cast<void*>(s), &want, sizeof want);
             });
}

FACE_CASE(io_uring_cqe_get_data) {
    ::io_uring_cqe face{};
    abi::io_uring_cqe twin{};
    face.user_data = twin.user_data = reinterpret_cast<std::uintptr_t>(&object);
    CHECK(io_uring_cqe_get_data(&face) == static_cast<void*>(&object));
    CHECK(io_uring_cqe_get_data(&face) == rawring::cqe_get_data(&twin));
}
FACE_CASE(io_uring_cqe_get_data64) {
    ::io_uring_cqe face{};
    abi::io_uring_cqe twin{};
    face.user_data = twin.user_data = 0xfedcba9876543210ull;
    CHECK(io_uring_cqe_get_data64(&face) == 0xfedcba9876543210ull);
    CHECK(io_uring_cqe_get_data64(&face) == rawring::cqe_get_data64(&twin));
}

// ---- The core, no-ops -------------------------------------------------------------------------

FACE_CASE(io_uring_prep_rw) {
    same_sqe([](::io_uring_sqe* s) {
                 io_uring_prep_rw(IORING_OP_WRITE, s, 7, buf, 0x2345, 0x1122334455667788ull);
             },
             [](abi::io_uring_sqe* s) {
                 rawring::prep_rw(IORING_OP_WRITE, s, 7, buf, 0x2345, 0x1122334455667788ull);
             });
}
SAME_AS_TWIN(nop)
SAME_AS_TWIN(nop128)

// ---- Pipes: splice, tee, pipe -----------------------------------------------------------------

SAME_AS_TWIN(splice, 3, std::int64_t{0x0102030405060708}, 4, std::int64_t{-1}, 0x3456u,
             SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
SAME_AS_TWIN(tee, 5, 6, 0x4567u, SPLICE_F_NONBLOCK)
SAME_AS_TWIN(pipe, fds, O_CLOEXEC | O_NONBLOCK)
SAME_AS_TWIN(pipe_direct, fds, O_CLOEXEC, 9u)

// ---- Read and write ---------------------------------------------------------------------------

SAME_AS_TWIN(readv, 7, iov, 2u, 0x1122334455667788ull)
SAME_AS_TWIN(readv2, 7, iov, 2u, 0x1122334455667788ull, 0x18)
SAME_AS_TWIN(read_fixed, 8, buf, 0x2345u, 0x99aabbccull, 0x123)
SAME_AS_TWIN(readv_fixed, 9, iov, 2u, 0x1234ull, 0x10, 0x321)
SAME_AS_TWIN(writev, 10, iov, 2u, 0x5566ull)
SAME_AS_TWIN(writev2, 11, iov, 2u, 0x6677ull, 0x4)
SAME_AS_TWIN(write_fixed, 12, buf, 0x1111u, 0x7788ull, 0x45)
SAME_AS_TWIN(writev_fixed, 13, iov, 2u, 0x8899ull, 0x8, 0x67)
SAME_AS_TWIN(read, 14, buf, 0x2222u, 0xaabbull)
SAME_AS_TWIN(read_multishot, 15, 0x3333u, 0xccddull, 0x89)
SAME_AS_TWIN(write, 16, buf, 0x4444u, 0xeeffull)

// ---- Sync, allocate, truncate, advise ---------------------------------------------------------

SAME_AS_TWIN(fsync, 17, IORING_FSYNC_DATASYNC)
SAME_AS_TWIN(sync_file_range, 18, 0x5555u, 0x1000ull, 0x7)
SAME_AS_TWIN(fallocate, 19, 0x3, 0x2000ull, 0x0102030405ull)
SAME_AS_TWIN(ftruncate, 20, loff_t{0x123456789a})
SAME_AS_TWIN(fadvise, 21, 0x3000ull, 0x6666u, POSIX_FADV_SEQUENTIAL)
SAME_AS_TWIN(madvise, buf, 0x7777u, 0x4)
SAME_AS_TWIN(fadvise64, 22, 0x4000ull, off_t{0x0203040506}, POSIX_FADV_WILLNEED)
SAME_AS_TWIN(madvise64, buf2, off_t{0x0304050607}, 0x3)

// ---- Poll and epoll ---------------------------------------------------------------------------

SAME_AS_TWIN(poll_add, 23, unsigned{POLLIN | POLLPRI})
SAME_AS_TWIN(poll_multishot, 24, unsigned{POLLOUT})
SAME_AS_TWIN(poll_remove, 0x0a0b0c0d0e0f1011ull)
SAME_AS_TWIN(poll_update, 0x1112131415161718ull, 0x2122232425262728ull, unsigned{POLLIN},
             IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA)
SAME_AS_TWIN(epoll_ctl, 25, 26, EPOLL_CTL_MOD, events)
SAME_AS_TWIN(epoll_wait, 27, events, 4, 0u)

// ---- Timeouts and cancellation ----------------------------------------------------------------

// The face takes linux/time_types.h's __kernel_timespec, rawring its own abi::kernel_timespec.
FACE_CASE(io_uring_prep_timeout) {
    same_sqe([](::io_uring_sqe* s) { io_uring_prep_timeout(s, &kts, 3, IORING_TIMEOUT_ABS); },
             [](abi::io_uring_sqe* s) {
                 rawring::prep_timeout(s, abi_ts(), 3, IORING_TIMEOUT_ABS);
             });
}
SAME_AS_TWIN(timeout_remove, 0x3132333435363738ull, IORING_TIMEOUT_BOOTTIME)
FACE_CASE(io_uring_prep_timeout_update) {
    same_sqe([](::io_uring_sqe* s) {
                 io_uring_prep_timeout_update(s, &kts, 0x4142434445464748ull,
                                              IORING_TIMEOUT_REALTIME);
             },
             [](abi::io_uring_sqe* s) {
                 rawring::prep_timeout_update(s, abi_ts(), 0x4142434445464748ull,
                                              IORING_TIMEOUT_REALTIME);
             });
}
FACE_CASE(io_uring_prep_link_timeout) {
    same_sqe([](::io_uring_sqe* s) {
                 io_uring_prep_link_timeout(s, &kts, IORING_TIMEOUT_ETIME_SUCCESS);
             },
             [](abi::io_uring_sqe* s) {
                 rawring::prep_link_timeout(s, abi_ts(), IORING_TIMEOUT_ETIME_SUCCESS);
             });
}
SAME_AS_TWIN(cancel64, 0x5152535455565758ull, IORING_ASYNC_CANCEL_ALL)
SAME_AS_TWIN(cancel, &object, IORING_ASYNC_CANCEL_ANY)
SAME_AS_TWIN(cancel_fd, 28, IORING_ASYNC_CANCEL_FD_FIXED)

// ---- Sockets ----------------------------------------------------------------------------------

SAME_AS_TWIN(accept, 29, sa_ptr(), &sa_len, SOCK_NONBLOCK)
SAME_AS_TWIN(accept_direct, 30, sa_ptr(), &sa_len, SOCK_CLOEXEC, 11u)
SAME_AS_TWIN(multishot_accept, 31, sa_ptr(), &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC)
SAME_AS_TWIN(multishot_accept_direct, 32, nullptr, nullptr, SOCK_NONBLOCK)
SAME_AS_TWIN(connect, 33, sa_ptr(), socklen_t{16})
SAME_AS_TWIN(bind, 34, sa_ptr(), socklen_t{28})
SAME_AS_TWIN(listen, 35, 128)
SAME_AS_TWIN(shutdown, 36, SHUT_WR)
SAME_AS_TWIN(socket, AF_INET6, SOCK_DGRAM, 17, 0u)
SAME_AS_TWIN(socket_direct, AF_UNIX, SOCK_STREAM, 0, 12u, 0u)
SAME_AS_TWIN(socket_direct_alloc, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 6, 0u)

// ---- Send and receive -------------------------------------------------------------------------

SAME_AS_TWIN(send, 37, buf, std::size_t{0x1234}, MSG_DONTWAIT)
SAME_AS_TWIN(send_bundle, 38, std::size_t{0x2345}, MSG_NOSIGNAL)
FACE_CASE(io_uring_prep_send_set_addr) {
    // A modifier: prep a send first, the same on both sides, then add the address.
    same_sqe([](::io_uring_sqe* s) {
                 io_uring_prep_send(s, 39, buf, 20, 0);
                 io_uring_prep_send_set_addr(s, sa_ptr(), 0x1c);
             },
             [](abi::io_uring_sqe* s) {
                 rawring::prep_send(s, 39, buf, 20, 0);
                 rawring::prep_send_set_addr(s, sa_ptr(), 0x1c);
             });
}
SAME_AS_TWIN(sendto, 40, buf2, std::size_t{0x345}, MSG_MORE, sa_ptr(), socklen_t{16})
SAME_AS_TWIN(send_zc, 41, buf, std::size_t{0x456}, MSG_WAITALL, IORING_SEND_ZC_REPORT_USAGE)
SAME_AS_TWIN(send_zc_fixed, 42, buf, std::size_t{0x567}, MSG_DONTWAIT, IORING_RECVSEND_POLL_FIRST,
             13u)
SAME_AS_TWIN(sendmsg, 43, &msg, unsigned{MSG_NOSIGNAL})
SAME_AS_TWIN(sendmsg_zc, 44, &msg, unsigned{MSG_DONTWAIT})
SAME_AS_TWIN(sendmsg_zc_fixed, 45, &msg, unsigned{MSG_MORE}, 14u)
SAME_AS_TWIN(recv, 46, buf, std::size_t{0x678}, MSG_PEEK)
SAME_AS_TWIN(recv_multishot, 47, nullptr, std::size_t{0}, MSG_TRUNC)
SAME_AS_TWIN(recvmsg, 48, &msg, unsigned{MSG_CMSG_CLOEXEC})
SAME_AS_TWIN(recvmsg_multishot, 49, &msg, unsigned{MSG_TRUNC})

// ---- Files and paths --------------------------------------------------------------------------

SAME_AS_TWIN(openat, 50, path, O_RDWR | O_CREAT, mode_t{0640})
SAME_AS_TWIN(openat_direct, 51, path, O_RDONLY | O_CLOEXEC, mode_t{0}, 15u)
SAME_AS_TWIN(open, path, O_WRONLY | O_TRUNC, mode_t{0600})
SAME_AS_TWIN(open_direct, path2, O_RDONLY, mode_t{0444}, 16u)
SAME_AS_TWIN(openat2, 52, path, &how)
SAME_AS_TWIN(openat2_direct, 53, path2, &how, 17u)
SAME_AS_TWIN(close, 54)
SAME_AS_TWIN(close_direct, 18u)
SAME_AS_TWIN(files_update, fds, 4u, 19)
SAME_AS_TWIN(fixed_fd_install, 55, IORING_FIXED_FD_NO_CLOEXEC)
SAME_AS_TWIN(statx, 56, path, AT_SYMLINK_NOFOLLOW, unsigned{STATX_SIZE | STATX_MODE}, &stx)
SAME_AS_TWIN(unlinkat, 57, path, AT_REMOVEDIR)
SAME_AS_TWIN(unlink, path2, 0)
SAME_AS_TWIN(renameat, 58, path, 59, path2, 1u)
SAME_AS_TWIN(rename, path, path2)
SAME_AS_TWIN(mkdirat, 60, path, mode_t{0750})
SAME_AS_TWIN(mkdir, path2, mode_t{0700})
SAME_AS_TWIN(symlinkat, path, 61, path2)
SAME_AS_TWIN(symlink, path2, path)
SAME_AS_TWIN(linkat, 62, path, 63, path2, AT_SYMLINK_FOLLOW)
SAME_AS_TWIN(link, path, path2, AT_EMPTY_PATH)
SAME_AS_TWIN(getxattr, xname, buf, path, 0x40u)
SAME_AS_TWIN(setxattr, xname, buf2, path2, 0x1, 0x20u)
SAME_AS_TWIN(fgetxattr, 64, xname, buf, 0x3fu)
SAME_AS_TWIN(fsetxattr, 65, xname, buf2, 0x2, 0x1fu)

// ---- Provided buffers, ring-to-ring messages --------------------------------------------------

SAME_AS_TWIN(provide_buffers, buf, 0x10, 4, 0x77, 0x300)
SAME_AS_TWIN(remove_buffers, 3, 0x78)
SAME_AS_TWIN(msg_ring_cqe_flags, 66, 0x1234u, 0x6162636465666768ull, 0u, 0x8000u)
SAME_AS_TWIN(msg_ring, 67, 0x2345u, 0x7172737475767778ull, 0u)
SAME_AS_TWIN(msg_ring_fd, 68, 5, 20, 0x8182838485868788ull, IORING_MSG_RING_CQE_SKIP)
SAME_AS_TWIN(msg_ring_fd_alloc, 69, 6, 0x9192939495969798ull, 0u)

// ---- Processes and futexes --------------------------------------------------------------------

SAME_AS_TWIN(waitid, P_PID, id_t{4242}, &info, WEXITED | WNOHANG, 0u)
SAME_AS_TWIN(futex_wake, &futex_word, std::uint64_t{3}, std::uint64_t{0xff00ff00ff00ff00},
             std::uint32_t{0x82}, 0u)
SAME_AS_TWIN(futex_wait, &futex_word, std::uint64_t{0x11223344}, std::uint64_t{0xffffffff},
             std::uint32_t{0x02}, 0u)
SAME_AS_TWIN(futex_waitv, waitv, std::uint32_t{2}, 0u)

// ---- Driver commands (URING_CMD) --------------------------------------------------------------

SAME_AS_TWIN(uring_cmd, 0x7e, 70)
SAME_AS_TWIN(uring_cmd128, 0x7f, 71)
SAME_AS_TWIN(cmd_sock, SOCKET_URING_OP_SETSOCKOPT, 72, SOL_SOCKET, SO_REUSEADDR, &object,
             int{sizeof(object)})
SAME_AS_TWIN(cmd_getsockname, 73, sa_ptr(), &sa_len, 1)
SAME_AS_TWIN(cmd_discard, 74, std::uint64_t{0x100000}, std::uint64_t{0x200000})
SAME_AS_TWIN(cmd_zone_reset_all, 75)

// ---- Edge arguments ---------------------------------------------------------------------------

TEST_CASE("liburing prep: direct helpers with IORING_FILE_INDEX_ALLOC") {
    SAME_ARGS(accept_direct, 1, nullptr, nullptr, 0, IORING_FILE_INDEX_ALLOC);
    SAME_ARGS(openat_direct, 2, path, 0, mode_t{0}, IORING_FILE_INDEX_ALLOC);
    SAME_ARGS(open_direct, path, 0, mode_t{0}, IORING_FILE_INDEX_ALLOC);
    SAME_ARGS(openat2_direct, 3, path, &how, IORING_FILE_INDEX_ALLOC);
    SAME_ARGS(socket_direct, AF_INET, SOCK_STREAM, 0, IORING_FILE_INDEX_ALLOC, 0u);
    SAME_ARGS(pipe_direct, fds, 0, IORING_FILE_INDEX_ALLOC);
    SAME_ARGS(msg_ring_fd, 4, 5, static_cast<int>(IORING_FILE_INDEX_ALLOC), 6ull, 0u);
}

TEST_CASE("liburing prep: negative and wide arguments keep liburing's conversions") {
    // files_update's int offset and provide_buffers' int bid are sign-extended into sqe.off,
    // msg_ring_fd's source fd into sqe.addr3; provide_buffers' bgid is cut to 16 bits.
    SAME_ARGS(files_update, fds, 1u, -2);
    SAME_ARGS(provide_buffers, buf, 8, 1, 0x10000 + 5, -1);
    SAME_ARGS(msg_ring_fd, 4, -1, 3, 0ull, 0u);
    // send's size_t length is cut to the 32-bit sqe.len, as liburing's (__u32) cast does, and
    // sendto's socklen_t address length to the 16-bit sqe.addr_len.
    SAME_ARGS(send, 1, buf, std::size_t{0x1'0000'0040}, 0);
    SAME_ARGS(sendto, 1, buf, std::size_t{4}, 0, sa_ptr(), socklen_t{0x10010});
    // waitid's idtype and id, a negative fd and offset -1 ("the file position").
    SAME_ARGS(waitid, P_ALL, id_t{0xffffffff}, nullptr, WEXITED, 0u);
    SAME_ARGS(read, -1, buf, 1u, ~0ull);
    // SQE flags are cut to the 8-bit sqe.flags, the buffer group to 16 bits.
    same_sqe([](::io_uring_sqe* s) { io_uring_sqe_set_flags(s, 0x1ff); },
             [](abi::io_uring_sqe* s) { rawring::sqe_set_flags(s, 0x1ff); });
    same_sqe([](::io_uring_sqe* s) { io_uring_sqe_set_buf_group(s, 0x12345); },
             [](abi::io_uring_sqe* s) { rawring::sqe_set_buf_group(s, 0x12345); });
}

TEST_CASE("liburing prep: every liburing 2.15 helper has a case, and no case is unlisted") {
    const std::set<std::string> want(std::begin(liburing_names), std::end(liburing_names));
    CHECK(want.size() == 104 + 7);
    for (const std::string& name : want) {
        INFO("helper: " << name);
        CHECK(covered().count(name) == 1);
    }
    for (const std::string& name : covered()) {
        INFO("case: " << name);
        CHECK(want.count(name) == 1);
    }
}

} // TEST_SUITE("unit")
