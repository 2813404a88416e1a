/*
 * config_t.c - verdict.conf parsing: defaults, every key, every error
 *
 * Values are compared as text: show() renders any key of a profile (or
 * of the global section) the way a user would write it, so one table
 * row is "config text, profile, key, expected value".  Error rows are
 * "config text, expected 'FILE:LINE: ...' substring".  The lexer alone is
 * in lexer_t.c, durations in value_t.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "testutil.h"

static char *
load_text(const char *text, vd_config **cfg, char *err, size_t errlen)
{
	static int seq;
	char name[32];
	char *path;
	int e = -1;

	snprintf(name, sizeof(name), "t%d.conf", ++seq);
	path = tu_write(tu_tmpdir(), name, text);
	if (vd_config_load(path, cfg, err, errlen, &e) != 0)
		ck_assert_int_eq(e, 0);
	return path;
}

static void
cat(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? "," : "", s);
}

static const char *const enum_mode[] = {"enforce", "monitor"};
static const char *const enum_log[] = {"block", "all", "none"};
static const char *const enum_dnsfail[] = {"neutral", "tempfail"};
static const char *const enum_ctf[] = {"pass", "reject"};
static const char *const enum_stage[] = {"connect", "mail"};

static void
show_strlist(const config_strlist *l, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cat(buf, size, l->v[i]);
}

static void
show_pairs(const config_pairlist *l, char *buf, size_t size)
{
	char item[300];
	size_t i;

	for (i = 0; i < l->n; i++) {
		snprintf(item, sizeof(item), "%s=%s", l->v[i].name,
			 l->v[i].value);
		cat(buf, size, item);
	}
}

static void
show_geo(const config_geolist *l, int weighted, char *buf, size_t size)
{
	char item[64];
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].country[0])
			snprintf(item, sizeof(item), "%s", l->v[i].country);
		else
			snprintf(item, sizeof(item), "%u",
				 (unsigned)l->v[i].asn);
		if (weighted)
			snprintf(item + strlen(item), sizeof(item) -
				 strlen(item), "*%d", l->v[i].weight);
		cat(buf, size, item);
	}
}

#define S(x)	snprintf(buf, size, "%s", (x) ? (x) : "(null)")
#define N(x)	snprintf(buf, size, "%lld", (long long)(x))

/* show - key's value as text; profile keys from pr, global keys from cfg */
static void
show(const vd_config *c, const config_profile *pr, const char *key,
     char *buf, size_t size)
{
	size_t i;

	buf[0] = 0;
	if (!strcmp(key, "database")) S(c->database);
	else if (!strcmp(key, "database_mode"))
		snprintf(buf, size, "%04o", c->database_mode);
	else if (!strcmp(key, "database_group")) S(c->database_group);
	else if (!strcmp(key, "dns_servers"))
		show_strlist(&c->dns_servers, buf, size);
	else if (!strcmp(key, "cache_size")) N(c->cache_size);
	else if (!strcmp(key, "geoip_country_db")) S(c->geoip_country_db);
	else if (!strcmp(key, "geoip_asn_db")) S(c->geoip_asn_db);
	else if (!strcmp(key, "geoip_check_interval"))
		N(c->geoip_check_interval);
	else if (!strcmp(key, "milter_socket")) S(c->milter_socket);
	else if (!strcmp(key, "milter_user")) S(c->milter_user);
	else if (!strcmp(key, "milter_pidfile")) S(c->milter_pidfile);
	else if (!strcmp(key, "milter_timeout")) N(c->milter_timeout);
	else if (!strcmp(key, "milter_stage")) S(enum_stage[c->milter_stage]);
	else if (!strcmp(key, "milter_profiles"))
		show_pairs(&c->milter_profiles, buf, size);
	else if (!strcmp(key, "stats_interval")) N(c->stats_interval);
	else if (!strcmp(key, "log_rate_limit")) N(c->log_rate_limit);
	else if (!strcmp(key, "trusted_networks")) {
		for (i = 0; i < pr->ntrusted; i++) {
			char t[CIDR_TEXT_MAX];

			vd_cidr_format(&pr->trusted[i], t);
			cat(buf, size, t);
		}
	} else if (!strcmp(key, "allow_tables"))
		show_strlist(&pr->allow_tables, buf, size);
	else if (!strcmp(key, "block_tables"))
		show_strlist(&pr->block_tables, buf, size);
	else if (!strcmp(key, "mode")) S(enum_mode[pr->mode]);
	else if (!strcmp(key, "reply")) S(pr->reply);
	else if (!strcmp(key, "tempfail_reply")) S(pr->tempfail_reply);
	else if (!strcmp(key, "log_verdicts")) S(enum_log[pr->log_verdicts]);
	else if (!strcmp(key, "dnsbl_sites")) {
		if (pr->dnsbl_sites)
			snprintf(buf, size, "%d:%s", pr->dnsbl_sites_line,
				 pr->dnsbl_sites);
		else
			S(NULL);
	} else if (!strcmp(key, "dnsbl_threshold")) N(pr->dnsbl_threshold);
	else if (!strcmp(key, "dnsbl_allowlist_threshold"))
		N(pr->dnsbl_allowlist_threshold);
	else if (!strcmp(key, "dnsbl_timeout")) N(pr->dnsbl_timeout_ms);
	else if (!strcmp(key, "dnsbl_min_ttl")) N(pr->dnsbl_min_ttl);
	else if (!strcmp(key, "dnsbl_max_ttl")) N(pr->dnsbl_max_ttl);
	else if (!strcmp(key, "dnsbl_reply_names"))
		show_pairs(&pr->dnsbl_reply_names, buf, size);
	else if (!strcmp(key, "dnsbl_wait_all")) N(pr->dnsbl_wait_all);
	else if (!strcmp(key, "dnsbl_txt")) N(pr->dnsbl_txt);
	else if (!strcmp(key, "on_dns_failure"))
		S(enum_dnsfail[pr->on_dns_failure]);
	else if (!strcmp(key, "country_weights"))
		show_geo(&pr->country_weights, 1, buf, size);
	else if (!strcmp(key, "asn_weights"))
		show_geo(&pr->asn_weights, 1, buf, size);
	else if (!strcmp(key, "block_countries"))
		show_geo(&pr->block_countries, 0, buf, size);
	else if (!strcmp(key, "block_asns"))
		show_geo(&pr->block_asns, 0, buf, size);
	else if (!strcmp(key, "allow_countries"))
		show_geo(&pr->allow_countries, 0, buf, size);
	else if (!strcmp(key, "allow_asns"))
		show_geo(&pr->allow_asns, 0, buf, size);
	else if (!strcmp(key, "callout_timeout")) N(pr->callout_timeout_ms);
	else if (!strcmp(key, "callout_tempfail"))
		S(enum_ctf[pr->callout_tempfail]);
	else
		ck_abort_msg("show: no key %s", key);
}

#define DEFAULT_REPLY CONFIG_DEFAULT_REPLY
#define DEFAULT_TEMPFAIL CONFIG_DEFAULT_TEMPFAIL_REPLY

/* Every key of config.h with its documented default. */
static const struct {
	const char *key;
	const char *value;
} defaults[] = {
	{"database", VD_DEFAULT_DATABASE},
	{"database_mode", "0660"},
	{"database_group", "(null)"},
	{"dns_servers", ""},
	{"cache_size", "100000"},
	{"geoip_country_db", "(null)"},
	{"geoip_asn_db", "(null)"},
	{"geoip_check_interval", "60"},
	{"milter_socket", "inet:8895@127.0.0.1"},
	{"milter_user", "(null)"},
	{"milter_pidfile", "(null)"},
	{"milter_timeout", "7200"},
	{"milter_stage", "connect"},
	{"milter_profiles", ""},
	{"stats_interval", "3600"},
	{"log_rate_limit", "100"},
	{"trusted_networks", ""},
	{"allow_tables", ""},
	{"block_tables", ""},
	{"mode", "enforce"},
	{"reply", DEFAULT_REPLY},
	{"tempfail_reply", DEFAULT_TEMPFAIL},
	{"log_verdicts", "block"},
	{"dnsbl_sites", "(null)"},
	{"dnsbl_threshold", "1"},
	{"dnsbl_allowlist_threshold", "0"},
	{"dnsbl_timeout", "1500"},
	{"dnsbl_min_ttl", "60"},
	{"dnsbl_max_ttl", "3600"},
	{"dnsbl_reply_names", ""},
	{"dnsbl_wait_all", "0"},
	{"dnsbl_txt", "0"},
	{"on_dns_failure", "neutral"},
	{"country_weights", ""},
	{"asn_weights", ""},
	{"block_countries", ""},
	{"block_asns", ""},
	{"allow_countries", ""},
	{"allow_asns", ""},
	{"callout_timeout", "1000"},
	{"callout_tempfail", "pass"},
};

/* vd_config_default() and an empty file both give every default, in the
 * global section and in the implicit profile 1. */
START_TEST(test_defaults)
{
	char buf[2048], err[512];
	vd_config *d = vd_config_default(), *e = NULL;
	const char *key = defaults[_i].key;

	ck_assert_ptr_nonnull(d);
	free(load_text("# nothing but a comment\n\n", &e, err, sizeof(err)));
	ck_assert_msg(e != NULL, "%s", err);
	show(d, &d->global, key, buf, sizeof(buf));
	ck_assert_str_eq(buf, defaults[_i].value);
	show(d, vd_config_profile_get(d, 1), key, buf, sizeof(buf));
	ck_assert_str_eq(buf, defaults[_i].value);
	show(e, &e->global, key, buf, sizeof(buf));
	ck_assert_str_eq(buf, defaults[_i].value);
	show(e, vd_config_profile_get(e, 1), key, buf, sizeof(buf));
	ck_assert_str_eq(buf, defaults[_i].value);
	ck_assert_int_eq(e->nprofiles, 1);
	ck_assert_ptr_null(vd_config_profile_get(e, 2));
	ck_assert_ptr_null(vd_config_profile_get(d, 0));
	vd_config_free(d);
	vd_config_free(e);
}
END_TEST

/* label, config text, profile (0 = global section), key, expected */
static const struct {
	const char *label;
	const char *text;
	int profile;
	const char *key;
	const char *expect;
} values[] = {
	{"database", "database = /srv/vd\n", 0, "database", "/srv/vd"},
	{"database_mode", "database_mode = 0640\n", 0, "database_mode",
	 "0640"},
	{"database_mode 600", "database_mode = 600\n", 0, "database_mode",
	 "0600"},
	{"database_group", "database_group = mail\n", 0, "database_group",
	 "mail"},
	{"dns_servers", "dns_servers = 127.0.0.1:5353, [::1]:5353 127.0.0.2"
	 " [::1]\n", 0, "dns_servers",
	 "127.0.0.1:5353,[::1]:5353,127.0.0.2,[::1]"},
	{"cache_size", "cache_size = 0\n", 0, "cache_size", "0"},
	{"cache_size max", "cache_size = 100000000\n", 0, "cache_size",
	 "100000000"},
	{"geoip_country_db", "geoip_country_db = /g/C.mmdb\n", 0,
	 "geoip_country_db", "/g/C.mmdb"},
	{"geoip_asn_db", "geoip_asn_db = /g/A.mmdb\n", 0, "geoip_asn_db",
	 "/g/A.mmdb"},
	{"geoip_check_interval", "geoip_check_interval = 5m\n", 0,
	 "geoip_check_interval", "300"},
	{"milter_socket", "milter_socket = unix:/run/vd.sock\n", 0,
	 "milter_socket", "unix:/run/vd.sock"},
	{"milter_user", "milter_user = verdict\n", 0, "milter_user", "verdict"},
	{"milter_pidfile", "milter_pidfile = /run/vd.pid\n", 0,
	 "milter_pidfile", "/run/vd.pid"},
	{"milter_timeout", "milter_timeout = 1h\n", 0, "milter_timeout",
	 "3600"},
	{"milter_stage", "milter_stage = mail\n", 0, "milter_stage", "mail"},
	{"milter_profiles", "milter_profiles = smtpd=1, submission=none\n", 0,
	 "milter_profiles", "smtpd=1,submission=none"},
	{"milter_profiles declared", "milter_profiles = smtpd=2\n"
	 "[profile 2]\n", 0, "milter_profiles", "smtpd=2"},
	{"stats_interval", "stats_interval = 30s\n", 0, "stats_interval", "30"},
	{"log_rate_limit", "log_rate_limit = 5\n", 0, "log_rate_limit", "5"},
	{"trusted_networks", "trusted_networks = 127.0.0.0/8, ::1 "
	 "192.0.2.7,2001:db8::/32\n", 1, "trusted_networks",
	 "127.0.0.0/8,::1/128,192.0.2.7/32,2001:db8::/32"},
	{"allow_tables", "allow_tables = mx-partners,own_1\n", 1,
	 "allow_tables", "mx-partners,own_1"},
	{"block_tables", "block_tables = drop edrop, dshield\n", 1,
	 "block_tables", "drop,edrop,dshield"},
	{"empty list", "block_tables =\n", 1, "block_tables", ""},
	{"mode", "mode = monitor\n", 1, "mode", "monitor"},
	{"reply", "reply = 550 5.7.1 go away [%{ip}]\n", 1, "reply",
	 "550 5.7.1 go away [%{ip}]"},
	{"tempfail_reply", "tempfail_reply = 450 4.7.1 later\n", 1,
	 "tempfail_reply", "450 4.7.1 later"},
	{"log_verdicts all", "log_verdicts = all\n", 1, "log_verdicts", "all"},
	{"log_verdicts none", "log_verdicts = none\n", 1, "log_verdicts",
	 "none"},
	{"dnsbl_sites", "\n\ndnsbl_sites = zen.spamhaus.org*3\n", 1,
	 "dnsbl_sites", "3:zen.spamhaus.org*3"},
	{"dnsbl_threshold", "dnsbl_threshold = 3\n", 1, "dnsbl_threshold",
	 "3"},
	{"dnsbl_allowlist_threshold", "dnsbl_allowlist_threshold = -2\n", 1,
	 "dnsbl_allowlist_threshold", "-2"},
	{"dnsbl_timeout ms", "dnsbl_timeout = 800ms\n", 1, "dnsbl_timeout",
	 "800"},
	{"dnsbl_timeout bare", "dnsbl_timeout = 2\n", 1, "dnsbl_timeout",
	 "2000"},
	{"dnsbl_min_ttl", "dnsbl_min_ttl = 10\n", 1, "dnsbl_min_ttl", "10"},
	{"dnsbl_max_ttl", "dnsbl_max_ttl = 1d\n", 1, "dnsbl_max_ttl", "86400"},
	{"dnsbl_reply_names", "dnsbl_reply_names = KEY.zen.dq.spamhaus.net="
	 "zen.spamhaus.org, b.example=bl.example\n", 1, "dnsbl_reply_names",
	 "KEY.zen.dq.spamhaus.net=zen.spamhaus.org,b.example=bl.example"},
	{"dnsbl_wait_all", "dnsbl_wait_all = yes\n", 1, "dnsbl_wait_all", "1"},
	{"dnsbl_txt", "dnsbl_txt = on\n", 1, "dnsbl_txt", "1"},
	{"on_dns_failure", "on_dns_failure = tempfail\n", 1, "on_dns_failure",
	 "tempfail"},
	{"country_weights", "country_weights = CN*2, ru*-1\n", 1,
	 "country_weights", "CN*2,RU*-1"},
	{"asn_weights", "asn_weights = 64496*3, AS64511*-2 as7*0\n", 1,
	 "asn_weights", "64496*3,64511*-2,7*0"},
	{"asn max", "asn_weights = 4294967295*1\n", 1, "asn_weights",
	 "4294967295*1"},
	{"block_countries", "block_countries = CN, kp\n", 1, "block_countries",
	 "CN,KP"},
	{"block_asns", "block_asns = AS1 2\n", 1, "block_asns", "1,2"},
	{"allow_countries", "allow_countries = DE\n", 1, "allow_countries",
	 "DE"},
	{"allow_asns", "allow_asns = 3320\n", 1, "allow_asns", "3320"},
	{"callout_timeout", "callout_timeout = 250ms\n", 1, "callout_timeout",
	 "250"},
	{"callout_tempfail", "callout_tempfail = reject\n", 1,
	 "callout_tempfail", "reject"},
	/* booleans */
	{"bool true", "dnsbl_wait_all = true\n", 1, "dnsbl_wait_all", "1"},
	{"bool 1", "dnsbl_wait_all = 1\n", 1, "dnsbl_wait_all", "1"},
	{"bool no", "dnsbl_wait_all = no\n", 1, "dnsbl_wait_all", "0"},
	{"bool false", "dnsbl_wait_all = false\n", 1, "dnsbl_wait_all", "0"},
	{"bool off", "dnsbl_wait_all = off\n", 1, "dnsbl_wait_all", "0"},
	{"bool 0", "dnsbl_wait_all = 0\n", 1, "dnsbl_wait_all", "0"},
	/* grammar */
	{"no spaces", "mode=monitor\n", 1, "mode", "monitor"},
	{"inline comment", "mode = monitor # try it first\n", 1, "mode",
	 "monitor"},
	{"hash inside a word", "reply = 554 5.7.1 see http://x/#a\n", 1,
	 "reply", "554 5.7.1 see http://x/#a"},
	{"reply tag comment", "reply = 554 5.7.1 blocked #tag\n", 1, "reply",
	 "554 5.7.1 blocked"},
	{"CRLF", "mode = monitor\r\nblock_tables = a\r\n", 1, "block_tables",
	 "a"},
	{"no final newline", "block_tables = a", 1, "block_tables", "a"},
	{"continuation", "dnsbl_sites = zen.spamhaus.org=127.0.0.[2..11]*3\n"
	 "    # a comment inside\n"
	 "\n"
	 "\tbl.spamcop.net*2,\n"
	 "    list.dnswl.org=127.0.[0..255].[1..3]*-2\n"
	 "mode = monitor\n", 1, "dnsbl_sites",
	 "1:zen.spamhaus.org=127.0.0.[2..11]*3 bl.spamcop.net*2, "
	 "list.dnswl.org=127.0.[0..255].[1..3]*-2"},
	{"continuation then key", "block_tables = a,\n  b\nmode = monitor\n",
	 1, "block_tables", "a,b"},
	{"continuation CRLF", "block_tables = a\r\n  b  \r\n", 1,
	 "block_tables", "a,b"},
	/* profiles */
	{"profile overrides", "block_tables = drop\nmode = monitor\n"
	 "[profile 2]\nmode = enforce\n", 2, "mode", "enforce"},
	{"profile inherits", "block_tables = drop\nmode = monitor\n"
	 "[profile 2]\nmode = enforce\n", 2, "block_tables", "drop"},
	{"implicit profile 1", "block_tables = drop\n[profile 2]\n"
	 "block_tables =\n", 1, "block_tables", "drop"},
	{"profile empties a list", "block_tables = drop\n[profile 2]\n"
	 "block_tables =\n", 2, "block_tables", ""},
	{"global untouched", "mode = monitor\n[profile 1]\nmode = enforce\n",
	 0, "mode", "monitor"},
	{"header white space", "[ profile\t7 ]\nmode = monitor\n", 7, "mode",
	 "monitor"},
	{"profile 999", "[profile 999]\nmode = monitor\n", 999, "mode",
	 "monitor"},
	{"ttl in profile", "dnsbl_max_ttl = 100\n[profile 2]\n"
	 "dnsbl_min_ttl = 100\n", 2, "dnsbl_min_ttl", "100"},
	{"profile trusted", "trusted_networks = 10.0.0.0/8\n[profile 3]\n"
	 "trusted_networks = ::1\n", 3, "trusted_networks", "::1/128"},
	{"profile sites line", "dnsbl_sites = a.example\n[profile 2]\n"
	 "dnsbl_sites = b.example\n", 2, "dnsbl_sites", "3:b.example"},
	{"profile sites inherit line", "dnsbl_sites = a.example\n"
	 "[profile 2]\n", 2, "dnsbl_sites", "1:a.example"},
};

START_TEST(test_values)
{
	char buf[2048], err[512];
	vd_config *c = NULL;
	const config_profile *pr;

	free(load_text(values[_i].text, &c, err, sizeof(err)));
	ck_assert_msg(c != NULL, "%s: %s", values[_i].label, err);
	pr = values[_i].profile ? vd_config_profile_get(c, values[_i].profile)
	    : &c->global;
	ck_assert_msg(pr != NULL, "%s: profile %d missing", values[_i].label,
		      values[_i].profile);
	show(c, pr, values[_i].key, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, values[_i].expect) == 0,
		      "%s: got \"%s\", want \"%s\"", values[_i].label, buf,
		      values[_i].expect);
	vd_config_free(c);
}
END_TEST

/* label, config text, line, expected message after "FILE:LINE: " */
static const struct {
	const char *label;
	const char *text;
	int line;
	const char *expect;
} errors[] = {
	{"unknown key suggestion", "mode = enforce\ndnsbl_site = x\n", 2,
	 "unknown key \"dnsbl_site\"; did you mean \"dnsbl_sites\"?"},
	{"unknown key far", "frobnicate = 1\n", 1,
	 "unknown key \"frobnicate\""},
	{"repeated key", "mode = enforce\n\nmode = monitor\n", 3,
	 "\"mode\" is set twice in the global section; first set at line 1"},
	{"repeated key in profile", "mode = enforce\n[profile 2]\n"
	 "mode = monitor\nmode = enforce\n", 4,
	 "\"mode\" is set twice in this [profile]; first set at line 3"},
	{"global key in profile", "[profile 2]\ndatabase = /x\n", 2,
	 "\"database\" is a global key; move it above the first [profile]"},
	{"milter key in profile", "[profile 1]\nmilter_stage = mail\n", 2,
	 "\"milter_stage\" is a global key"},
	{"dns_servers in profile", "[profile 1]\ndns_servers = 127.0.0.1\n", 2,
	 "\"dns_servers\" is a global key"},
	{"bad duration", "dnsbl_timeout = 2 s\n", 1,
	 "dnsbl_timeout: bad duration \"2 s\""},
	{"bad duration unit", "dnsbl_timeout = 2w\n", 1,
	 "dnsbl_timeout: bad duration \"2w\""},
	{"duration overflow", "stats_interval = 99999999999999999999d\n", 1,
	 "stats_interval: bad duration"},
	{"duration mult overflow", "stats_interval = 9223372036854775807d\n",
	 1, "stats_interval: bad duration"},
	{"duration fraction of s", "dnsbl_min_ttl = 1500ms\n", 1,
	 "dnsbl_min_ttl: \"1500ms\" is not a whole number of seconds"},
	{"dnsbl_timeout zero", "dnsbl_timeout = 0\n", 1,
	 "dnsbl_timeout: 0 is out of range"},
	{"bad bool", "dnsbl_wait_all = maybe\n", 1,
	 "dnsbl_wait_all: bad boolean \"maybe\""},
	{"bad enum", "mode = relaxed\n", 1,
	 "mode: bad value \"relaxed\" (enforce|monitor)"},
	{"bad log_verdicts", "log_verdicts = some\n", 1,
	 "log_verdicts: bad value \"some\" (block|all|none)"},
	{"bad on_dns_failure", "on_dns_failure = fail\n", 1,
	 "on_dns_failure: bad value"},
	{"bad callout_tempfail", "callout_tempfail = drop\n", 1,
	 "callout_tempfail: bad value"},
	{"missing value", "mode =\n", 1, "mode: missing value"},
	{"bad country", "block_countries = CN, CHN\n", 1,
	 "block_countries: bad country code \"CHN\""},
	{"country digit", "country_weights = C1*2\n", 1,
	 "country_weights: bad country code \"C1\""},
	{"country no weight", "country_weights = CN\n", 1,
	 "country_weights: \"CN\" has no weight"},
	{"country bad weight", "country_weights = CN*x\n", 1,
	 "country_weights: bad weight in \"CN*x\""},
	{"block with weight", "block_countries = CN*2\n", 1,
	 "block_countries takes no weights"},
	{"bad asn zero", "block_asns = 0\n", 1, "block_asns: bad ASN \"0\""},
	{"bad asn big", "asn_weights = 4294967296*1\n", 1,
	 "asn_weights: bad ASN \"4294967296\""},
	{"bad asn text", "allow_asns = ASX\n", 1,
	 "allow_asns: bad ASN \"ASX\""},
	{"asn twice", "block_asns = 1, AS1\n", 1,
	 "block_asns: \"AS1\" is listed twice"},
	{"host bits v4", "trusted_networks = 172.16.1.3/21\n", 1,
	 "non-null host bits in 172.16.1.3/21; did you mean 172.16.0.0/21?"},
	{"host bits v6", "trusted_networks = 2001:db8::1/32\n", 1,
	 "did you mean 2001:db8::/32?"},
	{"bad network", "trusted_networks = 10.0.0/8\n", 1,
	 "trusted_networks: bad network \"10.0.0/8\""},
	{"bad table name", "block_tables = Drop\n", 1,
	 "block_tables: bad table name \"Drop\""},
	{"table twice", "block_tables = drop, edrop drop\n", 1,
	 "block_tables: \"drop\" is listed twice"},
	{"table too long", "allow_tables = "
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 1, "allow_tables: bad table name"},
	{"bad dns server", "dns_servers = localhost:53\n", 1,
	 "dns_servers: bad server \"localhost:53\""},
	{"bad dns port", "dns_servers = 127.0.0.1:0\n", 1,
	 "dns_servers: bad server"},
	{"undeclared milter profile", "milter_profiles = smtpd=1, sub=3\n"
	 "[profile 2]\n", 1,
	 "milter_profiles: sub=3 names [profile 3], which is not declared"},
	{"bad milter profile", "milter_profiles = smtpd=x\n", 1,
	 "milter_profiles: bad profile \"x\""},
	{"bad pair", "dnsbl_reply_names = a.example\n", 1,
	 "dnsbl_reply_names: bad item \"a.example\"; expected name=value"},
	{"min_ttl > max_ttl", "dnsbl_min_ttl = 2h\ndnsbl_max_ttl = 1h\n", 2,
	 "dnsbl_min_ttl (7200s) is greater than dnsbl_max_ttl (3600s)"},
	{"min_ttl > max_ttl profile", "mode = enforce\n[profile 2]\n"
	 "dnsbl_min_ttl = 2h\n\n[profile 3]\n", 3,
	 "dnsbl_min_ttl (7200s) is greater than dnsbl_max_ttl (3600s)"},
	{"bad section", "[profile]\n", 1, "bad section header"},
	{"bad section 0", "[profile 0]\n", 1, "bad section header"},
	{"bad section 1000", "[profile 1000]\n", 1, "bad section header"},
	{"bad section name", "[global]\n", 1, "bad section header"},
	{"bad section unclosed", "[profile 2\n", 1, "bad section header"},
	{"bad section joined", "[profile2]\n", 1, "bad section header"},
	{"bad section trailing", "[profile 2] x\n", 1, "bad section header"},
	{"duplicate section", "[profile 2]\nmode = monitor\n[profile 2]\n", 3,
	 "[profile 2] is declared twice; first at line 1"},
	{"bad key", "Mode = monitor\n", 1, "bad key \"Mode\""},
	{"no equals", "mode monitor\n", 1, "expected \"key = value\""},
	{"orphan continuation", "  mode = monitor\n", 1,
	 "continuation line without"},
	{"continuation after header", "[profile 2]\n  x\n", 2,
	 "continuation line without"},
	{"reply not 5xx", "reply = 421 4.7.1 nope\n", 1,
	 "reply must start with a 5xx SMTP code"},
	{"reply no code", "reply = blocked\n", 1,
	 "reply must start with a 5xx SMTP code"},
	{"tempfail not 4xx", "tempfail_reply = 554 no\n", 1,
	 "tempfail_reply must start with a 4xx SMTP code"},
	{"database_mode not octal", "database_mode = 0680\n", 1,
	 "database_mode: bad mode \"0680\""},
	{"database_mode too big", "database_mode = 1777\n", 1,
	 "database_mode: bad mode"},
	{"database_mode owner", "database_mode = 0460\n", 1,
	 "database_mode: 0460 does not give the owner read and write"},
	{"database_mode world-writable", "database_mode = 0666\n", 1,
	 "database_mode: 0666 lets every user write the database"},
	{"database_mode 0777", "\ndatabase_mode = 0777\n", 2,
	 "database_mode: 0777 lets every user write"},
	{"reply unknown variable", "reply = 554 5.7.1 %{ipp} blocked\n", 1,
	 "reply: unknown variable %{ipp}"},
	{"tempfail_reply unknown variable",
	 "[profile 2]\ntempfail_reply = 451 4.7.1 %{reasons}\n", 2,
	 "tempfail_reply: unknown variable %{reasons}"},
	{"cache_size range", "cache_size = 100000001\n", 1,
	 "cache_size: bad number \"100000001\""},
	{"cache_size negative", "cache_size = -1\n", 1, "cache_size: bad number"},
	{"allowlist positive", "dnsbl_allowlist_threshold = 1\n", 1,
	 "dnsbl_allowlist_threshold: bad number"},
	{"threshold text", "dnsbl_threshold = two\n", 1,
	 "dnsbl_threshold: bad number"},
	{"error after continuation", "mode = enforce\nblock_tables = a,\n"
	 "  B\n", 2, "block_tables: bad table name \"B\""},
};

START_TEST(test_errors)
{
	char err[512], want[700];
	vd_config *c = NULL;
	char *path;

	path = load_text(errors[_i].text, &c, err, sizeof(err));
	ck_assert_msg(c == NULL, "%s: loaded", errors[_i].label);
	snprintf(want, sizeof(want), "%s:%d: ", path, errors[_i].line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		      "%s: \"%s\" does not start with \"%s\"", errors[_i].label,
		      err, want);
	ck_assert_msg(strstr(err, errors[_i].expect) != NULL,
		      "%s: \"%s\" lacks \"%s\"", errors[_i].label, err,
		      errors[_i].expect);
	ck_assert_msg(strchr(err, '\n') == NULL, "%s: not one line",
		      errors[_i].label);
	free(path);
}
END_TEST

/* Whole-file errors: unreadable, too large, a line too long. */
START_TEST(test_file_errors)
{
	const char *dir = tu_tmpdir();
	char err[512], want[600], *big, *path;
	vd_config *c = NULL;
	int e = 0;
	size_t n;

	snprintf(want, sizeof(want), "%s/missing.conf", dir);
	ck_assert_int_eq(vd_config_load(want, &c, err, sizeof(err), &e), -1);
	ck_assert_int_eq(e, ENOENT);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s/missing.conf: %s", dir,
		 strerror(ENOENT));
	ck_assert_str_eq(err, want);

	n = 1024 * 1024 + 10;
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', n);
	big[n] = 0;
	path = tu_write(dir, "big.conf", big);
	ck_assert_int_eq(vd_config_load(path, &c, err, sizeof(err), &e), -1);
	ck_assert_int_eq(e, 0);
	ck_assert_msg(strstr(err, "larger than 1 MiB") != NULL, "%s", err);
	free(path);

	memcpy(big, "mode = enforce\n# ", 17);
	big[70 * 1024] = 0;
	path = tu_write(dir, "long.conf", big);
	ck_assert_int_eq(vd_config_load(path, &c, err, sizeof(err), &e), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	free(path);
	free(big);
}
END_TEST

/* Paths: a relative value is the file's directory's, made absolute at
 * load, the file's own relative name first against the working
 * directory; an absolute value stays.  cwd and file are below the test's
 * directory, want is the value expected below it ("/..." absolute). */
static const struct {
	const char *label, *cwd, *file, *value, *want;
	int abs_file;		/* name the file by its absolute path */
} paths[] = {
	{ "absolute file", "", "etc/a.conf", "db", "etc/db", 1 },
	{ "relative file", "", "etc/a.conf", "geo/c.mmdb", "etc/geo/c.mmdb",
	  0 },
	{ "file in cwd", "etc", "a.conf", "db", "etc/db", 0 },
	{ "file above cwd", "etc/sub", "../a.conf", "x", "etc/sub/../x", 0 },
	{ "absolute value", "", "etc/a.conf", "/srv/verdict", "/srv/verdict",
	  0 },
};

START_TEST(test_paths)
{
	static const char *keys[] = { "database", "geoip_country_db",
		"geoip_asn_db", "milter_pidfile", "metrics_dir" };
	char dir[4096], file[4200], text[1024] = "", want[4300], err[512];
	const char *got[5];
	vd_config *c = NULL;
	int e = 0;

	ck_assert_ptr_nonnull(realpath(tu_tmpdir(), dir));
	snprintf(file, sizeof(file), "%s/etc", dir);
	ck_assert_int_eq(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/etc/sub", dir);
	ck_assert_int_eq(mkdir(file, 0700), 0);
	for (size_t k = 0; k < 5; k++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s = %s\n", keys[k], paths[_i].value);
	free(tu_write(dir, "etc/a.conf", text));
	snprintf(file, sizeof(file), "%s/%s", dir, paths[_i].cwd);
	ck_assert_int_eq(chdir(file), 0);
	if (paths[_i].abs_file)
		snprintf(file, sizeof(file), "%s/%s", dir, paths[_i].file);
	else
		snprintf(file, sizeof(file), "%s", paths[_i].file);
	ck_assert_msg(vd_config_load(file, &c, err, sizeof(err), &e) == 0,
		      "%s: %s", paths[_i].label, err);
	if (paths[_i].want[0] == '/')
		snprintf(want, sizeof(want), "%s", paths[_i].want);
	else
		snprintf(want, sizeof(want), "%s/%s", dir, paths[_i].want);
	got[0] = c->database;
	got[1] = c->geoip_country_db;
	got[2] = c->geoip_asn_db;
	got[3] = c->milter_pidfile;
	got[4] = c->metrics_dir;
	for (size_t k = 0; k < 5; k++)
		ck_assert_msg(strcmp(got[k], want) == 0, "%s: %s = %s, want "
			      "%s", paths[_i].label, keys[k], got[k], want);
	vd_config_free(c);
}
END_TEST

/* Profiles: order, implicit 1, undeclared NULL, shared list storage. */
START_TEST(test_profiles)
{
	char err[512];
	vd_config *c = NULL;
	const config_profile *p1, *p2, *p5;

	free(load_text("block_tables = drop\n"
		       "trusted_networks = 127.0.0.0/8\n"
		       "[profile 5]\nmode = monitor\n"
		       "[profile 2]\nblock_tables = edrop\n",
		       &c, err, sizeof(err)));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->nprofiles, 3);
	ck_assert_int_eq(c->profiles[0].number, 1);
	ck_assert_int_eq(c->profiles[1].number, 2);
	ck_assert_int_eq(c->profiles[2].number, 5);
	p1 = vd_config_profile_get(c, 1);
	p2 = vd_config_profile_get(c, 2);
	p5 = vd_config_profile_get(c, 5);
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_nonnull(p2);
	ck_assert_ptr_nonnull(p5);
	ck_assert_ptr_null(vd_config_profile_get(c, 3));
	ck_assert_ptr_null(vd_config_profile_get(c, 999));
	ck_assert_ptr_null(vd_config_profile_get(c, -1));
	ck_assert_int_eq(p5->mode, MODE_MONITOR);
	ck_assert_int_eq(p1->mode, MODE_ENFORCE);
	ck_assert_str_eq(p2->block_tables.v[0], "edrop");
	ck_assert_ptr_eq(p5->block_tables.v, c->global.block_tables.v);
	ck_assert_ptr_eq(p2->trusted, c->global.trusted);
	ck_assert_str_eq(p5->file, c->path);
	vd_config_free(c);
}
END_TEST

/* The shipped example parses and says what README and bootstrap.sh say. */
START_TEST(test_example)
{
	char path[1024], err[512];
	vd_config *c = NULL;
	const config_profile *p1, *p2;
	int e = 0;

	snprintf(path, sizeof(path), "%s/data/verdict.conf.example",
		 tu_srcdir());
	ck_assert_msg(vd_config_load(path, &c, err, sizeof(err), &e) == 0, "%s",
		      err);
	/* the example names the Debian path itself, whatever the build's */
	ck_assert_str_eq(c->database, "/var/lib/verdict");
	p1 = vd_config_profile_get(c, 1);
	p2 = vd_config_profile_get(c, 2);
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_nonnull(p2);
	ck_assert_int_eq(p1->ntrusted, 2);
	ck_assert_int_eq(p1->block_tables.n, 1);
	ck_assert_str_eq(p1->block_tables.v[0], "drop");
	ck_assert_int_eq(p1->allow_tables.n, 1);
	ck_assert_str_eq(p1->allow_tables.v[0], "mx-partners");
	ck_assert_int_eq(p1->log_verdicts, LOG_VERDICTS_BLOCK);
	ck_assert_int_eq(p2->block_tables.n, 0);
	ck_assert_int_eq(p2->ntrusted, 2);
	vd_config_free(c);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_loop_test(tc, test_defaults, 0,
			    sizeof(defaults) / sizeof(defaults[0]));
	tcase_add_loop_test(tc, test_values, 0,
			    sizeof(values) / sizeof(values[0]));
	tcase_add_loop_test(tc, test_errors, 0,
			    sizeof(errors) / sizeof(errors[0]));
	tcase_add_test(tc, test_file_errors);
	tcase_add_loop_test(tc, test_paths, 0,
			    sizeof(paths) / sizeof(paths[0]));
	tcase_add_test(tc, test_profiles);
	tcase_add_test(tc, test_example);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(config_suite());
}
