// SPDX-License-Identifier: MIT
// What the mock does by default for each opcode: the checks the kernel makes when it takes an
// SQE, and the operations it performs for real (NOP, reads and writes, fsync, timeouts, linked
// timeouts, cancellation, polls, MSG_RING, OPENAT/CLOSE, provided buffers). Any other opcode
// completes with -EOPNOTSUPP unless the test gives it a handler.
#include "internal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace rawring::mock {

using ring = detail::ring;
using req = detail::req;
using detail::stage;
using detail::wait_for;

namespace {

constexpr std::uint64_t ns_per_s = detail::ns_per_s;
constexpr std::uint32_t timeout_flags_known =
    abi::IORING_TIMEOUT_ABS | abi::IORING_TIMEOUT_BOOTTIME | abi::IORING_TIMEOUT_REALTIME |
    abi::IORING_TIMEOUT_ETIME_SUCCESS | abi::IORING_TIMEOUT_MULTISHOT | abi::IORING_TIMEOUT_IMMEDIATE_ARG;

std::uint64_t to_ns(const abi::kernel_timespec& ts) noexcept {
    if (ts.tv_sec < 0 || ts.tv_nsec < 0) return 0;
    return static_cast<std::uint64_t>(ts.tv_sec) * ns_per_s + static_cast<std::uint64_t>(ts.tv_nsec);
}

// A TIMEOUT's or LINK_TIMEOUT's time: the timespec at sqe.addr, or the ns in addr itself.
int read_time(std::uint64_t addr, std::uint32_t flags, std::uint64_t* ns) noexcept {
    if ((flags & abi::IORING_TIMEOUT_IMMEDIATE_ARG) != 0) {
        *ns = addr;
        return 0;
    }
    if (addr == 0) return -EFAULT;
    abi::kernel_timespec ts{};
    std::memcpy(&ts, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(addr)), sizeof(ts));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= static_cast<std::int64_t>(ns_per_s)) return -EINVAL;
    *ns = to_ns(ts);
    return 0;
}

bool is_write(std::uint8_t op) noexcept {
    return op == abi::IORING_OP_WRITE || op == abi::IORING_OP_WRITEV || op == abi::IORING_OP_WRITE_FIXED;
}

short ready_events(int fd, short events) noexcept {
    pollfd p{fd, events, 0};
    if (::poll(&p, 1, 0) <= 0) return 0;
    return static_cast<short>(p.revents & (events | POLLERR | POLLHUP | POLLNVAL));
}

} // namespace

bool kernel::impl::performs(std::uint8_t op) const noexcept {
    switch (op) {
    case abi::IORING_OP_NOP:
    case abi::IORING_OP_READV:
    case abi::IORING_OP_WRITEV:
    case abi::IORING_OP_FSYNC:
    case abi::IORING_OP_READ_FIXED:
    case abi::IORING_OP_WRITE_FIXED:
    case abi::IORING_OP_POLL_ADD:
    case abi::IORING_OP_POLL_REMOVE:
    case abi::IORING_OP_TIMEOUT:
    case abi::IORING_OP_TIMEOUT_REMOVE:
    case abi::IORING_OP_ASYNC_CANCEL:
    case abi::IORING_OP_LINK_TIMEOUT:
    case abi::IORING_OP_OPENAT:
    case abi::IORING_OP_CLOSE:
    case abi::IORING_OP_FILES_UPDATE:
    case abi::IORING_OP_READ:
    case abi::IORING_OP_WRITE:
    case abi::IORING_OP_PROVIDE_BUFFERS:
    case abi::IORING_OP_REMOVE_BUFFERS:
    case abi::IORING_OP_MSG_RING:
        return true;
    case abi::IORING_OP_NOP128:
        return opts.linux_6_19;
    default:
        return false;
    }
}

void kernel::impl::track_opened(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) == 0) opened.push_back({fd, st.st_dev, st.st_ino});
}

int kernel::impl::file_of(ring& r, const req& q, int* fd) {
    if ((q.sqe.flags & abi::IOSQE_FIXED_FILE) != 0) {
        const int i = q.sqe.fd;
        if (!r.files_registered || i < 0 || static_cast<std::size_t>(i) >= r.files.size() ||
            r.files[static_cast<std::size_t>(i)] < 0)
            return -EBADF;
        *fd = r.files[static_cast<std::size_t>(i)];
        return 0;
    }
    if (q.sqe.fd < 0 || ::fcntl(q.sqe.fd, F_GETFD) < 0) return -EBADF;
    *fd = q.sqe.fd;
    return 0;
}

int kernel::impl::prep(ring& r, req& q) {
    const abi::io_uring_sqe& s = q.sqe;
    if ((s.flags & 0x80) != 0) return -EINVAL;  // no such IOSQE_* flag
    // The kernel's rule: once a ring has seen CQE_SKIP_SUCCESS it refuses IO_DRAIN.
    if ((s.flags & abi::IOSQE_CQE_SKIP_SUCCESS) != 0) r.drain_disabled = true;
    if ((s.flags & abi::IOSQE_IO_DRAIN) != 0 && r.drain_disabled) return -EOPNOTSUPP;
    if (handlers[s.opcode]) return 0;  // the test's to decide; the mock reads nothing it points at
    // What Linux 6.18 knows, or 6.19 with options::linux_6_19.
    if (s.opcode > (opts.linux_6_19 ? abi::IORING_OP_URING_CMD128 : abi::IORING_OP_PIPE)) return -EINVAL;
    switch (s.opcode) {
    case abi::IORING_OP_NOP:
    case abi::IORING_OP_NOP128:
        // IORING_NOP_CQE32 needs a ring that can post 32-byte CQEs.
        if ((s.nop_flags & abi::IORING_NOP_CQE32) != 0 &&
            (r.flags & (abi::IORING_SETUP_CQE32 | abi::IORING_SETUP_CQE_MIXED)) == 0)
            return -EINVAL;
        return 0;
    case abi::IORING_OP_READV:
    case abi::IORING_OP_WRITEV: {
        // FEAT_SUBMIT_STABLE: the iovecs are read now, so the caller may reuse them.
        if (s.len > 1024) return -EINVAL;
        if (s.len != 0 && s.addr == 0) return -EFAULT;
        const auto* v = reinterpret_cast<const iovec*>(static_cast<std::uintptr_t>(s.addr));
        q.iov.assign(v, v + s.len);
        return 0;
    }
    case abi::IORING_OP_TIMEOUT: {
        if (s.len != 1 || (s.timeout_flags & ~timeout_flags_known) != 0) return -EINVAL;
        std::uint64_t ns = 0;
        if (const int ret = read_time(s.addr, s.timeout_flags, &ns); ret < 0) return ret;
        q.period = ns;
        return 0;
    }
    case abi::IORING_OP_LINK_TIMEOUT: {
        if (s.len != 1 || (s.timeout_flags & ~(timeout_flags_known & ~abi::IORING_TIMEOUT_MULTISHOT)) != 0)
            return -EINVAL;
        std::uint64_t ns = 0;
        if (const int ret = read_time(s.addr, s.timeout_flags, &ns); ret < 0) return ret;
        q.period = ns;  // made a deadline when its target starts
        return 0;
    }
    case abi::IORING_OP_OPENAT: {
        if (s.addr == 0) return -EFAULT;
        const char* p = reinterpret_cast<const char*>(static_cast<std::uintptr_t>(s.addr));
        q.path.assign(p, strnlen(p, PATH_MAX));
        return 0;
    }
    default:
        return 0;
    }
}

bool kernel::impl::retry_fd(ring& r, req& q) {
    if (q.sqe.opcode == abi::IORING_OP_POLL_ADD) {
        const short ev = ready_events(q.fd, q.events);
        if (ev == 0) {
            q.was_ready = false;
            return false;
        }
        if (q.multishot) {
            // The kernel's multishot poll posts on each wake-up; the mock on each time the fd
            // turns ready after having been seen not ready.
            if (q.was_ready) return false;
            q.was_ready = true;
            decide(r, q, ev, 0, true);
            return true;
        }
        q.waiting = wait_for::nothing;
        decide(r, q, ev);
        return true;
    }

    // Reads and writes.
    int fd = -1;
    if (const int ret = file_of(r, q, &fd); ret < 0) {
        q.waiting = wait_for::nothing;
        decide(r, q, ret);
        return true;
    }
    const std::uint8_t op = q.sqe.opcode;
    const bool write = is_write(op);
    iovec one{reinterpret_cast<void*>(static_cast<std::uintptr_t>(q.sqe.addr)), q.sqe.len};
    const iovec* iov = &one;
    int cnt = 1;
    if (op == abi::IORING_OP_READV || op == abi::IORING_OP_WRITEV) {
        iov = q.iov.data();
        cnt = static_cast<int>(q.iov.size());
    }
    if (op == abi::IORING_OP_READ_FIXED || op == abi::IORING_OP_WRITE_FIXED) {
        // The range must lie inside the registered buffer buf_index names.
        const unsigned i = q.sqe.buf_index;
        const auto lo = static_cast<std::uintptr_t>(q.sqe.addr);
        if (!r.buffers_registered || i >= r.buffers.size()) {
            decide(r, q, -EFAULT);
            return true;
        }
        const auto base = reinterpret_cast<std::uintptr_t>(r.buffers[i].iov_base);
        if (lo < base || lo + q.sqe.len > base + r.buffers[i].iov_len) {
            decide(r, q, -EFAULT);
            return true;
        }
    }
    // A provided buffer (IOSQE_BUFFER_SELECT): picked now, given up again if the read waits.
    std::uint32_t cqe_flags = 0;
    abi::io_uring_buf* ring_buf = nullptr;
    detail::pbuf_ring* pb = nullptr;
    std::deque<abi::io_uring_buf>* legacy = nullptr;
    if ((q.sqe.flags & abi::IOSQE_BUFFER_SELECT) != 0) {
        if (write || op != abi::IORING_OP_READ) {
            decide(r, q, -EINVAL);
            return true;
        }
        const std::uint16_t group = q.sqe.buf_group;
        if (auto it = r.pbufs.find(group); it != r.pbufs.end()) {
            pb = &it->second;
            // Acquire pairs with the user's release of the buffer ring's tail.
            const auto tail = std::atomic_ref<std::uint16_t>(pb->br->tail).load(std::memory_order_acquire);
            if (tail == pb->head) {
                decide(r, q, -ENOBUFS);
                return true;
            }
            ring_buf = &pb->br->bufs()[pb->head & (pb->entries - 1)];
            one.iov_base = reinterpret_cast<void*>(static_cast<std::uintptr_t>(ring_buf->addr));
            one.iov_len = q.sqe.len != 0 && q.sqe.len < ring_buf->len ? q.sqe.len : ring_buf->len;
            cqe_flags = abi::IORING_CQE_F_BUFFER | (std::uint32_t{ring_buf->bid} << abi::IORING_CQE_BUFFER_SHIFT);
        } else if (auto pit = r.provided.find(group); pit != r.provided.end() && !pit->second.empty()) {
            legacy = &pit->second;
            const abi::io_uring_buf& b = legacy->front();
            one.iov_base = reinterpret_cast<void*>(static_cast<std::uintptr_t>(b.addr));
            one.iov_len = q.sqe.len != 0 && q.sqe.len < b.len ? q.sqe.len : b.len;
            cqe_flags = abi::IORING_CQE_F_BUFFER | (std::uint32_t{b.bid} << abi::IORING_CQE_BUFFER_SHIFT);
        } else {
            decide(r, q, -ENOBUFS);
            return true;
        }
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        decide(r, q, -EBADF);
        return true;
    }
    ssize_t n = 0;
    const bool seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    if (seekable) {
        // Offset -1: the file position, which the call moves (IORING_FEAT_RW_CUR_POS).
        const bool at_pos = q.sqe.off == ~std::uint64_t{0};
        const auto off = static_cast<off_t>(q.sqe.off);
        if (write)
            n = at_pos ? ::writev(fd, iov, cnt) : ::pwritev(fd, iov, cnt, off);
        else
            n = at_pos ? ::readv(fd, iov, cnt) : ::preadv(fd, iov, cnt, off);
    } else {
        // Pipes, sockets, ttys: never block the mock. What would block waits for its fd and
        // is tried again at the next enter or wait of its ring.
        const short want = write ? POLLOUT : POLLIN;
        n = write ? ::pwritev2(fd, iov, cnt, -1, RWF_NOWAIT) : ::preadv2(fd, iov, cnt, -1, RWF_NOWAIT);
        if (n < 0 && errno == EOPNOTSUPP) {
            if (ready_events(fd, want) == 0) {
                errno = EAGAIN;
            } else {
                n = write ? ::writev(fd, iov, cnt) : ::readv(fd, iov, cnt);
            }
        }
        if (n < 0 && errno == EAGAIN) {
            q.waiting = wait_for::fd;
            q.fd = fd;
            q.events = want;
            return false;
        }
    }
    const int res = n < 0 ? -errno : static_cast<int>(n);
    if (res >= 0 && pb != nullptr) ++pb->head;
    if (res >= 0 && legacy != nullptr) legacy->pop_front();
    if (res < 0) cqe_flags = 0;
    q.waiting = wait_for::nothing;
    decide(r, q, res, cqe_flags);
    return true;
}

void kernel::impl::timer_fired(ring& r, req& q) {
    q.waiting = wait_for::nothing;
    if (q.sqe.opcode == abi::IORING_OP_LINK_TIMEOUT) {
        req* t = q.target;
        // The target has its CQE decided already: it won, and cancels this timeout itself.
        if (t != nullptr && t->st == stage::ready) return;
        if (t != nullptr) {
            // The request it guards is cancelled; the rest of the chain follows that failure.
            t->timeout = nullptr;
            t->next = q.next;
            q.next = nullptr;
            q.target = nullptr;
            t->waiting = wait_for::nothing;
            decide(r, q, -ETIME);
            decide(r, *t, -ECANCELED);
            return;
        }
        decide(r, q, -ETIME);
        return;
    }
    ++r.timeouts_fired;
    q.timed_out = true;
    if ((q.sqe.timeout_flags & abi::IORING_TIMEOUT_MULTISHOT) != 0 && q.shots != 1) {
        if (q.shots > 1) --q.shots;
        q.deadline += q.period != 0 ? q.period : 1;
        q.waiting = wait_for::timer;
        decide(r, q, -ETIME, 0, true);
        return;
    }
    decide(r, q, -ETIME);
}

int kernel::impl::cancel(ring& r, std::uint64_t user_data, int fd, std::uint32_t cancel_flags,
                         std::uint8_t op, const req* self) {
    const bool any = (cancel_flags & abi::IORING_ASYNC_CANCEL_ANY) != 0;
    const bool all = any || (cancel_flags & abi::IORING_ASYNC_CANCEL_ALL) != 0;
    const bool by_fd = (cancel_flags & abi::IORING_ASYNC_CANCEL_FD) != 0;
    const bool fixed = (cancel_flags & abi::IORING_ASYNC_CANCEL_FD_FIXED) != 0;
    const bool by_op = (cancel_flags & abi::IORING_ASYNC_CANCEL_OP) != 0;
    const bool by_data = (cancel_flags & abi::IORING_ASYNC_CANCEL_USERDATA) != 0 || (!by_fd && !by_op);
    int n = 0;
    for (req& q : r.reqs) {
        if (&q == self || q.st != stage::pending || q.sqe.opcode == abi::IORING_OP_LINK_TIMEOUT) continue;
        if (!any) {
            if (by_fd && (q.sqe.fd != fd || ((q.sqe.flags & abi::IOSQE_FIXED_FILE) != 0) != fixed)) continue;
            if (by_op && q.sqe.opcode != op) continue;
            if (by_data && q.sqe.user_data != user_data) continue;
        }
        q.waiting = wait_for::nothing;
        q.counting = false;
        decide(r, q, -ECANCELED);
        ++n;
        if (!all) break;
    }
    return n;
}

void kernel::impl::perform(ring& r, req& q) {
    const abi::io_uring_sqe& s = q.sqe;
    switch (s.opcode) {
    case abi::IORING_OP_NOP:
    case abi::IORING_OP_NOP128: {
        completion c{(s.nop_flags & abi::IORING_NOP_INJECT_RESULT) != 0 ? static_cast<std::int32_t>(s.len) : 0,
                     0, {0, 0}, false};
        if ((s.nop_flags & abi::IORING_NOP_CQE32) != 0) {
            // The kernel's io_req_set_res32: off and addr as the extra words, and on a CQE_MIXED
            // ring IORING_CQE_F_32 to say the CQE is the big kind.
            c.big_cqe[0] = s.off;
            c.big_cqe[1] = s.addr;
            if ((r.flags & abi::IORING_SETUP_CQE_MIXED) != 0) c.flags = abi::IORING_CQE_F_32;
        }
        decide(r, q, c);
        return;
    }

    case abi::IORING_OP_READ:
    case abi::IORING_OP_WRITE:
    case abi::IORING_OP_READV:
    case abi::IORING_OP_WRITEV:
    case abi::IORING_OP_READ_FIXED:
    case abi::IORING_OP_WRITE_FIXED:
        (void)retry_fd(r, q);
        return;

    case abi::IORING_OP_FSYNC: {
        int fd = -1;
        if (const int ret = file_of(r, q, &fd); ret < 0) {
            decide(r, q, ret);
            return;
        }
        const int ret = (s.fsync_flags & abi::IORING_FSYNC_DATASYNC) != 0 ? ::fdatasync(fd) : ::fsync(fd);
        decide(r, q, ret == 0 ? 0 : -errno);
        return;
    }

    case abi::IORING_OP_POLL_ADD: {
        int fd = -1;
        if (const int ret = file_of(r, q, &fd); ret < 0) {
            decide(r, q, ret);
            return;
        }
        q.fd = fd;
        q.events = static_cast<short>(s.poll32_events & 0xffff);
        q.multishot = (s.len & abi::IORING_POLL_ADD_MULTI) != 0;
        q.waiting = wait_for::fd;
        (void)retry_fd(r, q);
        return;
    }

    case abi::IORING_OP_POLL_REMOVE: {
        const bool update = (s.len & (abi::IORING_POLL_UPDATE_EVENTS | abi::IORING_POLL_UPDATE_USER_DATA)) != 0;
        for (req& p : r.reqs) {
            if (p.st != stage::pending || p.sqe.opcode != abi::IORING_OP_POLL_ADD || p.sqe.user_data != s.addr ||
                p.by_handler)
                continue;
            if (!update) {
                p.waiting = wait_for::nothing;
                decide(r, p, -ECANCELED);
            } else {
                if ((s.len & abi::IORING_POLL_UPDATE_EVENTS) != 0) p.events = static_cast<short>(s.poll32_events & 0xffff);
                if ((s.len & abi::IORING_POLL_UPDATE_USER_DATA) != 0) p.sqe.user_data = s.off;
                p.was_ready = false;
            }
            decide(r, q, 0);
            return;
        }
        decide(r, q, -ENOENT);
        return;
    }

    case abi::IORING_OP_TIMEOUT: {
        const std::uint32_t f = s.timeout_flags;
        const std::uint64_t t = now();
        std::uint64_t deadline = t + q.period;
        if ((f & abi::IORING_TIMEOUT_ABS) != 0) {
            deadline = q.period;
            if ((f & abi::IORING_TIMEOUT_REALTIME) != 0) {
                // An absolute CLOCK_REALTIME time, as far from the virtual now as it is from
                // the real one.
                timespec rt{};
                ::clock_gettime(CLOCK_REALTIME, &rt);
                const std::uint64_t real_now =
                    static_cast<std::uint64_t>(rt.tv_sec) * ns_per_s + static_cast<std::uint64_t>(rt.tv_nsec);
                deadline = q.period > real_now ? t + (q.period - real_now) : t;
            }
        }
        q.deadline = deadline;
        q.waiting = wait_for::timer;
        if ((f & abi::IORING_TIMEOUT_MULTISHOT) != 0) {
            q.shots = static_cast<unsigned>(s.off);
        } else if (s.off != 0) {
            // Also done once `off` other completions have been posted.
            q.counting = true;
            q.count_at = r.counted - r.uncounted + s.off;
        }
        timer_cv.notify_all();
        return;
    }

    case abi::IORING_OP_TIMEOUT_REMOVE: {
        const std::uint32_t f = s.timeout_flags;
        const bool update = (f & (abi::IORING_TIMEOUT_UPDATE | abi::IORING_LINK_TIMEOUT_UPDATE)) != 0;
        const std::uint8_t kind = (f & abi::IORING_LINK_TIMEOUT_UPDATE) != 0 ? abi::IORING_OP_LINK_TIMEOUT
                                                                              : abi::IORING_OP_TIMEOUT;
        std::uint64_t ns = 0;
        if (update) {
            if (const int ret = read_time(s.off, f, &ns); ret < 0) {
                decide(r, q, ret);
                return;
            }
        }
        for (req& t : r.reqs) {
            if (t.sqe.opcode != kind || t.sqe.user_data != s.addr || t.st != stage::pending || t.by_handler ||
                t.waiting != wait_for::timer)
                continue;
            if (update) {
                t.period = ns;
                t.deadline = (f & abi::IORING_TIMEOUT_ABS) != 0 ? ns : now() + ns;
                timer_cv.notify_all();
            } else {
                t.waiting = wait_for::nothing;
                t.counting = false;
                decide(r, t, -ECANCELED);
            }
            decide(r, q, 0);
            return;
        }
        decide(r, q, -ENOENT);
        return;
    }

    case abi::IORING_OP_LINK_TIMEOUT:
        // Only reached when it guards nothing (the chain checks make that -EINVAL already).
        decide(r, q, -EINVAL);
        return;

    case abi::IORING_OP_ASYNC_CANCEL: {
        const std::uint32_t cf = s.cancel_flags;
        const int n = cancel(r, s.addr, s.fd, cf, static_cast<std::uint8_t>(s.len), &q);
        const bool all = (cf & (abi::IORING_ASYNC_CANCEL_ALL | abi::IORING_ASYNC_CANCEL_ANY)) != 0;
        decide(r, q, all ? n : (n != 0 ? 0 : -ENOENT));
        return;
    }

    case abi::IORING_OP_MSG_RING: {
        int target_fd = s.fd;
        if ((s.flags & abi::IOSQE_FIXED_FILE) != 0 && file_of(r, q, &target_fd) < 0) {
            decide(r, q, -EBADF);
            return;
        }
        const std::shared_ptr<ring> t = find(target_fd, false);
        if (!t) {
            decide(r, q, ::fcntl(target_fd, F_GETFD) < 0 ? -EBADF : -EBADFD);
            return;
        }
        if (t->disabled || t->dead) {
            decide(r, q, -EBADFD);
            return;
        }
        if ((s.msg_ring_flags & ~(abi::IORING_MSG_RING_CQE_SKIP | abi::IORING_MSG_RING_FLAGS_PASS)) != 0) {
            decide(r, q, -EINVAL);
            return;
        }
        completion c{static_cast<std::int32_t>(s.len), 0, {0, 0}, false};
        if (s.addr == abi::IORING_MSG_DATA) {
            if ((s.msg_ring_flags & abi::IORING_MSG_RING_FLAGS_PASS) != 0) c.flags = s.file_index;
        } else if (s.addr == abi::IORING_MSG_SEND_FD) {
            // A registered file of ours into the target's table.
            const auto src = static_cast<std::size_t>(s.addr3);
            if (!r.files_registered || src >= r.files.size() || r.files[src] < 0) {
                decide(r, q, -EBADF);
                return;
            }
            if (!t->files_registered) {
                decide(r, q, -ENXIO);
                return;
            }
            std::size_t slot = s.file_index - 1;
            if (s.file_index == abi::IORING_FILE_INDEX_ALLOC) {
                slot = t->files.size();
                for (std::size_t i = 0; i < t->files.size(); ++i)
                    if (t->files[i] < 0) {
                        slot = i;
                        break;
                    }
            }
            if (s.file_index == 0 || slot >= t->files.size()) {
                decide(r, q, s.file_index == abi::IORING_FILE_INDEX_ALLOC ? -ENFILE : -EINVAL);
                return;
            }
            if (t->files[slot] >= 0) ::close(t->files[slot]);
            t->files[slot] = ::fcntl(r.files[src], F_DUPFD_CLOEXEC, 0);
            c.res = s.file_index == abi::IORING_FILE_INDEX_ALLOC ? static_cast<std::int32_t>(slot) : 0;
        } else {
            decide(r, q, -EINVAL);
            return;
        }
        if ((s.msg_ring_flags & abi::IORING_MSG_RING_CQE_SKIP) == 0) {
            // The target's CQE, as its own task work: deferred on a ring that defers.
            t->aux.push_back({s.off, c});
            if (t.get() != &r) settle_async(*t);
        }
        decide(r, q, 0);
        return;
    }

    case abi::IORING_OP_OPENAT: {
        const int fd = ::openat(s.fd, q.path.c_str(), static_cast<int>(s.open_flags) | O_LARGEFILE,
                                static_cast<mode_t>(s.len));
        if (fd < 0) {
            decide(r, q, -errno);
            return;
        }
        if (s.file_index == 0) {
            track_opened(fd);
            decide(r, q, fd);
            return;
        }
        // A direct descriptor: into the registered table, not the process's.
        if (!r.files_registered) {
            ::close(fd);
            decide(r, q, -ENXIO);
            return;
        }
        std::size_t slot = s.file_index - 1;
        if (s.file_index == abi::IORING_FILE_INDEX_ALLOC) {
            slot = r.files.size();
            const std::size_t lo = r.alloc_len != 0 ? r.alloc_off : 0;
            const std::size_t hi = r.alloc_len != 0 ? std::min<std::size_t>(r.alloc_off + r.alloc_len, r.files.size())
                                                    : r.files.size();
            for (std::size_t i = lo; i < hi; ++i)
                if (r.files[i] < 0) {
                    slot = i;
                    break;
                }
        }
        if (slot >= r.files.size()) {
            ::close(fd);
            decide(r, q, s.file_index == abi::IORING_FILE_INDEX_ALLOC ? -ENFILE : -EINVAL);
            return;
        }
        if (r.files[slot] >= 0) ::close(r.files[slot]);
        r.files[slot] = fd;
        decide(r, q, s.file_index == abi::IORING_FILE_INDEX_ALLOC ? static_cast<std::int32_t>(slot) : 0);
        return;
    }

    case abi::IORING_OP_CLOSE: {
        if (s.file_index != 0) {
            const std::size_t slot = s.file_index - 1;
            if (!r.files_registered || slot >= r.files.size() || r.files[slot] < 0) {
                decide(r, q, -EBADF);
                return;
            }
            ::close(r.files[slot]);
            r.files[slot] = -1;
            decide(r, q, 0);
            return;
        }
        // The kernel will not close an io_uring fd through io_uring.
        if (by_fd.count(s.fd) != 0) {
            decide(r, q, -EBADF);
            return;
        }
        const int ret = ::close(s.fd);
        if (ret == 0) std::erase_if(opened, [&s](const detail::opened_fd& o) { return o.fd == s.fd; });
        decide(r, q, ret == 0 ? 0 : -errno);
        return;
    }

    case abi::IORING_OP_FILES_UPDATE: {
        if (!r.files_registered) {
            decide(r, q, -ENXIO);
            return;
        }
        const int* fds = reinterpret_cast<const int*>(static_cast<std::uintptr_t>(s.addr));
        int done = 0;
        for (unsigned i = 0; i < s.len; ++i) {
            const std::size_t slot = static_cast<std::size_t>(s.off) + i;
            if (slot >= r.files.size()) break;
            if (fds[i] == abi::IORING_REGISTER_FILES_SKIP) {
                ++done;
                continue;
            }
            int dup = -1;
            if (fds[i] >= 0 && (dup = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 0)) < 0) {
                if (done == 0) done = -EBADF;
                break;
            }
            if (r.files[slot] >= 0) ::close(r.files[slot]);
            r.files[slot] = dup;
            ++done;
        }
        decide(r, q, done);
        return;
    }

    case abi::IORING_OP_PROVIDE_BUFFERS: {
        // nr in fd, the buffer size in len, the first id in off.
        if (s.fd <= 0 || s.fd > 65536) {
            decide(r, q, -EINVAL);
            return;
        }
        if (r.pbufs.count(s.buf_group) != 0) {
            decide(r, q, -EINVAL);  // the group is a buffer ring
            return;
        }
        auto& list = r.provided[s.buf_group];
        for (int i = 0; i < s.fd; ++i) {
            abi::io_uring_buf b{};
            b.addr = s.addr + std::uint64_t{s.len} * static_cast<unsigned>(i);
            b.len = s.len;
            b.bid = static_cast<std::uint16_t>(s.off + static_cast<unsigned>(i));
            list.push_back(b);
        }
        decide(r, q, 0);
        return;
    }

    case abi::IORING_OP_REMOVE_BUFFERS: {
        const auto it = r.provided.find(s.buf_group);
        if (it == r.provided.end() || s.fd <= 0) {
            decide(r, q, s.fd <= 0 ? -EINVAL : -ENOENT);
            return;
        }
        int n = 0;
        while (n < s.fd && !it->second.empty()) {
            it->second.pop_front();
            ++n;
        }
        decide(r, q, n);
        return;
    }

    default:
        // Not performed by the mock: the test gives it a handler, or it is "not supported".
        decide(r, q, -EOPNOTSUPP);
        return;
    }
}

} // namespace rawring::mock
