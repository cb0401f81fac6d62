// SPDX-License-Identifier: MIT
// io_uring_register(2) wrappers: registered files and buffers, eventfd, personalities,
// restrictions, io-wq, sync cancel and msg_ring, NAPI, clock, regions, zcrx, query, BPF filters.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "rawring/abi.hpp"
#include "rawring/errno.hpp"
#include "rawring/ring.hpp"

// libc's type, declared but not defined: rawring only hands its address to the kernel.
struct iovec;

namespace rawring {

// Every ring-scoped function below goes through ring::register_op: with the ring fd registered
// (ring::register_ring_fd) and Linux 6.3+, the registered index is passed with
// IORING_REGISTER_USE_REGISTERED_RING. All return >= 0 on success or -errno; on a closed ring
// they return -EBADF without a system call. The errnos listed are the ones the kernel documents
// for each op; the kernel's answer is always handed back unchanged.
// The provided-buffer-ring ops (IORING_REGISTER_PBUF_RING, PBUF_STATUS) live in buf_ring.hpp;
// the ring fd ops (RING_FDS) and resizing are ring members (ring.hpp).

// ---- registered buffers ---------------------------------------------------------------------

/// Registers `nr` buffers (IORING_REGISTER_BUFFERS) for READ_FIXED / WRITE_FIXED and the other
/// fixed-buffer ops (sqe.buf_index picks one). The pages are pinned and count against
/// RLIMIT_MEMLOCK (unless the caller has CAP_IPC_LOCK). Returns 0, or -EBUSY (buffers already
/// registered), -EINVAL (nr 0 or above 16384), -EFAULT (a buffer is 0 bytes, above 1 GiB, or
/// unmapped), -ENOMEM (memlock limit), -EOVERFLOW.
/// liburing: `io_uring_register_buffers()`; Zig: `register_buffers()`. Since Linux 5.1.
[[nodiscard]] int register_buffers(ring_state& r, const iovec* iovecs, unsigned nr) noexcept;

/// As register_buffers through IORING_REGISTER_BUFFERS2, with a tag per buffer (`tags` may be
/// nullptr; tag 0 means none): when a tagged buffer is later replaced or unregistered and no
/// request uses it any more, the kernel posts a CQE with user_data = tag and res 0. Returns as
/// register_buffers, plus -EINVAL for a tag on an empty (nullptr) slot.
/// liburing: `io_uring_register_buffers_tags()`. Since Linux 5.13.
[[nodiscard]] int register_buffers_tags(ring_state& r, const iovec* iovecs, const std::uint64_t* tags,
                                        unsigned nr) noexcept;

/// Registers a table of `nr` empty buffer slots (IORING_REGISTER_BUFFERS2 with
/// IORING_RSRC_REGISTER_SPARSE), to be filled with register_buffers_update_tag. Returns 0,
/// -EBUSY, -EINVAL (nr 0 or above 16384).
/// liburing: `io_uring_register_buffers_sparse()`. Since Linux 5.19.
[[nodiscard]] int register_buffers_sparse(ring_state& r, unsigned nr) noexcept;

/// Replaces buffer slots `off`..`off + nr - 1` (IORING_REGISTER_BUFFERS_UPDATE) with `iovecs`
/// (an iovec with iov_base nullptr and length 0 empties the slot), each with an optional tag.
/// Returns the number of slots updated, or -ENXIO (no buffers registered), -EINVAL (the range
/// runs past the table, nr 0, a tag on an empty slot), -EFAULT, -ENOMEM, -EOVERFLOW.
/// liburing: `io_uring_register_buffers_update_tag()`. Since Linux 5.13.
[[nodiscard]] int register_buffers_update_tag(ring_state& r, unsigned off, const iovec* iovecs,
                                              const std::uint64_t* tags, unsigned nr) noexcept;

/// Unregisters every buffer (IORING_UNREGISTER_BUFFERS); tagged ones post their tag CQE once
/// idle. Returns 0 or -ENXIO (none registered).
/// liburing: `io_uring_unregister_buffers()`; Zig: `unregister_buffers()`. Since Linux 5.1.
[[nodiscard]] int unregister_buffers(ring_state& r) noexcept;

/// Gives `dst` the registered buffers of `src` (IORING_REGISTER_CLONE_BUFFERS) without pinning
/// them again: both rings then share them. Passes src's registered index when src's ring fd is
/// registered. Returns 0, or -EBUSY (dst already has buffers), -ENXIO (src has none), -EINVAL,
/// -EBADF / -EOPNOTSUPP (src is closed / not a ring), -EEXIST (src is SINGLE_ISSUER and owned by
/// another task). liburing: `io_uring_clone_buffers()`. Since Linux 6.12.
[[nodiscard]] int clone_buffers(ring_state& dst, ring_state& src) noexcept;

/// As clone_buffers with IORING_REGISTER_* `flags` as given: IORING_REGISTER_DST_REPLACE
/// replaces dst's table; IORING_REGISTER_SRC_REGISTERED is kept only when src's ring fd is
/// registered (and then src's index is passed). liburing: `__io_uring_clone_buffers()`.
/// Since Linux 6.12.
[[nodiscard]] int clone_buffers_flags(ring_state& dst, ring_state& src, unsigned flags) noexcept;

/// Clones `nr` of src's buffers from slot `src_off` into dst's slots from `dst_off` (nr 0: all of
/// them, offsets 0). With IORING_REGISTER_DST_REPLACE in `flags`, dst's other slots are kept and
/// the range replaced. Returns as clone_buffers, plus -EINVAL (offsets without nr, nr above
/// src's count) and -EOVERFLOW (src_off + nr past src's table).
/// liburing: `io_uring_clone_buffers_offset()`. Since Linux 6.13.
[[nodiscard]] int clone_buffers_offset(ring_state& dst, ring_state& src, unsigned dst_off, unsigned src_off,
                                       unsigned nr, unsigned flags) noexcept;

/// As clone_buffers_offset, but IORING_REGISTER_SRC_REGISTERED is not added for the caller (it
/// is still dropped when src's ring fd is not registered).
/// liburing: `__io_uring_clone_buffers_offset()`. Since Linux 6.13.
[[nodiscard]] int clone_buffers_offset_flags(ring_state& dst, ring_state& src, unsigned dst_off,
                                             unsigned src_off, unsigned nr,
                                             unsigned flags) noexcept;

// ---- registered files -----------------------------------------------------------------------

/// Registers `nr` fds as the ring's fixed-file table (IORING_REGISTER_FILES); -1 leaves a slot
/// empty. Ops then name slot i with IOSQE_FIXED_FILE and sqe.fd = i. On -EMFILE (nr above the
/// RLIMIT_NOFILE soft limit) the soft limit is raised to at least `nr` (never past the hard
/// limit) and the call is made once more, as liburing does. Returns 0, or -EBUSY (a table is
/// registered), -EINVAL (nr 0), -EMFILE (nr above the hard limit or 1 << 20), -EBADF (a bad fd,
/// or an io_uring fd), -ENOMEM. liburing: `io_uring_register_files()`; Zig: `register_files()`.
/// Since Linux 5.1.
[[nodiscard]] int register_files(ring_state& r, const int* fds, unsigned nr) noexcept;

/// As register_files through IORING_REGISTER_FILES2, with a tag per slot (`tags` may be
/// nullptr): when a tagged file is replaced or unregistered, a CQE with user_data = tag and
/// res 0 is posted. Same -EMFILE retry. Returns as register_files, plus -EINVAL (a tag on an
/// empty slot). liburing: `io_uring_register_files_tags()`. Since Linux 5.13.
[[nodiscard]] int register_files_tags(ring_state& r, const int* fds, const std::uint64_t* tags,
                                      unsigned nr) noexcept;

/// Registers a table of `nr` empty slots (IORING_REGISTER_FILES2 with
/// IORING_RSRC_REGISTER_SPARSE), for direct descriptors and later updates. Same -EMFILE retry.
/// Returns as register_files. liburing: `io_uring_register_files_sparse()`; Zig:
/// `register_files_sparse()`. Since Linux 5.19.
[[nodiscard]] int register_files_sparse(ring_state& r, unsigned nr) noexcept;

/// Replaces slots `off`..`off + nr - 1` (IORING_REGISTER_FILES_UPDATE) with `fds` (-1 empties a
/// slot, IORING_REGISTER_FILES_SKIP leaves it). Returns the number of slots updated, or -ENXIO
/// (no table), -EINVAL (range past the table, nr 0), -EBADF, -EFAULT, -EOVERFLOW.
/// liburing: `io_uring_register_files_update()`; Zig: `register_files_update()`. Since Linux 5.5.
[[nodiscard]] int register_files_update(ring_state& r, unsigned off, const int* fds,
                                        unsigned nr) noexcept;

/// As register_files_update through IORING_REGISTER_FILES_UPDATE2, with a tag per new file.
/// Returns as register_files_update, plus -EINVAL (a tag with fd -1 or SKIP).
/// liburing: `io_uring_register_files_update_tag()`. Since Linux 5.13.
[[nodiscard]] int register_files_update_tag(ring_state& r, unsigned off, const int* fds,
                                            const std::uint64_t* tags, unsigned nr) noexcept;

/// Unregisters the fixed-file table (IORING_UNREGISTER_FILES). Returns 0 or -ENXIO (none).
/// liburing: `io_uring_unregister_files()`; Zig: `unregister_files()`. Since Linux 5.1.
[[nodiscard]] int unregister_files(ring_state& r) noexcept;

/// Restricts the slots the kernel picks for IORING_FILE_INDEX_ALLOC (direct accept, open,
/// socket...) to [off, off + len) (IORING_REGISTER_FILE_ALLOC_RANGE). Returns 0, or -EINVAL
/// (range past the table), -EOVERFLOW (off + len wraps).
/// liburing: `io_uring_register_file_alloc_range()`; Zig: `register_file_alloc_range()`.
/// Since Linux 6.0.
[[nodiscard]] int register_file_alloc_range(ring_state& r, unsigned off, unsigned len) noexcept;

// ---- eventfd ----------------------------------------------------------------------------------

/// Has the kernel signal eventfd `fd` whenever it posts CQEs (IORING_REGISTER_EVENTFD). Returns
/// 0, or -EBUSY (one is registered), -EBADF (bad fd), -EINVAL (not an eventfd).
/// liburing: `io_uring_register_eventfd()`; Zig: `register_eventfd()`. Since Linux 5.2.
[[nodiscard]] int register_eventfd(ring_state& r, int fd) noexcept;

/// As register_eventfd, but only completions posted asynchronously (from io-wq workers) signal
/// it, not those that complete inline at submission (IORING_REGISTER_EVENTFD_ASYNC).
/// liburing: `io_uring_register_eventfd_async()`; Zig: `register_eventfd_async()`.
/// Since Linux 5.6.
[[nodiscard]] int register_eventfd_async(ring_state& r, int fd) noexcept;

/// Unregisters the eventfd (IORING_UNREGISTER_EVENTFD). Returns 0 or -ENXIO (none registered).
/// liburing: `io_uring_unregister_eventfd()`; Zig: `unregister_eventfd()`. Since Linux 5.2.
[[nodiscard]] int unregister_eventfd(ring_state& r) noexcept;

/// Whether the registered eventfd is signalled: IORING_CQ_EVENTFD_DISABLED is clear in the CQ
/// ring flags (always true on a kernel without the flags word).
/// liburing: `io_uring_cq_eventfd_enabled()`. Since Linux 5.8.
[[nodiscard]] inline bool cq_eventfd_enabled(const ring_state& r) noexcept {
    if (!r.cq_flags_mapped()) return true;
    // The application owns the CQ flags word; the kernel only reads it. Relaxed is enough.
    return (std::atomic_ref<std::uint32_t>(*r.cq.kflags).load(std::memory_order_relaxed) &
            abi::IORING_CQ_EVENTFD_DISABLED) == 0;
}

/// Turns eventfd signalling on or off by flipping IORING_CQ_EVENTFD_DISABLED in the CQ ring
/// flags (no system call). Returns 0, or -EOPNOTSUPP when the kernel has no CQ flags word
/// (Linux < 5.8) and a change was asked for, -EBADF on a closed ring.
/// liburing: `io_uring_cq_eventfd_toggle()`. Since Linux 5.8.
[[nodiscard]] inline int cq_eventfd_toggle(ring_state& r, bool enabled) noexcept {
    if (!r.is_open()) return -err::ebadf;
    if (enabled == cq_eventfd_enabled(r)) return 0;
    if (!r.cq_flags_mapped()) return -err::eopnotsupp;
    std::atomic_ref<std::uint32_t> flags(*r.cq.kflags);
    const std::uint32_t old = flags.load(std::memory_order_relaxed);
    flags.store(enabled ? old & ~abi::IORING_CQ_EVENTFD_DISABLED
                        : old | abi::IORING_CQ_EVENTFD_DISABLED,
                std::memory_order_relaxed);
    return 0;
}

// ---- probe, personalities, restrictions -------------------------------------------------------

/// Raw IORING_REGISTER_PROBE into a caller buffer: `p` is a zeroed io_uring_probe followed by
/// room for `nr` io_uring_probe_op. The kernel fills in last_op, ops_len = min(nr, its opcode
/// count) and each op's IO_URING_OP_SUPPORTED. Returns 0, or -EINVAL (buffer not zeroed, nr
/// above 256, p nullptr), -EFAULT. rawring::get_probe (probe.hpp) does this into a value.
/// liburing: `io_uring_register_probe()`. Since Linux 5.6.
[[nodiscard]] int register_probe(ring_state& r, abi::io_uring_probe* p, unsigned nr) noexcept;

/// Registers the calling task's current credentials (IORING_REGISTER_PERSONALITY). Returns the
/// id (1..65535) for sqe.personality, or -ENOMEM / -EBUSY (ids exhausted).
/// liburing: `io_uring_register_personality()`. Since Linux 5.6.
[[nodiscard]] int register_personality(ring_state& r) noexcept;

/// Drops personality `id` (IORING_UNREGISTER_PERSONALITY). Returns 0 or -EINVAL (no such id).
/// An SQE naming an unregistered id completes with -EINVAL.
/// liburing: `io_uring_unregister_personality()`. Since Linux 5.6.
[[nodiscard]] int unregister_personality(ring_state& r, int id) noexcept;

/// Registers `nr` restrictions (IORING_REGISTER_RESTRICTIONS) on a ring set up with
/// IORING_SETUP_R_DISABLED; they take effect at enable_rings. Afterwards a register op not
/// allowed fails with -EACCES and an SQE with an op or flags not allowed completes with
/// -EACCES. Returns 0, or -EBADFD (ring not disabled), -EBUSY (restrictions already
/// registered), -EINVAL (bad entry, too many, nullptr).
/// liburing: `io_uring_register_restrictions()`. Since Linux 5.10.
[[nodiscard]] int register_restrictions(ring_state& r, const abi::io_uring_restriction* res,
                                        unsigned nr) noexcept;

/// Enables a ring set up with IORING_SETUP_R_DISABLED (IORING_REGISTER_ENABLE_RINGS); until
/// then io_uring_enter fails with -EBADFD. Returns 0 or -EBADFD (not disabled).
/// liburing: `io_uring_enable_rings()`. Since Linux 5.10.
[[nodiscard]] int enable_rings(ring_state& r) noexcept;

// ---- io-wq -------------------------------------------------------------------------------------

/// Sets the CPU affinity of the calling task's io-wq workers (or of the SQPOLL thread's, on an
/// SQPOLL ring) to the `cpusz`-byte CPU mask at `mask` (a cpu_set_t) (IORING_REGISTER_IOWQ_AFF).
/// Workers created afterwards use it. Returns 0, or -EINVAL (cpusz 0 or >= 2^31, mask nullptr,
/// CPUs outside the task's allowed set), -EFAULT.
/// liburing: `io_uring_register_iowq_aff()`. Since Linux 5.14.
[[nodiscard]] int register_iowq_aff(ring_state& r, std::size_t cpusz, const void* mask) noexcept;

/// Restores the default io-wq affinity (IORING_UNREGISTER_IOWQ_AFF). Returns 0 or -errno.
/// liburing: `io_uring_unregister_iowq_aff()`. Since Linux 5.14.
[[nodiscard]] int unregister_iowq_aff(ring_state& r) noexcept;

/// Sets the io-wq worker limits from `values[2]` ([IO_WQ_BOUND], [IO_WQ_UNBOUND]; 0 keeps a
/// limit) and writes the previous limits back into `values` (IORING_REGISTER_IOWQ_MAX_WORKERS;
/// {0, 0} just reads them). Returns 0, or -EINVAL (a value above INT_MAX), -EFAULT.
/// liburing: `io_uring_register_iowq_max_workers()`. Since Linux 5.15.
[[nodiscard]] int register_iowq_max_workers(ring_state& r, unsigned* values) noexcept;

// ---- synchronous cancel and msg_ring ---------------------------------------------------------

/// Cancels matching requests and waits for them (IORING_REGISTER_SYNC_CANCEL): match by
/// `reg->addr` (user_data) by default, or by fd / opcode / any per IORING_ASYNC_CANCEL_* in
/// `reg->flags`; `reg->timeout` {-1, -1} waits without limit. The cancelled requests complete
/// with -ECANCELED. Returns 0 (or the count with IORING_ASYNC_CANCEL_ALL / ANY), -ENOENT (no
/// match), -EALREADY (running and could not be stopped), -ETIME, -EINVAL (bad flags or padding).
/// liburing: `io_uring_register_sync_cancel()`. Since Linux 6.0.
[[nodiscard]] int register_sync_cancel(ring_state& r, abi::io_uring_sync_cancel_reg* reg) noexcept;

/// Posts a CQE to another ring without a ring of one's own (IORING_REGISTER_SEND_MSG_RING, fd
/// -1): `sqe` is an IORING_OP_MSG_RING / IORING_MSG_DATA SQE (prep_msg_ring) naming the target
/// ring's fd; the target gets user_data = sqe->off and res = sqe->len. Returns 0, or -EINVAL
/// (not MSG_RING, sqe->flags set, not MSG_DATA), -EBADF (bad target fd), -EBADFD (target is not
/// an io_uring fd, or disabled), -EOVERFLOW (target CQ full).
/// liburing: `io_uring_register_sync_msg()`. Since Linux 6.13.
[[nodiscard]] int register_sync_msg(const abi::io_uring_sqe* sqe) noexcept;

// ---- NAPI, clock --------------------------------------------------------------------------------

/// Configures NAPI busy polling for the ring's waits (IORING_REGISTER_NAPI): with opcode
/// IO_URING_NAPI_REGISTER_OP, busy_poll_to (µs), prefer_busy_poll and the tracking strategy in
/// op_param; with IO_URING_NAPI_STATIC_ADD_ID / DEL_ID, a NAPI id in op_param. The previous
/// settings are written back into `*napi`. Returns 0, or -EINVAL (IOPOLL ring, padding set,
/// unknown opcode or strategy, an id below MIN_NAPI_ID, ADD/DEL without static tracking),
/// -EEXIST / -ENOENT (id already added / not there).
/// liburing: `io_uring_register_napi()`; Zig: `register_napi()`. Since Linux 6.9.
[[nodiscard]] int register_napi(ring_state& r, abi::io_uring_napi* napi) noexcept;

/// Turns NAPI busy polling off (IORING_UNREGISTER_NAPI); the settings in force are written to
/// `*napi` unless it is nullptr. Returns 0 or -EFAULT.
/// liburing: `io_uring_unregister_napi()`; Zig: `unregister_napi()`. Since Linux 6.9.
[[nodiscard]] int unregister_napi(ring_state& r, abi::io_uring_napi* napi) noexcept;

/// Selects the clock of the ring's wait timeouts (IORING_REGISTER_CLOCK): CLOCK_MONOTONIC (the
/// default) or CLOCK_BOOTTIME. Returns 0 or -EINVAL (another clock, resv set).
/// liburing: `io_uring_register_clock()`. Since Linux 6.12.
[[nodiscard]] int register_clock(ring_state& r, const abi::io_uring_clock_register* reg) noexcept;

// ---- memory regions and registered waits -------------------------------------------------------

/// Registers a memory region (IORING_REGISTER_MEM_REGION) described by the
/// io_uring_region_desc at `reg->region_uptr` (user memory with IORING_MEM_REGION_TYPE_USER,
/// page-aligned, or kernel memory to mmap at the offset the kernel writes back). With
/// IORING_MEM_REGION_REG_WAIT_ARG it becomes the wait region of submit_and_wait_reg, which the
/// kernel accepts only before enable_rings on an IORING_SETUP_R_DISABLED ring. Returns 0, or
/// -EBUSY (a region is registered), -EINVAL (ring enabled with REG_WAIT_ARG, bad flags, size or
/// alignment), -EFAULT. liburing: `io_uring_register_region()`. Since Linux 6.13.
[[nodiscard]] int register_region(ring_state& r, abi::io_uring_mem_region_reg* reg) noexcept;

/// Registers `nr` io_uring_reg_wait entries at `reg` (user memory, page-aligned, nr * 64 bytes a
/// multiple of the page size) as the ring's wait region: register_region with
/// IORING_MEM_REGION_TYPE_USER and IORING_MEM_REGION_REG_WAIT_ARG. The entries stay the
/// caller's to edit; submit_and_wait_reg(cqe, n, i) waits with entry i. Must precede
/// enable_rings on an R_DISABLED ring. Returns 0, or -EINVAL (nr 0, ring already enabled,
/// misaligned or odd-sized memory), -EBUSY, -EFAULT, -EOVERFLOW (nr too large).
/// liburing: `io_uring_register_wait_reg()` (which now always fails with -EINVAL: its 6.13-rc
/// opcode never shipped; rawring implements it on MEM_REGION). Since Linux 6.13.
[[nodiscard]] int register_wait_reg(ring_state& r, abi::io_uring_reg_wait* reg, unsigned nr) noexcept;

/// Changes the SQ and CQ sizes with everything in flight kept: ring::resize_rings (ring.hpp).
/// liburing: `io_uring_resize_rings()`. Since Linux 6.13.
[[nodiscard]] inline int resize_rings(ring_state& r, abi::io_uring_params* p) noexcept {
    return p == nullptr ? -err::einval : r.resize_rings(*p);
}

// ---- zero-copy receive --------------------------------------------------------------------------

/// Registers a zero-copy receive interface queue (IORING_REGISTER_ZCRX_IFQ): NIC `if_idx`, RX
/// queue `if_rxq`, a refill ring of rq_entries in the region at `region_ptr`, the buffer area at
/// `area_ptr`. The kernel writes the zcrx id, offsets and area token back. Needs CAP_NET_ADMIN,
/// an IORING_SETUP_DEFER_TASKRUN ring with CQE32 (or CQE_MIXED) and a NIC with header split and
/// flow steering. Returns 0, or -EPERM, -EINVAL (ring flags, padding, bad sizes), -ENODEV (no
/// such interface), -EOPNOTSUPP (the interface has no device underneath, e.g. loopback, or
/// cannot host the queue), -EFAULT, -ENOMEM.
/// liburing: `io_uring_register_ifq()`. Since Linux 6.15.
[[nodiscard]] int register_ifq(ring_state& r, abi::io_uring_zcrx_ifq_reg* reg) noexcept;

/// Controls a registered zcrx instance (IORING_REGISTER_ZCRX_CTRL): flush its refill queue,
/// export it, arm an event. Returns 0 or -errno (-ENXIO: no zcrx with that id; -EINVAL on
/// kernels that do not know the op). liburing: `io_uring_register_zcrx_ctrl()`. Since Linux 6.19.
[[nodiscard]] int register_zcrx_ctrl(ring_state& r, abi::zcrx_ctrl* ctrl) noexcept;

// ---- query and BPF filters (no ring needed) ------------------------------------------------------

/// Asks the kernel what it supports (IORING_REGISTER_QUERY with fd -1): `hdr` starts a chain of
/// io_uring_query_hdr (next_entry links them), each naming an IO_URING_QUERY_* op and a result
/// buffer. Each header gets its own result (0, -EOPNOTSUPP for an op this kernel lacks, -EINVAL
/// for bad padding or size 0) and the size it filled. Returns 0, or -EINVAL (on kernels without
/// QUERY), -EFAULT, -ERANGE (a chain of 1000+ entries, e.g. a cycle).
/// liburing: `io_uring_register_query()`. Since Linux 6.18.
[[nodiscard]] int register_query(abi::io_uring_query_hdr* hdr) noexcept;

/// Attaches a classic-BPF filter to one opcode of this ring (IORING_REGISTER_BPF_FILTER): the
/// kernel runs it on each such SQE and fails the request with -EACCES when it returns 0. The
/// kernel writes its payload size for the opcode back into bpf->filter.pdu_size. Returns 0, or
/// -EINVAL (bad command, flags, opcode or length; and on kernels that do not know the op),
/// -EMSGSIZE (payload size mismatch).
/// liburing: `io_uring_register_bpf_filter()`. Since Linux 7.0.
[[nodiscard]] int register_bpf_filter(ring_state& r, abi::io_uring_bpf* bpf) noexcept;

/// As register_bpf_filter for every ring the calling task creates or uses (fd -1).
/// liburing: `io_uring_register_bpf_filter_task()`. Since Linux 7.0.
[[nodiscard]] int register_bpf_filter_task(abi::io_uring_bpf* bpf) noexcept;

} // namespace rawring
