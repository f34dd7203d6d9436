/* SPDX-License-Identifier: MIT */
/*
 * The probe's checkers: pure C over the data they are given (see probe.h), so
 * the same code runs in the probe and in tests/host/test_probe.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#include "probe.h"
#include "prng.h"

#define MiB (1ULL << 20)

/* ---- registers ---------------------------------------------------------- */

int probe_check_cpu(const struct probe_entry_state *s)
{
	static const struct { const char *name; size_t off; } zero_regs[] = {
#define R(r) { #r, __builtin_offsetof(struct probe_entry_state, r) }
		R(rax), R(rbx), R(rcx), R(rdx), R(rsi), R(rbp), R(r8), R(r9),
		R(r10), R(r11), R(r12), R(r13), R(r14), R(r15),
#undef R
	};
	int bad = 0;
	size_t i;

	if ((s->efer & (EFER_LME | EFER_LMA)) != (EFER_LME | EFER_LMA)) {
		probe_fail("efer", "efer=%#" PRIx64 ": LME and LMA must be set", s->efer);
		bad++;
	}
	if ((s->cr0 & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG)) {
		probe_fail("cr0", "cr0=%#" PRIx64 ": PE and PG must be set", s->cr0);
		bad++;
	}
	if (!(s->cr4 & CR4_PAE)) {
		probe_fail("cr4", "cr4=%#" PRIx64 ": PAE must be set", s->cr4);
		bad++;
	}
	if (s->cs != PROBE_CS || s->ds != PROBE_DS || s->es != PROBE_DS ||
	    s->ss != PROBE_DS || s->fs != 0 || s->gs != 0) {
		probe_fail("segments",
			   "cs=%#" PRIx64 " ds=%#" PRIx64 " es=%#" PRIx64 " ss=%#" PRIx64
			   " fs=%#" PRIx64 " gs=%#" PRIx64
			   ", want cs=0x10 ds=es=ss=0x18 fs=gs=0",
			   s->cs, s->ds, s->es, s->ss, s->fs, s->gs);
		bad++;
	}
	if (s->rflags & (RFLAGS_IF | RFLAGS_DF)) {
		probe_fail("rflags", "rflags=%#" PRIx64 ": IF=%d DF=%d, want both 0",
			   s->rflags, !!(s->rflags & RFLAGS_IF), !!(s->rflags & RFLAGS_DF));
		bad++;
	}
	if (s->rdi == 0) {
		probe_fail("rdi", "rdi=0, want the FDT's address");
		bad++;
	}
	for (i = 0; i < sizeof(zero_regs) / sizeof(zero_regs[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)s + zero_regs[i].off, sizeof(v));
		if (v) {
			probe_fail("gpr", "%s=%#" PRIx64 ", want 0", zero_regs[i].name, v);
			bad++;
		}
	}
	if ((s->rsp & 15) != 8) {
		probe_fail("rsp", "rsp=%#" PRIx64 ": want rsp %% 16 == 8", s->rsp);
		bad++;
	}
	if (s->ret != 0) {
		probe_fail("rsp", "[rsp]=%#" PRIx64 ", want a zero return address", s->ret);
		bad++;
	}
	if (s->entries != 1) {
		probe_fail("entry", "_start ran %" PRIu64 " times", s->entries);
		bad++;
	}
	return bad;
}

/* ---- memory contents ---------------------------------------------------- */

int probe_check_pattern(const char *what, const void *p, uint64_t len, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t s = seed, i, want, got, nbad = 0, first = 0, last = 0;
	uint64_t first_want = 0, first_got = 0, nzero = 0;

	if (len % 8) {
		probe_fail(what, "length %#" PRIx64 " not a multiple of 8", len);
		return 1;
	}
	for (i = 0; i < len; i += 8) {
		want = prng_next(&s);
		memcpy(&got, b + i, 8);
		if (got == want)
			continue;
		if (!nbad++) {
			first = i;
			first_want = want;
			first_got = got;
		}
		last = i;
		nzero += got == 0;
	}
	if (!nbad)
		return 0;
	probe_fail(what,
		   "%" PRIu64 " of %" PRIu64 " words differ (%" PRIu64 " zero), offsets %#"
		   PRIx64 "-%#" PRIx64 "; first at %p: got %#018" PRIx64 " want %#018" PRIx64,
		   nbad, len / 8, nzero, first, last + 8, (const void *)(b + first),
		   first_got, first_want);
	return 1;
}

int probe_check_zero(const char *what, const void *p, uint64_t len)
{
	const unsigned char *b = p;
	uint64_t i, nbad = 0, first = 0, last = 0;

	for (i = 0; i < len; i++) {
		if (!b[i])
			continue;
		if (!nbad++)
			first = i;
		last = i;
	}
	if (!nbad)
		return 0;
	probe_fail(what,
		   "%" PRIu64 " of %" PRIu64 " bytes nonzero, offsets %#" PRIx64 "-%#" PRIx64
		   "; first at %p = %#x",
		   nbad, len, first, last + 1, (const void *)(b + first), b[first]);
	return 1;
}

/* ---- boot info ---------------------------------------------------------- */

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int probe_parse_e820(const void *buf, size_t len, struct probe_e820 *e, int max)
{
	const unsigned char *b = buf;
	int n = 0;
	size_t i;

	if (len % 20)
		return -1;
	for (i = 0; i < len; i += 20) {
		if (n == max)
			return -1;
		e[n].addr = le64(b + i);
		e[n].len = le64(b + i + 8);
		e[n].type = (uint32_t)b[i + 16] | (uint32_t)b[i + 17] << 8 |
			    (uint32_t)b[i + 18] << 16 | (uint32_t)b[i + 19] << 24;
		n++;
	}
	return n;
}

/* [base, end) is covered by e820 RAM entries (adjacent ones may join). */
static int in_e820_ram(const struct probe_e820 *e, int ne, uint64_t base, uint64_t end)
{
	uint64_t cur = base;
	int i, moved = 1;

	while (cur < end && moved) {
		moved = 0;
		for (i = 0; i < ne; i++) {
			if (e[i].type != PROBE_E820_RAM)
				continue;
			if (e[i].addr <= cur && cur - e[i].addr < e[i].len) {
				cur = e[i].addr + e[i].len;
				moved = 1;
				break;
			}
		}
	}
	return cur >= end;
}

static int check_cells(const void *fdt, const char *name)
{
	const fdt32_t *p;
	int len;

	p = fdt_getprop(fdt, 0, name, &len);
	if (!p) {
		probe_fail("fdt-cells", "root %s missing: %s", name, fdt_strerror(len));
		return 1;
	}
	if (len != 4 || fdt32_ld(p) != 2) {
		probe_fail("fdt-cells", "root %s = %u (len %d), want <2>", name,
			   len >= 4 ? fdt32_ld(p) : 0, len);
		return 1;
	}
	return 0;
}

static int check_bootargs(const void *fdt, const char *want, size_t want_len)
{
	const char *p;
	int off, len;

	off = fdt_path_offset(fdt, "/chosen");
	if (off < 0) {
		probe_fail("bootargs", "no /chosen node: %s", fdt_strerror(off));
		return 1;
	}
	p = fdt_getprop(fdt, off, "bootargs", &len);
	if (!p) {
		probe_fail("bootargs", "no /chosen/bootargs: %s", fdt_strerror(len));
		return 1;
	}
	if (len < 1 || p[len - 1] != '\0' || strlen(p) != (size_t)len - 1) {
		probe_fail("bootargs", "/chosen/bootargs is not one NUL-terminated string "
			   "(%d bytes)", len);
		return 1;
	}
	if ((size_t)len - 1 != want_len || memcmp(p, want, want_len)) {
		probe_fail("bootargs", "got \"%.200s\" (%d bytes), fw_cfg says \"%.*s\" "
			   "(%u bytes)", p, len - 1, (int)(want_len > 200 ? 200 : want_len),
			   want, (unsigned)want_len);
		return 1;
	}
	return 0;
}

/* Whether the word w is in s[0..len) (spaces separate words). */
static int has_word(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= len; i++)
		if ((i == 0 || s[i - 1] == ' ') && !memcmp(s + i, w, wl) &&
		    (i + wl == len || s[i + wl] == ' ' || s[i + wl] == '\0'))
			return 1;
	return 0;
}

/*
 * How far /memory's sum may fall short of QEMU's e820 RAM: 4 MiB, or under
 * UEFI (bootargs `baton.expect=uefi`) 64 MiB: the firmware keeps RAM of its
 * own (runtime services, ACPI NVS, its reserved pages) out of the map baton.efi
 * hands on, while QEMU's e820 counts it as RAM (OVMF with 1 GiB: about 6 MiB).
 */
static uint64_t memory_slack(const char *want, size_t want_len)
{
	return has_word(want, want_len, "baton.expect=uefi") ? 64 * MiB : 4 * MiB;
}

static int check_memory(const void *fdt, const struct probe_e820 *e820, int ne,
			struct probe_range *mem, int max, int *nmem, uint64_t slack)
{
	uint64_t ram = 0, sum = 0, base, size, diff;
	const unsigned char *reg;
	int off, len, i, j, nodes = 0, bad = 0, n = 0;

	for (i = 0; i < ne; i++)
		if (e820[i].type == PROBE_E820_RAM)
			ram += e820[i].len;

	for (off = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
	     off >= 0;
	     off = fdt_node_offset_by_prop_value(fdt, off, "device_type", "memory", 7)) {
		const char *name = fdt_get_name(fdt, off, NULL);

		nodes++;
		reg = fdt_getprop(fdt, off, "reg", &len);
		if (!reg || len <= 0 || len % 16) {
			probe_fail("memory", "%s: reg missing or not (u64 base, u64 size) "
				   "pairs (len %d)", name ? name : "?", len);
			bad++;
			continue;
		}
		for (i = 0; i < len; i += 16) {
			base = fdt64_ld((const fdt64_t *)(reg + i));
			size = fdt64_ld((const fdt64_t *)(reg + i + 8));
			if (!size || base + size < base) {
				probe_fail("memory", "%s: bad range base %#" PRIx64 " size %#"
					   PRIx64, name, base, size);
				bad++;
				continue;
			}
			if (!in_e820_ram(e820, ne, base, base + size)) {
				probe_fail("memory", "%s: %#" PRIx64 "-%#" PRIx64
					   " is not inside e820 RAM", name, base, base + size);
				bad++;
			}
			for (j = 0; j < n; j++) {
				if (probe_overlap(base, size, mem[j].base, mem[j].size)) {
					probe_fail("memory", "%s: %#" PRIx64 "-%#" PRIx64
						   " overlaps %#" PRIx64 "-%#" PRIx64, name,
						   base, base + size, mem[j].base,
						   mem[j].base + mem[j].size);
					bad++;
				}
			}
			sum += size;
			if (n == max) {
				probe_fail("memory", "more than %d ranges", max);
				bad++;
				continue;
			}
			mem[n].base = base;
			mem[n].size = size;
			n++;
		}
	}
	*nmem = n;
	if (off != -FDT_ERR_NOTFOUND) {
		probe_fail("memory", "searching memory nodes: %s", fdt_strerror(off));
		bad++;
	}
	if (!nodes) {
		probe_fail("memory", "no node with device_type = \"memory\"");
		return bad + 1;
	}
	if (!ram) {
		probe_fail("memory", "fw_cfg etc/e820 lists no RAM");
		return bad + 1;
	}
	diff = sum > ram ? sum - ram : ram - sum;
	if (diff > slack) {
		probe_fail("memory", "/memory sums to %#" PRIx64 " bytes, e820 RAM to %#"
			   PRIx64 " (differ by %#" PRIx64 " > %u MiB)", sum, ram, diff,
			   (unsigned)(slack / MiB));
		bad++;
	}
	return bad;
}

int probe_check_fdt(const void *fdt, const char *want, size_t want_len,
		    const struct probe_e820 *e820, int ne,
		    struct probe_range *mem, int max, int *nmem)
{
	int err, off, bad = 0;

	*nmem = 0;
	if (fdt_magic(fdt) != FDT_MAGIC) {
		probe_fail("fdt", "magic at %p is %#x, want 0xd00dfeed", fdt,
			   fdt_magic(fdt));
		return 1;
	}
	err = fdt_check_header(fdt);
	if (!err)
		err = fdt_check_full(fdt, fdt_totalsize(fdt));
	if (err) {
		probe_fail("fdt", "at %p (%u bytes): %s", fdt, fdt_totalsize(fdt),
			   fdt_strerror(err));
		return 1;
	}
	bad += check_cells(fdt, "#address-cells");
	bad += check_cells(fdt, "#size-cells");
	bad += check_bootargs(fdt, want, want_len);
	bad += check_memory(fdt, e820, ne, mem, max, nmem, memory_slack(want, want_len));

	off = fdt_path_offset(fdt, "/baton");
	if (off < 0) {
		probe_fail("baton-node", "no /baton node: %s", fdt_strerror(off));
		bad++;
	} else if (fdt_node_check_compatible(fdt, off, "baton,loader")) {
		probe_fail("baton-node", "/baton is not compatible with \"baton,loader\"");
		bad++;
	}
	return bad;
}

int probe_check_timings(const void *fdt, uint64_t entry_tsc, int *count)
{
	uint64_t v[PROBE_TIMINGS_MAX], prev = 0;
	const unsigned char *p;
	char line[1024];
	const char *name;
	size_t pos = 0;
	int off, len, n, names, i, bad = 0;

	*count = 0;
	off = fdt_path_offset(fdt, "/baton");
	if (off < 0) {
		probe_fail("timings", "no /baton node: %s", fdt_strerror(off));
		return 1;
	}
	p = fdt_getprop(fdt, off, "timings", &len);
	if (!p || len <= 0 || len % 8) {
		probe_fail("timings", "/baton/timings missing or not u64s (len %d)", len);
		return 1;
	}
	n = len / 8;
	*count = n;
	names = fdt_stringlist_count(fdt, off, "timing-names");
	if (names != n) {
		probe_fail("timings", "%d timings but timing-names has %d strings", n, names);
		bad++;
	}
	if (n < 4) {
		probe_fail("timings", "%d timings, want at least 4", n);
		bad++;
	}
	if (n > PROBE_TIMINGS_MAX) {
		probe_fail("timings", "%d timings, the probe reads at most %d", n,
			   PROBE_TIMINGS_MAX);
		return bad + 1;
	}
	for (i = 0; i < n; i++) {
		v[i] = fdt64_ld((const fdt64_t *)(p + 8 * i));
		name = fdt_stringlist_get(fdt, off, "timing-names", i, NULL);
		if (!name)
			name = "?";
		if (!v[i]) {
			probe_fail("timings", "%s (#%d) is zero", name, i);
			bad++;
		} else if (v[i] < prev) {
			probe_fail("timings", "%s (#%d) = %" PRIu64 " is before the previous %"
				   PRIu64, name, i, v[i], prev);
			bad++;
		}
		if (v[i] > entry_tsc) {
			probe_fail("timings", "%s (#%d) = %" PRIu64 " is after the probe's "
				   "entry (tsc %" PRIu64 ")", name, i, v[i], entry_tsc);
			bad++;
		}
		if (pos < sizeof(line)) {
			if (i == 0)
				pos += snprintf(line + pos, sizeof(line) - pos, "%s=%" PRIu64,
						name, v[i]);
			else
				pos += snprintf(line + pos, sizeof(line) - pos, " %s=%s%" PRIu64,
						name, v[i] >= prev ? "+" : "-",
						v[i] >= prev ? v[i] - prev : prev - v[i]);
		}
		if (v[i])
			prev = v[i];
	}
	if (pos < sizeof(line) && n)
		snprintf(line + pos, sizeof(line) - pos, " probe-entry=%s%" PRIu64,
			 entry_tsc >= prev ? "+" : "-",
			 entry_tsc >= prev ? entry_tsc - prev : prev - entry_tsc);
	probe_info("timings (tsc, deltas) %s", line);
	return bad;
}

/* ---- page tables -------------------------------------------------------- */


struct walk {
	uint64_t span;		/* bytes the deciding entry covers */
	uint64_t pa;		/* leaf: physical base of the page */
	uint64_t entry;		/* the deciding entry */
	int level;		/* 4 = PML4 .. 1 = PT */
	int writable;		/* every level has W */
	const char *why;	/* NULL = mapped */
	uint64_t table_in_avoid;	/* a table inside the avoided range, or 0 */
};

static void walk(uint64_t cr3, uint64_t va, uint64_t efer, int gb_ok,
		 probe_read64_fn rd, void *ctx, struct probe_range avoid, struct walk *w)
{
	uint64_t table = cr3 & PTE_ADDR_MASK, e = 0;
	int level, shift;

	w->writable = 1;
	w->why = NULL;
	w->table_in_avoid = 0;
	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		w->level = level;
		w->span = 1ULL << shift;
		if (probe_overlap(table, 4096, avoid.base, avoid.size) && !w->table_in_avoid)
			w->table_in_avoid = table;
		e = rd(ctx, table + ((va >> shift) & 511) * 8);
		w->entry = e;
		if (!(e & PTE_P)) {
			w->why = "not present";
			return;
		}
		if ((e & PTE_NX) && !(efer & EFER_NXE)) {
			w->why = "NX bit set with EFER.NXE clear (reserved)";
			return;
		}
		if (!(e & PTE_W))
			w->writable = 0;
		if (level == 1 || (e & PTE_PS)) {
			if (level == 4) {
				w->why = "PS set in a PML4 entry (reserved)";
				return;
			}
			if (level == 3 && !gb_ok) {
				w->why = "1 GiB page but the CPU has no pdpe1gb";
				return;
			}
			if (level > 1 && (e & PTE_ADDR_MASK & (w->span - 1) & ~0x1000ULL)) {
				w->why = "reserved bits set in a large page";
				return;
			}
			w->pa = e & PTE_ADDR_MASK & ~(w->span - 1);
			return;
		}
		table = e & PTE_ADDR_MASK;
	}
}

static int map_ranges(uint64_t cr3, uint64_t efer, int gb_ok, probe_read64_fn rd,
		      void *ctx, const struct probe_range *r, int n,
		      struct probe_range avoid, int quiet)
{
	uint64_t va, end, next, page, nbad, first_va = 0, first_entry = 0;
	uint64_t table_hit = 0;
	const char *first_why = NULL;
	int i, first_level = 0, bad = 0;
	struct walk w;

	for (i = 0; i < n; i++) {
		if (!r[i].size)
			continue;
		va = r[i].base & ~0xfffULL;
		end = r[i].base + r[i].size;
		nbad = 0;
		while (va < end) {
			walk(cr3, va, efer, gb_ok, rd, ctx, avoid, &w);
			if (w.table_in_avoid && !table_hit)
				table_hit = w.table_in_avoid;
			page = va & ~(w.span - 1);
			next = page + w.span;
			if (!w.why && w.pa != page)
				w.why = "not identity";
			if (!w.why && !w.writable)
				w.why = "not writable";
			if (w.why) {
				uint64_t lo = va, hi = next < end ? next : end;

				if (!nbad) {
					first_va = va;
					first_why = w.why;
					first_entry = w.entry;
					first_level = w.level;
				}
				nbad += hi - lo;
			}
			if (next <= va)
				break;
			va = next;
		}
		if (nbad && quiet)
			return 1;
		if (nbad) {
			probe_fail("map", "%#" PRIx64 "-%#" PRIx64 ": %#" PRIx64 " bytes bad; "
				   "first at %#" PRIx64 ": %s (level %d entry %#" PRIx64 ")",
				   r[i].base, end, nbad, first_va, first_why, first_level,
				   first_entry);
			bad++;
		}
	}
	if (table_hit && !quiet) {
		probe_fail("map", "page table at %#" PRIx64 " lies inside the probe image "
			   "%#" PRIx64 "-%#" PRIx64, table_hit, avoid.base,
			   avoid.base + avoid.size);
		bad++;
	}
	return bad;
}

int probe_check_map(uint64_t cr3, uint64_t efer, int gb_ok, probe_read64_fn rd,
		    void *ctx, const struct probe_range *r, int n, struct probe_range avoid)
{
	return map_ranges(cr3, efer, gb_ok, rd, ctx, r, n, avoid, 0);
}

int probe_mapped(uint64_t cr3, uint64_t efer, int gb_ok, probe_read64_fn rd, void *ctx,
		 uint64_t base, uint64_t size)
{
	struct probe_range r = { base, size }, none = { 0, 0 };

	return !map_ranges(cr3, efer, gb_ok, rd, ctx, &r, 1, none, 1);
}
