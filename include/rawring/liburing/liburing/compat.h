/* SPDX-License-Identifier: MIT */
/*
 * rawring's liburing face: what the compat.h that liburing 2.15's configure writes makes
 * available to programs, built from the kernel headers of the build host.
 */
#ifndef LIBURING_COMPAT_H
#define LIBURING_COMPAT_H

#include <inttypes.h>

/* struct __kernel_timespec; io_uring.h then need not include it again */
#include <linux/time_types.h>
#ifndef UAPI_LINUX_IO_URING_H_SKIP_LINUX_TIME_TYPES_H
#define UAPI_LINUX_IO_URING_H_SKIP_LINUX_TIME_TYPES_H 1
#endif

/* struct open_how, for IORING_OP_OPENAT2 */
#include <linux/openat2.h>

/* struct futex_waitv and FUTEX_32, for IORING_OP_FUTEX_WAITV; kernel headers before 5.16
 * lack them (FUTEX_WAITV_MAX came with them) */
#include <linux/futex.h>
#ifndef FUTEX_WAITV_MAX
#define FUTEX_32 2
#define FUTEX_WAITV_MAX 128
struct futex_waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t __reserved;
};
#endif

/* Block-device uring_cmd opcodes: <linux/blkdev.h> has them from 6.12 on, older kernel
 * headers get the same _IO() values here */
#if defined(__has_include)
#if __has_include(<linux/blkdev.h>)
#include <linux/blkdev.h>
#endif
#endif
#include <linux/ioctl.h>
#ifndef BLOCK_URING_CMD_DISCARD
#define BLOCK_URING_CMD_DISCARD _IO(0x12, 0)
#endif
#ifndef BLOCK_URING_CMD_ZONE_RESET_ALL
#define BLOCK_URING_CMD_ZONE_RESET_ALL _IO(0x12, 1)
#endif

#endif /* LIBURING_COMPAT_H */
