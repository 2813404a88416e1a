/*
 * counters.c - per-thread counters (counters.h)
 *
 *	vd_counters_new, vd_counters_free	registered, unregistered
 *	vd_counters_stripe	the thread's claim: a thread-local record of
 *				the counters it holds a stripe of
 *	vd_counters_sum		a slot over every stripe
 *
 * Ownership: a bit per stripe in c->claimed.  A thread claims the first
 * free bit on its first add to c (its stripe is allocated then, zeroed,
 * and kept until c is freed, counts included), and gives it back when
 * it ends (a thread-specific key's destructor) or claims in other
 * counters.  Giving back touches c, which may have been freed by then:
 * every live vd_counters is in a registry, and a claim is given back
 * only when its counters are still registered under the same id (ids
 * are never reused, unlike addresses).  The registry's mutex is taken
 * only to create, free, claim and give back, never to add.
 *
 * Fork: the child's thread-local claim is its parent thread's, and the
 * parent's claims stay marked in the child's copy (the child opens
 * contexts of its own anyway); the registry's mutex is made anew.
 *
 * Limits: VD_COUNTERS_STRIPES owned stripes at once; memory is n * 8
 * bytes (rounded to cache lines) per stripe ever claimed, plus one.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"

#define LINE 64
#define SHARED VD_COUNTERS_STRIPES	/* index of the shared stripe */

struct vd_counters {
	size_t n, stride;		/* slots; slots a stripe, whole lines */
	uint64_t id;
	atomic_uint_least64_t claimed;	/* bit i: stripe i owned */
	uint64_t *stripe[VD_COUNTERS_STRIPES + 1];	/* NULL: never used */
	struct vd_counters *next;	/* the registry */
};

/* The calling thread's claim. */
typedef struct claim {
	uint64_t id;			/* 0: none */
	vd_counters *c;
	unsigned idx;
	vd_stripe st;
} claim;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static vd_counters *reg;
static uint64_t next_id = 1;		/* under reg_mu */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;
static _Thread_local claim mine;

/* give_back - the thread's claim returned, if its counters live
 * (reg_mu held) */
static void
give_back(claim *cl)
{
	if (cl->id == 0)
		return;
	for (vd_counters *c = reg; c; c = c->next)
		if (c == cl->c && c->id == cl->id) {
			if (cl->idx != SHARED)
				atomic_fetch_and(&c->claimed,
						 ~(UINT64_C(1) << cl->idx));
			break;
		}
	memset(cl, 0, sizeof(*cl));
}

static void
thread_end(void *p)
{
	(void)p;
	pthread_mutex_lock(&reg_mu);
	give_back(&mine);
	pthread_mutex_unlock(&reg_mu);
}

static void
fork_child(void)
{
	pthread_mutex_init(&reg_mu, NULL);
}

static void
init(void)
{
	key_ok = pthread_key_create(&key, thread_end) == 0;
	pthread_atfork(NULL, NULL, fork_child);
}

static uint64_t *
stripe_alloc(const vd_counters *c)
{
	size_t bytes = c->stride * sizeof(uint64_t);
	uint64_t *s = aligned_alloc(LINE, bytes);

	if (s != NULL)
		memset(s, 0, bytes);
	return s;
}

vd_counters *
vd_counters_new(size_t n)
{
	size_t per = LINE / sizeof(uint64_t);
	vd_counters *c;

	pthread_once(&once, init);
	if (n == 0 || n > SIZE_MAX / sizeof(uint64_t) - per)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->n = n;
	c->stride = (n + per - 1) / per * per;
	if ((c->stripe[SHARED] = stripe_alloc(c)) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&reg_mu);
	c->id = next_id++;
	c->next = reg;
	reg = c;
	pthread_mutex_unlock(&reg_mu);
	return c;
}

void
vd_counters_free(vd_counters *c)
{
	vd_counters **pp;

	if (c == NULL)
		return;
	pthread_mutex_lock(&reg_mu);
	for (pp = &reg; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&reg_mu);
	for (size_t i = 0; i <= VD_COUNTERS_STRIPES; i++)
		free(c->stripe[i]);
	free(c);
}

/* take - a free owned stripe of c, allocated on first use; SHARED when
 * none is free (reg_mu held) */
static unsigned
take(vd_counters *c)
{
	uint64_t was = atomic_load(&c->claimed);

	for (unsigned i = 0; i < VD_COUNTERS_STRIPES; i++) {
		uint64_t bit = UINT64_C(1) << i;

		if (was & bit)
			continue;
		if (c->stripe[i] == NULL) {
			uint64_t *s = stripe_alloc(c);

			if (s == NULL)
				return SHARED;
			__atomic_store_n(&c->stripe[i], s, __ATOMIC_RELEASE);
		}
		atomic_fetch_or(&c->claimed, bit);
		return i;
	}
	return SHARED;
}

/* claim_slow - the thread's first add to c: give back the old claim,
 * take a stripe of c */
static vd_stripe
claim_slow(vd_counters *c)
{
	pthread_mutex_lock(&reg_mu);
	give_back(&mine);
	mine.idx = key_ok ? take(c) : SHARED;
	mine.c = c;
	mine.id = c->id;
	mine.st.s = c->stripe[mine.idx];
	mine.st.shared = mine.idx == SHARED;
	pthread_mutex_unlock(&reg_mu);
	if (key_ok && !mine.st.shared)
		pthread_setspecific(key, &mine);
	return mine.st;
}

vd_stripe
vd_counters_stripe(vd_counters *c)
{
	if (mine.id == c->id && mine.c == c)
		return mine.st;
	return claim_slow(c);
}

uint64_t
vd_counters_sum(const vd_counters *c, size_t i)
{
	uint64_t t = 0;

	for (size_t s = 0; s <= VD_COUNTERS_STRIPES; s++) {
		const uint64_t *p = __atomic_load_n(&c->stripe[s],
						    __ATOMIC_ACQUIRE);

		if (p != NULL)
			t += __atomic_load_n(&p[i], __ATOMIC_RELAXED);
	}
	return t;
}

size_t
vd_counters_slots(const vd_counters *c)
{
	return c->n;
}
