// SPDX-License-Identifier: MIT
// The fault injector (rawring/inject.hpp) on the real kernel: each fault it gives reaches the
// caller as the documented -errno, and no SQE is lost or submitted twice because of it.
#include <unistd.h>

#include <set>
#include <vector>

#include "common.hpp"
#include "rawring/inject.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;

namespace {

rawring::inject::options only(bool enter, bool short_submit, bool reg, bool setup, bool mmap,
                              double rate, std::uint64_t seed = 7) {
    rawring::inject::options o;
    o.rate = rate;
    o.seed = seed;
    o.enter_errors = enter;
    o.short_submits = short_submit;
    o.register_errors = reg;
    o.setup_errors = setup;
    o.mmap_errors = mmap;
    return o;
}

/// Queues `n` NOPs carrying user_data first..first+n-1.
void queue_nops(rawring::ring& r, unsigned n, std::uint64_t first) {
    for (unsigned i = 0; i < n; ++i) REQUIRE(queue_nop(r, first + i) != nullptr);
}

/// Reaps every CQE ready or arriving within 5 s until `want` have been seen, into `seen`.
void reap_into(rawring::ring& r, std::multiset<std::uint64_t>& seen, std::size_t want) {
    while (seen.size() < want) {
        const io_uring_cqe cqe = reap(r);
        CHECK(cqe.res == 0);
        seen.insert(cqe.user_data);
    }
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("inject: enter faults reach the caller and no SQE is lost or submitted twice") {
    rawring::ring r;
    REQUIRE(r.init(64) == 0);
    rawring::inject::injector inj(only(true, false, false, false, false, 0.5));
    REQUIRE(inj.install() == 0);
    std::multiset<std::uint64_t> seen;
    constexpr unsigned rounds = 200, batch = 8;
    int eagain = 0, ebusy = 0, eintr = 0;
    for (unsigned round = 0; round < rounds; ++round) {
        queue_nops(r, batch, std::uint64_t{round} * batch);
        // Retry until the SQ is empty: an -EAGAIN or -EBUSY left every SQE in it, and an
        // -EINTR (nothing to submit, the wait cut short) changes nothing.
        while (r.sq_ready() > 0) {
            const int ret = r.submit_and_wait(1);
            if (ret == -err::eagain) ++eagain;
            else if (ret == -err::ebusy) ++ebusy;
            else if (ret == -err::eintr) ++eintr;
            else REQUIRE(ret >= 0);
        }
    }
    inj.pause(true);
    reap_into(r, seen, rounds * batch);
    CHECK(r.cq_ready() == 0);
    for (std::uint64_t i = 0; i < rounds * batch; ++i) CHECK(seen.count(i) == 1);
    const rawring::inject::counts c = inj.stats();
    CHECK(c.eagain == static_cast<std::uint64_t>(eagain));
    CHECK(c.ebusy == static_cast<std::uint64_t>(ebusy));
    CHECK(eagain > 0);
    CHECK(ebusy > 0);
    CHECK(c.faults == c.eagain + c.ebusy + c.eintr);
}

TEST_CASE("inject: a short submit leaves the rest in the SQ for the next submit") {
    // Installed first: the injector learns from setup that this ring has no SQPOLL thread
    // (which would ignore the count), and only then shortens its submits.
    rawring::inject::injector inj(only(false, true, false, false, false, 1.0));
    REQUIRE(inj.install() == 0);
    rawring::ring r;
    REQUIRE(r.init(16) == 0);
    queue_nops(r, 8, 100);
    const int first = r.submit();
    REQUIRE(first >= 1);
    REQUIRE(first <= 7);
    CHECK(r.sq_ready() == 8u - static_cast<unsigned>(first));  // the kernel's head moved by `first`
    CHECK(inj.stats().short_submits == 1);
    inj.pause(true);
    CHECK(r.submit() == 8 - first);
    CHECK(r.sq_ready() == 0);
    std::multiset<std::uint64_t> seen;
    reap_into(r, seen, 8);
    for (std::uint64_t i = 100; i < 108; ++i) CHECK(seen.count(i) == 1);
}

TEST_CASE("inject: a failed mapping at init leaves no fd and no mapping") {
    const int fds = count_fds();
    const int maps = count_uring_maps();
    {
        rawring::inject::injector inj(only(false, false, false, false, true, 1.0));
        REQUIRE(inj.install() == 0);
        rawring::ring r;
        CHECK(r.init(8) == -err::enomem);
        CHECK_FALSE(r.is_open());
        CHECK(count_fds() == fds);
        CHECK(count_uring_maps() == maps);
        CHECK(inj.stats().mmap_errors >= 1);
        inj.pause(true);
        REQUIRE(r.init(8) == 0);  // and the same ring object works afterwards
        REQUIRE(queue_nop(r, 5) != nullptr);
        REQUIRE(r.submit() == 1);
        CHECK(reap(r).user_data == 5);
    }
    CHECK(count_fds() == fds);
    CHECK(count_uring_maps() == maps);
}

TEST_CASE("inject: a failed setup reaches init and leaves the ring closed") {
    rawring::inject::injector inj(only(false, false, false, true, false, 1.0));
    REQUIRE(inj.install() == 0);
    const int fds = count_fds();
    for (int i = 0; i < 8; ++i) {
        rawring::ring r;
        const int ret = r.init(4);
        CHECK((ret == -err::enomem || ret == -err::emfile));
        CHECK_FALSE(r.is_open());
    }
    CHECK(count_fds() == fds);
    CHECK(inj.stats().setup_errors == 8);
}

TEST_CASE("inject: a failed registration reaches the caller and registers nothing") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    temp_file f("abcdefgh");
    rawring::inject::injector inj(only(false, false, true, false, false, 1.0));
    REQUIRE(inj.install() == 0);
    const int ret = rawring::register_files(r, &f.fd, 1);
    CHECK((ret == -err::enomem || ret == -err::eintr || ret == -err::ebusy));
    CHECK(inj.stats().register_errors == 1);
    inj.pause(true);
    // Nothing was registered: a read through fixed file 0 finds no table.
    char buf[8] = {};
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_read(sqe, 0, buf, sizeof(buf), 0);
    sqe->flags |= abi::IOSQE_FIXED_FILE;
    REQUIRE(r.submit() == 1);
    CHECK(reap(r).res == -err::ebadf);
    // And registering works once the injector lets it through.
    REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
    sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_read(sqe, 0, buf, sizeof(buf), 0);
    sqe->flags |= abi::IOSQE_FIXED_FILE;
    REQUIRE(r.submit() == 1);
    CHECK(reap(r).res == 8);
    CHECK(std::string(buf, 8) == "abcdefgh");
}

TEST_CASE("inject: the same seed and calls give the same faults") {
    auto run = [](std::uint64_t seed) {
        rawring::ring r;
        REQUIRE(r.init(32) == 0);
        rawring::inject::injector inj(only(true, true, false, false, false, 0.3, seed));
        REQUIRE(inj.install() == 0);
        std::vector<int> results;
        for (unsigned i = 0; i < 100; ++i) {
            queue_nops(r, 4, i * 4);
            results.push_back(r.submit());
            while (r.sq_ready() > 0) (void)r.submit();
            // Reap so the CQ never backs up (a full CQ would change the kernel's answers).
            inj.pause(true);
            std::multiset<std::uint64_t> seen;
            reap_into(r, seen, 4);
            inj.pause(false);
        }
        return results;
    };
    const std::vector<int> a = run(11), b = run(11), c = run(12);
    CHECK(a == b);
    CHECK(a != c);
}

TEST_CASE("inject: only one injector at a time, and uninstall restores the backend") {
    const rawring::sys::backend before = rawring::sys::calls;
    {
        rawring::inject::injector a, b;
        REQUIRE(a.install() == 0);
        CHECK(b.install() == -err::ebusy);
        CHECK((rawring::sys::calls.enter != before.enter));
    }
    CHECK((rawring::sys::calls.enter == before.enter));
    CHECK((rawring::sys::calls.setup == before.setup));
}

} // TEST_SUITE
