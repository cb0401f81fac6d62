// SPDX-License-Identifier: MIT
// rawring::loop: setup, the run loop, completion dispatch, cancellation, messages between loops.
#include "rawring/loop.hpp"

#include <bit>
#include <coroutine>
#include <cstring>
#include <new>
#include <type_traits>

#include "rawring/register.hpp"

namespace rawring {

namespace {

constexpr std::uint64_t ctl_stop = 1;     // parent -> child: cancel everything, take no new work
constexpr std::uint64_t ctl_drained = 2;  // child -> parent: a wake-up (the count is atomic)
constexpr std::uint64_t ctl_exit = 3;     // parent -> child: leave run()

// fd_state_ values (0: not opened through the loop).
constexpr std::uint8_t fd_open = 1;
constexpr std::uint8_t fd_closed = 2;

std::uint64_t now_ns() noexcept {
    abi::kernel_timespec ts{};
    (void)sys::clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t ptr_bits(const void* p) noexcept { return reinterpret_cast<std::uintptr_t>(p); }

// The errors a run rides out: a signal, a full CQ the kernel is still flushing, a timed wait.
bool transient(int ret) noexcept {
    return ret == -err::eintr || ret == -err::eagain || ret == -err::ebusy || ret == -err::etime;
}

} // namespace

// ---- setup and teardown ------------------------------------------------------------------------

int loop::init(unsigned entries, const loop_options& o) noexcept {
    if (ring_.is_open() || pool_ != nullptr) return -err::ebusy;
    if (entries == 0) return -err::einval;
    if (o.defer_taskrun == setup_choice::force && o.coop_taskrun == setup_choice::force)
        return -err::einval;

    // The task-running modes, best first, as the options allow.
    std::uint32_t modes[3];
    unsigned nmodes = 0;
    if (o.defer_taskrun != setup_choice::forbid)
        modes[nmodes++] = abi::IORING_SETUP_SINGLE_ISSUER | abi::IORING_SETUP_DEFER_TASKRUN |
                          abi::IORING_SETUP_TASKRUN_FLAG;
    if (o.defer_taskrun != setup_choice::force && o.coop_taskrun != setup_choice::forbid)
        modes[nmodes++] = abi::IORING_SETUP_COOP_TASKRUN | abi::IORING_SETUP_TASKRUN_FLAG;
    if (o.defer_taskrun != setup_choice::force && o.coop_taskrun != setup_choice::force)
        modes[nmodes++] = 0;

    std::uint32_t forced = 0, optional = 0;
    auto sort = [&](setup_choice c, std::uint32_t flag) {
        if (c == setup_choice::force) forced |= flag;
        else if (c == setup_choice::automatic) optional |= flag;
    };
    sort(o.submit_all, abi::IORING_SETUP_SUBMIT_ALL);
    sort(o.clamp, abi::IORING_SETUP_CLAMP);
    // The optional flags: all of them, then without each, then none.
    const std::uint32_t extras[4] = {optional, optional & ~abi::IORING_SETUP_SUBMIT_ALL,
                                     optional & ~abi::IORING_SETUP_CLAMP, 0};

    int ret = -err::einval;
    bool up = false;
    for (unsigned m = 0; m < nmodes && !up; ++m) {
        for (unsigned e = 0; e < 4 && !up; ++e) {
            if (e != 0 && extras[e] == extras[e - 1]) continue;
            abi::io_uring_params p{};
            p.flags = modes[m] | forced | extras[e];
            if (o.cq_entries != 0) {
                p.flags |= abi::IORING_SETUP_CQSIZE;
                p.cq_entries = o.cq_entries;
            }
            if (o.attach_wq_fd >= 0) {
                p.flags |= abi::IORING_SETUP_ATTACH_WQ;
                p.wq_fd = static_cast<std::uint32_t>(o.attach_wq_fd);
            }
            ret = ring_.init(entries, p);
            if (ret == 0) up = true;
            else if (ret != -err::einval) return ret;  // not a flag the kernel refused
        }
    }
    if (!up) return ret;

    if (o.registered_files != 0) {
        ret = register_files_sparse(ring_, o.registered_files);
        if (ret < 0) {
            (void)ring_.exit();
            return ret;
        }
    }

    const unsigned n = o.tasks != 0 ? o.tasks : 4 * ring_.sq().ring_entries;
    // Storage only, mapped (zero pages the kernel provides when first touched, whatever the
    // heap did before): grow_pool_ constructs tasks in it as they are first needed, so pages of
    // a large pool that the load never reaches cost nothing.
    int map_err = 0;
    pool_ = static_cast<task*>(sys::mmap_anon(sizeof(task) * std::size_t{n}, &map_err));
    if (pool_ == nullptr) {
        (void)ring_.exit();
        return map_err;
    }
    capacity_ = n;  // (release_pool_ unmaps capacity_ tasks)
    if (o.track_fds != 0) {
        fd_state_ = new (std::nothrow) std::uint8_t[o.track_fds]();
        if (fd_state_ == nullptr) {
            release_pool_();
            (void)ring_.exit();
            return -err::enomem;
        }
        fd_bound_ = o.track_fds;
    }
    limit_ = made_ = 0;
    free_ = nullptr;
    in_flight_ = 0;
    queued_ = 0;
    stop_ = stopping_ = exit_requested_ = drained_sent_ = false;
    fd_counts_ = {};
    (void)grow_pool_();  // the first tasks (and direct_limit_)
    accept_asked_ = accept_known_ = o.accept_poll_first == setup_choice::forbid;
    accept_bits_ = 0;
    accept_backlog_fd_ = -1;
    if (o.accept_poll_first == setup_choice::force) {
        probe_accept_();  // nothing else is in flight: the answer is in the CQ now
        if (accept_bits_ == 0) {
            release_pool_();
            (void)ring_.exit();
            return -err::einval;
        }
    }
    return 0;
}

bool loop::grow_pool_() noexcept {
    if (stopping_ || made_ == capacity_) return false;
    // The next 64 tasks, or as many as are made already (a pool that grows under load grows
    // fast), in address order, ahead of any task still free.
    const unsigned more = made_ < 64 ? 64 : made_;
    const unsigned end = capacity_ - made_ < more ? capacity_ : made_ + more;
    for (unsigned i = end; i-- > made_;) {
        task* t = new (&pool_[i]) task();
        t->owner_ = this;
        t->next_ = free_;
        free_ = t;
    }
    made_ = limit_ = end;
    bound_direct_();
    return true;
}

void loop::release_pool_() noexcept {
    static_assert(std::is_trivially_destructible_v<task>, "release_pool_ frees the storage without destroying tasks");
    if (pool_ != nullptr) (void)sys::munmap(pool_, sizeof(task) * std::size_t{capacity_});
    pool_ = nullptr;
    delete[] fd_state_;
    fd_state_ = nullptr;
    fd_bound_ = 0;
    free_ = pending_head_ = pending_tail_ = completed_head_ = completed_tail_ = nullptr;
    capacity_ = limit_ = made_ = in_flight_ = queued_ = 0;
    bound_direct_();
}

int loop::exit() noexcept {
    int first_err = 0;
    if (ring_.is_open()) {
        shutdown_children_();
        begin_stop_();
        // Every task ends with a CQE (or a local completion): wait for all of them. A cancel that
        // raced with a request on its way to io-wq may miss it, so ask again now and then.
        unsigned rounds = 0;
        while (in_flight_ > 0) {
            const abi::kernel_timespec ts = detail::to_ts(100'000'000);
            const int r = step_(true, &ts);
            if (r < 0) {
                first_err = r;
                break;
            }
            if (r == 0 && ++rounds % 10 == 0) cancel_everything_();
        }
        (void)ring_.exit();
    }
    release_pool_();
    return first_err;
}

fd_balance loop::fds() const noexcept { return fd_counts_; }

void loop::ledger_open_(int fd) noexcept {
    if (fd_state_ == nullptr || fd < 0) return;
    if (static_cast<unsigned>(fd) >= fd_bound_) {
        ++fd_counts_.untracked;
        return;
    }
    if (fd_state_[fd] != fd_open) ++fd_counts_.open;
    fd_state_[fd] = fd_open;
}

void loop::ledger_close_(int fd) noexcept {
    if (fd_state_ == nullptr || fd < 0 || static_cast<unsigned>(fd) >= fd_bound_) return;
    if (fd_state_[fd] == fd_open) {
        fd_state_[fd] = fd_closed;
        --fd_counts_.open;
    } else if (fd_state_[fd] == fd_closed) {
        ++fd_counts_.closed_twice;
    }
}

// ---- submission ----------------------------------------------------------------------------------

abi::io_uring_sqe* loop::sqe_slow_(task* t, unsigned need) noexcept {
    // The SQ is full (or tasks queue before this one): hand the kernel what it holds, which
    // empties the SQ (the loop never uses SQPOLL), then move queued tasks in first.
    (void)ring_.submit();
    flush_pending_();
    if (pending_head_ == nullptr && ring_.sq_space_left() >= need) return ring_.get_sqe();
    t->bits_ |= task::bit_spilled;
    std::memset(static_cast<void*>(&t->spill_), 0, sizeof(t->spill_));
    t->next_ = nullptr;
    if (pending_tail_ != nullptr) pending_tail_->next_ = t;
    else pending_head_ = t;
    pending_tail_ = t;
    ++queued_;
    direct_limit_ = 0;  // direct completions wait behind it (bound_direct_)
    return &t->spill_;
}

void loop::commit_slow_(task* t, abi::io_uring_sqe* sqe) noexcept {
    // Here after any trip through sqe_slow_ too: with no deadline there is nothing to do.
    if ((t->bits_ & task::bit_deadline) == 0) return;
    t->deadline_ = detail::to_ts(t->ctx_.deadline_ns);
    if ((t->bits_ & task::bit_spilled) != 0) return;  // flush_pending_ links the timeout
    sqe->flags |= abi::IOSQE_IO_LINK;
    abi::io_uring_sqe* lt = ring_.get_sqe();  // sqe_ made sure of room for two
    prep_link_timeout(lt, &t->deadline_, 0);
    lt->user_data = ptr_bits(t) | tag_deadline;
}

void loop::flush_pending_() noexcept {
    while (pending_head_ != nullptr) {
        task* t = pending_head_;
        const bool deadline = (t->bits_ & task::bit_deadline) != 0;
        if (ring_.sq_space_left() < (deadline ? 2u : 1u)) return;
        pending_head_ = t->next_;
        if (pending_head_ == nullptr) {
            pending_tail_ = nullptr;
            bound_direct_();
        }
        --queued_;
        t->bits_ &= static_cast<std::uint8_t>(~task::bit_spilled);
        abi::io_uring_sqe* sqe = ring_.get_sqe();
        std::memcpy(static_cast<void*>(sqe), &t->spill_, sizeof(*sqe));
        if (deadline) {
            sqe->flags |= abi::IOSQE_IO_LINK;
            abi::io_uring_sqe* lt = ring_.get_sqe();
            prep_link_timeout(lt, &t->deadline_, 0);
            lt->user_data = ptr_bits(t) | tag_deadline;
        }
    }
}

void loop::probe_accept_() noexcept {
    // Not behind an SQE that links to the operation queued next (co::with_flags): the probe
    // would take the accept's place in the chain. The next accept asks instead.
    const sq_ring& sq = ring_.sq();
    if (ring_.sq_ready() != 0 &&
        (sq.sqes[(sq.sqe_tail - 1) & sq.ring_mask].flags & (abi::IOSQE_IO_LINK | abi::IOSQE_IO_HARDLINK)) != 0)
        return;
    accept_asked_ = true;
    abi::io_uring_sqe* sqe = internal_sqe_();
    if (sqe == nullptr) {  // no SQ room, even after submitting: no flag, for good
        accept_known_ = true;
        return;
    }
    // An accept of fd -1. A kernel that does not know the flag refuses the SQE as it reads it
    // (-EINVAL); one that does fails it when it looks the fd up (-EBADF). Either way the CQE is
    // posted before the submit returns, as it is for any SQE that fails before it runs.
    prep_accept(sqe, -1, nullptr, nullptr, 0);
    sqe->ioprio = abi::IORING_ACCEPT_POLL_FIRST;
    sqe->user_data = internal_accept_probe;
    if (ring_.submit() < 0) return;  // it goes with a later submit, and dispatch_ notes the answer
    // The answer is looked at, not consumed: accept may be called from a callback while step_
    // walks the CQ, and the CQE is dispatch_'s when the walk reaches it. Newest first.
    const cq_ring& cq = ring_.cq();
    const std::uint32_t head = std::atomic_ref<std::uint32_t>(*cq.khead).load(std::memory_order_relaxed);
    // Acquire pairs with the kernel's release of the tail, as in step_.
    const std::uint32_t tail = std::atomic_ref<std::uint32_t>(*cq.ktail).load(std::memory_order_acquire);
    for (std::uint32_t i = tail; i != head;) {
        const abi::io_uring_cqe& c = cq.cqes[--i & cq.ring_mask];
        if (c.user_data == internal_accept_probe) {
            note_accept_probe_(c.res);
            return;
        }
    }
    // Not there: the CQ was full and the CQE waits in the overflow list. Accepts go without the
    // flag until dispatch_ sees it.
}

void loop::note_accept_probe_(std::int32_t res) noexcept {
    accept_known_ = true;
    accept_bits_ = res == -err::ebadf ? abi::IORING_ACCEPT_POLL_FIRST : 0;
}

abi::io_uring_sqe* loop::internal_sqe_() noexcept {
    for (int i = 0; i < 1000; ++i) {
        if (abi::io_uring_sqe* sqe = ring_.get_sqe()) {
            sqe->user_data = tag_internal;
            return sqe;
        }
        (void)ring_.submit();
    }
    return nullptr;
}

int loop::submit() noexcept {
    flush_pending_();
    return ring_.submit();
}

// ---- completion ----------------------------------------------------------------------------------

void loop::deliver_(task* t, const abi::io_uring_cqe& in) noexcept {
    abi::io_uring_cqe cqe = in;
    const bool special = t->op_ >= first_special;
    if (special) [[unlikely]] {
        if (!special_before_(t, cqe)) return;
    }
    if (t->ctx_.fn != nullptr) t->ctx_.fn(*this, *t, cqe);
    if (special) [[unlikely]] special_after_(t, cqe);
}

bool loop::special_before_(task* t, abi::io_uring_cqe& cqe) noexcept {
    switch (t->op_) {
    case loop_op::timer:
        if (cqe.res == -err::etime) cqe.res = 0;  // a timer that fired is a success
        break;
    case loop_op::accept:
        // The kernel says whether more connections wait (Linux 6.10, as POLL_FIRST): if so the
        // next accept on this listener need not wait for one first.
        if ((cqe.flags & abi::IORING_CQE_F_SOCK_NONEMPTY) != 0)
            accept_backlog_fd_ = t->fd_;
        else if (accept_backlog_fd_ == t->fd_)
            accept_backlog_fd_ = -1;
        [[fallthrough]];
    case loop_op::open:
    case loop_op::socket:
    case loop_op::accept_multishot:
    case loop_op::install_fixed:
        if (cqe.res >= 0) ledger_open_(cqe.res);
        break;
    case loop_op::close:
        if (cqe.res == 0 || cqe.res == -err::ebadf) ledger_close_(t->fd_);
        break;
    case loop_op::run_on:
        // It ran on the target (res 0), or its send failed: `done` hears both; without it, only
        // a failed send calls back here.
        if (t->arg_ != nullptr) {
            std::bit_cast<callback>(t->arg_)(*this, *t, cqe);
            return false;
        }
        return cqe.res < 0;
    default:
        break;
    }
    return true;
}

void loop::special_after_(task* t, const abi::io_uring_cqe& cqe) noexcept {
    if (t->op_ == loop_op::recv_multishot) {
        if ((t->bits_ & task::bit_keep_buffer) == 0 && (cqe.flags & abi::IORING_CQE_F_BUFFER) != 0)
            (void)static_cast<buffer_group*>(const_cast<void*>(t->arg_))->put(cqe);
        t->bits_ &= static_cast<std::uint8_t>(~task::bit_keep_buffer);
    }
}

void loop::finish_(task* t) noexcept {
    if (t->op_ >= first_special && t->op_ == loop_op::tcp_connect && tcp_continue_(t)) [[unlikely]]
        return;  // on to its next step
    abi::io_uring_cqe cqe{};
    cqe.user_data = ptr_bits(t);
    cqe.res = t->res_;
    cqe.flags = t->flags_;
    deliver_(t, cqe);
    release_(t);
}

void loop::release_(task* t) noexcept {
    if (t->op_ == loop_op::cancel && t->arg_ != nullptr) {
        // This cancel's CQE is in: the kernel can no longer match it, so its target may be reused.
        task* target = static_cast<task*>(const_cast<void*>(t->arg_));
        t->arg_ = nullptr;
        if (--target->cancel_refs_ == 0) {
            target->slow_ &= static_cast<std::uint8_t>(~task::slow_named);
            if ((target->bits_ & task::bit_parked) != 0) {
                target->bits_ &= static_cast<std::uint8_t>(~task::bit_parked);
                free_task_(target);
            }
        }
    }
    if (t->cancel_refs_ != 0) {
        t->bits_ |= task::bit_parked;  // given back when the last cancel naming it completes
        return;
    }
    free_task_(t);
}

void loop::op_cqe_(task* t, const abi::io_uring_cqe& cqe) noexcept {
    if ((cqe.flags & abi::IORING_CQE_F_MORE) != 0) {
        // A multishot result, or send_zc's result before its notification: the task lives on.
        deliver_(t, cqe);
        return;
    }
    t->res_ = cqe.res;
    t->flags_ = cqe.flags;
    if (t->op_ >= first_special && t->op_ == loop_op::run_on && cqe.res < 0) [[unlikely]]
        --t->outstanding_;  // the target never got it: no reply will come
    if (--t->outstanding_ == 0) finish_(t);
}

void loop::run_remote_(task* t) noexcept {
    // Acquire pairs with the owner's release before it sent the task: its fields are written.
    (void)std::atomic_ref<std::uint32_t>(t->handoff_).load(std::memory_order_acquire);
    abi::io_uring_cqe cqe{};
    cqe.user_data = ptr_bits(t);
    if (t->ctx_.fn != nullptr) t->ctx_.fn(*this, *t, cqe);
    loop* owner = t->owner_;
    // Release: whatever the callback wrote is visible to the owner once it sees the reply.
    std::atomic_ref<std::uint32_t>(t->handoff_).store(2, std::memory_order_release);
    if (send_now_(*owner, ptr_bits(t) | tag_done, 0, false)) return;
    if (abi::io_uring_sqe* sqe = internal_sqe_()) {
        note_message_to_(*owner);
        prep_msg_ring(sqe, owner->ring_fd(), 0, ptr_bits(t) | tag_done, 0);
        sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
    }
}

unsigned loop::dispatch_(const abi::io_uring_cqe& cqe) noexcept {
    const std::uint64_t ud = cqe.user_data;
    task* t = reinterpret_cast<task*>(static_cast<std::uintptr_t>(ud & ~tag_mask));
    switch (ud & tag_mask) {
    case tag_op:
        op_cqe_(t, cqe);
        return 1;
    case tag_deadline:
        if (cqe.res == -err::etime) t->bits_ |= task::bit_timed_out;
        if (--t->outstanding_ == 0) finish_(t);
        return 1;
    case tag_value:
    case tag_fd:
        // Acquire pairs with the sender's release on msg_sync_ (see loop.hpp).
        (void)msg_sync_.load(std::memory_order_acquire);
        if (msg_fn_ != nullptr) {
            const message m{(ud & tag_mask) == tag_value ? message::kind::value : message::kind::fd,
                            ud >> 3, cqe.res};
            msg_fn_(*this, m, msg_user_);
        }
        return 1;
    case tag_run:
        run_remote_(t);
        return 1;
    case tag_done:
        // Acquire pairs with the target's release after the callback ran there.
        (void)std::atomic_ref<std::uint32_t>(t->handoff_).load(std::memory_order_acquire);
        if (--t->outstanding_ == 0) finish_(t);
        return 1;
    case tag_internal:  // the loop's own requests (cancel-all, replies, posts), and control messages
        if ((ud >> 3) >= control_base) {
            (void)msg_sync_.load(std::memory_order_acquire);
            control_((ud >> 3) - control_base);
        } else if (ud == internal_post && cqe.res < 0) {
            ++post_failures_;  // (successes post no CQE)
        } else if (ud == internal_accept_probe && !accept_known_) {
            note_accept_probe_(cqe.res);
        }
        ++uncounted_;
        return 0;
    default:  // tag_direct: step_ takes them all, never through here
        return 1;
    }
}

void loop::complete_locally_(task* t, std::int32_t res) noexcept {
    t->res_ = res;
    t->flags_ = 0;
    t->outstanding_ = 0;
    t->next_ = nullptr;
    if (completed_tail_ != nullptr) completed_tail_->next_ = t;
    else completed_head_ = t;
    completed_tail_ = t;
}

unsigned loop::run_completed_() noexcept {
    unsigned n = 0;
    while (completed_head_ != nullptr) {
        task* t = completed_head_;
        completed_head_ = t->next_;
        if (completed_head_ == nullptr) completed_tail_ = nullptr;
        abi::io_uring_cqe cqe{};
        cqe.user_data = ptr_bits(t);
        cqe.res = t->res_;
        deliver_(t, cqe);
        release_(t);
        ++n;
    }
    return n;
}

void loop::after_batch_() noexcept {
    if (parent_ != nullptr && stopping_ && !drained_sent_ && in_flight_ == 0) {
        drained_sent_ = true;
        // Release: everything this loop did happens before the parent sees the count.
        drained_counter_->fetch_add(1, std::memory_order_release);
        post_control_(*parent_, ctl_drained);
        (void)ring_.submit();
    }
}

/// Submits what is queued and waits for one CQE (or for `ts`, when not null).
inline int loop::wait_(const abi::kernel_timespec* ts) noexcept {
    waiting_.store(true, std::memory_order_relaxed);
    int ret;
    if (ts != nullptr) {
        abi::io_uring_cqe* first = nullptr;
        ret = ring_.submit_and_wait_timeout(&first, 1, ts);
    } else {
        ret = ring_.submit_and_wait(1);
    }
    waiting_.store(false, std::memory_order_relaxed);
    return ret;
}

int loop::step_(bool wait, const abi::kernel_timespec* ts) noexcept {
    sent_now_ = false;
    // Both lists are empty on the common path: test them here rather than call out.
    unsigned done = completed_head_ != nullptr ? run_completed_() : 0;
    if (pending_head_ != nullptr) flush_pending_();
    int ret;
    if (!wait || done != 0) {
        ret = ring_.submit();
    } else if (!wakes_waiter_) [[likely]] {
        // A CQE that came since the last walk (another thread's message, posted while this
        // one ran callbacks) needs no wait, and no enter at all when nothing is queued.
        ret = ring_.cq_ready() == 0 ? wait_(ts) : ring_.submit();
    } else {
        // A message in this batch wakes a loop whose thread sleeps in the kernel. If that thread
        // runs on this CPU, the scheduler may let it preempt this one as the submit returns, and
        // its reply may be in this CQ before this thread would have gone to sleep. So submit
        // alone, look, and wait only if nothing came: when the reply came, this thread never
        // sleeps, and the other one never has to wake it (a submit and a wait in one enter
        // always sleep, as the kernel does not preempt between them). Otherwise, one more enter.
        wakes_waiter_ = false;
        ret = ring_.submit();
        if (ret >= 0 && ring_.cq_ready() == 0) ret = wait_(ts);
    }
    if (ret < 0 && !transient(ret)) return ret;

    // The CQ is walked in place, once over what is ready now, and its head moves once at the
    // end: each callback is handed the CQE in the ring's own memory, which the kernel does not
    // reuse before the head has passed it. (The loop never sets up CQE32 or CQE_MIXED rings,
    // so a CQE is one 16-byte slot.)
    const cq_ring& cq = ring_.cq();
    std::atomic_ref<std::uint32_t> khead(*cq.khead);
    const std::uint32_t head = khead.load(std::memory_order_relaxed);
    // Acquire pairs with the kernel's release of the tail: the CQEs below it are written.
    std::uint32_t tail = std::atomic_ref<std::uint32_t>(*cq.ktail).load(std::memory_order_acquire);
    if (head == tail && ts == nullptr && wait && done == 0 && ret >= 0) [[unlikely]] {
        // A wait for one CQE ended with none. A TIMEOUT request that fires wakes every waiter,
        // and its CQE may not be there: a timer's, on a DEFER_TASKRUN ring, can still be task
        // work for a moment, and a success of one with CQE_SKIP_SUCCESS posts none. Wait again
        // (wait_cqe runs deferred work and waits until a CQE is there), so that run(once)
        // does not return before a completion; -EINTR and other errors end the step.
        abi::io_uring_cqe* first = nullptr;
        waiting_.store(true, std::memory_order_relaxed);  // as in wait_
        ret = ring_.wait_cqe(&first);
        waiting_.store(false, std::memory_order_relaxed);
        if (ret < 0 && !transient(ret)) return ret;
        tail = std::atomic_ref<std::uint32_t>(*cq.ktail).load(std::memory_order_acquire);
    }
    if (head != tail) {
        // At most two runs of slots: from the head towards the end of the array, then from its start.
        // (Few values live across the callbacks, so that the task pointer stays in a register.)
        const abi::io_uring_cqe* p = cq.cqes + (head & cq.ring_mask);
        for (std::uint32_t left = tail - head; left != 0; p = ring_.cq().cqes) {
            const abi::io_uring_cqe* end = p + left;
            const abi::io_uring_cqe* const array_end = ring_.cq().cqes + ring_.cq().ring_entries;
            if (end > array_end) end = array_end;
            left -= static_cast<std::uint32_t>(end - p);
            for (; p != end; ++p) {
                const abi::io_uring_cqe& cqe = *p;
                task* t = reinterpret_cast<task*>(static_cast<std::uintptr_t>(cqe.user_data & ~tag_mask));
                // The common case in one step: the only CQE of a plain operation (no deadline,
                // no F_MORE, no cancel naming it: outstanding_ 1 and slow_ 0, one compare), with
                // nothing for the loop to do but the callback. This is what dispatch_, op_cqe_,
                // finish_ and deliver_ do for it, without their copies and re-checks. (res_ and
                // flags_ are not stored: nothing reads them once the callback ran.)
                if ((cqe.user_data & tag_mask) == tag_op && t->outstanding_ == 1 && t->slow_ == 0 &&
                    (cqe.flags & abi::IORING_CQE_F_MORE) == 0) [[likely]] {
                    t->outstanding_ = 0;  // its last callback runs: cancel(task_ref) sees -ENOENT
                    t->ctx_.fn(*this, *t, cqe);  // never null (alloc_)
                    free_task_(t);
                    continue;
                }
                // A direct completion (rawring/task.hpp): the result into its awaiter, then its
                // coroutine resumed, or, cancelled, handed to its divert. Counted out after, as a
                // task is freed after its callback: the coroutine sees its own operation in
                // in_flight(), as one resumed from a callback does. (Tested only once the
                // callbacks' fast path said no: it costs them nothing but g++'s block layout,
                // about one instruction per callback at batch 32.)
                if ((cqe.user_data & tag_mask) == tag_direct) {
                    auto* d = reinterpret_cast<direct_completion*>(
                        static_cast<std::uintptr_t>(cqe.user_data & ~tag_mask));
                    d->res = cqe.res;
                    const std::uintptr_t frame = d->frame;
                    if ((frame & 1) == 0) [[likely]]
                        std::coroutine_handle<>::from_address(reinterpret_cast<void*>(frame)).resume();
                    else d->divert(d);
                    --in_flight_;  // (d may be gone: the frame it lived in may have ended)
                    continue;
                }
                (void)dispatch_(cqe);  // (CQEs that do not count add to uncounted_)
            }
        }
        done += tail - head - uncounted_;
        uncounted_ = 0;
        // Release: every read of the slots is done before the kernel may fill them again.
        khead.store(tail, std::memory_order_release);
    }
    if (completed_head_ != nullptr) done += run_completed_();
    after_batch_();
    return static_cast<int>(done);
}

int loop::run(run_mode mode) noexcept {
    if (!ring_.is_open()) return -err::ebadf;
    int total = 0;
    for (;;) {
        if (stop_ || exit_requested_) break;
        const bool idle = in_flight_ == 0 && completed_head_ == nullptr;
        if (mode == run_mode::until_done && idle) break;
        const int r = step_(!idle || mode == run_mode::forever, nullptr);
        if (r < 0) return r;
        total += r;
        if (mode == run_mode::once) break;
    }
    stop_ = false;
    return total;
}

int loop::run_for(std::uint64_t ns, bool until_done) noexcept {
    if (!ring_.is_open()) return -err::ebadf;
    const std::uint64_t end = now_ns() + ns;
    int total = 0;
    while (!stop_ && !exit_requested_) {
        if (until_done && in_flight_ == 0 && completed_head_ == nullptr) break;
        const std::uint64_t now = now_ns();
        if (now >= end) break;
        const abi::kernel_timespec ts = detail::to_ts(end - now);
        const int r = step_(true, &ts);
        if (r < 0) return r;
        total += r;
    }
    stop_ = false;
    return total;
}

// ---- cancellation --------------------------------------------------------------------------------

unsigned loop::cancel_pending_(bool (*match)(const task&, int), int arg) noexcept {
    unsigned n = 0;
    task* prev = nullptr;
    for (task* t = pending_head_; t != nullptr;) {
        task* next = t->next_;
        if (match(*t, arg)) {
            if (prev != nullptr) prev->next_ = next;
            else pending_head_ = next;
            if (pending_tail_ == t) pending_tail_ = prev;
            --queued_;
            t->bits_ &= static_cast<std::uint8_t>(~task::bit_spilled);
            complete_locally_(t, -detail::loop_ecanceled);
            ++n;
        } else {
            prev = t;
        }
        t = next;
    }
    bound_direct_();
    return n;
}

task* loop::cancel(task_ref target, const context& c) noexcept {
    task* t = alloc_(loop_op::cancel, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    t->arg_ = nullptr;
    task* x = target.t_;
    // Not one of ours (its fields belong to another thread), another operation now, or
    // outstanding_ 0: its last callback has run, is running, or is queued to run.
    int local = 0;
    if (x == nullptr || x->owner_ != this || x->gen_ != target.gen_ || x->outstanding_ == 0)
        local = -detail::loop_enoent;
    else if (x->cancel_refs_ == 0xff)
        local = -detail::loop_ealready;
    if (local != 0) {
        t->bits_ &= static_cast<std::uint8_t>(~task::bit_deadline);
        t->outstanding_ = 1;
        complete_locally_(t, local);
        return t;
    }
    if ((x->bits_ & task::bit_spilled) != 0) {
        // Never reached the kernel: take it off the queue.
        task* prev = nullptr;
        for (task* p = pending_head_; p != nullptr; prev = p, p = p->next_) {
            if (p != x) continue;
            if (prev != nullptr) prev->next_ = p->next_;
            else pending_head_ = p->next_;
            if (pending_tail_ == p) pending_tail_ = prev;
            --queued_;
            p->bits_ &= static_cast<std::uint8_t>(~task::bit_spilled);
            complete_locally_(p, -detail::loop_ecanceled);
            break;
        }
        bound_direct_();
        t->bits_ &= static_cast<std::uint8_t>(~task::bit_deadline);
        t->outstanding_ = 1;
        complete_locally_(t, 0);
        return t;
    }
    // The target's task stays out of the pool until this cancel's CQE (release_), so the
    // user_data below cannot name a later operation by the time the kernel reads it.
    ++x->cancel_refs_;
    x->slow_ |= task::slow_named;
    t->arg_ = x;
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_cancel64(sqe, ptr_bits(x) | tag_op, 0);
    return commit_(t, sqe, slow);
}

task* loop::cancel_direct_(direct_completion* d, const context& c) noexcept {
    task* t = alloc_(loop_op::cancel, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    t->arg_ = nullptr;  // no task to hold back: the caller keeps `d` alive until this CQE
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_cancel64(sqe, ptr_bits(d) | tag_direct, 0);
    return commit_(t, sqe, slow);
}

task* loop::cancel_all(const context& c) noexcept {
    task* t = alloc_(loop_op::cancel, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    t->arg_ = nullptr;
    (void)cancel_pending_([](const task&, int) { return true; }, 0);
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_cancel64(sqe, 0, static_cast<int>(abi::IORING_ASYNC_CANCEL_ANY | abi::IORING_ASYNC_CANCEL_ALL));
    return commit_(t, sqe, slow);
}

task* loop::cancel_fd(int fd, const context& c) noexcept {
    task* t = alloc_(loop_op::cancel, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    t->arg_ = nullptr;
    (void)cancel_pending_(
        [](const task& x, int f) {
            return x.spill_.fd == f && (x.spill_.flags & abi::IOSQE_FIXED_FILE) == 0 &&
                   x.spill_.opcode != abi::IORING_OP_NOP;
        },
        fd);
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_cancel_fd(sqe, fd, abi::IORING_ASYNC_CANCEL_ALL);
    return commit_(t, sqe, slow);
}

void loop::cancel_everything_() noexcept {
    (void)cancel_pending_([](const task&, int) { return true; }, 0);
    // Nothing in flight and nothing queued (a post not yet submitted would be): nothing for the
    // kernel to cancel, so no enter. Posts already in the kernel end with the ring, as before.
    if (in_flight_ == 0 && ring_.sq_ready() == 0) return;
    if (abi::io_uring_sqe* sqe = internal_sqe_())
        prep_cancel64(sqe, 0, static_cast<int>(abi::IORING_ASYNC_CANCEL_ANY | abi::IORING_ASYNC_CANCEL_ALL));
    (void)ring_.submit();
}

void loop::begin_stop_() noexcept {
    stopping_ = true;
    limit_ = 0;  // no new tasks
    bound_direct_();  // nor direct completions
    cancel_everything_();
}

// ---- other loops -----------------------------------------------------------------------------------

bool loop::send_now_(const loop& target, std::uint64_t user_data, std::int32_t value, bool task) noexcept {
    // Only where nothing could be overtaken: this loop's SQ and pending list are empty (what
    // was queued before goes out first), and no loop_mock is attached (whose handlers must see
    // every message). A target that sleeps is woken now, not at this loop's next enter.
    if (!sync_msg_ || ring_.sq_ready() != 0 || pending_head_ != nullptr || direct_off_) return false;
    if (!target.waiting_.load(std::memory_order_relaxed)) {
        // A busy target. A post's SQE rides on this loop's next wait at no syscall of its own.
        // A task's SQE has a CQE, which would end that wait at once and cost a second enter, so
        // the first task message of a step goes now; the next ones queue behind it, as one
        // enter carrying several costs less than as many syscalls.
        if (!task || sent_now_) return false;
        sent_now_ = true;
    }
    abi::io_uring_sqe sqe{};
    prep_msg_ring(&sqe, target.ring_fd(), static_cast<unsigned>(value), user_data, 0);
    const int ret = register_sync_msg(&sqe);
    if (ret >= 0) return true;
    // -EINVAL: a kernel before 6.13, to which the op is past the last one it knows (the SQE
    // above is well formed): the SQE from now on. Any other error (-EBADF: this target's fd is
    // gone) concerns this message only: its SQE, which reports the error as before.
    if (ret == -err::einval) sync_msg_ = false;
    return false;
}

task* loop::msg_value(loop& target, std::uint64_t data, std::int32_t value, const context& c) noexcept {
    task* t = alloc_(loop_op::msg_value, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    target.msg_sync_.fetch_add(1, std::memory_order_release);  // see loop.hpp
    if (c.deadline_ns == 0 && send_now_(target, (data << 3) | tag_value, value, true)) {
        complete_locally_(t, 0);  // sent: the callback runs at the next step, with the send's 0
        return t;
    }
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    note_message_to_(target);
    prep_msg_ring(sqe, target.ring_fd(), static_cast<unsigned>(value), (data << 3) | tag_value, 0);
    return commit_(t, sqe, slow);
}

/// The SQE of a fire-and-forget post (post_value, post_send): 0, or -ECANCELED / -EBUSY.
int loop::post_sqe_(abi::io_uring_sqe*& sqe) noexcept {
    if (stopping_ || !ring_.is_open()) [[unlikely]] return -detail::loop_ecanceled;
    sqe = ring_.get_sqe();
    if (sqe == nullptr) [[unlikely]] {
        sqe = internal_sqe_();
        if (sqe == nullptr) return -err::ebusy;
    }
    return 0;
}

int loop::post_value(loop& target, std::uint64_t data, std::int32_t value) noexcept {
    if (stopping_ || !ring_.is_open()) [[unlikely]] return -detail::loop_ecanceled;
    target.msg_sync_.fetch_add(1, std::memory_order_release);  // see loop.hpp
    if (send_now_(target, (data << 3) | tag_value, value, false)) return 0;
    abi::io_uring_sqe* sqe;
    if (const int r = post_sqe_(sqe); r < 0) [[unlikely]] return r;
    note_message_to_(target);
    prep_msg_ring(sqe, target.ring_fd(), static_cast<unsigned>(value), (data << 3) | tag_value, 0);
    sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = internal_post;
    return 0;
}

int loop::post_send(int fd, const void* buf, unsigned len, int flags) noexcept {
    constexpr int msg_waitall = 0x100;  // MSG_WAITALL (the same on every Linux architecture)
    abi::io_uring_sqe* sqe;
    if (const int r = post_sqe_(sqe); r < 0) [[unlikely]] return r;
    prep_send(sqe, fd, buf, len, flags | msg_waitall);
    sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = internal_post;
    return 0;
}

task* loop::run_on(loop& target, const context& c) noexcept { return run_on(target, c, nullptr); }

task* loop::run_on(loop& target, const context& c, callback done) noexcept {
    task* t = alloc_(loop_op::run_on, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    t->arg_ = std::bit_cast<const void*>(done);
    // What `done` sees when the task was sent at once: no CQE of its own sets these then (the
    // reply only counts down), and the task's last operation left its own result in them.
    t->res_ = 0;
    t->flags_ = 0;
    ++t->outstanding_;  // the target's reply
    // Release: the task's fields are written before the target can see the message.
    std::atomic_ref<std::uint32_t>(t->handoff_).store(1, std::memory_order_release);
    if (c.deadline_ns == 0) {
        --t->outstanding_;  // sent at once: no send CQE to wait for, only the reply
        if (send_now_(target, ptr_bits(t) | tag_run, 0, true)) return t;
        ++t->outstanding_;
    }
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    note_message_to_(target);
    prep_msg_ring(sqe, target.ring_fd(), 0, ptr_bits(t) | tag_run, 0);
    return commit_(t, sqe, slow);
}

task* loop::send_fd(loop& target, unsigned slot, std::uint64_t data, const context& c) noexcept {
    task* t = alloc_(loop_op::send_fd, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    target.msg_sync_.fetch_add(1, std::memory_order_release);  // see loop.hpp
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    note_message_to_(target);
    prep_msg_ring_fd_alloc(sqe, target.ring_fd(), static_cast<int>(slot), (data << 3) | tag_fd, 0);
    return commit_(t, sqe, slow);
}

void loop::post_control_(loop& to, std::uint64_t kind) noexcept {
    to.msg_sync_.fetch_add(1, std::memory_order_release);
    if (abi::io_uring_sqe* sqe = internal_sqe_()) {
        prep_msg_ring(sqe, to.ring_fd(), 0, ((control_base + kind) << 3) | tag_internal, 0);
        sqe->flags |= abi::IOSQE_CQE_SKIP_SUCCESS;
    }
}

void loop::control_(std::uint64_t kind) noexcept {
    if (kind == ctl_stop) {
        if (!stopping_) begin_stop_();
    } else if (kind == ctl_exit) {
        exit_requested_ = true;
    }
    // ctl_drained only wakes the parent, which reads the count.
}

// ---- registered files ------------------------------------------------------------------------------

int loop::set_file(unsigned slot, int fd) noexcept {
    const int ret = register_files_update(ring_, slot, &fd, 1);
    return ret < 0 ? ret : 0;
}

task* loop::install_fixed(unsigned slot, const context& c) noexcept {
    task* t = alloc_(loop_op::install_fixed, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_fixed_fd_install(sqe, static_cast<int>(slot), 0);
    return commit_(t, sqe, slow);
}

task* loop::close_fixed(unsigned slot, const context& c) noexcept {
    task* t = alloc_(loop_op::close_fixed, c);
    if (t == nullptr) [[unlikely]] return nullptr;
    bool slow;
    abi::io_uring_sqe* sqe = sqe_(t, slow);
    prep_close_direct(sqe, slot);
    return commit_(t, sqe, slow);
}

} // namespace rawring
