// SPDX-License-Identifier: MIT
// The fault injector: a backend table that wraps the one in force and, for a seeded share of the
// calls, answers as the kernel does when things go wrong (rawring/inject.hpp lists the faults).
// Each fault is one the kernel really gives in that place, shaped so that the kernel's state is
// what the returned value says: an injected -EAGAIN consumed nothing, an injected -EINTR did
// submit and only cut the wait short, a short submit consumed exactly the count it returns.
#include "rawring/inject.hpp"

#include <cerrno>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace rawring::inject {
namespace {

// One installed injector at a time: its state, the table it wraps and the draw.
struct state {
    std::mutex lock;
    options opts;
    counts stats;
    sys::backend inner{};
    bool installed = false;
    bool paused = false;
    std::uint64_t rng = 0;
    // Rings whose to_submit the kernel ignores (SQPOLL), by fd and by registered index, so
    // that a short submit is only ever given where it can happen.
    std::unordered_map<int, bool> sqpoll_fd;
    std::unordered_map<int, bool> sqpoll_index;
};

state& the() {
    static state s;
    return s;
}

// splitmix64: small, fast, and one seed gives one sequence.
std::uint64_t next(state& s) noexcept {
    std::uint64_t z = (s.rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Whether this eligible call gets a fault: one draw per eligible call, so that the sequence of
// faults depends only on the seed and the sequence of calls.
bool roll(state& s) noexcept {
    ++s.stats.calls;
    if (s.paused) return false;
    const double u = static_cast<double>(next(s) >> 11) * 0x1.0p-53;
    return u < s.opts.rate;
}

bool is_unregister(unsigned op) noexcept {
    switch (op) {
    case abi::IORING_UNREGISTER_BUFFERS:
    case abi::IORING_UNREGISTER_FILES:
    case abi::IORING_UNREGISTER_EVENTFD:
    case abi::IORING_UNREGISTER_PERSONALITY:
    case abi::IORING_UNREGISTER_IOWQ_AFF:
    case abi::IORING_UNREGISTER_RING_FDS:
    case abi::IORING_UNREGISTER_PBUF_RING:
    case abi::IORING_UNREGISTER_NAPI:
        return true;
    default:
        return false;
    }
}

int inj_setup(unsigned entries, abi::io_uring_params* p) noexcept {
    state& s = the();
    {
        std::lock_guard g(s.lock);
        if (s.opts.setup_errors && roll(s)) {
            ++s.stats.faults;
            ++s.stats.setup_errors;
            return (next(s) & 1) != 0 ? -ENOMEM : -EMFILE;
        }
    }
    const int fd = s.inner.setup(entries, p);
    if (fd >= 0) {
        std::lock_guard g(s.lock);
        s.sqpoll_fd[fd] = (p->flags & abi::IORING_SETUP_SQPOLL) != 0;
    }
    return fd;
}

enum class enter_fault { none, eagain, ebusy, eintr, short_submit };

int inj_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void* arg,
              std::size_t argsz) noexcept {
    state& s = the();
    enter_fault f = enter_fault::none;
    unsigned short_count = 0;
    {
        std::lock_guard g(s.lock);
        const bool waits = (flags & abi::IORING_ENTER_GETEVENTS) != 0 && min_complete > 0;
        const bool registered = (flags & abi::IORING_ENTER_REGISTERED_RING) != 0;
        const auto& sqpoll = registered ? s.sqpoll_index : s.sqpoll_fd;
        const auto known = sqpoll.find(fd);
        const bool can_short = to_submit > 1 && known != sqpoll.end() && !known->second;
        if ((s.opts.enter_errors || (s.opts.short_submits && can_short)) && roll(s)) {
            // Draw among the kinds that can happen on this call.
            enter_fault kinds[4];
            unsigned n = 0;
            if (s.opts.enter_errors) {
                kinds[n++] = enter_fault::eagain;
                kinds[n++] = enter_fault::ebusy;
                if (waits) kinds[n++] = enter_fault::eintr;
            }
            if (s.opts.short_submits && can_short) kinds[n++] = enter_fault::short_submit;
            f = kinds[next(s) % n];
            ++s.stats.faults;
            switch (f) {
            case enter_fault::eagain: ++s.stats.eagain; break;
            case enter_fault::ebusy: ++s.stats.ebusy; break;
            case enter_fault::eintr: ++s.stats.eintr; break;
            case enter_fault::short_submit:
                ++s.stats.short_submits;
                short_count = 1 + static_cast<unsigned>(next(s) % (to_submit - 1));
                break;
            case enter_fault::none: break;
            }
        }
    }
    switch (f) {
    case enter_fault::none:
        return s.inner.enter(fd, to_submit, min_complete, flags, arg, argsz);
    case enter_fault::eagain:
        return -EAGAIN;  // nothing consumed: the kernel could not allocate for the first SQE
    case enter_fault::ebusy:
        return -EBUSY;   // nothing consumed: completions are backed up
    case enter_fault::eintr: {
        // A signal arrived during the wait: what was to be submitted is submitted (and task work
        // run, with GETEVENTS kept and nothing to wait for), and the wait ends at once.
        const int ret = s.inner.enter(fd, to_submit, 0, flags, arg, argsz);
        if (ret < 0) return ret;
        return ret > 0 ? ret : -EINTR;
    }
    case enter_fault::short_submit:
        // The kernel stopped early: it returns the count it consumed and does not wait.
        return s.inner.enter(fd, short_count, 0, flags & ~abi::IORING_ENTER_GETEVENTS, arg, argsz);
    }
    return -EINVAL;  // not reached
}

int inj_register(int fd, unsigned opcode, const void* arg, unsigned nr_args) noexcept {
    state& s = the();
    const unsigned op = opcode & ~static_cast<unsigned>(abi::IORING_REGISTER_USE_REGISTERED_RING);
    if (!is_unregister(op)) {
        std::lock_guard g(s.lock);
        if (s.opts.register_errors && roll(s)) {
            ++s.stats.faults;
            ++s.stats.register_errors;
            static constexpr int errors[] = {-ENOMEM, -EINTR, -EBUSY};
            return errors[next(s) % 3];
        }
    }
    const int ret = s.inner.register_(fd, opcode, arg, nr_args);
    if (op == abi::IORING_REGISTER_RING_FDS && ret > 0) {
        // Remember which registered indexes name SQPOLL rings.
        std::lock_guard g(s.lock);
        const auto* upd = static_cast<const abi::io_uring_rsrc_update*>(arg);
        for (int i = 0; i < ret; ++i) {
            const auto known = s.sqpoll_fd.find(static_cast<int>(upd[i].data));
            s.sqpoll_index[static_cast<int>(upd[i].offset)] =
                known != s.sqpoll_fd.end() && known->second;
        }
    }
    return ret;
}

// Whether this mapping fails (-ENOMEM in *err): the kernel found no room or no memory.
bool mmap_fault(state& s, int* err) noexcept {
    std::lock_guard g(s.lock);
    if (!s.opts.mmap_errors || !roll(s)) return false;
    ++s.stats.faults;
    ++s.stats.mmap_errors;
    *err = -ENOMEM;
    return true;
}

void* inj_mmap_ring(int fd, std::size_t len, std::uint64_t offset, int* err) noexcept {
    state& s = the();
    return mmap_fault(s, err) ? nullptr : s.inner.mmap_ring(fd, len, offset, err);
}

void* inj_mmap_anon(std::size_t len, int* err) noexcept {
    state& s = the();
    return mmap_fault(s, err) ? nullptr : s.inner.mmap_anon(len, err);
}

// Never faulted: they release what exists, and a caller can do nothing with their failure.
int inj_munmap(void* addr, std::size_t len) noexcept { return the().inner.munmap(addr, len); }

int inj_close(int fd) noexcept {
    state& s = the();
    {
        std::lock_guard g(s.lock);
        s.sqpoll_fd.erase(fd);
    }
    return s.inner.close(fd);
}

int inj_clock_gettime(int clock, abi::kernel_timespec* ts) noexcept {
    return the().inner.clock_gettime(clock, ts);
}

constexpr sys::backend injecting{inj_setup,     inj_enter,     inj_register,
                                 inj_mmap_ring, inj_mmap_anon, inj_munmap,
                                 inj_close,     inj_clock_gettime};

} // namespace

injector::injector(const options& opts) noexcept : opts_(opts) {}

injector::~injector() { uninstall(); }

int injector::install() noexcept {
    state& s = the();
    std::lock_guard g(s.lock);
    if (s.installed) return -EBUSY;
    s.opts = opts_;
    s.stats = {};
    s.paused = false;
    s.rng = opts_.seed;
    s.sqpoll_fd.clear();
    s.sqpoll_index.clear();
    s.inner = sys::set_backend(injecting);
    s.installed = true;
    return 0;
}

void injector::uninstall() noexcept {
    state& s = the();
    std::lock_guard g(s.lock);
    if (!s.installed) return;
    // Only this injector's own table is taken out; it was installed last by the rule of
    // nesting (a backend installed after it must be uninstalled before it).
    (void)sys::set_backend(s.inner);
    s.installed = false;
}

void injector::pause(bool paused) noexcept {
    state& s = the();
    std::lock_guard g(s.lock);
    s.paused = paused;
}

void injector::set_rate(double rate) noexcept {
    state& s = the();
    std::lock_guard g(s.lock);
    opts_.rate = rate;
    s.opts.rate = rate;
}

counts injector::stats() const noexcept {
    state& s = the();
    std::lock_guard g(s.lock);
    return s.stats;
}

} // namespace rawring::inject
