/* SPDX-License-Identifier: MIT */
/*
 * A program as liburing's users write one, built against rawring's liburing face: a NOP and a
 * write of a few bytes to a temporary file in one submission, the CQEs walked with
 * io_uring_for_each_cqe, the ring copied by value, and the opcode probe. Written in the common
 * subset of C11 and C++11: each liburing consumer test (Meson subproject, pkg-config, CMake)
 * builds it as C11 (the library's functions), as C++17 (the same) and as C++20 (the inline
 * definitions), and checks the first line it prints names the build it expects.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* liburing.h needs sigset_t and friends, as liburing's own header does */
#endif
#include <liburing.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__cplusplus) && __cplusplus >= 202002L
#define CONSUMER_LANGUAGE "c++20"
#elif defined(__cplusplus) && __cplusplus >= 201703L
#define CONSUMER_LANGUAGE "c++17"
#elif defined(__cplusplus)
#define CONSUMER_LANGUAGE "c++ before c++17"
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201710L
#define CONSUMER_LANGUAGE "c17 or later"
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CONSUMER_LANGUAGE "c11"
#else
#define CONSUMER_LANGUAGE "c before c11"
#endif

/* Which definitions liburing.h gave this program: its own inline ones (C++20) or the
 * declarations of librawring-liburing's exported functions. */
#ifdef RAWRING_LIBURING_INLINE
#define CONSUMER_PATH "inline"
#else
#define CONSUMER_PATH "library"
#endif

#define NOP_DATA 0x1111u
#define WRITE_DATA 0x2222u
#define ENTRIES 8u

static int fail(const char *what, long value)
{
	fprintf(stderr, "liburing consumer: %s (%ld)\n", what, value);
	return 1;
}

int main(void)
{
	static const char text[] = "rawring's liburing\n";
	const unsigned len = (unsigned) (sizeof text - 1);
	struct io_uring ring;
	struct io_uring copy;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring_probe *probe;
	unsigned head;
	unsigned seen = 0;
	int nop_done = 0, write_done = 0;
	char path[4096];
	char buf[64];
	const char *tmp = getenv("TMPDIR");
	int fd, ret;

	printf("liburing consumer: " CONSUMER_LANGUAGE ", " CONSUMER_PATH "\n");

	ret = io_uring_queue_init(ENTRIES, &ring, 0);
	if (ret == -EPERM || ret == -ENOSYS) {
		printf("SKIP: io_uring unavailable: %s\n", strerror(-ret));
		return 77;
	}
	if (ret < 0)
		return fail("io_uring_queue_init", ret);

	/* struct io_uring is plain data: a copy reads the same fd and sizes. */
	copy = ring;
	if (ring.ring_fd < 0 || copy.ring_fd != ring.ring_fd)
		return fail("ring_fd of the copy", copy.ring_fd);
	if (copy.sq.ring_entries != ENTRIES || copy.cq.ring_entries != 2 * ENTRIES)
		return fail("ring_entries of the copy", (long) copy.sq.ring_entries);
	if (io_uring_sq_space_left(&copy) != ENTRIES)
		return fail("sq_space_left of the copy", (long) io_uring_sq_space_left(&copy));

	snprintf(path, sizeof path, "%s/rawring-liburing-XXXXXX", tmp != NULL ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return fail("mkstemp", fd);
	unlink(path);

	/* One submission: a NOP and a write of `text` at offset 0. */
	sqe = io_uring_get_sqe(&ring);
	if (sqe == NULL)
		return fail("io_uring_get_sqe for the NOP", 0);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, NOP_DATA);
	sqe = io_uring_get_sqe(&ring);
	if (sqe == NULL)
		return fail("io_uring_get_sqe for the write", 0);
	io_uring_prep_write(sqe, fd, text, len, 0);
	io_uring_sqe_set_data64(sqe, WRITE_DATA);
	if (io_uring_sq_ready(&ring) != 2)
		return fail("io_uring_sq_ready before submitting", (long) io_uring_sq_ready(&ring));

	ret = io_uring_submit_and_wait(&ring, 2);
	if (ret != 2)
		return fail("io_uring_submit_and_wait", ret);
	if (io_uring_sq_ready(&ring) != 0 || io_uring_cq_ready(&ring) != 2)
		return fail("io_uring_cq_ready after the wait", (long) io_uring_cq_ready(&ring));

	io_uring_for_each_cqe(&ring, head, cqe) {
		const __u64 data = io_uring_cqe_get_data64(cqe);
		++seen;
		if (data == NOP_DATA && !nop_done) {
			if (cqe->res != 0)
				return fail("the NOP's res", cqe->res);
			nop_done = 1;
		} else if (data == WRITE_DATA && !write_done) {
			if (cqe->res != (int) len)
				return fail("the write's res", cqe->res);
			write_done = 1;
		} else {
			return fail("a CQE with unexpected user_data", (long) data);
		}
	}
	if (seen != 2 || !nop_done || !write_done)
		return fail("CQEs seen by io_uring_for_each_cqe", (long) seen);
	io_uring_cq_advance(&ring, seen);
	if (io_uring_cq_ready(&ring) != 0)
		return fail("io_uring_cq_ready after io_uring_cq_advance", (long) io_uring_cq_ready(&ring));

	memset(buf, 0, sizeof buf);
	ret = (int) pread(fd, buf, sizeof buf, 0);
	close(fd);
	if (ret != (int) len || memcmp(buf, text, len) != 0)
		return fail("the file's bytes after the write", ret);

	probe = io_uring_get_probe();
	if (probe == NULL)
		return fail("io_uring_get_probe", 0);
	if (!io_uring_opcode_supported(probe, IORING_OP_NOP) ||
	    !io_uring_opcode_supported(probe, IORING_OP_WRITE))
		return fail("io_uring_opcode_supported: NOP and WRITE", probe->last_op);
	if (io_uring_opcode_supported(probe, probe->last_op + 1))
		return fail("io_uring_opcode_supported past last_op", probe->last_op);
	io_uring_free_probe(probe);

	io_uring_queue_exit(&ring);

	printf("liburing consumer: nop ok, write %u bytes ok, probe ok\n", len);
	return 0;
}
