/*
 * counters.c - striped counters (counters.h)
 *
 *	vd_counters_new, vd_counters_free
 *	vd_counters_stripe	the thread's stripe: a thread-local number
 *				dealt out round robin on first use
 *	vd_counters_sum		a slot over every stripe
 *
 * A stripe is the slots rounded up to whole cache lines, so no two
 * stripes share a line.  Threads get stripe numbers in turn; with more
 * threads than stripes some share one, which the atomic add makes safe.
 *
 * Limits: VD_COUNTERS_STRIPES stripes; memory is n * 8 bytes a stripe.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"

#define LINE 64

struct vd_counters {
	size_t n, stride;	/* slots; slots a stripe, whole lines */
	uint64_t *v;		/* VD_COUNTERS_STRIPES * stride */
};

static atomic_uint next_stripe;
static _Thread_local unsigned my_stripe = ~0u;

vd_counters *
vd_counters_new(size_t n)
{
	vd_counters *c;
	size_t per = LINE / sizeof(uint64_t), bytes;

	if (n == 0 || n > SIZE_MAX / sizeof(uint64_t) / VD_COUNTERS_STRIPES
	    - per)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->n = n;
	c->stride = (n + per - 1) / per * per;
	bytes = c->stride * sizeof(uint64_t) * VD_COUNTERS_STRIPES;
	if ((c->v = aligned_alloc(LINE, bytes)) == NULL) {
		free(c);
		return NULL;
	}
	memset(c->v, 0, bytes);
	return c;
}

void
vd_counters_free(vd_counters *c)
{
	if (c == NULL)
		return;
	free(c->v);
	free(c);
}

/* vd_counters_stripe - the thread's stripe number, dealt once */
uint64_t *
vd_counters_stripe(vd_counters *c)
{
	unsigned s = my_stripe;

	if (s == ~0u)
		my_stripe = s = atomic_fetch_add_explicit(&next_stripe, 1,
			memory_order_relaxed) & (VD_COUNTERS_STRIPES - 1);
	return c->v + (size_t)s * c->stride;
}

uint64_t
vd_counters_sum(const vd_counters *c, size_t i)
{
	uint64_t t = 0;

	for (size_t s = 0; s < VD_COUNTERS_STRIPES; s++)
		t += __atomic_load_n(&c->v[s * c->stride + i],
				     __ATOMIC_RELAXED);
	return t;
}

size_t
vd_counters_slots(const vd_counters *c)
{
	return c->n;
}
