/*
 * grace.h - grace periods for pointers swapped under running readers
 *
 * Readers count themselves, for the length of a use, in one of two
 * counters of a stripe (one cache line each, so threads spread over
 * stripes do not share a line), selected by the parity of an epoch.  A
 * writer that swapped a pointer starts a grace period: the epoch is
 * flipped twice, and each parity must be seen empty once after its flip;
 * then no reader can still hold the old pointer (a reader counted after
 * the swap reads the new pointer: the count and the load are
 * sequentially consistent).  Nobody waits: vd_grace_step advances the period
 * as far as it goes now and is called again later.  Used by api/live.c
 * (a context that follows its file) and geo/geo.c (the MMDB files).
 *
 * The writer side (vd_grace_start, vd_grace_step, the phase) is under the
 * owner's lock; enter/exit/pending are lock-free.
 */
#ifndef VD_GRACE_H
#define VD_GRACE_H

#include <stdatomic.h>

#define GRACE_STRIPES 64

typedef struct grace_stripe {
	_Atomic long n[2];
} __attribute__((aligned(64))) grace_stripe;

typedef struct grace {
	grace_stripe stripe[GRACE_STRIPES];
	_Atomic unsigned epoch;		/* parity selects the counters */
	_Atomic int pending;		/* a period is running (peek) */
	int phase;			/* 0 none, 1 and 2: the flips */
	unsigned parity;		/* the parity being drained */
} grace;

/* vd_grace_enter - count the caller (stripe s, any number) in; returns the
 * parity to hand to vd_grace_exit */
static inline unsigned
vd_grace_enter(grace *g, unsigned s)
{
	unsigned p = atomic_load_explicit(&g->epoch, memory_order_relaxed) & 1;

	atomic_fetch_add(&g->stripe[s % GRACE_STRIPES].n[p], 1);
	return p;
}

static inline void
vd_grace_exit(grace *g, unsigned s, unsigned p)
{
	atomic_fetch_sub_explicit(&g->stripe[s % GRACE_STRIPES].n[p], 1,
				  memory_order_release);
}

/* vd_grace_pending - a period is running (relaxed: a hint for try-locks) */
static inline int
vd_grace_pending(grace *g)
{
	return atomic_load_explicit(&g->pending, memory_order_relaxed);
}

/* vd_grace_self_stripe - a stripe for the calling thread (its descriptor
 * address mixed, so neighbouring stacks spread out) */
unsigned vd_grace_self_stripe(void);

/* vd_grace_start - (owner's lock) a pointer was swapped: start the period,
 * or restart it (one begun after every pending swap covers them all) */
void vd_grace_start(grace *g);

/* vd_grace_step - (owner's lock) advance without waiting; 1 when the period
 * has just ended (free what was retired), else 0 */
int vd_grace_step(grace *g);

#endif
