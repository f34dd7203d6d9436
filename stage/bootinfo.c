/* SPDX-License-Identifier: MIT */
/*
 * The boot info of a generic ELF64 payload: a flattened device tree, built with
 * libfdt's sequential-write API.
 *
 *   /                 #address-cells = #size-cells = <2>, compatible "baton,boot"
 *   /chosen           bootargs = the command line
 *   /memory@<base>    device_type "memory", reg = every usable RAM range, merged
 *   /baton            compatible "baton,loader", version, tsc-khz, timing-names,
 *                     timings = BATON_TIMING_COUNT u64 slots the loader fills
 *   memreserve        every never-touch range
 */
#include <libfdt.h>
#include <string.h>
#include "stage/stage_int.h"

/*
 * Usable ranges of the stage's normal map (core/memmap.h: sorted, and ranges
 * of one type that touch are merged, so /memory is exactly the RAM the loader
 * accepts), as big-endian (base, size) pairs.
 */
static uint64_t bootinfo_memory(const struct stage *s, fdt64_t *reg)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < s->nmap; i++)
		if (s->map[i].type == BATON_MEM_USABLE) {
			reg[2 * n] = cpu_to_fdt64(s->map[i].base);
			reg[2 * n + 1] = cpu_to_fdt64(s->map[i].size);
			n++;
		}
	return n;
}

static int bootinfo_write(struct stage *s, void *fdt, uint64_t size, fdt64_t *reg)
{
	const struct baton_mem_range *m = s->map;
	static const char names[] = BATON_TIMING_NAMES;
	uint64_t nreg = bootinfo_memory(s, reg);
	char node[32];
	void *slots;
	int e = fdt_create(fdt, (int)size);

	for (uint64_t i = 0; !e && i < s->nmap; i++)
		if (m[i].type == BATON_MEM_NEVER_TOUCH)
			e = fdt_add_reservemap_entry(fdt, m[i].base, m[i].size);
	e = e ? e : fdt_finish_reservemap(fdt);
	e = e ? e : fdt_begin_node(fdt, "");
	e = e ? e : fdt_property_u32(fdt, "#address-cells", 2);
	e = e ? e : fdt_property_u32(fdt, "#size-cells", 2);
	e = e ? e : fdt_property_string(fdt, "compatible", "baton,boot");
	e = e ? e : fdt_begin_node(fdt, "chosen");
	e = e ? e : fdt_property_string(fdt, "bootargs", s->rq->cmdline ? s->rq->cmdline : "");
	e = e ? e : fdt_end_node(fdt);
	stage_format(node, sizeof(node), "memory@%lx",
		     nreg ? (unsigned long)fdt64_to_cpu(reg[0]) : 0ul);
	e = e ? e : fdt_begin_node(fdt, node);
	e = e ? e : fdt_property_string(fdt, "device_type", "memory");
	e = e ? e : fdt_property(fdt, "reg", reg, (int)(nreg * 16));
	e = e ? e : fdt_end_node(fdt);
	e = e ? e : fdt_begin_node(fdt, "baton");
	e = e ? e : fdt_property_string(fdt, "compatible", "baton,loader");
	e = e ? e : fdt_property_u32(fdt, "version", BATON_HANDOFF_VERSION);
	e = e ? e : fdt_property_u32(fdt, "tsc-khz", s->rq->tsc_khz);
	e = e ? e : fdt_property(fdt, "timing-names", names, sizeof(names));
	e = e ? e : fdt_property_placeholder(fdt, "timings", 8 * BATON_TIMING_COUNT, &slots);
	if (!e)
		memset(slots, 0, 8 * BATON_TIMING_COUNT);
	e = e ? e : fdt_end_node(fdt);
	e = e ? e : fdt_end_node(fdt);
	e = e ? e : fdt_finish(fdt);
	return e;
}

int bootinfo_build(struct stage *s)
{
	uint64_t cmd = s->rq->cmdline ? strlen(s->rq->cmdline) : 0;
	uint64_t size = 1024 + cmd + 48 * s->nmap;
	fdt64_t *reg = stage_tmp_keep(s, 16 * s->nmap);
	const fdt64_t *slots;
	int e, len;

	s->fdt = stage_tmp_keep(s, size);
	if (!s->fdt || !reg)
		return stage_fail(s, STAGE_E_NOMEM, "no scratch memory for the boot info");
	e = bootinfo_write(s, s->fdt, size, reg);
	if (e)
		return stage_fail(s, STAGE_E_FDT, "boot info: libfdt: %s", fdt_strerror(e));
	s->fdt_size = fdt_totalsize(s->fdt);
	e = fdt_path_offset(s->fdt, "/baton");
	slots = e < 0 ? NULL : fdt_getprop(s->fdt, e, "timings", &len);
	if (!slots)
		return stage_fail(s, STAGE_E_FDT, "boot info: timings slot missing");
	s->fdt_timings_off = (uint64_t)((const uint8_t *)slots - (const uint8_t *)s->fdt);
	return 0;
}
