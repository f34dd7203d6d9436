/* SPDX-License-Identifier: MIT */
/*
 * The probe's run: serial console, fw_cfg, exits, the exception report, and
 * the order of the checks (probe_check.c). entry.asm calls probe_main() once
 * the entry state is recorded, on the probe's own stack, GDT and IDT-less CPU
 * with SSE enabled; probe_main() installs the IDT first.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#include "arch/x86/cpu.h"
#include "arch/x86/io.h"
#include "probe.h"
#include "prng.h"

#define COM1		COM1_PORT	/* arch/x86/hw.h */
#define EXIT_PORT	DEBUG_EXIT_PORT
#define EXIT_PASS	0x10	/* QEMU exits 2 * 0x10 + 1 = 33 */
#define EXIT_FAIL	0x11	/* 35 */
#define FWCFG_SEL	0x510
#define FWCFG_DATA	0x511
#define FWCFG_SIGNATURE	0x0000
#define FWCFG_FILE_DIR	0x0019

#define BOOTARGS_MAX	4096

/* probe.ld */
extern char __image_start[], __image_end[];
extern char __data_a_start[], __data_a_end[];
extern char __data_b_start[], __data_b_end[];
extern char __hole_start[], __hole_end[];
extern char __bss_check_start[], __bss_check_end[];

/* ---- serial, exit (port I/O: arch/x86/io.h) ------------------------------ */

/* The PML4 the walks start at: CR3's, or PML5 entry 0's with 5-level paging. */
static uint64_t page_root(const struct probe_entry_state *s)
{
	uint64_t e;

	if (!(s->cr4 & CR4_LA57))
		return s->cr3;
	e = *(volatile uint64_t *)(uintptr_t)(s->cr3 & PTE_ADDR_MASK);
	probe_info("paging: 5-level (CR4.LA57), PML5[0] = %#" PRIx64, e);
	if (!(e & PTE_P) || (e & PTE_PS))
		probe_fail("map", "PML5[0] %#" PRIx64 " is not a present PML4 pointer", e);
	return e & PTE_ADDR_MASK;
}

static void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);	/* no interrupts */
	outb(COM1 + UART_LCR, 0x80);	/* DLAB */
	outb(COM1 + UART_DLL, 0x01);	/* 115200 baud */
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1 + UART_FCR, 0xc7);	/* FIFOs on, cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
}

static void serial_putc(char c)
{
	int i;

	/* Bounded wait for the transmit holding register: never hang. */
	for (i = 0; i < UART_SPINS && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
		__asm__ volatile("pause");
	outb(COM1 + UART_THR, (uint8_t)c);
}

static void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pr(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_puts(buf);
}

static __attribute__((noreturn)) void qemu_exit(uint32_t code)
{
	outl(EXIT_PORT, code);
	/* Not QEMU, or no isa-debug-exit: stop here. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- report hooks ------------------------------------------------------- */

static int nfail;
static char first_fail[512];
static const char *phase = "start";

void probe_fail(const char *check, const char *fmt, ...)
{
	char buf[448];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr("probe: FAIL %s: %s\n", check, buf);
	if (!nfail++)
		snprintf(first_fail, sizeof(first_fail), "%s: %s", check, buf);
}

void probe_info(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr("probe: %s\n", buf);
}

/* Runtime pieces newlib or libfdt may reach for. */
void __stack_chk_fail(void)
{
	pr("probe: FAIL stack-protector: canary at %%fs:0x28 changed during %s\n", phase);
	pr("PROBE FAIL stack-protector: canary at %%fs:0x28 changed during %s\n", phase);
	qemu_exit(EXIT_FAIL);
}

static __attribute__((noreturn)) void stub_panic(const char *what)
{
	pr("PROBE FAIL libc: %s called during %s\n", what, phase);
	qemu_exit(EXIT_FAIL);
}

/* malloc's heap: snprintf never allocates, nothing else should either. */
void *sbrk(ptrdiff_t incr);
void *sbrk(ptrdiff_t incr)
{
	(void)incr;
	stub_panic("sbrk");
}

/* ---- exceptions --------------------------------------------------------- */

/* The stubs are the loader's (arch/x86/isr.asm); this reports and exits. */
void arch_exception(const struct cpu_frame *f)
{
	static int depth;
	uint64_t cr2;
	char buf[400];

	if (depth++) {
		serial_puts("PROBE FAIL exception: another exception while reporting one\n");
		qemu_exit(EXIT_FAIL);
	}
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	snprintf(buf, sizeof(buf),
		 "vector %" PRIu64 " %s err=%#" PRIx64 " rip=%#" PRIx64 " cr2=%#" PRIx64
		 " rsp=%#" PRIx64 " during %s", f->vector, cpu_vector_name(f->vector),
		 f->error, f->rip, cr2, f->rsp, phase);
	pr("probe: FAIL exception: %s\n", buf);
	pr("PROBE FAIL exception: %s (%d failures before)\n", buf, nfail);
	qemu_exit(EXIT_FAIL);
}

static struct idt_gate idt[CPU_EXCEPTIONS] __attribute__((aligned(16)));

static void idt_init(void)
{
	struct desc_ptr ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	cpu_idt_fill(idt, cs, 0);
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

/* ---- fw_cfg (legacy I/O) ------------------------------------------------ */

static void fwcfg_read(void *buf, size_t n)
{
	unsigned char *b = buf;

	while (n--)
		*b++ = inb(FWCFG_DATA);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Read fw_cfg file `name` into buf (at most max bytes). Returns its size
 * (which may exceed max: only max bytes are read), or -1 when absent.
 */
static long fwcfg_file(const char *name, void *buf, size_t max)
{
	unsigned char hdr[4], ent[64];
	uint32_t count, i, size;
	uint16_t sel;

	outw(FWCFG_SEL, FWCFG_SIGNATURE);
	fwcfg_read(hdr, 4);
	if (memcmp(hdr, "QEMU", 4))
		return -2;
	outw(FWCFG_SEL, FWCFG_FILE_DIR);
	fwcfg_read(hdr, 4);
	count = be32(hdr);
	for (i = 0; i < count && i < 4096; i++) {
		fwcfg_read(ent, sizeof(ent));
		if (strncmp((const char *)ent + 8, name, 56))
			continue;
		size = be32(ent);
		sel = (uint16_t)(ent[4] << 8 | ent[5]);
		outw(FWCFG_SEL, sel);
		fwcfg_read(buf, size < max ? size : max);
		return size;
	}
	return -1;
}

/* ---- the run ------------------------------------------------------------ */

static uint64_t read_phys64(void *ctx, uint64_t pa)
{
	(void)ctx;
	return *(volatile const uint64_t *)(uintptr_t)pa;
}

static int cpu_has_1g_pages(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
	if (a < 0x80000001u)
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
	return !!(d & (1u << 26));
}

#define SPAN(a, b)	((uint64_t)((b) - (a)))
#define ADDR(p)		((uint64_t)(uintptr_t)(p))

/* What the old kernel left: the machine, for probe_shutdown.c. */

static uint8_t hw_inb(void *ctx, uint16_t port)
{
	(void)ctx;
	return inb(port);
}

static uint64_t hw_rdmsr(void *ctx, uint32_t msr)
{
	(void)ctx;
	return rdmsr(msr);
}

/* MMIO through the loader's identity map, which covers [0, 4 GiB) (checked). */
static uint32_t hw_read32(void *ctx, uint64_t pa)
{
	(void)ctx;
	return *(volatile uint32_t *)(uintptr_t)pa;
}

static void hw_write32(void *ctx, uint64_t pa, uint32_t v)
{
	(void)ctx;
	*(volatile uint32_t *)(uintptr_t)pa = v;
}

static uint32_t hw_pci_read32(void *ctx, uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
	(void)ctx;
	outl(PCI_CONF_ADDR, PCI_CONF_ENABLE | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	return inl(PCI_CONF_DATA);
}

struct hw_map_ctx {
	uint64_t root, efer;
};

/* Firmware tables: only what the page tables map (a report beats a #PF). */
static const void *hw_map(void *ctx, uint64_t pa, uint64_t len)
{
	const struct hw_map_ctx *m = ctx;

	if (!probe_mapped(m->root, m->efer, cpu_has_1g_pages(), read_phys64, NULL, pa, len))
		return NULL;
	return (const void *)(uintptr_t)pa;
}

/* The command line the checks go by: /chosen/bootargs of a sound FDT, else the
 * fw_cfg copy (the fdt check has already compared the two). */
static const char *expect_args(const void *fdt, int fdt_ok, const char *fwcfg,
			       long fwcfg_len, int *len)
{
	const char *p;

	if (fdt_ok && (p = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", len)))
		return p;
	*len = fwcfg_len > 0 ? (int)fwcfg_len : 0;
	return fwcfg;
}

/* Stack the loader left: 8 KiB below the entry RSP must take writes. */
static int check_entry_stack(uint64_t rsp, struct probe_range image)
{
	volatile uint64_t *p;
	uint64_t lo = (rsp & ~7ULL) - 8192, old, i;

	if (probe_overlap(lo, 8192 + 8, image.base, image.size)) {
		probe_fail("stack", "entry stack %#" PRIx64 "-%#" PRIx64 " overlaps the "
			   "probe image %#" PRIx64 "-%#" PRIx64, lo, rsp + 8, image.base,
			   image.base + image.size);
		return 1;
	}
	for (i = 0; i < 8192; i += 8) {
		p = (volatile uint64_t *)(uintptr_t)(lo + i);
		old = *p;
		*p = ~old ^ i;
		if (*p != (~old ^ i)) {
			probe_fail("stack", "entry stack word at %#" PRIx64 " does not take "
				   "writes", lo + i);
			return 1;
		}
		*p = old;
	}
	return 0;
}

static void print_clean(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		serial_putc(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
}

void probe_main(struct probe_entry_state *s) __attribute__((noreturn));
void probe_main(struct probe_entry_state *s)
{
	static char bootargs[BOOTARGS_MAX];
	static unsigned char e820_raw[PROBE_E820_MAX * 20];
	static struct probe_e820 e820[PROBE_E820_MAX];
	static struct probe_range mem[PROBE_MEM_MAX];
	struct probe_range image = { ADDR(__image_start), SPAN(__image_start, __image_end) };
	struct probe_range low4g = { 0, 1ULL << 32 };
	const void *fdt = (const void *)(uintptr_t)s->rdi;
	uint64_t data_bytes, hole_bytes, bss_bytes, root;
	long bootargs_len = -1, e820_len;
	int ne = 0, nmem = 0, ntimings = 0, fdt_ok = 0, i;
	int args_len, shutdown = -1, functions = 0;
	const char *args;

	serial_init();
	idt_init();
	pr("probe: baton probe: image %#" PRIx64 "-%#" PRIx64 ", data %#" PRIx64 "-%#"
	   PRIx64 " and %#" PRIx64 "-%#" PRIx64 ", hole %#" PRIx64 "-%#" PRIx64 "\n",
	   image.base, image.base + image.size, ADDR(__data_a_start), ADDR(__data_a_end),
	   ADDR(__data_b_start), ADDR(__data_b_end), ADDR(__hole_start), ADDR(__hole_end));
	pr("probe: entry rdi=%#" PRIx64 " rsp=%#" PRIx64 " [rsp]=%#" PRIx64 " rflags=%#"
	   PRIx64 " cs=%#" PRIx64 " ds=%#" PRIx64 " cr0=%#" PRIx64 " cr3=%#" PRIx64
	   " cr4=%#" PRIx64 " efer=%#" PRIx64 " tsc=%" PRIu64 "\n",
	   s->rdi, s->rsp, s->ret, s->rflags, s->cs, s->ds, s->cr0, s->cr3, s->cr4,
	   s->efer, s->tsc);

	phase = "cpu";
	probe_check_cpu(s);

	/* The build itself: sizes as prng.h says (a mismatch is a probe bug). */
	phase = "layout";
	if (SPAN(__data_a_start, __data_a_end) != PROBE_DATA_A_SIZE ||
	    SPAN(__data_b_start, __data_b_end) != PROBE_DATA_B_SIZE)
		probe_fail("layout", "data sizes %#" PRIx64 "/%#" PRIx64 " differ from "
			   "prng.h", SPAN(__data_a_start, __data_a_end),
			   SPAN(__data_b_start, __data_b_end));

	phase = "data";
	probe_check_pattern("data-a", __data_a_start, SPAN(__data_a_start, __data_a_end),
			    PROBE_SEED_A);
	probe_check_pattern("data-b", __data_b_start, SPAN(__data_b_start, __data_b_end),
			    PROBE_SEED_B);
	data_bytes = SPAN(__data_a_start, __data_a_end) + SPAN(__data_b_start, __data_b_end);

	phase = "hole";
	hole_bytes = SPAN(__hole_start, __hole_end);
	probe_check_zero("hole", __hole_start, hole_bytes);

	phase = "bss";
	bss_bytes = SPAN(__bss_check_start, __bss_check_end);
	probe_check_zero("bss", __bss_check_start, bss_bytes);

	/* Page tables for [0, 4 GiB) before anything dereferences loader pointers.
	 * The depth is the caller's (docs/entry.md): with CR4.LA57 the walk starts at
	 * PML5 entry 0, which must cover all of [0, 256 TiB). */
	phase = "map [0, 4 GiB)";
	root = page_root(s);
	probe_check_map(root, s->efer, cpu_has_1g_pages(), read_phys64, NULL,
			&low4g, 1, image);

	phase = "fw_cfg";
	bootargs_len = fwcfg_file("opt/baton/bootargs", bootargs, sizeof(bootargs));
	if (bootargs_len < 0) {
		probe_fail("fw_cfg", "%s", bootargs_len == -2 ? "no fw_cfg signature at "
			   "port 0x510" : "file opt/baton/bootargs absent");
	} else if (bootargs_len > BOOTARGS_MAX) {
		probe_fail("fw_cfg", "opt/baton/bootargs is %ld bytes, the probe takes %d",
			   bootargs_len, BOOTARGS_MAX);
		bootargs_len = -1;
	} else if (bootargs_len && bootargs[bootargs_len - 1] == '\0') {
		bootargs_len--;		/* QEMU stores string= without the NUL */
	}
	e820_len = fwcfg_file("etc/e820", e820_raw, sizeof(e820_raw));
	if (e820_len < 0 || (size_t)e820_len > sizeof(e820_raw) ||
	    (ne = probe_parse_e820(e820_raw, (size_t)e820_len, e820, PROBE_E820_MAX)) < 0) {
		probe_fail("fw_cfg", "etc/e820 absent or malformed (%ld bytes)", e820_len);
		ne = 0;
	}

	phase = "fdt";
	if (s->rdi) {
		/* Walk to the header before touching it: a report beats a #PF. */
		if (!probe_mapped(root, s->efer, cpu_has_1g_pages(), read_phys64, NULL,
				  s->rdi, 0x28)) {
			probe_fail("fdt", "rdi=%#" PRIx64 ": FDT header not mapped", s->rdi);
			s->rdi = 0;
		}
	}
	if (s->rdi) {
		uint32_t size = fdt_magic(fdt) == FDT_MAGIC ? fdt_totalsize(fdt) : 0;
		if (size && !probe_mapped(root, s->efer, cpu_has_1g_pages(), read_phys64,
					  NULL, s->rdi, size)) {
			probe_fail("fdt", "FDT %#" PRIx64 "+%#x not all mapped", s->rdi, size);
			s->rdi = 0;
		}
	}
	if (s->rdi) {
		uint32_t size = fdt_magic(fdt) == FDT_MAGIC ? fdt_totalsize(fdt) : 0;

		if (probe_overlap(s->rdi, size ? size : 1, image.base, image.size))
			probe_fail("fdt", "FDT %#" PRIx64 "+%#x overlaps the probe image",
				   s->rdi, size);
		if (bootargs_len >= 0)
			fdt_ok = !probe_check_fdt(fdt, bootargs, (size_t)bootargs_len, e820, ne,
						  mem, PROBE_MEM_MAX, &nmem);
		else
			probe_fail("fdt", "not checked: no expected bootargs");
	}
	for (i = 0; i < nmem; i++)
		pr("probe: memory %#" PRIx64 "-%#" PRIx64 "\n", mem[i].base,
		   mem[i].base + mem[i].size);

	phase = "map /memory";
	probe_check_map(root, s->efer, cpu_has_1g_pages(), read_phys64, NULL,
			mem, nmem, image);

	phase = "timings";
	if (s->rdi && fdt_magic(fdt) == FDT_MAGIC && !fdt_check_header(fdt))
		probe_check_timings(fdt, s->tsc, &ntimings);

	phase = "stack";
	check_entry_stack(s->rsp, image);

	/* What the old kernel left, when the command line asks (probe_shutdown.c). */
	phase = "shutdown";
	args = expect_args(fdt, fdt_ok, bootargs, bootargs_len, &args_len);
	if (args_len > 0 && args[args_len - 1] == '\0')
		args_len--;
	if (probe_expectations(args, (size_t)args_len) & PROBE_EXPECT_SHUTDOWN) {
		struct hw_map_ctx mc = { root, s->efer };
		struct probe_hw hw = { &mc, hw_inb, hw_rdmsr, hw_read32, hw_write32,
				       hw_pci_read32, hw_map };

		shutdown = !probe_check_shutdown(&hw, &functions);
	}

	phase = "result";
	if (nfail) {
		pr("PROBE FAIL %s [failures=%d]\n", first_fail, nfail);
		qemu_exit(EXIT_FAIL);
	}
	pr("PROBE PASS data=%" PRIu64 " bss=%" PRIu64 " hole=%" PRIu64 " cpu=ok map=%d "
	   "fdt=%s bootargs=\"", data_bytes, bss_bytes, hole_bytes, nmem,
	   fdt_ok ? "ok" : "?");
	print_clean(bootargs, (size_t)bootargs_len);
	pr("\" timings=%d", ntimings);
	if (shutdown > 0)
		pr(" shutdown=ok pci=%d", functions);
	pr("\n");
	qemu_exit(EXIT_PASS);
}
