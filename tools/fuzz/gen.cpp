// SPDX-License-Identifier: MIT
// rawring-fuzz: the ring flavours, and sequences of abstract operations drawn from a seed.
#include <cstdio>

#include "fuzz.hpp"
#include "rawring/abi.hpp"

namespace fuzz {

namespace abi = rawring::abi;

const char* name(op_kind k) {
    switch (k) {
    case op_kind::nop: return "nop";
    case op_kind::file_read: return "file_read";
    case op_kind::file_write: return "file_write";
    case op_kind::pipe_read: return "pipe_read";
    case op_kind::pipe_write: return "pipe_write";
    case op_kind::timeout: return "timeout";
    case op_kind::timeout_remove: return "timeout_remove";
    case op_kind::cancel_ud: return "cancel_ud";
    case op_kind::cancel_fd: return "cancel_fd";
    case op_kind::cancel_any: return "cancel_any";
    case op_kind::poll_in: return "poll_in";
    case op_kind::poll_out: return "poll_out";
    case op_kind::msg_ring: return "msg_ring";
    case op_kind::count_: break;
    }
    return "?";
}

const char* name(reap_kind k) {
    switch (k) {
    case reap_kind::submit_only: return "submit";
    case reap_kind::submit_and_wait: return "submit_and_wait";
    case reap_kind::copy_cqes: return "copy_cqes";
    case reap_kind::peek: return "peek_cqe";
    case reap_kind::for_each: return "for_each_cqe";
    case reap_kind::wait_nr: return "wait_cqe_nr";
    case reap_kind::wait_timeout: return "wait_cqe_timeout";
    case reap_kind::submit_wait_timeout: return "submit_and_wait_timeout";
    case reap_kind::peek_batch: return "peek_batch_cqe";
    case reap_kind::get_events: return "submit_and_get_events";
    case reap_kind::count_: break;
    }
    return "?";
}

std::size_t sequence::op_count() const {
    std::size_t n = 0;
    for (const step& s : steps) n += s.ops.size();
    return n;
}

const std::vector<flavour>& flavours() {
    constexpr std::uint32_t defer = abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN;
    static const std::vector<flavour> all = {
        {"default", 0, 32, 0, false},
        {"tiny-cq", abi::IORING_SETUP_CQSIZE, 8, 8, false},
        {"defer-taskrun", defer, 32, 0, false},
        {"tiny-cq-defer", abi::IORING_SETUP_CQSIZE | defer, 8, 8, false},
        {"coop-taskrun", abi::IORING_SETUP_COOP_TASKRUN | abi::IORING_SETUP_TASKRUN_FLAG, 32, 0, false},
        {"sqpoll", abi::IORING_SETUP_SQPOLL, 32, 0, false},
        {"sqe128", abi::IORING_SETUP_SQE128, 32, 0, false},
        {"cqe32", abi::IORING_SETUP_CQE32, 32, 0, false},
        {"no-sqarray", abi::IORING_SETUP_NO_SQARRAY, 32, 0, false},
        {"sq-array", 0, 32, 0, true},
        {"sq-array-defer", defer, 16, 0, true},
    };
    return all;
}

namespace {

struct weights {
    unsigned w[16];
    unsigned n;
    unsigned total() const {
        unsigned t = 0;
        for (unsigned i = 0; i < n; ++i) t += w[i];
        return t;
    }
    unsigned draw(rng& r) const {
        unsigned x = r.below(total());
        for (unsigned i = 0; i < n; ++i) {
            if (x < w[i]) return i;
            x -= w[i];
        }
        return n - 1;
    }
};

constexpr unsigned pipes = 3;
constexpr unsigned file_size = 65536;

/// Recent operations a cancel or a timeout removal may aim at: (step id, slot).
struct recent {
    std::uint32_t step[32] = {}, slot[32] = {};
    unsigned n = 0, next = 0;
    void add(std::uint32_t st, std::uint32_t sl) {
        step[next] = st;
        slot[next] = sl;
        next = (next + 1) % 32;
        if (n < 32) ++n;
    }
};

std::uint32_t draw_timeout_ns(rng& r) {
    const unsigned x = r.below(100);
    if (x < 80) return 1000 + r.below(99000);             // 1 us .. 100 us
    if (x < 97) return 100000 + r.below(900000);          // .. 1 ms
    return 20000000 + r.below(80000000);                  // 20 .. 100 ms: outlives waits
}

std::uint32_t draw_wait_ns(rng& r) {
    const unsigned x = r.below(100);
    if (x < 60) return r.below(50000);                    // 0 .. 50 us
    if (x < 95) return 50000 + r.below(450000);           // .. 500 us
    return 500000 + r.below(2500000);                     // .. 3 ms
}

op draw_op(rng& r, const gen_options& g, std::uint32_t step_id, std::uint8_t slot, recent& cancellable,
           recent& timeouts) {
    // nop, file_read, file_write, pipe_read, pipe_write, timeout, timeout_remove, cancel_ud,
    // cancel_fd, cancel_any, poll_in, poll_out, msg_ring
    static constexpr unsigned base[13] = {18, 8, 8, 12, 14, 7, 3, 4, 2, 1, 4, 3, 6};
    weights w{};
    w.n = 13;
    for (unsigned i = 0; i < 13; ++i) w.w[i] = g.kinds[i] ? base[i] : 0;
    op o;
    o.slot = slot;
    o.kind = static_cast<op_kind>(w.draw(r));
    switch (o.kind) {
    case op_kind::nop: break;
    case op_kind::file_read:
    case op_kind::file_write:
        o.len = static_cast<std::uint16_t>(1 + r.below(1024));
        o.a = r.below(file_size - o.len);
        break;
    case op_kind::pipe_read:
    case op_kind::pipe_write:
        o.len = static_cast<std::uint16_t>(8 * (1 + r.below(64)));
        o.a = r.below(pipes);
        break;
    case op_kind::timeout:
        o.a = draw_timeout_ns(r);
        o.b = r.pct(85) ? 0 : 1 + r.below(4);
        break;
    case op_kind::timeout_remove:
        if (timeouts.n != 0) {
            const unsigned i = r.below(timeouts.n);
            o.a = timeouts.step[i];
            o.b = timeouts.slot[i];
        } else {
            o.a = step_id;
            o.b = 255;
        }
        break;
    case op_kind::cancel_ud:
        if (cancellable.n != 0) {
            const unsigned i = r.below(cancellable.n);
            o.a = cancellable.step[i];
            o.b = cancellable.slot[i];
        } else {
            o.a = step_id;
            o.b = 255;
        }
        if (r.pct(20)) o.b |= 0x100;
        break;
    case op_kind::cancel_fd:
        o.a = r.below(2 * pipes + 1);
        o.b = r.pct(30) ? 1 : 0;
        break;
    case op_kind::cancel_any: o.b = r.pct(50) ? 1 : 0; break;
    case op_kind::poll_in:
    case op_kind::poll_out: o.a = r.below(pipes); break;
    case op_kind::msg_ring:
        o.a = r.below(1000000);
        o.b = r.pct(30) ? (1 + r.below(0xfffe)) << 16 : 0;
        break;
    case op_kind::count_: break;
    }
    if ((o.kind == op_kind::nop || o.kind == op_kind::file_write || o.kind == op_kind::msg_ring) &&
        r.pct(15))
        o.skip = true;
    if (!o.skip && r.below(1000) < 5) o.drain = true;  // cleared again inside chains
    switch (o.kind) {
    case op_kind::pipe_read:
    case op_kind::pipe_write:
    case op_kind::poll_in:
    case op_kind::poll_out:
    case op_kind::file_read:
    case op_kind::file_write: cancellable.add(step_id, slot); break;
    case op_kind::timeout:
        cancellable.add(step_id, slot);
        timeouts.add(step_id, slot);
        break;
    default: break;
    }
    return o;
}

} // namespace

sequence generate(std::uint64_t seed, const flavour& f, const gen_options& g) {
    rng r(seed);
    sequence seq;
    recent cancellable, timeouts;
    std::uint64_t made = 0;
    std::uint64_t next_recreate = 2000 + r.below(3000);
    std::uint64_t next_drain = 300 + r.below(1200);
    const bool defer = (f.flags & abi::IORING_SETUP_DEFER_TASKRUN) != 0;
    const unsigned max_batch = g.tiny ? 8 : 16;
    const unsigned max_chain = g.tiny ? 3 : 5;
    // batch, reap, resize, reg_fd
    const weights step_w{{88, 8, defer ? 2u : 0u, 2}, 4};
    // submit_only, submit_and_wait, copy_cqes, peek, for_each, wait_nr, wait_timeout,
    // submit_wait_timeout, peek_batch, get_events
    const weights reap_w{{12, 12, 14, 10, 12, 12, 8, 8, 6, 6}, 10};
    while (made < g.ops) {
        step s;
        s.id = static_cast<std::uint32_t>(seq.steps.size());
        if (made >= next_recreate) {
            s.kind = step_kind::recreate;
            s.a = g.tiny ? 3 : 3 + r.below(4);  // 8 .. 64 entries
            s.b = r.below(2);                    // 1: this ring drops CQE_SKIP_SUCCESS (IO_DRAIN works)
            next_recreate = made + 2000 + r.below(3000);
            seq.steps.push_back(std::move(s));
            continue;
        }
        if (made >= next_drain) {
            s.kind = step_kind::drain;
            next_drain = made + 300 + r.below(1200);
            seq.steps.push_back(std::move(s));
            continue;
        }
        // Rings that cannot resize still try now and then (the kernel must say -EINVAL).
        unsigned k = step_w.draw(r);
        if (!defer && r.below(300) == 0) k = 2;
        s.kind = k == 0 ? step_kind::batch : k == 1 ? step_kind::reap : k == 2 ? step_kind::resize
                                                                              : step_kind::reg_fd;
        s.reap = static_cast<reap_kind>(reap_w.draw(r));
        s.frac = static_cast<std::uint8_t>(r.below(256));
        s.ts_ns = draw_wait_ns(r);
        if (s.kind == step_kind::resize) {
            s.a = g.tiny ? 2 + r.below(3) : 2 + r.below(6);  // 4 .. 128 SQ entries
            s.b = r.below(3);                                 // CQ = SQ << b (b 0: default 2x)
        }
        if (s.kind == step_kind::batch) {
            const unsigned n = 1 + r.below(max_batch);
            unsigned slot = 0;
            while (slot < n) {
                unsigned chain = r.pct(70) ? 1 : 2 + r.below(max_chain - 1);
                if (chain > n - slot) chain = n - slot;
                for (unsigned i = 0; i < chain; ++i) {
                    op o = draw_op(r, g, s.id, static_cast<std::uint8_t>(slot), cancellable, timeouts);
                    if (i + 1 < chain) o.link = r.pct(75) ? link_kind::soft : link_kind::hard;
                    if (chain > 1) o.drain = false;  // IO_DRAIN on single requests only
                    s.ops.push_back(o);
                    ++slot;
                }
            }
            made += n;
        }
        seq.steps.push_back(std::move(s));
    }
    return seq;
}

std::string describe(const step& s) {
    char buf[256];
    std::string out;
    switch (s.kind) {
    case step_kind::recreate:
        std::snprintf(buf, sizeof buf, "step %u: recreate ring (%u entries%s)", s.id, 1u << s.a,
                      s.b != 0 ? ", no CQE_SKIP_SUCCESS" : "");
        return buf;
    case step_kind::drain:
        std::snprintf(buf, sizeof buf, "step %u: drain", s.id);
        return buf;
    case step_kind::resize:
        std::snprintf(buf, sizeof buf, "step %u: resize_rings (sq %u, cq x%u)", s.id, 1u << s.a,
                      s.b == 0 ? 2u : 1u << s.b);
        return buf;
    case step_kind::reg_fd:
        std::snprintf(buf, sizeof buf, "step %u: register/unregister ring fd", s.id);
        return buf;
    case step_kind::reap:
    case step_kind::batch: break;
    }
    std::snprintf(buf, sizeof buf, "step %u: %s", s.id, s.kind == step_kind::reap ? "reap" : "batch [");
    out = buf;
    bool first = true;
    for (const op& o : s.ops) {
        if (!first) out += ", ";
        first = false;
        std::snprintf(buf, sizeof buf, "#%u %s", o.slot, name(o.kind));
        out += buf;
        switch (o.kind) {
        case op_kind::file_read:
        case op_kind::file_write: std::snprintf(buf, sizeof buf, " off %u len %u", o.a, o.len); break;
        case op_kind::pipe_read:
        case op_kind::pipe_write: std::snprintf(buf, sizeof buf, " p%u len %u", o.a, o.len); break;
        case op_kind::poll_in:
        case op_kind::poll_out: std::snprintf(buf, sizeof buf, " p%u", o.a); break;
        case op_kind::timeout: std::snprintf(buf, sizeof buf, " %uns count %u", o.a, o.b); break;
        case op_kind::timeout_remove:
        case op_kind::cancel_ud:
            std::snprintf(buf, sizeof buf, " of %u#%u%s", o.a, o.b & 0xff, (o.b & 0x100) != 0 ? " ALL" : "");
            break;
        case op_kind::cancel_fd: std::snprintf(buf, sizeof buf, " fd %u%s", o.a, o.b != 0 ? " ALL" : ""); break;
        case op_kind::cancel_any: std::snprintf(buf, sizeof buf, "%s", o.b != 0 ? " ALL" : ""); break;
        case op_kind::msg_ring: std::snprintf(buf, sizeof buf, " res %u flags 0x%x", o.a, o.b); break;
        default: buf[0] = 0; break;
        }
        out += buf;
        if (o.skip) out += " SKIP";
        if (o.drain) out += " DRAIN";
        if (o.link == link_kind::soft) out += " LINK";
        if (o.link == link_kind::hard) out += " HARDLINK";
    }
    if (s.kind == step_kind::batch) out += "]";
    std::snprintf(buf, sizeof buf, " then %s (frac %u, ts %uns)", name(s.reap), s.frac, s.ts_ns);
    out += buf;
    return out;
}

} // namespace fuzz
