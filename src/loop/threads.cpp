// SPDX-License-Identifier: MIT
// rawring::loop's child loops: one thread and one ring each (ATTACH_WQ), and their shutdown.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>

#include "rawring/loop.hpp"

namespace rawring {

namespace detail {

/// The children of one loop. Made by spawn_thread, destroyed by shutdown_children_.
struct thread_group {
    unsigned n = 0;
    loop* children = nullptr;
    std::thread* threads = nullptr;
    thread_options opts{};
    std::mutex m;
    std::condition_variable cv;
    unsigned ready = 0;   // children whose init returned
    int error = 0;        // the first init error
    bool go = false;      // every child is up (or one failed): start
    bool exit_all = false; // phase 2 is posted: children may tear their rings down
    std::atomic<unsigned> drained{0};  // children with nothing in flight after a stop (or gone)
};

} // namespace detail

namespace {

constexpr std::uint64_t ctl_stop = 1;
constexpr std::uint64_t ctl_exit = 3;

} // namespace

void loop::child_main_(void* group, loop* parent, unsigned i) noexcept {
    auto* g = static_cast<detail::thread_group*>(group);
    loop& c = g->children[i];
    loop_options lo = g->opts.options;
    lo.attach_wq_fd = parent->ring_fd();
    const int r = c.init(g->opts.entries, lo);
    bool ok;
    {
        std::unique_lock<std::mutex> lock(g->m);
        if (r < 0 && g->error == 0) g->error = r;
        ++g->ready;
        g->cv.notify_all();
        g->cv.wait(lock, [g] { return g->go; });
        ok = r == 0 && g->error == 0;
    }
    if (ok) {
        if (g->opts.on_start != nullptr) g->opts.on_start(c, i, g->opts.user);
        while (!c.exit_requested_) {
            if (c.run(run_mode::forever) < 0) break;
        }
    }
    // A child that never reported (its init failed, or its ring broke) counts as drained now.
    if (!c.drained_sent_) {
        c.drained_sent_ = true;
        g->drained.fetch_add(1, std::memory_order_release);
    }
    {
        // The ring stays up until the parent has posted its last message to it.
        std::unique_lock<std::mutex> lock(g->m);
        g->cv.wait(lock, [g] { return g->exit_all; });
    }
    (void)c.exit();
}

int loop::spawn_thread(unsigned n, const thread_options& opts) noexcept {
    if (threads_ != nullptr) return -err::ebusy;
    if (n == 0 || !ring_.is_open() || stopping_) return -err::einval;
    auto* g = new (std::nothrow) detail::thread_group;
    if (g == nullptr) return -err::enomem;
    g->n = n;
    g->opts = opts;
    g->children = new (std::nothrow) loop[n];
    g->threads = new (std::nothrow) std::thread[n];
    if (g->children == nullptr || g->threads == nullptr) {
        delete[] g->children;
        delete[] g->threads;
        delete g;
        return -err::enomem;
    }
    for (unsigned i = 0; i < n; ++i) {
        g->children[i].parent_ = this;
        g->children[i].drained_counter_ = &g->drained;
    }
    for (unsigned i = 0; i < n; ++i) g->threads[i] = std::thread(child_main_, static_cast<void*>(g), this, i);
    int error;
    {
        std::unique_lock<std::mutex> lock(g->m);
        g->cv.wait(lock, [g] { return g->ready == g->n; });
        error = g->error;
        g->go = true;
        g->cv.notify_all();
    }
    threads_ = g;
    if (error != 0) {
        shutdown_children_();
        return error;
    }
    return 0;
}

loop& loop::thread_loop(unsigned i) noexcept {
    return static_cast<detail::thread_group*>(threads_)->children[i];
}

unsigned loop::threads() const noexcept {
    return threads_ == nullptr ? 0 : static_cast<const detail::thread_group*>(threads_)->n;
}

void loop::shutdown_children_() noexcept {
    auto* g = static_cast<detail::thread_group*>(threads_);
    if (g == nullptr) return;
    // Phase 1: every loop, this one included, cancels its work and takes no more; each keeps
    // running (other loops' run_on tasks still run and are answered) until it has nothing in
    // flight. Once all are drained no task exists anywhere, so no message can be left owed.
    for (unsigned i = 0; i < g->n; ++i) post_control_(g->children[i], ctl_stop);
    begin_stop_();
    unsigned rounds = 0;
    // Acquire pairs with each child's release when it counts itself drained.
    while (g->drained.load(std::memory_order_acquire) < g->n || in_flight_ > 0) {
        const abi::kernel_timespec ts{0, 50'000'000};
        const int r = step_(true, &ts);
        if (r < 0) break;
        if (r == 0 && ++rounds % 20 == 0) cancel_everything_();
    }
    // Phase 2: the children leave their run loops and tear their rings down.
    for (unsigned i = 0; i < g->n; ++i) post_control_(g->children[i], ctl_exit);
    (void)ring_.submit();
    {
        std::lock_guard<std::mutex> lock(g->m);
        g->exit_all = true;
    }
    g->cv.notify_all();
    for (unsigned i = 0; i < g->n; ++i)
        if (g->threads[i].joinable()) g->threads[i].join();
    delete[] g->threads;
    delete[] g->children;
    delete g;
    threads_ = nullptr;
}

} // namespace rawring
