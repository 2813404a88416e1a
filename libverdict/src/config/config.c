/*
 * config.c - verdict.conf(5): read, check and hold the configuration
 *
 *	vd_config_default		a configuration of defaults only
 *	vd_config_load		parse a file into a new configuration
 *	vd_config_free		free a configuration (one arena)
 *	vd_config_profile_get	[profile N], or NULL when undeclared
 *	vd_config_parse_duration	"1500ms", "2s", "5m", "1h", "7d" into ms
 *
 * The whole file is read at once (at most 1 MiB) and cut into logical
 * lines: a physical line that starts with white space continues the
 * value of the line before it, joined with one space, so a multi-line
 * postscreen_dnsbl_sites value pastes as is.  A '#' at the start of a
 * line or after white space starts a comment; CR before LF is dropped.
 *
 * Every key is described once in the table keys[]: its type, whether
 * it is global-only, where it lives, its range.  A [profile N] section
 * starts as a shallow copy of the global section, so a profile that does
 * not set a list shares the global's storage; nothing is ever modified
 * after parsing, which makes the sharing safe.
 *
 * Diagnostics: exactly one line "FILE:LINE: what" in err; "FILE: what"
 * for errors of the whole file (unreadable, too large).  Checks that need
 * a complete section (dnsbl_min_ttl <= dnsbl_max_ttl) run when the section
 * ends; checks that need the whole file (milter_profiles names declared
 * profiles) run at the end.
 *
 * Limits: file 1 MiB, physical line 64 KiB, reply texts 1000 bytes,
 * profile numbers 1..999.  The parser is not locale dependent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

#define FILE_MAX	(1024 * 1024)
#define LINE_MAX_LEN	(64 * 1024)
#define REPLY_MAX	1000
#define WEIGHT_MAX	1000000
#define DUR_DAY_MS	(86400LL * 1000)

/*
 * The arena: a list of chunks, bump allocation, freed at once.
 */
struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};

#define ARENA_ALIGN	(sizeof(max_align_t))
#define ARENA_CHUNK	(16 * 1024)

/* arena_alloc - n zeroed bytes that live until arena_free */
static void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = calloc(1, sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->size = sz;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

/* arena_array - n elements of size sz, overflow-checked */
static void *
arena_array(struct arena *a, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		return NULL;
	return arena_alloc(a, n * sz);
}

static char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

static void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/*
 * The keys.
 */
enum ktype {
	K_STR,		/* non-empty string */
	K_OPTSTR,	/* string, empty = NULL */
	K_GROUP,	/* a group name, not resolved here */
	K_OCTAL,	/* database_mode */
	K_LONG,		/* decimal in [min, max] */
	K_INT,		/* decimal in [min, max] */
	K_BOOL,
	K_ENUM,
	K_DUR_MS,	/* duration in ms, [min, max] ms */
	K_DUR_S,	/* duration in whole seconds, [min, max] ms */
	K_CIDRS,	/* trusted_networks */
	K_TABLES,	/* allow_tables, block_tables */
	K_SERVERS,	/* dns_servers */
	K_PAIRS,	/* dnsbl_reply_names */
	K_MPROFILES,	/* milter_profiles */
	K_CWEIGHTS,	/* country_weights */
	K_AWEIGHTS,	/* asn_weights */
	K_COUNTRIES,	/* block_countries, allow_countries */
	K_ASNS,		/* block_asns, allow_asns */
	K_REPLY5,	/* reply */
	K_REPLY4,	/* tempfail_reply */
	K_SITES,	/* dnsbl_sites */
};

struct enumval {
	const char *name;
	int value;
};

static const struct enumval e_mode[] = {
	{"enforce", MODE_ENFORCE}, {"monitor", MODE_MONITOR}, {NULL, 0}};
static const struct enumval e_log[] = {
	{"block", LOG_VERDICTS_BLOCK}, {"all", LOG_VERDICTS_ALL},
	{"none", LOG_VERDICTS_NONE}, {NULL, 0}};
static const struct enumval e_dnsfail[] = {
	{"neutral", DNSFAIL_NEUTRAL}, {"tempfail", DNSFAIL_TEMPFAIL},
	{NULL, 0}};
static const struct enumval e_ctf[] = {
	{"pass", CALLOUT_TEMPFAIL_PASS}, {"reject", CALLOUT_TEMPFAIL_REJECT},
	{NULL, 0}};
static const struct enumval e_stage[] = {
	{"connect", MILTER_STAGE_CONNECT}, {"mail", MILTER_STAGE_MAIL},
	{NULL, 0}};

struct key {
	const char *name;
	enum ktype type;
	int global;		/* 1: offset into vd_config, global-only */
	size_t off;
	long long min, max;
	const struct enumval *ev;
};

#define G(f)	1, offsetof(vd_config, f)
#define P(f)	0, offsetof(config_profile, f)

static const struct key keys[] = {
	/* global-only */
	{"database", K_STR, G(database), 0, 0, NULL},
	{"database_mode", K_OCTAL, G(database_mode), 0, 0777, NULL},
	{"database_group", K_GROUP, G(database_group), 0, 0, NULL},
	{"dns_servers", K_SERVERS, G(dns_servers), 0, 0, NULL},
	{"cache_size", K_LONG, G(cache_size), 0, 100000000, NULL},
	{"geoip_country_db", K_OPTSTR, G(geoip_country_db), 0, 0, NULL},
	{"geoip_asn_db", K_OPTSTR, G(geoip_asn_db), 0, 0, NULL},
	{"geoip_check_interval", K_DUR_S, G(geoip_check_interval),
	 1000, DUR_DAY_MS, NULL},
	{"milter_socket", K_STR, G(milter_socket), 0, 0, NULL},
	{"milter_user", K_OPTSTR, G(milter_user), 0, 0, NULL},
	{"milter_pidfile", K_OPTSTR, G(milter_pidfile), 0, 0, NULL},
	{"milter_timeout", K_DUR_S, G(milter_timeout), 1000, 7 * DUR_DAY_MS,
	 NULL},
	{"milter_stage", K_ENUM, G(milter_stage), 0, 0, e_stage},
	{"milter_profiles", K_MPROFILES, G(milter_profiles), 0, 0, NULL},
	{"stats_interval", K_DUR_S, G(stats_interval), 1000, 7 * DUR_DAY_MS,
	 NULL},
	{"log_rate_limit", K_LONG, G(log_rate_limit), 0, 1000000, NULL},
	/* per profile */
	{"trusted_networks", K_CIDRS, P(trusted), 0, 0, NULL},
	{"allow_tables", K_TABLES, P(allow_tables), 0, 0, NULL},
	{"block_tables", K_TABLES, P(block_tables), 0, 0, NULL},
	{"mode", K_ENUM, P(mode), 0, 0, e_mode},
	{"reply", K_REPLY5, P(reply), 0, 0, NULL},
	{"tempfail_reply", K_REPLY4, P(tempfail_reply), 0, 0, NULL},
	{"log_verdicts", K_ENUM, P(log_verdicts), 0, 0, e_log},
	{"dnsbl_sites", K_SITES, P(dnsbl_sites), 0, 0, NULL},
	{"dnsbl_threshold", K_INT, P(dnsbl_threshold), 1, WEIGHT_MAX, NULL},
	{"dnsbl_allowlist_threshold", K_INT, P(dnsbl_allowlist_threshold),
	 -WEIGHT_MAX, 0, NULL},
	{"dnsbl_timeout", K_DUR_MS, P(dnsbl_timeout_ms), 1, 60000, NULL},
	{"dnsbl_min_ttl", K_DUR_S, P(dnsbl_min_ttl), 0, 7 * DUR_DAY_MS, NULL},
	{"dnsbl_max_ttl", K_DUR_S, P(dnsbl_max_ttl), 0, 7 * DUR_DAY_MS, NULL},
	{"dnsbl_reply_names", K_PAIRS, P(dnsbl_reply_names), 0, 0, NULL},
	{"dnsbl_wait_all", K_BOOL, P(dnsbl_wait_all), 0, 0, NULL},
	{"dnsbl_txt", K_BOOL, P(dnsbl_txt), 0, 0, NULL},
	{"on_dns_failure", K_ENUM, P(on_dns_failure), 0, 0, e_dnsfail},
	{"country_weights", K_CWEIGHTS, P(country_weights), 0, 0, NULL},
	{"asn_weights", K_AWEIGHTS, P(asn_weights), 0, 0, NULL},
	{"block_countries", K_COUNTRIES, P(block_countries), 0, 0, NULL},
	{"block_asns", K_ASNS, P(block_asns), 0, 0, NULL},
	{"allow_countries", K_COUNTRIES, P(allow_countries), 0, 0, NULL},
	{"allow_asns", K_ASNS, P(allow_asns), 0, 0, NULL},
	{"callout_timeout", K_DUR_MS, P(callout_timeout_ms), 1, 60000, NULL},
	{"callout_tempfail", K_ENUM, P(callout_tempfail), 0, 0, e_ctf},
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/*
 * The parser state.
 */
struct parser {
	const char *path;
	char *err;
	size_t errlen;
	struct arena *a;
	vd_config *cfg;
	config_profile *cur;		/* section being filled */
	int section;			/* 0 = global, else N */
	int set_line[NKEYS];		/* where each key was set in it */
	int prof_line[CONFIG_PROFILE_MAX + 1];	/* header lines */
	config_profile *prof[CONFIG_PROFILE_MAX + 1];
	int mprofiles_line;
};

static int
perr(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* perr - "FILE:LINE: what" into the caller's buffer; returns -1 */
static int
perr(struct parser *p, int line, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
	return -1;
}

static int
oom(struct parser *p)
{
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s: out of memory", p->path);
	return -1;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
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

/* vd_config_parse_duration - a number and a unit; bare numbers are seconds */
int
vd_config_parse_duration(const char *s, int64_t *ms)
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

/* valid_table_name - [a-z0-9_-]{1,64}, the rule of table.c */
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
set_geo(struct parser *p, const struct key *k, config_geolist *gl,
	const char *v, int line)
{
	int weighted = k->type == K_CWEIGHTS || k->type == K_AWEIGHTS;
	int asn = k->type == K_AWEIGHTS || k->type == K_ASNS;
	const char *it, *s = v;
	size_t len, n = count_items(v), i;

	gl->n = 0;
	gl->v = arena_array(p->a, n ? n : 1, sizeof(*gl->v));
	if (gl->v == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		config_geo_item *g = &gl->v[gl->n];
		const char *star = memchr(it, '*', len);
		size_t ilen = star ? (size_t)(star - it) : len;

		if (weighted && star == NULL)
			return perr(p, line, "%s: \"%.*s\" has no weight; "
				    "write %s*WEIGHT", k->name, (int)len, it,
				    asn ? "ASN" : "CC");
		if (!weighted && star)
			return perr(p, line, "%s: \"%.*s\": %s takes no "
				    "weights", k->name, (int)len, it, k->name);
		if (star) {
			long w;

			if (vd_util_parse_long(star + 1, it + len - star - 1,
					    -WEIGHT_MAX, WEIGHT_MAX, &w) != 0)
				return perr(p, line, "%s: bad weight in \"%.*s\""
					    " (an integer from %d to %d)",
					    k->name, (int)len, it,
					    -WEIGHT_MAX, WEIGHT_MAX);
			g->weight = (int)w;
		}
		if (asn) {
			if (parse_asn(it, ilen, &g->asn) != 0)
				return perr(p, line, "%s: bad ASN \"%.*s\" "
					    "(1 to 4294967295, AS prefix "
					    "allowed)", k->name, (int)ilen, it);
		} else if (parse_country(it, ilen, g->country) != 0) {
			return perr(p, line, "%s: bad country code \"%.*s\" "
				    "(two letters, as CN)", k->name, (int)ilen,
				    it);
		}
		for (i = 0; i < gl->n; i++)
			if (gl->v[i].asn == g->asn &&
			    strcmp(gl->v[i].country, g->country) == 0)
				return perr(p, line, "%s: \"%.*s\" is listed "
					    "twice", k->name, (int)ilen, it);
		gl->n++;
	}
	return 0;
}

/* set_pairs - "name=value" items; milter_profiles values are N or none */
static int
set_pairs(struct parser *p, const struct key *k, config_pairlist *pl,
	  const char *v, int line)
{
	const char *it, *s = v;
	size_t len, n = count_items(v), i;

	pl->n = 0;
	pl->v = arena_array(p->a, n ? n : 1, sizeof(*pl->v));
	if (pl->v == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		const char *eq = memchr(it, '=', len);
		config_pair *c = &pl->v[pl->n];
		size_t nlen, vlen;

		if (eq == NULL || eq == it || eq == it + len - 1)
			return perr(p, line, "%s: bad item \"%.*s\"; expected "
				    "name=value", k->name, (int)len, it);
		nlen = eq - it;
		vlen = it + len - eq - 1;
		if (k->type == K_MPROFILES && !ascii_ieq(eq + 1, vlen, "none")) {
			uint64_t num;

			if (parse_u64(eq + 1, vlen, CONFIG_PROFILE_MAX, &num)
			    != 0 || num == 0)
				return perr(p, line, "%s: bad profile \"%.*s\" "
					    "(a profile number 1..%d or none)",
					    k->name, (int)vlen, eq + 1,
					    CONFIG_PROFILE_MAX);
		}
		for (i = 0; i < pl->n; i++)
			if (strlen(pl->v[i].name) == nlen &&
			    memcmp(pl->v[i].name, it, nlen) == 0)
				return perr(p, line, "%s: \"%.*s\" is listed "
					    "twice", k->name, (int)nlen, it);
		c->name = arena_strndup(p->a, it, nlen);
		c->value = k->type == K_MPROFILES &&
		    ascii_ieq(eq + 1, vlen, "none") ?
		    arena_strndup(p->a, "none", 4) :
		    arena_strndup(p->a, eq + 1, vlen);
		if (c->name == NULL || c->value == NULL)
			return oom(p);
		pl->n++;
	}
	if (k->type == K_MPROFILES)
		p->mprofiles_line = line;
	return 0;
}

/* set_strlist - table names or DNS servers */
static int
set_strlist(struct parser *p, const struct key *k, config_strlist *sl,
	    const char *v, int line)
{
	const char *it, *s = v;
	size_t len, n = count_items(v), i;

	sl->n = 0;
	sl->v = arena_array(p->a, n ? n : 1, sizeof(*sl->v));
	if (sl->v == NULL)
		return oom(p);
	while (next_item(&s, &it, &len)) {
		if (k->type == K_TABLES && !valid_table_name(it, len))
			return perr(p, line, "%s: bad table name \"%.*s\" "
				    "(1 to 64 of a-z 0-9 _ -)", k->name,
				    (int)len, it);
		if (k->type == K_SERVERS && !valid_server(it, len))
			return perr(p, line, "%s: bad server \"%.*s\" (an "
				    "address, a.b.c.d:port or [v6]:port)",
				    k->name, (int)len, it);
		for (i = 0; i < sl->n; i++)
			if (strlen(sl->v[i]) == len &&
			    memcmp(sl->v[i], it, len) == 0)
				return perr(p, line, "%s: \"%.*s\" is listed "
					    "twice", k->name, (int)len, it);
		sl->v[sl->n] = arena_strndup(p->a, it, len);
		if (sl->v[sl->n] == NULL)
			return oom(p);
		sl->n++;
	}
	return 0;
}

/* set_cidrs - trusted_networks: CIDRs or bare addresses, strictly */
static int
set_cidrs(struct parser *p, const struct key *k, config_profile *pr,
	  const char *v, int line)
{
	const char *it, *s = v;
	size_t len, n = count_items(v);

	pr->ntrusted = 0;
	pr->trusted = arena_array(p->a, n ? n : 1, sizeof(*pr->trusted));
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
			return perr(p, line, "%s: non-null host bits in %.*s; "
				    "did you mean %s?", k->name, (int)len, it,
				    fix);
		default:
			return perr(p, line, "%s: bad network \"%.*s\" (an "
				    "address or address/length)", k->name,
				    (int)len, it);
		}
		pr->ntrusted++;
	}
	return 0;
}

/* set_reply - an SMTP reply line starting with the right class of code */
static int
set_reply(struct parser *p, const struct key *k, char **dst, const char *v,
	  size_t vlen, int line)
{
	int cls = k->type == K_REPLY5 ? '5' : '4';

	if (vlen > REPLY_MAX)
		return perr(p, line, "%s: longer than %d bytes", k->name,
			    REPLY_MAX);
	if (vlen < 3 || v[0] != cls || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9' || (v[3] != 0 && v[3] != ' '))
		return perr(p, line, "%s must start with a %cxx SMTP code, as "
			    "\"%s\"", k->name, cls, cls == '5' ?
			    "554 5.7.1 ..." : "421 4.7.1 ...");
	*dst = arena_strndup(p->a, v, vlen);
	return *dst ? 0 : oom(p);
}

/* set_value - check value v of key k and store it in the section */
static int
set_value(struct parser *p, const struct key *k, const char *v, size_t vlen,
	  int line)
{
	char *base = k->global ? (char *)p->cfg : (char *)p->cur;
	void *dst = base + k->off;
	int64_t ms;
	long l;
	const struct enumval *e;

	if (vlen == 0 && (k->type == K_STR || k->type == K_GROUP ||
			  k->type == K_OCTAL || k->type == K_LONG ||
			  k->type == K_INT || k->type == K_BOOL ||
			  k->type == K_ENUM || k->type == K_DUR_MS ||
			  k->type == K_DUR_S || k->type == K_REPLY5 ||
			  k->type == K_REPLY4))
		return perr(p, line, "%s: missing value", k->name);
	switch (k->type) {
	case K_STR:
	case K_OPTSTR:
	case K_SITES:
		if (vlen == 0) {
			*(char **)dst = NULL;
		} else if ((*(char **)dst = arena_strndup(p->a, v, vlen))
			   == NULL) {
			return oom(p);
		}
		if (k->type == K_SITES)
			p->cur->dnsbl_sites_line = line;
		return 0;
	case K_GROUP:
		if (strpbrk(v, " \t:,") != NULL)
			return perr(p, line, "%s: bad group name \"%s\"",
				    k->name, v);
		*(char **)dst = arena_strndup(p->a, v, vlen);
		return *(char **)dst ? 0 : oom(p);
	case K_OCTAL: {
		unsigned m = 0;
		size_t i;

		for (i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '7' || m > 0777)
				break;
			m = m * 8 + (v[i] - '0');
		}
		if (i < vlen || vlen > 4 || m > 0777)
			return perr(p, line, "%s: bad mode \"%s\" (octal, as "
				    "0660)", k->name, v);
		if ((m & 0600) != 0600)
			return perr(p, line, "%s: %04o does not give the owner "
				    "read and write access", k->name, m);
		*(unsigned *)dst = m;
		return 0;
	}
	case K_LONG:
	case K_INT:
		if (vd_util_parse_long(v, vlen, (long)k->min, (long)k->max, &l))
			return perr(p, line, "%s: bad number \"%s\" (an integer "
				    "from %lld to %lld)", k->name, v, k->min,
				    k->max);
		if (k->type == K_LONG)
			*(long *)dst = l;
		else
			*(int *)dst = (int)l;
		return 0;
	case K_BOOL:
		if (ascii_ieq(v, vlen, "yes") || ascii_ieq(v, vlen, "true") ||
		    ascii_ieq(v, vlen, "on") || ascii_ieq(v, vlen, "1"))
			*(int *)dst = 1;
		else if (ascii_ieq(v, vlen, "no") ||
			 ascii_ieq(v, vlen, "false") ||
			 ascii_ieq(v, vlen, "off") || ascii_ieq(v, vlen, "0"))
			*(int *)dst = 0;
		else
			return perr(p, line, "%s: bad boolean \"%s\" (yes or "
				    "no)", k->name, v);
		return 0;
	case K_ENUM: {
		char names[200];
		size_t off = 0;

		for (e = k->ev; e->name; e++) {
			if (ascii_ieq(v, vlen, e->name)) {
				*(int *)dst = e->value;
				return 0;
			}
			off += snprintf(names + off, sizeof(names) - off,
					"%s%s", off ? "|" : "", e->name);
			if (off >= sizeof(names))
				off = sizeof(names) - 1;
		}
		return perr(p, line, "%s: bad value \"%s\" (%s)", k->name, v,
			    names);
	}
	case K_DUR_MS:
	case K_DUR_S:
		if (vd_config_parse_duration(v, &ms) != 0)
			return perr(p, line, "%s: bad duration \"%s\" (as 1500ms,"
				    " 2s, 5m, 1h, 7d)", k->name, v);
		if (k->type == K_DUR_S && ms % 1000 != 0)
			return perr(p, line, "%s: \"%s\" is not a whole number "
				    "of seconds", k->name, v);
		if (ms < k->min || ms > k->max)
			return perr(p, line, "%s: %s is out of range (%lld%s to "
				    "%lld%s)", k->name, v,
				    k->type == K_DUR_S ? k->min / 1000 : k->min,
				    k->type == K_DUR_S ? "s" : "ms",
				    k->type == K_DUR_S ? k->max / 1000 : k->max,
				    k->type == K_DUR_S ? "s" : "ms");
		*(int64_t *)dst = k->type == K_DUR_S ? ms / 1000 : ms;
		return 0;
	case K_CIDRS:
		return set_cidrs(p, k, p->cur, v, line);
	case K_TABLES:
	case K_SERVERS:
		return set_strlist(p, k, dst, v, line);
	case K_PAIRS:
	case K_MPROFILES:
		return set_pairs(p, k, dst, v, line);
	case K_CWEIGHTS:
	case K_AWEIGHTS:
	case K_COUNTRIES:
	case K_ASNS:
		return set_geo(p, k, dst, v, line);
	case K_REPLY5:
	case K_REPLY4:
		return set_reply(p, k, dst, v, vlen, line);
	}
	return perr(p, line, "%s: internal error", k->name);
}

/* edit_distance - Levenshtein, for "did you mean"; keys are short */
static size_t
edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), i, j, row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* apply - one complete "key = value" */
static int
apply(struct parser *p, const char *key, size_t klen, const char *v,
      size_t vlen, int line)
{
	const struct key *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == klen &&
		    memcmp(keys[i].name, key, klen) == 0)
			break;
	if (i == NKEYS) {
		for (i = 0; i < NKEYS; i++) {
			d = edit_distance(key, klen, keys[i].name);
			if (d < bestd) {
				bestd = d;
				best = &keys[i];
			}
		}
		if (best)
			return perr(p, line, "unknown key \"%.*s\"; did you "
				    "mean \"%s\"?", (int)klen, key, best->name);
		return perr(p, line, "unknown key \"%.*s\"", (int)klen, key);
	}
	if (keys[i].global && p->section)
		return perr(p, line, "\"%s\" is a global key; move it above "
			    "the first [profile]", keys[i].name);
	if (p->set_line[i])
		return perr(p, line, "\"%s\" is set twice in %s; first set at "
			    "line %d", keys[i].name, p->section ?
			    "this [profile]" : "the global section",
			    p->set_line[i]);
	p->set_line[i] = line;
	return set_value(p, &keys[i], v, vlen, line);
}

static int
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* end_section - checks that need the whole section */
static int
end_section(struct parser *p)
{
	const config_profile *c = p->cur;
	int lmin = p->set_line[key_index("dnsbl_min_ttl")];
	int lmax = p->set_line[key_index("dnsbl_max_ttl")];

	if (c->dnsbl_min_ttl > c->dnsbl_max_ttl)
		return perr(p, lmin > lmax ? lmin : lmax, "dnsbl_min_ttl (%llds)"
			    " is greater than dnsbl_max_ttl (%llds)",
			    (long long)c->dnsbl_min_ttl,
			    (long long)c->dnsbl_max_ttl);
	return 0;
}

/* section - a "[profile N]" header line (comment already cut) */
static int
section(struct parser *p, const char *s, size_t len, int line)
{
	const char *end = s + len, *num;
	uint64_t n;
	config_profile *pr;

	s++;				/* '[' */
	while (s < end && is_ws(*s))
		s++;
	if ((size_t)(end - s) < 7 || memcmp(s, "profile", 7) != 0 ||
	    s + 7 == end || !is_ws(s[7]))
		goto bad;
	s += 7;
	while (s < end && is_ws(*s))
		s++;
	num = s;
	while (s < end && *s >= '0' && *s <= '9')
		s++;
	if (parse_u64(num, s - num, CONFIG_PROFILE_MAX, &n) != 0 || n == 0)
		goto bad;
	while (s < end && is_ws(*s))
		s++;
	if (s + 1 != end || *s != ']')
		goto bad;
	if (p->prof_line[n])
		return perr(p, line, "[profile %d] is declared twice; first at "
			    "line %d", (int)n, p->prof_line[n]);
	if (end_section(p) != 0)
		return -1;
	if ((pr = arena_alloc(p->a, sizeof(*pr))) == NULL)
		return oom(p);
	*pr = p->cfg->global;
	pr->number = (int)n;
	p->prof[n] = pr;
	p->prof_line[n] = line;
	p->cur = pr;
	p->section = (int)n;
	memset(p->set_line, 0, sizeof(p->set_line));
	return 0;
bad:
	return perr(p, line, "bad section header; expected [profile N] with N "
		    "from 1 to %d", CONFIG_PROFILE_MAX);
}

/* pending - the logical line being assembled from continuation lines */
struct pending {
	int line;			/* 0 = none */
	const char *key;
	size_t klen;
	char *buf;
	size_t len, cap;
};

static int
pend_add(struct pending *pd, const char *s, size_t len)
{
	size_t need = pd->len + len + 2;

	if (need > pd->cap) {
		size_t cap = pd->cap ? pd->cap : 256;
		char *n;

		while (cap < need)
			cap *= 2;
		if ((n = realloc(pd->buf, cap)) == NULL)
			return -1;
		pd->buf = n;
		pd->cap = cap;
	}
	if (pd->len && len)
		pd->buf[pd->len++] = ' ';
	memcpy(pd->buf + pd->len, s, len);
	pd->len += len;
	pd->buf[pd->len] = 0;
	return 0;
}

static int
flush(struct parser *p, struct pending *pd)
{
	int rc = 0;

	if (pd->line)
		rc = apply(p, pd->key, pd->klen, pd->len ? pd->buf : "",
			   pd->len, pd->line);
	pd->line = 0;
	pd->len = 0;
	return rc;
}

/* parse - the whole text; lines are cut here, values applied in flush */
static int
parse(struct parser *p, const char *text, size_t size)
{
	struct pending pd = {0};
	const char *s = text, *end = text + size;
	int line = 0, rc = -1;

	if (size >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		const char *e = nl ? nl : end, *c, *k;
		size_t len;

		line++;
		if (e - s > LINE_MAX_LEN) {
			perr(p, line, "line longer than %d bytes", LINE_MAX_LEN);
			goto out;
		}
		if (memchr(s, 0, e - s)) {
			perr(p, line, "NUL byte in the file");
			goto out;
		}
		len = e - s;
		if (len && s[len - 1] == '\r')
			len--;
		/* cut the comment: '#' at the start or after white space */
		for (c = s; c < s + len; c++)
			if (*c == '#' && (c == s || is_ws(c[-1])))
				break;
		len = c - s;
		while (len && is_ws(s[len - 1]))
			len--;
		k = s;
		s = nl ? nl + 1 : end;
		if (len == 0)
			continue;	/* blank or comment only */
		if (is_ws(k[0])) {
			while (is_ws(*k)) {
				k++;
				len--;
			}
			if (pd.line == 0) {
				perr(p, line, "continuation line without a "
				     "\"key = value\" line before it");
				goto out;
			}
			if (pend_add(&pd, k, len) != 0) {
				oom(p);
				goto out;
			}
			continue;
		}
		if (flush(p, &pd) != 0)
			goto out;
		if (k[0] == '[') {
			if (section(p, k, len, line) != 0)
				goto out;
			continue;
		} else {
			const char *kend = k, *v;

			while (kend < k + len && ((*kend >= 'a' && *kend <= 'z')
			       || (*kend >= '0' && *kend <= '9') ||
			       *kend == '_'))
				kend++;
			v = kend;
			while (v < k + len && is_ws(*v))
				v++;
			if (kend == k || v == k + len || *v != '=') {
				size_t bl = strcspn(k, " \t=");

				if (bl > len)
					bl = len;
				if (kend < k + len && !is_ws(*kend) &&
				    *kend != '=')
					perr(p, line, "bad key \"%.*s\"; keys "
					     "are a-z, 0-9 and _", (int)bl, k);
				else
					perr(p, line, "expected \"key = "
					     "value\"");
				goto out;
			}
			v++;
			while (v < k + len && is_ws(*v))
				v++;
			pd.line = line;
			pd.key = k;
			pd.klen = kend - k;
			pd.len = 0;
			if (pend_add(&pd, v, k + len - v) != 0) {
				oom(p);
				goto out;
			}
		}
	}
	if (flush(p, &pd) != 0 || end_section(p) != 0)
		goto out;
	rc = 0;
out:
	free(pd.buf);
	return rc;
}

/* set_defaults - every default of config.h, strings in the arena */
static int
set_defaults(struct arena *a, vd_config *cfg)
{
	config_profile *g = &cfg->global;

	cfg->database = arena_strndup(a, CONFIG_DEFAULT_DATABASE,
				      strlen(CONFIG_DEFAULT_DATABASE));
	cfg->database_mode = 0660;
	cfg->cache_size = 100000;
	cfg->geoip_check_interval = 60;
	cfg->milter_socket = arena_strndup(a, "inet:8895@127.0.0.1", 19);
	cfg->milter_timeout = 7200;
	cfg->milter_stage = MILTER_STAGE_CONNECT;
	cfg->stats_interval = 3600;
	cfg->log_rate_limit = 100;
	g->number = 0;
	g->mode = MODE_ENFORCE;
	g->reply = arena_strndup(a, CONFIG_DEFAULT_REPLY,
				 strlen(CONFIG_DEFAULT_REPLY));
	g->tempfail_reply = arena_strndup(a, CONFIG_DEFAULT_TEMPFAIL_REPLY,
					  strlen(CONFIG_DEFAULT_TEMPFAIL_REPLY));
	g->log_verdicts = LOG_VERDICTS_BLOCK;
	g->dnsbl_threshold = 1;
	g->dnsbl_allowlist_threshold = 0;
	g->dnsbl_timeout_ms = 1500;
	g->dnsbl_min_ttl = 60;
	g->dnsbl_max_ttl = 3600;
	g->on_dns_failure = DNSFAIL_NEUTRAL;
	g->callout_timeout_ms = 1000;
	g->callout_tempfail = CALLOUT_TEMPFAIL_PASS;
	if (cfg->database == NULL || cfg->milter_socket == NULL ||
	    g->reply == NULL || g->tempfail_reply == NULL)
		return -1;
	return 0;
}

static vd_config *
config_new(void)
{
	struct arena *a = calloc(1, sizeof(*a));
	vd_config *cfg;

	if (a == NULL)
		return NULL;
	if ((cfg = arena_alloc(a, sizeof(*cfg))) == NULL ||
	    set_defaults(a, cfg) != 0) {
		arena_free(a);
		return NULL;
	}
	cfg->arena = a;
	return cfg;
}

/* finish - the profile array (profile 1 implicit), cross-section checks */
static int
finish(struct parser *p)
{
	vd_config *cfg = p->cfg;
	size_t n = 0, i;
	int num;

	if (p->prof[1] == NULL) {
		if ((p->prof[1] = arena_alloc(p->a, sizeof(config_profile)))
		    == NULL)
			return oom(p);
		*p->prof[1] = cfg->global;
		p->prof[1]->number = 1;
	}
	for (num = 1; num <= CONFIG_PROFILE_MAX; num++)
		n += p->prof[num] != NULL;
	cfg->profiles = arena_array(p->a, n, sizeof(*cfg->profiles));
	if (cfg->profiles == NULL)
		return oom(p);
	for (num = 1; num <= CONFIG_PROFILE_MAX; num++)
		if (p->prof[num])
			cfg->profiles[cfg->nprofiles++] = *p->prof[num];
	for (i = 0; i < cfg->milter_profiles.n; i++) {
		const char *v = cfg->milter_profiles.v[i].value;
		uint64_t m;

		if (strcmp(v, "none") == 0)
			continue;
		if (parse_u64(v, strlen(v), CONFIG_PROFILE_MAX, &m) != 0 ||
		    vd_config_profile_get(cfg, (int)m) == NULL)
			return perr(p, p->mprofiles_line, "milter_profiles: "
				    "%s=%s names [profile %s], which is not "
				    "declared", cfg->milter_profiles.v[i].name,
				    v, v);
	}
	return 0;
}

vd_config *
vd_config_default(void)
{
	vd_config *cfg = config_new();

	if (cfg == NULL)
		return NULL;
	cfg->profiles = arena_alloc(cfg->arena, sizeof(*cfg->profiles));
	if (cfg->profiles == NULL) {
		vd_config_free(cfg);
		return NULL;
	}
	cfg->profiles[0] = cfg->global;
	cfg->profiles[0].number = 1;
	cfg->nprofiles = 1;
	return cfg;
}

/* read_file - the whole file, at most FILE_MAX bytes */
static char *
read_file(const char *path, size_t *size, char *err, size_t errlen,
	  int *errno_out)
{
	char *buf = NULL;
	size_t len = 0, cap = 4096;
	ssize_t r;
	struct stat st;
	int fd, e = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		goto out;
	}
	/* the file's size (+1 to see the end), growing if it grows */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size < FILE_MAX)
		cap = (size_t)st.st_size + 2;
	if ((buf = malloc(cap)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	while (len <= FILE_MAX) {
		if (len + 1 >= cap && cap < FILE_MAX + 2) {
			size_t nc = cap * 2 > FILE_MAX + 2 ? FILE_MAX + 2 :
				    cap * 2;
			char *nb = realloc(buf, nc);

			if (nb == NULL) {
				e = ENOMEM;
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	if (buf && e == 0)
		buf[len <= FILE_MAX ? len : FILE_MAX] = 0;
	if (len > FILE_MAX) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		free(buf);
		buf = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (e) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		free(buf);
		buf = NULL;
	}
	if (errno_out)
		*errno_out = e;
	*size = len;
	return buf;
}

int
vd_config_load(const char *path, vd_config **out, char *err, size_t errlen,
	    int *errno_out)
{
	struct parser *p = NULL;
	vd_config *cfg = NULL;
	char *text;
	size_t size;
	int rc = -1;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	if ((text = read_file(path, &size, err, errlen, errno_out)) == NULL)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (cfg = config_new()) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		if (errno_out)
			*errno_out = ENOMEM;
		goto out;
	}
	p->path = path;
	p->err = err;
	p->errlen = errlen;
	p->a = cfg->arena;
	p->cfg = cfg;
	p->cur = &cfg->global;
	if ((cfg->path = arena_strndup(p->a, path, strlen(path))) == NULL) {
		oom(p);
		goto out;
	}
	cfg->global.file = cfg->path;
	if (parse(p, text, size) != 0 || finish(p) != 0)
		goto out;
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	vd_config_free(cfg);
	free(p);
	free(text);
	return rc;
}

void
vd_config_free(vd_config *cfg)
{
	if (cfg)
		arena_free(cfg->arena);
}

const config_profile *
vd_config_profile_get(const vd_config *cfg, int n)
{
	size_t lo = 0, hi = cfg->nprofiles;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cfg->profiles[mid].number == n)
			return &cfg->profiles[mid];
		if (cfg->profiles[mid].number < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
