// SPDX-License-Identifier: MIT
// cat: files to stdout in order, like cat(1), with several reads in flight at once
// (rawring::co over rawring::loop).
//
// Usage:
//   cat FILE...   writes each FILE to stdout, in order
//   cat           a demo: three temporary files (empty, 1 MiB and a bit, 3000 bytes) catted
//                 into a fourth, every byte checked, all four removed
//
// What it shows: parallel I/O in sequential-looking code. A batch is `depth` reads of `chunk`
// bytes at consecutive offsets (pread-style, IORING_OP_READ with an offset), all in flight at
// once: when_all over `depth` tasks. While one batch is written out (one IORING_OP_WRITEV of
// its buffers at the file position of stdout), the next batch is already being read:
//     auto [w, n] = co_await co::when_all(write_batch(out, a), read_batch(in, b, offset));
// A read shorter than asked ends the batch there; the next batch starts where the data ended.
// The buffers are registered with the ring (IORING_REGISTER_BUFFERS), and the reads of a file
// are IORING_OP_READ_FIXED into them.
// Input that cannot be read at an offset (a pipe: -ESPIPE) is read one read at a time.
#include "coro_common.hpp"

#include <rawring/register.hpp>

#include <sys/uio.h>

#include <array>
#include <span>
#include <utility>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned depth = 2;            // reads in flight per batch
constexpr unsigned chunk = 128 * 1024;   // bytes per read

struct batch {
    char* buf[depth];  // chunk bytes each
    int got[depth];
};

/// The buffers of both batches, 512 KiB in all: small enough to stay in the L2 cache that the
/// kernel copies the file into (larger buffers measured slower, docs/performance.md).
alignas(4096) char g_buffers[2][depth][chunk];

/// Whether g_buffers is registered with the ring (buffer 0 of its table): reads are then
/// IORING_OP_READ_FIXED, into pages the kernel pinned once at registration, instead of a copy to
/// user addresses checked and faulted on every read (docs/performance.md: 0.92-0.95 of the
/// read(2) loop's time with them, 1.04-1.07 without).
bool g_fixed = false;

/// Reads up to depth * chunk bytes at `offset` (all reads at once) into `b`: the bytes of data
/// it holds from its start (up to the first short read), or -errno.
co::task<int> read_batch(rawring::loop& l, int fd, batch& b, std::uint64_t offset) {
    std::array<co::task<int>, depth> reads;
    for (unsigned i = 0; i < depth; ++i) {
        const std::uint64_t at = offset + std::uint64_t{i} * chunk;
        reads[i] = g_fixed ? co::as_task(co::read_fixed(l, fd, b.buf[i], chunk, at, 0))
                           : co::as_task(co::read(l, fd, b.buf[i], chunk, at));
    }
    co_await co::when_all(std::span<co::task<int>>(reads));
    int total = 0;
    for (unsigned i = 0; i < depth; ++i) {
        const int n = reads[i].result();
        if (n < 0) co_return n;
        b.got[i] = n;
        total += n;
        if (n < static_cast<int>(chunk)) break;  // end of file (or a short read): the rest waits
    }
    co_return total;
}

/// Writes the first `n` bytes of `b` to `out`, in order: one writev of the batch's buffers
/// (IORING_OP_WRITEV), then plain writes for whatever a short writev left. 0, or -errno.
co::task<int> write_batch(rawring::loop& l, int out, const batch& b, int n) {
    iovec iov[depth];
    unsigned count = 0;
    for (int left = n; left > 0; ++count) {
        const int k = b.got[count] < left ? b.got[count] : left;
        iov[count] = {const_cast<char*>(b.buf[count]), static_cast<std::size_t>(k)};
        left -= k;
    }
    int done = co_await co::writev(l, out, iov, count);
    if (done < 0) co_return done;
    for (unsigned i = 0; i < count && done < n; ++i) {  // a short writev (a pipe, a full disk)
        const int len = static_cast<int>(iov[i].iov_len);
        if (done >= len) {
            done -= len;
            n -= len;
            continue;
        }
        if (int r = co_await example::write_all(l, out, b.buf[i] + done, static_cast<std::size_t>(len - done)); r < 0)
            co_return r;
        n -= len;
        done = 0;
    }
    co_return 0;
}

/// A stream (pipe, terminal): one read at a time at the file position.
co::task<int> cat_stream(rawring::loop& l, int in, int out, batch& b) {
    for (;;) {
        const int n = co_await co::read(l, in, b.buf[0], chunk);
        if (n <= 0) co_return n;
        if (int r = co_await example::write_all(l, out, b.buf[0], static_cast<std::size_t>(n)); r < 0) co_return r;
    }
}

/// Copies `in` to `out`: 0 or -errno.
co::task<int> cat_fd(rawring::loop& l, int in, int out, batch* a, batch* b) {
    std::uint64_t offset = 0;
    int n = co_await read_batch(l, in, *a, offset);
    if (n == -ESPIPE) co_return co_await cat_stream(l, in, out, *a);
    while (n > 0) {
        offset += static_cast<std::uint64_t>(n);
        auto [w, next] = co_await co::when_all(write_batch(l, out, *a, n), read_batch(l, in, *b, offset));
        if (w < 0) co_return w;
        std::swap(a, b);
        n = next;
    }
    co_return n;
}

/// cat(1): each file in turn (IORING_OP_OPENAT, the copy, IORING_OP_CLOSE). 0, or the -errno of
/// the first file that failed (its name in `*failed`).
co::task<int> cat_files(rawring::loop& l, char** paths, int count, int out, batch* a, batch* b,
                        const char** failed) {
    for (int i = 0; i < count; ++i) {
        *failed = paths[i];
        const int fd = co_await co::open(l, paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) co_return fd;
        const int r = co_await cat_fd(l, fd, out, a, b);
        co_await co::close(l, fd);
        if (r < 0) co_return r;
    }
    co_return 0;
}

} // namespace

int main(int argc, char** argv) {
    batch batches[2];
    for (unsigned k = 0; k < 2; ++k)
        for (unsigned i = 0; i < depth; ++i) batches[k].buf[i] = g_buffers[k][i];
    rawring::loop l;
    if (int ret = example::init_loop(l, 64); ret != 0) return ret;
    // Registering pins the pages, against RLIMIT_MEMLOCK; where it fails, plain reads do the
    // same work a little slower.
    const iovec all{g_buffers, sizeof g_buffers};
    g_fixed = rawring::register_buffers(l.raw_ring(), &all, 1) == 0;
    const char* failed = "";
    if (argc > 1) {
        const int r = co::run(l, cat_files(l, argv + 1, argc - 1, 1, &batches[0], &batches[1], &failed));
        if (r < 0) {
            std::fprintf(stderr, "cat: %s: %s\n", failed, std::strerror(-r));
            return 1;
        }
        return 0;
    }

    // The demo: three files catted into a fourth, which must hold them back to back.
    constexpr std::size_t sizes[3] = {0, 1024 * 1024 + 17, 3000};
    example::temp_file in[3], out;
    char* paths[3];
    for (unsigned i = 0; i < 3; ++i) {
        if (int ret = in[i].create_with_pattern("cat-in", sizes[i], i + 1); ret < 0) return fail("cat", "temp file", ret);
        paths[i] = in[i].path.data();
    }
    if (int ret = out.create("cat-out"); ret < 0) return fail("cat", "temp file", ret);
    const int r = co::run(l, cat_files(l, paths, 3, out.fd, &batches[0], &batches[1], &failed));
    if (r < 0) {
        std::fprintf(stderr, "cat: %s: %s\n", failed, std::strerror(-r));
        return 1;
    }
    // The check (plain pread(2)): each part in its place, nothing after the last.
    std::size_t at = 0;
    static char got[65536], want[65536];
    for (unsigned i = 0; i < 3; ++i)
        for (std::size_t done = 0; done < sizes[i];) {
            const std::size_t k = sizes[i] - done < sizeof got ? sizes[i] - done : sizeof got;
            example::fill_pattern(want, k, i + 1, done);
            if (::pread(out.fd, got, k, static_cast<off_t>(at)) != static_cast<ssize_t>(k) ||
                std::memcmp(got, want, k) != 0)
                return fail("cat", "the output differs from the files");
            done += k;
            at += k;
        }
    if (::pread(out.fd, got, 1, static_cast<off_t>(at)) != 0) return fail("cat", "the output is too long");
    std::printf("cat: 3 files (%zu, %zu and %zu bytes) copied in order into one, every byte checked; %u reads "
                "of %u KiB in flight into %s buffers, each batch written while the next is read\n",
                sizes[0], sizes[1], sizes[2], depth, chunk / 1024, g_fixed ? "registered" : "plain");
    return 0;
}
