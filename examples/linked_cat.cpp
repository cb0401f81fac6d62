// SPDX-License-Identifier: MIT
// linked_cat: a file copy where every chunk is a read linked to a write (IOSQE_IO_LINK): the
// kernel starts each write when its read is done, with no trip back to the program.
//
// Usage:
//   linked_cat IN OUT   copies file IN to file OUT (created or truncated)
//   linked_cat          a demo: a temporary file of 1048699 bytes copied to another, checked
//
// On rawring::ring directly, as a liburing program would write it: the example prepares the
// SQEs of each chain itself (on the coroutine layer, co::with_flags(op, IOSQE_IO_LINK) links an
// operation to the next one started, as the test `coro: with_flags IOSQE_IO_LINK ...` shows):
//     read  (in,  buf[s], len, off)  flags IOSQE_IO_LINK   user_data: slot s, read
//     write (out, buf[s], len, off)                        user_data: slot s, write
// Both go in one submit; the write runs only if the read succeeded with exactly `len` bytes
// (a short read or an error fails the link, and the write completes with -ECANCELED). Lengths
// come from the file's size, so only the last chunk is short, and by design. `slots` chains
// are in flight at once; each slot's buffer is reused once its write's CQE is in. Every read
// and write has an explicit offset, so chains may finish in any order.
#include <rawring/prep.hpp>
#include <rawring/ring.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "coro_common.hpp"  // temp files and the byte pattern only

namespace {

namespace abi = rawring::abi;
using example::fail;

constexpr unsigned slots = 8;
constexpr unsigned chunk = 64 * 1024;
alignas(4096) char buffers[slots][chunk];

struct copy_stats {
    unsigned links = 0;
    unsigned most_in_flight = 0;
};

/// Copies `size` bytes of `in` to `out` with linked read -> write pairs. 0 or -errno.
int linked_copy(rawring::ring& ring, int in, int out, std::uint64_t size, copy_stats& st) {
    std::uint64_t next = 0;  // offset of the next chunk to start
    unsigned busy = 0;       // chains in flight
    unsigned free_slots[slots];
    unsigned nfree = slots;
    for (unsigned s = 0; s < slots; ++s) free_slots[s] = s;
    std::uint32_t len_of[slots] = {};
    for (;;) {
        // Start a chain on every free slot while there is data left.
        while (nfree > 0 && next < size) {
            const unsigned s = free_slots[--nfree];
            const std::uint32_t len = size - next < chunk ? static_cast<std::uint32_t>(size - next) : chunk;
            abi::io_uring_sqe* rd = ring.get_sqe();
            abi::io_uring_sqe* wr = ring.get_sqe();
            if (rd == nullptr || wr == nullptr) return -EBUSY;  // the SQ holds 2 * slots: cannot happen
            rawring::prep_read(rd, in, buffers[s], len, next);
            rd->flags |= abi::IOSQE_IO_LINK;  // the write below waits for this read
            rd->user_data = s * 2u;
            rawring::prep_write(wr, out, buffers[s], len, next);
            wr->user_data = s * 2u + 1;
            len_of[s] = len;
            next += len;
            ++busy;
            ++st.links;
        }
        if (busy > st.most_in_flight) st.most_in_flight = busy;
        if (busy == 0) return 0;
        if (int r = ring.submit(); r < 0) return r;
        // Reap: a read's CQE only reports; the write's ends the chain and frees the slot.
        abi::io_uring_cqe* cqe = nullptr;
        const abi::kernel_timespec limit{30, 0};  // bounded: a lost completion fails, never hangs
        if (int r = ring.wait_cqe_timeout(&cqe, &limit); r < 0) return r;
        unsigned seen = 0;
        int err = 0;
        seen = ring.for_each_cqe([&](const abi::io_uring_cqe& c) {
            const unsigned s = static_cast<unsigned>(c.user_data / 2);
            const bool is_write = (c.user_data & 1) != 0;
            if (c.res < 0 && err == 0) err = c.res;  // a failed read: its write says -ECANCELED
            if (c.res >= 0 && static_cast<std::uint32_t>(c.res) != len_of[s] && err == 0) err = -EIO;
            if (is_write) {
                free_slots[nfree++] = s;
                --busy;
            }
        });
        ring.cq_advance(seen);
        if (err < 0) return err;
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 1 && argc != 3) {
        std::fprintf(stderr, "usage: linked_cat [IN OUT]\n");
        return 2;
    }
    rawring::ring ring;
    if (int ret = ring.init(2 * slots); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return example::exit_skip;
    }
    copy_stats st;
    if (argc == 3) {
        example::unique_fd in(::open(argv[1], O_RDONLY | O_CLOEXEC));
        if (!in) return fail("linked_cat", argv[1], -errno);
        example::unique_fd out(::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
        if (!out) return fail("linked_cat", argv[2], -errno);
        struct stat sb{};
        if (::fstat(in.fd, &sb) != 0) return fail("linked_cat", "fstat", -errno);
        const int r = linked_copy(ring, in.fd, out.fd, static_cast<std::uint64_t>(sb.st_size), st);
        return r < 0 ? fail("linked_cat", "copy", r) : 0;
    }
    constexpr std::size_t size = 16 * chunk + 123;
    constexpr std::uint64_t seed = 5;
    example::temp_file in, out;
    if (int ret = in.create_with_pattern("linked-cat-in", size, seed); ret < 0) return fail("linked_cat", "temp file", ret);
    if (int ret = out.create("linked-cat-out"); ret < 0) return fail("linked_cat", "temp file", ret);
    const int r = linked_copy(ring, in.fd, out.fd, size, st);
    if (r < 0) return fail("linked_cat", "copy", r);
    if (!example::file_has_pattern(out.fd, size, seed)) return fail("linked_cat", "the copy differs");
    std::printf("linked_cat: %zu bytes copied as %u read -> write links (IOSQE_IO_LINK), up to %u in flight, "
                "every byte checked\n",
                size, st.links, st.most_in_flight);
    return 0;
}
