/* SPDX-License-Identifier: MIT */
/*
 * The face side of the liburing ABI check, in C that is also C++: la_face_facts() passes
 * every fact of liburing_abi_list.h, as the compiler at hand lays out and spells the
 * liburing face, to la_put(kind, name, value), which the includer defines first.
 * Needs <liburing/compat.h>, <liburing/io_uring.h> and <liburing/io_uring_version.h>.
 */
#ifndef RAWRING_TESTS_LIBURING_ABI_FACE_H
#define RAWRING_TESTS_LIBURING_ABI_FACE_H

#include <string.h>

#define LA_STR(x) #x
#define LA_XSTR(x) LA_STR(x)

/* Byte offset of p inside o */
#define LA_OFF(o, p) ((unsigned long long)((const char *)(p) - (const char *)&(o)))
/* 1 if x has a signed type (scalars only) */
#define LA_SIGNED(x) ((unsigned long long)((__typeof__(x))-1 < (__typeof__(x))1))

/* A constant: its value, and 1 if it is a macro (a macro's name does not survive
 * expansion). Each LA_ constant macro below spells this out itself: passed on through
 * another macro, the name would arrive expanded. */
static void la_const(const char *name, const char *expansion, unsigned long long value)
{
	la_put("value", name, value);
	la_put("macro", name, strcmp(name, expansion) != 0);
}

#define LA_STRUCT(cs, as)                                                                      \
	{                                                                                      \
		la_put("size", #cs, sizeof(struct cs));                                        \
		la_put("align", #cs, __alignof__(struct cs));                                  \
	}
#define LA_SCALAR(cs, as, cm, aexpr)                                                           \
	{                                                                                      \
		static struct cs o;                                                            \
		la_put("offset", #cs "." #cm, LA_OFF(o, &o.cm));                               \
		la_put("size", #cs "." #cm, sizeof(o.cm));                                     \
		la_put("signed", #cs "." #cm, LA_SIGNED(o.cm));                                \
	}
#define LA_FIELD(cs, as, cm, aexpr)                                                            \
	{                                                                                      \
		static struct cs o;                                                            \
		la_put("offset", #cs "." #cm, LA_OFF(o, &o.cm));                               \
		la_put("size", #cs "." #cm, sizeof(o.cm));                                     \
	}
#define LA_TAIL(cs, as, cm, aptr)                                                              \
	{                                                                                      \
		static struct cs o;                                                            \
		la_put("offset", #cs "." #cm, LA_OFF(o, o.cm));                                \
		la_put("esize", #cs "." #cm, sizeof(o.cm[0]));                                 \
	}
#define LA_LIT(cs, cm, off, size) LA_FIELD(cs, cs, cm, o.cm)
#define LA_MACRO(n) la_const(#n, LA_XSTR(n), (unsigned long long)(n));
#define LA_ENUM(n) la_const(#n, LA_XSTR(n), (unsigned long long)(n));
#define LA_MACRO_AS(n, aexpr) la_const(#n, LA_XSTR(n), (unsigned long long)(n));
#define LA_ENUM_AS(n, aexpr) la_const(#n, LA_XSTR(n), (unsigned long long)(n));

static void la_face_facts(void)
{
#include "liburing_abi_list.h"
}

#undef LA_STRUCT
#undef LA_SCALAR
#undef LA_FIELD
#undef LA_TAIL
#undef LA_LIT
#undef LA_MACRO
#undef LA_ENUM
#undef LA_MACRO_AS
#undef LA_ENUM_AS

#endif /* RAWRING_TESTS_LIBURING_ABI_FACE_H */
