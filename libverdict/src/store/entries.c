/*
 * entries.c - a table's entries: the codec, add, del, dump, expire, import
 *
 *	vd_entries_dbi			the entry db of a table id
 *	vd_entries_key/encode/decode	the record codec
 *	vd_entries_add/del		one entry, the index range rebuilt
 *	vd_entries_replace		a whole table (import), index rebuilt
 *	vd_entries_dump			walk a table
 *	vd_entries_expire		purge expired entries of every table
 *
 * The layout is in entries.h.  Each call is one write transaction
 * (lmdb_env.h), so readers see a table before or after, never half.  An
 * add or del rebuilds only the index range of its CIDR; an import or an
 * expiry rebuilds the whole index, an import from its own sorted bulk
 * rather than reading back what it has just written.
 *
 * Diagnostics: errors through vd_err_set ("already in table", "not in
 * table", "would shrink ... use --force", LMDB codes kept).
 *
 * Limits: a reason and an origin are at most 255 bytes on disk (the
 * library takes TBL_REASON_MAX and TBL_ORIGIN_MAX); an expiry is a
 * 32-bit time (until 2106); an import holds at most 2^32 entries.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "errors.h"
#include "bulk.h"
#include "bulk_sort.h"
#include "catalog.h"
#include "entries.h"
#include "index_rebuild.h"
#include "le_bytes.h"


int
vd_entries_dbi(MDB_txn *txn, uint16_t id, int create, MDB_dbi *dbi)
{
	char name[16];

	snprintf(name, sizeof(name), "e.%u", (unsigned)id);
	return mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, dbi);
}

void
vd_entries_key(uint8_t key[17], const vcidr *c)
{
	memcpy(key, c->net.b, 16);
	key[16] = c->plen;
}

size_t
vd_entries_encode(uint8_t *buf, const tbl_entry *e)
{
	size_t off = 0;

	le_put64(buf, e->added);
	le_put32(buf + 8, e->expires);
	off = 12;
	buf[off++] = e->olen;
	memcpy(buf + off, e->origin, e->olen);
	off += e->olen;
	buf[off++] = e->rlen;
	memcpy(buf + off, e->reason, e->rlen);
	return off + e->rlen;
}

int
vd_entries_decode(const MDB_val *k, const MDB_val *v, tbl_entry *e)
{
	const uint8_t *p = v->mv_data;
	size_t off;

	if (k->mv_size != 17 || v->mv_size < 14)
		return -1;
	memcpy(e->cidr.net.b, k->mv_data, 16);
	e->cidr.plen = ((const uint8_t *)k->mv_data)[16];
	e->added = le_get64(p);
	e->expires = le_get32(p + 8);
	e->olen = p[12];
	off = 13;
	if (off + e->olen + 1 > v->mv_size)
		return -1;
	e->origin = (const char *)p + off;
	off += e->olen;
	e->rlen = p[off++];
	if (off + e->rlen > v->mv_size)
		return -1;
	e->reason = (const char *)p + off;
	return 0;
}

/* --- add / del */

typedef struct entries_one_arg {
	const char *table;
	const tbl_entry *e;
	const vcidr *c;
	int merge;
} entries_one_arg;

static int
entries_do_add(MDB_txn *txn, tbl_env *te, void *arg)
{
	entries_one_arg *a = arg;
	uint8_t key[ENTRIES_KEY_LEN], val[ENTRIES_VAL_MAX];
	MDB_val k = { ENTRIES_KEY_LEN, key }, v;
	catalog_rec m;
	MDB_dbi dbi;
	int rc;

	if ((rc = vd_catalog_open_table(txn, te, a->table, &m, &dbi)) != 0)
		return rc;
	vd_entries_key(key, &a->e->cidr);
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == 0 && !a->merge) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&a->e->cidr, buf);
		return vd_err_set(VERDICT_EEXIST, 0, "%s is already in table "
				"\"%s\"", buf, a->table);
	}
	if (rc == MDB_NOTFOUND)
		m.entries++;
	v.mv_size = vd_entries_encode(val, a->e);
	v.mv_data = val;
	if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0)
		return vd_lmdb_env_err(rc, "add");
	if ((rc = vd_catalog_put(txn, te, a->table, &m)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	return vd_index_rebuild_range(txn, te, &a->e->cidr);
}

int
vd_entries_add(tbl_env *te, const char *table, const tbl_entry *e, int merge)
{
	entries_one_arg a = { table, e, &e->cidr, merge };

	return vd_lmdb_env_write(te, entries_do_add, &a);
}

static int
entries_do_del(MDB_txn *txn, tbl_env *te, void *arg)
{
	entries_one_arg *a = arg;
	uint8_t key[ENTRIES_KEY_LEN];
	MDB_val k = { ENTRIES_KEY_LEN, key };
	catalog_rec m;
	MDB_dbi dbi;
	int rc;

	if ((rc = vd_catalog_open_table(txn, te, a->table, &m, &dbi)) != 0)
		return rc;
	vd_entries_key(key, a->c);
	rc = mdb_del(txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(a->c, buf);
		return vd_err_set(VERDICT_ENOENT, 0, "%s is not in table \"%s\"",
				buf, a->table);
	}
	if (rc != 0)
		return vd_lmdb_env_err(rc, "del");
	m.entries--;
	if ((rc = vd_catalog_put(txn, te, a->table, &m)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	return vd_index_rebuild_range(txn, te, a->c);
}

int
vd_entries_del(tbl_env *te, const char *table, const vcidr *c)
{
	entries_one_arg a = { table, NULL, c, 0 };

	return vd_lmdb_env_write(te, entries_do_del, &a);
}

/* --- import */

typedef struct entries_replace_arg {
	const char *table;
	const tbl_bulk *b;	/* sorted */
	size_t n;		/* its distinct CIDRs */
	int merge, shrink_guard;
	size_t total;
} entries_replace_arg;

static int
entries_do_replace(MDB_txn *txn, tbl_env *te, void *arg)
{
	entries_replace_arg *a = arg;
	uint8_t key[ENTRIES_KEY_LEN], val[ENTRIES_VAL_MAX];
	MDB_val k = { ENTRIES_KEY_LEN, key }, v;
	MDB_cursor *c;
	bulk_it it;
	tbl_entry e;
	catalog_rec m;
	MDB_dbi dbi;
	MDB_stat st;
	int rc;

	if ((rc = vd_catalog_open_table(txn, te, a->table, &m, &dbi)) != 0)
		return rc;
	if (!a->merge && a->shrink_guard && m.entries > 0 &&
	    (uint64_t)a->n * 2 < m.entries)
		return vd_err_set(VERDICT_ESHRINK, 0, "table \"%s\" would shrink "
				"from %llu to %zu entries (more than half); "
				"use --force if that is intended", a->table,
				(unsigned long long)m.entries, a->n);
	if (!a->merge && (rc = mdb_drop(txn, dbi, 0)) != 0)
		return vd_lmdb_env_err(rc, "import");
	/* one cursor for every put: appended through a cursor that stays
	 * at the end, a put skips the descent from the root that mdb_put()
	 * makes (a dirty-page list search a level, for every entry) */
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return vd_lmdb_env_err(rc, "import");
	vd_bulk_it_init(&it, a->b);
	while (vd_bulk_it_next(&it, &e)) {
		vd_entries_key(key, &e.cidr);
		k.mv_size = ENTRIES_KEY_LEN;
		k.mv_data = key;
		v.mv_size = vd_entries_encode(val, &e);
		v.mv_data = val;
		rc = mdb_cursor_put(c, &k, &v, a->merge ? 0 : MDB_APPEND);
		if (rc != 0) {
			mdb_cursor_close(c);
			return vd_lmdb_env_err(rc, "import");
		}
	}
	mdb_cursor_close(c);
	if ((rc = mdb_stat(txn, dbi, &st)) != 0)
		return vd_lmdb_env_err(rc, "import");
	m.entries = st.ms_entries;
	a->total = st.ms_entries;
	if ((rc = vd_catalog_put(txn, te, a->table, &m)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if ((rc = vd_catalog_stamp(txn, te, a->table,
				   (int64_t)time(NULL))) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if (a->merge)
		return vd_index_rebuild_all(txn, te);
	return vd_index_rebuild_bulk(txn, te, m.id, a->b);
}

int
vd_entries_replace(tbl_env *te, const char *table, tbl_bulk *b, int merge,
		   int shrink_guard, size_t *total)
{
	entries_replace_arg a = { table, b, 0, merge, shrink_guard, 0 };
	int rc;

	if (b->n4 + b->n6 > UINT32_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "too many entries");
	if ((rc = vd_bulk_sort(b)) != 0)
		return rc;
	a.n = vd_bulk_distinct(b);
	rc = vd_lmdb_env_write(te, entries_do_replace, &a);
	if (rc == VERDICT_OK && total)
		*total = a.total;
	return rc;
}

/* --- dump / expire */

typedef struct entries_expire_arg {
	uint32_t now;
	size_t purged;
} entries_expire_arg;

int
vd_entries_dump(tbl_env *te, const char *table,
		int (*cb)(const tbl_entry *, void *), void *arg)
{
	static const uint8_t v4start[17] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					     0xff, 0xff, 0, 0, 0, 0, 96 };
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	catalog_rec m;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc, cbrc = 0;

	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return vd_lmdb_env_err(rc, te->dir);
	if ((rc = vd_catalog_open_table(txn, te, table, &m, &dbi)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		rc = vd_lmdb_env_err(rc, "dump");
		goto out;
	}
	/* pass 0: IPv4; pass 1: IPv6 before it; pass 2: IPv6 after it */
	for (int pass = 0; pass < 3 && cbrc == 0; pass++) {
		int r;

		if (pass == 0 || pass == 2) {
			k.mv_size = ENTRIES_KEY_LEN;
			k.mv_data = (void *)v4start;
			r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		} else {
			r = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		}
		for (; r == 0; r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			tbl_entry e;
			int v4;

			if (vd_entries_decode(&k, &v, &e) != 0)
				continue;
			v4 = vd_addr_is_v4(&e.cidr.net) && e.cidr.plen >= 96;
			if (pass == 0 && !v4)
				break;
			if (pass == 1 && memcmp(k.mv_data, v4start, 12) >= 0)
				break;
			if (pass == 2 && v4)
				continue;
			if ((cbrc = cb(&e, arg)) != 0)
				break;
		}
		if (r != 0 && r != MDB_NOTFOUND) {
			rc = vd_lmdb_env_err(r, "dump");
			goto out;
		}
	}
	rc = cbrc;
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}

/* entries_expire_one - purge the expired entries of one table */
static int
entries_expire_one(MDB_txn *txn, MDB_dbi dbi, catalog_rec *m, void *arg)
{
	entries_expire_arg *a = arg;
	MDB_cursor *c;
	MDB_val ek, ev;
	size_t purged = 0;
	int r;

	if (m->kind == VERDICT_TABLE_LEARNED)	/* learned.c purges those */
		return VERDICT_OK;
	if (mdb_cursor_open(txn, dbi, &c) != 0)
		return VERDICT_OK;
	r = mdb_cursor_get(c, &ek, &ev, MDB_FIRST);
	while (r == 0) {
		tbl_entry e;

		if (vd_entries_decode(&ek, &ev, &e) == 0 && e.expires != 0 &&
		    e.expires <= a->now) {
			if ((r = mdb_cursor_del(c, 0)) != 0)
				break;
			purged++;
			r = mdb_cursor_get(c, &ek, &ev, MDB_GET_CURRENT);
			if (r == 0)
				continue;
			r = mdb_cursor_get(c, &ek, &ev, MDB_NEXT);
			continue;
		}
		r = mdb_cursor_get(c, &ek, &ev, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (r != 0 && r != MDB_NOTFOUND)
		return vd_lmdb_env_err(r, "expire");
	m->entries -= purged;
	a->purged += purged;
	return VERDICT_OK;
}

static int
entries_do_expire(MDB_txn *txn, tbl_env *te, void *arg)
{
	entries_expire_arg *a = arg;
	int rc;

	a->purged = 0;
	if ((rc = vd_catalog_walk(txn, te, entries_expire_one, a)) != 0)
		return rc;
	return a->purged ? vd_index_rebuild_all(txn, te) : VERDICT_OK;
}

int
vd_entries_expire(tbl_env *te, uint32_t now, size_t *purged)
{
	entries_expire_arg a = { now, 0 };
	int rc = vd_lmdb_env_write(te, entries_do_expire, &a);

	if (rc == VERDICT_OK && purged)
		*purged = a.purged;
	return rc;
}
