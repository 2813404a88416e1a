/*
 * flight.c - shared in-flight queries and the checks waiting for them
 *
 *	vd_flight_key		the key of an answer: (IP, zone, qtype, test)
 *	vd_flight_find		the running flight of a key
 *	vd_flight_get		the flight of a key, queued when absent
 *	vd_flight_attach	a waiter joins a flight
 *	vd_flight_detach	a waiter leaves it
 *	vd_flight_group_init	a group of waiters woken together
 *	vd_flight_wait		one round of waiting, driving the resolver
 *	vd_flight_flush		send what is queued, wait for nothing
 *
 * N threads asking one IP cost one query per zone: the first queues it,
 * the others attach to its flight (a reference each).  Whichever thread
 * drives the resolver (resolv.c: the check itself when no other does,
 * else the one that does) completes flights and, for each attached
 * waiter, asks its exit test and signals its group's condition variable
 * (CLOCK_MONOTONIC) only when the group's wait is over, so waking the
 * waiters of one IP costs O(waiters), with no herd on one mutex.
 *
 * Lock order: the resolver's channel lock, then e->mu (the query
 * callback takes it), so e->mu is released around vd_resolv_drive.  A
 * finished flight leaves the table at once: new checks find its answer
 * in the cache or ask again, never read a finished flight.
 *
 * Diagnostics: none here; the answer's warnings are the engine's
 * (vd_dnsbl_engine_landed).
 *
 * Limits: FLIGHT_BUCKETS hash chains; the number of flights is bounded by
 * the checks running, the queue of the resolver by resolv.c.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flight.h"
#include "selftest.h"

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

/* vd_flight_key - the key of zr's answer (zid 0 when zr is NULL) */
void
vd_flight_key(fkey *k, const zrec *zr, int qtype, int test, const vaddr *ip)
{
	memset(k, 0, sizeof(*k));
	k->zid = zr ? zr->id : 0;
	k->qtype = (uint16_t)qtype;
	k->test = (uint8_t)test;
	k->ip = *ip;
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

/* wake - ask the exit test of every waiter of f still waiting; signal a
 * group when its last waiter's wait is over (e->mu held) */
static void
wake(flight *f)
{
	wlink *l;

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
}

/* flight_done - resolver callback: classify, cache, wake the checks */
static void
flight_done(void *arg, int status, const unsigned char *abuf, int alen)
{
	flight *f = arg;
	dnsbl_engine *e = f->e;
	int64_t now = vd_clock_now_ns();
	dnsbl_answer a;

	vd_answer_classify(abuf, alen, status, f->key.qtype == ns_t_txt, &a);
	f->ans = a;	/* only this thread writes ans before done is set */
	vd_dnsbl_engine_landed(e, &f->key, f->zr, status, &a);
	pthread_mutex_lock(&e->mu);
	f->done = 1;
	f->done_ns = now;
	if (f->key.test)
		vd_selftest_landed(e, f->zr, vd_selftest_probe(&f->key), &a);
	wake(f);
	/* new checks ask again or use the cache, never a finished flight */
	unhash(e, f);
	flight_unref(e, f);
	pthread_mutex_unlock(&e->mu);
}

/* bucket_find - the running flight for key in its bucket b (e->mu held) */
static flight *
bucket_find(dnsbl_engine *e, uint32_t b, const fkey *key)
{
	flight *f;

	for (f = e->ftab[b]; f; f = f->hnext)
		if (memcmp(&f->key, key, sizeof(*key)) == 0)
			return f;
	return NULL;
}

/* vd_flight_find - the running flight for key (e->mu held) */
flight *
vd_flight_find(dnsbl_engine *e, const fkey *key)
{
	return bucket_find(e, fkey_hash(key) % FLIGHT_BUCKETS, key);
}

/* vd_flight_get - the flight for key, started when absent (e->mu held);
 * the key is hashed once for the lookup and the insertion */
flight *
vd_flight_get(dnsbl_engine *e, zrec *zr, const fkey *key, int *started)
{
	uint32_t b = fkey_hash(key) % FLIGHT_BUCKETS;
	char qname[256];
	flight *f;

	*started = 0;
	if ((f = bucket_find(e, b, key)) != NULL)
		return f;
	if ((key->test == VD_SELFTEST_NIBBLES ?
	     vd_sites_qname6(&key->ip, zr->name, qname, sizeof(qname)) :
	     vd_sites_qname(&key->ip, zr->name, qname, sizeof(qname))) < 0)
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

/* vd_flight_attach - link w to f through l (e->mu held) */
void
vd_flight_attach(flight *f, wlink *l, waiter *w)
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

/* vd_flight_detach - unlink l when linked (e->mu held) */
void
vd_flight_detach(dnsbl_engine *e, wlink *l)
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

/* vd_flight_group_init - one waiter to wait for, on e's clock */
void
vd_flight_group_init(dnsbl_engine *e, wgroup *g)
{
	pthread_cond_init(&g->cond, &e->cattr);
	g->nover = 0;
	g->target = 1;
}

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

/* vd_flight_flush - send what this thread queued without waiting for it
 * (e->mu held, released meanwhile: resolver callbacks take it) */
void
vd_flight_flush(dnsbl_engine *e)
{
	pthread_mutex_unlock(&e->mu);
	vd_resolv_drive(e->res, at_once, NULL, 0);
	pthread_mutex_lock(&e->mu);
}

static void
abs_time(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / VD_NS_PER_S);
	ts->tv_nsec = (long)(ns % VD_NS_PER_S);
}

/*
 * vd_flight_wait - one round of waiting for group g, until g->target of
 * its waiters are over (e->mu held; the caller sets target and the
 * waiters' is_over): send what was queued and, when no other thread
 * drives the resolver, drive it from this thread until then or the
 * deadline (e->mu released meanwhile); else sleep on g's condition
 * variable.  0 when the deadline has passed; the caller then looks at its
 * answers again.
 */
int
vd_flight_wait(dnsbl_engine *e, wgroup *g, int64_t deadline_ns)
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
