/*
 * flight.h - shared in-flight queries and the checks waiting for them
 *
 * Every query is a flight keyed by (zone, qtype, IP, test) in one table
 * under e->mu; a check that needs an answer already in flight attaches to
 * it instead of asking again.  Checks wait in groups (wgroup): a lone
 * check is a group of one, a batch one group for all its checks, so a
 * thread is woken once per round however many checks and zones it waits
 * for.  All functions but vd_flight_key run with e->mu held.
 */
#ifndef VD_FLIGHT_H
#define VD_FLIGHT_H

#include <pthread.h>
#include <stdint.h>

#include "engine.h"

/* A group of waiters sleeping on a condition variable and a mutex of
 * its own, never on e->mu: a burst of checks woken together does not
 * queue on one lock.  nover counts the waiters whose wait ended since
 * the round began; the sleeper is signalled when it reaches target (both
 * written under e->mu; nover is also read by the driving thread's
 * predicate and by the sleeper).  released (under mu) tells the sleeper
 * that the waker also detached it from every flight, so it goes on
 * without taking e->mu again. */
typedef struct wgroup {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int nover;
	int target;
	int released;
	struct flight *one;	/* set by a lone check waiting for this
				 * flight alone: it sleeps on the flight's
				 * gate, not on cond (e->mu) */
} wgroup;

/* A waiting check.  over (may be NULL: every answer counts) tells, under
 * e->mu in the driving thread, whether an answer ends the check's wait
 * (settled, or nothing left to wait for); is_over latches that, so a
 * check of N zones counts once, not N times.  release (may be NULL; only
 * for a group of one waiter) is called, under e->mu in the driving
 * thread, when over said yes: it detaches the check from all its flights,
 * so the waker has done all the check needed e->mu for. */
typedef struct waiter {
	wgroup *g;
	int (*over)(void *arg);
	void (*release)(void *arg);
	void *arg;
	int is_over;
} waiter;

/* What vd_flight_wait returns. */
enum {
	FLIGHT_DEADLINE = 0,	/* the deadline has passed; e->mu held */
	FLIGHT_ROUND = 1,	/* the round is over; e->mu held */
	FLIGHT_RELEASED = 2	/* over and released: e->mu NOT held */
};

typedef struct flight flight;

/* A waiter's link to one flight; in use while f is set. */
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
	int refs;		/* the query + each attached check + each
				 * check sleeping on gate (atomic) */
	int hashed;
	int done;
	uint32_t gate;		/* futex word: 1 once done; the checks of
				 * a burst sleep on it, woken by one call */
	int64_t done_ns;	/* vd_clock_now_ns */
	dnsbl_answer ans;
	wlink *waiters;
};

/* vd_flight_key - the key of zr's answer (zid 0 when zr is NULL). */
void vd_flight_key(fkey *k, const zrec *zr, int qtype, int test,
		   const vaddr *ip);

/* vd_flight_find - the running flight for key, else NULL. */
flight *vd_flight_find(dnsbl_engine *e, const fkey *key);

/* vd_flight_get - the flight for key, queued when absent; *started set
 * when this call queued the query.  NULL when it cannot be asked. */
flight *vd_flight_get(dnsbl_engine *e, zrec *zr, const fkey *key,
		      int *started);

/* vd_flight_attach / _detach - link waiter w to f through l (one
 * reference) / unlink l, if linked, dropping its reference. */
void vd_flight_attach(flight *f, wlink *l, waiter *w);
void vd_flight_detach(dnsbl_engine *e, wlink *l);

/* vd_flight_group_init / _destroy - a group of target 1 (cond on e's
 * clock) / its mutex and cond freed (no lock needed). */
void vd_flight_group_init(dnsbl_engine *e, wgroup *g);
void vd_flight_group_destroy(wgroup *g);

/* vd_flight_wait - one round of waiting for group g until g->target of
 * its waiters are over or deadline_ns; e->mu is released meanwhile.  A
 * FLIGHT_* value: FLIGHT_DEADLINE when the deadline has passed,
 * FLIGHT_RELEASED (e->mu not held on return) when a waiter with a
 * release callback was released while sleeping. */
int vd_flight_wait(dnsbl_engine *e, wgroup *g, int64_t deadline_ns);

/* vd_flight_flush - send what this thread queued without waiting. */
void vd_flight_flush(dnsbl_engine *e);

#endif
