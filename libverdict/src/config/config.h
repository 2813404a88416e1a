/*
 * config.h - verdict.conf(5): global keys, then [profile N] sections
 *
 * The file is "key = value" lines, '#' comments (a '#' at the start of a
 * line or after white space), continuation lines (a line that starts with
 * white space continues the previous value, joined with one space).
 * Global keys come first; a [profile N] section (N in 1..999) starts as a
 * copy of the global values and a key set in it replaces the global
 * value.  Profile 1 always exists.  A key repeated in one section, an
 * unknown key, a bad value, or a global-only key inside a profile is an
 * error "file:line: what".
 *
 * The whole configuration lives in one arena: vd_config_free() frees it all;
 * profiles share list storage with the global section (read-only).
 *
 * The parts, one noun a file: arena.c (the memory), lexer.c (lines,
 * sections, positions), keys.c (the keys table), value.c (values by
 * type), profile.c (sections and their checks), config.c (the whole).
 */
#ifndef VD_CONFIG_H
#define VD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"

/* VD_DEFAULT_CONFIG and VD_DEFAULT_DATABASE come from the build
 * (GNUInstallDirs), so a package built with another prefix agrees with
 * its own file layout. */
#if !defined(VD_DEFAULT_CONFIG) || !defined(VD_DEFAULT_DATABASE)
#error "VD_DEFAULT_CONFIG and VD_DEFAULT_DATABASE are defined by CMake"
#endif

#define CONFIG_PROFILE_MAX 999

#define CONFIG_DEFAULT_REPLY \
	"554 5.7.1 Service unavailable; client [%{ip}] blocked using " \
	"%{source}%{reason}"
#define CONFIG_DEFAULT_TEMPFAIL_REPLY \
	"421 4.7.1 Service temporarily unavailable; try again later"

enum config_mode { MODE_ENFORCE = 0, MODE_MONITOR = 1 };
enum config_log { LOG_VERDICTS_BLOCK = 0, LOG_VERDICTS_ALL = 1,
		  LOG_VERDICTS_NONE = 2 };
enum config_dnsfail { DNSFAIL_NEUTRAL = 0, DNSFAIL_TEMPFAIL = 1 };
enum config_callout_tempfail { CALLOUT_TEMPFAIL_PASS = 0,
			       CALLOUT_TEMPFAIL_REJECT = 1 };
enum config_milter_stage { MILTER_STAGE_CONNECT = 0, MILTER_STAGE_MAIL = 1 };

typedef struct config_strlist {
	size_t n;
	char **v;
} config_strlist;

/* A "name=value" pair: dnsbl_reply_names, milter_profiles. */
typedef struct config_pair {
	char *name;
	char *value;
} config_pair;

typedef struct config_pairlist {
	size_t n;
	config_pair *v;
} config_pairlist;

/* country_weights / asn_weights items; weight 0 in block_/allow_ lists. */
typedef struct config_geo_item {
	char country[3];	/* "CN" (upper case) or "" */
	uint32_t asn;		/* 1..4294967295 or 0 */
	int weight;
} config_geo_item;

typedef struct config_geolist {
	size_t n;
	config_geo_item *v;
} config_geolist;

/* Per-profile settings (also the global defaults). */
typedef struct config_profile {
	int number;			/* N of [profile N]; 0 = global */
	/* where the value was set, for errors found after parsing */
	const char *file;
	/* local tables */
	vcidr *trusted;			/* trusted_networks */
	size_t ntrusted;
	config_strlist allow_tables;
	config_strlist block_tables;
	int mode;			/* enum config_mode */
	char *reply;
	char *tempfail_reply;
	int log_verdicts;		/* enum config_log */
	/* DNSBL */
	char *dnsbl_sites;		/* raw text, parsed by dnsbl.c */
	int dnsbl_sites_line;		/* line of the key, for errors */
	int dnsbl_threshold;		/* default 1 */
	int dnsbl_allowlist_threshold;	/* default 0 = off */
	int64_t dnsbl_timeout_ms;	/* default 1500 */
	int64_t dnsbl_min_ttl;		/* seconds, default 60 */
	int64_t dnsbl_max_ttl;		/* seconds, default 3600 */
	config_pairlist dnsbl_reply_names;
	int dnsbl_wait_all;		/* bool, default 0 */
	int dnsbl_txt;			/* bool, default 0 */
	int on_dns_failure;		/* enum config_dnsfail */
	/* GeoIP / ASN */
	config_geolist country_weights;
	config_geolist asn_weights;
	config_geolist block_countries;
	config_geolist block_asns;
	config_geolist allow_countries;
	config_geolist allow_asns;
	/* callout */
	int64_t callout_timeout_ms;	/* default 1000 */
	int callout_tempfail;		/* enum config_callout_tempfail */
	/* learned reputation */
	config_strlist learned_tables;
} config_profile;

typedef struct vd_config {
	char *path;			/* file read, or NULL for defaults */
	/* global-only keys */
	char *database;			/* default VD_DEFAULT_DATABASE */
	unsigned database_mode;		/* default 0660 */
	char *database_group;		/* NULL = leave the group alone */
	config_strlist dns_servers;	/* "127.0.0.1:5353", "[::1]:5353" */
	long cache_size;		/* default 100000 */
	char *geoip_country_db;
	char *geoip_asn_db;
	int64_t geoip_check_interval;	/* seconds, default 60 */
	char *milter_socket;		/* default "inet:8895@127.0.0.1" */
	char *milter_user;
	char *milter_pidfile;
	int64_t milter_timeout;		/* seconds, default 7200 (libmilter) */
	int milter_stage;		/* enum config_milter_stage */
	config_pairlist milter_profiles;/* daemon_name -> "N" or "none" */
	int64_t stats_interval;		/* seconds, default 3600 */
	long log_rate_limit;		/* verdict lines/s, default 100 */
	/* learned reputation: one model per database */
	int learn_threshold;		/* default 3 */
	int64_t learn_half_life;	/* seconds, default 86400 */
	int64_t learn_max_half_life;	/* seconds, default 30 days */
	int learn_prefix_v4;		/* default 32 */
	int learn_prefix_v6;		/* default 64 */
	int64_t learn_commit_interval_ms;	/* default 1000 */
	long learn_max_entries;		/* default 1000000 */
	int milter_learn;		/* bool, default 0 */
	char *learn_header;		/* default "X-Spam-Flag: YES" */
	char *metrics_listen;		/* milter /metrics: [addr:]port */
	char *metrics_dir;		/* textfile-collector directory */
	int64_t metrics_interval;	/* seconds, default 15 */
	/* the global section's per-profile defaults */
	config_profile global;
	/* declared profiles, ascending by number; profile 1 always present */
	config_profile *profiles;
	size_t nprofiles;
	void *arena;			/* owns every string and array */
} vd_config;

/* vd_config_default - a configuration of defaults only (no file).  NULL on
 * out of memory. */
vd_config *vd_config_default(void);

/*
 * vd_config_load - parse path.  On success *out is a new config.  On error
 * returns -1 and err gets "file:line: what" (or "file: strerror" when
 * the file cannot be read, with *errno_out set to errno, else 0).
 * Relative path values (database, geoip_country_db, geoip_asn_db,
 * milter_pidfile, metrics_dir) are made absolute against the directory
 * of path (config.c says why).
 */
int vd_config_load(const char *path, vd_config **out, char *err, size_t errlen,
		int *errno_out);

void vd_config_free(vd_config *cfg);

/* vd_config_profile_get - [profile n], or NULL when undeclared. */
const config_profile *vd_config_profile_get(const vd_config *cfg, int n);

#endif
