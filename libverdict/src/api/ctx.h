/*
 * ctx.h - the context behind the opaque verdict_ctx (api layer only)
 *
 * A context is configured, opened, then read-only: every check reads
 * only immutable state plus LMDB and the lock-free log limiter, so one
 * opened context serves any number of threads.  The functions below are
 * the context's own (context.c), shared by the api files.
 */
#ifndef VD_CTX_H
#define VD_CTX_H

#include <stdint.h>

#include "config.h"
#include "learnq.h"
#include "logline.h"
#include "policy.h"
#include "store.h"
#include "log.h"
#include "verdict.h"

/* the deadline of a check whose profile sets no dnsbl_timeout */
#define VD_CHECK_DEFAULT_TIMEOUT_US 1500000L

struct verdict_ctx {
	vd_config *cfg;
	char *database;			/* -d override, or NULL */
	vd_logger lg;
	int opened;
	unsigned flags;
	tbl_env *te;
	policy_profile *prof;
	size_t nprof;
	int16_t slot[CONFIG_PROFILE_MAX + 1];	/* number -> prof index */
	struct dnsbl_engine *dns;
	struct geo_db *geo;
	logline log;			/* the verdict lines' rate limit */
	int64_t db_next_check;		/* atomic: verdict_database_changed */
	int db_changed;			/* atomic: replacement seen */
	/* learned reputation (report.c) */
	learn_params learn;		/* the learn_* keys */
	const char *lnames[LEARNQ_TABLES_MAX];	/* distinct learned tables */
	size_t nlnames;
	learn_queue *lq;		/* writers with learned tables */
	vaddr *own;			/* the host's addresses */
	size_t nown;
	struct vd_stats *stats;		/* NULL: counting off */
	int nostats;			/* verdict_set_stats(ctx, 0) */
};

/* vd_ctx_dbdir - the database directory: -d, else the configuration's */
const char *vd_ctx_dbdir(const verdict_ctx *ctx);

/* vd_ctx_profile - an opened context's profile by number, or NULL when
 * the configuration has none (the caller says so in its own words) */
const policy_profile *vd_ctx_profile(const verdict_ctx *ctx, int profile);

/* vd_ctx_profile_empty - 1 when a profile has no table, no DNSBL zone
 * and no GeoIP rule: every address passes it */
int vd_ctx_profile_empty(const policy_profile *pr);

/* vd_ctx_src - the lower layers' handles a check reads */
policy_src vd_ctx_src(const verdict_ctx *ctx);

/* vd_ctx_ready - VERDICT_OK when the context is open with a database (and
 * writable when write is set), else VERDICT_ESTATE recorded */
int vd_ctx_ready(const verdict_ctx *ctx, int write);

/* vd_ctx_warn_writable - log (LOG_WARNING) a file every user may change */
void vd_ctx_warn_writable(verdict_ctx *ctx, const char *what,
			  const char *path);

/* report.c: a profile's learned_tables resolved at open; the report
 * queue of a writing context made, and closed */
int vd_report_resolve(verdict_ctx *ctx, policy_profile *pr, unsigned flags);
int vd_report_open(verdict_ctx *ctx);
void vd_report_close(verdict_ctx *ctx);

#endif
