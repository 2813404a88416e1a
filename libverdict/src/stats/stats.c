/*
 * stats.c - a context's counters and their metric families
 *
 *	vd_stats_new, vd_stats_free	the slots of every profile, zeroed
 *	vd_stats_count			one finished check
 *	vd_stats_error			one failed check
 *	vd_stats_family			a family's name, help and type
 *	vd_stats_walk			a family's samples, summed now
 *	vd_stats_error_name		a verdict_err as a label value
 *
 * The counters are one vd_counters (counters.h: a stripe per thread): a
 * block of slots per profile, laid out below, then the errors.  A check
 * finds its thread's stripe once and adds to three or four slots, plus
 * one a DNSBL zone when it ran the DNSBL step: no lock, no allocation,
 * no clock read (the check's own elapsed time is reused).
 *
 * Zones are counted per profile and domain, where the check knows them
 * by index, and merged by display name when read: a profile maps a
 * secret DQS domain to its public name, and only that name is shown.
 *
 * Limits: latency has microsecond resolution (the result's elapsed_us);
 * a sample of a counter appears once it is non-zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "dnsbl.h"
#include "stats.h"

#define NKINDS		4	/* neutral, allow, block, tempfail */
#define NSOURCES	6	/* verdict_source_kind */
#define NBUCKETS	16	/* 15 bounds and +Inf */
#define NOUT		(DNSBL_OUT_KINDS - 1)	/* outcomes counted */
#define NERR		19	/* verdict_err 0..17 and one for others */

/* The slots of one profile, from its base. */
#define O_CHECKS	0				/* kind x source */
#define O_WOULD		(O_CHECKS + NKINDS * NSOURCES)	/* source */
#define HSZ		(NBUCKETS + 1)	/* a histogram: buckets, sum (us) */
#define ZSZ		(NOUT + HSZ)	/* a zone: outcomes, answer times */
#define O_HIST		(O_WOULD + NSOURCES)		/* source x HSZ */
#define O_DHIST		(O_HIST + NSOURCES * HSZ)
#define O_HITS		(O_DHIST + HSZ)
#define O_MISSES	(O_HITS + 1)
#define O_ZONES		(O_MISSES + 1)			/* zone x ZSZ */

static const long bound_us[NBUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000
};
static const char *const bound_text[NBUCKETS] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
	"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"
};
static const char *const outcome_name[NOUT] = {
	"listed", "not_listed", "timeout", "error", "ignored"
};
static const char *const err_name[NERR] = {
	"ok", "einval", "enomem", "econfig", "edb", "enoent", "eexist",
	"eperm", "eio", "ebadlist", "eshrink", "etimeout", "efork",
	"estate", "erange", "edns", "ebusy", "egeo", "unknown"
};

static const struct {
	const char *name, *help;
	int type;
} fam[VD_FAM_N] = {
	{ "verdict_checks_total", "Finished checks by profile, verdict "
	  "and the kind of source that decided it.", VERDICT_STAT_COUNTER },
	{ "verdict_would_block_total", "Blocks answered neutral because "
	  "the profile runs in mode = monitor.", VERDICT_STAT_COUNTER },
	{ "verdict_errors_total", "Checks that failed, by error.",
	  VERDICT_STAT_COUNTER },
	{ "verdict_check_duration_seconds", "Time of whole checks by "
	  "profile and the kind of source that decided.",
	  VERDICT_STAT_HISTOGRAM },
	{ "verdict_dnsbl_duration_seconds", "Time of the DNSBL step of "
	  "the checks that ran it.", VERDICT_STAT_HISTOGRAM },
	{ "verdict_dnsbl_queries_total", "DNSBL zone lookups of checks by "
	  "public zone name and result, from the cache or the network.",
	  VERDICT_STAT_COUNTER },
	{ "verdict_dnsbl_answer_duration_seconds", "Time from the start of "
	  "a check to a zone's answer (0 from the cache), zones that "
	  "answered.", VERDICT_STAT_HISTOGRAM },
	{ "verdict_dnsbl_cache_hits_total", "DNSBL zone lookups answered "
	  "from the cache.", VERDICT_STAT_COUNTER },
	{ "verdict_dnsbl_cache_misses_total", "DNSBL zone lookups the "
	  "cache could not answer.", VERDICT_STAT_COUNTER },
	{ "verdict_zone_up", "1 when the zone passed its last RFC 5782 "
	  "self-test, 0 when it failed, went wild or did not answer.",
	  VERDICT_STAT_GAUGE },
	{ "verdict_table_entries", "Entries of a table.",
	  VERDICT_STAT_GAUGE },
	{ "verdict_table_last_import_timestamp_seconds", "Time of a "
	  "table's last import, seconds since the epoch.",
	  VERDICT_STAT_GAUGE },
	{ "verdict_reloads_total", "Configuration reloads of this process "
	  "by result.", VERDICT_STAT_COUNTER },
};

struct vd_stats {
	const policy_profile *prof;
	size_t n;
	size_t *base;		/* n: first slot of each profile */
	size_t err;		/* first slot of the errors */
	vd_counters *c;
};

static size_t
prof_zones(const policy_profile *p)
{
	return p->sites ? vd_sites_nzones(p->sites) : 0;
}

vd_stats *
vd_stats_new(const policy_profile *prof, size_t n)
{
	vd_stats *st = calloc(1, sizeof(*st));
	size_t slots = 0;

	if (st == NULL || (st->base = calloc(n + 1, sizeof(size_t))) == NULL)
		goto fail;
	st->prof = prof;
	st->n = n;
	for (size_t i = 0; i < n; i++) {
		st->base[i] = slots;
		slots += O_ZONES + prof_zones(&prof[i]) * ZSZ;
	}
	st->err = slots;
	if ((st->c = vd_counters_new(slots + NERR)) == NULL)
		goto fail;
	return st;
fail:
	vd_stats_free(st);
	return NULL;
}

void
vd_stats_free(vd_stats *st)
{
	if (st == NULL)
		return;
	vd_counters_free(st->c);
	free(st->base);
	free(st);
}

/* bucket - the histogram bucket of us microseconds */
static size_t
bucket(long us)
{
	size_t b = 0;

	while (b < NBUCKETS - 1 && us > bound_us[b])
		b++;
	return b;
}

/* count_dns - the DNSBL step of a check that ran it */
static void
count_dns(vd_stripe s, size_t base, const verdict_result *res)
{
	const struct dnsbl_result *d = res->dns;
	long us = (long)(res->dns_ns / 1000);

	vd_counters_add(s, base + O_DHIST + bucket(us), 1);
	vd_counters_add(s, base + O_DHIST + NBUCKETS, (uint64_t)us);
	vd_counters_add(s, base + O_HITS, (uint64_t)d->cache_hits);
	if (d->nzones > (size_t)d->cache_hits)
		vd_counters_add(s, base + O_MISSES,
				d->nzones - (size_t)d->cache_hits);
	for (size_t z = 0; z < d->nzones; z++) {
		const dnsbl_zone_detail *zd = &d->zones[z];
		size_t zb = base + O_ZONES + z * ZSZ;

		if (zd->outcome <= DNSBL_OUT_NONE)
			continue;
		vd_counters_add(s, zb + (size_t)zd->outcome - 1, 1);
		if (zd->ms >= 0) {
			vd_counters_add(s, zb + NOUT + bucket(zd->ms * 1000), 1);
			vd_counters_add(s, zb + NOUT + NBUCKETS,
					(uint64_t)zd->ms * 1000);
		}
	}
}

/* vd_stats_count - the hot path: a stripe, then plain slot adds */
void
vd_stats_count(vd_stats *st, size_t pidx, const verdict_result *res)
{
	vd_stripe s;
	size_t base, k, src;
	long us;

	if (st == NULL || pidx >= st->n)
		return;
	if (res->kind < 0 || res->kind >= NKINDS) {
		vd_stats_error(st, res->err);
		return;
	}
	s = vd_counters_stripe(st->c);
	base = st->base[pidx];
	k = (size_t)res->kind;
	src = (size_t)res->source_kind < NSOURCES ? (size_t)res->source_kind
						    : 0;
	us = res->elapsed_us > 0 ? res->elapsed_us : 0;
	vd_counters_add(s, base + O_CHECKS + k * NSOURCES + src, 1);
	if (res->would_block)
		vd_counters_add(s, base + O_WOULD + src, 1);
	vd_counters_add(s, base + O_HIST + src * HSZ + bucket(us), 1);
	vd_counters_add(s, base + O_HIST + src * HSZ + NBUCKETS, (uint64_t)us);
	if (res->dns_ns > 0 && res->dns &&
	    res->dns->nzones <= prof_zones(&st->prof[pidx]))
		count_dns(s, base, res);
}

void
vd_stats_error(vd_stats *st, int err)
{
	if (st == NULL)
		return;
	if (err < 0 || err >= NERR - 1)
		err = NERR - 1;
	vd_counters_add(vd_counters_stripe(st->c), st->err + (size_t)err, 1);
}

const char *
vd_stats_error_name(int err)
{
	return err >= 0 && err < NERR ? err_name[err] : err_name[NERR - 1];
}

void
vd_stats_family(int f, verdict_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->family = fam[f].name;
	out->help = fam[f].help;
	out->type = fam[f].type;
}

/* One walk: the callback and the item being filled. */
typedef struct walk {
	int (*cb)(const verdict_stat *, void *);
	void *arg;
	verdict_stat s;
	char suffixed[96];
} walk;

/* emit - one sample of w's family, labels as name/value pairs */
static int
emit(walk *w, const char *suffix, double v, size_t nl, const char *const *l)
{
	snprintf(w->suffixed, sizeof(w->suffixed), "%s%s", w->s.family,
		 suffix);
	w->s.name = w->suffixed;
	w->s.nlabels = nl;
	for (size_t i = 0; i < nl; i++) {
		w->s.label_name[i] = l[2 * i];
		w->s.label_value[i] = l[2 * i + 1];
	}
	w->s.value = v;
	return w->cb(&w->s, w->arg);
}

static double
sum(const vd_stats *st, size_t slot)
{
	return (double)vd_counters_sum(st->c, slot);
}

/* walk_checks - checks and would-blocks: non-zero samples */
static int
walk_checks(const vd_stats *st, int f, walk *w)
{
	char num[16];
	int rc;

	for (size_t p = 0; p < st->n; p++) {
		size_t b = st->base[p];

		snprintf(num, sizeof(num), "%d", st->prof[p].number);
		for (size_t k = 0; k < NKINDS; k++)
			for (size_t s = 0; s < NSOURCES; s++) {
				const char *l[] = { "profile", num, "verdict",
					verdict_kind_name((int)k), "source",
					verdict_source_kind_name((int)s) };
				double v;

				if (f == VD_FAM_WOULD_BLOCK) {
					if (k > 0)
						break;
					v = sum(st, b + O_WOULD + s);
					l[2] = l[4];
					l[3] = l[5];
				} else {
					v = sum(st, b + O_CHECKS + k * NSOURCES
						+ s);
				}
				if (v > 0 && (rc = emit(w, "", v, f ==
				    VD_FAM_WOULD_BLOCK ? 2 : 3, l)) != 0)
					return rc;
			}
	}
	return 0;
}

/* hist_add - the HSZ slots from slot into h (not cumulative yet) */
static void
hist_add(const vd_stats *st, size_t slot, double *h)
{
	for (size_t i = 0; i < HSZ; i++)
		h[i] += sum(st, slot + i);
}

/* hist_emit - h as cumulative buckets (labels l, nl pairs, then le),
 * sum in seconds, count; nothing when empty unless always */
static int
hist_emit(walk *w, const char **l, size_t nl, const double *h, int always)
{
	double cum = 0;
	int rc;

	for (size_t i = 0; i < NBUCKETS; i++)
		cum += h[i];
	if (cum == 0 && !always)
		return 0;
	cum = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += h[i];
		l[2 * nl] = "le";
		l[2 * nl + 1] = bound_text[i];
		if ((rc = emit(w, "_bucket", cum, nl + 1, l)) != 0)
			return rc;
	}
	if ((rc = emit(w, "_sum", h[NBUCKETS] / 1e6, nl, l)) != 0)
		return rc;
	return emit(w, "_count", cum, nl, l);
}

/* walk_hist - whole checks by profile and source (those with samples),
 * or the DNSBL step by profile (always) */
static int
walk_hist(const vd_stats *st, int f, walk *w)
{
	char num[16];
	int rc;

	for (size_t p = 0; p < st->n; p++) {
		const char *l[6] = { "profile", num };
		double h[HSZ];

		snprintf(num, sizeof(num), "%d", st->prof[p].number);
		if (f == VD_FAM_DNS_DURATION) {
			memset(h, 0, sizeof(h));
			hist_add(st, st->base[p] + O_DHIST, h);
			if ((rc = hist_emit(w, l, 1, h, 1)) != 0)
				return rc;
			continue;
		}
		for (size_t s = 0; s < NSOURCES; s++) {
			memset(h, 0, sizeof(h));
			hist_add(st, st->base[p] + O_HIST + s * HSZ, h);
			l[2] = "source";
			l[3] = verdict_source_kind_name((int)s);
			if ((rc = hist_emit(w, l, 2, h, 0)) != 0)
				return rc;
		}
	}
	return 0;
}

/* seen_before - zone (p, d)'s display name was met at an earlier (p, d) */
static int
seen_before(const vd_stats *st, size_t p, size_t d)
{
	const char *name = vd_sites_display(st->prof[p].sites, d);

	for (size_t q = 0; q <= p; q++)
		for (size_t e = 0; e < (q == p ? d : prof_zones(&st->prof[q]));
		     e++)
			if (strcmp(vd_sites_display(st->prof[q].sites, e),
				   name) == 0)
				return 1;
	return 0;
}

/* zone_sum - outcome o of every (profile, domain) shown as name */
static double
zone_sum(const vd_stats *st, const char *name, size_t o)
{
	double v = 0;

	for (size_t q = 0; q < st->n; q++)
		for (size_t e = 0; e < prof_zones(&st->prof[q]); e++)
			if (strcmp(vd_sites_display(st->prof[q].sites, e),
				   name) == 0)
				v += sum(st, st->base[q] + O_ZONES +
					 e * ZSZ + o);
	return v;
}

/* walk_zone_hist - the answer times of every (profile, domain) shown
 * as name */
static int
walk_zone_hist(const vd_stats *st, const char *name, walk *w)
{
	const char *l[4] = { "zone", name };
	double h[HSZ] = { 0 };

	for (size_t q = 0; q < st->n; q++)
		for (size_t e = 0; e < prof_zones(&st->prof[q]); e++)
			if (strcmp(vd_sites_display(st->prof[q].sites, e),
				   name) == 0)
				hist_add(st, st->base[q] + O_ZONES + e * ZSZ +
					 NOUT, h);
	return hist_emit(w, l, 1, h, 0);
}

/* walk_zones - queries by zone and result, answer times, zone health */
static int
walk_zones(const vd_stats *st, const stats_src *src, int f, walk *w)
{
	int rc, up;

	for (size_t p = 0; p < st->n; p++)
		for (size_t d = 0; d < prof_zones(&st->prof[p]); d++) {
			const char *name = vd_sites_display(st->prof[p].sites,
							    d);
			const char *l[4] = { "zone", name, "result", NULL };

			if (seen_before(st, p, d))
				continue;
			if (f == VD_FAM_ZONE_DURATION) {
				if ((rc = walk_zone_hist(st, name, w)) != 0)
					return rc;
				continue;
			}
			if (f == VD_FAM_ZONE_UP) {
				up = vd_dnsbl_zone_up(src ? src->dns : NULL,
						      st->prof[p].sites, d);
				if (up >= 0 && (rc = emit(w, "", up, 1, l)))
					return rc;
				continue;
			}
			for (size_t o = 0; o < NOUT; o++) {
				double v = zone_sum(st, name, o);

				l[3] = outcome_name[o];
				if (v > 0 && (rc = emit(w, "", v, 2, l)) != 0)
					return rc;
			}
		}
	return 0;
}

/* walk_plain - the cache totals and the errors */
static int
walk_plain(const vd_stats *st, int f, walk *w)
{
	double v = 0;
	int rc;

	if (f == VD_FAM_ERRORS) {
		for (size_t e = 1; e < NERR; e++) {
			const char *l[] = { "error", err_name[e] };

			v = sum(st, st->err + e);
			if (v > 0 && (rc = emit(w, "", v, 1, l)) != 0)
				return rc;
		}
		return 0;
	}
	for (size_t p = 0; p < st->n; p++)
		v += sum(st, st->base[p] + (f == VD_FAM_CACHE_HITS ? O_HITS :
					    O_MISSES));
	return emit(w, "", v, 0, NULL);
}

int
vd_stats_walk(vd_stats *st, const stats_src *src, int f,
	      int (*cb)(const verdict_stat *, void *), void *arg)
{
	walk w;
	int rc;

	w.cb = cb;
	w.arg = arg;
	vd_stats_family(f, &w.s);
	if ((rc = cb(&w.s, arg)) != 0 || st == NULL)
		return rc;
	switch (f) {
	case VD_FAM_CHECKS:
	case VD_FAM_WOULD_BLOCK:
		return walk_checks(st, f, &w);
	case VD_FAM_DURATION:
	case VD_FAM_DNS_DURATION:
		return walk_hist(st, f, &w);
	case VD_FAM_DNS_QUERIES:
	case VD_FAM_ZONE_DURATION:
	case VD_FAM_ZONE_UP:
		return walk_zones(st, src, f, &w);
	case VD_FAM_ERRORS:
	case VD_FAM_CACHE_HITS:
	case VD_FAM_CACHE_MISSES:
		return walk_plain(st, f, &w);
	default:
		return 0;
	}
}
