/*
 * policy.h - the order of evaluation (policy.c)
 *
 * The api layer calls the policy layer, never the reverse: what a check
 * needs of its context comes in as a policy_src (the lower layers'
 * handles) and a policy_profile (one profile, its tables resolved).
 */
#ifndef VD_POLICY_H
#define VD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "result.h"
#include "store.h"

#define POLICY_TABLES_MAX 64	/* allow plus block tables of a profile */
#define POLICY_LEARNED_MAX 8	/* learned tables of a profile */

struct dnsbl_engine;
struct dnsbl_sites;
struct geo_db;

/* A profile ready for checks: table names resolved to index ids. */
typedef struct policy_profile {
	const config_profile *cfg;
	int number;
	size_t nallow, nblock;
	uint16_t ids[POLICY_TABLES_MAX];	/* allow ids, then block ids */
	const char *names[POLICY_TABLES_MAX];
	struct dnsbl_sites *sites;	/* NULL when no dnsbl_sites */
	int uses_geo;			/* a geo rule */
	int geo_in_reply;		/* %{country} or %{asn} in a reply */
	int empty;			/* nothing can block: set at open */
	int warned_empty;		/* atomic: "blocks nothing" logged */
	/* learned tables, read by key after the block tables */
	size_t nlearned;
	MDB_dbi learned_dbi[POLICY_LEARNED_MAX];	/* records */
	MDB_dbi learned_bdbi[POLICY_LEARNED_MAX];	/* blocked keys */
	const char *learned_names[POLICY_LEARNED_MAX];
	const learn_params *learn;	/* the global learn_* keys */
} policy_profile;

/* What a check reads besides the profile; any may be NULL (not used). */
typedef struct policy_src {
	tbl_env *te;
	struct dnsbl_engine *dns;
	struct geo_db *geo;
} policy_src;

/* vd_policy_eval - steps 1-5 (learned tables after the block tables) of the data flow for ip under pr into res.
 * With POLICY_DEFER_DNS in flags it stops before the DNSBL queries when
 * they are due (res->dns_deferred): the caller runs vd_dnsbl_check_many
 * into res->dns for many results, then vd_policy_dns_finish for each.
 * Returns VERDICT_OK, or the lower layer's error (res is then partial). */
#define POLICY_DEFER_DNS 0x40000000u
int vd_policy_eval(const policy_src *src, const policy_profile *pr,
		   const vaddr *ip, int64_t deadline_ns, unsigned flags,
		   verdict_result *res);
int vd_policy_dns_finish(const policy_src *src, const policy_profile *pr,
			 unsigned flags, verdict_result *res);

/* vd_policy_settle - monitor mode, and the reply template the outcome
 * takes (rendered later by vd_reply_render, when asked for). */
void vd_policy_settle(const policy_profile *pr, verdict_result *res);

#endif
