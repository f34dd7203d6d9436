/* SPDX-License-Identifier: MIT */
/* cli/load.c: baton load, and opening /dev/baton for every command. */
#ifndef BATON_CLI_LOAD_H
#define BATON_CLI_LOAD_H

#include "cli/cli.h"

/* baton load: an EX_* status, every failure told in one "baton: " line. */
int cli_load(const struct cli_args *a);

/* open(device, flags); on failure -1 with the line printed and *code an EX_*. */
int cli_open_hook(const char *device, int flags, int *code);

#endif
