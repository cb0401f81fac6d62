// SPDX-License-Identifier: MIT
// rawring-fuzz: the abstract operation sequences, the ring flavours and the executor's interface.
//
// A sequence is generated from the seed before anything runs: a list of steps (a batch of SQEs
// with the reaping call that follows it, a reap on its own, a resize, a ring-fd registration, a
// ring re-creation, a drain). The executor replays a sequence on one ring flavour and backend and
// checks the invariants as it goes; the shrinker (rawring-fuzz.cpp) replays shortened copies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fuzz {

// ---- random numbers ----------------------------------------------------------------------------

/// splitmix64: small, fast, and the same sequence for the same seed everywhere.
struct rng {
    std::uint64_t s;
    explicit rng(std::uint64_t seed) : s(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n) (n > 0).
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) % n); }
    /// True with probability pct/100.
    bool pct(unsigned p) { return below(100) < p; }
};

// ---- abstract operations -------------------------------------------------------------------------

enum class op_kind : std::uint8_t {
    nop,
    file_read,
    file_write,
    pipe_read,
    pipe_write,
    timeout,
    timeout_remove,
    cancel_ud,
    cancel_fd,
    cancel_any,
    poll_in,
    poll_out,
    msg_ring,
    count_
};

const char* name(op_kind k);

/// How an SQE is linked to the next one of its batch.
enum class link_kind : std::uint8_t { none, soft, hard };

/// One SQE to prepare. The meaning of `a` and `b` depends on the kind:
///   file_read/file_write: a = file offset; pipe_*: a = pipe; poll_*: a = pipe;
///   timeout: a = nanoseconds, b = completion count (0: time only);
///   timeout_remove/cancel_ud: a = target step id, b = target slot (with cancel_ud, bit 8 of b
///   asks for IORING_ASYNC_CANCEL_ALL); cancel_fd: a = fd choice, b = 1 for ALL;
///   cancel_any: b = 1 for ALL; msg_ring: a = the CQE's res, b = cqe flags to pass (0: none).
struct op {
    op_kind kind = op_kind::nop;
    link_kind link = link_kind::none;
    bool skip = false;   ///< IOSQE_CQE_SKIP_SUCCESS
    bool drain = false;  ///< IOSQE_IO_DRAIN
    std::uint8_t slot = 0;  ///< position in its step as generated (part of its user_data)
    std::uint16_t len = 0;
    std::uint32_t a = 0, b = 0;
};

/// The call that reaps after a batch (or in a reap step).
enum class reap_kind : std::uint8_t {
    submit_only,          ///< submit(), nothing reaped
    submit_and_wait,      ///< submit_and_wait(n), then for_each_cqe + cq_advance
    copy_cqes,            ///< submit(), copy_cqes(span, n)
    peek,                 ///< submit(), peek_cqe + cqe_seen until -EAGAIN
    for_each,             ///< submit(), for_each_cqe + cq_advance
    wait_nr,              ///< submit(), wait_cqe_nr(n), then for_each_cqe + cq_advance
    wait_timeout,         ///< submit(), wait_cqe_timeout(ts), then peek loop
    submit_wait_timeout,  ///< submit_and_wait_timeout(n, ts), then copy_cqes
    peek_batch,           ///< submit(), peek_batch_cqe + cq_advance
    get_events,           ///< submit_and_get_events(), then for_each_cqe + cq_advance
    count_
};

const char* name(reap_kind k);

enum class step_kind : std::uint8_t {
    batch,     ///< prepare `ops`, then reap with `reap`
    reap,      ///< reap only
    resize,    ///< resize_rings to (a: log2 SQ entries, b: CQ multiplier)
    reg_fd,    ///< register the ring fd if unregistered, else unregister it
    recreate,  ///< drain, tear the ring down and set it up again with 2^a entries; b 1: the new
               ///< ring gets no CQE_SKIP_SUCCESS (after one, the kernel fails IO_DRAIN)
    drain,     ///< drain everything and check the pipes' byte streams
};

struct step {
    step_kind kind = step_kind::batch;
    reap_kind reap = reap_kind::submit_only;
    std::uint8_t frac = 0;   ///< how much of what surely completes a wait asks for (/255)
    std::uint32_t id = 0;    ///< its index as generated (stable while shrinking)
    std::uint32_t ts_ns = 0; ///< timed waits' bound
    std::uint32_t a = 0, b = 0;
    std::vector<op> ops;
};

struct sequence {
    std::vector<step> steps;
    [[nodiscard]] std::size_t op_count() const;
};

/// The ring configurations the fuzzer runs.
struct flavour {
    const char* name;
    std::uint32_t flags;       ///< IORING_SETUP_*
    unsigned sq_entries;       ///< the first ring's size (recreate steps choose again)
    unsigned cq_entries;       ///< with IORING_SETUP_CQSIZE, else 0
    bool keep_sq_array;        ///< sq_array::keep
};

const std::vector<flavour>& flavours();

/// What the generator may emit (a backend can lack an operation).
struct gen_options {
    std::uint64_t ops = 0;             ///< SQEs to generate
    bool kinds[static_cast<int>(op_kind::count_)] = {};
    bool resize = true;                ///< the flavour can resize (DEFER_TASKRUN); else rarely
    bool tiny = false;                 ///< small rings: small batches, short chains
};

sequence generate(std::uint64_t seed, const flavour& f, const gen_options& g);

/// One line describing a step (for the reproducer).
std::string describe(const step& s);

// ---- execution -------------------------------------------------------------------------------------

enum class backend_kind : std::uint8_t { kernel, mock };

struct run_options {
    backend_kind backend = backend_kind::kernel;
    double inject_rate = 0;       ///< 0: no injector
    std::uint64_t seed = 1;
    unsigned slack_ms = 1000;     ///< how far a kernel timed wait may overrun its bound
    unsigned hang_seconds = 60;   ///< a call that takes longer is interrupted and a violation
    bool verbose = false;
    bool quiet = false;           ///< no messages at all (shrinking)
};

struct violation {
    bool found = false;
    std::string invariant;  ///< a short name: "unknown user_data", "lost CQE", ...
    std::string detail;     ///< what exactly
    std::size_t step = 0;   ///< index of the step (in the sequence run) where it was seen
};

struct run_stats {
    std::uint64_t ops = 0, cqes = 0, target_cqes = 0;
    std::uint64_t faults = 0, surfaced = 0;  ///< injected faults; -errno returns seen
    std::uint64_t waits_timed = 0;
    double max_overrun_ms = 0;               ///< of a timed wait beyond its bound (kernel)
    std::uint64_t rings = 0, resizes = 0, abandoned = 0, overflows = 0, chain_splits = 0;
    std::uint64_t bytes_piped = 0;
    double seconds = 0;
};

/// Runs `seq` on a fresh set of rings, pipes and files; returns the first violation (if any).
violation run(const sequence& seq, const flavour& f, const run_options& o, run_stats* stats);

} // namespace fuzz
