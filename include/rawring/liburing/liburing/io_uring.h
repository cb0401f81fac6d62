/* SPDX-License-Identifier: MIT */
/*
 * rawring's liburing face: the io_uring kernel uapi under the name liburing 2.15 ships it
 * (liburing/io_uring.h), C99 and later, C++11 and later. The structs, macros and enums keep
 * the uapi spelling and values; the query.h, zcrx.h and bpf_filter.h parts of the uapi live
 * here too. rawring/abi.hpp is the twin of every item, and tests/liburing_abi* check the two
 * against each other.
 */
#ifndef LINUX_IO_URING_H
#define LINUX_IO_URING_H

/* The uapi's own guard name: whichever of this file and <linux/io_uring.h> comes first wins. */

#include <linux/fs.h> /* liburing's copy includes it; programs get RWF_* and FS_* from here */
#include <linux/types.h>
#ifndef UAPI_LINUX_IO_URING_H_SKIP_LINUX_TIME_TYPES_H
#include <linux/time_types.h> /* struct __kernel_timespec */
#endif

/*
 * rawring's C++ code reaches the rings through its own layout-identical types, so in C++ the
 * SQE, CQE and provided-buffer structs may alias anything.
 */
#if defined(__cplusplus) && defined(__GNUC__)
#define RAWRING_LIBURING_MAY_ALIAS __attribute__((__may_alias__))
#else
#define RAWRING_LIBURING_MAY_ALIAS
#endif

/*
 * Trailing arrays: C has flexible array members; C++ has only the zero-length extension,
 * which both g++ and clang++ accept quietly behind __extension__.
 */
#ifdef __cplusplus
#define RAWRING_LIBURING_FLEX 0
#else
#define RAWRING_LIBURING_FLEX
#endif

/*
 * The few spots that -pedantic objects to whatever the spelling (a 1U << 31 enumerator in C,
 * a zero-length array in a union in C++): -Wpedantic is off around those only.
 */
#if defined(__GNUC__)
#define RAWRING_LIBURING_PEDANTIC_OFF \
	_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wpedantic\"")
#define RAWRING_LIBURING_PEDANTIC_ON _Pragma("GCC diagnostic pop")
#else
#define RAWRING_LIBURING_PEDANTIC_OFF
#define RAWRING_LIBURING_PEDANTIC_ON
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Submission queue entry (64 bytes; 128 on SQE128 rings) ---- */

/* -Wpedantic: g++ objects to the zero-length cmd[] in a union whatever the spelling */
RAWRING_LIBURING_PEDANTIC_OFF
struct RAWRING_LIBURING_MAY_ALIAS io_uring_sqe {
	__u8 opcode;  /* IORING_OP_* */
	__u8 flags;   /* IOSQE_* */
	__u16 ioprio; /* priority, or send/recv/accept flags */
	__s32 fd;
	__extension__ union {
		__u64 off;
		__u64 addr2;
		__extension__ struct {
			__u32 cmd_op; /* URING_CMD sub-command */
			__u32 __pad1;
		};
	};
	__extension__ union {
		__u64 addr;
		__u64 splice_off_in;
		__extension__ struct {
			__u32 level; /* socket uring_cmd get/setsockopt */
			__u32 optname;
		};
	};
	__u32 len;
	__extension__ union { /* per-opcode flags */
		__u32 rw_flags;
		__u32 fsync_flags;
		__u16 poll_events; /* old 16-bit mask */
		__u32 poll32_events; /* half-words swapped on big-endian */
		__u32 sync_range_flags;
		__u32 msg_flags;
		__u32 timeout_flags;
		__u32 accept_flags;
		__u32 cancel_flags;
		__u32 open_flags;
		__u32 statx_flags;
		__u32 fadvise_advice;
		__u32 splice_flags;
		__u32 rename_flags;
		__u32 unlink_flags;
		__u32 hardlink_flags;
		__u32 xattr_flags;
		__u32 msg_ring_flags;
		__u32 uring_cmd_flags;
		__u32 waitid_flags;
		__u32 futex_flags;
		__u32 install_fd_flags;
		__u32 nop_flags;
		__u32 pipe_flags;
	};
	__u64 user_data; /* copied to the CQE */
	/* packed: some ABIs would otherwise pad a union of two u16 */
	__extension__ union {
		__u16 buf_index; /* registered buffer */
		__u16 buf_group; /* provided-buffer group */
	} __attribute__((packed));
	__u16 personality;
	__extension__ union {
		__s32 splice_fd_in;
		__u32 file_index; /* direct descriptor slot + 1 */
		__u32 zcrx_ifq_idx;
		__u32 optlen;
		__extension__ struct {
			__u16 addr_len;
			__u16 __pad3[1];
		};
		__extension__ struct {
			__u8 write_stream;
			__u8 __pad4[3];
		};
	};
	__extension__ union {
		__extension__ struct {
			__u64 addr3;
			__u64 __pad2[1];
		};
		__extension__ struct {
			__u64 attr_ptr; /* e.g. struct io_uring_attr_pi */
			__u64 attr_type_mask; /* IORING_RW_ATTR_FLAG_* */
		};
		__u64 optval;
		/* 16 bytes of command here, 80 in a 128-byte SQE */
		__extension__ __u8 cmd[0];
	};
};
RAWRING_LIBURING_PEDANTIC_ON

/* sqe->attr_type_mask */
#define IORING_RW_ATTR_FLAG_PI (1U << 0)

/* Protection information for a read or write */
struct io_uring_attr_pi {
	__u16 flags;
	__u16 app_tag;
	__u32 len;
	__u64 addr;
	__u64 seed;
	__u64 rsvd;
};

/* sqe->file_index: let the kernel choose the direct descriptor (returned in cqe->res) */
#define IORING_FILE_INDEX_ALLOC (~0U)

enum io_uring_sqe_flags_bit {
	IOSQE_FIXED_FILE_BIT,
	IOSQE_IO_DRAIN_BIT,
	IOSQE_IO_LINK_BIT,
	IOSQE_IO_HARDLINK_BIT,
	IOSQE_ASYNC_BIT,
	IOSQE_BUFFER_SELECT_BIT,
	IOSQE_CQE_SKIP_SUCCESS_BIT,
};

/* sqe->flags */
#define IOSQE_FIXED_FILE (1U << IOSQE_FIXED_FILE_BIT)
#define IOSQE_IO_DRAIN (1U << IOSQE_IO_DRAIN_BIT)
#define IOSQE_IO_LINK (1U << IOSQE_IO_LINK_BIT)
#define IOSQE_IO_HARDLINK (1U << IOSQE_IO_HARDLINK_BIT)
#define IOSQE_ASYNC (1U << IOSQE_ASYNC_BIT)
#define IOSQE_BUFFER_SELECT (1U << IOSQE_BUFFER_SELECT_BIT)
#define IOSQE_CQE_SKIP_SUCCESS (1U << IOSQE_CQE_SKIP_SUCCESS_BIT)

/* ---- io_uring_setup(2): io_uring_params.flags ---- */

#define IORING_SETUP_IOPOLL (1U << 0)
#define IORING_SETUP_SQPOLL (1U << 1)
#define IORING_SETUP_SQ_AFF (1U << 2) /* sq_thread_cpu is set */
#define IORING_SETUP_CQSIZE (1U << 3) /* cq_entries is set */
#define IORING_SETUP_CLAMP (1U << 4)
#define IORING_SETUP_ATTACH_WQ (1U << 5) /* wq_fd is set */
#define IORING_SETUP_R_DISABLED (1U << 6)
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)
#define IORING_SETUP_SQE128 (1U << 10)
#define IORING_SETUP_CQE32 (1U << 11)
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#define IORING_SETUP_DEFER_TASKRUN (1U << 13) /* with SINGLE_ISSUER */
#define IORING_SETUP_NO_MMAP (1U << 14)
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15) /* with NO_MMAP */
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#define IORING_SETUP_HYBRID_IOPOLL (1U << 17) /* with IOPOLL */
#define IORING_SETUP_CQE_MIXED (1U << 18) /* 16- and 32-byte CQEs */
#define IORING_SETUP_SQE_MIXED (1U << 19) /* 64- and 128-byte SQEs */
#define IORING_SETUP_SQ_REWIND (1U << 20) /* with NO_SQARRAY, not SQPOLL */

/* ---- Opcodes (sqe->opcode) ---- */

enum io_uring_op {
	IORING_OP_NOP,
	IORING_OP_READV,
	IORING_OP_WRITEV,
	IORING_OP_FSYNC,
	IORING_OP_READ_FIXED,
	IORING_OP_WRITE_FIXED,
	IORING_OP_POLL_ADD,
	IORING_OP_POLL_REMOVE,
	IORING_OP_SYNC_FILE_RANGE,
	IORING_OP_SENDMSG,
	IORING_OP_RECVMSG,
	IORING_OP_TIMEOUT,
	IORING_OP_TIMEOUT_REMOVE,
	IORING_OP_ACCEPT,
	IORING_OP_ASYNC_CANCEL,
	IORING_OP_LINK_TIMEOUT,
	IORING_OP_CONNECT,
	IORING_OP_FALLOCATE,
	IORING_OP_OPENAT,
	IORING_OP_CLOSE,
	IORING_OP_FILES_UPDATE,
	IORING_OP_STATX,
	IORING_OP_READ,
	IORING_OP_WRITE,
	IORING_OP_FADVISE,
	IORING_OP_MADVISE,
	IORING_OP_SEND,
	IORING_OP_RECV,
	IORING_OP_OPENAT2,
	IORING_OP_EPOLL_CTL,
	IORING_OP_SPLICE,
	IORING_OP_PROVIDE_BUFFERS,
	IORING_OP_REMOVE_BUFFERS,
	IORING_OP_TEE,
	IORING_OP_SHUTDOWN,
	IORING_OP_RENAMEAT,
	IORING_OP_UNLINKAT,
	IORING_OP_MKDIRAT,
	IORING_OP_SYMLINKAT,
	IORING_OP_LINKAT,
	IORING_OP_MSG_RING,
	IORING_OP_FSETXATTR,
	IORING_OP_SETXATTR,
	IORING_OP_FGETXATTR,
	IORING_OP_GETXATTR,
	IORING_OP_SOCKET,
	IORING_OP_URING_CMD,
	IORING_OP_SEND_ZC,
	IORING_OP_SENDMSG_ZC,
	IORING_OP_READ_MULTISHOT,
	IORING_OP_WAITID,
	IORING_OP_FUTEX_WAIT,
	IORING_OP_FUTEX_WAKE,
	IORING_OP_FUTEX_WAITV,
	IORING_OP_FIXED_FD_INSTALL,
	IORING_OP_FTRUNCATE,
	IORING_OP_BIND,
	IORING_OP_LISTEN,
	IORING_OP_RECV_ZC,
	IORING_OP_EPOLL_WAIT,
	IORING_OP_READV_FIXED,
	IORING_OP_WRITEV_FIXED,
	IORING_OP_PIPE,
	IORING_OP_NOP128,
	IORING_OP_URING_CMD128,

	IORING_OP_LAST, /* a count, not an opcode */
};

/* ---- Per-opcode flags ---- */

/* sqe->uring_cmd_flags (the top 8 bits belong to the kernel) */
#define IORING_URING_CMD_FIXED (1U << 0) /* use sqe->buf_index */
#define IORING_URING_CMD_MULTISHOT (1U << 1) /* with buffer select */
#define IORING_URING_CMD_MASK (IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT)

/* sqe->fsync_flags */
#define IORING_FSYNC_DATASYNC (1U << 0)

/* sqe->timeout_flags */
#define IORING_TIMEOUT_ABS (1U << 0)
#define IORING_TIMEOUT_UPDATE (1U << 1)
#define IORING_TIMEOUT_BOOTTIME (1U << 2)
#define IORING_TIMEOUT_REALTIME (1U << 3)
#define IORING_LINK_TIMEOUT_UPDATE (1U << 4)
#define IORING_TIMEOUT_ETIME_SUCCESS (1U << 5)
#define IORING_TIMEOUT_MULTISHOT (1U << 6)
#define IORING_TIMEOUT_IMMEDIATE_ARG (1U << 7) /* sqe->addr holds nanoseconds */
#define IORING_TIMEOUT_CLOCK_MASK (IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME)
#define IORING_TIMEOUT_UPDATE_MASK (IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE)

/* sqe->splice_flags, on top of splice(2)'s: splice_fd_in is a fixed file */
#define SPLICE_F_FD_IN_FIXED (1U << 31)

/* POLL_ADD / POLL_REMOVE command flags, in sqe->len */
#define IORING_POLL_ADD_MULTI (1U << 0)
#define IORING_POLL_UPDATE_EVENTS (1U << 1)
#define IORING_POLL_UPDATE_USER_DATA (1U << 2)
#define IORING_POLL_ADD_LEVEL (1U << 3)

/* sqe->cancel_flags and io_uring_sync_cancel_reg.flags */
#define IORING_ASYNC_CANCEL_ALL (1U << 0)
#define IORING_ASYNC_CANCEL_FD (1U << 1)
#define IORING_ASYNC_CANCEL_ANY (1U << 2)
#define IORING_ASYNC_CANCEL_FD_FIXED (1U << 3)
#define IORING_ASYNC_CANCEL_USERDATA (1U << 4)
#define IORING_ASYNC_CANCEL_OP (1U << 5)

/* send/recv (and msg, zc) flags, in sqe->ioprio */
#define IORING_RECVSEND_POLL_FIRST (1U << 0)
#define IORING_RECV_MULTISHOT (1U << 1)
#define IORING_RECVSEND_FIXED_BUF (1U << 2)
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#define IORING_RECVSEND_BUNDLE (1U << 4)
#define IORING_SEND_VECTORIZED (1U << 5)

/* In cqe->res of a zero-copy notification CQE: the data was (partly) copied */
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)

/* accept flags, in sqe->ioprio */
#define IORING_ACCEPT_MULTISHOT (1U << 0)
#define IORING_ACCEPT_DONTWAIT (1U << 1)
#define IORING_ACCEPT_POLL_FIRST (1U << 2)

/* IORING_OP_MSG_RING commands, in sqe->addr */
enum io_uring_msg_ring_flags {
	IORING_MSG_DATA,
	IORING_MSG_SEND_FD,
};

/* sqe->msg_ring_flags */
#define IORING_MSG_RING_CQE_SKIP (1U << 0)
#define IORING_MSG_RING_FLAGS_PASS (1U << 1) /* sqe->file_index becomes cqe->flags */

/* sqe->install_fd_flags */
#define IORING_FIXED_FD_NO_CLOEXEC (1U << 0)

/* sqe->nop_flags */
#define IORING_NOP_INJECT_RESULT (1U << 0) /* cqe->res = sqe->len */
#define IORING_NOP_FILE (1U << 1)
#define IORING_NOP_FIXED_FILE (1U << 2)
#define IORING_NOP_FIXED_BUFFER (1U << 3)
#define IORING_NOP_TW (1U << 4)
#define IORING_NOP_CQE32 (1U << 5)

/* ---- Completion queue entry (16 bytes; 32 with CQE32 or IORING_CQE_F_32) ---- */

struct RAWRING_LIBURING_MAY_ALIAS io_uring_cqe {
	__u64 user_data; /* sqe->user_data */
	__s32 res;       /* result or -errno */
	__u32 flags;     /* IORING_CQE_F_* */
	/* the second 16 bytes of a big CQE */
	__extension__ __u64 big_cqe[RAWRING_LIBURING_FLEX];
};

/* cqe->flags */
#define IORING_CQE_F_BUFFER (1U << 0) /* buffer id in the top 16 bits */
#define IORING_CQE_F_MORE (1U << 1)
#define IORING_CQE_F_SOCK_NONEMPTY (1U << 2)
#define IORING_CQE_F_NOTIF (1U << 3)
#define IORING_CQE_F_BUF_MORE (1U << 4)
#define IORING_CQE_F_SKIP (1U << 5) /* padding entry: ignore */
#define IORING_CQE_F_32 (1U << 15) /* 32-byte CQE on a CQE_MIXED ring */

#define IORING_CQE_BUFFER_SHIFT 16

/* ---- mmap(2) offsets ---- */

#define IORING_OFF_SQ_RING 0ULL
#define IORING_OFF_CQ_RING 0x8000000ULL
#define IORING_OFF_SQES 0x10000000ULL
#define IORING_OFF_PBUF_RING 0x80000000ULL /* | bgid << IORING_OFF_PBUF_SHIFT */
#define IORING_OFF_PBUF_SHIFT 16
#define IORING_OFF_MMAP_MASK 0xf8000000ULL

/* Byte offsets of the SQ ring's fields, filled in by io_uring_setup(2) */
struct io_sqring_offsets {
	__u32 head;
	__u32 tail;
	__u32 ring_mask;
	__u32 ring_entries;
	__u32 flags;
	__u32 dropped;
	__u32 array;
	__u32 resv1;
	__u64 user_addr; /* IORING_SETUP_NO_MMAP */
};

/* SQ ring flags word */
#define IORING_SQ_NEED_WAKEUP (1U << 0)
#define IORING_SQ_CQ_OVERFLOW (1U << 1)
#define IORING_SQ_TASKRUN (1U << 2)

/* Byte offsets of the CQ ring's fields */
struct io_cqring_offsets {
	__u32 head;
	__u32 tail;
	__u32 ring_mask;
	__u32 ring_entries;
	__u32 overflow;
	__u32 cqes;
	__u32 flags;
	__u32 resv1;
	__u64 user_addr; /* IORING_SETUP_NO_MMAP */
};

/* CQ ring flags word */
#define IORING_CQ_EVENTFD_DISABLED (1U << 0)

/* ---- io_uring_enter(2) ---- */

#define IORING_ENTER_GETEVENTS (1U << 0)
#define IORING_ENTER_SQ_WAKEUP (1U << 1)
#define IORING_ENTER_SQ_WAIT (1U << 2)
#define IORING_ENTER_EXT_ARG (1U << 3)
#define IORING_ENTER_REGISTERED_RING (1U << 4)
#define IORING_ENTER_ABS_TIMER (1U << 5)
#define IORING_ENTER_EXT_ARG_REG (1U << 6)
#define IORING_ENTER_NO_IOWAIT (1U << 7)

/* In/out argument of io_uring_setup(2) */
struct io_uring_params {
	__u32 sq_entries;
	__u32 cq_entries;
	__u32 flags; /* IORING_SETUP_* */
	__u32 sq_thread_cpu;
	__u32 sq_thread_idle; /* ms */
	__u32 features; /* IORING_FEAT_*, out */
	__u32 wq_fd;
	__u32 resv[3];
	struct io_sqring_offsets sq_off;
	struct io_cqring_offsets cq_off;
};

/* io_uring_params.features */
#define IORING_FEAT_SINGLE_MMAP (1U << 0)
#define IORING_FEAT_NODROP (1U << 1)
#define IORING_FEAT_SUBMIT_STABLE (1U << 2)
#define IORING_FEAT_RW_CUR_POS (1U << 3)
#define IORING_FEAT_CUR_PERSONALITY (1U << 4)
#define IORING_FEAT_FAST_POLL (1U << 5)
#define IORING_FEAT_POLL_32BITS (1U << 6)
#define IORING_FEAT_SQPOLL_NONFIXED (1U << 7)
#define IORING_FEAT_EXT_ARG (1U << 8)
#define IORING_FEAT_NATIVE_WORKERS (1U << 9)
#define IORING_FEAT_RSRC_TAGS (1U << 10)
#define IORING_FEAT_CQE_SKIP (1U << 11)
#define IORING_FEAT_LINKED_FILE (1U << 12)
#define IORING_FEAT_REG_REG_RING (1U << 13)
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#define IORING_FEAT_RW_ATTR (1U << 16)
#define IORING_FEAT_NO_IOWAIT (1U << 17)

/* ---- io_uring_register(2) ---- */

RAWRING_LIBURING_PEDANTIC_OFF /* C before C23 wants enumerators to fit an int */
enum io_uring_register_op {
	IORING_REGISTER_BUFFERS = 0,
	IORING_UNREGISTER_BUFFERS = 1,
	IORING_REGISTER_FILES = 2,
	IORING_UNREGISTER_FILES = 3,
	IORING_REGISTER_EVENTFD = 4,
	IORING_UNREGISTER_EVENTFD = 5,
	IORING_REGISTER_FILES_UPDATE = 6,
	IORING_REGISTER_EVENTFD_ASYNC = 7,
	IORING_REGISTER_PROBE = 8,
	IORING_REGISTER_PERSONALITY = 9,
	IORING_UNREGISTER_PERSONALITY = 10,
	IORING_REGISTER_RESTRICTIONS = 11,
	IORING_REGISTER_ENABLE_RINGS = 12,
	IORING_REGISTER_FILES2 = 13,
	IORING_REGISTER_FILES_UPDATE2 = 14,
	IORING_REGISTER_BUFFERS2 = 15,
	IORING_REGISTER_BUFFERS_UPDATE = 16,
	IORING_REGISTER_IOWQ_AFF = 17,
	IORING_UNREGISTER_IOWQ_AFF = 18,
	IORING_REGISTER_IOWQ_MAX_WORKERS = 19,
	IORING_REGISTER_RING_FDS = 20,
	IORING_UNREGISTER_RING_FDS = 21,
	IORING_REGISTER_PBUF_RING = 22,
	IORING_UNREGISTER_PBUF_RING = 23,
	IORING_REGISTER_SYNC_CANCEL = 24,
	IORING_REGISTER_FILE_ALLOC_RANGE = 25,
	IORING_REGISTER_PBUF_STATUS = 26,
	IORING_REGISTER_NAPI = 27,
	IORING_UNREGISTER_NAPI = 28,
	IORING_REGISTER_CLOCK = 29,
	IORING_REGISTER_CLONE_BUFFERS = 30,
	IORING_REGISTER_SEND_MSG_RING = 31, /* fd = -1 */
	IORING_REGISTER_ZCRX_IFQ = 32,
	IORING_REGISTER_RESIZE_RINGS = 33,
	IORING_REGISTER_MEM_REGION = 34,
	IORING_REGISTER_QUERY = 35, /* fd = -1 allowed */
	IORING_REGISTER_ZCRX_CTRL = 36,
	IORING_REGISTER_BPF_FILTER = 37,

	IORING_REGISTER_LAST, /* a count, not an opcode */

	/* or-ed into the opcode: fd is a registered ring index */
	IORING_REGISTER_USE_REGISTERED_RING = 1U << 31
};
RAWRING_LIBURING_PEDANTIC_ON

/* io-wq worker kinds: indices of the IORING_REGISTER_IOWQ_MAX_WORKERS array */
enum io_wq_type {
	IO_WQ_BOUND,
	IO_WQ_UNBOUND,
};

/* IORING_REGISTER_FILES_UPDATE (old form of io_uring_rsrc_update) */
struct io_uring_files_update {
	__u32 offset;
	__u32 resv;
	__aligned_u64 fds; /* __s32 * */
};

enum {
	IORING_MEM_REGION_TYPE_USER = 1, /* memory at user_addr */
};

/* A memory region (IORING_REGISTER_MEM_REGION, zcrx, ring resizing) */
struct io_uring_region_desc {
	__u64 user_addr;
	__u64 size;
	__u32 flags; /* IORING_MEM_REGION_TYPE_* */
	__u32 id;
	__u64 mmap_offset;
	__u64 __resv[4];
};

enum {
	IORING_MEM_REGION_REG_WAIT_ARG = 1, /* the region holds io_uring_reg_wait entries */
};

/* IORING_REGISTER_MEM_REGION */
struct io_uring_mem_region_reg {
	__u64 region_uptr; /* struct io_uring_region_desc * */
	__u64 flags;
	__u64 __resv[2];
};

/* io_uring_rsrc_register.flags: an empty table of nr slots */
#define IORING_RSRC_REGISTER_SPARSE (1U << 0)

/* IORING_REGISTER_FILES2 / BUFFERS2 */
struct io_uring_rsrc_register {
	__u32 nr;
	__u32 flags;
	__u64 resv2;
	__aligned_u64 data; /* fds or iovecs */
	__aligned_u64 tags;
};

/* IORING_REGISTER_FILES_UPDATE, IORING_REGISTER_RING_FDS */
struct io_uring_rsrc_update {
	__u32 offset;
	__u32 resv;
	__aligned_u64 data;
};

/* IORING_REGISTER_FILES_UPDATE2 / BUFFERS_UPDATE */
struct io_uring_rsrc_update2 {
	__u32 offset;
	__u32 resv;
	__aligned_u64 data;
	__aligned_u64 tags;
	__u32 nr;
	__u32 resv2;
};

/* An fd in a files update that leaves its slot alone */
#define IORING_REGISTER_FILES_SKIP (-2)

#define IO_URING_OP_SUPPORTED (1U << 0)

struct io_uring_probe_op {
	__u8 op;
	__u8 resv;
	__u16 flags; /* IO_URING_OP_* */
	__u32 resv2;
};

/* IORING_REGISTER_PROBE: a 16-byte header, then ops_len entries */
struct io_uring_probe {
	__u8 last_op;
	__u8 ops_len;
	__u16 resv;
	__u32 resv2[3];
	__extension__ struct io_uring_probe_op ops[RAWRING_LIBURING_FLEX];
};

/* IORING_REGISTER_RESTRICTIONS entry */
struct io_uring_restriction {
	__u16 opcode; /* IORING_RESTRICTION_* */
	__extension__ union {
		__u8 register_op;
		__u8 sqe_op;
		__u8 sqe_flags;
	};
	__u8 resv;
	__u32 resv2[3];
};

/* Task-wide restrictions (fd = -1): a header, then nr_res entries */
struct io_uring_task_restriction {
	__u16 flags;
	__u16 nr_res;
	__u32 resv[3];
	__extension__ struct io_uring_restriction restrictions[0];
};

/* IORING_REGISTER_CLOCK */
struct io_uring_clock_register {
	__u32 clockid;
	__u32 __resv[3];
};

enum {
	IORING_REGISTER_SRC_REGISTERED = (1U << 0),
	IORING_REGISTER_DST_REPLACE = (1U << 1),
};

/* IORING_REGISTER_CLONE_BUFFERS */
struct io_uring_clone_buffers {
	__u32 src_fd;
	__u32 flags;
	__u32 src_off;
	__u32 dst_off;
	__u32 nr;
	__u32 pad[3];
};

/* ---- Provided-buffer rings ---- */

struct RAWRING_LIBURING_MAY_ALIAS io_uring_buf {
	__u64 addr;
	__u32 len;
	__u16 bid;
	__u16 resv;
};

/*
 * The ring is an array of io_uring_buf; its tail sits in bufs[0].resv, so the header and
 * the first entry share their 16 bytes. -Wpedantic: a zero-length array in a union (C++),
 * a struct whose only member is unnamed (C99).
 */
RAWRING_LIBURING_PEDANTIC_OFF
struct RAWRING_LIBURING_MAY_ALIAS io_uring_buf_ring {
	union {
		struct {
			__u64 resv1;
			__u32 resv2;
			__u16 resv3;
			__u16 tail;
		};
		struct io_uring_buf bufs[0];
	};
};
RAWRING_LIBURING_PEDANTIC_ON

/* io_uring_buf_reg.flags */
enum io_uring_register_pbuf_ring_flags {
	IOU_PBUF_RING_MMAP = 1, /* the kernel allocates; mmap IORING_OFF_PBUF_RING */
	IOU_PBUF_RING_INC = 2,  /* buffers are consumed a piece at a time */
};

/* IORING_(UN)REGISTER_PBUF_RING */
struct io_uring_buf_reg {
	__u64 ring_addr;
	__u32 ring_entries;
	__u16 bgid;
	__u16 flags;
	__u32 min_left;
	__u32 resv[5];
};

/* IORING_REGISTER_PBUF_STATUS */
struct io_uring_buf_status {
	__u32 buf_group; /* in */
	__u32 head;      /* out */
	__u32 resv[8];
};

/* ---- NAPI busy polling ---- */

enum io_uring_napi_op {
	IO_URING_NAPI_REGISTER_OP = 0,
	IO_URING_NAPI_STATIC_ADD_ID = 1,
	IO_URING_NAPI_STATIC_DEL_ID = 2,
};

enum io_uring_napi_tracking_strategy {
	IO_URING_NAPI_TRACKING_DYNAMIC = 0,
	IO_URING_NAPI_TRACKING_STATIC = 1,
	IO_URING_NAPI_TRACKING_INACTIVE = 255,
};

/* IORING_(UN)REGISTER_NAPI */
struct io_uring_napi {
	__u32 busy_poll_to; /* us */
	__u8 prefer_busy_poll;
	__u8 opcode; /* enum io_uring_napi_op */
	__u8 pad[2];
	__u32 op_param; /* tracking strategy, or a napi id */
	__u32 resv;
};

/* io_uring_restriction.opcode */
enum io_uring_register_restriction_op {
	IORING_RESTRICTION_REGISTER_OP = 0,
	IORING_RESTRICTION_SQE_OP = 1,
	IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2,
	IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3,

	IORING_RESTRICTION_LAST
};

enum {
	IORING_REG_WAIT_TS = (1U << 0), /* io_uring_reg_wait.ts is set */
};

/* One 64-byte entry of a registered wait region (IORING_ENTER_EXT_ARG_REG) */
struct io_uring_reg_wait {
	struct __kernel_timespec ts;
	__u32 min_wait_usec;
	__u32 flags; /* IORING_REG_WAIT_* */
	__u64 sigmask;
	__u32 sigmask_sz;
	__u32 pad[3];
	__u64 pad2[2];
};

/* The arg of io_uring_enter(2) with IORING_ENTER_EXT_ARG */
struct io_uring_getevents_arg {
	__u64 sigmask;
	__u32 sigmask_sz;
	__u32 min_wait_usec;
	__u64 ts; /* struct __kernel_timespec * */
};

/* IORING_REGISTER_SYNC_CANCEL */
struct io_uring_sync_cancel_reg {
	__u64 addr;
	__s32 fd;
	__u32 flags; /* IORING_ASYNC_CANCEL_* */
	struct __kernel_timespec timeout;
	__u8 opcode;
	__u8 pad[7];
	__u64 pad2[3];
};

/* IORING_REGISTER_FILE_ALLOC_RANGE: slots [off, off + len) */
struct io_uring_file_index_range {
	__u32 off;
	__u32 len;
	__u64 resv;
};

/* Head of every buffer a multishot RECVMSG fills */
struct io_uring_recvmsg_out {
	__u32 namelen;
	__u32 controllen;
	__u32 payloadlen;
	__u32 flags;
};

/* sqe->cmd_op of IORING_OP_URING_CMD on a socket */
enum io_uring_socket_op {
	SOCKET_URING_OP_SIOCINQ = 0,
	SOCKET_URING_OP_SIOCOUTQ,
	SOCKET_URING_OP_GETSOCKOPT,
	SOCKET_URING_OP_SETSOCKOPT,
	SOCKET_URING_OP_TX_TIMESTAMP,
	SOCKET_URING_OP_GETSOCKNAME,
};

/* SOCKET_URING_OP_TX_TIMESTAMP completions */
#define IORING_TIMESTAMP_HW_SHIFT 16
#define IORING_TIMESTAMP_TYPE_SHIFT (IORING_TIMESTAMP_HW_SHIFT + 1)
#define IORING_CQE_F_TSTAMP_HW ((__u32)1 << IORING_TIMESTAMP_HW_SHIFT)

struct io_timespec {
	__u64 tv_sec;
	__u64 tv_nsec;
};

/* ---- Zero-copy receive (the uapi's linux/io_uring/zcrx.h) ---- */

#ifndef LINUX_IO_URING_ZCRX_H
#define LINUX_IO_URING_ZCRX_H

/* Refill-queue entry */
struct io_uring_zcrx_rqe {
	__u64 off;
	__u32 len;
	__u32 __pad;
};

/* big_cqe payload of a RECV_ZC completion */
struct io_uring_zcrx_cqe {
	__u64 off;
	__u64 __pad;
};

/* Offsets carry the area id from this bit up */
#define IORING_ZCRX_AREA_SHIFT 48
#define IORING_ZCRX_AREA_MASK (~(((__u64)1 << IORING_ZCRX_AREA_SHIFT) - 1))

struct io_uring_zcrx_offsets {
	__u32 head;
	__u32 tail;
	__u32 rqes;
	__u32 __resv2;
	__u64 __resv[2];
};

enum io_uring_zcrx_area_flags {
	IORING_ZCRX_AREA_DMABUF = 1,
};

struct io_uring_zcrx_area_reg {
	__u64 addr;
	__u64 len;
	__u64 rq_area_token;
	__u32 flags; /* IORING_ZCRX_AREA_* */
	__u32 dmabuf_fd;
	__u64 __resv2[2];
};

enum zcrx_reg_flags {
	ZCRX_REG_IMPORT = 1,
	ZCRX_REG_NODEV = 2, /* no net device: everything is copied */
};

enum zcrx_features {
	ZCRX_FEATURE_RX_PAGE_SIZE = 1 << 0, /* ifq_reg.rx_buf_len is honoured */
	ZCRX_FEATURE_EVENT = 1 << 1,        /* ifq_reg.event_desc is honoured */
};

enum zcrx_event_type {
	ZCRX_EVENT_ALLOC_FAIL,
	ZCRX_EVENT_COPY,

	__ZCRX_EVENT_TYPE_LAST,
};

enum zcrx_event_desc_flags {
	ZCRX_EVENT_DESC_FLAG_STATS = 1 << 0, /* stats_offset is valid */
};

/* Copy-fallback counters, kept by the kernel in the refill region */
struct zcrx_stats {
	__u64 copy_count;
	__u64 copy_bytes;
};

/* Pointed to by io_uring_zcrx_ifq_reg.event_desc */
struct zcrx_event_desc {
	__u64 user_data;
	__u32 type_mask;
	__u32 flags; /* ZCRX_EVENT_DESC_FLAG_* */
	__u64 stats_offset;
	__u64 __resv2[9];
};

/* IORING_REGISTER_ZCRX_IFQ */
struct io_uring_zcrx_ifq_reg {
	__u32 if_idx;
	__u32 if_rxq;
	__u32 rq_entries;
	__u32 flags; /* ZCRX_REG_* */
	__u64 area_ptr; /* struct io_uring_zcrx_area_reg * */
	__u64 region_ptr; /* struct io_uring_region_desc * */
	struct io_uring_zcrx_offsets offsets;
	__u32 zcrx_id;
	__u32 rx_buf_len;
	__u64 event_desc; /* struct zcrx_event_desc * */
	__u64 __resv[2];
};

enum zcrx_ctrl_op {
	ZCRX_CTRL_FLUSH_RQ,
	ZCRX_CTRL_EXPORT,
	ZCRX_CTRL_ARM_EVENT,

	__ZCRX_CTRL_LAST,
};

struct zcrx_ctrl_flush_rq {
	__u64 __resv[6];
};

struct zcrx_ctrl_export {
	__u32 zcrx_fd;
	__u32 __resv1[11];
};

struct zcrx_ctrl_arm_event {
	__u32 event_type; /* enum zcrx_event_type */
	__u32 __resv[11];
};

/* IORING_REGISTER_ZCRX_CTRL */
struct zcrx_ctrl {
	__u32 zcrx_id;
	__u32 op; /* enum zcrx_ctrl_op */
	__u64 __resv[2];
	__extension__ union {
		struct zcrx_ctrl_export zc_export;
		struct zcrx_ctrl_flush_rq zc_flush;
		struct zcrx_ctrl_arm_event zc_arm_event;
	};
};

#endif /* LINUX_IO_URING_ZCRX_H */

/* ---- IORING_REGISTER_QUERY (the uapi's linux/io_uring/query.h) ---- */

#ifndef LINUX_IO_URING_QUERY_H
#define LINUX_IO_URING_QUERY_H

/* One link of the chain; the kernel stores 0 or -errno in result */
struct io_uring_query_hdr {
	__u64 next_entry; /* next header, or 0 */
	__u64 query_data;
	__u32 query_op; /* IO_URING_QUERY_* */
	__u32 size;
	__s32 result;
	__u32 __resv[3];
};

enum {
	IO_URING_QUERY_OPCODES = 0,
	IO_URING_QUERY_ZCRX = 1,
	IO_URING_QUERY_SCQ = 2,
	IO_URING_QUERY_ZCRX_NOTIF = 3,

	__IO_URING_QUERY_MAX,
};

/* IO_URING_QUERY_OPCODES (needs no ring) */
struct io_uring_query_opcode {
	__u32 nr_request_opcodes;
	__u32 nr_register_opcodes;
	__u64 feature_flags;    /* IORING_FEAT_* */
	__u64 ring_setup_flags; /* IORING_SETUP_* */
	__u64 enter_flags;      /* IORING_ENTER_* */
	__u64 sqe_flags;        /* IOSQE_* */
	__u32 nr_query_opcodes;
	__u32 __pad;
};

/* IO_URING_QUERY_ZCRX */
struct io_uring_query_zcrx {
	__u64 register_flags; /* ZCRX_REG_* */
	__u64 area_flags;     /* IORING_ZCRX_AREA_* */
	__u32 nr_ctrl_opcodes;
	__u32 features;       /* ZCRX_FEATURE_* */
	__u32 rq_hdr_size;
	__u32 rq_hdr_alignment;
	__u64 __resv2;
};

/* IO_URING_QUERY_ZCRX_NOTIF */
struct io_uring_query_zcrx_notif {
	__u32 notif_flags;
	__u32 notif_stats_size;
	__u32 notif_stats_off_alignment;
	__u32 __resv1;
	__u64 __resv2[4];
};

/* IO_URING_QUERY_SCQ: SQ/CQ ring header size and alignment */
struct io_uring_query_scq {
	__u64 hdr_size;
	__u64 hdr_alignment;
};

#endif /* LINUX_IO_URING_QUERY_H */

/* ---- IORING_REGISTER_BPF_FILTER (the uapi's linux/io_uring/bpf_filter.h) ---- */

#ifndef LINUX_IO_URING_BPF_FILTER_H
#define LINUX_IO_URING_BPF_FILTER_H

/* What a classic-BPF filter sees of a request (BPF_ABS loads at these offsets) */
struct io_uring_bpf_ctx {
	__u64 user_data;
	__u8 opcode;
	__u8 sqe_flags;
	__u8 pdu_size; /* bytes of the per-opcode part below */
	__u8 pad[5];
	__extension__ union {
		struct {
			__u32 family;
			__u32 type;
			__u32 protocol;
		} socket; /* IORING_OP_SOCKET */
		struct {
			__u64 flags;
			__u64 mode;
			__u64 resolve;
		} open; /* IORING_OP_OPENAT, OPENAT2 */
	};
};

enum {
	IO_URING_BPF_FILTER_DENY_REST = 1, /* deny every opcode left without a filter */
	IO_URING_BPF_FILTER_SZ_STRICT = 2, /* fail on a pdu_size mismatch */
};

struct io_uring_bpf_filter {
	__u32 opcode; /* IORING_OP_* */
	__u32 flags;  /* IO_URING_BPF_FILTER_* */
	__u32 filter_len; /* instructions */
	__u8 pdu_size;
	__u8 resv[3];
	__u64 filter_ptr; /* struct sock_filter * */
	__u64 resv2[5];
};

enum {
	IO_URING_BPF_CMD_FILTER = 1,
};

/* IORING_REGISTER_BPF_FILTER, on a ring or (fd = -1) on the task */
struct io_uring_bpf {
	__u16 cmd_type; /* IO_URING_BPF_CMD_* */
	__u16 cmd_flags;
	__u32 resv;
	__extension__ union {
		struct io_uring_bpf_filter filter;
	};
};

#endif /* LINUX_IO_URING_BPF_FILTER_H */

#ifdef __cplusplus
}
#endif

#undef RAWRING_LIBURING_FLEX
#undef RAWRING_LIBURING_PEDANTIC_OFF
#undef RAWRING_LIBURING_PEDANTIC_ON

#endif /* LINUX_IO_URING_H */
