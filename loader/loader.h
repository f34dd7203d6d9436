/* SPDX-License-Identifier: MIT */
/*
 * The loader's internal interfaces. loader/main.c:loader_main() walks the steps;
 * each step lives in its own file.
 */
#ifndef BATON_LOADER_H
#define BATON_LOADER_H

#include <stdarg.h>
#include <stdint.h>
#include <baton/handoff.h>
#include "arch/x86/hw.h"
#include "arch/x86/io.h"

/* Steps, in order: their TSC stamps go to the log and to the boot info, in the
 * order of BATON_TIMING_NAMES (include/baton/handoff.h). */
enum step {
	STEP_ENTRY,	/* the blob was entered */
	STEP_HEADER,	/* handoff header and CRC checked */
	STEP_PAGING,	/* own identity page tables loaded */
	STEP_PARK,	/* the other CPUs sent INIT: waiting for SIPI */
	STEP_CHECK,	/* every run validated */
	STEP_MOVE,	/* moved out of the way, if needed */
	STEP_PLAN,	/* copy order known, before its first write (one pass: place.c) */
	STEP_COPY,	/* copies and zero fills done */
	STEP_VERIFY,	/* every run's hash matched */
	STEP_LAUNCH,	/* about to jump */
	STEP_COUNT
};
_Static_assert(STEP_COUNT == BATON_TIMING_COUNT, "timing slots and steps disagree");

/* Everything the loader keeps, in its bss: it travels with the loader when it moves. */
struct check;
struct loader {
	uint64_t base;			/* where the blob runs now */
	uint64_t region;		/* bytes of the loader region: blob and bss */
	struct check *c;		/* the validator's state: the handoff as checked */
	uint8_t *work_mem;		/* the work area */
	uint64_t moved_from;		/* the first base, when it moved */
	uint64_t tsc[STEP_COUNT];
	uint32_t tsc_khz;
	uint64_t move_to;		/* where the loader moves, or 0 (check_places) */
	uint64_t tramp;			/* PROT32: the trampoline page (check_places) */
};

extern struct loader L;

/* console.c: the serial console; every wait is bounded. */
void con_init(uint16_t port, uint16_t exit_port);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_vprintf(const char *fmt, va_list ap);
uint64_t con_stamp(void);	/* "baton: [time since entry] ", returns the TSC */
void step_log(enum step s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__attribute__((noreturn)) void panic(const char *component, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
__attribute__((noreturn)) void loader_halt(uint8_t exit_code);

/* reset.c: after a panic with no exit port, the handoff's action: reset after
 * its delay (ACPI register, port 0xcf9, keyboard controller, triple fault) or
 * halt. Before reset_init() (the header check) the defaults of a handoff that
 * names no reset. */
void reset_init(const struct baton_handoff *checked);
#define RESET_TRY_MS	100		/* how long one method has to take effect */
__attribute__((noreturn)) void reset_after_panic(void);

/* paging.c */
void paging_build_and_load(uint8_t *tables, uint64_t map_top);

/* smp.c */
void smp_park(void);

/* test.c, in the test build only (loader-test.bin): the handoff's test_flags
 * switches that are not a step's own. A production loader has none. */
#ifdef BATON_TEST_BUILD
void test_fault_point(void);
void test_change_point(void);
unsigned test_reset_skip(uint32_t test_flags);
#else
static inline void test_change_point(void) {}
static inline void test_fault_point(void) {}
static inline unsigned test_reset_skip(uint32_t test_flags) { (void)test_flags; return 0; }
#endif

/* place.c: copy, zero, verify */
void place_all(struct check *c);
void place_verify(struct check *c);

/* launch.c */
__attribute__((noreturn)) void launch(struct check *c);

/* arch/x86 */

void arch_jump(uint64_t addr, uint64_t arg) __attribute__((noreturn));
void arch_triple_fault(void) __attribute__((noreturn));	/* reset.asm */

#endif
