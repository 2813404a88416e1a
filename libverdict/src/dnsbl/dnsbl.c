/*
 * dnsbl.c - DNSBL/DNSWL sites: grammar, weights, settledness, answers
 *
 *	vd_dnsbl_sites_parse	compile postscreen's dnsbl_sites grammar
 *	vd_dnsbl_sites_free	free compiled sites
 *	vd_dnsbl_sites_memo	per-domain slots the first engine may keep
 *	vd_dnsbl_classify		raw DNS reply -> listed / not listed / unknown
 *	vd_dnsbl_domain_weight	weight a domain's entries add for an answer
 *	vd_dnsbl_settled		can an open answer still cross a threshold?
 *	vd_dnsbl_qname		RFC 5782 query name (IPv4 octets, IPv6 nibbles)
 *
 * Semantics follow Postfix postscreen: a site adds its weight once however
 * many of its A records match; the same domain may appear several times
 * (each entry counts on its own) but is queried once.  Beyond postscreen:
 * a bitmask filter (domain&0.0.0.4), answers that are operator error
 * codes (127.255.255.0/24, DNSWL's 127.0.0.255) or outside 127.0.0.0/8
 * never count and are logged once per minute per zone, and the RFC 5782
 * self-test ignores a zone that lists 127.0.0.1 ("wild").
 *
 * The engine (checks, cache, self-test) is in dnsbl_engine.c.
 *
 * Diagnostics: vd_dnsbl_sites_parse errors are "offending text: what".
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
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "dnsbl.h"

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
	uint64_t memo_owner;		/* atomic: engine owning memo[], 0 none */
	void *memo[DNSBL_ZONES_MAX];	/* atomic: its per-domain pointers */
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

	if (vd_util_parse_long(s, len, 0, 255, &v) < 0)
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
		if (vd_util_parse_long(star + 1, (size_t)(end - star - 1),
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
		vd_util_strlcpy(dm->display, dm->name, sizeof(dm->display));
		for (i = 0; names && i < names->n; i++) {
			const char *n = names->v[i].name;
			size_t nl = strlen(n);

			if (nl && n[nl - 1] == '.')
				nl--;
			if (nl == dlen && strncasecmp(n, dm->name, dlen) == 0) {
				vd_util_strlcpy(dm->display, names->v[i].value,
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
vd_dnsbl_sites_parse(const char *text, const config_pairlist *reply_names,
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
vd_dnsbl_sites_free(dnsbl_sites *s)
{
	free(s);
}

size_t
vd_dnsbl_sites_nzones(const dnsbl_sites *s)
{
	return s ? s->ndom : 0;
}

void **
vd_dnsbl_sites_memo(const dnsbl_sites *s, uint64_t owner)
{
	/* the slots are the one mutable part of the compiled sites: cast */
	dnsbl_sites *w = (dnsbl_sites *)s;
	uint64_t cur = __atomic_load_n(&w->memo_owner, __ATOMIC_ACQUIRE);

	if (cur == 0 && owner != 0 && __atomic_compare_exchange_n(
		&w->memo_owner, &cur, owner, 0, __ATOMIC_ACQ_REL,
		__ATOMIC_ACQUIRE))
		cur = owner;
	return cur == owner && owner != 0 ? w->memo : NULL;
}

const char *
vd_dnsbl_sites_domain(const dnsbl_sites *s, size_t i)
{
	return i < s->ndom ? s->dom[i].name : NULL;
}

const char *
vd_dnsbl_sites_display(const dnsbl_sites *s, size_t i)
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
vd_dnsbl_domain_weight(const dnsbl_sites *s, size_t d, const dnsbl_answer *a)
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
 * vd_dnsbl_settled - the score can still move within [lo, hi]: the block
 * outcome is known when lo >= threshold or hi < threshold; the allow
 * outcome (when enabled) when hi <= allow or lo > allow.
 */
int
vd_dnsbl_settled(const dnsbl_sites *s, int threshold, int allow_threshold,
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
vd_dnsbl_qname(const vaddr *ip, const char *domain, char *buf, size_t size)
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
vd_dnsbl_classify(const unsigned char *abuf, int alen, int status,
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
vd_dnsbl_ignored_meaning(unsigned flag)
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
vd_dnsbl_answer_text(const dnsbl_answer *a, char *buf, size_t size)
{
	char ip[16], tmp[96];
	size_t n = 0;
	int i;

	if (size == 0)
		return;
	buf[0] = 0;
	switch (a->kind) {
	case DNSBL_PENDING:
		vd_util_strlcpy(buf, "pending", size);
		return;
	case DNSBL_NXDOMAIN:
		vd_util_strlcpy(buf, "NXDOMAIN", size);
		return;
	case DNSBL_TIMEOUT:
		vd_util_strlcpy(buf, "timeout", size);
		return;
	case DNSBL_SERVFAIL:
		vd_util_strlcpy(buf, "SERVFAIL", size);
		return;
	case DNSBL_REFUSED:
		vd_util_strlcpy(buf, "REFUSED", size);
		return;
	case DNSBL_BAD:
		vd_util_strlcpy(buf, a->truncated ? "bad answer (truncated)"
			     : "bad answer", size);
		return;
	case DNSBL_ERROR:
		vd_util_strlcpy(buf, "resolver error", size);
		return;
	case DNSBL_IGNORED: {
		uint32_t v = a->nignored ? a->ignored[0] : 0;
		unsigned f;

		for (f = 1; f <= DNSBL_IGN_WL255 && !(a->flags & f); f <<= 1)
			;
		ip4_text(v, ip, sizeof(ip));
		snprintf(tmp, sizeof(tmp), "ignored %s (%s)", ip,
			 vd_dnsbl_ignored_meaning(f));
		vd_util_strlcpy(buf, tmp, size);
		return;
	}
	}
	if (a->txt[0]) {
		vd_util_strlcpy(buf, a->txt, size);
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
