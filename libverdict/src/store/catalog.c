/*
 * catalog.c - the tables of a database: names, ids, kinds, meta records
 *
 *	vd_catalog_open			the db "meta"
 *	vd_catalog_name_ok		a valid table name
 *	vd_catalog_get/put/live		records, the live tables
 *	vd_catalog_stamp		a table's last import time
 *	vd_catalog_format/set_format	the index format stored
 *	vd_catalog_open_table		a live table's record and entry db
 *	vd_catalog_walk			every live table (expiry)
 *	vd_catalog_table_id/list	read the catalogue
 *	vd_catalog_create/drop		change it
 *
 * The layout is in catalog.h.  A name keeps its id after a drop: readers
 * hold table ids (a profile's tables resolved at open), and a table
 * created again under the same name is then the same table to them.
 *
 * Diagnostics: errors through vd_err_set ("no table", "exists already",
 * "at most 250 tables", "table ids exhausted", LMDB codes kept).
 *
 * Limits: at most CATALOG_TABLES_MAX live tables; 65534 names ever (ids
 * are u16 and never reused); a name is [a-z0-9_-]{1,64}.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "catalog.h"
#include "entries.h"
#include "index_rebuild.h"
#include "learned.h"
#include "le_bytes.h"


int
vd_catalog_name_ok(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		char c = name[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
		if (n >= CATALOG_NAME_MAX)
			return 0;
	}
	return n > 0;
}

int
vd_catalog_open(MDB_txn *txn, tbl_env *te)
{
	int rc = mdb_dbi_open(txn, CATALOG_DB, te->write ? MDB_CREATE : 0,
			      &te->meta);

	if (rc == MDB_NOTFOUND)
		return vd_lmdb_env_no_tables(te);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "open tables");
	return VERDICT_OK;
}

int
vd_catalog_format(MDB_txn *txn, tbl_env *te, uint32_t *fmt)
{
	MDB_val k = { 6, "format" }, v;
	int rc = mdb_get(txn, te->meta, &k, &v);

	*fmt = UINT32_MAX;
	if (rc == 0 && v.mv_size == 4)
		*fmt = le_get32(v.mv_data);
	return rc;
}

int
vd_catalog_set_format(MDB_txn *txn, tbl_env *te, uint32_t fmt)
{
	MDB_val k = { 6, "format" }, v;
	uint8_t b[4];

	le_put32(b, fmt);
	v.mv_size = 4;
	v.mv_data = b;
	return mdb_put(txn, te->meta, &k, &v, 0);
}

/* catalog_rec_decode - a 12-byte "t:<name>" value into m */
static void
catalog_rec_decode(const uint8_t *p, catalog_rec *m)
{
	m->kind = p[0];
	m->id = le_get16(p + 1);
	m->live = p[3];
	m->entries = le_get64(p + 4);
}

int
vd_catalog_get(MDB_txn *txn, tbl_env *te, const char *name, catalog_rec *m)
{
	char key[CATALOG_NAME_MAX + 3];
	MDB_val k, v;
	int rc;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "t:%s", name);
	k.mv_data = key;
	rc = mdb_get(txn, te->meta, &k, &v);
	if (rc != 0)
		return rc;
	if (v.mv_size != 12)
		return MDB_CORRUPTED;
	catalog_rec_decode(v.mv_data, m);
	return 0;
}

int
vd_catalog_put(MDB_txn *txn, tbl_env *te, const char *name,
	       const catalog_rec *m)
{
	char key[CATALOG_NAME_MAX + 3];
	uint8_t val[12];
	MDB_val k, v;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "t:%s", name);
	k.mv_data = key;
	val[0] = (uint8_t)m->kind;
	le_put16(val + 1, m->id);
	val[3] = (uint8_t)m->live;
	le_put64(val + 4, m->entries);
	v.mv_size = sizeof(val);
	v.mv_data = val;
	return mdb_put(txn, te->meta, &k, &v, 0);
}

int
vd_catalog_stamp(MDB_txn *txn, tbl_env *te, const char *name, int64_t now)
{
	char key[CATALOG_NAME_MAX + 3];
	uint8_t val[8];
	MDB_val k, v;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "i:%s", name);
	k.mv_data = key;
	le_put64(val, (uint64_t)now);
	v.mv_size = sizeof(val);
	v.mv_data = val;
	return mdb_put(txn, te->meta, &k, &v, 0);
}

/* catalog_imported - the "i:<name>" stamp, 0 when there is none */
static int64_t
catalog_imported(MDB_txn *txn, tbl_env *te, const char *name)
{
	char key[CATALOG_NAME_MAX + 3];
	MDB_val k, v;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "i:%s", name);
	k.mv_data = key;
	if (mdb_get(txn, te->meta, &k, &v) != 0 || v.mv_size != 8)
		return 0;
	return (int64_t)le_get64(v.mv_data);
}

int
vd_catalog_live(MDB_txn *txn, tbl_env *te, catalog_live *ls)
{
	MDB_cursor *c;
	MDB_val k = { 2, "t:" }, v;
	int rc;

	ls->n = 0;
	if ((rc = mdb_cursor_open(txn, te->meta, &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 2 || memcmp(k.mv_data, "t:", 2) != 0)
			break;
		if (v.mv_size != 12 || ((uint8_t *)v.mv_data)[3] == 0)
			continue;
		/* learned tables are read by key, not through the index */
		if (((uint8_t *)v.mv_data)[0] == VERDICT_TABLE_LEARNED)
			continue;
		if (ls->n == CATALOG_TABLES_MAX)
			break;
		ls->id[ls->n] = le_get16((uint8_t *)v.mv_data + 1);
		if ((rc = vd_entries_dbi(txn, ls->id[ls->n], 0,
					 &ls->dbi[ls->n])) != 0)
			break;
		ls->n++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
vd_catalog_table_id(tbl_env *te, const char *name, uint16_t *id, int *kind)
{
	MDB_txn *txn;
	catalog_rec m;
	int rc;

	if (!vd_catalog_name_ok(name))
		return vd_err_set(VERDICT_EINVAL, 0, "bad table name \"%.80s\" "
				"(use a-z, 0-9, _ and -, at most 64)", name);
	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return vd_lmdb_env_err(rc, te->dir);
	rc = vd_catalog_get(txn, te, name, &m);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND || (rc == 0 && !m.live))
		return vd_err_set(VERDICT_ENOENT, 0, "no table \"%s\" in %s",
				name, te->dir);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	*id = m.id;
	*kind = m.kind;
	return VERDICT_OK;
}

int
vd_catalog_list(tbl_env *te, int (*cb)(const tbl_info *, void *), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = { 2, "t:" }, v;
	int rc, cbrc = 0;

	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return vd_lmdb_env_err(rc, te->dir);
	if ((rc = mdb_cursor_open(txn, te->meta, &c)) != 0) {
		mdb_txn_abort(txn);
		return vd_lmdb_env_err(rc, "catalogue");
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		tbl_info ti;
		catalog_rec m;

		if (k.mv_size < 3 || memcmp(k.mv_data, "t:", 2) != 0)
			break;
		if (v.mv_size != 12 || ((uint8_t *)v.mv_data)[3] == 0 ||
		    k.mv_size - 2 > CATALOG_NAME_MAX)
			continue;
		catalog_rec_decode(v.mv_data, &m);
		memcpy(ti.name, (char *)k.mv_data + 2, k.mv_size - 2);
		ti.name[k.mv_size - 2] = 0;
		ti.kind = m.kind;
		ti.id = m.id;
		ti.entries = m.entries;
		ti.imported = catalog_imported(txn, te, ti.name);
		if ((cbrc = cb(&ti, arg)) != 0)
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (cbrc)
		return cbrc;
	return rc == 0 || rc == MDB_NOTFOUND ? VERDICT_OK :
	       vd_lmdb_env_err(rc, "catalogue");
}

typedef struct catalog_create_arg {
	const char *name;
	int kind;
} catalog_create_arg;

static int
catalog_do_create(MDB_txn *txn, tbl_env *te, void *arg)
{
	catalog_create_arg *a = arg;
	catalog_rec m;
	catalog_live ls;
	MDB_dbi dbi;
	int rc = vd_catalog_get(txn, te, a->name, &m);
	int known = rc == 0;

	if (rc == 0 && m.live)
		return vd_err_set(VERDICT_EEXIST, 0, "table \"%s\" exists "
				"already", a->name);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return vd_lmdb_env_err(rc, "catalogue");
	if ((rc = vd_catalog_live(txn, te, &ls)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if (ls.n >= CATALOG_TABLES_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "at most %d tables",
				CATALOG_TABLES_MAX);
	if (!known) {
		/* a new name: the next id (a dropped name keeps its own) */
		MDB_val k = { 6, "nextid" }, v;
		uint8_t b[2];
		uint16_t id = 1;

		if (mdb_get(txn, te->meta, &k, &v) == 0 && v.mv_size == 2)
			id = le_get16(v.mv_data);
		if (id == 0xffff)
			return vd_err_set(VERDICT_ERANGE, 0, "table ids "
					"exhausted");
		m.id = id;
		le_put16(b, (uint16_t)(id + 1));
		v.mv_size = 2;
		v.mv_data = b;
		if ((rc = mdb_put(txn, te->meta, &k, &v, 0)) != 0)
			return vd_lmdb_env_err(rc, "catalogue");
	}
	m.kind = a->kind;
	m.live = 1;
	m.entries = 0;
	if ((rc = vd_entries_dbi(txn, m.id, 1, &dbi)) != 0)
		return vd_lmdb_env_err(rc, "create table");
	if ((rc = mdb_drop(txn, dbi, 0)) != 0)
		return vd_lmdb_env_err(rc, "create table");
	if (a->kind == VERDICT_TABLE_LEARNED &&
	    (rc = vd_learned_reset(txn, m.id)) != 0)
		return vd_lmdb_env_err(rc, "create table");
	if ((rc = vd_catalog_put(txn, te, a->name, &m)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	return VERDICT_OK;
}

int
vd_catalog_create(tbl_env *te, const char *name, int kind)
{
	catalog_create_arg a = { name, kind };

	if (!vd_catalog_name_ok(name))
		return vd_err_set(VERDICT_EINVAL, 0, "bad table name \"%.80s\" "
				"(use a-z, 0-9, _ and -, at most 64)", name);
	if (kind != VERDICT_TABLE_BLOCK && kind != VERDICT_TABLE_ALLOW &&
	    kind != VERDICT_TABLE_LEARNED)
		return vd_err_set(VERDICT_EINVAL, 0, "bad table kind");
	return vd_lmdb_env_write(te, catalog_do_create, &a);
}

static int
catalog_do_drop(MDB_txn *txn, tbl_env *te, void *arg)
{
	const char *name = arg;
	catalog_rec m;
	MDB_dbi dbi;
	int rc = vd_catalog_get(txn, te, name, &m);

	if (rc == MDB_NOTFOUND || (rc == 0 && !m.live))
		return vd_err_set(VERDICT_ENOENT, 0, "no table \"%s\"", name);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if ((rc = vd_entries_dbi(txn, m.id, 0, &dbi)) == 0)
		rc = mdb_drop(txn, dbi, 0);
	if (rc == 0 && m.kind == VERDICT_TABLE_LEARNED)
		rc = vd_learned_reset(txn, m.id);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return vd_lmdb_env_err(rc, "drop");
	m.live = 0;
	m.entries = 0;
	if ((rc = vd_catalog_put(txn, te, name, &m)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	return vd_index_rebuild_all(txn, te);
}

int
vd_catalog_drop(tbl_env *te, const char *name)
{
	if (!vd_catalog_name_ok(name))
		return vd_err_set(VERDICT_EINVAL, 0, "bad table name \"%.80s\"",
				name);
	return vd_lmdb_env_write(te, catalog_do_drop, (void *)name);
}

int
vd_catalog_open_table(MDB_txn *txn, tbl_env *te, const char *name,
		      catalog_rec *m, MDB_dbi *dbi)
{
	int rc = vd_catalog_get(txn, te, name, m);

	if (rc == MDB_NOTFOUND || (rc == 0 && !m->live))
		return vd_err_set(VERDICT_ENOENT, 0, "no table \"%s\" (create "
				"it with 'verdict table create %s --kind "
				"block|allow')", name, name);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if (m->kind == VERDICT_TABLE_LEARNED)
		return vd_err_set(VERDICT_EINVAL, 0, "table \"%s\" is a "
				"learned table: 'verdict report' fills it, "
				"'verdict forgive' empties it", name);
	if ((rc = vd_entries_dbi(txn, m->id, 0, dbi)) != 0)
		return vd_lmdb_env_err(rc, "table");
	return VERDICT_OK;
}

int
vd_catalog_walk(MDB_txn *txn, tbl_env *te, catalog_walk_fn fn, void *arg)
{
	MDB_cursor *mc;
	MDB_val k = { 2, "t:" }, v;
	int rc, frc = VERDICT_OK;

	if ((rc = mdb_cursor_open(txn, te->meta, &mc)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	rc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		catalog_rec m;
		uint64_t before;
		MDB_dbi dbi;
		uint8_t rec[12];

		if (k.mv_size < 3 || memcmp(k.mv_data, "t:", 2) != 0)
			break;
		if (v.mv_size != 12 || ((uint8_t *)v.mv_data)[3] == 0)
			continue;
		memcpy(rec, v.mv_data, 12);
		catalog_rec_decode(rec, &m);
		before = m.entries;
		if (vd_entries_dbi(txn, m.id, 0, &dbi) != 0)
			continue;
		if ((frc = fn(txn, dbi, &m, arg)) != VERDICT_OK)
			break;
		if (m.entries == before)
			continue;
		le_put64(rec + 4, m.entries);
		v.mv_data = rec;
		if ((rc = mdb_cursor_put(mc, &k, &v, MDB_CURRENT)) != 0)
			break;
	}
	mdb_cursor_close(mc);
	if (frc != VERDICT_OK)
		return frc;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return vd_lmdb_env_err(rc, "catalogue");
	return VERDICT_OK;
}
