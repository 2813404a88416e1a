/*
 * sweep.h - cut nested entries into the index's flat intervals
 *
 * The builder of index values (index.h): entries of every table come in
 * (start asc, plen asc) order, and out come the non-overlapping
 * intervals between their boundaries, each with the value that says,
 * for every table, the entries covering it most specific first.
 */
#ifndef VD_SWEEP_H
#define VD_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "entries.h"

/* One entry as the sweep sees it. */
typedef struct sweep_ent {
	vaddr start, end;
	uint16_t tid;
	uint8_t plen;
	uint8_t rlen;
	uint32_t expires;
	const char *reason;
} sweep_ent;

/* Where the intervals go: [s, e] with its value in the 16-byte form
 * (start[16] | ntables | chunks, index.h); non-zero stops the sweep. */
typedef int (*sweep_emit_fn)(const vaddr *s, const vaddr *e,
			     const uint8_t *val, size_t len, void *arg);

typedef struct sweep {
	sweep_ent *stack;
	size_t depth, cap;
	vaddr cur;
	int cur_past_end;	/* cur wrapped past the last address */
	uint8_t *buf;		/* value being built */
	size_t bufcap;
	vaddr lo, hi;		/* clip */
	sweep_emit_fn emit;
	void *arg;
} sweep;

/* vd_sweep_init - intervals clipped to [lo, hi] (NULL: the whole space)
 * go to emit. */
void vd_sweep_init(sweep *sw, const vaddr *lo, const vaddr *hi,
		   sweep_emit_fn emit, void *arg);
/* vd_sweep_push - the next entry, in (start asc, plen asc) order. */
int vd_sweep_push(sweep *sw, const sweep_ent *e);
/* vd_sweep_finish - emit what the entries still open cover. */
int vd_sweep_finish(sweep *sw);
void vd_sweep_free(sweep *sw);

/* vd_sweep_ent - the sweep's form of entry e of table tid. */
void vd_sweep_ent(const tbl_entry *e, uint16_t tid, sweep_ent *s);
/* vd_sweep_ent_cmp - qsort order (start, plen, table id). */
int vd_sweep_ent_cmp(const void *a, const void *b);

#endif
