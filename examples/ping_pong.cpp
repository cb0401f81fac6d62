// SPDX-License-Identifier: MIT
// ping_pong: two coroutines play ping-pong over a socketpair, on one thread
// (rawring::co over rawring::loop).
//
// Usage: ping_pong [ROUNDS]   (default 1000)
//
// What it shows: two coroutines that each block on the other, with no thread between them.
// `ping` sends "ping N" and awaits "pong N"; `pong` awaits a ping and answers it. Each
// co_await co::recv / co::send is one IORING_OP_RECV / IORING_OP_SEND; while one side waits
// for its recv, the loop runs the other. when_all starts both and resumes main when both are
// done. A stream socket has no message boundaries, so each message is a fixed 24 bytes and
// is read with recv_exact (recv until all 24 are in).
#include "coro_common.hpp"

namespace {

namespace co = rawring::co;
using example::fail;

constexpr std::size_t msg_size = 24;

void format(char (&m)[msg_size], const char* word, long round) {
    std::memset(m, 0, sizeof m);
    std::snprintf(m, sizeof m, "%.4s %u", word, static_cast<unsigned>(round));
}

/// Sends `rounds` pings and checks each pong: the rounds played, or -errno (-EPROTO: a wrong
/// answer).
co::task<int> ping(rawring::loop& l, int fd, long rounds) {
    char out[msg_size], in[msg_size], want[msg_size];
    for (long i = 1; i <= rounds; ++i) {
        format(out, "ping", i);
        if (int r = co_await example::send_all(l, fd, out, sizeof out); r < 0) co_return r;
        const int r = co_await example::recv_exact(l, fd, in, sizeof in);
        if (r <= 0) co_return r < 0 ? r : -EPROTO;
        format(want, "pong", i);
        if (std::memcmp(in, want, sizeof in) != 0) co_return -EPROTO;
    }
    co_await co::close(l, fd);  // pong sees the end of the stream
    co_return static_cast<int>(rounds);
}

/// Answers every ping until the stream ends: the pings answered, or -errno.
co::task<int> pong(rawring::loop& l, int fd) {
    char in[msg_size], out[msg_size], want[msg_size];
    int answered = 0;
    for (;;) {
        const int r = co_await example::recv_exact(l, fd, in, sizeof in);
        if (r < 0) co_return r;
        if (r == 0) break;
        format(want, "ping", answered + 1);
        if (std::memcmp(in, want, sizeof in) != 0) co_return -EPROTO;
        format(out, "pong", ++answered);
        if (int w = co_await example::send_all(l, fd, out, sizeof out); w < 0) co_return w;
    }
    co_await co::close(l, fd);
    co_return answered;
}

co::task<int> game(rawring::loop& l, int a, int b, long rounds) {
    auto [pinged, ponged] = co_await co::when_all(ping(l, a, rounds), pong(l, b));
    if (pinged < 0) co_return pinged;
    if (ponged < 0) co_return ponged;
    co_return pinged == ponged ? pinged : -EPROTO;
}

} // namespace

int main(int argc, char** argv) {
    long rounds = 1000;
    if (argc > 2 || (argc == 2 && (rounds = example::number_arg(argv[1], 1, 1'000'000'000)) < 0)) {
        std::fprintf(stderr, "usage: ping_pong [ROUNDS]\n");
        return 2;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail("ping_pong", "socketpair", -errno);
    rawring::loop l;
    if (int ret = example::init_loop(l, 16); ret != 0) return ret;
    const int r = example::run_bounded(l, game(l, sv[0], sv[1], rounds));  // both ends are closed by the game
    if (r < 0) return fail("ping_pong", "game", r);
    std::printf("ping_pong: %d round trips over a socketpair between two coroutines, every message checked\n", r);
    return 0;
}
