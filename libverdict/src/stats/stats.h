/*
 * stats.h - a context's counters and their metric families (stats.c)
 *
 * The api layer counts every finished check (vd_stats_count) and every
 * failed one (vd_stats_error) into the context's vd_stats, and walks the
 * families for verdict_stats (vd_stats_walk, vd_stats_family); expo.c
 * renders them as Prometheus text.
 */
#ifndef VD_STATS_H
#define VD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "verdict.h"

typedef struct vd_stats vd_stats;

/* The families of verdict.h, in the order verdict_stats hands them out. */
enum {
	VD_FAM_CHECKS = 0,
	VD_FAM_WOULD_BLOCK,
	VD_FAM_ERRORS,
	VD_FAM_DURATION,
	VD_FAM_DNS_DURATION,
	VD_FAM_DNS_QUERIES,
	VD_FAM_ZONE_DURATION,
	VD_FAM_CACHE_HITS,
	VD_FAM_CACHE_MISSES,
	VD_FAM_ZONE_UP,
	VD_FAM_TABLE_ENTRIES,
	VD_FAM_TABLE_IMPORT,
	VD_FAM_RELOADS,
	VD_FAM_N
};

/* vd_stats_new - counters for the n profiles prof[0..n) (their sites
 * fixed); NULL on out of memory.  prof must outlive the stats. */
vd_stats *vd_stats_new(const policy_profile *prof, size_t n);
void vd_stats_free(vd_stats *st);

/* vd_stats_count - one finished check of profile prof[pidx]: its kind
 * and source, monitor mode, its time, its DNSBL step.  No lock; safe
 * from any thread.  st NULL: nothing. */
void vd_stats_count(vd_stats *st, size_t pidx, const verdict_result *res);

/* vd_stats_error - one failed check (a verdict_err). */
void vd_stats_error(vd_stats *st, int err);

/* vd_stats_family - the declaration of family f (name NULL). */
void vd_stats_family(int f, verdict_stat *out);

/* What a walk reads besides the counters. */
typedef struct stats_src {
	struct dnsbl_engine *dns;	/* for zone health, may be NULL */
} stats_src;

/*
 * vd_stats_walk - cb with the declaration and the samples of family f
 * (VD_FAM_CHECKS .. VD_FAM_ZONE_UP: the counters' families; the table
 * and reload families are the api layer's to fill); st NULL: the
 * declaration alone.  Returns 0 or cb's non-zero return.
 */
int vd_stats_walk(vd_stats *st, const stats_src *src, int f,
		  int (*cb)(const verdict_stat *, void *), void *arg);

/* vd_stats_error_name - "einval", ... for a verdict_err; "unknown". */
const char *vd_stats_error_name(int err);

#endif
