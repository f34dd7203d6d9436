/* SPDX-License-Identifier: MIT */
/* baton.efi's own interfaces between its files (efi/README.md). */
#ifndef BATON_EFI_H
#define BATON_EFI_H

#include <stddef.h>

void *efi_pool_alloc(size_t n);
void efi_pool_free(void *p);
__attribute__((noreturn)) void efi_stop(const char *why);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 1 when `name` matches the glob `pat` (`*`, `?`, `[...]`, `[!...]`). */
int efi_glob(const char *pat, const char *name);

#endif
