/*
 * bulk_sort.c - the radix sort that puts an import's entries in key order
 *
 *	vd_bulk_sort	both families of a bulk into key order, stably
 *
 * Why a sort of our own: sorting the entries is a large share of an
 * import, and libc's qsort on the same items (with a sequence number
 * for stability, which qsort does not promise) makes the whole import
 * markedly slower; a radix sort needs no comparison calls and moves
 * each item a few times only.
 *
 * The sorts are stable radix sorts, most significant byte first, then
 * least significant byte first within each bucket: the first pass
 * scatters the items by the top byte of the address into 256 buckets,
 * and the passes over the other bytes then run on one bucket at a time,
 * in the core's cache, where byte-wide passes over the whole array would
 * read and scatter all of it once a byte.  A byte that is the same in
 * every item of a bucket costs a count and no move.  Stability is what
 * makes the last of equal CIDRs in a list the one kept.
 *
 * Diagnostics: out of memory only (VERDICT_ENOMEM).
 *
 * Limits: a scratch array as large as the family being sorted, populated
 * at once (vd_alloc_big): every byte of it is written by the first pass.
 */
#include <errno.h>
#include <string.h>

#include "bulk.h"
#include "bulk_sort.h"
#include "alloc.h"
#include "errors.h"

/* bulk_lsd4 - the items of one bucket by key bytes 0..3 (plen and the three
 * low address bytes), x through scratch y; returns where they end up */
static bulk_item4 *
bulk_lsd4(bulk_item4 *x, bulk_item4 *y, size_t m)
{
	for (int pass = 0; pass < 4; pass++) {
		size_t count[257] = { 0 };
		int sh = pass * 8;
		bulk_item4 *sw;

		for (size_t i = 0; i < m; i++)
			count[((x[i].key >> sh) & 0xff) + 1]++;
		if (count[((x[0].key >> sh) & 0xff) + 1] == m)
			continue;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < m; i++)
			y[count[(x[i].key >> sh) & 0xff]++] = x[i];
		sw = x;
		x = y;
		y = sw;
	}
	return x;
}

/* MSD_SORT - items of type T into key order in a (tmp: scratch of n):
 * scatter by TOP(item) into tmp, then each bucket through LSD back
 * into a (one body for both item types: their keys differ) */
#define MSD_SORT(T, a, tmp, n, TOP, LSD) do {				\
	size_t start_[257] = { 0 }, pos_[256];				\
									\
	for (size_t i_ = 0; i_ < (n); i_++)				\
		start_[TOP((a)[i_]) + 1]++;				\
	for (int b_ = 0; b_ < 256; b_++) {				\
		start_[b_ + 1] += start_[b_];				\
		pos_[b_] = start_[b_];					\
	}								\
	for (size_t i_ = 0; i_ < (n); i_++)				\
		(tmp)[pos_[TOP((a)[i_])]++] = (a)[i_];			\
	for (int b_ = 0; b_ < 256; b_++) {				\
		size_t lo_ = start_[b_], m_ = start_[b_ + 1] - lo_;	\
		T *r_;							\
									\
		if (m_ == 0)						\
			continue;					\
		r_ = m_ > 1 ? LSD((tmp) + lo_, (a) + lo_, m_) :		\
		     (tmp) + lo_;					\
		if (r_ != (a) + lo_)					\
			memcpy((a) + lo_, r_, m_ * sizeof(T));		\
	}								\
} while (0)

#define TOP4(x) ((x).key >> 32 & 0xff)	/* the address's top byte */
#define TOP6(x) ((x).key[0])

/* bulk_radix4 - the IPv4 items into key order, in a (tmp: scratch of n) */
static void
bulk_radix4(bulk_item4 *a, bulk_item4 *tmp, size_t n)
{
	MSD_SORT(bulk_item4, a, tmp, n, TOP4, bulk_lsd4);
}

/* bulk_lsd6 - one bucket of IPv6 items by key bytes 16 (plen) down to 1 */
static bulk_item6 *
bulk_lsd6(bulk_item6 *x, bulk_item6 *y, size_t m)
{
	for (int byte = 16; byte >= 1; byte--) {
		size_t count[257] = { 0 };
		bulk_item6 *sw;

		for (size_t i = 0; i < m; i++)
			count[x[i].key[byte] + 1]++;
		if (count[x[0].key[byte] + 1] == m)
			continue;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < m; i++)
			y[count[x[i].key[byte]]++] = x[i];
		sw = x;
		x = y;
		y = sw;
	}
	return x;
}

/* bulk_radix6 - the IPv6 items into key order, in a (tmp: scratch of n) */
static void
bulk_radix6(bulk_item6 *a, bulk_item6 *tmp, size_t n)
{
	MSD_SORT(bulk_item6, a, tmp, n, TOP6, bulk_lsd6);
}

/* bulk_sort_family - the n items of one family (v6: IPv6) into key
 * order, in place, through a scratch array of n */
static int
bulk_sort_family(void *arr, size_t n, int v6)
{
	size_t isz = v6 ? sizeof(bulk_item6) : sizeof(bulk_item4);
	void *tmp;

	if (n < 2)
		return 0;
	if ((tmp = vd_alloc_big(n * isz)) == NULL)
		return VERDICT_ENOMEM;
	if (v6)
		bulk_radix6(arr, tmp, n);
	else
		bulk_radix4(arr, tmp, n);
	vd_alloc_big_free(tmp, n * isz);
	return 0;
}

/* vd_bulk_sort - both families into key order; stable, so of equal CIDRs
 * the last added stays last. */
int
vd_bulk_sort(tbl_bulk *b)
{
	if (bulk_sort_family(b->v4, b->n4, 0) != 0 ||
	    bulk_sort_family(b->v6, b->n6, 1) != 0)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	return VERDICT_OK;
}
