/*
 * cover.h - how much public IPv4 space a set of networks covers (cover.c)
 */
#ifndef VD_COVER_H
#define VD_COVER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

typedef struct vd_cover {
	uint64_t sum;		/* public addresses, overlaps counted twice */
	uint32_t (*iv)[2];	/* IPv4 [lo, hi], for the exact union */
	size_t n, cap;
	int nomem;
} vd_cover;

/* vd_cover_add - one IPv4 network into the set (others are ignored);
 * -1 when out of memory (the set is then only an upper bound) */
int vd_cover_add(vd_cover *cv, const vcidr *c);

/* vd_cover_public - the public IPv4 addresses of the union (sorts the
 * set); the sum when memory ran out */
uint64_t vd_cover_public(vd_cover *cv);

void vd_cover_free(vd_cover *cv);

#endif
