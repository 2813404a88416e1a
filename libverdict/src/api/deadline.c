/*
 * deadline.c - the deadline a front end inside an MTA gives a check
 *
 *	verdict_profile_deadline	min(callout_timeout, dnsbl_timeout)
 *
 * A front end that runs inside the MTA (the mapping callout, Exim's
 * ${dlfunc}) holds the MTA's connection while it waits: callout_timeout
 * bounds that wait, and a profile whose DNSBL zones must answer sooner
 * (dnsbl_timeout) is not made to wait longer than the CLI or the milter
 * would.  The smaller of the two is the deadline.
 *
 * Diagnostics: VERDICT_ENOENT names the undeclared profile.
 */
#include "ctx.h"
#include "errors.h"

VERDICT_API int
verdict_profile_deadline(const verdict_ctx *ctx, int profile,
			 long *timeout_us)
{
	const config_profile *p = vd_config_profile_get(ctx->cfg, profile);
	int64_t ms;

	if (p == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "no [profile %d] in the "
				   "configuration", profile);
	/* an unset dnsbl_timeout is the default verdict_check uses */
	ms = p->dnsbl_timeout_ms > 0 ? p->dnsbl_timeout_ms :
	     VD_CHECK_DEFAULT_TIMEOUT_US / 1000;
	if (p->callout_timeout_ms < ms)
		ms = p->callout_timeout_ms;
	if (timeout_us)
		*timeout_us = (long)ms * 1000;
	return VERDICT_OK;
}
