/* SPDX-License-Identifier: MIT */
/*
 * rawring's liburing face: liburing 2.15's API (functions, inline helpers, macros, types) over
 * rawring's core, for C (C99 and later) and C++ (C++11 and later).
 *
 * A program built with `-I<prefix>/include/rawring/liburing -I<prefix>/include` and linked with
 * `-lrawring-liburing -lrawring` (pkg-config: rawring-liburing) gets this file for
 * <liburing.h>. There is one ring state: `struct io_uring` below has liburing's members and
 * layout and *is* rawring's `rawring::ring_state` (include/rawring/ring.hpp) seen from C, so
 * programs may read and write its members and copy it by value, as with liburing. Every
 * function is a thin call onto rawring's core:
 *   - in C and in C++ before C++20 they are functions exported by librawring-liburing;
 *   - from C++20 on they are inline definitions (liburing/rawring_*_impl.hpp) that inline onto
 *     rawring's core; define RAWRING_LIBURING_NO_INLINE to get the exported functions instead.
 * Where liburing and rawring differ, this face behaves as liburing does; docs/liburing-compat.md
 * lists what remains different.
 */
#ifndef LIB_URING_H
#define LIB_URING_H

#if defined(__cplusplus) && __cplusplus >= 202002L && !defined(RAWRING_LIBURING_NO_INLINE)
#define RAWRING_LIBURING_INLINE 1
/* rawring's C++ core first: the IORING_* macros below would rewrite its constant names. */
#include <rawring/rawring.hpp>
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <inttypes.h>
#include <time.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/swab.h>
#include <sys/wait.h>
#include "liburing/compat.h"
#include "liburing/io_uring.h"
#include "liburing/io_uring_version.h"
#include "liburing/barrier.h"

#ifndef uring_unlikely
#define uring_unlikely(cond) __builtin_expect(!!(cond), 0)
#endif
#ifndef uring_likely
#define uring_likely(cond) __builtin_expect(!!(cond), 1)
#endif

/* The system call numbers liburing.h makes available (the same on every architecture but alpha
 * and mips). */
#ifdef __alpha__
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 535
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 536
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 537
#endif
#elif defined __mips__
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup (__NR_Linux + 425)
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter (__NR_Linux + 426)
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register (__NR_Linux + 427)
#endif
#else
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif
#endif

/* RAWRING_LIBURING_FN starts every declaration: `inline` where the definitions below are
 * inline (C++20), nothing where they are the library's. */
#ifdef RAWRING_LIBURING_INLINE
#define RAWRING_LIBURING_FN inline
#else
#define RAWRING_LIBURING_FN
#endif

/* rawring's C++20 core reads and writes the ring through its own (layout-identical) types;
 * marking the face's types may_alias keeps the compiler from assuming the two never overlap
 * once the calls are inlined. */
#if defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
#define RAWRING_LIBURING_ALIAS __attribute__((__may_alias__))
#else
#define RAWRING_LIBURING_ALIAS
#endif

#ifdef __cplusplus
#define LIBURING_NOEXCEPT noexcept
extern "C" {
#else
#define LIBURING_NOEXCEPT
#endif

/* ---- the ring state: liburing's layout, member for member -------------------------------- */

struct RAWRING_LIBURING_ALIAS io_uring_sq {
	unsigned *khead;
	unsigned *ktail;
	unsigned *kring_mask;		/* the kernel's copy; read ring_mask instead */
	unsigned *kring_entries;	/* the kernel's copy; read ring_entries instead */
	unsigned *kflags;
	unsigned *kdropped;
	unsigned *array;		/* NULL on a NO_SQARRAY ring */
	struct io_uring_sqe *sqes;

	unsigned sqe_head;		/* first SQE not yet handed to the kernel */
	unsigned sqe_tail;		/* one past the last SQE handed out */

	size_t ring_sz;
	void *ring_ptr;

	unsigned ring_mask;
	unsigned ring_entries;

	unsigned sqes_sz;		/* bytes of the SQE array */
	unsigned pad;			/* rawring keeps the SQE size shift here */
};

struct RAWRING_LIBURING_ALIAS io_uring_cq {
	unsigned *khead;
	unsigned *ktail;
	unsigned *kring_mask;
	unsigned *kring_entries;
	unsigned *kflags;		/* NULL where the kernel maps no CQ flags word */
	unsigned *koverflow;
	struct io_uring_cqe *cqes;

	size_t ring_sz;
	void *ring_ptr;

	unsigned ring_mask;
	unsigned ring_entries;

	unsigned pad[2];		/* rawring keeps the CQE size shift in pad[0] */
};

struct RAWRING_LIBURING_ALIAS io_uring {
	struct io_uring_sq sq;
	struct io_uring_cq cq;
	unsigned flags;			/* IORING_SETUP_* the ring was created with */
	int ring_fd;
	unsigned features;		/* IORING_FEAT_* the kernel reported */
	int enter_ring_fd;		/* the fd, or the registered index */
	__u8 int_flags;
	__u8 pad[3];			/* rawring: pad[0] is the wait clock */
	unsigned pad2;			/* rawring: the thread that registered the ring fd */
};

/* The refill queue of a zero-copy receive interface queue, as liburing declares it. */
struct io_uring_zcrx_rq {
	__u32 *khead;
	__u32 *ktail;
	__u32 rq_tail;
	unsigned ring_entries;

	struct io_uring_zcrx_rqe *rqes;
	void *ring_ptr;
};

/* A walk over the ready CQEs (io_uring_for_each_cqe is built on it). */
struct io_uring_cqe_iter {
	struct io_uring_cqe *cqes;
	unsigned mask;
	unsigned shift;
	unsigned head;
	unsigned tail;
};

#define LIBURING_UDATA_TIMEOUT ((__u64) -1)
#define LIBURING_HAVE_DATA64

/* ---- probe ------------------------------------------------------------------------------- */

/* A probe of the ring's opcodes in memory from malloc(); release it with io_uring_free_probe. */
RAWRING_LIBURING_FN struct io_uring_probe *io_uring_get_probe_ring(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct io_uring_probe *io_uring_get_probe(void) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_free_probe(struct io_uring_probe *probe) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_opcode_supported(const struct io_uring_probe *p, int op) LIBURING_NOEXCEPT;

/* ---- setup and teardown ------------------------------------------------------------------ */

RAWRING_LIBURING_FN int io_uring_queue_init_mem(unsigned entries, struct io_uring *ring,
		struct io_uring_params *p, void *buf, size_t buf_size) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_queue_init_params(unsigned entries, struct io_uring *ring,
		struct io_uring_params *p) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_queue_init(unsigned entries, struct io_uring *ring,
		unsigned flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_queue_mmap(int fd, struct io_uring_params *p,
		struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_ring_dontfork(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_queue_exit(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_resize_rings(struct io_uring *ring, struct io_uring_params *p) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN ssize_t io_uring_mlock_size(unsigned entries, unsigned flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN ssize_t io_uring_mlock_size_params(unsigned entries, struct io_uring_params *p) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN ssize_t io_uring_memory_size(unsigned entries, unsigned flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN ssize_t io_uring_memory_size_params(unsigned entries, struct io_uring_params *p) LIBURING_NOEXCEPT;
/* Not in liburing.h but used by liburing's own tests (its test/helpers.h). */
RAWRING_LIBURING_FN int __io_uring_queue_init_params(unsigned entries, struct io_uring *ring,
		struct io_uring_params *p, void *buf, size_t buf_size) LIBURING_NOEXCEPT;

/* ---- the system calls -------------------------------------------------------------------- */

RAWRING_LIBURING_FN int io_uring_enter(unsigned int fd, unsigned int to_submit,
		unsigned int min_complete, unsigned int flags, sigset_t *sig) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_enter2(unsigned int fd, unsigned int to_submit,
		unsigned int min_complete, unsigned int flags, void *arg, size_t sz) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_setup(unsigned int entries, struct io_uring_params *p) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register(unsigned int fd, unsigned int opcode, const void *arg,
		unsigned int nr_args) LIBURING_NOEXCEPT;

/* ---- submission -------------------------------------------------------------------------- */

RAWRING_LIBURING_FN struct io_uring_sqe *io_uring_get_sqe(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct io_uring_sqe *_io_uring_get_sqe(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct io_uring_sqe *io_uring_get_sqe128(struct io_uring *ring) LIBURING_NOEXCEPT;
/* Publishes the SQEs handed out so far; returns how many the kernel has yet to consume.
 * Internal to liburing, used by its tests. */
RAWRING_LIBURING_FN unsigned __io_uring_flush_sq(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_submit(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_submit_and_wait_timeout(struct io_uring *ring,
		struct io_uring_cqe **cqe_ptr, unsigned wait_nr, struct __kernel_timespec *ts,
		sigset_t *sigmask) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_submit_and_wait_min_timeout(struct io_uring *ring,
		struct io_uring_cqe **cqe_ptr, unsigned wait_nr, struct __kernel_timespec *ts,
		unsigned min_wait, sigset_t *sigmask) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_submit_and_wait_reg(struct io_uring *ring,
		struct io_uring_cqe **cqe_ptr, unsigned wait_nr, int reg_index) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_submit_and_get_events(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_get_events(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_set_iowait(struct io_uring *ring, bool enable_iowait) LIBURING_NOEXCEPT;

RAWRING_LIBURING_FN unsigned io_uring_load_sq_head(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_sq_ready(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_sq_space_left(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_sqe_shift_from_flags(unsigned flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_sqe_shift(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_sqring_wait(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int __io_uring_sqring_wait(struct io_uring *ring) LIBURING_NOEXCEPT;

/* ---- completion -------------------------------------------------------------------------- */

RAWRING_LIBURING_FN int __io_uring_get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		unsigned submit, unsigned wait_nr, sigset_t *sigmask) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int __io_uring_peek_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		unsigned *nr_available) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_peek_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_peek_batch_cqe(struct io_uring *ring,
		struct io_uring_cqe **cqes, unsigned count) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_wait_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_wait_cqe_nr(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		unsigned wait_nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_wait_cqe_timeout(struct io_uring *ring,
		struct io_uring_cqe **cqe_ptr, struct __kernel_timespec *ts) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_wait_cqes(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		unsigned wait_nr, struct __kernel_timespec *ts, sigset_t *sigmask) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_wait_cqes_min_timeout(struct io_uring *ring,
		struct io_uring_cqe **cqe_ptr, unsigned wait_nr, struct __kernel_timespec *ts,
		unsigned int min_ts_usec, sigset_t *sigmask) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_cq_advance(struct io_uring *ring, unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_cqe_seen(struct io_uring *ring, struct io_uring_cqe *cqe) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_cq_ready(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN bool io_uring_cq_has_overflow(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN bool io_uring_cq_eventfd_enabled(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_cq_eventfd_toggle(struct io_uring *ring, bool enabled) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_cqe_shift_from_flags(unsigned flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_cqe_shift(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned io_uring_cqe_nr(const struct io_uring_cqe *cqe) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct io_uring_cqe_iter io_uring_cqe_iter_init(const struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN bool io_uring_cqe_iter_next(struct io_uring_cqe_iter *iter,
		struct io_uring_cqe **cqe) LIBURING_NOEXCEPT;

/* The CQE at index `ptr` of the ring (a CQE32 ring's entries are two slots wide). */
#define io_uring_cqe_index(ring, ptr, mask) \
	(((ptr) & (mask)) << io_uring_cqe_shift(ring))

/* A for-header over the ready CQEs, not consuming them (io_uring_cq_advance afterwards).
 * `head` receives each CQE's index. */
#define io_uring_for_each_cqe(ring, head, cqe) \
	for (struct io_uring_cqe_iter rawring_cqe_iter_ = io_uring_cqe_iter_init(ring); \
	     (head) = rawring_cqe_iter_.head, io_uring_cqe_iter_next(&rawring_cqe_iter_, &(cqe)); \
	     (void) (head))

/* ---- registration ------------------------------------------------------------------------ */

RAWRING_LIBURING_FN int io_uring_register_buffers(struct io_uring *ring, const struct iovec *iovecs,
		unsigned nr_iovecs) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_buffers_tags(struct io_uring *ring,
		const struct iovec *iovecs, const __u64 *tags, unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_buffers_sparse(struct io_uring *ring, unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_buffers_update_tag(struct io_uring *ring, unsigned off,
		const struct iovec *iovecs, const __u64 *tags, unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_buffers(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_clone_buffers(struct io_uring *dst, struct io_uring *src) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int __io_uring_clone_buffers(struct io_uring *dst, struct io_uring *src,
		unsigned int flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_clone_buffers_offset(struct io_uring *dst, struct io_uring *src,
		unsigned int dst_off, unsigned int src_off, unsigned int nr,
		unsigned int flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int __io_uring_clone_buffers_offset(struct io_uring *dst, struct io_uring *src,
		unsigned int dst_off, unsigned int src_off, unsigned int nr,
		unsigned int flags) LIBURING_NOEXCEPT;

RAWRING_LIBURING_FN int io_uring_register_files(struct io_uring *ring, const int *files,
		unsigned nr_files) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_files_tags(struct io_uring *ring, const int *files,
		const __u64 *tags, unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_files_sparse(struct io_uring *ring, unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_files_update_tag(struct io_uring *ring, unsigned off,
		const int *files, const __u64 *tags, unsigned nr_files) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_files(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_files_update(struct io_uring *ring, unsigned off,
		const int *files, unsigned nr_files) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_file_alloc_range(struct io_uring *ring, unsigned off,
		unsigned len) LIBURING_NOEXCEPT;

RAWRING_LIBURING_FN int io_uring_register_eventfd(struct io_uring *ring, int fd) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_eventfd_async(struct io_uring *ring, int fd) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_eventfd(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_probe(struct io_uring *ring, struct io_uring_probe *p,
		unsigned nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_personality(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_personality(struct io_uring *ring, int id) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_restrictions(struct io_uring *ring,
		struct io_uring_restriction *res, unsigned int nr_res) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_enable_rings(struct io_uring *ring) LIBURING_NOEXCEPT;
#ifdef _GNU_SOURCE
RAWRING_LIBURING_FN int io_uring_register_iowq_aff(struct io_uring *ring, size_t cpusz,
		const cpu_set_t *mask) LIBURING_NOEXCEPT;
#endif
RAWRING_LIBURING_FN int io_uring_unregister_iowq_aff(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_iowq_max_workers(struct io_uring *ring,
		unsigned int *values) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_ring_fd(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_ring_fd(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_close_ring_fd(struct io_uring *ring) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_sync_cancel(struct io_uring *ring,
		struct io_uring_sync_cancel_reg *reg) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_sync_msg(struct io_uring_sqe *sqe) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_napi(struct io_uring *ring, struct io_uring_napi *napi) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_napi(struct io_uring *ring, struct io_uring_napi *napi) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_ifq(struct io_uring *ring,
		struct io_uring_zcrx_ifq_reg *reg) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_zcrx_ctrl(struct io_uring *ring, struct zcrx_ctrl *ctrl) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_clock(struct io_uring *ring,
		struct io_uring_clock_register *arg) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_region(struct io_uring *ring,
		struct io_uring_mem_region_reg *reg) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_wait_reg(struct io_uring *ring,
		struct io_uring_reg_wait *reg, int nr) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_bpf_filter(struct io_uring *ring,
		struct io_uring_bpf *bpf) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_bpf_filter_task(struct io_uring_bpf *bpf) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_register_query(struct io_uring_query_hdr *query) LIBURING_NOEXCEPT;

/* ---- provided-buffer rings --------------------------------------------------------------- */

RAWRING_LIBURING_FN int io_uring_register_buf_ring(struct io_uring *ring,
		struct io_uring_buf_reg *reg, unsigned int flags) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_unregister_buf_ring(struct io_uring *ring, int bgid) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_buf_ring_head(struct io_uring *ring, int buf_group,
		uint16_t *head) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct io_uring_buf_ring *io_uring_setup_buf_ring(struct io_uring *ring,
		unsigned int nentries, int bgid, unsigned int flags, int *err) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_free_buf_ring(struct io_uring *ring, struct io_uring_buf_ring *br,
		unsigned int nentries, int bgid) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_buf_ring_mask(__u32 ring_entries) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_buf_ring_init(struct io_uring_buf_ring *br) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_buf_ring_add(struct io_uring_buf_ring *br, void *addr,
		unsigned int len, unsigned short bid, int mask, int buf_offset) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_buf_ring_advance(struct io_uring_buf_ring *br, int count) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void __io_uring_buf_ring_cq_advance(struct io_uring *ring,
		struct io_uring_buf_ring *br, int cq_count, int buf_count) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void io_uring_buf_ring_cq_advance(struct io_uring *ring,
		struct io_uring_buf_ring *br, int count) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_buf_ring_available(struct io_uring *ring,
		struct io_uring_buf_ring *br, unsigned short bgid) LIBURING_NOEXCEPT;

/* ---- multishot recvmsg output ------------------------------------------------------------ */

RAWRING_LIBURING_FN struct io_uring_recvmsg_out *io_uring_recvmsg_validate(void *buf, int buf_len,
		struct msghdr *msgh) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void *io_uring_recvmsg_name(struct io_uring_recvmsg_out *o) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct cmsghdr *io_uring_recvmsg_cmsg_firsthdr(struct io_uring_recvmsg_out *o,
		struct msghdr *msgh) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN struct cmsghdr *io_uring_recvmsg_cmsg_nexthdr(struct io_uring_recvmsg_out *o,
		struct msghdr *msgh, struct cmsghdr *cmsg) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN void *io_uring_recvmsg_payload(struct io_uring_recvmsg_out *o,
		struct msghdr *msgh) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN unsigned int io_uring_recvmsg_payload_length(struct io_uring_recvmsg_out *o,
		int buf_len, struct msghdr *msgh) LIBURING_NOEXCEPT;

/* ---- version ----------------------------------------------------------------------------- */

RAWRING_LIBURING_FN int io_uring_major_version(void) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN int io_uring_minor_version(void) LIBURING_NOEXCEPT;
RAWRING_LIBURING_FN bool io_uring_check_version(int major, int minor) LIBURING_NOEXCEPT;

/* True when this header is older than major.minor (as liburing's macro: usable in #if). */
#define IO_URING_CHECK_VERSION(major, minor) \
	((major) > IO_URING_VERSION_MAJOR || \
	 ((major) == IO_URING_VERSION_MAJOR && (minor) > IO_URING_VERSION_MINOR))

#ifdef __cplusplus
}
#endif

/* ---- SQE and CQE accessors and every io_uring_prep_* helper ------------------------------ */
#include "liburing/rawring_prep.h"

/* ---- C++20: the definitions, inline onto rawring's core ---------------------------------- */
#ifdef RAWRING_LIBURING_INLINE
#define RAWRING_LIBURING_DEF inline
#include "liburing/rawring_queue_impl.hpp"
#include "liburing/rawring_register_impl.hpp"
#include "liburing/rawring_prep_impl.hpp"
#endif

#endif /* LIB_URING_H */
