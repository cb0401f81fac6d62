// SPDX-License-Identifier: MIT
// io_uring_register(2) wrappers: each builds the op's argument and goes through ring::register_op.
#include "rawring/register.hpp"


#include <cerrno>
#include <cstdint>

#include "rawring/sys.hpp"

namespace rawring {

namespace {

std::uint64_t ptr(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
}

// The kernel refuses a files table larger than the RLIMIT_NOFILE soft limit with -EMFILE. Raise
// the soft limit to cover `nr` (the hard limit caps it: without CAP_SYS_RESOURCE it cannot be
// passed). Returns whether the limit changed, i.e. whether a retry can succeed.
bool raise_nofile_soft_limit(unsigned nr) noexcept {
    // Through rawring::sys (prlimit64), not libc's getrlimit/setrlimit: the raw backend and the
    // freestanding build have no libc to call.
    sys::resource_limit lim{};
    if (sys::prlimit(sys::rlimit_nofile, nullptr, &lim) != 0) return false;
    if (lim.cur >= nr) return false;
    std::uint64_t want = nr;
    if (lim.max != sys::rlim_infinity && want > lim.max) want = lim.max;
    if (want <= lim.cur) return false;
    lim.cur = want;
    return sys::prlimit(sys::rlimit_nofile, &lim, nullptr) == 0;
}

// One register call, and a second one if the first failed with -EMFILE and raising the soft
// RLIMIT_NOFILE can help.
int register_with_nofile_retry(ring_state& r, unsigned opcode, const void* arg, unsigned nr_args,
                               unsigned nr_files) noexcept {
    const int ret = r.register_op(opcode, arg, nr_args);
    if (ret != -EMFILE || !raise_nofile_soft_limit(nr_files)) return ret;
    return r.register_op(opcode, arg, nr_args);
}

int files2(ring_state& r, const int* fds, const std::uint64_t* tags, unsigned nr,
           std::uint32_t flags) noexcept {
    abi::io_uring_rsrc_register reg{};
    reg.nr = nr;
    reg.flags = flags;
    reg.data = ptr(fds);
    reg.tags = ptr(tags);
    return register_with_nofile_retry(r, abi::IORING_REGISTER_FILES2, &reg, sizeof(reg), nr);
}

int buffers2(ring_state& r, const iovec* iovecs, const std::uint64_t* tags, unsigned nr,
             std::uint32_t flags) noexcept {
    abi::io_uring_rsrc_register reg{};
    reg.nr = nr;
    reg.flags = flags;
    reg.data = ptr(iovecs);
    reg.tags = ptr(tags);
    return r.register_op(abi::IORING_REGISTER_BUFFERS2, &reg, sizeof(reg));
}

int rsrc_update2(ring_state& r, unsigned opcode, unsigned off, const void* data,
                 const std::uint64_t* tags, unsigned nr) noexcept {
    abi::io_uring_rsrc_update2 up{};
    up.offset = off;
    up.data = ptr(data);
    up.tags = ptr(tags);
    up.nr = nr;
    return r.register_op(opcode, &up, sizeof(up));
}

} // namespace

// ---- buffers ---------------------------------------------------------------------------------

int register_buffers(ring_state& r, const iovec* iovecs, unsigned nr) noexcept {
    return r.register_op(abi::IORING_REGISTER_BUFFERS, iovecs, nr);
}

int register_buffers_tags(ring_state& r, const iovec* iovecs, const std::uint64_t* tags,
                          unsigned nr) noexcept {
    return buffers2(r, iovecs, tags, nr, 0);
}

int register_buffers_sparse(ring_state& r, unsigned nr) noexcept {
    return buffers2(r, nullptr, nullptr, nr, abi::IORING_RSRC_REGISTER_SPARSE);
}

int register_buffers_update_tag(ring_state& r, unsigned off, const iovec* iovecs,
                                const std::uint64_t* tags, unsigned nr) noexcept {
    return rsrc_update2(r, abi::IORING_REGISTER_BUFFERS_UPDATE, off, iovecs, tags, nr);
}

int unregister_buffers(ring_state& r) noexcept {
    return r.register_op(abi::IORING_UNREGISTER_BUFFERS, nullptr, 0);
}

int clone_buffers_offset_flags(ring_state& dst, ring_state& src, unsigned dst_off, unsigned src_off,
                               unsigned nr, unsigned flags) noexcept {
    if (!src.is_open()) return -EBADF;
    abi::io_uring_clone_buffers arg{};
    arg.flags = flags;
    arg.src_off = src_off;
    arg.dst_off = dst_off;
    arg.nr = nr;
    // The registered index only names src for the kernel if src's fd is registered by this task
    // and the kernel resolves indexes for register (REG_REG_RING); otherwise pass the fd.
    const bool src_index = src.ring_fd_registered() &&
                           (src.features & abi::IORING_FEAT_REG_REG_RING) != 0;
    if ((flags & abi::IORING_REGISTER_SRC_REGISTERED) != 0 && src_index) {
        arg.src_fd = static_cast<std::uint32_t>(src.enter_fd());
    } else {
        arg.src_fd = static_cast<std::uint32_t>(src.fd());
        arg.flags &= ~abi::IORING_REGISTER_SRC_REGISTERED;
    }
    return dst.register_op(abi::IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
}

int clone_buffers_offset(ring_state& dst, ring_state& src, unsigned dst_off, unsigned src_off, unsigned nr,
                         unsigned flags) noexcept {
    return clone_buffers_offset_flags(dst, src, dst_off, src_off, nr,
                                      flags | abi::IORING_REGISTER_SRC_REGISTERED);
}

int clone_buffers_flags(ring_state& dst, ring_state& src, unsigned flags) noexcept {
    return clone_buffers_offset_flags(dst, src, 0, 0, 0, flags);
}

int clone_buffers(ring_state& dst, ring_state& src) noexcept {
    return clone_buffers_offset_flags(dst, src, 0, 0, 0, abi::IORING_REGISTER_SRC_REGISTERED);
}

// ---- files -------------------------------------------------------------------------------------

int register_files(ring_state& r, const int* fds, unsigned nr) noexcept {
    return register_with_nofile_retry(r, abi::IORING_REGISTER_FILES, fds, nr, nr);
}

int register_files_tags(ring_state& r, const int* fds, const std::uint64_t* tags, unsigned nr) noexcept {
    return files2(r, fds, tags, nr, 0);
}

int register_files_sparse(ring_state& r, unsigned nr) noexcept {
    return files2(r, nullptr, nullptr, nr, abi::IORING_RSRC_REGISTER_SPARSE);
}

int register_files_update(ring_state& r, unsigned off, const int* fds, unsigned nr) noexcept {
    abi::io_uring_files_update up{};
    up.offset = off;
    up.fds = ptr(fds);
    return r.register_op(abi::IORING_REGISTER_FILES_UPDATE, &up, nr);
}

int register_files_update_tag(ring_state& r, unsigned off, const int* fds, const std::uint64_t* tags,
                              unsigned nr) noexcept {
    return rsrc_update2(r, abi::IORING_REGISTER_FILES_UPDATE2, off, fds, tags, nr);
}

int unregister_files(ring_state& r) noexcept {
    return r.register_op(abi::IORING_UNREGISTER_FILES, nullptr, 0);
}

int register_file_alloc_range(ring_state& r, unsigned off, unsigned len) noexcept {
    abi::io_uring_file_index_range range{};
    range.off = off;
    range.len = len;
    return r.register_op(abi::IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0);
}

// ---- eventfd -----------------------------------------------------------------------------------

int register_eventfd(ring_state& r, int fd) noexcept {
    return r.register_op(abi::IORING_REGISTER_EVENTFD, &fd, 1);
}

int register_eventfd_async(ring_state& r, int fd) noexcept {
    return r.register_op(abi::IORING_REGISTER_EVENTFD_ASYNC, &fd, 1);
}

int unregister_eventfd(ring_state& r) noexcept {
    return r.register_op(abi::IORING_UNREGISTER_EVENTFD, nullptr, 0);
}

// ---- probe, personalities, restrictions -----------------------------------------------------------

int register_probe(ring_state& r, abi::io_uring_probe* p, unsigned nr) noexcept {
    return r.register_op(abi::IORING_REGISTER_PROBE, p, nr);
}

int register_personality(ring_state& r) noexcept {
    return r.register_op(abi::IORING_REGISTER_PERSONALITY, nullptr, 0);
}

int unregister_personality(ring_state& r, int id) noexcept {
    // The id travels in nr_args.
    return r.register_op(abi::IORING_UNREGISTER_PERSONALITY, nullptr, static_cast<unsigned>(id));
}

int register_restrictions(ring_state& r, const abi::io_uring_restriction* res, unsigned nr) noexcept {
    return r.register_op(abi::IORING_REGISTER_RESTRICTIONS, res, nr);
}

int enable_rings(ring_state& r) noexcept {
    return r.register_op(abi::IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
}

// ---- io-wq ---------------------------------------------------------------------------------------

int register_iowq_aff(ring_state& r, std::size_t cpusz, const void* mask) noexcept {
    // nr_args is the byte count; the kernel takes it as an unsigned int.
    if (cpusz >= (std::size_t{1} << 31)) return -EINVAL;
    return r.register_op(abi::IORING_REGISTER_IOWQ_AFF, mask, static_cast<unsigned>(cpusz));
}

int unregister_iowq_aff(ring_state& r) noexcept {
    return r.register_op(abi::IORING_UNREGISTER_IOWQ_AFF, nullptr, 0);
}

int register_iowq_max_workers(ring_state& r, unsigned* values) noexcept {
    return r.register_op(abi::IORING_REGISTER_IOWQ_MAX_WORKERS, values, 2);
}

// ---- sync cancel and msg_ring ------------------------------------------------------------------

int register_sync_cancel(ring_state& r, abi::io_uring_sync_cancel_reg* reg) noexcept {
    return r.register_op(abi::IORING_REGISTER_SYNC_CANCEL, reg, 1);
}

int register_sync_msg(const abi::io_uring_sqe* sqe) noexcept {
    return sys::register_(-1, abi::IORING_REGISTER_SEND_MSG_RING, sqe, 1);
}

// ---- NAPI, clock --------------------------------------------------------------------------------

int register_napi(ring_state& r, abi::io_uring_napi* napi) noexcept {
    return r.register_op(abi::IORING_REGISTER_NAPI, napi, 1);
}

int unregister_napi(ring_state& r, abi::io_uring_napi* napi) noexcept {
    return r.register_op(abi::IORING_UNREGISTER_NAPI, napi, 1);
}

int register_clock(ring_state& r, const abi::io_uring_clock_register* reg) noexcept {
    const int ret = r.register_op(abi::IORING_REGISTER_CLOCK, reg, 0);
    // Timed waits measure what is left of a timeout on the clock the kernel now times them with.
    if (ret == 0 && reg != nullptr) r.wait_clock = static_cast<std::uint8_t>(reg->clockid);
    return ret;
}

// ---- regions ------------------------------------------------------------------------------------

int register_region(ring_state& r, abi::io_uring_mem_region_reg* reg) noexcept {
    return r.register_op(abi::IORING_REGISTER_MEM_REGION, reg, 1);
}

int register_wait_reg(ring_state& r, abi::io_uring_reg_wait* reg, unsigned nr) noexcept {
    if (nr == 0) return -EINVAL;
    abi::io_uring_region_desc desc{};
    desc.user_addr = ptr(reg);
    desc.size = std::uint64_t{nr} * sizeof(abi::io_uring_reg_wait);
    desc.flags = abi::IORING_MEM_REGION_TYPE_USER;
    abi::io_uring_mem_region_reg mr{};
    mr.region_uptr = ptr(&desc);
    mr.flags = abi::IORING_MEM_REGION_REG_WAIT_ARG;
    return register_region(r, &mr);
}

// ---- zcrx ---------------------------------------------------------------------------------------

int register_ifq(ring_state& r, abi::io_uring_zcrx_ifq_reg* reg) noexcept {
    return r.register_op(abi::IORING_REGISTER_ZCRX_IFQ, reg, 1);
}

int register_zcrx_ctrl(ring_state& r, abi::zcrx_ctrl* ctrl) noexcept {
    return r.register_op(abi::IORING_REGISTER_ZCRX_CTRL, ctrl, 0);
}

// ---- query and BPF filters --------------------------------------------------------------------

int register_query(abi::io_uring_query_hdr* hdr) noexcept {
    return sys::register_(-1, abi::IORING_REGISTER_QUERY, hdr, 0);
}

int register_bpf_filter(ring_state& r, abi::io_uring_bpf* bpf) noexcept {
    return r.register_op(abi::IORING_REGISTER_BPF_FILTER, bpf, 1);
}

int register_bpf_filter_task(abi::io_uring_bpf* bpf) noexcept {
    return sys::register_(-1, abi::IORING_REGISTER_BPF_FILTER, bpf, 1);
}

} // namespace rawring
