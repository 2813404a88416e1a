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
 * Limits: at most POLICY_TABLES_MAX explicit tables; without a database
 * the feed is empty but well-formed.
 */
#include <stdio.h>
#include <time.h>

#include "errors.h"
#include "ctx.h"
#include "feed.h"

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
		return vd_err_set(VERDICT_EINVAL, 0, "table \"%s\" is an "
				   "allow table", name);
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

VERDICT_API int
verdict_feed(verdict_ctx *ctx, int profile, const char *const *tables,
	     int family, const char *format, const char *name,
	     const char *nft_table, int ranges, FILE *out)
{
	const policy_profile *pr;
	feed_tables ft;
	tbl_reader *r = NULL;
	feed_opts o = { 0 };
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
	rc = vd_feed_write(r, &o, out, NULL);
	vd_lmdb_env_read_end(ctx->te, r);
	return rc;
}
