// SPDX-License-Identifier: MIT
// Kernel tests of provided-buffer rings: PBUF_RING and PBUF_STATUS, multishot recv across wraps and
// running dry, incremental consumption, buffer_group, and multishot recvmsg parsing.
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"
#include "net.hpp"

using namespace rawring_test;
namespace abi = rawring::abi;

namespace {

// Every case runs on a plain ring and on one whose completions are task work run only inside
// io_uring_enter (so every CQE below is reaped through a wait that enters the kernel).
constexpr config buf_configs[] = {
    {"default", 0},
    {"SINGLE_ISSUER|DEFER_TASKRUN",
     abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN},
};

/// The byte at position `pos` of every test stream: no short period, so a lost, doubled or
/// reordered chunk shows.
unsigned char pattern(std::size_t pos) {
    return static_cast<unsigned char>((pos * 131u) ^ (pos >> 8) ^ 0x5a);
}

std::vector<unsigned char> stream_bytes(std::size_t from, std::size_t n) {
    std::vector<unsigned char> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = pattern(from + i);
    return v;
}

/// Waits at most 5 s for a CQE (a hang would be a failure, not a stuck test).
io_uring_cqe* next_cqe(rawring::ring& r) {
    abi::kernel_timespec ts{5, 0};
    io_uring_cqe* cqe = nullptr;
    const int ret = r.wait_cqe_timeout(&cqe, &ts);
    REQUIRE(ret == 0);
    REQUIRE(cqe != nullptr);
    return cqe;
}

/// Waits for one CQE and copies it out, consuming it.
io_uring_cqe take_cqe(rawring::ring& r) {
    io_uring_cqe out = *next_cqe(r);
    r.cq_advance(1);
    return out;
}

unsigned buffer_id(const io_uring_cqe& cqe) {
    const int id = rawring::cqe_buffer_id(cqe);
    REQUIRE(id >= 0);
    return static_cast<unsigned>(id);
}
bool has_buffer(const io_uring_cqe& cqe) { return rawring::cqe_buffer_id(cqe) >= 0; }
bool has_more(const io_uring_cqe& cqe) { return rawring::cqe_has_more(cqe); }
bool buf_more(const io_uring_cqe& cqe) { return rawring::cqe_buf_more(cqe); }

/// Prepares a read of up to `nbytes` into a buffer of group `bgid`.
void queue_select_read(rawring::ring& r, int fd, unsigned nbytes, std::uint16_t bgid,
                       std::uint64_t data) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_read(sqe, fd, nullptr, nbytes, 0);
    rawring::sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
    rawring::sqe_set_buf_group(sqe, bgid);
    rawring::sqe_set_data64(sqe, data);
}

/// Prepares a (multishot) recv on `fd` into a buffer of group `bgid`.
void queue_select_recv(rawring::ring& r, int fd, std::uint16_t bgid, bool multishot,
                       std::uint64_t data) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    if (multishot)
        rawring::prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    else
        rawring::prep_recv(sqe, fd, nullptr, 0, 0);
    rawring::sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
    rawring::sqe_set_buf_group(sqe, bgid);
    rawring::sqe_set_data64(sqe, data);
}

void write_all(int fd, const std::vector<unsigned char>& bytes) {
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

/// Legacy provided buffers (IORING_OP_PROVIDE_BUFFERS) for group `bgid`: one buffer.
void provide_legacy_buffer(rawring::ring& r, void* addr, unsigned len, std::uint16_t bgid) {
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    rawring::prep_provide_buffers(sqe, addr, int(len), 1, bgid, 0);
    REQUIRE(r.submit() == 1);
    const io_uring_cqe cqe = take_cqe(r);
    REQUIRE(cqe.res == 0);
}

/// Whether the kernel reports a buffer ring's head (IORING_REGISTER_PBUF_STATUS, 6.8), asked once
/// with a ring-mapped group of its own by the raw register call (so that a fault of rawring's
/// cannot pass for the kernel's): for such a group a kernel that knows the op answers 0, and one
/// that does not answers -EINVAL. rawring's buf_ring_head must then give the same answer.
bool kernel_has_pbuf_status() {
    static const bool has = [] {
        rawring::ring r;
        REQUIRE(r.init(2) == 0);
        int err = 0;
        abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, 2, 1, 0, &err);
        REQUIRE(br != nullptr);
        abi::io_uring_buf_status status{};
        status.buf_group = 1;
        status.head = 1;
        const int raw = rawring::sys::register_(r.fd(), abi::IORING_REGISTER_PBUF_STATUS, &status, 1);
        REQUIRE((raw == 0 || raw == -EINVAL));
        std::uint16_t head = 1;
        CHECK(rawring::buf_ring_head(r, 1, &head) == raw);
        if (raw == 0) CHECK(head == status.head);
        CHECK(rawring::free_buf_ring(r, br, 2, 1) == 0);
        return raw == 0 && status.head == 0;
    }();
    return has;
}

/// Whether the kernel registers a buffer ring with `flags` (IOU_PBUF_RING_MMAP: 6.4,
/// IOU_PBUF_RING_INC: 6.12), asked by the raw register call, so that a refusal counted as the
/// kernel's is never rawring's: with MMAP the kernel allocates the ring, otherwise it is a page
/// of anonymous memory.
bool kernel_takes_pbuf_flags(std::uint16_t flags) {
    rawring::ring r;
    REQUIRE(r.init(2) == 0);
    void* mem = nullptr;
    abi::io_uring_buf_reg reg{};
    reg.ring_entries = 2;
    reg.bgid = 9;
    reg.flags = flags;
    if ((flags & abi::IOU_PBUF_RING_MMAP) == 0) {
        mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(mem != MAP_FAILED);
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
    }
    const int ret = rawring::sys::register_(r.fd(), abi::IORING_REGISTER_PBUF_RING, &reg, 1);
    REQUIRE((ret == 0 || ret == -EINVAL));
    if (ret == 0) {
        abi::io_uring_buf_reg un{};
        un.bgid = 9;
        CHECK(rawring::sys::register_(r.fd(), abi::IORING_UNREGISTER_PBUF_RING, &un, 1) == 0);
    }
    if (mem != nullptr) ::munmap(mem, 4096);
    return ret == 0;
}

bool kernel_takes_pbuf_mmap() {
    static const bool takes = kernel_takes_pbuf_flags(abi::IOU_PBUF_RING_MMAP);
    return takes;
}

bool kernel_takes_pbuf_inc() {
    static const bool takes = kernel_takes_pbuf_flags(abi::IOU_PBUF_RING_INC);
    return takes;
}

/// What the kernel answers to unregistering buffer-ring group `bgid` on a ring that has a
/// buffer ring in another group but never had one in `bgid`: -ENOENT, or -EINVAL where the
/// kernel keeps a list for each small group id once a ring has any (6.1 does, for ids below
/// 64). A group freed must answer the same.
int never_registered(int bgid) {
    rawring::ring fresh;
    REQUIRE(fresh.init(2) == 0);
    const int other = bgid ^ 1;
    int err = 0;
    abi::io_uring_buf_ring* br = rawring::setup_buf_ring(fresh, 2, other, 0, &err);
    REQUIRE(br != nullptr);
    const int ret = rawring::unregister_buf_ring(fresh, bgid);
    REQUIRE((ret == -ENOENT || ret == -EINVAL));
    CHECK(rawring::free_buf_ring(fresh, br, 2, other) == 0);
    return ret;
}

/// CHECKs that buf_ring_available gives `want` where the kernel reports heads; elsewhere that
/// it hands back the kernel's -EINVAL unchanged, and says SKIP (the count was not checked).
#define CHECK_AVAILABLE(r, br, bgid, want)                                                         \
    do {                                                                                           \
        if (kernel_has_pbuf_status()) {                                                            \
            CHECK(rawring::buf_ring_available(r, br, bgid) == (want));                             \
        } else {                                                                                   \
            CHECK(rawring::buf_ring_available(r, br, bgid) == -EINVAL);                            \
            RAWRING_SKIP("the kernel has no IORING_REGISTER_PBUF_STATUS: buffers left not counted"); \
        }                                                                                          \
    } while (0)

/// True when the page at `addr` is no longer mapped (mincore says -ENOMEM).
bool unmapped(void* addr) {
    unsigned char vec = 0;
    return ::mincore(addr, 1, &vec) == -1 && errno == ENOMEM;
}

/// A block of `count` buffers of `size` bytes, filled with 0xee.
struct buffers {
    std::vector<unsigned char> mem;
    unsigned size;
    buffers(unsigned count, unsigned buffer_size) : mem(std::size_t(count) * buffer_size, 0xee), size(buffer_size) {}
    unsigned char* at(unsigned bid) { return mem.data() + std::size_t(bid) * size; }
};

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("register: PBUF_RING") {
    for (const config& c : buf_configs) {
        for (const bool registered : {false, true}) {
            for (const unsigned mode : {0u, unsigned(abi::IOU_PBUF_RING_MMAP)}) {
                INFO("config: " << std::string(c.name) << ", registered ring fd: " << registered
                                << ", ring memory: "
                                << std::string(mode != 0 ? "kernel (MMAP)" : "application"));
                rawring::ring r;
                if (!open_ring(r, c, 8)) continue;
                if (registered) {
                    REQUIRE(r.register_ring_fd() == 1);
                    CHECK(r.enter_fd() != r.fd());
                }
                constexpr int bgid = 5;
                constexpr unsigned entries = 8;
                const int maps_before = count_uring_maps();
                int err = 1;
                abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, entries, bgid, mode, &err);
                if (br == nullptr && err == -EINVAL && mode != 0 && !kernel_takes_pbuf_mmap()) {
                    RAWRING_SKIP("the kernel refuses IOU_PBUF_RING_MMAP");
                    continue;
                }
                REQUIRE(br != nullptr);
                CHECK(err == 0);
                CHECK(br->tail == 0);
                // Kernel memory is a mapping of the ring fd; application memory is anonymous.
                CHECK(count_uring_maps() == maps_before + (mode != 0 ? 1 : 0));

                // The same group again: the kernel's -EEXIST, and nothing left mapped by the try.
                int err2 = 0;
                CHECK(rawring::setup_buf_ring(r, entries, bgid, mode, &err2) == nullptr);
                CHECK(err2 == -EEXIST);
                CHECK(count_uring_maps() == maps_before + (mode != 0 ? 1 : 0));

                // Four buffers with ids 10..13, published with one tail store.
                buffers bufs(4, 64);
                const int mask = rawring::buf_ring_mask(entries);
                CHECK(mask == 7);
                for (unsigned i = 0; i < 4; ++i)
                    rawring::buf_ring_add(br, bufs.at(i), 64, static_cast<unsigned short>(10 + i), mask,
                                          static_cast<int>(i));
                CHECK(br->tail == 0);  // added, not yet published
                CHECK(br->bufs()[2].bid == 12);
                CHECK(br->bufs()[2].len == 64);
                CHECK(br->bufs()[2].addr == reinterpret_cast<std::uintptr_t>(bufs.at(2)));
                rawring::buf_ring_advance(br, 4);
                CHECK(br->tail == 4);
                CHECK_AVAILABLE(r, br, bgid, 4);

                // A read with IOSQE_BUFFER_SELECT takes the first buffer (id 10).
                pipe_pair p;
                const auto first = stream_bytes(0, 20);
                write_all(p.write_end, first);
                queue_select_read(r, p.read_end, 64, bgid, 1);
                REQUIRE(r.submit() == 1);
                io_uring_cqe cqe = take_cqe(r);
                CHECK(cqe.user_data == 1);
                REQUIRE(cqe.res == 20);
                REQUIRE(has_buffer(cqe));
                CHECK(buffer_id(cqe) == 10);
                CHECK(std::memcmp(bufs.at(0), first.data(), 20) == 0);
                CHECK(bufs.at(0)[20] == 0xee);  // nothing past the bytes read
                CHECK(bufs.at(1)[0] == 0xee);   // the next buffer untouched
                CHECK_AVAILABLE(r, br, bgid, 3);

                // The next read takes the next id; a read asking for less than a buffer gets less.
                const auto second = stream_bytes(20, 50);
                write_all(p.write_end, second);
                queue_select_read(r, p.read_end, 30, bgid, 2);
                REQUIRE(r.submit() == 1);
                cqe = take_cqe(r);
                REQUIRE(cqe.res == 30);
                REQUIRE(has_buffer(cqe));
                CHECK(buffer_id(cqe) == 11);
                CHECK(std::memcmp(bufs.at(1), second.data(), 30) == 0);
                CHECK(bufs.at(1)[30] == 0xee);

                // A group with no ring gives the read -ENOBUFS (and consumes no buffer).
                queue_select_read(r, p.read_end, 64, bgid + 1, 3);
                REQUIRE(r.submit() == 1);
                cqe = take_cqe(r);
                CHECK(cqe.res == -ENOBUFS);
                CHECK_FALSE(has_buffer(cqe));
                CHECK_AVAILABLE(r, br, bgid, 2);

                // free_buf_ring unregisters and unmaps; the group is gone afterwards.
                CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
                CHECK(count_uring_maps() == maps_before);
                CHECK(unmapped(br));
                CHECK(rawring::unregister_buf_ring(r, bgid) == never_registered(bgid));
                CHECK_AVAILABLE(r, br, bgid, -ENOENT);

                // register_buf_ring / unregister_buf_ring by hand, with the caller's own memory.
                {
                    void* mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                    REQUIRE(mem != MAP_FAILED);
                    auto* own = static_cast<abi::io_uring_buf_ring*>(mem);
                    own->tail = 0x1234;
                    rawring::buf_ring_init(own);
                    CHECK(own->tail == 0);
                    abi::io_uring_buf_reg reg{};
                    reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
                    reg.ring_entries = 16;
                    reg.bgid = 9;
                    CHECK(rawring::register_buf_ring(r, &reg, 0) == 0);
                    CHECK(rawring::register_buf_ring(r, &reg, 0) == -EEXIST);
                    std::uint16_t head = 1;
                    if (kernel_has_pbuf_status()) {
                        CHECK(rawring::buf_ring_head(r, 9, &head) == 0);
                        CHECK(head == 0);
                    }
                    CHECK(rawring::unregister_buf_ring(r, 9) == 0);
                    CHECK(rawring::unregister_buf_ring(r, 9) == never_registered(9));
                    // The kernel's own checks: a reserved field set; memory not page-aligned;
                    // memory not mapped.
                    reg.resv[0] = 1;
                    CHECK(rawring::register_buf_ring(r, &reg, 0) == -EINVAL);
                    reg.resv[0] = 0;
                    reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem) + 16;
                    CHECK(rawring::register_buf_ring(r, &reg, 0) == -EINVAL);
                    reg.ring_addr = 0;
                    CHECK(rawring::register_buf_ring(r, &reg, 0) == -EFAULT);
                    CHECK(rawring::buf_ring_head(r, 9, &head) ==
                          (kernel_has_pbuf_status() ? -ENOENT : -EINVAL));  // not registered by it
                    ::munmap(mem, 4096);
                }
            }
        }
    }

    // Bad input, refused before any syscall: on a closed ring a syscall would say -EBADF.
    rawring::ring closed;
    int err = 0;
    for (const unsigned bad : {0u, 3u, 6u, 65536u, 32769u, 0x80000000u}) {
        INFO("entries: " << bad);
        err = 0;
        CHECK(rawring::setup_buf_ring(closed, bad, 1, 0, &err) == nullptr);
        CHECK(err == -EINVAL);
        abi::io_uring_buf_reg reg{};
        reg.ring_entries = bad;
        CHECK(rawring::register_buf_ring(closed, &reg, 0) == -EINVAL);
        abi::io_uring_buf_ring fake{};
        CHECK(rawring::free_buf_ring(closed, &fake, bad, 1) == -EINVAL);
    }
    for (const int bad_bgid : {-1, 65536}) {
        err = 0;
        CHECK(rawring::setup_buf_ring(closed, 8, bad_bgid, 0, &err) == nullptr);
        CHECK(err == -EINVAL);
        CHECK(rawring::unregister_buf_ring(closed, bad_bgid) == -EINVAL);
    }
    err = 0;
    CHECK(rawring::setup_buf_ring(closed, 8, 1, 0x10000, &err) == nullptr);
    CHECK(err == -EINVAL);
    CHECK(rawring::setup_buf_ring(closed, 3, 1, 0, nullptr) == nullptr);  // err may be null
    abi::io_uring_buf_reg reg{};
    reg.ring_entries = 8;
    CHECK(rawring::register_buf_ring(closed, &reg, 1) == -EINVAL);  // flags must be 0
    CHECK(rawring::register_buf_ring(closed, nullptr, 0) == -EFAULT);
    CHECK(rawring::free_buf_ring(closed, nullptr, 8, 1) == -EINVAL);
    // Valid arguments do reach the ring, which answers for itself.
    CHECK(rawring::register_buf_ring(closed, &reg, 0) == -EBADF);
    CHECK(rawring::unregister_buf_ring(closed, 1) == -EBADF);
    err = 0;
    CHECK(rawring::setup_buf_ring(closed, 8, 1, 0, &err) == nullptr);
    CHECK(err == -EBADF);
    CHECK(rawring::buf_ring_max_entries == 32768);
    CHECK(rawring::buf_ring_entries_valid(32768));
    CHECK_FALSE(rawring::buf_ring_entries_valid(32769));
}

// setup_buf_ring maps a ring in the kernel's memory without MAP_POPULATE, as init maps the
// rings: the kernel's mmap handler maps every page of it. Checked on the running kernel.
TEST_CASE("register: a PBUF_RING in the kernel's memory is mapped when setup_buf_ring returns") {
    rawring::ring r;
    REQUIRE(r.init(8) == 0);
    constexpr unsigned entries = 4096;  // 64 KiB: 16 pages
    int err = 0;
    abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, entries, 3, abi::IOU_PBUF_RING_MMAP, &err);
    if (br == nullptr && err == -EINVAL && !kernel_takes_pbuf_mmap()) {
        RAWRING_SKIP("the kernel refuses IOU_PBUF_RING_MMAP (Linux 6.4)");
        return;
    }
    REQUIRE(br != nullptr);
    const std::size_t len = entries * sizeof(abi::io_uring_buf);
    std::size_t pages = 0;
    CHECK(faults_reading(br, len, &pages) == 0);
    CHECK(pages == len / page_size());
    CHECK(rawring::free_buf_ring(r, br, entries, 3) == 0);
}

TEST_CASE("register: PBUF_STATUS") {
    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        constexpr int bgid = 2;
        constexpr unsigned entries = 4;
        int err = 0;
        abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, entries, bgid, 0, &err);
        REQUIRE(br != nullptr);
        std::uint16_t head = 0xffff;
        const int first = rawring::buf_ring_head(r, bgid, &head);
        if (first == -EINVAL && !kernel_has_pbuf_status()) {
            RAWRING_SKIP("the kernel has no IORING_REGISTER_PBUF_STATUS");
            CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
            continue;
        }
        REQUIRE(first == 0);
        CHECK(head == 0);

        buffers bufs(entries, 16);
        const int mask = rawring::buf_ring_mask(entries);
        for (unsigned i = 0; i < entries; ++i)
            rawring::buf_ring_add(br, bufs.at(i), 16, static_cast<unsigned short>(i), mask,
                                  static_cast<int>(i));
        rawring::buf_ring_advance(br, entries);
        CHECK(rawring::buf_ring_available(r, br, bgid) == 4);

        // Every read takes one buffer: the kernel's head follows, one by one, past the ring's
        // size (it is a free-running 16-bit counter, not an index), as buffers are re-added.
        pipe_pair p;
        std::size_t pos = 0;
        for (unsigned n = 1; n <= 10; ++n) {
            const auto bytes = stream_bytes(pos, 16);
            write_all(p.write_end, bytes);
            queue_select_read(r, p.read_end, 16, bgid, n);
            REQUIRE(r.submit() == 1);
            io_uring_cqe* cqe = next_cqe(r);
            REQUIRE(cqe->res == 16);
            REQUIRE(has_buffer(*cqe));
            const unsigned bid = buffer_id(*cqe);
            CHECK(bid == (n - 1) % entries);
            CHECK(std::memcmp(bufs.at(bid), bytes.data(), 16) == 0);
            pos += 16;
            REQUIRE(rawring::buf_ring_head(r, bgid, &head) == 0);
            CHECK(head == n);
            CHECK(rawring::buf_ring_available(r, br, bgid) == 3);
            // Give the buffer back and consume the CQE in one call.
            rawring::buf_ring_add(br, bufs.at(bid), 16, static_cast<unsigned short>(bid), mask, 0);
            rawring::buf_ring_cq_advance(r, br, 1);
            CHECK(r.cq_ready() == 0);
            CHECK(br->tail == entries + n);
            CHECK(rawring::buf_ring_available(r, br, bgid) == 4);
        }

        // The kernel's errors: no such group; a group of legacy provided buffers is not a ring.
        CHECK(rawring::buf_ring_head(r, bgid + 1, &head) == -ENOENT);
        CHECK(rawring::buf_ring_available(r, br, bgid + 1) == -ENOENT);
        unsigned char legacy[32];
        provide_legacy_buffer(r, legacy, sizeof(legacy), 11);
        CHECK(rawring::buf_ring_head(r, 11, &head) == -EINVAL);
        CHECK(rawring::unregister_buf_ring(r, 11) == -EINVAL);
        int err2 = 0;
        CHECK(rawring::setup_buf_ring(r, 4, 11, 0, &err2) == nullptr);
        CHECK(err2 == -EEXIST);
        // rawring's own: refused without a syscall.
        CHECK(rawring::buf_ring_head(r, bgid, nullptr) == -EINVAL);
        CHECK(rawring::buf_ring_head(r, -1, &head) == -EINVAL);
        CHECK(rawring::buf_ring_head(r, 65536, &head) == -EINVAL);

        CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
        CHECK(rawring::buf_ring_head(r, bgid, &head) == -ENOENT);
    }
}

TEST_CASE("buf_ring: multishot recv recycles buffers across more than two wrap-arounds") {
    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        if (!rawring::get_probe(r).supported(abi::IORING_OP_RECV)) {
            RAWRING_SKIP("the kernel has no IORING_OP_RECV");
            continue;
        }
        constexpr std::uint16_t bgid = 7;
        constexpr unsigned entries = 8;
        constexpr unsigned size = 64;
        int err = 0;
        abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, entries, bgid, 0, &err);
        REQUIRE(br != nullptr);
        buffers bufs(entries, size);
        const int mask = rawring::buf_ring_mask(entries);
        for (unsigned i = 0; i < entries; ++i)
            rawring::buf_ring_add(br, bufs.at(i), size, static_cast<unsigned short>(i), mask,
                                  static_cast<int>(i));
        rawring::buf_ring_advance(br, entries);

        tcp_pair net;
        queue_select_recv(r, net.server, bgid, true, 42);
        REQUIRE(r.submit() == 1);

        // 40 chunks of 200 bytes: at least 4 buffers each, over a ring of 8.
        constexpr std::size_t chunk = 200;
        constexpr int chunks = 40;
        std::vector<unsigned char> received;
        unsigned buffers_used = 0;
        for (int k = 0; k < chunks; ++k) {
            write_all(net.client, stream_bytes(std::size_t(k) * chunk, chunk));
            while (received.size() < std::size_t(k + 1) * chunk) {
                io_uring_cqe* cqe = next_cqe(r);
                CHECK(cqe->user_data == 42);
                REQUIRE(cqe->res > 0);
                REQUIRE(has_buffer(*cqe));
                REQUIRE(has_more(*cqe));  // the multishot stays armed: no buffer ever runs out
                const unsigned bid = buffer_id(*cqe);
                REQUIRE(bid < entries);
                REQUIRE(cqe->res <= int(size));
                received.insert(received.end(), bufs.at(bid), bufs.at(bid) + cqe->res);
                ++buffers_used;
                rawring::buf_ring_add(br, bufs.at(bid), size, static_cast<unsigned short>(bid), mask, 0);
                rawring::buf_ring_cq_advance(r, br, 1);
            }
        }
        CHECK(buffers_used > 2 * entries);
        CHECK(buffers_used >= chunks * ((chunk + size - 1) / size));
        CHECK(received == stream_bytes(0, std::size_t(chunks) * chunk));
        // The kernel took exactly the buffers we saw; the tail is ahead by the whole ring.
        if (kernel_has_pbuf_status()) {
            std::uint16_t head = 0;
            REQUIRE(rawring::buf_ring_head(r, bgid, &head) == 0);
            CHECK(head == static_cast<std::uint16_t>(buffers_used));
        } else {
            RAWRING_SKIP("the kernel has no IORING_REGISTER_PBUF_STATUS: the kernel's head was not checked");
        }
        CHECK(br->tail == static_cast<std::uint16_t>(buffers_used + entries));

        // End of stream ends the multishot: res 0, no MORE.
        net.client.reset();
        io_uring_cqe last = take_cqe(r);
        CHECK(last.user_data == 42);
        CHECK(last.res == 0);
        CHECK_FALSE(has_more(last));
        CHECK(r.cq_ready() == 0);
        CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
    }
}

TEST_CASE("buf_ring: multishot recv ends with -ENOBUFS when the ring runs dry and loses no byte") {
    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        if (!rawring::get_probe(r).supported(abi::IORING_OP_RECV)) {
            RAWRING_SKIP("the kernel has no IORING_OP_RECV");
            continue;
        }
        constexpr std::uint16_t bgid = 3;
        constexpr unsigned entries = 4;
        constexpr unsigned size = 64;
        int err = 0;
        abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, entries, bgid, 0, &err);
        REQUIRE(br != nullptr);
        buffers bufs(entries, size);
        const int mask = rawring::buf_ring_mask(entries);
        // The buffers the kernel has filled since they were last given back.
        std::vector<unsigned> held = {0, 1, 2, 3};
        auto give_back = [&] {
            for (std::size_t i = 0; i < held.size(); ++i)
                rawring::buf_ring_add(br, bufs.at(held[i]), size, static_cast<unsigned short>(held[i]),
                                      mask, static_cast<int>(i));
            rawring::buf_ring_advance(br, static_cast<int>(held.size()));
            held.clear();
        };
        give_back();

        // Four times what the ring holds, all waiting in the socket before the recv starts.
        tcp_pair net;
        constexpr std::size_t total = 1000;
        const auto sent = stream_bytes(0, total);
        write_all(net.client, sent);

        std::vector<unsigned char> received;
        int enobufs = 0;
        int arms = 0;
        bool armed = false;
        while (received.size() < total) {
            if (!armed) {
                queue_select_recv(r, net.server, bgid, true, 100 + arms);
                REQUIRE(r.submit() == 1);
                ++arms;
                armed = true;
            }
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == std::uint64_t(100 + arms - 1));
            if (cqe.res == -ENOBUFS) {
                // The multishot is over; the bytes it could not place are still in the socket.
                CHECK_FALSE(has_more(cqe));
                CHECK_FALSE(has_buffer(cqe));
                CHECK_AVAILABLE(r, br, bgid, 0);
                CHECK(held.size() == entries);
                ++enobufs;
                armed = false;
                give_back();
                continue;
            }
            REQUIRE(cqe.res > 0);
            REQUIRE(has_buffer(cqe));
            const unsigned bid = buffer_id(cqe);
            REQUIRE(bid < entries);
            received.insert(received.end(), bufs.at(bid), bufs.at(bid) + cqe.res);
            held.push_back(bid);
            if (!has_more(cqe)) armed = false;  // ended for another reason: re-arm too
        }
        CHECK(enobufs >= 1);
        CHECK(arms >= 2);
        CHECK(received.size() == total);
        CHECK(received == sent);

        // Nothing more arrives: with every buffer back in the ring, end of stream gives res 0.
        give_back();
        CHECK_AVAILABLE(r, br, bgid, int(entries));
        net.client.reset();
        if (!armed) {
            queue_select_recv(r, net.server, bgid, true, 999);
            REQUIRE(r.submit() == 1);
        }
        io_uring_cqe last = take_cqe(r);
        if (armed && last.res == -ENOBUFS) {
            // The multishot emptied the ring with the last bytes and ended as it looked for a
            // buffer again: a kernel that selects the buffer before it finds the socket empty
            // (6.1) does that. Re-armed with every buffer back, it sees the end of stream.
            CHECK_FALSE(has_more(last));
            CHECK_FALSE(has_buffer(last));
            queue_select_recv(r, net.server, bgid, true, 999);
            REQUIRE(r.submit() == 1);
            last = take_cqe(r);
        }
        CHECK(last.res == 0);
        CHECK_FALSE(has_more(last));
        CHECK(r.cq_ready() == 0);
        CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
    }
}

TEST_CASE("buf_ring: incremental consumption") {
    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        constexpr std::uint16_t bgid = 4;
        constexpr unsigned entries = 2;
        constexpr unsigned size = 256;
        int err = 0;
        abi::io_uring_buf_ring* br =
            rawring::setup_buf_ring(r, entries, bgid, abi::IOU_PBUF_RING_INC, &err);
        if (br == nullptr && err == -EINVAL && !kernel_takes_pbuf_inc()) {
            RAWRING_SKIP("the kernel refuses IOU_PBUF_RING_INC");
            continue;
        }
        REQUIRE(br != nullptr);
        buffers bufs(entries, size);
        const int mask = rawring::buf_ring_mask(entries);
        for (unsigned i = 0; i < entries; ++i)
            rawring::buf_ring_add(br, bufs.at(i), size, static_cast<unsigned short>(i), mask,
                                  static_cast<int>(i));
        rawring::buf_ring_advance(br, entries);

        tcp_pair net;
        std::size_t pos = 0;
        // Two sends of 100: both land in buffer 0, one after the other, with BUF_MORE.
        for (unsigned n = 0; n < 2; ++n) {
            write_all(net.client, stream_bytes(pos, 100));
            queue_select_recv(r, net.server, bgid, false, n);
            REQUIRE(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            REQUIRE(cqe.res == 100);
            REQUIRE(has_buffer(cqe));
            CHECK(buffer_id(cqe) == 0);
            CHECK(buf_more(cqe));
            CHECK(std::memcmp(bufs.at(0) + pos, stream_bytes(pos, 100).data(), 100) == 0);
            pos += 100;
            // The kernel moved the entry's address and length past what it used; its head stays.
            CHECK(br->bufs()[0].addr == reinterpret_cast<std::uintptr_t>(bufs.at(0) + pos));
            CHECK(br->bufs()[0].len == size - pos);
            std::uint16_t head = 1;
            REQUIRE(rawring::buf_ring_head(r, bgid, &head) == 0);
            CHECK(head == 0);
        }
        // 100 more: the 56 left in buffer 0 finish it (no BUF_MORE, head moves), the rest
        // starts buffer 1.
        write_all(net.client, stream_bytes(pos, 100));
        queue_select_recv(r, net.server, bgid, false, 2);
        REQUIRE(r.submit() == 1);
        io_uring_cqe cqe = take_cqe(r);
        REQUIRE(cqe.res == 56);
        REQUIRE(has_buffer(cqe));
        CHECK(buffer_id(cqe) == 0);
        CHECK_FALSE(buf_more(cqe));
        CHECK(std::memcmp(bufs.at(0) + 200, stream_bytes(200, 56).data(), 56) == 0);
        std::uint16_t head = 0;
        REQUIRE(rawring::buf_ring_head(r, bgid, &head) == 0);
        CHECK(head == 1);
        queue_select_recv(r, net.server, bgid, false, 3);
        REQUIRE(r.submit() == 1);
        cqe = take_cqe(r);
        REQUIRE(cqe.res == 44);
        REQUIRE(has_buffer(cqe));
        CHECK(buffer_id(cqe) == 1);
        CHECK(buf_more(cqe));
        CHECK(std::memcmp(bufs.at(1), stream_bytes(256, 44).data(), 44) == 0);
        CHECK(bufs.at(1)[44] == 0xee);
        CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
    }
}

TEST_CASE("buffer_group: recv and recv_multishot, get and put") {
    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        constexpr std::uint16_t gid = 6;
        constexpr unsigned size = 64;
        constexpr std::uint16_t count = 4;
        std::vector<std::byte> memory(std::size_t(size) * count);

        rawring::buffer_group g;
        CHECK_FALSE(g.is_open());
        CHECK(g.get_by_id(0).empty());
        // Bad input.
        CHECK(g.init(r, gid, memory, size, 0) == -EINVAL);
        CHECK(g.init(r, gid, memory, 0, count) == -EINVAL);
        CHECK(g.init(r, gid, std::span<std::byte>(memory).first(size * count - 1), size, count) == -EINVAL);
        CHECK(g.init(r, gid, {}, size, count) == -EINVAL);
        CHECK(g.init(r, gid, memory, size, 40000) == -EINVAL);
        CHECK(g.init(r, gid, memory, size, count, 0x4) == -EINVAL);
        CHECK_FALSE(g.is_open());

        REQUIRE(g.init(r, gid, memory, size, count) == 0);
        CHECK(g.is_open());
        CHECK(g.group_id() == gid);
        CHECK(g.count() == count);
        CHECK(g.buffer_size() == size);
        CHECK(g.ring_entries() == 4);
        CHECK_FALSE(g.incremental());
        CHECK(g.init(r, gid, memory, size, count) == -EBUSY);
        CHECK_AVAILABLE(r, g.buf_ring(), gid, count);
        {
            rawring::buffer_group other;
            std::vector<std::byte> other_memory(size);
            CHECK(other.init(r, gid, other_memory, size, 1) == -EEXIST);
            CHECK_FALSE(other.is_open());
        }

        tcp_pair net;
        // recv: the kernel picks a buffer; get shows the bytes; put gives the buffer back.
        const std::string ping = "ping through a provided buffer";
        REQUIRE(::write(net.client, ping.data(), ping.size()) == ssize_t(ping.size()));
        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        g.recv(sqe, net.server, 0);
        CHECK(sqe->opcode == abi::IORING_OP_RECV);
        CHECK((sqe->flags & abi::IOSQE_BUFFER_SELECT) != 0);
        CHECK(sqe->buf_group == gid);
        CHECK(sqe->addr == 0);
        CHECK(sqe->len == 0);
        CHECK((sqe->ioprio & abi::IORING_RECV_MULTISHOT) == 0);
        rawring::sqe_set_data64(sqe, 1);
        REQUIRE(r.submit() == 1);
        io_uring_cqe cqe = take_cqe(r);
        REQUIRE(cqe.res == int(ping.size()));
        REQUIRE(has_buffer(cqe));
        const unsigned bid = buffer_id(cqe);
        std::span<std::byte> got = g.get(cqe);
        REQUIRE(got.size() == ping.size());
        CHECK(std::memcmp(got.data(), ping.data(), ping.size()) == 0);
        CHECK(got.data() == memory.data() + std::size_t(bid) * size);
        CHECK(g.get_by_id(static_cast<std::uint16_t>(bid)).size() == size);
        CHECK(g.get_by_id(static_cast<std::uint16_t>(bid)).data() == got.data());
        CHECK(g.get_by_id(count).empty());
        CHECK_AVAILABLE(r, g.buf_ring(), gid, count - 1);
        CHECK(g.put(cqe) == 0);
        CHECK_AVAILABLE(r, g.buf_ring(), gid, count);

        // A CQE without a buffer: nothing to get, nothing to put.
        io_uring_cqe plain{};
        plain.res = 5;
        CHECK(g.get(plain).empty());
        CHECK(g.put(plain) == -ENOBUFS);
        io_uring_cqe alien{};
        alien.res = 1;
        alien.flags = abi::IORING_CQE_F_BUFFER | (std::uint32_t(count) << abi::IORING_CQE_BUFFER_SHIFT);
        CHECK(g.get(alien).empty());
        CHECK(g.put(alien) == -EINVAL);

        // recv_multishot: 24 messages through 4 buffers, each put back after reading.
        sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        g.recv_multishot(sqe, net.server, 0);
        CHECK((sqe->ioprio & abi::IORING_RECV_MULTISHOT) != 0);
        CHECK(sqe->buf_group == gid);
        rawring::sqe_set_data64(sqe, 2);
        REQUIRE(r.submit() == 1);
        std::vector<unsigned char> received;
        std::size_t pos = 0;
        unsigned cqes = 0;
        for (int k = 0; k < 24; ++k) {
            write_all(net.client, stream_bytes(pos, 50));
            pos += 50;
            while (received.size() < pos) {
                cqe = take_cqe(r);
                CHECK(cqe.user_data == 2);
                REQUIRE(cqe.res > 0);
                REQUIRE(has_more(cqe));
                got = g.get(cqe);
                REQUIRE(got.size() == std::size_t(cqe.res));
                received.insert(received.end(), reinterpret_cast<unsigned char*>(got.data()),
                                reinterpret_cast<unsigned char*>(got.data()) + got.size());
                CHECK(g.put(cqe) == 0);
                ++cqes;
            }
        }
        CHECK(cqes > 2u * count);
        CHECK(received == stream_bytes(0, pos));

        // Moved: the new owner works, the old one is empty; exit unregisters.
        rawring::buffer_group moved = std::move(g);
        CHECK_FALSE(g.is_open());
        CHECK(g.exit() == 0);
        CHECK(moved.is_open());
        CHECK_AVAILABLE(r, moved.buf_ring(), gid, count);
        net.client.reset();
        cqe = take_cqe(r);
        CHECK(cqe.res == 0);
        CHECK_FALSE(has_more(cqe));
        void* const moved_ring = moved.buf_ring();
        CHECK(moved.exit() == 0);
        CHECK_FALSE(moved.is_open());
        CHECK(unmapped(moved_ring));
        CHECK(moved.exit() == 0);
        CHECK(rawring::unregister_buf_ring(r, gid) == never_registered(gid));

        // A kernel-allocated ring (IOU_PBUF_RING_MMAP) under the group.
        {
            const int maps_before = count_uring_maps();
            rawring::buffer_group mm;
            std::vector<std::byte> mm_memory(2 * 32);
            const int mret = mm.init(r, gid, mm_memory, 32, 2, abi::IOU_PBUF_RING_MMAP);
            if (mret == -EINVAL && !kernel_takes_pbuf_mmap()) {
                RAWRING_SKIP("the kernel refuses IOU_PBUF_RING_MMAP");
            } else {
                REQUIRE(mret == 0);
                CHECK(count_uring_maps() == maps_before + 1);
                tcp_pair net3;
                REQUIRE(::write(net3.client, "mmap", 4) == 4);
                sqe = r.get_sqe();
                REQUIRE(sqe != nullptr);
                mm.recv(sqe, net3.server, 0);
                REQUIRE(r.submit() == 1);
                cqe = take_cqe(r);
                REQUIRE(cqe.res == 4);
                got = mm.get(cqe);
                REQUIRE(got.size() == 4);
                CHECK(std::memcmp(got.data(), "mmap", 4) == 0);
                CHECK(mm.put(cqe) == 0);
                CHECK_AVAILABLE(r, mm.buf_ring(), gid, 2);
                CHECK(mm.exit() == 0);
                CHECK(count_uring_maps() == maps_before);
            }
        }

        // Incremental consumption: a group of 3 buffers (a ring of 4) that the kernel fills
        // piece by piece; get follows the pieces, put only gives a buffer back once it is full.
        rawring::buffer_group inc;
        std::vector<std::byte> inc_memory(3 * 128);
        const int ret = inc.init(r, gid, inc_memory, 128, 3, abi::IOU_PBUF_RING_INC);
        if (ret == -EINVAL && !kernel_takes_pbuf_inc()) {
            RAWRING_SKIP("the kernel refuses IOU_PBUF_RING_INC");
            continue;
        }
        REQUIRE(ret == 0);
        CHECK(inc.incremental());
        CHECK(inc.ring_entries() == 4);
        tcp_pair net2;
        sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        inc.recv_multishot(sqe, net2.server, 0);
        rawring::sqe_set_data64(sqe, 3);
        REQUIRE(r.submit() == 1);
        received.clear();
        pos = 0;
        unsigned partial = 0;
        unsigned whole = 0;
        for (int k = 0; k < 30; ++k) {
            write_all(net2.client, stream_bytes(pos, 40));
            pos += 40;
            while (received.size() < pos) {
                cqe = take_cqe(r);
                REQUIRE(cqe.res > 0);
                REQUIRE(has_more(cqe));
                REQUIRE(has_buffer(cqe));
                const unsigned id = buffer_id(cqe);
                got = g.get(cqe);  // g is closed: it has nothing
                CHECK(got.empty());
                got = inc.get(cqe);
                REQUIRE(got.size() == std::size_t(cqe.res));
                received.insert(received.end(), reinterpret_cast<unsigned char*>(got.data()),
                                reinterpret_cast<unsigned char*>(got.data()) + got.size());
                if (buf_more(cqe)) {
                    ++partial;
                    CHECK(inc.put(cqe) == 0);
                    // The rest of the buffer starts right after these bytes.
                    CHECK(inc.get_by_id(static_cast<std::uint16_t>(id)).data() == got.data() + got.size());
                } else {
                    ++whole;
                    CHECK(inc.put(cqe) == 0);
                    CHECK(inc.get_by_id(static_cast<std::uint16_t>(id)).size() == 128);
                }
            }
        }
        CHECK(partial > 0);
        CHECK(whole > 3);  // every buffer was finished and given back at least once
        CHECK(received == stream_bytes(0, pos));
        // A BUF_MORE CQE claiming more bytes than its buffer has left is refused.
        io_uring_cqe bogus{};
        bogus.res = 129;
        bogus.flags = abi::IORING_CQE_F_BUFFER | abi::IORING_CQE_F_BUF_MORE;
        CHECK(inc.put(bogus) == -EINVAL);
        // Exiting the ring first drops the registration; the group still releases its memory.
        void* const inc_ring = inc.buf_ring();
        r.exit();
        CHECK_FALSE(unmapped(inc_ring));
        CHECK(inc.exit() == 0);
        CHECK_FALSE(inc.is_open());
        CHECK(unmapped(inc_ring));
    }
}

namespace {
/// Whether the page at `p` is mapped in this process.
bool mapped(const void* p) {
    unsigned char v = 0;
    return ::mincore(const_cast<void*>(p), 1, &v) == 0;
}

/// A recv on `r` through group `g`: the bytes sent land in one of g's buffers.
void recv_through(rawring::ring& r, rawring::buffer_group& g, tcp_pair& net, const std::string& msg) {
    REQUIRE(::write(net.client, msg.data(), msg.size()) == ssize_t(msg.size()));
    io_uring_sqe* sqe = r.get_sqe();
    REQUIRE(sqe != nullptr);
    g.recv(sqe, net.server, 0);
    REQUIRE(r.submit() == 1);
    const io_uring_cqe cqe = take_cqe(r);
    REQUIRE(cqe.res == int(msg.size()));
    const std::span<std::byte> got = g.get(cqe);
    REQUIRE(got.size() == msg.size());
    CHECK(std::memcmp(got.data(), msg.data(), msg.size()) == 0);
    CHECK(g.put(cqe) == 0);
}
} // namespace

TEST_CASE("buffer_group: outlives, follows and forgets its ring (destroyed, moved, exited and set up again)") {
    constexpr unsigned size = 64;
    constexpr std::uint16_t count = 2;
    std::vector<std::byte> memory(std::size_t(size) * count), memory2(memory.size()), memory3(memory.size());

    SUBCASE("the ring is destroyed first: the group never reads it again") {
        alignas(rawring::ring) unsigned char storage[sizeof(rawring::ring)];
        auto* r = new (storage) rawring::ring;
        if (!open_ring(*r, buf_configs[0], 8)) {
            r->~ring();
            return;
        }
        rawring::buffer_group g;
        REQUIRE(g.init(*r, 3, memory, size, count) == 0);
        const void* br = g.buf_ring();
        CHECK(mapped(br));
        r->~ring();
        // What the ring was is gone; a group that still read it would see an open ring with a
        // made-up fd, try to unregister there and fail.
        std::memset(storage, 0x55, sizeof storage);
        CHECK(g.exit() == 0);
        CHECK_FALSE(g.is_open());
        CHECK_FALSE(mapped(br));  // its own mapping released all the same
    }

    SUBCASE("the ring is moved, twice: the group goes with it") {
        rawring::ring a;
        if (!open_ring(a, buf_configs[0], 8)) return;
        rawring::buffer_group g;
        REQUIRE(g.init(a, 7, memory, size, count) == 0);
        rawring::ring b(std::move(a));
        rawring::ring c;
        c = std::move(b);
        tcp_pair net;
        recv_through(c, g, net, "through a ring moved twice");
        CHECK(g.exit() == 0);  // unregistered from c, where the registration went
        rawring::buffer_group again;
        CHECK(again.init(c, 7, memory2, size, count) == 0);  // the id is free on c
        recv_through(c, again, net, "the same id, a new group");
    }

    SUBCASE("the ring exits and is set up again: the old group leaves the new one alone") {
        rawring::ring r;
        if (!open_ring(r, buf_configs[0], 8)) return;
        rawring::buffer_group old;
        REQUIRE(old.init(r, 5, memory, size, count) == 0);
        const void* old_br = old.buf_ring();
        r.exit();
        REQUIRE(r.init(8) == 0);
        rawring::buffer_group now;
        REQUIRE(now.init(r, 5, memory2, size, count) == 0);
        CHECK(old.exit() == 0);
        CHECK_FALSE(mapped(old_br));
        // Group 5 is still now's: the id stays taken, and receives still land in its buffers.
        rawring::buffer_group third;
        CHECK(third.init(r, 5, memory3, size, count) == -EEXIST);
        tcp_pair net;
        recv_through(r, now, net, "still registered");

        // A group moved keeps its place: the ring's exit reaches the new object.
        rawring::buffer_group moved(std::move(now));
        CHECK_FALSE(now.is_open());
        CHECK(now.exit() == 0);
        recv_through(r, moved, net, "through a moved group");
        const void* moved_br = moved.buf_ring();
        r.exit();
        CHECK(moved.exit() == 0);
        CHECK_FALSE(mapped(moved_br));
    }
}

TEST_CASE("buffer_group: rings and groups made and ended on two threads at once") {
    // The groups' list is the process's: two threads linking and unlinking at once must not
    // lose or corrupt an entry (ThreadSanitizer sees the rest).
    std::atomic<int> failures{0};
    auto worker = [&failures](std::uint16_t gid) {
        std::vector<std::byte> mem(4 * 64);
        for (int i = 0; i < 200; ++i) {
            rawring::ring r;
            if (r.init(4) != 0) {
                ++failures;
                return;
            }
            rawring::buffer_group a, b;
            if (a.init(r, gid, std::span<std::byte>(mem).first(128), 64, 2) != 0 ||
                b.init(r, static_cast<std::uint16_t>(gid + 1), std::span<std::byte>(mem).last(128), 64, 2) != 0) {
                ++failures;
                return;
            }
            if (a.exit() != 0) ++failures;  // one before the ring, one after it
            r.exit();
            if (b.exit() != 0) ++failures;
        }
    };
    std::thread t1(worker, std::uint16_t{10}), t2(worker, std::uint16_t{20});
    t1.join();
    t2.join();
    CHECK(failures.load() == 0);
}

TEST_CASE("recvmsg: multishot output parsing") {
    // Unit level first: validate, the cmsg walk and the payload on buffers built by hand.
    {
        alignas(8) unsigned char buf[256] = {};
        msghdr msg{};
        msg.msg_namelen = 16;
        msg.msg_controllen = 64;
        const int need = int(sizeof(abi::io_uring_recvmsg_out)) + 16 + 64;
        CHECK(rawring::recvmsg_validate(buf, need - 1, &msg) == nullptr);
        CHECK(rawring::recvmsg_validate(buf, 0, &msg) == nullptr);
        CHECK(rawring::recvmsg_validate(buf, 15, &msg) == nullptr);
        CHECK(rawring::recvmsg_validate(buf, -1, &msg) == nullptr);
        CHECK(rawring::recvmsg_validate(nullptr, need, &msg) == nullptr);
        abi::io_uring_recvmsg_out* o = rawring::recvmsg_validate(buf, need, &msg);
        REQUIRE(o == reinterpret_cast<abi::io_uring_recvmsg_out*>(buf));
        CHECK(rawring::recvmsg_payload_length(o, need, &msg) == 0);
        CHECK(rawring::recvmsg_payload_length(o, need + 10, &msg) == 10);
        CHECK(rawring::recvmsg_name(o) == buf + 16);
        CHECK(rawring::recvmsg_payload(o, &msg) == buf + 16 + 16 + 64);
        msghdr bare{};  // no name, no control: the payload follows the header
        CHECK(rawring::recvmsg_validate(buf, 16, &bare) == o);
        CHECK(rawring::recvmsg_payload(o, &bare) == buf + 16);

        // No control message written.
        o->controllen = 0;
        CHECK(rawring::recvmsg_cmsg_firsthdr(o, &msg) == nullptr);
        o->controllen = sizeof(cmsghdr) - 1;
        CHECK(rawring::recvmsg_cmsg_firsthdr(o, &msg) == nullptr);

        // Two messages: 20 bytes (24 aligned), then 16.
        unsigned char* ctrl = buf + 16 + 16;
        auto put_cmsg = [&](std::size_t off, std::size_t len, int level, int type) {
            cmsghdr h{};
            h.cmsg_len = len;
            h.cmsg_level = level;
            h.cmsg_type = type;
            std::memcpy(ctrl + off, &h, sizeof(h));
        };
        put_cmsg(0, 20, 1, 2);
        put_cmsg(24, 16, 3, 4);
        o->controllen = 40;
        cmsghdr* first = rawring::recvmsg_cmsg_firsthdr(o, &msg);
        REQUIRE(first == reinterpret_cast<cmsghdr*>(ctrl));
        CHECK(first->cmsg_type == 2);
        cmsghdr* second = rawring::recvmsg_cmsg_nexthdr(o, &msg, first);
        REQUIRE(second == reinterpret_cast<cmsghdr*>(ctrl + 24));
        CHECK(second->cmsg_level == 3);
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &msg, second) == nullptr);
        // The second one claims to run past what the kernel wrote: not returned.
        put_cmsg(24, 17, 3, 4);
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &msg, first) == nullptr);
        put_cmsg(24, ~std::size_t(0), 3, 4);
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &msg, first) == nullptr);
        // controllen too short for a second header.
        put_cmsg(24, 16, 3, 4);
        o->controllen = 24 + sizeof(cmsghdr) - 1;
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &msg, first) == nullptr);
        // A header whose own length is below a header's: the walk stops.
        o->controllen = 40;
        put_cmsg(0, sizeof(cmsghdr) - 1, 1, 2);
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &msg, first) == nullptr);
        // A controllen above the msghdr's control slot is cut to the slot.
        put_cmsg(0, 20, 1, 2);
        msghdr small = msg;
        small.msg_controllen = 32;
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &small, first) == nullptr);
        CHECK(rawring::recvmsg_cmsg_nexthdr(o, &msg, first) == reinterpret_cast<cmsghdr*>(ctrl + 24));
    }

    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        if (!rawring::get_probe(r).supported(abi::IORING_OP_RECVMSG)) {
            RAWRING_SKIP("the kernel has no IORING_OP_RECVMSG");
            continue;
        }
        udp_pair net;
        const int one = 1;
        REQUIRE(::setsockopt(net.b, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0);
        REQUIRE(::setsockopt(net.b, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)) == 0);

        constexpr unsigned size = 256;
        constexpr std::uint16_t count = 8;
        std::vector<std::byte> memory(std::size_t(size) * count);
        rawring::buffer_group g;
        REQUIRE(g.init(r, 1, memory, size, count) == 0);

        msghdr msg{};
        msg.msg_namelen = sizeof(sockaddr_in);
        msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(timeval));
        const std::size_t room = size - sizeof(abi::io_uring_recvmsg_out) - msg.msg_namelen - msg.msg_controllen;

        io_uring_sqe* sqe = r.get_sqe();
        REQUIRE(sqe != nullptr);
        // MSG_TRUNC: payloadlen reports a datagram's full length even when the buffer cut it.
        rawring::prep_recvmsg_multishot(sqe, net.b, &msg, MSG_TRUNC);
        rawring::sqe_set_flags(sqe, abi::IOSQE_BUFFER_SELECT);
        rawring::sqe_set_buf_group(sqe, g.group_id());
        rawring::sqe_set_data64(sqe, 77);
        REQUIRE(r.submit() == 1);

        // Three datagrams of different sizes, the last larger than a buffer holds.
        const std::size_t sizes[] = {1, 100, room + 50};
        std::size_t pos = 0;
        for (const std::size_t n : sizes) {
            const auto dgram = stream_bytes(pos, n);
            pos += n;
            REQUIRE(::send(net.a, dgram.data(), dgram.size(), 0) == ssize_t(n));
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == 77);
            REQUIRE(cqe.res > 0);
            REQUIRE(has_more(cqe));
            const std::span<std::byte> got = g.get(cqe);
            REQUIRE(got.size() == std::size_t(cqe.res));
            abi::io_uring_recvmsg_out* o = rawring::recvmsg_validate(got.data(), cqe.res, &msg);
            REQUIRE(o != nullptr);
            CHECK(rawring::recvmsg_validate(got.data(), cqe.res - int(rawring::recvmsg_payload_length(o, cqe.res, &msg)) - 1, &msg) == nullptr);

            // The name: the sender's address.
            REQUIRE(o->namelen == sizeof(sockaddr_in));
            sockaddr_in from{};
            std::memcpy(&from, rawring::recvmsg_name(o), sizeof(from));
            CHECK(from.sin_family == AF_INET);
            CHECK(from.sin_port == net.addr_a.sin_port);
            CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));

            // The control messages: IP_PKTINFO and SO_TIMESTAMP, in whichever order.
            bool pktinfo = false;
            bool timestamp = false;
            int walked = 0;
            for (cmsghdr* cm = rawring::recvmsg_cmsg_firsthdr(o, &msg); cm != nullptr;
                 cm = rawring::recvmsg_cmsg_nexthdr(o, &msg, cm)) {
                ++walked;
                if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                    in_pktinfo info{};
                    std::memcpy(&info, CMSG_DATA(cm), sizeof(info));
                    CHECK(info.ipi_addr.s_addr == htonl(INADDR_LOOPBACK));
                    pktinfo = true;
                } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMP) {
                    timeval tv{};
                    std::memcpy(&tv, CMSG_DATA(cm), sizeof(tv));
                    CHECK(tv.tv_sec > 0);
                    timestamp = true;
                }
            }
            CHECK(walked == 2);
            CHECK(pktinfo);
            CHECK(timestamp);
            CHECK(o->controllen == msg.msg_controllen);

            // The payload, whole or cut to the buffer (MSG_TRUNC in the flags).
            CHECK(o->payloadlen == n);
            const unsigned len = rawring::recvmsg_payload_length(o, cqe.res, &msg);
            if (n <= room) {
                CHECK(len == n);
                CHECK((o->flags & MSG_TRUNC) == 0);
            } else {
                CHECK(len == room);
                CHECK((o->flags & MSG_TRUNC) != 0);
            }
            CHECK(std::memcmp(rawring::recvmsg_payload(o, &msg), dgram.data(), len) == 0);
            CHECK(g.put(cqe) == 0);
        }
        CHECK_AVAILABLE(r, g.buf_ring(), g.group_id(), count);
        CHECK(r.cq_ready() == 0);
    }
}

// issue 9, item 14: an echo server gives a buffer back after the send from it completes, when
// the receive's CQE is long gone: buffer_group::put_by_id. More messages than buffers, so every
// buffer comes back and is picked again; without the puts the group runs dry.
TEST_CASE("fix: buffer_group put by buffer id (echo pattern)") {
    for (const config& c : buf_configs) {
        INFO("config: " << std::string(c.name));
        rawring::ring r;
        if (!open_ring(r, c, 8)) continue;
        constexpr std::uint16_t gid = 9;
        constexpr unsigned size = 32;
        constexpr std::uint16_t count = 3;  // a ring of 4 entries
        std::vector<std::byte> memory(std::size_t(size) * count);
        rawring::buffer_group g;
        CHECK(g.put_by_id(0) == -EINVAL);  // not set up: it has no buffer 0
        REQUIRE(g.init(r, gid, memory, size, count) == 0);
        std::atomic_ref<std::uint16_t> tail(g.buf_ring()->tail);
        const std::uint16_t tail0 = tail.load();
        // Bad ids change nothing; 65537 is refused, not taken as buffer 1.
        CHECK(g.put_by_id(count) == -EINVAL);
        CHECK(g.put_by_id(65535) == -EINVAL);
        CHECK(g.put_by_id(65536u + 1) == -EINVAL);
        CHECK(tail.load() == tail0);

        tcp_pair net;
        const timeval tv{5, 0};  // a lost echo fails the case instead of hanging it
        REQUIRE(::setsockopt(net.client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
        // The send reads the bytes where the kernel put them, inside the group's memory.
        const auto inside = [&](std::uint64_t addr) {
            const auto base = reinterpret_cast<std::uintptr_t>(memory.data());
            return addr >= base && addr < base + memory.size();
        };
        auto recv_one = [&](std::uint64_t data) {
            io_uring_sqe* sqe = r.get_sqe();
            REQUIRE(sqe != nullptr);
            g.recv(sqe, net.server, 0);
            rawring::sqe_set_data64(sqe, data);
            REQUIRE(r.submit() == 1);
            const io_uring_cqe cqe = take_cqe(r);
            CHECK(cqe.user_data == data);
            return cqe;
        };

        constexpr int messages = 5 * count;
        unsigned uses[count] = {};
        std::size_t pos = 0;
        unsigned puts = 0;
        for (int m = 0; m < messages; ++m) {
            const std::size_t len = 1 + (std::size_t(m) * 7) % size;  // 1 to 32 bytes
            const auto msg = stream_bytes(pos, len);
            write_all(net.client, msg);
            std::size_t echoed = 0;
            while (echoed < len) {
                const io_uring_cqe rcqe = recv_one(1);
                REQUIRE(rcqe.res > 0);
                REQUIRE(has_buffer(rcqe));
                const unsigned bid = buffer_id(rcqe);
                REQUIRE(bid < count);
                ++uses[bid];
                const std::span<std::byte> bytes = g.get(rcqe);
                REQUIRE(bytes.size() == std::size_t(rcqe.res));
                CHECK(bytes.data() == memory.data() + std::size_t(bid) * size);
                // Echo from the group's buffer; only the send's user_data remembers the id.
                io_uring_sqe* sqe = r.get_sqe();
                REQUIRE(sqe != nullptr);
                rawring::prep_send(sqe, net.server, bytes.data(), bytes.size(), 0);
                rawring::sqe_set_data64(sqe, 0x5e4d0000u | bid);
                CHECK(inside(sqe->addr));
                REQUIRE(r.submit() == 1);
                const io_uring_cqe scqe = take_cqe(r);
                REQUIRE((scqe.user_data & ~std::uint64_t{0xffff}) == 0x5e4d0000u);
                REQUIRE(scqe.res == int(bytes.size()));
                const std::uint16_t before = tail.load();
                CHECK(g.put_by_id(unsigned(scqe.user_data & 0xffff)) == 0);
                CHECK(tail.load() == std::uint16_t(before + 1));  // one slot, one tail store
                ++puts;
                echoed += bytes.size();
            }
            std::vector<unsigned char> echo(len);
            std::size_t got = 0;
            while (got < len) {
                const ssize_t n = ::read(net.client, echo.data() + got, len - got);
                REQUIRE(n > 0);
                got += std::size_t(n);
            }
            CHECK(echo == msg);
            pos += len;
        }
        CHECK(tail.load() == std::uint16_t(tail0 + puts));
        for (unsigned bid = 0; bid < count; ++bid) {
            CAPTURE(bid);
            CHECK(uses[bid] >= 2);  // handed out, given back by id, handed out again
        }

        // Keep every buffer: the group runs dry, and the data waits in the socket.
        unsigned held[count] = {};
        for (unsigned k = 0; k < count; ++k) {
            write_all(net.client, stream_bytes(pos, 4));
            pos += 4;
            const io_uring_cqe cqe = recv_one(2);
            REQUIRE(cqe.res == 4);
            held[k] = buffer_id(cqe);
        }
        const auto last = stream_bytes(pos, 5);
        write_all(net.client, last);
        CHECK(recv_one(3).res == -ENOBUFS);
        // One given back by id, and the next receive gets it, with the waiting bytes.
        CHECK(g.put_by_id(held[1]) == 0);
        const io_uring_cqe cqe = recv_one(4);
        REQUIRE(cqe.res == 5);
        CHECK(buffer_id(cqe) == held[1]);
        const std::span<std::byte> bytes = g.get(cqe);
        REQUIRE(bytes.size() == last.size());
        CHECK(std::memcmp(bytes.data(), last.data(), last.size()) == 0);
        CHECK(g.exit() == 0);
        CHECK(g.put_by_id(0) == -EINVAL);

        // Incremental consumption: by id, a finished buffer goes back whole, read offset 0.
        rawring::buffer_group inc;
        std::vector<std::byte> inc_memory(64);
        const int ret = inc.init(r, gid, inc_memory, 64, 1, abi::IOU_PBUF_RING_INC);
        if (ret == -EINVAL && !kernel_takes_pbuf_inc()) {
            RAWRING_SKIP("the kernel refuses IOU_PBUF_RING_INC");
            continue;
        }
        REQUIRE(ret == 0);
        auto inc_recv = [&](std::uint64_t data) {
            io_uring_sqe* sqe = r.get_sqe();
            REQUIRE(sqe != nullptr);
            inc.recv(sqe, net.server, 0);
            rawring::sqe_set_data64(sqe, data);
            REQUIRE(r.submit() == 1);
            return take_cqe(r);
        };
        const auto first = stream_bytes(1000, 16);
        const auto rest = stream_bytes(1016, 48);
        write_all(net.client, first);
        io_uring_cqe c1 = inc_recv(5);
        REQUIRE(c1.res == 16);
        CHECK(buf_more(c1));  // 48 bytes of the buffer left: still the kernel's
        CHECK(inc.put(c1) == 0);
        write_all(net.client, rest);
        io_uring_cqe c2 = inc_recv(6);
        REQUIRE(c2.res == 48);
        CHECK_FALSE(buf_more(c2));  // filled: the kernel is done with it
        std::span<std::byte> got2 = inc.get(c2);
        REQUIRE(got2.size() == rest.size());
        CHECK(got2.data() == inc_memory.data() + 16);
        CHECK(std::memcmp(got2.data(), rest.data(), rest.size()) == 0);
        const auto tail_bytes = stream_bytes(1064, 8);
        write_all(net.client, tail_bytes);
        CHECK(inc_recv(7).res == -ENOBUFS);  // not given back yet
        CHECK(inc.put_by_id(0) == 0);
        CHECK(inc.get_by_id(0).size() == 64);  // whole again
        io_uring_cqe c3 = inc_recv(8);
        REQUIRE(c3.res == 8);
        CHECK(buffer_id(c3) == 0);
        std::span<std::byte> got3 = inc.get(c3);
        REQUIRE(got3.size() == tail_bytes.size());
        CHECK(got3.data() == inc_memory.data());  // from the start of the buffer
        CHECK(std::memcmp(got3.data(), tail_bytes.data(), tail_bytes.size()) == 0);
        CHECK(inc.put_by_id(1) == -EINVAL);
        CHECK(inc.exit() == 0);
    }
}

} // TEST_SUITE("kernel")
