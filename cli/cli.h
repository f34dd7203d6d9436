/* SPDX-License-Identifier: MIT */
/*
 * cli/: the `baton` command. Pure parts (arguments, the text of /proc/iomem,
 * /sys/firmware/memmap and /proc/cmdline, range collection) live in args.c and
 * parse.c and are tested on the host (tests/host/test_cli.c); system.c reads
 * the running system, load.c writes to /dev/baton, main.c runs the commands.
 */
#ifndef BATON_CLI_H
#define BATON_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <baton/handoff.h>
#include <baton/hook.h>
#include "fmt/bzimage.h"

#ifndef BATON_VERSION_STRING	/* cli/build.mk passes VERSION's */
#define BATON_VERSION_STRING	"unknown"
#endif

/* Exit status (cli/baton.8, EXIT STATUS). */
#define EX_OK		0	/* done; status: an image is armed */
#define EX_FAIL		1	/* anything not below (out of memory, an unexpected error) */
#define EX_USAGE	2	/* bad command line */
#define EX_FILE		3	/* an image, initrd, DTB or entry file could not be read */
#define EX_IMAGE	4	/* the image was refused: its format, or it does not fit the map */
#define EX_SYSTEM	5	/* the running system could not be read (memory map, cmdline, sysfs) */
#define EX_NOHOOK	6	/* no /dev/baton: baton.ko is not loaded */
#define EX_PERM		7	/* not permitted: not root, locked down, or loading disabled */
#define EX_BUSY		8	/* another writer holds /dev/baton */
#define EX_KERNEL	9	/* the kernel refused the load (a write, the commit or the close) */
#define EX_NOTHING	10	/* nothing is armed (exec, status) */
#define EX_BLS		11	/* no Boot Loader Specification entry matches, or it is unusable */

/* ---- arguments (args.c) --------------------------------------------------- */

enum cli_cmd { CMD_NONE, CMD_LOAD, CMD_UNLOAD, CMD_STATUS, CMD_EXEC, CMD_HELP, CMD_VERSION };

#define CLI_INITRD_MAX	32
#define CLI_APPEND_MAX	16

struct cli_args {
	enum cli_cmd cmd;
	const char *image;			/* load: the image file */
	const char *initrd[CLI_INITRD_MAX];	/* load: --initrd, in order (concatenated) */
	unsigned n_initrd;
	const char *dtb;			/* load: --dtb */
	const char *append[CLI_APPEND_MAX];	/* --append / --command-line, in order */
	unsigned n_append;
	int reuse_cmdline;			/* --reuse-cmdline */
	int entry32;				/* --entry 32 */
	int dry_run;
	int bls;				/* --bls */
	const char *bls_id;			/* --bls ID, or NULL: the first */
	int quiet;
	int no_progress;
	const char *root;			/* --root DIR: read /proc, /sys, /boot... under DIR */
	const char *device;			/* --device PATH (default /dev/baton) */
};

/* 0, or EX_USAGE with one line in err (no "baton: " prefix). */
int cli_parse_args(int argc, char **argv, struct cli_args *a, char *err, size_t errlen);

/* ---- text of the running system (parse.c) --------------------------------- */

/*
 * /proc/iomem as baton memory ranges: top-level "System RAM" usable (shrunk to
 * whole pages), its children other than the kernel's own sections ("Kernel
 * code", "Kernel rodata", "Kernel data", "Kernel bss") never-touch, every other
 * top-level range reserved (both grown to whole pages). Up to cap ranges to
 * out, in the file's order; returns the count, -1 if cap is too small, -2 if
 * every address is 0 (a reader without CAP_SYS_ADMIN sees zeros), -3 if there
 * is no System RAM at all. *line gets the number of the first line not
 * understood (0: none; such lines are skipped).
 */
long cli_parse_iomem(const char *text, struct baton_mem_range *out, size_t cap, unsigned *line);

/*
 * When a normal map (sorted, disjoint) has more than `max` ranges: merge each
 * run of non-usable ranges with no usable RAM between them (a hole is as
 * forbidden as a reserved range for placement). Returns the new count.
 */
uint64_t cli_map_compact(struct baton_mem_range *m, uint64_t n, uint64_t max);

/* One /sys/firmware/memmap/N directory's files: start, end (inclusive, hex),
 * type (a name, "System RAM"...). 0, or -1 when malformed. */
int cli_parse_memmap_entry(const char *start, const char *end, const char *type,
			   struct fmt_e820 *e);
/* The e820 type a /sys/firmware/memmap name stands for (unknown: 2, reserved). */
uint32_t cli_e820_type(const char *name);
/* Sort by address. */
void cli_e820_sort(struct fmt_e820 *e, size_t n);

/* /proc/cmdline without any BOOT_IMAGE=... word (and its trailing newline),
 * words kept in order with single spaces, into out. */
void cli_cmdline_reuse(const char *proc_cmdline, char *out, size_t outlen);
/* The command line to pass: /proc/cmdline's (reuse) then each append, joined
 * by spaces. -1 when longer than outlen - 1. */
int cli_cmdline_build(const struct cli_args *a, const char *reused, const char *base,
		      char *out, size_t outlen);
/* The I/O port of the last console=ttyS0..3 on a command line, or 0. */
uint16_t cli_console_port(const char *cmdline);

/* A hex value after `key` at the start of a line ("ACPI20=0x..." in
 * /sys/firmware/efi/systab); 0 when absent. */
uint64_t cli_find_hex(const char *text, const char *key);

/* ---- zero and claim ranges (parse.c) -------------------------------------- */

struct cli_ranges {
	struct baton_hook_range r[BATON_HOOK_RANGES_MAX];
	uint32_t n;
	uint64_t dropped;	/* pages that did not fit in BATON_HOOK_RANGES_MAX ranges */
	uint64_t zero_pages, claim_pages;
};

/* One zero (BATON_HOOK_ZERO) or claim page at addr, in increasing order:
 * merged into the last range when it touches it with the same kind. */
void cli_ranges_add(struct cli_ranges *c, uint64_t addr, uint32_t kind);

#endif
