// SPDX-License-Identifier: MIT
// rawring-fuzz: replays a sequence on one ring flavour and backend, and checks every invariant.
//
// What it checks:
//   - every CQE names a request of this run (user_data) that has not completed yet, and carries
//     a result that request can have (nop 0, a read/write its byte count, a timeout -ETIME or 0, a
//     cancel 0/count/-ENOENT/-EALREADY, anything -ECANCELED), with flags 0 (msg_ring targets:
//     the flags passed);
//   - a CQE_SKIP_SUCCESS request posts a CQE only when it fails;
//   - link chains: after a member fails with a soft link, every later member ends -ECANCELED
//     (and posts nothing when the failing member had CQE_SKIP_SUCCESS, as the kernel does);
//   - an IO_DRAIN request completes only after everything submitted before it;
//   - a pipe's byte stream: every 8-byte word written (each names its write and its place in it)
//     is read exactly once, in order within each read, and no word of a failed write shows up;
//     file reads return the file's content (every write writes the same pattern);
//   - msg_ring: each successful one posts exactly one CQE on the target ring, a failed one none;
//   - the ring's counters: a submit's return equals the SQ head's advance, and nothing is
//     consumed by a call that reports an error; resize_rings keeps the SQ and CQ counts;
//   - every rawring call returns a value its documentation allows (and, without the injector,
//     none of the faults only the injector gives);
//   - a timed wait returns within its bound (+ slack on the kernel, exactly on the mock's clock);
//   - at every drain (and at the end), every request that must complete has: none lost.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fuzz.hpp"
#include "rawring/inject.hpp"
#include "rawring/mock.hpp"
#include "rawring/rawring.hpp"

namespace fuzz {

namespace {

namespace abi = rawring::abi;
using rawring::ring;

constexpr std::uint64_t tag_mask = 0xffull << 56;
constexpr std::uint64_t tag_op = 0xa5ull << 56;     ///< a request of the sequence
constexpr std::uint64_t tag_drain = 0xd7ull << 56;  ///< the drain's own cancel-all
constexpr std::uint64_t tag_msg = 0x3eull << 56;    ///< what msg_ring posts on the target

constexpr unsigned pipes = 3;
constexpr unsigned file_size = 65536;
constexpr std::uint64_t word_key = 0x5bd1e9955bd1e995ull;

std::uint64_t op_ud(std::uint32_t step_id, unsigned slot) {
    return tag_op | (std::uint64_t{step_id} << 8) | (slot & 0xff);
}

unsigned char file_pattern(std::size_t i) { return static_cast<unsigned char>((i * 131 + 7) >> 1); }

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool is_rw(op_kind k) {
    return k == op_kind::file_read || k == op_kind::file_write || k == op_kind::pipe_read ||
           k == op_kind::pipe_write;
}

/// Whether a request of `kind` completes by itself, soon, whatever else happens.
bool self_completing(const op& o) {
    switch (o.kind) {
    case op_kind::nop:
    case op_kind::file_read:
    case op_kind::file_write:
    case op_kind::timeout_remove:
    case op_kind::cancel_ud:
    case op_kind::cancel_fd:
    case op_kind::cancel_any:
    case op_kind::msg_ring: return true;
    case op_kind::timeout: return o.a <= 2000000;
    default: return false;
    }
}

/// What the kernel counts as failure (REQ_F_FAIL): it breaks a soft link and shows the CQE of a
/// CQE_SKIP_SUCCESS request.
bool failed(const op& o, int res) {
    if (res < 0) return true;
    if (is_rw(o.kind) && res != o.len) return true;
    return false;
}

// ---- the watchdog: a wait that never returns is a violation too -------------------------------

std::atomic<std::uint64_t> progress{0};
std::atomic<bool> hung{false};
std::atomic<bool> watchdog_on{false};
std::atomic<int> hang_seconds{60};
std::atomic<int> watched_fd{-1};  ///< the ring under test, whose fdinfo a hang prints
pthread_t main_thread;

/// The kernel's own view of the ring (/proc/self/fdinfo): heads, tails, cached tails, what
/// waits in the overflow list. Printed before a hung call is interrupted.
void print_fdinfo(int fd) {
    if (fd < 0) return;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    const int f = ::open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return;
    std::fprintf(stderr, "rawring-fuzz: %s while the call hangs:\n", path);
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(f, buf, sizeof buf);
        if (n <= 0) break;
        std::fwrite(buf, 1, static_cast<std::size_t>(n), stderr);
    }
    ::close(f);
}

void on_sigusr1(int) {}

void start_watchdog(int seconds) {
    hang_seconds.store(seconds);
    if (watchdog_on.exchange(true)) return;
    main_thread = pthread_self();
    struct sigaction sa{};
    sa.sa_handler = on_sigusr1;  // no SA_RESTART: a wait in io_uring_enter returns -EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, nullptr);
    std::thread([] {
        std::uint64_t last = ~0ull;
        int still = 0;
        for (;;) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            const std::uint64_t p = progress.load(std::memory_order_relaxed);
            if (p != last) {
                last = p;
                still = 0;
                continue;
            }
            ++still;
            const int limit = hang_seconds.load();
            if (still == limit) {
                print_fdinfo(watched_fd.load());
                hung.store(true);
                pthread_kill(main_thread, SIGUSR1);
            } else if (still == 2 * limit + 10) {
                std::fprintf(stderr, "rawring-fuzz: a call has not returned for %d s, even after signals\n", still);
                std::_Exit(3);
            } else if (still > limit && still % 5 == 0) {
                pthread_kill(main_thread, SIGUSR1);
            }
        }
    }).detach();
}

// ---- the run ----------------------------------------------------------------------------------------

struct rec {
    op o;
    std::uint32_t step_id = 0;
    std::uint64_t chain = 0;     ///< user_data of its chain's head
    std::uint64_t seq = 0;       ///< publication order
    bool consumed = false, has_cqe = false, sure = false, drain_refused_ok = false;
    std::int32_t res = 0;
    std::uint32_t cqe_flags = 0;
    abi::kernel_timespec ts{};
    std::unique_ptr<unsigned char[]> buf;
};

struct pipe_write_rec {
    std::uint16_t words = 0;
    std::uint8_t status = 0;  ///< 0 in flight, 1 written, 2 failed
    std::uint16_t seen = 0;
    std::uint64_t bits[2] = {0, 0};
};

struct pipe_state {
    int rd = -1, wr = -1;
    std::unordered_map<std::uint64_t, pipe_write_rec> writes;
};

struct msg_rec {
    std::uint32_t res = 0, flags = 0;
    std::uint64_t source = 0;  ///< the sending request's user_data
    bool got = false;
};

enum class call : std::uint8_t {
    submit, submit_and_wait, submit_and_get_events, submit_and_wait_timeout, copy_cqes, peek_cqe,
    wait_cqe_nr, wait_cqe_timeout, register_ring_fd, unregister_ring_fd, resize_rings, init,
    get_events
};

const char* name(call c) {
    switch (c) {
    case call::submit: return "submit";
    case call::submit_and_wait: return "submit_and_wait";
    case call::submit_and_get_events: return "submit_and_get_events";
    case call::submit_and_wait_timeout: return "submit_and_wait_timeout";
    case call::copy_cqes: return "copy_cqes";
    case call::peek_cqe: return "peek_cqe";
    case call::wait_cqe_nr: return "wait_cqe_nr";
    case call::wait_cqe_timeout: return "wait_cqe_timeout";
    case call::register_ring_fd: return "register_ring_fd";
    case call::unregister_ring_fd: return "unregister_ring_fd";
    case call::resize_rings: return "resize_rings";
    case call::init: return "init";
    case call::get_events: return "get_events";
    }
    return "?";
}

class runner {
public:
    runner(const sequence& seq, const flavour& f, const run_options& o, run_stats* st)
        : seq_(seq), f_(f), o_(o), st_(st) {}
    ~runner() { teardown(); }

    violation go();

private:
    const sequence& seq_;
    const flavour& f_;
    const run_options& o_;
    run_stats* st_;
    violation v_;
    std::size_t step_index_ = 0;

    std::optional<rawring::mock::kernel> mock_;
    std::optional<rawring::inject::injector> inj_;

    ring r_, target_;
    bool sqpoll_ = false, cqe32_ = false, tiny_ = false;
    unsigned cq_entries_ = 0;
    pipe_state pipes_[pipes];
    int file_fd_ = -1;
    /// Descriptor numbers a torn-down ring's requests may still name, held until the run ends
    /// (see abandon).
    std::vector<int> retired_fds_;
    std::vector<unsigned char> pattern_;

    std::unordered_map<std::uint64_t, rec> recs_;
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> chains_;
    std::unordered_map<std::uint64_t, msg_rec> msgs_;
    std::deque<std::uint64_t> fifo_;  ///< published, not yet seen consumed
    std::uint32_t head_ = 0;          ///< SQ head as last observed
    std::uint64_t pub_seq_ = 0;
    std::uint64_t sure_queued_ = 0, sure_consumed_ = 0;
    /// An IO_DRAIN request was issued on this ring. From Linux 6.16 the kernel then keeps the
    /// ring in drain mode, holding every later request until everything submitted before it has
    /// completed, until a submission finds nothing in flight at all. A full drain does not end
    /// it reliably (requests io-wq ran are freed a little after their CQEs, so the next
    /// submission can still find them allocated), and a request held behind a read that waits
    /// for data never starts (tools/repro/drain_persists.cpp shows it with plain system calls).
    /// So from the first IO_DRAIN request to the ring's end nothing issued surely completes.
    bool drain_mode_ = false;
    bool no_skip_ = false;    ///< this ring lifetime strips CQE_SKIP_SUCCESS
    bool skip_used_ = false;  ///< a CQE_SKIP_SUCCESS request was issued on this ring
    std::uint64_t drain_cancels_ = 0, drain_cancels_in_flight_ = 0;
    std::uint64_t direct_writes_ = 0;
    /// CQEs of the ring under test the run has seen, and its CQ head when it was set up: the
    /// head's advance since must equal the count (what a hang report compares).
    std::uint32_t cqes_seen_ = 0, cq_head0_ = 0;

    // ---- reporting --------------------------------------------------------------------------

    bool fail(const char* invariant, const std::string& detail) {
        if (!v_.found) {
            v_.found = true;
            v_.invariant = invariant;
            v_.detail = detail;
            v_.step = step_index_;
        }
        return false;
    }

    std::string what(const rec& x) const {
        char buf[160];
        std::snprintf(buf, sizeof buf, "request %u#%u (%s%s%s%s)", x.step_id, x.o.slot, name(x.o.kind),
                      x.o.skip ? " SKIP" : "", x.o.link == link_kind::soft ? " LINK" : "",
                      x.o.link == link_kind::hard ? " HARDLINK" : "");
        return buf;
    }

    void dump_in_flight(unsigned max) const {
        std::fprintf(stderr, "in flight (sq_ready %u, cq_ready %u, sq flags 0x%x, drain mode %d):\n", r_.sq_ready(),
                     r_.cq_ready(), *r_.sq().kflags, drain_mode_ ? 1 : 0);
        for (const auto& [ud, x] : recs_) {
            if (x.has_cqe || max-- == 0) continue;
            std::fprintf(stderr, "  %s seq %llu%s%s chain %u#%u:", what(x).c_str(), static_cast<unsigned long long>(x.seq),
                         x.sure ? " sure" : "", x.consumed ? " consumed" : "",
                         static_cast<unsigned>((x.chain >> 8) & 0xffffffffu), static_cast<unsigned>(x.chain & 0xff));
            auto ch = chains_.find(x.chain);
            if (ch != chains_.end())
                for (std::uint64_t m : ch->second) {
                    auto it = recs_.find(m);
                    if (it == recs_.end()) continue;
                    std::fprintf(stderr, " [%s %s]", name(it->second.o.kind),
                                 it->second.has_cqe ? std::to_string(it->second.res).c_str() : "-");
                }
            std::fprintf(stderr, "\n");
        }
    }

    // ---- the backend ------------------------------------------------------------------------

    std::uint64_t faults() const { return inj_ ? inj_->stats().faults : 0; }

    /// Whether `ret` is a return `c` may give (its documentation; injected faults only with
    /// the injector).
    bool check_ret(call c, int ret) {
        ++progress;
        if (ret >= 0) return true;
        ++st_->surfaced;
        if (hung.load() && ret == -EINTR) {
            hung.store(false);
            if (!o_.quiet) dump_in_flight(o_.verbose ? ~0u : 40u);
            // Were the owed CQEs there to be had? One GETEVENTS enter that does not wait, and
            // what the CQ holds before and after it.
            const unsigned before = r_.cq_ready();
            const int gret = r_.get_events();
            const unsigned after = r_.cq_ready();
            if (!o_.quiet) {
                std::fprintf(stderr, "rawring-fuzz: after the hang, cq_ready %u; get_events() %d; cq_ready %u, sq flags 0x%x, "
                             "CQ head advanced %u since setup, %u CQEs seen, %u dropped (cq overflow counter)\n",
                             before, gret, after, *r_.sq().kflags, *r_.cq().khead - cq_head0_, cqes_seen_,
                             *r_.cq().koverflow);
                print_fdinfo(r_.ring_fd);
            }
            std::string owed;
            unsigned n = 0;
            for (const auto& [ud, x] : recs_)
                if (x.sure && !x.has_cqe && n++ < 4) owed += (owed.empty() ? "" : ", ") + what(x) + (x.consumed ? "" : " (not consumed)");
            char buf[200];
            std::snprintf(buf, sizeof buf, " did not return for %u s (interrupted by the watchdog); %u+%u sure CQEs owed",
                          o_.hang_seconds, static_cast<unsigned>(sure_consumed_), static_cast<unsigned>(sure_queued_));
            return fail("a wait outlived its bound", std::string(name(c)) + buf + (owed.empty() ? "" : ": " + owed));
        }
        const bool inject = inj_.has_value();
        bool ok = false;
        switch (c) {
        case call::submit:
        case call::submit_and_wait:
        case call::submit_and_get_events:
        case call::copy_cqes:
        case call::wait_cqe_nr:
        case call::get_events:
            ok = inject && (ret == -EAGAIN || ret == -EBUSY || ret == -EINTR);
            break;
        case call::peek_cqe:
            ok = ret == -EAGAIN || (inject && (ret == -EBUSY || ret == -EINTR));
            break;
        case call::wait_cqe_timeout:
        case call::submit_and_wait_timeout:
            ok = ret == -ETIME || (inject && (ret == -EAGAIN || ret == -EBUSY || ret == -EINTR));
            break;
        case call::register_ring_fd:
        case call::unregister_ring_fd:
            ok = inject && (ret == -ENOMEM || ret == -EINTR || ret == -EBUSY);
            break;
        case call::resize_rings:
            ok = ret == -EOVERFLOW || ret == -ENOMEM ||
                 (ret == -EINVAL && (f_.flags & abi::IORING_SETUP_DEFER_TASKRUN) == 0) ||
                 (inject && (ret == -EINTR || ret == -EBUSY));
            break;
        case call::init: ok = inject && (ret == -ENOMEM || ret == -EMFILE); break;
        }
        if (!ok) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "%s returned %d (%s)%s", name(c), ret, std::strerror(-ret),
                          inject ? "" : " without fault injection");
            return fail("undocumented return value", buf);
        }
        return true;
    }

    // ---- rings, pipes and files ----------------------------------------------------------------

    bool open_pipes() {
        for (pipe_state& p : pipes_) {
            if (p.rd >= 0) close(p.rd);
            if (p.wr >= 0) close(p.wr);
            p.writes.clear();
            int fds[2];
            if (pipe2(fds, O_CLOEXEC) != 0) return fail("setup", std::string("pipe2: ") + std::strerror(errno));
            p.rd = fds[0];
            p.wr = fds[1];
        }
        return true;
    }

    bool open_file() {
        const char* dir = std::getenv("TMPDIR");
        std::string path = std::string(dir != nullptr && *dir != 0 ? dir : "/tmp") + "/rawring-fuzz-XXXXXX";
        file_fd_ = mkstemp(path.data());
        if (file_fd_ < 0) return fail("setup", "mkstemp " + path + ": " + std::strerror(errno));
        unlink(path.c_str());
        pattern_.resize(file_size);
        for (unsigned i = 0; i < file_size; ++i) pattern_[i] = file_pattern(i);
        if (pwrite(file_fd_, pattern_.data(), file_size, 0) != static_cast<ssize_t>(file_size))
            return fail("setup", "writing the file");
        return true;
    }

    bool init_ring(ring& r, unsigned entries, std::uint32_t flags, unsigned cq, bool keep) {
        for (int tries = 0; tries < 200; ++tries) {
            abi::io_uring_params p{};
            p.flags = flags;
            if ((flags & abi::IORING_SETUP_CQSIZE) != 0) p.cq_entries = cq;
            if ((flags & abi::IORING_SETUP_SQPOLL) != 0) p.sq_thread_idle = 20;
            const int ret = r.init(entries, p, keep ? rawring::sq_array::keep : rawring::sq_array::automatic);
            if (ret == 0) {
                ++st_->rings;
                return true;
            }
            if (!check_ret(call::init, ret)) return false;
        }
        return fail("setup", "ring init kept failing");
    }

    bool make_ring(unsigned entries) {
        if (tiny_) entries = f_.sq_entries;
        if (!init_ring(r_, entries, f_.flags, f_.cq_entries, f_.keep_sq_array)) return false;
        cq_entries_ = r_.cq().ring_entries;
        head_ = r_.load_sq_head();
        watched_fd.store(r_.ring_fd);
        cqes_seen_ = 0;
        cq_head0_ = *r_.cq().khead;
        return true;
    }

    bool make_target() { return init_ring(target_, 16, 0, 0, false); }

    void teardown() {
        (void)r_.exit();
        (void)target_.exit();
        for (pipe_state& p : pipes_) {
            if (p.rd >= 0) close(p.rd);
            if (p.wr >= 0) close(p.wr);
            p.rd = p.wr = -1;
        }
        if (file_fd_ >= 0) close(file_fd_);
        file_fd_ = -1;
        for (int fd : retired_fds_) close(fd);
        retired_fds_.clear();
        if (inj_) {
            st_->faults += inj_->stats().faults;
            inj_.reset();
        }
        mock_.reset();
    }

    /// After a ring was torn down with requests in it (a failed resize): start again from scratch.
    ///
    /// The old ring's requests must not reach the new pipes or the new target. Closing a ring
    /// only starts its teardown, which cancels asynchronously, and a request that was not issued
    /// yet (a link member) looks its fd number up when it is issued. CI once read, from a new
    /// pipe, a stream starting at word 20 of a write no request of the new ring made (seed 3,
    /// sq-array-defer, --inject 0.02): what a linked write -> read of the old ring would leave
    /// there had it run on the new pipe, which had been given the old pipe's numbers. The exact
    /// kernel path was not reproduced: a hard-linked write behind a blocked io-wq read never ran
    /// once its ring was closed (0 of 100). So nothing here depends on it: the old pipes stay
    /// open, and a placeholder holds the old target's number, until the run ends, and no new
    /// pipe or ring is given a number an old request may name.
    bool abandon() {
        ++st_->abandoned;
        (void)r_.exit();
        const int target_fd = target_.fd();
        (void)target_.exit();
        if (target_fd >= 0) {
            const int placeholder = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (placeholder < 0) return fail("setup", std::string("open /dev/null: ") + std::strerror(errno));
            if (placeholder != target_fd) {
                const int ret = dup3(placeholder, target_fd, O_CLOEXEC);
                close(placeholder);
                if (ret < 0) return fail("setup", std::string("dup3: ") + std::strerror(errno));
            }
            retired_fds_.push_back(target_fd);
        }
        for (pipe_state& p : pipes_) {
            retired_fds_.push_back(p.rd);
            retired_fds_.push_back(p.wr);
            p.rd = p.wr = -1;
        }
        recs_.clear();
        chains_.clear();
        msgs_.clear();
        fifo_.clear();
        sure_queued_ = sure_consumed_ = 0;
        drain_mode_ = false;
        drain_cancels_in_flight_ = 0;
        skip_used_ = false;
        return open_pipes() && make_ring(32) && make_target();
    }

    // ---- SQ accounting -------------------------------------------------------------------------

    void consume_front() {
        const std::uint64_t ud = fifo_.front();
        fifo_.pop_front();
        auto it = recs_.find(ud);
        if (it != recs_.end()) mark_consumed(it->second);
    }

    void mark_consumed(rec& x) {
        if (x.consumed) return;
        x.consumed = true;
        if (x.sure) {
            --sure_queued_;
            ++sure_consumed_;
        }
    }

    /// Looks at the SQ head after a call: what the kernel consumed, and a chain it cut short.
    /// `ret` is the call's return, `submits` whether that return counts submitted SQEs.
    bool observe(call c, int ret, bool submits) {
        const std::uint32_t h = r_.load_sq_head();
        const std::uint32_t d = h - head_;
        head_ = h;
        if (d > fifo_.size()) {
            char buf[128];
            std::snprintf(buf, sizeof buf, "the SQ head moved by %u with %zu SQEs published", d, fifo_.size());
            return fail("SQE consumed twice", buf);
        }
        std::uint64_t last = 0;
        for (std::uint32_t i = 0; i < d; ++i) {
            last = fifo_.front();
            consume_front();
        }
        if (!sqpoll_) {
            char buf[160];
            if (ret < 0 && d != 0) {
                std::snprintf(buf, sizeof buf, "%s returned %d but the kernel consumed %u SQEs", name(c), ret, d);
                return fail("SQE consumed without being reported", buf);
            }
            if (submits && ret >= 0 && static_cast<std::uint32_t>(ret) != d) {
                std::snprintf(buf, sizeof buf, "%s returned %d but the SQ head moved by %u", name(c), ret, d);
                return fail("submit count differs from the SQ head", buf);
            }
            // A submission that stopped inside a chain: the kernel runs what it took as a chain
            // of its own, and the rest starts a new one.
            if (d != 0 && !fifo_.empty()) {
                auto it = recs_.find(last);
                if (it != recs_.end() && it->second.o.link != link_kind::none) split_chain(fifo_.front());
            }
        }
        return true;
    }

    void split_chain(std::uint64_t first) {
        auto it = recs_.find(first);
        if (it == recs_.end()) return;
        auto ch = chains_.find(it->second.chain);
        if (ch == chains_.end()) return;
        std::vector<std::uint64_t>& members = ch->second;
        std::size_t at = 0;
        while (at < members.size() && members[at] != first) ++at;
        if (at == 0 || at == members.size()) return;
        std::vector<std::uint64_t> rest(members.begin() + static_cast<std::ptrdiff_t>(at), members.end());
        members.resize(at);
        for (std::uint64_t ud : rest) recs_[ud].chain = first;
        chains_[first] = std::move(rest);
        ++st_->chain_splits;
    }

    /// CQEs that will surely come without anything else happening, for a wait to ask for.
    unsigned sure(bool submitting) const {
        std::uint64_t n = sure_consumed_;
        if (submitting && !sqpoll_) n += sure_queued_;
        return static_cast<unsigned>(n);
    }

    unsigned wait_nr(std::uint8_t frac, bool submitting) const {
        const unsigned s = sure(submitting);
        unsigned n = (s * frac + 254) / 255;
        if (n > s) n = s;
        if (n > cq_entries_) n = cq_entries_;
        return n;
    }

    // ---- preparing requests ----------------------------------------------------------------------

    int pick_fd(unsigned choice) const {
        if (choice < 2 * pipes) return choice % 2 == 0 ? pipes_[choice / 2].rd : pipes_[choice / 2].wr;
        return file_fd_;
    }

    static std::uint64_t word(std::uint64_t wid, unsigned pipe, unsigned idx) {
        return word_key ^ ((wid << 24) | (std::uint64_t{pipe} << 16) | idx);
    }

    void fill_words(unsigned char* buf, std::uint64_t wid, unsigned pipe, unsigned n) {
        for (unsigned i = 0; i < n; ++i) {
            const std::uint64_t w = word(wid, pipe, i);
            std::memcpy(buf + 8 * i, &w, 8);
        }
    }

    bool prep(op o, std::uint32_t step_id, std::uint64_t chain_head, bool chain_sure) {
        if (no_skip_) o.skip = false;
        abi::io_uring_sqe* sqe = r_.get_sqe();
        if (sqe == nullptr) return fail("SQ space", "get_sqe returned nullptr with sq_space_left() > 0");
        const std::uint64_t ud = op_ud(step_id, o.slot);
        rec& x = recs_[ud];
        if (x.seq != 0) return fail("generator", "user_data used twice");
        x.o = o;
        x.step_id = step_id;
        x.chain = chain_head;
        x.seq = ++pub_seq_;
        x.sure = chain_sure && !drain_mode_ && !o.drain && !o.skip;
        // After a CQE_SKIP_SUCCESS request the kernel fails IO_DRAIN ones with -EOPNOTSUPP
        // (ctx->drain_disabled); such a request then counts as one without the flag.
        x.drain_refused_ok = o.drain && skip_used_;
        if (o.skip) skip_used_ = true;
        switch (o.kind) {
        case op_kind::nop: rawring::prep_nop(sqe); break;
        case op_kind::file_read:
            x.buf.reset(new unsigned char[o.len]);
            std::memset(x.buf.get(), 0xee, o.len);
            rawring::prep_read(sqe, file_fd_, x.buf.get(), o.len, o.a);
            break;
        case op_kind::file_write:
            rawring::prep_write(sqe, file_fd_, pattern_.data() + o.a, o.len, o.a);
            break;
        case op_kind::pipe_read:
            x.buf.reset(new unsigned char[o.len]);
            std::memset(x.buf.get(), 0xee, o.len);
            rawring::prep_read(sqe, pipes_[o.a].rd, x.buf.get(), o.len, ~std::uint64_t{0});
            break;
        case op_kind::pipe_write: {
            x.buf.reset(new unsigned char[o.len]);
            const std::uint64_t wid = ud & ~tag_mask;
            fill_words(x.buf.get(), wid, o.a, o.len / 8u);
            pipe_write_rec& w = pipes_[o.a].writes[wid];
            w.words = static_cast<std::uint16_t>(o.len / 8u);
            rawring::prep_write(sqe, pipes_[o.a].wr, x.buf.get(), o.len, ~std::uint64_t{0});
            break;
        }
        case op_kind::timeout:
            x.ts.tv_sec = o.a / 1000000000u;
            x.ts.tv_nsec = o.a % 1000000000u;
            rawring::prep_timeout(sqe, &x.ts, o.b, 0);
            break;
        case op_kind::timeout_remove: rawring::prep_timeout_remove(sqe, op_ud(o.a, o.b), 0); break;
        case op_kind::cancel_ud:
            rawring::prep_cancel64(sqe, op_ud(o.a, o.b & 0xff),
                                   (o.b & 0x100) != 0 ? static_cast<int>(abi::IORING_ASYNC_CANCEL_ALL) : 0);
            break;
        case op_kind::cancel_fd:
            rawring::prep_cancel_fd(sqe, pick_fd(o.a), o.b != 0 ? abi::IORING_ASYNC_CANCEL_ALL : 0);
            break;
        case op_kind::cancel_any:
            rawring::prep_cancel64(sqe, 0,
                                   static_cast<int>(abi::IORING_ASYNC_CANCEL_ANY |
                                                    (o.b != 0 ? abi::IORING_ASYNC_CANCEL_ALL : 0)));
            break;
        case op_kind::poll_in: rawring::prep_poll_add(sqe, pipes_[o.a].rd, POLLIN); break;
        case op_kind::poll_out: rawring::prep_poll_add(sqe, pipes_[o.a].wr, POLLOUT); break;
        case op_kind::msg_ring: {
            const std::uint64_t data = tag_msg | (ud & ~tag_mask);
            if (o.b != 0)
                rawring::prep_msg_ring_cqe_flags(sqe, target_.fd(), o.a, data, 0, o.b);
            else
                rawring::prep_msg_ring(sqe, target_.fd(), o.a, data, 0);
            msg_rec& m = msgs_[data];
            m.res = o.a;
            m.flags = o.b;
            m.source = ud;
            break;
        }
        case op_kind::count_: break;
        }
        unsigned flags = 0;
        if (o.link == link_kind::soft) flags |= abi::IOSQE_IO_LINK;
        if (o.link == link_kind::hard) flags |= abi::IOSQE_IO_HARDLINK;
        if (o.skip) flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
        if (o.drain) flags |= abi::IOSQE_IO_DRAIN;
        rawring::sqe_set_flags(sqe, flags);
        rawring::sqe_set_data64(sqe, ud);
        fifo_.push_back(ud);
        chains_[chain_head].push_back(ud);
        if (x.sure) ++sure_queued_;
        if (o.drain) drain_mode_ = true;
        ++st_->ops;
        return true;
    }

    bool prep_drain_cancel() {
        if (r_.sq_space_left() == 0) return true;
        abi::io_uring_sqe* sqe = r_.get_sqe();
        rawring::prep_cancel64(sqe, 0, static_cast<int>(abi::IORING_ASYNC_CANCEL_ANY | abi::IORING_ASYNC_CANCEL_ALL));
        rawring::sqe_set_data64(sqe, tag_drain | ++drain_cancels_);
        fifo_.push_back(tag_drain | drain_cancels_);
        ++drain_cancels_in_flight_;
        return true;
    }

    // ---- completions ---------------------------------------------------------------------------

    bool check_words(pipe_state& p, unsigned pipe, const unsigned char* buf, unsigned n, const char* who) {
        std::uint64_t prev_wid = ~0ull;
        unsigned prev_idx = 0;
        for (unsigned i = 0; i < n / 8; ++i) {
            std::uint64_t w;
            std::memcpy(&w, buf + 8 * i, 8);
            w ^= word_key;
            const std::uint64_t wid = w >> 24;
            const unsigned pp = static_cast<unsigned>((w >> 16) & 0xff);
            const unsigned idx = static_cast<unsigned>(w & 0xffff);
            char msg[200];
            auto it = p.writes.find(wid);
            if (pp != pipe || it == p.writes.end() || idx >= it->second.words) {
                std::snprintf(msg, sizeof msg, "%s of pipe %u: word %u (0x%016llx) was never written to it", who,
                              pipe, i, static_cast<unsigned long long>(w ^ word_key));
                return fail("pipe stream", msg);
            }
            pipe_write_rec& wr = it->second;
            if ((wr.bits[idx / 64] >> (idx % 64) & 1) != 0) {
                std::snprintf(msg, sizeof msg, "%s of pipe %u: word %u of write %llx read twice", who, pipe, idx,
                              static_cast<unsigned long long>(wid));
                return fail("pipe stream", msg);
            }
            if (wr.status == 2) {
                std::snprintf(msg, sizeof msg, "%s of pipe %u: a word of write %llx, which failed", who, pipe,
                              static_cast<unsigned long long>(wid));
                return fail("pipe stream", msg);
            }
            if (i != 0) {
                const bool same = wid == prev_wid && idx == prev_idx + 1;
                const bool next = wid != prev_wid && idx == 0 && prev_idx + 1 == p.writes[prev_wid].words;
                if (!same && !next) {
                    std::snprintf(msg, sizeof msg, "%s of pipe %u: word %u of write %llx follows word %u of write %llx",
                                  who, pipe, idx, static_cast<unsigned long long>(wid), prev_idx,
                                  static_cast<unsigned long long>(prev_wid));
                    return fail("pipe stream", msg);
                }
            }
            wr.bits[idx / 64] |= 1ull << (idx % 64);
            ++wr.seen;
            prev_wid = wid;
            prev_idx = idx;
        }
        st_->bytes_piped += n;
        return true;
    }

    bool plausible(const rec& x, int res, std::uint32_t flags, const std::uint64_t* big) {
        const op& o = x.o;
        char msg[200];
        if (flags != 0 || (big != nullptr && (big[0] != 0 || big[1] != 0))) {
            std::snprintf(msg, sizeof msg, "%s: CQE flags 0x%x, big_cqe %llx %llx", what(x).c_str(), flags,
                          big != nullptr ? static_cast<unsigned long long>(big[0]) : 0ull,
                          big != nullptr ? static_cast<unsigned long long>(big[1]) : 0ull);
            return fail("implausible CQE", msg);
        }
        if (res == -ECANCELED) return true;
        if (res == -EOPNOTSUPP && x.drain_refused_ok) return true;
        // A pipe read or write blocked in an io-wq worker (issued there as a link member after
        // a request that went async) is cancelled by a signal to the worker: the kernel turns
        // its -ERESTARTSYS into -EINTR (io_uring/rw.c, io_rw_done), having moved no bytes.
        if (res == -EINTR && (o.kind == op_kind::pipe_read || o.kind == op_kind::pipe_write)) return true;
        bool ok = false;
        switch (o.kind) {
        case op_kind::nop: ok = res == 0; break;
        case op_kind::file_read:
        case op_kind::file_write:
        case op_kind::pipe_write: ok = res == o.len; break;
        case op_kind::pipe_read: ok = res > 0 && res % 8 == 0 && res <= o.len; break;
        case op_kind::timeout: ok = res == -ETIME || res == 0; break;
        case op_kind::timeout_remove: ok = res == 0 || res == -ENOENT || res == -EALREADY; break;
        case op_kind::cancel_ud:
        case op_kind::cancel_fd:
        case op_kind::cancel_any: ok = res >= 0 || res == -ENOENT || res == -EALREADY; break;
        case op_kind::poll_in: ok = res > 0 && (res & (POLLIN | POLLERR | POLLHUP)) != 0; break;
        case op_kind::poll_out: ok = res > 0 && (res & (POLLOUT | POLLERR | POLLHUP)) != 0; break;
        case op_kind::msg_ring: ok = res == 0; break;
        case op_kind::count_: break;
        }
        if (!ok) {
            std::snprintf(msg, sizeof msg, "%s completed with res %d%s%s", what(x).c_str(), res,
                          res < 0 ? " " : "", res < 0 ? std::strerror(-res) : "");
            return fail("implausible result", msg);
        }
        return true;
    }

    bool on_cqe(std::uint64_t ud, int res, std::uint32_t flags, const std::uint64_t* big) {
        ++st_->cqes;
        ++cqes_seen_;
        char msg[200];
        if ((ud & tag_mask) == tag_drain) {
            if (drain_cancels_in_flight_ == 0 || (ud & ~tag_mask) > drain_cancels_) {
                std::snprintf(msg, sizeof msg, "user_data 0x%llx (a drain cancel) completed twice",
                              static_cast<unsigned long long>(ud));
                return fail("duplicate CQE", msg);
            }
            --drain_cancels_in_flight_;
            if (res < 0 && res != -ENOENT && res != -EALREADY && res != -ECANCELED) {
                std::snprintf(msg, sizeof msg, "the drain's cancel-all completed with %d", res);
                return fail("implausible result", msg);
            }
            return true;
        }
        auto it = (ud & tag_mask) == tag_op ? recs_.find(ud) : recs_.end();
        if (it == recs_.end()) {
            std::snprintf(msg, sizeof msg, "user_data 0x%llx (res %d) is no request in flight",
                          static_cast<unsigned long long>(ud), res);
            return fail("unknown user_data", msg);
        }
        rec& x = it->second;
        if (x.has_cqe) {
            std::snprintf(msg, sizeof msg, "%s: a second CQE (res %d, first %d)", what(x).c_str(), res, x.res);
            return fail("duplicate CQE", msg);
        }
        if (!x.consumed) {
            if (!sqpoll_) return fail("CQE before submission", what(x) + " completed before the kernel consumed it");
            // SQPOLL: the kernel thread consumed it after our last look at the head (the next
            // look pops it from fifo_).
            mark_consumed(x);
        }
        x.has_cqe = true;
        x.res = res;
        x.cqe_flags = flags;
        if (x.sure) --sure_consumed_;
        if (!plausible(x, res, flags, big)) return false;
        if (x.o.skip && !failed(x.o, res)) return fail("CQE for CQE_SKIP_SUCCESS", what(x) + " succeeded and still posted a CQE");
        switch (x.o.kind) {
        case op_kind::file_read:
            if (res == x.o.len && std::memcmp(x.buf.get(), pattern_.data() + x.o.a, x.o.len) != 0)
                return fail("file content", what(x) + " read bytes the file does not hold");
            break;
        case op_kind::pipe_read:
            if (res > 0 && !check_words(pipes_[x.o.a], x.o.a, x.buf.get(), static_cast<unsigned>(res), "a read"))
                return false;
            break;
        case op_kind::pipe_write: {
            pipe_write_rec& w = pipes_[x.o.a].writes[ud & ~tag_mask];
            w.status = res == x.o.len ? 1 : 2;
            if (w.status == 2 && w.seen != 0) return fail("pipe stream", what(x) + " failed, yet its words were read");
            break;
        }
        case op_kind::msg_ring: {
            auto m = msgs_.find(tag_msg | (ud & ~tag_mask));
            if (m != msgs_.end() && res != 0 && m->second.got)
                return fail("msg_ring", what(x) + " failed, yet its CQE arrived on the target");
            break;
        }
        default: break;
        }
        if (x.o.drain && res != -EOPNOTSUPP) return check_drain_order(x);
        return true;
    }

    bool check_drain_order(const rec& d) {
        for (const auto& [ud, x] : recs_) {
            if (x.seq >= d.seq || x.has_cqe || x.o.skip) continue;
            if (chain_fate(x) == fate::silent) continue;
            return fail("IO_DRAIN order", what(d) + " completed before " + what(x) + ", submitted earlier");
        }
        return true;
    }

    bool on_target_cqe(std::uint64_t ud, int res, std::uint32_t flags) {
        ++st_->target_cqes;
        char msg[200];
        auto it = (ud & tag_mask) == tag_msg ? msgs_.find(ud) : msgs_.end();
        if (it == msgs_.end()) {
            std::snprintf(msg, sizeof msg, "user_data 0x%llx on the msg_ring target", static_cast<unsigned long long>(ud));
            return fail("unknown user_data", msg);
        }
        msg_rec& m = it->second;
        if (m.got) return fail("duplicate CQE", "a msg_ring message arrived twice on the target");
        m.got = true;
        if (static_cast<std::uint32_t>(res) != m.res || flags != m.flags) {
            std::snprintf(msg, sizeof msg, "msg_ring target CQE res %d flags 0x%x, sent res %u flags 0x%x", res,
                          flags, m.res, m.flags);
            return fail("msg_ring", msg);
        }
        auto src = recs_.find(m.source);
        if (src != recs_.end() && src->second.has_cqe && src->second.res != 0)
            return fail("msg_ring", what(src->second) + " failed, yet its CQE arrived on the target");
        return true;
    }

    // ---- reaping -------------------------------------------------------------------------------

    bool reap_for_each(ring& r, bool target) {
        bool ok = true;
        const unsigned n = r.for_each_cqe([&](const abi::io_uring_cqe& c) {
            if (!ok) return;
            if (target) {
                ok = on_target_cqe(c.user_data, c.res, c.flags);
            } else {
                const std::uint64_t* big = cqe32_ ? rawring::big_cqe(c).big_cqe : nullptr;
                ok = on_cqe(c.user_data, c.res, c.flags, big);
            }
        });
        r.cq_advance(n);
        return ok;
    }

    bool reap_peek() {
        for (int i = 0; i < 1 << 16; ++i) {
            abi::io_uring_cqe* c = nullptr;
            const int ret = r_.peek_cqe(&c);
            if (!check_ret(call::peek_cqe, ret) || !observe(call::peek_cqe, ret, false)) return false;
            if (ret < 0) return true;
            if (c == nullptr) return fail("peek_cqe", "returned 0 without a CQE");
            const std::uint64_t ud = c->user_data;
            const int res = c->res;
            const std::uint32_t fl = c->flags;
            std::uint64_t big[2] = {0, 0};
            if (cqe32_) std::memcpy(big, rawring::big_cqe(*c).big_cqe, sizeof big);
            r_.cqe_seen(c);
            if (!on_cqe(ud, res, fl, cqe32_ ? big : nullptr)) return false;
        }
        return true;
    }

    bool reap_copy(unsigned wait) {
        if (cqe32_) {
            abi::io_uring_cqe32 out[16];
            const int n = r_.copy_cqes(std::span<abi::io_uring_cqe32>(out, 16), wait);
            if (!check_ret(call::copy_cqes, n) || !observe(call::copy_cqes, n, false)) return false;
            for (int i = 0; i < n; ++i)
                if (!on_cqe(out[i].user_data, out[i].res, out[i].flags, out[i].big_cqe)) return false;
            if (n > 16) return fail("copy_cqes", "returned more than the span holds");
        } else {
            abi::io_uring_cqe out[16];
            const int n = r_.copy_cqes(std::span<abi::io_uring_cqe>(out, 16), wait);
            if (!check_ret(call::copy_cqes, n) || !observe(call::copy_cqes, n, false)) return false;
            if (n > 16) return fail("copy_cqes", "returned more than the span holds");
            for (int i = 0; i < n; ++i)
                if (!on_cqe(out[i].user_data, out[i].res, out[i].flags, nullptr)) return false;
        }
        return true;
    }

    bool reap_batch() {
        abi::io_uring_cqe* cqes[16];
        const unsigned n = r_.peek_batch_cqe(cqes, 16);
        if (!observe(call::peek_cqe, 0, false)) return false;
        for (unsigned i = 0; i < n; ++i) {
            const std::uint64_t* big = cqe32_ ? rawring::big_cqe(*cqes[i]).big_cqe : nullptr;
            if (!on_cqe(cqes[i]->user_data, cqes[i]->res, cqes[i]->flags, big)) return false;
        }
        r_.cq_advance(n);
        return true;
    }

    bool submit() {
        const int ret = r_.submit();
        return check_ret(call::submit, ret) && observe(call::submit, ret, true);
    }

    /// Virtual (mock) or real (kernel) nanoseconds now.
    std::uint64_t clock_ns() const {
        if (mock_) return mock_->now();
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
    }

    bool check_bound(const char* who, std::uint64_t start, std::uint32_t ts_ns) {
        const std::uint64_t elapsed = clock_ns() - start;
        ++st_->waits_timed;
        const std::uint64_t slack = mock_ ? 0 : std::uint64_t{o_.slack_ms} * 1000000ull;
        if (elapsed > ts_ns) {
            const double over = static_cast<double>(elapsed - ts_ns) / 1e6;
            if (!mock_ && over > st_->max_overrun_ms) st_->max_overrun_ms = over;
        }
        if (elapsed > ts_ns + slack) {
            char msg[200];
            std::snprintf(msg, sizeof msg, "%s with a bound of %u ns returned after %llu ns (%s clock)", who, ts_ns,
                          static_cast<unsigned long long>(elapsed), mock_ ? "the mock's virtual" : "real");
            return fail("a wait outlived its bound", msg);
        }
        return true;
    }

    bool reap(reap_kind k, std::uint8_t frac, std::uint32_t ts_ns) {
        switch (k) {
        case reap_kind::submit_only: return submit();
        case reap_kind::submit_and_wait: {
            const int ret = r_.submit_and_wait(wait_nr(frac, true));
            return check_ret(call::submit_and_wait, ret) && observe(call::submit_and_wait, ret, true) &&
                   reap_for_each(r_, false);
        }
        case reap_kind::copy_cqes: return submit() && reap_copy(wait_nr(frac, false));
        case reap_kind::peek: return submit() && reap_peek();
        case reap_kind::for_each: return submit() && reap_for_each(r_, false);
        case reap_kind::wait_nr: {
            if (!submit()) return false;
            const unsigned n = wait_nr(frac, false);
            if (n != 0) {
                abi::io_uring_cqe* c = nullptr;
                const int ret = r_.wait_cqe_nr(&c, n);
                if (!check_ret(call::wait_cqe_nr, ret) || !observe(call::wait_cqe_nr, ret, false)) return false;
                if (ret == 0 && c == nullptr) return fail("wait_cqe_nr", "returned 0 without a CQE");
            }
            return reap_for_each(r_, false);
        }
        case reap_kind::wait_timeout: {
            if (!submit()) return false;
            abi::io_uring_cqe* c = nullptr;
            abi::kernel_timespec ts{0, ts_ns};
            const std::uint64_t start = clock_ns();
            const int ret = r_.wait_cqe_timeout(&c, &ts);
            if (!check_bound("wait_cqe_timeout", start, ts_ns)) return false;
            if (!check_ret(call::wait_cqe_timeout, ret) || !observe(call::wait_cqe_timeout, ret, false)) return false;
            if (ret == 0 && c == nullptr) return fail("wait_cqe_timeout", "returned 0 without a CQE");
            return reap_peek();
        }
        case reap_kind::submit_wait_timeout: {
            abi::io_uring_cqe* c = nullptr;
            abi::kernel_timespec ts{0, ts_ns};
            const unsigned n = 1 + frac % 8;
            const std::uint64_t start = clock_ns();
            const int ret = r_.submit_and_wait_timeout(&c, n, &ts);
            if (!check_bound("submit_and_wait_timeout", start, ts_ns)) return false;
            if (!check_ret(call::submit_and_wait_timeout, ret) || !observe(call::submit_and_wait_timeout, ret, true))
                return false;
            return reap_copy(0);
        }
        case reap_kind::peek_batch: return submit() && reap_batch();
        case reap_kind::get_events: {
            const int ret = r_.submit_and_get_events();
            return check_ret(call::submit_and_get_events, ret) && observe(call::submit_and_get_events, ret, true) &&
                   reap_for_each(r_, false);
        }
        case reap_kind::count_: break;
        }
        return true;
    }

    bool reap_target() {
        if (target_.cq_has_overflow()) {
            const int ret = target_.get_events();
            if (!check_ret(call::get_events, ret)) return false;
        }
        return reap_for_each(target_, true);
    }

    // ---- chains ----------------------------------------------------------------------------------

    enum class fate { open, normal, cancelled, silent };

    /// What the chain says about `x`: `open` while an earlier member's outcome is unknown,
    /// `cancelled` after a soft-linked member failed (a -ECANCELED CQE is due), `silent` when that
    /// member had CQE_SKIP_SUCCESS (the kernel then posts nothing for the rest), else `normal`.
    fate chain_fate(const rec& x) const {
        auto ch = chains_.find(x.chain);
        if (ch == chains_.end()) return fate::normal;
        for (std::uint64_t ud : ch->second) {
            if (ud == op_ud(x.step_id, x.o.slot)) return fate::normal;
            auto it = recs_.find(ud);
            if (it == recs_.end()) continue;
            const rec& m = it->second;
            if (!m.has_cqe) {
                if (m.o.skip) continue;  // either still running or succeeded silently
                return fate::open;
            }
            if (failed(m.o, m.res) && m.o.link == link_kind::soft) return m.o.skip ? fate::silent : fate::cancelled;
        }
        return fate::normal;
    }

    /// Whether `x` still owes a CQE.
    bool owes(const rec& x) const {
        if (x.has_cqe) return false;
        const fate f = chain_fate(x);
        if (f == fate::silent) return false;
        if (f == fate::cancelled) return true;
        return !x.o.skip;
    }

    bool verify_chains() {
        for (const auto& [head, members] : chains_) {
            bool cancel = false, silent = false;
            const rec* cause = nullptr;
            for (std::uint64_t ud : members) {
                auto it = recs_.find(ud);
                if (it == recs_.end()) continue;
                const rec& m = it->second;
                if (cancel || silent) {
                    if (silent && m.has_cqe)
                        return fail("link chain", what(m) + " posted a CQE after " + what(*cause) +
                                                      " failed (the kernel skips them)");
                    if (cancel && !m.has_cqe) return fail("link chain", what(m) + " posted no CQE after " + what(*cause) + " failed");
                    if (cancel && m.res != -ECANCELED)
                        return fail("link chain", what(m) + " completed with " + std::to_string(m.res) +
                                                      " after " + what(*cause) + " failed");
                    continue;
                }
                const bool f = m.has_cqe && failed(m.o, m.res);
                if (f && m.o.link == link_kind::soft) {
                    cause = &m;
                    if (m.o.skip)
                        silent = true;
                    else
                        cancel = true;
                }
            }
        }
        return true;
    }

    // ---- the drain ------------------------------------------------------------------------------

    unsigned avail(int fd) const {
        int n = 0;
        if (ioctl(fd, FIONREAD, &n) != 0) return 0;
        return static_cast<unsigned>(n);
    }

    bool direct_write(unsigned i) {
        pipe_state& p = pipes_[i];
        const std::uint64_t wid = (1ull << 39) | ++direct_writes_;
        unsigned char buf[64];
        fill_words(buf, wid, i, 8);
        pipe_write_rec& w = p.writes[wid];
        w.words = 8;
        w.status = 1;
        if (write(p.wr, buf, sizeof buf) != static_cast<ssize_t>(sizeof buf))
            return fail("setup", std::string("write to a pipe: ") + std::strerror(errno));
        return true;
    }

    bool direct_read(unsigned i, unsigned max) {
        pipe_state& p = pipes_[i];
        unsigned n = avail(p.rd);
        if (n > max) n = max;
        n &= ~7u;
        if (n == 0) return true;
        std::vector<unsigned char> buf(n);
        const ssize_t got = read(p.rd, buf.data(), n);
        if (got < 0) return fail("setup", std::string("read from a pipe: ") + std::strerror(errno));
        if (got % 8 != 0) return fail("pipe stream", "a read of the pipe returned a part of a word");
        return check_words(p, i, buf.data(), static_cast<unsigned>(got), "the drain's read");
    }

    bool drain() {
        const double deadline = now_s() + (mock_ ? 60.0 : 30.0);
        for (unsigned iter = 0;; ++iter) {
            if (r_.sq_ready() != 0 && !submit()) return false;
            if (!reap_peek() || !reap_target()) return false;
            bool reads[pipes] = {}, writes[pipes] = {};
            std::size_t owed = drain_cancels_in_flight_;
            const rec* example = nullptr;
            for (const auto& [ud, x] : recs_) {
                if (!owes(x)) continue;
                ++owed;
                example = &x;
                if (x.o.kind == op_kind::pipe_read || x.o.kind == op_kind::poll_in) reads[x.o.a] = true;
                if (x.o.kind == op_kind::pipe_write || x.o.kind == op_kind::poll_out) writes[x.o.a] = true;
            }
            std::size_t msgs_owed = 0;
            for (const auto& [data, m] : msgs_) {
                if (m.got) continue;
                auto src = recs_.find(m.source);
                if (src == recs_.end()) continue;
                const rec& s = src->second;
                if (s.has_cqe ? s.res == 0 : (s.o.skip && s.consumed && chain_fate(s) == fate::normal)) ++msgs_owed;
            }
            if (owed == 0 && msgs_owed == 0 && r_.sq_ready() == 0) break;
            if (now_s() > deadline || iter > 200000) {
                char msg[300];
                std::snprintf(msg, sizeof msg, "%zu requests never completed (%zu msg_ring messages never arrived)%s%s",
                              owed, msgs_owed, example != nullptr ? ", e.g. " : "",
                              example != nullptr ? what(*example).c_str() : "");
                return fail("lost CQE", msg);
            }
            if (iter % 4 == 1 && drain_cancels_in_flight_ == 0 && !prep_drain_cancel()) return false;
            for (unsigned i = 0; i < pipes; ++i) {
                if (reads[i] && avail(pipes_[i].rd) == 0 && !direct_write(i)) return false;
                if (writes[i] && avail(pipes_[i].rd) > 32768 && !direct_read(i, 4096)) return false;
            }
            abi::io_uring_cqe* c = nullptr;
            abi::kernel_timespec ts{0, 1000000};
            const std::uint64_t start = clock_ns();
            const int ret = r_.submit_and_wait_timeout(&c, 1, &ts);
            if (!check_bound("submit_and_wait_timeout", start, 1000000)) return false;
            if (!check_ret(call::submit_and_wait_timeout, ret) || !observe(call::submit_and_wait_timeout, ret, true))
                return false;
        }
        // Everything has completed: the rest of each pipe's content is read directly, and then
        // every word of every write that succeeded must have been read exactly once.
        for (unsigned i = 0; i < pipes; ++i) {
            while (avail(pipes_[i].rd) != 0)
                if (!direct_read(i, 65536)) return false;
            for (const auto& [wid, w] : pipes_[i].writes) {
                char msg[200];
                if (w.status == 0 && (wid >> 39) == 0) {
                    // A write cancelled silently (its chain broke at a CQE_SKIP_SUCCESS request)
                    // wrote nothing: check_words already refused any word of it.
                    auto x = recs_.find(tag_op | wid);
                    if (x != recs_.end() && !x->second.has_cqe && chain_fate(x->second) == fate::silent) continue;
                }
                if (w.status == 0) {
                    std::snprintf(msg, sizeof msg, "write %llx of pipe %u never completed", static_cast<unsigned long long>(wid), i);
                    return fail("lost CQE", msg);
                }
                if (w.status == 1 && w.seen != w.words) {
                    std::snprintf(msg, sizeof msg, "pipe %u: %u of the %u words of write %llx were never read", i,
                                  w.words - w.seen, w.words, static_cast<unsigned long long>(wid));
                    return fail("pipe stream", msg);
                }
            }
            pipes_[i].writes.clear();
        }
        if (!verify_chains()) return false;
        for (const auto& [data, m] : msgs_) {
            auto src = recs_.find(m.source);
            if (src == recs_.end()) continue;
            const rec& s = src->second;
            const bool sent = s.has_cqe ? s.res == 0 : (s.o.skip && chain_fate(s) == fate::normal);
            if (sent && !m.got) return fail("msg_ring", what(s) + " succeeded, but nothing arrived on the target");
            if (!sent && m.got) return fail("msg_ring", what(s) + " did not succeed, yet its CQE arrived on the target");
        }
        msgs_.clear();
        // Keep only the CQE_SKIP_SUCCESS requests that never posted (one may still fail later).
        for (auto it = recs_.begin(); it != recs_.end();) {
            if (it->second.has_cqe || !it->second.o.skip || chain_fate(it->second) == fate::silent)
                it = recs_.erase(it);
            else
                ++it;
        }
        chains_.clear();
        // drain_mode_ stays: the kernel's drain mode can outlive a full drain (see there).
        if (r_.cq_ready() != 0) return fail("drain", "CQEs left in the CQ after the drain");
        return true;
    }

    // ---- steps ---------------------------------------------------------------------------------

    bool batch(const step& s) {
        std::size_t i = 0;
        while (i < s.ops.size()) {
            std::size_t n = 1;
            while (i + n - 1 < s.ops.size() && s.ops[i + n - 1].link != link_kind::none && i + n < s.ops.size()) ++n;
            if (r_.sq_space_left() < n && !submit()) return false;
            // SQPOLL: the kernel thread frees the slots; wait for it (IORING_ENTER_SQ_WAIT).
            for (int tries = 0; sqpoll_ && r_.sq_space_left() < n && tries < 64; ++tries) {
                const int ret = r_.sqring_wait();
                if (!check_ret(call::submit, ret) || !observe(call::submit, ret, false)) return false;
                if (r_.sq_space_left() < n && !submit()) return false;
            }
            if (r_.sq_space_left() < n) {
                i += n;  // no room for the whole chain now: it is not issued
                continue;
            }
            const std::uint64_t head = op_ud(s.id, s.ops[i].slot);
            bool chain_sure = true;
            for (std::size_t k = 0; k < n; ++k) {
                op o = s.ops[i + k];
                if (k + 1 == n) o.link = link_kind::none;  // a chain ends with its batch
                chain_sure = chain_sure && self_completing(o) && !(k > 0 && s.ops[i + k - 1].skip);
                if (!prep(o, s.id, head, chain_sure)) return false;
            }
            i += n;
        }
        return reap(s.reap, s.frac, s.ts_ns);
    }

    bool reg_fd() {
        if (!r_.ring_fd_registered()) {
            const int ret = r_.register_ring_fd();
            if (!check_ret(call::register_ring_fd, ret)) return false;
            if (ret >= 0 && ret != 1) return fail("register_ring_fd", "returned " + std::to_string(ret));
        } else {
            const int ret = r_.unregister_ring_fd();
            if (!check_ret(call::unregister_ring_fd, ret)) return false;
            if (ret >= 0 && ret != 1) return fail("unregister_ring_fd", "returned " + std::to_string(ret));
        }
        return true;
    }

    bool resize(const step& s) {
        abi::io_uring_params p{};
        p.sq_entries = 1u << s.a;
        if (tiny_) p.sq_entries = f_.sq_entries >> (s.a % 2);
        if (s.b != 0 || tiny_) {
            p.flags = abi::IORING_SETUP_CQSIZE;
            p.cq_entries = tiny_ ? p.sq_entries : p.sq_entries << s.b;
        }
        const unsigned sq_before = r_.sq_ready(), cq_before = r_.cq_ready();
        const int ret = r_.resize_rings(p);
        if (!check_ret(call::resize_rings, ret)) return false;
        if (!r_.is_open()) {
            if (ret != -ENOMEM) return fail("resize_rings", "tore the ring down and returned " + std::to_string(ret));
            return abandon();  // documented: a mapping that failed after the kernel switched
        }
        if (ret == 0) {
            ++st_->resizes;
            cq_entries_ = r_.cq().ring_entries;
            if (r_.sq_ready() != sq_before || r_.cq_ready() != cq_before) {
                char msg[160];
                std::snprintf(msg, sizeof msg, "SQ %u -> %u, CQ %u -> %u entries ready", sq_before, r_.sq_ready(),
                              cq_before, r_.cq_ready());
                return fail("resize_rings lost entries", msg);
            }
            if (r_.load_sq_head() != head_) return fail("resize_rings", "the SQ head moved");
        }
        return true;
    }

    bool recreate(const step& s) {
        if (!drain()) return false;
        // CQE_SKIP_SUCCESS requests that never posted die with the ring.
        recs_.clear();
        const int ret = r_.exit();
        if (ret < 0 && !check_ret(call::unregister_ring_fd, ret)) return false;
        no_skip_ = s.b != 0;
        skip_used_ = false;
        drain_mode_ = false;
        return make_ring(1u << s.a);
    }

    bool run_step(const step& s) {
        switch (s.kind) {
        case step_kind::batch:
            if (!batch(s)) return false;
            break;
        case step_kind::reap:
            if (!reap(s.reap, s.frac, s.ts_ns)) return false;
            break;
        case step_kind::resize:
            if (!resize(s)) return false;
            break;
        case step_kind::reg_fd:
            if (!reg_fd()) return false;
            break;
        case step_kind::recreate:
            if (!recreate(s)) return false;
            break;
        case step_kind::drain:
            if (!drain()) return false;
            break;
        }
        if ((r_.cq_has_overflow())) ++st_->overflows;
        if (target_.cq_ready() > 8 || target_.cq_has_overflow()) return reap_target();
        return true;
    }
};

violation runner::go() {
    start_watchdog(static_cast<int>(o_.hang_seconds));
    const double t0 = now_s();
    sqpoll_ = (f_.flags & abi::IORING_SETUP_SQPOLL) != 0;
    cqe32_ = (f_.flags & abi::IORING_SETUP_CQE32) != 0;
    tiny_ = (f_.flags & abi::IORING_SETUP_CQSIZE) != 0;
    if (o_.backend == backend_kind::mock) {
        rawring::mock::options mo;
        mo.report_at_exit = false;
        mo.seed = o_.seed;
        mock_.emplace(mo);
        if (mock_->install() != 0) {
            fail("setup", "the mock kernel could not be installed");
            return v_;
        }
    }
    if (o_.inject_rate > 0) {
        rawring::inject::options io;
        io.rate = o_.inject_rate;
        io.seed = o_.seed;
        inj_.emplace(io);
        if (inj_->install() != 0) {
            fail("setup", "the injector could not be installed");
            return v_;
        }
    }
    if (open_pipes() && open_file() && make_ring(f_.sq_entries) && make_target()) {
        for (step_index_ = 0; step_index_ < seq_.steps.size(); ++step_index_) {
            if (!run_step(seq_.steps[step_index_])) break;
        }
        if (!v_.found) {
            step_index_ = seq_.steps.size();
            (void)drain();
        }
        if (!v_.found && o_.verbose) std::fprintf(stderr, "  %zu records left\n", recs_.size());
    }
    (void)r_.exit();
    (void)target_.exit();
    if (mock_ && !v_.found) {
        const rawring::mock::report rep = mock_->leftovers();
        if (!rep.never_closed.empty()) fail("mock leftovers", rep.text());
    }
    teardown();
    st_->seconds += now_s() - t0;
    return v_;
}

} // namespace

violation run(const sequence& seq, const flavour& f, const run_options& o, run_stats* stats) {
    run_stats local;
    runner r(seq, f, o, stats != nullptr ? stats : &local);
    return r.go();
}

} // namespace fuzz
