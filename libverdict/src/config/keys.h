/*
 * keys.h - the table of verdict.conf(5) keys
 *
 * Every key is described once: its name, its type, whether it is
 * global-only, where its value lives (an offset into vd_config or
 * config_profile), its range.  Parsing, the "global key in a profile"
 * and "set twice" checks and the "did you mean" hint are all driven by
 * this table, so a new key is one line here and its field in config.h.
 */
#ifndef VD_KEYS_H
#define VD_KEYS_H

#include <stddef.h>

#include "lexer.h"

/* the most keys the table may hold (sizes per-key arrays of a parser) */
#define VD_KEYS_MAX	64

/* the largest weight or score a key takes, either sign */
#define VD_KEYS_WEIGHT_MAX	1000000

enum vd_ktype {
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

/* vd_enumval - one word of an enumerated key; a NULL name ends a list */
typedef struct vd_enumval {
	const char *name;
	int value;
} vd_enumval;

typedef struct vd_key {
	const char *name;
	enum vd_ktype type;
	int global;		/* 1: offset into vd_config, global-only */
	size_t off;
	long long min, max;
	const vd_enumval *ev;
} vd_key;

/* the table and its length (at most VD_KEYS_MAX) */
extern const vd_key vd_keys[];
extern const size_t vd_keys_n;

/* vd_keys_lookup - the index of key[0..klen) in vd_keys; -1 with
 * "FILE:LINE: unknown key ..." in lx's buffer, and the nearest key
 * named when one is close enough to be a typo */
int vd_keys_lookup(const vd_lexer *lx, const char *key, size_t klen,
		   int line);

/* vd_keys_index - the index of a known key name, -1 when unknown */
int vd_keys_index(const char *name);

#endif
