// SPDX-License-Identifier: MIT
// What the tests share: ring configurations, SKIP messages, temporary files, fd and mapping counts.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "rawring/rawring.hpp"

/// A case that cannot run here says why and asserts nothing. The text goes through an
/// ostringstream because doctest's own message stream prints a `const char*` as an address.
#define RAWRING_SKIP(reason)                                                                       \
    do {                                                                                           \
        std::ostringstream rawring_skip_text;                                                      \
        rawring_skip_text << "SKIP: " << reason;                                                   \
        MESSAGE(rawring_skip_text.str());                                                          \
    } while (0)

namespace rawring_test {

using rawring::abi::io_uring_cqe;
using rawring::abi::io_uring_sqe;

/// A ring configuration every kernel case is run under.
struct config {
    const char* name;
    std::uint32_t flags;
    rawring::sq_array array = rawring::sq_array::automatic;
};

inline constexpr config configs[] = {
    {"default", 0},
    {"SQ array", 0, rawring::sq_array::keep},
    {"SQE128", rawring::abi::IORING_SETUP_SQE128},
    {"CQE32", rawring::abi::IORING_SETUP_CQE32},
    {"NO_SQARRAY", rawring::abi::IORING_SETUP_NO_SQARRAY},
    {"SINGLE_ISSUER|DEFER_TASKRUN",
     rawring::abi::IORING_SETUP_SINGLE_ISSUER | rawring::abi::IORING_SETUP_DEFER_TASKRUN},
    {"COOP_TASKRUN|TASKRUN_FLAG",
     rawring::abi::IORING_SETUP_COOP_TASKRUN | rawring::abi::IORING_SETUP_TASKRUN_FLAG},
    {"SQPOLL", rawring::abi::IORING_SETUP_SQPOLL},
};

/// Whether this kernel's io_uring_setup takes `p` for a ring of `entries`, asked with a
/// throwaway ring set up by the raw syscall (so no fallback of rawring's gets in the way): 0,
/// or the kernel's -errno (-EINVAL for a flag it does not know).
inline int setup_accepts(unsigned entries, const rawring::abi::io_uring_params& p) {
    rawring::abi::io_uring_params copy = p;
    const int fd = rawring::sys::setup(entries, &copy);
    if (fd < 0) return fd;
    (void)rawring::sys::close(fd);
    return 0;
}

/// The same for `flags` alone on a one-entry ring.
inline int setup_accepts(std::uint32_t flags) {
    rawring::abi::io_uring_params p{};
    p.flags = flags;
    return setup_accepts(1, p);
}

/// Whether the running kernel knows register opcode `op`, asked by raw system calls only (so a
/// fault of rawring's register wrappers cannot pass for a missing op): IORING_REGISTER_QUERY
/// (Linux 6.18, no ring needed) gives the kernel's count of register opcodes; an older kernel
/// is asked through a restriction on a disabled ring, which since 5.10 it refuses (-EINVAL)
/// for an opcode at or past its last one and takes for any below.
inline bool kernel_knows_register_op(unsigned op) {
    namespace abi = rawring::abi;
    abi::io_uring_query_opcode opcodes{};
    abi::io_uring_query_hdr hdr{};
    hdr.query_data = reinterpret_cast<std::uintptr_t>(&opcodes);
    hdr.query_op = abi::IO_URING_QUERY_OPCODES;
    hdr.size = sizeof(opcodes);
    if (rawring::sys::register_(-1, abi::IORING_REGISTER_QUERY, &hdr, 0) == 0 && hdr.result == 0)
        return op < opcodes.nr_register_opcodes;
    if (op >= abi::IORING_REGISTER_QUERY) return false;
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_R_DISABLED;  // restrictions are taken only before enabling
    const int fd = rawring::sys::setup(2, &p);
    REQUIRE(fd >= 0);
    abi::io_uring_restriction res{};
    res.opcode = abi::IORING_RESTRICTION_REGISTER_OP;
    res.register_op = static_cast<std::uint8_t>(op);
    const int ret = rawring::sys::register_(fd, abi::IORING_REGISTER_RESTRICTIONS, &res, 1);
    (void)rawring::sys::close(fd);
    REQUIRE((ret == 0 || ret == -EINVAL));
    return ret == 0;
}

/// The result the kernel gives `sqe`, one SQE the test filled in field by field, asked on a
/// throwaway ring driven by libc's syscall() and mmap() alone (no code of rawring's in the way):
/// the res of the CQE that carries sqe.user_data. For an op case that got -EINVAL where an
/// older kernel refuses a flag: only the same -EINVAL here lets it skip. (A MSG_RING in `sqe`
/// may name the ring itself, -2 in sqe.fd; its target CQE is told apart by its user_data.)
inline int kernel_result(io_uring_sqe sqe) {
    namespace abi = rawring::abi;
    abi::io_uring_params p{};
    const int fd = static_cast<int>(::syscall(SYS_io_uring_setup, 4u, &p));
    REQUIRE(fd >= 0);
    if (sqe.fd == -2) sqe.fd = fd;
    const std::size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(std::uint32_t);
    const std::size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    const bool single = (p.features & abi::IORING_FEAT_SINGLE_MMAP) != 0;
    const std::size_t sqes_len = p.sq_entries * sizeof(io_uring_sqe);
    void* sq = ::mmap(nullptr, single ? std::max(sq_len, cq_len) : sq_len, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_POPULATE, fd, static_cast<off_t>(abi::IORING_OFF_SQ_RING));
    void* cq = single ? sq : ::mmap(nullptr, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                                    static_cast<off_t>(abi::IORING_OFF_CQ_RING));
    void* sqes = ::mmap(nullptr, sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                        static_cast<off_t>(abi::IORING_OFF_SQES));
    REQUIRE(sq != MAP_FAILED);
    REQUIRE(cq != MAP_FAILED);
    REQUIRE(sqes != MAP_FAILED);
    auto word = [](void* base, std::uint32_t off) {
        return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(static_cast<char*>(base) + off));
    };
    std::memcpy(sqes, &sqe, sizeof sqe);
    const std::uint32_t tail = word(sq, p.sq_off.tail).load(std::memory_order_relaxed);
    word(sq, p.sq_off.array + (tail & word(sq, p.sq_off.ring_mask).load()) * 4).store(0, std::memory_order_relaxed);
    word(sq, p.sq_off.tail).store(tail + 1, std::memory_order_release);
    int res = 0;
    bool found = false;
    long ret = ::syscall(SYS_io_uring_enter, fd, 1u, 0u, 0u, nullptr, 0ul);
    REQUIRE(ret == 1);
    // At most a few CQEs come (a MSG_RING to itself posts two). Each wait lasts at most 5 s
    // (EXT_ARG, Linux 5.11), so a reference that never completes fails the case below.
    const abi::kernel_timespec patience{5, 0};
    abi::io_uring_getevents_arg arg{};
    arg.ts = reinterpret_cast<std::uintptr_t>(&patience);
    for (int round = 0; !found && round < 8; ++round) {
        ret = ::syscall(SYS_io_uring_enter, fd, 0u, 1u, abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_EXT_ARG,
                        &arg, sizeof arg);
        REQUIRE((ret == 0 || ret == -1));  // -1: errno ETIME or EINTR, and the CQ is looked at
        std::uint32_t head = word(cq, p.cq_off.head).load(std::memory_order_relaxed);
        const std::uint32_t ctail = word(cq, p.cq_off.tail).load(std::memory_order_acquire);
        for (; head != ctail; ++head) {
            const auto* c = reinterpret_cast<const io_uring_cqe*>(static_cast<char*>(cq) + p.cq_off.cqes) +
                            (head & word(cq, p.cq_off.ring_mask).load());
            if (!found && c->user_data == sqe.user_data) {
                res = c->res;
                found = true;
            }
        }
        word(cq, p.cq_off.head).store(head, std::memory_order_release);
    }
    ::munmap(sqes, sqes_len);
    if (!single) ::munmap(cq, cq_len);
    ::munmap(sq, single ? std::max(sq_len, cq_len) : sq_len);
    ::close(fd);
    REQUIRE_MESSAGE(found, "no CQE for the reference SQE");
    return res;
}

/// A TIMEOUT SQE filled in by hand from the uapi, for kernel_result.
inline io_uring_sqe timeout_by_hand(const rawring::abi::kernel_timespec* ts, unsigned count, std::uint32_t flags,
                                    std::uint64_t user_data) {
    io_uring_sqe sqe{};
    sqe.opcode = rawring::abi::IORING_OP_TIMEOUT;
    sqe.fd = -1;
    sqe.addr = reinterpret_cast<std::uintptr_t>(ts);
    sqe.len = 1;
    sqe.off = count;
    sqe.timeout_flags = flags;
    sqe.user_data = user_data;
    return sqe;
}

/// For the op cases' skips: rawring's SQE got -EINVAL, and `ref`, the same request filled in
/// by hand, must get -EINVAL from the kernel too (else rawring, not the kernel, refused it).
#define RAWRING_REQUIRE_KERNEL_REFUSES(ref)                                                        \
    REQUIRE_MESSAGE(::rawring_test::kernel_result(ref) == -EINVAL,                                 \
                    "rawring's SQE got -EINVAL, but the kernel takes the same request built by hand")

/// What a test does when rawring's init of a ring with `p` (and `entries`) gave `ret` < 0. The
/// raw syscall is asked whether the kernel takes the same setup:
/// - it does not: the setup cannot run on this kernel, and the case says SKIP with `what` and
///   the kernel's answer;
/// - it does: rawring failed where the kernel would not, and the case fails.
inline void init_failed(int ret, unsigned entries, const rawring::abi::io_uring_params& p, const char* what) {
    if (const int kernel = setup_accepts(entries, p); kernel != 0) {
        RAWRING_SKIP(what << ": ring setup refused by this kernel (" << std::strerror(-kernel) << ")");
        return;
    }
    std::ostringstream text;  // not doctest's stream: it prints a const char* as an address
    text << what << ": init gave " << ret << " (" << std::strerror(-ret)
         << "), but this kernel sets such a ring up";
    FAIL_CHECK(text.str());
}

/// Sets `r` up with `entries`, `p` (which init fills in, as the kernel does) and `array`, and
/// returns true; else init_failed says why (SKIP or a failure) and it returns false.
inline bool open_ring(rawring::ring& r, unsigned entries, rawring::abi::io_uring_params& p,
                      const char* what, rawring::sq_array array = rawring::sq_array::automatic) {
    const rawring::abi::io_uring_params asked = p;
    const int ret = r.init(entries, p, array);
    if (ret == 0) return true;
    init_failed(ret, entries, asked, what);
    return false;
}

/// The same with setup flags alone.
inline bool open_ring(rawring::ring& r, unsigned entries, std::uint32_t flags, const char* what) {
    rawring::abi::io_uring_params p{};
    p.flags = flags;
    return open_ring(r, entries, p, what);
}

/// Sets `r` up with `c` (a case may go on with its other configurations when this one cannot
/// run here): as open_ring above.
inline bool open_ring(rawring::ring& r, const config& c, unsigned entries) {
    rawring::abi::io_uring_params p{};
    p.flags = c.flags;
    return open_ring(r, entries, p, c.name, c.array);
}

/// Waits until the kernel has taken every published SQE (`sq_ready() == 0`), at most `seconds`,
/// and returns whether it did. Without SQPOLL the enter that submitted took them, so this
/// returns at once. An SQPOLL thread posts the CQEs of what it issued inline (and wakes the
/// waiter) before it publishes its new SQ head: the kernel's io_submit_sqes flushes its
/// completions, then commits the head. A reaped CQE therefore does not yet mean a moved head;
/// seen on Linux 6.1 in QEMU under load.
inline bool await_sq_consumed(const rawring::ring& r, unsigned seconds = 30) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (r.sq_ready() != 0) {
        if (std::chrono::steady_clock::now() >= until) return false;
        sched_yield();
    }
    return true;
}

/// A watchdog for a wait that has no timeout of its own: SIGALRM after `seconds`, with a
/// handler installed without SA_RESTART, so a blocked io_uring_enter returns -EINTR (rawring
/// hands -EINTR back, never retries it) and the case fails instead of hanging the suite.
/// `fired()` says whether it went off.
class wait_watchdog {
  public:
    explicit wait_watchdog(unsigned seconds) {
        fired_flag() = 0;
        struct sigaction sa {};
        sa.sa_handler = [](int) { fired_flag() = 1; };
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        ::sigaction(SIGALRM, &sa, &old_);
        ::alarm(seconds);
    }
    ~wait_watchdog() {
        ::alarm(0);
        ::sigaction(SIGALRM, &old_, nullptr);
    }
    wait_watchdog(const wait_watchdog&) = delete;
    wait_watchdog& operator=(const wait_watchdog&) = delete;
    [[nodiscard]] static bool fired() { return fired_flag() != 0; }

  private:
    static volatile std::sig_atomic_t& fired_flag() {
        static volatile std::sig_atomic_t flag = 0;
        return flag;
    }
    struct sigaction old_ {};
};

/// The page size.
inline std::size_t page_size() {
    return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// Reads one byte of every page of [at, at + len) and returns how many pages that was. Not
/// instrumented: a sanitizer's check of the shadow memory of a new mapping would take page
/// faults of its own, which the caller would count as the mapping's.
__attribute__((no_sanitize("address", "thread"))) inline std::size_t read_every_page(const void* at,
                                                                                      std::size_t len) {
    const std::size_t page = page_size();
    const volatile unsigned char* p = static_cast<const unsigned char*>(at);
    std::size_t pages = 0;
    for (std::size_t off = 0; off < len; off += page, ++pages) (void)p[off];
    return pages;
}

/// The minor page faults this thread takes while it reads one byte of every page of
/// [at, at + len) (read_every_page); the pages read go to `*pages`.
inline long faults_reading_once(const void* at, std::size_t len, std::size_t* pages) {
    ::rusage before{}, after{};
    const int r0 = ::getrusage(RUSAGE_THREAD, &before);
    *pages = read_every_page(at, len);
    const int r1 = ::getrusage(RUSAGE_THREAD, &after);
    REQUIRE((r0 == 0 && r1 == 0));
    return after.ru_minflt - before.ru_minflt;
}

/// faults_reading_once, after one run of it over a buffer on the stack: the code that runs
/// between the two counts must have run before, or the first fetch of a page of it (a fault
/// on the test binary's text) would be counted as the mapping's.
inline long faults_reading(const void* at, std::size_t len, std::size_t* pages) {
    const unsigned char local[64] = {};
    std::size_t ignored = 0;
    (void)faults_reading_once(local, sizeof local, &ignored);
    return faults_reading_once(at, len, pages);
}

/// Page-aligned anonymous memory, unmapped with the object.
struct mapping {
    void* p = nullptr;
    std::size_t size = 0;
    explicit mapping(std::size_t bytes) : size(bytes) {
        p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(p != MAP_FAILED);
    }
    ~mapping() { ::munmap(p, size); }
    mapping(const mapping&) = delete;
    mapping& operator=(const mapping&) = delete;
    unsigned char* bytes() const { return static_cast<unsigned char*>(p); }
};

inline bool io_uring_available() {
    static const bool available = [] {
        rawring::ring r;
        return r.init(1) == 0;
    }();
    return available;
}

/// Counts the entries of /proc/self/fd.
inline int count_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d) != nullptr) ++n;
        closedir(d);
    }
    return n;
}

/// Counts the lines of /proc/self/maps that map io_uring memory.
inline int count_uring_maps() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int n = 0;
    while (std::getline(maps, line))
        if (line.find("io_uring") != std::string::npos) ++n;
    return n;
}

/// An fd closed with the object (-1 means none).
struct owned_fd {
    int fd = -1;
    owned_fd() = default;
    explicit owned_fd(int f) : fd(f) {}
    owned_fd(owned_fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
    owned_fd& operator=(owned_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd = o.fd;
            o.fd = -1;
        }
        return *this;
    }
    ~owned_fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    int release() {
        const int f = fd;
        fd = -1;
        return f;
    }
    operator int() const { return fd; }
};

/// A fresh directory (under /tmp unless told otherwise) with an O_DIRECTORY fd, removed with
/// everything in it when the object goes. Zig: `tmpDir`.
struct temp_dir {
    std::string path;
    owned_fd fd;

    explicit temp_dir(const char* base = "/tmp") {
        std::string name = std::string(base) + "/rawring-test-XXXXXX";
        REQUIRE(::mkdtemp(name.data()) != nullptr);
        path = name;
        fd = owned_fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        REQUIRE(fd >= 0);
    }
    ~temp_dir() {
        fd.reset();
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    /// The path of `name` inside the directory.
    [[nodiscard]] std::string at(const std::string& name) const { return path + "/" + name; }

    /// Creates (truncates) `name`, read-write, with `contents`. Zig: `dir.createFile(...)`.
    owned_fd create(const char* name, const std::string& contents = {}) const {
        owned_fd f(::openat(fd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
        REQUIRE(f >= 0);
        if (!contents.empty()) {
            REQUIRE(::write(f, contents.data(), contents.size()) ==
                    static_cast<ssize_t>(contents.size()));
        }
        return f;
    }

    /// The whole contents of `name`.
    std::string read(const char* name) const {
        owned_fd f(::openat(fd, name, O_RDONLY | O_CLOEXEC));
        REQUIRE(f >= 0);
        std::string s;
        char buf[256];
        for (;;) {
            const ssize_t n = ::read(f, buf, sizeof(buf));
            REQUIRE(n >= 0);
            if (n == 0) break;
            s.append(buf, static_cast<std::size_t>(n));
        }
        return s;
    }

    /// lstat of `name`: 0, or -errno.
    int stat(const char* name, struct stat* st) const {
        return ::fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
    }
};

/// Milliseconds of the steady clock since `t0`.
inline double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// A relative kernel timespec of `n` milliseconds.
inline rawring::abi::kernel_timespec ms(long n) {
    return rawring::abi::kernel_timespec{n / 1000, (n % 1000) * 1000000LL};
}

/// Waits at most `timeout_ms` for one CQE, copies it out and consumes it; the case fails if
/// none arrives (so a lost completion never hangs the suite).
inline io_uring_cqe reap(rawring::ring& r, long timeout_ms = 5000) {
    const rawring::abi::kernel_timespec ts = ms(timeout_ms);
    io_uring_cqe* cqe = nullptr;
    const int ret = r.wait_cqe_timeout(&cqe, &ts);
    REQUIRE_MESSAGE(ret == 0, "no CQE within " << timeout_ms << " ms: " << std::string(std::strerror(-ret)));
    REQUIRE(cqe != nullptr);
    const io_uring_cqe out = *cqe;
    r.cqe_seen(cqe);
    return out;
}

/// A file in /tmp, removed with the object.
struct temp_file {
    std::string path;
    int fd = -1;
    explicit temp_file(const std::string& contents = {}) {
        char name[] = "/tmp/rawring-test-XXXXXX";
        fd = mkstemp(name);
        REQUIRE(fd >= 0);
        path = name;
        if (!contents.empty()) {
            REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
        }
    }
    ~temp_file() {
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

/// Compares two SQEs field by field, so a failure names the field, then every byte.
inline void check_sqe(const io_uring_sqe& got, const io_uring_sqe& want) {
    CHECK(unsigned{got.opcode} == unsigned{want.opcode});
    CHECK(unsigned{got.flags} == unsigned{want.flags});
    CHECK(got.ioprio == want.ioprio);
    CHECK(got.fd == want.fd);
    CHECK(got.off == want.off);
    CHECK(got.addr == want.addr);
    CHECK(got.len == want.len);
    CHECK(got.rw_flags == want.rw_flags);
    CHECK(got.user_data == want.user_data);
    CHECK(got.buf_index == want.buf_index);
    CHECK(got.personality == want.personality);
    CHECK(got.file_index == want.file_index);
    CHECK(got.addr3 == want.addr3);
    CHECK(got.pad2 == want.pad2);
    CHECK(std::memcmp(&got, &want, sizeof(want)) == 0);  // and nothing else differs
}

/// Submits the `n` SQEs just queued and checks submit's count: exactly `n`, or on an SQPOLL ring
/// at least `n`, since there submit counts every SQE the poller has not consumed yet and the
/// poller may post an earlier SQE's CQE before it moves the SQ head past it.
inline void submit_queued(rawring::ring& r, int n) {
    const int ret = r.submit();
    if ((r.flags() & rawring::abi::IORING_SETUP_SQPOLL) != 0) {
        REQUIRE(ret >= n);
    } else {
        REQUIRE(ret == n);
    }
}

/// The same check on the count a submit-and-wait call returned for `n` new SQEs.
inline bool submitted(const rawring::ring& r, int ret, int n) {
    return (r.flags() & rawring::abi::IORING_SETUP_SQPOLL) != 0 ? ret >= n : ret == n;
}

/// Gets an SQE and preps a NOP carrying `data`. On an SQPOLL ring the poller may post CQEs
/// before it moves the SQ head, so a full SQ there is waited out (submit wakes the poller);
/// on any other ring a full SQ gives nullptr at once.
inline io_uring_sqe* queue_nop(rawring::ring& r, std::uint64_t data) {
    io_uring_sqe* sqe = r.get_sqe();
    if ((r.flags() & rawring::abi::IORING_SETUP_SQPOLL) != 0) {
        for (int i = 0; sqe == nullptr && i < 100000; ++i) {
            (void)r.submit();
            sched_yield();
            sqe = r.get_sqe();
        }
    }
    if (sqe != nullptr) {
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, data);
    }
    return sqe;
}

} // namespace rawring_test
