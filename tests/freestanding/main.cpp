// SPDX-License-Identifier: MIT
// A program with no C library and no C++ runtime: its own _start, rawring with the raw syscall
// backend, and io_uring for all of its I/O. Usage: freestanding PATH (a file it may create).
#include "rawring/arch/syscall.hpp"
#include "rawring/probe.hpp"
#include "rawring/ring.hpp"
#include "rawring/prep.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

// The entry point: the kernel starts the process here with the stack pointer at argc, followed
// by argv[], a null, envp[], a null and the aux vector. Clear the frame pointer (and on aarch64
// the link register) so unwinders stop here, pass that stack pointer to freestanding_main, and
// call it with the stack aligned to 16 bytes as every one of these ABIs wants. On riscv64 the
// global pointer must be set before any code the linker relaxed to gp-relative runs.
#if defined(__x86_64__)
asm(R"(
    .text
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    movq %rsp, %rdi
    andq $-16, %rsp
    call freestanding_main
    hlt
    .size _start, . - _start
)");
#elif defined(__aarch64__)
asm(R"(
    .text
    .globl _start
    .type _start, %function
_start:
    mov x29, #0
    mov x30, #0
    mov x0, sp
    and sp, x0, #-16
    bl freestanding_main
    brk #0
    .size _start, . - _start
)");
#elif defined(__riscv)
asm(R"(
    .text
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    lla gp, __global_pointer$
    .option pop
    mv a0, sp
    andi sp, sp, -16
    call freestanding_main
    unimp
    .size _start, . - _start
)");
#endif

namespace {

namespace abi = rawring::abi;
namespace arch = rawring::arch;

// openat(2) values: the same numbers on x86_64, aarch64 and riscv64.
constexpr int at_fdcwd = -100;
constexpr std::uint32_t o_rdwr = 02;
constexpr std::uint32_t o_creat = 0100;
constexpr std::uint32_t o_trunc = 01000;
constexpr std::uint32_t o_cloexec = 02000000;

// Exit statuses: 77 tells the test harness "skipped" (no io_uring here).
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_skip = 77;

[[noreturn]] void exit_group(int status) noexcept {
    for (;;) (void)arch::syscall1(arch::nr_exit_group, status);
}

std::size_t length(const char* s) noexcept {
    std::size_t n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

// Diagnostics go to stderr through the plain write syscall, so a broken ring can still report.
void say(const char* what, long value = 0) noexcept {
    char digits[24];
    std::size_t d = sizeof digits;
    const auto magnitude = static_cast<unsigned long>(value);
    unsigned long v = value < 0 ? 0ul - magnitude : magnitude;
    do {
        digits[--d] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0) digits[--d] = '-';
    (void)arch::syscall3(arch::nr_write, 2, reinterpret_cast<long>("freestanding: "), 14);
    (void)arch::syscall3(arch::nr_write, 2, reinterpret_cast<long>(what),
                         static_cast<long>(length(what)));
    (void)arch::syscall3(arch::nr_write, 2, reinterpret_cast<long>(" "), 1);
    (void)arch::syscall3(arch::nr_write, 2, reinterpret_cast<long>(digits + d),
                         static_cast<long>(sizeof digits - d));
    (void)arch::syscall3(arch::nr_write, 2, reinterpret_cast<long>("\n"), 1);
}

// Submits the one SQE prepared in the ring, waits for its CQE and returns the CQE's res, or
// `fail` after saying why. Checks user_data and that both queues are empty afterwards.
template <class Prep>
int run_one(rawring::ring& r, const char* what, std::uint64_t tag, Prep&& prep) noexcept {
    abi::io_uring_sqe* sqe = r.get_sqe();
    if (sqe == nullptr) {
        say(what, -1);
        return -1000;
    }
    prep(sqe);
    rawring::sqe_set_data64(sqe, tag);
    if (const int ret = r.submit_and_wait(1); ret != 1) {
        say(what, ret);
        return -1000;
    }
    abi::io_uring_cqe cqe{};
    if (const int ret = r.copy_cqe(cqe); ret != 0) {
        say(what, ret);
        return -1000;
    }
    if (cqe.user_data != tag || r.sq_ready() != 0 || r.cq_ready() != 0) {
        say(what, static_cast<long>(cqe.user_data));
        return -1000;
    }
    return cqe.res;
}

int run(int argc, char** argv) noexcept {
    if (argc < 2) {
        say("usage: freestanding PATH; arguments:", argc);
        return exit_usage;
    }
    const char* path = argv[1];

    rawring::ring r;
    if (const int ret = r.init(8); ret < 0) {
        say("SKIP: io_uring unavailable, init returned", ret);
        return exit_skip;
    }
    const rawring::probe probe = rawring::get_probe(r);
    const unsigned needed[] = {abi::IORING_OP_WRITE, abi::IORING_OP_READ, abi::IORING_OP_OPENAT,
                               abi::IORING_OP_CLOSE};
    for (unsigned op : needed) {
        if (!probe.supported(op)) {
            say("SKIP: the probe lacks opcode", op);
            return exit_skip;
        }
    }

    // 1. The greeting, to stdout at the file position (-1: also right for pipes and terminals).
    static const char hello[] = "hello from io_uring\n";
    constexpr unsigned hello_len = sizeof hello - 1;
    int res = run_one(r, "write to stdout", 1, [&](abi::io_uring_sqe* sqe) {
        rawring::prep_write(sqe, 1, hello, hello_len, ~std::uint64_t{0});
    });
    if (res != static_cast<int>(hello_len)) {
        say("write to stdout returned", res);
        return exit_failed;
    }

    // 2. A file: open (create) it, write a pattern, read it back and compare every byte.
    const int fd = run_one(r, "openat", 2, [&](abi::io_uring_sqe* sqe) {
        rawring::prep_rw(abi::IORING_OP_OPENAT, sqe, at_fdcwd, path, 0600, 0);
        sqe->open_flags = o_rdwr | o_creat | o_trunc | o_cloexec;
    });
    if (fd < 0) {
        say("openat returned", fd);
        return exit_failed;
    }

    unsigned char out[3000];
    for (std::size_t i = 0; i < sizeof out; ++i)
        out[i] = static_cast<unsigned char>(i * 7 + i / 251);
    res = run_one(r, "write to the file", 3, [&](abi::io_uring_sqe* sqe) {
        rawring::prep_write(sqe, fd, out, sizeof out, 0);
    });
    if (res != static_cast<int>(sizeof out)) {
        say("write to the file returned", res);
        return exit_failed;
    }

    unsigned char in[sizeof out + 100] = {};
    res = run_one(r, "read", 4, [&](abi::io_uring_sqe* sqe) {
        rawring::prep_read(sqe, fd, in, sizeof in, 0);
    });
    if (res != static_cast<int>(sizeof out)) {
        say("read returned", res);
        return exit_failed;
    }
    for (std::size_t i = 0; i < sizeof out; ++i) {
        if (in[i] != out[i]) {
            say("read back a different byte at offset", static_cast<long>(i));
            return exit_failed;
        }
    }

    res = run_one(r, "close", 5, [&](abi::io_uring_sqe* sqe) {
        rawring::prep_rw(abi::IORING_OP_CLOSE, sqe, fd, nullptr, 0, 0);
    });
    if (res != 0) {
        say("close returned", res);
        return exit_failed;
    }
    // Removing the file is a courtesy (the test removes its directory anyway); UNLINKAT is 5.11.
    if (probe.supported(abi::IORING_OP_UNLINKAT)) {
        res = run_one(r, "unlinkat", 6, [&](abi::io_uring_sqe* sqe) {
            rawring::prep_rw(abi::IORING_OP_UNLINKAT, sqe, at_fdcwd, path, 0, 0);
        });
        if (res != 0) {
            say("unlinkat returned", res);
            return exit_failed;
        }
    }

    // 3. A batch of NOPs, copied out with copy_cqes: the copy of a batch of CQEs whose size is
    // known only at run time, which the compiler turns into a call to memcpy (src/freestanding.cpp
    // here; the library `rawring-freestanding` for a program built with Meson). Each call may
    // copy fewer than are ready, so copy until all have come, a bounded number of times.
    constexpr unsigned batch = 5;
    for (unsigned i = 0; i < batch; ++i) {
        abi::io_uring_sqe* sqe = r.get_sqe();
        if (sqe == nullptr) {
            say("get_sqe for NOP", static_cast<long>(i));
            return exit_failed;
        }
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, 100 + i);
    }
    if (const int ret = r.submit_and_wait(batch); ret != static_cast<int>(batch)) {
        say("submit the NOPs returned", ret);
        return exit_failed;
    }
    abi::io_uring_cqe cqes[batch + 3] = {};
    unsigned copied = 0;
    for (unsigned tries = 0; copied < batch && tries < 100; ++tries) {
        const int n = r.copy_cqes(std::span<abi::io_uring_cqe>(cqes + copied, batch + 3 - copied), 1);
        if (n < 0) {
            say("copy_cqes returned", n);
            return exit_failed;
        }
        copied += static_cast<unsigned>(n);
    }
    if (copied != batch || r.cq_ready() != 0 || r.sq_ready() != 0) {
        say("copy_cqes copied", static_cast<long>(copied));
        return exit_failed;
    }
    for (unsigned i = 0; i < batch; ++i) {
        if (cqes[i].user_data != 100 + i || cqes[i].res != 0) {
            say("copy_cqes gave a wrong NOP CQE at", static_cast<long>(i));
            return exit_failed;
        }
    }

    // 4. Tear the ring down; a closed ring answers every call without touching the kernel.
    r.exit();
    if (r.is_open() || r.get_sqe() != nullptr) {
        say("the ring is still open after exit", r.fd());
        return exit_failed;
    }
    return exit_ok;
}

} // namespace

/// Called by _start with the initial stack pointer; never returns.
extern "C" [[noreturn]] void freestanding_main(long* sp) noexcept {
    const int argc = static_cast<int>(sp[0]);
    char** argv = reinterpret_cast<char**>(sp + 1);
    exit_group(run(argc, argv));
}
