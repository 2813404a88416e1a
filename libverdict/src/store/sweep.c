/*
 * sweep.c - cut nested entries into the index's flat intervals
 *
 *	vd_sweep_init/push/finish/free	the sweep over sorted entries
 *	vd_sweep_ent, vd_sweep_ent_cmp	entries into its form and order
 *
 * A stack of the entries open at the current address: an entry pushed
 * closes the ones that end before it (emitting up to their ends) and
 * emits the stretch before it under the stack as it was.  The value of
 * an interval lists, per table in ascending id, every open entry of that
 * table, most specific first, so that an expired inner entry falls back
 * to its parent at lookup (index.c).  The full rebuild and the range
 * rebuild (index_rebuild.c) both sweep; the range one clips to its CIDR.
 *
 * Diagnostics: out of memory; more than CATALOG_TABLES_MAX tables in one
 * interval (VERDICT_ERANGE).
 *
 * Limits: the stack grows with the nesting depth (at most 129 entries a
 * table for IPv6); a value holds at most CATALOG_TABLES_MAX tables and
 * 255 entries a table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "catalog.h"
#include "le_bytes.h"
#include "sweep.h"

/* sweep_value - encode the stack as an index value for start s. */
static int
sweep_value(sweep *sw, const vaddr *s, size_t *len)
{
	uint16_t tids[CATALOG_TABLES_MAX + 1];
	size_t ntids = 0, need = 17, off;

	for (size_t i = 0; i < sw->depth; i++) {
		size_t j;

		need += 6 + sw->stack[i].rlen;
		for (j = 0; j < ntids && tids[j] != sw->stack[i].tid; j++)
			;
		if (j == ntids) {
			if (ntids == CATALOG_TABLES_MAX)
				return vd_err_set(VERDICT_ERANGE, 0, "too many "
						"tables");
			tids[ntids++] = sw->stack[i].tid;
		}
	}
	need += 3 * ntids;
	if (need > sw->bufcap) {
		uint8_t *nb = realloc(sw->buf, need * 2);

		if (nb == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		sw->buf = nb;
		sw->bufcap = need * 2;
	}
	/* ascending table ids (insertion sort: a handful of tables) */
	for (size_t i = 1; i < ntids; i++) {
		uint16_t t = tids[i];
		size_t j = i;

		for (; j > 0 && tids[j - 1] > t; j--)
			tids[j] = tids[j - 1];
		tids[j] = t;
	}
	memcpy(sw->buf, s->b, 16);
	sw->buf[16] = (uint8_t)ntids;
	off = 17;
	for (size_t t = 0; t < ntids; t++) {
		size_t depth_at = off + 2, depth = 0;

		le_put16(sw->buf + off, tids[t]);
		off += 3;
		for (size_t i = sw->depth; i-- > 0;) {
			const sweep_ent *e = &sw->stack[i];

			if (e->tid != tids[t])
				continue;
			sw->buf[off] = e->plen;
			le_put32(sw->buf + off + 1, e->expires);
			sw->buf[off + 5] = e->rlen;
			memcpy(sw->buf + off + 6, e->reason, e->rlen);
			off += 6 + (size_t)e->rlen;
			depth++;
		}
		sw->buf[depth_at] = (uint8_t)depth;
	}
	*len = off;
	return VERDICT_OK;
}

/* sweep_emit - emit [a, b] (clipped) with the current stack. */
static int
sweep_emit(sweep *sw, const vaddr *a, const vaddr *b)
{
	vaddr s = *a, e = *b;
	size_t len;
	int rc;

	if (vd_addr_cmp(&s, &sw->lo) < 0)
		s = sw->lo;
	if (vd_addr_cmp(&e, &sw->hi) > 0)
		e = sw->hi;
	if (vd_addr_cmp(&s, &e) > 0)
		return VERDICT_OK;
	if ((rc = sweep_value(sw, &s, &len)) != 0)
		return rc;
	return sw->emit(&s, &e, sw->buf, len, sw->arg);
}

static int
sweep_pop(sweep *sw)
{
	const sweep_ent *top = &sw->stack[sw->depth - 1];
	int rc;

	if (!sw->cur_past_end && vd_addr_cmp(&sw->cur, &top->end) <= 0) {
		if ((rc = sweep_emit(sw, &sw->cur, &top->end)) != 0)
			return rc;
		sw->cur = top->end;
		sw->cur_past_end = vd_addr_inc(&sw->cur);
	}
	sw->depth--;
	return VERDICT_OK;
}

/* vd_sweep_push - entries must come in (start asc, plen asc) order. */
int
vd_sweep_push(sweep *sw, const sweep_ent *e)
{
	int rc;

	while (sw->depth > 0 &&
	       vd_addr_cmp(&sw->stack[sw->depth - 1].end, &e->start) < 0) {
		if ((rc = sweep_pop(sw)) != 0)
			return rc;
	}
	if (sw->depth > 0 && !sw->cur_past_end &&
	    vd_addr_cmp(&sw->cur, &e->start) < 0) {
		vaddr before = e->start;

		vd_addr_dec(&before);
		if ((rc = sweep_emit(sw, &sw->cur, &before)) != 0)
			return rc;
	}
	sw->cur = e->start;
	sw->cur_past_end = 0;
	if (sw->depth == sw->cap) {
		size_t nc = sw->cap ? sw->cap * 2 : 64;
		sweep_ent *ns = realloc(sw->stack, nc * sizeof(*ns));

		if (ns == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		sw->stack = ns;
		sw->cap = nc;
	}
	sw->stack[sw->depth++] = *e;
	return VERDICT_OK;
}

int
vd_sweep_finish(sweep *sw)
{
	int rc;

	while (sw->depth > 0)
		if ((rc = sweep_pop(sw)) != 0)
			return rc;
	return VERDICT_OK;
}

void
vd_sweep_init(sweep *sw, const vaddr *lo, const vaddr *hi,
	      sweep_emit_fn emit, void *arg)
{
	memset(sw, 0, sizeof(*sw));
	if (lo)
		sw->lo = *lo;
	if (hi)
		sw->hi = *hi;
	else
		memset(sw->hi.b, 0xff, 16);
	sw->emit = emit;
	sw->arg = arg;
}

void
vd_sweep_free(sweep *sw)
{
	free(sw->stack);
	free(sw->buf);
}

void
vd_sweep_ent(const tbl_entry *e, uint16_t tid, sweep_ent *s)
{
	s->start = e->cidr.net;
	vd_addr_last(&e->cidr, &s->end);
	s->tid = tid;
	s->plen = e->cidr.plen;
	s->rlen = e->rlen;
	s->expires = e->expires;
	s->reason = e->reason;
}

int
vd_sweep_ent_cmp(const void *a, const void *b)
{
	const sweep_ent *x = a, *y = b;
	int c = vd_addr_cmp(&x->start, &y->start);

	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

