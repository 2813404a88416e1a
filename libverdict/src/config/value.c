/*
 * value.c - the values of verdict.conf(5) keys (value.h)
 *
 *	vd_value_set		check one value against its key, store it
 *	vd_value_parse_duration	"1500ms", "2s", "5m", "1h", "7d" into ms
 *
 * One function per type of value: strings, group names, octal modes,
 * numbers, booleans, enumerations, durations, and the lists (CIDRs,
 * table names, DNS servers, name=value pairs, countries and ASNs with or
 * without weights, SMTP reply lines).  A list is comma and/or white
 * space separated; an empty list is a valid list; an item listed twice
 * is an error, because it is always a mistake in the file.
 *
 * Diagnostics: "FILE:LINE: key: what", naming the offending item and
 * what would be accepted ("did you mean 10.0.0.0/8?" for host bits).
 *
 * Limits: reply texts 1000 bytes; weights -1000000..1000000; the list
 * checks for duplicates are quadratic, fine for lists written by hand.
 * Parsing is not locale dependent.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "addr.h"
#include "config.h"
#include "str.h"
#include "value.h"

#define REPLY_MAX	1000
#define WEIGHT_MAX	VD_KEYS_WEIGHT_MAX

/* val - the value being set: where errors go, where memory comes from */
struct val {
	const vd_lexer *lx;
	vd_arena *a;
	const vd_key *k;
	int line;
};

static int
perr(const struct val *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* perr - "FILE:LINE: what" through the lexer; returns -1 */
static int
perr(const struct val *p, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vd_lexer_err(p->lx, p->line, "%s", msg);
}

static int
oom(const struct val *p)
{
	return vd_lexer_oom(p->lx);
}

static int
is_sep(int c)
{
	return c == ',' || c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ascii_ieq - case-insensitive ASCII comparison of s[0..len) with word */
static int
ascii_ieq(const char *s, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (word[i] == 0 || lower((unsigned char)s[i]) != word[i])
			return 0;
	return word[len] == 0;
}

/* next_item - the next comma/white-space separated item of a list */
static int
next_item(const char **sp, const char **item, size_t *len)
{
	const char *s = *sp;

	while (*s && is_sep(*s))
		s++;
	if (*s == 0)
		return 0;
	*item = s;
	while (*s && !is_sep(*s))
		s++;
	*len = s - *item;
	*sp = s;
	return 1;
}

/* count_items - how many items a list holds (for one allocation) */
static size_t
count_items(const char *s)
{
	const char *it;
	size_t len, n = 0;

	while (next_item(&s, &it, &len))
		n++;
	return n;
}

/* parse_u64 - decimal digits only, no sign; 0 ok, -1 otherwise */
static int
parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* vd_value_parse_duration - a number and a unit; bare numbers are seconds */
int
vd_value_parse_duration(const char *s, int64_t *ms)
{
	size_t len = strlen(s), n = 0;
	uint64_t v, mult;
	const char *unit;

	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	unit = s + n;
	if (*unit == 0 || strcmp(unit, "s") == 0)
		mult = 1000;
	else if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(unit, "d") == 0)
		mult = 86400 * 1000;
	else
		return -1;
	if (parse_u64(s, n, INT64_MAX, &v) != 0 || v > INT64_MAX / mult)
		return -1;
	*ms = (int64_t)(v * mult);
	return 0;
}

/* valid_table_name - [a-z0-9_-]{1,64}, the store's rule for table names */
static int
valid_table_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* valid_server - "addr", "a.b.c.d:port", "[v6]" or "[v6]:port" */
static int
valid_server(const char *s, size_t len)
{
	vaddr a;
	const char *end = s + len, *host = s, *hend, *colon;
	uint64_t port;

	if (vd_addr_parse(s, len, &a) == 0)
		return 1;
	if (s[0] == '[') {
		host = s + 1;
		hend = memchr(host, ']', end - host);
		if (hend == NULL)
			return 0;
		colon = hend + 1;
		if (colon == end)
			return vd_addr_parse(host, hend - host, &a) == 0;
		if (*colon != ':')
			return 0;
	} else {
		colon = memchr(s, ':', len);
		if (colon == NULL || memchr(colon + 1, ':', end - colon - 1))
			return 0;
		hend = colon;
	}
	if (vd_addr_parse(host, hend - host, &a) != 0)
		return 0;
	return parse_u64(colon + 1, end - colon - 1, 65535, &port) == 0 &&
	    port > 0;
}

/* parse_country - two ASCII letters, upper-cased into out */
static int
parse_country(const char *s, size_t len, char out[3])
{
	size_t i;

	if (len != 2)
		return -1;
	for (i = 0; i < 2; i++) {
		int c = (unsigned char)s[i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c < 'A' || c > 'Z')
			return -1;
		out[i] = c;
	}
	out[2] = 0;
	return 0;
}

/* parse_asn - 1..4294967295 with an optional AS prefix */
static int
parse_asn(const char *s, size_t len, uint32_t *out)
{
	uint64_t v;

	if (len > 2 && lower((unsigned char)s[0]) == 'a' &&
	    lower((unsigned char)s[1]) == 's') {
		s += 2;
		len -= 2;
	}
	if (parse_u64(s, len, UINT32_MAX, &v) != 0 || v == 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* set_geo - country/ASN items, with "*weight" when weighted */
static int
set_geo(const struct val *p, config_geolist *gl, const char *v)
{
	const vd_key *k = p->k;
	int weighted = k->type == K_CWEIGHTS || k->type == K_AWEIGHTS;
	int asn = k->type == K_AWEIGHTS || k->type == K_ASNS;
	const char *it, *s = v;
	size_t len, n = count_items(v), i;

	gl->n = 0;
	gl->v = vd_arena_array(p->a, n ? n : 1, sizeof(*gl->v));
	if (gl->v == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		config_geo_item *g = &gl->v[gl->n];
		const char *star = memchr(it, '*', len);
		size_t ilen = star ? (size_t)(star - it) : len;

		if (weighted && star == NULL)
			return perr(p, "%s: \"%.*s\" has no weight; "
				    "write %s*WEIGHT", k->name, (int)len, it,
				    asn ? "ASN" : "CC");
		if (!weighted && star)
			return perr(p, "%s: \"%.*s\": %s takes no "
				    "weights", k->name, (int)len, it, k->name);
		if (star) {
			long w;

			if (vd_str_parse_long(star + 1, it + len - star - 1,
					    -WEIGHT_MAX, WEIGHT_MAX, &w) != 0)
				return perr(p, "%s: bad weight in "
					    "\"%.*s\" (an integer from %d to "
					    "%d)",
					    k->name, (int)len, it,
					    -WEIGHT_MAX, WEIGHT_MAX);
			g->weight = (int)w;
		}
		if (asn) {
			if (parse_asn(it, ilen, &g->asn) != 0)
				return perr(p, "%s: bad ASN \"%.*s\" "
					    "(1 to 4294967295, AS prefix "
					    "allowed)", k->name, (int)ilen, it);
		} else if (parse_country(it, ilen, g->country) != 0) {
			return perr(p, "%s: bad country code \"%.*s\" "
				    "(two letters, as CN)", k->name, (int)ilen,
				    it);
		}
		for (i = 0; i < gl->n; i++)
			if (gl->v[i].asn == g->asn &&
			    strcmp(gl->v[i].country, g->country) == 0)
				return perr(p, "%s: \"%.*s\" is listed "
					    "twice", k->name, (int)ilen, it);
		gl->n++;
	}
	return 0;
}

/* set_pairs - "name=value" items; milter_profiles values are N or none */
static int
set_pairs(const struct val *p, config_pairlist *pl, const char *v)
{
	const vd_key *k = p->k;
	const char *it, *s = v;
	size_t len, n = count_items(v), i;

	pl->n = 0;
	pl->v = vd_arena_array(p->a, n ? n : 1, sizeof(*pl->v));
	if (pl->v == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		const char *eq = memchr(it, '=', len);
		config_pair *c = &pl->v[pl->n];
		size_t nlen, vlen;

		if (eq == NULL || eq == it || eq == it + len - 1)
			return perr(p, "%s: bad item \"%.*s\"; expected "
				    "name=value", k->name, (int)len, it);
		nlen = eq - it;
		vlen = it + len - eq - 1;
		if (k->type == K_MPROFILES &&
		    !ascii_ieq(eq + 1, vlen, "none")) {
			uint64_t num;

			if (parse_u64(eq + 1, vlen, CONFIG_PROFILE_MAX, &num)
			    != 0 || num == 0)
				return perr(p, "%s: bad profile \"%.*s\" "
					    "(a profile number 1..%d or none)",
					    k->name, (int)vlen, eq + 1,
					    CONFIG_PROFILE_MAX);
		}
		for (i = 0; i < pl->n; i++)
			if (strlen(pl->v[i].name) == nlen &&
			    memcmp(pl->v[i].name, it, nlen) == 0)
				return perr(p, "%s: \"%.*s\" is listed "
					    "twice", k->name, (int)nlen, it);
		c->name = vd_arena_strndup(p->a, it, nlen);
		c->value = k->type == K_MPROFILES &&
		    ascii_ieq(eq + 1, vlen, "none") ?
		    vd_arena_strndup(p->a, "none", 4) :
		    vd_arena_strndup(p->a, eq + 1, vlen);
		if (c->name == NULL || c->value == NULL)
			return oom(p);
		pl->n++;
	}
	return 0;
}

/* set_strlist - table names or DNS servers */
static int
set_strlist(const struct val *p, config_strlist *sl, const char *v)
{
	const vd_key *k = p->k;
	const char *it, *s = v;
	size_t len, n = count_items(v), i;

	sl->n = 0;
	sl->v = vd_arena_array(p->a, n ? n : 1, sizeof(*sl->v));
	if (sl->v == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		if (k->type == K_TABLES && !valid_table_name(it, len))
			return perr(p, "%s: bad table name \"%.*s\" "
				    "(1 to 64 of a-z 0-9 _ -)", k->name,
				    (int)len, it);
		if (k->type == K_SERVERS && !valid_server(it, len))
			return perr(p, "%s: bad server \"%.*s\" (an "
				    "address, a.b.c.d:port or [v6]:port)",
				    k->name, (int)len, it);
		for (i = 0; i < sl->n; i++)
			if (strlen(sl->v[i]) == len &&
			    memcmp(sl->v[i], it, len) == 0)
				return perr(p, "%s: \"%.*s\" is listed "
					    "twice", k->name, (int)len, it);
		sl->v[sl->n] = vd_arena_strndup(p->a, it, len);
		if (sl->v[sl->n] == NULL)
			return oom(p);
		sl->n++;
	}
	return 0;
}

/* set_cidrs - trusted_networks: CIDRs or bare addresses, strictly */
static int
set_cidrs(const struct val *p, config_profile *pr, const char *v)
{
	const vd_key *k = p->k;
	const char *it, *s = v;
	size_t len, n = count_items(v);

	pr->ntrusted = 0;
	pr->trusted = vd_arena_array(p->a, n ? n : 1, sizeof(*pr->trusted));
	if (pr->trusted == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		vcidr *c = &pr->trusted[pr->ntrusted];
		char fix[CIDR_TEXT_MAX];

		switch (vd_cidr_parse(it, len, c)) {
		case CIDR_OK:
			break;
		case CIDR_HOSTBITS:
			vd_cidr_format(c, fix);
			return perr(p, "%s: non-null host bits in %.*s; "
				    "did you mean %s?", k->name, (int)len, it,
				    fix);
		default:
			return perr(p, "%s: bad network \"%.*s\" (an "
				    "address or address/length)", k->name,
				    (int)len, it);
		}
		pr->ntrusted++;
	}
	return 0;
}

/* reply_var_known - name (len bytes) is a variable of policy/reply.c */
static int
reply_var_known(const char *name, size_t len)
{
	static const char *const vars[] = {
		"ip", "source", "reason", "cidr", "score", "country", "asn"
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strlen(vars[i]) == len && memcmp(vars[i], name, len) == 0)
			return 1;
	return 0;
}

/* reply_vars - every %{name} of a template is known: a typo would
 * otherwise reach every rejected sender as written */
static int
reply_vars(const struct val *p, const char *v)
{
	const char *s = v, *end;

	while ((s = strstr(s, "%{")) != NULL) {
		if ((end = strchr(s + 2, '}')) == NULL)
			break;
		if (!reply_var_known(s + 2, (size_t)(end - s - 2)))
			return perr(p, "%s: unknown variable %.*s (known: "
				    "%%{ip} %%{source} %%{reason} %%{cidr} "
				    "%%{score} %%{country} %%{asn})",
				    p->k->name, (int)(end - s + 1 > 80 ? 80 :
				    end - s + 1), s);
		s = end + 1;
	}
	return 0;
}

/* set_reply - an SMTP reply line starting with the right class of code,
 * with known variables only */
static int
set_reply(const struct val *p, char **dst, const char *v, size_t vlen)
{
	const vd_key *k = p->k;
	int cls = k->type == K_REPLY5 ? '5' : '4';

	if (vlen > REPLY_MAX)
		return perr(p, "%s: longer than %d bytes", k->name,
			    REPLY_MAX);
	if (vlen < 3 || v[0] != cls || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9' || (v[3] != 0 && v[3] != ' '))
		return perr(p, "%s must start with a %cxx SMTP code, as "
			    "\"%s\"", k->name, cls, cls == '5' ?
			    "554 5.7.1 ..." : "421 4.7.1 ...");
	if (reply_vars(p, v) != 0)
		return -1;
	*dst = vd_arena_strndup(p->a, v, vlen);
	return *dst ? 0 : oom(p);
}

/* set_str - K_STR, K_OPTSTR (empty = NULL) and K_SITES (kept raw, parsed
 * by the DNSBL layer, which reports errors at the key's line) */
static int
set_str(const struct val *p, char *base, const char *v, size_t vlen)
{
	char **dst = (char **)(base + p->k->off);

	if (vlen == 0) {
		*dst = NULL;
	} else if ((*dst = vd_arena_strndup(p->a, v, vlen)) == NULL) {
		return oom(p);
	}
	if (p->k->type == K_SITES)
		((config_profile *)base)->dnsbl_sites_line = p->line;
	return 0;
}

/* set_group - a group name, looked up only when a database file is
 * created (store/db_files.c) */
static int
set_group(const struct val *p, char **dst, const char *v, size_t vlen)
{
	const vd_key *k = p->k;

	if (strpbrk(v, " \t:,") != NULL)
		return perr(p, "%s: bad group name \"%s\"", k->name,
			    v);
	*dst = vd_arena_strndup(p->a, v, vlen);
	return *dst ? 0 : oom(p);
}

/* set_octal - a file mode that leaves the owner able to use the file and
 * does not let every user write it */
static int
set_octal(const struct val *p, unsigned *dst, const char *v, size_t vlen)
{
	const vd_key *k = p->k;
	unsigned m = 0;
	size_t i;

	for (i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '7' || m > 0777)
			break;
		m = m * 8 + (v[i] - '0');
	}
	if (i < vlen || vlen > 4 || m > 0777)
		return perr(p, "%s: bad mode \"%s\" (octal, as "
			    "0660)", k->name, v);
	if ((m & 0600) != 0600)
		return perr(p, "%s: %04o does not give the owner "
			    "read and write access", k->name, m);
	if (m & 0002)
		return perr(p, "%s: %04o lets every user write the database: "
			    "anyone on this host could change what is "
			    "blocked (use 0660 or 0640)", k->name, m);
	*dst = m;
	return 0;
}

/* set_number - K_LONG or K_INT within the key's range */
static int
set_number(const struct val *p, void *dst, const char *v, size_t vlen)
{
	const vd_key *k = p->k;
	long l;

	if (vd_str_parse_long(v, vlen, (long)k->min, (long)k->max, &l))
		return perr(p, "%s: bad number \"%s\" (an integer "
			    "from %lld to %lld)", k->name, v, k->min,
			    k->max);
	if (k->type == K_LONG)
		*(long *)dst = l;
	else
		*(int *)dst = (int)l;
	return 0;
}

/* set_bool - the usual spellings, any case */
static int
set_bool(const struct val *p, int *dst, const char *v, size_t vlen)
{
	if (ascii_ieq(v, vlen, "yes") || ascii_ieq(v, vlen, "true") ||
	    ascii_ieq(v, vlen, "on") || ascii_ieq(v, vlen, "1"))
		*dst = 1;
	else if (ascii_ieq(v, vlen, "no") ||
		 ascii_ieq(v, vlen, "false") ||
		 ascii_ieq(v, vlen, "off") || ascii_ieq(v, vlen, "0"))
		*dst = 0;
	else
		return perr(p, "%s: bad boolean \"%s\" (yes or "
			    "no)", p->k->name, v);
	return 0;
}

/* set_enum - one of the key's words; the error lists them all */
static int
set_enum(const struct val *p, int *dst, const char *v, size_t vlen)
{
	const vd_enumval *e;
	char names[200];
	size_t off = 0;

	for (e = p->k->ev; e->name; e++) {
		if (ascii_ieq(v, vlen, e->name)) {
			*dst = e->value;
			return 0;
		}
		off += snprintf(names + off, sizeof(names) - off,
				"%s%s", off ? "|" : "", e->name);
		if (off >= sizeof(names))
			off = sizeof(names) - 1;
	}
	return perr(p, "%s: bad value \"%s\" (%s)", p->k->name, v,
		    names);
}

/* set_duration - K_DUR_MS into ms, K_DUR_S into whole seconds; the range
 * is in ms for both and is shown in the key's unit */
static int
set_duration(const struct val *p, int64_t *dst, const char *v)
{
	const vd_key *k = p->k;
	int64_t ms;

	if (vd_value_parse_duration(v, &ms) != 0)
		return perr(p, "%s: bad duration \"%s\" (as 1500ms,"
			    " 2s, 5m, 1h, 7d)", k->name, v);
	if (k->type == K_DUR_S && ms % 1000 != 0)
		return perr(p, "%s: \"%s\" is not a whole number "
			    "of seconds", k->name, v);
	if (ms < k->min || ms > k->max)
		return perr(p, "%s: %s is out of range (%lld%s to "
			    "%lld%s)", k->name, v,
			    k->type == K_DUR_S ? k->min / 1000 : k->min,
			    k->type == K_DUR_S ? "s" : "ms",
			    k->type == K_DUR_S ? k->max / 1000 : k->max,
			    k->type == K_DUR_S ? "s" : "ms");
	*dst = k->type == K_DUR_S ? ms / 1000 : ms;
	return 0;
}

/* needs_value - types for which an empty value is an error (lists may be
 * empty, optional strings mean "none") */
static int
needs_value(enum vd_ktype t)
{
	switch (t) {
	case K_STR:
	case K_GROUP:
	case K_OCTAL:
	case K_LONG:
	case K_INT:
	case K_BOOL:
	case K_ENUM:
	case K_DUR_MS:
	case K_DUR_S:
	case K_REPLY5:
	case K_REPLY4:
		return 1;
	default:
		return 0;
	}
}

/* vd_value_set - dispatch on the key's type */
int
vd_value_set(const vd_lexer *lx, vd_arena *a, const vd_key *k, char *base,
	     const char *v, size_t vlen, int line)
{
	struct val p = { lx, a, k, line };
	void *dst = base + k->off;

	if (vlen == 0 && needs_value(k->type))
		return perr(&p, "%s: missing value", k->name);
	switch (k->type) {
	case K_STR:
	case K_OPTSTR:
	case K_SITES:
		return set_str(&p, base, v, vlen);
	case K_GROUP:
		return set_group(&p, dst, v, vlen);
	case K_OCTAL:
		return set_octal(&p, dst, v, vlen);
	case K_LONG:
	case K_INT:
		return set_number(&p, dst, v, vlen);
	case K_BOOL:
		return set_bool(&p, dst, v, vlen);
	case K_ENUM:
		return set_enum(&p, dst, v, vlen);
	case K_DUR_MS:
	case K_DUR_S:
		return set_duration(&p, dst, v);
	case K_CIDRS:
		return set_cidrs(&p, (config_profile *)base, v);
	case K_TABLES:
	case K_SERVERS:
		return set_strlist(&p, dst, v);
	case K_PAIRS:
	case K_MPROFILES:
		return set_pairs(&p, dst, v);
	case K_CWEIGHTS:
	case K_AWEIGHTS:
	case K_COUNTRIES:
	case K_ASNS:
		return set_geo(&p, dst, v);
	case K_REPLY5:
	case K_REPLY4:
		return set_reply(&p, dst, v, vlen);
	}
	return perr(&p, "%s: internal error", k->name);
}
