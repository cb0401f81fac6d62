// SPDX-License-Identifier: MIT
// io_uring_register on the mock: probe, registered ring fds, files, buffers, buffer rings,
// enabling, resizing, the wait clock, eventfds and synchronous cancellation. Any other opcode
// gives -EINVAL, as from a kernel that does not know it.
#include "internal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rawring::mock {

using ring = detail::ring;
using req = detail::req;

namespace {

template <class T>
T* as(const void* arg) noexcept {
    return static_cast<T*>(const_cast<void*>(arg));
}


// A dup the registered table owns, so that closing the caller's fd leaves the slot intact.
int hold(int fd) noexcept { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

void drop_files(ring& r) {
    for (int& f : r.files) {
        if (f >= 0) ::close(f);
        f = -1;
    }
    r.files.clear();
    r.files_registered = false;
}

int fill_files(ring& r, const int* fds, unsigned nr) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && nr > lim.rlim_cur) return -EMFILE;
    r.files.assign(nr, -1);
    for (unsigned i = 0; fds != nullptr && i < nr; ++i) {
        if (fds[i] == -1) continue;
        if ((r.files[i] = hold(fds[i])) < 0) {
            drop_files(r);
            return -EBADF;
        }
    }
    r.files_registered = true;
    return 0;
}

} // namespace

int kernel::impl::register_ring_fds(ring& r, const void* arg, unsigned nr) {
    (void)r;  // the table is the calling task's, whichever ring the call went through
    if (nr == 0 || nr > detail::ring_slots || arg == nullptr) return -EINVAL;
    auto* up = as<abi::io_uring_rsrc_update>(arg);
    auto& table = slots[sys::gettid()];
    int done = 0;
    int err = 0;
    for (unsigned i = 0; i < nr; ++i) {
        if (up[i].resv != 0) {
            err = -EINVAL;
            break;
        }
        const auto fd = static_cast<int>(up[i].data);
        const auto it = by_fd.find(fd);
        if (it == by_fd.end()) {
            err = ::fcntl(fd, F_GETFD) < 0 ? -EBADF : -EOPNOTSUPP;
            break;
        }
        unsigned slot = up[i].offset;
        if (slot == ~0u) {
            // From the top down: the kernel hands out the lowest free slot, so a task that also
            // has kernel rings registered rarely sees the two tables collide.
            slot = detail::ring_slots;
            for (unsigned s = detail::ring_slots; s-- > 0;)
                if (!table[s]) {
                    slot = s;
                    break;
                }
            if (slot == detail::ring_slots) {
                err = -EBUSY;
                break;
            }
        } else if (slot >= detail::ring_slots) {
            err = -EINVAL;
            break;
        }
        if (const std::shared_ptr<ring> old = table[slot]) {
            table[slot] = nullptr;
            --old->slots;
            release(old);
        }
        table[slot] = it->second;
        ++it->second->slots;
        up[i].offset = slot;
        ++done;
    }
    return done != 0 ? done : err;
}

int kernel::impl::unregister_ring_fds(const void* arg, unsigned nr) {
    if (nr == 0 || nr > detail::ring_slots || arg == nullptr) return -EINVAL;
    const auto* up = as<abi::io_uring_rsrc_update>(arg);
    auto& table = slots[sys::gettid()];
    int done = 0;
    for (unsigned i = 0; i < nr; ++i) {
        const unsigned slot = up[i].offset;
        if (up[i].resv != 0 || slot >= detail::ring_slots || !table[slot]) return done != 0 ? done : -EINVAL;
        const std::shared_ptr<ring> r = table[slot];
        table[slot] = nullptr;
        --r->slots;
        release(r);
        ++done;
    }
    return done;
}

int kernel::impl::resize(ring& r, abi::io_uring_params* p) {
    if (p == nullptr) return -EFAULT;
    if ((r.flags & abi::IORING_SETUP_DEFER_TASKRUN) == 0 || r.user_mem) return -EINVAL;
    if ((p->flags & ~(abi::IORING_SETUP_CQSIZE | abi::IORING_SETUP_CLAMP)) != 0) return -EINVAL;
    unsigned sq = 0, cq = 0;
    if (const int ret = detail::ring_sizes(p->sq_entries, *p, &sq, &cq); ret != 0) return ret;
    const std::uint32_t sq_head = detail::load(r.sq_head);
    const std::uint32_t sq_tail = detail::load(r.sq_tail, std::memory_order_acquire);
    const std::uint32_t cq_head = detail::load(r.cq_head, std::memory_order_acquire);
    const std::uint32_t cq_tail = detail::load(r.cq_tail);
    if (sq_tail - sq_head > sq || cq_tail - cq_head > cq) return -EOVERFLOW;

    // What carries over: the unconsumed SQEs and unreaped CQEs at the same positions, the
    // counters and the flags words.
    const std::size_t sqe_size = (r.flags & abi::IORING_SETUP_SQE128) != 0 ? 128 : 64;
    const std::size_t cqe_size = (r.flags & abi::IORING_SETUP_CQE32) != 0 ? 32 : 16;
    std::vector<unsigned char> old_sqes((sq_tail - sq_head) * sqe_size);
    std::vector<unsigned char> old_cqes((cq_tail - cq_head) * cqe_size);
    for (std::uint32_t i = sq_head; i != sq_tail; ++i) {
        const std::uint32_t slot = i & (r.sq_entries - 1);
        const std::uint32_t idx = r.sq_array != nullptr ? r.sq_array[slot] : slot;
        if (idx < r.sq_entries)
            std::memcpy(&old_sqes[(i - sq_head) * sqe_size], r.sqes + std::size_t{idx} * sqe_size, sqe_size);
    }
    for (std::uint32_t i = cq_head; i != cq_tail; ++i)
        std::memcpy(&old_cqes[(i - cq_head) * cqe_size], r.cqes + std::size_t{i & (r.cq_entries - 1)} * cqe_size,
                    cqe_size);
    const std::uint32_t sq_flags = detail::load(r.sq_flags);
    const std::uint32_t cq_flags = detail::load(r.cq_flags);
    const std::uint32_t dropped = detail::load(r.sq_dropped);
    const std::uint32_t overflow = detail::load(r.cq_overflow);

    // The new rings go after everything else in the memfd; the old pages stay mapped for
    // whoever still maps them.
    abi::io_uring_params np{};
    np.flags = r.flags;
    if (const int ret = layout(r, sq, cq, r.flags, &np, r.mem_size); ret < 0) return ret;
    for (std::uint32_t i = sq_head; i != sq_tail; ++i) {
        const std::uint32_t slot = i & (sq - 1);
        std::memcpy(r.sqes + std::size_t{slot} * sqe_size, &old_sqes[(i - sq_head) * sqe_size], sqe_size);
        if (r.sq_array != nullptr) r.sq_array[slot] = slot;
    }
    for (std::uint32_t i = cq_head; i != cq_tail; ++i)
        std::memcpy(r.cqes + std::size_t{i & (cq - 1)} * cqe_size, &old_cqes[(i - cq_head) * cqe_size], cqe_size);
    detail::store(r.sq_head, sq_head);
    detail::store(r.sq_tail, sq_tail);
    detail::store(r.cq_head, cq_head);
    detail::store(r.cq_tail, cq_tail, std::memory_order_release);
    detail::store(r.sq_flags, sq_flags);
    detail::store(r.cq_flags, cq_flags);
    detail::store(r.sq_dropped, dropped);
    detail::store(r.cq_overflow, overflow);
    p->sq_entries = sq;
    p->cq_entries = cq;
    p->sq_off = np.sq_off;
    p->cq_off = np.cq_off;
    p->sq_off.array = 0;  // as the kernel (6.13..6.18) reports it after a resize
    // Overflowed CQEs stay where they are: the next GETEVENTS moves them, as in the kernel.
    return 0;
}

int kernel::impl::msg_ring_sync(const abi::io_uring_sqe* sqe) {
    const std::shared_ptr<ring> t = find(sqe->fd, false);
    if (!t) return -ENOTTY;  // not ours: the caller passes it on
    if (sqe->opcode != abi::IORING_OP_MSG_RING || sqe->addr != abi::IORING_MSG_DATA) return -EINVAL;
    if (t->disabled || t->dead) return -EBADFD;
    completion c{static_cast<std::int32_t>(sqe->len), 0, {0, 0}, false};
    if ((sqe->msg_ring_flags & abi::IORING_MSG_RING_FLAGS_PASS) != 0) c.flags = sqe->file_index;
    t->aux.push_back({sqe->off, c});
    settle_async(*t);
    return 0;
}

int kernel::impl::register_op(ring* rp, unsigned opcode, const void* arg, unsigned nr_args) {
    ring& r = *rp;
    if (r.dead) return -EBADF;
    switch (opcode) {
    case abi::IORING_REGISTER_PROBE: {
        if (arg == nullptr) return -EFAULT;
        if (nr_args > 256) return -EINVAL;
        auto* hdr = as<abi::io_uring_probe>(arg);
        // The kernel wants the buffer zeroed, header and entries.
        const auto* bytes = static_cast<const unsigned char*>(arg);
        const std::size_t size = sizeof(abi::io_uring_probe) + std::size_t{nr_args} * sizeof(abi::io_uring_probe_op);
        if (std::any_of(bytes, bytes + size, [](unsigned char b) { return b != 0; })) return -EINVAL;
        unsigned last = opts.linux_6_19 ? abi::IORING_OP_URING_CMD128 : abi::IORING_OP_PIPE;
        for (unsigned op = last + 1; op < 256; ++op)
            if (handlers[op]) last = op;
        hdr->last_op = static_cast<std::uint8_t>(last);
        const unsigned n = std::min(nr_args, last + 1);
        hdr->ops_len = static_cast<std::uint8_t>(n);
        for (unsigned op = 0; op < n; ++op) {
            hdr->ops()[op].op = static_cast<std::uint8_t>(op);
            if (performs(static_cast<std::uint8_t>(op)) || handlers[op]) hdr->ops()[op].flags = abi::IO_URING_OP_SUPPORTED;
        }
        return 0;
    }
    case abi::IORING_REGISTER_RING_FDS:
        return register_ring_fds(r, arg, nr_args);
    case abi::IORING_UNREGISTER_RING_FDS:
        return unregister_ring_fds(arg, nr_args);

    case abi::IORING_REGISTER_FILES:
        if (r.files_registered) return -EBUSY;
        if (nr_args == 0 || arg == nullptr) return -EINVAL;
        return fill_files(r, static_cast<const int*>(arg), nr_args);
    case abi::IORING_REGISTER_FILES2: {
        if (r.files_registered) return -EBUSY;
        if (arg == nullptr || nr_args != sizeof(abi::io_uring_rsrc_register)) return -EINVAL;
        const auto* reg = static_cast<const abi::io_uring_rsrc_register*>(arg);
        if (reg->nr == 0 || (reg->flags & ~abi::IORING_RSRC_REGISTER_SPARSE) != 0) return -EINVAL;
        const bool sparse = (reg->flags & abi::IORING_RSRC_REGISTER_SPARSE) != 0;
        return fill_files(r, sparse ? nullptr : reinterpret_cast<const int*>(static_cast<std::uintptr_t>(reg->data)),
                          reg->nr);
    }
    case abi::IORING_UNREGISTER_FILES:
        if (!r.files_registered) return -ENXIO;
        drop_files(r);
        return 0;
    case abi::IORING_REGISTER_FILES_UPDATE:
    case abi::IORING_REGISTER_FILES_UPDATE2: {
        if (!r.files_registered) return -ENXIO;
        if (arg == nullptr) return -EFAULT;
        unsigned off = 0, nr = 0;
        const int* fds = nullptr;
        if (opcode == abi::IORING_REGISTER_FILES_UPDATE) {
            const auto* up = static_cast<const abi::io_uring_files_update*>(arg);
            off = up->offset;
            nr = nr_args;
            fds = reinterpret_cast<const int*>(static_cast<std::uintptr_t>(up->fds));
        } else {
            if (nr_args != sizeof(abi::io_uring_rsrc_update2)) return -EINVAL;
            const auto* up = static_cast<const abi::io_uring_rsrc_update2*>(arg);
            off = up->offset;
            nr = up->nr;
            fds = reinterpret_cast<const int*>(static_cast<std::uintptr_t>(up->data));
        }
        if (std::size_t{off} + nr > r.files.size()) return -EINVAL;
        int done = 0;
        for (unsigned i = 0; i < nr; ++i) {
            if (fds[i] == abi::IORING_REGISTER_FILES_SKIP) {
                ++done;
                continue;
            }
            int held = -1;
            if (fds[i] >= 0 && (held = hold(fds[i])) < 0) return done != 0 ? done : -EBADF;
            int& slot = r.files[off + i];
            if (slot >= 0) ::close(slot);
            slot = held;
            ++done;
        }
        return done;
    }
    case abi::IORING_REGISTER_FILE_ALLOC_RANGE: {
        if (arg == nullptr) return -EFAULT;
        const auto* range = static_cast<const abi::io_uring_file_index_range*>(arg);
        if (range->resv != 0) return -EINVAL;
        if (!r.files_registered) return -ENXIO;
        if (std::uint64_t{range->off} + range->len > r.files.size()) return -EINVAL;
        r.alloc_off = range->off;
        r.alloc_len = range->len;
        return 0;
    }

    case abi::IORING_REGISTER_BUFFERS:
        if (r.buffers_registered) return -EBUSY;
        if (nr_args == 0 || nr_args > 16384 || arg == nullptr) return -EINVAL;
        r.buffers.assign(static_cast<const iovec*>(arg), static_cast<const iovec*>(arg) + nr_args);
        r.buffers_registered = true;
        return 0;
    case abi::IORING_REGISTER_BUFFERS2: {
        if (r.buffers_registered) return -EBUSY;
        if (arg == nullptr || nr_args != sizeof(abi::io_uring_rsrc_register)) return -EINVAL;
        const auto* reg = static_cast<const abi::io_uring_rsrc_register*>(arg);
        if (reg->nr == 0 || reg->nr > 16384) return -EINVAL;
        if ((reg->flags & abi::IORING_RSRC_REGISTER_SPARSE) != 0) {
            r.buffers.assign(reg->nr, iovec{nullptr, 0});
        } else {
            const auto* v = reinterpret_cast<const iovec*>(static_cast<std::uintptr_t>(reg->data));
            r.buffers.assign(v, v + reg->nr);
        }
        r.buffers_registered = true;
        return 0;
    }
    case abi::IORING_UNREGISTER_BUFFERS:
        if (!r.buffers_registered) return -ENXIO;
        r.buffers.clear();
        r.buffers_registered = false;
        return 0;

    case abi::IORING_REGISTER_PBUF_RING: {
        if (arg == nullptr) return -EFAULT;
        if (nr_args != 1) return -EINVAL;
        const auto* reg = static_cast<const abi::io_uring_buf_reg*>(arg);
        const unsigned n = reg->ring_entries;
        // IOU_PBUF_RING_INC (incremental consumption) is not modelled: refused as by a kernel
        // without it.
        if (n == 0 || n > 32768 || (n & (n - 1)) != 0 || (reg->flags & ~abi::IOU_PBUF_RING_MMAP) != 0)
            return -EINVAL;
        if (r.pbufs.count(reg->bgid) != 0 || r.provided.count(reg->bgid) != 0) return -EEXIST;
        detail::pbuf_ring pb;
        pb.entries = n;
        pb.len = detail::page_round(std::size_t{n} * sizeof(abi::io_uring_buf));
        if ((reg->flags & abi::IOU_PBUF_RING_MMAP) != 0) {
            if (reg->ring_addr != 0) return -EINVAL;
            if (r.memfd < 0) return -EINVAL;
            // Kernel memory, as the kernel's: a region of the ring's memfd the user maps.
            pb.off = r.mem_size;
            if (::ftruncate(r.memfd, static_cast<off_t>(pb.off + pb.len)) != 0) return -errno;
            void* v = ::mmap(nullptr, pb.len, PROT_READ | PROT_WRITE, MAP_SHARED, r.memfd, static_cast<off_t>(pb.off));
            if (v == MAP_FAILED) return -errno;
            r.views.emplace_back(v, pb.len);
            r.mem_size = pb.off + pb.len;
            pb.mmapped = true;
            pb.br = static_cast<abi::io_uring_buf_ring*>(v);
        } else {
            if (reg->ring_addr == 0) return -EFAULT;
            pb.br = reinterpret_cast<abi::io_uring_buf_ring*>(static_cast<std::uintptr_t>(reg->ring_addr));
        }
        r.pbufs[reg->bgid] = pb;
        return 0;
    }
    case abi::IORING_UNREGISTER_PBUF_RING: {
        if (arg == nullptr) return -EFAULT;
        const auto* reg = static_cast<const abi::io_uring_buf_reg*>(arg);
        if (r.pbufs.erase(reg->bgid) == 0) return -EINVAL;
        return 0;
    }
    case abi::IORING_REGISTER_PBUF_STATUS: {
        if (arg == nullptr) return -EFAULT;
        auto* status = as<abi::io_uring_buf_status>(arg);
        const auto it = r.pbufs.find(static_cast<std::uint16_t>(status->buf_group));
        if (it == r.pbufs.end()) return r.provided.count(static_cast<std::uint16_t>(status->buf_group)) ? -EINVAL : -ENOENT;
        status->head = it->second.head;
        return 0;
    }

    case abi::IORING_REGISTER_ENABLE_RINGS:
        if (!r.disabled) return -EBADFD;
        r.disabled = false;
        if ((r.flags & abi::IORING_SETUP_SINGLE_ISSUER) != 0 && r.submitter == 0) r.submitter = sys::gettid();
        return 0;

    case abi::IORING_REGISTER_RESIZE_RINGS:
        return resize(r, as<abi::io_uring_params>(arg));

    case abi::IORING_REGISTER_CLOCK: {
        if (arg == nullptr) return -EFAULT;
        const auto* reg = static_cast<const abi::io_uring_clock_register*>(arg);
        if (reg->clockid != 1 && reg->clockid != 7) return -EINVAL;
        if (reg->resv[0] != 0 || reg->resv[1] != 0 || reg->resv[2] != 0) return -EINVAL;
        r.clock = static_cast<int>(reg->clockid);
        return 0;
    }

    case abi::IORING_REGISTER_SYNC_CANCEL: {
        if (arg == nullptr) return -EFAULT;
        const auto* reg = static_cast<const abi::io_uring_sync_cancel_reg*>(arg);
        const int n = cancel(r, reg->addr, reg->fd, reg->flags, reg->opcode, nullptr);
        settle_async(r);
        const bool all = (reg->flags & (abi::IORING_ASYNC_CANCEL_ALL | abi::IORING_ASYNC_CANCEL_ANY)) != 0;
        return all ? n : (n != 0 ? 0 : -ENOENT);
    }

    case abi::IORING_REGISTER_EVENTFD:
    case abi::IORING_REGISTER_EVENTFD_ASYNC: {
        if (arg == nullptr) return -EFAULT;
        if (nr_args != 1) return -EINVAL;
        if (r.eventfd >= 0) return -EBUSY;
        if ((r.eventfd = hold(*static_cast<const int*>(arg))) < 0) return -EBADF;
        r.eventfd_async = opcode == abi::IORING_REGISTER_EVENTFD_ASYNC;
        return 0;
    }
    case abi::IORING_UNREGISTER_EVENTFD:
        if (r.eventfd < 0) return -ENXIO;
        ::close(r.eventfd);
        r.eventfd = -1;
        return 0;

    default:
        return -EINVAL;
    }
}

} // namespace rawring::mock
