// SPDX-License-Identifier: MIT
// memset, memcpy, memmove and memcmp for a program without a C library (-ffreestanding -nostdlib).
//
// GCC and Clang may call these four even in freestanding code, and document that the
// environment must provide them: to zero or copy a large object (`abi::io_uring_params p{}`, a
// struct copy), and for __builtin_memset/__builtin_memcpy whose size is not a constant
// (ring::copy_cqes). Compile this file into such a program, and only there: next to a C library
// it would clash with the library's own definitions. Meson builds it, with the raw backend only,
// as the library rawring-freestanding (dependency('rawring-freestanding'), which adds -lgcc).
// They are plain loops, correct rather than fast; a program that moves a lot of memory should
// bring tuned ones.
#include <cstddef>
#include <cstdint>

namespace {

// An empty asm that the compiler must assume reads and writes memory. Inside the loops below it
// stops the compiler from recognising them as memset/memcpy and compiling them into calls to
// the very functions they implement.
inline void opaque() noexcept { asm volatile("" ::: "memory"); }

} // namespace

extern "C" {

void* memset(void* dst, int c, std::size_t n) noexcept {
    auto* d = static_cast<unsigned char*>(dst);
    for (std::size_t i = 0; i < n; ++i) {
        d[i] = static_cast<unsigned char>(c);
        opaque();
    }
    return dst;
}

void* memcpy(void* dst, const void* src, std::size_t n) noexcept {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    for (std::size_t i = 0; i < n; ++i) {
        d[i] = s[i];
        opaque();
    }
    return dst;
}

void* memmove(void* dst, const void* src, std::size_t n) noexcept {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    // Copy forwards when the destination starts below the source, else backwards, so an overlap
    // never overwrites bytes not yet copied.
    if (reinterpret_cast<std::uintptr_t>(d) < reinterpret_cast<std::uintptr_t>(s)) {
        for (std::size_t i = 0; i < n; ++i) {
            d[i] = s[i];
            opaque();
        }
    } else {
        for (std::size_t i = n; i > 0; --i) {
            d[i - 1] = s[i - 1];
            opaque();
        }
    }
    return dst;
}

int memcmp(const void* a, const void* b, std::size_t n) noexcept {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (std::size_t i = 0; i < n; ++i) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
        opaque();
    }
    return 0;
}

} // extern "C"
