/* SPDX-License-Identifier: MIT */
/*
 * newlib's string formatting references its allocator for buffers it grows; the
 * loader only formats into fixed buffers, so these are never reached. Defining
 * them keeps newlib's malloc (and its relocated data) out of the blob.
 */
#include <stddef.h>
#include "loader/loader.h"

struct _reent;
void *_malloc_r(struct _reent *r, size_t n);
void *_realloc_r(struct _reent *r, void *p, size_t n);
void _free_r(struct _reent *r, void *p);

void *_malloc_r(struct _reent *r, size_t n)
{
	(void)r;
	panic("libc", "malloc(%lu) called in the loader", (unsigned long)n);
}

void *_realloc_r(struct _reent *r, void *p, size_t n)
{
	(void)r;
	(void)p;
	panic("libc", "realloc(%lu) called in the loader", (unsigned long)n);
}

void _free_r(struct _reent *r, void *p)
{
	(void)r;
	(void)p;
}
