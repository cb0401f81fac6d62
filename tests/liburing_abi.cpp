// SPDX-License-Identifier: MIT
// liburing-abi: rawring's liburing face (liburing/io_uring.h, compat.h) against rawring::abi.
//
// Every fact of liburing_abi_list.h (struct sizes and alignments, member offsets, sizes and
// signedness, constant values, which constants are macros) is taken twice in this one C++20
// program: from rawring::abi, and from the face as C++ lays it out. Exit 1, naming each
// difference, if the two disagree. With --print, print rawring::abi's facts instead, one
// "kind name value" line each, for liburing_abi_check.py to hold the face compiled as C
// (and as older C++) against.
//
// The trap: once <liburing/io_uring.h> is in, IORING_SETUP_SQPOLL and the other macros would
// rewrite the tokens of rawring::abi::IORING_SETUP_SQPOLL. So rawring::abi's side is taken
// first, in pass 1, and the liburing headers are included only after it.

#include "rawring/abi.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace {

struct fact {
    std::string key; // "kind name"
    unsigned long long value;
};

std::vector<fact> abi_side;
std::vector<fact> face_side;

std::string key_of(const char* kind, const char* name)
{
    return std::string(kind) + ' ' + name;
}

unsigned long long offset_in(const void* base, const void* member)
{
    return static_cast<unsigned long long>(static_cast<const char*>(member) -
                                           static_cast<const char*>(base));
}

template <class T>
unsigned long long signedness(const T&)
{
    return std::is_signed<T>::value ? 1 : 0;
}

void abi_put(const char* kind, const char* name, unsigned long long value)
{
    abi_side.push_back({key_of(kind, name), value});
}

// ---- Pass 1: rawring::abi, before any liburing header is seen ----

void abi_facts()
{
    // For the LA_*_AS expressions, which name abi constants unqualified.
    using namespace rawring::abi;

#define LA_STRUCT(cs, as)                                                                          \
    {                                                                                              \
        abi_put("size", #cs, sizeof(rawring::abi::as));                                            \
        abi_put("align", #cs, alignof(rawring::abi::as));                                          \
    }
#define LA_SCALAR(cs, as, cm, aexpr)                                                               \
    {                                                                                              \
        const rawring::abi::as o{};                                                                \
        abi_put("offset", #cs "." #cm, offset_in(&o, &(aexpr)));                                   \
        abi_put("size", #cs "." #cm, sizeof(aexpr));                                               \
        abi_put("signed", #cs "." #cm, signedness(aexpr));                                         \
    }
#define LA_FIELD(cs, as, cm, aexpr)                                                                \
    {                                                                                              \
        const rawring::abi::as o{};                                                                \
        abi_put("offset", #cs "." #cm, offset_in(&o, &(aexpr)));                                   \
        abi_put("size", #cs "." #cm, sizeof(aexpr));                                               \
    }
#define LA_TAIL(cs, as, cm, aptr)                                                                  \
    {                                                                                              \
        const rawring::abi::as o{};                                                                \
        abi_put("offset", #cs "." #cm, offset_in(&o, aptr));                                       \
        abi_put("esize", #cs "." #cm, sizeof(*(aptr)));                                            \
    }
#define LA_LIT(cs, cm, off, size)                                                                  \
    {                                                                                              \
        abi_put("offset", #cs "." #cm, off);                                                       \
        abi_put("size", #cs "." #cm, size);                                                        \
    }
#define LA_MACRO_AS(n, aexpr)                                                                      \
    {                                                                                              \
        abi_put("value", #n, static_cast<unsigned long long>(aexpr));                              \
        abi_put("macro", #n, 1);                                                                   \
    }
#define LA_ENUM_AS(n, aexpr)                                                                       \
    {                                                                                              \
        abi_put("value", #n, static_cast<unsigned long long>(aexpr));                              \
        abi_put("macro", #n, 0);                                                                   \
    }
#define LA_MACRO(n) LA_MACRO_AS(n, rawring::abi::n)
#define LA_ENUM(n) LA_ENUM_AS(n, rawring::abi::n)

#include "liburing_abi_list.h"

#undef LA_STRUCT
#undef LA_SCALAR
#undef LA_FIELD
#undef LA_TAIL
#undef LA_LIT
#undef LA_MACRO_AS
#undef LA_ENUM_AS
#undef LA_MACRO
#undef LA_ENUM
}

void face_put(const char* kind, const char* name, unsigned long long value)
{
    face_side.push_back({key_of(kind, name), value});
}

} // namespace

// ---- Pass 2: the face, as C++20 lays it out ----

#include <liburing/compat.h>
#include <liburing/io_uring.h>
#include <liburing/barrier.h>
#include <liburing/io_uring_version.h>

namespace {

// liburing_abi_face.h calls la_put, as the C probe does.
void la_put(const char* kind, const char* name, unsigned long long value)
{
    face_put(kind, name, value);
}

} // namespace

#include "liburing_abi_face.h"

namespace {

int print_abi()
{
    for (const fact& f : abi_side)
        std::printf("%s %llu\n", f.key.c_str(), f.value);
    return 0;
}

int compare()
{
    la_face_facts();
    int bad = 0;
    if (abi_side.size() != face_side.size()) {
        std::fprintf(stderr, "liburing-abi: %zu facts from rawring::abi, %zu from the face\n",
                     abi_side.size(), face_side.size());
        return 1;
    }
    for (std::size_t i = 0; i < abi_side.size(); ++i) {
        const fact& a = abi_side[i];
        const fact& f = face_side[i];
        if (a.key != f.key) {
            std::fprintf(stderr, "liburing-abi: fact %zu is \"%s\" for rawring::abi but \"%s\" "
                         "for the face\n", i, a.key.c_str(), f.key.c_str());
            return 1;
        }
        if (a.value != f.value) {
            std::fprintf(stderr, "MISMATCH %s: rawring::abi %llu, liburing face %llu\n",
                         a.key.c_str(), a.value, f.value);
            ++bad;
        }
    }
    std::printf("liburing-abi: %zu facts compared, %d mismatched\n", abi_side.size(), bad);
    return bad == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    abi_facts();
    if (argc == 2 && std::strcmp(argv[1], "--print") == 0)
        return print_abi();
    if (argc != 1) {
        std::fprintf(stderr, "usage: liburing-abi [--print]\n");
        return 2;
    }
    return compare();
}
