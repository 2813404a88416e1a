/*
 * log.c - log lines through the caller's callback (log.h)
 *
 *	vd_log		format a line for the caller's log callback
 *	vd_log_va		the same with a va_list
 *	vd_log_ratelimit	once-per-interval gate for repeated warnings
 *
 * A line is formatted on the stack and handed over at once: the callback
 * may be called from any thread of the library, so nothing here is
 * shared but the caller's own rate-limit stamps, which are atomic.
 *
 * Diagnostics: none.
 *
 * Limits: a line is cut at 1023 bytes.  vd_log_ratelimit uses the monotonic
 * clock: when two threads race for one stamp, one of them logs.
 */
#include <stdio.h>

#include "clock.h"
#include "log.h"

/* vd_log_va - no callback, no formatting cost */
void
vd_log_va(const vd_logger *lg, int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (lg == NULL || lg->fn == NULL)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	lg->fn(level, line, lg->arg);
}

/* vd_log - printf-style front of vd_log_va */
void
vd_log(const vd_logger *lg, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vd_log_va(lg, level, fmt, ap);
	va_end(ap);
}

/* vd_log_ratelimit - the compare-and-swap lets exactly one racing thread win */
int
vd_log_ratelimit(int64_t *last, int64_t interval_ns)
{
	int64_t now = vd_clock_now_ns();
	int64_t prev = __atomic_load_n(last, __ATOMIC_RELAXED);

	if (prev != 0 && now - prev < interval_ns)
		return 0;
	return __atomic_compare_exchange_n(last, &prev, now, 0,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}
