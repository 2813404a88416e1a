/*
 * counters.h - striped counters: many threads add, a reader sums
 *
 *	vd_counters_new		n slots, every stripe zero
 *	vd_counters_free
 *	vd_counters_stripe	the calling thread's stripe
 *	vd_counters_add		add to a slot of a stripe
 *	vd_counters_sum		a slot summed over the stripes
 *
 * A verdict adds to a few slots; were they one shared word, every thread
 * of a busy host would bounce its cache line.  Each thread instead adds
 * to its own stripe (a copy of every slot, on cache lines of its own),
 * chosen once per thread, so threads rarely meet; a reader sums the
 * stripes.  An add is one relaxed atomic add: no lock, no ordering, and
 * correct when two threads do share a stripe.
 */
#ifndef VD_COUNTERS_H
#define VD_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define VD_COUNTERS_STRIPES 16	/* power of two */

typedef struct vd_counters vd_counters;

/* vd_counters_new - n (>= 1) slots; NULL on out of memory. */
vd_counters *vd_counters_new(size_t n);
void vd_counters_free(vd_counters *c);

/* vd_counters_stripe - the calling thread's stripe of c (read it once
 * per operation, add to it many times).  Safe from any thread. */
uint64_t *vd_counters_stripe(vd_counters *c);

/* vd_counters_add - slot i of stripe s += v (relaxed atomic). */
static inline void
vd_counters_add(uint64_t *s, size_t i, uint64_t v)
{
	__atomic_fetch_add(&s[i], v, __ATOMIC_RELAXED);
}

/* vd_counters_sum - slot i over all stripes: a sum of relaxed loads, so
 * a reader running beside writers sees each add whole or not yet. */
uint64_t vd_counters_sum(const vd_counters *c, size_t i);

/* vd_counters_slots - n as given to vd_counters_new. */
size_t vd_counters_slots(const vd_counters *c);

#endif
