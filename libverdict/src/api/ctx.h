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
#include "logline.h"
#include "policy.h"
#include "store.h"
#include "log.h"
#include "verdict.h"

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
	struct vd_stats *stats;		/* NULL: counting off */
	int nostats;			/* verdict_set_stats(ctx, 0) */
};

/* vd_ctx_dbdir - the database directory: -d, else the configuration's */
const char *vd_ctx_dbdir(const verdict_ctx *ctx);

/* vd_ctx_profile - an opened context's profile by number, or NULL when
 * the configuration has none (the caller says so in its own words) */
const policy_profile *vd_ctx_profile(const verdict_ctx *ctx, int profile);

/* vd_ctx_src - the lower layers' handles a check reads */
policy_src vd_ctx_src(const verdict_ctx *ctx);

/* vd_ctx_ready - VERDICT_OK when the context is open with a database (and
 * writable when write is set), else VERDICT_ESTATE recorded */
int vd_ctx_ready(const verdict_ctx *ctx, int write);

/* vd_ctx_warn_writable - log (LOG_WARNING) a file every user may change */
void vd_ctx_warn_writable(verdict_ctx *ctx, const char *what,
			  const char *path);

#endif
