// SPDX-License-Identifier: MIT
// Mixed-size rings: IORING_SETUP_CQE_MIXED (16- and 32-byte CQEs, skip fillers at the wrap) on the
// real kernel and on the mock, the two cross-checked slot by slot; IORING_SETUP_SQE_MIXED (64- and
// 128-byte SQEs, get_sqe128) on the mock as Linux 6.19, and on the kernel where it has it.
#include <cstdint>
#include <vector>

#include "common.hpp"

#include "rawring/mock.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;
namespace err = rawring::err;
namespace mock = rawring::mock;

namespace {

mock::options quiet(bool linux_6_19 = false) {
    mock::options o;
    o.report_at_exit = false;
    o.linux_6_19 = linux_6_19;
    return o;
}

/// A CQE_MIXED ring of `sq` SQ and `cq` CQ entries, or false (with a SKIP message) where the
/// kernel has no CQE_MIXED.
bool open_mixed(rawring::ring& r, unsigned sq, unsigned cq, const config& c = configs[0]) {
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQSIZE | c.flags;
    p.cq_entries = cq;
    const int ret = r.init(sq, p, c.array);
    // A refusal is the kernel's only if the raw syscall refuses the same flags too.
    if (ret == -err::einval && setup_accepts(p.flags & ~abi::IORING_SETUP_CQSIZE) != 0) {
        RAWRING_SKIP(c.name << ": this kernel has no IORING_SETUP_CQE_MIXED (Linux 6.18) with these flags");
        return false;
    }
    REQUIRE(ret == 0);
    return true;
}

/// The configurations a CQE_MIXED ring can have: every one but CQE32 (the kernel refuses both).
std::vector<config> mixed_configs() {
    std::vector<config> out;
    for (const config& c : configs)
        if ((c.flags & abi::IORING_SETUP_CQE32) == 0) out.push_back(c);
    return out;
}

/// Queues a NOP with `user_data`; `big` asks for a 32-byte CQE (IORING_NOP_CQE32) carrying
/// `extra1` and `extra2` (the kernel takes them from sqe.off and sqe.addr).
void mixed_nop(rawring::ring& r, std::uint64_t user_data, bool big = false, std::uint64_t extra1 = 0,
               std::uint64_t extra2 = 0) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop(sqe);
    rawring::sqe_set_data64(sqe, user_data);
    if (big) {
        sqe->nop_flags = abi::IORING_NOP_CQE32;
        sqe->off = extra1;
        sqe->addr = extra2;
    }
}

std::uint32_t khead(const rawring::ring& r) { return *r.cq().khead; }
std::uint32_t ktail(const rawring::ring& r) { return *r.cq().ktail; }
const io_uring_cqe& slot(const rawring::ring& r, unsigned i) { return r.cq().cqes[i & r.cq().ring_mask]; }

/// Submits what is queued and waits until `slots` CQ slots are ready, and until the kernel has
/// published the SQ head past them (an SQPOLL thread posts the CQEs first), so the SQ has room
/// again for what comes next.
void submit_for(rawring::ring& r, unsigned slots) {
    REQUIRE(r.submit_and_wait(slots) >= 0);
    REQUIRE(r.cq_ready() == slots);
    REQUIRE(await_sq_consumed(r));
}

/// Submits `n` small NOPs and reaps them, so that the CQ head and tail move on by `n`.
void move_on(rawring::ring& r, unsigned n) {
    for (unsigned i = 0; i < n; ++i) mixed_nop(r, 1000 + i);
    submit_for(r, n);
    r.cq_advance(n);
    REQUIRE(r.cq_ready() == 0);
}

/// Whether this kernel posts 32-byte NOP CQEs (IORING_NOP_CQE32, Linux 6.18): tried on a
/// throwaway CQE_MIXED ring.
bool kernel_has_nop_cqe32() {
    rawring::ring r;
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_CQE_MIXED;
    if (r.init(4, p) != 0) return false;
    mixed_nop(r, 1, true, 7, 8);
    if (r.submit_and_wait(1) != 1) return false;
    io_uring_cqe* cqe = nullptr;
    if (r.wait_cqe(&cqe) != 0) return false;
    return cqe->res == 0 && (cqe->flags & abi::IORING_CQE_F_32) != 0;
}

/// The CQ as the two sides show it after a scenario: the counters and every slot's words.
struct cq_picture {
    std::uint32_t head = 0, tail = 0, sq_flags = 0;
    std::vector<abi::io_uring_cqe> slots;
};

cq_picture picture(const rawring::ring& r) {
    cq_picture pic;
    pic.head = khead(r);
    pic.tail = ktail(r);
    pic.sq_flags = *r.sq().kflags & abi::IORING_SQ_CQ_OVERFLOW;
    for (unsigned i = 0; i < r.cq().ring_entries; ++i) pic.slots.push_back(r.cq().cqes[i]);
    return pic;
}

void check_same(const cq_picture& kernel, const cq_picture& mocked) {
    CHECK(kernel.head == mocked.head);
    CHECK(kernel.tail == mocked.tail);
    CHECK(kernel.sq_flags == mocked.sq_flags);
    REQUIRE(kernel.slots.size() == mocked.slots.size());
    // Only the slots the last round wrote mean anything: [tail - ring size, tail).
    const std::uint32_t n = static_cast<std::uint32_t>(kernel.slots.size());
    for (std::uint32_t i = kernel.tail - n; i != kernel.tail; ++i) {
        INFO("slot " << i % n);
        CHECK(kernel.slots[i % n].user_data == mocked.slots[i % n].user_data);
        CHECK(kernel.slots[i % n].res == mocked.slots[i % n].res);
        CHECK(kernel.slots[i % n].flags == mocked.slots[i % n].flags);
    }
}

/// The wrap scenario: head and tail at 6 of 8, then small, big (its filler in slot 7, itself in
/// 0-1), small, big. Leaves 7 slots ready.
void wrap_scenario(rawring::ring& r) {
    move_on(r, 6);
    mixed_nop(r, 10);
    mixed_nop(r, 11, true, 0x1111, 0x2222);
    mixed_nop(r, 12);
    mixed_nop(r, 13, true, 0x3333, 0x4444);
    submit_for(r, 7);
}

/// The overflow scenario on a 4-entry CQ: three small CQEs, then a big one with one slot left
/// before the wrap: the filler takes that slot and the big CQE overflows. Then the small ones
/// and the filler are reaped, and a flush brings the big one in at slots 0-1.
void overflow_scenario(rawring::ring& r, std::vector<cq_picture>& steps) {
    for (std::uint64_t i = 1; i <= 3; ++i) mixed_nop(r, i);
    mixed_nop(r, 4, true, 0x5555, 0x6666);
    REQUIRE(r.submit() == 4);
    steps.push_back(picture(r));
    CHECK(r.cq_has_overflow());
    CHECK(r.cq_ready() == 4);  // three CQEs and the filler
    r.cq_advance(3);
    // The filler alone: a slot ready, but no CQE to show; a peek consumes it without entering.
    CHECK(r.cq_ready() == 1);
    unsigned avail = 9;
    CHECK(r.first_cqe(&avail) == nullptr);
    CHECK(avail == 0);
    CHECK(*r.cq().khead == 4);
    CHECK(r.cq_has_overflow());
    REQUIRE(r.get_events() >= 0);  // flushes the overflowed CQE
    steps.push_back(picture(r));
    CHECK_FALSE(r.cq_has_overflow());
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.peek_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 4);
    CHECK((cqe->flags & abi::IORING_CQE_F_32) != 0);
    CHECK(rawring::big_cqe(*cqe).big_cqe[0] == 0x5555);
    CHECK(rawring::big_cqe(*cqe).big_cqe[1] == 0x6666);
    r.cqe_seen(cqe);
    CHECK(r.cq_ready() == 0);
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("ring: cqe_mixed init accepts CQE_MIXED and refuses it with CQE32") {
    rawring::ring r;
    if (!open_mixed(r, 4, 8)) return;
    CHECK((r.flags() & abi::IORING_SETUP_CQE_MIXED) != 0);
    CHECK(r.cq().shift == 0);  // 16-byte slots: a big CQE takes two of them
    CHECK(r.cq().ring_entries == 8);
    CHECK(r.exit() == 0);
    CHECK(r.init(4, abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQE32) == -err::einval);
    CHECK_FALSE(r.is_open());
    CHECK(r.init(4, abi::IORING_SETUP_SQ_REWIND | abi::IORING_SETUP_NO_SQARRAY) == -err::eopnotsupp);
    CHECK_FALSE(r.is_open());
    // A CQ of one slot has no room for a big CQE: the kernel finds no layout (and the mock agrees).
    abi::io_uring_params p{};
    p.flags = abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 1;
    CHECK(r.init(1, p) == -EOVERFLOW);
    mock::scope m(quiet());
    p = {};
    p.flags = abi::IORING_SETUP_CQE_MIXED | abi::IORING_SETUP_CQSIZE;
    p.cq_entries = 1;
    CHECK(r.init(1, p) == -EOVERFLOW);
}

TEST_CASE("ring: cqe_mixed a NOP with IORING_NOP_CQE32 posts a 32-byte CQE in two slots") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    for (const config& c : mixed_configs()) {
    INFO("config: " << std::string(c.name));
    rawring::ring r;
    if (!open_mixed(r, 8, 8, c)) continue;
    mixed_nop(r, 1);
    mixed_nop(r, 2, true, 0x1111, 0x2222);
    mixed_nop(r, 3);
    submit_for(r, 4);  // 1 + 2 + 1 slots
    CHECK(khead(r) == 0);
    CHECK(ktail(r) == 4);
    // The ring's memory as the kernel wrote it.
    CHECK(slot(r, 0).user_data == 1);
    CHECK(slot(r, 0).flags == 0);
    CHECK(slot(r, 1).user_data == 2);
    CHECK(slot(r, 1).res == 0);
    CHECK(slot(r, 1).flags == abi::IORING_CQE_F_32);
    CHECK(rawring::big_cqe(slot(r, 1)).big_cqe[0] == 0x1111);
    CHECK(rawring::big_cqe(slot(r, 1)).big_cqe[1] == 0x2222);
    CHECK(slot(r, 3).user_data == 3);
    // peek / cqe_seen step over each CQE, the big one by two slots.
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.peek_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 1);
    CHECK(r.cqe_slots(*cqe) == 1);
    r.cqe_seen(cqe);
    CHECK(khead(r) == 1);
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 2);
    CHECK(r.cqe_slots(*cqe) == 2);
    CHECK(rawring::cqe_nr(*cqe) == 2);
    r.cqe_seen(cqe);
    CHECK(khead(r) == 3);
    CHECK(r.cq_ready() == 1);
    REQUIRE(r.peek_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 3);
    r.cqe_seen(cqe);
    CHECK(khead(r) == 4);
    CHECK(r.peek_cqe(&cqe) == -err::eagain);
    CHECK(cqe == nullptr);
    CHECK((*r.sq().kflags & abi::IORING_SQ_CQ_OVERFLOW) == 0);
    }
}

TEST_CASE("ring: cqe_mixed a big CQE that would wrap comes after a skip filler") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    rawring::ring r;
    if (!open_mixed(r, 8, 8)) return;
    move_on(r, 7);  // head and tail at 7: the last slot
    mixed_nop(r, 100, true, 0xaa, 0xbb);
    submit_for(r, 3);  // the filler and the big CQE
    CHECK(ktail(r) == 10);
    CHECK(slot(r, 7).flags == abi::IORING_CQE_F_SKIP);
    CHECK(slot(r, 7).user_data == 0);
    CHECK(slot(r, 7).res == 0);
    CHECK(slot(r, 0).user_data == 100);
    CHECK(slot(r, 0).flags == abi::IORING_CQE_F_32);
    CHECK(rawring::big_cqe(slot(r, 0)).big_cqe[0] == 0xaa);
    CHECK(rawring::big_cqe(slot(r, 0)).big_cqe[1] == 0xbb);
    // A peek consumes the filler (one head store) and shows the big CQE.
    unsigned avail = 0;
    io_uring_cqe* cqe = r.first_cqe(&avail);
    REQUIRE(cqe != nullptr);
    CHECK(cqe->user_data == 100);
    CHECK(avail == 2);
    CHECK(khead(r) == 8);
    r.cqe_seen(cqe);
    CHECK(khead(r) == 10);
    CHECK(r.cq_ready() == 0);
    // The ring goes on as before.
    move_on(r, 3);
    CHECK(khead(r) == 13);
}

TEST_CASE("ring: cqe_mixed for_each_cqe walks both sizes across the wrap and cq_advance takes its slots") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    for (const config& c : mixed_configs()) {
    INFO("config: " << std::string(c.name));
    rawring::ring r;
    if (!open_mixed(r, 8, 8, c)) continue;
    wrap_scenario(r);
    CHECK(khead(r) == 6);
    CHECK(ktail(r) == 13);
    std::vector<std::uint64_t> seen;
    std::vector<std::uint64_t> extra;
    const unsigned slots = r.for_each_cqe([&](const io_uring_cqe& cqe) {
        seen.push_back(cqe.user_data);
        CHECK((cqe.flags & abi::IORING_CQE_F_SKIP) == 0);
        if ((cqe.flags & abi::IORING_CQE_F_32) != 0) extra.push_back(rawring::big_cqe(cqe).big_cqe[1]);
    });
    CHECK(slots == 7);
    CHECK(seen == std::vector<std::uint64_t>{10, 11, 12, 13});
    CHECK(extra == std::vector<std::uint64_t>{0x2222, 0x4444});
    CHECK(khead(r) == 6);  // for_each_cqe consumes nothing
    r.cq_advance(slots);
    CHECK(khead(r) == 13);
    CHECK(r.cq_ready() == 0);
    // An empty CQ: nothing visited, nothing to advance.
    CHECK(r.for_each_cqe([](const io_uring_cqe&) { FAIL("no CQE is ready"); }) == 0);
    }
}

TEST_CASE("ring: cqe_mixed copy_cqes copies both sizes into 32-byte entries and drops the fillers") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    rawring::ring r;
    if (!open_mixed(r, 8, 8)) return;
    wrap_scenario(r);
    // 16-byte entries could not hold a big CQE: refused, nothing consumed.
    io_uring_cqe small[4]{};
    CHECK(r.copy_cqes(std::span<io_uring_cqe>(small), 0) == -err::einval);
    CHECK(r.copy_cqe(small[0]) == -err::einval);
    CHECK(khead(r) == 6);
    abi::io_uring_cqe32 out[4]{};
    for (auto& o : out) o.big_cqe[0] = o.big_cqe[1] = 0xdead;
    // Two at a time: the first call takes 10, the filler and 11 (four slots).
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(out, 2), 0) == 2);
    CHECK(khead(r) == 10);
    CHECK(out[0].user_data == 10);
    CHECK(out[0].flags == 0);
    CHECK(out[0].big_cqe[0] == 0);  // a 16-byte CQE's payload is zeroed
    CHECK(out[1].user_data == 11);
    CHECK(out[1].flags == abi::IORING_CQE_F_32);
    CHECK(out[1].big_cqe[0] == 0x1111);
    CHECK(out[1].big_cqe[1] == 0x2222);
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 0) == 2);
    CHECK(khead(r) == 13);
    CHECK(out[0].user_data == 12);
    CHECK(out[1].user_data == 13);
    CHECK(out[1].big_cqe[1] == 0x4444);
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 0) == 0);
    // With nothing ready, a wait for one copies the next CQE as it comes.
    mixed_nop(r, 14, true, 1, 2);
    REQUIRE(r.submit() == 1);
    CHECK(r.copy_cqes(std::span<abi::io_uring_cqe32>(out), 1) == 1);
    CHECK(out[0].user_data == 14);
    CHECK(out[0].big_cqe[1] == 2);
    CHECK(khead(r) == 15);
    CHECK(khead(r) == ktail(r));
}

TEST_CASE("ring: cqe_mixed peek_batch_cqe stops before a filler, and peeks consume it") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    rawring::ring r;
    if (!open_mixed(r, 8, 8)) return;
    wrap_scenario(r);
    io_uring_cqe* batch[8]{};
    REQUIRE(r.peek_batch_cqe(batch, 8) == 1);  // 10; the filler in slot 7 ends the batch
    CHECK(batch[0]->user_data == 10);
    r.cqe_seen(batch[0]);
    CHECK(khead(r) == 7);
    REQUIRE(r.peek_batch_cqe(batch, 8) == 3);  // the filler consumed; 11, 12, 13
    CHECK(khead(r) == 8);
    CHECK(batch[0]->user_data == 11);
    CHECK(batch[1]->user_data == 12);
    CHECK(batch[2]->user_data == 13);
    unsigned slots = 0;
    for (unsigned i = 0; i < 3; ++i) slots += r.cqe_slots(*batch[i]);
    CHECK(slots == 5);
    r.cq_advance(slots);
    CHECK(khead(r) == 13);
    CHECK(r.peek_batch_cqe(batch, 8) == 0);
}

TEST_CASE("ring: cqe_mixed a big CQE without room overflows after its filler and comes back at slot 0") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    rawring::ring r;
    if (!open_mixed(r, 4, 4)) return;
    std::vector<cq_picture> steps;
    overflow_scenario(r, steps);
    REQUIRE(steps.size() == 2);
    CHECK(steps[0].tail == 4);  // three CQEs and the filler; the big CQE overflowed
    CHECK(steps[0].sq_flags == abi::IORING_SQ_CQ_OVERFLOW);
    CHECK(steps[0].slots[3].flags == abi::IORING_CQE_F_SKIP);
    CHECK(steps[1].head == 4);
    CHECK(steps[1].tail == 6);
    CHECK(steps[1].slots[0].user_data == 4);
}

TEST_CASE("ring: cqe_mixed the mock posts what the kernel posts") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    cq_picture on_kernel, on_mock;
    std::vector<cq_picture> kernel_steps, mock_steps;
    {
        rawring::ring r;
        if (!open_mixed(r, 8, 8)) return;
        wrap_scenario(r);
        on_kernel = picture(r);
        rawring::ring small;
        if (!open_mixed(small, 4, 4)) return;
        overflow_scenario(small, kernel_steps);
    }
    {
        mock::scope m(quiet());
        rawring::ring r;
        REQUIRE(open_mixed(r, 8, 8));
        REQUIRE(m->owns(r.fd()));
        wrap_scenario(r);
        on_mock = picture(r);
        rawring::ring small;
        REQUIRE(open_mixed(small, 4, 4));
        overflow_scenario(small, mock_steps);
        CHECK(m->leftovers().never_completed.empty());
    }
    check_same(on_kernel, on_mock);
    REQUIRE(kernel_steps.size() == mock_steps.size());
    for (std::size_t i = 0; i < kernel_steps.size(); ++i) {
        INFO("overflow scenario, step " << i);
        check_same(kernel_steps[i], mock_steps[i]);
    }
}

TEST_CASE("ring: cqe_mixed NOP_CQE32 needs a ring with 32-byte CQEs, on the kernel and the mock") {
    if (!kernel_has_nop_cqe32()) {
        RAWRING_SKIP("this kernel posts no 32-byte NOP CQEs (IORING_NOP_CQE32, CQE_MIXED: Linux 6.18)");
        return;
    }
    const auto res_on_plain_ring = [] {
        rawring::ring r;
        REQUIRE(r.init(4) == 0);
        mixed_nop(r, 1, true, 1, 2);
        REQUIRE(r.submit_and_wait(1) >= 0);
        io_uring_cqe* cqe = nullptr;
        REQUIRE(r.wait_cqe(&cqe) == 0);
        CHECK(cqe->user_data == 1);
        return cqe->res;
    };
    const int on_kernel = res_on_plain_ring();
    CHECK(on_kernel == -err::einval);
    mock::scope m(quiet());
    CHECK(res_on_plain_ring() == on_kernel);
}

TEST_CASE("ring: sqe_mixed init takes SQE_MIXED where this kernel's setup does") {
    const int kernel_says = setup_accepts(abi::IORING_SETUP_SQE_MIXED);
    rawring::ring r;
    CHECK(r.init(8, abi::IORING_SETUP_SQE_MIXED) == kernel_says);
    if (kernel_says != 0) {
        CHECK_FALSE(r.is_open());
        RAWRING_SKIP("this kernel has no IORING_SETUP_SQE_MIXED (Linux 6.19): the mock's cases stand in");
        return;
    }
    // Linux 6.19+: a NOP, a NOP128 and a NOP, four slots, three CQEs.
    mixed_nop(r, 1);
    io_uring_sqe* big = r.get_sqe128();
    REQUIRE(big != nullptr);
    rawring::prep_nop128(big);
    rawring::sqe_set_data64(big, 2);
    mixed_nop(r, 3);
    CHECK(r.sq_ready() == 4);
    CHECK(r.submit_and_wait(3) == 4);
    CHECK(*r.sq().khead == 4);
    for (std::uint64_t want = 1; want <= 3; ++want) {
        io_uring_cqe* cqe = nullptr;
        REQUIRE(r.wait_cqe(&cqe) == 0);
        CHECK(cqe->user_data == want);
        CHECK(cqe->res == 0);
        r.cqe_seen(cqe);
    }
}

} // TEST_SUITE("kernel")

TEST_SUITE("mock") {

TEST_CASE("ring: sqe_mixed the mock as Linux 6.18 refuses SQE_MIXED and NOP128") {
    mock::scope m(quiet());
    rawring::ring r;
    CHECK(r.init(8, abi::IORING_SETUP_SQE_MIXED) == -err::einval);
    REQUIRE(r.init(8) == 0);
    CHECK(r.get_sqe128() == nullptr);  // neither SQE128 nor SQE_MIXED
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop128(sqe);
    rawring::sqe_set_data64(sqe, 9);
    REQUIRE(r.submit_and_wait(1) == 1);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 9);
    CHECK(cqe->res == -err::einval);  // an opcode 6.18 does not know
    r.cqe_seen(cqe);
}

TEST_CASE("ring: sqe_mixed setup rules of Linux 6.19 on the mock") {
    mock::scope m(quiet(true));
    rawring::ring r;
    CHECK(r.init(8, abi::IORING_SETUP_SQE_MIXED | abi::IORING_SETUP_SQE128) == -err::einval);
    CHECK(r.init(1, abi::IORING_SETUP_SQE_MIXED) == -EOVERFLOW);  // a 128-byte SQE needs two slots
    REQUIRE(r.init(2, abi::IORING_SETUP_SQE_MIXED | abi::IORING_SETUP_CQE_MIXED) == 0);
    CHECK(r.sq().shift == 0);
    CHECK(r.sq().sqes_sz == 2 * sizeof(io_uring_sqe));  // 64-byte slots
    CHECK(r.get_sqe128() != nullptr);  // two slots: all there is
    CHECK(r.get_sqe() == nullptr);
    CHECK(m->leftovers().never_completed.empty());
}

TEST_CASE("ring: sqe_mixed get_sqe128 takes two slots and the kernel consumes them as one request") {
    mock::scope m(quiet(true));
    rawring::ring r;
    REQUIRE(r.init(8, abi::IORING_SETUP_SQE_MIXED) == 0);
    mixed_nop(r, 1);
    io_uring_sqe* big = r.get_sqe128();
    REQUIRE(big != nullptr);
    CHECK(big == &r.sq().sqes[1]);
    // Both slots come zeroed, the second half included.
    const auto* bytes = reinterpret_cast<const unsigned char*>(big);
    bool zero = true;
    for (std::size_t i = 0; i < 2 * sizeof(io_uring_sqe); ++i) zero = zero && bytes[i] == 0;
    CHECK(zero);
    rawring::prep_nop128(big);
    rawring::sqe_set_data64(big, 2);
    big[1].user_data = 0xfeed;  // the second half is the request's, not another SQE
    mixed_nop(r, 3);
    CHECK(r.sq().sqe_tail == 4);
    CHECK(r.sq_ready() == 4);
    CHECK(r.sq_space_left() == 4);
    CHECK(r.submit_and_wait(3) == 4);  // the kernel counts slots
    CHECK(*r.sq().khead == 4);
    CHECK(*r.sq().ktail == 4);
    CHECK(r.cq_ready() == 3);
    for (std::uint64_t want = 1; want <= 3; ++want) {
        io_uring_cqe* cqe = nullptr;
        REQUIRE(r.peek_cqe(&cqe) == 0);
        CHECK(cqe->user_data == want);
        CHECK(cqe->res == 0);
        r.cqe_seen(cqe);
    }
    CHECK(r.cq_ready() == 0);
    CHECK(m->leftovers().never_completed.empty());
}

TEST_CASE("ring: sqe_mixed get_sqe128 at the last slot puts a skip-success NOP there first") {
    mock::scope m(quiet(true));
    rawring::ring r;
    REQUIRE(r.init(8, abi::IORING_SETUP_SQE_MIXED) == 0);
    move_on(r, 7);  // the SQ tail at slot 7, the last
    REQUIRE(r.sq().sqe_tail == 7);
    io_uring_sqe* big = r.get_sqe128();
    REQUIRE(big != nullptr);
    const io_uring_sqe& pad = r.sq().sqes[7];
    CHECK(pad.opcode == abi::IORING_OP_NOP);
    CHECK(pad.flags == abi::IOSQE_CQE_SKIP_SUCCESS);
    CHECK(pad.user_data == 0);
    CHECK(big == &r.sq().sqes[0]);  // wrapped: slots 0 and 1
    CHECK(r.sq().sqe_tail == 10);
    CHECK(r.sq_ready() == 3);
    rawring::prep_nop128(big);
    rawring::sqe_set_data64(big, 50);
    CHECK(r.submit_and_wait(1) == 3);
    CHECK(*r.sq().khead == 10);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 50);  // the pad NOP succeeded and posted nothing
    CHECK(cqe->res == 0);
    r.cqe_seen(cqe);
    CHECK(r.cq_ready() == 0);
    // The documented cost: after a CQE_SKIP_SUCCESS request the kernel refuses IO_DRAIN.
    mixed_nop(r, 51);
    r.sq().sqes[(r.sq().sqe_tail - 1) & r.sq().ring_mask].flags = abi::IOSQE_IO_DRAIN;
    CHECK(r.submit_and_wait(1) == 1);
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 51);
    CHECK(cqe->res == -EOPNOTSUPP);
    r.cqe_seen(cqe);
    CHECK(m->leftovers().never_completed.empty());
}

TEST_CASE("ring: sqe_mixed get_sqe128 gives nullptr without two free slots, or three at the wrap") {
    mock::scope m(quiet(true));
    rawring::ring r;
    REQUIRE(r.init(4, abi::IORING_SETUP_SQE_MIXED) == 0);
    for (std::uint64_t i = 0; i < 3; ++i) mixed_nop(r, 60 + i);
    CHECK(r.get_sqe128() == nullptr);  // one slot left (and it is the last: a pad would need three)
    CHECK(r.sq().sqe_tail == 3);
    mixed_nop(r, 63);
    CHECK(r.get_sqe128() == nullptr);  // full
    REQUIRE(r.submit_and_wait(4) == 4);
    r.cq_advance(4);
    // Tail at 7 (slot 3, the last) with two slots in use: two free, three needed.
    mixed_nop(r, 64);
    REQUIRE(r.submit_and_wait(1) == 1);
    r.cq_advance(1);
    mixed_nop(r, 65);
    mixed_nop(r, 66);
    REQUIRE(r.sq().sqe_tail == 7);
    CHECK(r.get_sqe128() == nullptr);
    CHECK(r.sq().sqe_tail == 7);  // no pad NOP left behind
    REQUIRE(r.submit_and_wait(2) == 2);
    r.cq_advance(2);
    // Four free at the last slot: the pad there, the pair at slots 0-1.
    io_uring_sqe* big = r.get_sqe128();
    REQUIRE(big != nullptr);
    CHECK(big == &r.sq().sqes[0]);
    CHECK(r.sq().sqe_tail == 10);
    rawring::prep_nop128(big);
    rawring::sqe_set_data64(big, 90);
    REQUIRE(r.submit_and_wait(1) == 3);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 90);
    r.cqe_seen(cqe);
    CHECK(r.cq_ready() == 0);
    // An SQE128 ring: one 128-byte slot each, as get_sqe.
    rawring::ring wide;
    REQUIRE(wide.init(2, abi::IORING_SETUP_SQE128) == 0);
    REQUIRE(wide.get_sqe128() != nullptr);
    CHECK(wide.sq().sqe_tail == 1);
    CHECK(rawring::get_sqe128(wide) != nullptr);
    CHECK(wide.get_sqe128() == nullptr);
    CHECK(m->leftovers().never_completed.empty());
}

TEST_CASE("ring: sqe_mixed the mock refuses a 128-byte SQE in the last slot or cut off by the batch") {
    mock::scope m(quiet(true));
    rawring::ring r;
    REQUIRE(r.init(8, abi::IORING_SETUP_SQE_MIXED) == 0);
    move_on(r, 7);
    // A NOP128 put by hand in the last slot: -EINVAL, one slot consumed; the next SQE runs.
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe == &r.sq().sqes[7]);
    rawring::prep_nop128(sqe);
    rawring::sqe_set_data64(sqe, 80);
    mixed_nop(r, 81);
    CHECK(r.submit_and_wait(1) == 1);  // the batch ends at the bad SQE (no SUBMIT_ALL)
    CHECK(*r.sq().khead == 8);
    io_uring_cqe* cqe = nullptr;
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 80);
    CHECK(cqe->res == -err::einval);
    r.cqe_seen(cqe);
    CHECK(r.submit_and_wait(1) == 1);  // 81 was published already
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 81);
    CHECK(cqe->res == 0);
    r.cqe_seen(cqe);
    // A NOP128 whose second slot is not part of the batch: -EINVAL.
    sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop128(sqe);
    rawring::sqe_set_data64(sqe, 82);
    CHECK(r.submit_and_wait(1) == 1);
    REQUIRE(r.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 82);
    CHECK(cqe->res == -err::einval);
    r.cqe_seen(cqe);
    // On a ring without SQE_MIXED a NOP128 is refused too (6.19 knows the opcode).
    rawring::ring plain;
    REQUIRE(plain.init(4) == 0);
    CHECK(plain.get_sqe128() == nullptr);
    sqe = plain.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_nop128(sqe);
    rawring::sqe_set_data64(sqe, 83);
    CHECK(plain.submit_and_wait(1) == 1);
    REQUIRE(plain.wait_cqe(&cqe) == 0);
    CHECK(cqe->user_data == 83);
    CHECK(cqe->res == -err::einval);
    plain.cqe_seen(cqe);
    CHECK(m->leftovers().never_completed.empty());
}

} // TEST_SUITE("mock")
