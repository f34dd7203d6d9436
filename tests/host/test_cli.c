/* SPDX-License-Identifier: MIT */
/*
 * The `baton` command's pure parts (cli/args.c, cli/parse.c) on sample text,
 * the zero page facts it hands fmt/bzimage.c (raw e820, acpi_rsdp_addr,
 * screen_info, the UEFI handoff) byte for byte, and the built command itself
 * (build/cli/baton) run against a sample system tree (--root): dry runs of a
 * plain and a --bls load of the test kernel, and each exit status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/memmap.h"
#include "fmt/bzimage.h"
#include "stage/linux_place.h"
#include "tests/host/hostfile.h"

#ifndef CLI_BATON
#error "CLI_BATON: the absolute path of build/cli/baton (tests/host/cli/build.mk)"
#endif

#define PAGE	4096ULL
#define MIB	(1ULL << 20)
#define GIB	(1ULL << 30)

/* ---- arguments --------------------------------------------------------------- */

static int parse_line(struct cli_args *a, char *err, const char *line)
{
	static char buf[2048];
	char *argv[128];
	int argc = 0;

	snprintf(buf, sizeof(buf), "baton %s", line);
	for (char *t = strtok(buf, " "); t && argc < 127; t = strtok(NULL, " "))
		argv[argc++] = strcmp(t, "''") == 0 ? "" : t;
	argv[argc] = NULL;
	return cli_parse_args(argc, argv, a, err, 300);
}

static void test_args_load(void **state)
{
	struct cli_args a;
	char err[300];

	(void)state;
	assert_int_equal(parse_line(&a, err, "load vmlinuz --initrd i1 --initrd=i2 --append a=1 "
				    "--command-line=b --reuse-cmdline --entry 32 --dtb d -n -q --no-progress "
				    "--root /r --device /dev/x"), 0);
	assert_int_equal(a.cmd, CMD_LOAD);
	assert_string_equal(a.image, "vmlinuz");
	assert_int_equal(a.n_initrd, 2);
	assert_string_equal(a.initrd[1], "i2");
	assert_int_equal(a.n_append, 2);
	assert_string_equal(a.append[0], "a=1");
	assert_string_equal(a.append[1], "b");
	assert_true(a.reuse_cmdline && a.entry32 && a.dry_run && a.quiet && a.no_progress);
	assert_string_equal(a.dtb, "d");
	assert_string_equal(a.root, "/r");
	assert_string_equal(a.device, "/dev/x");

	/* kexec's letters, options before the command, the image anywhere */
	assert_int_equal(parse_line(&a, err, "--initrd i -l vmlinuz"), 0);
	assert_int_equal(a.cmd, CMD_LOAD);
	assert_string_equal(a.image, "vmlinuz");
	assert_int_equal(parse_line(&a, err, "vmlinuz --load --ramdisk i"), 0);
	assert_string_equal(a.image, "vmlinuz");
	assert_string_equal(a.initrd[0], "i");
	assert_int_equal(parse_line(&a, err, "load -- -odd-name"), 0);
	assert_string_equal(a.image, "-odd-name");
	assert_int_equal(a.entry32, 0);
	assert_int_equal(parse_line(&a, err, "load k --entry=64"), 0);
	assert_int_equal(a.entry32, 0);

	/* --bls, with and without an id */
	assert_int_equal(parse_line(&a, err, "load --bls"), 0);
	assert_true(a.bls);
	assert_null(a.bls_id);
	assert_int_equal(parse_line(&a, err, "load --bls debian-6.1 --append x"), 0);
	assert_string_equal(a.bls_id, "debian-6.1");
}

static void test_args_commands(void **state)
{
	static const struct { const char *line; enum cli_cmd cmd; } t[] = {
		{ "unload", CMD_UNLOAD }, { "-u", CMD_UNLOAD }, { "status", CMD_STATUS },
		{ "-S", CMD_STATUS }, { "exec", CMD_EXEC }, { "-e", CMD_EXEC },
		{ "--help", CMD_HELP }, { "help", CMD_HELP }, { "load --help", CMD_HELP },
		{ "-h load k", CMD_HELP }, { "--version", CMD_VERSION }, { "-V", CMD_VERSION },
		{ "--version --help", CMD_HELP }, { "--help --version", CMD_HELP },
		{ "status --root /tmp/x", CMD_STATUS }, { "unload --device /d", CMD_UNLOAD },
	};
	struct cli_args a;
	char err[300];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_line(&a, err, t[i].line);

		if (rc || a.cmd != t[i].cmd)
			fail_msg("\"%s\": rc %d cmd %d (%s)", t[i].line, rc, a.cmd, err);
	}
}

static void test_args_refused(void **state)
{
	static const struct { const char *line, *msg; } t[] = {
		{ "", "no command (load, unload, status, exec; baton --help)" },
		{ "boot", "unknown command boot (load, unload, status, exec; baton --help)" },
		{ "load", "load: no image (baton load IMAGE, or baton load --bls [ID])" },
		{ "load a b", "load: one image, got a and b" },
		{ "load a b c", "load: one image, got a and b" },
		{ "load a b c d", "too many arguments: d" },
		{ "load --bls a b", "load --bls takes one entry id, got a and b" },
		{ "load --bls --initrd i", "load --bls: the entry names the initrds and the DTB (no --initrd, --dtb)" },
		{ "load k --entry 16", "--entry 16: 64 or 32" },
		{ "load k --initrd", "--initrd needs a value" },
		{ "load k --frobnicate", "unknown option --frobnicate (baton --help)" },
		{ "load k --dry-run=yes", "--dry-run takes no value" },
		{ "load -u k", "load: one command at a time" },
		{ "-l -u k", "-u: one command at a time" },
		{ "unload k", "unload takes no image and no load options" },
		{ "exec --initrd i", "exec takes no image and no load options" },
		{ "status --dry-run", "status takes no image and no load options" },
	};
	struct cli_args a;
	char err[300];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_line(&a, err, t[i].line);

		if (rc != EX_USAGE || strcmp(err, t[i].msg))
			fail_msg("\"%s\": rc %d \"%s\", want \"%s\"", t[i].line, rc, err, t[i].msg);
	}
	/* limits: 32 initrds, 16 appends */
	char line[2048] = "load k";

	for (int i = 0; i < CLI_INITRD_MAX; i++)
		strcat(line, " --initrd i");
	assert_int_equal(parse_line(&a, err, line), 0);
	strcat(line, " --initrd one-more");
	assert_int_equal(parse_line(&a, err, line), EX_USAGE);
	assert_string_equal(err, "--initrd: at most 32 initrds");
}

/* ---- /proc/iomem ----------------------------------------------------------------- */

static const char iomem_bios[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"0009fc00-0009ffff : Reserved\n"
	"000a0000-000bffff : PCI Bus 0000:00\n"
	"000f0000-000fffff : Reserved\n"
	"  000f0000-000fffff : System ROM\n"
	"00100000-7ffdffff : System RAM\n"
	"  01000000-01e0289f : Kernel code\n"
	"  02000000-0238dfff : Kernel rodata\n"
	"  02400000-0271b87f : Kernel data\n"
	"  02c3a000-02ffffff : Kernel bss\n"
	"  5f000000-6effffff : Crash kernel\n"
	"  7f000000-7f0fffff : ramoops\n"
	"7ffe0000-7fffffff : Reserved\n"
	"b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n"
	"  b0000000-bfffffff : Reserved\n"
	"fec00000-fec003ff : IOAPIC 0\n"
	"fed00000-fed003ff : HPET 0\n"
	"  fed00000-fed003ff : PNP0103:00\n"
	"100000000-17fffffff : System RAM\n"
	"  17fff0000-17fff0fff : reserved\n"
	"fd00000000-ffffffffff : Reserved\n";

static void test_iomem(void **state)
{
	static const struct baton_mem_range want[] = {
		{ 0x0, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0x1000, 0x9e000, BATON_MEM_USABLE, 0 },	/* ends 0x9fbff: page 0x9f000 partial */
		{ 0x9f000, 0x1000, BATON_MEM_RESERVED, 0 },	/* 0x9fc00 grown down */
		{ 0xa0000, 0x20000, BATON_MEM_RESERVED, 0 },
		{ 0xf0000, 0x10000, BATON_MEM_RESERVED, 0 },
		{ 0x100000, 0x7fee0000, BATON_MEM_USABLE, 0 },
		{ 0x5f000000, 0x10000000, BATON_MEM_NEVER_TOUCH, 0 },
		{ 0x7f000000, 0x100000, BATON_MEM_NEVER_TOUCH, 0 },
		{ 0x7ffe0000, 0x20000, BATON_MEM_RESERVED, 0 },
		{ 0xb0000000, 0x10000000, BATON_MEM_RESERVED, 0 },
		{ 0xfec00000, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0xfed00000, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0x100000000, 0x80000000, BATON_MEM_USABLE, 0 },
		{ 0x17fff0000, 0x1000, BATON_MEM_NEVER_TOUCH, 0 },
		{ 0xfd00000000, 0x300000000, BATON_MEM_RESERVED, 0 },
	};
	struct baton_mem_range m[32], norm[80];
	uint64_t nn, bad;
	unsigned line;
	long n = cli_parse_iomem(iomem_bios, m, 32, &line);

	(void)state;
	assert_int_equal(line, 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (long i = 0; i < n; i++)
		if (m[i].base != want[i].base || m[i].size != want[i].size || m[i].type != want[i].type)
			fail_msg("range %ld: 0x%lx+0x%lx type %u, want 0x%lx+0x%lx type %u", i,
				 (unsigned long)m[i].base, (unsigned long)m[i].size, m[i].type,
				 (unsigned long)want[i].base, (unsigned long)want[i].size, want[i].type);
	/* the stage's rule makes it normal: the crash kernel cut out of RAM */
	assert_int_equal(memmap_normalize(m, (uint64_t)n, norm, 80, &nn, &bad), 0);
	assert_int_equal(memmap_bad(norm, nn), -1);
	const struct baton_mem_range *hit;

	assert_int_equal(memmap_fits(norm, nn, 0x5f000000, 0x5f001000, &hit), MEMMAP_FORBIDDEN);
	assert_int_equal(hit->type, BATON_MEM_NEVER_TOUCH);
	assert_int_equal(memmap_fits(norm, nn, 0x1000000, 0x2000000, &hit), MEMMAP_FITS);	/* over the kernel */
	assert_int_equal(memmap_fits(norm, nn, 0x9e000, 0x9f000, &hit), MEMMAP_FITS);
	assert_int_not_equal(memmap_fits(norm, nn, 0x9f000, 0xa0000, &hit), MEMMAP_FITS);
	assert_int_equal(memmap_usable_bytes(norm, nn),
			 0x9e000 + 0x7fee0000 - 0x10000000 - 0x100000 + 0x80000000 - 0x1000);

	/* too small a buffer */
	assert_int_equal(cli_parse_iomem(iomem_bios, m, 3, &line), -1);
}

static void test_iomem_refused(void **state)
{
	struct baton_mem_range m[8];
	unsigned line;

	(void)state;
	/* a reader without CAP_SYS_ADMIN sees zeros */
	assert_int_equal(cli_parse_iomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
					 "  00000000-00000000 : Kernel code\n", m, 8, &line), -2);
	assert_int_equal(cli_parse_iomem("00000000-00000fff : Reserved\nfec00000-fec003ff : IOAPIC 0\n",
					 m, 8, &line), -3);
	assert_int_equal(cli_parse_iomem("", m, 8, &line), -3);
	/* lines not understood are skipped and the first is named */
	assert_int_equal(cli_parse_iomem("garbage\n00100000-7fffffff : System RAM\nxyz-1 : a\n", m, 8, &line), 1);
	assert_int_equal(line, 1);
	assert_int_equal(m[0].base, 0x100000);
	/* a RAM range smaller than a page once aligned gives nothing; a top at 2^64 */
	assert_int_equal(cli_parse_iomem("00100800-00100fff : System RAM\n00200000-002fffff : System RAM\n"
					 "fffffffffff00000-ffffffffffffffff : Reserved\n", m, 8, &line), 2);
	assert_int_equal(m[0].base, 0x200000);
	assert_int_equal(m[1].base + m[1].size, 0xfffffffffffff000ULL);
}

static void test_map_compact(void **state)
{
	struct baton_mem_range m[8] = {
		{ 0x0, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0x1000, 0x9e000, BATON_MEM_USABLE, 0 },
		{ 0xa0000, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0xc0000, 0x1000, BATON_MEM_NEVER_TOUCH, 0 },
		{ 0xf0000, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0x100000, 0x100000, BATON_MEM_USABLE, 0 },
		{ 0x300000, 0x1000, BATON_MEM_RESERVED, 0 },
		{ 0x400000, 0x1000, BATON_MEM_RESERVED, 0 },
	};

	(void)state;
	assert_int_equal(cli_map_compact(m, 8, 8), 8);			/* short enough: untouched */
	assert_int_equal(cli_map_compact(m, 8, 7), 7);			/* one merge of one type */
	assert_int_equal(m[6].base, 0x300000);
	assert_int_equal(m[6].size, 0x101000);
	assert_int_equal(m[6].type, BATON_MEM_RESERVED);
	assert_int_equal(cli_map_compact(m, 7, 4), 5);			/* then across types, no further */
	assert_int_equal(m[2].base, 0xa0000);
	assert_int_equal(m[2].size, 0x51000);
	assert_int_equal(m[2].type, BATON_MEM_NEVER_TOUCH);		/* the stricter kind */
	assert_int_equal(m[3].base, 0x100000);
	assert_int_equal(memmap_bad(m, 5), -1);
}

/* ---- /sys/firmware/memmap, the command line, systab, ranges ------------------------ */

static void test_memmap_entries(void **state)
{
	static const struct { const char *name; uint32_t type; } t[] = {
		{ "System RAM\n", 1 }, { "Reserved\n", 2 }, { "ACPI Tables\n", 3 },
		{ "ACPI Non-volatile Storage\n", 4 }, { "Unusable memory\n", 5 },
		{ "Persistent Memory (legacy)\n", 12 }, { "Persistent Memory\n", 7 },
		{ "Soft Reserved\n", 0xefffffff }, { "Unknown E820 type\n", 2 },
	};
	struct fmt_e820 e[3];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(cli_e820_type(t[i].name), t[i].type);
	assert_int_equal(cli_parse_memmap_entry("0x100000\n", "0x7ffdffff\n", "System RAM\n", &e[0]), 0);
	assert_int_equal(e[0].addr, 0x100000);
	assert_int_equal(e[0].size, 0x7fee0000);
	assert_int_equal(e[0].type, 1);
	assert_int_equal(cli_parse_memmap_entry("0x0", "0x9fbff", "System RAM", &e[1]), 0);
	assert_int_equal(e[1].size, 0x9fc00);					/* not page aligned: as is */
	assert_int_equal(cli_parse_memmap_entry("0xfeffc000\n", "0xfeffffff\n", "Reserved\n", &e[2]), 0);
	cli_e820_sort(e, 3);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[1].addr, 0x100000);
	assert_int_equal(e[2].addr, 0xfeffc000);
	assert_int_equal(cli_parse_memmap_entry("100000", "0x200000", "Reserved", &e[0]), -1);
	assert_int_equal(cli_parse_memmap_entry("0x200000", "0x100000", "Reserved", &e[0]), -1);
	assert_int_equal(cli_parse_memmap_entry("0x0", "0xffffffffffffffff", "Reserved", &e[0]), -1);
	assert_int_equal(cli_parse_memmap_entry("0x1x", "0x2", "Reserved", &e[0]), -1);
}

static void test_cmdline(void **state)
{
	struct cli_args a;
	char out[4096], err[300];

	(void)state;
	cli_cmdline_reuse("BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1 ro  quiet\n", out, sizeof(out));
	assert_string_equal(out, "root=UUID=1 ro quiet");
	cli_cmdline_reuse("root=/dev/sda1 BOOT_IMAGE=(hd0,1)/vmlinuz acpi_osi=\"Windows 2020\" x\n", out, sizeof(out));
	assert_string_equal(out, "root=/dev/sda1 acpi_osi=\"Windows 2020\" x");
	cli_cmdline_reuse("\n", out, sizeof(out));
	assert_string_equal(out, "");
	cli_cmdline_reuse("aaaa bbbb cccc", out, 10);
	assert_string_equal(out, "aaaa bbbb");

	assert_int_equal(parse_line(&a, err, "load k --append x=1 --append y"), 0);
	assert_int_equal(cli_cmdline_build(&a, "root=/dev/vda", "entry=opts", out, sizeof(out)), 0);
	assert_string_equal(out, "entry=opts x=1 y");		/* --append alone: adds to nothing but the base */
	assert_int_equal(cli_cmdline_build(&a, "root=/dev/vda", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "x=1 y");
	assert_int_equal(parse_line(&a, err, "load k --reuse-cmdline --append x=1"), 0);
	assert_int_equal(cli_cmdline_build(&a, "root=/dev/vda", "entry=opts", out, sizeof(out)), 0);
	assert_string_equal(out, "root=/dev/vda x=1");
	assert_int_equal(parse_line(&a, err, "load k --reuse-cmdline --append ''"), 0);
	assert_int_equal(cli_cmdline_build(&a, "", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(parse_line(&a, err, "load k --append 0123456789"), 0);
	assert_int_equal(cli_cmdline_build(&a, "", NULL, out, 10), -1);
	assert_int_equal(cli_cmdline_build(&a, "", NULL, out, 11), 0);
}

static void test_console_port(void **state)
{
	(void)state;
	assert_int_equal(cli_console_port("quiet"), 0);
	assert_int_equal(cli_console_port("console=ttyS0"), 0x3f8);
	assert_int_equal(cli_console_port("console=ttyS1,115200n8 quiet"), 0x2f8);
	assert_int_equal(cli_console_port("console=ttyS2 console=tty0"), 0x3e8);	/* the serial one */
	assert_int_equal(cli_console_port("console=ttyS0 console=ttyS3,9600"), 0x2e8);	/* the last */
	assert_int_equal(cli_console_port("console=ttyS4"), 0);
	assert_int_equal(cli_console_port("console=ttyS10"), 0);
	assert_int_equal(cli_console_port("xconsole=ttyS0 console=ttyUSB0"), 0);
	assert_int_equal(cli_console_port("a=\"console=ttyS0 b\""), 0);			/* quoted: one word */
}

static void test_find_hex(void **state)
{
	static const char systab[] = "MPS=0xfc000\nACPI20=0x7fb7e014\nACPI=0x7fb7e000\nSMBIOS=0x7f9a7000\n"
				     "SMBIOS3=0x7f9a5000\n";

	(void)state;
	assert_int_equal(cli_find_hex(systab, "ACPI20="), 0x7fb7e014);
	assert_int_equal(cli_find_hex(systab, "ACPI="), 0x7fb7e000);
	assert_int_equal(cli_find_hex(systab, "SMBIOS="), 0x7f9a7000);
	assert_int_equal(cli_find_hex(systab, "SMBIOS3="), 0x7f9a5000);
	assert_int_equal(cli_find_hex(systab, "HCDP="), 0);
	assert_int_equal(cli_find_hex("0x7e5b8018\n", "0x"), 0x7e5b8018);
	assert_int_equal(cli_find_hex("ACPI20=zz\n", "ACPI20="), 0);
}

static void test_ranges(void **state)
{
	struct cli_ranges *c = calloc(1, sizeof(*c));

	(void)state;
	cli_ranges_add(c, 0x1000, BATON_HOOK_ZERO);
	cli_ranges_add(c, 0x2000, BATON_HOOK_ZERO);
	cli_ranges_add(c, 0x3000, BATON_HOOK_CLAIM);
	cli_ranges_add(c, 0x4000, BATON_HOOK_CLAIM);
	cli_ranges_add(c, 0x6000, BATON_HOOK_CLAIM);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->r[0].addr, 0x1000);
	assert_int_equal(c->r[0].pages, 2);
	assert_int_equal(c->r[0].kind, BATON_HOOK_ZERO);
	assert_int_equal(c->r[1].pages, 2);
	assert_int_equal(c->r[2].addr, 0x6000);
	assert_int_equal(c->zero_pages, 2);
	assert_int_equal(c->claim_pages, 3);
	/* every other page: 1024 ranges, then the rest is counted as dropped */
	memset(c, 0, sizeof(*c));
	for (uint64_t i = 0; i < 2 * (BATON_HOOK_RANGES_MAX + 5); i += 2)
		cli_ranges_add(c, i * PAGE, BATON_HOOK_ZERO);
	assert_int_equal(c->n, BATON_HOOK_RANGES_MAX);
	assert_int_equal(c->dropped, 5);
	free(c);
}

/* ---- the zero page with the running system's facts --------------------------------- */

static uint32_t get32(const uint8_t *p, uint64_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t get64(const uint8_t *p, uint64_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static void test_zero_page_system(void **state)
{
	char path[512], msg[200];
	uint64_t len;
	uint8_t *k = host_read_kernel(path, sizeof(path), &len);
	static const struct baton_mem_range map[] = {
		{ 0x100000, 0x7ff00000, BATON_MEM_USABLE, 0 },
	};
	struct fmt_e820 e820[130];
	uint8_t screen[BP_SCREEN_INFO_LEN], efi_info[BP_EFI_INFO_LEN], efi_setup[96], memmap[3 * 40];
	struct fmt_bz_system sys = {
		.e820 = e820, .e820_count = 130, .acpi_rsdp = 0x7fb7e014, .screen_info = screen,
		.efi_info = efi_info, .efi_memmap = memmap, .efi_memmap_len = sizeof(memmap),
		.efi_desc_size = 40, .efi_setup = efi_setup, .efi_setup_len = sizeof(efi_setup),
	};
	struct fmt_bz_request rq = { .entry = FMT_BZ_ENTRY64, .mem = map, .mem_count = 1,
				     .cmdline_len = 5, .sys = &sys };
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;
	struct fmt_bz_boot_shape bs;
	uint8_t *zp;

	(void)state;
	for (int i = 0; i < 130; i++)
		e820[i] = (struct fmt_e820){ .addr = (uint64_t)i << 32, .size = 0x1000, .type = (uint32_t)(i % 5 + 1) };
	for (size_t i = 0; i < sizeof(screen); i++)
		screen[i] = (uint8_t)(0x40 + i);
	memset(efi_info, 0, sizeof(efi_info));
	memcpy(efi_info, "EL64", 4);
	memcpy(efi_info + 4, "\x18\x80\x5b\x7e", 4);		/* systab 0x7e5b8018 */
	efi_info[12] = 1;					/* descriptor version */
	memset(efi_info + 16, 0xee, 8);				/* stale memmap: replaced */
	for (size_t i = 0; i < sizeof(efi_setup); i++)
		efi_setup[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(memmap); i++)
		memmap[i] = (uint8_t)(0xa0 ^ i);

	assert_int_equal(fmt_bzimage_parse(k, len, &bz, msg, sizeof(msg)), 0);
	assert_int_equal(stage_linux_place(&bz, &rq, &lay, msg, sizeof(msg)), 0);
	fmt_bzimage_boot_shape(&rq, &bs);
	assert_int_equal(bs.e820_off, 2 * PAGE);
	assert_int_equal(bs.e820_len, 2 * 20);
	assert_int_equal(bs.efi_off, 2 * PAGE + 16 + 40);
	assert_int_equal(bs.efi_memmap_off, bs.efi_off + 16 + 96);
	assert_int_equal(bs.first_off, bs.e820_off);
	assert_int_equal(lay.setup_data, lay.boot + bs.e820_off);
	zp = calloc(1, lay.boot_size);
	fmt_bzimage_boot_area(k, &bz, &rq, &lay, "hello", NULL, zp);

	/* the raw e820 with its own types: 128 in the zero page, 2 in SETUP_E820_EXT */
	assert_int_equal(zp[BP_E820_ENTRIES], 128);
	assert_int_equal(get64(zp, BP_E820_TABLE + 5 * 20), 5ULL << 32);
	assert_int_equal(get32(zp, BP_E820_TABLE + 5 * 20 + 16), 1);
	assert_int_equal(get32(zp, BP_E820_TABLE + 127 * 20 + 16), 3);
	assert_int_equal(get64(zp, BZ_SETUP_DATA), lay.boot + bs.e820_off);
	assert_int_equal(get32(zp, bs.e820_off + 8), BZ_SETUP_E820_EXT);
	assert_int_equal(get64(zp, bs.e820_off + 16 + 20), 129ULL << 32);
	/* the chain: E820_EXT -> EFI */
	assert_int_equal(get64(zp, bs.e820_off), lay.boot + bs.efi_off);
	assert_int_equal(get32(zp, bs.efi_off + 8), BZ_SETUP_EFI);
	assert_int_equal(get32(zp, bs.efi_off + 12), 96);
	assert_int_equal(get64(zp, bs.efi_off), 0);
	assert_memory_equal(zp + bs.efi_off + 16, efi_setup, 96);
	/* efi_info: the running system's, pointing at the runtime map in the boot area */
	assert_memory_equal(zp + BP_EFI_INFO, "EL64", 4);
	assert_int_equal(get32(zp, BP_EFI_INFO + 4), 0x7e5b8018);
	assert_int_equal(get32(zp, BP_EFI_MEMDESC_SIZE), 40);
	assert_int_equal(get32(zp, BP_EFI_INFO + 12), 1);
	assert_int_equal(get32(zp, BP_EFI_MEMMAP) | ((uint64_t)get32(zp, BP_EFI_MEMMAP_HI) << 32),
			 lay.boot + bs.efi_memmap_off);
	assert_int_equal(get32(zp, BP_EFI_MEMMAP_SIZE), sizeof(memmap));
	assert_memory_equal(zp + bs.efi_memmap_off, memmap, sizeof(memmap));
	/* screen_info and the ACPI root pointer */
	assert_memory_equal(zp + BP_SCREEN_INFO, screen, sizeof(screen));
	assert_int_equal(get64(zp, BP_ACPI_RSDP_ADDR), 0x7fb7e014);
	assert_memory_equal(zp + PAGE, "hello", 6);

	/* an older protocol gets acpi_rsdp_addr all the same (padding there, as
	 * kexec-tools writes it); without EFI nothing of it */
	free(zp);
	bz.version = 0x020d;
	sys.efi_info = NULL;
	sys.efi_setup = NULL;
	sys.e820_count = 3;
	fmt_bzimage_boot_shape(&rq, &bs);
	assert_int_equal(bs.efi_off, 0);
	assert_int_equal(bs.efi_memmap_off, 0);
	assert_int_equal(bs.first_off, 0);
	zp = calloc(1, lay.boot_size);
	fmt_bzimage_boot_area(k, &bz, &rq, &lay, "hello", NULL, zp);
	assert_int_equal(get64(zp, BP_ACPI_RSDP_ADDR), 0x7fb7e014);
	assert_int_equal(get32(zp, BP_EFI_MEMMAP_SIZE), 0);
	assert_int_equal(zp[BP_E820_ENTRIES], 3);
	assert_int_equal(get64(zp, BZ_SETUP_DATA), 0);
	free(zp);
	free(k);
}

/* ---- the command, run ------------------------------------------------------------- */

static char root_dir[] = "/tmp/baton-test-cli-XXXXXX";

static void put(const char *rel, const void *data, size_t len)
{
	char path[1024], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
	for (slash = strchr(path + strlen(root_dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void puts_file(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

/* Run build/cli/baton with the arguments; its stdout + stderr into out. */
static int run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	n = (size_t)snprintf(cmd, sizeof(cmd), "'%s' ", CLI_BATON);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(int rc, int want, const char *out, const char *needle)
{
	if (rc != want || !strstr(out, needle))
		fail_msg("exit %d (want %d), output lacks \"%s\":\n%s", rc, want, needle, out);
}

static int setup_root(void **state)
{
	char path[512], bp[4096];
	uint64_t len;
	uint8_t *k = host_read_kernel(path, sizeof(path), &len);

	(void)state;
	strcpy(root_dir, "/tmp/baton-test-cli-XXXXXX");
	assert_non_null(mkdtemp(root_dir));
	puts_file("proc/iomem", iomem_bios);
	puts_file("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda console=ttyS1,115200\n");
	puts_file("sys/firmware/memmap/0/start", "0x0\n");
	puts_file("sys/firmware/memmap/0/end", "0x9fbff\n");
	puts_file("sys/firmware/memmap/0/type", "System RAM\n");
	puts_file("sys/firmware/memmap/1/start", "0x100000\n");
	puts_file("sys/firmware/memmap/1/end", "0x7ffdffff\n");
	puts_file("sys/firmware/memmap/1/type", "System RAM\n");
	puts_file("sys/firmware/memmap/10/start", "0x7ffe0000\n");
	puts_file("sys/firmware/memmap/10/end", "0x7fffffff\n");
	puts_file("sys/firmware/memmap/10/type", "ACPI Tables\n");
	memset(bp, 0, sizeof(bp));
	memcpy(bp + BP_EFI_INFO, "EL64\x18\x80\x5b\x7e\x30\0\0\0\x01\0\0\0\0\0\0\0\x60\x18\0\0", 24);
	put("sys/kernel/boot_params/data", bp, sizeof(bp));
	puts_file("sys/firmware/efi/systab", "ACPI20=0x7fb7e014\nACPI=0x7fb7e000\nSMBIOS=0x7f9a7000\n");
	puts_file("sys/firmware/efi/fw_vendor", "0x7f9ee018\n");
	puts_file("sys/firmware/efi/runtime", "0x7f9edb98\n");
	puts_file("sys/firmware/efi/config_table", "0x7f9ed018\n");
	puts_file("sys/firmware/efi/runtime-map/0/type", "0x5\n");
	puts_file("sys/firmware/efi/runtime-map/0/phys_addr", "0x7f8f0000\n");
	puts_file("sys/firmware/efi/runtime-map/0/virt_addr", "0xfffffffeffb10000\n");
	puts_file("sys/firmware/efi/runtime-map/0/num_pages", "0x10\n");
	puts_file("sys/firmware/efi/runtime-map/0/attribute", "0x800000000000000f\n");
	put("boot/vmlinuz-test", k, len);
	puts_file("boot/initrd-test", "070701 not really a cpio, but bytes to place\n");
	puts_file("boot/loader/entries/debian-6.1.0-9.conf",
		  "title Debian\nversion 6.1.0-9\nsort-key debian\nlinux /vmlinuz-test\noptions root=/dev/old\n");
	puts_file("boot/loader/entries/debian-6.1.0-18.conf",
		  "title Debian\nversion 6.1.0-18\nsort-key debian\nlinux /vmlinuz-test\n"
		  "initrd /initrd-test\ninitrd initrd-test\noptions root=/dev/vda\noptions quiet\n");
	puts_file("boot/loader/entries/arm.conf", "architecture aa64\nlinux /vmlinuz-test\nsort-key a\n");
	puts_file("boot/loader/entries/tool.conf", "efi /EFI/tool.efi\nsort-key a\n");
	puts_file("sys/kernel/baton/state", "armed\n");
	puts_file("sys/kernel/baton/bytes", "123\n");
	puts_file("sys/kernel/baton/entry", "long64 0x1000200 rsi 0x100000\n");
	free(k);
	return 0;
}

static int teardown_root(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_run_dry(void **state)
{
	static char out[65536];
	int rc;

	(void)state;
	rc = run(out, sizeof(out), "load %s/boot/vmlinuz-test --initrd %s/boot/initrd-test --root %s "
		 "--reuse-cmdline --append extra=1 --dry-run", root_dir, root_dir, root_dir);
	expect(rc, EX_OK, out, "baton: dry run: ");
	expect(rc, EX_OK, out, "command line: \"root=/dev/vda console=ttyS1,115200 extra=1\"");
	expect(rc, EX_OK, out, "zero page: e820 from /sys/firmware/memmap (3 entries), acpi_rsdp 0x7fb7e014, "
	       "screen_info yes, EFI handoff yes");
	expect(rc, EX_OK, out, "loader console: 0x2f8");
	expect(rc, EX_OK, out, " claim ");
	expect(rc, EX_OK, out, "entry long64 0x");

	/* the entry the specification sorts first: 6.1.0-18 (arm: other machine; tool: no linux) */
	rc = run(out, sizeof(out), "load --bls --root %s --dry-run --append extra", root_dir);
	expect(rc, EX_OK, out, "boot entry /boot/loader/entries/debian-6.1.0-18.conf (Debian 6.1.0-18)");
	expect(rc, EX_OK, out, "command line: \"root=/dev/vda quiet extra\"");
	rc = run(out, sizeof(out), "load --bls debian-6.1.0-9 --root %s --dry-run", root_dir);
	expect(rc, EX_OK, out, "command line: \"root=/dev/old\"");
	rc = run(out, sizeof(out), "load --bls debian-6.1.0-9 --reuse-cmdline --root %s --dry-run", root_dir);
	expect(rc, EX_OK, out, "command line: \"root=/dev/vda console=ttyS1,115200\"");
}

static void test_run_exit_codes(void **state)
{
	static char out[65536];
	int rc;

	(void)state;
	rc = run(out, sizeof(out), "load");
	expect(rc, EX_USAGE, out, "baton: load: no image");
	rc = run(out, sizeof(out), "--help");
	expect(rc, EX_OK, out, "Exit status: 0 done");
	rc = run(out, sizeof(out), "--version");
	expect(rc, EX_OK, out, "baton " BATON_VERSION_STRING);
	rc = run(out, sizeof(out), "load %s/nonexistent --root %s --dry-run", root_dir, root_dir);
	expect(rc, EX_FILE, out, "baton: image ");
	expect(rc, EX_FILE, out, "/nonexistent: No such file or directory");
	rc = run(out, sizeof(out), "load %s/proc/cmdline --root %s --dry-run", root_dir, root_dir);
	expect(rc, EX_IMAGE, out, "proc/cmdline: image: ");
	rc = run(out, sizeof(out), "load %s/boot/vmlinuz-test --root %s --device %s/no-dev", root_dir, root_dir, root_dir);
	expect(rc, EX_NOHOOK, out, "no-dev: No such file or directory (is baton.ko loaded? modprobe baton)");
	rc = run(out, sizeof(out), "load --bls nope --root %s --dry-run", root_dir);
	expect(rc, EX_BLS, out, "baton: no boot entry nope in /boot, /efi or /boot/efi loader/entries");
	rc = run(out, sizeof(out), "load --bls tool --root %s --dry-run", root_dir);
	expect(rc, EX_BLS, out, "boot entry tool has no linux line");
	rc = run(out, sizeof(out), "load --bls arm --root %s --dry-run", root_dir);
	expect(rc, EX_BLS, out, "boot entry arm is for architecture aa64, not x64");
	rc = run(out, sizeof(out), "status --root %s", root_dir);
	expect(rc, EX_OK, out, "state     armed\nbytes     123\nentry     long64 0x1000200 rsi 0x100000\n");
	rc = run(out, sizeof(out), "status --root %s/nowhere", root_dir);
	expect(rc, EX_NOHOOK, out, "/sys/kernel/baton/state: No such file or directory");
	puts_file("sys/kernel/baton/state", "empty\n");
	rc = run(out, sizeof(out), "status --root %s", root_dir);
	expect(rc, EX_NOTHING, out, "state     empty");
	rc = run(out, sizeof(out), "exec --root %s", root_dir);
	expect(rc, EX_NOTHING, out, "baton: nothing is armed (state: empty): baton load IMAGE first");
	rc = run(out, sizeof(out), "unload --root %s/nowhere", root_dir);
	expect(rc, EX_NOHOOK, out, "/sys/kernel/baton/disarm: No such file or directory");
	puts_file("sys/kernel/baton/disarm", "");
	rc = run(out, sizeof(out), "unload --root %s", root_dir);
	expect(rc, EX_OK, out, "");

	/* the system unreadable: an iomem without addresses, one without RAM */
	puts_file("proc/iomem", "00000000-00000000 : System RAM\n");
	rc = run(out, sizeof(out), "load %s/boot/vmlinuz-test --root %s --dry-run", root_dir, root_dir);
	expect(rc, EX_PERM, out, "baton: /proc/iomem shows no addresses: run as root");
	puts_file("proc/iomem", "00000000-00000fff : Reserved\n");
	rc = run(out, sizeof(out), "load %s/boot/vmlinuz-test --root %s --dry-run", root_dir, root_dir);
	expect(rc, EX_SYSTEM, out, "baton: /proc/iomem has no System RAM");
	/* RAM too small for the kernel: the stage's line */
	puts_file("proc/iomem", "00100000-001fffff : System RAM\n");
	rc = run(out, sizeof(out), "load %s/boot/vmlinuz-test --root %s --dry-run", root_dir, root_dir);
	expect(rc, EX_IMAGE, out, "vmlinuz-test: image: bzImage: ");
	puts_file("proc/iomem", iomem_bios);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_load),
		cmocka_unit_test(test_args_commands),
		cmocka_unit_test(test_args_refused),
		cmocka_unit_test(test_iomem),
		cmocka_unit_test(test_iomem_refused),
		cmocka_unit_test(test_map_compact),
		cmocka_unit_test(test_memmap_entries),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_console_port),
		cmocka_unit_test(test_find_hex),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_zero_page_system),
		cmocka_unit_test_setup_teardown(test_run_dry, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_run_exit_codes, setup_root, teardown_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
