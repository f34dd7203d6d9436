/* SPDX-License-Identifier: MIT */
/* Host tests' file helpers (cmocka asserts inside): one copy for every suite. */
#ifndef BATON_HOSTFILE_H
#define BATON_HOSTFILE_H

#include <stddef.h>
#include <stdint.h>

/* The whole file in a malloc'd block of exactly its length; NULL if it cannot
 * be opened. An empty or unreadable file fails the test. */
uint8_t *host_read_file(const char *path, uint64_t *len);

/* The kernel every test uses, as mk/vmlinuz.sh chooses it (the image package
 * linux-image-amd64 depends on), read whole; its path into path. Never NULL:
 * when there is no such kernel the test fails with the script's one-line reason. */
uint8_t *host_read_kernel(char *path, size_t pathlen, uint64_t *len);

#endif
