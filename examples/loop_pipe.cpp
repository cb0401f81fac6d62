// SPDX-License-Identifier: MIT
// loop_pipe: a read and a write on a pipe, both in flight at once; the read completes when the write lands.
#include <rawring/loop.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

struct transfer {
    char buf[64] = {};
    int wrote = -1;
    int read = -1;
};

void on_write(rawring::loop&, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    static_cast<transfer*>(t.user())->wrote = cqe.res;  // bytes written, or -errno
}

void on_read(rawring::loop&, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    static_cast<transfer*>(t.user())->read = cqe.res;  // bytes read, or -errno
}

} // namespace

int main() {
    // Declared before the loop: its destructor cancels what is still in flight and runs those
    // callbacks, so what they point to must outlive it.
    transfer x;
    rawring::loop loop;
    if (int ret = loop.init(8); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return 1;

    static const char text[] = "hello through a pipe";
    const unsigned len = sizeof text - 1;
    // The read goes first, on an empty pipe: the kernel parks it (no thread blocks) until data
    // arrives. Offset -1 means "the file position", the only one a pipe has.
    const std::uint64_t no_offset = static_cast<std::uint64_t>(-1);
    if (loop.read(fds[0], x.buf, sizeof x.buf - 1, no_offset, {on_read, &x}) == nullptr) return 1;
    if (loop.write(fds[1], text, len, no_offset, {on_write, &x}) == nullptr) return 1;
    // The buffers must stay valid until the callbacks have run: they live in main's frame.
    if (int r = loop.run(rawring::run_mode::until_done); r < 0) {
        std::fprintf(stderr, "run: %s\n", std::strerror(-r));
        return 1;
    }
    close(fds[0]);
    close(fds[1]);

    if (x.wrote != static_cast<int>(len) || x.read != static_cast<int>(len) ||
        std::memcmp(x.buf, text, len) != 0) {
        std::fprintf(stderr, "wrote %d, read %d: \"%s\"\n", x.wrote, x.read, x.buf);
        return 1;
    }
    std::printf("loop_pipe: wrote %d bytes, read %d bytes: \"%s\"\n", x.wrote, x.read, x.buf);
    return 0;
}
