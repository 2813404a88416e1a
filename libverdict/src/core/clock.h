/*
 * clock.h - the library's clocks
 *
 *	vd_clock_now_ns		CLOCK_MONOTONIC: every deadline and wait
 *	vd_clock_coarse_ns	the coarse monotonic clock, never behind
 *				vd_clock_now_ns: cache TTLs, file re-checks,
 *				log windows, self-test ages
 *	vd_clock_set_coarse	replace the coarse clock (tests)
 *
 * Two clocks because they serve two needs: a deadline must be exact and
 * is read a few times a check, while "is this answer/file/window older
 * than N seconds" is asked on every verdict and a tick of a few
 * milliseconds is plenty for it; the coarse clock is a load from the
 * vDSO page where the precise one is a clock read.
 *
 * The coarse clock is injectable so that the code that waits on time
 * (GeoIP file re-check, log rate limit, cache TTL) is tested without
 * sleeping: a test sets its own function and moves time itself.
 * Deadlines stay on the real clock: condition waits and poll() run on it.
 *
 * Limits: vd_clock_set_coarse is process-wide and not meant for a
 * running library; set it before the first check and reset it with NULL.
 */
#ifndef VD_CLOCK_H
#define VD_CLOCK_H

#include <stdint.h>

#define VD_NS_PER_S 1000000000LL

int64_t vd_clock_now_ns(void);
int64_t vd_clock_coarse_ns(void);

/* vd_clock_set_coarse - now() replaces the coarse clock; NULL restores it. */
void vd_clock_set_coarse(int64_t (*now)(void));

/* vd_clock_wall_s - the wall clock in whole seconds (time(NULL)), for
 * what is stored with a date (learned scores); vd_clock_set_wall replaces
 * it (tests drive the learned model with it), NULL restores it. */
int64_t vd_clock_wall_s(void);
void vd_clock_set_wall(int64_t (*now)(void));

#endif
