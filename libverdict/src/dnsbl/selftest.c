/*
 * selftest.c - the RFC 5782 self-test of DNSBL zones
 *
 *	vd_selftest_due		is a zone's test missing or too old?
 *	vd_selftest_start	send both probes of a zone
 *	vd_selftest_attach	wait for a zone's running probes
 *	vd_selftest_landed	a probe answered: decide wild or not
 *	vd_selftest_doctor	run the test on demand (verdict doctor)
 *
 * A zone is tested (127.0.0.2 must be listed, 127.0.0.1 must not) with
 * its first use and again when the result is older than ten minutes,
 * triggered by a check and run concurrently with it: never inside anyone's
 * deadline, except that a check waits, within its deadline, for a zone
 * never tested.  A zone that lists 127.0.0.1 is "wild": its answers never
 * count until a re-test passes, because a list answering everything
 * would otherwise block all mail.  A first test that gets no answer
 * leaves the zone in use: DNS failure is unknown, not wild.
 *
 * Ages are on the coarse clock (vd_clock_coarse_ns), so tests move time
 * with vd_clock_set_coarse instead of waiting ten minutes.
 *
 * Diagnostics: "gone wild" (LOG_ERR) and "passed its self-test again"
 * (LOG_NOTICE) on a change, "does not list 127.0.0.2" (LOG_WARNING)
 * once a minute a zone; the display name, never the secret domain.
 *
 * Limits: the result lives in the process only; IPv6 zones are probed
 * with the IPv4 test entries like the others.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "selftest.h"

static const uint32_t probe_ip[2] = { 0x7f000002u, 0x7f000001u };

static void
v4(vaddr *a, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	vd_addr_from_v4(a, b);
}

/* vd_selftest_due - never tested, or tested too long ago */
int
vd_selftest_due(const zrec *z, int64_t now)
{
	return __atomic_load_n(&z->verdict, __ATOMIC_ACQUIRE) == TEST_NONE
	       || now - __atomic_load_n(&z->tested_at, __ATOMIC_ACQUIRE)
		  > VD_SELFTEST_AGE_NS;
}

/* vd_selftest_start - send both RFC 5782 probes unless running */
void
vd_selftest_start(dnsbl_engine *e, zrec *z)
{
	vaddr ip;
	fkey k;
	int i, started, ok = 0;

	if (z->testing)
		return;
	z->probes_left = 2;
	for (i = 0; i < 2; i++) {
		memset(&z->probe[i], 0, sizeof(z->probe[i]));
		v4(&ip, probe_ip[i]);
		vd_flight_key(&k, z, ns_t_a, 1, &ip);
		if (vd_flight_get(e, z, &k, &started) != NULL)
			ok++;
		else
			z->probe[i].kind = DNSBL_ERROR;
	}
	if (ok == 2) {
		z->testing = 1;
	} else {
		/* retried by the next check; never block on it meanwhile */
		z->probes_left = 0;
		z->testing = 0;
	}
}

/* vd_selftest_attach - wait for the running probes of z */
void
vd_selftest_attach(dnsbl_engine *e, zrec *z, wlink *l, waiter *w)
{
	vaddr ip;
	fkey k;
	flight *f;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		v4(&ip, probe_ip[i]);
		vd_flight_key(&k, z, ns_t_a, 1, &ip);
		if ((f = vd_flight_find(e, &k)) != NULL)
			vd_flight_attach(f, &l[n++], w);
	}
}

/* decide - both probes answered: wild or not */
static void
decide(dnsbl_engine *e, zrec *z)
{
	const dnsbl_answer *p1 = &z->probe[1];
	char txt[96];

	if (p1->kind == DNSBL_LISTED) {
		vd_answer_text(p1, txt, sizeof(txt));
		if (z->verdict != TEST_WILD
		    || vd_log_ratelimit(&z->warn_last[WARN_WILD], WARN_NS))
			vd_log(e->lg, LOG_ERR, "dnsbl: zone %s lists 127.0.0.1 "
			       "(%s): it has gone wild; its answers are "
			       "ignored until a re-test passes", z->display,
			       txt);
		__atomic_store_n(&z->verdict, TEST_WILD, __ATOMIC_RELEASE);
	} else if (p1->kind == DNSBL_NXDOMAIN || z->verdict == TEST_NONE) {
		if (z->verdict == TEST_WILD)
			vd_log(e->lg, LOG_NOTICE, "dnsbl: zone %s passed its "
			       "self-test again; its answers count",
			       z->display);
		__atomic_store_n(&z->verdict, TEST_OK, __ATOMIC_RELEASE);
	}
	if (z->probe[0].kind == DNSBL_NXDOMAIN
	    && vd_log_ratelimit(&z->warn_last[WARN_NOTEST], WARN_NS))
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s does not list "
		       "127.0.0.2 (RFC 5782 test entry)", z->display);
	__atomic_store_n(&z->tested_at, vd_clock_coarse_ns(),
			 __ATOMIC_RELEASE);
	z->testing = 0;
}

/* vd_selftest_landed - record probe i; decide with the last one */
void
vd_selftest_landed(dnsbl_engine *e, zrec *z, int i, const dnsbl_answer *a)
{
	z->probe[i] = *a;
	if (--z->probes_left == 0)
		decide(e, z);
}

/* doctor_run - send every zone's probes and wait for them within the
 * deadline; pr[d] gets what came (e->mu taken here) */
static void
doctor_run(dnsbl_engine *e, zrec **zr, size_t nd, int64_t deadline_ns,
	   dnsbl_answer (*pr)[2])
{
	wlink links[DNSBL_ZONES_MAX][2];
	waiter w;
	wgroup g;
	size_t d;
	int i, busy, sent = 0;

	memset(links, 0, sizeof(links));
	pthread_mutex_lock(&e->mu);
	vd_flight_group_init(e, &g);
	w.g = &g;
	w.over = NULL;
	w.release = NULL;
	w.arg = NULL;
	w.is_over = 0;
	for (d = 0; d < nd; d++) {
		vd_selftest_start(e, zr[d]);
		vd_selftest_attach(e, zr[d], links[d], &w);
	}
	for (;;) {
		busy = 0;
		for (d = 0; d < nd; d++)
			for (i = 0; i < 2; i++)
				if (links[d][i].f && !links[d][i].f->done)
					busy = 1;
		if (!busy)
			break;
		sent = 1;
		g.target = 1;
		if (!vd_flight_wait(e, &g, deadline_ns))
			break;
	}
	if (!sent)
		vd_flight_flush(e);
	for (d = 0; d < nd; d++) {
		for (i = 0; i < 2; i++) {
			flight *f = links[d][i].f;

			if (f && f->done)
				pr[d][f->key.ip.b[15] == 2 ? 0 : 1] = f->ans;
			vd_flight_detach(e, &links[d][i]);
		}
	}
	pthread_mutex_unlock(&e->mu);
	vd_flight_group_destroy(&g);
}

#define SAY(...) do { if (n < size) { \
	int r_ = snprintf(buf + n, size - n, __VA_ARGS__); \
	n = r_ < 0 ? size : n + (size_t)r_; } } while (0)

/* doctor_detail - the words of one zone's result; 1 when it passed */
static int
doctor_detail(const dnsbl_answer *p2, const dnsbl_answer *p1, char *buf,
	      size_t size)
{
	char t[96];
	size_t n = 0;
	int ok = p2->kind == DNSBL_LISTED && p1->kind == DNSBL_NXDOMAIN;

	buf[0] = 0;
	if (ok) {
		SAY("ok");
	} else if ((p2->kind == DNSBL_PENDING || p2->kind == DNSBL_TIMEOUT)
		   && (p1->kind == DNSBL_PENDING
		       || p1->kind == DNSBL_TIMEOUT)) {
		SAY("not answering");
	} else {
		if (p1->kind == DNSBL_LISTED) {
			vd_answer_text(p1, t, sizeof(t));
			SAY("wild: lists 127.0.0.1 (%s)", t);
		} else if (p1->kind != DNSBL_NXDOMAIN) {
			vd_answer_text(p1, t, sizeof(t));
			SAY("127.0.0.1: %s", t);
		}
		if (p2->kind == DNSBL_NXDOMAIN) {
			SAY("%sdoes not list 127.0.0.2", n ? "; " : "");
		} else if (p2->kind != DNSBL_LISTED) {
			vd_answer_text(p2, t, sizeof(t));
			SAY("%s127.0.0.2: %s", n ? "; " : "", t);
		}
	}
	return ok;
}

#undef SAY

/* vd_selftest_doctor - the test on demand, one callback per zone */
int
vd_selftest_doctor(dnsbl_engine *e, const dnsbl_sites *s,
		   int64_t deadline_ns,
		   int (*cb)(const char *zone, int ok, const char *detail,
			     void *arg), void *arg)
{
	zrec *zr[DNSBL_ZONES_MAX];
	dnsbl_answer pr[DNSBL_ZONES_MAX][2];
	char detail[256];
	size_t d, nd = vd_sites_nzones(s);
	int ok, rc;

	if (e == NULL || cb == NULL)
		return vd_err_set(VERDICT_EINVAL, 0,
				   "vd_selftest_doctor: NULL argument");
	memset(pr, 0, sizeof(pr));
	for (d = 0; d < nd; d++)
		if ((zr[d] = vd_dnsbl_engine_zone(e, s, d)) == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM,
					   "out of memory");
	doctor_run(e, zr, nd, deadline_ns, pr);
	for (d = 0; d < nd; d++) {
		ok = doctor_detail(&pr[d][0], &pr[d][1], detail,
				   sizeof(detail));
		if ((rc = cb(vd_sites_display(s, d), ok, detail, arg)) != 0)
			return rc;
	}
	return 0;
}
