/*
 * bulk.h - the entries of an import (bulk_sort.h puts them in order)
 *
 * A bulk keeps the entries of a replacement as the items the sort moves:
 * an IPv4 entry is 32 bytes, an IPv6 one 40, and nothing else is built,
 * so that the sort and the passes after it read memory in order.  A
 * short reason (SBL123456) is copied into its item; a longer one is kept
 * by pointer, and that memory must outlive vd_entries_replace().  Every
 * entry of a bulk has the same added time and origin.  The item arrays
 * are reserved address space that fills as entries come
 * (vd_alloc_big_reserve).
 */
#ifndef VD_BULK_H
#define VD_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "entries.h"

#define BULK_INLINE4 18	/* reasons up to this long are kept in the item */
#define BULK_INLINE6 16

typedef struct bulk_item4 {	/* 32 bytes */
	uint64_t key;		/* v4 address << 8 | plen (96 + n) */
	uint32_t expires;
	uint8_t rlen;
	uint8_t inl;		/* 1: the reason is in r, else a pointer */
	char r[BULK_INLINE4];
} bulk_item4;

typedef struct bulk_item6 {	/* 40 bytes */
	uint8_t key[17];	/* net | plen */
	uint8_t rlen;
	uint8_t inl;
	uint32_t expires;
	char r[BULK_INLINE6];
} bulk_item6;

struct tbl_bulk {
	bulk_item4 *v4;
	bulk_item6 *v6;
	size_t n4, cap4, n6, cap6;
	uint64_t added;
	const char *origin;
	uint8_t olen;
};

/* vd_bulk_init - an empty bulk with room reserved for about hint entries
 * of each family (address space only); origin is kept by pointer.  0, or
 * VERDICT_ENOMEM. */
int vd_bulk_init(tbl_bulk *b, size_t hint, uint64_t added,
		 const char *origin);
/* vd_bulk_add - one more entry (reason: rlen <= TBL_REASON_MAX bytes,
 * kept by pointer).  0, or VERDICT_ENOMEM (the bulk is unchanged). */
int vd_bulk_add(tbl_bulk *b, const vcidr *c, const char *reason,
		size_t rlen, uint32_t expires);
void vd_bulk_free(tbl_bulk *b);

/* vd_bulk_distinct - the distinct CIDRs of a sorted bulk. */
size_t vd_bulk_distinct(const tbl_bulk *b);

/* A sorted bulk in key order, one entry at a time: the IPv6 items below
 * ::ffff:0:0, the IPv4 items, the other IPv6 items (the 16-byte key
 * order); of equal CIDRs only the last.  An entry's reason points into
 * its item (or where a long one is): valid while the bulk is. */
typedef struct bulk_it {
	const tbl_bulk *b;
	size_t seg, i, split6;	/* split6: the first IPv6 item above */
} bulk_it;

void vd_bulk_it_init(bulk_it *it, const tbl_bulk *b);
/* vd_bulk_it_next - the next entry into *e; 0 at the end */
int vd_bulk_it_next(bulk_it *it, tbl_entry *e);

#endif
