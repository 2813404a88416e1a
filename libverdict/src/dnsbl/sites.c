/*
 * sites.c - a profile's DNSBL/DNSWL sites: grammar, weights, display
 * names, settledness, query names
 *
 *	vd_sites_parse		compile postscreen's dnsbl_sites grammar
 *	vd_sites_free		free compiled sites
 *	vd_sites_nzones		distinct domains
 *	vd_sites_memo		per-domain slots the first engine may keep
 *	vd_sites_domain		domain i, lower case
 *	vd_sites_display	its display name (dnsbl_reply_names)
 *	vd_sites_mapped		does it have a display name of its own
 *	vd_sites_weight		weight a domain's entries add for an answer
 *	vd_sites_settled	can an open answer still cross a threshold?
 *	vd_sites_qname		RFC 5782 query name (IPv4 octets, IPv6 nibbles)
 *	vd_sites_qname6		RFC 5782 query name, always nibbles
 *
 * Semantics follow Postfix postscreen, so that an admin can paste theirs:
 * a site adds its weight once however many of its A records match; the
 * same domain may appear several times (each entry counts on its own)
 * but is queried once.  Beyond postscreen: a bitmask filter
 * (domain&0.0.0.4) for lists that encode categories in bits.  Secret
 * domains (DQS keys) get a display name, the only name that reply texts
 * and logs show.
 *
 * Diagnostics: vd_sites_parse errors are "offending text: what".
 *
 * Limits: DNSBL_ZONES_MAX domains and DNSBL_ENTRIES_MAX entries a
 * profile; domains up to DNSBL_DOMAIN_MAX characters (room for the 64
 * characters of an IPv6 nibble prefix); weights within
 * +-DNSBL_WEIGHT_MAX; display names up to 127 characters.
 */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "verdict.h"
#include "sites.h"
#include "str.h"

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

	if (vd_str_parse_long(s, len, 0, 255, &v) < 0)
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

/* add_domain - the index of domain tok[0..dlen) in s, added (lower
 * case, with its display name) when new */
static const char *
add_domain(dnsbl_sites *s, const char *tok, size_t dlen,
	   const config_pairlist *names, size_t *out)
{
	dnsbl_dom *dm;
	size_t d, i;

	for (d = 0; d < s->ndom; d++)
		if (strlen(s->dom[d].name) == dlen
		    && strncasecmp(s->dom[d].name, tok, dlen) == 0) {
			*out = d;
			return NULL;
		}
	if (s->ndom == DNSBL_ZONES_MAX)
		return "more than 32 distinct dnsbl_sites domains";
	*out = s->ndom;
	dm = &s->dom[s->ndom++];
	for (i = 0; i < dlen; i++) {
		char c = tok[i];

		dm->name[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
	}
	dm->name[dlen] = 0;
	vd_str_lcpy(dm->display, dm->name, sizeof(dm->display));
	for (i = 0; names && i < names->n; i++) {
		const char *n = names->v[i].name;
		size_t nl = strlen(n);

		if (nl && n[nl - 1] == '.')
			nl--;
		if (nl == dlen && strncasecmp(n, dm->name, dlen) == 0) {
			vd_str_lcpy(dm->display, names->v[i].value,
					sizeof(dm->display));
			break;
		}
	}
	return NULL;
}

/* parse_site - one "domain[=filter|&mask][*weight]" token */
static const char *
parse_site(dnsbl_sites *s, const char *tok, size_t len,
	   const config_pairlist *names)
{
	size_t dlen, d;
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
		if (vd_str_parse_long(star + 1, (size_t)(end - star - 1),
				    -DNSBL_WEIGHT_MAX, DNSBL_WEIGHT_MAX, &w) < 0)
			return "weight after '*' must be an integer "
			       "-1000000..1000000";
	}
	e->weight = (int)w;
	if ((why = add_domain(s, tok, dlen, names, &d)) != NULL)
		return why;
	e->dom = (int)d;
	if (e->weight > 0)
		s->dom[d].posw += e->weight;
	else
		s->dom[d].negw += e->weight;
	s->nent++;
	return NULL;
}

/* vd_sites_parse - compile a dnsbl_sites text */
int
vd_sites_parse(const char *text, const config_pairlist *reply_names,
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

/* vd_sites_free - free compiled sites */
void
vd_sites_free(dnsbl_sites *s)
{
	free(s);
}

/* vd_sites_nzones - distinct domains */
size_t
vd_sites_nzones(const dnsbl_sites *s)
{
	return s ? s->ndom : 0;
}

/* vd_sites_memo - the per-domain slots of the first owner to ask */
void **
vd_sites_memo(const dnsbl_sites *s, uint64_t owner)
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

/* vd_sites_domain - domain i, lower case */
const char *
vd_sites_domain(const dnsbl_sites *s, size_t i)
{
	return i < s->ndom ? s->dom[i].name : NULL;
}

/* vd_sites_display - the display name of domain i */
const char *
vd_sites_display(const dnsbl_sites *s, size_t i)
{
	return i < s->ndom ? s->dom[i].display : NULL;
}

/* vd_sites_mapped - domain i shown under a name of its own */
int
vd_sites_mapped(const dnsbl_sites *s, size_t i)
{
	return i < s->ndom && strcmp(s->dom[i].display, s->dom[i].name) != 0;
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

/* vd_sites_weight - weight domain d adds for answer a */
int
vd_sites_weight(const dnsbl_sites *s, size_t d, const dnsbl_answer *a)
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
 * vd_sites_settled - the score can still move within [lo, hi]: the block
 * outcome is known when lo >= threshold or hi < threshold; the allow
 * outcome (when enabled) when hi <= allow or lo > allow.
 */
int
vd_sites_settled(const dnsbl_sites *s, int threshold, int allow_threshold,
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

/* qname - the query name of ip in domain, octets when v4 */
static int
qname(const vaddr *ip, int v4, const char *domain, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[80];
	size_t n = 0;
	int i, r;

	if (v4) {
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

/* vd_sites_qname - the RFC 5782 query name of ip in domain */
int
vd_sites_qname(const vaddr *ip, const char *domain, char *buf, size_t size)
{
	return qname(ip, vd_addr_is_v4(ip), domain, buf, size);
}

/* vd_sites_qname6 - the 32-nibble query name of ip in domain */
int
vd_sites_qname6(const vaddr *ip, const char *domain, char *buf, size_t size)
{
	return qname(ip, 0, domain, buf, size);
}
