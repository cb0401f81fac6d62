// SPDX-License-Identifier: MIT
// Kernel tests, one per opcode: files, paths, registered files and buffers, provided buffers,
// pipes, xattrs and memory advice, each checked by its effect on the file system or memory.
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>

#include <chrono>
#include <thread>

#include "ops_util.hpp"

using namespace rawring_test;
using namespace rawring_test::ops;
namespace err = rawring::err;

namespace {

constexpr std::uint64_t at_position = ~std::uint64_t{0};  // offset -1: the file position

/// A read through registered-file slot `slot`.
io_uring_cqe fixed_read(rawring::ring& r, int slot, void* buf, unsigned n, std::uint64_t off) {
    return run_one(r, 0xf00 + static_cast<unsigned>(slot), [&](io_uring_sqe* s) {
        rawring::prep_read(s, slot, buf, n, off);
        rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
    });
}

/// An fd for a new file in `dir` holding `contents`.
owned_fd make_file(const temp_dir& dir, const std::string& name, const std::string& contents = {}) {
    owned_fd fd(::open(dir.at(name).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
    REQUIRE(fd >= 0);
    if (!contents.empty())
        REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
    return fd;
}

/// The FIEMAP flags of every extent of `fd`, or-ed; ~0u if the file system has no FIEMAP.
unsigned extent_flags(int fd) {
    alignas(8) char buf[sizeof(fiemap) + 8 * sizeof(fiemap_extent)] = {};
    auto* fm = reinterpret_cast<fiemap*>(buf);
    fm->fm_length = ~0ull;
    fm->fm_extent_count = 8;
    if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0) return ~0u;
    unsigned flags = 0;
    for (unsigned i = 0; i < fm->fm_mapped_extents; ++i) flags |= fm->fm_extents[i].fe_flags;
    return flags;
}

/// Whether `fd` has data written but not yet given blocks (delayed allocation): what ext4
/// shows between a buffered write and its writeback. False once it is on disk.
bool delalloc_pending(int fd) {
    const unsigned f = extent_flags(fd);
    return f != ~0u && (f & FIEMAP_EXTENT_DELALLOC) != 0;
}

/// How many of the `pages` pages mapped at `p` are in the page cache.
int resident_pages(void* p, std::size_t pages) {
    std::vector<unsigned char> v(pages);
    REQUIRE(::mincore(p, pages * 4096, v.data()) == 0);
    int n = 0;
    for (unsigned char b : v) n += b & 1;
    return n;
}

mode_t current_umask() {
    const mode_t m = ::umask(0);
    ::umask(m);
    return m;
}

/// Whether the file system under `path` takes user.* extended attributes; says SKIP if not.
bool user_xattrs_supported(const std::string& path) {
    if (::setxattr(path.c_str(), "user.rawring.probe", "1", 1, 0) == 0) {
        ::removexattr(path.c_str(), "user.rawring.probe");
        return true;
    }
    if (errno == ENOTSUP) {
        RAWRING_SKIP("the file system under " << path << " refuses user.* xattrs (ENOTSUP)");
        return false;
    }
    FAIL("setxattr probe failed: " << std::string(std::strerror(errno)));
    return false;
}

std::string get_xattr(const std::string& path, const char* name) {
    char buf[256];
    const ssize_t n = ::getxattr(path.c_str(), name, buf, sizeof(buf));
    return n < 0 ? std::string("<") + std::strerror(errno) + ">" : std::string(buf, static_cast<std::size_t>(n));
}

/// A page-aligned buffer for registration.
struct reg_buffer {
    void* mem = nullptr;
    std::size_t size;
    explicit reg_buffer(std::size_t n) : size(n) {
        mem = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(mem != MAP_FAILED);
    }
    ~reg_buffer() { ::munmap(mem, size); }
    reg_buffer(const reg_buffer&) = delete;
    reg_buffer& operator=(const reg_buffer&) = delete;
    char* at(std::size_t off) const { return static_cast<char*>(mem) + off; }
    iovec iov() const { return iovec{mem, size}; }
};

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("op: READV") {
    if (!op_supported(abi::IORING_OP_READV)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("0123456789abcdefghij");
        char a[4], b[6];
        iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_readv(s, f.fd, iov, 2, 3); });
        CHECK(cqe.res == 10);
        CHECK(std::string(a, 4) == "3456");
        CHECK(std::string(b, 6) == "789abc");

        // Offset -1 reads at the file position and moves it.
        REQUIRE(::lseek(f.fd, 5, SEEK_SET) == 5);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_readv2(s, f.fd, iov, 2, at_position, 0); });
        CHECK(cqe.res == 10);
        CHECK(std::string(a, 4) == "5678");
        CHECK(std::string(b, 6) == "9abcde");
        CHECK(::lseek(f.fd, 0, SEEK_CUR) == 15);

        // A short read at the end, then nothing.
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_readv2(s, f.fd, iov, 2, 17, 0); });
        CHECK(cqe.res == 3);
        CHECK(std::string(a, 3) == "hij");
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_readv(s, f.fd, iov, 2, 20); });
        CHECK(cqe.res == 0);
    });
}

TEST_CASE("op: WRITEV") {
    if (!op_supported(abi::IORING_OP_WRITEV)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        char p1[] = "hello ";
        char p2[] = "world";
        iovec iov[2] = {{p1, 6}, {p2, 5}};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_writev(s, f.fd, iov, 2, 0); });
        CHECK(cqe.res == 11);
        CHECK(slurp(f.path) == "hello world");

        // RWF_APPEND: written at the end whatever the offset says.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_writev2(s, f.fd, iov, 1, 0, RWF_APPEND); });
        CHECK(cqe.res == 6);
        CHECK(slurp(f.path) == "hello worldhello ");

        // Into the middle at an offset.
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_writev2(s, f.fd, &iov[1], 1, 2, 0); });
        CHECK(cqe.res == 5);
        CHECK(slurp(f.path) == "heworldorldhello ");
    });
}

TEST_CASE("op: FSYNC") {
    if (!op_supported(abi::IORING_OP_FSYNC)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir dir("/var/tmp");  // ext4 here: delayed allocation shows what fsync wrote back
        owned_fd fd = make_file(dir, "synced");
        const std::string block(8192, 'a');

        // A write linked to an fsync: in order, and afterwards the data has its blocks.
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_write(sqe, fd, block.data(), 8192, 0);
        rawring::sqe_set_data64(sqe, 1);
        rawring::sqe_set_flags(sqe, abi::IOSQE_IO_LINK);
        sqe = sqe_of(r);
        rawring::prep_fsync(sqe, fd, 0);
        rawring::sqe_set_data64(sqe, 2);
        submit_n(r, 2);
        io_uring_cqe cqe = reap(r);
        CHECK(cqe.user_data == 1);
        CHECK(cqe.res == 8192);
        cqe = reap(r);
        CHECK(cqe.user_data == 2);
        CHECK(cqe.res == 0);
        CHECK_FALSE(delalloc_pending(fd));
        CHECK(pread_str(fd, 8192, 0) == block);

        // DATASYNC after a plain buffered write that is still delayed.
        REQUIRE(::pwrite(fd, block.data(), 4096, 8192) == 4096);
        const bool was_pending = delalloc_pending(fd);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_fsync(s, fd, abi::IORING_FSYNC_DATASYNC); });
        CHECK(cqe.res == 0);
        if (was_pending) {
            CHECK_FALSE(delalloc_pending(fd));
        } else {
            MESSAGE("/var/tmp shows no delayed allocation; fsync checked by result only");
        }

        // Nothing to sync on a pipe.
        pipe_pair p;
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_fsync(s, p.write_end, 0); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: READ_FIXED") {
    if (!op_supported(abi::IORING_OP_READ_FIXED)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        reg_buffer buf(4096);
        const iovec reg = buf.iov();
        REQUIRE(rawring::register_buffers(r, &reg, 1) == 0);
        temp_file f("registered buffers are pinned");

        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_read_fixed(s, f.fd, buf.at(100), 10, 11, 0);
        });
        CHECK(cqe.res == 10);
        CHECK(std::string(buf.at(100), 10) == "buffers ar");

        // Through a registered file as well.
        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_read_fixed(s, 0, buf.at(0), 10, 0, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 10);
        CHECK(std::string(buf.at(0), 10) == "registered");

        // A range running past the registered buffer, and an index with no buffer.
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_read_fixed(s, f.fd, buf.at(4090), 10, 0, 0); });
        CHECK(cqe.res == -EFAULT);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_read_fixed(s, f.fd, buf.at(0), 10, 0, 1); });
        CHECK(cqe.res == -EFAULT);
    });
}

TEST_CASE("op: WRITE_FIXED") {
    if (!op_supported(abi::IORING_OP_WRITE_FIXED)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        reg_buffer buf(4096);
        const iovec reg = buf.iov();
        REQUIRE(rawring::register_buffers(r, &reg, 1) == 0);
        temp_file f("..........................");
        std::memcpy(buf.at(64), "fixed write", 11);

        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_write_fixed(s, f.fd, buf.at(64), 11, 5, 0);
        });
        CHECK(cqe.res == 11);
        CHECK(slurp(f.path) == ".....fixed write..........");

        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        std::memcpy(buf.at(2000), "slot", 4);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_write_fixed(s, 0, buf.at(2000), 4, 0, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 4);
        CHECK(slurp(f.path) == "slot.fixed write..........");

        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_write_fixed(s, f.fd, buf.at(4000), 200, 0, 0); });
        CHECK(cqe.res == -EFAULT);
        CHECK(slurp(f.path) == "slot.fixed write..........");
    });
}

TEST_CASE("op: SYNC_FILE_RANGE") {
    if (!op_supported(abi::IORING_OP_SYNC_FILE_RANGE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir dir("/var/tmp");
        owned_fd fd = make_file(dir, "ranged");
        const std::string block(16384, 'r');
        REQUIRE(::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size()));
        const bool was_pending = delalloc_pending(fd);

        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_sync_file_range(
                s, fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        });
        CHECK(cqe.res == 0);
        if (was_pending) {
            CHECK_FALSE(delalloc_pending(fd));  // written back: the blocks are allocated
        } else {
            MESSAGE("/var/tmp shows no delayed allocation; sync_file_range checked by result only");
        }
        CHECK(pread_str(fd, block.size(), 0) == block);

        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_sync_file_range(s, fd, 4096, 0, 0x8); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: FALLOCATE") {
    if (!op_supported(abi::IORING_OP_FALLOCATE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        constexpr std::uint64_t mib = 1 << 20;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_fallocate(s, f.fd, 0, 0, mib); });
        CHECK(cqe.res == 0);
        struct stat st {};
        REQUIRE(::fstat(f.fd, &st) == 0);
        CHECK(st.st_size == static_cast<off_t>(mib));
        CHECK(static_cast<std::uint64_t>(st.st_blocks) * 512 >= mib);

        // KEEP_SIZE: blocks past the end, size unchanged.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_fallocate(s, f.fd, FALLOC_FL_KEEP_SIZE, mib, mib);
        });
        CHECK(cqe.res == 0);
        REQUIRE(::fstat(f.fd, &st) == 0);
        CHECK(st.st_size == static_cast<off_t>(mib));
        CHECK(static_cast<std::uint64_t>(st.st_blocks) * 512 >= 2 * mib);

        // PUNCH_HOLE: data gone, blocks freed.
        const std::string data(65536, 'x');
        REQUIRE(::pwrite(f.fd, data.data(), data.size(), 0) == 65536);
        const blkcnt_t before = st.st_blocks;
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_fallocate(s, f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536);
        });
        CHECK(cqe.res == 0);
        REQUIRE(::fstat(f.fd, &st) == 0);
        CHECK(st.st_blocks < before);
        CHECK(pread_str(f.fd, 65536, 0) == std::string(65536, '\0'));

        // A hole must keep the size.
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_fallocate(s, f.fd, FALLOC_FL_PUNCH_HOLE, 0, 4096);
        });
        CHECK(cqe.res == -EOPNOTSUPP);
    });
}

TEST_CASE("op: OPENAT") {
    if (!op_supported(abi::IORING_OP_OPENAT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_openat(s, d.fd, "created", O_CREAT | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
        });
        REQUIRE(cqe.res >= 0);
        owned_fd fd(cqe.res);
        struct stat st {};
        REQUIRE(::fstat(fd, &st) == 0);
        CHECK(S_ISREG(st.st_mode));
        CHECK((st.st_mode & 0777) == 0600);
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        REQUIRE(::write(fd, "via openat", 10) == 10);
        CHECK(slurp(d.at("created")) == "via openat");

        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_openat(s, d.fd, "created", O_CREAT | O_RDWR | O_EXCL, 0600);
        });
        CHECK(cqe.res == -EEXIST);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_openat(s, d.fd, "missing", O_RDONLY, 0); });
        CHECK(cqe.res == -ENOENT);

        // An absolute path, read-only.
        const std::string path = d.at("created");
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_open(s, path.c_str(), O_RDONLY | O_CLOEXEC, 0); });
        REQUIRE(cqe.res >= 0);
        owned_fd ro(cqe.res);
        CHECK(pread_str(ro, 10, 0) == "via openat");
        CHECK(::write(ro, "x", 1) == -1);

        // Into the registered-file table: a slot we name, and one the kernel picks.
        REQUIRE(rawring::register_files_sparse(r, 4) == 0);
        cqe = run_one(r, 5, [&](io_uring_sqe* s) {
            rawring::prep_openat_direct(s, d.fd, "created", O_RDONLY, 0, 1);
        });
        CHECK(cqe.res == 0);
        char buf[16] = {};
        CHECK(fixed_read(r, 1, buf, 10, 0).res == 10);
        CHECK(std::string(buf, 10) == "via openat");
        cqe = run_one(r, 6, [&](io_uring_sqe* s) {
            rawring::prep_open_direct(s, path.c_str(), O_RDONLY, 0, abi::IORING_FILE_INDEX_ALLOC);
        });
        REQUIRE(cqe.res >= 0);
        CHECK(cqe.res != 1);
        CHECK(cqe.res < 4);
        std::memset(buf, 0, sizeof(buf));
        CHECK(fixed_read(r, cqe.res, buf, 3, 4).res == 3);
        CHECK(std::string(buf, 3) == "ope");
    });
}

TEST_CASE("op: CLOSE") {
    if (!op_supported(abi::IORING_OP_CLOSE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("closing");
        const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_close(s, fd); });
        CHECK(cqe.res == 0);
        errno = 0;
        CHECK(::fcntl(fd, F_GETFD) == -1);
        CHECK(errno == EBADF);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_close(s, fd); });
        CHECK(cqe.res == -EBADF);

        // A registered-file slot: emptied, so a read through it fails.
        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        char buf[8];
        CHECK(fixed_read(r, 0, buf, 7, 0).res == 7);
        cqe = run_one(r, 3, [](io_uring_sqe* s) { rawring::prep_close_direct(s, 0); });
        CHECK(cqe.res == 0);
        CHECK(fixed_read(r, 0, buf, 7, 0).res == -EBADF);
        cqe = run_one(r, 4, [](io_uring_sqe* s) { rawring::prep_close_direct(s, 0); });
        CHECK(cqe.res == -EBADF);
        // The file behind the slot is still open through its own fd.
        CHECK(pread_str(f.fd, 7, 0) == "closing");
    });
}

TEST_CASE("op: FILES_UPDATE") {
    if (!op_supported(abi::IORING_OP_FILES_UPDATE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file a("AAAA"), b("BBBB");
        REQUIRE(rawring::register_files_sparse(r, 4) == 0);
        int fds[2] = {a.fd, b.fd};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_files_update(s, fds, 2, 1); });
        CHECK(cqe.res == 2);
        char buf[4];
        CHECK(fixed_read(r, 1, buf, 4, 0).res == 4);
        CHECK(std::string(buf, 4) == "AAAA");
        CHECK(fixed_read(r, 2, buf, 4, 0).res == 4);
        CHECK(std::string(buf, 4) == "BBBB");
        CHECK(fixed_read(r, 0, buf, 4, 0).res == -EBADF);

        // -1 empties a slot.
        int clear[1] = {-1};
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_files_update(s, clear, 1, 1); });
        CHECK(cqe.res == 1);
        CHECK(fixed_read(r, 1, buf, 4, 0).res == -EBADF);

        // IORING_FILE_INDEX_ALLOC: the kernel picks free slots and writes them back.
        int alloc[1] = {b.fd};
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_files_update(s, alloc, 1, static_cast<int>(abi::IORING_FILE_INDEX_ALLOC));
        });
        CHECK(cqe.res == 1);
        CHECK(alloc[0] != b.fd);
        CHECK(alloc[0] != 2);
        REQUIRE(alloc[0] >= 0);
        REQUIRE(alloc[0] < 4);
        CHECK(fixed_read(r, alloc[0], buf, 4, 0).res == 4);
        CHECK(std::string(buf, 4) == "BBBB");

        // Past the table.
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_files_update(s, fds, 2, 3); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: STATX") {
    if (!op_supported(abi::IORING_OP_STATX)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("12345");
        struct stat st {};
        REQUIRE(::fstat(f.fd, &st) == 0);
        struct statx sx {};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_statx(s, rawring::at_fdcwd, f.path.c_str(), 0, STATX_BASIC_STATS, &sx);
        });
        CHECK(cqe.res == 0);
        CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
        CHECK(sx.stx_size == 5);
        CHECK(sx.stx_ino == st.st_ino);
        CHECK(sx.stx_mode == st.st_mode);
        CHECK(sx.stx_nlink == 1);
        CHECK(sx.stx_uid == st.st_uid);
        CHECK(sx.stx_blocks == static_cast<std::uint64_t>(st.st_blocks));
        CHECK(sx.stx_mtime.tv_sec == st.st_mtim.tv_sec);
        CHECK(sx.stx_mtime.tv_nsec == static_cast<std::uint32_t>(st.st_mtim.tv_nsec));
        CHECK(sx.stx_ctime.tv_sec == st.st_ctim.tv_sec);

        // AT_EMPTY_PATH: the fd itself; a change of size shows.
        REQUIRE(::ftruncate(f.fd, 4096) == 0);
        struct statx sx2 {};
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_statx(s, f.fd, "", AT_EMPTY_PATH, STATX_SIZE | STATX_INO, &sx2);
        });
        CHECK(cqe.res == 0);
        CHECK(sx2.stx_size == 4096);
        CHECK(sx2.stx_ino == st.st_ino);

        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_statx(s, rawring::at_fdcwd, "/nonexistent/rawring", 0, STATX_SIZE, &sx2);
        });
        CHECK(cqe.res == -ENOENT);
    });
}

TEST_CASE("op: READ") {
    if (!op_supported(abi::IORING_OP_READ)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("abcdefghijklmnop");
        char buf[16] = {};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_read(s, f.fd, buf, 5, 3); });
        CHECK(cqe.res == 5);
        CHECK(std::string(buf, 5) == "defgh");

        REQUIRE(::lseek(f.fd, 2, SEEK_SET) == 2);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_read(s, f.fd, buf, 4, at_position); });
        CHECK(cqe.res == 4);
        CHECK(std::string(buf, 4) == "cdef");
        CHECK(::lseek(f.fd, 0, SEEK_CUR) == 6);

        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_read(s, f.fd, buf, 4, 16); });
        CHECK(cqe.res == 0);

        // A pipe: the read waits for the data.
        pipe_pair p;
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_read(sqe, p.read_end, buf, sizeof(buf), 0);
        rawring::sqe_set_data64(sqe, 4);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));
        REQUIRE(::write(p.write_end, "later", 5) == 5);
        cqe = reap(r);
        CHECK(cqe.user_data == 4);
        CHECK(cqe.res == 5);
        CHECK(std::string(buf, 5) == "later");
    });
}

TEST_CASE("op: WRITE") {
    if (!op_supported(abi::IORING_OP_WRITE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_write(s, f.fd, "hello", 5, 0); });
        CHECK(cqe.res == 5);
        CHECK(slurp(f.path) == "hello");

        // Past the end: a hole of zeros in between.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_write(s, f.fd, "x", 1, 10); });
        CHECK(cqe.res == 1);
        CHECK(slurp(f.path) == std::string("hello\0\0\0\0\0x", 11));

        // Offset -1: at the file position, which moves.
        REQUIRE(::lseek(f.fd, 1, SEEK_SET) == 1);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_write(s, f.fd, "EL", 2, at_position); });
        CHECK(cqe.res == 2);
        CHECK(::lseek(f.fd, 0, SEEK_CUR) == 3);
        CHECK(slurp(f.path).substr(0, 5) == "hELlo");

        pipe_pair p;
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_write(s, p.write_end, "piped", 5, 0); });
        CHECK(cqe.res == 5);
        char buf[8];
        CHECK(::read(p.read_end, buf, sizeof(buf)) == 5);
        CHECK(std::string(buf, 5) == "piped");

        // A read-only fd.
        const int ro = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(ro >= 0);
        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_write(s, ro, "no", 2, 0); });
        CHECK(cqe.res == -EBADF);
        ::close(ro);
    });
}

TEST_CASE("op: FADVISE") {
    if (!op_supported(abi::IORING_OP_FADVISE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        // ext4 (/var/tmp) drops clean cached pages on DONTNEED, which mincore can see.
        temp_dir dir("/var/tmp");
        owned_fd fd = make_file(dir, "advised");
        constexpr std::size_t pages = 16;
        const std::string data(pages * 4096, 'f');
        REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
        REQUIRE(::fsync(fd) == 0);
        void* map = ::mmap(nullptr, data.size(), PROT_READ, MAP_SHARED, fd, 0);
        REQUIRE(map != MAP_FAILED);
        CHECK(resident_pages(map, pages) == static_cast<int>(pages));

        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_fadvise(s, fd, 0, static_cast<std::uint32_t>(data.size()), POSIX_FADV_DONTNEED);
        });
        CHECK(cqe.res == 0);
        CHECK(resident_pages(map, pages) == 0);

        // WILLNEED reads them back in (asynchronously: wait for the I/O to land).
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_fadvise64(s, fd, 0, static_cast<std::int64_t>(data.size()), POSIX_FADV_WILLNEED);
        });
        if (cqe.res == -EINVAL) {
            // The kernel takes the length from sqe.len only and refuses a nonzero sqe.addr (the
            // same advice with a 32-bit length went through above): WILLNEED that way instead.
            io_uring_sqe ref{};
            ref.opcode = abi::IORING_OP_FADVISE;
            ref.fd = fd;
            ref.off = 0;
            ref.addr = data.size();
            ref.fadvise_advice = POSIX_FADV_WILLNEED;
            ref.user_data = 2;
            RAWRING_REQUIRE_KERNEL_REFUSES(ref);
            RAWRING_SKIP("the kernel refuses fadvise's 64-bit length in sqe.addr (-EINVAL)");
            cqe = run_one(r, 2, [&](io_uring_sqe* s) {
                rawring::prep_fadvise(s, fd, 0, static_cast<std::uint32_t>(data.size()), POSIX_FADV_WILLNEED);
            });
        }
        CHECK(cqe.res == 0);
        int resident = 0;
        for (int i = 0; i < 400 && resident != static_cast<int>(pages); ++i) {
            resident = resident_pages(map, pages);
            if (resident != static_cast<int>(pages)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        CHECK(resident == static_cast<int>(pages));
        ::munmap(map, data.size());

        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_fadvise(s, fd, 0, 4096, 12345); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: MADVISE") {
    if (!op_supported(abi::IORING_OP_MADVISE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        constexpr std::size_t len = 2 * 4096;
        auto* p = static_cast<unsigned char*>(
            ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        REQUIRE(p != MAP_FAILED);
        std::memset(p, 0xab, len);

        // DONTNEED on private anonymous memory: the pages come back zero-filled.
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_madvise(s, p, len, MADV_DONTNEED); });
        CHECK(cqe.res == 0);
        CHECK(p[0] == 0);
        CHECK(p[len - 1] == 0);

        // madvise64 on the first page only.
        std::memset(p, 0xcd, len);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_madvise64(s, p, 4096, MADV_DONTNEED); });
        if (cqe.res == -EINVAL) {
            // The kernel takes the length from sqe.len only and refuses a nonzero sqe.off (the
            // same advice with a 32-bit length went through above): the first page that way.
            io_uring_sqe ref{};
            ref.opcode = abi::IORING_OP_MADVISE;
            ref.fd = -1;
            ref.addr = reinterpret_cast<std::uintptr_t>(p);
            ref.off = 4096;
            ref.fadvise_advice = MADV_DONTNEED;
            ref.user_data = 2;
            RAWRING_REQUIRE_KERNEL_REFUSES(ref);
            RAWRING_SKIP("the kernel refuses madvise's 64-bit length in sqe.off (-EINVAL)");
            cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_madvise(s, p, 4096, MADV_DONTNEED); });
        }
        CHECK(cqe.res == 0);
        CHECK(p[0] == 0);
        CHECK(p[4095] == 0);
        CHECK(p[4096] == 0xcd);

        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_madvise(s, p, len, 12345); });
        CHECK(cqe.res == -EINVAL);
        ::munmap(p, len);
    });
}

TEST_CASE("op: OPENAT2") {
    if (!op_supported(abi::IORING_OP_OPENAT2)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        abi::open_how how{};
        how.flags = O_CREAT | O_RDWR | O_CLOEXEC;
        how.mode = 0600;
        how.resolve = RESOLVE_BENEATH;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_openat2(s, d.fd, "beneath", &how); });
        REQUIRE(cqe.res >= 0);
        owned_fd fd(cqe.res);
        CHECK(path_exists(d.at("beneath")));
        struct stat st {};
        REQUIRE(::fstat(fd, &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        REQUIRE(::write(fd, "2", 1) == 1);
        CHECK(slurp(d.at("beneath")) == "2");

        // RESOLVE_BENEATH refuses to climb out of the directory.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_openat2(s, d.fd, "../escape", &how); });
        CHECK(cqe.res == -EXDEV);
        // Unknown resolve bits, and mode without O_CREAT.
        abi::open_how bad = how;
        bad.resolve = 1ull << 60;
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_openat2(s, d.fd, "beneath", &bad); });
        CHECK(cqe.res == -EINVAL);
        bad = how;
        bad.flags = O_RDONLY;
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_openat2(s, d.fd, "beneath", &bad); });
        CHECK(cqe.res == -EINVAL);

        // Into a registered slot.
        REQUIRE(rawring::register_files_sparse(r, 2) == 0);
        abi::open_how ro{};
        ro.flags = O_RDONLY;
        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_openat2_direct(s, d.fd, "beneath", &ro, 1); });
        CHECK(cqe.res == 0);
        char buf[2];
        CHECK(fixed_read(r, 1, buf, 1, 0).res == 1);
        CHECK(buf[0] == '2');
    });
}

TEST_CASE("op: SPLICE") {
    if (!op_supported(abi::IORING_OP_SPLICE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("0123456789abcdef");
        pipe_pair p;
        // File (at an offset) into a pipe.
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_splice(s, f.fd, 2, p.write_end, -1, 8, 0);
        });
        CHECK(cqe.res == 8);
        char buf[16];
        CHECK(::read(p.read_end, buf, sizeof(buf)) == 8);
        CHECK(std::string(buf, 8) == "23456789");

        // Pipe into a file at an offset.
        temp_file g("....");
        REQUIRE(::write(p.write_end, "ZZZZ", 4) == 4);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_splice(s, p.read_end, -1, g.fd, 3, 4, 0); });
        CHECK(cqe.res == 4);
        CHECK(slurp(g.path) == "...ZZZZ");

        // The input through a registered file.
        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_splice(s, 0, 12, p.write_end, -1, 4, abi::SPLICE_F_FD_IN_FIXED);
        });
        CHECK(cqe.res == 4);
        CHECK(::read(p.read_end, buf, sizeof(buf)) == 4);
        CHECK(std::string(buf, 4) == "cdef");

        // Neither end a pipe.
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_splice(s, f.fd, 0, g.fd, 0, 4, 0); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: TEE") {
    if (!op_supported(abi::IORING_OP_TEE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        pipe_pair a, b;
        REQUIRE(::write(a.write_end, "teeing", 6) == 6);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_tee(s, a.read_end, b.write_end, 6, 0); });
        CHECK(cqe.res == 6);
        char buf[8];
        CHECK(::read(b.read_end, buf, sizeof(buf)) == 6);
        CHECK(std::string(buf, 6) == "teeing");
        // Duplicated, not moved: the source still has it.
        CHECK(::read(a.read_end, buf, sizeof(buf)) == 6);
        CHECK(std::string(buf, 6) == "teeing");

        temp_file f("file");
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_tee(s, f.fd, b.write_end, 4, 0); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: RENAMEAT") {
    if (!op_supported(abi::IORING_OP_RENAMEAT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        make_file(d, "a", "first");
        struct stat st {};
        REQUIRE(::stat(d.at("a").c_str(), &st) == 0);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_renameat(s, d.fd, "a", d.fd, "b", 0); });
        CHECK(cqe.res == 0);
        CHECK_FALSE(path_exists(d.at("a")));
        struct stat moved {};
        REQUIRE(::stat(d.at("b").c_str(), &moved) == 0);
        CHECK(moved.st_ino == st.st_ino);

        // NOREPLACE onto an existing name.
        make_file(d, "c", "second");
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_renameat(s, d.fd, "b", d.fd, "c", RENAME_NOREPLACE);
        });
        CHECK(cqe.res == -EEXIST);
        CHECK(slurp(d.at("b")) == "first");
        CHECK(slurp(d.at("c")) == "second");

        // EXCHANGE swaps them.
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_renameat(s, d.fd, "b", d.fd, "c", RENAME_EXCHANGE);
        });
        CHECK(cqe.res == 0);
        CHECK(slurp(d.at("b")) == "second");
        CHECK(slurp(d.at("c")) == "first");

        // Absolute paths.
        const std::string from = d.at("c"), to = d.at("e");
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_rename(s, from.c_str(), to.c_str()); });
        CHECK(cqe.res == 0);
        CHECK_FALSE(path_exists(from));
        CHECK(slurp(to) == "first");
        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_rename(s, from.c_str(), to.c_str()); });
        CHECK(cqe.res == -ENOENT);
    });
}

TEST_CASE("op: UNLINKAT") {
    if (!op_supported(abi::IORING_OP_UNLINKAT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        owned_fd held = make_file(d, "f", "still readable");
        REQUIRE(::mkdir(d.at("sub").c_str(), 0700) == 0);

        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_unlinkat(s, d.fd, "f", 0); });
        CHECK(cqe.res == 0);
        CHECK_FALSE(path_exists(d.at("f")));
        // The open file lives on without a name.
        struct stat st {};
        REQUIRE(::fstat(held, &st) == 0);
        CHECK(st.st_nlink == 0);
        CHECK(pread_str(held, 14, 0) == "still readable");

        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_unlinkat(s, d.fd, "sub", 0); });
        CHECK(cqe.res == -EISDIR);
        CHECK(path_exists(d.at("sub")));
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_unlinkat(s, d.fd, "sub", AT_REMOVEDIR); });
        CHECK(cqe.res == 0);
        CHECK_FALSE(path_exists(d.at("sub")));

        make_file(d, "g");
        const std::string g = d.at("g");
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_unlink(s, g.c_str(), 0); });
        CHECK(cqe.res == 0);
        CHECK_FALSE(path_exists(g));
        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_unlink(s, g.c_str(), 0); });
        CHECK(cqe.res == -ENOENT);
    });
}

TEST_CASE("op: MKDIRAT") {
    if (!op_supported(abi::IORING_OP_MKDIRAT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_mkdirat(s, d.fd, "dir", 0700); });
        CHECK(cqe.res == 0);
        struct stat st {};
        REQUIRE(::stat(d.at("dir").c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 0777) == 0700);

        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_mkdirat(s, d.fd, "dir", 0700); });
        CHECK(cqe.res == -EEXIST);

        const std::string nested = d.at("dir/nested");
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_mkdir(s, nested.c_str(), 0755); });
        CHECK(cqe.res == 0);
        REQUIRE(::stat(nested.c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 0777) == (0755 & ~current_umask()));

        const std::string orphan = d.at("no/such/parent");
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_mkdir(s, orphan.c_str(), 0755); });
        CHECK(cqe.res == -ENOENT);
    });
}

TEST_CASE("op: SYMLINKAT") {
    if (!op_supported(abi::IORING_OP_SYMLINKAT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_symlinkat(s, "target/need/not/exist", d.fd, "link");
        });
        CHECK(cqe.res == 0);
        struct stat st {};
        REQUIRE(::lstat(d.at("link").c_str(), &st) == 0);
        CHECK(S_ISLNK(st.st_mode));
        char buf[64];
        const ssize_t n = ::readlinkat(d.fd, "link", buf, sizeof(buf));
        CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) == "target/need/not/exist");

        // An absolute link to a real file, followed by open.
        make_file(d, "real", "pointed at");
        const std::string real = d.at("real"), link2 = d.at("link2");
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_symlink(s, real.c_str(), link2.c_str()); });
        CHECK(cqe.res == 0);
        CHECK(slurp(link2) == "pointed at");

        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_symlink(s, "x", link2.c_str()); });
        CHECK(cqe.res == -EEXIST);
    });
}

TEST_CASE("op: LINKAT") {
    if (!op_supported(abi::IORING_OP_LINKAT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_dir d;
        make_file(d, "a", "shared");
        struct stat st {};
        REQUIRE(::stat(d.at("a").c_str(), &st) == 0);
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_linkat(s, d.fd, "a", d.fd, "b", 0); });
        CHECK(cqe.res == 0);
        struct stat lb {};
        REQUIRE(::stat(d.at("b").c_str(), &lb) == 0);
        CHECK(lb.st_ino == st.st_ino);
        CHECK(lb.st_nlink == 2);

        const std::string a = d.at("a"), c = d.at("c");
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_link(s, a.c_str(), c.c_str(), 0); });
        CHECK(cqe.res == 0);
        REQUIRE(::stat(a.c_str(), &st) == 0);
        CHECK(st.st_nlink == 3);

        // Through a symlink: with AT_SYMLINK_FOLLOW the target is linked, without it the link.
        REQUIRE(::symlinkat("a", d.fd, "s") == 0);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_linkat(s, d.fd, "s", d.fd, "t", AT_SYMLINK_FOLLOW);
        });
        CHECK(cqe.res == 0);
        struct stat lt {};
        REQUIRE(::lstat(d.at("t").c_str(), &lt) == 0);
        CHECK(S_ISREG(lt.st_mode));
        CHECK(lt.st_ino == st.st_ino);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_linkat(s, d.fd, "s", d.fd, "u", 0); });
        CHECK(cqe.res == 0);
        REQUIRE(::lstat(d.at("u").c_str(), &lt) == 0);
        CHECK(S_ISLNK(lt.st_mode));

        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_linkat(s, d.fd, "a", d.fd, "b", 0); });
        CHECK(cqe.res == -EEXIST);
    });
}

TEST_CASE("op: FSETXATTR") {
    if (!op_supported(abi::IORING_OP_FSETXATTR)) return;
    temp_file probe_file;
    if (!user_xattrs_supported(probe_file.path)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_fsetxattr(s, f.fd, "user.rawring", "value-1", 0, 7);
        });
        CHECK(cqe.res == 0);
        CHECK(get_xattr(f.path, "user.rawring") == "value-1");

        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_fsetxattr(s, f.fd, "user.rawring", "other", XATTR_CREATE, 5);
        });
        CHECK(cqe.res == -EEXIST);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_fsetxattr(s, f.fd, "user.rawring", "value-22", XATTR_REPLACE, 8);
        });
        CHECK(cqe.res == 0);
        CHECK(get_xattr(f.path, "user.rawring") == "value-22");
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_fsetxattr(s, f.fd, "user.absent", "v", XATTR_REPLACE, 1);
        });
        CHECK(cqe.res == -ENODATA);
    });
}

TEST_CASE("op: SETXATTR") {
    if (!op_supported(abi::IORING_OP_SETXATTR)) return;
    temp_file probe_file;
    if (!user_xattrs_supported(probe_file.path)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_setxattr(s, "user.by-path", "path value", f.path.c_str(), 0, 10);
        });
        CHECK(cqe.res == 0);
        CHECK(get_xattr(f.path, "user.by-path") == "path value");

        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_setxattr(s, "user.by-path", "x", f.path.c_str(), XATTR_CREATE, 1);
        });
        CHECK(cqe.res == -EEXIST);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_setxattr(s, "user.x", "x", "/nonexistent/rawring", 0, 1);
        });
        CHECK(cqe.res == -ENOENT);
        // A namespace the kernel does not know.
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_setxattr(s, "nosuchns.x", "x", f.path.c_str(), 0, 1);
        });
        CHECK(cqe.res == -EOPNOTSUPP);
    });
}

TEST_CASE("op: FGETXATTR") {
    if (!op_supported(abi::IORING_OP_FGETXATTR)) return;
    temp_file probe_file;
    if (!user_xattrs_supported(probe_file.path)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        REQUIRE(::fsetxattr(f.fd, "user.get", "payload", 7, 0) == 0);
        char buf[64] = {};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_fgetxattr(s, f.fd, "user.get", buf, sizeof(buf));
        });
        CHECK(cqe.res == 7);
        CHECK(std::string(buf, 7) == "payload");

        // Length 0 asks for the size; too small a buffer is -ERANGE.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_fgetxattr(s, f.fd, "user.get", nullptr, 0); });
        CHECK(cqe.res == 7);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_fgetxattr(s, f.fd, "user.get", buf, 3); });
        CHECK(cqe.res == -ERANGE);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_fgetxattr(s, f.fd, "user.absent", buf, sizeof(buf));
        });
        CHECK(cqe.res == -ENODATA);
    });
}

TEST_CASE("op: GETXATTR") {
    if (!op_supported(abi::IORING_OP_GETXATTR)) return;
    temp_file probe_file;
    if (!user_xattrs_supported(probe_file.path)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f;
        REQUIRE(::setxattr(f.path.c_str(), "user.path-get", "by path", 7, 0) == 0);
        char buf[64] = {};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) {
            rawring::prep_getxattr(s, "user.path-get", buf, f.path.c_str(), sizeof(buf));
        });
        CHECK(cqe.res == 7);
        CHECK(std::string(buf, 7) == "by path");
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_getxattr(s, "user.absent", buf, f.path.c_str(), sizeof(buf));
        });
        CHECK(cqe.res == -ENODATA);
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_getxattr(s, "user.path-get", buf, "/nonexistent/rawring", sizeof(buf));
        });
        CHECK(cqe.res == -ENOENT);
    });
}

TEST_CASE("op: FIXED_FD_INSTALL") {
    if (!op_supported(abi::IORING_OP_FIXED_FD_INSTALL)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("installed");
        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        io_uring_cqe cqe = run_one(r, 1, [](io_uring_sqe* s) { rawring::prep_fixed_fd_install(s, 0, 0); });
        REQUIRE(cqe.res >= 0);
        owned_fd fd(cqe.res);
        CHECK(fd.fd != f.fd);
        CHECK(pread_str(fd, 9, 0) == "installed");
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);  // close-on-exec unless asked otherwise
        struct stat a {}, b {};
        REQUIRE(::fstat(fd, &a) == 0);
        REQUIRE(::fstat(f.fd, &b) == 0);
        CHECK(a.st_ino == b.st_ino);

        cqe = run_one(r, 2, [](io_uring_sqe* s) {
            rawring::prep_fixed_fd_install(s, 0, abi::IORING_FIXED_FD_NO_CLOEXEC);
        });
        REQUIRE(cqe.res >= 0);
        owned_fd fd2(cqe.res);
        CHECK((::fcntl(fd2, F_GETFD) & FD_CLOEXEC) == 0);

        cqe = run_one(r, 3, [](io_uring_sqe* s) { rawring::prep_fixed_fd_install(s, 5, 0); });
        CHECK(cqe.res == -EBADF);
        cqe = run_one(r, 4, [](io_uring_sqe* s) { rawring::prep_fixed_fd_install(s, 0, 0x80); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: FTRUNCATE") {
    if (!op_supported(abi::IORING_OP_FTRUNCATE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        temp_file f("0123456789");
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_ftruncate(s, f.fd, 4); });
        CHECK(cqe.res == 0);
        CHECK(slurp(f.path) == "0123");

        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_ftruncate(s, f.fd, 4096); });
        CHECK(cqe.res == 0);
        struct stat st {};
        REQUIRE(::fstat(f.fd, &st) == 0);
        CHECK(st.st_size == 4096);
        CHECK(slurp(f.path) == "0123" + std::string(4092, '\0'));

        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_ftruncate(s, f.fd, -1); });
        CHECK(cqe.res == -EINVAL);
        const int ro = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(ro >= 0);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) { rawring::prep_ftruncate(s, ro, 0); });
        CHECK(cqe.res == -EINVAL);
        ::close(ro);
        REQUIRE(::fstat(f.fd, &st) == 0);
        CHECK(st.st_size == 4096);
    });
}

TEST_CASE("op: READV_FIXED") {
    if (!op_supported(abi::IORING_OP_READV_FIXED)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        reg_buffer buf(8192);
        const iovec reg = buf.iov();
        REQUIRE(rawring::register_buffers(r, &reg, 1) == 0);
        temp_file f("vectored and registered");
        iovec iov[2] = {{buf.at(0), 8}, {buf.at(5000), 5}};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_readv_fixed(s, f.fd, iov, 2, 0, 0, 0); });
        CHECK(cqe.res == 13);
        CHECK(std::string(buf.at(0), 8) == "vectored");
        CHECK(std::string(buf.at(5000), 5) == " and ");

        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        iovec one[1] = {{buf.at(100), 10}};
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_readv_fixed(s, 0, one, 1, 13, 0, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 10);
        CHECK(std::string(buf.at(100), 10) == "registered");

        // A vector reaching outside the registered buffer.
        iovec outside[1] = {{buf.at(8190), 10}};
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_readv_fixed(s, f.fd, outside, 1, 0, 0, 0); });
        CHECK(cqe.res == -EFAULT);
    });
}

TEST_CASE("op: WRITEV_FIXED") {
    if (!op_supported(abi::IORING_OP_WRITEV_FIXED)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        reg_buffer buf(8192);
        const iovec reg = buf.iov();
        REQUIRE(rawring::register_buffers(r, &reg, 1) == 0);
        temp_file f;
        std::memcpy(buf.at(10), "gather ", 7);
        std::memcpy(buf.at(7000), "write", 5);
        iovec iov[2] = {{buf.at(10), 7}, {buf.at(7000), 5}};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_writev_fixed(s, f.fd, iov, 2, 0, 0, 0); });
        CHECK(cqe.res == 12);
        CHECK(slurp(f.path) == "gather write");

        REQUIRE(rawring::register_files(r, &f.fd, 1) == 0);
        cqe = run_one(r, 2, [&](io_uring_sqe* s) {
            rawring::prep_writev_fixed(s, 0, &iov[1], 1, 0, RWF_APPEND, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 5);
        CHECK(slurp(f.path) == "gather writewrite");

        iovec outside[1] = {{buf.at(8000), 500}};
        cqe = run_one(r, 3, [&](io_uring_sqe* s) { rawring::prep_writev_fixed(s, f.fd, outside, 1, 0, 0, 0); });
        CHECK(cqe.res == -EFAULT);
        CHECK(slurp(f.path) == "gather writewrite");
    });
}

TEST_CASE("op: PIPE") {
    if (!op_supported(abi::IORING_OP_PIPE)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        int fds[2] = {-1, -1};
        io_uring_cqe cqe = run_one(r, 1, [&](io_uring_sqe* s) { rawring::prep_pipe(s, fds, 0); });
        CHECK(cqe.res == 0);
        REQUIRE(fds[0] >= 0);
        REQUIRE(fds[1] >= 0);
        owned_fd rd(fds[0]), wr(fds[1]);
        REQUIRE(::write(wr, "through", 7) == 7);
        char buf[8];
        CHECK(::read(rd, buf, sizeof(buf)) == 7);
        CHECK(std::string(buf, 7) == "through");
        CHECK((::fcntl(rd, F_GETFL) & O_NONBLOCK) == 0);

        // Flags as pipe2(2) takes them.
        cqe = run_one(r, 2, [&](io_uring_sqe* s) { rawring::prep_pipe(s, fds, O_NONBLOCK | O_CLOEXEC); });
        CHECK(cqe.res == 0);
        owned_fd rd2(fds[0]), wr2(fds[1]);
        CHECK((::fcntl(rd2, F_GETFL) & O_NONBLOCK) != 0);
        CHECK((::fcntl(wr2, F_GETFD) & FD_CLOEXEC) != 0);
        CHECK(::read(rd2, buf, sizeof(buf)) == -1);
        CHECK(errno == EAGAIN);

        // Both ends straight into the registered-file table.
        REQUIRE(rawring::register_files_sparse(r, 4) == 0);
        int slots[2] = {-1, -1};
        cqe = run_one(r, 3, [&](io_uring_sqe* s) {
            rawring::prep_pipe_direct(s, slots, 0, abi::IORING_FILE_INDEX_ALLOC);
        });
        CHECK(cqe.res == 0);
        REQUIRE(slots[0] >= 0);
        REQUIRE(slots[1] >= 0);
        CHECK(slots[0] < 4);
        CHECK(slots[1] < 4);
        CHECK(slots[0] != slots[1]);
        cqe = run_one(r, 4, [&](io_uring_sqe* s) {
            rawring::prep_write(s, slots[1], "direct", 6, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_FIXED_FILE);
        });
        CHECK(cqe.res == 6);
        CHECK(fixed_read(r, slots[0], buf, sizeof(buf), 0).res == 6);
        CHECK(std::string(buf, 6) == "direct");

        cqe = run_one(r, 5, [&](io_uring_sqe* s) { rawring::prep_pipe(s, fds, 0x7fffffff); });
        CHECK(cqe.res == -EINVAL);
    });
}

TEST_CASE("op: READ_MULTISHOT") {
    if (!op_supported(abi::IORING_OP_READ_MULTISHOT)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        constexpr unsigned entries = 4;
        constexpr unsigned size = 64;
        constexpr int bgid = 3;
        int ret = 0;
        abi::io_uring_buf_ring* br = rawring::setup_buf_ring(r, entries, bgid, 0, &ret);
        REQUIRE_MESSAGE(br != nullptr, std::string(std::strerror(-ret)));
        static char storage[entries][size];
        for (unsigned i = 0; i < entries; ++i)
            rawring::buf_ring_add(br, storage[i], size, static_cast<unsigned short>(i),
                                  rawring::buf_ring_mask(entries), static_cast<int>(i));
        rawring::buf_ring_advance(br, entries);

        pipe_pair p;
        io_uring_sqe* sqe = sqe_of(r);
        rawring::prep_read_multishot(sqe, p.read_end, 0, 0, bgid);
        rawring::sqe_set_data64(sqe, 7);
        submit_n(r, 1);
        CHECK(no_cqe_within(r, 5));

        // Each write is one CQE, in a buffer of the group, and the read stays armed.
        const char* msgs[] = {"first", "second!", "3rd"};
        for (const char* m : msgs) {
            const auto n = static_cast<int>(std::strlen(m));
            REQUIRE(::write(p.write_end, m, static_cast<std::size_t>(n)) == n);
            const io_uring_cqe cqe = reap(r);
            CHECK(cqe.user_data == 7);
            CHECK(cqe.res == n);
            CHECK(rawring::cqe_has_more(&cqe));
            const int bid = rawring::cqe_buffer_id(&cqe);
            REQUIRE(bid >= 0);
            REQUIRE(bid < static_cast<int>(entries));
            CHECK(std::string(storage[bid], static_cast<std::size_t>(n)) == m);
            rawring::buf_ring_add(br, storage[bid], size, static_cast<unsigned short>(bid),
                                  rawring::buf_ring_mask(entries), 0);
            rawring::buf_ring_advance(br, 1);
        }

        // End of file ends it: res 0, MORE clear.
        p.write_end.reset();
        const io_uring_cqe last = reap(r);
        CHECK(last.user_data == 7);
        CHECK(last.res == 0);
        CHECK_FALSE(rawring::cqe_has_more(&last));
        CHECK(no_cqe_within(r, 5));
        CHECK(rawring::free_buf_ring(r, br, entries, bgid) == 0);
    });
}

TEST_CASE("op: PROVIDE_BUFFERS") {
    if (!op_supported(abi::IORING_OP_PROVIDE_BUFFERS)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        static char storage[4][32];
        std::memset(storage, 0, sizeof(storage));
        io_uring_cqe cqe = run_one(r, 1, [](io_uring_sqe* s) {
            rawring::prep_provide_buffers(s, storage, 32, 4, 7, 10);
        });
        CHECK(cqe.res == 0);

        // Reads that pick their buffer from group 7: ids 10..13, each used once.
        temp_file f("provided buffers hold the data");
        bool used[4] = {};
        for (unsigned i = 0; i < 4; ++i) {
            cqe = run_one(r, 2 + i, [&](io_uring_sqe* s) {
                rawring::prep_read(s, f.fd, nullptr, 8, 8 * i);
                rawring::sqe_set_flags(s, abi::IOSQE_BUFFER_SELECT);
                rawring::sqe_set_buf_group(s, 7);
            });
            const int bid = rawring::cqe_buffer_id(&cqe);
            REQUIRE(bid >= 10);
            REQUIRE(bid < 14);
            CHECK_FALSE(used[bid - 10]);
            used[bid - 10] = true;
            const std::string want = std::string("provided buffers hold the data").substr(8 * i, 8);
            CHECK(cqe.res == static_cast<int>(want.size()));
            CHECK(std::string(storage[bid - 10], want.size()) == want);
        }
        // All four taken.
        cqe = run_one(r, 6, [&](io_uring_sqe* s) {
            rawring::prep_read(s, f.fd, nullptr, 8, 0);
            rawring::sqe_set_flags(s, abi::IOSQE_BUFFER_SELECT);
            rawring::sqe_set_buf_group(s, 7);
        });
        CHECK(cqe.res == -ENOBUFS);
        CHECK(rawring::cqe_buffer_id(&cqe) == -err::enobufs);
    });
}

TEST_CASE("op: REMOVE_BUFFERS") {
    if (!op_supported(abi::IORING_OP_REMOVE_BUFFERS)) return;
    each_ring(8, [](rawring::ring& r, const config&) {
        static char storage[4][16];
        io_uring_cqe cqe = run_one(r, 1, [](io_uring_sqe* s) {
            rawring::prep_provide_buffers(s, storage, 16, 4, 8, 0);
        });
        CHECK(cqe.res == 0);
        cqe = run_one(r, 2, [](io_uring_sqe* s) { rawring::prep_remove_buffers(s, 3, 8); });
        CHECK(cqe.res == 3);

        // One left: one read gets it, the next finds none.
        temp_file f("0123456789");
        auto select_read = [&](std::uint64_t data) {
            return run_one(r, data, [&](io_uring_sqe* s) {
                rawring::prep_read(s, f.fd, nullptr, 16, 0);
                rawring::sqe_set_flags(s, abi::IOSQE_BUFFER_SELECT);
                rawring::sqe_set_buf_group(s, 8);
            });
        };
        cqe = select_read(3);
        CHECK(cqe.res == 10);
        CHECK(rawring::cqe_buffer_id(&cqe) >= 0);
        cqe = select_read(4);
        CHECK(cqe.res == -ENOBUFS);

        // Provide two more, remove more than there are: the count actually removed.
        cqe = run_one(r, 5, [](io_uring_sqe* s) { rawring::prep_provide_buffers(s, storage, 16, 2, 8, 0); });
        CHECK(cqe.res == 0);
        cqe = run_one(r, 6, [](io_uring_sqe* s) { rawring::prep_remove_buffers(s, 5, 8); });
        CHECK(cqe.res == 2);
        cqe = select_read(7);
        CHECK(cqe.res == -ENOBUFS);
        cqe = run_one(r, 8, [](io_uring_sqe* s) { rawring::prep_remove_buffers(s, 1, 99); });
        CHECK(cqe.res == -ENOENT);
    });
}

} // TEST_SUITE
