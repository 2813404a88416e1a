/*
 * report.c - learned reputation: reports, forgiveness, the learned dump
 *
 *	verdict_report, verdict_report_ex	one report, queued
 *	verdict_report_flush			commit the queue now
 *	verdict_report_many			a whole batch, all or nothing
 *	verdict_report_counts			accepted, ignored, lost
 *	verdict_forgive				records inside a network
 *	verdict_learned_dump			a learned table's keys
 *	vd_report_resolve, _open, _close	the context's learned state
 *
 * The safety rules live here, before anything is queued: a report for
 * 127.0.0.1, ::1, one of the host's own addresses (read once at open),
 * the profile's trusted networks or an address its allow tables list is
 * ignored and counted, because a source the administrator trusts must
 * never be blocked by what a content filter concluded.  The rest of
 * 127.0.0.0/8 stays reportable so tests can use loopback sources.
 *
 * Diagnostics: "weight not finite", "weight outside -100..100",
 * "profile N names no learned table", "reason longer than 200 bytes".
 *
 * Limits: POLICY_LEARNED_MAX learned tables a profile,
 * LEARNQ_TABLES_MAX a context; own addresses as getifaddrs(3) lists them
 * at open.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cidr.h"
#include "clock.h"
#include "ctx.h"
#include "errors.h"

/* report_name - the context-wide index of a learned table name */
static int
report_name(verdict_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nlnames; i++)
		if (strcmp(ctx->lnames[i], name) == 0)
			return (int)i;
	if (ctx->nlnames == LEARNQ_TABLES_MAX)
		return -1;
	ctx->lnames[ctx->nlnames] = name;
	return (int)ctx->nlnames++;
}

/* report_params - the learn_* keys as the model takes them */
static void
report_params(verdict_ctx *ctx)
{
	const vd_config *c = ctx->cfg;

	ctx->learn.threshold = c->learn_threshold;
	ctx->learn.half_life = (uint32_t)c->learn_half_life;
	ctx->learn.max_half_life = (uint32_t)c->learn_max_half_life;
	ctx->learn.prefix_v4 = c->learn_prefix_v4;
	ctx->learn.prefix_v6 = c->learn_prefix_v6;
	ctx->learn.max_entries = (uint64_t)c->learn_max_entries;
}

int
vd_report_resolve(verdict_ctx *ctx, policy_profile *pr, unsigned flags)
{
	const config_strlist *l = &pr->cfg->learned_tables;

	report_params(ctx);
	pr->learn = &ctx->learn;
	for (size_t i = 0; i < l->n; i++) {
		uint16_t id;
		int kind, rc;

		if (pr->nlearned == POLICY_LEARNED_MAX ||
		    report_name(ctx, l->v[i]) < 0)
			return vd_err_set(VERDICT_ECONFIG, 0, "profile %d: more "
					   "than %d learned tables", pr->number,
					   POLICY_LEARNED_MAX);
		rc = vd_catalog_table_id(ctx->te, l->v[i], &id, &kind);
		if (rc == VERDICT_ENOENT && (flags & VERDICT_OPEN_NOTABLECHECK))
			continue;
		if (rc == VERDICT_ENOENT)
			return vd_err_set(VERDICT_ENOENT, 0, "%s: profile %d "
					   "names table \"%s\" in "
					   "learned_tables, but %s has no such "
					   "table (create it with 'verdict "
					   "table create %s --kind learned')",
					   ctx->cfg->path ? ctx->cfg->path :
					   "config", pr->number, l->v[i],
					   vd_ctx_dbdir(ctx), l->v[i]);
		if (rc != VERDICT_OK)
			return rc;
		if (kind != VERDICT_TABLE_LEARNED)
			return vd_err_set(VERDICT_ECONFIG, 0, "profile %d: "
					   "learned_tables names %s, which is "
					   "not a learned table", pr->number,
					   l->v[i]);
		if ((rc = vd_learned_dbi(ctx->te, id, &ctx->learn,
					 (uint64_t)vd_clock_wall_s(),
					 &pr->learned_dbi[pr->nlearned],
					 &pr->learned_bdbi[pr->nlearned])) != 0)
			return rc;
		pr->learned_names[pr->nlearned++] = l->v[i];
	}
	return VERDICT_OK;
}

/* report_own - the host's own addresses, which are never reported */
static void
report_own(verdict_ctx *ctx)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i; i = i->ifa_next)
		n++;
	if ((ctx->own = calloc(n ? n : 1, sizeof(*ctx->own))) == NULL) {
		freeifaddrs(ifa);
		return;
	}
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (sa && sa->sa_family == AF_INET)
			vd_addr_from_v4(&ctx->own[ctx->nown++], (const uint8_t *)
					&((const struct sockaddr_in *)
					  (const void *)sa)->sin_addr);
		else if (sa && sa->sa_family == AF_INET6)
			vd_addr_from_v6(&ctx->own[ctx->nown++], (const uint8_t *)
					&((const struct sockaddr_in6 *)
					  (const void *)sa)->sin6_addr);
	}
	freeifaddrs(ifa);
}

int
vd_report_open(verdict_ctx *ctx)
{
	const vd_config *c = ctx->cfg;

	report_params(ctx);
	if (ctx->te == NULL || !(ctx->flags & VERDICT_OPEN_WRITE))
		return VERDICT_OK;
	report_own(ctx);
	return vd_learnq_new(ctx->te, &ctx->learn, c->learn_commit_interval_ms,
			     ctx->lnames, ctx->nlnames, &ctx->lg, &ctx->lq);
}

void
vd_report_close(verdict_ctx *ctx)
{
	vd_learnq_free(ctx->lq);
	ctx->lq = NULL;
	free(ctx->own);
	ctx->own = NULL;
	ctx->nown = 0;
	ctx->nlnames = 0;
}

/* report_ready - a writing context and a profile with a learned table */
static int
report_ready(verdict_ctx *ctx, int profile, const policy_profile **pr)
{
	int rc = vd_ctx_ready(ctx, 1);

	if (rc != VERDICT_OK)
		return rc;
	if (vd_lmdb_env_forked(ctx->te))
		return vd_err_set(VERDICT_EFORK, 0, "context opened before "
				   "fork() used in the child");
	if ((*pr = vd_ctx_profile(ctx, profile)) == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "no [profile %d] in the "
				   "configuration", profile);
	if ((*pr)->nlearned == 0 || ctx->lq == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "profile %d names no "
				   "learned table (learned_tables)", profile);
	return VERDICT_OK;
}

/* report_check - one report's values, strictly */
static int
report_check(const char *ip, double weight, const char *reason, vaddr *a)
{
	if (ip == NULL || vd_addr_parse(ip, strlen(ip), a) != 0)
		return vd_err_set(VERDICT_EINVAL, 0, "malformed IP address "
				   "\"%.60s\"", ip ? ip : "");
	if (!isfinite(weight))
		return vd_err_set(VERDICT_EINVAL, 0, "weight is not a finite "
				   "number");
	if (weight < -LEARN_WEIGHT_MAX || weight > LEARN_WEIGHT_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "weight %g outside "
				   "-100..100", weight);
	if (reason && strlen(reason) > TBL_REASON_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "reason longer than %d "
				   "bytes", TBL_REASON_MAX);
	return VERDICT_OK;
}

/* report_ignored - 1 for an address the safety rules keep out; r is a
 * read transaction for the allow tables (NULL: none) */
static int
report_ignored(const verdict_ctx *ctx, const policy_profile *pr,
	       tbl_reader *r, const vaddr *a)
{
	static const vaddr lo4 = { { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff,
				     127,0,0,1 } };
	static const vaddr lo6 = { { 0,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,1 } };
	vcidr host = { *a, 128 };
	tbl_hit hits[POLICY_TABLES_MAX];

	if (memcmp(a, &lo4, 16) == 0 || memcmp(a, &lo6, 16) == 0)
		return 1;
	for (size_t i = 0; i < ctx->nown; i++)
		if (memcmp(a, &ctx->own[i], 16) == 0)
			return 1;
	for (size_t i = 0; i < pr->cfg->ntrusted; i++)
		if (vd_cidr_contains(&pr->cfg->trusted[i], &host))
			return 1;
	if (r == NULL || pr->nallow == 0 ||
	    vd_index_probe(r, a, pr->ids, pr->nallow, (uint32_t)time(NULL),
			   hits) != VERDICT_OK)
		return 0;
	for (size_t i = 0; i < pr->nallow; i++)
		if (hits[i].plen)
			return 1;
	return 0;
}

/* report_reader - a read transaction when the profile has allow tables */
static tbl_reader *
report_reader(const verdict_ctx *ctx, const policy_profile *pr)
{
	tbl_reader *r = NULL;

	if (pr->nallow &&
	    vd_lmdb_env_read_begin(ctx->te, vd_clock_now_ns() + VD_NS_PER_S,
				   &r) != VERDICT_OK)
		return NULL;
	return r;
}

VERDICT_API int
verdict_report_ex(verdict_ctx *ctx, int profile, const char *ip,
		  double weight, const char *reason)
{
	const policy_profile *pr = NULL;
	tbl_reader *r;
	vaddr a;
	vcidr key;
	int rc, ign, t;

	if ((rc = report_ready(ctx, profile, &pr)) != VERDICT_OK ||
	    (rc = report_check(ip, weight, reason, &a)) != VERDICT_OK)
		return rc;
	r = report_reader(ctx, pr);
	ign = report_ignored(ctx, pr, r, &a);
	if (r)
		vd_lmdb_env_read_end(ctx->te, r);
	if (ign) {
		vd_learnq_count(ctx->lq, 0, 1);
		return VERDICT_OK;
	}
	t = vd_learnq_table(ctx->lq, pr->learned_names[0]);
	vd_learned_key(&ctx->learn, &a, &key);
	return vd_learnq_add(ctx->lq, (uint8_t)t, &key, weight, reason,
			     reason ? strlen(reason) : 0);
}

/* report_first_profile - profile 1, or the first that names a learned
 * table */
static int
report_first_profile(const verdict_ctx *ctx)
{
	const policy_profile *pr = vd_ctx_profile(ctx, 1);

	if (pr && pr->nlearned)
		return 1;
	for (size_t i = 0; i < ctx->nprof; i++)
		if (ctx->prof[i].nlearned)
			return ctx->prof[i].number;
	return 1;
}

VERDICT_API int
verdict_report(verdict_ctx *ctx, const char *ip, double weight,
	       const char *reason)
{
	if (!ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "context not open");
	return verdict_report_ex(ctx, report_first_profile(ctx), ip, weight,
				 reason);
}

VERDICT_API int
verdict_report_flush(verdict_ctx *ctx)
{
	int rc = vd_ctx_ready(ctx, 1);

	if (rc != VERDICT_OK || ctx->lq == NULL)
		return rc;
	return vd_learnq_flush(ctx->lq);
}

/* many_fill - check every item, then the batch of those not ignored */
static int
many_fill(verdict_ctx *ctx, const policy_profile *pr,
	  const verdict_report_item *it, size_t n, size_t *bad,
	  learned_batch *b, size_t *ignored)
{
	uint8_t t = (uint8_t)vd_learnq_table(ctx->lq, pr->learned_names[0]);
	tbl_reader *r = report_reader(ctx, pr);
	int rc = VERDICT_OK;

	for (size_t i = 0; i < n; i++) {
		vaddr a;
		vcidr key;

		if ((rc = report_check(it[i].ip, it[i].weight, it[i].reason,
				       &a)) != VERDICT_OK) {
			if (bad)
				*bad = i;
			break;
		}
		if (report_ignored(ctx, pr, r, &a)) {
			(*ignored)++;
			continue;
		}
		vd_learned_key(&ctx->learn, &a, &key);
		rc = vd_learned_batch_add(b, t, &key, it[i].weight,
					  it[i].reason, it[i].reason ?
					  strlen(it[i].reason) : 0);
		if (rc != VERDICT_OK)
			break;
	}
	if (r)
		vd_lmdb_env_read_end(ctx->te, r);
	return rc;
}

VERDICT_API int
verdict_report_many(verdict_ctx *ctx, int profile,
		    const verdict_report_item *items, size_t n, size_t *bad,
		    size_t *ignored)
{
	learned_batch b;
	const policy_profile *pr = NULL;
	size_t ign = 0;
	int rc;

	memset(&b, 0, sizeof(b));
	if (ignored)
		*ignored = 0;
	if ((rc = report_ready(ctx, profile, &pr)) != VERDICT_OK)
		return rc;
	if (items == NULL && n > 0)
		return vd_err_set(VERDICT_EINVAL, 0, "no items");
	if ((rc = vd_learned_batch_reserve(&b, n)) == VERDICT_OK)
		rc = many_fill(ctx, pr, items, n, bad, &b, &ign);
	if (rc == VERDICT_OK)
		rc = vd_learnq_commit(ctx->lq, &b,
				      (uint64_t)vd_clock_wall_s());
	if (rc == VERDICT_OK) {
		vd_learnq_count(ctx->lq, b.n, ign);
		if (ignored)
			*ignored = ign;
	}
	vd_learned_batch_free(&b);
	return rc;
}

VERDICT_API void
verdict_report_counts(verdict_ctx *ctx, uint64_t *accepted,
		      uint64_t *ignored, uint64_t *lost)
{
	uint64_t z = 0;

	if (ctx == NULL || ctx->lq == NULL) {
		if (accepted)
			*accepted = z;
		if (ignored)
			*ignored = z;
		if (lost)
			*lost = z;
		return;
	}
	vd_learnq_counts(ctx->lq, accepted, ignored, lost);
}

VERDICT_API int
verdict_forgive(verdict_ctx *ctx, const char *cidr, size_t *removed)
{
	vcidr c;
	int rc = vd_ctx_ready(ctx, 1);

	if (removed)
		*removed = 0;
	if (rc != VERDICT_OK)
		return rc;
	if (cidr == NULL || vd_cidr_parse(cidr, strlen(cidr), &c) != CIDR_OK)
		return vd_err_set(VERDICT_EINVAL, 0, "malformed network "
				   "\"%.60s\"", cidr ? cidr : "");
	if (ctx->lq)
		vd_learnq_flush(ctx->lq);
	return vd_learned_forgive(ctx->te, &ctx->learn, &c, removed);
}

typedef struct ldump_arg {
	const learn_params *p;
	uint64_t now;
	int (*cb)(const verdict_learned_entry *, void *);
	void *arg;
} ldump_arg;

/* ldump_cb - a record as the public entry, its score as of now */
static int
ldump_cb(const vcidr *key, const learn_rec *r, void *arg)
{
	ldump_arg *a = arg;
	char kb[CIDR_TEXT_MAX];
	verdict_learned_entry e;

	vd_cidr_format(key, kb);
	e.key = kb;
	e.score = vd_learn_model_score(r, a->now);
	e.reports = r->reports;
	e.first_seen = (int64_t)r->first;
	e.last_seen = (int64_t)r->last;
	e.reason = r->rlen ? r->reason : NULL;
	e.half_life = r->half_life;
	e.blocked_until = (int64_t)vd_learn_model_until(a->p, r, a->now);
	return a->cb(&e, a->arg);
}

VERDICT_API int
verdict_learned_dump(verdict_ctx *ctx, const char *table,
		     int (*cb)(const verdict_learned_entry *, void *),
		     void *arg)
{
	ldump_arg a = { &ctx->learn, (uint64_t)vd_clock_wall_s(), cb, arg };
	int rc = vd_ctx_ready(ctx, 0);

	if (rc)
		return rc;
	if (table == NULL || !vd_catalog_name_ok(table))
		return vd_err_set(VERDICT_EINVAL, 0, "bad table name \"%.80s\"",
				   table ? table : "");
	return vd_learned_dump(ctx->te, table, ldump_cb, &a);
}
