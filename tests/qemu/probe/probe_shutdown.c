/* SPDX-License-Identifier: MIT */
/*
 * What the old kernel left behind, checked when the command line says
 * `baton.expect=shutdown`: the state docs/entry.md documents under "What the
 * kernel hook leaves (after Linux's own shutdown)", and each check here names
 * its row there.
 *
 *   8259        both masks 0xff (ports 0x21, 0xa1)
 *   ioapic      every redirection entry of every IO-APIC the MADT names masked
 *   lapic       IA32_APIC_BASE enabled, on the BSP; SVR bits 0-8 = 0x10f (enabled,
 *               spurious vector 0x0f); LINT0 ExtINT and LINT1 NMI, not masked
 *               (mask and delivery-mode bits compared); timer, error and, where
 *               the APIC has them, perf counter, thermal and CMCI masked
 *   hpet        per HPET table: ENABLE_CNF and LEG_RT_CNF clear, every timer's
 *               Tn_INT_ENB_CNF clear
 *   pci-master  bus mastering off on every function of every bus (mechanism #1)
 *
 * The firmware tables are found as the ACPI specification says (6.5, 5.2.5.1):
 * the RSDP on a 16-byte boundary in the EBDA's first KiB or in
 * [0xe0000, 0x100000), its checksum; the XSDT (revision 2 and up) or the RSDT;
 * the "APIC" table's type-1 entries (5.2.12.3: id, address, GSI base) and each
 * "HPET" table's event timer block (IA-PC HPET 1.0a, 3.2.4). Pure C over the
 * callbacks in struct probe_hw, so tests/host/test_probe.c runs it on a
 * simulated machine.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"

#define BDA_EBDA_SEG	0x40e		/* BIOS data area: the EBDA's real-mode segment */
#define EBDA_SCAN	1024
#define BIOS_LO		0xe0000
#define BIOS_HI		0x100000
#define RSDP_V1_LEN	20
#define RSDP_V2_LEN	36
#define SDT_HDR		36
#define SDT_MAX		(1u << 20)	/* a sanity bound */
#define MADT_ENTRIES	44		/* after the header, the local APIC address and flags */
#define MADT_IOAPIC	1
#define HPET_TBL_LEN	56
#define HPET_TBL_GAS	40		/* Generic Address Structure: space ID, ..., address at +4 */
#define APIC_ADDR_MASK	0x000ffffffffff000ULL
#define SVR_WANT	(APIC_SVR_ENABLE | 0x0f)	/* Linux's disconnect_bsp_APIC */
#define LIST_MAX	8		/* items named in one FAIL line */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static int sums_to_zero(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return !s;
}

/* Append to a list in a fixed buffer: LIST_MAX items, then "...". */
static void list_add(char *buf, size_t size, int index, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void list_add(char *buf, size_t size, int index, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (index > LIST_MAX || used + 1 >= size)
		return;
	if (index == LIST_MAX) {
		snprintf(buf + used, size - used, " ...");
		return;
	}
	if (used)
		buf[used++] = ' ', buf[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

/* ---- the command line --------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

int probe_expectations(const char *args, size_t len)
{
	static const char key[] = "baton.expect=";
	const size_t klen = sizeof(key) - 1;
	size_t i = 0, n;
	int want = 0;

	while (i < len) {
		while (i < len && is_space(args[i]))
			i++;
		for (n = 0; i + n < len && !is_space(args[i + n]); n++)
			;
		if (n >= klen && !memcmp(args + i, key, klen)) {
			if (n - klen == 8 && !memcmp(args + i + klen, "shutdown", 8))
				want |= PROBE_EXPECT_SHUTDOWN;
			else if (n - klen == 4 && !memcmp(args + i + klen, "uefi", 4))
				want |= PROBE_EXPECT_UEFI;	/* probe_check.c:memory_slack */
			else
				probe_fail("expect", "unknown '%.*s': the probe knows baton.expect=shutdown and =uefi",
					   (int)n, args + i);
		}
		i += n;
	}
	return want;
}

/* ---- ACPI --------------------------------------------------------------- */

static const uint8_t *rsdp_scan(const struct probe_hw *hw, uint64_t lo, uint64_t hi,
				uint64_t *pa)
{
	const uint8_t *b = hw->map(hw->ctx, lo, hi - lo);
	uint64_t off;

	if (!b)
		return NULL;
	for (off = 0; off + RSDP_V1_LEN <= hi - lo; off += 16)
		if (!memcmp(b + off, "RSD PTR ", 8) && sums_to_zero(b + off, RSDP_V1_LEN)) {
			*pa = lo + off;
			return b + off;
		}
	return NULL;
}

static const uint8_t *rsdp_find(const struct probe_hw *hw, uint64_t *pa)
{
	const uint8_t *bda = hw->map(hw->ctx, BDA_EBDA_SEG, 2), *r = NULL;
	uint64_t ebda = bda ? (uint64_t)get16(bda) << 4 : 0;

	if (ebda >= 0x1000 && ebda + EBDA_SCAN <= 0xa0000)
		r = rsdp_scan(hw, ebda, ebda + EBDA_SCAN, pa);
	return r ? r : rsdp_scan(hw, BIOS_LO, BIOS_HI, pa);
}

/* The whole table at pa if its signature is sig, its length sane and its
 * checksum right; NULL otherwise (*bad set when the signature matched). */
static const uint8_t *sdt_at(const struct probe_hw *hw, uint64_t pa, const char *sig, int *bad)
{
	const uint8_t *h = pa ? hw->map(hw->ctx, pa, SDT_HDR) : NULL;
	uint32_t len;

	if (!h || memcmp(h, sig, 4))
		return NULL;
	len = get32(h + 4);
	h = len >= SDT_HDR && len <= SDT_MAX ? hw->map(hw->ctx, pa, len) : NULL;
	if (!h || !sums_to_zero(h, len)) {
		probe_fail("acpi", "table %.4s at %#" PRIx64 ": length %u or checksum wrong",
			   sig, pa, len);
		if (bad)
			++*bad;
		return NULL;
	}
	return h;
}

static int madt_parse(const uint8_t *t, uint64_t pa, struct probe_acpi *a)
{
	uint32_t len = get32(t + 4), off;

	a->madt = 1;
	for (off = MADT_ENTRIES; off + 2 <= len; off += t[off + 1]) {
		if (t[off + 1] < 2 || off + t[off + 1] > len) {
			probe_fail("acpi", "MADT at %#" PRIx64 ": entry at offset %u has length %u",
				   pa, off, t[off + 1]);
			return 1;
		}
		if (t[off] != MADT_IOAPIC || t[off + 1] < 12)
			continue;
		if (a->nioapic == PROBE_IOAPIC_MAX) {
			probe_fail("acpi", "MADT names more than %d IO-APICs", PROBE_IOAPIC_MAX);
			return 1;
		}
		a->ioapic[a->nioapic].id = t[off + 2];
		a->ioapic[a->nioapic].addr = get32(t + off + 4);
		a->ioapic[a->nioapic].gsi = get32(t + off + 8);
		a->nioapic++;
	}
	return 0;
}

static int hpet_parse(const uint8_t *t, uint64_t pa, struct probe_acpi *a)
{
	if (get32(t + 4) < HPET_TBL_LEN || t[HPET_TBL_GAS] != 0) {
		probe_fail("acpi", "HPET table at %#" PRIx64 ": too short, or its block is not "
			   "in memory space", pa);
		return 1;
	}
	if (a->nhpet == PROBE_HPET_MAX) {
		probe_fail("acpi", "more than %d HPET tables", PROBE_HPET_MAX);
		return 1;
	}
	a->hpet[a->nhpet++] = get64(t + HPET_TBL_GAS + 4);
	return 0;
}

int probe_acpi_find(const struct probe_hw *hw, struct probe_acpi *a)
{
	const uint8_t *rsdp, *root = NULL, *t;
	uint32_t width, off, len;
	int bad = 0;

	memset(a, 0, sizeof(*a));
	rsdp = rsdp_find(hw, &a->rsdp);
	if (!rsdp) {
		probe_fail("acpi", "no RSDP in the EBDA's first KiB or in %#x-%#x: the IO-APICs "
			   "and HPETs are unknown", BIOS_LO, BIOS_HI - 1);
		return 1;
	}
	if (rsdp[15] >= 2) {
		const uint8_t *full = hw->map(hw->ctx, a->rsdp, RSDP_V2_LEN);

		if (full && get32(full + 20) >= RSDP_V2_LEN && sums_to_zero(full, RSDP_V2_LEN) &&
		    (root = sdt_at(hw, get64(full + 24), "XSDT", &bad)))
			a->root = get64(full + 24), a->xsdt = 1;
	}
	if (!root && (root = sdt_at(hw, get32(rsdp + 16), "RSDT", &bad)))
		a->root = get32(rsdp + 16);
	if (!root) {
		probe_fail("acpi", "RSDP at %#" PRIx64 " names no valid XSDT or RSDT", a->rsdp);
		return bad + 1;
	}
	width = a->xsdt ? 8 : 4;
	len = get32(root + 4);
	for (off = SDT_HDR; off + width <= len; off += width) {
		uint64_t pa = width == 8 ? get64(root + off) : get32(root + off);

		if ((t = sdt_at(hw, pa, "APIC", &bad)))
			bad += a->madt ? 0 : madt_parse(t, pa, a);
		else if ((t = sdt_at(hw, pa, "HPET", &bad)))
			bad += hpet_parse(t, pa, a);
	}
	probe_info("shutdown acpi: RSDP at %#" PRIx64 ", %s at %#" PRIx64 ", MADT %s, %d "
		   "IO-APIC%s, %d HPET%s", a->rsdp, a->xsdt ? "XSDT" : "RSDT", a->root,
		   a->madt ? "found" : "missing", a->nioapic, a->nioapic == 1 ? "" : "s",
		   a->nhpet, a->nhpet == 1 ? "" : "s");
	return bad;
}

/* ---- the devices -------------------------------------------------------- */

static int check_8259(const struct probe_hw *hw)
{
	uint8_t m1 = hw->inb(hw->ctx, PIC1_DATA), m2 = hw->inb(hw->ctx, PIC2_DATA);

	probe_info("shutdown 8259: masks %#04x %#04x", m1, m2);
	if (m1 == 0xff && m2 == 0xff)
		return 0;
	probe_fail("8259", "masks 0x21 = %#04x, 0xa1 = %#04x, want 0xff 0xff (every IRQ masked)",
		   m1, m2);
	return 1;
}

static uint32_t ioapic_read(const struct probe_hw *hw, uint64_t base, uint32_t reg)
{
	hw->write32(hw->ctx, base + IOAPIC_REGSEL, reg);
	return hw->read32(hw->ctx, base + IOAPIC_WIN);
}

static int check_ioapic(const struct probe_hw *hw, const struct probe_acpi *a)
{
	int bad = 0, i;

	if (!a->madt) {
		probe_fail("ioapic", "no MADT: the IO-APICs are unknown");
		return 1;
	}
	for (i = 0; i < a->nioapic; i++) {
		uint64_t base = a->ioapic[i].addr, first = 0;
		uint32_t ver = ioapic_read(hw, base, IOAPIC_VER), pins, p, lo;
		int on = 0, first_pin = -1;
		char list[80] = "";

		if (ver == 0xffffffff) {
			probe_fail("ioapic", "IO-APIC id %u at %#" PRIx64 ": no answer (version "
				   "register 0xffffffff)", a->ioapic[i].id, base);
			bad++;
			continue;
		}
		pins = ((ver >> 16) & 0xff) + 1;
		for (p = 0; p < pins; p++) {
			lo = ioapic_read(hw, base, IOAPIC_REDTBL + 2 * p);
			if (lo & IOAPIC_MASKED)
				continue;
			if (first_pin < 0) {
				first_pin = (int)p;
				first = lo | (uint64_t)ioapic_read(hw, base, IOAPIC_REDTBL + 2 * p + 1) << 32;
			}
			list_add(list, sizeof(list), on++, "%u", p);
		}
		probe_info("shutdown ioapic: id %u at %#" PRIx64 ", GSI %u-%u: %u pins, %d unmasked",
			   a->ioapic[i].id, base, a->ioapic[i].gsi, a->ioapic[i].gsi + pins - 1,
			   pins, on);
		if (on) {
			probe_fail("ioapic", "IO-APIC id %u at %#" PRIx64 ": %d of %u pins unmasked "
				   "(%s; pin %d = %#018" PRIx64 "), want every pin masked",
				   a->ioapic[i].id, base, on, pins, list, first_pin, first);
			bad++;
		}
	}
	return bad;
}

static uint32_t lapic_read(const struct probe_hw *hw, uint64_t base, int x2, uint32_t reg)
{
	if (x2)
		return (uint32_t)hw->rdmsr(hw->ctx, MSR_X2APIC_BASE + (reg >> 4));
	return hw->read32(hw->ctx, base + reg);
}

static int check_lapic(const struct probe_hw *hw)
{
	static const struct { const char *name; uint32_t reg, last_lvt; } masked[] = {
		{ "timer", APIC_LVT_TIMER, 0 }, { "error", APIC_LVT_ERROR, 0 },
		{ "perf", APIC_LVT_PERF, 4 }, { "thermal", APIC_LVT_THERMAL, 5 },
		{ "CMCI", APIC_LVT_CMCI, 6 },
	};
	uint64_t ab = hw->rdmsr(hw->ctx, MSR_APIC_BASE), base = ab & APIC_ADDR_MASK;
	int x2 = !!(ab & APIC_BASE_EXTD), bad = 0;
	uint32_t last, svr, lint0, lint1, v;
	char seen[160] = "";
	size_t i;

	if (!(ab & APIC_BASE_EN)) {
		probe_fail("lapic", "IA32_APIC_BASE %#" PRIx64 ": the local APIC is disabled, "
			   "want it enabled in virtual-wire mode", ab);
		return 1;
	}
	if (!(ab & APIC_BASE_BSP)) {
		probe_fail("lapic", "IA32_APIC_BASE %#" PRIx64 ": the probe runs on an AP, want "
			   "the BSP", ab);
		bad++;
	}
	last = (lapic_read(hw, base, x2, APIC_VERSION) >> 16) & 0xff;
	svr = lapic_read(hw, base, x2, APIC_SVR);
	lint0 = lapic_read(hw, base, x2, APIC_LVT_LINT0);
	lint1 = lapic_read(hw, base, x2, APIC_LVT_LINT1);
	if ((svr & (APIC_SVR_ENABLE | APIC_SVR_VECTOR)) != SVR_WANT) {
		probe_fail("lapic", "SVR %#x, want %#x in bits 0-8 (software enabled, spurious "
			   "vector 0x0f)", svr, SVR_WANT);
		bad++;
	}
	if ((lint0 & (APIC_LVT_MASKED | APIC_LVT_MODE)) != APIC_LVT_EXTINT) {
		probe_fail("lapic", "LVT LINT0 %#x, want ExtINT, not masked (%#x in the mask and "
			   "delivery-mode bits)", lint0, APIC_LVT_EXTINT);
		bad++;
	}
	if ((lint1 & (APIC_LVT_MASKED | APIC_LVT_MODE)) != APIC_LVT_NMI) {
		probe_fail("lapic", "LVT LINT1 %#x, want NMI, not masked (%#x in the mask and "
			   "delivery-mode bits)", lint1, APIC_LVT_NMI);
		bad++;
	}
	for (i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		if (last < masked[i].last_lvt)
			continue;
		v = lapic_read(hw, base, x2, masked[i].reg);
		list_add(seen, sizeof(seen), 0, "%s %#x", masked[i].name, v);
		if (!(v & APIC_LVT_MASKED)) {
			probe_fail("lapic", "LVT %s %#x: not masked, want masked", masked[i].name, v);
			bad++;
		}
	}
	probe_info("shutdown lapic: %s at %#" PRIx64 ", SVR %#x, LINT0 %#x, LINT1 %#x, %s "
		   "(last LVT %u)", x2 ? "x2APIC" : "xAPIC", base, svr, lint0, lint1, seen, last);
	return bad;
}

static int check_hpet(const struct probe_hw *hw, const struct probe_acpi *a)
{
	int bad = 0, i;

	if (!a->nhpet)
		probe_info("shutdown hpet: no HPET table, none to check");
	for (i = 0; i < a->nhpet; i++) {
		uint64_t base = a->hpet[i];
		uint32_t cap = hw->read32(hw->ctx, base + HPET_CAP), cfg, n, t, tc, first = 0;
		char list[80] = "", all[200] = "";
		int on = 0, first_t = -1;

		if (cap == 0 || cap == 0xffffffff) {
			probe_fail("hpet", "HPET at %#" PRIx64 ": no answer (capabilities %#x)",
				   base, cap);
			bad++;
			continue;
		}
		n = ((cap >> 8) & 0x1f) + 1;
		cfg = hw->read32(hw->ctx, base + HPET_CFG);
		for (t = 0; t < n; t++) {
			tc = hw->read32(hw->ctx, base + HPET_TN_CFG(t));
			list_add(all, sizeof(all), (int)t, "%#x", tc);
			if (!(tc & HPET_TN_INT_ENB))
				continue;
			if (first_t < 0)
				first_t = (int)t, first = tc;
			list_add(list, sizeof(list), on++, "%u", t);
		}
		probe_info("shutdown hpet: at %#" PRIx64 ", general configuration %#x, %u timers: %s",
			   base, cfg, n, all);
		if (cfg & (HPET_CFG_ENABLE | HPET_CFG_LEGACY)) {
			probe_fail("hpet", "HPET at %#" PRIx64 ": general configuration %#x: "
				   "ENABLE_CNF %d, LEG_RT_CNF %d, want both 0", base, cfg,
				   !!(cfg & HPET_CFG_ENABLE), !!(cfg & HPET_CFG_LEGACY));
			bad++;
		}
		if (on) {
			probe_fail("hpet", "HPET at %#" PRIx64 ": Tn_INT_ENB_CNF set on %d of %u "
				   "timers (%s; timer %d = %#x), want clear on all", base, on, n,
				   list, first_t, first);
			bad++;
		}
	}
	return bad;
}

static int check_pci(const struct probe_hw *hw, int *functions)
{
	uint32_t bus, dev, fn, nfn, id, cmd;
	int found = 0, on = 0;
	char list[300] = "";

	for (bus = 0; bus < 256; bus++)
		for (dev = 0; dev < 32; dev++) {
			id = hw->pci_read32(hw->ctx, bus, dev, 0, 0);
			if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
				continue;
			nfn = hw->pci_read32(hw->ctx, bus, dev, 0, PCI_HEADER) & PCI_MULTIFUNC ? 8 : 1;
			for (fn = 0; fn < nfn; fn++) {
				if (fn)
					id = hw->pci_read32(hw->ctx, bus, dev, fn, 0);
				if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
					continue;
				found++;
				cmd = hw->pci_read32(hw->ctx, bus, dev, fn, PCI_COMMAND) & 0xffff;
				if (cmd & PCI_CMD_MASTER)
					list_add(list, sizeof(list), on++, "%02x:%02x.%x %04x:%04x "
						 "command %#06x", bus, dev, fn, id & 0xffff, id >> 16, cmd);
			}
		}
	*functions = found;
	probe_info("shutdown pci: %d functions, bus mastering on in %d", found, on);
	if (!on)
		return 0;
	probe_fail("pci-master", "bus mastering on in %d of %d functions (%s), want off in "
		   "every one", on, found, list);
	return 1;
}

int probe_check_shutdown(const struct probe_hw *hw, int *functions)
{
	struct probe_acpi a;
	int bad;

	*functions = 0;
	bad = probe_acpi_find(hw, &a);
	bad += check_8259(hw);
	bad += check_ioapic(hw, &a);
	bad += check_lapic(hw);
	bad += check_hpet(hw, &a);
	bad += check_pci(hw, functions);
	return bad;
}
