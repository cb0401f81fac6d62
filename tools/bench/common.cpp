// SPDX-License-Identifier: MIT
// rawring-bench: clocks, statistics, the read file, pinning and the enter counter.
#include "common.hpp"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace bench {

std::string row_id(const workload& w) {
    std::string id;
    switch (w.k) {
    case kind::nop:
        id = "nop-";
        id += w.style == reap::for_each ? "for_each" : w.style == reap::wait_cqe ? "wait_cqe" : "copy";
        id += "-b" + std::to_string(w.batch);
        break;
    case kind::read:
        id = std::string("read-") + (w.fixed ? "fixed" : "plain") + "-d" + std::to_string(w.batch);
        break;
    case kind::recv: id = "recv-multishot"; break;
    case kind::pingpong: id = "pingpong-pipe"; break;
    }
    id += w.s == setup::tuned ? "-tuned" : "-default";
    return id;
}

namespace {
double ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double quantile(const std::vector<double>& sorted, double q) {
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const std::size_t i = static_cast<std::size_t>(pos);
    if (i + 1 >= sorted.size()) return sorted.back();
    return sorted[i] + (pos - static_cast<double>(i)) * (sorted[i + 1] - sorted[i]);
}
} // namespace

clocks read_clocks() {
    clocks c;
    c.wall_ns = ns(CLOCK_MONOTONIC);
    c.process_ns = ns(CLOCK_PROCESS_CPUTIME_ID);
    c.thread_ns = ns(CLOCK_THREAD_CPUTIME_ID);
    return c;
}

summary summarize(std::vector<double> v) {
    summary s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.median = quantile(v, 0.5);
    s.q1 = quantile(v, 0.25);
    s.q3 = quantile(v, 0.75);
    // The median lies between the order statistics k and n+1-k (1-based) with >= 95 %
    // probability, k from the normal approximation of Binomial(n, 1/2).
    const double n = static_cast<double>(v.size());
    const double k = std::floor((n - 1.96 * std::sqrt(n)) / 2);
    const std::size_t lo = k < 1 ? 0 : static_cast<std::size_t>(k) - 1;
    const std::size_t hi = v.size() - 1 - lo;
    s.lo95 = v[lo];
    s.hi95 = v[hi];
    return s;
}

int make_read_file(const std::string& path, std::uint64_t size) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    struct stat st {};
    if (::fstat(fd, &st) < 0 || static_cast<std::uint64_t>(st.st_size) != size) {
        std::vector<char> block(1 << 20);
        for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 131);
        if (::ftruncate(fd, 0) < 0) return -errno;
        for (std::uint64_t off = 0; off < size; off += block.size())
            if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(off)) < 0) return -errno;
        ::fsync(fd);
    }
    return fd;
}

int rewarm(int fd, std::uint64_t size) {
    static std::vector<char> buf(1 << 20);
    for (std::uint64_t off = 0; off < size; off += buf.size())
        if (::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off)) < 0) return -errno;
    return 0;
}

std::string fs_type(const std::string& path) {
    struct statfs sf {};
    if (::statfs(path.c_str(), &sf) < 0) return "?";
    switch (static_cast<unsigned long>(sf.f_type)) {
    case 0xEF53: return "ext4";  // ext2/3/4 share the magic
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    }
    return "?";
}

int pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0) {
        if (sched_getaffinity(0, sizeof(set), &set) < 0) return -errno;
        for (int i = CPU_SETSIZE - 1; i >= 0; --i)
            if (CPU_ISSET(i, &set)) {
                cpu = i;
                break;
            }
        if (cpu < 0) return -EINVAL;
        CPU_ZERO(&set);
    }
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0) return -errno;
    return cpu;
}

int enter_counter::open() {
    close();
    static const char* const paths[] = {
        "/sys/kernel/tracing/events/syscalls/sys_enter_io_uring_enter/id",
        "/sys/kernel/debug/tracing/events/syscalls/sys_enter_io_uring_enter/id",
    };
    long long id = -1;
    for (const char* p : paths) {
        if (FILE* f = std::fopen(p, "r")) {
            if (std::fscanf(f, "%lld", &id) != 1) id = -1;
            std::fclose(f);
            if (id >= 0) break;
        }
    }
    if (id < 0) return -ENOENT;
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = static_cast<std::uint64_t>(id);
    // sample_period 0: a pure counter, as perf stat uses it.
    const long fd = ::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) return -errno;
    fd_ = static_cast<int>(fd);
    return 0;
}

void enter_counter::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::int64_t enter_counter::read() const {
    if (fd_ < 0) return -1;
    std::uint64_t v = 0;
    if (::read(fd_, &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v))) return -1;
    return static_cast<std::int64_t>(v);
}

} // namespace bench
