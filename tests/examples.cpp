// SPDX-License-Identifier: MIT
// example: <name>: runs each program of examples/ (its path in RAWRING_EXAMPLE_<name>, set by
// tests/meson.build), bounded in time, and checks its exit status and every byte it printed.
#include <unistd.h>

#include <string>

#include "child.hpp"
#include "common.hpp"

namespace {

using rawring_test::outcome;
using rawring_test::run_program;

/// Runs example `name` and checks that it exits 0 printing exactly `expected` on stdout and
/// nothing on stderr. Exit 77 (io_uring or an opcode missing) is a SKIP, unless `may_skip` is
/// false (the mock example must run everywhere).
void check_example(const std::string& name, const std::string& expected, bool may_skip = true) {
    // meson test names each example's path; run directly (as tools/kernel-test does in QEMU),
    // the example is where the build puts it: BUILD/examples/NAME beside BUILD/tests/.
    const rawring_test::example_location loc = rawring_test::locate_example(name);
    const std::string& path = loc.path;
    if (loc.from_env) {
        REQUIRE_MESSAGE(::access(path.c_str(), X_OK) == 0, loc.var << " names " << path << ", which is not there");
    } else if (::access(path.c_str(), X_OK) != 0) {
        // Copied elsewhere without the examples (tools/kernel-test's guest has only the
        // test executables): nothing to run here.
        RAWRING_SKIP(name << ": " << loc.var << " is not set and " << path << " is not there");
        return;
    }
    INFO("example ", name, " at ", path);
    const outcome o = run_program(path);
    if (o.exit_code == 77 && may_skip) {
        // Skipped (io_uring or an opcode missing): say why, as the example did on its first
        // line ("SKIP: ..."), and assert nothing.
        RAWRING_SKIP(name << ": " << rawring_test::skip_reason(o.out));
        return;
    }
    INFO("stdout: ", o.out);
    INFO("stderr: ", o.err);
    REQUIRE(o.started);
    REQUIRE_MESSAGE(!o.timed_out, name << " did not finish within 20 s and was killed");
    REQUIRE_MESSAGE(o.signal == 0, name << " died of signal " << o.signal);
    CHECK(o.exit_code == 0);
    CHECK(o.out == expected);
    CHECK(o.err.empty());
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("example: loop_noop") {
    check_example("loop_noop", "loop_noop: 10 NOPs completed, each callback ran once\n");
}

TEST_CASE("example: loop_timer") {
    check_example("loop_timer", "loop_timer: fired in order 50 100 125 150 ms\n");
}

TEST_CASE("example: loop_pipe") {
    check_example("loop_pipe", "loop_pipe: wrote 20 bytes, read 20 bytes: \"hello through a pipe\"\n");
}

TEST_CASE("example: loop_open_read_close") {
    check_example("loop_open_read_close",
                  "loop_open_read_close: open, read 30 bytes \"three steps, one callback each\", "
                  "close: fds balanced\n");
}

TEST_CASE("example: loop_cancel") {
    check_example("loop_cancel",
                  "loop_cancel: cancel(task): the 60 s timer ended with -ECANCELED, the cancel with 0\n"
                  "loop_cancel: deadline: the read ended with -ECANCELED, timed out: yes\n"
                  "loop_cancel: cancel_all: both reads ended with -ECANCELED, the cancel found 2\n");
}

TEST_CASE("example: loop_thread_ping_pong") {
    check_example("loop_thread_ping_pong",
                  "loop_thread_ping_pong: 1000 round trips between two threads, every number back in order\n");
}

TEST_CASE("example: loop_mock_state_machine") {
    // On the mock io_uring: no SKIP allowed, it must run where io_uring is unavailable too.
    check_example("loop_mock_state_machine",
                  "loop_mock_state_machine: peer replies: done, reply \"pong\", socket closed\n"
                  "loop_mock_state_machine: peer resets: failed with -ECONNRESET, socket closed\n"
                  "loop_mock_state_machine: peer silent: timed out after 2 s of virtual time, socket closed\n"
                  "loop_mock_state_machine: fds balanced, nothing left in the mock\n",
                  false);
}

TEST_CASE("example: loop_echo") {
    check_example("loop_echo",
                  "loop_echo: 3 clients, 15 messages echoed byte for byte on 127.0.0.1, every socket closed\n");
}

} // TEST_SUITE
