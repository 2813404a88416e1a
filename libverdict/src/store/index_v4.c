/*
 * index_v4.c - the IPv4 intervals of the index, in page-sized blocks
 *
 *	vd_index_v4_find	the interval holding an address (hot path)
 *	vd_index_v4_count	intervals of a well-formed block, 0 if damaged
 *	vd_index_v4_get		one interval of a block
 *	vd_index_v4_w_*		write ascending intervals as blocks
 *	vd_index_v4_replace	replace the intervals of an address range
 *
 * The layout is in index_v4.h.  Every read of a record checks its sizes
 * first: a damaged record is "damaged" (-1 / MDB_CORRUPTED), never a read
 * outside it.  Values are 2-byte aligned in LMDB pages, so integers are
 * read with memcpy.
 *
 * Diagnostics: none here; callers turn MDB_CORRUPTED and LMDB codes
 * into VERDICT_EDB with their own words.
 *
 * Limits: a record is at most 4 + 12 x INDEX_V4_N bytes of header plus
 * its parts; one interval's part may be large (many tables): its block
 * then holds it alone, on as many overflow pages as it needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "index_v4.h"
#include "recs.h"

#define HDR(n)	(4 + 12 * (size_t)(n))

unsigned vd_index_v4_max_n = INDEX_V4_N;

static uint32_t
ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t
ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* hdr_n - the interval count of a record whose header fits, else 0 */
static size_t
hdr_n(const uint8_t *v, size_t len)
{
	size_t n;

	if (len < HDR(1))
		return 0;
	n = ld16(v);
	if (n == 0 || n > INDEX_V4_N || len < HDR(n))
		return 0;
	return n;
}

/* part_of - interval i's part; 0 ok, -1 offsets out of order or range */
static int
part_of(const uint8_t *v, size_t len, size_t n, size_t i,
	const uint8_t **part, size_t *plen)
{
	const uint8_t *offs = v + 4 + 8 * n;
	size_t a = ld32(offs + 4 * i);
	size_t b = i + 1 < n ? ld32(offs + 4 * (i + 1)) : len;

	if (a < HDR(n) || b < a || b > len)
		return -1;
	*part = v + a;
	*plen = b - a;
	return 0;
}

int
vd_index_v4_find(const void *val, size_t len, uint32_t ip,
		 const uint8_t **part, size_t *plen)
{
	const uint8_t *v = val, *ends;
	size_t n = hdr_n(v, len), lo, cnt;

	if (n == 0)
		return -1;
	ends = v + 4;
	/* the ends, starts and offsets (at most 25 cache lines of the
	 * block's page): asked for all at once, so that their misses
	 * overlap instead of following the search one after the other */
	for (size_t b = 0; b < HDR(n); b += 64)
		__builtin_prefetch(v + b);
	/* lower bound: the first end >= ip */
	lo = 0;
	cnt = n;
	while (cnt > 0) {
		size_t half = cnt / 2;

		if (ld32(ends + 4 * (lo + half)) < ip) {
			lo += half + 1;
			cnt -= half + 1;
		} else {
			cnt = half;
		}
	}
	if (lo == n)
		return -1;	/* the key promised an end >= ip */
	if (ld32(v + 4 + 4 * n + 4 * lo) > ip)
		return 0;
	return part_of(v, len, n, lo, part, plen) == 0 ? 1 : -1;
}

size_t
vd_index_v4_count(const void *val, size_t len)
{
	const uint8_t *v = val;
	size_t n = hdr_n(v, len);
	uint32_t prev = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p;
		size_t pl;
		uint32_t s = ld32(v + 4 + 4 * n + 4 * i),
			 e = ld32(v + 4 + 4 * i);

		if (s > e || (i > 0 && s <= prev) ||
		    part_of(v, len, n, i, &p, &pl) != 0)
			return 0;
		prev = e;
	}
	return n;
}

void
vd_index_v4_get(const void *val, size_t len, size_t i, index_v4_iv *iv)
{
	const uint8_t *v = val;
	size_t n = ld16(v);

	iv->end = ld32(v + 4 + 4 * i);
	iv->start = ld32(v + 4 + 4 * n + 4 * i);
	if (part_of(v, len, n, i, &iv->part, &iv->plen) != 0) {
		iv->part = v;	/* not after vd_index_v4_count() said ok */
		iv->plen = 0;
	}
}

/* --- writing */

void
vd_index_v4_w_init(index_v4_w *w, MDB_txn *txn, MDB_dbi dbi, unsigned flags)
{
	memset(w, 0, offsetof(index_v4_w, start));
	w->txn = txn;
	w->dbi = dbi;
	w->flags = flags;
	w->parts = NULL;
}

void
vd_index_v4_w_free(index_v4_w *w)
{
	free(w->parts);
	w->parts = NULL;
	w->pcap = 0;
}

int
vd_index_v4_w_flush(index_v4_w *w)
{
	size_t n = w->n, h = HDR(n);
	uint16_t n16 = (uint16_t)n, zero = 0;
	MDB_val k, v;
	uint8_t *p;
	int rc;

	if (n == 0)
		return 0;
	k.mv_size = 4;
	k.mv_data = &w->end[n - 1];
	v.mv_size = h + w->plen;
	/* written in place: no copy of the block */
	rc = mdb_put(w->txn, w->dbi, &k, &v, MDB_RESERVE |
		     (w->flags & MDB_APPEND ? MDB_APPEND : MDB_NOOVERWRITE));
	if (rc != 0)
		return rc;
	p = v.mv_data;
	memcpy(p, &n16, 2);
	memcpy(p + 2, &zero, 2);
	memcpy(p + 4, w->end, 4 * n);
	memcpy(p + 4 + 4 * n, w->start, 4 * n);
	for (size_t i = 0; i < n; i++) {
		uint32_t o = (uint32_t)(h + w->off[i]);

		memcpy(p + 4 + 8 * n + 4 * i, &o, 4);
	}
	if (w->plen)
		memcpy(p + h, w->parts, w->plen);
	w->n = 0;
	w->plen = 0;
	return 0;
}

int
vd_index_v4_w_add(index_v4_w *w, const index_v4_iv *iv)
{
	unsigned max = vd_index_v4_max_n >= 1 &&
		       vd_index_v4_max_n <= INDEX_V4_N ?
		       vd_index_v4_max_n : INDEX_V4_N;
	int rc;

	if (w->n > 0 && (w->n >= max ||
			 HDR(w->n + 1) + w->plen + iv->plen > INDEX_V4_BYTES))
		if ((rc = vd_index_v4_w_flush(w)) != 0)
			return rc;
	if (w->plen + iv->plen > w->pcap) {
		size_t nc = w->pcap ? w->pcap : 2048;
		uint8_t *np;

		while (nc < w->plen + iv->plen)
			nc *= 2;
		if ((np = realloc(w->parts, nc)) == NULL)
			return ENOMEM;
		w->parts = np;
		w->pcap = nc;
	}
	w->start[w->n] = iv->start;
	w->end[w->n] = iv->end;
	w->off[w->n] = (uint32_t)w->plen;
	if (iv->plen)
		memcpy(w->parts + w->plen, iv->part, iv->plen);
	w->plen += iv->plen;
	w->n++;
	return 0;
}

/* --- range replace */

/* keep - the old intervals' pieces on one side of [lo, hi]: before
 * (side 0) or after (side 1) */
static int
keep(index_v4_w *w, const vd_recs *o, uint32_t lo, uint32_t hi, int side)
{
	int rc;

	for (size_t b = 0; b < o->n; b++) {
		size_t n = vd_index_v4_count(o->rec[b], o->len[b]);

		for (size_t i = 0; i < n; i++) {
			index_v4_iv iv;

			vd_index_v4_get(o->rec[b], o->len[b], i, &iv);
			if (side == 0) {
				if (iv.start >= lo)
					continue;
				if (iv.end >= lo)
					iv.end = lo - 1;
			} else {
				if (iv.end <= hi)
					continue;
				if (iv.start <= hi)
					iv.start = hi + 1;
			}
			if ((rc = vd_index_v4_w_add(w, &iv)) != 0)
				return rc;
		}
	}
	return 0;
}

int
vd_index_v4_replace(MDB_txn *txn, MDB_dbi dbi, uint32_t lo, uint32_t hi,
		    const index_v4_iv *nv, size_t nn)
{
	vd_recs o = { 0 };
	MDB_cursor *c = NULL;
	MDB_val k, v;
	index_v4_w w;
	uint32_t k4 = lo;
	int rc;

	vd_index_v4_w_init(&w, txn, dbi, 0);
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		goto out;
	/* the blocks from the first whose last end >= lo, while they start
	 * inside the range; the first one always (a neighbour to merge) */
	for (;;) {
		size_t n;

		k.mv_size = 4;
		k.mv_data = &k4;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0)
			goto out;
		if (k.mv_size != 4 ||
		    (n = vd_index_v4_count(v.mv_data, v.mv_size)) == 0) {
			rc = MDB_CORRUPTED;
			goto out;
		}
		if (o.n > 0 && ld32((const uint8_t *)v.mv_data + 4 + 4 * n)
		    > hi)
			break;
		if (vd_recs_add(&o, v.mv_data, v.mv_size, NULL, 0) != 0) {
			rc = ENOMEM;
			goto out;
		}
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			goto out;
	}
	mdb_cursor_close(c);
	c = NULL;
	if ((rc = keep(&w, &o, lo, hi, 0)) != 0)
		goto out;
	for (size_t i = 0; i < nn; i++)
		if ((rc = vd_index_v4_w_add(&w, &nv[i])) != 0)
			goto out;
	if ((rc = keep(&w, &o, lo, hi, 1)) != 0 ||
	    (rc = vd_index_v4_w_flush(&w)) != 0)
		goto out;
out:
	if (c)
		mdb_cursor_close(c);
	vd_index_v4_w_free(&w);
	vd_recs_free(&o);
	return rc;
}
