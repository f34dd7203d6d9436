/* SPDX-License-Identifier: MIT */
/*
 * The outgoing test kernel: stands in for a kernel that kexecs. It stages the
 * payload module through stage_build() with the allocation strategy named on
 * its command line, prints what was built, optionally damages it, and jumps to
 * the loader. README.md walks the flow step by step.
 */
#include <string.h>
#include "cpu.h"
#include "outgoing.h"

#define SCRATCH_MAX	(32ULL << 20)
#define SCRATCH_MIN	(1ULL << 20)
/* acpi=unmapped: a memory-mapped reset register at 64 TiB, which no identity
 * map of the loader (all RAM, at least 4 GiB) reaches on these machines */
#define UNMAPPED_RESET_REG	(1ULL << 46)

struct module {
	const void *data;
	uint64_t len;
};

static struct memmap memmap;
static struct fmt_image payload;

static const char *mbi_string(uint32_t pa)
{
	return pa ? (const char *)(uintptr_t)pa : "";
}

/* Module 0 is the loader blob, module 1 the payload image, module 2 (if any)
 * the payload's initrd. */
#define MODULES_MAX	3

static void modules_get(const struct mb_info *mbi, struct module mod[MODULES_MAX])
{
	const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
	uint32_t n = mbi->flags & MB_INFO_MODS ? mbi->mods_count : 0;

	for (uint32_t i = 0; i < n; i++)
		say("module %u: 0x%08x-0x%08x %u bytes %s", i, m[i].mod_start,
		    m[i].mod_end, m[i].mod_end - m[i].mod_start, mbi_string(m[i].string));
	if (n < 2)
		die(EXIT_SETUP, "modules: %u given, need 2 (-initrd \"loader.bin,payload\")",
		    n);
	if (n > MODULES_MAX)
		die(EXIT_SETUP, "modules: %u given, at most %u (loader, payload, initrd)", n,
		    MODULES_MAX);
	memset(mod, 0, MODULES_MAX * sizeof(*mod));
	for (uint32_t i = 0; i < n; i++)
		mod[i] = (struct module){ (const void *)(uintptr_t)m[i].mod_start,
					  m[i].mod_end - m[i].mod_start };
}

/* Everything the boot loader gave us stays out of the page allocator. */
static void reserve_boot_memory(const struct mb_info *mbi)
{
	const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;

	pages_reserve((uintptr_t)__kernel_start, (uintptr_t)__bss_end);
	pages_reserve((uintptr_t)mbi, (uintptr_t)mbi + sizeof(*mbi));
	pages_reserve(mbi->mmap_addr, (uint64_t)mbi->mmap_addr + mbi->mmap_length);
	if (mbi->flags & MB_INFO_CMDLINE)
		pages_reserve(mbi->cmdline, mbi->cmdline + strlen(mbi_string(mbi->cmdline)) + 1);
	if (!(mbi->flags & MB_INFO_MODS))
		return;
	pages_reserve(mbi->mods_addr, mbi->mods_addr + (uint64_t)mbi->mods_count * sizeof(*m));
	for (uint32_t i = 0; i < mbi->mods_count; i++) {
		pages_reserve(m[i].mod_start, m[i].mod_end);
		if (m[i].string)
			pages_reserve(m[i].string, m[i].string + strlen(mbi_string(m[i].string)) + 1);
	}
}

static const char *const kind_names[] = {
	[FMT_KIND_ELF32] = "ELF32", [FMT_KIND_ELF64] = "ELF64", [FMT_KIND_BZIMAGE] = "bzImage",
};

/* Where the stage will put the payload, for the strategies; NULL if the stage
 * refuses it (it is staged anyway: the stage must then refuse it, and say why). */
static const struct fmt_image *payload_probe(const struct stage_request *rq)
{
	char msg[200];
	int err = stage_image_layout(rq, &payload, msg, sizeof(msg));

	if (err) {
		say("payload: %s (staging anyway: the stage must refuse it)", msg);
		return 0;
	}
	say("payload: %s entry 0x%lx, %u segments, span 0x%lx-0x%lx",
	    kind_names[payload.kind], payload.entry, payload.nseg,
	    payload.low, strategy_span_hi(&payload));
	for (uint32_t i = 0; i < payload.nseg; i++)
		say("payload: segment 0x%lx filesz 0x%lx memsz 0x%lx", payload.seg[i].paddr,
		    payload.seg[i].filesz, payload.seg[i].memsz);
	return &payload;
}

static void *env_map(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa + len < pa || pa + len > (uint64_t)IDMAP_GIB << 30)
		return 0;
	return (void *)(uintptr_t)pa;
}

static void *env_tmp_alloc(void *ctx, uint64_t bytes)
{
	(void)ctx;
	return scratch_alloc(bytes);
}

static void env_tmp_free(void *ctx, void *p, uint64_t bytes)
{
	(void)ctx;
	scratch_free(p, bytes);
}

/* Our page tables and everything else of this kernel: in use until the loader
 * has its own tables, so its work area keeps off them. */
static struct baton_mem_range keep[1];

static void request_init(const struct config *cfg, const struct module mod[MODULES_MAX],
			 struct stage_request *rq)
{
	keep[0] = (struct baton_mem_range){
		.base = align_down((uintptr_t)__kernel_start, PAGE_SIZE),
		.size = align_up((uintptr_t)__bss_end, PAGE_SIZE) -
			align_down((uintptr_t)__kernel_start, PAGE_SIZE),
		.type = BATON_MEM_USABLE,
	};
	*rq = (struct stage_request){
		.image = mod[1].data, .image_len = mod[1].len,
		.cmdline = cfg->payload_cmdline,
		.initrd = mod[2].data, .initrd_len = mod[2].len,
		.linux_entry = cfg->linux_entry,
		.mem = memmap.r, .mem_count = memmap.n,
		.keep = keep, .keep_count = 1,
		.blob = mod[0].data, .blob_len = mod[0].len,
		.console = { .port = COM1_PORT, .kind = BATON_CON_UART_IO, .baud = 0 },
		.tsc_khz = tsc_calibrate_khz(),
		.exit_port = cfg->exit ? DEBUG_EXIT_PORT : 0,
		.test_flags = cfg->test_flags,
		.reset = { .action = cfg->panic, .delay_ms = cfg->delay_ms },
	};
	if (cfg->acpi == ACPI_FADT) {
		acpi_find_reset(&rq->reset);
	} else if (cfg->acpi == ACPI_DEAD) {		/* a write that resets nothing */
		rq->reset.acpi_addr = POST_PORT;
		rq->reset.acpi_space = BATON_RESET_SPACE_IO;
	} else if (cfg->acpi == ACPI_UNMAPPED) {	/* a write that faults */
		rq->reset.acpi_addr = UNMAPPED_RESET_REG;
		rq->reset.acpi_space = BATON_RESET_SPACE_MEM;
	}
}

static void stage_payload(struct stage_request *rqp, struct strategy *s,
			  struct stage_result *res)
{
	struct stage_request rq = *rqp;
	struct stage_env env = {
		.ctx = s, .alloc = strategy_alloc, .map = env_map,
		.tmp_alloc = env_tmp_alloc, .tmp_free = env_tmp_free,
	};

	say("tsc: %u kHz", rq.tsc_khz);
	memset(res, 0, sizeof(*res));
	int err = stage_build(&rq, &env, res);

	strategy_report(s);
	if (!err)
		return;
	say("stage: %s", stage_strerror(err));
	die(EXIT_STAGE, "stage: %s", res->msg[0] ? res->msg : "(no detail)");
}

static void print_summary(const struct config *cfg, const struct stage_result *r)
{
	say("staged strategy=%s seed=%lu pages=%lu claimed=%lu copy_runs=%lu zero_runs=%lu "
	    "claim_runs=%lu list_pages=%lu list_words=%lu "
	    "pieces=%lu ordered=%lu longest=%lu cycles=%lu copies=%lu in_place=%lu "
	    "loader=0x%lx handoff=0x%lx work=0x%lx+0x%lx mode=%u entry=0x%lx bootinfo=0x%lx initrd=0x%lx",
	    strategy_names[cfg->strategy], cfg->seed, r->image_pages, r->claim_pages,
	    r->copy_runs, r->zero_runs, r->claim_runs, r->list_pages, r->list_words,
	    r->plan.pieces, r->plan.ordered,
	    r->plan.longest, r->plan.cycles, r->plan.copies, r->plan.in_place,
	    r->loader_base, r->handoff, r->work_base, r->work_size, r->mode, r->image_entry,
	    r->bootinfo, r->initrd);
}

NORETURN void kmain(uint64_t mbi_pa, uint64_t magic);

NORETURN void kmain(uint64_t mbi_pa, uint64_t magic)
{
	const struct mb_info *mbi = (const void *)(uintptr_t)mbi_pa;
	struct config cfg;
	struct module mod[MODULES_MAX];
	struct stage_request rq;
	struct stage_result res;

	con_init();
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	say("kernel 0x%lx-0x%lx, %d-level paging", (uint64_t)(uintptr_t)__kernel_start,
	    (uint64_t)(uintptr_t)__bss_end, cr4 & CR4_LA57 ? 5 : 4);
	if (magic != MB_BOOT_MAGIC)
		die(EXIT_SETUP, "not started by a Multiboot v1 loader (eax 0x%lx)", magic);
	const char *cmd = mbi->flags & MB_INFO_CMDLINE ? mbi_string(mbi->cmdline) : "";

	say("cmdline '%s'", cmd);
	cmdline_parse(cmd, &cfg);					/* 1 */
	say("config strategy=%s seed=%lu fault=%s exit=%d panic=%s delay=%u acpi=%s devices=%s payload cmdline '%s'",
	    strategy_names[cfg.strategy], cfg.seed, fault_names[cfg.fault], cfg.exit,
	    cfg.panic == BATON_PANIC_HALT ? "halt" : "reset", cfg.delay_ms, acpi_names[cfg.acpi],
	    devices_names[cfg.devices], cfg.payload_cmdline);
	devices_live(cfg.devices);
	modules_get(mbi, mod);
	memmap_build(mbi, cfg.never_touch, &memmap);			/* 2 */
	memmap_print(&memmap);
	if (cfg.fault == FAULT_TRAP)
		fault_inject(FAULT_TRAP, 0, &memmap);
	request_init(&cfg, mod, &rq);
	const struct fmt_image *img = payload_probe(&rq);
	/* The bitmap and scratch keep out of the payload's span (a bzImage: its bulk). */
	const struct fmt_segment *big = strategy_bulk(img);
	uint64_t span_lo = big ? big->paddr >> PAGE_SHIFT : img ? img->low >> PAGE_SHIFT : 0;
	uint64_t span_hi = big ? align_up(big->paddr + big->memsz, PAGE_SIZE) >> PAGE_SHIFT :
			   img ? strategy_span_hi(img) >> PAGE_SHIFT : 0;

	reserve_boot_memory(mbi);					/* 3 */
	pages_init(&memmap, span_lo, span_hi);
	uint64_t scratch = (pages_free_count() << PAGE_SHIFT) / 8;

	scratch_init(scratch > SCRATCH_MAX ? SCRATCH_MAX :
		     scratch < SCRATCH_MIN ? SCRATCH_MIN : scratch, SCRATCH_MIN, span_lo, span_hi);
	struct strategy *s = strategy_init(&cfg, img);			/* 4 */

	stage_payload(&rq, s, &res);					/* 5 */
	print_summary(&cfg, &res);					/* 6 */
	fault_inject(cfg.fault, &res, &memmap);				/* 7 */
	ap_start_hostile(&cfg, mbi, img, &res);
	devices_shutdown(cfg.devices);
	say("jumping to loader at 0x%lx handoff 0x%lx%s", res.entry, res.handoff,
	    cfg.via_slot ? " (RDI = 0: in the blob header's slot)" : "");
	outgoing_jump(res.entry, cfg.via_slot ? 0 : res.handoff);	/* 8 */
}
