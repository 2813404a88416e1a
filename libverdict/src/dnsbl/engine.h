/*
 * engine.h - the DNSBL engine's shared state, private to dnsbl/
 *
 * One engine per verdict_ctx: the resolver, the answer cache, the table of
 * queries in flight (flight.c) and one record per zone (self-test verdict,
 * warning windows).  The files of this folder share these definitions;
 * callers outside dnsbl/ see only the opaque handle (dnsbl.h).
 */
#ifndef VD_ENGINE_H
#define VD_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "answer.h"
#include "cache.h"
#include "config.h"
#include "resolv.h"
#include "sites.h"
#include "clock.h"
#include "log.h"

typedef struct dnsbl_engine dnsbl_engine;

#define WARN_NS (60 * VD_NS_PER_S)	/* warnings: once a minute a zone */
#define FLIGHT_BUCKETS 1024

/* warn_last[] slots of a zone record beyond the DNSBL_IGN_* kinds */
#define WARN_UNKNOWN	(DNSBL_IGN_KINDS)	/* timeout, SERVFAIL, ... */
#define WARN_WILD	(DNSBL_IGN_KINDS + 1)	/* lists 127.0.0.1 */
#define WARN_NOTEST	(DNSBL_IGN_KINDS + 2)	/* does not list 127.0.0.2 */

enum { TEST_NONE = 0, TEST_OK = 1, TEST_WILD = 2 };

/* The key of a flight and of a cache entry.  The IP comes first: it is
 * the cache's shard group (vd_cache_new), so one check's zones are looked
 * up under one shard lock (vd_cache_get_many). */
typedef struct fkey {
	vaddr ip;
	uint32_t zid;
	uint16_t qtype;
	uint8_t test;
	uint8_t pad;
} fkey;

/* A zone record: one per domain the engine has seen; never freed before
 * the engine.  The list is append-only, read without the lock. */
typedef struct zrec {
	struct zrec *next;
	uint32_t id;
	char name[DNSBL_DOMAIN_MAX + 1];
	/* the name in the engine's own log lines (no profile at hand):
	 * disp[disp_i]; slot 1 is written once, under e->mu, when a
	 * profile that maps the domain to a display name meets a record
	 * created by one that does not, and published by disp_i */
	char disp[2][128];
	int disp_i;
	int mapped;		/* disp holds a mapped name (e->mu) */
	/* self-test: written under e->mu, read atomically */
	int verdict;		/* TEST_* */
	int testing;		/* probes in flight */
	int64_t tested_at;	/* vd_clock_coarse_ns */
	dnsbl_answer probe[4];	/* selftest.h: VD_SELFTEST_PROBES */
	int probes_left;
	int64_t warn_last[DNSBL_IGN_KINDS + 3];	/* vd_log_ratelimit */
} zrec;

/* vd_zrec_display - the name of z for a log line with no profile at
 * hand: a display name when any profile maps the domain, so that a
 * secret domain is never logged once a profile has hidden it. */
static inline const char *
vd_zrec_display(const zrec *z)
{
	return z->disp[__atomic_load_n(&z->disp_i, __ATOMIC_ACQUIRE)];
}

/* The value cached for an answer: when (vd_clock_coarse_ns), and the
 * answer up to txt (the text is stored only for TXT answers). */
typedef struct cval {
	int64_t at;
	dnsbl_answer a;
} cval;

#define CVAL_A_LEN (offsetof(cval, a) + offsetof(dnsbl_answer, txt))

struct flight;

struct dnsbl_engine {
	uint64_t id;		/* unique: owner of the sites' zone memo */
	const vd_logger *lg;
	resolv *res;
	cache *cache;
	int64_t cache_ttl_max;	/* seconds: longest any profile keeps */
	pthread_mutex_t mu;	/* flights, zone records' tests */
	pthread_condattr_t cattr;
	struct flight *ftab[FLIGHT_BUCKETS];
	zrec *zones;		/* atomic head */
	uint32_t nzones;
	/* cache hits: vd_cache_hits() less the hits too old for the asking
	 * profile's TTL clamp (n_stale), so a cached check adds to no
	 * counter of its own */
	atomic_ulong n_queries, n_stale, n_timeouts, n_servfail, n_refused,
		n_bad, n_wild;
};

/* vd_dnsbl_engine_zone - the record of domain d of s, created on first
 * use; NULL on out of memory. */
zrec *vd_dnsbl_engine_zone(dnsbl_engine *e, const dnsbl_sites *s, size_t d);

/* vd_dnsbl_engine_zone_of - the same through memo (vd_sites_memo of s for
 * this engine, may be NULL): after the first check one atomic load. */
zrec *vd_dnsbl_engine_zone_of(dnsbl_engine *e, const dnsbl_sites *s,
			      void **memo, size_t d);

/* vd_dnsbl_engine_landed - an answer came for (key, zr): count it, log
 * what is wrong with it (rate-limited), cache it when it is one
 * (not a self-test probe, listed or not listed).  No lock held; status
 * is the c-ares status. */
void vd_dnsbl_engine_landed(dnsbl_engine *e, const fkey *key, zrec *zr,
			    int status, const dnsbl_answer *a);

#endif
