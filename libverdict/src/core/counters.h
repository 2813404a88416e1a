/*
 * counters.h - per-thread counters: many threads add, a reader sums
 *
 *	vd_counters_new		n slots, zero
 *	vd_counters_free
 *	vd_counters_stripe	the calling thread's stripe of slots
 *	vd_counters_add		add to a slot of a stripe
 *	vd_counters_sum		a slot summed over the stripes
 *
 * A verdict adds to a few slots; were they one shared word, every thread
 * of a busy host would bounce its cache line, and even a thread alone
 * would pay a locked instruction per add.  Each thread instead owns a
 * stripe (a copy of every slot on cache lines of its own) while it uses
 * the counters, and adds to it with a plain load and store; a reader
 * sums the stripes.  Past VD_COUNTERS_STRIPES threads at once, the rest
 * share one more stripe with atomic adds.  A thread gives its stripe
 * back when it ends or moves to other counters (a reloaded context).
 */
#ifndef VD_COUNTERS_H
#define VD_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define VD_COUNTERS_STRIPES 64	/* owned stripes; one more is shared */

typedef struct vd_counters vd_counters;

/* A thread's stripe: its slots, and whether other threads add too. */
typedef struct vd_stripe {
	uint64_t *s;
	int shared;
} vd_stripe;

/* vd_counters_new - n (>= 1) slots; NULL on out of memory. */
vd_counters *vd_counters_new(size_t n);

/* vd_counters_free - no thread may add during or after the call. */
void vd_counters_free(vd_counters *c);

/* vd_counters_stripe - the calling thread's stripe of c: after the
 * thread's first call on c, one thread-local compare.  Safe from any
 * thread. */
vd_stripe vd_counters_stripe(vd_counters *c);

/* vd_counters_add - slot i of stripe st += v: an owned stripe has one
 * writer, so a relaxed load and store (no lock prefix) suffice; the
 * shared one takes an atomic add. */
static inline void
vd_counters_add(vd_stripe st, size_t i, uint64_t v)
{
	if (st.shared)
		__atomic_fetch_add(&st.s[i], v, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&st.s[i], __atomic_load_n(&st.s[i],
				 __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/* vd_counters_sum - slot i over all stripes: a sum of relaxed loads, so
 * a reader beside writers sees each add whole or not yet. */
uint64_t vd_counters_sum(const vd_counters *c, size_t i);

/* vd_counters_slots - n as given to vd_counters_new. */
size_t vd_counters_slots(const vd_counters *c);

#endif
