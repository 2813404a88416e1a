/*
 * entries.h - a table's entries: the codec, add, del, dump, expire, import
 *
 * On disk, one LMDB db "e.<id>" per table (the id from catalog.h), the
 * entries as the user gave them:
 *	key	net[16] | plen u8 (big-endian address: key order is
 *		address order, shorter prefixes first at one address)
 *	value	added u64 | expires u32 | olen u8 | origin | rlen u8 |
 *		reason (integers little-endian)
 * Every change rewrites the index (index.h) in the same transaction.
 */
#ifndef VD_ENTRIES_H
#define VD_ENTRIES_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "lmdb_env.h"

typedef struct tbl_bulk tbl_bulk;	/* bulk.h */

#define TBL_REASON_MAX 200
#define TBL_ORIGIN_MAX 64
#define ENTRIES_KEY_LEN 17
#define ENTRIES_VAL_MAX (8 + 4 + 2 + 2 * 255)

/* An entry as the writers take it and the readers hand it out. */
typedef struct tbl_entry {
	const char *reason;	/* not NUL-terminated */
	const char *origin;
	uint64_t added;
	vcidr cidr;
	uint8_t rlen;
	uint8_t olen;
	uint32_t expires;
} tbl_entry;

/* vd_entries_dbi - open (create) the entry db of table id: LMDB code. */
int vd_entries_dbi(MDB_txn *txn, uint16_t id, int create, MDB_dbi *dbi);

/* The codec: key of a CIDR, value of an entry into buf (at least
 * ENTRIES_VAL_MAX bytes; returns its length), and a record decoded
 * (pointers into the record; -1 when damaged). */
void vd_entries_key(uint8_t key[ENTRIES_KEY_LEN], const vcidr *c);
size_t vd_entries_encode(uint8_t *buf, const tbl_entry *e);
int vd_entries_decode(const MDB_val *k, const MDB_val *v, tbl_entry *e);

/* vd_entries_add - add (or, with merge, update) one entry. */
int vd_entries_add(tbl_env *te, const char *table, const tbl_entry *e,
		   int merge);
/* vd_entries_del - remove exactly that CIDR. */
int vd_entries_del(tbl_env *te, const char *table, const vcidr *c);

/* vd_entries_replace - the table becomes exactly the bulk's entries
 * (replace) or they are added/updated (merge); of equal CIDRs the last
 * added wins.  Sorts the bulk's items in place (it stays the caller's to
 * free).  shrink_guard: refuse (VERDICT_ESHRINK) a replacement that
 * leaves fewer than half the entries.  *total gets the table's size
 * after. */
int vd_entries_replace(tbl_env *te, const char *table, tbl_bulk *b,
		       int merge, int shrink_guard, size_t *total);

/* vd_entries_dump - entries of one table, IPv4 first, in address order. */
int vd_entries_dump(tbl_env *te, const char *table,
		    int (*cb)(const tbl_entry *, void *), void *arg);

/* vd_entries_expire - delete entries with 0 < expires <= now from every
 * table. */
int vd_entries_expire(tbl_env *te, uint32_t now, size_t *purged);

#endif
