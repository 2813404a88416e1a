/*
 * cidr.c - networks as values for front ends that read CIDR lists
 *
 *	verdict_cidr_parse	text -> network (host bits cleared)
 *	verdict_cidr_cmp	the order of a feed: address, then length
 *	verdict_cidr_format	network -> canonical text
 *
 * A front end that compares feeds (verdict feed --diff) needs the
 * library's one parser and one canonical form, not a second copy that
 * could drift from what the tables accept; these wrap core/addr.h.
 *
 * Diagnostics: verdict_cidr_parse records the detail of a refusal for
 * verdict_errdetail().
 *
 * Limits: verdict_cidr is a plain value of the 16-byte key space (IPv4
 * as ::ffff:a.b.c.d, an IPv4 /n as /(96+n)); its layout is public.
 */
#include <string.h>

#include "cidr.h"
#include "addr.h"
#include "errors.h"
#include "str.h"
#include "verdict.h"

_Static_assert(VERDICT_CIDR_TEXT_MAX >= CIDR_TEXT_MAX,
	       "VERDICT_CIDR_TEXT_MAX holds any CIDR text");

static void
cidr_in(const verdict_cidr *c, vcidr *v)
{
	memcpy(v->net.b, c->net, sizeof(v->net.b));
	v->plen = c->plen;
}

int
verdict_cidr_parse(const char *text, size_t len, verdict_cidr *out)
{
	vcidr v;
	int r;

	if (text == NULL || out == NULL)
		return vd_err_set(VERDICT_EINVAL, 0, "no CIDR");
	if ((r = vd_cidr_parse(text, len, &v)) == CIDR_BAD)
		return vd_err_set(VERDICT_EINVAL, 0, "not a CIDR: %.*s",
				   (int)(len > 60 ? 60 : len), text);
	memcpy(out->net, v.net.b, sizeof(out->net));
	out->plen = v.plen;
	if (r == CIDR_HOSTBITS)
		return vd_err_set(VERDICT_ERANGE, 0, "host bits set in %.*s",
				   (int)(len > 60 ? 60 : len), text);
	return VERDICT_OK;
}

int
verdict_cidr_cmp(const verdict_cidr *a, const verdict_cidr *b)
{
	vcidr x, y;

	cidr_in(a, &x);
	cidr_in(b, &y);
	return vd_cidr_cmp(&x, &y);
}

size_t
verdict_cidr_format(const verdict_cidr *c, char *buf, size_t len)
{
	char text[CIDR_TEXT_MAX];
	vcidr v;

	cidr_in(c, &v);
	vd_cidr_format(&v, text);
	return vd_str_lcpy(buf, text, len);
}
