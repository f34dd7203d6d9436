/* SPDX-License-Identifier: MIT */
/* loader.conf's `default` globs: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`. */
#include "efi/baton_efi.h"

/* The bracket expression at *pp against c; *pp left after its ']'. -1: not a
 * closed bracket (then '[' is an ordinary character). */
static int bracket(const char **pp, char c)
{
	const char *p = *pp + 1;
	int neg = 0, hit = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	for (int first = 1; *p && (first || *p != ']'); first = 0, p++) {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			if (c >= p[0] && c <= p[2])
				hit = 1;
			p += 2;
		} else if (*p == c) {
			hit = 1;
		}
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != neg;
}

int efi_glob(const char *pat, const char *name)
{
	const char *star = 0, *resume = 0;

	while (*name) {
		if (*pat == '*') {
			star = ++pat;
			resume = name;
			continue;
		}
		if (*pat == '[') {
			const char *q = pat;
			int m = bracket(&q, *name);

			if (m == 1) {
				pat = q;
				name++;
				continue;
			}
			if (m == 0)
				goto back;
		}
		if (*pat && (*pat == '?' || *pat == *name)) {
			pat++;
			name++;
			continue;
		}
back:
		if (!star)
			return 0;
		pat = star;
		name = ++resume;
	}
	while (*pat == '*')
		pat++;
	return *pat == 0;
}
