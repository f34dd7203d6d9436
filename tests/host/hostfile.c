/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/host/hostfile.h"

uint8_t *host_read_file(const char *path, uint64_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (uint64_t)n;
	return p;
}

uint8_t *host_read_kernel(char *path, size_t pathlen, uint64_t *len)
{
	uint8_t *p = NULL;
	glob_t g;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0)
		return NULL;
	for (size_t i = 0; i < g.gl_pathc && !p; i++)
		if ((p = host_read_file(g.gl_pathv[i], len)))
			snprintf(path, pathlen, "%s", g.gl_pathv[i]);
	globfree(&g);
	return p;
}
