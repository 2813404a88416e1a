/*
 * listfile.c - blocklist file parsing, one line at a time
 *
 *	vd_listfile_parse_line	one line: items, skip, or bad with a reason
 *	vd_listfile_parse_buf	a whole buffer, line by line
 *
 * Publishers disagree on formats and some mix them, so the format is
 * detected per line, cheapest first:
 *
 *	1.2.3.4			bare address (a host route)
 *	1.2.3.0/24		CIDR (FireHOL netsets, most lists)
 *	1.2.3.0/24 ; SBL123	Spamhaus DROP: the text after the first ';'
 *				is the entry's reason
 *	1.2.3.0/24 # text	inline comment: dropped, not a reason
 *	# text, ; text		comment lines (FireHOL '#', Spamhaus ';')
 *	1.2.3.4 - 1.2.3.9	range (either family), split into CIDRs
 *	1.2.3.0<TAB>1.2.3.255<TAB>24<TAB>...	DShield block.txt; the
 *				"Start<TAB>End<TAB>Netblock..." header skipped
 *	Some Org:1.2.3.4-1.2.3.9  P2P (PeerGuardian); the label becomes the
 *				reason.  Labels may contain colons and IPv6
 *				ranges do: the label ends at the leftmost colon
 *				after which the rest parses as a range.
 *
 * Lines may end in CRLF and carry trailing white space; a UTF-8 BOM at
 * the start of a buffer is skipped.  An empty buffer is an empty list.
 *
 * Importing a large list is a hot path: the common line (a
 * bare CIDR, maybe with "; reason") costs one scan of its bytes and one
 * vd_cidr_parse; there is no allocation and no copy anywhere.  Items point
 * into the caller's buffer.
 *
 * Diagnostics: a bad line returns LISTFILE_BAD with a short reason that
 * quotes the offending text (cut to 60 bytes on a UTF-8 boundary, control
 * bytes shown as '?').  Host bits are not an error: the item carries
 * hostbits = 1 and the caller warns with the corrected network.
 *
 * Limits: in a P2P line the range must lie within the last 64 bytes
 * before its '-' (an address is at most 45); a '#' or ';' inside a P2P
 * label is tolerated only when the line does not parse without it; when
 * "label:start" as a whole is a valid IPv6 address (a label of hex digits
 * before an IPv6 start, "beef:2001:db8::-...") it is read as that
 * address, never guessed to be a label.
 */
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "listfile.h"
#include "str.h"

#define QUOTE_MAX 60
#define P2P_WINDOW 64

struct lf_ctx {
	int (*emit)(const listfile_item *it, void *arg);
	void *arg;
	listfile_item item;
	int stopped;		/* emit returned non-zero */
	int stop_rc;
};

static inline int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* trim - shrink [*b, *e) over white space on both sides. */
static inline void
trim(const char *s, size_t *b, size_t *e)
{
	while (*e > *b && is_ws((unsigned char)s[*e - 1]))
		(*e)--;
	while (*b < *e && is_ws((unsigned char)s[*b]))
		(*b)++;
}

/* set_why - "what \"text\"", text cut and made printable. */
static void
set_why(char *why, size_t whylen, const char *what, const char *s, size_t n)
{
	char q[QUOTE_MAX * 1 + 4];
	size_t m = vd_str_utf8_cut(s, n, QUOTE_MAX), i;

	if (why == NULL || whylen == 0)
		return;
	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)s[i];

		q[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (m < n) {
		memcpy(q + m, "...", 3);
		m += 3;
	}
	q[m] = 0;
	snprintf(why, whylen, "%s \"%s\"", what, q);
}

static int
emit_one(struct lf_ctx *cx, const vcidr *c, int hostbits)
{
	int rc;

	cx->item.cidr = *c;
	cx->item.hostbits = hostbits;
	rc = cx->emit(&cx->item, cx->arg);
	if (rc != 0) {
		cx->stopped = 1;
		cx->stop_rc = rc;
	}
	return rc;
}

static int
emit_range_cb(const vcidr *c, void *arg)
{
	return emit_one(arg, c, 0);
}

/* Outcomes of parse_range, worst last: the best is reported. */
#define RANGE_OK	0
#define RANGE_MALFORMED	1
#define RANGE_ORDER	2
#define RANGE_FAMILY	3

static int
parse_addr_trim(const char *s, size_t b, size_t e, vaddr *a)
{
	trim(s, &b, &e);
	return b < e ? vd_addr_parse(s + b, e - b, a) : -1;
}

/* check_range - both ends parsed: same family, in order. */
static int
check_range(const vaddr *lo, const vaddr *hi)
{
	if (vd_addr_is_v4(lo) != vd_addr_is_v4(hi))
		return RANGE_FAMILY;
	if (vd_addr_cmp(lo, hi) > 0)
		return RANGE_ORDER;
	return RANGE_OK;
}

/*
 * parse_range - s[0..n) holds "start-end" (q: its last '-'), optionally
 * behind a P2P "label:".  Plain first, then each colon in the window
 * before the '-', leftmost first: the longest range text wins, since an
 * IPv6 start like "2001:db8::1" also ends in a valid "db8::1".  *lab
 * gets the label length (0: none).
 */
static int
parse_range(const char *s, size_t n, size_t q, vaddr *lo, vaddr *hi,
	    size_t *lab)
{
	size_t k = q, p, from;
	int best = RANGE_MALFORMED, rc;

	*lab = 0;
	if (parse_addr_trim(s, q + 1, n, hi) != 0)
		return RANGE_MALFORMED;
	while (k > 0 && is_ws((unsigned char)s[k - 1]))
		k--;
	/* text that is an address is never a label plus an address:
	 * "2001:db8::ff-2001:db8::1" is a reversed range, not "2001:" and
	 * db8::ff-2001:db8::1 */
	if (parse_addr_trim(s, 0, k, lo) == 0)
		return check_range(lo, hi);
	from = k > P2P_WINDOW ? k - P2P_WINDOW : 0;
	for (p = from; p < k; p++) {
		if (s[p] != ':' || p == 0)
			continue;
		if (parse_addr_trim(s, p + 1, k, lo) != 0)
			continue;
		if ((rc = check_range(lo, hi)) == RANGE_OK) {
			*lab = p;
			return RANGE_OK;
		}
		if (best == RANGE_MALFORMED)
			best = rc;
	}
	return best;
}

/* try_range - a range line; 0 done (items or stop), else a RANGE_ code. */
static int
try_range(struct lf_ctx *cx, const char *s, size_t n, int label_reason)
{
	const char *dash = NULL;
	size_t lab, q;
	vaddr lo, hi;
	int rc;

	for (q = n; q > 0; q--)
		if (s[q - 1] == '-') {
			dash = s + q - 1;
			break;
		}
	if (dash == NULL)
		return RANGE_MALFORMED;
	rc = parse_range(s, n, (size_t)(dash - s), &lo, &hi, &lab);
	if (rc != RANGE_OK)
		return rc;
	if (lab > 0 && label_reason) {
		size_t b = 0, e = lab;

		trim(s, &b, &e);
		cx->item.reason = s + b;
		cx->item.reason_len = vd_str_utf8_cut(s + b, e - b,
						    LISTFILE_REASON_MAX);
	}
	cx->item.ranged = 1;
	cx->item.lo = lo;
	cx->item.hi = hi;
	vd_cidr_range_split(&lo, &hi, emit_range_cb, cx);
	return RANGE_OK;
}

static const char *const range_why[] = {
	"", "malformed range", "range start after end",
	"range mixes IPv4 and IPv6",
};

/*
 * try_dshield - TAB-separated start, end, prefix, ...  Returns 1 when
 * the line is not DShield (the first two fields are not addresses),
 * 0 when done, -1 when bad (why set).
 */
static int
try_dshield(struct lf_ctx *cx, const char *s, size_t n, char *why,
	    size_t whylen)
{
	const char *t1, *t2, *t3;
	size_t e2;
	vaddr lo, hi;
	long plen;
	int rc;

	if ((t1 = memchr(s, '\t', n)) == NULL)
		return 1;
	t2 = memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - s));
	if (t2 == NULL)
		return 1;
	if (parse_addr_trim(s, 0, (size_t)(t1 - s), &lo) != 0
	    || parse_addr_trim(s, (size_t)(t1 + 1 - s), (size_t)(t2 - s),
			       &hi) != 0)
		return 1;
	t3 = memchr(t2 + 1, '\t', n - (size_t)(t2 + 1 - s));
	e2 = t3 ? (size_t)(t3 - s) : n;
	{
		size_t b = (size_t)(t2 + 1 - s);

		trim(s, &b, &e2);
		if (vd_str_parse_long(s + b, e2 - b, 0,
				    vd_addr_is_v4(&lo) ? 32 : 128, &plen) != 0) {
			set_why(why, whylen, "malformed DShield prefix", s, n);
			return -1;
		}
	}
	if ((rc = check_range(&lo, &hi)) != RANGE_OK) {
		set_why(why, whylen, range_why[rc], s, n);
		return -1;
	}
	/* the range is authoritative: when the prefix agrees this is the
	 * one network start/prefix, when it does not we still cover
	 * exactly what the publisher listed */
	cx->item.reason = NULL;
	cx->item.reason_len = 0;
	cx->item.ranged = 1;
	cx->item.lo = lo;
	cx->item.hi = hi;
	vd_cidr_range_split(&lo, &hi, emit_range_cb, cx);
	return 0;
}

/* What one pass over a trimmed line finds. */
struct lf_scan {
	size_t cpos;		/* the first '#' or ';' (has_c) */
	size_t d;		/* the end of the data, before a comment */
	int has_c, has_dash;
	int has_ws, has_tab;	/* white space / a TAB inside the data */
};

/* scan_line - the comment, dashes and white space of line[b, e) */
static void
scan_line(const char *line, size_t b, size_t e, struct lf_scan *sc)
{
	size_t ws_at = e, tab_at = e, d;

	sc->has_c = sc->has_dash = 0;
	sc->cpos = 0;
	for (size_t i = b; i < e; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == '#' || ch == ';') {
			sc->has_c = 1;
			sc->cpos = i;
			break;
		}
		if (ch == '-')
			sc->has_dash = 1;
		else if (is_ws(ch)) {
			if (ws_at == e)
				ws_at = i;
			if (ch == '\t' && tab_at == e)
				tab_at = i;
		}
	}
	d = sc->has_c ? sc->cpos : e;
	while (d > b && is_ws((unsigned char)line[d - 1]))
		d--;
	/* white space inside the data, not before a comment */
	sc->has_ws = ws_at < d;
	sc->has_tab = tab_at < d;
	sc->d = d;
}

static int
parse_line(const char *line, size_t len, size_t lineno,
	   int (*emit)(const listfile_item *it, void *arg), void *arg,
	   char *why, size_t whylen)
{
	struct lf_ctx cx;
	struct lf_scan sc;
	size_t b = 0, e = len, d, cpos;
	int has_c, has_dash, has_tab, rc;
	vcidr c;

	trim(line, &b, &e);
	if (b == e || line[b] == '#' || line[b] == ';')
		return LISTFILE_SKIP;
	if (e - b >= 6 && memcmp(line + b, "Start\t", 6) == 0)
		return LISTFILE_SKIP;	/* DShield block.txt header */

	cx.emit = emit;
	cx.arg = arg;
	cx.stopped = 0;
	cx.stop_rc = 0;
	cx.item.reason = NULL;
	cx.item.reason_len = 0;
	cx.item.lineno = lineno;
	cx.item.ranged = 0;

	scan_line(line, b, e, &sc);
	has_c = sc.has_c, has_dash = sc.has_dash, has_tab = sc.has_tab;
	cpos = sc.cpos, d = sc.d;
	if (has_c && line[cpos] == ';') {
		size_t rb = cpos + 1, re = e;

		trim(line, &rb, &re);
		cx.item.reason = line + rb;
		cx.item.reason_len = vd_str_utf8_cut(line + rb, re - rb,
						   LISTFILE_REASON_MAX);
	}

	/* the common case: one token, an address or a network */
	if (!has_dash && !sc.has_ws) {
		rc = vd_cidr_parse(line + b, d - b, &c);
		if (rc != CIDR_BAD) {
			emit_one(&cx, &c, rc == CIDR_HOSTBITS);
			return cx.stopped ? cx.stop_rc : LISTFILE_ITEMS;
		}
		if (!has_c || memchr(line + cpos, '-', e - cpos) == NULL) {
			set_why(why, whylen, memchr(line + b, '/', d - b)
				? "malformed network" : "malformed address",
				line + b, d - b);
			return LISTFILE_BAD;
		}
	}
	if (has_tab) {
		rc = try_dshield(&cx, line + b, d - b, why, whylen);
		if (rc == 0)
			return cx.stopped ? cx.stop_rc : LISTFILE_ITEMS;
		if (rc < 0)
			return LISTFILE_BAD;
	}
	rc = RANGE_MALFORMED;
	if (has_dash) {
		rc = try_range(&cx, line + b, d - b, cx.item.reason_len == 0);
		if (rc == RANGE_OK)
			return cx.stopped ? cx.stop_rc : LISTFILE_ITEMS;
	}
	/* a P2P label holding '#' or ';': the whole line, label as reason */
	if (has_c && memchr(line + cpos, '-', e - cpos) != NULL) {
		cx.item.reason = NULL;
		cx.item.reason_len = 0;
		if (try_range(&cx, line + b, e - b, 1) == RANGE_OK)
			return cx.stopped ? cx.stop_rc : LISTFILE_ITEMS;
	}
	if (has_dash)
		set_why(why, whylen, range_why[rc], line + b, d - b);
	else
		set_why(why, whylen, "malformed line", line + b, e - b);
	return LISTFILE_BAD;
}

int
vd_listfile_parse_line(const char *line, size_t len,
		    int (*emit)(const listfile_item *it, void *arg),
		    void *arg, char *why, size_t whylen)
{
	return parse_line(line, len, 0, emit, arg, why, whylen);
}

/* stop codes from emit must not be mistaken for per-line results */
struct buf_ctx {
	int (*emit)(const listfile_item *it, void *arg);
	void *arg;
	int rc;
};

static int
buf_emit(const listfile_item *it, void *arg)
{
	struct buf_ctx *bc = arg;

	bc->rc = bc->emit(it, bc->arg);
	return bc->rc;
}

int
vd_listfile_parse_buf(const char *buf, size_t len,
		   int (*emit)(const listfile_item *it, void *arg),
		   int (*bad)(size_t lineno, const char *why, void *arg),
		   void *arg)
{
	struct buf_ctx bc = {emit, arg, 0};
	const char *p = buf, *end = buf + len, *nl;
	size_t lineno = 0;
	char why[160];
	int rc;

	if (len >= 3 &&
	    memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		rc = parse_line(p, (size_t)(nl - p), lineno, buf_emit, &bc,
				why, sizeof(why));
		if (bc.rc != 0)
			return bc.rc;
		if (rc == LISTFILE_BAD && bad != NULL
		    && (rc = bad(lineno, why, arg)) != 0)
			return rc;
		p = nl + 1;
	}
	return 0;
}
