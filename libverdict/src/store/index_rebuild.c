/*
 * index_rebuild.c - write the index from the tables' entries
 *
 *	vd_index_rebuild_all	the whole index from every live table
 *	vd_index_rebuild_bulk	the same, one table from an import's bulk
 *	vd_index_rebuild_range	the intervals inside one CIDR
 *
 * A full rebuild is a k-way merge of the sorted entry dbs into one sweep
 * (sweep.h) whose intervals are appended (MDB_APPEND) to idx and, in
 * blocks, to idx4p: each db sees its own keys in ascending order.  The
 * table an import has just written comes from its sorted bulk rather
 * than from reading back what the transaction wrote.
 *
 * A range rebuild after an add or a del of CIDR r collects the entries
 * that matter inside r (those covering r, found by one exact probe per
 * shorter prefix, and those inside r, one range scan a table), sweeps
 * them clipped to r, and replaces the intervals of r: IPv4 blocks
 * through vd_index_v4_replace, IPv6 records cut at r's edges.
 *
 * Diagnostics: VERDICT_EDB for a damaged entry or index record,
 * VERDICT_ENOMEM, LMDB codes kept.
 *
 * Limits: a range rebuild holds the entries of r in memory (all of a
 * table's when r is wide); a full rebuild holds one cursor a table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"
#include "errors.h"
#include "bulk.h"
#include "catalog.h"
#include "entries.h"
#include "index.h"
#include "index_rebuild.h"
#include "index_v4.h"
#include "sweep.h"


/* rebuild_put6 - one IPv6 interval ending at e, its value in the 16-byte
 * form (start[16] | table part), into idx. */
static int
rebuild_put6(MDB_txn *txn, tbl_env *te, const vaddr *e, const uint8_t *val,
	     size_t len)
{
	MDB_val k = { 16, (void *)e->b }, v = { len, (void *)val };

	return mdb_put(txn, te->cdbi[IX_DB6], &k, &v, 0);
}

/* rebuild_iv4 - the block form of an IPv4 interval from s, e and the
 * 16-byte form of its value */
static void
rebuild_iv4(const vaddr *s, const vaddr *e, const uint8_t *val, size_t len,
	    index_v4_iv *iv)
{
	iv->start = vd_index_v4_key(s);
	iv->end = vd_index_v4_key(e);
	iv->part = val + INDEX_HDR6 - 1;
	iv->plen = len - (INDEX_HDR6 - 1);
}

/* --- the whole index */

/* Emission during a full rebuild: keys ascend, so append. */
typedef struct rebuild_out {
	MDB_cursor *c6;		/* on idx: appends skip the descent */
	index_v4_w w;
} rebuild_out;

static int
rebuild_append(const vaddr *s, const vaddr *e, const uint8_t *val,
	       size_t len, void *arg)
{
	rebuild_out *o = arg;
	int rc;

	if (vd_addr_is_v4(e)) {
		index_v4_iv iv;

		rebuild_iv4(s, e, val, len, &iv);
		rc = vd_index_v4_w_add(&o->w, &iv);
	} else {
		MDB_val k = { 16, (void *)e->b }, v = { len, (void *)val };

		rc = mdb_cursor_put(o->c6, &k, &v, MDB_APPEND);
	}
	return rc ? vd_lmdb_env_err(rc, "index write") : VERDICT_OK;
}

/* One sorted stream of entries for the merge: an entry db, or the bulk
 * of the table an import just wrote. */
typedef struct rebuild_src {
	MDB_cursor *cur;	/* NULL: the bulk */
	MDB_val k, v;
	bulk_it it;
	tbl_entry e;		/* the bulk's current entry */
	uint8_t key[ENTRIES_KEY_LEN];	/* its key */
	int has;
} rebuild_src;

static void
rebuild_src_next(rebuild_src *x, int first)
{
	if (x->cur) {
		x->has = mdb_cursor_get(x->cur, &x->k, &x->v,
					first ? MDB_FIRST : MDB_NEXT) == 0;
		return;
	}
	x->has = vd_bulk_it_next(&x->it, &x->e);
	if (x->has) {
		vd_entries_key(x->key, &x->e.cidr);
		x->k.mv_size = ENTRIES_KEY_LEN;
		x->k.mv_data = x->key;
	}
}

/* rebuild_merge - the k-way merge of the n sorted streams into sw */
static int
rebuild_merge(rebuild_src *xs, const catalog_live *ls, sweep *sw)
{
	size_t n = ls->n;
	int rc = 0;

	while (rc == 0) {
		size_t best = n;
		tbl_entry e;
		sweep_ent sv;

		for (size_t i = 0; i < n; i++) {
			if (!xs[i].has)
				continue;
			if (best == n || memcmp(xs[i].k.mv_data,
						xs[best].k.mv_data,
						ENTRIES_KEY_LEN) < 0)
				best = i;
		}
		if (best == n)
			break;
		if (xs[best].cur == NULL) {
			e = xs[best].e;
		} else if (vd_entries_decode(&xs[best].k, &xs[best].v,
					     &e) != 0) {
			return vd_err_set(VERDICT_EDB, MDB_CORRUPTED, "damaged "
					"entry record in table id %u",
					ls->id[best]);
		}
		vd_sweep_ent(&e, ls->id[best], &sv);
		if ((rc = vd_sweep_push(sw, &sv)) != 0)
			break;
		rebuild_src_next(&xs[best], 0);
	}
	return rc;
}

int
vd_index_rebuild_bulk(MDB_txn *txn, tbl_env *te, uint16_t aid,
		      const tbl_bulk *b)
{
	catalog_live ls;
	rebuild_src *xs = NULL;
	rebuild_out *o = NULL;
	sweep sw;
	int rc;

	if ((rc = vd_catalog_live(txn, te, &ls)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if ((rc = mdb_drop(txn, te->cdbi[IX_DB6], 0)) != 0 ||
	    (rc = mdb_drop(txn, te->cdbi[IX_DB4], 0)) != 0)
		return vd_lmdb_env_err(rc, "index reset");
	if ((xs = calloc(ls.n + 1, sizeof(*xs))) == NULL ||
	    (o = malloc(sizeof(*o))) == NULL) {
		free(xs);
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	}
	if ((rc = mdb_cursor_open(txn, te->cdbi[IX_DB6], &o->c6)) != 0) {
		free(xs);
		free(o);
		return vd_lmdb_env_err(rc, "index write");
	}
	vd_index_v4_w_init(&o->w, txn, te->cdbi[IX_DB4], MDB_APPEND);
	vd_sweep_init(&sw, NULL, NULL, rebuild_append, o);
	for (size_t i = 0; i < ls.n && rc == 0; i++) {
		if (b && ls.id[i] == aid) {
			vd_bulk_it_init(&xs[i].it, b);
		} else if ((rc = mdb_cursor_open(txn, ls.dbi[i],
						 &xs[i].cur)) != 0) {
			rc = vd_lmdb_env_err(rc, "entries");
			break;
		}
		rebuild_src_next(&xs[i], 1);
	}
	if (rc == 0)
		rc = rebuild_merge(xs, &ls, &sw);
	if (rc == 0)
		rc = vd_sweep_finish(&sw);
	if (rc == 0 && (rc = vd_index_v4_w_flush(&o->w)) != 0)
		rc = vd_lmdb_env_err(rc, "index write");
	for (size_t i = 0; i < ls.n; i++)
		if (xs[i].cur)
			mdb_cursor_close(xs[i].cur);
	free(xs);
	mdb_cursor_close(o->c6);
	vd_index_v4_w_free(&o->w);
	free(o);
	vd_sweep_free(&sw);
	return rc;
}

int
vd_index_rebuild_all(MDB_txn *txn, tbl_env *te)
{
	return vd_index_rebuild_bulk(txn, te, 0, NULL);
}

/* --- the span of one CIDR */

/* The entries that matter inside a range, in no order yet. */
typedef struct rebuild_ents {
	sweep_ent *v;
	size_t n, cap;
} rebuild_ents;

/* rebuild_ents_add - append entry e of table tid. */
static int
rebuild_ents_add(rebuild_ents *es, const tbl_entry *e, uint16_t tid)
{
	if (es->n == es->cap) {
		size_t nc = es->cap ? es->cap * 2 : 32;
		sweep_ent *ne = realloc(es->v, nc * sizeof(*ne));

		if (ne == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		es->v = ne;
		es->cap = nc;
	}
	vd_sweep_ent(e, tid, &es->v[es->n++]);
	return VERDICT_OK;
}

/* rebuild_covering - table t's entries covering r with a shorter prefix:
 * one exact probe per prefix length */
static int
rebuild_covering(MDB_txn *txn, MDB_dbi dbi, uint16_t tid, const vcidr *r,
		 rebuild_ents *es)
{
	uint8_t key[ENTRIES_KEY_LEN];
	MDB_val k, v;
	tbl_entry e;
	int rc;

	for (unsigned p = 0; p < r->plen; p++) {
		vcidr cc = { r->net, (uint8_t)p };

		vd_addr_mask(&cc.net, p);
		vd_entries_key(key, &cc);
		k.mv_size = ENTRIES_KEY_LEN;
		k.mv_data = key;
		if (mdb_get(txn, dbi, &k, &v) != 0)
			continue;
		if (vd_entries_decode(&k, &v, &e) == 0 &&
		    (rc = rebuild_ents_add(es, &e, tid)) != 0)
			return rc;
	}
	return VERDICT_OK;
}

/* rebuild_inside - table t's entries inside r (from r's own key on) */
static int
rebuild_inside(MDB_txn *txn, MDB_dbi dbi, uint16_t tid, const vcidr *r,
	       const vaddr *hi, rebuild_ents *es)
{
	uint8_t key[ENTRIES_KEY_LEN];
	MDB_val k = { ENTRIES_KEY_LEN, key }, v;
	MDB_cursor *c;
	tbl_entry e;
	int rc;

	vd_entries_key(key, r);
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return vd_lmdb_env_err(rc, "entries");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (vd_entries_decode(&k, &v, &e) != 0)
			continue;
		if (vd_addr_cmp(&e.cidr.net, hi) > 0)
			break;
		if ((rc = rebuild_ents_add(es, &e, tid)) != 0) {
			mdb_cursor_close(c);
			return rc;
		}
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return vd_lmdb_env_err(rc, "entries");
	return VERDICT_OK;
}

/* Range rebuild output: the intervals inside the changed CIDR,
 * collected as end[16] | value. */
static int
rebuild_collect(const vaddr *s, const vaddr *e, const uint8_t *val,
		size_t len, void *arg)
{
	(void)s;
	if (vd_recs_add(arg, e->b, 16, val, len) != 0)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	return VERDICT_OK;
}

/* rebuild_span - the new intervals of [lo, hi] into so */
static int
rebuild_span(MDB_txn *txn, tbl_env *te, const vcidr *r, const vaddr *hi,
	     vd_recs *so)
{
	catalog_live ls;
	rebuild_ents es = { 0 };
	sweep sw;
	int rc;

	if ((rc = vd_catalog_live(txn, te, &ls)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	for (size_t t = 0; t < ls.n; t++) {
		if ((rc = rebuild_covering(txn, ls.dbi[t], ls.id[t], r,
					   &es)) != 0 ||
		    (rc = rebuild_inside(txn, ls.dbi[t], ls.id[t], r, hi,
					 &es)) != 0)
			goto out;
	}
	if (es.n > 1)
		qsort(es.v, es.n, sizeof(*es.v), vd_sweep_ent_cmp);
	vd_sweep_init(&sw, &r->net, hi, rebuild_collect, so);
	for (size_t i = 0; i < es.n && rc == 0; i++)
		rc = vd_sweep_push(&sw, &es.v[i]);
	if (rc == 0)
		rc = vd_sweep_finish(&sw);
	vd_sweep_free(&sw);
out:
	free(es.v);
	return rc;
}

/* rebuild_write4 - the IPv4 blocks over [lo, hi] rewritten */
static int
rebuild_write4(MDB_txn *txn, tbl_env *te, const vaddr *lo, const vaddr *hi,
	       const vd_recs *so)
{
	index_v4_iv *nv = malloc((so->n ? so->n : 1) * sizeof(*nv));
	int rc;

	if (nv == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < so->n; i++) {
		vaddr st, e;

		memcpy(e.b, so->rec[i], 16);
		memcpy(st.b, so->rec[i] + 16, 16);
		rebuild_iv4(&st, &e, so->rec[i] + 16, so->len[i] - 16, &nv[i]);
	}
	rc = vd_index_v4_replace(txn, te->cdbi[IX_DB4], vd_index_v4_key(lo),
				 vd_index_v4_key(hi), nv, so->n);
	free(nv);
	return rc ? vd_lmdb_env_err(rc, "index") : VERDICT_OK;
}

/* rebuild_cut6 - cut the old IPv6 intervals that overlap [lo, hi]: what
 * lies outside stays, trimmed at lo and hi */
static int
rebuild_cut6(MDB_txn *txn, tbl_env *te, MDB_cursor *c, const vaddr *lo,
	     const vaddr *hi)
{
	for (;;) {
		MDB_val k = { 16, (void *)lo->b }, v;
		uint8_t *old;
		size_t olen;
		vaddr os, oe;
		int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);

		if (rc == MDB_NOTFOUND)
			return VERDICT_OK;
		if (rc != 0 || v.mv_size < INDEX_HDR6 || k.mv_size != 16)
			return vd_lmdb_env_err(rc ? rc : MDB_CORRUPTED,
					       "index");
		memcpy(oe.b, k.mv_data, 16);
		memcpy(os.b, v.mv_data, 16);
		if (vd_addr_cmp(&os, hi) > 0)
			return VERDICT_OK;
		olen = v.mv_size;
		if ((old = malloc(olen)) == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		memcpy(old, v.mv_data, olen);
		if ((rc = mdb_cursor_del(c, 0)) == 0 &&
		    vd_addr_cmp(&os, lo) < 0) {
			vaddr left = *lo;

			vd_addr_dec(&left);
			rc = rebuild_put6(txn, te, &left, old, olen);
		}
		if (rc == 0 && vd_addr_cmp(&oe, hi) > 0) {
			vaddr right = *hi;

			vd_addr_inc(&right);
			memcpy(old, right.b, 16);
			rc = rebuild_put6(txn, te, &oe, old, olen);
		}
		free(old);
		if (rc != 0)
			return vd_lmdb_env_err(rc, "index");
	}
}

/* rebuild_write6 - the IPv6 intervals over [lo, hi] replaced */
static int
rebuild_write6(MDB_txn *txn, tbl_env *te, const vaddr *lo, const vaddr *hi,
	       const vd_recs *so)
{
	MDB_cursor *c;
	int rc;

	if ((rc = mdb_cursor_open(txn, te->cdbi[IX_DB6], &c)) != 0)
		return vd_lmdb_env_err(rc, "index");
	rc = rebuild_cut6(txn, te, c, lo, hi);
	mdb_cursor_close(c);
	for (size_t i = 0; i < so->n && rc == 0; i++) {
		vaddr e;

		memcpy(e.b, so->rec[i], 16);
		if ((rc = rebuild_put6(txn, te, &e, so->rec[i] + 16,
				       so->len[i] - 16)) != 0)
			rc = vd_lmdb_env_err(rc, "index");
	}
	return rc;
}

int
vd_index_rebuild_range(MDB_txn *txn, tbl_env *te, const vcidr *r)
{
	vd_recs so = { 0 };
	vaddr hi;
	int rc;

	vd_addr_last(r, &hi);
	if ((rc = rebuild_span(txn, te, r, &hi, &so)) == 0) {
		if (vd_addr_is_v4(&r->net))
			rc = rebuild_write4(txn, te, &r->net, &hi, &so);
		else
			rc = rebuild_write6(txn, te, &r->net, &hi, &so);
	}
	vd_recs_free(&so);
	return rc;
}
