/*
 * engine.c - the DNSBL engine: lifecycle, zone records, answers landing
 *
 *	vd_dnsbl_engine_new	resolver + cache + in-flight table
 *	vd_dnsbl_engine_free	stop the resolver, free all
 *	vd_dnsbl_engine_stats	counters since the engine started
 *	vd_dnsbl_engine_zone	the record of a domain, made on first use
 *	vd_dnsbl_engine_zones	the records of every domain of sites, now
 *	vd_dnsbl_engine_zone_of	the same through the sites' memo
 *	vd_dnsbl_engine_landed	count, log and cache an answer
 *	vd_dnsbl_zone_up	a zone's self-test as a health figure
 *
 * The engine is the one place that holds what outlives a check: the
 * resolver (resolv.c), the answer cache (cache.c), the flights (flight.c)
 * and a record per zone (self-test verdict, warning windows).  Answers
 * are cached positive and negative, for as long as any profile may use
 * them; each check applies its own profile's TTL clamp when it reads.
 * Cache times are on the coarse clock (vd_clock_coarse_ns): an answer
 * may expire up to one tick early, never late.
 *
 * Diagnostics: answers that are never a listing (answer.c) and unknown
 * answers are logged once a minute per zone and kind, with the zone's
 * display name, never the secret domain.
 *
 * Limits: the cache key is the domain, so profiles sharing a domain share
 * its answers.  SERVFAIL and REFUSED do not fail over to the next server
 * (see resolv.c).  Zone records live until the engine is freed.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "str.h"
#include "dnsbl.h"
#include "engine.h"

/* engine ids: never 0, never reused (an engine at a freed one's address
 * must not inherit its memo) */
static uint64_t engine_ids;

/* longest - the longest TTL clamp and DNS timeout of all profiles */
static void
longest(const vd_config *cfg, int64_t *tmo, int64_t *ttl)
{
	size_t i;

	*tmo = cfg->global.dnsbl_timeout_ms;
	*ttl = cfg->global.dnsbl_max_ttl > cfg->global.dnsbl_min_ttl
	       ? cfg->global.dnsbl_max_ttl : cfg->global.dnsbl_min_ttl;
	for (i = 0; i < cfg->nprofiles; i++) {
		const config_profile *p = &cfg->profiles[i];

		if (p->dnsbl_timeout_ms > *tmo)
			*tmo = p->dnsbl_timeout_ms;
		if (p->dnsbl_max_ttl > *ttl)
			*ttl = p->dnsbl_max_ttl;
		if (p->dnsbl_min_ttl > *ttl)
			*ttl = p->dnsbl_min_ttl;
	}
	if (*tmo <= 0)
		*tmo = 1500;
}

/* vd_dnsbl_engine_new - start the resolver and the cache */
int
vd_dnsbl_engine_new(const vd_config *cfg, const vd_logger *lg,
		    dnsbl_engine **out)
{
	dnsbl_engine *e;
	int64_t tmo, ttl;
	int rc;

	*out = NULL;
	longest(cfg, &tmo, &ttl);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	e->id = __atomic_add_fetch(&engine_ids, 1, __ATOMIC_RELAXED);
	e->lg = lg;
	e->cache_ttl_max = ttl > 0 ? ttl : 3600;
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&e->cattr);
	pthread_condattr_setclock(&e->cattr, CLOCK_MONOTONIC);
	if ((e->cache = vd_cache_new(cfg->cache_size, offsetof(fkey, zid)))
	    == NULL) {
		rc = vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		goto bad;
	}
	/* two tries (a lost UDP packet is retried); c-ares doubles the
	 * second try's timeout, so a query dies after about 3 * try_ms,
	 * near the longest deadline.  A check's own deadline rules. */
	rc = vd_resolv_new(&cfg->dns_servers,
			   (int)(tmo / 3 > 20 ? tmo / 3 : 20), 2, lg, &e->res);
	if (rc != VERDICT_OK)
		goto bad;
	*out = e;
	return VERDICT_OK;
bad:
	vd_cache_free(e->cache);
	pthread_condattr_destroy(&e->cattr);
	pthread_mutex_destroy(&e->mu);
	free(e);
	return rc;
}

/* vd_dnsbl_engine_free - no check may be running */
void
vd_dnsbl_engine_free(dnsbl_engine *e)
{
	zrec *z, *n;

	if (e == NULL)
		return;
	/* flights still in flight are freed by their ARES_EDESTRUCTION
	 * callbacks, which run in this thread inside vd_resolv_free */
	vd_resolv_free(e->res);
	for (z = e->zones; z; z = n) {
		n = z->next;
		free(z);
	}
	vd_cache_free(e->cache);
	pthread_condattr_destroy(&e->cattr);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* vd_dnsbl_engine_stats - totals since the engine started */
void
vd_dnsbl_engine_stats(dnsbl_engine *e, dnsbl_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->queries = e->n_queries;
	out->cache_hits = vd_cache_hits(e->cache) - e->n_stale;
	out->timeouts = e->n_timeouts;
	out->servfail = e->n_servfail;
	out->refused = e->n_refused;
	out->bad_answers = e->n_bad;
	out->wild_ignored = e->n_wild;
}

/* vd_dnsbl_engine_zone - the record of domain d of s, created on first
 * use (by name: the check path asks vd_dnsbl_engine_zone_of first) */
zrec *
vd_dnsbl_engine_zone(dnsbl_engine *e, const dnsbl_sites *s, size_t d)
{
	const char *name = vd_sites_domain(s, d);
	int mapped = vd_sites_mapped(s, d);
	zrec *z;

	for (z = __atomic_load_n(&e->zones, __ATOMIC_ACQUIRE); z; z = z->next)
		if (strcmp(z->name, name) == 0
		    && (!mapped || __atomic_load_n(&z->mapped,
						   __ATOMIC_ACQUIRE)))
			return z;
	pthread_mutex_lock(&e->mu);
	for (z = e->zones; z; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	if (z == NULL && (z = calloc(1, sizeof(*z))) != NULL) {
		z->id = ++e->nzones;
		vd_str_lcpy(z->name, name, sizeof(z->name));
		vd_str_lcpy(z->disp[0], vd_sites_display(s, d),
				sizeof(z->disp[0]));
		z->mapped = mapped;
		z->next = e->zones;
		__atomic_store_n(&e->zones, z, __ATOMIC_RELEASE);
	} else if (z != NULL && mapped && !z->mapped) {
		/* the first profile to hide the domain names it from now on */
		vd_str_lcpy(z->disp[1], vd_sites_display(s, d),
				sizeof(z->disp[1]));
		__atomic_store_n(&z->disp_i, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&z->mapped, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&e->mu);
	return z;
}

int
vd_dnsbl_engine_zones(dnsbl_engine *e, const dnsbl_sites *s)
{
	for (size_t d = 0; d < vd_sites_nzones(s); d++)
		if (vd_dnsbl_engine_zone(e, s, d) == NULL)
			return -1;
	return 0;
}

/* vd_dnsbl_engine_zone_of - through memo (NULL when another engine owns
 * it): after the first check a domain's record is one atomic load, not a
 * walk comparing names */
zrec *
vd_dnsbl_engine_zone_of(dnsbl_engine *e, const dnsbl_sites *s, void **memo,
			size_t d)
{
	zrec *z;

	if (memo && (z = __atomic_load_n(&memo[d], __ATOMIC_ACQUIRE)) != NULL)
		return z;
	if ((z = vd_dnsbl_engine_zone(e, s, d)) != NULL && memo)
		__atomic_store_n(&memo[d], (void *)z, __ATOMIC_RELEASE);
	return z;
}

/* vd_dnsbl_zone_up - up when the last self-test passed and the zone
 * answered it (listed 127.0.0.2): a silent or wild zone is down.  Read
 * under e->mu, which is for a scrape, never for a check. */
int
vd_dnsbl_zone_up(dnsbl_engine *e, const dnsbl_sites *s, size_t d)
{
	zrec *z;
	int up;

	if (e == NULL || (z = vd_dnsbl_engine_zone(e, s, d)) == NULL)
		return -1;
	pthread_mutex_lock(&e->mu);
	if (z->verdict == TEST_NONE)
		up = -1;
	else
		up = z->verdict == TEST_OK &&
		     z->probe[0].kind == DNSBL_LISTED;
	pthread_mutex_unlock(&e->mu);
	return up;
}

static void
ip_text(const vaddr *a, char *buf, size_t size)
{
	if (vd_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)size);
}

/* warn - the rate-limited warnings for an answer (driving thread); the
 * texts are written only for a line that is logged: warn sees every
 * answer, and most of them log nothing */
static void
warn(dnsbl_engine *e, const fkey *key, zrec *zr, const dnsbl_answer *a)
{
	char ip[ADDR_TEXT_MAX], code[16], txt[96];
	unsigned bit;
	int i, j;

	for (i = 0, bit = 1; i < DNSBL_IGN_KINDS; i++, bit <<= 1) {
		uint32_t v = 0;

		if (!(a->flags & bit)
		    || !vd_log_ratelimit(&zr->warn_last[i], WARN_NS))
			continue;
		/* the first code of this kind, for the log line */
		for (j = 0; j < a->nignored; j++) {
			if (vd_answer_ignored_flag(a->ignored[j]) == bit) {
				v = a->ignored[j];
				break;
			}
		}
		vd_answer_ip4_text(v, code, sizeof(code));
		ip_text(&key->ip, ip, sizeof(ip));
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s answered %s for "
		       "%s: %s; not counted as a listing", vd_zrec_display(zr),
		       code, ip, vd_answer_ignored_meaning(bit));
	}
	if (a->kind >= DNSBL_TIMEOUT && a->kind != DNSBL_IGNORED
	    && vd_log_ratelimit(&zr->warn_last[WARN_UNKNOWN], WARN_NS)) {
		vd_answer_text(a, txt, sizeof(txt));
		ip_text(&key->ip, ip, sizeof(ip));
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s: %s for %s; "
		       "the answer is unknown", vd_zrec_display(zr), txt, ip);
	}
}

/* vd_dnsbl_engine_landed - count, warn, cache (no lock held) */
void
vd_dnsbl_engine_landed(dnsbl_engine *e, const fkey *key, zrec *zr,
		       int status, const dnsbl_answer *a)
{
	switch (a->kind) {
	case DNSBL_TIMEOUT:
		e->n_timeouts++;
		break;
	case DNSBL_SERVFAIL:
		e->n_servfail++;
		break;
	case DNSBL_REFUSED:
		e->n_refused++;
		break;
	case DNSBL_BAD:
	case DNSBL_IGNORED:
		e->n_bad++;
		break;
	}
	if (status != ARES_EDESTRUCTION)
		warn(e, key, zr, a);
	if (!key->test && (a->kind == DNSBL_LISTED
			   || a->kind == DNSBL_NXDOMAIN)) {
		cval v;

		/* kept as long as any profile may use it; each check
		 * applies its own profile's TTL clamp (check.c) */
		v.at = vd_clock_coarse_ns();
		v.a = *a;
		vd_cache_put(e->cache, key, sizeof(*key), &v,
			     key->qtype == ns_t_txt ? sizeof(v) : CVAL_A_LEN,
			     v.at + e->cache_ttl_max * VD_NS_PER_S);
	}
}
