/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line (QEMU -append):
 *
 *   strategy=<name> seed=<n> fault=<name> exit=<0|1> handoff=<rdi|slot>
 *   entry=<64|32> test=<no-park|fault|change|reset-skip-<1..3>> aps=<none|hostile>
 *   nevertouch=<addr> panic=<reset|halt> delay=<ms> acpi=<fadt|none|dead|unmapped>
 *   devices=<firmware|live|shutdown> -- <payload command line>
 *
 * Every key is optional (defaults: strategy=scattered seed=1 fault=none exit=1
 * handoff=rdi entry=64 panic=reset delay=0 acpi=fadt). handoff=slot passes RDI = 0: the loader must find the
 * handoff in its blob header's slot, as a hook that cannot set a register would
 * leave it. entry= picks a bzImage payload's entry (64-bit or 32-bit, paging
 * off). test=no-park sets BATON_TEST_NO_PARK, test=fault BATON_TEST_FAULT,
 * test=change BATON_TEST_CHANGE, test=reset-skip-N BATON_TEST_RESET_SKIP = N: only
 * a test loader honours them. nevertouch=<addr> marks 64 KiB there never-touch
 * in the memory map the stage and the loader get. panic= and delay= are the
 * handoff's reset action and delay (0: the stage's default); acpi= passes the
 * FADT's reset register (acpi.c), none, or a broken one, as a wrong FADT would
 * name: "dead" is I/O port 0x80, which resets nothing, "unmapped" a memory byte
 * at UNMAPPED_RESET_REG, above every identity map (the loader must go on to the
 * next method, after a page fault for the second).
 * aps=hostile (default none) starts the other CPUs writing the payload's pages
 * just before the jump (ap.c). devices= (default firmware: untouched) makes the
 * 8259, IO-APICs, local APIC, HPETs and PCI bus masters live, as a running
 * kernel has them, and with "shutdown" leaves them, just before the jump, as
 * the kernel hook does at reboot (devices.c).
 * QEMU puts the kernel's file name first; a first word without '=' is skipped.
 * Anything unknown ends the run with EXIT_CMDLINE.
 */
#include <stddef.h>
#include "outgoing.h"

const char *const strategy_names[STRAT_COUNT] = {
	[STRAT_INPLACE] = "inplace",
	[STRAT_SCATTERED] = "scattered",
	[STRAT_REVERSE] = "reverse",
	[STRAT_WORST] = "worst",
	[STRAT_LOADER_IN_DST] = "loader-in-dst",
	[STRAT_HIGH] = "high",
	[STRAT_FRAGMENTED] = "fragmented",
};

const char *const fault_names[FAULT_COUNT] = {
	[FAULT_NONE] = "none",
	[FAULT_MAGIC] = "magic",
	[FAULT_VERSION] = "version",
	[FAULT_CRC] = "crc",
	[FAULT_OVERLAP] = "overlap",
	[FAULT_OUTSIDE] = "outside",
	[FAULT_CORRUPT] = "corrupt",
	[FAULT_TRAP] = "trap",
	[FAULT_ENTRY_UD2] = "entry-ud2",
	[FAULT_NEVER_TOUCH] = "nevertouch",
	[FAULT_RESERVED] = "reserved",
	[FAULT_RUNS_HUGE] = "runs-huge",
	[FAULT_WORK_HUGE] = "work-huge",
	[FAULT_FLAGS] = "flags",
	[FAULT_LIST_LOOP] = "list-loop",
	[FAULT_LIST_OUTSIDE] = "list-outside",
	[FAULT_LIST_IN_DST] = "list-in-dst",
	[FAULT_LIST_TRUNCATED] = "list-truncated",
};

const char *const aps_names[APS_COUNT] = {
	[APS_NONE] = "none",
	[APS_HOSTILE] = "hostile",
};

const char *const devices_names[DEVICES_COUNT] = {
	[DEVICES_FIRMWARE] = "firmware",
	[DEVICES_LIVE] = "live",
	[DEVICES_SHUTDOWN] = "shutdown",
};

const char *const acpi_names[ACPI_COUNT] = {
	[ACPI_FADT] = "fadt",
	[ACPI_NONE] = "none",
	[ACPI_DEAD] = "dead",
	[ACPI_UNMAPPED] = "unmapped",
};

static int word_is(const char *w, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != w[i])
			return 0;
	return s[i] == '\0';
}

/* Index of the name in table[0..n) equal to w[0..len), or -1. */
static int word_lookup(const char *w, size_t len, const char *const *table, int n)
{
	for (int i = 0; i < n; i++)
		if (word_is(w, len, table[i]))
			return i;
	return -1;
}

/* Decimal or 0x-prefixed hex, the whole word, no overflow; else -1. */
static int word_number(const char *w, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		char c = w[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;

		if (d >= base || v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* One key=value word; dies on anything it does not know. */
static void cmdline_word(const char *w, size_t len, struct config *cfg)
{
	const char *eq = w;
	uint64_t num;
	int i;

	while (eq < w + len && *eq != '=')
		eq++;
	if (eq == w + len)
		die(EXIT_CMDLINE, "cmdline: unknown key '%.*s'", (int)len, w);
	size_t klen = (size_t)(eq - w), vlen = len - klen - 1;
	const char *v = eq + 1;

	if (word_is(w, klen, "strategy")) {
		if ((i = word_lookup(v, vlen, strategy_names, STRAT_COUNT)) < 0)
			goto bad;
		cfg->strategy = (enum strategy_kind)i;
	} else if (word_is(w, klen, "fault")) {
		if ((i = word_lookup(v, vlen, fault_names, FAULT_COUNT)) < 0)
			goto bad;
		cfg->fault = (enum fault_kind)i;
	} else if (word_is(w, klen, "aps")) {
		if ((i = word_lookup(v, vlen, aps_names, APS_COUNT)) < 0)
			goto bad;
		cfg->aps = (enum aps_kind)i;
	} else if (word_is(w, klen, "seed")) {
		if (word_number(v, vlen, &num) < 0)
			goto bad;
		cfg->seed = num;
	} else if (word_is(w, klen, "handoff")) {
		if (word_is(v, vlen, "rdi"))
			cfg->via_slot = 0;
		else if (word_is(v, vlen, "slot"))
			cfg->via_slot = 1;
		else
			goto bad;
	} else if (word_is(w, klen, "exit")) {
		if (word_number(v, vlen, &num) < 0 || num > 1)
			goto bad;
		cfg->exit = (int)num;
	} else if (word_is(w, klen, "entry")) {
		if (word_is(v, vlen, "64"))
			cfg->linux_entry = STAGE_LINUX_64;
		else if (word_is(v, vlen, "32"))
			cfg->linux_entry = STAGE_LINUX_32;
		else
			goto bad;
	} else if (word_is(w, klen, "test")) {
		if (word_is(v, vlen, "no-park"))
			cfg->test_flags |= BATON_TEST_NO_PARK;
		else if (word_is(v, vlen, "fault"))
			cfg->test_flags |= BATON_TEST_FAULT;
		else if (word_is(v, vlen, "change"))
			cfg->test_flags |= BATON_TEST_CHANGE;
		else if (vlen == 12 && word_is(v, 11, "reset-skip-") && v[11] >= '1' && v[11] <= '3')
			cfg->test_flags = (cfg->test_flags & ~BATON_TEST_RESET_SKIP) |
					  (uint32_t)(v[11] - '0') << BATON_TEST_RESET_SKIP_SHIFT;
		else
			goto bad;
	} else if (word_is(w, klen, "acpi")) {
		if ((i = word_lookup(v, vlen, acpi_names, ACPI_COUNT)) < 0)
			goto bad;
		cfg->acpi = (enum acpi_kind)i;
	} else if (word_is(w, klen, "devices")) {
		if ((i = word_lookup(v, vlen, devices_names, DEVICES_COUNT)) < 0)
			goto bad;
		cfg->devices = (enum devices_kind)i;
	} else if (word_is(w, klen, "panic")) {
		if (word_is(v, vlen, "reset"))
			cfg->panic = BATON_PANIC_RESET;
		else if (word_is(v, vlen, "halt"))
			cfg->panic = BATON_PANIC_HALT;
		else
			goto bad;
	} else if (word_is(w, klen, "delay")) {
		if (word_number(v, vlen, &num) < 0 || num > UINT32_MAX)
			goto bad;
		cfg->delay_ms = (uint32_t)num;
	} else if (word_is(w, klen, "nevertouch")) {
		if (word_number(v, vlen, &num) < 0 || !num)
			goto bad;
		cfg->never_touch = num;
	} else {
		die(EXIT_CMDLINE, "cmdline: unknown key '%.*s'", (int)klen, w);
	}
	return;
bad:
	die(EXIT_CMDLINE, "cmdline: bad value '%.*s' for %.*s", (int)vlen, v,
	    (int)klen, w);
}

static int word_has_eq(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (w[i] == '=')
			return 1;
	return 0;
}

void cmdline_parse(const char *s, struct config *cfg)
{
	int first = 1;

	cfg->strategy = STRAT_SCATTERED;
	cfg->seed = 1;
	cfg->fault = FAULT_NONE;
	cfg->exit = 1;
	cfg->via_slot = 0;
	cfg->linux_entry = STAGE_LINUX_64;
	cfg->test_flags = 0;
	cfg->aps = APS_NONE;
	cfg->never_touch = 0;
	cfg->acpi = ACPI_FADT;
	cfg->panic = BATON_PANIC_RESET;
	cfg->delay_ms = 0;
	cfg->devices = DEVICES_FIRMWARE;
	cfg->payload_cmdline = "";
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return;
		size_t len = 0;

		while (s[len] && s[len] != ' ')
			len++;
		if (word_is(s, len, "--")) {
			s += len;
			while (*s == ' ')
				s++;
			cfg->payload_cmdline = s;
			return;
		}
		if (!(first && !word_has_eq(s, len)))	/* QEMU: file name first */
			cmdline_word(s, len, cfg);
		first = 0;
		s += len;
	}
}
