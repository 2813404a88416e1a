/*
 * feed_run.h - the state of one feed being written, shared by the feed's
 * files (feed.c, json.c, learned_sets.c); private to the feed layer
 */
#ifndef VD_FEED_RUN_H
#define VD_FEED_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "feed.h"

#define FEED_NFT_CHUNK		1000	/* nft elements per statement */
#define FEED_IPSET_TIMEOUT_MAX	2147483u	/* ipset's own limit */

/* Where a piece of the set comes from: one entry, or several. */
typedef struct feed_src {
	int single;		/* 1: exactly one block entry covers it */
	uint16_t tid;
	uint8_t plen;
	uint8_t rlen;
	const char *reason;
	vaddr net;
} feed_src;

typedef struct feed_seg {
	vaddr lo, hi;
	feed_src src;
} feed_seg;

typedef struct feed_range {
	vaddr lo, hi;
} feed_range;

typedef struct feed_jrec {
	vcidr cidr;
	size_t table;		/* index into o->block */
	uint32_t expires;
	uint8_t rlen;
	const char *reason;
} feed_jrec;

typedef struct feed_run {
	const feed_opts *o;
	FILE *out;
	int fam;		/* this pass: 4 or 6 */
	int counting;		/* count networks, write nothing */
	int need_src;		/* keep sources (postfix, rbldnsd) */
	int active;
	vaddr lo, hi;
	feed_seg *segs;
	size_t nseg, segcap, segi;
	feed_range *trusted;
	size_t ntrusted, tp;
	size_t count;		/* networks of this pass */
	size_t chunk;		/* nft: elements in the open statement */
	feed_jrec *jrec;
	size_t njrec, jcap;
	size_t lp;		/* next learned block of this pass */
	int err;
} feed_run;

static inline void
put(feed_run *fr, const char *s)
{
	fputs_unlocked(s, fr->out);
}

static inline void
put_n(feed_run *fr, const char *s, size_t n)
{
	fwrite_unlocked(s, 1, n, fr->out);
}

/* put_text - a reason, made safe for a text format (postfix, rbldnsd);
 * json writes its strings with vd_json_escape instead. */
static inline void
put_text(feed_run *fr, const char *s, size_t n)
{
	int fmt = fr->o->format;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			putc_unlocked('?', fr->out);
		} else if (c == '$' && (fmt == FEED_RBLDNSD ||
					fmt == FEED_RBLDNSD6)) {
			put(fr, "$$");
		} else {
			putc_unlocked(c, fr->out);
		}
	}
}

/* vd_feed_json_add - remember the entries behind a kept piece
 * (deduplicated by vd_feed_json_flush); VERDICT_ENOMEM */
int vd_feed_json_add(feed_run *fr, const vaddr *start, const uint8_t *val,
		     size_t len);

/* vd_feed_json_flush - one JSON line per remembered entry, in network
 * order, each once */
void vd_feed_json_flush(feed_run *fr);

/* vd_feed_learned_sets - nft and ipset: the learned blocks of family fam
 * in NAME_learned_v4/_v6, each with its timeout */
void vd_feed_learned_sets(feed_run *fr, int fam);

#endif
