// SPDX-License-Identifier: MIT
// rawring-loop-bench: what rawring::loop costs per operation over the bare ring (nop, pipe
// ping-pong), a thread-to-thread MSG_RING round trip between two loops against an eventfd +
// std::mutex queue baseline, and accepts from a listener with connections waiting, with and without
// IORING_ACCEPT_POLL_FIRST. See docs/loop-performance.md for the method and the numbers.
//
// Two modes:
//  - default: each selected side (--only, else both, one after the other) runs --ops operations
//    after a warm-up and prints ns per op. This is what tools/loop-bench-instructions.py runs under
//    callgrind (one side, two op counts, the difference).
//  - --time: both sides live in this process and take turns in short chunks (~30 ms each, pinned to
//    one CPU, CPU time), in A B / B A order; it prints the median of the paired ratios and their
//    interquartile range.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rawring/loop.hpp>
#include <rawring/rawring.hpp>

namespace {

namespace abi = rawring::abi;
using rawring::loop;
using rawring::task;
using cqe_t = abi::io_uring_cqe;

constexpr unsigned msg_size = 64;

const char* const usage_text =
    "usage: rawring-loop-bench WORKLOAD [options]\n"
    "\n"
    "What rawring::loop costs over the bare rawring::ring, and a MSG_RING round trip between two\n"
    "loops on two threads against an eventfd + std::mutex queue baseline.\n"
    "\n"
    "workloads:\n"
    "  nop       NOPs queued `--batch` at a time, then one run (loop) / one submit_and_wait (ring)\n"
    "  pipe      a 64-byte write and read of one pipe, queued together, one enter per round\n"
    "  msgring   a value sent to a second thread and sent back: loop = two loops (spawn_thread)\n"
    "            passing msg_value; baseline = two threads, a std::mutex-protected queue each,\n"
    "            eventfd wake-ups\n"
    "  accept    `--backlog` connections made, then accepted by a chain of single accepts (each\n"
    "            callback queues the next), then closed: loop = loop_options' automatic\n"
    "            accept_poll_first (IORING_ACCEPT_POLL_FIRST where the kernel takes it); baseline =\n"
    "            the same loop with it forbidden. Timed: the accepts alone (not the connects)\n"
    "\n"
    "options:\n"
    "  --batch N       nop batch size (default 1)\n"
    "  --backlog N     accept: connections waiting before each chain of accepts (default 16)\n"
    "  --ops N         operations (nop: NOPs, pipe: rounds, msgring: round trips, accept: accepts)\n"
    "                  in the default mode (default 100000; 20000 for msgring and accept)\n"
    "  --only SIDE     loop | ring | baseline (ring for nop/pipe, baseline for msgring/accept)\n"
    "  --time          same-run comparison: the two sides alternate in chunks, pinned to one CPU,\n"
    "                  timed with CPU time (thread CPU time; process CPU time for msgring, which\n"
    "                  has two threads); prints medians and the median paired ratio with its IQR\n"
    "  --pairs N       chunk pairs in --time mode (default 21)\n"
    "  --chunk-ms N    target length of one chunk in --time mode (default 30)\n"
    "  --cpu N         the CPU to pin to (default: the first one allowed; -1: no pinning).\n"
    "                  msgring pins both of its threads to this one CPU\n"
    "  --taskrun MODE  the loops' setup: auto (default: loop::init's choice), coop (forbid\n"
    "                  DEFER_TASKRUN) or plain (forbid both); the bare ring copies the flags\n"
    "  --post          msgring: the loops send with post_value (fire-and-forget, CQE_SKIP_SUCCESS)\n"
    "                  instead of msg_value (a task and a send CQE per message)\n"
    "  --help          this text\n"
    "\n"
    "The loop and the ring use the same setup flags (the ones loop::init picked), no registered\n"
    "ring fd. Exit status 0, or 1 when a side failed (the error is printed).\n";

struct options {
    std::string workload;
    unsigned batch = 1;
    unsigned backlog = 16;
    std::uint64_t ops = 0;
    std::string only;
    bool time = false;
    unsigned pairs = 21;
    double chunk_ms = 30;
    int cpu = -2;  // -2: first allowed; -1: none
};

/// --taskrun: the loops' task-running mode (default: what loop::init picks, DEFER_TASKRUN here).
rawring::loop_options g_loop_options{};

double clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

int pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu == -2) {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return -errno;
        cpu = -1;
        for (int i = 0; i < CPU_SETSIZE; ++i)
            if (CPU_ISSET(i, &allowed)) {
                cpu = i;
                break;
            }
        if (cpu < 0) return -EINVAL;
    }
    if (cpu < 0) return -1;
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) return -errno;
    return cpu;
}

// ---- one side of a comparison -------------------------------------------------------------------

/// A workload side: `run(n)` does n operations (0 or -errno). Set up once, run many times.
struct side {
    virtual ~side() = default;
    virtual const char* name() const = 0;
    virtual int run(std::uint64_t n) = 0;
    /// A side whose run() does more than the operations it counts (accept: the connects and
    /// closes around them) times the operations itself: the last run()'s CPU (thread) and wall
    /// ns spent on them. Other sides are timed around run().
    virtual bool own_time(double* /*cpu_ns*/, double* /*wall_ns*/) const { return false; }
};

/// The setup flags loop::init picks here, so the bare ring runs with the same ones.
std::uint32_t loop_flags(unsigned entries, int* error) {
    loop l;
    *error = l.init(entries, g_loop_options);
    const std::uint32_t f = l.setup_flags();
    (void)l.exit();
    return f;
}

// ---- nop ------------------------------------------------------------------------------------------

struct loop_nop final : side {
    loop l;
    unsigned batch;
    std::uint64_t done = 0;
    int bad = 0;
    explicit loop_nop(unsigned b) : batch(b) {}
    int init(unsigned entries) { return l.init(entries, g_loop_options); }
    const char* name() const override { return "loop"; }
    static void on_nop(loop&, task& t, const cqe_t& c) {
        auto* self = static_cast<loop_nop*>(t.user());
        if (c.res != 0) self->bad = c.res < 0 ? c.res : -EIO;
        ++self->done;
    }
    int run(std::uint64_t n) override {
        const rawring::context ctx{on_nop, this};
        const std::uint64_t rounds = n / batch;
        for (std::uint64_t r = 0; r < rounds; ++r) {
            for (unsigned i = 0; i < batch; ++i)
                if (l.noop(ctx) == nullptr) return -EBUSY;
            if (const int ret = l.run(rawring::run_mode::until_done); ret < 0) return ret;
        }
        if (bad != 0) return bad;
        return l.in_flight() == 0 ? 0 : -EIO;
    }
};

struct ring_nop final : side {
    rawring::ring r;
    unsigned batch;
    std::uint64_t done = 0;
    explicit ring_nop(unsigned b) : batch(b) {}
    int init(unsigned entries, std::uint32_t flags) { return r.init(entries, flags); }
    const char* name() const override { return "ring"; }
    int run(std::uint64_t n) override {
        const std::uint64_t rounds = n / batch;
        for (std::uint64_t k = 0; k < rounds; ++k) {
            for (unsigned i = 0; i < batch; ++i) {
                abi::io_uring_sqe* sqe = r.get_sqe();
                rawring::prep_nop(sqe);
                sqe->user_data = i;
            }
            if (const int ret = r.submit_and_wait(batch); ret < 0) return ret;
            int bad = 0;
            const unsigned got = r.for_each_cqe([&](const cqe_t& c) {
                if (c.res != 0) bad = c.res < 0 ? c.res : -EIO;
            });
            r.cq_advance(got);
            if (bad != 0) return bad;
            if (got != batch) return -EIO;
            done += got;
        }
        return 0;
    }
};

// ---- pipe -----------------------------------------------------------------------------------------
// One round: a 64-byte write into the pipe and a read of it, queued together (the read is issued
// after the write in the same enter and finds the bytes), one enter. Neither side links the two:
// the loop has no links but deadlines, so the bare ring does the same kernel work.

struct pipe_fds {
    int fd[2] = {-1, -1};
    int open() { return ::pipe2(fd, O_CLOEXEC) == 0 ? 0 : -errno; }
    ~pipe_fds() {
        if (fd[0] >= 0) ::close(fd[0]);
        if (fd[1] >= 0) ::close(fd[1]);
    }
};

struct loop_pipe final : side {
    loop l;
    pipe_fds p;
    char out[msg_size];
    char in[msg_size];
    int bad = 0;
    loop_pipe() { std::memset(out, 'p', sizeof(out)); }
    int init(unsigned entries) {
        if (const int ret = p.open(); ret < 0) return ret;
        return l.init(entries, g_loop_options);
    }
    const char* name() const override { return "loop"; }
    static void on_io(loop&, task& t, const cqe_t& c) {
        if (c.res != static_cast<int>(msg_size)) static_cast<loop_pipe*>(t.user())->bad = c.res < 0 ? c.res : -EIO;
    }
    int run(std::uint64_t n) override {
        const rawring::context ctx{on_io, this};
        for (std::uint64_t k = 0; k < n; ++k) {
            if (l.write(p.fd[1], out, msg_size, 0, ctx) == nullptr) return -EBUSY;
            if (l.read(p.fd[0], in, msg_size, 0, ctx) == nullptr) return -EBUSY;
            if (const int ret = l.run(rawring::run_mode::until_done); ret < 0) return ret;
            if (bad != 0) return bad;
        }
        return 0;
    }
};

struct ring_pipe final : side {
    rawring::ring r;
    pipe_fds p;
    char out[msg_size];
    char in[msg_size];
    ring_pipe() { std::memset(out, 'p', sizeof(out)); }
    int init(unsigned entries, std::uint32_t flags) {
        if (const int ret = p.open(); ret < 0) return ret;
        return r.init(entries, flags);
    }
    const char* name() const override { return "ring"; }
    int run(std::uint64_t n) override {
        for (std::uint64_t k = 0; k < n; ++k) {
            abi::io_uring_sqe* w = r.get_sqe();
            rawring::prep_write(w, p.fd[1], out, msg_size, 0);
            w->user_data = 1;
            abi::io_uring_sqe* rd = r.get_sqe();
            rawring::prep_read(rd, p.fd[0], in, msg_size, 0);
            rd->user_data = 2;
            if (const int ret = r.submit_and_wait(2); ret < 0) return ret;
            int bad = 0;
            unsigned got = 0;
            while (got < 2) {
                const unsigned m = r.for_each_cqe([&](const cqe_t& c) {
                    if (c.res != static_cast<int>(msg_size)) bad = c.res < 0 ? c.res : -EIO;
                });
                r.cq_advance(m);
                got += m;
                if (got < 2) {
                    if (const int ret = r.submit_and_wait(2 - got); ret < 0) return ret;
                }
            }
            if (bad != 0) return bad;
        }
        return 0;
    }
};

// ---- msgring --------------------------------------------------------------------------------------
// Loop side: the main thread's loop sends a value to a child loop (spawn_thread(1)); the child's
// on_message sends it back; the main loop's on_message sends the next one, and stops the loop after
// n round trips. Everything runs in callbacks, as a loop program would.

/// --post: the loops send with post_value (fire-and-forget, no send CQE) instead of msg_value.
bool g_post = false;

/// One value to `to`, by the --post choice. 0 or -errno.
int send_value(loop& from, loop& to, std::uint64_t data, std::int32_t value) {
    if (g_post) return from.post_value(to, data, value);
    return from.msg_value(to, data, value, {}) != nullptr ? 0 : -EBUSY;
}

struct loop_msg final : side {
    loop parent;
    loop* child = nullptr;
    std::uint64_t left = 0;
    std::uint64_t expect = 0;
    int bad = 0;
    const char* name() const override { return "loop"; }

    static void child_msg(loop& here, const rawring::message& m, void* user) {
        auto* self = static_cast<loop_msg*>(user);
        if (const int r = send_value(here, self->parent, m.data, m.res); r < 0) self->bad = r;
    }
    static void child_start(loop& c, unsigned, void* user) { c.on_message(child_msg, user); }
    static void parent_msg(loop& here, const rawring::message& m, void* user) {
        auto* self = static_cast<loop_msg*>(user);
        if (m.data != self->expect) self->bad = -EIO;
        if (--self->left == 0) {
            here.stop();
            return;
        }
        ++self->expect;
        if (const int r = send_value(here, *self->child, self->expect, 0); r < 0) self->bad = r;
    }
    int init() {
        if (const int ret = parent.init(64, g_loop_options); ret < 0) return ret;
        rawring::thread_options to;
        to.options = g_loop_options;
        to.on_start = child_start;
        to.user = this;
        if (const int ret = parent.spawn_thread(1, to); ret < 0) return ret;
        child = &parent.thread_loop(0);
        parent.on_message(parent_msg, this);
        return 0;
    }
    int run(std::uint64_t n) override {
        if (n == 0) return 0;
        left = n;
        ++expect;
        if (const int r = send_value(parent, *child, expect, 0); r < 0) return r;
        while (left != 0 && bad == 0)
            if (const int ret = parent.run(rawring::run_mode::forever); ret < 0) return ret;
        return bad;
    }
};

/// A std::mutex-protected queue of values, fixed capacity (no allocation on the way), with an
/// eventfd that wakes its consumer.
struct mutex_queue {
    static constexpr unsigned cap = 256;
    std::mutex m;
    std::uint64_t v[cap];
    unsigned head = 0, tail = 0;
    int efd = -1;
    bool push(std::uint64_t x) {
        {
            std::lock_guard<std::mutex> g(m);
            if (tail - head == cap) return false;
            v[tail++ % cap] = x;
        }
        const std::uint64_t one = 1;
        return ::write(efd, &one, sizeof(one)) == sizeof(one);
    }
    /// Blocks until the queue has something, then takes everything into `out` (returns the count).
    unsigned pop_all(std::uint64_t* out) {
        for (;;) {
            std::uint64_t cnt;
            if (::read(efd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
                if (errno == EINTR) continue;
                return 0;
            }
            std::lock_guard<std::mutex> g(m);
            unsigned n = 0;
            while (head != tail) out[n++] = v[head++ % cap];
            if (n != 0) return n;
        }
    }
};

struct baseline_msg final : side {
    mutex_queue to_peer, to_main;
    std::thread peer;
    std::uint64_t expect = 0;
    static constexpr std::uint64_t quit = ~std::uint64_t{0};
    const char* name() const override { return "baseline"; }
    int init() {
        to_peer.efd = ::eventfd(0, EFD_CLOEXEC);
        to_main.efd = ::eventfd(0, EFD_CLOEXEC);
        if (to_peer.efd < 0 || to_main.efd < 0) return -errno;
        peer = std::thread([this] {
            std::uint64_t got[mutex_queue::cap];
            for (;;) {
                const unsigned n = to_peer.pop_all(got);
                if (n == 0) return;
                for (unsigned i = 0; i < n; ++i) {
                    if (got[i] == quit) return;
                    (void)to_main.push(got[i]);
                }
            }
        });
        return 0;
    }
    ~baseline_msg() override {
        if (peer.joinable()) {
            (void)to_peer.push(quit);
            peer.join();
        }
        if (to_peer.efd >= 0) ::close(to_peer.efd);
        if (to_main.efd >= 0) ::close(to_main.efd);
    }
    int run(std::uint64_t n) override {
        std::uint64_t got[mutex_queue::cap];
        for (std::uint64_t k = 0; k < n; ++k) {
            ++expect;
            if (!to_peer.push(expect)) return -EIO;
            const unsigned m = to_main.pop_all(got);
            if (m != 1 || got[0] != expect) return -EIO;
        }
        return 0;
    }
};

// ---- drivers --------------------------------------------------------------------------------------

double quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = lo + 1 < v.size() ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

/// The default mode: each side once, --ops operations after a warm-up.
// ---- accept --------------------------------------------------------------------------------------

/// A listener on 127.0.0.1 and a loop that accepts from it: each round makes `backlog` client
/// connections (blocking connects: each is in the accept queue when its connect returns), then
/// one accept whose callback queues the next until all are taken, then closes both ends (the
/// client with SO_LINGER 0, a reset, so that no TIME_WAIT piles up over a long run). Only the
/// accepts are timed (own_time): from the first accept's call to the end of the run.
struct loop_accept final : side {
    loop l;
    const char* label;
    unsigned backlog;
    int lfd = -1;
    sockaddr_in addr{};
    std::vector<int> clients, accepted;
    unsigned left = 0;
    int bad = 0;
    double cpu_ns = 0, wall_ns = 0;  // the last run()'s accepts
    loop_accept(const char* n, unsigned k) : label(n), backlog(k) {}
    ~loop_accept() override {
        if (lfd >= 0) ::close(lfd);
    }
    loop_accept(const loop_accept&) = delete;
    loop_accept& operator=(const loop_accept&) = delete;
    int init(rawring::setup_choice poll_first) {
        rawring::loop_options lo = g_loop_options;
        lo.accept_poll_first = poll_first;
        if (const int r = l.init(64, lo); r < 0) return r;
        lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0) return -errno;
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        if (::bind(lfd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
            ::listen(lfd, static_cast<int>(backlog)) != 0 ||
            ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            return -errno;
        clients.reserve(backlog);
        accepted.reserve(backlog);
        return 0;
    }
    const char* name() const override { return label; }
    static void on_accept(loop& lp, task& t, const cqe_t& c) {
        auto* self = static_cast<loop_accept*>(t.user());
        if (c.res < 0) {
            self->bad = c.res;
            return;
        }
        self->accepted.push_back(c.res);
        if (--self->left > 0 && lp.accept(self->lfd, nullptr, nullptr, SOCK_CLOEXEC, {on_accept, self}) == nullptr)
            self->bad = -EBUSY;
    }
    void close_all() {
        const linger reset{1, 0};
        for (const int c : clients) {
            (void)::setsockopt(c, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
            ::close(c);
        }
        for (const int a : accepted) ::close(a);
        clients.clear();
        accepted.clear();
    }
    bool own_time(double* cpu, double* wall) const override {
        *cpu = cpu_ns;
        *wall = wall_ns;
        return true;
    }
    int run(std::uint64_t n) override {
        cpu_ns = wall_ns = 0;
        for (std::uint64_t done = 0; done < n; done += backlog) {
            for (unsigned i = 0; i < backlog; ++i) {
                const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c < 0) return -errno;
                clients.push_back(c);
                if (::connect(c, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
                    const int e = -errno;
                    close_all();
                    return e;
                }
            }
            left = backlog;
            const double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC);
            if (l.accept(lfd, nullptr, nullptr, SOCK_CLOEXEC, {on_accept, this}) == nullptr) return -EBUSY;
            const int r = l.run(rawring::run_mode::until_done);
            cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
            wall_ns += clock_ns(CLOCK_MONOTONIC) - w0;
            const std::size_t got = accepted.size();
            close_all();
            if (r < 0) return r;
            if (bad != 0) return bad;
            if (got != backlog) return -EIO;
        }
        return 0;
    }
};

int run_plain(side* a, side* b, std::uint64_t ops, std::uint64_t warm, const char* unit, clockid_t cpu_clock) {
    int status = 0;
    for (side* s : {a, b}) {
        if (s == nullptr) continue;
        if (const int ret = s->run(warm); ret < 0) {
            std::fprintf(stderr, "%s: warm-up failed: %s\n", s->name(), std::strerror(-ret));
            status = 1;
            continue;
        }
        const double w0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(cpu_clock);
        const int ret = s->run(ops);
        double w1 = clock_ns(CLOCK_MONOTONIC), c1 = clock_ns(cpu_clock);
        if (double cpu = 0, wall = 0; s->own_time(&cpu, &wall)) {
            c1 = c0 + cpu;
            w1 = w0 + wall;
        }
        if (ret < 0) {
            std::fprintf(stderr, "%s: failed: %s\n", s->name(), std::strerror(-ret));
            status = 1;
            continue;
        }
        std::printf("%-8s %10.1f ns/%s wall  %10.1f ns/%s CPU  (%llu)\n", s->name(),
                    (w1 - w0) / static_cast<double>(ops), unit, (c1 - c0) / static_cast<double>(ops), unit,
                    static_cast<unsigned long long>(ops));
    }
    return status;
}

/// --time: a and b alternate (a b, b a, ...) in chunks of about chunk_ms each.
int run_timed(const std::string& label, side& a, side& b, const options& o, std::uint64_t granule,
              const char* unit, clockid_t cpu_clock) {
    auto timed = [&](side& s, std::uint64_t n, double* ns) -> int {
        const double c0 = clock_ns(cpu_clock);
        const int ret = s.run(n);
        double cpu = clock_ns(cpu_clock) - c0, wall = 0;
        (void)s.own_time(&cpu, &wall);
        *ns = cpu / static_cast<double>(n);
        return ret;
    };
    // Warm both, then size the chunk on side b (the reference) and a: the slower one sets it.
    double ns_a = 0, ns_b = 0;
    std::uint64_t n = granule * 16;
    for (;;) {
        if (const int ret = timed(a, n, &ns_a); ret < 0) {
            std::fprintf(stderr, "%s: %s failed: %s\n", label.c_str(), a.name(), std::strerror(-ret));
            return 1;
        }
        if (const int ret = timed(b, n, &ns_b); ret < 0) {
            std::fprintf(stderr, "%s: %s failed: %s\n", label.c_str(), b.name(), std::strerror(-ret));
            return 1;
        }
        if (std::max(ns_a, ns_b) * static_cast<double>(n) >= 5e6) break;
        n *= 4;
    }
    const double per = std::max(ns_a, ns_b);
    std::uint64_t chunk = static_cast<std::uint64_t>(o.chunk_ms * 1e6 / per);
    chunk = std::max<std::uint64_t>(granule, chunk / granule * granule);

    std::vector<double> va, vb, ratio;
    for (unsigned i = 0; i < o.pairs; ++i) {
        double x = 0, y = 0;
        int ra, rb;
        if (i % 2 == 0) {
            ra = timed(a, chunk, &x);
            rb = timed(b, chunk, &y);
        } else {
            rb = timed(b, chunk, &y);
            ra = timed(a, chunk, &x);
        }
        if (ra < 0 || rb < 0) {
            std::fprintf(stderr, "%s: a chunk failed: %s\n", label.c_str(), std::strerror(-(ra < 0 ? ra : rb)));
            return 1;
        }
        va.push_back(x);
        vb.push_back(y);
        ratio.push_back(x / y);
    }
    const double med = quantile(ratio, 0.5), q1 = quantile(ratio, 0.25), q3 = quantile(ratio, 0.75);
    const char* verdict = (q1 <= 1.0 && q3 >= 1.0) ? "within noise"
                          : med > 1.0              ? "slower"
                                                   : "faster";
    std::printf("%s: %s %.1f ns/%s, %s %.1f ns/%s (CPU-time medians); %s/%s median %.3f, IQR %.3f-%.3f "
                "(%u pairs of %llu %ss): %s %s\n",
                label.c_str(), a.name(), quantile(va, 0.5), unit, b.name(), quantile(vb, 0.5), unit, a.name(),
                b.name(), med, q1, q3, o.pairs, static_cast<unsigned long long>(chunk), unit, a.name(), verdict);
    return 0;
}

bool parse_u64(const char* s, std::uint64_t* out) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') return false;
    *out = v;
    return true;
}

int parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::uint64_t* out) {
            if (i + 1 >= argc || !parse_u64(argv[i + 1], out)) {
                std::fprintf(stderr, "rawring-loop-bench: %s needs a number\n", a.c_str());
                return false;
            }
            ++i;
            return true;
        };
        std::uint64_t v = 0;
        if (a == "--help" || a == "-h") {
            std::fputs(usage_text, stdout);
            return 0;
        } else if (a == "--batch") {
            if (!value(&v) || v == 0 || v > 4096) return 2;
            o.batch = static_cast<unsigned>(v);
        } else if (a == "--backlog") {
            if (!value(&v) || v == 0 || v > 1024) return 2;
            o.backlog = static_cast<unsigned>(v);
        } else if (a == "--ops") {
            if (!value(&v) || v == 0) return 2;
            o.ops = v;
        } else if (a == "--pairs") {
            if (!value(&v) || v == 0) return 2;
            o.pairs = static_cast<unsigned>(v);
        } else if (a == "--chunk-ms") {
            if (!value(&v) || v == 0) return 2;
            o.chunk_ms = static_cast<double>(v);
        } else if (a == "--cpu") {
            if (i + 1 >= argc) return 2;
            o.cpu = std::atoi(argv[++i]);
            if (o.cpu < -1) return 2;
        } else if (a == "--only") {
            if (i + 1 >= argc) return 2;
            o.only = argv[++i];
            if (o.only != "loop" && o.only != "ring" && o.only != "baseline") {
                std::fprintf(stderr, "rawring-loop-bench: --only loop|ring|baseline\n");
                return 2;
            }
        } else if (a == "--post") {
            g_post = true;
        } else if (a == "--taskrun") {
            if (i + 1 >= argc) return 2;
            const std::string m = argv[++i];
            if (m == "coop") {
                g_loop_options.defer_taskrun = rawring::setup_choice::forbid;
            } else if (m == "plain") {
                g_loop_options.defer_taskrun = rawring::setup_choice::forbid;
                g_loop_options.coop_taskrun = rawring::setup_choice::forbid;
            } else if (m != "auto") {
                std::fprintf(stderr, "rawring-loop-bench: --taskrun auto|coop|plain\n");
                return 2;
            }
        } else if (a == "--time") {
            o.time = true;
        } else if (!a.empty() && a[0] != '-' && o.workload.empty()) {
            o.workload = a;
        } else {
            std::fprintf(stderr, "rawring-loop-bench: unknown argument %s (see --help)\n", a.c_str());
            return 2;
        }
    }
    if (o.workload != "nop" && o.workload != "pipe" && o.workload != "msgring" && o.workload != "accept") {
        std::fputs(usage_text, stderr);
        return 2;
    }
    return -1;
}

int fail(const char* what, int err) {
    std::fprintf(stderr, "rawring-loop-bench: %s: %s\n", what, std::strerror(-err));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (const int r = parse(argc, argv, o); r >= 0) return r;
    const bool msg = o.workload == "msgring" || o.workload == "accept";
    if (!o.only.empty() && o.only != "loop" && o.only != (msg ? "baseline" : "ring")) {
        std::fprintf(stderr, "rawring-loop-bench: --only %s does not apply to %s\n", o.only.c_str(),
                     o.workload.c_str());
        return 2;
    }
    const bool want_loop = o.only.empty() || o.only == "loop";
    const bool want_other = o.only.empty() || o.only != "loop";
    if (o.time && !o.only.empty()) {
        std::fprintf(stderr, "rawring-loop-bench: --time compares both sides; drop --only\n");
        return 2;
    }
    // Pin before any thread exists: msgring's second threads inherit the CPU.
    if (o.time || o.cpu >= 0) {
        const int cpu = pin(o.cpu);
        if (cpu < -1) return fail("sched_setaffinity", cpu);
        if (o.time && cpu >= 0) std::printf("pinned to CPU %d\n", cpu);
    }

    if (o.workload == "nop" || o.workload == "pipe") {
        const bool nop = o.workload == "nop";
        const unsigned entries = nop ? std::max(8u, o.batch) : 8u;
        int err = 0;
        const std::uint32_t flags = loop_flags(entries, &err);
        if (err < 0) return fail("loop::init", err);
        loop_nop ln(o.batch);
        ring_nop rn(o.batch);
        loop_pipe lp;
        ring_pipe rp;
        side* a = nullptr;
        side* b = nullptr;
        if (want_loop) {
            err = nop ? ln.init(entries) : lp.init(entries);
            if (err < 0) return fail("loop::init", err);
            a = nop ? static_cast<side*>(&ln) : &lp;
        }
        if (want_other) {
            err = nop ? rn.init(entries, flags) : rp.init(entries, flags);
            if (err < 0) return fail("ring::init", err);
            b = nop ? static_cast<side*>(&rn) : &rp;
        }
        char label[64];
        if (nop) std::snprintf(label, sizeof(label), "nop batch %u", o.batch);
        else std::snprintf(label, sizeof(label), "pipe");
        if (o.time) return run_timed(label, *a, *b, o, nop ? o.batch : 1, nop ? "op" : "round", CLOCK_THREAD_CPUTIME_ID);
        std::printf("%s, setup flags 0x%x\n", label, flags);
        const std::uint64_t ops = o.ops != 0 ? o.ops : 100000;
        const std::uint64_t warm = nop ? 64ull * o.batch : 64;
        return run_plain(a, b, std::max<std::uint64_t>(ops / (nop ? o.batch : 1), 1) * (nop ? o.batch : 1),
                         warm, nop ? "op" : "round", CLOCK_THREAD_CPUTIME_ID);
    }

    if (o.workload == "accept") {
        loop_accept la("loop", o.backlog);
        loop_accept lb("baseline", o.backlog);
        side* a = nullptr;
        side* b = nullptr;
        if (want_loop) {
            if (const int err = la.init(rawring::setup_choice::automatic); err < 0) return fail("accept (automatic)", err);
            a = &la;
        }
        if (want_other) {
            if (const int err = lb.init(rawring::setup_choice::forbid); err < 0) return fail("accept (forbid)", err);
            b = &lb;
        }
        char label[96];
        std::snprintf(label, sizeof(label), "accept, %u waiting", o.backlog);
        if (o.time) return run_timed(label, *a, *b, o, o.backlog, "accept", CLOCK_THREAD_CPUTIME_ID);
        std::printf("%s\n", label);
        const std::uint64_t ops = std::max<std::uint64_t>((o.ops != 0 ? o.ops : 20000) / o.backlog, 1) * o.backlog;
        return run_plain(a, b, ops, 4ull * o.backlog, "accept", CLOCK_THREAD_CPUTIME_ID);
    }

    // msgring
    loop_msg lm;
    baseline_msg bm;
    side* a = nullptr;
    side* b = nullptr;
    if (want_loop) {
        if (const int err = lm.init(); err < 0) return fail("loop (spawn_thread)", err);
        a = &lm;
    }
    if (want_other) {
        if (const int err = bm.init(); err < 0) return fail("baseline", err);
        b = &bm;
    }
    if (o.time) return run_timed("msgring round trip", *a, *b, o, 1, "rt", CLOCK_PROCESS_CPUTIME_ID);
    std::printf("msgring round trip, loop setup flags 0x%x\n", want_loop ? lm.parent.setup_flags() : 0u);
    return run_plain(a, b, o.ops != 0 ? o.ops : 20000, 256, "rt", CLOCK_PROCESS_CPUTIME_ID);
}
