// SPDX-License-Identifier: MIT
// The cold half of provided-buffer rings: registration, setup and teardown, PBUF_STATUS, buffer_group.
#include "rawring/buf_ring.hpp"
#include "rawring/recvmsg.hpp"

#include <bit>

// Only for the layout checks below; a toolchain without libc headers skips them.
#if __has_include(<sys/socket.h>)
#include <sys/socket.h>
#define RAWRING_CHECK_MSGHDR
#endif

namespace rawring {

#ifdef RAWRING_CHECK_MSGHDR
// recvmsg.hpp reads msghdr and cmsghdr at the kernel's offsets; libc's structs must match them.
// msg_controllen and cmsg_len are __kernel_size_t words for the kernel; glibc declares them
// size_t, musl a socklen_t plus padding in the same word, so only their place is checked.
static_assert(sizeof(::msghdr) == sizeof(abi::user_msghdr));
static_assert(offsetof(::msghdr, msg_name) == offsetof(abi::user_msghdr, msg_name));
static_assert(offsetof(::msghdr, msg_namelen) == offsetof(abi::user_msghdr, msg_namelen));
static_assert(sizeof(::msghdr::msg_namelen) == sizeof(std::uint32_t));
static_assert(offsetof(::msghdr, msg_iov) == offsetof(abi::user_msghdr, msg_iov));
static_assert(offsetof(::msghdr, msg_iovlen) == offsetof(abi::user_msghdr, msg_iovlen));
static_assert(offsetof(::msghdr, msg_control) == offsetof(abi::user_msghdr, msg_control));
static_assert(offsetof(::msghdr, msg_controllen) == offsetof(abi::user_msghdr, msg_controllen));
static_assert(offsetof(::msghdr, msg_flags) == offsetof(abi::user_msghdr, msg_flags));
static_assert(sizeof(::cmsghdr) == sizeof(abi::kernel_cmsghdr));
static_assert(offsetof(::cmsghdr, cmsg_len) == offsetof(abi::kernel_cmsghdr, cmsg_len));
static_assert(offsetof(::cmsghdr, cmsg_level) == offsetof(abi::kernel_cmsghdr, cmsg_level));
static_assert(offsetof(::cmsghdr, cmsg_type) == offsetof(abi::kernel_cmsghdr, cmsg_type));
static_assert(CMSG_ALIGN(1) == abi::cmsg_align(1) && CMSG_ALIGN(13) == abi::cmsg_align(13) &&
              CMSG_ALIGN(16) == abi::cmsg_align(16));
#endif

namespace {

bool bgid_valid(int bgid) noexcept { return bgid >= 0 && bgid <= 0xffff; }

std::size_t ring_bytes(unsigned nentries) noexcept {
    return static_cast<std::size_t>(nentries) * sizeof(abi::io_uring_buf);
}

} // namespace

int register_buf_ring(ring_state& r, abi::io_uring_buf_reg* reg, unsigned flags) noexcept {
    if (reg == nullptr) return -err::efault;
    if (flags != 0 || !buf_ring_entries_valid(reg->ring_entries)) return -err::einval;
    return r.register_op(abi::IORING_REGISTER_PBUF_RING, reg, 1);
}

int unregister_buf_ring(ring_state& r, int bgid) noexcept {
    if (!bgid_valid(bgid)) return -err::einval;
    abi::io_uring_buf_reg reg{};
    reg.bgid = static_cast<std::uint16_t>(bgid);
    return r.register_op(abi::IORING_UNREGISTER_PBUF_RING, &reg, 1);
}

abi::io_uring_buf_ring* setup_buf_ring(ring_state& r, unsigned nentries, int bgid, unsigned flags,
                                       int* err) noexcept {
    int ret = 0;
    int ignored = 0;
    if (err == nullptr) err = &ignored;
    if (!buf_ring_entries_valid(nentries) || !bgid_valid(bgid) || flags > 0xffff) {
        *err = -err::einval;
        return nullptr;
    }
    abi::io_uring_buf_reg reg{};
    reg.ring_entries = nentries;
    reg.bgid = static_cast<std::uint16_t>(bgid);
    reg.flags = static_cast<std::uint16_t>(flags);
    void* mem = nullptr;
    if ((flags & abi::IOU_PBUF_RING_MMAP) != 0) {
        // The kernel allocates the ring at registration; map it afterwards.
        ret = register_buf_ring(r, &reg, 0);
        if (ret < 0) {
            *err = ret;
            return nullptr;
        }
        const std::uint64_t off = abi::IORING_OFF_PBUF_RING |
                                  (static_cast<std::uint64_t>(bgid) << abi::IORING_OFF_PBUF_SHIFT);
        mem = sys::mmap_ring(r.fd(), ring_bytes(nentries), off, &ret);
        if (mem == nullptr) {
            (void)unregister_buf_ring(r, bgid);
            *err = ret;
            return nullptr;
        }
    } else {
        mem = sys::mmap_anon(ring_bytes(nentries), &ret);
        if (mem == nullptr) {
            *err = ret;
            return nullptr;
        }
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
        ret = register_buf_ring(r, &reg, 0);
        if (ret < 0) {
            (void)sys::munmap(mem, ring_bytes(nentries));
            *err = ret;
            return nullptr;
        }
    }
    auto* br = static_cast<abi::io_uring_buf_ring*>(mem);
    buf_ring_init(br);
    *err = 0;
    return br;
}

int free_buf_ring(ring_state& r, abi::io_uring_buf_ring* br, unsigned nentries, int bgid) noexcept {
    if (br == nullptr || !buf_ring_entries_valid(nentries) || !bgid_valid(bgid)) return -err::einval;
    const int ret = unregister_buf_ring(r, bgid);
    if (ret < 0) return ret;
    return sys::munmap(br, ring_bytes(nentries));
}

int buf_ring_head(ring_state& r, int buf_group, std::uint16_t* head) noexcept {
    if (!bgid_valid(buf_group) || head == nullptr) return -err::einval;
    abi::io_uring_buf_status status{};
    status.buf_group = static_cast<std::uint32_t>(buf_group);
    const int ret = r.register_op(abi::IORING_REGISTER_PBUF_STATUS, &status, 1);
    if (ret < 0) return ret;
    *head = static_cast<std::uint16_t>(status.head);
    return 0;
}

// ---- buffer_group -------------------------------------------------------------------------------

buffer_group& buffer_group::operator=(buffer_group&& other) noexcept {
    if (this == &other) return *this;
    (void)exit();
    if (other.br_ != nullptr) detail::move_ring_link(other.link_, link_);
    br_ = other.br_;
    memory_ = other.memory_;
    heads_ = other.heads_;
    heads_size_ = other.heads_size_;
    buffer_size_ = other.buffer_size_;
    count_ = other.count_;
    entries_ = other.entries_;
    mask_ = other.mask_;
    group_id_ = other.group_id_;
    other.br_ = nullptr;  // ownership moved: forget without unregistering or unmapping
    other.memory_ = {};
    other.heads_ = nullptr;
    other.heads_size_ = 0;
    other.buffer_size_ = other.count_ = other.entries_ = 0;
    other.mask_ = 0;
    other.group_id_ = 0;
    return *this;
}

int buffer_group::init(ring_state& r, std::uint16_t group_id, std::span<std::byte> memory,
                       unsigned buffer_size, std::uint16_t count, unsigned flags) noexcept {
    if (br_ != nullptr) return -err::ebusy;
    if (count == 0 || count > buf_ring_max_entries || buffer_size == 0 || memory.data() == nullptr ||
        (flags & ~static_cast<unsigned>(abi::IOU_PBUF_RING_MMAP | abi::IOU_PBUF_RING_INC)) != 0)
        return -err::einval;
    if (memory.size() / buffer_size < count) return -err::einval;

    std::uint32_t* heads = nullptr;
    std::size_t heads_size = 0;
    int ret = 0;
    if ((flags & abi::IOU_PBUF_RING_INC) != 0) {
        heads_size = static_cast<std::size_t>(count) * sizeof(std::uint32_t);
        heads = static_cast<std::uint32_t*>(sys::mmap_anon(heads_size, &ret));  // zero-filled
        if (heads == nullptr) return ret;
    }
    const unsigned entries = std::bit_ceil(static_cast<unsigned>(count));
    abi::io_uring_buf_ring* br = setup_buf_ring(r, entries, group_id, flags, &ret);
    if (br == nullptr) {
        if (heads != nullptr) (void)sys::munmap(heads, heads_size);
        return ret;
    }
    const int mask = buf_ring_mask(entries);
    for (unsigned i = 0; i < count; ++i)
        buf_ring_add(br, memory.data() + static_cast<std::size_t>(i) * buffer_size, buffer_size,
                     static_cast<unsigned short>(i), mask, static_cast<int>(i));
    buf_ring_advance(br, count);

    detail::link_ring(link_, r);
    br_ = br;
    memory_ = memory.first(static_cast<std::size_t>(buffer_size) * count);
    heads_ = heads;
    heads_size_ = heads_size;
    buffer_size_ = buffer_size;
    count_ = count;
    entries_ = entries;
    mask_ = mask;
    group_id_ = group_id;
    return 0;
}

int buffer_group::exit() noexcept {
    if (br_ == nullptr) return 0;
    // A ring that exited (or was destroyed) first took the registration with it.
    ring_state* r = detail::unlink_ring(link_);
    const int ret = r != nullptr && r->is_open() ? unregister_buf_ring(*r, group_id_) : 0;
    (void)sys::munmap(br_, ring_bytes(entries_));
    if (heads_ != nullptr) (void)sys::munmap(heads_, heads_size_);
    br_ = nullptr;
    memory_ = {};
    heads_ = nullptr;
    heads_size_ = 0;
    buffer_size_ = count_ = entries_ = 0;
    mask_ = 0;
    group_id_ = 0;
    return ret;
}

} // namespace rawring
