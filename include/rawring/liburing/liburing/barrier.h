/* SPDX-License-Identifier: MIT */
/*
 * rawring's liburing face: liburing's memory-ordering helpers for the words shared with
 * the kernel. C++ (11 and later): function templates over std::atomic. C11: <stdatomic.h>.
 * C99: the GCC/Clang __atomic builtins, which <stdatomic.h> wraps anyway.
 *
 *   IO_URING_WRITE_ONCE(var, val)          relaxed store
 *   IO_URING_READ_ONCE(var)                relaxed load
 *   io_uring_smp_store_release(p, v)       store-release through a pointer
 *   io_uring_smp_load_acquire(p)           load-acquire through a pointer
 *   io_uring_smp_mb()                      sequentially consistent fence
 */
#ifndef LIBURING_BARRIER_H
#define LIBURING_BARRIER_H

#ifdef __cplusplus
#include <atomic>

namespace rawring_liburing_detail {
/* Keeps the value parameter out of template argument deduction, so that a store of 0 into
 * an unsigned word deduces T from the word alone. */
template <typename T>
struct same {
	typedef T type;
};
} /* namespace rawring_liburing_detail */

/* The casts below view a plain word as std::atomic<T>, as liburing does: that is only sound
 * while the two have one size and alignment and the atomic needs no lock. */
#define RAWRING_LIBURING_ATOMIC_CHECK(T)                                                     \
	static_assert(sizeof(std::atomic<T>) == sizeof(T) &&                                 \
			      alignof(std::atomic<T>) == alignof(T),                         \
		      "std::atomic<T> must be layout-compatible with T")

template <typename T>
inline void IO_URING_WRITE_ONCE(T &var, typename rawring_liburing_detail::same<T>::type val)
{
	RAWRING_LIBURING_ATOMIC_CHECK(T);
	std::atomic_store_explicit(reinterpret_cast<std::atomic<T> *>(&var), val,
				   std::memory_order_relaxed);
}

template <typename T>
inline T IO_URING_READ_ONCE(const T &var)
{
	RAWRING_LIBURING_ATOMIC_CHECK(T);
	return std::atomic_load_explicit(reinterpret_cast<const std::atomic<T> *>(&var),
					 std::memory_order_relaxed);
}

template <typename T>
inline void io_uring_smp_store_release(T *p, typename rawring_liburing_detail::same<T>::type v)
{
	RAWRING_LIBURING_ATOMIC_CHECK(T);
	std::atomic_store_explicit(reinterpret_cast<std::atomic<T> *>(p), v,
				   std::memory_order_release);
}

template <typename T>
inline T io_uring_smp_load_acquire(const T *p)
{
	RAWRING_LIBURING_ATOMIC_CHECK(T);
	return std::atomic_load_explicit(reinterpret_cast<const std::atomic<T> *>(p),
					 std::memory_order_acquire);
}

inline void io_uring_smp_mb()
{
	std::atomic_thread_fence(std::memory_order_seq_cst);
}

#undef RAWRING_LIBURING_ATOMIC_CHECK

#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>

#define IO_URING_WRITE_ONCE(var, val)                                                        \
	atomic_store_explicit((_Atomic __typeof__(var) *)&(var), (val), memory_order_relaxed)
#define IO_URING_READ_ONCE(var)                                                              \
	atomic_load_explicit((_Atomic __typeof__(var) *)&(var), memory_order_relaxed)

#define io_uring_smp_store_release(p, v)                                                     \
	atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_release)
#define io_uring_smp_load_acquire(p)                                                         \
	atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), memory_order_acquire)

#define io_uring_smp_mb() atomic_thread_fence(memory_order_seq_cst)

#else /* C before C11: the same operations as GCC and Clang builtins */

#define IO_URING_WRITE_ONCE(var, val) __atomic_store_n(&(var), (val), __ATOMIC_RELAXED)
#define IO_URING_READ_ONCE(var) __atomic_load_n(&(var), __ATOMIC_RELAXED)

#define io_uring_smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define io_uring_smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

#define io_uring_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif

#endif /* LIBURING_BARRIER_H */
