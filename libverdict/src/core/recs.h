/*
 * recs.h - a growing list of owned byte strings
 *
 * LMDB hands out pointers into its map that a write in the same
 * transaction may invalidate; records that must outlive such a write are
 * copied into a vd_recs first.
 */
#ifndef VD_RECS_H
#define VD_RECS_H

#include <stddef.h>
#include <stdint.h>

/* vd_recs - owned records and their lengths.  Start zeroed. */
typedef struct vd_recs {
	uint8_t **rec;
	size_t *len;
	size_t n, cap;
} vd_recs;

/* vd_recs_add - append a copy of a[0..alen) followed by b[0..blen)
 * (b may be NULL when blen is 0); 0 ok, -1 out of memory */
int vd_recs_add(vd_recs *r, const void *a, size_t alen, const void *b,
		  size_t blen);

/* vd_recs_free - free every record and the list; r is zeroed again */
void vd_recs_free(vd_recs *r);

#endif
