/*
 * blk4.h - IPv4 index intervals packed in blocks (LMDB db idx4p)
 *
 * The IPv4 part of the combined index (table.h) is stored as blocks of up
 * to BLK4_N consecutive intervals, one LMDB record each, keyed by the end
 * of the block's last interval (u32, host order, MDB_INTEGERKEY).  A
 * record-per-interval layout made LMDB's own binary search inside a leaf
 * page (one cache miss per probe, seven probes) most of a verdict on a
 * large table; in a block, the ends are one contiguous array (a few
 * cache lines, fetched together).
 *
 * A block is sized to fill one LMDB overflow page (format 4): a value
 * larger than half a page is stored on pages of its own, and the leaf
 * node keeps only the key and the page number, from which LMDB computes
 * the value's address without reading the page.  The leaf pages of a
 * 1.2M-entry index then take ~100 KB (~25 bytes a block) and stay in
 * cache, so a lookup's only cold memory is the block's own page, where
 * format 3 (two blocks in a leaf page) also missed on the leaf page's
 * header and node (measured: 896 -> 692 ns a verdict, same run).
 *
 * Record value, integers in host order:
 *	u16 n | u16 0 | u32 end[n] | u32 start[n] | u32 off[n] | parts
 * off[i] is the offset of interval i's part from the start of the value;
 * the part runs to off[i + 1] (or the end of the value).  A part is the
 * interval's table part: ntables u8 | per-table chunks (table.h).
 * Intervals are disjoint and ascending, in a block and across blocks.
 */
#ifndef VD_BLK4_H
#define VD_BLK4_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#define BLK4_N		128	/* intervals a block at most */
#define BLK4_BYTES	4000	/* a block is closed before it outgrows this
				 * (unless it holds one interval): one
				 * overflow page of 4 KiB (less its 16-byte
				 * header) holds it */

/* Test hook: intervals per block (1..BLK4_N), default BLK4_N. */
extern unsigned vd_blk4_max_n;

/* One interval; part points into a record or a caller's buffer. */
typedef struct blk4_iv {
	uint32_t start, end;
	const uint8_t *part;
	size_t plen;
} blk4_iv;

/*
 * vd_blk4_find - the part of the interval of the block (val, len) that holds
 * ip.  1 found (*part, *plen set), 0 ip is in a gap, -1 the record is
 * damaged.  Reads nothing outside val[0..len).
 */
int vd_blk4_find(const void *val, size_t len, uint32_t ip, const uint8_t **part,
	      size_t *plen);

/* vd_blk4_count - intervals in a well-formed block, 0 if damaged. */
size_t vd_blk4_count(const void *val, size_t len);

/* vd_blk4_get - interval i (< vd_blk4_count) of the block. */
void vd_blk4_get(const void *val, size_t len, size_t i, blk4_iv *iv);

/*
 * A block writer: intervals in ascending order in, records out.  With
 * MDB_APPEND the db must hold nothing at or after the first key written
 * (a full rebuild); otherwise records go in with MDB_NOOVERWRITE.
 * Returns are LMDB codes (ENOMEM included); 0 ok.
 */
typedef struct blk4_w {
	MDB_txn *txn;
	MDB_dbi dbi;
	unsigned flags;		/* MDB_APPEND or 0 */
	size_t n, plen, pcap;
	uint32_t start[BLK4_N], end[BLK4_N], off[BLK4_N];
	uint8_t *parts;		/* parts, back to back */
} blk4_w;

void vd_blk4_w_init(blk4_w *w, MDB_txn *txn, MDB_dbi dbi, unsigned flags);
int vd_blk4_w_add(blk4_w *w, const blk4_iv *iv);
int vd_blk4_w_flush(blk4_w *w);	/* write the open block, if any */
void vd_blk4_w_free(blk4_w *w);

/*
 * vd_blk4_replace - make [lo, hi] hold exactly the intervals nv[0..nn)
 * (ascending, inside [lo, hi]): the blocks that overlap the range (and the
 * block after it, so small changes merge into a neighbour) are read,
 * deleted and written again with old intervals trimmed at lo and hi.
 * LMDB code, 0 ok; MDB_CORRUPTED for a damaged block.
 */
int vd_blk4_replace(MDB_txn *txn, MDB_dbi dbi, uint32_t lo, uint32_t hi,
		 const blk4_iv *nv, size_t nn);

#endif
