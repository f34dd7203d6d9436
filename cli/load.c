/* SPDX-License-Identifier: MIT */
/*
 * `baton load`: read the files, read the running system, lay the image out
 * with the stage (stage_layout_runs: the same checks and placement as every
 * outgoing side), and hand the destination pages to the kernel hook:
 *
 *   open("/dev/baton", O_WRONLY | O_TRUNC)   at the first page, after every
 *                                            check passed (a refused image
 *                                            leaves an armed one alone)
 *   pwrite(fd, bytes, len, dst)              pages with bytes, coalesced
 *   ioctl(fd, BATON_IOC_COMMIT, &record)     entry, zero/claim ranges, timing
 *                                            slot, console port
 *   close(fd)                                the kernel's verdict: armed or not
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/bootent.h"
#include "cli/cli.h"
#include "cli/load.h"
#include "cli/system.h"
#include "core/memmap.h"
#include "fmt/bzimage.h"
#include "stage/stage.h"

#define PAGE		4096ULL
#define WRITE_MAX	(4ULL << 20)	/* one pwrite at most: 1024 pages */
#define MIB		(1024.0 * 1024.0)
#define PROGRESS_MIN	(16ULL << 20)	/* smaller loads print no progress */

struct file_buf {
	uint8_t *p;
	uint64_t len;
	int mapped;		/* p is an mmap of the file, else malloc'd */
};

static void file_free(struct file_buf *f)
{
	if (f->mapped)
		munmap(f->p, f->len);
	else
		free(f->p);
	memset(f, 0, sizeof(*f));
}

struct writer {
	const struct cli_args *a;
	const char *device;
	const char *image_name;
	int fd;			/* -1 until the first page */
	int dry;
	int count;		/* the first pass: zero and claim ranges only */
	uint8_t *buf;		/* pages waiting to be written, contiguous at buf_dst */
	uint64_t buf_dst, buf_len;
	uint64_t written, byte_pages, total;
	int progress, last_pct;
	struct cli_ranges *ranges;
	/* dry run: the runs as they come */
	uint64_t run_dst, run_pages;
	uint32_t run_kind;
	int err;		/* EX_* after a failure */
};

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("baton: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* What an errno from /dev/baton means for the exit status. */
static int hook_errno_code(int e)
{
	switch (e) {
	case ENOENT: case ENODEV: case ENXIO:	return EX_NOHOOK;
	case EPERM: case EACCES:		return EX_PERM;
	case EBUSY:				return EX_BUSY;
	default:				return EX_KERNEL;
	}
}

static const char *hook_hint(int e)
{
	switch (e) {
	case ENOENT: case ENODEV: case ENXIO:
		return " (is baton.ko loaded? modprobe baton)";
	case EACCES:
		return " (run as root)";
	case EPERM:
		return " (needs CAP_SYS_BOOT; the kernel may be locked down, or loading disabled in /sys/kernel/baton/disabled)";
	case EBUSY:
		return " (another baton load is writing)";
	default:
		return "";
	}
}

int cli_open_hook(const char *device, int flags, int *code)
{
	int fd = open(device, flags | O_CLOEXEC);

	if (fd < 0)
		*code = fail(hook_errno_code(errno), "open %s: %s%s", device, strerror(errno),
			     hook_hint(errno));
	return fd;
}

/* ---- reading files ------------------------------------------------------------ */

static int read_whole(const char *path, struct file_buf *f, const char *what)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t got = 0;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return fail(EX_FILE, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return fail(EX_FILE, "%s %s: %s", what, path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return fail(EX_FILE, "%s %s: %s", what, path,
			    !S_ISREG(st.st_mode) ? "not a regular file" : "empty");
	}
	f->len = (uint64_t)st.st_size;
	/* Mapped, not read: a 256 MiB initrd on a tmpfs then costs no second copy
	 * beside the kernel's (the page cache's pages are the file's). */
	f->p = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->p != MAP_FAILED) {
		f->mapped = 1;
		close(fd);
		return 0;
	}
	f->p = malloc(f->len + 1);
	if (!f->p) {
		close(fd);
		return fail(EX_FAIL, "%s %s: out of memory for %llu bytes", what, path,
			    (unsigned long long)f->len);
	}
	while (got < f->len) {
		ssize_t r = read(fd, f->p + got, f->len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;

			close(fd);
			free(f->p);
			f->p = NULL;
			return fail(EX_FILE, "%s %s: read: %s", what, path, strerror(e));
		}
		got += (uint64_t)r;
	}
	close(fd);
	return 0;
}

/* Several initrds, one after the other (the kernel unpacks concatenated cpio). */
static int read_initrds(const char *const *paths, unsigned n, struct file_buf *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < n; i++) {
		struct file_buf f;
		uint8_t *p;
		int rc = read_whole(paths[i], &f, "initrd");

		if (rc)
			return rc;
		if (n == 1) {
			*out = f;
			return 0;
		}
		/* each one 4-byte aligned, as cpio archives concatenate */
		p = realloc(out->p, ((out->len + 3) & ~3ULL) + f.len + 1);
		if (!p) {
			file_free(&f);
			return fail(EX_FAIL, "initrd %s: out of memory", paths[i]);
		}
		out->p = p;
		while (out->len & 3)
			out->p[out->len++] = 0;
		memcpy(out->p + out->len, f.p, f.len);
		out->len += f.len;
		file_free(&f);
	}
	return 0;
}

/* ---- writing pages ------------------------------------------------------------- */

static void progress(struct writer *w, int done)
{
	int pct;

	if (!w->progress)
		return;
	pct = w->total ? (int)(w->written * 100 / w->total) : 100;
	pct = pct > 100 || done ? 100 : pct;
	if (pct == w->last_pct && !done)
		return;
	w->last_pct = pct;
	fprintf(stderr, "\rbaton: writing %.1f of %.1f MiB (%d%%)", w->written / MIB,
		(w->written > w->total ? w->written : w->total) / MIB, pct);
	if (done)
		fputc('\n', stderr);
	fflush(stderr);
}

static int flush(struct writer *w)
{
	uint64_t off = 0;

	while (off < w->buf_len) {
		ssize_t r = pwrite(w->fd, w->buf + off, w->buf_len - off, (off_t)(w->buf_dst + off));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;

			w->err = fail(hook_errno_code(e), "write %s 0x%llx-0x%llx (%llu bytes): %s%s",
				      w->device, (unsigned long long)(w->buf_dst + off),
				      (unsigned long long)(w->buf_dst + w->buf_len),
				      (unsigned long long)(w->buf_len - off), strerror(e),
				      e == EADDRNOTAVAIL ? " (the kernel says: not System RAM)" : "");
			return -1;
		}
		off += (uint64_t)r;
		w->written += (uint64_t)r;
	}
	w->buf_len = 0;
	progress(w, 0);
	return 0;
}

static const char *kind_name(uint32_t kind)
{
	return kind == BATON_L_SRC ? "bytes" : kind == BATON_L_ZERO ? "zero" : "claim";
}

static void dry_run_flush(struct writer *w)
{
	if (w->run_pages)
		printf("  0x%012llx-0x%012llx %-5s %8llu KiB\n", (unsigned long long)w->run_dst,
		       (unsigned long long)(w->run_dst + w->run_pages * PAGE), kind_name(w->run_kind),
		       (unsigned long long)(w->run_pages * 4));
	w->run_pages = 0;
}

static int emit(void *ctx, const struct stage_run *run, const void *bytes)
{
	struct writer *w = ctx;

	if (w->dry) {
		if (!w->byte_pages && !w->ranges->n && !w->run_pages)
			printf("baton: dry run: %s, destination pages:\n", w->image_name);
		if (!w->run_pages || w->run_kind != run->kind ||
		    w->run_dst + w->run_pages * PAGE != run->dst) {
			dry_run_flush(w);
			w->run_dst = run->dst;
			w->run_kind = run->kind;
		}
		w->run_pages++;
	}
	if (!bytes) {
		cli_ranges_add(w->ranges, run->dst, run->kind == BATON_L_ZERO ? BATON_HOOK_ZERO : BATON_HOOK_CLAIM);
		return 0;
	}
	w->byte_pages++;
	if (w->dry || w->count)
		return 0;
	if (w->fd < 0) {
		w->fd = cli_open_hook(w->device, O_WRONLY | O_TRUNC, &w->err);
		if (w->fd < 0)
			return 1;
	}
	if (w->buf_len && (w->buf_dst + w->buf_len != run->dst || w->buf_len == WRITE_MAX) && flush(w))
		return 1;
	if (!w->buf_len)
		w->buf_dst = run->dst;
	memcpy(w->buf + w->buf_len, bytes, PAGE);
	w->buf_len += PAGE;
	return 0;
}

/* ---- the request ------------------------------------------------------------------ */

static void *tmp_alloc(void *ctx, uint64_t bytes)
{
	(void)ctx;
	return calloc(1, bytes);
}

static void tmp_free(void *ctx, void *p, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(p);
}

/* The placement map made normal (core/memmap.c), compacted if too long. */
static int placement_map(const struct sys_ctx *s, struct baton_mem_range **out, uint64_t *n)
{
	struct baton_mem_range *raw, *m;
	uint64_t nraw, nm, bad;
	char err[300];

	if (sys_placement_map(s, &raw, &nraw, err, sizeof(err)))
		return fail(strstr(err, "run as root") ? EX_PERM : EX_SYSTEM, "%s", err);
	m = calloc(2 * nraw + 1, sizeof(*m));
	if (!m || memmap_normalize(raw, nraw, m, 2 * nraw + 1, &nm, &bad)) {
		free(raw);
		free(m);
		return fail(EX_SYSTEM, "/proc/iomem: its ranges do not make a memory map");
	}
	free(raw);
	*out = m;
	*n = cli_map_compact(m, nm, BATON_MAP_MAX);
	return 0;
}

struct load_inputs {
	struct file_buf image, initrd, dtb;
	const char *image_name;
	char cmdline[4096];
	char *proc_cmdline;
	struct baton_mem_range *map;
	uint64_t nmap;
	struct sys_linux linux_sys;
	int is_linux;
	struct bls_pick bls;
	int have_bls;
};

static void inputs_free(struct load_inputs *in)
{
	file_free(&in->image);
	file_free(&in->initrd);
	file_free(&in->dtb);
	free(in->proc_cmdline);
	free(in->map);
	sys_linux_free(&in->linux_sys);
	if (in->have_bls)
		bls_pick_free(&in->bls);
}

static int gather(const struct cli_args *a, const struct sys_ctx *s, struct load_inputs *in)
{
	char reused[4096], warn[300];
	const char *const *initrds = a->initrd;
	unsigned n_initrd = a->n_initrd;
	const char *image = a->image, *dtb = a->dtb, *base = NULL;
	int rc;

	if (a->bls) {
		in->bls.quiet = a->quiet;
		if (bls_pick(&in->bls, s, a->bls_id)) {
			in->have_bls = 1;
			return fail(EX_BLS, "%s", in->bls.err);
		}
		in->have_bls = 1;
		image = in->bls.kernel;
		initrds = (const char *const *)in->bls.initrd;
		n_initrd = in->bls.n_initrd;
		dtb = in->bls.dtb;
		base = in->bls.entry.options;
		if (!a->quiet)
			printf("baton: boot entry %s (%s%s%s)\n", in->bls.where,
			       in->bls.entry.title ? in->bls.entry.title : in->bls.entry.id,
			       in->bls.entry.version ? " " : "",
			       in->bls.entry.version ? in->bls.entry.version : "");
	}
	in->image_name = image;
	rc = read_whole(image, &in->image, "image");
	if (!rc)
		rc = read_initrds(initrds, n_initrd, &in->initrd);
	if (!rc && dtb)
		rc = read_whole(dtb, &in->dtb, "dtb");
	if (rc)
		return rc;
	in->proc_cmdline = sys_read(s, "/proc/cmdline", NULL);
	if (!in->proc_cmdline && a->reuse_cmdline)
		return fail(EX_SYSTEM, "--reuse-cmdline: read /proc/cmdline: %s", strerror(errno));
	cli_cmdline_reuse(in->proc_cmdline ? in->proc_cmdline : "", reused, sizeof(reused));
	if (cli_cmdline_build(a, reused, base, in->cmdline, sizeof(in->cmdline)))
		return fail(EX_USAGE, "command line longer than %zu bytes", sizeof(in->cmdline) - 1);
	rc = placement_map(s, &in->map, &in->nmap);
	if (rc)
		return rc;
	in->is_linux = fmt_bzimage_probe(in->image.p, in->image.len);
	if (!in->is_linux)
		return 0;
	if (sys_firmware_e820(s, &in->linux_sys.e820, &in->linux_sys.e820_count, warn, sizeof(warn)))
		return fail(EX_SYSTEM, "%s", warn);
	if (sys_linux_facts(s, &in->linux_sys, warn, sizeof(warn)) && !a->quiet)
		fprintf(stderr, "baton: warning: %s\n", warn);
	in->linux_sys.sys.e820 = in->linux_sys.e820;
	in->linux_sys.sys.e820_count = in->linux_sys.e820_count;
	return 0;
}

static int stage_code(int err)
{
	if (err == STAGE_E_MEMMAP)
		return EX_SYSTEM;
	if (err == STAGE_E_NOMEM)
		return EX_FAIL;
	return EX_IMAGE;
}

static void entry_line(const struct baton_entry *e, char *out, size_t len)
{
	static const char names[] = BATON_REG_NAMES;
	int n = snprintf(out, len, "%s 0x%llx", e->mode == BATON_MODE_PROT32 ? "prot32" : "long64",
			 (unsigned long long)e->addr);

	for (int i = 0, off = 0; i < BATON_REG_COUNT; off += (int)strlen(names + off) + 1, i++)
		if (e->regs[i] && n > 0 && (size_t)n < len)
			n += snprintf(out + n, len - (size_t)n, " %s 0x%llx", names + off,
				      (unsigned long long)e->regs[i]);
}

static int commit(struct writer *w, const struct stage_result *res, uint16_t port)
{
	struct baton_hook_commit c = {
		.version = BATON_HOOK_VERSION,
		.size = sizeof(c),
		.entry_mode = res->launch.mode,
		.range_count = w->ranges->n,
		.entry_addr = res->launch.addr,
		.ranges = (uint64_t)(uintptr_t)w->ranges->r,
		.timings = res->timings,
		.console_port = port,
	};
	int e;

	memcpy(c.regs, res->launch.regs, sizeof(c.regs));
	if (ioctl(w->fd, BATON_IOC_COMMIT, &c) != 0) {
		e = errno;
		close(w->fd);
		return fail(hook_errno_code(e), "commit (ioctl BATON_IOC_COMMIT on %s): %s%s", w->device,
			    strerror(e), e == EINVAL ? " (the kernel log says why: dmesg | grep baton)" : "");
	}
	if (close(w->fd) != 0) {
		e = errno;
		return fail(hook_errno_code(e), "close %s: the kernel refused the load: %s (dmesg | grep baton says why)",
			    w->device, strerror(e));
	}
	return 0;
}

static void report(const struct cli_args *a, const struct load_inputs *in, const struct writer *w,
		   const struct stage_result *res, uint16_t port)
{
	char entry[300];

	if (a->quiet && !a->dry_run)
		return;
	entry_line(&res->launch, entry, sizeof(entry));
	printf("baton: %s %s: %.1f MiB in %llu pages, %llu zero and %llu claim pages in %u ranges; entry %s\n",
	       a->dry_run ? "would load" : "loaded", in->image_name,
	       (double)w->byte_pages * PAGE / MIB, (unsigned long long)w->byte_pages,
	       (unsigned long long)w->ranges->zero_pages, (unsigned long long)w->ranges->claim_pages,
	       w->ranges->n, entry);
	if (a->dry_run) {
		printf("  command line: \"%s\"\n", in->cmdline);
		printf("  placement map: %llu ranges from /proc/iomem\n", (unsigned long long)in->nmap);
		if (in->is_linux)
			printf("  zero page: e820 %s (%zu entries), acpi_rsdp 0x%llx, screen_info %s, EFI handoff %s\n",
			       in->linux_sys.e820 ? "from /sys/firmware/memmap" : "from the placement map",
			       in->linux_sys.e820 ? in->linux_sys.e820_count : (size_t)in->nmap,
			       (unsigned long long)in->linux_sys.sys.acpi_rsdp,
			       in->linux_sys.sys.screen_info ? "yes" : "no",
			       in->linux_sys.uefi ? "yes" : "no");
		printf("  loader console: %s0x%x\n", port ? "" : "none ", port);
		if (res->timings)
			printf("  timing slot: 0x%llx\n", (unsigned long long)res->timings);
	} else {
		printf("baton: armed; `baton exec` or a reboot starts it\n");
	}
}

int cli_load(const struct cli_args *a)
{
	struct sys_ctx s = { .root = a->root };
	struct stage_env env = { .tmp_alloc = tmp_alloc, .tmp_free = tmp_free };
	struct load_inputs *in = calloc(1, sizeof(*in));
	struct cli_ranges *ranges = calloc(1, sizeof(*ranges));
	struct writer w = { .a = a, .fd = -1, .dry = a->dry_run, .ranges = ranges,
			    .device = a->device ? a->device : "/dev/baton", .last_pct = -1 };
	struct stage_request rq;
	struct stage_result res;
	uint16_t port;
	struct stat st;
	int rc, err;

	if (!in || !ranges) {
		free(in);
		free(ranges);
		return fail(EX_FAIL, "out of memory");
	}
	if (!w.dry && stat(w.device, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
		rc = fail(EX_NOHOOK, "%s: %s%s", w.device, strerror(errno), hook_hint(ENOENT));
		goto out;
	}
	rc = gather(a, &s, in);
	if (rc)
		goto out;
	port = cli_console_port(in->proc_cmdline ? in->proc_cmdline : "");
	memset(&rq, 0, sizeof(rq));
	w.image_name = in->image_name;
	rq.image = in->image.p;
	rq.image_len = in->image.len;
	rq.cmdline = in->cmdline;
	rq.initrd = in->initrd.p;
	rq.initrd_len = in->initrd.len;
	rq.dtb = in->dtb.p;
	rq.dtb_len = in->dtb.len;
	rq.linux_entry = a->entry32 ? STAGE_LINUX_32 : STAGE_LINUX_64;
	rq.mem = in->map;
	rq.mem_count = in->nmap;
	rq.linux_system = in->is_linux ? &in->linux_sys.sys : NULL;

	w.total = in->image.len + in->initrd.len + in->dtb.len;
	w.progress = !w.dry && !a->quiet && !a->no_progress && isatty(2) && w.total >= PROGRESS_MIN;
	w.buf = w.dry ? NULL : malloc(WRITE_MAX);
	if (!w.dry && !w.buf) {
		rc = fail(EX_FAIL, "out of memory");
		goto out;
	}
	if (!w.dry) {
		/* A first pass that writes nothing: what the kernel would refuse
		 * after /dev/baton's O_TRUNC disarmed an armed load is refused
		 * before it (too many ranges; the stage's own refusals). */
		struct writer pre = { .a = a, .fd = -1, .count = 1, .ranges = ranges };

		err = stage_layout_runs(&rq, &env, emit, &pre, &res);
		if (!err && ranges->dropped) {
			rc = fail(EX_IMAGE, "%s: more than %d zero and claim ranges (%llu pages left over): the kernel hook takes no more",
				  in->image_name, BATON_HOOK_RANGES_MAX, (unsigned long long)ranges->dropped);
			goto out;
		}
		memset(ranges, 0, sizeof(*ranges));
	}
	err = stage_layout_runs(&rq, &env, emit, &w, &res);
	if (w.dry)
		dry_run_flush(&w);
	if (err > 0 || (!err && !w.dry && w.buf_len && flush(&w))) {
		rc = w.err ? w.err : EX_FAIL;
		goto out_fd;
	}
	if (err) {
		rc = fail(stage_code(err), "%s: %s", in->image_name, res.msg[0] ? res.msg : stage_strerror(err));
		goto out_fd;
	}
	progress(&w, 1);
	if (ranges->dropped) {
		rc = fail(EX_IMAGE, "%s: more than %d zero and claim ranges (%llu pages left over): the kernel hook takes no more",
			  in->image_name, BATON_HOOK_RANGES_MAX, (unsigned long long)ranges->dropped);
		goto out_fd;
	}
	if (!w.dry && w.fd < 0) {
		rc = fail(EX_IMAGE, "%s: no page with bytes to write", in->image_name);
		goto out;
	}
	if (!w.dry) {
		rc = commit(&w, &res, port);
		w.fd = -1;
		if (rc)
			goto out;
	}
	report(a, in, &w, &res, port);
	rc = EX_OK;
	goto out;
out_fd:
	if (w.fd >= 0)
		close(w.fd);	/* no commit record: the kernel arms nothing */
out:
	free(w.buf);
	inputs_free(in);
	free(in);
	free(ranges);
	return rc;
}
