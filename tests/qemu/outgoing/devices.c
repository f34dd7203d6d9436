/* SPDX-License-Identifier: MIT */
/*
 * devices=: the state of the interrupt controllers, the HPETs and the PCI bus
 * masters at the jump, for the probe's `baton.expect=shutdown` checks
 * (tests/qemu/probe/probe_shutdown.c).
 *
 *   firmware  untouched: as SeaBIOS and QEMU's reset left them (the default)
 *   live      as a running kernel has them, set up right after the command
 *             line: every item the probe checks out of its shutdown state
 *   shutdown  live first, then, just before the jump, what the kernel hook does
 *             at reboot (docs/entry.md, "What the kernel hook leaves"), by the
 *             hardware's rules, in the order Linux's shutdown goes: bus masters
 *             off, the 8259 masked, every IO-APIC pin masked before the local
 *             APIC goes to virtual-wire mode, the HPETs stopped
 *
 * "live", in numbers: 8259 masks 0xf8/0xfe (IRQs 0, 1, 2 and 8 on); IO-APIC
 * pins 1, 2, 4, 8, 9 and 12 unmasked (the pins a running Linux had on here,
 * shared:notes/linux-reboot-hook.md), fixed delivery to this CPU, vector 0x30
 * + pin, edge; the local APIC enabled with spurious vector 0xff, LINT0 masked
 * (a kernel that uses the IO-APIC), LINT1 masked (as Linux has it on every CPU
 * but the BSP, or with apic_extnmi=none), timer (one-shot, vector 0xec,
 * count 0: stopped), error (0xfe), perf counter (NMI) and thermal (0xfa)
 * unmasked; every HPET enabled in legacy replacement mode with timers 0 and 1
 * allowed to interrupt (their comparators are never reached); bus mastering on
 * in every PCI function. Interrupts stay off (IF = 0) throughout, here, in the
 * loader and in the probe: nothing is delivered.
 *
 * The IO-APICs and HPETs come from the ACPI tables (acpi.c:acpi_table): the
 * MADT's type-1 entries and the HPET tables. Only the xAPIC is driven (QEMU's
 * TCG has no x2APIC); all of it through our identity map of [0, 64 GiB).
 */
#include "outgoing.h"
#include "arch/x86/io.h"

#define MADT_ENTRIES	44
#define IOAPIC_MAX	8
#define HPET_MAX	8
#define LIVE_PINS	((1u << 1) | (1u << 2) | (1u << 4) | (1u << 8) | (1u << 9) | (1u << 12))
#define LIVE_VECTOR	0x30		/* + pin */
#define LIVE_TIMER	0xec
#define LIVE_ERROR	0xfe
#define LIVE_THERMAL	0xfa
#define LIVE_TIMERS	2		/* HPET timers 0 and 1: the legacy replacement routes */

static struct {
	int n;
	uint64_t addr[IOAPIC_MAX];
} ioapics;

static struct {
	int n;
	uint64_t addr[HPET_MAX];
} hpets;

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void find(void)
{
	const uint8_t *t = acpi_table("APIC", 0);
	uint32_t off;

	ioapics.n = hpets.n = 0;
	for (off = MADT_ENTRIES; t && off + 2 <= get32(t + 4) && t[off + 1] >= 2; off += t[off + 1])
		if (t[off] == 1 && t[off + 1] >= 12 && ioapics.n < IOAPIC_MAX)
			ioapics.addr[ioapics.n++] = get32(t + off + 4);
	for (unsigned i = 0; i < HPET_MAX && (t = acpi_table("HPET", i)); i++)
		if (get32(t + 4) >= 56 && t[40] == 0)
			hpets.addr[hpets.n++] = get64(t + 44);
	if (!ioapics.n)
		die(EXIT_SETUP, "devices: no IO-APIC in the ACPI tables (MADT)");
}

static volatile uint32_t *mmio(uint64_t pa)
{
	return (volatile uint32_t *)(uintptr_t)pa;
}

/* ---- PCI, configuration mechanism #1 ------------------------------------ */

static uint32_t pci_addr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
	return PCI_CONF_ENABLE | bus << 16 | dev << 11 | fn << 8 | off;
}

static uint32_t pci_read(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
	outl(PCI_CONF_ADDR, pci_addr(bus, dev, fn, off));
	return inl(PCI_CONF_DATA);
}

/* Bus mastering on or off in every function; returns how many functions.
 * A 16-bit write: the status register above the command register is
 * write-1-to-clear and stays as it is. */
static int pci_master(int on)
{
	int count = 0;

	for (uint32_t bus = 0; bus < 256; bus++)
		for (uint32_t dev = 0; dev < 32; dev++) {
			uint32_t id = pci_read(bus, dev, 0, 0) & 0xffff, nfn;

			if (id == 0xffff || id == 0)
				continue;
			nfn = pci_read(bus, dev, 0, PCI_HEADER) & PCI_MULTIFUNC ? 8 : 1;
			for (uint32_t fn = 0; fn < nfn; fn++) {
				id = pci_read(bus, dev, fn, 0) & 0xffff;
				if (id == 0xffff || id == 0)
					continue;
				uint16_t cmd = (uint16_t)pci_read(bus, dev, fn, PCI_COMMAND);

				cmd = (uint16_t)(on ? cmd | PCI_CMD_MASTER : cmd & ~PCI_CMD_MASTER);
				outl(PCI_CONF_ADDR, pci_addr(bus, dev, fn, PCI_COMMAND));
				outw(PCI_CONF_DATA, cmd);
				count++;
			}
		}
	return count;
}

/* ---- IO-APIC, local APIC, HPET ------------------------------------------ */

static uint32_t ioapic_read(uint64_t base, uint32_t reg)
{
	*mmio(base + IOAPIC_REGSEL) = reg;
	return *mmio(base + IOAPIC_WIN);
}

static void ioapic_write(uint64_t base, uint32_t reg, uint32_t v)
{
	*mmio(base + IOAPIC_REGSEL) = reg;
	*mmio(base + IOAPIC_WIN) = v;
}

static uint32_t ioapic_pins(uint64_t base)
{
	return ((ioapic_read(base, IOAPIC_VER) >> 16) & 0xff) + 1;
}

static volatile uint32_t *lapic(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_EN) || (base & APIC_BASE_EXTD))
		die(EXIT_SETUP, "devices: IA32_APIC_BASE 0x%lx: need an enabled xAPIC", base);
	return mmio(base & APIC_BASE_ADDR);
}

#define LAPIC(r)	lapic()[(r) / 4]

static uint32_t lapic_last_lvt(void)
{
	return (LAPIC(APIC_VERSION) >> 16) & 0xff;
}

static void hpet_set(uint64_t base, int live)
{
	uint32_t n = ((*mmio(base + HPET_CAP) >> 8) & 0x1f) + 1;

	for (uint32_t t = 0; t < n; t++) {
		uint32_t c = *mmio(base + HPET_TN_CFG(t)) & ~HPET_TN_INT_ENB;

		*mmio(base + HPET_TN_CFG(t)) = live && t < LIVE_TIMERS ? c | HPET_TN_INT_ENB : c;
	}
	uint32_t cfg = *mmio(base + HPET_CFG) & ~(HPET_CFG_ENABLE | HPET_CFG_LEGACY);

	*mmio(base + HPET_CFG) = live ? cfg | HPET_CFG_ENABLE | HPET_CFG_LEGACY : cfg;
}

void devices_live(enum devices_kind d)
{
	if (d == DEVICES_FIRMWARE)
		return;
	find();
	int fns = pci_master(1);

	outb(PIC1_DATA, 0xf8);
	outb(PIC2_DATA, 0xfe);
	uint32_t self = LAPIC(APIC_ID) >> 24;

	for (int i = 0; i < ioapics.n; i++)
		for (uint32_t p = 0; p < ioapic_pins(ioapics.addr[i]); p++) {
			if (!(LIVE_PINS >> p & 1))
				continue;
			ioapic_write(ioapics.addr[i], IOAPIC_REDTBL + 2 * p + 1, self << 24);
			ioapic_write(ioapics.addr[i], IOAPIC_REDTBL + 2 * p, LIVE_VECTOR + p);
		}
	LAPIC(APIC_SVR) = (LAPIC(APIC_SVR) & ~(APIC_SVR_ENABLE | APIC_SVR_VECTOR)) |
			  APIC_SVR_ENABLE | 0xff;
	LAPIC(APIC_TIMER_INIT) = 0;
	LAPIC(APIC_LVT_TIMER) = LIVE_TIMER;
	LAPIC(APIC_LVT_ERROR) = LIVE_ERROR;
	LAPIC(APIC_LVT_LINT0) = APIC_LVT_MASKED | APIC_LVT_EXTINT;
	LAPIC(APIC_LVT_LINT1) = APIC_LVT_MASKED | APIC_LVT_NMI;
	if (lapic_last_lvt() >= 4)
		LAPIC(APIC_LVT_PERF) = APIC_LVT_NMI;
	if (lapic_last_lvt() >= 5)
		LAPIC(APIC_LVT_THERMAL) = LIVE_THERMAL;
	for (int i = 0; i < hpets.n; i++)
		hpet_set(hpets.addr[i], 1);
	say("devices: live: bus mastering on in %d PCI functions; 8259 masks 0x%02x 0x%02x; "
	    "%d IO-APIC(s), pins 1 2 4 8 9 12 unmasked; local APIC SVR 0x%x, LVT timer 0x%x "
	    "error 0x%x perf 0x%x thermal 0x%x LINT0 0x%x LINT1 0x%x; %d HPET(s) enabled, "
	    "legacy replacement, timers 0 1 interrupting", fns, inb(PIC1_DATA), inb(PIC2_DATA),
	    ioapics.n, LAPIC(APIC_SVR), LAPIC(APIC_LVT_TIMER), LAPIC(APIC_LVT_ERROR),
	    LAPIC(APIC_LVT_PERF), LAPIC(APIC_LVT_THERMAL), LAPIC(APIC_LVT_LINT0),
	    LAPIC(APIC_LVT_LINT1), hpets.n);
}

void devices_shutdown(enum devices_kind d)
{
	static const uint32_t masked[] = {
		APIC_LVT_TIMER, APIC_LVT_ERROR, APIC_LVT_PERF, APIC_LVT_THERMAL, APIC_LVT_CMCI,
	};
	static const uint32_t need[] = { 0, 0, 4, 5, 6 };	/* the last LVT index each needs */

	if (d != DEVICES_SHUTDOWN)
		return;
	int fns = pci_master(0);

	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	/* The IO-APIC before the local APIC, as Linux's native_machine_shutdown()
	 * (Intel Atom C2000 erratum AVR31). */
	for (int i = 0; i < ioapics.n; i++)
		for (uint32_t p = 0; p < ioapic_pins(ioapics.addr[i]); p++) {
			uint32_t reg = IOAPIC_REDTBL + 2 * p;

			ioapic_write(ioapics.addr[i], reg, ioapic_read(ioapics.addr[i], reg) |
				     IOAPIC_MASKED);
		}
	LAPIC(APIC_TIMER_INIT) = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(masked); i++)
		if (lapic_last_lvt() >= need[i])
			LAPIC(masked[i]) |= APIC_LVT_MASKED;
	LAPIC(APIC_LVT_LINT0) = APIC_LVT_EXTINT;
	LAPIC(APIC_LVT_LINT1) = APIC_LVT_NMI;
	LAPIC(APIC_SVR) = (LAPIC(APIC_SVR) & ~(APIC_SVR_ENABLE | APIC_SVR_VECTOR)) |
			  APIC_SVR_ENABLE | 0x0f;
	for (int i = 0; i < hpets.n; i++)
		hpet_set(hpets.addr[i], 0);
	say("devices: shutdown: bus mastering off in %d PCI functions; 8259 masks 0x%02x 0x%02x; "
	    "every pin of %d IO-APIC(s) masked; local APIC SVR 0x%x, LINT0 0x%x, LINT1 0x%x, "
	    "timer, error, perf, thermal masked; %d HPET(s) stopped", fns, inb(PIC1_DATA),
	    inb(PIC2_DATA), ioapics.n, LAPIC(APIC_SVR), LAPIC(APIC_LVT_LINT0),
	    LAPIC(APIC_LVT_LINT1), hpets.n);
}
