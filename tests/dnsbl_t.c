/*
 * dnsbl_t.c - DNSBL grammar, evaluation, settledness and answer
 * classification (pure: no network)
 */
#include <arpa/nameser.h>
#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "testutil.h"

/* --- grammar --- */

static const struct {
	const char *label, *text;
	int ok;
	size_t nzones;
	const char *err;	/* substring of the error */
} parse_cases[] = {
	{ "empty", "", 1, 0, NULL },
	{ "blank", " ,\t, \n", 1, 0, NULL },
	{ "one", "zen.spamhaus.org", 1, 1, NULL },
	{ "postscreen readme", "zen.spamhaus.org*2 bl.spamcop.net*1 "
	  "b.barracudacentral.org*1", 1, 3, NULL },
	{ "commas and spaces", "a.example, b.example ,c.example", 1, 3, NULL },
	{ "filter range", "zen.spamhaus.org=127.0.0.[2..11]*3", 1, 1, NULL },
	{ "filter list", "bl.mailspike.net=127.0.0.[2;14;13;12;11;10]*2", 1, 1,
	  NULL },
	{ "repeated domain", "list.dnswl.org=127.0.[2..15].0*-2 "
	  "list.dnswl.org=127.0.[2..15].1*-3 "
	  "list.dnswl.org=127.0.[2..15].[2..3]*-4", 1, 1, NULL },
	{ "mask", "combined.example&0.0.0.4*2", 1, 1, NULL },
	{ "case folded", "ZEN.Spamhaus.org zen.spamhaus.ORG=127.0.0.4", 1, 1,
	  NULL },
	{ "bad octet", "zen.spamhaus.org=127.0.0.256", 0, 0,
	  "zen.spamhaus.org=127.0.0.256: filter field" },
	{ "three fields", "x.example=127.0.0", 0, 0, "four fields" },
	{ "five fields", "x.example=127.0.0.1.2", 0, 0, "more than four" },
	{ "reversed range", "x.example=127.0.0.[9..2]", 0, 0, "empty range" },
	{ "list spans fields", "x.example=127.0.[0.1]", 0, 0, "x.example=" },
	{ "number and list", "x.example=127.0.0.3[6..9]", 0, 0, "filter field" },
	{ "empty list", "x.example=127.0.0.[]", 0, 0, "empty [list]" },
	{ "empty member", "x.example=127.0.0.[2;]", 0, 0, "empty member" },
	{ "unterminated", "x.example=127.0.0.[2", 0, 0, "unterminated" },
	{ "empty filter", "x.example=*2", 0, 0, "empty filter" },
	{ "bad weight", "x.example*two", 0, 0, "x.example*two: weight" },
	{ "empty weight", "x.example*", 0, 0, "weight" },
	{ "weight plus", "x.example*+2", 0, 0, "weight" },
	{ "empty domain", "=127.0.0.2", 0, 0, "empty domain" },
	{ "double dot", "a..example", 0, 0, "empty label" },
	{ "bad char", "a.exa!mple", 0, 0, "bad character" },
	{ "zero mask", "x.example&0.0.0.0", 0, 0, "never matches" },
	{ "bad mask", "x.example&4", 0, 0, "bitmask" },
	{ "leading zero", "x.example=127.0.0.02", 0, 0, "filter field" },
};

START_TEST(test_parse)
{
	dnsbl_sites *s = NULL;
	char err[256];
	int rc;

	rc = vd_sites_parse(parse_cases[_i].text, NULL, &s, err,
			       sizeof(err));
	if (parse_cases[_i].ok) {
		ck_assert_msg(rc == VERDICT_OK, "%s: %s", parse_cases[_i].label,
			      err);
		ck_assert_uint_eq(vd_sites_nzones(s), parse_cases[_i].nzones);
	} else {
		ck_assert_msg(rc == VERDICT_ECONFIG, "%s: accepted",
			      parse_cases[_i].label);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(err, parse_cases[_i].err) != NULL,
			      "%s: error \"%s\" lacks \"%s\"",
			      parse_cases[_i].label, err, parse_cases[_i].err);
	}
	vd_sites_free(s);
}
END_TEST

START_TEST(test_too_many)
{
	char text[4096];
	size_t n = 0;
	dnsbl_sites *s;
	char err[256];
	int i;

	for (i = 0; i < 33; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "z%d.example ",
				      i);
	ck_assert_int_eq(vd_sites_parse(text, NULL, &s, err, sizeof(err)),
			 VERDICT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err, "more than 32"));
}
END_TEST

START_TEST(test_reply_names)
{
	config_pair pairs[] = {
		{ "KEY123.zen.dq.spamhaus.net", "zen.spamhaus.org" },
	};
	config_pairlist names = { 1, pairs };
	dnsbl_sites *s;
	char err[256];

	ck_assert_int_eq(vd_sites_parse("key123.zen.dq.spamhaus.net*2 "
					   "bl.spamcop.net", &names, &s, err,
					   sizeof(err)), VERDICT_OK);
	ck_assert_str_eq(vd_sites_domain(s, 0), "key123.zen.dq.spamhaus.net");
	ck_assert_str_eq(vd_sites_display(s, 0), "zen.spamhaus.org");
	ck_assert_str_eq(vd_sites_display(s, 1), "bl.spamcop.net");
	vd_sites_free(s);
}
END_TEST

/* --- weights --- */

static dnsbl_answer
listed(int n, const uint32_t *v)
{
	dnsbl_answer a;
	int i;

	memset(&a, 0, sizeof(a));
	a.kind = DNSBL_LISTED;
	for (i = 0; i < n; i++)
		a.addr[a.naddr++] = v[i];
	return a;
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const struct {
	const char *label, *sites;
	int naddr;
	uint32_t addr[3];
	int weight;	/* of domain 0 */
} weight_cases[] = {
	{ "any answer", "x.example*3", 1, { IP4(127, 0, 0, 2) }, 3 },
	{ "default weight 1", "x.example", 1, { IP4(127, 0, 0, 9) }, 1 },
	{ "filter hit", "x.example=127.0.0.4", 1, { IP4(127, 0, 0, 4) }, 1 },
	{ "filter miss", "x.example=127.0.0.4", 1, { IP4(127, 0, 0, 2) }, 0 },
	{ "range low edge", "zen.example=127.0.0.[2..11]*3", 1,
	  { IP4(127, 0, 0, 2) }, 3 },
	{ "range high edge", "zen.example=127.0.0.[2..11]*3", 1,
	  { IP4(127, 0, 0, 11) }, 3 },
	{ "range outside", "zen.example=127.0.0.[2..11]*3", 1,
	  { IP4(127, 0, 0, 30) }, 0 },
	{ "once however many match", "zen.example=127.0.0.[2..11]*3", 3,
	  { IP4(127, 0, 0, 2), IP4(127, 0, 0, 4), IP4(127, 0, 0, 10) }, 3 },
	{ "list member", "m.example=127.0.0.[2;14;13]*2", 1,
	  { IP4(127, 0, 0, 14) }, 2 },
	{ "list non-member", "m.example=127.0.0.[2;14;13]*2", 1,
	  { IP4(127, 0, 0, 3) }, 0 },
	{ "repeated entries add", "w.example=127.0.[2..15].[0..3]*-1 "
	  "w.example=127.0.[2..15].3*-4", 1, { IP4(127, 0, 5, 3) }, -5 },
	{ "repeated, one matches", "w.example=127.0.[2..15].0*-2 "
	  "w.example=127.0.[2..15].1*-3", 1, { IP4(127, 0, 5, 1) }, -3 },
	{ "each entry once across answers", "x.example=127.0.0.2 "
	  "x.example=127.0.0.4*2", 2, { IP4(127, 0, 0, 2), IP4(127, 0, 0, 4) },
	  3 },
	{ "mask hit", "c.example&0.0.0.4*2", 1, { IP4(127, 0, 0, 6) }, 2 },
	{ "mask miss", "c.example&0.0.0.4*2", 1, { IP4(127, 0, 0, 3) }, 0 },
};

START_TEST(test_weight)
{
	dnsbl_sites *s;
	dnsbl_answer a;
	char err[256];

	ck_assert_int_eq(vd_sites_parse(weight_cases[_i].sites, NULL, &s,
					   err, sizeof(err)), VERDICT_OK);
	a = listed(weight_cases[_i].naddr, weight_cases[_i].addr);
	ck_assert_msg(vd_sites_weight(s, 0, &a) == weight_cases[_i].weight,
		      "%s: weight %d, expected %d", weight_cases[_i].label,
		      vd_sites_weight(s, 0, &a), weight_cases[_i].weight);
	a.kind = DNSBL_NXDOMAIN;
	ck_assert_int_eq(vd_sites_weight(s, 0, &a), 0);
	vd_sites_free(s);
}
END_TEST

/* --- settledness --- */

static const struct {
	const char *label, *sites;
	int threshold, allow, score;
	const char *open;	/* '1' per open domain */
	int settled;
} settle_cases[] = {
	{ "nothing open", "a.x*2 b.x", 2, 0, 0, "00", 1 },
	{ "block reached, rest positive", "a.x*2 b.x", 2, 0, 2, "01", 1 },
	{ "could still reach", "a.x*2 b.x", 2, 0, 1, "01", 0 },
	{ "cannot reach", "a.x b.x", 3, 0, 0, "01", 1 },
	{ "open allowlist can pull below", "a.x*2 w.x*-5", 2, 0, 2, "01", 0 },
	{ "allow reached, rest negative", "w.x*-5 v.x*-1", 1, -3, -5, "01", 1 },
	{ "allow could be undone", "w.x*-5 a.x*3", 1, -3, -5, "01", 0 },
	{ "allow off ignores it", "w.x*-5 a.x*3", 10, 0, -5, "01", 1 },
	{ "open could reach allow", "w.x*-5 a.x", 1, -3, 0, "10", 0 },
	{ "threshold inclusive", "a.x*2 b.x*1", 3, 0, 2, "01", 0 },
	{ "postscreen example: com alone", "example.com*2 example.net "
	  "example.org", 2, 0, 2, "011", 1 },
	{ "postscreen example: net only", "example.com*2 example.net "
	  "example.org", 2, 0, 1, "101", 0 },
};

START_TEST(test_settled)
{
	dnsbl_sites *s;
	unsigned char open[DNSBL_ZONES_MAX];
	char err[256];
	size_t i;

	ck_assert_int_eq(vd_sites_parse(settle_cases[_i].sites, NULL, &s,
					   err, sizeof(err)), VERDICT_OK);
	for (i = 0; settle_cases[_i].open[i]; i++)
		open[i] = settle_cases[_i].open[i] == '1';
	ck_assert_msg(vd_sites_settled(s, settle_cases[_i].threshold,
				    settle_cases[_i].allow,
				    settle_cases[_i].score, open)
		      == settle_cases[_i].settled, "%s",
		      settle_cases[_i].label);
	vd_sites_free(s);
}
END_TEST

/* --- query names --- */

START_TEST(test_qname)
{
	vaddr a;
	char buf[256];

	memset(&a, 0, sizeof(a));
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = 192;
	a.b[13] = 0;
	a.b[14] = 2;
	a.b[15] = 99;
	ck_assert_int_eq(vd_sites_qname(&a, "zen.example", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "99.2.0.192.zen.example");
	/* RFC 5782 / Exim example */
	{
		static const uint8_t v6[16] = { 0x3f, 0xfe, 0xff, 0xff, 0x83,
			0x6f, 0x0a, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x20, 0x0a,
			0xc0, 0x31 };

		memcpy(a.b, v6, 16);
	}
	ck_assert_int_eq(vd_sites_qname(&a, "bl.example", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1.3.0.c.a.0.0.2.0.0.8.0.a.0.0.0.0.0.a.0.f.6.3.8."
			 "f.f.f.f.e.f.f.3.bl.example");
	ck_assert_int_eq(vd_sites_qname(&a, "bl.example", buf, 40), -1);
}
END_TEST

/* --- classification of raw replies --- */

/* pkt - a reply to "2.0.0.127.x.example" A: rcode, flags (0x8180 base),
 * n A records (ttl), a SOA in authority when soa_min > 0 */
static int
pkt(unsigned char *p, unsigned flags, int rcode, int n,
    const uint32_t *a, uint32_t ttl, uint32_t soa_ttl, uint32_t soa_min)
{
	static const char q[] = "\0012\0010\0010\003127\001x\007example";
	int len = 0, i;

	flags |= 0x8180 | (unsigned)rcode;
	p[len++] = 0x12;
	p[len++] = 0x34;
	p[len++] = (unsigned char)(flags >> 8);
	p[len++] = (unsigned char)flags;
	p[len++] = 0;
	p[len++] = 1;
	p[len++] = 0;
	p[len++] = (unsigned char)n;
	p[len++] = 0;
	p[len++] = soa_min ? 1 : 0;
	p[len++] = 0;
	p[len++] = 0;
	memcpy(p + len, q, sizeof(q));	/* includes the final 0 */
	len += (int)sizeof(q);
	p[len++] = 0;
	p[len++] = 1;	/* A */
	p[len++] = 0;
	p[len++] = 1;	/* IN */
	for (i = 0; i < n; i++) {
		p[len++] = 0xc0;
		p[len++] = 12;
		p[len++] = 0;
		p[len++] = 1;
		p[len++] = 0;
		p[len++] = 1;
		p[len++] = (unsigned char)(ttl >> 24);
		p[len++] = (unsigned char)(ttl >> 16);
		p[len++] = (unsigned char)(ttl >> 8);
		p[len++] = (unsigned char)ttl;
		p[len++] = 0;
		p[len++] = 4;
		p[len++] = (unsigned char)(a[i] >> 24);
		p[len++] = (unsigned char)(a[i] >> 16);
		p[len++] = (unsigned char)(a[i] >> 8);
		p[len++] = (unsigned char)a[i];
	}
	if (soa_min) {
		static const unsigned char soa_rd[] = {
			1, 'n', 0, 1, 'h', 0,
			0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4 };
		p[len++] = 0xc0;
		p[len++] = 24;	/* "x.example" inside the question */
		p[len++] = 0;
		p[len++] = 6;
		p[len++] = 0;
		p[len++] = 1;
		p[len++] = (unsigned char)(soa_ttl >> 24);
		p[len++] = (unsigned char)(soa_ttl >> 16);
		p[len++] = (unsigned char)(soa_ttl >> 8);
		p[len++] = (unsigned char)soa_ttl;
		p[len++] = 0;
		p[len++] = sizeof(soa_rd) + 4;
		memcpy(p + len, soa_rd, sizeof(soa_rd));
		len += (int)sizeof(soa_rd);
		p[len++] = (unsigned char)(soa_min >> 24);
		p[len++] = (unsigned char)(soa_min >> 16);
		p[len++] = (unsigned char)(soa_min >> 8);
		p[len++] = (unsigned char)soa_min;
	}
	return len;
}

static const struct {
	const char *label;
	int status, rcode, n;
	uint32_t a[3];
	unsigned flags;		/* header flags (0x0200 = TC) */
	int cut;		/* bytes removed from the end */
	int kind, naddr;
	unsigned ign;
	const char *text;
} cls_cases[] = {
	{ "listed", ARES_SUCCESS, 0, 1, { IP4(127, 0, 0, 2) }, 0, 0,
	  DNSBL_LISTED, 1, 0, "127.0.0.2" },
	{ "two codes", ARES_SUCCESS, 0, 2, { IP4(127, 0, 0, 2),
	  IP4(127, 0, 0, 4) }, 0, 0, DNSBL_LISTED, 2, 0,
	  "127.0.0.2,127.0.0.4" },
	{ "public resolver", ARES_SUCCESS, 0, 1, { IP4(127, 255, 255, 254) },
	  0, 0, DNSBL_IGNORED, 0, DNSBL_IGN_254,
	  "ignored 127.255.255.254 (query through a public resolver)" },
	{ "typo", ARES_SUCCESS, 0, 1, { IP4(127, 255, 255, 252) }, 0, 0,
	  DNSBL_IGNORED, 0, DNSBL_IGN_252, NULL },
	{ "excessive", ARES_SUCCESS, 0, 1, { IP4(127, 255, 255, 255) }, 0, 0,
	  DNSBL_IGNORED, 0, DNSBL_IGN_255, NULL },
	{ "dnswl blocked", ARES_SUCCESS, 0, 1, { IP4(127, 0, 0, 255) }, 0, 0,
	  DNSBL_IGNORED, 0, DNSBL_IGN_WL255, NULL },
	{ "outside 127/8", ARES_SUCCESS, 0, 1, { IP4(192, 0, 2, 1) }, 0, 0,
	  DNSBL_IGNORED, 0, DNSBL_IGN_OUTSIDE, NULL },
	{ "mixed keeps the listing", ARES_SUCCESS, 0, 2,
	  { IP4(127, 255, 255, 254), IP4(127, 0, 0, 4) }, 0, 0, DNSBL_LISTED,
	  1, DNSBL_IGN_254, "127.0.0.4" },
	{ "nodata", ARES_ENODATA, 0, 0, { 0 }, 0, 0, DNSBL_NXDOMAIN, 0, 0,
	  "NXDOMAIN" },
	{ "nxdomain", ARES_ENOTFOUND, 3, 0, { 0 }, 0, 0, DNSBL_NXDOMAIN, 0, 0,
	  "NXDOMAIN" },
	{ "truncated flag", ARES_SUCCESS, 0, 1, { IP4(127, 0, 0, 2) }, 0x0200,
	  0, DNSBL_BAD, 0, 0, "bad answer (truncated)" },
	{ "cut mid-record", ARES_SUCCESS, 0, 1, { IP4(127, 0, 0, 2) }, 0, 3,
	  DNSBL_BAD, 0, 0, "bad answer" },
	{ "servfail", ARES_ESERVFAIL, 2, 0, { 0 }, 0, 0, DNSBL_SERVFAIL, 0, 0,
	  "SERVFAIL" },
	{ "refused", ARES_EREFUSED, 5, 0, { 0 }, 0, 0, DNSBL_REFUSED, 0, 0,
	  "REFUSED" },
	{ "timeout", ARES_ETIMEOUT, 0, -1, { 0 }, 0, 0, DNSBL_TIMEOUT, 0, 0,
	  "timeout" },
	{ "badresp", ARES_EBADRESP, 0, -1, { 0 }, 0, 0, DNSBL_BAD, 0, 0,
	  "bad answer" },
};

START_TEST(test_classify)
{
	unsigned char p[512];
	dnsbl_answer a;
	char text[96];
	int len = 0;

	if (cls_cases[_i].n >= 0) {
		len = pkt(p, cls_cases[_i].flags, cls_cases[_i].rcode,
			  cls_cases[_i].n, cls_cases[_i].a, 300, 0, 0);
		len -= cls_cases[_i].cut;
	}
	vd_answer_classify(len ? p : NULL, len, cls_cases[_i].status, 0, &a);
	ck_assert_msg(a.kind == cls_cases[_i].kind, "%s: kind %d, expected %d",
		      cls_cases[_i].label, a.kind, cls_cases[_i].kind);
	ck_assert_int_eq(a.naddr, cls_cases[_i].naddr);
	ck_assert_uint_eq(a.flags, cls_cases[_i].ign);
	vd_answer_text(&a, text, sizeof(text));
	if (cls_cases[_i].text)
		ck_assert_str_eq(text, cls_cases[_i].text);
}
END_TEST

/* what is never a listing: each A record by itself */
static const struct {
	const char *label;
	uint32_t v;
	unsigned flag;
} never_cases[] = {
	{ "listing 127.0.0.2", 0x7f000002u, 0 },
	{ "listing 127.0.10.0", 0x7f000a00u, 0 },
	{ "listing 127.255.254.255", 0x7ffefeffu, 0 },
	{ "outside 126.255.255.255", 0x7effffffu, DNSBL_IGN_OUTSIDE },
	{ "outside 192.0.2.1", 0xc0000201u, DNSBL_IGN_OUTSIDE },
	{ "typo 127.255.255.252", 0x7ffffffcu, DNSBL_IGN_252 },
	{ "public resolver 127.255.255.254", 0x7ffffffeu, DNSBL_IGN_254 },
	{ "excessive 127.255.255.255", 0x7fffffffu, DNSBL_IGN_255 },
	{ "operator code 127.255.255.0", 0x7fffff00u, DNSBL_IGN_OTHER },
	{ "DNSWL blocked 127.0.0.255", 0x7f0000ffu, DNSBL_IGN_WL255 },
};

START_TEST(test_never_listing)
{
	ck_assert_msg(vd_answer_ignored_flag(never_cases[_i].v)
		      == never_cases[_i].flag, "%s: flag %#x",
		      never_cases[_i].label,
		      vd_answer_ignored_flag(never_cases[_i].v));
}
END_TEST

START_TEST(test_ttls)
{
	unsigned char p[512];
	uint32_t code = IP4(127, 0, 0, 2);
	dnsbl_answer a;
	int len;

	len = pkt(p, 0, 0, 1, &code, 1234, 0, 0);
	vd_answer_classify(p, len, ARES_SUCCESS, 0, &a);
	ck_assert_uint_eq(a.ttl, 1234);
	/* RFC 2308: min(SOA TTL, MINIMUM) */
	len = pkt(p, 0, 3, 0, NULL, 0, 900, 300);
	vd_answer_classify(p, len, ARES_ENOTFOUND, 0, &a);
	ck_assert_int_eq(a.kind, DNSBL_NXDOMAIN);
	ck_assert_uint_eq(a.ttl, 300);
	len = pkt(p, 0, 3, 0, NULL, 0, 120, 300);
	vd_answer_classify(p, len, ARES_ENOTFOUND, 0, &a);
	ck_assert_uint_eq(a.ttl, 120);
}
END_TEST

/* every prefix and every byte flipped: no crash, never a listing from a
 * packet whose answer section does not hold a 127/8 code */
START_TEST(test_classify_garbage)
{
	unsigned char p[512], q[512];
	uint32_t code = IP4(10, 0, 0, 2);
	dnsbl_answer a;
	int len, i, b;

	len = pkt(p, 0, 0, 1, &code, 60, 0, 0);
	for (i = 0; i <= len; i++) {
		memcpy(q, p, (size_t)len);
		vd_answer_classify(q, i, ARES_SUCCESS, 0, &a);
		ck_assert_int_ne(a.kind, DNSBL_LISTED);
		vd_answer_classify(q, i, ARES_SUCCESS, 1, &a);
		vd_answer_classify(q, i, ARES_ENOTFOUND, 0, &a);
	}
	for (i = 0; i < len; i++)
		for (b = 0; b < 8; b++) {
			memcpy(q, p, (size_t)len);
			q[i] ^= (unsigned char)(1u << b);
			vd_answer_classify(q, len, ARES_SUCCESS, 0, &a);
			ck_assert(a.kind != DNSBL_LISTED
				  || (a.addr[0] >> 24) == 127);
			vd_answer_classify(q, len, ARES_ENOTFOUND, 0, &a);
		}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsbl");
	TCase *tc = tcase_create("pure");

	tcase_add_loop_test(tc, test_parse, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_too_many);
	tcase_add_test(tc, test_reply_names);
	tcase_add_loop_test(tc, test_weight, 0,
			    sizeof(weight_cases) / sizeof(weight_cases[0]));
	tcase_add_loop_test(tc, test_settled, 0,
			    sizeof(settle_cases) / sizeof(settle_cases[0]));
	tcase_add_test(tc, test_qname);
	tcase_add_loop_test(tc, test_classify, 0,
			    sizeof(cls_cases) / sizeof(cls_cases[0]));
	tcase_add_loop_test(tc, test_never_listing, 0,
			    sizeof(never_cases) / sizeof(never_cases[0]));
	tcase_add_test(tc, test_ttls);
	tcase_add_test(tc, test_classify_garbage);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
