/*
 * catalog.h - the tables of a database: names, ids, kinds, meta records
 *
 * On disk, the LMDB db "meta" (CATALOG_DB):
 *	"t:<name>" -> kind u8 | id u16 | live u8 | entries u64 (12 bytes);
 *		live 0: a dropped table, whose name keeps its id forever,
 *		so a table dropped and created again is seen by running
 *		readers as the same table;
 *	"nextid"   -> u16, the id the next new name gets;
 *	"format"   -> u32, the index format (index.h);
 *	"i:<name>" -> u64, time_t of the table's last import (a record of
 *		its own, so readers of the 12-byte "t:" records are unchanged).
 * Integers are little-endian.  A table's entries are in the db "e.<id>"
 * (entries.h).
 */
#ifndef VD_CATALOG_H
#define VD_CATALOG_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "lmdb_env.h"

#define CATALOG_DB "meta"
#define CATALOG_NAME_MAX 64
#define CATALOG_TABLES_MAX 250	/* live tables at most */

/* One table as vd_catalog_list hands it out. */
typedef struct tbl_info {
	char name[CATALOG_NAME_MAX + 1];
	int kind;
	uint16_t id;
	uint64_t entries;
	int64_t imported;	/* time_t of the last import, 0: none */
} tbl_info;

/* One "t:<name>" record, decoded. */
typedef struct catalog_rec {
	int kind;
	uint16_t id;
	int live;
	uint64_t entries;
} catalog_rec;

/* The live tables: ids in ascending name order, their entry dbs. */
typedef struct catalog_live {
	size_t n;
	uint16_t id[CATALOG_TABLES_MAX];
	MDB_dbi dbi[CATALOG_TABLES_MAX];
} catalog_live;

/* vd_catalog_open - open (a writer: create) the db "meta" into te->meta;
 * VERDICT_ENOENT when the database has no table yet. */
int vd_catalog_open(MDB_txn *txn, tbl_env *te);

/* vd_catalog_name_ok - 1 for [a-z0-9_-]{1,64}. */
int vd_catalog_name_ok(const char *name);

/* Records: LMDB codes (MDB_NOTFOUND, MDB_CORRUPTED for a bad size). */
int vd_catalog_get(MDB_txn *txn, tbl_env *te, const char *name,
		   catalog_rec *m);
int vd_catalog_put(MDB_txn *txn, tbl_env *te, const char *name,
		   const catalog_rec *m);
int vd_catalog_live(MDB_txn *txn, tbl_env *te, catalog_live *ls);

/* vd_catalog_stamp - record now (time_t) as name's last import. */
int vd_catalog_stamp(MDB_txn *txn, tbl_env *te, const char *name,
		     int64_t now);

/* vd_catalog_format - the stored index format (UINT32_MAX when its
 * record is not 4 bytes): LMDB code, MDB_NOTFOUND when there is none.
 * vd_catalog_set_format - store it. */
int vd_catalog_format(MDB_txn *txn, tbl_env *te, uint32_t *fmt);
int vd_catalog_set_format(MDB_txn *txn, tbl_env *te, uint32_t fmt);

/* vd_catalog_open_table - the record and entry db of a live table;
 * VERDICT_ENOENT (with the remedy) when there is none. */
int vd_catalog_open_table(MDB_txn *txn, tbl_env *te, const char *name,
			  catalog_rec *m, MDB_dbi *dbi);

/* vd_catalog_walk - fn for every live table in name order, with its entry
 * db; a change fn makes to m->entries is written back.  Verdict codes. */
typedef int (*catalog_walk_fn)(MDB_txn *txn, MDB_dbi dbi, catalog_rec *m,
			       void *arg);
int vd_catalog_walk(MDB_txn *txn, tbl_env *te, catalog_walk_fn fn,
		    void *arg);

/* vd_catalog_table_id - id and kind of a live table; VERDICT_ENOENT if
 * none. */
int vd_catalog_table_id(tbl_env *te, const char *name, uint16_t *id,
			int *kind);

/* vd_catalog_list - cb for every live table, in name order; a non-zero
 * return from cb stops the walk and is returned. */
int vd_catalog_list(tbl_env *te, int (*cb)(const tbl_info *, void *),
		    void *arg);

/* vd_catalog_create, vd_catalog_drop - one write transaction each; a
 * drop rebuilds the index without the table. */
int vd_catalog_create(tbl_env *te, const char *name, int kind);
int vd_catalog_drop(tbl_env *te, const char *name);

#endif
