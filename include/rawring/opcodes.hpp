// SPDX-License-Identifier: MIT
// The opcode table: name, first kernel and prep helpers of every IORING_OP_*.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "rawring/abi.hpp"

namespace rawring {

/// One row of the opcode table. Helpers, the probe tool, the docs and the tests all
/// read this table, so adding an opcode means adding one row here (and its enum value
/// in abi.hpp).
struct opcode_info {
    abi::io_uring_op op;       ///< the opcode; equals the row's index
    const char* name;          ///< uapi name without "IORING_OP_", e.g. "READV"
    std::uint8_t since_major;  ///< first kernel with the opcode (io_uring_enter.2,
    std::uint8_t since_minor;  ///< except WAITID: merged in 6.7, not 6.5)
    const char* helpers;       ///< space-separated names of the rawring::prep_<name>
                               ///< helpers that set this opcode, never empty; each is
                               ///< liburing's io_uring_prep_<name> (RECV_ZC's recv_zc
                               ///< has no liburing twin). tests/prep.cpp checks each one.
};

/// The table, one row per opcode in opcode order (65 rows, IORING_OP_NOP..URING_CMD128).
/// NOP128 and URING_CMD128 need an SQE128 or SQE_MIXED ring.
inline constexpr opcode_info opcodes[] = {
    {abi::IORING_OP_NOP, "NOP", 5, 1, "nop"},
    {abi::IORING_OP_READV, "READV", 5, 1, "readv readv2"},
    {abi::IORING_OP_WRITEV, "WRITEV", 5, 1, "writev writev2"},
    {abi::IORING_OP_FSYNC, "FSYNC", 5, 1, "fsync"},
    {abi::IORING_OP_READ_FIXED, "READ_FIXED", 5, 1, "read_fixed"},
    {abi::IORING_OP_WRITE_FIXED, "WRITE_FIXED", 5, 1, "write_fixed"},
    {abi::IORING_OP_POLL_ADD, "POLL_ADD", 5, 1, "poll_add poll_multishot"},
    {abi::IORING_OP_POLL_REMOVE, "POLL_REMOVE", 5, 1, "poll_remove poll_update"},
    {abi::IORING_OP_SYNC_FILE_RANGE, "SYNC_FILE_RANGE", 5, 2, "sync_file_range"},
    {abi::IORING_OP_SENDMSG, "SENDMSG", 5, 3, "sendmsg"},
    {abi::IORING_OP_RECVMSG, "RECVMSG", 5, 3, "recvmsg recvmsg_multishot"},
    {abi::IORING_OP_TIMEOUT, "TIMEOUT", 5, 4, "timeout"},
    {abi::IORING_OP_TIMEOUT_REMOVE, "TIMEOUT_REMOVE", 5, 5, "timeout_remove timeout_update"},
    {abi::IORING_OP_ACCEPT, "ACCEPT", 5, 5,
     "accept accept_direct multishot_accept multishot_accept_direct"},
    {abi::IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", 5, 5, "cancel64 cancel cancel_fd"},
    {abi::IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT", 5, 5, "link_timeout"},
    {abi::IORING_OP_CONNECT, "CONNECT", 5, 5, "connect"},
    {abi::IORING_OP_FALLOCATE, "FALLOCATE", 5, 6, "fallocate"},
    {abi::IORING_OP_OPENAT, "OPENAT", 5, 6, "openat openat_direct open open_direct"},
    {abi::IORING_OP_CLOSE, "CLOSE", 5, 6, "close close_direct"},
    {abi::IORING_OP_FILES_UPDATE, "FILES_UPDATE", 5, 6, "files_update"},
    {abi::IORING_OP_STATX, "STATX", 5, 6, "statx"},
    {abi::IORING_OP_READ, "READ", 5, 6, "read"},
    {abi::IORING_OP_WRITE, "WRITE", 5, 6, "write"},
    {abi::IORING_OP_FADVISE, "FADVISE", 5, 6, "fadvise fadvise64"},
    {abi::IORING_OP_MADVISE, "MADVISE", 5, 6, "madvise madvise64"},
    {abi::IORING_OP_SEND, "SEND", 5, 6, "send send_bundle sendto"},
    {abi::IORING_OP_RECV, "RECV", 5, 6, "recv recv_multishot"},
    {abi::IORING_OP_OPENAT2, "OPENAT2", 5, 6, "openat2 openat2_direct"},
    {abi::IORING_OP_EPOLL_CTL, "EPOLL_CTL", 5, 6, "epoll_ctl"},
    {abi::IORING_OP_SPLICE, "SPLICE", 5, 7, "splice"},
    {abi::IORING_OP_PROVIDE_BUFFERS, "PROVIDE_BUFFERS", 5, 7, "provide_buffers"},
    {abi::IORING_OP_REMOVE_BUFFERS, "REMOVE_BUFFERS", 5, 7, "remove_buffers"},
    {abi::IORING_OP_TEE, "TEE", 5, 8, "tee"},
    {abi::IORING_OP_SHUTDOWN, "SHUTDOWN", 5, 11, "shutdown"},
    {abi::IORING_OP_RENAMEAT, "RENAMEAT", 5, 11, "renameat rename"},
    {abi::IORING_OP_UNLINKAT, "UNLINKAT", 5, 11, "unlinkat unlink"},
    {abi::IORING_OP_MKDIRAT, "MKDIRAT", 5, 15, "mkdirat mkdir"},
    {abi::IORING_OP_SYMLINKAT, "SYMLINKAT", 5, 15, "symlinkat symlink"},
    {abi::IORING_OP_LINKAT, "LINKAT", 5, 15, "linkat link"},
    {abi::IORING_OP_MSG_RING, "MSG_RING", 5, 18,
     "msg_ring msg_ring_cqe_flags msg_ring_fd msg_ring_fd_alloc"},
    {abi::IORING_OP_FSETXATTR, "FSETXATTR", 5, 19, "fsetxattr"},
    {abi::IORING_OP_SETXATTR, "SETXATTR", 5, 19, "setxattr"},
    {abi::IORING_OP_FGETXATTR, "FGETXATTR", 5, 19, "fgetxattr"},
    {abi::IORING_OP_GETXATTR, "GETXATTR", 5, 19, "getxattr"},
    {abi::IORING_OP_SOCKET, "SOCKET", 5, 19, "socket socket_direct socket_direct_alloc"},
    {abi::IORING_OP_URING_CMD, "URING_CMD", 5, 19,
     "uring_cmd cmd_sock cmd_getsockname cmd_discard cmd_zone_reset_all"},
    {abi::IORING_OP_SEND_ZC, "SEND_ZC", 6, 0, "send_zc send_zc_fixed"},
    {abi::IORING_OP_SENDMSG_ZC, "SENDMSG_ZC", 6, 1, "sendmsg_zc sendmsg_zc_fixed"},
    {abi::IORING_OP_READ_MULTISHOT, "READ_MULTISHOT", 6, 7, "read_multishot"},
    {abi::IORING_OP_WAITID, "WAITID", 6, 7, "waitid"},
    {abi::IORING_OP_FUTEX_WAIT, "FUTEX_WAIT", 6, 7, "futex_wait"},
    {abi::IORING_OP_FUTEX_WAKE, "FUTEX_WAKE", 6, 7, "futex_wake"},
    {abi::IORING_OP_FUTEX_WAITV, "FUTEX_WAITV", 6, 7, "futex_waitv"},
    {abi::IORING_OP_FIXED_FD_INSTALL, "FIXED_FD_INSTALL", 6, 8, "fixed_fd_install"},
    {abi::IORING_OP_FTRUNCATE, "FTRUNCATE", 6, 9, "ftruncate"},
    {abi::IORING_OP_BIND, "BIND", 6, 11, "bind"},
    {abi::IORING_OP_LISTEN, "LISTEN", 6, 11, "listen"},
    {abi::IORING_OP_RECV_ZC, "RECV_ZC", 6, 15, "recv_zc"},
    {abi::IORING_OP_EPOLL_WAIT, "EPOLL_WAIT", 6, 15, "epoll_wait"},
    {abi::IORING_OP_READV_FIXED, "READV_FIXED", 6, 15, "readv_fixed"},
    {abi::IORING_OP_WRITEV_FIXED, "WRITEV_FIXED", 6, 15, "writev_fixed"},
    {abi::IORING_OP_PIPE, "PIPE", 6, 16, "pipe pipe_direct"},
    {abi::IORING_OP_NOP128, "NOP128", 6, 19, "nop128"},
    {abi::IORING_OP_URING_CMD128, "URING_CMD128", 6, 19, "uring_cmd128"},
};

/// Number of rows in the table.
inline constexpr std::size_t opcode_count = sizeof(opcodes) / sizeof(opcodes[0]);
static_assert(opcode_count == abi::IORING_OP_LAST, "one row per IORING_OP_*");

namespace detail {

/// strcmp for constant evaluation (<cstring> is not constexpr).
constexpr bool str_equal(const char* a, const char* b) noexcept
{
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

constexpr bool opcode_rows_in_order() noexcept
{
    for (std::size_t i = 0; i < opcode_count; ++i) {
        if (static_cast<std::size_t>(opcodes[i].op) != i)
            return false;
    }
    return true;
}

constexpr bool opcode_rows_well_formed() noexcept
{
    for (std::size_t i = 0; i < opcode_count; ++i) {
        const opcode_info& row = opcodes[i];
        if (row.name == nullptr || row.name[0] == '\0')
            return false;
        if (row.helpers == nullptr || row.helpers[0] == '\0')
            return false;
        if (row.since_major < 5 || (row.since_major == 5 && row.since_minor < 1))
            return false;
        for (std::size_t j = 0; j < i; ++j) {
            if (str_equal(opcodes[j].name, row.name))
                return false;
        }
    }
    return true;
}

} // namespace detail

static_assert(detail::opcode_rows_in_order(), "every row's op must equal its index");
static_assert(detail::opcode_rows_well_formed(),
              "names unique and non-empty, helpers non-empty, since >= 5.1");

/// The row of opcode op, or nullptr if op >= IORING_OP_LAST.
constexpr const opcode_info* find_opcode(unsigned op) noexcept
{
    return op < opcode_count ? &opcodes[op] : nullptr;
}

/// Same for any other integer type (int, std::size_t, ...), so that find_opcode(0) or
/// a size_t loop index is not ambiguous between the unsigned and the name overload.
/// Negative values give nullptr.
template <std::integral Int>
constexpr const opcode_info* find_opcode(Int op) noexcept
{
    if (op < Int{0} || static_cast<unsigned long long>(op) >= opcode_count)
        return nullptr;
    return &opcodes[static_cast<std::size_t>(op)];
}

/// The row whose name (without "IORING_OP_", case-sensitive) is name, or nullptr.
constexpr const opcode_info* find_opcode(const char* name) noexcept
{
    if (name == nullptr)
        return nullptr;
    for (const opcode_info& row : opcodes) {
        if (detail::str_equal(row.name, name))
            return &row;
    }
    return nullptr;
}

} // namespace rawring
