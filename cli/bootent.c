/* SPDX-License-Identifier: MIT */
/*
 * `baton load --bls [ID]`: Boot Loader Specification Type #1 entries from the
 * places the specification names: /boot (XBOOTLDR, or the ESP mounted there),
 * /efi and /boot/efi (the ESP), each `loader/entries/NAME.conf`, every path in an
 * entry relative to the root of the partition holding it. Parsing and order
 * are bls/'s; this file lists the directories and reads the files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bls/bls.h"
#include "cli/bootent.h"

static const char *const bls_dirs[] = { "/boot", "/efi", "/boot/efi" };
#define BLS_ARCH	"x64"

struct found {
	struct bls_entry e;
	char *text;
	int dir;	/* index into bls_dirs */
};

static int seen_dir(const struct stat *st, const struct stat *prev, int nprev)
{
	for (int i = 0; i < nprev; i++)
		if (prev[i].st_dev == st->st_dev && prev[i].st_ino == st->st_ino)
			return 1;
	return 0;
}

static int add_file(struct bls_pick *p, struct found **v, size_t *n, size_t *cap,
		    const struct sys_ctx *s, int dir, const char *name)
{
	char path[1024], err[200];
	size_t len;
	char *text;
	struct found *f;

	snprintf(path, sizeof(path), "%s/loader/entries/%s", bls_dirs[dir], name);
	text = sys_read(s, path, &len);
	if (!text) {
		if (!p->quiet)
			fprintf(stderr, "baton: warning: read %s: %s\n", path, strerror(errno));
		return 0;
	}
	if (*n == *cap) {
		struct found *nv = realloc(*v, (*cap = *cap ? 2 * *cap : 16) * sizeof(**v));

		if (!nv) {
			free(text);
			return -1;
		}
		*v = nv;
	}
	f = &(*v)[*n];
	if (bls_parse(&f->e, name, text, len, err, sizeof(err))) {
		if (!p->quiet)
			fprintf(stderr, "baton: warning: %s: %s\n", path, err);
		free(text);
		return 0;
	}
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].e.id, f->e.id) == 0) {	/* $BOOT's first */
			free(text);
			return 0;
		}
	f->text = text;
	f->dir = dir;
	(*n)++;
	return 0;
}

static int list_entries(struct bls_pick *p, const struct sys_ctx *s, struct found **v, size_t *n)
{
	struct stat st[3];
	size_t cap = 0;
	int nst = 0;

	*v = NULL;
	*n = 0;
	for (int d = 0; d < 3; d++) {
		char rel[256], full[4096];
		struct dirent *de;
		DIR *dir;

		snprintf(rel, sizeof(rel), "%s/loader/entries", bls_dirs[d]);
		sys_path(s, rel, full, sizeof(full));
		if (stat(full, &st[nst]) != 0 || seen_dir(&st[nst], st, nst))
			continue;
		nst++;
		dir = opendir(full);
		if (!dir)
			continue;
		while ((de = readdir(dir)) != NULL) {
			size_t len = strlen(de->d_name);

			if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf"))
				continue;
			if (add_file(p, v, n, &cap, s, d, de->d_name)) {
				closedir(dir);
				return -1;
			}
		}
		closedir(dir);
	}
	return 0;
}

/* [root] "/boot" "/" path (the entry's path, with or without its leading '/'). */
static char *in_partition(const struct sys_ctx *s, int dir, const char *path)
{
	const char *root = s->root ? s->root : "";
	size_t n = strlen(root) + strlen(bls_dirs[dir]) + strlen(path) + 2;
	char *out = malloc(n);

	if (out)
		snprintf(out, n, "%s%s/%s", root, bls_dirs[dir], path[0] == '/' ? path + 1 : path);
	return out;
}

static int pick_fail(struct bls_pick *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int pick_fail(struct bls_pick *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return -1;
}

int bls_pick(struct bls_pick *p, const struct sys_ctx *s, const char *want)
{
	struct found *v;
	struct bls_entry **order;
	size_t n, m = 0;
	const struct found *f = NULL;
	int rc = -1;

	if (list_entries(p, s, &v, &n))
		return pick_fail(p, "out of memory listing boot entries");
	order = calloc(n ? n : 1, sizeof(*order));
	if (!order)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct bls_entry *e = &v[i].e;

		if (want && bls_id_matches(e, want)) {
			if (!e->kernel)
				pick_fail(p, "boot entry %s has no linux line (an EFI program): baton loads Linux kernels",
					  e->id);
			else if (!bls_arch_matches(e, BLS_ARCH))
				pick_fail(p, "boot entry %s is for architecture %s, not x64", e->id,
					  e->architecture);
			else
				f = &v[i];
			goto found;
		}
		if (e->kernel && bls_arch_matches(e, BLS_ARCH))
			order[m++] = &v[i].e;
	}
	if (want) {
		pick_fail(p, "no boot entry %s in /boot, /efi or /boot/efi loader/entries", want);
		goto found;
	}
	if (!m) {
		pick_fail(p, "no Boot Loader Specification entry for x64 with a linux line in /boot, /efi or /boot/efi loader/entries");
		goto found;
	}
	bls_sort(order, m);
	f = (const struct found *)(const void *)order[0];	/* e is the first member */
found:
	if (f) {
		p->entry = f->e;
		p->text = f->text;	/* the entry's strings point into it */
		p->kernel = in_partition(s, f->dir, f->e.kernel);
		for (unsigned i = 0; i < f->e.n_initrd; i++)
			p->initrd[p->n_initrd++] = in_partition(s, f->dir, f->e.initrd[i]);
		p->dtb = f->e.devicetree ? in_partition(s, f->dir, f->e.devicetree) : NULL;
		snprintf(p->where, sizeof(p->where), "%s/loader/entries/%s.conf", bls_dirs[f->dir],
			 f->e.name);
		rc = p->kernel ? 0 : pick_fail(p, "out of memory");
	}
out:
	free(order);
	for (size_t i = 0; i < n; i++)
		if (!f || v[i].text != f->text)
			free(v[i].text);
	free(v);
	return rc;
}

void bls_pick_free(struct bls_pick *p)
{
	free(p->kernel);
	for (unsigned i = 0; i < p->n_initrd; i++)
		free(p->initrd[i]);
	free(p->dtb);
	free(p->text);
}
