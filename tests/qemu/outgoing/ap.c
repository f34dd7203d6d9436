/* SPDX-License-Identifier: MIT */
/*
 * aps=hostile: just before the jump, start every application processor and let
 * it scribble on the pages the payload will own, as an outgoing kernel that
 * leaves its CPUs running would. The loader must stop them (INIT) before it
 * places the payload; if it does not, its verify step finds their writes.
 *
 * 1. ap_target(): the range they write is the payload's image, page aligned (a
 *    bzImage: its initrd, strategy.c:strategy_bulk()).
 *    strategy.c took it before staging, so no source, loader region or handoff
 *    is there; target_check() proves that again from the sealed handoff.
 * 2. fw_cfg_cpus(): the number of CPUs, from QEMU's fw_cfg.
 * 3. trampoline_install(): ap.asm's template on page AP_TRAMPOLINE, which must
 *    be usable RAM in the boot loader's map and hold none of its data.
 * 4. INIT, 10 ms, one SIPI to "all excluding self" through the xAPIC (SDM Vol. 3A
 *    8.4.4.1), up to SIPI_RETRY_US for every AP to check in; a second SIPI only
 *    to each APIC ID that has not, then up to ALIVE_WAIT_US more.
 * 5. Every AP twice more through its write loop: the start-up IPIs are consumed.
 *
 * Why the second SIPI is sent only where it is needed: a SIPI that reaches an AP
 * already running is ignored by a real CPU, but QEMU's TCG keeps it pending until
 * the AP's host thread next looks, and an INIT taken with a SIPI still pending
 * restarts the AP with it. Two SIPIs to everyone, as the SDM's sequence has it,
 * left one pending whenever an AP's thread did not run between the second SIPI
 * and the loader's INIT, and the "parked" APs wrote again (1 run in 7 failed
 * under load). Step 5 then proves each AP ran on after the last SIPI it was sent.
 */
#include <string.h>
#include "cpu.h"
#include "outgoing.h"

#define INIT_SETTLE_US	10000		/* after INIT (SDM Vol. 3A 8.4.4.1) */
#define SIPI_RETRY_US	200000		/* then a second SIPI to the APs not up yet */
#define ICR_WAIT_US	100000		/* delivery status must clear by then */
#define ALIVE_WAIT_US	1000000		/* every AP must count itself in by then */
#define BEATS_WANTED	2		/* passes each AP makes after the last SIPI */

/* ap.asm: the template and the variables in it, found at the same offsets in the copy. */
extern const char ap_trampoline[], ap_trampoline_end[];
extern const char ap_alive[], ap_seen[], ap_beat[], ap_lo[], ap_hi[];

/* APIC_BASE_ADDR keeps bits 12..31: every base it yields is in our identity map. */
_Static_assert((uint64_t)APIC_BASE_ADDR + PAGE_SIZE <= (uint64_t)IDMAP_GIB << 30,
	       "the identity map covers the xAPIC page");

void ap_target(const struct fmt_image *img, uint64_t *lo, uint64_t *hi)
{
	const struct fmt_segment *big = strategy_bulk(img);

	*lo = align_down(big ? big->paddr : img->low, PAGE_SIZE);
	*hi = align_up(big ? big->paddr + big->memsz : img->high, PAGE_SIZE);
}

static void target_avoid(uint64_t lo, uint64_t hi, const char *what, uint64_t a,
			 uint64_t b)
{
	if (a < hi && lo < b)
		die(EXIT_SETUP, "aps: target 0x%lx-0x%lx overlaps the %s at 0x%lx-0x%lx",
		    lo, hi, what, a, b);
}

/* Nothing the loader reads before it verifies, nor writes before it parks the
 * APs, lies in [lo, hi), nor do we. */
static void target_check(const struct stage_result *res, uint64_t lo, uint64_t hi)
{
	const struct baton_handoff *h = (const void *)(uintptr_t)res->handoff;

	if (hi > 1ULL << 32)
		die(EXIT_SETUP, "aps: target 0x%lx-0x%lx ends above 4 GiB: the APs write "
		    "with paging off", lo, hi);
	target_avoid(lo, hi, "outgoing kernel", (uintptr_t)__kernel_start,
		     (uintptr_t)__bss_end);
	target_avoid(lo, hi, "trampoline page", AP_TRAMPOLINE, AP_TRAMPOLINE + PAGE_SIZE);
	target_avoid(lo, hi, "loader region", res->loader_base,
		     res->loader_base + res->loader_size);
	target_avoid(lo, hi, "handoff page", res->handoff, res->handoff + PAGE_SIZE);
	target_avoid(lo, hi, "work area", res->work_base, res->work_base + res->work_size);
	for (uint64_t pa = h->chain; pa; pa = BATON_L_ADDR(((const uint64_t *)(uintptr_t)pa)[0])) {
		const uint64_t *w = (const uint64_t *)(uintptr_t)pa;

		target_avoid(lo, hi, "list page", pa, pa + PAGE_SIZE);
		for (uint32_t j = BATON_LIST_FIRST; j < BATON_LIST_WORDS; j++)
			if (BATON_L_KIND(w[j]) == BATON_L_SRC)
				target_avoid(lo, hi, "source of a copy run", BATON_L_ADDR(w[j]),
					     BATON_L_ADDR(w[j]) +
					     (BATON_L_SRC_PAGES(w[j]) << PAGE_SHIFT));
	}
}

static uint32_t fw_cfg_read(uint16_t key, unsigned bytes)
{
	uint32_t v = 0;

	outw(FW_CFG_PORT_SEL, key);
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)inb(FW_CFG_PORT_DATA) << (8 * i);
	return v;
}

static uint32_t fw_cfg_cpus(void)
{
	uint32_t sig = fw_cfg_read(FW_CFG_SIGNATURE, 4), n;

	if (sig != FW_CFG_QEMU)
		die(EXIT_SETUP, "aps: no QEMU fw_cfg at port 0x%x (signature 0x%08x): "
		    "cannot count the CPUs", FW_CFG_PORT_SEL, sig);
	n = fw_cfg_read(FW_CFG_NB_CPUS, 2);
	if (!n)
		die(EXIT_SETUP, "aps: fw_cfg says 0 CPUs");
	return n;
}

/* 1 if the boot loader's map says [lo, hi) is usable RAM and nothing else. */
static int mb_map_usable(const struct mb_info *mbi, uint64_t lo, uint64_t hi)
{
	uint64_t off = 0;
	int usable = 0;

	while (off + sizeof(struct mb_mmap_entry) <= mbi->mmap_length) {
		const struct mb_mmap_entry *e =
			(const void *)(uintptr_t)(mbi->mmap_addr + off);

		off += e->size + 4;
		if (!(e->base < hi && lo < e->base + e->len))
			continue;
		if (e->type != MB_MMAP_AVAILABLE)
			return 0;
		if (e->base <= lo && hi <= e->base + e->len)
			usable = 1;
	}
	return usable;
}

static uint32_t *trampoline_var(const char *sym)
{
	return (uint32_t *)(uintptr_t)(AP_TRAMPOLINE + (uint64_t)(sym - ap_trampoline));
}

/* ap.asm's template on its page, told the range; returns its alive counter. */
static volatile uint32_t *trampoline_install(const struct mb_info *mbi, uint64_t lo,
					     uint64_t hi)
{
	if (!(mbi->flags & MB_INFO_MMAP) ||
	    !mb_map_usable(mbi, AP_TRAMPOLINE, AP_TRAMPOLINE + PAGE_SIZE))
		die(EXIT_SETUP, "aps: trampoline page 0x%x is not usable RAM in the boot "
		    "loader's map", AP_TRAMPOLINE);
	if (pages_is_reserved(AP_TRAMPOLINE, AP_TRAMPOLINE + PAGE_SIZE))
		die(EXIT_SETUP, "aps: trampoline page 0x%x holds the boot loader's data "
		    "(multiboot info, map, command line or modules)", AP_TRAMPOLINE);
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE, ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));
	*trampoline_var(ap_lo) = (uint32_t)lo;
	*trampoline_var(ap_hi) = (uint32_t)hi;
	*trampoline_var(ap_alive) = 0;
	*trampoline_var(ap_seen) = 0;
	memset(trampoline_var(ap_beat), 0, AP_MAX_CPUS * sizeof(uint32_t));
	return trampoline_var(ap_alive);
}

/* This CPU's xAPIC registers, through our identity map. */
static volatile uint32_t *xapic_get(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_EN) || (base & APIC_BASE_EXTD) || !(base & APIC_BASE_BSP) ||
	    base >> 32)
		die(EXIT_SETUP, "aps: IA32_APIC_BASE 0x%lx: need an enabled xAPIC below "
		    "4 GiB, not x2APIC, on the BSP", base);
	return (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR);
}

/* One IPI: ICR high (destination APIC ID in 31:24, unused with a shorthand),
 * then ICR low sends. */
static void xapic_send(volatile uint32_t *apic, uint32_t khz, uint32_t dest, uint32_t icr_lo)
{
	uint64_t end;

	apic[APIC_ICR_HI / 4] = dest << 24;
	apic[APIC_ICR_LO / 4] = icr_lo;
	end = rdtsc() + (uint64_t)ICR_WAIT_US * khz / 1000;
	while (apic[APIC_ICR_LO / 4] & ICR_BUSY)
		if (rdtsc() > end)
			die(EXIT_SETUP, "aps: xAPIC ICR 0x%08x still pending after %u ms",
			    icr_lo, ICR_WAIT_US / 1000);
}

static void tsc_wait_us(uint32_t khz, uint64_t us)
{
	uint64_t end = rdtsc() + us * khz / 1000;

	while (rdtsc() < end)
		__asm__ volatile("pause");
}

/* Waits until `*alive` reaches `want` or `us` have passed; returns the count. */
static uint32_t alive_wait(volatile uint32_t *alive, uint32_t want, uint32_t khz, uint64_t us)
{
	uint64_t end = rdtsc() + us * khz / 1000;

	while (*alive < want && rdtsc() < end)
		__asm__ volatile("pause");
	return *alive;
}

/*
 * Step 4's second start-up IPI, to each AP that has not checked in: QEMU numbers
 * the APIC IDs of -smp N from 0 to N-1, so those are the IDs expected.
 */
static void sipi_missing(volatile uint32_t *apic, uint32_t khz, uint32_t cpus, uint32_t self)
{
	volatile uint32_t *seen = trampoline_var(ap_seen);
	uint32_t sipi = ICR_STARTUP | ICR_ASSERT | (AP_TRAMPOLINE >> PAGE_SHIFT);

	for (uint32_t id = 0; id < cpus; id++)
		if (id != self && !(*seen >> id & 1)) {
			say("aps: APIC ID %u not up after %u ms: a second SIPI to it", id,
			    SIPI_RETRY_US / 1000);
			xapic_send(apic, khz, id, sipi);
		}
}

/* Step 5: every AP up, and each then BEATS_WANTED more passes over its range. */
static void beats_wait(uint32_t khz, uint32_t cpus, uint32_t self)
{
	volatile uint32_t *beat = trampoline_var(ap_beat), *seen = trampoline_var(ap_seen);
	uint32_t from[AP_MAX_CPUS];
	uint64_t end = rdtsc() + (uint64_t)ALIVE_WAIT_US * khz / 1000;

	if (*seen != (((cpus >= 32 ? 0 : 1u << cpus) - 1) & ~(1u << self)))
		die(EXIT_SETUP, "aps: the APs up are APIC IDs 0x%x, want every ID below %u "
		    "but %u (QEMU's numbering)", *seen, cpus, self);
	for (uint32_t id = 0; id < cpus; id++)
		from[id] = beat[id];
	for (uint32_t id = 0; id < cpus; id++)
		while (id != self && beat[id] - from[id] < BEATS_WANTED)
			if (rdtsc() > end)
				die(EXIT_SETUP, "aps: APIC ID %u made %u passes in %u ms, want %u",
				    id, beat[id] - from[id], ALIVE_WAIT_US / 1000, BEATS_WANTED);
}

void ap_start_hostile(const struct config *cfg, const struct mb_info *mbi,
		      const struct fmt_image *img, const struct stage_result *res)
{
	uint32_t all_but_self = ICR_ASSERT | ICR_ALL_BUT_SELF;
	uint64_t lo, hi;

	if (cfg->aps != APS_HOSTILE)
		return;
	if (!img)
		die(EXIT_SETUP, "aps: no payload layout to write to");
	ap_target(img, &lo, &hi);
	target_check(res, lo, hi);					/* 1 */
	uint32_t cpus = fw_cfg_cpus(), aps = cpus - 1, up;		/* 2 */
	volatile uint32_t *apic = xapic_get();
	uint32_t khz = tsc_calibrate_khz(), self = apic[APIC_ID / 4] >> 24;

	if (!khz)
		die(EXIT_SETUP, "aps: TSC calibration failed: no timing for INIT-SIPI");
	if (cpus > AP_MAX_CPUS || self >= cpus)
		die(EXIT_SETUP, "aps: %u CPUs, this one APIC ID %u: want at most %u CPUs, "
		    "numbered from 0", cpus, self, AP_MAX_CPUS);
	volatile uint32_t *alive = trampoline_install(mbi, lo, hi);	/* 3 */

	__asm__ volatile("" : : : "memory");	/* the copy is in memory before the IPIs */
	if (aps) {							/* 4 */
		xapic_send(apic, khz, 0, ICR_INIT | all_but_self);
		tsc_wait_us(khz, INIT_SETTLE_US);
		xapic_send(apic, khz, 0, ICR_STARTUP | all_but_self |
			   (AP_TRAMPOLINE >> PAGE_SHIFT));
		if (alive_wait(alive, aps, khz, SIPI_RETRY_US) < aps)
			sipi_missing(apic, khz, cpus, self);
	}
	up = alive_wait(alive, aps, khz, ALIVE_WAIT_US);
	/* "N of M": N APs counted in, M CPUs in all (this one is the M-th). */
	if (up != aps)
		die(EXIT_SETUP, "aps: %u of %u started within %u ms, want %u (every CPU "
		    "but this one; INIT-SIPI, trampoline 0x%x)", up, cpus,
		    ALIVE_WAIT_US / 1000, aps, AP_TRAMPOLINE);
	beats_wait(khz, cpus, self);					/* 5 */
	say("aps: %u of %u started, writing to 0x%lx-0x%lx, each %u passes after its last SIPI",
	    up, cpus, lo, hi, BEATS_WANTED);
}
