// SPDX-License-Identifier: MIT
// rawring::loop: every operation on the kernel and on the mock io_uring, deadlines, cancellation,
// run modes, threads over MSG_RING, shutdown, and no heap allocation after init.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common.hpp"
#include "loop_util.hpp"
#include "count_new.hpp"
#include "net.hpp"
#include "ops_util.hpp"
#include "rawring/inject.hpp"
#include "rawring/loop.hpp"
#include "rawring/mock.hpp"
#include "rawring/register.hpp"

// ---- counting allocations -------------------------------------------------------------------------
// Every operator new in this executable is counted (count_new.hpp; the library's own allocations go through it
// too: rawring-loop allocates only with new), and so, except under a sanitizer, is every malloc,
// calloc and realloc: this executable defines them, forwarding to glibc's own entry points, and
// so replaces them for the whole process (glibc supports replacing malloc that way). Under ASan
// and TSan the sanitizer owns malloc and nothing is defined here: only operator new is counted.
// Counting stays on all the time; a case reads the counts before and after the part it checks.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RAWRING_TEST_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define RAWRING_TEST_SANITIZER 1
#endif
#endif
#if !defined(RAWRING_TEST_SANITIZER) && defined(__GLIBC__)
#define RAWRING_TEST_COUNT_MALLOC 1
#endif

namespace {
std::atomic<unsigned long> g_mallocs{0};      // malloc, calloc, realloc (0 where not counted)
}

#ifdef RAWRING_TEST_COUNT_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);  // NOLINT: glibc's exported entry points
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* malloc(std::size_t n) {
    g_mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
    g_mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
    g_mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
#endif


using namespace rawring_test;
namespace abi = rawring::abi;
using rawring::context;
using rawring::loop;
using rawring::loop_op;
using rawring::loop_options;
using rawring::run_mode;
using rawring::setup_choice;
using rawring::task;
using cqe_t = rawring::abi::io_uring_cqe;

namespace {

constexpr std::uint64_t ms_ns = 1'000'000;
constexpr int ecanceled = -ECANCELED;

/// What a recording callback saw.
struct seen {
    int calls = 0;
    int res = -1000000;  // no errno: a check of res fails if the callback never ran
    std::uint32_t flags = 0;
    bool timed_out = false;
    std::vector<int> all;  // every res (reserved up front where allocations are counted)
};

void record(loop&, task& t, const cqe_t& c) {
    auto* s = static_cast<seen*>(t.user());
    ++s->calls;
    s->res = c.res;
    s->flags = c.flags;
    s->timed_out = t.timed_out();
    s->all.push_back(c.res);
}

context rec(seen& s, std::uint64_t deadline_ns = 0) { return {record, &s, 0, deadline_ns}; }


/// Runs until nothing is in flight, bounded by `seconds` (so a lost completion fails the case
/// instead of hanging the suite). Returns whether everything completed.
bool drain(loop& l, unsigned seconds = 30) {
    const int r = l.run_for(std::uint64_t{seconds} * 1000 * ms_ns, true);
    REQUIRE(r >= 0);
    return l.in_flight() == 0;
}

bool op_ok(abi::io_uring_op op) { return rawring_test::ops::op_supported(op); }

std::string str(const void* p, std::size_t n) { return std::string(static_cast<const char*>(p), n); }

/// The pending-list workload (see the two cases that run it): with every io_uring_enter
/// failing (-EAGAIN, -EBUSY) or stopping short while operations are queued, a 4-entry SQ cannot
/// make room even after a submit, so tasks wait in the loop's pending list; then, with faults
/// still coming now and then, everything runs. Each operation completes exactly once.
void pending_list_workload(loop& l, rawring::inject::injector& inj) {
    constexpr unsigned plain = 240, with_deadline = 40;
    struct state {
        std::vector<int> count;      // completions per tag
        std::vector<unsigned> order; // tags of the plain NOPs, in callback order
        int bad = 0;
    } s;
    s.count.assign(plain + with_deadline, 0);
    s.order.reserve(plain);
    auto on_nop = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<state*>(t.user());
        if (t.tag() >= p->count.size() || c.res != 0 || t.timed_out()) ++p->bad;
        else ++p->count[t.tag()];
        if (t.tag() < plain) p->order.push_back(t.tag());
    };
    pipe_pair a, b;
    char rbuf[4] = {};
    seen reads_a, reads_b, cancel_one, cancel_by_fd, wr, rd;
    inj.set_rate(1.0);
    task* first_read = nullptr;
    unsigned max_queued = 0;
    for (unsigned i = 0; i < plain + with_deadline; ++i) {
        const bool dl = i >= plain;
        REQUIRE(l.noop({on_nop, &s, i, dl ? 10'000 * ms_ns : 0}) != nullptr);
        if (i == plain / 2) {
            // Reads that never complete by themselves: one cancelled by task, two by fd.
            first_read = l.read(a.read_end, rbuf, 1, static_cast<std::uint64_t>(-1), rec(reads_a));
            REQUIRE(first_read != nullptr);
            REQUIRE(l.read(b.read_end, rbuf + 1, 1, static_cast<std::uint64_t>(-1), rec(reads_b)) != nullptr);
            REQUIRE(l.read(b.read_end, rbuf + 2, 1, static_cast<std::uint64_t>(-1), rec(reads_b)) != nullptr);
            // A write and a read of one pipe: the read sees the byte.
            REQUIRE(l.write(b.write_end, "w", 1, static_cast<std::uint64_t>(-1), rec(wr)) != nullptr);
        }
        if (l.queued() > max_queued) max_queued = l.queued();
    }
    CHECK(max_queued > 0);  // the pending list was used
    REQUIRE(l.cancel(first_read, rec(cancel_one)) != nullptr);
    REQUIRE(l.cancel_fd(b.read_end, rec(cancel_by_fd)) != nullptr);
    const rawring::inject::counts mid = inj.stats();
    CHECK(mid.eagain + mid.ebusy > 0);
    inj.set_rate(0.3);
    REQUIRE(drain(l, 60));
    inj.set_rate(0.0);
    CHECK(s.bad == 0);
    unsigned missing = 0, twice = 0;
    for (int n : s.count) {
        missing += n == 0;
        twice += n > 1;
    }
    CHECK(missing == 0);
    CHECK(twice == 0);
    CHECK(s.order.size() == plain);
    bool in_order = true;
    for (std::size_t i = 1; i < s.order.size(); ++i) in_order = in_order && s.order[i - 1] < s.order[i];
    CHECK(in_order);  // queued tasks keep their place: SQEs go out in the order of the calls
    CHECK(reads_a.calls == 1);
    CHECK(reads_a.res == ecanceled);
    CHECK(cancel_one.res == 0);
    CHECK(reads_b.calls == 2);
    // The write's byte may be read first. A read an io-wq worker was blocked in when the cancel
    // came ends with -EINTR instead (Linux 6.1 hands pipe reads to io-wq).
    for (int v : reads_b.all) CHECK((v == ecanceled || v == -EINTR || v == 1));
    CHECK(wr.res == 1);
    CHECK(cancel_by_fd.calls == 1);
    CHECK(cancel_by_fd.res >= 0);
    CHECK(l.queued() == 0);
    CHECK(l.in_flight() == 0);
}

/// post_value round trips between a loop and its child thread (both sides fire-and-forget),
/// then a post to a loop that is gone, which only post_failures() sees.
void post_value_round_trips(loop& parent, unsigned rounds) {
    REQUIRE(parent.spawn_thread(1, {64, {}, [](loop& child, unsigned, void* u) {
        child.on_message([](loop& here, const rawring::message& m, void* pu) {
            // Back to the parent, with the value doubled.
            if (here.post_value(*static_cast<loop*>(pu), m.data, m.res * 2) != 0) std::abort();
        }, u);
    }, &parent}) == 0);
    struct state { loop* child; unsigned back = 0, sent = 0, bad = 0, rounds = 0; } s{&parent.thread_loop(0)};
    s.rounds = rounds;
    parent.on_message([](loop& l, const rawring::message& m, void* u) {
        auto* p = static_cast<state*>(u);
        if (m.what != rawring::message::kind::value || m.data != p->back || m.res != static_cast<std::int32_t>(2 * p->back))
            ++p->bad;
        ++p->back;
        if (p->sent < p->rounds) {
            if (l.post_value(*p->child, p->sent, static_cast<std::int32_t>(p->sent)) != 0) ++p->bad;
            ++p->sent;
        }
    }, &s);
    REQUIRE(parent.post_value(*s.child, 0, 0) == 0);
    s.sent = 1;
    CHECK(parent.in_flight() == 0);  // no task
    const auto t0 = std::chrono::steady_clock::now();
    while (s.back < rounds && ms_since(t0) < 60000) (void)parent.run_for(20 * ms_ns);
    CHECK(s.back == rounds);
    CHECK(s.bad == 0);
    CHECK(parent.post_failures() == 0);
    // A post to a loop whose ring is gone fails in the kernel: counted, no callback, no task.
    loop gone;
    REQUIRE(gone.init(4) == 0);
    loop& target = gone;
    CHECK(gone.exit() == 0);
    REQUIRE(parent.post_value(target, 1, 1) == 0);
    const auto t1 = std::chrono::steady_clock::now();
    while (parent.post_failures() == 0 && ms_since(t1) < 20000) (void)parent.run_for(5 * ms_ns);
    CHECK(parent.post_failures() == 1);
    CHECK(parent.in_flight() == 0);
    CHECK(parent.exit() == 0);
    CHECK(parent.post_value(target, 1, 1) == -ECANCELED);  // torn down
}

/// post_send: three sends on a socketpair with no task and no CQE, their bytes in order at the
/// peer; then sends the kernel fails (the peer closed: -EPIPE; an fd that is not open: -EBADF),
/// which post_failures() counts and nothing else sees.
void post_send_checks(loop& l) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    static const char parts[3][6] = {"one, ", "two, ", "three"};  // outlive the loop's sends
    // The CQ's tail, which every CQE posted moves.
    auto cq_tail = [&l] { return std::atomic_ref<std::uint32_t>(*l.raw_ring().cq().ktail).load(); };
    const std::uint32_t tail0 = cq_tail();
    for (const auto& p : parts) REQUIRE(l.post_send(sv[0], p, 5, MSG_NOSIGNAL) == 0);
    CHECK(l.in_flight() == 0);  // no task
    REQUIRE(l.submit() == 3);
    // (The kernel sends at the submit; the mock when the loop next enters the ring.)
    char got[32] = {};
    std::size_t have = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (have < 15 && ms_since(t0) < 20000) {
        (void)l.run_for(1 * ms_ns);
        const ssize_t n = ::recv(sv[1], got + have, sizeof got - have, MSG_DONTWAIT);
        if (n > 0) have += static_cast<std::size_t>(n);
    }
    CHECK(str(got, have) == "one, two, three");
    REQUIRE(l.run(rawring::run_mode::once) >= 0);
    CHECK(cq_tail() == tail0);  // the successes posted no CQE
    CHECK(l.post_failures() == 0);
    ::close(sv[1]);
    REQUIRE(l.post_send(sv[0], parts[0], 5, MSG_NOSIGNAL) == 0);
    ::close(sv[0]);
    REQUIRE(l.post_send(sv[0], parts[1], 5, MSG_NOSIGNAL) == 0);  // (no fd of that number now)
    const auto t1 = std::chrono::steady_clock::now();
    while (l.post_failures() < 2 && ms_since(t1) < 20000) (void)l.run_for(5 * ms_ns);
    CHECK(l.post_failures() == 2);
    CHECK(l.in_flight() == 0);
}

/// write_fixed and read_fixed through one registered 8 KiB buffer, at places inside it, checked
/// in the file and in the buffer; a range past the buffer's end and a buffer index not
/// registered fail with -EFAULT, as the kernel answers, and move no byte.
void fixed_buffer_rw(loop& l, int fd) {
    alignas(4096) static char buf[8192];
    std::memset(buf, 0, sizeof buf);
    std::memcpy(buf + 100, "registered", 10);
    const iovec v{buf, sizeof buf};
    REQUIRE(rawring::register_buffers(l.raw_ring(), &v, 1) == 0);
    seen w, r, past_end, no_index;
    REQUIRE(l.write_fixed(fd, buf + 100, 10, 3, 0, rec(w)) != nullptr);
    REQUIRE(drain(l));
    CHECK(w.res == 10);
    char file[16] = {};
    CHECK(::pread(fd, file, sizeof file, 0) == 13);
    CHECK(str(file, 3) == std::string(3, '\0'));
    CHECK(str(file + 3, 10) == "registered");
    REQUIRE(l.read_fixed(fd, buf + 5000, 7, 6, 0, rec(r)) != nullptr);
    REQUIRE(drain(l));
    CHECK(r.res == 7);
    CHECK(str(buf + 5000, 7) == "istered");
    CHECK(buf[5007] == 0);
    REQUIRE(l.read_fixed(fd, buf + 8190, 10, 3, 0, rec(past_end)) != nullptr);
    REQUIRE(l.read_fixed(fd, buf, 10, 3, 1, rec(no_index)) != nullptr);
    REQUIRE(drain(l));
    CHECK(past_end.res == -EFAULT);
    CHECK(no_index.res == -EFAULT);
    CHECK(buf[8190] == 0);
    CHECK(buf[8191] == 0);
    CHECK(buf[0] == 0);
    CHECK(past_end.calls == 1);
    CHECK(no_index.calls == 1);
    CHECK(l.in_flight() == 0);
    CHECK(rawring::unregister_buffers(l.raw_ring()) == 0);
}


// ---- random work: every callback exactly once ------------------------------------------------------

namespace random_work {

// What the case issues. Each record is one operation; its callback checks the result against
// what the kernel may post for that operation, and may issue more work and cancel other work.
enum class kind : std::uint8_t { noop, timer_short, timer_long, write, read, poll, recv_ms, cancel_one, cancel_fd, msg_self, open, close };
constexpr unsigned pipes = 3;
constexpr unsigned max_records = 4096;
constexpr unsigned close_records = 1024;  // beyond max_records: closes of what the opens opened

struct world;
struct record {
    world* w = nullptr;
    kind k = kind::noop;
    unsigned pipe = 0;
    unsigned len = 0;
    bool has_deadline = false;
    bool timed_out = false;  // task::timed_out() at its last callback
    int finals = 0;      // callbacks without F_MORE (last ones)
    int after_final = 0; // callbacks after the last one
    int bad = 0;         // results that this operation cannot have
    int last_res = 0;
    rawring::task_ref ref;
    char buf[64] = {};
};

struct world {
    loop* l = nullptr;
    std::mt19937_64 rng;
    std::vector<record> recs;  // reserved: addresses stay put
    unsigned budget = 0;
    unsigned live = 0;
    int pfd[pipes][2] = {};
    int silent[2] = {-1, -1};  // a pipe nobody writes to: its reads end by deadline or cancel
    std::uint64_t written[pipes] = {}, in_write[pipes] = {}, read_bytes[pipes] = {};
    int sock[2] = {-1, -1};
    std::uint64_t sock_sent = 0, sock_received = 0;
    rawring::buffer_group* group = nullptr;  // null: no recv_ms
    bool recv_armed = false;
    unsigned long_timers = 0;
    unsigned msgs_received = 0, msgs_bad = 0;
    std::vector<int> to_close;  // opened through the loop, close not issued yet (or cancelled)
    unsigned opened = 0, closed = 0;
    std::string first_bad;  // the first wrong result, for the failure message

    unsigned pick(unsigned n) { return static_cast<unsigned>(rng() % n); }
    void note_bad(const record& r, int res) {
        if (first_bad.empty())
            first_bad = "kind " + std::to_string(static_cast<int>(r.k)) + " res " + std::to_string(res);
    }
    void issue_random();
    void issue(kind k);
    void close_opened();
};

void on_message(loop&, const rawring::message& m, void* user) {
    auto* w = static_cast<world*>(user);
    ++w->msgs_received;
    if (m.what != rawring::message::kind::value || m.data != 0x5eed || m.res != 77) ++w->msgs_bad;
}

bool result_ok(const record& r, const cqe_t& c, bool more) {
    const int res = c.res;
    switch (r.k) {
    case kind::noop: return res == 0 || res == ecanceled;
    case kind::timer_short:
    case kind::timer_long: return res == 0 || res == ecanceled;
    case kind::write: return res == static_cast<int>(r.len) || res == ecanceled;
    // -EINTR: a read that the kernel had handed to io-wq, where it blocked, and that a cancel
    // (or deadline) interrupted there (io_uring fails an interrupted read with -EINTR rather
    // than restart it). Linux 6.1 arms a request's poll only once: when the poll fires for
    // data that another read of the same pipe took first, the second -EAGAIN sends the read
    // to io-wq (seen in tools/kernel-test). Later kernels poll again.
    case kind::read: return (res > 0 && res <= static_cast<int>(r.len)) || res == ecanceled || res == -EINTR;
    case kind::poll: return (res > 0 && (res & POLLIN) != 0) || res == ecanceled;
    case kind::recv_ms:
        if (more) return res > 0;
        return res >= 0 || res == ecanceled || res == -ENOBUFS;
    // A cancel may itself be cancelled (by cancel_all, or while queued for SQ room).
    case kind::cancel_one: return res == 0 || res == -ENOENT || res == -EALREADY || res == ecanceled;
    case kind::cancel_fd: return res >= 0 || res == -ENOENT || res == ecanceled;
    case kind::msg_self: return res == 0 || res == ecanceled;
    case kind::open: return res >= 0 || res == ecanceled;
    case kind::close: return res == 0 || res == ecanceled;  // -EBADF would be a second close
    }
    return false;
}

void on_cqe(loop&, task& t, const cqe_t& c) {
    auto* r = static_cast<record*>(t.user());
    world& w = *r->w;
    const bool more = (c.flags & abi::IORING_CQE_F_MORE) != 0;
    if (r->finals != 0) ++r->after_final;
    if (!result_ok(*r, c, more)) {
        ++r->bad;
        w.note_bad(*r, c.res);
    }
    if (r->k == kind::read && c.res > 0) {
        if (r->pipe < pipes) {
            w.read_bytes[r->pipe] += static_cast<unsigned>(c.res);
        } else {
            ++r->bad;  // from the pipe nobody writes to
            w.note_bad(*r, c.res);
        }
    }
    if (r->k == kind::write) {
        w.in_write[r->pipe] -= r->len;
        if (c.res > 0) w.written[r->pipe] += static_cast<unsigned>(c.res);
    }
    if (r->k == kind::recv_ms && c.res > 0) {
        // The bytes are in the group's buffer; the loop gives it back when this returns.
        const std::span<std::byte> b = w.group->get(c);
        if (b.size() != static_cast<std::size_t>(c.res)) w.note_bad(*r, c.res);
        w.sock_received += static_cast<unsigned>(c.res);
    }
    if (r->k == kind::open && c.res >= 0) {
        ++w.opened;
        w.to_close.push_back(c.res);
    }
    if (r->k == kind::close) {
        if (c.res == 0) ++w.closed;
        else w.to_close.push_back(r->len);  // cancelled before it ran: the fd is still open
    }
    r->last_res = c.res;
    r->timed_out = t.timed_out();
    if (r->timed_out && !r->has_deadline) {
        ++r->bad;  // only a deadline's LINK_TIMEOUT times a task out
        w.note_bad(*r, c.res);
    }
    if (more) return;
    ++r->finals;
    --w.live;
    if (r->k == kind::recv_ms) w.recv_armed = false;
    if (r->k == kind::timer_long) --w.long_timers;
    w.close_opened();
    // The callback's own work: more operations, and sometimes a cancel of another.
    if (w.pick(2) == 0) w.issue_random();
    if (w.pick(4) == 0) w.issue(kind::cancel_one);
    if (w.sock[1] >= 0 && w.pick(3) == 0 && w.sock_sent - w.sock_received < 2048) {
        const char bytes[24] = "random work on a socket";
        const ssize_t s = ::send(w.sock[1], bytes, sizeof bytes, MSG_DONTWAIT);
        if (s > 0) w.sock_sent += static_cast<std::uint64_t>(s);
    }
}

void world::issue_random() {
    if (budget == 0) return;
    static constexpr kind weights[] = {kind::noop,  kind::timer_short, kind::timer_short, kind::timer_long,
                                       kind::write, kind::write,       kind::read,        kind::read,
                                       kind::poll,  kind::recv_ms,     kind::cancel_one,  kind::cancel_fd,
                                       kind::msg_self, kind::open};
    issue(weights[pick(sizeof weights / sizeof weights[0])]);
}

void world::issue(kind k) {
    if (budget == 0 || recs.size() >= max_records) return;
    if (k == kind::recv_ms && (group == nullptr || recv_armed)) k = kind::noop;
    if (k == kind::timer_long && long_timers >= 3) k = kind::timer_short;  // only cancels end them
    const unsigned p = pick(pipes);
    if (k == kind::write && written[p] + in_write[p] - read_bytes[p] > 8192) k = kind::read;
    recs.emplace_back();
    record& r = recs.back();
    r.w = this;
    r.k = k;
    r.pipe = p;
    context c{on_cqe, &r, static_cast<std::uint32_t>(k), 0};
    task* t = nullptr;
    switch (k) {
    case kind::noop: t = l->noop(c); break;
    case kind::timer_short: t = l->timer((1 + pick(3)) * ms_ns, c); break;
    case kind::timer_long:
        t = l->timer(3600ull * 1000 * ms_ns, c);
        if (t != nullptr) ++long_timers;
        break;
    case kind::write:
        r.len = 1 + pick(64);
        std::memset(r.buf, 'w', r.len);
        t = l->write(pfd[p][1], r.buf, r.len, ~std::uint64_t{0}, c);
        if (t != nullptr) in_write[p] += r.len;
        break;
    case kind::read: {
        r.len = 1 + pick(64);
        const bool quiet = pick(4) == 0;
        if (quiet || pick(2) == 0) {
            c.deadline_ns = (1 + pick(5)) * ms_ns;
            r.has_deadline = true;
        }
        if (quiet) r.pipe = pipes;
        t = l->read(quiet ? silent[0] : pfd[p][0], r.buf, r.len, ~std::uint64_t{0}, c);
        break;
    }
    case kind::poll: t = l->poll(pfd[p][0], POLLIN, c); break;
    case kind::recv_ms:
        t = l->recv_multishot(sock[0], *group, 0, c);
        if (t != nullptr) recv_armed = true;
        break;
    case kind::cancel_one: {
        // Mostly an operation still in flight (a few tries among the latest records), else
        // one that has ended, which the loop must answer with -ENOENT.
        const unsigned n = static_cast<unsigned>(recs.size()) - 1;  // not this record
        const record* target = n != 0 ? &recs[pick(n)] : &r;
        for (int tries = 0; tries < 8 && n != 0 && target->finals != 0; ++tries)
            target = &recs[n - 1 - pick(std::min(n, 64u))];
        t = l->cancel(target->ref, c);
        break;
    }
    case kind::cancel_fd: t = l->cancel_fd(pfd[p][0], c); break;
    case kind::msg_self:
        t = l->msg_value(*l, 0x5eed, 77, c);
        break;
    case kind::open: t = l->open("/dev/null", O_RDONLY | O_CLOEXEC, 0, c); break;
    case kind::close: break;  // close_opened's
    }
    if (t == nullptr) {
        // The pool is empty (or the op cannot be made): nothing was issued.
        recs.pop_back();
        return;
    }
    r.ref = rawring::task_ref(t);
    ++live;
    --budget;
}

void world::close_opened() {
    // Closes go out whatever the budget (an fd the loop opened is closed through it), as far as
    // the pool allows; what is left waits for the next callback or the driver.
    while (!to_close.empty() && recs.size() < max_records + close_records) {
        const int fd = to_close.back();
        recs.emplace_back();
        record& r = recs.back();
        r.w = this;
        r.k = kind::close;
        r.len = static_cast<unsigned>(fd);
        task* t = l->close(fd, {on_cqe, &r, static_cast<std::uint32_t>(kind::close), 0});
        if (t == nullptr) {
            recs.pop_back();
            return;
        }
        to_close.pop_back();
        r.ref = rawring::task_ref(t);
        ++live;
    }
}

/// Runs `ops` random operations on `l` (already set up), with a multishot recv over a buffer
/// group when `with_group`, and with that share of the io_uring system calls given a fault
/// (rawring::inject) when `fault_rate` is not 0, and checks everything the case promises.
void run_random(loop& l, std::uint64_t seed, unsigned ops, bool with_group, double fault_rate = 0) {
    INFO("seed " << seed);
    world w;
    w.l = &l;
    w.rng.seed(seed);
    w.recs.reserve(max_records + close_records + 1);  // records never move: the tasks point at them
    w.budget = ops;
    for (auto& p : w.pfd) REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(w.silent, O_CLOEXEC) == 0);
    l.on_message(on_message, &w);
    std::vector<std::byte> mem;
    rawring::buffer_group g;
    if (with_group) {
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w.sock) == 0);
        mem.resize(8 * 256);
        const int gr = g.init(l.raw_ring(), 5, std::span<std::byte>(mem), 256, 8);
        REQUIRE(gr == 0);
        w.group = &g;
    }
    // Should a REQUIRE end the case early, what is in flight ends before the world it points to.
    struct end_first {
        loop& l;
        world& w;
        ~end_first() {
            w.budget = 0;
            if (l.in_flight() != 0) (void)l.exit();
        }
    } guard{l, w};
    rawring::inject::options io;
    io.rate = fault_rate;
    io.seed = seed;
    io.mmap_errors = false;  // the buffer group is mapped already; nothing else maps
    rawring::inject::injector inj(io);
    if (fault_rate != 0) REQUIRE(inj.install() == 0);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) w.issue_random();
    while (w.budget > 0 && ms_since(t0) < 60000) {
        // Keep work coming should every chain have ended (in bursts, which empty the pool at
        // times), and feed the pipes from outside the loop too, so that reads and polls also
        // end while the pool is full of them.
        for (unsigned n = w.pick(16) == 0 ? 32 : w.pick(8); n-- > 0;) w.issue_random();
        const unsigned p = w.pick(pipes);
        if (w.pick(2) == 0 && w.written[p] + w.in_write[p] - w.read_bytes[p] < 8192) {
            const char bytes[16] = "from the test";
            const ssize_t n = ::write(w.pfd[p][1], bytes, 1 + w.pick(sizeof bytes));
            if (n > 0) w.written[p] += static_cast<std::uint64_t>(n);
        }
        w.close_opened();
        REQUIRE(l.run_for(ms_ns) >= 0);
    }
    CHECK(w.budget == 0);
    w.budget = 0;  // from here on the callbacks issue nothing but closes
    // Whatever still waits (long timers, reads with no data, the multishot recv): cancel it all.
    // (Room for this record was kept: world::issue stops at max_records.)
    REQUIRE(l.run_for(10 * ms_ns) >= 0);  // first the callbacks that were due
    w.recs.emplace_back();
    record& all = w.recs.back();
    all.w = &w;
    all.k = kind::cancel_fd;  // res: how many it found, as cancel_fd's
    REQUIRE(l.cancel_all({on_cqe, &all, 0, 0}) != nullptr);
    ++w.live;
    REQUIRE(drain(l));
    // The fds still open (their closes cancelled, or not issued for want of a task).
    for (int round = 0; round < 100 && !w.to_close.empty(); ++round) {
        w.close_opened();
        REQUIRE(drain(l));
    }
    CHECK(w.to_close.empty());
    CHECK(w.opened == w.closed);
    CHECK(w.opened > 0);
    CHECK(l.fds().balanced());
    CHECK(l.fds().untracked == 0);
    CHECK(w.live == 0);
    if (fault_rate != 0) {
        CHECK(inj.stats().faults > 0);
        inj.uninstall();
    }
    unsigned wrong_calls = 0, wrong_results = 0, late = 0;
    for (const record& r : w.recs) {
        if (r.finals != 1) ++wrong_calls;
        wrong_results += static_cast<unsigned>(r.bad);
        late += static_cast<unsigned>(r.after_final);
    }
    INFO("first wrong result: " << w.first_bad);
    CHECK(wrong_calls == 0);
    CHECK(wrong_results == 0);
    CHECK(late == 0);
    // Bytes: what was written to each pipe was read by the loop or is still in the pipe.
    for (unsigned p = 0; p < pipes; ++p) {
        CHECK(w.in_write[p] == 0);
        std::uint64_t left = 0;
        char sink[4096];
        ::fcntl(w.pfd[p][0], F_SETFL, O_NONBLOCK);
        for (ssize_t n; (n = ::read(w.pfd[p][0], sink, sizeof sink)) > 0;) left += static_cast<std::uint64_t>(n);
        CHECK(w.written[p] == w.read_bytes[p] + left);
        ::close(w.pfd[p][0]);
        ::close(w.pfd[p][1]);
    }
    ::close(w.silent[0]);
    ::close(w.silent[1]);
    if (with_group) {
        std::uint64_t left = 0;
        char sink[4096];
        for (ssize_t n; (n = ::recv(w.sock[0], sink, sizeof sink, MSG_DONTWAIT)) > 0;) left += static_cast<std::uint64_t>(n);
        CHECK(w.sock_sent == w.sock_received + left);
        CHECK(w.sock_sent > 0);
        ::close(w.sock[0]);
        ::close(w.sock[1]);
    }
    // Every message a msg_value sent that completed with 0 arrived, once.
    unsigned sent_ok = 0;
    for (const record& r : w.recs)
        if (r.k == kind::msg_self && r.last_res == 0) ++sent_ok;
    CHECK(w.msgs_received == sent_ok);
    CHECK(w.msgs_bad == 0);
    // The pool is whole again: every task can be handed out at once, and one more cannot.
    unsigned handed_out = 0;
    for (unsigned i = 0; i < l.capacity(); ++i) handed_out += l.noop({}) != nullptr ? 1 : 0;
    CHECK(handed_out == l.capacity());
    CHECK(l.noop({}) == nullptr);
    REQUIRE(drain(l));
    l.on_message(nullptr, nullptr);
    // The mix was what it is for: data read, cancels that found their target, deadlines.
    unsigned found = 0, timed_out = 0;
    for (const record& r : w.recs) {
        if (r.k == kind::cancel_one && r.last_res == 0) ++found;
        if (r.k == kind::read && r.timed_out && r.last_res == ecanceled) ++timed_out;
    }
    CHECK(w.read_bytes[0] + w.read_bytes[1] + w.read_bytes[2] > 0);
    CHECK(found > 0);
    CHECK(timed_out > 0);
}

} // namespace random_work

// ---- random work between threads: every task exactly once ----------------------------------------

namespace random_threads {

// What the parent sends its two children, at random, with cancels among them.
enum class kind : std::uint8_t { run_on, run_on_done, msg_value, post_value, cancel_one, noop, timer };
constexpr unsigned children = 2;
constexpr unsigned max_records = 4096;
constexpr std::uint64_t value_data = 0xabc;
constexpr std::int32_t value_res = 7;

struct world;
struct trec {
    world* w = nullptr;
    kind k = kind::noop;
    unsigned target = 0;
    bool has_deadline = false;
    std::atomic<int> fn_runs{0};         // on the child
    std::atomic<int> fn_wrong_thread{0}; // ran on a thread not its target's
    int calls = 0;                       // callbacks on the parent (the last, or done)
    int last_res = 0;
    int bad = 0;
    int replies = 0;                     // the child's post_values back for it
    rawring::task_ref ref;
};

struct world {
    loop* parent = nullptr;
    loop* child[children] = {};
    std::thread::id child_thread[children];  // written by each child's on_start, read there
    std::mt19937_64 rng;
    std::unique_ptr<trec[]> recs{new trec[max_records]};
    unsigned n = 0;
    unsigned budget = 0;
    unsigned sent_ok[children] = {};          // values the parent sent that must arrive
    std::atomic<unsigned> received[children] = {};
    std::atomic<unsigned> received_bad{0};
    std::atomic<unsigned> child_posts_ok{0};  // post_values back that the children queued
    std::atomic<unsigned> child_posts_refused{0};
    unsigned replies_received = 0, replies_bad = 0;

    unsigned pick(unsigned m) { return static_cast<unsigned>(rng() % m); }
    void issue_random();
    void issue(kind k);
};

void child_message(loop&, const rawring::message& m, void* user) {
    // Values from the parent (the loop passes run_on tasks to their callbacks, not here).
    auto* p = static_cast<std::pair<world*, unsigned>*>(user);
    if (m.what != rawring::message::kind::value || m.data != value_data || m.res != value_res)
        p->first->received_bad.fetch_add(1);
    p->first->received[p->second].fetch_add(1);
}

void parent_message(loop&, const rawring::message& m, void* user) {
    // A child's post back: the index of the record whose callback it ran.
    auto* w = static_cast<world*>(user);
    if (m.what != rawring::message::kind::value || m.data >= w->n || m.res != value_res) {
        ++w->replies_bad;
        return;
    }
    ++w->recs[m.data].replies;
    ++w->replies_received;
}

/// A run_on task's callback. On the child with res 0, or here (the parent) with a failed send.
void on_child(loop& here, task& t, const cqe_t& c) {
    auto* r = static_cast<trec*>(t.user());
    world& w = *r->w;
    if (&here == w.parent) {
        // Only a plain run_on calls back here, and only with its send's error.
        ++r->calls;
        r->last_res = c.res;
        if (c.res >= 0 || r->k != kind::run_on) ++r->bad;
        return;
    }
    r->fn_runs.fetch_add(1);
    if (&here != w.child[r->target] || std::this_thread::get_id() != w.child_thread[r->target])
        r->fn_wrong_thread.fetch_add(1);
    // Some work of the child's own, and sometimes a post back to the parent.
    if ((reinterpret_cast<std::uintptr_t>(r) >> 4) % 3 == 0) (void)here.timer(ms_ns, {});
    if ((reinterpret_cast<std::uintptr_t>(r) >> 4) % 2 == 0) {
        if (here.post_value(*w.parent, static_cast<std::uint64_t>(r - w.recs.get()), value_res) == 0)
            w.child_posts_ok.fetch_add(1);
        else
            w.child_posts_refused.fetch_add(1);
    }
}

void on_parent(loop&, task& t, const cqe_t& c) {
    auto* r = static_cast<trec*>(t.user());
    world& w = *r->w;
    ++r->calls;
    r->last_res = c.res;
    bool ok = false;
    switch (r->k) {
    case kind::run_on_done: ok = c.res == 0 || c.res == ecanceled; break;  // done: ran, or never sent
    case kind::msg_value: ok = c.res == 0 || c.res == ecanceled; break;
    case kind::cancel_one: ok = c.res == 0 || c.res == -ENOENT || c.res == -EALREADY || c.res == ecanceled; break;
    case kind::noop:
    case kind::timer: ok = c.res == 0 || c.res == ecanceled; break;
    default: break;
    }
    if (!ok) ++r->bad;
    if (r->k == kind::msg_value && c.res == 0) ++w.sent_ok[r->target];
    if (w.pick(2) == 0) w.issue_random();
}

void world::issue_random() {
    static constexpr kind weights[] = {kind::run_on,     kind::run_on,     kind::run_on_done, kind::run_on_done,
                                       kind::msg_value,  kind::post_value, kind::cancel_one,  kind::cancel_one,
                                       kind::noop,       kind::timer};
    issue(weights[pick(sizeof weights / sizeof weights[0])]);
}

void world::issue(kind k) {
    if (budget == 0 || n >= max_records) return;
    const unsigned to = pick(children);
    if (k == kind::post_value) {
        // No task: counted as sent when queued (the kernel failing it shows in post_failures).
        if (parent->post_value(*child[to], value_data, value_res) == 0) ++sent_ok[to];
        --budget;
        return;
    }
    trec& r = recs[n];
    r.w = this;
    r.k = k;
    r.target = to;
    context c{on_parent, &r, static_cast<std::uint32_t>(k), 0};
    if ((k == kind::run_on || k == kind::run_on_done || k == kind::msg_value) && pick(3) == 0) {
        c.deadline_ns = (1 + pick(3)) * ms_ns;  // bounds the send: its SQE then carries a linked timeout
        r.has_deadline = true;
    }
    task* t = nullptr;
    switch (k) {
    case kind::run_on:
        c.fn = on_child;
        t = parent->run_on(*child[to], c);
        break;
    case kind::run_on_done:
        c.fn = on_child;
        t = parent->run_on(*child[to], c, on_parent);
        break;
    case kind::msg_value: t = parent->msg_value(*child[to], value_data, value_res, c); break;
    case kind::cancel_one: {
        // Mostly one of the latest (likely still in flight); n == 0 names nothing.
        const rawring::task_ref target = n != 0 ? recs[n - 1 - pick(std::min(n, 16u))].ref : rawring::task_ref();
        t = parent->cancel(target, c);
        break;
    }
    case kind::noop: t = parent->noop(c); break;
    case kind::timer: t = parent->timer((1 + pick(2)) * ms_ns, c); break;
    case kind::post_value: break;
    }
    if (t == nullptr) {
        r.w = nullptr;  // not issued; the slot is used again
        return;
    }
    r.ref = rawring::task_ref(t);
    ++n;
    --budget;
}

void run(loop& parent, std::uint64_t seed, unsigned ops, setup_choice defer) {
    INFO("seed " << seed);
    world w;
    w.parent = &parent;
    w.rng.seed(seed);
    w.budget = ops;
    std::pair<world*, unsigned> who[children] = {{&w, 0}, {&w, 1}};
    rawring::thread_options to;
    to.entries = 16;
    to.options.tasks = 64;
    to.options.defer_taskrun = defer;
    to.on_start = [](loop& child, unsigned index, void* user) {
        auto* p = static_cast<std::pair<world*, unsigned>*>(user) + index;
        p->first->child_thread[index] = std::this_thread::get_id();
        child.on_message(child_message, p);
    };
    to.user = who;
    REQUIRE(parent.spawn_thread(children, to) == 0);
    for (unsigned i = 0; i < children; ++i) w.child[i] = &parent.thread_loop(i);
    parent.on_message(parent_message, &w);
    // Should a REQUIRE end the case early, the threads and what is in flight end first.
    struct end_first {
        loop& l;
        world& w;
        ~end_first() {
            w.budget = 0;
            if (l.is_open()) (void)l.exit();
        }
    } guard{parent, w};
    const auto t0 = std::chrono::steady_clock::now();
    while (w.budget > 0 && ms_since(t0) < 60000) {
        for (unsigned k = w.pick(12) == 0 ? 24 : w.pick(6); k-- > 0;) w.issue_random();
        REQUIRE(parent.run_for(ms_ns) >= 0);
    }
    CHECK(w.budget == 0);
    // A last run_on with an answer to each child: it runs there after every message sent to it
    // before, and its answer comes after the child's earlier posts back.
    REQUIRE(drain(parent));
    w.budget = children;
    unsigned first_barrier = w.n;
    for (unsigned i = 0; i < children; ++i) {
        trec& r = w.recs[w.n];
        r.w = &w;
        r.k = kind::run_on_done;
        r.target = i;
        REQUIRE(parent.run_on(*w.child[i], {on_child, &r, 0, 0}, on_parent) != nullptr);
        ++w.n;
    }
    w.budget = 0;
    REQUIRE(drain(parent));
    for (unsigned i = first_barrier; i < w.n; ++i) CHECK(w.recs[i].last_res == 0);
    CHECK(parent.in_flight() == 0);
    // Exactly once, on the right thread, and a result that says what happened.
    unsigned wrong = 0, bad = 0, wrong_thread = 0, ran_although_failed = 0, lost = 0;
    unsigned child_posts_expected = 0;
    for (unsigned i = 0; i < w.n; ++i) {
        const trec& r = w.recs[i];
        bad += static_cast<unsigned>(r.bad);
        wrong_thread += static_cast<unsigned>(r.fn_wrong_thread.load());
        const int runs = r.fn_runs.load();
        switch (r.k) {
        case kind::run_on:
            // Ran once on the child, or its send failed here (and it never ran).
            if (r.calls == 0 ? runs != 1 : (r.calls != 1 || runs != 0)) ++wrong;
            break;
        case kind::run_on_done:
            if (r.calls != 1 || runs > 1) ++wrong;
            if (r.last_res == 0 && runs != 1) ++lost;
            if (r.last_res != 0 && runs != 0) ++ran_although_failed;
            break;
        default:
            if (r.calls != 1 || runs != 0) ++wrong;
            break;
        }
        if (r.replies > runs) ++wrong;
        child_posts_expected += static_cast<unsigned>(r.replies);
    }
    CHECK(wrong == 0);
    CHECK(bad == 0);
    CHECK(wrong_thread == 0);
    CHECK(lost == 0);
    CHECK(ran_although_failed == 0);
    // Every value sent arrived once; every post back arrived once.
    for (unsigned i = 0; i < children; ++i) CHECK(w.received[i].load() == w.sent_ok[i]);
    CHECK(w.received_bad.load() == 0);
    CHECK(w.replies_bad == 0);
    CHECK(w.replies_received == w.child_posts_ok.load());
    CHECK(child_posts_expected == w.replies_received);
    CHECK(w.child_posts_refused.load() == 0);
    CHECK(parent.post_failures() == 0);
    CHECK(parent.exit() == 0);  // joins the children
    CHECK(w.n > ops / 2);
}

} // namespace random_threads

} // namespace

// =================================================================================================
// The kernel
// =================================================================================================

TEST_SUITE("kernel") {

TEST_CASE("loop: init picks setup flags by trying them and reports the choice") {
    if (!io_uring_available()) {
        RAWRING_SKIP("io_uring unavailable");
        return;
    }
    {
        loop l;
        REQUIRE(open_loop(l, 8));
        const std::uint32_t f = l.setup_flags();
        if (setup_accepts(abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN) == 0) {
            CHECK((f & abi::IORING_SETUP_DEFER_TASKRUN) != 0);
            CHECK((f & abi::IORING_SETUP_SINGLE_ISSUER) != 0);
        }
        if (setup_accepts(abi::IORING_SETUP_SUBMIT_ALL) == 0) CHECK((f & abi::IORING_SETUP_SUBMIT_ALL) != 0);
        if (setup_accepts(abi::IORING_SETUP_CLAMP) == 0) CHECK((f & abi::IORING_SETUP_CLAMP) != 0);
        CHECK(l.capacity() == 4 * 8);
        CHECK(l.in_flight() == 0);
        CHECK(l.init(8) == -EBUSY);
    }
    {
        loop l;
        loop_options o;
        o.defer_taskrun = setup_choice::forbid;
        REQUIRE(open_loop(l, 8, o));
        CHECK((l.setup_flags() & abi::IORING_SETUP_DEFER_TASKRUN) == 0);
        if (setup_accepts(abi::IORING_SETUP_COOP_TASKRUN | abi::IORING_SETUP_TASKRUN_FLAG) == 0)
            CHECK((l.setup_flags() & abi::IORING_SETUP_COOP_TASKRUN) != 0);
    }
    {
        loop l;
        loop_options o;
        o.defer_taskrun = o.coop_taskrun = o.submit_all = o.clamp = setup_choice::forbid;
        o.tasks = 3;
        REQUIRE(open_loop(l, 8, o));
        CHECK((l.setup_flags() & (abi::IORING_SETUP_DEFER_TASKRUN | abi::IORING_SETUP_COOP_TASKRUN |
                                  abi::IORING_SETUP_SUBMIT_ALL | abi::IORING_SETUP_CLAMP)) == 0);
        CHECK(l.capacity() == 3);
    }
    {
        loop l;
        loop_options o;
        o.defer_taskrun = o.coop_taskrun = setup_choice::force;
        CHECK(l.init(8, o) == -EINVAL);
        CHECK(l.init(0) == -EINVAL);
        CHECK(!l.is_open());
        CHECK(l.run(run_mode::once) == -EBADF);
        CHECK(l.noop({}) == nullptr);  // no pool before init
    }
}

TEST_CASE("loop: noop runs its callback once with the user pointer and tag") {
    loop l;
    if (!open_loop(l)) return;
    struct st { int calls = 0; std::uint32_t tag = 0; int res = -1; loop* l = nullptr; } s;
    task* t = l.noop({[](loop& lp, task& tk, const cqe_t& c) {
                          auto* p = static_cast<st*>(tk.user());
                          ++p->calls;
                          p->tag = tk.tag();
                          p->res = c.res;
                          p->l = &lp;
                          CHECK(tk.op() == loop_op::noop);
                      },
                      &s, 77});
    REQUIRE(t != nullptr);
    CHECK(l.in_flight() == 1);
    CHECK(s.calls == 0);  // nothing runs before the loop does
    CHECK(l.run(run_mode::until_done) >= 1);
    CHECK(s.calls == 1);
    CHECK(s.tag == 77);
    CHECK(s.res == 0);
    CHECK(s.l == &l);
    CHECK(l.in_flight() == 0);
    // A null callback is allowed: the result is dropped.
    REQUIRE(l.noop({}) != nullptr);
    CHECK(l.run(run_mode::until_done) == 1);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: timers fire in order, relative and absolute, on two clocks") {
    loop l;
    if (!open_loop(l)) return;
    std::vector<int> order;
    auto fired = [](loop&, task& t, const cqe_t& c) {
        CHECK(c.res == 0);  // the kernel's -ETIME, reported as success
        static_cast<std::vector<int>*>(t.user())->push_back(static_cast<int>(t.tag()));
    };
    const std::uint64_t gaps[] = {800, 200, 600, 400, 1000};
    for (unsigned i = 0; i < 5; ++i)
        REQUIRE(l.timer(gaps[i] * ms_ns, {fired, &order, static_cast<std::uint32_t>(gaps[i])}) != nullptr);
    abi::kernel_timespec now{};
    REQUIRE(rawring::sys::clock_gettime(CLOCK_MONOTONIC, &now) == 0);
    const std::uint64_t at = static_cast<std::uint64_t>(now.tv_sec) * 1000 * ms_ns +
                             static_cast<std::uint64_t>(now.tv_nsec) + 500 * ms_ns;
    REQUIRE(l.timer(at, {fired, &order, 500}, true) != nullptr);
    abi::kernel_timespec boot{};
    REQUIRE(rawring::sys::clock_gettime(CLOCK_BOOTTIME, &boot) == 0);
    const std::uint64_t boot_at = static_cast<std::uint64_t>(boot.tv_sec) * 1000 * ms_ns +
                                  static_cast<std::uint64_t>(boot.tv_nsec) + 700 * ms_ns;
    REQUIRE(l.timer(boot_at, {fired, &order, 700}, true, abi::IORING_TIMEOUT_BOOTTIME) != nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(drain(l));
    CHECK(ms_since(t0) >= 995);
    // 100 ms apart at least: the order holds unless this thread is kept from submitting the
    // relative timers for 100 ms after it read the clocks for the absolute ones.
    CHECK(order == std::vector<int>{200, 400, 500, 600, 700, 800, 1000});
}

TEST_CASE("loop: read and write at offsets and at the file position") {
    loop l;
    if (!open_loop(l)) return;
    temp_file f;
    seen w1, w2, r1, r2;
    const char a[] = "hello ";
    const char b[] = "world";
    REQUIRE(l.write(f.fd, a, 6, 0, rec(w1)) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(l.write(f.fd, b, 5, 6, rec(w2)) != nullptr);
    REQUIRE(drain(l));
    CHECK(w1.res == 6);
    CHECK(w2.res == 5);
    char buf[16] = {};
    REQUIRE(l.read(f.fd, buf, 5, 6, rec(r1)) != nullptr);
    REQUIRE(drain(l));
    CHECK(r1.res == 5);
    CHECK(str(buf, 5) == "world");
    // -1: the file position, which the positioned calls above left at 0.
    REQUIRE(::lseek(f.fd, 0, SEEK_SET) == 0);
    char buf2[16] = {};
    REQUIRE(l.read(f.fd, buf2, 6, static_cast<std::uint64_t>(-1), rec(r2)) != nullptr);
    REQUIRE(drain(l));
    CHECK(r2.res == 6);
    CHECK(str(buf2, 6) == "hello ");
    CHECK(::lseek(f.fd, 0, SEEK_CUR) == 6);
}

TEST_CASE("loop: read_fixed and write_fixed through a registered buffer") {
    loop l;
    if (!open_loop(l)) return;
    temp_file f;
    fixed_buffer_rw(l, f.fd);
}

TEST_CASE("loop: post_send sends with no task and no CQE, and counts the sends that fail") {
    loop l;
    if (!open_loop(l)) return;
    post_send_checks(l);
    CHECK(l.exit() == 0);
    CHECK(l.post_send(0, "x", 1, 0) == -ECANCELED);  // torn down
}

TEST_CASE("loop: readv and writev move every byte") {
    loop l;
    if (!open_loop(l)) return;
    temp_file f;
    char p1[] = "abc", p2[] = "defgh";
    iovec out[2] = {{p1, 3}, {p2, 5}};
    seen w, r;
    REQUIRE(l.writev(f.fd, out, 2, 0, rec(w)) != nullptr);
    REQUIRE(drain(l));
    CHECK(w.res == 8);
    char q1[4] = {}, q2[4] = {};
    iovec in[2] = {{q1, 4}, {q2, 4}};
    REQUIRE(l.readv(f.fd, in, 2, 0, rec(r)) != nullptr);
    REQUIRE(drain(l));
    CHECK(r.res == 8);
    CHECK(str(q1, 4) == "abcd");
    CHECK(str(q2, 4) == "efgh");
}

TEST_CASE("loop: open -> read -> close chain in callbacks, fds balanced") {
    loop l;
    loop_options o;
    o.track_fds = 4096;
    if (!open_loop(l, 16, o)) return;
    temp_file f("chained contents");
    struct chain {
        std::string path;
        char buf[64] = {};
        int fd = -1;
        int read_res = 0;
        int close_res = 1;
        int steps = 0;
    } c;
    c.path = f.path;
    struct steps {
        static void on_close(loop&, task& t, const cqe_t& cqe) {
            auto* s = static_cast<chain*>(t.user());
            s->close_res = cqe.res;
            ++s->steps;
        }
        static void on_read(loop& lp, task& t, const cqe_t& cqe) {
            auto* s = static_cast<chain*>(t.user());
            s->read_res = cqe.res;
            ++s->steps;
            REQUIRE(lp.close(s->fd, {on_close, s}) != nullptr);
        }
        static void on_open(loop& lp, task& t, const cqe_t& cqe) {
            auto* s = static_cast<chain*>(t.user());
            ++s->steps;
            REQUIRE(cqe.res >= 0);
            s->fd = cqe.res;
            REQUIRE(lp.read(s->fd, s->buf, sizeof(s->buf), 0, {on_read, s}) != nullptr);
        }
    };
    REQUIRE(l.open(c.path.c_str(), O_RDONLY | O_CLOEXEC, 0, {steps::on_open, &c}) != nullptr);
    CHECK(l.fds().open == 0);
    REQUIRE(drain(l));
    CHECK(c.steps == 3);
    CHECK(c.read_res == 16);
    CHECK(std::string(c.buf) == "chained contents");
    CHECK(c.close_res == 0);
    CHECK(::fcntl(c.fd, F_GETFD) == -1);  // really closed
    CHECK(l.fds().balanced());
    // A second close of the same fd is seen (it fails with -EBADF, and the check counts it).
    seen again;
    REQUIRE(l.close(c.fd, rec(again)) != nullptr);
    REQUIRE(drain(l));
    CHECK(again.res == -EBADF);
    CHECK(l.fds().closed_twice == 1);
}

TEST_CASE("loop: fsync, stat and lstat") {
    loop l;
    if (!open_loop(l)) return;
    temp_dir d;
    owned_fd f = d.create("file", "0123456789");
    REQUIRE(::symlinkat("file", d.fd, "link") == 0);
    seen fs, st, lst;
    REQUIRE(l.fsync(f, 0, rec(fs)) != nullptr);
    struct statx sx {}, lsx {};
    const std::string link = d.at("link");
    REQUIRE(l.stat(link.c_str(), &sx, rec(st)) != nullptr);
    REQUIRE(l.lstat(link.c_str(), &lsx, rec(lst)) != nullptr);
    REQUIRE(drain(l));
    CHECK(fs.res == 0);
    CHECK(st.res == 0);
    CHECK(lst.res == 0);
    CHECK(S_ISREG(sx.stx_mode));
    CHECK(sx.stx_size == 10);
    CHECK(S_ISLNK(lsx.stx_mode));
    CHECK(lsx.stx_size == 4);  // "file"
    seen bad;
    struct statx none {};
    REQUIRE(l.stat(d.at("missing").c_str(), &none, rec(bad)) != nullptr);
    REQUIRE(drain(l));
    CHECK(bad.res == -ENOENT);
}

TEST_CASE("loop: socket -> connect -> send -> recv -> close state machine on 127.0.0.1") {
    if (!op_ok(abi::IORING_OP_SOCKET)) {
        RAWRING_SKIP("no IORING_OP_SOCKET");
        return;
    }
    loop l;
    loop_options o;
    o.track_fds = 4096;
    if (!open_loop(l, 16, o)) return;
    tcp_listener srv;
    struct machine {
        sockaddr_in addr{};
        int fd = -1;
        int step = 0;
        int sent = 0;
        char reply[16] = {};
        int got = 0;
        int closed = 1;
        int failed = 0;
    } m;
    m.addr = srv.addr;
    // The client's state machine: one callback per step, each queueing the next.
    struct steps {
        static void on_socket(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res < 0) return (void)++s->failed;
            s->fd = c.res;
            s->step = 1;
            REQUIRE(lp.connect(s->fd, reinterpret_cast<sockaddr*>(&s->addr), sizeof(s->addr), {on_connect, s}) != nullptr);
        }
        static void on_connect(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res < 0) return (void)++s->failed;
            s->step = 2;
            REQUIRE(lp.send(s->fd, "ping", 4, 0, {on_send, s}) != nullptr);
        }
        static void on_send(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res < 0) return (void)++s->failed;
            s->sent = c.res;
            s->step = 3;
            REQUIRE(lp.recv(s->fd, s->reply, sizeof(s->reply), 0, {on_recv, s}) != nullptr);
        }
        static void on_recv(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res < 0) return (void)++s->failed;
            s->got = c.res;
            s->step = 4;
            REQUIRE(lp.close(s->fd, {on_close, s}) != nullptr);
        }
        static void on_close(loop&, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            s->closed = c.res;
            s->step = 5;
        }
    };
    REQUIRE(l.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, {steps::on_socket, &m}) != nullptr);
    // The server side with plain calls: accept, read "ping", answer "pong". The loop must have
    // got as far as the recv before the server answers, so run it in small slices.
    owned_fd peer;
    const auto t0 = std::chrono::steady_clock::now();
    while (m.step < 3 && m.failed == 0 && ms_since(t0) < 20000) (void)l.run_for(5 * ms_ns);
    REQUIRE(m.failed == 0);
    REQUIRE(m.step >= 3);
    peer = owned_fd(::accept4(srv.fd, nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(peer >= 0);
    char in[8] = {};
    REQUIRE(::recv(peer, in, sizeof(in), 0) == 4);
    CHECK(str(in, 4) == "ping");
    REQUIRE(::send(peer, "pong!", 5, 0) == 5);
    REQUIRE(drain(l));
    CHECK(m.failed == 0);
    CHECK(m.step == 5);
    CHECK(m.sent == 4);
    CHECK(m.got == 5);
    CHECK(str(m.reply, 5) == "pong!");
    CHECK(m.closed == 0);
    CHECK(l.fds().balanced());
}

TEST_CASE("loop: tcp_connect and listen + multishot accept helpers") {
    if (!op_ok(abi::IORING_OP_SOCKET)) {
        RAWRING_SKIP("no IORING_OP_SOCKET");
        return;
    }
    loop l;
    loop_options o;
    o.track_fds = 4096;
    if (!open_loop(l, 32, o)) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int lfd = loop::listen(reinterpret_cast<sockaddr*>(&addr), sizeof(addr), SOCK_STREAM | SOCK_CLOEXEC, 16);
    REQUIRE(lfd >= 0);
    owned_fd listener(lfd);
    socklen_t alen = sizeof(addr);
    REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) == 0);
    struct state {
        std::vector<int> accepted;
        std::vector<int> connected;
        int accept_ends = 0;
        int last = 0;
    } s;
    auto on_accept = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<state*>(t.user());
        if (c.res >= 0) p->accepted.push_back(c.res);
        if ((c.flags & abi::IORING_CQE_F_MORE) == 0) {
            ++p->accept_ends;
            p->last = c.res;
        }
    };
    auto on_connected = [](loop&, task& t, const cqe_t& c) {
        static_cast<state*>(t.user())->connected.push_back(c.res);
    };
    task* acc = l.accept_multishot(lfd, SOCK_CLOEXEC, {on_accept, &s});
    REQUIRE(acc != nullptr);
    for (int i = 0; i < 3; ++i)
        REQUIRE(l.tcp_connect(reinterpret_cast<sockaddr*>(&addr), sizeof(addr), SOCK_STREAM | SOCK_CLOEXEC,
                              {on_connected, &s}) != nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    while ((s.connected.size() < 3 || s.accepted.size() < 3) && ms_since(t0) < 20000) (void)l.run_for(10 * ms_ns);
    REQUIRE(s.connected.size() == 3);
    REQUIRE(s.accepted.size() == 3);
    CHECK(s.accept_ends == 0);  // still armed
    for (int fd : s.connected) {
        CHECK(fd >= 0);
        REQUIRE(::send(fd, "x", 1, 0) == 1);  // a connected socket
    }
    for (int fd : s.accepted) {
        char c = 0;
        CHECK(::recv(fd, &c, 1, 0) == 1);
    }
    CHECK(l.fds().open == 6);
    // A refused connect: the helper closes its socket and reports the error.
    sockaddr_in closed = addr;
    {
        const int tmp = loop::listen(reinterpret_cast<sockaddr*>(&closed), 0, SOCK_STREAM, 1);
        CHECK(tmp < 0);  // bad length: -EINVAL
    }
    closed.sin_port = 0;
    {
        owned_fd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in any{};
        any.sin_family = AF_INET;
        any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&any), sizeof(any)) == 0);
        socklen_t l2 = sizeof(closed);
        REQUIRE(::getsockname(probe, reinterpret_cast<sockaddr*>(&closed), &l2) == 0);
        // bound, not listening: a connect to it is refused
        seen refused;
        REQUIRE(l.tcp_connect(reinterpret_cast<sockaddr*>(&closed), sizeof(closed), SOCK_STREAM | SOCK_CLOEXEC,
                              rec(refused)) != nullptr);
        const auto t1 = std::chrono::steady_clock::now();
        while (refused.calls == 0 && ms_since(t1) < 20000) (void)l.run_for(10 * ms_ns);
        CHECK(refused.res == -ECONNREFUSED);
    }
    CHECK(l.fds().open == 6);  // the refused socket was closed
    // End the multishot accept: exactly one final callback.
    seen cancelled;
    REQUIRE(l.cancel(acc, rec(cancelled)) != nullptr);
    for (int fd : s.accepted) REQUIRE(l.close(fd, {}) != nullptr);
    for (int fd : s.connected) REQUIRE(l.close(fd, {}) != nullptr);
    REQUIRE(drain(l));
    CHECK(cancelled.res == 0);
    CHECK(s.accept_ends == 1);
    CHECK(s.last == ecanceled);
    CHECK(l.fds().balanced());
}

namespace {
/// Pins the calling thread to the CPU it runs on, until destroyed.
struct pin_here {
    cpu_set_t old{};
    bool pinned = false;
    pin_here() {
        if (::sched_getaffinity(0, sizeof old, &old) != 0) return;
        const int cpu = ::sched_getcpu();
        if (cpu < 0) return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pinned = ::sched_setaffinity(0, sizeof one, &one) == 0;
    }
    ~pin_here() {
        if (pinned) (void)::sched_setaffinity(0, sizeof old, &old);
    }
    pin_here(const pin_here&) = delete;
    pin_here& operator=(const pin_here&) = delete;
};

/// The SQE the loop queued last (not yet submitted).
const abi::io_uring_sqe& last_queued_sqe(loop& l) {
    const rawring::sq_ring& sq = l.raw_ring().sq();
    return sq.sqes[(sq.sqe_tail - 1) & sq.ring_mask];
}

/// Whether this kernel's accept takes IORING_ACCEPT_POLL_FIRST, seen from its behaviour rather
/// than asked as the loop asks: on a listening socket with nothing pending, an accept with a
/// flag the kernel does not know completes at once with -EINVAL; with the flag, it waits.
bool kernel_accepts_poll_first(int lfd) {
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    abi::io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_accept(sqe, lfd, nullptr, nullptr, SOCK_CLOEXEC);
    sqe->ioprio |= abi::IORING_ACCEPT_POLL_FIRST;
    sqe->user_data = 1;
    REQUIRE(r.submit() == 1);
    if (r.cq_ready() == 0) return true;  // armed: the ring's close cancels it
    abi::io_uring_cqe* cqe = nullptr;
    REQUIRE(r.peek_cqe(&cqe) == 0);
    CHECK(cqe->res == -EINVAL);
    return false;
}

/// The sockfs inode number of `fd`: consecutive sockets made on one CPU get consecutive ones
/// (get_next_ino hands them out from a per-CPU batch).
long long inode_of(int fd) {
    struct stat st{};
    REQUIRE(::fstat(fd, &st) == 0);
    return static_cast<long long>(st.st_ino);
}

/// `tries` times: a socket, then an accept on `lfd` submitted (nothing is pending), then a
/// socket; returns how many of the tries had the two sockets' inodes next to each other, i.e.
/// no socket made between them (the accept then made none). Each accept is cancelled.
int accepts_without_a_socket(loop& l, int lfd, int tries) {
    pin_here pin;
    REQUIRE(pin.pinned);
    int clean = 0;
    for (int i = 0; i < tries; ++i) {
        seen s;
        owned_fd a(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(a >= 0);
        task* t = l.accept(lfd, nullptr, nullptr, SOCK_CLOEXEC, rec(s));
        REQUIRE(t != nullptr);
        REQUIRE(l.submit() >= 1);  // the accept tries (or, with the flag, waits) in this call
        owned_fd b(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(b >= 0);
        if (inode_of(b) - inode_of(a) == 1) ++clean;
        REQUIRE(l.cancel(t, {}) != nullptr);
        REQUIRE(drain(l));
        CHECK(s.calls == 1);
        CHECK(s.res == -ECANCELED);
    }
    return clean;
}
} // namespace

TEST_CASE("loop: accept waits for a connection before its first try (IORING_ACCEPT_POLL_FIRST)") {
    tcp_listener srv;
    const bool has = kernel_accepts_poll_first(srv.fd);
    if (!has) MESSAGE("this kernel's accept does not take IORING_ACCEPT_POLL_FIRST (Linux 6.10): the loop must not use it");
    const int want = has ? abi::IORING_ACCEPT_POLL_FIRST : 0;

    // automatic: unknown until the first accept asks the kernel.
    loop l;
    loop_options o;
    o.track_fds = 4096;
    if (!open_loop(l, 16, o)) return;
    CHECK(l.accept_flags() == -1);
    seen ac;
    REQUIRE(l.accept(srv.fd, nullptr, nullptr, SOCK_CLOEXEC, rec(ac)) != nullptr);
    CHECK(l.accept_flags() == want);
    {
        // The accept's SQE, queued and not yet submitted, carries the flag.
        const abi::io_uring_sqe& sqe = last_queued_sqe(l);
        CHECK(sqe.opcode == abi::IORING_OP_ACCEPT);
        CHECK(sqe.ioprio == want);
        CHECK(sqe.fd == srv.fd);
    }
    // It accepts a connection, and the probe's CQE never reached a callback.
    owned_fd client = srv.connect_client();
    REQUIRE(drain(l));
    CHECK(ac.calls == 1);
    REQUIRE(ac.res >= 0);
    CHECK(::send(client, "x", 1, 0) == 1);
    char c = 0;
    CHECK(::recv(ac.res, &c, 1, 0) == 1);
    CHECK(c == 'x');
    seen cl;
    REQUIRE(l.close(ac.res, rec(cl)) != nullptr);
    REQUIRE(drain(l));
    CHECK(cl.res == 0);
    CHECK(l.fds().balanced());

    // The effect: with the flag, an accept with nothing pending makes no socket. Without it
    // (forbid), it makes one and frees it, so two sockets around it are never neighbours.
    loop off;
    loop_options no;
    no.accept_poll_first = rawring::setup_choice::forbid;
    REQUIRE(off.init(16, no) == 0);
    CHECK(off.accept_flags() == 0);
    CHECK(accepts_without_a_socket(off, srv.fd, 10) == 0);
    const int clean = accepts_without_a_socket(l, srv.fd, 20);
    if (has) CHECK(clean >= 1);  // other processes on this CPU may take an inode between, now and then
    else CHECK(clean == 0);

    // force: init asks, and fails where the kernel lacks the flag.
    loop f;
    loop_options fo;
    fo.accept_poll_first = rawring::setup_choice::force;
    const int fr = f.init(16, fo);
    if (has) {
        REQUIRE(fr == 0);
        CHECK(f.accept_flags() == abi::IORING_ACCEPT_POLL_FIRST);
        seen n;
        REQUIRE(f.noop(rec(n)) != nullptr);  // the probe's CQE, still in the CQ, is no callback's
        REQUIRE(drain(f));
        CHECK(n.calls == 1);
        CHECK(n.res == 0);
    } else {
        CHECK(fr == -EINVAL);
        CHECK(!f.raw_ring().is_open());
    }
}

namespace {
/// The ioprio of the accept the loop queued last (not yet submitted).
std::uint16_t last_sqe_ioprio(loop& l) {
    const abi::io_uring_sqe& sqe = last_queued_sqe(l);
    CHECK(sqe.opcode == abi::IORING_OP_ACCEPT);
    return sqe.ioprio;
}

/// How many connections wait in `lfd`'s accept queue (TCP_INFO of a listener: tcpi_unacked).
unsigned accept_queue(int lfd) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    REQUIRE(::getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0);
    return ti.tcpi_unacked;
}

/// A chain of single accepts on one listener: each callback notes its CQE and queues the next
/// accept (noting that SQE's ioprio) until `issue` accepts went out; the first callback also
/// queues one accept on a second listener.
struct accept_chain {
    int lfd = -1, other = -1;
    int issue = 0;
    std::vector<int> fds;
    std::vector<std::uint32_t> flags;
    std::vector<std::uint16_t> ioprio;  // of each accept on lfd, in order
    std::uint16_t other_ioprio = 0xffff;
    task* other_task = nullptr;
    seen other_seen;

    static void on_cqe(loop& l, task& t, const cqe_t& c) {
        auto* a = static_cast<accept_chain*>(t.user());
        a->fds.push_back(c.res);
        a->flags.push_back(c.flags);
        if (a->other >= 0 && a->other_task == nullptr) {
            a->other_task = l.accept(a->other, nullptr, nullptr, SOCK_CLOEXEC, rec(a->other_seen));
            REQUIRE(a->other_task != nullptr);
            a->other_ioprio = last_sqe_ioprio(l);
        }
        if (static_cast<int>(a->ioprio.size()) < a->issue) a->next(l);
    }
    void next(loop& l) {
        REQUIRE(l.accept(lfd, nullptr, nullptr, SOCK_CLOEXEC, {on_cqe, this}) != nullptr);
        ioprio.push_back(last_sqe_ioprio(l));
    }
};
} // namespace

TEST_CASE("loop: an accept after one that left connections pending goes without POLL_FIRST") {
    tcp_listener srv, other;
    const bool has = kernel_accepts_poll_first(srv.fd);
    if (!has) MESSAGE("this kernel's accept does not take IORING_ACCEPT_POLL_FIRST (Linux 6.10): no accept may carry it");
    const std::uint16_t want = has ? abi::IORING_ACCEPT_POLL_FIRST : 0;
    loop l;
    loop_options o;
    o.track_fds = 4096;
    if (!open_loop(l, 16, o)) return;

    // Three connections wait in the queue before the first accept.
    std::vector<owned_fd> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(srv.connect_client());
    for (int i = 0; i < 100000 && accept_queue(srv.fd) < 3; ++i) ::sched_yield();
    REQUIRE(accept_queue(srv.fd) == 3);

    accept_chain a;
    a.lfd = srv.fd;
    a.other = other.fd;
    a.issue = 4;
    a.next(l);  // nothing known of the queue yet: it waits first
    CHECK(a.ioprio[0] == want);
    REQUIRE(l.run_for(5 * ms_ns, false) >= 0);
    for (int i = 0; i < 200 && a.fds.size() < 3; ++i) REQUIRE(l.run_for(5 * ms_ns, false) >= 0);
    REQUIRE(a.fds.size() == 3);
    REQUIRE(a.ioprio.size() == 4);  // the fourth waits: the queue is empty
    CHECK(accept_queue(srv.fd) == 0);
    // Each accept's SQE follows what the one before it said of the queue.
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        const bool more = (a.flags[i] & abi::IORING_CQE_F_SOCK_NONEMPTY) != 0;
        CHECK(a.ioprio[i + 1] == (more ? 0 : want));
    }
    if (has) {  // the kernel that has the flag says so (both came in Linux 6.10)
        CHECK((a.flags[0] & abi::IORING_CQE_F_SOCK_NONEMPTY) != 0);
        CHECK((a.flags[1] & abi::IORING_CQE_F_SOCK_NONEMPTY) != 0);
        CHECK((a.flags[2] & abi::IORING_CQE_F_SOCK_NONEMPTY) == 0);
        CHECK(a.ioprio[1] == 0);
        CHECK(a.ioprio[3] == abi::IORING_ACCEPT_POLL_FIRST);
    }
    // Another listener keeps the flag while the first one had connections waiting.
    CHECK(a.other_ioprio == want);
    CHECK(l.accept_flags() == want);

    // The fourth accept takes a connection made now; every accepted fd is one of the clients.
    clients.push_back(srv.connect_client());
    for (int i = 0; i < 200 && a.fds.size() < 4; ++i) REQUIRE(l.run_for(5 * ms_ns, false) >= 0);
    REQUIRE(a.fds.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        REQUIRE(a.fds[i] >= 0);
        const char b = static_cast<char>('a' + i);
        CHECK(::send(clients[i], &b, 1, 0) == 1);
        char c = 0;
        CHECK(::recv(a.fds[i], &c, 1, 0) == 1);
        CHECK(c == b);
    }
    REQUIRE(a.other_task != nullptr);
    REQUIRE(l.cancel(a.other_task, {}) != nullptr);
    REQUIRE(drain(l));
    CHECK(a.other_seen.res == -ECANCELED);
    for (const int fd : a.fds) REQUIRE(l.close(fd, {}) != nullptr);
    REQUIRE(drain(l));
    CHECK(l.fds().balanced());
}

TEST_CASE("loop: recv with POLL_FIRST waits for data, then takes it; an unknown flag gives -EINVAL") {
    if (!op_ok(abi::IORING_OP_RECV)) {
        RAWRING_SKIP("no recv");
        return;
    }
    loop l;
    if (!open_loop(l, 16)) return;
    tcp_pair tp;
    char buf[16] = {};
    seen a;
    REQUIRE(l.recv(tp.server, buf, sizeof buf, 0, abi::IORING_RECVSEND_POLL_FIRST, rec(a)) != nullptr);
    (void)l.run_for(20 * ms_ns);
    CHECK(a.calls == 0);  // nothing to receive: it waits
    CHECK(l.in_flight() == 1);
    REQUIRE(::send(tp.client, "hello", 5, 0) == 5);
    REQUIRE(drain(l));
    CHECK(a.calls == 1);
    CHECK(a.res == 5);
    CHECK(str(buf, 5) == "hello");
    // A flag recv does not know: -EINVAL, and the byte stays in the socket.
    REQUIRE(::send(tp.client, "z", 1, 0) == 1);
    seen b;
    REQUIRE(l.recv(tp.server, buf, sizeof buf, 0, 0x8000, rec(b)) != nullptr);
    REQUIRE(drain(l));
    CHECK(b.calls == 1);
    CHECK(b.res == -EINVAL);
    char z = 0;
    CHECK(::recv(tp.server, &z, 1, MSG_DONTWAIT) == 1);
    CHECK(z == 'z');
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: multishot recv with buffer recycling over a buffer_group") {
    if (!op_ok(abi::IORING_OP_RECV)) {
        RAWRING_SKIP("no recv");
        return;
    }
    loop l;
    if (!open_loop(l, 32)) return;
    tcp_pair tp;
    constexpr unsigned nbuf = 4, bufsz = 64;
    std::vector<std::byte> mem(nbuf * bufsz);
    rawring::buffer_group g;
    const int gr = g.init(l.raw_ring(), 3, std::span<std::byte>(mem), bufsz, nbuf);
    if (gr == -EINVAL) {  // the register op is unknown before Linux 5.19; any other error fails
        RAWRING_SKIP("buffer ring refused: " << std::strerror(-gr) << " (IORING_REGISTER_PBUF_RING: Linux 5.19)");
        return;
    }
    REQUIRE(gr == 0);
    struct state {
        rawring::buffer_group* g = nullptr;
        std::string got;
        int cqes = 0;
        int ends = 0;
        int last = 0;
    } s;
    s.g = &g;
    auto on_data = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<state*>(t.user());
        if (c.res > 0) {
            std::span<std::byte> b = p->g->get(c);
            p->got.append(reinterpret_cast<const char*>(b.data()), b.size());
            ++p->cqes;
        }
        if ((c.flags & abi::IORING_CQE_F_MORE) == 0) {
            ++p->ends;
            p->last = c.res;
        }
    };
    task* rt = l.recv_multishot(tp.server, g, 0, {on_data, &s});
    REQUIRE(rt != nullptr);
    // 40 messages through 4 buffers: without recycling the group runs dry after 4 (-ENOBUFS).
    std::string want;
    for (int i = 0; i < 40; ++i) {
        char msg[16];
        const int n = std::snprintf(msg, sizeof(msg), "m%02d;", i);
        want.append(msg, static_cast<std::size_t>(n));
        REQUIRE(::send(tp.client, msg, static_cast<std::size_t>(n), 0) == n);
        const auto t0 = std::chrono::steady_clock::now();
        while (s.got.size() < want.size() && s.ends == 0 && ms_since(t0) < 10000) (void)l.run(run_mode::once);
    }
    CHECK(s.ends == 0);
    CHECK(s.got == want);
    CHECK(s.cqes >= 10);
    // The peer closes: the multishot ends exactly once (res 0, no F_MORE).
    tp.client.reset();
    REQUIRE(drain(l));
    CHECK(s.ends == 1);
    CHECK(s.last == 0);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: send_zc reports the result and then, separately, the notification") {
    if (!op_ok(abi::IORING_OP_SEND_ZC)) {
        RAWRING_SKIP("no IORING_OP_SEND_ZC");
        return;
    }
    loop l;
    if (!open_loop(l)) return;
    tcp_pair tp;
    struct state { int calls = 0; int res = 0; bool more = false; bool notif = false; int order_bad = 0; } s;
    auto cb = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<state*>(t.user());
        ++p->calls;
        if ((c.flags & abi::IORING_CQE_F_NOTIF) != 0) {
            if (p->calls != 2) ++p->order_bad;
            p->notif = true;
        } else {
            if (p->calls != 1) ++p->order_bad;
            p->res = c.res;
            p->more = (c.flags & abi::IORING_CQE_F_MORE) != 0;
        }
    };
    static const char data[] = "zero-copy payload";
    REQUIRE(l.send_zc(tp.client, data, sizeof(data), 0, 0, {cb, &s}) != nullptr);
    REQUIRE(drain(l));
    CHECK(s.res == static_cast<int>(sizeof(data)));
    CHECK(s.more);
    CHECK(s.notif);
    CHECK(s.calls == 2);
    CHECK(s.order_bad == 0);
    char in[64] = {};
    CHECK(::recv(tp.server, in, sizeof(in), 0) == static_cast<ssize_t>(sizeof(data)));
    CHECK(std::string(in) == data);
}

TEST_CASE("loop: poll and splice") {
    loop l;
    if (!open_loop(l)) return;
    pipe_pair a, b;
    seen pl, sp;
    REQUIRE(l.poll(a.read_end, POLLIN, rec(pl)) != nullptr);
    (void)l.run_for(20 * ms_ns, true);
    CHECK(pl.calls == 0);  // nothing to read yet
    REQUIRE(::write(a.write_end, "spliced", 7) == 7);
    REQUIRE(drain(l));
    CHECK(pl.calls == 1);
    CHECK((pl.res & POLLIN) != 0);
    REQUIRE(l.splice(a.read_end, -1, b.write_end, -1, 7, 0, rec(sp)) != nullptr);
    REQUIRE(drain(l));
    CHECK(sp.res == 7);
    char out[8] = {};
    CHECK(::read(b.read_end, out, sizeof(out)) == 7);
    CHECK(str(out, 7) == "spliced");
}

TEST_CASE("loop: a deadline cancels a slow operation and leaks no task") {
    loop l;
    if (!open_loop(l, 8)) return;
    pipe_pair p;
    char buf[8];
    seen r;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(l.read(p.read_end, buf, sizeof(buf), static_cast<std::uint64_t>(-1), rec(r, 50 * ms_ns)) != nullptr);
    CHECK(l.in_flight() == 1);
    REQUIRE(drain(l));
    CHECK(ms_since(t0) >= 45);
    CHECK(r.calls == 1);  // once, after both the read's and the timeout's CQE
    CHECK(r.res == ecanceled);
    CHECK(r.timed_out);
    CHECK(l.in_flight() == 0);
    CHECK(l.raw_ring().cq_ready() == 0);  // the timeout's CQE was consumed too
    // Many in a row: the pool (32) would run dry if one task per round were lost.
    for (int i = 0; i < 100; ++i) {
        REQUIRE(l.read(p.read_end, buf, 1, static_cast<std::uint64_t>(-1), rec(r, 1 * ms_ns)) != nullptr);
        REQUIRE(drain(l));
    }
    CHECK(r.calls == 101);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: a deadline that does not fire leaves the result alone") {
    loop l;
    if (!open_loop(l, 8)) return;
    pipe_pair p;
    REQUIRE(::write(p.write_end, "abc", 3) == 3);
    char buf[8] = {};
    seen r, n;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(l.read(p.read_end, buf, sizeof(buf), static_cast<std::uint64_t>(-1), rec(r, 10'000 * ms_ns)) != nullptr);
    REQUIRE(l.noop(rec(n, 10'000 * ms_ns)) != nullptr);
    REQUIRE(drain(l));
    CHECK(ms_since(t0) < 5000);  // the linked timeouts were cancelled, not waited out
    CHECK(r.res == 3);
    CHECK(str(buf, 3) == "abc");
    CHECK(!r.timed_out);
    CHECK(n.res == 0);
    CHECK(!n.timed_out);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: cancel one task") {
    loop l;
    if (!open_loop(l)) return;
    pipe_pair p;
    char buf[4];
    seen r, other, c;
    task* t = l.read(p.read_end, buf, sizeof(buf), static_cast<std::uint64_t>(-1), rec(r));
    REQUIRE(l.timer(30 * ms_ns, rec(other)) != nullptr);
    REQUIRE(t != nullptr);
    (void)l.run_for(10 * ms_ns, true);  // in the kernel now
    REQUIRE(l.cancel(t, rec(c)) != nullptr);
    REQUIRE(drain(l));
    CHECK(c.res == 0);
    CHECK(r.res == ecanceled);
    CHECK(other.res == 0);  // the timer is untouched
    CHECK(l.in_flight() == 0);
    seen none;
    task* gone = l.noop({});
    REQUIRE(drain(l));
    REQUIRE(l.cancel(gone, rec(none)) != nullptr);  // already done (the pool's task, not in flight)
    REQUIRE(drain(l));
    CHECK(none.res == -ENOENT);
}

TEST_CASE("loop: cancel of a finished task does not touch its reuse") {
    loop l;
    if (!open_loop(l)) return;
    // 1. A handle kept past its operation's last callback: the task now carries a timer.
    seen first, victim, c1;
    rawring::task_ref old = l.noop(rec(first));
    REQUIRE(old);
    CHECK(old.live());
    REQUIRE(drain(l));
    CHECK(first.calls == 1);
    CHECK(!old.live());
    CHECK(old.get()->generation() == old.generation());  // back in the pool, not reused yet
    task* reused = l.timer(60'000 * ms_ns, rec(victim));
    REQUIRE(reused == old.get());  // the pool hands out the task it got back last
    CHECK(reused->generation() == old.generation() + 1);
    CHECK(!old.live());
    REQUIRE(l.cancel(old, rec(c1)) != nullptr);
    (void)l.run_for(20 * ms_ns, false);
    CHECK(c1.calls == 1);
    CHECK(c1.res == -ENOENT);
    CHECK(victim.calls == 0);  // the timer is untouched
    CHECK(l.in_flight() == 1);
    // 2. A cancel queued in a callback while its target's CQE waits later in the same batch:
    // the target completes, and a later callback of the batch takes a task for a new timer
    // before the cancel reaches the kernel. The cancel must not reach the timer.
    struct st {
        task* target = nullptr;
        rawring::task_ref target_ref;
        bool by_ref = false;
        seen cancel, timer, b;
        task* timer_task = nullptr;
    };
    struct fns {
        static void a(loop& lp, task& t, const cqe_t&) {
            auto* p = static_cast<st*>(t.user());
            task* c = p->by_ref ? lp.cancel(p->target_ref, rec(p->cancel)) : lp.cancel(p->target, rec(p->cancel));
            REQUIRE(c != nullptr);
        }
        static void c(loop& lp, task& t, const cqe_t&) {
            auto* p = static_cast<st*>(t.user());
            p->timer_task = lp.timer(60'000 * ms_ns, rec(p->timer));
            REQUIRE(p->timer_task != nullptr);
        }
    };
    for (bool by_ref : {false, true}) {
        CAPTURE(by_ref);
        st s;
        s.by_ref = by_ref;
        REQUIRE(l.noop({fns::a, &s}) != nullptr);
        s.target = l.noop(rec(s.b));
        REQUIRE(s.target != nullptr);
        s.target_ref = s.target;
        REQUIRE(l.noop({fns::c, &s}) != nullptr);
        const auto t0 = std::chrono::steady_clock::now();
        while (s.cancel.calls == 0 && ms_since(t0) < 20000) (void)l.run(run_mode::once);
        REQUIRE(s.cancel.calls == 1);
        CHECK(s.b.calls == 1);
        CHECK(s.b.res == 0);
        CHECK((s.cancel.res == -ENOENT || s.cancel.res == 0));
        if (s.cancel.res == 0) {
            // The target's NOP and the cancel went in different batches: nothing to check.
            MESSAGE("the target had not completed when the cancel reached the kernel");
        }
        (void)l.run_for(20 * ms_ns, false);
        CHECK(s.timer.calls == 0);  // not cancelled
        REQUIRE(s.timer_task != nullptr);
        seen c2;
        REQUIRE(l.cancel(s.timer_task, rec(c2)) != nullptr);
        const auto t1 = std::chrono::steady_clock::now();
        while (s.timer.calls == 0 && ms_since(t1) < 20000) (void)l.run(run_mode::once);
        CHECK(c2.res == 0);
        CHECK(s.timer.res == ecanceled);
    }
    // 3. A task that cancels itself from its last callback: -ENOENT, and its task, reused at
    // once by the next operation, is not touched.
    struct self {
        seen cancel, timer;
        task* timer_task = nullptr;
    } me;
    auto own = [](loop& lp, task& t, const cqe_t&) {
        auto* p = static_cast<self*>(t.user());
        REQUIRE(lp.cancel(&t, rec(p->cancel)) != nullptr);
        p->timer_task = lp.timer(60'000 * ms_ns, rec(p->timer));
    };
    REQUIRE(l.noop({own, &me}) != nullptr);
    const auto t2 = std::chrono::steady_clock::now();
    while (me.cancel.calls == 0 && ms_since(t2) < 20000) (void)l.run(run_mode::once);
    CHECK(me.cancel.res == -ENOENT);
    (void)l.run_for(20 * ms_ns, false);
    CHECK(me.timer.calls == 0);
    // 4. A live handle cancels its operation; an empty handle and a task of another loop get -ENOENT.
    seen c3, c4, c5;
    REQUIRE(me.timer_task != nullptr);
    rawring::task_ref live = me.timer_task;
    CHECK(live.live());
    REQUIRE(l.cancel(live, rec(c3)) != nullptr);
    REQUIRE(l.cancel(rawring::task_ref{}, rec(c4)) != nullptr);
    loop other;
    REQUIRE(open_loop(other, 4));
    seen on_other;
    task* foreign = other.timer(60'000 * ms_ns, rec(on_other));
    REQUIRE(foreign != nullptr);
    REQUIRE(l.cancel(foreign, rec(c5)) != nullptr);
    REQUIRE(l.cancel_all({}) != nullptr);  // the first case's timer
    REQUIRE(drain(l));
    CHECK(c3.res == 0);
    CHECK(me.timer.res == ecanceled);
    CHECK(!live.live());
    CHECK(c4.res == -ENOENT);
    CHECK(c5.res == -ENOENT);
    CHECK(victim.res == ecanceled);
    CHECK(on_other.calls == 0);
    CHECK(l.in_flight() == 0);
    CHECK(other.exit() == 0);
    CHECK(on_other.res == ecanceled);
}

TEST_CASE("loop: cancel all tasks") {
    loop l;
    if (!open_loop(l)) return;
    pipe_pair p;
    char buf[4];
    seen s, c;
    for (int i = 0; i < 5; ++i) REQUIRE(l.timer(10'000 * ms_ns, rec(s)) != nullptr);
    for (int i = 0; i < 3; ++i) REQUIRE(l.read(p.read_end, buf, 1, static_cast<std::uint64_t>(-1), rec(s)) != nullptr);
    REQUIRE(l.poll(p.read_end, POLLIN, rec(s, 10'000 * ms_ns)) != nullptr);
    (void)l.run_for(10 * ms_ns, true);
    CHECK(l.in_flight() == 9);
    REQUIRE(l.cancel_all(rec(c)) != nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(drain(l));
    CHECK(ms_since(t0) < 5000);
    CHECK(s.calls == 9);
    CHECK(c.res >= 9);  // the linked timeout is found too
    for (int v : s.all) CHECK(v == ecanceled);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: cancel by fd") {
    if (!op_ok(abi::IORING_OP_ASYNC_CANCEL)) {
        RAWRING_SKIP("no cancel");
        return;
    }
    loop l;
    if (!open_loop(l)) return;
    pipe_pair a, b;
    char buf[4];
    seen on_a, on_b, c;
    for (int i = 0; i < 3; ++i) REQUIRE(l.read(a.read_end, buf, 1, static_cast<std::uint64_t>(-1), rec(on_a)) != nullptr);
    REQUIRE(l.read(b.read_end, buf + 1, 1, static_cast<std::uint64_t>(-1), rec(on_b)) != nullptr);
    (void)l.run_for(10 * ms_ns, true);
    REQUIRE(l.cancel_fd(a.read_end, rec(c)) != nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    while (on_a.calls < 3 && ms_since(t0) < 10000) (void)l.run(run_mode::once);
    CHECK(c.res == 3);
    CHECK(on_a.calls == 3);
    for (int v : on_a.all) CHECK(v == ecanceled);
    CHECK(on_b.calls == 0);  // the other fd's read is still waiting
    REQUIRE(::write(b.write_end, "z", 1) == 1);
    REQUIRE(drain(l));
    CHECK(on_b.res == 1);
    CHECK(buf[1] == 'z');
}

TEST_CASE("loop: callbacks queue new work and cancel other work") {
    loop l;
    if (!open_loop(l)) return;
    struct state {
        task* victim = nullptr;
        int victim_res = 1;
        int cancel_res = 1;
        int chained = 0;
    } s;
    auto on_victim = [](loop&, task& t, const cqe_t& c) { static_cast<state*>(t.user())->victim_res = c.res; };
    struct chain {
        static void next(loop& lp, task& t, const cqe_t&) {
            auto* p = static_cast<state*>(t.user());
            if (++p->chained < 100) {
                REQUIRE(lp.noop({next, p}) != nullptr);
            } else {
                // the last link cancels the long timer
                REQUIRE(lp.cancel(p->victim, {oncancel, p}) != nullptr);
            }
        }
        static void oncancel(loop&, task& t, const cqe_t& c) { static_cast<state*>(t.user())->cancel_res = c.res; }
    };
    s.victim = l.timer(60'000 * ms_ns, {on_victim, &s});
    REQUIRE(s.victim != nullptr);
    REQUIRE(l.noop({chain::next, &s}) != nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(drain(l));
    CHECK(ms_since(t0) < 10000);
    CHECK(s.chained == 100);
    CHECK(s.cancel_res == 0);
    CHECK(s.victim_res == ecanceled);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: a full SQ is submitted, not an error, and the pool has a fixed size") {
    loop l;
    loop_options o;
    o.tasks = 600;
    if (!open_loop(l, 4, o)) return;
    seen s;
    s.all.reserve(600);
    // 600 NOPs through a 4-entry SQ, none run yet: the loop submits whenever the SQ fills.
    for (int i = 0; i < 600; ++i) REQUIRE(l.noop(rec(s)) != nullptr);
    CHECK(l.in_flight() == 600);
    CHECK(l.noop(rec(s)) == nullptr);  // the pool is empty: nullptr, nothing queued
    CHECK(l.in_flight() == 600);
    REQUIRE(drain(l));
    CHECK(s.calls == 600);
    for (int v : s.all) CHECK(v == 0);
    CHECK(l.in_flight() == 0);
    CHECK(l.queued() == 0);
    CHECK(l.noop(rec(s)) != nullptr);  // tasks are back in the pool
    REQUIRE(drain(l));
    // With deadlines (two SQEs per task) through the same SQ.
    seen d;
    for (int i = 0; i < 300; ++i) REQUIRE(l.noop(rec(d, 10'000 * ms_ns)) != nullptr);
    REQUIRE(drain(l));
    CHECK(d.calls == 300);
    CHECK(d.res == 0);
}

TEST_CASE("loop: a large pool touches its pages only as the load reaches them") {
    loop l;
    loop_options o;
    o.tasks = 8192;  // megabytes of tasks: storage the kernel maps lazily
    if (!open_loop(l, 64, o)) return;
    const long page = ::sysconf(_SC_PAGESIZE);
    // The pool's storage starts at its first task: the first one handed out after init.
    seen s;
    task* first = l.noop(rec(s));
    REQUIRE(first != nullptr);
    REQUIRE(drain(l));
    const auto start = reinterpret_cast<std::uintptr_t>(first) & ~static_cast<std::uintptr_t>(page - 1);
    const std::size_t bytes = sizeof(task) * o.tasks + (reinterpret_cast<std::uintptr_t>(first) - start);
    const std::size_t pages = (bytes + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page);
    std::vector<unsigned char> in(pages);
    auto resident = [&] {
        REQUIRE(::mincore(reinterpret_cast<void*>(start), bytes, in.data()) == 0);
        std::size_t n = 0;
        for (unsigned char c : in) n += c & 1;
        return n;
    };
    // The first 64 tasks are made at init: a few pages of the pool's hundreds.
    const std::size_t at_init = resident();
    CHECK(at_init <= 64 * sizeof(task) / static_cast<std::size_t>(page) + 2);
    // 5,000 operations in flight at once: the pool grows to hold them, every one completes.
    for (int i = 0; i < 5000; ++i) REQUIRE(l.noop(rec(s)) != nullptr);
    CHECK(l.in_flight() == 5000);
    CHECK(resident() >= 5000 * sizeof(task) / static_cast<std::size_t>(page));
    REQUIRE(drain(l));
    CHECK(s.calls == 5001);
    CHECK(s.res == 0);
    // Up to the capacity and no further, as a pool made at init.
    for (unsigned i = 0; i < o.tasks; ++i) REQUIRE(l.noop(rec(s)) != nullptr);
    CHECK(l.noop(rec(s)) == nullptr);
    CHECK(l.in_flight() == o.tasks);
    REQUIRE(drain(l));
    CHECK(s.calls == 5001 + 8192);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: tasks wait in the pending list when even a submit makes no room, each completes once") {
    if (!io_uring_available()) {
        RAWRING_SKIP("io_uring unavailable");
        return;
    }
    rawring::inject::options io;
    io.rate = 0.0;
    io.seed = 12;
    io.register_errors = io.setup_errors = io.mmap_errors = false;
    rawring::inject::injector inj(io);
    REQUIRE(inj.install() == 0);  // before init: it learns the ring has no SQPOLL (short submits)
    loop l;
    loop_options o;
    o.tasks = 400;
    if (!open_loop(l, 4, o)) return;
    pending_list_workload(l, inj);
    CHECK(inj.stats().short_submits > 0);
    CHECK(l.exit() == 0);
}

TEST_CASE("loop: run once, until done, for a duration, and stop") {
    loop l;
    if (!open_loop(l)) return;
    seen a, b;
    REQUIRE(l.timer(20 * ms_ns, rec(a)) != nullptr);
    REQUIRE(l.timer(5000 * ms_ns, rec(b)) != nullptr);
    // once: waits for the first completion only.
    const int r1 = l.run(run_mode::once);
    CHECK(r1 == 1);
    CHECK(a.calls == 1);
    CHECK(b.calls == 0);
    // for: 30 ms pass, the long timer stays.
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(l.run_for(30 * ms_ns) == 0);
    CHECK(ms_since(t0) >= 29);
    CHECK(b.calls == 0);
    // stop from a callback ends run(forever).
    auto stopper = [](loop& lp, task&, const cqe_t&) { lp.stop(); };
    REQUIRE(l.timer(10 * ms_ns, {stopper}) != nullptr);
    CHECK(l.run(run_mode::forever) == 1);
    CHECK(l.in_flight() == 1);
    // stop between runs: the next run returns at once.
    l.stop();
    CHECK(l.run(run_mode::until_done) == 0);
    REQUIRE(l.cancel_all({}) != nullptr);
    CHECK(l.run(run_mode::until_done) == 2);
    CHECK(b.res == ecanceled);
    CHECK(l.run(run_mode::until_done) == 0);  // nothing in flight: returns at once
}

TEST_CASE("loop: run once waits on when the kernel ends its wait with no CQE") {
    // Every TIMEOUT request that fires wakes every waiter on its ring, and its CQE may not be
    // there: a timer's, on a DEFER_TASKRUN ring, is still task work for a moment (seen as a
    // rare run(once) that ran nothing), and one whose success posts none (ETIME_SUCCESS with
    // CQE_SKIP_SUCCESS) never is. The second makes the first happen every time.
    loop l;
    if (!open_loop(l)) return;
    const abi::kernel_timespec short_wait = ms(1);
    const int taken = kernel_result(timeout_by_hand(&short_wait, 0, abi::IORING_TIMEOUT_ETIME_SUCCESS, 1));
    if (taken == -EINVAL) {
        RAWRING_SKIP("the kernel refuses IORING_TIMEOUT_ETIME_SUCCESS (Linux < 5.16)");
        return;
    }
    REQUIRE(taken == -ETIME);
    seen a;
    REQUIRE(l.timer(300 * ms_ns, rec(a)) != nullptr);
    // Queued past the loop, on its ring: it fires after 20 ms and posts nothing. (Its
    // user_data is one the loop drops, should a CQE come after all: its internal kind 0.)
    const abi::kernel_timespec wake = ms(20);
    io_uring_sqe* sqe = l.raw_ring().get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_timeout(sqe, &wake, 0, abi::IORING_TIMEOUT_ETIME_SUCCESS);
    sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = 6;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(l.run(run_mode::once) == 1);
    CHECK(a.calls == 1);
    CHECK(a.res == 0);
    CHECK(ms_since(t0) >= 295);
    CHECK(l.in_flight() == 0);
    CHECK(l.raw_ring().cq_ready() == 0);  // nothing of the skipped TIMEOUT's came
}

TEST_CASE("loop: run_on's answer says 0 when its task last carried a failed operation") {
    // A run_on sent at once (IORING_REGISTER_SEND_MSG_RING) has no CQE of its own: the answer
    // only counts down. Its result must still be 0, whatever the task's previous operation
    // left behind: here, with a pool of one task, a cancel that found nothing (-ENOENT).
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    loop parent;
    loop_options o;
    o.tasks = 1;
    if (!open_loop(parent, 8, o)) return;
    REQUIRE(parent.spawn_thread(1) == 0);
    struct state { int ran = 0; int done_calls = 0; int done_res = 1; std::uint32_t done_flags = 1; } s;
    for (int round = 0; round < 3; ++round) {
        seen c;
        task* first = parent.cancel(rawring::task_ref{}, rec(c));
        REQUIRE(first != nullptr);
        REQUIRE(drain(parent));
        REQUIRE(c.res == -ENOENT);
        s.done_calls = 0;
        auto on_child = [](loop&, task& t, const cqe_t&) { ++static_cast<state*>(t.user())->ran; };
        auto done = [](loop&, task& t, const cqe_t& cqe) {
            auto* p = static_cast<state*>(t.user());
            ++p->done_calls;
            p->done_res = cqe.res;
            p->done_flags = cqe.flags;
        };
        task* again = parent.run_on(parent.thread_loop(0), {on_child, &s, 0, 0}, done);
        REQUIRE(again == first);  // the pool's only task, reused
        REQUIRE(drain(parent));
        CHECK(s.done_calls == 1);
        CHECK(s.done_res == 0);
        CHECK(s.done_flags == 0);
        CHECK(s.ran == round + 1);
    }
    CHECK(parent.exit() == 0);
}

TEST_CASE("loop: msg_value and run_on between two loops on two threads") {
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    loop parent;
    if (!open_loop(parent)) return;
    struct got { std::uint64_t data = 0; std::int32_t res = 0; int n = 0; } g;
    parent.on_message([](loop&, const rawring::message& m, void* u) {
        auto* p = static_cast<got*>(u);
        CHECK(m.what == rawring::message::kind::value);
        p->data = m.data;
        p->res = m.res;
        ++p->n;
    }, &g);
    REQUIRE(parent.spawn_thread(1) == 0);
    CHECK(parent.threads() == 1);
    CHECK(parent.spawn_thread(1) == -EBUSY);
    loop& child = parent.thread_loop(0);
    // A task that runs on the child and answers with a value.
    struct job { loop* back; int ran_on_child = 0; loop* where = nullptr; } j{&parent};
    auto work = [](loop& here, task& t, const cqe_t& c) {
        auto* p = static_cast<job*>(t.user());
        p->where = &here;
        ++p->ran_on_child;
        CHECK(c.res == 0);
        REQUIRE(here.msg_value(*p->back, 12345, 678, {}) != nullptr);
    };
    REQUIRE(parent.run_on(child, {work, &j}) != nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    while ((g.n == 0 || parent.in_flight() != 0) && ms_since(t0) < 20000) (void)parent.run_for(10 * ms_ns, false);
    CHECK(g.n == 1);
    CHECK(g.data == 12345);
    CHECK(g.res == 678);
    CHECK(j.ran_on_child == 1);
    CHECK(j.where == &child);
    CHECK(parent.in_flight() == 0);
    CHECK(parent.exit() == 0);  // joins the child
    CHECK(parent.threads() == 0);
}

TEST_CASE("loop: two threads pass 10,000 round trips over MSG_RING with nothing lost") {
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    loop parent;
    if (!open_loop(parent, 64)) return;
    REQUIRE(parent.spawn_thread(1) == 0);
    constexpr unsigned rounds = 10000;
    struct state {
        loop* parent = nullptr;
        loop* child = nullptr;
        unsigned sent = 0;
        unsigned back = 0;
        unsigned bad = 0;
        unsigned child_ran = 0;  // written on the child only (read after join)
        std::vector<unsigned char> seen_seq;
    } s;
    s.parent = &parent;
    s.child = &parent.thread_loop(0);
    s.seen_seq.assign(rounds, 0);
    struct fns {
        static void on_child(loop& here, task& t, const cqe_t&) {
            auto* p = static_cast<state*>(t.user());
            ++p->child_ran;
            // The answer carries the sequence number the task was sent with.
            REQUIRE(here.msg_value(*p->parent, t.tag(), static_cast<std::int32_t>(t.tag()), {}) != nullptr);
        }
        static void on_back(loop& l, const rawring::message& m, void* u) {
            auto* p = static_cast<state*>(u);
            if (m.data >= rounds || m.res != static_cast<std::int32_t>(m.data) || p->seen_seq[m.data]++ != 0) ++p->bad;
            ++p->back;
            if (p->sent < rounds) {
                REQUIRE(l.run_on(*p->child, {on_child, p, p->sent}) != nullptr);
                ++p->sent;
            }
        }
    };
    parent.on_message(fns::on_back, &s);
    // Eight in flight at once, each answer sends the next.
    for (int i = 0; i < 8; ++i) {
        REQUIRE(parent.run_on(*s.child, {fns::on_child, &s, s.sent}) != nullptr);
        ++s.sent;
    }
    const auto t0 = std::chrono::steady_clock::now();
    while (s.back < rounds && ms_since(t0) < 120000) (void)parent.run_for(50 * ms_ns, false);
    CHECK(s.back == rounds);
    CHECK(s.bad == 0);
    REQUIRE(drain(parent));
    CHECK(parent.exit() == 0);  // joins the child
    CHECK(s.child_ran == rounds);
    unsigned missing = 0;
    for (unsigned char c : s.seen_seq) missing += c != 1;
    CHECK(missing == 0);
}

TEST_CASE("loop: post_value round trips between two threads without tasks or send CQEs") {
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    loop parent;
    if (!open_loop(parent, 64)) return;
    post_value_round_trips(parent, 10000);
}

/// The thread's CPU time in milliseconds.
double thread_cpu_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Waits (sleeping, bounded) until `l`'s thread waits in the kernel.
bool until_waiting(const loop& l) {
    const auto t0 = std::chrono::steady_clock::now();
    while (!l.waiting()) {
        if (ms_since(t0) > 20000) return false;
        ::usleep(1000);
    }
    return true;
}

TEST_CASE("loop: messages to a waiting loop arrive, and the sender still sleeps out its deadline when none answers") {
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    loop parent;
    if (!open_loop(parent, 64)) return;
    CHECK(!parent.waiting());
    // The child counts what it gets and answers only the values it is asked to (odd ones).
    struct state {
        std::atomic<unsigned> got{0};
        std::atomic<std::int32_t> last{-1};
        loop* parent = nullptr;
        unsigned back = 0;
        std::int32_t back_value = 0;
    } s;
    s.parent = &parent;
    REQUIRE(parent.spawn_thread(1, {64, {}, [](loop& child, unsigned, void* u) {
        child.on_message([](loop& here, const rawring::message& m, void* pu) {
            auto* p = static_cast<state*>(pu);
            p->last.store(m.res, std::memory_order_relaxed);
            p->got.fetch_add(1, std::memory_order_release);
            if ((m.res & 1) != 0 && here.post_value(*p->parent, m.data, m.res + 100) != 0) std::abort();
        }, u);
    }, &s}) == 0);
    loop& child = parent.thread_loop(0);
    parent.on_message([](loop& l, const rawring::message& m, void* u) {
        auto* p = static_cast<state*>(u);
        ++p->back;
        p->back_value = m.res;
        l.stop();
    }, &s);
    for (std::int32_t round = 0; round < 3; ++round) {
        CAPTURE(round);
        // No answer comes: the post goes out, and the sender then sleeps for all of its wait.
        REQUIRE(until_waiting(child));
        REQUIRE(parent.post_value(child, 1, 2 * round) == 0);
        const double cpu0 = thread_cpu_ms();
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(parent.run_for(100 * ms_ns, false) == 0);
        CHECK(ms_since(t0) >= 100);
        CHECK(thread_cpu_ms() - cpu0 < 50.0);  // it slept: no loop of enters
        CHECK(!parent.waiting());
        const auto t1 = std::chrono::steady_clock::now();
        while (s.got.load(std::memory_order_acquire) != static_cast<unsigned>(2 * round + 1) && ms_since(t1) < 20000)
            ::usleep(1000);
        CHECK(s.got.load(std::memory_order_acquire) == static_cast<unsigned>(2 * round + 1));
        CHECK(s.last.load(std::memory_order_relaxed) == 2 * round);
        CHECK(s.back == static_cast<unsigned>(round));
        // An answer comes: the loop gets it, whether it came before the sender slept or after.
        REQUIRE(until_waiting(child));
        REQUIRE(parent.post_value(child, 2, 2 * round + 1) == 0);
        const auto t2 = std::chrono::steady_clock::now();
        while (s.back == static_cast<unsigned>(round) && ms_since(t2) < 20000) (void)parent.run_for(50 * ms_ns, false);
        CHECK(s.back == static_cast<unsigned>(round + 1));
        CHECK(s.back_value == 2 * round + 1 + 100);
    }
    CHECK(parent.post_failures() == 0);
    CHECK(parent.in_flight() == 0);
    CHECK(parent.exit() == 0);
    CHECK(s.got.load(std::memory_order_acquire) == 6);
}

TEST_CASE("loop: a message goes out within the call when nothing is queued ahead of it (a post only to a waiting loop)") {
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    // IORING_REGISTER_SEND_MSG_RING (6.13) aimed at fd -1: -EBADF from a kernel that knows the
    // op, -EINVAL (an op past its last) from one that does not. Without it every message is an
    // SQE, as before.
    // Asked by the raw register call (the loop's own path must not decide what is tested), and
    // rawring's wrapper must answer the same.
    abi::io_uring_sqe probe{};
    rawring::prep_msg_ring(&probe, -1, 0, 0, 0);
    const int raw = rawring::sys::register_(-1, abi::IORING_REGISTER_SEND_MSG_RING, &probe, 1);
    CHECK(rawring::register_sync_msg(&probe) == raw);
    const bool at_once = raw == -EBADF;
    CAPTURE(at_once);
    loop parent;
    if (!open_loop(parent, 64)) return;
    // The child keeps the values in the order they come (run_on's work adds its tag, + 1000).
    struct state {
        std::atomic<unsigned> got{0};
        std::int32_t values[8] = {};
        std::atomic<unsigned> ran{0};
        int sent_res = 1;
        int done_res = 1;
        unsigned done = 0;
    } s;
    REQUIRE(parent.spawn_thread(1, {64, {}, [](loop& child, unsigned, void* u) {
        child.on_message([](loop&, const rawring::message& m, void* pu) {
            auto* p = static_cast<state*>(pu);
            const unsigned n = p->got.load(std::memory_order_relaxed);
            if (n < 8) p->values[n] = m.res;
            p->got.store(n + 1, std::memory_order_release);
        }, u);
    }, &s}) == 0);
    loop& child = parent.thread_loop(0);
    auto until_got = [&](unsigned n) {
        const auto t0 = std::chrono::steady_clock::now();
        while (s.got.load(std::memory_order_acquire) < n && ms_since(t0) < 20000) ::usleep(1000);
        return s.got.load(std::memory_order_acquire) == n;
    };
    const rawring::ring& r = parent.raw_ring();
    // 1. Nothing queued here: the post goes out within the call (no SQE), and arrives while
    //    this loop never enters the kernel.
    REQUIRE(until_waiting(child));
    REQUIRE(parent.post_value(child, 1, 10) == 0);
    CHECK(r.sq_ready() == (at_once ? 0u : 1u));
    if (!at_once) CHECK(parent.run(run_mode::once) == 0);  // submits it
    CHECK(until_got(1));
    CHECK(s.values[0] == 10);
    // 2. Something queued here: the post queues behind it, and nothing reaches the child until
    //    this loop submits (the kernel has neither SQE yet).
    REQUIRE(parent.noop({}) != nullptr);
    REQUIRE(until_waiting(child));
    REQUIRE(parent.post_value(child, 2, 20) == 0);
    CHECK(r.sq_ready() == 2);
    ::usleep(20000);
    CHECK(s.got.load(std::memory_order_acquire) == 1);
    CHECK(parent.run(run_mode::until_done) == 1);
    CHECK(until_got(2));
    CHECK(s.values[1] == 20);
    // 3. msg_value: sent within the call, its task completes (res 0) at the next step.
    REQUIRE(until_waiting(child));
    auto sent = [](loop&, task& t, const cqe_t& c) { static_cast<state*>(t.user())->sent_res = c.res; };
    REQUIRE(parent.msg_value(child, 3, 30, {sent, &s}) != nullptr);
    CHECK(r.sq_ready() == (at_once ? 0u : 1u));
    CHECK(parent.in_flight() == 1);
    CHECK(s.sent_res == 1);  // not before the loop runs
    CHECK(parent.run(run_mode::until_done) == 1);
    CHECK(s.sent_res == 0);
    CHECK(until_got(3));
    CHECK(s.values[2] == 30);
    // 4. run_on: the work runs there, and its answer comes back here.
    REQUIRE(until_waiting(child));
    auto work = [](loop&, task& t, const cqe_t&) {
        static_cast<state*>(t.user())->ran.fetch_add(1, std::memory_order_release);
    };
    auto done = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<state*>(t.user());
        p->done_res = c.res;
        ++p->done;
    };
    REQUIRE(parent.run_on(child, {work, &s}, done) != nullptr);
    CHECK(r.sq_ready() == (at_once ? 0u : 1u));
    const auto t0 = std::chrono::steady_clock::now();
    while (s.done == 0 && ms_since(t0) < 20000) (void)parent.run_for(50 * ms_ns, false);
    CHECK(s.done == 1);
    CHECK(s.done_res == 0);
    CHECK(s.ran.load(std::memory_order_acquire) == 1);
    // 5. A deadline needs its linked timeout: that message is an SQE (and its timeout) always.
    REQUIRE(until_waiting(child));
    s.sent_res = 1;
    REQUIRE(parent.msg_value(child, 4, 40, {sent, &s, 0, 5000 * ms_ns}) != nullptr);
    CHECK(r.sq_ready() == 2);
    CHECK(parent.run(run_mode::until_done) == 2);  // the message's CQE and its timeout's
    CHECK(s.sent_res == 0);
    CHECK(until_got(4));
    CHECK(s.values[3] == 40);
    // 6. A loop that is not waiting (on this thread, not running): a post to it is queued, to
    //    go out with this loop's next enter; a task's message goes out within the call, since
    //    its SQE would have a CQE that ends that enter's wait at once.
    loop idle;
    if (!open_loop(idle, 8)) return;
    std::int32_t idle_got[4] = {};
    unsigned idle_n = 0;
    struct idle_state { std::int32_t* got; unsigned* n; } is{idle_got, &idle_n};
    idle.on_message([](loop&, const rawring::message& m, void* u) {
        auto* p = static_cast<idle_state*>(u);
        if (*p->n < 4) p->got[*p->n] = m.res;
        ++*p->n;
    }, &is);
    REQUIRE(parent.post_value(idle, 5, 50) == 0);
    CHECK(r.sq_ready() == 1);
    CHECK(parent.run(run_mode::once) == 0);  // submits it
    CHECK(idle.run(run_mode::once) == 1);
    CHECK(idle_n == 1);
    CHECK(idle_got[0] == 50);
    s.sent_res = 1;
    REQUIRE(parent.msg_value(idle, 6, 60, {sent, &s}) != nullptr);
    CHECK(r.sq_ready() == (at_once ? 0u : 1u));
    CHECK(parent.run(run_mode::until_done) == 1);
    CHECK(s.sent_res == 0);
    CHECK(idle.run(run_mode::once) == 1);
    CHECK(idle_n == 2);
    CHECK(idle_got[1] == 60);
    // Several task messages to a busy loop in one step: the first goes at once, the next
    // queue behind it (one enter for them all, not a syscall each), and all arrive in order.
    unsigned sent_n = 0;
    auto count_sent = [](loop&, task& t, const cqe_t& c) {
        if (c.res == 0) ++*static_cast<unsigned*>(t.user());
    };
    for (std::int32_t v = 70; v < 73; ++v) REQUIRE(parent.msg_value(idle, 7, v, {count_sent, &sent_n}) != nullptr);
    CHECK(r.sq_ready() == (at_once ? 2u : 3u));
    CHECK(parent.run(run_mode::until_done) == 3);
    CHECK(sent_n == 3);
    idle_n = 0;
    CHECK(idle.run(run_mode::once) == 3);
    CHECK(idle_n == 3);
    CHECK(idle_got[0] == 70);
    CHECK(idle_got[1] == 71);
    CHECK(idle_got[2] == 72);
    CHECK(idle.exit() == 0);
    CHECK(parent.post_failures() == 0);
    CHECK(parent.in_flight() == 0);
    CHECK(parent.exit() == 0);
    CHECK(s.got.load(std::memory_order_acquire) == 4);
}

TEST_CASE("loop: four threads pass work and fds over MSG_RING") {
    if (!op_ok(abi::IORING_OP_MSG_RING) || !op_ok(abi::IORING_OP_FIXED_FD_INSTALL))
        {
        RAWRING_SKIP("no MSG_RING or FIXED_FD_INSTALL");
        return;
    }
    loop parent;
    loop_options po;
    po.registered_files = 16;
    if (!open_loop(parent, 64, po)) return;
    constexpr unsigned kids = 3;
    constexpr unsigned rounds = 10000;  // work round trips through the three children
    constexpr unsigned fd_rounds = 600; // fds passed to a child, used and closed there
    struct kid {
        unsigned ran = 0;
        unsigned fds_used = 0;
        unsigned bad = 0;
    };
    struct state {
        loop* parent = nullptr;
        loop* child[kids] = {};
        kid k[kids];
        unsigned back = 0, sent = 0, fd_back = 0, fd_sent = 0, bad = 0;
        pipe_pair pipe;
        char fd_buf[kids][4] = {};
    } s;
    s.parent = &parent;
    // The fd that travels: the read end of a pipe, in the parent's slot 0.
    REQUIRE(parent.set_file(0, s.pipe.read_end) == 0);
    struct fns {
        // Work: hops child 0 -> 1 -> 2 (run_on each time), then the last answers the parent.
        static void hop(loop& here, task& t, const cqe_t&) {
            auto* p = static_cast<state*>(t.user());
            unsigned idx = 0;
            while (idx < kids && p->child[idx] != &here) ++idx;
            if (idx == kids) return;
            ++p->k[idx].ran;
            // The task belongs to its sender; a hop is a new task of this loop.
            if (idx + 1 < kids) REQUIRE(here.run_on(*p->child[idx + 1], {hop, p, t.tag()}) != nullptr);
            else REQUIRE(here.msg_value(*p->parent, t.tag(), 1, {}) != nullptr);
        }
        // fds: a child gets a slot, installs it as a plain fd, reads the byte the parent wrote,
        // closes both, answers.
        static void on_child_msg(loop& here, const rawring::message& m, void* u) {
            auto* p = static_cast<state*>(u);
            unsigned idx = 0;
            while (idx < kids && p->child[idx] != &here) ++idx;
            if (m.what != rawring::message::kind::fd || m.res < 0 || idx == kids) {
                if (idx < kids) ++p->k[idx].bad;
                return;
            }
            REQUIRE(here.install_fixed(static_cast<unsigned>(m.res),
                                       {installed, p, static_cast<std::uint32_t>(m.res), 0}) != nullptr);
        }
        static unsigned index_of(state* p, loop& here) {
            unsigned idx = 0;
            while (idx < kids && p->child[idx] != &here) ++idx;
            return idx;
        }
        static void installed(loop& here, task& t, const cqe_t& c) {
            auto* p = static_cast<state*>(t.user());
            const unsigned idx = index_of(p, here);
            if (c.res < 0) return (void)++p->k[idx].bad;
            REQUIRE(here.close_fixed(t.tag(), {}) != nullptr);
            REQUIRE(here.read(c.res, p->fd_buf[idx], 1, static_cast<std::uint64_t>(-1),
                              {read_done, p, static_cast<std::uint32_t>(c.res)}) != nullptr);
        }
        static void read_done(loop& here, task& t, const cqe_t& c) {
            auto* p = static_cast<state*>(t.user());
            const unsigned idx = index_of(p, here);
            if (c.res != 1 || p->fd_buf[idx][0] != 'f') ++p->k[idx].bad;
            ++p->k[idx].fds_used;
            REQUIRE(here.close(static_cast<int>(t.tag()), {}) != nullptr);
            REQUIRE(here.msg_value(*p->parent, 0, 2, {}) != nullptr);
        }
        static void on_parent_msg(loop& l, const rawring::message& m, void* u) {
            auto* p = static_cast<state*>(u);
            if (m.res == 1) {
                ++p->back;
                if (p->sent < rounds) REQUIRE(l.run_on(*p->child[0], {hop, p, p->sent++}) != nullptr);
            } else if (m.res == 2) {
                ++p->fd_back;
                send_fd(l, p);
            } else {
                ++p->bad;
            }
        }
        static void send_fd(loop& l, state* p) {
            if (p->fd_sent >= fd_rounds) return;
            // One byte per fd sent: the child that gets the fd reads it.
            REQUIRE(::write(p->pipe.write_end, "f", 1) == 1);
            loop& to = *p->child[p->fd_sent % kids];
            ++p->fd_sent;
            REQUIRE(l.send_fd(to, 0, p->fd_sent, {sent_fd, p}) != nullptr);
        }
        static void sent_fd(loop&, task& t, const cqe_t& c) {
            if (c.res < 0) ++static_cast<state*>(t.user())->bad;
        }
        static void start(loop& child, unsigned, void* u) { child.on_message(on_child_msg, u); }
    };
    rawring::thread_options to;
    to.options.registered_files = 16;
    to.on_start = fns::start;
    to.user = &s;
    REQUIRE(parent.spawn_thread(kids, to) == 0);
    for (unsigned i = 0; i < kids; ++i) s.child[i] = &parent.thread_loop(i);
    // child[] is read by the children only from messages sent after this point.
    parent.on_message(fns::on_parent_msg, &s);
    for (int i = 0; i < 6; ++i) REQUIRE(parent.run_on(*s.child[0], {fns::hop, &s, s.sent++}) != nullptr);
    for (int i = 0; i < 3; ++i) fns::send_fd(parent, &s);
    const auto t0 = std::chrono::steady_clock::now();
    while ((s.back < rounds || s.fd_back < fd_rounds) && ms_since(t0) < 180000) (void)parent.run_for(50 * ms_ns);
    CHECK(s.back == rounds);
    CHECK(s.fd_back == fd_rounds);
    CHECK(s.bad == 0);
    REQUIRE(drain(parent));
    CHECK(parent.exit() == 0);
    unsigned ran = 0, used = 0;
    for (const kid& k : s.k) {
        CHECK(k.ran == rounds);
        CHECK(k.bad == 0);
        ran += k.ran;
        used += k.fds_used;
    }
    CHECK(ran == kids * rounds);
    CHECK(used == fd_rounds);
    char rest;
    CHECK(::fcntl(s.pipe.read_end, F_SETFL, O_NONBLOCK) == 0);
    CHECK(::read(s.pipe.read_end, &rest, 1) == -1);  // every byte was read by a child
}

TEST_CASE("loop: shutdown cancels everything in flight on every thread and waits for every CQE") {
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    constexpr unsigned kids = 2;
    struct state {
        std::atomic<int> started{0};
        int cancelled[kids + 1] = {};
        int other[kids + 1] = {};
        pipe_pair pipes[kids + 1];
    };
    auto* s = new state;
    struct fns {
        static void done(loop&, task& t, const cqe_t& c) {
            auto* p = static_cast<state*>(t.user());
            if (c.res == ecanceled) ++p->cancelled[t.tag()];
            else ++p->other[t.tag()];
        }
        static void arm(loop& l, unsigned idx, state* p) {
            static char buf[kids + 1][4];
            for (int i = 0; i < 4; ++i) REQUIRE(l.timer(600'000 * ms_ns, {done, p, idx}) != nullptr);
            REQUIRE(l.read(p->pipes[idx].read_end, buf[idx], 1, static_cast<std::uint64_t>(-1), {done, p, idx}) != nullptr);
            REQUIRE(l.poll(p->pipes[idx].read_end, POLLIN, {done, p, idx, 600'000 * ms_ns}) != nullptr);
        }
        static void start(loop& child, unsigned i, void* u) {
            auto* p = static_cast<state*>(u);
            arm(child, i + 1, p);
            (void)child.submit();
            p->started.fetch_add(1);
        }
    };
    {
        loop parent;
        if (!open_loop(parent)) {
            delete s;
            return;
        }
        rawring::thread_options to;
        to.on_start = fns::start;
        to.user = s;
        REQUIRE(parent.spawn_thread(kids, to) == 0);
        fns::arm(parent, 0, s);
        const auto t0 = std::chrono::steady_clock::now();
        while (s->started.load() < static_cast<int>(kids) && ms_since(t0) < 20000) (void)parent.run_for(5 * ms_ns, false);
        CHECK(parent.in_flight() == 6);
        const auto t1 = std::chrono::steady_clock::now();
        CHECK(parent.exit() == 0);
        CHECK(ms_since(t1) < 30000);
        CHECK(parent.in_flight() == 0);
        CHECK(parent.noop({}) == nullptr);  // torn down
    }
    for (unsigned i = 0; i <= kids; ++i) {
        CHECK(s->cancelled[i] == 6);  // every task ran its callback, once, with -ECANCELED
        CHECK(s->other[i] == 0);
    }
    delete s;
}

TEST_CASE("loop: no heap allocation after init") {
    loop l;
    loop_options o;
    o.tasks = 256;
    if (!open_loop(l, 64, o)) return;
    pipe_pair p;
    struct counts {
        unsigned started = 0;
        unsigned done = 0;
        unsigned bad = 0;
        unsigned cancelled = 0;
        int rfd = -1;
        int wfd = -1;
        char byte = 'x';
        char in[64] = {};
    } c;
    c.rfd = p.read_end;
    c.wfd = p.write_end;
    constexpr unsigned total = 100000;
    struct fns {
        // Each completion queues the next operation of a mix: a noop, a noop with a deadline,
        // a write to a pipe followed by a read of it, a timer, now and then a timer cancelled.
        static void next(loop& l, task& t, const cqe_t& cqe) {
            auto* k = static_cast<counts*>(t.user());
            ++k->done;
            const unsigned kind = t.tag();
            if ((kind == 0 || kind == 1 || kind == 3) && cqe.res != 0) ++k->bad;
            if ((kind == 2 || kind == 4) && cqe.res != 1) ++k->bad;
            if (k->started >= total) return;
            ++k->started;
            task* n = nullptr;
            if (kind == 2) {
                n = l.read(k->rfd, k->in, 1, static_cast<std::uint64_t>(-1), {next, k, 4, 10'000'000'000});
            } else if (k->started % 97 == 0) {
                task* victim = l.timer(60'000'000'000, {victim_done, k, 9});
                n = victim != nullptr ? l.cancel(victim, {next, k, 0}) : nullptr;
            } else {
                switch (k->started % 4) {
                case 0: n = l.noop({next, k, 0}); break;
                case 1: n = l.noop({next, k, 1, 1'000'000'000}); break;
                case 2: n = l.write(k->wfd, &k->byte, 1, static_cast<std::uint64_t>(-1), {next, k, 2}); break;
                default: n = l.timer(1000, {next, k, 3}); break;
                }
            }
            if (n == nullptr) ++k->bad;
        }
        static void victim_done(loop&, task& t, const cqe_t& cqe) {
            auto* k = static_cast<counts*>(t.user());
            if (cqe.res == ecanceled) ++k->cancelled;
            else ++k->bad;
        }
    };
    // Warm up once (first-time paths of the kernel and libc, outside the loop's hands).
    REQUIRE(l.noop({}) != nullptr);
    REQUIRE(drain(l));
#ifdef RAWRING_TEST_COUNT_MALLOC
    {
        // The malloc hook itself works: a malloc, a calloc and a realloc are seen.
        const unsigned long m0 = g_mallocs.load();
        void* volatile p = std::malloc(24);
        void* volatile q = std::calloc(2, 8);
        p = std::realloc(p, 4096);
        std::free(p);
        std::free(q);
        CHECK(g_mallocs.load() - m0 == 3);
    }
#else
    MESSAGE("malloc, calloc and realloc are not counted here (a sanitizer owns malloc): operator new only");
#endif
    const unsigned long before = rawring_test::new_calls.load();
    const unsigned long mallocs_before = g_mallocs.load();
    for (int i = 0; i < 32; ++i) {
        ++c.started;
        (void)l.noop({fns::next, &c, 0});
    }
    const int r = l.run_for(120'000 * ms_ns, true);
    const unsigned long after = rawring_test::new_calls.load();
    const unsigned long mallocs_after = g_mallocs.load();
    CHECK(r > 0);
    CHECK(c.started == total);
    CHECK(c.done >= total);
    CHECK(c.cancelled > 500);  // about one in 130 operations
    CHECK(c.bad == 0);
    CHECK(after - before == 0);            // operator new
    CHECK(mallocs_after - mallocs_before == 0);  // malloc, calloc, realloc (0 = 0 where not counted)
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: random work, cancels and deadlines run every callback exactly once and leave the pool whole") {
    // Random operations (noop, timers, pipe reads with and without deadlines, writes, polls, a
    // multishot recv over a buffer group, cancels of one task, by fd and of all, messages to
    // itself) whose callbacks issue more and cancel others, on a small ring and pool (the SQ
    // fills, the CQ overflows), under each setup init can choose.
    struct config { const char* name; setup_choice defer, coop; };
    const config configs[] = {{"automatic (DEFER_TASKRUN where taken)", setup_choice::automatic, setup_choice::automatic},
                              {"COOP_TASKRUN", setup_choice::forbid, setup_choice::automatic},
                              {"plain", setup_choice::forbid, setup_choice::forbid}};
    std::uint64_t seed = 0x10e5;
    for (const config& cf : configs) {
        INFO("setup: " << std::string(cf.name));
        loop l;
        loop_options o;
        o.tasks = 24;
        o.track_fds = 4096;
        o.cq_entries = 16;
        o.defer_taskrun = cf.defer;
        o.coop_taskrun = cf.coop;
        if (!open_loop(l, 8, o)) continue;
        random_work::run_random(l, seed++, 1500, op_ok(abi::IORING_OP_RECV));
    }
}

TEST_CASE("loop: random work between threads runs every task exactly once on its target, with its answer") {
    // The parent sends two children run_on tasks (with and without an answer, some with a
    // deadline on the send), values by msg_value and post_value, and cancels some of what it
    // sent; the children's callbacks post back and start work of their own.
    if (!op_ok(abi::IORING_OP_MSG_RING)) {
        RAWRING_SKIP("no MSG_RING");
        return;
    }
    struct config { const char* name; setup_choice defer; };
    const config configs[] = {{"automatic (DEFER_TASKRUN where taken)", setup_choice::automatic},
                              {"COOP_TASKRUN", setup_choice::forbid}};
    std::uint64_t seed = 0x7a5c;
    for (const config& cf : configs) {
        INFO("setup: " << std::string(cf.name));
        loop parent;
        loop_options o;
        o.tasks = 32;
        o.defer_taskrun = cf.defer;
        if (!open_loop(parent, 16, o)) continue;
        random_threads::run(parent, seed++, 1200, cf.defer);
    }
}

TEST_CASE("loop: random work under injected system-call faults still runs every callback exactly once") {
    // The same, with a tenth of the io_uring calls failing as the kernel may make them fail
    // (-EAGAIN, -EBUSY, -EINTR, short submits, failed register calls): the loop retries, and
    // nothing is lost or run twice.
    loop l;
    loop_options o;
    o.tasks = 24;
    o.track_fds = 4096;
    o.cq_entries = 16;
    if (!open_loop(l, 8, o)) return;
    random_work::run_random(l, 0xfa17, 1500, op_ok(abi::IORING_OP_RECV), 0.1);
}

} // TEST_SUITE kernel

// =================================================================================================
// The mock io_uring
// =================================================================================================

TEST_SUITE("mock") {

TEST_CASE("loop: mock runs noop, timers, read/write and open/close as the kernel does") {
    rawring::mock::scope mock;
    loop l;
    loop_options o;
    o.track_fds = 4096;
    REQUIRE(l.init(16, o) == 0);
    CHECK(mock->owns(l.ring_fd()));
    CHECK((l.setup_flags() & abi::IORING_SETUP_DEFER_TASKRUN) != 0);
    // Timers in order, on the virtual clock (no real time passes).
    std::vector<int> order;
    auto fired = [](loop&, task& t, const cqe_t& c) {
        CHECK(c.res == 0);
        static_cast<std::vector<int>*>(t.user())->push_back(static_cast<int>(t.tag()));
    };
    for (std::uint32_t ms : {50u, 10u, 30u}) REQUIRE(l.timer(ms * ms_ns, {fired, &order, ms}) != nullptr);
    seen n;
    REQUIRE(l.noop(rec(n)) != nullptr);
    const std::uint64_t v0 = mock->now();
    REQUIRE(drain(l));
    CHECK(order == std::vector<int>{10, 30, 50});
    CHECK(mock->now() - v0 >= 50 * ms_ns);
    CHECK(n.res == 0);
    // open -> write -> read -> close, performed by the mock on real files.
    temp_dir d;
    const std::string path = d.at("f");
    seen op, w, r, cl;
    REQUIRE(l.open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644, rec(op)) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(op.res >= 0);
    CHECK(l.fds().open == 1);
    REQUIRE(l.write(op.res, "mocked", 6, 0, rec(w)) != nullptr);
    REQUIRE(drain(l));
    char buf[8] = {};
    REQUIRE(l.read(op.res, buf, 6, 0, rec(r)) != nullptr);
    REQUIRE(drain(l));
    CHECK(w.res == 6);
    CHECK(r.res == 6);
    CHECK(str(buf, 6) == "mocked");
    REQUIRE(l.close(op.res, rec(cl)) != nullptr);
    REQUIRE(drain(l));
    CHECK(cl.res == 0);
    CHECK(d.read("f") == "mocked");
    CHECK(l.fds().balanced());
    CHECK(l.exit() == 0);
    CHECK(mock->leftovers().empty());
}

TEST_CASE("loop: mock exit of an idle loop makes no system call, and submits what is queued") {
    rawring::mock::scope mock;
    {
        loop l;
        REQUIRE(l.init(16) == 0);
        seen n;
        REQUIRE(l.noop(rec(n)) != nullptr);
        REQUIRE(drain(l));
        CHECK(n.res == 0);
        const std::uint64_t calls = mock->calls();
        CHECK(l.exit() == 0);
        CHECK(mock->calls() == calls);  // nothing to cancel: no enter
        CHECK(!l.is_open());
    }
    {
        // A post queued and not yet submitted still goes out at exit.
        loop from, to;
        REQUIRE(from.init(16) == 0);
        REQUIRE(to.init(16) == 0);
        unsigned got = 0;
        to.on_message([](loop&, const rawring::message& m, void* u) {
            if (m.data == 7 && m.res == 8) ++*static_cast<unsigned*>(u);
        }, &got);
        REQUIRE(from.post_value(to, 7, 8) == 0);
        const std::uint64_t calls = mock->calls();
        CHECK(from.exit() == 0);
        CHECK(mock->calls() > calls);
        (void)to.run(rawring::run_mode::once);
        CHECK(got == 1);
        CHECK(to.exit() == 0);
    }
    CHECK(mock->leftovers().empty());
}

TEST_CASE("loop: mock a wait that finds a CQE already in the CQ makes no system call") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(16) == 0);
    seen n;
    REQUIRE(l.noop(rec(n)) != nullptr);
    // Submitted behind the loop's back: the NOP's CQE is in the CQ before the loop looks.
    REQUIRE(l.raw_ring().submit() == 1);
    REQUIRE(l.raw_ring().cq_ready() == 1);
    const std::uint64_t calls = mock->calls();
    CHECK(l.run(run_mode::once) == 1);
    CHECK(mock->calls() == calls);  // no enter: nothing to submit, nothing to wait for
    CHECK(n.res == 0);
    CHECK(l.in_flight() == 0);
    CHECK(l.exit() == 0);
    CHECK(mock->leftovers().empty());
}

TEST_CASE("loop: mock read_fixed and write_fixed through a registered buffer") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(16) == 0);
    CHECK(mock->owns(l.ring_fd()));
    temp_file f;
    fixed_buffer_rw(l, f.fd);
    CHECK(l.exit() == 0);
    CHECK(mock->leftovers().empty());
}

TEST_CASE("loop: mock post_send sends with no task and no CQE, and counts the sends that fail") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(16) == 0);
    CHECK(mock->owns(l.ring_fd()));
    // The mock does not perform sends: this handler does, on the real socket, and checks what
    // post_send asked for.
    unsigned sends = 0, bad_flags = 0;
    mock->on(abi::IORING_OP_SEND, [&](const rawring::mock::request& rq) {
        ++sends;
        if ((rq.sqe.flags & abi::IOSQE_CQE_SKIP_SUCCESS) == 0 || (rq.sqe.msg_flags & MSG_WAITALL) == 0) ++bad_flags;
        const ssize_t n = ::send(rq.sqe.fd, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(rq.sqe.addr)),
                                 rq.sqe.len, static_cast<int>(rq.sqe.msg_flags | MSG_DONTWAIT));
        return rawring::mock::action::now(n >= 0 ? static_cast<std::int32_t>(n) : -errno);
    });
    post_send_checks(l);
    CHECK(sends == 5);
    CHECK(bad_flags == 0);
    CHECK(l.exit() == 0);
    CHECK(mock->leftovers().empty());
}

TEST_CASE("loop: mock per-operation handlers drive a connect state machine") {
    rawring::mock::scope mock;
    loop l;
    loop_options o;
    o.track_fds = 4096;
    REQUIRE(l.init(16, o) == 0);
    rawring::loop_mock lm(*mock, l);
    int sock_fd = ::eventfd(0, EFD_CLOEXEC);  // stands in for the socket: a real fd to close
    REQUIRE(sock_fd >= 0);
    struct tally { int sockets = 0, connects = 0, sends = 0, recvs = 0; std::string sent; } tl;
    lm.on(loop_op::tcp_connect, [&](task&, const rawring::mock::request& rq) {
        if (rq.opcode == abi::IORING_OP_SOCKET) {
            ++tl.sockets;
            return rawring::mock::action::now(sock_fd);
        }
        ++tl.connects;
        return rawring::mock::action::now(0);
    });
    lm.on(loop_op::send, [&](task&, const rawring::mock::request& rq) {
        ++tl.sends;
        tl.sent.assign(reinterpret_cast<const char*>(static_cast<std::uintptr_t>(rq.sqe.addr)), rq.sqe.len);
        return rawring::mock::action::now(static_cast<std::int32_t>(rq.sqe.len));
    });
    lm.on(loop_op::recv, [&](task&, const rawring::mock::request& rq) {
        ++tl.recvs;
        std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(rq.sqe.addr)), "pong", 4);
        return rawring::mock::action::now(4);
    });
    struct machine { int fd = -1; int step = 0; char buf[8] = {}; int err = 0; } m;
    struct steps {
        static void connected(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res < 0) return (void)(s->err = c.res);
            s->fd = c.res;
            s->step = 1;
            REQUIRE(lp.send(s->fd, "ping", 4, 0, {sent, s}) != nullptr);
        }
        static void sent(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res != 4) return (void)(s->err = c.res);
            s->step = 2;
            REQUIRE(lp.recv(s->fd, s->buf, sizeof(s->buf), 0, {received, s}) != nullptr);
        }
        static void received(loop& lp, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            if (c.res != 4) return (void)(s->err = c.res);
            s->step = 3;
            REQUIRE(lp.close(s->fd, {closed, s}) != nullptr);
        }
        static void closed(loop&, task& t, const cqe_t& c) {
            auto* s = static_cast<machine*>(t.user());
            s->step = c.res == 0 ? 4 : -1;
        }
    };
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(9);
    REQUIRE(l.tcp_connect(reinterpret_cast<sockaddr*>(&addr), sizeof(addr), SOCK_STREAM, {steps::connected, &m}) != nullptr);
    REQUIRE(drain(l));
    CHECK(m.err == 0);
    CHECK(m.step == 4);
    CHECK(m.fd == sock_fd);
    CHECK(str(m.buf, 4) == "pong");
    CHECK(tl.sockets == 1);
    CHECK(tl.connects == 1);
    CHECK(tl.sends == 1);
    CHECK(tl.recvs == 1);
    CHECK(tl.sent == "ping");
    CHECK(::fcntl(sock_fd, F_GETFD) == -1);  // the mock closed it for real
    CHECK(lm.fds().balanced());
    // A refused connect: the helper closes the socket it made and reports the error.
    int sock2 = ::eventfd(0, EFD_CLOEXEC);
    lm.on(loop_op::tcp_connect, [&](task&, const rawring::mock::request& rq) {
        if (rq.opcode == abi::IORING_OP_SOCKET) return rawring::mock::action::now(sock2);
        if (rq.opcode == abi::IORING_OP_CONNECT) return rawring::mock::action::now(-ECONNREFUSED);
        return rawring::mock::action::by_default();  // the close
    });
    seen refused;
    REQUIRE(l.tcp_connect(reinterpret_cast<sockaddr*>(&addr), sizeof(addr), SOCK_STREAM, rec(refused)) != nullptr);
    REQUIRE(drain(l));
    CHECK(refused.res == -ECONNREFUSED);
    CHECK(::fcntl(sock2, F_GETFD) == -1);
    CHECK(lm.fds().balanced());
}

TEST_CASE("loop: mock holds tasks and completes them in the order the test says") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(16) == 0);
    rawring::loop_mock lm(*mock, l);
    lm.hold(loop_op::read);
    std::vector<int> order;
    auto cb = [](loop&, task& t, const cqe_t& c) {
        CHECK(c.res == static_cast<int>(t.tag()));
        static_cast<std::vector<int>*>(t.user())->push_back(static_cast<int>(t.tag()));
    };
    char buf[4];
    task* t[3];
    for (unsigned i = 0; i < 3; ++i) {
        t[i] = l.read(0, buf, 1, 0, {cb, &order, 10 + i});
        REQUIRE(t[i] != nullptr);
    }
    REQUIRE(l.submit() >= 0);
    CHECK(l.run_for(5 * ms_ns, false) == 0);  // held: nothing completes
    CHECK(mock->in_flight(l.ring_fd()) == 3);
    CHECK(lm.complete(t[2], 12) == 0);
    CHECK(lm.complete(t[0], 10) == 0);
    REQUIRE(l.run(run_mode::once) == 2);
    CHECK(lm.complete(t[1], 11) == 0);
    REQUIRE(drain(l));
    CHECK(order == std::vector<int>{12, 10, 11});
    CHECK(lm.complete(t[1], 0) == -ENOENT);
}

TEST_CASE("loop: mock completion order reversed passes through to the mock") {
    rawring::mock::options mo;
    mo.completion_order = rawring::mock::order::reversed;
    rawring::mock::scope mock(mo);
    loop l;
    REQUIRE(l.init(16) == 0);
    std::vector<int> order;
    auto cb = [](loop&, task& t, const cqe_t&) {
        static_cast<std::vector<int>*>(t.user())->push_back(static_cast<int>(t.tag()));
    };
    for (std::uint32_t i = 0; i < 4; ++i) REQUIRE(l.noop({cb, &order, i}) != nullptr);
    REQUIRE(drain(l));
    CHECK(order == std::vector<int>{3, 2, 1, 0});
}

TEST_CASE("loop: mock fd check finds a leaked fd and a double close") {
    rawring::mock::options mo;
    mo.report_at_exit = false;
    rawring::mock::scope mock(mo);
    loop l;
    loop_options o;
    o.track_fds = 4096;
    REQUIRE(l.init(16, o) == 0);
    rawring::loop_mock lm(*mock, l);
    temp_dir d;
    const std::string a = d.at("a"), b = d.at("b");
    seen oa, ob, c1, c2;
    REQUIRE(l.open(a.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644, rec(oa)) != nullptr);
    REQUIRE(l.open(b.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644, rec(ob)) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(oa.res >= 0);
    REQUIRE(ob.res >= 0);
    CHECK(lm.fds().open == 2);
    REQUIRE(l.close(oa.res, rec(c1)) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(l.close(oa.res, rec(c2)) != nullptr);  // again
    REQUIRE(drain(l));
    CHECK(c1.res == 0);
    CHECK(c2.res == -EBADF);
    const rawring::fd_balance fb = lm.fds();
    CHECK(fb.open == 1);        // b leaked
    CHECK(fb.closed_twice == 1); // a closed twice
    CHECK(!fb.balanced());
    CHECK(!mock->leftovers().never_closed.empty());  // the mock sees the leak too
    ::close(ob.res);
}

TEST_CASE("loop: mock deadlines and cancel") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(16) == 0);
    rawring::loop_mock lm(*mock, l);
    lm.hold(loop_op::recv);  // never completes on its own
    char buf[4];
    seen r, cancelled, c;
    REQUIRE(l.recv(5, buf, sizeof(buf), 0, rec(r, 20 * ms_ns)) != nullptr);
    REQUIRE(drain(l));
    CHECK(r.res == ecanceled);
    CHECK(r.timed_out);
    CHECK(r.calls == 1);
    // The recv answers at once: its deadline never fires and the result stands.
    lm.on(loop_op::recv, [](task&, const rawring::mock::request&) { return rawring::mock::action::now(3); });
    seen ok;
    REQUIRE(l.recv(5, buf, sizeof(buf), 0, rec(ok, 20 * ms_ns)) != nullptr);
    REQUIRE(drain(l));
    CHECK(ok.res == 3);
    CHECK(!ok.timed_out);
    // cancel one held task
    lm.hold(loop_op::recv);
    task* t = l.recv(5, buf, sizeof(buf), 0, rec(cancelled));
    REQUIRE(t != nullptr);
    REQUIRE(l.submit() >= 0);
    REQUIRE(l.cancel(t, rec(c)) != nullptr);
    REQUIRE(drain(l));
    CHECK(c.res == 0);
    CHECK(cancelled.res == ecanceled);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: mock multishot accept and recv with buffer recycling end exactly once") {
    rawring::mock::scope mock;
    loop l;
    loop_options o;
    o.track_fds = 4096;
    REQUIRE(l.init(16, o) == 0);
    rawring::loop_mock lm(*mock, l);
    constexpr unsigned nbuf = 2, bufsz = 16;
    std::vector<std::byte> mem(nbuf * bufsz);
    rawring::buffer_group g;
    REQUIRE(g.init(l.raw_ring(), 1, std::span<std::byte>(mem), bufsz, nbuf) == 0);
    const std::uint16_t tail0 = std::atomic_ref<std::uint16_t>(g.buf_ring()->tail).load();
    // recv: 6 arrivals through 2 buffers (alternating ids), then the end.
    int shots = 0;
    lm.on(loop_op::recv_multishot, [&](task&, const rawring::mock::request&) {
        const unsigned bid = static_cast<unsigned>(shots % 2);
        rawring::mock::completion c;
        if (shots == 6) {
            c.res = 0;
            c.more = false;
        } else {
            std::memcpy(mem.data() + bid * bufsz, "data", 4);
            c.res = 4;
            c.flags = abi::IORING_CQE_F_BUFFER | (bid << abi::IORING_CQE_BUFFER_SHIFT);
            c.more = true;
        }
        ++shots;
        return rawring::mock::action::post(c);
    });
    struct st { rawring::buffer_group* g = nullptr; int data = 0, ends = 0; std::string got; } s;
    s.g = &g;
    auto cb = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<st*>(t.user());
        if (c.res > 0) {
            auto b = p->g->get(c);
            p->got.append(reinterpret_cast<const char*>(b.data()), b.size());
            ++p->data;
        }
        if ((c.flags & abi::IORING_CQE_F_MORE) == 0) ++p->ends;
    };
    REQUIRE(l.recv_multishot(7, g, 0, {cb, &s}) != nullptr);
    REQUIRE(drain(l));
    CHECK(s.data == 6);
    CHECK(s.ends == 1);
    CHECK(s.got == "datadatadatadatadatadata");
    // Each of the six buffers went back to the ring: its tail moved by six.
    CHECK(static_cast<std::uint16_t>(std::atomic_ref<std::uint16_t>(g.buf_ring()->tail).load() - tail0) == 6);
    // accept: three connections (real fds), then it ends.
    int fds[3] = {::eventfd(0, EFD_CLOEXEC), ::eventfd(0, EFD_CLOEXEC), ::eventfd(0, EFD_CLOEXEC)};
    int n = 0;
    lm.on(loop_op::accept_multishot, [&](task&, const rawring::mock::request&) {
        rawring::mock::completion c;
        if (n < 3) {
            c.res = fds[n];
            c.more = true;
        } else {
            c.res = ecanceled;
        }
        ++n;
        return rawring::mock::action::post(c);
    });
    struct ac { int got = 0, ends = 0; int fds[3]; } a;
    auto on_acc = [](loop& lp, task& t, const cqe_t& c) {
        auto* p = static_cast<ac*>(t.user());
        if (c.res >= 0) {
            p->fds[p->got++] = c.res;
            REQUIRE(lp.close(c.res, {}) != nullptr);
        }
        if ((c.flags & abi::IORING_CQE_F_MORE) == 0) ++p->ends;
    };
    REQUIRE(l.accept_multishot(9, 0, {on_acc, &a}) != nullptr);
    REQUIRE(drain(l));
    CHECK(a.got == 3);
    CHECK(a.ends == 1);
    CHECK(lm.fds().balanced());
    for (int fd : fds) CHECK(::fcntl(fd, F_GETFD) == -1);
}

TEST_CASE("loop: mock send_zc handler posts the result and the notification") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(16) == 0);
    rawring::loop_mock lm(*mock, l);
    int calls = 0;
    lm.on(loop_op::send_zc, [&](task&, const rawring::mock::request& rq) {
        rawring::mock::completion c;
        if (calls++ == 0) {
            c.res = static_cast<std::int32_t>(rq.sqe.len);
            c.more = true;
        } else {
            c.flags = abi::IORING_CQE_F_NOTIF;
        }
        return rawring::mock::action::post(c);
    });
    struct st { int n = 0; int res = 0; bool notif = false; } s;
    auto cb = [](loop&, task& t, const cqe_t& c) {
        auto* p = static_cast<st*>(t.user());
        ++p->n;
        if ((c.flags & abi::IORING_CQE_F_NOTIF) != 0) p->notif = true;
        else p->res = c.res;
    };
    REQUIRE(l.send_zc(3, "abcdef", 6, 0, 0, {cb, &s}) != nullptr);
    REQUIRE(drain(l));
    CHECK(s.n == 2);
    CHECK(s.res == 6);
    CHECK(s.notif);
}

TEST_CASE("loop: mock stat and lstat through a statx handler") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(8) == 0);
    rawring::loop_mock lm(*mock, l);
    struct asked { std::string path; std::uint32_t flags = 0, mask = 0; int dfd = 0; int calls = 0; } q;
    lm.on(loop_op::statx, [&](task&, const rawring::mock::request& rq) {
        ++q.calls;
        q.path = reinterpret_cast<const char*>(static_cast<std::uintptr_t>(rq.sqe.addr));
        q.flags = rq.sqe.statx_flags;
        q.mask = rq.sqe.len;
        q.dfd = rq.sqe.fd;
        if (q.path == "/missing") return rawring::mock::action::now(-ENOENT);
        auto* out = reinterpret_cast<struct statx*>(static_cast<std::uintptr_t>(rq.sqe.off));
        const bool nofollow = (rq.sqe.statx_flags & AT_SYMLINK_NOFOLLOW) != 0;
        out->stx_mask = rq.sqe.len;
        out->stx_mode = nofollow ? (S_IFLNK | 0777) : (S_IFREG | 0644);
        out->stx_size = nofollow ? 4 : 1234;
        return rawring::mock::action::now(0);
    });
    struct statx sx {}, lsx {}, none {};
    seen st, lst, bad;
    REQUIRE(l.stat("/some/link", &sx, rec(st)) != nullptr);
    REQUIRE(drain(l));
    CHECK(st.res == 0);
    CHECK(q.path == "/some/link");
    CHECK(q.flags == 0);
    CHECK(q.mask == 0x7ffu);  // STATX_BASIC_STATS
    CHECK(q.dfd == AT_FDCWD);
    CHECK(S_ISREG(sx.stx_mode));
    CHECK(sx.stx_size == 1234);
    REQUIRE(l.lstat("/some/link", &lsx, rec(lst)) != nullptr);
    REQUIRE(drain(l));
    CHECK(lst.res == 0);
    CHECK(q.flags == AT_SYMLINK_NOFOLLOW);
    CHECK(S_ISLNK(lsx.stx_mode));
    CHECK(lsx.stx_size == 4);
    REQUIRE(l.statx(7, "rel", AT_EMPTY_PATH, STATX_SIZE, &none, rec(bad)) != nullptr);
    REQUIRE(drain(l));
    CHECK(q.dfd == 7);
    CHECK(q.flags == AT_EMPTY_PATH);
    CHECK(q.mask == STATX_SIZE);
    REQUIRE(l.stat("/missing", &none, rec(bad)) != nullptr);
    REQUIRE(drain(l));
    CHECK(bad.res == -ENOENT);
    CHECK(bad.calls == 2);
    CHECK(q.calls == 4);
    CHECK(l.in_flight() == 0);
}

TEST_CASE("loop: mock poll, performed by the mock and through a handler") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(8) == 0);
    pipe_pair p;
    seen pl;
    // The mock's own POLL_ADD: it waits until the pipe has data.
    REQUIRE(l.poll(p.read_end, POLLIN, rec(pl)) != nullptr);
    REQUIRE(l.submit() >= 0);
    CHECK(l.run_for(5 * ms_ns, false) == 0);
    CHECK(pl.calls == 0);
    REQUIRE(::write(p.write_end, "x", 1) == 1);
    REQUIRE(drain(l));
    CHECK(pl.calls == 1);
    CHECK((pl.res & POLLIN) != 0);
    // A handler: the mask the loop asked for, and the events it answers with.
    rawring::loop_mock lm(*mock, l);
    std::uint32_t mask = 0;
    int fd = -1;
    lm.on(loop_op::poll, [&](task&, const rawring::mock::request& rq) {
        mask = rq.sqe.poll32_events;
        fd = rq.sqe.fd;
        return rawring::mock::action::now(POLLOUT | POLLHUP);
    });
    seen h;
    REQUIRE(l.poll(42, POLLOUT | POLLRDHUP, rec(h)) != nullptr);
    REQUIRE(drain(l));
    CHECK(h.res == (POLLOUT | POLLHUP));
    CHECK(mask == static_cast<std::uint32_t>(POLLOUT | POLLRDHUP));
    CHECK(fd == 42);
}

TEST_CASE("loop: mock splice through a handler that splices") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(8) == 0);
    rawring::loop_mock lm(*mock, l);
    pipe_pair a, b;
    struct asked { int in = -1, out = -1; std::uint64_t off_in = 0, off_out = 0; unsigned len = 0, flags = 0; } q;
    lm.on(loop_op::splice, [&](task&, const rawring::mock::request& rq) {
        q.in = rq.sqe.splice_fd_in;
        q.out = rq.sqe.fd;
        q.off_in = rq.sqe.splice_off_in;
        q.off_out = rq.sqe.off;
        q.len = rq.sqe.len;
        q.flags = rq.sqe.splice_flags;
        const ssize_t n = ::splice(q.in, nullptr, q.out, nullptr, q.len, q.flags);
        return rawring::mock::action::now(n < 0 ? -errno : static_cast<std::int32_t>(n));
    });
    REQUIRE(::write(a.write_end, "spliced", 7) == 7);
    seen sp;
    REQUIRE(l.splice(a.read_end, -1, b.write_end, -1, 7, SPLICE_F_NONBLOCK, rec(sp)) != nullptr);
    REQUIRE(drain(l));
    CHECK(sp.res == 7);
    CHECK(q.in == a.read_end);
    CHECK(q.out == b.write_end);
    CHECK(q.off_in == static_cast<std::uint64_t>(-1));
    CHECK(q.off_out == static_cast<std::uint64_t>(-1));
    CHECK(q.len == 7);
    CHECK(q.flags == SPLICE_F_NONBLOCK);
    char out[8] = {};
    CHECK(::read(b.read_end, out, sizeof(out)) == 7);
    CHECK(str(out, 7) == "spliced");
    // Nothing left to splice: the handler's -EAGAIN reaches the callback.
    seen empty;
    REQUIRE(l.splice(a.read_end, -1, b.write_end, -1, 7, SPLICE_F_NONBLOCK, rec(empty)) != nullptr);
    REQUIRE(drain(l));
    CHECK(empty.res == -EAGAIN);
}

TEST_CASE("loop: mock socket, accept and send, fds balanced") {
    rawring::mock::options mo;
    mo.report_at_exit = false;
    rawring::mock::scope mock(mo);
    loop l;
    loop_options o;
    o.track_fds = 4096;
    REQUIRE(l.init(16, o) == 0);
    rawring::loop_mock lm(*mock, l);
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    owned_fd peer(sv[1]);
    struct asked { int domain = 0, type = 0, protocol = 0; int accept_fd = -1; std::uint32_t accept_flags = 0;
                   int send_fd = -1; std::uint32_t msg_flags = 0; } q;
    lm.on(loop_op::socket, [&](task&, const rawring::mock::request& rq) {
        q.domain = rq.sqe.fd;
        q.type = static_cast<int>(rq.sqe.off);
        q.protocol = static_cast<int>(rq.sqe.len);
        return rawring::mock::action::now(sv[0]);  // the "new socket": one end of a real pair
    });
    lm.on(loop_op::accept, [&](task&, const rawring::mock::request& rq) {
        q.accept_fd = rq.sqe.fd;
        q.accept_flags = rq.sqe.accept_flags;
        return rawring::mock::action::now(::eventfd(0, EFD_CLOEXEC));  // a real fd to close
    });
    lm.on(loop_op::send, [&](task&, const rawring::mock::request& rq) {
        q.send_fd = rq.sqe.fd;
        q.msg_flags = rq.sqe.msg_flags;
        const ssize_t n = ::send(rq.sqe.fd, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(rq.sqe.addr)),
                                 rq.sqe.len, static_cast<int>(rq.sqe.msg_flags));
        return rawring::mock::action::now(n < 0 ? -errno : static_cast<std::int32_t>(n));
    });
    seen so, ac, se;
    REQUIRE(l.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP, rec(so)) != nullptr);
    REQUIRE(l.accept(3, nullptr, nullptr, SOCK_CLOEXEC, rec(ac)) != nullptr);
    REQUIRE(drain(l));
    CHECK(so.res == sv[0]);
    CHECK(q.domain == AF_INET6);
    CHECK(q.type == (SOCK_STREAM | SOCK_NONBLOCK));
    CHECK(q.protocol == IPPROTO_TCP);
    REQUIRE(ac.res >= 0);
    CHECK(q.accept_fd == 3);
    CHECK(q.accept_flags == static_cast<std::uint32_t>(SOCK_CLOEXEC));
    CHECK(lm.fds().open == 2);
    REQUIRE(l.send(so.res, "hello", 5, MSG_NOSIGNAL, rec(se)) != nullptr);
    REQUIRE(drain(l));
    CHECK(se.res == 5);
    CHECK(q.send_fd == sv[0]);
    CHECK(q.msg_flags == static_cast<std::uint32_t>(MSG_NOSIGNAL));
    char in[8] = {};
    CHECK(::recv(peer, in, sizeof(in), 0) == 5);
    CHECK(str(in, 5) == "hello");
    CHECK(!lm.fds().balanced());
    seen c1, c2;
    REQUIRE(l.close(so.res, rec(c1)) != nullptr);
    REQUIRE(l.close(ac.res, rec(c2)) != nullptr);
    REQUIRE(drain(l));
    CHECK(c1.res == 0);
    CHECK(c2.res == 0);
    CHECK(::fcntl(sv[0], F_GETFD) == -1);
    CHECK(::fcntl(ac.res, F_GETFD) == -1);
    CHECK(lm.fds().balanced());
    CHECK(lm.fds().untracked == 0);
}

TEST_CASE("loop: mock accept_poll_first follows the kernel's answer to the probe") {
    // The mock stands for a kernel that knows IORING_ACCEPT_POLL_FIRST (the probe, an accept of
    // fd -1, fails with -EBADF) and for one that does not (-EINVAL); the mock itself has no
    // accept (-EOPNOTSUPP), which must read as "no flag" too.
    for (const int answer : {-EBADF, -EINVAL, 0}) {
        CAPTURE(answer);
        rawring::mock::options mo;
        mo.report_at_exit = false;
        rawring::mock::scope mock(mo);
        struct asked { int probes = 0; std::uint16_t probe_ioprio = 0; std::vector<std::uint16_t> ioprio; } q;
        if (answer != 0) {
            mock->on(abi::IORING_OP_ACCEPT, [&](const rawring::mock::request& rq) {
                if (rq.sqe.fd == -1) {
                    ++q.probes;
                    q.probe_ioprio = rq.sqe.ioprio;
                    return rawring::mock::action::now(answer);
                }
                q.ioprio.push_back(rq.sqe.ioprio);
                return rawring::mock::action::now(::eventfd(0, EFD_CLOEXEC));
            });
        }
        loop l;
        loop_options o;
        o.track_fds = 4096;
        REQUIRE(l.init(16, o) == 0);
        const int want = answer == -EBADF ? abi::IORING_ACCEPT_POLL_FIRST : 0;
        seen a1, a2, m1;
        REQUIRE(l.accept(3, nullptr, nullptr, SOCK_CLOEXEC, rec(a1)) != nullptr);
        CHECK(l.accept_flags() == want);  // the answer was in the CQ when accept returned
        REQUIRE(l.accept_multishot(3, SOCK_CLOEXEC, rec(m1)) != nullptr);
        REQUIRE(l.accept(3, nullptr, nullptr, SOCK_CLOEXEC, rec(a2)) != nullptr);
        REQUIRE(drain(l));
        CHECK(l.accept_flags() == want);
        if (answer == 0) {
            CHECK(a1.res == -EOPNOTSUPP);
            CHECK(a2.res == -EOPNOTSUPP);
            CHECK(m1.res == -EOPNOTSUPP);
            continue;
        }
        CHECK(q.probes == 1);  // asked once, by the first accept
        CHECK(q.probe_ioprio == abi::IORING_ACCEPT_POLL_FIRST);
        REQUIRE(q.ioprio.size() == 3);
        CHECK(q.ioprio[0] == want);
        CHECK(q.ioprio[1] == (want | abi::IORING_ACCEPT_MULTISHOT));
        CHECK(q.ioprio[2] == want);
        // Each callback ran once, with its own accept's result; the probe's CQE ran none.
        CHECK(a1.calls == 1);
        CHECK(a2.calls == 1);
        CHECK(m1.calls == 1);
        for (const seen* s : {&a1, &a2, &m1}) {
            REQUIRE(s->res >= 0);
            CHECK(::close(s->res) == 0);
        }
    }
}

TEST_CASE("loop: mock an accept whose CQE says more connections wait lets the next one go without POLL_FIRST") {
    rawring::mock::options mo;
    mo.report_at_exit = false;
    rawring::mock::scope mock(mo);
    // Listener 3 has two connections queued, then none; listener 4 always has none waiting.
    struct asked { std::vector<std::pair<int, std::uint16_t>> sqes; int left = 2; } q;
    mock->on(abi::IORING_OP_ACCEPT, [&](const rawring::mock::request& rq) {
        if (rq.sqe.fd == -1) return rawring::mock::action::now(-EBADF);  // the probe: the flag is known
        q.sqes.emplace_back(rq.sqe.fd, rq.sqe.ioprio);
        if (rq.sqe.fd == 3 && q.left > 0) {
            --q.left;
            return rawring::mock::action::now(::eventfd(0, EFD_CLOEXEC), q.left > 0 ? abi::IORING_CQE_F_SOCK_NONEMPTY : 0);
        }
        return rawring::mock::action::now(::eventfd(0, EFD_CLOEXEC));
    });
    loop l;
    loop_options o;
    o.track_fds = 4096;
    REQUIRE(l.init(16, o) == 0);
    const std::uint16_t pf = abi::IORING_ACCEPT_POLL_FIRST;
    std::vector<seen> s(6);
    // 3 (more waiting), then 4 (its own listener: the flag), 3 (without), 3 (none waited: the
    // flag again).
    REQUIRE(l.accept(3, nullptr, nullptr, 0, rec(s[0])) != nullptr);
    REQUIRE(drain(l));
    CHECK(s[0].flags == abi::IORING_CQE_F_SOCK_NONEMPTY);
    REQUIRE(l.accept(4, nullptr, nullptr, 0, rec(s[1])) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(l.accept(3, nullptr, nullptr, 0, rec(s[2])) != nullptr);
    REQUIRE(drain(l));
    CHECK(s[2].flags == 0);
    REQUIRE(l.accept(3, nullptr, nullptr, 0, rec(s[3])) != nullptr);
    REQUIRE(drain(l));
    // More waiting again; a multishot keeps the flag (the kernel retries a multishot itself while
    // connections wait), and the single accept after it goes without.
    q.left = 2;
    REQUIRE(l.accept(3, nullptr, nullptr, 0, rec(s[4])) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(l.accept_multishot(3, 0, rec(s[5])) != nullptr);
    REQUIRE(drain(l));
    // A failed accept forgets the queue: its CQE says nothing of it.
    mock->on(abi::IORING_OP_ACCEPT, [&](const rawring::mock::request& rq) {
        q.sqes.emplace_back(rq.sqe.fd, rq.sqe.ioprio);
        return rawring::mock::action::now(-ECONNABORTED);
    });
    seen f1, f2;
    REQUIRE(l.accept(3, nullptr, nullptr, 0, rec(f1)) != nullptr);
    REQUIRE(drain(l));
    REQUIRE(l.accept(3, nullptr, nullptr, 0, rec(f2)) != nullptr);
    REQUIRE(drain(l));
    CHECK(f1.res == -ECONNABORTED);
    CHECK(f2.res == -ECONNABORTED);

    const std::vector<std::pair<int, std::uint16_t>> expect{
        {3, pf}, {4, pf}, {3, 0}, {3, pf}, {3, pf}, {3, pf | abi::IORING_ACCEPT_MULTISHOT}, {3, 0}, {3, pf}};
    CHECK(q.sqes == expect);
    for (const seen& x : s) {
        CHECK(x.calls == 1);
        REQUIRE(x.res >= 0);
        REQUIRE(l.close(x.res, {}) != nullptr);
    }
    REQUIRE(drain(l));
    CHECK(l.fds().balanced());
}

TEST_CASE("loop: mock send_fd between two loops and install_fixed, fds balanced") {
    rawring::mock::scope mock;
    loop a, b;
    loop_options oa, ob;
    oa.registered_files = 4;
    ob.registered_files = 2;
    ob.track_fds = 4096;
    REQUIRE(a.init(8, oa) == 0);
    REQUIRE(b.init(8, ob) == 0);
    pipe_pair p;
    REQUIRE(a.set_file(1, p.read_end) == 0);
    struct got { std::vector<rawring::message> m; } g;
    b.on_message([](loop&, const rawring::message& m, void* u) { static_cast<got*>(u)->m.push_back(m); }, &g);
    seen s1, s2, s3;
    REQUIRE(a.send_fd(b, 1, 41, rec(s1)) != nullptr);
    REQUIRE(a.send_fd(b, 1, 42, rec(s2)) != nullptr);
    REQUIRE(drain(a));
    REQUIRE(b.run_for(5 * ms_ns, false) >= 0);
    CHECK(s1.res == 0);
    CHECK(s2.res == 0);
    REQUIRE(g.m.size() == 2);
    CHECK(g.m[0].what == rawring::message::kind::fd);
    CHECK(g.m[0].data == 41);
    CHECK(g.m[1].data == 42);
    CHECK(g.m[0].res != g.m[1].res);  // two free slots of b's table
    for (const auto& m : g.m) CHECK((m.res == 0 || m.res == 1));
    // b's table is full now: the third send fails on the sender's side, b sees nothing.
    REQUIRE(a.send_fd(b, 1, 43, rec(s3)) != nullptr);
    REQUIRE(drain(a));
    (void)b.run_for(5 * ms_ns, false);
    CHECK(s3.res == -ENFILE);
    CHECK(g.m.size() == 2);
    // install_fixed on b: the slot the message named becomes a plain fd (the mock does not
    // perform FIXED_FD_INSTALL: the handler stands in, with a real fd of the same pipe).
    rawring::loop_mock lm(*mock, b);
    int slot_asked = -1;
    std::uint8_t sqe_flags = 0;
    lm.on(loop_op::install_fixed, [&](task&, const rawring::mock::request& rq) {
        slot_asked = rq.sqe.fd;
        sqe_flags = rq.sqe.flags;
        return rawring::mock::action::now(::fcntl(p.read_end, F_DUPFD_CLOEXEC, 0));
    });
    seen in, rd, cl, cf;
    REQUIRE(b.install_fixed(static_cast<unsigned>(g.m[0].res), rec(in)) != nullptr);
    REQUIRE(drain(b));
    CHECK(slot_asked == g.m[0].res);
    CHECK((sqe_flags & abi::IOSQE_FIXED_FILE) != 0);
    REQUIRE(in.res >= 0);
    CHECK(b.fds().open == 1);
    REQUIRE(::write(p.write_end, "f", 1) == 1);
    char c = 0;
    REQUIRE(b.read(in.res, &c, 1, static_cast<std::uint64_t>(-1), rec(rd)) != nullptr);
    REQUIRE(drain(b));
    CHECK(rd.res == 1);
    CHECK(c == 'f');
    REQUIRE(b.close(in.res, rec(cl)) != nullptr);
    REQUIRE(b.close_fixed(static_cast<unsigned>(g.m[0].res), rec(cf)) != nullptr);
    REQUIRE(drain(b));
    CHECK(cl.res == 0);
    CHECK(cf.res == 0);
    CHECK(b.fds().balanced());
    CHECK(::fcntl(in.res, F_GETFD) == -1);
}

TEST_CASE("loop: mock pending list under injected enter faults, each task completes once") {
    rawring::mock::scope mock;
    rawring::inject::options io;
    io.rate = 0.0;
    io.seed = 5;
    io.register_errors = io.setup_errors = io.mmap_errors = false;
    rawring::inject::injector inj(io);
    REQUIRE(inj.install() == 0);  // wraps the mock
    loop l;
    loop_options o;
    o.tasks = 400;
    REQUIRE(l.init(4, o) == 0);
    pending_list_workload(l, inj);
    CHECK(inj.stats().short_submits > 0);
    CHECK(l.exit() == 0);
    CHECK(mock->leftovers().empty());
}

TEST_CASE("loop: mock cancel of a finished task does not touch its reuse") {
    rawring::mock::scope mock;
    loop l;
    REQUIRE(l.init(8) == 0);
    rawring::loop_mock lm(*mock, l);
    seen first, victim, c1, c2;
    rawring::task_ref old = l.noop(rec(first));
    REQUIRE(drain(l));
    lm.hold(loop_op::read);
    char buf[1];
    task* reused = l.read(0, buf, 1, 0, rec(victim));
    REQUIRE(reused == old.get());
    REQUIRE(l.submit() >= 0);
    REQUIRE(l.cancel(old, rec(c1)) != nullptr);
    (void)l.run_for(5 * ms_ns, false);
    CHECK(c1.res == -ENOENT);
    CHECK(victim.calls == 0);
    CHECK(mock->in_flight(l.ring_fd()) == 1);  // the held read, untouched
    REQUIRE(l.cancel(reused, rec(c2)) != nullptr);
    REQUIRE(drain(l));
    CHECK(c2.res == 0);
    CHECK(victim.res == ecanceled);
}

TEST_CASE("loop: mock post_value round trips between two threads") {
    rawring::mock::scope mock;
    loop parent;
    REQUIRE(parent.init(32) == 0);
    post_value_round_trips(parent, 2000);
}

TEST_CASE("loop: mock threads pass values and tasks over MSG_RING") {
    rawring::mock::scope mock;
    loop parent;
    REQUIRE(parent.init(32) == 0);
    REQUIRE(parent.spawn_thread(2) == 0);
    constexpr unsigned rounds = 2000;
    struct state { loop* parent; unsigned back = 0, sent = 0, bad = 0; unsigned ran[2] = {}; } s{&parent};
    struct fns {
        static void work(loop& here, task& t, const cqe_t&) {
            auto* p = static_cast<state*>(t.user());
            const unsigned idx = &here == &p->parent->thread_loop(0) ? 0 : 1;
            ++p->ran[idx];
            REQUIRE(here.msg_value(*p->parent, t.tag(), static_cast<std::int32_t>(idx), {}) != nullptr);
        }
        static void back(loop& l, const rawring::message& m, void* u) {
            auto* p = static_cast<state*>(u);
            if (m.what != rawring::message::kind::value) ++p->bad;
            ++p->back;
            if (p->sent < rounds) {
                REQUIRE(l.run_on(l.thread_loop(p->sent % 2), {work, p, p->sent}) != nullptr);
                ++p->sent;
            }
        }
    };
    parent.on_message(fns::back, &s);
    for (int i = 0; i < 4; ++i) {
        REQUIRE(parent.run_on(parent.thread_loop(s.sent % 2), {fns::work, &s, s.sent}) != nullptr);
        ++s.sent;
    }
    const auto t0 = std::chrono::steady_clock::now();
    while (s.back < rounds && ms_since(t0) < 60000) (void)parent.run_for(20 * ms_ns);
    CHECK(s.back == rounds);
    CHECK(s.bad == 0);
    REQUIRE(drain(parent));
    CHECK(parent.exit() == 0);
    CHECK(s.ran[0] + s.ran[1] == rounds);
    CHECK(s.ran[0] == rounds / 2);
}

TEST_CASE("loop: mock random work, cancels and deadlines run every callback exactly once and leave the pool whole") {
    rawring::mock::scope mock;
    loop l;
    loop_options o;
    o.tasks = 24;
    o.track_fds = 4096;
    o.cq_entries = 16;
    REQUIRE(l.init(8, o) == 0);
    REQUIRE(mock->owns(l.ring_fd()));
    // The mock performs no socket I/O by default (a test would give RECV a handler): no recv.
    random_work::run_random(l, 0x10e5, 1500, false);
}

TEST_CASE("loop: mock random work between threads runs every task exactly once on its target, with its answer") {
    rawring::mock::scope mock;
    loop parent;
    loop_options o;
    o.tasks = 32;
    REQUIRE(parent.init(16, o) == 0);
    random_threads::run(parent, 0x7a5c, 1200, setup_choice::automatic);
}

} // TEST_SUITE mock
