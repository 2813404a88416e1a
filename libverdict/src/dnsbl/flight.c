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
 * waiter, asks its exit test.  A lone check whose wait is over is
 * released there: the waker detaches it from all its flights (under
 * e->mu, which it holds anyway), so the check returns without taking
 * e->mu again.  A lone check waiting for one flight only sleeps on the
 * flight's gate, a futex word: the waker opens it and wakes all its
 * sleepers in one call, and none of them takes a lock on the way out, so
 * a burst of checks of one IP wakes in parallel instead of one by one
 * through e->mu.  Other waiters (batches, several flights, TXT) sleep
 * on their group's own condition variable and mutex (CLOCK_MONOTONIC),
 * signalled only when the group's wait is over.
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
 * the checks running, the queue of the resolver by resolv.c.  The gate
 * is a Linux futex.  Attaching still takes e->mu once per check.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	unhash(e, f);
	free(f);
}

/* flight_drop - drop a sleeper's reference without e->mu: the flight is
 * done, so out of the table (its query held a reference until then) */
static void
flight_drop(flight *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(f);
}

/* gate_wake - every check sleeping on f's gate, in one call: the kernel
 * makes them runnable at once, and none of them takes a lock after */
static void
gate_wake(flight *f)
{
	__atomic_store_n(&f->gate, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &f->gate, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
		0);
}

/* wake - ask the exit test of every waiter of f still waiting; signal a
 * group when its last waiter's wait is over, releasing a waiter that can
 * be (e->mu held).  The list is read through next saved beforehand: a
 * release detaches the waiter's link from f. */
static void
wake(flight *f)
{
	wlink *l, *next;
	int gated = 0;

	for (l = f->waiters; l; l = next) {
		waiter *w = l->w;
		wgroup *g = w->g;
		int n, rel, one = g->one == f;

		next = l->next;
		gated |= one;
		if (w->is_over)
			continue;
		if (w->over != NULL && !w->over(w->arg))
			continue;
		w->is_over = w->over != NULL;
		rel = w->is_over && w->release != NULL;
		if (rel)
			w->release(w->arg);
		n = g->nover + 1;
		__atomic_store_n(&g->nover, n, __ATOMIC_RELEASE);
		if (one) {
			/* read by the sleeper after the gate opens */
			g->released = rel;
		} else if (n == g->target || rel) {
			pthread_mutex_lock(&g->mu);
			g->released |= rel;
			pthread_cond_signal(&g->cond);
			pthread_mutex_unlock(&g->mu);
		}
	}
	if (gated)
		gate_wake(f);
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
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
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
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cond, &e->cattr);
	g->nover = 0;
	g->target = 1;
	g->released = 0;
	g->one = NULL;
}

/* vd_flight_group_destroy - no waker may use g any more */
void
vd_flight_group_destroy(wgroup *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mu);
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

/* g_sleep - sleep on g's own lock until the round is over or ts (e->mu
 * held on entry, not on return); 1 when released, 0 on a timeout or
 * when the caller must take e->mu again */
static int
g_sleep(dnsbl_engine *e, wgroup *g, const struct timespec *ts)
{
	int rel;

	/* g->mu before e->mu goes: a waker (which holds e->mu to count
	 * the round) signals under g->mu, so no wake-up is lost */
	pthread_mutex_lock(&g->mu);
	pthread_mutex_unlock(&e->mu);
	while (!g->released && __atomic_load_n(&g->nover, __ATOMIC_ACQUIRE)
	       < g->target)
		if (pthread_cond_timedwait(&g->cond, &g->mu, ts) == ETIMEDOUT)
			break;
	rel = g->released;
	pthread_mutex_unlock(&g->mu);
	return rel;
}

/* gate_sleep - sleep on f's gate until it opens or the deadline (e->mu
 * held on entry, not on return; f held by a reference of ours meanwhile).
 * The timeout is relative and read again after each wake-up, so the
 * deadline holds on the library's clock whatever the kernel's says.
 * Returns 1 when the gate opened. */
static int
gate_sleep(dnsbl_engine *e, flight *f, int64_t deadline_ns)
{
	struct timespec ts;
	int64_t left;

	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&e->mu);
	while (!__atomic_load_n(&f->gate, __ATOMIC_ACQUIRE)) {
		if ((left = deadline_ns - vd_clock_now_ns()) <= 0)
			return 0;
		ts.tv_sec = (time_t)(left / VD_NS_PER_S);
		ts.tv_nsec = (long)(left % VD_NS_PER_S);
		/* EAGAIN (opened meanwhile), EINTR, ETIMEDOUT: look again */
		syscall(SYS_futex, &f->gate, FUTEX_WAIT_PRIVATE, 0, &ts,
			NULL, 0);
	}
	return 1;
}

/* one_wait - the sleep of a lone check waiting for one flight (e->mu
 * held on entry): released by the waker, it goes on without e->mu */
static int
one_wait(dnsbl_engine *e, wgroup *g, int64_t deadline_ns)
{
	flight *f = g->one;

	if (gate_sleep(e, f, deadline_ns) && g->released) {
		flight_drop(f);
		return FLIGHT_RELEASED;
	}
	pthread_mutex_lock(&e->mu);
	flight_drop(f);
	if (g->nover < g->target)
		return vd_clock_now_ns() < deadline_ns ? FLIGHT_ROUND :
		       FLIGHT_DEADLINE;
	return FLIGHT_ROUND;
}

/*
 * vd_flight_wait - one round of waiting for group g, until g->target of
 * its waiters are over (e->mu held; the caller sets target and the
 * waiters' is_over): send what was queued and, when no other thread
 * drives the resolver, drive it from this thread until then or the
 * deadline (e->mu released meanwhile); else sleep on g's own condition
 * variable and lock.  A waiter the waker released goes on without e->mu
 * (FLIGHT_RELEASED): a burst of checks of one IP wakes without queueing
 * on e->mu.  Otherwise e->mu is taken again; FLIGHT_DEADLINE when the
 * deadline has passed (the caller then looks at its answers again).
 */
int
vd_flight_wait(dnsbl_engine *e, wgroup *g, int64_t deadline_ns)
{
	struct timespec ts;
	int drove;

	__atomic_store_n(&g->nover, 0, __ATOMIC_RELAXED);
	g->released = 0;	/* no waker sees g before e->mu goes */
	pthread_mutex_unlock(&e->mu);
	drove = vd_resolv_drive(e->res, g_reached, g, deadline_ns);
	pthread_mutex_lock(&e->mu);
	if (drove || g->nover >= g->target)
		return vd_clock_now_ns() < deadline_ns ? FLIGHT_ROUND :
		       FLIGHT_DEADLINE;
	if (vd_clock_now_ns() >= deadline_ns)
		return FLIGHT_DEADLINE;
	if (g->one != NULL && !g->one->done)
		return one_wait(e, g, deadline_ns);
	abs_time(deadline_ns, &ts);
	if (g_sleep(e, g, &ts))
		return FLIGHT_RELEASED;
	pthread_mutex_lock(&e->mu);
	/* a timeout comes early when an interposed clock (libfaketime)
	 * scales the wait: the round ends, the deadline holds */
	if (g->nover < g->target)
		return vd_clock_now_ns() < deadline_ns ? FLIGHT_ROUND :
		       FLIGHT_DEADLINE;
	return FLIGHT_ROUND;
}
