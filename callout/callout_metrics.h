/*
 * callout_metrics.h - the callout's metrics file (callout_metrics.c)
 */
#ifndef CALLOUT_METRICS_H
#define CALLOUT_METRICS_H

#include <stdint.h>

#include "verdict.h"

/* co_metrics_tick - after a call on vc at now_ns (a monotonic clock in
 * nanoseconds): when metrics_interval has passed since the last write,
 * replace metrics_dir/callout-PID.prom.  Cheap when not due (one atomic
 * load); one thread writes, the others go on.  Safe from any thread. */
void co_metrics_tick(verdict_ctx *vc, int64_t now_ns);

#endif
