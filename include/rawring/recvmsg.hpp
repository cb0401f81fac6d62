// SPDX-License-Identifier: MIT
// Parsing the buffers of a multishot recvmsg: header, source address, control messages, payload.
#pragma once

#include "rawring/config.hpp"  // first: stops a build below C++20 with one clear error

#include <cstddef>
#include <cstdint>

#include "rawring/abi.hpp"

// libc's types, declared but not defined: the caller passes the same `msghdr` it gave
// prep_recvmsg_multishot, and gets `cmsghdr` pointers to use with CMSG_DATA. rawring reads the
// few fields it needs at the offsets of the kernel's layout below, which src/buf_ring.cpp checks
// against libc's at build time.
struct msghdr;
struct cmsghdr;

namespace rawring::abi {

/// struct user_msghdr (linux/socket.h): the msghdr layout the kernel reads for sendmsg/recvmsg.
/// libc's `struct msghdr` must have the same layout, since the kernel is handed libc's struct.
struct user_msghdr {
    void* msg_name;
    int msg_namelen;
    void* msg_iov;               ///< struct iovec*
    std::size_t msg_iovlen;      ///< __kernel_size_t
    void* msg_control;
    std::size_t msg_controllen;  ///< __kernel_size_t
    unsigned msg_flags;
};

/// struct cmsghdr (linux/socket.h): the header of one control message; the data follows at
/// cmsg_align(sizeof(kernel_cmsghdr)).
struct kernel_cmsghdr {
    std::size_t cmsg_len;        ///< __kernel_size_t: header plus data, unaligned
    int cmsg_level;
    int cmsg_type;
};

/// The kernel's CMSG_ALIGN: control messages start at multiples of sizeof(long).
[[nodiscard]] constexpr std::size_t cmsg_align(std::size_t len) noexcept {
    return (len + sizeof(long) - 1) & ~(sizeof(long) - 1);
}

} // namespace rawring::abi

namespace rawring {

namespace detail {

/// Reads a T at `offset` bytes into `base` (a byte copy, so no aliasing rule is bent).
template <class T>
[[nodiscard]] inline T load_at(const void* base, std::size_t offset) noexcept {
    T value;
    __builtin_memcpy(&value, static_cast<const unsigned char*>(base) + offset, sizeof(value));
    return value;
}

/// The name and control sizes the caller asked for in its msghdr (what the kernel lays out).
[[nodiscard]] inline std::size_t msg_namelen(const ::msghdr* msgh) noexcept {
    return load_at<std::uint32_t>(msgh, offsetof(abi::user_msghdr, msg_namelen));
}
[[nodiscard]] inline std::size_t msg_controllen(const ::msghdr* msgh) noexcept {
    return load_at<std::size_t>(msgh, offsetof(abi::user_msghdr, msg_controllen));
}

} // namespace detail

// A multishot recvmsg buffer (IORING_OP_RECVMSG with IORING_RECV_MULTISHOT, Linux 6.0) holds,
// from its start: an abi::io_uring_recvmsg_out header (16 B); the source address, in a slot of
// msg_namelen bytes (the msghdr's, as given to prep_recvmsg_multishot); the control messages,
// in a slot of msg_controllen bytes; then the payload. The header says how much of each slot the
// kernel used (namelen, controllen), the socket's answer for the payload (payloadlen: the bytes
// placed, or, when the request's flags hold MSG_TRUNC, the datagram's full length) and the
// message flags (MSG_TRUNC there: the datagram did not fit the buffer).

/// The header of the multishot recvmsg buffer `buf` of `buf_len` bytes (the CQE's res), or
/// nullptr if the buffer cannot hold the header plus the name and control slots that `msgh`
/// asks for (a negative `buf_len` included). liburing: `io_uring_recvmsg_validate()`.
/// Since Linux 6.0.
[[nodiscard]] inline abi::io_uring_recvmsg_out* recvmsg_validate(void* buf, int buf_len,
                                                                 const ::msghdr* msgh) noexcept {
    if (buf == nullptr || buf_len < 0) return nullptr;
    const std::size_t slots = detail::msg_namelen(msgh) + detail::msg_controllen(msgh);
    if (slots < detail::msg_namelen(msgh) ||  // wrapped
        static_cast<std::size_t>(buf_len) < sizeof(abi::io_uring_recvmsg_out) ||
        static_cast<std::size_t>(buf_len) - sizeof(abi::io_uring_recvmsg_out) < slots)
        return nullptr;
    return static_cast<abi::io_uring_recvmsg_out*>(buf);
}

/// The source address slot (o->namelen bytes of it are valid; cast to sockaddr_in etc.).
/// liburing: `io_uring_recvmsg_name()`. Since Linux 6.0.
[[nodiscard]] inline void* recvmsg_name(abi::io_uring_recvmsg_out* o) noexcept {
    return reinterpret_cast<unsigned char*>(o) + sizeof(abi::io_uring_recvmsg_out);
}

/// The first control message, or nullptr if the kernel wrote none (o->controllen smaller than a
/// cmsghdr). liburing: `io_uring_recvmsg_cmsg_firsthdr()`. Since Linux 6.0.
[[nodiscard]] inline ::cmsghdr* recvmsg_cmsg_firsthdr(abi::io_uring_recvmsg_out* o,
                                                      const ::msghdr* msgh) noexcept {
    if (o->controllen < sizeof(abi::kernel_cmsghdr)) return nullptr;
    return reinterpret_cast<::cmsghdr*>(static_cast<unsigned char*>(recvmsg_name(o)) +
                                        detail::msg_namelen(msgh));
}

/// The control message after `cmsg`, or nullptr when `cmsg` is the last one (or malformed: a
/// length below the header's, or a next message that would end past the o->controllen bytes
/// the kernel wrote, or past the msghdr's control slot). liburing:
/// `io_uring_recvmsg_cmsg_nexthdr()`. Since Linux 6.0.
[[nodiscard]] inline ::cmsghdr* recvmsg_cmsg_nexthdr(abi::io_uring_recvmsg_out* o,
                                                     const ::msghdr* msgh,
                                                     ::cmsghdr* cmsg) noexcept {
    auto* first = reinterpret_cast<unsigned char*>(recvmsg_cmsg_firsthdr(o, msgh));
    if (first == nullptr || cmsg == nullptr) return nullptr;
    std::size_t end = o->controllen;
    if (const std::size_t slot = detail::msg_controllen(msgh); slot < end) end = slot;
    constexpr std::size_t hdr = sizeof(abi::kernel_cmsghdr);
    // Offsets from the first header, so no pointer is formed past the end of the buffer.
    const auto off = static_cast<std::size_t>(reinterpret_cast<unsigned char*>(cmsg) - first);
    if (off > end || end - off < hdr) return nullptr;
    const auto len = detail::load_at<std::size_t>(first + off, offsetof(abi::kernel_cmsghdr, cmsg_len));
    if (len < hdr || len > end - off) return nullptr;
    const std::size_t next = off + abi::cmsg_align(len);
    if (next > end || end - next < hdr) return nullptr;
    const auto next_len = detail::load_at<std::size_t>(first + next, offsetof(abi::kernel_cmsghdr, cmsg_len));
    if (next_len > end - next || abi::cmsg_align(next_len) > end - next) return nullptr;
    return reinterpret_cast<::cmsghdr*>(first + next);
}

/// The payload: after the header, the name slot and the control slot.
/// liburing: `io_uring_recvmsg_payload()`. Since Linux 6.0.
[[nodiscard]] inline void* recvmsg_payload(abi::io_uring_recvmsg_out* o,
                                           const ::msghdr* msgh) noexcept {
    return static_cast<unsigned char*>(recvmsg_name(o)) + detail::msg_namelen(msgh) +
           detail::msg_controllen(msgh);
}

/// The payload bytes the buffer holds: `buf_len` (the CQE's res) less the header and both
/// slots. Call it on a buffer recvmsg_validate accepted. A datagram cut short by the buffer size
/// has MSG_TRUNC in o->flags (and its full length in o->payloadlen if the recvmsg was asked for
/// with MSG_TRUNC).
/// liburing: `io_uring_recvmsg_payload_length()`. Since Linux 6.0.
[[nodiscard]] inline unsigned recvmsg_payload_length(abi::io_uring_recvmsg_out* o, int buf_len,
                                                     const ::msghdr* msgh) noexcept {
    const auto start = static_cast<std::size_t>(static_cast<unsigned char*>(recvmsg_payload(o, msgh)) -
                                                reinterpret_cast<unsigned char*>(o));
    const auto len = static_cast<std::size_t>(buf_len < 0 ? 0 : buf_len);
    return len > start ? static_cast<unsigned>(len - start) : 0u;
}

} // namespace rawring
