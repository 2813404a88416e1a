/*
 * dnsbl.c - DNSBL/DNSWL engine
 *
 *	dnsbl_sites_parse	compile postscreen's dnsbl_sites grammar
 *	dnsbl_sites_free	free compiled sites
 *	dnsbl_classify		raw DNS reply -> listed / not listed / unknown
 *	dnsbl_domain_weight	weight a domain's entries add for an answer
 *	dnsbl_settled		can an open answer still cross a threshold?
 *	dnsbl_qname		RFC 5782 query name (IPv4 octets, IPv6 nibbles)
 *	dnsbl_engine_new/free	resolver thread + cache + in-flight table
 *	dnsbl_check		one weighted check under one deadline
 *	dnsbl_doctor		RFC 5782 self-test on demand
 *	dnsbl_get_stats		counters since the engine started
 *
 * Semantics follow Postfix postscreen: a site adds its weight once however
 * many of its A records match; the same domain may appear several times
 * (each entry counts on its own) but is queried once.  Beyond postscreen:
 * a bitmask filter (domain&0.0.0.4), answers that are operator error
 * codes (127.255.255.0/24, DNSWL's 127.0.0.255) or outside 127.0.0.0/8
 * never count and are logged once per minute per zone, and the RFC 5782
 * self-test ignores a zone that lists 127.0.0.1 ("wild").
 *
 * Concurrency: every query is a "flight" keyed by (zone, qtype, IP, test)
 * in one table under e->mu; a check that needs an answer already in
 * flight attaches to it (reference count) instead of asking again, so N
 * threads asking one IP cost one query per zone.  The resolver thread
 * completes flights and signals the attached checks' condition variables;
 * a check waits on its own condition variable until its outcome is
 * settled or its deadline passes.  Cached answers are read without e->mu.
 *
 * Diagnostics: dnsbl_sites_parse errors are "offending text: what".
 * Warnings go through vd_log, rate-limited per zone and kind.
 *
 * Limits: DNSBL_ZONES_MAX domains and DNSBL_ENTRIES_MAX entries a profile;
 * at most DNSBL_ADDR_MAX A records of an answer are kept.  The cache key
 * is the domain, so two profiles sharing a domain share its answers; each
 * profile applies its own TTL clamp when reading them.  Self-test results
 * live in the process only.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cache.h"
#include "dnsbl.h"
#include "resolv.h"

/* is_v4 - IPv4-mapped (::ffff:0:0/96); local until addr.c is merged */
static int
is_v4(const vaddr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff };

	return memcmp(a->b, pfx, 12) == 0;
}

/* --- compiled sites -------------------------------------------------- */

enum { ENT_ANY = 0, ENT_FILTER = 1, ENT_MASK = 2 };

typedef struct dnsbl_entry {
	int dom;			/* index into dom[] */
	int kind;			/* ENT_* */
	uint8_t bits[4][32];		/* ENT_FILTER: allowed octet values */
	uint32_t mask;			/* ENT_MASK */
	int weight;
} dnsbl_entry;

typedef struct dnsbl_dom {
	char name[DNSBL_DOMAIN_MAX + 1];	/* lower case */
	char display[128];
	int posw, negw;			/* sums of positive/negative weights */
} dnsbl_dom;

struct dnsbl_sites {
	size_t ndom;
	dnsbl_dom dom[DNSBL_ZONES_MAX];
	size_t nent;
	dnsbl_entry ent[DNSBL_ENTRIES_MAX];
};

static int
is_sep(int c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* parse_octet - strict decimal 0..255 */
static int
parse_octet(const char *s, size_t len, unsigned *out)
{
	long v;

	if (util_parse_long(s, len, 0, 255, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* parse_field - one filter field: a number or "[a..b;c;...]" */
static const char *
parse_field(const char *s, size_t len, uint8_t bits[32])
{
	unsigned lo, hi;
	size_t i, j, k;

	memset(bits, 0, 32);
	if (len == 0)
		return "empty filter field";
	if (s[0] != '[') {
		if (parse_octet(s, len, &lo) < 0)
			return "filter field is not a number 0..255 or a [list]";
		bits[lo >> 3] |= 1u << (lo & 7);
		return NULL;
	}
	if (s[len - 1] != ']')
		return "unterminated [list] in filter";
	for (i = 1; i < len - 1; i = j + 1) {
		for (j = i; j < len - 1 && s[j] != ';'; j++)
			if (s[j] == '[' || s[j] == ']')
				return "nested brackets in filter";
		/* member s[i..j) */
		for (k = i; k + 1 < j && !(s[k] == '.' && s[k + 1] == '.'); k++)
			;
		if (k + 1 < j) {
			if (parse_octet(s + i, k - i, &lo) < 0
			    || parse_octet(s + k + 2, j - k - 2, &hi) < 0)
				return "bad range in [list] (octets 0..255)";
			if (lo > hi)
				return "empty range in [list] (a..b needs a <= b)";
		} else {
			if (parse_octet(s + i, j - i, &lo) < 0)
				return "bad member in [list] (octets 0..255)";
			hi = lo;
		}
		for (; lo <= hi; lo++)
			bits[lo >> 3] |= 1u << (lo & 7);
	}
	if (len == 2)
		return "empty [list] in filter";
	if (s[len - 2] == ';')
		return "empty member in [list]";
	return NULL;
}

/* parse_filter - four fields separated by dots outside brackets */
static const char *
parse_filter(const char *s, size_t len, dnsbl_entry *e)
{
	size_t i, start = 0;
	int f = 0, depth = 0;
	const char *why;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] == '[')
			depth++;
		else if (i < len && s[i] == ']')
			depth--;
		if (i < len && (s[i] != '.' || depth > 0))
			continue;
		/* a ".." range inside brackets is skipped above */
		if (f == 4)
			return "filter has more than four fields";
		if ((why = parse_field(s + start, i - start, e->bits[f])) != NULL)
			return why;
		f++;
		start = i + 1;
	}
	if (depth != 0)
		return "unbalanced brackets in filter";
	if (f != 4)
		return "filter needs four fields a.b.c.d";
	return NULL;
}

/* parse_mask - a.b.c.d, non-zero */
static const char *
parse_mask(const char *s, size_t len, uint32_t *mask)
{
	size_t i, start = 0;
	unsigned o;
	int f = 0;

	*mask = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (f == 4 || parse_octet(s + start, i - start, &o) < 0)
			return "bitmask must be a.b.c.d with octets 0..255";
		*mask = *mask << 8 | o;
		f++;
		start = i + 1;
	}
	if (f != 4)
		return "bitmask must be a.b.c.d with octets 0..255";
	if (*mask == 0)
		return "bitmask 0.0.0.0 never matches";
	return NULL;
}

/* check_domain - DNS labels of letters, digits, '-' and '_' */
static const char *
check_domain(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0)
		return "empty domain";
	if (len > DNSBL_DOMAIN_MAX)
		return "domain longer than 189 characters";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return "empty label in domain";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		      || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return "bad character in domain (or a missing '=' "
			       "or '*')";
		if (++label > 63)
			return "domain label longer than 63 characters";
	}
	if (label == 0)
		return "domain ends with a dot";
	return NULL;
}

static void
set_err(char *err, size_t errlen, const char *tok, size_t toklen,
	const char *why)
{
	if (errlen)
		snprintf(err, errlen, "%.*s: %s",
			 (int)(toklen > 200 ? 200 : toklen), tok, why);
}

/* parse_site - one "domain[=filter|&mask][*weight]" token */
static const char *
parse_site(dnsbl_sites *s, const char *tok, size_t len,
	   const config_pairlist *names)
{
	size_t dlen, i, d;
	const char *p, *end = tok + len, *star, *why;
	dnsbl_entry *e;
	long w = 1;

	for (dlen = 0; dlen < len && tok[dlen] != '=' && tok[dlen] != '&'
	     && tok[dlen] != '*'; dlen++)
		;
	if ((why = check_domain(tok, dlen)) != NULL)
		return why;
	if (s->nent == DNSBL_ENTRIES_MAX)
		return "more than 128 dnsbl_sites entries";
	e = &s->ent[s->nent];
	memset(e, 0, sizeof(*e));
	p = tok + dlen;
	star = memchr(p, '*', (size_t)(end - p));
	if (star == NULL)
		star = end;
	if (p < star && *p == '=') {
		if (star - p == 1)
			return "empty filter after '='";
		if ((why = parse_filter(p + 1, (size_t)(star - p - 1), e)) != NULL)
			return why;
		e->kind = ENT_FILTER;
	} else if (p < star && *p == '&') {
		if ((why = parse_mask(p + 1, (size_t)(star - p - 1),
				      &e->mask)) != NULL)
			return why;
		e->kind = ENT_MASK;
	} else if (p < star) {
		return "expected '=', '&' or '*' after the domain";
	}
	if (star < end) {
		if (util_parse_long(star + 1, (size_t)(end - star - 1),
				    -DNSBL_WEIGHT_MAX, DNSBL_WEIGHT_MAX, &w) < 0)
			return "weight after '*' must be an integer "
			       "-1000000..1000000";
	}
	e->weight = (int)w;
	/* the domain: find or add */
	for (d = 0; d < s->ndom; d++)
		if (strlen(s->dom[d].name) == dlen
		    && strncasecmp(s->dom[d].name, tok, dlen) == 0)
			break;
	if (d == s->ndom) {
		dnsbl_dom *dm;

		if (s->ndom == DNSBL_ZONES_MAX)
			return "more than 32 distinct dnsbl_sites domains";
		dm = &s->dom[s->ndom++];
		for (i = 0; i < dlen; i++) {
			char c = tok[i];

			dm->name[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
		}
		dm->name[dlen] = 0;
		util_strlcpy(dm->display, dm->name, sizeof(dm->display));
		for (i = 0; names && i < names->n; i++) {
			const char *n = names->v[i].name;
			size_t nl = strlen(n);

			if (nl && n[nl - 1] == '.')
				nl--;
			if (nl == dlen && strncasecmp(n, dm->name, dlen) == 0) {
				util_strlcpy(dm->display, names->v[i].value,
					     sizeof(dm->display));
				break;
			}
		}
	}
	e->dom = (int)d;
	if (e->weight > 0)
		s->dom[d].posw += e->weight;
	else
		s->dom[d].negw += e->weight;
	s->nent++;
	return NULL;
}

int
dnsbl_sites_parse(const char *text, const config_pairlist *reply_names,
		  dnsbl_sites **out, char *err, size_t errlen)
{
	dnsbl_sites *s;
	const char *p, *q, *why;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_err(err, errlen, "dnsbl_sites", 11, "out of memory");
		return VERDICT_ENOMEM;
	}
	for (p = text ? text : ""; *p; p = q) {
		while (*p && is_sep((unsigned char)*p))
			p++;
		if (*p == 0)
			break;
		for (q = p; *q && !is_sep((unsigned char)*q); q++)
			;
		if ((why = parse_site(s, p, (size_t)(q - p), reply_names))
		    != NULL) {
			set_err(err, errlen, p, (size_t)(q - p), why);
			free(s);
			return VERDICT_ECONFIG;
		}
	}
	*out = s;
	return VERDICT_OK;
}

void
dnsbl_sites_free(dnsbl_sites *s)
{
	free(s);
}

size_t
dnsbl_sites_nzones(const dnsbl_sites *s)
{
	return s ? s->ndom : 0;
}

const char *
dnsbl_sites_domain(const dnsbl_sites *s, size_t i)
{
	return i < s->ndom ? s->dom[i].name : NULL;
}

const char *
dnsbl_sites_display(const dnsbl_sites *s, size_t i)
{
	return i < s->ndom ? s->dom[i].display : NULL;
}

/* --- evaluation ------------------------------------------------------ */

/* entry_match - does entry e match any of the answer's listing codes? */
static int
entry_match(const dnsbl_entry *e, const dnsbl_answer *a)
{
	int i, f;

	for (i = 0; i < a->naddr; i++) {
		uint32_t v = a->addr[i];

		switch (e->kind) {
		case ENT_ANY:
			return 1;
		case ENT_MASK:
			if (v & e->mask)
				return 1;
			break;
		default:
			for (f = 0; f < 4; f++) {
				unsigned o = (v >> (24 - 8 * f)) & 0xff;

				if (!(e->bits[f][o >> 3] & (1u << (o & 7))))
					break;
			}
			if (f == 4)
				return 1;
		}
	}
	return 0;
}

int
dnsbl_domain_weight(const dnsbl_sites *s, size_t d, const dnsbl_answer *a)
{
	size_t i;
	int w = 0;

	if (a->kind != DNSBL_LISTED)
		return 0;
	for (i = 0; i < s->nent; i++)
		if ((size_t)s->ent[i].dom == d && entry_match(&s->ent[i], a))
			w += s->ent[i].weight;
	return w;
}

/*
 * dnsbl_settled - the score can still move within [lo, hi]: the block
 * outcome is known when lo >= threshold or hi < threshold; the allow
 * outcome (when enabled) when hi <= allow or lo > allow.
 */
int
dnsbl_settled(const dnsbl_sites *s, int threshold, int allow_threshold,
	      int score, const unsigned char *open)
{
	long lo = score, hi = score;
	size_t d;

	for (d = 0; d < s->ndom; d++) {
		if (!open[d])
			continue;
		lo += s->dom[d].negw;
		hi += s->dom[d].posw;
	}
	if (!(lo >= threshold || hi < threshold))
		return 0;
	if (allow_threshold < 0 && !(hi <= allow_threshold
				     || lo > allow_threshold))
		return 0;
	return 1;
}

int
dnsbl_qname(const vaddr *ip, const char *domain, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[80];
	size_t n = 0;
	int i, r;

	if (is_v4(ip)) {
		r = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", ip->b[15],
			     ip->b[14], ip->b[13], ip->b[12]);
		n = (size_t)r;
	} else {
		for (i = 15; i >= 0; i--) {
			tmp[n++] = hex[ip->b[i] & 0xf];
			tmp[n++] = '.';
			tmp[n++] = hex[ip->b[i] >> 4];
			tmp[n++] = i ? '.' : 0;
		}
		n--;
	}
	r = snprintf(buf, size, "%.*s.%s", (int)n, tmp, domain);
	if (r < 0 || (size_t)r >= size || r > 253)
		return -1;
	return 0;
}

/* --- answers --------------------------------------------------------- */

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

/* add_code - sort one A record into listing codes or ignored answers */
static void
add_code(dnsbl_answer *out, uint32_t v)
{
	unsigned flag = 0;

	if (v >> 24 != 127)
		flag = DNSBL_IGN_OUTSIDE;
	else if ((v & 0xffffff00u) == 0x7fffff00u)
		flag = (v & 0xff) == 252 ? DNSBL_IGN_252
		     : (v & 0xff) == 254 ? DNSBL_IGN_254
		     : (v & 0xff) == 255 ? DNSBL_IGN_255 : DNSBL_IGN_OTHER;
	else if (v == 0x7f0000ffu)
		flag = DNSBL_IGN_WL255;
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

void
dnsbl_classify(const unsigned char *abuf, int alen, int status,
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

const char *
dnsbl_ignored_meaning(unsigned flag)
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

static void
ip4_text(uint32_t v, char *buf, size_t size)
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

void
dnsbl_answer_text(const dnsbl_answer *a, char *buf, size_t size)
{
	char ip[16], tmp[96];
	size_t n = 0;
	int i;

	if (size == 0)
		return;
	buf[0] = 0;
	switch (a->kind) {
	case DNSBL_PENDING:
		util_strlcpy(buf, "pending", size);
		return;
	case DNSBL_NXDOMAIN:
		util_strlcpy(buf, "NXDOMAIN", size);
		return;
	case DNSBL_TIMEOUT:
		util_strlcpy(buf, "timeout", size);
		return;
	case DNSBL_SERVFAIL:
		util_strlcpy(buf, "SERVFAIL", size);
		return;
	case DNSBL_REFUSED:
		util_strlcpy(buf, "REFUSED", size);
		return;
	case DNSBL_BAD:
		util_strlcpy(buf, a->truncated ? "bad answer (truncated)"
			     : "bad answer", size);
		return;
	case DNSBL_ERROR:
		util_strlcpy(buf, "resolver error", size);
		return;
	case DNSBL_IGNORED: {
		uint32_t v = a->nignored ? a->ignored[0] : 0;
		unsigned f;

		for (f = 1; f <= DNSBL_IGN_WL255 && !(a->flags & f); f <<= 1)
			;
		ip4_text(v, ip, sizeof(ip));
		snprintf(tmp, sizeof(tmp), "ignored %s (%s)", ip,
			 dnsbl_ignored_meaning(f));
		util_strlcpy(buf, tmp, size);
		return;
	}
	}
	if (a->txt[0]) {
		util_strlcpy(buf, a->txt, size);
		return;
	}
	for (i = 0; i < a->naddr; i++) {
		ip4_text(a->addr[i], ip, sizeof(ip));
		if ((i && append(buf, size, &n, ",") < 0)
		    || append(buf, size, &n, ip) < 0) {
			/* cut after the last whole address */
			if (n && buf[n - 1] == ',')
				buf[n - 1] = 0;
			return;
		}
	}
}

/* --- engine ---------------------------------------------------------- */

#define NS_PER_S 1000000000LL
#define RETEST_NS (600 * NS_PER_S)	/* self-test older than this: redo */
#define WARN_NS (60 * NS_PER_S)		/* warnings: once a minute a zone */
#define FLIGHT_BUCKETS 1024

enum { TEST_NONE = 0, TEST_OK = 1, TEST_WILD = 2 };

/* The key of a flight and of a cache entry. */
typedef struct fkey {
	uint32_t zid;
	uint16_t qtype;
	uint8_t test;
	uint8_t pad;
	vaddr ip;
} fkey;

/* A zone record: one per domain the engine has seen; never freed before
 * the engine.  The list is append-only, read without the lock. */
typedef struct zrec {
	struct zrec *next;
	uint32_t id;
	char name[DNSBL_DOMAIN_MAX + 1];
	char display[128];	/* for logs: never the secret name */
	/* self-test: written under e->mu, read atomically */
	int verdict;		/* TEST_* */
	int testing;		/* probes in flight */
	int64_t tested_at;
	dnsbl_answer probe[2];	/* [0] 127.0.0.2, [1] 127.0.0.1 */
	int probes_left;
	int64_t warn_last[DNSBL_IGN_KINDS + 3];	/* vd_ratelimit */
} zrec;

typedef struct waiter {
	pthread_cond_t cond;
} waiter;

typedef struct flight flight;

typedef struct wlink {
	struct wlink *prev, *next;
	waiter *w;
	flight *f;
} wlink;

struct flight {
	flight *hnext;
	fkey key;
	dnsbl_engine *e;
	zrec *zr;
	int refs;		/* the query + each attached check */
	int hashed;
	int done;
	int64_t done_ns;
	dnsbl_answer ans;
	wlink *waiters;
};

struct dnsbl_engine {
	const vd_logger *lg;
	resolv *res;
	cache *cache;
	int64_t cache_ttl_max;	/* seconds: longest any profile keeps */
	pthread_mutex_t mu;	/* flights, zone records' tests */
	pthread_condattr_t cattr;
	flight *ftab[FLIGHT_BUCKETS];
	zrec *zones;		/* atomic head */
	uint32_t nzones;
	atomic_ulong n_queries, n_hits, n_timeouts, n_servfail, n_refused,
		n_bad, n_wild;
};

/* The value cached for an answer: when, and the answer up to txt (the
 * text is stored only for TXT answers). */
typedef struct cval {
	int64_t at;
	dnsbl_answer a;
} cval;

#define CVAL_A_LEN (offsetof(cval, a) + offsetof(dnsbl_answer, txt))

static uint32_t
fkey_hash(const fkey *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void
make_key(fkey *k, const zrec *zr, int qtype, int test, const vaddr *ip)
{
	memset(k, 0, sizeof(*k));
	k->zid = zr->id;
	k->qtype = (uint16_t)qtype;
	k->test = (uint8_t)test;
	k->ip = *ip;
}

static void
v4(vaddr *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = (uint8_t)(v >> 24);
	a->b[13] = (uint8_t)(v >> 16);
	a->b[14] = (uint8_t)(v >> 8);
	a->b[15] = (uint8_t)v;
}

static void
ip_text(const vaddr *a, char *buf, size_t size)
{
	if (is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)size);
}

/* zone_get - the record of domain d of s, created on first use */
static zrec *
zone_get(dnsbl_engine *e, const dnsbl_sites *s, size_t d)
{
	zrec *z;

	for (z = __atomic_load_n(&e->zones, __ATOMIC_ACQUIRE); z; z = z->next)
		if (strcmp(z->name, s->dom[d].name) == 0)
			return z;
	pthread_mutex_lock(&e->mu);
	for (z = e->zones; z; z = z->next)
		if (strcmp(z->name, s->dom[d].name) == 0)
			break;
	if (z == NULL && (z = calloc(1, sizeof(*z))) != NULL) {
		z->id = ++e->nzones;
		util_strlcpy(z->name, s->dom[d].name, sizeof(z->name));
		util_strlcpy(z->display, s->dom[d].display, sizeof(z->display));
		z->next = e->zones;
		__atomic_store_n(&e->zones, z, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&e->mu);
	return z;
}

static void
unhash(dnsbl_engine *e, flight *f)
{
	flight **pp = &e->ftab[fkey_hash(&f->key) % FLIGHT_BUCKETS];

	if (!f->hashed)
		return;
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	f->hashed = 0;
}

/* flight_unref - drop one reference (e->mu held) */
static void
flight_unref(dnsbl_engine *e, flight *f)
{
	if (--f->refs > 0)
		return;
	unhash(e, f);
	free(f);
}

/* warn_answer - the rate-limited warnings for an answer (resolver thread) */
static void
warn_answer(dnsbl_engine *e, flight *f)
{
	const dnsbl_answer *a = &f->ans;
	char ip[ADDR_TEXT_MAX], code[16], txt[96];
	unsigned bit;
	int i;

	ip_text(&f->key.ip, ip, sizeof(ip));
	for (i = 0, bit = 1; i < DNSBL_IGN_KINDS; i++, bit <<= 1) {
		int j;
		uint32_t v = 0;

		if (!(a->flags & bit))
			continue;
		for (j = 0; j < a->nignored; j++) {
			uint32_t c = a->ignored[j];
			unsigned fl = c >> 24 != 127 ? DNSBL_IGN_OUTSIDE
				: (c & 0xffffff00u) == 0x7fffff00u
				? ((c & 0xff) == 252 ? DNSBL_IGN_252
				   : (c & 0xff) == 254 ? DNSBL_IGN_254
				   : (c & 0xff) == 255 ? DNSBL_IGN_255
				   : DNSBL_IGN_OTHER) : DNSBL_IGN_WL255;

			if (fl == bit) {
				v = c;
				break;
			}
		}
		ip4_text(v, code, sizeof(code));
		if (vd_ratelimit(&f->zr->warn_last[i], WARN_NS))
			vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s answered "
			       "%s for %s: %s; not counted as a listing",
			       f->zr->display, code, ip,
			       dnsbl_ignored_meaning(bit));
	}
	if (a->kind >= DNSBL_TIMEOUT && a->kind != DNSBL_IGNORED
	    && vd_ratelimit(&f->zr->warn_last[DNSBL_IGN_KINDS], WARN_NS)) {
		dnsbl_answer_text(a, txt, sizeof(txt));
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s: %s for %s; "
		       "the answer is unknown", f->zr->display, txt, ip);
	}
}

/* test_update - both probes answered: decide wild or not (e->mu held) */
static void
test_update(dnsbl_engine *e, zrec *z, int64_t now)
{
	const dnsbl_answer *p1 = &z->probe[1];
	char txt[96];

	if (p1->kind == DNSBL_LISTED) {
		dnsbl_answer_text(p1, txt, sizeof(txt));
		if (z->verdict != TEST_WILD
		    || vd_ratelimit(&z->warn_last[DNSBL_IGN_KINDS + 1],
				    WARN_NS))
			vd_log(e->lg, LOG_ERR, "dnsbl: zone %s lists 127.0.0.1 "
			       "(%s): it has gone wild; its answers are "
			       "ignored until a re-test passes", z->display,
			       txt);
		__atomic_store_n(&z->verdict, TEST_WILD, __ATOMIC_RELEASE);
	} else if (p1->kind == DNSBL_NXDOMAIN || z->verdict == TEST_NONE) {
		if (z->verdict == TEST_WILD)
			vd_log(e->lg, LOG_NOTICE, "dnsbl: zone %s passed its "
			       "self-test again; its answers count",
			       z->display);
		__atomic_store_n(&z->verdict, TEST_OK, __ATOMIC_RELEASE);
	}
	if (z->probe[0].kind == DNSBL_NXDOMAIN
	    && vd_ratelimit(&z->warn_last[DNSBL_IGN_KINDS + 2], WARN_NS))
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s does not list "
		       "127.0.0.2 (RFC 5782 test entry)", z->display);
	__atomic_store_n(&z->tested_at, now, __ATOMIC_RELEASE);
	z->testing = 0;
}

/* flight_done - resolver callback: classify, cache, wake the checks */
static void
flight_done(void *arg, int status, const unsigned char *abuf, int alen)
{
	flight *f = arg;
	dnsbl_engine *e = f->e;
	int64_t now = util_now_ns();
	dnsbl_answer a;
	wlink *l;

	dnsbl_classify(abuf, alen, status, f->key.qtype == ns_t_txt, &a);
	f->ans = a;	/* only this thread writes ans before done is set */
	switch (a.kind) {
	case DNSBL_TIMEOUT:
		e->n_timeouts++;
		break;
	case DNSBL_SERVFAIL:
		e->n_servfail++;
		break;
	case DNSBL_REFUSED:
		e->n_refused++;
		break;
	case DNSBL_BAD:
	case DNSBL_IGNORED:
		e->n_bad++;
		break;
	}
	if (status != ARES_EDESTRUCTION)
		warn_answer(e, f);
	if (!f->key.test && (a.kind == DNSBL_LISTED
			     || a.kind == DNSBL_NXDOMAIN)) {
		cval v;

		/* kept as long as any profile may use it; each check
		 * applies its own profile's TTL clamp (cached_answer) */
		v.at = now;
		v.a = a;
		cache_put(e->cache, &f->key, sizeof(f->key), &v,
			  f->key.qtype == ns_t_txt ? sizeof(v) : CVAL_A_LEN,
			  now + e->cache_ttl_max * NS_PER_S);
	}
	pthread_mutex_lock(&e->mu);
	f->done = 1;
	f->done_ns = now;
	if (f->key.test) {
		f->zr->probe[f->key.ip.b[15] == 2 ? 0 : 1] = a;
		if (--f->zr->probes_left == 0)
			test_update(e, f->zr, now);
	}
	for (l = f->waiters; l; l = l->next)
		pthread_cond_signal(&l->w->cond);
	/* new checks ask again or use the cache, never a finished flight */
	unhash(e, f);
	flight_unref(e, f);
	pthread_mutex_unlock(&e->mu);
}

/* flight_get - the flight for key, started when absent (e->mu held);
 * *started set when this call sent the query.  NULL on failure. */
static flight *
flight_get(dnsbl_engine *e, zrec *zr, const fkey *key, int *started)
{
	uint32_t b = fkey_hash(key) % FLIGHT_BUCKETS;
	char qname[256];
	flight *f;

	*started = 0;
	for (f = e->ftab[b]; f; f = f->hnext)
		if (memcmp(&f->key, key, sizeof(*key)) == 0)
			return f;
	if (dnsbl_qname(&key->ip, zr->name, qname, sizeof(qname)) < 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->key = *key;
	f->e = e;
	f->zr = zr;
	f->refs = 1;
	/* the callback may run at once in the resolver thread, but it
	 * takes e->mu first, which we hold: link before unlocking */
	if (resolv_submit(e->res, qname, key->qtype, flight_done, f)
	    != VERDICT_OK) {
		free(f);
		return NULL;
	}
	f->hashed = 1;
	f->hnext = e->ftab[b];
	e->ftab[b] = f;
	e->n_queries++;
	*started = 1;
	return f;
}

static void
attach(flight *f, wlink *l, waiter *w)
{
	l->w = w;
	l->f = f;
	l->prev = NULL;
	l->next = f->waiters;
	if (f->waiters)
		f->waiters->prev = l;
	f->waiters = l;
	f->refs++;
}

static void
detach(dnsbl_engine *e, wlink *l)
{
	flight *f = l->f;

	if (f == NULL)
		return;
	if (l->prev)
		l->prev->next = l->next;
	else
		f->waiters = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->f = NULL;
	flight_unref(e, f);
}

/* start_test - send both RFC 5782 probes unless running (e->mu held) */
static void
start_test(dnsbl_engine *e, zrec *z)
{
	static const uint32_t probe[2] = { 0x7f000002u, 0x7f000001u };
	vaddr ip;
	fkey k;
	int i, started, ok = 0;

	if (z->testing)
		return;
	z->probes_left = 2;
	for (i = 0; i < 2; i++) {
		memset(&z->probe[i], 0, sizeof(z->probe[i]));
		v4(&ip, probe[i]);
		make_key(&k, z, ns_t_a, 1, &ip);
		if (flight_get(e, z, &k, &started) != NULL)
			ok++;
		else
			z->probe[i].kind = DNSBL_ERROR;
	}
	if (ok == 2) {
		z->testing = 1;
	} else {
		/* retried by the next check; never block on it meanwhile */
		z->probes_left = 0;
		z->testing = 0;
	}
}

/* attach_test - wait for the running probes of z (e->mu held) */
static int
attach_test(dnsbl_engine *e, zrec *z, wlink *l, waiter *w)
{
	static const uint32_t probe[2] = { 0x7f000002u, 0x7f000001u };
	uint32_t b;
	vaddr ip;
	fkey k;
	flight *f;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		v4(&ip, probe[i]);
		make_key(&k, z, ns_t_a, 1, &ip);
		b = fkey_hash(&k) % FLIGHT_BUCKETS;
		for (f = e->ftab[b]; f; f = f->hnext)
			if (memcmp(&f->key, &k, sizeof(k)) == 0)
				break;
		if (f) {
			attach(f, &l[n], w);
			n++;
		}
	}
	return n;
}

int
dnsbl_engine_new(const vd_config *cfg, const vd_logger *lg,
		 dnsbl_engine **out)
{
	dnsbl_engine *e;
	int64_t tmo = cfg->global.dnsbl_timeout_ms, ttl;
	size_t i;
	int rc;

	*out = NULL;
	ttl = cfg->global.dnsbl_max_ttl > cfg->global.dnsbl_min_ttl
	      ? cfg->global.dnsbl_max_ttl : cfg->global.dnsbl_min_ttl;
	for (i = 0; i < cfg->nprofiles; i++) {
		const config_profile *p = &cfg->profiles[i];

		if (p->dnsbl_timeout_ms > tmo)
			tmo = p->dnsbl_timeout_ms;
		if (p->dnsbl_max_ttl > ttl)
			ttl = p->dnsbl_max_ttl;
		if (p->dnsbl_min_ttl > ttl)
			ttl = p->dnsbl_min_ttl;
	}
	if (tmo <= 0)
		tmo = 1500;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	e->lg = lg;
	e->cache_ttl_max = ttl > 0 ? ttl : 3600;
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&e->cattr);
	pthread_condattr_setclock(&e->cattr, CLOCK_MONOTONIC);
	if ((e->cache = cache_new(cfg->cache_size)) == NULL) {
		rc = util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		goto bad;
	}
	/* two tries (a lost UDP packet is retried); c-ares doubles the
	 * second try's timeout, so a query dies after about 3 * try_ms,
	 * near the longest deadline.  A check's own deadline rules. */
	rc = resolv_new(&cfg->dns_servers, (int)(tmo / 3 > 20 ? tmo / 3 : 20),
			2, lg, &e->res);
	if (rc != VERDICT_OK)
		goto bad;
	*out = e;
	return VERDICT_OK;
bad:
	cache_free(e->cache);
	pthread_condattr_destroy(&e->cattr);
	pthread_mutex_destroy(&e->mu);
	free(e);
	return rc;
}

void
dnsbl_engine_free(dnsbl_engine *e)
{
	zrec *z, *n;

	if (e == NULL)
		return;
	/* flights still in flight are freed by their ARES_EDESTRUCTION
	 * callbacks, which run in this thread inside resolv_free */
	resolv_free(e->res);
	for (z = e->zones; z; z = n) {
		n = z->next;
		free(z);
	}
	cache_free(e->cache);
	pthread_condattr_destroy(&e->cattr);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

void
dnsbl_get_stats(dnsbl_engine *e, dnsbl_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->queries = e->n_queries;
	out->cache_hits = e->n_hits;
	out->timeouts = e->n_timeouts;
	out->servfail = e->n_servfail;
	out->refused = e->n_refused;
	out->bad_answers = e->n_bad;
	out->wild_ignored = e->n_wild;
}

/* --- checks ---------------------------------------------------------- */

enum { DS_KNOWN = 0, DS_WILD, DS_PENDING, DS_UNTESTED, DS_FAILED };

/* One domain of one check. */
typedef struct dstate {
	zrec *zr;
	dnsbl_answer ans;
	int have;		/* ans holds the answer */
	int64_t at_ns;		/* when it came (0: from the cache) */
	int state;		/* DS_*, set by evaluate */
	int weight;
	wlink link;		/* the answer's flight */
	wlink tlink[2];		/* the self-test probes' flights */
} dstate;

/* cached_answer - a cache hit still within this profile's TTL clamp */
static int
cached_answer(dnsbl_engine *e, const config_profile *p, const fkey *k,
	      int64_t now, dnsbl_answer *out)
{
	cval v;
	size_t len = sizeof(v);
	int64_t ttl;

	if (!cache_get(e->cache, k, sizeof(*k), &v, &len, now))
		return 0;
	if (len < CVAL_A_LEN)
		return 0;
	if (len < sizeof(v))
		v.a.txt[0] = 0;
	ttl = v.a.ttl;
	if (ttl < p->dnsbl_min_ttl)
		ttl = p->dnsbl_min_ttl;
	if (ttl > p->dnsbl_max_ttl)
		ttl = p->dnsbl_max_ttl;
	if (now - v.at >= ttl * NS_PER_S)
		return 0;
	*out = v.a;
	return 1;
}

/*
 * evaluate - score and state of every domain from what is known now;
 * returns 1 while some answer or self-test may still arrive.  Called
 * under e->mu whenever a flight is attached.
 */
static int
evaluate(dnsbl_engine *e, const dnsbl_sites *s, dstate *st, int base,
	 int *score, unsigned char *open)
{
	size_t d;
	int waiting = 0, v;

	(void)e;
	*score = base;
	for (d = 0; d < s->ndom; d++) {
		dstate *x = &st[d];

		if (!x->have && x->link.f && x->link.f->done) {
			x->ans = x->link.f->ans;
			x->at_ns = x->link.f->done_ns;
			x->have = 1;
		}
		v = __atomic_load_n(&x->zr->verdict, __ATOMIC_ACQUIRE);
		x->weight = 0;
		open[d] = 1;
		if (v == TEST_WILD) {
			x->state = DS_WILD;
			open[d] = 0;
		} else if (!x->have) {
			x->state = DS_PENDING;
			waiting = 1;
		} else if (v == TEST_NONE) {
			x->state = DS_UNTESTED;
			if (x->zr->testing)
				waiting = 1;
		} else if (x->ans.kind == DNSBL_LISTED
			   || x->ans.kind == DNSBL_NXDOMAIN) {
			x->state = DS_KNOWN;
			x->weight = dnsbl_domain_weight(s, d, &x->ans);
			*score += x->weight;
			open[d] = 0;
		} else {
			x->state = DS_FAILED;
		}
	}
	return waiting;
}

static void
abs_time(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
}

/* source_of - display names of the counted listings, largest weight
 * first: the positive ones, or for an allow the negative ones */
static void
source_of(const dnsbl_sites *s, const dstate *st, int allow, char *buf,
	  size_t size, int *first)
{
	size_t order[DNSBL_ZONES_MAX], n = 0, i, j, len = 0;

	*first = -1;
	for (i = 0; i < s->ndom; i++) {
		int w = st[i].weight;

		if (st[i].state != DS_KNOWN || (allow ? w >= 0 : w <= 0))
			continue;
		/* insertion sort by |weight| descending, stable */
		for (j = n; j > 0 && abs(st[order[j - 1]].weight) < abs(w); j--)
			order[j] = order[j - 1];
		order[j] = i;
		n++;
	}
	buf[0] = 0;
	for (i = 0; i < n; i++) {
		const char *name = s->dom[order[i]].display;
		size_t nl = strlen(name);

		if (len + (i ? 2 : 0) + nl + 1 > size)
			break;
		if (i) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, name, nl + 1);
		len += nl;
	}
	if (n)
		*first = (int)order[0];
}

int
dnsbl_check(dnsbl_engine *e, const dnsbl_sites *s, const config_profile *p,
	    const vaddr *ip, int base_score, int64_t deadline_ns,
	    dnsbl_result *res)
{
	dstate st[DNSBL_ZONES_MAX];
	unsigned char open[DNSBL_ZONES_MAX];
	wlink tl;
	waiter w;
	struct timespec ts;
	int64_t start = util_now_ns(), now;
	size_t d, nd;
	int need = 0, locked = 0, score, waiting, settled, allow, first,
	    started, rc = VERDICT_OK, npending = 0, nfailed = 0;
	fkey k;

	if (e == NULL || s == NULL || p == NULL || ip == NULL || res == NULL)
		return util_err(VERDICT_EINVAL, 0, "dnsbl_check: NULL argument");
	memset(res, 0, offsetof(dnsbl_result, zones));
	res->cache_hits = res->queries = 0;
	res->score = base_score;
	nd = s->ndom;
	memset(&tl, 0, sizeof(tl));
	for (d = 0; d < nd; d++) {
		dstate *x = &st[d];
		int v;

		memset(x, 0, offsetof(dstate, ans));
		x->have = 0;
		x->at_ns = 0;
		memset(&x->link, 0, sizeof(x->link) * 3);
		if ((x->zr = zone_get(e, s, d)) == NULL)
			return util_err(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
		v = __atomic_load_n(&x->zr->verdict, __ATOMIC_ACQUIRE);
		if (v == TEST_NONE || start - __atomic_load_n(
			&x->zr->tested_at, __ATOMIC_ACQUIRE) > RETEST_NS)
			need = 1;
		make_key(&k, x->zr, ns_t_a, 0, ip);
		if (cached_answer(e, p, &k, start, &x->ans)) {
			x->have = 1;
			res->cache_hits++;
			e->n_hits++;
		} else {
			need = 1;
		}
	}
	if (need) {
		pthread_mutex_lock(&e->mu);
		pthread_cond_init(&w.cond, &e->cattr);
		locked = 1;
		for (d = 0; d < nd; d++) {
			dstate *x = &st[d];
			zrec *z = x->zr;

			if (z->verdict == TEST_NONE
			    || start - z->tested_at > RETEST_NS)
				start_test(e, z);
			if (z->verdict == TEST_NONE && z->testing)
				attach_test(e, z, x->tlink, &w);
			if (x->have)
				continue;
			make_key(&k, z, ns_t_a, 0, ip);
			if ((x->link.f = flight_get(e, z, &k, &started))
			    != NULL) {
				flight *f = x->link.f;

				attach(f, &x->link, &w);
				res->queries += started;
			} else {
				x->ans.kind = DNSBL_ERROR;
				x->have = 1;
			}
		}
	}
	for (;;) {
		waiting = evaluate(e, s, st, base_score, &score, open);
		settled = dnsbl_settled(s, p->dnsbl_threshold,
					p->dnsbl_allowlist_threshold, score,
					open);
		if (!waiting || (settled && !p->dnsbl_wait_all) || !locked)
			break;
		if ((now = util_now_ns()) >= deadline_ns)
			break;
		abs_time(deadline_ns, &ts);
		pthread_cond_timedwait(&w.cond, &e->mu, &ts);
	}
	allow = p->dnsbl_allowlist_threshold < 0
		&& score <= p->dnsbl_allowlist_threshold;
	source_of(s, st, allow, res->source, sizeof(res->source), &first);
	/* the reason text: TXT of the first listing zone, within the
	 * deadline, for a block only */
	if (p->dnsbl_txt && first >= 0 && !allow
	    && score >= p->dnsbl_threshold) {
		dnsbl_answer ta;

		now = util_now_ns();
		make_key(&k, st[first].zr, ns_t_txt, 0, ip);
		if (cached_answer(e, p, &k, now, &ta)) {
			util_strlcpy(res->txt, ta.txt, sizeof(res->txt));
			res->cache_hits++;
			e->n_hits++;
		} else if (now < deadline_ns) {
			if (!locked) {
				pthread_mutex_lock(&e->mu);
				pthread_cond_init(&w.cond, &e->cattr);
				locked = 1;
			}
			if ((tl.f = flight_get(e, st[first].zr, &k, &started))
			    != NULL) {
				attach(tl.f, &tl, &w);
				res->queries += started;
				abs_time(deadline_ns, &ts);
				while (!tl.f->done && pthread_cond_timedwait(
					&w.cond, &e->mu, &ts) != ETIMEDOUT)
					;
				if (tl.f->done && tl.f->ans.kind
				    == DNSBL_LISTED)
					util_strlcpy(res->txt, tl.f->ans.txt,
						     sizeof(res->txt));
			}
		}
	}
	if (locked) {
		for (d = 0; d < nd; d++) {
			detach(e, &st[d].link);
			detach(e, &st[d].tlink[0]);
			detach(e, &st[d].tlink[1]);
		}
		detach(e, &tl);
		pthread_mutex_unlock(&e->mu);
		pthread_cond_destroy(&w.cond);
	}
	now = util_now_ns();
	res->score = score;
	res->settled = settled;
	res->nzones = nd;
	for (d = 0; d < nd; d++) {
		dnsbl_zone_detail *z = &res->zones[d];
		dstate *x = &st[d];

		util_strlcpy(z->zone, s->dom[d].display, sizeof(z->zone));
		z->weight = x->weight;
		z->ms = x->have ? (x->at_ns > start
				   ? (long)((x->at_ns - start) / 1000000) : 0)
			: -1;
		switch (x->state) {
		case DS_WILD:
			util_strlcpy(z->answer, "wild (lists 127.0.0.1)",
				     sizeof(z->answer));
			if (x->have && x->ans.kind == DNSBL_LISTED) {
				e->n_wild++;
				if (vd_ratelimit(&x->zr->warn_last[
					DNSBL_IGN_KINDS + 1], WARN_NS))
					vd_log(e->lg, LOG_ERR, "dnsbl: zone %s "
					       "lists 127.0.0.1: it has gone "
					       "wild; its answers are ignored "
					       "until a re-test passes",
					       x->zr->display);
			}
			break;
		case DS_PENDING:
			npending++;
			util_strlcpy(z->answer, now >= deadline_ns ? "timeout"
				     : "pending", sizeof(z->answer));
			break;
		case DS_UNTESTED:
			npending++;
			util_strlcpy(z->answer, "self-test pending",
				     sizeof(z->answer));
			break;
		case DS_FAILED:
			nfailed++;
			/* fall through */
		default:
			dnsbl_answer_text(&x->ans, z->answer,
					  sizeof(z->answer));
		}
	}
	res->unknown = nfailed + (settled ? 0 : npending);
	return rc;
}

int
dnsbl_doctor(dnsbl_engine *e, const dnsbl_sites *s, int64_t deadline_ns,
	     int (*cb)(const char *zone, int ok, const char *detail,
		       void *arg), void *arg)
{
	zrec *zr[DNSBL_ZONES_MAX];
	wlink links[DNSBL_ZONES_MAX][2];
	dnsbl_answer pr[DNSBL_ZONES_MAX][2];
	waiter w;
	struct timespec ts;
	size_t d, nd = s ? s->ndom : 0;
	int i, rc, busy;

	if (e == NULL || cb == NULL)
		return util_err(VERDICT_EINVAL, 0, "dnsbl_doctor: NULL argument");
	memset(links, 0, sizeof(links));
	memset(pr, 0, sizeof(pr));
	for (d = 0; d < nd; d++)
		if ((zr[d] = zone_get(e, s, d)) == NULL)
			return util_err(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
	pthread_mutex_lock(&e->mu);
	pthread_cond_init(&w.cond, &e->cattr);
	for (d = 0; d < nd; d++) {
		start_test(e, zr[d]);
		attach_test(e, zr[d], links[d], &w);
	}
	abs_time(deadline_ns, &ts);
	do {
		busy = 0;
		for (d = 0; d < nd; d++)
			for (i = 0; i < 2; i++)
				if (links[d][i].f && !links[d][i].f->done)
					busy = 1;
	} while (busy && util_now_ns() < deadline_ns
		 && pthread_cond_timedwait(&w.cond, &e->mu, &ts) != ETIMEDOUT);
	for (d = 0; d < nd; d++) {
		for (i = 0; i < 2; i++) {
			flight *f = links[d][i].f;

			if (f && f->done)
				pr[d][f->key.ip.b[15] == 2 ? 0 : 1] = f->ans;
			detach(e, &links[d][i]);
		}
	}
	pthread_mutex_unlock(&e->mu);
	pthread_cond_destroy(&w.cond);
	for (d = 0; d < nd; d++) {
		const dnsbl_answer *p2 = &pr[d][0], *p1 = &pr[d][1];
		char detail[256], t[96];
		size_t n = 0;
		int ok = p2->kind == DNSBL_LISTED && p1->kind == DNSBL_NXDOMAIN;

#define SAY(...) do { if (n < sizeof(detail)) { \
	int r_ = snprintf(detail + n, sizeof(detail) - n, __VA_ARGS__); \
	n = r_ < 0 ? sizeof(detail) : n + (size_t)r_; } } while (0)
		detail[0] = 0;
		if (ok) {
			SAY("ok");
		} else if ((p2->kind == DNSBL_PENDING
			    || p2->kind == DNSBL_TIMEOUT)
			   && (p1->kind == DNSBL_PENDING
			       || p1->kind == DNSBL_TIMEOUT)) {
			SAY("not answering");
		} else {
			if (p1->kind == DNSBL_LISTED) {
				dnsbl_answer_text(p1, t, sizeof(t));
				SAY("wild: lists 127.0.0.1 (%s)", t);
			} else if (p1->kind != DNSBL_NXDOMAIN) {
				dnsbl_answer_text(p1, t, sizeof(t));
				SAY("127.0.0.1: %s", t);
			}
			if (p2->kind == DNSBL_NXDOMAIN) {
				SAY("%sdoes not list 127.0.0.2", n ? "; " : "");
			} else if (p2->kind != DNSBL_LISTED) {
				dnsbl_answer_text(p2, t, sizeof(t));
				SAY("%s127.0.0.2: %s", n ? "; " : "", t);
			}
		}
#undef SAY
		if ((rc = cb(s->dom[d].display, ok, detail, arg)) != 0)
			return rc;
	}
	return 0;
}
