/*
 * check.c - checks: one address, a socket address, or a batch
 *
 *	verdict_check		an address in text, the profile's deadline
 *	verdict_check_ex	with a timeout and flags
 *	verdict_check_sockaddr	a struct sockaddr (the milter's hostaddr)
 *	verdict_check_many	a batch: local steps one by one, then the
 *				DNSBL queries of all of them at once
 *
 * A check parses the address, runs the policy layer's evaluation, settles
 * monitor mode and the reply template, times itself and logs its line.
 * Every failure is also a result: kind VERDICT_ERROR with the error code,
 * so a front end that only reads the result still fails open.
 *
 * The deadline is the caller's timeout, else the profile's dnsbl_timeout;
 * a batch shares one deadline, so a batch of many addresses costs one
 * round of DNS waiting, not one per address.
 *
 * Diagnostics: "malformed IP address", "no [profile N] in the
 * configuration", "context not open", "context opened before fork()
 * used in the child" (verdict_errdetail).
 *
 * Limits: a profile without dnsbl_timeout gets 1.5 s; a malformed
 * address is not logged (it is the caller's error, not a verdict).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "clock.h"
#include "ctx.h"
#include "dnsbl.h"
#include "stats.h"


/* check_fail - res becomes the error rc; logged unless the address
 * itself was bad (pr NULL) */
static int
check_fail(verdict_ctx *ctx, const policy_profile *pr, verdict_result *res,
	   int64_t t0, int rc)
{
	res->kind = VERDICT_ERROR;
	res->err = rc;
	res->elapsed_us = (long)((vd_clock_now_ns() - t0) / 1000);
	if (ctx->opened)
		vd_stats_error(ctx->stats, rc);
	if (pr && ctx->opened && rc != VERDICT_EINVAL)
		vd_logline_write(&ctx->log, pr->cfg->log_verdicts, res);
	return rc;
}

/* check_deadline - t0 plus timeout_us, or the profile's dnsbl_timeout */
static int64_t
check_deadline(const policy_profile *pr, long timeout_us, int64_t t0)
{
	if (timeout_us <= 0) {
		int64_t ms = pr->cfg->dnsbl_timeout_ms;

		timeout_us = ms > 0 ? (long)(ms * 1000) :
			     VD_CHECK_DEFAULT_TIMEOUT_US;
	}
	return t0 + (int64_t)timeout_us * 1000;
}

/* check_eval - vd_policy_eval for ip into res (flags may defer the DNSBL
 * step); VERDICT_OK or the error check_fail recorded */
static int
check_eval(verdict_ctx *ctx, const policy_profile *pr, const vaddr *ip,
	   int64_t deadline, unsigned flags, verdict_result *res, int64_t t0)
{
	policy_src src = vd_ctx_src(ctx);
	int rc;

	res->ip = *ip;
	res->have_ip = 1;
	if ((flags & VERDICT_CHECK_EXPLAIN) && res->explain == NULL)
		res->explain = calloc(EXPLAIN_MAX, EXPLAIN_LINE);
	rc = vd_policy_eval(&src, pr, ip, deadline, flags, res);
	if (rc != VERDICT_OK)
		return check_fail(ctx, pr, res, t0, rc);
	return VERDICT_OK;
}

/* check_done - monitor mode, the reply template, elapsed, the log line */
static int
check_done(verdict_ctx *ctx, const policy_profile *pr, unsigned flags,
	   verdict_result *res, int64_t t0)
{
	vd_policy_settle(pr, res);
	res->elapsed_us = (long)((vd_clock_now_ns() - t0) / 1000);
	vd_stats_count(ctx->stats, (size_t)(pr - ctx->prof), res);
	if (!(flags & VERDICT_CHECK_NOLOG))
		vd_logline_write(&ctx->log, pr->cfg->log_verdicts, res);
	return VERDICT_OK;
}

/* check_addr - one parsed address under profile pr, start to end */
static int
check_addr(verdict_ctx *ctx, const policy_profile *pr, const vaddr *ip,
	   long timeout_us, unsigned flags, verdict_result *res, int64_t t0)
{
	int rc;

	flags &= ~POLICY_DEFER_DNS;
	rc = check_eval(ctx, pr, ip, check_deadline(pr, timeout_us, t0),
			flags, res, t0);
	if (rc != VERDICT_OK)
		return rc;
	return check_done(ctx, pr, flags, res, t0);
}

/* check_warn_empty - a profile that blocks nothing is a configuration
 * mistake more often than a wish: say so once per context */
static void
check_warn_empty(verdict_ctx *ctx, const policy_profile *pr)
{
	policy_profile *w = &ctx->prof[ctx->slot[pr->number]];

	if (__atomic_exchange_n(&w->warned_empty, 1, __ATOMIC_RELAXED))
		return;
	vd_log(&ctx->lg, LOG_WARNING, "%s: profile %d has no table, no "
	       "DNSBL zone and no GeoIP rule: every address passes",
	       ctx->cfg->path ? ctx->cfg->path : "built-in configuration",
	       pr->number);
}

/* check_start - the context and profile are usable, the profile in *pr;
 * on error res is an error result too */
static int
check_start(verdict_ctx *ctx, int profile, verdict_result *res,
	    const policy_profile **pr)
{
	int rc = VERDICT_OK;

	vd_result_reset(res, profile);
	if (!ctx->opened)
		rc = vd_err_set(VERDICT_ESTATE, 0, "context not open");
	else if (ctx->te && vd_lmdb_env_forked(ctx->te))
		rc = vd_err_set(VERDICT_EFORK, 0, "context opened before "
				 "fork() used in the child");
	else if ((*pr = vd_ctx_profile(ctx, profile)) == NULL)
		rc = vd_err_set(VERDICT_ENOENT, 0, "no [profile %d] in the "
				 "configuration", profile);
	if (rc != VERDICT_OK) {
		res->kind = VERDICT_ERROR;
		res->err = rc;
		if (ctx->opened)
			vd_stats_error(ctx->stats, rc);
	} else if ((*pr)->empty) {
		check_warn_empty(ctx, *pr);
	}
	return rc;
}

/* check_parse - ip as text into a, or VERDICT_EINVAL recorded; the
 * message shows at most 60 bytes of the input, non-printing bytes as
 * '?', since it ends up in the host's log and on terminals */
static int
check_parse(const char *ip, vaddr *a)
{
	char shown[61];
	size_t i;

	if (ip != NULL && vd_addr_parse(ip, strlen(ip), a) == 0)
		return VERDICT_OK;
	if (ip == NULL)
		ip = "(null)";
	for (i = 0; i < sizeof(shown) - 1 && ip[i]; i++)
		shown[i] = (unsigned char)ip[i] <= 0x20
			   || (unsigned char)ip[i] >= 0x7f ? '?' : ip[i];
	shown[i] = 0;
	return vd_err_set(VERDICT_EINVAL, 0, "malformed IP address \"%s\"",
			  shown);
}

VERDICT_API int
verdict_check_ex(verdict_ctx *ctx, int profile, const char *ip,
		 long timeout_us, unsigned flags, verdict_result *res)
{
	int64_t t0 = vd_clock_now_ns();
	const policy_profile *pr;
	vaddr a;
	int rc;

	if ((rc = check_start(ctx, profile, res, &pr)) != VERDICT_OK)
		return rc;
	if ((rc = check_parse(ip, &a)) != VERDICT_OK)
		return check_fail(ctx, NULL, res, t0, rc);
	return check_addr(ctx, pr, &a, timeout_us, flags, res, t0);
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
	const policy_profile *pr;
	vaddr a;
	int rc;

	if ((rc = check_start(ctx, profile, res, &pr)) != VERDICT_OK)
		return rc;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		vd_addr_from_v4(&a, (const uint8_t *)&s4->sin_addr);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		vd_addr_from_v6(&a, s6->sin6_addr.s6_addr);
	} else {
		rc = vd_err_set(VERDICT_EINVAL, 0, "not an IPv4 or IPv6 "
				 "socket address");
		return check_fail(ctx, NULL, res, t0, rc);
	}
	return check_addr(ctx, pr, &a, timeout_us, flags, res, t0);
}

/* A batch: the results whose DNSBL step is still to run, and what
 * vd_dnsbl_check_many needs of each. */
typedef struct batch {
	const policy_profile *pr;
	int64_t t0, deadline;
	size_t m;			/* waiting results */
	int *base;			/* their geo weights */
	const vaddr **addrs;
	struct dnsbl_result **dres;
	verdict_result **wait;
} batch;

/* batch_alloc - room for n waiting results; VERDICT_ENOMEM recorded */
static int
batch_alloc(batch *b, size_t n)
{
	b->base = malloc(n * sizeof(*b->base));
	b->addrs = malloc(n * sizeof(*b->addrs));
	b->dres = malloc(n * sizeof(*b->dres));
	b->wait = malloc(n * sizeof(*b->wait));
	if (b->base == NULL || b->addrs == NULL || b->dres == NULL ||
	    b->wait == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	return VERDICT_OK;
}

static void
batch_free(batch *b)
{
	free(b->base);
	free(b->addrs);
	free(b->dres);
	free(b->wait);
}

/* batch_local - the local steps of one address; its DNSBL step, when
 * due, deferred into b */
static void
batch_local(verdict_ctx *ctx, int profile, long timeout_us, unsigned flags,
	    const char *ip, verdict_result *r, batch *b)
{
	const policy_profile *pr;
	vaddr a;
	int rc;

	if (check_start(ctx, profile, r, &pr) != VERDICT_OK)
		return;
	if (b->pr == NULL) {
		b->pr = pr;
		b->deadline = check_deadline(pr, timeout_us, b->t0);
	}
	if ((rc = check_parse(ip, &a)) != VERDICT_OK) {
		check_fail(ctx, NULL, r, b->t0, rc);
		return;
	}
	if (check_eval(ctx, b->pr, &a, b->deadline, flags | POLICY_DEFER_DNS,
		       r, b->t0) != VERDICT_OK)
		return;
	if (!r->dns_deferred) {
		check_done(ctx, b->pr, flags, r, b->t0);
		return;
	}
	b->addrs[b->m] = &r->ip;
	b->base[b->m] = r->geo_weight;
	b->dres[b->m] = r->dns;
	b->wait[b->m++] = r;
}

/* batch_dns - the deferred DNSBL steps, all under one deadline */
static void
batch_dns(verdict_ctx *ctx, unsigned flags, batch *b)
{
	const policy_profile *pr = b->pr;
	policy_src src = vd_ctx_src(ctx);
	int rc;

	int64_t t = vd_clock_now_ns();

	rc = vd_dnsbl_check_many(ctx->dns, pr->sites, pr->cfg, b->addrs,
				 b->base, b->m, b->deadline, b->dres);
	t = vd_clock_now_ns() - t + 1;
	for (size_t i = 0; i < b->m; i++) {
		verdict_result *r = b->wait[i];

		r->dns_ns = t;
		if (rc != VERDICT_OK) {
			r->dns_deferred = 0;
			check_fail(ctx, pr, r, b->t0, rc);
		} else if (vd_policy_dns_finish(&src, pr, flags, r) !=
			   VERDICT_OK) {
			check_fail(ctx, pr, r, b->t0, VERDICT_ENOMEM);
		} else {
			check_done(ctx, pr, flags, r, b->t0);
		}
	}
}

VERDICT_API int
verdict_check_many(verdict_ctx *ctx, int profile, const char *const *ips,
		   size_t n, long timeout_us, unsigned flags,
		   verdict_result *const *res)
{
	batch b = { 0 };
	int rc;

	if (n == 0)
		return VERDICT_OK;
	if (ips == NULL || res == NULL)
		return vd_err_set(VERDICT_EINVAL, 0, "verdict_check_many: "
				   "NULL argument");
	flags &= ~POLICY_DEFER_DNS;
	b.t0 = vd_clock_now_ns();
	if ((rc = batch_alloc(&b, n)) != VERDICT_OK) {
		for (size_t i = 0; i < n; i++) {
			vd_result_reset(res[i], profile);
			res[i]->kind = VERDICT_ERROR;
			res[i]->err = rc;
		}
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		batch_local(ctx, profile, timeout_us, flags, ips[i], res[i],
			    &b);
	if (b.m > 0)
		batch_dns(ctx, flags, &b);
out:
	batch_free(&b);
	return rc;
}
