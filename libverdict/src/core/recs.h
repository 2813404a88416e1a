/*
 * recs.h - a growing list of owned byte strings
 *
 * LMDB hands out pointers into its map that a write in the same
 * transaction may invalidate; records that must outlive such a write are
 * copied into a util_recs first.
 */
#ifndef VD_RECS_H
#define VD_RECS_H

#include <stddef.h>
#include <stdint.h>

/* util_recs - owned records and their lengths.  Start zeroed. */
typedef struct util_recs {
	uint8_t **rec;
	size_t *len;
	size_t n, cap;
} util_recs;

/* vd_util_recs_add - append a copy of a[0..alen) followed by b[0..blen)
 * (b may be NULL when blen is 0); 0 ok, -1 out of memory */
int vd_util_recs_add(util_recs *r, const void *a, size_t alen, const void *b,
		  size_t blen);

/* vd_util_recs_free - free every record and the list; r is zeroed again */
void vd_util_recs_free(util_recs *r);

#endif
