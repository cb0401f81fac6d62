// SPDX-License-Identifier: MIT
// example: <name> for the server-level examples (echo_multishot, echo_send_zc, tpc_echo,
// udp_echo, connect_timeout, direct_io, nvme_passthrough, echo_bench): each program is run as a
// child process (its path in RAWRING_EXAMPLE_<name>, set by tests/meson.build), bounded in
// time, and its exit status and output are checked. Exit 77 is a SKIP with the program's reason.
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "child.hpp"
#include "common.hpp"

namespace {

using rawring_test::outcome;

// Generous: these programs take well under a second here, but the machine may be loaded.
constexpr int child_seconds = 120;

/// Runs example `name` with `args`. Returns false (having said SKIP, or failed the case) when
/// there is nothing more to check; true with `o` filled in when it ran to an exit code other
/// than 77.
bool run_example(const std::string& name, outcome& o, const std::vector<std::string>& args = {}) {
    const rawring_test::example_location loc = rawring_test::locate_example(name);
    if (loc.from_env) {
        REQUIRE_MESSAGE(::access(loc.path.c_str(), X_OK) == 0, loc.var << " names " << loc.path << ", which is not there");
    } else if (::access(loc.path.c_str(), X_OK) != 0) {
        RAWRING_SKIP(name << ": " << loc.var << " is not set and " << loc.path << " is not there");
        return false;
    }
    INFO("example ", name, " at ", loc.path);
    o = rawring_test::run_program(loc.path, child_seconds, args);
    REQUIRE_MESSAGE(o.started, name << " could not be started: " << o.err);
    REQUIRE_MESSAGE(!o.timed_out, name << " did not finish within " << child_seconds << " s and was killed");
    REQUIRE_MESSAGE(o.signal == 0, name << " died of signal " << o.signal << "; stderr: " << o.err);
    if (o.exit_code == 77) {
        // Cannot run here (io_uring, an opcode, a device or a filesystem missing): say why, as
        // the program did ("SKIP: ..."), and assert nothing.
        RAWRING_SKIP(name << ": " << rawring_test::skip_reason(o.out));
        return false;
    }
    return true;
}

/// Runs example `name` and checks that it exits 0, printing exactly `expected` and nothing on
/// stderr.
void check_exact(const std::string& name, const std::string& expected,
                 const std::vector<std::string>& args = {}) {
    outcome o;
    if (!run_example(name, o, args)) return;
    INFO("stdout: ", o.out);
    INFO("stderr: ", o.err);
    CHECK(o.exit_code == 0);
    CHECK(o.out == expected);
    CHECK(o.err.empty());
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("example: echo_multishot") {
    check_exact("echo_multishot",
                "echo_multishot: 4 connections, 200 messages, 289000 bytes echoed byte for byte from "
                "8 provided buffers of 256 bytes, all fixed files\n");
}

TEST_CASE("example: echo_send_zc") {
    check_exact("echo_send_zc",
                "echo_send_zc: 2 connections, 200 messages, 1989200 bytes echoed byte for byte with "
                "send_zc; every send had its notification, and no buffer was reused before it\n");
}

TEST_CASE("example: tpc_echo") {
    check_exact("tpc_echo",
                "tpc_echo: 2 workers, each with its own ring; 6 connections handed out over MSG_RING "
                "(3 per worker), 180 messages, 350420 bytes echoed byte for byte\n");
}

TEST_CASE("example: udp_echo") {
    check_exact("udp_echo",
                "udp_echo: 3 client sockets, 300 datagrams, 1193650 bytes echoed byte for byte, each to "
                "its sender (recvmsg/sendmsg, 4 receives in flight)\n");
}

TEST_CASE("example: connect_timeout") {
    check_exact("connect_timeout",
                "connect_timeout: listener with room: connect 0, link timeout -ECANCELED: the connect won\n"
                "connect_timeout: full accept queue: link timeout -ETIME, connect cancelled: the timeout won\n");
}

TEST_CASE("example: direct_io") {
    // Skips (77) when no candidate directory supports O_DIRECT (tmpfs only).
    check_exact("direct_io",
                "direct_io: 1048576 bytes written and read back with O_DIRECT, 8 requests of 131072 bytes "
                "each way from registered buffers, every byte checked\n");
}

TEST_CASE("example: nvme_passthrough") {
    const std::string self_check =
        "nvme_passthrough: self-check: read, write and flush SQEs match the expected 128 bytes; "
        "URING_CMD to a file without a driver: -EOPNOTSUPP in a 32-byte CQE\n";
    // The builder, without a device: the whole SQE of each command, byte for byte.
    check_exact("nvme_passthrough", self_check, {"--self-check"});
    // On the first /dev/ngXnY, if there is one (read and flush only); else SKIP.
    outcome o;
    if (!run_example("nvme_passthrough", o)) return;
    INFO("stdout: ", o.out);
    INFO("stderr: ", o.err);
    CHECK(o.exit_code == 0);
    REQUIRE(o.out.rfind(self_check, 0) == 0);
    CHECK(std::regex_match(o.out.substr(self_check.size()),
                           std::regex("nvme_passthrough: /dev/ng[0-9]+n[0-9]+ \\(nsid [0-9]+, [0-9]+-byte blocks\\): "
                                      "flushed, read 8 blocks from LBA 0 \\(checksum [0-9a-f]{8}\\)\n")));
    CHECK(o.err.empty());
}

TEST_CASE("example: echo_bench") {
    // Timing numbers are inherent here: only their shape is checked, never their values.
    outcome o;
    if (!run_example("echo_bench", o)) return;
    INFO("stdout: ", o.out);
    INFO("stderr: ", o.err);
    CHECK(o.exit_code == 0);
    CHECK(std::regex_match(o.out, std::regex("echo_bench: 8 connections x 64 bytes, [0-9]+ round trips in "
                                             "[0-9]+\\.[0-9]{3} s, every echo checked: [0-9]+ ops/s, "
                                             "latency p50 [0-9]+\\.[0-9] us, p99 [0-9]+\\.[0-9] us, "
                                             "p999 [0-9]+\\.[0-9] us\n")));
    CHECK(o.err.empty());
}

} // TEST_SUITE
