/*
 * feed.h - firewall / MTA / DNS feeds: the block tables as a minimal
 * CIDR list in the text a consumer loads
 *
 * The set is (union of the block tables) - (union of the allow tables) -
 * (trusted networks), unexpired entries only, IPv4 and IPv6 apart,
 * aggregated into the minimal list of CIDRs.  It is computed in one walk
 * over the combined index (vd_index_walk), whose intervals are
 * already sorted and disjoint: no text is loaded, nothing is sorted.
 */
#ifndef VD_FEED_H
#define VD_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "addr.h"
#include "store.h"

enum feed_format {
	FEED_PLAIN = 0,	/* one CIDR (or start-end with ranges) per line */
	FEED_PF,	/* one CIDR per line, for pfctl -T replace -f */
	FEED_NFT,	/* nft -f script: table, two interval sets, elements */
	FEED_IPSET,	/* ipset restore script: fill a temp set, swap */
	FEED_POSTFIX,	/* Postfix cidr: table, "CIDR REJECT reason" */
	FEED_RBLDNSD,	/* rbldnsd ip4set dataset (IPv4 only) */
	FEED_RBLDNSD6,	/* rbldnsd ip6trie dataset (IPv6 only) */
	FEED_JSON	/* one JSON object per contributing entry */
};

#define FEED_NAME_MAX 24	/* set names: ipset allows 31 with "_v4_tmp" */

/* A learned block: a source key and the seconds until its score falls
 * below the threshold. */
typedef struct feed_learned {
	vcidr key;
	uint32_t timeout;
} feed_learned;

typedef struct feed_opts {
	const uint16_t *block;		/* block table ids */
	size_t nblock;
	const char *const *block_names;	/* for json; parallel to block */
	const uint16_t *allow;		/* allow table ids */
	size_t nallow;
	const vcidr *trusted;		/* trusted networks (any order) */
	size_t ntrusted;
	int family;			/* 0 both, 4, 6 */
	int format;			/* enum feed_format */
	int ranges;			/* plain: start-end lines */
	uint32_t now;			/* expiry reference */
	const char *name;		/* set name, default "verdict" */
	const char *nft_table;		/* nft table, default "verdict" */
	/* learned blocks, sorted by key, without duplicates: merged into
	 * the set by the aggregated formats, in sets of their own
	 * (NAME_learned_v4/_v6, with timeouts) by nft and ipset */
	const feed_learned *learned;
	size_t nlearned;
	int with_learned;		/* the profile has learned tables */
} feed_opts;

/* vd_feed_format_parse - a format name to enum feed_format, -1 if unknown. */
int vd_feed_format_parse(const char *s);

/* vd_feed_name_ok - 1 for [A-Za-z0-9_-]{1,FEED_NAME_MAX} (set/table names). */
int vd_feed_name_ok(const char *s);

/*
 * vd_feed_write - the feed of o into out, inside the read transaction r.
 * Returns VERDICT_OK, VERDICT_EIO (write error; errno kept as lower
 * code), VERDICT_ENOMEM or VERDICT_EDB.  *count (may be NULL) gets the
 * number of networks (or json objects) written.
 */
int vd_feed_write(tbl_reader *r, const feed_opts *o, FILE *out, size_t *count);

#endif
