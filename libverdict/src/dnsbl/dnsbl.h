/*
 * dnsbl.h - DNSBL/DNSWL engine: postscreen's dnsbl_sites grammar, weighted
 * evaluation, answer safety, RFC 5782 self-test, shared in-flight queries
 *
 * A profile's dnsbl_sites text is compiled once (vd_dnsbl_sites_parse) into a
 * read-only dnsbl_sites shared by every thread.  One dnsbl_engine per
 * verdict_ctx owns the resolver (resolv.h) and the answer cache
 * (cache.h); vd_dnsbl_check is safe from any number of threads on one engine.
 */
#ifndef VD_DNSBL_H
#define VD_DNSBL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "util.h"

typedef struct dnsbl_sites dnsbl_sites;	/* one profile's compiled sites */

#define DNSBL_ZONES_MAX 32		/* distinct domains per profile */
#define DNSBL_ENTRIES_MAX 128		/* site entries per profile */
#define DNSBL_DOMAIN_MAX 189		/* 253 - 64 (the IPv6 nibble prefix) */
#define DNSBL_WEIGHT_MAX 1000000

/*
 * vd_dnsbl_sites_parse - compile postscreen grammar
 *	sites  = site { ("," | white space) site }
 *	site   = domain [ "=" filter | "&" mask ] [ "*" weight ]
 *	filter = field "." field "." field "." field
 *	field  = octet | "[" member { ";" member } "]"
 *	member = octet | octet ".." octet
 * text NULL or blank gives zero sites (valid).  reply_names (may be NULL)
 * maps secret domains to display names (case-insensitive).  On error
 * returns VERDICT_ECONFIG (or VERDICT_ENOMEM) and err gets
 * "offending text: what"; the caller adds file:line.
 */
int vd_dnsbl_sites_parse(const char *text, const config_pairlist *reply_names,
		      dnsbl_sites **out, char *err, size_t errlen);
void vd_dnsbl_sites_free(dnsbl_sites *s);

/* vd_dnsbl_sites_nzones - distinct domains (one query each per check). */
size_t vd_dnsbl_sites_nzones(const dnsbl_sites *s);

/* vd_dnsbl_sites_memo - DNSBL_ZONES_MAX pointer slots (one per domain,
 * initially NULL) kept in s for one owner: the first non-zero owner id to
 * ask claims them for the life of s and gets them; any other owner gets
 * NULL.  Read and write the slots with __atomic builtins.  The engine
 * keeps its zone records there (no lookup by name per check). */
void **vd_dnsbl_sites_memo(const dnsbl_sites *s, uint64_t owner);

/* vd_dnsbl_sites_domain / _display - domain i (lower case) and its display
 * name (the reply_names value, else the domain). */
const char *vd_dnsbl_sites_domain(const dnsbl_sites *s, size_t i);
const char *vd_dnsbl_sites_display(const dnsbl_sites *s, size_t i);

/*
 * A classified answer (vd_dnsbl_classify).  LISTED: at least one A record in
 * 127.0.0.0/8 that is not an operator error code; addr[] holds them (host
 * order).  NXDOMAIN also covers NOERROR without A records (NODATA): not
 * listed.  Everything else is unknown.  ignored[] holds the error codes
 * and outside-127/8 answers dropped (flags says which kinds).
 */
enum dnsbl_kind {
	DNSBL_PENDING = 0,
	DNSBL_LISTED = 1,
	DNSBL_NXDOMAIN = 2,
	DNSBL_TIMEOUT = 3,
	DNSBL_SERVFAIL = 4,
	DNSBL_REFUSED = 5,
	DNSBL_BAD = 6,		/* malformed, truncated, wrong type */
	DNSBL_IGNORED = 7,	/* only error codes / outside 127/8 */
	DNSBL_ERROR = 8		/* other resolver failure */
};

#define DNSBL_IGN_OUTSIDE	0x01	/* answer outside 127.0.0.0/8 */
#define DNSBL_IGN_252		0x02	/* 127.255.255.252 typo in zone name */
#define DNSBL_IGN_254		0x04	/* 127.255.255.254 public resolver */
#define DNSBL_IGN_255		0x08	/* 127.255.255.255 excessive queries */
#define DNSBL_IGN_OTHER		0x10	/* other 127.255.255.0/24 */
#define DNSBL_IGN_WL255		0x20	/* 127.0.0.255 DNSWL blocked */
#define DNSBL_IGN_KINDS		6

#define DNSBL_ADDR_MAX 16
#define DNSBL_TXT_MAX 200

typedef struct dnsbl_answer {
	int kind;			/* enum dnsbl_kind */
	unsigned flags;			/* DNSBL_IGN_* seen */
	int naddr;
	int nignored;
	uint32_t addr[DNSBL_ADDR_MAX];	/* listing codes, host order */
	uint32_t ignored[4];		/* first dropped answers */
	uint32_t ttl;			/* seconds: A TTL or SOA negative TTL */
	int truncated;			/* TC bit set */
	char txt[DNSBL_TXT_MAX + 1];	/* TXT queries only */
} dnsbl_answer;

/*
 * vd_dnsbl_classify - classify the raw reply c-ares handed a callback:
 * status is the c-ares status, abuf/alen the packet (may be NULL/0).
 * want_txt: parse TXT instead of A.  Never reads outside abuf[0..alen);
 * any packet gives an answer (malformed ones DNSBL_BAD).  Pure: no
 * logging, no state; the fuzz target calls it directly.
 */
void vd_dnsbl_classify(const unsigned char *abuf, int alen, int status,
		    int want_txt, dnsbl_answer *out);

/* vd_dnsbl_ignored_meaning - "query through a public resolver" etc. for
 * one DNSBL_IGN_* bit. */
const char *vd_dnsbl_ignored_meaning(unsigned flag);

/* vd_dnsbl_answer_text - "127.0.0.2,127.0.0.4", "NXDOMAIN", "timeout",
 * "SERVFAIL", "REFUSED", "bad answer", "ignored 127.255.255.254 (query
 * through a public resolver)"; cut cleanly to size. */
void vd_dnsbl_answer_text(const dnsbl_answer *a, char *buf, size_t size);

/* vd_dnsbl_domain_weight - weight that domain i's entries add for answer a
 * (each matching entry counts once however many records match). */
int vd_dnsbl_domain_weight(const dnsbl_sites *s, size_t i,
			const dnsbl_answer *a);

/*
 * vd_dnsbl_settled - 1 when no answer still missing for the domains with
 * open[i] != 0 can move score across the block threshold (score >=
 * threshold) or, when allow_threshold < 0, the allow threshold (score <=
 * allow_threshold).
 */
int vd_dnsbl_settled(const dnsbl_sites *s, int threshold, int allow_threshold,
		  int score, const unsigned char *open);

/* vd_dnsbl_qname - "d.c.b.a.domain" or 32 reversed nibbles + ".domain";
 * 0 ok, -1 when it does not fit. */
int vd_dnsbl_qname(const vaddr *ip, const char *domain, char *buf, size_t size);

typedef struct dnsbl_engine dnsbl_engine;

/*
 * vd_dnsbl_engine_new - start the resolver (cfg->dns_servers, else
 * /etc/resolv.conf) and the cache (cfg->cache_size entries).  cfg and lg
 * must outlive the engine.  Returns VERDICT_OK, VERDICT_EDNS (c-ares
 * could not start; lower code the c-ares status), VERDICT_ENOMEM; detail
 * via vd_util_err.
 */
int vd_dnsbl_engine_new(const vd_config *cfg, const vd_logger *lg,
		     dnsbl_engine **out);

/* vd_dnsbl_engine_free - stop and join the resolver thread, free all.  No
 * check may be running. */
void vd_dnsbl_engine_free(dnsbl_engine *e);

typedef struct dnsbl_zone_detail {
	const char *zone;	/* display name: the sites' (dnsbl_sites) own
				 * string, valid while they live */
	char answer[96];	/* "127.0.0.2,127.0.0.4", "NXDOMAIN", ...:
				 * read it through vd_dnsbl_zone_answer() */
	int weight;		/* weight added (0 when not listed) */
	long ms;		/* time of its answer, -1 when none came */
	int fmt;		/* answer still to be written from ans */
	dnsbl_answer ans;
} dnsbl_zone_detail;

/* vd_dnsbl_zone_answer - the answer text of a zone, written on first use
 * (most checks never show it: formatting it for every zone of every check
 * was a fifth of a cached verdict). */
const char *vd_dnsbl_zone_answer(dnsbl_zone_detail *z);

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

/*
 * vd_dnsbl_check - evaluate profile p's sites s for ip, starting from
 * base_score, waiting at most until deadline_ns (vd_clock_now_ns clock).
 * Returns VERDICT_OK, also when zones failed (res->unknown, !settled);
 * VERDICT_EINVAL on misuse, VERDICT_ENOMEM.  Safe from many threads.
 * zones[] are in the order of s; source lists positive-weight listings
 * (largest first) unless the score reaches an enabled allow threshold,
 * then the negative ones.
 */
int vd_dnsbl_check(dnsbl_engine *e, const dnsbl_sites *s, const config_profile *p,
		const vaddr *ip, int base_score, int64_t deadline_ns,
		dnsbl_result *res);

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

/*
 * vd_dnsbl_doctor - run the RFC 5782 self-test now for every zone of s; cb
 * once per zone (display name) with ok and a detail: "ok", "wild: lists
 * 127.0.0.1", "does not list 127.0.0.2", "not answering", plus error
 * codes seen.  Returns 0, cb's non-zero return, or a verdict_err.
 */
int vd_dnsbl_doctor(dnsbl_engine *e, const dnsbl_sites *s, int64_t deadline_ns,
		 int (*cb)(const char *zone, int ok, const char *detail,
			   void *arg), void *arg);

typedef struct dnsbl_stats {
	unsigned long queries, cache_hits, timeouts, servfail, refused,
		bad_answers, wild_ignored;
} dnsbl_stats;

/* vd_dnsbl_get_stats - totals since the engine started. */
void vd_dnsbl_get_stats(dnsbl_engine *e, dnsbl_stats *out);

#endif
