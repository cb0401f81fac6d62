// SPDX-License-Identifier: MIT
// loop_thread_ping_pong: two loops on two threads pass a counter back and forth over MSG_RING.
#include <rawring/loop.hpp>
#include <rawring/probe.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

constexpr std::uint64_t rounds = 1000;
constexpr std::uint64_t ms = 1'000'000;

struct game {
    rawring::loop* parent = nullptr;
    rawring::loop* child = nullptr;
    std::uint64_t pongs = 0;  // parent thread only
    unsigned out_of_order = 0;
    unsigned send_failed = 0;
    // Written by the child thread, read by main after exit() has joined it: no race.
    std::uint64_t pings = 0;
    bool child_on_other_thread = false;
    std::thread::id main_thread = std::this_thread::get_id();
};

// Runs on the child's thread. A message carries 61 bits of data and a 32-bit value; no memory
// is shared for it, so no lock is needed.
void on_ping(rawring::loop& here, const rawring::message& m, void* user) {
    auto* g = static_cast<game*>(user);
    ++g->pings;
    g->child_on_other_thread = std::this_thread::get_id() != g->main_thread;
    // Answer with the same number. The send is a task of the child's loop.
    if (here.msg_value(*g->parent, m.data, 0, {}) == nullptr) ++g->send_failed;
}

// Runs on the parent's (main) thread.
void on_pong(rawring::loop& here, const rawring::message& m, void* user) {
    auto* g = static_cast<game*>(user);
    if (m.data != g->pongs) ++g->out_of_order;
    if (++g->pongs == rounds) return here.stop();
    if (here.msg_value(*g->child, g->pongs, 0, {}) == nullptr) ++g->send_failed;
}

// Runs on each child's thread before its loop starts: the place to set its message handler,
// since on_message is not thread-safe.
void child_start(rawring::loop& child, unsigned, void* user) { child.on_message(on_ping, user); }

} // namespace

int main() {
    // Declared before the loop: its destructor cancels what is still in flight and runs those
    // callbacks, so what they point to must outlive it.
    game g;
    rawring::loop parent;
    if (int ret = parent.init(32); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }
    // MSG_RING is Linux 5.18. Ask the kernel's probe rather than its version.
    if (!rawring::get_probe(parent.raw_ring()).supported(rawring::abi::IORING_OP_MSG_RING)) {
        std::printf("SKIP: this kernel has no IORING_OP_MSG_RING\n");
        return 77;
    }

    g.parent = &parent;
    parent.on_message(on_pong, &g);
    rawring::thread_options topts;
    topts.on_start = child_start;
    topts.user = &g;
    // One child loop on its own thread, its ring sharing the parent's io-wq workers.
    if (int ret = parent.spawn_thread(1, topts); ret < 0) {
        std::fprintf(stderr, "spawn_thread: %s\n", std::strerror(-ret));
        return 1;
    }
    g.child = &parent.thread_loop(0);

    if (parent.msg_value(*g.child, 0, 0, {}) == nullptr) return 1;
    // stop() in on_pong ends the run after the last round; 20 s bounds it if a message is lost.
    if (int r = parent.run_for(20'000 * ms); r < 0) {
        std::fprintf(stderr, "run: %s\n", std::strerror(-r));
        return 1;
    }
    // exit() stops the child, waits for every CQE on both rings and joins the thread.
    if (parent.exit() != 0) return 1;

    if (g.pongs != rounds || g.pings != rounds || g.out_of_order != 0 || g.send_failed != 0 ||
        !g.child_on_other_thread) {
        std::fprintf(stderr, "pings %llu, pongs %llu, out of order %u, failed sends %u\n",
                     static_cast<unsigned long long>(g.pings), static_cast<unsigned long long>(g.pongs),
                     g.out_of_order, g.send_failed);
        return 1;
    }
    std::printf("loop_thread_ping_pong: %llu round trips between two threads, every number back in order\n",
                static_cast<unsigned long long>(g.pongs));
    return 0;
}
