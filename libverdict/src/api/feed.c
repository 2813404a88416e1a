/*
 * feed.c - verdict_feed: a profile's block tables as a firewall feed
 *
 *	verdict_feed	the networks a profile blocks, less what it
 *			allows and trusts, in nft, ipset, pf, plain,
 *			postfix, rbldnsd or json form
 *
 * The feed is written inside one read transaction, so it shows the
 * tables as one moment saw them, however long the writing takes.  The
 * work is the feed layer's (feed/feed.c); this file checks the caller's
 * arguments and gathers the table ids, the allow tables and the trusted
 * networks of the profile.  Explicit tables replace the profile's block
 * tables only; its allow tables and trusted networks still punch holes.
 *
 * Diagnostics: "unknown feed format", "set and table names are 1 to N of
 * A-Z a-z 0-9 _ -", "no table", "table T is an allow table".
 *
 * The profile's learned tables add their blocked keys (feed_learned),
 * each with the seconds until it falls below the threshold; a key that
 * a trusted network overlaps, or whose first or last address an allow
 * table lists, is left out, as a check would let those addresses in.
 *
 * Limits: at most POLICY_TABLES_MAX explicit tables; without a database
 * the feed is empty but well-formed.  An allow entry strictly inside a
 * learned key (an address in a blocked /64) does not keep the key out
 * of the feed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "ctx.h"
#include "feed.h"
#include "cidr.h"
#include "clock.h"

typedef struct feed_tables {
	uint16_t ids[POLICY_TABLES_MAX];
	const char *names[POLICY_TABLES_MAX];
	size_t n;
} feed_tables;

/* feed_table - one explicit table: a block table in the database */
static int
feed_table(verdict_ctx *ctx, const char *name, uint16_t *id)
{
	int kind, rc;

	if (!vd_catalog_name_ok(name))
		return vd_err_set(VERDICT_EINVAL, 0, "bad table name "
				   "\"%.80s\"", name);
	if (ctx->te == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "no table \"%s\": no "
				   "database open", name);
	rc = vd_catalog_table_id(ctx->te, name, id, &kind);
	if (rc == VERDICT_ENOENT)
		return vd_err_set(rc, 0, "no table \"%s\"", name);
	if (rc)
		return rc;
	if (kind != VERDICT_TABLE_BLOCK)
		return vd_err_set(VERDICT_EINVAL, 0, "table \"%s\" is %s "
				   "table", name, kind == VERDICT_TABLE_LEARNED ?
				   "a learned" : "an allow");
	return VERDICT_OK;
}

/* feed_blocks - the block tables: the caller's, else the profile's */
static int
feed_blocks(verdict_ctx *ctx, const policy_profile *pr,
	    const char *const *tables, feed_tables *ft, feed_opts *o)
{
	int rc;

	if (tables == NULL) {
		o->block = pr->ids + pr->nallow;
		o->block_names = pr->names + pr->nallow;
		o->nblock = pr->nblock;
		return VERDICT_OK;
	}
	for (ft->n = 0; tables[ft->n]; ft->n++) {
		if (ft->n == POLICY_TABLES_MAX)
			return vd_err_set(VERDICT_EINVAL, 0, "more than %d "
					   "tables", POLICY_TABLES_MAX);
		if ((rc = feed_table(ctx, tables[ft->n], &ft->ids[ft->n])))
			return rc;
		ft->names[ft->n] = tables[ft->n];
	}
	o->block = ft->ids;
	o->block_names = ft->names;
	o->nblock = ft->n;
	return VERDICT_OK;
}

/* feed_args - the checks on the caller's format, names and family */
static int
feed_args(const char *format, const char *name, const char *nft_table,
	  int family, feed_opts *o)
{
	if ((o->format = vd_feed_format_parse(format ? format : "")) < 0)
		return vd_err_set(VERDICT_EINVAL, 0, "unknown feed format "
				   "\"%.40s\" (nft, ipset, pf, plain, postfix, "
				   "rbldnsd, rbldnsd6, json)", format ? format :
				   "");
	if ((name && !vd_feed_name_ok(name)) ||
	    (nft_table && !vd_feed_name_ok(nft_table)))
		return vd_err_set(VERDICT_EINVAL, 0, "set and table names "
				   "are 1 to %d of A-Z a-z 0-9 _ -",
				   FEED_NAME_MAX);
	if (family != 0 && family != 4 && family != 6)
		return vd_err_set(VERDICT_EINVAL, 0, "family is 0, 4 or 6");
	o->family = family;
	o->name = name;
	o->nft_table = nft_table;
	return VERDICT_OK;
}

typedef struct learned_acc {
	feed_learned *v;
	size_t n, cap;
} learned_acc;

/* learned_keep - 1 when no trusted network overlaps key and no allow
 * table lists its first or last address */
static int
learned_keep(const policy_profile *pr, tbl_reader *r, const vcidr *key)
{
	tbl_hit hits[POLICY_TABLES_MAX];
	vaddr ends[2];

	for (size_t i = 0; i < pr->cfg->ntrusted; i++)
		if (vd_cidr_contains(&pr->cfg->trusted[i], key) ||
		    vd_cidr_contains(key, &pr->cfg->trusted[i]))
			return 0;
	if (pr->nallow == 0)
		return 1;
	ends[0] = key->net;
	vd_addr_last(key, &ends[1]);
	for (int e = 0; e < 2; e++) {
		if (vd_index_probe(r, &ends[e], pr->ids, pr->nallow,
				   (uint32_t)time(NULL), hits) != VERDICT_OK)
			return 0;
		for (size_t i = 0; i < pr->nallow; i++)
			if (hits[i].plen)
				return 0;
	}
	return 1;
}

/* learned_table - the blocked keys of one learned table into acc */
static int
learned_table(const policy_profile *pr, tbl_reader *r, MDB_dbi dbi,
	      uint64_t now, learned_acc *acc)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(r->txn, dbi, &c)) != 0)
		return vd_lmdb_env_err(rc, "learned table");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		learn_rec rec;
		feed_learned fl;
		uint64_t until;

		if (k.mv_size != ENTRIES_KEY_LEN || vd_learned_decode(&v, &rec))
			continue;
		if ((until = vd_learn_model_until(pr->learn, &rec, now)) == 0)
			continue;
		memcpy(&fl.key.net, k.mv_data, 16);
		fl.key.plen = ((uint8_t *)k.mv_data)[16];
		if (!learned_keep(pr, r, &fl.key))
			continue;
		fl.timeout = until - now > UINT32_MAX ? UINT32_MAX :
			     (uint32_t)(until - now);
		if (acc->n == acc->cap) {
			size_t cap = acc->cap ? acc->cap * 2 : 256;
			feed_learned *nv = realloc(acc->v, cap * sizeof(*nv));

			if (nv == NULL) {
				mdb_cursor_close(c);
				return vd_err_set(VERDICT_ENOMEM, ENOMEM,
						   "out of memory");
			}
			acc->v = nv;
			acc->cap = cap;
		}
		acc->v[acc->n++] = fl;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? VERDICT_OK :
	       vd_lmdb_env_err(rc, "learned table");
}

static int
learned_cmp(const void *x, const void *y)
{
	const feed_learned *a = x, *b = y;

	return vd_cidr_cmp(&a->key, &b->key);
}

/* feed_learned_all - every learned table's blocked keys, sorted, one
 * element a key (the longest timeout of its tables) */
static int
feed_learned_all(const policy_profile *pr, tbl_reader *r, learned_acc *acc)
{
	uint64_t now = (uint64_t)vd_clock_wall_s();
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < pr->nlearned; i++)
		if ((rc = learned_table(pr, r, pr->learned_dbi[i], now,
					acc)) != VERDICT_OK)
			return rc;
	if (acc->n == 0)
		return VERDICT_OK;
	qsort(acc->v, acc->n, sizeof(*acc->v), learned_cmp);
	for (size_t i = 0; i < acc->n; i++) {
		if (n && vd_cidr_cmp(&acc->v[n - 1].key, &acc->v[i].key) == 0) {
			if (acc->v[i].timeout > acc->v[n - 1].timeout)
				acc->v[n - 1].timeout = acc->v[i].timeout;
			continue;
		}
		acc->v[n++] = acc->v[i];
	}
	acc->n = n;
	return VERDICT_OK;
}

VERDICT_API int
verdict_feed(verdict_ctx *ctx, int profile, const char *const *tables,
	     int family, const char *format, const char *name,
	     const char *nft_table, int ranges, FILE *out)
{
	const policy_profile *pr;
	feed_tables ft;
	tbl_reader *r = NULL;
	feed_opts o = { 0 };
	learned_acc la = { NULL, 0, 0 };
	int rc;

	if (!ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "context not open");
	if (ctx->te && vd_lmdb_env_forked(ctx->te))
		return vd_err_set(VERDICT_EFORK, 0, "context opened before "
				   "fork() cannot be used in the child");
	if ((pr = vd_ctx_profile(ctx, profile)) == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "no [profile %d]",
				   profile);
	if ((rc = feed_args(format, name, nft_table, family, &o)) != 0 ||
	    (rc = feed_blocks(ctx, pr, tables, &ft, &o)) != 0)
		return rc;
	o.allow = pr->ids;
	o.nallow = pr->nallow;
	o.trusted = pr->cfg->trusted;
	o.ntrusted = pr->cfg->ntrusted;
	o.ranges = ranges;
	o.now = (uint32_t)time(NULL);
	if (ctx->te == NULL) {
		o.nblock = 0;		/* no database: an empty feed */
		return vd_feed_write(NULL, &o, out, NULL);
	}
	if ((rc = vd_lmdb_env_read_begin(ctx->te, 0, &r)) != VERDICT_OK)
		return rc;
	o.with_learned = pr->nlearned > 0;
	rc = feed_learned_all(pr, r, &la);
	o.learned = la.v;
	o.nlearned = la.n;
	if (rc == VERDICT_OK)
		rc = vd_feed_write(r, &o, out, NULL);
	vd_lmdb_env_read_end(ctx->te, r);
	free(la.v);
	return rc;
}
