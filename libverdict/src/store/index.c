/*
 * index.c - the combined index of every table: probe, walk, open
 *
 *	vd_index_open		the index dbs; an older format rebuilt
 *	vd_index_probe		one MDB_SET_RANGE answers every table
 *	vd_index_walk		every interval in address order (feeds)
 *	vd_index_val_hit	one table's answer in an interval's value
 *
 * The layout is in index.h (idx) and index_v4.h (idx4p); the intervals
 * are built by sweep.c and written by index_rebuild.c.  A probe uses the
 * pooled reader's cursors (lmdb_env.h), one per index db.
 *
 * Diagnostics: VERDICT_EDB for a damaged record ("damaged index block",
 * "index record of bad size"), for an index a reader cannot use
 * ("written by an older libverdict: run 'verdict expire' once"), LMDB
 * codes kept.
 *
 * Limits: a value is decoded only as far as its sizes allow: a damaged
 * value answers "not listed" for the tables past the damage.
 */
#include <errno.h>
#include <string.h>

#include "errors.h"
#include "catalog.h"
#include "index.h"
#include "index_rebuild.h"
#include "index_v4.h"
#include "le_bytes.h"


static const uint8_t v4_lo[16] = { [10] = 0xff, [11] = 0xff };

/* index_err_old - the error of an index a reader cannot use */
static int
index_err_old(const tbl_env *te)
{
	return vd_err_set(VERDICT_EDB, MDB_NOTFOUND, "database %s was "
			"written by an older libverdict: run 'verdict "
			"expire' once to upgrade its index", te->dir);
}

int
vd_index_open(MDB_txn *txn, tbl_env *te)
{
	unsigned create = te->write ? MDB_CREATE : 0;
	uint32_t fmt;
	int rc;

	rc = mdb_dbi_open(txn, INDEX_DB6, create, &te->cdbi[IX_DB6]);
	if (rc == MDB_NOTFOUND)
		return vd_lmdb_env_no_tables(te);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "open tables");
	rc = mdb_dbi_open(txn, INDEX_V4_DB, MDB_INTEGERKEY | create,
			  &te->cdbi[IX_DB4]);
	if (rc == MDB_NOTFOUND)
		return index_err_old(te);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "open tables");
	rc = vd_catalog_format(txn, te, &fmt);
	if (rc == 0 && fmt < INDEX_FORMAT) {
		/* an index of an older format: the entries are the truth */
		if (!te->write)
			return index_err_old(te);
		if ((rc = vd_index_rebuild_all(txn, te)) != VERDICT_OK)
			return rc;
		rc = MDB_NOTFOUND;
	}
	if (rc == MDB_NOTFOUND && te->write)
		(void)vd_catalog_set_format(txn, te, INDEX_FORMAT);
	return VERDICT_OK;
}

/* index_key - the key of address a in idx (v4 = 0) or idx4p (v4 = 1). */
static void
index_key(int v4, const vaddr *a, uint32_t *k4, MDB_val *k)
{
	if (v4) {
		*k4 = vd_index_v4_key(a);
		k->mv_size = 4;
		k->mv_data = k4;
	} else {
		k->mv_size = 16;
		k->mv_data = (void *)a->b;
	}
}

/* vd_index_val_hit - the table part starts with ntables; its chunks are
 * in ascending id order, so a larger id ends the search */
int
vd_index_val_hit(const uint8_t *val, size_t len, uint16_t id, uint32_t now,
		 tbl_hit *hit)
{
	size_t off = 1, nt;

	if (len < 1)
		return 0;
	nt = val[0];

	for (size_t t = 0; t < nt; t++) {
		uint16_t tid;
		size_t depth;

		if (off + 3 > len)
			return 0;
		tid = le_get16(val + off);
		depth = val[off + 2];
		off += 3;
		for (size_t d = 0; d < depth; d++) {
			uint32_t exp;
			size_t rlen;

			if (off + 6 > len)
				return 0;
			exp = le_get32(val + off + 1);
			rlen = val[off + 5];
			if (off + 6 + rlen > len)
				return 0;
			if (tid == id && (exp == 0 || exp > now)) {
				hit->plen = val[off];
				hit->expires = exp;
				hit->rlen = (uint8_t)rlen;
				hit->reason = (const char *)val + off + 6;
				return 1;
			}
			off += 6 + rlen;
		}
		if (tid > id)
			return 0;
	}
	return 0;
}

int
vd_index_probe(tbl_reader *r, const vaddr *ip, const uint16_t *ids, size_t n,
	       uint32_t now, tbl_hit *hits)
{
	const uint8_t *part;
	size_t plen;
	MDB_cursor *c;
	MDB_val k, v;
	uint32_t k4;
	int rc, v4;

	for (size_t i = 0; i < n; i++)
		hits[i].plen = 0;
	v4 = vd_addr_is_v4(ip);
	index_key(v4, ip, &k4, &k);
	if ((rc = vd_lmdb_env_cursor(r, v4 ? IX_DB4 : IX_DB6, &c)) == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return VERDICT_OK;
	if (rc != 0)
		return vd_lmdb_env_err(rc, "lookup");
	if (v4) {
		rc = vd_index_v4_find(v.mv_data, v.mv_size, k4, &part, &plen);
		if (rc < 0)
			return vd_err_set(VERDICT_EDB, MDB_CORRUPTED, "lookup: "
					"damaged index block");
		if (rc == 0)
			return VERDICT_OK;	/* in a gap */
	} else {
		if (v.mv_size < INDEX_HDR6 ||
		    memcmp(v.mv_data, ip->b, INDEX_HDR6 - 1) > 0)
			return VERDICT_OK;	/* in a gap between intervals */
		/* the table part behind the interval's start */
		part = (const uint8_t *)v.mv_data + INDEX_HDR6 - 1;
		plen = v.mv_size - (INDEX_HDR6 - 1);
	}
	for (size_t i = 0; i < n; i++)
		vd_index_val_hit(part, plen, ids[i], now, &hits[i]);
	return VERDICT_OK;
}

/* index_walk6 - idx from key `from` on, up to (not including) key `to` when
 * to != NULL. */
static int
index_walk6(tbl_reader *r, const uint8_t *from, const uint8_t *to,
      tbl_interval_fn cb, void *arg)
{
	MDB_val k = { 16, (void *)from }, v;
	MDB_cursor *c;
	int rc = vd_lmdb_env_cursor(r, IX_DB6, &c);

	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, from ? MDB_SET_RANGE :
				    MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		vaddr s, e;

		if (k.mv_size != 16 || v.mv_size < INDEX_HDR6)
			return vd_err_set(VERDICT_EDB, MDB_CORRUPTED, "index "
					"record of bad size");
		if (to && memcmp(k.mv_data, to, 16) >= 0)
			return VERDICT_OK;
		memcpy(e.b, k.mv_data, 16);
		memcpy(s.b, v.mv_data, 16);
		if ((rc = cb(&s, &e, (uint8_t *)v.mv_data + INDEX_HDR6 - 1,
			     v.mv_size - (INDEX_HDR6 - 1), arg)) != 0)
			return rc;
	}
	return rc == MDB_NOTFOUND ? VERDICT_OK :
	       vd_lmdb_env_err(rc, "index walk");
}

/* index_walk4 - every IPv4 interval, block by block. */
static int
index_walk4(tbl_reader *r, tbl_interval_fn cb, void *arg)
{
	MDB_val k, v;
	MDB_cursor *c;
	int rc = vd_lmdb_env_cursor(r, IX_DB4, &c);

	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		size_t n = vd_index_v4_count(v.mv_data, v.mv_size);

		if (k.mv_size != 4 || n == 0)
			return vd_err_set(VERDICT_EDB, MDB_CORRUPTED, "damaged "
					"index block");
		for (size_t i = 0; i < n; i++) {
			index_v4_iv iv;
			vaddr s, e;

			vd_index_v4_get(v.mv_data, v.mv_size, i, &iv);
			vd_index_v4_addr(&s, iv.start);
			vd_index_v4_addr(&e, iv.end);
			if ((rc = cb(&s, &e, iv.part, iv.plen, arg)) != 0)
				return rc;
		}
	}
	return rc == MDB_NOTFOUND ? VERDICT_OK :
	       vd_lmdb_env_err(rc, "index walk");
}

/* vd_index_walk - in address order: the IPv6 intervals below
 * ::ffff:0:0, the IPv4 intervals, the rest of IPv6. */
int
vd_index_walk(tbl_reader *r, tbl_interval_fn cb, void *arg)
{
	int rc;

	if ((rc = index_walk6(r, NULL, v4_lo, cb, arg)) != 0 ||
	    (rc = index_walk4(r, cb, arg)) != 0)
		return rc;
	return index_walk6(r, v4_lo, NULL, cb, arg);
}

