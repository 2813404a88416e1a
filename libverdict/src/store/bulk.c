/*
 * bulk.c - the entries of an import, as the sort moves them
 *
 *	vd_bulk_init/add/free	collect the entries of an import
 *	vd_bulk_distinct	count the distinct CIDRs of a sorted bulk
 *	vd_bulk_it_init/next	the sorted entries, in key order
 *
 * The sort itself is bulk_sort.c.
 *
 * Diagnostics: out of memory only (VERDICT_ENOMEM).
 *
 * Limits: the arrays are reserved address space (vd_alloc_big_reserve),
 * grown by doubling.
 */
#include <string.h>

#include "cidr.h"
#include "bulk.h"
#include "index_v4.h"
#include "alloc.h"

_Static_assert(sizeof(bulk_item4) == 32, "bulk_item4 is 32 bytes");
_Static_assert(sizeof(bulk_item6) == 40, "bulk_item6 is 40 bytes");

static const uint8_t bulk_v4_lo[12] = { [10] = 0xff, [11] = 0xff };

/* bulk_item_reason - where an item's reason is: in it, or behind its pointer */
static inline const char *
bulk_item_reason(const char *r, uint8_t inl)
{
	const char *p;

	if (inl)
		return r;
	memcpy(&p, r, sizeof(p));
	return p;
}

/* bulk_item_set_reason - the reason into the item, or a pointer to it */
static inline void
bulk_item_set_reason(char *r, size_t room, uint8_t *inl, const char *reason,
		size_t rlen)
{
	*inl = rlen <= room;
	if (*inl)
		memcpy(r, reason, rlen);
	else
		memcpy(r, &reason, sizeof(reason));
}

int
vd_bulk_init(tbl_bulk *b, size_t hint, uint64_t added, const char *origin)
{
	memset(b, 0, sizeof(*b));
	b->added = added;
	b->origin = origin;
	b->olen = (uint8_t)strlen(origin);
	b->cap4 = hint + 16;
	b->cap6 = hint + 16;
	b->v4 = vd_alloc_big_reserve(b->cap4 * sizeof(*b->v4));
	b->v6 = vd_alloc_big_reserve(b->cap6 * sizeof(*b->v6));
	if (b->v4 == NULL || b->v6 == NULL) {
		vd_bulk_free(b);
		return VERDICT_ENOMEM;
	}
	return 0;
}

void
vd_bulk_free(tbl_bulk *b)
{
	vd_alloc_big_free(b->v4, b->cap4 * sizeof(*b->v4));
	vd_alloc_big_free(b->v6, b->cap6 * sizeof(*b->v6));
	b->v4 = NULL;
	b->v6 = NULL;
	b->n4 = b->cap4 = b->n6 = b->cap6 = 0;
}

/* bulk_grow - a full array of a family doubled (a caller adds one item
 * at a time, so doubling always makes room) */
static int
bulk_grow(void **arr, size_t *cap, size_t size)
{
	size_t nc = *cap ? *cap * 2 : 1024;
	void *na;

	if ((na = vd_alloc_big_resize(*arr, *cap * size, nc * size)) == NULL)
		return VERDICT_ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

int
vd_bulk_add(tbl_bulk *b, const vcidr *c, const char *reason, size_t rlen,
	    uint32_t expires)
{
	if (vd_cidr_is_v4(c)) {
		bulk_item4 *x;

		if (b->n4 == b->cap4 &&
		    bulk_grow((void **)&b->v4, &b->cap4, sizeof(*x)))
			return VERDICT_ENOMEM;
		x = &b->v4[b->n4++];
		x->key = (uint64_t)vd_index_v4_key(&c->net) << 8 | c->plen;
		x->expires = expires;
		x->rlen = (uint8_t)rlen;
		bulk_item_set_reason(x->r, sizeof(x->r), &x->inl, reason, rlen);
	} else {
		bulk_item6 *x;

		if (b->n6 == b->cap6 &&
		    bulk_grow((void **)&b->v6, &b->cap6, sizeof(*x)))
			return VERDICT_ENOMEM;
		x = &b->v6[b->n6++];
		memcpy(x->key, c->net.b, 16);
		x->key[16] = c->plen;
		x->rlen = (uint8_t)rlen;
		x->expires = expires;
		bulk_item_set_reason(x->r, sizeof(x->r), &x->inl, reason, rlen);
	}
	return 0;
}

size_t
vd_bulk_distinct(const tbl_bulk *b)
{
	size_t n = 0;

	/* equal CIDRs are next to each other once sorted */
	for (size_t i = 0; i < b->n4; i++)
		n += i + 1 == b->n4 || b->v4[i + 1].key != b->v4[i].key;
	for (size_t i = 0; i < b->n6; i++)
		n += i + 1 == b->n6 ||
		     memcmp(b->v6[i + 1].key, b->v6[i].key, 17) != 0;
	return n;
}

/* --- iteration */

void
vd_bulk_it_init(bulk_it *it, const tbl_bulk *b)
{
	size_t lo = 0, hi = b->n6;

	/* the first IPv6 item at or above ::ffff:0:0 (none is inside) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(b->v6[mid].key, bulk_v4_lo, 12) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	it->b = b;
	it->seg = 0;
	it->i = 0;
	it->split6 = lo;
}

/* vd_bulk_it_next - the next entry into *e; 0 at the end */
int
vd_bulk_it_next(bulk_it *it, tbl_entry *e)
{
	const tbl_bulk *b = it->b;

	for (;;) {
		size_t end = it->seg == 0 ? it->split6 :
			     it->seg == 1 ? b->n4 : b->n6;

		if (it->i >= end) {
			if (it->seg == 2)
				return 0;
			/* IPv4 from its start; IPv6 again from split6 */
			it->i = ++it->seg == 2 ? it->split6 : 0;
			continue;
		}
		if (it->seg == 1) {
			const bulk_item4 *x = &b->v4[it->i];

			/* equal CIDRs: the last one (the sort is stable) */
			if (it->i + 1 < end && x[1].key == x->key) {
				it->i++;
				continue;
			}
			vd_index_v4_addr(&e->cidr.net, (uint32_t)(x->key >> 8 &
							    0xffffffff));
			e->cidr.plen = (uint8_t)x->key;
			e->reason = bulk_item_reason(x->r, x->inl);
			e->rlen = x->rlen;
			e->expires = x->expires;
		} else {
			const bulk_item6 *x = &b->v6[it->i];

			if (it->i + 1 < end &&
			    memcmp(x[1].key, x->key, 17) == 0) {
				it->i++;
				continue;
			}
			memcpy(e->cidr.net.b, x->key, 16);
			e->cidr.plen = x->key[16];
			e->reason = bulk_item_reason(x->r, x->inl);
			e->rlen = x->rlen;
			e->expires = x->expires;
		}
		e->added = b->added;
		e->origin = b->origin;
		e->olen = b->olen;
		it->i++;
		return 1;
	}
}
