/*
 * mmdb.h - one opened MMDB file: open, check, look up, decode
 *
 * A vd_mmdb is one file mapped by libmaxminddb (MMDB_MODE_MMAP) with
 * its metadata checked.  Lookups go through libmaxminddb alone
 * (MMDB_lookup_sockaddr, MMDB_aget_value); any error or unexpected value
 * is "no data".  Immutable after open: any number of threads may look
 * up on one handle; closing it is the owner's business (geo.c retires
 * handles through a grace period).
 */
#ifndef VD_MMDB_H
#define VD_MMDB_H

#include <stddef.h>

#include "addr.h"
#include "geo.h"

typedef struct vd_mmdb vd_mmdb;

/*
 * vd_mmdb_open - open and check path.  VERDICT_OK with *out set;
 * VERDICT_ENOMEM; VERDICT_EGEO with err (libmaxminddb's sentence, or
 * "implausible metadata: ...") set.  *out is owned by the caller.
 */
int vd_mmdb_open(const char *path, vd_mmdb **out, char *err, size_t errlen);

/* vd_mmdb_close - unmap and free; h may be NULL.  No lookup may hold h. */
void vd_mmdb_close(vd_mmdb *h);

/*
 * vd_mmdb_country - country.iso_code, else registered_country.iso_code,
 * of ip into out->country / have_country (left alone when there is
 * none).  Returns MMDB_SUCCESS (0) - found or not, a value of the wrong
 * type or shape counts as not found - or libmaxminddb's lookup or
 * decode error code, for the caller to log (vd_mmdb_strerror).
 */
int vd_mmdb_country(vd_mmdb *h, const vaddr *ip, geo_info *out);

/*
 * vd_mmdb_asn - autonomous_system_number and (unless flags has
 * GEO_LOOKUP_NOORG) autonomous_system_organization of ip into out; the
 * organisation is optional.  Returns as vd_mmdb_country.
 */
int vd_mmdb_asn(vd_mmdb *h, const vaddr *ip, geo_info *out, int flags);

/* vd_mmdb_strerror - libmaxminddb's sentence for an error code */
const char *vd_mmdb_strerror(int err);

/* vd_mmdb_describe - "GeoIP2-Country, IPv6 tree, built 2026-08-05" */
void vd_mmdb_describe(const vd_mmdb *h, char *buf, size_t len);

#endif
