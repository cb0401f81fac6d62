/* SPDX-License-Identifier: MIT */
/* liburing 2.15's io_uring_prep_* helpers, SQE setters and CQE data accessors, as C prototypes. */
#ifndef RAWRING_LIBURING_RAWRING_PREP_H
#define RAWRING_LIBURING_RAWRING_PREP_H

/*
 * Part of rawring's liburing face: liburing.h includes this header after liburing/io_uring.h.
 * Every function here is one of liburing 2.15's header inlines, with liburing's name, parameter
 * types and effect on the SQE. Where they are defined:
 *   - C, and C++ below C++20: librawring-liburing exports each as an extern "C" function
 *     (src/liburing_prep.cpp), and RAWRING_LIBURING_FN is empty;
 *   - C++20: liburing.h defines RAWRING_LIBURING_FN as `inline` and then includes
 *     rawring_prep_impl.hpp, which defines them inline on top of rawring/prep.hpp.
 * A program that includes this header on its own gets the extern declarations.
 *
 * io_uring_prep_ftruncate takes a loff_t and is declared only with _GNU_SOURCE, as in liburing.
 */

#include <stddef.h>
#include <stdint.h>
#include <signal.h>     /* siginfo_t */
#include <sys/socket.h> /* socklen_t */
#include <sys/types.h>  /* mode_t, off_t, loff_t, id_t */
#include <sys/wait.h>   /* idtype_t */

#include "io_uring.h"   /* struct io_uring_sqe, struct io_uring_cqe, __u64, __kernel_timespec */

#ifndef RAWRING_LIBURING_FN
#define RAWRING_LIBURING_FN
#endif

/* liburing declares its API noexcept in C++; liburing.h defines the macro, as liburing does. */
#ifndef LIBURING_NOEXCEPT
#ifdef __cplusplus
#define LIBURING_NOEXCEPT noexcept
#else
#define LIBURING_NOEXCEPT
#endif
#endif

/* Only their addresses are passed on; declared here so that no prototype declares them. */
struct iovec;
struct msghdr;
struct sockaddr;
struct statx;
struct epoll_event;
struct open_how;
struct futex_waitv;
struct __kernel_timespec;

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SQE setters and CQE accessors ---------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_sqe_set_data(struct io_uring_sqe *sqe, void *data)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_sqe_set_data64(struct io_uring_sqe *sqe, __u64 data)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_sqe_set_flags(struct io_uring_sqe *sqe, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_sqe_set_buf_group(struct io_uring_sqe *sqe, int bgid)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_initialize_sqe(struct io_uring_sqe *sqe)
	LIBURING_NOEXCEPT;
/* Internal to liburing.h, but called by programs (liburing's own tests among them): sets the
 * fixed-file slot a direct open/accept/socket installs into (stored as index + 1). */
RAWRING_LIBURING_FN void __io_uring_set_target_fixed_file(struct io_uring_sqe *sqe,
	unsigned int file_index) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void *io_uring_cqe_get_data(const struct io_uring_cqe *cqe)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN __u64 io_uring_cqe_get_data64(const struct io_uring_cqe *cqe)
	LIBURING_NOEXCEPT;

/* ---- The core ------------------------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_rw(int op, struct io_uring_sqe *sqe, int fd,
					  const void *addr, unsigned len, __u64 offset)
	LIBURING_NOEXCEPT;

/* ---- Pipes: splice, tee, pipe --------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_splice(struct io_uring_sqe *sqe, int fd_in,
					      int64_t off_in, int fd_out, int64_t off_out,
					      unsigned int nbytes, unsigned int splice_flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_tee(struct io_uring_sqe *sqe, int fd_in, int fd_out,
					   unsigned int nbytes, unsigned int splice_flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_pipe(struct io_uring_sqe *sqe, int *fds, int pipe_flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_pipe_direct(struct io_uring_sqe *sqe, int *fds,
						   int pipe_flags, unsigned int file_index)
	LIBURING_NOEXCEPT;

/* ---- Read and write ------------------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_readv(struct io_uring_sqe *sqe, int fd,
					     const struct iovec *iovecs, unsigned nr_vecs,
					     __u64 offset)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_readv2(struct io_uring_sqe *sqe, int fd,
					      const struct iovec *iovecs, unsigned nr_vecs,
					      __u64 offset, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_read_fixed(struct io_uring_sqe *sqe, int fd, void *buf,
						  unsigned nbytes, __u64 offset, int buf_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_readv_fixed(struct io_uring_sqe *sqe, int fd,
						   const struct iovec *iovecs, unsigned nr_vecs,
						   __u64 offset, int flags, int buf_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_writev(struct io_uring_sqe *sqe, int fd,
					      const struct iovec *iovecs, unsigned nr_vecs,
					      __u64 offset)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_writev2(struct io_uring_sqe *sqe, int fd,
					       const struct iovec *iovecs, unsigned nr_vecs,
					       __u64 offset, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_write_fixed(struct io_uring_sqe *sqe, int fd,
						   const void *buf, unsigned nbytes, __u64 offset,
						   int buf_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_writev_fixed(struct io_uring_sqe *sqe, int fd,
						    const struct iovec *iovecs, unsigned nr_vecs,
						    __u64 offset, int flags, int buf_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_read(struct io_uring_sqe *sqe, int fd, void *buf,
					    unsigned nbytes, __u64 offset)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_read_multishot(struct io_uring_sqe *sqe, int fd,
						      unsigned nbytes, __u64 offset, int buf_group)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_write(struct io_uring_sqe *sqe, int fd, const void *buf,
					     unsigned nbytes, __u64 offset)
	LIBURING_NOEXCEPT;

/* ---- Sync, allocate, truncate, advise ------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_fsync(struct io_uring_sqe *sqe, int fd,
					     unsigned fsync_flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_sync_file_range(struct io_uring_sqe *sqe, int fd,
						       unsigned len, __u64 offset, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_fallocate(struct io_uring_sqe *sqe, int fd, int mode,
						 __u64 offset, __u64 len)
	LIBURING_NOEXCEPT;
#ifdef _GNU_SOURCE
RAWRING_LIBURING_FN void io_uring_prep_ftruncate(struct io_uring_sqe *sqe, int fd, loff_t len)
	LIBURING_NOEXCEPT;
#endif
RAWRING_LIBURING_FN void io_uring_prep_fadvise(struct io_uring_sqe *sqe, int fd, __u64 offset,
					       __u32 len, int advice)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_madvise(struct io_uring_sqe *sqe, void *addr,
					       __u32 length, int advice)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_fadvise64(struct io_uring_sqe *sqe, int fd,
						 __u64 offset, off_t len, int advice)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_madvise64(struct io_uring_sqe *sqe, void *addr,
						 off_t length, int advice)
	LIBURING_NOEXCEPT;

/* ---- No-ops --------------------------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_nop(struct io_uring_sqe *sqe) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_nop128(struct io_uring_sqe *sqe)
	LIBURING_NOEXCEPT;

/* ---- Poll and epoll ------------------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_poll_add(struct io_uring_sqe *sqe, int fd,
						unsigned poll_mask)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_poll_multishot(struct io_uring_sqe *sqe, int fd,
						      unsigned poll_mask)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_poll_remove(struct io_uring_sqe *sqe, __u64 user_data)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_poll_update(struct io_uring_sqe *sqe,
						   __u64 old_user_data, __u64 new_user_data,
						   unsigned poll_mask, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_epoll_ctl(struct io_uring_sqe *sqe, int epfd, int fd,
						 int op, const struct epoll_event *ev)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_epoll_wait(struct io_uring_sqe *sqe, int fd,
						  struct epoll_event *events, int maxevents,
						  unsigned flags)
	LIBURING_NOEXCEPT;

/* ---- Timeouts and cancellation -------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_timeout(struct io_uring_sqe *sqe,
					       const struct __kernel_timespec *ts,
					       unsigned count, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_timeout_remove(struct io_uring_sqe *sqe,
						      __u64 user_data, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_timeout_update(struct io_uring_sqe *sqe,
						      const struct __kernel_timespec *ts,
						      __u64 user_data, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_link_timeout(struct io_uring_sqe *sqe,
						    const struct __kernel_timespec *ts,
						    unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cancel64(struct io_uring_sqe *sqe, __u64 user_data,
						int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cancel(struct io_uring_sqe *sqe, const void *user_data,
					      int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cancel_fd(struct io_uring_sqe *sqe, int fd,
						 unsigned int flags)
	LIBURING_NOEXCEPT;

/* ---- Sockets -------------------------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_accept(struct io_uring_sqe *sqe, int fd,
					      struct sockaddr *addr, socklen_t *addrlen,
					      int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_accept_direct(struct io_uring_sqe *sqe, int fd,
						     struct sockaddr *addr, socklen_t *addrlen,
						     int flags, unsigned int file_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_multishot_accept(struct io_uring_sqe *sqe, int fd,
							struct sockaddr *addr,
							socklen_t *addrlen, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_multishot_accept_direct(struct io_uring_sqe *sqe, int fd,
							       struct sockaddr *addr,
							       socklen_t *addrlen, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_connect(struct io_uring_sqe *sqe, int fd,
					       const struct sockaddr *addr, socklen_t addrlen)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_bind(struct io_uring_sqe *sqe, int fd,
					    const struct sockaddr *addr, socklen_t addrlen)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_listen(struct io_uring_sqe *sqe, int fd, int backlog)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_shutdown(struct io_uring_sqe *sqe, int fd, int how)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_socket(struct io_uring_sqe *sqe, int domain, int type,
					      int protocol, unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_socket_direct(struct io_uring_sqe *sqe, int domain,
						     int type, int protocol,
						     unsigned file_index, unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_socket_direct_alloc(struct io_uring_sqe *sqe, int domain,
							   int type, int protocol,
							   unsigned int flags)
	LIBURING_NOEXCEPT;

/* ---- Send and receive ----------------------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_send(struct io_uring_sqe *sqe, int sockfd,
					    const void *buf, size_t len, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_send_bundle(struct io_uring_sqe *sqe, int sockfd,
						   size_t len, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_send_set_addr(struct io_uring_sqe *sqe,
						     const struct sockaddr *dest_addr,
						     __u16 addr_len)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_sendto(struct io_uring_sqe *sqe, int sockfd,
					      const void *buf, size_t len, int flags,
					      const struct sockaddr *addr, socklen_t addrlen)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_send_zc(struct io_uring_sqe *sqe, int sockfd,
					       const void *buf, size_t len, int flags,
					       unsigned zc_flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_send_zc_fixed(struct io_uring_sqe *sqe, int sockfd,
						     const void *buf, size_t len, int flags,
						     unsigned zc_flags, unsigned buf_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_sendmsg(struct io_uring_sqe *sqe, int fd,
					       const struct msghdr *msg, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_sendmsg_zc(struct io_uring_sqe *sqe, int fd,
						  const struct msghdr *msg, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_sendmsg_zc_fixed(struct io_uring_sqe *sqe, int fd,
							const struct msghdr *msg, unsigned flags,
							unsigned buf_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_recv(struct io_uring_sqe *sqe, int sockfd, void *buf,
					    size_t len, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_recv_multishot(struct io_uring_sqe *sqe, int sockfd,
						      void *buf, size_t len, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_recvmsg(struct io_uring_sqe *sqe, int fd,
					       struct msghdr *msg, unsigned flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_recvmsg_multishot(struct io_uring_sqe *sqe, int fd,
							 struct msghdr *msg, unsigned flags)
	LIBURING_NOEXCEPT;

/* ---- Files and paths ------------------------------------------------------------------------ */

RAWRING_LIBURING_FN void io_uring_prep_openat(struct io_uring_sqe *sqe, int dfd,
					      const char *path, int flags, mode_t mode)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_openat_direct(struct io_uring_sqe *sqe, int dfd,
						     const char *path, int flags, mode_t mode,
						     unsigned file_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_open(struct io_uring_sqe *sqe, const char *path,
					    int flags, mode_t mode)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_open_direct(struct io_uring_sqe *sqe, const char *path,
						   int flags, mode_t mode, unsigned file_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_openat2(struct io_uring_sqe *sqe, int dfd,
					       const char *path, const struct open_how *how)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_openat2_direct(struct io_uring_sqe *sqe, int dfd,
						      const char *path,
						      const struct open_how *how,
						      unsigned file_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_close(struct io_uring_sqe *sqe, int fd)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_close_direct(struct io_uring_sqe *sqe,
						    unsigned file_index)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_files_update(struct io_uring_sqe *sqe, int *fds,
						    unsigned nr_fds, int offset)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_fixed_fd_install(struct io_uring_sqe *sqe, int fd,
							unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_statx(struct io_uring_sqe *sqe, int dfd,
					     const char *path, int flags, unsigned mask,
					     struct statx *statxbuf)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_unlinkat(struct io_uring_sqe *sqe, int dfd,
						const char *path, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_unlink(struct io_uring_sqe *sqe, const char *path,
					      int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_renameat(struct io_uring_sqe *sqe, int olddfd,
						const char *oldpath, int newdfd,
						const char *newpath, unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_rename(struct io_uring_sqe *sqe, const char *oldpath,
					      const char *newpath)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_mkdirat(struct io_uring_sqe *sqe, int dfd,
					       const char *path, mode_t mode)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_mkdir(struct io_uring_sqe *sqe, const char *path,
					     mode_t mode)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_symlinkat(struct io_uring_sqe *sqe, const char *target,
						 int newdirfd, const char *linkpath)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_symlink(struct io_uring_sqe *sqe, const char *target,
					       const char *linkpath)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_linkat(struct io_uring_sqe *sqe, int olddfd,
					      const char *oldpath, int newdfd,
					      const char *newpath, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_link(struct io_uring_sqe *sqe, const char *oldpath,
					    const char *newpath, int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_getxattr(struct io_uring_sqe *sqe, const char *name,
						char *value, const char *path, unsigned int len)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_setxattr(struct io_uring_sqe *sqe, const char *name,
						const char *value, const char *path, int flags,
						unsigned int len)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_fgetxattr(struct io_uring_sqe *sqe, int fd,
						 const char *name, char *value, unsigned int len)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_fsetxattr(struct io_uring_sqe *sqe, int fd,
						 const char *name, const char *value, int flags,
						 unsigned int len)
	LIBURING_NOEXCEPT;

/* ---- Provided buffers (legacy groups) ------------------------------------------------------- */

RAWRING_LIBURING_FN void io_uring_prep_provide_buffers(struct io_uring_sqe *sqe, void *addr,
						       int len, int nr, int bgid, int bid)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_remove_buffers(struct io_uring_sqe *sqe, int nr,
						      int bgid)
	LIBURING_NOEXCEPT;

/* ---- Ring-to-ring messages ------------------------------------------------------------------ */

RAWRING_LIBURING_FN void io_uring_prep_msg_ring_cqe_flags(struct io_uring_sqe *sqe, int fd,
							  unsigned int len, __u64 data,
							  unsigned int flags,
							  unsigned int cqe_flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_msg_ring(struct io_uring_sqe *sqe, int fd,
						unsigned int len, __u64 data, unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_msg_ring_fd(struct io_uring_sqe *sqe, int fd,
						   int source_fd, int target_fd, __u64 data,
						   unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_msg_ring_fd_alloc(struct io_uring_sqe *sqe, int fd,
							 int source_fd, __u64 data,
							 unsigned int flags)
	LIBURING_NOEXCEPT;

/* ---- Processes and futexes ------------------------------------------------------------------ */

RAWRING_LIBURING_FN void io_uring_prep_waitid(struct io_uring_sqe *sqe, idtype_t idtype,
					      id_t id, siginfo_t *infop, int options,
					      unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_futex_wake(struct io_uring_sqe *sqe,
						  const uint32_t *futex, uint64_t val,
						  uint64_t mask, uint32_t futex_flags,
						  unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_futex_wait(struct io_uring_sqe *sqe,
						  const uint32_t *futex, uint64_t val,
						  uint64_t mask, uint32_t futex_flags,
						  unsigned int flags)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_futex_waitv(struct io_uring_sqe *sqe,
						   const struct futex_waitv *futex,
						   uint32_t nr_futex, unsigned int flags)
	LIBURING_NOEXCEPT;

/* ---- Driver commands (URING_CMD) ------------------------------------------------------------ */

RAWRING_LIBURING_FN void io_uring_prep_uring_cmd(struct io_uring_sqe *sqe, int cmd_op, int fd)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_uring_cmd128(struct io_uring_sqe *sqe, int cmd_op,
						    int fd)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cmd_sock(struct io_uring_sqe *sqe, int cmd_op, int fd,
						int level, int optname, void *optval,
						int optlen)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cmd_getsockname(struct io_uring_sqe *sqe, int fd,
						       struct sockaddr *sockaddr,
						       socklen_t *sockaddr_len, int peer)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cmd_discard(struct io_uring_sqe *sqe, int fd,
						   uint64_t offset, uint64_t nbytes)
	LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_prep_cmd_zone_reset_all(struct io_uring_sqe *sqe, int fd)
	LIBURING_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* RAWRING_LIBURING_RAWRING_PREP_H */
