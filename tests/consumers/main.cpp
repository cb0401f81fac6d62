// SPDX-License-Identifier: MIT
// A program as rawring's users write one: a NOP round trip, then a file read through the ring.
// Each consumer test (Meson subproject, pkg-config, CMake) builds this file its own way.
#include <rawring/rawring.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int fail(const char* what, int value) {
    std::fprintf(stderr, "consumer: %s (%d)\n", what, value);
    return 1;
}

} // namespace

int main() {
    rawring::ring ring;
    if (const int ret = ring.init(4); ret < 0) {
        std::printf("SKIP: io_uring unavailable: %s\n", std::strerror(-ret));
        return 77;
    }

    // A NOP: its CQE carries our user_data and res 0, and both queues are empty afterwards.
    rawring::abi::io_uring_sqe* sqe = ring.get_sqe();
    if (sqe == nullptr) return fail("get_sqe returned nullptr", 0);
    rawring::prep_nop(sqe);
    rawring::sqe_set_data64(sqe, 0x1234);
    if (const int ret = ring.submit_and_wait(1); ret != 1) return fail("submit NOP", ret);
    rawring::abi::io_uring_cqe* cqe = nullptr;
    if (const int ret = ring.wait_cqe(&cqe); ret < 0) return fail("wait NOP", ret);
    if (cqe->user_data != 0x1234 || cqe->res != 0) return fail("NOP completion", cqe->res);
    ring.cqe_seen(cqe);
    if (ring.cq_ready() != 0 || ring.sq_ready() != 0) return fail("queues after NOP", 0);

    // A read: bytes 6.. of a file written with plain write(2).
    const char text[] = "hello rawring consumer\n";
    const char* tmp = std::getenv("TMPDIR");
    char path[4096];
    std::snprintf(path, sizeof path, "%s/rawring-consumer-XXXXXX", tmp != nullptr ? tmp : "/tmp");
    const int fd = mkstemp(path);
    if (fd < 0) return fail("mkstemp", fd);
    unlink(path);
    if (write(fd, text, sizeof text - 1) != static_cast<ssize_t>(sizeof text - 1))
        return fail("write", 0);

    char buf[64] = {};
    sqe = ring.get_sqe();
    rawring::prep_read(sqe, fd, buf, sizeof buf, 6);
    rawring::sqe_set_data64(sqe, 0x5678);
    if (const int ret = ring.submit_and_wait(1); ret != 1) return fail("submit read", ret);
    if (const int ret = ring.wait_cqe(&cqe); ret < 0) return fail("wait read", ret);
    const int res = cqe->res;
    const auto user_data = cqe->user_data;
    ring.cqe_seen(cqe);
    close(fd);
    const int want = static_cast<int>(sizeof text - 1 - 6);
    if (user_data != 0x5678 || res != want) return fail("read completion", res);
    if (std::memcmp(buf, text + 6, static_cast<std::size_t>(want)) != 0 || buf[want] != '\0')
        return fail("read the wrong bytes", res);

    std::printf("consumer: nop ok, read %d bytes ok\n", res);
    return 0;
}
