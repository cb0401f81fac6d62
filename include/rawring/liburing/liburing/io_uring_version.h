/* SPDX-License-Identifier: MIT */
/* rawring's liburing face: the liburing release whose API it offers. */
#ifndef LIBURING_VERSION_H
#define LIBURING_VERSION_H

#define IO_URING_VERSION_MAJOR 2
#define IO_URING_VERSION_MINOR 15

#endif /* LIBURING_VERSION_H */
