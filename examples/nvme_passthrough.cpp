// SPDX-License-Identifier: MIT
// nvme_passthrough: NVMe read, write and flush commands sent straight to the driver with
// IORING_OP_URING_CMD on an NVMe generic character device (/dev/ngXnY), on an SQE128|CQE32 ring.
//
// Usage:
//   nvme_passthrough                      self-check, then a read and a flush on the first
//                                         /dev/ngXnY found (exit 77, SKIP, when there is none)
//   nvme_passthrough --self-check         only the self-check (no device needed)
//   nvme_passthrough DEV                  read LBAs 0..7 of DEV and flush it
//   nvme_passthrough DEV --write LBA      DESTROYS the data of that block: writes a pattern to
//                                         LBA, flushes, reads it back and compares
//
// An NVMe passthrough command is a `struct nvme_uring_cmd` (72 bytes, <linux/nvme_ioctl.h>)
// written into the SQE's command area, which starts at byte 48: it needs the 80 bytes of a
// 128-byte SQE, hence IORING_SETUP_SQE128. cmd_op is NVME_URING_CMD_IO (_IOWR('N', 0x80,
// struct nvme_uring_cmd)). The driver completes it with the NVMe status in res (0: success,
// > 0: an NVMe status code, < 0: -errno) and the command's 64-bit result in the big CQE's first
// extra word, hence IORING_SETUP_CQE32. The driver refuses a ring without both (-EOPNOTSUPP).
//
// The builder (prep_nvme_read/write/flush) is checked without a device: the self-check builds
// each command and compares the whole 128-byte SQE with bytes laid out independently, offset
// by offset, then sends one to a file with no driver behind it and expects -EOPNOTSUPP.
#include <rawring/prep.hpp>
#include <rawring/probe.hpp>
#include <rawring/ring.hpp>

#include <fcntl.h>
#include <glob.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#if __has_include(<linux/nvme_ioctl.h>)
#include <linux/nvme_ioctl.h>
#define HAVE_NVME_IOCTL_H 1
#endif

namespace {

namespace abi = rawring::abi;

// ---- the builder -------------------------------------------------------------------------------

/// struct nvme_uring_cmd, as the kernel's uapi lays it out (nvme_passthru_cmd64 without result).
struct nvme_uring_cmd {
    std::uint8_t opcode;
    std::uint8_t flags;
    std::uint16_t rsvd1;
    std::uint32_t nsid;
    std::uint32_t cdw2;
    std::uint32_t cdw3;
    std::uint64_t metadata;
    std::uint64_t addr;
    std::uint32_t metadata_len;
    std::uint32_t data_len;
    std::uint32_t cdw10;
    std::uint32_t cdw11;
    std::uint32_t cdw12;
    std::uint32_t cdw13;
    std::uint32_t cdw14;
    std::uint32_t cdw15;
    std::uint32_t timeout_ms;
    std::uint32_t rsvd2;
};
static_assert(sizeof(nvme_uring_cmd) == 72);
static_assert(offsetof(nvme_uring_cmd, nsid) == 4 && offsetof(nvme_uring_cmd, metadata) == 16 &&
              offsetof(nvme_uring_cmd, addr) == 24 && offsetof(nvme_uring_cmd, data_len) == 36 &&
              offsetof(nvme_uring_cmd, cdw10) == 40 && offsetof(nvme_uring_cmd, timeout_ms) == 64);
// The command area of a 128-byte SQE: from byte 48 to the end.
static_assert(offsetof(abi::io_uring_sqe, addr3) == 48 && 48 + sizeof(nvme_uring_cmd) <= 128);

/// _IOWR(type, nr, size) of asm-generic/ioctl.h: direction read|write (3) in bits 30..31, the
/// argument's size in 16..29, type in 8..15, number in 0..7.
constexpr std::uint32_t ioc_wr(char type, unsigned nr, std::size_t size) {
    return (3u << 30) | (static_cast<std::uint32_t>(size) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(type)) << 8) | nr;
}
constexpr std::uint32_t nvme_uring_cmd_io = ioc_wr('N', 0x80, sizeof(nvme_uring_cmd));
static_assert(nvme_uring_cmd_io == 0xC0484E80u);

#ifdef HAVE_NVME_IOCTL_H
// Where the system has the uapi header, the two must agree.
static_assert(sizeof(::nvme_uring_cmd) == sizeof(nvme_uring_cmd));
static_assert(offsetof(::nvme_uring_cmd, addr) == offsetof(nvme_uring_cmd, addr) &&
              offsetof(::nvme_uring_cmd, data_len) == offsetof(nvme_uring_cmd, data_len) &&
              offsetof(::nvme_uring_cmd, cdw10) == offsetof(nvme_uring_cmd, cdw10) &&
              offsetof(::nvme_uring_cmd, timeout_ms) == offsetof(nvme_uring_cmd, timeout_ms));
static_assert(NVME_URING_CMD_IO == nvme_uring_cmd_io);
#endif

/// NVMe I/O command set opcodes (NVM Command Set specification).
enum nvme_opcode : std::uint8_t { nvme_cmd_flush = 0x00, nvme_cmd_write = 0x01, nvme_cmd_read = 0x02 };

/// What every command of one namespace shares.
struct nvme_ns {
    int fd = -1;                 ///< the /dev/ngXnY fd (or its registered index with fixed)
    bool fixed = false;          ///< fd is a registered-file index (IOSQE_FIXED_FILE)
    std::uint32_t nsid = 0;      ///< the namespace id (ioctl NVME_IOCTL_ID)
    std::uint32_t lba_shift = 9; ///< log2 of the logical block size
};

/// The common part: URING_CMD with cmd_op NVME_URING_CMD_IO on the namespace, and the command
/// written into the 80-byte area of a 128-byte SQE (the rest of which get_sqe zeroed).
inline void prep_nvme_cmd(abi::io_uring_sqe* sqe, const nvme_ns& ns, const nvme_uring_cmd& cmd) {
    rawring::prep_uring_cmd(sqe, static_cast<int>(nvme_uring_cmd_io), ns.fd);
    if (ns.fixed) sqe->flags |= abi::IOSQE_FIXED_FILE;
    std::memcpy(sqe->cmd(), &cmd, sizeof cmd);
}

/// Read (`write` false) or write `nlb` logical blocks from `slba` into / out of `buf`, which
/// holds nlb << lba_shift bytes. cdw10/11: the starting LBA; cdw12 bits 0..15: blocks - 1.
inline void prep_nvme_rw(abi::io_uring_sqe* sqe, const nvme_ns& ns, bool write, void* buf,
                         std::uint64_t slba, std::uint32_t nlb) {
    nvme_uring_cmd c{};
    c.opcode = write ? nvme_cmd_write : nvme_cmd_read;
    c.nsid = ns.nsid;
    c.addr = reinterpret_cast<std::uintptr_t>(buf);
    c.data_len = nlb << ns.lba_shift;
    c.cdw10 = static_cast<std::uint32_t>(slba);
    c.cdw11 = static_cast<std::uint32_t>(slba >> 32);
    c.cdw12 = (nlb - 1) & 0xffffu;
    prep_nvme_cmd(sqe, ns, c);
}
inline void prep_nvme_read(abi::io_uring_sqe* sqe, const nvme_ns& ns, void* buf, std::uint64_t slba,
                           std::uint32_t nlb) {
    prep_nvme_rw(sqe, ns, false, buf, slba, nlb);
}
inline void prep_nvme_write(abi::io_uring_sqe* sqe, const nvme_ns& ns, const void* buf,
                            std::uint64_t slba, std::uint32_t nlb) {
    prep_nvme_rw(sqe, ns, true, const_cast<void*>(buf), slba, nlb);
}
/// Flush: commit the device's volatile write cache for the namespace.
inline void prep_nvme_flush(abi::io_uring_sqe* sqe, const nvme_ns& ns) {
    nvme_uring_cmd c{};
    c.opcode = nvme_cmd_flush;
    c.nsid = ns.nsid;
    prep_nvme_cmd(sqe, ns, c);
}

// ---- the self-check ------------------------------------------------------------------------------

/// Writes `v` little-endian into `n` bytes at `p + off`.
void put(unsigned char* p, std::size_t off, std::uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i) p[off + i] = static_cast<unsigned char>(v >> (8 * i));
}

/// The 128 bytes a command must produce, laid out by absolute offset rather than through the
/// structs: SQE opcode at 0, flags 1, fd 4, cmd_op 8, user_data 32; the NVMe command from 48:
/// opcode +0, nsid +4, addr +24, data_len +36, cdw10..12 +40..+48.
void expected(unsigned char (&e)[128], std::uint8_t flags, int fd, std::uint64_t user_data,
              std::uint8_t nvme_op, std::uint32_t nsid, std::uint64_t addr, std::uint32_t len,
              std::uint64_t slba, std::uint32_t nlb) {
    std::memset(e, 0, sizeof e);
    put(e, 0, abi::IORING_OP_URING_CMD, 1);
    put(e, 1, flags, 1);
    put(e, 4, static_cast<std::uint32_t>(fd), 4);
    put(e, 8, 0xC0484E80u, 4);
    put(e, 32, user_data, 8);
    put(e, 48 + 0, nvme_op, 1);
    put(e, 48 + 4, nsid, 4);
    if (nvme_op != nvme_cmd_flush) {
        put(e, 48 + 24, addr, 8);
        put(e, 48 + 36, len, 4);
        put(e, 48 + 40, slba & 0xffffffffu, 4);
        put(e, 48 + 44, slba >> 32, 4);
        put(e, 48 + 48, nlb - 1, 4);
    }
}

/// Returns the first differing byte, or -1.
int first_difference(const void* a, const unsigned char (&b)[128]) {
    const auto* p = static_cast<const unsigned char*>(a);
    for (int i = 0; i < 128; ++i)
        if (p[i] != b[i]) return i;
    return -1;
}

int self_check() {
    rawring::ring r;
    int ret = r.init(8, abi::IORING_SETUP_SQE128 | abi::IORING_SETUP_CQE32);
    if (ret < 0) {
        std::printf("SKIP: no SQE128|CQE32 io_uring here (%s)\n", std::strerror(-ret));
        return 77;
    }
    if (!rawring::get_probe(r).supported(abi::IORING_OP_URING_CMD)) {
        std::printf("SKIP: this kernel has no IORING_OP_URING_CMD (Linux 5.19)\n");
        return 77;
    }

    // 1. The bytes: each command built into a real 128-byte SQE of the ring and compared whole;
    // then the SQE is made a NOP (an SQE handed out cannot be taken back), so it does no harm.
    alignas(64) static unsigned char buf[8 * 4096];
    const nvme_ns ns{5, true, 0x11223344u, 12};  // fixed file 5, 4 KiB blocks
    const std::uint64_t slba = 0x0000001234567890ull;
    unsigned char want[128];
    struct check {
        const char* name;
        std::uint8_t op;
        std::uint32_t nlb;
    } checks[] = {{"read", nvme_cmd_read, 8}, {"write", nvme_cmd_write, 3}, {"flush", nvme_cmd_flush, 0}};
    for (const check& c : checks) {
        abi::io_uring_sqe* sqe = rawring::get_sqe128(r);
        if (sqe == nullptr) {
            std::fprintf(stderr, "nvme_passthrough: get_sqe128 gave nothing on an SQE128 ring\n");
            return 1;
        }
        if (c.op == nvme_cmd_read) prep_nvme_read(sqe, ns, buf, slba, c.nlb);
        else if (c.op == nvme_cmd_write) prep_nvme_write(sqe, ns, buf, slba, c.nlb);
        else prep_nvme_flush(sqe, ns);
        sqe->user_data = 0xfeedface00000000ull | c.op;
        expected(want, abi::IOSQE_FIXED_FILE, 5, 0xfeedface00000000ull | c.op, c.op, ns.nsid,
                 reinterpret_cast<std::uintptr_t>(buf), c.nlb << 12, slba, c.nlb);
        if (const int at = first_difference(sqe, want); at >= 0) {
            std::fprintf(stderr, "nvme_passthrough: %s SQE: byte %d is 0x%02x, expected 0x%02x\n", c.name, at,
                         reinterpret_cast<const unsigned char*>(sqe)[at], want[at]);
            return 1;
        }
        // Not for the kernel (fixed file 5 does not exist): turn it into a NOP, still 128 bytes.
        std::memset(static_cast<void*>(sqe), 0, 128);
        rawring::prep_nop(sqe);
        sqe->user_data = 1;
    }

    // 2. A real URING_CMD, built the same way, to a file whose driver has no uring_cmd: the
    // kernel must refuse it with -EOPNOTSUPP, and the CQE comes back 32 bytes wide.
    const int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::fprintf(stderr, "nvme_passthrough: open: %s\n", std::strerror(errno));
        return 1;
    }
    abi::io_uring_sqe* sqe = rawring::get_sqe128(r);
    prep_nvme_read(sqe, nvme_ns{fd, false, 1, 9}, buf, 0, 1);
    sqe->user_data = 2;
    if (ret = r.submit(); ret != 4) {
        std::fprintf(stderr, "nvme_passthrough: submit: %d\n", ret);
        return 1;
    }
    int uring_cmd_res = 1;
    std::uint64_t extra = ~0ull;
    for (int seen = 0; seen < 4;) {
        abi::io_uring_cqe32 cqes[4];
        ret = r.copy_cqes(std::span<abi::io_uring_cqe32>(cqes), 1);
        if (ret < 0) {
            std::fprintf(stderr, "nvme_passthrough: copy_cqes: %s\n", std::strerror(-ret));
            return 1;
        }
        for (int i = 0; i < ret; ++i)
            if (cqes[i].user_data == 2) {
                uring_cmd_res = cqes[i].res;
                extra = cqes[i].big_cqe[0];
            } else if (cqes[i].res != 0) {
                std::fprintf(stderr, "nvme_passthrough: NOP: %d\n", cqes[i].res);
                return 1;
            }
        seen += ret;
    }
    ::close(fd);
    if (uring_cmd_res != -EOPNOTSUPP || extra != 0) {
        std::fprintf(stderr, "nvme_passthrough: URING_CMD on a regular file: res %d (%s), big_cqe[0] %llu\n",
                     uring_cmd_res, std::strerror(-uring_cmd_res), static_cast<unsigned long long>(extra));
        return 1;
    }
    std::printf("nvme_passthrough: self-check: read, write and flush SQEs match the expected 128 bytes; "
                "URING_CMD to a file without a driver: -EOPNOTSUPP in a 32-byte CQE\n");
    return 0;
}

// ---- on a device ---------------------------------------------------------------------------------

/// The logical block size of /dev/ngXnY from sysfs (/sys/block/nvmeXnY/queue/logical_block_size).
int lba_shift_of(const std::string& dev) {
    const std::size_t slash = dev.rfind('/');
    std::string name = dev.substr(slash == std::string::npos ? 0 : slash + 1);
    if (name.rfind("ng", 0) != 0) return -EINVAL;
    name = "nvme" + name.substr(2);
    const std::string path = "/sys/block/" + name + "/queue/logical_block_size";
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return -errno;
    unsigned size = 0;
    const int n = std::fscanf(f, "%u", &size);
    std::fclose(f);
    if (n != 1 || size < 512 || (size & (size - 1)) != 0) return -EINVAL;
    int shift = 0;
    while ((1u << shift) < size) ++shift;
    return shift;
}

/// Submits one command and waits (30 s at most) for its big CQE.
int run_one(rawring::ring& r, abi::io_uring_cqe32& out) {
    if (int ret = r.submit(); ret != 1) return ret < 0 ? ret : -EIO;
    for (;;) {
        const int n = r.copy_cqes(std::span<abi::io_uring_cqe32>(&out, 1), 1);
        if (n < 0) return n;
        if (n == 1) return 0;
    }
}

int on_device(const std::string& dev, bool write, std::uint64_t write_lba) {
    const int fd = ::open(dev.c_str(), (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        std::fprintf(stderr, "nvme_passthrough: open %s: %s\n", dev.c_str(), std::strerror(errno));
        return 1;
    }
    nvme_ns ns;
    ns.fd = fd;
    const int nsid = ::ioctl(fd, _IO('N', 0x40));  // NVME_IOCTL_ID
    const int shift = lba_shift_of(dev);
    if (nsid <= 0 || shift < 0) {
        std::fprintf(stderr, "nvme_passthrough: %s: namespace id %d, block size %s\n", dev.c_str(), nsid,
                     shift < 0 ? std::strerror(-shift) : "ok");
        return 1;
    }
    ns.nsid = static_cast<std::uint32_t>(nsid);
    ns.lba_shift = static_cast<std::uint32_t>(shift);

    rawring::ring r;
    if (int ret = r.init(8, abi::IORING_SETUP_SQE128 | abi::IORING_SETUP_CQE32); ret < 0) {
        std::fprintf(stderr, "nvme_passthrough: ring: %s\n", std::strerror(-ret));
        return 1;
    }
    constexpr std::uint32_t nlb = 8;
    const std::size_t bytes = std::size_t{nlb} << ns.lba_shift;
    auto* data = static_cast<unsigned char*>(std::aligned_alloc(4096, bytes));
    auto* back = static_cast<unsigned char*>(std::aligned_alloc(4096, bytes));
    if (data == nullptr || back == nullptr) return 1;
    abi::io_uring_cqe32 cqe{};
    auto check = [&](const char* what) {
        if (cqe.res == 0) return true;
        if (cqe.res < 0) std::fprintf(stderr, "nvme_passthrough: %s: %s\n", what, std::strerror(-cqe.res));
        else std::fprintf(stderr, "nvme_passthrough: %s: NVMe status 0x%x\n", what, static_cast<unsigned>(cqe.res));
        return false;
    };

    if (write) {
        for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<unsigned char>(i * 7 + write_lba);
        prep_nvme_write(rawring::get_sqe128(r), ns, data, write_lba, 1);
        if (run_one(r, cqe) != 0 || !check("write")) return 1;
    }
    prep_nvme_flush(rawring::get_sqe128(r), ns);
    if (run_one(r, cqe) != 0 || !check("flush")) return 1;
    const std::uint64_t lba = write ? write_lba : 0;
    const std::uint32_t count = write ? 1 : nlb;
    prep_nvme_read(rawring::get_sqe128(r), ns, back, lba, count);
    if (run_one(r, cqe) != 0 || !check("read")) return 1;
    if (write && std::memcmp(data, back, std::size_t{1} << ns.lba_shift) != 0) {
        std::fprintf(stderr, "nvme_passthrough: LBA %llu reads back differently\n",
                     static_cast<unsigned long long>(write_lba));
        return 1;
    }
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < (std::size_t{count} << ns.lba_shift); ++i) sum = sum * 31 + back[i];
    std::printf("nvme_passthrough: %s (nsid %u, %u-byte blocks): %s%sread %u blocks from LBA %llu "
                "(checksum %08x)\n",
                dev.c_str(), ns.nsid, 1u << ns.lba_shift, write ? "wrote 1 block, " : "", "flushed, ",
                count, static_cast<unsigned long long>(lba), sum);
    std::free(data);
    std::free(back);
    ::close(fd);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const bool only_check = argc > 1 && std::strcmp(argv[1], "--self-check") == 0;
    if (argc == 1 || only_check) {
        if (int ret = self_check(); ret != 0 || only_check) return ret;
    }

    std::string dev;
    bool write = false;
    std::uint64_t lba = 0;
    if (argc > 1) {
        dev = argv[1];
        if (argc > 3 && std::strcmp(argv[2], "--write") == 0) {
            write = true;
            lba = std::strtoull(argv[3], nullptr, 0);
        } else if (argc > 2) {
            std::fprintf(stderr, "usage: nvme_passthrough [--self-check | DEV [--write LBA]]\n");
            return 2;
        }
    } else {
        glob_t g{};
        if (::glob("/dev/ng[0-9]*n[0-9]*", 0, nullptr, &g) == 0 && g.gl_pathc > 0) dev = g.gl_pathv[0];
        ::globfree(&g);
        if (dev.empty()) {
            std::printf("SKIP: no NVMe generic device (/dev/ngXnY) on this machine; the builder's "
                        "self-check passed\n");
            return 77;
        }
    }
    return on_device(dev, write, lba);
}
