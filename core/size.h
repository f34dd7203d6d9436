/* SPDX-License-Identifier: MIT */
/*
 * Attributes for the blob's size. Where gcc optimises for size (-Os, -Oz: the
 * blob's objects, LOADER_CFLAGS in loader/build.mk), a function marked
 * SIZE_NOINLINE stays one call where inlining would have copied it into its
 * callers for no gain in bytes; the host's -O2 builds (the tests, the fuzzers)
 * inline as before. Each use was measured on build/loader.bin (issue 10, "Size").
 */
#ifndef BATON_CORE_SIZE_H
#define BATON_CORE_SIZE_H

#ifdef __OPTIMIZE_SIZE__
#define SIZE_NOINLINE	__attribute__((noinline))
#else
#define SIZE_NOINLINE
#endif

#endif
