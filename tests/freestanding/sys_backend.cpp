// SPDX-License-Identifier: MIT
// rawring::sys against the kernel without io_uring: -errno returns, mappings, resource limits,
// and (rawring/arch/*.hpp) the raw system calls themselves. Built with RAWRING_TEST_SYSCALL_RAW
// when the library uses the raw backend, which must leave errno alone.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <doctest/doctest.h>

#include "rawring/errno.hpp"
#include "rawring/sys.hpp"

#if (defined(__x86_64__) && !defined(__ILP32__)) || (defined(__aarch64__) && !defined(__ILP32__)) || \
    (defined(__riscv) && __riscv_xlen == 64)
#define RAWRING_TEST_HAS_ARCH 1
#include "rawring/arch/syscall.hpp"
#endif

namespace {

namespace sys = rawring::sys;
namespace err = rawring::err;

// What errno must be after a failing sys:: call: libc's syscall() sets it, the raw backend never
// touches it.
constexpr int sentinel = 12345;
int errno_after_failure(int libc_value) {
#ifdef RAWRING_TEST_SYSCALL_RAW
    (void)libc_value;
    return sentinel;
#else
    return libc_value;
#endif
}

} // namespace

TEST_SUITE("unit") {

TEST_CASE("sys: close of a bad fd is -EBADF, errno set only by the libc backend") {
    errno = sentinel;
    CHECK(sys::close(-1) == -err::ebadf);
    CHECK(errno == errno_after_failure(EBADF));
}

TEST_CASE("sys: close of an open fd is 0 and the fd is gone") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    CHECK(sys::close(fds[0]) == 0);
    CHECK(sys::close(fds[1]) == 0);
    CHECK(fcntl(fds[0], F_GETFD) == -1);
    CHECK(sys::close(fds[0]) == -err::ebadf);
}

TEST_CASE("sys: mmap_anon maps zeroed writable memory; munmap unmaps it") {
    int error = 0;
    const std::size_t len = 3 * 4096;
    auto* p = static_cast<unsigned char*>(sys::mmap_anon(len, &error));
    REQUIRE(p != nullptr);
    CHECK(error == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 4096 == 0);
    bool zero = true;
    for (std::size_t i = 0; i < len; ++i) zero = zero && p[i] == 0;
    CHECK(zero);
    p[0] = 1;
    p[len - 1] = 2;
    CHECK(p[0] + p[len - 1] == 3);
    unsigned char vec[3] = {};
    CHECK(mincore(p, len, vec) == 0);  // still mapped
    CHECK(sys::munmap(p, len) == 0);
    CHECK(mincore(p, len, vec) == -1);  // gone: ENOMEM for an unmapped range
    CHECK(errno == ENOMEM);
}

TEST_CASE("sys: mmap_anon of 0 bytes is nullptr with -EINVAL, errno set only by libc") {
    int error = 0;
    errno = sentinel;
    CHECK(sys::mmap_anon(0, &error) == nullptr);
    CHECK(error == -err::einval);
    CHECK(errno == errno_after_failure(EINVAL));
}

TEST_CASE("sys: mmap_ring of a non-ring fd is nullptr with -errno") {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    int error = 0;
    CHECK(sys::mmap_ring(fds[0], 4096, 0, &error) == nullptr);
    CHECK(error == -ENODEV);  // a read-write fd whose file has no mmap
    close(fds[0]);
    close(fds[1]);
    error = 0;
    CHECK(sys::mmap_ring(-1, 4096, 0, &error) == nullptr);
    CHECK(error == -err::ebadf);
}

TEST_CASE("sys: munmap of a misaligned address is -EINVAL") {
    errno = sentinel;
    CHECK(sys::munmap(reinterpret_cast<void*>(std::uintptr_t{4097}), 4096) == -err::einval);
    CHECK(errno == errno_after_failure(EINVAL));
}

TEST_CASE("sys: prlimit reads RLIMIT_NOFILE as getrlimit does, and sets it") {
    rlimit libc{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &libc) == 0);
    sys::resource_limit old{};
    REQUIRE(sys::prlimit(sys::rlimit_nofile, nullptr, &old) == 0);
    CHECK(old.cur == libc.rlim_cur);
    CHECK(old.max == libc.rlim_max);

    // Lower the soft limit by one and put it back (soft limits only: no privilege needed).
    REQUIRE(old.cur > 64);
    sys::resource_limit lower{old.cur - 1, old.max};
    sys::resource_limit before{};
    REQUIRE(sys::prlimit(sys::rlimit_nofile, &lower, &before) == 0);
    CHECK(before.cur == old.cur);
    REQUIRE(getrlimit(RLIMIT_NOFILE, &libc) == 0);
    CHECK(libc.rlim_cur == old.cur - 1);
    CHECK(sys::prlimit(sys::rlimit_nofile, &old, nullptr) == 0);
    REQUIRE(getrlimit(RLIMIT_NOFILE, &libc) == 0);
    CHECK(libc.rlim_cur == old.cur);
}

TEST_CASE("sys: prlimit refuses a soft limit above the hard one and a bad resource") {
    sys::resource_limit now{};
    REQUIRE(sys::prlimit(sys::rlimit_nofile, nullptr, &now) == 0);
    if (now.max == sys::rlim_infinity) {
        MESSAGE("SKIP: the hard RLIMIT_NOFILE is infinite; no soft limit can exceed it");
    } else {
        sys::resource_limit bad{now.max + 1, now.max};
        CHECK(sys::prlimit(sys::rlimit_nofile, &bad, nullptr) == -err::einval);
    }
    errno = sentinel;
    sys::resource_limit out{};
    CHECK(sys::prlimit(1000, nullptr, &out) == -err::einval);
    CHECK(errno == errno_after_failure(EINVAL));
}

TEST_CASE("sys: gettid is the thread's id as the kernel gives it; yield returns") {
    CHECK(sys::gettid() == static_cast<int>(::syscall(SYS_gettid)));
    CHECK(sys::gettid() == getpid());  // the main thread's id is the process's
    errno = sentinel;
    for (int i = 0; i < 3; ++i) sys::yield();
    CHECK(errno == sentinel);  // sched_yield cannot fail, so neither backend sets errno
}

#ifdef RAWRING_TEST_HAS_ARCH
TEST_CASE("arch: raw system calls return what libc's do, errors as -errno") {
    namespace arch = rawring::arch;
    CHECK(arch::syscall0(arch::nr_getpid) == getpid());
    // Extra argument registers are ignored by a call that takes none.
    CHECK(arch::syscall5(arch::nr_getpid, 1, 2, 3, 4, 5) == getpid());
    CHECK(arch::syscall0(arch::nr_gettid) == static_cast<long>(::syscall(SYS_gettid)));
    CHECK(arch::syscall0(arch::nr_sched_yield) == 0);

    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const char text[] = "raw write";
    CHECK(arch::syscall3(arch::nr_write, fds[1], reinterpret_cast<long>(text), 9) == 9);
    char buf[16] = {};
    CHECK(read(fds[0], buf, sizeof buf) == 9);
    CHECK(std::memcmp(buf, text, 9) == 0);
    CHECK(arch::syscall1(arch::nr_close, fds[1]) == 0);
    CHECK(arch::syscall1(arch::nr_close, fds[1]) == -err::ebadf);
    close(fds[0]);

    // Six arguments: an anonymous mapping (PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS).
    const long addr = arch::syscall6(arch::nr_mmap, 0, 4096, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE((addr > 0 || addr < -4095));
    *reinterpret_cast<volatile int*>(addr) = 7;
    CHECK(arch::syscall2(arch::nr_munmap, addr, 4096) == 0);
    // Four: prlimit64 with nothing to set or get.
    CHECK(arch::syscall4(arch::nr_prlimit64, 0, RLIMIT_NOFILE, 0, 0) == 0);
    CHECK(arch::syscall4(arch::nr_prlimit64, 0, 1000, 0, 0) == -err::einval);
}
#endif

} // TEST_SUITE
