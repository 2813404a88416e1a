/*
 * policy.c - the order of evaluation: which step answers a check
 *
 *	vd_policy_eval		trusted networks -> allow tables -> block
 *				tables -> learned tables -> GeoIP outright ->
 *				GeoIP weights + DNSBL score against the
 *				thresholds
 *	vd_policy_dns_finish	the score step of a check whose DNSBL
 *				queries ran in a batch
 *	vd_policy_settle	monitor mode; the reply template to render
 *
 * First final answer wins.  Allow beats block: the allow tables and the
 * block tables are answered by the same index probe, and an allow hit is
 * looked at first.  Among block tables the first in block_tables order
 * that matches is the source.  A learned table is read by its one source
 * key in the same read transaction, only when no allow or block table
 * answered: the administrator's own lists always win over what was
 * learned.  The GeoIP weights go into the score before
 * any DNS answer so that a cheap rule can settle the outcome early.
 *
 * DNS failure is unknown, never listed: a score left below the threshold
 * with answers missing is NEUTRAL (fail open) unless the profile says
 * on_dns_failure = tempfail.  mode = monitor turns a BLOCK into NEUTRAL
 * with would_block set, so a policy can be tried on live traffic.
 *
 * Diagnostics: none of its own; the lower layers' errors are returned.
 *
 * Limits: EXPLAIN_MAX steps are recorded, each cut at EXPLAIN_LINE bytes;
 * a profile names at most POLICY_TABLES_MAX tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "clock.h"
#include "dnsbl.h"
#include "geo.h"
#include "policy.h"
#include "errors.h"
#include "str.h"

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

/* policy_trusted - step 1: the profile's trusted networks */
static int
policy_trusted(const policy_profile *pr, const vaddr *ip, unsigned flags,
	       verdict_result *res)
{
	const config_profile *p = pr->cfg;
	vcidr host = { *ip, 128 };

	for (size_t i = 0; i < p->ntrusted; i++) {
		if (!vd_cidr_contains(&p->trusted[i], &host))
			continue;
		res->kind = VERDICT_ALLOW;
		vd_str_lcpy(res->source, "trusted_networks",
				sizeof(res->source));
		res->source_kind = VERDICT_SOURCE_TRUSTED;
		res->cidr = p->trusted[i];
		res->have_cidr = 1;
		/* explain()'s arguments are evaluated before it looks at
		 * flags: format the network only when explaining */
		if (flags & VERDICT_CHECK_EXPLAIN)
			explain(res, flags, "trusted_networks: %s is trusted",
				vd_result_cidr_text(res));
		return 1;
	}
	explain(res, flags, "trusted_networks: no match (%zu networks)",
		p->ntrusted);
	return 0;
}

/* tables_hit - the first table that lists ip decides */
static void
tables_hit(const policy_profile *pr, const vaddr *ip, const tbl_hit *hits,
	   verdict_result *res)
{
	size_t n = pr->nallow + pr->nblock, i;
	const tbl_hit *h;

	for (i = 0; i < n && hits[i].plen == 0; i++)
		;
	if (i == n)
		return;
	h = &hits[i];
	res->kind = i < pr->nallow ? VERDICT_ALLOW : VERDICT_BLOCK;
	vd_str_lcpy(res->source, pr->names[i], sizeof(res->source));
	res->source_kind = VERDICT_SOURCE_TABLE;
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

/* tables_explain - one explain line a table, listed or not */
static void
tables_explain(const policy_profile *pr, const vaddr *ip, const tbl_hit *hits,
	       unsigned flags, verdict_result *res)
{
	size_t n = pr->nallow + pr->nblock;

	for (size_t i = 0; i < n; i++) {
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

/* learned_explain - a learned record's score against the threshold
 * (learned_record calls it only when explaining) */
static void
learned_explain(const policy_profile *pr, const char *name,
		const learn_rec *r, uint64_t now, unsigned flags,
		verdict_result *res)
{
	uint64_t until = vd_learn_model_until(pr->learn, r, now);
	double s = vd_learn_model_score(r, now);
	char when[32] = "";
	struct tm tm;
	time_t t = (time_t)until;

	if (until && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (until)
		explain(res, flags, "learned table %s: score %.3f >= "
			"threshold %.0f, blocked until %s (half-life %us, "
			"%u reports)", name, s, pr->learn->threshold, when,
			r->half_life, r->reports);
	else
		explain(res, flags, "learned table %s: score %.3f below "
			"threshold %.0f (%u reports)", name, s,
			pr->learn->threshold, r->reports);
}

/* learned_record - explain one table's record (the slow path: only
 * when explaining) */
static int
learned_record(const policy_profile *pr, tbl_reader *r, size_t i,
	       const vcidr *key, uint64_t now, unsigned flags,
	       verdict_result *res)
{
	learn_rec rec;
	int f;

	if (!(flags & VERDICT_CHECK_EXPLAIN))
		return VERDICT_OK;
	f = vd_learned_lookup(r->txn, pr->learned_dbi[i], key, &rec);
	if (f < 0)
		return vd_err_set(VERDICT_EDB, 0, "learned table %s: "
				   "unreadable record", pr->learned_names[i]);
	if (f == 0)
		explain(res, flags, "learned table %s: no reports",
			pr->learned_names[i]);
	else
		learned_explain(pr, pr->learned_names[i], &rec, now, flags,
				res);
	return VERDICT_OK;
}

/* policy_learned - step 3b: the learned tables, by the source key.  A
 * check looks in the small db of blocked keys; the record itself is
 * read only to explain. */
static int
policy_learned(const policy_profile *pr, tbl_reader *r, const vaddr *ip,
	       unsigned flags, verdict_result *res)
{
	uint64_t now = (uint64_t)vd_clock_wall_s(), until;
	vcidr key;
	int rc;

	vd_learned_key(pr->learn, ip, &key);
	for (size_t i = 0; i < pr->nlearned; i++) {
		int f = vd_learned_blocked(r->txn, pr->learned_bdbi[i], &key,
					   &until, res->reason);

		if (f < 0)
			return vd_err_set(VERDICT_EDB, 0, "learned table %s: "
					   "unreadable blocked key",
					   pr->learned_names[i]);
		if ((rc = learned_record(pr, r, i, &key, now, flags, res)) != 0)
			return rc;
		if (f == 0 || until <= now) {
			res->reason[0] = 0;
			continue;
		}
		res->kind = VERDICT_BLOCK;
		vd_str_lcpy(res->source, pr->learned_names[i],
			    sizeof(res->source));
		res->source_kind = VERDICT_SOURCE_LEARNED;
		res->cidr = key;
		res->have_cidr = 1;
		res->have_reason = res->reason[0] != 0;
		return VERDICT_OK;
	}
	return VERDICT_OK;
}

/* policy_tables - steps 2 and 3: one index probe for every table, then
 * the learned tables when none answered. */
static int
policy_tables(const policy_src *src, const policy_profile *pr,
	      const vaddr *ip, int64_t deadline_ns, unsigned flags,
	      verdict_result *res)
{
	tbl_hit hits[POLICY_TABLES_MAX];
	size_t n = pr->nallow + pr->nblock;
	tbl_reader *r;
	int rc = VERDICT_OK;

	if (n == 0 && pr->nlearned == 0)
		return VERDICT_OK;
	if ((rc = vd_lmdb_env_read_begin(src->te, deadline_ns, &r)) != VERDICT_OK)
		return rc;
	if (n) {
		rc = vd_index_probe(r, ip, pr->ids, n, (uint32_t)time(NULL),
				    hits);
		if (rc == VERDICT_OK)
			tables_hit(pr, ip, hits, res);
		if (rc == VERDICT_OK && (flags & VERDICT_CHECK_EXPLAIN))
			tables_explain(pr, ip, hits, flags, res);
	}
	if (rc == VERDICT_OK && res->kind == VERDICT_NEUTRAL && pr->nlearned)
		rc = policy_learned(pr, r, ip, flags, res);
	vd_lmdb_env_read_end(src->te, r);
	return rc;
}

/* policy_geo - step 4: country and ASN; 1 when a rule decided outright,
 * else 0 with the rules' weight and its text in *weight, why */
static int
policy_geo(const policy_src *src, const policy_profile *pr, const vaddr *ip,
	   unsigned flags, verdict_result *res, int *weight, char *why,
	   size_t whylen)
{
	unsigned all = flags & (VERDICT_CHECK_DETAIL | VERDICT_CHECK_EXPLAIN);
	geo_info gi;
	int d;

	/* the MMDB lookups only when something reads them: a rule, a reply
	 * variable, or a caller that asked for every detail */
	if (src->geo == NULL || !(pr->uses_geo || pr->geo_in_reply || all))
		return 0;
	vd_geo_lookup_ex(src->geo, ip, &gi, all ? 0 : GEO_LOOKUP_NOORG);
	if (gi.have_country)
		memcpy(res->country, gi.country, 3);
	if (gi.have_asn) {
		res->asn = gi.asn;
		vd_str_lcpy(res->as_org, gi.as_org, sizeof(res->as_org));
	}
	explain(res, flags, "geoip: country %s, AS%lu%s%s",
		gi.have_country ? gi.country : "unknown",
		(unsigned long)(gi.have_asn ? gi.asn : 0),
		gi.as_org[0] ? " " : "", gi.as_org);
	d = vd_georule_decide(pr->cfg, &gi, weight, why, whylen);
	if (d != GEO_NONE) {
		res->kind = d == GEO_ALLOW ? VERDICT_ALLOW : VERDICT_BLOCK;
		vd_str_lcpy(res->source, "geoip", sizeof(res->source));
		res->source_kind = VERDICT_SOURCE_GEOIP;
		vd_str_lcpy(res->reason, why, sizeof(res->reason));
		res->have_reason = why[0] != 0;
		explain(res, flags, "geoip rule: %s %s",
			d == GEO_ALLOW ? "allow" : "block", why);
		return 1;
	}
	if (*weight)
		explain(res, flags, "geoip weights: %+d (%s)", *weight, why);
	return 0;
}

/* score_explain - the DNSBL answers' text, only when explaining
 * (explain()'s arguments are evaluated before it looks at flags) */
static void
score_explain(unsigned flags, verdict_result *res)
{
	if (!(flags & VERDICT_CHECK_EXPLAIN))
		return;
	for (size_t i = 0; i < res->dns->nzones; i++) {
		dnsbl_zone_detail *z = &res->dns->zones[i];

		/* a zone still pending has no time (ms < 0) */
		if (z->ms >= 0)
			explain(res, flags, "dnsbl %s: %s (weight %d, %ld ms)",
				z->zone, vd_dnsbl_check_zone_answer(z),
				z->weight, z->ms);
		else
			explain(res, flags, "dnsbl %s: %s (weight %d)",
				z->zone, vd_dnsbl_check_zone_answer(z),
				z->weight);
	}
}

/* score_source - a BLOCK or ALLOW by score: the listing zones, then the
 * geo rules that weighed, as source; the first text found as reason */
static void
score_source(int weight, const char *why, verdict_result *res)
{
	res->source_kind = VERDICT_SOURCE_GEOIP;
	if (res->dns && res->dns->source[0]) {
		vd_str_lcpy(res->source, res->dns->source,
				sizeof(res->source));
		res->source_kind = VERDICT_SOURCE_DNSBL;
	}
	if (res->dns && res->dns->txt[0]) {
		vd_str_lcpy(res->reason, res->dns->txt,
				sizeof(res->reason));
		res->have_reason = 1;
	}
	if (why[0] && weight) {
		size_t n = strlen(res->source);

		snprintf(res->source + n, sizeof(res->source) - n, "%sgeoip",
			 n ? "," : "");
		if (!res->have_reason) {
			vd_str_lcpy(res->reason, why, sizeof(res->reason));
			res->have_reason = 1;
		}
	}
}

/* score_finish - the DNSBL answers (when asked) and the geo weight
 * against the thresholds; unsettled DNS is fail-open or TEMPFAIL */
static int
score_finish(const policy_src *src, const policy_profile *pr, unsigned flags,
	     int weight, const char *why, verdict_result *res)
{
	const config_profile *p = pr->cfg;
	int settled = 1;

	if (pr->sites && src->dns) {
		res->score = res->dns->score;
		settled = res->dns->settled;
		score_explain(flags, res);
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
	score_source(weight, why, res);
	explain(res, flags, "score %d: %s (dnsbl_threshold %d, "
		"dnsbl_allowlist_threshold %d)", res->score,
		res->kind == VERDICT_BLOCK ? "block" : "allow",
		p->dnsbl_threshold, p->dnsbl_allowlist_threshold);
	return VERDICT_OK;
}

/* policy_score - steps 4 and 5: outright GeoIP/ASN rules, then the score
 * of GeoIP weights plus listed DNSBL zones against the thresholds */
static int
policy_score(const policy_src *src, const policy_profile *pr,
	     const vaddr *ip, int64_t deadline_ns, unsigned flags,
	     verdict_result *res)
{
	char why[128] = "";
	int weight = 0, rc;
	int64_t t0;

	if (policy_geo(src, pr, ip, flags, res, &weight, why, sizeof(why)))
		return VERDICT_OK;
	res->score = weight;
	if (pr->sites && src->dns) {
		if (res->dns == NULL &&
		    (res->dns = calloc(1, sizeof(*res->dns))) == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM,
					   "out of memory");
		if (flags & POLICY_DEFER_DNS) {
			res->dns_deferred = 1;
			res->geo_weight = weight;
			vd_str_lcpy(res->geo_why, why,
					sizeof(res->geo_why));
			return VERDICT_OK;
		}
		t0 = vd_clock_now_ns();
		rc = vd_dnsbl_check(src->dns, pr->sites, pr->cfg, ip, weight,
				    deadline_ns, res->dns);
		if (rc != VERDICT_OK)
			return rc;
		res->dns_ns = vd_clock_now_ns() - t0 + 1;
	}
	return score_finish(src, pr, flags, weight, why, res);
}

/* vd_policy_dns_finish - the rest of policy_score once
 * vd_dnsbl_check_many filled res->dns */
int
vd_policy_dns_finish(const policy_src *src, const policy_profile *pr,
		     unsigned flags, verdict_result *res)
{
	res->dns_deferred = 0;
	return score_finish(src, pr, flags, res->geo_weight, res->geo_why,
			    res);
}

/* vd_policy_eval - steps 1 to 5, the first final answer wins */
int
vd_policy_eval(const policy_src *src, const policy_profile *pr,
	       const vaddr *ip, int64_t deadline_ns, unsigned flags,
	       verdict_result *res)
{
	int rc;

	if (policy_trusted(pr, ip, flags, res))
		return VERDICT_OK;
	rc = policy_tables(src, pr, ip, deadline_ns, flags, res);
	if (rc != VERDICT_OK || res->kind != VERDICT_NEUTRAL)
		return rc;
	return policy_score(src, pr, ip, deadline_ns, flags, res);
}

/* vd_policy_settle - monitor mode, then the template of the reply, which
 * is rendered only when asked for (verdict_result_reply): most callers
 * log or count and never need it */
void
vd_policy_settle(const policy_profile *pr, verdict_result *res)
{
	if (res->kind == VERDICT_BLOCK && pr->cfg->mode == MODE_MONITOR) {
		res->kind = VERDICT_NEUTRAL;
		res->would_block = 1;
	}
	if (res->kind == VERDICT_BLOCK)
		res->reply_tmpl = pr->cfg->reply;
	else if (res->kind == VERDICT_TEMPFAIL)
		res->reply_tmpl = pr->cfg->tempfail_reply;
}
