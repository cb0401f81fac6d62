/* SPDX-License-Identifier: MIT */
/*
 * liburing-abi probe: prints rawring's liburing face as this compiler sees it, one
 * "kind name value" line per fact of liburing_abi_list.h, for liburing_abi_check.py to
 * compare with rawring::abi. C99 and later; it compiles as C++11 and later too. It also
 * runs each barrier.h helper once and the buffer-ring overlay, and exits 1 if one is wrong.
 */
#include <liburing/compat.h>
#include <liburing/io_uring.h>
#include <liburing/barrier.h>
#include <liburing/io_uring_version.h>

#include <stdio.h>

static void la_put(const char *kind, const char *name, unsigned long long value)
{
	printf("%s %s %llu\n", kind, name, value);
}

#include "liburing_abi_face.h"

/* Every named enum of the uapi can be spelled as a type */
static int enum_types(void)
{
	enum io_uring_sqe_flags_bit a = IOSQE_FIXED_FILE_BIT;
	enum io_uring_op b = IORING_OP_LAST;
	enum io_uring_msg_ring_flags c = IORING_MSG_SEND_FD;
	enum io_uring_register_op d = IORING_REGISTER_LAST;
	enum io_wq_type e = IO_WQ_UNBOUND;
	enum io_uring_register_pbuf_ring_flags f = IOU_PBUF_RING_INC;
	enum io_uring_napi_op g = IO_URING_NAPI_STATIC_DEL_ID;
	enum io_uring_napi_tracking_strategy h = IO_URING_NAPI_TRACKING_INACTIVE;
	enum io_uring_register_restriction_op i = IORING_RESTRICTION_LAST;
	enum io_uring_socket_op j = SOCKET_URING_OP_GETSOCKNAME;
	enum io_uring_zcrx_area_flags k = IORING_ZCRX_AREA_DMABUF;
	enum zcrx_reg_flags l = ZCRX_REG_NODEV;
	enum zcrx_features m = ZCRX_FEATURE_EVENT;
	enum zcrx_event_type n = ZCRX_EVENT_COPY;
	enum zcrx_event_desc_flags p = ZCRX_EVENT_DESC_FLAG_STATS;
	enum zcrx_ctrl_op q = ZCRX_CTRL_ARM_EVENT;
	return (int)a + (int)b + (int)c + (int)d + (int)e + (int)f + (int)g + (int)h + (int)i +
	       (int)j + (int)k + (int)l + (int)m + (int)n + (int)p + (int)q;
}

/* Each barrier.h helper, on a 32-bit ring word and on a buffer ring's 16-bit tail */
static int barriers(void)
{
	static struct io_uring_buf storage[4];
	/* seen through a volatile pointer, as a mapped ring would be: g++ -O2 otherwise warns
	 * that bufs[2] is past the zero-length bufs[] of the storage it can see */
	struct io_uring_buf_ring *volatile ring_ptr = (struct io_uring_buf_ring *)storage;
	struct io_uring_buf_ring *br = ring_ptr;
	unsigned word = 0;
	const unsigned *cword = &word;
	unsigned r;
	int ok = 1;

	IO_URING_WRITE_ONCE(word, 1U);
	r = IO_URING_READ_ONCE(*cword);
	ok &= r == 1;
	io_uring_smp_store_release(&word, r + 1);
	r = io_uring_smp_load_acquire(cword);
	ok &= r == 2;
	io_uring_smp_mb();

	/* the tail is bufs[0].resv; entries live in bufs[] */
	io_uring_smp_store_release(&br->tail, (__u16)3);
	ok &= storage[0].resv == 3;
	storage[0].resv = 5;
	ok &= IO_URING_READ_ONCE(br->tail) == 5;
	br->bufs[2].len = 4096;
	ok &= storage[2].len == 4096;
	return ok;
}

int main(void)
{
	int ok = barriers();
	la_face_facts();
	if (enum_types() < 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "liburing-abi probe: a barrier.h helper or the buffer-ring overlay is wrong\n");
	return ok ? 0 : 1;
}
