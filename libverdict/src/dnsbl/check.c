/*
 * check.c - weighted DNSBL checks under one deadline, one or a batch
 *
 *	vd_dnsbl_check			one IP: score, settled, per-zone detail
 *	vd_dnsbl_check_many		a batch of IPs from one thread
 *	vd_dnsbl_check_zone_answer	a zone's answer text, written on demand
 *	vd_dnsbl_result_clear		a result of no zones, before a check
 *
 * A check first reads every zone's answer from the cache, without any
 * engine-wide lock: its zone records come from the sites' memo
 * (vd_sites_memo) and all its zones' answers from one batched cache
 * lookup under one shard lock (the IP is the shard group).  Only what
 * is missing goes to the network: the check attaches to the flights
 * (flight.c), queueing those nobody asked yet, and waits until its
 * outcome is settled (no missing answer can cross a threshold) or its
 * deadline passes, driving the resolver itself when no other thread
 * does.  A batch is one group of waiters: one wake-up per round for all
 * its checks, not one per check.
 *
 * DNS failure is unknown, never listed: a zone that timed out or failed
 * adds no weight and leaves the check unsettled when it could have
 * crossed a threshold.  A wild zone (selftest.c) never counts.
 *
 * Cache ages and self-test ages are on the coarse clock
 * (vd_clock_coarse_ns); deadlines, waits and the per-zone times on
 * vd_clock_now_ns.
 *
 * Diagnostics: "gone wild" (LOG_ERR) once a minute a zone when a wild
 * zone's listing was ignored.
 *
 * Limits: DNSBL_ZONES_MAX zones a check; the TXT reason is asked only for
 * the first listing zone of a block, within the same deadline; a batch
 * holds n checks' state in one allocation.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "str.h"
#include "dnsbl.h"
#include "flight.h"
#include "selftest.h"

enum { DS_KNOWN = 0, DS_WILD, DS_PENDING, DS_UNTESTED, DS_FAILED };

/* One domain of one check. */
typedef struct dstate {
	zrec *zr;
	int have;		/* cv.a holds the answer */
	int64_t at_ns;		/* when it came (0: from the cache) */
	int state;		/* DS_*, set by evaluate */
	int weight;
	wlink link;		/* the answer's flight */
	wlink tlink[VD_SELFTEST_PROBES];	/* the self-test probes */
	cval cv;		/* the answer (a), cached at (at): the cache
				 * copies straight in */
} dstate;

/* cval_live - a cached value of len bytes in v (copied out by the
 * cache) is usable: whole, and within this profile's TTL clamp; an A
 * answer gets its empty TXT */
static int
cval_live(const config_profile *p, cval *v, size_t len, int64_t now)
{
	int64_t ttl;

	if (len < CVAL_A_LEN)
		return 0;
	if (len < sizeof(*v))
		v->a.txt[0] = 0;
	ttl = v->a.ttl;
	if (ttl < p->dnsbl_min_ttl)
		ttl = p->dnsbl_min_ttl;
	if (ttl > p->dnsbl_max_ttl)
		ttl = p->dnsbl_max_ttl;
	/* a TTL of 0 is never live, even when the coarse clock lags (an
	 * idle tickless CPU can leave it more than a tick behind) */
	return ttl > 0 && now - v->at < ttl * VD_NS_PER_S;
}

/* cval_use - 1 when a cache lookup's result (hit, v, len) is usable by
 * this profile; a hit past its TTL clamp is counted as stale (the cache
 * counted it as a hit, the stats must not) */
static int
cval_use(dnsbl_engine *e, const config_profile *p, int hit, cval *v,
	 size_t len, int64_t now)
{
	if (!hit)
		return 0;
	if (cval_live(p, v, len, now))
		return 1;
	e->n_stale++;
	return 0;
}

/* cached_answer - a cache hit still within this profile's TTL clamp,
 * into *out (its contents undefined on a miss) */
static int
cached_answer(dnsbl_engine *e, const config_profile *p, const fkey *k,
	      int64_t now, cval *out)
{
	size_t len = sizeof(*out);
	int hit = vd_cache_get(e->cache, k, sizeof(*k), out, &len, now);

	return cval_use(e, p, hit, out, len, now);
}

/*
 * evaluate - score and state of every domain from what is known now;
 * returns 1 while some answer or self-test may still arrive.  Called
 * under e->mu whenever a flight is attached.
 */
static int
evaluate(const dnsbl_sites *s, dstate *st, int base, int *score,
	 unsigned char *open)
{
	size_t d, nd = vd_sites_nzones(s);
	int waiting = 0, v;

	*score = base;
	for (d = 0; d < nd; d++) {
		dstate *x = &st[d];

		if (!x->have && x->link.f && x->link.f->done) {
			x->cv.a = x->link.f->ans;
			x->at_ns = x->link.f->done_ns;
			x->have = 1;
		}
		v = __atomic_load_n(&x->zr->verdict, __ATOMIC_ACQUIRE);
		x->weight = 0;
		open[d] = 1;
		if (v == TEST_WILD) {
			x->state = DS_WILD;
			open[d] = 0;
		} else if (!x->have) {
			x->state = DS_PENDING;
			waiting = 1;
		} else if (v == TEST_NONE) {
			x->state = DS_UNTESTED;
			if (x->zr->testing)
				waiting = 1;
		} else if (x->cv.a.kind == DNSBL_LISTED
			   || x->cv.a.kind == DNSBL_NXDOMAIN) {
			x->state = DS_KNOWN;
			x->weight = vd_sites_weight(s, d, &x->cv.a);
			*score += x->weight;
			open[d] = 0;
		} else {
			x->state = DS_FAILED;
		}
	}
	return waiting;
}

/* One check in progress: its zones' state, its waiter, and what the end
 * of the check reads.  On the stack for vd_dnsbl_check, in an array for
 * vd_dnsbl_check_many. */
typedef struct djob {
	dnsbl_engine *e;
	const dnsbl_sites *s;
	const config_profile *p;
	const vaddr *ip;
	dnsbl_result *res;
	int base;
	int need;		/* some answer or self-test is not in hand */
	int attached;		/* w is linked to flights (e->mu) */
	int score, settled;
	int64_t now;		/* vd_clock_coarse_ns: cache and test ages */
	int64_t start;		/* vd_clock_now_ns when it went to the
				 * network, else 0 */
	size_t nd;
	waiter w;
	wlink tl;		/* the TXT flight */
	dstate st[DNSBL_ZONES_MAX];
	unsigned char open[DNSBL_ZONES_MAX];
} djob;

/* job_eval - score and settled from what is known; 1 when the job's wait
 * is over, deadline aside (e->mu held once attached) */
static int
job_eval(djob *j)
{
	int waiting = evaluate(j->s, j->st, j->base, &j->score, j->open);

	j->settled = vd_sites_settled(j->s, j->p->dnsbl_threshold,
				      j->p->dnsbl_allowlist_threshold,
				      j->score, j->open);
	return !waiting || (j->settled && !j->p->dnsbl_wait_all);
}

/* check_over - a waiter's exit test (e->mu held) */
static int
check_over(void *arg)
{
	return job_eval(arg);
}

static void job_detach(djob *j);

/* job_one - the one flight j waits for, when it waits for one answer
 * and no self-test (e->mu held): a burst on one IP sleeps on its gate */
static flight *
job_one(const djob *j)
{
	flight *one = NULL;
	size_t d;

	if (j->tl.f != NULL)
		return NULL;
	for (d = 0; d < j->nd; d++) {
		const dstate *x = &j->st[d];

		if (x->tlink[0].f != NULL || x->tlink[1].f != NULL ||
		    (x->link.f != NULL && one != NULL))
			return NULL;
		if (x->link.f != NULL)
			one = x->link.f;
	}
	return one;
}

/* check_release - a lone check whose wait is over leaves its flights in
 * the waker's thread (e->mu held there), so it returns without e->mu */
static void
check_release(void *arg)
{
	job_detach(arg);
}

/* source_of - display names of the counted listings, largest weight
 * first: the positive ones, or for an allow the negative ones */
static void
source_of(const dnsbl_sites *s, const dstate *st, int allow, char *buf,
	  size_t size, int *first)
{
	size_t order[DNSBL_ZONES_MAX], n = 0, i, j, len = 0,
	       nd = vd_sites_nzones(s);

	*first = -1;
	for (i = 0; i < nd; i++) {
		int w = st[i].weight;

		if (st[i].state != DS_KNOWN || (allow ? w >= 0 : w <= 0))
			continue;
		/* insertion sort by |weight| descending, stable */
		for (j = n; j > 0 && abs(st[order[j - 1]].weight) < abs(w); j--)
			order[j] = order[j - 1];
		order[j] = i;
		n++;
	}
	buf[0] = 0;
	for (i = 0; i < n; i++) {
		const char *name = vd_sites_display(s, order[i]);
		size_t nl = strlen(name);

		/* one field for log and CLI parsers: no blanks */
		if (len + (i ? 1 : 0) + nl + 1 > size)
			break;
		if (i) {
			buf[len] = ',';
			len += 1;
		}
		memcpy(buf + len, name, nl + 1);
		len += nl;
	}
	if (n)
		*first = (int)order[0];
}

/* job_begin - what the cache knows, without e->mu; j->need tells whether
 * the job must go to the network */
static int
job_begin(dnsbl_engine *e, const dnsbl_sites *s, const config_profile *p,
	  const vaddr *ip, int base_score, dnsbl_result *res, djob *j)
{
	fkey keys[DNSBL_ZONES_MAX];
	cache_req rq[DNSBL_ZONES_MAX];
	void **memo;
	size_t d;
	fkey k;

	j->e = e;
	j->s = s;
	j->p = p;
	j->ip = ip;
	j->res = res;
	j->base = base_score;
	j->need = j->attached = 0;
	j->now = vd_clock_coarse_ns();
	j->start = 0;
	j->nd = vd_sites_nzones(s);
	memset(&j->tl, 0, sizeof(j->tl));
	vd_dnsbl_result_clear(res);
	res->score = base_score;
	memo = vd_sites_memo(s, e->id);
	vd_flight_key(&k, NULL, ns_t_a, 0, ip);
	for (d = 0; d < j->nd; d++) {
		dstate *x = &j->st[d];

		x->have = 0;
		x->at_ns = 0;
		/* a link is in use when f is set (attach fills the rest) */
		x->link.f = NULL;
		for (int i = 0; i < VD_SELFTEST_PROBES; i++)
			x->tlink[i].f = NULL;
		if ((x->zr = vd_dnsbl_engine_zone_of(e, s, memo, d)) == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM,
					"out of memory");
		if (vd_selftest_due(x->zr, j->now))
			j->need = 1;
		keys[d] = k;
		keys[d].zid = x->zr->id;
		rq[d].key = &keys[d];
		rq[d].klen = sizeof(keys[d]);
		rq[d].val = &x->cv;
		rq[d].vlen = sizeof(x->cv);
	}
	/* every zone's answer under one shard lock (the IP is the group) */
	vd_cache_get_many(e->cache, rq, j->nd, j->now);
	for (d = 0; d < j->nd; d++) {
		if (cval_use(e, p, rq[d].hit, &j->st[d].cv, rq[d].vlen,
			     j->now)) {
			j->st[d].have = 1;
			res->cache_hits++;
		} else {
			j->need = 1;
		}
	}
	return VERDICT_OK;
}

/* job_attach - start the self-tests due and the queries missing, and
 * attach j's waiter (in group g) to them (e->mu held) */
static void
job_attach(djob *j, wgroup *g)
{
	dnsbl_engine *e = j->e;
	size_t d;
	int started;
	fkey k;

	/* the network: the precise clock times the answers; ages stay on
	 * the check's coarse time (j->now): an answer that landed since
	 * job_begin is younger than that, one it found stale still is */
	j->start = vd_clock_now_ns();
	j->w.g = g;
	j->w.over = check_over;
	j->w.release = NULL;
	j->w.arg = j;
	j->w.is_over = 0;
	j->attached = 1;
	for (d = 0; d < j->nd; d++) {
		dstate *x = &j->st[d];
		zrec *z = x->zr;

		if (vd_selftest_due(z, j->now))
			vd_selftest_start(e, z);
		if (z->verdict == TEST_NONE && z->testing)
			vd_selftest_attach(e, z, x->tlink, &j->w);
		if (x->have)
			continue;
		vd_flight_key(&k, z, ns_t_a, 0, j->ip);
		/* a flight that ended since our first look left its
		 * answer in the cache before leaving the table */
		if (!vd_flight_find(e, &k) && cached_answer(e, j->p, &k,
			j->now, &x->cv)) {
			x->have = 1;
			j->res->cache_hits++;
			continue;
		}
		if ((x->link.f = vd_flight_get(e, z, &k, &started)) != NULL) {
			vd_flight_attach(x->link.f, &x->link, &j->w);
			j->res->queries += started;
		} else {
			memset(&x->cv.a, 0, sizeof(x->cv.a));
			x->cv.a.kind = DNSBL_ERROR;
			x->have = 1;
		}
	}
}

/* job_source - the listing zones into res->source; returns the zone
 * whose TXT record is the reason (dnsbl_txt, a block), else -1 */
static int
job_source(djob *j)
{
	const config_profile *p = j->p;
	int allow, first;

	allow = p->dnsbl_allowlist_threshold < 0
		&& j->score <= p->dnsbl_allowlist_threshold;
	source_of(j->s, j->st, allow, j->res->source,
		  sizeof(j->res->source), &first);
	if (p->dnsbl_txt && first >= 0 && !allow
	    && j->score >= p->dnsbl_threshold)
		return first;
	return -1;
}

/* job_txt - the TXT record of zone d, from the cache or asked within the
 * deadline (e->mu held, g initialised; released while waiting) */
static void
job_txt(djob *j, wgroup *g, size_t d, int64_t deadline_ns, int *sent)
{
	dnsbl_engine *e = j->e;
	int started;
	cval tv;
	fkey k;

	vd_flight_key(&k, j->st[d].zr, ns_t_txt, 0, j->ip);
	/* a check that went to the network may have waited: its TXT must
	 * not be used past its TTL, so it reads the clock again */
	if (cached_answer(e, j->p, &k, j->attached ? vd_clock_coarse_ns()
			  : j->now, &tv)) {
		vd_str_lcpy(j->res->txt, tv.a.txt, sizeof(j->res->txt));
		j->res->cache_hits++;
		return;
	}
	if (vd_clock_now_ns() >= deadline_ns)
		return;
	if ((j->tl.f = vd_flight_get(e, j->st[d].zr, &k, &started)) == NULL)
		return;
	/* from here on every answer ends a round */
	g->one = NULL;
	j->w.g = g;
	j->w.over = NULL;
	j->w.release = NULL;
	j->w.is_over = 0;
	vd_flight_attach(j->tl.f, &j->tl, &j->w);
	j->res->queries += started;
	while (!j->tl.f->done) {
		g->target = 1;
		*sent = 1;
		if (!vd_flight_wait(e, g, deadline_ns))
			break;
	}
	if (j->tl.f->done && j->tl.f->ans.kind == DNSBL_LISTED)
		vd_str_lcpy(j->res->txt, j->tl.f->ans.txt,
			     sizeof(j->res->txt));
}

/* job_detach - unlink j's waiter from every flight (e->mu held) */
static void
job_detach(djob *j)
{
	size_t d;

	for (d = 0; d < j->nd; d++) {
		vd_flight_detach(j->e, &j->st[d].link);
		for (int i = 0; i < VD_SELFTEST_PROBES; i++)
			vd_flight_detach(j->e, &j->st[d].tlink[i]);
	}
	vd_flight_detach(j->e, &j->tl);
}

/* zone_outcome - what an answered zone counts as */
static int
zone_outcome(const dstate *x)
{
	switch (x->cv.a.kind) {
	case DNSBL_LISTED:
		return x->weight != 0 ? DNSBL_OUT_LISTED : DNSBL_OUT_NOT_LISTED;
	case DNSBL_NXDOMAIN:
		return DNSBL_OUT_NOT_LISTED;
	case DNSBL_TIMEOUT:
		return DNSBL_OUT_TIMEOUT;
	case DNSBL_IGNORED:
		return DNSBL_OUT_IGNORED;
	default:
		return DNSBL_OUT_ERROR;
	}
}

/* job_end - the per-zone detail and the totals (no lock) */
static void
job_end(djob *j, int64_t deadline_ns)
{
	dnsbl_engine *e = j->e;
	dnsbl_result *res = j->res;
	int64_t now = 0;	/* read when a zone is pending */
	int npending = 0, nfailed = 0;
	size_t d;

	res->score = j->score;
	res->settled = j->settled;
	res->nzones = j->nd;
	for (d = 0; d < j->nd; d++) {
		dnsbl_zone_detail *z = &res->zones[d];
		dstate *x = &j->st[d];

		z->zone = vd_sites_display(j->s, d);
		z->fmt = 0;
		z->outcome = DNSBL_OUT_NONE;
		z->weight = x->weight;
		z->ms = x->have ? (x->at_ns > j->start
				   ? (long)((x->at_ns - j->start) / 1000000)
				   : 0)
			: -1;
		switch (x->state) {
		case DS_WILD:
			vd_str_lcpy(z->answer, "wild (lists 127.0.0.1)",
				     sizeof(z->answer));
			z->outcome = DNSBL_OUT_IGNORED;
			if (x->have && x->cv.a.kind == DNSBL_LISTED) {
				e->n_wild++;
				if (vd_log_ratelimit(&x->zr->warn_last[
					WARN_WILD], WARN_NS))
					vd_log(e->lg, LOG_ERR, "dnsbl: zone %s "
					       "lists 127.0.0.1: it has gone "
					       "wild; its answers are ignored "
					       "until a re-test passes",
					       vd_sites_mapped(j->s, d) ?
					       vd_sites_display(j->s, d) :
					       vd_zrec_display(x->zr));
			}
			break;
		case DS_PENDING:
			npending++;
			if (now == 0)
				now = vd_clock_now_ns();
			vd_str_lcpy(z->answer, now >= deadline_ns ? "timeout"
				     : "pending", sizeof(z->answer));
			if (now >= deadline_ns)
				z->outcome = DNSBL_OUT_TIMEOUT;
			break;
		case DS_UNTESTED:
			npending++;
			vd_str_lcpy(z->answer, "self-test pending",
				     sizeof(z->answer));
			break;
		case DS_FAILED:
			nfailed++;
			/* fall through */
		default:
			memcpy(&z->ans, &x->cv.a, offsetof(dnsbl_answer, txt));
			if (x->cv.a.txt[0])
				vd_str_lcpy(z->ans.txt, x->cv.a.txt,
					     sizeof(z->ans.txt));
			else	/* A answers: no TXT */
				z->ans.txt[0] = 0;
			z->fmt = 1;
			z->outcome = zone_outcome(x);
		}
	}
	res->unknown = nfailed + (j->settled ? 0 : npending);
}

/* vd_dnsbl_check - one weighted check under one deadline */
int
vd_dnsbl_check(dnsbl_engine *e, const dnsbl_sites *s, const config_profile *p,
	       const vaddr *ip, int base_score, int64_t deadline_ns,
	       dnsbl_result *res)
{
	djob j;
	wgroup g;
	int inited = 0, held = 0, sent = 0, last = 0, rc, txt;

	if (e == NULL || s == NULL || p == NULL || ip == NULL || res == NULL)
		return vd_err_set(VERDICT_EINVAL, 0, "vd_dnsbl_check: NULL argument");
	if ((rc = job_begin(e, s, p, ip, base_score, res, &j)) != VERDICT_OK)
		return rc;
	if (j.need) {
		pthread_mutex_lock(&e->mu);
		vd_flight_group_init(e, &g);
		inited = held = 1;
		job_attach(&j, &g);
		j.w.release = check_release;
	}
	/* not attached: every answer from the cache, no lock needed;
	 * after the deadline's round, one more look at what came in.
	 * Released by the waker: the state it evaluated is final, the
	 * flights are left, e->mu is not held */
	while (!job_eval(&j) && j.attached && !last) {
		j.w.is_over = 0;
		g.target = 1;
		g.one = job_one(&j);
		sent = 1;
		if ((rc = vd_flight_wait(e, &g, deadline_ns)) ==
		    FLIGHT_RELEASED) {
			held = 0;
			break;
		}
		last = rc == FLIGHT_DEADLINE;
	}
	if ((txt = job_source(&j)) >= 0) {
		if (!held) {
			pthread_mutex_lock(&e->mu);
			held = 1;
		}
		if (!inited) {
			vd_flight_group_init(e, &g);
			inited = 1;
		}
		job_txt(&j, &g, (size_t)txt, deadline_ns, &sent);
	}
	if (held) {
		/* what was queued and not waited for (self-tests): send it */
		if (!sent)
			vd_flight_flush(e);
		job_detach(&j);
		pthread_mutex_unlock(&e->mu);
	}
	if (inited)
		vd_flight_group_destroy(&g);
	job_end(&j, deadline_ns);
	return VERDICT_OK;
}

/* vd_dnsbl_check_many - a batch of checks, one group of waiters */
int
vd_dnsbl_check_many(dnsbl_engine *e, const dnsbl_sites *s,
		    const config_profile *p, const vaddr *const *ips,
		    const int *base_scores, size_t n, int64_t deadline_ns,
		    dnsbl_result *const *res)
{
	djob *jobs;
	wgroup g;
	size_t i;
	int need = 0, sent = 0, rc = VERDICT_OK, txt, left;

	if (e == NULL || s == NULL || p == NULL || (n && (ips == NULL
	    || base_scores == NULL || res == NULL)))
		return vd_err_set(VERDICT_EINVAL, 0,
				"vd_dnsbl_check_many: NULL argument");
	if (n == 0)
		return VERDICT_OK;
	if ((jobs = malloc(n * sizeof(*jobs))) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if ((rc = job_begin(e, s, p, ips[i], base_scores[i], res[i],
				    &jobs[i])) != VERDICT_OK)
			goto out;
		need |= jobs[i].need;
	}
	pthread_mutex_lock(&e->mu);
	vd_flight_group_init(e, &g);
	/* a job answered from the cache alone is final: evaluated once,
	 * as vd_dnsbl_check does, not again at every round of the others */
	for (i = 0; i < n; i++)
		if (jobs[i].need)
			job_attach(&jobs[i], &g);
		else
			job_eval(&jobs[i]);
	/* one wake-up for the whole group: when every job still waiting
	 * is over, or at the deadline */
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++)
			if (jobs[i].attached && !job_eval(&jobs[i])) {
				jobs[i].w.is_over = 0;
				left++;
			}
		if (left == 0)
			break;
		g.target = left;
		sent = 1;
		if (!vd_flight_wait(e, &g, deadline_ns)) {
			/* the deadline: the last answers in */
			for (i = 0; i < n; i++)
				if (jobs[i].attached)
					job_eval(&jobs[i]);
			break;
		}
	}
	for (i = 0; i < n; i++)
		if ((txt = job_source(&jobs[i])) >= 0)
			job_txt(&jobs[i], &g, (size_t)txt, deadline_ns,
				&sent);
	if (need && !sent)
		vd_flight_flush(e);
	for (i = 0; i < n; i++)
		job_detach(&jobs[i]);
	pthread_mutex_unlock(&e->mu);
	vd_flight_group_destroy(&g);
	for (i = 0; i < n; i++)
		job_end(&jobs[i], deadline_ns);
out:
	free(jobs);
	return rc;
}

/* vd_dnsbl_check_zone_answer - the answer text of a zone, formatted once */
const char *
vd_dnsbl_check_zone_answer(dnsbl_zone_detail *z)
{
	if (z->fmt) {
		vd_answer_text(&z->ans, z->answer, sizeof(z->answer));
		z->fmt = 0;
	}
	return z->answer;
}

/* vd_dnsbl_result_clear - every field but zones[], which nzones bounds
 * (the strings by their first byte): a cleared result is read as a check
 * that asked no zone, at the cost of a few stores, not of zones[] */
void
vd_dnsbl_result_clear(dnsbl_result *res)
{
	res->score = 0;
	res->settled = res->unknown = 0;
	res->source[0] = res->txt[0] = 0;
	res->nzones = 0;
	res->cache_hits = res->queries = 0;
}
