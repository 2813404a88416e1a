/*
 * dnsbl.h - the DNSBL/DNSWL layer as the rest of the library sees it
 *
 * The nouns of this folder, each with its own header and prefix:
 *	sites.h		vd_sites_*	postscreen grammar, weights, names
 *	answer.h	vd_answer_*	what a reply means; never-a-listing codes
 *	resolv.h	vd_resolv_*	the c-ares channel
 *	cache.h		vd_cache_*	the answer cache
 *	flight.c	vd_flight_*	shared in-flight queries, waiters
 *	selftest.c	vd_selftest_*	RFC 5782 self-test
 *	engine.c	vd_dnsbl_engine_*	lifecycle, zone records
 *	check.c		vd_dnsbl_check*	weighted checks under one deadline
 *
 * This header declares the engine handle, the checks and the self-test on
 * demand, and includes the sites and answer headers.  One dnsbl_engine per
 * verdict_ctx owns the resolver and the cache; vd_dnsbl_check is safe
 * from any number of threads on one engine.
 */
#ifndef VD_DNSBL_H
#define VD_DNSBL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "answer.h"
#include "config.h"
#include "sites.h"
#include "clock.h"
#include "errors.h"
#include "log.h"

typedef struct dnsbl_engine dnsbl_engine;

/*
 * vd_dnsbl_engine_new - start the resolver (cfg->dns_servers, else
 * /etc/resolv.conf) and the cache (cfg->cache_size entries).  cfg and lg
 * must outlive the engine.  Returns VERDICT_OK, VERDICT_EDNS (c-ares
 * could not start; lower code the c-ares status), VERDICT_ENOMEM; detail
 * via vd_err_set.
 */
int vd_dnsbl_engine_new(const vd_config *cfg, const vd_logger *lg,
			dnsbl_engine **out);

/* vd_dnsbl_engine_free - stop and join the resolver thread, free all.  No
 * check may be running. */
void vd_dnsbl_engine_free(dnsbl_engine *e);

typedef struct dnsbl_stats {
	unsigned long queries, cache_hits, timeouts, servfail, refused,
		bad_answers, wild_ignored;
} dnsbl_stats;

/* vd_dnsbl_engine_stats - totals since the engine started. */
void vd_dnsbl_engine_stats(dnsbl_engine *e, dnsbl_stats *out);

typedef struct dnsbl_zone_detail {
	const char *zone;	/* display name: the sites' (dnsbl_sites) own
				 * string, valid while they live */
	char answer[96];	/* "127.0.0.2,127.0.0.4", "NXDOMAIN", ...:
				 * read it through
				 * vd_dnsbl_check_zone_answer() */
	int weight;		/* weight added (0 when not listed) */
	long ms;		/* time of its answer, -1 when none came */
	int fmt;		/* answer still to be written from ans */
	int outcome;		/* DNSBL_OUT_*, for the counters */
	dnsbl_answer ans;
} dnsbl_zone_detail;

/* What one zone's lookup came to in a check, as the counters see it.
 * NONE: not waited for (the check settled first) or not usable yet (the
 * zone's self-test is pending). */
enum dnsbl_outcome {
	DNSBL_OUT_NONE = 0,
	DNSBL_OUT_LISTED = 1,		/* listed with a weight */
	DNSBL_OUT_NOT_LISTED = 2,	/* NXDOMAIN, or no filter matched */
	DNSBL_OUT_TIMEOUT = 3,
	DNSBL_OUT_ERROR = 4,		/* SERVFAIL, REFUSED, bad answer */
	DNSBL_OUT_IGNORED = 5,		/* error codes only, or a wild zone */
	DNSBL_OUT_KINDS = 6
};

/* vd_dnsbl_check_zone_answer - the answer text of a zone, written on
 * first use: most checks never show it, and formatting every zone of
 * every check would cost a cached verdict much of its time. */
const char *vd_dnsbl_check_zone_answer(dnsbl_zone_detail *z);

typedef struct dnsbl_result {
	int score;		/* base_score + weights of listing sites */
	int settled;		/* no open answer could cross a threshold */
	int unknown;		/* zones whose answer is unknown */
	char source[256];	/* listing zones' display names */
	char txt[201];		/* TXT of the first listing zone (dnsbl_txt) */
	size_t nzones;
	dnsbl_zone_detail zones[DNSBL_ZONES_MAX];
	int cache_hits, queries;
} dnsbl_result;

/* vd_dnsbl_engine_zones - a zone record for every domain of s, made now
 * rather than at its first check, so that a zone's name in lines of no
 * single profile is a mapping profile's from the start; -1 when out of
 * memory. */
int vd_dnsbl_engine_zones(dnsbl_engine *e, const dnsbl_sites *s);

/* vd_dnsbl_result_clear - res as a check that asked no zone: no score,
 * no source, no TXT, nzones 0, no counts.  Every field a check sets but
 * zones[], which nzones bounds; a new field goes here too. */
void vd_dnsbl_result_clear(dnsbl_result *res);

/*
 * vd_dnsbl_check - evaluate profile p's sites s for ip, starting from
 * base_score, waiting at most until deadline_ns (vd_clock_now_ns clock).
 * Returns VERDICT_OK, also when zones failed (res->unknown, !settled);
 * VERDICT_EINVAL on misuse, VERDICT_ENOMEM.  Safe from many threads.
 * zones[] are in the order of s; source lists positive-weight listings
 * (largest first) unless the score reaches an enabled allow threshold,
 * then the negative ones.
 */
int vd_dnsbl_check(dnsbl_engine *e, const dnsbl_sites *s,
		   const config_profile *p, const vaddr *ip, int base_score,
		   int64_t deadline_ns, dnsbl_result *res);

/*
 * vd_dnsbl_check_many - n checks of one profile at once, from this thread:
 * res[i] as vd_dnsbl_check(ips[i], base_scores[i]) would fill it.  Every
 * check's queries are in flight together and the calling thread drives
 * the resolver (or, when another thread does, sleeps) until each check's
 * wait is over or deadline_ns passes: one wake-up for the whole group,
 * not one per check.  Returns VERDICT_OK, VERDICT_EINVAL, VERDICT_ENOMEM
 * (then no res[i] is meaningful).
 */
int vd_dnsbl_check_many(dnsbl_engine *e, const dnsbl_sites *s,
			const config_profile *p, const vaddr *const *ips,
			const int *base_scores, size_t n, int64_t deadline_ns,
			dnsbl_result *const *res);

/* vd_dnsbl_zone_up - domain d of s passed its RFC 5782 self-test (1),
 * failed it or gone wild (0), or not tested yet (-1).  Safe from any
 * thread; creates the zone's record when it has none. */
int vd_dnsbl_zone_up(dnsbl_engine *e, const dnsbl_sites *s, size_t d);

/*
 * vd_selftest_doctor (selftest.c) - run the RFC 5782 self-test now for
 * every zone of s; cb once per zone (display name) with ok and a detail:
 * "ok", "wild: lists 127.0.0.1", "does not list 127.0.0.2", "not
 * answering", plus error codes seen.  Returns 0, cb's non-zero return,
 * or a verdict_err.
 */
int vd_selftest_doctor(dnsbl_engine *e, const dnsbl_sites *s,
		       int64_t deadline_ns,
		       int (*cb)(const char *zone, int ok, const char *detail,
				 void *arg), void *arg);

#endif
