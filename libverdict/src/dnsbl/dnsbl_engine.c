/*
 * dnsbl_engine.c - the DNSBL engine: shared in-flight queries, cache,
 * RFC 5782 self-test, weighted checks under one deadline
 *
 *	vd_dnsbl_engine_new/free	resolver + cache + in-flight table
 *	vd_dnsbl_check		one weighted check under one deadline
 *	vd_dnsbl_doctor		RFC 5782 self-test on demand
 *	vd_dnsbl_get_stats		counters since the engine started
 *
 * Concurrency: every query is a "flight" keyed by (zone, qtype, IP, test)
 * in one table under e->mu; a check that needs an answer already in
 * flight attaches to it (reference count) instead of asking again, so N
 * threads asking one IP cost one query per zone.  Whichever thread drives
 * the resolver (resolv.c: the check itself when no other does, else the
 * one that does) completes flights and, for each attached check,
 * evaluates its outcome and signals its condition variable
 * (CLOCK_MONOTONIC) only when the wait is over (settled, or nothing left
 * to wait for): a check waits until its outcome is settled or its
 * deadline passes, driving the resolver itself when it can (wait_round),
 * else on its own condition variable, and is woken once however many
 * zones it asked.  Lock order: the resolver's channel lock, then e->mu
 * (callbacks take it), so e->mu is released around vd_resolv_drive.  Cached
 * answers and self-test verdicts are read without e->mu, so a fully
 * cached check takes no engine-wide lock: its zone records come from the
 * sites' memo (vd_dnsbl_sites_memo), and all its zones' answers from one
 * batched cache lookup under one shard lock (the IP is the shard group).
 *
 * Self-test: a zone is tested (127.0.0.2 must be listed, 127.0.0.1 must
 * not) with its first use and again when the result is older than 10
 * minutes, triggered by a check and run concurrently with it; a check
 * waits, within its deadline, only for a zone never tested.  A zone that
 * lists 127.0.0.1 is "wild": its answers never count until a re-test
 * passes.  A first test that gets no answer leaves the zone in use.
 *
 * Diagnostics: warnings (error codes, unknown answers, wild zones) go
 * through vd_log once a minute per zone and kind, with the zone's display
 * name, never the secret domain.
 *
 * Limits: the cache key is the domain, so profiles sharing a domain share
 * its answers; each applies its own TTL clamp when reading.  SERVFAIL and
 * REFUSED do not fail over to the next server (see resolv.c).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cache.h"
#include "dnsbl.h"
#include "resolv.h"

/* is_v4 - IPv4-mapped (::ffff:0:0/96); local until addr.c is merged */
static int
is_v4(const vaddr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff };

	return memcmp(a->b, pfx, 12) == 0;
}

static void
ip4_text(uint32_t v, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff,
		 (v >> 8) & 0xff, v & 0xff);
}

/* --- engine ---------------------------------------------------------- */

#define NS_PER_S 1000000000LL
#define RETEST_NS (600 * NS_PER_S)	/* self-test older than this: redo */
#define WARN_NS (60 * NS_PER_S)		/* warnings: once a minute a zone */
#define FLIGHT_BUCKETS 1024

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
	char display[128];	/* for logs: never the secret name */
	/* self-test: written under e->mu, read atomically */
	int verdict;		/* TEST_* */
	int testing;		/* probes in flight */
	int64_t tested_at;
	dnsbl_answer probe[2];	/* [0] 127.0.0.2, [1] 127.0.0.1 */
	int probes_left;
	int64_t warn_last[DNSBL_IGN_KINDS + 3];	/* vd_ratelimit */
} zrec;

/* Waiters sleep in groups: a check alone is a group of one, a
 * vd_dnsbl_check_many call one group for all its checks, so a thread is
 * woken once per round however many checks and zones it waits for.
 * nover counts the waiters whose wait ended since the round began; the
 * sleeper is signalled when it reaches target (both under e->mu; nover
 * is also read by the driving thread's predicate). */
typedef struct wgroup {
	pthread_cond_t cond;
	int nover;
	int target;
} wgroup;

/* A waiting check.  over (may be NULL: every answer counts) tells, under
 * e->mu in the driving thread, whether an answer ends the check's wait
 * (settled, or nothing left to wait for); is_over latches that, so a
 * check of N zones counts once, not N times. */
typedef struct waiter {
	wgroup *g;
	int (*over)(void *arg);
	void *arg;
	int is_over;
} waiter;

typedef struct flight flight;

typedef struct wlink {
	struct wlink *prev, *next;
	waiter *w;
	flight *f;
} wlink;

struct flight {
	flight *hnext;
	fkey key;
	dnsbl_engine *e;
	zrec *zr;
	int refs;		/* the query + each attached check */
	int hashed;
	int done;
	int64_t done_ns;
	dnsbl_answer ans;
	wlink *waiters;
};

struct dnsbl_engine {
	uint64_t id;		/* unique: owner of the sites' zone memo */
	const vd_logger *lg;
	resolv *res;
	cache *cache;
	int64_t cache_ttl_max;	/* seconds: longest any profile keeps */
	pthread_mutex_t mu;	/* flights, zone records' tests */
	pthread_condattr_t cattr;
	flight *ftab[FLIGHT_BUCKETS];
	zrec *zones;		/* atomic head */
	uint32_t nzones;
	/* cache hits: vd_cache_hits() less the hits too old for the asking
	 * profile's TTL clamp (n_stale), so a cached check adds to no
	 * counter of its own */
	atomic_ulong n_queries, n_stale, n_timeouts, n_servfail, n_refused,
		n_bad, n_wild;
};

/* The value cached for an answer: when, and the answer up to txt (the
 * text is stored only for TXT answers). */
typedef struct cval {
	int64_t at;
	dnsbl_answer a;
} cval;

#define CVAL_A_LEN (offsetof(cval, a) + offsetof(dnsbl_answer, txt))

static uint32_t
fkey_hash(const fkey *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* make_key - the key of zr's answer (zid 0 when zr is NULL) */
static void
make_key(fkey *k, const zrec *zr, int qtype, int test, const vaddr *ip)
{
	memset(k, 0, sizeof(*k));
	k->zid = zr ? zr->id : 0;
	k->qtype = (uint16_t)qtype;
	k->test = (uint8_t)test;
	k->ip = *ip;
}

static void
v4(vaddr *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = (uint8_t)(v >> 24);
	a->b[13] = (uint8_t)(v >> 16);
	a->b[14] = (uint8_t)(v >> 8);
	a->b[15] = (uint8_t)v;
}

static void
ip_text(const vaddr *a, char *buf, size_t size)
{
	if (is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)size);
}

/* zone_get - the record of domain d of s, created on first use (by
 * name: the check path asks zone_of first) */
static zrec *
zone_get(dnsbl_engine *e, const dnsbl_sites *s, size_t d)
{
	zrec *z;

	for (z = __atomic_load_n(&e->zones, __ATOMIC_ACQUIRE); z; z = z->next)
		if (strcmp(z->name, vd_dnsbl_sites_domain(s, d)) == 0)
			return z;
	pthread_mutex_lock(&e->mu);
	for (z = e->zones; z; z = z->next)
		if (strcmp(z->name, vd_dnsbl_sites_domain(s, d)) == 0)
			break;
	if (z == NULL && (z = calloc(1, sizeof(*z))) != NULL) {
		z->id = ++e->nzones;
		vd_util_strlcpy(z->name, vd_dnsbl_sites_domain(s, d), sizeof(z->name));
		vd_util_strlcpy(z->display, vd_dnsbl_sites_display(s, d), sizeof(z->display));
		z->next = e->zones;
		__atomic_store_n(&e->zones, z, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&e->mu);
	return z;
}

/* zone_of - zone_get through memo (vd_dnsbl_sites_memo of s for this
 * engine; NULL when another engine owns it): after the first check a
 * domain's record is one atomic load, not a walk comparing names */
static zrec *
zone_of(dnsbl_engine *e, const dnsbl_sites *s, void **memo, size_t d)
{
	zrec *z;

	if (memo && (z = __atomic_load_n(&memo[d], __ATOMIC_ACQUIRE)) != NULL)
		return z;
	if ((z = zone_get(e, s, d)) != NULL && memo)
		__atomic_store_n(&memo[d], (void *)z, __ATOMIC_RELEASE);
	return z;
}

static void
unhash(dnsbl_engine *e, flight *f)
{
	flight **pp = &e->ftab[fkey_hash(&f->key) % FLIGHT_BUCKETS];

	if (!f->hashed)
		return;
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	f->hashed = 0;
}

/* flight_unref - drop one reference (e->mu held) */
static void
flight_unref(dnsbl_engine *e, flight *f)
{
	if (--f->refs > 0)
		return;
	unhash(e, f);
	free(f);
}

/* warn_answer - the rate-limited warnings for an answer (driving thread) */
static void
warn_answer(dnsbl_engine *e, flight *f)
{
	const dnsbl_answer *a = &f->ans;
	char ip[ADDR_TEXT_MAX], code[16], txt[96];
	unsigned bit;
	int i;

	ip_text(&f->key.ip, ip, sizeof(ip));
	for (i = 0, bit = 1; i < DNSBL_IGN_KINDS; i++, bit <<= 1) {
		int j;
		uint32_t v = 0;

		if (!(a->flags & bit))
			continue;
		for (j = 0; j < a->nignored; j++) {
			uint32_t c = a->ignored[j];
			unsigned fl = c >> 24 != 127 ? DNSBL_IGN_OUTSIDE
				: (c & 0xffffff00u) == 0x7fffff00u
				? ((c & 0xff) == 252 ? DNSBL_IGN_252
				   : (c & 0xff) == 254 ? DNSBL_IGN_254
				   : (c & 0xff) == 255 ? DNSBL_IGN_255
				   : DNSBL_IGN_OTHER) : DNSBL_IGN_WL255;

			if (fl == bit) {
				v = c;
				break;
			}
		}
		ip4_text(v, code, sizeof(code));
		if (vd_ratelimit(&f->zr->warn_last[i], WARN_NS))
			vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s answered "
			       "%s for %s: %s; not counted as a listing",
			       f->zr->display, code, ip,
			       vd_dnsbl_ignored_meaning(bit));
	}
	if (a->kind >= DNSBL_TIMEOUT && a->kind != DNSBL_IGNORED
	    && vd_ratelimit(&f->zr->warn_last[DNSBL_IGN_KINDS], WARN_NS)) {
		vd_dnsbl_answer_text(a, txt, sizeof(txt));
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s: %s for %s; "
		       "the answer is unknown", f->zr->display, txt, ip);
	}
}

/* test_update - both probes answered: decide wild or not (e->mu held) */
static void
test_update(dnsbl_engine *e, zrec *z, int64_t now)
{
	const dnsbl_answer *p1 = &z->probe[1];
	char txt[96];

	if (p1->kind == DNSBL_LISTED) {
		vd_dnsbl_answer_text(p1, txt, sizeof(txt));
		if (z->verdict != TEST_WILD
		    || vd_ratelimit(&z->warn_last[DNSBL_IGN_KINDS + 1],
				    WARN_NS))
			vd_log(e->lg, LOG_ERR, "dnsbl: zone %s lists 127.0.0.1 "
			       "(%s): it has gone wild; its answers are "
			       "ignored until a re-test passes", z->display,
			       txt);
		__atomic_store_n(&z->verdict, TEST_WILD, __ATOMIC_RELEASE);
	} else if (p1->kind == DNSBL_NXDOMAIN || z->verdict == TEST_NONE) {
		if (z->verdict == TEST_WILD)
			vd_log(e->lg, LOG_NOTICE, "dnsbl: zone %s passed its "
			       "self-test again; its answers count",
			       z->display);
		__atomic_store_n(&z->verdict, TEST_OK, __ATOMIC_RELEASE);
	}
	if (z->probe[0].kind == DNSBL_NXDOMAIN
	    && vd_ratelimit(&z->warn_last[DNSBL_IGN_KINDS + 2], WARN_NS))
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s does not list "
		       "127.0.0.2 (RFC 5782 test entry)", z->display);
	__atomic_store_n(&z->tested_at, now, __ATOMIC_RELEASE);
	z->testing = 0;
}

/* flight_done - resolver callback: classify, cache, wake the checks */
static void
flight_done(void *arg, int status, const unsigned char *abuf, int alen)
{
	flight *f = arg;
	dnsbl_engine *e = f->e;
	int64_t now = vd_clock_now_ns();
	dnsbl_answer a;
	wlink *l;

	vd_dnsbl_classify(abuf, alen, status, f->key.qtype == ns_t_txt, &a);
	f->ans = a;	/* only this thread writes ans before done is set */
	switch (a.kind) {
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
		warn_answer(e, f);
	if (!f->key.test && (a.kind == DNSBL_LISTED
			     || a.kind == DNSBL_NXDOMAIN)) {
		cval v;

		/* kept as long as any profile may use it; each check
		 * applies its own profile's TTL clamp (cached_answer) */
		v.at = now;
		v.a = a;
		vd_cache_put(e->cache, &f->key, sizeof(f->key), &v,
			  f->key.qtype == ns_t_txt ? sizeof(v) : CVAL_A_LEN,
			  now + e->cache_ttl_max * NS_PER_S);
	}
	pthread_mutex_lock(&e->mu);
	f->done = 1;
	f->done_ns = now;
	if (f->key.test) {
		f->zr->probe[f->key.ip.b[15] == 2 ? 0 : 1] = a;
		if (--f->zr->probes_left == 0)
			test_update(e, f->zr, now);
	}
	for (l = f->waiters; l; l = l->next) {
		waiter *w = l->w;

		if (w->is_over)
			continue;
		if (w->over == NULL || w->over(w->arg)) {
			wgroup *g = w->g;
			int n = g->nover + 1;

			w->is_over = w->over != NULL;
			__atomic_store_n(&g->nover, n, __ATOMIC_RELEASE);
			if (n == g->target)
				pthread_cond_signal(&g->cond);
		}
	}
	/* new checks ask again or use the cache, never a finished flight */
	unhash(e, f);
	flight_unref(e, f);
	pthread_mutex_unlock(&e->mu);
}

/* flight_find - the running flight for key (e->mu held) */
static flight *
flight_find(dnsbl_engine *e, const fkey *key)
{
	flight *f;

	for (f = e->ftab[fkey_hash(key) % FLIGHT_BUCKETS]; f; f = f->hnext)
		if (memcmp(&f->key, key, sizeof(*key)) == 0)
			return f;
	return NULL;
}

/* flight_get - the flight for key, started when absent (e->mu held);
 * *started set when this call sent the query.  NULL on failure. */
static flight *
flight_get(dnsbl_engine *e, zrec *zr, const fkey *key, int *started)
{
	uint32_t b = fkey_hash(key) % FLIGHT_BUCKETS;
	char qname[256];
	flight *f;

	*started = 0;
	if ((f = flight_find(e, key)) != NULL)
		return f;
	if (vd_dnsbl_qname(&key->ip, zr->name, qname, sizeof(qname)) < 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->key = *key;
	f->e = e;
	f->zr = zr;
	f->refs = 1;
	/* the query goes out at the next vd_resolv_drive, of this or any
	 * thread; its callback takes e->mu, which we hold: link first */
	if (vd_resolv_queue(e->res, qname, key->qtype, flight_done, f)
	    != VERDICT_OK) {
		free(f);
		return NULL;
	}
	f->hashed = 1;
	f->hnext = e->ftab[b];
	e->ftab[b] = f;
	e->n_queries++;
	*started = 1;
	return f;
}

static void abs_time(int64_t ns, struct timespec *ts);

/* g_reached - the driving thread's predicate: the group's round is over
 * (the channel's lock held; nover is written under e->mu) */
static int
g_reached(void *arg)
{
	wgroup *g = arg;

	return __atomic_load_n(&g->nover, __ATOMIC_ACQUIRE) >= g->target;
}

static int
at_once(void *arg)
{
	(void)arg;
	return 1;
}

/* flush - send what this thread queued without waiting for it (e->mu
 * held, released meanwhile: resolver callbacks take it) */
static void
flush(dnsbl_engine *e)
{
	pthread_mutex_unlock(&e->mu);
	vd_resolv_drive(e->res, at_once, NULL, 0);
	pthread_mutex_lock(&e->mu);
}

/*
 * wait_round - one round of waiting for group g, until g->target of its
 * waiters are over (e->mu held; the caller sets target and the waiters'
 * is_over): send what was queued and, when no other thread drives the
 * resolver, drive it from this thread until then or the deadline (e->mu
 * released meanwhile); else sleep on g's condition variable.  0 when the
 * deadline has passed; the caller then looks at its answers again.
 */
static int
wait_round(dnsbl_engine *e, wgroup *g, int64_t deadline_ns)
{
	struct timespec ts;
	int drove;

	__atomic_store_n(&g->nover, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&e->mu);
	drove = vd_resolv_drive(e->res, g_reached, g, deadline_ns);
	pthread_mutex_lock(&e->mu);
	if (drove || g->nover >= g->target)
		return vd_clock_now_ns() < deadline_ns;
	if (vd_clock_now_ns() >= deadline_ns)
		return 0;
	abs_time(deadline_ns, &ts);
	while (g->nover < g->target)
		if (pthread_cond_timedwait(&g->cond, &e->mu, &ts) == ETIMEDOUT)
			/* early when an interposed clock (libfaketime)
			 * scales the wait: the round ends, the deadline
			 * holds */
			return vd_clock_now_ns() < deadline_ns;
	return 1;
}

static void
attach(flight *f, wlink *l, waiter *w)
{
	l->w = w;
	l->f = f;
	l->prev = NULL;
	l->next = f->waiters;
	if (f->waiters)
		f->waiters->prev = l;
	f->waiters = l;
	f->refs++;
}

static void
detach(dnsbl_engine *e, wlink *l)
{
	flight *f = l->f;

	if (f == NULL)
		return;
	if (l->prev)
		l->prev->next = l->next;
	else
		f->waiters = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->f = NULL;
	flight_unref(e, f);
}

/* start_test - send both RFC 5782 probes unless running (e->mu held) */
static void
start_test(dnsbl_engine *e, zrec *z)
{
	static const uint32_t probe[2] = { 0x7f000002u, 0x7f000001u };
	vaddr ip;
	fkey k;
	int i, started, ok = 0;

	if (z->testing)
		return;
	z->probes_left = 2;
	for (i = 0; i < 2; i++) {
		memset(&z->probe[i], 0, sizeof(z->probe[i]));
		v4(&ip, probe[i]);
		make_key(&k, z, ns_t_a, 1, &ip);
		if (flight_get(e, z, &k, &started) != NULL)
			ok++;
		else
			z->probe[i].kind = DNSBL_ERROR;
	}
	if (ok == 2) {
		z->testing = 1;
	} else {
		/* retried by the next check; never block on it meanwhile */
		z->probes_left = 0;
		z->testing = 0;
	}
}

/* attach_test - wait for the running probes of z (e->mu held) */
static int
attach_test(dnsbl_engine *e, zrec *z, wlink *l, waiter *w)
{
	static const uint32_t probe[2] = { 0x7f000002u, 0x7f000001u };
	vaddr ip;
	fkey k;
	flight *f;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		v4(&ip, probe[i]);
		make_key(&k, z, ns_t_a, 1, &ip);
		if ((f = flight_find(e, &k)) != NULL) {
			attach(f, &l[n], w);
			n++;
		}
	}
	return n;
}

/* engine ids: never 0, never reused (an engine at a freed one's address
 * must not inherit its memo) */
static uint64_t engine_ids;

int
vd_dnsbl_engine_new(const vd_config *cfg, const vd_logger *lg,
		 dnsbl_engine **out)
{
	dnsbl_engine *e;
	int64_t tmo = cfg->global.dnsbl_timeout_ms, ttl;
	size_t i;
	int rc;

	*out = NULL;
	ttl = cfg->global.dnsbl_max_ttl > cfg->global.dnsbl_min_ttl
	      ? cfg->global.dnsbl_max_ttl : cfg->global.dnsbl_min_ttl;
	for (i = 0; i < cfg->nprofiles; i++) {
		const config_profile *p = &cfg->profiles[i];

		if (p->dnsbl_timeout_ms > tmo)
			tmo = p->dnsbl_timeout_ms;
		if (p->dnsbl_max_ttl > ttl)
			ttl = p->dnsbl_max_ttl;
		if (p->dnsbl_min_ttl > ttl)
			ttl = p->dnsbl_min_ttl;
	}
	if (tmo <= 0)
		tmo = 1500;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	e->id = __atomic_add_fetch(&engine_ids, 1, __ATOMIC_RELAXED);
	e->lg = lg;
	e->cache_ttl_max = ttl > 0 ? ttl : 3600;
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&e->cattr);
	pthread_condattr_setclock(&e->cattr, CLOCK_MONOTONIC);
	if ((e->cache = vd_cache_new(cfg->cache_size, offsetof(fkey, zid)))
	    == NULL) {
		rc = vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		goto bad;
	}
	/* two tries (a lost UDP packet is retried); c-ares doubles the
	 * second try's timeout, so a query dies after about 3 * try_ms,
	 * near the longest deadline.  A check's own deadline rules. */
	rc = vd_resolv_new(&cfg->dns_servers, (int)(tmo / 3 > 20 ? tmo / 3 : 20),
			2, lg, &e->res);
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

void
vd_dnsbl_get_stats(dnsbl_engine *e, dnsbl_stats *out)
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

/* --- checks ---------------------------------------------------------- */

enum { DS_KNOWN = 0, DS_WILD, DS_PENDING, DS_UNTESTED, DS_FAILED };

/* One domain of one check. */
typedef struct dstate {
	zrec *zr;
	int have;		/* cv.a holds the answer */
	int64_t at_ns;		/* when it came (0: from the cache) */
	int state;		/* DS_*, set by evaluate */
	int weight;
	wlink link;		/* the answer's flight */
	wlink tlink[2];		/* the self-test probes' flights */
	cval cv;		/* the answer (a), cached at (at): the cache
				 * copies straight in */
} dstate;

/* cval_live - a cached value of len bytes in v (copied out by the
 * cache) is usable: whole, and within this profile's TTL clamp; an A
 * answer gets its empty TXT */
static int
cval_live(const config_profile *p, cval *v, size_t len, int64_t now)
{
	int64_t ttl;

	if (len < CVAL_A_LEN)
		return 0;
	if (len < sizeof(*v))
		v->a.txt[0] = 0;
	ttl = v->a.ttl;
	if (ttl < p->dnsbl_min_ttl)
		ttl = p->dnsbl_min_ttl;
	if (ttl > p->dnsbl_max_ttl)
		ttl = p->dnsbl_max_ttl;
	/* a TTL of 0 is never live, even when the coarse clock lags (an
	 * idle tickless CPU can leave it more than a tick behind) */
	return ttl > 0 && now - v->at < ttl * NS_PER_S;
}

/* cval_use - 1 when a cache lookup's result (hit, v, len) is usable by
 * this profile; a hit past its TTL clamp is counted as stale (the cache
 * counted it as a hit, the stats must not) */
static int
cval_use(dnsbl_engine *e, const config_profile *p, int hit, cval *v,
	 size_t len, int64_t now)
{
	if (!hit)
		return 0;
	if (cval_live(p, v, len, now))
		return 1;
	e->n_stale++;
	return 0;
}

/* cached_answer - a cache hit still within this profile's TTL clamp,
 * into *out (its contents undefined on a miss) */
static int
cached_answer(dnsbl_engine *e, const config_profile *p, const fkey *k,
	      int64_t now, cval *out)
{
	size_t len = sizeof(*out);
	int hit = vd_cache_get(e->cache, k, sizeof(*k), out, &len, now);

	return cval_use(e, p, hit, out, len, now);
}

/*
 * evaluate - score and state of every domain from what is known now;
 * returns 1 while some answer or self-test may still arrive.  Called
 * under e->mu whenever a flight is attached.
 */
static int
evaluate(dnsbl_engine *e, const dnsbl_sites *s, dstate *st, int base,
	 int *score, unsigned char *open)
{
	size_t d, nd = vd_dnsbl_sites_nzones(s);
	int waiting = 0, v;

	(void)e;
	*score = base;
	for (d = 0; d < nd; d++) {
		dstate *x = &st[d];

		if (!x->have && x->link.f && x->link.f->done) {
			x->cv.a = x->link.f->ans;
			x->at_ns = x->link.f->done_ns;
			x->have = 1;
		}
		v = __atomic_load_n(&x->zr->verdict, __ATOMIC_ACQUIRE);
		x->weight = 0;
		open[d] = 1;
		if (v == TEST_WILD) {
			x->state = DS_WILD;
			open[d] = 0;
		} else if (!x->have) {
			x->state = DS_PENDING;
			waiting = 1;
		} else if (v == TEST_NONE) {
			x->state = DS_UNTESTED;
			if (x->zr->testing)
				waiting = 1;
		} else if (x->cv.a.kind == DNSBL_LISTED
			   || x->cv.a.kind == DNSBL_NXDOMAIN) {
			x->state = DS_KNOWN;
			x->weight = vd_dnsbl_domain_weight(s, d, &x->cv.a);
			*score += x->weight;
			open[d] = 0;
		} else {
			x->state = DS_FAILED;
		}
	}
	return waiting;
}

/* One check in progress: its zones' state, its waiter, and what the end
 * of the check reads.  On the stack for vd_dnsbl_check, in an array for
 * vd_dnsbl_check_many. */
typedef struct djob {
	dnsbl_engine *e;
	const dnsbl_sites *s;
	const config_profile *p;
	const vaddr *ip;
	dnsbl_result *res;
	int base;
	int need;		/* some answer or self-test is not in hand */
	int attached;		/* w is linked to flights (e->mu) */
	int score, settled;
	int64_t start;
	size_t nd;
	waiter w;
	wlink tl;		/* the TXT flight */
	dstate st[DNSBL_ZONES_MAX];
	unsigned char open[DNSBL_ZONES_MAX];
} djob;

/* job_eval - score and settled from what is known; 1 when the job's wait
 * is over, deadline aside (e->mu held once attached) */
static int
job_eval(djob *j)
{
	int waiting = evaluate(j->e, j->s, j->st, j->base, &j->score,
			       j->open);

	j->settled = vd_dnsbl_settled(j->s, j->p->dnsbl_threshold,
				   j->p->dnsbl_allowlist_threshold, j->score,
				   j->open);
	return !waiting || (j->settled && !j->p->dnsbl_wait_all);
}

/* check_over - a waiter's exit test (e->mu held) */
static int
check_over(void *arg)
{
	return job_eval(arg);
}

/* coarse_ns - the clock of cache lookups and self-test ages: the coarse
 * monotonic clock plus its resolution, so never behind vd_clock_now_ns (an
 * answer may expire up to one tick, a few ms, early; never late), at a
 * fraction of the cost.  Waits and the per-zone ms use vd_clock_now_ns. */
static int64_t
coarse_ns(void)
{
	static int64_t res_ns;	/* one tick; same value in every thread */
	struct timespec ts;
	int64_t r = __atomic_load_n(&res_ns, __ATOMIC_RELAXED);

	if (r == 0) {
		if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) != 0)
			return vd_clock_now_ns();
		r = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
		__atomic_store_n(&res_ns, r, __ATOMIC_RELAXED);
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec + r;
}

static void
abs_time(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
}

/* source_of - display names of the counted listings, largest weight
 * first: the positive ones, or for an allow the negative ones */
static void
source_of(const dnsbl_sites *s, const dstate *st, int allow, char *buf,
	  size_t size, int *first)
{
	size_t order[DNSBL_ZONES_MAX], n = 0, i, j, len = 0,
	       nd = vd_dnsbl_sites_nzones(s);

	*first = -1;
	for (i = 0; i < nd; i++) {
		int w = st[i].weight;

		if (st[i].state != DS_KNOWN || (allow ? w >= 0 : w <= 0))
			continue;
		/* insertion sort by |weight| descending, stable */
		for (j = n; j > 0 && abs(st[order[j - 1]].weight) < abs(w); j--)
			order[j] = order[j - 1];
		order[j] = i;
		n++;
	}
	buf[0] = 0;
	for (i = 0; i < n; i++) {
		const char *name = vd_dnsbl_sites_display(s, order[i]);
		size_t nl = strlen(name);

		/* one field for log and CLI parsers: no blanks */
		if (len + (i ? 1 : 0) + nl + 1 > size)
			break;
		if (i) {
			buf[len] = ',';
			len += 1;
		}
		memcpy(buf + len, name, nl + 1);
		len += nl;
	}
	if (n)
		*first = (int)order[0];
}

static void
group_init(dnsbl_engine *e, wgroup *g)
{
	pthread_cond_init(&g->cond, &e->cattr);
	g->nover = 0;
	g->target = 1;
}

/* job_begin - what the cache knows, without e->mu; j->need tells whether
 * the job must go to the network */
static int
job_begin(dnsbl_engine *e, const dnsbl_sites *s, const config_profile *p,
	  const vaddr *ip, int base_score, dnsbl_result *res, djob *j)
{
	fkey keys[DNSBL_ZONES_MAX];
	cache_req rq[DNSBL_ZONES_MAX];
	void **memo;
	size_t d;
	fkey k;

	j->e = e;
	j->s = s;
	j->p = p;
	j->ip = ip;
	j->res = res;
	j->base = base_score;
	j->need = j->attached = 0;
	j->start = coarse_ns();
	j->nd = vd_dnsbl_sites_nzones(s);
	memset(&j->tl, 0, sizeof(j->tl));
	/* every field before zones[] (the strings by their first byte) */
	res->score = base_score;
	res->settled = res->unknown = 0;
	res->source[0] = res->txt[0] = 0;
	res->nzones = 0;
	res->cache_hits = res->queries = 0;
	memo = vd_dnsbl_sites_memo(s, e->id);
	make_key(&k, NULL, ns_t_a, 0, ip);
	for (d = 0; d < j->nd; d++) {
		dstate *x = &j->st[d];
		int v;

		x->have = 0;
		x->at_ns = 0;
		/* a link is in use when f is set (attach fills the rest) */
		x->link.f = x->tlink[0].f = x->tlink[1].f = NULL;
		if ((x->zr = zone_of(e, s, memo, d)) == NULL)
			return vd_util_err(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
		v = __atomic_load_n(&x->zr->verdict, __ATOMIC_ACQUIRE);
		if (v == TEST_NONE || j->start - __atomic_load_n(
			&x->zr->tested_at, __ATOMIC_ACQUIRE) > RETEST_NS)
			j->need = 1;
		keys[d] = k;
		keys[d].zid = x->zr->id;
		rq[d].key = &keys[d];
		rq[d].klen = sizeof(keys[d]);
		rq[d].val = &x->cv;
		rq[d].vlen = sizeof(x->cv);
	}
	/* every zone's answer under one shard lock (the IP is the group) */
	vd_cache_get_many(e->cache, rq, j->nd, j->start);
	for (d = 0; d < j->nd; d++) {
		if (cval_use(e, p, rq[d].hit, &j->st[d].cv, rq[d].vlen,
			     j->start)) {
			j->st[d].have = 1;
			res->cache_hits++;
		} else {
			j->need = 1;
		}
	}
	return VERDICT_OK;
}

/* job_attach - start the self-tests due and the queries missing, and
 * attach j's waiter (in group g) to them (e->mu held) */
static void
job_attach(djob *j, wgroup *g)
{
	dnsbl_engine *e = j->e;
	size_t d;
	int started;
	fkey k;

	/* the network: the precise clock from here on */
	j->start = vd_clock_now_ns();
	j->w.g = g;
	j->w.over = check_over;
	j->w.arg = j;
	j->w.is_over = 0;
	j->attached = 1;
	for (d = 0; d < j->nd; d++) {
		dstate *x = &j->st[d];
		zrec *z = x->zr;

		if (z->verdict == TEST_NONE
		    || j->start - z->tested_at > RETEST_NS)
			start_test(e, z);
		if (z->verdict == TEST_NONE && z->testing)
			attach_test(e, z, x->tlink, &j->w);
		if (x->have)
			continue;
		make_key(&k, z, ns_t_a, 0, j->ip);
		/* a flight that ended since our first look left its
		 * answer in the cache before leaving the table */
		if (!flight_find(e, &k) && cached_answer(e, j->p, &k,
			vd_clock_now_ns(), &x->cv)) {
			x->have = 1;
			j->res->cache_hits++;
			continue;
		}
		if ((x->link.f = flight_get(e, z, &k, &started)) != NULL) {
			attach(x->link.f, &x->link, &j->w);
			j->res->queries += started;
		} else {
			memset(&x->cv.a, 0, sizeof(x->cv.a));
			x->cv.a.kind = DNSBL_ERROR;
			x->have = 1;
		}
	}
}

/* job_source - the listing zones into res->source; returns the zone
 * whose TXT record is the reason (dnsbl_txt, a block), else -1 */
static int
job_source(djob *j)
{
	const config_profile *p = j->p;
	int allow, first;

	allow = p->dnsbl_allowlist_threshold < 0
		&& j->score <= p->dnsbl_allowlist_threshold;
	source_of(j->s, j->st, allow, j->res->source,
		  sizeof(j->res->source), &first);
	if (p->dnsbl_txt && first >= 0 && !allow
	    && j->score >= p->dnsbl_threshold)
		return first;
	return -1;
}

/* job_txt - the TXT record of zone d, from the cache or asked within the
 * deadline (e->mu held, g initialised; released while waiting) */
static void
job_txt(djob *j, wgroup *g, size_t d, int64_t deadline_ns, int *sent)
{
	dnsbl_engine *e = j->e;
	int started;
	cval tv;
	fkey k;

	make_key(&k, j->st[d].zr, ns_t_txt, 0, j->ip);
	if (cached_answer(e, j->p, &k, vd_clock_now_ns(), &tv)) {
		vd_util_strlcpy(j->res->txt, tv.a.txt, sizeof(j->res->txt));
		j->res->cache_hits++;
		return;
	}
	if (vd_clock_now_ns() >= deadline_ns)
		return;
	if ((j->tl.f = flight_get(e, j->st[d].zr, &k, &started)) == NULL)
		return;
	/* from here on every answer ends a round */
	j->w.g = g;
	j->w.over = NULL;
	j->w.is_over = 0;
	attach(j->tl.f, &j->tl, &j->w);
	j->res->queries += started;
	while (!j->tl.f->done) {
		g->target = 1;
		*sent = 1;
		if (!wait_round(e, g, deadline_ns))
			break;
	}
	if (j->tl.f->done && j->tl.f->ans.kind == DNSBL_LISTED)
		vd_util_strlcpy(j->res->txt, j->tl.f->ans.txt,
			     sizeof(j->res->txt));
}

/* job_detach - unlink j's waiter from every flight (e->mu held) */
static void
job_detach(djob *j)
{
	size_t d;

	for (d = 0; d < j->nd; d++) {
		detach(j->e, &j->st[d].link);
		detach(j->e, &j->st[d].tlink[0]);
		detach(j->e, &j->st[d].tlink[1]);
	}
	detach(j->e, &j->tl);
}

/* job_end - the per-zone detail and the totals (no lock) */
static void
job_end(djob *j, int64_t deadline_ns)
{
	dnsbl_engine *e = j->e;
	dnsbl_result *res = j->res;
	int64_t now = 0;	/* read when a zone is pending */
	int npending = 0, nfailed = 0;
	size_t d;

	res->score = j->score;
	res->settled = j->settled;
	res->nzones = j->nd;
	for (d = 0; d < j->nd; d++) {
		dnsbl_zone_detail *z = &res->zones[d];
		dstate *x = &j->st[d];

		z->zone = vd_dnsbl_sites_display(j->s, d);
		z->fmt = 0;
		z->weight = x->weight;
		z->ms = x->have ? (x->at_ns > j->start
				   ? (long)((x->at_ns - j->start) / 1000000)
				   : 0)
			: -1;
		switch (x->state) {
		case DS_WILD:
			vd_util_strlcpy(z->answer, "wild (lists 127.0.0.1)",
				     sizeof(z->answer));
			if (x->have && x->cv.a.kind == DNSBL_LISTED) {
				e->n_wild++;
				if (vd_ratelimit(&x->zr->warn_last[
					DNSBL_IGN_KINDS + 1], WARN_NS))
					vd_log(e->lg, LOG_ERR, "dnsbl: zone %s "
					       "lists 127.0.0.1: it has gone "
					       "wild; its answers are ignored "
					       "until a re-test passes",
					       x->zr->display);
			}
			break;
		case DS_PENDING:
			npending++;
			if (now == 0)
				now = vd_clock_now_ns();
			vd_util_strlcpy(z->answer, now >= deadline_ns ? "timeout"
				     : "pending", sizeof(z->answer));
			break;
		case DS_UNTESTED:
			npending++;
			vd_util_strlcpy(z->answer, "self-test pending",
				     sizeof(z->answer));
			break;
		case DS_FAILED:
			nfailed++;
			/* fall through */
		default:
			memcpy(&z->ans, &x->cv.a, offsetof(dnsbl_answer, txt));
			if (x->cv.a.txt[0])
				vd_util_strlcpy(z->ans.txt, x->cv.a.txt,
					     sizeof(z->ans.txt));
			else	/* A answers: no TXT */
				z->ans.txt[0] = 0;
			z->fmt = 1;
		}
	}
	res->unknown = nfailed + (j->settled ? 0 : npending);
}

int
vd_dnsbl_check(dnsbl_engine *e, const dnsbl_sites *s, const config_profile *p,
	    const vaddr *ip, int base_score, int64_t deadline_ns,
	    dnsbl_result *res)
{
	djob j;
	wgroup g;
	int locked = 0, sent = 0, last = 0, rc, txt;

	if (e == NULL || s == NULL || p == NULL || ip == NULL || res == NULL)
		return vd_util_err(VERDICT_EINVAL, 0, "vd_dnsbl_check: NULL argument");
	if ((rc = job_begin(e, s, p, ip, base_score, res, &j)) != VERDICT_OK)
		return rc;
	if (j.need) {
		pthread_mutex_lock(&e->mu);
		group_init(e, &g);
		locked = 1;
		job_attach(&j, &g);
	}
	/* not attached: every answer from the cache, no lock needed;
	 * after the deadline's round, one more look at what came in */
	while (!job_eval(&j) && j.attached && !last) {
		j.w.is_over = 0;
		g.target = 1;
		sent = 1;
		last = !wait_round(e, &g, deadline_ns);
	}
	if ((txt = job_source(&j)) >= 0) {
		if (!locked) {
			pthread_mutex_lock(&e->mu);
			group_init(e, &g);
			locked = 1;
		}
		job_txt(&j, &g, (size_t)txt, deadline_ns, &sent);
	}
	if (locked) {
		/* what was queued and not waited for (self-tests): send it */
		if (!sent)
			flush(e);
		job_detach(&j);
		pthread_mutex_unlock(&e->mu);
		pthread_cond_destroy(&g.cond);
	}
	job_end(&j, deadline_ns);
	return VERDICT_OK;
}

int
vd_dnsbl_check_many(dnsbl_engine *e, const dnsbl_sites *s,
		 const config_profile *p, const vaddr *const *ips,
		 const int *base_scores, size_t n, int64_t deadline_ns,
		 dnsbl_result *const *res)
{
	djob *jobs;
	wgroup g;
	size_t i;
	int need = 0, sent = 0, rc = VERDICT_OK, txt, left;

	if (e == NULL || s == NULL || p == NULL || (n && (ips == NULL
	    || base_scores == NULL || res == NULL)))
		return vd_util_err(VERDICT_EINVAL, 0,
				"vd_dnsbl_check_many: NULL argument");
	if (n == 0)
		return VERDICT_OK;
	if ((jobs = malloc(n * sizeof(*jobs))) == NULL)
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if ((rc = job_begin(e, s, p, ips[i], base_scores[i], res[i],
				    &jobs[i])) != VERDICT_OK)
			goto out;
		need |= jobs[i].need;
	}
	pthread_mutex_lock(&e->mu);
	group_init(e, &g);
	for (i = 0; i < n; i++)
		if (jobs[i].need)
			job_attach(&jobs[i], &g);
	/* one wake-up for the whole group: when every job still waiting
	 * is over, or at the deadline */
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (jobs[i].attached && !job_eval(&jobs[i])) {
				jobs[i].w.is_over = 0;
				left++;
			} else if (!jobs[i].attached) {
				job_eval(&jobs[i]);
			}
		}
		if (left == 0)
			break;
		g.target = left;
		sent = 1;
		if (!wait_round(e, &g, deadline_ns)) {
			/* the deadline: the last answers in */
			for (i = 0; i < n; i++)
				if (jobs[i].attached)
					job_eval(&jobs[i]);
			break;
		}
	}
	for (i = 0; i < n; i++)
		if ((txt = job_source(&jobs[i])) >= 0)
			job_txt(&jobs[i], &g, (size_t)txt, deadline_ns,
				&sent);
	if (need && !sent)
		flush(e);
	for (i = 0; i < n; i++)
		job_detach(&jobs[i]);
	pthread_mutex_unlock(&e->mu);
	pthread_cond_destroy(&g.cond);
	for (i = 0; i < n; i++)
		job_end(&jobs[i], deadline_ns);
out:
	free(jobs);
	return rc;
}

const char *
vd_dnsbl_zone_answer(dnsbl_zone_detail *z)
{
	if (z->fmt) {
		vd_dnsbl_answer_text(&z->ans, z->answer, sizeof(z->answer));
		z->fmt = 0;
	}
	return z->answer;
}

int
vd_dnsbl_doctor(dnsbl_engine *e, const dnsbl_sites *s, int64_t deadline_ns,
	     int (*cb)(const char *zone, int ok, const char *detail,
		       void *arg), void *arg)
{
	zrec *zr[DNSBL_ZONES_MAX];
	wlink links[DNSBL_ZONES_MAX][2];
	dnsbl_answer pr[DNSBL_ZONES_MAX][2];
	waiter w;
	wgroup g;
	size_t d, nd = vd_dnsbl_sites_nzones(s);
	int i, rc, busy, sent = 0;

	if (e == NULL || cb == NULL)
		return vd_util_err(VERDICT_EINVAL, 0, "vd_dnsbl_doctor: NULL argument");
	memset(links, 0, sizeof(links));
	memset(pr, 0, sizeof(pr));
	for (d = 0; d < nd; d++)
		if ((zr[d] = zone_get(e, s, d)) == NULL)
			return vd_util_err(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
	pthread_mutex_lock(&e->mu);
	group_init(e, &g);
	w.g = &g;
	w.over = NULL;
	w.arg = NULL;
	w.is_over = 0;
	for (d = 0; d < nd; d++) {
		start_test(e, zr[d]);
		attach_test(e, zr[d], links[d], &w);
	}
	for (;;) {
		busy = 0;
		for (d = 0; d < nd; d++)
			for (i = 0; i < 2; i++)
				if (links[d][i].f && !links[d][i].f->done)
					busy = 1;
		if (!busy)
			break;
		sent = 1;
		g.target = 1;
		if (!wait_round(e, &g, deadline_ns))
			break;
	}
	if (!sent)
		flush(e);
	for (d = 0; d < nd; d++) {
		for (i = 0; i < 2; i++) {
			flight *f = links[d][i].f;

			if (f && f->done)
				pr[d][f->key.ip.b[15] == 2 ? 0 : 1] = f->ans;
			detach(e, &links[d][i]);
		}
	}
	pthread_mutex_unlock(&e->mu);
	pthread_cond_destroy(&g.cond);
	for (d = 0; d < nd; d++) {
		const dnsbl_answer *p2 = &pr[d][0], *p1 = &pr[d][1];
		char detail[256], t[96];
		size_t n = 0;
		int ok = p2->kind == DNSBL_LISTED && p1->kind == DNSBL_NXDOMAIN;

#define SAY(...) do { if (n < sizeof(detail)) { \
	int r_ = snprintf(detail + n, sizeof(detail) - n, __VA_ARGS__); \
	n = r_ < 0 ? sizeof(detail) : n + (size_t)r_; } } while (0)
		detail[0] = 0;
		if (ok) {
			SAY("ok");
		} else if ((p2->kind == DNSBL_PENDING
			    || p2->kind == DNSBL_TIMEOUT)
			   && (p1->kind == DNSBL_PENDING
			       || p1->kind == DNSBL_TIMEOUT)) {
			SAY("not answering");
		} else {
			if (p1->kind == DNSBL_LISTED) {
				vd_dnsbl_answer_text(p1, t, sizeof(t));
				SAY("wild: lists 127.0.0.1 (%s)", t);
			} else if (p1->kind != DNSBL_NXDOMAIN) {
				vd_dnsbl_answer_text(p1, t, sizeof(t));
				SAY("127.0.0.1: %s", t);
			}
			if (p2->kind == DNSBL_NXDOMAIN) {
				SAY("%sdoes not list 127.0.0.2", n ? "; " : "");
			} else if (p2->kind != DNSBL_LISTED) {
				vd_dnsbl_answer_text(p2, t, sizeof(t));
				SAY("%s127.0.0.2: %s", n ? "; " : "", t);
			}
		}
#undef SAY
		if ((rc = cb(vd_dnsbl_sites_display(s, d), ok, detail, arg)) != 0)
			return rc;
	}
	return 0;
}
