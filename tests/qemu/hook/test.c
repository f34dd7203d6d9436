// tests/qemu/hook/test.c: /init of the hook's smoke test (README.md beside this
// file). A freestanding static x86-64 Linux program, raw system calls like
// tests/qemu/linux/init.c. It loads /baton.ko, drives /dev/baton and
// /sys/kernel/baton/ and prints one line per check:
//
//   hook-test: PASS <check>
//   hook-test: FAIL <check>: <what was seen>
//   hook-test: done <N> passed, <M> failed
//
// then powers the machine off. tests/qemu/hook/run.sh judges the lines.

#include <baton/handoff.h>
#include <baton/hook.h>

_Static_assert(BATON_HOOK_MODE_LONG64 == BATON_MODE_LONG64, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_MODE_PROT32 == BATON_MODE_PROT32, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_REGS == BATON_REG_COUNT, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_ZERO == BATON_L_ZERO, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_CLAIM == BATON_L_CLAIM, "hook.h and handoff.h differ");
_Static_assert(sizeof(struct baton_hook_commit) == 0x60, "commit record size");
_Static_assert(sizeof(struct baton_hook_range) == 0x18, "range size");

typedef unsigned long u64;
typedef long s64;
typedef unsigned char u8;

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_ioctl = 16,
	SYS_pwrite64 = 18, SYS_pause = 34, SYS_getpid = 39, SYS_fork = 57, SYS_exit = 60,
	SYS_wait4 = 61, SYS_kill = 62, SYS_setresuid = 117, SYS_capget = 125, SYS_capset = 126, SYS_sync = 162,
	SYS_mount = 165, SYS_reboot = 169, SYS_finit_module = 313,
};
enum {
	O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_TRUNC = 01000, O_NONBLOCK = 04000,
	O_NOCTTY = 0400, O_CLOEXEC = 02000000,
};
enum { EPERM = 1, EACCES = 13, EBUSY = 16, EINVAL = 22, EADDRNOTAVAIL = 99 };
enum { CAP_SYS_BOOT = 22 };
enum { TCSBRK = 0x5409 };
#define REBOOT_MAGIC1 0xfee1deadUL
#define REBOOT_MAGIC2 672274793UL
#define REBOOT_POWER_OFF 0x4321fedcUL
#define PAGE 4096UL

static s64 sys6(s64 n, s64 a, s64 b, s64 c, s64 d, s64 e, s64 f)
{
	s64 r;
	register s64 r10 __asm__("r10") = d;
	register s64 r8 __asm__("r8") = e;
	register s64 r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
			 "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}
#define sys3(n, a, b, c) sys6(n, (s64)(a), (s64)(b), (s64)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (s64)(a), (s64)(b), (s64)(c), (s64)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (s64)(a), (s64)(b), (s64)(c), (s64)(d), (s64)(e), 0)

void *memset(void *d, int c, u64 n);
void *memcpy(void *d, const void *s, u64 n);
void *memset(void *d, int c, u64 n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}
void *memcpy(void *d, const void *s, u64 n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

// ---- output -----------------------------------------------------------------

static int console = 1;
static char line[512];
static u64 len;
static u64 passed, failed;

static void put(const char *s)
{
	while (*s && len < sizeof line - 2)
		line[len++] = *s++;
}

static void put_num(u64 v, int base)
{
	char t[24];
	int i = 0;
	if (base == 16)
		put("0x");
	do
		t[i++] = "0123456789abcdef"[v % (u64)base];
	while ((v /= (u64)base) && i < 24);
	while (i && len < sizeof line - 2)
		line[len++] = t[--i];
}

static void flush_line(void)
{
	line[len++] = '\n';
	sys3(SYS_write, console, line, len);
	len = 0;
}

static void check_fn(int ok, const char *name, const char *what, s64 got)
{
	put("hook-test: ");
	put(ok ? "PASS " : "FAIL ");
	put(name);
	if (!ok) {
		put(": ");
		put(what);
		put(" ");
		if (got < 0) {
			put("-");
			put_num((u64)-got, 10);
		} else {
			put_num((u64)got, 10);
		}
	}
	flush_line();
	if (ok)
		passed++;
	else
		failed++;
}

// A check whose value must equal the expected one (an fd >= 0 counts as 0).
static void expect(const char *name, s64 got, s64 want)
{
	check_fn(got == want, name, "got", got);
}

static __attribute__((noreturn)) void finish(void)
{
	put("hook-test: done ");
	put_num(passed, 10);
	put(" passed, ");
	put_num(failed, 10);
	put(" failed");
	flush_line();
	sys3(SYS_ioctl, console, TCSBRK, 1);
	sys3(SYS_sync, 0, 0, 0);
	sys4(SYS_reboot, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWER_OFF, 0);
	for (;;)
		sys3(SYS_pause, 0, 0, 0);
}

static __attribute__((noreturn)) void fatal(const char *name, s64 err)
{
	check_fn(0, name, "errno", err);
	finish();
}

// ---- files --------------------------------------------------------------------

static char fbuf[1 << 16];

// The text of a small file (NUL-terminated, one trailing newline removed), or "".
static const char *slurp(const char *path)
{
	s64 fd = sys3(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
	u64 n = 0;
	fbuf[0] = 0;
	if (fd < 0)
		return fbuf;
	for (;;) {
		s64 r = sys3(SYS_read, fd, fbuf + n, sizeof fbuf - 1 - n);
		if (r <= 0 || (n += (u64)r) == sizeof fbuf - 1)
			break;
	}
	sys3(SYS_close, fd, 0, 0);
	fbuf[n] = 0;
	if (n && fbuf[n - 1] == '\n')
		fbuf[n - 1] = 0;
	return fbuf;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix)
		s++, prefix++;
	return !*prefix;
}

static int contains(const char *s, const char *needle)
{
	for (; *s; s++)
		if (starts(s, needle))
			return 1;
	return 0;
}

static u64 sys_num(const char *attr)
{
	static char path[64];
	u64 i = 0, v = 0;
	for (const char *p = "/sys/kernel/baton/"; *p; p++)
		path[i++] = *p;
	while (*attr)
		path[i++] = *attr++;
	path[i] = 0;
	for (const char *p = slurp(path); *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (u64)(*p - '0');
	return v;
}

static void expect_state(const char *name, const char *want)
{
	const char *s = slurp("/sys/kernel/baton/state");
	put("hook-test: ");
	put(streq(s, want) ? "PASS " : "FAIL ");
	put(name);
	put(" (state ");
	put(s);
	put(")");
	flush_line();
	if (streq(s, want))
		passed++;
	else
		failed++;
}

static s64 sys_write_file(const char *path, const char *text)
{
	s64 fd = sys3(SYS_open, path, O_WRONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	u64 n = 0;
	while (text[n])
		n++;
	s64 r = sys3(SYS_write, fd, text, n);
	sys3(SYS_close, fd, 0, 0);
	return r < 0 ? r : 0;
}

static u64 hex(const char **pp)
{
	u64 v = 0;
	const char *p = *pp;
	for (;; p++) {
		if (*p >= '0' && *p <= '9')
			v = v * 16 + (u64)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v * 16 + (u64)(*p - 'a' + 10);
		else
			break;
	}
	*pp = p;
	return v;
}

// The largest top-level "System RAM" range of /proc/iomem, and the end of the
// last one: the first address above every RAM range.
static void ram_ranges(u64 *base, u64 *size, u64 *top)
{
	const char *p = slurp("/proc/iomem");
	*base = *size = *top = 0;
	while (*p) {
		if (*p != ' ') {
			u64 a = hex(&p), b = 0;
			if (*p == '-') {
				p++;
				b = hex(&p);
			}
			if (starts(p, " : System RAM") && b > a) {
				if (b + 1 - a > *size) {
					*base = a;
					*size = b + 1 - a;
				}
				if (b + 1 > *top)
					*top = b + 1;
			}
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
}

// ---- the checks -----------------------------------------------------------------

static u8 page[3 * PAGE];

static s64 open_baton(int flags)
{
	return sys3(SYS_open, "/dev/baton", flags | O_CLOEXEC, 0);
}

static s64 commit(s64 fd, u64 entry, struct baton_hook_range *r, unsigned n)
{
	struct baton_hook_commit c;
	memset(&c, 0, sizeof c);
	c.version = BATON_HOOK_VERSION;
	c.size = sizeof c;
	c.entry_mode = BATON_HOOK_MODE_LONG64;
	c.range_count = n;
	c.entry_addr = entry;
	c.regs[BATON_REG_RSI] = entry - 0x200 + PAGE;
	c.ranges = (u64)r;
	return sys3(SYS_ioctl, fd, BATON_IOC_COMMIT, &c);
}

// Loads one page at dst and commits with the entry in it: the state is armed.
static s64 arm_one(u64 dst)
{
	s64 fd = open_baton(O_WRONLY);
	if (fd < 0)
		return fd;
	memset(page, 0x5a, PAGE);
	s64 r = sys4(SYS_pwrite64, fd, page, PAGE, dst);
	if (r == (s64)PAGE)
		r = commit(fd, dst + 0x200, 0, 0);
	s64 c = sys3(SYS_close, fd, 0, 0);
	return r < 0 ? r : c;
}

// A child process's exit status: 0..255, or 256 + signal.
static s64 child_status(s64 pid)
{
	int st = 0;
	sys4(SYS_wait4, pid, &st, 0, 0);
	return (st & 0x7f) ? 256 + (st & 0x7f) : (st >> 8) & 0xff;
}

static void run(void)
{
	s64 r, fd;
	u64 base, size, top;

	ram_ranges(&base, &size, &top);
	if (size < 64 * PAGE)
		fatal("find System RAM in /proc/iomem", 0);
	u64 dst = (base + size / 2) & ~(PAGE - 1);

	fd = sys3(SYS_open, "/baton.ko", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		fatal("open /baton.ko", fd);
	r = sys3(SYS_finit_module, fd, "", 0);
	sys3(SYS_close, fd, 0, 0);
	if (r < 0)
		fatal("insmod baton.ko", r);
	expect("insmod baton.ko", r, 0);
	expect_state("empty after insmod", "empty");

	fd = open_baton(O_WRONLY);
	if (fd < 0)
		fatal("open /dev/baton O_WRONLY", fd);
	expect("open /dev/baton O_WRONLY", 0, 0);
	expect("a second writer gets EBUSY", open_baton(O_WRONLY), -EBUSY);
	expect("open for reading gets EINVAL", open_baton(O_RDONLY), -EINVAL);

	// Page 0: a pattern. Pages 1-2: 6000 bytes from offset 100 of page 1.
	// Page 3: zeros only, which keeps no page.
	for (u64 i = 0; i < sizeof page; i++)
		page[i] = (u8)(i * 7 + 1);
	expect("pwrite one page", sys4(SYS_pwrite64, fd, page, PAGE, dst), (s64)PAGE);
	expect("pwrite 6000 bytes over two pages",
	       sys4(SYS_pwrite64, fd, page, 6000, dst + PAGE + 100), 6000);
	memset(page, 0, PAGE);
	expect("pwrite a page of zeros", sys4(SYS_pwrite64, fd, page, PAGE, dst + 3 * PAGE),
	       (s64)PAGE);
	expect("pwrite above the top of RAM gets EADDRNOTAVAIL",
	       sys4(SYS_pwrite64, fd, page, PAGE, top), -EADDRNOTAVAIL);
	expect("pwrite at the local APIC gets EADDRNOTAVAIL",
	       sys4(SYS_pwrite64, fd, page, 16, 0xfee00000UL), -EADDRNOTAVAIL);
	expect("pwrite across the end of RAM gets EADDRNOTAVAIL",
	       sys4(SYS_pwrite64, fd, page, 2 * PAGE, top - PAGE), -EADDRNOTAVAIL);
	expect("3 source pages held (the zero page none)", (s64)sys_num("pages"), 3);

	struct baton_hook_commit bad;
	memset(&bad, 0, sizeof bad);
	bad.version = 99;
	bad.size = sizeof bad;
	expect("commit version 99 gets EINVAL", sys3(SYS_ioctl, fd, BATON_IOC_COMMIT, &bad),
	       -EINVAL);
	struct baton_hook_range ranges[2] = {
		{ .addr = dst + 4 * PAGE, .pages = 2, .kind = BATON_HOOK_ZERO },
		{ .addr = dst + 8 * PAGE, .pages = 16, .kind = BATON_HOOK_CLAIM },
	};
	struct baton_hook_range outside = { .addr = top, .pages = 1, .kind = BATON_HOOK_ZERO };
	expect("commit with a range outside RAM gets EINVAL", commit(fd, dst + 0x200, &outside, 1),
	       -EINVAL);
	expect("commit", commit(fd, dst + 0x200, ranges, 2), 0);
	expect("close arms", sys3(SYS_close, fd, 0, 0), 0);
	expect_state("armed after close", "armed");
	expect("sysfs bytes", (s64)sys_num("bytes"), (s64)(PAGE + 6000 + PAGE));
	expect("sysfs pages", (s64)sys_num("pages"), 3);
	expect("sysfs ranges", (s64)sys_num("ranges"), 2);
	{
		const char *e = slurp("/sys/kernel/baton/entry");
		put("hook-test: ");
		put(starts(e, "long64 0x") ? "PASS" : "FAIL");
		put(" sysfs entry: ");
		put(e);
		flush_line();
		starts(e, "long64 0x") ? passed++ : failed++;
	}
	expect("a writer while armed gets EBUSY", open_baton(O_WRONLY), -EBUSY);

	// Not root: the node's mode (0200, root) refuses before the module is asked.
	// Root without CAP_SYS_BOOT: the module refuses. Each child exits with the
	// errno its open() got.
	s64 pid = sys3(SYS_fork, 0, 0, 0);
	if (pid == 0) {
		sys3(SYS_setresuid, 65534, 65534, 65534);
		sys3(SYS_exit, -open_baton(O_WRONLY) & 0xff, 0, 0);
	}
	expect("a writer that is not root gets EACCES (the node's mode)", child_status(pid),
	       EACCES);
	pid = sys3(SYS_fork, 0, 0, 0);
	if (pid == 0) {
		struct { unsigned version; int pid; } hdr = { 0x20080522, 0 };	// v3
		struct { unsigned eff, perm, inh; } data[2];
		sys3(SYS_capget, &hdr, data, 0);
		data[0].eff &= ~(1u << CAP_SYS_BOOT);
		data[0].perm &= ~(1u << CAP_SYS_BOOT);
		s64 e = sys3(SYS_capset, &hdr, data, 0);
		sys3(SYS_exit, e ? 200 : -open_baton(O_WRONLY) & 0xff, 0, 0);
	}
	expect("root without CAP_SYS_BOOT gets EPERM", child_status(pid), EPERM);

	expect("disarm through sysfs", sys_write_file("/sys/kernel/baton/disarm", "1"), 0);
	expect_state("empty after disarm", "empty");
	expect("no pages after disarm", (s64)sys_num("pages"), 0);

	fd = open_baton(O_WRONLY);
	sys4(SYS_pwrite64, fd, page + PAGE, PAGE, dst);
	expect("close without a commit", sys3(SYS_close, fd, 0, 0), 0);
	expect_state("empty after a close without commit", "empty");
	expect("no pages after a close without commit", (s64)sys_num("pages"), 0);

	fd = open_baton(O_WRONLY);
	sys4(SYS_pwrite64, fd, page + PAGE, PAGE, dst);
	expect("commit with the entry in no written page", commit(fd, dst + 5 * PAGE, 0, 0), 0);
	expect("close refuses it with EINVAL", sys3(SYS_close, fd, 0, 0), -EINVAL);
	expect_state("empty after a refused close", "empty");

	pid = sys3(SYS_fork, 0, 0, 0);
	if (pid == 0) {
		s64 f = open_baton(O_WRONLY);
		for (u64 i = 0; i < 8; i++)
			sys4(SYS_pwrite64, f, page + PAGE, PAGE, dst + i * PAGE);
		commit(f, dst + 0x200, 0, 0);
		sys3(SYS_kill, sys3(SYS_getpid, 0, 0, 0), 9, 0);
		sys3(SYS_exit, 1, 0, 0);
	}
	expect("a writer killed after its commit dies of SIGKILL", child_status(pid), 256 + 9);
	expect_state("empty after the killed writer", "empty");
	expect("no pages after the killed writer", (s64)sys_num("pages"), 0);

	expect("arm again", arm_one(dst), 0);
	expect_state("armed again", "armed");
	fd = open_baton(O_WRONLY | O_TRUNC);
	expect("open O_TRUNC while armed", fd >= 0 ? 0 : fd, 0);
	expect_state("loading after open O_TRUNC", "loading");
	expect("no pages after open O_TRUNC", (s64)sys_num("pages"), 0);
	sys3(SYS_close, fd, 0, 0);
	expect_state("empty after that writer closed", "empty");

	// The kernel log names each arm and disarm.
	{
		s64 k = sys3(SYS_open, "/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
		int armed = 0, disarmed = 0;
		static char rec[2048];
		for (;;) {
			s64 n = sys3(SYS_read, k, rec, sizeof rec - 1);
			if (n <= 0)
				break;
			rec[n] = 0;
			armed += contains(rec, "baton: armed: ");
			disarmed += contains(rec, "baton: disarmed (");
		}
		sys3(SYS_close, k, 0, 0);
		expect("kernel log: 2 armed lines", armed, 2);
		expect("kernel log: 2 disarmed lines", disarmed, 2);
	}

	expect("disable", sys_write_file("/sys/kernel/baton/disabled", "1"), 0);
	expect("a writer after disable gets EPERM", open_baton(O_WRONLY), -EPERM);
	expect("disabled is one way", sys_write_file("/sys/kernel/baton/disabled", "0"), -EPERM);
}

void test_main(void);
void test_main(void)
{
	s64 fd = sys3(SYS_open, "/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC, 0);
	if (fd >= 0)
		console = (int)fd;
	// devtmpfs over /dev: the kernel makes /dev/baton there when the module loads.
	s64 r = sys5(SYS_mount, "devtmpfs", "/dev", "devtmpfs", 0, 0);
	if (r < 0)
		fatal("mount /dev", r);
	r = sys5(SYS_mount, "proc", "/proc", "proc", 0, 0);
	if (r < 0)
		fatal("mount /proc", r);
	r = sys5(SYS_mount, "sysfs", "/sys", "sysfs", 0, 0);
	if (r < 0)
		fatal("mount /sys", r);
	run();
	finish();
}

__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call test_main\n"
	"	hlt\n"
	".size _start, . - _start\n");
