// SPDX-License-Identifier: MIT
// Unit tests of every prep helper: the whole SQE each builds, field by field, against what the kernel reads.
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <bit>
#include <set>
#include <string>
#include <vector>

#include "common.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;

static_assert(rawring::at_fdcwd == AT_FDCWD);

namespace {


/// A 128-byte SQE slot, as an SQE128 ring hands out.
struct big_sqe {
    io_uring_sqe sqe;
    std::uint8_t tail[64];
};
static_assert(sizeof(big_sqe) == 128);

/// As check_sqe, plus the 80-byte command area and the whole 128 bytes.
void check_big_sqe(const big_sqe& got, const big_sqe& want) {
    check_sqe(got.sqe, want.sqe);
    CHECK(std::memcmp(got.sqe.cmd(), want.sqe.cmd(), abi::IORING_SQE128_CMD_BYTES) == 0);
    CHECK(std::memcmp(&got, &want, sizeof(want)) == 0);
}

// linux/futex.h's futex2 flags (6.7), missing from older system headers.
constexpr std::uint32_t futex2_size_u32 = 0x02;
constexpr std::uint32_t futex2_private = 128;

std::uint64_t u64(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

/// The poll mask as the kernel reads sqe.poll32_events (half-words swapped on big-endian).
std::uint32_t kernel_poll_mask(std::uint32_t mask) {
    if constexpr (std::endian::native == std::endian::big) return (mask << 16) | (mask >> 16);
    return mask;
}

// Arguments the checks pass; only their addresses matter.
char buf[64];
char buf2[32];
iovec iov[2] = {{buf, 32}, {buf + 32, 32}};
sockaddr_storage sa{};
socklen_t sa_len = sizeof(sa);
msghdr msg{};
const abi::kernel_timespec ts{1, 500};
const char* const path = "/tmp/rawring-a";
const char* const path2 = "/tmp/rawring-b";
const char* const xname = "user.rawring";
struct statx stx;
epoll_event events[4];
open_how libc_how{};
abi::open_how how{};
std::uint32_t futex_word = 0;
futex_waitv libc_waitv[2]{};
abi::futex_waitv waitv[2]{};
siginfo_t info;
int fds[4] = {-1, -1, -1, -1};
int pipe_fds[2];
int object;

sockaddr* sa_ptr() { return reinterpret_cast<sockaddr*>(&sa); }

/// One helper's unit check: `run` preps SQEs with the helper, compares each whole SQE with
/// the one the kernel expects, and returns the opcode the helper set (for the table check).
struct helper_check {
    const char* name;  ///< the helper, without "prep_"
    int op;            ///< the opcode it must set
    int (*run)();
};

void run_all(const helper_check* begin, const helper_check* end) {
    for (const helper_check* c = begin; c != end; ++c) {
        INFO("helper: prep_" << c->name);
        CHECK(c->run() == c->op);
    }
}

// ---------------------------------------------------------------------------------------------
// The core and no-ops
// ---------------------------------------------------------------------------------------------

const helper_check core_checks[] = {
    {"rw", abi::IORING_OP_READ, [] {
         io_uring_sqe got{};
         rawring::prep_rw(abi::IORING_OP_READ, &got, 7, buf, 4, 99);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READ;
         want.fd = 7;
         want.addr = u64(buf);
         want.len = 4;
         want.off = 99;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"nop", abi::IORING_OP_NOP, [] {
         io_uring_sqe got{};
         rawring::prep_nop(&got);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_NOP;
         want.fd = -1;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"nop128", abi::IORING_OP_NOP128, [] {
         big_sqe got{};
         rawring::prep_nop128(&got.sqe);
         big_sqe want{};
         want.sqe.opcode = abi::IORING_OP_NOP128;
         want.sqe.fd = -1;
         check_big_sqe(got, want);
         return int{got.sqe.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Read, write, sync, allocate, advise
// ---------------------------------------------------------------------------------------------

const helper_check rw_checks[] = {
    {"read", abi::IORING_OP_READ, [] {
         io_uring_sqe got{};
         rawring::prep_read(&got, 3, buf, sizeof(buf), 5);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READ;
         want.fd = 3;
         want.addr = u64(buf);
         want.len = sizeof(buf);
         want.off = 5;
         check_sqe(got, want);
         // -1: the file position
         rawring::prep_read(&got, 3, buf, sizeof(buf), ~std::uint64_t{0});
         want.off = ~std::uint64_t{0};
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"write", abi::IORING_OP_WRITE, [] {
         io_uring_sqe got{};
         rawring::prep_write(&got, 4, buf, 3, 6);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_WRITE;
         want.fd = 4;
         want.addr = u64(buf);
         want.len = 3;
         want.off = 6;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"readv", abi::IORING_OP_READV, [] {
         io_uring_sqe got{};
         rawring::prep_readv(&got, 5, iov, 2, 7);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READV;
         want.fd = 5;
         want.addr = u64(iov);
         want.len = 2;
         want.off = 7;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"readv2", abi::IORING_OP_READV, [] {
         io_uring_sqe got{};
         rawring::prep_readv2(&got, 5, iov, 2, 7, RWF_NOWAIT | RWF_HIPRI);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READV;
         want.fd = 5;
         want.addr = u64(iov);
         want.len = 2;
         want.off = 7;
         want.rw_flags = RWF_NOWAIT | RWF_HIPRI;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"writev", abi::IORING_OP_WRITEV, [] {
         io_uring_sqe got{};
         rawring::prep_writev(&got, 6, iov, 1, 8);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_WRITEV;
         want.fd = 6;
         want.addr = u64(iov);
         want.len = 1;
         want.off = 8;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"writev2", abi::IORING_OP_WRITEV, [] {
         io_uring_sqe got{};
         rawring::prep_writev2(&got, 6, iov, 2, 8, RWF_DSYNC);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_WRITEV;
         want.fd = 6;
         want.addr = u64(iov);
         want.len = 2;
         want.off = 8;
         want.rw_flags = RWF_DSYNC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"read_fixed", abi::IORING_OP_READ_FIXED, [] {
         io_uring_sqe got{};
         rawring::prep_read_fixed(&got, 3, buf + 8, 16, 64, 5);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READ_FIXED;
         want.fd = 3;
         want.addr = u64(buf + 8);
         want.len = 16;
         want.off = 64;
         want.buf_index = 5;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"write_fixed", abi::IORING_OP_WRITE_FIXED, [] {
         io_uring_sqe got{};
         rawring::prep_write_fixed(&got, 3, buf, 16, 64, 0xfffe);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_WRITE_FIXED;
         want.fd = 3;
         want.addr = u64(buf);
         want.len = 16;
         want.off = 64;
         want.buf_index = 0xfffe;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"readv_fixed", abi::IORING_OP_READV_FIXED, [] {
         io_uring_sqe got{};
         rawring::prep_readv_fixed(&got, 3, iov, 2, 9, RWF_NOWAIT, 4);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READV_FIXED;
         want.fd = 3;
         want.addr = u64(iov);
         want.len = 2;
         want.off = 9;
         want.rw_flags = RWF_NOWAIT;
         want.buf_index = 4;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"writev_fixed", abi::IORING_OP_WRITEV_FIXED, [] {
         io_uring_sqe got{};
         rawring::prep_writev_fixed(&got, 3, iov, 2, 9, 0, 1);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_WRITEV_FIXED;
         want.fd = 3;
         want.addr = u64(iov);
         want.len = 2;
         want.off = 9;
         want.buf_index = 1;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"read_multishot", abi::IORING_OP_READ_MULTISHOT, [] {
         io_uring_sqe got{};
         rawring::prep_read_multishot(&got, 8, 0, ~std::uint64_t{0}, 12);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_READ_MULTISHOT;
         want.flags = abi::IOSQE_BUFFER_SELECT;
         want.fd = 8;
         want.off = ~std::uint64_t{0};
         want.buf_group = 12;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fsync", abi::IORING_OP_FSYNC, [] {
         io_uring_sqe got{};
         rawring::prep_fsync(&got, 8, abi::IORING_FSYNC_DATASYNC);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FSYNC;
         want.fd = 8;
         want.fsync_flags = abi::IORING_FSYNC_DATASYNC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"sync_file_range", abi::IORING_OP_SYNC_FILE_RANGE, [] {
         io_uring_sqe got{};
         rawring::prep_sync_file_range(&got, 8, 4096, 8192, SYNC_FILE_RANGE_WRITE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SYNC_FILE_RANGE;
         want.fd = 8;
         want.len = 4096;
         want.off = 8192;
         want.sync_range_flags = SYNC_FILE_RANGE_WRITE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fallocate", abi::IORING_OP_FALLOCATE, [] {
         io_uring_sqe got{};
         rawring::prep_fallocate(&got, 8, FALLOC_FL_KEEP_SIZE, 4096, 1ull << 33);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FALLOCATE;
         want.fd = 8;
         want.len = FALLOC_FL_KEEP_SIZE;  // the mode
         want.off = 4096;
         want.addr = 1ull << 33;          // the length
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"ftruncate", abi::IORING_OP_FTRUNCATE, [] {
         io_uring_sqe got{};
         const loff_t len = 1ll << 35;
         rawring::prep_ftruncate(&got, 8, len);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FTRUNCATE;
         want.fd = 8;
         want.off = 1ull << 35;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fadvise", abi::IORING_OP_FADVISE, [] {
         io_uring_sqe got{};
         rawring::prep_fadvise(&got, 8, 512, 1024, POSIX_FADV_DONTNEED);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FADVISE;
         want.fd = 8;
         want.off = 512;
         want.len = 1024;
         want.fadvise_advice = POSIX_FADV_DONTNEED;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fadvise64", abi::IORING_OP_FADVISE, [] {
         io_uring_sqe got{};
         const off_t len = off_t{1} << 40;
         rawring::prep_fadvise64(&got, 8, 512, len, POSIX_FADV_WILLNEED);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FADVISE;
         want.fd = 8;
         want.off = 512;
         want.addr = 1ull << 40;  // 64-bit length; len stays 0
         want.fadvise_advice = POSIX_FADV_WILLNEED;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"madvise", abi::IORING_OP_MADVISE, [] {
         io_uring_sqe got{};
         rawring::prep_madvise(&got, buf, 4096, MADV_DONTNEED);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MADVISE;
         want.fd = -1;
         want.addr = u64(buf);
         want.len = 4096;
         want.fadvise_advice = MADV_DONTNEED;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"madvise64", abi::IORING_OP_MADVISE, [] {
         io_uring_sqe got{};
         rawring::prep_madvise64(&got, buf, off_t{1} << 36, MADV_WILLNEED);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MADVISE;
         want.fd = -1;
         want.addr = u64(buf);
         want.off = 1ull << 36;  // 64-bit length; len stays 0
         want.fadvise_advice = MADV_WILLNEED;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Pipes
// ---------------------------------------------------------------------------------------------

const helper_check pipe_checks[] = {
    {"splice", abi::IORING_OP_SPLICE, [] {
         io_uring_sqe got{};
         rawring::prep_splice(&got, 3, 100, 4, -1, 512, abi::SPLICE_F_FD_IN_FIXED | SPLICE_F_MOVE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SPLICE;
         want.fd = 4;                    // fd_out
         want.off = ~std::uint64_t{0};   // off_out -1: a pipe
         want.splice_off_in = 100;
         want.splice_fd_in = 3;
         want.len = 512;
         want.splice_flags = abi::SPLICE_F_FD_IN_FIXED | SPLICE_F_MOVE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"tee", abi::IORING_OP_TEE, [] {
         io_uring_sqe got{};
         rawring::prep_tee(&got, 3, 4, 256, SPLICE_F_NONBLOCK);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_TEE;
         want.fd = 4;
         want.splice_fd_in = 3;
         want.len = 256;
         want.splice_flags = SPLICE_F_NONBLOCK;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"pipe", abi::IORING_OP_PIPE, [] {
         io_uring_sqe got{};
         rawring::prep_pipe(&got, pipe_fds, O_CLOEXEC | O_NONBLOCK);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_PIPE;
         want.fd = 0;
         want.addr = u64(pipe_fds);
         want.pipe_flags = O_CLOEXEC | O_NONBLOCK;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"pipe_direct", abi::IORING_OP_PIPE, [] {
         io_uring_sqe got{};
         rawring::prep_pipe_direct(&got, pipe_fds, O_CLOEXEC, 6);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_PIPE;
         want.addr = u64(pipe_fds);
         want.pipe_flags = O_CLOEXEC;
         want.file_index = 7;  // slot 6, stored + 1
         check_sqe(got, want);
         got = {};
         rawring::prep_pipe_direct(&got, pipe_fds, O_CLOEXEC, abi::IORING_FILE_INDEX_ALLOC);
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Poll and epoll
// ---------------------------------------------------------------------------------------------

const helper_check poll_checks[] = {
    {"poll_add", abi::IORING_OP_POLL_ADD, [] {
         io_uring_sqe got{};
         rawring::prep_poll_add(&got, 9, POLLIN | POLLOUT | EPOLLEXCLUSIVE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_POLL_ADD;
         want.fd = 9;
         want.poll32_events = kernel_poll_mask(POLLIN | POLLOUT | EPOLLEXCLUSIVE);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"poll_multishot", abi::IORING_OP_POLL_ADD, [] {
         io_uring_sqe got{};
         rawring::prep_poll_multishot(&got, 9, POLLIN);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_POLL_ADD;
         want.fd = 9;
         want.len = abi::IORING_POLL_ADD_MULTI;
         want.poll32_events = kernel_poll_mask(POLLIN);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"poll_remove", abi::IORING_OP_POLL_REMOVE, [] {
         io_uring_sqe got{};
         rawring::prep_poll_remove(&got, 0x1234567890abcdefull);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_POLL_REMOVE;
         want.fd = -1;
         want.addr = 0x1234567890abcdefull;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"poll_update", abi::IORING_OP_POLL_REMOVE, [] {
         io_uring_sqe got{};
         const unsigned flags = abi::IORING_POLL_UPDATE_EVENTS | abi::IORING_POLL_UPDATE_USER_DATA |
                                abi::IORING_POLL_ADD_MULTI;
         rawring::prep_poll_update(&got, 11, 22, POLLOUT, flags);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_POLL_REMOVE;
         want.fd = -1;
         want.addr = 11;  // the poll to update
         want.off = 22;   // its new user_data
         want.len = flags;
         want.poll32_events = kernel_poll_mask(POLLOUT);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"epoll_ctl", abi::IORING_OP_EPOLL_CTL, [] {
         io_uring_sqe got{};
         rawring::prep_epoll_ctl(&got, 10, 11, EPOLL_CTL_MOD, &events[0]);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_EPOLL_CTL;
         want.fd = 10;
         want.off = 11;  // the fd acted on
         want.len = EPOLL_CTL_MOD;
         want.addr = u64(&events[0]);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"epoll_wait", abi::IORING_OP_EPOLL_WAIT, [] {
         io_uring_sqe got{};
         rawring::prep_epoll_wait(&got, 10, events, 4, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_EPOLL_WAIT;
         want.fd = 10;
         want.addr = u64(events);
         want.len = 4;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Timeouts and cancellation
// ---------------------------------------------------------------------------------------------

const helper_check timeout_checks[] = {
    {"timeout", abi::IORING_OP_TIMEOUT, [] {
         io_uring_sqe got{};
         rawring::prep_timeout(&got, &ts, 3, abi::IORING_TIMEOUT_ABS | abi::IORING_TIMEOUT_BOOTTIME);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_TIMEOUT;
         want.fd = -1;
         want.addr = u64(&ts);
         want.len = 1;  // one timespec
         want.off = 3;  // completion count
         want.timeout_flags = abi::IORING_TIMEOUT_ABS | abi::IORING_TIMEOUT_BOOTTIME;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"timeout_remove", abi::IORING_OP_TIMEOUT_REMOVE, [] {
         io_uring_sqe got{};
         rawring::prep_timeout_remove(&got, 77, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_TIMEOUT_REMOVE;
         want.fd = -1;
         want.addr = 77;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"timeout_update", abi::IORING_OP_TIMEOUT_REMOVE, [] {
         io_uring_sqe got{};
         rawring::prep_timeout_update(&got, &ts, 77, abi::IORING_TIMEOUT_ABS);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_TIMEOUT_REMOVE;
         want.fd = -1;
         want.addr = 77;        // the timeout to update
         want.addr2 = u64(&ts); // its new expiry
         want.timeout_flags = abi::IORING_TIMEOUT_ABS | abi::IORING_TIMEOUT_UPDATE;
         check_sqe(got, want);
         got = {};
         rawring::prep_timeout_update(&got, &ts, 78, abi::IORING_LINK_TIMEOUT_UPDATE);
         want.addr = 78;
         want.timeout_flags = abi::IORING_LINK_TIMEOUT_UPDATE | abi::IORING_TIMEOUT_UPDATE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"link_timeout", abi::IORING_OP_LINK_TIMEOUT, [] {
         io_uring_sqe got{};
         rawring::prep_link_timeout(&got, &ts, abi::IORING_TIMEOUT_REALTIME);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_LINK_TIMEOUT;
         want.fd = -1;
         want.addr = u64(&ts);
         want.len = 1;
         want.timeout_flags = abi::IORING_TIMEOUT_REALTIME;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"cancel64", abi::IORING_OP_ASYNC_CANCEL, [] {
         io_uring_sqe got{};
         rawring::prep_cancel64(&got, 0xfeedull, abi::IORING_ASYNC_CANCEL_ALL);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ASYNC_CANCEL;
         want.fd = -1;
         want.addr = 0xfeedull;
         want.cancel_flags = abi::IORING_ASYNC_CANCEL_ALL;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"cancel", abi::IORING_OP_ASYNC_CANCEL, [] {
         io_uring_sqe got{};
         rawring::prep_cancel(&got, &object, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ASYNC_CANCEL;
         want.fd = -1;
         want.addr = u64(&object);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"cancel_fd", abi::IORING_OP_ASYNC_CANCEL, [] {
         io_uring_sqe got{};
         rawring::prep_cancel_fd(&got, 12, abi::IORING_ASYNC_CANCEL_ALL);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ASYNC_CANCEL;
         want.fd = 12;
         want.cancel_flags = abi::IORING_ASYNC_CANCEL_FD | abi::IORING_ASYNC_CANCEL_ALL;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Sockets: accept, connect, bind, listen, shutdown, socket
// ---------------------------------------------------------------------------------------------

const helper_check socket_checks[] = {
    {"accept", abi::IORING_OP_ACCEPT, [] {
         io_uring_sqe got{};
         rawring::prep_accept(&got, 13, sa_ptr(), &sa_len, SOCK_CLOEXEC | SOCK_NONBLOCK);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ACCEPT;
         want.fd = 13;
         want.addr = u64(&sa);
         want.addr2 = u64(&sa_len);
         want.accept_flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"accept_direct", abi::IORING_OP_ACCEPT, [] {
         io_uring_sqe got{};
         rawring::prep_accept_direct(&got, 13, nullptr, nullptr, 0, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ACCEPT;
         want.fd = 13;
         want.file_index = 1;  // slot 0
         check_sqe(got, want);
         got = {};
         rawring::prep_accept_direct(&got, 13, nullptr, nullptr, 0, abi::IORING_FILE_INDEX_ALLOC);
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"multishot_accept", abi::IORING_OP_ACCEPT, [] {
         io_uring_sqe got{};
         rawring::prep_multishot_accept(&got, 13, sa_ptr(), &sa_len, SOCK_CLOEXEC);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ACCEPT;
         want.fd = 13;
         want.ioprio = abi::IORING_ACCEPT_MULTISHOT;
         want.addr = u64(&sa);
         want.addr2 = u64(&sa_len);
         want.accept_flags = SOCK_CLOEXEC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"multishot_accept_direct", abi::IORING_OP_ACCEPT, [] {
         io_uring_sqe got{};
         rawring::prep_multishot_accept_direct(&got, 13, nullptr, nullptr, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_ACCEPT;
         want.fd = 13;
         want.ioprio = abi::IORING_ACCEPT_MULTISHOT;
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"connect", abi::IORING_OP_CONNECT, [] {
         io_uring_sqe got{};
         rawring::prep_connect(&got, 14, sa_ptr(), sa_len);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_CONNECT;
         want.fd = 14;
         want.addr = u64(&sa);
         want.off = sizeof(sa);  // the address length, by value
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"bind", abi::IORING_OP_BIND, [] {
         io_uring_sqe got{};
         rawring::prep_bind(&got, 14, sa_ptr(), 16);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_BIND;
         want.fd = 14;
         want.addr = u64(&sa);
         want.off = 16;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"listen", abi::IORING_OP_LISTEN, [] {
         io_uring_sqe got{};
         rawring::prep_listen(&got, 14, 128);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_LISTEN;
         want.fd = 14;
         want.len = 128;  // the backlog
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"shutdown", abi::IORING_OP_SHUTDOWN, [] {
         io_uring_sqe got{};
         rawring::prep_shutdown(&got, 14, SHUT_WR);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SHUTDOWN;
         want.fd = 14;
         want.len = SHUT_WR;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"socket", abi::IORING_OP_SOCKET, [] {
         io_uring_sqe got{};
         rawring::prep_socket(&got, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SOCKET;
         want.fd = AF_INET6;                     // domain
         want.off = SOCK_DGRAM | SOCK_CLOEXEC;   // type
         want.len = IPPROTO_UDP;                 // protocol
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"socket_direct", abi::IORING_OP_SOCKET, [] {
         io_uring_sqe got{};
         rawring::prep_socket_direct(&got, AF_INET, SOCK_STREAM, 0, 3, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SOCKET;
         want.fd = AF_INET;
         want.off = SOCK_STREAM;
         want.file_index = 4;  // slot 3
         check_sqe(got, want);
         got = {};
         rawring::prep_socket_direct(&got, AF_INET, SOCK_STREAM, 0, abi::IORING_FILE_INDEX_ALLOC, 0);
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"socket_direct_alloc", abi::IORING_OP_SOCKET, [] {
         io_uring_sqe got{};
         rawring::prep_socket_direct_alloc(&got, AF_UNIX, SOCK_SEQPACKET, 0, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SOCKET;
         want.fd = AF_UNIX;
         want.off = SOCK_SEQPACKET;
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Send and receive
// ---------------------------------------------------------------------------------------------

const helper_check sendrecv_checks[] = {
    {"send", abi::IORING_OP_SEND, [] {
         io_uring_sqe got{};
         rawring::prep_send(&got, 15, buf, 40, MSG_NOSIGNAL | MSG_MORE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SEND;
         want.fd = 15;
         want.addr = u64(buf);
         want.len = 40;
         want.msg_flags = MSG_NOSIGNAL | MSG_MORE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"send_bundle", abi::IORING_OP_SEND, [] {
         io_uring_sqe got{};
         rawring::prep_send_bundle(&got, 15, 0, MSG_NOSIGNAL);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SEND;
         want.fd = 15;
         want.ioprio = abi::IORING_RECVSEND_BUNDLE;
         want.msg_flags = MSG_NOSIGNAL;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"send_set_addr", abi::IORING_OP_SEND_ZC, [] {
         io_uring_sqe got{};
         rawring::prep_send_zc(&got, 15, buf, 8, 0, 0);
         rawring::prep_send_set_addr(&got, sa_ptr(), 28);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SEND_ZC;
         want.fd = 15;
         want.addr = u64(buf);
         want.len = 8;
         want.addr2 = u64(&sa);  // destination
         want.addr_len = 28;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"sendto", abi::IORING_OP_SEND, [] {
         io_uring_sqe got{};
         rawring::prep_sendto(&got, 15, buf, 8, MSG_DONTWAIT, sa_ptr(), 16);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SEND;
         want.fd = 15;
         want.addr = u64(buf);
         want.len = 8;
         want.msg_flags = MSG_DONTWAIT;
         want.addr2 = u64(&sa);
         want.addr_len = 16;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"send_zc", abi::IORING_OP_SEND_ZC, [] {
         io_uring_sqe got{};
         rawring::prep_send_zc(&got, 15, buf, 40, MSG_NOSIGNAL, abi::IORING_SEND_ZC_REPORT_USAGE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SEND_ZC;
         want.fd = 15;
         want.addr = u64(buf);
         want.len = 40;
         want.msg_flags = MSG_NOSIGNAL;
         want.ioprio = abi::IORING_SEND_ZC_REPORT_USAGE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"send_zc_fixed", abi::IORING_OP_SEND_ZC, [] {
         io_uring_sqe got{};
         rawring::prep_send_zc_fixed(&got, 15, buf, 40, 0, abi::IORING_RECVSEND_POLL_FIRST, 2);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SEND_ZC;
         want.fd = 15;
         want.addr = u64(buf);
         want.len = 40;
         want.ioprio = abi::IORING_RECVSEND_POLL_FIRST | abi::IORING_RECVSEND_FIXED_BUF;
         want.buf_index = 2;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"sendmsg", abi::IORING_OP_SENDMSG, [] {
         io_uring_sqe got{};
         rawring::prep_sendmsg(&got, 16, &msg, MSG_NOSIGNAL);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SENDMSG;
         want.fd = 16;
         want.addr = u64(&msg);
         want.len = 1;
         want.msg_flags = MSG_NOSIGNAL;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"sendmsg_zc", abi::IORING_OP_SENDMSG_ZC, [] {
         io_uring_sqe got{};
         rawring::prep_sendmsg_zc(&got, 16, &msg, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SENDMSG_ZC;
         want.fd = 16;
         want.addr = u64(&msg);
         want.len = 1;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"sendmsg_zc_fixed", abi::IORING_OP_SENDMSG_ZC, [] {
         io_uring_sqe got{};
         rawring::prep_sendmsg_zc_fixed(&got, 16, &msg, MSG_WAITALL, 9);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SENDMSG_ZC;
         want.fd = 16;
         want.addr = u64(&msg);
         want.len = 1;
         want.msg_flags = MSG_WAITALL;
         want.ioprio = abi::IORING_RECVSEND_FIXED_BUF;
         want.buf_index = 9;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"recv", abi::IORING_OP_RECV, [] {
         io_uring_sqe got{};
         rawring::prep_recv(&got, 17, buf, sizeof(buf), MSG_WAITALL);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RECV;
         want.fd = 17;
         want.addr = u64(buf);
         want.len = sizeof(buf);
         want.msg_flags = MSG_WAITALL;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"recv_multishot", abi::IORING_OP_RECV, [] {
         io_uring_sqe got{};
         rawring::prep_recv_multishot(&got, 17, nullptr, 0, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RECV;
         want.fd = 17;
         want.ioprio = abi::IORING_RECV_MULTISHOT;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"recvmsg", abi::IORING_OP_RECVMSG, [] {
         io_uring_sqe got{};
         rawring::prep_recvmsg(&got, 18, &msg, MSG_TRUNC);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RECVMSG;
         want.fd = 18;
         want.addr = u64(&msg);
         want.len = 1;
         want.msg_flags = MSG_TRUNC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"recvmsg_multishot", abi::IORING_OP_RECVMSG, [] {
         io_uring_sqe got{};
         rawring::prep_recvmsg_multishot(&got, 18, &msg, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RECVMSG;
         want.fd = 18;
         want.addr = u64(&msg);
         want.len = 1;
         want.ioprio = abi::IORING_RECV_MULTISHOT;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"recv_zc", abi::IORING_OP_RECV_ZC, [] {
         // What the kernel's io_recvzc_prep reads: fd, len, zcrx_ifq_idx, and the flags in
         // ioprio; addr, addr2/off, addr3 and msg_flags must be 0.
         io_uring_sqe got{};
         rawring::prep_recv_zc(&got, 19, 4096, 2, abi::IORING_RECV_MULTISHOT);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RECV_ZC;
         want.fd = 19;
         want.len = 4096;
         want.zcrx_ifq_idx = 2;
         want.ioprio = abi::IORING_RECV_MULTISHOT;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Files and paths
// ---------------------------------------------------------------------------------------------

const helper_check file_checks[] = {
    {"openat", abi::IORING_OP_OPENAT, [] {
         io_uring_sqe got{};
         const mode_t mode = 0640;
         rawring::prep_openat(&got, 20, path, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_OPENAT;
         want.fd = 20;
         want.addr = u64(path);
         want.len = 0640;  // the mode
         want.open_flags = O_CREAT | O_WRONLY | O_CLOEXEC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"openat_direct", abi::IORING_OP_OPENAT, [] {
         io_uring_sqe got{};
         rawring::prep_openat_direct(&got, 20, path, O_RDONLY, 0, 9);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_OPENAT;
         want.fd = 20;
         want.addr = u64(path);
         want.open_flags = O_RDONLY;
         want.file_index = 10;
         check_sqe(got, want);
         got = {};
         rawring::prep_openat_direct(&got, 20, path, O_RDONLY, 0, abi::IORING_FILE_INDEX_ALLOC);
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"open", abi::IORING_OP_OPENAT, [] {
         io_uring_sqe got{};
         rawring::prep_open(&got, path, O_RDWR, 0600);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_OPENAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.len = 0600;
         want.open_flags = O_RDWR;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"open_direct", abi::IORING_OP_OPENAT, [] {
         io_uring_sqe got{};
         rawring::prep_open_direct(&got, path, O_RDWR, 0, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_OPENAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.open_flags = O_RDWR;
         want.file_index = 1;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"openat2", abi::IORING_OP_OPENAT2, [] {
         io_uring_sqe got{};
         rawring::prep_openat2(&got, 21, path, &how);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_OPENAT2;
         want.fd = 21;
         want.addr = u64(path);
         want.len = sizeof(open_how);  // the kernel's OPEN_HOW_SIZE_VER0, 24
         want.off = u64(&how);
         check_sqe(got, want);
         // linux/openat2.h's struct works the same
         got = {};
         rawring::prep_openat2(&got, 21, path, &libc_how);
         want.off = u64(&libc_how);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"openat2_direct", abi::IORING_OP_OPENAT2, [] {
         io_uring_sqe got{};
         rawring::prep_openat2_direct(&got, 21, path, &libc_how, abi::IORING_FILE_INDEX_ALLOC);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_OPENAT2;
         want.fd = 21;
         want.addr = u64(path);
         want.len = 24;
         want.off = u64(&libc_how);
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         got = {};
         rawring::prep_openat2_direct(&got, 21, path, &how, 2);
         want.off = u64(&how);
         want.file_index = 3;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"close", abi::IORING_OP_CLOSE, [] {
         io_uring_sqe got{};
         rawring::prep_close(&got, 22);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_CLOSE;
         want.fd = 22;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"close_direct", abi::IORING_OP_CLOSE, [] {
         io_uring_sqe got{};
         rawring::prep_close_direct(&got, 5);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_CLOSE;
         want.fd = 0;           // the kernel wants no fd with a file_index
         want.file_index = 6;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"files_update", abi::IORING_OP_FILES_UPDATE, [] {
         io_uring_sqe got{};
         rawring::prep_files_update(&got, fds, 4, 8);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FILES_UPDATE;
         want.fd = -1;
         want.addr = u64(fds);
         want.len = 4;
         want.off = 8;
         check_sqe(got, want);
         got = {};
         rawring::prep_files_update(&got, fds, 1, static_cast<int>(abi::IORING_FILE_INDEX_ALLOC));
         want.len = 1;
         // The kernel reads the offset as a u32 and compares it with IORING_FILE_INDEX_ALLOC;
         // liburing sign-extends the int into the 64-bit field, and so does rawring.
         want.off = ~std::uint64_t{0};
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fixed_fd_install", abi::IORING_OP_FIXED_FD_INSTALL, [] {
         io_uring_sqe got{};
         rawring::prep_fixed_fd_install(&got, 3, abi::IORING_FIXED_FD_NO_CLOEXEC);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FIXED_FD_INSTALL;
         want.flags = abi::IOSQE_FIXED_FILE;
         want.fd = 3;
         want.install_fd_flags = abi::IORING_FIXED_FD_NO_CLOEXEC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"statx", abi::IORING_OP_STATX, [] {
         io_uring_sqe got{};
         rawring::prep_statx(&got, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_SIZE | STATX_MODE, &stx);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_STATX;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.len = STATX_SIZE | STATX_MODE;  // the mask
         want.addr2 = u64(&stx);              // the buffer
         want.statx_flags = AT_SYMLINK_NOFOLLOW;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"unlinkat", abi::IORING_OP_UNLINKAT, [] {
         io_uring_sqe got{};
         rawring::prep_unlinkat(&got, 23, path, AT_REMOVEDIR);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_UNLINKAT;
         want.fd = 23;
         want.addr = u64(path);
         want.unlink_flags = AT_REMOVEDIR;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"unlink", abi::IORING_OP_UNLINKAT, [] {
         io_uring_sqe got{};
         rawring::prep_unlink(&got, path, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_UNLINKAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"renameat", abi::IORING_OP_RENAMEAT, [] {
         io_uring_sqe got{};
         rawring::prep_renameat(&got, 24, path, 25, path2, RENAME_NOREPLACE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RENAMEAT;
         want.fd = 24;
         want.addr = u64(path);
         want.len = 25;            // new dfd
         want.addr2 = u64(path2);  // new path
         want.rename_flags = RENAME_NOREPLACE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"rename", abi::IORING_OP_RENAMEAT, [] {
         io_uring_sqe got{};
         rawring::prep_rename(&got, path, path2);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_RENAMEAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.len = static_cast<std::uint32_t>(AT_FDCWD);
         want.addr2 = u64(path2);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"mkdirat", abi::IORING_OP_MKDIRAT, [] {
         io_uring_sqe got{};
         rawring::prep_mkdirat(&got, 26, path, 0755);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MKDIRAT;
         want.fd = 26;
         want.addr = u64(path);
         want.len = 0755;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"mkdir", abi::IORING_OP_MKDIRAT, [] {
         io_uring_sqe got{};
         rawring::prep_mkdir(&got, path, 0700);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MKDIRAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.len = 0700;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"symlinkat", abi::IORING_OP_SYMLINKAT, [] {
         io_uring_sqe got{};
         rawring::prep_symlinkat(&got, path, 27, path2);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SYMLINKAT;
         want.fd = 27;              // new dir fd
         want.addr = u64(path);     // target
         want.addr2 = u64(path2);   // link path
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"symlink", abi::IORING_OP_SYMLINKAT, [] {
         io_uring_sqe got{};
         rawring::prep_symlink(&got, path, path2);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SYMLINKAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.addr2 = u64(path2);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"linkat", abi::IORING_OP_LINKAT, [] {
         io_uring_sqe got{};
         rawring::prep_linkat(&got, 28, path, 29, path2, AT_SYMLINK_FOLLOW);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_LINKAT;
         want.fd = 28;
         want.addr = u64(path);
         want.len = 29;
         want.addr2 = u64(path2);
         want.hardlink_flags = AT_SYMLINK_FOLLOW;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"link", abi::IORING_OP_LINKAT, [] {
         io_uring_sqe got{};
         rawring::prep_link(&got, path, path2, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_LINKAT;
         want.fd = AT_FDCWD;
         want.addr = u64(path);
         want.len = static_cast<std::uint32_t>(AT_FDCWD);
         want.addr2 = u64(path2);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"getxattr", abi::IORING_OP_GETXATTR, [] {
         io_uring_sqe got{};
         rawring::prep_getxattr(&got, xname, buf, path, sizeof(buf));
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_GETXATTR;
         want.fd = 0;
         want.addr = u64(xname);
         want.addr2 = u64(buf);   // value
         want.addr3 = u64(path);
         want.len = sizeof(buf);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"setxattr", abi::IORING_OP_SETXATTR, [] {
         io_uring_sqe got{};
         rawring::prep_setxattr(&got, xname, buf2, path, XATTR_CREATE, 5);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_SETXATTR;
         want.fd = 0;
         want.addr = u64(xname);
         want.addr2 = u64(buf2);
         want.addr3 = u64(path);
         want.len = 5;
         want.xattr_flags = XATTR_CREATE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fgetxattr", abi::IORING_OP_FGETXATTR, [] {
         io_uring_sqe got{};
         rawring::prep_fgetxattr(&got, 30, xname, buf, sizeof(buf));
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FGETXATTR;
         want.fd = 30;
         want.addr = u64(xname);
         want.addr2 = u64(buf);
         want.len = sizeof(buf);
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"fsetxattr", abi::IORING_OP_FSETXATTR, [] {
         io_uring_sqe got{};
         rawring::prep_fsetxattr(&got, 30, xname, buf2, XATTR_REPLACE, 7);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FSETXATTR;
         want.fd = 30;
         want.addr = u64(xname);
         want.addr2 = u64(buf2);
         want.len = 7;
         want.xattr_flags = XATTR_REPLACE;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Provided buffers and ring messages
// ---------------------------------------------------------------------------------------------

const helper_check buffer_checks[] = {
    {"provide_buffers", abi::IORING_OP_PROVIDE_BUFFERS, [] {
         io_uring_sqe got{};
         rawring::prep_provide_buffers(&got, buf, 16, 4, 7, 100);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_PROVIDE_BUFFERS;
         want.fd = 4;        // how many buffers
         want.addr = u64(buf);
         want.len = 16;      // bytes each
         want.off = 100;     // first buffer id
         want.buf_group = 7;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"remove_buffers", abi::IORING_OP_REMOVE_BUFFERS, [] {
         io_uring_sqe got{};
         rawring::prep_remove_buffers(&got, 3, 7);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_REMOVE_BUFFERS;
         want.fd = 3;
         want.buf_group = 7;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

const helper_check msg_ring_checks[] = {
    {"msg_ring", abi::IORING_OP_MSG_RING, [] {
         io_uring_sqe got{};
         rawring::prep_msg_ring(&got, 31, 42, 0xabcdefull, abi::IORING_MSG_RING_CQE_SKIP);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MSG_RING;
         want.fd = 31;
         want.addr = abi::IORING_MSG_DATA;
         want.len = 42;          // the target CQE's res
         want.off = 0xabcdefull; // its user_data
         want.msg_ring_flags = abi::IORING_MSG_RING_CQE_SKIP;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"msg_ring_cqe_flags", abi::IORING_OP_MSG_RING, [] {
         io_uring_sqe got{};
         rawring::prep_msg_ring_cqe_flags(&got, 31, 42, 7, 0, abi::IORING_CQE_F_MORE);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MSG_RING;
         want.fd = 31;
         want.len = 42;
         want.off = 7;
         want.msg_ring_flags = abi::IORING_MSG_RING_FLAGS_PASS;
         want.file_index = abi::IORING_CQE_F_MORE;  // the target CQE's flags
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"msg_ring_fd", abi::IORING_OP_MSG_RING, [] {
         io_uring_sqe got{};
         rawring::prep_msg_ring_fd(&got, 31, 2, 5, 8, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MSG_RING;
         want.fd = 31;
         want.addr = abi::IORING_MSG_SEND_FD;
         want.off = 8;
         want.addr3 = 2;        // source slot in this ring
         want.file_index = 6;   // target slot 5, + 1
         check_sqe(got, want);
         got = {};
         rawring::prep_msg_ring_fd(&got, 31, 2, static_cast<int>(abi::IORING_FILE_INDEX_ALLOC), 8,
                                   abi::IORING_MSG_RING_CQE_SKIP);
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         want.msg_ring_flags = abi::IORING_MSG_RING_CQE_SKIP;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"msg_ring_fd_alloc", abi::IORING_OP_MSG_RING, [] {
         io_uring_sqe got{};
         rawring::prep_msg_ring_fd_alloc(&got, 31, 0, 9, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_MSG_RING;
         want.fd = 31;
         want.addr = abi::IORING_MSG_SEND_FD;
         want.off = 9;
         want.addr3 = 0;
         want.file_index = abi::IORING_FILE_INDEX_ALLOC;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Processes and futexes
// ---------------------------------------------------------------------------------------------

const helper_check process_checks[] = {
    {"waitid", abi::IORING_OP_WAITID, [] {
         io_uring_sqe got{};
         const idtype_t idtype = P_PID;
         const id_t id = 4242;
         rawring::prep_waitid(&got, idtype, id, &info, WEXITED | WNOHANG, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_WAITID;
         want.fd = 4242;                       // the id
         want.len = P_PID;                     // the idtype
         want.file_index = WEXITED | WNOHANG;  // the options
         want.addr2 = u64(&info);              // siginfo_t*
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"futex_wake", abi::IORING_OP_FUTEX_WAKE, [] {
         io_uring_sqe got{};
         const std::uint32_t futex_flags = futex2_size_u32 | futex2_private;
         rawring::prep_futex_wake(&got, &futex_word, 1, FUTEX_BITSET_MATCH_ANY, futex_flags, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FUTEX_WAKE;
         want.fd = static_cast<int>(futex_flags);  // FUTEX2_* flags
         want.addr = u64(&futex_word);
         want.off = 1;                             // how many to wake
         want.addr3 = FUTEX_BITSET_MATCH_ANY;      // the mask
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"futex_wait", abi::IORING_OP_FUTEX_WAIT, [] {
         io_uring_sqe got{};
         const std::uint32_t futex_flags = futex2_size_u32;
         rawring::prep_futex_wait(&got, &futex_word, 5, 0x0f, futex_flags, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FUTEX_WAIT;
         want.fd = static_cast<int>(futex_flags);
         want.addr = u64(&futex_word);
         want.off = 5;      // the expected value
         want.addr3 = 0x0f;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"futex_waitv", abi::IORING_OP_FUTEX_WAITV, [] {
         io_uring_sqe got{};
         rawring::prep_futex_waitv(&got, waitv, 2, 0);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_FUTEX_WAITV;
         want.fd = 0;
         want.addr = u64(waitv);
         want.len = 2;
         check_sqe(got, want);
         // linux/futex.h's struct works the same
         got = {};
         rawring::prep_futex_waitv(&got, libc_waitv, 2, 0);
         want.addr = u64(libc_waitv);
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// ---------------------------------------------------------------------------------------------
// Driver commands
// ---------------------------------------------------------------------------------------------

const helper_check cmd_checks[] = {
    {"uring_cmd", abi::IORING_OP_URING_CMD, [] {
         io_uring_sqe got{};
         rawring::prep_uring_cmd(&got, 0x12345678, 32);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_URING_CMD;
         want.fd = 32;
         want.cmd_op = 0x12345678;  // the pad half of the word stays 0
         check_sqe(got, want);
         // A dirty SQE gets the off/addr/len words cleared, the command area left alone.
         io_uring_sqe dirty;
         std::memset(static_cast<void*>(&dirty), 0xa5, sizeof(dirty));
         rawring::prep_uring_cmd(&dirty, 1, 32);
         CHECK(dirty.off == 1);
         CHECK(dirty.addr == 0);
         CHECK(dirty.len == 0);
         CHECK(dirty.addr3 == 0xa5a5a5a5a5a5a5a5ull);
         return int{got.opcode};
     }},
    {"uring_cmd128", abi::IORING_OP_URING_CMD128, [] {
         big_sqe got{};
         rawring::prep_uring_cmd128(&got.sqe, -2, 33);
         big_sqe want{};
         want.sqe.opcode = abi::IORING_OP_URING_CMD128;
         want.sqe.fd = 33;
         want.sqe.cmd_op = 0xfffffffeu;
         check_big_sqe(got, want);  // the 80-byte command area is untouched (zero)
         return int{got.sqe.opcode};
     }},
    {"cmd_sock", abi::IORING_OP_URING_CMD, [] {
         io_uring_sqe got{};
         int value = 1;
         rawring::prep_cmd_sock(&got, abi::SOCKET_URING_OP_SETSOCKOPT, 34, SOL_SOCKET, SO_REUSEADDR,
                                &value, sizeof(value));
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_URING_CMD;
         want.fd = 34;
         want.cmd_op = abi::SOCKET_URING_OP_SETSOCKOPT;
         want.sockopt.level = SOL_SOCKET;
         want.sockopt.optname = SO_REUSEADDR;
         want.optlen = sizeof(value);
         want.optval = u64(&value);
         check_sqe(got, want);
         got = {};
         rawring::prep_cmd_sock(&got, abi::SOCKET_URING_OP_SIOCINQ, 34, 0, 0, nullptr, 0);
         want = {};
         want.opcode = abi::IORING_OP_URING_CMD;
         want.fd = 34;
         want.cmd_op = abi::SOCKET_URING_OP_SIOCINQ;
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"cmd_getsockname", abi::IORING_OP_URING_CMD, [] {
         io_uring_sqe got{};
         rawring::prep_cmd_getsockname(&got, 35, sa_ptr(), &sa_len, 1);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_URING_CMD;
         want.fd = 35;
         want.cmd_op = abi::SOCKET_URING_OP_GETSOCKNAME;
         want.addr = u64(&sa);
         want.addr3 = u64(&sa_len);
         want.optlen = 1;  // peer
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"cmd_discard", abi::IORING_OP_URING_CMD, [] {
         io_uring_sqe got{};
         rawring::prep_cmd_discard(&got, 36, 1ull << 20, 1ull << 32);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_URING_CMD;
         want.fd = 36;
         want.cmd_op = abi::BLOCK_URING_CMD_DISCARD;
         want.addr = 1ull << 20;   // offset
         want.addr3 = 1ull << 32;  // length
         check_sqe(got, want);
         return int{got.opcode};
     }},
    {"cmd_zone_reset_all", abi::IORING_OP_URING_CMD, [] {
         io_uring_sqe got{};
         rawring::prep_cmd_zone_reset_all(&got, 36);
         io_uring_sqe want{};
         want.opcode = abi::IORING_OP_URING_CMD;
         want.fd = 36;
         want.cmd_op = abi::BLOCK_URING_CMD_ZONE_RESET_ALL;
         check_sqe(got, want);
         return int{got.opcode};
     }},
};

// Every family, for the table check.
struct family {
    const helper_check* begin;
    const helper_check* end;
};

template <std::size_t N>
constexpr family family_of(const helper_check (&a)[N]) {
    return {a, a + N};
}

const family families[] = {
    family_of(core_checks),     family_of(rw_checks),       family_of(pipe_checks),
    family_of(poll_checks),     family_of(timeout_checks),  family_of(socket_checks),
    family_of(sendrecv_checks), family_of(file_checks),     family_of(buffer_checks),
    family_of(msg_ring_checks), family_of(process_checks),  family_of(cmd_checks),
};

const helper_check* find_check(const std::string& name) {
    for (const family& f : families)
        for (const helper_check* c = f.begin; c != f.end; ++c)
            if (name == c->name) return c;
    return nullptr;
}

} // namespace

TEST_SUITE("unit") {

TEST_CASE("prep: rw, nop, nop128") { run_all(std::begin(core_checks), std::end(core_checks)); }

TEST_CASE("prep: read, write, sync, allocate and advise family") {
    run_all(std::begin(rw_checks), std::end(rw_checks));
}

TEST_CASE("prep: splice, tee and pipe family") {
    run_all(std::begin(pipe_checks), std::end(pipe_checks));
}

TEST_CASE("prep: poll and epoll family") { run_all(std::begin(poll_checks), std::end(poll_checks)); }

TEST_CASE("prep: timeout and cancel family") {
    run_all(std::begin(timeout_checks), std::end(timeout_checks));
}

TEST_CASE("prep: accept, connect and socket family") {
    run_all(std::begin(socket_checks), std::end(socket_checks));
}

TEST_CASE("prep: send and recv family") {
    run_all(std::begin(sendrecv_checks), std::end(sendrecv_checks));
}

TEST_CASE("prep: open, close, path and xattr family") {
    run_all(std::begin(file_checks), std::end(file_checks));
}

TEST_CASE("prep: provided buffers and msg_ring family") {
    run_all(std::begin(buffer_checks), std::end(buffer_checks));
    run_all(std::begin(msg_ring_checks), std::end(msg_ring_checks));
}

TEST_CASE("prep: waitid and futex family") {
    run_all(std::begin(process_checks), std::end(process_checks));
}

TEST_CASE("prep: uring_cmd family") { run_all(std::begin(cmd_checks), std::end(cmd_checks)); }

TEST_CASE("prep: every helper in the opcode table has a unit check, and no check is unlisted") {
    // The names the checks cover: 104 liburing helpers and prep_recv_zc, each once.
    std::vector<std::string> checked;
    for (const family& f : families)
        for (const helper_check* c = f.begin; c != f.end; ++c) checked.emplace_back(c->name);
    const std::set<std::string> unique(checked.begin(), checked.end());
    CHECK(unique.size() == checked.size());
    CHECK(checked.size() == 105);

    // Every helper a row names has a check, and that helper sets the row's opcode.
    std::set<std::string> listed;
    for (const rawring::opcode_info& row : rawring::opcodes) {
        const std::string helpers = row.helpers;
        std::size_t start = 0;
        while (start < helpers.size()) {
            std::size_t end = helpers.find(' ', start);
            if (end == std::string::npos) end = helpers.size();
            const std::string name = helpers.substr(start, end - start);
            start = end + 1;
            if (name.empty()) continue;
            INFO("opcode " << row.name << ", helper prep_" << name);
            CHECK(listed.insert(name).second);  // named by one row only
            const helper_check* c = find_check(name);
            REQUIRE(c != nullptr);
            CHECK(c->op == static_cast<int>(row.op));
        }
    }
    CHECK(listed.size() == 103);

    // Every check is for a listed helper, except the two that set no opcode of their own.
    for (const std::string& name : unique) {
        INFO("checked helper prep_" << name);
        CHECK((listed.count(name) == 1 || name == "rw" || name == "send_set_addr"));
    }
}

TEST_CASE("prep: big-SQE helpers leave the 80-byte command area to the caller") {
    big_sqe got{};
    std::memset(got.tail, 0x5a, sizeof(got.tail));
    got.sqe.addr3 = 0x1111;
    got.sqe.pad2 = 0x2222;
    rawring::prep_uring_cmd128(&got.sqe, 3, 4);
    CHECK(got.sqe.addr3 == 0x1111);
    CHECK(got.sqe.pad2 == 0x2222);
    for (const std::uint8_t b : got.tail) CHECK(b == 0x5a);
    rawring::prep_nop128(&got.sqe);
    for (const std::uint8_t b : got.tail) CHECK(b == 0x5a);
}

TEST_CASE("prep: get_sqe128 refuses a ring without 128-byte entries") {
    rawring::ring plain;
    if (!open_ring(plain, 4, 0u, "a plain ring")) return;
    CHECK(rawring::get_sqe128(plain) == nullptr);
    CHECK(plain.sq_ready() == 0);  // nothing was taken from the SQ

    rawring::ring big;
    if (!open_ring(big, 2, abi::IORING_SETUP_SQE128, "SQE128")) return;
    io_uring_sqe* first = rawring::get_sqe128(big);
    REQUIRE(first != nullptr);
    const auto* bytes = reinterpret_cast<const unsigned char*>(first);
    std::size_t nonzero = 0;
    for (std::size_t i = 0; i < 128; ++i) nonzero += bytes[i] != 0;
    CHECK(nonzero == 0);
    io_uring_sqe* second = rawring::get_sqe128(big);
    REQUIRE(second != nullptr);
    CHECK(reinterpret_cast<const unsigned char*>(second) - bytes == 128);  // 128-byte slots
    CHECK(rawring::get_sqe128(big) == nullptr);  // SQ full
    CHECK(big.sq_ready() == 2);
}

TEST_CASE("prep: sqe setters") {
    io_uring_sqe sqe{};
    rawring::sqe_set_data64(&sqe, 0x1122334455667788ull);
    CHECK(sqe.user_data == 0x1122334455667788ull);
    rawring::sqe_set_data(&sqe, &object);
    CHECK(sqe.user_data == u64(&object));
    rawring::sqe_set_flags(&sqe, abi::IOSQE_ASYNC);
    rawring::sqe_link_next(&sqe);
    CHECK(unsigned{sqe.flags} == unsigned{abi::IOSQE_ASYNC | abi::IOSQE_IO_LINK});
    rawring::sqe_set_flags(&sqe, abi::IOSQE_BUFFER_SELECT);  // replaces, as liburing does
    CHECK(unsigned{sqe.flags} == unsigned{abi::IOSQE_BUFFER_SELECT});
    rawring::sqe_set_buf_group(&sqe, 0x1234);
    CHECK(sqe.buf_group == 0x1234);
    io_uring_sqe want{};
    want.user_data = u64(&object);
    want.flags = abi::IOSQE_BUFFER_SELECT;
    want.buf_group = 0x1234;
    check_sqe(sqe, want);
}

TEST_CASE("prep: cqe accessors") {
    abi::io_uring_cqe cqe{};
    cqe.user_data = u64(&object);
    CHECK(rawring::cqe_get_data(cqe) == &object);
    CHECK(rawring::cqe_get_data64(cqe) == u64(&object));
    CHECK(rawring::cqe_get_data(&cqe) == &object);
    CHECK(rawring::cqe_get_data64(&cqe) == u64(&object));

    // No flags: no buffer (-ENOBUFS), nothing more, one slot.
    CHECK(rawring::cqe_buffer_id(cqe) == -err::enobufs);
    CHECK(rawring::cqe_buffer_id(&cqe) == -err::enobufs);
    CHECK_FALSE(rawring::cqe_has_more(cqe));
    CHECK_FALSE(rawring::cqe_sock_nonempty(cqe));
    CHECK_FALSE(rawring::cqe_is_notif(cqe));
    CHECK_FALSE(rawring::cqe_buf_more(cqe));
    CHECK_FALSE(rawring::cqe_skip(cqe));
    CHECK(rawring::cqe_nr(cqe) == 1);

    // A buffer id in the top 16 bits counts only with IORING_CQE_F_BUFFER.
    cqe.flags = 0xbeefu << abi::IORING_CQE_BUFFER_SHIFT;
    CHECK(rawring::cqe_buffer_id(cqe) == -err::enobufs);
    cqe.flags |= abi::IORING_CQE_F_BUFFER;
    CHECK(rawring::cqe_buffer_id(cqe) == 0xbeef);
    cqe.flags = abi::IORING_CQE_F_BUFFER | (0xffffu << abi::IORING_CQE_BUFFER_SHIFT);
    CHECK(rawring::cqe_buffer_id(cqe) == 0xffff);
    cqe.flags = abi::IORING_CQE_F_BUFFER;
    CHECK(rawring::cqe_buffer_id(cqe) == 0);

    // Each flag answers its own accessor only.
    struct flag_case {
        std::uint32_t flag;
        bool (*get)(const abi::io_uring_cqe&);
    };
    const flag_case cases[] = {
        {abi::IORING_CQE_F_MORE, rawring::cqe_has_more},
        {abi::IORING_CQE_F_SOCK_NONEMPTY, rawring::cqe_sock_nonempty},
        {abi::IORING_CQE_F_NOTIF, rawring::cqe_is_notif},
        {abi::IORING_CQE_F_BUF_MORE, rawring::cqe_buf_more},
        {abi::IORING_CQE_F_SKIP, rawring::cqe_skip},
    };
    for (const flag_case& set : cases) {
        cqe.flags = set.flag;
        INFO("flag " << set.flag);
        for (const flag_case& probe : cases) CHECK(probe.get(cqe) == (probe.flag == set.flag));
        CHECK(rawring::cqe_nr(cqe) == 1);
    }
    cqe.flags = abi::IORING_CQE_F_MORE | abi::IORING_CQE_F_NOTIF;
    CHECK(rawring::cqe_has_more(&cqe));
    CHECK(rawring::cqe_is_notif(&cqe));
    CHECK_FALSE(rawring::cqe_skip(&cqe));
    CHECK_FALSE(rawring::cqe_sock_nonempty(&cqe));
    CHECK_FALSE(rawring::cqe_buf_more(&cqe));
    cqe.flags = abi::IORING_CQE_F_32;
    CHECK(rawring::cqe_nr(cqe) == 2);
    CHECK(rawring::cqe_nr(&cqe) == 2);
}

TEST_CASE("prep: poll masks reach the kernel as it reads them") {
    // The kernel reads poll32_events as a little-endian word (half-word swapped on big-endian);
    // bytes 28..31 of the SQE must hold the mask little-endian on every machine.
    io_uring_sqe sqe{};
    const std::uint32_t mask = 0x80000000u | POLLIN;  // EPOLLONESHOT-range high bit plus POLLIN
    rawring::prep_poll_add(&sqe, 1, mask);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&sqe) + 28;
    std::uint32_t as_kernel_low = bytes[0] | (bytes[1] << 8);   // first 16-bit half the kernel reads
    std::uint32_t as_kernel_high = bytes[2] | (bytes[3] << 8);
    if constexpr (std::endian::native == std::endian::little) {
        CHECK(as_kernel_low == (mask & 0xffff));
        CHECK(as_kernel_high == (mask >> 16));
    } else {
        // A big-endian kernel reads the u32 natively and swaps its halves back.
        CHECK(sqe.poll32_events == ((mask << 16) | (mask >> 16)));
    }
}

} // TEST_SUITE
