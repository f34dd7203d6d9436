/* SPDX-License-Identifier: MIT */
/*
 * The text the running system gives `baton load`, parsed without OS calls
 * (tested on the host from sample text): /proc/iomem into the placement map,
 * /sys/firmware/memmap entries into the new kernel's e820, /proc/cmdline
 * rewritten, the serial console's port, EFI's systab; and the zero and claim
 * pages gathered into the commit record's ranges. See cli/cli.h.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define PAGE		4096ULL
#define PAGE_TOP	(~(PAGE - 1))	/* the highest page start: ranges end there at most */

static uint64_t page_down(uint64_t a) { return a & ~(PAGE - 1); }

/* [start, end] inclusive grown to whole pages, or shrunk (usable RAM). */
static int add_range(struct baton_mem_range *out, size_t cap, long *n, uint64_t start,
		     uint64_t end, uint32_t type)
{
	uint64_t lo, hi;

	if (type == BATON_MEM_USABLE) {
		lo = start > PAGE_TOP ? PAGE_TOP : page_down(start + PAGE - 1);
		hi = end >= PAGE_TOP ? PAGE_TOP : page_down(end + 1);
	} else {
		lo = page_down(start);
		hi = end >= PAGE_TOP ? PAGE_TOP : page_down(end + PAGE);
	}
	if (hi <= lo)
		return 0;
	if ((size_t)*n == cap)
		return -1;
	out[*n] = (struct baton_mem_range){ .base = lo, .size = hi - lo, .type = type };
	(*n)++;
	return 0;
}

static int is_kernel_section(const char *name, size_t len)
{
	static const char *const names[] = { "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(name, names[i], len) == 0)
			return 1;
	return 0;
}

/* "  start-end : name": indent, bounds and the name (not NUL-terminated). */
static int iomem_line(const char *p, const char *eol, unsigned *indent, uint64_t *start,
		      uint64_t *end, const char **name, size_t *namelen)
{
	char *q;

	*indent = 0;
	while (p < eol && *p == ' ')
		p++, (*indent)++;
	*start = strtoull(p, &q, 16);
	if (q == p || *q != '-')
		return -1;
	p = q + 1;
	*end = strtoull(p, &q, 16);
	if (q == p || q >= eol || strncmp(q, " : ", 3) != 0 || *end < *start)
		return -1;
	*name = q + 3;
	*namelen = (size_t)(eol - *name);
	while (*namelen && ((*name)[*namelen - 1] == '\r' || (*name)[*namelen - 1] == ' '))
		(*namelen)--;
	return 0;
}

long cli_parse_iomem(const char *text, struct baton_mem_range *out, size_t cap, unsigned *bad)
{
	long n = 0;
	unsigned lineno = 0;
	int in_ram = 0, any_addr = 0, any_ram = 0;
	unsigned lines = 0;

	*bad = 0;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n'), *name;
		uint64_t start, end;
		unsigned indent;
		size_t namelen;
		uint32_t type;

		eol = eol ? eol : p + strlen(p);
		lineno++;
		if (eol == p) {
			p = eol + (*eol != '\0');
			continue;
		}
		if (iomem_line(p, eol, &indent, &start, &end, &name, &namelen)) {
			if (!*bad)
				*bad = lineno;
			p = eol + (*eol != '\0');
			continue;
		}
		p = eol + (*eol != '\0');
		lines++;
		any_addr |= start != 0 || end != 0;
		if (indent == 0) {
			in_ram = namelen == 10 && memcmp(name, "System RAM", 10) == 0;
			any_ram |= in_ram;
			type = in_ram ? BATON_MEM_USABLE : BATON_MEM_RESERVED;
		} else if (in_ram && !is_kernel_section(name, namelen)) {
			type = BATON_MEM_NEVER_TOUCH;
		} else {
			continue;	/* inside a reserved range, or the running kernel's own */
		}
		if (add_range(out, cap, &n, start, end, type))
			return -1;
	}
	if (lines && !any_addr)
		return -2;
	if (!any_ram)
		return -3;
	return n;
}

static void merge_at(struct baton_mem_range *m, uint64_t *n, uint64_t i)
{
	uint64_t end = m[i + 1].base + m[i + 1].size;

	if (m[i + 1].type > m[i].type)
		m[i].type = m[i + 1].type;
	m[i].size = end - m[i].base;
	memmove(&m[i + 1], &m[i + 2], (*n - i - 2) * sizeof(*m));
	(*n)--;
}

uint64_t cli_map_compact(struct baton_mem_range *m, uint64_t n, uint64_t max)
{
	/* first ranges of one type, then any two forbidden ones */
	for (int any = 0; any < 2 && n > max; any++)
		for (uint64_t i = 0; i + 1 < n && n > max;) {
			if (m[i].type != BATON_MEM_USABLE && m[i + 1].type != BATON_MEM_USABLE &&
			    (any || m[i].type == m[i + 1].type))
				merge_at(m, &n, i);
			else
				i++;
		}
	return n;
}

/* ---- /sys/firmware/memmap --------------------------------------------------- */

uint32_t cli_e820_type(const char *name)
{
	static const struct { const char *name; uint32_t type; } t[] = {
		{ "System RAM", 1 }, { "Reserved", 2 }, { "reserved", 2 }, { "ACPI Tables", 3 },
		{ "ACPI Non-volatile Storage", 4 }, { "Unusable memory", 5 },
		{ "Persistent Memory (legacy)", 12 }, { "Persistent Memory", 7 },
		{ "Soft Reserved", 0xefffffff },
	};
	size_t len = strlen(name);

	while (len && (name[len - 1] == '\n' || name[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].name) == len && memcmp(name, t[i].name, len) == 0)
			return t[i].type;
	return 2;
}

static int parse_hex(const char *s, uint64_t *v)
{
	char *end;

	while (*s == ' ')
		s++;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	*v = strtoull(s + 2, &end, 16);
	if (end == s + 2)
		return -1;
	while (*end == '\n' || *end == ' ')
		end++;
	return *end ? -1 : 0;
}

int cli_parse_memmap_entry(const char *start, const char *end, const char *type,
			   struct fmt_e820 *e)
{
	uint64_t s, t;

	if (parse_hex(start, &s) || parse_hex(end, &t) || t < s || t == UINT64_MAX)
		return -1;
	*e = (struct fmt_e820){ .addr = s, .size = t - s + 1, .type = cli_e820_type(type) };
	return 0;
}

void cli_e820_sort(struct fmt_e820 *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct fmt_e820 x = e[i];
		size_t j = i;

		while (j > 0 && e[j - 1].addr > x.addr) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = x;
	}
}

/* ---- the command line --------------------------------------------------------- */

/* The next word (a double quote keeps spaces inside it, as the kernel parses). */
static const char *next_word(const char *p, size_t *len)
{
	const char *w;
	int quoted = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	w = p;
	while (*p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n'))) {
		if (*p == '"')
			quoted = !quoted;
		p++;
	}
	*len = (size_t)(p - w);
	return w;
}

void cli_cmdline_reuse(const char *proc, char *out, size_t outlen)
{
	size_t n = 0, len;

	if (!outlen)
		return;
	out[0] = '\0';
	for (const char *w = next_word(proc, &len); len; w = next_word(w + len, &len)) {
		if (len >= 11 && memcmp(w, "BOOT_IMAGE=", 11) == 0)
			continue;
		if (n + (n ? 1 : 0) + len >= outlen)
			break;
		if (n)
			out[n++] = ' ';
		memcpy(out + n, w, len);
		n += len;
		out[n] = '\0';
	}
}

static int join(char *out, size_t outlen, size_t *n, const char *part)
{
	size_t len;

	if (!part || !*part)
		return 0;
	len = strlen(part);
	if (*n + (*n ? 1 : 0) + len >= outlen)
		return -1;
	if (*n)
		out[(*n)++] = ' ';
	memcpy(out + *n, part, len + 1);
	*n += len;
	return 0;
}

int cli_cmdline_build(const struct cli_args *a, const char *reused, const char *base,
		      char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	if (join(out, outlen, &n, a->reuse_cmdline ? reused : base))
		return -1;
	for (unsigned i = 0; i < a->n_append; i++)
		if (join(out, outlen, &n, a->append[i]))
			return -1;
	return 0;
}

uint16_t cli_console_port(const char *cmdline)
{
	static const uint16_t ports[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	uint16_t port = 0;
	size_t len;

	for (const char *w = next_word(cmdline, &len); len; w = next_word(w + len, &len)) {
		if (len < 13 || memcmp(w, "console=ttyS", 12) != 0)
			continue;
		if (w[12] >= '0' && w[12] <= '3' && (len == 13 || w[13] == ','))
			port = ports[w[12] - '0'];
	}
	return port;
}

uint64_t cli_find_hex(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0) {
			char *end;
			uint64_t v = strtoull(p + klen, &end, 16);

			return end == p + klen ? 0 : v;
		}
	return 0;
}

/* ---- zero and claim ranges ------------------------------------------------------ */

void cli_ranges_add(struct cli_ranges *c, uint64_t addr, uint32_t kind)
{
	struct baton_hook_range *last = c->n ? &c->r[c->n - 1] : NULL;

	if (kind == BATON_HOOK_ZERO)
		c->zero_pages++;
	else
		c->claim_pages++;
	if (last && last->kind == kind && last->addr + last->pages * PAGE == addr) {
		last->pages++;
		return;
	}
	if (c->n == BATON_HOOK_RANGES_MAX) {
		c->dropped++;
		return;
	}
	c->r[c->n++] = (struct baton_hook_range){ .addr = addr, .pages = 1, .kind = kind };
}
