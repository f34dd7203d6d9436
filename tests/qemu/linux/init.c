// tests/qemu/linux/init.c: /init of the tiny initramfs the QEMU tests boot Debian's
// kernel with (README.md beside this file). A freestanding static x86-64 Linux
// program: no libc, raw system calls. It reports what the kernel it runs under
// was given, as ONE line on the console:
//
//   baton-init: cpus=<online>/<present> memtotal_kb=<N> data_bytes=<N>
//               data_crc32=<8 hex> cmdline=<the /proc/cmdline text>
//
// (one line, no wrap) or `baton-init: FAIL <what>`, then powers the machine off.

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef unsigned char u8;

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_ioctl = 16,
	SYS_pause = 34, SYS_sync = 162, SYS_mount = 165, SYS_reboot = 169,
};
enum { O_RDONLY = 0, O_WRONLY = 1, O_NOCTTY = 0400, O_CLOEXEC = 02000000 };
enum { TCSBRK = 0x5409 };	// with a nonzero argument: tcdrain()
#define REBOOT_MAGIC1 0xfee1deadUL
#define REBOOT_MAGIC2 672274793UL
#define REBOOT_POWER_OFF 0x4321fedcUL

static s64 sys3(s64 n, s64 a, s64 b, s64 c)
{
	s64 r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static s64 sys5(s64 n, s64 a, s64 b, s64 c, s64 d, s64 e)
{
	s64 r;
	register s64 r10 __asm__("r10") = d;
	register s64 r8 __asm__("r8") = e;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

// gcc may emit calls to these even when freestanding.
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

// ---- the output line --------------------------------------------------------

static char line[8192];
static u64 len;

static void put(const char *s)
{
	while (*s && len < sizeof line - 2)
		line[len++] = *s++;
}

static void put_dec(u64 v)
{
	char t[24];
	int i = 0;
	do
		t[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < 24);
	while (i && len < sizeof line - 2)
		line[len++] = t[--i];
}

static void put_hex8(u32 v)
{
	for (int s = 28; s >= 0 && len < sizeof line - 2; s -= 4)
		line[len++] = "0123456789abcdef"[(v >> s) & 15];
}

static int console = 1;

static void open_console(void)
{
	s64 fd = sys3(SYS_open, (s64)"/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0) {
		// No /dev/console node: the kernel's own devtmpfs has one.
		sys5(SYS_mount, (s64)"devtmpfs", (s64)"/dev", (s64)"devtmpfs", 0, 0);
		fd = sys3(SYS_open, (s64)"/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC, 0);
	}
	if (fd >= 0)
		console = (int)fd;
}

static __attribute__((noreturn)) void finish(void)
{
	line[len++] = '\n';
	for (u64 off = 0; off < len;) {
		s64 n = sys3(SYS_write, console, (s64)(line + off), (s64)(len - off));
		if (n <= 0)
			break;
		off += (u64)n;
	}
	sys3(SYS_ioctl, console, TCSBRK, 1);	// let the UART drain before power-off
	sys3(SYS_sync, 0, 0, 0);
	sys5(SYS_reboot, (s64)REBOOT_MAGIC1, (s64)REBOOT_MAGIC2, (s64)REBOOT_POWER_OFF, 0, 0);
	for (;;)
		sys3(SYS_pause, 0, 0, 0);
}

static __attribute__((noreturn)) void fail(const char *what, s64 err)
{
	len = 0;
	put("baton-init: FAIL ");
	put(what);
	if (err) {
		put(" (errno ");
		put_dec((u64)-err);
		put(")");
	}
	finish();
}

// ---- files ----------------------------------------------------------------

static u8 buf[1 << 16];

// Reads a whole small file into buf as a NUL-terminated string.
static u64 slurp(const char *path)
{
	s64 fd = sys3(SYS_open, (s64)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		fail(path, fd);
	u64 n = 0;
	for (;;) {
		s64 r = sys3(SYS_read, fd, (s64)(buf + n), (s64)(sizeof buf - 1 - n));
		if (r < 0)
			fail(path, r);
		if (r == 0)
			break;
		n += (u64)r;
		if (n == sizeof buf - 1)
			fail(path, 0);	// too long for a small file
	}
	sys3(SYS_close, fd, 0, 0);
	buf[n] = 0;
	return n;
}

// The number of CPUs in a sysfs range list such as "0-3" or "0,2-3\n"; 0 if malformed.
static u64 count_cpus(const char *path)
{
	slurp(path);
	const u8 *p = buf;
	u64 total = 0;
	for (;;) {
		u64 a = 0, b;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			a = a * 10 + (u64)(*p++ - '0');
		b = a;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return 0;
			b = 0;
			while (*p >= '0' && *p <= '9')
				b = b * 10 + (u64)(*p++ - '0');
			if (b < a)
				return 0;
		}
		total += b - a + 1;
		if (*p == ',') {
			p++;
			continue;
		}
		return (*p == '\n' || *p == 0) ? total : 0;
	}
}

static u64 memtotal_kb(void)
{
	slurp("/proc/meminfo");
	static const char key[] = "MemTotal:";
	for (const u8 *p = buf; *p;) {
		u64 i = 0;
		while (key[i] && p[i] == (u8)key[i])
			i++;
		if (!key[i]) {
			p += i;
			while (*p == ' ' || *p == '\t')
				p++;
			u64 v = 0;
			if (*p < '0' || *p > '9')
				return 0;
			while (*p >= '0' && *p <= '9')
				v = v * 10 + (u64)(*p++ - '0');
			return v;
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return 0;
}

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32), slicing by 8.
static u32 crc_tab[8][256];

static void crc_init(void)
{
	for (u32 i = 0; i < 256; i++) {
		u32 c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_tab[0][i] = c;
	}
	for (u32 i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

static u32 crc_update(u32 c, const u8 *p, u64 n)
{
	while (n >= 8) {
		u32 lo = c ^ ((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24);
		u32 hi = (u32)p[4] | (u32)p[5] << 8 | (u32)p[6] << 16 | (u32)p[7] << 24;
		c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		    crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		    crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		    crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

static void crc_file(const char *path, u64 *bytes, u32 *crc)
{
	s64 fd = sys3(SYS_open, (s64)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		fail(path, fd);
	crc_init();
	u32 c = 0xffffffffu;
	u64 total = 0;
	for (;;) {
		s64 r = sys3(SYS_read, fd, (s64)buf, sizeof buf);
		if (r < 0)
			fail(path, r);
		if (r == 0)
			break;
		c = crc_update(c, buf, (u64)r);
		total += (u64)r;
	}
	sys3(SYS_close, fd, 0, 0);
	*bytes = total;
	*crc = c ^ 0xffffffffu;
}

// ---- main -----------------------------------------------------------------

void init_main(void);
void init_main(void)
{
	open_console();
	s64 r = sys5(SYS_mount, (s64)"proc", (s64)"/proc", (s64)"proc", 0, 0);
	if (r < 0)
		fail("mount /proc", r);
	r = sys5(SYS_mount, (s64)"sysfs", (s64)"/sys", (s64)"sysfs", 0, 0);
	if (r < 0)
		fail("mount /sys", r);

	u64 online = count_cpus("/sys/devices/system/cpu/online");
	if (!online)
		fail("parse /sys/devices/system/cpu/online", 0);
	u64 present = count_cpus("/sys/devices/system/cpu/present");
	if (!present)
		fail("parse /sys/devices/system/cpu/present", 0);
	u64 mem = memtotal_kb();
	if (!mem)
		fail("parse MemTotal in /proc/meminfo", 0);
	u64 bytes;
	u32 crc;
	crc_file("/data.bin", &bytes, &crc);

	u64 n = slurp("/proc/cmdline");
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;

	put("baton-init: cpus=");
	put_dec(online);
	put("/");
	put_dec(present);
	put(" memtotal_kb=");
	put_dec(mem);
	put(" data_bytes=");
	put_dec(bytes);
	put(" data_crc32=");
	put_hex8(crc);
	put(" cmdline=");
	put((const char *)buf);
	finish();
}

// The kernel enters with %rsp at argc, 16-byte aligned; calls need it so before
// the call pushes the return address.
__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call init_main\n"
	"	hlt\n"
	".size _start, . - _start\n");
