/*
 * clock.c - the library's clocks (clock.h)
 *
 *	vd_clock_now_ns		CLOCK_MONOTONIC in nanoseconds
 *	vd_clock_coarse_ns	CLOCK_MONOTONIC_COARSE plus one tick
 *	vd_clock_set_coarse	inject a clock (tests)
 *	vd_clock_wall_s		time(NULL), injectable (vd_clock_set_wall)
 *
 * Diagnostics: none; where CLOCK_MONOTONIC_COARSE reports no resolution,
 * the coarse clock falls back to the precise one.
 *
 * Limits: the coarse clock may run up to one tick (a few ms) ahead of the
 * precise one, never behind it, so a cached answer expires early rather
 * than late.
 */
#include <time.h>

#include "clock.h"

/* a plain pointer accessed only through __atomic builtins: clang refuses
 * those builtins on an _Atomic-qualified object */
static int64_t (*clock_coarse_fn)(void);
static int64_t (*clock_wall_fn)(void);

/* vd_clock_now_ns - CLOCK_MONOTONIC: wall-clock jumps never move a deadline. */
int64_t
vd_clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * VD_NS_PER_S + ts.tv_nsec;
}

/* vd_clock_coarse_ns - the coarse clock plus its resolution */
int64_t
vd_clock_coarse_ns(void)
{
	static int64_t res_ns;	/* one tick; the same value in every thread */
	int64_t (*fn)(void) = __atomic_load_n(&clock_coarse_fn,
					      __ATOMIC_RELAXED);
	struct timespec ts;
	int64_t r;

	if (fn != NULL)
		return fn();
	r = __atomic_load_n(&res_ns, __ATOMIC_RELAXED);
	if (r == 0) {
		if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) != 0)
			return vd_clock_now_ns();
		r = (int64_t)ts.tv_sec * VD_NS_PER_S + ts.tv_nsec;
		__atomic_store_n(&res_ns, r, __ATOMIC_RELAXED);
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * VD_NS_PER_S + ts.tv_nsec + r;
}

/* vd_clock_set_coarse - tests drive time through their own function */
void
vd_clock_set_coarse(int64_t (*now)(void))
{
	__atomic_store_n(&clock_coarse_fn, now, __ATOMIC_RELAXED);
}

/* vd_clock_wall_s - seconds since the epoch, or the test's own clock */
int64_t
vd_clock_wall_s(void)
{
	int64_t (*fn)(void) = __atomic_load_n(&clock_wall_fn,
					      __ATOMIC_RELAXED);

	return fn != NULL ? fn() : (int64_t)time(NULL);
}

/* vd_clock_set_wall - tests move the wall clock themselves */
void
vd_clock_set_wall(int64_t (*now)(void))
{
	__atomic_store_n(&clock_wall_fn, now, __ATOMIC_RELAXED);
}
