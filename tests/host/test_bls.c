/* SPDX-License-Identifier: MIT */
/*
 * bls/bls.c: Boot Loader Specification Type #1 entries. Every key, the line
 * rules, every refusal with its message, boot counting in the file name, the
 * version comparison (UAPI.10, with the orderings systemd's tests pin down),
 * and the specification's sort order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bls/bls.h"

/* Parse a string literal from a heap copy of exactly len + 1 bytes. */
static int parse(struct bls_entry *e, const char *name, const char *text, char **keep,
		 char *err, size_t errlen)
{
	size_t n = strlen(text);
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	memcpy(buf, text, n);
	*keep = buf;
	return bls_parse(e, name, buf, n, err, errlen);
}

static void test_parse_all_keys(void **state)
{
	static const char text[] =
		"# /boot/loader/entries/6a98-6.1.0-18-amd64.conf\n"
		"title        Debian GNU/Linux 12 (bookworm)\n"
		"  version\t6.1.0-18-amd64  \n"
		"machine-id   6a9857a393724b7a981ebb5b8495b9ea\n"
		"sort-key     debian\n"
		"options      root=UUID=6d33 ro\n"
		"options\tquiet\n"
		"linux        /6a98/6.1.0-18-amd64/linux\n"
		"initrd       /6a98/6.1.0-18-amd64/microcode\n"
		"initrd       /6a98/6.1.0-18-amd64/initrd\n"
		"devicetree   /dtb/board.dtb\n"
		"devicetree-overlay /dtb/a.dtbo /dtb/b.dtbo\n"
		"architecture x64\n"
		"efi          /EFI/tool.efi\n"
		"unknown-key  ignored\n"
		"novalue\n"
		"\n"
		"title        Debian 12\r\n";	/* the last one wins; CR trimmed */
	struct bls_entry *e = calloc(1, sizeof(*e));
	char err[160], *buf;

	(void)state;
	assert_int_equal(parse(e, "6a98-6.1.0-18-amd64.conf", text, &buf, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(e->name, "6a98-6.1.0-18-amd64");
	assert_string_equal(e->id, "6a98-6.1.0-18-amd64");
	assert_int_equal(e->tries_left, -1);
	assert_string_equal(e->title, "Debian 12");
	assert_string_equal(e->version, "6.1.0-18-amd64");
	assert_string_equal(e->machine_id, "6a9857a393724b7a981ebb5b8495b9ea");
	assert_string_equal(e->sort_key, "debian");
	assert_string_equal(e->options, "root=UUID=6d33 ro quiet");
	assert_string_equal(e->kernel, "/6a98/6.1.0-18-amd64/linux");
	assert_int_equal(e->n_initrd, 2);
	assert_string_equal(e->initrd[0], "/6a98/6.1.0-18-amd64/microcode");
	assert_string_equal(e->initrd[1], "/6a98/6.1.0-18-amd64/initrd");
	assert_string_equal(e->devicetree, "/dtb/board.dtb");
	assert_string_equal(e->devicetree_overlay, "/dtb/a.dtbo /dtb/b.dtbo");
	assert_string_equal(e->architecture, "x64");
	assert_string_equal(e->efi, "/EFI/tool.efi");
	assert_true(bls_arch_matches(e, "X64"));
	assert_false(bls_arch_matches(e, "aa64"));
	assert_false(bls_arch_matches(e, "x6"));
	free(buf);
	free(e);
}

/* No newline at the end, no options: "" options, the last line still read. */
static void test_parse_minimal(void **state)
{
	struct bls_entry *e = calloc(1, sizeof(*e));
	char err[160], *buf;

	(void)state;
	assert_int_equal(parse(e, "a.conf", "linux /vmlinuz", &buf, err, sizeof(err)), 0);
	assert_string_equal(e->kernel, "/vmlinuz");
	assert_string_equal(e->options, "");
	assert_null(e->title);
	assert_null(e->architecture);
	assert_true(bls_arch_matches(e, "x64"));
	assert_int_equal(e->n_initrd, 0);
	free(buf);
	free(e);
}

static void test_parse_refusals(void **state)
{
	static const struct { const char *name, *text; int rc; const char *msg; } t[] = {
		{ "a.cfg", "linux /k\n", BLS_E_NAME, "a.cfg: not a boot entry name" },
		{ ".conf", "linux /k\n", BLS_E_NAME, "not a boot entry name" },
		{ "a b.conf", "linux /k\n", BLS_E_NAME, "a b.conf: character 0x20 at 1 is outside" },
		{ "a.conf", "title x\n", BLS_E_NO_KERNEL, "a.conf: neither a linux nor an efi line" },
		{ "a.conf", "linux\n# linux /k\n", BLS_E_NO_KERNEL, "neither a linux" },
	};
	struct bls_entry *e = calloc(1, sizeof(*e));
	char err[160], *buf;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse(e, t[i].name, t[i].text, &buf, err, sizeof(err));

		if (rc != t[i].rc || !strstr(err, t[i].msg))
			fail_msg("case %zu: %d \"%s\"", i, rc, err);
		free(buf);
	}
	/* a NUL inside the text */
	buf = malloc(16);
	memcpy(buf, "linux /k\0x\n", 11);
	assert_int_equal(bls_parse(e, "a.conf", buf, 11, err, sizeof(err)), BLS_E_SYNTAX);
	assert_string_equal(err, "a.conf: a NUL byte at offset 8");
	free(buf);
	/* a name too long */
	char name[300];

	memset(name, 'a', sizeof(name));
	strcpy(name + 251, ".conf");	/* 256 characters */
	assert_int_equal(parse(e, name, "linux /k", &buf, err, sizeof(err)), BLS_E_NAME);
	free(buf);
	name[250] = '\0';
	strcat(name, ".conf");		/* 255 */
	assert_int_equal(parse(e, name, "linux /k", &buf, err, sizeof(err)), 0);
	free(buf);
	free(e);
}

static void test_parse_limits(void **state)
{
	struct bls_entry *e = calloc(1, sizeof(*e));
	char err[160], *text = malloc(64 * 40 + 8192), *p = text, *buf;

	(void)state;
	p += sprintf(p, "linux /k\n");
	for (int i = 0; i < BLS_INITRD_MAX; i++)
		p += sprintf(p, "initrd /i%d\n", i);
	assert_int_equal(parse(e, "a.conf", text, &buf, err, sizeof(err)), 0);
	assert_int_equal(e->n_initrd, BLS_INITRD_MAX);
	assert_string_equal(e->initrd[BLS_INITRD_MAX - 1], "/i31");
	free(buf);
	sprintf(p, "initrd /one-more\n");
	assert_int_equal(parse(e, "a.conf", text, &buf, err, sizeof(err)), BLS_E_TOO_MANY);
	assert_string_equal(err, "a.conf: more than 32 initrd lines");
	free(buf);

	/* options: 4095 bytes joined fit, 4096 do not */
	p = text;
	p += sprintf(p, "linux /k\noptions ");
	memset(p, 'x', 2047);
	p += 2047;
	p += sprintf(p, "\noptions ");
	memset(p, 'y', 2047);
	p[2047] = '\0';
	assert_int_equal(parse(e, "a.conf", text, &buf, err, sizeof(err)), 0);
	assert_int_equal(strlen(e->options), 4095);
	free(buf);
	p[2047] = 'y';
	p[2048] = '\0';
	assert_int_equal(parse(e, "a.conf", text, &buf, err, sizeof(err)), BLS_E_OPTIONS);
	assert_string_equal(err, "a.conf: options of more than 4095 bytes");
	free(buf);
	free(text);
	free(e);
}

static void test_boot_counting(void **state)
{
	static const struct { const char *name, *id; long left, done; } t[] = {
		{ "fedora+3.conf", "fedora", 3, 0 },
		{ "fedora+2-1.conf", "fedora", 2, 1 },
		{ "fedora+0-3.conf", "fedora", 0, 3 },
		{ "fedora-6.1+x.conf", "fedora-6.1+x", -1, -1 },
		{ "fedora+.conf", "fedora+", -1, -1 },
		{ "fedora+1-.conf", "fedora+1-", -1, -1 },
		{ "a+b+4.conf", "a+b", 4, 0 },
	};
	struct bls_entry *e = calloc(1, sizeof(*e));
	char err[160], *buf;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse(e, t[i].name, "linux /k", &buf, err, sizeof(err)), 0);
		if (strcmp(e->id, t[i].id) || e->tries_left != t[i].left || e->tries_done != t[i].done)
			fail_msg("%s: id %s left %ld done %ld", t[i].name, e->id, e->tries_left,
				 e->tries_done);
		assert_int_equal(bls_is_bad(e), t[i].left == 0);
		assert_true(bls_id_matches(e, t[i].id));
		free(buf);
	}
	assert_int_equal(parse(e, "fedora+2-1.conf", "linux /k", &buf, err, sizeof(err)), 0);
	assert_true(bls_id_matches(e, "fedora+2-1"));
	assert_false(bls_id_matches(e, "fedora+2"));
	free(buf);
	free(e);
}

/* Each version is older than every one after it (the list systemd's tests use). */
static void test_vercmp_order(void **state)
{
	static const char *const v[] = {
		"~1", "", "ab", "abb", "abc", "0001", "002", "12", "122", "122.9",
		"123~rc1", "123", "123-a", "123-a.1", "123-a1", "123-a1.1", "123-3",
		"123-3.1", "123^patch1", "123^1", "123.a-1", "123.1-1", "123a-1", "124",
	};
	size_t n = sizeof(v) / sizeof(v[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(bls_vercmp(v[i], v[i]), 0);
		for (size_t j = i + 1; j < n; j++)
			if (bls_vercmp(v[i], v[j]) >= 0 || bls_vercmp(v[j], v[i]) <= 0)
				fail_msg("\"%s\" should be older than \"%s\"", v[i], v[j]);
	}
}

static void test_vercmp_pairs(void **state)
{
	static const struct { const char *a, *b; int r; } t[] = {
		{ "123.45-67.88", "123.45-67.89", -1 }, { "123.45-67.89", "123.45-67.89a", -1 },
		{ "123.45-67.ab", "123.45-67.89", -1 }, { "123.45-67.9", "123.45-67.89", -1 },
		{ "123.45-67", "123.45-67.89", -1 }, { "123-99.99", "123.45-67.89", -1 },
		{ "123~rc1-99.99", "123.45-67.89", -1 }, { "123~rc1-99.99", "123~rc2-67.89", -1 },
		{ "123~rc1-99.99", "123^aa2-67.89", -1 }, { "123^45-67.89", "123.45-67.89", -1 },
		{ "123^aa2-67.89", "123aa2-67.89", -1 }, { "123.aa2-67.89", "123.ab2-67.89", -1 },
		{ "123_aa2-67.89", "123aa+2-67.89", 0 }, { "123.", "123", 1 }, { "12_3", "123", -1 },
		{ "12_3", "12", 1 }, { "12_3", "12.3", 1 }, { "123.0", "123", 1 },
		{ "123..0", "123.0", -1 }, { "", NULL, 0 }, { "0_", "0", 0 }, { "_0_", "0", 0 },
		{ "", "_", 0 }, { "", "~", 1 }, { "~", "~", 0 }, { "1.0~rc1", "1.0", -1 },
		{ "1.0^", "1.0", 1 }, { "1.0^git1", "1.01", -1 }, { "1.0^20160101", "1.0.1", -1 },
		{ "1.0~rc1^git1", "1.0~rc1", 1 }, { "1.0^git1~pre", "1.0^git1", -1 },
		{ "10.0001", "10.1", 0 }, { "4.999.9", "5.0", -1 }, { "2.0", "2_0", -1 },
		{ "5.5p1", "5.5p10", -1 }, { "10xyz", "10.1xyz", 1 }, { "xyz.4", "8", -1 },
		{ "6.0.rc1", "6.0", 1 }, { "10b2", "10a1", 1 }, { "1.0a", "1.0aa", -1 },
		{ "A", "a", -1 }, { "bar-123", "foo-123", -1 }, { "123a", "123", 1 },
		{ "1.1.\xce\xb1", "1.1.\xce\xb2", 0 },
		{ "6.1.0-18-amd64", "6.1.0-9-amd64", 1 }, { "6.1.0-18-amd64", "6.10.0-1-amd64", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = bls_vercmp(t[i].a, t[i].b), back = bls_vercmp(t[i].b, t[i].a);

		if (r != t[i].r || back != -t[i].r)
			fail_msg("\"%s\" vs \"%s\": %d / %d, want %d", t[i].a, t[i].b ? t[i].b : "(null)",
				 r, back, t[i].r);
	}
}

struct fixture {
	const char *name, *text;
};

static void sort_and_check(const struct fixture *f, size_t n, const char *const *want)
{
	struct bls_entry *e = calloc(n, sizeof(*e)), **v = calloc(n, sizeof(*v));
	char **bufs = calloc(n, sizeof(*bufs)), err[160];

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(parse(&e[i], f[i].name, f[i].text, &bufs[i], err, sizeof(err)), 0);
		v[i] = &e[i];
	}
	bls_sort(v, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->name, want[i]))
			fail_msg("position %zu: %s, want %s", i, v[i]->name, want[i]);
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(v);
	free(e);
}

/* The specification's rules, in the example systemd's bootspec test uses. */
static void test_sort_spec(void **state)
{
	static const struct fixture f[] = {
		{ "a-10.conf", "linux /k\nversion 10\nmachine-id dd235d00696545768f6f693bfd23b15f\n" },
		{ "a-5.conf", "linux /k\nversion 5\nmachine-id dd235d00696545768f6f693bfd23b15f\n" },
		{ "b.conf", "linux /k\nversion 3\nmachine-id b75451ad92f94feeab50b0b442768dbd\n" },
		{ "c.conf", "linux /k\nsort-key xxxx\nversion 5\nmachine-id 309de666fd5044268a9a26541ac93176\n" },
		{ "cx.conf", "linux /k\nsort-key xxxx\nversion 10\nmachine-id 309de666fd5044268a9a26541ac93176\n" },
		{ "d.conf", "linux /k\nsort-key kkkk\nversion 100\nmachine-id 81c6e3147cf544c19006af023e22b292\n" },
	};
	static const char *const want[] = { "d", "cx", "c", "b", "a-10", "a-5" };

	(void)state;
	sort_and_check(f, 6, want);
}

/* Bad entries last; machine-id between sort-key and version; ties by name. */
static void test_sort_more(void **state)
{
	static const struct fixture f[] = {
		{ "deb-6.1.0-9+0-3.conf", "linux /k\nsort-key debian\nversion 6.1.0-9\n" },
		{ "deb-6.1.0-18.conf", "linux /k\nsort-key debian\nversion 6.1.0-18\nmachine-id bb\n" },
		{ "deb-6.1.0-20+3.conf", "linux /k\nsort-key debian\nversion 6.1.0-20\nmachine-id bb\n" },
		{ "deb-other.conf", "linux /k\nsort-key debian\nversion 7\nmachine-id aa\n" },
		{ "deb-nomid.conf", "linux /k\nsort-key debian\nversion 1\n" },
		{ "arch.conf", "linux /k\nsort-key arch\n" },
		{ "z-1.conf", "linux /k\n" },
		{ "z-1b.conf", "linux /k\n" },
		{ "same-a.conf", "linux /k\nsort-key zz\nversion 2\n" },
		{ "same-b.conf", "linux /k\nsort-key zz\nversion 2\n" },
	};
	static const char *const want[] = {
		"arch", "deb-nomid", "deb-other", "deb-6.1.0-20+3", "deb-6.1.0-18",
		"same-b", "same-a", "z-1b", "z-1", "deb-6.1.0-9+0-3",
	};

	(void)state;
	sort_and_check(f, sizeof(f) / sizeof(f[0]), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_all_keys),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_boot_counting),
		cmocka_unit_test(test_vercmp_order),
		cmocka_unit_test(test_vercmp_pairs),
		cmocka_unit_test(test_sort_spec),
		cmocka_unit_test(test_sort_more),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
