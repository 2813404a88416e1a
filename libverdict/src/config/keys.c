/*
 * keys.c - the table of verdict.conf(5) keys (keys.h)
 *
 *	vd_keys		the table
 *	vd_keys_lookup	a key's index, or "unknown key; did you mean"
 *	vd_keys_index	a known key's index by name
 *
 * Ranges live in the table, not in the code that parses a type, so the
 * error for an out-of-range value can always name the range.  Durations
 * carry their range in milliseconds whatever their unit.
 *
 * Diagnostics: "FILE:LINE: unknown key \"k\"; did you mean \"key\"?" when
 * a key is at most two edits away from k, else without the hint.
 *
 * Limits: VD_KEYS_MAX keys; the hint compares names of up to 62 bytes.
 */
#include <string.h>

#include "config.h"
#include "keys.h"

#define DUR_DAY_MS	(86400LL * 1000)

static const vd_enumval e_mode[] = {
	{"enforce", MODE_ENFORCE}, {"monitor", MODE_MONITOR}, {NULL, 0}};
static const vd_enumval e_log[] = {
	{"block", LOG_VERDICTS_BLOCK}, {"all", LOG_VERDICTS_ALL},
	{"none", LOG_VERDICTS_NONE}, {NULL, 0}};
static const vd_enumval e_dnsfail[] = {
	{"neutral", DNSFAIL_NEUTRAL}, {"tempfail", DNSFAIL_TEMPFAIL},
	{NULL, 0}};
static const vd_enumval e_ctf[] = {
	{"pass", CALLOUT_TEMPFAIL_PASS}, {"reject", CALLOUT_TEMPFAIL_REJECT},
	{NULL, 0}};
static const vd_enumval e_stage[] = {
	{"connect", MILTER_STAGE_CONNECT}, {"mail", MILTER_STAGE_MAIL},
	{NULL, 0}};

#define G(f)	1, offsetof(vd_config, f)
#define P(f)	0, offsetof(config_profile, f)

const vd_key vd_keys[] = {
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
	{"metrics_listen", K_OPTSTR, G(metrics_listen), 0, 0, NULL},
	{"metrics_dir", K_OPTSTR, G(metrics_dir), 0, 0, NULL},
	{"metrics_interval", K_DUR_S, G(metrics_interval), 1000, DUR_DAY_MS,
	 NULL},
	/* per profile */
	{"trusted_networks", K_CIDRS, P(trusted), 0, 0, NULL},
	{"allow_tables", K_TABLES, P(allow_tables), 0, 0, NULL},
	{"block_tables", K_TABLES, P(block_tables), 0, 0, NULL},
	{"mode", K_ENUM, P(mode), 0, 0, e_mode},
	{"reply", K_REPLY5, P(reply), 0, 0, NULL},
	{"tempfail_reply", K_REPLY4, P(tempfail_reply), 0, 0, NULL},
	{"log_verdicts", K_ENUM, P(log_verdicts), 0, 0, e_log},
	{"dnsbl_sites", K_SITES, P(dnsbl_sites), 0, 0, NULL},
	{"dnsbl_threshold", K_INT, P(dnsbl_threshold), 1, VD_KEYS_WEIGHT_MAX,
	 NULL},
	{"dnsbl_allowlist_threshold", K_INT, P(dnsbl_allowlist_threshold),
	 -VD_KEYS_WEIGHT_MAX, 0, NULL},
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
	/* learned reputation */
	{"learn_threshold", K_INT, G(learn_threshold), 1, 1000, NULL},
	{"learn_half_life", K_DUR_S, G(learn_half_life), 60 * 1000,
	 365 * DUR_DAY_MS, NULL},
	{"learn_max_half_life", K_DUR_S, G(learn_max_half_life), 60 * 1000,
	 365 * DUR_DAY_MS, NULL},
	{"learn_prefix_v4", K_INT, G(learn_prefix_v4), 8, 32, NULL},
	{"learn_prefix_v6", K_INT, G(learn_prefix_v6), 16, 128, NULL},
	{"learn_commit_interval", K_DUR_MS, G(learn_commit_interval_ms), 0,
	 60000, NULL},
	{"learn_max_entries", K_LONG, G(learn_max_entries), 100, 100000000,
	 NULL},
	{"milter_learn", K_BOOL, G(milter_learn), 0, 0, NULL},
	{"learn_header", K_STR, G(learn_header), 0, 0, NULL},
	{"learned_tables", K_TABLES, P(learned_tables), 0, 0, NULL},
};

const size_t vd_keys_n = sizeof(vd_keys) / sizeof(vd_keys[0]);

_Static_assert(sizeof(vd_keys) / sizeof(vd_keys[0]) <= VD_KEYS_MAX,
	       "VD_KEYS_MAX is too small for the keys table");

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

/* vd_keys_lookup - an unknown key is an error, never ignored */
int
vd_keys_lookup(const vd_lexer *lx, const char *key, size_t klen, int line)
{
	const vd_key *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < vd_keys_n; i++)
		if (strlen(vd_keys[i].name) == klen &&
		    memcmp(vd_keys[i].name, key, klen) == 0)
			return (int)i;
	for (i = 0; i < vd_keys_n; i++) {
		d = edit_distance(key, klen, vd_keys[i].name);
		if (d < bestd) {
			bestd = d;
			best = &vd_keys[i];
		}
	}
	if (best)
		return vd_lexer_err(lx, line, "unknown key \"%.*s\"; did you "
				    "mean \"%s\"?", (int)klen, key, best->name);
	return vd_lexer_err(lx, line, "unknown key \"%.*s\"", (int)klen, key);
}

/* vd_keys_index - for checks that name a key, as dnsbl_min_ttl */
int
vd_keys_index(const char *name)
{
	size_t i;

	for (i = 0; i < vd_keys_n; i++)
		if (strcmp(vd_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}
