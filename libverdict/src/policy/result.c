/*
 * result.c - a verdict's outcome, and the names and sentences it is told in
 *
 *	vd_result_reset		clear what a check sets, keep the buffers
 *	vd_result_ip_text	the checked address as text, formatted lazily
 *	vd_result_cidr_text	the matching network as text, formatted lazily
 *	verdict_kind_name	a verdict kind's name (public)
 *	verdict_strerror	an error code's sentence (public)
 *	verdict_source_kind_name  a source kind's label (public)
 *
 * Texts are formatted on first use: most callers count or log a verdict
 * by its kind and never read the address back, and a check must not pay
 * for text nobody reads.  A result is reused by its caller from check to
 * check, so a reset clears only the fields a check sets and leaves the
 * buffers (DNS detail, explain lines) allocated.
 *
 * The two public functions live here, below the api layer, because the
 * verdict log line (logline.c) writes a kind's name and an error's
 * sentence, and the policy layer must not call up into api/.
 *
 * Limits: the lazy texts write into a result declared const by the
 * accessors; a result is therefore one per thread, as verdict.h says.
 */

#include "cidr.h"
#include "dnsbl.h"
#include "result.h"

/* vd_result_reset - every field a check sets, the DNS detail with them:
 * a check that ends before the DNSBL step (an error, a table, a profile
 * without zones) must not show the zones, TXT or time of the check
 * before it.  The buffers stay allocated. */
void
vd_result_reset(verdict_result *res, int profile)
{
	res->kind = VERDICT_NEUTRAL;
	res->err = 0;
	res->would_block = 0;
	res->score = 0;
	res->profile = profile;
	res->elapsed_us = 0;
	res->have_ip = 0;
	res->ip_text[0] = 0;
	res->have_cidr = 0;
	res->cidr_text[0] = 0;
	res->source[0] = 0;
	res->source_kind = VERDICT_SOURCE_NONE;
	res->have_reason = 0;
	res->reply[0] = 0;
	res->reply_tmpl = NULL;
	res->country[0] = 0;
	res->asn = 0;
	res->as_org[0] = 0;
	res->nexplain = 0;
	res->dns_deferred = 0;
	res->geo_weight = 0;
	res->geo_why[0] = 0;
	res->dns_ns = 0;
	if (res->dns)
		vd_dnsbl_result_clear(res->dns);
}

/* vd_result_ip_text - the checked address, or NULL before one was parsed */
const char *
vd_result_ip_text(verdict_result *res)
{
	if (!res->have_ip)
		return NULL;
	if (res->ip_text[0] == 0)
		vd_addr_format(&res->ip, res->ip_text);
	return res->ip_text;
}

/* vd_result_cidr_text - the network that decided, or NULL */
const char *
vd_result_cidr_text(verdict_result *res)
{
	if (!res->have_cidr)
		return NULL;
	if (res->cidr_text[0] == 0)
		vd_cidr_format(&res->cidr, res->cidr_text);
	return res->cidr_text;
}

/* verdict_source_kind_name - the label a counter or metric uses */
VERDICT_API const char *
verdict_source_kind_name(int kind)
{
	switch (kind) {
	case VERDICT_SOURCE_TRUSTED: return "trusted";
	case VERDICT_SOURCE_TABLE: return "table";
	case VERDICT_SOURCE_LEARNED: return "learned";
	case VERDICT_SOURCE_GEOIP: return "geoip";
	case VERDICT_SOURCE_DNSBL: return "dnsbl";
	default: return "none";
	}
}

/* verdict_kind_name - the word a log line and the CLI print for a kind */
VERDICT_API const char *
verdict_kind_name(int kind)
{
	switch (kind) {
	case VERDICT_NEUTRAL: return "neutral";
	case VERDICT_ALLOW: return "allow";
	case VERDICT_BLOCK: return "block";
	case VERDICT_TEMPFAIL: return "tempfail";
	default: return "error";
	}
}

/* verdict_strerror - one full sentence per error code; static storage */
VERDICT_API const char *
verdict_strerror(int err)
{
	static const char *msg[] = {
		[VERDICT_OK] = "Success.",
		[VERDICT_EINVAL] = "Malformed argument (address, network or "
				   "name).",
		[VERDICT_ENOMEM] = "Out of memory.",
		[VERDICT_ECONFIG] = "The configuration file has an error.",
		[VERDICT_EDB] = "The database (LMDB) reported an error.",
		[VERDICT_ENOENT] = "No such table, entry, profile or file.",
		[VERDICT_EEXIST] = "The table or entry exists already.",
		[VERDICT_EPERM] = "Permission denied.",
		[VERDICT_EIO] = "Reading or writing a file failed.",
		[VERDICT_EBADLIST] = "Import aborted: the list has more bad "
				     "lines than allowed.",
		[VERDICT_ESHRINK] = "Import aborted: the table would shrink "
				    "by more than half.",
		[VERDICT_ETIMEOUT] = "The deadline passed.",
		[VERDICT_EFORK] = "The context was opened before fork() and "
				  "cannot be used in the child.",
		[VERDICT_ESTATE] = "The call is not allowed in this state of "
				   "the context.",
		[VERDICT_ERANGE] = "Value out of range.",
		[VERDICT_EDNS] = "The DNS resolver could not be started.",
		[VERDICT_EBUSY] = "Resource busy.",
		[VERDICT_EGEO] = "A GeoIP database could not be read.",
	};

	if (err < 0 || (size_t)err >= sizeof(msg) / sizeof(msg[0]) ||
	    msg[err] == NULL)
		return "Unknown error.";
	return msg[err];
}
