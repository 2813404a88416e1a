/*
 * learned.h - the records of learned tables: codec, lookup, batched
 * commit, forgive, expire, dump, eviction (learned.c)
 *
 * On disk a learned table is a catalogue record of kind
 * VERDICT_TABLE_LEARNED (catalog.h) and its db "e.<id>", one record per
 * source key (the reported address masked to learn_prefix_v4/_v6):
 *	key	net[16] | plen u8, as entries.h (address order)
 *	value	score f64 | last u64 | first u64 | reports u32 |
 *		half_life u32 | crossings u16 | rlen u8 | reason
 * Integers little-endian, the score as its IEEE 754 bits.  Beside it the
 * db "l.<id>" holds the keys blocked at their last change:
 *	key	as above
 *	value	until u64 (the first second not blocked) | rlen u8 | reason
 * so that a check, which almost always misses, searches the small tree
 * of blocked keys, not the records of every source ever reported.
 * Learned tables are not in the combined index (index.h).
 */
#ifndef VD_LEARNED_H
#define VD_LEARNED_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "learn_model.h"
#include "lmdb_env.h"

#define LEARNED_HDR 35
#define LEARNED_VAL_MAX (LEARNED_HDR + TBL_REASON_MAX)

/* One queued report; its reason lives in the batch's pool. */
typedef struct learned_item {
	vcidr key;
	uint8_t table;		/* index into the commit's table names */
	uint8_t rlen;
	uint32_t roff;
	uint32_t seq;		/* arrival order among equal keys */
	double weight;
} learned_item;

/* Reports waiting for one write transaction. */
typedef struct learned_batch {
	learned_item *v;
	size_t n, cap;
	char *pool;
	size_t plen, pcap;
} learned_batch;

/* vd_learned_key - the source key of ip */
void vd_learned_key(const learn_params *p, const vaddr *ip, vcidr *key);

/* The codec: encode into buf (LEARNED_VAL_MAX bytes), returns the length;
 * decode returns -1 for a damaged value. */
size_t vd_learned_encode(uint8_t *buf, const learn_rec *r);
int vd_learned_decode(const MDB_val *v, learn_rec *r);

/* vd_learned_dbi - the record db and the blocked db of table id, usable
 * by every later transaction of the process (resolved once, at open); a
 * writer rebuilds a missing blocked db from the records, at second now. */
int vd_learned_dbi(tbl_env *te, uint16_t id, const learn_params *p,
		   uint64_t now, MDB_dbi *dbi, MDB_dbi *bdbi);

/* vd_learned_reset - create (or empty) the blocked db of table id, in
 * the catalogue's create and drop transactions: LMDB code. */
int vd_learned_reset(MDB_txn *txn, uint16_t id);

/* vd_learned_blocked - key's entry in the blocked db: 1 found (until and
 * the reason, NUL-terminated, filled), 0 none, -1 damaged or an error */
int vd_learned_blocked(MDB_txn *txn, MDB_dbi bdbi, const vcidr *key,
		       uint64_t *until, char *reason);

/* vd_learned_lookup - key's record in txn: 1 found, 0 none, -1 damaged
 * or an LMDB error */
int vd_learned_lookup(MDB_txn *txn, MDB_dbi dbi, const vcidr *key,
		      learn_rec *r);

/* Batches: add copies the reason; VERDICT_ENOMEM when it cannot grow. */
int vd_learned_batch_add(learned_batch *b, uint8_t table, const vcidr *key,
			 double weight, const char *reason, size_t rlen);
int vd_learned_batch_reserve(learned_batch *b, size_t n);
void vd_learned_batch_free(learned_batch *b);

/*
 * vd_learned_commit - the batch's reports, timed at second now, into the
 * tables names[item.table] in one write transaction; tables past
 * max_entries lose their lowest scores.  Sorts the batch's items.
 * Verdict codes (VERDICT_ENOENT: a table is gone or not learned).
 */
int vd_learned_commit(tbl_env *te, const learn_params *p,
		      const char *const *names, learned_batch *b,
		      uint64_t now);

/* vd_learned_forgive - delete every record inside c from every learned
 * table: one write transaction. */
int vd_learned_forgive(tbl_env *te, const learn_params *p, const vcidr *c,
		       size_t *removed);

/* vd_learned_expire - delete the records decayed to nothing at now, and
 * the blocked keys whose block has ended. */
int vd_learned_expire(tbl_env *te, const learn_params *p, uint64_t now,
		      size_t *purged);

/* vd_learned_dump - cb for every record of learned table name in key
 * order; VERDICT_EINVAL when the table is not learned. */
typedef int (*learned_dump_fn)(const vcidr *key, const learn_rec *r,
			       void *arg);
int vd_learned_dump(tbl_env *te, const char *name, learned_dump_fn cb,
		    void *arg);

#endif
