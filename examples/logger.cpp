// SPDX-License-Identifier: MIT
// logger: log records written with writev(2), each record gathered from its pieces with no
// copy into a line buffer (rawring::co over rawring::loop).
//
// Usage: logger (no arguments; a temporary log file, checked and removed)
//
// What it shows: IORING_OP_WRITEV. A record is five pieces that live in different places (the
// source's name, a level string, a sequence number formatted on the coroutine's frame, the
// message, "\n"); an iovec array points at them and one writev writes the line:
//     iovec iov[5] = {{name}, {level}, {number}, {message}, {"\n"}};
//     co_await co::writev(l, fd, iov, 5);
// 1. Three coroutines log at once, each record one writev to a file opened with O_APPEND
//    (co::open): every writev lands whole at the end of the file, so lines of different
//    coroutines interleave but are never torn, and each coroutine's lines stay in order.
// 2. Batching: 40 records gathered into one iovec array of 200 entries, one writev.
// The example reads the file back and checks every line.
#include "coro_common.hpp"

#include <sys/uio.h>

#include <string>
#include <vector>

namespace {

namespace co = rawring::co;
using example::fail;

constexpr unsigned workers = 3;
constexpr unsigned records = 50;  // per worker
constexpr unsigned batched = 40;
constexpr unsigned pieces = 5;

const char* const names[workers + 1] = {"worker-a ", "worker-b ", "worker-c ", "batch    "};
const char* const levels[3] = {"INFO  ", "WARN  ", "DEBUG "};
const char* const messages[4] = {": opened the input\n", ": step done\n", ": retrying once\n", ": flushed\n"};

/// The pieces of record `n` of source `who`, in `iov` (the number goes into `num`).
void record(unsigned who, unsigned n, char (&num)[16], iovec* iov) {
    const int len = std::snprintf(num, sizeof num, "#%04u", n);
    const char* msg = messages[n % 4];
    const char* level = levels[n % 3];
    iov[0] = {const_cast<char*>(names[who]), std::strlen(names[who])};
    iov[1] = {const_cast<char*>(level), std::strlen(level)};
    iov[2] = {num, static_cast<std::size_t>(len)};
    // The message's ": ..." and its "\n" as two pieces.
    iov[3] = {const_cast<char*>(msg), std::strlen(msg) - 1};
    iov[4] = {const_cast<char*>("\n"), 1};
}

/// The line record `n` of `who` must be.
std::string expected_line(unsigned who, unsigned n) {
    char num[16];
    iovec iov[pieces];
    record(who, n, num, iov);
    std::string s;
    for (const iovec& v : iov) s.append(static_cast<const char*>(v.iov_base), v.iov_len);
    return s;
}

/// Logs `records` records, each one writev: 0 or -errno.
co::task<int> worker(rawring::loop& l, int fd, unsigned who) {
    for (unsigned n = 0; n < records; ++n) {
        char num[16];
        iovec iov[pieces];  // on the frame: valid until the writev's CQE
        record(who, n, num, iov);
        std::size_t len = 0;
        for (const iovec& v : iov) len += v.iov_len;
        const int w = co_await co::writev(l, fd, iov, pieces);
        if (w < 0) co_return w;
        if (static_cast<std::size_t>(w) != len) co_return -EIO;  // a short write would tear the line
    }
    co_return 0;
}

/// `batched` records in a single writev of batched * pieces iovecs: 0 or -errno.
co::task<int> batch(rawring::loop& l, int fd) {
    char nums[batched][16];
    iovec iov[batched * pieces];
    std::size_t len = 0;
    for (unsigned n = 0; n < batched; ++n) record(workers, n, nums[n], iov + n * pieces);
    for (const iovec& v : iov) len += v.iov_len;
    const int w = co_await co::writev(l, fd, iov, batched * pieces);
    if (w < 0) co_return w;
    co_return static_cast<std::size_t>(w) == len ? 0 : -EIO;
}

co::task<int> run_log(rawring::loop& l, const char* path) {
    const int fd = co_await co::open(l, path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) co_return fd;
    auto [a, b, c] = co_await co::when_all(worker(l, fd, 0), worker(l, fd, 1), worker(l, fd, 2));
    const int d = co_await batch(l, fd);
    const int closed = co_await co::close(l, fd);
    for (int r : {a, b, c, d, closed})
        if (r < 0) co_return r;
    co_return 0;
}

/// Every line of the log is the next line of its source, and every source wrote them all.
bool check_log(int fd) {
    std::string text;
    char buf[65536];
    for (off_t at = 0;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, at);
        if (n < 0) return false;
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        at += n;
    }
    unsigned next[workers + 1] = {};
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) return false;
        const std::string line = text.substr(pos, end + 1 - pos);
        unsigned who = 0;
        while (who <= workers && line.rfind(names[who], 0) != 0) ++who;
        if (who > workers || line != expected_line(who, next[who])) return false;
        ++next[who];
        pos = end + 1;
    }
    for (unsigned w = 0; w < workers; ++w)
        if (next[w] != records) return false;
    return next[workers] == batched;
}

} // namespace

int main(int argc, char**) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: logger\n");
        return 2;
    }
    example::temp_file log;
    if (int ret = log.create("logger"); ret < 0) return fail("logger", "temp file", ret);
    rawring::loop l;
    if (int ret = example::init_loop(l, 16); ret != 0) return ret;
    const int r = example::run_bounded(l, run_log(l, log.path.c_str()));
    if (r < 0) return fail("logger", "logging", r);
    if (!check_log(log.fd)) return fail("logger", "the log has a torn, missing or misplaced line");
    std::printf("logger: %u coroutines logged %u records at once, each one writev of %u iovecs (O_APPEND): no "
                "line torn, each coroutine's lines in order\n",
                workers, workers * records, pieces);
    std::printf("logger: then %u records in a single writev of %u iovecs\n", batched, batched * pieces);
    return 0;
}
