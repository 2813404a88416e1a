/*
 * result.c - the public accessors of a verdict_result
 *
 *	verdict_result_new, verdict_result_free
 *	verdict_result_kind, _error, _would_block, _score, _elapsed_us,
 *	_profile, _asn, _ip, _cidr, _source, _reason, _reply, _country,
 *	_as_org, _zone_count, _zone, _explain_count, _explain
 *
 * The structure itself is the policy layer's (result.h), which fills it;
 * these functions only hand its fields out.  Texts nobody reads are not
 * made: the address, the network and the reply are formatted on the
 * first call that asks for them and kept in the result.
 *
 * Limits: a result is one per thread (the lazy texts write into it); the
 * pointers returned stay valid until the next check into the same result
 * or verdict_result_free.
 */
#include <stdlib.h>

#include "dnsbl.h"
#include "reply.h"
#include "result.h"

VERDICT_API verdict_result *
verdict_result_new(void)
{
	return calloc(1, sizeof(verdict_result));
}

VERDICT_API void
verdict_result_free(verdict_result *res)
{
	if (res == NULL)
		return;
	free(res->dns);
	free(res->explain);
	free(res);
}

VERDICT_API int verdict_result_kind(const verdict_result *r) { return r->kind; }
VERDICT_API int verdict_result_error(const verdict_result *r) { return r->err; }
VERDICT_API int verdict_result_would_block(const verdict_result *r)
{ return r->would_block; }
VERDICT_API int verdict_result_score(const verdict_result *r) { return r->score; }
VERDICT_API long verdict_result_elapsed_us(const verdict_result *r)
{ return r->elapsed_us; }
VERDICT_API int verdict_result_profile(const verdict_result *r)
{ return r->profile; }
VERDICT_API unsigned long verdict_result_asn(const verdict_result *r)
{ return r->asn; }

VERDICT_API const char *
verdict_result_ip(const verdict_result *r)
{
	return vd_result_ip_text((verdict_result *)r);
}

VERDICT_API int
verdict_result_source_kind(const verdict_result *r)
{
	return r->source_kind;
}

VERDICT_API const char *
verdict_result_cidr(const verdict_result *r)
{
	return vd_result_cidr_text((verdict_result *)r);
}

VERDICT_API const char *
verdict_result_source(const verdict_result *r)
{
	return r->source[0] ? r->source : NULL;
}

VERDICT_API const char *
verdict_result_reason(const verdict_result *r)
{
	return r->have_reason ? r->reason : NULL;
}

/* verdict_result_reply - rendered from the template on first call */
VERDICT_API const char *
verdict_result_reply(const verdict_result *r)
{
	verdict_result *w = (verdict_result *)r;	/* the lazy cache */

	if (w->reply_tmpl) {
		vd_reply_render(w->reply_tmpl, w, w->reply);
		w->reply_tmpl = NULL;
	}
	return r->reply[0] ? r->reply : NULL;
}

VERDICT_API const char *
verdict_result_country(const verdict_result *r)
{
	return r->country[0] ? r->country : NULL;
}

VERDICT_API const char *
verdict_result_as_org(const verdict_result *r)
{
	return r->as_org[0] ? r->as_org : NULL;
}

VERDICT_API size_t
verdict_result_zone_count(const verdict_result *r)
{
	return r->dns ? r->dns->nzones : 0;
}

/* verdict_result_zone - zone i's detail; its answer text made lazily */
VERDICT_API int
verdict_result_zone(const verdict_result *r, size_t i, const char **zone,
		    const char **answer, int *weight, long *ms)
{
	dnsbl_zone_detail *z;

	if (r->dns == NULL || i >= r->dns->nzones)
		return VERDICT_ENOENT;
	z = &r->dns->zones[i];
	if (zone)
		*zone = z->zone;
	if (answer)
		*answer = vd_dnsbl_check_zone_answer(z);
	if (weight)
		*weight = z->weight;
	if (ms)
		*ms = z->ms;
	return VERDICT_OK;
}

VERDICT_API size_t
verdict_result_explain_count(const verdict_result *r)
{
	return r->nexplain;
}

VERDICT_API const char *
verdict_result_explain(const verdict_result *r, size_t i)
{
	return i < r->nexplain ? r->explain[i] : NULL;
}
