// SPDX-License-Identifier: MIT
// tee: fan-out writes: every chunk read once and written to several outputs at once
// (rawring::co over rawring::loop).
//
// Usage:
//   tee FILE...   like tee(1): stdin to stdout and to each FILE (created or truncated)
//   tee           a demo: a temporary 1 MiB file copied to 3 temporary files, every copy
//                 checked, all removed
//
// What it shows: one read, then N writes in flight together. For each chunk the coroutine
// builds a task per output (write_all: IORING_OP_WRITE until the whole chunk is written) and
// awaits them with when_all: the chunk goes to the outputs in parallel, and the next read
// starts once every output has it (the buffer is reused only then).
#include "coro_common.hpp"

#include <span>
#include <vector>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned chunk = 64 * 1024;
alignas(4096) char buf[chunk];

/// Copies `in` to every fd of `outs`: the bytes copied, or -errno.
co::task<long> tee(rawring::loop& l, int in, std::span<const int> outs) {
    std::vector<co::task<int>> writes(outs.size());
    long total = 0;
    for (;;) {
        const int n = co_await co::read(l, in, buf, chunk);
        if (n < 0) co_return n;
        if (n == 0) co_return total;
        for (std::size_t i = 0; i < outs.size(); ++i)
            writes[i] = example::write_all(l, outs[i], buf, static_cast<std::size_t>(n));
        co_await co::when_all(std::span<co::task<int>>(writes));
        for (auto& w : writes)
            if (const int r = w.result(); r < 0) co_return r;
        total += n;
    }
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> outs;
    example::temp_file input, copies[3];
    constexpr std::size_t size = 1024 * 1024;
    constexpr std::uint64_t seed = 7;
    if (argc > 1) {
        outs.push_back(1);
        for (int i = 1; i < argc; ++i) {
            const int fd = ::open(argv[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (fd < 0) {
                std::fprintf(stderr, "tee: %s: %s\n", argv[i], std::strerror(errno));
                return 1;
            }
            outs.push_back(fd);
        }
    } else {
        if (int ret = input.create_with_pattern("tee-in", size, seed); ret < 0) return fail("tee", "temp file", ret);
        for (auto& c : copies) {
            if (int ret = c.create("tee-out"); ret < 0) return fail("tee", "temp file", ret);
            outs.push_back(c.fd);
        }
    }
    rawring::loop l;
    if (int ret = example::init_loop(l, 16); ret != 0) return ret;
    co::task<long> t = tee(l, argc > 1 ? 0 : input.fd, outs);
    if (int ret = co::run(l, t); ret < 0) return fail("tee", "run", ret);
    const long r = t.result();
    if (r < 0) return fail("tee", "copy", static_cast<int>(r));
    if (argc > 1) return 0;
    for (auto& c : copies)
        if (!example::file_has_pattern(c.fd, size, seed)) return fail("tee", "a copy differs from the input");
    std::printf("tee: %ld bytes read once and written to 3 files at once (when_all of 3 writes per %u KiB "
                "chunk), every copy checked\n",
                r, chunk / 1024);
    return 0;
}
