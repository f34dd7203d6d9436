/* SPDX-License-Identifier: MIT */
/*
 * bls/: Boot Loader Specification Type #1 entries (UAPI.1, "The Boot Loader
 * Specification"): one `loader/entries/NAME.conf` file parsed from a buffer, the
 * specification's sort order, and the version comparison it sorts by (UAPI.10,
 * "Version Format Specification").
 *
 * No OS calls and no allocation: the caller lists the directories, reads each
 * file and keeps its buffer, which bls_parse() edits in place (the entry's
 * strings point into it). Shared by `baton load --bls` (cli/) and the UEFI
 * chainloader.
 */
#ifndef BATON_BLS_H
#define BATON_BLS_H

#include <stddef.h>

#define BLS_NAME_MAX	255	/* a file name, suffix included (the specification's limit) */
#define BLS_INITRD_MAX	32	/* initrd lines one entry may have */
#define BLS_OPTIONS_MAX	4096	/* the joined options, NUL included */

/* bls_parse() errors (0 = a usable entry) */
#define BLS_E_NAME	(-1)	/* not NAME.conf, too long, or a character outside [A-Za-z0-9+-_.] */
#define BLS_E_SYNTAX	(-2)	/* a NUL byte in the text */
#define BLS_E_NO_KERNEL	(-3)	/* neither a linux nor an efi key */
#define BLS_E_TOO_MANY	(-4)	/* more than BLS_INITRD_MAX initrd lines */
#define BLS_E_OPTIONS	(-5)	/* the options joined are longer than BLS_OPTIONS_MAX - 1 */

struct bls_entry {
	/* From the file name: "NAME.conf", NAME possibly ending in "+LEFT[-DONE]"
	 * (boot counting). */
	char name[BLS_NAME_MAX + 1];	/* NAME: what the final sort compares */
	char id[BLS_NAME_MAX + 1];	/* NAME without the boot counting suffix */
	long tries_left;		/* -1: not subject to boot counting */
	long tries_done;
	/* The keys, NULL when absent (the last line wins for single keys). */
	const char *title;
	const char *version;
	const char *machine_id;
	const char *sort_key;
	const char *kernel;		/* the "linux" key (paths: relative to the root of the entry's partition) */
	const char *efi;
	const char *devicetree;
	const char *devicetree_overlay;
	const char *architecture;
	const char *initrd[BLS_INITRD_MAX];	/* every initrd line, in order */
	unsigned n_initrd;
	char options[BLS_OPTIONS_MAX];	/* every options line, joined by one space; "" if none */
};

/*
 * Parse one entry: `file_name` is the file's name (not a path), `text` its
 * `len` bytes in a buffer of at least len + 1 (text[len] becomes a NUL),
 * edited in place and pointed into by *e (keep it). Lines are
 * "KEY VALUE" (spaces or tabs between); "#" lines, blank lines, keys without a
 * value and unknown keys are skipped. 0 or a BLS_E_* code, with one line in
 * err naming what is wrong.
 */
int bls_parse(struct bls_entry *e, const char *file_name, char *text, size_t len,
	      char *err, size_t errlen);

/* 1 when the entry is for this machine: no architecture key, or one equal to
 * `arch` ignoring case (the EFI names: "x64", "IA32", "AA64"...). */
int bls_arch_matches(const struct bls_entry *e, const char *arch);

/* 1 when boot counting marks the entry bad (tries left 0). */
int bls_is_bad(const struct bls_entry *e);

/* The UAPI version comparison: < 0, 0, > 0 as a is older, equal, newer. NULL
 * is the empty string. */
int bls_vercmp(const char *a, const char *b);

/*
 * The specification's order, best first: bad entries last; entries with a
 * sort-key before those without; among those, sort-key then machine-id
 * (increasing, strcmp, absent or empty first) then version (decreasing); the
 * rest and ties by file name (decreasing version order). < 0: a comes first.
 */
int bls_compare(const struct bls_entry *a, const struct bls_entry *b);

/* Sort n entries in place by bls_compare() (stable). */
void bls_sort(struct bls_entry **v, size_t n);

/* 1 when `want` names the entry: its id, or its name with the counter. */
int bls_id_matches(const struct bls_entry *e, const char *want);

#endif
