// SPDX-License-Identifier: MIT
// Provided-buffer rings (IORING_REGISTER_PBUF_RING) and buffer_group, a pool of equal buffers on one.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rawring/abi.hpp"
#include "rawring/errno.hpp"
#include "rawring/prep.hpp"
#include "rawring/ring.hpp"

namespace rawring {

/// The most entries a provided-buffer ring may have: the kernel's head and tail are 16-bit, so
/// a full and an empty ring of 65536 could not be told apart, and the size is a power of two.
inline constexpr unsigned buf_ring_max_entries = 32768;

/// True when `entries` is a size the kernel accepts for a buffer ring: a power of two from 1 to
/// 32768.
[[nodiscard]] constexpr bool buf_ring_entries_valid(unsigned entries) noexcept {
    return entries != 0 && entries <= buf_ring_max_entries && (entries & (entries - 1)) == 0;
}

// ---- registration and setup (src/buf_ring.cpp) -------------------------------------------------

/// Registers the buffer ring described by `*reg` (ring_addr, ring_entries, bgid, flags
/// IOU_PBUF_RING_*) with IORING_REGISTER_PBUF_RING. With IOU_PBUF_RING_MMAP the kernel allocates
/// the ring and the caller maps it at IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT.
/// `flags` is reserved and must be 0. Returns 0, or -EINVAL (flags not 0, ring_entries not a
/// power of two in 1..32768, without a syscall; from the kernel: ring_addr not page-aligned,
/// unknown reg->flags, reserved fields set, min_left without IOU_PBUF_RING_INC,
/// IOU_PBUF_RING_INC before Linux 6.12), -EFAULT (`reg` null; ring_addr 0 or not mapped without
/// IOU_PBUF_RING_MMAP), -EEXIST (bgid already has a ring or legacy provided buffers), -ENOMEM,
/// -EBADF (closed ring).
/// liburing: `io_uring_register_buf_ring()`. Since Linux 5.19 (MMAP 6.4, INC 6.12).
[[nodiscard]] int register_buf_ring(ring_state& r, abi::io_uring_buf_reg* reg, unsigned flags) noexcept;

/// Unregisters the buffer ring of group `bgid` (IORING_UNREGISTER_PBUF_RING). The ring memory is
/// the caller's again afterwards. Returns 0, or -EINVAL (bgid outside 0..65535, without a syscall;
/// from the kernel: the group holds legacy provided buffers, not a ring), -ENOENT (no such
/// group), -EBADF (closed ring). liburing: `io_uring_unregister_buf_ring()`. Since Linux 5.19.
[[nodiscard]] int unregister_buf_ring(ring_state& r, int bgid) noexcept;

/// Allocates a buffer ring of `nentries` entries for group `bgid`, registers it and initialises
/// its tail. The memory is an anonymous mapping of the application by default; with
/// IOU_PBUF_RING_MMAP in `flags` the kernel allocates it and rawring maps it from the ring fd
/// (IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT). IOU_PBUF_RING_INC in `flags` asks for
/// incremental consumption. Returns the ring, or nullptr with `*err` (if `err` is not null) set
/// to -EINVAL (nentries 0, above 32768 or not a power of two; bgid outside 0..65535; flags above
/// 16 bits; all without a syscall), or any error of register_buf_ring, mmap or munmap.
/// Release it with free_buf_ring. liburing: `io_uring_setup_buf_ring()`; Zig:
/// `setup_buf_ring()`. Since Linux 5.19.
[[nodiscard]] abi::io_uring_buf_ring* setup_buf_ring(ring_state& r, unsigned nentries, int bgid,
                                                     unsigned flags, int* err) noexcept;

/// Unregisters group `bgid` and unmaps the ring `br` of `nentries` entries that setup_buf_ring
/// returned. If the unregistration fails the mapping is left alone (the kernel may still use
/// it) and the error is returned. Returns 0, -EINVAL (br null, nentries invalid, bgid outside
/// 0..65535; without a syscall), or an error of unregister_buf_ring or munmap.
/// liburing: `io_uring_free_buf_ring()`; Zig: `free_buf_ring()`. Since Linux 5.19.
[[nodiscard]] int free_buf_ring(ring_state& r, abi::io_uring_buf_ring* br, unsigned nentries,
                                int bgid) noexcept;

/// Reads the kernel's head of group `buf_group` (IORING_REGISTER_PBUF_STATUS) into `*head`: a
/// free-running 16-bit count of the entries the kernel has taken (mask it for the slot of the
/// next one; an entry partly used under IOU_PBUF_RING_INC is not counted yet). Returns 0, or -EINVAL (buf_group outside
/// 0..65535 or head null, without a syscall; from the kernel: the group holds legacy provided
/// buffers), -ENOENT (no such group), -EBADF (closed ring).
/// liburing: `io_uring_buf_ring_head()`. Since Linux 6.8.
[[nodiscard]] int buf_ring_head(ring_state& r, int buf_group, std::uint16_t* head) noexcept;

// ---- the hot path: header-only ---------------------------------------------------------------

/// Sets the ring's tail to 0 (setup_buf_ring does it already).
/// liburing: `io_uring_buf_ring_init()`; Zig: `buf_ring_init()`. Since Linux 5.19.
inline void buf_ring_init(abi::io_uring_buf_ring* br) noexcept {
    std::atomic_ref<std::uint16_t>(br->tail).store(0, std::memory_order_relaxed);
}

/// The index mask of a ring of `entries` entries (entries - 1).
/// liburing: `io_uring_buf_ring_mask()`; Zig: `buf_ring_mask()`. Since Linux 5.19.
[[nodiscard]] constexpr int buf_ring_mask(unsigned entries) noexcept {
    return static_cast<int>(entries - 1);
}

/// Writes buffer `bid` (`len` bytes at `addr`) into the slot `buf_offset` places past the tail,
/// not yet visible to the kernel: add several with offsets 0, 1, 2... then buf_ring_advance by
/// their count. liburing: `io_uring_buf_ring_add()`; Zig: `buf_ring_add()`. Since Linux 5.19.
inline void buf_ring_add(abi::io_uring_buf_ring* br, void* addr, unsigned len, unsigned short bid,
                         int mask, int buf_offset) noexcept {
    // Only this thread writes the tail; the kernel only reads it.
    const std::uint16_t tail = std::atomic_ref<std::uint16_t>(br->tail).load(std::memory_order_relaxed);
    abi::io_uring_buf* buf = &br->bufs()[static_cast<unsigned>(tail + buf_offset) & static_cast<unsigned>(mask)];
    // addr, len and bid only: in slot 0, the word after bid is the tail itself.
    buf->addr = reinterpret_cast<std::uintptr_t>(addr);
    buf->len = len;
    buf->bid = bid;
}

/// Hands `count` buffers added with buf_ring_add to the kernel (one tail store).
/// liburing: `io_uring_buf_ring_advance()`; Zig: `buf_ring_advance()`. Since Linux 5.19.
inline void buf_ring_advance(abi::io_uring_buf_ring* br, int count) noexcept {
    std::atomic_ref<std::uint16_t> tail(br->tail);
    // Release: the kernel reads the tail with acquire and then the entries below it, so the
    // entries written by buf_ring_add must be visible before the new tail.
    tail.store(static_cast<std::uint16_t>(tail.load(std::memory_order_relaxed) + count),
               std::memory_order_release);
}

/// Advances the buffer ring by `buf_count` and the CQ by `cq_count`: for a batch of CQEs whose
/// buffers were all re-added. liburing: `__io_uring_buf_ring_cq_advance()`. Since Linux 5.19.
inline void buf_ring_cq_advance(ring_state& r, abi::io_uring_buf_ring* br, int cq_count,
                                int buf_count) noexcept {
    buf_ring_advance(br, buf_count);
    r.cq_advance(static_cast<unsigned>(cq_count));
}

/// Advances the buffer ring and the CQ by the same `count`.
/// liburing: `io_uring_buf_ring_cq_advance()`. Since Linux 5.19.
inline void buf_ring_cq_advance(ring_state& r, abi::io_uring_buf_ring* br, int count) noexcept {
    buf_ring_cq_advance(r, br, count, count);
}

/// How many buffers of group `bgid` (whose ring is `br`) the kernel has not taken yet: tail
/// minus the kernel's head. Returns that count (>= 0), or an error of buf_ring_head.
/// liburing: `io_uring_buf_ring_available()`. Since Linux 6.8.
[[nodiscard]] inline int buf_ring_available(ring_state& r, abi::io_uring_buf_ring* br, int bgid) noexcept {
    std::uint16_t head = 0;
    const int ret = buf_ring_head(r, bgid, &head);
    if (ret < 0) return ret;
    const std::uint16_t tail = std::atomic_ref<std::uint16_t>(br->tail).load(std::memory_order_relaxed);
    return static_cast<std::uint16_t>(tail - head);
}

// ---- buffer_group -------------------------------------------------------------------------------

/// A pool of `count` equal buffers handed to the kernel through one provided-buffer ring: the
/// kernel picks a buffer when data arrives for a recv prepared by the group, the CQE names it,
/// get() shows the bytes and put() gives the buffer back (put_by_id() when only its id is left).
///
/// Memory: the buffers live in memory the caller owns (`buffer_size * count` bytes, passed to
/// init, which must outlive the group); the ring is mapped by setup_buf_ring; with incremental
/// consumption, the group also maps one anonymous block for the per-buffer read offsets. No heap.
/// The ring may exit, be destroyed or be moved while the group lives: the group follows a
/// `ring` that is moved, and one that exits or is destroyed first takes the group's
/// registration with it (the group then only unmaps what it mapped). A plain `ring_state`
/// copied by hand is not followed: the group stays with the original.
///
/// Incremental consumption (IOU_PBUF_RING_INC, Linux 6.12): the kernel fills one buffer across
/// several completions; a CQE with IORING_CQE_F_BUF_MORE means the buffer is not finished, and
/// put() then only moves the group's read offset of that buffer past the bytes seen, so that
/// get() of the next CQE naming it starts after them. The CQEs of one buffer must be put in the
/// order they arrive. Zig: `BufferGroup`.
class buffer_group {
public:
    buffer_group() noexcept = default;
    ~buffer_group() { (void)exit(); }
    buffer_group(const buffer_group&) = delete;
    buffer_group& operator=(const buffer_group&) = delete;
    buffer_group(buffer_group&& other) noexcept { *this = static_cast<buffer_group&&>(other); }
    buffer_group& operator=(buffer_group&& other) noexcept;

    /// Sets up a buffer ring for group `group_id` on `r` with `count` buffers of `buffer_size`
    /// bytes cut from `memory` (buffer i at i * buffer_size) and hands them all to the kernel.
    /// The ring gets the next power of two at or above `count` entries. `flags`: IOU_PBUF_RING_MMAP
    /// (kernel-allocated ring) and IOU_PBUF_RING_INC (incremental consumption).
    /// Returns 0, or -EBUSY (already set up), -EINVAL (count 0 or above 32768, buffer_size 0,
    /// memory smaller than buffer_size * count or null, flags other than MMAP|INC; the kernel's
    /// -EINVAL for INC before Linux 6.12), -EEXIST (group_id taken), or an error of
    /// setup_buf_ring or mmap. Zig: `BufferGroup.init()`. Since Linux 5.19.
    [[nodiscard]] int init(ring_state& r, std::uint16_t group_id, std::span<std::byte> memory,
                           unsigned buffer_size, std::uint16_t count, unsigned flags = 0) noexcept;

    /// Unregisters the ring (unless the ring exited first, which dropped it) and unmaps what
    /// the group mapped; the group can then be set up again. The mappings are released even when
    /// the unregistration fails (the kernel keeps its own reference to the pages). Returns 0 or the
    /// error of unregister_buf_ring. Safe to call twice. Zig: `BufferGroup.deinit()`.
    int exit() noexcept;

    /// Prepares `sqe` as a recv on `fd` (MSG_* `flags`) into a buffer the kernel picks from this
    /// group (IOSQE_BUFFER_SELECT, buf_group). Zig: `BufferGroup.recv()`. Since Linux 5.19.
    void recv(abi::io_uring_sqe* sqe, int fd, int flags) const noexcept {
        prep_recv(sqe, fd, nullptr, 0, flags);
        select_(sqe);
    }

    /// As recv, multishot (IORING_RECV_MULTISHOT): one CQE per arrival, each with a buffer, while
    /// IORING_CQE_F_MORE is set. An empty group ends it with -ENOBUFS.
    /// Zig: `BufferGroup.recv_multishot()`. Since Linux 6.0.
    void recv_multishot(abi::io_uring_sqe* sqe, int fd, int flags) const noexcept {
        prep_recv_multishot(sqe, fd, nullptr, 0, flags);
        select_(sqe);
    }

    /// The bytes `cqe` received: cqe.res bytes of the buffer it names (after the bytes of earlier
    /// CQEs of that buffer under incremental consumption). Empty if the CQE carries no buffer of
    /// this group (no IORING_CQE_F_BUFFER, res < 0, id out of range). Zig: `BufferGroup.get()`.
    [[nodiscard]] std::span<std::byte> get(const abi::io_uring_cqe& cqe) const noexcept {
        const int id = cqe_buffer_id(cqe);
        if (id < 0 || cqe.res < 0 || static_cast<unsigned>(id) >= count_) return {};
        const auto bid = static_cast<unsigned>(id);
        const unsigned head = heads_ != nullptr ? heads_[bid] : 0;
        const auto res = static_cast<unsigned>(cqe.res);
        if (res > buffer_size_ - head) return {};
        return memory_.subspan(static_cast<std::size_t>(bid) * buffer_size_ + head, res);
    }

    /// Gives the buffer of `cqe` back to the kernel (one slot, one tail store), or, when the CQE
    /// has IORING_CQE_F_BUF_MORE, records that its bytes were consumed and leaves the buffer with
    /// the kernel. Returns 0, -ENOBUFS (the CQE carries no buffer: IORING_CQE_F_BUFFER clear, as
    /// cqe_buffer_id says), or -EINVAL (a buffer id this group does not have, or more bytes than
    /// the buffer has left). Zig: `BufferGroup.put()` (error.NoBufferSelected).
    [[nodiscard]] int put(const abi::io_uring_cqe& cqe) noexcept {
        const int id = cqe_buffer_id(cqe);
        if (id < 0) return id;
        if (static_cast<unsigned>(id) >= count_) return -err::einval;
        const auto bid = static_cast<unsigned>(id);
        if (heads_ != nullptr && cqe_buf_more(cqe)) {
            // The kernel moved its own copy of the buffer's address past these bytes and will
            // fill the rest; follow it.
            const unsigned res = cqe.res > 0 ? static_cast<unsigned>(cqe.res) : 0;
            if (res > buffer_size_ - heads_[bid]) return -err::einval;
            heads_[bid] += res;
            return 0;
        }
        return put_by_id(bid);
    }

    /// Gives buffer `buffer_id` back to the kernel, whole (one slot, one tail store): for when
    /// the CQE that named it is gone, as in an echo server that returns a buffer once the send
    /// from it has completed. Returns 0, or -EINVAL (an id this group does not have, including
    /// any id on a group not set up; the id is not cut to 16 bits first).
    ///
    /// Like liburing's buf_ring_add + buf_ring_advance, which is what it does, it does not check
    /// that the application holds the buffer: the kernel takes buffers without telling the
    /// group (only CQEs name them, and its head, IORING_REGISTER_PBUF_STATUS, costs a system call
    /// and says how many were taken, not which). Give a buffer back once per CQE that handed it
    /// out: one given back twice is in the ring twice, and two receives can land in it.
    ///
    /// With incremental consumption the buffer goes back whole and its read offset restarts at
    /// 0. Only a finished buffer may go back by id: one whose last CQE came without
    /// IORING_CQE_F_BUF_MORE. A buffer whose last CQE had BUF_MORE is still in the kernel's ring
    /// (the next receive continues in it); put that CQE with put(cqe), so get() finds the later
    /// bytes. liburing: `io_uring_buf_ring_add()` + `io_uring_buf_ring_advance()`; Zig: none
    /// (`BufferGroup.put()` takes the CQE). Since Linux 5.19.
    [[nodiscard]] int put_by_id(unsigned buffer_id) noexcept {
        if (buffer_id >= count_) return -err::einval;
        if (heads_ != nullptr) heads_[buffer_id] = 0;
        buf_ring_add(br_, memory_.data() + static_cast<std::size_t>(buffer_id) * buffer_size_,
                     buffer_size_, static_cast<unsigned short>(buffer_id), mask_, 0);
        buf_ring_advance(br_, 1);
        return 0;
    }

    /// The part of buffer `bid` not yet consumed (all of it without incremental consumption);
    /// empty for an id this group does not have. Zig: `BufferGroup.get_by_id()`.
    [[nodiscard]] std::span<std::byte> get_by_id(std::uint16_t bid) const noexcept {
        if (bid >= count_) return {};
        const unsigned head = heads_ != nullptr ? heads_[bid] : 0;
        return memory_.subspan(static_cast<std::size_t>(bid) * buffer_size_ + head,
                               buffer_size_ - head);
    }

    [[nodiscard]] bool is_open() const noexcept { return br_ != nullptr; }
    [[nodiscard]] std::uint16_t group_id() const noexcept { return group_id_; }
    [[nodiscard]] unsigned buffer_size() const noexcept { return buffer_size_; }
    [[nodiscard]] unsigned count() const noexcept { return count_; }
    /// Entries of the buffer ring (count rounded up to a power of two).
    [[nodiscard]] unsigned ring_entries() const noexcept { return entries_; }
    /// The buffer ring itself, for buf_ring_available and inspection.
    [[nodiscard]] abi::io_uring_buf_ring* buf_ring() const noexcept { return br_; }
    /// True with incremental consumption (IOU_PBUF_RING_INC).
    [[nodiscard]] bool incremental() const noexcept { return heads_ != nullptr; }

private:
    void select_(abi::io_uring_sqe* sqe) const noexcept {
        sqe->flags |= abi::IOSQE_BUFFER_SELECT;
        sqe->buf_group = group_id_;
    }

    detail::ring_link link_{};  // the ring it is on (nullptr once that ring exited)
    abi::io_uring_buf_ring* br_ = nullptr;
    std::span<std::byte> memory_{};
    std::uint32_t* heads_ = nullptr;   // per-buffer read offsets; only with IOU_PBUF_RING_INC
    std::size_t heads_size_ = 0;
    unsigned buffer_size_ = 0;
    unsigned count_ = 0;
    unsigned entries_ = 0;
    int mask_ = 0;
    std::uint16_t group_id_ = 0;
};

} // namespace rawring
