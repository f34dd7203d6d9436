/* SPDX-License-Identifier: MIT */
/*
 * The FADT's reset register, found as an outgoing kernel would find it, for the
 * handoff's reset (the loader tries it first when it resets after a panic):
 *
 *   1. the RSDP: "RSD PTR " on a 16-byte boundary of the BIOS area
 *      [0xe0000, 0x100000), its first 20 bytes summing to 0 (ACPI 6.5, 5.2.5.1
 *      and 5.2.5.3);
 *   2. the XSDT (RSDP revision 2 and up, its 36 bytes summing to 0, an XSDT
 *      address given), else the RSDT: their entries are 8- and 4-byte table
 *      addresses after the 36-byte header;
 *   3. the entry whose table is signed "FACP" and sums to 0 (acpi_table() finds
 *      any other table the same way: devices.c's "APIC" and "HPET");
 *   4. RESET_REG (a 12-byte Generic Address Structure at offset 116: space ID,
 *      bit width, bit offset, access size, 8-byte address) and RESET_VALUE
 *      (offset 128), which count only when the table is long enough for them
 *      and its flags (offset 112) have RESET_REG_SUP (bit 10) (ACPI 6.5, 5.2.9).
 *
 * QEMU's pc machine has a revision 1 FADT of 116 bytes, without them; q35 has
 * revision 3 with RESET_REG = I/O port 0xcf9, RESET_VALUE = 0x0f.
 */
#include <string.h>
#include "outgoing.h"

#define BIOS_AREA_LO		0xe0000
#define BIOS_AREA_HI		0x100000
#define RSDP_V1_LEN		20	/* the bytes the first checksum covers */
#define RSDP_REVISION		15
#define RSDP_RSDT		16
#define RSDP_LENGTH		20
#define RSDP_XSDT		24
#define RSDP_MAX_LEN		64	/* 36 today; a sanity bound for the second checksum */
#define SDT_LENGTH		4
#define SDT_REVISION		8
#define SDT_HEADER_LEN		36
#define SDT_MAX_LEN		(1u << 20)	/* a sanity bound, far above any real one */
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_RESET_REG_SUP	(1u << 10)
#define GAS_SPACE		0	/* Generic Address Structure: address space ID */
#define GAS_ADDRESS		4

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int sums_to_zero(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum == 0;
}

static const uint8_t *rsdp_find(void)
{
	for (uint64_t a = BIOS_AREA_LO; a < BIOS_AREA_HI; a += 16) {
		const uint8_t *p = (const void *)(uintptr_t)a;

		if (!memcmp(p, "RSD PTR ", 8) && sums_to_zero(p, RSDP_V1_LEN))
			return p;
	}
	return 0;
}

/* The table at pa if it carries sig, a sane length and a right checksum. */
static const uint8_t *sdt_at(uint64_t pa, const char *sig)
{
	const uint8_t *t = (const void *)(uintptr_t)pa;
	uint32_t len;

	if (!pa || pa + SDT_MAX_LEN > (uint64_t)IDMAP_GIB << 30)
		return 0;
	len = get32(t + SDT_LENGTH);
	if (memcmp(t, sig, 4) || len < SDT_HEADER_LEN || len > SDT_MAX_LEN ||
	    !sums_to_zero(t, len))
		return 0;
	return t;
}

/* Table number n signed sig, through the XSDT when there is one, else through
 * the RSDT. */
static const uint8_t *table_find(const uint8_t *rsdp, const char *sig, unsigned n)
{
	const uint8_t *sdt = 0;
	uint32_t width = 8;

	uint32_t len = get32(rsdp + RSDP_LENGTH);

	if (rsdp[RSDP_REVISION] >= 2 && len >= RSDP_XSDT + 8 + 4 && len <= RSDP_MAX_LEN &&
	    sums_to_zero(rsdp, len))
		sdt = sdt_at(get64(rsdp + RSDP_XSDT), "XSDT");
	if (!sdt) {
		sdt = sdt_at(get32(rsdp + RSDP_RSDT), "RSDT");
		width = 4;
	}
	if (!sdt)
		return 0;
	for (uint32_t off = SDT_HEADER_LEN; off + width <= get32(sdt + SDT_LENGTH); off += width) {
		const uint8_t *t = sdt_at(width == 8 ? get64(sdt + off) : get32(sdt + off), sig);

		if (t && !n--)
			return t;
	}
	return 0;
}

const void *acpi_table(const char *sig, unsigned n)
{
	const uint8_t *rsdp = rsdp_find();

	return rsdp ? table_find(rsdp, sig, n) : 0;
}

void acpi_find_reset(struct baton_reset *r)
{
	const uint8_t *rsdp = rsdp_find(), *fadt;
	uint32_t len, flags;
	uint8_t space;

	if (!rsdp) {
		say("acpi: no RSDP in 0x%x-0x%x: no reset register to pass", BIOS_AREA_LO,
		    BIOS_AREA_HI - 1);
		return;
	}
	fadt = table_find(rsdp, "FACP", 0);
	if (!fadt) {
		say("acpi: RSDP at 0x%lx, but no FADT: no reset register to pass",
		    (uint64_t)(uintptr_t)rsdp);
		return;
	}
	len = get32(fadt + SDT_LENGTH);
	flags = len >= FADT_FLAGS + 4 ? get32(fadt + FADT_FLAGS) : 0;
	if (len <= FADT_RESET_VALUE || !(flags & FADT_RESET_REG_SUP)) {
		say("acpi: FADT revision %u at 0x%lx, %u bytes, flags 0x%x: no reset register",
		    fadt[SDT_REVISION], (uint64_t)(uintptr_t)fadt, len, flags);
		return;
	}
	space = fadt[FADT_RESET_REG + GAS_SPACE];
	if (space != BATON_RESET_SPACE_MEM && space != BATON_RESET_SPACE_IO) {
		say("acpi: FADT reset register in address space %u: not passed (the loader takes memory and I/O)",
		    space);
		return;
	}
	r->acpi_addr = get64(fadt + FADT_RESET_REG + GAS_ADDRESS);
	r->acpi_space = space;
	r->acpi_value = fadt[FADT_RESET_VALUE];
	say("acpi: FADT revision %u at 0x%lx: reset register %s 0x%lx <- 0x%x",
	    fadt[SDT_REVISION], (uint64_t)(uintptr_t)fadt,
	    space == BATON_RESET_SPACE_IO ? "I/O" : "memory", r->acpi_addr, r->acpi_value);
}
