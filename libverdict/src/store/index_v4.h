/*
 * index_v4.h - the IPv4 intervals of the index, in page-sized blocks
 *
 * The IPv4 part of the combined index (index.h) is the LMDB db "idx4p"
 * (INDEX_V4_DB), holding blocks of up to INDEX_V4_N consecutive
 * intervals, one record each, keyed by the end of the block's last
 * interval (u32, host order, MDB_INTEGERKEY).  Why blocks: with a record
 * per interval, LMDB's own binary search inside a leaf page (a cache
 * miss a step) is most of a verdict on a large table; in a block the
 * ends are one contiguous array, a few cache lines fetched together.
 *
 * Why a block fills one overflow page: a value larger than half a page
 * is stored on pages of its own, and the leaf node keeps only the key
 * and the page number, from which LMDB computes the value's address
 * without reading the page.  The leaf pages of even a large index are
 * then small enough to stay in cache, so a lookup's only cold memory is
 * the block's own page.
 *
 * Record value, integers in host order:
 *	u16 n | u16 0 | u32 end[n] | u32 start[n] | u32 off[n] | parts
 * off[i] is the offset of interval i's part from the start of the value;
 * the part runs to off[i + 1] (or the end of the value).  A part is the
 * interval's table part: ntables u8 | per-table chunks (index.h).
 * Intervals are disjoint and ascending, in a block and across blocks.
 */
#ifndef VD_INDEX_V4_H
#define VD_INDEX_V4_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define INDEX_V4_DB	"idx4p"	/* the db of the blocks */
#define INDEX_V4_N		128	/* intervals a block at most */
#define INDEX_V4_BYTES	4000	/* a block is closed before it outgrows this
				 * (unless it holds one interval): one
				 * overflow page of 4 KiB (less its 16-byte
				 * header) holds it */

/* vd_index_v4_key - the u32 (host order) of an IPv4-mapped address. */
static inline uint32_t
vd_index_v4_key(const vaddr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
	       (uint32_t)a->b[14] << 8 | a->b[15];
}

/* vd_index_v4_addr - the IPv4-mapped address of a u32 key. */
static inline void
vd_index_v4_addr(vaddr *a, uint32_t k)
{
	uint8_t b[4] = { k >> 24, k >> 16 & 0xff, k >> 8 & 0xff, k & 0xff };

	vd_addr_from_v4(a, b);
}

/* Test hook: intervals per block (1..INDEX_V4_N), default INDEX_V4_N. */
extern unsigned vd_index_v4_max_n;

/* One interval; part points into a record or a caller's buffer. */
typedef struct index_v4_iv {
	uint32_t start, end;
	const uint8_t *part;
	size_t plen;
} index_v4_iv;

/*
 * vd_index_v4_find - the part of the interval of the block (val, len)
 * that holds ip.  1 found (*part, *plen set), 0 ip is in a gap, -1 the
 * record is damaged.  Reads nothing outside val[0..len).
 */
int vd_index_v4_find(const void *val, size_t len, uint32_t ip,
		     const uint8_t **part, size_t *plen);

/* vd_index_v4_count - intervals in a well-formed block, 0 if damaged. */
size_t vd_index_v4_count(const void *val, size_t len);

/* vd_index_v4_get - interval i (< vd_index_v4_count) of the block. */
void vd_index_v4_get(const void *val, size_t len, size_t i, index_v4_iv *iv);

/*
 * A block writer: intervals in ascending order in, records out.  With
 * MDB_APPEND the db must hold nothing at or after the first key written
 * (a full rebuild); otherwise records go in with MDB_NOOVERWRITE.
 * Returns are LMDB codes (ENOMEM included); 0 ok.
 */
typedef struct index_v4_w {
	MDB_txn *txn;
	MDB_dbi dbi;
	unsigned flags;		/* MDB_APPEND or 0 */
	size_t n, plen, pcap;
	uint32_t start[INDEX_V4_N], end[INDEX_V4_N], off[INDEX_V4_N];
	uint8_t *parts;		/* parts, back to back */
} index_v4_w;

void vd_index_v4_w_init(index_v4_w *w, MDB_txn *txn, MDB_dbi dbi,
			unsigned flags);
int vd_index_v4_w_add(index_v4_w *w, const index_v4_iv *iv);
int vd_index_v4_w_flush(index_v4_w *w);	/* write the open block, if any */
void vd_index_v4_w_free(index_v4_w *w);

/*
 * vd_index_v4_replace - make [lo, hi] hold exactly the intervals nv[0..nn)
 * (ascending, inside [lo, hi]): the blocks that overlap the range (and the
 * block after it, so small changes merge into a neighbour) are read,
 * deleted and written again with old intervals trimmed at lo and hi.
 * LMDB code, 0 ok; MDB_CORRUPTED for a damaged block.
 */
int vd_index_v4_replace(MDB_txn *txn, MDB_dbi dbi, uint32_t lo, uint32_t hi,
		 const index_v4_iv *nv, size_t nn);

#endif
