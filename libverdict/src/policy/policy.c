/*
 * policy.c - the order of evaluation, the reply text, the verdict log line
 *
 *	vd_policy_eval	trusted networks -> allow tables -> block tables ->
 *			GeoIP outright -> GeoIP weights + DNSBL score
 *	vd_policy_render	expand a reply template into at most 251 bytes
 *	vd_policy_log	one key=value line per verdict, rate-limited
 *
 * First final answer wins.  Allow beats block: the allow tables and the
 * block tables are answered by the same index probe, and an allow hit is
 * looked at first.  Among block tables the first in block_tables order
 * that matches is the source.  mode = monitor turns a BLOCK into NEUTRAL
 * with would_block set, so a policy can be tried on live traffic.
 *
 * Logging never costs the hot path more than the verdict: only the lines
 * log_verdicts asks for are formatted, at most log_rate_limit per second;
 * the rest are counted and reported as one "suppressed" line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ctx.h"
#include "geo.h"
#include "dnsbl.h"

const char *
vd_result_ip_text(verdict_result *res)
{
	if (!res->have_ip)
		return NULL;
	if (res->ip_text[0] == 0)
		vd_addr_format(&res->ip, res->ip_text);
	return res->ip_text;
}

const char *
vd_result_cidr_text(verdict_result *res)
{
	if (!res->have_cidr)
		return NULL;
	if (res->cidr_text[0] == 0)
		vd_cidr_format(&res->cidr, res->cidr_text);
	return res->cidr_text;
}

static void
explain(verdict_result *res, unsigned flags, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* explain - record one step when --explain asked for it. */
static void
explain(verdict_result *res, unsigned flags, const char *fmt, ...)
{
	va_list ap;

	if (!(flags & VERDICT_CHECK_EXPLAIN) || res->explain == NULL ||
	    res->nexplain >= EXPLAIN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(res->explain[res->nexplain++], EXPLAIN_LINE, fmt, ap);
	va_end(ap);
}

/* policy_tables - steps 2 and 3: one index probe for every table. */
static int
policy_tables(verdict_ctx *ctx, const prof_rt *pr, const vaddr *ip,
	      int64_t deadline_ns, unsigned flags, verdict_result *res)
{
	tbl_hit hits[PROF_TABLES_MAX];
	size_t n = pr->nallow + pr->nblock, i;
	tbl_reader *r;
	int rc;

	if (n == 0)
		return VERDICT_OK;
	if ((rc = vd_tbl_read_begin(ctx->te, deadline_ns, &r)) != VERDICT_OK)
		return rc;
	rc = vd_tbl_probe(r, ip, pr->ids, n, (uint32_t)time(NULL), hits);
	if (rc == VERDICT_OK) {
		for (i = 0; i < n && hits[i].plen == 0; i++)
			;
		if (i < n) {
			const tbl_hit *h = &hits[i];

			res->kind = i < pr->nallow ? VERDICT_ALLOW :
				    VERDICT_BLOCK;
			vd_util_strlcpy(res->source, pr->names[i],
				     sizeof(res->source));
			res->cidr.net = *ip;
			res->cidr.plen = h->plen;
			vd_addr_mask(&res->cidr.net, h->plen);
			res->have_cidr = 1;
			if (h->rlen) {
				memcpy(res->reason, h->reason, h->rlen);
				res->reason[h->rlen] = 0;
				res->have_reason = 1;
			}
		}
	}
	vd_tbl_read_end(ctx->te, r);
	if (flags & VERDICT_CHECK_EXPLAIN) {
		for (i = 0; i < n; i++) {
			char cb[CIDR_TEXT_MAX];
			vcidr c = { *ip, hits[i].plen };

			if (hits[i].plen == 0) {
				explain(res, flags, "%s table %s: not listed",
					i < pr->nallow ? "allow" : "block",
					pr->names[i]);
				continue;
			}
			vd_addr_mask(&c.net, c.plen);
			vd_cidr_format(&c, cb);
			explain(res, flags, "%s table %s: listed as %s%s%.*s",
				i < pr->nallow ? "allow" : "block",
				pr->names[i], cb, hits[i].rlen ? " ; " : "",
				(int)hits[i].rlen, hits[i].reason);
		}
	}
	return rc;
}

static int score_finish(verdict_ctx *ctx, const prof_rt *pr, unsigned flags,
			int weight, const char *why, verdict_result *res);

/*
 * policy_score - steps 4 and 5: outright GeoIP/ASN rules, then the score
 * of GeoIP weights plus listed DNSBL zones against the thresholds.  The
 * geo weights go in first so that a cheap rule can settle the outcome
 * before any DNS answer arrives.
 */
static int
policy_score(verdict_ctx *ctx, const prof_rt *pr, const vaddr *ip,
	     int64_t deadline_ns, unsigned flags, verdict_result *res)
{
	const config_profile *p = pr->cfg;
	char why[128] = "";
	int weight = 0;

	(void)deadline_ns;
	/* the MMDB lookups only when something reads them: a rule, a reply
	 * variable, or a caller that asked for every detail */
	if (ctx->geo && (pr->uses_geo || pr->geo_in_reply ||
			 (flags & (VERDICT_CHECK_DETAIL |
				   VERDICT_CHECK_EXPLAIN)))) {
		geo_info gi;
		int d;

		vd_geo_lookup_ex(ctx->geo, ip, &gi, (flags & (VERDICT_CHECK_DETAIL |
			      VERDICT_CHECK_EXPLAIN)) ? 0 : GEO_LOOKUP_NOORG);
		if (gi.have_country)
			memcpy(res->country, gi.country, 3);
		if (gi.have_asn) {
			res->asn = gi.asn;
			vd_util_strlcpy(res->as_org, gi.as_org,
				     sizeof(res->as_org));
		}
		explain(res, flags, "geoip: country %s, AS%lu%s%s",
			gi.have_country ? gi.country : "unknown",
			(unsigned long)(gi.have_asn ? gi.asn : 0),
			gi.as_org[0] ? " " : "", gi.as_org);
		d = vd_geo_decide(p, &gi, &weight, why, sizeof(why));
		if (d != GEO_NONE) {
			res->kind = d == GEO_ALLOW ? VERDICT_ALLOW :
				    VERDICT_BLOCK;
			vd_util_strlcpy(res->source, "geoip", sizeof(res->source));
			vd_util_strlcpy(res->reason, why, sizeof(res->reason));
			res->have_reason = why[0] != 0;
			explain(res, flags, "geoip rule: %s %s",
				d == GEO_ALLOW ? "allow" : "block", why);
			return VERDICT_OK;
		}
		if (weight)
			explain(res, flags, "geoip weights: %+d (%s)", weight,
				why);
	}
	res->score = weight;
	if (pr->sites && ctx->dns) {
		int rc;

		if (res->dns == NULL &&
		    (res->dns = calloc(1, sizeof(*res->dns))) == NULL)
			return vd_util_err(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
		if (flags & POLICY_DEFER_DNS) {
			res->dns_deferred = 1;
			res->geo_weight = weight;
			vd_util_strlcpy(res->geo_why, why, sizeof(res->geo_why));
			return VERDICT_OK;
		}
		rc = vd_dnsbl_check(ctx->dns, pr->sites, p, ip, weight,
				 deadline_ns, res->dns);
		if (rc != VERDICT_OK)
			return rc;
	}
	return score_finish(ctx, pr, flags, weight, why, res);
}

/* vd_policy_dns_finish - the rest of policy_score once vd_dnsbl_check_many
 * filled res->dns */
int
vd_policy_dns_finish(verdict_ctx *ctx, const prof_rt *pr, unsigned flags,
		  verdict_result *res)
{
	res->dns_deferred = 0;
	return score_finish(ctx, pr, flags, res->geo_weight, res->geo_why,
			    res);
}

/* score_finish - the DNSBL answers (when asked) and the geo weight
 * against the thresholds */
static int
score_finish(verdict_ctx *ctx, const prof_rt *pr, unsigned flags,
	     int weight, const char *why, verdict_result *res)
{
	const config_profile *p = pr->cfg;
	int settled = 1;

	(void)ctx;
	if (pr->sites && ctx->dns) {
		res->score = res->dns->score;
		settled = res->dns->settled;
		/* the answers' text only when explaining (explain()'s
		 * arguments are evaluated before it looks at flags) */
		if (flags & VERDICT_CHECK_EXPLAIN)
			for (size_t i = 0; i < res->dns->nzones; i++)
				explain(res, flags,
					"dnsbl %s: %s (weight %d, %ld ms)",
					res->dns->zones[i].zone,
					vd_dnsbl_zone_answer(&res->dns->zones[i]),
					res->dns->zones[i].weight,
					res->dns->zones[i].ms);
	}
	if (weight == 0 && (!pr->sites || res->score == 0) && settled)
		return VERDICT_OK;
	if (res->score >= p->dnsbl_threshold) {
		res->kind = VERDICT_BLOCK;
	} else if (p->dnsbl_allowlist_threshold < 0 &&
		   res->score <= p->dnsbl_allowlist_threshold) {
		res->kind = VERDICT_ALLOW;
	} else {
		if (!settled && p->on_dns_failure == DNSFAIL_TEMPFAIL)
			res->kind = VERDICT_TEMPFAIL;
		explain(res, flags, "score %d: below dnsbl_threshold %d%s",
			res->score, p->dnsbl_threshold, settled ? "" :
			" (not settled: DNS answers missing)");
		return VERDICT_OK;
	}
	/* the source: the listing zones, then the geo rules that weighed */
	if (res->dns && res->dns->source[0])
		vd_util_strlcpy(res->source, res->dns->source,
			     sizeof(res->source));
	if (res->dns && res->dns->txt[0]) {
		vd_util_strlcpy(res->reason, res->dns->txt, sizeof(res->reason));
		res->have_reason = 1;
	}
	if (why[0] && weight) {
		size_t n = strlen(res->source);

		snprintf(res->source + n, sizeof(res->source) - n, "%sgeoip",
			 n ? "," : "");
		if (!res->have_reason) {
			vd_util_strlcpy(res->reason, why, sizeof(res->reason));
			res->have_reason = 1;
		}
	}
	explain(res, flags, "score %d: %s (dnsbl_threshold %d, "
		"dnsbl_allowlist_threshold %d)", res->score,
		res->kind == VERDICT_BLOCK ? "block" : "allow",
		p->dnsbl_threshold, p->dnsbl_allowlist_threshold);
	return VERDICT_OK;
}

int
vd_policy_eval(verdict_ctx *ctx, const prof_rt *pr, const vaddr *ip,
	    int64_t deadline_ns, unsigned flags, verdict_result *res)
{
	const config_profile *p = pr->cfg;
	int rc;

	/* 1. trusted networks */
	for (size_t i = 0; i < p->ntrusted; i++) {
		vcidr host = { *ip, 128 };

		if (vd_cidr_contains(&p->trusted[i], &host)) {
			res->kind = VERDICT_ALLOW;
			vd_util_strlcpy(res->source, "trusted_networks",
				     sizeof(res->source));
			res->cidr = p->trusted[i];
			res->have_cidr = 1;
			explain(res, flags, "trusted_networks: %s is trusted",
				vd_result_cidr_text(res));
			return VERDICT_OK;
		}
	}
	explain(res, flags, "trusted_networks: no match (%zu networks)",
		p->ntrusted);

	/* 2, 3. allow tables, block tables: one probe */
	if ((rc = policy_tables(ctx, pr, ip, deadline_ns, flags, res)) != 0)
		return rc;
	if (res->kind != VERDICT_NEUTRAL)
		return VERDICT_OK;

	/* 4, 5: GeoIP/ASN and DNSBL */
	return policy_score(ctx, pr, ip, deadline_ns, flags, res);
}

/* --------------------------------------------------------------- reply */

typedef struct rbuf {
	char *p;
	size_t len, cap;	/* cap excludes the NUL */
	int full;
} rbuf;

/* rb_put - append text, mapping '$', CR, LF and other control bytes to a
 * space (a '$' would be read as a flag by the MTA's mapping engine).
 * Copy, then clean in place: a loop the compiler can vectorise. */
static void
rb_put(rbuf *b, const char *s, size_t n)
{
	char *d;

	if (b->full)
		return;
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->full = 1;
	}
	d = b->p + b->len;
	memcpy(d, s, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		d[i] = (char)(c < 0x20 || c == '$' || c == 0x7f ? ' ' : c);
	}
	b->len += n;
}

static void
rb_puts(rbuf *b, const char *s)
{
	if (s)
		rb_put(b, s, strlen(s));
}

void
vd_policy_render(const char *tmpl, const verdict_result *cres, char out[252])
{
	verdict_result *res = (verdict_result *)cres;	/* lazy text only */
	rbuf b = { out, 0, 251, 0 };
	const char *s = tmpl;
	char num[32];

	while (*s && !b.full) {
		const char *v = strchr(s, '%');
		const char *end;
		size_t nlen;

		while (v && v[1] != '{')
			v = strchr(v + 1, '%');
		if (v == NULL) {
			rb_puts(&b, s);
			break;
		}
		rb_put(&b, s, (size_t)(v - s));
		end = strchr(v + 2, '}');
		if (end == NULL) {
			rb_puts(&b, v);
			break;
		}
		nlen = (size_t)(end - v - 2);
#define IS(name) (nlen == sizeof(name) - 1 && memcmp(v + 2, name, nlen) == 0)
		if (IS("ip")) {
			rb_puts(&b, vd_result_ip_text(res));
		} else if (IS("source")) {
			rb_puts(&b, res->source);
		} else if (IS("reason")) {
			if (res->have_reason) {
				rb_puts(&b, "; ");
				rb_puts(&b, res->reason);
			}
		} else if (IS("cidr")) {
			rb_puts(&b, vd_result_cidr_text(res));
		} else if (IS("score")) {
			snprintf(num, sizeof(num), "%d", res->score);
			rb_puts(&b, num);
		} else if (IS("country")) {
			rb_puts(&b, res->country);
		} else if (IS("asn")) {
			if (res->asn) {
				snprintf(num, sizeof(num), "AS%lu", res->asn);
				rb_puts(&b, num);
			}
		} else {
			rb_put(&b, v, (size_t)(end - v + 1));
		}
#undef IS
		s = end + 1;
	}
	/* cut cleanly: on a UTF-8 boundary, without trailing blanks */
	b.len = vd_util_utf8_cut(out, b.len, b.len);
	if (b.full) {
		size_t n = b.len;

		while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)out[n - 1] & 0x80))
			b.len = n - 1;	/* drop a cut multi-byte lead */
	}
	while (b.len > 0 && out[b.len - 1] == ' ')
		b.len--;
	out[b.len] = 0;
}

/* ----------------------------------------------------------------- log */

/* kv_quote - append value to line, quoted when it has blanks or quotes. */
static size_t
kv_put(char *line, size_t off, size_t cap, const char *key, const char *val)
{
	int quote = 0;

	if (off >= cap)
		return off;
	if (val == NULL || *val == 0)
		val = "-";
	for (const char *c = val; *c; c++)
		if (*c == ' ' || *c == '"' || *c == '\\' || *c == '=')
			quote = 1;
	off += (size_t)snprintf(line + off, cap - off, " %s=%s", key,
				quote ? "\"" : "");
	for (const char *c = val; *c && off + 3 < cap; c++) {
		if (*c == '"' || *c == '\\')
			line[off++] = '\\';
		line[off++] = (unsigned char)*c < 0x20 ? ' ' : *c;
	}
	if (quote && off + 1 < cap)
		line[off++] = '"';
	if (off >= cap)
		off = cap - 1;
	line[off] = 0;
	return off;
}

void
vd_policy_log(verdict_ctx *ctx, const prof_rt *pr, verdict_result *res)
{
	int lv = pr->cfg->log_verdicts;
	uint64_t sec, w, nw, supp;
	long limit = ctx->cfg->log_rate_limit;
	char line[768], num[64];
	struct timespec ts;
	size_t off;

	if (ctx->lg.fn == NULL || lv == LOG_VERDICTS_NONE)
		return;
	if (lv == LOG_VERDICTS_BLOCK && res->kind != VERDICT_BLOCK &&
	    !res->would_block)
		return;
	/* rate limit: a per-second window, lock-free; the coarse clock
	 * (a few ms of resolution is plenty for a second) costs a load,
	 * where the precise one costs a clock read (~30 ns on a VM) */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	sec = (uint64_t)ts.tv_sec;
	w = __atomic_load_n(&ctx->log_window, __ATOMIC_RELAXED);
	for (;;) {
		if (w >> 32 == (sec & 0xffffffff)) {
			if (limit > 0 && (long)(w & 0xffffffff) >= limit) {
				__atomic_add_fetch(&ctx->log_suppressed, 1,
						   __ATOMIC_RELAXED);
				return;
			}
			nw = w + 1;
		} else {
			nw = (sec & 0xffffffff) << 32 | 1;
		}
		if (__atomic_compare_exchange_n(&ctx->log_window, &w, nw, 0,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			break;
	}
	if ((nw & 0xffffffff) == 1 &&
	    (supp = __atomic_exchange_n(&ctx->log_suppressed, 0,
					__ATOMIC_RELAXED)) > 0)
		vd_log(&ctx->lg, LOG_NOTICE, "verdict: %llu verdict lines "
		       "suppressed (log_rate_limit %ld per second)",
		       (unsigned long long)supp, limit);
	off = (size_t)snprintf(line, sizeof(line), "verdict:");
	off = kv_put(line, off, sizeof(line), "ip", vd_result_ip_text(res));
	off = kv_put(line, off, sizeof(line), "verdict", res->would_block ?
		     "would-block" : verdict_kind_name(res->kind));
	snprintf(num, sizeof(num), "%d", res->score);
	off = kv_put(line, off, sizeof(line), "score", num);
	off = kv_put(line, off, sizeof(line), "source", res->source);
	off = kv_put(line, off, sizeof(line), "cidr", vd_result_cidr_text(res));
	snprintf(num, sizeof(num), "%ld", res->elapsed_us);
	off = kv_put(line, off, sizeof(line), "elapsed_us", num);
	snprintf(num, sizeof(num), "%d", res->profile);
	off = kv_put(line, off, sizeof(line), "profile", num);
	if (res->kind == VERDICT_ERROR)
		off = kv_put(line, off, sizeof(line), "error",
			     verdict_strerror(res->err));
	kv_put(line, off, sizeof(line), "reason",
	       res->have_reason ? res->reason : NULL);
	ctx->lg.fn(LOG_INFO, line, ctx->lg.arg);
}
