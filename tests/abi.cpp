// SPDX-License-Identifier: MIT
// Unit tests of the kernel ABI mirror (abi.hpp) and of the opcode table (opcodes.hpp).

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "rawring/abi.hpp"
#include "rawring/opcodes.hpp"

namespace abi = rawring::abi;

namespace {

template <class T>
constexpr bool plain_struct = std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>;

} // namespace

TEST_SUITE("unit")
{
    TEST_CASE("abi: struct sizes and offsets")
    {
        // Sizes, from the uapi header (REFERENCE.md section 3.9).
        CHECK(sizeof(abi::io_uring_sqe) == 64);
        CHECK(sizeof(abi::io_uring_cqe) == 16);
        CHECK(sizeof(abi::io_uring_cqe32) == 32);
        CHECK(sizeof(abi::io_uring_params) == 120);
        CHECK(sizeof(abi::io_sqring_offsets) == 40);
        CHECK(sizeof(abi::io_cqring_offsets) == 40);
        CHECK(sizeof(abi::kernel_timespec) == 16);
        CHECK(sizeof(abi::open_how) == 24);
        CHECK(sizeof(abi::futex_waitv) == 24);
        CHECK(sizeof(abi::io_timespec) == 16);
        CHECK(sizeof(abi::io_uring_attr_pi) == 32);
        CHECK(sizeof(abi::io_uring_buf) == 16);
        CHECK(sizeof(abi::io_uring_buf_ring) == 16);
        CHECK(sizeof(abi::io_uring_buf_reg) == 40);
        CHECK(sizeof(abi::io_uring_buf_status) == 40);
        CHECK(sizeof(abi::io_uring_rsrc_register) == 32);
        CHECK(sizeof(abi::io_uring_rsrc_update) == 16);
        CHECK(sizeof(abi::io_uring_rsrc_update2) == 32);
        CHECK(sizeof(abi::io_uring_files_update) == 16);
        CHECK(sizeof(abi::io_uring_probe) == 16);
        CHECK(sizeof(abi::io_uring_probe_op) == 8);
        CHECK(sizeof(abi::io_uring_restriction) == 16);
        CHECK(sizeof(abi::io_uring_task_restriction) == 16);
        CHECK(sizeof(abi::io_uring_getevents_arg) == 24);
        CHECK(sizeof(abi::io_uring_reg_wait) == 64);
        CHECK(sizeof(abi::io_uring_sync_cancel_reg) == 64);
        CHECK(sizeof(abi::io_uring_file_index_range) == 16);
        CHECK(sizeof(abi::io_uring_recvmsg_out) == 16);
        CHECK(sizeof(abi::io_uring_napi) == 16);
        CHECK(sizeof(abi::io_uring_clone_buffers) == 32);
        CHECK(sizeof(abi::io_uring_clock_register) == 16);
        CHECK(sizeof(abi::io_uring_region_desc) == 64);
        CHECK(sizeof(abi::io_uring_mem_region_reg) == 32);
        CHECK(sizeof(abi::io_uring_zcrx_rqe) == 16);
        CHECK(sizeof(abi::io_uring_zcrx_cqe) == 16);
        CHECK(sizeof(abi::io_uring_zcrx_offsets) == 32);
        CHECK(sizeof(abi::io_uring_zcrx_area_reg) == 48);
        CHECK(sizeof(abi::io_uring_zcrx_ifq_reg) == 96);
        CHECK(sizeof(abi::zcrx_ctrl) == 72);
        CHECK(sizeof(abi::zcrx_event_desc) == 96);
        CHECK(sizeof(abi::zcrx_stats) == 16);
        CHECK(sizeof(abi::io_uring_query_hdr) == 40);
        CHECK(sizeof(abi::io_uring_query_opcode) == 48);
        CHECK(sizeof(abi::io_uring_query_zcrx) == 40);
        CHECK(sizeof(abi::io_uring_query_scq) == 16);
        CHECK(sizeof(abi::io_uring_query_zcrx_notif) == 48);
        CHECK(sizeof(abi::io_uring_bpf_ctx) == 40);
        CHECK(sizeof(abi::io_uring_bpf_filter) == 64);
        CHECK(sizeof(abi::io_uring_bpf) == 72);

        // io_uring_sqe: every field.
        CHECK(offsetof(abi::io_uring_sqe, opcode) == 0);
        CHECK(offsetof(abi::io_uring_sqe, flags) == 1);
        CHECK(offsetof(abi::io_uring_sqe, ioprio) == 2);
        CHECK(offsetof(abi::io_uring_sqe, fd) == 4);
        CHECK(offsetof(abi::io_uring_sqe, off) == 8);
        CHECK(offsetof(abi::io_uring_sqe, addr2) == 8);
        CHECK(offsetof(abi::io_uring_sqe, cmd_op) == 8);
        CHECK(offsetof(abi::io_uring_sqe, addr) == 16);
        CHECK(offsetof(abi::io_uring_sqe, splice_off_in) == 16);
        CHECK(offsetof(abi::io_uring_sqe, sockopt) == 16);
        CHECK(offsetof(abi::io_uring_sqe, len) == 24);
        CHECK(offsetof(abi::io_uring_sqe, rw_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, fsync_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, poll_events) == 28);
        CHECK(offsetof(abi::io_uring_sqe, poll32_events) == 28);
        CHECK(offsetof(abi::io_uring_sqe, sync_range_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, msg_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, timeout_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, accept_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, cancel_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, open_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, statx_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, fadvise_advice) == 28);
        CHECK(offsetof(abi::io_uring_sqe, splice_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, rename_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, unlink_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, hardlink_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, xattr_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, msg_ring_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, uring_cmd_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, waitid_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, futex_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, install_fd_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, nop_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, pipe_flags) == 28);
        CHECK(offsetof(abi::io_uring_sqe, user_data) == 32);
        CHECK(offsetof(abi::io_uring_sqe, buf_index) == 40);
        CHECK(offsetof(abi::io_uring_sqe, buf_group) == 40);
        CHECK(offsetof(abi::io_uring_sqe, personality) == 42);
        CHECK(offsetof(abi::io_uring_sqe, splice_fd_in) == 44);
        CHECK(offsetof(abi::io_uring_sqe, file_index) == 44);
        CHECK(offsetof(abi::io_uring_sqe, zcrx_ifq_idx) == 44);
        CHECK(offsetof(abi::io_uring_sqe, optlen) == 44);
        CHECK(offsetof(abi::io_uring_sqe, addr_len) == 44);
        CHECK(offsetof(abi::io_uring_sqe, write_stream) == 44);
        CHECK(offsetof(abi::io_uring_sqe, addr3) == 48);
        CHECK(offsetof(abi::io_uring_sqe, attr_ptr) == 48);
        CHECK(offsetof(abi::io_uring_sqe, optval) == 48);
        CHECK(offsetof(abi::io_uring_sqe, pad2) == 56);
        CHECK(offsetof(abi::io_uring_sqe, attr_type_mask) == 56);
        CHECK(sizeof(abi::io_uring_sqe{}.poll_events) == 2);
        CHECK(sizeof(abi::io_uring_sqe{}.buf_index) == 2);
        CHECK(sizeof(abi::io_uring_sqe{}.addr_len) == 2);
        CHECK(offsetof(abi::sockopt_level, level) == 0);
        CHECK(offsetof(abi::sockopt_level, optname) == 4);

        // sqe.cmd() is byte 48, inside the same object.
        abi::io_uring_sqe sqe{};
        CHECK(sqe.cmd() - reinterpret_cast<std::uint8_t*>(&sqe) == 48);
        const abi::io_uring_sqe& csqe = sqe;
        CHECK(csqe.cmd() == sqe.cmd());
        CHECK(abi::IORING_SQE_CMD_BYTES == 16);
        CHECK(abi::IORING_SQE128_CMD_BYTES == 80);

        // The sockopt overlay shares storage with addr: level is the low-address word.
        sqe.sockopt.level = 0x11223344u;
        sqe.sockopt.optname = 0x55667788u;
        std::uint32_t words[2];
        std::memcpy(words, reinterpret_cast<const unsigned char*>(&sqe) + 16, sizeof(words));
        CHECK(words[0] == 0x11223344u);
        CHECK(words[1] == 0x55667788u);

        // io_uring_cqe / io_uring_cqe32.
        CHECK(offsetof(abi::io_uring_cqe, user_data) == 0);
        CHECK(offsetof(abi::io_uring_cqe, res) == 8);
        CHECK(offsetof(abi::io_uring_cqe, flags) == 12);
        CHECK(offsetof(abi::io_uring_cqe32, user_data) == 0);
        CHECK(offsetof(abi::io_uring_cqe32, res) == 8);
        CHECK(offsetof(abi::io_uring_cqe32, flags) == 12);
        CHECK(offsetof(abi::io_uring_cqe32, big_cqe) == 16);

        // io_uring_params.
        CHECK(offsetof(abi::io_uring_params, sq_entries) == 0);
        CHECK(offsetof(abi::io_uring_params, cq_entries) == 4);
        CHECK(offsetof(abi::io_uring_params, flags) == 8);
        CHECK(offsetof(abi::io_uring_params, sq_thread_cpu) == 12);
        CHECK(offsetof(abi::io_uring_params, sq_thread_idle) == 16);
        CHECK(offsetof(abi::io_uring_params, features) == 20);
        CHECK(offsetof(abi::io_uring_params, wq_fd) == 24);
        CHECK(offsetof(abi::io_uring_params, resv) == 28);
        CHECK(offsetof(abi::io_uring_params, sq_off) == 40);
        CHECK(offsetof(abi::io_uring_params, cq_off) == 80);

        // io_sqring_offsets / io_cqring_offsets.
        CHECK(offsetof(abi::io_sqring_offsets, head) == 0);
        CHECK(offsetof(abi::io_sqring_offsets, tail) == 4);
        CHECK(offsetof(abi::io_sqring_offsets, ring_mask) == 8);
        CHECK(offsetof(abi::io_sqring_offsets, ring_entries) == 12);
        CHECK(offsetof(abi::io_sqring_offsets, flags) == 16);
        CHECK(offsetof(abi::io_sqring_offsets, dropped) == 20);
        CHECK(offsetof(abi::io_sqring_offsets, array) == 24);
        CHECK(offsetof(abi::io_sqring_offsets, resv1) == 28);
        CHECK(offsetof(abi::io_sqring_offsets, user_addr) == 32);
        CHECK(offsetof(abi::io_cqring_offsets, head) == 0);
        CHECK(offsetof(abi::io_cqring_offsets, tail) == 4);
        CHECK(offsetof(abi::io_cqring_offsets, ring_mask) == 8);
        CHECK(offsetof(abi::io_cqring_offsets, ring_entries) == 12);
        CHECK(offsetof(abi::io_cqring_offsets, overflow) == 16);
        CHECK(offsetof(abi::io_cqring_offsets, cqes) == 20);
        CHECK(offsetof(abi::io_cqring_offsets, flags) == 24);
        CHECK(offsetof(abi::io_cqring_offsets, resv1) == 28);
        CHECK(offsetof(abi::io_cqring_offsets, user_addr) == 32);

        // Provided-buffer ring: the tail overlays bufs[0].resv.
        CHECK(offsetof(abi::io_uring_buf, addr) == 0);
        CHECK(offsetof(abi::io_uring_buf, len) == 8);
        CHECK(offsetof(abi::io_uring_buf, bid) == 12);
        CHECK(offsetof(abi::io_uring_buf, resv) == 14);
        CHECK(offsetof(abi::io_uring_buf_ring, resv1) == 0);
        CHECK(offsetof(abi::io_uring_buf_ring, resv2) == 8);
        CHECK(offsetof(abi::io_uring_buf_ring, resv3) == 12);
        CHECK(offsetof(abi::io_uring_buf_ring, tail) == 14);
        abi::io_uring_buf storage[4]{};
        auto* br = reinterpret_cast<abi::io_uring_buf_ring*>(&storage[0]);
        CHECK(static_cast<void*>(br->bufs()) == static_cast<void*>(&storage[0]));
        CHECK(static_cast<void*>(&br->bufs()[3]) == static_cast<void*>(&storage[3]));
        CHECK(static_cast<void*>(&br->tail) == static_cast<void*>(&storage[0].resv));
        CHECK(offsetof(abi::io_uring_buf_reg, ring_addr) == 0);
        CHECK(offsetof(abi::io_uring_buf_reg, ring_entries) == 8);
        CHECK(offsetof(abi::io_uring_buf_reg, bgid) == 12);
        CHECK(offsetof(abi::io_uring_buf_reg, flags) == 14);
        CHECK(offsetof(abi::io_uring_buf_reg, min_left) == 16);
        CHECK(offsetof(abi::io_uring_buf_reg, resv) == 20);
        CHECK(offsetof(abi::io_uring_buf_status, head) == 4);

        // Probe: header, then ops right after it.
        CHECK(offsetof(abi::io_uring_probe, last_op) == 0);
        CHECK(offsetof(abi::io_uring_probe, ops_len) == 1);
        CHECK(offsetof(abi::io_uring_probe, resv) == 2);
        CHECK(offsetof(abi::io_uring_probe, resv2) == 4);
        CHECK(offsetof(abi::io_uring_probe_op, op) == 0);
        CHECK(offsetof(abi::io_uring_probe_op, resv) == 1);
        CHECK(offsetof(abi::io_uring_probe_op, flags) == 2);
        CHECK(offsetof(abi::io_uring_probe_op, resv2) == 4);
        alignas(abi::io_uring_probe) unsigned char probe_buf[16 + 4 * 8]{};
        auto* probe = reinterpret_cast<abi::io_uring_probe*>(probe_buf);
        CHECK(reinterpret_cast<unsigned char*>(probe->ops()) - probe_buf == 16);
        CHECK(reinterpret_cast<unsigned char*>(&probe->ops()[2]) - probe_buf == 32);

        // Restrictions.
        CHECK(offsetof(abi::io_uring_restriction, opcode) == 0);
        CHECK(offsetof(abi::io_uring_restriction, register_op) == 2);
        CHECK(offsetof(abi::io_uring_restriction, sqe_op) == 2);
        CHECK(offsetof(abi::io_uring_restriction, sqe_flags) == 2);
        CHECK(offsetof(abi::io_uring_restriction, resv) == 3);
        CHECK(offsetof(abi::io_uring_restriction, resv2) == 4);

        // Wait and cancel arguments.
        CHECK(offsetof(abi::io_uring_getevents_arg, sigmask) == 0);
        CHECK(offsetof(abi::io_uring_getevents_arg, sigmask_sz) == 8);
        CHECK(offsetof(abi::io_uring_getevents_arg, min_wait_usec) == 12);
        CHECK(offsetof(abi::io_uring_getevents_arg, ts) == 16);
        CHECK(offsetof(abi::io_uring_reg_wait, ts) == 0);
        CHECK(offsetof(abi::io_uring_reg_wait, min_wait_usec) == 16);
        CHECK(offsetof(abi::io_uring_reg_wait, flags) == 20);
        CHECK(offsetof(abi::io_uring_reg_wait, sigmask) == 24);
        CHECK(offsetof(abi::io_uring_reg_wait, sigmask_sz) == 32);
        CHECK(offsetof(abi::io_uring_reg_wait, pad) == 36);
        CHECK(offsetof(abi::io_uring_reg_wait, pad2) == 48);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, addr) == 0);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, fd) == 8);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, flags) == 12);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, timeout) == 16);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, opcode) == 32);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, pad) == 33);
        CHECK(offsetof(abi::io_uring_sync_cancel_reg, pad2) == 40);
        CHECK(offsetof(abi::kernel_timespec, tv_sec) == 0);
        CHECK(offsetof(abi::kernel_timespec, tv_nsec) == 8);

        // Resource registration.
        CHECK(offsetof(abi::io_uring_rsrc_register, nr) == 0);
        CHECK(offsetof(abi::io_uring_rsrc_register, flags) == 4);
        CHECK(offsetof(abi::io_uring_rsrc_register, resv2) == 8);
        CHECK(offsetof(abi::io_uring_rsrc_register, data) == 16);
        CHECK(offsetof(abi::io_uring_rsrc_register, tags) == 24);
        CHECK(offsetof(abi::io_uring_rsrc_update, offset) == 0);
        CHECK(offsetof(abi::io_uring_rsrc_update, data) == 8);
        CHECK(offsetof(abi::io_uring_rsrc_update2, data) == 8);
        CHECK(offsetof(abi::io_uring_rsrc_update2, tags) == 16);
        CHECK(offsetof(abi::io_uring_rsrc_update2, nr) == 24);
        CHECK(offsetof(abi::io_uring_files_update, fds) == 8);

        // Miscellaneous register arguments.
        CHECK(offsetof(abi::io_uring_file_index_range, len) == 4);
        CHECK(offsetof(abi::io_uring_file_index_range, resv) == 8);
        CHECK(offsetof(abi::io_uring_recvmsg_out, namelen) == 0);
        CHECK(offsetof(abi::io_uring_recvmsg_out, controllen) == 4);
        CHECK(offsetof(abi::io_uring_recvmsg_out, payloadlen) == 8);
        CHECK(offsetof(abi::io_uring_recvmsg_out, flags) == 12);
        CHECK(offsetof(abi::io_uring_napi, busy_poll_to) == 0);
        CHECK(offsetof(abi::io_uring_napi, prefer_busy_poll) == 4);
        CHECK(offsetof(abi::io_uring_napi, opcode) == 5);
        CHECK(offsetof(abi::io_uring_napi, op_param) == 8);
        CHECK(offsetof(abi::io_uring_clone_buffers, src_fd) == 0);
        CHECK(offsetof(abi::io_uring_clone_buffers, flags) == 4);
        CHECK(offsetof(abi::io_uring_clone_buffers, src_off) == 8);
        CHECK(offsetof(abi::io_uring_clone_buffers, dst_off) == 12);
        CHECK(offsetof(abi::io_uring_clone_buffers, nr) == 16);
        CHECK(offsetof(abi::io_uring_region_desc, user_addr) == 0);
        CHECK(offsetof(abi::io_uring_region_desc, size) == 8);
        CHECK(offsetof(abi::io_uring_region_desc, flags) == 16);
        CHECK(offsetof(abi::io_uring_region_desc, id) == 20);
        CHECK(offsetof(abi::io_uring_region_desc, mmap_offset) == 24);
        CHECK(offsetof(abi::io_uring_mem_region_reg, region_uptr) == 0);
        CHECK(offsetof(abi::io_uring_mem_region_reg, flags) == 8);
        CHECK(offsetof(abi::futex_waitv, uaddr) == 8);
        CHECK(offsetof(abi::futex_waitv, flags) == 16);
        CHECK(offsetof(abi::open_how, mode) == 8);
        CHECK(offsetof(abi::open_how, resolve) == 16);

        // zcrx, query, bpf filter.
        CHECK(offsetof(abi::io_uring_zcrx_rqe, len) == 8);
        CHECK(offsetof(abi::io_uring_zcrx_ifq_reg, area_ptr) == 16);
        CHECK(offsetof(abi::io_uring_zcrx_ifq_reg, region_ptr) == 24);
        CHECK(offsetof(abi::io_uring_zcrx_ifq_reg, offsets) == 32);
        CHECK(offsetof(abi::io_uring_zcrx_ifq_reg, zcrx_id) == 64);
        CHECK(offsetof(abi::io_uring_zcrx_ifq_reg, rx_buf_len) == 68);
        CHECK(offsetof(abi::io_uring_zcrx_ifq_reg, event_desc) == 72);
        CHECK(offsetof(abi::io_uring_zcrx_area_reg, flags) == 24);
        CHECK(offsetof(abi::io_uring_zcrx_area_reg, dmabuf_fd) == 28);
        CHECK(offsetof(abi::zcrx_ctrl, zc_export) == 24);
        CHECK(offsetof(abi::io_uring_query_hdr, query_op) == 16);
        CHECK(offsetof(abi::io_uring_query_hdr, size) == 20);
        CHECK(offsetof(abi::io_uring_query_hdr, result) == 24);
        CHECK(offsetof(abi::io_uring_query_opcode, feature_flags) == 8);
        CHECK(offsetof(abi::io_uring_query_opcode, nr_query_opcodes) == 40);
        CHECK(offsetof(abi::io_uring_bpf_ctx, opcode) == 8);
        CHECK(offsetof(abi::io_uring_bpf_ctx, pdu_size) == 10);
        CHECK(offsetof(abi::io_uring_bpf_ctx, socket) == 16);
        CHECK(offsetof(abi::io_uring_bpf_filter, pdu_size) == 12);
        CHECK(offsetof(abi::io_uring_bpf_filter, filter_ptr) == 16);
        CHECK(offsetof(abi::io_uring_bpf, filter) == 8);

        // Every struct is a plain C layout that can be memcpy'd to and from the kernel.
        CHECK(plain_struct<abi::io_uring_sqe>);
        CHECK(plain_struct<abi::io_uring_cqe>);
        CHECK(plain_struct<abi::io_uring_cqe32>);
        CHECK(plain_struct<abi::io_uring_params>);
        CHECK(plain_struct<abi::io_uring_buf_ring>);
        CHECK(plain_struct<abi::io_uring_probe>);
        CHECK(plain_struct<abi::io_uring_restriction>);
        CHECK(plain_struct<abi::io_uring_reg_wait>);
        CHECK(plain_struct<abi::io_uring_zcrx_ifq_reg>);
        CHECK(plain_struct<abi::zcrx_ctrl>);
        CHECK(plain_struct<abi::io_uring_bpf_ctx>);
        CHECK(plain_struct<abi::io_uring_bpf>);
    }

    TEST_CASE("abi: opcode numbers")
    {
        CHECK(abi::IORING_OP_NOP == 0);
        CHECK(abi::IORING_OP_READV == 1);
        CHECK(abi::IORING_OP_POLL_ADD == 6);
        CHECK(abi::IORING_OP_TIMEOUT == 11);
        CHECK(abi::IORING_OP_ACCEPT == 13);
        CHECK(abi::IORING_OP_CLOSE == 19);
        CHECK(abi::IORING_OP_READ == 22);
        CHECK(abi::IORING_OP_WRITE == 23);
        CHECK(abi::IORING_OP_OPENAT2 == 28);
        CHECK(abi::IORING_OP_EPOLL_CTL == 29);
        CHECK(abi::IORING_OP_SPLICE == 30);
        CHECK(abi::IORING_OP_MSG_RING == 40);
        CHECK(abi::IORING_OP_URING_CMD == 46);
        CHECK(abi::IORING_OP_WAITID == 50);
        CHECK(abi::IORING_OP_FUTEX_WAITV == 53);
        CHECK(abi::IORING_OP_RECV_ZC == 58);
        CHECK(abi::IORING_OP_PIPE == 62);
        CHECK(abi::IORING_OP_NOP128 == 63);
        CHECK(abi::IORING_OP_URING_CMD128 == 64);
        CHECK(abi::IORING_OP_LAST == 65);
        CHECK(sizeof(abi::io_uring_op) == 1);

        CHECK(abi::IORING_REGISTER_BUFFERS == 0);
        CHECK(abi::IORING_UNREGISTER_BUFFERS == 1);
        CHECK(abi::IORING_REGISTER_PBUF_RING == 22);
        CHECK(abi::IORING_REGISTER_RESIZE_RINGS == 33);
        CHECK(abi::IORING_REGISTER_MEM_REGION == 34);
        CHECK(abi::IORING_REGISTER_QUERY == 35);
        CHECK(abi::IORING_REGISTER_ZCRX_CTRL == 36);
        CHECK(abi::IORING_REGISTER_BPF_FILTER == 37);
        CHECK(abi::IORING_REGISTER_LAST == 38);
        CHECK(abi::IORING_REGISTER_USE_REGISTERED_RING == (1u << 31));
        CHECK(sizeof(abi::io_uring_register_op) == 4);

        CHECK(abi::IORING_SETUP_IOPOLL == 1u);
        CHECK(abi::IORING_SETUP_SQPOLL == (1u << 1));
        CHECK(abi::IORING_SETUP_SQE128 == (1u << 10));
        CHECK(abi::IORING_SETUP_CQE32 == (1u << 11));
        CHECK(abi::IORING_SETUP_DEFER_TASKRUN == (1u << 13));
        CHECK(abi::IORING_SETUP_NO_SQARRAY == (1u << 16));
        CHECK(abi::IORING_SETUP_CQE_MIXED == (1u << 18));
        CHECK(abi::IORING_SETUP_SQE_MIXED == (1u << 19));
        CHECK(abi::IORING_SETUP_SQ_REWIND == (1u << 20));

        CHECK(abi::IORING_FEAT_SINGLE_MMAP == 1u);
        CHECK(abi::IORING_FEAT_EXT_ARG == (1u << 8));
        CHECK(abi::IORING_FEAT_NO_IOWAIT == (1u << 17));

        CHECK(abi::IORING_ENTER_GETEVENTS == 1u);
        CHECK(abi::IORING_ENTER_EXT_ARG == (1u << 3));
        CHECK(abi::IORING_ENTER_NO_IOWAIT == (1u << 7));

        CHECK(abi::IOSQE_FIXED_FILE == 1u);
        CHECK(abi::IOSQE_IO_LINK == (1u << 2));
        CHECK(abi::IOSQE_CQE_SKIP_SUCCESS == (1u << 6));
        CHECK(abi::IORING_CQE_F_MORE == (1u << 1));
        CHECK(abi::IORING_CQE_F_SKIP == (1u << 5));
        CHECK(abi::IORING_CQE_F_32 == (1u << 15));
        CHECK(abi::IORING_CQE_BUFFER_SHIFT == 16);
        CHECK(abi::IORING_CQE_F_TSTAMP_HW == (1u << 16));
        CHECK(abi::IORING_TIMESTAMP_TYPE_SHIFT == 17);

        CHECK(abi::IORING_OFF_SQ_RING == 0);
        CHECK(abi::IORING_OFF_CQ_RING == 0x8000000ull);
        CHECK(abi::IORING_OFF_SQES == 0x10000000ull);
        CHECK(abi::IORING_OFF_PBUF_RING == 0x80000000ull);
        CHECK(abi::IORING_OFF_MMAP_MASK == 0xf8000000ull);
        CHECK(abi::IORING_FILE_INDEX_ALLOC == 0xffffffffu);
        CHECK(abi::IORING_REGISTER_FILES_SKIP == -2);
        CHECK(abi::IORING_TIMEOUT_CLOCK_MASK == 0x0cu);
        CHECK(abi::IORING_TIMEOUT_UPDATE_MASK == 0x12u);
        CHECK(abi::SPLICE_F_FD_IN_FIXED == 0x80000000u);
        CHECK(abi::SOCKET_URING_OP_GETSOCKNAME == 5);
    }

    TEST_CASE("abi: opcode table")
    {
        using rawring::find_opcode;
        using rawring::opcodes;

        CHECK(rawring::opcode_count == 65);
        CHECK(sizeof(opcodes) / sizeof(opcodes[0]) == 65);

        for (std::size_t i = 0; i < rawring::opcode_count; ++i) {
            const rawring::opcode_info& row = opcodes[i];
            CAPTURE(i);
            CHECK(static_cast<std::size_t>(row.op) == i);
            // CHECK plus a guard instead of REQUIRE: tests may build with -fno-exceptions.
            CHECK(row.name != nullptr);
            CHECK(row.helpers != nullptr);
            if (row.name == nullptr || row.helpers == nullptr)
                continue;
            CHECK(std::strlen(row.name) > 0);
            CHECK(std::strlen(row.helpers) > 0);
            const bool since_ok =
                row.since_major > 5 || (row.since_major == 5 && row.since_minor >= 1);
            CHECK(since_ok);
            for (std::size_t j = 0; j < i; ++j)
                CHECK(std::strcmp(opcodes[j].name, row.name) != 0);
            // Lookup by name and by number finds this very row.
            CHECK(find_opcode(row.name) == &row);
            CHECK(find_opcode(static_cast<unsigned>(i)) == &row);
        }

        const rawring::opcode_info* readv = find_opcode("READV");
        CHECK(readv == &opcodes[1]);
        CHECK((readv != nullptr && readv->op == abi::IORING_OP_READV));
        const rawring::opcode_info* waitv = find_opcode("FUTEX_WAITV");
        CHECK((waitv != nullptr && waitv->op == 53));
        CHECK(find_opcode("NOPE") == nullptr);
        CHECK(find_opcode("") == nullptr);
        CHECK(find_opcode("readv") == nullptr);
        CHECK(find_opcode(static_cast<const char*>(nullptr)) == nullptr);
        CHECK(find_opcode(65u) == nullptr);
        CHECK(find_opcode(65) == nullptr);
        CHECK(find_opcode(-1) == nullptr);
        CHECK(find_opcode(0) == &opcodes[0]);
        CHECK(find_opcode(abi::IORING_OP_URING_CMD128) == &opcodes[64]);

        // A few facts from REFERENCE.md section 3.1.
        const rawring::opcode_info& waitid = opcodes[abi::IORING_OP_WAITID];
        CHECK(std::strcmp(waitid.name, "WAITID") == 0);
        CHECK(std::strcmp(waitid.helpers, "waitid") == 0);
        CHECK(waitid.since_major == 6);
        CHECK(waitid.since_minor == 7);
        CHECK(std::strcmp(opcodes[abi::IORING_OP_RECV_ZC].helpers, "recv_zc") == 0);
        CHECK(std::strcmp(opcodes[abi::IORING_OP_ACCEPT].helpers,
                          "accept accept_direct multishot_accept multishot_accept_direct") ==
              0);
        CHECK(std::strcmp(opcodes[abi::IORING_OP_OPENAT2].name, "OPENAT2") == 0);
        CHECK(std::strcmp(opcodes[abi::IORING_OP_EPOLL_CTL].name, "EPOLL_CTL") == 0);

        // The table is usable in constant expressions.
        static_assert(rawring::find_opcode("SEND_ZC")->since_major == 6);
        static_assert(rawring::find_opcode(abi::IORING_OP_NOP128)->since_minor == 19);
    }
}
