// SPDX-License-Identifier: MIT
// loop_open_read_close: open -> read -> close as a chain, each callback queueing the next step.
#include <rawring/loop.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

// One object per chain holds everything the steps need. The path and buffer must outlive the
// operations that use them, so they live here and not on a callback's stack.
struct chain {
    const char* path = nullptr;
    char buf[64] = {};
    int fd = -1;
    int open_res = 1, read_res = 1, close_res = 1;
};

void on_close(rawring::loop&, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    static_cast<chain*>(t.user())->close_res = cqe.res;
}

void on_read(rawring::loop& l, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    auto* c = static_cast<chain*>(t.user());
    c->read_res = cqe.res;
    // Close whatever the read did: a failed step must not leak the fd. The close's result
    // arrives in on_close; run(until_done) keeps going because it is in flight.
    if (l.close(c->fd, {on_close, c}) == nullptr) c->close_res = -1;
}

void on_open(rawring::loop& l, rawring::task& t, const rawring::abi::io_uring_cqe& cqe) {
    auto* c = static_cast<chain*>(t.user());
    c->open_res = cqe.res;
    if (cqe.res < 0) return;  // nothing to read or close: the chain ends here
    c->fd = cqe.res;
    // Queue the next step from the callback. It is submitted with the next batch, without
    // leaving the loop.
    if (l.read(c->fd, c->buf, sizeof c->buf - 1, 0, {on_read, c}) == nullptr) c->read_res = -1;
}

} // namespace

int main() {
    // Declared before the loop: its destructor cancels what is still in flight and runs those
    // callbacks, so what they point to must outlive it.
    chain c;
    rawring::loop loop;
    rawring::loop_options opts;
    // Track fds below 1024 that the loop opens and closes, to check none leaked.
    opts.track_fds = 1024;
    if (int ret = loop.init(8, opts); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }

    // The file to read, made with plain system calls: the example is about the chain.
    static const char text[] = "three steps, one callback each";
    char path[] = "/tmp/rawring-loop-example-XXXXXX";
    const int w = mkstemp(path);
    if (w < 0) return 1;
    const bool written = write(w, text, sizeof text - 1) == static_cast<ssize_t>(sizeof text - 1);
    close(w);
    if (!written) return 1;

    c.path = path;
    if (loop.open(c.path, O_RDONLY | O_CLOEXEC, 0, {on_open, &c}) == nullptr) return 1;
    const int r = loop.run(rawring::run_mode::until_done);
    unlink(path);
    if (r < 0) {
        std::fprintf(stderr, "run: %s\n", std::strerror(-r));
        return 1;
    }

    const rawring::fd_balance fds = loop.fds();
    const int len = static_cast<int>(sizeof text - 1);
    if (c.open_res < 0 || c.read_res != len || std::memcmp(c.buf, text, sizeof text - 1) != 0 ||
        c.close_res != 0 || !fds.balanced()) {
        std::fprintf(stderr, "open %d, read %d, close %d, fds open %u, closed twice %u\n",
                     c.open_res, c.read_res, c.close_res, fds.open, fds.closed_twice);
        return 1;
    }
    std::printf("loop_open_read_close: open, read %d bytes \"%s\", close: fds balanced\n",
                c.read_res, c.buf);
    return 0;
}
