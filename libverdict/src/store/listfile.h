/*
 * listfile.h - blocklist file parsing, one line at a time
 *
 * Formats are detected per line: bare IP, CIDR, Spamhaus DROP
 * "CIDR ; SBLnnn" (text after the first ';' is the reason), '#' and ';'
 * comment lines, inline comments ("CIDR # text", "CIDR ; text"),
 * "start-end" ranges, DShield block.txt (TAB-separated start, end,
 * prefix, ...; its "Start\tEnd\tNetblock..." header row is skipped),
 * P2P "label:start-end" (the label ends at the first colon after which
 * the rest parses as a range; the label is the item's reason unless a
 * "; text" follows), CRLF, a UTF-8 BOM on line 1, trailing white space.
 * An empty file is a valid, empty list.
 */
#ifndef VD_LISTFILE_H
#define VD_LISTFILE_H

#include <stddef.h>
#include "addr.h"

#define LISTFILE_REASON_MAX 200

/* One parsed network.  reason points into the line (not NUL-terminated),
 * reason_len 0 when the line has none; it is trimmed and cut at
 * LISTFILE_REASON_MAX bytes (on a UTF-8 character boundary). */
typedef struct listfile_item {
	vcidr cidr;
	const char *reason;
	size_t reason_len;
	int hostbits;		/* 1 if host bits were set and cleared */
	size_t lineno;		/* line number (vd_listfile_parse_buf), else 0 */
	int ranged;		/* 1: one network of a range, written lo-hi */
	vaddr lo, hi;		/* the range as written (ranged only) */
} listfile_item;

/* Result of vd_listfile_parse_line. */
#define LISTFILE_ITEMS	0	/* emit was called for one or more items */
#define LISTFILE_SKIP	1	/* blank, comment or header line */
#define LISTFILE_BAD	-1	/* why holds the reason */

/*
 * vd_listfile_parse_line - parse one line (without its '\n'; a trailing '\r'
 * is allowed) of len bytes.  emit is called once per network (a range
 * gives several); a non-zero return from emit stops the parse and is
 * returned as is.  On LISTFILE_BAD, why gets a short reason such as
 * "malformed address \"1.2.3\"" (NUL-terminated, cut to whylen).
 */
int vd_listfile_parse_line(const char *line, size_t len,
			int (*emit)(const listfile_item *it, void *arg),
			void *arg, char *why, size_t whylen);

/*
 * vd_listfile_parse_buf - parse a whole buffer line by line (a UTF-8 BOM at
 * the start is skipped; the last line may lack '\n').  For every line:
 * items go to emit; a bad line calls bad(lineno, why, arg) (lineno from 1)
 * and parsing goes on unless bad returns non-zero (then that is
 * returned).  Returns 0 when the buffer was parsed, or emit's non-zero.
 */
int vd_listfile_parse_buf(const char *buf, size_t len,
		       int (*emit)(const listfile_item *it, void *arg),
		       int (*bad)(size_t lineno, const char *why, void *arg),
		       void *arg);

#endif
