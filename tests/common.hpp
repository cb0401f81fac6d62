// SPDX-License-Identifier: MIT
// What the tests share: ring configurations, SKIP messages, temporary files, fd and mapping counts.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "rawring/rawring.hpp"

/// A case that cannot run here says why and asserts nothing. The text goes through an
/// ostringstream because doctest's own message stream prints a `const char*` as an address.
#define RAWRING_SKIP(reason)                                                                       \
    do {                                                                                           \
        std::ostringstream rawring_skip_text;                                                      \
        rawring_skip_text << "SKIP: " << reason;                                                   \
        MESSAGE(rawring_skip_text.str());                                                          \
    } while (0)

namespace rawring_test {

using rawring::abi::io_uring_cqe;
using rawring::abi::io_uring_sqe;

/// A ring configuration every kernel case is run under.
struct config {
    const char* name;
    std::uint32_t flags;
    rawring::sq_array array = rawring::sq_array::automatic;
};

inline constexpr config configs[] = {
    {"default", 0},
    {"SQ array", 0, rawring::sq_array::keep},
    {"SQE128", rawring::abi::IORING_SETUP_SQE128},
    {"CQE32", rawring::abi::IORING_SETUP_CQE32},
    {"NO_SQARRAY", rawring::abi::IORING_SETUP_NO_SQARRAY},
    {"SINGLE_ISSUER|DEFER_TASKRUN",
     rawring::abi::IORING_SETUP_SINGLE_ISSUER | rawring::abi::IORING_SETUP_DEFER_TASKRUN},
    {"COOP_TASKRUN|TASKRUN_FLAG",
     rawring::abi::IORING_SETUP_COOP_TASKRUN | rawring::abi::IORING_SETUP_TASKRUN_FLAG},
    {"SQPOLL", rawring::abi::IORING_SETUP_SQPOLL},
};

/// Sets `r` up with `c`; on failure says SKIP with the kernel's answer and returns false.
inline bool open_ring(rawring::ring& r, const config& c, unsigned entries) {
    rawring::abi::io_uring_params p{};
    p.flags = c.flags;
    const int ret = r.init(entries, p, c.array);
    if (ret < 0) {
        RAWRING_SKIP(c.name << ": ring setup refused by this kernel (" << std::strerror(-ret) << ")");
        return false;
    }
    return true;
}

inline bool io_uring_available() {
    static const bool available = [] {
        rawring::ring r;
        return r.init(1) == 0;
    }();
    return available;
}

/// Counts the entries of /proc/self/fd.
inline int count_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d) != nullptr) ++n;
        closedir(d);
    }
    return n;
}

/// Counts the lines of /proc/self/maps that map io_uring memory.
inline int count_uring_maps() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int n = 0;
    while (std::getline(maps, line))
        if (line.find("io_uring") != std::string::npos) ++n;
    return n;
}

/// A file in /tmp, removed with the object.
struct temp_file {
    std::string path;
    int fd = -1;
    explicit temp_file(const std::string& contents = {}) {
        char name[] = "/tmp/rawring-test-XXXXXX";
        fd = mkstemp(name);
        REQUIRE(fd >= 0);
        path = name;
        if (!contents.empty()) {
            REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
        }
    }
    ~temp_file() {
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

/// Compares two SQEs field by field, so a failure names the field, then every byte.
inline void check_sqe(const io_uring_sqe& got, const io_uring_sqe& want) {
    CHECK(unsigned{got.opcode} == unsigned{want.opcode});
    CHECK(unsigned{got.flags} == unsigned{want.flags});
    CHECK(got.ioprio == want.ioprio);
    CHECK(got.fd == want.fd);
    CHECK(got.off == want.off);
    CHECK(got.addr == want.addr);
    CHECK(got.len == want.len);
    CHECK(got.rw_flags == want.rw_flags);
    CHECK(got.user_data == want.user_data);
    CHECK(got.buf_index == want.buf_index);
    CHECK(got.personality == want.personality);
    CHECK(got.file_index == want.file_index);
    CHECK(got.addr3 == want.addr3);
    CHECK(got.pad2 == want.pad2);
    CHECK(std::memcmp(&got, &want, sizeof(want)) == 0);  // and nothing else differs
}

/// Gets an SQE and preps a NOP carrying `data`. On an SQPOLL ring the poller may post CQEs
/// before it moves the SQ head, so a full SQ there is waited out (submit wakes the poller);
/// on any other ring a full SQ gives nullptr at once.
inline io_uring_sqe* queue_nop(rawring::ring& r, std::uint64_t data) {
    io_uring_sqe* sqe = r.get_sqe();
    if ((r.flags() & rawring::abi::IORING_SETUP_SQPOLL) != 0) {
        for (int i = 0; sqe == nullptr && i < 100000; ++i) {
            (void)r.submit();
            sched_yield();
            sqe = r.get_sqe();
        }
    }
    if (sqe != nullptr) {
        rawring::prep_nop(sqe);
        rawring::sqe_set_data64(sqe, data);
    }
    return sqe;
}

} // namespace rawring_test
