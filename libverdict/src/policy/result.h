/*
 * result.h - the verdict_result behind the opaque handle of verdict.h
 *
 * The policy layer fills it, the api layer hands it out: it sits here,
 * below both, so that evaluation never reaches up into api/.
 */
#ifndef VD_RESULT_H
#define VD_RESULT_H

#include <stdint.h>

#include "cidr.h"
#include "addr.h"
#include "store.h"
#include "verdict.h"

#define EXPLAIN_MAX 64		/* steps kept for VERDICT_CHECK_EXPLAIN */
#define EXPLAIN_LINE 200	/* bytes a step, NUL included */
#define RESULT_REPLY_MAX 252	/* the callout's result buffer */

struct dnsbl_result;

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
	int source_kind;		/* verdict_source_kind */
	char reason[TBL_REASON_MAX + 1];
	int have_reason;
	char reply[RESULT_REPLY_MAX];	/* rendered lazily from reply_tmpl */
	const char *reply_tmpl;		/* the profile's template, or NULL */
	char country[3];
	unsigned long asn;
	char as_org[128];
	struct dnsbl_result *dns;	/* allocated on first DNS check */
	/* vd_policy_eval under POLICY_DEFER_DNS stopped before the DNSBL
	 * step: the geo weight and its text, for vd_policy_dns_finish */
	int dns_deferred;
	int geo_weight;
	char geo_why[128];
	int64_t dns_ns;			/* the DNSBL step's time; 0: it
					 * did not run in this check */
	size_t nexplain;
	char (*explain)[EXPLAIN_LINE];	/* allocated on first EXPLAIN */
};

/* vd_result_reset - clear what a check sets, keep the buffers. */
void vd_result_reset(verdict_result *res, int profile);

/* vd_result_ip_text, vd_result_cidr_text - the address and the matching
 * network as text, formatted on first use; NULL when there is none. */
const char *vd_result_ip_text(verdict_result *res);
const char *vd_result_cidr_text(verdict_result *res);

#endif
