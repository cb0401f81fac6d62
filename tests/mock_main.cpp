// SPDX-License-Identifier: MIT
// The main of test-ring-mock: the core ring tests (tests/ring.cpp) and the three core Zig tests
// (tests/zig.cpp), unchanged, run on the mock in a process where the kernel refuses every
// io_uring system call with EPERM, as a container's default seccomp profile does.
#include <doctest/doctest.h>  // implemented in tests/doctest_impl.cpp

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>

#include "rawring/mock.hpp"

namespace {

#if defined(__x86_64__)
constexpr unsigned native_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned native_arch = AUDIT_ARCH_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
constexpr unsigned native_arch = AUDIT_ARCH_RISCV64;
#endif

/// Makes io_uring_setup, io_uring_enter and io_uring_register fail with EPERM from now on, for
/// this process and its children; every other system call is let through.
bool forbid_io_uring() {
    sock_filter filter[] = {
#ifdef AUDIT_ARCH_X86_64
        // A system call of another ABI (x32, i386) would have other numbers: let it be.
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, native_arch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
    return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

} // namespace

int main(int argc, char** argv) {
    if (!forbid_io_uring()) {
        std::perror("test-ring-mock: installing the seccomp filter");
        return 1;
    }
    // The kernel is out of reach now: the mock is all there is.
    if (::syscall(__NR_io_uring_setup, 1, nullptr) != -1 || errno != EPERM) {
        std::fprintf(stderr, "test-ring-mock: io_uring_setup still reaches the kernel\n");
        return 1;
    }
    rawring::mock::options opts;
    opts.real_time = true;       // ring.cpp measures some waits with the steady clock
    opts.report_at_exit = false; // its cases leave multishot timeouts armed on purpose
    rawring::mock::kernel mock(opts);
    if (mock.install() != 0) return 1;

    doctest::Context context(argc, argv);
    // All of ring.cpp; of zig.cpp the three core cases.
    context.addFilter("test-case", "ring: *");
    context.addFilter("test-case", "zig: structs/offsets/entries");
    context.addFilter("test-case", "zig: nop");
    context.addFilter("test-case", "zig: copy_cqes with wrapping sq.cqes buffer");
    const int result = context.run();
    mock.uninstall();
    return result;
}
