// SPDX-License-Identifier: MIT
// The language standard rawring needs, checked before any other line of rawring is compiled.
#pragma once

// Every public header includes this one first, before any standard header, so that a build
// below C++20 stops with this one message (through <rawring/rawring.hpp>, the only one; through
// another header, the first) instead of dozens about std::span and concepts. MSVC reports the
// standard in _MSVC_LANG (its __cplusplus stays 199711L without /Zc:__cplusplus). Anything
// past C++17 counts: GCC 10 and Clang 9 give 201709L and 201707L for -std=c++2a.
#if defined(_MSVC_LANG)
#define RAWRING_CPLUSPLUS _MSVC_LANG
#else
#define RAWRING_CPLUSPLUS __cplusplus
#endif
#if RAWRING_CPLUSPLUS <= 201703L
#error "rawring needs C++20 (-std=c++20)"
#endif
