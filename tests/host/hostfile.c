/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/hostfile.h"

#ifndef HOST_VMLINUZ_SH
#error "HOST_VMLINUZ_SH: the absolute path of mk/vmlinuz.sh (tests/host/build.mk)"
#endif

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

/* mk/vmlinuz.sh's one line: the path, or why there is none. */
static int vmlinuz_sh(char *line, size_t linelen)
{
	FILE *f = popen("sh '" HOST_VMLINUZ_SH "' 2>&1", "r");
	int status;

	line[0] = '\0';
	if (!f)
		return -1;
	if (!fgets(line, (int)linelen, f))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	status = pclose(f);
	return status == 0 && line[0] ? 0 : -1;
}

uint8_t *host_read_kernel(char *path, size_t pathlen, uint64_t *len)
{
	uint8_t *p;

	if (vmlinuz_sh(path, pathlen))
		fail_msg("%s", path[0] ? path : "no kernel: mk/vmlinuz.sh printed nothing");
	p = host_read_file(path, len);
	if (!p)
		fail_msg("kernel: %s (linux-image-amd64's default flavour) cannot be read", path);
	print_message("kernel: %s (linux-image-amd64's default flavour)\n", path);
	return p;
}
