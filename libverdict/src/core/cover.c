/*
 * cover.c - how much of the public IPv4 Internet a set of networks covers
 *
 *	vd_cover_add		one network into the set
 *	vd_cover_public		public addresses of their union
 *	vd_cover_free
 *
 * An import whose table would cover more than a share of the public
 * IPv4 space blocks a good part of the Internet: a list gone wrong (a
 * publisher's bug, a file of /1s) rather than a list.  The running sum
 * counts overlaps twice, so it answers "below the limit" without sorting
 * in the common case; the exact union is computed only above it.
 *
 * Diagnostics: none (out of memory: the sum is the answer).
 *
 * Limits: IPv4 only (IPv6 space is too large for a share to mean much).
 */
#include <stdlib.h>

#include "cover.h"
#include "special.h"

int
vd_cover_add(vd_cover *cv, const vcidr *c)
{
	vaddr lo, hi;
	uint32_t l, h;

	if (c->plen < 96 || !vd_addr_is_v4(&c->net))
		return 0;
	vd_special_cidr_range(c, &lo, &hi);
	cv->sum += (uint64_t)vd_special_public(&lo, &hi);
	if (cv->nomem)
		return -1;
	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 1024;
		void *p = realloc(cv->iv, cap * sizeof(*cv->iv));

		if (p == NULL) {
			cv->nomem = 1;
			return -1;
		}
		cv->iv = p;
		cv->cap = cap;
	}
	l = (uint32_t)lo.b[12] << 24 | (uint32_t)lo.b[13] << 16 |
	    (uint32_t)lo.b[14] << 8 | lo.b[15];
	h = (uint32_t)hi.b[12] << 24 | (uint32_t)hi.b[13] << 16 |
	    (uint32_t)hi.b[14] << 8 | hi.b[15];
	cv->iv[cv->n][0] = l;
	cv->iv[cv->n][1] = h;
	cv->n++;
	return 0;
}

static int
iv_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* cover_pub - public addresses of IPv4 [l, h] */
static uint64_t
cover_pub(uint32_t l, uint32_t h)
{
	vaddr lo = { { [10] = 0xff, [11] = 0xff } }, hi = lo;

	for (int k = 0; k < 4; k++) {
		lo.b[12 + k] = (uint8_t)(l >> (24 - 8 * k));
		hi.b[12 + k] = (uint8_t)(h >> (24 - 8 * k));
	}
	return (uint64_t)vd_special_public(&lo, &hi);
}

uint64_t
vd_cover_public(vd_cover *cv)
{
	uint64_t total = 0;
	uint32_t l, h;

	if (cv->nomem || cv->n == 0)
		return cv->nomem ? cv->sum : 0;
	qsort(cv->iv, cv->n, sizeof(*cv->iv), iv_cmp);
	l = cv->iv[0][0];
	h = cv->iv[0][1];
	for (size_t i = 1; i < cv->n; i++) {
		if ((uint64_t)cv->iv[i][0] > (uint64_t)h + 1) {
			total += cover_pub(l, h);
			l = cv->iv[i][0];
			h = cv->iv[i][1];
		} else if (cv->iv[i][1] > h) {
			h = cv->iv[i][1];
		}
	}
	return total + cover_pub(l, h);
}

void
vd_cover_free(vd_cover *cv)
{
	free(cv->iv);
	cv->iv = NULL;
	cv->n = cv->cap = 0;
}
