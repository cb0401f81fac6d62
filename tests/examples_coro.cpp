// SPDX-License-Identifier: MIT
// example: <name> for the coroutine examples (echo, cat, timer ... http_stress; issue 13): each
// program is run as a child process (its path in RAWRING_EXAMPLE_<name>, set by
// tests/meson.build), bounded in time, and its exit status and output are checked; exactly,
// except where a number is inherent (a request rate). cat, linked_cat, echo --serve,
// http_server --serve, http_client and http_stress are also run the way a user runs them.
// Exit 77 is a SKIP with the program's reason. No timing is asserted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <string>
#include <vector>

#include "child.hpp"
#include "common.hpp"

namespace {

using rawring_test::outcome;

// Generous: each program takes well under a second here, but the machine may be loaded.
constexpr int child_seconds = 120;

/// The path of example `name`, or "" (having said SKIP) when it is not there to run.
std::string example_path(const std::string& name) {
    const rawring_test::example_location loc = rawring_test::locate_example(name);
    if (loc.from_env) {
        REQUIRE_MESSAGE(::access(loc.path.c_str(), X_OK) == 0, loc.var << " names " << loc.path << ", which is not there");
    } else if (::access(loc.path.c_str(), X_OK) != 0) {
        RAWRING_SKIP(name << ": " << loc.var << " is not set and " << loc.path << " is not there");
        return "";
    }
    return loc.path;
}

/// Runs example `name` with `args`. Returns false (having said SKIP, or failed the case) when
/// there is nothing more to check; true with `o` filled in when it ran to an exit code other
/// than 77.
bool run_example(const std::string& name, outcome& o, const std::vector<std::string>& args = {}) {
    const std::string path = example_path(name);
    if (path.empty()) return false;
    INFO("example ", name, " at ", path);
    o = rawring_test::run_program(path, child_seconds, args);
    REQUIRE_MESSAGE(o.started, name << " could not be started: " << o.err);
    REQUIRE_MESSAGE(!o.timed_out, name << " did not finish within " << child_seconds << " s and was killed");
    REQUIRE_MESSAGE(o.signal == 0, name << " died of signal " << o.signal << "; stderr: " << o.err);
    if (o.exit_code == 77) {
        RAWRING_SKIP(name << ": " << rawring_test::skip_reason(o.out));
        return false;
    }
    return true;
}

/// Runs example `name` and checks that it exits 0, printing exactly `expected` and nothing on
/// stderr. False when it skipped.
bool check_exact(const std::string& name, const std::string& expected, const std::vector<std::string>& args = {}) {
    outcome o;
    if (!run_example(name, o, args)) return false;
    INFO("stdout: ", o.out);
    INFO("stderr: ", o.err);
    CHECK(o.exit_code == 0);
    CHECK(o.out == expected);
    CHECK(o.err.empty());
    return true;
}

/// A file with given contents, removed at the end of the case.
struct test_file {
    std::string path;
    explicit test_file(const std::string& contents) {
        char p[] = "/var/tmp/rawring-examples-coro-XXXXXX";
        const int fd = ::mkstemp(p);
        REQUIRE(fd >= 0);
        path = p;
        REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
        ::close(fd);
    }
    test_file() {
        char p[] = "/var/tmp/rawring-examples-coro-XXXXXX";
        const int fd = ::mkstemp(p);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = p;
    }
    ~test_file() { ::unlink(path.c_str()); }
    [[nodiscard]] std::string read() const {
        std::ifstream f(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
};

/// Whether `text` is `pattern`, where each '#' in the pattern stands for one or more digits
/// (std::regex is avoided: with g++ 12 and ASan its header trips -Wmaybe-uninitialized).
bool matches(const std::string& pattern, const std::string& text) {
    std::size_t t = 0;
    for (char p : pattern) {
        if (p != '#') {
            if (t == text.size() || text[t] != p) return false;
            ++t;
            continue;
        }
        const std::size_t start = t;
        while (t < text.size() && text[t] >= '0' && text[t] <= '9') ++t;
        if (t == start) return false;
    }
    return t == text.size();
}

std::string binary_pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (char& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

/// A server example started with `--serve 0`: its port (from its "listening on" line), then
/// SIGTERM and its exit status.
struct server_child {
    pid_t pid = -1;
    int out = -1;
    int port = -1;

    bool start(const std::string& path, const std::vector<std::string>& extra = {}) {
        if (path.empty()) return false;  // example_path said SKIP
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        std::vector<std::string> args = {path, "--serve", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(p[1]);
        out = p[0];
        REQUIRE_MESSAGE(rc == 0, "posix_spawn " << path << ": " << std::strerror(rc));
        // Its first line, within the bound.
        std::string line;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(child_seconds);
        while (line.find('\n') == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            REQUIRE_MESSAGE(left > 0, path << " did not say where it listens");
            pollfd pf{out, POLLIN, 0};
            if (::poll(&pf, 1, static_cast<int>(left)) <= 0) continue;
            char c[256];
            const ssize_t n = ::read(out, c, sizeof c);
            if (n <= 0) break;
            line.append(c, static_cast<std::size_t>(n));
        }
        INFO("first line: ", line);
        if (line.rfind("SKIP: ", 0) == 0) {
            RAWRING_SKIP(path << ": " << line.substr(6, line.find('\n') - 6));
            (void)stop();
            return false;
        }
        REQUIRE(matches("listening on 127.0.0.1:#\n", line));
        port = std::stoi(line.substr(std::string("listening on 127.0.0.1:").size()));
        return true;
    }

    /// SIGTERM, then waits (bounded; SIGKILL after it): the exit code, or -1 if it did not exit.
    int stop() {
        if (pid < 0) return -1;
        ::kill(pid, SIGTERM);
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(child_seconds);
        pid_t r = 0;
        while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
            ::usleep(10'000);
        if (r == 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            status = -1;
        }
        pid = -1;
        ::close(out);
        out = -1;
        if (status == -1 || !WIFEXITED(status)) return -1;
        return WEXITSTATUS(status);
    }
    ~server_child() {
        if (pid >= 0) (void)stop();
    }
};

/// A blocking client socket connected to 127.0.0.1:port, with 30 s send and receive timeouts.
int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

/// Receives exactly n bytes (or fewer, if the peer closed or the timeout ran out).
std::string recv_n(int fd, std::size_t n) {
    std::string s;
    char buf[4096];
    while (s.size() < n) {
        const ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - s.size()), 0);
        if (got <= 0) break;
        s.append(buf, static_cast<std::size_t>(got));
    }
    return s;
}

} // namespace

TEST_SUITE("kernel") {

TEST_CASE("example: echo") {
    if (!check_exact("echo", "echo: 4 clients, 40 messages, 1304000 bytes echoed byte for byte (accept -> read -> "
                             "write, a coroutine per connection)\n"))
        return;
    // As a server: two clients at once, each message echoed; SIGTERM with a client still
    // connected ends it with status 0.
    server_child s;
    if (!s.start(example_path("echo"))) return;
    const int a = connect_to(s.port), b = connect_to(s.port);
    for (unsigned i = 0; i < 20; ++i) {
        const std::string msg = binary_pattern(1 + i * 97, i);
        const int fd = i % 2 == 0 ? a : b;
        REQUIRE(::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(msg.size()));
        CHECK(recv_n(fd, msg.size()) == msg);
    }
    ::close(a);
    CHECK(s.stop() == 0);
    ::close(b);
}

TEST_CASE("example: cat") {
    if (!check_exact("cat", "cat: 3 files (0, 1048593 and 3000 bytes) copied in order into one, every byte checked; "
                            "2 reads of 128 KiB in flight into registered buffers, each batch written while the next "
                            "is read\n"))
        return;
    // cat FILE...: the files back to back on stdout (one of them bigger than two batches of reads).
    const test_file a("first file\n"), b(binary_pattern(2'500'001, 3)), empty(""), c("last\n");
    outcome o;
    REQUIRE(run_example("cat", o, {a.path, b.path, empty.path, c.path}));
    CHECK(o.exit_code == 0);
    CHECK(o.err.empty());
    CHECK(o.out.size() == 11 + 2'500'001 + 5);
    CHECK(o.out == a.read() + b.read() + c.read());
    // A file that is not there: cat(1)'s message and status 1.
    REQUIRE(run_example("cat", o, {a.path, "/nonexistent/rawring-cat"}));
    CHECK(o.exit_code == 1);
    CHECK(o.out == "first file\n");
    CHECK(o.err == "cat: /nonexistent/rawring-cat: No such file or directory\n");
}

TEST_CASE("example: timer") {
    check_exact("timer", "timer: 3 sleeps started at once (60, 20, 40 ms) woke in order 20 40 60 ms, none early\n"
                         "timer: 5 ticks of sleep_until every 10 ms on absolute deadlines, none early\n");
}

TEST_CASE("example: ping_pong") {
    check_exact("ping_pong", "ping_pong: 1000 round trips over a socketpair between two coroutines, every message "
                             "checked\n");
    check_exact("ping_pong", "ping_pong: 7 round trips over a socketpair between two coroutines, every message "
                             "checked\n", {"7"});
}

TEST_CASE("example: concurrent_reads") {
    check_exact("concurrent_reads", "concurrent_reads: 100 reads in flight at once (when_all over 100 coroutines), "
                                    "409600 bytes, every block checked\n");
}

TEST_CASE("example: tee") {
    check_exact("tee", "tee: 1048576 bytes read once and written to 3 files at once (when_all of 3 writes per 64 KiB "
                       "chunk), every copy checked\n");
}

TEST_CASE("example: timeout_race") {
    check_exact("timeout_race",
                "timeout_race: recv with nothing to read, linked timeout 50 ms: -ETIME\n"
                "timeout_race: recv with 5 bytes waiting, linked timeout 5 s: 5 bytes\n"
                "timeout_race: when_any(recv, sleep 50 ms): the sleep won; the recv was cancelled, its frame kept "
                "until its CQE\n"
                "timeout_race: the 5 bytes sent after the race all arrived: the cancelled recv took none\n"
                "timeout_race: a task of several recvs (10 bytes wanted, 4 sent) bounded by 100 ms: -ETIME\n");
}

TEST_CASE("example: http_server") {
    if (!check_exact("http_server", "http_server: 4 keep-alive connections, 100 requests (20 of them pipelined), "
                                    "every response checked byte for byte\n"))
        return;
    // As a server, driven by the client examples and by hand (two pipelined requests, then an
    // idle connection left open across SIGTERM).
    server_child s;
    if (!s.start(example_path("http_server"))) return;
    const std::string port = std::to_string(s.port);
    outcome o;
    if (run_example("http_client", o, {port, "50"})) {
        CHECK(o.exit_code == 0);
        CHECK(o.out == "http_client: 50 responses ok\n");
    }
    if (run_example("http_stress", o, {port, "300", "20"})) {
        INFO("stdout: ", o.out);
        CHECK(o.exit_code == 0);
        CHECK(matches("http_stress: 300 responses ok\n"
                      "http_stress: # requests/s over 20 connections (#.# s)\n",
                      o.out));
    }
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";
    const int fd = connect_to(s.port);
    const std::string two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    REQUIRE(::send(fd, two.data(), two.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(two.size()));
    CHECK(recv_n(fd, 2 * response.size()) == response + response);
    CHECK(s.stop() == 0);
    ::close(fd);
}

TEST_CASE("example: file_server") {
    if (!check_exact("file_server", "file_server: 3 clients x 2 keep-alive requests, each got the 1000003-byte file through "
                               "splice (file -> pipe -> socket), every byte checked\n"))
        return;
    // As a server of a given file.
    const test_file f(binary_pattern(200'003, 8));
    server_child s;
    if (!s.start(example_path("file_server"), {f.path})) return;
    const int fd = connect_to(s.port);
    const std::string rq = "GET / HTTP/1.1\r\n\r\n";
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 200003\r\n\r\n";
    REQUIRE(::send(fd, rq.data(), rq.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(rq.size()));
    CHECK(recv_n(fd, head.size() + 200'003) == head + f.read());
    ::close(fd);
    CHECK(s.stop() == 0);
}

TEST_CASE("example: logger") {
    check_exact("logger", "logger: 3 coroutines logged 150 records at once, each one writev of 5 iovecs (O_APPEND): "
                          "no line torn, each coroutine's lines in order\n"
                          "logger: then 40 records in a single writev of 200 iovecs\n");
}

TEST_CASE("example: sqpoll") {
    // Skips (77) where an SQPOLL ring cannot be set up.
    check_exact("sqpoll", "sqpoll: 64 writes and 64 reads of 4096 bytes queued in the SQ ring and taken by the "
                          "kernel's SQPOLL thread, every byte checked\n");
}

TEST_CASE("example: linked_cat") {
    if (!check_exact("linked_cat", "linked_cat: 1048699 bytes copied as 17 read -> write links (IOSQE_IO_LINK), up to "
                                   "8 in flight, every byte checked\n"))
        return;
    // linked_cat IN OUT, on sizes around the chunk size.
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65536}, std::size_t{65537}, std::size_t{300'000}}) {
        CAPTURE(size);
        const test_file in(binary_pattern(size, 4)), out;
        outcome o;
        REQUIRE(run_example("linked_cat", o, {in.path, out.path}));
        CHECK(o.exit_code == 0);
        CHECK(o.out.empty());
        CHECK(o.err.empty());
        CHECK(out.read() == in.read());
    }
}

TEST_CASE("example: multishot_accept") {
    check_exact("multishot_accept", "multishot_accept: one multishot accept gave 8 connections (co::accept_stream), "
                                    "each greeted by a coroutine of its own; close() ended the stream: -ECANCELED\n");
}

TEST_CASE("example: http_client") {
    check_exact("http_client", "http_client: 100 responses ok\n");
    // Against a server that is not there: a message and status 1, no hang.
    outcome o;
    if (run_example("http_client", o, {"1", "3"})) {
        CHECK(o.exit_code == 1);
        CHECK(o.out.empty());
        CHECK(o.err == "http_client: run: Connection refused\n");
    }
}

TEST_CASE("example: http_stress") {
    outcome o;
    if (!run_example("http_stress", o)) return;
    INFO("stdout: ", o.out);
    INFO("stderr: ", o.err);
    CHECK(o.exit_code == 0);
    CHECK(matches("http_stress: 1000 responses ok\n"
                  "http_stress: # requests/s over 50 connections (#.# s)\n",
                  o.out));
    CHECK(o.err.empty());
}

} // TEST_SUITE
