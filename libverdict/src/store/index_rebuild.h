/*
 * index_rebuild.h - write the index from the tables' entries
 *
 * The index (index.h) is derived data: it can always be rebuilt from the
 * entries of the live tables, whole (a drop, an import, an expiry, an
 * index of an older format) or over the span of one CIDR (an add or a
 * del), inside the caller's write transaction.
 */
#ifndef VD_INDEX_REBUILD_H
#define VD_INDEX_REBUILD_H

#include <lmdb.h>
#include <stdint.h>

#include "addr.h"
#include "lmdb_env.h"

typedef struct tbl_bulk tbl_bulk;	/* bulk.h */

/* vd_index_rebuild_all - the whole index from every live table. */
int vd_index_rebuild_all(MDB_txn *txn, tbl_env *te);

/* vd_index_rebuild_bulk - the same, with table aid's entries taken from
 * the sorted bulk b it was just written from. */
int vd_index_rebuild_bulk(MDB_txn *txn, tbl_env *te, uint16_t aid,
			  const tbl_bulk *b);

/* vd_index_rebuild_range - only the intervals inside r, after an entry
 * of exactly r was added, changed or removed. */
int vd_index_rebuild_range(MDB_txn *txn, tbl_env *te, const vcidr *r);

#endif
