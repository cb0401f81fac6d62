/* SPDX-License-Identifier: MIT */
/* The liburing face's prep helpers from C99: every one declared, linked and run once. */

/* As liburing programs do: io_uring_prep_ftruncate (loff_t) and the POSIX types need it. */
#define _GNU_SOURCE

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <liburing/io_uring.h>

#define RAWRING_LIBURING_FN
#include <liburing/rawring_prep.h>

static int failures;
static int calls;
static struct io_uring_sqe sqe;

#define EXPECT(cond)                                                                      \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
			++failures;                                                       \
		}                                                                         \
	} while (0)

/* Runs one helper call on an SQE full of garbage and checks the opcode it set. */
#define PREP(op, ...)                                     \
	do {                                              \
		memset(&sqe, 0xa5, sizeof(sqe));          \
		__VA_ARGS__;                              \
		++calls;                                  \
		EXPECT(sqe.opcode == (op));               \
	} while (0)

static char buf[64];
static struct iovec iov[2];
static struct sockaddr_storage sa;
static socklen_t sa_len = sizeof(sa);
static struct msghdr msg;
static struct __kernel_timespec ts = { 1, 500 };
static struct statx stx;
static siginfo_t info;
static int fds[2];
static uint32_t futex_word;
static int object;
/* struct open_how, futex_waitv and epoll_event are only pointed at: no linux headers needed. */
static unsigned long long storage[16];

#define SA ((struct sockaddr *) (void *) &sa)
#define HOW ((const struct open_how *) (const void *) storage)
#define WAITV ((const struct futex_waitv *) (const void *) storage)
#define EVENTS ((struct epoll_event *) (void *) storage)

static void setters_and_accessors(void)
{
	struct io_uring_cqe cqe;

	memset(&sqe, 0xa5, sizeof(sqe));
	io_uring_initialize_sqe(&sqe);
	EXPECT(sqe.flags == 0 && sqe.ioprio == 0 && sqe.rw_flags == 0 && sqe.buf_index == 0);
	EXPECT(sqe.personality == 0 && sqe.file_index == 0 && sqe.addr3 == 0 && sqe.__pad2[0] == 0);
	EXPECT(sqe.opcode == 0xa5 && sqe.len == 0xa5a5a5a5u); /* prep_rw's fields stay */
	EXPECT(sqe.user_data == 0xa5a5a5a5a5a5a5a5ull);

	io_uring_sqe_set_data(&sqe, &object);
	EXPECT(sqe.user_data == (__u64) (uintptr_t) &object);
	io_uring_sqe_set_data64(&sqe, 0x0123456789abcdefull);
	EXPECT(sqe.user_data == 0x0123456789abcdefull);
	io_uring_sqe_set_flags(&sqe, IOSQE_IO_LINK | IOSQE_ASYNC);
	EXPECT(sqe.flags == (IOSQE_IO_LINK | IOSQE_ASYNC));
	io_uring_sqe_set_buf_group(&sqe, 0x1234);
	EXPECT(sqe.buf_group == 0x1234);

	memset(&cqe, 0, sizeof(cqe));
	cqe.user_data = (__u64) (uintptr_t) &object;
	EXPECT(io_uring_cqe_get_data(&cqe) == &object);
	cqe.user_data = 0xfedcba9876543210ull;
	EXPECT(io_uring_cqe_get_data64(&cqe) == 0xfedcba9876543210ull);
}

static void core_and_rw(void)
{
	PREP(IORING_OP_WRITE,
	     io_uring_prep_rw(IORING_OP_WRITE, &sqe, 7, buf, 0x2345, 0x1122334455667788ull));
	EXPECT(sqe.fd == 7 && sqe.addr == (__u64) (uintptr_t) buf && sqe.len == 0x2345);
	EXPECT(sqe.off == 0x1122334455667788ull);
	PREP(IORING_OP_NOP, io_uring_prep_nop(&sqe));
	EXPECT(sqe.fd == -1);
	PREP(IORING_OP_NOP128, io_uring_prep_nop128(&sqe));

	PREP(IORING_OP_SPLICE,
	     io_uring_prep_splice(&sqe, 3, 0x0102030405060708ll, 4, -1, 0x3456, SPLICE_F_MOVE));
	EXPECT(sqe.splice_fd_in == 3 && sqe.splice_off_in == 0x0102030405060708ull);
	EXPECT(sqe.fd == 4 && sqe.off == ~0ull && sqe.splice_flags == SPLICE_F_MOVE);
	PREP(IORING_OP_TEE, io_uring_prep_tee(&sqe, 5, 6, 0x4567, 0));
	PREP(IORING_OP_PIPE, io_uring_prep_pipe(&sqe, fds, O_CLOEXEC));
	PREP(IORING_OP_PIPE, io_uring_prep_pipe_direct(&sqe, fds, 0, 9));
	EXPECT(sqe.file_index == 10);

	PREP(IORING_OP_READV, io_uring_prep_readv(&sqe, 7, iov, 2, 0x10));
	PREP(IORING_OP_READV, io_uring_prep_readv2(&sqe, 7, iov, 2, 0x10, 0x18));
	EXPECT(sqe.rw_flags == 0x18);
	PREP(IORING_OP_READ_FIXED, io_uring_prep_read_fixed(&sqe, 8, buf, 16, 0, 0x123));
	EXPECT(sqe.buf_index == 0x123);
	PREP(IORING_OP_READV_FIXED, io_uring_prep_readv_fixed(&sqe, 9, iov, 2, 0, 0, 0x321));
	PREP(IORING_OP_WRITEV, io_uring_prep_writev(&sqe, 10, iov, 2, 0));
	PREP(IORING_OP_WRITEV, io_uring_prep_writev2(&sqe, 11, iov, 2, 0, 4));
	PREP(IORING_OP_WRITE_FIXED, io_uring_prep_write_fixed(&sqe, 12, buf, 16, 0, 0x45));
	PREP(IORING_OP_WRITEV_FIXED, io_uring_prep_writev_fixed(&sqe, 13, iov, 2, 0, 0, 0x67));
	PREP(IORING_OP_READ, io_uring_prep_read(&sqe, 14, buf, 0x2222, 0xaabbull));
	EXPECT(sqe.fd == 14 && sqe.len == 0x2222 && sqe.off == 0xaabbull);
	PREP(IORING_OP_READ_MULTISHOT, io_uring_prep_read_multishot(&sqe, 15, 0, 0, 0x89));
	EXPECT(sqe.flags == IOSQE_BUFFER_SELECT && sqe.buf_group == 0x89);
	PREP(IORING_OP_WRITE, io_uring_prep_write(&sqe, 16, buf, 16, 0));

	PREP(IORING_OP_FSYNC, io_uring_prep_fsync(&sqe, 17, IORING_FSYNC_DATASYNC));
	PREP(IORING_OP_SYNC_FILE_RANGE, io_uring_prep_sync_file_range(&sqe, 18, 16, 0, 0));
	PREP(IORING_OP_FALLOCATE, io_uring_prep_fallocate(&sqe, 19, 3, 0x2000, 0x0102030405ull));
	EXPECT(sqe.len == 3 && sqe.addr == 0x0102030405ull);
	PREP(IORING_OP_FTRUNCATE, io_uring_prep_ftruncate(&sqe, 20, (loff_t) 0x123456789all));
	EXPECT(sqe.off == 0x123456789aull);
	PREP(IORING_OP_FADVISE, io_uring_prep_fadvise(&sqe, 21, 0, 16, POSIX_FADV_SEQUENTIAL));
	PREP(IORING_OP_MADVISE, io_uring_prep_madvise(&sqe, buf, 16, 4));
	PREP(IORING_OP_FADVISE, io_uring_prep_fadvise64(&sqe, 22, 0, (off_t) 0x0203040506ll, 0));
	EXPECT(sqe.addr == 0x0203040506ull && sqe.len == 0);
	PREP(IORING_OP_MADVISE, io_uring_prep_madvise64(&sqe, buf, (off_t) 0x0304050607ll, 3));
	EXPECT(sqe.off == 0x0304050607ull && sqe.len == 0);
}

static void poll_timeout_cancel(void)
{
	PREP(IORING_OP_POLL_ADD, io_uring_prep_poll_add(&sqe, 23, POLLIN));
	PREP(IORING_OP_POLL_ADD, io_uring_prep_poll_multishot(&sqe, 24, POLLOUT));
	EXPECT(sqe.len == IORING_POLL_ADD_MULTI);
	PREP(IORING_OP_POLL_REMOVE, io_uring_prep_poll_remove(&sqe, 0x0a0b0c0d0e0f1011ull));
	EXPECT(sqe.addr == 0x0a0b0c0d0e0f1011ull);
	PREP(IORING_OP_POLL_REMOVE,
	     io_uring_prep_poll_update(&sqe, 1, 2, POLLIN, IORING_POLL_UPDATE_EVENTS));
	PREP(IORING_OP_EPOLL_CTL, io_uring_prep_epoll_ctl(&sqe, 25, 26, 3, EVENTS));
	PREP(IORING_OP_EPOLL_WAIT, io_uring_prep_epoll_wait(&sqe, 27, EVENTS, 4, 0));

	PREP(IORING_OP_TIMEOUT, io_uring_prep_timeout(&sqe, &ts, 3, IORING_TIMEOUT_ABS));
	EXPECT(sqe.addr == (__u64) (uintptr_t) &ts && sqe.len == 1 && sqe.off == 3);
	EXPECT(sqe.timeout_flags == IORING_TIMEOUT_ABS);
	PREP(IORING_OP_TIMEOUT_REMOVE, io_uring_prep_timeout_remove(&sqe, 0x31ull, 0));
	PREP(IORING_OP_TIMEOUT_REMOVE, io_uring_prep_timeout_update(&sqe, &ts, 0x41ull, 0));
	EXPECT(sqe.timeout_flags == IORING_TIMEOUT_UPDATE && sqe.addr == 0x41ull);
	PREP(IORING_OP_LINK_TIMEOUT, io_uring_prep_link_timeout(&sqe, &ts, 0));
	PREP(IORING_OP_ASYNC_CANCEL,
	     io_uring_prep_cancel64(&sqe, 0x51ull, IORING_ASYNC_CANCEL_ALL));
	PREP(IORING_OP_ASYNC_CANCEL, io_uring_prep_cancel(&sqe, &object, 0));
	EXPECT(sqe.addr == (__u64) (uintptr_t) &object);
	PREP(IORING_OP_ASYNC_CANCEL, io_uring_prep_cancel_fd(&sqe, 28, 0));
	EXPECT(sqe.cancel_flags == IORING_ASYNC_CANCEL_FD);
}

static void sockets(void)
{
	PREP(IORING_OP_ACCEPT, io_uring_prep_accept(&sqe, 29, SA, &sa_len, SOCK_NONBLOCK));
	EXPECT(sqe.addr2 == (__u64) (uintptr_t) &sa_len);
	PREP(IORING_OP_ACCEPT, io_uring_prep_accept_direct(&sqe, 30, SA, &sa_len, 0, 11));
	EXPECT(sqe.file_index == 12);
	PREP(IORING_OP_ACCEPT, io_uring_prep_multishot_accept(&sqe, 31, SA, &sa_len, 0));
	EXPECT(sqe.ioprio & IORING_ACCEPT_MULTISHOT); /* ORed in */
	PREP(IORING_OP_ACCEPT, io_uring_prep_multishot_accept_direct(&sqe, 32, NULL, NULL, 0));
	EXPECT(sqe.file_index == IORING_FILE_INDEX_ALLOC);
	PREP(IORING_OP_CONNECT, io_uring_prep_connect(&sqe, 33, SA, 16));
	PREP(IORING_OP_BIND, io_uring_prep_bind(&sqe, 34, SA, 28));
	PREP(IORING_OP_LISTEN, io_uring_prep_listen(&sqe, 35, 128));
	PREP(IORING_OP_SHUTDOWN, io_uring_prep_shutdown(&sqe, 36, SHUT_WR));
	PREP(IORING_OP_SOCKET, io_uring_prep_socket(&sqe, AF_INET6, SOCK_DGRAM, 17, 0));
	PREP(IORING_OP_SOCKET, io_uring_prep_socket_direct(&sqe, AF_UNIX, SOCK_STREAM, 0, 12, 0));
	PREP(IORING_OP_SOCKET, io_uring_prep_socket_direct_alloc(&sqe, AF_INET, SOCK_STREAM, 6, 0));

	PREP(IORING_OP_SEND, io_uring_prep_send(&sqe, 37, buf, 16, MSG_DONTWAIT));
	PREP(IORING_OP_SEND, io_uring_prep_send_bundle(&sqe, 38, 32, 0));
	EXPECT(sqe.ioprio & IORING_RECVSEND_BUNDLE);
	/* io_uring_prep_send_set_addr modifies a prepared send (counted here; send was above). */
	PREP(IORING_OP_SEND, io_uring_prep_send(&sqe, 39, buf, 16, 0),
	     io_uring_prep_send_set_addr(&sqe, SA, 0x1c));
	EXPECT(sqe.addr2 == (__u64) (uintptr_t) &sa && sqe.addr_len == 0x1c);
	PREP(IORING_OP_SEND, io_uring_prep_sendto(&sqe, 40, buf, 16, 0, SA, 16));
	PREP(IORING_OP_SEND_ZC,
	     io_uring_prep_send_zc(&sqe, 41, buf, 16, 0, IORING_SEND_ZC_REPORT_USAGE));
	PREP(IORING_OP_SEND_ZC, io_uring_prep_send_zc_fixed(&sqe, 42, buf, 16, 0, 0, 13));
	EXPECT(sqe.ioprio == IORING_RECVSEND_FIXED_BUF && sqe.buf_index == 13);
	PREP(IORING_OP_SENDMSG, io_uring_prep_sendmsg(&sqe, 43, &msg, 0));
	PREP(IORING_OP_SENDMSG_ZC, io_uring_prep_sendmsg_zc(&sqe, 44, &msg, 0));
	PREP(IORING_OP_SENDMSG_ZC, io_uring_prep_sendmsg_zc_fixed(&sqe, 45, &msg, 0, 14));
	PREP(IORING_OP_RECV, io_uring_prep_recv(&sqe, 46, buf, 16, 0));
	PREP(IORING_OP_RECV, io_uring_prep_recv_multishot(&sqe, 47, NULL, 0, 0));
	EXPECT(sqe.ioprio & IORING_RECV_MULTISHOT);
	PREP(IORING_OP_RECVMSG, io_uring_prep_recvmsg(&sqe, 48, &msg, 0));
	PREP(IORING_OP_RECVMSG, io_uring_prep_recvmsg_multishot(&sqe, 49, &msg, 0));
}

static void files(void)
{
	const char *path = "/tmp/rawring-a", *path2 = "/tmp/rawring-b", *xname = "user.rawring";

	PREP(IORING_OP_OPENAT, io_uring_prep_openat(&sqe, 50, path, O_RDWR | O_CREAT, 0640));
	EXPECT(sqe.len == 0640 && sqe.open_flags == (__u32) (O_RDWR | O_CREAT));
	PREP(IORING_OP_OPENAT, io_uring_prep_openat_direct(&sqe, 51, path, 0, 0, 15));
	PREP(IORING_OP_OPENAT, io_uring_prep_open(&sqe, path, O_WRONLY, 0600));
	EXPECT(sqe.fd == AT_FDCWD);
	PREP(IORING_OP_OPENAT, io_uring_prep_open_direct(&sqe, path2, 0, 0, 16));
	PREP(IORING_OP_OPENAT2, io_uring_prep_openat2(&sqe, 52, path, HOW));
	EXPECT(sqe.len == 24);
	PREP(IORING_OP_OPENAT2, io_uring_prep_openat2_direct(&sqe, 53, path2, HOW, 17));
	PREP(IORING_OP_CLOSE, io_uring_prep_close(&sqe, 54));
	PREP(IORING_OP_CLOSE, io_uring_prep_close_direct(&sqe, 18));
	EXPECT(sqe.fd == 0 && sqe.file_index == 19);
	PREP(IORING_OP_FILES_UPDATE, io_uring_prep_files_update(&sqe, fds, 2, -2));
	EXPECT(sqe.off == (__u64) -2);
	PREP(IORING_OP_FIXED_FD_INSTALL, io_uring_prep_fixed_fd_install(&sqe, 55, 0));
	EXPECT(sqe.flags == IOSQE_FIXED_FILE);
	PREP(IORING_OP_STATX, io_uring_prep_statx(&sqe, 56, path, 0, STATX_SIZE, &stx));
	PREP(IORING_OP_UNLINKAT, io_uring_prep_unlinkat(&sqe, 57, path, AT_REMOVEDIR));
	PREP(IORING_OP_UNLINKAT, io_uring_prep_unlink(&sqe, path2, 0));
	PREP(IORING_OP_RENAMEAT, io_uring_prep_renameat(&sqe, 58, path, 59, path2, 1));
	PREP(IORING_OP_RENAMEAT, io_uring_prep_rename(&sqe, path, path2));
	PREP(IORING_OP_MKDIRAT, io_uring_prep_mkdirat(&sqe, 60, path, 0750));
	PREP(IORING_OP_MKDIRAT, io_uring_prep_mkdir(&sqe, path2, 0700));
	PREP(IORING_OP_SYMLINKAT, io_uring_prep_symlinkat(&sqe, path, 61, path2));
	PREP(IORING_OP_SYMLINKAT, io_uring_prep_symlink(&sqe, path2, path));
	PREP(IORING_OP_LINKAT, io_uring_prep_linkat(&sqe, 62, path, 63, path2, 0));
	PREP(IORING_OP_LINKAT, io_uring_prep_link(&sqe, path, path2, 0));
	PREP(IORING_OP_GETXATTR, io_uring_prep_getxattr(&sqe, xname, buf, path, 0x40));
	EXPECT(sqe.addr3 == (__u64) (uintptr_t) path && sqe.xattr_flags == 0);
	PREP(IORING_OP_SETXATTR, io_uring_prep_setxattr(&sqe, xname, buf, path2, 1, 0x20));
	PREP(IORING_OP_FGETXATTR, io_uring_prep_fgetxattr(&sqe, 64, xname, buf, 0x3f));
	PREP(IORING_OP_FSETXATTR, io_uring_prep_fsetxattr(&sqe, 65, xname, buf, 2, 0x1f));
}

static void buffers_messages_processes_commands(void)
{
	PREP(IORING_OP_PROVIDE_BUFFERS, io_uring_prep_provide_buffers(&sqe, buf, 16, 4, 0x77, 3));
	PREP(IORING_OP_REMOVE_BUFFERS, io_uring_prep_remove_buffers(&sqe, 3, 0x78));
	EXPECT(sqe.buf_group == 0x78);
	PREP(IORING_OP_MSG_RING, io_uring_prep_msg_ring_cqe_flags(&sqe, 66, 1, 2, 0, 0x8000));
	EXPECT(sqe.msg_ring_flags == IORING_MSG_RING_FLAGS_PASS && sqe.file_index == 0x8000);
	PREP(IORING_OP_MSG_RING, io_uring_prep_msg_ring(&sqe, 67, 0x2345, 0x71ull, 0));
	PREP(IORING_OP_MSG_RING, io_uring_prep_msg_ring_fd(&sqe, 68, 5, 20, 0x81ull, 0));
	EXPECT(sqe.addr == IORING_MSG_SEND_FD && sqe.addr3 == 5 && sqe.file_index == 21);
	PREP(IORING_OP_MSG_RING, io_uring_prep_msg_ring_fd_alloc(&sqe, 69, 6, 0x91ull, 0));
	EXPECT(sqe.file_index == IORING_FILE_INDEX_ALLOC);

	PREP(IORING_OP_WAITID, io_uring_prep_waitid(&sqe, P_PID, 4242, &info, WEXITED, 0));
	EXPECT(sqe.fd == 4242 && sqe.len == P_PID && sqe.file_index == WEXITED);
	EXPECT(sqe.addr2 == (__u64) (uintptr_t) &info);
	PREP(IORING_OP_FUTEX_WAKE,
	     io_uring_prep_futex_wake(&sqe, &futex_word, 3, 0xff00ull, 0x82, 0));
	EXPECT(sqe.fd == 0x82 && sqe.off == 3 && sqe.addr3 == 0xff00ull);
	PREP(IORING_OP_FUTEX_WAIT, io_uring_prep_futex_wait(&sqe, &futex_word, 1, ~0ull, 0x02, 0));
	PREP(IORING_OP_FUTEX_WAITV, io_uring_prep_futex_waitv(&sqe, WAITV, 2, 0));

	PREP(IORING_OP_URING_CMD, io_uring_prep_uring_cmd(&sqe, 0x7e, 70));
	EXPECT(sqe.cmd_op == 0x7e && sqe.__pad1 == 0 && sqe.addr == 0 && sqe.len == 0);
	PREP(IORING_OP_URING_CMD128, io_uring_prep_uring_cmd128(&sqe, 0x7f, 71));
	PREP(IORING_OP_URING_CMD, io_uring_prep_cmd_sock(&sqe, SOCKET_URING_OP_SETSOCKOPT, 72,
							 SOL_SOCKET, SO_REUSEADDR, &object,
							 (int) sizeof(object)));
	EXPECT(sqe.level == SOL_SOCKET && sqe.optname == SO_REUSEADDR);
	EXPECT(sqe.optval == (__u64) (uintptr_t) &object && sqe.optlen == sizeof(object));
	PREP(IORING_OP_URING_CMD, io_uring_prep_cmd_getsockname(&sqe, 73, SA, &sa_len, 1));
	EXPECT(sqe.cmd_op == SOCKET_URING_OP_GETSOCKNAME && sqe.optlen == 1);
	PREP(IORING_OP_URING_CMD, io_uring_prep_cmd_discard(&sqe, 74, 0x100000, 0x200000));
	PREP(IORING_OP_URING_CMD, io_uring_prep_cmd_zone_reset_all(&sqe, 75));
}

int main(void)
{
	setters_and_accessors();
	core_and_rw();
	poll_timeout_cancel();
	sockets();
	files();
	buffers_messages_processes_commands();
	EXPECT(calls == 104); /* one PREP per io_uring_prep_* helper */
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
