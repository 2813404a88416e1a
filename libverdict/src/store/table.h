/*
 * table.h - LMDB reputation tables
 *
 * One LMDB environment (a directory) holds:
 *   meta	"t:<name>" -> kind u8 | id u16 | entries u64 (live tables),
 *		"i:<name>" -> id u16 (a name keeps its id forever, so a
 *		table dropped and created again is seen by running readers),
 *		"nextid" -> u16, "format" -> u32.
 *   e.<id>	one per table: the entries as given, key net[16] | plen u8,
 *		value added u64 | expires u32 | olen u8 origin | rlen u8 reason.
 *   idx	the combined index over all tables: the address space cut
 *		into non-overlapping intervals at every entry boundary,
 *		key = interval end[16], value = start[16] | ntables u8 |
 *		per table (ascending id): id u16 | depth u8 | depth x
 *		{ plen u8 | expires u32 | rlen u8 | reason } with the covering
 *		entries of that table most specific first.  IPv6 only:
 *   idx4p	the IPv4 intervals (format 4) in blocks of up to 128
 *		consecutive ones, a block an LMDB overflow page (blk4.h):
 *		key = the end of the block's last interval as a host order
 *		u32 (MDB_INTEGERKEY), value = the block's ends, starts, and
 *		table parts (ntables | chunks as in idx).  Format 2 had a
 *		record per interval in idx4, format 3 blocks of up to 64 in
 *		idx4b (two a leaf page); a writer upgrades a database in
 *		place and deletes the old db, so that a reader still on an
 *		older library fails at open instead of misreading it.
 *
 * One MDB_SET_RANGE on idx or idx4p answers every table of a profile: the
 * record with the first end >= ip holds, when its start <= ip (in a
 * block: the first interval whose end >= ip), the most specific entry of
 * each table covering ip, and behind it the next covering ones (so an
 * expired nested entry falls back to its unexpired parent).
 * Integers in values are little-endian; keys are big-endian addresses.
 */
#ifndef VD_TABLE_H
#define VD_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "util.h"

#define TBL_NAME_MAX 64
#define TBL_REASON_MAX 200
#define TBL_ORIGIN_MAX 64
#define TBL_MAXREADERS 4096	/* one value for every process: see doc */

/* The smallest map a process opens with (1 GiB); tests lower it to make
 * the map fill and grow. */
extern size_t vd_tbl_mapsize_min;

typedef struct tbl_env tbl_env;
typedef struct tbl_reader tbl_reader;

/* vd_tbl_open - the process-wide environment of dir (shared, refcounted).
 * write: may change tables; create: mkdir dir.  mode/group: permissions
 * of created files (group NULL = unchanged). */
int vd_tbl_open(const char *dir, int write, int create, unsigned mode,
	     const char *group, const vd_logger *lg, tbl_env **out);
void vd_tbl_close(tbl_env *te);

/* vd_tbl_forked - 1 when the calling process is a fork child of the one
 * that opened te (te must not be used). */
int vd_tbl_forked(const tbl_env *te);

/* vd_tbl_table_id - id and kind of a live table; VERDICT_ENOENT if none. */
int vd_tbl_table_id(tbl_env *te, const char *name, uint16_t *id, int *kind);

/* vd_tbl_name_ok - 1 for [a-z0-9_-]{1,64}. */
int vd_tbl_name_ok(const char *name);

/* Reading: a pooled MDB_NOTLS read transaction, not tied to a thread. */
int vd_tbl_read_begin(tbl_env *te, int64_t deadline_ns, tbl_reader **out);
void vd_tbl_read_end(tbl_env *te, tbl_reader *r);

/* One table's answer for an address. */
typedef struct tbl_hit {
	uint8_t plen;		/* 0 = no unexpired entry covers the address */
	uint32_t expires;
	const char *reason;	/* inside the read transaction; not NUL-ended */
	uint8_t rlen;
} tbl_hit;

/*
 * vd_tbl_probe - one index probe for ip: for each of the n table ids, the
 * most specific unexpired entry covering ip into hits[i] (plen 0 when
 * none), and *start the interval start (for the CIDR: mask ip to plen).
 * now: time(NULL) for expiry.  Returns VERDICT_OK or VERDICT_EDB.
 */
int vd_tbl_probe(tbl_reader *r, const vaddr *ip, const uint16_t *ids, size_t n,
	      uint32_t now, tbl_hit *hits);

/* Interval walk (feeds): cb(start, end, value, len, arg) for every index
 * interval in address order; value is the interval's table part (for
 * vd_tbl_val_hit), valid until the read transaction ends; non-zero from cb
 * stops and is returned. */
typedef int (*tbl_interval_fn)(const vaddr *start, const vaddr *end,
			       const uint8_t *val, size_t len, void *arg);
int vd_tbl_walk_intervals(tbl_reader *r, tbl_interval_fn cb, void *arg);

/* vd_tbl_val_hit - decode table id's unexpired most specific entry from an
 * index value; 1 if found (into *hit), else 0. */
int vd_tbl_val_hit(const uint8_t *val, size_t len, uint16_t id, uint32_t now,
		tbl_hit *hit);

/* Writing (write env only).  Each call is one transaction. */
int vd_tbl_create(tbl_env *te, const char *name, int kind);
int vd_tbl_drop(tbl_env *te, const char *name);

typedef struct tbl_info {
	char name[TBL_NAME_MAX + 1];
	int kind;
	uint16_t id;
	uint64_t entries;
} tbl_info;
int vd_tbl_list(tbl_env *te, int (*cb)(const tbl_info *, void *), void *arg);

/* An entry as the writers take it. */
typedef struct tbl_entry {
	const char *reason;	/* not NUL-terminated */
	const char *origin;
	uint64_t added;
	vcidr cidr;
	uint8_t rlen;
	uint8_t olen;
	uint32_t expires;
} tbl_entry;

/*
 * tbl_bulk - the entries of a replacement (an import), kept as the items
 * the sort moves: an IPv4 entry is 32 bytes, an IPv6 one 40, and nothing
 * else is built.  (A 48-byte tbl_entry a line, sorted through an index
 * and then gathered into a sorted copy, was 200 bytes a line and a fifth
 * of a 1.2M-line import's time.)  A short reason (SBL123456) is copied
 * into its item, so the passes after the sort read memory in order; a
 * longer one is kept by pointer, and that memory must outlive
 * vd_tbl_replace().  Every entry of a bulk has the same added time and
 * origin.  The item arrays are reserved address space that fills as
 * entries come (vd_util_bigreserve).
 */
#define TBL_INLINE4 18	/* reasons up to this long are kept in the item */
#define TBL_INLINE6 16

typedef struct tbl_item4 {	/* 32 bytes */
	uint64_t key;		/* v4 address << 8 | plen (96 + n) */
	uint32_t expires;
	uint8_t rlen;
	uint8_t inl;		/* 1: the reason is in r, else a pointer */
	char r[TBL_INLINE4];
} tbl_item4;

typedef struct tbl_item6 {	/* 40 bytes */
	uint8_t key[17];	/* net | plen */
	uint8_t rlen;
	uint8_t inl;
	uint32_t expires;
	char r[TBL_INLINE6];
} tbl_item6;

typedef struct tbl_bulk {
	tbl_item4 *v4;
	tbl_item6 *v6;
	size_t n4, cap4, n6, cap6;
	uint64_t added;
	const char *origin;
	uint8_t olen;
} tbl_bulk;

/* vd_tbl_bulk_init - an empty bulk with room reserved for about hint
 * entries of each family (address space only); origin is kept by
 * pointer.  0, or VERDICT_ENOMEM. */
int vd_tbl_bulk_init(tbl_bulk *b, size_t hint, uint64_t added,
		  const char *origin);
/* vd_tbl_bulk_add - one more entry (reason: rlen <= TBL_REASON_MAX bytes,
 * kept by pointer).  0, or VERDICT_ENOMEM (the bulk is unchanged). */
int vd_tbl_bulk_add(tbl_bulk *b, const vcidr *c, const char *reason,
		 size_t rlen, uint32_t expires);
/* vd_tbl_bulk_join - append more's entries after b's (input order kept);
 * more is left as it was.  0, or VERDICT_ENOMEM. */
int vd_tbl_bulk_join(tbl_bulk *b, const tbl_bulk *more);
void vd_tbl_bulk_free(tbl_bulk *b);

/* vd_tbl_add - add (or, with merge, update) one entry. */
int vd_tbl_add(tbl_env *te, const char *table, const tbl_entry *e, int merge);
/* vd_tbl_del - remove exactly that CIDR. */
int vd_tbl_del(tbl_env *te, const char *table, const vcidr *c);

/* vd_tbl_replace - the table becomes exactly the bulk's entries (replace)
 * or they are added/updated (merge); of equal CIDRs the last added wins.
 * Sorts the bulk's items in place (it stays the caller's to free).
 * shrink_guard: refuse (VERDICT_ESHRINK) a replacement that leaves fewer
 * than half the entries.  *total gets the table's size after. */
int vd_tbl_replace(tbl_env *te, const char *table, tbl_bulk *b, int merge,
		int shrink_guard, size_t *total);

/* vd_tbl_dump - entries of one table, IPv4 first, in address order. */
int vd_tbl_dump(tbl_env *te, const char *table,
	     int (*cb)(const tbl_entry *, void *), void *arg);

/* vd_tbl_expire - delete entries with 0 < expires <= now from every table. */
int vd_tbl_expire(tbl_env *te, uint32_t now, size_t *purged);

/* vd_tbl_check_access - "" when the calling user can use the database, else
 * a message naming what it needs (lock.mdb write access ...). */
int vd_tbl_check_access(const char *dir, char *msg, size_t msglen);

#endif
