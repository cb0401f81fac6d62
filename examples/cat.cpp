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
// Input that cannot be read at an offset (a pipe: -ESPIPE) is read one read at a time.
#include "coro_common.hpp"

#include <sys/mman.h>
#include <sys/uio.h>

#include <array>
#include <span>
#include <utility>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned depth = 2;            // reads in flight per batch
constexpr unsigned chunk = 512 * 1024;   // bytes per read

struct batch {
    char* buf[depth];  // chunk bytes each
    int got[depth];
};

/// Memory for the buffers: one anonymous mapping, aligned to 2 MiB and marked MADV_HUGEPAGE, so
/// that where the kernel has transparent huge pages the 2 MiB of buffers cost one page fault
/// instead of 512, and the kernel's copies into them fewer TLB misses. Without huge pages it is
/// ordinary memory. (Most of cat's time is that copy from the page cache: docs/performance.md.)
class buffer_memory {
public:
    explicit buffer_memory(std::size_t bytes) noexcept {
        constexpr std::size_t huge = 2u << 20;
        len_ = bytes + huge;
        void* m = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return;
        base_ = m;
        data_ = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(m) + huge - 1) & ~(huge - 1));
        (void)::madvise(data_, bytes, MADV_HUGEPAGE);  // a hint: EINVAL without THP is fine
    }
    ~buffer_memory() {
        if (base_ != nullptr) ::munmap(base_, len_);
    }
    buffer_memory(const buffer_memory&) = delete;
    buffer_memory& operator=(const buffer_memory&) = delete;
    [[nodiscard]] char* data() const noexcept { return data_; }

private:
    void* base_ = nullptr;
    char* data_ = nullptr;
    std::size_t len_ = 0;
};

/// Reads up to depth * chunk bytes at `offset` (all reads at once) into `b`: the bytes of data
/// it holds from its start (up to the first short read), or -errno.
co::task<int> read_batch(rawring::loop& l, int fd, batch& b, std::uint64_t offset) {
    std::array<co::task<int>, depth> reads;
    for (unsigned i = 0; i < depth; ++i)
        reads[i] = co::as_task(co::read(l, fd, b.buf[i], chunk, offset + std::uint64_t{i} * chunk));
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
    buffer_memory mem(2 * depth * chunk);
    if (mem.data() == nullptr) return fail("cat", "mmap of the buffers", -ENOMEM);
    batch batches[2];
    for (unsigned k = 0; k < 2; ++k)
        for (unsigned i = 0; i < depth; ++i) batches[k].buf[i] = mem.data() + (k * depth + i) * std::size_t{chunk};
    rawring::loop l;
    if (int ret = example::init_loop(l, 64); ret != 0) return ret;
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
                "of %u KiB in flight, each batch written while the next is read\n",
                sizes[0], sizes[1], sizes[2], depth, chunk / 1024);
    return 0;
}
