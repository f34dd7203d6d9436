// SPDX-License-Identifier: MIT
// tests/qemu/hook/guest.c: /init of the kernel hook's QEMU cases (README.md
// beside this file). A static glibc program for Debian's own kernel. The kernel
// command line picks what it does: baton.test=NAME
//
//   refusals    /dev/baton's refusals, each with its errno and kernel-log line;
//               nothing armed; then a plain reboot
//   jump        one page of code through /dev/baton by hand, then the reboot
//   probe       baton load /probe.elf, then reboot(RB_AUTOBOOT)
//   kernel      load /vmlinuz + /initrd2.cpio (baton.tool=baton|kexec), trigger
//   linux       the same after writing a block to /dev/vda and starting a reader
//               on it that still runs at the trigger; the next kernel checks the
//               block and gets a DHCP lease
//   fragmented  a 256 MiB initrd built here, free memory fragmented, then baton
//   second      the next kernel: checks what its command line names
//               (baton.cpus, baton.blk, baton.net, baton.pad), then powers off
//
// One line per check, judged by tests/qemu/hook/cases.py:
//
//   hook-test: start <test> on <release> cpus <online> cmdline <...>
//   hook-test: PASS <check>
//   hook-test: FAIL <check>: <what was seen>
//   hook-test: info <text>
//   hook-test: time load <tool> <ms> ms
//   hook-test: trigger <tool>: <how>       right before reboot() or kexec -e
//   hook-test: done <test>: <N> passed, <M> failed
//
// Run by udhcpc as its script (argv[1] = bound, ...), it writes /lease and exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <baton/handoff.h>
#include <baton/hook.h>
#include "core/crc32.h"

_Static_assert(BATON_HOOK_MODE_LONG64 == BATON_MODE_LONG64, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_MODE_PROT32 == BATON_MODE_PROT32, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_REGS == BATON_REG_COUNT, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_ZERO == BATON_L_ZERO, "hook.h and handoff.h differ");
_Static_assert(BATON_HOOK_CLAIM == BATON_L_CLAIM, "hook.h and handoff.h differ");
_Static_assert(sizeof(struct baton_hook_commit) == 0x80, "commit record size");
_Static_assert(sizeof(struct baton_hook_range) == 0x18, "range size");

#define PAGE 4096UL
#define MIB (1UL << 20)

// The files the build puts in the initramfs (build.mk).
#define MODULE_KO "/baton.ko"
#define BATON_CMD "/baton"
#define KEXEC_CMD "/sbin/kexec"
#define BUSYBOX "/bin/busybox"
#define VMLINUZ "/vmlinuz"
#define INITRD2 "/initrd2.cpio"
#define PROBE "/probe.elf"
#define KMOD_LIST "/kmod.list"
#define DISK "/dev/vda"
#define LEASE "/lease"

// The block the linux test writes to the disk: a header sector, then the data.
#define BLK_MAGIC "BATONBLK"
#define BLK_DATA_OFF 4096
#define BLK_BYTES (1UL << 20)
// The fragmented test's initrd: the second initramfs and /pad.bin, 256 MiB in all.
#define BIG_INITRD "/big.cpio"
#define BIG_BYTES (256UL << 20)

// ---- output -----------------------------------------------------------------

static int console = 1;
static unsigned passed, failed;
static const char *test = "?";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof line, "hook-test: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(console, line, (size_t)n) < 0)
		return;
}

// One check: PASS, or FAIL with what was seen (a printf format).
static int check(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int check(int ok, const char *name, const char *fmt, ...)
{
	char what[768] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (ok) {
		passed++;
		say("PASS %s", name);
	} else {
		failed++;
		say("FAIL %s: %s", name, what);
	}
	return ok;
}

// A value that must equal the one wanted (errnos as -E..., as the syscalls give).
static int expect(const char *name, long got, long want)
{
	return check(got == want, name, "got %ld (%s), want %ld", got,
		     got < 0 ? strerrorname_np((int)-got) ?: "?" : "-", want);
}

static void drain(void)
{
	tcdrain(console);
}

static void __attribute__((noreturn)) power_off(void)
{
	say("done %s: %u passed, %u failed", test, passed, failed);
	drain();
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void __attribute__((noreturn)) fatal(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void __attribute__((noreturn)) fatal(const char *name, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	check(0, name, "%s", what);
	power_off();
}

// A system call's result: its value, or -errno.
static long sc(long r)
{
	return r < 0 ? -errno : r;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

// ---- files --------------------------------------------------------------------

// A small file's text (NUL-terminated, a trailing newline dropped), "" if none.
static char *slurp(const char *path)
{
	static char buf[1 << 17];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	buf[0] = 0;
	if (fd < 0)
		return buf;
	while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return buf;
}

static long put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	r = sc(write(fd, text, strlen(text)));
	close(fd);
	return r < 0 ? r : 0;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

// A number in /sys/kernel/baton/NAME, or -1.
static long sysfs_num(const char *name)
{
	char path[96];
	char *s, *end;
	long v;

	snprintf(path, sizeof path, "/sys/kernel/baton/%s", name);
	s = slurp(path);
	v = strtol(s, &end, 10);
	return end == s ? -1 : v;
}

static const char *baton_state(void)
{
	return slurp("/sys/kernel/baton/state");
}

static int expect_state(const char *name, const char *want)
{
	const char *s = baton_state();

	return check(!strcmp(s, want), name, "state '%s', want '%s'", s, want);
}

// Counts the CPUs of a range list such as "0-3" or "0,2-3".
static int cpu_count(const char *list)
{
	int n = 0;

	while (*list) {
		char *end;
		long a = strtol(list, &end, 10), b = a;

		if (end == list)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		n += (int)(b - a + 1);
		list = *end == ',' ? end + 1 : end;
		if (*list && *list != ',' && (*list < '0' || *list > '9'))
			break;
	}
	return n;
}

static int cpus_online(void)
{
	return cpu_count(slurp("/sys/devices/system/cpu/online"));
}

static unsigned long meminfo_kb(const char *key)
{
	const char *p = strstr(slurp("/proc/meminfo"), key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

// Each line of /proc/buddyinfo as an info line.
static void buddyinfo(const char *when)
{
	char *s = slurp("/proc/buddyinfo"), *save = NULL;

	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		say("info buddyinfo %s: %s", when, l);
	say("info buddyinfo %s: MemFree %lu kB", when, meminfo_kb("MemFree:"));
}

// ---- the kernel command line --------------------------------------------------

static char cmdline[4096];

// The value of KEY= on the command line ("" if absent; "1" for a bare KEY).
static const char *arg(const char *key)
{
	static char val[8][256];
	static int slot;
	size_t kl = strlen(key);
	char *v = val[slot++ & 7];

	v[0] = 0;
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) >= kl && !strncmp(w, key, kl) && (w[kl] == '=' || w + kl == p)) {
			size_t n = w + kl == p ? 0 : (size_t)(p - w - kl - 1);
			if (w + kl == p)
				strcpy(v, "1");
			else {
				if (n >= sizeof val[0])
					n = sizeof val[0] - 1;
				memcpy(v, w + kl + 1, n);
				v[n] = 0;
			}
		}
	}
	return v;
}

// ---- the kernel log -----------------------------------------------------------

static int kmsg = -1;

// From now on: later records only.
static void kmsg_mark(void)
{
	if (kmsg < 0)
		kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	lseek(kmsg, 0, SEEK_END);
}

// The new records' texts, one a line (up to the end of the log).
static char *kmsg_new(void)
{
	static char text[1 << 16];
	char rec[2048];
	size_t n = 0;
	ssize_t r;

	text[0] = 0;
	while ((r = read(kmsg, rec, sizeof rec - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		if (r < 0)
			continue;	// overwritten records: go on
		rec[r] = 0;
		char *msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		char *nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (n + strlen(msg) + 2 < sizeof text)
			n += (size_t)sprintf(text + n, "%s\n", msg);
	}
	return text;
}

// The line of TEXT that contains A (and B if given), or NULL.
static const char *line_with(const char *text, const char *a, const char *b)
{
	static char line[512];

	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, l, n);
		line[n] = 0;
		if (strstr(line, a) && (!b || strstr(line, b)))
			return line;
		l += n + (e ? 1 : 0);
		if (!e)
			break;
	}
	return NULL;
}

// The kernel log since kmsg_mark() has a line with both strings: a check.
static void expect_log(const char *name, const char *a, const char *b)
{
	const char *text = kmsg_new();
	const char *l = line_with(text, a, b);

	if (check(l != NULL, name, "no kernel-log line with '%s'%s%s%s since the call; new lines: %.300s",
		  a, b ? " and '" : "", b ? b : "", b ? "'" : "", *text ? text : "none"))
		say("info log: %s", l);
}

// ---- programs -------------------------------------------------------------------

// Runs ARGV with the console as its output; its exit status (0-255), 256 +
// signal, or -errno when it could not start. *ms: how long it took.
static int run(char *const argv[], double *ms)
{
	char line[900];
	size_t n = 0;
	double t0;
	int st = 0;
	pid_t pid;

	for (int i = 0; argv[i] && n < sizeof line - 2; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", argv[i]);
	say("info run: %s", line);
	drain();
	t0 = now_ms();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(console, 1);
		dup2(console, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (ms)
		*ms = now_ms() - t0;
	return WIFSIGNALED(st) ? 256 + WTERMSIG(st) : WEXITSTATUS(st);
}

static int insmod(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	r = sc(syscall(SYS_finit_module, fd, "", 0));
	close(fd);
	return (int)r;
}

static void load_baton_ko(void)
{
	int r = insmod(MODULE_KO);

	if (r < 0)
		fatal("insmod baton.ko", "finit_module %s: %s", MODULE_KO, strerror(-r));
	check(1, "insmod baton.ko", "-");
}

// The modules /kmod.list names, in its order (virtio and what it needs).
static void load_kmods(void)
{
	char *list = strdup(slurp(KMOD_LIST)), *save = NULL;
	int n = 0;

	if (!*list)
		fatal("load virtio modules", "%s is missing or empty", KMOD_LIST);
	for (char *m = strtok_r(list, "\n", &save); m; m = strtok_r(NULL, "\n", &save), n++) {
		int r = insmod(m);
		if (r < 0 && r != -EEXIST)
			fatal("load virtio modules", "finit_module %s: %s", m, strerror(-r));
	}
	free(list);
	check(1, "load virtio modules", "-");
	say("info loaded %d modules from %s", n, KMOD_LIST);
}

// A device node devtmpfs makes once its driver found the device: up to 10 s.
static int wait_for(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (exists(path))
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

// ---- pseudo-random data -----------------------------------------------------------

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(void *buf, size_t len, uint64_t *seed)
{
	uint64_t *p = buf;

	for (size_t i = 0; i < len / 8; i++)
		p[i] = splitmix(seed);
}

static uint64_t fresh_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof s, 0) != sizeof s)
		s = (uint64_t)now_ms();
	return s;
}

// CRC-32 (zlib's) of a whole file, and its size; -errno on failure.
static long file_crc(const char *path, uint32_t *crc, uint64_t *size)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	*crc = 0;
	*size = 0;
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		*crc = crc32_update(*crc, buf, (uint64_t)r);
		*size += (uint64_t)r;
	}
	close(fd);
	return r < 0 ? -errno : 0;
}

// ---- the handover: load, trigger -------------------------------------------------

static const char *tool(void)
{
	const char *t = arg("baton.tool");

	return *t ? t : "baton";
}

// The next kernel's command line: what every second kernel gets, then MORE.
static void next_cmdline(char *out, size_t size, const char *more)
{
	// baton.early=1 (the bench): the next kernel's early console, and nokaslr,
	// whose one line ("KASLR disabled: 'nokaslr' on cmdline.") the decompressor
	// prints before it decompresses: the new image's first line, whatever
	// loaded it (Debian's decompressor prints nothing else, without
	// CONFIG_X86_VERBOSE_BOOTUP).
	// After kexec-tools (the baseline), no_timer_check: under a loaded TCG
	// host its second kernel once failed the IO-APIC timer check ("IO-APIC +
	// timer doesn't work") and panicked. baton's next kernel keeps the check:
	// it tests the interrupt state the hook leaves.
	snprintf(out, size, "console=ttyS0 panic=-1%s%s baton.test=second baton.case=%s baton.cpus=%d%s%s",
		 *arg("baton.early") ? " earlyprintk=serial,ttyS0,115200 nokaslr" : "",
		 strcmp(tool(), "kexec") == 0 ? " no_timer_check" : "",
		 arg("baton.case"), cpus_online(), *more ? " " : "", more);
	say("info next cmdline: %s", out);
}

// Loads KERNEL and INITRD with the tool the command line names; the time it took.
static void load_linux(const char *initrd, const char *append)
{
	char a1[1100], a2[300];
	double ms = 0;
	int r;

	say("info meminfo before the load: MemFree %lu kB", meminfo_kb("MemFree:"));

	if (!strcmp(tool(), "kexec")) {
		if (!exists(KEXEC_CMD))
			fatal("kexec -l", "%s is missing from the initramfs", KEXEC_CMD);
		snprintf(a1, sizeof a1, "--append=%s", append);
		snprintf(a2, sizeof a2, "--initrd=%s", initrd);
		char *argv[] = { KEXEC_CMD, "-l", VMLINUZ, a2, a1, NULL };
		r = run(argv, &ms);
		if (!check(r == 0, "kexec -l", "exit status %d", r))
			power_off();
		check(!strcmp(slurp("/sys/kernel/kexec_loaded"), "1"), "kexec_loaded is 1",
		      "/sys/kernel/kexec_loaded is '%s'", slurp("/sys/kernel/kexec_loaded"));
	} else {
		if (!exists(BATON_CMD))
			fatal("baton load", "%s is missing from the initramfs (build/cli/baton not built?)",
			      BATON_CMD);
		char *argv[] = { BATON_CMD, "load", VMLINUZ, "--initrd", (char *)initrd, "--append",
				 (char *)append, NULL };
		r = run(argv, &ms);
		if (!check(r == 0, "baton load", "exit status %d", r))
			power_off();
		expect_state("armed after baton load", "armed");
	}
	say("time load %s %.1f ms", tool(), ms);
	say("info meminfo after the load: MemFree %lu kB", meminfo_kb("MemFree:"));
}

// The armed reboot or kexec -e: returns only when it failed.
static void __attribute__((noreturn)) trigger(const char *what)
{
	int r;

	if (!strcmp(tool(), "kexec")) {
		char *argv[] = { KEXEC_CMD, "-e", NULL };
		say("trigger kexec: kexec -e%s", what);
		drain();
		r = run(argv, NULL);
		fatal("kexec -e", "returned, exit status %d", r);
	}
	char *argv[] = { BATON_CMD, "exec", NULL };
	say("trigger baton: baton exec%s", what);
	drain();
	r = run(argv, NULL);
	fatal("baton exec", "returned, exit status %d; state '%s'", r, baton_state());
}

// The virtio NIC up: its driver gives the device receive buffers to fill (DMA).
static int eth0_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (!check(wait_for("/sys/class/net/eth0"), "NIC eth0 appears", "no /sys/class/net/eth0 after 10 s"))
		return 0;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "eth0");
	long r = sc(ioctl(s, SIOCGIFFLAGS, &ifr));
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = sc(ioctl(s, SIOCSIFFLAGS, &ifr));
	}
	close(s);
	return expect("eth0 up", r, 0);
}

static pid_t start_reader(void);
static int reader_running(pid_t pid, uint64_t *count);

// ---- test: probe -----------------------------------------------------------------

// The probe compares its FDT's bootargs with QEMU's fw_cfg file, which the
// runner sets by the same rule (cases.py: PROBE_APPEND).
static void test_probe(void)
{
	char append[300];
	uint64_t count;
	int r;

	load_baton_ko();
	// Devices busy at the reboot: the NIC up, a reader on the disk.
	load_kmods();
	eth0_up();
	if (check(wait_for(DISK), "disk " DISK " appears", "no %s after 10 s", DISK))
		check(reader_running(start_reader(), &count), "reader loop on " DISK " running",
		      "%lu reads", (unsigned long)count);
	if (!exists(BATON_CMD))
		fatal("baton load", "%s is missing from the initramfs (build/cli/baton not built?)",
		      BATON_CMD);
	snprintf(append, sizeof append, "baton.expect=shutdown baton.case=%s", arg("baton.case"));
	char *argv[] = { BATON_CMD, "load", PROBE, "--append", append, NULL };
	double ms = 0;
	r = run(argv, &ms);
	if (!check(r == 0, "baton load probe.elf", "exit status %d", r))
		power_off();
	say("time load baton %.1f ms", ms);
	expect_state("armed after baton load", "armed");
	say("trigger baton: reboot(RB_AUTOBOOT)");
	drain();
	sync();
	r = (int)sc(reboot(RB_AUTOBOOT));
	fatal("reboot", "returned %d", r);
}

// ---- test: kernel, linux ------------------------------------------------------------

static void test_kernel(void)
{
	char next[1024];

	if (strcmp(tool(), "kexec"))
		load_baton_ko();
	next_cmdline(next, sizeof next, "");
	load_linux(INITRD2, next);
	trigger("");
}

static volatile uint64_t *reads;	// the reader's count, in a shared page

// A child reading the disk with O_DIRECT, round and round, until the end.
static pid_t start_reader(void)
{
	reads = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reads == MAP_FAILED)
		fatal("reader", "mmap: %s", strerror(errno));
	pid_t pid = fork();
	if (pid)
		return pid;
	int fd = open(DISK, O_RDONLY | O_DIRECT | O_CLOEXEC);
	void *buf = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	off_t size = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);
	if (fd < 0 || buf == MAP_FAILED || size < (64 << 10))
		_exit(1);
	for (off_t off = 0;; off = (off + (64 << 10)) % (size - (size % (64 << 10)))) {
		if (pread(fd, buf, 64 << 10, off) != 64 << 10)
			_exit(2);
		(*reads)++;
	}
}

// The reader is alive and its count grows.
static int reader_running(pid_t pid, uint64_t *count)
{
	uint64_t a = *reads;
	int st;

	usleep(300 * 1000);
	*count = *reads;
	return waitpid(pid, &st, WNOHANG) == 0 && *count > a;
}

static void test_linux(void)
{
	char next[1024], more[200];
	uint64_t seed = fresh_seed(), count;
	uint32_t crc;
	void *buf;
	int fd;

	if (strcmp(tool(), "kexec"))
		load_baton_ko();
	load_kmods();
	if (!check(wait_for(DISK), "disk " DISK " appears", "no %s after 10 s", DISK))
		power_off();
	// The block: a header sector (magic, length, CRC), the data at 4 KiB.
	if (posix_memalign(&buf, PAGE, BLK_DATA_OFF + BLK_BYTES))
		fatal("write the block", "no memory");
	memset(buf, 0, BLK_DATA_OFF);
	fill((char *)buf + BLK_DATA_OFF, BLK_BYTES, &seed);
	crc = crc32_update(0, (char *)buf + BLK_DATA_OFF, BLK_BYTES);
	sprintf(buf, "%s %lu %08x\n", BLK_MAGIC, BLK_BYTES, crc);
	fd = open(DISK, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		fatal("write the block", "open %s: %s", DISK, strerror(errno));
	long w = sc(pwrite(fd, buf, BLK_DATA_OFF + BLK_BYTES, 0));
	expect("write the block (O_DIRECT)", w, (long)(BLK_DATA_OFF + BLK_BYTES));
	expect("fsync the disk", sc(fsync(fd)), 0);
	close(fd);
	free(buf);
	say("info block: %lu bytes at %u, crc32 %08x", BLK_BYTES, BLK_DATA_OFF, crc);

	pid_t reader = start_reader();
	check(reader_running(reader, &count), "reader loop on " DISK " running",
	      "%lu reads, pid %d", (unsigned long)count, reader);
	snprintf(more, sizeof more, "baton.blk=%lu:%08x baton.net=1", BLK_BYTES, crc);
	next_cmdline(next, sizeof next, more);
	load_linux(INITRD2, next);
	if (!check(reader_running(reader, &count), "reader still running after the load",
		   "%lu reads", (unsigned long)count))
		power_off();
	char what[80];
	snprintf(what, sizeof what, ", the reader at %lu reads", (unsigned long)count);
	trigger(what);
}

// ---- test: fragmented -----------------------------------------------------------------

static void cpio_header(char *out, const char *name, unsigned long size)
{
	size_t namesize = strlen(name) + 1;

	sprintf(out, "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08zX%08X%s",
		2000u, 0100644u, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, 0u, name);
}

// /big.cpio: /initrd2.cpio, then a second archive holding /pad.bin of
// pseudo-random bytes, BIG_BYTES in all. *pad_bytes, *pad_crc: what the next
// kernel must find.
static void build_big_initrd(unsigned long *pad_bytes, uint32_t *pad_crc)
{
	static char buf[1 << 20];
	struct stat st;
	char hdr[256];
	uint64_t seed = fresh_seed();
	double t0 = now_ms();
	int in = open(INITRD2, O_RDONLY | O_CLOEXEC);
	int out = open(BIG_INITRD, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t r;

	if (in < 0 || out < 0 || fstat(in, &st) || st.st_size % 4)
		fatal("build the 256 MiB initrd", "%s: %s", INITRD2, strerror(errno));
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r)
			fatal("build the 256 MiB initrd", "write: %s", strerror(errno));
	close(in);
	// header (110 + "pad.bin\0", padded to 4) + data + trailer (110 + 11, padded)
	unsigned long head = (110 + 8 + 3) & ~3UL, tail = (110 + 11 + 3) & ~3UL;
	unsigned long pad = BIG_BYTES - (unsigned long)st.st_size - head - tail;
	cpio_header(hdr, "pad.bin", pad);
	memset(hdr + 118, 0, 8);
	if (write(out, hdr, head) != (ssize_t)head)
		fatal("build the 256 MiB initrd", "write: %s", strerror(errno));
	uint32_t crc = 0;
	for (unsigned long done = 0; done < pad;) {
		size_t n = pad - done < sizeof buf ? pad - done : sizeof buf;
		fill(buf, (n + 7) & ~7UL, &seed);
		crc = crc32_update(crc, buf, n);
		if (write(out, buf, n) != (ssize_t)n)
			fatal("build the 256 MiB initrd", "write: %s", strerror(errno));
		done += n;
	}
	cpio_header(hdr, "TRAILER!!!", 0);
	memset(hdr + 121, 0, 3);
	if (write(out, hdr, tail) != (ssize_t)tail)
		fatal("build the 256 MiB initrd", "write: %s", strerror(errno));
	off_t size = lseek(out, 0, SEEK_END);
	close(out);
	expect("the initrd is 256 MiB", (long)size, (long)BIG_BYTES);
	say("info %s: %s (%ld bytes) + /pad.bin %lu bytes crc32 %08x, built in %.0f ms",
	    BIG_INITRD, INITRD2, (long)st.st_size, pad, crc, now_ms() - t0);
	*pad_bytes = pad;
	*pad_crc = crc;
}

// A child takes all but RESERVE of the free memory page by page, then gives
// back every other page: free memory as single pages (as far as the kernel
// keeps it so: compaction may move pages). It holds the rest until the end.
static void fragment(unsigned long keep_free_kb)
{
	unsigned long free_kb = meminfo_kb("MemFree:");
	unsigned long take = free_kb > keep_free_kb ? (free_kb - keep_free_kb) * 1024 : 0;
	int ready[2];
	char c = 0;

	take &= ~(PAGE - 1);
	if (!check(take >= 64 * MIB, "enough free memory to fragment", "MemFree %lu kB", free_kb))
		return;
	if (pipe(ready))
		fatal("fragment", "pipe: %s", strerror(errno));
	// The kernel's own defragmenting, as far as a knob stops it: proactive
	// compaction, and the watermark boost after each fragmenting fallback
	// (which also raises the min watermark by up to 150 %: the OOM killer).
	put_file("/proc/sys/vm/compaction_proactiveness", "0");
	put_file("/proc/sys/vm/watermark_boost_factor", "0");
	pid_t pid = fork();
	if (pid == 0) {
		char *m = mmap(NULL, take, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		madvise(m, take, MADV_NOHUGEPAGE);
		for (unsigned long off = 0; off < take; off += PAGE)
			m[off] = 1;
		for (unsigned long off = PAGE; off < take; off += 2 * PAGE)
			madvise(m + off, PAGE, MADV_DONTNEED);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(ready[1]);
	int ok = pid > 0 && read(ready[0], &c, 1) == 1;
	close(ready[0]);
	check(ok, "memory fragmented", "the child (pid %d) died before it was ready", pid);
	say("info fragmenting: took %lu MiB page by page, gave back every other page", take >> 20);
}

static void test_fragmented(void)
{
	char next[1024], more[200];
	unsigned long pad;
	uint32_t crc;
	struct stat st;

	load_baton_ko();
	build_big_initrd(&pad, &crc);
	// What this test does not need stops taking memory (the rootfs is RAM).
	unlink(INITRD2);
	unlink(PROBE);
	buddyinfo("before");
	if (stat(VMLINUZ, &st))
		fatal("fragment", "%s: %s", VMLINUZ, strerror(errno));
	// Free after fragmenting: the reserve and half of what was taken. The load
	// needs the initrd and the kernel in source pages, above the kernel's
	// min_free_kbytes (large with THP: tens of MiB), with 32 MiB to spare:
	// reserve + (free - reserve) / 2 >= need, so reserve >= 2 * need - free;
	// and never less than min_free_kbytes + 32 MiB, or the taking ends in the
	// OOM killer.
	long min_kb = strtol(slurp("/proc/sys/vm/min_free_kbytes"), NULL, 10);
	long need_kb = (long)(BIG_BYTES >> 10) + (long)(st.st_size >> 10) + min_kb + (32 << 10);
	long reserve = 2 * need_kb - (long)meminfo_kb("MemFree:");
	if (reserve < min_kb + (32 << 10))
		reserve = min_kb + (32 << 10);
	say("info min_free_kbytes %ld, reserve %ld kB, need %ld kB", min_kb, reserve, need_kb);
	fragment((unsigned long)reserve);
	buddyinfo("after fragmenting");
	snprintf(more, sizeof more, "baton.pad=%lu:%08x", pad, crc);
	next_cmdline(next, sizeof next, more);
	load_linux(BIG_INITRD, next);
	buddyinfo("after the load");
	say("info /sys/kernel/baton: %ld bytes in %ld pages", sysfs_num("bytes"), sysfs_num("pages"));
	trigger("");
}

// ---- test: second (the next kernel) -----------------------------------------------------

static void check_block(void)
{
	const char *want = arg("baton.blk");
	unsigned long want_len = strtoul(want, NULL, 10);
	const char *colon = strchr(want, ':');
	uint32_t want_crc = colon ? (uint32_t)strtoul(colon + 1, NULL, 16) : 0;
	char magic[16] = "";
	unsigned long len = 0;
	unsigned crc = 0;
	void *buf;

	if (!check(wait_for(DISK), "disk " DISK " appears", "no %s after 10 s", DISK))
		return;
	if (posix_memalign(&buf, PAGE, BLK_DATA_OFF + want_len))
		fatal("read the block", "no memory");
	int fd = open(DISK, O_RDONLY | O_DIRECT | O_CLOEXEC);
	long r = fd < 0 ? -errno : sc(pread(fd, buf, BLK_DATA_OFF + want_len, 0));
	if (fd >= 0)
		close(fd);
	if (!expect("read the block back (O_DIRECT)", r, (long)(BLK_DATA_OFF + want_len)))
		return;
	((char *)buf)[BLK_DATA_OFF - 1] = 0;
	sscanf(buf, "%15s %lu %x", magic, &len, &crc);
	check(!strcmp(magic, BLK_MAGIC) && len == want_len && crc == want_crc,
	      "block header: magic, length and CRC as written", "header '%.60s', want %s %lu %08x",
	      (char *)buf, BLK_MAGIC, want_len, want_crc);
	uint32_t got = crc32_update(0, (char *)buf + BLK_DATA_OFF, want_len);
	check(got == want_crc, "block CRC-32 matches", "crc32 %08x, want %08x", got, want_crc);
	free(buf);
}

// udhcpc on eth0 with this program as its script; the lease it wrote.
static void check_net(void)
{
	if (!eth0_up())
		return;
	if (!check(exists(BUSYBOX), "busybox in the initramfs", "%s is missing", BUSYBOX))
		return;
	char *argv[] = { BUSYBOX, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "2",
			 "-s", "/init", NULL };
	double ms = 0;
	int st = run(argv, &ms);
	const char *lease = slurp(LEASE);
	char ip[64] = "";
	const char *p = strstr(lease, "ip=");
	if (p)
		sscanf(p + 3, "%63s", ip);
	if (check(st == 0 && *ip, "DHCP lease on eth0", "udhcpc exit %d, lease '%s'", st, lease))
		say("info dhcp: %s (udhcpc %.0f ms)", lease, ms);
}

static void check_pad(void)
{
	const char *want = arg("baton.pad");
	unsigned long want_len = strtoul(want, NULL, 10);
	const char *colon = strchr(want, ':');
	uint32_t want_crc = colon ? (uint32_t)strtoul(colon + 1, NULL, 16) : 0, crc = 0;
	uint64_t size = 0;
	double t0 = now_ms();
	long r = file_crc("/pad.bin", &crc, &size);

	if (!expect("read /pad.bin", r, 0))
		return;
	check(size == want_len, "/pad.bin size", "%lu bytes, want %lu", (unsigned long)size, want_len);
	check(crc == want_crc, "/pad.bin CRC-32 matches", "crc32 %08x, want %08x", crc, want_crc);
	say("info /pad.bin: %lu bytes checked in %.0f ms", (unsigned long)size, now_ms() - t0);
}

static void test_second(void)
{
	if (*arg("baton.cpus")) {
		int want = atoi(arg("baton.cpus")), online = cpus_online();
		check(online == want, "all CPUs online", "online '%s' (%d), want %d",
		      slurp("/sys/devices/system/cpu/online"), online, want);
	}
	if (*arg("baton.blk") || *arg("baton.net"))
		load_kmods();
	if (*arg("baton.blk"))
		check_block();
	if (*arg("baton.net"))
		check_net();
	if (*arg("baton.pad"))
		check_pad();
}

// udhcpc's script: argv[1] is the event, the lease is in the environment.
static int dhcp_script(const char *event)
{
	if (strcmp(event, "bound") && strcmp(event, "renew"))
		return 0;
	FILE *f = fopen(LEASE, "w");
	if (!f)
		return 1;
	fprintf(f, "ip=%s subnet=%s router=%s serverid=%s", getenv("ip") ?: "",
		getenv("subnet") ?: "", getenv("router") ?: "", getenv("serverid") ?: "");
	return fclose(f) ? 1 : 0;
}

// ---- test: refusals -----------------------------------------------------------------

// The largest top-level "System RAM" range of /proc/iomem, the end of the last
// one (the first address above all RAM), and the largest top-level "Reserved"
// range of whole pages below that end: *res, *res_size (0 if none).
static void iomem(uint64_t *base, uint64_t *size, uint64_t *top, uint64_t *res, uint64_t *res_size)
{
	*base = *size = *top = *res = *res_size = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *s = slurp("/proc/iomem"), *save = NULL;

		for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			unsigned long a, b;
			int n = 0;
			if (*l == ' ' || sscanf(l, "%lx-%lx : %n", &a, &b, &n) != 2 || !n || b < a)
				continue;
			if (pass == 0 && !strcmp(l + n, "System RAM")) {
				if (b + 1 - a > *size) {
					*base = a;
					*size = b + 1 - a;
				}
				if (b + 1 > *top)
					*top = b + 1;
			} else if (pass == 1 && !strcmp(l + n, "Reserved") && b < *top) {
				uint64_t first = (a + PAGE - 1) & ~(PAGE - 1), end = (b + 1) & ~(PAGE - 1);
				if (end > first && end - first > *res_size) {
					*res = first;
					*res_size = end - first;
				}
			}
		}
	}
}

static unsigned char page[3 * PAGE];

static int open_baton(int flags)
{
	return (int)sc(open("/dev/baton", flags | O_CLOEXEC));
}

static long commit(int fd, uint64_t entry, struct baton_hook_range *r, unsigned n)
{
	struct baton_hook_commit c;

	memset(&c, 0, sizeof c);
	c.version = BATON_HOOK_VERSION;
	c.size = sizeof c;
	c.entry_mode = BATON_HOOK_MODE_LONG64;
	c.range_count = n;
	c.entry_addr = entry;
	c.regs[BATON_REG_RSI] = entry - 0x200 + PAGE;
	c.ranges = (uint64_t)(uintptr_t)r;
	return sc(ioctl(fd, BATON_IOC_COMMIT, &c));
}

// One page at dst, committed with the entry in it, closed: armed.
static long arm_one(uint64_t dst)
{
	int fd = open_baton(O_WRONLY);
	long r;

	if (fd < 0)
		return fd;
	memset(page, 0x5a, PAGE);
	r = sc(pwrite(fd, page, PAGE, (off_t)dst));
	if (r == (long)PAGE)
		r = commit(fd, dst + 0x200, NULL, 0);
	long c = sc(close(fd));
	return r < 0 ? r : c;
}

// A child's exit status: 0..255, or 256 + signal.
static int child_status(pid_t pid)
{
	int st = 0;

	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? 256 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void test_refusals(void)
{
	uint64_t base, size, top, res, res_size;
	char hex[40];
	long r;
	int fd;

	iomem(&base, &size, &top, &res, &res_size);
	if (size < 64 * PAGE)
		fatal("find System RAM in /proc/iomem", "largest range %lu bytes", (unsigned long)size);
	uint64_t dst = (base + size / 2) & ~(PAGE - 1);
	say("info System RAM: largest 0x%lx+0x%lx, top 0x%lx; first Reserved 0x%lx+0x%lx; dst 0x%lx",
	    (unsigned long)base, (unsigned long)size, (unsigned long)top, (unsigned long)res,
	    (unsigned long)res_size, (unsigned long)dst);
	load_baton_ko();
	kmsg_mark();
	expect_state("empty after insmod", "empty");

	fd = open_baton(O_WRONLY);
	if (fd < 0)
		fatal("open /dev/baton O_WRONLY", "%s", strerror(-fd));
	check(1, "open /dev/baton O_WRONLY", "-");
	expect("a second writer gets EBUSY", open_baton(O_WRONLY), -EBUSY);
	expect("open for reading gets EINVAL", open_baton(O_RDONLY), -EINVAL);

	// Page 0: a pattern. Pages 1-2: 6000 bytes from offset 100 of page 1.
	// Page 3: zeros only, which keeps no page.
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = (unsigned char)(i * 7 + 1);
	expect("pwrite one page", sc(pwrite(fd, page, PAGE, (off_t)dst)), (long)PAGE);
	expect("pwrite 6000 bytes over two pages", sc(pwrite(fd, page, 6000, (off_t)(dst + PAGE + 100))),
	       6000);
	memset(page, 0, PAGE);
	expect("pwrite a page of zeros", sc(pwrite(fd, page, PAGE, (off_t)(dst + 3 * PAGE))), (long)PAGE);

	// Writes the kernel can already tell are bad: the errno and a baton: line
	// naming the range.
	kmsg_mark();
	expect("pwrite above the top of RAM gets EADDRNOTAVAIL", sc(pwrite(fd, page, PAGE, (off_t)top)),
	       -EADDRNOTAVAIL);
	snprintf(hex, sizeof hex, "0x%lx", (unsigned long)top);
	expect_log("kernel log names the write above RAM", "baton: ", hex);
	kmsg_mark();
	expect("pwrite at the local APIC gets EADDRNOTAVAIL", sc(pwrite(fd, page, 16, 0xfee00000L)),
	       -EADDRNOTAVAIL);
	expect_log("kernel log names the write at the local APIC", "baton: ", "0xfee00000");
	kmsg_mark();
	expect("pwrite across the end of RAM gets EADDRNOTAVAIL",
	       sc(pwrite(fd, page, 2 * PAGE, (off_t)(top - PAGE))), -EADDRNOTAVAIL);
	snprintf(hex, sizeof hex, "0x%lx", (unsigned long)(top - PAGE));
	expect_log("kernel log names the write across the end of RAM", "baton: ", hex);
	if (check(res_size != 0, "a Reserved range in /proc/iomem", "none of a page or more")) {
		kmsg_mark();
		expect("pwrite over a Reserved range gets EADDRNOTAVAIL",
		       sc(pwrite(fd, page, PAGE, (off_t)res)), -EADDRNOTAVAIL);
		snprintf(hex, sizeof hex, "0x%lx", (unsigned long)res);
		expect_log("kernel log names the write over the Reserved range", "baton: ", hex);
	}
	expect("3 source pages held (the zero page none)", sysfs_num("pages"), 3);

	struct baton_hook_commit bad;
	memset(&bad, 0, sizeof bad);
	bad.version = 99;
	bad.size = sizeof bad;
	kmsg_mark();
	expect("commit version 99 gets EINVAL", sc(ioctl(fd, BATON_IOC_COMMIT, &bad)), -EINVAL);
	expect_log("kernel log names the version", "baton: ", "99");
	struct baton_hook_range ranges[2] = {
		{ .addr = dst + 4 * PAGE, .pages = 2, .kind = BATON_HOOK_ZERO },
		{ .addr = dst + 8 * PAGE, .pages = 16, .kind = BATON_HOOK_CLAIM },
	};
	struct baton_hook_range outside = { .addr = top, .pages = 1, .kind = BATON_HOOK_ZERO };
	kmsg_mark();
	expect("commit with a range outside RAM gets EADDRNOTAVAIL", commit(fd, dst + 0x200, &outside, 1),
	       -EADDRNOTAVAIL);
	snprintf(hex, sizeof hex, "0x%lx", (unsigned long)top);
	expect_log("kernel log names the range outside RAM", "baton: ", hex);
	expect("commit", commit(fd, dst + 0x200, ranges, 2), 0);
	kmsg_mark();
	expect("close arms", sc(close(fd)), 0);
	expect_log("kernel log: armed", "baton: armed", NULL);
	expect_state("armed after close", "armed");
	expect("sysfs bytes", sysfs_num("bytes"), (long)(PAGE + 6000 + PAGE));
	expect("sysfs pages", sysfs_num("pages"), 3);
	expect("sysfs ranges", sysfs_num("ranges"), 2);
	// The sealed handoff's runs: pages 0-2 written (page 1-2's bytes in one
	// run or two), page 3 zeros, the zero range, the claim range.
	const char *runs = slurp("/sys/kernel/baton/runs");
	unsigned copy = 0, zero = 0, claim = 0;
	check(sscanf(runs, "%u copy %u zero %u claim", &copy, &zero, &claim) == 3 && copy >= 1 &&
	      zero >= 1 && claim == 1, "sysfs runs", "'%s'", runs);
	const char *e = slurp("/sys/kernel/baton/entry");
	check(!strncmp(e, "long64 0x", 9), "sysfs entry", "'%s'", e);
	expect("a writer while armed gets EBUSY", open_baton(O_WRONLY), -EBUSY);

	// Not root: the node's mode refuses before the module is asked (EACCES), or
	// the module does (EPERM). Root without CAP_SYS_BOOT: the module refuses.
	// Each child exits with the errno its open() got.
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(200);
		_exit(-open_baton(O_WRONLY) & 0xff);
	}
	int st = child_status(pid);
	check(st == EACCES || st == EPERM, "a writer that is not root gets EACCES or EPERM",
	      "status %d (%s)", st, strerrorname_np(st) ?: "?");
	pid = fork();
	if (pid == 0) {
		struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };	// v3
		struct { uint32_t eff, perm, inh; } data[2];
		if (syscall(SYS_capget, &hdr, data))
			_exit(201);
		data[0].eff &= ~(1u << 22);	// CAP_SYS_BOOT
		data[0].perm &= ~(1u << 22);
		if (syscall(SYS_capset, &hdr, data))
			_exit(200);
		_exit(-open_baton(O_WRONLY) & 0xff);
	}
	expect("root without CAP_SYS_BOOT gets EPERM", child_status(pid), EPERM);

	kmsg_mark();
	expect("disarm through sysfs", put_file("/sys/kernel/baton/disarm", "1"), 0);
	expect_log("kernel log: disarmed", "baton: disarmed", NULL);
	expect_state("empty after disarm", "empty");
	expect("no pages after disarm", sysfs_num("pages"), 0);

	fd = open_baton(O_WRONLY);
	expect("pwrite a page", sc(pwrite(fd, page + PAGE, PAGE, (off_t)dst)), (long)PAGE);
	expect("close without a commit", sc(close(fd)), 0);
	expect_state("empty after a close without commit", "empty");
	expect("no pages after a close without commit", sysfs_num("pages"), 0);

	// A commit whose entry lies in no written page: close() refuses it.
	fd = open_baton(O_WRONLY);
	sc(pwrite(fd, page + PAGE, PAGE, (off_t)dst));
	expect("commit with the entry in no written page", commit(fd, dst + 5 * PAGE, NULL, 0), 0);
	kmsg_mark();
	expect("close refuses the bad entry with EINVAL", sc(close(fd)), -EINVAL);
	snprintf(hex, sizeof hex, "0x%lx", (unsigned long)(dst + 5 * PAGE));
	expect_log("kernel log names the bad entry", "baton: ", hex);
	expect_state("empty after a refused close", "empty");
	expect("no pages after a refused close", sysfs_num("pages"), 0);

	// A zero range over a written page: close() refuses it, naming the range.
	fd = open_baton(O_WRONLY);
	sc(pwrite(fd, page + PAGE, PAGE, (off_t)dst));
	struct baton_hook_range over = { .addr = dst, .pages = 1, .kind = BATON_HOOK_ZERO };
	expect("commit with a zero range over the written page", commit(fd, dst + 0x200, &over, 1), 0);
	kmsg_mark();
	r = sc(close(fd));
	check(r < 0, "close refuses a zero range over a written page", "close returned %ld", r);
	snprintf(hex, sizeof hex, "0x%lx", (unsigned long)dst);
	expect_log("kernel log names the range over the written page", "baton: ", hex);
	expect_state("empty after the refused range", "empty");
	expect("no pages after the refused range", sysfs_num("pages"), 0);

	// A writer killed after its commit, before close: nothing armed.
	pid = fork();
	if (pid == 0) {
		int f = open_baton(O_WRONLY);
		for (uint64_t i = 0; i < 8; i++)
			sc(pwrite(f, page + PAGE, PAGE, (off_t)(dst + i * PAGE)));
		commit(f, dst + 0x200, NULL, 0);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	kmsg_mark();
	expect("a writer killed after its commit dies of SIGKILL", child_status(pid), 256 + SIGKILL);
	expect_state("empty after the writer killed after its commit", "empty");
	expect("no pages after the writer killed after its commit", sysfs_num("pages"), 0);
	check(!line_with(kmsg_new(), "baton: armed", NULL), "no armed line for the killed writer",
	      "the kernel log says armed");

	// A writer killed half way through its writes: nothing armed, nothing held.
	volatile uint64_t *progress = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*progress = 0;
	pid = fork();
	if (pid == 0) {
		int f = open_baton(O_WRONLY);
		if (f < 0)
			_exit(3);
		for (uint64_t i = 0;; i = (i + 1) % 256) {
			sc(pwrite(f, page + PAGE, PAGE, (off_t)(dst + i * PAGE)));
			(*progress)++;
		}
	}
	for (int i = 0; i < 200 && *progress < 64; i++)
		usleep(10 * 1000);
	uint64_t written = *progress;
	kill(pid, SIGKILL);
	kmsg_mark();
	expect("a writer killed mid-way dies of SIGKILL", child_status(pid), 256 + SIGKILL);
	check(written >= 64, "the killed writer had written pages", "%lu writes", (unsigned long)written);
	expect_state("empty after the writer killed mid-way", "empty");
	expect("no pages after the writer killed mid-way", sysfs_num("pages"), 0);
	expect("no bytes after the writer killed mid-way", sysfs_num("bytes"), 0);
	check(!line_with(kmsg_new(), "baton: armed", NULL), "no armed line for the writer killed mid-way",
	      "the kernel log says armed");

	expect("arm again", arm_one(dst), 0);
	expect_state("armed again", "armed");
	fd = open_baton(O_WRONLY | O_TRUNC);
	expect("open O_TRUNC while armed", fd >= 0 ? 0 : fd, 0);
	expect_state("loading after open O_TRUNC", "loading");
	expect("no pages after open O_TRUNC", sysfs_num("pages"), 0);
	close(fd);
	expect_state("empty after that writer closed", "empty");

	// The one-way switch, then lockdown raised after the module was loaded.
	expect("disable", put_file("/sys/kernel/baton/disabled", "1"), 0);
	expect("a writer after disable gets EPERM", open_baton(O_WRONLY), -EPERM);
	expect("disabled is one way", put_file("/sys/kernel/baton/disabled", "0"), -EPERM);
	r = sc(mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL));
	check(r == 0 || r == -EBUSY, "mount securityfs", "%s", strerror((int)-r));
	const char *lock = slurp("/sys/kernel/security/lockdown");
	say("info lockdown: %s", lock);
	if (check(strstr(lock, "[none]") != NULL, "not locked down at first", "lockdown '%s'", lock)) {
		expect("raise lockdown to integrity", put_file("/sys/kernel/security/lockdown", "integrity"), 0);
		lock = slurp("/sys/kernel/security/lockdown");
		check(strstr(lock, "[integrity]") != NULL, "locked down", "lockdown '%s'", lock);
		kmsg_mark();
		expect("a writer under lockdown gets EPERM", open_baton(O_WRONLY), -EPERM);
		expect_log("kernel log: lockdown refused it", "Lockdown: ", "is restricted");
	}
	expect_state("nothing armed at the end", "empty");
	expect("no pages held at the end", sysfs_num("pages"), 0);
	say("done %s: %u passed, %u failed", test, passed, failed);
	say("trigger none: reboot(RB_AUTOBOOT), nothing armed");
	drain();
	sync();
	r = sc(reboot(RB_AUTOBOOT));
	fatal("reboot", "returned %ld", r);
}

// ---- test: jump -------------------------------------------------------------------

// The smallest payload: 64-bit code that writes its line to COM1 and leaves
// QEMU through isa-debug-exit with 0x10 (status 33, the probe's pass).
static const unsigned char tiny[] = {
	0x48, 0x8d, 0x35, 0x15, 0x00, 0x00, 0x00,	// lea rsi, [rip + msg]
	0x66, 0xba, 0xf8, 0x03,				// mov dx, 0x3f8
	0xb9, 0x17, 0x00, 0x00, 0x00,			// mov ecx, 23
	0xf3, 0x6e,					// rep outsb
	0x66, 0xba, 0xf4, 0x00,				// mov dx, 0xf4
	0xb0, 0x10,					// mov al, 0x10
	0xee,						// out dx, al
	0xf4,						// hlt
	0xeb, 0xfd,					// jmp hlt
	'h', 'o', 'o', 'k', '-', 'j', 'u', 'm', 'p', ':', ' ', 'p', 'a', 'y', 'l', 'o',
	'a', 'd', ' ', 'r', 'a', 'n', '\n',
};
_Static_assert(sizeof tiny == 28 + 23, "the code is 28 bytes, the line 23");

// Through /dev/baton by hand, no baton command: one page of code, the commit
// (64-bit entry, the loader's console on COM1), close; then the armed reboot.
static void test_jump(void)
{
	uint64_t base, size, top, res, res_size;
	struct baton_hook_commit c;

	iomem(&base, &size, &top, &res, &res_size);
	uint64_t dst = (base + size / 2) & ~(PAGE - 1);
	load_baton_ko();
	int fd = open_baton(O_WRONLY);
	if (fd < 0)
		fatal("open /dev/baton", "%s", strerror(-fd));
	memset(page, 0, PAGE);
	memcpy(page, tiny, sizeof tiny);
	expect("pwrite the payload page", sc(pwrite(fd, page, PAGE, (off_t)dst)), (long)PAGE);
	memset(&c, 0, sizeof c);
	c.version = BATON_HOOK_VERSION;
	c.size = sizeof c;
	c.entry_mode = BATON_HOOK_MODE_LONG64;
	c.entry_addr = dst;
	c.console_port = 0x3f8;
	expect("commit", sc(ioctl(fd, BATON_IOC_COMMIT, &c)), 0);
	expect("close arms", sc(close(fd)), 0);
	expect_state("armed", "armed");
	say("info payload at 0x%lx", (unsigned long)dst);
	say("trigger baton: reboot(RB_AUTOBOOT)");
	drain();
	sync();
	long r = sc(reboot(RB_AUTOBOOT));
	fatal("reboot", "returned %ld", r);
}

// ---- main ----------------------------------------------------------------------

int main(int argc, char **argv)
{
	struct utsname u;

	if (getpid() != 1 && argc == 2)
		return dhcp_script(argv[1]);
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		console = fd;
	// devtmpfs over /dev: the kernel makes /dev/baton, /dev/vda there.
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		fatal("mount /dev", "%s", strerror(errno));
	if (mount("proc", "/proc", "proc", 0, NULL))
		fatal("mount /proc", "%s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		fatal("mount /sys", "%s", strerror(errno));
	snprintf(cmdline, sizeof cmdline, "%s", slurp("/proc/cmdline"));
	test = strdup(arg("baton.test"));
	uname(&u);
	say("start %s on %s cpus %s cmdline %s", test, u.release, slurp("/sys/devices/system/cpu/online"),
	    cmdline);
	if (!strcmp(test, "refusals"))
		test_refusals();
	else if (!strcmp(test, "probe"))
		test_probe();
	else if (!strcmp(test, "jump"))
		test_jump();
	else if (!strcmp(test, "kernel"))
		test_kernel();
	else if (!strcmp(test, "linux"))
		test_linux();
	else if (!strcmp(test, "fragmented"))
		test_fragmented();
	else if (!strcmp(test, "second"))
		test_second();
	else
		check(0, "baton.test", "'%s' names no test", test);
	power_off();
}
