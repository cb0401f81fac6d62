// SPDX-License-Identifier: MIT
// rawring-probe: reports what this kernel's io_uring offers (features, setup flags, opcodes).
//
// Not part of the library: it uses libc and the C++ standard library freely.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include <sys/utsname.h>
#include <unistd.h>

#include "rawring/abi.hpp"
#include "rawring/opcodes.hpp"
#include "rawring/probe.hpp"
#include "rawring/ring.hpp"
#include "rawring/sys.hpp"

namespace {

namespace abi = rawring::abi;

/// A named bit of io_uring_params.features or io_uring_params.flags.
struct named_bit {
    std::uint32_t bit;
    const char* name;
};

/// Every IORING_FEAT_* (18), in bit order.
constexpr named_bit feature_bits[] = {
    {abi::IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP"},
    {abi::IORING_FEAT_NODROP, "NODROP"},
    {abi::IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE"},
    {abi::IORING_FEAT_RW_CUR_POS, "RW_CUR_POS"},
    {abi::IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY"},
    {abi::IORING_FEAT_FAST_POLL, "FAST_POLL"},
    {abi::IORING_FEAT_POLL_32BITS, "POLL_32BITS"},
    {abi::IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED"},
    {abi::IORING_FEAT_EXT_ARG, "EXT_ARG"},
    {abi::IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS"},
    {abi::IORING_FEAT_RSRC_TAGS, "RSRC_TAGS"},
    {abi::IORING_FEAT_CQE_SKIP, "CQE_SKIP"},
    {abi::IORING_FEAT_LINKED_FILE, "LINKED_FILE"},
    {abi::IORING_FEAT_REG_REG_RING, "REG_REG_RING"},
    {abi::IORING_FEAT_RECVSEND_BUNDLE, "RECVSEND_BUNDLE"},
    {abi::IORING_FEAT_MIN_TIMEOUT, "MIN_TIMEOUT"},
    {abi::IORING_FEAT_RW_ATTR, "RW_ATTR"},
    {abi::IORING_FEAT_NO_IOWAIT, "NO_IOWAIT"},
};
static_assert(std::size(feature_bits) == 18);

/// Every IORING_SETUP_* (21), in bit order.
constexpr named_bit setup_bits[] = {
    {abi::IORING_SETUP_IOPOLL, "IOPOLL"},
    {abi::IORING_SETUP_SQPOLL, "SQPOLL"},
    {abi::IORING_SETUP_SQ_AFF, "SQ_AFF"},
    {abi::IORING_SETUP_CQSIZE, "CQSIZE"},
    {abi::IORING_SETUP_CLAMP, "CLAMP"},
    {abi::IORING_SETUP_ATTACH_WQ, "ATTACH_WQ"},
    {abi::IORING_SETUP_R_DISABLED, "R_DISABLED"},
    {abi::IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL"},
    {abi::IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
    {abi::IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG"},
    {abi::IORING_SETUP_SQE128, "SQE128"},
    {abi::IORING_SETUP_CQE32, "CQE32"},
    {abi::IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER"},
    {abi::IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"},
    {abi::IORING_SETUP_NO_MMAP, "NO_MMAP"},
    {abi::IORING_SETUP_REGISTERED_FD_ONLY, "REGISTERED_FD_ONLY"},
    {abi::IORING_SETUP_NO_SQARRAY, "NO_SQARRAY"},
    {abi::IORING_SETUP_HYBRID_IOPOLL, "HYBRID_IOPOLL"},
    {abi::IORING_SETUP_CQE_MIXED, "CQE_MIXED"},
    {abi::IORING_SETUP_SQE_MIXED, "SQE_MIXED"},
    {abi::IORING_SETUP_SQ_REWIND, "SQ_REWIND"},
};
static_assert(std::size(setup_bits) == 21);

/// The errno's symbolic name ("EPERM"), or nullptr if it is not one io_uring setup, register
/// or enter is known to return.
const char* errno_name(int e) {
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case ETIME: return "ETIME";
    case EOVERFLOW: return "EOVERFLOW";
    case EBADFD: return "EBADFD";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ECANCELED: return "ECANCELED";
    default: return nullptr;
    }
}

/// "-EPERM" for a -errno value (or "-123" for an errno this tool does not name).
std::string errno_str(int neg) {
    const char* name = errno_name(-neg);
    return name != nullptr ? std::string("-") + name : std::to_string(neg);
}

/// "-EPERM (Operation not permitted)".
std::string errno_long(int neg) {
    return errno_str(neg) + " (" + std::strerror(-neg) + ")";
}

/// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

const char* yes_no(bool b) { return b ? "yes" : "no"; }
const char* json_bool(bool b) { return b ? "true" : "false"; }

/// The kernel release from uname(2), or "unknown".
std::string kernel_release() {
    utsname u{};
    if (::uname(&u) != 0) return "unknown";
    return u.release;
}

/// The outcome of setting up a ring with one IORING_SETUP_* flag.
struct setup_result {
    const char* name;
    int error;              ///< 0 if the kernel accepted the flag, else -errno
    const char* companions; ///< what was added so the flag is valid on its own ("" if nothing)
};

/// Sets up (and tears down at once) a 4-entry ring with `flag` and whatever the flag needs to be
/// valid on its own, straight through io_uring_setup so that layouts ring::init refuses
/// (NO_MMAP, REGISTERED_FD_ONLY, SQE_MIXED, CQE_MIXED, SQ_REWIND) get the kernel's own verdict.
/// `wq_fd` is a live ring for ATTACH_WQ. Returns 0 or the kernel's -errno.
int try_setup(std::uint32_t flag, int wq_fd, const char** companions) {
    constexpr unsigned entries = 4;
    abi::io_uring_params p{};
    p.flags = flag;
    *companions = "";

    if (flag == abi::IORING_SETUP_SQ_AFF) {
        p.flags |= abi::IORING_SETUP_SQPOLL;
        p.sq_thread_cpu = 0;
        *companions = "SQPOLL, sq_thread_cpu 0";
    } else if (flag == abi::IORING_SETUP_CQSIZE) {
        p.cq_entries = 2 * entries;
        *companions = "cq_entries 8";
    } else if (flag == abi::IORING_SETUP_ATTACH_WQ) {
        p.wq_fd = static_cast<std::uint32_t>(wq_fd);
        *companions = "wq_fd of another ring";
    } else if (flag == abi::IORING_SETUP_TASKRUN_FLAG) {
        p.flags |= abi::IORING_SETUP_COOP_TASKRUN;
        *companions = "COOP_TASKRUN";
    } else if (flag == abi::IORING_SETUP_DEFER_TASKRUN) {
        p.flags |= abi::IORING_SETUP_SINGLE_ISSUER;
        *companions = "SINGLE_ISSUER";
    } else if (flag == abi::IORING_SETUP_REGISTERED_FD_ONLY) {
        p.flags |= abi::IORING_SETUP_NO_MMAP;
        *companions = "NO_MMAP, user memory";
    } else if (flag == abi::IORING_SETUP_NO_MMAP) {
        *companions = "user memory";
    } else if (flag == abi::IORING_SETUP_HYBRID_IOPOLL) {
        p.flags |= abi::IORING_SETUP_IOPOLL;
        *companions = "IOPOLL";
    } else if (flag == abi::IORING_SETUP_SQ_REWIND) {
        p.flags |= abi::IORING_SETUP_NO_SQARRAY;
        *companions = "NO_SQARRAY";
    }

    // NO_MMAP: the application supplies the memory. sq_off.user_addr holds the SQE array and
    // cq_off.user_addr the rings (SQ and CQ heads, tails and CQEs, plus the SQ index array);
    // both must be page-aligned. For 4 SQEs (256 B) and 8 CQEs (64 B of ring header plus
    // 128 B of CQEs and 16 B of index array) one page each is enough on any page size, which
    // also keeps 6.5-6.12 kernels happy: there a region of more than one page had to be one
    // physically contiguous (huge) page, or setup failed with -EINVAL.
    void* sqes_mem = nullptr;
    void* rings_mem = nullptr;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if ((p.flags & abi::IORING_SETUP_NO_MMAP) != 0) {
        int err = 0;
        sqes_mem = rawring::sys::mmap_anon(page, &err);
        if (sqes_mem == nullptr) return err;
        rings_mem = rawring::sys::mmap_anon(page, &err);
        if (rings_mem == nullptr) {
            (void)rawring::sys::munmap(sqes_mem, page);
            return err;
        }
        p.sq_off.user_addr = reinterpret_cast<std::uintptr_t>(sqes_mem);
        p.cq_off.user_addr = reinterpret_cast<std::uintptr_t>(rings_mem);
    }

    const int ret = rawring::sys::setup(entries, &p);
    if (ret >= 0) {
        if ((p.flags & abi::IORING_SETUP_REGISTERED_FD_ONLY) != 0) {
            // There is no fd: `ret` is an index into this task's registered-ring table (what
            // IORING_REGISTER_RING_FDS hands out). Closing it as an fd would close someone
            // else's file; unregistering it is what frees the ring.
            abi::io_uring_rsrc_update up{};
            up.offset = static_cast<std::uint32_t>(ret);
            (void)rawring::sys::register_(
                ret, abi::IORING_UNREGISTER_RING_FDS | abi::IORING_REGISTER_USE_REGISTERED_RING,
                &up, 1);
        } else {
            (void)rawring::sys::close(ret);
        }
    }
    // The kernel holds its own references to the pinned pages; unmapping ours is safe even
    // while the ring's teardown is still in flight.
    if (sqes_mem != nullptr) (void)rawring::sys::munmap(sqes_mem, page);
    if (rings_mem != nullptr) (void)rawring::sys::munmap(rings_mem, page);
    return ret < 0 ? ret : 0;
}

void usage(std::FILE* out, const char* argv0) {
    std::fprintf(out,
                 "usage: %s [--json] [--help]\n"
                 "Reports what this kernel's io_uring supports: IORING_FEAT_* features,\n"
                 "IORING_SETUP_* flags the kernel accepts, and the opcodes it probes as supported.\n"
                 "\n"
                 "  --json   print one JSON object instead of text\n"
                 "  --help   print this help\n"
                 "\n"
                 "Exit status: 0 on success, 1 if io_uring is unavailable, 2 on bad usage.\n",
                 argv0);
}

} // namespace

int main(int argc, char** argv) {
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--json") {
            json = true;
        } else if (arg == "--help" || arg == "-h") {
            usage(stdout, argv[0]);
            return 0;
        } else {
            std::fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return 2;
        }
    }

    const std::string kernel = kernel_release();

    rawring::ring r;
    if (const int rc = r.init(4); rc < 0) {
        if (json) {
            std::printf("{\"kernel\": %s, \"available\": false, \"error\": %d, \"error_name\": %s}\n",
                        json_string(kernel).c_str(), rc, json_string(errno_str(rc)).c_str());
        } else {
            std::printf("kernel: %s\n", kernel.c_str());
            std::printf("io_uring unavailable: %s\n", errno_long(rc).c_str());
        }
        return 1;
    }

    const std::uint32_t features = r.features();

    setup_result setups[std::size(setup_bits)];
    for (std::size_t i = 0; i < std::size(setup_bits); ++i) {
        setups[i].name = setup_bits[i].name;
        setups[i].error = try_setup(setup_bits[i].bit, r.fd(), &setups[i].companions);
    }

    const rawring::probe pr = rawring::get_probe(r);

    if (json) {
        std::string out = "{";
        out += "\"kernel\": " + json_string(kernel);
        out += ", \"available\": true";
        out += ", \"ring_flags\": " + std::to_string(r.flags());
        out += ", \"features\": {";
        for (std::size_t i = 0; i < std::size(feature_bits); ++i) {
            if (i != 0) out += ", ";
            out += json_string(feature_bits[i].name) + ": " +
                   json_bool((features & feature_bits[i].bit) != 0);
        }
        out += "}, \"setup_flags\": {";
        for (std::size_t i = 0; i < std::size(setups); ++i) {
            if (i != 0) out += ", ";
            out += json_string(setups[i].name) + ": {\"accepted\": " +
                   json_bool(setups[i].error == 0) +
                   ", \"error\": " + std::to_string(setups[i].error) + "}";
        }
        out += "}, \"probe_status\": " + std::to_string(pr.status());
        out += ", \"last_op\": " + (pr.status() == 0 ? std::to_string(pr.last_op()) : "null");
        out += ", \"opcodes\": [";
        bool first = true;
        for (const auto& op : rawring::opcodes) {
            if (!first) out += ", ";
            first = false;
            const auto n = static_cast<unsigned>(op.op);
            out += "{\"op\": " + std::to_string(n) + ", \"name\": " + json_string(op.name) +
                   ", \"since\": \"" + std::to_string(op.since_major) + "." +
                   std::to_string(op.since_minor) + "\", \"supported\": " +
                   json_bool(pr.supported(n)) + "}";
        }
        out += "]}\n";
        std::fputs(out.c_str(), stdout);
        return 0;
    }

    std::printf("kernel: %s\n", kernel.c_str());
    std::printf("io_uring: available (4-entry ring set up with flags 0x%x)\n", r.flags());

    std::printf("\nfeatures (IORING_FEAT_*, %zu):\n", std::size(feature_bits));
    for (const auto& f : feature_bits)
        std::printf("  %-20s %s\n", f.name, yes_no((features & f.bit) != 0));

    std::printf("\nsetup flags accepted (IORING_SETUP_*, %zu):\n", std::size(setups));
    for (const auto& s : setups) {
        std::string verdict = s.error == 0 ? "yes" : "no (" + errno_str(s.error) + ")";
        if (s.companions[0] != '\0') {
            verdict.resize(std::max<std::size_t>(verdict.size(), 16), ' ');
            verdict += std::string(" with ") + s.companions;
        }
        std::printf("  %-20s %s\n", s.name, verdict.c_str());
    }

    if (pr.status() == 0)
        std::printf("\nopcodes (IORING_OP_*, %zu; kernel's last_op %u):\n", std::size(rawring::opcodes),
                    pr.last_op());
    else
        std::printf("\nopcodes (IORING_OP_*, %zu; probe failed: %s, all shown unsupported):\n",
                    std::size(rawring::opcodes), errno_long(pr.status()).c_str());
    for (const auto& op : rawring::opcodes) {
        const auto n = static_cast<unsigned>(op.op);
        const std::string since = std::to_string(op.since_major) + "." + std::to_string(op.since_minor);
        std::printf("  %3u  %-20s since %-6s %s\n", n, op.name, since.c_str(),
                    yes_no(pr.supported(n)));
    }
    return 0;
}
