/* SPDX-License-Identifier: MIT */
/*
 * Boot Loader Specification Type #1 entries: parse, compare versions, sort.
 * See bls/bls.h. Written from the specifications (UAPI.1, UAPI.10); where the
 * version specification's prose and its reference implementation differ (the
 * order of its rules 2 and 3, and what '^' sorts against), this follows the
 * behaviour systemd's tests pin down, which boot loaders implement: '~' sorts
 * below everything, the end of the string next, then '-', '^', '.', and
 * digits or letters above all of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bls/bls.h"

static int bls_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bls_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* ---- version order (UAPI.10) ---------------------------------------------- */

static int ver_char(char c)
{
	return is_digit(c) || is_alpha(c) || c == '-' || c == '.' || c == '~' || c == '^';
}

/* Which of a, b starts with c: the one that does sorts lower (-1 / 1), 0 if
 * both or neither; *both when both (then each is skipped by the caller). */
static int ver_mark(const char *a, const char *b, char c, int *both)
{
	*both = *a == c && *b == c;
	if (*a == c && *b != c)
		return -1;
	if (*b == c && *a != c)
		return 1;
	return 0;
}

static int sign(long v) { return v < 0 ? -1 : v > 0; }

int bls_vercmp(const char *a, const char *b)
{
	static const char marks[] = "-^.";
	int both, r;

	a = a ? a : "";
	b = b ? b : "";
	for (;;) {
		while (*a && !ver_char(*a))
			a++;
		while (*b && !ver_char(*b))
			b++;
		r = ver_mark(a, b, '~', &both);
		if (r)
			return r;
		if (both) {
			a++, b++;
			continue;
		}
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		for (const char *m = marks; *m; m++) {
			r = ver_mark(a, b, *m, &both);
			if (r)
				return r;
			if (both)
				a++, b++;
		}
		if (is_digit(*a) || is_digit(*b)) {
			const char *ea, *eb;

			for (ea = a; is_digit(*ea); ea++)
				;
			for (eb = b; is_digit(*eb); eb++)
				;
			if ((ea == a) != (eb == b))	/* a number is newer than none */
				return ea == a ? -1 : 1;
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			if (ea - a != eb - b)
				return sign((long)(ea - a) - (long)(eb - b));
			r = strncmp(a, b, (size_t)(ea - a));
			if (r)
				return sign(r);
			a = ea, b = eb;
		} else if (is_alpha(*a) || is_alpha(*b)) {
			const char *ea, *eb;
			size_t n;

			for (ea = a; is_alpha(*ea); ea++)
				;
			for (eb = b; is_alpha(*eb); eb++)
				;
			n = (size_t)(ea - a) < (size_t)(eb - b) ? (size_t)(ea - a) : (size_t)(eb - b);
			r = strncmp(a, b, n);	/* ASCII: 'A' < 'a' */
			if (r)
				return sign(r);
			if (ea - a != eb - b)
				return sign((long)(ea - a) - (long)(eb - b));
			a = ea, b = eb;
		}
	}
}

/* ---- the file name -------------------------------------------------------- */

static int name_char(char c)
{
	return is_digit(c) || is_alpha(c) || c == '+' || c == '-' || c == '_' || c == '.';
}

/* Digits at [p, end): their value into *v (saturating), 1 if any, all digits. */
static int parse_count(const char *p, const char *end, long *v)
{
	if (p == end)
		return 0;
	*v = 0;
	for (; p < end; p++) {
		if (!is_digit(*p))
			return 0;
		*v = *v > 100000000L ? *v : *v * 10 + (*p - '0');
	}
	return 1;
}

/* "+LEFT" or "+LEFT-DONE" at the end of the stem: boot counting. */
static void parse_counter(struct bls_entry *e)
{
	char *plus = strrchr(e->name, '+');
	char *end = e->name + strlen(e->name), *minus;
	long left, done = 0;

	e->tries_left = e->tries_done = -1;
	snprintf(e->id, sizeof(e->id), "%s", e->name);
	if (!plus)
		return;
	minus = strchr(plus, '-');
	if (!parse_count(plus + 1, minus ? minus : end, &left))
		return;
	if (minus && !parse_count(minus + 1, end, &done))
		return;
	e->tries_left = left;
	e->tries_done = done;
	e->id[plus - e->name] = '\0';
}

static int parse_name(struct bls_entry *e, const char *file_name, char *err, size_t errlen)
{
	size_t n = strlen(file_name);

	if (n > BLS_NAME_MAX || n <= 5 || strcmp(file_name + n - 5, ".conf") != 0)
		return bls_fail(err, errlen, BLS_E_NAME,
				"%.64s: not a boot entry name (NAME.conf, at most %d characters)",
				file_name, BLS_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!name_char(file_name[i]))
			return bls_fail(err, errlen, BLS_E_NAME,
					"%.64s: character 0x%02x at %zu is outside A-Z a-z 0-9 + - _ .",
					file_name, (unsigned)(unsigned char)file_name[i], i);
	memcpy(e->name, file_name, n - 5);
	e->name[n - 5] = '\0';
	parse_counter(e);
	return 0;
}

/* ---- the text ------------------------------------------------------------- */

static const char **single_key(struct bls_entry *e, const char *key)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "title", offsetof(struct bls_entry, title) },
		{ "version", offsetof(struct bls_entry, version) },
		{ "machine-id", offsetof(struct bls_entry, machine_id) },
		{ "sort-key", offsetof(struct bls_entry, sort_key) },
		{ "linux", offsetof(struct bls_entry, kernel) },
		{ "efi", offsetof(struct bls_entry, efi) },
		{ "devicetree", offsetof(struct bls_entry, devicetree) },
		{ "devicetree-overlay", offsetof(struct bls_entry, devicetree_overlay) },
		{ "architecture", offsetof(struct bls_entry, architecture) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return (const char **)(void *)((char *)e + keys[i].off);
	return NULL;
}

static int add_options(struct bls_entry *e, const char *v, char *err, size_t errlen)
{
	size_t have = strlen(e->options), add = strlen(v) + (have ? 1 : 0);

	if (have + add >= sizeof(e->options))
		return bls_fail(err, errlen, BLS_E_OPTIONS,
				"%s.conf: options of more than %d bytes", e->name, BLS_OPTIONS_MAX - 1);
	if (have)
		e->options[have++] = ' ';
	memcpy(e->options + have, v, strlen(v) + 1);
	return 0;
}

/* One line, NUL-terminated, in place: key and value split, the value trimmed. */
static int parse_line(struct bls_entry *e, char *line, char *err, size_t errlen)
{
	char *key, *val, *end;
	const char **slot;

	while (is_blank(*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	key = line;
	while (*line && !is_blank(*line))
		line++;
	if (!*line)
		return 0;		/* a key without a value */
	*line++ = '\0';
	while (is_blank(*line))
		line++;
	val = line;
	end = val + strlen(val);
	while (end > val && is_blank(end[-1]))
		*--end = '\0';
	if (!*val)
		return 0;
	if (strcmp(key, "options") == 0)
		return add_options(e, val, err, errlen);
	if (strcmp(key, "initrd") == 0) {
		if (e->n_initrd == BLS_INITRD_MAX)
			return bls_fail(err, errlen, BLS_E_TOO_MANY, "%s.conf: more than %d initrd lines",
					e->name, BLS_INITRD_MAX);
		e->initrd[e->n_initrd++] = val;
		return 0;
	}
	slot = single_key(e, key);
	if (slot)
		*slot = val;
	return 0;
}

int bls_parse(struct bls_entry *e, const char *file_name, char *text, size_t len,
	      char *err, size_t errlen)
{
	char *line = text, *end = text + len;
	int rc;

	memset(e, 0, sizeof(*e));
	if (err && errlen)
		err[0] = '\0';
	rc = parse_name(e, file_name, err, errlen);
	if (rc)
		return rc;
	if (memchr(text, '\0', len))
		return bls_fail(err, errlen, BLS_E_SYNTAX, "%s.conf: a NUL byte at offset %zu",
				e->name, (size_t)((char *)memchr(text, '\0', len) - text));
	text[len] = '\0';
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *next = nl ? nl + 1 : end;

		if (nl)
			*nl = '\0';
		rc = parse_line(e, line, err, errlen);
		if (rc)
			return rc;
		line = next;
	}
	if (!e->kernel && !e->efi)
		return bls_fail(err, errlen, BLS_E_NO_KERNEL, "%s.conf: neither a linux nor an efi line",
				e->name);
	return 0;
}

/* ---- order ---------------------------------------------------------------- */

int bls_arch_matches(const struct bls_entry *e, const char *arch)
{
	const char *a = e->architecture, *b = arch;

	if (!a)
		return 1;
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return 0;
	return *a == *b;
}

int bls_is_bad(const struct bls_entry *e)
{
	return e->tries_left == 0;
}

/* strcmp where NULL and "" compare lower than anything else. */
static int alnum_cmp(const char *a, const char *b)
{
	int ea = !a || !*a, eb = !b || !*b;

	if (ea || eb)
		return eb - ea;
	return sign(strcmp(a, b));
}

int bls_compare(const struct bls_entry *a, const struct bls_entry *b)
{
	int r = bls_is_bad(a) - bls_is_bad(b);

	if (r)
		return r;
	r = (a->sort_key == NULL) - (b->sort_key == NULL);
	if (r)
		return r;
	if (a->sort_key) {
		r = alnum_cmp(a->sort_key, b->sort_key);
		if (!r)
			r = alnum_cmp(a->machine_id, b->machine_id);
		if (!r)
			r = -bls_vercmp(a->version, b->version);
		if (r)
			return r;
	}
	return -bls_vercmp(a->name, b->name);
}

void bls_sort(struct bls_entry **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct bls_entry *x = v[i];
		size_t j = i;

		while (j > 0 && bls_compare(v[j - 1], x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

int bls_id_matches(const struct bls_entry *e, const char *want)
{
	return strcmp(e->id, want) == 0 || strcmp(e->name, want) == 0;
}
