// SPDX-License-Identifier: MIT
// rawring-bench: the interface between the driver (main.cpp) and the two library sides, which
// live in separate translation units (liburing's header defines as macros what rawring defines
// as constants, so the two never meet in one file).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace bench {

/// Ring set-ups, the same for both libraries.
enum class setup {
    plain,  ///< flags 0, ring fd not registered
    tuned,  ///< SINGLE_ISSUER | DEFER_TASKRUN, ring fd registered
};

/// The workload families.
enum class kind {
    nop,       ///< a batch of NOPs per enter
    read,      ///< 4 KiB reads of a page-cached ext4 file, `depth` in flight
    recv,      ///< multishot recv over a provided-buffer ring; the bench thread sends each message
    pingpong,  ///< a 64-byte pipe write linked to a 64-byte read, one enter per round trip
};

/// How the nop workload reaps its batch (the other workloads use for_each).
enum class reap {
    for_each,  ///< submit_and_wait(batch), then for_each_cqe + one cq_advance
    wait_cqe,  ///< submit(), then wait_cqe + cqe_seen per CQE
    copy,      ///< submit_and_wait(batch), then rawring copy_cqes / liburing peek_batch_cqe + cq_advance
};

/// One benchmark row: everything both sides need to build the same loop.
struct workload {
    kind k = kind::nop;
    reap style = reap::for_each;
    unsigned batch = 1;  ///< nop: SQEs per enter; read: queue depth
    bool fixed = false;  ///< read: registered file + registered (fixed) buffers
    setup s = setup::plain;
};

/// What the driver prepares for the sides: the read workload's file.
struct env {
    int read_fd = -1;
    std::uint64_t file_size = 0;
    /// rawring keeps the SQ index array (sq_array::keep), as liburing 2.3 does, instead of its
    /// default IORING_SETUP_NO_SQARRAY: separates the ring layout from the library's code.
    bool rawring_sq_array = false;
};

/// A workload set up once (ring, registrations, sockets) and run many times: `run(ops)`
/// performs `ops` operations (a multiple of the batch) and leaves nothing in flight, so two
/// sides can take turns on one thread. Returns 0 or -errno.
class runner {
public:
    virtual ~runner() = default;
    virtual int run(std::uint64_t ops) = 0;
};

/// One library's implementation of every workload.
struct side {
    const char* name;
    /// A ready runner for `w`, or nullptr with `*error` set to -errno.
    std::unique_ptr<runner> (*make)(const workload& w, const env& e, int* error);
};

extern const side rawring_side;
#ifdef RAWRING_BENCH_LIBURING
extern const side liburing_side;
/// --enter-site: the same NOP enter issued inline, from a function, through libc's syscall()
/// and through liburing's io_uring_enter(), timed in alternating blocks (x86_64 only; -ENOSYS
/// elsewhere). Prints its table; returns 0 or -errno.
int enter_site(int pairs);
#endif

/// A fixed pseudo-random 4 KiB-aligned offset sequence, the same for both libraries.
inline std::uint64_t next_offset(std::uint64_t& state, std::uint64_t file_size) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (state % (file_size / 4096)) * 4096;
}

/// Message size of the recv and pingpong workloads; recv's provided buffers are larger.
inline constexpr unsigned msg_size = 64;
inline constexpr unsigned recv_buffers = 16;
inline constexpr unsigned recv_buffer_size = 256;

/// Zeroed, page-aligned memory for I/O buffers. Both sides allocate theirs this way so that
/// their buffers sit alike: from the heap, a 4 KiB buffer lands at any alignment, straddles two
/// pages, and the kernel's copy into it costs more for one side than for the other.
class page_memory {
public:
    page_memory() = default;
    page_memory(const page_memory&) = delete;
    page_memory& operator=(const page_memory&) = delete;
    ~page_memory() { std::free(p_); }
    /// false when out of memory.
    bool allocate(std::size_t bytes) {
        std::free(p_);
        const std::size_t size = (bytes + 4095) / 4096 * 4096;
        p_ = static_cast<char*>(std::aligned_alloc(4096, size));
        if (p_ != nullptr) std::memset(p_, 0, size);
        return p_ != nullptr;
    }
    char* data() const { return p_; }

private:
    char* p_ = nullptr;
};

/// The row's name, e.g. "nop-for_each-b32-default", "read-fixed-d1-tuned".
std::string row_id(const workload& w);

} // namespace bench
