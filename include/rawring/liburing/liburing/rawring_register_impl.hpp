// SPDX-License-Identifier: MIT
// The definitions behind liburing.h's probe, registration, provided-buffer-ring, multishot recvmsg
// and version functions (and io_uring_cq_eventfd_*), each a thin call onto rawring's core.
#pragma once

// Whoever includes this file defines RAWRING_LIBURING_DEF first: `inline` (liburing.h, for C++20
// programs) or empty (src/liburing/register.cpp, where the extern "C" declarations of liburing.h
// give the definitions C linkage). It comes after liburing/io_uring.h, whose IORING_* names are
// macros: no `abi::IORING_` may be spelled here, and rawring's headers must have been included
// before that header (their #pragma once then makes the includes below no-ops).
#ifndef RAWRING_LIBURING_DEF
#error "define RAWRING_LIBURING_DEF (inline, or empty) before including rawring_register_impl.hpp"
#endif
#ifndef LIB_URING_H
#error "include <liburing.h> (rawring's face) before rawring_register_impl.hpp"
#endif

#include <cstddef>
#include <cstdint>
#include <cstdlib>  // malloc / free: liburing's probe lives on the heap

#include "rawring/buf_ring.hpp"
#include "rawring/errno.hpp"
#include "rawring/probe.hpp"
#include "rawring/recvmsg.hpp"
#include "rawring/register.hpp"
#include "rawring/ring.hpp"

#include "rawring_face.hpp"

namespace rawring::liburing_detail {

/// liburing's probe: a heap block for the header and 256 ops, zeroed (the kernel insists), filled
/// by rawring::register_probe. rawring's own rawring::probe is a value type and hides the raw
/// answer, so the face fills liburing's block itself, as liburing's io_uring_get_probe_ring does.
inline ::io_uring_probe* heap_probe(ring_state& r) noexcept {
    constexpr unsigned nr = probe::max_ops;
    const std::size_t len = sizeof(::io_uring_probe) + nr * sizeof(::io_uring_probe_op);
    void* mem = std::malloc(len);
    if (mem == nullptr) return nullptr;
    __builtin_memset(mem, 0, len);
    auto* p = static_cast<::io_uring_probe*>(mem);
    if (register_probe(r, twin<abi::io_uring_probe>(p), nr) < 0) {
        std::free(mem);
        return nullptr;
    }
    return p;
}

} // namespace rawring::liburing_detail

// =================================================================================================
// probe
// =================================================================================================

RAWRING_LIBURING_DEF struct io_uring_probe* io_uring_get_probe_ring(struct io_uring* ring)
    LIBURING_NOEXCEPT {
    return rawring::liburing_detail::heap_probe(rawring::liburing_detail::state(ring));
}

// As liburing: a two-entry ring of its own for the probe, torn down before returning.
RAWRING_LIBURING_DEF struct io_uring_probe* io_uring_get_probe(void) LIBURING_NOEXCEPT {
    rawring::ring r;
    if (r.init(2) < 0) return nullptr;
    return rawring::liburing_detail::heap_probe(r);
}

RAWRING_LIBURING_DEF void io_uring_free_probe(struct io_uring_probe* probe) LIBURING_NOEXCEPT {
    std::free(probe);
}

// No rawring twin for a raw probe buffer (rawring::probe::supported works on its value type): the
// same test on liburing's struct. liburing checks only last_op; a negative op, an op past ops_len
// (a probe taken with room for fewer ops) and a null probe answer "unsupported" here.
RAWRING_LIBURING_DEF int io_uring_opcode_supported(const struct io_uring_probe* p,
                                                   int op) LIBURING_NOEXCEPT {
    if (p == nullptr || op < 0 || op > p->last_op || op >= p->ops_len) return 0;
    // Through the twin's ops(): g++ takes the face's C++ ops[0] for a real zero-length array
    // and warns (-Warray-bounds) at every index once the call is inlined onto a known buffer.
    const auto* probe = rawring::liburing_detail::twin<const rawring::abi::io_uring_probe>(p);
    return (probe->ops()[op].flags & IO_URING_OP_SUPPORTED) != 0;
}

// =================================================================================================
// registration
// =================================================================================================

RAWRING_LIBURING_DEF int io_uring_register_buffers(struct io_uring* ring, const struct iovec* iovecs,
                                                   unsigned nr_iovecs) LIBURING_NOEXCEPT {
    return rawring::register_buffers(rawring::liburing_detail::state(ring), iovecs, nr_iovecs);
}

RAWRING_LIBURING_DEF int io_uring_register_buffers_tags(struct io_uring* ring,
                                                        const struct iovec* iovecs, const __u64* tags,
                                                        unsigned nr) LIBURING_NOEXCEPT {
    return rawring::register_buffers_tags(rawring::liburing_detail::state(ring), iovecs,
                                          reinterpret_cast<const std::uint64_t*>(tags), nr);
}

RAWRING_LIBURING_DEF int io_uring_register_buffers_sparse(struct io_uring* ring,
                                                          unsigned nr) LIBURING_NOEXCEPT {
    return rawring::register_buffers_sparse(rawring::liburing_detail::state(ring), nr);
}

RAWRING_LIBURING_DEF int io_uring_register_buffers_update_tag(struct io_uring* ring, unsigned off,
                                                              const struct iovec* iovecs,
                                                              const __u64* tags,
                                                              unsigned nr) LIBURING_NOEXCEPT {
    return rawring::register_buffers_update_tag(rawring::liburing_detail::state(ring), off,
                                                iovecs, reinterpret_cast<const std::uint64_t*>(tags),
                                                nr);
}

RAWRING_LIBURING_DEF int io_uring_unregister_buffers(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::unregister_buffers(rawring::liburing_detail::state(ring));
}

RAWRING_LIBURING_DEF int io_uring_clone_buffers(struct io_uring* dst,
                                                struct io_uring* src) LIBURING_NOEXCEPT {
    return rawring::clone_buffers(rawring::liburing_detail::state(dst),
                                  rawring::liburing_detail::state(src));
}

RAWRING_LIBURING_DEF int __io_uring_clone_buffers(struct io_uring* dst, struct io_uring* src,
                                                  unsigned int flags) LIBURING_NOEXCEPT {
    return rawring::clone_buffers_flags(rawring::liburing_detail::state(dst),
                                        rawring::liburing_detail::state(src), flags);
}

RAWRING_LIBURING_DEF int io_uring_clone_buffers_offset(struct io_uring* dst, struct io_uring* src,
                                                       unsigned int dst_off, unsigned int src_off,
                                                       unsigned int nr,
                                                       unsigned int flags) LIBURING_NOEXCEPT {
    return rawring::clone_buffers_offset(rawring::liburing_detail::state(dst),
                                         rawring::liburing_detail::state(src), dst_off, src_off,
                                         nr, flags);
}

RAWRING_LIBURING_DEF int __io_uring_clone_buffers_offset(struct io_uring* dst, struct io_uring* src,
                                                         unsigned int dst_off, unsigned int src_off,
                                                         unsigned int nr,
                                                         unsigned int flags) LIBURING_NOEXCEPT {
    return rawring::clone_buffers_offset_flags(rawring::liburing_detail::state(dst),
                                               rawring::liburing_detail::state(src), dst_off,
                                               src_off, nr, flags);
}

// rawring::register_files* already retry once after raising the RLIMIT_NOFILE soft limit on
// -EMFILE, as liburing does (rawring raises it to nr, capped at the hard limit, where liburing
// adds nr to it and ignores a refusal).
RAWRING_LIBURING_DEF int io_uring_register_files(struct io_uring* ring, const int* files,
                                                 unsigned nr_files) LIBURING_NOEXCEPT {
    return rawring::register_files(rawring::liburing_detail::state(ring), files, nr_files);
}

RAWRING_LIBURING_DEF int io_uring_register_files_tags(struct io_uring* ring, const int* files,
                                                      const __u64* tags,
                                                      unsigned nr) LIBURING_NOEXCEPT {
    return rawring::register_files_tags(rawring::liburing_detail::state(ring), files,
                                        reinterpret_cast<const std::uint64_t*>(tags), nr);
}

RAWRING_LIBURING_DEF int io_uring_register_files_sparse(struct io_uring* ring,
                                                        unsigned nr) LIBURING_NOEXCEPT {
    return rawring::register_files_sparse(rawring::liburing_detail::state(ring), nr);
}

RAWRING_LIBURING_DEF int io_uring_register_files_update_tag(struct io_uring* ring, unsigned off,
                                                            const int* files, const __u64* tags,
                                                            unsigned nr_files) LIBURING_NOEXCEPT {
    return rawring::register_files_update_tag(rawring::liburing_detail::state(ring), off, files,
                                              reinterpret_cast<const std::uint64_t*>(tags), nr_files);
}

RAWRING_LIBURING_DEF int io_uring_unregister_files(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::unregister_files(rawring::liburing_detail::state(ring));
}

RAWRING_LIBURING_DEF int io_uring_register_files_update(struct io_uring* ring, unsigned off,
                                                        const int* files,
                                                        unsigned nr_files) LIBURING_NOEXCEPT {
    return rawring::register_files_update(rawring::liburing_detail::state(ring), off, files,
                                          nr_files);
}

RAWRING_LIBURING_DEF int io_uring_register_file_alloc_range(struct io_uring* ring, unsigned off,
                                                            unsigned len) LIBURING_NOEXCEPT {
    return rawring::register_file_alloc_range(rawring::liburing_detail::state(ring), off, len);
}

RAWRING_LIBURING_DEF int io_uring_register_eventfd(struct io_uring* ring, int fd) LIBURING_NOEXCEPT {
    return rawring::register_eventfd(rawring::liburing_detail::state(ring), fd);
}

RAWRING_LIBURING_DEF int io_uring_register_eventfd_async(struct io_uring* ring,
                                                         int fd) LIBURING_NOEXCEPT {
    return rawring::register_eventfd_async(rawring::liburing_detail::state(ring), fd);
}

RAWRING_LIBURING_DEF int io_uring_unregister_eventfd(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::unregister_eventfd(rawring::liburing_detail::state(ring));
}

RAWRING_LIBURING_DEF int io_uring_register_probe(struct io_uring* ring, struct io_uring_probe* p,
                                                 unsigned nr) LIBURING_NOEXCEPT {
    return rawring::register_probe(rawring::liburing_detail::state(ring),
                                   rawring::liburing_detail::twin<rawring::abi::io_uring_probe>(p),
                                   nr);
}

RAWRING_LIBURING_DEF int io_uring_register_personality(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::register_personality(rawring::liburing_detail::state(ring));
}

RAWRING_LIBURING_DEF int io_uring_unregister_personality(struct io_uring* ring,
                                                         int id) LIBURING_NOEXCEPT {
    return rawring::unregister_personality(rawring::liburing_detail::state(ring), id);
}

RAWRING_LIBURING_DEF int io_uring_register_restrictions(struct io_uring* ring,
                                                        struct io_uring_restriction* res,
                                                        unsigned int nr_res) LIBURING_NOEXCEPT {
    return rawring::register_restrictions(
        rawring::liburing_detail::state(ring),
        rawring::liburing_detail::twin<const rawring::abi::io_uring_restriction>(res), nr_res);
}

RAWRING_LIBURING_DEF int io_uring_enable_rings(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::enable_rings(rawring::liburing_detail::state(ring));
}

#ifdef _GNU_SOURCE
RAWRING_LIBURING_DEF int io_uring_register_iowq_aff(struct io_uring* ring, size_t cpusz,
                                                    const cpu_set_t* mask) LIBURING_NOEXCEPT {
    return rawring::register_iowq_aff(rawring::liburing_detail::state(ring), cpusz, mask);
}
#endif

RAWRING_LIBURING_DEF int io_uring_unregister_iowq_aff(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::unregister_iowq_aff(rawring::liburing_detail::state(ring));
}

RAWRING_LIBURING_DEF int io_uring_register_iowq_max_workers(struct io_uring* ring,
                                                            unsigned int* values) LIBURING_NOEXCEPT {
    return rawring::register_iowq_max_workers(rawring::liburing_detail::state(ring), values);
}

RAWRING_LIBURING_DEF int io_uring_register_ring_fd(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).register_ring_fd();
}

// Unlike liburing, -EBADF after io_uring_close_ring_fd (liburing unregisters the index, the
// ring's last handle, leaving a ring nothing reaches; rawring keeps it until queue_exit).
RAWRING_LIBURING_DEF int io_uring_unregister_ring_fd(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).unregister_ring_fd();
}

RAWRING_LIBURING_DEF int io_uring_close_ring_fd(struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::liburing_detail::state(ring).close_ring_fd();
}

RAWRING_LIBURING_DEF int io_uring_register_sync_cancel(struct io_uring* ring,
                                                       struct io_uring_sync_cancel_reg* reg)
    LIBURING_NOEXCEPT {
    return rawring::register_sync_cancel(
        rawring::liburing_detail::state(ring),
        rawring::liburing_detail::twin<rawring::abi::io_uring_sync_cancel_reg>(reg));
}

RAWRING_LIBURING_DEF int io_uring_register_sync_msg(struct io_uring_sqe* sqe) LIBURING_NOEXCEPT {
    return rawring::register_sync_msg(
        rawring::liburing_detail::twin<const rawring::abi::io_uring_sqe>(sqe));
}

RAWRING_LIBURING_DEF int io_uring_register_napi(struct io_uring* ring,
                                                struct io_uring_napi* napi) LIBURING_NOEXCEPT {
    return rawring::register_napi(rawring::liburing_detail::state(ring),
                                  rawring::liburing_detail::twin<rawring::abi::io_uring_napi>(napi));
}

RAWRING_LIBURING_DEF int io_uring_unregister_napi(struct io_uring* ring,
                                                  struct io_uring_napi* napi) LIBURING_NOEXCEPT {
    return rawring::unregister_napi(rawring::liburing_detail::state(ring),
                                    rawring::liburing_detail::twin<rawring::abi::io_uring_napi>(napi));
}

RAWRING_LIBURING_DEF int io_uring_register_ifq(struct io_uring* ring,
                                               struct io_uring_zcrx_ifq_reg* reg) LIBURING_NOEXCEPT {
    return rawring::register_ifq(
        rawring::liburing_detail::state(ring),
        rawring::liburing_detail::twin<rawring::abi::io_uring_zcrx_ifq_reg>(reg));
}

RAWRING_LIBURING_DEF int io_uring_register_zcrx_ctrl(struct io_uring* ring,
                                                     struct zcrx_ctrl* ctrl) LIBURING_NOEXCEPT {
    return rawring::register_zcrx_ctrl(rawring::liburing_detail::state(ring),
                                       rawring::liburing_detail::twin<rawring::abi::zcrx_ctrl>(ctrl));
}

RAWRING_LIBURING_DEF int io_uring_register_clock(struct io_uring* ring,
                                                 struct io_uring_clock_register* arg)
    LIBURING_NOEXCEPT {
    return rawring::register_clock(
        rawring::liburing_detail::state(ring),
        rawring::liburing_detail::twin<const rawring::abi::io_uring_clock_register>(arg));
}

RAWRING_LIBURING_DEF int io_uring_register_region(struct io_uring* ring,
                                                  struct io_uring_mem_region_reg* reg)
    LIBURING_NOEXCEPT {
    return rawring::register_region(
        rawring::liburing_detail::state(ring),
        rawring::liburing_detail::twin<rawring::abi::io_uring_mem_region_reg>(reg));
}

// liburing 2.15 answers -EINVAL whatever it is given: the IORING_REGISTER_CQWAIT_REG opcode it was
// written for never shipped. The face does the same, so a program that falls back to
// io_uring_register_region on -EINVAL finds no region registered behind its back. (rawring's own
// rawring::register_wait_reg does register the entries, through IORING_REGISTER_MEM_REGION.)
RAWRING_LIBURING_DEF int io_uring_register_wait_reg(struct io_uring* ring,
                                                    struct io_uring_reg_wait* reg,
                                                    int nr) LIBURING_NOEXCEPT {
    (void)ring;
    (void)reg;
    (void)nr;
    return -rawring::err::einval;
}

RAWRING_LIBURING_DEF int io_uring_register_bpf_filter(struct io_uring* ring,
                                                      struct io_uring_bpf* bpf) LIBURING_NOEXCEPT {
    return rawring::register_bpf_filter(rawring::liburing_detail::state(ring),
                                        rawring::liburing_detail::twin<rawring::abi::io_uring_bpf>(bpf));
}

RAWRING_LIBURING_DEF int io_uring_register_bpf_filter_task(struct io_uring_bpf* bpf)
    LIBURING_NOEXCEPT {
    return rawring::register_bpf_filter_task(
        rawring::liburing_detail::twin<rawring::abi::io_uring_bpf>(bpf));
}

RAWRING_LIBURING_DEF int io_uring_register_query(struct io_uring_query_hdr* query)
    LIBURING_NOEXCEPT {
    return rawring::register_query(
        rawring::liburing_detail::twin<rawring::abi::io_uring_query_hdr>(query));
}

// =================================================================================================
// eventfd notification (the CQ ring's flags word)
// =================================================================================================

RAWRING_LIBURING_DEF bool io_uring_cq_eventfd_enabled(const struct io_uring* ring) LIBURING_NOEXCEPT {
    return rawring::cq_eventfd_enabled(rawring::liburing_detail::state(ring));
}

RAWRING_LIBURING_DEF int io_uring_cq_eventfd_toggle(struct io_uring* ring,
                                                    bool enabled) LIBURING_NOEXCEPT {
    return rawring::cq_eventfd_toggle(rawring::liburing_detail::state(ring), enabled);
}

// =================================================================================================
// provided-buffer rings
// =================================================================================================

// liburing ORs `flags` into reg->flags (IOU_PBUF_RING_* may come either way); rawring's
// register_buf_ring reserves its `flags` and refuses anything but 0, so the face moves them into
// the registration first. A null reg stays rawring's -EFAULT (liburing would dereference it).
RAWRING_LIBURING_DEF int io_uring_register_buf_ring(struct io_uring* ring, struct io_uring_buf_reg* reg,
                                                    unsigned int flags) LIBURING_NOEXCEPT {
    if (reg != nullptr) reg->flags = static_cast<__u16>(reg->flags | flags);
    return rawring::register_buf_ring(rawring::liburing_detail::state(ring),
                                      rawring::liburing_detail::twin<rawring::abi::io_uring_buf_reg>(reg),
                                      0);
}

RAWRING_LIBURING_DEF int io_uring_unregister_buf_ring(struct io_uring* ring,
                                                      int bgid) LIBURING_NOEXCEPT {
    return rawring::unregister_buf_ring(rawring::liburing_detail::state(ring), bgid);
}

RAWRING_LIBURING_DEF int io_uring_buf_ring_head(struct io_uring* ring, int buf_group,
                                                uint16_t* head) LIBURING_NOEXCEPT {
    return rawring::buf_ring_head(rawring::liburing_detail::state(ring), buf_group, head);
}

RAWRING_LIBURING_DEF struct io_uring_buf_ring* io_uring_setup_buf_ring(struct io_uring* ring,
                                                                       unsigned int nentries,
                                                                       int bgid, unsigned int flags,
                                                                       int* err) LIBURING_NOEXCEPT {
    return reinterpret_cast<::io_uring_buf_ring*>(rawring::setup_buf_ring(
        rawring::liburing_detail::state(ring), nentries, bgid, flags, err));
}

RAWRING_LIBURING_DEF int io_uring_free_buf_ring(struct io_uring* ring, struct io_uring_buf_ring* br,
                                                unsigned int nentries, int bgid) LIBURING_NOEXCEPT {
    return rawring::free_buf_ring(rawring::liburing_detail::state(ring),
                                  rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br),
                                  nentries, bgid);
}

RAWRING_LIBURING_DEF int io_uring_buf_ring_mask(__u32 ring_entries) LIBURING_NOEXCEPT {
    return rawring::buf_ring_mask(ring_entries);
}

RAWRING_LIBURING_DEF void io_uring_buf_ring_init(struct io_uring_buf_ring* br) LIBURING_NOEXCEPT {
    rawring::buf_ring_init(rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br));
}

RAWRING_LIBURING_DEF void io_uring_buf_ring_add(struct io_uring_buf_ring* br, void* addr,
                                                unsigned int len, unsigned short bid, int mask,
                                                int buf_offset) LIBURING_NOEXCEPT {
    rawring::buf_ring_add(rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br),
                          addr, len, bid, mask, buf_offset);
}

RAWRING_LIBURING_DEF void io_uring_buf_ring_advance(struct io_uring_buf_ring* br,
                                                    int count) LIBURING_NOEXCEPT {
    rawring::buf_ring_advance(rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br),
                              count);
}

RAWRING_LIBURING_DEF void __io_uring_buf_ring_cq_advance(struct io_uring* ring,
                                                         struct io_uring_buf_ring* br, int cq_count,
                                                         int buf_count) LIBURING_NOEXCEPT {
    rawring::buf_ring_cq_advance(rawring::liburing_detail::state(ring),
                                 rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br),
                                 cq_count, buf_count);
}

RAWRING_LIBURING_DEF void io_uring_buf_ring_cq_advance(struct io_uring* ring,
                                                       struct io_uring_buf_ring* br,
                                                       int count) LIBURING_NOEXCEPT {
    rawring::buf_ring_cq_advance(rawring::liburing_detail::state(ring),
                                 rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br),
                                 count);
}

RAWRING_LIBURING_DEF int io_uring_buf_ring_available(struct io_uring* ring,
                                                     struct io_uring_buf_ring* br,
                                                     unsigned short bgid) LIBURING_NOEXCEPT {
    return rawring::buf_ring_available(
        rawring::liburing_detail::state(ring),
        rawring::liburing_detail::twin<rawring::abi::io_uring_buf_ring>(br), bgid);
}

// =================================================================================================
// multishot recvmsg output
// =================================================================================================

RAWRING_LIBURING_DEF struct io_uring_recvmsg_out* io_uring_recvmsg_validate(void* buf, int buf_len,
                                                                            struct msghdr* msgh)
    LIBURING_NOEXCEPT {
    return reinterpret_cast<::io_uring_recvmsg_out*>(rawring::recvmsg_validate(buf, buf_len, msgh));
}

RAWRING_LIBURING_DEF void* io_uring_recvmsg_name(struct io_uring_recvmsg_out* o) LIBURING_NOEXCEPT {
    return rawring::recvmsg_name(rawring::liburing_detail::twin<rawring::abi::io_uring_recvmsg_out>(o));
}

RAWRING_LIBURING_DEF struct cmsghdr* io_uring_recvmsg_cmsg_firsthdr(struct io_uring_recvmsg_out* o,
                                                                    struct msghdr* msgh)
    LIBURING_NOEXCEPT {
    return rawring::recvmsg_cmsg_firsthdr(
        rawring::liburing_detail::twin<rawring::abi::io_uring_recvmsg_out>(o), msgh);
}

RAWRING_LIBURING_DEF struct cmsghdr* io_uring_recvmsg_cmsg_nexthdr(struct io_uring_recvmsg_out* o,
                                                                   struct msghdr* msgh,
                                                                   struct cmsghdr* cmsg)
    LIBURING_NOEXCEPT {
    return rawring::recvmsg_cmsg_nexthdr(
        rawring::liburing_detail::twin<rawring::abi::io_uring_recvmsg_out>(o), msgh, cmsg);
}

RAWRING_LIBURING_DEF void* io_uring_recvmsg_payload(struct io_uring_recvmsg_out* o,
                                                    struct msghdr* msgh) LIBURING_NOEXCEPT {
    return rawring::recvmsg_payload(
        rawring::liburing_detail::twin<rawring::abi::io_uring_recvmsg_out>(o), msgh);
}

RAWRING_LIBURING_DEF unsigned int io_uring_recvmsg_payload_length(struct io_uring_recvmsg_out* o,
                                                                  int buf_len, struct msghdr* msgh)
    LIBURING_NOEXCEPT {
    return rawring::recvmsg_payload_length(
        rawring::liburing_detail::twin<rawring::abi::io_uring_recvmsg_out>(o), buf_len, msgh);
}

// =================================================================================================
// version (no rawring twin: the face's own release, liburing/io_uring_version.h)
// =================================================================================================

RAWRING_LIBURING_DEF int io_uring_major_version(void) LIBURING_NOEXCEPT {
    return IO_URING_VERSION_MAJOR;
}

RAWRING_LIBURING_DEF int io_uring_minor_version(void) LIBURING_NOEXCEPT {
    return IO_URING_VERSION_MINOR;
}

// True when this library is older than major.minor, as liburing's (and IO_URING_CHECK_VERSION).
RAWRING_LIBURING_DEF bool io_uring_check_version(int major, int minor) LIBURING_NOEXCEPT {
    return major > io_uring_major_version() ||
           (major == io_uring_major_version() && minor > io_uring_minor_version());
}
