// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * hook/linux/arm.c: from collected pages to an armed handoff, at close().
 *
 * 1. baton_map_build (at open): the kernel's view of memory as a baton map.
 *    System RAM is usable; inside it, the crashkernel reservation is
 *    never-touch; the rest is not RAM. Made normal by core/memmap.c, the rule
 *    every side goes by; baton_fits asks it. (Other busy ranges nested in
 *    System RAM, such as ramoops placed there, are invisible to the walkers
 *    6.1 exports: a walk with no descriptor stops at the parent. The baton
 *    command keeps off them from /proc/iomem: docs/hook.md.)
 * 2. baton_seal: the written pages and the record's zero and claim ranges as
 *    sorted runs; the identity page tables the jump will use (single pages,
 *    kept off the loader's work area through the request's keep ranges); then
 *    stage_build_runs(), the stage's own sealing: the loader blob placed, the
 *    handoff page, the list pages, the work area, and the loader's own checks
 *    run dry. Any refusal names itself in one line and frees everything.
 * 3. The IO-APICs and the HPET found and mapped now, so the jump allocates
 *    nothing.
 */
#define pr_fmt(fmt) "baton: " fmt

#include <linux/acpi.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <asm/tsc.h>
#include "baton.h"
#include "baton/blob.h"
#include "core/memmap.h"

/* The loader blob, build/loader.bin (blob.S). */
extern const u8 baton_blob[], baton_blob_end[];

#define MAP_RAW_MAX	(2 * BATON_MAP_MAX)

struct map_raw {
	struct baton_mem_range r[MAP_RAW_MAX];
	u64 n;
	bool full;
};

static int map_add(struct map_raw *m, u64 start, u64 end_incl, u32 type)
{
	u64 base = round_down(start, PAGE_SIZE), end = round_up(end_incl + 1, PAGE_SIZE);

	if (type == BATON_MEM_USABLE) {	/* usable: only whole pages */
		base = round_up(start, PAGE_SIZE);
		end = round_down(end_incl + 1, PAGE_SIZE);
	}
	if (end <= base)
		return 0;
	if (m->n == MAP_RAW_MAX) {
		m->full = true;
		return 1;
	}
	m->r[m->n++] = (struct baton_mem_range){ .base = base, .size = end - base, .type = type };
	return 0;
}

static int add_ram(struct resource *res, void *arg)
{
	return map_add(arg, res->start, res->end, BATON_MEM_USABLE);
}

static int add_never(struct resource *res, void *arg)
{
	return map_add(arg, res->start, res->end, BATON_MEM_NEVER_TOUCH);
}

int baton_map_build(void)
{
	struct map_raw *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct baton_mem_range *out;
	u64 n = 0, bad = 0;
	int err;

	if (!m)
		return -ENOMEM;
	/* what walk_system_ram_res() walks; it is not exported */
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, -1, m,
			    add_ram);
	walk_iomem_res_desc(IORES_DESC_CRASH_KERNEL, IORESOURCE_MEM, 0, -1, m, add_never);
	out = kcalloc(2 * m->n + 1, sizeof(*out), GFP_KERNEL);
	err = out ? 0 : -ENOMEM;
	if (!err && (m->full || !m->n ||
		     memmap_normalize(m->r, m->n, out, 2 * m->n + 1, &n, &bad) || n > BATON_MAP_MAX)) {
		pr_err("open: the kernel's memory map (%llu ranges%s) does not fit the handoff's %u\n",
		       m->n, m->full ? " and more" : "", BATON_MAP_MAX);
		err = -E2BIG;
	}
	kfree(m);
	if (err) {
		kfree(out);
		return err;
	}
	kfree(b.map);
	b.map = out;
	b.nmap = n;
	return 0;
}

/* [addr, addr + len) inside usable RAM and off every never-touch range. */
int baton_fits(u64 addr, u64 len, const char *what)
{
	const struct baton_mem_range *hit = NULL;
	u64 end = addr + len;
	int fit;

	if (!len || end < addr) {
		pr_err("%s 0x%llx+0x%llx: empty or wraps\n", what, addr, len);
		return -EINVAL;
	}
	fit = memmap_fits(b.map, b.nmap, addr, end, &hit);
	if (fit == MEMMAP_FITS)
		return 0;
	if (fit == MEMMAP_FORBIDDEN)
		pr_err("%s 0x%llx-0x%llx covers %s range 0x%llx-0x%llx\n", what, addr, end,
		       hit->type == BATON_MEM_NEVER_TOUCH ? "never-touch" : "reserved",
		       hit->base, hit->base + hit->size);
	else
		pr_err("%s 0x%llx-0x%llx is not System RAM\n", what, addr, end);
	return -EADDRNOTAVAIL;
}

/* ---- pages the hook holds ---------------------------------------------- */

static int own_add(u64 pa, u64 pages, u8 how)
{
	if (b.nown == b.own_cap) {
		u64 cap = b.own_cap ? 2 * b.own_cap : 64;
		struct baton_own *o = kvrealloc(b.own, b.own_cap * sizeof(*o), cap * sizeof(*o),
						GFP_KERNEL);

		if (!o)
			return -ENOMEM;
		b.own = o;
		b.own_cap = cap;
	}
	b.own[b.nown++] = (struct baton_own){ .pa = pa, .pages = pages, .how = how };
	return 0;
}

static void own_free(void)
{
	for (u64 i = 0; i < b.nown; i++) {
		struct baton_own *o = &b.own[i];

		if (o->how == BATON_OWN_EXACT)
			free_pages_exact(phys_to_virt(o->pa), o->pages << PAGE_SHIFT);
		else
			__free_pages(pfn_to_page(PHYS_PFN(o->pa)), o->how == BATON_OWN_ORDER1);
	}
	kvfree(b.own);
	b.own = NULL;
	b.nown = b.own_cap = 0;
}

static void *own_page(u8 how, u64 pages, gfp_t extra)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | extra;
	void *p = NULL;

	if (how == BATON_OWN_EXACT)
		p = alloc_pages_exact(pages << PAGE_SHIFT, gfp);
	else {
		struct page *pg = alloc_pages(gfp, how == BATON_OWN_ORDER1);

		p = pg ? page_address(pg) : NULL;
	}
	if (p && own_add(virt_to_phys(p), pages, how)) {
		if (how == BATON_OWN_EXACT)
			free_pages_exact(p, pages << PAGE_SHIFT);
		else
			__free_pages(virt_to_page(p), how == BATON_OWN_ORDER1);
		p = NULL;
	}
	return p;
}

/* ---- the stage's platform: kernel pages, the direct map, vmalloc ---------- */

static int env_alloc(void *ctx, u64 pages, u32 purpose, u64 dst, u64 *pa)
{
	/* List pages: asked for until the allocator fails, so it must fail
	 * rather than call the OOM killer (most free pages may be destinations). */
	void *p = own_page(purpose == STAGE_FOR_LOADER ? BATON_OWN_EXACT : BATON_OWN_PAGE, pages,
			   purpose == STAGE_FOR_LIST ? __GFP_NORETRY : 0);

	if (!p)
		return -ENOMEM;
	b.own[b.nown - 1].list = purpose == STAGE_FOR_LIST;
	*pa = virt_to_phys(p);
	return 0;
}

/*
 * List pages the stage set aside because they are destinations (it asks
 * until the allocator fails, as kexec does; after heavy fragmentation most
 * free pages can be destinations): freed once the chain is sealed, as kexec
 * frees its extra pages. The chain's own pages are found by walking it.
 */
static void own_free_set_aside(void)
{
	const struct baton_handoff *h = phys_to_virt(b.res.handoff);
	u64 pa = h->chain, kept = 0, freed = 0;

	for (u64 i = 0; pa && i < h->chain_pages; i++) {
		const u64 *w = phys_to_virt(pa);

		for (u64 k = 0; k < b.nown; k++)
			if (b.own[k].pa == pa)
				b.own[k].list = 0;	/* in the chain: keep */
		pa = BATON_L_ADDR(w[0]);
	}
	for (u64 k = 0; k < b.nown; k++) {
		if (b.own[k].list) {
			__free_page(pfn_to_page(PHYS_PFN(b.own[k].pa)));
			freed++;
		} else {
			b.own[kept++] = b.own[k];
		}
	}
	b.nown = kept;
	if (freed)
		pr_info("close: %llu pages set aside as destinations while allocating list pages, freed\n",
			freed);
}

static void *env_map(void *ctx, u64 pa, u64 len)
{
	return phys_to_virt(pa);
}

static void *env_tmp_alloc(void *ctx, u64 bytes)
{
	return kvmalloc(bytes, GFP_KERNEL);
}

static void env_tmp_free(void *ctx, void *p, u64 bytes)
{
	kvfree(p);
}

static const struct stage_env env = {
	.alloc = env_alloc, .map = env_map, .tmp_alloc = env_tmp_alloc, .tmp_free = env_tmp_free,
};

/* ---- runs: the written pages and the record's ranges, in dst order ------- */

static int range_cmp(const void *x, const void *y)
{
	const struct baton_hook_range *p = x, *q = y;

	return p->addr < q->addr ? -1 : p->addr > q->addr;
}

static void run_add(struct stage_run *r, u64 *n, u64 dst, u64 pages, u64 src, u32 kind)
{
	struct stage_run *last = *n ? &r[*n - 1] : NULL;

	if (last && last->kind == kind && last->dst + (last->pages << PAGE_SHIFT) == dst &&
	    (kind != BATON_L_SRC || last->src + (last->pages << PAGE_SHIFT) == src)) {
		last->pages += pages;
		return;
	}
	r[(*n)++] = (struct stage_run){ .dst = dst, .pages = pages, .src = src, .kind = kind };
}

/* Sorted, disjoint runs; a range over a written page, or two ranges that
 * overlap, are refused. */
static int runs_build(struct stage_run **out, u64 *count)
{
	struct baton_hook_range *rg = b.ranges;
	u32 nr = b.has_rec ? b.rec.range_count : 0;
	u64 n = 0, cap = b.pages + b.zero_pages + nr;
	struct stage_run *r;
	unsigned long pfn;
	u32 i = 0;
	void *e;

	sort(rg, nr, sizeof(*rg), range_cmp, NULL);
	for (u32 k = 0; k < nr; k++) {
		unsigned long first = rg[k].addr >> PAGE_SHIFT;
		unsigned long last = first + rg[k].pages - 1;

		if (k && rg[k].addr < rg[k - 1].addr + (rg[k - 1].pages << PAGE_SHIFT)) {
			pr_err("close: %s range 0x%llx+%llu pages overlaps the one before it\n",
			       rg[k].kind == BATON_HOOK_ZERO ? "zero" : "claim", rg[k].addr,
			       rg[k].pages);
			return -EINVAL;
		}
		if (xa_find(&b.dst, &first, last, XA_PRESENT)) {
			pr_err("close: %s range 0x%llx+%llu pages covers the written page 0x%llx\n",
			       rg[k].kind == BATON_HOOK_ZERO ? "zero" : "claim", rg[k].addr,
			       rg[k].pages, (u64)first << PAGE_SHIFT);
			return -EINVAL;
		}
	}
	r = kvmalloc_array(cap ? cap : 1, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	xa_for_each(&b.dst, pfn, e) {
		u64 dst = (u64)pfn << PAGE_SHIFT;

		for (; i < nr && rg[i].addr < dst; i++)
			run_add(r, &n, rg[i].addr, rg[i].pages, 0, rg[i].kind);
		if (xa_is_value(e))
			run_add(r, &n, dst, 1, 0, BATON_L_ZERO);
		else
			run_add(r, &n, dst, 1, page_to_phys((struct page *)e), BATON_L_SRC);
	}
	for (; i < nr; i++)
		run_add(r, &n, rg[i].addr, rg[i].pages, 0, rg[i].kind);
	*out = r;
	*count = n;
	return 0;
}

/* ---- the identity map the jump switches to ------------------------------- */

#define PT_P_RW_A_D	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

/*
 * Every 2 MiB page that holds RAM of the map (usable or never-touch)
 * identity-mapped, present, writable, executable, not user (docs/entry.md: the
 * loader starts on the caller's identity map of all RAM); MMIO holes are not
 * mapped, so nothing can touch them speculatively through a write-back
 * mapping. The top level's upper half is copied from the live one at the
 * jump, so the hook's own code stays mapped. With CR4.LA57 a fifth level;
 * under PTI an order-1 top level, so bit 12 of CR3 stays clear. Every page is
 * kept off the loader's work area (keep[]).
 */
static bool ram_meets(u64 base, u64 len)
{
	for (u64 i = 0; i < b.nmap; i++)
		if (b.map[i].base < base + len && base < b.map[i].base + b.map[i].size)
			return true;
	return false;
}

static int tables_build(struct baton_mem_range **keep, u64 *nkeep)
{
	u64 top = 0, gib, pdpts;
	bool la57 = __read_cr4() & X86_CR4_LA57;
	u8 how = boot_cpu_has(X86_FEATURE_PTI) ? BATON_OWN_ORDER1 : BATON_OWN_PAGE;
	u64 *pml4, first = b.nown;
	struct baton_mem_range *k;

	for (u64 i = 0; i < b.nmap; i++)
		top = max(top, b.map[i].base + b.map[i].size);
	gib = DIV_ROUND_UP(top, SZ_1G);
	pdpts = DIV_ROUND_UP(gib, 512);
	if (pdpts > 256)
		return -E2BIG;
	b.top = own_page(how, how == BATON_OWN_ORDER1 ? 2 : 1, 0);
	if (!b.top)
		return -ENOMEM;
	b.top_pa = virt_to_phys(b.top);
	pml4 = b.top;
	if (la57) {
		pml4 = own_page(BATON_OWN_PAGE, 1, 0);
		if (!pml4)
			return -ENOMEM;
		b.top[0] = virt_to_phys(pml4) | PT_P_RW_A_D;
	}
	for (u64 p = 0; p < pdpts; p++) {
		u64 *pdpt = own_page(BATON_OWN_PAGE, 1, 0);

		if (!pdpt)
			return -ENOMEM;
		pml4[p] = virt_to_phys(pdpt) | PT_P_RW_A_D;
		for (u64 g = 0; g < 512 && p * 512 + g < gib; g++) {
			u64 base = (p * 512 + g) * SZ_1G, *pd;

			if (!ram_meets(base, SZ_1G))
				continue;
			pd = own_page(BATON_OWN_PAGE, 1, 0);
			if (!pd)
				return -ENOMEM;
			pdpt[g] = virt_to_phys(pd) | PT_P_RW_A_D;
			for (u64 m = 0; m < 512; m++)
				if (ram_meets(base + m * SZ_2M, SZ_2M))
					pd[m] = (base + m * SZ_2M) | PT_P_RW_A_D | _PAGE_PSE;
		}
	}
	k = kcalloc(b.nown - first, sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	for (u64 i = first; i < b.nown; i++)
		k[i - first] = (struct baton_mem_range){ .base = b.own[i].pa,
			.size = b.own[i].pages << PAGE_SHIFT, .type = BATON_MEM_RESERVED };
	*keep = k;
	*nkeep = b.nown - first;
	return 0;
}

/* ---- devices the jump quiets: from the ACPI tables ---------------------- */

static void devices_find(void)
{
	struct acpi_table_header *t;

	if (ACPI_SUCCESS(acpi_get_table(ACPI_SIG_MADT, 0, &t))) {
		u8 *p = (u8 *)t + sizeof(struct acpi_table_madt), *end = (u8 *)t + t->length;

		while (p + sizeof(struct acpi_subtable_header) <= end && p[1] >= 2 && p + p[1] <= end) {
			struct acpi_madt_io_apic *io = (void *)p;

			if (p[0] == ACPI_MADT_TYPE_IO_APIC && b.nioapic < BATON_IOAPIC_MAX)
				b.ioapic[b.nioapic++] = ioremap(io->address, PAGE_SIZE);
			p += p[1];
		}
		acpi_put_table(t);
	}
	if (ACPI_SUCCESS(acpi_get_table(ACPI_SIG_HPET, 0, &t))) {
		b.hpet = ioremap(((struct acpi_table_hpet *)t)->address.address, 1024);
		acpi_put_table(t);
	}
}

static void devices_forget(void)
{
	while (b.nioapic)
		if (b.ioapic[--b.nioapic])
			iounmap(b.ioapic[b.nioapic]);
	if (b.hpet)
		iounmap(b.hpet);
	b.hpet = NULL;
}

/* The FADT's reset register, for the loader's reset after a panic. */
static struct baton_reset reset_find(void)
{
	struct baton_reset r = { .action = BATON_PANIC_RESET };
	struct acpi_generic_address *g = &acpi_gbl_FADT.reset_register;

	if ((acpi_gbl_FADT.flags & ACPI_FADT_RESET_REGISTER) && g->address &&
	    (g->space_id == ACPI_ADR_SPACE_SYSTEM_MEMORY || g->space_id == ACPI_ADR_SPACE_SYSTEM_IO)) {
		r.acpi_addr = g->address;
		r.acpi_space = g->space_id == ACPI_ADR_SPACE_SYSTEM_IO ? BATON_RESET_SPACE_IO :
			       BATON_RESET_SPACE_MEM;
		r.acpi_value = acpi_gbl_FADT.reset_value;
	}
	return r;
}

/* ---- the seal ------------------------------------------------------------ */

static int stage_errno(int err)
{
	switch (err) {
	case STAGE_E_NOMEM:		return -ENOMEM;
	case STAGE_E_OUTSIDE_RAM:
	case STAGE_E_NEVER_TOUCH:	return -EADDRNOTAVAIL;
	case STAGE_E_TOO_BIG:
	case STAGE_E_NO_WORK:		return -ENOSPC;
	default:			return -EINVAL;
	}
}

void baton_unseal(void)
{
	devices_forget();
	own_free();
	b.top = NULL;
	b.top_pa = 0;
	memset(&b.res, 0, sizeof(b.res));
}

int baton_seal(void)
{
	const struct baton_hook_commit *rec = &b.rec;
	struct stage_request rq = { 0 };
	struct baton_mem_range *keep = NULL;
	struct stage_run *runs = NULL;
	u64 nruns = 0, nkeep = 0;
	int err;

	err = baton_map_build();	/* again: the map now, not at open */
	if (!err)
		err = runs_build(&runs, &nruns);
	if (!err)
		err = tables_build(&keep, &nkeep);
	if (err) {
		if (err == -ENOMEM || err == -E2BIG)
			pr_err("close: no memory for the runs or the page tables (%d)\n", err);
		goto out;
	}
	rq.runs = runs;
	rq.run_count = nruns;
	rq.run_entry.mode = rec->entry_mode;
	rq.run_entry.addr = rec->entry_addr;
	memcpy(rq.run_entry.regs, rec->regs, sizeof(rec->regs));
	rq.run_timings = rec->timings;
	rq.mem = b.map;
	rq.mem_count = b.nmap;
	rq.keep = keep;
	rq.keep_count = nkeep;
	rq.blob = baton_blob;
	rq.blob_len = baton_blob_end - baton_blob;
	if (rec->console_port)
		rq.console = (struct baton_console){ .port = rec->console_port,
						     .kind = BATON_CON_UART_IO };	/* as Linux left it */
	rq.tsc_khz = tsc_khz;
	rq.reset = reset_find();
	rq.list_tries = U32_MAX;	/* until the allocator fails */
	err = stage_build_runs(&rq, &env, &b.res);
	if (err) {
		pr_err("close: %s\n", b.res.msg);
		err = stage_errno(err);
		goto out;
	}
	own_free_set_aside();
	devices_find();
out:
	kvfree(runs);
	kfree(keep);
	if (err)
		baton_unseal();
	return err;
}
