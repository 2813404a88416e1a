/*
 * vm_stats.h - verdict-milter's lock-free counters (see vm_stats.c)
 */
#ifndef VM_STATS_H
#define VM_STATS_H

#include "verdict.h"

/* vm_stats_connect - one xxfi_connect call. */
void vm_stats_connect(void);

/* vm_stats_skip - a connection accepted without a check (local, not IP,
 * profile "none"). */
void vm_stats_skip(void);

/* vm_stats_record - one finished check: kind, source, DNS outcomes,
 * latency.  Safe from any thread. */
void vm_stats_record(const verdict_result *res);

/* vm_stats_log - emit the counters since start as a few lines through
 * emit (one call per line, no newline). */
void vm_stats_log(void (*emit)(const char *line));

/* vm_stats_percentile - the latency (µs, bucket upper bound) below which
 * pct percent of the checks fell; 0 when there were none. */
long vm_stats_percentile(int pct);

#endif
