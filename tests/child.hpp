// SPDX-License-Identifier: MIT
// Runs a program as a child process, bounded in time, and captures what it printed: for the
// `example:` tests (tests/examples.cpp, tests/examples_server.cpp) and any other test of a program.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace rawring_test {

/// How a child ended and what it printed.
struct outcome {
    bool started = false;
    bool timed_out = false;
    int exit_code = -1;  // -1: killed by a signal (see signal)
    int signal = 0;
    std::string out, err;
};

/// Runs `path` with `args` (none by default), its stdout and stderr captured. After `seconds`
/// it is killed (SIGKILL) and the outcome says timed_out.
inline outcome run_program(const std::string& path, int seconds = 20,
                           const std::vector<std::string>& args = {}) {
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
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
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

/// The reason a program that exited 77 gave: its first stdout line that starts with "SKIP: ",
/// without that prefix.
inline std::string skip_reason(const std::string& out) {
    for (std::size_t pos = 0; pos < out.size();) {
        const std::size_t end = out.find('\n', pos);
        const std::string line = out.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (line.rfind("SKIP: ", 0) == 0) return line.substr(6);
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    return "exited 77, no reason printed";
}

/// Where the program of example `name` is: the path in $RAWRING_EXAMPLE_<name> (set by
/// tests/meson.build; `from_env`), else where the build puts it, BUILD/examples/<name> beside
/// BUILD/tests/ (for a test executable run directly, as tools/kernel-test does in QEMU).
struct example_location {
    std::string var;   ///< RAWRING_EXAMPLE_<name>
    std::string path;
    bool from_env = false;
};

inline example_location locate_example(const std::string& name) {
    example_location loc;
    loc.var = "RAWRING_EXAMPLE_" + name;
    if (const char* from_env = std::getenv(loc.var.c_str())) {
        loc.path = from_env;
        loc.from_env = true;
        return loc;
    }
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    loc.path = (self.parent_path().parent_path() / "examples" / name).string();
    return loc;
}

} // namespace rawring_test
