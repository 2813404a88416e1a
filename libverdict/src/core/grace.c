/*
 * grace.c - grace periods for pointers swapped under running readers
 *
 *	vd_grace_self_stripe	a stripe for the calling thread
 *	vd_grace_start		a swap happened: (re)start the period
 *	vd_grace_step		advance it, never waiting
 *
 * The protocol is in grace.h.
 *
 * Diagnostics: none.
 *
 * Limits: GRACE_STRIPES stripes, picked by a hash of the thread id;
 * threads that land on one stripe share its cache line, which costs
 * speed, never correctness.  A reader that never
 * exits holds every later grace period open.
 */
#include <pthread.h>
#include <stdint.h>

#include "grace.h"

unsigned
vd_grace_self_stripe(void)
{
	uint64_t t = (uint64_t)(uintptr_t)pthread_self();

	return (unsigned)(((t >> 12) * 0x9e3779b97f4a7c15ULL) >> 58);
}

/* drained - 1 when no reader counts itself in this parity now */
static int
drained(grace *g, unsigned parity)
{
	for (int i = 0; i < GRACE_STRIPES; i++)
		if (atomic_load(&g->stripe[i].n[parity]) != 0)
			return 0;
	return 1;
}

void
vd_grace_start(grace *g)
{
	g->phase = 1;
	atomic_store_explicit(&g->pending, 1, memory_order_relaxed);
	/* readers count in the other parity from now on */
	g->parity = atomic_fetch_add(&g->epoch, 1) & 1;
}

int
vd_grace_step(grace *g)
{
	while (g->phase && drained(g, g->parity)) {
		if (g->phase == 1) {
			/* flip again so the other parity drains too */
			g->parity = atomic_fetch_add(&g->epoch, 1) & 1;
			g->phase = 2;
			continue;
		}
		g->phase = 0;
		atomic_store_explicit(&g->pending, 0, memory_order_relaxed);
		return 1;
	}
	return 0;
}
