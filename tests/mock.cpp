// SPDX-License-Identifier: MIT
// Tests of the mock io_uring itself (rawring/mock.hpp), driven through rawring's public API as
// a user would: layout, links, drain, skip-success, multishot, overflow, the virtual clock,
// completion order, handlers, the leak report, real I/O, registration and pass-through.
#include <poll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "common.hpp"
#include "rawring/mock.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;
namespace mock = rawring::mock;

namespace {

mock::options quiet() {
    mock::options o;
    o.report_at_exit = false;
    return o;
}

io_uring_sqe* nop(rawring::ring& r, std::uint64_t data, std::uint8_t flags = 0) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop(sqe);
    rawring::sqe_set_data64(sqe, data);
    sqe->flags |= flags;
    return sqe;
}

/// A NOP that completes with `res` (IORING_NOP_INJECT_RESULT).
io_uring_sqe* nop_res(rawring::ring& r, std::uint64_t data, int res, std::uint8_t flags = 0) {
    io_uring_sqe* sqe = nop(r, data, flags);
    sqe->nop_flags = abi::IORING_NOP_INJECT_RESULT;
    sqe->len = static_cast<std::uint32_t>(res);
    return sqe;
}

/// An opcode the mock does not perform, for handlers to own.
constexpr std::uint8_t handled_op = abi::IORING_OP_FADVISE;

io_uring_sqe* handled(rawring::ring& r, std::uint64_t data, std::uint8_t flags = 0) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_fadvise(sqe, 0, 0, 0, 0);
    rawring::sqe_set_data64(sqe, data);
    sqe->flags |= flags;
    return sqe;
}

/// Every CQE ready now, consumed.
std::vector<io_uring_cqe> take(rawring::ring& r) {
    std::vector<io_uring_cqe> out;
    io_uring_cqe* cqe = nullptr;
    while (r.peek_cqe(&cqe) == 0) {
        out.push_back(*cqe);
        r.cqe_seen(cqe);
    }
    return out;
}

std::map<std::uint64_t, io_uring_cqe> by_data(const std::vector<io_uring_cqe>& v) {
    std::map<std::uint64_t, io_uring_cqe> m;
    for (const io_uring_cqe& c : v) m[c.user_data] = c;
    return m;
}

std::vector<std::uint64_t> datas(const std::vector<io_uring_cqe>& v) {
    std::vector<std::uint64_t> d;
    for (const io_uring_cqe& c : v) d.push_back(c.user_data);
    return d;
}

struct pipe_fds {
    int rd = -1, wr = -1;
    pipe_fds() {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        rd = p[0];
        wr = p[1];
    }
    ~pipe_fds() {
        if (rd >= 0) ::close(rd);
        if (wr >= 0) ::close(wr);
    }
};

std::uint32_t sq_flags(const rawring::ring& r) {
    return std::atomic_ref<std::uint32_t>(*r.sq().kflags).load(std::memory_order_relaxed);
}

} // namespace

TEST_SUITE("mock") {

TEST_CASE("mock: setup lays the rings out as the kernel does") {
    struct want {
        std::uint32_t flags;
        std::uint32_t array;  // sq_off.array the kernel gives 8 entries with these flags
    };
    const want cases[] = {{0, 320}, {abi::IORING_SETUP_NO_SQARRAY, 0}, {abi::IORING_SETUP_CQE32, 640},
                          {abi::IORING_SETUP_SQE128, 320}};
    // The kernel's own answer, while it can still be asked (before the mock is installed).
    std::vector<abi::io_uring_params> kernel_answer;
    for (const want& w : cases) {
        abi::io_uring_params p{};
        p.flags = w.flags;
        const long fd = ::syscall(__NR_io_uring_setup, 8, &p);
        if (fd < 0) break;
        ::close(static_cast<int>(fd));
        kernel_answer.push_back(p);
    }
    mock::scope m(quiet());
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        CAPTURE(i);
        abi::io_uring_params p{};
        p.flags = cases[i].flags;
        const int fd = rawring::sys::setup(8, &p);
        REQUIRE(fd >= 0);
        CHECK(m->owns(fd));
        CHECK(p.sq_entries == 8);
        CHECK(p.cq_entries == 16);
        CHECK(p.features == mock::default_features);
        CHECK(p.sq_off.head == 0);
        CHECK(p.sq_off.tail == 4);
        CHECK(p.sq_off.ring_mask == 16);
        CHECK(p.sq_off.ring_entries == 24);
        CHECK(p.sq_off.dropped == 32);
        CHECK(p.sq_off.flags == 36);
        CHECK(p.sq_off.array == cases[i].array);
        CHECK(p.cq_off.head == 8);
        CHECK(p.cq_off.tail == 12);
        CHECK(p.cq_off.ring_mask == 20);
        CHECK(p.cq_off.ring_entries == 28);
        CHECK(p.cq_off.flags == 40);
        CHECK(p.cq_off.overflow == 44);
        CHECK(p.cq_off.cqes == 64);
        // The mock lays rings out as Linux 6.18 does; compare with kernels of that generation
        // (6.15 on, which report NO_IOWAIT). Older ones, like 6.1, place some fields elsewhere.
        if (i < kernel_answer.size() && (kernel_answer[i].features & abi::IORING_FEAT_NO_IOWAIT) != 0) {
            CHECK(std::memcmp(&p.sq_off, &kernel_answer[i].sq_off, sizeof(p.sq_off)) == 0);
            CHECK(std::memcmp(&p.cq_off, &kernel_answer[i].cq_off, sizeof(p.cq_off)) == 0);
        }
        CHECK(rawring::sys::close(fd) == 0);
        CHECK_FALSE(m->owns(fd));
    }
    if (kernel_answer.empty()) MESSAGE("no kernel io_uring here: offsets checked against Linux 6.18's only");

    // Sizes: rounded up to powers of two, CQSIZE, CLAMP; and the mapped words say the same.
    rawring::ring r;
    REQUIRE(r.init(3) == 0);
    CHECK(r.sq().ring_entries == 4);
    CHECK(*r.sq().kring_entries == 4);
    CHECK(*r.cq().kring_entries == 8);
    CHECK(*r.cq().kring_mask == 7);
    r.exit();
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 100;
    REQUIRE(r.init(5, p) == 0);
    CHECK(p.sq_entries == 8);
    CHECK(p.cq_entries == 128);
    r.exit();
    REQUIRE(r.init(65536, abi::IORING_SETUP_CLAMP) == 0);
    CHECK(r.sq().ring_entries == 32768);
    CHECK(r.cq().ring_entries == 65536);
}

TEST_CASE("mock: setup refuses what the kernel refuses") {
    mock::scope m(quiet());
    const auto setup = [](unsigned entries, std::uint32_t flags, unsigned cq = 0) {
        abi::io_uring_params p{};
        p.flags = flags;
        p.cq_entries = cq;
        const int fd = rawring::sys::setup(entries, &p);
        if (fd >= 0) (void)rawring::sys::close(fd);
        return fd < 0 ? fd : 0;
    };
    CHECK(setup(0, 0) == -err::einval);
    CHECK(setup(65536, 0) == -err::einval);
    CHECK(setup(4, 1u << 30) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_SQ_AFF) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_DEFER_TASKRUN) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_TASKRUN_FLAG) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_SQPOLL | abi::IORING_SETUP_COOP_TASKRUN) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_REGISTERED_FD_ONLY) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_HYBRID_IOPOLL) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_CQSIZE, 0) == -err::einval);
    CHECK(setup(8, abi::IORING_SETUP_CQSIZE, 2) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_CQSIZE, 1u << 20) == -err::einval);
    // CQE_MIXED as Linux 6.18: not with CQE32, and with a CQ of at least two slots.
    CHECK(setup(4, abi::IORING_SETUP_CQE_MIXED) == 0);
    CHECK(setup(4, abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQE32) == -err::einval);
    CHECK(setup(1, abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQSIZE, 1) == -EOVERFLOW);
    CHECK(setup(1, abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQSIZE, 2) == 0);
    CHECK(setup(4, abi::IORING_SETUP_SQE_MIXED) == -err::einval);  // Linux 6.19 (options::linux_6_19)
    CHECK(setup(4, abi::IORING_SETUP_SQ_REWIND | abi::IORING_SETUP_NO_SQARRAY) == -err::einval);
    CHECK(setup(4, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN) == 0);
    CHECK(setup(4, abi::IORING_SETUP_COOP_TASKRUN | abi::IORING_SETUP_TASKRUN_FLAG) == 0);
    CHECK(m->leftovers().empty());
}

TEST_CASE("mock: NOPs round trip with the ring counters right under every configuration") {
    mock::scope m(quiet());
    for (const config& c : configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        REQUIRE(open_ring(r, c, 4));
        for (int round = 0; round < 3; ++round) {  // 3 x 3 over a ring of 4: the SQ wraps
            for (int i = 0; i < 3; ++i) nop_res(r, 10 * round + i, 7 + i);
            CHECK(r.sq_ready() == 3);
            CHECK(r.submit_and_wait(3) == 3);
            CHECK(r.sq_ready() == 0);
            CHECK(*r.sq().khead == static_cast<std::uint32_t>(3 * (round + 1)));
            CHECK(r.cq_ready() == 3);
            const auto got = take(r);
            REQUIRE(got.size() == 3);
            for (int i = 0; i < 3; ++i) {
                CHECK(got[i].user_data == static_cast<std::uint64_t>(10 * round + i));
                CHECK(got[i].res == 7 + i);
                CHECK(got[i].flags == 0);
            }
            CHECK(*r.cq().khead == *r.cq().ktail);
        }
        CHECK(m->in_flight(r.fd()) == 0);
    }
}

TEST_CASE("mock: links cancel the rest of a chain with -ECANCELED") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    nop(r, 1, abi::IOSQE_IO_LINK);
    nop_res(r, 2, -EIO, abi::IOSQE_IO_LINK);
    nop(r, 3, abi::IOSQE_IO_LINK);
    nop(r, 4);
    nop(r, 5);  // not in the chain
    CHECK(r.submit() == 5);
    const auto got = take(r);
    REQUIRE(got.size() == 5);
    const auto m_ = by_data(got);
    CHECK(m_.at(1).res == 0);
    CHECK(m_.at(2).res == -EIO);
    CHECK(m_.at(3).res == -ECANCELED);
    CHECK(m_.at(4).res == -ECANCELED);
    CHECK(m_.at(5).res == 0);
    // The chain's CQEs come in chain order.
    const auto d = datas(got);
    const auto pos = [&d](std::uint64_t x) { return std::find(d.begin(), d.end(), x) - d.begin(); };
    CHECK(pos(1) < pos(2));
    CHECK(pos(2) < pos(3));
    CHECK(pos(3) < pos(4));
    // A short read breaks a link too, as in the kernel.
    temp_file f("abc");
    char buf[8];
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_read(sqe, f.fd, buf, sizeof(buf), 0);
    sqe->flags |= abi::IOSQE_IO_LINK;
    sqe->user_data = 6;
    nop(r, 7);
    CHECK(r.submit() == 2);
    const auto m2 = by_data(take(r));
    CHECK(m2.at(6).res == 3);
    CHECK(m2.at(7).res == -ECANCELED);
    CHECK(m->in_flight(r.fd()) == 0);
}

TEST_CASE("mock: hard links continue after a failure") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    nop_res(r, 1, -EIO, abi::IOSQE_IO_HARDLINK);
    nop_res(r, 2, -EAGAIN, abi::IOSQE_IO_LINK);  // soft again: its failure cuts the rest
    nop(r, 3);
    CHECK(r.submit() == 3);
    const auto got = take(r);
    REQUIRE(got.size() == 3);
    CHECK(datas(got) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(got[0].res == -EIO);
    CHECK(got[1].res == -EAGAIN);
    CHECK(got[2].res == -ECANCELED);
}

TEST_CASE("mock: IO_DRAIN waits for earlier requests") {
    mock::scope m(quiet());
    m->on(handled_op, [](const mock::request&) { return mock::action::held(); });
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    handled(r, 1);
    nop(r, 2, abi::IOSQE_IO_DRAIN);
    nop(r, 3);  // after a drain: waits for it too
    CHECK(r.submit() == 3);
    CHECK(r.cq_ready() == 0);
    CHECK(m->in_flight(r.fd()) == 3);
    REQUIRE(m->complete(r.fd(), 1, mock::completion{11, 0, {0, 0}, false}) == 0);
    const auto got = take(r);
    CHECK(datas(got) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(got[0].res == 11);
    CHECK(m->in_flight(r.fd()) == 0);
}

TEST_CASE("mock: CQE_SKIP_SUCCESS posts only failures") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    nop(r, 1, abi::IOSQE_CQE_SKIP_SUCCESS);
    nop_res(r, 2, -EINVAL, abi::IOSQE_CQE_SKIP_SUCCESS);
    nop(r, 3);
    CHECK(r.submit() == 3);
    const auto got = take(r);
    CHECK(datas(got) == std::vector<std::uint64_t>{2, 3});
    CHECK(got[0].res == -EINVAL);
    CHECK(m->in_flight(r.fd()) == 0);
    // The kernel's rule: a ring that has seen CQE_SKIP_SUCCESS refuses IO_DRAIN.
    nop(r, 4, abi::IOSQE_IO_DRAIN);
    CHECK(r.submit() == 1);
    const auto after = take(r);
    REQUIRE(after.size() == 1);
    CHECK(after[0].res == -EOPNOTSUPP);
}

TEST_CASE("mock: a failed CQE_SKIP_SUCCESS link cancels the rest of its chain silently, as the kernel does") {
    // The chain [fail (skip-success), nop, nop] then a plain nop: the failure posts its CQE, the
    // members it cancels post none (the kernel's REQ_F_SKIP_LINK_CQES), the plain nop posts.
    const auto run = [](rawring::ring& r) {
        nop_res(r, 1, -EINVAL, abi::IOSQE_CQE_SKIP_SUCCESS | abi::IOSQE_IO_LINK);
        nop(r, 2, abi::IOSQE_IO_LINK);
        nop(r, 3);
        nop(r, 4);
        CHECK(r.submit() == 4);
        return take(r);
    };
    std::vector<io_uring_cqe> on_kernel;
    {
        rawring::ring k;
        if (k.init(8) == 0) on_kernel = run(k);
    }
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    const auto got = run(r);
    CHECK(datas(got) == std::vector<std::uint64_t>{1, 4});
    REQUIRE(got.size() == 2);
    CHECK(got[0].res == -EINVAL);
    CHECK(got[1].res == 0);
    CHECK(m->in_flight(r.fd()) == 0);
    if (!on_kernel.empty()) CHECK(datas(on_kernel) == datas(got));
}

TEST_CASE("mock: multishot posts F_MORE until the end") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    // A multishot TIMEOUT that fires three times, on the virtual clock.
    const std::uint64_t t0 = m->now();
    const abi::kernel_timespec ts = ms(1);
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &ts, 3, abi::IORING_TIMEOUT_MULTISHOT);
    sqe->user_data = 9;
    CHECK(r.submit() == 1);
    std::vector<io_uring_cqe> got;
    for (int i = 0; i < 3; ++i) got.push_back(reap(r));
    CHECK(m->now() - t0 == 3000000);
    CHECK(got[0].res == -ETIME);
    CHECK((got[0].flags & abi::IORING_CQE_F_MORE) != 0);
    CHECK((got[1].flags & abi::IORING_CQE_F_MORE) != 0);
    CHECK((got[2].flags & abi::IORING_CQE_F_MORE) == 0);
    CHECK(m->in_flight(r.fd()) == 0);

    // A handler's multishot: asked again at each enter until it posts without `more`.
    int shots = 0;
    m->on(handled_op, [&shots](const mock::request&) {
        ++shots;
        return mock::action::post(mock::completion{shots, 0, {0, 0}, shots < 3});
    });
    handled(r, 10);
    CHECK(r.submit() == 1);
    CHECK(r.cq_ready() == 1);
    CHECK(r.get_events() == 0);
    CHECK(r.get_events() == 0);
    got = take(r);
    REQUIRE(got.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(got[i].res == i + 1);
    CHECK((got[1].flags & abi::IORING_CQE_F_MORE) != 0);
    CHECK((got[2].flags & abi::IORING_CQE_F_MORE) == 0);
    CHECK(m->in_flight(r.fd()) == 0);
}

TEST_CASE("mock: CQ overflow loses nothing and sets IORING_SQ_CQ_OVERFLOW") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(2) == 0);  // CQ of 4
    for (std::uint64_t i = 0; i < 10; i += 2) {
        nop(r, i);
        nop(r, i + 1);
        CHECK(r.submit() == 2);
    }
    CHECK(r.cq_ready() == 4);
    CHECK((sq_flags(r) & abi::IORING_SQ_CQ_OVERFLOW) != 0);
    CHECK(*r.cq().koverflow == 0);  // nothing dropped: the kernel counts only drops
    CHECK(m->in_flight(r.fd()) == 0);
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < 10; ++i) seen.push_back(reap(r).user_data);
    CHECK(seen == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK((sq_flags(r) & abi::IORING_SQ_CQ_OVERFLOW) == 0);
    CHECK(r.cq_ready() == 0);
}

TEST_CASE("mock: timed waits run on the virtual clock") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    abi::kernel_timespec vt{};
    REQUIRE(rawring::sys::clock_gettime(CLOCK_MONOTONIC, &vt) == 0);
    CHECK(vt.tv_sec == 1);  // the virtual clock starts at 1 s
    CHECK(vt.tv_nsec == 0);
    // Nothing but the virtual clock can end these waits: they take no real time.
    const auto start = std::chrono::steady_clock::now();
    io_uring_cqe* cqe = nullptr;
    const abi::kernel_timespec five_s = ms(5000);
    CHECK(r.wait_cqe_timeout(&cqe, &five_s) == -err::etime);
    CHECK(m->now() == 6000000000ull);
    const abi::kernel_timespec ten_s = ms(10000);
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &ten_s, 0, 0);
    sqe->user_data = 3;
    CHECK(r.submit_and_wait(1) == 1);
    CHECK(m->now() == 16000000000ull);
    const io_uring_cqe got = reap(r);
    CHECK(got.user_data == 3);
    CHECK(got.res == -ETIME);
    CHECK(ms_since(start) < 1000.0);

    // Without auto_advance_clock the test moves the clock; a timer due posts at once.
    mock::options o = quiet();
    o.auto_advance_clock = false;
    m->uninstall();
    {
        mock::scope manual(o);
        rawring::ring q;
        REQUIRE(q.init(4) == 0);
        const abi::kernel_timespec one_s = ms(1000);
        sqe = q.get_sqe();
        rawring::prep_timeout(sqe, &one_s, 0, 0);
        sqe->user_data = 4;
        CHECK(q.submit() == 1);
        manual->advance_clock(999999999);
        CHECK(q.cq_ready() == 0);
        manual->advance_clock(1);
        CHECK(q.cq_ready() == 1);  // posted by advance_clock itself, no enter needed
        CHECK(reap(q).res == -ETIME);
        CHECK(manual->now() == 2000000000ull);
    }
}

TEST_CASE("mock: completion order fifo, reversed and shuffled") {
    const auto run = [](mock::order o, std::uint64_t seed) {
        mock::options opts = quiet();
        opts.completion_order = o;
        opts.seed = seed;
        mock::scope m(opts);
        rawring::ring r;
        REQUIRE(r.init(8) == 0);
        for (std::uint64_t i = 0; i < 6; ++i) nop(r, i);
        CHECK(r.submit() == 6);
        return datas(take(r));
    };
    CHECK(run(mock::order::fifo, 1) == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5});
    CHECK(run(mock::order::reversed, 1) == std::vector<std::uint64_t>{5, 4, 3, 2, 1, 0});
    const auto s1 = run(mock::order::shuffled, 7);
    CHECK(s1 == run(mock::order::shuffled, 7));  // the seed decides
    std::vector<std::uint64_t> sorted = s1;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5});
    std::set<std::vector<std::uint64_t>> orders;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) orders.insert(run(mock::order::shuffled, seed));
    CHECK(orders.size() > 1);

    // Reordering never reorders a chain.
    mock::options opts = quiet();
    opts.completion_order = mock::order::reversed;
    mock::scope m(opts);
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    nop(r, 1, abi::IOSQE_IO_LINK);
    nop(r, 2);
    nop(r, 3);
    CHECK(r.submit() == 3);
    CHECK(datas(take(r)) == std::vector<std::uint64_t>{3, 1, 2});
}

TEST_CASE("mock: leftovers report requests never completed and fds never closed") {
    temp_file f("data");
    mock::scope m(quiet());
    m->on(handled_op, [](const mock::request&) { return mock::action::held(); });
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    const int ring_fd = r.fd();
    handled(r, 0x2a);
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_openat(sqe, AT_FDCWD, f.path.c_str(), O_RDONLY | O_CLOEXEC, 0);
    sqe->user_data = 2;
    CHECK(r.submit() == 2);
    const io_uring_cqe opened = reap(r);
    REQUIRE(opened.res >= 0);
    mock::report rep = m->leftovers();
    REQUIRE(rep.never_completed.size() == 1);
    CHECK(rep.never_completed[0].ring_fd == ring_fd);
    CHECK(rep.never_completed[0].user_data == 0x2a);
    CHECK(rep.never_completed[0].opcode == handled_op);
    CHECK(std::count(rep.never_closed.begin(), rep.never_closed.end(), ring_fd) == 1);
    CHECK(std::count(rep.never_closed.begin(), rep.never_closed.end(), opened.res) == 1);
    CHECK(rep.text().find("user_data=0x2a") != std::string::npos);
    CHECK_FALSE(rep.empty());
    // Closed by the program itself (not through rawring) still counts as closed.
    ::close(opened.res);
    rep = m->leftovers();
    CHECK(std::count(rep.never_closed.begin(), rep.never_closed.end(), opened.res) == 0);
    // A ring torn down with a request in flight: that request never completed.
    r.exit();
    rep = m->leftovers();
    CHECK(rep.never_closed.empty());
    REQUIRE(rep.never_completed.size() == 1);
    CHECK(rep.never_completed[0].user_data == 0x2a);

    m->uninstall();
    mock::scope clean(quiet());
    rawring::ring q;
    REQUIRE(q.init(2) == 0);
    nop(q, 1);
    CHECK(q.submit_and_wait(1) == 1);
    q.cq_advance(1);
    q.exit();
    CHECK(clean->leftovers().empty());
}

TEST_CASE("mock: handlers complete after N enters") {
    mock::scope m(quiet());
    std::vector<unsigned> asked;
    m->on(handled_op, [&asked](const mock::request& q) {
        asked.push_back(q.enters);
        return mock::action::after(2, 7, abi::IORING_CQE_F_SOCK_NONEMPTY);
    });
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    handled(r, 5);
    CHECK(r.submit() == 1);
    CHECK(r.cq_ready() == 0);
    CHECK(r.enter(0, 0, 0) == 0);
    CHECK(r.cq_ready() == 0);
    CHECK(m->in_flight(r.fd()) == 1);
    CHECK(r.enter(0, 0, 0) == 0);
    REQUIRE(r.cq_ready() == 1);
    const io_uring_cqe c = reap(r);
    CHECK(c.user_data == 5);
    CHECK(c.res == 7);
    CHECK(c.flags == abi::IORING_CQE_F_SOCK_NONEMPTY);
    CHECK(asked == std::vector<unsigned>{0});

    // retry: asked again at every enter until it decides.
    int calls = 0;
    m->on(handled_op, [&calls](const mock::request& q) {
        ++calls;
        return q.enters < 3 ? mock::action::retry() : mock::action::now(-ENOSPC);
    });
    handled(r, 6);
    CHECK(r.submit() == 1);
    for (int i = 0; i < 3; ++i) CHECK(r.enter(0, 0, 0) == 0);
    CHECK(reap(r).res == -ENOSPC);
    CHECK(calls == 4);
    m->reset(handled_op);
    handled(r, 7);
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == -EOPNOTSUPP);  // back to the mock's default
}

TEST_CASE("mock: held requests complete when the test says") {
    mock::scope m(quiet());
    m->on(handled_op, [](const mock::request&) { return mock::action::held(); });
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    handled(r, 1);
    handled(r, 2);
    CHECK(r.submit() == 2);
    CHECK(m->in_flight(r.fd()) == 2);
    CHECK(m->complete(r.fd(), 3, mock::completion{}) == -ENOENT);
    // A multishot completion leaves it held.
    CHECK(m->complete(r.fd(), 2, mock::completion{1, 0, {0, 0}, true}) == 0);
    io_uring_cqe c = reap(r);
    CHECK(c.user_data == 2);
    CHECK((c.flags & abi::IORING_CQE_F_MORE) != 0);
    CHECK(m->in_flight(r.fd()) == 2);
    // Completed from another thread while this one waits: the waiter wakes.
    const int fd = r.fd();
    mock::kernel* k = &*m;
    std::thread t([k, fd] { (void)k->complete(fd, 1, mock::completion{42, 0, {0, 0}, false}); });
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 1);
    CHECK(cqe->res == 42);
    r.cqe_seen(cqe);
    t.join();
    CHECK(m->complete(fd, 2, mock::completion{5, 0, {0, 0}, false}) == 0);
    c = reap(r);
    CHECK(c.res == 5);
    CHECK(c.flags == 0);
    CHECK(m->in_flight(fd) == 0);
}

TEST_CASE("mock: reads and writes on pipes and files are performed") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    // A read of an empty pipe waits for data, then gets it.
    pipe_fds p;
    char in[16] = {};
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_read(sqe, p.rd, in, sizeof(in), 0);
    sqe->user_data = 1;
    CHECK(r.submit() == 1);
    CHECK(r.cq_ready() == 0);
    CHECK(m->in_flight(r.fd()) == 1);
    REQUIRE(::write(p.wr, "hello", 5) == 5);
    io_uring_cqe c = reap(r);
    CHECK(c.user_data == 1);
    CHECK(c.res == 5);
    CHECK(std::string(in, 5) == "hello");
    // A write into the pipe.
    sqe = r.get_sqe();
    rawring::prep_write(sqe, p.wr, "world!", 6, 0);
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == 6);
    char out[8] = {};
    REQUIRE(::read(p.rd, out, sizeof(out)) == 6);
    CHECK(std::string(out, 6) == "world!");

    // Files: at an offset, vectored, and at the file position (offset -1).
    temp_file f;
    sqe = r.get_sqe();
    rawring::prep_write(sqe, f.fd, "0123456789", 10, 0);
    sqe->flags |= abi::IOSQE_IO_LINK;
    char a[4] = {}, b[3] = {};
    iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    sqe = r.get_sqe();
    rawring::prep_readv(sqe, f.fd, iov, 2, 2);
    CHECK(r.submit() == 2);
    CHECK(reap(r).res == 10);
    CHECK(reap(r).res == 7);
    CHECK(std::string(a, 4) == "2345");
    CHECK(std::string(b, 3) == "678");
    REQUIRE(::lseek(f.fd, 0, SEEK_SET) == 0);
    char pos[3] = {};
    for (const char* want : {"012", "345"}) {
        sqe = r.get_sqe();
        rawring::prep_read(sqe, f.fd, pos, 3, ~std::uint64_t{0});
        CHECK(r.submit() == 1);
        CHECK(reap(r).res == 3);
        CHECK(std::string(pos, 3) == want);
    }
    CHECK(::lseek(f.fd, 0, SEEK_CUR) == 6);
    // Registered buffers: READ_FIXED inside one, -EFAULT outside.
    char fixed[8] = {};
    const iovec reg{fixed, sizeof(fixed)};
    REQUIRE(rawring::register_buffers(r, &reg, 1) == 0);
    sqe = r.get_sqe();
    rawring::prep_read_fixed(sqe, f.fd, fixed + 2, 4, 6, 0);
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == 4);
    CHECK(std::string(fixed + 2, 4) == "6789");
    sqe = r.get_sqe();
    rawring::prep_read_fixed(sqe, f.fd, fixed + 6, 4, 0, 0);
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == -EFAULT);
    CHECK(m->in_flight(r.fd()) == 0);
}

TEST_CASE("mock: SQPOLL needs a wakeup") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(4, abi::IORING_SETUP_SQPOLL) == 0);
    CHECK((sq_flags(r) & abi::IORING_SQ_NEED_WAKEUP) != 0);  // the poller sleeps until woken
    nop(r, 1);
    CHECK(r.flush_sq() == 1);
    for (int i = 0; i < 100; ++i) sched_yield();
    CHECK(r.sq_ready() == 1);  // nobody woke it: nothing consumed
    CHECK(r.cq_ready() == 0);
    CHECK(r.submit() == 1);    // enters with SQ_WAKEUP
    CHECK(r.sq_ready() == 0);
    CHECK(reap(r).user_data == 1);
    CHECK((sq_flags(r) & abi::IORING_SQ_NEED_WAKEUP) != 0);  // and asleep again
    // A poller that never sleeps consumes whenever the ring is entered, without a wakeup.
    m->uninstall();
    mock::options o = quiet();
    o.sqpoll_sleeps = false;
    mock::scope awake(o);
    rawring::ring q;
    REQUIRE(q.init(4, abi::IORING_SETUP_SQPOLL) == 0);
    CHECK((sq_flags(q) & abi::IORING_SQ_NEED_WAKEUP) == 0);
    nop(q, 2);
    CHECK(q.submit() == 1);  // no enter needed
    CHECK(q.sq_ready() == 1);
    CHECK(reap(q).user_data == 2);
    CHECK(q.sq_ready() == 0);
}

TEST_CASE("mock: TIMEOUT by time, by count, removed and updated") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    const abi::kernel_timespec ten_s = ms(10000);
    // By count: done (res 0) once two other CQEs are posted.
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &ten_s, 2, 0);
    sqe->user_data = 1;
    nop(r, 2);
    nop(r, 3);
    CHECK(r.submit() == 3);
    auto got = take(r);
    CHECK(datas(got) == std::vector<std::uint64_t>{2, 3, 1});
    CHECK(got[2].res == 0);
    // Removed.
    sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &ten_s, 0, 0);
    sqe->user_data = 4;
    sqe = r.get_sqe();
    rawring::prep_timeout_remove(sqe, 4, 0);
    sqe->user_data = 5;
    sqe = r.get_sqe();
    rawring::prep_timeout_remove(sqe, 99, 0);
    sqe->user_data = 6;
    CHECK(r.submit() == 3);
    auto m_ = by_data(take(r));
    CHECK(m_.at(4).res == -ECANCELED);
    CHECK(m_.at(5).res == 0);
    CHECK(m_.at(6).res == -ENOENT);
    // Updated to fire sooner.
    const std::uint64_t t0 = m->now();
    sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &ten_s, 0, 0);
    sqe->user_data = 7;
    const abi::kernel_timespec one_s = ms(1000);
    sqe = r.get_sqe();
    rawring::prep_timeout_update(sqe, &one_s, 7, 0);
    sqe->user_data = 8;
    CHECK(r.submit() == 2);
    CHECK(reap(r).user_data == 8);
    io_uring_cqe c = reap(r);
    CHECK(c.user_data == 7);
    CHECK(c.res == -ETIME);
    CHECK(m->now() - t0 == 1000000000ull);
    // Absolute, on the virtual CLOCK_MONOTONIC.
    const abi::kernel_timespec at{static_cast<std::int64_t>((m->now() + 500000000) / 1000000000),
                                  static_cast<std::int64_t>((m->now() + 500000000) % 1000000000)};
    sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &at, 0, abi::IORING_TIMEOUT_ABS);
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == -ETIME);
    CHECK(m->now() - t0 == 1500000000ull);
}

TEST_CASE("mock: LINK_TIMEOUT cuts a slow request and is cancelled by a fast one") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_fds p;
    char buf[4];
    const abi::kernel_timespec one_s = ms(1000);
    const std::uint64_t t0 = m->now();
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_read(sqe, p.rd, buf, sizeof(buf), 0);
    sqe->flags |= abi::IOSQE_IO_LINK;
    sqe->user_data = 1;
    sqe = r.get_sqe();
    rawring::prep_link_timeout(sqe, &one_s, 0);
    sqe->flags |= abi::IOSQE_IO_LINK;
    sqe->user_data = 2;
    nop(r, 3);  // after the timeout in the chain: cut with the read
    CHECK(r.submit() == 3);
    // The pipe stays empty; auto-advance jumps the clock only when nothing but it can end the
    // wait, so advance it by hand here (a pending read polls its fd).
    m->advance_clock(1000000000);
    auto got = by_data(take(r));
    REQUIRE(got.size() == 3);
    CHECK(got.at(1).res == -ECANCELED);
    CHECK(got.at(2).res == -ETIME);
    CHECK(got.at(3).res == -ECANCELED);
    CHECK(m->now() - t0 == 1000000000ull);
    // A fast request cancels its linked timeout and the chain goes on.
    nop(r, 4, abi::IOSQE_IO_LINK);
    sqe = r.get_sqe();
    rawring::prep_link_timeout(sqe, &one_s, 0);
    sqe->flags |= abi::IOSQE_IO_LINK;
    sqe->user_data = 5;
    nop(r, 6);
    CHECK(r.submit() == 3);
    got = by_data(take(r));
    REQUIRE(got.size() == 3);
    CHECK(got.at(4).res == 0);
    CHECK(got.at(5).res == -ECANCELED);
    CHECK(got.at(6).res == 0);
    // A linked timeout with nothing to guard.
    sqe = r.get_sqe();
    rawring::prep_link_timeout(sqe, &one_s, 0);
    sqe->user_data = 7;
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == -EINVAL);
    CHECK(m->in_flight(r.fd()) == 0);
}

TEST_CASE("mock: ASYNC_CANCEL by user_data, fd, any and all") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(16) == 0);
    pipe_fds p, q;
    char buf[8][4];
    const auto read = [&](int fd, std::uint64_t data, int i) {
        io_uring_sqe* sqe = r.get_sqe();
        rawring::prep_read(sqe, fd, buf[i], 4, 0);
        sqe->user_data = data;
    };
    read(p.rd, 1, 0);
    read(p.rd, 2, 1);
    read(q.rd, 3, 2);
    CHECK(r.submit() == 3);
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_cancel64(sqe, 1, 0);
    sqe->user_data = 10;
    sqe = r.get_sqe();
    rawring::prep_cancel64(sqe, 99, 0);
    sqe->user_data = 11;
    CHECK(r.submit() == 2);
    auto got = by_data(take(r));
    CHECK(got.at(1).res == -ECANCELED);
    CHECK(got.at(10).res == 0);
    CHECK(got.at(11).res == -ENOENT);
    CHECK(m->in_flight(r.fd()) == 2);
    sqe = r.get_sqe();
    rawring::prep_cancel_fd(sqe, q.rd, 0);
    sqe->user_data = 12;
    CHECK(r.submit() == 1);
    got = by_data(take(r));
    CHECK(got.at(3).res == -ECANCELED);
    CHECK(got.at(12).res == 0);
    read(q.rd, 4, 3);
    read(q.rd, 5, 4);
    CHECK(r.submit() == 2);
    sqe = r.get_sqe();
    rawring::prep_cancel_fd(sqe, q.rd, abi::IORING_ASYNC_CANCEL_ALL);
    sqe->user_data = 13;
    CHECK(r.submit() == 1);
    got = by_data(take(r));
    CHECK(got.at(13).res == 2);
    CHECK(got.at(4).res == -ECANCELED);
    CHECK(got.at(5).res == -ECANCELED);
    sqe = r.get_sqe();
    rawring::prep_cancel64(sqe, 0, abi::IORING_ASYNC_CANCEL_ANY);
    sqe->user_data = 14;
    CHECK(r.submit() == 1);
    got = by_data(take(r));
    CHECK(got.at(14).res == 1);
    CHECK(got.at(2).res == -ECANCELED);
    CHECK(m->in_flight(r.fd()) == 0);
    // Synchronous cancel through io_uring_register.
    read(p.rd, 6, 5);
    CHECK(r.submit() == 1);
    abi::io_uring_sync_cancel_reg reg{};
    reg.addr = 6;
    CHECK(rawring::register_sync_cancel(r, &reg) == 0);
    CHECK(reap(r).res == -ECANCELED);
    CHECK(rawring::register_sync_cancel(r, &reg) == -ENOENT);
}

TEST_CASE("mock: POLL_ADD on a pipe, multishot and POLL_REMOVE") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_fds p;
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_poll_add(sqe, p.rd, POLLIN);
    sqe->user_data = 1;
    CHECK(r.submit() == 1);
    CHECK(r.cq_ready() == 0);
    REQUIRE(::write(p.wr, "x", 1) == 1);
    io_uring_cqe c = reap(r);
    CHECK(c.user_data == 1);
    CHECK((c.res & POLLIN) != 0);
    CHECK((c.flags & abi::IORING_CQE_F_MORE) == 0);
    char drain[4];
    REQUIRE(::read(p.rd, drain, sizeof(drain)) == 1);

    sqe = r.get_sqe();
    rawring::prep_poll_multishot(sqe, p.rd, POLLIN);
    sqe->user_data = 2;
    CHECK(r.submit() == 1);
    for (int i = 0; i < 2; ++i) {
        REQUIRE(::write(p.wr, "y", 1) == 1);
        c = reap(r);
        CHECK(c.user_data == 2);
        CHECK((c.flags & abi::IORING_CQE_F_MORE) != 0);
        REQUIRE(::read(p.rd, drain, sizeof(drain)) == 1);
        CHECK(r.get_events() == 0);  // seen not ready again
    }
    sqe = r.get_sqe();
    rawring::prep_poll_remove(sqe, 2);
    sqe->user_data = 3;
    CHECK(r.submit() == 1);
    const auto got = by_data(take(r));
    CHECK(got.at(2).res == -ECANCELED);
    CHECK((got.at(2).flags & abi::IORING_CQE_F_MORE) == 0);
    CHECK(got.at(3).res == 0);
    CHECK(m->in_flight(r.fd()) == 0);
}

TEST_CASE("mock: MSG_RING reaches another ring and wakes its waiter on another thread") {
    mock::scope m(quiet());
    rawring::ring a, b;
    REQUIRE(a.init(4) == 0);
    REQUIRE(b.init(4) == 0);
    io_uring_cqe got{};
    int wait_ret = 1;
    // The waiter blocks (nothing in flight on b, no timer): only the message can end it.
    std::thread waiter([&b, &got, &wait_ret] {
        io_uring_cqe* cqe = nullptr;
        wait_ret = b.wait_cqe(&cqe);
        if (wait_ret == 0) {
            got = *cqe;
            b.cqe_seen(cqe);
        }
    });
    io_uring_sqe* sqe = a.get_sqe();
    rawring::prep_msg_ring_cqe_flags(sqe, b.fd(), 9, 0x55, 0, 0x1230000);
    sqe->user_data = 1;
    CHECK(a.submit() == 1);
    waiter.join();
    CHECK(wait_ret == 0);
    CHECK(got.user_data == 0x55);
    CHECK(got.res == 9);
    CHECK(got.flags == 0x1230000);
    const io_uring_cqe sent = reap(a);
    CHECK(sent.user_data == 1);
    CHECK(sent.res == 0);
    // To something that is no ring.
    pipe_fds p;
    sqe = a.get_sqe();
    rawring::prep_msg_ring(sqe, p.rd, 0, 0, 0);
    CHECK(a.submit() == 1);
    CHECK(reap(a).res == -EBADFD);
}

TEST_CASE("mock: a timed wait that another thread's MSG_RING ends is not cut short by the virtual clock") {
    // While another thread that calls into the mock is at work, it may post to the waiting
    // ring: the wait is not the clock's alone to end, so the clock does not jump to its end.
    mock::scope m(quiet());
    rawring::ring b;
    REQUIRE(b.init(4) == 0);
    std::atomic<int> known{0};  // 1: the sender has called into the mock; -1: it could not
    int sent_res = 1;
    std::thread sender([&b, &known, &sent_res] {
        rawring::ring a;
        if (a.init(4) != 0) {
            known.store(-1);
            return;
        }
        known.store(1);
        // Most likely after the main thread is in its wait; the case passes either way.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        io_uring_sqe* sqe = a.get_sqe();
        rawring::prep_msg_ring(sqe, b.fd(), 7, 0x77, 0);
        sqe->user_data = 1;
        io_uring_cqe* cqe = nullptr;
        if (a.submit_and_wait(1) == 1 && a.peek_cqe(&cqe) == 0) {
            sent_res = cqe->res;
            a.cqe_seen(cqe);
        }
    });
    while (known.load() == 0) std::this_thread::yield();
    if (known.load() < 0) sender.join();
    REQUIRE(known.load() == 1);
    const std::uint64_t before = m->now();
    const abi::kernel_timespec hour = ms(3600 * 1000);
    io_uring_cqe* cqe = nullptr;
    const int ret = b.wait_cqe_timeout(&cqe, &hour);
    sender.join();
    REQUIRE(ret == 0);
    CHECK(cqe->user_data == 0x77);
    CHECK(cqe->res == 7);
    b.cqe_seen(cqe);
    CHECK(sent_res == 0);
    CHECK(m->now() - before < 3600ull * 1000000000ull);  // the hour never passed
}

TEST_CASE("mock: a wait does not move the clock past a thread that a MSG_RING has just woken") {
    // One enter posts to a ring whose thread waits with no timeout, then waits for the answer.
    // The mock holds its lock from the post to the wait, so the woken thread cannot have run
    // yet: it is at work all the same, and the clock must not jump to the wait's end.
    mock::scope m(quiet());
    rawring::ring a;
    REQUIRE(a.init(4) == 0);
    std::atomic<int> known{0};  // 1: the answerer has started
    rawring::ring b;
    REQUIRE(b.init(4) == 0);
    std::thread answerer([&a, &b, &known] {
        known.store(1);
        // Timed (two hours, longer than the main thread's wait), so that the case fails
        // rather than hangs should the message never come.
        const abi::kernel_timespec two_hours = ms(2 * 3600 * 1000);
        io_uring_cqe* cqe = nullptr;
        if (b.wait_cqe_timeout(&cqe, &two_hours) != 0) return;
        const std::uint64_t got = cqe->user_data;
        b.cqe_seen(cqe);
        io_uring_sqe* sqe = b.get_sqe();
        rawring::prep_msg_ring(sqe, a.fd(), 5, got + 1, 0);
        sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
        (void)b.submit();
    });
    while (known.load() == 0) std::this_thread::yield();
    // Most likely after the answerer is in its wait; the case passes either way.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::uint64_t before = m->now();
    io_uring_sqe* sqe = a.get_sqe();
    rawring::prep_msg_ring(sqe, b.fd(), 4, 0x40, 0);
    sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;  // no CQE of its own to end the wait
    const abi::kernel_timespec hour = ms(3600 * 1000);
    io_uring_cqe* cqe = nullptr;
    const int ret = a.submit_and_wait_timeout(&cqe, 1, &hour, nullptr);
    m->forget_thread();  // so the answerer's wait, if nothing came, ends on the virtual clock
    answerer.join();
    REQUIRE(ret >= 0);
    CHECK(cqe->user_data == 0x41);
    CHECK(cqe->res == 5);
    a.cqe_seen(cqe);
    CHECK(m->now() - before < 3600ull * 1000000000ull);  // the hour never passed
}

TEST_CASE("mock: with every thread in a wait only time can end, the clock moves to the earliest end") {
    mock::scope m(quiet());
    rawring::ring a;
    REQUIRE(a.init(4) == 0);
    std::atomic<int> known{0};  // as above
    int other_ret = 1;
    std::uint64_t other_end = 0;
    const std::uint64_t start = m->now();
    std::thread other([&m, &known, &other_ret, &other_end] {
        rawring::ring b;
        if (b.init(4) != 0) {
            known.store(-1);
            return;
        }
        known.store(1);
        const abi::kernel_timespec hundred_s = ms(100 * 1000);
        io_uring_cqe* cqe = nullptr;
        other_ret = b.wait_cqe_timeout(&cqe, &hundred_s);
        other_end = m->now();
    });  // its end lets the main thread's wait move the clock again
    while (known.load() == 0) std::this_thread::yield();
    if (known.load() < 0) other.join();
    REQUIRE(known.load() == 1);
    const abi::kernel_timespec three_hundred_s = ms(300 * 1000);
    io_uring_cqe* cqe = nullptr;
    const int ret = a.wait_cqe_timeout(&cqe, &three_hundred_s);
    other.join();
    // Whichever thread waited first waited for the other; the second moved the clock to the
    // first end (100 s), then, the other thread gone, the main thread's wait to its own.
    CHECK(other_ret == -err::etime);
    CHECK(ret == -err::etime);
    CHECK(other_end == start + 100ull * 1000000000ull);
    CHECK(m->now() == start + 300ull * 1000000000ull);
}

TEST_CASE("mock: a thread that forgets itself no longer holds the virtual clock back, until it calls again") {
    mock::scope m(quiet());
    rawring::ring a;
    REQUIRE(a.init(4) == 0);  // the main thread counts from here
    std::atomic<int> known{0};  // as above
    int other_ret = 1;
    std::uint64_t other_end = 0;
    std::chrono::steady_clock::duration other_real{};
    const std::uint64_t start = m->now();
    std::thread other([&m, &known, &other_ret, &other_end, &other_real] {
        rawring::ring b;
        if (b.init(4) != 0) {
            known.store(-1);
            return;
        }
        known.store(1);
        const auto real_start = std::chrono::steady_clock::now();
        const abi::kernel_timespec twenty_s = ms(20 * 1000);
        io_uring_cqe* cqe = nullptr;
        other_ret = b.wait_cqe_timeout(&cqe, &twenty_s);
        other_real = std::chrono::steady_clock::now() - real_start;
        other_end = m->now();
    });
    while (known.load() == 0) std::this_thread::yield();
    if (known.load() < 0) other.join();
    REQUIRE(known.load() == 1);
    // The main thread is at work (in no wait of the mock's) from the other thread's view, so
    // its wait takes real time, until the main thread leaves and the clock may jump.
    m->forget_thread();
    other.join();
    CHECK(other_ret == -err::etime);
    CHECK(other_end == start + 20ull * 1000000000ull);
    // Without forget_thread() the wait would have lasted its 20 s in real time.
    CHECK(other_real < std::chrono::seconds(10));

    // A call into the mock makes the main thread count again: a second thread's long wait is
    // then not cut short while the main thread is at work, and its message ends that wait.
    nop(a, 3);
    CHECK(a.submit_and_wait(1) == 1);
    CHECK(reap(a).user_data == 3);
    rawring::ring c;
    REQUIRE(c.init(4) == 0);
    std::atomic<int> waiting{0};
    int wait_ret = 1;
    io_uring_cqe got{};
    std::thread waiter([&c, &waiting, &wait_ret, &got] {
        waiting.store(1);
        const abi::kernel_timespec hour = ms(3600 * 1000);
        io_uring_cqe* cqe = nullptr;
        wait_ret = c.wait_cqe_timeout(&cqe, &hour);
        if (wait_ret == 0) {
            got = *cqe;
            c.cqe_seen(cqe);
        }
    });
    while (waiting.load() == 0) std::this_thread::yield();
    // Most likely after the waiter is in its wait; the case passes either way.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::uint64_t before = m->now();
    io_uring_sqe* sqe = a.get_sqe();
    rawring::prep_msg_ring(sqe, c.fd(), 7, 0x77, 0);
    sqe->user_data = 1;
    CHECK(a.submit_and_wait(1) == 1);
    CHECK(reap(a).res == 0);
    waiter.join();
    CHECK(wait_ret == 0);
    CHECK(got.user_data == 0x77);
    CHECK(got.res == 7);
    CHECK(m->now() - before < 3600ull * 1000000000ull);  // the hour never passed
}

TEST_CASE("mock: a thread that ends while the mock is destroyed does not touch it") {
    // The thread's exit hook takes it off the mock's list of threads; the mock may be going
    // away at that moment (a race for the sanitizers to see, were the hook unsynchronised).
    int rounds_run = 0;
    for (int round = 0; round < 200; ++round) {
        auto k = std::make_unique<mock::kernel>(quiet());
        REQUIRE(k->install() == 0);
        std::atomic<int> stage{0};  // 1: the thread called into the mock; -1: it could not; 2: go
        std::thread t([&stage] {
            bool ok = false;
            {
                rawring::ring r;
                ok = r.init(2) == 0;
            }  // closed, so the thread is done with the mock but for its exit hook
            stage.store(ok ? 1 : -1);
            while (stage.load() != 2) std::this_thread::yield();
        });
        while (stage.load() == 0) std::this_thread::yield();
        const int got = stage.load();
        stage.store(2);
        k.reset();  // uninstalls and frees the mock while the thread ends
        t.join();
        REQUIRE(got == 1);
        ++rounds_run;
    }
    CHECK(rounds_run == 200);
    // And the next mock installs and counts threads afresh.
    mock::scope m(quiet());
    CHECK(m->installed());
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    CHECK(m->calls() == 1);
}

TEST_CASE("mock: registered ring fds take the top of the task's 16 slots") {
    mock::scope m(quiet());
    std::vector<rawring::ring> rings(17);
    for (std::size_t i = 0; i < 16; ++i) {
        REQUIRE(rings[i].init(2) == 0);
        REQUIRE(rings[i].register_ring_fd() == 1);
        // Top down, so that they rarely meet the kernel's (which hands out the lowest slot).
        CHECK(rings[i].enter_fd() == static_cast<int>(15 - i));
    }
    REQUIRE(rings[16].init(2) == 0);
    CHECK(rings[16].register_ring_fd() == -err::ebusy);
    for (rawring::ring& r : rings) {
        nop(r, 7);
        CHECK(r.submit_and_wait(1) == 1);
        CHECK(reap(r).user_data == 7);
    }
    CHECK(rings[3].unregister_ring_fd() == 1);
    CHECK(rings[16].register_ring_fd() == 1);
    CHECK(rings[16].enter_fd() == 12);
    // An index that is not the mock's goes to the backend behind it (the kernel: -EINVAL, or
    // -EPERM where io_uring is forbidden).
    CHECK(rawring::sys::enter(16, 0, 0, abi::IORING_ENTER_REGISTERED_RING, nullptr) < 0);
}

TEST_CASE("mock: fixed files and buffer rings") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    pipe_fds p;
    const int fds[2] = {p.wr, -1};
    REQUIRE(rawring::register_files(r, fds, 2) == 0);
    ::close(p.wr);  // the table holds its own reference, as the kernel's does
    p.wr = -1;
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_write(sqe, 0, "fixed", 5, 0);
    sqe->flags |= abi::IOSQE_FIXED_FILE;
    sqe = r.get_sqe();
    rawring::prep_write(sqe, 1, "empty", 5, 0);  // an empty slot
    sqe->flags |= abi::IOSQE_FIXED_FILE;
    CHECK(r.submit() == 2);
    CHECK(reap(r).res == 5);
    CHECK(reap(r).res == -EBADF);
    char out[8] = {};
    REQUIRE(::read(p.rd, out, sizeof(out)) == 5);
    CHECK(std::string(out, 5) == "fixed");
    CHECK(rawring::unregister_files(r) == 0);
    CHECK(rawring::unregister_files(r) == -ENXIO);

    // Provided-buffer rings, in user memory and in ring memory (IOU_PBUF_RING_MMAP).
    temp_file f("abcdefgh");
    for (const unsigned flags : {0u, static_cast<unsigned>(abi::IOU_PBUF_RING_MMAP)}) {
        CAPTURE(flags);
        int e = 0;
        abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, 4, 3, flags, &e);
        REQUIRE(br != nullptr);
        char bufs[2][4] = {};
        rawring::buf_ring_add(br, bufs[0], 4, 20, rawring::buf_ring_mask(4), 0);
        rawring::buf_ring_add(br, bufs[1], 4, 21, rawring::buf_ring_mask(4), 1);
        rawring::buf_ring_advance(br, 2);
        for (int i = 0; i < 3; ++i) {
            sqe = r.get_sqe();
            rawring::prep_read(sqe, f.fd, nullptr, 4, static_cast<std::uint64_t>(4 * i));
            sqe->flags |= abi::IOSQE_BUFFER_SELECT;
            sqe->buf_group = 3;
            sqe->user_data = static_cast<std::uint64_t>(i);
        }
        CHECK(r.submit() == 3);
        const auto got = take(r);
        REQUIRE(got.size() == 3);
        CHECK(got[0].res == 4);
        CHECK(got[0].flags == (abi::IORING_CQE_F_BUFFER | (20u << abi::IORING_CQE_BUFFER_SHIFT)));
        CHECK(got[1].flags == (abi::IORING_CQE_F_BUFFER | (21u << abi::IORING_CQE_BUFFER_SHIFT)));
        CHECK(got[2].res == -ENOBUFS);
        CHECK(std::string(bufs[0], 4) == "abcd");
        CHECK(std::string(bufs[1], 4) == "efgh");
        std::uint16_t head = 0;
        CHECK(rawring::buf_ring_head(r, 3, &head) == 0);
        CHECK(head == 2);
        CHECK(rawring::free_buf_ring(r, br, 4, 3) == 0);
    }
}

TEST_CASE("mock: bad SQEs get the kernel's errors and unperformed opcodes -EOPNOTSUPP") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    nop(r, 1);
    io_uring_sqe* sqe = nop(r, 2);
    sqe->opcode = 200;  // no such opcode: its CQE says -EINVAL and submission stops there
    nop(r, 3);
    CHECK(r.submit() == 2);
    CHECK(r.sq_ready() == 1);
    auto got = by_data(take(r));
    CHECK(got.at(1).res == 0);
    CHECK(got.at(2).res == -EINVAL);
    CHECK(r.submit() == 1);
    CHECK(reap(r).user_data == 3);
    handled(r, 4);  // FADVISE: not performed and no handler
    sqe = r.get_sqe();
    char buf[4];
    rawring::prep_read(sqe, 1000, buf, 4, 0);  // no such fd
    sqe->user_data = 5;
    CHECK(r.submit() == 2);
    got = by_data(take(r));
    CHECK(got.at(4).res == -EOPNOTSUPP);
    CHECK(got.at(5).res == -EBADF);
    // Bad enter arguments.
    CHECK(rawring::sys::enter(r.fd(), 0, 0, 1u << 12, nullptr) == -err::einval);
    CHECK(rawring::sys::enter2(r.fd(), 0, 1, abi::IORING_ENTER_GETEVENTS | abi::IORING_ENTER_EXT_ARG, nullptr, 3) ==
          -err::einval);
    CHECK(rawring::sys::enter(-1, 0, 0, 0, nullptr) == -err::ebadf);
    CHECK(rawring::sys::register_(r.fd(), 200, nullptr, 0) == -err::einval);
}

TEST_CASE("mock: the probe reports what the mock performs and what handlers take") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    rawring::probe p = rawring::get_probe(r);
    REQUIRE(p.status() == 0);
    CHECK(p.last_op() == abi::IORING_OP_PIPE);
    for (const auto op : {abi::IORING_OP_NOP, abi::IORING_OP_READ, abi::IORING_OP_WRITEV, abi::IORING_OP_TIMEOUT,
                          abi::IORING_OP_ASYNC_CANCEL, abi::IORING_OP_POLL_ADD, abi::IORING_OP_MSG_RING})
        CHECK(p.supported(op));
    CHECK_FALSE(p.supported(handled_op));
    m->on(handled_op, [](const mock::request&) { return mock::action::now(0); });
    p = rawring::get_probe(r);
    CHECK(p.supported(handled_op));
}

TEST_CASE("mock: DEFER_TASKRUN holds completions for the task and sets IORING_SQ_TASKRUN") {
    mock::options o = quiet();
    o.auto_advance_clock = false;
    mock::scope m(o);
    rawring::ring r;
    REQUIRE(r.init(4, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN |
                          abi::IORING_SETUP_TASKRUN_FLAG) == 0);
    const abi::kernel_timespec one_s = ms(1000);
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_timeout(sqe, &one_s, 0, 0);
    sqe->user_data = 1;
    CHECK(r.submit() == 1);
    CHECK((sq_flags(r) & abi::IORING_SQ_TASKRUN) == 0);
    m->advance_clock(1000000000);
    CHECK((sq_flags(r) & abi::IORING_SQ_TASKRUN) != 0);
    CHECK(r.cq_ready() == 0);
    nop(r, 2);
    CHECK(r.flush_sq() == 1);
    CHECK(r.enter(1, 0, 0) == 1);  // no GETEVENTS: the deferred work stays deferred
    CHECK(r.cq_ready() == 1);
    CHECK((sq_flags(r) & abi::IORING_SQ_TASKRUN) != 0);
    const auto got = take(r);  // peek enters because of TASKRUN
    CHECK(datas(got) == std::vector<std::uint64_t>{2, 1});
    CHECK(got[1].res == -ETIME);
    CHECK((sq_flags(r) & abi::IORING_SQ_TASKRUN) == 0);
    // Only the ring's own task may enter it.
    int from_other = 0;
    std::thread([&r, &from_other] { from_other = r.enter(0, 0, abi::IORING_ENTER_GETEVENTS); }).join();
    CHECK(from_other == -EEXIST);
}

TEST_CASE("mock: resize_rings keeps pending SQEs and CQEs") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(4, abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN) == 0);
    for (std::uint64_t i = 0; i < 3; ++i) nop(r, i);
    CHECK(r.submit() == 3);  // 3 CQEs left unreaped
    nop(r, 3);
    nop(r, 4);  // 2 SQEs not yet submitted
    abi::io_uring_params p{};
    p.sq_entries = 16;
    p.flags = abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 64;
    REQUIRE(r.resize_rings(p) == 0);
    CHECK(r.sq().ring_entries == 16);
    CHECK(r.cq().ring_entries == 64);
    CHECK(r.cq_ready() == 3);
    CHECK(r.sq_ready() == 2);
    CHECK(r.submit() == 2);
    CHECK(datas(take(r)) == std::vector<std::uint64_t>{0, 1, 2, 3, 4});
    abi::io_uring_params small{};
    small.sq_entries = 2;
    for (std::uint64_t i = 0; i < 5; ++i) nop(r, i);
    CHECK(r.submit() == 5);
    CHECK(r.resize_rings(small) == -EOVERFLOW);  // 5 CQEs do not fit a CQ of 4
    rawring::ring plain;
    REQUIRE(plain.init(4) == 0);
    abi::io_uring_params q{};
    q.sq_entries = 8;
    CHECK(plain.resize_rings(q) == -err::einval);  // the kernel wants DEFER_TASKRUN
}

TEST_CASE("mock: a signal ends a blocked wait with -EINTR") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    struct sigaction old {};
    REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
    // Repeating, so a signal that lands before the wait blocks is followed by one that does.
    itimerval timer{};
    timer.it_value.tv_usec = 20000;
    timer.it_interval.tv_usec = 20000;
    REQUIRE(setitimer(ITIMER_REAL, &timer, nullptr) == 0);
    io_uring_cqe* cqe = nullptr;
    const int ret = r.wait_cqe(&cqe);  // nothing in flight, no timer: only a signal ends it
    timer = itimerval{};
    REQUIRE(setitimer(ITIMER_REAL, &timer, nullptr) == 0);
    REQUIRE(sigaction(SIGALRM, &old, nullptr) == 0);
    CHECK(ret == -err::eintr);
    nop(r, 1);
    CHECK(r.submit_and_wait(1) == 1);
    CHECK(reap(r).user_data == 1);
}

TEST_CASE("mock: R_DISABLED rings take enters only once enabled") {
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(4, abi::IORING_SETUP_R_DISABLED) == 0);
    nop(r, 1);
    CHECK(r.submit() == -EBADFD);
    CHECK(rawring::enable_rings(r) == 0);
    CHECK(rawring::enable_rings(r) == -EBADFD);
    CHECK(r.submit() == 1);
    CHECK(reap(r).user_data == 1);
}

TEST_CASE("mock: OPENAT, CLOSE and FSYNC are performed") {
    temp_dir dir;
    mock::scope m(quiet());
    rawring::ring r;
    REQUIRE(r.init(4) == 0);
    const std::string path = dir.at("made");
    io_uring_sqe* sqe = r.get_sqe();
    rawring::prep_openat(sqe, AT_FDCWD, path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    CHECK(r.submit() == 1);
    const int fd = reap(r).res;
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "persist", 7) == 7);
    sqe = r.get_sqe();
    rawring::prep_fsync(sqe, fd, 0);
    sqe->flags |= abi::IOSQE_IO_LINK;
    sqe = r.get_sqe();
    rawring::prep_close(sqe, fd);
    CHECK(r.submit() == 2);
    CHECK(reap(r).res == 0);
    CHECK(reap(r).res == 0);
    CHECK(::fcntl(fd, F_GETFD) == -1);
    CHECK(dir.read("made") == "persist");
    sqe = r.get_sqe();
    rawring::prep_close(sqe, r.fd());  // never an io_uring fd, as in the kernel
    CHECK(r.submit() == 1);
    CHECK(reap(r).res == -EBADF);
    CHECK(m->leftovers().never_closed == std::vector<int>{r.fd()});
}

TEST_CASE("mock: rings in the caller's memory (NO_MMAP), with and without an fd") {
    mock::scope m(quiet());
    for (const std::uint32_t extra : {0u, static_cast<std::uint32_t>(abi::IORING_SETUP_REGISTERED_FD_ONLY)}) {
        CAPTURE(extra);
        abi::io_uring_params p{};
        p.flags = extra;
        const long need = rawring::ring::memory_needed(8, p);
        REQUIRE(need > 0);
        mapping mem(static_cast<std::size_t>(need));
        rawring::ring r;
        REQUIRE(r.init_mem(8, p, mem.p, mem.size) >= 0);
        CHECK((r.flags() & abi::IORING_SETUP_NO_MMAP) != 0);
        CHECK(static_cast<void*>(r.sq().sqes) == mem.p);
        CHECK((r.fd() < 0) == (extra != 0));
        for (std::uint64_t i = 0; i < 3; ++i) nop(r, i);
        CHECK(r.submit_and_wait(3) == 3);
        CHECK(datas(take(r)) == std::vector<std::uint64_t>{0, 1, 2});
        r.exit();
    }
    CHECK(m->leftovers().empty());
}

TEST_CASE("mock: kernel rings made before install pass through") {
    rawring::ring k;
    if (const int ret = k.init(4); ret < 0) {
        RAWRING_SKIP("no kernel io_uring here: " << std::strerror(-ret));
        return;
    }
    mock::scope m(quiet());
    CHECK_FALSE(m->owns(k.fd()));
    rawring::ring fake;
    REQUIRE(fake.init(4) == 0);
    CHECK(m->owns(fake.fd()));
    const std::uint64_t calls_before = m->calls();
    for (std::uint64_t i = 0; i < 3; ++i) nop(k, i);
    CHECK(k.submit_and_wait(3) == 3);
    CHECK(datas(take(k)) == std::vector<std::uint64_t>{0, 1, 2});
    CHECK(rawring::get_probe(k).status() == 0);
    CHECK(m->calls() == calls_before);  // none of those was the mock's
    CHECK(k.register_ring_fd() == 1);
    CHECK(k.enter_fd() == 0);  // the kernel's slot, the bottom of the table
    nop(k, 9);
    CHECK(k.submit_and_wait(1) == 1);
    CHECK(take(k).at(0).user_data == 9);
    nop(fake, 8);
    CHECK(fake.submit_and_wait(1) == 1);
    CHECK(take(fake).at(0).user_data == 8);
    CHECK(m->calls() > calls_before);
    k.exit();  // unregister, munmap and close, all passed through
    CHECK_FALSE(k.is_open());
}

} // TEST_SUITE
