/*
 * feed.c - firewall / MTA / DNS feeds from the combined index
 *
 *	vd_feed_format_parse	format name to enum feed_format
 *	vd_feed_name_ok		is a set/table name acceptable
 *	vd_feed_write		compute the set and write it in one format
 *
 * The combined index (table.h) already cuts the address space into
 * sorted, disjoint intervals, each naming the most specific unexpired
 * entry of every table that covers it.  So the feed is one walk: keep an
 * interval when a block table covers it and no allow table does, cut the
 * trusted networks out of it, glue it to the previous kept piece when
 * they touch, and when a run of touching pieces ends, split it into the
 * minimal CIDR cover (vd_cidr_range_split).  A run never crosses the IPv4-mapped
 * boundary: each family is its own pass over the index, which also gives
 * the per-family blocks nft and ipset want (IPv4 first).
 *
 * rbldnsd and rbldnsd6 carry the RFC 5782 test entry (127.0.0.2, or
 * ::ffff:7f00:2 as RFC 5782 section 5 asks of an IPv6 list), written
 * after allow tables and trusted networks are subtracted so that it is
 * always there, and never list the address that must not be listed
 * (127.0.0.1; an rbldnsd6 feed holds no IPv4-mapped address at all):
 * a DNSBL self-test of the zone, ours or another's, would otherwise
 * fail or call the zone wild.
 *
 * Reasons (postfix, rbldnsd): an output network gets an entry's reason
 * only when every address of it comes from that one entry (one table,
 * one CIDR); otherwise the default text.  The run keeps its pieces'
 * sources for that, and only for those formats.
 *
 * json lists, for each kept interval, the most specific unexpired entry
 * of each block table covering it (the entry a check would name), once
 * each, unaggregated; a parent entry entirely shadowed by nested ones is
 * not listed.
 *
 * ipset: "create -exist" refuses a set that exists with another maxelem,
 * and "swap" hands the temporary set's maxelem to the live one, so
 * maxelem is one fixed value (FEED_IPSET_MAXELEM) on both; hashsize,
 * which -exist does not compare, is sized to the count (a counting pass
 * runs first).
 *
 * Learned blocks (feed_opts.learned) join the set of the aggregated
 * formats: their ranges are merged in address order with the kept index
 * pieces, a run absorbing what overlaps it.  nft and ipset put them in
 * sets of their own, NAME_learned_v4/_v6, each element with the timeout
 * after which its score is below the threshold, so the kernel drops it
 * without another feed run; json leaves them out (it lists entries).
 *
 * r may be NULL (no database): the feed is then empty but well formed.
 *
 * Diagnostics: VERDICT_EIO on a write error, VERDICT_ENOMEM, VERDICT_EDB
 * from the walk, VERDICT_ERANGE when an ipset would exceed its maxelem.
 *
 * Limits: postfix and rbldnsd print reasons with control characters
 * replaced by '?' ('$' doubled for rbldnsd) and other bytes as they are;
 * json escapes them with vd_json_escape (invalid UTF-8 as U+FFFD).  nft elements are
 * written FEED_NFT_CHUNK per "add element" statement.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "errors.h"
#include "feed.h"
#include "feed_run.h"

#define FEED_IPSET_MAXELEM	16777216u
#define FEED_DEFAULT_TEXT	"listed by verdict"
#define FEED_RBLDNSD_DEFAULT	":127.0.0.2:$ is listed by verdict"
#define FEED_TEST_ENTRY4	"127.0.0.2"
#define FEED_TEST_ENTRY6	"::ffff:7f00:2"

static const char *const format_names[] = {
	[FEED_PLAIN] = "plain", [FEED_PF] = "pf", [FEED_NFT] = "nft",
	[FEED_IPSET] = "ipset", [FEED_POSTFIX] = "postfix",
	[FEED_RBLDNSD] = "rbldnsd", [FEED_RBLDNSD6] = "rbldnsd6",
	[FEED_JSON] = "json",
};

/* vd_feed_format_parse - a format name to its enum value. */
int
vd_feed_format_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names);
	     i++)
		if (strcmp(s, format_names[i]) == 0)
			return (int)i;
	return -1;
}

/* vd_feed_name_ok - set and table names go into scripts unquoted. */
int
vd_feed_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_' ||
		      s[n] == '-'))
			return 0;
	return n >= 1 && n <= FEED_NAME_MAX;
}

/* ------------------------------------------------------------- writing */

static const char *
set_suffix(const feed_run *fr)
{
	return fr->fam == 4 ? "_v4" : "_v6";
}

/* src_lookup - the one entry behind [lo, hi], or NULL when several. */
static const feed_src *
src_lookup(feed_run *fr, const vaddr *lo, const vaddr *hi)
{
	const feed_src *one = NULL;

	while (fr->segi < fr->nseg &&
	       vd_addr_cmp(&fr->segs[fr->segi].hi, lo) < 0)
		fr->segi++;
	for (size_t i = fr->segi; i < fr->nseg &&
	     vd_addr_cmp(&fr->segs[i].lo, hi) <= 0; i++) {
		const feed_src *s = &fr->segs[i].src;

		if (!s->single)
			return NULL;
		if (one == NULL)
			one = s;
		else if (one->tid != s->tid || one->plen != s->plen ||
			 memcmp(one->net.b, s->net.b, 16) != 0)
			return NULL;
	}
	return one;
}

/* emit_cidr - one output network in the format of the run. */
static int
emit_cidr(const vcidr *c, void *arg)
{
	feed_run *fr = arg;
	const feed_opts *o = fr->o;
	char buf[CIDR_TEXT_MAX];
	size_t n;
	const feed_src *s;

	fr->count++;
	if (fr->counting)
		return 0;
	n = vd_cidr_format(c, buf);
	switch (o->format) {
	case FEED_NFT:
		if (fr->chunk == 0) {
			fprintf(fr->out, "add element inet %s %s%s { ",
				o->nft_table, o->name, set_suffix(fr));
		} else {
			put(fr, ",\n\t");
		}
		put_n(fr, buf, n);
		if (++fr->chunk == FEED_NFT_CHUNK) {
			put(fr, " }\n");
			fr->chunk = 0;
		}
		return 0;
	case FEED_IPSET:
		fprintf(fr->out, "add %s%s_tmp ", o->name, set_suffix(fr));
		break;
	default:
		break;
	}
	put_n(fr, buf, n);
	if (o->format == FEED_POSTFIX || o->format == FEED_RBLDNSD ||
	    o->format == FEED_RBLDNSD6) {
		vaddr last;

		vd_addr_last(c, &last);
		s = src_lookup(fr, &c->net, &last);
		if (o->format == FEED_POSTFIX) {
			put(fr, " REJECT ");
			if (s && s->rlen)
				put_text(fr, s->reason, s->rlen);
			else
				put(fr, FEED_DEFAULT_TEXT);
		} else if (s && s->rlen) {
			put(fr, " :127.0.0.2:");
			put_text(fr, s->reason, s->rlen);
		}
	}
	putc_unlocked('\n', fr->out);
	return 0;
}

/* run_flush - write the finished run of touching pieces. */
static int
run_flush(feed_run *fr)
{
	int rc = 0;

	if (!fr->active)
		return 0;
	fr->active = 0;
	if (fr->o->format == FEED_PLAIN && fr->o->ranges) {
		char a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];

		fr->count++;
		if (!fr->counting) {
			vd_addr_format(&fr->lo, a);
			vd_addr_format(&fr->hi, b);
			put(fr, a);
			putc_unlocked('-', fr->out);
			put(fr, b);
			putc_unlocked('\n', fr->out);
		}
	} else {
		fr->segi = 0;
		rc = vd_cidr_range_split(&fr->lo, &fr->hi, emit_cidr, fr);
		if (rc < 0)
			rc = vd_err_set(VERDICT_EDB, 0, "index interval crosses "
				      "address families");
	}
	fr->nseg = 0;
	return rc;
}

/* run_add - add [lo, hi] (from src) to the set, after what came before. */
static int
run_add(feed_run *fr, const vaddr *lo, const vaddr *hi, const feed_src *src)
{
	int rc;

	if (fr->active) {
		vaddr next = fr->hi;

		/* touching, or overlapping (a learned block) */
		if (vd_addr_inc(&next) != 0 || vd_addr_cmp(lo, &next) <= 0) {
			if (vd_addr_cmp(hi, &fr->hi) > 0)
				fr->hi = *hi;
			goto seg;
		}
		if ((rc = run_flush(fr)) != 0)
			return rc;
	}
	fr->active = 1;
	fr->lo = *lo;
	fr->hi = *hi;
seg:
	if (!fr->need_src)
		return 0;
	if (fr->nseg == fr->segcap) {
		size_t cap = fr->segcap ? fr->segcap * 2 : 64;
		feed_seg *n = realloc(fr->segs, cap * sizeof(*n));

		if (n == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
		fr->segs = n;
		fr->segcap = cap;
	}
	fr->segs[fr->nseg].lo = *lo;
	fr->segs[fr->nseg].hi = *hi;
	fr->segs[fr->nseg].src = *src;
	fr->nseg++;
	return 0;
}

/* learned_drain - add the learned blocks of this pass's family that
 * start before lo (all of them when lo is NULL) */
static int
learned_drain(feed_run *fr, const vaddr *lo)
{
	const feed_opts *o = fr->o;
	static const feed_src none = { 0 };
	int rc;

	if (o->format == FEED_NFT || o->format == FEED_IPSET ||
	    o->format == FEED_JSON)
		return 0;
	for (; fr->lp < o->nlearned; fr->lp++) {
		const vcidr *k = &o->learned[fr->lp].key;
		vaddr last;

		if (vd_addr_is_v4(&k->net) != (fr->fam == 4))
			continue;
		if (lo && vd_addr_cmp(&k->net, lo) >= 0)
			break;
		vd_addr_last(k, &last);
		if ((rc = run_add(fr, &k->net, &last, &none)) != 0)
			return rc;
	}
	return 0;
}

/* piece_add - a kept piece of the index, after the learned blocks that
 * start before it */
static int
piece_add(feed_run *fr, const vaddr *lo, const vaddr *hi, const feed_src *src)
{
	int rc = learned_drain(fr, lo);

	return rc ? rc : run_add(fr, lo, hi, src);
}

/* interval_cb - one index interval: keep, cut, glue. */
static int
interval_cb(const vaddr *start, const vaddr *end, const uint8_t *val,
	    size_t len, void *arg)
{
	feed_run *fr = arg;
	const feed_opts *o = fr->o;
	feed_src src = { 0 };
	tbl_hit h;
	size_t nhit = 0;
	vaddr cur;
	int rc;

	if (vd_addr_is_v4(start) != (fr->fam == 4) ||
	    vd_addr_is_v4(end) != (fr->fam == 4))
		return 0;
	for (size_t i = 0; i < o->nblock; i++) {
		if (!vd_index_val_hit(val, len, o->block[i], o->now, &h))
			continue;
		if (nhit++ == 0) {
			src.tid = o->block[i];
			src.plen = h.plen;
			src.rlen = h.rlen;
			src.reason = h.reason;
		}
	}
	if (nhit == 0)
		return 0;
	for (size_t i = 0; i < o->nallow; i++)
		if (vd_index_val_hit(val, len, o->allow[i], o->now, &h))
			return 0;
	src.single = nhit == 1;
	if (fr->need_src) {
		src.net = *start;
		vd_addr_mask(&src.net, src.plen);
	}

	/* [start, end] minus the trusted ranges (sorted, disjoint) */
	cur = *start;
	while (fr->tp < fr->ntrusted &&
	       vd_addr_cmp(&fr->trusted[fr->tp].hi, &cur) < 0)
		fr->tp++;
	for (;;) {
		const feed_range *t = fr->tp < fr->ntrusted ?
			&fr->trusted[fr->tp] : NULL;

		if (t == NULL || vd_addr_cmp(&t->lo, end) > 0) {
			rc = o->format == FEED_JSON ?
				vd_feed_json_add(fr, start, val, len) :
				piece_add(fr, &cur, end, &src);
			return rc;
		}
		if (vd_addr_cmp(&t->lo, &cur) > 0) {
			vaddr before = t->lo;

			vd_addr_dec(&before);
			rc = o->format == FEED_JSON ?
				vd_feed_json_add(fr, start, val, len) :
				piece_add(fr, &cur, &before, &src);
			if (rc)
				return rc;
			if (o->format == FEED_JSON)
				return 0;
		}
		if (vd_addr_cmp(&t->hi, end) >= 0)
			return 0;
		cur = t->hi;
		vd_addr_inc(&cur);
		fr->tp++;
	}
}

static int
range_cmp(const void *a, const void *b)
{
	return vd_addr_cmp(&((const feed_range *)a)->lo,
			&((const feed_range *)b)->lo);
}

/* trusted_build - the trusted networks as sorted, merged ranges; for
 * rbldnsd also the RFC 5782 address that must never be listed. */
static int
trusted_build(feed_run *fr, const feed_opts *o)
{
	static const uint8_t never[4] = { 127, 0, 0, 1 };
	size_t n = 0, nt = o->ntrusted;

	if (o->format == FEED_RBLDNSD)
		nt++;
	if (nt == 0)
		return 0;
	fr->trusted = calloc(nt, sizeof(*fr->trusted));
	if (fr->trusted == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < o->ntrusted; i++) {
		fr->trusted[i].lo = o->trusted[i].net;
		vd_addr_mask(&fr->trusted[i].lo, o->trusted[i].plen);
		vd_addr_last(&o->trusted[i], &fr->trusted[i].hi);
	}
	if (nt > o->ntrusted) {
		vd_addr_from_v4(&fr->trusted[nt - 1].lo, never);
		fr->trusted[nt - 1].hi = fr->trusted[nt - 1].lo;
	}
	qsort(fr->trusted, nt, sizeof(*fr->trusted), range_cmp);
	for (size_t i = 0; i < nt; i++) {
		feed_range *last = n ? &fr->trusted[n - 1] : NULL;
		vaddr next;

		if (last) {
			next = last->hi;
			if (vd_addr_inc(&next) ||
			    vd_addr_cmp(&fr->trusted[i].lo, &next) <= 0) {
				if (vd_addr_cmp(&fr->trusted[i].hi, &last->hi) > 0)
					last->hi = fr->trusted[i].hi;
				continue;
			}
		}
		fr->trusted[n++] = fr->trusted[i];
	}
	fr->ntrusted = n;
	return 0;
}

/* pass - one family over the whole index. */
static int
pass(tbl_reader *r, feed_run *fr, int fam, int counting)
{
	int rc;

	fr->fam = fam;
	fr->counting = counting;
	fr->active = 0;
	fr->nseg = 0;
	fr->tp = 0;
	fr->count = 0;
	fr->chunk = 0;
	fr->lp = 0;
	if (r && (rc = vd_index_walk(r, interval_cb, fr)) != 0)
		return rc;
	if (fr->o->format == FEED_JSON) {
		vd_feed_json_flush(fr);
		return 0;
	}
	if ((rc = learned_drain(fr, NULL)) != 0)
		return rc;
	return run_flush(fr);
}

static unsigned long
pow2_at_least(size_t n, unsigned long min)
{
	unsigned long p = min;

	while (p < n && p < (1ul << 30))
		p <<= 1;
	return p;
}

/* family_pass - the header, the networks and the trailer of one family. */
static int
family_pass(tbl_reader *r, feed_run *fr, int fam, size_t *total)
{
	const feed_opts *o = fr->o;
	const char *nm = o->name, *sfx = fam == 4 ? "_v4" : "_v6";
	const char *fname = fam == 4 ? "inet" : "inet6";
	int rc;

	switch (o->format) {
	case FEED_NFT:
		fprintf(fr->out, "flush set inet %s %s%s\n", o->nft_table, nm,
			sfx);
		break;
	case FEED_IPSET: {
		unsigned long hs;

		if ((rc = pass(r, fr, fam, 1)) != 0)
			return rc;
		if (fr->count > FEED_IPSET_MAXELEM)
			return vd_err_set(VERDICT_ERANGE, 0, "%zu networks do "
					"not fit an ipset of maxelem %u",
					fr->count, FEED_IPSET_MAXELEM);
		hs = pow2_at_least(fr->count / 2, 1024);
		fprintf(fr->out, "create %s%s hash:net family %s hashsize %lu "
			"maxelem %u -exist\n", nm, sfx, fname, hs,
			FEED_IPSET_MAXELEM);
		fprintf(fr->out, "destroy %s%s_tmp -exist\n", nm, sfx);
		fprintf(fr->out, "create %s%s_tmp hash:net family %s "
			"hashsize %lu maxelem %u\n", nm, sfx, fname, hs,
			FEED_IPSET_MAXELEM);
		break;
	}
	default:
		break;
	}
	if ((rc = pass(r, fr, fam, 0)) != 0)
		return rc;
	*total += fr->count;
	switch (o->format) {
	case FEED_NFT:
		if (fr->chunk)
			put(fr, " }\n");
		break;
	case FEED_IPSET:
		fprintf(fr->out, "swap %s%s_tmp %s%s\n", nm, sfx, nm, sfx);
		fprintf(fr->out, "destroy %s%s_tmp\n", nm, sfx);
		break;
	default:
		break;
	}
	return 0;
}

/* vd_feed_write - the whole feed: families, formats, headers. */
int
vd_feed_write(tbl_reader *r, const feed_opts *o, FILE *out, size_t *count)
{
	feed_run fr = { 0 };
	feed_opts oo = *o;
	int v4, v6, rc;
	size_t total = 0;

	if (oo.name == NULL)
		oo.name = "verdict";
	if (oo.nft_table == NULL)
		oo.nft_table = "verdict";
	fr.o = &oo;
	fr.out = out;
	fr.need_src = oo.format == FEED_POSTFIX ||
		oo.format == FEED_RBLDNSD || oo.format == FEED_RBLDNSD6;
	v4 = oo.family != 6 && oo.format != FEED_RBLDNSD6;
	v6 = oo.family != 4 && oo.format != FEED_RBLDNSD;
	if (oo.format == FEED_IPSET && oo.with_learned &&
	    strlen(oo.name) > FEED_NAME_MAX - 8)
		return vd_err_set(VERDICT_EINVAL, 0, "ipset names with learned "
				"sets are 1 to %d characters (NAME_learned_v4_tmp "
				"must fit 31)", FEED_NAME_MAX - 8);
	if ((rc = trusted_build(&fr, &oo)) != 0)
		goto out;
	switch (oo.format) {
	case FEED_NFT:
		fprintf(out, "table inet %s {\n", oo.nft_table);
		if (v4)
			fprintf(out, "\tset %s_v4 { type ipv4_addr; "
				"flags interval; }\n", oo.name);
		if (v6)
			fprintf(out, "\tset %s_v6 { type ipv6_addr; "
				"flags interval; }\n", oo.name);
		if (v4 && oo.with_learned)
			fprintf(out, "\tset %s_learned_v4 { type ipv4_addr; "
				"flags interval, timeout; }\n", oo.name);
		if (v6 && oo.with_learned)
			fprintf(out, "\tset %s_learned_v6 { type ipv6_addr; "
				"flags interval, timeout; }\n", oo.name);
		put(&fr, "}\n");
		break;
	case FEED_RBLDNSD:
	case FEED_RBLDNSD6:
		put(&fr, FEED_RBLDNSD_DEFAULT "\n");
		break;
	default:
		break;
	}
	if (v4 && (rc = family_pass(r, &fr, 4, &total)) != 0)
		goto out;
	if (v6 && (rc = family_pass(r, &fr, 6, &total)) != 0)
		goto out;
	if (oo.format == FEED_RBLDNSD)
		put(&fr, FEED_TEST_ENTRY4 "\n");
	else if (oo.format == FEED_RBLDNSD6)
		put(&fr, FEED_TEST_ENTRY6 "\n");
	if ((oo.format == FEED_NFT || oo.format == FEED_IPSET) &&
	    oo.with_learned) {
		if (v4)
			vd_feed_learned_sets(&fr, 4);
		if (v6)
			vd_feed_learned_sets(&fr, 6);
	}
	if (fflush(out) != 0 || ferror(out))
		rc = vd_err_set(VERDICT_EIO, errno, "writing the feed: %s",
			      strerror(errno));
	if (count)
		*count = total;
out:
	free(fr.segs);
	free(fr.trusted);
	free(fr.jrec);
	return rc;
}
