// SPDX-License-Identifier: MIT
// example: <name>: runs each program of examples/ (its path in RAWRING_EXAMPLE_<name>, set by
// tests/meson.build), bounded in time, and checks its exit status and every byte it printed.
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "common.hpp"

extern char** environ;

namespace {

/// How a child ended and what it printed.
struct outcome {
    bool started = false;
    bool timed_out = false;
    int exit_code = -1;  // -1: killed by a signal (see signal)
    int signal = 0;
    std::string out, err;
};

/// Runs `path` with no arguments, its stdout and stderr captured. After `seconds` it is killed
/// (SIGKILL) and the outcome says timed_out.
outcome run_program(const std::string& path, int seconds = 20) {
    outcome o;
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return o;
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return o;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        o.err = std::string("posix_spawn: ") + std::strerror(rc);
        return o;
    }
    o.started = true;

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sink[2] = {&o.out, &o.err};
    int open_pipes = 2;
    while (open_pipes > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            o.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        const int n = ::poll(fds, 2, static_cast<int>(left));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            char buf[4096];
            const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                sink[i]->append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;  // poll ignores negative fds
                --open_pipes;
            }
        }
    }
    for (const pollfd& p : fds)
        if (p.fd >= 0) ::close(p.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    return o;
}

/// Runs example `name` and checks that it exits 0 printing exactly `expected` on stdout and
/// nothing on stderr. Exit 77 (io_uring or an opcode missing) is a SKIP, unless `may_skip` is
/// false (the mock example must run everywhere).
void check_example(const std::string& name, const std::string& expected, bool may_skip = true) {
    const std::string var = "RAWRING_EXAMPLE_" + name;
    // meson test names each example's path; run directly (as tools/kernel-test does in QEMU),
    // the example is where the build puts it: BUILD/examples/NAME beside BUILD/tests/.
    std::string path;
    if (const char* from_env = std::getenv(var.c_str())) {
        path = from_env;
        REQUIRE_MESSAGE(::access(path.c_str(), X_OK) == 0, var << " names " << path << ", which is not there");
    } else {
        std::error_code ec;
        const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
        path = (self.parent_path().parent_path() / "examples" / name).string();
        if (::access(path.c_str(), X_OK) != 0) {
            // Copied elsewhere without the examples (tools/kernel-test's guest has only the
            // test executables): nothing to run here.
            RAWRING_SKIP(name << ": " << var << " is not set and " << path << " is not there");
            return;
        }
    }
    INFO("example ", name, " at ", path);
    const outcome o = run_program(path);
    if (o.exit_code == 77 && may_skip) {
        // Skipped (io_uring or an opcode missing): say why, as the example did on its first
        // line ("SKIP: ..."), and assert nothing.
        const std::string line = o.out.substr(0, o.out.find('\n'));
        RAWRING_SKIP(name << ": " << (line.rfind("SKIP: ", 0) == 0 ? line.substr(6) : "exited 77, no reason printed"));
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
