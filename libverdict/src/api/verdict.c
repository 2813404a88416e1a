/*
 * verdict.c - public API glue: contexts, checks, results, table admin
 *
 *	verdict_new/free/set_log/load_config/set_database/open
 *	verdict_check, verdict_check_ex, verdict_check_sockaddr
 *	verdict_result_* accessors
 *	verdict_table_*, verdict_add/del/import/dump/expire
 *
 * A context is configured, opened, then read-only: every check reads only
 * immutable state plus LMDB (whose readers take no locks) and the
 * lock-free log rate limiter, so one opened context serves any number of
 * threads.  Errors leave a thread-local detail (verdict_errdetail).
 *
 * Diagnostics: a configuration or list file writable by every user is
 * used, and logged (LOG_WARNING) because anyone could change what is
 * blocked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ctx.h"
#include "listfile.h"
#include "geo.h"
#include "dnsbl.h"

VERDICT_API const char *
verdict_version(void)
{
	return VERDICT_VERSION_STRING;
}

VERDICT_API const char *
verdict_strerror(int err)
{
	static const char *msg[] = {
		[VERDICT_OK] = "Success.",
		[VERDICT_EINVAL] = "Malformed argument (address, network or "
				   "name).",
		[VERDICT_ENOMEM] = "Out of memory.",
		[VERDICT_ECONFIG] = "The configuration file has an error.",
		[VERDICT_EDB] = "The database (LMDB) reported an error.",
		[VERDICT_ENOENT] = "No such table, entry, profile or file.",
		[VERDICT_EEXIST] = "The table or entry exists already.",
		[VERDICT_EPERM] = "Permission denied.",
		[VERDICT_EIO] = "Reading or writing a file failed.",
		[VERDICT_EBADLIST] = "Import aborted: the list has more bad "
				     "lines than allowed.",
		[VERDICT_ESHRINK] = "Import aborted: the table would shrink "
				    "by more than half.",
		[VERDICT_ETIMEOUT] = "The deadline passed.",
		[VERDICT_EFORK] = "The context was opened before fork() and "
				  "cannot be used in the child.",
		[VERDICT_ESTATE] = "The call is not allowed in this state of "
				   "the context.",
		[VERDICT_ERANGE] = "Value out of range.",
		[VERDICT_EDNS] = "The DNS resolver could not be started.",
		[VERDICT_EBUSY] = "Resource busy.",
		[VERDICT_EGEO] = "A GeoIP database could not be read.",
	};

	if (err < 0 || (size_t)err >= sizeof(msg) / sizeof(msg[0]) ||
	    msg[err] == NULL)
		return "Unknown error.";
	return msg[err];
}

VERDICT_API const char *
verdict_kind_name(int kind)
{
	switch (kind) {
	case VERDICT_NEUTRAL: return "neutral";
	case VERDICT_ALLOW: return "allow";
	case VERDICT_BLOCK: return "block";
	case VERDICT_TEMPFAIL: return "tempfail";
	default: return "error";
	}
}

/* ------------------------------------------------------------- context */

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

static void
ctx_close(verdict_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nprof; i++)
		vd_dnsbl_sites_free(ctx->prof[i].sites);
	vd_dnsbl_engine_free(ctx->dns);
	ctx->dns = NULL;
	vd_geo_close(ctx->geo);
	ctx->geo = NULL;
	free(ctx->prof);
	ctx->prof = NULL;
	ctx->nprof = 0;
	vd_tbl_close(ctx->te);
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
		return vd_util_err(VERDICT_ESTATE, 0, "verdict_set_log after "
				"verdict_open");
	ctx->lg.fn = fn;
	ctx->lg.arg = arg;
	return VERDICT_OK;
}

/* warn_world_writable - a file that every local user may change decides
 * what is blocked: say so (LOG_WARNING), once per load or import. */
static void
warn_world_writable(verdict_ctx *ctx, const char *what, const char *path)
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
		return vd_util_err(VERDICT_ESTATE, 0, "verdict_load_config after "
				"verdict_open");
	if (vd_config_load(path, &cfg, err, sizeof(err), &eno) != 0) {
		if (eno == ENOENT)
			return vd_util_err(VERDICT_ENOENT, eno, "%s", err);
		if (eno == EACCES || eno == EPERM)
			return vd_util_err(VERDICT_EPERM, eno, "%s", err);
		if (eno == ENOMEM)
			return vd_util_err(VERDICT_ENOMEM, eno, "%s", err);
		if (eno)
			return vd_util_err(VERDICT_EIO, eno, "%s", err);
		return vd_util_err(VERDICT_ECONFIG, 0, "%s", err);
	}
	vd_config_free(ctx->cfg);
	ctx->cfg = cfg;
	warn_world_writable(ctx, "configuration file", path);
	return VERDICT_OK;
}

VERDICT_API int
verdict_set_database(verdict_ctx *ctx, const char *path)
{
	char *p;

	if (ctx->opened)
		return vd_util_err(VERDICT_ESTATE, 0, "verdict_set_database after "
				"verdict_open");
	if ((p = strdup(path)) == NULL)
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	free(ctx->database);
	ctx->database = p;
	return VERDICT_OK;
}

static const char *
ctx_dbdir(const verdict_ctx *ctx)
{
	return ctx->database ? ctx->database : ctx->cfg->database;
}

/* prof_resolve - a profile's table names to ids, checking their kinds. */
static int
prof_resolve(verdict_ctx *ctx, prof_rt *pr, unsigned flags)
{
	const config_profile *p = pr->cfg;
	const config_strlist *lists[2] = { &p->allow_tables, &p->block_tables };
	const int kinds[2] = { VERDICT_TABLE_ALLOW, VERDICT_TABLE_BLOCK };

	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			size_t k = pr->nallow + pr->nblock;
			uint16_t id;
			int kind, rc;

			if (k == PROF_TABLES_MAX)
				return vd_util_err(VERDICT_ECONFIG, 0, "profile "
						"%d: more than %d tables",
						pr->number, PROF_TABLES_MAX);
			rc = vd_tbl_table_id(ctx->te, lists[l]->v[i], &id, &kind);
			if (rc == VERDICT_ENOENT &&
			    (flags & VERDICT_OPEN_NOTABLECHECK))
				continue;
			if (rc == VERDICT_ENOENT)
				return vd_util_err(VERDICT_ENOENT, 0, "%s: "
						"profile %d names table \"%s\""
						" in %s, but %s has no such "
						"table (create it with "
						"'verdict table create %s "
						"--kind %s')",
						ctx->cfg->path ? ctx->cfg->path
						: "config", pr->number,
						lists[l]->v[i], l ?
						"block_tables" : "allow_tables",
						ctx_dbdir(ctx), lists[l]->v[i],
						l ? "block" : "allow");
			if (rc != VERDICT_OK)
				return rc;
			if (kind != kinds[l])
				vd_log(&ctx->lg, LOG_WARNING, "table %s is a "
				       "%s table but profile %d lists it in "
				       "%s", lists[l]->v[i],
				       kind == VERDICT_TABLE_BLOCK ? "block" :
				       "allow", pr->number, l ?
				       "block_tables" : "allow_tables");
			pr->ids[k] = id;
			pr->names[k] = lists[l]->v[i];
			if (l == 0)
				pr->nallow++;
			else
				pr->nblock++;
		}
	}
	return VERDICT_OK;
}

VERDICT_API int
verdict_open(verdict_ctx *ctx, unsigned flags)
{
	const vd_config *cfg = ctx->cfg;
	int rc, need_tables = 0;

	if (ctx->opened)
		return vd_util_err(VERDICT_ESTATE, 0, "context already open");
	for (size_t i = 0; i <= CONFIG_PROFILE_MAX; i++)
		ctx->slot[i] = -1;
	ctx->prof = calloc(cfg->nprofiles, sizeof(*ctx->prof));
	if (ctx->prof == NULL)
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	ctx->nprof = cfg->nprofiles;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		ctx->prof[i].cfg = &cfg->profiles[i];
		ctx->prof[i].number = cfg->profiles[i].number;
		ctx->slot[cfg->profiles[i].number] = (int16_t)i;
		if (cfg->profiles[i].allow_tables.n ||
		    cfg->profiles[i].block_tables.n)
			need_tables = 1;
	}
	ctx->flags = flags;
	if (need_tables || (flags & (VERDICT_OPEN_WRITE |
				     VERDICT_OPEN_NOTABLECHECK))) {
		rc = vd_tbl_open(ctx_dbdir(ctx), !!(flags & VERDICT_OPEN_WRITE),
			      !!(flags & VERDICT_OPEN_CREATE),
			      cfg->database_mode, cfg->database_group,
			      &ctx->lg, &ctx->te);
		if (rc == VERDICT_ENOENT && (flags & VERDICT_OPEN_NOTABLECHECK))
			rc = VERDICT_OK;
		if (rc != VERDICT_OK)
			goto fail;
		for (size_t i = 0; i < ctx->nprof && ctx->te; i++)
			if ((rc = prof_resolve(ctx, &ctx->prof[i], flags)))
				goto fail;
	}
	if ((rc = vd_geo_open(cfg, &ctx->lg, &ctx->geo)) != VERDICT_OK)
		goto fail;
	for (size_t i = 0; i < ctx->nprof; i++) {
		const config_profile *p = ctx->prof[i].cfg;

		ctx->prof[i].uses_geo = vd_geo_profile_uses(p);
		ctx->prof[i].geo_in_reply =
		    strstr(p->reply, "%{country}") || strstr(p->reply, "%{asn}") ||
		    strstr(p->tempfail_reply, "%{country}") ||
		    strstr(p->tempfail_reply, "%{asn}");
	}
	{
		int any = 0;

		for (size_t i = 0; i < ctx->nprof; i++) {
			const config_profile *p = ctx->prof[i].cfg;
			char err[512];

			if (p->dnsbl_sites == NULL || *p->dnsbl_sites == 0)
				continue;
			if (vd_dnsbl_sites_parse(p->dnsbl_sites,
					      &p->dnsbl_reply_names,
					      &ctx->prof[i].sites, err,
					      sizeof(err)) != 0) {
				rc = vd_util_err(VERDICT_ECONFIG, 0, "%s:%d: "
					      "dnsbl_sites: %s",
					      cfg->path ? cfg->path : "config",
					      p->dnsbl_sites_line, err);
				goto fail;
			}
			any = 1;
		}
		if (any && !(flags & VERDICT_OPEN_NODNS) &&
		    (rc = vd_dnsbl_engine_new(cfg, &ctx->lg, &ctx->dns)) != 0)
			goto fail;
	}
	ctx->opened = 1;
	return VERDICT_OK;
fail:
	ctx_close(ctx);
	return rc;
}

VERDICT_API int
verdict_profile_exists(const verdict_ctx *ctx, int profile)
{
	return vd_config_profile_get(ctx->cfg, profile) != NULL;
}

/* verdict_config_get - global front-end keys as text (see verdict.h) */
VERDICT_API int
verdict_config_get(const verdict_ctx *ctx, const char *key, char *buf,
		   size_t len)
{
	const vd_config *c = ctx->cfg;
	const char *s = NULL;
	char num[32];
	size_t i, off;
	int n;

	if (buf == NULL || len == 0 || key == NULL)
		return vd_util_err(VERDICT_EINVAL, 0, "verdict_config_get: no "
				"key or buffer");
	buf[0] = 0;
	if (strcmp(key, "database") == 0) {
		s = ctx_dbdir(ctx);
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
	} else if (strcmp(key, "milter_stage") == 0) {
		s = c->milter_stage == MILTER_STAGE_MAIL ? "mail" : "connect";
	} else if (strcmp(key, "milter_profiles") == 0) {
		for (i = 0, off = 0; i < c->milter_profiles.n; i++) {
			n = snprintf(buf + off, len - off, "%s%s=%s",
				     i ? "," : "", c->milter_profiles.v[i].name,
				     c->milter_profiles.v[i].value);
			if (n < 0 || (size_t)n >= len - off)
				return vd_util_err(VERDICT_ERANGE, 0, "%s: value "
						"longer than %zu bytes", key,
						len - 1);
			off += (size_t)n;
		}
		return VERDICT_OK;
	} else {
		return vd_util_err(VERDICT_EINVAL, 0, "verdict_config_get: "
				"unknown key \"%.60s\"", key);
	}
	if (s == NULL)
		return vd_util_err(VERDICT_ENOENT, 0, "%s is not set", key);
	n = snprintf(buf, len, "%s", s);
	if (n < 0 || (size_t)n >= len)
		return vd_util_err(VERDICT_ERANGE, 0, "%s: value longer than %zu "
				"bytes", key, len - 1);
	return VERDICT_OK;
}

VERDICT_API int
verdict_profile_callout(const verdict_ctx *ctx, int profile, long *timeout_us,
			int *tempfail_reject)
{
	const config_profile *p = vd_config_profile_get(ctx->cfg, profile);

	if (p == NULL)
		return vd_util_err(VERDICT_ENOENT, 0, "no [profile %d] in the "
				"configuration", profile);
	if (timeout_us)
		*timeout_us = (long)p->callout_timeout_ms * 1000;
	if (tempfail_reject)
		*tempfail_reject = p->callout_tempfail ==
				   CALLOUT_TEMPFAIL_REJECT;
	return VERDICT_OK;
}

/* -------------------------------------------------------------- checks */

VERDICT_API verdict_result *
verdict_result_new(void)
{
	return calloc(1, sizeof(verdict_result));
}

VERDICT_API void
verdict_result_free(verdict_result *res)
{
	if (res == NULL)
		return;
	free(res->dns);
	free(res->explain);
	free(res);
}

/* result_reset - the few fields a check must clear (not the buffers). */
static void
result_reset(verdict_result *res, int profile)
{
	res->kind = VERDICT_NEUTRAL;
	res->err = 0;
	res->would_block = 0;
	res->score = 0;
	res->profile = profile;
	res->have_ip = 0;
	res->ip_text[0] = 0;
	res->have_cidr = 0;
	res->cidr_text[0] = 0;
	res->source[0] = 0;
	res->have_reason = 0;
	res->reply[0] = 0;
	res->reply_tmpl = NULL;
	res->country[0] = 0;
	res->asn = 0;
	res->as_org[0] = 0;
	res->nexplain = 0;
	res->dns_deferred = 0;
	if (res->dns)
		memset(res->dns, 0, sizeof(int) * 4);
}

static int
check_fail(verdict_ctx *ctx, const prof_rt *pr, verdict_result *res,
	   int64_t t0, int rc)
{
	res->kind = VERDICT_ERROR;
	res->err = rc;
	res->elapsed_us = (long)((vd_clock_now_ns() - t0) / 1000);
	if (pr && ctx->opened && rc != VERDICT_EINVAL)
		vd_policy_log(ctx, pr, res);
	return rc;
}

/* check_deadline - t0 plus timeout_us, or the profile's dnsbl_timeout */
static int64_t
check_deadline(const prof_rt *pr, long timeout_us, int64_t t0)
{
	if (timeout_us <= 0) {
		int64_t ms = pr->cfg->dnsbl_timeout_ms;

		timeout_us = (long)(ms > 0 ? ms * 1000 : 1500000);
	}
	return t0 + (int64_t)timeout_us * 1000;
}

/* check_eval - vd_policy_eval for ip into res (flags may defer the DNSBL
 * step); VERDICT_OK or the error check_fail recorded */
static int
check_eval(verdict_ctx *ctx, const prof_rt *pr, const vaddr *ip,
	   int64_t deadline, unsigned flags, verdict_result *res, int64_t t0)
{
	int rc;

	res->ip = *ip;
	res->have_ip = 1;
	if ((flags & VERDICT_CHECK_EXPLAIN) && res->explain == NULL)
		res->explain = calloc(EXPLAIN_MAX, EXPLAIN_LINE);
	rc = vd_policy_eval(ctx, pr, ip, deadline, flags, res);
	if (rc != VERDICT_OK)
		return check_fail(ctx, pr, res, t0, rc);
	return VERDICT_OK;
}

/* check_done - monitor mode, the reply template, elapsed, the log line */
static int
check_done(verdict_ctx *ctx, const prof_rt *pr, unsigned flags,
	   verdict_result *res, int64_t t0)
{
	if (res->kind == VERDICT_BLOCK && pr->cfg->mode == MODE_MONITOR) {
		res->kind = VERDICT_NEUTRAL;
		res->would_block = 1;
	}
	/* the reply is rendered when asked for (verdict_result_reply): most
	 * callers log or count and never need it */
	if (res->kind == VERDICT_BLOCK)
		res->reply_tmpl = pr->cfg->reply;
	else if (res->kind == VERDICT_TEMPFAIL)
		res->reply_tmpl = pr->cfg->tempfail_reply;
	res->elapsed_us = (long)((vd_clock_now_ns() - t0) / 1000);
	if (!(flags & VERDICT_CHECK_NOLOG))
		vd_policy_log(ctx, pr, res);
	return VERDICT_OK;
}

static int
check_addr(verdict_ctx *ctx, int profile, const vaddr *ip, long timeout_us,
	   unsigned flags, verdict_result *res, int64_t t0)
{
	const prof_rt *pr = &ctx->prof[ctx->slot[profile]];
	int rc;

	flags &= ~POLICY_DEFER_DNS;
	rc = check_eval(ctx, pr, ip, check_deadline(pr, timeout_us, t0),
			flags, res, t0);
	if (rc != VERDICT_OK)
		return rc;
	return check_done(ctx, pr, flags, res, t0);
}

/* check_start - common entry checks; returns 0 or an error code. */
static int
check_start(verdict_ctx *ctx, int profile, verdict_result *res)
{
	result_reset(res, profile);
	if (!ctx->opened)
		return vd_util_err(VERDICT_ESTATE, 0, "context not open");
	if (ctx->te && vd_tbl_forked(ctx->te))
		return vd_util_err(VERDICT_EFORK, 0, "context opened before "
				"fork() used in the child");
	if (profile < 1 || profile > CONFIG_PROFILE_MAX ||
	    ctx->slot[profile] < 0)
		return vd_util_err(VERDICT_ENOENT, 0, "no [profile %d] in the "
				"configuration", profile);
	return VERDICT_OK;
}

VERDICT_API int
verdict_check_ex(verdict_ctx *ctx, int profile, const char *ip,
		 long timeout_us, unsigned flags, verdict_result *res)
{
	int64_t t0 = vd_clock_now_ns();
	vaddr a;
	int rc;

	if ((rc = check_start(ctx, profile, res)) != VERDICT_OK) {
		res->kind = VERDICT_ERROR;
		res->err = rc;
		return rc;
	}
	if (ip == NULL || vd_addr_parse(ip, strlen(ip), &a) != 0) {
		rc = vd_util_err(VERDICT_EINVAL, 0, "malformed IP address "
			      "\"%.60s\"", ip ? ip : "(null)");
		return check_fail(ctx, NULL, res, t0, rc);
	}
	return check_addr(ctx, profile, &a, timeout_us, flags, res, t0);
}

VERDICT_API int
verdict_check_many(verdict_ctx *ctx, int profile, const char *const *ips,
		   size_t n, long timeout_us, unsigned flags,
		   verdict_result *const *res)
{
	int64_t t0 = vd_clock_now_ns(), deadline = 0;
	const prof_rt *pr = NULL;
	size_t i, m = 0;
	int rc, *base = NULL;
	const vaddr **addrs = NULL;
	struct dnsbl_result **dres = NULL;
	verdict_result **wait = NULL;
	vaddr a;

	if (n == 0)
		return VERDICT_OK;
	if (ips == NULL || res == NULL)
		return vd_util_err(VERDICT_EINVAL, 0, "verdict_check_many: NULL "
				"argument");
	flags &= ~POLICY_DEFER_DNS;
	base = malloc(n * sizeof(*base));
	addrs = malloc(n * sizeof(*addrs));
	dres = malloc(n * sizeof(*dres));
	wait = malloc(n * sizeof(*wait));
	if (base == NULL || addrs == NULL || dres == NULL || wait == NULL) {
		rc = vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		for (i = 0; i < n; i++) {
			result_reset(res[i], profile);
			res[i]->kind = VERDICT_ERROR;
			res[i]->err = rc;
		}
		goto out;
	}
	/* the local steps of each; the DNSBL step of those that need it
	 * deferred, then done for all of them at once */
	for (i = 0; i < n; i++) {
		verdict_result *r = res[i];

		if ((rc = check_start(ctx, profile, r)) != VERDICT_OK) {
			r->kind = VERDICT_ERROR;
			r->err = rc;
			continue;
		}
		if (pr == NULL) {
			pr = &ctx->prof[ctx->slot[profile]];
			deadline = check_deadline(pr, timeout_us, t0);
		}
		if (ips[i] == NULL || vd_addr_parse(ips[i], strlen(ips[i]), &a)
		    != 0) {
			rc = vd_util_err(VERDICT_EINVAL, 0, "malformed IP address "
				      "\"%.60s\"", ips[i] ? ips[i] : "(null)");
			check_fail(ctx, NULL, r, t0, rc);
			continue;
		}
		if (check_eval(ctx, pr, &a, deadline, flags | POLICY_DEFER_DNS,
			       r, t0) != VERDICT_OK)
			continue;
		if (!r->dns_deferred) {
			check_done(ctx, pr, flags, r, t0);
			continue;
		}
		addrs[m] = &r->ip;
		base[m] = r->geo_weight;
		dres[m] = r->dns;
		wait[m++] = r;
	}
	if (m > 0) {
		rc = vd_dnsbl_check_many(ctx->dns, pr->sites, pr->cfg, addrs, base,
				      m, deadline, dres);
		for (i = 0; i < m; i++) {
			if (rc != VERDICT_OK) {
				wait[i]->dns_deferred = 0;
				check_fail(ctx, pr, wait[i], t0, rc);
			} else if (vd_policy_dns_finish(ctx, pr, flags, wait[i])
				   != VERDICT_OK) {
				check_fail(ctx, pr, wait[i], t0,
					   VERDICT_ENOMEM);
			} else {
				check_done(ctx, pr, flags, wait[i], t0);
			}
		}
	}
	rc = VERDICT_OK;
out:
	free(base);
	free(addrs);
	free(dres);
	free(wait);
	return rc;
}

VERDICT_API int
verdict_check(verdict_ctx *ctx, int profile, const char *ip,
	      verdict_result *res)
{
	return verdict_check_ex(ctx, profile, ip, 0, 0, res);
}

VERDICT_API int
verdict_check_sockaddr(verdict_ctx *ctx, int profile, const struct sockaddr *sa,
		       long timeout_us, unsigned flags, verdict_result *res)
{
	int64_t t0 = vd_clock_now_ns();
	vaddr a;
	int rc;

	if ((rc = check_start(ctx, profile, res)) != VERDICT_OK) {
		res->kind = VERDICT_ERROR;
		res->err = rc;
		return rc;
	}
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		vd_addr_from_v4(&a, (const uint8_t *)&s4->sin_addr);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		vd_addr_from_v6(&a, s6->sin6_addr.s6_addr);
	} else {
		rc = vd_util_err(VERDICT_EINVAL, 0, "not an IPv4 or IPv6 socket "
			      "address");
		return check_fail(ctx, NULL, res, t0, rc);
	}
	return check_addr(ctx, profile, &a, timeout_us, flags, res, t0);
}

/* ----------------------------------------------------------- accessors */

VERDICT_API int verdict_result_kind(const verdict_result *r) { return r->kind; }
VERDICT_API int verdict_result_error(const verdict_result *r) { return r->err; }
VERDICT_API int verdict_result_would_block(const verdict_result *r)
{ return r->would_block; }
VERDICT_API int verdict_result_score(const verdict_result *r) { return r->score; }
VERDICT_API long verdict_result_elapsed_us(const verdict_result *r)
{ return r->elapsed_us; }
VERDICT_API int verdict_result_profile(const verdict_result *r)
{ return r->profile; }
VERDICT_API unsigned long verdict_result_asn(const verdict_result *r)
{ return r->asn; }

VERDICT_API const char *
verdict_result_ip(const verdict_result *r)
{
	return vd_result_ip_text((verdict_result *)r);
}

VERDICT_API const char *
verdict_result_cidr(const verdict_result *r)
{
	return vd_result_cidr_text((verdict_result *)r);
}

VERDICT_API const char *
verdict_result_source(const verdict_result *r)
{
	return r->source[0] ? r->source : NULL;
}

VERDICT_API const char *
verdict_result_reason(const verdict_result *r)
{
	return r->have_reason ? r->reason : NULL;
}

VERDICT_API const char *
verdict_result_reply(const verdict_result *r)
{
	verdict_result *w = (verdict_result *)r;	/* the lazy cache */

	if (w->reply_tmpl) {
		vd_policy_render(w->reply_tmpl, w, w->reply);
		w->reply_tmpl = NULL;
	}
	return r->reply[0] ? r->reply : NULL;
}

VERDICT_API const char *
verdict_result_country(const verdict_result *r)
{
	return r->country[0] ? r->country : NULL;
}

VERDICT_API const char *
verdict_result_as_org(const verdict_result *r)
{
	return r->as_org[0] ? r->as_org : NULL;
}

VERDICT_API size_t
verdict_result_zone_count(const verdict_result *r)
{
	return r->dns ? r->dns->nzones : 0;
}

VERDICT_API int
verdict_result_zone(const verdict_result *r, size_t i, const char **zone,
		    const char **answer, int *weight, long *ms)
{
	dnsbl_zone_detail *z;

	if (r->dns == NULL || i >= r->dns->nzones)
		return VERDICT_ENOENT;
	z = &r->dns->zones[i];	/* the answer text is written lazily */
	if (zone)
		*zone = z->zone;
	if (answer)
		*answer = vd_dnsbl_zone_answer(z);
	if (weight)
		*weight = z->weight;
	if (ms)
		*ms = z->ms;
	return VERDICT_OK;
}

VERDICT_API size_t
verdict_result_explain_count(const verdict_result *r)
{
	return r->nexplain;
}

VERDICT_API const char *
verdict_result_explain(const verdict_result *r, size_t i)
{
	return i < r->nexplain ? r->explain[i] : NULL;
}

/* ------------------------------------------------------- administration */

static int
admin_ready(verdict_ctx *ctx, int write)
{
	if (!ctx->opened || ctx->te == NULL)
		return vd_util_err(VERDICT_ESTATE, 0, "context not open");
	if (write && !(ctx->flags & VERDICT_OPEN_WRITE))
		return vd_util_err(VERDICT_ESTATE, 0, "context opened read-only");
	return VERDICT_OK;
}

VERDICT_API int
verdict_table_create(verdict_ctx *ctx, const char *name, int kind)
{
	int rc = admin_ready(ctx, 1);

	return rc ? rc : vd_tbl_create(ctx->te, name, kind);
}

VERDICT_API int
verdict_table_drop(verdict_ctx *ctx, const char *name)
{
	int rc = admin_ready(ctx, 1);

	return rc ? rc : vd_tbl_drop(ctx->te, name);
}

typedef struct list_arg {
	int (*cb)(const verdict_table_info *, void *);
	void *arg;
} list_arg;

static int
list_cb(const tbl_info *ti, void *arg)
{
	list_arg *a = arg;
	verdict_table_info vi = { ti->name, ti->kind, (size_t)ti->entries };

	return a->cb(&vi, a->arg);
}

VERDICT_API int
verdict_table_list(verdict_ctx *ctx,
		   int (*cb)(const verdict_table_info *, void *), void *arg)
{
	list_arg a = { cb, arg };

	if (ctx->opened && ctx->te == NULL)
		return VERDICT_OK;	/* no database yet: no tables */
	int rc = admin_ready(ctx, 0);

	return rc ? rc : vd_tbl_list(ctx->te, list_cb, &a);
}

/* entry_check - a CIDR as a user typed it, for add/del. */
static int
entry_parse(const char *text, vcidr *c)
{
	const char *why;
	int r;

	if (text == NULL)
		return vd_util_err(VERDICT_EINVAL, 0, "missing network");
	r = vd_cidr_parse(text, strlen(text), c);
	if (r == CIDR_BAD)
		return vd_util_err(VERDICT_EINVAL, 0, "malformed network \"%.60s\"",
				text);
	if (r == CIDR_HOSTBITS) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(c, buf);
		return vd_util_err(VERDICT_ERANGE, 0, "non-null host bits in "
				"%.60s; did you mean %s?", text, buf);
	}
	if ((why = vd_cidr_table_check(c)) != NULL)
		return vd_util_err(VERDICT_ERANGE, 0, "%.60s: %s", text, why);
	return VERDICT_OK;
}

VERDICT_API int
verdict_add(verdict_ctx *ctx, const char *table, const char *cidr,
	    const char *reason, time_t expires, const char *origin,
	    unsigned flags)
{
	tbl_entry e;
	int rc;

	if ((rc = admin_ready(ctx, 1)) != 0 || (rc = entry_parse(cidr, &e.cidr)))
		return rc;
	if (reason && strlen(reason) > TBL_REASON_MAX)
		return vd_util_err(VERDICT_ERANGE, 0, "reason longer than %d "
				"bytes", TBL_REASON_MAX);
	if (expires < 0 || (uint64_t)expires > UINT32_MAX)
		return vd_util_err(VERDICT_ERANGE, 0, "expiry out of range");
	if (origin == NULL)
		origin = "cli";
	e.added = (uint64_t)time(NULL);
	e.expires = (uint32_t)expires;
	e.reason = reason ? reason : "";
	e.rlen = (uint8_t)strlen(e.reason);
	e.origin = origin;
	e.olen = (uint8_t)vd_util_utf8_cut(origin, strlen(origin), TBL_ORIGIN_MAX);
	return vd_tbl_add(ctx->te, table, &e, !!(flags & VERDICT_MERGE));
}

VERDICT_API int
verdict_del(verdict_ctx *ctx, const char *table, const char *cidr)
{
	vcidr c;
	int rc;

	if ((rc = admin_ready(ctx, 1)) != 0)
		return rc;
	if (cidr == NULL || vd_cidr_parse(cidr, strlen(cidr), &c) != CIDR_OK)
		return vd_util_err(VERDICT_EINVAL, 0, "malformed network "
				"\"%.60s\"", cidr ? cidr : "");
	return vd_tbl_del(ctx->te, table, &c);
}

/* --- import */

typedef struct import_st {
	verdict_ctx *ctx;
	const char *name;	/* file name for messages */
	tbl_bulk b;
	size_t warnings, bad;
	long max_bad;
	const char *reason;
	uint8_t rlen;
	uint64_t now;
	int err;
	util_recs *defer;	/* second half: messages kept, in order */
	int rc;			/* import_part's result */
	const char *part;	/* import_part: this half of the list */
	size_t partlen, lines_before;
} import_st;

/* import_warn - a warning about a line: logged, or kept for later in the
 * second half of a split import ("B" bad line, "W" other). */
static void __attribute__((format(printf, 3, 4)))
import_warn(import_st *st, int isbad, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (st->defer == NULL) {
		vd_vlog(&st->ctx->lg, LOG_WARNING, fmt, ap);
		va_end(ap);
		return;
	}
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (vd_util_recs_add(st->defer, isbad ? "B" : "W", 1, msg, (size_t)n))
		st->err = VERDICT_ENOMEM;
}

static int
import_item(const listfile_item *it, void *arg)
{
	import_st *st = arg;
	const char *why;

	if ((why = vd_cidr_table_check(&it->cidr)) != NULL) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&it->cidr, buf);
		st->bad++;
		import_warn(st, 1, "%s:%zu: %s: %s", st->name, it->lineno, buf,
			    why);
		if (st->err)
			return st->err;
		if (st->max_bad >= 0 && st->bad > (size_t)st->max_bad)
			return VERDICT_EBADLIST;
		return 0;
	}
	if (it->hostbits) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&it->cidr, buf);
		st->warnings++;
		import_warn(st, 0, "%s:%zu: non-null host bits; imported as %s",
			    st->name, it->lineno, buf);
		if (st->err)
			return st->err;
	}
	if (it->reason_len)
		return vd_tbl_bulk_add(&st->b, &it->cidr, it->reason,
				    it->reason_len, 0);
	return vd_tbl_bulk_add(&st->b, &it->cidr, st->reason, st->rlen, 0);
}

static int
import_bad(size_t lineno, const char *why, void *arg)
{
	import_st *st = arg;

	st->bad++;
	import_warn(st, 1, "%s:%zu: %s", st->name, lineno, why);
	if (st->err)
		return st->err;
	if (st->max_bad >= 0 && st->bad > (size_t)st->max_bad)
		return VERDICT_EBADLIST;
	return 0;
}

static void
import_part(void *arg)
{
	import_st *st = arg;

	st->rc = vd_listfile_parse_buf_at(st->part, st->partlen,
				       st->lines_before, import_item,
				       import_bad, st);
}

/* Lists of at least this many bytes are parsed in two halves at once. */
#define IMPORT_SPLIT_MIN ((size_t)1 << 20)

/* count_lines - the lines of [p, end): '\n's, and one more for a last
 * line without one */
static size_t
count_lines(const char *p, const char *end)
{
	size_t n = 0;

	for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) !=
	     NULL; q++)
		n++;
	return n + (p < end && end[-1] != '\n');
}

/*
 * import_parse - parse buf into st->b (reserved for about a line an
 * entry; ranges grow it).  A big list is cut at the line end nearest its
 * middle and the second half parsed on a second thread into its own
 * bulk, its warnings kept; then they are logged in line order and
 * counted against --max-bad as one pass would have (stopping at the line
 * that goes over), and the bulks joined in input order.  Parsing is a
 * fifth of a large import's time.
 */
static int
import_parse(import_st *st, const char *buf, size_t len)
{
	const char *end = buf + len, *cut;
	util_recs msgs = { 0 };
	size_t before;
	import_st b;
	int rc;

	cut = len >= IMPORT_SPLIT_MIN ?
	      memchr(buf + len / 2, '\n', len - len / 2) : NULL;
	cut = cut == NULL ? end : cut + 1;
	st->part = buf;
	st->partlen = (size_t)(cut - buf);
	st->lines_before = 0;
	before = count_lines(buf, cut);
	if (vd_tbl_bulk_init(&st->b, before, st->now, "import") != 0)
		return VERDICT_ENOMEM;
	if (cut == end) {
		import_part(st);
		return st->rc;
	}
	b = *st;
	b.defer = &msgs;
	b.part = cut;
	b.partlen = (size_t)(end - cut);
	b.lines_before = before;
	if (vd_tbl_bulk_init(&b.b, count_lines(cut, end), st->now,
			  "import") != 0)
		return VERDICT_ENOMEM;
	vd_util_par2(import_part, st, &b);
	rc = st->rc;
	for (size_t i = 0; rc == 0 && i < msgs.n; i++) {
		int isbad = msgs.rec[i][0] == 'B';

		vd_log(&st->ctx->lg, LOG_WARNING, "%.*s", (int)msgs.len[i] - 1,
		       (const char *)msgs.rec[i] + 1);
		if (isbad) {
			st->bad++;
			if (st->max_bad >= 0 && st->bad > (size_t)st->max_bad)
				rc = VERDICT_EBADLIST;
		} else {
			st->warnings++;
		}
	}
	if (rc == 0)
		rc = b.rc;
	if (rc == 0)
		rc = vd_tbl_bulk_join(&st->b, &b.b);
	vd_tbl_bulk_free(&b.b);
	vd_util_recs_free(&msgs);
	return rc;
}

/* read_all - the whole file (or stdin) into memory: a list is parsed in
 * place, its reasons point into the buffer until the import commits.  The
 * buffer is vd_util_bigalloc'd, *cap bytes. */
static int
read_all(const char *path, char **buf, size_t *len, size_t *cap_out)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 20, n = 0;
	char *b;
	struct stat st;
	int rc = VERDICT_OK;

	if (fd < 0)
		return vd_util_err(errno == ENOENT ? VERDICT_ENOENT :
				errno == EACCES ? VERDICT_EPERM : VERDICT_EIO,
				errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	if ((b = vd_util_bigalloc(cap)) == NULL) {
		rc = vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = vd_util_bigalloc(cap * 2);

			if (nb == NULL) {
				rc = vd_util_err(VERDICT_ENOMEM, ENOMEM,
					      "out of memory");
				goto out;
			}
			memcpy(nb, b, n);
			vd_util_bigfree(b, cap);
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = vd_util_err(VERDICT_EIO, errno, "%s: %s", path,
				      strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
out:
	if (fd)
		close(fd);
	if (rc != VERDICT_OK) {
		vd_util_bigfree(b, cap);
		return rc;
	}
	*buf = b;
	*len = n;
	*cap_out = cap;
	return VERDICT_OK;
}

VERDICT_API int
verdict_import(verdict_ctx *ctx, const char *table, const char *path,
	       unsigned flags, long max_bad, const char *reason,
	       size_t *entries, size_t *warnings)
{
	import_st st = { 0 };
	char *buf = NULL;
	size_t len = 0, bufcap = 0, total = 0;
	uint16_t id;
	int kind, rc;

	if ((rc = admin_ready(ctx, 1)) != 0)
		return rc;
	if ((rc = vd_tbl_table_id(ctx->te, table, &id, &kind)) != 0)
		return rc;
	if (reason && strlen(reason) > TBL_REASON_MAX)
		return vd_util_err(VERDICT_ERANGE, 0, "reason longer than %d "
				"bytes", TBL_REASON_MAX);
	if ((rc = read_all(path, &buf, &len, &bufcap)) != 0)
		return rc;
	if (strcmp(path, "-") != 0)
		warn_world_writable(ctx, "list file", path);
	st.ctx = ctx;
	st.name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	st.max_bad = max_bad;
	st.reason = reason ? reason : "";
	st.rlen = (uint8_t)strlen(st.reason);
	st.now = (uint64_t)time(NULL);
	rc = import_parse(&st, buf, len);
	if (rc == VERDICT_EBADLIST) {
		rc = vd_util_err(VERDICT_EBADLIST, 0, "%s: more than %ld bad "
			      "lines; table \"%s\" left unchanged (raise "
			      "--max-bad to accept them)", st.name, max_bad,
			      table);
	} else if (rc == VERDICT_ENOMEM) {
		rc = vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	} else if (rc == 0) {
		rc = vd_tbl_replace(ctx->te, table, &st.b,
				 !!(flags & VERDICT_MERGE),
				 !(flags & VERDICT_FORCE), &total);
	}
	if (rc == VERDICT_OK) {
		if (entries)
			*entries = total;
		if (warnings)
			*warnings = st.warnings + st.bad;
	}
	vd_tbl_bulk_free(&st.b);
	vd_util_bigfree(buf, bufcap);
	return rc;
}

/* --- dump / expire */

typedef struct dump_arg {
	int (*cb)(const verdict_entry *, void *);
	void *arg;
} dump_arg;

static int
dump_cb(const tbl_entry *e, void *arg)
{
	dump_arg *a = arg;
	char cidr[CIDR_TEXT_MAX], reason[TBL_REASON_MAX + 1];
	char origin[TBL_ORIGIN_MAX + 1];
	verdict_entry ve;

	vd_cidr_format(&e->cidr, cidr);
	memcpy(reason, e->reason, e->rlen);
	reason[e->rlen] = 0;
	memcpy(origin, e->origin, e->olen);
	origin[e->olen] = 0;
	ve.cidr = cidr;
	ve.reason = e->rlen ? reason : NULL;
	ve.origin = e->olen ? origin : NULL;
	ve.added = (int64_t)e->added;
	ve.expires = (int64_t)e->expires;
	return a->cb(&ve, a->arg);
}

VERDICT_API int
verdict_dump(verdict_ctx *ctx, const char *table,
	     int (*cb)(const verdict_entry *, void *), void *arg)
{
	dump_arg a = { cb, arg };
	int rc = admin_ready(ctx, 0);

	if (rc)
		return rc;
	if (!vd_tbl_name_ok(table))
		return vd_util_err(VERDICT_EINVAL, 0, "bad table name \"%.80s\"",
				table);
	return vd_tbl_dump(ctx->te, table, dump_cb, &a);
}

VERDICT_API int
verdict_expire(verdict_ctx *ctx, size_t *purged)
{
	int rc = admin_ready(ctx, 1);

	return rc ? rc : vd_tbl_expire(ctx->te, (uint32_t)time(NULL), purged);
}

/* ---------------------------------------------------------------- doctor */

typedef struct doctor_arg {
	int (*cb)(const verdict_doctor_line *, void *);
	void *arg;
	const char *what;
} doctor_arg;

static int
doctor_item(const char *name, int ok, const char *detail, void *arg)
{
	doctor_arg *a = arg;
	verdict_doctor_line l = { a->what, name, ok, detail };

	return a->cb(&l, a->arg);
}

VERDICT_API int
verdict_doctor(verdict_ctx *ctx, int profile,
	       int (*cb)(const verdict_doctor_line *, void *), void *arg)
{
	verdict_doctor_line l;
	doctor_arg da = { cb, arg, NULL };
	char msg[1024];
	const prof_rt *pr;
	int rc;

	if (!ctx->opened)
		return vd_util_err(VERDICT_ESTATE, 0, "context not open");
	if (profile < 1 || profile > CONFIG_PROFILE_MAX ||
	    ctx->slot[profile] < 0)
		return vd_util_err(VERDICT_ENOENT, 0, "no [profile %d]", profile);
	pr = &ctx->prof[ctx->slot[profile]];
	if (ctx->te) {
		l.what = "database";
		l.name = ctx_dbdir(ctx);
		rc = vd_tbl_check_access(ctx_dbdir(ctx), msg, sizeof(msg));
		l.ok = rc == VERDICT_OK;
		l.detail = l.ok ? "readable, lock.mdb writable" : msg;
		if ((rc = cb(&l, arg)) != 0)
			return rc;
	}
	for (int k = 0; k < 2; k++) {
		const config_strlist *names = k ? &pr->cfg->block_tables :
					      &pr->cfg->allow_tables;

		for (size_t i = 0; i < names->n; i++) {
			size_t j;

			for (j = 0; j < pr->nallow + pr->nblock; j++)
				if (strcmp(pr->names[j], names->v[i]) == 0)
					break;
			l.what = "table";
			l.name = names->v[i];
			l.ok = j < pr->nallow + pr->nblock;
			l.detail = !l.ok ? "missing: named in the config but "
				   "not in the database" : k ?
				   "block table present" :
				   "allow table present";
			if ((rc = cb(&l, arg)) != 0)
				return rc;
		}
	}
	if (pr->sites && ctx->dns) {
		int64_t ms = pr->cfg->dnsbl_timeout_ms;

		da.what = "zone";
		rc = vd_dnsbl_doctor(ctx->dns, pr->sites, vd_clock_now_ns() +
				  (ms > 0 ? ms : 1500) * 1000000, doctor_item,
				  &da);
		if (rc != 0)
			return rc;
	}
	if (ctx->geo) {
		da.what = "geoip";
		if ((rc = vd_geo_doctor(ctx->geo, doctor_item, &da)) != 0)
			return rc;
	}
	return VERDICT_OK;
}

/* ------------------------------------------- feed (issue 7, branch feed) */

#include "feed.h"

VERDICT_API int
verdict_feed(verdict_ctx *ctx, int profile, const char *const *tables,
	     int family, const char *format, const char *name,
	     const char *nft_table, int ranges, FILE *out)
{
	uint16_t ids[PROF_TABLES_MAX];
	const char *names[PROF_TABLES_MAX];
	const prof_rt *pr;
	tbl_reader *r = NULL;
	feed_opts o = { 0 };
	size_t n = 0;
	int rc;

	if (!ctx->opened)
		return vd_util_err(VERDICT_ESTATE, 0, "context not open");
	if (ctx->te && vd_tbl_forked(ctx->te))
		return vd_util_err(VERDICT_EFORK, 0, "context opened before "
				"fork() cannot be used in the child");
	if (profile < 1 || profile > CONFIG_PROFILE_MAX ||
	    ctx->slot[profile] < 0)
		return vd_util_err(VERDICT_ENOENT, 0, "no [profile %d]", profile);
	pr = &ctx->prof[ctx->slot[profile]];
	if ((o.format = vd_feed_format_parse(format ? format : "")) < 0)
		return vd_util_err(VERDICT_EINVAL, 0, "unknown feed format "
				"\"%.40s\" (nft, ipset, pf, plain, postfix, "
				"rbldnsd, rbldnsd6, json)", format ? format :
				"");
	if ((name && !vd_feed_name_ok(name)) ||
	    (nft_table && !vd_feed_name_ok(nft_table)))
		return vd_util_err(VERDICT_EINVAL, 0, "set and table names are "
				"1 to %d of A-Z a-z 0-9 _ -", FEED_NAME_MAX);
	if (family != 0 && family != 4 && family != 6)
		return vd_util_err(VERDICT_EINVAL, 0, "family is 0, 4 or 6");
	if (tables) {
		for (; tables[n]; n++) {
			int kind;

			if (n == PROF_TABLES_MAX)
				return vd_util_err(VERDICT_EINVAL, 0, "more than "
						"%d tables", PROF_TABLES_MAX);
			if (!vd_tbl_name_ok(tables[n]))
				return vd_util_err(VERDICT_EINVAL, 0, "bad table "
						"name \"%.80s\"", tables[n]);
			if (ctx->te == NULL)
				return vd_util_err(VERDICT_ENOENT, 0, "no table "
						"\"%s\": no database open",
						tables[n]);
			rc = vd_tbl_table_id(ctx->te, tables[n], &ids[n], &kind);
			if (rc == VERDICT_ENOENT)
				return vd_util_err(rc, 0, "no table \"%s\"",
						tables[n]);
			if (rc)
				return rc;
			if (kind != VERDICT_TABLE_BLOCK)
				return vd_util_err(VERDICT_EINVAL, 0, "table "
						"\"%s\" is an allow table",
						tables[n]);
			names[n] = tables[n];
		}
		o.block = ids;
		o.block_names = names;
		o.nblock = n;
	} else {
		o.block = pr->ids + pr->nallow;
		o.block_names = pr->names + pr->nallow;
		o.nblock = pr->nblock;
	}
	o.allow = pr->ids;
	o.nallow = pr->nallow;
	o.trusted = pr->cfg->trusted;
	o.ntrusted = pr->cfg->ntrusted;
	o.family = family;
	o.ranges = ranges;
	o.now = (uint32_t)time(NULL);
	o.name = name;
	o.nft_table = nft_table;
	if (ctx->te == NULL) {
		o.nblock = 0;		/* no database: an empty feed */
		return vd_feed_write(NULL, &o, out, NULL);
	}
	if ((rc = vd_tbl_read_begin(ctx->te, 0, &r)) != VERDICT_OK)
		return rc;
	rc = vd_feed_write(r, &o, out, NULL);
	vd_tbl_read_end(ctx->te, r);
	return rc;
}
