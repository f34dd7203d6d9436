/* SPDX-License-Identifier: MIT */
/*
 * stage/: the outgoing side's library. From an image, a command line, a memory
 * map and the loader blob it builds a complete, sealed handoff, taking every page
 * it needs from the caller's allocator. It checks everything first: a bad image or
 * a bad placement is refused with a clear error before any page is allocated.
 *
 * Freestanding C: the caller supplies memory through struct stage_env.
 */
#ifndef BATON_STAGE_H
#define BATON_STAGE_H

#include <stdint.h>
#include <baton/handoff.h>
#include "fmt/fmt.h"
#include "core/plan.h"

/* Errors: 0, a FMT_E_* or PLAN_E_* code, or one of these; stage_strerror() names all. */
#define STAGE_E_NOMEM		(-300)	/* the allocator said no */
#define STAGE_E_OUTSIDE_RAM	(-301)	/* a destination is not inside usable RAM */
#define STAGE_E_NEVER_TOUCH	(-302)	/* a destination covers a never-touch range */
#define STAGE_E_TOO_BIG		(-303)	/* the image is larger than usable RAM */
#define STAGE_E_BLOB		(-304)	/* the loader blob's header is not valid */
#define STAGE_E_MEMMAP		(-305)	/* memory map empty, a range unaligned or of no type, too long */
#define STAGE_E_CMDLINE		(-306)	/* command line too long */
#define STAGE_E_FDT		(-307)	/* libfdt failed building the boot info */
#define STAGE_E_ALLOC_BAD	(-308)	/* the allocator returned an unaligned or reused page */
#define STAGE_E_SELF_CHECK	(-309)	/* the finished handoff failed the loader's own checks */
#define STAGE_E_INITRD		(-310)	/* an initrd or DTB given for an image that takes none */
#define STAGE_E_MULTIBOOT	(-311)	/* a Multiboot image: baton does not launch that convention yet */
#define STAGE_E_NO_WORK		(-312)	/* no free RAM is large enough for the loader's work area */
#define STAGE_E_RUNS		(-313)	/* laid-out runs unsorted, overlapping, unaligned, empty or of no kind */

/* struct stage_request.linux_entry: which entry of a bzImage the loader uses */
#define STAGE_LINUX_64		0	/* long mode at load address + 0x200 (default) */
#define STAGE_LINUX_32		1	/* protected mode, paging off, at code32_start */

/* What an allocation is for: the allocator may place each kind differently. */
#define STAGE_FOR_SOURCE	1	/* one page of the image; dst says where it goes */
#define STAGE_FOR_LOADER	2	/* the loader blob and its bss (a few contiguous pages) */
#define STAGE_FOR_HANDOFF	3	/* the handoff page (one page) */
#define STAGE_FOR_LIST		4	/* one list page; one that is a destination the stage
					 * sets aside and asks again (STAGE_LIST_TRIES in a row
					 * at most, or rq->list_tries), as kexec's
					 * kimage_alloc_page() does */
#define STAGE_LIST_TRIES	64

struct fmt_bz_system;	/* fmt/bzimage.h */

struct stage_env {
	void *ctx;
	/* `pages` contiguous 4 KiB pages, never handed out twice; 0 or < 0. Only
	 * STAGE_FOR_LOADER asks for more than one. */
	int (*alloc)(void *ctx, uint64_t pages, uint32_t purpose, uint64_t dst,
		     uint64_t *pa);
	/* A pointer through which the stage writes physical [pa, pa + len). */
	void *(*map)(void *ctx, uint64_t pa, uint64_t len);
	/* Scratch memory for the stage's bookkeeping, given back before return. */
	void *(*tmp_alloc)(void *ctx, uint64_t bytes);
	void (*tmp_free)(void *ctx, void *p, uint64_t bytes);
};

/*
 * One run of a destination image another process laid out (stage_layout_runs()
 * emits them; the kernel hook collects them from /dev/baton and seals them with
 * stage_build()): kind BATON_L_SRC (src: the run's first source page, its
 * sources touch), BATON_L_ZERO or BATON_L_CLAIM (src 0).
 */
struct stage_run {
	uint64_t dst;		/* page aligned */
	uint64_t pages;		/* at least 1 */
	uint64_t src;
	uint32_t kind;
	uint32_t pad;
};

struct stage_request {
	/*
	 * Either an image (the stage lays it out) or runs (already laid out, sorted
	 * by dst and disjoint; source pages already hold their bytes) with the entry
	 * they take. With runs, cmdline, initrd and dtb must be NULL.
	 */
	const struct stage_run *runs;
	uint64_t run_count;
	struct baton_entry run_entry;
	uint64_t run_timings;			/* the payload's timing slot, or 0 */
	const void *image;			/* ELF32, ELF64 or Linux bzImage */
	uint64_t image_len;
	const char *cmdline;			/* the payload's command line */
	const void *initrd;			/* bzImage only: initrd, or NULL */
	uint64_t initrd_len;
	const void *dtb;			/* bzImage only: DTB for SETUP_DTB, or NULL */
	uint64_t dtb_len;
	uint32_t linux_entry;			/* STAGE_LINUX_* */
	const struct baton_mem_range *mem;	/* the machine's memory map, any order */
	uint64_t mem_count;
	/* Memory the outgoing side still uses when the loader starts and until it
	 * has its own page tables (the caller's page tables): the loader's work
	 * area, which the stage proposes in free RAM, keeps off it. */
	const struct baton_mem_range *keep;
	uint64_t keep_count;
	const void *blob;			/* build/loader.bin */
	uint64_t blob_len;
	struct baton_console console;
	uint32_t tsc_khz;
	uint16_t exit_port;			/* tests: isa-debug-exit, else 0 */
	/* After a loader panic: the FADT's reset register (acpi_addr 0: none),
	 * the action, and delay_ms, where 0 means BATON_RESET_DELAY_MS (ask for
	 * 1 to reset at once). Copied to the handoff as it is otherwise. */
	struct baton_reset reset;
	uint32_t test_flags;
	/* bzImage: what the running system hands on in the zero page (raw e820,
	 * ACPI root pointer, screen, UEFI runtime handoff), or NULL: `baton load`
	 * fills it as kexec-tools does (fmt/bzimage.h, struct fmt_bz_system). */
	const struct fmt_bz_system *linux_system;
	/* List pages asked for in a row, each a destination, before the stage
	 * gives up; 0: STAGE_LIST_TRIES. kexec asks until the allocator fails;
	 * the kernel hook, whose free pages may all lie in destinations after
	 * heavy fragmentation, asks that many too. */
	uint32_t list_tries;
};

struct stage_result {
	uint64_t handoff;		/* physical address of the sealed handoff */
	uint64_t entry;			/* physical address to jump to, RDI = handoff */
	uint64_t loader_base, loader_size;
	uint64_t image_pages;		/* pages placed: copy + zero */
	uint64_t claim_pages;		/* pages that must only be free */
	uint64_t copy_runs, zero_runs, claim_runs;
	uint64_t list_pages, list_words;	/* the chain, and its entries */
	uint64_t work_base, work_size;	/* the work area the loader will use */
	uint64_t bootinfo;		/* ELF: the FDT; Linux: the zero page */
	uint32_t mode;			/* BATON_MODE_* the loader will use */
	uint64_t image_entry;		/* where the loader jumps */
	uint64_t initrd;		/* Linux: where the initrd goes, 0 if none */
	struct baton_entry launch;	/* mode, address and registers at launch */
	uint64_t timings;		/* ELF: where the loader writes its timings */
	struct plan_stats plan;		/* the loader's plan, from a dry run */
	char msg[200];			/* on error: one line naming what is wrong */
};

int stage_build(const struct stage_request *rq, const struct stage_env *env,
		struct stage_result *res);

/* stage_build() for laid-out runs (rq->runs set), without the image path:
 * what an outgoing side that never parses an image links (the kernel hook). */
int stage_build_runs(const struct stage_request *rq, const struct stage_env *env,
		     struct stage_result *res);

/*
 * Where stage_build() will put the image, without building anything: the same
 * decision, for outgoing sides that must know the destinations first (to keep
 * their own allocations out of the way). ELF: its segments. bzImage: three
 * segments (boot area, kernel with its whole init_size, initrd). For a bad image
 * msg holds the same line stage_build() would give; the blob, the memory map's
 * shape and the command line's length are checked by stage_build() only.
 */
int stage_image_layout(const struct stage_request *rq, struct fmt_image *img,
		       char *msg, unsigned long msglen);

/*
 * LAYOUT only, for an outgoing side in two processes (`baton load` writing to
 * the kernel hook): the same checks and the same decisions as stage_build(),
 * then every destination page in increasing order through emit: a page of
 * bytes (run.kind BATON_L_SRC, pages 1, bytes: 4 KiB valid until emit returns)
 * or a page that must be zero or only free (BATON_L_ZERO / BATON_L_CLAIM,
 * bytes NULL). res->launch is the entry; nothing is allocated but scratch
 * memory (env->alloc and env->map are not called; rq->blob is not needed). An
 * emit that returns nonzero stops the walk: its value is returned.
 */
int stage_layout_runs(const struct stage_request *rq, const struct stage_env *env,
		      int (*emit)(void *ctx, const struct stage_run *run, const void *bytes),
		      void *ctx, struct stage_result *res);

/* Recompute the CRCs of a handoff page and its list pages (after a deliberate
 * edit, in tests), reading list pages through env->map. */
void stage_seal(struct baton_handoff *h, const struct stage_env *env);

/* After an outgoing side edited source pages of a sealed handoff (baton.efi
 * writes the final EFI memory map into the Linux boot area after
 * ExitBootServices): every list page's hash word again, then stage_seal(). No
 * allocation, no other call than env->map. */
void stage_rehash(struct baton_handoff *h, const struct stage_env *env);

/* One message for any baton error code (FMT_E_*, PLAN_E_*, STAGE_E_*). */
const char *stage_strerror(int err);

#endif
