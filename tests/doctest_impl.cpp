// SPDX-License-Identifier: MIT
// doctest's implementation, compiled once for every test executable: it is the heaviest
// translation unit of the suite (about 30 s under the sanitizers), and each main
// (tests/main.cpp, tests/mock_main.cpp) only needs its declarations.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
