/*
 * logline.h - the verdict log line and its rate limit (logline.c)
 */
#ifndef VD_LOGLINE_H
#define VD_LOGLINE_H

#include <stdint.h>

#include "result.h"
#include "log.h"

/* One per context: where the lines go and how many a second may. */
typedef struct logline {
	const vd_logger *lg;	/* the caller's sink; its fn NULL: no lines */
	long rate_limit;	/* lines a second; <= 0: no limit */
	uint64_t window;	/* second << 32 | lines in it (atomic) */
	uint64_t suppressed;	/* left out since the last notice (atomic) */
} logline;

/* vd_logline_init - a limiter that has let no line through yet. */
void vd_logline_init(logline *ll, const vd_logger *lg, long rate_limit);

/* vd_logline_write - res's key=value line, if log_verdicts (the
 * profile's LOG_VERDICTS_*) asks for it and the second's budget allows.
 * Safe on a shared ll: the limiter is lock-free. */
void vd_logline_write(logline *ll, int log_verdicts, verdict_result *res);

#endif
