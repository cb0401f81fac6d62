// SPDX-License-Identifier: MIT
// direct_io: O_DIRECT writes and reads through rawring::ring, from registered (fixed) buffers
// aligned as the filesystem asks.
//
// Usage:
//   direct_io          in the first of $TMPDIR, /var/tmp, /tmp that supports O_DIRECT
//   direct_io DIR      in DIR
//
// It opens an unnamed file (O_TMPFILE, else a named one removed at once) with O_DIRECT, asks
// the filesystem for its direct-I/O alignment (STATX_DIOALIGN, Linux 6.1, via IORING_OP_STATX;
// 4096 when not reported), registers two aligned buffers, writes 1 MiB in 8 requests in flight
// at once (IORING_OP_WRITE_FIXED), makes it durable (IORING_OP_FSYNC, datasync), reads it back
// the same way into the other buffer (IORING_OP_READ_FIXED) and checks every byte. With
// O_DIRECT the data goes between these buffers and the device without the page cache, which is
// why buffer address, length and file offset must all be aligned.
//
// tmpfs is skipped (exit 77): it has no device, and either refuses O_DIRECT (EINVAL) or, since
// Linux 6.6, accepts it while still going through the page cache, which is not direct I/O.
#include <rawring/prep.hpp>
#include <rawring/register.hpp>
#include <rawring/ring.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace abi = rawring::abi;

constexpr unsigned chunks = 8;
constexpr unsigned chunk_size = 128 * 1024;
constexpr std::size_t total = std::size_t{chunks} * chunk_size;
constexpr long tmpfs_magic = 0x01021994;  // TMPFS_MAGIC of <linux/magic.h>

int fail(const char* what, int err) {
    std::fprintf(stderr, "direct_io: %s: %s\n", what, std::strerror(err < 0 ? -err : err));
    return 1;
}

unsigned char pattern(std::size_t i) {
    return static_cast<unsigned char>((i * 2654435761u >> 13) ^ (i >> 12));
}

/// Opens an O_DIRECT scratch file in `dir`: its fd, or -errno (`why` says what refused it).
int open_direct(const std::string& dir, std::string& why) {
    struct statfs fs{};
    if (::statfs(dir.c_str(), &fs) != 0) {
        why = dir + ": " + std::strerror(errno);
        return -errno;
    }
    if (fs.f_type == tmpfs_magic) {
        why = dir + " is tmpfs, which has no direct I/O";
        return -EINVAL;
    }
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {  // no O_TMPFILE on this filesystem
        std::string path = dir + "/direct_io.XXXXXX";
        const int tmp = ::mkstemp(path.data());
        if (tmp >= 0) {
            fd = ::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
            const int e = errno;
            ::unlink(path.c_str());
            ::close(tmp);
            errno = e;
        }
    }
    if (fd < 0) {
        why = dir + ": O_DIRECT open: " + std::strerror(errno);
        return -errno;
    }
    return fd;
}

/// Waits for `n` CQEs (at most 30 s each) and checks that each has res `want`.
int reap(rawring::ring& r, unsigned n, int want, const char* what) {
    for (unsigned i = 0; i < n; ++i) {
        abi::io_uring_cqe* cqe = nullptr;
        abi::kernel_timespec limit{30, 0};
        if (int ret = r.wait_cqe_timeout(&cqe, &limit); ret < 0) return fail(what, ret);
        const int res = cqe->res;
        r.cqe_seen(cqe);
        if (res != want) {
            if (res < 0) return fail(what, res);
            std::fprintf(stderr, "direct_io: %s: %d bytes instead of %d\n", what, res, want);
            return 1;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    rawring::ring r;
    if (int ret = r.init(32); ret < 0) {
        std::printf("SKIP: io_uring unavailable (%s)\n", std::strerror(-ret));
        return 77;
    }

    std::vector<std::string> dirs;
    if (argc > 1) {
        dirs.emplace_back(argv[1]);
    } else {
        if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') dirs.emplace_back(t);
        dirs.emplace_back("/var/tmp");
        dirs.emplace_back("/tmp");
    }
    int fd = -1;
    std::string why;
    for (const std::string& d : dirs) {
        std::string w;
        fd = open_direct(d, w);
        if (fd >= 0) break;
        why += (why.empty() ? "" : "; ") + w;
    }
    if (fd < 0) {
        std::printf("SKIP: no directory with O_DIRECT (%s)\n", why.c_str());
        return 77;
    }

    // The filesystem's alignment rules, asked through io_uring.
    struct statx stx{};
    abi::io_uring_sqe* s = r.get_sqe();
    rawring::prep_statx(s, fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx);
    if (int ret = r.submit(); ret != 1) return fail("submit", ret < 0 ? ret : -EIO);
    if (int ret = reap(r, 1, 0, "statx"); ret != 0) return ret;
    unsigned mem_align = 4096, offset_align = 4096;
    if ((stx.stx_mask & STATX_DIOALIGN) != 0 && stx.stx_dio_mem_align != 0) {
        mem_align = stx.stx_dio_mem_align;
        offset_align = stx.stx_dio_offset_align;
    }
    if (mem_align < 4096) mem_align = 4096;  // a page: fine for every device
    if (offset_align == 0 || chunk_size % offset_align != 0)
        return fail("the filesystem's offset alignment does not divide the chunk size", EINVAL);

    // Two aligned buffers, registered once: the kernel pins them, and each request then names
    // a buffer index instead of having its pages looked up and pinned again.
    void* out = std::aligned_alloc(mem_align, total);
    void* in = std::aligned_alloc(mem_align, total);
    if (out == nullptr || in == nullptr) return fail("aligned_alloc", ENOMEM);
    auto* wbuf = static_cast<unsigned char*>(out);
    auto* rbuf = static_cast<unsigned char*>(in);
    for (std::size_t i = 0; i < total; ++i) wbuf[i] = pattern(i);
    std::memset(rbuf, 0, total);
    const iovec iov[2] = {{wbuf, total}, {rbuf, total}};
    if (int ret = rawring::register_buffers(r, iov, 2); ret < 0) return fail("register_buffers", ret);

    // Every chunk's write in flight at once, each at its own offset.
    for (unsigned i = 0; i < chunks; ++i) {
        s = r.get_sqe();
        rawring::prep_write_fixed(s, fd, wbuf + std::size_t{i} * chunk_size, chunk_size,
                                  std::uint64_t{i} * chunk_size, 0);
    }
    if (int ret = r.submit(); ret != static_cast<int>(chunks)) return fail("submit writes", ret < 0 ? ret : -EIO);
    if (int ret = reap(r, chunks, static_cast<int>(chunk_size), "write_fixed"); ret != 0) return ret;

    // O_DIRECT skips the page cache, not the device's cache: fdatasync makes it durable.
    s = r.get_sqe();
    rawring::prep_fsync(s, fd, abi::IORING_FSYNC_DATASYNC);
    if (int ret = r.submit(); ret != 1) return fail("submit fsync", ret < 0 ? ret : -EIO);
    if (int ret = reap(r, 1, 0, "fsync"); ret != 0) return ret;

    for (unsigned i = 0; i < chunks; ++i) {
        s = r.get_sqe();
        rawring::prep_read_fixed(s, fd, rbuf + std::size_t{i} * chunk_size, chunk_size,
                                 std::uint64_t{i} * chunk_size, 1);
    }
    if (int ret = r.submit(); ret != static_cast<int>(chunks)) return fail("submit reads", ret < 0 ? ret : -EIO);
    if (int ret = reap(r, chunks, static_cast<int>(chunk_size), "read_fixed"); ret != 0) return ret;

    for (std::size_t i = 0; i < total; ++i)
        if (rbuf[i] != pattern(i)) {
            std::fprintf(stderr, "direct_io: byte %zu read back as %u, written as %u\n", i, rbuf[i], pattern(i));
            return 1;
        }
    struct stat st{};
    if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) != total)
        return fail("file size", EIO);

    if (int ret = rawring::unregister_buffers(r); ret < 0) return fail("unregister_buffers", ret);
    ::close(fd);
    std::free(out);
    std::free(in);
    std::printf("direct_io: %zu bytes written and read back with O_DIRECT, %u requests of %u bytes "
                "each way from registered buffers, every byte checked\n",
                total, chunks, chunk_size);
    return 0;
}
