/*
 * context.c - a context's life: create, configure, open, close
 *
 *	verdict_version		the library's version string
 *	verdict_version_number	the same as a number
 *	verdict_new, verdict_free
 *	verdict_set_log, verdict_load_config, verdict_set_database
 *	verdict_open		tables, GeoIP, DNSBL sites and resolver
 *	verdict_database_changed	the database directory made anew
 *	verdict_profile_exists, verdict_profile_callout, verdict_config_get
 *	vd_ctx_*		the context's state for the other api files
 *
 * A context is configured, opened, then read-only: every check reads
 * only immutable state plus LMDB (whose readers take no locks) and the
 * lock-free log limiter, so one opened context serves any number of
 * threads.  Configuring calls are refused after verdict_open so that no
 * thread ever sees a context change under it.  Errors leave a
 * thread-local detail (verdict_errdetail).
 *
 * The fork rule: an environment opened before fork() is never used in
 * the child (LMDB forbids it); the store notices (vd_lmdb_env_forked) and the
 * calls that read tables answer VERDICT_EFORK.
 *
 * Diagnostics: a configuration or list file writable by every user is
 * used, and logged (LOG_WARNING) because anyone could change what is
 * blocked.  A table named in a profile's allow_tables but made as a block
 * table (or the reverse) is logged.
 *
 * Limits: a profile names at most POLICY_TABLES_MAX tables; profile
 * numbers run from 1 to CONFIG_PROFILE_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "clock.h"
#include "ctx.h"
#include "dnsbl.h"
#include "geo.h"
#include "stats.h"

VERDICT_API const char *
verdict_version(void)
{
	return VERDICT_VERSION_STRING;
}

VERDICT_API int
verdict_version_number(void)
{
	return VERDICT_VERSION_NUMBER;
}

VERDICT_API verdict_ctx *
verdict_new(void)
{
	verdict_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	if ((ctx->cfg = vd_config_default()) == NULL) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

/* ctx_close - everything verdict_open made, in any state of completion */
static void
ctx_close(verdict_ctx *ctx)
{
	vd_report_close(ctx);
	for (size_t i = 0; i < ctx->nprof; i++)
		vd_sites_free(ctx->prof[i].sites);
	vd_stats_free(ctx->stats);
	ctx->stats = NULL;
	vd_dnsbl_engine_free(ctx->dns);
	ctx->dns = NULL;
	vd_geo_close(ctx->geo);
	ctx->geo = NULL;
	free(ctx->prof);
	ctx->prof = NULL;
	ctx->nprof = 0;
	vd_lmdb_env_close(ctx->te);
	ctx->te = NULL;
	ctx->opened = 0;
}

VERDICT_API void
verdict_free(verdict_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ctx_close(ctx);
	vd_config_free(ctx->cfg);
	free(ctx->database);
	free(ctx);
}

VERDICT_API int
verdict_set_log(verdict_ctx *ctx, verdict_log_fn fn, void *arg)
{
	if (ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "verdict_set_log after "
				   "verdict_open");
	ctx->lg.fn = fn;
	ctx->lg.arg = arg;
	return VERDICT_OK;
}

/* vd_ctx_warn_writable - a file that every local user may change decides
 * what is blocked: say so (LOG_WARNING), once per load or import. */
void
vd_ctx_warn_writable(verdict_ctx *ctx, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IWOTH))
		vd_log(&ctx->lg, LOG_WARNING, "%s %s is writable by every "
		       "user (mode %04o): anyone on this host can change what "
		       "is blocked; chmod o-w %s", what, path,
		       (unsigned)(st.st_mode & 07777), path);
}

VERDICT_API int
verdict_load_config(verdict_ctx *ctx, const char *path)
{
	vd_config *cfg;
	char err[1024];
	int eno = 0;

	if (ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "verdict_load_config "
				   "after verdict_open");
	if (vd_config_load(path, &cfg, err, sizeof(err), &eno) != 0) {
		if (eno == ENOENT)
			return vd_err_set(VERDICT_ENOENT, eno, "%s", err);
		if (eno == EACCES || eno == EPERM)
			return vd_err_set(VERDICT_EPERM, eno, "%s", err);
		if (eno == ENOMEM)
			return vd_err_set(VERDICT_ENOMEM, eno, "%s", err);
		if (eno)
			return vd_err_set(VERDICT_EIO, eno, "%s", err);
		return vd_err_set(VERDICT_ECONFIG, 0, "%s", err);
	}
	vd_config_free(ctx->cfg);
	ctx->cfg = cfg;
	vd_ctx_warn_writable(ctx, "configuration file", path);
	return VERDICT_OK;
}

VERDICT_API int
verdict_set_database(verdict_ctx *ctx, const char *path)
{
	char *p;

	if (ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "verdict_set_database "
				   "after verdict_open");
	if ((p = strdup(path)) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	free(ctx->database);
	ctx->database = p;
	return VERDICT_OK;
}

/* vd_ctx_dbdir - -d, else the configuration's database */
const char *
vd_ctx_dbdir(const verdict_ctx *ctx)
{
	return ctx->database ? ctx->database : ctx->cfg->database;
}

/* vd_ctx_profile - the runtime of profile number profile, or NULL */
const policy_profile *
vd_ctx_profile(const verdict_ctx *ctx, int profile)
{
	if (profile < 1 || profile > CONFIG_PROFILE_MAX ||
	    ctx->slot[profile] < 0)
		return NULL;
	return &ctx->prof[ctx->slot[profile]];
}

/* vd_ctx_profile_empty - nothing in the profile can block; verdict_open
 * keeps the answer in policy_profile.empty for the checks */
int
vd_ctx_profile_empty(const policy_profile *pr)
{
	const config_profile *p = pr->cfg;

	return p->allow_tables.n == 0 && p->block_tables.n == 0 &&
	       p->learned_tables.n == 0 &&
	       (p->dnsbl_sites == NULL || *p->dnsbl_sites == 0) &&
	       !vd_georule_profile_uses(p);
}

/* vd_ctx_src - what the policy layer reads of an opened context */
policy_src
vd_ctx_src(const verdict_ctx *ctx)
{
	policy_src s = { ctx->te, ctx->dns, ctx->geo };

	return s;
}

/* vd_ctx_ready - open with a database, and writable when asked */
int
vd_ctx_ready(const verdict_ctx *ctx, int write)
{
	if (!ctx->opened || ctx->te == NULL)
		return vd_err_set(VERDICT_ESTATE, 0, "context not open");
	if (write && !(ctx->flags & VERDICT_OPEN_WRITE))
		return vd_err_set(VERDICT_ESTATE, 0, "context opened "
				   "read-only");
	return VERDICT_OK;
}

/* prof_missing - a profile names a table the database lacks */
static int
prof_missing(const verdict_ctx *ctx, const policy_profile *pr,
	     const char *name, int block)
{
	return vd_err_set(VERDICT_ENOENT, 0, "%s: profile %d names table "
			   "\"%s\" in %s, but %s has no such table (create "
			   "it with 'verdict table create %s --kind %s')",
			   ctx->cfg->path ? ctx->cfg->path : "config",
			   pr->number, name, block ? "block_tables" :
			   "allow_tables", vd_ctx_dbdir(ctx), name,
			   block ? "block" : "allow");
}

/* prof_resolve - a profile's table names to ids, checking their kinds. */
static int
prof_resolve(verdict_ctx *ctx, policy_profile *pr, unsigned flags)
{
	const config_profile *p = pr->cfg;
	const config_strlist *lists[2] = { &p->allow_tables, &p->block_tables };
	const int kinds[2] = { VERDICT_TABLE_ALLOW, VERDICT_TABLE_BLOCK };

	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			size_t k = pr->nallow + pr->nblock;
			const char *name = lists[l]->v[i];
			uint16_t id;
			int kind, rc;

			if (k == POLICY_TABLES_MAX)
				return vd_err_set(VERDICT_ECONFIG, 0,
						   "profile %d: more than %d "
						   "tables", pr->number,
						   POLICY_TABLES_MAX);
			rc = vd_catalog_table_id(ctx->te, name, &id, &kind);
			if (rc == VERDICT_ENOENT &&
			    (flags & VERDICT_OPEN_NOTABLECHECK))
				continue;
			if (rc == VERDICT_ENOENT)
				return prof_missing(ctx, pr, name, l);
			if (rc != VERDICT_OK)
				return rc;
			if (kind == VERDICT_TABLE_LEARNED)
				return vd_err_set(VERDICT_ECONFIG, 0, "profile "
						   "%d: table %s is a learned "
						   "table; name it in "
						   "learned_tables", pr->number,
						   name);
			if (kind != kinds[l])
				vd_log(&ctx->lg, LOG_WARNING, "table %s is a "
				       "%s table but profile %d lists it in "
				       "%s", name, kind == VERDICT_TABLE_BLOCK
				       ? "block" : "allow", pr->number,
				       l ? "block_tables" : "allow_tables");
			pr->ids[k] = id;
			pr->names[k] = name;
			if (l == 0)
				pr->nallow++;
			else
				pr->nblock++;
		}
	}
	return VERDICT_OK;
}

/* open_profiles - one runtime a configured profile; 1 in *need_tables
 * when a profile names a table */
static int
open_profiles(verdict_ctx *ctx, int *need_tables)
{
	const vd_config *cfg = ctx->cfg;

	for (size_t i = 0; i <= CONFIG_PROFILE_MAX; i++)
		ctx->slot[i] = -1;
	ctx->prof = calloc(cfg->nprofiles, sizeof(*ctx->prof));
	if (ctx->prof == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	ctx->nprof = cfg->nprofiles;
	*need_tables = 0;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		ctx->prof[i].cfg = &cfg->profiles[i];
		ctx->prof[i].number = cfg->profiles[i].number;
		ctx->slot[cfg->profiles[i].number] = (int16_t)i;
		if (cfg->profiles[i].allow_tables.n ||
		    cfg->profiles[i].block_tables.n ||
		    cfg->profiles[i].learned_tables.n)
			*need_tables = 1;
	}
	return VERDICT_OK;
}

/* open_tables - the LMDB environment and every profile's table ids */
static int
open_tables(verdict_ctx *ctx, unsigned flags)
{
	const vd_config *cfg = ctx->cfg;
	int rc;

	rc = vd_lmdb_env_open(vd_ctx_dbdir(ctx), !!(flags & VERDICT_OPEN_WRITE),
			 !!(flags & VERDICT_OPEN_CREATE),
			 !!(flags & VERDICT_OPEN_BRIEF), cfg->database_mode,
			 cfg->database_group, &ctx->lg, &ctx->te);
	if (rc == VERDICT_ENOENT && (flags & VERDICT_OPEN_NOTABLECHECK))
		rc = VERDICT_OK;
	for (size_t i = 0; rc == VERDICT_OK && i < ctx->nprof && ctx->te; i++)
		rc = prof_resolve(ctx, &ctx->prof[i], flags);
	for (size_t i = 0; rc == VERDICT_OK && i < ctx->nprof && ctx->te; i++)
		rc = vd_report_resolve(ctx, &ctx->prof[i], flags);
	if (rc == VERDICT_OK)
		rc = vd_report_open(ctx);
	return rc;
}

/* open_geo - the MMDB files, and which profiles read them */
static int
open_geo(verdict_ctx *ctx)
{
	int rc;

	if ((rc = vd_geo_open(ctx->cfg, &ctx->lg, &ctx->geo)) != VERDICT_OK)
		return rc;
	for (size_t i = 0; i < ctx->nprof; i++) {
		const config_profile *p = ctx->prof[i].cfg;

		ctx->prof[i].uses_geo = vd_georule_profile_uses(p);
		ctx->prof[i].geo_in_reply =
		    strstr(p->reply, "%{country}") ||
		    strstr(p->reply, "%{asn}") ||
		    strstr(p->tempfail_reply, "%{country}") ||
		    strstr(p->tempfail_reply, "%{asn}");
	}
	return VERDICT_OK;
}

/* open_zones - a record for every profile's every zone, made now: the
 * engine names a zone in lines of no single profile by the display name
 * of any profile that maps it (a DQS key stays out of the log), which it
 * can only know before the first check if every profile is seen first */
static int
open_zones(verdict_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nprof; i++)
		if (ctx->prof[i].sites != NULL &&
		    vd_dnsbl_engine_zones(ctx->dns, ctx->prof[i].sites) != 0)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM,
					   "out of memory");
	return VERDICT_OK;
}

/* open_dnsbl - every profile's dnsbl_sites, and the resolver when one
 * has any (and the caller did not say VERDICT_OPEN_NODNS) */
static int
open_dnsbl(verdict_ctx *ctx, unsigned flags)
{
	const vd_config *cfg = ctx->cfg;
	int any = 0, rc;

	for (size_t i = 0; i < ctx->nprof; i++) {
		const config_profile *p = ctx->prof[i].cfg;
		char err[512];

		if (p->dnsbl_sites == NULL || *p->dnsbl_sites == 0)
			continue;
		if (vd_sites_parse(p->dnsbl_sites, &p->dnsbl_reply_names,
					 &ctx->prof[i].sites, err,
					 sizeof(err)) != 0)
			return vd_err_set(VERDICT_ECONFIG, 0, "%s:%d: "
					   "dnsbl_sites: %s", cfg->path ?
					   cfg->path : "config",
					   p->dnsbl_sites_line, err);
		any = 1;
	}
	if (!any || (flags & VERDICT_OPEN_NODNS))
		return VERDICT_OK;
	if ((rc = vd_dnsbl_engine_new(cfg, &ctx->lg, &ctx->dns)) != VERDICT_OK)
		return rc;
	return open_zones(ctx);
}

VERDICT_API int
verdict_open(verdict_ctx *ctx, unsigned flags)
{
	int rc, need_tables = 0;

	if (ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "context already open");
	if ((rc = open_profiles(ctx, &need_tables)) != VERDICT_OK)
		return rc;
	ctx->flags = flags;
	if (need_tables || (flags & (VERDICT_OPEN_WRITE |
				     VERDICT_OPEN_NOTABLECHECK)))
		if ((rc = open_tables(ctx, flags)) != VERDICT_OK)
			goto fail;
	if ((rc = open_geo(ctx)) != VERDICT_OK)
		goto fail;
	if ((rc = open_dnsbl(ctx, flags)) != VERDICT_OK)
		goto fail;
	if (!ctx->nostats &&
	    (ctx->stats = vd_stats_new(ctx->prof, ctx->nprof)) == NULL) {
		rc = vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ctx->nprof; i++)
		ctx->prof[i].empty = vd_ctx_profile_empty(&ctx->prof[i]);
	vd_logline_init(&ctx->log, &ctx->lg, ctx->cfg->log_rate_limit);
	ctx->opened = 1;
	return VERDICT_OK;
fail:
	ctx_close(ctx);
	return rc;
}

/* verdict_database_changed - see verdict.h: one stat() a second at
 * most, decided by one atomic timestamp; a replacement seen stays seen */
VERDICT_API int
verdict_database_changed(verdict_ctx *ctx)
{
	int64_t now, next;

	if (!ctx->opened || ctx->te == NULL || vd_lmdb_env_forked(ctx->te))
		return 0;
	if (__atomic_load_n(&ctx->db_changed, __ATOMIC_RELAXED))
		return 1;
	now = vd_clock_coarse_ns();
	next = __atomic_load_n(&ctx->db_next_check, __ATOMIC_RELAXED);
	if (now < next || !__atomic_compare_exchange_n(&ctx->db_next_check,
	    &next, now + VD_NS_PER_S, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	if (!vd_lmdb_env_replaced(ctx->te))
		return 0;
	__atomic_store_n(&ctx->db_changed, 1, __ATOMIC_RELAXED);
	return 1;
}

VERDICT_API int
verdict_profile_exists(const verdict_ctx *ctx, int profile)
{
	return vd_config_profile_get(ctx->cfg, profile) != NULL;
}

VERDICT_API int
verdict_profile_callout(const verdict_ctx *ctx, int profile, long *timeout_us,
			int *tempfail_reject)
{
	const config_profile *p = vd_config_profile_get(ctx->cfg, profile);

	if (p == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "no [profile %d] in the "
				   "configuration", profile);
	if (timeout_us)
		*timeout_us = (long)p->callout_timeout_ms * 1000;
	if (tempfail_reject)
		*tempfail_reject = p->callout_tempfail ==
				   CALLOUT_TEMPFAIL_REJECT;
	return VERDICT_OK;
}

/* config_profiles - milter_profiles as "name=value,..." into buf */
static int
config_profiles(const vd_config *c, const char *key, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	for (size_t i = 0; i < c->milter_profiles.n; i++) {
		n = snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "",
			     c->milter_profiles.v[i].name,
			     c->milter_profiles.v[i].value);
		if (n < 0 || (size_t)n >= len - off)
			return vd_err_set(VERDICT_ERANGE, 0, "%s: value "
					   "longer than %zu bytes", key,
					   len - 1);
		off += (size_t)n;
	}
	return VERDICT_OK;
}

/* verdict_config_get - global front-end keys as text (see verdict.h) */
VERDICT_API int
verdict_config_get(const verdict_ctx *ctx, const char *key, char *buf,
		   size_t len)
{
	const vd_config *c = ctx->cfg;
	const char *s = NULL;
	char num[32];
	int n;

	if (buf == NULL || len == 0 || key == NULL)
		return vd_err_set(VERDICT_EINVAL, 0, "verdict_config_get: no "
				   "key or buffer");
	buf[0] = 0;
	if (strcmp(key, "database") == 0) {
		s = vd_ctx_dbdir(ctx);
	} else if (strcmp(key, "milter_socket") == 0) {
		s = c->milter_socket;
	} else if (strcmp(key, "milter_user") == 0) {
		s = c->milter_user;
	} else if (strcmp(key, "milter_pidfile") == 0) {
		s = c->milter_pidfile;
	} else if (strcmp(key, "milter_timeout") == 0 ||
		   strcmp(key, "stats_interval") == 0) {
		snprintf(num, sizeof(num), "%lld", (long long)(key[0] == 'm' ?
			 c->milter_timeout : c->stats_interval));
		s = num;
	} else if (strcmp(key, "metrics_listen") == 0) {
		s = c->metrics_listen;
	} else if (strcmp(key, "metrics_dir") == 0) {
		s = c->metrics_dir;
	} else if (strcmp(key, "metrics_interval") == 0) {
		snprintf(num, sizeof(num), "%lld",
			 (long long)c->metrics_interval);
		s = num;
	} else if (strcmp(key, "milter_stage") == 0) {
		s = c->milter_stage == MILTER_STAGE_MAIL ? "mail" : "connect";
	} else if (strcmp(key, "milter_learn") == 0) {
		s = c->milter_learn ? "yes" : "no";
	} else if (strcmp(key, "learn_header") == 0) {
		s = c->learn_header;
	} else if (strcmp(key, "milter_profiles") == 0) {
		return config_profiles(c, key, buf, len);
	} else {
		return vd_err_set(VERDICT_EINVAL, 0, "verdict_config_get: "
				   "unknown key \"%.60s\"", key);
	}
	if (s == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "%s is not set", key);
	n = snprintf(buf, len, "%s", s);
	if (n < 0 || (size_t)n >= len)
		return vd_err_set(VERDICT_ERANGE, 0, "%s: value longer than "
				   "%zu bytes", key, len - 1);
	return VERDICT_OK;
}
