/*
 * geo.h - country and ASN of an address from MMDB files (libmaxminddb)
 *
 * A geo_db holds the two databases a context names (geoip_country_db,
 * geoip_asn_db), opened with MMDB_MODE_MMAP, checked for plausibility
 * and reopened when the file on disk is replaced.  A file that is
 * missing, unreadable or damaged is logged once and contributes nothing:
 * geo data is advisory, never a reason to refuse a context.
 *
 * The folder: geo.c holds the files of a context (open, reload, lookup,
 * doctor), mmdb.c one file through libmaxminddb, georule.c a profile's
 * country and ASN rules (vd_georule_decide, vd_georule_profile_uses).
 *
 * Limits: replace a database by renaming a complete new file over the
 * old one (what geoipupdate does).  Overwriting a mapped file in place
 * can crash any reader of it - the identity check cannot prevent that.
 */
#ifndef VD_GEO_H
#define VD_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "log.h"

/* both MMDB files of a context, hot-reloaded */
typedef struct geo_db geo_db;

/*
 * vd_geo_open - open the files cfg names.  A missing, unreadable or damaged
 * file is not an error: it is logged once (LOG_ERR, naming the key, the
 * file and the libmaxminddb error), contributes no data, and is retried
 * when its identity on disk changes.  Returns VERDICT_OK or
 * VERDICT_ENOMEM; *out is NULL when no geoip_*_db is configured.  The
 * paths and the logger struct are copied: cfg may be freed afterwards,
 * *lg (fn, arg) is copied by value.
 */
int vd_geo_open(const vd_config *cfg, const vd_logger *lg, geo_db **out);

/* vd_geo_close - close both files; g may be NULL.  No lookup may run. */
void vd_geo_close(geo_db *g);

typedef struct geo_info {
	char country[3];	/* two upper-case ASCII letters, NUL */
	uint32_t asn;		/* 1..4294967295 */
	char as_org[128];	/* UTF-8, control bytes replaced by '?'; may
				 * be "" when the record has no organisation */
	int have_country, have_asn;
} geo_info;

/*
 * vd_geo_lookup - country (country.iso_code, else registered_country.iso_code)
 * and ASN (autonomous_system_number, autonomous_system_organization
 * optional) of ip, with libmaxminddb's lookup.  IPv4 (::ffff:a.b.c.d)
 * is looked up as IPv4, so it finds the IPv4 subtree of IPv6 databases.
 * Any lookup or decode error (logged, rate-limited), an absent value or
 * one of the wrong type or shape leaves have_* = 0.  g may be NULL (no
 * data).  Checks the files' identity at most once per
 * geoip_check_interval of the coarse clock (clock.h) and reopens a
 * replaced file without blocking other lookups.  Safe on a shared
 * geo_db from any number of threads.
 */
void vd_geo_lookup(geo_db *g, const vaddr *ip, geo_info *out);

/* vd_geo_lookup_ex - vd_geo_lookup with flags: GEO_LOOKUP_NOORG skips
 * autonomous_system_organization (as_org stays ""), one MMDB_aget_value
 * less, for callers that render no output. */
#define GEO_LOOKUP_NOORG 0x1
void vd_geo_lookup_ex(geo_db *g, const vaddr *ip, geo_info *out, int flags);

enum { GEO_NONE = 0, GEO_ALLOW = 1, GEO_BLOCK = 2 };

/* georule.c */

/*
 * vd_georule_decide - the profile's geo rules on info.  GEO_ALLOW when
 * allow_countries / allow_asns match (exempt these; an allow beats a
 * block), else GEO_BLOCK when block_countries / block_asns match, else
 * GEO_NONE.  *weight (may be NULL) gets the sum of every matching
 * country_weights and asn_weights item, whatever the return value.
 * why (may be NULL) gets the rule that decided ("country CN", "AS64496"),
 * or for GEO_NONE the items that weighed ("country CN, AS64496"), or "".
 * No data in info never matches anything.  Pure function, thread-safe.
 */
int vd_georule_decide(const config_profile *p, const geo_info *info, int *weight,
	       char *why, size_t whylen);

/* vd_georule_profile_uses - 1 if the profile has any geo rule, else 0. */
int vd_georule_profile_uses(const config_profile *p);

/*
 * vd_geo_doctor - check the files now (reopen a replaced one) and call cb
 * once per configured file: ok = 1 and detail like "GeoIP2-Country, IPv6
 * tree, built 2026-08-05", or ok = 0 and the error.  A non-zero return
 * of cb stops and is returned; else 0.  g may be NULL (no call).  Safe
 * while other threads look up.
 */
int vd_geo_doctor(geo_db *g,
	       int (*cb)(const char *path, int ok, const char *detail,
			 void *arg), void *arg);

#endif
