/* SPDX-License-Identifier: MIT */
/*
 * Attributes for the blob's size. Under -Os (the loader: FS_CFLAGS, Makefile)
 * a function marked SIZE_NOINLINE stays one call where gcc's inlining
 * would have copied it into its callers for no gain in bytes; the host's -O2
 * builds (the stage, the tests, make bench) inline as before. Each use was
 * measured on build/loader.bin (issue 10, "Size").
 */
#ifndef BATON_CORE_SIZE_H
#define BATON_CORE_SIZE_H

#ifdef __OPTIMIZE_SIZE__
#define SIZE_NOINLINE	__attribute__((noinline))
#else
#define SIZE_NOINLINE
#endif

#endif
