/* SPDX-License-Identifier: MIT */
/*
 * The command line, kexec-tools' habits: a command word (load, unload, status,
 * exec) or its kexec letter (-l, -u, -S, -e), options before or after it,
 * "--opt VALUE" or "--opt=VALUE", "--" ends the options. No OS calls: tested
 * on the host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int usage_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EX_USAGE;
}

static const struct { const char *word, *letter, *longopt; enum cli_cmd cmd; } cmds[] = {
	{ "load", "-l", "--load", CMD_LOAD },
	{ "unload", "-u", "--unload", CMD_UNLOAD },
	{ "status", "-S", "--status", CMD_STATUS },
	{ "exec", "-e", "--exec", CMD_EXEC },
	{ "help", "-h", "--help", CMD_HELP },
	{ "version", "-V", "--version", CMD_VERSION },
};

/* Options that take a value: the name, and whether it is a load option. */
static const char *const valued[] = {
	"--initrd", "--ramdisk", "--append", "--command-line", "--entry", "--dtb",
	"--root", "--device",
};

static int takes_value(const char *name)
{
	for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (strcmp(name, valued[i]) == 0)
			return 1;
	return 0;
}

static int set_cmd(struct cli_args *a, enum cli_cmd c, const char *how, char *err, size_t errlen)
{
	if (a->cmd == CMD_HELP || a->cmd == CMD_VERSION || c == CMD_HELP || c == CMD_VERSION) {
		if (c == CMD_HELP || a->cmd != CMD_HELP)
			a->cmd = c;
		return 0;
	}
	if (a->cmd != CMD_NONE && a->cmd != c)
		return usage_fail(err, errlen, "%s: one command at a time", how);
	a->cmd = c;
	return 0;
}

static int valued_option(struct cli_args *a, const char *name, const char *v, char *err,
			 size_t errlen)
{
	if (strcmp(name, "--initrd") == 0 || strcmp(name, "--ramdisk") == 0) {
		if (a->n_initrd == CLI_INITRD_MAX)
			return usage_fail(err, errlen, "%s: at most %d initrds", name, CLI_INITRD_MAX);
		a->initrd[a->n_initrd++] = v;
	} else if (strcmp(name, "--append") == 0 || strcmp(name, "--command-line") == 0) {
		if (a->n_append == CLI_APPEND_MAX)
			return usage_fail(err, errlen, "%s: at most %d", name, CLI_APPEND_MAX);
		a->append[a->n_append++] = v;
	} else if (strcmp(name, "--entry") == 0) {
		if (strcmp(v, "64") != 0 && strcmp(v, "32") != 0)
			return usage_fail(err, errlen, "--entry %s: 64 or 32", v);
		a->entry32 = strcmp(v, "32") == 0;
	} else if (strcmp(name, "--dtb") == 0) {
		a->dtb = v;
	} else if (strcmp(name, "--root") == 0) {
		a->root = v;
	} else {
		a->device = v;
	}
	return 0;
}

static int flag_option(struct cli_args *a, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "--reuse-cmdline") == 0)
		a->reuse_cmdline = 1;
	else if (strcmp(arg, "--dry-run") == 0 || strcmp(arg, "-n") == 0)
		a->dry_run = 1;
	else if (strcmp(arg, "--bls") == 0)
		a->bls = 1;
	else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0)
		a->quiet = 1;
	else if (strcmp(arg, "--no-progress") == 0)
		a->no_progress = 1;
	else
		return usage_fail(err, errlen, "unknown option %s (baton --help)", arg);
	return 0;
}

/* The first word names the command unless a letter or long option did (then
 * a first word that is a command must be the same one). */
static int take_command_word(struct cli_args *a, const char **pos, unsigned *npos, char *err,
			     size_t errlen)
{
	if (*npos == 0)
		return 0;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(pos[0], cmds[i].word) == 0) {
			if (a->cmd != CMD_NONE && a->cmd != cmds[i].cmd)
				return usage_fail(err, errlen, "%s: one command at a time", pos[0]);
			a->cmd = cmds[i].cmd;
			for (unsigned j = 1; j < *npos; j++)
				pos[j - 1] = pos[j];
			(*npos)--;
			return 0;
		}
	if (a->cmd != CMD_NONE)
		return 0;	/* a letter named it: the words are its arguments */
	return usage_fail(err, errlen, "unknown command %s (load, unload, status, exec; baton --help)",
			  pos[0]);
}

static int check_load(struct cli_args *a, const char **pos, unsigned npos, char *err, size_t errlen)
{
	if (a->bls) {
		if (npos > 1)
			return usage_fail(err, errlen, "load --bls takes one entry id, got %s and %s", pos[0], pos[1]);
		if (a->n_initrd || a->dtb)
			return usage_fail(err, errlen, "load --bls: the entry names the initrds and the DTB (no --initrd, --dtb)");
		a->bls_id = npos ? pos[0] : NULL;
		return 0;
	}
	if (npos == 0)
		return usage_fail(err, errlen, "load: no image (baton load IMAGE, or baton load --bls [ID])");
	if (npos > 1)
		return usage_fail(err, errlen, "load: one image, got %s and %s", pos[0], pos[1]);
	a->image = pos[0];
	return 0;
}

/* Load options given to another command: refused, so that a typo does not pass. */
static int check_not_load(const struct cli_args *a, unsigned npos, char *err, size_t errlen)
{
	static const char *const names[] = { "", "load", "unload", "status", "exec" };

	if (npos || a->n_initrd || a->n_append || a->dtb || a->reuse_cmdline || a->entry32 ||
	    a->dry_run || a->bls)
		return usage_fail(err, errlen, "%s takes no image and no load options",
				  names[a->cmd]);
	return 0;
}

int cli_parse_args(int argc, char **argv, struct cli_args *a, char *err, size_t errlen)
{
	const char *pos[4];
	unsigned npos = 0;
	int only_words = 0, rc = 0;

	memset(a, 0, sizeof(*a));
	err[0] = '\0';
	for (int i = 1; i < argc && !rc; i++) {
		const char *arg = argv[i], *eq;
		char name[32];

		if (only_words || arg[0] != '-' || arg[1] == '\0') {
			if (npos == 4)
				return usage_fail(err, errlen, "too many arguments: %s", arg);
			pos[npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_words = 1;
			continue;
		}
		for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
			if (strcmp(arg, cmds[c].letter) == 0 || strcmp(arg, cmds[c].longopt) == 0) {
				rc = set_cmd(a, cmds[c].cmd, arg, err, errlen);
				goto next;
			}
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (takes_value(name)) {
			const char *v = eq ? eq + 1 : NULL;

			if (!v) {
				if (i + 1 >= argc)
					return usage_fail(err, errlen, "%s needs a value", name);
				v = argv[++i];
			}
			rc = valued_option(a, name, v, err, errlen);
		} else if (eq) {
			rc = usage_fail(err, errlen, "%s takes no value", name);
		} else {
			rc = flag_option(a, arg, err, errlen);
		}
next:		;
	}
	if (!rc && a->cmd != CMD_HELP && a->cmd != CMD_VERSION)
		rc = take_command_word(a, pos, &npos, err, errlen);
	if (rc)
		return rc;
	switch (a->cmd) {
	case CMD_NONE:
		return usage_fail(err, errlen, "no command (load, unload, status, exec; baton --help)");
	case CMD_HELP:
	case CMD_VERSION:
		return 0;
	case CMD_LOAD:
		return check_load(a, pos, npos, err, errlen);
	default:
		return check_not_load(a, npos, err, errlen);
	}
}
