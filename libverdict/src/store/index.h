/*
 * index.h - the combined index of every table: probe, walk, open
 *
 * The index is derived from the tables' entries (entries.h): the address
 * space cut into non-overlapping intervals at every entry boundary, each
 * holding, for every table, the entries covering it, most specific
 * first.  One MDB_SET_RANGE answers every table of a profile: the record
 * with the first end >= ip holds, when its start <= ip, the most
 * specific entry of each table covering ip, and behind it the next
 * covering ones (so an expired nested entry falls back to its unexpired
 * parent).  Why one combined index: a range lookup costs about what one
 * libmaxminddb lookup does, so a verdict that probed each table would
 * lose to it.
 *
 * On disk (index format INDEX_FORMAT, stored in the catalogue):
 *   idx	the intervals outside IPv4 (INDEX_DB6): key = interval
 *		end[16], value = start[16] | table part;
 *   idx4p	the IPv4 intervals (inside ::ffff:0:0/96; an interval never
 *		straddles its edges, since tables refuse a network that
 *		contains it) in page-sized blocks: index_v4.h.
 * A table part is ntables u8 | per table (ascending id): id u16 |
 * depth u8 | depth x { plen u8 | expires u32 | rlen u8 | reason }, the
 * covering entries of that table most specific first.  Integers in
 * values are little-endian; keys are big-endian addresses.
 *
 * An index of an older format, or a damaged one, is rebuilt from the
 * entries (index_rebuild.h) by the first writer that opens it; a reader
 * refuses it (VERDICT_EDB, "written by an older libverdict").
 */
#ifndef VD_INDEX_H
#define VD_INDEX_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "lmdb_env.h"

#define INDEX_FORMAT 4
#define INDEX_DB6 "idx"
#define INDEX_HDR6 17	/* an idx value's start[16] | ntables */
#define IX_DB6 0	/* tbl_env.cdbi[] and tbl_reader.cur[]: idx */
#define IX_DB4 1	/* idx4p */

/* One table's answer for an address. */
typedef struct tbl_hit {
	uint8_t plen;		/* 0 = no unexpired entry covers the address */
	uint32_t expires;
	const char *reason;	/* inside the read transaction; not NUL-ended */
	uint8_t rlen;
} tbl_hit;

/* vd_index_open - open (a writer: create) the index dbs into te->cdbi[]
 * and check the stored format: a writer rebuilds an older index, a
 * reader refuses it.  Verdict codes. */
int vd_index_open(MDB_txn *txn, tbl_env *te);

/*
 * vd_index_probe - one index probe for ip: for each of the n table ids,
 * the most specific unexpired entry covering ip into hits[i] (plen 0
 * when none).  now: time(NULL) for expiry.  VERDICT_OK or VERDICT_EDB.
 */
int vd_index_probe(tbl_reader *r, const vaddr *ip, const uint16_t *ids,
		   size_t n, uint32_t now, tbl_hit *hits);

/* Interval walk (feeds): cb(start, end, value, len, arg) for every index
 * interval in address order; value is the interval's table part (for
 * vd_index_val_hit), valid until the read transaction ends; non-zero
 * from cb stops and is returned. */
typedef int (*tbl_interval_fn)(const vaddr *start, const vaddr *end,
			       const uint8_t *val, size_t len, void *arg);
int vd_index_walk(tbl_reader *r, tbl_interval_fn cb, void *arg);

/* vd_index_val_hit - decode table id's unexpired most specific entry
 * from a table part; 1 if found (into *hit), else 0. */
int vd_index_val_hit(const uint8_t *val, size_t len, uint16_t id,
		     uint32_t now, tbl_hit *hit);

#endif
