/* SPDX-License-Identifier: MIT */
/* cli/bootent.c: choosing a Boot Loader Specification entry for baton load --bls. */
#ifndef BATON_CLI_BOOTENT_H
#define BATON_CLI_BOOTENT_H

#include "bls/bls.h"
#include "cli/system.h"

struct bls_pick {
	int quiet;			/* in: no warnings about unreadable entries */
	struct bls_entry entry;		/* out: the entry chosen */
	char *text;			/* its text (entry's strings point into it) */
	char *kernel;			/* its files as paths on this system (under --root) */
	char *initrd[BLS_INITRD_MAX];
	unsigned n_initrd;
	char *dtb;
	char where[600];		/* the entry's file */
	char err[300];			/* on failure: one line */
};

/* The entry named want (its id, or its file name without .conf), or the first
 * in the specification's order among those for x64 with a linux line. 0, or
 * -1 with p->err. */
int bls_pick(struct bls_pick *p, const struct sys_ctx *s, const char *want);
void bls_pick_free(struct bls_pick *p);

#endif
