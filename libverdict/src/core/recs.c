/*
 * recs.c - a growing list of owned byte strings (recs.h)
 *
 *	vd_recs_add	append a copy of one or two byte ranges
 *	vd_recs_free	free them all
 *
 * A record is often a key and a value copied together, hence two ranges
 * joined in one allocation.
 *
 * Diagnostics: none; -1 on out of memory (or sizes that would overflow),
 * the list left as it was.
 *
 * Limits: the list doubles while its arrays' sizes fit a size_t; a
 * record is alen + blen bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recs.h"

/* vd_recs_add - grow both arrays first, so a failure loses nothing */
int
vd_recs_add(vd_recs *r, const void *a, size_t alen, const void *b,
	      size_t blen)
{
	uint8_t *c;

	if (blen > SIZE_MAX - alen)
		return -1;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		uint8_t **nr;
		size_t *nl;

		if (r->cap > SIZE_MAX / 2 / sizeof(*nr))
			return -1;
		if ((nr = realloc(r->rec, nc * sizeof(*nr))) == NULL)
			return -1;
		r->rec = nr;
		if ((nl = realloc(r->len, nc * sizeof(*nl))) == NULL)
			return -1;
		r->len = nl;
		r->cap = nc;
	}
	if ((c = malloc(alen + blen ? alen + blen : 1)) == NULL)
		return -1;
	memcpy(c, a, alen);
	if (blen)
		memcpy(c + alen, b, blen);
	r->rec[r->n] = c;
	r->len[r->n++] = alen + blen;
	return 0;
}

/* vd_recs_free - leaves r ready for reuse */
void
vd_recs_free(vd_recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rec[i]);
	free(r->rec);
	free(r->len);
	memset(r, 0, sizeof(*r));
}
