/*
 * ctx.h - the context and result structures behind the opaque handles
 * (shared by verdict.c, the API glue, and policy.c, the evaluation).
 */
#ifndef VD_CTX_H
#define VD_CTX_H

#include <stdint.h>
#include "addr.h"
#include "config.h"
#include "table.h"
#include "util.h"
#include "verdict.h"

#define PROF_TABLES_MAX 64
#define EXPLAIN_MAX 64
#define EXPLAIN_LINE 200

/* A profile ready for checks: table names resolved to index ids. */
typedef struct prof_rt {
	const config_profile *cfg;
	int number;
	size_t nallow, nblock;
	uint16_t ids[PROF_TABLES_MAX];	/* allow ids, then block ids */
	const char *names[PROF_TABLES_MAX];
	struct dnsbl_sites *sites;	/* NULL when no dnsbl_sites */
	int uses_geo;		/* a geo rule */
	int geo_in_reply;	/* %{country} or %{asn} in a reply */
} prof_rt;

struct verdict_ctx {
	vd_config *cfg;
	char *database;			/* -d override, or NULL */
	vd_logger lg;
	int opened;
	unsigned flags;
	tbl_env *te;
	prof_rt *prof;
	size_t nprof;
	int16_t slot[CONFIG_PROFILE_MAX + 1];	/* number -> prof index */
	struct dnsbl_engine *dns;
	struct geo_db *geo;
	/* verdict log rate limit: window second << 32 | lines in window */
	uint64_t log_window;
	uint64_t log_suppressed;
};

struct verdict_result {
	int kind, err, would_block, score, profile;
	long elapsed_us;
	vaddr ip;
	int have_ip;
	char ip_text[ADDR_TEXT_MAX];	/* filled lazily from ip */
	vcidr cidr;
	int have_cidr;
	char cidr_text[CIDR_TEXT_MAX];	/* filled lazily from cidr */
	char source[256];		/* "" = none */
	char reason[TBL_REASON_MAX + 1];
	int have_reason;
	char reply[252];		/* rendered lazily from reply_tmpl */
	const char *reply_tmpl;		/* the context's template, or NULL */
	char country[3];
	unsigned long asn;
	char as_org[128];
	struct dnsbl_result *dns;	/* allocated on first DNS check */
	/* vd_policy_eval under POLICY_DEFER_DNS stopped before the DNSBL
	 * step: the geo weight and its text, for vd_policy_dns_finish */
	int dns_deferred;
	int geo_weight;
	char geo_why[128];
	size_t nexplain;
	char (*explain)[EXPLAIN_LINE];	/* allocated on first EXPLAIN */
};

/* vd_policy_eval - steps 1-5 of the data flow for ip under pr into res.
 * With POLICY_DEFER_DNS in flags it stops before the DNSBL queries when
 * they are due (res->dns_deferred): the caller runs vd_dnsbl_check_many
 * into res->dns for many results, then vd_policy_dns_finish for each. */
#define POLICY_DEFER_DNS 0x40000000u
int vd_policy_eval(verdict_ctx *ctx, const prof_rt *pr, const vaddr *ip,
		int64_t deadline_ns, unsigned flags, verdict_result *res);
int vd_policy_dns_finish(verdict_ctx *ctx, const prof_rt *pr, unsigned flags,
		      verdict_result *res);

/* vd_policy_render - expand a reply template for res into out (<= 251
 * bytes + NUL, no '$', CR or LF, cut on a UTF-8 boundary). */
void vd_policy_render(const char *tmpl, const verdict_result *res,
		   char out[252]);

/* vd_policy_log - the verdict's key=value line, as log_verdicts says,
 * rate-limited by log_rate_limit. */
void vd_policy_log(verdict_ctx *ctx, const prof_rt *pr, verdict_result *res);

/* result text helpers (lazy formatting) */
const char *vd_result_ip_text(verdict_result *res);
const char *vd_result_cidr_text(verdict_result *res);

#endif
