// SPDX-License-Identifier: MIT
// rawring's own copy of the Linux io_uring kernel ABI: constants, structs, layout checks.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <cstddef>
#include <cstdint>

// Everything here mirrors the kernel's uapi io_uring header (plus io_uring/query.h,
// io_uring/zcrx.h, io_uring/bpf_filter.h and linux/blkdev.h) of the newest kernel.
// Names keep the uapi spelling so that man pages and kernel sources read the same;
// fields the uapi spells with a leading "__" lose the underscores.
// Flexible and zero-length arrays are left out (C++ does not have them); where the
// kernel expects trailing data, a comment and a small accessor say where it lives.
// Kernel versions marked "~" were not double-checked.

namespace rawring::detail {

// <type_traits> is not freestanding-safe everywhere, so use the compiler builtins
// that GCC and Clang both provide (std::is_standard_layout is built on them).
template <class T>
inline constexpr bool is_abi_struct = __is_standard_layout(T) && __is_trivially_copyable(T);

// The kernel's _IO(type, nr) ioctl encoding: direction "none" is 0 on most
// architectures but 1 (shifted to bit 29) on alpha, mips, powerpc and sparc.
constexpr std::uint32_t ioc_none(std::uint32_t type, std::uint32_t nr) noexcept
{
#if defined(__alpha__) || defined(__mips__) || defined(__powerpc__) || defined(__sparc__)
    return (1u << 29) | (type << 8) | nr;
#else
    return (type << 8) | nr;
#endif
}

} // namespace rawring::detail

namespace rawring::abi {

// ---------------------------------------------------------------------------------
// Types the uapi borrows from other kernel headers
// ---------------------------------------------------------------------------------

/// struct __kernel_timespec (linux/time_types.h): 64-bit time on every architecture.
/// Used by IORING_OP_TIMEOUT / LINK_TIMEOUT, io_uring_getevents_arg::ts and friends.
struct kernel_timespec {
    std::int64_t tv_sec;
    long long tv_nsec;
};
static_assert(sizeof(kernel_timespec) == 16);
static_assert(offsetof(kernel_timespec, tv_nsec) == 8);
static_assert(detail::is_abi_struct<kernel_timespec>);

/// struct open_how (linux/openat2.h), the argument of IORING_OP_OPENAT2 (5.6).
struct open_how {
    std::uint64_t flags;
    std::uint64_t mode;
    std::uint64_t resolve;
};
static_assert(sizeof(open_how) == 24);
static_assert(offsetof(open_how, resolve) == 16);
static_assert(detail::is_abi_struct<open_how>);

/// struct futex_waitv (linux/futex.h), the array element of IORING_OP_FUTEX_WAITV (6.7).
struct futex_waitv {
    std::uint64_t val;
    std::uint64_t uaddr;
    std::uint32_t flags;
    std::uint32_t reserved; ///< uapi __reserved; must be 0
};
static_assert(sizeof(futex_waitv) == 24);
static_assert(offsetof(futex_waitv, flags) == 16);
static_assert(detail::is_abi_struct<futex_waitv>);

/// struct io_timespec: unsigned timespec carried by TX-timestamp CQEs (6.16~).
struct io_timespec {
    std::uint64_t tv_sec;
    std::uint64_t tv_nsec;
};
static_assert(sizeof(io_timespec) == 16);
static_assert(detail::is_abi_struct<io_timespec>);

// ---------------------------------------------------------------------------------
// Submission queue entry
// ---------------------------------------------------------------------------------

/// The {level, optname} pair that overlays sqe.addr for SOCKET_URING_OP_GETSOCKOPT /
/// SETSOCKOPT (6.7).
struct sockopt_level {
    std::uint32_t level;
    std::uint32_t optname;
};
static_assert(sizeof(sockopt_level) == 8);

/// struct io_uring_sqe: one submission queue entry, 64 bytes (5.1).
/// On an IORING_SETUP_SQE128 ring every slot is 128 bytes, and on an SQE_MIXED ring
/// the 128-byte opcodes take two slots; the extra 64 bytes extend cmd() to 80 bytes.
struct io_uring_sqe {
    std::uint8_t opcode;  ///< IORING_OP_*
    std::uint8_t flags;   ///< IOSQE_*
    std::uint16_t ioprio; ///< I/O priority, or IORING_RECVSEND_* / IORING_ACCEPT_* flags
    std::int32_t fd;      ///< file descriptor, or fixed-file index with IOSQE_FIXED_FILE
    union {
        std::uint64_t off;    ///< file offset
        std::uint64_t addr2;  ///< second address (e.g. splice off_out, timeout update)
        std::uint32_t cmd_op; ///< IORING_OP_URING_CMD sub-command; bytes 12..15 are pad1
    };
    union {
        std::uint64_t addr;          ///< buffer or iovec pointer
        std::uint64_t splice_off_in; ///< IORING_OP_SPLICE input offset
        sockopt_level sockopt;       ///< socket uring_cmd level/optname
    };
    std::uint32_t len; ///< buffer length or iovec count
    union {
        std::uint32_t rw_flags;
        std::uint32_t fsync_flags;
        std::uint16_t poll_events; ///< legacy 16-bit poll mask
        std::uint32_t poll32_events; ///< 32-bit poll mask; half-words swapped on big-endian
        std::uint32_t sync_range_flags;
        std::uint32_t msg_flags;
        std::uint32_t timeout_flags;
        std::uint32_t accept_flags;
        std::uint32_t cancel_flags;
        std::uint32_t open_flags;
        std::uint32_t statx_flags;
        std::uint32_t fadvise_advice;
        std::uint32_t splice_flags;
        std::uint32_t rename_flags;
        std::uint32_t unlink_flags;
        std::uint32_t hardlink_flags;
        std::uint32_t xattr_flags;
        std::uint32_t msg_ring_flags;
        std::uint32_t uring_cmd_flags;
        std::uint32_t waitid_flags;
        std::uint32_t futex_flags;
        std::uint32_t install_fd_flags;
        std::uint32_t nop_flags;
        std::uint32_t pipe_flags;
    };
    std::uint64_t user_data; ///< copied into the CQE unchanged
    union {
        std::uint16_t buf_index; ///< registered-buffer index
        std::uint16_t buf_group; ///< provided-buffer group (IOSQE_BUFFER_SELECT)
    };
    std::uint16_t personality; ///< credentials id from IORING_REGISTER_PERSONALITY
    union {
        std::int32_t splice_fd_in;
        std::uint32_t file_index; ///< direct-descriptor slot + 1 (0 = none)
        std::uint32_t zcrx_ifq_idx;
        std::uint32_t optlen;
        std::uint16_t addr_len;    ///< bytes 46..47 are pad3
        std::uint8_t write_stream; ///< bytes 45..47 are pad4 (6.16~)
    };
    union {
        std::uint64_t addr3;
        std::uint64_t attr_ptr; ///< pointer to io_uring_attr_pi etc. (6.14)
        std::uint64_t optval;
    };
    union {
        std::uint64_t pad2;
        std::uint64_t attr_type_mask; ///< IORING_RW_ATTR_FLAG_*
    };

    /// The uapi cmd[] area: starts at byte 48; 16 bytes in a 64-byte SQE, 80 bytes in a
    /// 128-byte SQE (SQE128 ring, or a 128-byte opcode on an SQE_MIXED ring).
    std::uint8_t* cmd() noexcept { return reinterpret_cast<std::uint8_t*>(&addr3); }
    const std::uint8_t* cmd() const noexcept
    {
        return reinterpret_cast<const std::uint8_t*>(&addr3);
    }
};
static_assert(sizeof(io_uring_sqe) == 64);
static_assert(offsetof(io_uring_sqe, opcode) == 0);
static_assert(offsetof(io_uring_sqe, flags) == 1);
static_assert(offsetof(io_uring_sqe, ioprio) == 2);
static_assert(offsetof(io_uring_sqe, fd) == 4);
static_assert(offsetof(io_uring_sqe, off) == 8);
static_assert(offsetof(io_uring_sqe, addr2) == 8);
static_assert(offsetof(io_uring_sqe, cmd_op) == 8);
static_assert(offsetof(io_uring_sqe, addr) == 16);
static_assert(offsetof(io_uring_sqe, splice_off_in) == 16);
static_assert(offsetof(io_uring_sqe, sockopt) == 16);
static_assert(offsetof(io_uring_sqe, len) == 24);
static_assert(offsetof(io_uring_sqe, rw_flags) == 28);
static_assert(offsetof(io_uring_sqe, poll_events) == 28);
static_assert(offsetof(io_uring_sqe, poll32_events) == 28);
static_assert(offsetof(io_uring_sqe, pipe_flags) == 28);
static_assert(offsetof(io_uring_sqe, user_data) == 32);
static_assert(offsetof(io_uring_sqe, buf_index) == 40);
static_assert(offsetof(io_uring_sqe, buf_group) == 40);
static_assert(offsetof(io_uring_sqe, personality) == 42);
static_assert(offsetof(io_uring_sqe, splice_fd_in) == 44);
static_assert(offsetof(io_uring_sqe, file_index) == 44);
static_assert(offsetof(io_uring_sqe, zcrx_ifq_idx) == 44);
static_assert(offsetof(io_uring_sqe, optlen) == 44);
static_assert(offsetof(io_uring_sqe, addr_len) == 44);
static_assert(offsetof(io_uring_sqe, write_stream) == 44);
static_assert(offsetof(io_uring_sqe, addr3) == 48);
static_assert(offsetof(io_uring_sqe, attr_ptr) == 48);
static_assert(offsetof(io_uring_sqe, optval) == 48);
static_assert(offsetof(io_uring_sqe, pad2) == 56);
static_assert(offsetof(io_uring_sqe, attr_type_mask) == 56);
static_assert(detail::is_abi_struct<io_uring_sqe>);

/// Bytes of cmd() space in a 64-byte and a 128-byte SQE.
inline constexpr std::size_t IORING_SQE_CMD_BYTES = 16;
inline constexpr std::size_t IORING_SQE128_CMD_BYTES = 80;

/// sqe.attr_type_mask flags (6.14): attr_ptr points to an io_uring_attr_pi.
inline constexpr std::uint64_t IORING_RW_ATTR_FLAG_PI = 1u << 0;

/// struct io_uring_attr_pi: protection-information attribute for read/write (6.14).
struct io_uring_attr_pi {
    std::uint16_t flags;
    std::uint16_t app_tag;
    std::uint32_t len;
    std::uint64_t addr;
    std::uint64_t seed;
    std::uint64_t rsvd;
};
static_assert(sizeof(io_uring_attr_pi) == 32);
static_assert(offsetof(io_uring_attr_pi, len) == 4);
static_assert(offsetof(io_uring_attr_pi, addr) == 8);
static_assert(offsetof(io_uring_attr_pi, seed) == 16);
static_assert(detail::is_abi_struct<io_uring_attr_pi>);

/// sqe.file_index value asking the kernel to pick a free direct-descriptor slot (5.19);
/// the chosen slot comes back in cqe.res.
inline constexpr std::uint32_t IORING_FILE_INDEX_ALLOC = ~0u;

/// Bit numbers of the IOSQE_* flags (enum io_uring_sqe_flags_bit).
inline constexpr std::uint32_t IOSQE_FIXED_FILE_BIT = 0;
inline constexpr std::uint32_t IOSQE_IO_DRAIN_BIT = 1;
inline constexpr std::uint32_t IOSQE_IO_LINK_BIT = 2;
inline constexpr std::uint32_t IOSQE_IO_HARDLINK_BIT = 3;
inline constexpr std::uint32_t IOSQE_ASYNC_BIT = 4;
inline constexpr std::uint32_t IOSQE_BUFFER_SELECT_BIT = 5;
inline constexpr std::uint32_t IOSQE_CQE_SKIP_SUCCESS_BIT = 6;

/// sqe.flags (IOSQE_*): 7 flags.
inline constexpr std::uint8_t IOSQE_FIXED_FILE = 1u << IOSQE_FIXED_FILE_BIT;           // 5.1
inline constexpr std::uint8_t IOSQE_IO_DRAIN = 1u << IOSQE_IO_DRAIN_BIT;               // 5.2
inline constexpr std::uint8_t IOSQE_IO_LINK = 1u << IOSQE_IO_LINK_BIT;                 // 5.3
inline constexpr std::uint8_t IOSQE_IO_HARDLINK = 1u << IOSQE_IO_HARDLINK_BIT;         // 5.5
inline constexpr std::uint8_t IOSQE_ASYNC = 1u << IOSQE_ASYNC_BIT;                     // 5.6
inline constexpr std::uint8_t IOSQE_BUFFER_SELECT = 1u << IOSQE_BUFFER_SELECT_BIT;     // 5.7
inline constexpr std::uint8_t IOSQE_CQE_SKIP_SUCCESS = 1u << IOSQE_CQE_SKIP_SUCCESS_BIT; // 5.17

// ---------------------------------------------------------------------------------
// io_uring_setup(2)
// ---------------------------------------------------------------------------------

/// io_uring_params.flags (IORING_SETUP_*): 21 flags.
inline constexpr std::uint32_t IORING_SETUP_IOPOLL = 1u << 0;          // 5.1
inline constexpr std::uint32_t IORING_SETUP_SQPOLL = 1u << 1;          // 5.1 (unprivileged 5.11)
inline constexpr std::uint32_t IORING_SETUP_SQ_AFF = 1u << 2;          // 5.1, sq_thread_cpu valid
inline constexpr std::uint32_t IORING_SETUP_CQSIZE = 1u << 3;          // 5.5~, cq_entries valid
inline constexpr std::uint32_t IORING_SETUP_CLAMP = 1u << 4;           // 5.6~
inline constexpr std::uint32_t IORING_SETUP_ATTACH_WQ = 1u << 5;       // 5.6~, wq_fd valid
inline constexpr std::uint32_t IORING_SETUP_R_DISABLED = 1u << 6;      // 5.10
inline constexpr std::uint32_t IORING_SETUP_SUBMIT_ALL = 1u << 7;      // 5.18
inline constexpr std::uint32_t IORING_SETUP_COOP_TASKRUN = 1u << 8;    // 5.19
inline constexpr std::uint32_t IORING_SETUP_TASKRUN_FLAG = 1u << 9;    // 5.19
inline constexpr std::uint32_t IORING_SETUP_SQE128 = 1u << 10;         // 5.19
inline constexpr std::uint32_t IORING_SETUP_CQE32 = 1u << 11;          // 5.19
inline constexpr std::uint32_t IORING_SETUP_SINGLE_ISSUER = 1u << 12;  // 6.0
inline constexpr std::uint32_t IORING_SETUP_DEFER_TASKRUN = 1u << 13;  // 6.1, needs SINGLE_ISSUER
inline constexpr std::uint32_t IORING_SETUP_NO_MMAP = 1u << 14;        // 6.5
inline constexpr std::uint32_t IORING_SETUP_REGISTERED_FD_ONLY = 1u << 15; // 6.5, needs NO_MMAP
inline constexpr std::uint32_t IORING_SETUP_NO_SQARRAY = 1u << 16;     // 6.6
inline constexpr std::uint32_t IORING_SETUP_HYBRID_IOPOLL = 1u << 17;  // 6.13~, with IOPOLL
inline constexpr std::uint32_t IORING_SETUP_CQE_MIXED = 1u << 18;      // 6.18, 16- and 32-B CQEs
inline constexpr std::uint32_t IORING_SETUP_SQE_MIXED = 1u << 19;      // 6.19~, 64- and 128-B SQEs
inline constexpr std::uint32_t IORING_SETUP_SQ_REWIND = 1u << 20;      // 7.0, needs NO_SQARRAY; ring::init refuses it

/// io_uring_params.features (IORING_FEAT_*), filled in by the kernel: 18 flags.
inline constexpr std::uint32_t IORING_FEAT_SINGLE_MMAP = 1u << 0;      // 5.4
inline constexpr std::uint32_t IORING_FEAT_NODROP = 1u << 1;           // 5.5
inline constexpr std::uint32_t IORING_FEAT_SUBMIT_STABLE = 1u << 2;    // 5.5
inline constexpr std::uint32_t IORING_FEAT_RW_CUR_POS = 1u << 3;       // 5.6
inline constexpr std::uint32_t IORING_FEAT_CUR_PERSONALITY = 1u << 4;  // 5.6
inline constexpr std::uint32_t IORING_FEAT_FAST_POLL = 1u << 5;        // 5.7
inline constexpr std::uint32_t IORING_FEAT_POLL_32BITS = 1u << 6;      // 5.9
inline constexpr std::uint32_t IORING_FEAT_SQPOLL_NONFIXED = 1u << 7;  // 5.11
inline constexpr std::uint32_t IORING_FEAT_EXT_ARG = 1u << 8;          // 5.11
inline constexpr std::uint32_t IORING_FEAT_NATIVE_WORKERS = 1u << 9;   // 5.12
inline constexpr std::uint32_t IORING_FEAT_RSRC_TAGS = 1u << 10;       // 5.13
inline constexpr std::uint32_t IORING_FEAT_CQE_SKIP = 1u << 11;        // 5.17
inline constexpr std::uint32_t IORING_FEAT_LINKED_FILE = 1u << 12;     // 5.17
inline constexpr std::uint32_t IORING_FEAT_REG_REG_RING = 1u << 13;    // 6.3
inline constexpr std::uint32_t IORING_FEAT_RECVSEND_BUNDLE = 1u << 14; // 6.10~
inline constexpr std::uint32_t IORING_FEAT_MIN_TIMEOUT = 1u << 15;     // 6.12~
inline constexpr std::uint32_t IORING_FEAT_RW_ATTR = 1u << 16;         // 6.14~
inline constexpr std::uint32_t IORING_FEAT_NO_IOWAIT = 1u << 17;       // 6.15~

/// mmap(2) offsets of the ring mappings (IORING_OFF_*).
inline constexpr std::uint64_t IORING_OFF_SQ_RING = 0ull;           // 5.1
inline constexpr std::uint64_t IORING_OFF_CQ_RING = 0x8000000ull;   // 5.1
inline constexpr std::uint64_t IORING_OFF_SQES = 0x10000000ull;     // 5.1
inline constexpr std::uint64_t IORING_OFF_PBUF_RING = 0x80000000ull; // 6.4~, | bgid << PBUF_SHIFT
inline constexpr std::uint64_t IORING_OFF_PBUF_SHIFT = 16;
inline constexpr std::uint64_t IORING_OFF_MMAP_MASK = 0xf8000000ull;

/// struct io_sqring_offsets: byte offsets of the SQ ring fields inside the
/// IORING_OFF_SQ_RING mapping (5.1; user_addr for IORING_SETUP_NO_MMAP since 6.5).
struct io_sqring_offsets {
    std::uint32_t head;
    std::uint32_t tail;
    std::uint32_t ring_mask;
    std::uint32_t ring_entries;
    std::uint32_t flags; ///< IORING_SQ_* word
    std::uint32_t dropped;
    std::uint32_t array; ///< 0 with IORING_SETUP_NO_SQARRAY
    std::uint32_t resv1;
    std::uint64_t user_addr;
};
static_assert(sizeof(io_sqring_offsets) == 40);
static_assert(offsetof(io_sqring_offsets, head) == 0);
static_assert(offsetof(io_sqring_offsets, tail) == 4);
static_assert(offsetof(io_sqring_offsets, ring_mask) == 8);
static_assert(offsetof(io_sqring_offsets, ring_entries) == 12);
static_assert(offsetof(io_sqring_offsets, flags) == 16);
static_assert(offsetof(io_sqring_offsets, dropped) == 20);
static_assert(offsetof(io_sqring_offsets, array) == 24);
static_assert(offsetof(io_sqring_offsets, resv1) == 28);
static_assert(offsetof(io_sqring_offsets, user_addr) == 32);
static_assert(detail::is_abi_struct<io_sqring_offsets>);

/// SQ ring flags word (IORING_SQ_*), written by the kernel.
inline constexpr std::uint32_t IORING_SQ_NEED_WAKEUP = 1u << 0; // 5.1, SQPOLL thread sleeps
inline constexpr std::uint32_t IORING_SQ_CQ_OVERFLOW = 1u << 1; // 5.5~, CQEs wait in overflow
inline constexpr std::uint32_t IORING_SQ_TASKRUN = 1u << 2;     // 5.19, task work pending

/// struct io_cqring_offsets: byte offsets of the CQ ring fields inside the
/// IORING_OFF_CQ_RING mapping (5.1; flags 5.8, user_addr 6.5).
struct io_cqring_offsets {
    std::uint32_t head;
    std::uint32_t tail;
    std::uint32_t ring_mask;
    std::uint32_t ring_entries;
    std::uint32_t overflow;
    std::uint32_t cqes;
    std::uint32_t flags; ///< IORING_CQ_* word
    std::uint32_t resv1;
    std::uint64_t user_addr;
};
static_assert(sizeof(io_cqring_offsets) == 40);
static_assert(offsetof(io_cqring_offsets, head) == 0);
static_assert(offsetof(io_cqring_offsets, tail) == 4);
static_assert(offsetof(io_cqring_offsets, ring_mask) == 8);
static_assert(offsetof(io_cqring_offsets, ring_entries) == 12);
static_assert(offsetof(io_cqring_offsets, overflow) == 16);
static_assert(offsetof(io_cqring_offsets, cqes) == 20);
static_assert(offsetof(io_cqring_offsets, flags) == 24);
static_assert(offsetof(io_cqring_offsets, resv1) == 28);
static_assert(offsetof(io_cqring_offsets, user_addr) == 32);
static_assert(detail::is_abi_struct<io_cqring_offsets>);

/// CQ ring flags word (IORING_CQ_*), written by the application.
inline constexpr std::uint32_t IORING_CQ_EVENTFD_DISABLED = 1u << 0; // 5.8

/// struct io_uring_params: in/out argument of io_uring_setup(2) (5.1).
struct io_uring_params {
    std::uint32_t sq_entries;
    std::uint32_t cq_entries;
    std::uint32_t flags; ///< IORING_SETUP_*
    std::uint32_t sq_thread_cpu;
    std::uint32_t sq_thread_idle; ///< milliseconds
    std::uint32_t features; ///< IORING_FEAT_*, output
    std::uint32_t wq_fd;
    std::uint32_t resv[3];
    io_sqring_offsets sq_off;
    io_cqring_offsets cq_off;
};
static_assert(sizeof(io_uring_params) == 120);
static_assert(offsetof(io_uring_params, sq_entries) == 0);
static_assert(offsetof(io_uring_params, cq_entries) == 4);
static_assert(offsetof(io_uring_params, flags) == 8);
static_assert(offsetof(io_uring_params, sq_thread_cpu) == 12);
static_assert(offsetof(io_uring_params, sq_thread_idle) == 16);
static_assert(offsetof(io_uring_params, features) == 20);
static_assert(offsetof(io_uring_params, wq_fd) == 24);
static_assert(offsetof(io_uring_params, resv) == 28);
static_assert(offsetof(io_uring_params, sq_off) == 40);
static_assert(offsetof(io_uring_params, cq_off) == 80);
static_assert(detail::is_abi_struct<io_uring_params>);

// ---------------------------------------------------------------------------------
// Opcodes
// ---------------------------------------------------------------------------------

/// enum io_uring_op: the value of sqe.opcode. 65 opcodes (0..64). The first kernel of
/// each is in rawring/opcodes.hpp. NOP128 and URING_CMD128 need an SQE128 or
/// SQE_MIXED ring.
enum io_uring_op : std::uint8_t {
    IORING_OP_NOP = 0,
    IORING_OP_READV = 1,
    IORING_OP_WRITEV = 2,
    IORING_OP_FSYNC = 3,
    IORING_OP_READ_FIXED = 4,
    IORING_OP_WRITE_FIXED = 5,
    IORING_OP_POLL_ADD = 6,
    IORING_OP_POLL_REMOVE = 7,
    IORING_OP_SYNC_FILE_RANGE = 8,
    IORING_OP_SENDMSG = 9,
    IORING_OP_RECVMSG = 10,
    IORING_OP_TIMEOUT = 11,
    IORING_OP_TIMEOUT_REMOVE = 12,
    IORING_OP_ACCEPT = 13,
    IORING_OP_ASYNC_CANCEL = 14,
    IORING_OP_LINK_TIMEOUT = 15,
    IORING_OP_CONNECT = 16,
    IORING_OP_FALLOCATE = 17,
    IORING_OP_OPENAT = 18,
    IORING_OP_CLOSE = 19,
    IORING_OP_FILES_UPDATE = 20,
    IORING_OP_STATX = 21,
    IORING_OP_READ = 22,
    IORING_OP_WRITE = 23,
    IORING_OP_FADVISE = 24,
    IORING_OP_MADVISE = 25,
    IORING_OP_SEND = 26,
    IORING_OP_RECV = 27,
    IORING_OP_OPENAT2 = 28,
    IORING_OP_EPOLL_CTL = 29,
    IORING_OP_SPLICE = 30,
    IORING_OP_PROVIDE_BUFFERS = 31,
    IORING_OP_REMOVE_BUFFERS = 32,
    IORING_OP_TEE = 33,
    IORING_OP_SHUTDOWN = 34,
    IORING_OP_RENAMEAT = 35,
    IORING_OP_UNLINKAT = 36,
    IORING_OP_MKDIRAT = 37,
    IORING_OP_SYMLINKAT = 38,
    IORING_OP_LINKAT = 39,
    IORING_OP_MSG_RING = 40,
    IORING_OP_FSETXATTR = 41,
    IORING_OP_SETXATTR = 42,
    IORING_OP_FGETXATTR = 43,
    IORING_OP_GETXATTR = 44,
    IORING_OP_SOCKET = 45,
    IORING_OP_URING_CMD = 46,
    IORING_OP_SEND_ZC = 47,
    IORING_OP_SENDMSG_ZC = 48,
    IORING_OP_READ_MULTISHOT = 49,
    IORING_OP_WAITID = 50,
    IORING_OP_FUTEX_WAIT = 51,
    IORING_OP_FUTEX_WAKE = 52,
    IORING_OP_FUTEX_WAITV = 53,
    IORING_OP_FIXED_FD_INSTALL = 54,
    IORING_OP_FTRUNCATE = 55,
    IORING_OP_BIND = 56,
    IORING_OP_LISTEN = 57,
    IORING_OP_RECV_ZC = 58,
    IORING_OP_EPOLL_WAIT = 59,
    IORING_OP_READV_FIXED = 60,
    IORING_OP_WRITEV_FIXED = 61,
    IORING_OP_PIPE = 62,
    IORING_OP_NOP128 = 63,
    IORING_OP_URING_CMD128 = 64,
    IORING_OP_LAST = 65, ///< number of opcodes, not an opcode
};

// ---------------------------------------------------------------------------------
// Per-opcode flags
// ---------------------------------------------------------------------------------

/// sqe.uring_cmd_flags (IORING_URING_CMD_*); the top 8 bits are reserved for the kernel.
inline constexpr std::uint32_t IORING_URING_CMD_FIXED = 1u << 0;     // 6.1, use sqe.buf_index
inline constexpr std::uint32_t IORING_URING_CMD_MULTISHOT = 1u << 1; // 6.18~, with buffer select
inline constexpr std::uint32_t IORING_URING_CMD_MASK =
    IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT;

/// sqe.fsync_flags.
inline constexpr std::uint32_t IORING_FSYNC_DATASYNC = 1u << 0; // 5.1

/// sqe.timeout_flags (TIMEOUT, TIMEOUT_REMOVE, LINK_TIMEOUT).
inline constexpr std::uint32_t IORING_TIMEOUT_ABS = 1u << 0;           // 5.4
inline constexpr std::uint32_t IORING_TIMEOUT_UPDATE = 1u << 1;        // 5.11
inline constexpr std::uint32_t IORING_TIMEOUT_BOOTTIME = 1u << 2;      // 5.15
inline constexpr std::uint32_t IORING_TIMEOUT_REALTIME = 1u << 3;      // 5.15
inline constexpr std::uint32_t IORING_LINK_TIMEOUT_UPDATE = 1u << 4;   // 5.15
inline constexpr std::uint32_t IORING_TIMEOUT_ETIME_SUCCESS = 1u << 5; // 5.16
inline constexpr std::uint32_t IORING_TIMEOUT_MULTISHOT = 1u << 6;     // 6.4
/// sqe.addr (or addr2 for an update) holds the timeout in nanoseconds instead of a
/// kernel_timespec pointer; relative timeouts only (newest kernels, 6.19~).
inline constexpr std::uint32_t IORING_TIMEOUT_IMMEDIATE_ARG = 1u << 7;
inline constexpr std::uint32_t IORING_TIMEOUT_CLOCK_MASK =
    IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME;
inline constexpr std::uint32_t IORING_TIMEOUT_UPDATE_MASK =
    IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE;

/// sqe.splice_flags extension: splice_fd_in is a fixed-file index (5.7).
inline constexpr std::uint32_t SPLICE_F_FD_IN_FIXED = 1u << 31;

/// POLL_ADD / POLL_REMOVE command flags, carried in sqe.len (the event mask lives in
/// poll32_events).
inline constexpr std::uint32_t IORING_POLL_ADD_MULTI = 1u << 0;        // 5.13
inline constexpr std::uint32_t IORING_POLL_UPDATE_EVENTS = 1u << 1;    // 5.13
inline constexpr std::uint32_t IORING_POLL_UPDATE_USER_DATA = 1u << 2; // 5.13
inline constexpr std::uint32_t IORING_POLL_ADD_LEVEL = 1u << 3;        // 5.19

/// sqe.cancel_flags for ASYNC_CANCEL and io_uring_sync_cancel_reg.flags.
inline constexpr std::uint32_t IORING_ASYNC_CANCEL_ALL = 1u << 0;      // 5.19
inline constexpr std::uint32_t IORING_ASYNC_CANCEL_FD = 1u << 1;       // 5.19
inline constexpr std::uint32_t IORING_ASYNC_CANCEL_ANY = 1u << 2;      // 5.19
inline constexpr std::uint32_t IORING_ASYNC_CANCEL_FD_FIXED = 1u << 3; // 6.0
inline constexpr std::uint32_t IORING_ASYNC_CANCEL_USERDATA = 1u << 4; // 6.6
inline constexpr std::uint32_t IORING_ASYNC_CANCEL_OP = 1u << 5;       // 6.6

/// send/sendmsg/recv/recvmsg (and _ZC) flags, carried in sqe.ioprio.
inline constexpr std::uint16_t IORING_RECVSEND_POLL_FIRST = 1u << 0;  // 5.19
inline constexpr std::uint16_t IORING_RECV_MULTISHOT = 1u << 1;       // 6.0
inline constexpr std::uint16_t IORING_RECVSEND_FIXED_BUF = 1u << 2;   // 6.0
inline constexpr std::uint16_t IORING_SEND_ZC_REPORT_USAGE = 1u << 3; // 6.2
inline constexpr std::uint16_t IORING_RECVSEND_BUNDLE = 1u << 4;      // 6.10
inline constexpr std::uint16_t IORING_SEND_VECTORIZED = 1u << 5;      // 6.17~

/// Bit in cqe.res of a send_zc notification CQE (IORING_CQE_F_NOTIF) when
/// IORING_SEND_ZC_REPORT_USAGE was set: the data was (at least partly) copied.
/// Compare against static_cast<std::uint32_t>(cqe.res).
inline constexpr std::uint32_t IORING_NOTIF_USAGE_ZC_COPIED = 1u << 31;

/// accept flags, carried in sqe.ioprio.
inline constexpr std::uint16_t IORING_ACCEPT_MULTISHOT = 1u << 0;  // 5.19
inline constexpr std::uint16_t IORING_ACCEPT_DONTWAIT = 1u << 1;   // 6.10
inline constexpr std::uint16_t IORING_ACCEPT_POLL_FIRST = 1u << 2; // 6.10

/// IORING_OP_MSG_RING commands (enum io_uring_msg_ring_flags), carried in sqe.addr.
inline constexpr std::uint64_t IORING_MSG_DATA = 0;    // 5.18
inline constexpr std::uint64_t IORING_MSG_SEND_FD = 1; // 6.0

/// sqe.msg_ring_flags.
inline constexpr std::uint32_t IORING_MSG_RING_CQE_SKIP = 1u << 0;   // 6.0
inline constexpr std::uint32_t IORING_MSG_RING_FLAGS_PASS = 1u << 1; // 6.3, file_index -> cqe.flags

/// sqe.install_fd_flags for IORING_OP_FIXED_FD_INSTALL.
inline constexpr std::uint32_t IORING_FIXED_FD_NO_CLOEXEC = 1u << 0; // 6.8

/// sqe.nop_flags for IORING_OP_NOP (test and benchmark aids).
inline constexpr std::uint32_t IORING_NOP_INJECT_RESULT = 1u << 0; // 6.11~, cqe.res = sqe.len
inline constexpr std::uint32_t IORING_NOP_FILE = 1u << 1;          // 6.13~
inline constexpr std::uint32_t IORING_NOP_FIXED_FILE = 1u << 2;    // 6.13~
inline constexpr std::uint32_t IORING_NOP_FIXED_BUFFER = 1u << 3;  // 6.13~
inline constexpr std::uint32_t IORING_NOP_TW = 1u << 4;            // 6.15~
inline constexpr std::uint32_t IORING_NOP_CQE32 = 1u << 5;         // 6.18~, post a 32-byte CQE

// ---------------------------------------------------------------------------------
// Completion queue entry
// ---------------------------------------------------------------------------------

/// struct io_uring_cqe: one completion queue entry, 16 bytes (5.1). The uapi's
/// big_cqe[] tail is not declared here; see io_uring_cqe32.
struct io_uring_cqe {
    std::uint64_t user_data; ///< sqe.user_data
    std::int32_t res;        ///< result, or -errno
    std::uint32_t flags;     ///< IORING_CQE_F_*
};
static_assert(sizeof(io_uring_cqe) == 16);
static_assert(offsetof(io_uring_cqe, user_data) == 0);
static_assert(offsetof(io_uring_cqe, res) == 8);
static_assert(offsetof(io_uring_cqe, flags) == 12);
static_assert(detail::is_abi_struct<io_uring_cqe>);

/// rawring addition: the layout of one entry of an IORING_SETUP_CQE32 ring (5.19), or
/// of a big CQE (IORING_CQE_F_32) on an IORING_SETUP_CQE_MIXED ring (6.18): the
/// 16-byte io_uring_cqe followed by the uapi big_cqe[] payload.
struct io_uring_cqe32 {
    std::uint64_t user_data;
    std::int32_t res;
    std::uint32_t flags;
    std::uint64_t big_cqe[2];
};
static_assert(sizeof(io_uring_cqe32) == 32);
static_assert(offsetof(io_uring_cqe32, user_data) == 0);
static_assert(offsetof(io_uring_cqe32, res) == 8);
static_assert(offsetof(io_uring_cqe32, flags) == 12);
static_assert(offsetof(io_uring_cqe32, big_cqe) == 16);
static_assert(detail::is_abi_struct<io_uring_cqe32>);

/// cqe.flags (IORING_CQE_F_*).
inline constexpr std::uint32_t IORING_CQE_F_BUFFER = 1u << 0;        // 5.7, buffer id in upper 16 bits
inline constexpr std::uint32_t IORING_CQE_F_MORE = 1u << 1;          // 5.13, more CQEs will follow
inline constexpr std::uint32_t IORING_CQE_F_SOCK_NONEMPTY = 1u << 2; // 5.19
inline constexpr std::uint32_t IORING_CQE_F_NOTIF = 1u << 3;         // 6.0, send_zc notification
inline constexpr std::uint32_t IORING_CQE_F_BUF_MORE = 1u << 4;      // 6.12~, incremental pbuf
inline constexpr std::uint32_t IORING_CQE_F_SKIP = 1u << 5;          // 6.18, filler CQE: ignore
inline constexpr std::uint32_t IORING_CQE_F_32 = 1u << 15;           // 6.18, 32-byte CQE (CQE_MIXED)
/// Shift of the provided-buffer id in cqe.flags.
inline constexpr std::uint32_t IORING_CQE_BUFFER_SHIFT = 16;

/// SOCKET_URING_OP_TX_TIMESTAMP completions (6.16~): hardware-timestamp flag and the
/// bit from which the timestamp type is stored in cqe.flags.
inline constexpr std::uint32_t IORING_TIMESTAMP_HW_SHIFT = 16;
inline constexpr std::uint32_t IORING_TIMESTAMP_TYPE_SHIFT = IORING_TIMESTAMP_HW_SHIFT + 1;
inline constexpr std::uint32_t IORING_CQE_F_TSTAMP_HW = 1u << IORING_TIMESTAMP_HW_SHIFT;

// ---------------------------------------------------------------------------------
// io_uring_enter(2)
// ---------------------------------------------------------------------------------

/// io_uring_enter flags (IORING_ENTER_*): 8 flags.
inline constexpr std::uint32_t IORING_ENTER_GETEVENTS = 1u << 0;       // 5.1
inline constexpr std::uint32_t IORING_ENTER_SQ_WAKEUP = 1u << 1;       // 5.1
inline constexpr std::uint32_t IORING_ENTER_SQ_WAIT = 1u << 2;         // 5.10~
inline constexpr std::uint32_t IORING_ENTER_EXT_ARG = 1u << 3;         // 5.11
inline constexpr std::uint32_t IORING_ENTER_REGISTERED_RING = 1u << 4; // 5.18
inline constexpr std::uint32_t IORING_ENTER_ABS_TIMER = 1u << 5;       // 6.12~
inline constexpr std::uint32_t IORING_ENTER_EXT_ARG_REG = 1u << 6;     // 6.13~
inline constexpr std::uint32_t IORING_ENTER_NO_IOWAIT = 1u << 7;       // 6.15~

/// struct io_uring_getevents_arg: the arg of io_uring_enter with IORING_ENTER_EXT_ARG
/// (5.11; min_wait_usec 6.12), passed with argsz = sizeof(io_uring_getevents_arg).
struct io_uring_getevents_arg {
    std::uint64_t sigmask;
    std::uint32_t sigmask_sz;
    std::uint32_t min_wait_usec;
    std::uint64_t ts; ///< pointer to a kernel_timespec, or 0
};
static_assert(sizeof(io_uring_getevents_arg) == 24);
static_assert(offsetof(io_uring_getevents_arg, sigmask_sz) == 8);
static_assert(offsetof(io_uring_getevents_arg, min_wait_usec) == 12);
static_assert(offsetof(io_uring_getevents_arg, ts) == 16);
static_assert(detail::is_abi_struct<io_uring_getevents_arg>);

/// io_uring_reg_wait.flags: ts is valid.
inline constexpr std::uint32_t IORING_REG_WAIT_TS = 1u << 0;

/// struct io_uring_reg_wait: one 64-byte entry of a wait region registered with
/// IORING_REGISTER_MEM_REGION + IORING_MEM_REGION_REG_WAIT_ARG (6.13). With
/// IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG, io_uring_enter's arg is the byte
/// offset index * sizeof(io_uring_reg_wait) into the region.
struct io_uring_reg_wait {
    kernel_timespec ts;
    std::uint32_t min_wait_usec;
    std::uint32_t flags; ///< IORING_REG_WAIT_*
    std::uint64_t sigmask;
    std::uint32_t sigmask_sz;
    std::uint32_t pad[3];
    std::uint64_t pad2[2];
};
static_assert(sizeof(io_uring_reg_wait) == 64);
static_assert(offsetof(io_uring_reg_wait, min_wait_usec) == 16);
static_assert(offsetof(io_uring_reg_wait, flags) == 20);
static_assert(offsetof(io_uring_reg_wait, sigmask) == 24);
static_assert(offsetof(io_uring_reg_wait, sigmask_sz) == 32);
static_assert(offsetof(io_uring_reg_wait, pad2) == 48);
static_assert(detail::is_abi_struct<io_uring_reg_wait>);

// ---------------------------------------------------------------------------------
// io_uring_register(2)
// ---------------------------------------------------------------------------------

/// enum io_uring_register_op: the opcode argument of io_uring_register(2). 38
/// opcodes (0..37); the first kernel is noted on each.
enum io_uring_register_op : std::uint32_t {
    IORING_REGISTER_BUFFERS = 0,            // 5.1
    IORING_UNREGISTER_BUFFERS = 1,          // 5.1
    IORING_REGISTER_FILES = 2,              // 5.1
    IORING_UNREGISTER_FILES = 3,            // 5.1
    IORING_REGISTER_EVENTFD = 4,            // 5.2
    IORING_UNREGISTER_EVENTFD = 5,          // 5.2
    IORING_REGISTER_FILES_UPDATE = 6,       // 5.5
    IORING_REGISTER_EVENTFD_ASYNC = 7,      // 5.6
    IORING_REGISTER_PROBE = 8,              // 5.6
    IORING_REGISTER_PERSONALITY = 9,        // 5.6
    IORING_UNREGISTER_PERSONALITY = 10,     // 5.6
    IORING_REGISTER_RESTRICTIONS = 11,      // 5.10
    IORING_REGISTER_ENABLE_RINGS = 12,      // 5.10
    IORING_REGISTER_FILES2 = 13,            // 5.13
    IORING_REGISTER_FILES_UPDATE2 = 14,     // 5.13
    IORING_REGISTER_BUFFERS2 = 15,          // 5.13
    IORING_REGISTER_BUFFERS_UPDATE = 16,    // 5.13
    IORING_REGISTER_IOWQ_AFF = 17,          // 5.14
    IORING_UNREGISTER_IOWQ_AFF = 18,        // 5.14
    IORING_REGISTER_IOWQ_MAX_WORKERS = 19,  // 5.15
    IORING_REGISTER_RING_FDS = 20,          // 5.18
    IORING_UNREGISTER_RING_FDS = 21,        // 5.18
    IORING_REGISTER_PBUF_RING = 22,         // 5.19
    IORING_UNREGISTER_PBUF_RING = 23,       // 5.19
    IORING_REGISTER_SYNC_CANCEL = 24,       // 6.0
    IORING_REGISTER_FILE_ALLOC_RANGE = 25,  // 6.0
    IORING_REGISTER_PBUF_STATUS = 26,       // 6.8
    IORING_REGISTER_NAPI = 27,              // 6.9
    IORING_UNREGISTER_NAPI = 28,            // 6.9
    IORING_REGISTER_CLOCK = 29,             // 6.12
    IORING_REGISTER_CLONE_BUFFERS = 30,     // 6.12~
    IORING_REGISTER_SEND_MSG_RING = 31,     // 6.13, fd = -1
    IORING_REGISTER_ZCRX_IFQ = 32,          // 6.15
    IORING_REGISTER_RESIZE_RINGS = 33,      // 6.13
    IORING_REGISTER_MEM_REGION = 34,        // 6.13
    IORING_REGISTER_QUERY = 35,             // 6.18~, fd = -1 allowed
    IORING_REGISTER_ZCRX_CTRL = 36,         // 6.19~
    IORING_REGISTER_BPF_FILTER = 37,        // 7.0~
    IORING_REGISTER_LAST = 38,              ///< number of opcodes, not an opcode
    /// OR-ed into the opcode: the fd argument is a registered ring index (6.3).
    IORING_REGISTER_USE_REGISTERED_RING = 1u << 31,
};

/// io-wq worker categories (enum io_wq_type): indices into the u32[2] argument of
/// IORING_REGISTER_IOWQ_MAX_WORKERS.
inline constexpr std::uint32_t IO_WQ_BOUND = 0;
inline constexpr std::uint32_t IO_WQ_UNBOUND = 1;

/// struct io_uring_files_update: argument of IORING_REGISTER_FILES_UPDATE (5.5;
/// deprecated in favour of io_uring_rsrc_update).
struct io_uring_files_update {
    std::uint32_t offset;
    std::uint32_t resv;
    alignas(8) std::uint64_t fds; ///< pointer to s32 fds
};
static_assert(sizeof(io_uring_files_update) == 16);
static_assert(offsetof(io_uring_files_update, fds) == 8);
static_assert(detail::is_abi_struct<io_uring_files_update>);

/// io_uring_region_desc.flags: the region uses user memory at user_addr.
inline constexpr std::uint32_t IORING_MEM_REGION_TYPE_USER = 1;

/// struct io_uring_region_desc: describes a memory region (6.13).
struct io_uring_region_desc {
    std::uint64_t user_addr;
    std::uint64_t size;
    std::uint32_t flags; ///< IORING_MEM_REGION_TYPE_*
    std::uint32_t id;
    std::uint64_t mmap_offset;
    std::uint64_t resv[4];
};
static_assert(sizeof(io_uring_region_desc) == 64);
static_assert(offsetof(io_uring_region_desc, size) == 8);
static_assert(offsetof(io_uring_region_desc, flags) == 16);
static_assert(offsetof(io_uring_region_desc, id) == 20);
static_assert(offsetof(io_uring_region_desc, mmap_offset) == 24);
static_assert(offsetof(io_uring_region_desc, resv) == 32);
static_assert(detail::is_abi_struct<io_uring_region_desc>);

/// io_uring_mem_region_reg.flags: expose the region as registered wait arguments.
inline constexpr std::uint64_t IORING_MEM_REGION_REG_WAIT_ARG = 1;

/// struct io_uring_mem_region_reg: argument of IORING_REGISTER_MEM_REGION (6.13).
struct io_uring_mem_region_reg {
    std::uint64_t region_uptr; ///< pointer to io_uring_region_desc
    std::uint64_t flags;       ///< IORING_MEM_REGION_REG_*
    std::uint64_t resv[2];
};
static_assert(sizeof(io_uring_mem_region_reg) == 32);
static_assert(offsetof(io_uring_mem_region_reg, flags) == 8);
static_assert(detail::is_abi_struct<io_uring_mem_region_reg>);

/// io_uring_rsrc_register.flags: register an all-empty table of nr slots (5.19).
inline constexpr std::uint32_t IORING_RSRC_REGISTER_SPARSE = 1u << 0;

/// struct io_uring_rsrc_register: argument of IORING_REGISTER_FILES2 / BUFFERS2 (5.13).
struct io_uring_rsrc_register {
    std::uint32_t nr;
    std::uint32_t flags; ///< IORING_RSRC_REGISTER_*
    std::uint64_t resv2;
    alignas(8) std::uint64_t data; ///< pointer to fds or iovecs
    alignas(8) std::uint64_t tags; ///< pointer to u64 tags, or 0
};
static_assert(sizeof(io_uring_rsrc_register) == 32);
static_assert(offsetof(io_uring_rsrc_register, flags) == 4);
static_assert(offsetof(io_uring_rsrc_register, resv2) == 8);
static_assert(offsetof(io_uring_rsrc_register, data) == 16);
static_assert(offsetof(io_uring_rsrc_register, tags) == 24);
static_assert(detail::is_abi_struct<io_uring_rsrc_register>);

/// struct io_uring_rsrc_update: argument of IORING_REGISTER_FILES_UPDATE and
/// IORING_REGISTER_RING_FDS (5.5).
struct io_uring_rsrc_update {
    std::uint32_t offset;
    std::uint32_t resv;
    alignas(8) std::uint64_t data;
};
static_assert(sizeof(io_uring_rsrc_update) == 16);
static_assert(offsetof(io_uring_rsrc_update, data) == 8);
static_assert(detail::is_abi_struct<io_uring_rsrc_update>);

/// struct io_uring_rsrc_update2: argument of IORING_REGISTER_FILES_UPDATE2 /
/// BUFFERS_UPDATE (5.13).
struct io_uring_rsrc_update2 {
    std::uint32_t offset;
    std::uint32_t resv;
    alignas(8) std::uint64_t data;
    alignas(8) std::uint64_t tags;
    std::uint32_t nr;
    std::uint32_t resv2;
};
static_assert(sizeof(io_uring_rsrc_update2) == 32);
static_assert(offsetof(io_uring_rsrc_update2, data) == 8);
static_assert(offsetof(io_uring_rsrc_update2, tags) == 16);
static_assert(offsetof(io_uring_rsrc_update2, nr) == 24);
static_assert(offsetof(io_uring_rsrc_update2, resv2) == 28);
static_assert(detail::is_abi_struct<io_uring_rsrc_update2>);

/// fd value in a files update that leaves the slot unchanged (5.12~).
inline constexpr int IORING_REGISTER_FILES_SKIP = -2;

/// io_uring_probe_op.flags: the opcode is supported.
inline constexpr std::uint16_t IO_URING_OP_SUPPORTED = 1u << 0;

/// struct io_uring_probe_op: one entry of an IORING_REGISTER_PROBE result (5.6).
struct io_uring_probe_op {
    std::uint8_t op;
    std::uint8_t resv;
    std::uint16_t flags; ///< IO_URING_OP_*
    std::uint32_t resv2;
};
static_assert(sizeof(io_uring_probe_op) == 8);
static_assert(offsetof(io_uring_probe_op, flags) == 2);
static_assert(offsetof(io_uring_probe_op, resv2) == 4);
static_assert(detail::is_abi_struct<io_uring_probe_op>);

/// struct io_uring_probe: the 16-byte header of an IORING_REGISTER_PROBE result (5.6).
/// The kernel writes ops_len io_uring_probe_op entries right after it (the uapi ops[]
/// flexible array); pass a buffer of 16 + nr * 8 bytes and nr_args = nr.
struct io_uring_probe {
    std::uint8_t last_op; ///< highest opcode the kernel knows
    std::uint8_t ops_len; ///< entries filled in after the header
    std::uint16_t resv;
    std::uint32_t resv2[3];

    /// The entries that follow the header in the caller's buffer.
    io_uring_probe_op* ops() noexcept { return reinterpret_cast<io_uring_probe_op*>(this + 1); }
    const io_uring_probe_op* ops() const noexcept
    {
        return reinterpret_cast<const io_uring_probe_op*>(this + 1);
    }
};
static_assert(sizeof(io_uring_probe) == 16);
static_assert(offsetof(io_uring_probe, last_op) == 0);
static_assert(offsetof(io_uring_probe, ops_len) == 1);
static_assert(offsetof(io_uring_probe, resv) == 2);
static_assert(offsetof(io_uring_probe, resv2) == 4);
static_assert(detail::is_abi_struct<io_uring_probe>);

/// io_uring_restriction.opcode values (enum io_uring_register_restriction_op, 5.10).
inline constexpr std::uint16_t IORING_RESTRICTION_REGISTER_OP = 0;
inline constexpr std::uint16_t IORING_RESTRICTION_SQE_OP = 1;
inline constexpr std::uint16_t IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2;
inline constexpr std::uint16_t IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3;
inline constexpr std::uint16_t IORING_RESTRICTION_LAST = 4;

/// struct io_uring_restriction: one entry of IORING_REGISTER_RESTRICTIONS (5.10).
struct io_uring_restriction {
    std::uint16_t opcode; ///< IORING_RESTRICTION_*
    union {
        std::uint8_t register_op; ///< IORING_RESTRICTION_REGISTER_OP
        std::uint8_t sqe_op;      ///< IORING_RESTRICTION_SQE_OP
        std::uint8_t sqe_flags;   ///< IORING_RESTRICTION_SQE_FLAGS_*
    };
    std::uint8_t resv;
    std::uint32_t resv2[3];
};
static_assert(sizeof(io_uring_restriction) == 16);
static_assert(offsetof(io_uring_restriction, register_op) == 2);
static_assert(offsetof(io_uring_restriction, sqe_op) == 2);
static_assert(offsetof(io_uring_restriction, sqe_flags) == 2);
static_assert(offsetof(io_uring_restriction, resv) == 3);
static_assert(offsetof(io_uring_restriction, resv2) == 4);
static_assert(detail::is_abi_struct<io_uring_restriction>);

/// struct io_uring_task_restriction: 16-byte header of a task-wide restriction set
/// (newest kernels, registered with fd = -1). nr_res io_uring_restriction entries follow
/// it (the uapi restrictions[] flexible array).
struct io_uring_task_restriction {
    std::uint16_t flags;
    std::uint16_t nr_res;
    std::uint32_t resv[3];

    io_uring_restriction* restrictions() noexcept
    {
        return reinterpret_cast<io_uring_restriction*>(this + 1);
    }
    const io_uring_restriction* restrictions() const noexcept
    {
        return reinterpret_cast<const io_uring_restriction*>(this + 1);
    }
};
static_assert(sizeof(io_uring_task_restriction) == 16);
static_assert(offsetof(io_uring_task_restriction, nr_res) == 2);
static_assert(offsetof(io_uring_task_restriction, resv) == 4);
static_assert(detail::is_abi_struct<io_uring_task_restriction>);

/// struct io_uring_clock_register: argument of IORING_REGISTER_CLOCK (6.12).
struct io_uring_clock_register {
    std::uint32_t clockid; ///< CLOCK_MONOTONIC or CLOCK_BOOTTIME
    std::uint32_t resv[3];
};
static_assert(sizeof(io_uring_clock_register) == 16);
static_assert(offsetof(io_uring_clock_register, resv) == 4);
static_assert(detail::is_abi_struct<io_uring_clock_register>);

/// io_uring_clone_buffers.flags.
inline constexpr std::uint32_t IORING_REGISTER_SRC_REGISTERED = 1u << 0; // src_fd is a ring index
inline constexpr std::uint32_t IORING_REGISTER_DST_REPLACE = 1u << 1;    // replace existing buffers

/// struct io_uring_clone_buffers: argument of IORING_REGISTER_CLONE_BUFFERS (6.12~;
/// src_off/dst_off/nr 6.13~).
struct io_uring_clone_buffers {
    std::uint32_t src_fd;
    std::uint32_t flags; ///< IORING_REGISTER_SRC_REGISTERED, IORING_REGISTER_DST_REPLACE
    std::uint32_t src_off;
    std::uint32_t dst_off;
    std::uint32_t nr;
    std::uint32_t pad[3];
};
static_assert(sizeof(io_uring_clone_buffers) == 32);
static_assert(offsetof(io_uring_clone_buffers, flags) == 4);
static_assert(offsetof(io_uring_clone_buffers, src_off) == 8);
static_assert(offsetof(io_uring_clone_buffers, dst_off) == 12);
static_assert(offsetof(io_uring_clone_buffers, nr) == 16);
static_assert(offsetof(io_uring_clone_buffers, pad) == 20);
static_assert(detail::is_abi_struct<io_uring_clone_buffers>);

// ---------------------------------------------------------------------------------
// Provided-buffer rings
// ---------------------------------------------------------------------------------

/// struct io_uring_buf: one entry of a provided-buffer ring (5.19).
struct io_uring_buf {
    std::uint64_t addr;
    std::uint32_t len;
    std::uint16_t bid;
    std::uint16_t resv; ///< in bufs[0] this word is the ring tail
};
static_assert(sizeof(io_uring_buf) == 16);
static_assert(offsetof(io_uring_buf, len) == 8);
static_assert(offsetof(io_uring_buf, bid) == 12);
static_assert(offsetof(io_uring_buf, resv) == 14);
static_assert(detail::is_abi_struct<io_uring_buf>);

/// struct io_uring_buf_ring: a provided-buffer ring (5.19). The ring is an array of
/// io_uring_buf (entries a power of two, at most 32768, page-aligned); this 16-byte
/// header overlays bufs()[0], and the application-owned tail is bufs()[0].resv.
struct io_uring_buf_ring {
    std::uint64_t resv1;
    std::uint32_t resv2;
    std::uint16_t resv3;
    std::uint16_t tail;

    /// The ring's entries; entry 0 shares its memory with this header.
    io_uring_buf* bufs() noexcept { return reinterpret_cast<io_uring_buf*>(this); }
    const io_uring_buf* bufs() const noexcept { return reinterpret_cast<const io_uring_buf*>(this); }
};
static_assert(sizeof(io_uring_buf_ring) == 16);
static_assert(offsetof(io_uring_buf_ring, resv2) == 8);
static_assert(offsetof(io_uring_buf_ring, resv3) == 12);
static_assert(offsetof(io_uring_buf_ring, tail) == 14);
static_assert(offsetof(io_uring_buf_ring, tail) == offsetof(io_uring_buf, resv));
static_assert(detail::is_abi_struct<io_uring_buf_ring>);

/// io_uring_buf_reg.flags (enum io_uring_register_pbuf_ring_flags).
inline constexpr std::uint16_t IOU_PBUF_RING_MMAP = 1; // 6.4~, kernel allocates; mmap IORING_OFF_PBUF_RING
inline constexpr std::uint16_t IOU_PBUF_RING_INC = 2;  // 6.12~, incremental consumption

/// struct io_uring_buf_reg: argument of IORING_(UN)REGISTER_PBUF_RING (5.19;
/// min_left newest).
struct io_uring_buf_reg {
    std::uint64_t ring_addr;
    std::uint32_t ring_entries;
    std::uint16_t bgid;
    std::uint16_t flags; ///< IOU_PBUF_RING_*
    std::uint32_t min_left; ///< IOU_PBUF_RING_INC: retire a buffer with fewer bytes left
    std::uint32_t resv[5];
};
static_assert(sizeof(io_uring_buf_reg) == 40);
static_assert(offsetof(io_uring_buf_reg, ring_entries) == 8);
static_assert(offsetof(io_uring_buf_reg, bgid) == 12);
static_assert(offsetof(io_uring_buf_reg, flags) == 14);
static_assert(offsetof(io_uring_buf_reg, min_left) == 16);
static_assert(offsetof(io_uring_buf_reg, resv) == 20);
static_assert(detail::is_abi_struct<io_uring_buf_reg>);

/// struct io_uring_buf_status: argument of IORING_REGISTER_PBUF_STATUS (6.8).
struct io_uring_buf_status {
    std::uint32_t buf_group; ///< input
    std::uint32_t head;      ///< output
    std::uint32_t resv[8];
};
static_assert(sizeof(io_uring_buf_status) == 40);
static_assert(offsetof(io_uring_buf_status, head) == 4);
static_assert(offsetof(io_uring_buf_status, resv) == 8);
static_assert(detail::is_abi_struct<io_uring_buf_status>);

// ---------------------------------------------------------------------------------
// NAPI busy polling
// ---------------------------------------------------------------------------------

/// io_uring_napi.opcode (enum io_uring_napi_op, 6.13~).
inline constexpr std::uint8_t IO_URING_NAPI_REGISTER_OP = 0;
inline constexpr std::uint8_t IO_URING_NAPI_STATIC_ADD_ID = 1;
inline constexpr std::uint8_t IO_URING_NAPI_STATIC_DEL_ID = 2;

/// io_uring_napi.op_param for IO_URING_NAPI_REGISTER_OP
/// (enum io_uring_napi_tracking_strategy, 6.13~).
inline constexpr std::uint32_t IO_URING_NAPI_TRACKING_DYNAMIC = 0;
inline constexpr std::uint32_t IO_URING_NAPI_TRACKING_STATIC = 1;
inline constexpr std::uint32_t IO_URING_NAPI_TRACKING_INACTIVE = 255;

/// struct io_uring_napi: argument of IORING_(UN)REGISTER_NAPI (6.9; opcode and
/// op_param 6.13~, zero before).
struct io_uring_napi {
    std::uint32_t busy_poll_to; ///< microseconds
    std::uint8_t prefer_busy_poll;
    std::uint8_t opcode; ///< IO_URING_NAPI_*_OP / *_ID
    std::uint8_t pad[2];
    std::uint32_t op_param; ///< tracking strategy, or a napi id
    std::uint32_t resv;
};
static_assert(sizeof(io_uring_napi) == 16);
static_assert(offsetof(io_uring_napi, prefer_busy_poll) == 4);
static_assert(offsetof(io_uring_napi, opcode) == 5);
static_assert(offsetof(io_uring_napi, op_param) == 8);
static_assert(offsetof(io_uring_napi, resv) == 12);
static_assert(detail::is_abi_struct<io_uring_napi>);

// ---------------------------------------------------------------------------------
// Other register arguments and op payloads
// ---------------------------------------------------------------------------------

/// struct io_uring_sync_cancel_reg: argument of IORING_REGISTER_SYNC_CANCEL (6.0).
struct io_uring_sync_cancel_reg {
    std::uint64_t addr; ///< user_data to match
    std::int32_t fd;
    std::uint32_t flags; ///< IORING_ASYNC_CANCEL_*
    kernel_timespec timeout; ///< {-1, -1} waits forever
    std::uint8_t opcode;
    std::uint8_t pad[7];
    std::uint64_t pad2[3];
};
static_assert(sizeof(io_uring_sync_cancel_reg) == 64);
static_assert(offsetof(io_uring_sync_cancel_reg, fd) == 8);
static_assert(offsetof(io_uring_sync_cancel_reg, flags) == 12);
static_assert(offsetof(io_uring_sync_cancel_reg, timeout) == 16);
static_assert(offsetof(io_uring_sync_cancel_reg, opcode) == 32);
static_assert(offsetof(io_uring_sync_cancel_reg, pad2) == 40);
static_assert(detail::is_abi_struct<io_uring_sync_cancel_reg>);

/// struct io_uring_file_index_range: argument of IORING_REGISTER_FILE_ALLOC_RANGE
/// (6.0); the range is [off, off + len).
struct io_uring_file_index_range {
    std::uint32_t off;
    std::uint32_t len;
    std::uint64_t resv;
};
static_assert(sizeof(io_uring_file_index_range) == 16);
static_assert(offsetof(io_uring_file_index_range, len) == 4);
static_assert(offsetof(io_uring_file_index_range, resv) == 8);
static_assert(detail::is_abi_struct<io_uring_file_index_range>);

/// struct io_uring_recvmsg_out: header the kernel writes at the start of each buffer
/// of a multishot RECVMSG (6.0); name, control and payload follow.
struct io_uring_recvmsg_out {
    std::uint32_t namelen;
    std::uint32_t controllen;
    std::uint32_t payloadlen;
    std::uint32_t flags;
};
static_assert(sizeof(io_uring_recvmsg_out) == 16);
static_assert(offsetof(io_uring_recvmsg_out, controllen) == 4);
static_assert(offsetof(io_uring_recvmsg_out, payloadlen) == 8);
static_assert(offsetof(io_uring_recvmsg_out, flags) == 12);
static_assert(detail::is_abi_struct<io_uring_recvmsg_out>);

/// sqe.cmd_op values for IORING_OP_URING_CMD on a socket (enum io_uring_socket_op).
inline constexpr std::uint32_t SOCKET_URING_OP_SIOCINQ = 0;      // 6.7
inline constexpr std::uint32_t SOCKET_URING_OP_SIOCOUTQ = 1;     // 6.7
inline constexpr std::uint32_t SOCKET_URING_OP_GETSOCKOPT = 2;   // 6.7
inline constexpr std::uint32_t SOCKET_URING_OP_SETSOCKOPT = 3;   // 6.7
inline constexpr std::uint32_t SOCKET_URING_OP_TX_TIMESTAMP = 4; // 6.16~
inline constexpr std::uint32_t SOCKET_URING_OP_GETSOCKNAME = 5;  // 6.19~

/// sqe.cmd_op values for IORING_OP_URING_CMD on a block device (linux/blkdev.h).
/// DISCARD: sqe.addr = byte offset, sqe.addr3 = length (6.12).
inline constexpr std::uint32_t BLOCK_URING_CMD_DISCARD = detail::ioc_none(0x12, 0);
/// ZONE_RESET_ALL (newest; value as liburing's compat header defines it).
inline constexpr std::uint32_t BLOCK_URING_CMD_ZONE_RESET_ALL = detail::ioc_none(0x12, 1);

// ---------------------------------------------------------------------------------
// Zero-copy receive (zcrx; linux/io_uring/zcrx.h in the newest kernels)
// ---------------------------------------------------------------------------------

/// struct io_uring_zcrx_rqe: refill-queue entry returning a buffer to the kernel (6.15).
struct io_uring_zcrx_rqe {
    std::uint64_t off;
    std::uint32_t len;
    std::uint32_t pad;
};
static_assert(sizeof(io_uring_zcrx_rqe) == 16);
static_assert(offsetof(io_uring_zcrx_rqe, len) == 8);
static_assert(detail::is_abi_struct<io_uring_zcrx_rqe>);

/// struct io_uring_zcrx_cqe: the big_cqe payload of a RECV_ZC completion (6.15).
struct io_uring_zcrx_cqe {
    std::uint64_t off;
    std::uint64_t pad;
};
static_assert(sizeof(io_uring_zcrx_cqe) == 16);
static_assert(detail::is_abi_struct<io_uring_zcrx_cqe>);

/// The area id is encoded in the bits of a zcrx offset from this bit up.
inline constexpr std::uint32_t IORING_ZCRX_AREA_SHIFT = 48;
inline constexpr std::uint64_t IORING_ZCRX_AREA_MASK =
    ~((std::uint64_t{1} << IORING_ZCRX_AREA_SHIFT) - 1);

/// struct io_uring_zcrx_offsets: refill-ring field offsets (6.15).
struct io_uring_zcrx_offsets {
    std::uint32_t head;
    std::uint32_t tail;
    std::uint32_t rqes;
    std::uint32_t resv2;
    std::uint64_t resv[2];
};
static_assert(sizeof(io_uring_zcrx_offsets) == 32);
static_assert(offsetof(io_uring_zcrx_offsets, rqes) == 8);
static_assert(offsetof(io_uring_zcrx_offsets, resv) == 16);
static_assert(detail::is_abi_struct<io_uring_zcrx_offsets>);

/// io_uring_zcrx_area_reg.flags (enum io_uring_zcrx_area_flags).
inline constexpr std::uint32_t IORING_ZCRX_AREA_DMABUF = 1;

/// struct io_uring_zcrx_area_reg: the memory area of a zcrx interface queue (6.15).
struct io_uring_zcrx_area_reg {
    std::uint64_t addr;
    std::uint64_t len;
    std::uint64_t rq_area_token;
    std::uint32_t flags; ///< IORING_ZCRX_AREA_*
    std::uint32_t dmabuf_fd;
    std::uint64_t resv2[2];
};
static_assert(sizeof(io_uring_zcrx_area_reg) == 48);
static_assert(offsetof(io_uring_zcrx_area_reg, rq_area_token) == 16);
static_assert(offsetof(io_uring_zcrx_area_reg, flags) == 24);
static_assert(offsetof(io_uring_zcrx_area_reg, dmabuf_fd) == 28);
static_assert(offsetof(io_uring_zcrx_area_reg, resv2) == 32);
static_assert(detail::is_abi_struct<io_uring_zcrx_area_reg>);

/// io_uring_zcrx_ifq_reg.flags (enum zcrx_reg_flags).
inline constexpr std::uint32_t ZCRX_REG_IMPORT = 1;
inline constexpr std::uint32_t ZCRX_REG_NODEV = 2; ///< no net device; all data is copied

/// io_uring_query_zcrx.features bits (enum zcrx_features).
inline constexpr std::uint32_t ZCRX_FEATURE_RX_PAGE_SIZE = 1u << 0; ///< ifq_reg.rx_buf_len honoured
inline constexpr std::uint32_t ZCRX_FEATURE_EVENT = 1u << 1;        ///< ifq_reg.event_desc honoured

/// zcrx event types (enum zcrx_event_type).
inline constexpr std::uint32_t ZCRX_EVENT_ALLOC_FAIL = 0;
inline constexpr std::uint32_t ZCRX_EVENT_COPY = 1;

/// zcrx_event_desc.flags (enum zcrx_event_desc_flags).
inline constexpr std::uint32_t ZCRX_EVENT_DESC_FLAG_STATS = 1u << 0;

/// struct zcrx_stats: copy-fallback counters the kernel keeps in the refill region.
struct zcrx_stats {
    std::uint64_t copy_count;
    std::uint64_t copy_bytes;
};
static_assert(sizeof(zcrx_stats) == 16);
static_assert(detail::is_abi_struct<zcrx_stats>);

/// struct zcrx_event_desc: event notification setup, pointed to by
/// io_uring_zcrx_ifq_reg.event_desc (newest kernels).
struct zcrx_event_desc {
    std::uint64_t user_data;
    std::uint32_t type_mask;
    std::uint32_t flags; ///< ZCRX_EVENT_DESC_FLAG_*
    std::uint64_t stats_offset;
    std::uint64_t resv2[9];
};
static_assert(sizeof(zcrx_event_desc) == 96);
static_assert(offsetof(zcrx_event_desc, type_mask) == 8);
static_assert(offsetof(zcrx_event_desc, flags) == 12);
static_assert(offsetof(zcrx_event_desc, stats_offset) == 16);
static_assert(offsetof(zcrx_event_desc, resv2) == 24);
static_assert(detail::is_abi_struct<zcrx_event_desc>);

/// struct io_uring_zcrx_ifq_reg: argument of IORING_REGISTER_ZCRX_IFQ (6.15;
/// rx_buf_len and event_desc in newer kernels, reserved before).
struct io_uring_zcrx_ifq_reg {
    std::uint32_t if_idx;
    std::uint32_t if_rxq;
    std::uint32_t rq_entries;
    std::uint32_t flags;       ///< ZCRX_REG_*
    std::uint64_t area_ptr;    ///< pointer to io_uring_zcrx_area_reg
    std::uint64_t region_ptr;  ///< pointer to io_uring_region_desc
    io_uring_zcrx_offsets offsets;
    std::uint32_t zcrx_id;
    std::uint32_t rx_buf_len;
    std::uint64_t event_desc;  ///< pointer to zcrx_event_desc
    std::uint64_t resv[2];
};
static_assert(sizeof(io_uring_zcrx_ifq_reg) == 96);
static_assert(offsetof(io_uring_zcrx_ifq_reg, rq_entries) == 8);
static_assert(offsetof(io_uring_zcrx_ifq_reg, flags) == 12);
static_assert(offsetof(io_uring_zcrx_ifq_reg, area_ptr) == 16);
static_assert(offsetof(io_uring_zcrx_ifq_reg, region_ptr) == 24);
static_assert(offsetof(io_uring_zcrx_ifq_reg, offsets) == 32);
static_assert(offsetof(io_uring_zcrx_ifq_reg, zcrx_id) == 64);
static_assert(offsetof(io_uring_zcrx_ifq_reg, rx_buf_len) == 68);
static_assert(offsetof(io_uring_zcrx_ifq_reg, event_desc) == 72);
static_assert(offsetof(io_uring_zcrx_ifq_reg, resv) == 80);
static_assert(detail::is_abi_struct<io_uring_zcrx_ifq_reg>);

/// zcrx_ctrl.op (enum zcrx_ctrl_op) for IORING_REGISTER_ZCRX_CTRL.
inline constexpr std::uint32_t ZCRX_CTRL_FLUSH_RQ = 0;
inline constexpr std::uint32_t ZCRX_CTRL_EXPORT = 1;
inline constexpr std::uint32_t ZCRX_CTRL_ARM_EVENT = 2; ///< newest kernels

/// ZCRX_CTRL_FLUSH_RQ payload.
struct zcrx_ctrl_flush_rq {
    std::uint64_t resv[6];
};
static_assert(sizeof(zcrx_ctrl_flush_rq) == 48);

/// ZCRX_CTRL_EXPORT payload.
struct zcrx_ctrl_export {
    std::uint32_t zcrx_fd;
    std::uint32_t resv1[11];
};
static_assert(sizeof(zcrx_ctrl_export) == 48);

/// ZCRX_CTRL_ARM_EVENT payload.
struct zcrx_ctrl_arm_event {
    std::uint32_t event_type; ///< ZCRX_EVENT_*
    std::uint32_t resv[11];
};
static_assert(sizeof(zcrx_ctrl_arm_event) == 48);

/// struct zcrx_ctrl: argument of IORING_REGISTER_ZCRX_CTRL (6.19~).
struct zcrx_ctrl {
    std::uint32_t zcrx_id;
    std::uint32_t op; ///< ZCRX_CTRL_*
    std::uint64_t resv[2];
    union {
        zcrx_ctrl_export zc_export;
        zcrx_ctrl_flush_rq zc_flush;
        zcrx_ctrl_arm_event zc_arm_event;
    };
};
static_assert(sizeof(zcrx_ctrl) == 72);
static_assert(offsetof(zcrx_ctrl, op) == 4);
static_assert(offsetof(zcrx_ctrl, resv) == 8);
static_assert(offsetof(zcrx_ctrl, zc_export) == 24);
static_assert(offsetof(zcrx_ctrl, zc_flush) == 24);
static_assert(detail::is_abi_struct<zcrx_ctrl>);

// ---------------------------------------------------------------------------------
// IORING_REGISTER_QUERY (linux/io_uring/query.h)
// ---------------------------------------------------------------------------------

/// io_uring_query_hdr.query_op values.
inline constexpr std::uint32_t IO_URING_QUERY_OPCODES = 0;
inline constexpr std::uint32_t IO_URING_QUERY_ZCRX = 1;
inline constexpr std::uint32_t IO_URING_QUERY_SCQ = 2;
inline constexpr std::uint32_t IO_URING_QUERY_ZCRX_NOTIF = 3; ///< newest kernels

/// struct io_uring_query_hdr: one link of the chain passed to IORING_REGISTER_QUERY
/// (6.18~). query_data points to the op's struct, size is its size; the kernel stores
/// 0 or -errno in result and may fill fewer bytes than size.
struct io_uring_query_hdr {
    std::uint64_t next_entry; ///< pointer to the next header, or 0
    std::uint64_t query_data;
    std::uint32_t query_op;   ///< IO_URING_QUERY_*
    std::uint32_t size;
    std::int32_t result;
    std::uint32_t resv[3];
};
static_assert(sizeof(io_uring_query_hdr) == 40);
static_assert(offsetof(io_uring_query_hdr, query_data) == 8);
static_assert(offsetof(io_uring_query_hdr, query_op) == 16);
static_assert(offsetof(io_uring_query_hdr, size) == 20);
static_assert(offsetof(io_uring_query_hdr, result) == 24);
static_assert(offsetof(io_uring_query_hdr, resv) == 28);
static_assert(detail::is_abi_struct<io_uring_query_hdr>);

/// IO_URING_QUERY_OPCODES result: what this kernel supports (needs no ring).
struct io_uring_query_opcode {
    std::uint32_t nr_request_opcodes;  ///< IORING_OP_* count
    std::uint32_t nr_register_opcodes; ///< IORING_REGISTER_* count
    std::uint64_t feature_flags;       ///< IORING_FEAT_* mask
    std::uint64_t ring_setup_flags;    ///< IORING_SETUP_* mask
    std::uint64_t enter_flags;         ///< IORING_ENTER_* mask
    std::uint64_t sqe_flags;           ///< IOSQE_* mask
    std::uint32_t nr_query_opcodes;
    std::uint32_t pad;
};
static_assert(sizeof(io_uring_query_opcode) == 48);
static_assert(offsetof(io_uring_query_opcode, feature_flags) == 8);
static_assert(offsetof(io_uring_query_opcode, ring_setup_flags) == 16);
static_assert(offsetof(io_uring_query_opcode, enter_flags) == 24);
static_assert(offsetof(io_uring_query_opcode, sqe_flags) == 32);
static_assert(offsetof(io_uring_query_opcode, nr_query_opcodes) == 40);
static_assert(detail::is_abi_struct<io_uring_query_opcode>);

/// IO_URING_QUERY_ZCRX result.
struct io_uring_query_zcrx {
    std::uint64_t register_flags; ///< ZCRX_REG_* mask
    std::uint64_t area_flags;     ///< IORING_ZCRX_AREA_* mask
    std::uint32_t nr_ctrl_opcodes;
    std::uint32_t features;       ///< ZCRX_FEATURE_* mask
    std::uint32_t rq_hdr_size;
    std::uint32_t rq_hdr_alignment;
    std::uint64_t resv2;
};
static_assert(sizeof(io_uring_query_zcrx) == 40);
static_assert(offsetof(io_uring_query_zcrx, nr_ctrl_opcodes) == 16);
static_assert(offsetof(io_uring_query_zcrx, features) == 20);
static_assert(offsetof(io_uring_query_zcrx, rq_hdr_size) == 24);
static_assert(offsetof(io_uring_query_zcrx, rq_hdr_alignment) == 28);
static_assert(offsetof(io_uring_query_zcrx, resv2) == 32);
static_assert(detail::is_abi_struct<io_uring_query_zcrx>);

/// IO_URING_QUERY_SCQ result: SQ/CQ ring header size and alignment (for NO_MMAP).
struct io_uring_query_scq {
    std::uint64_t hdr_size;
    std::uint64_t hdr_alignment;
};
static_assert(sizeof(io_uring_query_scq) == 16);
static_assert(detail::is_abi_struct<io_uring_query_scq>);

/// IO_URING_QUERY_ZCRX_NOTIF result (newest kernels).
struct io_uring_query_zcrx_notif {
    std::uint32_t notif_flags;
    std::uint32_t notif_stats_size;
    std::uint32_t notif_stats_off_alignment;
    std::uint32_t resv1;
    std::uint64_t resv2[4];
};
static_assert(sizeof(io_uring_query_zcrx_notif) == 48);
static_assert(offsetof(io_uring_query_zcrx_notif, resv2) == 16);
static_assert(detail::is_abi_struct<io_uring_query_zcrx_notif>);

// ---------------------------------------------------------------------------------
// IORING_REGISTER_BPF_FILTER (linux/io_uring/bpf_filter.h)
// ---------------------------------------------------------------------------------

/// io_uring_bpf_ctx payload for IORING_OP_SOCKET.
struct io_uring_bpf_ctx_socket {
    std::uint32_t family;
    std::uint32_t type;
    std::uint32_t protocol;
};
static_assert(sizeof(io_uring_bpf_ctx_socket) == 12);

/// io_uring_bpf_ctx payload for IORING_OP_OPENAT / OPENAT2 (the open_how fields).
struct io_uring_bpf_ctx_open {
    std::uint64_t flags;
    std::uint64_t mode;
    std::uint64_t resolve;
};
static_assert(sizeof(io_uring_bpf_ctx_open) == 24);

/// struct io_uring_bpf_ctx: what a classic-BPF filter sees for each request (7.0~).
/// Filters load from it with BPF_ABS at these offsets.
struct io_uring_bpf_ctx {
    std::uint64_t user_data;
    std::uint8_t opcode;
    std::uint8_t sqe_flags;
    std::uint8_t pdu_size; ///< bytes of the opcode payload below
    std::uint8_t pad[5];
    union {
        io_uring_bpf_ctx_socket socket;
        io_uring_bpf_ctx_open open;
    };
};
static_assert(sizeof(io_uring_bpf_ctx) == 40);
static_assert(offsetof(io_uring_bpf_ctx, opcode) == 8);
static_assert(offsetof(io_uring_bpf_ctx, sqe_flags) == 9);
static_assert(offsetof(io_uring_bpf_ctx, pdu_size) == 10);
static_assert(offsetof(io_uring_bpf_ctx, socket) == 16);
static_assert(offsetof(io_uring_bpf_ctx, open) == 16);
static_assert(detail::is_abi_struct<io_uring_bpf_ctx>);

/// io_uring_bpf_filter.flags.
inline constexpr std::uint32_t IO_URING_BPF_FILTER_DENY_REST = 1; ///< deny every opcode left unfiltered
inline constexpr std::uint32_t IO_URING_BPF_FILTER_SZ_STRICT = 2; ///< fail on a pdu_size mismatch

/// struct io_uring_bpf_filter: one classic-BPF filter for one opcode (7.0~).
struct io_uring_bpf_filter {
    std::uint32_t opcode; ///< IORING_OP_* to filter
    std::uint32_t flags;  ///< IO_URING_BPF_FILTER_*
    std::uint32_t filter_len; ///< number of sock_filter instructions
    std::uint8_t pdu_size; ///< expected payload size; the kernel writes back its own
    std::uint8_t resv[3];
    std::uint64_t filter_ptr; ///< pointer to struct sock_filter[filter_len]
    std::uint64_t resv2[5];
};
static_assert(sizeof(io_uring_bpf_filter) == 64);
static_assert(offsetof(io_uring_bpf_filter, flags) == 4);
static_assert(offsetof(io_uring_bpf_filter, filter_len) == 8);
static_assert(offsetof(io_uring_bpf_filter, pdu_size) == 12);
static_assert(offsetof(io_uring_bpf_filter, filter_ptr) == 16);
static_assert(offsetof(io_uring_bpf_filter, resv2) == 24);
static_assert(detail::is_abi_struct<io_uring_bpf_filter>);

/// io_uring_bpf.cmd_type.
inline constexpr std::uint16_t IO_URING_BPF_CMD_FILTER = 1;

/// struct io_uring_bpf: argument of IORING_REGISTER_BPF_FILTER (7.0~), on a ring or,
/// with fd = -1, on the calling task.
struct io_uring_bpf {
    std::uint16_t cmd_type;  ///< IO_URING_BPF_CMD_*
    std::uint16_t cmd_flags; ///< none defined yet
    std::uint32_t resv;
    io_uring_bpf_filter filter; ///< the uapi wraps this in a one-member union
};
static_assert(sizeof(io_uring_bpf) == 72);
static_assert(offsetof(io_uring_bpf, cmd_flags) == 2);
static_assert(offsetof(io_uring_bpf, resv) == 4);
static_assert(offsetof(io_uring_bpf, filter) == 8);
static_assert(detail::is_abi_struct<io_uring_bpf>);

} // namespace rawring::abi
