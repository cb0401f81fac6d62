// SPDX-License-Identifier: MIT
// The one main every test executable shares: doctest's own, plus exit code 77 (Meson's
// "skipped") for a kernel-suite binary on a machine where io_uring cannot be set up.
// doctest's implementation is tests/doctest_impl.cpp, compiled once.
#include <doctest/doctest.h>

#include "common.hpp"

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) return result;  // --help, --list-test-cases, ...
#ifdef RAWRING_TEST_NEEDS_KERNEL
    if (result == 0 && !rawring_test::io_uring_available()) return 77;
#endif
    return result;
}
