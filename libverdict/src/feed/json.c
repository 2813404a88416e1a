/*
 * json.c - the json feed: the entries behind the kept pieces
 *
 *	vd_feed_json_add	remember the entries behind a kept piece
 *	vd_feed_json_flush	write them, sorted, each once
 *
 * json lists the most specific unexpired entry of each block table that
 * covers a kept interval (the entry a check would name), unaggregated;
 * entries are collected during a family's pass and written at its end.
 * Strings go through vd_json_escape, as every JSON the project writes:
 * a line is valid JSON whatever bytes a reason or a table name holds.
 *
 * Diagnostics: VERDICT_ENOMEM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "errors.h"
#include "feed_run.h"
#include "json.h"

/* json_add - remember the entries behind a kept piece (deduplicated at
 * the end of the pass). */
int
vd_feed_json_add(feed_run *fr, const vaddr *start, const uint8_t *val, size_t len)
{
	const feed_opts *o = fr->o;

	for (size_t i = 0; i < o->nblock; i++) {
		tbl_hit h;
		feed_jrec *j;

		if (!vd_index_val_hit(val, len, o->block[i], o->now, &h))
			continue;
		if (fr->njrec == fr->jcap) {
			size_t cap = fr->jcap ? fr->jcap * 2 : 256;
			feed_jrec *n = realloc(fr->jrec, cap * sizeof(*n));

			if (n == NULL)
				return vd_err_set(VERDICT_ENOMEM, ENOMEM,
						"out of memory");
			fr->jrec = n;
			fr->jcap = cap;
		}
		j = &fr->jrec[fr->njrec++];
		j->cidr.net = *start;
		vd_addr_mask(&j->cidr.net, h.plen);
		j->cidr.plen = h.plen;
		j->table = i;
		j->expires = h.expires;
		j->rlen = h.rlen;
		j->reason = h.reason;
	}
	return 0;
}

/* put_json - s[0..n) as a JSON string, quotes included */
static void
put_json(feed_run *fr, const char *s, size_t n)
{
	char buf[1024];
	size_t used;

	putc_unlocked('"', fr->out);
	while (n > 0) {
		put_n(fr, buf, vd_json_escape(buf, sizeof(buf), s, n, &used));
		s += used;
		n -= used;
	}
	putc_unlocked('"', fr->out);
}

static int
jrec_cmp(const void *a, const void *b)
{
	const feed_jrec *x = a, *y = b;
	int c = vd_cidr_cmp(&x->cidr, &y->cidr);

	if (c)
		return c;
	return x->table < y->table ? -1 : x->table > y->table;
}

void
vd_feed_json_flush(feed_run *fr)
{
	if (fr->njrec)
		qsort(fr->jrec, fr->njrec, sizeof(*fr->jrec), jrec_cmp);
	for (size_t i = 0; i < fr->njrec; i++) {
		const feed_jrec *j = &fr->jrec[i];
		char buf[CIDR_TEXT_MAX];

		if (i > 0 && jrec_cmp(j, j - 1) == 0)
			continue;
		fr->count++;
		vd_cidr_format(&j->cidr, buf);
		fprintf(fr->out, "{\"cidr\":\"%s\",\"table\":", buf);
		put_json(fr, fr->o->block_names[j->table],
			 strlen(fr->o->block_names[j->table]));
		put(fr, ",\"reason\":");
		if (j->rlen)
			put_json(fr, j->reason, j->rlen);
		else
			put(fr, "null");
		/* no expiry is null, as in "verdict dump --json" */
		if (j->expires)
			fprintf(fr->out, ",\"expires\":%lu}\n",
				(unsigned long)j->expires);
		else
			put(fr, ",\"expires\":null}\n");
	}
	fr->njrec = 0;
}
