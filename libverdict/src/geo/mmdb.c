/*
 * mmdb.c - one opened MMDB file: open, check, look up, decode (mmdb.h)
 *
 *	vd_mmdb_open	open a file with libmaxminddb and check its metadata
 *	vd_mmdb_close	unmap it
 *	vd_mmdb_country	country code of an address
 *	vd_mmdb_asn	AS number and organisation of an address
 *	vd_mmdb_describe one line for verdict doctor
 *	vd_mmdb_strerror libmaxminddb's sentence for an error code
 *
 * Every lookup is libmaxminddb's: MMDB_lookup_sockaddr finds the record,
 * MMDB_aget_value decodes the one value asked for, along a path held in
 * a static array: MMDB_get_value would build that array with calloc and
 * free it again on every call, a heap round trip per value per verdict.
 * The file format is
 * parsed by that library only, because it is maintained and fuzzed
 * upstream; this module decides what an answer means.  An address in
 * ::ffff:a.b.c.d form is handed over as AF_INET, so that libmaxminddb
 * looks it up in the IPv4 part of an IPv6 database (the ::a.b.c.d
 * subtree), which is where MaxMind's writer puts IPv4 networks whether
 * or not the file carries the ::ffff:0:0/96 alias.  An IPv6 address in
 * an IPv4-only file is "no data", not an error.
 *
 * Why each check: geo data may decide a verdict outright, so a value is
 * only used when it has the expected type and shape: a country code is
 * a UTF-8 string of two ASCII letters, an AS number an unsigned integer
 * in 1..2^32-1, an organisation UTF-8 text (cleaned for JSON and reply
 * renderers).  Anything else is "no data", never a guess.  A decoded
 * string must also lie inside the mapping: a second look that costs two
 * comparisons, taken where a damaged file would hurt.
 *
 * At open the metadata must name a database_type and an ip_version of
 * 4 or 6 and carry a build epoch in [2000, 2100): a file that does not
 * is treated like one that does not open.
 *
 * Diagnostics: none here.  vd_mmdb_open and the lookups return
 * libmaxminddb's error code or text; geo.c logs.
 *
 * Limits: the file format is libmaxminddb's to check.  A damage it does
 * not detect can answer plausible but wrong data, and a fault in its
 * own checks is a fault here.  A handle must not be closed while a
 * lookup runs on it.
 */
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mmdb.h"

#define VD_MMDB_EPOCH_MIN	946684800ULL	/* 2000-01-01 */
#define VD_MMDB_EPOCH_MAX	4102444800ULL	/* 2100-01-01 */

/* the paths of the values looked up (MMDB_aget_value) */
static const char *const mmdb_country_path[] = { "country", "iso_code", NULL };
static const char *const mmdb_regcountry_path[] = { "registered_country",
						    "iso_code", NULL };
static const char *const mmdb_asn_path[] = { "autonomous_system_number",
					     NULL };
static const char *const mmdb_org_path[] = {
	"autonomous_system_organization", NULL };

struct vd_mmdb {
	MMDB_s	db;
};

/* mmdb_plausible - the metadata checks libmaxminddb leaves to us */
static int
mmdb_plausible(const MMDB_s *m, char *err, size_t errlen)
{
	const MMDB_metadata_s *md = &m->metadata;

	if (md->database_type == NULL || md->database_type[0] == 0) {
		snprintf(err, errlen, "implausible metadata: no database_type");
		return -1;
	}
	if (md->ip_version != 4 && md->ip_version != 6) {
		snprintf(err, errlen, "implausible metadata: ip_version %u",
			 (unsigned)md->ip_version);
		return -1;
	}
	if (md->build_epoch < VD_MMDB_EPOCH_MIN ||
	    md->build_epoch >= VD_MMDB_EPOCH_MAX) {
		snprintf(err, errlen, "implausible metadata: build_epoch %llu",
			 (unsigned long long)md->build_epoch);
		return -1;
	}
	return 0;
}

int
vd_mmdb_open(const char *path, vd_mmdb **out, char *err, size_t errlen)
{
	vd_mmdb *h;
	int rc, e;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return VERDICT_ENOMEM;
	errno = 0;
	rc = MMDB_open(path, MMDB_MODE_MMAP, &h->db);
	e = errno;
	if (rc != MMDB_SUCCESS) {
		free(h);
		if (rc == MMDB_OUT_OF_MEMORY_ERROR)
			return VERDICT_ENOMEM;
		if ((rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) && e)
			snprintf(err, errlen, "%s (%s)", MMDB_strerror(rc),
				 strerror(e));
		else
			snprintf(err, errlen, "%s", MMDB_strerror(rc));
		return VERDICT_EGEO;
	}
	if (mmdb_plausible(&h->db, err, errlen) != 0) {
		MMDB_close(&h->db);
		free(h);
		return VERDICT_EGEO;
	}
	*out = h;
	return VERDICT_OK;
}

void
vd_mmdb_close(vd_mmdb *h)
{
	if (h) {
		MMDB_close(&h->db);
		free(h);
	}
}

/* mmdb_find - the record of ip; MMDB_SUCCESS with *found set, or the
 * lookup's error (the entry is then not to be used).  There is no
 * gai_error here: that one belongs to MMDB_lookup_string's parsing. */
static int
mmdb_find(vd_mmdb *h, const vaddr *ip, MMDB_entry_s *entry, int *found)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	MMDB_lookup_result_s r;
	int err = MMDB_SUCCESS;

	*found = 0;
	if (vd_addr_is_v4(ip)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, ip->b + 12, 4);
		sa = (const struct sockaddr *)&sin;
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, ip->b, 16);
		sa = (const struct sockaddr *)&sin6;
	}
	r = MMDB_lookup_sockaddr(&h->db, sa, &err);
	/* an IPv4-only file has no IPv6 data: not a damage */
	if (err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return MMDB_SUCCESS;
	if (err != MMDB_SUCCESS)
		return err;
	*found = r.found_entry;
	*entry = r.entry;
	return MMDB_SUCCESS;
}

/* mmdb_span_ok - 1 if a decoded string lies inside the mapping */
static int
mmdb_span_ok(const MMDB_s *m, const char *s, uint32_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	const uint8_t *end = m->file_content + m->file_size;

	return p >= m->file_content && p <= end && (size_t)(end - p) >= len;
}

/*
 * mmdb_cc - the value at path (an iso_code) of the entry into cc (upper
 * case).  1 found, 0 absent or malformed (try the next key), -1 decode
 * error (stop) with *err set.
 */
static int
mmdb_cc(MMDB_entry_s *e, const char *const *path, char cc[3], int *err)
{
	MMDB_entry_data_s d;
	int rc, i;

	rc = MMDB_aget_value(e, &d, path);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return 0;
	if (rc != MMDB_SUCCESS) {
		*err = rc;
		return -1;
	}
	if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    d.data_size != 2 || !mmdb_span_ok(e->mmdb, d.utf8_string, 2))
		return 0;
	for (i = 0; i < 2; i++) {
		char c = d.utf8_string[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return 0;
		cc[i] = c;
	}
	cc[2] = 0;
	return 1;
}

int
vd_mmdb_country(vd_mmdb *h, const vaddr *ip, geo_info *out)
{
	MMDB_entry_s e;
	char cc[3];
	int found, rc, err = MMDB_SUCCESS;

	if ((err = mmdb_find(h, ip, &e, &found)) != MMDB_SUCCESS || !found)
		return err;
	rc = mmdb_cc(&e, mmdb_country_path, cc, &err);
	if (rc == 0)
		rc = mmdb_cc(&e, mmdb_regcountry_path, cc, &err);
	if (rc == 1) {
		memcpy(out->country, cc, sizeof(cc));
		out->have_country = 1;
	}
	return err;
}

/*
 * mmdb_text - copy a UTF-8 value for output: cut on a character
 * boundary, control bytes and invalid sequences become '?', so JSON and
 * reply renderers get clean text.
 */
static void
mmdb_text(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n, k;

	while (i < len && o + 1 < size) {
		unsigned char c = s[i];

		if (c < 0x80) {
			dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			i++;
			continue;
		}
		n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 :
		    c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		for (k = 1; n && k <= n; k++)
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			dst[o++] = '?';
			i++;
			continue;
		}
		if (o + n + 1 >= size)
			break;		/* the whole character or nothing */
		memcpy(dst + o, s + i, n + 1);
		o += n + 1;
		i += n + 1;
	}
	dst[o] = 0;
}

int
vd_mmdb_asn(vd_mmdb *h, const vaddr *ip, geo_info *out, int flags)
{
	MMDB_entry_s e;
	MMDB_entry_data_s d;
	uint64_t v;
	int found, rc;

	if ((rc = mmdb_find(h, ip, &e, &found)) != MMDB_SUCCESS || !found)
		return rc;
	rc = MMDB_aget_value(&e, &d, mmdb_asn_path);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return MMDB_SUCCESS;
	if (rc != MMDB_SUCCESS || !d.has_data)
		return rc;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		v = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		v = d.uint32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		v = d.uint64;
		break;
	default:
		return MMDB_SUCCESS;	/* a wrong type is no data */
	}
	if (v == 0 || v > UINT32_MAX)
		return MMDB_SUCCESS;
	out->asn = (uint32_t)v;
	out->have_asn = 1;
	/* the organisation is optional: absent or broken leaves "" */
	if (flags & GEO_LOOKUP_NOORG)
		return MMDB_SUCCESS;
	if (MMDB_aget_value(&e, &d, mmdb_org_path) == MMDB_SUCCESS &&
	    d.has_data &&
	    d.type == MMDB_DATA_TYPE_UTF8_STRING &&
	    mmdb_span_ok(e.mmdb, d.utf8_string, d.data_size))
		mmdb_text(out->as_org, sizeof(out->as_org), d.utf8_string,
			  d.data_size);
	return MMDB_SUCCESS;
}

void
vd_mmdb_describe(const vd_mmdb *h, char *buf, size_t len)
{
	const MMDB_metadata_s *md = &h->db.metadata;
	char built[16];
	struct tm tm;
	time_t t = (time_t)md->build_epoch;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(built, sizeof(built), "%Y-%m-%d", &tm) == 0)
		snprintf(built, sizeof(built), "?");
	snprintf(buf, len, "%s, IPv%u tree, built %s", md->database_type,
		 (unsigned)md->ip_version, built);
}

/* vd_mmdb_strerror - libmaxminddb's sentence for a lookup error code */
const char *
vd_mmdb_strerror(int err)
{
	return MMDB_strerror(err);
}
