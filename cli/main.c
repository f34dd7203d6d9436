/* SPDX-License-Identifier: MIT */
/*
 * baton: hand this machine to another kernel through the baton kernel hook
 * (/dev/baton, hook/linux/). `baton load` stages an image, `baton exec` reboots
 * into it, `baton unload` disarms it, `baton status` tells what is armed. The
 * manual is cli/baton.8; the commands' flow is in cli/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/load.h"
#include "cli/system.h"

static const char usage_text[] =
"Usage: baton load IMAGE [--initrd FILE]... [--dtb FILE]\n"
"                  [--append STRING]... [--command-line STRING] [--reuse-cmdline]\n"
"                  [--entry 64|32] [--dry-run] [--quiet] [--no-progress]\n"
"       baton load --bls [ID] [--append STRING]... [--reuse-cmdline] [...]\n"
"       baton unload\n"
"       baton status\n"
"       baton exec\n"
"       baton --help | --version\n"
"\n"
"Hand this machine to another kernel through the baton kernel hook (baton.ko,\n"
"/dev/baton): load an image now, start it at the next reboot.\n"
"\n"
"Commands (kexec-tools' letters work too):\n"
"  load IMAGE, -l IMAGE  lay IMAGE (a Linux bzImage, or an ELF32/ELF64 executable)\n"
"                        out against this machine's memory map and hand its pages\n"
"                        to the kernel, armed for the next reboot. A new load\n"
"                        replaces an armed one; a refused one leaves it armed.\n"
"  load --bls [ID]       the same with a Boot Loader Specification entry from\n"
"                        /boot, /efi or /boot/efi loader/entries: the one whose\n"
"                        file is ID.conf, or the first in the specification's\n"
"                        order; its linux, initrd, devicetree and options lines\n"
"  unload, -u            disarm what is armed\n"
"  status, -S            what is armed: state, bytes, pages, ranges, entry\n"
"                        (exit status 0 when armed, 10 when not)\n"
"  exec, -e              sync the file systems and reboot now into the armed image\n"
"                        (refused when nothing is armed); the kernel shuts down\n"
"                        its devices as for any reboot, without stopping services:\n"
"                        use `systemctl reboot` for an orderly one\n"
"\n"
"Load options:\n"
"  --initrd FILE, --ramdisk FILE\n"
"                        initial ramdisk (Linux); several are concatenated\n"
"  --dtb FILE            device tree for the kernel's SETUP_DTB (Linux)\n"
"  --append STRING, --command-line STRING\n"
"                        the new kernel's command line (several: joined by spaces);\n"
"                        alone, the command line is exactly this, as kexec's\n"
"  --reuse-cmdline       start from this kernel's /proc/cmdline without its\n"
"                        BOOT_IMAGE= word; --append adds to it (with --bls: instead\n"
"                        of the entry's options)\n"
"  --entry 64|32         the bzImage's 64-bit entry (default) or its 32-bit one\n"
"  -n, --dry-run         check and lay out everything, print where each page would\n"
"                        go, touch no kernel state (root still needed for addresses)\n"
"  -q, --quiet           no report and no warnings, only errors\n"
"  --no-progress         no progress line (there is one on a terminal for loads\n"
"                        over 16 MiB)\n"
"\n"
"Other options:\n"
"  --device PATH         the hook's device (default /dev/baton)\n"
"  --root DIR            read /proc, /sys and the boot entries under DIR (tests)\n"
"  -h, --help            this text\n"
"  -V, --version         the version\n"
"\n"
"Exit status: 0 done, 1 failure, 2 usage, 3 a file unreadable, 4 image refused,\n"
"5 system unreadable, 6 no /dev/baton, 7 not permitted, 8 busy, 9 the kernel\n"
"refused, 10 nothing armed, 11 no usable boot entry. See baton(8).\n";

static int sysfs_read_state(const struct sys_ctx *s, char *state, size_t len)
{
	char *t = sys_read(s, "/sys/kernel/baton/state", NULL);

	if (!t) {
		fprintf(stderr, "baton: /sys/kernel/baton/state: %s (is baton.ko loaded? modprobe baton)\n",
			strerror(errno));
		return EX_NOHOOK;
	}
	snprintf(state, len, "%s", t);
	state[strcspn(state, "\n")] = '\0';
	free(t);
	return 0;
}

static int cmd_status(const struct cli_args *a)
{
	static const char *const files[] = { "state", "bytes", "pages", "runs", "ranges", "entry", "disabled" };
	struct sys_ctx s = { .root = a->root };
	char state[64];
	int rc = sysfs_read_state(&s, state, sizeof(state));

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128], *t;

		snprintf(path, sizeof(path), "/sys/kernel/baton/%s", files[i]);
		t = sys_read(&s, path, NULL);
		if (!t)
			continue;
		t[strcspn(t, "\n")] = '\0';
		printf("%-9s %s\n", files[i], t);
		free(t);
	}
	return strcmp(state, "armed") == 0 ? EX_OK : EX_NOTHING;
}

/* Disarm through /sys/kernel/baton/disarm: it works when /dev/baton would
 * refuse a writer (disabled, locked down) and reads no memory map. */
static int cmd_unload(const struct cli_args *a)
{
	struct sys_ctx s = { .root = a->root };
	char path[4096];
	int fd, e;

	sys_path(&s, "/sys/kernel/baton/disarm", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		fprintf(stderr, "baton: %s: %s%s\n", path, strerror(e),
			e == ENOENT ? " (is baton.ko loaded? modprobe baton)" : "");
		return e == ENOENT ? EX_NOHOOK : e == EACCES || e == EPERM ? EX_PERM : EX_FAIL;
	}
	if (write(fd, "1\n", 2) != 2) {
		e = errno;
		close(fd);
		fprintf(stderr, "baton: %s: %s%s\n", path, strerror(e),
			e == EBUSY ? " (a load is being written)" : "");
		return e == EBUSY ? EX_BUSY : e == EPERM ? EX_PERM : EX_KERNEL;
	}
	close(fd);
	return EX_OK;
}

static int cmd_exec(const struct cli_args *a)
{
	struct sys_ctx s = { .root = a->root };
	char state[64];
	int rc = sysfs_read_state(&s, state, sizeof(state));

	if (rc)
		return rc;
	if (strcmp(state, "armed") != 0) {
		fprintf(stderr, "baton: nothing is armed (state: %s): baton load IMAGE first\n", state);
		return EX_NOTHING;
	}
	if (a->root) {
		printf("baton: armed; --root %s is a test tree: not rebooting\n", a->root);
		return EX_OK;
	}
	sync();
	reboot(RB_AUTOBOOT);	/* LINUX_REBOOT_CMD_RESTART: the hook jumps instead */
	fprintf(stderr, "baton: reboot: %s\n", strerror(errno));
	return errno == EPERM ? EX_PERM : EX_FAIL;
}

int main(int argc, char **argv)
{
	struct cli_args a;
	char err[300];

	if (cli_parse_args(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "baton: %s\n", err);
		return EX_USAGE;
	}
	switch (a.cmd) {
	case CMD_HELP:
		fputs(usage_text, stdout);
		return EX_OK;
	case CMD_VERSION:
		printf("baton %s (handoff version %d, kernel hook interface %d)\n", BATON_VERSION_STRING,
		       BATON_HANDOFF_VERSION, BATON_HOOK_VERSION);
		return EX_OK;
	case CMD_LOAD:
		return cli_load(&a);
	case CMD_UNLOAD:
		return cmd_unload(&a);
	case CMD_STATUS:
		return cmd_status(&a);
	case CMD_EXEC:
		return cmd_exec(&a);
	default:
		return EX_USAGE;
	}
}
