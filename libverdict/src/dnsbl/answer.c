/*
 * answer.c - what a DNSBL reply means
 *
 *	vd_answer_classify		raw DNS reply -> listed / not listed / unknown
 *	vd_answer_ignored_flag		is an A record an error code, not a listing?
 *	vd_answer_ignored_meaning	what an error code says, in words
 *	vd_answer_text			an answer in words, cut cleanly
 *	vd_answer_ip4_text		a listing code as a dotted quad
 *
 * Never a listing: an answer outside 127.0.0.0/8, the list operators'
 * error codes 127.255.255.0/24 (Spamhaus: .252 typo in the zone name,
 * .254 query through a public resolver, .255 too many queries) and
 * DNSWL's 127.0.0.255 (queries blocked).  Counting one of those as a
 * listing has made sites reject all their mail, so they are set aside
 * here, in one place, before any weight is looked at; the caller logs
 * them.  Three answers, never two: NXDOMAIN (and NODATA) is not listed,
 * timeout, SERVFAIL, REFUSED and malformed or truncated replies are
 * unknown and never add a weight.
 *
 * The negative TTL of NXDOMAIN is taken from the SOA of the authority
 * section (RFC 2308), so "not listed" is cached as long as the zone says.
 *
 * Diagnostics: none; classification is pure so that the fuzz target can
 * call it on any bytes.
 *
 * Limits: at most DNSBL_ADDR_MAX listing codes and 4 ignored codes of an
 * answer are kept; a TXT answer keeps the first record's strings, up to
 * DNSBL_TXT_MAX printable characters (others become '?'); names are
 * followed through at most 128 labels or pointers.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "str.h"

/* skip_name - offset after the (possibly compressed) name at off, or -1 */
static int
skip_name(const unsigned char *p, int len, int off)
{
	int n = 0;

	while (off < len && n++ < 128) {
		unsigned c = p[off];

		if (c == 0)
			return off + 1;
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : -1;
		if (c & 0xc0)
			return -1;
		off += 1 + (int)c;
	}
	return -1;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16
	       | (uint32_t)p[2] << 8 | p[3];
}

/*
 * negative_ttl - RFC 2308: min(SOA TTL, SOA MINIMUM) of the SOA in the
 * authority section, or 0 when there is none (the caller clamps).
 */
static uint32_t
negative_ttl(const unsigned char *p, int len)
{
	int off = 12, i, rdlen;
	unsigned qd, an, ns;

	if (len < 12)
		return 0;
	qd = get16(p + 4);
	an = get16(p + 6);
	ns = get16(p + 8);
	for (i = 0; i < (int)qd; i++) {
		if ((off = skip_name(p, len, off)) < 0 || off + 4 > len)
			return 0;
		off += 4;
	}
	for (i = 0; i < (int)(an + ns); i++) {
		if ((off = skip_name(p, len, off)) < 0 || off + 10 > len)
			return 0;
		rdlen = (int)get16(p + off + 8);
		if (i >= (int)an && get16(p + off) == ns_t_soa) {
			uint32_t ttl = get32(p + off + 4), min;
			int r = off + 10, end = r + rdlen;

			if (end > len || (r = skip_name(p, end, r)) < 0
			    || (r = skip_name(p, end, r)) < 0 || r + 20 > end)
				return 0;
			min = get32(p + r + 16);
			return ttl < min ? ttl : min;
		}
		off += 10 + rdlen;
		if (off > len)
			return 0;
	}
	return 0;
}

/* vd_answer_ignored_flag - the DNSBL_IGN_* kind of an A record, 0 for
 * a listing code */
unsigned
vd_answer_ignored_flag(uint32_t v)
{
	if (v >> 24 != 127)
		return DNSBL_IGN_OUTSIDE;
	if ((v & 0xffffff00u) == 0x7fffff00u)
		return (v & 0xff) == 252 ? DNSBL_IGN_252
		     : (v & 0xff) == 254 ? DNSBL_IGN_254
		     : (v & 0xff) == 255 ? DNSBL_IGN_255 : DNSBL_IGN_OTHER;
	if (v == 0x7f0000ffu)
		return DNSBL_IGN_WL255;
	return 0;
}

/* add_code - sort one A record into listing codes or ignored answers */
static void
add_code(dnsbl_answer *out, uint32_t v)
{
	unsigned flag = vd_answer_ignored_flag(v);

	if (flag) {
		out->flags |= flag;
		if (out->nignored < 4)
			out->ignored[out->nignored++] = v;
		return;
	}
	if (out->naddr < DNSBL_ADDR_MAX)
		out->addr[out->naddr++] = v;
}

static void
parse_txt(const unsigned char *abuf, int alen, dnsbl_answer *out)
{
	struct ares_txt_ext *txt = NULL, *t;
	size_t n = 0, i;
	int st;

	st = ares_parse_txt_reply_ext(abuf, alen, &txt);
	if (st == ARES_ENODATA) {
		out->kind = DNSBL_NXDOMAIN;
		return;
	}
	if (st != ARES_SUCCESS) {
		out->kind = DNSBL_BAD;
		return;
	}
	/* the strings of the first record, printable ASCII only */
	for (t = txt; t && n < DNSBL_TXT_MAX; t = t->next) {
		if (t != txt && t->record_start)
			break;
		for (i = 0; i < t->length && n < DNSBL_TXT_MAX; i++) {
			unsigned char c = t->txt[i];

			out->txt[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
	}
	out->txt[n] = 0;
	out->kind = DNSBL_LISTED;
	ares_free_data(txt);
}

/* vd_answer_classify - raw reply -> classified answer */
void
vd_answer_classify(const unsigned char *abuf, int alen, int status,
		   int want_txt, dnsbl_answer *out)
{
	struct ares_addrttl at[DNSBL_ADDR_MAX + 4];
	int nat = DNSBL_ADDR_MAX + 4, i, st;
	uint32_t ttl = UINT32_MAX;

	memset(out, 0, sizeof(*out));
	if (abuf == NULL || alen < 0)
		alen = 0;
	if (alen >= 12 && (abuf[2] & 0x02))
		out->truncated = 1;
	switch (status) {
	case ARES_SUCCESS:
		break;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		out->kind = out->truncated ? DNSBL_BAD : DNSBL_NXDOMAIN;
		if (alen)
			out->ttl = negative_ttl(abuf, alen);
		return;
	case ARES_ETIMEOUT:
		out->kind = DNSBL_TIMEOUT;
		return;
	case ARES_ESERVFAIL:
		out->kind = DNSBL_SERVFAIL;
		return;
	case ARES_EREFUSED:
		out->kind = DNSBL_REFUSED;
		return;
	case ARES_EBADRESP:
	case ARES_EFORMERR:
		out->kind = DNSBL_BAD;
		return;
	default:
		out->kind = DNSBL_ERROR;
		return;
	}
	if (out->truncated || alen < 12) {
		out->kind = DNSBL_BAD;
		return;
	}
	if (want_txt) {
		parse_txt(abuf, alen, out);
		return;
	}
	st = ares_parse_a_reply(abuf, alen, NULL, at, &nat);
	if (st == ARES_ENODATA) {
		out->kind = DNSBL_NXDOMAIN;
		out->ttl = negative_ttl(abuf, alen);
		return;
	}
	if (st != ARES_SUCCESS || nat <= 0) {
		out->kind = DNSBL_BAD;
		return;
	}
	for (i = 0; i < nat; i++) {
		add_code(out, ntohl(at[i].ipaddr.s_addr));
		if (at[i].ttl >= 0 && (uint32_t)at[i].ttl < ttl)
			ttl = (uint32_t)at[i].ttl;
	}
	out->ttl = ttl == UINT32_MAX ? 0 : ttl;
	out->kind = out->naddr ? DNSBL_LISTED : DNSBL_IGNORED;
}

/* vd_answer_ignored_meaning - an error code in words */
const char *
vd_answer_ignored_meaning(unsigned flag)
{
	switch (flag) {
	case DNSBL_IGN_OUTSIDE:
		return "answer outside 127.0.0.0/8";
	case DNSBL_IGN_252:
		return "typo in the zone name";
	case DNSBL_IGN_254:
		return "query through a public resolver";
	case DNSBL_IGN_255:
		return "excessive number of queries";
	case DNSBL_IGN_OTHER:
		return "list operator error code";
	case DNSBL_IGN_WL255:
		return "DNSWL: queries blocked";
	}
	return "not a listing";
}

/* vd_answer_ip4_text - dotted quad, host order in */
void
vd_answer_ip4_text(uint32_t v, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff,
		 (v >> 8) & 0xff, v & 0xff);
}

/* append - add text at *n within size, cutting cleanly; -1 when cut */
static int
append(char *buf, size_t size, size_t *n, const char *text)
{
	size_t len = strlen(text);

	if (*n + len + 1 > size) {
		buf[*n] = 0;
		return -1;
	}
	memcpy(buf + *n, text, len + 1);
	*n += len;
	return 0;
}

/* vd_answer_text - an answer in words, cut after a whole address */
void
vd_answer_text(const dnsbl_answer *a, char *buf, size_t size)
{
	char ip[16], tmp[96];
	size_t n = 0;
	int i;

	if (size == 0)
		return;
	buf[0] = 0;
	switch (a->kind) {
	case DNSBL_PENDING:
		vd_str_lcpy(buf, "pending", size);
		return;
	case DNSBL_NXDOMAIN:
		vd_str_lcpy(buf, "NXDOMAIN", size);
		return;
	case DNSBL_TIMEOUT:
		vd_str_lcpy(buf, "timeout", size);
		return;
	case DNSBL_SERVFAIL:
		vd_str_lcpy(buf, "SERVFAIL", size);
		return;
	case DNSBL_REFUSED:
		vd_str_lcpy(buf, "REFUSED", size);
		return;
	case DNSBL_BAD:
		vd_str_lcpy(buf, a->truncated ? "bad answer (truncated)"
			     : "bad answer", size);
		return;
	case DNSBL_ERROR:
		vd_str_lcpy(buf, "resolver error", size);
		return;
	case DNSBL_IGNORED: {
		uint32_t v = a->nignored ? a->ignored[0] : 0;
		unsigned f;

		for (f = 1; f <= DNSBL_IGN_WL255 && !(a->flags & f); f <<= 1)
			;
		vd_answer_ip4_text(v, ip, sizeof(ip));
		snprintf(tmp, sizeof(tmp), "ignored %s (%s)", ip,
			 vd_answer_ignored_meaning(f));
		vd_str_lcpy(buf, tmp, size);
		return;
	}
	}
	if (a->txt[0]) {
		vd_str_lcpy(buf, a->txt, size);
		return;
	}
	for (i = 0; i < a->naddr; i++) {
		vd_answer_ip4_text(a->addr[i], ip, sizeof(ip));
		if ((i && append(buf, size, &n, ",") < 0)
		    || append(buf, size, &n, ip) < 0) {
			/* cut after the last whole address */
			if (n && buf[n - 1] == ',')
				buf[n - 1] = 0;
			return;
		}
	}
}
