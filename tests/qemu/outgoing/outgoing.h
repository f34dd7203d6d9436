/* SPDX-License-Identifier: MIT */
/*
 * The outgoing test kernel's internal interfaces: console, command line,
 * memory map, page allocator, allocation strategies, faults. README.md walks
 * the flow.
 */
#ifndef OUTGOING_H
#define OUTGOING_H

#include <stdarg.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "hw.h"
#include "multiboot.h"
#include "fmt/fmt.h"
#include "stage/stage.h"

#define PAGE_SIZE	BATON_PAGE_SIZE
#define PAGE_SHIFT	BATON_PAGE_SHIFT
#define LOW_PAGES	(0x100000ULL >> PAGE_SHIFT)	/* [0, 1 MiB): never handed out */
#define PFN_4G		(0x100000000ULL >> PAGE_SHIFT)
#define PFN_NONE	UINT64_MAX

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NORETURN	__attribute__((noreturn))
#define PRINTF(f, a)	__attribute__((format(printf, f, a)))

static inline uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }
static inline uint64_t align_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }

/* console.c: COM1, every line "outgoing: ..." */
void con_init(void);
void con_vprintf(const char *fmt, va_list ap);
void con_printf(const char *fmt, ...) PRINTF(1, 2);
void say(const char *fmt, ...) PRINTF(1, 2);			/* one prefixed line */
NORETURN void die(int code, const char *fmt, ...) PRINTF(2, 3);	/* say, then exit */
NORETURN void qemu_exit(int code);

/* cmdline.c */
enum strategy_kind {
	STRAT_INPLACE, STRAT_SCATTERED, STRAT_REVERSE, STRAT_WORST,
	STRAT_LOADER_IN_DST, STRAT_HIGH, STRAT_FRAGMENTED, STRAT_COUNT
};
enum fault_kind {
	FAULT_NONE, FAULT_MAGIC, FAULT_VERSION, FAULT_CRC, FAULT_OVERLAP,
	FAULT_OUTSIDE, FAULT_CORRUPT, FAULT_TRAP, FAULT_ENTRY_UD2, FAULT_NEVER_TOUCH,
	FAULT_RESERVED, FAULT_RUNS_HUGE, FAULT_WORK_HUGE, FAULT_FLAGS, FAULT_LIST_LOOP,
	FAULT_LIST_OUTSIDE, FAULT_LIST_IN_DST, FAULT_LIST_TRUNCATED, FAULT_COUNT
};
enum aps_kind { APS_NONE, APS_HOSTILE, APS_COUNT };
/* devices=: the interrupt controllers, HPET and bus masters at the jump (devices.c) */
enum devices_kind { DEVICES_FIRMWARE, DEVICES_LIVE, DEVICES_SHUTDOWN, DEVICES_COUNT };
/* acpi=: the reset register the handoff gets */
enum acpi_kind { ACPI_FADT, ACPI_NONE, ACPI_DEAD, ACPI_UNMAPPED, ACPI_COUNT };
struct config {
	enum strategy_kind strategy;
	uint64_t seed;
	enum fault_kind fault;
	int exit;			/* 1: the loader exits QEMU on panic */
	int via_slot;			/* 1: RDI = 0, the loader reads the blob header's slot */
	uint32_t linux_entry;		/* bzImage payload: STAGE_LINUX_64 or STAGE_LINUX_32 */
	uint32_t test_flags;		/* BATON_TEST_* for the handoff */
	enum aps_kind aps;		/* hostile: the APs write the payload's pages (ap.c) */
	uint64_t never_touch;		/* nevertouch=: a NEVER_TOUCH_SIZE range there, 0: none */
	enum acpi_kind acpi;		/* the FADT's reset register, none, or a broken one */
	uint8_t panic;			/* BATON_PANIC_*: what the loader does after a panic */
	uint32_t delay_ms;		/* the reset delay asked for; 0: the stage's default */
	enum devices_kind devices;	/* firmware: untouched; live; shutdown: live, then quiesced */
	const char *payload_cmdline;	/* everything after " -- " */
};
extern const char *const strategy_names[STRAT_COUNT];
extern const char *const fault_names[FAULT_COUNT];
extern const char *const aps_names[APS_COUNT];
extern const char *const acpi_names[ACPI_COUNT];
extern const char *const devices_names[DEVICES_COUNT];
void cmdline_parse(const char *s, struct config *cfg);	/* dies with EXIT_CMDLINE */

/* memmap.c: the multiboot map as sorted, disjoint, 4 KiB aligned baton ranges */
#define MEMMAP_MAX	256
struct memmap {
	struct baton_mem_range r[MEMMAP_MAX];
	uint64_t n;
};
#define NEVER_TOUCH_SIZE	(64ULL << 10)
void memmap_build(const struct mb_info *mbi, uint64_t never_touch, struct memmap *m);
void memmap_print(const struct memmap *m);
uint64_t memmap_top(const struct memmap *m);	/* end of the highest range, bytes */

/* pages.c: which RAM pages are free, one bit per page */
void pages_reserve(uint64_t lo, uint64_t hi);	/* bytes; before pages_init() */
void pages_init(const struct memmap *m, uint64_t avoid_lo, uint64_t avoid_hi);
uint64_t pages_top(void);			/* pfn limit of the bitmap */
uint64_t pages_free_count(void);
int pages_is_free(uint64_t pfn);
void pages_take(uint64_t pfn, uint64_t n);
int pages_is_reserved(uint64_t lo, uint64_t hi);	/* bytes: given to pages_reserve()? */
/* First free run of n pages in [lo, hi), searching up from `from` and wrapping
 * once, skipping runs that touch [avoid_lo, avoid_hi) (pfns). PFN_NONE if none. */
uint64_t pages_find(uint64_t n, uint64_t lo, uint64_t hi, uint64_t from,
		    uint64_t avoid_lo, uint64_t avoid_hi);
/* Highest free run of n pages in [lo, hi) outside [avoid_lo, avoid_hi). */
uint64_t pages_find_top(uint64_t n, uint64_t lo, uint64_t hi,
			uint64_t avoid_lo, uint64_t avoid_hi);
/* Bump scratch memory carved from free RAM (bytes, halved down to min while it
 * does not fit); frees are undone in LIFO order. */
void scratch_init(uint64_t bytes, uint64_t min, uint64_t avoid_lo, uint64_t avoid_hi);
void *scratch_alloc(uint64_t bytes);
void scratch_free(void *p, uint64_t bytes);

/* strategy.c: the stage's env->alloc, one placement policy per strategy */
struct strategy;
struct strategy *strategy_init(const struct config *cfg, const struct fmt_image *img);
int strategy_alloc(void *ctx, uint64_t pages, uint32_t purpose, uint64_t dst,
		   uint64_t *pa);
void strategy_report(const struct strategy *s);
uint64_t strategy_span_hi(const struct fmt_image *img);	/* span end, bytes */
const struct fmt_segment *strategy_bulk(const struct fmt_image *img);

/* fault.c */
void fault_inject(enum fault_kind f, const struct stage_result *res,
		  const struct memmap *m);

/* ap.c: aps=hostile. The range the APs write: the payload's image pages, bytes. */
void ap_target(const struct fmt_image *img, uint64_t *lo, uint64_t *hi);
/* With aps=hostile, start every AP writing ap_target(); dies if one does not come up. */
void ap_start_hostile(const struct config *cfg, const struct mb_info *mbi,
		      const struct fmt_image *img, const struct stage_result *res);

/* acpi.c: the FADT's reset register into r (acpi_addr 0: none found), logged */
void acpi_find_reset(struct baton_reset *r);
/* Table number n (0 first) signed sig, its checksum right; NULL if none. */
const void *acpi_table(const char *sig, unsigned n);

/* devices.c: devices= (firmware, live, shutdown) */
void devices_live(enum devices_kind d);		/* early: live and shutdown make them live */
void devices_shutdown(enum devices_kind d);	/* just before the jump: shutdown quiesces */

/* tsc.c */
uint32_t tsc_calibrate_khz(void);

/* trap.c */
void trap_init(void);

/* entry.asm */
NORETURN void outgoing_jump(uint64_t entry, uint64_t handoff);

/* The kernel image, from outgoing.ld */
extern char __kernel_start[], __bss_end[];

#endif
