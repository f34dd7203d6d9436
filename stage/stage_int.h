/* SPDX-License-Identifier: MIT */
/* stage/'s internals: the state one stage_build() call carries between its steps. */
#ifndef BATON_STAGE_INT_H
#define BATON_STAGE_INT_H

#include <stdarg.h>
#include <baton/blob.h>
#include "fmt/bzimage.h"
#include "fmt/fmt.h"
#include "stage/list.h"
#include "stage/stage.h"

#define STAGE_CMDLINE_MAX	4096

struct stage {
	const struct stage_request *rq;
	const struct stage_env *env;
	struct stage_result *res;
	const struct baton_blob_header *blob;
	int layout_only;		/* stage_layout_runs(): no blob, no allocation */
	struct fmt_image *img;
	/* Linux: the parsed header, the layout, the boot area built in scratch */
	int is_linux;
	struct fmt_bzimage bz;
	struct fmt_bz_layout lay;
	void *boot;
	struct baton_mem_range *map;	/* the request's map, normal (core/memmap.h) */
	uint64_t nmap;
	uint64_t usable_bytes;
	uint64_t low, high;		/* image destination, page aligned, holes included */
	uint64_t end;			/* high plus the boot info */
	uint64_t dst_pages;		/* destination pages: copy and zero */
	/* boot info, built in scratch memory, placed at fdt_dst */
	void *fdt;
	uint64_t fdt_size, fdt_dst, fdt_pages, fdt_timings_off;
	/* list entries, in scratch memory while staging (include/baton/handoff.h) */
	struct stage_list list;
	uint64_t *list_pa;		/* the list pages, in chain order */
	uint64_t nlist;
	struct baton_handoff *h;	/* the handoff page, mapped */
	/* scratch allocations to give back */
	struct { void *p; uint64_t bytes; } tmp[16];
	int ntmp;
};

static inline uint64_t pg_down(uint64_t a) { return a & ~(BATON_PAGE_SIZE - 1); }
static inline uint64_t pg_up(uint64_t a) { return pg_down(a + BATON_PAGE_SIZE - 1); }

int stage_fail(struct stage *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int stage_format(char *buf, unsigned long len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void *stage_tmp_keep(struct stage *s, uint64_t bytes);	/* stage/seal.c */
void stage_release(struct stage *s);
int stage_check_blob(struct stage *s);
int stage_normal_map(const struct stage_request *rq, struct baton_mem_range *map, uint64_t *n,
		     char *msg, unsigned long msglen);
int stage_check_memmap(struct stage *s);
int stage_too_big(struct stage *s, uint64_t need);
int stage_seal_steps(struct stage *s);

int bootinfo_build(struct stage *s);			/* stage/bootinfo.c */
int stage_linux_layout(const struct stage_request *rq, const struct baton_mem_range *map,
		       uint64_t nmap, struct fmt_bzimage *bz, struct fmt_bz_layout *lay,
		       struct fmt_image *img, char *msg, unsigned long msglen);	/* stage/linux.c */
int stage_linux_boot_area(struct stage *s);
int stage_check_range(struct stage *s, const char *what, uint64_t base, uint64_t end);
int stage_place_pages(struct stage *s,			/* stage/place.c */
		      int (*emit)(void *ctx, const struct stage_run *run, const void *bytes),
		      void *ctx);
int stage_meets_dst(const struct stage *s, uint64_t pa);
int stage_runs_check(struct stage *s);			/* stage/runs.c */
int stage_runs_place(struct stage *s);
int stage_runs_meet(const struct stage *s, uint64_t pa);
int stage_place_loader(struct stage *s);		/* stage/handoff.c */
void stage_entry(struct stage *s, struct baton_entry *e, struct baton_handoff *h);
int stage_write_handoff(struct stage *s);
int stage_write_lists(struct stage *s);
int stage_size_work(struct stage *s);
int stage_self_check(struct stage *s);


#endif
