// SPDX-License-Identifier: MIT
// Replaces the global operator new and delete of the test program that includes this header
// (include it from exactly one file of a program) with versions that count every allocation in
// rawring_test::new_calls, for the cases that check a path allocates nothing.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace rawring_test {
/// Calls of any operator new since the program started.
inline std::atomic<unsigned long> new_calls{0};
} // namespace rawring_test

void* operator new(std::size_t n) {
    rawring_test::new_calls.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n != 0 ? n : 1)) return p;
    std::abort();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    rawring_test::new_calls.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n != 0 ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
