// SPDX-License-Identifier: MIT
// baseline-cat FILE...: cat written the ordinary way, a read(2) / write(2) loop with a 128 KiB
// buffer. tools/example-bench.py times it against examples/cat.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    static char buf[128 * 1024];
    for (int i = 1; i < argc; ++i) {
        const int fd = ::open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::fprintf(stderr, "baseline-cat: %s: %s\n", argv[i], std::strerror(errno));
            return 1;
        }
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                std::fprintf(stderr, "baseline-cat: read: %s\n", std::strerror(errno));
                return 1;
            }
            if (n == 0) break;
            for (ssize_t done = 0; done < n;) {
                const ssize_t w = ::write(1, buf + done, static_cast<std::size_t>(n - done));
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) {
                    std::fprintf(stderr, "baseline-cat: write: %s\n", std::strerror(errno));
                    return 1;
                }
                done += w;
            }
        }
        ::close(fd);
    }
    return 0;
}
